/* Messages among doctors, nurses and staff: sending to a user, a role or everyone, the inbox,
 * and reading a message. Each recipient gets a message_recipients row and an "inbox" change
 * scoped to them; only recipients ever see a message. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "status.h"
#include "topics.h"

enum {
    Q_USER_BY_NAME,
    Q_ACTIVE_USERS,
    Q_MESSAGE_INSERT,
    Q_RECIPIENT_INSERT,
    Q_INBOX_PAGE,
    Q_INBOX_ONE,
    Q_MARK_READ,
    Q__COUNT
};

/* The columns message_from_row() reads, in this order; `r` is the reader's recipient row. */
#define INBOX_COLUMNS "m.id, s.username, m.addressed_to, m.body, m.sent_at, r.read_at"
#define INBOX_FROM                                                                                 \
    "message_recipients r JOIN messages m ON m.id = r.message_id "                                 \
    "JOIN users s ON s.id = m.sender_id"

static const char *const SQL[Q__COUNT] = {
    [Q_USER_BY_NAME] = "SELECT id, disabled FROM users WHERE username = ?1",
    /* ?1 = 0 addresses every role. A clinic has tens of users: a scan is the cheapest plan. */
    [Q_ACTIVE_USERS] = "SELECT id FROM users WHERE disabled = 0 AND (?1 = 0 OR (roles & ?1) <> 0) "
                       "AND id <> ?2 ORDER BY id",
    [Q_MESSAGE_INSERT] = "INSERT INTO messages (sender_id, addressed_to, body, sent_at) "
                         "VALUES (?1, ?2, ?3, ?4) RETURNING id",
    [Q_RECIPIENT_INSERT] = "INSERT INTO message_recipients (message_id, user_id, read_at) "
                           "VALUES (?1, ?2, 0)",
    /* message_recipients_user (user_id, message_id) serves the range and the order. */
    [Q_INBOX_PAGE] = "SELECT " INBOX_COLUMNS " FROM " INBOX_FROM " WHERE r.user_id = ?1 "
                     "AND r.message_id < ?2 AND (?3 = 0 OR r.read_at = 0) "
                     "ORDER BY r.message_id DESC LIMIT ?4",
    [Q_INBOX_ONE] = "SELECT " INBOX_COLUMNS " FROM " INBOX_FROM " WHERE r.message_id = ?1 "
                    "AND r.user_id = ?2",
    [Q_MARK_READ] = "UPDATE message_recipients SET read_at = ?3 "
                    "WHERE message_id = ?1 AND user_id = ?2 AND read_at = 0",
};

enum {
    BODY_MAX = 4000,
    TO_MAX = 64, /* "role:" and the longest role name, or a username, fit well within */
    LIST_DEFAULT = 50,
    LIST_MAX = 500,
};

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

/* Reads the INBOX_COLUMNS of the current row into a new Message in the arena. */
static Clinic__Message *message_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Message *m = CL_ARENA_NEW(a, Clinic__Message);
    clinic__message__init(m);
    m->id = (uint64_t)sqlite3_column_int64(st, 0);
    m->sender = cl_arena_strdup(a, cl_db_text(st, 1));
    m->to = cl_arena_strdup(a, cl_db_text(st, 2));
    m->body = cl_arena_strdup(a, cl_db_text(st, 3));
    m->sent_at = sqlite3_column_int64(st, 4);
    m->read_at = sqlite3_column_int64(st, 5);
    return m;
}

/* Who a message goes to: the form stored and echoed ("all", "role:<role>" or a username), and
 * the active users it reaches. */
typedef struct {
    const char *addressed; /* in the job's arena */
    int64_t *users;        /* in the job's arena */
    size_t n_users;
} recipients_t;

/* The active users with any of `roles` (0: every active user) other than the sender. */
static int recipients_by_role(cl_tx_t *tx, uint32_t roles, recipients_t *out)
{
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_ACTIVE_USERS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, roles);
    sqlite3_bind_int64(st, 2, tx->job->who.user_id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, out->users, out->n_users, cap);
        out->users[out->n_users++] = sqlite3_column_int64(st, 0);
    }
    return rc;
}

/* Resolves `to`: "all", "role:<role>" or a role name, else a username. A username is only
 * sent to directly, and then it may be the sender's own; role and "all" leave the sender out.
 * Fails the job on "to" for an unknown name, a disabled user or nobody to deliver to. */
