/* Overtime on shifts: how far a shift takes its staff member over the pay policy's daily or
 * weekly limit, flagging it and filing its overtime request for approval (or withdrawing it when
 * the shift no longer goes over), and judging a week's other shifts again when its hours change. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "schedule_int.h"
#include "shifts_int.h"
#include "status.h"

/* Seconds of staff member `staff_id`'s working shifts starting in [from, to) before shift `self`
 * (which starts at `self_start`; of two starting together, the one made first is before). */
static int seconds_within(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int64_t self,
                          int64_t self_start, int64_t *out)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_SECONDS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, self);
    sqlite3_bind_int64(st, 5, self_start);
    int rc = cl_db_step(tx->db, st);
    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* The first day of the overtime week of `day`: weeks begin on the policy anchor's weekday. */
static cl_date_t week_of(const cl_pay_policy_t *p, cl_date_t day)
{
    return cl_date_add(day, -((cl_date_weekday(day) - cl_date_weekday(p->anchor) + 7) % 7));
}

/* Minutes the shift [from, to) of `staff_id` (already in the table as `self`) takes them over
 * the pay policy's daily or weekly limit, counting the hours of their shifts before it in that
 * day and week (so the hours over a limit fall on the shifts that cross it, as the timesheet
 * counts them, and no two shifts are flagged for the same hours): the larger of the two, at
 * most the shift's own length; 0 when within both. A shift counts on the day it starts, and a
 * week begins on the policy anchor's weekday. Real seconds, so a night over a change of the
 * clocks counts the hour it gains or loses. Sets *which to "daily", "weekly" or "daily and
 * weekly". */
static int overtime_minutes(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int64_t self,
                            uint32_t *out, const char **which)
{
    cl_pay_policy_t p;
    int rc = cl_pay_policy(tx, &p);
    *out = 0;
    *which = "";
    if (rc < 0)
        return rc;
    int64_t length = to - from, day_s = 0, week_s = 0, over_day = 0, over_week = 0;
    cl_date_t day = cl_date_of(from);
    if (p.daily_overtime_minutes > 0) {
        int64_t day_from = cl_local_instant(day, 0);
        int64_t day_to = cl_local_instant(cl_date_add(day, 1), 0);
        if ((rc = seconds_within(tx, staff_id, day_from, day_to, self, from, &day_s)) < 0)
            return rc;
        over_day = day_s + length - (int64_t)p.daily_overtime_minutes * 60;
    }
    if (p.weekly_overtime_minutes > 0) {
        cl_date_t first = week_of(&p, day);
        int64_t week_from = cl_local_instant(first, 0);
        int64_t week_to = cl_local_instant(cl_date_add(first, 7), 0);
        if ((rc = seconds_within(tx, staff_id, week_from, week_to, self, from, &week_s)) < 0)
            return rc;
        over_week = week_s + length - (int64_t)p.weekly_overtime_minutes * 60;
    }
    int64_t over = over_day > over_week ? over_day : over_week;
    if (over <= 0)
        return 0;
    if (over > length)
        over = length;
    *out = (uint32_t)((over + 59) / 60);
    *which = over_day > 0 && over_week > 0 ? "daily and weekly" : over_day > 0 ? "daily" : "weekly";
    return 0;
}

/* Sets the shift's overtime columns (without a version change when `bump` is 0). */
static int set_overtime(cl_tx_t *tx, Clinic__Shift *s, const char *state, uint32_t minutes,
                        uint64_t request_id, int bump)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_SET_OVERTIME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)s->id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, minutes);
    sqlite3_bind_int64(st, 4, (int64_t)request_id);
    sqlite3_bind_int(st, 5, bump);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        s->version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    s->overtime = (char *)state;
    s->overtime_minutes = minutes;
    s->overtime_request_id = request_id;
    return rc == 1 ? 0 : CL_EINTERNAL;
}

/* Files the overtime request of shift `s`, over by `minutes` (`which` limit), and flags it. */
static int overtime_file(cl_tx_t *tx, Clinic__Shift *s, uint32_t minutes, const char *which,
                         int bump)
{
    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_OVERTIME;
    r.requester = (int64_t)s->staff_id;
    r.ref_id = (int64_t)s->id;
    r.starts_at = s->starts_at;
    r.ends_at = s->ends_at;
    r.amount = minutes;
    char span[64];
    cl_sched_span(s->starts_at, s->ends_at, cl_date_of(s->starts_at), span, sizeof(span));
    snprintf(r.details, sizeof(r.details),
             "shift %" PRIu64 " at %s on %s %s is %u minutes over the %s overtime limit", s->id,
             s->desk_name, s->date, span, minutes, which);
    int rc = cl_request_submit(tx, &r);
    if (rc < 0)
        return rc;
    return set_overtime(tx, s, "pending", minutes, (uint64_t)r.id, bump);
}

