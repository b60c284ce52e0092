/* Live data against a real clinicd: messages reach their recipients as events the moment they
 * commit, and a subscriber that reconnects catches up from its last seq without losing or
 * repeating one. */
#include "harness.h"

static uint64_t send_message(cl_sync_t *s, const char *to, const char *body, uint32_t *recipients)
{
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = (char *)to;
    m.body = (char *)body;
    const Clinic__Response *resp = harness_send_ok(s, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m);
    if (recipients)
        *recipients = resp->message_send->recipients;
    return resp->message_send->message->id;
}

static const Clinic__SubscribeReply *subscribe_replay(cl_sync_t *s, const char *topic,
                                                      uint64_t since, int replay)
{
    char *topics[] = {(char *)topic};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    sub.since_seq = since;
    sub.replay = replay;
    return harness_send_ok(s, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub)->subscribe;
}

static const Clinic__SubscribeReply *subscribe(cl_sync_t *s, const char *topic, uint64_t since)
{
    return subscribe_replay(s, topic, since, 0);
}

CL_TEST(message_reaches_subscribed_recipient_live)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    harness_add_user(&h, "drlee", "clinician");
    cl_sync_t *nurse = harness_login(&h, "nurse");
    cl_sync_t *drlee = harness_login(&h, "drlee");
    subscribe(nurse, "inbox", 0);

    double t0 = harness_ms();
    uint64_t id = send_message(drlee, "nurse", "Room 3 is ready for the next patient.", NULL);
    const Clinic__Event *ev = harness_next_event(nurse, 2000);
    double latency = harness_ms() - t0;
    ASSERT_STR_EQ(ev->topic, "inbox");
    ASSERT_STR_EQ(ev->entity, "message");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);
    ASSERT_GT(ev->seq, 0);
    ASSERT_LT(latency, 1000);

    Clinic__MessageReadRequest r = CLINIC__MESSAGE_READ_REQUEST__INIT;
    r.id = id;
    const Clinic__Response *resp = harness_send_ok(nurse, CLINIC__REQUEST__BODY_MESSAGE_READ, &r);
    ASSERT_STR_EQ(resp->message_read->message->body, "Room 3 is ready for the next patient.");
    ASSERT_STR_EQ(resp->message_read->message->sender, "drlee");
    ASSERT_GT(resp->message_read->message->read_at, 0);
    /* The sender is no recipient: the message is not theirs to read. */
    ASSERT_EQ(harness_send(drlee, CLINIC__REQUEST__BODY_MESSAGE_READ, &r, &resp), CL_ENOTFOUND);
    cl_sync_close(nurse);
    cl_sync_close(drlee);
    harness_stop(&h);
}

