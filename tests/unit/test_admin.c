/* Administration: the audit query's filters, paging, limits and validation, the index behind
 * each of its statements, its own audit row; and the store's fields of the server status. */
#include "domain_fixture.h"
#include "domain_int.h"

/* Appends one audit row by `username` at `time`, as a handler of another domain would. */
static void audit_as(fx_t *fx, const char *username, const char *action, const char *entity,
                     uint64_t entity_id, int64_t time)
{
    cl_identity_t who;
    memset(&who, 0, sizeof(who));
    snprintf(who.username, sizeof(who.username), "%s", username);
    snprintf(who.workstation, sizeof(who.workstation), "front-1");
    ASSERT_OK(cl_db_exec(fx->db, "BEGIN"));
    ASSERT_OK(cl_audit_append(fx->db, time, &who, action, entity, entity_id));
    ASSERT_OK(cl_db_exec(fx->db, "COMMIT"));
}

static cl_job_t *query(fx_t *fx, const cl_identity_t *who, const Clinic__AuditQueryRequest *q)
{
    return fx_call(fx, who, CLINIC__REQUEST__BODY_AUDIT_QUERY, q);
}

/* The seqs of a successful query's rows, as "5,3,1". */
static const char *seqs(const cl_job_t *job, char *buf, size_t len)
{
    ASSERT_OK(job->status);
    const Clinic__AuditQueryReply *r = job->resp.audit_query;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_rows && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%" PRIu64, i ? "," : "", r->rows[i]->seq);
    return buf;
}

/* A small log, seq = i + 1 at time 1000 + 10 * i:
 *   1 alice patient.read patient 1     2 bob patient.read patient 1
 *   3 alice patient.edit patient 2     4 alice message.send message 7
 *   5 bob user.add user 3              6 alice patient.read patient 1 */
static void small_log(fx_t *fx)
{
    audit_as(fx, "alice", "patient.read", "patient", 1, 1000);
    audit_as(fx, "bob", "patient.read", "patient", 1, 1010);
    audit_as(fx, "alice", "patient.edit", "patient", 2, 1020);
    audit_as(fx, "alice", "message.send", "message", 7, 1030);
    audit_as(fx, "bob", "user.add", "user", 3, 1040);
    audit_as(fx, "alice", "patient.read", "patient", 1, 1050);
    fx_user(fx, "root", CL_ROLE_admin);
}

CL_TEST(audit_query_filters)
{
    fx_t fx;
    fx_open(&fx);
    small_log(&fx);
    cl_identity_t root = fx_who(&fx, "root");
    char buf[256];
    struct {
        const char *username, *entity;
        uint64_t entity_id;
        int64_t since, until;
        uint64_t before_seq;
        const char *expect;
    } cases[] = {
        {"", "", 0, 0, 0, 0, "6,5,4,3,2,1"},     {"alice", "", 0, 0, 0, 0, "6,4,3,1"},
        {"bob", "", 0, 0, 0, 0, "5,2"},          {"carol", "", 0, 0, 0, 0, ""},
        {"", "patient", 0, 0, 0, 0, "6,3,2,1"},  {"", "patient", 1, 0, 0, 0, "6,2,1"},
        {"alice", "patient", 1, 0, 0, 0, "6,1"}, {"alice", "patient", 0, 0, 0, 0, "6,3,1"},
        {"", "", 0, 1010, 1030, 0, "4,3,2"},     {"", "", 0, 1025, 1060, 0, "6,5,4"},
        {"", "", 0, 0, 1015, 0, "2,1"},          {"alice", "", 0, 1010, 0, 0, "6,4,3"},
        {"", "patient", 1, 1005, 1045, 0, "2"},  {"", "", 0, 0, 0, 4, "3,2,1"},
        {"alice", "", 0, 0, 0, 6, "4,3,1"},      {"", "patient", 1, 0, 0, 6, "2,1"},
        {"", "", 0, 1000, 1050, 5, "4,3,2,1"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
        q.username = (char *)cases[i].username;
        q.entity = (char *)cases[i].entity;
        q.entity_id = cases[i].entity_id;
        q.since = cases[i].since;
        q.until = cases[i].until;
        q.before_seq = cases[i].before_seq;
        cl_job_t *job = query(&fx, &root, &q);
        if (strcmp(seqs(job, buf, sizeof(buf)), cases[i].expect) != 0)
            CL_FAIL("case %zu: got \"%s\", expected \"%s\"", i, buf, cases[i].expect);
        cl_job_free(job);
    }
    fx_close(&fx);
}

CL_TEST(audit_query_returns_whole_rows)
{
    fx_t fx;
    fx_open(&fx);
    small_log(&fx);
    cl_identity_t root = fx_who(&fx, "root");
    Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    q.username = "bob";
    q.limit = 1;
    cl_job_t *job = query(&fx, &root, &q);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.audit_query->n_rows, 1);
    const Clinic__AuditRow *row = job->resp.audit_query->rows[0];
    ASSERT_EQ(row->seq, 5);
    ASSERT_EQ(row->time, 1040);
    ASSERT_STR_EQ(row->username, "bob");
    ASSERT_STR_EQ(row->workstation, "front-1");
    ASSERT_STR_EQ(row->action, "user.add");
    ASSERT_STR_EQ(row->entity, "user");
    ASSERT_EQ(row->entity_id, 3);
    ASSERT_EQ(strlen(row->hash), 64);
    cl_job_free(job);
    fx_close(&fx);
}

