/* The one request workflow: the kind table (what each kind checks when filed and does when
 * decided), filing (cl_request_submit, which the shifts and timeclock parts call too), deciding,
 * withdrawing, and the live changes and audit rows each step leaves. A later kind (purchase
 * orders, policy exceptions) is one more row of KINDS, not another workflow. SQL:
 * approvals_db.c; the request handlers: approvals_handlers.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "approvals_int.h"
#include "audit.h"
#include "auth.h"
#include "domain_int.h"
#include "status.h"
#include "topics.h"

const char *const cl_timeoff_types[] = {"vacation", "sick", "personal", "unpaid", NULL};
const char *const cl_expense_categories[] = {"mileage",  "supplies", "travel", "meals",
                                             "training", "postage",  "other",  NULL};

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* ---- the kinds ---- */

/* Time off: a known type, a real interval, no overlap with the requester's own pending or
 * approved time off; flagged (not refused) beyond the available balance. */
static int timeoff_validate(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags)
{
    cl_job_t *job = tx->job;
    char msg[200];
    if (!in_list(cl_timeoff_types, r->category))
        return cl_job_fail(job, CL_EINVAL, "type",
                           "type must be vacation, sick, personal or unpaid");
    if (r->ends_at <= r->starts_at)
        return cl_job_fail(job, CL_EINVAL, "to_date", "time off must end after it starts");
    if (r->ends_at - r->starts_at > (int64_t)CL_TIMEOFF_DAYS_MAX * 86400)
        return cl_job_fail(job, CL_EINVAL, "to_date", "time off is at most 366 days at once");
    if (r->amount < 0)
        return cl_job_fail(job, CL_EINVAL, "amount", "minutes off cannot be negative");

    int64_t other, starts, ends;
    int state;
    int rc = cl_req_db_timeoff_overlap(tx, r->requester, r->starts_at, r->ends_at, 0, r->id, &other,
                                       &state, &starts, &ends);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        char d1[11], d2[11];
        cl_date_format(cl_date_of(starts), d1);
        cl_date_format(cl_date_of(ends - 1), d2);
        snprintf(msg, sizeof(msg), "overlaps time off request %" PRId64 " (%s, %s to %s)", other,
                 cl_req_state_name(state), d1, d2);
        return cl_job_fail(job, CL_ECONFLICT, "from_date", msg);
    }

    Clinic__TimeOffBalance b = CLINIC__TIME_OFF_BALANCE__INIT;
    if ((rc = cl_timeoff_balance(tx, r->requester, r->category, &b)) < 0)
        return rc;
    flags->over_balance = b.tracked && r->amount > b.available;
    return 0;
}

/* Books time off `r`'s minutes as used in its type's ledger (`sign` -1: taken, +1: given back
 * by a cancellation), when the type keeps a balance. `what` ends the row's reason. */
static int book_used(cl_tx_t *tx, const cl_request_t *r, int sign, const char *what)
{
    cl_timeoff_policy_t pol;
    int rc = cl_timeoff_db_policy(tx, r->category, &pol);
    if (rc < 0)
        return rc;
    if (!pol.tracked || r->amount == 0)
        return 0;
    char reason[64];
    snprintf(reason, sizeof(reason), "request %" PRId64 " %s", r->id, what);
    return cl_timeoff_db_ledger_add(tx, r->requester, r->category, "used", sign * r->amount, r->id,
                                    reason);
}

/* Approved time off takes the staff member's shifts off (the shifts part) and is booked as used
 * in the ledger. */
static int timeoff_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    int rc = cl_shift_timeoff_approve(tx, r, override);
    return rc < 0 ? rc : book_used(tx, r, -1, "approved");
}

/* Undoes timeoff_approve: the shifts and the provider's block, and the minutes back. Not for a
 * staff member who has left: their shifts are not given back. */
