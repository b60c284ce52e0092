/* Staff scheduling: desks, shifts (add, edit, cancel, list), named weekly templates, and
 * publishing a week. A shift is refused with CONFLICT when its staff member already works then
 * or has approved time off; one that takes them over the pay policy's daily or weekly limit is
 * saved flagged and its overtime request filed for approval. Drafts are the managers'; a
 * published shift (and any change to one) is live at once on "shifts" and in its staff member's
 * inbox. The coverage view and time off: shifts_cover.c; swaps: shifts_swap.c; SQL: shifts_db.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "shifts_int.h"
#include "status.h"
#include "topics.h"

/* ---- shared helpers ---------------------------------------------------------------------------
 */

int cl_shift_is_manager(const cl_tx_t *tx)
{
    return cl_auth_allowed(tx->job->who.roles, CL_PERM_SHIFT_SETUP);
}

void cl_shift_redact(Clinic__Shift *s, cl_staff_access_t access)
{
    if (access != CL_STAFF_NONE)
        return;
    s->overtime = "";
    s->overtime_minutes = 0;
    s->overtime_request_id = 0;
    s->timeoff_request_id = 0;
    s->note = "";
}

int cl_shift_tell_staff(cl_tx_t *tx, int64_t staff_id, const char *entity, uint64_t id,
                        Clinic__ChangeOp op)
{
    int64_t user_id = 0;
    int rc = cl_staff_user(tx, staff_id, &user_id);
    if (rc == CL_ENOTFOUND || (rc == 0 && user_id == 0))
        return 0;
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_INBOX_NAME, entity, id, op, user_id);
}

int cl_shift_announce(cl_tx_t *tx, const Clinic__Shift *s, Clinic__ChangeOp op, int live,
                      int64_t other_staff)
{
    int rc;
    if (!live)
        return cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "shift", s->id, op, 0);
    if ((rc = cl_tx_change(tx, CL_TOPIC_SHIFTS_NAME, "shift", s->id, op, 0)) < 0 ||
        (rc = cl_shift_tell_staff(tx, (int64_t)s->staff_id, "shift", s->id, op)) < 0)
        return rc;
    if (other_staff && other_staff != (int64_t)s->staff_id)
        return cl_shift_tell_staff(tx, other_staff, "shift", s->id, op);
    return 0;
}

/* "09:00-17:00" on the shift's day, or with dates when it crosses midnight. */
static void shift_span(const Clinic__Shift *s, char *out, size_t outlen)
{
    cl_sched_span(s->starts_at, s->ends_at, cl_date_of(s->starts_at), out, outlen);
}

int cl_shift_conflict(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int64_t skip1,
                      int64_t skip2, char *why, size_t whylen, Clinic__Shift **with)
{
    int64_t supervisor = 0, request = 0, off_from = 0, off_to = 0;
    int active = 0, rc;
    char name[128] = "", span[64];
    why[0] = '\0';
    if (with)
        *with = NULL;
    rc = cl_staff_brief(tx, staff_id, &supervisor, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND) {
        snprintf(why, whylen, "no staff member with id %" PRId64, staff_id);
        return CL_ENOTFOUND;
    }
    if (rc < 0)
        return rc;
    if (!active) {
        snprintf(why, whylen, "%s has left and cannot get shifts", name);
        return CL_EPRECOND;
    }
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_OVERLAP);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, skip1);
    sqlite3_bind_int64(st, 5, skip2);
    rc = cl_db_step(tx->db, st);
    Clinic__Shift *other = rc == 1 ? cl_shift_from_row(&tx->job->arena, st) : NULL;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (other) {
        shift_span(other, span, sizeof(span));
        snprintf(why, whylen, "%s already has shift %" PRIu64 " at %s on %s %s (%s)", name,
                 other->id, other->desk_name, other->date, span, other->state);
        if (with)
            *with = other;
        return CL_ECONFLICT;
    }
    rc = cl_timeoff_overlapping(tx, staff_id, from, to, &request, &off_from, &off_to);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        char a[11], b[11], ha[6], hb[6];
        cl_date_format(cl_date_of(off_from), a);
        cl_date_format(cl_date_of(off_to), b);
        cl_sched_hhmm(cl_local_minute(off_from), ha);
        cl_sched_hhmm(cl_local_minute(off_to), hb);
        snprintf(why, whylen, "%s has approved time off (request %" PRId64 ") from %s %s to %s %s",
                 name, request, a, ha, b, hb);
        return CL_ECONFLICT;
    }
    return 0;
}

/* The shift's instants from a request's `date` + minutes or `starts_at`/`ends_at`. The field
 * names are those of ShiftAddRequest and ShiftEditRequest. */
