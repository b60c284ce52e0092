/* Messages: who a message to a user, a role or "all" reaches (one scoped inbox change each),
 * validation, the inbox listing and its paging, reading (read_at, hidden from non-recipients),
 * and the UTF-8 validator. */
#include "domain_fixture.h"
#include "domain_int.h"

enum { BODY_MAX_TEST = 4000 };

static cl_job_t *message_send(fx_t *fx, const cl_identity_t *who, const char *to, const char *body)
{
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = (char *)to;
    m.body = (char *)body;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m);
}

/* Sends and returns the new message's id, asserting success. */
static uint64_t message_send_ok(fx_t *fx, const cl_identity_t *who, const char *to,
                                const char *body)
{
    cl_job_t *job = message_send(fx, who, to, body);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.message_send->message->id;
    cl_job_free(job);
    return id;
}

static cl_job_t *inbox_list(fx_t *fx, const cl_identity_t *who, int unread_only, uint32_t limit,
                            uint64_t before_id)
{
    Clinic__MessageListRequest l = CLINIC__MESSAGE_LIST_REQUEST__INIT;
    l.unread_only = unread_only;
    l.limit = limit;
    l.before_id = before_id;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_MESSAGE_LIST, &l);
}

static cl_job_t *read_message(fx_t *fx, const cl_identity_t *who, uint64_t id)
{
    Clinic__MessageReadRequest r = CLINIC__MESSAGE_READ_REQUEST__INIT;
    r.id = id;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_MESSAGE_READ, &r);
}

static int64_t recipients_of(fx_t *fx, uint64_t message_id)
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, message_id);
    return fx_int(fx,
                  "SELECT count(*) FROM message_recipients WHERE message_id = CAST(?1 AS "
                  "INTEGER)",
                  id);
}

/* Asserts that `job` made exactly one inbox CREATED change for message `id` per user of
 * `users` (in that order), each scoped to that user, and that the feed holds them. */
static void assert_inbox_changes(fx_t *fx, const cl_job_t *job, uint64_t id, const int64_t *users,
                                 size_t n)
{
    ASSERT_EQ(fx_job_changes(job), n);
    const cl_change_t *c = job->changes;
    for (size_t i = 0; i < n; i++, c = c->next) {
        ASSERT_STR_EQ(c->topic, "inbox");
        ASSERT_STR_EQ(c->entity, "message");
        ASSERT_EQ(c->entity_id, id);
        ASSERT_EQ(c->op, CLINIC__CHANGE_OP__CREATED);
        ASSERT_EQ(c->scope_user, users[i]);
        char seq[24];
        snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
        ASSERT_EQ(fx_int(fx, "SELECT scope_user FROM changes WHERE seq = CAST(?1 AS INTEGER)", seq),
                  users[i]);
    }
}

typedef struct {
    fx_t fx;
    int64_t alice, bob, carol, dave, erin;
    cl_identity_t a, b, c, d, e;
} clinic_t;

/* alice and bob are clinicians, carol a disabled clinician, dave front desk, erin a clinician
 * and staff. */
static void clinic_open(clinic_t *k)
{
    fx_open(&k->fx);
    k->alice = fx_user(&k->fx, "alice", CL_ROLE_clinician);
    k->bob = fx_user(&k->fx, "bob", CL_ROLE_clinician);
    k->carol = fx_user(&k->fx, "carol", CL_ROLE_clinician);
    k->dave = fx_user(&k->fx, "dave", CL_ROLE_front_desk);
    k->erin = fx_user(&k->fx, "erin", CL_ROLE_clinician | CL_ROLE_staff);
    fx_user_disable(&k->fx, "carol");
    k->a = fx_who(&k->fx, "alice");
    k->b = fx_who(&k->fx, "bob");
    k->c = fx_who(&k->fx, "carol");
    k->d = fx_who(&k->fx, "dave");
    k->e = fx_who(&k->fx, "erin");
}

