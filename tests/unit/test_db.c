/* The statement interface: opening and migrating, the statement cache, and the mapping of
 * SQLite's result codes to statuses, on the real schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "status.h"
#include "test.h"

typedef struct {
    char dir[64];
    char path[96];
} tmpdb_t;

static void tmpdb_make(tmpdb_t *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/clinic-test-db-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/clinic.db", t->dir);
}

static void tmpdb_remove(tmpdb_t *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[128];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", t->path, suffixes[i]);
        unlink(path);
    }
    ASSERT_OK(rmdir(t->dir));
}

/* The first column of the first row of `sql`, as an integer. */
static int64_t query_int(cl_db_t *db, const char *sql)
{
    sqlite3_stmt *st = cl_db_stmt(db, sql);
    ASSERT_NOT_NULL(st);
    ASSERT_EQ(cl_db_step(db, st), 1);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

static const char SQL_TABLES[] = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                 "AND name IN ('users', 'sessions', 'changes', 'audit')";
static const char SQL_FOREIGN_KEYS[] = "PRAGMA foreign_keys";
static const char SQL_SYNCHRONOUS[] = "PRAGMA synchronous";
static const char SQL_BUSY_TIMEOUT[] = "PRAGMA busy_timeout";
static const char SQL_JOURNAL_MODE[] = "PRAGMA journal_mode";
static const char SQL_META_PUT[] = "INSERT INTO meta (key, value) VALUES (?1, ?2)";
static const char SQL_META_COUNT[] = "SELECT count(*) FROM meta";
static const char SQL_USER_ADD[] =
    "INSERT INTO users (id, username, roles, password_hash, created_at, password_changed_at) "
    "VALUES (?1, ?2, 1, 'x', 0, 0)";
static const char SQL_USER_NO_ROLES[] =
    "INSERT INTO users (id, username, roles, password_hash, created_at, password_changed_at) "
    "VALUES (?1, ?2, NULL, 'x', 0, 0)";
static const char SQL_SESSION_ADD[] =
    "INSERT INTO sessions (id, token_hash, user_id, workstation, address, created_at, last_seen) "
    "VALUES (?1, ?2, ?3, '', '', 0, 0)";

static int put_meta(cl_db_t *db, const char *key, const char *value)
{
    sqlite3_stmt *st = cl_db_stmt(db, SQL_META_PUT);
    ASSERT_NOT_NULL(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return cl_db_step(db, st);
}

static int add_user(cl_db_t *db, const char *sql, int64_t id, const char *username)
{
    sqlite3_stmt *st = cl_db_stmt(db, sql);
    ASSERT_NOT_NULL(st);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, username, -1, SQLITE_STATIC);
    return cl_db_step(db, st);
}

CL_TEST(migrations_applied)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", CL_DB_CREATE, &db));
    ASSERT_NOT_NULL(db);
    ASSERT_GT(cl_db_migrations_count(), 0);
    ASSERT_EQ(cl_db_version(db), cl_db_migrations_count());
    ASSERT_EQ(query_int(db, SQL_TABLES), 4);
    ASSERT_EQ(query_int(db, SQL_FOREIGN_KEYS), 1);
    ASSERT_EQ(query_int(db, SQL_SYNCHRONOUS), 2); /* FULL */
    ASSERT_EQ(query_int(db, SQL_BUSY_TIMEOUT), 5000);
    cl_db_close(db);
}

CL_TEST(reopen_is_idempotent)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(t.path, CL_DB_CREATE, &db));
    ASSERT_OK(put_meta(db, "clinic_name", "Elm Street Family Practice"));
    cl_db_close(db);

    for (int i = 0; i < 2; i++) {
        ASSERT_OK(cl_db_open(t.path, 0, &db));
        ASSERT_EQ(cl_db_version(db), cl_db_migrations_count());
        ASSERT_EQ(query_int(db, SQL_META_COUNT), 1);
        sqlite3_stmt *st = cl_db_stmt(db, SQL_JOURNAL_MODE);
        ASSERT_EQ(cl_db_step(db, st), 1);
        ASSERT_STR_EQ(cl_db_text(st, 0), "wal");
        sqlite3_reset(st);
        ASSERT_EQ(query_int(db, "PRAGMA wal_autocheckpoint"), CL_DB_WAL_CHECKPOINT_PAGES);
        cl_db_close(db);
    }

    /* A read-only connection reads, and a write through it maps to CL_EREADONLY. */
    ASSERT_OK(cl_db_open(t.path, CL_DB_READONLY, &db));
    ASSERT_EQ(query_int(db, SQL_META_COUNT), 1);
    ASSERT_EQ(put_meta(db, "k", "v"), CL_EREADONLY);
    cl_db_close(db);
    tmpdb_remove(&t);
}

