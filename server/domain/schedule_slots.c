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

/* One search: the request's checked values, then what was read for its range (arrays in the
 * job's arena). */
typedef struct {
    cl_date_t from, to;   /* from is no earlier than today once the range is read */
    int earliest, latest; /* minutes of the day: [earliest, latest) */
    int limit;            /* slots at most in the reply */
    int64_t lo, hi;       /* the range as instants: from's midnight to the midnight after to */
    provider_t *providers;
    size_t n_providers;
    room_t *rooms; /* none when the type needs no room */
    size_t n_rooms;
    clinic_day_t week[7];         /* the clinic's hours by weekday */
    char holiday[RANGE_DAYS_MAX]; /* by day from `from` */
} search_t;

/* Checks the request's dates, minutes, limit and step, failing the job on the first field that
 * is wrong, and fills the search's dates, day window and limit. */
static int check_request(cl_job_t *job, const Clinic__SlotFindRequest *req, cl_date_t today,
                         search_t *q)
{
    int rc;
    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, today, &q->from)) < 0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date,
                                     cl_date_add(q->from, RANGE_DAYS_MAX - 1), &q->to)) < 0)
        return rc;
    if (cl_date_cmp(q->to, q->from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(q->from, q->to) >= RANGE_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "at most 31 days at once");
    if (req->earliest_minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "earliest_minute", "earliest_minute must be 0-1439");
    q->earliest = (int)req->earliest_minute;
    q->latest = req->latest_minute ? (int)req->latest_minute : 1440;
    if (q->latest > 1440 || q->latest <= q->earliest)
        return cl_job_fail(job, CL_EINVAL, "latest_minute",
                           "latest_minute must be after earliest_minute, by 1440");
    if (req->limit > LIMIT_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit must be at most 100");
    q->limit = req->limit ? (int)req->limit : LIMIT_DEFAULT;
    if (req->step_minutes != 0 &&
        (req->step_minutes < CL_SCHED_MINUTES_MIN || req->step_minutes > CL_SCHED_MINUTES_MAX))
        return cl_job_fail(job, CL_EINVAL, "step_minutes", "step_minutes must be 5-480");
    return 0;
}

/* The providers to search, each with its template and its busy intervals over the range: the one
 * `provider_id` names (failing the job when it is missing or inactive), else every active one. */
static int load_providers(cl_tx_t *tx, uint64_t provider_id, search_t *q)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    if (provider_id) {
        Clinic__Provider *p;
        if ((rc = cl_sched_provider_for_use(tx, "provider_id", (int64_t)provider_id, &p)) < 0)
            return rc;
        q->providers = cl_arena_alloc(a, sizeof(*q->providers));
        q->providers[q->n_providers++].provider = p;
    } else {
        sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int(st, 1, 0);
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(a, q->providers, q->n_providers, cap);
            memset(&q->providers[q->n_providers], 0, sizeof(*q->providers));
            q->providers[q->n_providers++].provider = cl_sched_provider_from_row(a, st);
        }
        if (rc < 0)
            return rc;
        /* The list's rows carry no hours: the template is read per provider. */
        for (size_t i = 0; i < q->n_providers; i++)
            if ((rc = cl_sched_provider_load_hours(
                     tx, (Clinic__Provider *)q->providers[i].provider)) < 0)
                return rc;
    }
    for (size_t i = 0; i < q->n_providers; i++)
        if ((rc = load_owner_busy(tx, 0, (int64_t)q->providers[i].provider->id, q->lo, q->hi,
                                  &q->providers[i].busy)) < 0)
            return rc;
    return 0;
}

/* The active rooms, each with its busy intervals over the range; none leaves n_rooms at 0. */
static int load_rooms(cl_tx_t *tx, search_t *q)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_ROOMS_ACTIVE);
    if (st == NULL)
        return CL_EINTERNAL;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, q->rooms, q->n_rooms, cap);
        memset(&q->rooms[q->n_rooms], 0, sizeof(*q->rooms));
        q->rooms[q->n_rooms].id = (uint64_t)sqlite3_column_int64(st, 0);
        q->rooms[q->n_rooms].name = cl_arena_strdup(a, cl_db_text(st, 1));
        q->n_rooms++;
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < q->n_rooms; i++)
        if ((rc = load_owner_busy(tx, 1, (int64_t)q->rooms[i].id, q->lo, q->hi,
                                  &q->rooms[i].busy)) < 0)
            return rc;
    return 0;
}

