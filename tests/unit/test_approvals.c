/* The request workflow on the real schema: filing each kind with its validation, the over-balance
 * flag, approving, denying and withdrawing, who may decide and who may see, a decision racing a
 * withdrawal, bulk approval, time off against a desk minimum (the shifts part's hook), accrual
 * per pay period, balances and their rights, the live changes and audit rows each step leaves,
 * and the plans of the hot queries. */
#include "approvals_int.h"
#include "calendar.h"
#include "domain_fixture.h"

/* fx_open's clock: 2023-11-14 22:13:20 UTC, a Tuesday. The clinic runs on UTC here. The weekly
 * pay periods of the default pay policy start on Sundays (anchor 2024-01-07). */
#define MONDAY "2023-11-20"
#define TUESDAY "2023-11-21"
#define SATURDAY "2023-11-25"

typedef struct {
    fx_t fx;
    cl_identity_t manager, sup, alice, bob;
    int64_t manager_staff, sup_staff, alice_staff, bob_staff;
    int64_t sup_user, alice_user;
} office_t;

/* A manager, a supervisor with one report (alice) and a staff member under nobody (bob). Every
 * user is a staff member (the staff part's trigger). */
static void office_open(office_t *o)
{
    ASSERT_OK(cl_calendar_set_zone("UTC"));
    fx_open(&o->fx);
    fx_t *fx = &o->fx;
    fx_user(fx, "manager", CL_ROLE_manager);
    o->sup_user = fx_user(fx, "sup", CL_ROLE_staff);
    o->alice_user = fx_user(fx, "alice", CL_ROLE_staff);
    fx_user(fx, "bob", CL_ROLE_staff);
    o->manager = fx_who(fx, "manager");
    o->sup = fx_who(fx, "sup");
    o->alice = fx_who(fx, "alice");
    o->bob = fx_who(fx, "bob");
    o->manager_staff = fx_staff_of(fx, "manager");
    o->sup_staff = fx_staff_of(fx, "sup");
    o->alice_staff = fx_staff_of(fx, "alice");
    o->bob_staff = fx_staff_of(fx, "bob");
    fx_set_supervisor(fx, o->alice_staff, o->sup_staff);
}

static void office_close(office_t *o)
{
    fx_close(&o->fx);
}

/* Runs a request of kind `kind` on `body` by `who` (fx_call); the caller frees the job. A
 * refusal (writes kept, the client told no: cl_job_refuse) ends as the store ends it: its status
 * is the job's. */
static cl_job_t *run(office_t *o, const cl_identity_t *who, Clinic__Request__BodyCase kind,
                     const void *body)
{
    cl_job_t *job = fx_call(&o->fx, who, kind, body);
    if (job->status == 0 && job->refused != 0)
        job->status = job->refused;
    return job;
}

/* Files time off; returns the job (the caller frees it). */
static cl_job_t *timeoff(office_t *o, const cl_identity_t *who, const char *type, const char *from,
                         const char *to, uint32_t start, uint32_t end)
{
    Clinic__TimeOffFileRequest m = CLINIC__TIME_OFF_FILE_REQUEST__INIT;
    m.type = (char *)type;
    m.from_date = (char *)from;
    m.to_date = (char *)to;
    m.start_minute = start;
    m.end_minute = end;
    m.details = "family trip";
    return run(o, who, CLINIC__REQUEST__BODY_TIME_OFF_FILE, &m);
}

static cl_job_t *expense(office_t *o, const cl_identity_t *who, int64_t cents, const char *category,
                         const char *date)
{
    Clinic__ExpenseFileRequest m = CLINIC__EXPENSE_FILE_REQUEST__INIT;
    m.amount_cents = cents;
    m.category = (char *)category;
    m.receipt_note = "receipt in the office drawer";
    m.date = (char *)date;
    return run(o, who, CLINIC__REQUEST__BODY_EXPENSE_FILE, &m);
}

/* Files an expense that must succeed; returns its id. */
static uint64_t expense_ok(office_t *o, const cl_identity_t *who)
{
    cl_job_t *job = expense(o, who, 2599, "supplies", "");
    ASSERT_OK(job->status);
    uint64_t id = job->resp.expense_file->request->id;
    cl_job_free(job);
    return id;
}

static cl_job_t *decide(office_t *o, const cl_identity_t *who, const uint64_t *ids, size_t n,
                        int approve, const char *comment, int override, uint64_t version)
{
    Clinic__StaffRequestDecideRequest m = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
    uint64_t v = version;
    m.ids = (uint64_t *)ids;
    m.n_ids = n;
    m.approve = approve;
    m.comment = (char *)comment;
    m.override = override;
    if (version) {
        m.versions = &v;
        m.n_versions = 1;
    }
    return run(o, who, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &m);
}

/* Decides one request and returns the job's status. */
static int decide_one(office_t *o, const cl_identity_t *who, uint64_t id, int approve,
                      const char *comment)
{
    cl_job_t *job = decide(o, who, &id, 1, approve, comment, 0, 0);
    int rc = job->status;
    cl_job_free(job);
    return rc;
}

static cl_job_t *withdraw(office_t *o, const cl_identity_t *who, uint64_t id, uint64_t version)
{
    Clinic__StaffRequestWithdrawRequest m = CLINIC__STAFF_REQUEST_WITHDRAW_REQUEST__INIT;
    m.id = id;
    m.version = version;
    m.comment = "plans changed";
    return run(o, who, CLINIC__REQUEST__BODY_STAFF_REQUEST_WITHDRAW, &m);
}

static cl_job_t *cancel(office_t *o, const cl_identity_t *who, uint64_t id, uint64_t version,
                        const char *comment)
{
    Clinic__StaffRequestCancelRequest m = CLINIC__STAFF_REQUEST_CANCEL_REQUEST__INIT;
    m.id = id;
    m.version = version;
    m.comment = (char *)comment;
    return run(o, who, CLINIC__REQUEST__BODY_STAFF_REQUEST_CANCEL, &m);
}

static cl_job_t *show(office_t *o, const cl_identity_t *who, uint64_t id)
{
    Clinic__StaffRequestShowRequest m = CLINIC__STAFF_REQUEST_SHOW_REQUEST__INIT;
    m.id = id;
    return run(o, who, CLINIC__REQUEST__BODY_STAFF_REQUEST_SHOW, &m);
}

