/* The approvals' request handlers: filing time off, expenses and overtime, the lists (mine, the
 * inbox, everything one may see), one request, withdrawing, deciding one or many, the inbox's
 * figures, time-off balances with payroll's adjustments, and the accrual policy. Who sees what
 * is checked here (cl_staff_access); every read and write of requests is audited (entity
 * "request"), balances on the staff member (entity "staff"). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "approvals_int.h"
#include "audit.h"
#include "auth.h"
#include "calendar.h"
#include "domain_int.h"
#include "handlers.h"
#include "status.h"
#include "topics.h"

enum { LIST_DEFAULT = 200, LIST_MAX = 1000 };

/* The staff member the job's user is: fails the job when they are none. */
static int requester_of(cl_tx_t *tx, int64_t *me)
{
    int rc = cl_staff_of_user(tx, tx->job->who.user_id, me);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, "you are not a staff member");
    return rc;
}

/* Whether the job's user may see a request: its requester's (self, supervisor above them,
 * manager) or a swap's other party. */
static int may_see(cl_tx_t *tx, const cl_req_row_t *row)
{
    if (cl_staff_access(tx, row->r.requester) != CL_STAFF_NONE)
        return 1;
    return row->r.other > 0 && cl_staff_access(tx, row->r.other) == CL_STAFF_SELF;
}

/* Whether `me` may decide a request of `requester`, without failing the job: the rule of
 * cl_staff_may_decide, for filtering the inbox. 1, 0 or a database status. */