int cl_shift_overtime_update(cl_tx_t *tx, Clinic__Shift *s, int bump)
{
    uint32_t minutes;
    const char *which;
    int rc = overtime_minutes(tx, (int64_t)s->staff_id, s->starts_at, s->ends_at, (int64_t)s->id,
                              &minutes, &which);
    if (rc < 0)
        return rc;
    int pending = strcmp(s->overtime, "pending") == 0;
    int approved = strcmp(s->overtime, "approved") == 0;
    if (minutes == 0) {
        if (pending && (rc = cl_request_withdraw_for(tx, CL_REQ_OVERTIME, (int64_t)s->id,
                                                     "the shift no longer goes over a limit")) < 0)
            return rc;
        if (s->overtime[0] == '\0')
            return 0;
        return set_overtime(tx, s, "", 0, 0, bump);
    }
    if ((pending || approved) && minutes <= s->overtime_minutes &&
        (approved || minutes == s->overtime_minutes))
        return 0;
    if (pending && (rc = cl_request_withdraw_for(tx, CL_REQ_OVERTIME, (int64_t)s->id,
                                                 "the shift changed: filed again")) < 0)
        return rc;
    return overtime_file(tx, s, minutes, which, bump);
}

int cl_shift_changed_hands(cl_tx_t *tx, Clinic__Shift *s)
{
    int rc;
    if (strcmp(s->overtime, "pending") == 0 &&
        (rc = cl_request_withdraw_for(tx, CL_REQ_OVERTIME, (int64_t)s->id,
                                      "the shift went to another staff member")) < 0)
        return rc;
    if (s->overtime[0] == '\0')
        return 0;
    return set_overtime(tx, s, "", 0, 0, 0);
}

/* Judges each of staff member `staff_id`'s working shifts in the week from `first` again but
 * `skip` (the shift just written, which its handler judges itself): one now over a limit is
 * flagged and its request filed, one over by other minutes is filed again, one no longer over
 * has its request withdrawn and its flag cleared (cl_shift_overtime_update; an approved flag
 * stands while its minutes do not grow). Each shift so changed gets an audit row and a live
 * change. */
static int rejudge_week(cl_tx_t *tx, int64_t staff_id, cl_date_t first, int64_t skip)
{
    int64_t from = cl_local_instant(first, 0), to = cl_local_instant(cl_date_add(first, 7), 0);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_OF_STAFF_WITHIN);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    Clinic__Shift **week = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__Shift *s = cl_shift_from_row(&tx->job->arena, st);
        if ((int64_t)s->id == skip || s->starts_at < from)
            continue;
        CL_ARENA_RESERVE(&tx->job->arena, week, n, cap);
        week[n++] = s;
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        Clinic__Shift *s = week[i];
        const char *before = s->overtime;
        uint32_t minutes = s->overtime_minutes;
        if ((rc = cl_shift_overtime_update(tx, s, 1)) < 0)
            return rc;
        if (strcmp(s->overtime, before) == 0 && s->overtime_minutes == minutes)
            continue;
        if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.overtime_rejudged",
                                  "shift", s->id)) < 0 ||
            (rc = cl_shift_announce(tx, s, CLINIC__CHANGE_OP__UPDATED,
                                    strcmp(s->state, CL_SHIFT_PUBLISHED) == 0, 0)) < 0)
            return rc;
    }
    return 0;
}

/* The pay policy, for re-judging: 1 when it has an overtime limit, 0 when it has none (nothing
 * to judge), or a status. */
static int overtime_policy(cl_tx_t *tx, cl_pay_policy_t *p)
{
    int rc = cl_pay_policy(tx, p);
    if (rc < 0)
        return rc;
    return p->daily_overtime_minutes > 0 || p->weekly_overtime_minutes > 0;
}

int cl_shift_rejudge_weeks(cl_tx_t *tx, int64_t a, int64_t a_start, int64_t b, int64_t b_start,
                           int64_t skip)
{
    cl_pay_policy_t p;
    int rc = overtime_policy(tx, &p);
    if (rc <= 0)
        return rc;
    cl_date_t wa = week_of(&p, cl_date_of(a_start)), wb = week_of(&p, cl_date_of(b_start));
    if ((rc = rejudge_week(tx, a, wa, skip)) < 0)
        return rc;
    if (b == 0 || (b == a && cl_date_cmp(wa, wb) == 0))
        return 0;
    return rejudge_week(tx, b, wb, skip);
}

int cl_shift_weeks_changed(cl_tx_t *tx, int64_t staff_id, Clinic__Shift *const *shifts, size_t n)
{
    cl_pay_policy_t p;
    int rc = overtime_policy(tx, &p);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        cl_date_t week = week_of(&p, cl_date_of(shifts[i]->starts_at));
        if (i > 0 && cl_date_cmp(week, week_of(&p, cl_date_of(shifts[i - 1]->starts_at))) == 0)
            continue; /* in start order: a week's shifts come together */
        if ((rc = rejudge_week(tx, staff_id, week, 0)) < 0)
            return rc;
    }
    return 0;
}
