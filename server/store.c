/* The store thread (store.h): the job queue, the batch loop that runs each job inside its own
 * SAVEPOINT and commits the batch once (group commit), the change feed, and the hand-back of
 * finished jobs to the loop thread through a uv_async. docs/STORAGE.md tells the whole story. */
#include "store.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "status.h"

enum {
    DEFAULT_MAX_BATCH = 512,
    DEFAULT_FEED_KEEP = 100000,
    TRIM_EVERY = 256,
    MAX_READERS = 16,
    READ_TAKE = 4, /* jobs a reader takes at once: few, so that the others get some too */
};

typedef struct {
    cl_store_t *store;
    cl_db_t *db; /* owned: read-only */
    pthread_t thread;
} reader_t;

struct cl_store_s {
    cl_db_t *db;      /* owned; the store thread's alone once it runs */
    uv_loop_t *loop;  /* borrowed */
    uv_async_t async; /* wakes the loop when jobs are done; `s` is freed on its close */
    cl_store_done_fn done;
    void *done_arg;
    uint32_t max_batch;
    uint32_t feed_keep;
    uint32_t board_arrived_wait, board_roomed_wait; /* set at start, read by handlers */
    pthread_t thread;

    pthread_mutex_t mutex; /* guards the fields up to the next comment */
    pthread_cond_t work;   /* signalled: a job was queued, or stopping was set */
    pthread_cond_t idle;   /* signalled: no job queued and no batch running */
    cl_job_t *queue_head;  /* submitted, not yet taken; FIFO through job->next */
    cl_job_t *queue_tail;
    cl_job_t *done_head; /* finished, not yet given to `done`; in completion order */
    cl_job_t *done_tail;
    int running;  /* the thread holds jobs taken from the queue */
    int stopping; /* the thread exits once the queue is empty */
    cl_store_stats_t stats;
    pthread_cond_t read_work; /* signalled: a read job was queued, or readers_stopping set */
    cl_job_t *read_head;      /* on_reader jobs submitted, not yet taken by a reader */
    cl_job_t *read_tail;
    int reading;          /* readers holding jobs */
    int readers_stopping; /* the readers exit once the read queue is empty */

    /* The writer's data generation after its last transaction (cl_db_set_generation). */
    _Atomic uint64_t generation;
    reader_t readers[MAX_READERS];
    uint32_t nreaders;

    /* The store thread's alone. */
    uint32_t trim_countdown; /* commits until the next trim of the change feed */
};

static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_BEGIN_IMMEDIATE[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT job";
static const char SQL_RELEASE[] = "RELEASE job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO job";
static const char SQL_SESSION_LIVE[] = "SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id "
                                       "WHERE s.id = ?1 AND u.disabled = 0";
static const char SQL_SESSION_TOUCH[] = "UPDATE sessions SET last_seen = ?2 WHERE id = ?1";
static const char SQL_CHANGE_INSERT[] =
    "INSERT INTO changes (time, topic, entity, entity_id, op, scope_user) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq";
static const char SQL_CHANGE_NEWEST[] = "SELECT coalesce(max(seq), 0) FROM changes";
static const char SQL_CHANGE_TRIM[] = "DELETE FROM changes WHERE seq <= ?1";

/* Appends `job` to the FIFO list `*head` .. `*tail` (linked through job->next). */
static void push(cl_job_t **head, cl_job_t **tail, cl_job_t *job)
{
    job->next = NULL;
    if (*tail != NULL)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
}

/* Moves up to `max` jobs from the front of the list `*head` .. `*tail` into `jobs`, in order;
 * returns how many. */
static size_t take(cl_job_t **head, cl_job_t **tail, cl_job_t **jobs, size_t max)
{
    size_t n = 0;
    while (n < max && *head != NULL) {
        jobs[n++] = *head;
        *head = (*head)->next;
    }
    if (*head == NULL)
        *tail = NULL;
    return n;
}

/* Runs one statement without parameters or rows (transaction control). */
static int run(cl_db_t *db, const char *sql)
{
    sqlite3_stmt *st = cl_db_stmt(db, sql);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc == 1) {
        sqlite3_reset(st);
        rc = 0;
    }
    return rc;
}

