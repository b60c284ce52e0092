/* Users of the clinic: adding accounts, listing them, changing their roles and disabling them.
 * Users are never deleted. Every change bumps the row's version, appends one audit row and one
 * "users" change; a stale version gets CONFLICT with the current record. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "staff_int.h"
#include "status.h"
#include "topics.h"

enum {
    Q_USER_BY_NAME,
    Q_USER_INSERT,
    Q_USER_LIST,
    Q_USER_SET_ROLES,
    Q_USER_DISABLE,
    Q_ACTIVE_ADMINS,
    Q_SESSIONS_DELETE,
    Q__COUNT
};

/* The columns user_from_row() reads, in this order. */
#define USER_COLUMNS "id, username, full_name, roles, disabled, created_at, last_login_at, version"

static const char *const SQL[Q__COUNT] = {
    [Q_USER_BY_NAME] = "SELECT " USER_COLUMNS " FROM users WHERE username = ?1",
    [Q_USER_INSERT] = "INSERT INTO users (username, full_name, roles, password_hash, created_at, "
                      "password_changed_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1) "
                      "RETURNING id",
    /* The UNIQUE index on username serves the order. */
    [Q_USER_LIST] = "SELECT " USER_COLUMNS " FROM users WHERE (?1 = 1 OR disabled = 0) "
                    "ORDER BY username",
    [Q_USER_SET_ROLES] = "UPDATE users SET roles = ?2, version = version + 1 "
                         "WHERE id = ?1 AND version = ?3 RETURNING version",
    [Q_USER_DISABLE] = "UPDATE users SET disabled = 1, version = version + 1 "
                       "WHERE id = ?1 AND version = ?2 RETURNING version",
    /* A clinic has tens of users: a scan of the table is the cheapest plan. */
    [Q_ACTIVE_ADMINS] = "SELECT count(*) FROM users WHERE disabled = 0 AND (roles & ?1) <> 0",
    [Q_SESSIONS_DELETE] = "DELETE FROM sessions WHERE user_id = ?1",
};

enum { FULL_NAME_MAX = 128 };

/* A user row as read for a change: the reply message and the stored role bits. */
typedef struct {
    Clinic__User *msg; /* in the job's arena */
    uint32_t roles;
} user_row_t;

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

char **cl_role_names(cl_arena_t *a, uint32_t roles, size_t *n)
{
    char **names = cl_arena_alloc(a, 8 * sizeof(*names));
    *n = 0;
    for (uint32_t bit = 1; bit != 0 && bit <= CL_ROLE_ALL; bit <<= 1) {
        const char *name = (roles & bit) ? cl_role_name(bit) : NULL;
        if (name)
            names[(*n)++] = (char *)name;
    }
    return names;
}

/* Reads the USER_COLUMNS of the current row into a new User in the arena. */
static void user_from_row(cl_arena_t *a, sqlite3_stmt *st, user_row_t *out)
{
    Clinic__User *u = CL_ARENA_NEW(a, Clinic__User);
    clinic__user__init(u);
    u->id = (uint64_t)sqlite3_column_int64(st, 0);
    u->username = cl_arena_strdup(a, cl_db_text(st, 1));
    u->full_name = cl_arena_strdup(a, cl_db_text(st, 2));
    out->roles = (uint32_t)sqlite3_column_int64(st, 3);
    u->roles = cl_role_names(a, out->roles, &u->n_roles);
    u->disabled = sqlite3_column_int(st, 4) != 0;
    u->created_at = sqlite3_column_int64(st, 5);
    u->last_login_at = sqlite3_column_int64(st, 6);
    u->version = (uint64_t)sqlite3_column_int64(st, 7);
    out->msg = u;
}