static int timeoff_cancel(cl_tx_t *tx, const cl_request_t *r)
{
    int64_t supervisor;
    int active;
    char name[160], msg[256];
    int rc = cl_staff_brief(tx, r->requester, &supervisor, &active, name, sizeof(name));
    if (rc < 0)
        return rc;
    if (!active) {
        snprintf(msg, sizeof(msg), "%.160s has left: their time off is not cancelled", name);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    rc = cl_shift_timeoff_cancel(tx, r);
    return rc < 0 ? rc : book_used(tx, r, 1, "cancelled");
}

static int swap_validate(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags)
{
    (void)flags;
    if (r->other <= 0 || r->other == r->requester)
        return cl_job_fail(tx->job, CL_EINVAL, "other", "a swap needs another staff member");
    if (r->ref_id <= 0 || r->ref2_id <= 0 || r->ref_id == r->ref2_id)
        return cl_job_fail(tx->job, CL_EINVAL, "ref_id", "a swap needs the two shifts");
    return 0;
}

static int swap_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    (void) override;
    int rc = cl_shift_swap_check(tx, r);
    return rc < 0 ? rc : cl_shift_swap_approve(tx, r);
}

static int overtime_validate(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags)
{
    if (r->ref_id <= 0)
        return cl_job_fail(tx->job, CL_EINVAL, "shift_id", "overtime is asked for a shift");
    if (r->amount < 0)
        return cl_job_fail(tx->job, CL_EINVAL, "minutes", "minutes cannot be negative");
    flags->overtime = 1;
    return 0;
}

static int overtime_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    (void) override;
    return cl_shift_overtime_decided(tx, r, 1);
}

static int swap_close(cl_tx_t *tx, const cl_request_t *r, cl_req_state_t state)
{
    return cl_shift_swap_closed(tx, r, state == CL_REQ_DENIED);
}

static int overtime_close(cl_tx_t *tx, const cl_request_t *r, cl_req_state_t state)
{
    (void)state;
    return cl_shift_overtime_decided(tx, r, 0);
}

static int correction_validate(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags)
{
    (void)flags;
    if (strcmp(r->category, "in_out") != 0 && strcmp(r->category, "break") != 0)
        return cl_job_fail(tx->job, CL_EINVAL, "category", "a correction is of in_out or break");
    return 0;
}

static int correction_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    (void) override;
    return cl_clock_correction_approve(tx, r);
}

static int expense_validate(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags)
{
    (void)flags;
    if (r->amount <= 0 || r->amount > CL_EXPENSE_MAX_CENTS)
        return cl_job_fail(tx->job, CL_EINVAL, "amount_cents",
                           "amount_cents must be 1 to 100000000 (cents)");
    if (!in_list(cl_expense_categories, r->category))
        return cl_job_fail(tx->job, CL_EINVAL, "category",
                           "category must be mileage, supplies, travel, meals, training, postage "
                           "or other");
    return 0;
}

/* The kind table, indexed by cl_req_kind_t. */
static const cl_req_kind_def_t KINDS[] = {
    {CL_REQ_TIMEOFF, "timeoff", "time off", timeoff_validate, timeoff_approve, NULL,
     timeoff_cancel},
    {CL_REQ_SWAP, "swap", "shift swap", swap_validate, swap_approve, swap_close, NULL},
    {CL_REQ_OVERTIME, "overtime", "overtime", overtime_validate, overtime_approve, overtime_close,
     NULL},
    {CL_REQ_CORRECTION, "correction", "timesheet correction", correction_validate,
     correction_approve, NULL, NULL},
    {CL_REQ_EXPENSE, "expense", "expense", expense_validate, NULL, NULL, NULL},
};

const cl_req_kind_def_t *cl_req_kind(cl_req_kind_t k)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(KINDS); i++)
        if (KINDS[i].kind == k)
            return &KINDS[i];
    return NULL;
}

const cl_req_kind_def_t *cl_req_kind_find(const char *name)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(KINDS); i++)
        if (strcmp(KINDS[i].name, name) == 0)
            return &KINDS[i];
    return NULL;
}

const cl_req_kind_def_t *cl_req_kinds(size_t *n)
{
    *n = CL_ARRAY_SIZE(KINDS);
    return KINDS;
}

/* ---- shared steps ---- */

int cl_req_audit(cl_tx_t *tx, const char *action, int64_t id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, "request", (uint64_t)id);
}

int cl_req_check_text(cl_tx_t *tx, const char *field, const char *s, size_t max)
{
    char msg[96];
    size_t n = strlen(s);
    if (n > max) {
        snprintf(msg, sizeof(msg), "%s is longer than %zu bytes", field, max);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    if (!cl_utf8_valid(s, n)) {
        snprintf(msg, sizeof(msg), "%s is not valid UTF-8", field);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            snprintf(msg, sizeof(msg), "%s has a control character", field);
            return cl_job_fail(tx->job, CL_EINVAL, field, msg);
        }
    }
    return 0;
}

