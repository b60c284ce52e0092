/* The statement interface: a SQLite connection with its cache of prepared statements, opened
 * with clinicd's settings, migrated from server/schema/, and SQLite's result codes mapped to
 * statuses at this one boundary. Domain code reaches the database only through cl_db_stmt(). */
#ifndef CL_DB_H
#define CL_DB_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct cl_db_s cl_db_t;

enum {
    CL_DB_READONLY = 1 << 0, /* open read-only (a reader, `audit verify`) */
    CL_DB_CREATE = 1 << 1,   /* create the file if missing (`clinicd init`) */
    CL_DB_NO_MIGRATE = 1 << 2,
};

/* A writing connection checkpoints the WAL in the commit that finds it this many pages long. */
#define CL_DB_WAL_CHECKPOINT_PAGES 10000

/* Opens `path` (":memory:" for tests) in WAL mode with synchronous=FULL, foreign_keys=ON and a
 * 5 s busy timeout, then applies every migration newer than its user_version, each in its own
 * transaction (unless CL_DB_NO_MIGRATE or CL_DB_READONLY). Returns 0 and sets *out, or a
 * negative status (logged) and sets *out to NULL. */
int cl_db_open(const char *path, int flags, cl_db_t **out);

/* Finalizes every cached statement and closes the connection. NULL is fine. */
void cl_db_close(cl_db_t *db);

/* The raw handle, for sqlite3_bind_* and sqlite3_column_* on statements from cl_db_stmt(). */
sqlite3 *cl_db_handle(cl_db_t *db);

/* The cached statement for `sql`, prepared on first use with SQLITE_PREPARE_PERSISTENT, handed
 * out reset with its bindings cleared. The cache is keyed by the pointer `sql`, so pass an entry
 * of a static table (fts5_storage.c's pattern), never a built string. Returns NULL only if the
 * SQL does not compile (a bug: logged). The statement stays owned by `db`. */
sqlite3_stmt *cl_db_stmt(cl_db_t *db, const char *sql);

/* Steps `st`: 1 for a row, 0 when done (the statement is then reset), or a negative status
 * mapped from SQLite's extended code (CL_EEXIST for a UNIQUE or PRIMARY KEY constraint,
 * CL_EINVAL for other constraints, CL_EFULL, CL_EREADONLY, CL_EBUSY, CL_EIO, CL_ECORRUPT,
 * else CL_EINTERNAL), with sqlite3_errmsg logged. */
int cl_db_step(cl_db_t *db, sqlite3_stmt *st);

/* Steps a statement that gives or changes at most one row, then resets it: 1 when it gave a row
 * (no longer readable), 0 when none, or a status as cl_db_step. */
int cl_db_step_once(cl_db_t *db, sqlite3_stmt *st);

/* Runs an UPDATE of one row that this transaction already read at its version, so that it must
 * match: 0, CL_EINTERNAL when it changed nothing (a bug), or a status as cl_db_step. The
 * statement is reset. */
int cl_db_step_update(cl_db_t *db, sqlite3_stmt *st);

/* Steps a statement that gives at most one row: 1 with the row (read it, then reset the
 * statement), CL_ENOTFOUND when there is none, or a status as cl_db_step. */
int cl_db_step_row(cl_db_t *db, sqlite3_stmt *st);

/* Steps a write to its end, past any RETURNING rows (the caller read what it needed before):
 * 0 or a status as cl_db_step. The statement is reset. */
int cl_db_step_done(cl_db_t *db, sqlite3_stmt *st);

/* Runs one or more statements with no parameters and no rows (BEGIN, COMMIT, pragmas).
 * Returns 0 or a mapped status (logged). */
int cl_db_exec(cl_db_t *db, const char *sql);

/* Maps a SQLite result code to a status (as cl_db_step does). */
int cl_db_status(int sqlite_rc);

/* The schema version (PRAGMA user_version) and the number of migrations built in. */
int cl_db_version(cl_db_t *db);
int cl_db_migrations_count(void);

/* The text of column `col` as a NUL-terminated string; never NULL (NULL reads as ""). The
 * pointer dies at the next step: copy it (cl_arena_strdup) if it must live longer. */
const char *cl_db_text(sqlite3_stmt *st, int col);

/* A number that changes whenever what a reader of this connection could see may have changed:
 * bumped by every row inserted, updated or deleted through it (but for the bookkeeping tables
 * audit, changes and sessions) and by every rollback (cl_db_touch for ROLLBACK TO, which SQLite
 * reports to no hook). A cache of a query's result (the board's) is good while it is equal.
 * WITHOUT ROWID tables report no row changes: a cached view must not depend on one. */
uint64_t cl_db_generation(const cl_db_t *db);
void cl_db_touch(cl_db_t *db);
/* A reader's connection writes nothing, so its own generation never moves: the store sets it,
 * before each read transaction, to the writer's generation as last published after a commit.
 * A view read in that transaction is at least as new as that generation, so caching it under
 * that number is safe (at worst it is read again). */
void cl_db_set_generation(cl_db_t *db, uint64_t generation);

/* Views that catch up instead of reading everything again (the board): the row changes made
 * through this connection (the bookkeeping tables aside, as above) are kept in a log of the last
 * CL_DB_CHANGE_LOG. A view takes a mark when it reads the database, and later asks for the
 * changes since: if each one it depends on can be read again alone, it is as new as a full
 * read. A ROLLBACK TO undoes changes the log still lists, which is fine (reading such a row
 * again gives it as it is now) unless a view read the database after them: then, and after a
 * whole transaction's rollback or a reader's new generation, the marks taken before are void. */
enum { CL_DB_CHANGE_LOG = 256 };
typedef struct {
    uint64_t epoch, seq;
} cl_db_mark_t;
/* The mark of now, noted as a view's read. */
cl_db_mark_t cl_db_mark(cl_db_t *db);
/* Calls each(arg, table, rowid) for every logged change since `mark`, oldest first. Returns 0;
 * 1 when they cannot all be told (read the view anew); or the first value other than 0 that
 * `each` returns (1 for "read the view anew", or a negative status). */
int cl_db_changes_since(cl_db_t *db, cl_db_mark_t mark,
                        int (*each)(void *arg, const char *table, int64_t rowid), void *arg);
/* The store, after SAVEPOINT job: the point a ROLLBACK TO (then cl_db_touch) goes back to. */
void cl_db_savepoint(cl_db_t *db);

/* A reader's connection cannot write audit rows: while a job runs on it, cl_audit_append hands
 * them to `defer` (a cl_audit_deferred_t) for the writer. NULL: write them (the default). */
void cl_db_set_audit_defer(cl_db_t *db, void *defer);
void *cl_db_audit_defer(const cl_db_t *db);

/* A cache a domain keeps with the connection its data was read from, one per `key` (the address
 * of a static of the domain's), freed by `drop` when the connection closes. Set replaces (and
 * drops) the one before; it fails only when CL_DB_CACHES keys are taken (a bug). */
enum { CL_DB_CACHES = 4 };
void *cl_db_cache_get(cl_db_t *db, const void *key);
int cl_db_cache_set(cl_db_t *db, const void *key, void *cache, void (*drop)(void *cache));

/* Resets every statement of `db` that is still in progress (a query a handler did not step to
 * its end), so that none holds the transaction open or keeps a write statement unfinished. The
 * store calls it after each job. */
void cl_db_reset_busy(cl_db_t *db);

#endif