static cl_job_t *list(office_t *o, const cl_identity_t *who, const char *scope, uint64_t staff_id)
{
    Clinic__StaffRequestListRequest m = CLINIC__STAFF_REQUEST_LIST_REQUEST__INIT;
    m.scope = (char *)scope;
    m.staff_id = staff_id;
    return run(o, who, CLINIC__REQUEST__BODY_STAFF_REQUEST_LIST, &m);
}

/* Whether the list reply of `job` holds request `id`. */
static int listed(const cl_job_t *job, uint64_t id)
{
    const Clinic__StaffRequestListReply *r = job->resp.staff_request_list;
    for (size_t i = 0; i < r->n_requests; i++)
        if (r->requests[i]->id == id)
            return 1;
    return 0;
}

static const char *state_of(office_t *o, uint64_t id)
{
    static char state[16];
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT state FROM requests WHERE id = %llu",
             (unsigned long long)id);
    sqlite3_stmt *st = fx_prepare(&o->fx, sql);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return state;
}

static cl_job_t *balance(office_t *o, const cl_identity_t *who, uint64_t staff_id)
{
    Clinic__TimeOffBalanceShowRequest m = CLINIC__TIME_OFF_BALANCE_SHOW_REQUEST__INIT;
    m.staff_id = staff_id;
    m.ledger = 1;
    return run(o, who, CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_SHOW, &m);
}

static const Clinic__TimeOffBalance *balance_of(const cl_job_t *job, const char *type)
{
    const Clinic__TimeOffBalanceShowReply *r = job->resp.time_off_balance_show;
    for (size_t i = 0; i < r->n_balances; i++)
        if (strcmp(r->balances[i]->type, type) == 0)
            return r->balances[i];
    CL_FAIL("no balance of %s", type);
    return NULL;
}

static int set_accrual(office_t *o, const char *type, int64_t minutes, int64_t cap,
                       uint64_t version)
{
    Clinic__AccrualPolicySetRequest m = CLINIC__ACCRUAL_POLICY_SET_REQUEST__INIT;
    m.type = (char *)type;
    m.accrual_minutes = minutes;
    m.cap_minutes = cap;
    m.version = version;
    cl_job_t *job = run(o, &o->manager, CLINIC__REQUEST__BODY_ACCRUAL_POLICY_SET, &m);
    int rc = job->status;
    cl_job_free(job);
    return rc;
}

static int adjust(office_t *o, int64_t staff, const char *type, int64_t minutes, const char *why)
{
    Clinic__TimeOffBalanceAdjustRequest m = CLINIC__TIME_OFF_BALANCE_ADJUST_REQUEST__INIT;
    m.staff_id = (uint64_t)staff;
    m.type = (char *)type;
    m.minutes = minutes;
    m.reason = (char *)why;
    cl_job_t *job = run(o, &o->manager, CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_ADJUST, &m);
    int rc = job->status;
    cl_job_free(job);
    return rc;
}

/* A desk and a published shift of `staff` on `date` from `from` to `to` (local minutes). */
static int64_t add_desk(office_t *o, const char *name, int min_staff)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "INSERT INTO desks (name, min_staff) VALUES ('%s', %d) RETURNING id",
             name, min_staff);
    return fx_int(&o->fx, sql, NULL);
}

static int64_t add_shift(office_t *o, int64_t staff, int64_t desk, const char *date, int from,
                         int to)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse(date, &d));
    char sql[400];
    snprintf(sql, sizeof(sql),
             "INSERT INTO shifts (staff_id, desk_id, starts_at, ends_at, date, state, created_at, "
             "created_by, updated_at, updated_by) VALUES (%lld, %lld, %lld, %lld, '%s', "
             "'published', 1, 1, 1, 1) RETURNING id",
             (long long)staff, (long long)desk, (long long)cl_local_instant(d, from),
             (long long)cl_local_instant(d, to), date);
    return fx_int(&o->fx, sql, NULL);
}

/* The number of changes of `job` on `topic` for `scope_user`. */
static int changes_on(const cl_job_t *job, const char *topic, int64_t scope_user)
{
    int n = 0;
    for (const cl_change_t *c = job->changes; c; c = c->next)
        n += strcmp(c->topic, topic) == 0 && c->scope_user == scope_user &&
             strcmp(c->entity, "request") == 0;
    return n;
}

/* ---- filing ---- */

CL_TEST(timeoff_counts_weekdays_and_is_flagged_over_the_balance)
{
    office_t o;
    office_open(&o);
    /* Bad input "time off over the balance": filed, pending, and flagged, not refused. */
    cl_job_t *job = timeoff(&o, &o.alice, "vacation", MONDAY, TUESDAY, 0, 0);
    ASSERT_OK(job->status);
    const Clinic__StaffRequest *r = job->resp.time_off_file->request;
    ASSERT_STR_EQ(r->kind, "timeoff");
    ASSERT_STR_EQ(r->state, "pending");
    ASSERT_STR_EQ(r->category, "vacation");
    ASSERT_STR_EQ(r->from_date, MONDAY);
    ASSERT_STR_EQ(r->to_date, TUESDAY);
    ASSERT_EQ(r->amount, 2 * 480); /* two weekdays without shifts: 8 hours each */
    ASSERT_EQ(r->over_balance, 1);
    ASSERT_EQ(r->requester_id, o.alice_staff);
    ASSERT_STR_EQ(r->created_by, "alice");
    fx_assert_last_audit(&o.fx, "alice", "request.file", "request", r->id);
    cl_job_free(job);

    /* With the balance there, the next one is not flagged; unpaid time off never is. */
    ASSERT_OK(adjust(&o, o.alice_staff, "vacation", 2000, "carried over from last year"));
    job = timeoff(&o, &o.alice, "vacation", "2023-11-27", "", 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_file->request->over_balance, 0);
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "unpaid", "2023-12-04", "2023-12-08", 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_file->request->amount, 5 * 480);
    ASSERT_EQ(job->resp.time_off_file->request->over_balance, 0);
    cl_job_free(job);

    /* Pending minutes count against what is available: 2000 - 960 - 480 left 560. */
    job = balance(&o, &o.alice, 0);
    ASSERT_OK(job->status);
    const Clinic__TimeOffBalance *b = balance_of(job, "vacation");
    ASSERT_EQ(b->adjusted, 2000);
    ASSERT_EQ(b->pending, 960 + 480);
    ASSERT_EQ(b->balance, 2000);
    ASSERT_EQ(b->available, 2000 - 1440);
    ASSERT_EQ(balance_of(job, "unpaid")->tracked, 0);
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(timeoff_part_day_and_shift_days)
{
    office_t o;
    office_open(&o);
    /* A part day: 13:00 to 17:00 on a weekday without shifts counts those 4 hours. */
    cl_job_t *job = timeoff(&o, &o.alice, "personal", MONDAY, "", 13 * 60, 17 * 60);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_file->request->amount, 240);
    cl_job_free(job);
    /* A day with a 6-hour shift counts the shift; a Saturday without one counts nothing. */
    int64_t desk = add_desk(&o, "Front desk", 0);
    add_shift(&o, o.alice_staff, desk, TUESDAY, 8 * 60, 14 * 60);
    job = timeoff(&o, &o.alice, "sick", TUESDAY, "", 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_file->request->amount, 360);
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "sick", SATURDAY, "", 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_file->request->amount, 0);
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(timeoff_bad_input_names_the_field)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = timeoff(&o, &o.alice, "holiday", MONDAY, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "type");
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "vacation", "2023-02-29", "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "from_date");
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "vacation", TUESDAY, MONDAY, 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "to_date");
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "vacation", MONDAY, "", 17 * 60, 13 * 60);
    FX_ASSERT_FAILED(job, CL_EINVAL, "end_minute");
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "vacation", MONDAY, "", 1440, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "start_minute");
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "vacation", "2023-01-01", "2024-06-01", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "to_date");
    cl_job_free(job);
    /* Overlapping one's own pending time off: CONFLICT naming it. */
    job = timeoff(&o, &o.alice, "vacation", MONDAY, TUESDAY, 0, 0);
    ASSERT_OK(job->status);
    uint64_t first = job->resp.time_off_file->request->id;
    cl_job_free(job);
    job = timeoff(&o, &o.alice, "sick", TUESDAY, "", 9 * 60, 10 * 60);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "from_date");
    char want[32];
    snprintf(want, sizeof(want), "request %llu", (unsigned long long)first);
    ASSERT_STR_CONTAINS(fx_message(job), want);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&o.fx, "SELECT count(*) FROM requests", NULL), 1);
    office_close(&o);
}

