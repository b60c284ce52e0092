/* The statement interface (db.h): opening a SQLite connection with clinicd's settings, applying
 * the embedded migrations, a statement cache keyed by the SQL text's address, and the one place
 * where SQLite result codes become statuses. */
#include "db.h"

#include <pthread.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "status.h"

/* Generated from server/schema/ by cmake/embed_schema.cmake (build/schema.c). */
extern const char *const cl_migrations[];
extern const int cl_migrations_count;

/* One slot of the statement cache: an open-addressing table with linear probing, keyed by the
 * address of the SQL text. Entries are never removed, so an empty slot ends every probe. */
typedef struct {
    const char *sql;  /* borrowed: static storage of the caller */
    sqlite3_stmt *st; /* owned */
} stmt_slot_t;

struct cl_db_s {
    sqlite3 *handle;    /* owned */
    stmt_slot_t *slots; /* owned; `cap` entries, a power of two */
    size_t cap;
    size_t count;
    uint64_t generation; /* see cl_db_generation */
    /* The change log (cl_db_changes_since): change_seq changes so far, the last of them in log
     * at change_seq % CL_DB_CHANGE_LOG; marks of an older epoch are void. */
    uint64_t change_seq, epoch;
    uint64_t marked_at;    /* change_seq at the newest mark */
    uint64_t savepoint_at; /* change_seq at the newest SAVEPOINT job */
    struct {
        char table[32]; /* "" for a name too long to keep: no view knows it */
        int64_t rowid;
    } log[CL_DB_CHANGE_LOG];
    void *audit_defer; /* see cl_db_set_audit_defer */
    struct {
        const void *key;
        void *cache;
        void (*drop)(void *cache);
    } caches[CL_DB_CACHES];
};

/* Bookkeeping tables whose rows no cached view shows: every request touches some of them (its
 * audit row, its change, its session's last activity), so they must not count as a change. */
static int bookkeeping_table(const char *table)
{
    return strcmp(table, "audit") == 0 || strcmp(table, "changes") == 0 ||
           strcmp(table, "sessions") == 0;
}

static void on_row_change(void *arg, int op, const char *schema, const char *table,
                          sqlite3_int64 rowid)
{
    (void)op, (void)schema;
    cl_db_t *db = arg;
    if (bookkeeping_table(table))
        return;
    db->generation++;
    size_t slot = (size_t)(db->change_seq++ % CL_DB_CHANGE_LOG), n = strlen(table);
    if (n < sizeof(db->log[slot].table))
        memcpy(db->log[slot].table, table, n + 1);
    else
        db->log[slot].table[0] = '\0';
    db->log[slot].rowid = rowid;
}

static void on_rollback(void *arg)
{
    cl_db_t *db = arg;
    db->generation++;
    db->epoch++; /* a view read inside the transaction may hold what it undid */
}

uint64_t cl_db_generation(const cl_db_t *db)
{
    return db->generation;
}

void cl_db_touch(cl_db_t *db)
{
    db->generation++;
    if (db->marked_at > db->savepoint_at)
        db->epoch++; /* a view read after the savepoint may hold what the rollback undid */
}

void cl_db_set_generation(cl_db_t *db, uint64_t generation)
{
    if (generation != db->generation)
        db->epoch++; /* changes elsewhere, which this connection's log does not list */
    db->generation = generation;
}

cl_db_mark_t cl_db_mark(cl_db_t *db)
{
    db->marked_at = db->change_seq;
    return (cl_db_mark_t){db->epoch, db->change_seq};
}

