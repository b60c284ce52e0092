/* Administration: querying the audit log (itself an audited read) and the store's side of the
 * server's health (database size, last backup, newest change). The loop thread adds the
 * process's side (connections, uptime, CPU, memory) to ServerStatusReply after the job. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "status.h"

enum {
    Q_AUDIT_BY_USER,
    Q_AUDIT_BY_ENTITY_ID,
    Q_AUDIT_BY_ENTITY,
    Q_AUDIT_BY_TIME,
    Q_AUDIT_ALL,
    Q_PAGE_COUNT,
    Q_PAGE_SIZE,
    Q_META,
    Q_CHANGE_SEQ,
    Q__COUNT
};

/* Every audit query takes the same parameters and applies every filter; an empty filter is a
 * predicate that is always true: ?1 username (''), ?2 entity (''), ?3 entity_id (0), ?4 since,
 * ?5 until, ?6 before_seq, ?7 limit. The variants differ only in which filter is written so
 * that an index can serve it, and the handler picks the one for the filters given. A unary +
 * keeps SQLite's planner off an index: in Q_AUDIT_ALL off audit_time, so that the primary key
 * serves the order and the scan stops after `limit` rows; in Q_AUDIT_BY_TIME off the primary
 * key, which it would otherwise walk to avoid the sort, reading every row newer than the window
 * (a window of rows read through audit_time, then sorted, is the smaller cost). Every variant
 * returns its rows in seq order. */
#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, username, workstation, action, entity, entity_id, hash FROM audit WHERE "
#define AUDIT_USER_ANY "(?1 = '' OR username = ?1)"
#define AUDIT_ENTITY_ANY "(?2 = '' OR entity = ?2)"
#define AUDIT_ENTITY_ID_ANY "(?3 = 0 OR entity_id = ?3)"
#define AUDIT_TIME "time >= ?4 AND time <= ?5"
#define AUDIT_PAGE " AND seq < ?6 ORDER BY seq DESC LIMIT ?7"
#define AUDIT_PAGE_SORTED " AND seq < ?6 ORDER BY +seq DESC LIMIT ?7"

static const char *const SQL[Q__COUNT] = {
    /* audit_user (username, seq) */
    [Q_AUDIT_BY_USER] = AUDIT_SELECT "username = ?1 AND " AUDIT_ENTITY_ANY
                                     " AND " AUDIT_ENTITY_ID_ANY " AND " AUDIT_TIME AUDIT_PAGE,
    /* audit_entity (entity, entity_id, seq) */
    [Q_AUDIT_BY_ENTITY_ID] = AUDIT_SELECT "entity = ?2 AND entity_id = ?3 AND " AUDIT_USER_ANY
                                          " AND " AUDIT_TIME AUDIT_PAGE,
    [Q_AUDIT_BY_ENTITY] = AUDIT_SELECT "entity = ?2 AND " AUDIT_USER_ANY " AND " AUDIT_ENTITY_ID_ANY
                                       " AND " AUDIT_TIME AUDIT_PAGE,
    /* audit_time (time, seq) */
    [Q_AUDIT_BY_TIME] = AUDIT_SELECT AUDIT_TIME " AND " AUDIT_USER_ANY " AND " AUDIT_ENTITY_ANY
                                                " AND " AUDIT_ENTITY_ID_ANY AUDIT_PAGE_SORTED,
    [Q_AUDIT_ALL] = AUDIT_SELECT "+time >= ?4 AND +time <= ?5 AND " AUDIT_USER_ANY
                                 " AND " AUDIT_ENTITY_ANY " AND " AUDIT_ENTITY_ID_ANY AUDIT_PAGE,
    [Q_PAGE_COUNT] = "PRAGMA page_count",
    [Q_PAGE_SIZE] = "PRAGMA page_size",
    [Q_META] = "SELECT value FROM meta WHERE key = ?1",
    [Q_CHANGE_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM changes",
};

enum { AUDIT_DEFAULT = 100, AUDIT_MAX = 1000 };

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

const char *cl_admin_audit_sql(const Clinic__AuditQueryRequest *req)
{
    if (req->username[0] != '\0')
        return SQL[Q_AUDIT_BY_USER];
    if (req->entity[0] != '\0')
        return SQL[req->entity_id ? Q_AUDIT_BY_ENTITY_ID : Q_AUDIT_BY_ENTITY];
    if (req->since != 0 || req->until != 0)
        return SQL[Q_AUDIT_BY_TIME];
    return SQL[Q_AUDIT_ALL];
}

static Clinic__AuditRow *audit_row_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__AuditRow *row = CL_ARENA_NEW(a, Clinic__AuditRow);
    clinic__audit_row__init(row);
    row->seq = (uint64_t)sqlite3_column_int64(st, 0);
    row->time = sqlite3_column_int64(st, 1);
    row->username = cl_arena_strdup(a, cl_db_text(st, 2));
    row->workstation = cl_arena_strdup(a, cl_db_text(st, 3));
    row->action = cl_arena_strdup(a, cl_db_text(st, 4));
    row->entity = cl_arena_strdup(a, cl_db_text(st, 5));
    row->entity_id = (uint64_t)sqlite3_column_int64(st, 6);
    row->hash = cl_arena_strdup(a, cl_db_text(st, 7));
    return row;
}