CL_TEST(expense_bad_input_names_the_field)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = expense(&o, &o.alice, 0, "supplies", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "amount_cents");
    cl_job_free(job);
    job = expense(&o, &o.alice, 100000001, "supplies", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "amount_cents");
    cl_job_free(job);
    job = expense(&o, &o.alice, 1200, "golf", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "category");
    cl_job_free(job);
    job = expense(&o, &o.alice, 1200, "mileage", "2023-12-01");
    FX_ASSERT_FAILED(job, CL_EINVAL, "date");
    cl_job_free(job);
    job = expense(&o, &o.alice, 4250, "mileage", "2023-11-10");
    ASSERT_OK(job->status);
    const Clinic__StaffRequest *r = job->resp.expense_file->request;
    ASSERT_STR_EQ(r->kind, "expense");
    ASSERT_EQ(r->amount, 4250);
    ASSERT_STR_EQ(r->category, "mileage");
    ASSERT_STR_EQ(r->details, "receipt in the office drawer");
    ASSERT_STR_EQ(r->from_date, "2023-11-10");
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(overtime_is_asked_for_ones_own_live_shift_once)
{
    office_t o;
    office_open(&o);
    int64_t desk = add_desk(&o, "Phones", 0);
    int64_t shift = add_shift(&o, o.alice_staff, desk, SATURDAY, 9 * 60, 13 * 60);
    int64_t bobs = add_shift(&o, o.bob_staff, desk, SATURDAY, 13 * 60, 17 * 60);
    Clinic__OvertimeFileRequest m = CLINIC__OVERTIME_FILE_REQUEST__INIT;
    m.shift_id = (uint64_t)shift;
    m.details = "inventory";
    cl_job_t *job = run(&o, &o.alice, CLINIC__REQUEST__BODY_OVERTIME_FILE, &m);
    ASSERT_OK(job->status);
    const Clinic__StaffRequest *r = job->resp.overtime_file->request;
    ASSERT_STR_EQ(r->kind, "overtime");
    ASSERT_EQ(r->overtime, 1);
    ASSERT_EQ(r->ref_id, shift);
    ASSERT_EQ(r->amount, 240);
    cl_job_free(job);
    /* Asked again while pending: CONFLICT. */
    job = run(&o, &o.alice, CLINIC__REQUEST__BODY_OVERTIME_FILE, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "shift_id");
    cl_job_free(job);
    /* Someone else's shift; no such shift. */
    m.shift_id = (uint64_t)bobs;
    job = run(&o, &o.alice, CLINIC__REQUEST__BODY_OVERTIME_FILE, &m);
    FX_ASSERT_FAILED(job, CL_EPERM, "shift_id");
    cl_job_free(job);
    m.shift_id = 9999;
    job = run(&o, &o.alice, CLINIC__REQUEST__BODY_OVERTIME_FILE, &m);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "shift_id");
    cl_job_free(job);
    office_close(&o);
}

/* ---- deciding ---- */

