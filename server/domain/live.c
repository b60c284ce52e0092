/* Live data: the store's half of SubscribeRequest. It checks the topics and the caller's right to
 * each, and replays the changes the client missed since the seq it last saw, or tells it to
 * resync when those were trimmed from the feed or are too many. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_int.h"
#include "handlers.h"
#include "status.h"
#include "topics.h"

enum { Q_NEWEST_SEQ, Q_OLDEST_SEQ, Q_REPLAY, Q_FEED_ID, Q__COUNT };

/* The feed's primary key serves every query here; a replay reads forward from since_seq. A
 * replayed change goes to whom the loop's fan-out would have pushed it: scope_user 0 is
 * everyone subscribed to the topic, any other only that user (every inbox change is scoped). */
static const char *const SQL[Q__COUNT] = {
    [Q_NEWEST_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM changes",
    [Q_OLDEST_SEQ] = "SELECT COALESCE(MIN(seq), 0) FROM changes",
    /* Written by `clinicd init` and anew by `clinicd restore`. */
    [Q_FEED_ID] = "SELECT value FROM meta WHERE key = 'feed_id'",
    [Q_REPLAY] = "SELECT seq, entity, entity_id, op, time FROM changes WHERE topic = ?1 "
                 "AND seq > ?2 AND (scope_user = 0 OR scope_user = ?4) ORDER BY seq LIMIT ?3",
};

enum { TOPICS_MAX = 16 };

static int scalar(cl_tx_t *tx, int q, uint64_t *out)
{
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[q]);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(tx->db, st);
    *out = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

static int event_seq_cmp(const void *a, const void *b)
{
    uint64_t x = (*(Clinic__Event *const *)a)->seq, y = (*(Clinic__Event *const *)b)->seq;
    return x < y ? -1 : x > y;
}

/* Appends the caller's changes of `topic` after `since` to reply->missed, at most `room`. */
static int replay_topic(cl_tx_t *tx, cl_topic_t topic, uint64_t since, size_t room,
                        Clinic__SubscribeReply *reply, size_t *cap)
{
    cl_arena_t *a = &tx->job->arena;
    int rc;

    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_REPLAY]);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, cl_topic_name(topic), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)since);
    sqlite3_bind_int64(st, 3, (int64_t)room);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__Event *ev = CL_ARENA_NEW(a, Clinic__Event);
        clinic__event__init(ev);
        ev->seq = (uint64_t)sqlite3_column_int64(st, 0);
        ev->topic = (char *)cl_topic_name(topic);
        ev->entity = cl_arena_strdup(a, cl_db_text(st, 1));
        ev->entity_id = (uint64_t)sqlite3_column_int64(st, 2);
        ev->op = (Clinic__ChangeOp)sqlite3_column_int(st, 3);
        ev->time = sqlite3_column_int64(st, 4);
        CL_ARENA_RESERVE(a, reply->missed, reply->n_missed, *cap);
        reply->missed[reply->n_missed++] = ev;
    }
    return rc;
}

/* Fills reply->missed with the changes after `since` for `topics`, in seq order, or sets
 * resync when some of them were trimmed or there are more than CL_REPLAY_MAX. */
static int replay(cl_tx_t *tx, const cl_topic_t *topics, size_t n_topics, uint64_t since,
                  Clinic__SubscribeReply *reply)
{
    uint64_t oldest;
    size_t cap = 0;
    int rc;

    if ((rc = scalar(tx, Q_OLDEST_SEQ, &oldest)) < 0)
        return rc;
    /* The feed has no gaps, so a first row past since + 1 means the ones between are gone. */
    if (oldest > since + 1) {
        reply->resync = 1;
        return 0;
    }
    /* One query per topic, each limited to what still fits under CL_REPLAY_MAX + 1, then one
     * sort: topics are few and a change belongs to one topic, so no seq comes twice. */
    for (size_t i = 0; i < n_topics; i++) {
        size_t room = CL_REPLAY_MAX + 1 - reply->n_missed;
        if ((rc = replay_topic(tx, topics[i], since, room, reply, &cap)) < 0)
            return rc;
        if (reply->n_missed > CL_REPLAY_MAX) {
            reply->resync = 1;
            reply->n_missed = 0;
            reply->missed = NULL;
            return 0;
        }
    }
    if (reply->n_missed > 1)
        qsort(reply->missed, reply->n_missed, sizeof(*reply->missed), event_seq_cmp);
    return 0;
}

int cl_handle_subscribe(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SubscribeRequest *req = job->req->subscribe;
    cl_topic_t topics[TOPICS_MAX];
    size_t n_topics = 0;
    char msg[128];
    int rc;

    if (req->n_topics == 0)
        return cl_job_fail(job, CL_EINVAL, "topics", "at least one topic is required");
    if (req->n_topics > TOPICS_MAX)
        return cl_job_fail(job, CL_EINVAL, "topics", "at most 16 topics at once");
    for (size_t i = 0; i < req->n_topics; i++) {
        int t = cl_topic_find(req->topics[i]);
        if (t < 0) {
            snprintf(msg, sizeof(msg), "unknown topic \"%.32s\"", req->topics[i]);
            return cl_job_fail(job, CL_EINVAL, "topics", msg);
        }
        if (!cl_auth_allowed(job->who.roles, cl_topic_perm((cl_topic_t)t))) {
            snprintf(msg, sizeof(msg), "topic %s needs the %s permission",
                     cl_topic_name((cl_topic_t)t), cl_perm_name(cl_topic_perm((cl_topic_t)t)));
            return cl_job_fail(job, CL_EPERM, "topics", msg);
        }
        size_t j = 0;
        while (j < n_topics && topics[j] != (cl_topic_t)t)
            j++;
        if (j == n_topics)
            topics[n_topics++] = (cl_topic_t)t;
    }

    Clinic__SubscribeReply *reply = CL_ARENA_NEW(&job->arena, Clinic__SubscribeReply);
    clinic__subscribe_reply__init(reply);
    if ((rc = scalar(tx, Q_NEWEST_SEQ, &reply->current_seq)) < 0)
        return rc;
    sqlite3_stmt *st = cl_db_stmt(tx->db, SQL[Q_FEED_ID]);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    reply->feed_id = cl_arena_strdup(&job->arena, rc == 1 ? cl_db_text(st, 0) : "");
    sqlite3_reset(st);
    if (req->feed_id[0] && strcmp(req->feed_id, reply->feed_id) != 0) {
        /* The client's position is in another feed (a restore replaced the database): its
         * since_seq means nothing here, whatever its number. */
        reply->resync = 1;
        job->resp.result_case = CLINIC__RESPONSE__RESULT_SUBSCRIBE;
        job->resp.subscribe = reply;
        return 0;
    }
    if (req->since_seq > reply->current_seq) {
        snprintf(msg, sizeof(msg), "since_seq %" PRIu64 " is newer than the newest change %" PRIu64,
                 req->since_seq, reply->current_seq);
        return cl_job_fail(job, CL_EINVAL, "since_seq", msg);
    }
    if ((req->since_seq != 0 || req->replay) && req->since_seq < reply->current_seq &&
        (rc = replay(tx, topics, n_topics, req->since_seq, reply)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SUBSCRIBE;
    job->resp.subscribe = reply;
    return 0;
}