static int may_decide(cl_tx_t *tx, int64_t me, int64_t requester)
{
    if (me != 0 && me == requester)
        return 0;
    if (cl_auth_allowed(tx->job->who.roles, CL_PERM_APPROVE_ALL))
        return 1;
    int64_t supervisor = 0;
    int active;
    char name[8];
    int rc = cl_staff_brief(tx, requester, &supervisor, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    return me != 0 && supervisor == me;
}

/* Answers with request `m` in a StaffRequestReply, the reply of every request kind here that
 * files, shows or changes one request. */
static int reply_request(cl_tx_t *tx, Clinic__StaffRequest *m)
{
    CL_JOB_REPLY(tx->job, Clinic__StaffRequestReply)->request = m;
    return 0;
}

/* Files `r` and answers with the record filed. */
static int file_and_reply(cl_tx_t *tx, cl_request_t *r)
{
    int rc = cl_request_submit(tx, r);
    if (rc < 0)
        return rc;
    cl_req_row_t row;
    if ((rc = cl_req_db_get(tx, r->id, &row)) < 0)
        return rc;
    return reply_request(tx, row.msg);
}

/* ---- filing ---- */

int cl_handle_time_off_file(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__TimeOffFileRequest *req = job->req->time_off_file;
    cl_date_t from, to;
    int64_t me;
    int rc;

    if (req->type[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "type", "type is required");
    if (cl_date_parse(req->from_date, &from) != 0)
        return cl_job_fail(job, CL_EINVAL, "from_date", "from_date must be a date (YYYY-MM-DD)");
    if (req->to_date[0] == '\0')
        to = from;
    else if (cl_date_parse(req->to_date, &to) != 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date must be a date (YYYY-MM-DD)");
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(from, to) >= CL_TIMEOFF_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "time off is at most 366 days at once");
    if (req->start_minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
    if (req->end_minute > 1440)
        return cl_job_fail(job, CL_EINVAL, "end_minute", "end_minute must be 0-1440");
    if ((rc = requester_of(tx, &me)) < 0)
        return rc;

    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_TIMEOFF;
    r.requester = me;
    r.starts_at = cl_local_instant(from, (int)req->start_minute);
    r.ends_at = cl_local_instant(to, req->end_minute ? (int)req->end_minute : 1440);
    if (r.ends_at <= r.starts_at)
        return cl_job_fail(job, CL_EINVAL, "end_minute", "the time off ends before it starts");
    if (strlen(req->type) >= sizeof(r.category))
        return cl_job_fail(job, CL_EINVAL, "type",
                           "type must be vacation, sick, personal or unpaid");
    snprintf(r.category, sizeof(r.category), "%s", req->type);
    if ((rc = cl_req_check_text(tx, "details", req->details, CL_REQ_DETAILS_MAX)) < 0)
        return rc;
    snprintf(r.details, sizeof(r.details), "%s", req->details);
    if ((rc = cl_timeoff_minutes(tx, me, r.starts_at, r.ends_at, &r.amount)) < 0)
        return rc;
    return file_and_reply(tx, &r);
}

int cl_handle_expense_file(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ExpenseFileRequest *req = job->req->expense_file;
    cl_date_t day = cl_date_of(tx->now);
    int64_t me;
    int rc;

    if (req->amount_cents <= 0 || req->amount_cents > CL_EXPENSE_MAX_CENTS)
        return cl_job_fail(job, CL_EINVAL, "amount_cents",
                           "amount_cents must be 1 to 100000000 (cents)");
    if (req->category[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "category", "category is required");
    if (req->date[0] && cl_date_parse(req->date, &day) != 0)
        return cl_job_fail(job, CL_EINVAL, "date", "date must be a date (YYYY-MM-DD)");
    if (cl_date_cmp(day, cl_date_of(tx->now)) > 0)
        return cl_job_fail(job, CL_EINVAL, "date", "an expense cannot be in the future");
    if ((rc = cl_req_check_text(tx, "receipt_note", req->receipt_note, CL_REQ_DETAILS_MAX)) < 0)
        return rc;
    if ((rc = requester_of(tx, &me)) < 0)
        return rc;

    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_EXPENSE;
    r.requester = me;
    r.amount = req->amount_cents;
    r.starts_at = cl_local_instant(day, 0);
    if (strlen(req->category) >= sizeof(r.category))
        return cl_job_fail(job, CL_EINVAL, "category", "category is not one of the list");
    snprintf(r.category, sizeof(r.category), "%s", req->category);
    snprintf(r.details, sizeof(r.details), "%s", req->receipt_note);
    return file_and_reply(tx, &r);
}

int cl_handle_overtime_file(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__OvertimeFileRequest *req = job->req->overtime_file;
    char msg[160], state[16], overtime[16];
    int64_t me, owner, starts, ends;
    int rc;

    if (req->shift_id == 0 || req->shift_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "shift_id", "shift_id is required");
    if (req->minutes > 24 * 60)
        return cl_job_fail(job, CL_EINVAL, "minutes", "minutes must be 0-1440");
    if ((rc = cl_req_check_text(tx, "details", req->details, CL_REQ_DETAILS_MAX)) < 0)
        return rc;
    if ((rc = requester_of(tx, &me)) < 0)
        return rc;
    rc = cl_req_db_shift(tx, (int64_t)req->shift_id, &owner, &starts, &ends, state, overtime);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no shift %" PRIu64, req->shift_id);
        return cl_job_fail(job, CL_ENOTFOUND, "shift_id", msg);
    }
    if (rc < 0)
        return rc;
    if (owner != me)
        return cl_job_fail(job, CL_EPERM, "shift_id", "overtime is asked for one's own shifts");
    if (strcmp(state, "cancelled") == 0 || strcmp(state, "off") == 0) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " is %s", req->shift_id,
                 strcmp(state, "off") == 0 ? "taken off by time off" : "cancelled");
        return cl_job_fail(job, CL_EPRECOND, "shift_id", msg);
    }
    if (strcmp(overtime, "approved") == 0) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " is already approved overtime", req->shift_id);
        return cl_job_fail(job, CL_EPRECOND, "shift_id", msg);
    }
    int64_t *pending;
    size_t n;
    if ((rc = cl_req_db_pending_for(tx, "overtime", (int64_t)req->shift_id, &pending, &n)) < 0)
        return rc;
    if (n > 0) {
        snprintf(msg, sizeof(msg),
                 "overtime for shift %" PRIu64 " is already asked: request %" PRId64 " is pending",
                 req->shift_id, pending[0]);
        return cl_job_fail(job, CL_ECONFLICT, "shift_id", msg);
    }

    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_OVERTIME;
    r.requester = me;
    r.ref_id = (int64_t)req->shift_id;
    r.starts_at = starts;
    r.ends_at = ends;
    r.amount = req->minutes ? req->minutes : (ends - starts) / 60;
    snprintf(r.details, sizeof(r.details), "%s", req->details);
    return file_and_reply(tx, &r);
}