/* SQLite unmaps a connection's whole mapping of the file at its first read transaction after
 * another connection committed: a reader that mapped it faulted it in again on almost every job
 * (docs/STORAGE.md, reader threads). The writer keeps its mapping; readers read with pread. */
CL_TEST(only_the_writer_maps_the_file)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *writer = NULL, *reader = NULL;
    ASSERT_OK(cl_db_open(t.path, CL_DB_CREATE, &writer));
    ASSERT_OK(cl_db_open(t.path, CL_DB_READONLY, &reader));
    ASSERT_GT(query_int(writer, "PRAGMA mmap_size"), 1 << 30);
    ASSERT_EQ(query_int(reader, "PRAGMA mmap_size"), 0);
    cl_db_close(reader);
    cl_db_close(writer);
    tmpdb_remove(&t);
}

CL_TEST(missing_file_is_not_created_without_the_flag)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *db = (cl_db_t *)&t; /* must be reset to NULL */
    ASSERT_EQ(cl_db_open(t.path, 0, &db), CL_EIO);
    ASSERT_NULL(db);
    ASSERT_NE(access(t.path, F_OK), 0);
    tmpdb_remove(&t);
}

CL_TEST(too_new_schema_is_refused)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(t.path, CL_DB_CREATE, &db));
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cl_db_migrations_count() + 1);
    ASSERT_OK(cl_db_exec(db, sql));
    cl_db_close(db);

    ASSERT_EQ(cl_db_open(t.path, 0, &db), CL_EPRECOND);
    ASSERT_NULL(db);
    ASSERT_EQ(cl_db_open(t.path, CL_DB_READONLY, &db), CL_EPRECOND);
    ASSERT_NULL(db);
    tmpdb_remove(&t);
}

static const char SQL_ECHO[] = "SELECT ?1";
static const char SQL_ECHO_TWIN[] = "SELECT ?1";
static const char SQL_BROKEN[] = "SELEKT 1";

CL_TEST(statement_cache_is_keyed_by_pointer)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    sqlite3_stmt *st = cl_db_stmt(db, SQL_ECHO);
    ASSERT_NOT_NULL(st);
    ASSERT(cl_db_stmt(db, SQL_ECHO) == st);
    ASSERT(cl_db_stmt(db, SQL_ECHO_TWIN) != st);

    /* Handed out again mid-row, it comes back reset with its bindings cleared. */
    st = cl_db_stmt(db, SQL_ECHO);
    sqlite3_bind_int(st, 1, 42);
    ASSERT_EQ(cl_db_step(db, st), 1);
    ASSERT_EQ(sqlite3_column_int(st, 0), 42);
    st = cl_db_stmt(db, SQL_ECHO);
    ASSERT_EQ(sqlite3_stmt_busy(st), 0);
    ASSERT_EQ(cl_db_step(db, st), 1);
    ASSERT_EQ(sqlite3_column_type(st, 0), SQLITE_NULL);
    ASSERT_EQ(cl_db_step(db, st), 0);

    /* Enough statements to make the table grow several times; each keeps its own. */
    static char texts[300][32];
    static sqlite3_stmt *seen[300];
    for (int i = 0; i < 300; i++) {
        snprintf(texts[i], sizeof(texts[i]), "SELECT %d", i);
        seen[i] = cl_db_stmt(db, texts[i]);
        ASSERT_NOT_NULL(seen[i]);
    }
    for (int i = 0; i < 300; i++) {
        ASSERT(cl_db_stmt(db, texts[i]) == seen[i]);
        ASSERT_EQ(query_int(db, texts[i]), i);
    }
    ASSERT_NULL(cl_db_stmt(db, SQL_BROKEN));
    cl_db_close(db);
}