CL_TEST(approve_deny_and_withdraw_states)
{
    office_t o;
    office_open(&o);
    uint64_t a = expense_ok(&o, &o.alice), b = expense_ok(&o, &o.alice),
             c = expense_ok(&o, &o.alice);
    cl_job_t *job = decide(&o, &o.manager, &a, 1, 1, "ok", 0, 0);
    ASSERT_OK(job->status);
    const Clinic__StaffRequestDecideReply *r = job->resp.staff_request_decide;
    ASSERT_EQ(r->decided, 1);
    ASSERT_STR_EQ(r->results[0]->code, "OK");
    ASSERT_STR_EQ(r->results[0]->request->state, "approved");
    ASSERT_STR_EQ(r->results[0]->request->decided_by, "manager");
    ASSERT_EQ(r->results[0]->request->decided_at, o.fx.now - 1);
    ASSERT_EQ(r->results[0]->request->version, 2);
    fx_assert_last_audit(&o.fx, "manager", "request.approve", "request", a);
    cl_job_free(job);

    /* A denial needs its comment. */
    job = decide(&o, &o.manager, &b, 1, 0, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "comment");
    cl_job_free(job);
    ASSERT_OK(decide_one(&o, &o.manager, b, 0, "no receipt"));
    job = show(&o, &o.alice, b);
    ASSERT_STR_EQ(job->resp.staff_request_show->request->state, "denied");
    ASSERT_STR_EQ(job->resp.staff_request_show->request->comment, "no receipt");
    cl_job_free(job);

    job = withdraw(&o, &o.alice, c, 0);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.staff_request_withdraw->request->state, "withdrawn");
    ASSERT_STR_EQ(job->resp.staff_request_withdraw->request->comment, "plans changed");
    fx_assert_last_audit(&o.fx, "alice", "request.withdraw", "request", c);
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(deciding_a_decided_or_withdrawn_request_fails_precondition)
{
    office_t o;
    office_open(&o);
    /* Bad input "approval of an already decided or withdrawn request". */
    uint64_t a = expense_ok(&o, &o.alice), w = expense_ok(&o, &o.alice);
    ASSERT_OK(decide_one(&o, &o.manager, a, 1, ""));
    cl_job_t *job = decide(&o, &o.manager, &a, 1, 1, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "already approved");
    /* The reply carries the current record, and the attempt is audited. */
    ASSERT_STR_EQ(job->resp.staff_request_decide->results[0]->request->state, "approved");
    fx_assert_last_audit(&o.fx, "manager", "request.decide.refused", "request", a);
    cl_job_free(job);
    ASSERT_EQ(decide_one(&o, &o.manager, a, 0, "changed my mind"), CL_EPRECOND);

    FX_ASSERT_OK_FREE(withdraw(&o, &o.alice, w, 0));
    job = decide(&o, &o.manager, &w, 1, 1, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "already withdrawn");
    cl_job_free(job);
    /* Withdrawing what is decided fails the same way. */
    job = withdraw(&o, &o.alice, a, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    cl_job_free(job);
    ASSERT_STR_EQ(state_of(&o, a), "approved");
    ASSERT_STR_EQ(state_of(&o, w), "withdrawn");
    office_close(&o);
}

CL_TEST(self_approval_is_permission_denied)
{
    office_t o;
    office_open(&o);
    /* Bad input "self-approval": a manager's own request, and a supervisor's own. */
    uint64_t mine = expense_ok(&o, &o.manager);
    cl_job_t *job = decide(&o, &o.manager, &mine, 1, 1, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EPERM, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "your own request");
    cl_job_free(job);
    uint64_t sups = expense_ok(&o, &o.sup);
    ASSERT_EQ(decide_one(&o, &o.sup, sups, 1, ""), CL_EPERM);
    ASSERT_STR_EQ(state_of(&o, mine), "pending");
    ASSERT_STR_EQ(state_of(&o, sups), "pending");
    office_close(&o);
}

CL_TEST(plain_staff_cannot_approve_or_see_anothers_requests)
{
    office_t o;
    office_open(&o);
    uint64_t a = expense_ok(&o, &o.alice);
    ASSERT_EQ(decide_one(&o, &o.bob, a, 1, ""), CL_EPERM);
    ASSERT_EQ(decide_one(&o, &o.bob, a, 0, "no"), CL_EPERM);
    cl_job_t *job = show(&o, &o.bob, a);
    FX_ASSERT_FAILED(job, CL_EPERM, "id");
    cl_job_free(job);
    /* Refused decisions do not carry the record to a stranger. */
    job = decide(&o, &o.bob, &a, 1, 1, "", 0, 0);
    ASSERT_NULL(job->resp.staff_request_decide->results[0]->request);
    cl_job_free(job);
    job = list(&o, &o.bob, "all", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(listed(job, a), 0);
    cl_job_free(job);
    job = list(&o, &o.bob, "inbox", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_request_list->n_requests, 0);
    cl_job_free(job);
    job = list(&o, &o.bob, "", (uint64_t)o.alice_staff);
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    cl_job_free(job);
    /* Alice sees her own; the read is audited. */
    job = list(&o, &o.alice, "mine", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(listed(job, a), 1);
    fx_assert_last_audit(&o.fx, "alice", "request.list", "request", 0);
    cl_job_free(job);
    ASSERT_STR_EQ(state_of(&o, a), "pending");
    office_close(&o);
}

CL_TEST(supervisor_decides_reports_manager_decides_all)
{
    office_t o;
    office_open(&o);
    uint64_t a = expense_ok(&o, &o.alice), b = expense_ok(&o, &o.bob);
    cl_job_t *job = list(&o, &o.sup, "inbox", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(listed(job, a), 1);
    ASSERT_EQ(listed(job, b), 0);
    cl_job_free(job);
    job = list(&o, &o.manager, "inbox", 0);
    ASSERT_EQ(listed(job, a), 1);
    ASSERT_EQ(listed(job, b), 1);
    cl_job_free(job);
    ASSERT_EQ(decide_one(&o, &o.sup, b, 1, ""), CL_EPERM);
    ASSERT_OK(decide_one(&o, &o.sup, a, 1, "enjoy"));
    ASSERT_OK(decide_one(&o, &o.manager, b, 1, ""));
    /* The summary counts what waits for the user, per kind and age. */
    uint64_t c = expense_ok(&o, &o.alice);
    (void)c;
    o.fx.now += 2 * 86400;
    expense_ok(&o, &o.bob);
    Clinic__ApprovalsSummaryRequest sm = CLINIC__APPROVALS_SUMMARY_REQUEST__INIT;
    job = run(&o, &o.manager, CLINIC__REQUEST__BODY_APPROVALS_SUMMARY, &sm);
    ASSERT_OK(job->status);
    const Clinic__ApprovalsSummaryReply *s = job->resp.approvals_summary;
    ASSERT_EQ(s->pending, 2);
    ASSERT_EQ(s->n_kinds, 5);
    ASSERT_STR_EQ(s->kinds[4]->kind, "expense");
    ASSERT_EQ(s->kinds[4]->pending, 2);
    ASSERT_EQ(s->kinds[4]->under_1_day, 1);
    ASSERT_EQ(s->kinds[4]->days_1_to_3, 1);
    ASSERT_EQ(s->kinds[0]->pending, 0);
    cl_job_free(job);
    job = run(&o, &o.sup, CLINIC__REQUEST__BODY_APPROVALS_SUMMARY, &sm);
    ASSERT_EQ(job->resp.approvals_summary->pending, 1);
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(withdraw_is_the_requesters_and_pending_only)
{
    office_t o;
    office_open(&o);
    uint64_t a = expense_ok(&o, &o.alice);
    cl_job_t *job = withdraw(&o, &o.manager, a, 0);
    FX_ASSERT_FAILED(job, CL_EPERM, NULL);
    cl_job_free(job);
    FX_ASSERT_OK_FREE(withdraw(&o, &o.alice, a, 0));
    job = withdraw(&o, &o.alice, a, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    cl_job_free(job);
    job = withdraw(&o, &o.alice, 12345, 0);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(stale_version_conflicts_with_current_record)
{
    office_t o;
    office_open(&o);
    /* Bad input "stale versions". */
    uint64_t a = expense_ok(&o, &o.alice);
    cl_job_t *job = decide(&o, &o.manager, &a, 1, 1, "", 0, 7);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.staff_request_decide->results[0]->request->version, 1);
    cl_job_free(job);
    job = withdraw(&o, &o.alice, a, 3);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.staff_request_withdraw->request->version, 1);
    cl_job_free(job);
    FX_ASSERT_OK_FREE(decide(&o, &o.manager, &a, 1, 1, "", 0, 1));
    office_close(&o);
}

/* Runs two jobs as the store does in one batch: each in its own SAVEPOINT, one after the other,
 * in one transaction. */
static void run_batch(office_t *o, cl_job_t *first, cl_job_t *second)
{
    ASSERT_OK(cl_db_exec(o->fx.db, "BEGIN IMMEDIATE"));
    fx_stage(&o->fx, first);
    fx_stage(&o->fx, second);
    ASSERT_OK(cl_db_exec(o->fx.db, "COMMIT"));
}

CL_TEST(decision_racing_withdrawal_exactly_one_wins)
{
    office_t o;
    office_open(&o);
    /* Bad input "a decision racing a withdrawal", both ways round. */
    for (int withdraw_first = 0; withdraw_first < 2; withdraw_first++) {
        uint64_t id = expense_ok(&o, &o.alice);
        Clinic__StaffRequestDecideRequest dm = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
        Clinic__StaffRequestWithdrawRequest wm = CLINIC__STAFF_REQUEST_WITHDRAW_REQUEST__INIT;
        Clinic__Request dreq, wreq;
        dm.ids = &id;
        dm.n_ids = 1;
        dm.approve = 1;
        dm.comment = "";
        ASSERT_OK(cl_request_make(&dreq, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &dm));
        wm.id = id;
        wm.comment = "";
        ASSERT_OK(cl_request_make(&wreq, CLINIC__REQUEST__BODY_STAFF_REQUEST_WITHDRAW, &wm));
        cl_job_t *d = fx_job(cl_handle_staff_request_decide, &dreq, &o.manager);
        cl_job_t *w = fx_job(cl_handle_staff_request_withdraw, &wreq, &o.alice);
        if (withdraw_first)
            run_batch(&o, w, d);
        else
            run_batch(&o, d, w);
        /* The loser is refused with FAILED_PRECONDITION (its refusal kept, nothing else). */
        int d_won = d->refused == 0, w_won = w->refused == 0;
        ASSERT_EQ(d_won + w_won, 1);
        ASSERT_EQ(w_won, withdraw_first);
        ASSERT_EQ((d_won ? w : d)->refused, CL_EPRECOND);
        ASSERT_STR_EQ(state_of(&o, id), withdraw_first ? "withdrawn" : "approved");
        cl_job_free(d);
        cl_job_free(w);
    }
    office_close(&o);
}

CL_TEST(bulk_approve_decides_each_on_its_own)
{
    office_t o;
    office_open(&o);
    uint64_t a = expense_ok(&o, &o.alice), b = expense_ok(&o, &o.alice),
             own = expense_ok(&o, &o.manager), c = expense_ok(&o, &o.bob);
    ASSERT_OK(decide_one(&o, &o.manager, b, 0, "duplicate"));
    int64_t changes_before = fx_change_rows(&o.fx);
    uint64_t ids[] = {a, b, 99999, own, c};
    cl_job_t *job = decide(&o, &o.manager, ids, 5, 1, "approved in bulk", 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->refused, 0);
    const Clinic__StaffRequestDecideReply *r = job->resp.staff_request_decide;
    ASSERT_EQ(r->n_results, 5);
    ASSERT_EQ(r->decided, 2);
    ASSERT_EQ(r->failed, 3);
    ASSERT_STR_EQ(r->results[0]->code, "OK");
    ASSERT_STR_EQ(r->results[1]->code, "FAILED_PRECONDITION");
    ASSERT_STR_EQ(r->results[2]->code, "NOT_FOUND");
    ASSERT_STR_EQ(r->results[3]->code, "PERMISSION_DENIED");
    ASSERT_STR_EQ(r->results[4]->code, "OK");
    ASSERT_STR_EQ(state_of(&o, a), "approved");
    ASSERT_STR_EQ(state_of(&o, b), "denied");
    ASSERT_STR_EQ(state_of(&o, own), "pending");
    ASSERT_STR_EQ(state_of(&o, c), "approved");
    /* Only the two decisions left changes; the job's list matches the feed. */
    ASSERT_EQ((int64_t)fx_job_changes(job), fx_change_rows(&o.fx) - changes_before);
    ASSERT_EQ(changes_on(job, "approvals", 0), 2);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&o.fx, "SELECT count(*) FROM audit WHERE action = 'request.approve'", NULL),
              2);
    ASSERT_EQ(
        fx_int(&o.fx, "SELECT count(*) FROM audit WHERE action = 'request.decide.refused'", NULL),
        2);
    /* Too many, none, a deny without a comment: refused as a whole. */
    job = decide(&o, &o.manager, ids, 0, 1, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "ids");
    cl_job_free(job);
    job = decide(&o, &o.manager, ids, 2, 0, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "comment");
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(filing_and_deciding_are_live_for_approvers_and_requester)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = expense(&o, &o.alice, 500, "postage", "");
    ASSERT_OK(job->status);
    uint64_t id = job->resp.expense_file->request->id;
    /* Filed: the managers' topic and the supervisor's inbox; not the requester's. */
    ASSERT_EQ(changes_on(job, "approvals", 0), 1);
    ASSERT_EQ(changes_on(job, "inbox", o.sup_user), 1);
    ASSERT_EQ(changes_on(job, "inbox", o.alice_user), 0);
    cl_job_free(job);
    job = decide(&o, &o.manager, &id, 1, 1, "", 0, 0);
    ASSERT_EQ(changes_on(job, "approvals", 0), 1);
    ASSERT_EQ(changes_on(job, "inbox", o.alice_user), 1);
    ASSERT_EQ(changes_on(job, "inbox", o.sup_user), 1);
    cl_job_free(job);
    office_close(&o);
}

/* ---- time off against the shifts ---- */

CL_TEST(timeoff_below_desk_minimum_conflicts_unless_overridden)
{
    office_t o;
    office_open(&o);
    /* Bad input "over the desk minimum": alice is the front desk's only one on Monday. */
    int64_t desk = add_desk(&o, "Front desk", 1);
    int64_t shift = add_shift(&o, o.alice_staff, desk, MONDAY, 8 * 60, 16 * 60);
    ASSERT_OK(adjust(&o, o.alice_staff, "vacation", 960, "opening balance"));
    cl_job_t *job = timeoff(&o, &o.alice, "vacation", MONDAY, "", 0, 0);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.time_off_file->request->id;
    ASSERT_EQ(job->resp.time_off_file->request->amount, 480);
    cl_job_free(job);

    job = decide(&o, &o.sup, &id, 1, 1, "", 0, 0);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "Front desk");
    cl_job_free(job);
    ASSERT_STR_EQ(state_of(&o, id), "pending");
    ASSERT_EQ(
        fx_intf(&o.fx, "SELECT state = 'published' FROM shifts WHERE id = %lld", (long long)shift),
        1);

    /* The override needs the right to it: a supervisor lacks it. */
    job = decide(&o, &o.sup, &id, 1, 1, "", 1, 0);
    FX_ASSERT_FAILED(job, CL_EPERM, "override");
    cl_job_free(job);
    job = decide(&o, &o.manager, &id, 1, 1, "covered by the phones", 1, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_request_decide->results[0]->request->override_used, 1);
    cl_job_free(job);
    ASSERT_EQ(fx_intf(&o.fx, "SELECT state = 'off' FROM shifts WHERE id = %lld", (long long)shift),
              1);

    /* Approved: used in the ledger, and it blocks the shifts part's new shifts. */
    job = balance(&o, &o.alice, 0);
    const Clinic__TimeOffBalance *b = balance_of(job, "vacation");
    ASSERT_EQ(b->used, 480);
    ASSERT_EQ(b->pending, 0);
    ASSERT_EQ(b->balance, 480);
    cl_job_free(job);
    office_close(&o);
}

/* Approved time off called off: whoever may decide it cancels it with a comment; the shifts
 * it took come back as they were (published, draft), the provider's vacation block is
 * cancelled, the balance gets the minutes back, and the period is free again. Bad input: a
 * pending, cancelled or non-time-off request (FAILED_PRECONDITION), the requester or a stranger
 * (PERMISSION_DENIED), no comment, a stale version (CONFLICT). */
CL_TEST(cancelling_approved_timeoff_gives_back_shifts_block_and_balance)
{
    office_t o;
    office_open(&o);
    int64_t desk = add_desk(&o, "Phones", 0);
    int64_t published = add_shift(&o, o.alice_staff, desk, MONDAY, 8 * 60, 12 * 60);
    int64_t draft = add_shift(&o, o.alice_staff, desk, TUESDAY, 8 * 60, 12 * 60);
    int64_t afternoon = add_shift(&o, o.alice_staff, desk, MONDAY, 13 * 60, 17 * 60);
    char sql[200];
    snprintf(sql, sizeof(sql), "UPDATE shifts SET state = 'draft' WHERE id = %lld",
             (long long)draft);
    fx_exec(&o.fx, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO providers (user_id, name) VALUES (%lld, 'Dr Alice') RETURNING id",
             (long long)o.alice_user);
    int64_t provider = fx_int(&o.fx, sql, NULL);
    ASSERT_OK(adjust(&o, o.alice_staff, "vacation", 1440, "opening balance"));
    cl_job_t *job = timeoff(&o, &o.alice, "vacation", MONDAY, TUESDAY, 0, 0);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.time_off_file->request->id;
    ASSERT_EQ(job->resp.time_off_file->request->amount, 720); /* the three shifts' minutes */
    cl_job_free(job);

    job = cancel(&o, &o.manager, id, 0, "plans changed");
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "is pending");
    cl_job_free(job);
    ASSERT_OK(decide_one(&o, &o.manager, id, 1, "enjoy"));
    ASSERT_EQ(fx_intf(&o.fx,
                      "SELECT count(*) FROM shifts WHERE state = 'off' AND "
                      "timeoff_request_id = %llu",
                      (unsigned long long)id),
              3);
    ASSERT_EQ(fx_intf(&o.fx,
                      "SELECT count(*) FROM blocks WHERE provider_id = %lld AND "
                      "request_id = %llu AND cancelled = 0",
                      (long long)provider, (unsigned long long)id),
              1);
    job = balance(&o, &o.alice, 0);
    ASSERT_EQ(balance_of(job, "vacation")->used, 720);
    cl_job_free(job);

    /* The requester asks; a stranger is told nothing. */
    job = cancel(&o, &o.alice, id, 0, "not going");
    FX_ASSERT_FAILED(job, CL_EPERM, NULL);
    cl_job_free(job);
    job = cancel(&o, &o.bob, id, 0, "not going");
    FX_ASSERT_FAILED(job, CL_EPERM, NULL);
    cl_job_free(job);
    job = cancel(&o, &o.sup, id, 0, "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "comment");
    cl_job_free(job);
    job = cancel(&o, &o.sup, id, 1, "trip called off");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    cl_job_free(job);

    /* A shift put by hand over the afternoon one, which must then stay off. */
    add_shift(&o, o.alice_staff, desk, MONDAY, 14 * 60, 16 * 60);
    job = cancel(&o, &o.sup, id, 2, "trip called off");
    ASSERT_OK(job->status);
    const Clinic__StaffRequest *r = job->resp.staff_request_cancel->request;
    ASSERT_STR_EQ(r->state, "cancelled");
    ASSERT_EQ(r->version, 3);
    ASSERT_STR_EQ(r->cancelled_by, "sup");
    ASSERT_STR_EQ(r->cancel_comment, "trip called off");
    ASSERT_EQ(r->cancelled_at, o.fx.now - 1);
    ASSERT_STR_EQ(r->decided_by, "manager"); /* the approval stays on record */
    ASSERT_STR_EQ(r->comment, "enjoy");
    ASSERT_EQ(changes_on(job, "inbox", o.alice_user), 1); /* the requester is told */
    ASSERT_EQ(changes_on(job, "approvals", 0), 1);
    cl_job_free(job);
    fx_assert_last_audit(&o.fx, "sup", "request.cancel", "request", id);
    ASSERT_EQ(fx_intf(&o.fx, "SELECT state = 'published' FROM shifts WHERE id = %lld",
                      (long long)published),
              1);
    ASSERT_EQ(
        fx_intf(&o.fx, "SELECT state = 'draft' FROM shifts WHERE id = %lld", (long long)draft), 1);
    ASSERT_EQ(
        fx_intf(&o.fx, "SELECT state = 'off' FROM shifts WHERE id = %lld", (long long)afternoon),
        1);
    ASSERT_EQ(fx_int(&o.fx,
                     "SELECT count(*) FROM shifts WHERE timeoff_request_id <> 0 OR "
                     "off_from <> ''",
                     NULL),
              1);
    ASSERT_EQ(fx_int(&o.fx, "SELECT count(*) FROM audit WHERE action = 'shift.on'", NULL), 2);
    ASSERT_EQ(fx_intf(&o.fx, "SELECT cancelled FROM blocks WHERE request_id = %llu",
                      (unsigned long long)id),
              1);
    ASSERT_EQ(fx_int(&o.fx, "SELECT count(*) FROM audit WHERE action = 'block.cancel'", NULL), 1);
    job = balance(&o, &o.alice, 0);
    ASSERT_EQ(balance_of(job, "vacation")->used, 0);
    ASSERT_EQ(balance_of(job, "vacation")->balance, 1440);
    cl_job_free(job);

    /* Cancelled once: not again. The period is free: the same days can be asked for again. */
    job = cancel(&o, &o.manager, id, 0, "again");
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "is cancelled");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(timeoff(&o, &o.alice, "vacation", MONDAY, TUESDAY, 0, 0));

    /* Only time off can be cancelled. */
    uint64_t e = expense_ok(&o, &o.alice);
    ASSERT_OK(decide_one(&o, &o.manager, e, 1, ""));
    job = cancel(&o, &o.manager, e, 0, "wrong card");
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "(expense) cannot be cancelled: only approved time off");
    cl_job_free(job);
    office_close(&o);
}

