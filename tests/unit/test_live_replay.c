/* Live data: subscribing checks topic names and permissions, and replays exactly the changes
 * after since_seq for the topics and the caller's scope, in order; or says resync when the feed
 * was trimmed past since_seq or more than CL_REPLAY_MAX changes were missed. */
#include "domain_fixture.h"
#include "topics.h"

/* `topics` is a comma-separated list ("inbox,users"). */
static cl_job_t *subscribe(fx_t *fx, const cl_identity_t *who, const char *topics,
                           uint64_t since_seq)
{
    char buf[512], *names[32];
    Clinic__SubscribeRequest s = CLINIC__SUBSCRIBE_REQUEST__INIT;
    s.n_topics = fx_split(buf, sizeof(buf), topics, names, CL_ARRAY_SIZE(names));
    s.topics = names;
    s.since_seq = since_seq;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_SUBSCRIBE, &s);
}

/* The missed events of a successful subscribe, as "seq:topic:entity_id" joined by ",". */
static const char *missed(const cl_job_t *job, char *buf, size_t len)
{
    ASSERT_OK(job->status);
    const Clinic__SubscribeReply *r = job->resp.subscribe;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_missed && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%" PRIu64 ":%s:%" PRIu64, i ? "," : "",
                                 r->missed[i]->seq, r->missed[i]->topic, r->missed[i]->entity_id);
    return buf;
}

typedef struct {
    fx_t fx;
    int64_t root_id, bob_id;
    cl_identity_t root, bob;
} feed_t;

/* root (admin) and bob (clinician), and a feed of 8 changes:
 *   1 users/1   2 inbox/10 for root   3 inbox/11 for bob   4 users/2
 *   5 inbox/12 for root   6 inbox/13 for bob   7 users/3   8 inbox/14 for root */
static void feed_open(feed_t *f)
{
    fx_open(&f->fx);
    f->root_id = fx_user(&f->fx, "root", CL_ROLE_admin);
    f->bob_id = fx_user(&f->fx, "bob", CL_ROLE_clinician);
    f->root = fx_who(&f->fx, "root");
    f->bob = fx_who(&f->fx, "bob");
    const struct {
        const char *topic;
        uint64_t id;
        int64_t scope;
    } rows[] = {
        {"users", 1, 0}, {"inbox", 10, f->root_id}, {"inbox", 11, f->bob_id},
        {"users", 2, 0}, {"inbox", 12, f->root_id}, {"inbox", 13, f->bob_id},
        {"users", 3, 0}, {"inbox", 14, f->root_id},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(rows); i++) {
        const char *entity = strcmp(rows[i].topic, "users") == 0 ? "user" : "message";
        ASSERT_EQ(fx_change(&f->fx, rows[i].topic, entity, rows[i].id, CLINIC__CHANGE_OP__CREATED,
                            rows[i].scope),
                  i + 1);
    }
}

CL_TEST(subscribe_replays_topics_and_scope_in_order)
{
    feed_t f;
    feed_open(&f);
    char buf[512];
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox,users", 2);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_SUBSCRIBE);
    ASSERT_EQ(job->resp.subscribe->current_seq, 8);
    ASSERT(!job->resp.subscribe->resync);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "4:users:2,5:inbox:12,7:users:3,8:inbox:14");
    const Clinic__Event *ev = job->resp.subscribe->missed[1];
    ASSERT_STR_EQ(ev->entity, "message");
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);
    ASSERT_EQ(ev->time, f.fx.now - 1);
    ASSERT(!ev->session_expired);
    cl_job_free(job);

    /* bob sees only his own inbox rows. */
    job = subscribe(&f.fx, &f.bob, "inbox", 1);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "3:inbox:11,6:inbox:13");
    cl_job_free(job);

    /* The order of the topics asked does not matter; a repeated topic replays once. */
    job = subscribe(&f.fx, &f.root, "users,inbox,users", 5);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "7:users:3,8:inbox:14");
    cl_job_free(job);
    fx_close(&f.fx);
}

/* Replay delivers what the loop's fan-out would have pushed: a scoped change only to its user,
 * an unscoped one to everyone subscribed, whatever the topic. */