static int in_transaction(cl_db_t *db)
{
    return !sqlite3_get_autocommit(cl_db_handle(db));
}

/* ---- jobs ---- */

cl_job_t *cl_job_new(void)
{
    cl_job_t *job = cl_calloc(1, sizeof(*job));
    clinic__response__init(&job->resp);
    return job;
}

void cl_job_free(cl_job_t *job)
{
    if (job == NULL)
        return;
    cl_arena_free(&job->arena);
    free(job);
}

/* A status in the job's arena with `message` copied (NULL leaves the empty string). */
static Clinic__Status *new_status(cl_job_t *job, int status, const char *field, const char *message)
{
    Clinic__Status *st = CL_ARENA_NEW(&job->arena, Clinic__Status);
    clinic__status__init(st);
    st->code = cl_status_code(status);
    if (message != NULL)
        st->message = cl_arena_strdup(&job->arena, message);
    if (field != NULL) {
        Clinic__FieldError *fe = CL_ARENA_NEW(&job->arena, Clinic__FieldError);
        clinic__field_error__init(fe);
        fe->field = cl_arena_strdup(&job->arena, field);
        fe->message = st->message;
        st->fields = CL_ARENA_NEW(&job->arena, Clinic__FieldError *);
        st->fields[0] = fe;
        st->n_fields = 1;
    }
    return st;
}

int cl_job_fail(cl_job_t *job, int status, const char *field, const char *message)
{
    job->resp.status =
        new_status(job, status, field, message ? message : cl_status_message(status));
    job->status = status;
    return status;
}

int cl_job_refuse(cl_job_t *job, int status, const char *field, const char *message)
{
    cl_job_fail(job, status, field, message);
    job->refused = status;
    job->status = 0;
    return 0;
}

void *cl_job_reply_new(cl_job_t *job, size_t size)
{
    if (job->req == NULL) {
        fprintf(stderr, "clinicd: a job without a request has no reply by its kind\n");
        abort();
    }
    unsigned kind = (unsigned)job->req->body_case;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&clinic__response__descriptor, kind);
    /* Only a member of the result oneof: field 1 is the status, which is no reply. */
    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
        (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0) {
        fprintf(stderr, "clinicd: request kind %u has no reply in Response\n", kind);
        abort();
    }
    const ProtobufCMessageDescriptor *d = f->descriptor;
    if (size != d->sizeof_message) {
        fprintf(stderr, "clinicd: the reply to %s is a %s of %zu bytes, not one of %zu\n", f->name,
                d->name, d->sizeof_message, size);
        abort();
    }
    void *reply = cl_arena_alloc(&job->arena, size);
    protobuf_c_message_init(d, reply);
    job->resp.result_case = (Clinic__Response__ResultCase)kind;
    memcpy((char *)&job->resp + f->offset, &reply, sizeof(reply)); /* the member named kind */
    return reply;
}

/* Fails every job of a batch whose transaction did not commit (or never began): nothing of it
 * was written, so results and changes are dropped and the message says so. */
static void fail_jobs(cl_job_t **jobs, size_t n, int status, const char *what)
{
    char message[160];
    snprintf(message, sizeof(message), "%s (%s)", what, cl_status_message(status));
    for (size_t i = 0; i < n; i++) {
        cl_job_t *job = jobs[i];
        job->changes = NULL;
        job->refused = 0;
        job->resp.result_case = CLINIC__RESPONSE__RESULT__NOT_SET;
        cl_job_fail(job, status, NULL, message);
    }
}

/* Sets the job's final status and job->resp.status after its handler ran. A failing handler's
 * own message and field errors (cl_job_fail) are kept; the code always follows `rc`. */
