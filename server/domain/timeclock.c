/* The time clock: clocking in and out and breaks (always the logged-in user's own, from the
 * workstation they sit at), a staff member's clock status and punches, timesheet corrections
 * filed as requests of the approvals workflow and written, once approved, as a new version of the
 * punch with the old one kept in its history; and the pay policy. Every punch write appends an
 * audit row on the punch, a "timeclock" change and one to the staff member's own inbox; every
 * read of someone's punches appends an audit row on their timesheet. SQL: timeclock_db.c;
 * timesheets and their export: timeclock_sheet.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "status.h"
#include "timeclock_int.h"
#include "topics.h"

enum {
    STAFF_NAME_MAX = 128,
    REASON_MAX = 1000,
    PUNCH_MAX_SECONDS = 24 * 3600, /* a corrected punch longer than a day is a typing error */
    LIST_DAYS_DEFAULT = 14,
    LIST_DAYS_MAX = 92,
};

/* "2024-03-10 08:02", clinic-local. */
static void local_text(int64_t t, char out[24])
{
    char date[11];
    unsigned minute = (unsigned)cl_local_minute(t) % 1440;
    cl_date_format(cl_date_of(t), date);
    snprintf(out, 24, "%.10s %02u:%02u", date, minute / 60, minute % 60);
}

/* ---- the contract (staff_int.h) ---- */

int cl_pay_policy(cl_tx_t *tx, cl_pay_policy_t *out)
{
    return cl_tc_db_policy(tx, out, NULL, NULL, NULL);
}

/* ---- whose clock ---- */

/* The logged-in user's staff member, for the clock (and whether they are still employed). */
static int self_staff(cl_tx_t *tx, int64_t *staff_id)
{
    cl_job_t *job = tx->job;
    int rc = cl_staff_of_user(tx, job->who.user_id, staff_id);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(
            job, CL_EPRECOND, NULL,
            "your user account is not a staff member's: the time clock is for staff");
    if (rc < 0)
        return rc;
    int64_t supervisor;
    int active = 0;
    char name[STAFF_NAME_MAX];
    rc = cl_staff_brief(tx, *staff_id, &supervisor, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(job, CL_EPRECOND, NULL, "your staff record is missing");
    if (rc < 0)
        return rc;
    if (!active)
        return cl_job_fail(job, CL_EPRECOND, NULL,
                           "your staff record is marked as left: the clock is closed to you");
    return 0;
}

int cl_tc_reader_staff(cl_tx_t *tx, uint64_t requested, int64_t *staff_id, char *name,
                       size_t namelen)
{
    cl_job_t *job = tx->job;
    char msg[96];
    int rc;
    if (requested > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "staff_id", "staff_id is out of range");
    if (requested == 0) {
        rc = cl_staff_of_user(tx, job->who.user_id, staff_id);
        if (rc == CL_ENOTFOUND)
            return cl_job_fail(job, CL_EINVAL, "staff_id",
                               "your user account is not a staff member's: name a staff_id");
        if (rc < 0)
            return rc;
    } else {
        *staff_id = (int64_t)requested;
    }
    int64_t supervisor;
    int active;
    rc = cl_staff_brief(tx, *staff_id, &supervisor, &active, name, namelen);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no staff member %" PRId64, *staff_id);
        return cl_job_fail(job, CL_ENOTFOUND, "staff_id", msg);
    }
    if (rc < 0)
        return rc;
    if (cl_staff_access(tx, *staff_id) == CL_STAFF_NONE)
        return cl_job_fail(job, CL_EPERM, "staff_id",
                           "you may see only your own time and your reports'");
    return 0;
}

/* The audit row, the "timeclock" change and the staff member's own inbox change of a write to
 * punch `id`. */
static int punch_record(cl_tx_t *tx, const char *action, int64_t staff_id, int64_t id,
                        Clinic__ChangeOp op)
{
    int64_t user_id = 0;
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, "punch", (uint64_t)id);
    if (rc < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_TIMECLOCK_NAME, "punch", (uint64_t)id, op, 0)) < 0)
        return rc;
    rc = cl_staff_user(tx, staff_id, &user_id);
    if (rc < 0 && rc != CL_ENOTFOUND)
        return rc;
    if (user_id > 0)
        return cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "punch", (uint64_t)id, op, user_id);
    return 0;
}