/* Audit rows matching every filter given, newest first. The query appends its own row after
 * reading, so a page never shows the query that fetched it. */
int cl_handle_audit_query(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AuditQueryRequest *req = job->req->audit_query;
    uint32_t limit = req->limit ? req->limit : AUDIT_DEFAULT;
    int rc = 0;

    if (limit > AUDIT_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit is at most 1000");
    if (req->entity_id != 0 && req->entity[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "entity_id",
                           "entity_id needs entity: ids are per entity");
    if (req->since < 0)
        return cl_job_fail(job, CL_EINVAL, "since", "since is before 1970");
    if (req->until < 0)
        return cl_job_fail(job, CL_EINVAL, "until", "until is before 1970");
    if (req->until != 0 && req->until < req->since)
        return cl_job_fail(job, CL_EINVAL, "until", "until is before since");
    if (req->entity_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "entity_id", "entity_id is out of range");

    Clinic__AuditQueryReply *reply = CL_ARENA_NEW(&job->arena, Clinic__AuditQueryReply);
    clinic__audit_query_reply__init(reply);
    reply->rows = cl_arena_alloc(&job->arena, limit * sizeof(*reply->rows));
    sqlite3_stmt *st = cl_db_stmt(tx->db, cl_admin_audit_sql(req));
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, req->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, req->entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)req->entity_id);
    sqlite3_bind_int64(st, 4, req->since);
    sqlite3_bind_int64(st, 5, req->until ? req->until : INT64_MAX);
    sqlite3_bind_int64(st, 6,
                       req->before_seq && req->before_seq <= INT64_MAX ? (int64_t)req->before_seq
                                                                       : INT64_MAX);
    sqlite3_bind_int64(st, 7, limit);
    while (reply->n_rows < limit && (rc = cl_db_step(tx->db, st)) == 1)
        reply->rows[reply->n_rows++] = audit_row_from_row(&job->arena, st);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "audit.query", "audit", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_AUDIT_QUERY;
    job->resp.audit_query = reply;
    return 0;
}

/* Runs statement `q`, which takes no parameters and gives one integer. */
static int scalar(cl_tx_t *tx, int q, int64_t *out)
{
    sqlite3_stmt *st = stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(tx->db, st);
    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* meta's last_backup_at (written by the backup command as decimal seconds), or 0. */
static int last_backup_at(cl_tx_t *tx, int64_t *out)
{
    sqlite3_stmt *st = stmt(tx, Q_META);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, "last_backup_at", -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    *out = 0;
    if (rc == 1) {
        const char *text = cl_db_text(st, 0);
        char *end;
        long long v = strtoll(text, &end, 10);
        if (end != text && *end == '\0' && v > 0)
            *out = v;
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

int cl_handle_server_status(cl_tx_t *tx, cl_job_t *job)
{
    int64_t pages, page_size, backup, seq;
    int rc;

    if ((rc = scalar(tx, Q_PAGE_COUNT, &pages)) < 0 ||
        (rc = scalar(tx, Q_PAGE_SIZE, &page_size)) < 0 || (rc = last_backup_at(tx, &backup)) < 0 ||
        (rc = scalar(tx, Q_CHANGE_SEQ, &seq)) < 0)
        return rc;

    Clinic__ServerStatusReply *reply = CL_JOB_REPLY(job, Clinic__ServerStatusReply);
    reply->server_version = CLINIC_VERSION;
    reply->db_size_bytes = (uint64_t)(pages * page_size);
    reply->last_backup_at = backup;
    reply->change_seq = (uint64_t)seq;
    return 0;
}
