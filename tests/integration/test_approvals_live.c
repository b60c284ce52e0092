/* Requests and approvals against a real clinicd: a staff member files time off and the manager's
 * subscriber to "approvals" sees it live, the manager approves and the requester's inbox is told
 * live; a decision and a withdrawal racing on two connections (exactly one wins); and the
 * `clinic` command line end to end with --json, `approvals --watch` redrawing as requests come. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* A weekday (Monday to Friday) `days` or more ahead, in the server's zone (UTC here). */
static void weekday_ahead(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    while (tm.tm_wday == 0 || tm.tm_wday == 6) {
        t += 86400;
        gmtime_r(&t, &tm);
    }
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static uint64_t file_expense(cl_sync_t *s, int64_t cents)
{
    Clinic__ExpenseFileRequest m = CLINIC__EXPENSE_FILE_REQUEST__INIT;
    m.amount_cents = cents;
    m.category = "supplies";
    m.receipt_note = "printer paper";
    return harness_send_ok(s, CLINIC__REQUEST__BODY_EXPENSE_FILE, &m)->expense_file->request->id;
}

/* Waits for the next event of entity "request"; returns it (valid until the next call). */
static const Clinic__Event *next_request_event(cl_sync_t *s)
{
    for (int i = 0; i < 10; i++) {
        const Clinic__Event *ev = harness_next_event(s, 5000);
        if (strcmp(ev->entity, "request") == 0)
            return ev;
    }
    CL_FAIL("no request event");
    return NULL;
}

CL_TEST(timeoff_is_live_in_the_inbox_and_the_decision_live_to_the_requester)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "boss", "manager");
    harness_add_user(&h, "alice", "staff");
    cl_sync_t *boss = harness_login(&h, "boss");
    cl_sync_t *alice = harness_login(&h, "alice");
    ASSERT_OK(harness_subscribe(boss, "approvals"));
    ASSERT_OK(harness_subscribe(alice, "inbox"));

    char day[11];
    weekday_ahead(10, day);
    Clinic__TimeOffFileRequest t = CLINIC__TIME_OFF_FILE_REQUEST__INIT;
    t.type = "vacation";
    t.from_date = day;
    t.to_date = "";
    t.details = "wedding";
    const Clinic__StaffRequest *r =
        harness_send_ok(alice, CLINIC__REQUEST__BODY_TIME_OFF_FILE, &t)->time_off_file->request;
    uint64_t id = r->id;
    ASSERT_STR_EQ(r->state, "pending");
    ASSERT_EQ(r->amount, 480);
    ASSERT_EQ(r->over_balance, 1); /* nothing accrued yet: filed and flagged */

    const Clinic__Event *ev = next_request_event(boss);
    ASSERT_STR_EQ(ev->topic, "approvals");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);

    /* A staff member cannot subscribe to everyone's requests. */
    ASSERT_EQ(harness_subscribe(alice, "approvals"), CL_EPERM);

    Clinic__StaffRequestDecideRequest d = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
    d.ids = &id;
    d.n_ids = 1;
    d.approve = 1;
    d.comment = "have fun";
    const Clinic__StaffRequestDecideReply *dr =
        harness_send_ok(boss, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &d)->staff_request_decide;
    ASSERT_EQ(dr->decided, 1);
    ASSERT_STR_EQ(dr->results[0]->request->state, "approved");

    ev = next_request_event(alice);
    ASSERT_STR_EQ(ev->topic, "inbox");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__UPDATED);
    Clinic__StaffRequestShowRequest sh = CLINIC__STAFF_REQUEST_SHOW_REQUEST__INIT;
    sh.id = id;
    r = harness_send_ok(alice, CLINIC__REQUEST__BODY_STAFF_REQUEST_SHOW, &sh)
            ->staff_request_show->request;
    ASSERT_STR_EQ(r->state, "approved");
    ASSERT_STR_EQ(r->decided_by, "boss");
    ASSERT_STR_EQ(r->comment, "have fun");

    /* Approving it again: FAILED_PRECONDITION over the wire. */
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(boss, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &d, &resp),
              CL_EPRECOND);
    ASSERT_STR_CONTAINS(resp->status->message, "already approved");
    cl_sync_close(boss);
    cl_sync_close(alice);
    harness_stop(&h);
}

/* ---- a decision racing a withdrawal ---- */

typedef struct {
    cl_sync_t *s;
    pthread_barrier_t *go;
    Clinic__Request__BodyCase kind;
    const void *body; /* borrowed */
    int status;
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    const Clinic__Response *resp;
    pthread_barrier_wait(r->go);
    r->status = harness_send(r->s, r->kind, r->body, &resp);
    return NULL;
}