CL_TEST(role_and_all_reach_exactly_their_recipients)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    harness_add_user(&h, "drlee", "clinician");
    harness_add_user(&h, "frontdesk", "front_desk");
    cl_sync_t *nurse = harness_login(&h, "nurse");
    cl_sync_t *fd = harness_login(&h, "frontdesk");
    cl_sync_t *admin = harness_login(&h, "admin");
    subscribe(nurse, "inbox", 0);
    subscribe(fd, "inbox", 0);

    uint32_t n = 0;
    send_message(admin, "clinician", "Flu shots arrive at noon.", &n);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(harness_next_event(nurse, 2000)->entity, "message");
    harness_expect_no_event(fd, 300);

    send_message(admin, "all", "Fire drill at 3 pm.", &n);
    ASSERT_EQ(n, 3); /* everyone but the sender */
    harness_next_event(nurse, 2000);
    harness_next_event(fd, 2000);

    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "nosuchuser";
    m.body = "hello";
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(admin, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp), CL_ENOTFOUND);
    cl_sync_close(nurse);
    cl_sync_close(fd);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(reconnect_catches_up_without_loss_or_repeat)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    cl_sync_t *nurse = harness_login(&h, "nurse");
    subscribe(nurse, "inbox", 0);
    uint64_t first = send_message(admin, "nurse", "one", NULL);
    const Clinic__Event *ev = harness_next_event(nurse, 2000);
    ASSERT_EQ(ev->entity_id, first);
    uint64_t last_seq = ev->seq;
    cl_sync_close(nurse); /* the connection is lost */

    uint64_t missed[3];
    missed[0] = send_message(admin, "nurse", "two", NULL);
    missed[1] = send_message(admin, "nurse", "three", NULL);
    missed[2] = send_message(admin, "nurse", "four", NULL);

    nurse = harness_login(&h, "nurse");
    const Clinic__SubscribeReply *sub = subscribe(nurse, "inbox", last_seq);
    ASSERT(!sub->resync);
    ASSERT_EQ(sub->n_missed, 3);
    uint64_t seq = last_seq;
    for (size_t i = 0; i < 3; i++) {
        ASSERT_EQ(sub->missed[i]->entity_id, missed[i]);
        ASSERT_GT(sub->missed[i]->seq, seq);
        seq = sub->missed[i]->seq;
    }
    ASSERT_EQ(sub->current_seq, seq);
    /* The next one comes live, once. */
    uint64_t fifth = send_message(admin, "nurse", "five", NULL);
    ev = harness_next_event(nurse, 2000);
    ASSERT_EQ(ev->entity_id, fifth);
    ASSERT_GT(ev->seq, seq);
    harness_expect_no_event(nurse, 300);
    cl_sync_close(nurse);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(unknown_topic_names_the_field)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *admin = harness_login(&h, "admin");
    char *topics[] = {"gossip"};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(admin, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp), CL_EINVAL);
    ASSERT_EQ(resp->status->n_fields, 1);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "topics");
    ASSERT_STR_CONTAINS(resp->status->message, "gossip");
    /* Unsubscribe is answered on the loop, not by a handler: it names the field too. */
    Clinic__UnsubscribeRequest unsub = CLINIC__UNSUBSCRIBE_REQUEST__INIT;
    unsub.n_topics = 1;
    unsub.topics = topics;
    ASSERT_EQ(harness_send(admin, CLINIC__REQUEST__BODY_UNSUBSCRIBE, &unsub, &resp), CL_EINVAL);
    ASSERT_EQ(resp->status->n_fields, 1);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "topics");
    ASSERT_STR_CONTAINS(resp->status->message, "gossip");
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(user_changes_reach_admins_watching_users)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *watcher = harness_login(&h, "admin");
    cl_sync_t *admin = harness_login(&h, "admin");
    subscribe(watcher, "users", 0);
    char *roles[] = {"scheduler"};
    Clinic__UserAddRequest add = CLINIC__USER_ADD_REQUEST__INIT;
    add.username = "sam";
    add.full_name = "Sam Scheduler";
    add.n_roles = 1;
    add.roles = roles;
    add.password = "a-long-enough-password";
    uint64_t id = harness_send_ok(admin, CLINIC__REQUEST__BODY_USER_ADD, &add)->user_add->user->id;
    const Clinic__Event *ev = harness_next_event(watcher, 2000);
    ASSERT_STR_EQ(ev->topic, "users");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);
    /* The new user can log in with the password the admin set. */
    cl_sync_t *sam = harness_connect(&h);
    const Clinic__LoginReply *lr;
    char err[256];
    ASSERT_OK(cl_sync_login(sam, "sam", "a-long-enough-password", &lr, err, sizeof(err)));
    cl_sync_close(sam);
    cl_sync_close(watcher);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(catch_up_from_an_empty_feed)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    cl_sync_t *nurse = harness_login(&h, "nurse");
    /* Nothing has changed yet: the position is 0, a real one. */
    const Clinic__SubscribeReply *sub = subscribe(nurse, "inbox", 0);
    ASSERT_EQ(sub->current_seq, 0);
    cl_sync_close(nurse);
    uint64_t a = send_message(admin, "nurse", "first", NULL);
    uint64_t b = send_message(admin, "nurse", "second", NULL);
    nurse = harness_login(&h, "nurse");
    sub = subscribe_replay(nurse, "inbox", 0, 1);
    ASSERT(!sub->resync);
    ASSERT_EQ(sub->n_missed, 2);
    ASSERT_EQ(sub->missed[0]->entity_id, a);
    ASSERT_EQ(sub->missed[1]->entity_id, b);
    /* Without replay, 0 means from now on. */
    cl_sync_t *other = harness_login(&h, "nurse");
    ASSERT_EQ(subscribe(other, "inbox", 0)->n_missed, 0);
    cl_sync_close(other);
    cl_sync_close(nurse);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(logout_ends_every_connection_of_the_session)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *cli = harness_connect(&h);
    const Clinic__LoginReply *lr;
    char err[256];
    ASSERT_OK(cl_sync_login(cli, "admin", TEST_PASSWORD, &lr, err, sizeof(err)));
    char token[65];
    snprintf(token, sizeof(token), "%s", lr->token);
    cl_sync_t *watch = harness_connect(&h);
    ASSERT_OK(cl_sync_resume(watch, token, &lr, err, sizeof(err)));
    subscribe(watch, "inbox", 0);
    Clinic__LogoutRequest lo = CLINIC__LOGOUT_REQUEST__INIT;
    harness_send_ok(cli, CLINIC__REQUEST__BODY_LOGOUT, &lo);
    const Clinic__Event *ev = harness_next_event(watch, 2000);
    ASSERT(ev->session_expired);
    cl_sync_close(watch);
    cl_sync_close(cli);
    harness_stop(&h);
}

