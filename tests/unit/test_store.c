/* The store thread on a real database file and a real uv loop: every job completes once, a
 * failing job rolls back alone, group commit batches, the change feed has no gaps, a failed
 * COMMIT or BEGIN fails the whole batch and writes nothing, and stop delivers everything. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "status.h"
#include "store.h"
#include "test.h"

enum { MAX_JOBS = 1024 };

typedef struct {
    uv_loop_t loop;
    cl_store_t *store;
    char dir[64];
    char path[96];
    int submitted;
    int done;                     /* done callbacks so far */
    int expect;                   /* stop the loop when `done` reaches it */
    int calls[MAX_JOBS];          /* done callbacks per envelope_id */
    cl_job_t *finished[MAX_JOBS]; /* in completion order; freed by fixture_stop */
    int nfinished;
} fixture_t;

/* What a test handler was asked to do, by envelope_id, and what it saw. */
static int handler_runs[MAX_JOBS];

/* ---- the loop's side ---- */

static void on_done(cl_job_t *job, void *arg)
{
    fixture_t *f = arg;
    ASSERT_LT(job->envelope_id, MAX_JOBS);
    f->calls[job->envelope_id]++;
    f->done++;
    ASSERT_NOT_NULL(job->resp.status);
    ASSERT_EQ(job->resp.status->code, cl_status_code(job->status < 0 ? job->status : 0));
    if (job->status == CL_STEP_PASSWORD) {
        /* What the dispatcher does after the password work: run the next stage. */
        job->stage++;
        cl_store_submit(f->store, job);
    } else {
        ASSERT_LT(f->nfinished, MAX_JOBS);
        f->finished[f->nfinished++] = job;
    }
    if (f->done == f->expect)
        uv_stop(&f->loop);
}

/* A new fixture: a fresh database file in a temporary directory and a store started on it
 * (max_batch and feed_keep 0: the defaults). fixture_stop, then fixture_remove, end it. */
static fixture_t *fixture_new(uint32_t max_batch, uint32_t feed_keep)
{
    fixture_t *f = cl_calloc(1, sizeof(*f));
    memset(handler_runs, 0, sizeof(handler_runs));
    snprintf(f->dir, sizeof(f->dir), "/tmp/clinic-test-store-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/clinic.db", f->dir);
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(f->path, CL_DB_CREATE, &db));
    cl_db_close(db);
    ASSERT_OK(uv_loop_init(&f->loop));
    cl_store_config_t cfg = {.db_path = f->path, .max_batch = max_batch, .feed_keep = feed_keep};
    ASSERT_OK(cl_store_start(&cfg, &f->loop, on_done, f, &f->store));
    ASSERT_NOT_NULL(f->store);
    return f;
}

static cl_job_t *submit(fixture_t *f, cl_handler_fn handler, uint64_t id, int write)
{
    cl_job_t *job = cl_job_new();
    job->handler = handler;
    job->envelope_id = id;
    job->write = write;
    job->owner = f;
    f->submitted++;
    cl_store_submit(f->store, job);
    return job;
}

/* The store's counters now. */
static cl_store_stats_t stats_of(fixture_t *f)
{
    cl_store_stats_t stats;
    cl_store_stats(f->store, &stats);
    return stats;
}

/* Runs the loop until `n` done callbacks in all have come. */
static void run_until(fixture_t *f, int n)
{
    f->expect = n;
    if (f->done < n)
        uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(f->done, n);
}

static void fixture_stop(fixture_t *f)
{
    cl_store_stop(f->store);
    f->store = NULL;
    ASSERT_EQ(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
    for (int i = 0; i < f->nfinished; i++)
        cl_job_free(f->finished[i]);
}

/* Deletes the fixture's database files and directory, and frees it. */
static void fixture_remove(fixture_t *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", f->path, suffixes[i]);
        unlink(path);
    }
    ASSERT_OK(rmdir(f->dir));
    free(f);
}

/* Opens the file after the store stopped, to see what was committed. */
static int64_t query_int(const char *path, const char *sql, const char *arg)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(path, CL_DB_READONLY, &db));
    sqlite3_stmt *st = cl_db_stmt(db, sql);
    ASSERT_NOT_NULL(st);
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    ASSERT_EQ(cl_db_step(db, st), 1);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    cl_db_close(db);
    return v;
}