/* The inbox change for staff member `staff_id`'s user, when they have one. */
static int tell_staff(cl_tx_t *tx, int64_t staff_id, int64_t request_id, Clinic__ChangeOp op)
{
    int64_t user = 0;
    if (staff_id <= 0)
        return 0;
    int rc = cl_staff_user(tx, staff_id, &user);
    if (rc == CL_ENOTFOUND || (rc == 0 && user == 0))
        return 0;
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "request", (uint64_t)request_id, op, user);
}

/* The live changes of a request: the managers' "approvals" topic, the inbox of the requester's
 * supervisor (whose inbox list it is in, or leaves), and when its state changed the inbox of the
 * requester (and of a swap's other party). */
static int notify(cl_tx_t *tx, const cl_request_t *r, Clinic__ChangeOp op, int state_changed)
{
    int rc = cl_tx_change(tx, CL_TOPIC_APPROVALS_NAME, "request", (uint64_t)r->id, op, 0);
    if (rc < 0)
        return rc;
    int64_t supervisor = 0;
    int active = 0;
    char name[160];
    rc = cl_staff_brief(tx, r->requester, &supervisor, &active, name, sizeof(name));
    if (rc < 0 && rc != CL_ENOTFOUND)
        return rc;
    if ((rc = tell_staff(tx, supervisor, r->id, op)) < 0)
        return rc;
    if (!state_changed)
        return 0;
    if ((rc = tell_staff(tx, r->requester, r->id, op)) < 0)
        return rc;
    return tell_staff(tx, r->other, r->id, op);
}

void cl_req_changes_restore(cl_tx_t *tx, cl_change_t *mark)
{
    tx->last_change = mark;
    if (mark != NULL)
        mark->next = NULL;
    else
        tx->job->changes = NULL;
}

/* ---- filing ---- */

int cl_request_submit(cl_tx_t *tx, cl_request_t *r)
{
    cl_job_t *job = tx->job;
    const cl_req_kind_def_t *k = cl_req_kind(r->kind);
    char msg[200];
    if (k == NULL)
        return cl_job_fail(job, CL_EINVAL, "kind", "unknown kind of request");

    int64_t supervisor;
    int active;
    char name[160];
    int rc = cl_staff_brief(tx, r->requester, &supervisor, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no staff member %" PRId64, r->requester);
        return cl_job_fail(job, CL_ENOTFOUND, "requester", msg);
    }
    if (rc < 0)
        return rc;
    if (!active) {
        snprintf(msg, sizeof(msg), "%.150s has left: no new requests", name);
        return cl_job_fail(job, CL_EPRECOND, "requester", msg);
    }
    r->details[sizeof(r->details) - 1] = '\0';
    r->category[sizeof(r->category) - 1] = '\0';
    if ((rc = cl_req_check_text(tx, "details", r->details, CL_REQ_DETAILS_MAX)) < 0)
        return rc;

    cl_req_flags_t flags = {0, 0};
    if (k->validate && (rc = k->validate(tx, r, &flags)) < 0)
        return rc;
    if ((rc = cl_req_db_insert(tx, r, &flags)) < 0)
        return rc;
    if ((rc = cl_req_audit(tx, "request.file", r->id)) < 0)
        return rc;
    return notify(tx, r, CLINIC__CHANGE_OP__CREATED, 0);
}

/* ---- deciding ---- */

/* Loads request `id`, failing the job when there is none. */
static int load(cl_tx_t *tx, int64_t id, const char *field, cl_req_row_t *row)
{
    char msg[64];
    if (id <= 0)
        return cl_job_fail(tx->job, CL_EINVAL, field, "a request id is required");
    int rc = cl_req_db_get(tx, id, row);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no request %" PRId64, id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, field, msg);
    }
    return rc;
}

/* FAILED_PRECONDITION for a request no longer pending, naming its state, who and when. */
static int not_pending(cl_tx_t *tx, const cl_req_row_t *row)
{
    char msg[200], day[11];
    const Clinic__StaffRequest *m = row->msg;
    cl_date_format(cl_date_of(m->decided_at), day);
    snprintf(msg, sizeof(msg), "request %" PRIu64 " is already %s (%s%.40s on %s)", m->id, m->state,
             m->decided_by[0] ? "by " : "", m->decided_by[0] ? m->decided_by : "by clinicd", day);
    return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
}