static int shift_times(cl_job_t *job, const char *date, uint32_t start_minute, uint32_t end_minute,
                       int64_t starts_at, int64_t ends_at, int64_t *from, int64_t *to)
{
    int rc;
    if (starts_at != 0 || ends_at != 0) {
        if (date[0] != '\0')
            return cl_job_fail(job, CL_EINVAL, "date",
                               "give either date and minutes, or starts_at and ends_at");
        if (starts_at <= 0 || starts_at % 60 != 0)
            return cl_job_fail(job, CL_EINVAL, "starts_at",
                               "starts_at must be a positive instant on a whole minute");
        if (ends_at % 60 != 0)
            return cl_job_fail(job, CL_EINVAL, "ends_at", "ends_at must be on a whole minute");
        *from = starts_at;
        *to = ends_at;
        if (*to <= *from)
            return cl_job_fail(job, CL_EINVAL, "ends_at", "a shift must end after it starts");
    } else {
        cl_date_t d;
        if ((rc = cl_sched_check_date(job, "date", date, &d)) < 0)
            return rc;
        if (start_minute > 1439)
            return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
        if (end_minute > 1440)
            return cl_job_fail(job, CL_EINVAL, "end_minute", "end_minute must be 0-1440");
        *from = cl_local_instant(d, (int)start_minute);
        /* An end not after the start is the next day's: a night shift. */
        *to = end_minute > start_minute ? cl_local_instant(d, (int)end_minute)
                                        : cl_local_instant(cl_date_add(d, 1), (int)end_minute);
    }
    int64_t minutes = (*to - *from) / 60;
    if (minutes < CL_SHIFT_MINUTES_MIN || minutes > CL_SHIFT_MINUTES_MAX) {
        char msg[128];
        snprintf(msg, sizeof(msg),
                 "a shift is %d minutes to %d hours long (this one is %" PRId64 " minutes)",
                 CL_SHIFT_MINUTES_MIN, CL_SHIFT_MINUTES_MAX / 60, minutes);
        return cl_job_fail(job, CL_EINVAL, starts_at ? "ends_at" : "end_minute", msg);
    }
    return 0;
}

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
    shift_span(s, span, sizeof(span));
    snprintf(r.details, sizeof(r.details),
             "shift %" PRIu64 " at %s on %s %s is %u minutes over the %s overtime limit", s->id,
             s->desk_name, s->date, span, minutes, which);
    int rc = cl_request_submit(tx, &r);
    if (rc < 0)
        return rc;
    return set_overtime(tx, s, "pending", minutes, (uint64_t)r.id, bump);
}

/* Brings the overtime flag of shift `s` (just written) up to date: flags it and files a request
 * when it now goes over a limit (withdrawing a pending one for other minutes), clears it when
 * it no longer does. An approved flag stands while the minutes over do not grow. */
static int overtime_update(cl_tx_t *tx, Clinic__Shift *s, int bump)
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
 * has its request withdrawn and its flag cleared (overtime_update; an approved flag stands while
 * its minutes do not grow). Each shift so changed gets an audit row and a live change. */
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
        if ((rc = overtime_update(tx, s, 1)) < 0)
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

/* After a change of hours, the week of `a_start` of staff member `a` and the week of `b_start`
 * of staff member `b` (once when they are the same week of the same person; `b` 0: none) are
 * judged again (rejudge_week), but shift `skip`. */
static int rejudge_weeks(cl_tx_t *tx, int64_t a, int64_t a_start, int64_t b, int64_t b_start,
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

/* Fails the job with the result of cl_shift_conflict on `field` ("staff_id" for a staff
 * member not found or gone; CONFLICT names no field: the other shift or the time off). */
static int conflict_fail(cl_job_t *job, int rc, const char *why)
{
    if (why[0] == '\0')
        return rc;
    if (rc == CL_ENOTFOUND || rc == CL_EPRECOND)
        return cl_job_fail(job, rc, "staff_id", why);
    return cl_job_fail(job, rc, NULL, why);
}

/* Loads an active desk for a new or moved shift; fails the job on "desk_id". */
static int desk_for_use(cl_tx_t *tx, uint64_t id, Clinic__Desk **out)
{
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "desk_id", "desk_id is required");
    int rc = cl_shift_desk_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, "desk_id", "desk", id);
    if (rc < 0)
        return rc;
    if (!(*out)->active) {
        char msg[192];
        snprintf(msg, sizeof(msg), "desk %.128s is not in use (inactive)", (*out)->name);
        return cl_job_fail(tx->job, CL_EPRECOND, "desk_id", msg);
    }
    return 0;
}