static const char SQL_HAS_KEY[] = "SELECT count(*) FROM meta WHERE key = ?1";
static const char SQL_META_COUNT[] = "SELECT count(*) FROM meta";
static const char SQL_CHANGE_COUNT[] = "SELECT count(*) FROM changes";
static const char SQL_CHANGE_MIN[] = "SELECT min(seq) FROM changes";
static const char SQL_CHANGE_MAX[] = "SELECT max(seq) FROM changes";
static const char SQL_SESSION_COUNT[] = "SELECT count(*) FROM sessions";

static int has_key(fixture_t *f, const char *key)
{
    return (int)query_int(f->path, SQL_HAS_KEY, key);
}

/* ---- test handlers (store thread) ---- */

static const char SQL_META_PUT[] = "INSERT INTO meta (key, value) VALUES (?1, ?2)";
static const char SQL_META_PUT_RETURNING[] =
    "INSERT INTO meta (key, value) VALUES (?1, 'v') RETURNING key";
static const char SQL_META_KEYS[] = "SELECT key FROM meta";

static int put_key(cl_tx_t *tx, const char *key, const char *value)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_META_PUT);
    ASSERT_NOT_NULL(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return cl_db_step(tx->db, st);
}

/* Inserts meta key "k<id>" and one change for it. */
static int h_insert(cl_tx_t *tx, cl_job_t *job)
{
    char key[32];
    handler_runs[job->envelope_id]++;
    snprintf(key, sizeof(key), "k%llu", (unsigned long long)job->envelope_id);
    int rc = put_key(tx, key, "v");
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, "test", "meta", job->envelope_id, CLINIC__CHANGE_OP__CREATED, 0);
}

/* Inserts like h_insert, then fails with a message and a field. */
static int h_insert_then_conflict(cl_tx_t *tx, cl_job_t *job)
{
    int rc = h_insert(tx, job);
    if (rc < 0)
        return rc;
    return cl_job_fail(job, CL_ECONFLICT, "version", "stale version");
}

/* Inserts like h_insert, then fails with a bare status. */
static int h_insert_then_not_found(cl_tx_t *tx, cl_job_t *job)
{
    int rc = h_insert(tx, job);
    return rc < 0 ? rc : CL_ENOTFOUND;
}

/* Two changes per job; every tenth job then fails. */
static int h_two_changes(cl_tx_t *tx, cl_job_t *job)
{
    handler_runs[job->envelope_id]++;
    for (int i = 0; i < 2; i++) {
        int rc = cl_tx_change(tx, "test", "thing", job->envelope_id, CLINIC__CHANGE_OP__UPDATED, 0);
        if (rc < 0)
            return rc;
    }
    return job->envelope_id % 10 == 5 ? CL_ECONFLICT : 0;
}

static int h_read(cl_tx_t *tx, cl_job_t *job)
{
    handler_runs[job->envelope_id]++;
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_META_COUNT);
    int rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;
    int64_t *count = CL_ARENA_NEW(&job->arena, int64_t);
    *count = sqlite3_column_int64(st, 0);
    job->scratch = count;
    sqlite3_reset(st);
    return 0;
}

/* Holds the store thread inside a batch until the test opens the gate, so that everything the
 * test submits meanwhile lands in the next batch together. */
static struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int entered;
    int open;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static int h_gate(cl_tx_t *tx, cl_job_t *job)
{
    (void)tx;
    handler_runs[job->envelope_id]++;
    pthread_mutex_lock(&gate.mutex);
    gate.entered = 1;
    pthread_cond_broadcast(&gate.cond);
    while (!gate.open)
        pthread_cond_wait(&gate.cond, &gate.mutex);
    pthread_mutex_unlock(&gate.mutex);
    return 0;
}

static void gate_close(fixture_t *f, uint64_t id)
{
    gate.entered = gate.open = 0;
    submit(f, h_gate, id, 0);
    pthread_mutex_lock(&gate.mutex);
    while (!gate.entered)
        pthread_cond_wait(&gate.cond, &gate.mutex);
    pthread_mutex_unlock(&gate.mutex);
}

static void gate_open(void)
{
    pthread_mutex_lock(&gate.mutex);
    gate.open = 1;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.mutex);
}

