/* Staff members and credentials on the domain fixture: the user -> staff invariant, validation
 * naming the field, stale versions, supervisor loops, who sees whom (self, reports down the line,
 * managers), who may decide a request, audit rows, changes, the credential warning (at add, at
 * renewal, and by the periodic check, once), and the dashboard's scopes. */
#include "domain_fixture.h"
#include "staff_db.h"
#include "staff_int.h"
#include "topics.h"

/* ---- helpers ---- */

typedef struct {
    fx_t fx;
    cl_identity_t mgr;
} st_t;

/* A fixture with a manager "boss" (user and staff member). */
static void st_open(st_t *s)
{
    fx_open(&s->fx);
    fx_user(&s->fx, "boss", CL_ROLE_manager);
    s->mgr = fx_who(&s->fx, "boss");
}

static void st_close(st_t *s)
{
    fx_close(&s->fx);
}

/* The local date `days` from the fixture's clock, as YYYY-MM-DD in `out`. */
static const char *day(st_t *s, int days, char out[11])
{
    cl_date_format(cl_date_add(cl_date_of(s->fx.now), days), out);
    return out;
}

static cl_job_t *staff_add(st_t *s, const cl_identity_t *who, Clinic__StaffMember *m,
                           const char *username)
{
    Clinic__StaffAddRequest add = CLINIC__STAFF_ADD_REQUEST__INIT;
    add.staff = m;
    add.username = (char *)(username ? username : "");
    return fx_call(&s->fx, who, CLINIC__REQUEST__BODY_STAFF_ADD, &add);
}

/* Adds a staff member named `name` under `supervisor` (0 none) and returns its id. */
static int64_t add_named(st_t *s, const char *name, int64_t supervisor)
{
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = (char *)name;
    m.supervisor_id = (uint64_t)supervisor;
    cl_job_t *job = staff_add(s, &s->mgr, &m, NULL);
    ASSERT_OK(job->status);
    int64_t id = (int64_t)job->resp.staff_add->staff->id;
    cl_job_free(job);
    return id;
}

/* A user with a staff record under `supervisor`; returns the staff id. */
static int64_t add_user_staff(st_t *s, const char *username, uint32_t roles, int64_t supervisor)
{
    fx_user(&s->fx, username, roles);
    int64_t id = fx_staff_of(&s->fx, username);
    if (supervisor)
        fx_set_supervisor(&s->fx, id, supervisor);
    return id;
}

static cl_job_t *staff_show(st_t *s, const cl_identity_t *who, int64_t id)
{
    Clinic__StaffShowRequest sh = CLINIC__STAFF_SHOW_REQUEST__INIT;
    sh.id = (uint64_t)id;
    return fx_call(&s->fx, who, CLINIC__REQUEST__BODY_STAFF_SHOW, &sh);
}

/* Edits the record of `id` as read now, with `edit` applied; `version` 0: the one read. */
static cl_job_t *staff_edit(st_t *s, const cl_identity_t *who, int64_t id, uint64_t version,
                            void (*edit)(Clinic__StaffMember *m, void *arg), void *arg)
{
    cl_job_t *shown = staff_show(s, &s->mgr, id);
    ASSERT_OK(shown->status);
    Clinic__StaffMember m = *shown->resp.staff_show->staff;
    if (version)
        m.version = version;
    edit(&m, arg);
    Clinic__StaffEditRequest e = CLINIC__STAFF_EDIT_REQUEST__INIT;
    e.staff = &m;
    cl_job_t *job = fx_call(&s->fx, who, CLINIC__REQUEST__BODY_STAFF_EDIT, &e);
    cl_job_free(shown);
    return job;
}

static void set_supervisor(Clinic__StaffMember *m, void *arg)
{
    m->supervisor_id = (uint64_t) * (int64_t *)arg;
}

static void set_title(Clinic__StaffMember *m, void *arg)
{
    m->job_title = arg;
}

static cl_job_t *staff_list(st_t *s, const cl_identity_t *who)
{
    Clinic__StaffListRequest l = CLINIC__STAFF_LIST_REQUEST__INIT;
    return fx_call(&s->fx, who, CLINIC__REQUEST__BODY_STAFF_LIST, &l);
}

static cl_job_t *cred_add(st_t *s, int64_t staff_id, const char *kind, const char *issued,
                          const char *expires)
{
    Clinic__StaffCredential c = CLINIC__STAFF_CREDENTIAL__INIT;
    c.staff_id = (uint64_t)staff_id;
    c.kind = (char *)kind;
    c.name = "BLS Provider";
    c.issued_on = (char *)issued;
    c.expires_on = (char *)expires;
    Clinic__CredentialAddRequest a = CLINIC__CREDENTIAL_ADD_REQUEST__INIT;
    a.credential = &c;
    return fx_call(&s->fx, &s->mgr, CLINIC__REQUEST__BODY_CREDENTIAL_ADD, &a);
}

