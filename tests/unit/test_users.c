/* Users: adding accounts (with the password step), listing, changing roles, disabling; the
 * validation of every field, stale versions, the last-admin rules, and the audit row and change
 * each mutation leaves. */
#include "domain_fixture.h"

/* Each helper builds the request on its stack: the handlers copy whatever the reply keeps. */
static cl_job_t *user_add(fx_t *fx, const cl_identity_t *who, const char *username,
                          const char *full_name, const char *roles, const char *password)
{
    char buf[128], *names[16];
    Clinic__UserAddRequest add = CLINIC__USER_ADD_REQUEST__INIT;
    add.username = (char *)username;
    add.full_name = (char *)full_name;
    add.n_roles = fx_split(buf, sizeof(buf), roles, names, 16);
    add.roles = names;
    add.password = (char *)password;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_USER_ADD, &add);
}

static cl_job_t *user_roles(fx_t *fx, const cl_identity_t *who, const char *username,
                            const char *roles, uint64_t version)
{
    char buf[128], *names[16];
    Clinic__UserRolesRequest r = CLINIC__USER_ROLES_REQUEST__INIT;
    r.username = (char *)username;
    r.n_roles = fx_split(buf, sizeof(buf), roles, names, 16);
    r.roles = names;
    r.version = version;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_USER_ROLES, &r);
}

static cl_job_t *user_disable(fx_t *fx, const cl_identity_t *who, const char *username,
                              uint64_t version)
{
    Clinic__UserDisableRequest d = CLINIC__USER_DISABLE_REQUEST__INIT;
    d.username = (char *)username;
    d.version = version;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_USER_DISABLE, &d);
}

static cl_job_t *user_list(fx_t *fx, const cl_identity_t *who, int include_disabled)
{
    Clinic__UserListRequest l = CLINIC__USER_LIST_REQUEST__INIT;
    l.include_disabled = include_disabled;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_USER_LIST, &l);
}

static int64_t user_version(fx_t *fx, const char *username)
{
    return fx_int(fx, "SELECT version FROM users WHERE username = ?1", username);
}

/* Opens the fixture with one user, root, an admin; returns root's identity. */
static cl_identity_t open_as_root(fx_t *fx)
{
    fx_open(fx);
    fx_user(fx, "root", CL_ROLE_admin);
    return fx_who(fx, "root");
}

/* Asserts that a failed job wrote nothing: no audit row, no change. */
static void assert_nothing_written(fx_t *fx, int64_t audit_before, int64_t changes_before,
                                   const cl_job_t *job)
{
    ASSERT_EQ(fx_audit_rows(fx), audit_before);
    ASSERT_EQ(fx_change_rows(fx), changes_before);
    ASSERT_EQ(fx_job_changes(job), 0);
}

