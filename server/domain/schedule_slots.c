/* Open slots: the next free times for an appointment type, for one provider or any. Everything is
 * read once for the whole range (templates, clinic hours, holidays, and each provider's and
 * room's busy intervals, sorted); then each day is swept provider by provider, subtracting the
 * busy intervals from the template ranges and cutting the free gaps into slots. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "status.h"

enum {
    RANGE_DAYS_MAX = 31,
    LIMIT_DEFAULT = 10,
    LIMIT_MAX = 100,
    GRID_SECONDS = 300, /* slots start on five-minute marks */
};

typedef struct {
    int64_t from, to;
} interval_t;

/* Busy intervals of one provider or room, sorted by start. */
typedef struct {
    interval_t *items;
    size_t n, cap;
} busy_t;

typedef struct {
    const Clinic__Provider *provider;
    busy_t busy;
} provider_t;

typedef struct {
    uint64_t id;
    const char *name;
    busy_t busy;
} room_t;

typedef struct {
    int open;
    int open_minute, close_minute;
} clinic_day_t;

static int cmp_interval(const void *a, const void *b)
{
    const interval_t *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

static int cmp_slot(const void *a, const void *b)
{
    const Clinic__Slot *x = *(Clinic__Slot *const *)a, *y = *(Clinic__Slot *const *)b;
    if (x->starts_at != y->starts_at)
        return x->starts_at < y->starts_at ? -1 : 1;
    return x->provider_id < y->provider_id ? -1 : x->provider_id > y->provider_id;
}

/* Appends the rows' [column 1, column 2) intervals of an overlap query `q` for `owner` over
 * [from, to) to `b`. Appointment queries take five parameters (see bind_overlap in
 * schedule_db.c), block queries three. */
static int load_busy(cl_tx_t *tx, cl_sched_q_t q, int64_t owner, int64_t from, int64_t to,
                     busy_t *b)
{
    cl_arena_t *a = &tx->job->arena;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, owner);
    if (q == CL_SQ_APPT_PROVIDER_OVERLAP || q == CL_SQ_APPT_ROOM_OVERLAP) {
        sqlite3_bind_int64(st, 2, from - (int64_t)CL_SCHED_MINUTES_MAX * 60);
        sqlite3_bind_int64(st, 3, to);
        sqlite3_bind_int64(st, 4, from);
        sqlite3_bind_int64(st, 5, 0);
    } else {
        sqlite3_bind_int64(st, 2, from);
        sqlite3_bind_int64(st, 3, to);
    }
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, b->items, b->n, b->cap);
        b->items[b->n].from = sqlite3_column_int64(st, 1);
        b->items[b->n].to = sqlite3_column_int64(st, 2);
        b->n++;
    }
    return rc;
}

static int load_owner_busy(cl_tx_t *tx, int room, int64_t owner, int64_t from, int64_t to,
                           busy_t *b)
{
    int rc = load_busy(tx, room ? CL_SQ_APPT_ROOM_OVERLAP : CL_SQ_APPT_PROVIDER_OVERLAP, owner,
                       from, to, b);
    if (rc < 0)
        return rc;
    if ((rc = load_busy(tx, room ? CL_SQ_BLOCKS_ROOM_OVERLAP : CL_SQ_BLOCKS_PROVIDER_OVERLAP, owner,
                        from, to, b)) < 0)
        return rc;
    if (b->n > 1)
        qsort(b->items, b->n, sizeof(*b->items), cmp_interval);
    return 0;
}

/* Whether [from, to) overlaps none of `b`. */
static int is_free(const busy_t *b, int64_t from, int64_t to)
{
    for (size_t i = 0; i < b->n && b->items[i].from < to; i++)
        if (b->items[i].to > from)
            return 0;
    return 1;
}

/* A free room for [from, to), or NULL. */
static const room_t *free_room(const room_t *rooms, size_t n, int64_t from, int64_t to)
{
    for (size_t i = 0; i < n; i++)
        if (is_free(&rooms[i].busy, from, to))
            return &rooms[i];
    return NULL;
}

/* What one search needs while it sweeps. */
typedef struct {
    cl_arena_t *arena;
    int64_t duration, step;
    const room_t *rooms; /* NULL when the type needs no room */
    size_t n_rooms;
    int limit;
    Clinic__Slot **slots; /* the day's, before sorting */
    size_t n, cap;
} sweep_t;