/* Bad input: the time off of someone who has left is not cancelled (their shifts would come
 * back): FAILED_PRECONDITION, and nothing changes. */
CL_TEST(timeoff_of_someone_who_left_is_not_cancelled)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = timeoff(&o, &o.alice, "unpaid", MONDAY, "", 0, 0);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.time_off_file->request->id;
    cl_job_free(job);
    ASSERT_OK(decide_one(&o, &o.manager, id, 1, ""));
    char sql[96];
    snprintf(sql, sizeof(sql), "UPDATE staff SET active = 0 WHERE id = %lld",
             (long long)o.alice_staff);
    fx_exec(&o.fx, sql);
    job = cancel(&o, &o.manager, id, 0, "she is gone");
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "has left");
    cl_job_free(job);
    ASSERT_STR_EQ(state_of(&o, id), "approved");
    office_close(&o);
}

CL_TEST(timeoff_overlapping_and_withdraw_for_serve_the_other_parts)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = timeoff(&o, &o.alice, "sick", MONDAY, "", 0, 0);
    uint64_t id = job->resp.time_off_file->request->id;
    cl_job_free(job);
    cl_date_t mon;
    ASSERT_OK(cl_date_parse(MONDAY, &mon));
    int64_t from = cl_local_instant(mon, 600), to = cl_local_instant(mon, 700);

    cl_job_t *ctx = cl_job_new();
    ctx->who = o.manager;
    cl_tx_t tx = fx_tx(&o.fx, ctx);
    int64_t rid, s, e;
    ASSERT_OK(cl_db_exec(o.fx.db, "BEGIN"));
    /* Pending time off does not count: only approved. */
    ASSERT_EQ(cl_timeoff_overlapping(&tx, o.alice_staff, from, to, &rid, &s, &e), 0);
    ASSERT_OK(cl_db_exec(o.fx.db, "COMMIT"));
    ASSERT_OK(decide_one(&o, &o.manager, id, 1, ""));
    ASSERT_OK(cl_db_exec(o.fx.db, "BEGIN"));
    ASSERT_EQ(cl_timeoff_overlapping(&tx, o.alice_staff, from, to, &rid, &s, &e), 1);
    ASSERT_EQ(rid, id);
    ASSERT_EQ(s, cl_local_instant(mon, 0));
    ASSERT_EQ(e, cl_local_instant(mon, 1440));
    ASSERT_EQ(cl_timeoff_overlapping(&tx, o.bob_staff, from, to, &rid, &s, &e), 0);
    ASSERT_EQ(cl_timeoff_overlapping(&tx, o.alice_staff, e, e + 3600, &rid, &s, &e), 0);
    ASSERT_OK(cl_db_exec(o.fx.db, "COMMIT"));

    /* A cancelled shift takes its pending overtime request with it. */
    int64_t desk = add_desk(&o, "Billing", 0);
    int64_t shift = add_shift(&o, o.alice_staff, desk, SATURDAY, 9 * 60, 12 * 60);
    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_OVERTIME;
    r.requester = o.alice_staff;
    r.ref_id = shift;
    r.amount = 180;
    ASSERT_OK(cl_db_exec(o.fx.db, "BEGIN"));
    ASSERT_OK(cl_request_submit(&tx, &r));
    ASSERT_GT(r.id, 0);
    ASSERT_EQ(cl_request_withdraw_for(&tx, CL_REQ_OVERTIME, shift, "shift cancelled"), 1);
    ASSERT_EQ(cl_request_withdraw_for(&tx, CL_REQ_OVERTIME, shift, "again"), 0);
    ASSERT_OK(cl_db_exec(o.fx.db, "COMMIT"));
    ASSERT_STR_EQ(state_of(&o, (uint64_t)r.id), "withdrawn");
    /* The generic checks of a submit: an unknown staff member, a kind's own validation. */
    cl_request_t bad = r;
    bad.id = 0;
    bad.requester = 4242;
    ASSERT_OK(cl_db_exec(o.fx.db, "BEGIN"));
    ASSERT_EQ(cl_request_submit(&tx, &bad), CL_ENOTFOUND);
    bad.requester = o.alice_staff;
    bad.kind = CL_REQ_SWAP;
    ASSERT_EQ(cl_request_submit(&tx, &bad), CL_EINVAL);
    ASSERT_OK(cl_db_exec(o.fx.db, "COMMIT"));
    cl_job_free(ctx);
    office_close(&o);
}

