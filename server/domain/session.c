/* Logging in and out: LoginRequest (password checked on the thread pool between two stages),
 * ResumeRequest (a stored session token), LogoutRequest, WhoAmIRequest and PasswordChangeRequest.
 * Failed logins count towards the lockout and are audited; a token is stored only as its SHA-256.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "domain_int.h"
#include "handlers.h"
#include "log.h"
#include "policy.h"
#include "status.h"

enum {
    Q_USER_BY_NAME,
    Q_USER_FAILED,
    Q_USER_LOGGED_IN,
    Q_SESSION_INSERT,
    Q_SESSION_BY_TOKEN,
    Q_SESSION_RESUMED,
    Q_SESSION_DELETE,
    Q_SESSIONS_DELETE_OTHERS,
    Q_USER_HASH,
    Q_USER_SET_PASSWORD,
    Q__COUNT
};

static const char *const SQL[Q__COUNT] = {
    [Q_USER_BY_NAME] = "SELECT id, password_hash, roles, disabled, failed_logins, locked_until "
                       "FROM users WHERE username = ?1",
    [Q_USER_FAILED] = "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
    [Q_USER_LOGGED_IN] = "UPDATE users SET failed_logins = 0, locked_until = 0, "
                         "last_login_at = ?2 WHERE id = ?1",
    [Q_SESSION_INSERT] = "INSERT INTO sessions (token_hash, user_id, workstation, address, "
                         "created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
    [Q_SESSION_BY_TOKEN] = "SELECT s.id, s.last_seen, u.id, u.username, u.roles, u.disabled "
                           "FROM sessions s JOIN users u ON u.id = s.user_id "
                           "WHERE s.token_hash = ?1",
    [Q_SESSION_RESUMED] = "UPDATE sessions SET last_seen = ?2, workstation = ?3, address = ?4 "
                          "WHERE id = ?1",
    [Q_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
    [Q_SESSIONS_DELETE_OTHERS] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
    [Q_USER_HASH] = "SELECT password_hash FROM users WHERE id = ?1",
    [Q_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2, password_changed_at = ?3, "
                            "version = version + 1 WHERE id = ?1",
};

#define BAD_LOGIN "wrong username or password"

/* The user row a login reads. */
typedef struct {
    int64_t id;
    uint32_t roles;
    int disabled;
    int64_t failed;
    int64_t locked_until;
    char hash[CL_PASSWORD_HASH_MAX];
} user_row_t;

static int read_user(cl_tx_t *tx, const char *username, user_row_t *u)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_USER_BY_NAME]);
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    if (rc <= 0)
        return rc == 0 ? CL_ENOTFOUND : rc;
    u->id = sqlite3_column_int64(st, 0);
    snprintf(u->hash, sizeof(u->hash), "%s", cl_db_text(st, 1));
    u->roles = (uint32_t)sqlite3_column_int64(st, 2);
    u->disabled = sqlite3_column_int(st, 3);
    u->failed = sqlite3_column_int64(st, 4);
    u->locked_until = sqlite3_column_int64(st, 5);
    sqlite3_reset(st);
    return 0;
}

/* Fills a LoginReply for `who`. The token is given only at login. */
static void login_reply(cl_job_t *job, const cl_identity_t *who, const char *token)
{
    Clinic__LoginReply *r = CL_JOB_REPLY(job, Clinic__LoginReply); /* login's, or resume's */
    r->username = cl_arena_strdup(&job->arena, who->username);
    r->roles = cl_role_names(&job->arena, who->roles, &r->n_roles);
    r->token = cl_arena_strdup(&job->arena, token);
    r->idle_timeout_s = (uint32_t)cl_policy.idle_logoff_s;
}

/* An audit row for the login attempt by `username` (who may not exist). */
static int audit_attempt(cl_tx_t *tx, cl_job_t *job, const char *username, const char *action,
                         int64_t user_id)
{
    cl_identity_t who = job->who;
    snprintf(who.username, sizeof(who.username), "%s", username);
    return cl_audit_append(tx->db, tx->now, &who, action, "user", (uint64_t)user_id);
}

/* Fails the job naming the first of the username and password whose length is out of range. */
static int check_login_request(cl_job_t *job, const Clinic__LoginRequest *req)
{
    size_t ulen = strlen(req->username), plen = strlen(req->password);
    if (ulen == 0 || ulen > CL_USERNAME_MAX)
        return cl_job_fail(job, CL_EINVAL, "username", "must be 1 to 32 characters");
    if (plen == 0 || plen > CL_PASSWORD_MAX)
        return cl_job_fail(job, CL_EINVAL, "password", "must be 1 to 256 bytes");
    return 0;
}

/* Refuses a login to the account `u` while it is locked, saying how long the lock lasts; the
 * attempt is audited and the refusal keeps that row. Returns 0 or a database status. */