static void finish_job(cl_job_t *job, int rc)
{
    if (rc < 0)
        job->refused = 0;
    if (rc >= 0 && job->refused == 0) {
        job->status = rc;
        job->resp.status = new_status(job, CL_OK, NULL, NULL);
        return;
    }
    int status = rc < 0 ? rc : job->refused;
    if (job->resp.status == NULL)
        cl_job_fail(job, status, NULL, NULL);
    job->status = status;
    job->resp.status->code = cl_status_code(status);
}

/* ---- the change feed ---- */

int cl_tx_change(cl_tx_t *tx, const char *topic, const char *entity, uint64_t entity_id,
                 Clinic__ChangeOp op, int64_t scope_user)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_CHANGE_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, tx->now);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)entity_id);
    sqlite3_bind_int(st, 5, (int)op);
    sqlite3_bind_int64(st, 6, scope_user);
    int rc = cl_db_step(tx->db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
    /* RETURNING made its change on the first step; stepping on ends the statement. */
    rc = cl_db_step(tx->db, st);
    if (rc < 0)
        return rc;

    cl_change_t *ch = CL_ARENA_NEW(&tx->job->arena, cl_change_t);
    ch->seq = seq;
    ch->topic = topic;
    ch->entity = entity;
    ch->entity_id = entity_id;
    ch->op = op;
    ch->time = tx->now;
    ch->scope_user = scope_user;
    if (tx->last_change != NULL)
        tx->last_change->next = ch;
    else
        tx->job->changes = ch;
    tx->last_change = ch;
    return 0;
}

static int newest_change(cl_db_t *db, uint64_t *seq)
{
    sqlite3_stmt *st = cl_db_stmt(db, SQL_CHANGE_NEWEST);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    *seq = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* Every TRIM_EVERY commits, deletes the feed rows older than the newest feed_keep, in a
 * transaction of its own. A failure only delays the trim. */
static void trim_feed(cl_store_t *s, uint64_t newest)
{
    if (--s->trim_countdown > 0)
        return;
    s->trim_countdown = TRIM_EVERY;
    if (newest <= s->feed_keep)
        return;
    sqlite3_stmt *st = cl_db_stmt(s->db, SQL_CHANGE_TRIM);
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(newest - s->feed_keep));
    if (cl_db_step(s->db, st) < 0)
        cl_warn("store: the change feed was not trimmed; trying again later");
}

/* ---- the store thread ---- */