/* The query appends one "audit.query" row, after reading: a page never shows its own query. */
CL_TEST(audit_query_is_audited)
{
    fx_t fx;
    fx_open(&fx);
    small_log(&fx);
    cl_identity_t root = fx_who(&fx, "root");
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    cl_job_t *job = query(&fx, &root, &q);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.audit_query->n_rows, 6);
    ASSERT_EQ(fx_audit_rows(&fx), audit + 1);
    fx_assert_last_audit(&fx, "root", "audit.query", "audit", 0);
    ASSERT_EQ(fx_change_rows(&fx), changes);
    cl_job_free(job);

    job = query(&fx, &root, &q);
    ASSERT_EQ(job->resp.audit_query->n_rows, 7);
    ASSERT_STR_EQ(job->resp.audit_query->rows[0]->action, "audit.query");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(audit_query_limit_bounds)
{
    fx_t fx;
    fx_open(&fx);
    fx_user(&fx, "root", CL_ROLE_admin);
    cl_identity_t root = fx_who(&fx, "root");
    ASSERT_OK(cl_db_exec(fx.db, "BEGIN"));
    for (int i = 0; i < 1005; i++)
        ASSERT_OK(cl_audit_append(fx.db, 2000 + i, &root, "patient.read", "patient", 9));
    ASSERT_OK(cl_db_exec(fx.db, "COMMIT"));
    int64_t audit = fx_audit_rows(&fx);

    Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    q.limit = 1001;
    cl_job_t *job = query(&fx, &root, &q);
    FX_ASSERT_FAILED(job, CL_EINVAL, "limit");
    ASSERT_EQ(fx_audit_rows(&fx), audit);
    cl_job_free(job);

    q.limit = 1000;
    job = query(&fx, &root, &q);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.audit_query->n_rows, 1000);
    ASSERT_EQ(job->resp.audit_query->rows[0]->seq, 1005);
    ASSERT_EQ(job->resp.audit_query->rows[999]->seq, 6);
    cl_job_free(job);

    q.limit = 0;
    job = query(&fx, &root, &q);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.audit_query->n_rows, 100);
    ASSERT_STR_EQ(job->resp.audit_query->rows[0]->action, "audit.query");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(audit_query_validates_fields)
{
    fx_t fx;
    fx_open(&fx);
    small_log(&fx);
    cl_identity_t root = fx_who(&fx, "root");
    int64_t audit = fx_audit_rows(&fx);
    struct {
        const char *entity;
        uint64_t entity_id;
        int64_t since, until;
        const char *field;
    } cases[] = {
        {"", 7, 0, 0, "entity_id"},   {"patient", (uint64_t)INT64_MAX + 1, 0, 0, "entity_id"},
        {"", 0, -1, 0, "since"},      {"", 0, 0, -5, "until"},
        {"", 0, 2000, 1000, "until"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
        q.entity = (char *)cases[i].entity;
        q.entity_id = cases[i].entity_id;
        q.since = cases[i].since;
        q.until = cases[i].until;
        cl_job_t *job = query(&fx, &root, &q);
        FX_ASSERT_FAILED(job, CL_EINVAL, cases[i].field);
        cl_job_free(job);
    }
    ASSERT_EQ(fx_audit_rows(&fx), audit);
    fx_close(&fx);
}

/* The plan of the statement the handler picks for `q`, its details joined by "; ". */
static void plan_of(fx_t *fx, const Clinic__AuditQueryRequest *q, char *out, size_t len)
{
    fx_plan(fx, cl_admin_audit_sql(q), out, len);
}

/* STYLE.md: every query that runs per request has an index behind it. */
CL_TEST(audit_query_plans_use_indexes)
{
    fx_t fx;
    fx_open(&fx);
    char plan[512];
    Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;

    q.username = "alice";
    q.entity = "patient";
    plan_of(&fx, &q, plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "USING INDEX audit_user (username=? AND seq<?)");
    ASSERT(strstr(plan, "TEMP B-TREE") == NULL);

    q.username = "";
    q.entity_id = 4;
    plan_of(&fx, &q, plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "USING INDEX audit_entity (entity=? AND entity_id=? AND seq<?)");
    ASSERT(strstr(plan, "TEMP B-TREE") == NULL);

    q.entity_id = 0;
    plan_of(&fx, &q, plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "USING INDEX audit_entity_seq (entity=? AND seq<?)");
    ASSERT(strstr(plan, "TEMP B-TREE") == NULL);

    q.entity = "";
    q.since = 100;
    plan_of(&fx, &q, plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "USING INDEX audit_time (time>? AND time<?)");

    q.since = 0;
    plan_of(&fx, &q, plan, sizeof(plan));
    ASSERT_STR_CONTAINS(plan, "USING INTEGER PRIMARY KEY (rowid<?)");
    ASSERT(strstr(plan, "TEMP B-TREE") == NULL);
    fx_close(&fx);
}

static cl_job_t *server_status(fx_t *fx, const cl_identity_t *who)
{
    Clinic__ServerStatusRequest s = CLINIC__SERVER_STATUS_REQUEST__INIT;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_SERVER_STATUS, &s);
}