static int refuse_locked(cl_tx_t *tx, cl_job_t *job, const char *username, const user_row_t *u)
{
    char msg[160];
    snprintf(msg, sizeof(msg),
             "account locked after repeated failed logins; try again in %lld minutes or "
             "ask an administrator",
             (long long)((u->locked_until - tx->now + 59) / 60));
    int rc = audit_attempt(tx, job, username, "login.locked", u->id);
    return rc ? rc : cl_job_refuse(job, CL_ELOCKED, NULL, msg);
}

/* Refuses a login with the one message that does not tell an unknown user from a wrong
 * password; the attempt is audited (user_id 0: no such user) and the refusal keeps that row.
 * Returns 0 or a database status. */
static int refuse_bad_login(cl_tx_t *tx, cl_job_t *job, const char *username, int64_t user_id)
{
    int rc = audit_attempt(tx, job, username, "login.failed", user_id);
    return rc ? rc : cl_job_refuse(job, CL_EUNAUTH, NULL, BAD_LOGIN);
}

/* Counts a wrong password against the account `u`, locking it at the policy's number of
 * failures (the count then starts again), and refuses the login. Returns 0 or a database
 * status. */
static int record_failed_login(cl_tx_t *tx, cl_job_t *job, const char *username,
                               const user_row_t *u)
{
    int64_t failed = u->failed + 1, locked_until = u->locked_until;
    if (failed >= cl_policy.lockout_failures) {
        locked_until = tx->now + cl_policy.lockout_s;
        failed = 0;
        cl_warn("user %s locked for %lld s after %u failed logins", username,
                (long long)cl_policy.lockout_s, cl_policy.lockout_failures);
    }
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_USER_FAILED]);
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_int64(st, 2, failed);
    sqlite3_bind_int64(st, 3, locked_until);
    int rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;
    return refuse_bad_login(tx, job, username, u->id);
}

/* Clears the account's failures, records the login time, makes the session token (job->token;
 * only its hash is stored) and its session row, and sets job->new_who to `username` in that
 * session. Returns 0 or a negative status. */
static int start_session(cl_tx_t *tx, cl_job_t *job, const char *username, const user_row_t *u)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_USER_LOGGED_IN]);
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_int64(st, 2, tx->now);
    int rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;
    char token_hash[65];
    cl_auth_new_token(job->token, token_hash);
    st = cl_db_stmt(tx->db, SQL[Q_SESSION_INSERT]);
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, u->id);
    sqlite3_bind_text(st, 3, job->who.workstation, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, job->who.address, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, tx->now);
    if ((rc = cl_db_step(tx->db, st)) != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    int64_t session_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);

    cl_identity_t *who = &job->new_who;
    *who = job->who;
    who->user_id = u->id;
    who->session_id = session_id;
    who->roles = u->roles;
    snprintf(who->username, sizeof(who->username), "%s", username);
    return 0;
}

/* Stage 0 refuses a locked account and otherwise asks the loop to verify the password; stage 1
 * reads the user again, judges the verdict and opens the session. */
int cl_handle_login(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__LoginRequest *req = job->req->login;
    int rc = check_login_request(job, req);
    if (rc < 0)
        return rc;
    user_row_t u = {0};
    rc = read_user(tx, req->username, &u);
    if (rc < 0 && rc != CL_ENOTFOUND)
        return rc;
    int exists = rc == 0;

    if (job->stage == 0) {
        if (exists && u.locked_until > tx->now)
            return refuse_locked(tx, job, req->username, &u);
        /* Verify on the pool; an unknown user costs one hash too. */
        job->pw.verify = req->password;
        snprintf(job->pw.stored, sizeof(job->pw.stored), "%s", exists ? u.hash : "");
        return CL_STEP_PASSWORD;
    }

    if (!exists)
        return refuse_bad_login(tx, job, req->username, 0);
    /* A password changed between the stages counts as a failure too. */
    if (!job->pw.verified || strcmp(job->pw.stored, u.hash) != 0)
        return record_failed_login(tx, job, req->username, &u);
    if (u.locked_until > tx->now)
        return cl_job_refuse(job, CL_ELOCKED, NULL,
                             "account locked after repeated failed logins; ask an administrator");
    if (u.disabled) {
        rc = audit_attempt(tx, job, req->username, "login.disabled", u.id);
        return rc ? rc
                  : cl_job_refuse(job, CL_EUNAUTH, NULL,
                                  "this account is disabled; ask an administrator");
    }

    if ((rc = start_session(tx, job, req->username, &u)) < 0)
        return rc;
    const cl_identity_t *who = &job->new_who;
    if ((rc = cl_audit_append(tx->db, tx->now, who, "login", "user", (uint64_t)u.id)) != 0)
        return rc;
    login_reply(job, who, job->token);
    return 0;
}