static cl_job_t *dashboard(st_t *s, const cl_identity_t *who)
{
    Clinic__StaffDashboardRequest d = CLINIC__STAFF_DASHBOARD_REQUEST__INIT;
    return fx_call(&s->fx, who, CLINIC__REQUEST__BODY_STAFF_DASHBOARD, &d);
}

/* Counts the job's changes on `topic` for `entity` (scope_user -1: any). */
static int count_changes(const cl_job_t *job, const char *topic, const char *entity,
                         int64_t scope_user)
{
    int n = 0;
    for (const cl_change_t *c = job->changes; c; c = c->next)
        if (strcmp(c->topic, topic) == 0 && strcmp(c->entity, entity) == 0 &&
            (scope_user < 0 || c->scope_user == scope_user))
            n++;
    return n;
}

/* A request refused with its audit row kept (cl_job_refuse): `status`, no field. */
#define EXPECT_REFUSED(job, want)                                                                  \
    do {                                                                                           \
        ASSERT_EQ((job)->status, 0);                                                               \
        ASSERT_EQ((job)->refused, (want));                                                         \
        ASSERT_NOT_NULL((job)->resp.status);                                                       \
        ASSERT_EQ((job)->resp.status->code, cl_status_code(want));                                 \
    } while (0)

/* Runs a contract function inside a transaction as `who`'s job would. */
typedef struct {
    st_t *s;
    cl_job_t *job;
    cl_tx_t tx;
} in_tx_t;

static void tx_begin(in_tx_t *t, st_t *s, const cl_identity_t *who)
{
    t->s = s;
    t->job = cl_job_new();
    t->job->who = *who;
    t->tx = fx_tx(&s->fx, t->job);
}

static void tx_end(in_tx_t *t)
{
    cl_db_reset_busy(t->s->fx.db);
    cl_job_free(t->job);
}

/* ---- the user -> staff invariant ---- */

CL_TEST(migration_backfills_and_every_new_user_gets_a_staff_row)
{
    st_t s;
    st_open(&s);
    int64_t u = fx_user(&s.fx, "amy", CL_ROLE_front_desk);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM users", NULL),
              fx_int(&s.fx, "SELECT count(*) FROM staff WHERE user_id IS NOT NULL", NULL));
    in_tx_t t;
    tx_begin(&t, &s, &s.mgr);
    int64_t sid = 0, back = 0, sup = -1;
    int active = 0;
    char name[64];
    ASSERT_OK(cl_staff_of_user(&t.tx, u, &sid));
    ASSERT_OK(cl_staff_user(&t.tx, sid, &back));
    ASSERT_EQ(back, u);
    ASSERT_OK(cl_staff_brief(&t.tx, sid, &sup, &active, name, sizeof(name)));
    ASSERT_EQ(sup, 0);
    ASSERT_EQ(active, 1);
    ASSERT_STR_EQ(name, "amy");
    ASSERT_EQ(cl_staff_of_user(&t.tx, 9999, &sid), CL_ENOTFOUND);
    ASSERT_EQ(cl_staff_brief(&t.tx, 9999, &sup, &active, name, sizeof(name)), CL_ENOTFOUND);
    tx_end(&t);
    st_close(&s);
}

CL_TEST(user_add_handler_makes_the_staff_row_in_its_transaction)
{
    st_t s;
    st_open(&s);
    fx_user(&s.fx, "root", CL_ROLE_admin);
    cl_identity_t root = fx_who(&s.fx, "root");
    char *roles[] = {"biller"};
    Clinic__UserAddRequest add = CLINIC__USER_ADD_REQUEST__INIT;
    add.username = "bill";
    add.full_name = "Bill Payne";
    add.n_roles = 1;
    add.roles = roles;
    add.password = "a long enough password";
    cl_job_t *job = fx_call(&s.fx, &root, CLINIC__REQUEST__BODY_USER_ADD, &add);
    ASSERT_OK(job->status);
    ASSERT_EQ(fx_int(&s.fx,
                     "SELECT count(*) FROM staff s JOIN users u ON u.id = s.user_id "
                     "WHERE u.username = 'bill' AND s.full_name = 'Bill Payne'",
                     NULL),
              1);
    cl_job_free(job);
    st_close(&s);
}

/* ---- staff add and edit ---- */