static const char SQL_TWO_ROWS[] = "SELECT NULL, 'abc' UNION ALL SELECT 1, 'def'";

CL_TEST(step_gives_rows_then_done)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    sqlite3_stmt *st = cl_db_stmt(db, SQL_TWO_ROWS);
    ASSERT_EQ(cl_db_step(db, st), 1);
    ASSERT_STR_EQ(cl_db_text(st, 0), "");
    ASSERT_STR_EQ(cl_db_text(st, 1), "abc");
    ASSERT_EQ(cl_db_step(db, st), 1);
    ASSERT_STR_EQ(cl_db_text(st, 1), "def");
    ASSERT_EQ(cl_db_step(db, st), 0);
    ASSERT_EQ(sqlite3_stmt_busy(st), 0); /* reset when done */

    /* cl_db_reset_busy ends a query left mid-way. */
    ASSERT_EQ(cl_db_step(db, st), 1);
    ASSERT_NE(sqlite3_stmt_busy(st), 0);
    cl_db_reset_busy(db);
    ASSERT_EQ(sqlite3_stmt_busy(st), 0);
    cl_db_close(db);
}

CL_TEST(constraints_map_to_statuses)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    ASSERT_OK(add_user(db, SQL_USER_ADD, 1, "mlopez"));
    ASSERT_EQ(add_user(db, SQL_USER_ADD, 2, "mlopez"), CL_EEXIST);     /* UNIQUE */
    ASSERT_EQ(add_user(db, SQL_USER_ADD, 1, "jchen"), CL_EEXIST);      /* PRIMARY KEY */
    ASSERT_EQ(add_user(db, SQL_USER_NO_ROLES, 3, "jchen"), CL_EINVAL); /* NOT NULL */

    sqlite3_stmt *st = cl_db_stmt(db, SQL_SESSION_ADD);
    sqlite3_bind_int64(st, 1, 1);
    sqlite3_bind_text(st, 2, "hash", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, 99); /* no such user */
    ASSERT_EQ(cl_db_step(db, st), CL_EINVAL);
    ASSERT_EQ(sqlite3_stmt_busy(st), 0); /* reset after the failure */
    cl_db_close(db);
}

CL_TEST(full_database_gives_efull)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(t.path, CL_DB_CREATE, &db));
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %d",
             (int)query_int(db, "PRAGMA page_count") + 4);
    ASSERT_OK(cl_db_exec(db, sql));

    char value[2000], key[16];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    int rc = 0, i;
    for (i = 0; i < 1000 && rc == 0; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        rc = put_meta(db, key, value);
    }
    ASSERT_EQ(rc, CL_EFULL);
    ASSERT_GT(i, 1);
    cl_db_close(db);
    tmpdb_remove(&t);
}

CL_TEST(query_only_gives_ereadonly)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    ASSERT_OK(cl_db_exec(db, "PRAGMA query_only = 1"));
    ASSERT_EQ(put_meta(db, "k", "v"), CL_EREADONLY);
    ASSERT_EQ(cl_db_exec(db, "DELETE FROM meta"), CL_EREADONLY);
    ASSERT_EQ(query_int(db, SQL_META_COUNT), 0);
    cl_db_close(db);
}

CL_TEST(locked_database_gives_ebusy)
{
    tmpdb_t t;
    tmpdb_make(&t);
    cl_db_t *a = NULL, *b = NULL;
    ASSERT_OK(cl_db_open(t.path, CL_DB_CREATE, &a));
    ASSERT_OK(cl_db_open(t.path, 0, &b));
    ASSERT_OK(cl_db_exec(b, "BEGIN IMMEDIATE"));
    sqlite3_busy_timeout(cl_db_handle(a), 20);
    ASSERT_EQ(cl_db_exec(a, "BEGIN IMMEDIATE"), CL_EBUSY);
    ASSERT_EQ(query_int(a, SQL_META_COUNT), 0); /* WAL: readers go on */
    ASSERT_OK(cl_db_exec(b, "ROLLBACK"));
    ASSERT_OK(cl_db_exec(a, "BEGIN IMMEDIATE"));
    ASSERT_OK(cl_db_exec(a, "COMMIT"));
    cl_db_close(b);
    cl_db_close(a);
    tmpdb_remove(&t);
}