/* Lowers the connection's page limit to a little above the file's size. */
static int h_limit_pages(cl_tx_t *tx, cl_job_t *job)
{
    (void)job;
    sqlite3_stmt *st = NULL;
    ASSERT_EQ(sqlite3_prepare_v2(cl_db_handle(tx->db), "PRAGMA page_count", -1, &st, NULL),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %d", pages + 8);
    return cl_db_exec(tx->db, sql);
}

static int h_unlimit_pages(cl_tx_t *tx, cl_job_t *job)
{
    (void)job;
    return cl_db_exec(tx->db, "PRAGMA max_page_count = 1073741823");
}

/* Inserts a value far larger than 8 pages. */
static int h_insert_big(cl_tx_t *tx, cl_job_t *job)
{
    handler_runs[job->envelope_id]++;
    size_t n = 256 * 1024;
    char *value = cl_malloc(n + 1);
    memset(value, 'x', n);
    value[n] = '\0';
    int rc = put_key(tx, "big", value);
    free(value);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, "test", "meta", job->envelope_id, CLINIC__CHANGE_OP__CREATED, 0);
}

/* Leaves a session that names no user; with foreign keys deferred, only COMMIT finds out. */
static const char SQL_ORPHAN_SESSION[] =
    "INSERT INTO sessions (id, token_hash, user_id, workstation, address, created_at, last_seen) "
    "VALUES (77, 'orphan', 424242, '', '', 0, 0)";

static int h_orphan_at_commit(cl_tx_t *tx, cl_job_t *job)
{
    handler_runs[job->envelope_id]++;
    int rc = cl_db_exec(tx->db, "PRAGMA defer_foreign_keys = ON");
    if (rc < 0)
        return rc;
    return cl_db_step(tx->db, cl_db_stmt(tx->db, SQL_ORPHAN_SESSION));
}

static const char SQL_USER_ADD[] =
    "INSERT INTO users (id, username, roles, password_hash, created_at, password_changed_at, "
    "disabled) VALUES (?1, ?2, 1, 'x', 0, 0, ?3)";
static const char SQL_SESSION_ADD[] =
    "INSERT INTO sessions (id, token_hash, user_id, workstation, address, created_at, last_seen) "
    "VALUES (?1, ?2, ?3, 'front-1', '127.0.0.1:1', 0, 0)";
static const char SQL_SESSION_DELETE[] = "DELETE FROM sessions WHERE id = ?1";
static const char SQL_SESSION_LAST_SEEN[] = "SELECT last_seen FROM sessions WHERE id = ?1";

/* Users 1 (active) and 2 (disabled), with sessions 10 and 20. */
static int h_make_sessions(cl_tx_t *tx, cl_job_t *job)
{
    (void)job;
    static const struct {
        int64_t user;
        const char *name;
        int disabled;
        int64_t session;
        const char *token_hash;
    } rows[] = {{1, "mlopez", 0, 10, "t10"}, {2, "jchen", 1, 20, "t20"}};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_USER_ADD);
        sqlite3_bind_int64(st, 1, rows[i].user);
        sqlite3_bind_text(st, 2, rows[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, rows[i].disabled);
        int rc = cl_db_step(tx->db, st);
        if (rc < 0)
            return rc;
        st = cl_db_stmt(tx->db, SQL_SESSION_ADD);
        sqlite3_bind_int64(st, 1, rows[i].session);
        sqlite3_bind_text(st, 2, rows[i].token_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, rows[i].user);
        rc = cl_db_step(tx->db, st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int h_end_session(cl_tx_t *tx, cl_job_t *job)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_SESSION_DELETE);
    sqlite3_bind_int64(st, 1, job->who.session_id);
    return cl_db_step(tx->db, st);
}

/* Records the session's last_seen in scratch. */
static int h_last_seen(cl_tx_t *tx, cl_job_t *job)
{
    handler_runs[job->envelope_id]++;
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_SESSION_LAST_SEEN);
    sqlite3_bind_int64(st, 1, job->who.session_id);
    int rc = cl_db_step(tx->db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_ENOTFOUND;
    int64_t *seen = CL_ARENA_NEW(&job->arena, int64_t);
    *seen = sqlite3_column_int64(st, 0);
    job->scratch = seen;
    sqlite3_reset(st);
    return 0;
}