CL_TEST(subscribe_replay_scope_matches_fan_out)
{
    feed_t f;
    feed_open(&f);
    char buf[256];
    fx_change(&f.fx, "inbox", "message", 20, CLINIC__CHANGE_OP__CREATED, 0);
    fx_change(&f.fx, "users", "user", 21, CLINIC__CHANGE_OP__UPDATED, f.bob_id);
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox,users", 8);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "9:inbox:20");
    cl_job_free(job);
    job = subscribe(&f.fx, &f.bob, "inbox", 8);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "9:inbox:20");
    cl_job_free(job);
    fx_close(&f.fx);
}

CL_TEST(subscribe_since_zero_or_current_replays_nothing)
{
    feed_t f;
    feed_open(&f);
    int64_t audit = fx_audit_rows(&f.fx), changes = fx_change_rows(&f.fx);
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox,users", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.subscribe->current_seq, 8);
    ASSERT_EQ(job->resp.subscribe->n_missed, 0);
    ASSERT(!job->resp.subscribe->resync);
    cl_job_free(job);
    job = subscribe(&f.fx, &f.root, "inbox,users", 8);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.subscribe->n_missed, 0);
    ASSERT(!job->resp.subscribe->resync);
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&f.fx), audit);
    ASSERT_EQ(fx_change_rows(&f.fx), changes);
    fx_close(&f.fx);
}

CL_TEST(subscribe_on_empty_feed)
{
    fx_t fx;
    fx_open(&fx);
    fx_user(&fx, "root", CL_ROLE_admin);
    cl_identity_t root = fx_who(&fx, "root");
    cl_job_t *job = subscribe(&fx, &root, "inbox", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.subscribe->current_seq, 0);
    cl_job_free(job);
    job = subscribe(&fx, &root, "inbox", 1);
    FX_ASSERT_FAILED(job, CL_EINVAL, "since_seq");
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(subscribe_since_future_is_invalid)
{
    feed_t f;
    feed_open(&f);
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox", 9);
    FX_ASSERT_FAILED(job, CL_EINVAL, "since_seq");
    ASSERT_STR_CONTAINS(fx_message(job), "newest change 8");
    cl_job_free(job);
    fx_close(&f.fx);
}

CL_TEST(subscribe_resync_when_trimmed)
{
    feed_t f;
    feed_open(&f);
    char buf[256];
    fx_exec(&f.fx, "DELETE FROM changes WHERE seq <= 4");

    /* 5 onwards is all there: since 4 loses nothing. */
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox", 4);
    ASSERT(!job->resp.subscribe->resync);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "5:inbox:12,8:inbox:14");
    cl_job_free(job);

    /* since 3 would need seq 4, which is gone, even though it was not in this topic. */
    job = subscribe(&f.fx, &f.root, "inbox", 3);
    ASSERT_OK(job->status);
    ASSERT(job->resp.subscribe->resync);
    ASSERT_EQ(job->resp.subscribe->n_missed, 0);
    ASSERT_EQ(job->resp.subscribe->current_seq, 8);
    cl_job_free(job);

    job = subscribe(&f.fx, &f.bob, "inbox", 1);
    ASSERT(job->resp.subscribe->resync);
    cl_job_free(job);
    fx_close(&f.fx);
}