CL_TEST(staff_add_records_audit_row_and_change)
{
    st_t s;
    st_open(&s);
    int64_t boss = fx_staff_of(&s.fx, "boss");
    char hired[11];
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Rita Ortiz";
    m.job_title = "Receptionist";
    m.supervisor_id = (uint64_t)boss;
    m.employment_type = "part_time";
    m.hire_date = (char *)day(&s, -100, hired);
    m.phone = "(555) 123-4567";
    m.email = "rita@example.org";
    m.pay_type = "hourly";
    int64_t audit = fx_audit_rows(&s.fx);
    cl_job_t *job = staff_add(&s, &s.mgr, &m, NULL);
    ASSERT_OK(job->status);
    const Clinic__StaffMember *r = job->resp.staff_add->staff;
    ASSERT_STR_EQ(r->full_name, "Rita Ortiz");
    ASSERT_STR_EQ(r->phone, "5551234567");
    ASSERT_STR_EQ(r->supervisor_name, "boss");
    ASSERT_STR_EQ(r->employment_type, "part_time");
    ASSERT_STR_EQ(r->created_by, "boss");
    ASSERT_EQ(r->user_id, 0);
    ASSERT_EQ(r->version, 1);
    ASSERT(r->active);
    ASSERT_EQ(fx_audit_rows(&s.fx), audit + 1);
    fx_assert_last_audit(&s.fx, "boss", "staff.add", "staff", r->id);
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "staff", 0), 1);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(staff_add_links_a_user_without_staff_row_only)
{
    st_t s;
    st_open(&s);
    fx_user(&s.fx, "amy", CL_ROLE_front_desk);
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Amy Again";
    /* amy already is a staff member (every user is). */
    cl_job_t *job = staff_add(&s, &s.mgr, &m, "amy");
    FX_ASSERT_FAILED(job, CL_EEXIST, "username");
    cl_job_free(job);
    job = staff_add(&s, &s.mgr, &m, "nobody");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "username");
    cl_job_free(job);
    /* A user whose staff row is missing (an older database) is linked. */
    fx_exec(&s.fx, "DROP TRIGGER users_make_staff");
    int64_t u = fx_user(&s.fx, "old", CL_ROLE_biller);
    job = staff_add(&s, &s.mgr, &m, "old");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_add->staff->user_id, u);
    ASSERT_STR_EQ(job->resp.staff_add->staff->username, "old");
    cl_job_free(job);
    st_close(&s);
}

/* Bad input: each field's check names the field; nothing is written. */
static void expect_bad(st_t *s, Clinic__StaffMember *m, int status, const char *field)
{
    int64_t rows = fx_int(&s->fx, "SELECT count(*) FROM staff", NULL);
    int64_t audit = fx_audit_rows(&s->fx);
    cl_job_t *job = staff_add(s, &s->mgr, m, NULL);
    FX_ASSERT_FAILED(job, status, field);
    ASSERT_EQ(fx_int(&s->fx, "SELECT count(*) FROM staff", NULL), rows);
    ASSERT_EQ(fx_audit_rows(&s->fx), audit);
    cl_job_free(job);
}

CL_TEST(staff_add_bad_name_is_invalid)
{
    st_t s;
    st_open(&s);
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = ""; /* bad input: no name */
    expect_bad(&s, &m, CL_EINVAL, "staff.full_name");
    m.full_name = "Bad \xff UTF-8"; /* bad input: not UTF-8 */
    expect_bad(&s, &m, CL_EINVAL, "staff.full_name");
    m.full_name = "Two\nlines"; /* bad input: a control character */
    expect_bad(&s, &m, CL_EINVAL, "staff.full_name");
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    m.full_name = longname; /* bad input: too long */
    expect_bad(&s, &m, CL_EINVAL, "staff.full_name");
    st_close(&s);
}

CL_TEST(staff_add_hire_date_in_future_or_unreal_is_invalid)
{
    st_t s;
    st_open(&s);
    char tomorrow[11];
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Future Hire";
    m.hire_date = (char *)day(&s, 1, tomorrow); /* bad input: hired tomorrow */
    expect_bad(&s, &m, CL_EINVAL, "staff.hire_date");
    m.hire_date = "2023-02-29"; /* bad input: no such day */
    expect_bad(&s, &m, CL_EINVAL, "staff.hire_date");
    st_close(&s);
}

CL_TEST(staff_add_bad_contact_shapes_are_invalid)
{
    st_t s;
    st_open(&s);
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Contact Person";
    m.email = "not-an-address"; /* bad input: e-mail without @ */
    expect_bad(&s, &m, CL_EINVAL, "staff.email");
    m.email = "a@b"; /* bad input: e-mail without a domain's dot */
    expect_bad(&s, &m, CL_EINVAL, "staff.email");
    m.email = "";
    m.phone = "555-12"; /* bad input: too few digits */
    expect_bad(&s, &m, CL_EINVAL, "staff.phone");
    m.phone = "call me"; /* bad input: letters */
    expect_bad(&s, &m, CL_EINVAL, "staff.phone");
    st_close(&s);
}

