/* What the domain handlers' unit tests share: a fresh database with the real schema in
 * :memory:, users and sessions made directly in it, and fx_run(), which runs a handler as the
 * store thread would (its own SAVEPOINT, rolled back on failure, the password step done inline),
 * and fx_call(), which runs a request of a given kind through the handler the dispatch table
 * names for it. Header-only, since each test file is its own executable. */
#ifndef CL_DOMAIN_FIXTURE_H
#define CL_DOMAIN_FIXTURE_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "clinic_client.h"
#include "db.h"
#include "dispatch.h"
#include "handlers.h"
#include "status.h"
#include "store.h"
#include "test.h"

typedef struct {
    cl_db_t *db; /* owned */
    int64_t now; /* the clock the next handler sees; fx_run advances it by one */
} fx_t;

static inline void fx_open(fx_t *fx)
{
    cl_auth_set_scrypt_cost(10);
    ASSERT_OK(cl_db_open(":memory:", CL_DB_CREATE, &fx->db));
    fx->now = 1700000000;
}

/* Checks that the audit chain is intact, then closes the database. */
static inline void fx_close(fx_t *fx)
{
    uint64_t rows = 0, bad_seq = 0;
    char why[256] = "";
    int rc = cl_audit_verify(fx->db, &rows, &bad_seq, why, sizeof(why));
    if (rc != 0)
        CL_FAIL("audit chain broken at seq %" PRIu64 ": %s", bad_seq, why);
    cl_db_close(fx->db);
    fx->db = NULL;
}

/* Prepares `sql` on the raw handle (tests may; the server goes through cl_db_stmt). */
static inline sqlite3_stmt *fx_prepare(fx_t *fx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(cl_db_handle(fx->db), sql, -1, &st, NULL) != SQLITE_OK)
        CL_FAIL("cannot prepare %s: %s", sql, sqlite3_errmsg(cl_db_handle(fx->db)));
    return st;
}

/* The one integer that `sql` gives; `text`, when not NULL, is bound to ?1. */
static inline int64_t fx_int(fx_t *fx, const char *sql, const char *text)
{
    sqlite3_stmt *st = fx_prepare(fx, sql);
    if (text != NULL)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW)
        CL_FAIL("%s gave no row", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* fx_int of the SQL that printf-style `fmt` makes (ids and dates written into it). */
static inline int64_t fx_intf(fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int64_t fx_intf(fx_t *fx, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(sql))
        CL_FAIL("SQL too long: %s", fmt);
    return fx_int(fx, sql, NULL);
}

static inline void fx_exec(fx_t *fx, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(cl_db_handle(fx->db), sql, NULL, NULL, &err) != SQLITE_OK)
        CL_FAIL("%s: %s", sql, err ? err : "?");
}

static inline int64_t fx_audit_rows(fx_t *fx)
{
    return fx_int(fx, "SELECT count(*) FROM audit", NULL);
}

static inline int64_t fx_change_rows(fx_t *fx)
{
    return fx_int(fx, "SELECT count(*) FROM changes", NULL);
}

/* Asserts that the newest audit row records `action` on `entity` `entity_id` by `username`. */
static inline void fx_assert_last_audit(fx_t *fx, const char *username, const char *action,
                                        const char *entity, uint64_t entity_id)
{
    sqlite3_stmt *st = fx_prepare(
        fx, "SELECT username, action, entity, entity_id FROM audit ORDER BY seq DESC LIMIT 1");
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), username);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 1), action);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 2), entity);
    ASSERT_EQ(sqlite3_column_int64(st, 3), entity_id);
    sqlite3_finalize(st);
}

/* The EXPLAIN QUERY PLAN of `sql` in `out`, each of its detail lines followed by "; " (cut at
 * `outlen`). */
