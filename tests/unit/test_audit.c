/* The audit chain: appended rows verify; an edited, removed or re-hashed row is named; field
 * boundaries cannot be forged; the hash formula of docs/STORAGE.md is pinned here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "status.h"
#include "test.h"

static const char ZEROS[] = "0000000000000000000000000000000000000000000000000000000000000000";

static cl_identity_t person(const char *username, const char *workstation)
{
    cl_identity_t who = {0};
    snprintf(who.username, sizeof(who.username), "%s", username);
    snprintf(who.workstation, sizeof(who.workstation), "%s", workstation);
    return who;
}

/* The formula, written out independently of server/audit.c: SHA-256 over the previous hash and
 * each field as a netstring "<length>:<bytes>,". */
static void expected_hash(const char *prev, uint64_t seq, int64_t time, const char *username,
                          const char *workstation, const char *action, const char *entity,
                          uint64_t entity_id, char out[65])
{
    char msg[1024], num[3][24];
    snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)seq);
    snprintf(num[1], sizeof(num[1]), "%lld", (long long)time);
    snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)entity_id);
    int n = snprintf(msg, sizeof(msg), "%s%zu:%s,%zu:%s,%zu:%s,%zu:%s,%zu:%s,%zu:%s,%zu:%s,", prev,
                     strlen(num[0]), num[0], strlen(num[1]), num[1], strlen(username), username,
                     strlen(workstation), workstation, strlen(action), action, strlen(entity),
                     entity, strlen(num[2]), num[2]);
    ASSERT_LT(n, (int)sizeof(msg));
    uint8_t digest[32];
    cl_sha256(msg, (size_t)n, digest);
    cl_hex(digest, 32, out);
}

static const char SQL_HASH_OF[] = "SELECT hash FROM audit WHERE seq = ?1";

static void stored_hash(cl_db_t *db, int64_t seq, char out[65])
{
    sqlite3_stmt *st = cl_db_stmt(db, SQL_HASH_OF);
    sqlite3_bind_int64(st, 1, seq);
    ASSERT_EQ(cl_db_step(db, st), 1);
    snprintf(out, 65, "%s", cl_db_text(st, 0));
    sqlite3_reset(st);
}

static void append_rows(cl_db_t *db, int first, int count)
{
    cl_identity_t who = person("mlopez", "front-1");
    for (int i = first; i < first + count; i++)
        ASSERT_OK(cl_audit_append(db, 1700000000 + i, &who, "patient.read", "patient",
                                  (uint64_t)(40 + i)));
}

static cl_db_t *open_with_rows(int count)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    append_rows(db, 1, count);
    return db;
}

CL_TEST(appended_rows_verify)
{
    cl_db_t *db = NULL;
    ASSERT_OK(cl_db_open(":memory:", 0, &db));
    uint64_t rows = 99, bad = 99;
    char why[160];
    ASSERT_OK(cl_audit_verify(db, &rows, &bad, why, sizeof(why)));
    ASSERT_EQ(rows, 0);

    append_rows(db, 1, 20);
    ASSERT_OK(cl_audit_verify(db, &rows, &bad, why, sizeof(why)));
    ASSERT_EQ(rows, 20);
    ASSERT_EQ(bad, 0);
    ASSERT_STR_EQ(why, "");

    /* The formula is pinned: row 1 chains from 64 zeros, row 2 from row 1. */
    char want[65], got[65];
    expected_hash(ZEROS, 1, 1700000001, "mlopez", "front-1", "patient.read", "patient", 41, want);
    stored_hash(db, 1, got);
    ASSERT_STR_EQ(got, want);
    char prev[65];
    memcpy(prev, got, sizeof(prev));
    expected_hash(prev, 2, 1700000002, "mlopez", "front-1", "patient.read", "patient", 42, want);
    stored_hash(db, 2, got);
    ASSERT_STR_EQ(got, want);

    /* Empty names (a failed login by nobody known) are fine. */
    cl_identity_t nobody = person("", "");
    ASSERT_OK(cl_audit_append(db, 1700000100, &nobody, "login.failed", "user", 0));
    ASSERT_OK(cl_audit_verify(db, &rows, &bad, why, sizeof(why)));
    ASSERT_EQ(rows, 21);
    cl_db_close(db);
}

CL_TEST(audit_rows_cannot_be_changed_through_sql)
{
    cl_db_t *db = open_with_rows(3);
    ASSERT_EQ(cl_db_exec(db, "UPDATE audit SET entity_id = 1 WHERE seq = 2"), CL_EINVAL);
    ASSERT_EQ(cl_db_exec(db, "DELETE FROM audit WHERE seq = 2"), CL_EINVAL);
    uint64_t rows = 0, bad = 0;
    char why[160];
    ASSERT_OK(cl_audit_verify(db, &rows, &bad, why, sizeof(why)));
    ASSERT_EQ(rows, 3);
    cl_db_close(db);
}

CL_TEST(edited_row_is_named)
{
    cl_db_t *db = open_with_rows(20);
    /* An attacker with the file drops the guard first. */
    ASSERT_OK(cl_db_exec(db, "DROP TRIGGER audit_no_update"));
    ASSERT_OK(cl_db_exec(db, "UPDATE audit SET entity_id = 4242 WHERE seq = 7"));
    uint64_t rows = 0, bad = 0;
    char why[160];
    ASSERT_EQ(cl_audit_verify(db, &rows, &bad, why, sizeof(why)), CL_ECORRUPT);
    ASSERT_EQ(bad, 7);
    ASSERT_STR_EQ(why, "row 7: hash does not match its contents (edited?)");
    cl_db_close(db);
}

static const char SQL_REWRITE[] = "UPDATE audit SET username = ?1, hash = ?2 WHERE seq = ?3";

