/* Faults against a real clinicd: an orderly stop, a SIGKILL, a full disk and a read-only file
 * system. In each, every write that was acknowledged is there afterwards, nothing that was
 * refused is half there, reads go on, and the audit chain verifies. */
#include "harness.h"

#include "mem.h"
#include "status.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_ACKED = 4096 };

static int send_message(cl_sync_t *s, const char *body, uint64_t *id, const Clinic__Response **out)
{
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "nurse";
    m.body = (char *)body;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp);
    if (rc == 0)
        *id = resp->message_send->message->id;
    if (out)
        *out = resp;
    return rc;
}

/* The ids of every message in the nurse's inbox, newest first, paging through. */
static size_t inbox_ids(cl_sync_t *nurse, uint64_t *ids, size_t max)
{
    size_t n = 0;
    uint64_t before = 0;
    for (;;) {
        Clinic__MessageListRequest l = CLINIC__MESSAGE_LIST_REQUEST__INIT;
        l.limit = 500;
        l.before_id = before;
        const Clinic__Response *resp;
        ASSERT_OK(harness_send(nurse, CLINIC__REQUEST__BODY_MESSAGE_LIST, &l, &resp));
        size_t got = resp->message_list->n_messages;
        for (size_t i = 0; i < got && n < max; i++)
            ids[n++] = resp->message_list->messages[i]->id;
        if (got < 500)
            return n;
        before = resp->message_list->messages[got - 1]->id;
    }
}

static int contains(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* A read that writes nothing (no audit row) still works. */
static void assert_whoami_works(cl_sync_t *s, const char *username)
{
    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(s, CLINIC__REQUEST__BODY_WHOAMI, &w, &resp));
    ASSERT_STR_EQ(resp->whoami->username, username);
}

/* Lists the inbox once; returns the status. Reading messages is audited, so it is a write too. */
static int try_list(cl_sync_t *nurse, const Clinic__Response **resp)
{
    Clinic__MessageListRequest l = CLINIC__MESSAGE_LIST_REQUEST__INIT;
    l.limit = 500;
    return harness_send(nurse, CLINIC__REQUEST__BODY_MESSAGE_LIST, &l, resp);
}