/* The staff member's open punch, or a failure naming `what` needs one. */
static int open_punch_needed(cl_tx_t *tx, int64_t staff_id, const char *what, Clinic__Punch **out)
{
    int rc = cl_tc_db_open_punch(tx, staff_id, out);
    if (rc < 0)
        return rc;
    if (*out == NULL) {
        char msg[128];
        snprintf(msg, sizeof(msg), "you are not clocked in: %s needs an open punch", what);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    return 0;
}

/* The open break of a punch, or NULL. */
static const Clinic__PunchBreak *open_break(const Clinic__Punch *p)
{
    for (size_t i = 0; i < p->n_breaks; i++)
        if (p->breaks[i]->end_at == 0)
            return p->breaks[i];
    return NULL;
}

/* ---- clock in, clock out, breaks ---- */

int cl_handle_clock_in(cl_tx_t *tx, cl_job_t *job)
{
    int64_t staff_id, id;
    Clinic__Punch *open;
    char when[24], msg[256];
    int rc;

    if ((rc = self_staff(tx, &staff_id)) < 0)
        return rc;
    if ((rc = cl_tc_db_open_punch(tx, staff_id, &open)) < 0)
        return rc;
    if (open != NULL) {
        local_text(open->in_at, when);
        snprintf(msg, sizeof(msg),
                 "you are already clocked in since %s (punch %" PRIu64 "%s%.64s): clock out first",
                 when, open->id, open->in_workstation[0] ? ", at " : "", open->in_workstation);
        return cl_job_fail(job, CL_EPRECOND, NULL, msg);
    }
    rc = cl_tc_db_clock_in(tx, staff_id, &id);
    if (rc == CL_EEXIST) /* punches_one_open: cannot happen after the read, but the index rules */
        return cl_job_fail(job, CL_EPRECOND, NULL, "you are already clocked in");
    if (rc < 0)
        return rc;
    if ((rc = punch_record(tx, "clock.in", staff_id, id, CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    Clinic__Punch *punch;
    if ((rc = cl_tc_db_punch(tx, id, 0, &punch)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__ClockInReply)->punch = punch;
    return 0;
}

/* Clocking out during a break ends the break at the same instant: the staff member is leaving,
 * and a break left open would only need a correction later. */
int cl_handle_clock_out(cl_tx_t *tx, cl_job_t *job)
{
    int64_t staff_id;
    Clinic__Punch *open;
    cl_pay_policy_t policy;
    int rc;

    if ((rc = self_staff(tx, &staff_id)) < 0)
        return rc;
    if ((rc = open_punch_needed(tx, staff_id, "clocking out", &open)) < 0)
        return rc;
    int break_ended = open_break(open) != NULL;
    if ((rc = cl_tc_db_clock_out(tx, (int64_t)open->id)) < 0)
        return rc;
    if ((rc = punch_record(tx, "clock.out", staff_id, (int64_t)open->id,
                           CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    if ((rc = cl_pay_policy(tx, &policy)) < 0)
        return rc;

    Clinic__Punch *punch;
    if ((rc = cl_tc_db_punch(tx, (int64_t)open->id, 0, &punch)) < 0)
        return rc;
    Clinic__ClockOutReply *reply = CL_JOB_REPLY(job, Clinic__ClockOutReply);
    reply->punch = punch;
    const Clinic__Punch *p = punch;
    cl_tc_break_t *breaks = cl_arena_alloc(&job->arena, (p->n_breaks + 1) * sizeof(*breaks));
    for (size_t i = 0; i < p->n_breaks; i++)
        breaks[i] =
            (cl_tc_break_t){p->breaks[i]->start_at, p->breaks[i]->end_at, p->breaks[i]->paid};
    cl_tc_punch_t in = {(int64_t)p->id, p->in_at, p->out_at, breaks, p->n_breaks};
    int64_t worked = cl_tc_punch_worked(&policy, &in, tx->now, NULL, NULL, NULL, NULL);
    reply->worked_minutes = (uint32_t)((worked + 30) / 60);
    reply->break_ended = break_ended;
    return 0;
}

int cl_handle_clock_break_start(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ClockBreakStartRequest *req = job->req->clock_break_start;
    int64_t staff_id;
    Clinic__Punch *open;
    char when[24], msg[128];
    int rc;

    if ((rc = self_staff(tx, &staff_id)) < 0)
        return rc;
    if ((rc = open_punch_needed(tx, staff_id, "a break", &open)) < 0)
        return rc;
    const Clinic__PunchBreak *b = open_break(open);
    if (b != NULL) {
        local_text(b->start_at, when);
        snprintf(msg, sizeof(msg), "you are already on a %s break since %s: end it first",
                 b->paid ? "paid" : "unpaid", when);
        return cl_job_fail(job, CL_EPRECOND, NULL, msg);
    }
    rc = cl_tc_db_break_start(tx, (int64_t)open->id, req->paid);
    if (rc == CL_EEXIST)
        return cl_job_fail(job, CL_EPRECOND, NULL, "you are already on a break");
    if (rc < 0)
        return rc;
    if ((rc = punch_record(tx, "clock.break.start", staff_id, (int64_t)open->id,
                           CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    Clinic__Punch *punch;
    if ((rc = cl_tc_db_punch(tx, (int64_t)open->id, 0, &punch)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__ClockBreakStartReply)->punch = punch;
    return 0;
}

int cl_handle_clock_break_end(cl_tx_t *tx, cl_job_t *job)
{
    int64_t staff_id;
    Clinic__Punch *open;
    int rc;

    if ((rc = self_staff(tx, &staff_id)) < 0)
        return rc;
    if ((rc = open_punch_needed(tx, staff_id, "ending a break", &open)) < 0)
        return rc;
    rc = cl_tc_db_break_end(tx, (int64_t)open->id);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(job, CL_EPRECOND, NULL, "you are not on a break");
    if (rc < 0)
        return rc;
    if ((rc = punch_record(tx, "clock.break.end", staff_id, (int64_t)open->id,
                           CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    Clinic__Punch *punch;
    if ((rc = cl_tc_db_punch(tx, (int64_t)open->id, 0, &punch)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__ClockBreakEndReply)->punch = punch;
    return 0;
}

/* ---- reads ---- */

/* The worked minutes of `punches` at `now` under `p`. */
static uint32_t punches_worked_minutes(cl_arena_t *a, const cl_pay_policy_t *p,
                                       Clinic__Punch **punches, size_t n, int64_t now)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const Clinic__Punch *m = punches[i];
        cl_tc_break_t *b = cl_arena_alloc(a, (m->n_breaks + 1) * sizeof(*b));
        for (size_t k = 0; k < m->n_breaks; k++)
            b[k] =
                (cl_tc_break_t){m->breaks[k]->start_at, m->breaks[k]->end_at, m->breaks[k]->paid};
        cl_tc_punch_t in = {(int64_t)m->id, m->in_at, m->out_at, b, m->n_breaks};
        total += cl_tc_punch_worked(p, &in, now, NULL, NULL, NULL, NULL);
    }
    return (uint32_t)((total + 30) / 60);
}

int cl_handle_clock_status(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ClockStatusRequest *req = job->req->clock_status;
    int64_t staff_id;
    char name[STAFF_NAME_MAX];
    cl_pay_policy_t policy;
    Clinic__Punch **today;
    size_t n_today;
    int rc;

    if ((rc = cl_tc_reader_staff(tx, req->staff_id, &staff_id, name, sizeof(name))) < 0)
        return rc;
    if ((rc = cl_pay_policy(tx, &policy)) < 0)
        return rc;
    Clinic__ClockStatusReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ClockStatusReply);
    clinic__clock_status_reply__init(reply);
    reply->staff_id = (uint64_t)staff_id;
    reply->staff_name = cl_arena_strdup(&job->arena, name);
    if ((rc = cl_tc_db_open_punch(tx, staff_id, &reply->punch)) < 0)
        return rc;
    if (reply->punch != NULL) {
        reply->clocked_in = 1;
        reply->on_break = open_break(reply->punch) != NULL;
    } else if ((rc = cl_tc_db_last_punch(tx, staff_id, &reply->punch)) < 0) {
        return rc;
    }
    cl_date_t d = cl_date_of(tx->now);
    if ((rc = cl_tc_db_punches(tx, staff_id, cl_local_instant(d, 0),
                               cl_local_instant(cl_date_add(d, 1), 0), 0, &today, &n_today)) < 0)
        return rc;
    reply->today_minutes = punches_worked_minutes(&job->arena, &policy, today, n_today, tx->now);
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "clock.status", "timesheet",
                              (uint64_t)staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_CLOCK_STATUS;
    job->resp.clock_status = reply;
    return 0;
}

/* Parses a request's date ("" gives `fallback`) or fails the job on `field`. */
static int request_date(cl_job_t *job, const char *s, cl_date_t fallback, const char *field,
                        cl_date_t *out)
{
    char msg[64];
    if (s[0] == '\0') {
        *out = fallback;
        return 0;
    }
    if (cl_date_parse(s, out) != 0) {
        snprintf(msg, sizeof(msg), "%s must be a real date, YYYY-MM-DD", field);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    return 0;
}

int cl_handle_punch_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PunchListRequest *req = job->req->punch_list;
    int64_t staff_id;
    char name[STAFF_NAME_MAX], text[11];
    cl_date_t from, to;
    int rc;

    if ((rc = request_date(job, req->to, cl_date_of(tx->now), "to", &to)) < 0)
        return rc;
    if ((rc = request_date(job, req->from, cl_date_add(to, -(LIST_DAYS_DEFAULT - 1)), "from",
                           &from)) < 0)
        return rc;
    if (cl_date_cmp(from, to) > 0)
        return cl_job_fail(job, CL_EINVAL, "from", "from is after to");
    if (cl_date_diff(from, to) >= LIST_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to", "at most 92 days at a time");
    if ((rc = cl_tc_reader_staff(tx, req->staff_id, &staff_id, name, sizeof(name))) < 0)
        return rc;

    Clinic__PunchListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__PunchListReply);
    clinic__punch_list_reply__init(reply);
    reply->staff_id = (uint64_t)staff_id;
    cl_date_format(from, text);
    reply->from = cl_arena_strdup(&job->arena, text);
    cl_date_format(to, text);
    reply->to = cl_arena_strdup(&job->arena, text);
    if ((rc = cl_tc_db_punches(tx, staff_id, cl_local_instant(from, 0),
                               cl_local_instant(cl_date_add(to, 1), 0), req->history,
                               &reply->punches, &reply->n_punches)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "punch.list", "timesheet",
                              (uint64_t)staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_PUNCH_LIST;
    job->resp.punch_list = reply;
    return 0;
}

/* ---- corrections ---- */

/* Checks a correction against the punches as they stand now, at filing and again at approval:
 * the punch is the requester's, the times are sane and in the past, the corrected punch
 * overlaps none of the requester's others, a forgotten break lies within its punch and overlaps
 * none of its breaks. Sets *punch (NULL for a missing punch). Fails the job. */
static int correction_check(cl_tx_t *tx, const cl_request_t *r, Clinic__Punch **punch)
{
    cl_job_t *job = tx->job;
    char msg[256], a[24], b[24];
    int is_break = strcmp(r->category, "break") == 0;
    int rc;

    *punch = NULL;
    if (!is_break && strcmp(r->category, "in_out") != 0)
        return cl_job_fail(job, CL_EINVAL, "kind", "kind must be in_out or break");
    if (r->ref_id != 0) {
        rc = cl_tc_db_punch(tx, r->ref_id, 0, punch);
        if (rc == CL_ENOTFOUND) {
            snprintf(msg, sizeof(msg), "no punch %" PRId64, r->ref_id);
            return cl_job_fail(job, CL_ENOTFOUND, "punch_id", msg);
        }
        if (rc < 0)
            return rc;
        /* Nobody edits another's punch, not even a manager: each files their own. */
        if ((int64_t)(*punch)->staff_id != r->requester)
            return cl_job_fail(job, CL_EPERM, "punch_id",
                               "a punch can be corrected only at its owner's request");
    } else if (is_break) {
        return cl_job_fail(job, CL_EINVAL, "punch_id", "a forgotten break needs its punch_id");
    }
    if (r->starts_at <= 0)
        return cl_job_fail(job, CL_EINVAL, "in_at", "in_at is required");
    if (r->starts_at > tx->now || r->ends_at > tx->now)
        return cl_job_fail(job, CL_EINVAL, r->starts_at > tx->now ? "in_at" : "out_at",
                           "a correction cannot be in the future");
    if (r->ends_at != 0 && r->ends_at <= r->starts_at)
        return cl_job_fail(job, CL_EINVAL, "out_at", "out_at must be after in_at");
    if (r->ends_at != 0 && r->ends_at - r->starts_at > PUNCH_MAX_SECONDS)
        return cl_job_fail(job, CL_EINVAL, "out_at", "a punch cannot be longer than 24 hours");

    if (is_break) {
        const Clinic__Punch *p = *punch;
        int64_t end = p->out_at ? p->out_at : tx->now;
        if (r->ends_at == 0)
            return cl_job_fail(job, CL_EINVAL, "out_at", "a forgotten break needs its end");
        if (r->starts_at < p->in_at || r->ends_at > end) {
            snprintf(msg, sizeof(msg), "the break must lie within punch %" PRIu64, p->id);
            return cl_job_fail(job, CL_EINVAL, "in_at", msg);
        }
        for (size_t i = 0; i < p->n_breaks; i++) {
            const Clinic__PunchBreak *k = p->breaks[i];
            int64_t k_end = k->end_at ? k->end_at : tx->now;
            if (k->start_at < r->ends_at && k_end > r->starts_at) {
                local_text(k->start_at, a);
                snprintf(msg, sizeof(msg), "the break overlaps break %" PRIu64 " from %s", k->id,
                         a);
                return cl_job_fail(job, CL_ECONFLICT, "in_at", msg);
            }
        }
        return 0;
    }

    /* A punch no longer open keeps its clock-out when the correction left it open. */
    int64_t out_at = r->ends_at;
    if (*punch != NULL && out_at == 0)
        out_at = (*punch)->out_at;
    if (*punch == NULL && out_at == 0)
        return cl_job_fail(job, CL_EINVAL, "out_at", "a missing punch needs its clock-out");
    if (out_at != 0 && out_at <= r->starts_at)
        return cl_job_fail(job, CL_EINVAL, "out_at", "out_at must be after in_at");
    int64_t other, other_in, other_out;
    if ((rc = cl_tc_db_overlap(tx, r->requester, r->ref_id, r->starts_at, out_at, &other, &other_in,
                               &other_out)) < 0)
        return rc;
    if (other) {
        local_text(other_in, a);
        if (other_out)
            local_text(other_out, b);
        snprintf(msg, sizeof(msg), "the corrected punch overlaps punch %" PRId64 " (%s to %s)",
                 other, a, other_out ? b : "still open");
        return cl_job_fail(job, CL_ECONFLICT, "in_at", msg);
    }
    return 0;
}

int cl_handle_punch_correction_file(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PunchCorrectionFileRequest *req = job->req->punch_correction_file;
    cl_request_t r;
    Clinic__Punch *punch;
    int rc;

    if (req->punch_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "punch_id", "punch_id is out of range");
    size_t reason_len = strlen(req->reason);
    if (reason_len == 0)
        return cl_job_fail(job, CL_EINVAL, "reason", "a correction needs its reason");
    if (reason_len > REASON_MAX)
        return cl_job_fail(job, CL_EINVAL, "reason", "reason is longer than 1000 bytes");
    if (!cl_utf8_valid(req->reason, reason_len))
        return cl_job_fail(job, CL_EINVAL, "reason", "reason is not valid UTF-8");
    const char *kind = req->kind[0] ? req->kind : "in_out";
    if (strcmp(kind, "in_out") != 0 && strcmp(kind, "break") != 0)
        return cl_job_fail(job, CL_EINVAL, "kind", "kind must be in_out or break");

    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_CORRECTION;
    if ((rc = cl_staff_of_user(tx, job->who.user_id, &r.requester)) == CL_ENOTFOUND)
        return cl_job_fail(
            job, CL_EPRECOND, NULL,
            "your user account is not a staff member's: the time clock is for staff");
    if (rc < 0)
        return rc;
    r.ref_id = (int64_t)req->punch_id;
    r.starts_at = req->in_at;
    r.ends_at = req->out_at;
    snprintf(r.category, sizeof(r.category), "%s", kind);
    snprintf(r.details, sizeof(r.details), "%s", req->reason);
    /* An in_out correction of a punch may give only out_at: the punch's in time stays. (No such
     * punch: correction_check says so.) */
    if (r.starts_at == 0 && r.ref_id != 0 && strcmp(kind, "in_out") == 0) {
        Clinic__Punch *own;
        rc = cl_tc_db_punch(tx, r.ref_id, 0, &own);
        if (rc < 0 && rc != CL_ENOTFOUND)
            return rc;
        if (rc == 0)
            r.starts_at = own->in_at;
    }
    if ((rc = correction_check(tx, &r, &punch)) < 0)
        return rc;
    if (punch != NULL && strcmp(kind, "in_out") == 0 && punch->in_at == r.starts_at &&
        (punch->out_at == req->out_at || req->out_at == 0))
        return cl_job_fail(job, CL_EINVAL, "in_at", "the correction changes nothing");
    if ((rc = cl_request_submit(tx, &r)) < 0)
        return rc;

    Clinic__PunchCorrectionFileReply *reply = CL_JOB_REPLY(job, Clinic__PunchCorrectionFileReply);
    reply->request_id = (uint64_t)r.id;
    reply->punch = punch;
    return 0;
}

int cl_clock_correction_approve(cl_tx_t *tx, const cl_request_t *r)
{
    Clinic__Punch *punch;
    int64_t id = r->ref_id;
    int rc;

    if (r->kind != CL_REQ_CORRECTION)
        return cl_job_fail(tx->job, CL_EINTERNAL, NULL, "not a timesheet correction");
    /* The punches may have moved since the request was filed: check again against today's. */
    if ((rc = correction_check(tx, r, &punch)) < 0)
        return rc;
    if (strcmp(r->category, "break") == 0) {
        rc = cl_tc_db_break_add(tx, id, r->starts_at, r->ends_at, r->id);
    } else if (punch != NULL) {
        int64_t out_at = r->ends_at ? r->ends_at : punch->out_at;
        rc = cl_tc_db_punch_correct(tx, id, r->starts_at, out_at, r->id);
    } else {
        rc = cl_tc_db_punch_add(tx, r->requester, r->starts_at, r->ends_at, r->id, &id);
    }
    if (rc == CL_EEXIST)
        return cl_job_fail(tx->job, CL_ECONFLICT, NULL, "the staff member has a punch open");
    if (rc < 0)
        return rc;
    return punch_record(tx, punch ? "punch.correct" : "punch.add", r->requester, id,
                        punch ? CLINIC__CHANGE_OP__UPDATED : CLINIC__CHANGE_OP__CREATED);
}

/* ---- the pay policy ---- */

static Clinic__PayPolicy *policy_message(cl_arena_t *a, const cl_pay_policy_t *p, uint64_t version,
                                         int64_t updated_at, const char *updated_by)
{
    char anchor[11];
    Clinic__PayPolicy *m = CL_ARENA_NEW(a, Clinic__PayPolicy);
    clinic__pay_policy__init(m);
    m->period = (char *)cl_pay_period_name(p->period);
    cl_date_format(p->anchor, anchor);
    m->anchor = cl_arena_strdup(a, anchor);
    m->daily_overtime_minutes = (uint32_t)p->daily_overtime_minutes;
    m->weekly_overtime_minutes = (uint32_t)p->weekly_overtime_minutes;
    m->break_after_minutes = (uint32_t)p->break_after_minutes;
    m->break_minutes = (uint32_t)p->break_minutes;
    m->version = version;
    m->updated_at = updated_at;
    m->updated_by = (char *)(updated_by ? updated_by : "");
    return m;
}

/* The pay policy is no one's personal data: reading it is not audited. */
int cl_handle_pay_policy_get(cl_tx_t *tx, cl_job_t *job)
{
    cl_pay_policy_t p;
    uint64_t version;
    int64_t updated_at;
    const char *updated_by;
    cl_date_t first, last;
    char text[11];
    int rc = cl_tc_db_policy(tx, &p, &version, &updated_at, &updated_by);
    if (rc < 0)
        return rc;
    Clinic__PayPolicyGetReply *reply = CL_JOB_REPLY(job, Clinic__PayPolicyGetReply);
    reply->policy = policy_message(&job->arena, &p, version, updated_at, updated_by);
    cl_pay_period_of(&p, cl_date_of(tx->now), &first, &last);
    cl_date_format(first, text);
    reply->period_first = cl_arena_strdup(&job->arena, text);
    cl_date_format(last, text);
    reply->period_last = cl_arena_strdup(&job->arena, text);
    return 0;
}

/* Checks a minutes field: 0 (none) or within [lo, hi]. */
static int minutes_check(cl_job_t *job, const char *field, uint32_t v, uint32_t lo, uint32_t hi)
{
    char msg[96];
    if (v == 0 || (v >= lo && v <= hi))
        return 0;
    snprintf(msg, sizeof(msg), "%s must be 0 (none) or %u-%u", field + 7, lo, hi);
    return cl_job_fail(job, CL_EINVAL, field, msg);
}

int cl_handle_pay_policy_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PayPolicySetRequest *req = job->req->pay_policy_set;
    const Clinic__PayPolicy *m = req->policy;
    cl_pay_policy_t p, cur;
    uint64_t version;
    int64_t updated_at;
    const char *updated_by;
    char msg[160];
    int rc;

    if (m == NULL)
        return cl_job_fail(job, CL_EINVAL, "policy", "policy is required");
    memset(&p, 0, sizeof(p));
    if ((p.period = cl_pay_period_find(m->period)) == 0)
        return cl_job_fail(job, CL_EINVAL, "policy.period",
                           "period must be weekly, biweekly or semimonthly");
    if (cl_date_parse(m->anchor, &p.anchor) != 0)
        return cl_job_fail(job, CL_EINVAL, "policy.anchor",
                           "anchor must be a real date, YYYY-MM-DD");
    if ((rc = minutes_check(job, "policy.daily_overtime_minutes", m->daily_overtime_minutes, 60,
                            1440)) < 0 ||
        (rc = minutes_check(job, "policy.weekly_overtime_minutes", m->weekly_overtime_minutes, 60,
                            10080)) < 0 ||
        (rc = minutes_check(job, "policy.break_after_minutes", m->break_after_minutes, 60, 1440)) <
            0)
        return rc;
    if (m->break_minutes > 240)
        return cl_job_fail(job, CL_EINVAL, "policy.break_minutes", "break_minutes is at most 240");
    if (m->break_after_minutes && m->break_minutes >= m->break_after_minutes)
        return cl_job_fail(job, CL_EINVAL, "policy.break_minutes",
                           "break_minutes must be shorter than break_after_minutes");
    if (m->version == 0)
        return cl_job_fail(job, CL_EINVAL, "policy.version",
                           "version is required: the policy's version read");
    p.daily_overtime_minutes = (int)m->daily_overtime_minutes;
    p.weekly_overtime_minutes = (int)m->weekly_overtime_minutes;
    p.break_after_minutes = (int)m->break_after_minutes;
    p.break_minutes = (int)m->break_minutes;

    if ((rc = cl_tc_db_policy(tx, &cur, &version, &updated_at, &updated_by)) < 0)
        return rc;
    Clinic__PayPolicySetReply *reply = CL_JOB_REPLY(job, Clinic__PayPolicySetReply);
    if (m->version != version) {
        /* CONFLICT with the current record in the reply. */
        reply->policy = policy_message(&job->arena, &cur, version, updated_at, updated_by);
        snprintf(msg, sizeof(msg),
                 "the pay policy was changed by %s: version %" PRIu64
                 " is stale, the current version is %" PRIu64,
                 updated_by[0] ? updated_by : "someone else", m->version, version);
        return cl_job_fail(job, CL_ECONFLICT, "policy.version", msg);
    }
    if ((rc = cl_tc_db_policy_set(tx, &p, &version)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "paypolicy.set", "pay_policy", 1)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_TIMECLOCK_NAME, "pay_policy", 1, CLINIC__CHANGE_OP__UPDATED,
                           0)) < 0)
        return rc;
    reply->policy = policy_message(&job->arena, &p, version, tx->now, job->who.username);
    reply->policy->updated_by = cl_arena_strdup(&job->arena, job->who.username);
    return 0;
}
