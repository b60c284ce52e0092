/* The store thread: it owns the one read-write SQLite connection, drains the job queue, runs each
 * job's handler inside its own SAVEPOINT and commits the whole batch once (group commit). Jobs go
 * back to the loop thread, through a uv_async, only after their batch's COMMIT returned; if the
 * COMMIT fails every job of the batch gets an error and none of its changes are reported.
 *
 * Reader threads (cl_store_config_t.readers) run the handlers of jobs marked on_reader (reads
 * that write nothing but their audit rows) on read-only connections, beside the writer; each
 * such job then goes to the writer, which checks its session and appends its audit rows in its
 * batch, so that its reply, too, leaves only after the commit that made its audit durable. */
#ifndef CL_STORE_H
#define CL_STORE_H

#include <stdint.h>
#include <uv.h>

#include "audit.h"
#include "clinic.pb-c.h"
#include "db.h"
#include "identity.h"
#include "auth.h"
#include "mem.h"

typedef struct cl_store_s cl_store_t;
typedef struct cl_job_s cl_job_t;
typedef struct cl_tx_s cl_tx_t;

/* A handler's special return: "hash or verify the passwords in job->pw on the thread pool, then
 * run me again with job->stage + 1". Used by login, password change and user add. */
#define CL_STEP_PASSWORD 1

/* A handler: runs on the store thread inside the job's SAVEPOINT. Reads job->req (borrowed),
 * fills job->resp's result (allocations from job->arena), appends audit rows (cl_audit_append)
 * and changes (cl_tx_change). Returns 0, CL_STEP_PASSWORD, or a negative status: then every
 * write of this job is rolled back and the client gets that status with job->resp's status
 * message and field errors (set with cl_job_fail). */
typedef int (*cl_handler_fn)(cl_tx_t *tx, cl_job_t *job);
/* A handler may run more than once for one stage: when SQLite gives up a whole transaction
 * under a later job of the batch (it may on disk full or an I/O error), the batch's other jobs
 * run again in a new transaction. So a handler sets job->resp, job->scratch and the like afresh
 * on each run, and never adds to what an earlier run left there. */

/* The password work a handler may ask for (CL_STEP_PASSWORD); done by the loop on the pool. */
typedef struct {
    const char *verify;                      /* borrowed; a password to check against `stored` */
    char stored[CL_PASSWORD_HASH_MAX];  /* the hash it is checked against ("" for none) */
    const char *hash;                        /* borrowed; a new password to hash */
    int verified;                            /* out: 1 when `verify` matched `stored` */
    char hashed[CL_PASSWORD_HASH_MAX];  /* out: the hash of `hash` */
} cl_password_work_t;

/* One change committed with a job, in the order made. */
typedef struct cl_change_s {
    uint64_t seq;
    const char *topic;   /* static storage (a topic table entry) */
    const char *entity;  /* static storage */
    uint64_t entity_id;
    Clinic__ChangeOp op;
    int64_t time;
    int64_t scope_user;  /* 0: everyone subscribed to the topic; else only that user */
    struct cl_change_s *next;
} cl_change_t;

struct cl_job_s {
    /* Set by the loop before cl_store_submit. */
    cl_handler_fn handler;
    Clinic__Request *req;      /* borrowed from the dispatcher, which frees it */
    cl_identity_t who;         /* a copy */
    int write;                 /* the handler may write (the batch begins IMMEDIATE) */
    int needs_session;         /* check that who.session_id is still a live session first */
    int touch_session;         /* also record the session's activity */
    int stage;                 /* 0 first; +1 after each CL_STEP_PASSWORD */
    int on_reader;             /* the handler only reads and audits: a reader may run it */
    void *owner;               /* the loop's (the connection, or NULL) */
    void *envelope;            /* the loop's: the unpacked envelope that owns req */
    const void *route;         /* the loop's: the dispatch table row */
    uint64_t envelope_id;
    cl_job_t *next;            /* queue link: the store's, then the loop's */

    /* Set by the store thread. */
    int status;                /* the handler's result, or the batch's commit failure */
    int refused;               /* cl_job_refuse's status: writes kept, request refused */
    Clinic__Response resp;     /* status and result; result parts live in `arena` */
    cl_arena_t arena;          /* freed by cl_job_reset / cl_job_free */
    cl_change_t *changes;      /* in arena; NULL unless the batch committed; the changes of
                                  this run only (a run per stage: each stage commits its own) */
    cl_password_work_t pw;
    cl_identity_t new_who;     /* login and resume: who the connection now is */
    char token[65];            /* login: the new session token, given once to the client */
    void *scratch;             /* a handler's state between stages, in `arena` */

    /* Set by a reader: the handler ran there; the writer appends its audit rows. */
    int read_done;
    int read_rc;               /* the handler's result on the reader */
    cl_audit_deferred_t deferred_audit;
};