static int check_session(cl_tx_t *tx, cl_job_t *job)
{
    int rc;
    if (job->needs_session) {
        sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_SESSION_LIVE);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, job->who.session_id);
        rc = cl_db_step(tx->db, st);
        if (rc < 0)
            return rc;
        sqlite3_reset(st);
        if (rc == 0)
            return cl_job_fail(job, CL_EUNAUTH, NULL, "your session has ended; log in again");
    }
    if (job->touch_session) {
        sqlite3_stmt *st = cl_db_stmt(tx->db, SQL_SESSION_TOUCH);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, job->who.session_id);
        sqlite3_bind_int64(st, 2, tx->now);
        rc = cl_db_step(tx->db, st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Runs one job inside SAVEPOINT job: its session check, then its handler. On failure the
 * savepoint is rolled back, so the job leaves nothing behind, and its changes are forgotten.
 * Returns the job's result. */
static int run_job(cl_store_t *s, cl_job_t *job)
{
    cl_tx_t tx = {.db = s->db, .store = s, .now = cl_now(), .job = job};
    job->changes = NULL;
    if (!job->read_done) { /* else they are the reader's handler's */
        job->refused = 0;
        job->resp.status = NULL;
    }

    int rc = run(s->db, SQL_SAVEPOINT);
    if (rc < 0)
        goto out;
    cl_db_savepoint(s->db);
    rc = check_session(&tx, job);
    if (rc == 0 && job->read_done) {
        /* A reader ran the handler; what is left is its audit rows. If they cannot be written,
         * nothing it read may leave. */
        rc = job->read_rc;
        if (rc >= 0 && (rc = cl_audit_append_deferred(s->db, &job->deferred_audit)) < 0)
            job->resp.result_case = CLINIC__RESPONSE__RESULT__NOT_SET;
    } else if (rc == 0) {
        rc = job->handler(&tx, job);
    } else if (job->read_done) {
        job->resp.result_case = CLINIC__RESPONSE__RESULT__NOT_SET;
    }
    if (rc > 0 && rc != CL_STEP_PASSWORD) {
        cl_error("store: a handler returned %d", rc);
        rc = CL_EINTERNAL;
    }
    /* A query the handler left mid-way would keep its statement busy into the COMMIT. */
    cl_db_reset_busy(s->db);
    if (rc >= 0) {
        int released = run(s->db, SQL_RELEASE);
        if (released == 0)
            goto out;
        rc = released;
    }
    job->changes = NULL;
    if (in_transaction(s->db)) {
        run(s->db, SQL_ROLLBACK_TO);
        run(s->db, SQL_RELEASE);
        cl_db_touch(s->db);
    }
out:
    finish_job(job, rc);
    return rc;
}

static void count_transaction(cl_store_t *s, size_t n, int committed, uint64_t newest)
{
    pthread_mutex_lock(&s->mutex);
    if (committed) {
        s->stats.commits++;
        s->stats.committed_jobs += n;
        if (newest > s->stats.change_seq)
            s->stats.change_seq = newest;
    } else {
        s->stats.failed_commits++;
    }
    if (n > s->stats.max_batch_seen)
        s->stats.max_batch_seen = n;
    pthread_mutex_unlock(&s->mutex);
}

/* Runs jobs[0..n) in one transaction and commits it. Returns n when every job has its final
 * status (its own, or the whole transaction's failure). Returns i < n when SQLite rolled the
 * whole transaction back under jobs[i] (it may on SQLITE_FULL, IOERR, BUSY or NOMEM, instead of
 * undoing only the statement): jobs[i] keeps its failure, the others have to run again. */
static size_t run_transaction(cl_store_t *s, cl_job_t **jobs, size_t n)
{
    int write = 0;
    for (size_t i = 0; i < n; i++)
        write |= jobs[i]->write || jobs[i]->touch_session || jobs[i]->read_done;

    /* Only a ROLLBACK that failed after a failed COMMIT could leave one open; it must not make
     * every later BEGIN fail. */
    if (in_transaction(s->db))
        run(s->db, SQL_ROLLBACK);

    /* A reader's BEGIN is deferred; a transaction that writes takes the write lock up front, so
     * that it waits (busy_timeout) here rather than failing at its first write. */
    int rc = run(s->db, write ? SQL_BEGIN_IMMEDIATE : SQL_BEGIN);
    if (rc < 0) {
        fail_jobs(jobs, n, rc, "not done: the database could not begin a transaction");
        count_transaction(s, n, 0, 0);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        rc = run_job(s, jobs[i]);
        if (in_transaction(s->db))
            continue;
        cl_warn("store: the database rolled back a transaction of %zu jobs under job %zu (%s); "
                "the others run again",
                n, i + 1, cl_status_message(rc < 0 ? rc : CL_EINTERNAL));
        if (rc >= 0)
            fail_jobs(&jobs[i], 1, CL_EINTERNAL,
                      "not saved: the database rolled the transaction back");
        count_transaction(s, i + 1, 0, 0);
        return i;
    }
    rc = run(s->db, SQL_COMMIT);
    if (rc < 0) {
        /* A failed COMMIT may leave the transaction open (a deferred foreign key, BUSY). */
        if (in_transaction(s->db))
            run(s->db, SQL_ROLLBACK);
        fail_jobs(jobs, n, rc, "not saved: the database could not commit");
        count_transaction(s, n, 0, 0);
        return n;
    }
    uint64_t newest = 0;
    for (size_t i = 0; i < n; i++)
        for (const cl_change_t *ch = jobs[i]->changes; ch != NULL; ch = ch->next)
            newest = ch->seq;
    count_transaction(s, n, 1, newest);
    if (newest != 0)
        trim_feed(s, newest);
    return n;
}

/* Runs a batch until every job has its final status. A job under which SQLite gave up the
 * whole transaction fails alone: the rest run again in a new one. Each round drops that job
 * from `todo` (room for n), so this ends. */
static void run_batch(cl_store_t *s, cl_job_t **jobs, size_t n, cl_job_t **todo)
{
    memcpy(todo, jobs, n * sizeof(*todo));
    while (n > 0) {
        size_t lost = run_transaction(s, todo, n);
        if (lost == n)
            break;
        memmove(&todo[lost], &todo[lost + 1], (n - lost - 1) * sizeof(*todo));
        n--;
    }
}

static void *store_main(void *arg)
{
    cl_store_t *s = arg;
    prctl(PR_SET_NAME, "clinicd-store"); /* so that top -H and perf tell the threads apart */
    cl_job_t **jobs = cl_calloc(s->max_batch, sizeof(*jobs));
    cl_job_t **todo = cl_calloc(s->max_batch, sizeof(*todo));

    pthread_mutex_lock(&s->mutex);
    for (;;) {
        while (s->queue_head == NULL && !s->stopping)
            pthread_cond_wait(&s->work, &s->mutex);
        if (s->queue_head == NULL)
            break;
        size_t n = take(&s->queue_head, &s->queue_tail, jobs, s->max_batch);
        s->running = 1;
        pthread_mutex_unlock(&s->mutex);

        run_batch(s, jobs, n, todo);
        atomic_store(&s->generation, cl_db_generation(s->db));

        /* Only now that the batch's fate is sealed may the loop see any of it. */
        pthread_mutex_lock(&s->mutex);
        for (size_t i = 0; i < n; i++)
            push(&s->done_head, &s->done_tail, jobs[i]);
        if (s->queue_head == NULL) {
            s->running = 0;
            pthread_cond_broadcast(&s->idle);
        }
        uv_async_send(&s->async);
    }
    pthread_mutex_unlock(&s->mutex);
    free(todo);
    free(jobs);

    /* Fold the WAL back into the database, so that the file alone is a complete copy. It stays
     * incomplete (SQLITE_BUSY) while another process reads; nothing is lost then either. */
    sqlite3 *handle = cl_db_handle(s->db);
    int rc = sqlite3_wal_checkpoint_v2(handle, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK)
        cl_warn("store: the final WAL checkpoint did not complete (%s); the WAL file stays "
                "beside the database",
                sqlite3_errmsg(handle));
    cl_db_close(s->db);
    s->db = NULL;
    return NULL;
}

/* ---- the readers ---- */

/* Runs one on_reader job in its own read transaction on `db`: the handler sees the database as
 * the writer last committed it, and its audit rows are kept in the job for the writer. */
static void read_job(cl_store_t *s, cl_db_t *db, cl_job_t *job)
{
    cl_tx_t tx = {.db = db, .store = s, .now = cl_now(), .job = job};
    job->changes = NULL;
    job->refused = 0;
    job->resp.status = NULL;
    job->deferred_audit = (cl_audit_deferred_t){.arena = &job->arena};
    cl_db_set_generation(db, atomic_load(&s->generation));
    int rc = run(db, SQL_BEGIN);
    if (rc == 0) {
        cl_db_set_audit_defer(db, &job->deferred_audit);
        rc = job->handler(&tx, job);
        cl_db_set_audit_defer(db, NULL);
        if (rc > 0) {
            cl_error("store: a reader's handler returned %d", rc);
            rc = CL_EINTERNAL;
        }
        cl_db_reset_busy(db);
    }
    if (in_transaction(db) && run(db, SQL_COMMIT) < 0 && in_transaction(db))
        run(db, SQL_ROLLBACK);
    job->read_rc = rc;
    job->read_done = 1;
}

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    cl_store_t *s = r->store;
    cl_job_t *jobs[READ_TAKE];
    prctl(PR_SET_NAME, "clinicd-read");

    pthread_mutex_lock(&s->mutex);
    for (;;) {
        while (s->read_head == NULL && !s->readers_stopping)
            pthread_cond_wait(&s->read_work, &s->mutex);
        if (s->read_head == NULL)
            break;
        size_t n = take(&s->read_head, &s->read_tail, jobs, READ_TAKE);
        s->reading++;
        pthread_mutex_unlock(&s->mutex);

        for (size_t i = 0; i < n; i++)
            read_job(s, r->db, jobs[i]);

        /* On to the writer, for the session check and the audit rows. */
        pthread_mutex_lock(&s->mutex);
        for (size_t i = 0; i < n; i++)
            push(&s->queue_head, &s->queue_tail, jobs[i]);
        s->reading--;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mutex);
    cl_db_close(r->db);
    r->db = NULL;
    return NULL;
}