CL_TEST(staff_add_unknown_employment_or_pay_type_is_invalid)
{
    st_t s;
    st_open(&s);
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Type Person";
    m.employment_type = "contractor"; /* bad input: not in the list */
    expect_bad(&s, &m, CL_EINVAL, "staff.employment_type");
    m.employment_type = "per_diem";
    m.pay_type = "commission"; /* bad input: not in the list */
    expect_bad(&s, &m, CL_EINVAL, "staff.pay_type");
    st_close(&s);
}

CL_TEST(staff_add_missing_or_left_supervisor_is_refused)
{
    st_t s;
    st_open(&s);
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Reporter";
    m.supervisor_id = 4242; /* bad input: no such supervisor */
    expect_bad(&s, &m, CL_ENOTFOUND, "staff.supervisor_id");
    int64_t gone = add_named(&s, "Gone Person", 0);
    fx_exec(&s.fx, "UPDATE staff SET active = 0 WHERE full_name = 'Gone Person'");
    m.supervisor_id = (uint64_t)gone; /* bad input: the supervisor has left */
    expect_bad(&s, &m, CL_EINVAL, "staff.supervisor_id");
    st_close(&s);
}

CL_TEST(staff_edit_stale_version_conflicts_with_current_record)
{
    st_t s;
    st_open(&s);
    int64_t id = add_named(&s, "Edit Me", 0);
    cl_job_t *job = staff_edit(&s, &s.mgr, id, 0, set_title, "Biller");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_edit->staff->version, 2);
    ASSERT_STR_EQ(job->resp.staff_edit->staff->job_title, "Biller");
    fx_assert_last_audit(&s.fx, "boss", "staff.edit", "staff", (uint64_t)id);
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "staff", 0), 1);
    cl_job_free(job);
    /* Bad input: a stale version (1, now 2). */
    job = staff_edit(&s, &s.mgr, id, 1, set_title, "Coder");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_CONTAINS(fx_message(job), "current version is 2");
    ASSERT_EQ(job->resp.staff_edit->staff->version, 2);
    ASSERT_STR_EQ(job->resp.staff_edit->staff->job_title, "Biller");
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(staff_edit_supervisor_loop_is_refused)
{
    st_t s;
    st_open(&s);
    /* a supervises b, b supervises c. */
    int64_t a = add_named(&s, "A", 0);
    int64_t b = add_named(&s, "B", a);
    int64_t c = add_named(&s, "C", b);
    /* Bad input: a under c would close the loop a -> b -> c -> a. */
    cl_job_t *job = staff_edit(&s, &s.mgr, a, 0, set_supervisor, &c);
    FX_ASSERT_FAILED(job, CL_EINVAL, "staff.supervisor_id");
    ASSERT_STR_CONTAINS(fx_message(job), "loop");
    cl_job_free(job);
    /* Bad input: one's own supervisor. */
    job = staff_edit(&s, &s.mgr, b, 0, set_supervisor, &b);
    FX_ASSERT_FAILED(job, CL_EINVAL, "staff.supervisor_id");
    cl_job_free(job);
    /* Moving c to report to a directly is fine. */
    job = staff_edit(&s, &s.mgr, c, 0, set_supervisor, &a);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.staff_edit->staff->supervisor_name, "A");
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(staff_leave_keeps_the_record_and_moves_reports_up)
{
    st_t s;
    st_open(&s);
    int64_t boss = fx_staff_of(&s.fx, "boss");
    int64_t lead = add_named(&s, "Lead", boss);
    int64_t r1 = add_named(&s, "Report One", lead);
    Clinic__StaffLeaveRequest l = CLINIC__STAFF_LEAVE_REQUEST__INIT;
    l.id = (uint64_t)lead;
    l.version = 1;
    l.reason = "moved away";
    cl_job_t *job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_STAFF_LEAVE, &l);
    ASSERT_OK(job->status);
    ASSERT(!job->resp.staff_leave->staff->active);
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "staff", 0), 2);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM staff", NULL), 3);
    ASSERT_EQ(fx_intf(&s.fx, "SELECT supervisor_id FROM staff WHERE id = %lld", (long long)r1),
              boss);
    /* Bad input: leaving twice (the version read is now 2). */
    l.version = 2;
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_STAFF_LEAVE, &l);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    /* Bad input: a stale version. */
    l.id = (uint64_t)r1;
    l.version = 1;
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_STAFF_LEAVE, &l);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.staff_leave->staff->version, 2);
    cl_job_free(job);
    st_close(&s);
}