/* ---- lists ---- */

typedef enum { SCOPE_MINE, SCOPE_INBOX, SCOPE_ALL } scope_t;

typedef struct {
    cl_tx_t *tx;
    scope_t scope;
    int64_t me;
    size_t limit;
    Clinic__StaffRequestListReply *reply;
    size_t cap;
} list_t;

static int list_each(cl_req_row_t *row, void *arg)
{
    list_t *l = arg;
    int rc = 1;
    if (l->scope == SCOPE_INBOX)
        rc = may_decide(l->tx, l->me, row->r.requester);
    else if (l->scope == SCOPE_ALL)
        rc = may_see(l->tx, row);
    if (rc <= 0)
        return rc;
    if (l->reply->n_requests == l->limit) {
        l->reply->truncated = 1;
        return 1;
    }
    CL_ARENA_RESERVE(&l->tx->job->arena, l->reply->requests, l->reply->n_requests, l->cap);
    l->reply->requests[l->reply->n_requests++] = row->msg;
    return 0;
}

int cl_handle_staff_request_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffRequestListRequest *req = job->req->staff_request_list;
    list_t l = {.tx = tx};
    cl_req_walk_t w = {.state = -1};
    char msg[96];
    int rc;

    if (req->scope[0] == '\0' || strcmp(req->scope, "mine") == 0)
        l.scope = SCOPE_MINE;
    else if (strcmp(req->scope, "inbox") == 0)
        l.scope = SCOPE_INBOX;
    else if (strcmp(req->scope, "all") == 0)
        l.scope = SCOPE_ALL;
    else
        return cl_job_fail(job, CL_EINVAL, "scope", "scope must be mine, inbox or all");
    if (req->state[0] && (w.state = cl_req_state_find(req->state)) < 0)
        return cl_job_fail(job, CL_EINVAL, "state",
                           "state must be pending, approved, denied or withdrawn");
    if (req->kind[0]) {
        if (cl_req_kind_find(req->kind) == NULL)
            return cl_job_fail(job, CL_EINVAL, "kind",
                               "kind must be timeoff, swap, overtime, correction or expense");
        w.kind = req->kind;
    }
    if (req->limit > LIST_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit must be 0-1000");
    if (req->staff_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "staff_id", "staff_id is out of range");
    l.limit = req->limit ? req->limit : LIST_DEFAULT;
    if ((rc = requester_of(tx, &l.me)) < 0)
        return rc;
    if (req->staff_id) {
        if (cl_staff_access(tx, (int64_t)req->staff_id) == CL_STAFF_NONE) {
            snprintf(msg, sizeof(msg), "you may not see staff member %" PRIu64 "'s requests",
                     req->staff_id);
            return cl_job_fail(job, CL_EPERM, "staff_id", msg);
        }
        w.requester = (int64_t)req->staff_id;
    } else if (l.scope == SCOPE_MINE) {
        w.requester = l.me;
    }
    if (l.scope == SCOPE_INBOX) {
        w.inbox = 1;
        w.state = CL_REQ_PENDING;
    }

    l.reply = CL_ARENA_NEW(&job->arena, Clinic__StaffRequestListReply);
    clinic__staff_request_list_reply__init(l.reply);
    if ((rc = cl_req_db_walk(tx, &w, list_each, &l)) < 0)
        return rc;
    if ((rc = cl_req_audit(tx, "request.list", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_REQUEST_LIST;
    job->resp.staff_request_list = l.reply;
    return 0;
}

int cl_handle_staff_request_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffRequestShowRequest *req = job->req->staff_request_show;
    cl_req_row_t row;
    char msg[64];
    if (req->id == 0 || req->id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "id", "id is required");
    int rc = cl_req_db_get(tx, (int64_t)req->id, &row);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no request %" PRIu64, req->id);
        return cl_job_fail(job, CL_ENOTFOUND, "id", msg);
    }
    if (rc < 0)
        return rc;
    if (!may_see(tx, &row))
        return cl_job_fail(job, CL_EPERM, "id", "you may not see another's requests");
    if ((rc = cl_req_audit(tx, "request.show", (int64_t)req->id)) < 0)
        return rc;
    return reply_request(tx, row.msg);
}

/* ---- deciding and withdrawing: each request in a SAVEPOINT of its own ---- */

/* One request's failure, taken off the job so that the others go on. */
typedef struct {
    int status;
    const char *field;   /* in the arena, or NULL */
    const char *message; /* in the arena */
} item_failure_t;

static int item_begin(cl_tx_t *tx, cl_change_t **mark)
{
    *mark = tx->last_change;
    return cl_db_exec(tx->db, "SAVEPOINT item");
}

/* Undoes a failed item and takes its failure off the job into *f. Returns 0, or a status when
 * the failure is the server's (the whole job fails then). */
static int item_undo(cl_tx_t *tx, cl_change_t *mark, int status, item_failure_t *f)
{
    cl_job_t *job = tx->job;
    Clinic__Code code = cl_status_code(status);
    f->status = status;
    f->field = NULL;
    f->message = cl_status_message(status);
    if (job->resp.status != NULL) {
        f->message = cl_arena_strdup(&job->arena, job->resp.status->message);
        if (job->resp.status->n_fields > 0)
            f->field = cl_arena_strdup(&job->arena, job->resp.status->fields[0]->field);
    }
    if (code == CLINIC__CODE__UNAVAILABLE || code == CLINIC__CODE__INTERNAL)
        return status;
    cl_db_reset_busy(tx->db);
    int rc = cl_db_exec(tx->db, "ROLLBACK TO item; RELEASE item");
    if (rc < 0)
        return rc;
    cl_req_changes_restore(tx, mark);
    job->resp.status = NULL;
    job->status = 0;
    return 0;
}

/* After a refused item: the current record when the user may see it, and an audit row of the
 * attempt (which is also the read of that record). NULL when there is no such request. */
static Clinic__StaffRequest *item_current(cl_tx_t *tx, int64_t id, const char *action, int *rc)
{
    cl_req_row_t row;
    *rc = id > 0 ? cl_req_db_get(tx, id, &row) : CL_ENOTFOUND;
    if (*rc == CL_ENOTFOUND) {
        *rc = 0;
        return NULL;
    }
    if (*rc < 0)
        return NULL;
    if ((*rc = cl_req_audit(tx, action, id)) < 0)
        return NULL;
    return may_see(tx, &row) ? row.msg : NULL;
}

/* What withdrawing and cancelling share: one request's change of state, `run` (cl_req_withdraw
 * or cl_req_cancel), inside SAVEPOINT item, answered with the record after it; refused, with the
 * current record (when the caller may see it) and a `refused_action` audit row for that read. */
typedef int (*one_change_fn)(cl_tx_t *tx, int64_t id, uint64_t version, const char *comment,
                             cl_req_row_t *row);

static int change_one(cl_tx_t *tx, uint64_t id, uint64_t version, const char *comment,
                      one_change_fn run, const char *refused_action)
{
    cl_job_t *job = tx->job;
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "id", "id is required");
    int rc = cl_req_check_text(tx, "comment", comment, CL_REQ_COMMENT_MAX);
    if (rc < 0)
        return rc;
    cl_change_t *mark;
    if ((rc = item_begin(tx, &mark)) < 0)
        return rc;
    cl_req_row_t row;
    rc = run(tx, (int64_t)id, version, comment, &row);
    if (rc == 0) {
        if ((rc = cl_db_exec(tx->db, "RELEASE item")) < 0)
            return rc;
        return reply_request(tx, row.msg);
    }
    item_failure_t f;
    if ((rc = item_undo(tx, mark, rc, &f)) < 0)
        return rc;
    Clinic__StaffRequest *cur = item_current(tx, (int64_t)id, refused_action, &rc);
    if (rc < 0)
        return rc;
    if (cur != NULL)
        reply_request(tx, cur);
    return cl_job_refuse(job, f.status, f.field, f.message);
}