CL_TEST(user_add_creates_user_with_hashed_password)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);

    cl_job_t *job =
        user_add(&fx, &root, "nurse.joy", "Joy Nurse", "clinician,staff", "correct horse battery");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->stage, 1);
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_USER_ADD);
    const Clinic__User *u = job->resp.user_add->user;
    ASSERT_GT(u->id, 0);
    ASSERT_STR_EQ(u->username, "nurse.joy");
    ASSERT_STR_EQ(u->full_name, "Joy Nurse");
    ASSERT_EQ(u->n_roles, 2);
    ASSERT_STR_EQ(u->roles[0], "clinician");
    ASSERT_STR_EQ(u->roles[1], "staff");
    ASSERT_EQ(u->version, 1);
    ASSERT(!u->disabled);
    ASSERT_EQ(u->last_login_at, 0);

    ASSERT_EQ(fx_int(&fx, "SELECT roles FROM users WHERE username = ?1", "nurse.joy"),
              CL_ROLE_clinician | CL_ROLE_staff);
    sqlite3_stmt *st =
        fx_prepare(&fx, "SELECT password_hash FROM users WHERE username = 'nurse.joy'");
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    const char *hash = (const char *)sqlite3_column_text(st, 0);
    ASSERT_EQ(strncmp(hash, "scrypt$", 7), 0);
    ASSERT_EQ(cl_auth_verify_password("correct horse battery", hash), 1);
    ASSERT_EQ(cl_auth_verify_password("wrong horse battery", hash), 0);
    sqlite3_finalize(st);

    ASSERT_EQ(fx_audit_rows(&fx), audit + 1);
    fx_assert_last_audit(&fx, "root", "user.add", "user", u->id);
    ASSERT_EQ(fx_change_rows(&fx), changes + 2);
    ASSERT_EQ(fx_job_changes(job), 2);
    ASSERT_STR_EQ(job->changes->topic, "users");
    ASSERT_STR_EQ(job->changes->entity, "user");
    ASSERT_EQ(job->changes->entity_id, u->id);
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__CREATED);
    ASSERT_EQ(job->changes->scope_user, 0);
    /* Every user is a staff member, made with the user and announced to the managers. */
    const cl_change_t *staff = job->changes->next;
    ASSERT_STR_EQ(staff->topic, "staff");
    ASSERT_STR_EQ(staff->entity, "staff");
    ASSERT_EQ(staff->entity_id, fx_staff_of(&fx, "nurse.joy"));
    ASSERT_EQ(staff->op, CLINIC__CHANGE_OP__CREATED);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_add_validates_username)
{
    static const char *const bad[] = {
        "",           "1nurse",    "Nurse",  "nurse joy",
        "nurse@home", "-nurse",    "_nurse", "abcdefghijabcdefghijabcdefghijabc", /* 33 */
        "all",        "clinician", "admin", /* message addresses */
    };
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        cl_job_t *job = user_add(&fx, &root, bad[i], "", "staff", "long enough pw");
        FX_ASSERT_FAILED(job, CL_EINVAL, "username");
        ASSERT_EQ(job->stage, 0);
        assert_nothing_written(&fx, audit, changes, job);
        cl_job_free(job);
    }
    FX_ASSERT_OK_FREE(
        user_add(&fx, &root, "abcdefghijabcdefghijabcdefghij.2", "", "staff", "long enough pw"));
    FX_ASSERT_OK_FREE(user_add(&fx, &root, "a", "", "staff", "long enough pw"));
    fx_close(&fx);
}

CL_TEST(user_add_validates_full_name)
{
    char long_name[130];
    memset(long_name, 'x', 129);
    long_name[129] = '\0';
    const char *const bad[] = {long_name, "Jo\xff", "Jo\xc3", "Joy\nNurse", "Joy\x7f"};
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        cl_job_t *job = user_add(&fx, &root, "joy", bad[i], "staff", "long enough pw");
        FX_ASSERT_FAILED(job, CL_EINVAL, "full_name");
        cl_job_free(job);
    }
    long_name[128] = '\0';
    FX_ASSERT_OK_FREE(user_add(&fx, &root, "joy", long_name, "staff", "long enough pw"));
    cl_job_t *job =
        user_add(&fx, &root, "zoe", "Zo\xc3\xab M\xc3\xbcller", "staff", "long enough pw");
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.user_add->user->full_name, "Zo\xc3\xab M\xc3\xbcller");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_add_validates_roles)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    cl_job_t *job = user_add(&fx, &root, "joy", "", "", "long enough pw");
    FX_ASSERT_FAILED(job, CL_EINVAL, "roles");
    cl_job_free(job);
    job = user_add(&fx, &root, "joy", "", "staff,wizard", "long enough pw");
    FX_ASSERT_FAILED(job, CL_EINVAL, "roles");
    ASSERT_STR_CONTAINS(fx_message(job), "wizard");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_add_validates_password_length)
{
    char long_pw[CL_PASSWORD_MAX + 2];
    memset(long_pw, 'p', sizeof(long_pw) - 1);
    long_pw[CL_PASSWORD_MAX + 1] = '\0';
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);

    cl_job_t *job = user_add(&fx, &root, "joy", "", "staff", "ninechars");
    FX_ASSERT_FAILED(job, CL_EINVAL, "password");
    cl_job_free(job);
    job = user_add(&fx, &root, "joy", "", "staff", long_pw);
    FX_ASSERT_FAILED(job, CL_EINVAL, "password");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(user_add(&fx, &root, "joy", "", "staff", "tenchars10"));
    long_pw[CL_PASSWORD_MAX] = '\0';
    FX_ASSERT_OK_FREE(user_add(&fx, &root, "max", "", "staff", long_pw));
    fx_close(&fx);
}

CL_TEST(user_add_taken_username_conflicts)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "joy", CL_ROLE_staff);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    cl_job_t *job = user_add(&fx, &root, "joy", "", "staff", "long enough pw");
    FX_ASSERT_FAILED(job, CL_EEXIST, "username");
    ASSERT_EQ(job->resp.status->code, CLINIC__CODE__CONFLICT);
    ASSERT_STR_EQ(fx_message(job), "username joy is taken");
    ASSERT_EQ(job->stage, 0);
    assert_nothing_written(&fx, audit, changes, job);
    cl_job_free(job);
    fx_close(&fx);
}