/* Inserts a shift and reads it back; files its overtime when over a limit. */
static int shift_insert(cl_tx_t *tx, int64_t staff_id, int64_t desk_id, int64_t from, int64_t to,
                        const char *state, const char *note, Clinic__Shift **out)
{
    char date[11];
    cl_date_format(cl_date_of(from), date);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, desk_id);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    sqlite3_bind_text(st, 5, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, tx->now);
    sqlite3_bind_int64(st, 9, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (id == 0)
        return CL_EINTERNAL;
    if ((rc = cl_shift_get(tx, id, out)) < 0)
        return rc;
    /* Judged itself, then the rest of its week with its hours. */
    if ((rc = overtime_update(tx, *out, 0)) < 0 ||
        (rc = rejudge_weeks(tx, staff_id, from, 0, 0, id)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.add", "shift", (uint64_t)id)) <
        0)
        return rc;
    return cl_shift_announce(tx, *out, CLINIC__CHANGE_OP__CREATED,
                             strcmp(state, CL_SHIFT_PUBLISHED) == 0, 0);
}

/* ---- desks ------------------------------------------------------------------------------------
 */

static int desk_check(cl_job_t *job, const char *name, uint32_t min_staff)
{
    int rc = cl_sched_check_text(job, "name", name, 1, CL_SHIFT_DESK_NAME_MAX);
    if (rc < 0)
        return rc;
    if (min_staff > CL_SHIFT_DESK_MIN_MAX)
        return cl_job_fail(job, CL_EINVAL, "min_staff", "min_staff must be 0-50");
    return 0;
}

static int desk_name_taken(cl_job_t *job, const char *name)
{
    char msg[192];
    snprintf(msg, sizeof(msg), "there is already a desk named %.128s", name);
    return cl_job_fail(job, CL_EEXIST, "name", msg);
}

static int desk_changed(cl_tx_t *tx, const char *action, uint64_t id, Clinic__ChangeOp op)
{
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, "desk", id);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_SHIFTS_NAME, "desk", id, op, 0);
}

int cl_handle_desk_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__DeskAddRequest *req = job->req->desk_add;
    int rc;
    if ((rc = desk_check(job, req->name, req->min_staff)) < 0)
        return rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)req->min_staff);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == CL_EEXIST)
        return desk_name_taken(job, req->name);
    if (rc < 0)
        return rc;
    if ((rc = desk_changed(tx, "desk.add", (uint64_t)id, CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    Clinic__Desk *desk;
    if ((rc = cl_shift_desk_get(tx, id, &desk)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__DeskAddReply)->desk = desk;
    return 0;
}

int cl_handle_desk_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__DeskEditRequest *req = job->req->desk_edit;
    Clinic__Desk *desk;
    char what[160];
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0 ||
        (rc = desk_check(job, req->name, req->min_staff)) < 0)
        return rc;
    rc = cl_shift_desk_get(tx, (int64_t)req->id, &desk);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "desk", req->id);
    if (rc < 0)
        return rc;
    Clinic__DeskEditReply *reply = CL_JOB_REPLY(job, Clinic__DeskEditReply);
    reply->desk = desk;
    snprintf(what, sizeof(what), "desk %.128s", reply->desk->name);
    if (req->version != reply->desk->version)
        return cl_sched_stale(job, what, req->version, reply->desk->version);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)req->min_staff);
    sqlite3_bind_int(st, 4, req->active ? 1 : 0);
    sqlite3_bind_int64(st, 5, (int64_t)req->version);
    rc = cl_db_step_once(tx->db, st);
    if (rc == CL_EEXIST)
        return desk_name_taken(job, req->name);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = desk_changed(tx, "desk.edit", req->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_shift_desk_get(tx, (int64_t)req->id, &reply->desk);
}

int cl_handle_desk_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__DeskListRequest *req = job->req->desk_list;
    Clinic__DeskListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__DeskListReply);
    clinic__desk_list_reply__init(reply);
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_inactive ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->desks, reply->n_desks, cap);
        reply->desks[reply->n_desks++] = cl_shift_desk_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_DESK_LIST;
    job->resp.desk_list = reply;
    return 0;
}

/* ---- shifts -----------------------------------------------------------------------------------
 */

/* Loads the shift a request names; a missing one fails the job on "id". */
static int shift_load(cl_tx_t *tx, uint64_t id, Clinic__Shift **out)
{
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "id", "id is required");
    int rc = cl_shift_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, "id", "shift", id);
    return rc;
}

int cl_handle_shift_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftAddRequest *req = job->req->shift_add;
    Clinic__Desk *desk;
    int64_t from = 0, to = 0;
    char why[320];
    int rc;
    if (req->staff_id == 0 || req->staff_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "staff_id", "staff_id is required");
    if ((rc = shift_times(job, req->date, req->start_minute, req->end_minute, req->starts_at,
                          req->ends_at, &from, &to)) < 0 ||
        (rc = cl_sched_check_text(job, "note", req->note, 0, CL_SHIFT_NOTE_MAX)) < 0 ||
        (rc = desk_for_use(tx, req->desk_id, &desk)) < 0)
        return rc;
    Clinic__ShiftAddReply *reply = CL_JOB_REPLY(job, Clinic__ShiftAddReply);
    rc = cl_shift_conflict(tx, (int64_t)req->staff_id, from, to, 0, 0, why, sizeof(why),
                           &reply->conflict_with);
    if (rc < 0)
        return conflict_fail(job, rc, why);
    return shift_insert(tx, (int64_t)req->staff_id, (int64_t)desk->id, from, to,
                        req->publish ? CL_SHIFT_PUBLISHED : CL_SHIFT_DRAFT, req->note,
                        &reply->shift);
}