/* Loads the user named `username`. Returns 0, CL_ENOTFOUND, or a database status. */
static int user_find(cl_tx_t *tx, const char *username, user_row_t *out)
{
    sqlite3_stmt *st = stmt(tx, Q_USER_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        user_from_row(&tx->job->arena, st, out);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

/* Loads the user a change names; a missing one fails the job with NOT_FOUND on "username". */
static int user_find_for_change(cl_tx_t *tx, const char *username, user_row_t *out)
{
    int rc = user_find(tx, username, out);
    if (rc == CL_ENOTFOUND) {
        char msg[96];
        snprintf(msg, sizeof(msg), "no user named %.32s", username);
        return cl_job_fail(tx->job, CL_ENOTFOUND, "username", msg);
    }
    return rc;
}

static int active_admins(cl_tx_t *tx, int64_t *count)
{
    sqlite3_stmt *st = stmt(tx, Q_ACTIVE_ADMINS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, CL_ROLE_admin);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

/* Whether `name` is a valid username: 1-32 of [a-z0-9._-], starting with a letter. */
static int username_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > CL_USERNAME_MAX || name[0] < 'a' || name[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Parses the request's role names into bits; fails the job on "roles" for none or an unknown. */
static int roles_from_request(cl_job_t *job, char **names, size_t n, uint32_t *out)
{
    uint32_t roles = 0;
    if (n == 0)
        return cl_job_fail(job, CL_EINVAL, "roles", "at least one role is required");
    for (size_t i = 0; i < n; i++) {
        uint32_t bit = cl_role_from_name(names[i]);
        if (bit == 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "unknown role \"%.32s\"", names[i]);
            return cl_job_fail(job, CL_EINVAL, "roles", msg);
        }
        roles |= bit;
    }
    *out = roles;
    return 0;
}

/* A version the client read that is no longer the stored one: CONFLICT naming the current
 * version, with the current record already set in the reply by the caller. */
static int stale_version(cl_job_t *job, const Clinic__User *current, uint64_t sent)
{
    char msg[160];
    snprintf(msg, sizeof(msg),
             "user %s was changed by someone else: version %" PRIu64 " is stale, the current "
             "version is %" PRIu64,
             current->username, sent, current->version);
    return cl_job_fail(job, CL_ECONFLICT, "version", msg);
}

/* Checks the fields of a new user, failing the job on the first that is wrong; sets *roles from
 * the role names. */
static int check_user_add_request(cl_job_t *job, const Clinic__UserAddRequest *req, uint32_t *roles)
{
    char msg[128];
    int rc;
    if (!username_valid(req->username))
        return cl_job_fail(job, CL_EINVAL, "username",
                           "username must be 1-32 of a-z, 0-9, '.', '_', '-', starting with a "
                           "letter");
    if (strcmp(req->username, "all") == 0 || cl_role_from_name(req->username) != 0) {
        snprintf(msg, sizeof(msg), "username %s is reserved: messages use it as an address",
                 req->username);
        return cl_job_fail(job, CL_EINVAL, "username", msg);
    }
    size_t full_name_len = strlen(req->full_name);
    if (full_name_len > FULL_NAME_MAX)
        return cl_job_fail(job, CL_EINVAL, "full_name", "full_name is longer than 128 bytes");
    if (!cl_utf8_valid(req->full_name, full_name_len) ||
        cl_text_has_control(req->full_name, full_name_len))
        return cl_job_fail(job, CL_EINVAL, "full_name",
                           "full_name must be UTF-8 text without control characters");
    if ((rc = roles_from_request(job, req->roles, req->n_roles, roles)) < 0)
        return rc;
    size_t password_len = strlen(req->password);
    if (password_len < CL_PASSWORD_MIN || password_len > CL_PASSWORD_MAX) {
        snprintf(msg, sizeof(msg), "password must be %d to %d bytes", CL_PASSWORD_MIN,
                 CL_PASSWORD_MAX);
        return cl_job_fail(job, CL_EINVAL, "password", msg);
    }
    return 0;
}

/* Fails the job with ALREADY_EXISTS on "username". */
static int fail_taken(cl_job_t *job, const char *username)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "username %s is taken", username);
    return cl_job_fail(job, CL_EEXIST, "username", msg);
}

/* Returns 0 when no user is named `username`, else fails the job as fail_taken() does or returns
 * a database status. */
static int check_name_free(cl_tx_t *tx, const char *username)
{
    user_row_t existing;
    int rc = user_find(tx, username, &existing);
    if (rc == 0)
        return fail_taken(tx->job, username);
    if (rc != CL_ENOTFOUND)
        return rc;
    return 0;
}

/* Inserts the user with the hash the loop made (job->pw.hashed) and sets *id; fails the job as
 * fail_taken() does when the UNIQUE index finds the name taken. */
static int insert_user(cl_tx_t *tx, const Clinic__UserAddRequest *req, uint32_t roles, int64_t *id)
{
    sqlite3_stmt *st = stmt(tx, Q_USER_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, req->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, req->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, roles);
    sqlite3_bind_text(st, 4, tx->job->pw.hashed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, tx->now);
    int rc = cl_db_step(tx->db, st);
    *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == CL_EEXIST)
        return fail_taken(tx->job, req->username);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return 0;
}