/* ---- balances ---- */

CL_TEST(accrual_credits_each_completed_pay_period_once)
{
    office_t o;
    office_open(&o);
    /* The rate is set on Tuesday 2023-11-14; weekly periods run Sunday to Saturday. */
    ASSERT_OK(set_accrual(&o, "vacation", 240, 0, 1));
    ASSERT_OK(set_accrual(&o, "sick", 120, 300, 1));
    o.fx.now += 21 * 86400; /* Tuesday 2023-12-05: three periods have ended */
    cl_job_t *job = balance(&o, &o.alice, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(balance_of(job, "vacation")->accrued, 3 * 240);
    /* The cap holds the balance at 300: 120 + 120 + 60. */
    ASSERT_EQ(balance_of(job, "sick")->accrued, 300);
    ASSERT_EQ(balance_of(job, "personal")->accrued, 0);
    ASSERT_EQ(job->resp.time_off_balance_show->n_ledger, 6);
    ASSERT_STR_EQ(job->resp.time_off_balance_show->ledger[0]->period, "2023-11-12");
    cl_job_free(job);
    fx_assert_last_audit(&o.fx, "alice", "timeoff.balance", "staff", o.alice_staff);
    /* Read again, by someone else: nothing more, one row per staff member, type and period. */
    job = balance(&o, &o.manager, (uint64_t)o.alice_staff);
    ASSERT_EQ(balance_of(job, "vacation")->accrued, 3 * 240);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&o.fx, "SELECT count(*) FROM timeoff_ledger WHERE entry = 'accrual'", NULL),
              6);
    /* A new rate: the periods under the old one are credited at it first. */
    o.fx.now += 7 * 86400;
    ASSERT_OK(set_accrual(&o, "vacation", 480, 0, 2));
    o.fx.now += 7 * 86400;
    job = balance(&o, &o.alice, 0);
    ASSERT_EQ(balance_of(job, "vacation")->accrued, 4 * 240 + 480);
    cl_job_free(job);
    office_close(&o);
}