/* CONFLICT on "version" with the current record in the reply (already set). */
static int shift_stale(cl_job_t *job, const Clinic__Shift *cur, uint64_t sent)
{
    char what[64];
    snprintf(what, sizeof(what), "shift %" PRIu64, cur->id);
    return cl_sched_stale(job, what, sent, cur->version);
}

/* A shift that is no longer worked (cancelled, off) cannot change. */
static int shift_must_work(cl_job_t *job, const Clinic__Shift *s)
{
    if (strcmp(s->state, CL_SHIFT_DRAFT) == 0 || strcmp(s->state, CL_SHIFT_PUBLISHED) == 0)
        return 0;
    char msg[96];
    snprintf(msg, sizeof(msg), "shift %" PRIu64 " is %s", s->id, s->state);
    return cl_job_fail(job, CL_EPRECOND, "id", msg);
}

int cl_handle_shift_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftEditRequest *req = job->req->shift_edit;
    Clinic__Shift *cur;
    Clinic__Desk *desk;
    int64_t from = 0, to = 0;
    char why[320];
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    if (req->staff_id == 0 || req->staff_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "staff_id", "staff_id is required");
    if ((rc = shift_times(job, req->date, req->start_minute, req->end_minute, req->starts_at,
                          req->ends_at, &from, &to)) < 0 ||
        (rc = cl_sched_check_text(job, "note", req->note, 0, CL_SHIFT_NOTE_MAX)) < 0 ||
        (rc = shift_load(tx, req->id, &cur)) < 0)
        return rc;
    Clinic__ShiftEditReply *reply = CL_JOB_REPLY(job, Clinic__ShiftEditReply);
    reply->shift = cur;
    if (req->version != cur->version)
        return shift_stale(job, cur, req->version);
    if ((rc = shift_must_work(job, cur)) < 0)
        return rc;
    if (req->desk_id == cur->desk_id) {
        if ((rc = cl_shift_desk_get(tx, (int64_t)req->desk_id, &desk)) < 0)
            return rc;
    } else if ((rc = desk_for_use(tx, req->desk_id, &desk)) < 0) {
        return rc;
    }
    rc = cl_shift_conflict(tx, (int64_t)req->staff_id, from, to, (int64_t)cur->id, 0, why,
                           sizeof(why), &reply->conflict_with);
    if (rc < 0)
        return conflict_fail(job, rc, why);

    char date[11];
    cl_date_format(cl_date_of(from), date);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_int64(st, 2, (int64_t)req->staff_id);
    sqlite3_bind_int64(st, 3, (int64_t)desk->id);
    sqlite3_bind_int64(st, 4, from);
    sqlite3_bind_int64(st, 5, to);
    sqlite3_bind_text(st, 6, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, req->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, tx->now);
    sqlite3_bind_int64(st, 9, job->who.user_id);
    sqlite3_bind_int64(st, 10, (int64_t)req->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    int64_t before_staff = (int64_t)cur->staff_id;
    int live = strcmp(cur->state, CL_SHIFT_PUBLISHED) == 0;
    if ((rc = cl_shift_get(tx, (int64_t)cur->id, &reply->shift)) < 0)
        return rc;
    /* Another staff member's shift now: the overtime judged was the previous holder's. */
    if (before_staff != (int64_t)req->staff_id &&
        (rc = cl_shift_changed_hands(tx, reply->shift)) < 0)
        return rc;
    if ((rc = overtime_update(tx, reply->shift, 0)) < 0)
        return rc;
    /* The week it left and the week it joined (another staff member's, perhaps). */
    if ((rc = rejudge_weeks(tx, before_staff, cur->starts_at, (int64_t)req->staff_id, from,
                            (int64_t)cur->id)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift.edit", "shift", cur->id)) < 0)
        return rc;
    return cl_shift_announce(tx, reply->shift, CLINIC__CHANGE_OP__UPDATED, live, before_staff);
}

int cl_shift_withdraw_swaps(cl_tx_t *tx, uint64_t id)
{
    typedef struct {
        int64_t id, proposer, other;
    } gone_t;
    gone_t *gone = NULL;
    size_t n = 0, cap = 0;
    int rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SWAPS_WITHDRAW_FOR);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, tx->now);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, gone, n, cap);
        gone[n].id = sqlite3_column_int64(st, 0);
        gone[n].proposer = sqlite3_column_int64(st, 1);
        gone[n].other = sqlite3_column_int64(st, 2);
        n++;
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = cl_shift_tell_staff(tx, gone[i].proposer, "shift_swap", (uint64_t)gone[i].id,
                                      CLINIC__CHANGE_OP__UPDATED)) < 0 ||
            (rc = cl_shift_tell_staff(tx, gone[i].other, "shift_swap", (uint64_t)gone[i].id,
                                      CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
    return 0;
}

int cl_handle_shift_cancel(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftCancelRequest *req = job->req->shift_cancel;
    Clinic__Shift *cur;
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 0, CL_SHIFT_NOTE_MAX)) < 0 ||
        (rc = shift_load(tx, req->id, &cur)) < 0)
        return rc;
    Clinic__ShiftCancelReply *reply = CL_JOB_REPLY(job, Clinic__ShiftCancelReply);
    reply->shift = cur;
    if (req->version != cur->version)
        return shift_stale(job, cur, req->version);
    if ((rc = shift_must_work(job, cur)) < 0)
        return rc;
    int live = strcmp(cur->state, CL_SHIFT_PUBLISHED) == 0;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_CANCEL);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_text(st, 2, req->reason[0] ? req->reason : cur->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, job->who.user_id);
    sqlite3_bind_int64(st, 5, (int64_t)req->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    /* Its overtime request goes with it, and so do swaps offered on it. */
    if (strcmp(cur->overtime, "pending") == 0 &&
        (rc = cl_request_withdraw_for(tx, CL_REQ_OVERTIME, (int64_t)cur->id,
                                      "the shift was cancelled")) < 0)
        return rc;
    if ((rc = cl_shift_withdraw_swaps(tx, cur->id)) < 0)
        return rc;
    if ((rc = rejudge_weeks(tx, (int64_t)cur->staff_id, cur->starts_at, 0, 0, (int64_t)cur->id)) <
        0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift.cancel", "shift", cur->id)) < 0)
        return rc;
    if ((rc = cl_shift_get(tx, (int64_t)cur->id, &reply->shift)) < 0)
        return rc;
    return cl_shift_announce(tx, reply->shift, CLINIC__CHANGE_OP__UPDATED, live, 0);
}

/* How the reader stands to each staff member met in a list, asked once per staff member. */
typedef struct {
    int64_t staff_id;
    cl_staff_access_t access;
} access_memo_t;

typedef struct {
    access_memo_t *items;
    size_t n, cap;
} access_cache_t;

static cl_staff_access_t access_of(cl_tx_t *tx, access_cache_t *c, int64_t staff_id)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].staff_id == staff_id)
            return c->items[i].access;
    cl_staff_access_t a = cl_staff_access(tx, staff_id);
    CL_ARENA_RESERVE(&tx->job->arena, c->items, c->n, c->cap);
    c->items[c->n++] = (access_memo_t){staff_id, a};
    return a;
}