CL_TEST(message_to_user_reaches_only_them)
{
    clinic_t k;
    clinic_open(&k);
    int64_t audit = fx_audit_rows(&k.fx);
    cl_job_t *job = message_send(&k.fx, &k.a, "bob", "Room 3 is ready");
    ASSERT_OK(job->status);
    const Clinic__MessageSendReply *r = job->resp.message_send;
    ASSERT_EQ(r->recipients, 1);
    ASSERT_GT(r->message->id, 0);
    ASSERT_STR_EQ(r->message->sender, "alice");
    ASSERT_STR_EQ(r->message->to, "bob");
    ASSERT_STR_EQ(r->message->body, "Room 3 is ready");
    ASSERT_EQ(r->message->sent_at, k.fx.now - 1);
    ASSERT_EQ(r->message->read_at, 0);
    ASSERT_EQ(recipients_of(&k.fx, r->message->id), 1);
    int64_t expect[] = {k.bob};
    assert_inbox_changes(&k.fx, job, r->message->id, expect, 1);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit + 1);
    fx_assert_last_audit(&k.fx, "alice", "message.send", "message", r->message->id);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_to_self_reaches_sender)
{
    clinic_t k;
    clinic_open(&k);
    cl_job_t *job = message_send(&k.fx, &k.a, "alice", "note to self");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_send->recipients, 1);
    int64_t expect[] = {k.alice};
    assert_inbox_changes(&k.fx, job, job->resp.message_send->message->id, expect, 1);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_to_role_skips_sender_and_disabled)
{
    clinic_t k;
    clinic_open(&k);
    int64_t changes = fx_change_rows(&k.fx);
    cl_job_t *job = message_send(&k.fx, &k.a, "clinician", "huddle at noon");
    ASSERT_OK(job->status);
    const Clinic__MessageSendReply *r = job->resp.message_send;
    ASSERT_EQ(r->recipients, 2);
    ASSERT_STR_EQ(r->message->to, "role:clinician");
    int64_t expect[] = {k.bob, k.erin};
    assert_inbox_changes(&k.fx, job, r->message->id, expect, 2);
    ASSERT_EQ(fx_change_rows(&k.fx), changes + 2);
    ASSERT_EQ(recipients_of(&k.fx, r->message->id), 2);
    cl_job_free(job);

    /* "role:<role>", the form a Message echoes, is accepted too. */
    job = message_send(&k.fx, &k.d, "role:staff", "badge photos today");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_send->recipients, 1);
    ASSERT_STR_EQ(job->resp.message_send->message->to, "role:staff");
    int64_t staff[] = {k.erin};
    assert_inbox_changes(&k.fx, job, job->resp.message_send->message->id, staff, 1);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_to_all_reaches_every_active_user_but_sender)
{
    clinic_t k;
    clinic_open(&k);
    int64_t audit = fx_audit_rows(&k.fx);
    cl_job_t *job = message_send(&k.fx, &k.d, "all", "fire drill at 3");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_send->recipients, 3);
    ASSERT_STR_EQ(job->resp.message_send->message->to, "all");
    int64_t expect[] = {k.alice, k.bob, k.erin};
    assert_inbox_changes(&k.fx, job, job->resp.message_send->message->id, expect, 3);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit + 1);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_send_validates_body)
{
    char big[BODY_MAX_TEST + 2];
    memset(big, 'b', sizeof(big) - 1);
    big[BODY_MAX_TEST + 1] = '\0';
    const char *const bad[] = {
        "", big, "\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"};
    clinic_t k;
    clinic_open(&k);
    int64_t audit = fx_audit_rows(&k.fx), changes = fx_change_rows(&k.fx);
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        cl_job_t *job = message_send(&k.fx, &k.a, "bob", bad[i]);
        FX_ASSERT_FAILED(job, CL_EINVAL, "body");
        cl_job_free(job);
    }
    ASSERT_EQ(fx_audit_rows(&k.fx), audit);
    ASSERT_EQ(fx_change_rows(&k.fx), changes);
    ASSERT_EQ(fx_int(&k.fx, "SELECT count(*) FROM messages", NULL), 0);

    big[BODY_MAX_TEST] = '\0';
    FX_ASSERT_OK_FREE(message_send(&k.fx, &k.a, "bob", big));
    fx_close(&k.fx);
}

CL_TEST(message_send_validates_recipient)
{
    clinic_t k;
    clinic_open(&k);
    fx_user(&k.fx, "solo", CL_ROLE_biller);
    cl_identity_t solo = fx_who(&k.fx, "solo");
    int64_t audit = fx_audit_rows(&k.fx), changes = fx_change_rows(&k.fx);

    cl_job_t *job = message_send(&k.fx, &k.a, "", "hello");
    FX_ASSERT_FAILED(job, CL_EINVAL, "to");
    cl_job_free(job);
    job = message_send(&k.fx, &k.a, "nobody", "hello");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "to");
    ASSERT_STR_CONTAINS(fx_message(job), "nobody");
    cl_job_free(job);
    job = message_send(&k.fx, &k.a, "role:wizard", "hello");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "to");
    ASSERT_STR_CONTAINS(fx_message(job), "wizard");
    cl_job_free(job);
    job = message_send(&k.fx, &k.a, "carol", "hello");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "to");
    ASSERT_STR_CONTAINS(fx_message(job), "disabled");
    cl_job_free(job);
    /* The only biller writing to billers: nobody else to deliver to. */
    job = message_send(&k.fx, &solo, "biller", "hello");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "to");
    cl_job_free(job);
    job = message_send(
        &k.fx, &k.a, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde", "hello");
    FX_ASSERT_FAILED(job, CL_EINVAL, "to");
    cl_job_free(job);

    ASSERT_EQ(fx_audit_rows(&k.fx), audit);
    ASSERT_EQ(fx_change_rows(&k.fx), changes);
    ASSERT_EQ(fx_int(&k.fx, "SELECT count(*) FROM messages", NULL), 0);
    fx_close(&k.fx);
}