/* Tells the readers to exit once the read queue is empty and waits for them. */
static void join_readers(cl_store_t *s)
{
    pthread_mutex_lock(&s->mutex);
    s->readers_stopping = 1;
    pthread_cond_broadcast(&s->read_work);
    pthread_mutex_unlock(&s->mutex);
    for (uint32_t i = 0; i < s->nreaders; i++)
        pthread_join(s->readers[i].thread, NULL);
    s->nreaders = 0;
}

/* Opens `count` read-only connections and starts a reader on each; on failure, runs without
 * (the writer takes every job) and says so. Called before any job is submitted. */
static void start_readers(cl_store_t *s, const char *path, uint32_t count)
{
    if (count > MAX_READERS)
        count = MAX_READERS;
    for (uint32_t i = 0; i < count; i++) {
        reader_t *r = &s->readers[s->nreaders];
        r->store = s;
        if (cl_db_open(path, CL_DB_READONLY, &r->db) < 0)
            break;
        if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
            cl_db_close(r->db);
            r->db = NULL;
            break;
        }
        s->nreaders++;
    }
    if (s->nreaders < count)
        cl_warn("store: %u of %u readers started; the writer runs the other reads", s->nreaders,
                count);
}

/* ---- the loop side ---- */

/* Hands every finished job to `done`, in order. The list is taken whole, so `done` may submit. */
static void deliver_done(cl_store_t *s)
{
    pthread_mutex_lock(&s->mutex);
    cl_job_t *job = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->mutex);
    while (job != NULL) {
        cl_job_t *next = job->next;
        job->next = NULL;
        s->done(job, s->done_arg);
        job = next;
    }
}