/* ---- who sees whom ---- */

CL_TEST(staff_sees_only_their_own_record)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    int64_t bob = add_user_staff(&s, "bob", CL_ROLE_front_desk, 0);
    cl_identity_t who = fx_who(&s.fx, "amy");
    cl_job_t *job = staff_show(&s, &who, amy);
    ASSERT_OK(job->status);
    fx_assert_last_audit(&s.fx, "amy", "staff.show", "staff", (uint64_t)amy);
    cl_job_free(job);
    /* Another's record: refused, and the attempt is audited. */
    job = staff_show(&s, &who, bob);
    EXPECT_REFUSED(job, CL_EPERM);
    ASSERT_NULL(job->resp.staff_show);
    fx_assert_last_audit(&s.fx, "amy", "staff.show.refused", "staff", (uint64_t)bob);
    cl_job_free(job);
    job = staff_list(&s, &who);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_list->n_staff, 1);
    ASSERT_EQ(job->resp.staff_list->staff[0]->id, amy);
    fx_assert_last_audit(&s.fx, "amy", "staff.list", "staff", 0);
    cl_job_free(job);
    /* An id and a username together: which one was meant? (The username was ignored.) */
    Clinic__StaffShowRequest both = CLINIC__STAFF_SHOW_REQUEST__INIT;
    both.id = (uint64_t)amy;
    both.username = "bob";
    job = fx_call(&s.fx, &who, CLINIC__REQUEST__BODY_STAFF_SHOW, &both);
    FX_ASSERT_FAILED(job, CL_EINVAL, "username");
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(supervisor_sees_reports_down_the_line_and_manager_all)
{
    st_t s;
    st_open(&s);
    int64_t sue = add_user_staff(&s, "sue", CL_ROLE_staff, 0);
    int64_t tim = add_user_staff(&s, "tim", CL_ROLE_staff, sue);
    int64_t una = add_user_staff(&s, "una", CL_ROLE_staff, tim);
    int64_t other = add_user_staff(&s, "other", CL_ROLE_staff, 0);
    cl_identity_t who = fx_who(&s.fx, "sue");
    cl_job_t *job = staff_show(&s, &who, una); /* two levels down */
    ASSERT_OK(job->status);
    cl_job_free(job);
    job = staff_show(&s, &who, other);
    EXPECT_REFUSED(job, CL_EPERM);
    cl_job_free(job);
    job = staff_list(&s, &who);
    ASSERT_EQ(job->resp.staff_list->n_staff, 3); /* sue, tim, una */
    cl_job_free(job);
    /* tim sees una but not sue above him. */
    cl_identity_t tw = fx_who(&s.fx, "tim");
    in_tx_t t;
    tx_begin(&t, &s, &tw);
    ASSERT_EQ(cl_staff_access(&t.tx, una), CL_STAFF_SUPERVISOR);
    ASSERT_EQ(cl_staff_access(&t.tx, tim), CL_STAFF_SELF);
    ASSERT_EQ(cl_staff_access(&t.tx, sue), CL_STAFF_NONE);
    tx_end(&t);
    tx_begin(&t, &s, &s.mgr);
    ASSERT_EQ(cl_staff_access(&t.tx, other), CL_STAFF_MANAGER);
    tx_end(&t);
    job = staff_list(&s, &s.mgr);
    ASSERT_EQ(job->resp.staff_list->n_staff, 5);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(may_decide_is_direct_supervisor_or_manager_never_self)
{
    st_t s;
    st_open(&s);
    int64_t boss = fx_staff_of(&s.fx, "boss");
    int64_t sue = add_user_staff(&s, "sue", CL_ROLE_staff, 0);
    int64_t tim = add_user_staff(&s, "tim", CL_ROLE_staff, sue);
    int64_t una = add_user_staff(&s, "una", CL_ROLE_staff, tim);
    cl_identity_t sw = fx_who(&s.fx, "sue"), tw = fx_who(&s.fx, "tim");
    in_tx_t t;
    tx_begin(&t, &s, &tw);
    ASSERT_OK(cl_staff_may_decide(&t.tx, una));
    ASSERT_EQ(cl_staff_may_decide(&t.tx, tim), CL_EPERM); /* self-approval */
    ASSERT_STR_EQ(fx_message(t.job), "you cannot approve your own request");
    tx_end(&t);
    tx_begin(&t, &s, &sw);
    ASSERT_EQ(cl_staff_may_decide(&t.tx, una), CL_EPERM); /* not the direct supervisor */
    tx_end(&t);
    tx_begin(&t, &s, &s.mgr);
    ASSERT_OK(cl_staff_may_decide(&t.tx, una));
    ASSERT_EQ(cl_staff_may_decide(&t.tx, boss), CL_EPERM); /* a manager's own request */
    tx_end(&t);
    st_close(&s);
}

/* ---- credentials ---- */

CL_TEST(credential_added_inside_window_warns_holder_and_supervisor)
{
    st_t s;
    st_open(&s);
    int64_t boss = fx_staff_of(&s.fx, "boss");
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, boss);
    int64_t amy_user = fx_who(&s.fx, "amy").user_id;
    char issued[11], expires[11], today[11];
    cl_job_t *job = cred_add(&s, amy, "cpr_bls", day(&s, -700, issued), day(&s, 20, expires));
    ASSERT_OK(job->status);
    ASSERT(job->resp.credential_add->warned);
    const Clinic__StaffCredential *c = job->resp.credential_add->credential;
    ASSERT(c->expiring);
    ASSERT_EQ(c->days_left, 20);
    ASSERT_STR_EQ(c->warned_on, day(&s, 0, today));
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "credential", 0), 1);
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "credential_expiring", 0), 1);
    ASSERT_EQ(count_changes(job, CL_TOPIC_INBOX_NAME, "credential_expiring", amy_user), 1);
    ASSERT_EQ(count_changes(job, CL_TOPIC_INBOX_NAME, "credential_expiring", s.mgr.user_id), 1);
    fx_assert_last_audit(&s.fx, "boss", "credential.add", "credential", c->id);
    cl_job_free(job);
    /* Far from expiry: no warning. */
    job = cred_add(&s, amy, "state_license", "", day(&s, 400, expires));
    ASSERT_OK(job->status);
    ASSERT(!job->resp.credential_add->warned);
    ASSERT_EQ(count_changes(job, CL_TOPIC_INBOX_NAME, "credential_expiring", -1), 0);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(credential_bad_dates_and_kind_are_invalid)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    char a[11], b[11];
    /* Bad input: expiry before issue. */
    cl_job_t *job = cred_add(&s, amy, "cpr_bls", day(&s, -10, a), day(&s, -20, b));
    FX_ASSERT_FAILED(job, CL_EINVAL, "credential.expires_on");
    cl_job_free(job);
    /* Bad input: issued in the future. */
    job = cred_add(&s, amy, "cpr_bls", day(&s, 3, a), day(&s, 400, b));
    FX_ASSERT_FAILED(job, CL_EINVAL, "credential.issued_on");
    cl_job_free(job);
    /* Bad input: no such date. */
    job = cred_add(&s, amy, "cpr_bls", "", "2025-13-01");
    FX_ASSERT_FAILED(job, CL_EINVAL, "credential.expires_on");
    cl_job_free(job);
    /* Bad input: a kind not in the list. */
    job = cred_add(&s, amy, "diploma", "", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "credential.kind");
    cl_job_free(job);
    /* Bad input: no such staff member. */
    job = cred_add(&s, 777, "cpr_bls", "", "");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "credential.staff_id");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM credentials", NULL), 0);
    st_close(&s);
}

