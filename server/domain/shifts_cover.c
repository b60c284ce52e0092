/* Coverage: how many are on duty at each desk through each day, against the desk's minimum,
 * over the clinic's hours (from the schedule's clinic_hours and holidays) or, on a day without
 * hours, over the span of the desk's shifts. And approved time off taking shifts: the staff
 * member's shifts in the period go "off", a desk left below its minimum is a CONFLICT unless
 * overridden, and a provider's schedule is blocked for the period. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "shifts_int.h"
#include "status.h"
#include "topics.h"

/* The clinic's open hours on `day` as instants: 1 and *from, *to when it has them, 0 when it is
 * closed, a holiday, or its weekday was never set. */
static int clinic_hours_of(cl_tx_t *tx, cl_date_t day, int64_t *from, int64_t *to)
{
    char date[11];
    cl_date_format(day, date);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_HOLIDAY_ON);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
    int rc = cl_db_step_once(tx->db, st);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((st = cl_shift_stmt(tx, CL_SHQ_HOURS_DAY)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, cl_date_weekday(day));
    rc = cl_db_step(tx->db, st);
    int open = 0;
    if (rc == 1 && sqlite3_column_int(st, 2) == 0) {
        int a = sqlite3_column_int(st, 0), b = sqlite3_column_int(st, 1);
        if (b > a) {
            *from = cl_local_instant(day, a);
            *to = cl_local_instant(day, b);
            open = 1;
        }
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : open;
}

typedef struct {
    int64_t from, to;
} span_t;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The local minute of `t` on `day`: 1440 for the next midnight (or later). */
static uint32_t minute_on(cl_date_t day, int64_t t)
{
    if (t >= cl_local_instant(cl_date_add(day, 1), 0))
        return 1440;
    return (uint32_t)cl_local_minute(t);
}

/* The spans of desk `desk`'s shifts on duty on `day` (and of the day before, for a night shift
 * running in), drafts too when `drafts`, into *out (arena) and *n. */
static int desk_spans_of_day(cl_tx_t *tx, const Clinic__Desk *desk, cl_date_t day, int drafts,
                             span_t **out, size_t *n)
{
    char prev[11], date[11];
    cl_date_format(cl_date_add(day, -1), prev);
    cl_date_format(day, date);
    int64_t day_from = cl_local_instant(day, 0), day_to = cl_local_instant(cl_date_add(day, 1), 0);
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_ON_DUTY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, prev, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, day_from);
    sqlite3_bind_int64(st, 4, day_to + (int64_t)CL_SHIFT_MINUTES_MAX * 60);
    sqlite3_bind_int64(st, 5, (int64_t)desk->id);
    sqlite3_bind_int(st, 6, drafts ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *out, *n, cap);
        (*out)[*n].from = sqlite3_column_int64(st, 0);
        (*out)[*n].to = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    return rc < 0 ? rc : 0;
}

/* The window `d` covers on `day`, set in d->window, d->opens_at and d->closes_at: the clinic's
 * hours of the day when it has them, else [fallback_from, fallback_to) when given, else the span
 * of the `n` `shifts` that start on the day. Returns 1 with a window, 0 without one ("none", or
 * hours that do not make one), or a status. */
static int coverage_window(cl_tx_t *tx, Clinic__ShiftCoverageDay *d, cl_date_t day,
                           const span_t *shifts, size_t n, int64_t fallback_from,
                           int64_t fallback_to)
{
    int64_t from = 0, to = 0;
    int rc = clinic_hours_of(tx, day, &from, &to);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        d->window = "clinic_hours";
    } else if (fallback_from && fallback_to > fallback_from) {
        d->window = "shifts";
        from = fallback_from;
        to = fallback_to;
    } else {
        /* The span of the shifts that start on this day. */
        int64_t day_from = cl_local_instant(day, 0);
        for (size_t i = 0; i < n; i++) {
            if (shifts[i].from < day_from)
                continue;
            if (from == 0 || shifts[i].from < from)
                from = shifts[i].from;
            if (shifts[i].to > to)
                to = shifts[i].to;
        }
        d->window = from ? "shifts" : "none";
    }
    if (from == 0 || to <= from)
        return 0;
    d->opens_at = from;
    d->closes_at = to;
    return 1;
}

/* The instants that cut [from, to) into pieces with one count each: its two ends and every start
 * and end of the `n` `shifts` inside it, sorted (in the arena; *nc of them). */