int cl_handle_shift_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftListRequest *req = job->req->shift_list;
    Clinic__ShiftListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ShiftListReply);
    clinic__shift_list_reply__init(reply);
    access_cache_t cache = {0};
    int manager = cl_shift_is_manager(tx);
    size_t cap = 0;
    int rc;

    if (req->id != 0) {
        Clinic__Shift *s;
        if ((rc = shift_load(tx, req->id, &s)) < 0)
            return rc;
        cl_staff_access_t a =
            manager ? CL_STAFF_MANAGER : access_of(tx, &cache, (int64_t)s->staff_id);
        int seen = strcmp(s->state, CL_SHIFT_PUBLISHED) == 0 ||
                   (a != CL_STAFF_NONE && strcmp(s->state, CL_SHIFT_DRAFT) != 0) || manager;
        if (!seen)
            return cl_sched_not_found(job, "id", "shift", req->id);
        cl_shift_redact(s, a);
        reply->shifts = cl_arena_alloc(&job->arena, sizeof(*reply->shifts));
        reply->shifts[reply->n_shifts++] = s;
    } else {
        cl_date_t from, to;
        char a[11], b[11];
        if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, cl_sched_today(tx),
                                         &from)) < 0 ||
            (rc = cl_sched_check_date_or(job, "to_date", req->to_date, cl_date_add(from, 6), &to)) <
                0)
            return rc;
        if (cl_date_cmp(to, from) < 0)
            return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
        if (cl_date_diff(from, to) >= CL_SHIFT_LIST_DAYS_MAX)
            return cl_job_fail(job, CL_EINVAL, "to_date", "at most 92 days at once");
        if (req->staff_id > INT64_MAX || req->desk_id > INT64_MAX)
            return cl_job_fail(job, CL_EINVAL, req->staff_id > INT64_MAX ? "staff_id" : "desk_id",
                               "out of range");
        cl_date_format(from, a);
        cl_date_format(to, b);
        sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)req->staff_id);
        sqlite3_bind_int64(st, 4, (int64_t)req->desk_id);
        sqlite3_bind_int(st, 5, req->include_cancelled ? 1 : 0);
        sqlite3_bind_int(st, 6, manager);
        /* Rows first, then the access of each staff member met: cl_staff_access runs its own
         * statements, which must not interleave with this one's steps. */
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            if (reply->n_shifts == CL_SHIFT_LIST_MAX) {
                sqlite3_reset(st);
                return cl_job_fail(job, CL_EEXHAUSTED, "to_date",
                                   "more than 5000 shifts: ask for fewer days");
            }
            CL_ARENA_RESERVE(&job->arena, reply->shifts, reply->n_shifts, cap);
            reply->shifts[reply->n_shifts++] = cl_shift_from_row(&job->arena, st);
        }
        if (rc < 0)
            return rc;
        size_t kept = 0;
        for (size_t i = 0; i < reply->n_shifts; i++) {
            Clinic__Shift *s = reply->shifts[i];
            cl_staff_access_t acc =
                manager ? CL_STAFF_MANAGER : access_of(tx, &cache, (int64_t)s->staff_id);
            /* Others' shifts taken off or cancelled say something of them: only for those who
             * may see their records. */
            if (!manager && strcmp(s->state, CL_SHIFT_PUBLISHED) != 0 && acc == CL_STAFF_NONE)
                continue;
            cl_shift_redact(s, acc);
            reply->shifts[kept++] = s;
        }
        reply->n_shifts = kept;
    }
    /* One row per read; its id is the staff member asked for (0: everyone's). */
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift.list", "shift",
                              req->id ? req->id : req->staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_LIST;
    job->resp.shift_list = reply;
    return 0;
}