/* The name is free at stage 0, then taken by another request while the password is hashed. */
CL_TEST(user_add_taken_while_hashing_conflicts)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    char *roles[] = {"staff"};
    Clinic__UserAddRequest add = CLINIC__USER_ADD_REQUEST__INIT;
    add.username = "joy";
    add.n_roles = 1;
    add.roles = roles;
    add.password = "long enough pw";
    Clinic__Request req;
    ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_USER_ADD, &add));
    cl_job_t *job = fx_job(cl_handle_user_add, &req, &root);

    ASSERT_EQ(fx_stage(&fx, job), CL_STEP_PASSWORD);
    ASSERT_STR_EQ(job->pw.hash, "long enough pw");
    fx_user(&fx, "joy", CL_ROLE_staff);
    ASSERT_OK(cl_auth_hash_password(job->pw.hash, job->pw.hashed));
    job->stage++;
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    ASSERT_EQ(fx_stage(&fx, job), CL_EEXIST);
    FX_ASSERT_FAILED(job, CL_EEXIST, "username");
    ASSERT_STR_EQ(fx_message(job), "username joy is taken");
    assert_nothing_written(&fx, audit, changes, job);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_list_hides_disabled_unless_asked)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "zed", CL_ROLE_biller);
    fx_user(&fx, "amy", CL_ROLE_clinician | CL_ROLE_manager);
    fx_user(&fx, "gone", CL_ROLE_staff);
    fx_user_disable(&fx, "gone");
    int64_t audit = fx_audit_rows(&fx);

    cl_job_t *job = user_list(&fx, &root, 0);
    ASSERT_OK(job->status);
    const Clinic__UserListReply *r = job->resp.user_list;
    ASSERT_EQ(r->n_users, 3);
    ASSERT_STR_EQ(r->users[0]->username, "amy");
    ASSERT_STR_EQ(r->users[1]->username, "root");
    ASSERT_STR_EQ(r->users[2]->username, "zed");
    ASSERT_EQ(r->users[0]->n_roles, 2);
    ASSERT_STR_EQ(r->users[0]->roles[0], "manager");
    ASSERT_STR_EQ(r->users[0]->roles[1], "clinician");
    ASSERT_EQ(fx_audit_rows(&fx), audit + 1);
    fx_assert_last_audit(&fx, "root", "user.list", "user", 0);
    ASSERT_EQ(fx_job_changes(job), 0);
    cl_job_free(job);

    job = user_list(&fx, &root, 1);
    ASSERT_OK(job->status);
    r = job->resp.user_list;
    ASSERT_EQ(r->n_users, 4);
    ASSERT_STR_EQ(r->users[1]->username, "gone");
    ASSERT(r->users[1]->disabled);
    cl_job_free(job);
    fx_close(&fx);
}