static int64_t *coverage_cuts(cl_arena_t *a, int64_t from, int64_t to, const span_t *shifts,
                              size_t n, size_t *nc)
{
    int64_t *cuts = cl_arena_alloc(a, (2 * n + 2) * sizeof(*cuts));
    *nc = 0;
    cuts[(*nc)++] = from;
    cuts[(*nc)++] = to;
    for (size_t i = 0; i < n; i++) {
        if (shifts[i].from > from && shifts[i].from < to)
            cuts[(*nc)++] = shifts[i].from;
        if (shifts[i].to > from && shifts[i].to < to)
            cuts[(*nc)++] = shifts[i].to;
    }
    qsort(cuts, *nc, sizeof(*cuts), cmp_i64);
    return cuts;
}

/* Fills d->segments over the window of `d`: how many of the `n` `shifts` are on duty in each
 * piece between cuts, neighbours with the same count merged; a piece below the desk's minimum is
 * a gap, and so is the day then. */
static void coverage_segments(cl_arena_t *a, Clinic__ShiftCoverageDay *d, const Clinic__Desk *desk,
                              cl_date_t day, const span_t *shifts, size_t n)
{
    size_t nc, segcap = 0;
    int64_t *cuts = coverage_cuts(a, d->opens_at, d->closes_at, shifts, n, &nc);
    for (size_t i = 0; i + 1 < nc; i++) {
        int64_t s = cuts[i], e = cuts[i + 1];
        if (e <= s)
            continue;
        uint32_t on = 0;
        for (size_t j = 0; j < n; j++)
            on += shifts[j].from <= s && shifts[j].to >= e;
        if (d->n_segments > 0 && d->segments[d->n_segments - 1]->on_duty == on) {
            Clinic__ShiftCoverageSegment *last = d->segments[d->n_segments - 1];
            last->ends_at = e;
            last->end_minute = minute_on(day, e);
            continue;
        }
        Clinic__ShiftCoverageSegment *g = CL_ARENA_NEW(a, Clinic__ShiftCoverageSegment);
        clinic__shift_coverage_segment__init(g);
        g->starts_at = s;
        g->ends_at = e;
        g->start_minute = minute_on(day, s);
        g->end_minute = minute_on(day, e);
        g->on_duty = on;
        g->gap = on < desk->min_staff;
        d->gap = d->gap || g->gap;
        CL_ARENA_RESERVE(a, d->segments, d->n_segments, segcap);
        d->segments[d->n_segments++] = g;
    }
}

int cl_shift_coverage_day(cl_tx_t *tx, const Clinic__Desk *desk, cl_date_t day, int drafts,
                          int64_t fallback_from, int64_t fallback_to,
                          Clinic__ShiftCoverageDay **out)
{
    cl_arena_t *a = &tx->job->arena;
    Clinic__ShiftCoverageDay *d = CL_ARENA_NEW(a, Clinic__ShiftCoverageDay);
    clinic__shift_coverage_day__init(d);
    d->date = cl_sched_date_str(a, day);
    d->desk_id = desk->id;
    d->desk_name = desk->name;
    d->min_staff = desk->min_staff;
    *out = d;

    span_t *shifts;
    size_t n;
    int rc;
    if ((rc = desk_spans_of_day(tx, desk, day, drafts, &shifts, &n)) < 0 ||
        (rc = coverage_window(tx, d, day, shifts, n, fallback_from, fallback_to)) <= 0)
        return rc;
    coverage_segments(a, d, desk, day, shifts, n);
    return 0;
}

int cl_handle_shift_coverage(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftCoverageRequest *req = job->req->shift_coverage;
    Clinic__ShiftCoverageReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ShiftCoverageReply);
    clinic__shift_coverage_reply__init(reply);
    Clinic__Desk **desks = NULL;
    size_t n_desks = 0, cap = 0, cap_days = 0;
    cl_date_t from, to;
    int rc;
    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, cl_sched_today(tx), &from)) <
            0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date, cl_date_add(from, 6), &to)) < 0)
        return rc;
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(from, to) >= CL_SHIFT_COVERAGE_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "at most 31 days at once");
    /* Drafts are the managers' to see. */
    int drafts = req->include_drafts && cl_shift_is_manager(tx);
    if (req->desk_id) {
        desks = cl_arena_alloc(&job->arena, sizeof(*desks));
        rc = req->desk_id <= INT64_MAX ? cl_shift_desk_get(tx, (int64_t)req->desk_id, &desks[0])
                                       : CL_ENOTFOUND;
        if (rc == CL_ENOTFOUND)
            return cl_sched_not_found(job, "desk_id", "desk", req->desk_id);
        if (rc < 0)
            return rc;
        n_desks = 1;
    } else {
        sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int(st, 1, 0);
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(&job->arena, desks, n_desks, cap);
            desks[n_desks++] = cl_shift_desk_from_row(&job->arena, st);
        }
        if (rc < 0)
            return rc;
    }
    for (cl_date_t d = from; cl_date_cmp(d, to) <= 0; d = cl_date_add(d, 1)) {
        int gap = 0;
        for (size_t i = 0; i < n_desks; i++) {
            Clinic__ShiftCoverageDay *day;
            if ((rc = cl_shift_coverage_day(tx, desks[i], d, drafts, 0, 0, &day)) < 0)
                return rc;
            gap = gap || day->gap;
            CL_ARENA_RESERVE(&job->arena, reply->days, reply->n_days, cap_days);
            reply->days[reply->n_days++] = day;
        }
        reply->gaps += (uint32_t)gap;
    }
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_COVERAGE;
    job->resp.shift_coverage = reply;
    return 0;
}