static int stale(cl_tx_t *tx, const cl_req_row_t *row, uint64_t version)
{
    char msg[200];
    snprintf(msg, sizeof(msg),
             "request %" PRIu64 " was changed by someone else: version %" PRIu64
             " is stale, the current version is %" PRIu64 " (%s)",
             row->msg->id, version, row->version, row->msg->state);
    return cl_job_fail(tx->job, CL_ECONFLICT, "version", msg);
}

/* Runs the kind's approval. With `override`, a CONFLICT (a desk below its minimum) is undone
 * and the approval run again overriding it, so that override_used records whether the
 * override mattered. */
static int run_approve(cl_tx_t *tx, const cl_req_kind_def_t *k, const cl_request_t *r, int override,
                       int *override_used)
{
    *override_used = 0;
    if (k->approve == NULL)
        return 0;
    if (!override)
        return k->approve(tx, r, 0);
    cl_change_t *mark = tx->last_change;
    int rc = cl_db_exec(tx->db, "SAVEPOINT approve_hook");
    if (rc < 0)
        return rc;
    rc = k->approve(tx, r, 0);
    if (rc != CL_ECONFLICT) {
        int released = cl_db_exec(tx->db, "RELEASE approve_hook");
        return rc < 0 ? rc : released;
    }
    cl_db_reset_busy(tx->db);
    if ((rc = cl_db_exec(tx->db, "ROLLBACK TO approve_hook; RELEASE approve_hook")) < 0)
        return rc;
    cl_req_changes_restore(tx, mark);
    tx->job->resp.status = NULL;
    tx->job->status = 0;
    *override_used = 1;
    return k->approve(tx, r, 1);
}

/* After request `row` moved to another state (`action`, its audit row): the audit row, the live
 * changes, and *row read again as it now is. */
static int announce_move(cl_tx_t *tx, const char *action, cl_req_row_t *row)
{
    int64_t id = row->r.id;
    int rc = cl_req_audit(tx, action, id);
    if (rc < 0)
        return rc;
    if ((rc = notify(tx, &row->r, CLINIC__CHANGE_OP__UPDATED, 1)) < 0)
        return rc;
    return cl_req_db_get(tx, id, row);
}