static void assert_all_acked_present(cl_harness_t *h, const uint64_t *acked, size_t nacked)
{
    static uint64_t ids[MAX_ACKED * 2];
    cl_sync_t *nurse = harness_login(h, "nurse");
    size_t n = inbox_ids(nurse, ids, CL_ARRAY_SIZE(ids));
    for (size_t i = 0; i < nacked; i++)
        if (!contains(ids, n, acked[i]))
            CL_FAIL("acknowledged message %llu is missing", (unsigned long long)acked[i]);
    /* Exactly once each. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ASSERT_NE(ids[i], ids[j]);
    cl_sync_close(nurse);
}

CL_TEST(sigterm_stops_cleanly_and_keeps_everything)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    static uint64_t acked[50];
    for (int i = 0; i < 50; i++)
        ASSERT_OK(send_message(admin, "before the restart", &acked[i], NULL));
    cl_sync_close(admin);
    harness_sigterm(&h); /* asserts exit status 0 */
    ASSERT(harness_log_contains(&h, "stopped"));
    /* The WAL was checkpointed into the database file. */
    char wal[300];
    snprintf(wal, sizeof(wal), "%s/clinic.db-wal", h.data);
    struct stat st;
    ASSERT(stat(wal, &st) != 0 || st.st_size == 0);
    harness_serve(&h);
    assert_all_acked_present(&h, acked, 50);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST(sigkill_loses_nothing_acknowledged)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    static uint64_t acked[200];
    for (int i = 0; i < 200; i++)
        ASSERT_OK(send_message(admin, "acknowledged, then the power went out", &acked[i], NULL));
    harness_kill(&h);
    cl_sync_close(admin);
    harness_serve(&h);
    assert_all_acked_present(&h, acked, 200);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST(full_disk_refuses_writes_keeps_reads_and_loses_nothing)
{
    cl_harness_t h;
    harness_start_on_tmpfs(&h, NULL, 3072);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    cl_sync_t *nurse = harness_login(&h, "nurse");

    /* Leave a little room, then fill it with messages until the disk is full. */
    char filler[300];
    snprintf(filler, sizeof(filler), "%s/filler", h.data);
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    ASSERT(fd >= 0);
    static char block[64 * 1024];
    memset(block, 'x', sizeof(block));
    for (int i = 0; i < 28; i++)
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
            break;
    close(fd);

    static uint64_t acked[MAX_ACKED];
    size_t nacked = 0;
    char body[3000];
    memset(body, 'm', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    int rc = 0;
    const Clinic__Response *resp = NULL;
    while (nacked < MAX_ACKED) {
        rc = send_message(admin, body, &acked[nacked], &resp);
        if (rc != 0)
            break;
        nacked++;
    }
    ASSERT_GT(nacked, 0);
    ASSERT_EQ(rc, cl_status_from_code(CLINIC__CODE__UNAVAILABLE));
    ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAVAILABLE);
    ASSERT_STR_CONTAINS(resp->status->message, "full");

    /* Reads that write nothing go on while the disk is full. An audited read needs its audit
     * row written: it succeeds while a page still fits, and fails closed (UNAVAILABLE) when
     * none does, never with anything else and never without its audit row. */
    assert_whoami_works(nurse, "nurse");
    static uint64_t ids[MAX_ACKED];
    rc = try_list(nurse, &resp);
    if (rc == 0)
        ASSERT_EQ(resp->message_list->n_messages, nacked < 500 ? nacked : 500);
    else
        ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAVAILABLE);

    /* Space again: writes work, and nothing refused is half there. */
    ASSERT_OK(unlink(filler));
    uint64_t after;
    ASSERT_OK(send_message(admin, "the disk has room again", &after, NULL));
    acked[nacked++] = after;
    cl_sync_close(admin);
    cl_sync_close(nurse);
    harness_sigterm(&h);
    harness_serve(&h);
    assert_all_acked_present(&h, acked, nacked);
    nurse = harness_login(&h, "nurse");
    ASSERT_EQ(inbox_ids(nurse, ids, MAX_ACKED), nacked);
    cl_sync_close(nurse);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST(read_only_database_file_refuses_writes_and_keeps_reads)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    cl_sync_t *nurse = harness_login(&h, "nurse");
    uint64_t first;
    ASSERT_OK(send_message(admin, "written before the file went read-only", &first, NULL));

    harness_set_immutable(&h, 1);
    uint64_t id;
    const Clinic__Response *resp;
    int rc = send_message(admin, "refused", &id, &resp);
    ASSERT_NE(rc, 0);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAVAILABLE);
    ASSERT_STR_CONTAINS(resp->status->message, "not saved");
    /* Reads that write nothing go on; a read of messages must write its audit row, so it fails
     * closed: no access goes unlogged. */
    assert_whoami_works(nurse, "nurse");
    ASSERT_NE(try_list(nurse, &resp), 0);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAVAILABLE);
    static uint64_t ids[16];

    harness_set_immutable(&h, 0);
    uint64_t second;
    ASSERT_OK(send_message(admin, "written after the file came back", &second, NULL));
    ASSERT_EQ(inbox_ids(nurse, ids, 16), 2);
    cl_sync_close(admin);
    cl_sync_close(nurse);
    /* After a restart: both acknowledged messages, nothing of the refused one. */
    harness_sigterm(&h);
    harness_serve(&h);
    uint64_t acked[2] = {first, second};
    assert_all_acked_present(&h, acked, 2);
    nurse = harness_login(&h, "nurse");
    ASSERT_EQ(inbox_ids(nurse, ids, 16), 2);
    cl_sync_close(nurse);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(sigterm_stops_cleanly_and_keeps_everything),
             CL_TEST_ENTRY(sigkill_loses_nothing_acknowledged),
             CL_TEST_ENTRY(full_disk_refuses_writes_keeps_reads_and_loses_nothing),
             CL_TEST_ENTRY(read_only_database_file_refuses_writes_and_keeps_reads))