/* ---- publishing a week ------------------------------------------------------------------------
 */

int cl_handle_shift_week_publish(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftWeekPublishRequest *req = job->req->shift_week_publish;
    cl_date_t first;
    char a[11], b[11];
    int rc;
    if ((rc = cl_sched_check_date(job, "week_start", req->week_start, &first)) < 0)
        return rc;
    cl_date_format(first, a);
    cl_date_format(cl_date_add(first, 6), b);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_PUBLISH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, job->who.user_id);
    int64_t *ids = NULL, *staff = NULL;
    size_t n = 0, cap = 0, cap2 = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        size_t m = n;
        CL_ARENA_RESERVE(&job->arena, ids, n, cap);
        CL_ARENA_RESERVE(&job->arena, staff, m, cap2);
        ids[n] = sqlite3_column_int64(st, 0);
        staff[n] = sqlite3_column_int64(st, 1);
        n++;
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cl_tx_change(tx, CL_TOPIC_SHIFTS_NAME, "shift", (uint64_t)ids[i],
                               CLINIC__CHANGE_OP__UPDATED, 0)) < 0 ||
            (rc = cl_shift_tell_staff(tx, staff[i], "shift", (uint64_t)ids[i],
                                      CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
    }
    if ((st = cl_shift_stmt(tx, CL_SHQ_WEEK_UPSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int64(st, 3, job->who.user_id);
    sqlite3_bind_int64(st, 4, (int64_t)n);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    uint64_t week =
        (uint64_t)first.year * 10000u + (uint64_t)first.month * 100u + (uint64_t)first.day;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift_week.publish", "shift_week",
                              week)) < 0)
        return rc;
    Clinic__ShiftWeekPublishReply *reply = CL_JOB_REPLY(job, Clinic__ShiftWeekPublishReply);
    reply->week_start = cl_arena_strdup(&job->arena, a);
    reply->published = (uint32_t)n;
    reply->published_at = tx->now;
    reply->published_by = cl_arena_strdup(&job->arena, job->who.username);
    return 0;
}

/* ---- templates --------------------------------------------------------------------------------
 */

/* Template `name`: 0 with *id and *version (0 and 0 when there is none) or a status. */
static int template_find(cl_tx_t *tx, const char *name, int64_t *id, uint64_t *version)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    *version = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 2) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* The template's rows, in the arena. */
static int template_load(cl_tx_t *tx, int64_t id, const char *name, uint64_t version,
                         Clinic__ShiftTemplate **out)
{
    cl_arena_t *a = &tx->job->arena;
    Clinic__ShiftTemplate *t = CL_ARENA_NEW(a, Clinic__ShiftTemplate);
    clinic__shift_template__init(t);
    t->name = cl_arena_strdup(a, name);
    t->version = version;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROWS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__ShiftTemplateRow *r = CL_ARENA_NEW(a, Clinic__ShiftTemplateRow);
        clinic__shift_template_row__init(r);
        r->weekday = (uint32_t)sqlite3_column_int(st, 0);
        r->start_minute = (uint32_t)sqlite3_column_int(st, 1);
        r->end_minute = (uint32_t)sqlite3_column_int(st, 2);
        r->desk_id = (uint64_t)sqlite3_column_int64(st, 3);
        r->desk_name = cl_arena_strdup(a, cl_db_text(st, 4));
        r->staff_id = (uint64_t)sqlite3_column_int64(st, 5);
        r->staff_name = cl_arena_strdup(a, cl_db_text(st, 6));
        CL_ARENA_RESERVE(a, t->rows, t->n_rows, cap);
        t->rows[t->n_rows++] = r;
    }
    *out = t;
    return rc < 0 ? rc : 0;
}