/* The clinic's opening hours by weekday; a weekday without a row stays closed. */
static int load_clinic_week(cl_tx_t *tx, clinic_day_t week[7])
{
    int rc;
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
    return rc < 0 ? rc : 0;
}

/* Marks the range's holidays in q->holiday. */
static int load_holidays(cl_tx_t *tx, search_t *q)
{
    char fs[11], ts[11];
    int rc;
    cl_date_format(q->from, fs);
    cl_date_format(q->to, ts);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_RANGE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, fs, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ts, -1, SQLITE_STATIC);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        cl_date_t h;
        if (cl_date_parse(cl_db_text(st, 0), &h) == 0) {
            int64_t i = cl_date_diff(q->from, h);
            if (i >= 0 && i < RANGE_DAYS_MAX)
                q->holiday[i] = 1;
        }
    }
    return rc < 0 ? rc : 0;
}

/* Fills the reply with the search's first slots, day by day: each day's slots of all providers,
 * sorted by start then provider, come before the next day's. A slot starts no earlier than now. */
static void sweep_days(cl_tx_t *tx, const search_t *q, const Clinic__AppointmentType *type,
                       uint32_t step_minutes, Clinic__SlotFindReply *reply)
{
    cl_arena_t *a = &tx->job->arena;
    sweep_t s = {
        .arena = a,
        .duration = (int64_t)type->default_minutes * 60,
        .step = (int64_t)(step_minutes ? step_minutes : type->default_minutes) * 60,
        .rooms = type->needs_room ? q->rooms : NULL,
        .n_rooms = q->n_rooms,
        .limit = q->limit,
    };
    size_t out_cap = 0;
    int64_t days = cl_date_diff(q->from, q->to);
    for (int64_t i = 0; i <= days && (int)reply->n_slots < q->limit; i++) {
        cl_date_t day = cl_date_add(q->from, (int)i);
        const clinic_day_t *cd = &q->week[cl_date_weekday(day)];
        if (q->holiday[i] || !cd->open)
            continue;
        int open = cd->open_minute > q->earliest ? cd->open_minute : q->earliest;
        int close = cd->close_minute < q->latest ? cd->close_minute : q->latest;
        if (open >= close)
            continue;
        int64_t lo = cl_local_instant(day, open), hi = cl_local_instant(day, close);
        if (lo < tx->now)
            lo = tx->now;
        s.n = 0;
        for (size_t k = 0; k < q->n_providers; k++)
            sweep_provider(&s, &q->providers[k], day, lo, hi);
        if (s.n > 1)
            qsort(s.slots, s.n, sizeof(*s.slots), cmp_slot);
        for (size_t k = 0; k < s.n && (int)reply->n_slots < q->limit; k++) {
            CL_ARENA_RESERVE(a, reply->slots, reply->n_slots, out_cap);
            reply->slots[reply->n_slots++] = s.slots[k];
        }
    }
}

int cl_handle_slot_find(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SlotFindRequest *req = job->req->slot_find;
    Clinic__AppointmentType *type;
    cl_date_t today = cl_sched_today(tx);
    search_t q = {0};
    int rc;

    if ((rc = check_request(job, req, today, &q)) < 0 ||
        (rc = cl_sched_type_for_use(tx, "type_id", (int64_t)req->type_id, &type)) < 0)
        return rc;
    Clinic__SlotFindReply *reply = CL_JOB_REPLY(job, Clinic__SlotFindReply);
    if (cl_date_cmp(q.to, today) < 0)
        return 0; /* all in the past */
    if (cl_date_cmp(q.from, today) < 0)
        q.from = today;
    q.lo = cl_local_instant(q.from, 0);
    q.hi = cl_local_instant(cl_date_add(q.to, 1), 0);

    if ((rc = load_providers(tx, req->provider_id, &q)) < 0)
        return rc;
    if (type->needs_room) {
        if ((rc = load_rooms(tx, &q)) < 0)
            return rc;
        if (q.n_rooms == 0)
            return 0; /* nowhere to see the patient */
    }
    if ((rc = load_clinic_week(tx, q.week)) < 0 || (rc = load_holidays(tx, &q)) < 0)
        return rc;
    sweep_days(tx, &q, type, req->step_minutes, reply);
    return 0;
}