static void add_slot(sweep_t *s, const Clinic__Provider *p, const room_t *room, cl_date_t day,
                     int64_t from)
{
    Clinic__Slot *slot = CL_ARENA_NEW(s->arena, Clinic__Slot);
    clinic__slot__init(slot);
    slot->provider_id = p->id;
    slot->provider_name = p->name;
    slot->room_id = room ? room->id : 0;
    slot->room_name = room ? (char *)room->name : "";
    slot->date = cl_sched_date_str(s->arena, day);
    slot->start_minute = (uint32_t)cl_local_minute(from);
    slot->starts_at = from;
    slot->ends_at = from + s->duration;
    CL_ARENA_RESERVE(s->arena, s->slots, s->n, s->cap);
    s->slots[s->n++] = slot;
}

/* Cuts the free gap [from, to) into slots; returns how many it made (at most `room_left`). */
static int cut_gap(sweep_t *s, const Clinic__Provider *p, cl_date_t day, int64_t from, int64_t to,
                   int room_left)
{
    int made = 0;
    int64_t t = (from + GRID_SECONDS - 1) / GRID_SECONDS * GRID_SECONDS;
    while (made < room_left && t + s->duration <= to) {
        const room_t *room = NULL;
        if (s->rooms != NULL &&
            (room = free_room(s->rooms, s->n_rooms, t, t + s->duration)) == NULL) {
            t += GRID_SECONDS; /* no room then: try the next mark */
            continue;
        }
        add_slot(s, p, room, day, t);
        made++;
        t += s->step;
    }
    return made;
}

/* One provider's slots on one day within the window [lo, hi). */
static void sweep_provider(sweep_t *s, const provider_t *pv, cl_date_t day, int64_t lo, int64_t hi)
{
    const Clinic__Provider *p = pv->provider;
    int weekday = cl_date_weekday(day), made = 0;
    for (size_t r = 0; r < p->n_hours && made < s->limit; r++) {
        const Clinic__ProviderHours *h = p->hours[r];
        if ((int)h->weekday != weekday)
            continue;
        int64_t from = cl_local_instant(day, (int)h->start_minute);
        int64_t to = cl_local_instant(day, (int)h->end_minute);
        if (from < lo)
            from = lo;
        if (to > hi)
            to = hi;
        if (from >= to)
            continue;
        /* Subtract the busy intervals (sorted by start) from [from, to). */
        int64_t t = from;
        for (size_t i = 0; i < pv->busy.n && made < s->limit; i++) {
            const interval_t *b = &pv->busy.items[i];
            if (b->from >= to)
                break;
            if (b->to <= t)
                continue;
            if (b->from > t)
                made += cut_gap(s, p, day, t, b->from, s->limit - made);
            t = b->to;
        }
        if (t < to && made < s->limit)
            made += cut_gap(s, p, day, t, to, s->limit - made);
    }
}