int cl_req_decide(cl_tx_t *tx, int64_t id, uint64_t version, int approve, const char *comment,
                  int override, cl_req_row_t *row)
{
    cl_job_t *job = tx->job;
    int rc;
    if (approve && override && !cl_auth_allowed(job->who.roles, CL_PERM_STAFF_OVERRIDE))
        return cl_job_fail(job, CL_EPERM, "override",
                           "overriding a desk minimum needs the staff_override permission");
    if (!approve && comment[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "comment", "a denial needs a comment saying why");
    if ((rc = load(tx, id, "ids", row)) < 0)
        return rc;
    /* Who may decide comes first: a stranger learns nothing of the request's state. */
    if ((rc = cl_staff_may_decide(tx, row->r.requester)) < 0)
        return rc;
    if (row->state != CL_REQ_PENDING)
        return not_pending(tx, row);
    if (version != 0 && version != row->version)
        return stale(tx, row, version);

    const cl_req_kind_def_t *k = cl_req_kind(row->r.kind);
    if (k == NULL)
        return cl_job_fail(job, CL_EINTERNAL, NULL, "request of an unknown kind");
    int override_used = 0;
    if (approve)
        rc = run_approve(tx, k, &row->r, override, &override_used);
    else
        rc = k->close ? k->close(tx, &row->r, CL_REQ_DENIED) : 0;
    if (rc < 0)
        return rc;
    uint64_t v;
    rc = cl_req_db_close(tx, id, approve ? CL_REQ_APPROVED : CL_REQ_DENIED, job->who.user_id,
                         comment, override_used, &v);
    if (rc == CL_EPRECOND)
        return not_pending(tx, row);
    if (rc < 0)
        return rc;
    return announce_move(tx, approve ? "request.approve" : "request.deny", row);
}

int cl_req_withdraw(cl_tx_t *tx, int64_t id, uint64_t version, const char *comment,
                    cl_req_row_t *row)
{
    cl_job_t *job = tx->job;
    char msg[96];
    int rc = load(tx, id, "id", row);
    if (rc < 0)
        return rc;
    int64_t me = 0;
    rc = cl_staff_of_user(tx, job->who.user_id, &me);
    if (rc < 0 && rc != CL_ENOTFOUND)
        return rc;
    if (me == 0 || me != row->r.requester) {
        snprintf(msg, sizeof(msg), "only the requester can withdraw request %" PRId64, id);
        return cl_job_fail(job, CL_EPERM, NULL, msg);
    }
    if (row->state != CL_REQ_PENDING)
        return not_pending(tx, row);
    if (version != 0 && version != row->version)
        return stale(tx, row, version);
    const cl_req_kind_def_t *k = cl_req_kind(row->r.kind);
    if (k != NULL && k->close && (rc = k->close(tx, &row->r, CL_REQ_WITHDRAWN)) < 0)
        return rc;
    uint64_t v;
    rc = cl_req_db_close(tx, id, CL_REQ_WITHDRAWN, job->who.user_id, comment, 0, &v);
    if (rc == CL_EPRECOND)
        return not_pending(tx, row);
    if (rc < 0)
        return rc;
    return announce_move(tx, "request.withdraw", row);
}

int cl_req_cancel(cl_tx_t *tx, int64_t id, uint64_t version, const char *comment, cl_req_row_t *row)
{
    cl_job_t *job = tx->job;
    char msg[200];
    int rc;
    if (comment[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "comment", "a cancellation needs a comment saying why");
    if ((rc = load(tx, id, "id", row)) < 0)
        return rc;
    /* Whoever may decide it may cancel it; the requester, who may not, asks them to. */
    if ((rc = cl_staff_may_decide(tx, row->r.requester)) < 0)
        return rc;
    const cl_req_kind_def_t *k = cl_req_kind(row->r.kind);
    if (k == NULL)
        return cl_job_fail(job, CL_EINTERNAL, NULL, "request of an unknown kind");
    if (k->cancel == NULL) {
        snprintf(msg, sizeof(msg),
                 "request %" PRId64 " (%s) cannot be cancelled: only approved time off can", id,
                 k->title);
        return cl_job_fail(job, CL_EPRECOND, NULL, msg);
    }
    if (row->state != CL_REQ_APPROVED) {
        snprintf(msg, sizeof(msg),
                 "request %" PRId64 " is %s: only approved time off can be cancelled", id,
                 cl_req_state_name((cl_req_state_t)row->state));
        return cl_job_fail(job, CL_EPRECOND, NULL, msg);
    }
    if (version != 0 && version != row->version)
        return stale(tx, row, version);
    if ((rc = k->cancel(tx, &row->r)) < 0)
        return rc;
    if ((rc = cl_req_db_cancel(tx, id, comment)) == CL_EPRECOND) {
        snprintf(msg, sizeof(msg), "request %" PRId64 " is no longer approved", id);
        return cl_job_fail(job, CL_EPRECOND, NULL, msg);
    }
    if (rc < 0)
        return rc;
    return announce_move(tx, "request.cancel", row);
}

/* ---- the rest of staff_int.h ---- */

int cl_timeoff_overlapping(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to,
                           int64_t *request_id, int64_t *starts_at, int64_t *ends_at)
{
    int state;
    return cl_req_db_timeoff_overlap(tx, staff_id, from, to, 1, 0, request_id, &state, starts_at,
                                     ends_at);
}

/* The caller is the kind's own part, undoing what the request was about (a shift cancelled):
 * the kind's close hook is not run, since the caller has done that already. */
int cl_request_withdraw_for(cl_tx_t *tx, cl_req_kind_t kind, int64_t ref_id, const char *why)
{
    const cl_req_kind_def_t *k = cl_req_kind(kind);
    if (k == NULL || ref_id <= 0)
        return 0;
    int64_t *ids;
    size_t n;
    int rc = cl_req_db_pending_for(tx, k->name, ref_id, &ids, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        cl_req_row_t row;
        uint64_t v;
        if ((rc = cl_req_db_get(tx, ids[i], &row)) < 0)
            return rc;
        rc = cl_req_db_close(tx, ids[i], CL_REQ_WITHDRAWN, tx->job->who.user_id, why ? why : "", 0,
                             &v);
        if (rc < 0)
            return rc == CL_EPRECOND ? CL_EINTERNAL : rc;
        if ((rc = cl_req_audit(tx, "request.withdraw", ids[i])) < 0)
            return rc;
        if ((rc = notify(tx, &row.r, CLINIC__CHANGE_OP__UPDATED, 1)) < 0)
            return rc;
    }
    return (int)n;
}