/* Stage 0 writes "k<id>a" and asks for password work; stage 1 writes "k<id>b". */
static int h_password(cl_tx_t *tx, cl_job_t *job)
{
    char key[32];
    handler_runs[job->envelope_id]++;
    snprintf(key, sizeof(key), "k%llu%c", (unsigned long long)job->envelope_id,
             job->stage == 0 ? 'a' : 'b');
    int rc = put_key(tx, key, "v");
    if (rc == 0)
        rc = cl_tx_change(tx, "test", "meta", job->envelope_id, CLINIC__CHANGE_OP__CREATED, 0);
    if (rc < 0)
        return rc;
    if (job->stage == 0) {
        int *state = CL_ARENA_NEW(&job->arena, int);
        *state = 7;
        job->scratch = state;
        return CL_STEP_PASSWORD;
    }
    ASSERT_NOT_NULL(job->scratch);
    ASSERT_EQ(*(int *)job->scratch, 7);
    return 0;
}

/* A failed login: the attempt is recorded although the client is told no. */
static int h_refuse(cl_tx_t *tx, cl_job_t *job)
{
    int rc = h_insert(tx, job);
    if (rc < 0)
        return rc;
    return cl_job_refuse(job, CL_EUNAUTH, "password", "wrong username or password");
}

/* Leaves a query and an INSERT ... RETURNING mid-way, as a careless handler might. */
static int h_leave_open(cl_tx_t *tx, cl_job_t *job)
{
    int rc = h_insert(tx, job);
    if (rc < 0)
        return rc;
    ASSERT_EQ(cl_db_step(tx->db, cl_db_stmt(tx->db, SQL_META_KEYS)), 1);
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_META_PUT_RETURNING);
    sqlite3_bind_text(st, 1, "returning", -1, SQLITE_STATIC);
    ASSERT_EQ(cl_db_step(tx->db, st), 1);
    return 0;
}

/* ---- cases ---- */

CL_TEST(every_job_completes_once)
{
    fixture_t *f = fixture_new(0, 0);
    int n = 300;
    for (int i = 0; i < n; i++) {
        if (i % 3 == 0)
            submit(f, h_insert, (uint64_t)i, 1);
        else if (i % 3 == 1)
            submit(f, h_read, (uint64_t)i, 0);
        else
            submit(f, h_insert_then_not_found, (uint64_t)i, 1);
    }
    run_until(f, n);
    ASSERT_EQ(f->nfinished, n);
    for (int i = 0; i < n; i++) {
        cl_job_t *job = f->finished[i];
        ASSERT_EQ(f->calls[i], 1);
        ASSERT_EQ(handler_runs[i], 1);
        ASSERT_EQ(job->envelope_id, (uint64_t)i); /* completion order is submission order */
        ASSERT_NOT_NULL(job->resp.status);
        if (i % 3 == 2) {
            ASSERT_EQ(job->status, CL_ENOTFOUND);
            ASSERT_EQ(job->resp.status->code, CLINIC__CODE__NOT_FOUND);
            ASSERT_STR_EQ(job->resp.status->message, "not found");
            ASSERT_NULL(job->changes);
        } else {
            ASSERT_EQ(job->status, 0);
            ASSERT_EQ(job->resp.status->code, CLINIC__CODE__OK);
            ASSERT_STR_EQ(job->resp.status->message, "");
            ASSERT_EQ(job->resp.status->n_fields, 0);
        }
        if (i % 3 == 1)
            ASSERT_NOT_NULL(job->scratch);
    }
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.committed_jobs, (uint64_t)n);
    ASSERT_EQ(stats.failed_commits, 0);
    ASSERT_EQ(stats.change_seq, (uint64_t)n / 3);
    fixture_stop(f);
    ASSERT_EQ(query_int(f->path, SQL_META_COUNT, NULL), n / 3);
    fixture_remove(f);
}

CL_TEST(failing_job_rolls_back_alone)
{
    fixture_t *f = fixture_new(0, 0);
    gate_close(f, 0);
    cl_job_t *a = submit(f, h_insert, 1, 1);
    cl_job_t *b = submit(f, h_insert_then_conflict, 2, 1);
    cl_job_t *c = submit(f, h_insert, 3, 1);
    gate_open();
    run_until(f, 4);

    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.commits, 2); /* the gate's batch, then a, b and c together */
    ASSERT_EQ(stats.max_batch_seen, 3);
    ASSERT_EQ(a->status, 0);
    ASSERT_EQ(c->status, 0);
    ASSERT_EQ(b->status, CL_ECONFLICT);
    ASSERT_EQ(b->resp.status->code, CLINIC__CODE__CONFLICT);
    ASSERT_STR_EQ(b->resp.status->message, "stale version");
    ASSERT_EQ(b->resp.status->n_fields, 1);
    ASSERT_STR_EQ(b->resp.status->fields[0]->field, "version");

    /* b's change was rolled back with it, so c's follows a's without a gap. */
    ASSERT_NULL(b->changes);
    ASSERT_NOT_NULL(a->changes);
    ASSERT_NOT_NULL(c->changes);
    ASSERT_NULL(a->changes->next);
    ASSERT_EQ(a->changes->seq, 1);
    ASSERT_EQ(c->changes->seq, 2);
    ASSERT_EQ(c->changes->entity_id, 3);
    ASSERT_STR_EQ(c->changes->topic, "test");
    ASSERT_EQ(c->changes->op, CLINIC__CHANGE_OP__CREATED);
    ASSERT_EQ(stats.change_seq, 2);

    fixture_stop(f);
    ASSERT_EQ(has_key(f, "k1"), 1);
    ASSERT_EQ(has_key(f, "k2"), 0);
    ASSERT_EQ(has_key(f, "k3"), 1);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_COUNT, NULL), 2);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_MAX, NULL), 2);
    fixture_remove(f);
}