CL_TEST(message_read_marks_read_once)
{
    clinic_t k;
    clinic_open(&k);
    uint64_t id = message_send_ok(&k.fx, &k.a, "clinician", "labs are back");
    int64_t audit = fx_audit_rows(&k.fx), changes = fx_change_rows(&k.fx);
    int64_t read_time = k.fx.now;

    cl_job_t *job = read_message(&k.fx, &k.b, id);
    ASSERT_OK(job->status);
    const Clinic__Message *m = job->resp.message_read->message;
    ASSERT_EQ(m->id, id);
    ASSERT_STR_EQ(m->sender, "alice");
    ASSERT_STR_EQ(m->to, "role:clinician");
    ASSERT_STR_EQ(m->body, "labs are back");
    ASSERT_EQ(m->read_at, read_time);
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT_STR_EQ(job->changes->topic, "inbox");
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__UPDATED);
    ASSERT_EQ(job->changes->entity_id, id);
    ASSERT_EQ(job->changes->scope_user, k.bob);
    ASSERT_EQ(fx_change_rows(&k.fx), changes + 1);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit + 1);
    fx_assert_last_audit(&k.fx, "bob", "message.read", "message", id);
    ASSERT_EQ(fx_int(&k.fx,
                     "SELECT read_at FROM message_recipients r JOIN users u ON "
                     "u.id = r.user_id WHERE u.username = ?1",
                     "bob"),
              read_time);
    ASSERT_EQ(fx_int(&k.fx,
                     "SELECT read_at FROM message_recipients r JOIN users u ON "
                     "u.id = r.user_id WHERE u.username = ?1",
                     "erin"),
              0);
    cl_job_free(job);

    /* A second read keeps the first time and changes nothing, but is still audited. */
    job = read_message(&k.fx, &k.b, id);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_read->message->read_at, read_time);
    ASSERT_EQ(fx_job_changes(job), 0);
    ASSERT_EQ(fx_change_rows(&k.fx), changes + 1);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit + 2);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_read_by_non_recipient_is_not_found)
{
    clinic_t k;
    clinic_open(&k);
    uint64_t id = message_send_ok(&k.fx, &k.a, "bob", "private");
    int64_t audit = fx_audit_rows(&k.fx), changes = fx_change_rows(&k.fx);

    /* The sender is not a recipient of a message to someone else either. */
    const cl_identity_t *others[] = {&k.a, &k.d, &k.e};
    for (size_t i = 0; i < CL_ARRAY_SIZE(others); i++) {
        cl_job_t *job = read_message(&k.fx, others[i], id);
        FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
        ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT__NOT_SET);
        cl_job_free(job);
    }
    /* A missing message and someone else's read alike. */
    cl_job_t *job = read_message(&k.fx, &k.d, id + 100);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);
    job = read_message(&k.fx, &k.b, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "id");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit);
    ASSERT_EQ(fx_change_rows(&k.fx), changes);
    ASSERT_EQ(fx_int(&k.fx, "SELECT sum(read_at) FROM message_recipients", NULL), 0);
    fx_close(&k.fx);
}