int cl_db_changes_since(cl_db_t *db, cl_db_mark_t mark,
                        int (*each)(void *arg, const char *table, int64_t rowid), void *arg)
{
    if (mark.epoch != db->epoch || mark.seq > db->change_seq ||
        db->change_seq - mark.seq > CL_DB_CHANGE_LOG)
        return 1;
    for (uint64_t seq = mark.seq; seq < db->change_seq; seq++) {
        size_t slot = (size_t)(seq % CL_DB_CHANGE_LOG);
        int rc = each(arg, db->log[slot].table, db->log[slot].rowid);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void cl_db_savepoint(cl_db_t *db)
{
    db->savepoint_at = db->change_seq;
}

void cl_db_set_audit_defer(cl_db_t *db, void *defer)
{
    db->audit_defer = defer;
}

void *cl_db_audit_defer(const cl_db_t *db)
{
    return db->audit_defer;
}

void *cl_db_cache_get(cl_db_t *db, const void *key)
{
    for (size_t i = 0; i < CL_DB_CACHES; i++)
        if (db->caches[i].key == key)
            return db->caches[i].cache;
    return NULL;
}

int cl_db_cache_set(cl_db_t *db, const void *key, void *cache, void (*drop)(void *cache))
{
    for (size_t i = 0; i < CL_DB_CACHES; i++) {
        if (db->caches[i].key == NULL || db->caches[i].key == key) {
            if (db->caches[i].key == key && db->caches[i].drop && db->caches[i].cache != cache)
                db->caches[i].drop(db->caches[i].cache);
            db->caches[i].key = key;
            db->caches[i].cache = cache;
            db->caches[i].drop = drop;
            return 0;
        }
    }
    return CL_EINTERNAL;
}

static const char SQL_USER_VERSION[] = "PRAGMA user_version";

int cl_db_status(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_CONSTRAINT:
        if (sqlite_rc == SQLITE_CONSTRAINT_UNIQUE || sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
            sqlite_rc == SQLITE_CONSTRAINT_ROWID)
            return CL_EEXIST;
        return CL_EINVAL;
    case SQLITE_FULL:
        return CL_EFULL;
    case SQLITE_READONLY:
        return CL_EREADONLY;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CL_EBUSY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return CL_EIO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return CL_ECORRUPT;
    default:
        return CL_EINTERNAL;
    }
}

/* Logs a failed SQLite call. A constraint violation is a verdict on the request (a duplicate
 * username), not a fault of the server, so it is logged one level lower. */
static void log_failure(cl_db_t *db, int rc, const char *what)
{
    cl_log_level_t level = (rc & 0xff) == SQLITE_CONSTRAINT ? CL_LOG_WARN : CL_LOG_ERROR;
    cl_log(level, "sqlite: %s (code %d) in: %.200s", sqlite3_errmsg(db->handle), rc, what);
}

static size_t slot_of(const char *sql, size_t cap)
{
    /* Fibonacci hashing of the address: the low bits of a pointer are mostly alignment. */
    uint64_t h = (uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (cap - 1);
}

static void cache_grow(cl_db_t *db)
{
    size_t cap = db->cap ? db->cap * 2 : 64;
    stmt_slot_t *slots = cl_calloc(cap, sizeof(*slots));
    for (size_t i = 0; i < db->cap; i++) {
        if (db->slots[i].sql == NULL)
            continue;
        size_t j = slot_of(db->slots[i].sql, cap);
        while (slots[j].sql != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = db->slots[i];
    }
    free(db->slots);
    db->slots = slots;
    db->cap = cap;
}

sqlite3_stmt *cl_db_stmt(cl_db_t *db, const char *sql)
{
    /* Keep the table at most half full, so that probes stay short. */
    if (2 * (db->count + 1) > db->cap)
        cache_grow(db);
    size_t i = slot_of(sql, db->cap);
    while (db->slots[i].sql != NULL && db->slots[i].sql != sql)
        i = (i + 1) & (db->cap - 1);

    stmt_slot_t *slot = &db->slots[i];
    if (slot->sql == NULL) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
        if (rc != SQLITE_OK || st == NULL) {
            cl_error("sqlite: cannot prepare: %s in: %.200s", sqlite3_errmsg(db->handle), sql);
            sqlite3_finalize(st);
            return NULL;
        }
        if (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0')
            cl_warn("sqlite: only the first statement is used of: %.200s", sql);
        slot->sql = sql;
        slot->st = st;
        db->count++;
        return st;
    }
    /* sqlite3_reset repeats the last step's error, which was reported when it happened. */
    sqlite3_reset(slot->st);
    sqlite3_clear_bindings(slot->st);
    return slot->st;
}

int cl_db_step(cl_db_t *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    log_failure(db, rc, sqlite3_sql(st));
    sqlite3_reset(st);
    return cl_db_status(rc);
}

int cl_db_step_once(cl_db_t *db, sqlite3_stmt *st)
{
    int rc = cl_db_step(db, st);
    sqlite3_reset(st);
    return rc;
}

int cl_db_step_update(cl_db_t *db, sqlite3_stmt *st)
{
    int rc = cl_db_step_once(db, st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

int cl_db_step_row(cl_db_t *db, sqlite3_stmt *st)
{
    int rc = cl_db_step(db, st);
    return rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_db_step_done(cl_db_t *db, sqlite3_stmt *st)
{
    int rc;
    while ((rc = cl_db_step(db, st)) == 1)
        ;
    return rc;
}

int cl_db_exec(cl_db_t *db, const char *sql)
{
    int rc = sqlite3_exec(db->handle, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    log_failure(db, rc, sql);
    return cl_db_status(rc);
}

void cl_db_reset_busy(cl_db_t *db)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(db->handle, NULL); st != NULL;
         st = sqlite3_next_stmt(db->handle, st)) {
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
    }
}

sqlite3 *cl_db_handle(cl_db_t *db)
{
    return db->handle;
}

int cl_db_migrations_count(void)
{
    return cl_migrations_count;
}

int cl_db_version(cl_db_t *db)
{
    sqlite3_stmt *st = cl_db_stmt(db, SQL_USER_VERSION);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    int version = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return version;
}

const char *cl_db_text(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return text ? (const char *)text : "";
}

/* Applies migration `index` (0-based) in its own write transaction. The version is read again
 * under the write lock, so two processes opening a fresh file at once apply it only once. */
static int apply_migration(cl_db_t *db, int index)
{
    int rc = cl_db_exec(db, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    int version = cl_db_version(db);
    if (version < 0) {
        rc = version;
        goto out;
    }
    /* A higher version means that another process applied this migration meanwhile. */
    if (version <= index) {
        rc = cl_db_exec(db, cl_migrations[index]);
        if (rc < 0) {
            cl_error("migration %d failed; the database stays at schema %d", index + 1, index);
            goto out;
        }
        /* PRAGMA takes no bound parameters; the number is our own. */
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", index + 1);
        rc = cl_db_exec(db, sql);
        if (rc < 0)
            goto out;
    }
    rc = cl_db_exec(db, "COMMIT");
    if (rc == 0 && version <= index)
        cl_info("database migrated to schema %d", index + 1);
out:
    if (rc < 0 && !sqlite3_get_autocommit(db->handle))
        cl_db_exec(db, "ROLLBACK");
    return rc;
}

static int migrate(cl_db_t *db, int flags)
{
    int version = cl_db_version(db);
    if (version < 0)
        return version;
    if (version > cl_migrations_count) {
        cl_error("database schema %d is newer than this clinicd (%d)", version,
                 cl_migrations_count);
        return CL_EPRECOND;
    }
    if (flags & (CL_DB_NO_MIGRATE | CL_DB_READONLY)) {
        if (version < cl_migrations_count)
            cl_warn("database schema %d is older than this clinicd (%d) and was not migrated",
                    version, cl_migrations_count);
        return 0;
    }
    for (int i = version; i < cl_migrations_count; i++) {
        int rc = apply_migration(db, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* WAL only applies to a database in a file; ":memory:" and temporary databases have no name. */
#define PAGES_TEXT_(n) #n
#define PAGES_TEXT(n) PAGES_TEXT_(n)

static int set_wal(cl_db_t *db)
{
    const char *file = sqlite3_db_filename(db->handle, "main");
    if (file == NULL || file[0] == '\0')
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->handle, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        log_failure(db, rc, "PRAGMA journal_mode = WAL");
        rc = cl_db_status(rc);
        goto out;
    }
    /* The pragma answers with the mode in effect, which is not WAL if the change was refused. */
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        cl_error("database %s: cannot switch to WAL (journal mode is %s)", file,
                 mode ? mode : "unknown");
        rc = CL_EIO;
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Process-wide SQLite settings, before its first use: no global memory statistics, whose
 * mutex cost the store thread 7% of its time. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

int cl_db_open(const char *path, int flags, cl_db_t **out)
{
    *out = NULL;
    pthread_once(&sqlite_once, configure_sqlite);
    cl_db_t *db = cl_calloc(1, sizeof(*db));
    int open_flags = SQLITE_OPEN_NOMUTEX;
    if (flags & CL_DB_READONLY)
        open_flags |= SQLITE_OPEN_READONLY;
    else
        open_flags |= SQLITE_OPEN_READWRITE | ((flags & CL_DB_CREATE) ? SQLITE_OPEN_CREATE : 0);

    int rc = sqlite3_open_v2(path, &db->handle, open_flags, NULL);
    if (rc != SQLITE_OK) {
        cl_error("cannot open database %s: %s", path,
                 db->handle ? sqlite3_errmsg(db->handle) : sqlite3_errstr(rc));
        rc = cl_db_status(rc);
        goto out;
    }
    sqlite3_extended_result_codes(db->handle, 1);
    sqlite3_busy_timeout(db->handle, 5000);
    sqlite3_update_hook(db->handle, on_row_change, db);
    sqlite3_rollback_hook(db->handle, on_rollback, db);

    if (!(flags & CL_DB_READONLY)) {
        rc = set_wal(db);
        if (rc < 0)
            goto out;
        /* SQLite folds the WAL back into the database in the commit that finds it longer than
         * this many pages. At its default of 1,000 the checkpoint wrote the same hot index pages
         * again every few batches; at 10,000 (40 MiB of WAL) each is written once in many
         * batches: `book` went from 4,400-6,100 to 7,000-7,600 requests/s. docs/STORAGE.md. */
        rc = cl_db_exec(db, "PRAGMA wal_autocheckpoint = " PAGES_TEXT(CL_DB_WAL_CHECKPOINT_PAGES));
        if (rc < 0)
            goto out;
    }
    /* temp_store: savepoint journals stay in memory instead of a temporary file per batch.
     * cache_size and mmap_size: a clinic's database (a million patients is ~1 GB) is read from
     * the page cache through a mapping and a 64 MiB cache, not copied page by page. */
    rc = cl_db_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                        "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536");
    /* Only the writer maps the file. A connection that did not make the last commit drops its
     * page cache and unmaps the whole file at its next read transaction (SQLite's pager, on a
     * changed WAL), so a reader's mapping was torn down and faulted in again on almost every
     * job: with it, a reader spent twice its user time in the kernel, and search with one
     * reader ran at 3,900 /s against 6,000 /s reading pages with pread (docs/STORAGE.md). */
    if (rc == 0 && !(flags & CL_DB_READONLY))
        rc = cl_db_exec(db, "PRAGMA mmap_size = 2147483648");
    if (rc < 0)
        goto out;
    rc = migrate(db, flags);
    if (rc < 0)
        goto out;
    *out = db;
out:
    if (rc < 0) {
        cl_error("database %s was not opened: %s", path, cl_status_message(rc));
        cl_db_close(db);
    }
    return rc;
}

void cl_db_close(cl_db_t *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->cap; i++)
        sqlite3_finalize(db->slots[i].st);
    free(db->slots);
    for (size_t i = 0; i < CL_DB_CACHES; i++)
        if (db->caches[i].drop)
            db->caches[i].drop(db->caches[i].cache);
    if (db->handle != NULL && sqlite3_close(db->handle) != SQLITE_OK)
        cl_error("sqlite: close: %s", sqlite3_errmsg(db->handle));
    free(db);
}