CL_TEST(credential_renew_keeps_the_old_row_and_checks_version)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    char a[11], b[11];
    cl_job_t *job = cred_add(&s, amy, "cpr_bls", day(&s, -700, a), day(&s, 10, b));
    uint64_t old = job->resp.credential_add->credential->id;
    cl_job_free(job);
    Clinic__CredentialRenewRequest r = CLINIC__CREDENTIAL_RENEW_REQUEST__INIT;
    r.id = old;
    r.version = 1;
    r.expires_on = (char *)day(&s, 730, b);
    r.number = "BLS-2";
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_CREDENTIAL_RENEW, &r);
    ASSERT_OK(job->status);
    const Clinic__StaffCredential *n = job->resp.credential_renew->credential;
    ASSERT_NE(n->id, old);
    ASSERT_STR_EQ(n->number, "BLS-2");
    ASSERT_STR_EQ(n->issued_on, day(&s, 0, a));
    ASSERT(!n->expiring);
    ASSERT(!job->resp.credential_renew->warned);
    fx_assert_last_audit(&s.fx, "boss", "credential.renew", "credential", n->id);
    ASSERT_EQ(fx_intf(&s.fx, "SELECT replaced_by FROM credentials WHERE id = %llu",
                      (unsigned long long)old),
              n->id);
    cl_job_free(job);
    /* Bad input: renewing the old one again (a stale version, then a retired record). */
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_CREDENTIAL_RENEW, &r);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.credential_renew->credential->version, 2);
    cl_job_free(job);
    r.version = 2;
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_CREDENTIAL_RENEW, &r);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(expiry_check_warns_each_credential_once_as_it_enters_the_window)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    int64_t amy_user = fx_who(&s.fx, "amy").user_id;
    char a[11], b[11];
    cl_job_t *job = cred_add(&s, amy, "cpr_bls", day(&s, -300, a), day(&s, 45, b));
    ASSERT(!job->resp.credential_add->warned);
    uint64_t id = job->resp.credential_add->credential->id;
    cl_job_free(job);

    /* Today: 45 days out, nothing to say. */
    job = cl_staff_expiry_job();
    fx_run(&s.fx, job);
    ASSERT_OK(job->status);
    ASSERT_EQ(fx_job_changes(job), 0);
    cl_job_free(job);

    /* 16 days later it is 29 days out: one warning. */
    s.fx.now += 16 * 86400;
    job = cl_staff_expiry_job();
    fx_run(&s.fx, job);
    ASSERT_OK(job->status);
    ASSERT_EQ(count_changes(job, CL_TOPIC_STAFF_NAME, "credential_expiring", 0), 1);
    ASSERT_EQ(count_changes(job, CL_TOPIC_INBOX_NAME, "credential_expiring", amy_user), 1);
    fx_assert_last_audit(&s.fx, "clinicd", "credential.warn", "credential", id);
    cl_job_free(job);

    /* An hour later: already warned. */
    s.fx.now += 3600;
    job = cl_staff_expiry_job();
    fx_run(&s.fx, job);
    ASSERT_OK(job->status);
    ASSERT_EQ(fx_job_changes(job), 0);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(credential_remove_needs_reason_and_keeps_row)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    cl_job_t *job = cred_add(&s, amy, "other", "", "");
    uint64_t id = job->resp.credential_add->credential->id;
    cl_job_free(job);
    Clinic__CredentialRemoveRequest r = CLINIC__CREDENTIAL_REMOVE_REQUEST__INIT;
    r.id = id;
    r.version = 1;
    r.reason = ""; /* bad input: no reason */
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_CREDENTIAL_REMOVE, &r);
    FX_ASSERT_FAILED(job, CL_EINVAL, "reason");
    cl_job_free(job);
    r.reason = "entered by mistake";
    job = fx_call(&s.fx, &s.mgr, CLINIC__REQUEST__BODY_CREDENTIAL_REMOVE, &r);
    ASSERT_OK(job->status);
    ASSERT_NE(job->resp.credential_remove->credential->removed_at, 0);
    ASSERT_STR_EQ(job->resp.credential_remove->credential->removed_by, "boss");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM credentials", NULL), 1);
    st_close(&s);
}