int cl_handle_resume(cl_tx_t *tx, cl_job_t *job)
{
    const char *token = job->req->resume->token;
    uint8_t raw[32];
    if (cl_unhex(token, raw, sizeof(raw)) != 0)
        return cl_job_fail(job, CL_EINVAL, "token", "must be the 64 hex digits LoginReply gave");
    char token_hash[65];
    cl_auth_token_hash(token, token_hash);
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_SESSION_BY_TOKEN]);
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return cl_job_fail(job, CL_EUNAUTH, NULL, "this session has ended; log in again");
    int64_t session_id = sqlite3_column_int64(st, 0);
    int64_t last_seen = sqlite3_column_int64(st, 1);
    cl_identity_t *who = &job->new_who;
    *who = job->who;
    who->session_id = session_id;
    who->user_id = sqlite3_column_int64(st, 2);
    snprintf(who->username, sizeof(who->username), "%s", cl_db_text(st, 3));
    who->roles = (uint32_t)sqlite3_column_int64(st, 4);
    int disabled = sqlite3_column_int(st, 5);
    sqlite3_reset(st);

    int expired = last_seen + cl_policy.idle_logoff_s <= tx->now;
    if (disabled || expired) {
        st = cl_db_stmt(tx->db, SQL[Q_SESSION_DELETE]);
        sqlite3_bind_int64(st, 1, session_id);
        if ((rc = cl_db_step(tx->db, st)) < 0)
            return rc;
        char msg[128];
        snprintf(msg, sizeof(msg), "%s",
                 disabled ? "this account is disabled; ask an administrator"
                          : "session expired after the idle time; log in again");
        return cl_job_refuse(job, disabled ? CL_EUNAUTH : CL_EEXPIRED, NULL, msg);
    }
    st = cl_db_stmt(tx->db, SQL[Q_SESSION_RESUMED]);
    sqlite3_bind_int64(st, 1, session_id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_text(st, 3, job->who.workstation, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, job->who.address, -1, SQLITE_STATIC);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    login_reply(job, who, "");
    return 0;
}

int cl_handle_logout(cl_tx_t *tx, cl_job_t *job)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_SESSION_DELETE]);
    sqlite3_bind_int64(st, 1, job->who.session_id);
    int rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;
    /* An expiry (no request behind it) is recorded as such. */
    const char *action = job->req ? "logout" : "logout.idle";
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, action, "user",
                              (uint64_t)job->who.user_id)) != 0)
        return rc;
    Clinic__LogoutReply *r = CL_ARENA_NEW(&job->arena, Clinic__LogoutReply);
    clinic__logout_reply__init(r);
    job->resp.result_case = CLINIC__RESPONSE__RESULT_LOGOUT;
    job->resp.logout = r;
    return 0;
}

int cl_handle_whoami(cl_tx_t *tx, cl_job_t *job)
{
    (void)tx;
    Clinic__WhoAmIReply *r = CL_JOB_REPLY(job, Clinic__WhoAmIReply);
    r->username = cl_arena_strdup(&job->arena, job->who.username);
    r->workstation = cl_arena_strdup(&job->arena, job->who.workstation);
    r->roles = cl_role_names(&job->arena, job->who.roles, &r->n_roles);
    return 0;
}

int cl_handle_password_change(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PasswordChangeRequest *req = job->req->password_change;
    size_t n = strlen(req->new_password);
    if (n < CL_PASSWORD_MIN || n > CL_PASSWORD_MAX)
        return cl_job_fail(job, CL_EINVAL, "new_password", "must be 10 to 256 bytes");
    if (strcmp(req->new_password, req->old_password) == 0)
        return cl_job_fail(job, CL_EINVAL, "new_password", "must differ from the current one");
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_USER_HASH]);
    sqlite3_bind_int64(st, 1, job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    if (rc <= 0)
        return rc < 0 ? rc : CL_ENOTFOUND;
    char stored[CL_PASSWORD_HASH_MAX];
    snprintf(stored, sizeof(stored), "%s", cl_db_text(st, 0));
    sqlite3_reset(st);

    if (job->stage == 0) {
        job->pw.verify = req->old_password;
        snprintf(job->pw.stored, sizeof(job->pw.stored), "%s", stored);
        job->pw.hash = req->new_password;
        return CL_STEP_PASSWORD;
    }
    if (!job->pw.verified || strcmp(stored, job->pw.stored) != 0) {
        rc = cl_audit_append(tx->db, tx->now, &job->who, "password.change_failed", "user",
                             (uint64_t)job->who.user_id);
        return rc ? rc
                  : cl_job_refuse(job, CL_EPERM, "old_password", "the current password is wrong");
    }
    if (job->pw.hashed[0] == '\0')
        return CL_EINTERNAL;
    st = cl_db_stmt(tx->db, SQL[Q_USER_SET_PASSWORD]);
    sqlite3_bind_int64(st, 1, job->who.user_id);
    sqlite3_bind_text(st, 2, job->pw.hashed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tx->now);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    /* Every other login of this user ends: whoever knew the old password is out. */
    st = cl_db_stmt(tx->db, SQL[Q_SESSIONS_DELETE_OTHERS]);
    sqlite3_bind_int64(st, 1, job->who.user_id);
    sqlite3_bind_int64(st, 2, job->who.session_id);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "password.change", "user",
                              (uint64_t)job->who.user_id)) != 0)
        return rc;
    cl_job_reply_new(job, sizeof(Clinic__PasswordChangeReply)); /* an empty reply */
    return 0;
}