/* ---- time off -------------------------------------------------------------------------------- */

/* Whether taking shift `s` off leaves its desk below its minimum for part of the shift (within
 * the clinic's hours when the day has them): 1 with the message in `why`, 0, or a status. */
static int leaves_desk_short(cl_tx_t *tx, const Clinic__Shift *s, char *why, size_t whylen)
{
    Clinic__Desk *desk;
    Clinic__ShiftCoverageDay *day;
    int rc = cl_shift_desk_get(tx, (int64_t)s->desk_id, &desk);
    if (rc < 0)
        return rc;
    if (!desk->active || desk->min_staff == 0)
        return 0;
    cl_date_t date = cl_date_of(s->starts_at);
    /* Drafts count: they are the plan the manager is publishing. */
    if ((rc = cl_shift_coverage_day(tx, desk, date, 1, s->starts_at, s->ends_at, &day)) < 0)
        return rc;
    for (size_t i = 0; i < day->n_segments; i++) {
        const Clinic__ShiftCoverageSegment *g = day->segments[i];
        if (!g->gap || g->ends_at <= s->starts_at || g->starts_at >= s->ends_at)
            continue;
        int64_t a = g->starts_at > s->starts_at ? g->starts_at : s->starts_at;
        int64_t b = g->ends_at < s->ends_at ? g->ends_at : s->ends_at;
        char span[64];
        cl_sched_span(a, b, date, span, sizeof(span));
        snprintf(why, whylen,
                 "approving this time off leaves %s on %s with %u of the %u needed on duty (%s, "
                 "shift %" PRIu64 " of %s)",
                 desk->name, day->date, g->on_duty, desk->min_staff, span, s->id, s->staff_name);
        return 1;
    }
    return 0;
}

/* The active provider linked to staff member `staff_id`'s user: 0 and *provider set (0 when
 * there is none), or a status. */
static int provider_of_staff(cl_tx_t *tx, int64_t staff_id, int64_t *provider)
{
    int64_t user_id = 0;
    *provider = 0;
    int rc = cl_staff_user(tx, staff_id, &user_id);
    if (rc < 0)
        return rc == CL_ENOTFOUND ? 0 : rc;
    if (user_id == 0)
        return 0;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_PROVIDER_OF_USER);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, user_id);
    rc = cl_db_step(tx->db, st);
    *provider = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* Blocks the provider linked to the requester of time off `r` (if any) for its period. */
static int block_provider(cl_tx_t *tx, const cl_request_t *r)
{
    int64_t provider;
    int rc = provider_of_staff(tx, r->requester, &provider);
    if (rc < 0 || provider == 0)
        return rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_BLOCK_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, provider);
    sqlite3_bind_int64(st, 2, r->starts_at);
    sqlite3_bind_int64(st, 3, r->ends_at);
    sqlite3_bind_text(st, 4, "vacation", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    sqlite3_bind_int64(st, 6, r->id);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (id == 0)
        return CL_EINTERNAL;
    /* As the schedule's own block.add does: an audit row and a "schedule" change. */
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "block.add", "block", (uint64_t)id)) <
        0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "block", (uint64_t)id,
                        CLINIC__CHANGE_OP__CREATED, 0);
}

/* The shifts query `q` finds for time off `r`: ?1 its requester, ?2 and ?3 its period, ?4 its
 * id when `q` takes it. An arena array of *n. */
static int shifts_of_timeoff(cl_tx_t *tx, cl_shift_q_t q, const cl_request_t *r,
                             Clinic__Shift ***out, size_t *n)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cl_shift_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, r->requester);
    sqlite3_bind_int64(st, 2, r->starts_at);
    sqlite3_bind_int64(st, 3, r->ends_at);
    if (sqlite3_bind_parameter_count(st) >= 4)
        sqlite3_bind_int64(st, 4, r->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, *out, *n, cap);
        (*out)[(*n)++] = cl_shift_from_row(a, st);
    }
    return rc < 0 ? rc : 0;
}

