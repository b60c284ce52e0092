/* Staff scheduling: desks and shifts (add, edit, cancel, list). A shift is refused with CONFLICT
 * when its staff member already works then or has approved time off; one that takes them over the
 * pay policy's daily or weekly limit is saved flagged and its overtime request filed for approval
 * (shifts_overtime.c). Drafts are the managers'; a published shift (and any change to one) is live
 * at once on "shifts" and in its staff member's inbox. Templates and publishing a week:
 * shifts_template.c; the coverage view and time off: shifts_cover.c; swaps: shifts_swap.c; SQL:
 * shifts_db.c. */
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

/* ---- shared helpers -------------------------------------------------------------------------- */

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

int cl_shift_insert(cl_tx_t *tx, int64_t staff_id, int64_t desk_id, int64_t from, int64_t to,
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
    if ((rc = cl_shift_overtime_update(tx, *out, 0)) < 0 ||
        (rc = cl_shift_rejudge_weeks(tx, staff_id, from, 0, 0, id)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.add", "shift", (uint64_t)id)) <
        0)
        return rc;
    return cl_shift_announce(tx, *out, CLINIC__CHANGE_OP__CREATED,
                             strcmp(state, CL_SHIFT_PUBLISHED) == 0, 0);
}

/* ---- desks ----------------------------------------------------------------------------------- */

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

/* ---- shifts ---------------------------------------------------------------------------------- */

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
    return cl_shift_insert(tx, (int64_t)req->staff_id, (int64_t)desk->id, from, to,
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
    if ((rc = cl_shift_overtime_update(tx, reply->shift, 0)) < 0)
        return rc;
    /* The week it left and the week it joined (another staff member's, perhaps). */
    if ((rc = cl_shift_rejudge_weeks(tx, before_staff, cur->starts_at, (int64_t)req->staff_id, from,
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
    if ((rc = cl_shift_rejudge_weeks(tx, (int64_t)cur->staff_id, cur->starts_at, 0, 0,
                                     (int64_t)cur->id)) < 0)
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

/* The one shift `id` into the reply. A shift the reader may not see is NOT_FOUND, as if it did not
 * exist: a draft but to managers, and one taken off or cancelled but to those who see its staff
 * member's record. */
static int shift_list_one(cl_tx_t *tx, uint64_t id, int manager, access_cache_t *cache,
                          Clinic__ShiftListReply *reply)
{
    Clinic__Shift *s;
    int rc;
    if ((rc = shift_load(tx, id, &s)) < 0)
        return rc;
    cl_staff_access_t a = manager ? CL_STAFF_MANAGER : access_of(tx, cache, (int64_t)s->staff_id);
    int seen = strcmp(s->state, CL_SHIFT_PUBLISHED) == 0 ||
               (a != CL_STAFF_NONE && strcmp(s->state, CL_SHIFT_DRAFT) != 0) || manager;
    if (!seen)
        return cl_sched_not_found(tx->job, "id", "shift", id);
    cl_shift_redact(s, a);
    reply->shifts = cl_arena_alloc(&tx->job->arena, sizeof(*reply->shifts));
    reply->shifts[reply->n_shifts++] = s;
    return 0;
}

/* The days a list asks for, checked into [*from, *to]: from today for a week by default, at most
 * CL_SHIFT_LIST_DAYS_MAX days; and its staff and desk filters' range. */
static int shift_list_dates(cl_tx_t *tx, const Clinic__ShiftListRequest *req, cl_date_t *from,
                            cl_date_t *to)
{
    cl_job_t *job = tx->job;
    int rc;
    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, cl_sched_today(tx), from)) <
            0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date, cl_date_add(*from, 6), to)) < 0)
        return rc;
    if (cl_date_cmp(*to, *from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(*from, *to) >= CL_SHIFT_LIST_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "at most 92 days at once");
    if (req->staff_id > INT64_MAX || req->desk_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, req->staff_id > INT64_MAX ? "staff_id" : "desk_id",
                           "out of range");
    return 0;
}

/* The shifts of [from, to] that the request's filters select (drafts only for a manager) into
 * the reply, in start order; RESOURCE_EXHAUSTED beyond CL_SHIFT_LIST_MAX. */
static int shift_list_rows(cl_tx_t *tx, const Clinic__ShiftListRequest *req, cl_date_t from,
                           cl_date_t to, int manager, Clinic__ShiftListReply *reply)
{
    char a[11], b[11];
    size_t cap = 0;
    int rc;
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
    /* Rows first, then the access of each staff member met (shift_list_visible): cl_staff_access
     * runs its own statements, which must not interleave with this one's steps. */
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        if (reply->n_shifts == CL_SHIFT_LIST_MAX) {
            sqlite3_reset(st);
            return cl_job_fail(tx->job, CL_EEXHAUSTED, "to_date",
                               "more than 5000 shifts: ask for fewer days");
        }
        CL_ARENA_RESERVE(&tx->job->arena, reply->shifts, reply->n_shifts, cap);
        reply->shifts[reply->n_shifts++] = cl_shift_from_row(&tx->job->arena, st);
    }
    return rc < 0 ? rc : 0;
}

/* Keeps of the reply's shifts those the reader may see, each redacted for them. */
static void shift_list_visible(cl_tx_t *tx, int manager, access_cache_t *cache,
                               Clinic__ShiftListReply *reply)
{
    size_t kept = 0;
    for (size_t i = 0; i < reply->n_shifts; i++) {
        Clinic__Shift *s = reply->shifts[i];
        cl_staff_access_t acc =
            manager ? CL_STAFF_MANAGER : access_of(tx, cache, (int64_t)s->staff_id);
        /* Others' shifts taken off or cancelled say something of them: only for those who
         * may see their records. */
        if (!manager && strcmp(s->state, CL_SHIFT_PUBLISHED) != 0 && acc == CL_STAFF_NONE)
            continue;
        cl_shift_redact(s, acc);
        reply->shifts[kept++] = s;
    }
    reply->n_shifts = kept;
}

/* One shift by id, or the shifts of some days (a week from today by default), as the reader may
 * see them. */
int cl_handle_shift_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftListRequest *req = job->req->shift_list;
    Clinic__ShiftListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ShiftListReply);
    clinic__shift_list_reply__init(reply);
    access_cache_t cache = {0};
    int manager = cl_shift_is_manager(tx);
    cl_date_t from, to;
    int rc;

    if (req->id != 0) {
        if ((rc = shift_list_one(tx, req->id, manager, &cache, reply)) < 0)
            return rc;
    } else {
        if ((rc = shift_list_dates(tx, req, &from, &to)) < 0 ||
            (rc = shift_list_rows(tx, req, from, to, manager, reply)) < 0)
            return rc;
        shift_list_visible(tx, manager, &cache, reply);
    }
    /* One row per read; its id is the staff member asked for (0: everyone's). */
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift.list", "shift",
                              req->id ? req->id : req->staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_LIST;
    job->resp.shift_list = reply;
    return 0;
}