CL_TEST(change_seqs_have_no_gaps_across_batches)
{
    fixture_t *f = fixture_new(7, 0);
    int n = 100;
    for (int i = 0; i < n; i++)
        submit(f, h_two_changes, (uint64_t)i, 1);
    run_until(f, n);

    uint64_t expect = 1;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        cl_job_t *job = f->finished[i];
        if (job->envelope_id % 10 == 5) {
            ASSERT_EQ(job->status, CL_ECONFLICT);
            ASSERT_NULL(job->changes);
            failed++;
            continue;
        }
        ASSERT_EQ(job->status, 0);
        int count = 0;
        for (const cl_change_t *ch = job->changes; ch; ch = ch->next, count++)
            ASSERT_EQ(ch->seq, expect++);
        ASSERT_EQ(count, 2);
    }
    ASSERT_EQ(failed, 10);
    uint64_t last = expect - 1;
    ASSERT_EQ(last, 180);

    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.change_seq, last);
    ASSERT_LE(stats.max_batch_seen, 7);
    ASSERT_GE(stats.commits, 15); /* 100 jobs, 7 at most per batch */
    fixture_stop(f);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_COUNT, NULL), (int64_t)last);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_MIN, NULL), 1);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_MAX, NULL), (int64_t)last);
    fixture_remove(f);
}

CL_TEST(group_commit_batches_jobs)
{
    fixture_t *f = fixture_new(0, 0);
    int n = 200;
    for (int i = 0; i < n; i++)
        submit(f, h_insert, (uint64_t)i, 1);
    run_until(f, n);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_LT(stats.commits, (uint64_t)n);
    ASSERT_GT(stats.max_batch_seen, 1);
    ASSERT_EQ(stats.committed_jobs, (uint64_t)n);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(f->finished[i]->status, 0);
    fixture_stop(f);
    ASSERT_EQ(query_int(f->path, SQL_META_COUNT, NULL), n);
    fixture_remove(f);
}

CL_TEST(max_batch_caps_a_batch)
{
    fixture_t *f = fixture_new(64, 0);
    gate_close(f, 0);
    for (int i = 1; i <= 200; i++)
        submit(f, h_insert, (uint64_t)i, 1);
    gate_open();
    run_until(f, 201);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.commits, 1 + 4); /* the gate, then 64 + 64 + 64 + 8 */
    ASSERT_EQ(stats.max_batch_seen, 64);
    ASSERT_EQ(stats.committed_jobs, 201);
    fixture_stop(f);
    fixture_remove(f);
}

CL_TEST(disk_full_in_a_handler_fails_that_job_alone)
{
    fixture_t *f = fixture_new(0, 0);
    gate_close(f, 0);
    cl_job_t *limit = submit(f, h_limit_pages, 1, 1);
    cl_job_t *before = submit(f, h_insert, 2, 1);
    cl_job_t *big = submit(f, h_insert_big, 3, 1);
    cl_job_t *after = submit(f, h_insert, 4, 1);
    cl_job_t *unlimit = submit(f, h_unlimit_pages, 5, 1);
    gate_open();
    run_until(f, 6);
    ASSERT_EQ(limit->status, 0);
    ASSERT_EQ(before->status, 0);
    ASSERT_EQ(big->status, CL_EFULL);
    ASSERT_EQ(big->resp.status->code, CLINIC__CODE__UNAVAILABLE);
    ASSERT_STR_EQ(big->resp.status->message, "disk full");
    ASSERT_NULL(big->changes);
    ASSERT_EQ(after->status, 0);
    ASSERT_EQ(unlimit->status, 0);
    ASSERT_EQ(before->changes->seq, 1);
    ASSERT_EQ(after->changes->seq, 2);
    /* SQLite rolled the whole transaction back on SQLITE_FULL, not just the statement: the jobs
     * before the big one ran again in a new transaction, the ones after it only there. */
    ASSERT_EQ(handler_runs[2], 2);
    ASSERT_EQ(handler_runs[3], 1);
    ASSERT_EQ(handler_runs[4], 1);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.failed_commits, 1);
    ASSERT_EQ(stats.commits, 2);
    fixture_stop(f);
    ASSERT_EQ(has_key(f, "k2"), 1);
    ASSERT_EQ(has_key(f, "big"), 0);
    ASSERT_EQ(has_key(f, "k4"), 1);
    fixture_remove(f);
}