CL_TEST(decision_and_withdrawal_racing_on_two_connections_one_wins)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "boss", "manager");
    harness_add_user(&h, "alice", "staff");
    cl_sync_t *boss = harness_login(&h, "boss");
    cl_sync_t *alice = harness_login(&h, "alice");
    for (int round = 0; round < 8; round++) {
        uint64_t id = file_expense(alice, 1000 + round);
        Clinic__StaffRequestDecideRequest d = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
        d.ids = &id;
        d.n_ids = 1;
        d.approve = 1;
        d.comment = "";
        Clinic__StaffRequestWithdrawRequest w = CLINIC__STAFF_REQUEST_WITHDRAW_REQUEST__INIT;
        w.id = id;
        w.comment = "";
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        racer_t a = {boss, &go, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &d, 0};
        racer_t b = {alice, &go, CLINIC__REQUEST__BODY_STAFF_REQUEST_WITHDRAW, &w, 0};
        pthread_t ta, tb;
        ASSERT_OK(pthread_create(&ta, NULL, race, &a));
        ASSERT_OK(pthread_create(&tb, NULL, race, &b));
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&go);
        /* Exactly one wins; the other is told the request's state. */
        ASSERT_EQ((a.status == 0) + (b.status == 0), 1);
        ASSERT_EQ(a.status == 0 ? b.status : a.status, CL_EPRECOND);

        Clinic__StaffRequestShowRequest sh = CLINIC__STAFF_REQUEST_SHOW_REQUEST__INIT;
        sh.id = id;
        const char *state = harness_send_ok(alice, CLINIC__REQUEST__BODY_STAFF_REQUEST_SHOW, &sh)
                                ->staff_request_show->request->state;
        ASSERT_STR_EQ(state, a.status == 0 ? "approved" : "withdrawn");
    }
    cl_sync_close(boss);
    cl_sync_close(alice);
    harness_stop(&h);
}

/* ---- the command line ---- */

/* The number after `"key":` in `json` (the first one). */
static uint64_t json_uint(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (p == NULL)
        CL_FAIL("no %s in %s", key, json);
    return strtoull(p + strlen(pat), NULL, 10);
}

typedef struct {
    cl_harness_t *h;
    char out[65536];
    int rc;
    _Atomic int done;
} watcher_t;

static void *watch_main(void *arg)
{
    watcher_t *w = arg;
    w->rc = HARNESS_CLINIC(w->h, w->out, "--json", "approvals", "--watch", "--count", "2",
                           "--timeout", "30");
    w->done = 1;
    return NULL;
}