/* A new zeroed job. */
cl_job_t *cl_job_new(void);
/* Releases the arena and the job. */
void cl_job_free(cl_job_t *job);

/* Refuses the request while keeping its writes: a failed login's count and its audit row must
 * commit although the client is told no. Fills job->resp's status as cl_job_fail does and sets
 * job->refused; the handler then returns 0, and the store reports `status` after the commit.
 * Returns 0. */
int cl_job_refuse(cl_job_t *job, int status, const char *field, const char *message);

/* Sets the job's failure: status code from `status`, `message` (copied; NULL: the status
 * table's), and when `field` is given, one FieldError naming it. Returns `status`. */
int cl_job_fail(cl_job_t *job, int status, const char *field, const char *message);

/* Makes the job's reply: the message of the Response result that has the request's field number
 * (job->req->body_case; the protocol gives a request and its reply one number and one name),
 * in job->arena and initialized as its __init would, attached to job->resp (result_case and
 * that field, so that it goes out even with a failure status) and returned. `size` is the size
 * of the type the caller means: use CL_JOB_REPLY, or for a reply without fields whose pointer is
 * not wanted cl_job_reply_new(job, sizeof(type)). Naming a type of another size, or a request
 * kind without such a result, is a programming error: it prints what was asked and aborts. So is
 * a job without a request (the server's own, such as an idle session's logoff). */
void *cl_job_reply_new(cl_job_t *job, size_t size);
#define CL_JOB_REPLY(job, type) ((type *)cl_job_reply_new((job), sizeof(type)))

typedef struct {
    const char *db_path;
    uint32_t max_batch;        /* jobs per commit at most; 0: 512 */
    uint32_t feed_keep;        /* change rows kept for replay; 0: 100000 */
    uint32_t readers;          /* reader threads, each with a read-only connection; 0: none */
    uint32_t wal_checkpoint_pages; /* 0: CL_DB_WAL_CHECKPOINT_PAGES */
    uint32_t board_arrived_wait;   /* minutes; 0: CL_BOARD_ARRIVED_WAIT */
    uint32_t board_roomed_wait;    /* minutes; 0: CL_BOARD_ROOMED_WAIT */
} cl_store_config_t;

/* The clinic's board thresholds (cl_store_config_t), for handlers: `s` NULL (unit tests without a
 * store) gives the defaults. */
void cl_store_board_waits(const cl_store_t *s, uint32_t *arrived, uint32_t *roomed);

/* Called on the loop thread with each finished job, in completion order. The callee owns it. */
typedef void (*cl_store_done_fn)(cl_job_t *job, void *arg);

/* Opens the database (migrating it) and starts the store thread, which reports finished jobs on
 * `loop` through `done`. Returns 0 and sets *out, or a negative status. */
int cl_store_start(const cl_store_config_t *cfg, uv_loop_t *loop, cl_store_done_fn done, void *arg,
                   cl_store_t **out);

/* Queues a job (loop thread). Never calls `done` synchronously. */
void cl_store_submit(cl_store_t *s, cl_job_t *job);
/* Queues the jobs `head` .. `tail`, linked through `next`, with one lock and one wake-up. */
void cl_store_submit_list(cl_store_t *s, cl_job_t *head, cl_job_t *tail);

/* Finishes every queued job and calls `done` for each before it returns (also for jobs that a
 * `done` callback submits meanwhile), then lets the thread checkpoint the WAL and close the
 * database, joins it, and closes the uv_async. Call on the loop thread (from a callback of the
 * running loop or with the loop stopped), but not from a `done` callback. `s` is freed in the
 * handle's close callback: the loop must run once more (as it must anyway to close its other
 * handles before uv_loop_close) for that. Submitting after this call is not allowed. */
void cl_store_stop(cl_store_t *s);

/* Counters for ServerStatus (read on the loop thread; approximate while running). */
typedef struct {
    uint64_t commits;
    uint64_t committed_jobs;
    uint64_t failed_commits;
    uint64_t change_seq;      /* the newest committed change */
    uint64_t max_batch_seen;
} cl_store_stats_t;
void cl_store_stats(cl_store_t *s, cl_store_stats_t *out);

/* What a handler sees: the database and the batch's transaction. */
struct cl_tx_s {
    cl_db_t *db;
    cl_store_t *store;
    int64_t now;               /* one clock reading per job */
    cl_job_t *job;
    cl_change_t *last_change;  /* the store's: the tail of job->changes, for appending */
};

/* Appends a row to the change feed in this transaction and to job->changes. `topic` and
 * `entity` must be static strings. Returns 0 or a negative status. */
int cl_tx_change(cl_tx_t *tx, const char *topic, const char *entity, uint64_t entity_id,
                 Clinic__ChangeOp op, int64_t scope_user);

#endif