static void on_jobs_done(uv_async_t *handle)
{
    deliver_done(cl_container_of(handle, cl_store_t, async));
}

static void after_async_close(uv_handle_t *handle)
{
    cl_store_t *s = cl_container_of(handle, cl_store_t, async);
    pthread_cond_destroy(&s->read_work);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mutex);
    free(s);
}

/* Tells the thread to exit once the queue is empty and waits for it. */
static void join_thread(cl_store_t *s)
{
    pthread_mutex_lock(&s->mutex);
    s->stopping = 1;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mutex);
    pthread_join(s->thread, NULL);
}

int cl_store_start(const cl_store_config_t *cfg, uv_loop_t *loop, cl_store_done_fn done, void *arg,
                   cl_store_t **out)
{
    *out = NULL;
    cl_db_t *db = NULL;
    uint64_t newest = 0;
    int rc = cl_db_open(cfg->db_path, 0, &db);
    if (rc < 0)
        return rc;
    if (cfg->wal_checkpoint_pages)
        sqlite3_wal_autocheckpoint(cl_db_handle(db), (int)cfg->wal_checkpoint_pages);
    rc = newest_change(db, &newest);
    if (rc < 0) {
        cl_db_close(db);
        return rc;
    }

    cl_store_t *s = cl_calloc(1, sizeof(*s));
    s->db = db;
    s->loop = loop;
    s->done = done;
    s->done_arg = arg;
    s->max_batch = cfg->max_batch ? cfg->max_batch : DEFAULT_MAX_BATCH;
    s->feed_keep = cfg->feed_keep ? cfg->feed_keep : DEFAULT_FEED_KEEP;
    s->board_arrived_wait = cfg->board_arrived_wait ? cfg->board_arrived_wait
                                                    : CL_BOARD_ARRIVED_WAIT;
    s->board_roomed_wait = cfg->board_roomed_wait ? cfg->board_roomed_wait : CL_BOARD_ROOMED_WAIT;
    s->trim_countdown = TRIM_EVERY;
    s->stats.change_seq = newest;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->idle, NULL);
    pthread_cond_init(&s->read_work, NULL);
    atomic_init(&s->generation, cl_db_generation(db));

    /* The thread blocks every signal, so that they reach the loop thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&s->thread, NULL, store_main, s);
    if (err == 0)
        start_readers(s, cfg->db_path, cfg->readers);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        cl_error("store: cannot start the store thread: %s", strerror(err));
        rc = CL_EINTERNAL;
        cl_db_close(db);
        goto fail;
    }
    /* The thread touches the handle only after it took a job, which cl_store_submit can give it
     * only after this function returned; the mutex orders the two. */
    err = uv_async_init(loop, &s->async, on_jobs_done);
    if (err != 0) {
        cl_error("store: uv_async_init: %s", uv_strerror(err));
        rc = CL_EINTERNAL;
        join_readers(s);
        join_thread(s);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    pthread_cond_destroy(&s->read_work);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mutex);
    free(s);
    return rc;
}