CL_TEST(commit_failure_fails_the_whole_batch)
{
    fixture_t *f = fixture_new(0, 0);
    gate_close(f, 0);
    cl_job_t *jobs[3];
    jobs[0] = submit(f, h_insert, 1, 1);
    jobs[1] = submit(f, h_orphan_at_commit, 2, 1);
    jobs[2] = submit(f, h_insert, 3, 1);
    gate_open();
    run_until(f, 4);

    /* Every handler succeeded, but the COMMIT found the orphan: nothing of the batch stays. */
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(handler_runs[i + 1], 1);
        ASSERT_EQ(jobs[i]->status, CL_EINVAL);
        ASSERT_EQ(jobs[i]->resp.status->code, CLINIC__CODE__INVALID_ARGUMENT);
        ASSERT_STR_CONTAINS(jobs[i]->resp.status->message,
                            "not saved: the database could not commit");
        ASSERT_NULL(jobs[i]->changes);
        ASSERT_EQ(jobs[i]->resp.result_case, CLINIC__RESPONSE__RESULT__NOT_SET);
    }
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.failed_commits, 1);
    ASSERT_EQ(stats.commits, 1);
    ASSERT_EQ(stats.change_seq, 0);

    /* The next batch starts clean and reuses the seqs that were never committed. */
    cl_job_t *next = submit(f, h_insert, 4, 1);
    run_until(f, 5);
    ASSERT_EQ(next->status, 0);
    ASSERT_EQ(next->changes->seq, 1);
    fixture_stop(f);
    ASSERT_EQ(has_key(f, "k1"), 0);
    ASSERT_EQ(has_key(f, "k3"), 0);
    ASSERT_EQ(has_key(f, "k4"), 1);
    ASSERT_EQ(query_int(f->path, SQL_SESSION_COUNT, NULL), 0);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_COUNT, NULL), 1);
    fixture_remove(f);
}

CL_TEST(begin_failure_fails_the_batch_when_locked)
{
    fixture_t *f = fixture_new(0, 0);

    /* Another process (an admin command) holds the write lock past the 5 s busy timeout. */
    sqlite3 *other = NULL;
    ASSERT_EQ(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(other, 10);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    /* The gate (a reader: its deferred BEGIN does not wait) keeps the three writers together. */
    gate_close(f, 0);
    cl_job_t *jobs[3];
    for (int i = 0; i < 3; i++)
        jobs[i] = submit(f, h_insert, (uint64_t)i + 1, 1);
    gate_open();
    run_until(f, 4);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(handler_runs[i + 1], 0);
        ASSERT_EQ(jobs[i]->status, CL_EBUSY);
        ASSERT_EQ(jobs[i]->resp.status->code, CLINIC__CODE__UNAVAILABLE);
        ASSERT_STR_CONTAINS(jobs[i]->resp.status->message, "could not begin a transaction");
        ASSERT_NULL(jobs[i]->changes);
    }

    /* Readers are not blocked by a writer in WAL mode. */
    cl_job_t *reader = submit(f, h_read, 4, 0);
    run_until(f, 5);
    ASSERT_EQ(reader->status, 0);

    ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_close(other), SQLITE_OK);
    cl_job_t *writer = submit(f, h_insert, 5, 1);
    run_until(f, 6);
    ASSERT_EQ(writer->status, 0);

    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.failed_commits, 1);
    ASSERT_EQ(stats.max_batch_seen, 3);
    fixture_stop(f);
    ASSERT_EQ(query_int(f->path, SQL_META_COUNT, NULL), 1);
    ASSERT_EQ(has_key(f, "k5"), 1);
    fixture_remove(f);
}