int cl_handle_staff_request_withdraw(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffRequestWithdrawRequest *req = job->req->staff_request_withdraw;
    return change_one(tx, req->id, req->version, req->comment, cl_req_withdraw,
                      "request.withdraw.refused");
}

int cl_handle_staff_request_cancel(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffRequestCancelRequest *req = job->req->staff_request_cancel;
    return change_one(tx, req->id, req->version, req->comment, cl_req_cancel,
                      "request.cancel.refused");
}

int cl_handle_staff_request_decide(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffRequestDecideRequest *req = job->req->staff_request_decide;
    int rc;
    if (req->n_ids == 0)
        return cl_job_fail(job, CL_EINVAL, "ids", "give at least one request id");
    if (req->n_ids > CL_REQ_BULK_MAX)
        return cl_job_fail(job, CL_EINVAL, "ids", "at most 200 requests at once");
    if (req->n_versions != 0 && req->n_versions != req->n_ids)
        return cl_job_fail(job, CL_EINVAL, "versions", "give one version per id, or none");
    if ((rc = cl_req_check_text(tx, "comment", req->comment, CL_REQ_COMMENT_MAX)) < 0)
        return rc;
    if (!req->approve && req->comment[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "comment", "a denial needs a comment saying why");
    if (req->approve && req->override && !cl_auth_allowed(job->who.roles, CL_PERM_STAFF_OVERRIDE))
        return cl_job_fail(job, CL_EPERM, "override",
                           "overriding a desk minimum needs the staff_override permission");
    for (size_t i = 0; i < req->n_ids; i++)
        if (req->ids[i] == 0 || req->ids[i] > INT64_MAX)
            return cl_job_fail(job, CL_EINVAL, "ids", "a request id is out of range");

    Clinic__StaffRequestDecideReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__StaffRequestDecideReply);
    clinic__staff_request_decide_reply__init(reply);
    reply->results = cl_arena_alloc(&job->arena, req->n_ids * sizeof(*reply->results));
    item_failure_t last = {0, NULL, NULL};
    for (size_t i = 0; i < req->n_ids; i++) {
        int64_t id = (int64_t)req->ids[i];
        Clinic__StaffRequestDecision *d = CL_ARENA_NEW(&job->arena, Clinic__StaffRequestDecision);
        clinic__staff_request_decision__init(d);
        d->id = (uint64_t)id;
        reply->results[reply->n_results++] = d;

        cl_change_t *mark;
        if ((rc = item_begin(tx, &mark)) < 0)
            return rc;
        cl_req_row_t row;
        rc = cl_req_decide(tx, id, req->n_versions ? req->versions[i] : 0, req->approve,
                           req->comment, req->override, &row);
        if (rc == 0) {
            if ((rc = cl_db_exec(tx->db, "RELEASE item")) < 0)
                return rc;
            d->code = (char *)cl_code_name(CLINIC__CODE__OK);
            d->message = "";
            d->request = row.msg;
            reply->decided++;
            continue;
        }
        if ((rc = item_undo(tx, mark, rc, &last)) < 0)
            return rc;
        d->code = (char *)cl_code_name(cl_status_code(last.status));
        d->message = (char *)last.message;
        d->request = item_current(tx, id, "request.decide.refused", &rc);
        if (rc < 0)
            return rc;
        reply->failed++;
    }
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_REQUEST_DECIDE;
    job->resp.staff_request_decide = reply;
    /* One request decided alone: its failure is the reply's status (the refusal's audit row
     * is kept). Several: each has its own result, and the reply is OK. */
    if (req->n_ids == 1 && reply->failed == 1)
        return cl_job_refuse(job, last.status, last.field, last.message);
    return 0;
}