CL_TEST(accrual_policy_bad_input_and_stale_version)
{
    office_t o;
    office_open(&o);
    ASSERT_EQ(set_accrual(&o, "unpaid", 60, 0, 1), CL_EINVAL);
    ASSERT_EQ(set_accrual(&o, "vacation", 4801, 0, 1), CL_EINVAL);
    ASSERT_EQ(set_accrual(&o, "vacation", 60, -1, 1), CL_EINVAL);
    ASSERT_EQ(set_accrual(&o, "vacation", 60, 0, 0), CL_EINVAL);
    ASSERT_OK(set_accrual(&o, "vacation", 60, 0, 1));
    ASSERT_EQ(set_accrual(&o, "vacation", 90, 0, 1), CL_ECONFLICT);
    ASSERT_EQ(adjust(&o, o.alice_staff, "unpaid", 60, "no"), CL_EINVAL);
    ASSERT_EQ(adjust(&o, o.alice_staff, "vacation", 0, "nothing"), CL_EINVAL);
    ASSERT_EQ(adjust(&o, o.alice_staff, "vacation", 60, ""), CL_EINVAL);
    ASSERT_EQ(adjust(&o, 4242, "vacation", 60, "who"), CL_ENOTFOUND);
    office_close(&o);
}

CL_TEST(balances_are_seen_by_self_supervisor_and_manager_only)
{
    office_t o;
    office_open(&o);
    cl_job_t *job = balance(&o, &o.bob, (uint64_t)o.alice_staff);
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    cl_job_free(job);
    job = balance(&o, &o.sup, (uint64_t)o.alice_staff);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.time_off_balance_show->n_balances, 4);
    cl_job_free(job);
    job = balance(&o, &o.sup, (uint64_t)o.bob_staff);
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(balance(&o, &o.manager, (uint64_t)o.bob_staff));
    office_close(&o);
}