CL_TEST(needs_session_rejects_an_ended_session)
{
    fixture_t *f = fixture_new(0, 0);
    submit(f, h_make_sessions, 0, 1);
    run_until(f, 1);
    ASSERT_EQ(f->finished[0]->status, 0);

    /* A live session passes, and touch_session records its activity. */
    int64_t before = time(NULL);
    cl_job_t *live = cl_job_new();
    live->handler = h_last_seen;
    live->envelope_id = 1;
    live->needs_session = live->touch_session = 1;
    live->who.session_id = 10;
    cl_store_submit(f->store, live);
    run_until(f, 2);
    ASSERT_EQ(live->status, 0);
    ASSERT_GE(*(int64_t *)live->scratch, before);

    /* A disabled user's session does not, and the handler never runs. */
    cl_job_t *disabled = cl_job_new();
    disabled->handler = h_last_seen;
    disabled->envelope_id = 2;
    disabled->needs_session = 1;
    disabled->who.session_id = 20;
    cl_store_submit(f->store, disabled);
    run_until(f, 3);
    ASSERT_EQ(disabled->status, CL_EUNAUTH);
    ASSERT_EQ(handler_runs[2], 0);

    /* Log out (the row goes), then the session is rejected. */
    cl_job_t *logout = cl_job_new();
    logout->handler = h_end_session;
    logout->envelope_id = 3;
    logout->write = 1;
    logout->who.session_id = 10;
    cl_store_submit(f->store, logout);
    run_until(f, 4);
    ASSERT_EQ(logout->status, 0);

    cl_job_t *ended = cl_job_new();
    ended->handler = h_last_seen;
    ended->envelope_id = 4;
    ended->needs_session = ended->touch_session = 1;
    ended->who.session_id = 10;
    cl_store_submit(f->store, ended);
    run_until(f, 5);
    ASSERT_EQ(ended->status, CL_EUNAUTH);
    ASSERT_EQ(ended->resp.status->code, CLINIC__CODE__UNAUTHENTICATED);
    ASSERT_STR_EQ(ended->resp.status->message, "your session has ended; log in again");
    ASSERT_EQ(handler_runs[4], 0);
    fixture_stop(f);
    fixture_remove(f);
}

CL_TEST(password_stage_runs_again_and_commits_each_stage)
{
    fixture_t *f = fixture_new(0, 0);
    cl_job_t *job = submit(f, h_password, 1, 1);
    run_until(f, 2); /* stage 0 comes back through done, is resubmitted, then stage 1 */
    ASSERT_EQ(f->calls[1], 2);
    ASSERT_EQ(handler_runs[1], 2);
    ASSERT_EQ(f->nfinished, 1);
    ASSERT_EQ(job->stage, 1);
    ASSERT_EQ(job->status, 0);
    /* Stage 0's change was reported with stage 0; this run reports only its own. */
    ASSERT_NOT_NULL(job->changes);
    ASSERT_NULL(job->changes->next);
    ASSERT_EQ(job->changes->seq, 2);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.commits, 2);
    fixture_stop(f);
    ASSERT_EQ(has_key(f, "k1a"), 1);
    ASSERT_EQ(has_key(f, "k1b"), 1);
    fixture_remove(f);
}

CL_TEST(refused_job_keeps_its_writes)
{
    fixture_t *f = fixture_new(0, 0);
    cl_job_t *job = submit(f, h_refuse, 1, 1);
    run_until(f, 1);
    ASSERT_EQ(job->status, CL_EUNAUTH);
    ASSERT_EQ(job->resp.status->code, CLINIC__CODE__UNAUTHENTICATED);
    ASSERT_STR_EQ(job->resp.status->message, "wrong username or password");
    ASSERT_NOT_NULL(job->changes);
    fixture_stop(f);
    ASSERT_EQ(has_key(f, "k1"), 1);
    fixture_remove(f);
}

CL_TEST(unfinished_statement_does_not_block_commit)
{
    fixture_t *f = fixture_new(0, 0);
    cl_job_t *job = submit(f, h_leave_open, 1, 1);
    cl_job_t *next = submit(f, h_insert, 2, 1);
    run_until(f, 2);
    ASSERT_EQ(job->status, 0);
    ASSERT_EQ(next->status, 0);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.failed_commits, 0);
    fixture_stop(f);
    ASSERT_EQ(has_key(f, "returning"), 1);
    ASSERT_EQ(has_key(f, "k2"), 1);
    fixture_remove(f);
}