CL_TEST(approvals_from_the_command_line_with_json)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "boss", "manager");
    harness_add_user(&h, "alice", "staff");
    char out[16384], day[11], id[24], staff[24];
    weekday_ahead(14, day);

    harness_clinic_login(&h, "alice");
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "timeoff", "--type", "personal", "--from", day,
                      "--start", "13:00", "--end", "17:00", "--reason", "dentist");
    ASSERT_STR_CONTAINS(out, "\"kind\":\"timeoff\"");
    ASSERT_STR_CONTAINS(out, "\"amount\":240");
    ASSERT_STR_CONTAINS(out, "\"over_balance\":true");
    snprintf(id, sizeof(id), "%llu", (unsigned long long)json_uint(out, "id"));
    snprintf(staff, sizeof(staff), "%llu", (unsigned long long)json_uint(out, "requester_id"));
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "expense", "--amount", "42.50", "--category",
                      "mileage", "--receipt", "120 miles");
    ASSERT_STR_CONTAINS(out, "\"amount\":4250");
    char expense_id[24];
    snprintf(expense_id, sizeof(expense_id), "%llu", (unsigned long long)json_uint(out, "id"));
    /* Bad input over the command line: exit 7 (invalid) naming the field. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "request", "expense", "--amount", "5", "--category", "golf"),
              7);
    ASSERT_STR_CONTAINS(out, "category");
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "list");
    ASSERT_STR_CONTAINS(out, "\"kind\":\"expense\"");
    /* A staff member approving: exit 4. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "approve", expense_id), 4);
    HARNESS_CLINIC_OK(&h, out, "--json", "balance");
    ASSERT_STR_CONTAINS(out, "\"type\":\"personal\",\"tracked\":true");
    ASSERT_STR_CONTAINS(out, "\"pending\":240");

    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "--json", "approvals");
    ASSERT_STR_CONTAINS(out, "\"pending\":2");
    ASSERT_STR_CONTAINS(out, "\"kind\":\"timeoff\",\"pending\":1,\"under_1_day\":1");
    HARNESS_CLINIC_OK(&h, out, "approvals");
    ASSERT_STR_CONTAINS(out, "2 pending");
    ASSERT_STR_CONTAINS(out, "OVER BALANCE");
    /* Deny needs its comment: a usage error before anything is sent. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "deny", expense_id), 1);
    HARNESS_CLINIC_OK(&h, out, "--json", "deny", expense_id, "--comment", "use the fuel card");
    ASSERT_STR_CONTAINS(out, "\"state\":\"denied\"");
    /* Bulk: one approved, one already decided (exit 6, each result given). */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "--json", "approve", id, expense_id, "--comment", "ok"), 6);
    ASSERT_STR_CONTAINS(out, "\"decided\":1,\"failed\":1");
    ASSERT_STR_CONTAINS(out, "\"code\":\"FAILED_PRECONDITION\"");
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "show", id);
    ASSERT_STR_CONTAINS(out, "\"state\":\"approved\"");
    ASSERT_STR_CONTAINS(out, "\"decided_by\":\"boss\"");
    HARNESS_CLINIC_OK(&h, out, "--json", "accrual", "set", "vacation", "--minutes", "4h", "--cap",
                      "80h");
    ASSERT_STR_CONTAINS(out, "\"type\":\"vacation\",\"tracked\":true,\"accrual_minutes\":240,"
                             "\"cap_minutes\":4800");
    HARNESS_CLINIC_OK(&h, out, "--json", "accrual", "adjust", staff, "--type", "vacation",
                      "--minutes", "8h", "--reason", "opening balance");
    ASSERT_STR_CONTAINS(out, "\"adjusted\":480");
    HARNESS_CLINIC_OK(&h, out, "--json", "balance", "--staff", staff, "--ledger");
    ASSERT_STR_CONTAINS(out, "\"used\":240");
    ASSERT_STR_CONTAINS(out, "\"reason\":\"opening balance\"");
    /* The dentist moved: the approved time off is cancelled and its 4 hours come back. A
     * cancellation needs its comment (usage error, exit 1); a second one is refused (exit 6). */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "request", "cancel", id), 1);
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "cancel", id, "--comment", "dentist moved");
    ASSERT_STR_CONTAINS(out, "\"state\":\"cancelled\"");
    ASSERT_STR_CONTAINS(out, "\"decided_by\":\"boss\"");
    ASSERT_STR_CONTAINS(out, "\"cancelled_by\":\"boss\",\"cancel_comment\":\"dentist moved\"");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "request", "cancel", id, "--comment", "again"), 6);
    ASSERT_STR_CONTAINS(out, "is cancelled");
    HARNESS_CLINIC_OK(&h, out, "request", "show", id);
    ASSERT_STR_CONTAINS(out, "approved");
    ASSERT_STR_CONTAINS(out, "cancelled");
    ASSERT_STR_CONTAINS(out, "dentist moved");
    HARNESS_CLINIC_OK(&h, out, "--json", "balance", "--staff", staff);
    ASSERT_STR_CONTAINS(out, "\"type\":\"personal\",\"tracked\":true,\"accrued\":0,"
                             "\"adjusted\":0,\"used\":0");

    /* The watch: a first drawing, then another as a request comes in. Alice keeps filing until
     * the watch has drawn twice, so the test does not depend on when it subscribed. */
    watcher_t w = {.h = &h};
    pthread_t t;
    ASSERT_OK(pthread_create(&t, NULL, watch_main, &w));
    cl_sync_t *alice = harness_login(&h, "alice");
    struct timespec pause = {0, 300 * 1000000L};
    for (int i = 0; i < 20 && !w.done; i++) {
        nanosleep(&pause, NULL);
        file_expense(alice, 100 + i);
    }
    pthread_join(t, NULL);
    ASSERT_EQ(w.rc, 0);
    const char *second = strchr(w.out, '\n');
    ASSERT_NOT_NULL(second);
    ASSERT_STR_CONTAINS(second + 1, "\"kind\":\"expense\",\"state\":\"pending\"");
    cl_sync_close(alice);
    harness_stop(&h);
}

/* accrual set sends the whole policy: a new rate without --cap used to send "no cap" and drop
 * the cap the clinic had set. */
CL_TEST(accrual_rate_change_without_cap_keeps_the_cap)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "boss", "manager");
    char out[8192];
    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "--json", "accrual", "set", "vacation", "--minutes", "4h", "--cap",
                      "80h");
    ASSERT_STR_CONTAINS(out, "\"type\":\"vacation\",\"tracked\":true,\"accrual_minutes\":240,"
                             "\"cap_minutes\":4800");
    HARNESS_CLINIC_OK(&h, out, "--json", "accrual", "set", "vacation", "--minutes", "5h");
    ASSERT_STR_CONTAINS(out, "\"type\":\"vacation\",\"tracked\":true,\"accrual_minutes\":300,"
                             "\"cap_minutes\":4800");
    HARNESS_CLINIC_OK(&h, out, "--json", "accrual", "set", "vacation", "--minutes", "5h", "--cap",
                      "0");
    ASSERT_STR_CONTAINS(out, "\"type\":\"vacation\",\"tracked\":true,\"accrual_minutes\":300,"
                             "\"cap_minutes\":0");
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(timeoff_is_live_in_the_inbox_and_the_decision_live_to_the_requester),
             CL_TEST_ENTRY(decision_and_withdrawal_racing_on_two_connections_one_wins),
             CL_TEST_ENTRY(approvals_from_the_command_line_with_json),
             CL_TEST_ENTRY(accrual_rate_change_without_cap_keeps_the_cap))