/* More users than the arena array's first block holds. */
CL_TEST(user_list_grows_past_first_block)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof(name), "u%02d", i);
        fx_user(&fx, name, CL_ROLE_staff);
    }
    cl_job_t *job = user_list(&fx, &root, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.user_list->n_users, 41);
    ASSERT_STR_EQ(job->resp.user_list->users[0]->username, "root");
    for (int i = 0; i < 40; i++) {
        char name[16];
        snprintf(name, sizeof(name), "u%02d", i);
        ASSERT_STR_EQ(job->resp.user_list->users[1 + i]->username, name);
    }
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_roles_replaces_roles_and_bumps_version)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    int64_t joy = fx_user(&fx, "joy", CL_ROLE_staff);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);

    cl_job_t *job = user_roles(&fx, &root, "joy", "scheduler,front_desk", 1);
    ASSERT_OK(job->status);
    const Clinic__User *u = job->resp.user_roles->user;
    ASSERT_EQ(u->id, joy);
    ASSERT_EQ(u->version, 2);
    ASSERT_EQ(u->n_roles, 2);
    ASSERT_STR_EQ(u->roles[0], "front_desk");
    ASSERT_STR_EQ(u->roles[1], "scheduler");
    ASSERT_EQ(fx_int(&fx, "SELECT roles FROM users WHERE username = ?1", "joy"),
              CL_ROLE_front_desk | CL_ROLE_scheduler);
    ASSERT_EQ(user_version(&fx, "joy"), 2);
    ASSERT_EQ(fx_audit_rows(&fx), audit + 1);
    fx_assert_last_audit(&fx, "root", "user.roles", "user", (uint64_t)joy);
    ASSERT_EQ(fx_change_rows(&fx), changes + 1);
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT_STR_EQ(job->changes->topic, "users");
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__UPDATED);
    ASSERT_EQ(job->changes->entity_id, joy);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_roles_stale_version_conflicts_with_current_record)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "joy", CL_ROLE_staff);
    FX_ASSERT_OK_FREE(user_roles(&fx, &root, "joy", "biller", 1));

    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    cl_job_t *job = user_roles(&fx, &root, "joy", "clinician", 1);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_CONTAINS(fx_message(job), "current version is 2");
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_USER_ROLES);
    const Clinic__User *u = job->resp.user_roles->user;
    ASSERT_EQ(u->version, 2);
    ASSERT_EQ(u->n_roles, 1);
    ASSERT_STR_EQ(u->roles[0], "biller");
    assert_nothing_written(&fx, audit, changes, job);
    ASSERT_EQ(fx_int(&fx, "SELECT roles FROM users WHERE username = ?1", "joy"), CL_ROLE_biller);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_roles_validates_fields)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "joy", CL_ROLE_staff);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    struct {
        const char *username, *roles;
        uint64_t version;
        int status;
        const char *field;
    } cases[] = {
        {"", "staff", 1, CL_EINVAL, "username"},          {"joy", "", 1, CL_EINVAL, "roles"},
        {"joy", "staff,wizard", 1, CL_EINVAL, "roles"},   {"joy", "staff", 0, CL_EINVAL, "version"},
        {"nobody", "staff", 1, CL_ENOTFOUND, "username"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        cl_job_t *job = user_roles(&fx, &root, cases[i].username, cases[i].roles, cases[i].version);
        FX_ASSERT_FAILED(job, cases[i].status, cases[i].field);
        assert_nothing_written(&fx, audit, changes, job);
        cl_job_free(job);
    }
    cl_job_t *job = user_roles(&fx, &root, "nobody", "staff", 1);
    ASSERT_STR_CONTAINS(fx_message(job), "nobody");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_roles_last_admin_keeps_admin_role)
{
    fx_t fx;
    fx_open(&fx);
    fx_user(&fx, "root", CL_ROLE_admin | CL_ROLE_manager);
    fx_user(&fx, "gone", CL_ROLE_admin);
    fx_user_disable(&fx, "gone"); /* a disabled admin does not count */
    cl_identity_t root = fx_who(&fx, "root");
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);

    cl_job_t *job = user_roles(&fx, &root, "root", "manager", 1);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "last active admin");
    assert_nothing_written(&fx, audit, changes, job);
    cl_job_free(job);

    /* Keeping admin while changing the rest is fine. */
    FX_ASSERT_OK_FREE(user_roles(&fx, &root, "root", "admin,clinician", 1));

    /* With a second active admin, root may step down. */
    fx_user(&fx, "ada", CL_ROLE_admin);
    job = user_roles(&fx, &root, "root", "clinician", 2);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.user_roles->user->n_roles, 1);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_disable_ends_sessions)
{
    fx_t fx;
    fx_open(&fx);
    int64_t root_id = fx_user(&fx, "root", CL_ROLE_admin);
    int64_t joy = fx_user(&fx, "joy", CL_ROLE_clinician);
    fx_session(&fx, joy, "exam-1");
    fx_session(&fx, joy, "exam-2");
    fx_session(&fx, root_id, "office");
    cl_identity_t root = fx_who(&fx, "root");
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);

    cl_job_t *job = user_disable(&fx, &root, "joy", 1);
    ASSERT_OK(job->status);
    const Clinic__User *u = job->resp.user_disable->user;
    ASSERT(u->disabled);
    ASSERT_EQ(u->version, 2);
    ASSERT_EQ(fx_int(&fx, "SELECT disabled FROM users WHERE username = ?1", "joy"), 1);
    ASSERT_EQ(user_version(&fx, "joy"), 2);
    ASSERT_EQ(fx_int(&fx,
                     "SELECT count(*) FROM sessions WHERE user_id = (SELECT id FROM users "
                     "WHERE username = ?1)",
                     "joy"),
              0);
    ASSERT_EQ(fx_int(&fx,
                     "SELECT count(*) FROM sessions WHERE user_id = (SELECT id FROM users "
                     "WHERE username = ?1)",
                     "root"),
              1);
    ASSERT_EQ(fx_audit_rows(&fx), audit + 1);
    fx_assert_last_audit(&fx, "root", "user.disable", "user", (uint64_t)joy);
    ASSERT_EQ(fx_change_rows(&fx), changes + 1);
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT_STR_EQ(job->changes->topic, "users");
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__UPDATED);
    cl_job_free(job);

    /* Users are never deleted. */
    ASSERT_EQ(fx_int(&fx, "SELECT count(*) FROM users WHERE username = ?1", "joy"), 1);
    job = user_disable(&fx, &root, "joy", 2);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "username");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_disable_self_refused)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "ada", CL_ROLE_admin);
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    cl_job_t *job = user_disable(&fx, &root, "root", 1);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "username");
    ASSERT_STR_CONTAINS(fx_message(job), "your own account");
    assert_nothing_written(&fx, audit, changes, job);
    cl_job_free(job);
    fx_close(&fx);
}