/* The audit row of the new user `id` and its changes on "users" and, for the staff member the
 * new row made, on "staff". */
static int record_user_added(cl_tx_t *tx, int64_t id)
{
    cl_job_t *job = tx->job;
    int rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "user.add", "user", (uint64_t)id)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_USERS_NAME, "user", (uint64_t)id,
                           CLINIC__CHANGE_OP__CREATED, 0)) < 0)
        return rc;
    /* Every user is a staff member: the users_make_staff trigger (0003_staff.sql) made the row. */
    int64_t staff_id;
    if ((rc = cl_staff_of_user(tx, id, &staff_id)) < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "staff", (uint64_t)staff_id,
                        CLINIC__CHANGE_OP__CREATED, 0);
}

/* The new user `id` as the reply shows it, in the job's arena. */
static Clinic__User *user_added(cl_tx_t *tx, const Clinic__UserAddRequest *req, uint32_t roles,
                                int64_t id)
{
    cl_arena_t *a = &tx->job->arena;
    Clinic__User *u = CL_ARENA_NEW(a, Clinic__User);
    clinic__user__init(u);
    u->id = (uint64_t)id;
    u->username = cl_arena_strdup(a, req->username);
    u->full_name = cl_arena_strdup(a, req->full_name);
    u->roles = cl_role_names(a, roles, &u->n_roles);
    u->created_at = tx->now;
    u->version = 1;
    return u;
}

/* Stage 0 validates and checks that the name is free, then asks the loop to hash the password;
 * stage 1 inserts the row with that hash. The name is checked again by the UNIQUE index at the
 * insert, since another request may have taken it while the password was being hashed. */
int cl_handle_user_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__UserAddRequest *req = job->req->user_add;
    uint32_t roles = 0;
    int64_t id;
    int rc;

    if ((rc = check_user_add_request(job, req, &roles)) < 0)
        return rc;
    if (job->stage == 0) {
        if ((rc = check_name_free(tx, req->username)) < 0)
            return rc;
        job->pw.hash = req->password;
        return CL_STEP_PASSWORD;
    }
    if ((rc = insert_user(tx, req, roles, &id)) < 0 || (rc = record_user_added(tx, id)) < 0)
        return rc;
    Clinic__User *u = user_added(tx, req, roles, id);
    Clinic__UserAddReply *reply = CL_JOB_REPLY(job, Clinic__UserAddReply);
    reply->user = u;
    return 0;
}

/* Lists users by username; disabled ones only when asked. Audited: accounts are personnel data. */
int cl_handle_user_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__UserListRequest *req = job->req->user_list;
    Clinic__UserListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__UserListReply);
    clinic__user_list_reply__init(reply);
    size_t cap = 0;
    int rc;

    sqlite3_stmt *st = stmt(tx, Q_USER_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_disabled ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        user_row_t row;
        user_from_row(&job->arena, st, &row);
        CL_ARENA_RESERVE(&job->arena, reply->users, reply->n_users, cap);
        reply->users[reply->n_users++] = row.msg;
    }
    if (rc < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "user.list", "user", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_USER_LIST;
    job->resp.user_list = reply;
    return 0;
}