CL_TEST(status_mapping_table)
{
    ASSERT_EQ(cl_db_status(SQLITE_OK), 0);
    ASSERT_EQ(cl_db_status(SQLITE_DONE), 0);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT_UNIQUE), CL_EEXIST);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT_PRIMARYKEY), CL_EEXIST);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT_NOTNULL), CL_EINVAL);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT_FOREIGNKEY), CL_EINVAL);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT_TRIGGER), CL_EINVAL);
    ASSERT_EQ(cl_db_status(SQLITE_CONSTRAINT), CL_EINVAL);
    ASSERT_EQ(cl_db_status(SQLITE_FULL), CL_EFULL);
    ASSERT_EQ(cl_db_status(SQLITE_READONLY), CL_EREADONLY);
    ASSERT_EQ(cl_db_status(SQLITE_READONLY_DBMOVED), CL_EREADONLY);
    ASSERT_EQ(cl_db_status(SQLITE_BUSY), CL_EBUSY);
    ASSERT_EQ(cl_db_status(SQLITE_BUSY_SNAPSHOT), CL_EBUSY);
    ASSERT_EQ(cl_db_status(SQLITE_LOCKED), CL_EBUSY);
    ASSERT_EQ(cl_db_status(SQLITE_IOERR_FSYNC), CL_EIO);
    ASSERT_EQ(cl_db_status(SQLITE_CANTOPEN), CL_EIO);
    ASSERT_EQ(cl_db_status(SQLITE_CORRUPT), CL_ECORRUPT);
    ASSERT_EQ(cl_db_status(SQLITE_NOTADB), CL_ECORRUPT);
    ASSERT_EQ(cl_db_status(SQLITE_MISUSE), CL_EINTERNAL);
    ASSERT_EQ(cl_db_status(SQLITE_NOMEM), CL_EINTERNAL);
}

static int drops;
static void count_drop(void *p)
{
    drops++;
    free(p);
}

typedef struct {
    char tables[8][32];
    int64_t rowids[8];
    int n;
} seen_t;

static int see(void *arg, const char *table, int64_t rowid)
{
    seen_t *s = arg;
    if (s->n < 8) {
        snprintf(s->tables[s->n], sizeof(s->tables[0]), "%s", table);
        s->rowids[s->n] = rowid;
    }
    s->n++;
    return 0;
}

/* The change log behind views that catch up (the board): the changes since a mark, in order and
 * without the bookkeeping tables; "cannot tell" (1) past the log's length, after a whole
 * rollback, after a ROLLBACK TO that a mark came after, and when a reader's generation is set;
 * a ROLLBACK TO that no mark came after keeps the marks good and lists what it undid. */
CL_TEST(change_log_since_a_mark)
{
    cl_db_t *db;
    ASSERT_OK(cl_db_open(":memory:", CL_DB_CREATE, &db));
    cl_db_mark_t m = cl_db_mark(db);
    ASSERT_OK(cl_db_exec(db, "INSERT INTO meta (key, value) VALUES ('a', '1')"));
    ASSERT_OK(cl_db_exec(db, "INSERT INTO changes (time, topic, entity, entity_id, op) "
                             "VALUES (1, 'users', 'user', 1, 1)"));
    ASSERT_OK(cl_db_exec(db, "UPDATE meta SET value = '2' WHERE key = 'a'"));
    seen_t s = {0};
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 0);
    ASSERT_EQ(s.n, 2);
    ASSERT_STR_EQ(s.tables[0], "meta");
    ASSERT_STR_EQ(s.tables[1], "meta");
    ASSERT_EQ(s.rowids[0], s.rowids[1]);

    /* A job's write undone by ROLLBACK TO, with the mark taken before its savepoint. */
    m = cl_db_mark(db);
    ASSERT_OK(cl_db_exec(db, "BEGIN; SAVEPOINT job"));
    cl_db_savepoint(db);
    ASSERT_OK(cl_db_exec(db, "INSERT INTO meta (key, value) VALUES ('b', '1')"));
    ASSERT_OK(cl_db_exec(db, "ROLLBACK TO job; RELEASE job"));
    cl_db_touch(db);
    s.n = 0;
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 0);
    ASSERT_EQ(s.n, 1);
    /* ... and with a mark taken after its write: that mark is void. */
    ASSERT_OK(cl_db_exec(db, "SAVEPOINT job"));
    cl_db_savepoint(db);
    ASSERT_OK(cl_db_exec(db, "INSERT INTO meta (key, value) VALUES ('c', '1')"));
    cl_db_mark_t inside = cl_db_mark(db);
    ASSERT_OK(cl_db_exec(db, "ROLLBACK TO job; RELEASE job"));
    cl_db_touch(db);
    ASSERT_EQ(cl_db_changes_since(db, inside, see, &s), 1);
    ASSERT_OK(cl_db_exec(db, "COMMIT"));

    /* A whole transaction rolled back voids every mark before it. */
    m = cl_db_mark(db);
    ASSERT_OK(cl_db_exec(db, "BEGIN; INSERT INTO meta (key, value) VALUES ('d', '1'); ROLLBACK"));
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 1);

    /* More changes than the log holds. */
    m = cl_db_mark(db);
    for (int i = 0; i <= CL_DB_CHANGE_LOG; i++)
        ASSERT_OK(cl_db_exec(db, "UPDATE meta SET value = value || 'x' WHERE key = 'a'"));
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 1);

    /* A reader's connection: a new generation from the writer voids its marks. */
    m = cl_db_mark(db);
    cl_db_set_generation(db, cl_db_generation(db));
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 0);
    cl_db_set_generation(db, cl_db_generation(db) + 1);
    ASSERT_EQ(cl_db_changes_since(db, m, see, &s), 1);
    cl_db_close(db);
}