/* ---- query plans ---- */

CL_TEST(hot_queries_use_their_indexes)
{
    office_t o;
    office_open(&o);
    char plan[2048];
    fx_plan(&o.fx, cl_req_inbox_sql(), plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "requests_inbox");
    fx_plan(&o.fx, cl_req_requester_sql(), plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "requests_requester");
    fx_plan(&o.fx, cl_req_overlap_sql(), plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "requests_requester");
    office_close(&o);
}

CL_TEST_MAIN(CL_TEST_ENTRY(timeoff_counts_weekdays_and_is_flagged_over_the_balance),
             CL_TEST_ENTRY(timeoff_part_day_and_shift_days),
             CL_TEST_ENTRY(timeoff_bad_input_names_the_field),
             CL_TEST_ENTRY(expense_bad_input_names_the_field),
             CL_TEST_ENTRY(overtime_is_asked_for_ones_own_live_shift_once),
             CL_TEST_ENTRY(approve_deny_and_withdraw_states),
             CL_TEST_ENTRY(deciding_a_decided_or_withdrawn_request_fails_precondition),
             CL_TEST_ENTRY(self_approval_is_permission_denied),
             CL_TEST_ENTRY(plain_staff_cannot_approve_or_see_anothers_requests),
             CL_TEST_ENTRY(supervisor_decides_reports_manager_decides_all),
             CL_TEST_ENTRY(withdraw_is_the_requesters_and_pending_only),
             CL_TEST_ENTRY(stale_version_conflicts_with_current_record),
             CL_TEST_ENTRY(decision_racing_withdrawal_exactly_one_wins),
             CL_TEST_ENTRY(bulk_approve_decides_each_on_its_own),
             CL_TEST_ENTRY(filing_and_deciding_are_live_for_approvers_and_requester),
             CL_TEST_ENTRY(timeoff_below_desk_minimum_conflicts_unless_overridden),
             CL_TEST_ENTRY(cancelling_approved_timeoff_gives_back_shifts_block_and_balance),
             CL_TEST_ENTRY(timeoff_of_someone_who_left_is_not_cancelled),
             CL_TEST_ENTRY(timeoff_overlapping_and_withdraw_for_serve_the_other_parts),
             CL_TEST_ENTRY(accrual_credits_each_completed_pay_period_once),
             CL_TEST_ENTRY(accrual_policy_bad_input_and_stale_version),
             CL_TEST_ENTRY(balances_are_seen_by_self_supervisor_and_manager_only),
             CL_TEST_ENTRY(hot_queries_use_their_indexes))