/* ---- the dashboard ---- */

CL_TEST(dashboard_scopes_manager_supervisor_self)
{
    st_t s;
    st_open(&s);
    int64_t boss = fx_staff_of(&s.fx, "boss");
    int64_t sue = add_user_staff(&s, "sue", CL_ROLE_staff, boss);
    int64_t tim = add_user_staff(&s, "tim", CL_ROLE_staff, sue);
    int64_t lone = add_user_staff(&s, "lone", CL_ROLE_staff, 0);
    char a[11], b[11];
    cl_job_free(cred_add(&s, tim, "cpr_bls", day(&s, -700, a), day(&s, 12, b)));
    cl_job_free(cred_add(&s, lone, "state_license", day(&s, -700, a), day(&s, -3, b)));
    cl_job_free(cred_add(&s, sue, "certification", "", day(&s, 300, b)));

    cl_job_t *job = dashboard(&s, &s.mgr);
    ASSERT_OK(job->status);
    const Clinic__StaffDashboardReply *r = job->resp.staff_dashboard;
    ASSERT_STR_EQ(r->scope, "all");
    ASSERT_EQ(r->staff_active, 4);
    ASSERT_EQ(r->credentials_expired, 1);
    ASSERT_EQ(r->credentials_expiring, 1);
    ASSERT_EQ(r->without_supervisor, 2); /* boss and lone */
    ASSERT_STR_EQ(r->lines[0]->kind, "credential_expired");
    ASSERT_EQ(r->lines[0]->staff_id, lone);
    ASSERT_STR_EQ(r->lines[1]->kind, "credential_expiring");
    ASSERT_EQ(r->lines[1]->days_left, 12);
    fx_assert_last_audit(&s.fx, "boss", "staff.dashboard", "staff", 0);
    cl_job_free(job);

    cl_identity_t sw = fx_who(&s.fx, "sue");
    job = dashboard(&s, &sw);
    r = job->resp.staff_dashboard;
    ASSERT_STR_EQ(r->scope, "reports");
    ASSERT_EQ(r->staff_active, 2);
    ASSERT_EQ(r->credentials_expired, 0);
    ASSERT_EQ(r->credentials_expiring, 1);
    ASSERT_EQ(r->n_lines, 1);
    cl_job_free(job);

    cl_identity_t lw = fx_who(&s.fx, "lone");
    job = dashboard(&s, &lw);
    r = job->resp.staff_dashboard;
    ASSERT_STR_EQ(r->scope, "self");
    ASSERT_EQ(r->staff_active, 1);
    ASSERT_EQ(r->credentials_expired, 1);
    ASSERT_EQ(r->credentials_expiring, 0);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(credential_list_of_another_is_refused_for_staff)
{
    st_t s;
    st_open(&s);
    int64_t amy = add_user_staff(&s, "amy", CL_ROLE_front_desk, 0);
    int64_t bob = add_user_staff(&s, "bob", CL_ROLE_front_desk, 0);
    cl_job_free(cred_add(&s, amy, "other", "", ""));
    cl_job_free(cred_add(&s, bob, "other", "", ""));
    cl_identity_t who = fx_who(&s.fx, "amy");
    Clinic__CredentialListRequest l = CLINIC__CREDENTIAL_LIST_REQUEST__INIT;
    cl_job_t *job = fx_call(&s.fx, &who, CLINIC__REQUEST__BODY_CREDENTIAL_LIST, &l);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.credential_list->n_credentials, 1);
    ASSERT_EQ(job->resp.credential_list->credentials[0]->staff_id, amy);
    cl_job_free(job);
    l.staff_id = (uint64_t)bob;
    job = fx_call(&s.fx, &who, CLINIC__REQUEST__BODY_CREDENTIAL_LIST, &l);
    EXPECT_REFUSED(job, CL_EPERM);
    fx_assert_last_audit(&s.fx, "amy", "credential.list.refused", "staff", (uint64_t)bob);
    cl_job_free(job);
    st_close(&s);
}