int cl_shift_timeoff_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    Clinic__Shift **taken;
    size_t n;
    sqlite3_stmt *st;
    if (r->ends_at <= r->starts_at)
        return cl_job_fail(tx->job, CL_EINVAL, NULL, "the time off ends before it starts");
    int rc = shifts_of_timeoff(tx, CL_SHQ_SHIFT_OF_STAFF_WITHIN, r, &taken, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        Clinic__Shift *s = taken[i];
        int live = strcmp(s->state, CL_SHIFT_PUBLISHED) == 0;
        if ((st = cl_shift_stmt(tx, CL_SHQ_SHIFT_OFF)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)s->id);
        sqlite3_bind_int64(st, 2, r->id);
        sqlite3_bind_int64(st, 3, tx->now);
        sqlite3_bind_int64(st, 4, tx->job->who.user_id);
        if ((rc = cl_db_step_update(tx->db, st)) < 0)
            return rc;
        if (strcmp(s->overtime, "pending") == 0 &&
            (rc = cl_request_withdraw_for(tx, CL_REQ_OVERTIME, (int64_t)s->id,
                                          "the shift was taken off for time off")) < 0)
            return rc;
        if ((rc = cl_shift_withdraw_swaps(tx, s->id)) < 0)
            return rc;
        if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.off", "shift", s->id)) < 0)
            return rc;
        Clinic__Shift *now;
        if ((rc = cl_shift_get(tx, (int64_t)s->id, &now)) < 0)
            return rc;
        if ((rc = cl_shift_announce(tx, now, CLINIC__CHANGE_OP__UPDATED, live, 0)) < 0)
            return rc;
    }
    /* The rest of those weeks, without these hours. */
    if ((rc = cl_shift_weeks_changed(tx, r->requester, taken, n)) < 0)
        return rc;
    /* With every shift of the period off, is any desk short of its minimum? */
    if (!override) {
        char why[512];
        for (size_t i = 0; i < n; i++) {
            if ((rc = leaves_desk_short(tx, taken[i], why, sizeof(why))) < 0)
                return rc;
            if (rc == 1)
                return cl_job_fail(tx->job, CL_ECONFLICT, NULL, why);
        }
    }
    return block_provider(tx, r);
}

/* Cancels the blocks time off `r` made in its requester's provider schedule, each with the
 * schedule's own block.cancel audit row and "schedule" change. */
static int unblock_provider(cl_tx_t *tx, const cl_request_t *r)
{
    int64_t provider;
    int rc = provider_of_staff(tx, r->requester, &provider);
    if (rc < 0 || provider == 0)
        return rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_BLOCKS_CANCEL_FOR);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, provider);
    sqlite3_bind_int64(st, 3, r->starts_at);
    /* The ids first, then an audit row and a change for each. */
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, ids, n, cap);
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "block.cancel", "block",
                                  (uint64_t)ids[i])) < 0 ||
            (rc = cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "block", (uint64_t)ids[i],
                               CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
            return rc;
    }
    return 0;
}

int cl_shift_timeoff_cancel(cl_tx_t *tx, const cl_request_t *r)
{
    Clinic__Shift **taken;
    size_t n;
    sqlite3_stmt *st;
    int rc = shifts_of_timeoff(tx, CL_SHQ_SHIFTS_OFF_FOR, r, &taken, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        Clinic__Shift *s = taken[i];
        /* Approved time off kept the period free of other shifts; should one be there all the
         * same (a database edited by hand), this one stays off rather than overlap it. */
        if ((st = cl_shift_stmt(tx, CL_SHQ_SHIFT_OVERLAP)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)s->staff_id);
        sqlite3_bind_int64(st, 2, s->starts_at);
        sqlite3_bind_int64(st, 3, s->ends_at);
        sqlite3_bind_int64(st, 4, (int64_t)s->id);
        sqlite3_bind_int64(st, 5, 0);
        rc = cl_db_step(tx->db, st);
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if ((st = cl_shift_stmt(tx, CL_SHQ_SHIFT_ON)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)s->id);
        sqlite3_bind_int64(st, 2, tx->now);
        sqlite3_bind_int64(st, 3, tx->job->who.user_id);
        if ((rc = cl_db_step_update(tx->db, st)) < 0)
            return rc;
        if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.on", "shift", s->id)) < 0)
            return rc;
        Clinic__Shift *now;
        if ((rc = cl_shift_get(tx, (int64_t)s->id, &now)) < 0)
            return rc;
        int live = strcmp(now->state, CL_SHIFT_PUBLISHED) == 0;
        if ((rc = cl_shift_announce(tx, now, CLINIC__CHANGE_OP__UPDATED, live, 0)) < 0)
            return rc;
    }
    /* The weeks with these hours back. */
    if ((rc = cl_shift_weeks_changed(tx, r->requester, taken, n)) < 0)
        return rc;
    return unblock_provider(tx, r);
}