CL_TEST(done_is_never_called_synchronously)
{
    fixture_t *f = fixture_new(0, 0);
    submit(f, h_insert, 1, 1);
    cl_store_stats_t stats;
    for (int i = 0; i < 5000; i++) {
        cl_store_stats(f->store, &stats);
        if (stats.committed_jobs == 1)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    ASSERT_EQ(stats.committed_jobs, 1);
    ASSERT_EQ(f->done, 0); /* finished, but only the loop hands it over */
    run_until(f, 1);
    fixture_stop(f);
    fixture_remove(f);
}

CL_TEST(stop_delivers_every_job)
{
    fixture_t *f = fixture_new(0, 0);
    int n = 50;
    for (int i = 0; i < n - 1; i++)
        submit(f, h_insert, (uint64_t)i, 1);
    submit(f, h_password, (uint64_t)n - 1, 1); /* resubmitted from done during the stop */

    cl_store_stop(f->store); /* the loop never ran */
    f->store = NULL;
    ASSERT_EQ(f->done, n + 1);
    ASSERT_EQ(f->nfinished, n);
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(f->finished[i]->status, 0);
        ASSERT_EQ(f->calls[f->finished[i]->envelope_id], f->finished[i]->envelope_id < 49 ? 1 : 2);
    }
    ASSERT_EQ(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
    for (int i = 0; i < f->nfinished; i++)
        cl_job_free(f->finished[i]);

    /* The WAL was checkpointed into the database and truncated. */
    char wal[128];
    struct stat sb;
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    ASSERT(stat(wal, &sb) != 0 || sb.st_size == 0);
    ASSERT_EQ(query_int(f->path, SQL_META_COUNT, NULL), n + 1);
    fixture_remove(f);
}

CL_TEST(feed_is_trimmed_to_feed_keep)
{
    fixture_t *f = fixture_new(0, 10);
    /* One job per batch: the 256th commit with a change trims the feed to the newest 10. */
    for (int i = 0; i < 255; i++) {
        submit(f, h_insert, (uint64_t)i, 1);
        run_until(f, i + 1);
    }
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_COUNT, NULL), 255);
    submit(f, h_insert, 255, 1);
    run_until(f, 256);
    cl_store_stats_t stats = stats_of(f);
    ASSERT_EQ(stats.commits, 256);
    ASSERT_EQ(stats.change_seq, 256);
    fixture_stop(f);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_COUNT, NULL), 10);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_MIN, NULL), 247);
    ASSERT_EQ(query_int(f->path, SQL_CHANGE_MAX, NULL), 256);
    fixture_remove(f);
}

CL_TEST(start_fails_without_a_database)
{
    uv_loop_t loop;
    ASSERT_OK(uv_loop_init(&loop));
    cl_store_t *s = (cl_store_t *)&loop; /* must be reset to NULL */
    cl_store_config_t cfg = {.db_path = "/nonexistent/clinic.db"};
    ASSERT_EQ(cl_store_start(&cfg, &loop, on_done, NULL, &s), CL_EIO);
    ASSERT_NULL(s);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

CL_TEST_MAIN(CL_TEST_ENTRY(every_job_completes_once), CL_TEST_ENTRY(failing_job_rolls_back_alone),
             CL_TEST_ENTRY(change_seqs_have_no_gaps_across_batches),
             CL_TEST_ENTRY(group_commit_batches_jobs), CL_TEST_ENTRY(max_batch_caps_a_batch),
             CL_TEST_ENTRY(disk_full_in_a_handler_fails_that_job_alone),
             CL_TEST_ENTRY(commit_failure_fails_the_whole_batch),
             CL_TEST_ENTRY(begin_failure_fails_the_batch_when_locked),
             CL_TEST_ENTRY(needs_session_rejects_an_ended_session),
             CL_TEST_ENTRY(password_stage_runs_again_and_commits_each_stage),
             CL_TEST_ENTRY(refused_job_keeps_its_writes),
             CL_TEST_ENTRY(unfinished_statement_does_not_block_commit),
             CL_TEST_ENTRY(done_is_never_called_synchronously),
             CL_TEST_ENTRY(stop_delivers_every_job), CL_TEST_ENTRY(feed_is_trimmed_to_feed_keep),
             CL_TEST_ENTRY(start_fails_without_a_database))