static inline void fx_plan(fx_t *fx, const char *sql, char *out, size_t outlen)
{
    char explain[4096];
    snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = fx_prepare(fx, explain);
    size_t used = 0;
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW && used < outlen)
        used += (size_t)snprintf(out + used, outlen - used, "%s; ",
                                 (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
}

/* Makes a user directly in the database (no password hashing: the hash is a placeholder that
 * never verifies) and returns its id. */
static inline int64_t fx_user(fx_t *fx, const char *username, uint32_t roles)
{
    sqlite3_stmt *st = fx_prepare(fx, "INSERT INTO users (username, full_name, roles, "
                                      "password_hash, created_at, password_changed_at) "
                                      "VALUES (?1, ?1, ?2, '', ?3, ?3) RETURNING id");
    sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, roles);
    sqlite3_bind_int64(st, 3, fx->now);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static inline void fx_user_disable(fx_t *fx, const char *username)
{
    sqlite3_stmt *st = fx_prepare(fx, "UPDATE users SET disabled = 1 WHERE username = ?1");
    sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* Adds a session for `user_id` on `workstation` and returns its id. */
static inline int64_t fx_session(fx_t *fx, int64_t user_id, const char *workstation)
{
    static int serial;
    char token_hash[32];
    snprintf(token_hash, sizeof(token_hash), "hash-%d", ++serial);
    sqlite3_stmt *st = fx_prepare(fx, "INSERT INTO sessions (token_hash, user_id, workstation, "
                                      "address, created_at, last_seen) "
                                      "VALUES (?1, ?2, ?3, '127.0.0.1:1', ?4, ?4) RETURNING id");
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, workstation, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, fx->now);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* The id of `username`'s staff record (every user has one: the staff part's trigger). */
static inline int64_t fx_staff_of(fx_t *fx, const char *username)
{
    return fx_int(fx,
                  "SELECT s.id FROM staff s JOIN users u ON u.id = s.user_id "
                  "WHERE u.username = ?1",
                  username);
}

/* Puts staff member `staff` under `supervisor`, directly in the database. */
static inline void fx_set_supervisor(fx_t *fx, int64_t staff, int64_t supervisor)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE staff SET supervisor_id = %lld WHERE id = %lld",
             (long long)supervisor, (long long)staff);
    fx_exec(fx, sql);
}

/* Who `username` is, as the loop would copy it into a job (roles as stored now). */
static inline cl_identity_t fx_who(fx_t *fx, const char *username)
{
    cl_identity_t who;
    memset(&who, 0, sizeof(who));
    sqlite3_stmt *st = fx_prepare(fx, "SELECT id, roles FROM users WHERE username = ?1");
    sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW)
        CL_FAIL("no user %s", username);
    who.user_id = sqlite3_column_int64(st, 0);
    who.roles = (uint32_t)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    who.session_id = 0;
    snprintf(who.username, sizeof(who.username), "%s", username);
    snprintf(who.workstation, sizeof(who.workstation), "ws-test");
    snprintf(who.address, sizeof(who.address), "127.0.0.1:7470");
    return who;
}

/* A transaction context for `job` (borrowed) on the fixture's database, at its clock, as the
 * store hands a handler; the caller begins and ends the transaction. */
static inline cl_tx_t fx_tx(fx_t *fx, cl_job_t *job)
{
    cl_tx_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.db = fx->db;
    tx.now = fx->now;
    tx.job = job;
    return tx;
}

/* Runs one stage of `job`'s handler in SAVEPOINT job, rolling it back on failure, as the store's
 * run_job does. Returns the handler's result. */
static inline int fx_stage(fx_t *fx, cl_job_t *job)
{
    cl_tx_t tx = fx_tx(fx, job);
    job->changes = NULL;
    job->resp.status = NULL;
    ASSERT_OK(cl_db_exec(fx->db, "SAVEPOINT job"));
    cl_db_savepoint(fx->db);
    int rc = job->handler(&tx, job);
    cl_db_reset_busy(fx->db);
    if (rc < 0) {
        job->changes = NULL;
        ASSERT_OK(cl_db_exec(fx->db, "ROLLBACK TO job; RELEASE job"));
        cl_db_touch(fx->db); /* as the store does: SQLite tells no hook of a ROLLBACK TO */
    } else {
        ASSERT_OK(cl_db_exec(fx->db, "RELEASE job"));
    }
    job->status = rc;
    return rc;
}

/* A new job for `handler` on `req` (borrowed) by `who`. */
static inline cl_job_t *fx_job(cl_handler_fn handler, Clinic__Request *req,
                               const cl_identity_t *who)
{
    cl_job_t *job = cl_job_new();
    job->handler = handler;
    job->req = req;
    job->who = *who;
    job->write = 1;
    return job;
}

/* Runs `job` to its end as the store and the loop would together: each CL_STEP_PASSWORD gets
 * its hashing (or verifying) done here and the next stage run. Advances the clock by one.
 * Returns the final result; the job keeps its response for the caller to inspect and free. */