static int recipients_resolve(cl_tx_t *tx, const char *to, recipients_t *out)
{
    cl_job_t *job = tx->job;
    char msg[160];
    int rc;

    memset(out, 0, sizeof(*out));
    if (to[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "to", "to is required: a username, a role or \"all\"");
    if (strlen(to) > TO_MAX)
        return cl_job_fail(job, CL_EINVAL, "to", "to is longer than 64 bytes");

    const char *role = strncmp(to, "role:", 5) == 0 ? to + 5 : to;
    uint32_t bit = cl_role_from_name(role);
    if (strcmp(to, "all") == 0 || bit != 0) {
        if (bit) {
            size_t n = strlen(role);
            char *addressed = cl_arena_alloc(&job->arena, 5 + n + 1);
            memcpy(addressed, "role:", 5);
            memcpy(addressed + 5, role, n + 1);
            out->addressed = addressed;
        } else {
            out->addressed = "all";
        }
        if ((rc = recipients_by_role(tx, bit, out)) < 0)
            return rc;
        if (out->n_users == 0) {
            snprintf(msg, sizeof(msg), "nobody else active is in %s", out->addressed);
            return cl_job_fail(job, CL_EPRECOND, "to", msg);
        }
        return 0;
    }
    if (role != to) {
        snprintf(msg, sizeof(msg), "no role named %s", role);
        return cl_job_fail(job, CL_ENOTFOUND, "to", msg);
    }

    sqlite3_stmt *st = stmt(tx, Q_USER_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    int disabled = rc == 1 ? sqlite3_column_int(st, 1) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(msg, sizeof(msg), "no user or role named %s", to);
        return cl_job_fail(job, CL_ENOTFOUND, "to", msg);
    }
    if (disabled) {
        snprintf(msg, sizeof(msg), "user %s is disabled", to);
        return cl_job_fail(job, CL_EPRECOND, "to", msg);
    }
    out->addressed = cl_arena_strdup(&job->arena, to);
    out->users = CL_ARENA_NEW(&job->arena, int64_t);
    out->users[0] = id;
    out->n_users = 1;
    return 0;
}

int cl_handle_message_send(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__MessageSendRequest *req = job->req->message_send;
    recipients_t to;
    int rc;

    size_t body_len = strlen(req->body);
    if (body_len == 0)
        return cl_job_fail(job, CL_EINVAL, "body", "body is empty");
    if (body_len > BODY_MAX)
        return cl_job_fail(job, CL_EINVAL, "body", "body is longer than 4000 bytes");
    if (!cl_utf8_valid(req->body, body_len))
        return cl_job_fail(job, CL_EINVAL, "body", "body is not valid UTF-8");
    if ((rc = recipients_resolve(tx, req->to, &to)) < 0)
        return rc;

    sqlite3_stmt *st = stmt(tx, Q_MESSAGE_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, job->who.user_id);
    sqlite3_bind_text(st, 2, to.addressed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, req->body, (int)body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tx->now);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;

    for (size_t i = 0; i < to.n_users; i++) {
        if ((st = stmt(tx, Q_RECIPIENT_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, to.users[i]);
        if ((rc = cl_db_step(tx->db, st)) < 0)
            return rc;
        if ((rc = cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "message", (uint64_t)id,
                               CLINIC__CHANGE_OP__CREATED, to.users[i])) < 0)
            return rc;
    }
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "message.send", "message",
                              (uint64_t)id)) < 0)
        return rc;

    Clinic__Message *m = CL_ARENA_NEW(&job->arena, Clinic__Message);
    clinic__message__init(m);
    m->id = (uint64_t)id;
    m->sender = cl_arena_strdup(&job->arena, job->who.username);
    m->to = (char *)to.addressed;
    m->body = cl_arena_strndup(&job->arena, req->body, body_len);
    m->sent_at = tx->now;
    Clinic__MessageSendReply *reply = CL_JOB_REPLY(job, Clinic__MessageSendReply);
    reply->message = m;
    reply->recipients = (uint32_t)to.n_users;
    return 0;
}

/* The caller's inbox, newest first, a page at a time (before_id), optionally unread only. */
int cl_handle_message_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__MessageListRequest *req = job->req->message_list;
    uint32_t limit = req->limit ? req->limit : LIST_DEFAULT;
    int rc = 0;

    if (limit > LIST_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit is at most 500");
    int64_t before =
        req->before_id == 0 || req->before_id > INT64_MAX ? INT64_MAX : (int64_t)req->before_id;

    Clinic__MessageListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__MessageListReply);
    clinic__message_list_reply__init(reply);
    reply->messages = cl_arena_alloc(&job->arena, limit * sizeof(*reply->messages));
    sqlite3_stmt *st = stmt(tx, Q_INBOX_PAGE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, job->who.user_id);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int(st, 3, req->unread_only ? 1 : 0);
    sqlite3_bind_int64(st, 4, limit);
    while (reply->n_messages < limit && (rc = cl_db_step(tx->db, st)) == 1)
        reply->messages[reply->n_messages++] = message_from_row(&job->arena, st);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "message.list", "message", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_MESSAGE_LIST;
    job->resp.message_list = reply;
    return 0;
}

/* One message of the caller's inbox; the first read records read_at and tells the reader's
 * other workstations (an "inbox" change scoped to them). */
int cl_handle_message_read(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__MessageReadRequest *req = job->req->message_read;
    int rc;

    if (req->id == 0 || req->id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "id", "id is required");
    sqlite3_stmt *st = stmt(tx, Q_INBOX_ONE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_int64(st, 2, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    Clinic__Message *m = rc == 1 ? message_from_row(&job->arena, st) : NULL;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    /* Not a recipient reads the same as no such message: ids of others' messages stay hidden. */
    if (m == NULL) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no message %" PRIu64 " in your inbox", req->id);
        return cl_job_fail(job, CL_ENOTFOUND, "id", msg);
    }

    if (m->read_at == 0) {
        if ((st = stmt(tx, Q_MARK_READ)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)m->id);
        sqlite3_bind_int64(st, 2, job->who.user_id);
        sqlite3_bind_int64(st, 3, tx->now);
        if ((rc = cl_db_step(tx->db, st)) < 0)
            return rc;
        if ((rc = cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "message", m->id,
                               CLINIC__CHANGE_OP__UPDATED, job->who.user_id)) < 0)
            return rc;
        m->read_at = tx->now;
    }
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "message.read", "message", m->id)) < 0)
        return rc;

    Clinic__MessageReadReply *reply = CL_JOB_REPLY(job, Clinic__MessageReadReply);
    reply->message = m;
    return 0;
}