CL_TEST(a_restored_database_is_another_feed)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    send_message(admin, "nurse", "before the backup", NULL);
    char out[4096], file[300];
    snprintf(file, sizeof(file), "%s/backup.db", h.dir);
    char *backup[] = {(char *)harness_clinicd(), "backup", "--data", h.data, "--to", file, NULL};
    ASSERT_OK(harness_run(backup, out, sizeof(out)));
    /* The watcher goes on after the backup and remembers where it stands. */
    cl_sync_t *nurse = harness_login(&h, "nurse");
    const Clinic__SubscribeReply *sub = subscribe(nurse, "inbox", 0);
    char feed[64];
    snprintf(feed, sizeof(feed), "%s", sub->feed_id);
    ASSERT_EQ(strlen(feed), 16);
    for (int i = 0; i < 3; i++)
        send_message(admin, "nurse", "after the backup", NULL);
    uint64_t last = 0;
    for (int i = 0; i < 3; i++)
        last = harness_next_event(nurse, 2000)->seq;
    cl_sync_close(nurse);
    cl_sync_close(admin);

    /* Restore the backup: the feed's seqs go back, and new writes reuse them. */
    harness_sigterm(&h);
    char *restore[] = {
        (char *)harness_clinicd(), "restore", "--data", h.data, "--from", file, NULL};
    int rc = harness_run(restore, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("restore: %d: %s", rc, out);
    harness_serve(&h);
    admin = harness_login(&h, "admin");
    for (int i = 0; i < 5; i++)
        send_message(admin, "nurse", "after the restore", NULL);
    nurse = harness_login(&h, "nurse");
    char *topics[] = {"inbox"};
    Clinic__SubscribeRequest s = CLINIC__SUBSCRIBE_REQUEST__INIT;
    s.n_topics = 1;
    s.topics = topics;
    s.since_seq = last;
    s.replay = 1;
    s.feed_id = feed;
    const Clinic__SubscribeReply *r =
        harness_send_ok(nurse, CLINIC__REQUEST__BODY_SUBSCRIBE, &s)->subscribe;
    /* Without the feed id the old seq would silently skip the new messages. */
    ASSERT(r->resync);
    ASSERT(strcmp(r->feed_id, feed) != 0);
    cl_sync_close(nurse);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(a_restored_database_is_another_feed),
             CL_TEST_ENTRY(catch_up_from_an_empty_feed),
             CL_TEST_ENTRY(logout_ends_every_connection_of_the_session),
             CL_TEST_ENTRY(message_reaches_subscribed_recipient_live),
             CL_TEST_ENTRY(role_and_all_reach_exactly_their_recipients),
             CL_TEST_ENTRY(reconnect_catches_up_without_loss_or_repeat),
             CL_TEST_ENTRY(unknown_topic_names_the_field),
             CL_TEST_ENTRY(user_changes_reach_admins_watching_users))