void cl_store_submit(cl_store_t *s, cl_job_t *job)
{
    job->next = NULL;
    cl_store_submit_list(s, job, job);
}

void cl_store_submit_list(cl_store_t *s, cl_job_t *head, cl_job_t *tail)
{
    for (cl_job_t *j = head; j != NULL; j = j->next)
        assert(j->handler != NULL);
    assert(tail->next == NULL);
    (void)tail;
    int reads = 0, writes = 0;
    pthread_mutex_lock(&s->mutex);
    assert(!s->stopping);
    for (cl_job_t *j = head, *next; j != NULL; j = next) {
        next = j->next;
        int read = j->on_reader && !j->read_done && j->stage == 0 && s->nreaders > 0;
        if (read)
            push(&s->read_head, &s->read_tail, j);
        else
            push(&s->queue_head, &s->queue_tail, j);
        reads += read;
        writes += !read;
    }
    if (reads > 1)
        pthread_cond_broadcast(&s->read_work);
    else if (reads)
        pthread_cond_signal(&s->read_work);
    if (writes)
        pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mutex);
}

void cl_store_stop(cl_store_t *s)
{
    /* Drain: wait until the thread is idle, hand over what it finished, and again while `done`
     * callbacks submit more. The database stays the store thread's throughout. */
    pthread_mutex_lock(&s->mutex);
    for (;;) {
        while (s->queue_head != NULL || s->running || s->read_head != NULL || s->reading)
            pthread_cond_wait(&s->idle, &s->mutex);
        if (s->done_head == NULL)
            break;
        pthread_mutex_unlock(&s->mutex);
        deliver_done(s);
        pthread_mutex_lock(&s->mutex);
    }
    pthread_mutex_unlock(&s->mutex);
    join_readers(s);
    join_thread(s);
    uv_close((uv_handle_t *)&s->async, after_async_close);
}

void cl_store_stats(cl_store_t *s, cl_store_stats_t *out)
{
    pthread_mutex_lock(&s->mutex);
    *out = s->stats;
    pthread_mutex_unlock(&s->mutex);
}

void cl_store_board_waits(const cl_store_t *s, uint32_t *arrived, uint32_t *roomed)
{
    *arrived = s ? s->board_arrived_wait : CL_BOARD_ARRIVED_WAIT;
    *roomed = s ? s->board_roomed_wait : CL_BOARD_ROOMED_WAIT;
}