CL_TEST(subscribe_resync_when_too_many)
{
    fx_t fx;
    fx_open(&fx);
    int64_t root_id = fx_user(&fx, "root", CL_ROLE_admin);
    int64_t bob_id = fx_user(&fx, "bob", CL_ROLE_clinician);
    cl_identity_t root = fx_who(&fx, "root");
    ASSERT_OK(cl_db_exec(fx.db, "BEGIN"));
    /* seq 1: a start point; then CL_REPLAY_MAX for root's inbox, interleaved with as many for
     * bob, which do not count against root. */
    cl_job_t *scratch = cl_job_new();
    cl_tx_t tx = fx_tx(&fx, scratch);
    ASSERT_OK(cl_tx_change(&tx, "users", "user", 1, CLINIC__CHANGE_OP__CREATED, 0));
    for (int i = 0; i < CL_REPLAY_MAX; i++) {
        ASSERT_OK(cl_tx_change(&tx, "inbox", "message", (uint64_t)i, CLINIC__CHANGE_OP__CREATED,
                               root_id));
        ASSERT_OK(
            cl_tx_change(&tx, "inbox", "message", (uint64_t)i, CLINIC__CHANGE_OP__CREATED, bob_id));
    }
    ASSERT_OK(cl_db_exec(fx.db, "COMMIT"));
    cl_job_free(scratch);

    cl_job_t *job = subscribe(&fx, &root, "inbox", 1);
    ASSERT_OK(job->status);
    ASSERT(!job->resp.subscribe->resync);
    ASSERT_EQ(job->resp.subscribe->n_missed, CL_REPLAY_MAX);
    for (size_t i = 0; i < CL_REPLAY_MAX; i++) {
        ASSERT_EQ(job->resp.subscribe->missed[i]->seq, 2 + 2 * i);
        ASSERT_EQ(job->resp.subscribe->missed[i]->entity_id, i);
    }
    cl_job_free(job);

    /* One more for root, even in another topic, is one too many. */
    fx_change(&fx, "users", "user", 2, CLINIC__CHANGE_OP__UPDATED, 0);
    job = subscribe(&fx, &root, "inbox", 1);
    ASSERT(!job->resp.subscribe->resync);
    cl_job_free(job);
    job = subscribe(&fx, &root, "inbox,users", 1);
    ASSERT_OK(job->status);
    ASSERT(job->resp.subscribe->resync);
    ASSERT_EQ(job->resp.subscribe->n_missed, 0);
    cl_job_free(job);
    fx_close(&fx);
}

CL_TEST(subscribe_validates_topics)
{
    feed_t f;
    feed_open(&f);
    cl_job_t *job = subscribe(&f.fx, &f.root, "inbox,weather", 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "topics");
    ASSERT_STR_CONTAINS(fx_message(job), "weather");
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT__NOT_SET);
    cl_job_free(job);
    job = subscribe(&f.fx, &f.root, "", 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "topics");
    cl_job_free(job);
    job = subscribe(&f.fx, &f.root,
                    "inbox,inbox,inbox,inbox,inbox,inbox,inbox,inbox,inbox,inbox,inbox,inbox,"
                    "inbox,inbox,inbox,inbox,inbox",
                    0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "topics");
    cl_job_free(job);
    fx_close(&f.fx);
}

CL_TEST(subscribe_permission_by_role)
{
    feed_t f;
    feed_open(&f);
    cl_job_t *job = subscribe(&f.fx, &f.bob, "inbox,users", 1);
    FX_ASSERT_FAILED(job, CL_EPERM, "topics");
    ASSERT_STR_CONTAINS(fx_message(job), "users");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(subscribe(&f.fx, &f.bob, "inbox", 0));
    FX_ASSERT_OK_FREE(subscribe(&f.fx, &f.root, "users", 0));
    fx_close(&f.fx);
}

/* The handlers' own changes come back through replay: a message to bob reaches his inbox
 * subscription and nobody else's. */
CL_TEST(subscribe_replays_message_changes)
{
    feed_t f;
    feed_open(&f);
    char buf[256];
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "bob";
    m.body = "chart ready";
    cl_job_t *job = fx_call(&f.fx, &f.root, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.message_send->message->id;
    cl_job_free(job);

    job = subscribe(&f.fx, &f.bob, "inbox", 8);
    char expect[64];
    snprintf(expect, sizeof(expect), "9:inbox:%" PRIu64, id);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), expect);
    cl_job_free(job);
    job = subscribe(&f.fx, &f.root, "inbox", 8);
    ASSERT_STR_EQ(missed(job, buf, sizeof(buf)), "");
    cl_job_free(job);
    fx_close(&f.fx);
}

CL_TEST_MAIN(CL_TEST_ENTRY(subscribe_replays_topics_and_scope_in_order),
             CL_TEST_ENTRY(subscribe_replay_scope_matches_fan_out),
             CL_TEST_ENTRY(subscribe_since_zero_or_current_replays_nothing),
             CL_TEST_ENTRY(subscribe_on_empty_feed),
             CL_TEST_ENTRY(subscribe_since_future_is_invalid),
             CL_TEST_ENTRY(subscribe_resync_when_trimmed),
             CL_TEST_ENTRY(subscribe_resync_when_too_many),
             CL_TEST_ENTRY(subscribe_validates_topics), CL_TEST_ENTRY(subscribe_permission_by_role),
             CL_TEST_ENTRY(subscribe_replays_message_changes))