/* Checks one row of a template being set; fails the job on "rows[i].<field>". */
static int template_row_check(cl_tx_t *tx, size_t i, const Clinic__ShiftTemplateRow *r)
{
    char field[48], msg[192];
    int64_t supervisor;
    int active, rc;
    char name[128];
    if (r->weekday > 6) {
        snprintf(field, sizeof(field), "rows[%zu].weekday", i);
        return cl_job_fail(tx->job, CL_EINVAL, field, "weekday must be 0 (Sunday) to 6");
    }
    if (r->start_minute > 1439) {
        snprintf(field, sizeof(field), "rows[%zu].start_minute", i);
        return cl_job_fail(tx->job, CL_EINVAL, field, "start_minute must be 0-1439");
    }
    uint32_t len = r->end_minute > r->start_minute ? r->end_minute - r->start_minute
                                                   : r->end_minute + 1440 - r->start_minute;
    if (r->end_minute > 1440 || len < CL_SHIFT_MINUTES_MIN || len > CL_SHIFT_MINUTES_MAX) {
        snprintf(field, sizeof(field), "rows[%zu].end_minute", i);
        return cl_job_fail(tx->job, CL_EINVAL, field,
                           "end_minute must be 0-1440, for a shift of 15 minutes to 16 hours");
    }
    Clinic__Desk *desk;
    snprintf(field, sizeof(field), "rows[%zu].desk_id", i);
    rc = r->desk_id && r->desk_id <= INT64_MAX ? cl_shift_desk_get(tx, (int64_t)r->desk_id, &desk)
                                               : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "desk", r->desk_id);
    if (rc < 0)
        return rc;
    snprintf(field, sizeof(field), "rows[%zu].staff_id", i);
    rc = r->staff_id && r->staff_id <= INT64_MAX
             ? cl_staff_brief(tx, (int64_t)r->staff_id, &supervisor, &active, name, sizeof(name))
             : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "staff member", r->staff_id);
    if (rc < 0)
        return rc;
    if (!active) {
        snprintf(msg, sizeof(msg), "%s has left and cannot get shifts", name);
        return cl_job_fail(tx->job, CL_EPRECOND, field, msg);
    }
    return 0;
}

int cl_handle_shift_template_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateSetRequest *req = job->req->shift_template_set;
    int64_t id;
    uint64_t version;
    int rc;
    if ((rc = cl_sched_check_text(job, "name", req->name, 1, CL_SHIFT_TEMPLATE_NAME_MAX)) < 0)
        return rc;
    if (req->n_rows > CL_SHIFT_TEMPLATE_ROWS_MAX)
        return cl_job_fail(job, CL_EINVAL, "rows", "a template has at most 500 rows");
    for (size_t i = 0; i < req->n_rows; i++)
        if ((rc = template_row_check(tx, i, req->rows[i])) < 0)
            return rc;
    if ((rc = template_find(tx, req->name, &id, &version)) < 0)
        return rc;
    Clinic__ShiftTemplateSetReply *reply = CL_JOB_REPLY(job, Clinic__ShiftTemplateSetReply);
    if (req->version != version) {
        if ((rc = template_load(tx, id, req->name, version, &reply->template_)) < 0)
            return rc;
        char what[128];
        snprintf(what, sizeof(what), "template %.64s", req->name);
        if (version == 0) {
            snprintf(what, sizeof(what), "no template named %.64s (version 0 makes one)",
                     req->name);
            return cl_job_fail(job, CL_ENOTFOUND, "name", what);
        }
        return cl_sched_stale(job, what, req->version, version);
    }
    sqlite3_stmt *st;
    if (id) {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROWS_DELETE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    if (req->n_rows == 0) {
        if (id == 0)
            return cl_job_fail(job, CL_EINVAL, "rows", "a new template needs rows");
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_DELETE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    } else if (id) {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_UPDATE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, tx->now);
        sqlite3_bind_int64(st, 3, job->who.user_id);
        sqlite3_bind_int64(st, 4, (int64_t)version);
        rc = cl_db_step(tx->db, st);
        version = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
    } else {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, req->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, tx->now);
        sqlite3_bind_int64(st, 3, job->who.user_id);
        rc = cl_db_step(tx->db, st);
        id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
        version = 1;
    }
    for (size_t i = 0; i < req->n_rows; i++) {
        const Clinic__ShiftTemplateRow *r = req->rows[i];
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROW_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, (int)r->weekday);
        sqlite3_bind_int(st, 3, (int)r->start_minute);
        sqlite3_bind_int(st, 4, (int)r->end_minute);
        sqlite3_bind_int64(st, 5, (int64_t)r->desk_id);
        sqlite3_bind_int64(st, 6, (int64_t)r->staff_id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift_template.set", "shift_template",
                              (uint64_t)id)) < 0 ||
        (rc = cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "shift_template", (uint64_t)id,
                           req->n_rows ? CLINIC__CHANGE_OP__UPDATED : CLINIC__CHANGE_OP__DELETED,
                           0)) < 0)
        return rc;
    if (req->n_rows == 0) {
        reply->template_ = CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplate);
        clinic__shift_template__init(reply->template_);
        return 0;
    }
    return template_load(tx, id, req->name, version, &reply->template_);
}