CL_TEST(message_list_pages_newest_first)
{
    clinic_t k;
    clinic_open(&k);
    uint64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char body[16];
        snprintf(body, sizeof(body), "m%d", i);
        ids[i] = message_send_ok(&k.fx, i % 2 ? &k.d : &k.a, "bob", body);
    }
    message_send_ok(&k.fx, &k.a, "erin", "not for bob");
    int64_t audit = fx_audit_rows(&k.fx);

    cl_job_t *job = inbox_list(&k.fx, &k.b, 0, 2, 0);
    ASSERT_OK(job->status);
    const Clinic__MessageListReply *r = job->resp.message_list;
    ASSERT_EQ(r->n_messages, 2);
    ASSERT_EQ(r->messages[0]->id, ids[4]);
    ASSERT_EQ(r->messages[1]->id, ids[3]);
    ASSERT_STR_EQ(r->messages[0]->sender, "alice");
    ASSERT_STR_EQ(r->messages[1]->sender, "dave");
    ASSERT_STR_EQ(r->messages[0]->body, "m4");
    ASSERT_STR_EQ(r->messages[0]->to, "bob");
    ASSERT_EQ(fx_audit_rows(&k.fx), audit + 1);
    fx_assert_last_audit(&k.fx, "bob", "message.list", "message", 0);
    ASSERT_EQ(fx_job_changes(job), 0);
    uint64_t next = r->messages[1]->id;
    cl_job_free(job);

    job = inbox_list(&k.fx, &k.b, 0, 2, next);
    ASSERT_OK(job->status);
    r = job->resp.message_list;
    ASSERT_EQ(r->n_messages, 2);
    ASSERT_EQ(r->messages[0]->id, ids[2]);
    ASSERT_EQ(r->messages[1]->id, ids[1]);
    next = r->messages[1]->id;
    cl_job_free(job);

    job = inbox_list(&k.fx, &k.b, 0, 2, next);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_list->n_messages, 1);
    ASSERT_EQ(job->resp.message_list->messages[0]->id, ids[0]);
    cl_job_free(job);

    /* limit 0 is the default (50): everything. */
    job = inbox_list(&k.fx, &k.b, 0, 0, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_list->n_messages, 5);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_list_unread_only)
{
    clinic_t k;
    clinic_open(&k);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = message_send_ok(&k.fx, &k.a, "bob", "hi");
    cl_job_t *job = read_message(&k.fx, &k.b, ids[1]);
    ASSERT_OK(job->status);
    int64_t read_at = job->resp.message_read->message->read_at;
    cl_job_free(job);

    job = inbox_list(&k.fx, &k.b, 1, 0, 0);
    ASSERT_OK(job->status);
    const Clinic__MessageListReply *r = job->resp.message_list;
    ASSERT_EQ(r->n_messages, 2);
    ASSERT_EQ(r->messages[0]->id, ids[2]);
    ASSERT_EQ(r->messages[1]->id, ids[0]);
    ASSERT_EQ(r->messages[0]->read_at, 0);
    cl_job_free(job);

    job = inbox_list(&k.fx, &k.b, 0, 0, 0);
    ASSERT_OK(job->status);
    r = job->resp.message_list;
    ASSERT_EQ(r->n_messages, 3);
    ASSERT_EQ(r->messages[1]->read_at, read_at);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(message_list_limit_bounds)
{
    clinic_t k;
    clinic_open(&k);
    int64_t audit = fx_audit_rows(&k.fx);
    cl_job_t *job = inbox_list(&k.fx, &k.b, 0, 501, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "limit");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&k.fx), audit);
    job = inbox_list(&k.fx, &k.b, 0, 500, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.message_list->n_messages, 0);
    cl_job_free(job);
    fx_close(&k.fx);
}

CL_TEST(utf8_validator)
{
    static const struct {
        const char *s;
        int valid;
    } cases[] = {
        {"", 1},
        {"plain ascii", 1},
        {"caf\xc3\xa9", 1},
        {"\xe2\x82\xac", 1},         /* euro sign */
        {"\xf0\x9f\x98\x80", 1},     /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 1},     /* U+10FFFF */
        {"\xef\xbf\xbd", 1},         /* U+FFFD */
        {"\x80", 0},                 /* lone continuation */
        {"\xc3", 0},                 /* truncated */
        {"\xe2\x82", 0},             /* truncated */
        {"\xc0\x80", 0},             /* overlong NUL */
        {"\xc1\xbf", 0},             /* overlong */
        {"\xe0\x80\xaf", 0},         /* overlong */
        {"\xf0\x80\x80\xaf", 0},     /* overlong */
        {"\xed\xa0\x80", 0},         /* surrogate */
        {"\xed\xbf\xbf", 0},         /* surrogate */
        {"\xf4\x90\x80\x80", 0},     /* above U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 0}, /* five bytes */
        {"\xfe", 0},
        {"\xc3\x28", 0}, /* bad continuation */
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        if (cl_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].valid)
            CL_FAIL("case %zu: expected %d", i, cases[i].valid);
    }
}

CL_TEST_MAIN(CL_TEST_ENTRY(message_to_user_reaches_only_them),
             CL_TEST_ENTRY(message_to_self_reaches_sender),
             CL_TEST_ENTRY(message_to_role_skips_sender_and_disabled),
             CL_TEST_ENTRY(message_to_all_reaches_every_active_user_but_sender),
             CL_TEST_ENTRY(message_send_validates_body),
             CL_TEST_ENTRY(message_send_validates_recipient),
             CL_TEST_ENTRY(message_read_marks_read_once),
             CL_TEST_ENTRY(message_read_by_non_recipient_is_not_found),
             CL_TEST_ENTRY(message_list_pages_newest_first),
             CL_TEST_ENTRY(message_list_unread_only), CL_TEST_ENTRY(message_list_limit_bounds),
             CL_TEST_ENTRY(utf8_validator))