CL_TEST(rehashed_row_breaks_the_next_link)
{
    cl_db_t *db = open_with_rows(20);
    ASSERT_OK(cl_db_exec(db, "DROP TRIGGER audit_no_update"));
    /* The attacker knows the formula and re-hashes the edited row 7 from row 6... */
    char prev[65], forged[65];
    stored_hash(db, 6, prev);
    expected_hash(prev, 7, 1700000007, "someone_else", "front-1", "patient.read", "patient", 47,
                  forged);
    sqlite3_stmt *st = cl_db_stmt(db, SQL_REWRITE);
    sqlite3_bind_text(st, 1, "someone_else", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, forged, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, 7);
    ASSERT_OK(cl_db_step(db, st));
    /* ...but row 8 was chained over the old hash of row 7. */
    uint64_t rows = 0, bad = 0;
    char why[160];
    ASSERT_EQ(cl_audit_verify(db, &rows, &bad, why, sizeof(why)), CL_ECORRUPT);
    ASSERT_EQ(bad, 8);
    ASSERT_STR_CONTAINS(why, "row 8: ");
    cl_db_close(db);
}

CL_TEST(removed_row_is_named)
{
    cl_db_t *db = open_with_rows(20);
    ASSERT_OK(cl_db_exec(db, "DROP TRIGGER audit_no_delete"));
    ASSERT_OK(cl_db_exec(db, "DELETE FROM audit WHERE seq = 5"));
    uint64_t rows = 0, bad = 0;
    char why[160];
    ASSERT_EQ(cl_audit_verify(db, &rows, &bad, why, sizeof(why)), CL_ECORRUPT);
    ASSERT_EQ(bad, 6);
    ASSERT_STR_EQ(why, "row 6: follows row 4 (rows in between removed?)");

    /* Removing the first row is seen too. */
    ASSERT_OK(cl_db_exec(db, "DELETE FROM audit WHERE seq < 5"));
    ASSERT_EQ(cl_audit_verify(db, &rows, &bad, why, sizeof(why)), CL_ECORRUPT);
    ASSERT_EQ(bad, 6);
    ASSERT_STR_CONTAINS(why, "row 6: the log starts here");
    cl_db_close(db);
}

CL_TEST(separators_cannot_forge_a_boundary)
{
    /* Groups of these join to the same bytes when fields are simply concatenated, or only
     * separated by a delimiter, or delimited and prefixed by hand in a field's value. */
    static const struct {
        const char *username, *workstation, *action, *entity;
    } splits[] = {
        {"mlopez", "front-1", "patient.read", "patient"},
        {"mlopez", "front-1", "patient.rea", "dpatient"},
        {"mlo", "pezfront-1", "patient.read", "patient"},
        {"mlopez|front-1", "", "patient.read", "patient"},
        {"mlopez", "front-1|patient.read", "", "patient"},
        {"mlopez", "front-1", "patient.read,7:patient", ""},
        {"mlopez", "front-1", "patient.read", "patient,2:41"},
        {"mlopez,front-1", "", "patient.read", "patient"},
        {"mlopez", "front-1,", "patient.read", "patient"},
        {"mlopez", "7:front-1,", "patient.read", "patient"},
        {"mlopez,7:front-1", "", "patient.read", "patient"},
    };
    enum { N = sizeof(splits) / sizeof(splits[0]) };
    char hashes[N][65];
    for (int i = 0; i < N; i++) {
        cl_db_t *db = NULL;
        ASSERT_OK(cl_db_open(":memory:", 0, &db));
        cl_identity_t who = person(splits[i].username, splits[i].workstation);
        ASSERT_OK(cl_audit_append(db, 1700000001, &who, splits[i].action, splits[i].entity, 41));
        stored_hash(db, 1, hashes[i]);
        uint64_t rows = 0, bad = 0;
        char why[160];
        ASSERT_OK(cl_audit_verify(db, &rows, &bad, why, sizeof(why)));
        ASSERT_EQ(rows, 1);
        cl_db_close(db);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            ASSERT(strcmp(hashes[i], hashes[j]) != 0);
}

CL_TEST(chain_continues_across_connections)
{
    char dir[] = "/tmp/clinic-test-audit-XXXXXX", path[96];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/clinic.db", dir);
    cl_db_t *server = NULL, *admin = NULL;
    ASSERT_OK(cl_db_open(path, CL_DB_CREATE, &server));
    ASSERT_OK(cl_db_open(path, 0, &admin));

    append_rows(server, 1, 3);
    /* An admin command appends in its own write transaction; the server then goes on. */
    cl_identity_t root = person("admin", "");
    ASSERT_OK(cl_db_exec(admin, "BEGIN IMMEDIATE"));
    ASSERT_OK(cl_audit_append(admin, 1700000010, &root, "user.add", "user", 5));
    ASSERT_OK(cl_db_exec(admin, "COMMIT"));
    append_rows(server, 4, 2);

    uint64_t rows = 0, bad = 0;
    char why[160];
    ASSERT_OK(cl_audit_verify(admin, &rows, &bad, why, sizeof(why)));
    ASSERT_EQ(rows, 6);
    cl_db_close(admin);
    cl_db_close(server);

    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
    ASSERT_OK(rmdir(dir));
}

CL_TEST_MAIN(CL_TEST_ENTRY(appended_rows_verify),
             CL_TEST_ENTRY(audit_rows_cannot_be_changed_through_sql),
             CL_TEST_ENTRY(edited_row_is_named), CL_TEST_ENTRY(rehashed_row_breaks_the_next_link),
             CL_TEST_ENTRY(removed_row_is_named), CL_TEST_ENTRY(separators_cannot_forge_a_boundary),
             CL_TEST_ENTRY(chain_continues_across_connections))