CL_TEST(hot_queries_use_their_indexes)
{
    st_t s;
    st_open(&s);
    static const cl_staff_q_t qs[] = {CL_STQ_OF_USER, CL_STQ_CRED_OF_STAFF, CL_STQ_CRED_TO_WARN};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        char sql[4096];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", cl_staff_sql(qs[i]));
        sqlite3_stmt *st = fx_prepare(&s.fx, sql);
        int indexed = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            if (strstr(detail, "USING") != NULL)
                indexed = 1;
            if (strncmp(detail, "SCAN c", 6) == 0 || strcmp(detail, "SCAN staff") == 0)
                CL_FAIL("%s scans: %s", cl_staff_sql(qs[i]), detail);
        }
        sqlite3_finalize(st);
        ASSERT(indexed);
    }
    st_close(&s);
}

CL_TEST_MAIN(CL_TEST_ENTRY(migration_backfills_and_every_new_user_gets_a_staff_row),
             CL_TEST_ENTRY(user_add_handler_makes_the_staff_row_in_its_transaction),
             CL_TEST_ENTRY(staff_add_records_audit_row_and_change),
             CL_TEST_ENTRY(staff_add_links_a_user_without_staff_row_only),
             CL_TEST_ENTRY(staff_add_bad_name_is_invalid),
             CL_TEST_ENTRY(staff_add_hire_date_in_future_or_unreal_is_invalid),
             CL_TEST_ENTRY(staff_add_bad_contact_shapes_are_invalid),
             CL_TEST_ENTRY(staff_add_unknown_employment_or_pay_type_is_invalid),
             CL_TEST_ENTRY(staff_add_missing_or_left_supervisor_is_refused),
             CL_TEST_ENTRY(staff_edit_stale_version_conflicts_with_current_record),
             CL_TEST_ENTRY(staff_edit_supervisor_loop_is_refused),
             CL_TEST_ENTRY(staff_leave_keeps_the_record_and_moves_reports_up),
             CL_TEST_ENTRY(staff_sees_only_their_own_record),
             CL_TEST_ENTRY(supervisor_sees_reports_down_the_line_and_manager_all),
             CL_TEST_ENTRY(may_decide_is_direct_supervisor_or_manager_never_self),
             CL_TEST_ENTRY(credential_added_inside_window_warns_holder_and_supervisor),
             CL_TEST_ENTRY(credential_bad_dates_and_kind_are_invalid),
             CL_TEST_ENTRY(credential_renew_keeps_the_old_row_and_checks_version),
             CL_TEST_ENTRY(expiry_check_warns_each_credential_once_as_it_enters_the_window),
             CL_TEST_ENTRY(credential_remove_needs_reason_and_keeps_row),
             CL_TEST_ENTRY(dashboard_scopes_manager_supervisor_self),
             CL_TEST_ENTRY(credential_list_of_another_is_refused_for_staff),
             CL_TEST_ENTRY(hot_queries_use_their_indexes))