CL_TEST(server_status_reports_store_fields)
{
    fx_t fx;
    fx_open(&fx);
    fx_user(&fx, "root", CL_ROLE_admin);
    cl_identity_t root = fx_who(&fx, "root");
    int64_t audit = fx_audit_rows(&fx);

    cl_job_t *job = server_status(&fx, &root);
    ASSERT_OK(job->status);
    const Clinic__ServerStatusReply *r = job->resp.server_status;
    ASSERT_STR_EQ(r->server_version, CLINIC_VERSION);
    ASSERT_EQ(r->db_size_bytes,
              fx_int(&fx, "PRAGMA page_count", NULL) * fx_int(&fx, "PRAGMA page_size", NULL));
    ASSERT_GT(r->db_size_bytes, 0);
    ASSERT_EQ(r->last_backup_at, 0);
    ASSERT_EQ(r->change_seq, 0);
    ASSERT_EQ(r->connections, 0);
    ASSERT_EQ(r->uptime_s, 0);
    ASSERT_EQ(fx_audit_rows(&fx), audit);
    cl_job_free(job);

    fx_exec(&fx, "INSERT INTO meta (key, value) VALUES ('last_backup_at', '1712345678')");
    fx_change(&fx, "users", "user", 1, CLINIC__CHANGE_OP__CREATED, 0);
    uint64_t seq = fx_change(&fx, "users", "user", 1, CLINIC__CHANGE_OP__UPDATED, 0);
    job = server_status(&fx, &root);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.server_status->last_backup_at, 1712345678);
    ASSERT_EQ(job->resp.server_status->change_seq, seq);
    ASSERT_EQ(seq, 2);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST_MAIN(CL_TEST_ENTRY(audit_query_filters), CL_TEST_ENTRY(audit_query_returns_whole_rows),
             CL_TEST_ENTRY(audit_query_is_audited), CL_TEST_ENTRY(audit_query_limit_bounds),
             CL_TEST_ENTRY(audit_query_validates_fields),
             CL_TEST_ENTRY(audit_query_plans_use_indexes),
             CL_TEST_ENTRY(server_status_reports_store_fields))