int cl_handle_shift_template_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateListRequest *req = job->req->shift_template_list;
    Clinic__ShiftTemplateListReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateListReply);
    clinic__shift_template_list_reply__init(reply);
    typedef struct {
        int64_t id;
        char *name;
        uint64_t version;
    } head_t;
    head_t *heads = NULL;
    size_t n = 0, cap = 0;
    int rc;
    if (req->name[0]) {
        int64_t id;
        uint64_t version;
        if ((rc = template_find(tx, req->name, &id, &version)) < 0)
            return rc;
        if (id == 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "no template named %.64s", req->name);
            return cl_job_fail(job, CL_ENOTFOUND, "name", msg);
        }
        heads = cl_arena_alloc(&job->arena, sizeof(*heads));
        heads[n++] = (head_t){id, req->name, version};
    } else {
        sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(&job->arena, heads, n, cap);
            heads[n++] = (head_t){sqlite3_column_int64(st, 0),
                                  cl_arena_strdup(&job->arena, cl_db_text(st, 1)),
                                  (uint64_t)sqlite3_column_int64(st, 2)};
        }
        if (rc < 0)
            return rc;
    }
    reply->templates = cl_arena_alloc(&job->arena, (n ? n : 1) * sizeof(*reply->templates));
    for (size_t i = 0; i < n; i++)
        if ((rc = template_load(tx, heads[i].id, heads[i].name, heads[i].version,
                                &reply->templates[reply->n_templates++])) < 0)
            return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_TEMPLATE_LIST;
    job->resp.shift_template_list = reply;
    return 0;
}

int cl_handle_shift_template_apply(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateApplyRequest *req = job->req->shift_template_apply;
    Clinic__ShiftTemplateApplyReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateApplyReply);
    clinic__shift_template_apply_reply__init(reply);
    Clinic__ShiftTemplate *t;
    cl_date_t first;
    int64_t id;
    uint64_t version;
    size_t cap_created = 0, cap_skipped = 0;
    char why[320];
    int rc;
    if ((rc = cl_sched_check_text(job, "name", req->name, 1, CL_SHIFT_TEMPLATE_NAME_MAX)) < 0 ||
        (rc = cl_sched_check_date(job, "week_start", req->week_start, &first)) < 0 ||
        (rc = template_find(tx, req->name, &id, &version)) < 0)
        return rc;
    if (id == 0) {
        snprintf(why, sizeof(why), "no template named %.64s", req->name);
        return cl_job_fail(job, CL_ENOTFOUND, "name", why);
    }
    if ((rc = template_load(tx, id, req->name, version, &t)) < 0)
        return rc;
    for (size_t i = 0; i < t->n_rows; i++) {
        const Clinic__ShiftTemplateRow *r = t->rows[i];
        cl_date_t day = cl_date_add(first, ((int)r->weekday - cl_date_weekday(first) + 7) % 7);
        int64_t from = cl_local_instant(day, (int)r->start_minute);
        int64_t to = r->end_minute > r->start_minute
                         ? cl_local_instant(day, (int)r->end_minute)
                         : cl_local_instant(cl_date_add(day, 1), (int)r->end_minute);
        Clinic__Desk *desk;
        if ((rc = cl_shift_desk_get(tx, (int64_t)r->desk_id, &desk)) < 0)
            return rc;
        if (!desk->active) {
            snprintf(why, sizeof(why), "desk %s is not in use (inactive)", desk->name);
            rc = CL_EPRECOND;
        } else {
            rc =
                cl_shift_conflict(tx, (int64_t)r->staff_id, from, to, 0, 0, why, sizeof(why), NULL);
            if (rc < 0 && why[0] == '\0')
                return rc;
        }
        if (rc < 0) {
            Clinic__ShiftTemplateSkip *s = CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateSkip);
            clinic__shift_template_skip__init(s);
            s->row = (uint32_t)i;
            s->date = cl_sched_date_str(&job->arena, day);
            s->staff_id = r->staff_id;
            s->staff_name = r->staff_name;
            s->desk_name = r->desk_name;
            s->reason = cl_arena_strdup(&job->arena, why);
            CL_ARENA_RESERVE(&job->arena, reply->skipped, reply->n_skipped, cap_skipped);
            reply->skipped[reply->n_skipped++] = s;
            continue;
        }
        Clinic__Shift *made;
        if ((rc = shift_insert(tx, (int64_t)r->staff_id, (int64_t)r->desk_id, from, to,
                               CL_SHIFT_DRAFT, "", &made)) < 0)
            return rc;
        CL_ARENA_RESERVE(&job->arena, reply->created, reply->n_created, cap_created);
        reply->created[reply->n_created++] = made;
    }
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_TEMPLATE_APPLY;
    job->resp.shift_template_apply = reply;
    return 0;
}