int cl_handle_slot_find(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SlotFindRequest *req = job->req->slot_find;
    cl_arena_t *a = &job->arena;
    Clinic__AppointmentType *type;
    cl_date_t today = cl_sched_today(tx), from, to;
    int rc;

    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, today, &from)) < 0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date,
                                     cl_date_add(from, RANGE_DAYS_MAX - 1), &to)) < 0)
        return rc;
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(from, to) >= RANGE_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "at most 31 days at once");
    if (req->earliest_minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "earliest_minute", "earliest_minute must be 0-1439");
    int latest = req->latest_minute ? (int)req->latest_minute : 1440;
    if (latest > 1440 || latest <= (int)req->earliest_minute)
        return cl_job_fail(job, CL_EINVAL, "latest_minute",
                           "latest_minute must be after earliest_minute, by 1440");
    if (req->limit > LIMIT_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit must be at most 100");
    if (req->step_minutes != 0 &&
        (req->step_minutes < CL_SCHED_MINUTES_MIN || req->step_minutes > CL_SCHED_MINUTES_MAX))
        return cl_job_fail(job, CL_EINVAL, "step_minutes", "step_minutes must be 5-480");
    if ((rc = cl_sched_type_for_use(tx, "type_id", (int64_t)req->type_id, &type)) < 0)
        return rc;
    Clinic__SlotFindReply *reply = CL_JOB_REPLY(job, Clinic__SlotFindReply);
    if (cl_date_cmp(to, today) < 0)
        return 0; /* all in the past */
    if (cl_date_cmp(from, today) < 0)
        from = today;
    int64_t range_lo = cl_local_instant(from, 0);
    int64_t range_hi = cl_local_instant(cl_date_add(to, 1), 0);

    /* The providers, each with its template and busy intervals. */
    provider_t *providers = NULL;
    size_t n_providers = 0, cap = 0;
    if (req->provider_id) {
        Clinic__Provider *p;
        if ((rc = cl_sched_provider_for_use(tx, "provider_id", (int64_t)req->provider_id, &p)) < 0)
            return rc;
        providers = cl_arena_alloc(a, sizeof(*providers));
        providers[n_providers++].provider = p;
    } else {
        sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int(st, 1, 0);
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(a, providers, n_providers, cap);
            memset(&providers[n_providers], 0, sizeof(*providers));
            providers[n_providers++].provider = cl_sched_provider_from_row(a, st);
        }
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n_providers; i++)
            if ((rc = cl_sched_provider_load_hours(tx, (Clinic__Provider *)providers[i].provider)) <
                0)
                return rc;
    }
    for (size_t i = 0; i < n_providers; i++)
        if ((rc = load_owner_busy(tx, 0, (int64_t)providers[i].provider->id, range_lo, range_hi,
                                  &providers[i].busy)) < 0)
            return rc;

    /* The rooms, when the type needs one. */
    room_t *rooms = NULL;
    size_t n_rooms = 0;
    if (type->needs_room) {
        cap = 0;
        sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_ROOMS_ACTIVE);
        if (st == NULL)
            return CL_EINTERNAL;
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(a, rooms, n_rooms, cap);
            memset(&rooms[n_rooms], 0, sizeof(*rooms));
            rooms[n_rooms].id = (uint64_t)sqlite3_column_int64(st, 0);
            rooms[n_rooms].name = cl_arena_strdup(a, cl_db_text(st, 1));
            n_rooms++;
        }
        if (rc < 0)
            return rc;
        if (n_rooms == 0)
            return 0; /* nowhere to see the patient */
        for (size_t i = 0; i < n_rooms; i++)
            if ((rc = load_owner_busy(tx, 1, (int64_t)rooms[i].id, range_lo, range_hi,
                                      &rooms[i].busy)) < 0)
                return rc;
    }

    /* The clinic's week and the holidays in range. */
    clinic_day_t week[7] = {{0}};
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOURS_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int wd = sqlite3_column_int(st, 0);
        if (wd < 0 || wd > 6)
            continue;
        week[wd].open_minute = sqlite3_column_int(st, 1);
        week[wd].close_minute = sqlite3_column_int(st, 2);
        week[wd].open = sqlite3_column_int(st, 3) == 0;
    }
    if (rc < 0)
        return rc;
    char holiday[RANGE_DAYS_MAX] = {0}, fs[11], ts[11];
    cl_date_format(from, fs);
    cl_date_format(to, ts);
    if ((st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_RANGE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, fs, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ts, -1, SQLITE_STATIC);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        cl_date_t h;
        if (cl_date_parse(cl_db_text(st, 0), &h) == 0) {
            int64_t i = cl_date_diff(from, h);
            if (i >= 0 && i < RANGE_DAYS_MAX)
                holiday[i] = 1;
        }
    }
    if (rc < 0)
        return rc;

    int limit = req->limit ? (int)req->limit : LIMIT_DEFAULT;
    sweep_t s = {
        .arena = a,
        .duration = (int64_t)type->default_minutes * 60,
        .step = (int64_t)(req->step_minutes ? req->step_minutes : type->default_minutes) * 60,
        .rooms = type->needs_room ? rooms : NULL,
        .n_rooms = n_rooms,
        .limit = limit,
    };
    size_t out_cap = 0;
    int64_t days = cl_date_diff(from, to);
    for (int64_t i = 0; i <= days && (int)reply->n_slots < limit; i++) {
        cl_date_t day = cl_date_add(from, (int)i);
        const clinic_day_t *cd = &week[cl_date_weekday(day)];
        if (holiday[i] || !cd->open)
            continue;
        int open = cd->open_minute > (int)req->earliest_minute ? cd->open_minute
                                                               : (int)req->earliest_minute;
        int close = cd->close_minute < latest ? cd->close_minute : latest;
        if (open >= close)
            continue;
        int64_t lo = cl_local_instant(day, open), hi = cl_local_instant(day, close);
        if (lo < tx->now)
            lo = tx->now;
        s.n = 0;
        for (size_t k = 0; k < n_providers; k++)
            sweep_provider(&s, &providers[k], day, lo, hi);
        if (s.n > 1)
            qsort(s.slots, s.n, sizeof(*s.slots), cmp_slot);
        for (size_t k = 0; k < s.n && (int)reply->n_slots < limit; k++) {
            CL_ARENA_RESERVE(a, reply->slots, reply->n_slots, out_cap);
            reply->slots[reply->n_slots++] = s.slots[k];
        }
    }
    return 0;
}