/* Replaces a user's roles. The reply carries the user: the new record, or on CONFLICT the
 * current one, so that the client can show what changed. */
int cl_handle_user_roles(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__UserRolesRequest *req = job->req->user_roles;
    user_row_t user;
    uint32_t roles = 0;
    int rc;

    if (req->username[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "username", "username is required");
    if ((rc = roles_from_request(job, req->roles, req->n_roles, &roles)) < 0)
        return rc;
    if (req->version == 0)
        return cl_job_fail(job, CL_EINVAL, "version", "version is required: the version read");
    if ((rc = user_find_for_change(tx, req->username, &user)) < 0)
        return rc;
    Clinic__UserRolesReply *reply = CL_JOB_REPLY(job, Clinic__UserRolesReply);
    reply->user = user.msg;
    if (req->version != user.msg->version)
        return stale_version(job, user.msg, req->version);

    /* Taking admin from the last active admin would leave nobody able to manage users; with
     * the dispatcher's check this is an admin removing the role from themselves. */
    if (!user.msg->disabled && (user.roles & CL_ROLE_admin) && !(roles & CL_ROLE_admin)) {
        int64_t admins = 0;
        if ((rc = active_admins(tx, &admins)) < 0)
            return rc;
        if (admins <= 1)
            return cl_job_fail(job, CL_EPRECOND, NULL,
                               "the last active admin cannot lose the admin role: make another "
                               "admin first");
    }

    sqlite3_stmt *st = stmt(tx, Q_USER_SET_ROLES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)user.msg->id);
    sqlite3_bind_int64(st, 2, roles);
    sqlite3_bind_int64(st, 3, (int64_t)user.msg->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "user.roles", "user", user.msg->id)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_USERS_NAME, "user", user.msg->id,
                           CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
        return rc;
    user.msg->roles = cl_role_names(&job->arena, roles, &user.msg->n_roles);
    user.msg->version++;
    return 0;
}

/* Disables a user and ends their sessions. The reply carries the user, as for roles. */
int cl_handle_user_disable(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__UserDisableRequest *req = job->req->user_disable;
    user_row_t user;
    int rc;

    if (req->username[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "username", "username is required");
    if (req->version == 0)
        return cl_job_fail(job, CL_EINVAL, "version", "version is required: the version read");
    if ((rc = user_find_for_change(tx, req->username, &user)) < 0)
        return rc;
    Clinic__UserDisableReply *reply = CL_JOB_REPLY(job, Clinic__UserDisableReply);
    reply->user = user.msg;
    if (req->version != user.msg->version)
        return stale_version(job, user.msg, req->version);
    if ((int64_t)user.msg->id == job->who.user_id)
        return cl_job_fail(job, CL_EPRECOND, "username", "you cannot disable your own account");
    if (user.msg->disabled)
        return cl_job_fail(job, CL_EPRECOND, "username", "the user is already disabled");
    if (user.roles & CL_ROLE_admin) {
        int64_t admins = 0;
        if ((rc = active_admins(tx, &admins)) < 0)
            return rc;
        if (admins <= 1)
            return cl_job_fail(job, CL_EPRECOND, "username",
                               "the last active admin cannot be disabled");
    }

    sqlite3_stmt *st = stmt(tx, Q_USER_DISABLE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)user.msg->id);
    sqlite3_bind_int64(st, 2, (int64_t)user.msg->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    /* The loop checks every request's session against this table, so deleting the rows is
     * what logs the user out on every workstation. */
    if ((st = stmt(tx, Q_SESSIONS_DELETE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)user.msg->id);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "user.disable", "user", user.msg->id)) <
        0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_USERS_NAME, "user", user.msg->id,
                           CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
        return rc;
    user.msg->disabled = 1;
    user.msg->version++;
    return 0;
}