static inline int fx_run(fx_t *fx, cl_job_t *job)
{
    int rc;
    while ((rc = fx_stage(fx, job)) == CL_STEP_PASSWORD) {
        if (job->pw.hash != NULL)
            ASSERT_OK(cl_auth_hash_password(job->pw.hash, job->pw.hashed));
        if (job->pw.verify != NULL)
            job->pw.verified = cl_auth_verify_password(job->pw.verify, job->pw.stored);
        job->stage++;
    }
    fx->now++;
    return rc;
}

/* Runs a request of kind `kind` whose body is `body` (borrowed for the call) by `who`, through
 * the handler the dispatch table routes that kind to, as fx_run does. Returns the job with its
 * response for the caller to inspect and free; job->req is NULL, since the request lived on this
 * stack. A refusal (cl_job_refuse) stays in job->refused. */
static inline cl_job_t *fx_call(fx_t *fx, const cl_identity_t *who, Clinic__Request__BodyCase kind,
                                const void *body)
{
    Clinic__Request req;
    const cl_route_t *route = cl_dispatch_route(kind);
    if (cl_request_make(&req, kind, body) != 0 || route == NULL || route->handler == NULL)
        CL_FAIL("request kind %d has no handler", (int)kind);
    cl_job_t *job = fx_job(route->handler, &req, who);
    job->write = route->write;
    fx_run(fx, job);
    job->req = NULL;
    return job;
}

/* Splits the comma-separated `csv` into `out` (at most `max` names, pointing into `buf`, which
 * holds a copy of `csv`); returns the count. "" gives none. */
static inline size_t fx_split(char *buf, size_t buflen, const char *csv, char **out, size_t max)
{
    size_t n = 0;
    snprintf(buf, buflen, "%s", csv);
    for (char *p = buf; *p && n < max;) {
        out[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

/* The status message of a failed job ("" if none). */
static inline const char *fx_message(const cl_job_t *job)
{
    return job->resp.status ? job->resp.status->message : "";
}

/* The field the failure names ("" if none). */
static inline const char *fx_field(const cl_job_t *job)
{
    if (job->resp.status == NULL || job->resp.status->n_fields == 0)
        return "";
    return job->resp.status->fields[0]->field;
}

/* Asserts that `job` failed with status `want` naming `field` (NULL: no field). */
#define FX_ASSERT_FAILED(job, want, field)                                                         \
    do {                                                                                           \
        const cl_job_t *j_ = (job);                                                                \
        const char *f_ = (field);                                                                  \
        ASSERT_EQ(j_->status, (want));                                                             \
        ASSERT_NOT_NULL(j_->resp.status);                                                          \
        ASSERT_EQ(j_->resp.status->code, cl_status_code(want));                                    \
        if (f_ != NULL)                                                                            \
            ASSERT_STR_EQ(fx_field(j_), f_);                                                       \
        else                                                                                       \
            ASSERT_EQ(j_->resp.status->n_fields, 0);                                               \
    } while (0)

/* Asserts that `job` (an expression, evaluated once) succeeded, saying why not, then frees it. */
#define FX_ASSERT_OK_FREE(job)                                                                     \
    do {                                                                                           \
        cl_job_t *k_ = (job);                                                                      \
        if (k_->status != 0)                                                                       \
            CL_FAIL("%s: status %d: %s", #job, k_->status, fx_message(k_));                        \
        cl_job_free(k_);                                                                           \
    } while (0)

static inline size_t fx_job_changes(const cl_job_t *job)
{
    size_t n = 0;
    for (const cl_change_t *c = job->changes; c != NULL; c = c->next)
        n++;
    return n;
}

/* Appends one change to the feed as a handler would, in a transaction of its own; returns its
 * seq. `topic` and `entity` must be static strings. */
static inline uint64_t fx_change(fx_t *fx, const char *topic, const char *entity, uint64_t id,
                                 Clinic__ChangeOp op, int64_t scope_user)
{
    cl_job_t *job = cl_job_new();
    cl_tx_t tx = fx_tx(fx, job);
    ASSERT_OK(cl_db_exec(fx->db, "BEGIN"));
    ASSERT_OK(cl_tx_change(&tx, topic, entity, id, op, scope_user));
    ASSERT_OK(cl_db_exec(fx->db, "COMMIT"));
    ASSERT_NOT_NULL(job->changes);
    uint64_t seq = job->changes->seq;
    cl_job_free(job);
    return seq;
}

#endif