/* ---- the inbox's figures ---- */

typedef struct {
    cl_tx_t *tx;
    int64_t me;
    Clinic__ApprovalsSummaryReply *reply;
} summary_t;

static int summary_each(cl_req_row_t *row, void *arg)
{
    summary_t *s = arg;
    int rc = may_decide(s->tx, s->me, row->r.requester);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < s->reply->n_kinds; i++) {
        Clinic__ApprovalsKindCount *k = s->reply->kinds[i];
        if (strcmp(k->kind, row->msg->kind) != 0)
            continue;
        int64_t age = s->tx->now - row->created_at;
        k->pending++;
        if (age < 86400)
            k->under_1_day++;
        else if (age <= 3 * 86400)
            k->days_1_to_3++;
        else
            k->over_3_days++;
        k->over_balance += row->msg->over_balance;
    }
    s->reply->pending++;
    if (s->reply->oldest_at == 0 || row->created_at < s->reply->oldest_at)
        s->reply->oldest_at = row->created_at;
    return 0;
}

int cl_handle_approvals_summary(cl_tx_t *tx, cl_job_t *job)
{
    summary_t s = {.tx = tx};
    int rc = requester_of(tx, &s.me);
    if (rc < 0)
        return rc;
    size_t n;
    const cl_req_kind_def_t *kinds = cl_req_kinds(&n);
    s.reply = CL_ARENA_NEW(&job->arena, Clinic__ApprovalsSummaryReply);
    clinic__approvals_summary_reply__init(s.reply);
    s.reply->server_time = tx->now;
    s.reply->kinds = cl_arena_alloc(&job->arena, n * sizeof(*s.reply->kinds));
    for (size_t i = 0; i < n; i++) {
        Clinic__ApprovalsKindCount *k = CL_ARENA_NEW(&job->arena, Clinic__ApprovalsKindCount);
        clinic__approvals_kind_count__init(k);
        k->kind = (char *)kinds[i].name;
        s.reply->kinds[s.reply->n_kinds++] = k;
    }
    cl_req_walk_t w = {.inbox = 1, .state = CL_REQ_PENDING};
    if ((rc = cl_req_db_walk(tx, &w, summary_each, &s)) < 0)
        return rc;
    if ((rc = cl_req_audit(tx, "request.summary", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_APPROVALS_SUMMARY;
    job->resp.approvals_summary = s.reply;
    return 0;
}

/* ---- balances ---- */

/* Fills a balance reply for `staff_id` (every type, and the ledger when asked). */
static int balance_reply(cl_tx_t *tx, int64_t staff_id, int ledger,
                         Clinic__TimeOffBalanceShowReply **out)
{
    cl_job_t *job = tx->job;
    char name[160] = "";
    int64_t supervisor;
    int active;
    int rc = cl_staff_brief(tx, staff_id, &supervisor, &active, name, sizeof(name));
    if (rc < 0)
        return rc;
    Clinic__TimeOffBalanceShowReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__TimeOffBalanceShowReply);
    clinic__time_off_balance_show_reply__init(reply);
    reply->staff_id = (uint64_t)staff_id;
    reply->staff_name = cl_arena_strdup(&job->arena, name);
    reply->as_of = cl_arena_alloc(&job->arena, 11);
    cl_date_format(cl_date_of(tx->now), reply->as_of);
    size_t n = 0;
    while (cl_timeoff_types[n])
        n++;
    reply->balances = cl_arena_alloc(&job->arena, n * sizeof(*reply->balances));
    for (size_t i = 0; i < n; i++) {
        Clinic__TimeOffBalance *b = CL_ARENA_NEW(&job->arena, Clinic__TimeOffBalance);
        clinic__time_off_balance__init(b);
        if ((rc = cl_timeoff_balance(tx, staff_id, cl_timeoff_types[i], b)) < 0)
            return rc;
        reply->balances[reply->n_balances++] = b;
    }
    if (ledger && (rc = cl_timeoff_db_ledger(tx, staff_id, &reply->ledger, &reply->n_ledger)) < 0)
        return rc;
    *out = reply;
    return 0;
}

/* The staff member a balance request names (0: the job's user), failing the job when unknown. */
static int balance_staff(cl_tx_t *tx, uint64_t staff_id, int64_t *out)
{
    char msg[64];
    if (staff_id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "staff_id", "staff_id is out of range");
    if (staff_id == 0)
        return requester_of(tx, out);
    int64_t supervisor;
    int active;
    char name[8];
    int rc = cl_staff_brief(tx, (int64_t)staff_id, &supervisor, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no staff member %" PRIu64, staff_id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, "staff_id", msg);
    }
    *out = (int64_t)staff_id;
    return rc;
}

int cl_handle_time_off_balance_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__TimeOffBalanceShowRequest *req = job->req->time_off_balance_show;
    int64_t staff_id;
    int rc = balance_staff(tx, req->staff_id, &staff_id);
    if (rc < 0)
        return rc;
    if (cl_staff_access(tx, staff_id) == CL_STAFF_NONE)
        return cl_job_fail(job, CL_EPERM, "staff_id", "you may not see another's balances");
    Clinic__TimeOffBalanceShowReply *reply;
    if ((rc = balance_reply(tx, staff_id, req->ledger, &reply)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "timeoff.balance", "staff",
                              (uint64_t)staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_TIME_OFF_BALANCE_SHOW;
    job->resp.time_off_balance_show = reply;
    return 0;
}

int cl_handle_time_off_balance_adjust(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__TimeOffBalanceAdjustRequest *req = job->req->time_off_balance_adjust;
    cl_timeoff_policy_t pol;
    int64_t staff_id, user = 0;
    int rc;

    if (req->staff_id == 0)
        return cl_job_fail(job, CL_EINVAL, "staff_id", "staff_id is required");
    rc = cl_timeoff_db_policy(tx, req->type, &pol);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(job, CL_EINVAL, "type", "type must be vacation, sick or personal");
    if (rc < 0)
        return rc;
    if (!pol.tracked)
        return cl_job_fail(job, CL_EINVAL, "type", "unpaid time off has no balance to adjust");
    if (req->minutes == 0 || req->minutes > CL_ADJUST_MAX || req->minutes < -CL_ADJUST_MAX)
        return cl_job_fail(job, CL_EINVAL, "minutes",
                           "minutes must be -200000 to 200000, and not 0");
    if (req->reason[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "reason", "an adjustment needs its reason");
    if ((rc = cl_req_check_text(tx, "reason", req->reason, CL_REQ_COMMENT_MAX)) < 0)
        return rc;
    if ((rc = balance_staff(tx, req->staff_id, &staff_id)) < 0)
        return rc;
    /* The periods already completed are credited first, so the ledger reads in order. */
    if ((rc = cl_timeoff_accrue(tx, staff_id, req->type)) < 0)
        return rc;
    if ((rc = cl_timeoff_db_ledger_add(tx, staff_id, req->type, "adjustment", req->minutes, 0,
                                       req->reason)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "timeoff.adjust", "staff",
                              (uint64_t)staff_id)) < 0)
        return rc;
    if ((rc = cl_staff_user(tx, staff_id, &user)) < 0)
        return rc;
    if (user && (rc = cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "timeoff_balance", (uint64_t)staff_id,
                                   CLINIC__CHANGE_OP__UPDATED, user)) < 0)
        return rc;
    Clinic__TimeOffBalanceShowReply *reply;
    if ((rc = balance_reply(tx, staff_id, 1, &reply)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_TIME_OFF_BALANCE_ADJUST;
    job->resp.time_off_balance_adjust = reply;
    return 0;
}

/* ---- the accrual policy ---- */

static int policy_reply(cl_tx_t *tx)
{
    Clinic__AccrualPolicy **policies;
    size_t n;
    int rc = cl_timeoff_db_policies(tx, &policies, &n);
    if (rc < 0)
        return rc;
    /* Get and set answer alike. */
    Clinic__AccrualPolicyReply *reply = CL_JOB_REPLY(tx->job, Clinic__AccrualPolicyReply);
    reply->policies = policies;
    reply->n_policies = n;
    cl_pay_policy_t pay;
    reply->pay_period = "";
    if (cl_pay_policy(tx, &pay) == 0)
        reply->pay_period = pay.period == CL_PAY_WEEKLY     ? "weekly"
                            : pay.period == CL_PAY_BIWEEKLY ? "biweekly"
                                                            : "semimonthly";
    return 0;
}

int cl_handle_accrual_policy_get(cl_tx_t *tx, cl_job_t *job)
{
    (void)job;
    return policy_reply(tx);
}

int cl_handle_accrual_policy_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AccrualPolicySetRequest *req = job->req->accrual_policy_set;
    cl_timeoff_policy_t pol;
    char msg[200];
    int rc = cl_timeoff_db_policy(tx, req->type, &pol);
    if (rc == CL_ENOTFOUND || (rc == 0 && !pol.tracked))
        return cl_job_fail(job, CL_EINVAL, "type",
                           "type must be vacation, sick or personal (unpaid has no balance)");
    if (rc < 0)
        return rc;
    if (req->accrual_minutes < 0 || req->accrual_minutes > CL_ACCRUAL_MAX)
        return cl_job_fail(job, CL_EINVAL, "accrual_minutes",
                           "accrual_minutes must be 0-4800 per pay period");
    if (req->cap_minutes < 0 || req->cap_minutes > CL_ACCRUAL_CAP_MAX)
        return cl_job_fail(job, CL_EINVAL, "cap_minutes", "cap_minutes must be 0-200000");
    if (req->version == 0)
        return cl_job_fail(job, CL_EINVAL, "version",
                           "version is required: the policy's version read");
    if (req->version != pol.version) {
        snprintf(msg, sizeof(msg),
                 "the %s policy was changed by someone else: version %" PRIu64
                 " is stale, the current version is %" PRIu64,
                 pol.type, req->version, pol.version);
        if ((rc = policy_reply(tx)) < 0)
            return rc;
        return cl_job_fail(job, CL_ECONFLICT, "version", msg);
    }
    /* Periods completed under the old rate are credited at it before the rate changes. */
    int64_t *staff;
    size_t n;
    if ((rc = cl_timeoff_db_active_staff(tx, &staff, &n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = cl_timeoff_accrue(tx, staff[i], pol.type)) < 0)
            return rc;
    rc = cl_timeoff_db_policy_set(tx, pol.type, req->accrual_minutes, req->cap_minutes,
                                  req->version);
    if (rc < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "timeoff.policy", "timeoff_policy", 0)) <
        0)
        return rc;
    return policy_reply(tx);
}
