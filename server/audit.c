/* The audit chain (audit.h): appending a row with its hash, and walking the chain to verify it.
 * A row's hash is the SHA-256 of the previous row's hash followed by the row's fields, each
 * written as a netstring ("<length>:<bytes>,"), so no field value can fake a field boundary. */
#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "status.h"

static const char SQL_HEAD[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
static const char SQL_INSERT[] =
    "INSERT INTO audit (seq, time, username, workstation, action, entity, entity_id, hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_WALK[] = "SELECT seq, time, username, workstation, action, entity, "
                               "entity_id, hash FROM audit ORDER BY seq";

/* The "previous hash" of the first row. */
static const char GENESIS[] = "0000000000000000000000000000000000000000000000000000000000000000";

enum { HASH_HEX = 64 };

typedef struct {
    const char *s; /* borrowed; not NUL-terminated necessarily */
    size_t n;
} text_t;

/* The hashed fields of one row, in the order they are hashed. */
typedef struct {
    uint64_t seq;
    int64_t time;
    text_t username;
    text_t workstation;
    text_t action;
    text_t entity;
    uint64_t entity_id;
} audit_row_t;

static void put_field(cl_buf_t *b, const char *s, size_t n)
{
    char prefix[24];
    int len = snprintf(prefix, sizeof(prefix), "%zu:", n);
    cl_buf_append(b, prefix, (size_t)len);
    cl_buf_append(b, s, n);
    cl_buf_append(b, ",", 1);
}

static void put_number(cl_buf_t *b, const char *fmt_value)
{
    put_field(b, fmt_value, strlen(fmt_value));
}

/* hash = hex(SHA-256(prev || ns(seq) || ns(time) || ns(username) || ns(workstation) ||
 * ns(action) || ns(entity) || ns(entity_id))), where ns(x) is the netstring of x's bytes and
 * numbers are in decimal (time signed, the others unsigned). */
static void row_hash(const char *prev, size_t prev_len, const audit_row_t *r,
                     char out[HASH_HEX + 1])
{
    cl_buf_t b = {0};
    char num[24];
    uint8_t digest[32];

    cl_buf_append(&b, prev, prev_len);
    snprintf(num, sizeof(num), "%" PRIu64, r->seq);
    put_number(&b, num);
    snprintf(num, sizeof(num), "%" PRId64, r->time);
    put_number(&b, num);
    put_field(&b, r->username.s, r->username.n);
    put_field(&b, r->workstation.s, r->workstation.n);
    put_field(&b, r->action.s, r->action.n);
    put_field(&b, r->entity.s, r->entity.n);
    snprintf(num, sizeof(num), "%" PRIu64, r->entity_id);
    put_number(&b, num);

    cl_sha256(cl_buf_head(&b), cl_buf_size(&b), digest);
    cl_hex(digest, sizeof(digest), out);
    cl_buf_free(&b);
}

static text_t text_of(const char *s)
{
    if (s == NULL)
        s = "";
    return (text_t){s, strlen(s)};
}

int cl_audit_append(cl_db_t *db, int64_t now, const cl_identity_t *who, const char *action,
                    const char *entity, uint64_t entity_id)
{
    cl_audit_deferred_t *d = cl_db_audit_defer(db);
    if (d != NULL) {
        cl_audit_row_t *r = CL_ARENA_NEW(d->arena, cl_audit_row_t);
        *r = (cl_audit_row_t){
            .time = now,
            .who = who,
            .action = cl_arena_strdup(d->arena, action ? action : ""),
            .entity = cl_arena_strdup(d->arena, entity ? entity : ""),
            .entity_id = entity_id,
        };
        if (d->tail)
            d->tail->next = r;
        else
            d->head = r;
        d->tail = r;
        return 0;
    }

    char prev[HASH_HEX + 1];
    uint64_t head = 0;
    sqlite3_stmt *st = cl_db_stmt(db, SQL_HEAD);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        head = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(prev, sizeof(prev), "%s", cl_db_text(st, 1));
        sqlite3_reset(st);
    } else {
        memcpy(prev, GENESIS, sizeof(prev));
    }

    audit_row_t row = {
        .seq = head + 1,
        .time = now,
        .username = text_of(who->username),
        .workstation = text_of(who->workstation),
        .action = text_of(action),
        .entity = text_of(entity),
        .entity_id = entity_id,
    };
    char hash[HASH_HEX + 1];
    row_hash(prev, strlen(prev), &row, hash);

    /* The explicit seq is the chain's guard: a writer that read a stale head collides on the
     * primary key instead of forking the chain. */
    st = cl_db_stmt(db, SQL_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)row.seq);
    sqlite3_bind_int64(st, 2, row.time);
    sqlite3_bind_text(st, 3, row.username.s, (int)row.username.n, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row.workstation.s, (int)row.workstation.n, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, row.action.s, (int)row.action.n, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, row.entity.s, (int)row.entity.n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)row.entity_id);
    sqlite3_bind_text(st, 8, hash, HASH_HEX, SQLITE_STATIC);
    rc = cl_db_step(db, st);
    return rc < 0 ? rc : 0;
}

int cl_audit_append_deferred(cl_db_t *db, const cl_audit_deferred_t *d)
{
    for (const cl_audit_row_t *r = d->head; r != NULL; r = r->next) {
        int rc = cl_audit_append(db, r->time, r->who, r->action, r->entity, r->entity_id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static text_t column_text(sqlite3_stmt *st, int col)
{
    const char *s = cl_db_text(st, col);
    return (text_t){s, (size_t)sqlite3_column_bytes(st, col)};
}

int cl_audit_verify(cl_db_t *db, uint64_t *rows, uint64_t *bad_seq, char *why, size_t whylen)
{
    char prev[HASH_HEX + 1];
    uint64_t count = 0;
    int64_t expect = 1;
    int rc;

    memcpy(prev, GENESIS, sizeof(prev));
    *rows = 0;
    *bad_seq = 0;
    if (whylen > 0)
        why[0] = '\0';
    sqlite3_stmt *st = cl_db_stmt(db, SQL_WALK);
    if (st == NULL)
        return CL_EINTERNAL;
    while ((rc = cl_db_step(db, st)) == 1) {
        int64_t seq = sqlite3_column_int64(st, 0);
        if (seq != expect) {
            *bad_seq = (uint64_t)seq;
            if (expect == 1)
                snprintf(why, whylen,
                         "row %" PRId64 ": the log starts here, not at row 1 (rows removed?)", seq);
            else
                snprintf(why, whylen,
                         "row %" PRId64 ": follows row %" PRId64 " (rows in between removed?)", seq,
                         expect - 1);
            rc = CL_ECORRUPT;
            goto out;
        }
        audit_row_t row = {
            .seq = (uint64_t)seq,
            .time = sqlite3_column_int64(st, 1),
            .username = column_text(st, 2),
            .workstation = column_text(st, 3),
            .action = column_text(st, 4),
            .entity = column_text(st, 5),
            .entity_id = (uint64_t)sqlite3_column_int64(st, 6),
        };
        char hash[HASH_HEX + 1];
        row_hash(prev, strlen(prev), &row, hash);
        const char *stored = cl_db_text(st, 7);
        if (strcmp(hash, stored) != 0) {
            *bad_seq = (uint64_t)seq;
            snprintf(why, whylen, "row %" PRId64 ": hash does not match its contents (edited?)",
                     seq);
            rc = CL_ECORRUPT;
            goto out;
        }
        memcpy(prev, hash, sizeof(prev));
        count++;
        expect++;
    }
    if (rc == 0)
        *rows = count;
out:
    sqlite3_reset(st);
    return rc;
}