/* The generation moves with every row change but the bookkeeping tables' and with every
 * rollback; a connection's caches are dropped when replaced and when it closes. */
CL_TEST(generation_and_caches)
{
    cl_db_t *db;
    ASSERT_OK(cl_db_open(":memory:", CL_DB_CREATE, &db));
    uint64_t g = cl_db_generation(db);
    ASSERT_OK(cl_db_exec(db, "INSERT INTO changes (time, topic, entity, entity_id, op) "
                             "VALUES (1, 'users', 'user', 1, 1)"));
    ASSERT_EQ(cl_db_generation(db), g);
    ASSERT_OK(cl_db_exec(db, "INSERT INTO meta (key, value) VALUES ('probe', 'x')"));
    ASSERT(cl_db_generation(db) > g);
    g = cl_db_generation(db);
    ASSERT_OK(cl_db_exec(db, "BEGIN; ROLLBACK"));
    ASSERT(cl_db_generation(db) > g);
    g = cl_db_generation(db);
    cl_db_touch(db);
    ASSERT(cl_db_generation(db) > g);

    static const char key_a = 'a', key_b = 'b';
    drops = 0;
    ASSERT_NULL(cl_db_cache_get(db, &key_a));
    void *first = malloc(8), *second = malloc(8);
    ASSERT_OK(cl_db_cache_set(db, &key_a, first, count_drop));
    ASSERT_OK(cl_db_cache_set(db, &key_b, malloc(8), count_drop));
    ASSERT(cl_db_cache_get(db, &key_a) == first);
    ASSERT_OK(cl_db_cache_set(db, &key_a, second, count_drop));
    ASSERT_EQ(drops, 1);
    ASSERT(cl_db_cache_get(db, &key_a) == second);
    cl_db_close(db);
    ASSERT_EQ(drops, 3);
}

CL_TEST_MAIN(CL_TEST_ENTRY(migrations_applied), CL_TEST_ENTRY(generation_and_caches),
             CL_TEST_ENTRY(change_log_since_a_mark), CL_TEST_ENTRY(reopen_is_idempotent),
             CL_TEST_ENTRY(only_the_writer_maps_the_file),
             CL_TEST_ENTRY(missing_file_is_not_created_without_the_flag),
             CL_TEST_ENTRY(too_new_schema_is_refused),
             CL_TEST_ENTRY(statement_cache_is_keyed_by_pointer),
             CL_TEST_ENTRY(step_gives_rows_then_done), CL_TEST_ENTRY(constraints_map_to_statuses),
             CL_TEST_ENTRY(full_database_gives_efull), CL_TEST_ENTRY(query_only_gives_ereadonly),
             CL_TEST_ENTRY(locked_database_gives_ebusy), CL_TEST_ENTRY(status_mapping_table))