/* The caller still holds admin in its session, but the database no longer says so: the stored
 * state decides. */
CL_TEST(user_disable_last_admin_refused)
{
    fx_t fx;
    fx_open(&fx);
    fx_user(&fx, "root", CL_ROLE_admin);
    fx_user(&fx, "boss", CL_ROLE_admin);
    cl_identity_t boss = fx_who(&fx, "boss");
    fx_exec(&fx, "UPDATE users SET roles = 2 WHERE username = 'boss'");
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    cl_job_t *job = user_disable(&fx, &boss, "root", 1);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "username");
    ASSERT_STR_CONTAINS(fx_message(job), "last active admin");
    assert_nothing_written(&fx, audit, changes, job);
    ASSERT_EQ(fx_int(&fx, "SELECT disabled FROM users WHERE username = ?1", "root"), 0);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(user_disable_stale_version_conflicts_with_current_record)
{
    fx_t fx;
    cl_identity_t root = open_as_root(&fx);
    fx_user(&fx, "joy", CL_ROLE_staff);
    fx_session(&fx, fx_who(&fx, "joy").user_id, "desk");
    FX_ASSERT_OK_FREE(user_roles(&fx, &root, "joy", "biller", 1));
    int64_t audit = fx_audit_rows(&fx), changes = fx_change_rows(&fx);
    cl_job_t *job = user_disable(&fx, &root, "joy", 1);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_CONTAINS(fx_message(job), "current version is 2");
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_USER_DISABLE);
    ASSERT_EQ(job->resp.user_disable->user->version, 2);
    ASSERT(!job->resp.user_disable->user->disabled);
    assert_nothing_written(&fx, audit, changes, job);
    ASSERT_EQ(fx_int(&fx, "SELECT count(*) FROM sessions", NULL), 1);
    cl_job_free(job);

    job = user_disable(&fx, &root, "", 1);
    FX_ASSERT_FAILED(job, CL_EINVAL, "username");
    cl_job_free(job);
    job = user_disable(&fx, &root, "joy", 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "version");
    cl_job_free(job);
    job = user_disable(&fx, &root, "nobody", 1);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "username");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST_MAIN(CL_TEST_ENTRY(user_add_creates_user_with_hashed_password),
             CL_TEST_ENTRY(user_add_validates_username),
             CL_TEST_ENTRY(user_add_validates_full_name), CL_TEST_ENTRY(user_add_validates_roles),
             CL_TEST_ENTRY(user_add_validates_password_length),
             CL_TEST_ENTRY(user_add_taken_username_conflicts),
             CL_TEST_ENTRY(user_add_taken_while_hashing_conflicts),
             CL_TEST_ENTRY(user_list_hides_disabled_unless_asked),
             CL_TEST_ENTRY(user_list_grows_past_first_block),
             CL_TEST_ENTRY(user_roles_replaces_roles_and_bumps_version),
             CL_TEST_ENTRY(user_roles_stale_version_conflicts_with_current_record),
             CL_TEST_ENTRY(user_roles_validates_fields),
             CL_TEST_ENTRY(user_roles_last_admin_keeps_admin_role),
             CL_TEST_ENTRY(user_disable_ends_sessions), CL_TEST_ENTRY(user_disable_self_refused),
             CL_TEST_ENTRY(user_disable_last_admin_refused),
             CL_TEST_ENTRY(user_disable_stale_version_conflicts_with_current_record))
