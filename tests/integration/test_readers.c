/* Reads on reader threads (server/store.h) against a real clinicd: a read sent behind a write on
 * the same connection sees that write; every read run on a reader leaves exactly one audit row,
 * written by the writer before its reply; and when that audit row cannot be written (the
 * database file made immutable) the reply is an error that carries none of the patient data.
 * The same pipelined test also runs with `readers = 0`, the writer alone. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

enum { PAIRS = 40 };

/* Patient "<first> Readerson", born 1970-01-01: a register request built in `p`'s storage. */
typedef struct {
    Clinic__Patient p;
    Clinic__PatientAddress addr;
    Clinic__EmergencyContact em;
    Clinic__PatientRegisterRequest r;
    Clinic__PatientSearchRequest s;
    char first[16], query[48];
} patient_req_t;

static void patient_req(patient_req_t *t, int i)
{
    memset(t, 0, sizeof(*t));
    clinic__patient__init(&t->p);
    clinic__patient_address__init(&t->addr);
    clinic__emergency_contact__init(&t->em);
    clinic__patient_register_request__init(&t->r);
    clinic__patient_search_request__init(&t->s);
    /* Names of letters only, all different: "Qbaa", "Qbab", ... */
    snprintf(t->first, sizeof(t->first), "Qb%c%c", 'a' + i / 26, 'a' + i % 26);
    snprintf(t->query, sizeof(t->query), "readers %s", t->first);
    t->p.first_name = t->first;
    t->p.last_name = "Readerson";
    t->p.birth_date = "1970-01-01";
    t->p.sex = "unknown";
    t->p.address = &t->addr;
    t->p.emergency = &t->em;
    t->r.patient = &t->p;
    t->r.save_despite_duplicates = 1;
    t->s.query = t->query;
}

/* ---- pipelined: a write, then at once a read of what it wrote, forty times over ---- */

typedef struct {
    patient_req_t reqs[PAIRS];
    uint64_t registered[PAIRS];
    int found[PAIRS];
    int replies, failures;
    cl_client_t *client;
} pipeline_t;

typedef struct {
    pipeline_t *p;
    int index;
} slot_t;

static slot_t slots[PAIRS];

static void on_registered(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    slot_t *s = arg;
    if (status != 0)
        s->p->failures++;
    else
        s->p->registered[s->index] = resp->patient_register->patient->id;
    s->p->replies++;
}

static void on_searched(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    slot_t *s = arg;
    pipeline_t *p = s->p;
    if (status != 0) {
        p->failures++;
    } else {
        /* The register reply came first (replies keep their order on one connection only
         * when they come from one queue, so look the id up by name instead). */
        const Clinic__PatientSearchReply *r = resp->patient_search;
        for (size_t i = 0; i < r->n_patients; i++)
            p->found[s->index] |= strcmp(r->patients[i]->first_name, p->reqs[s->index].first) == 0;
    }
    if (++p->replies == 2 * PAIRS)
        cl_client_close(c);
}

static void on_login(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)resp;
    pipeline_t *p = arg;
    ASSERT_OK(status);
    for (int i = 0; i < PAIRS; i++) {
        slots[i] = (slot_t){p, i};
        patient_req(&p->reqs[i], i);
        Clinic__Request req;
        ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &p->reqs[i].r));
        ASSERT_OK(cl_client_call(c, &req, on_registered, &slots[i]));
        ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &p->reqs[i].s));
        ASSERT_OK(cl_client_call(c, &req, on_searched, &slots[i]));
    }
}

static void on_state(cl_client_t *c, int status, const char *reason,
                     const Clinic__HelloReply *hello, void *arg)
{
    (void)hello;
    pipeline_t *p = arg;
    if (status != 0) {
        if (p->replies < 2 * PAIRS)
            CL_FAIL("connection: %s", reason);
        return;
    }
    harness_async_login(c, "desk", on_login, p);
}

static void pipelined_reads_see_earlier_writes(const char *conf)
{
    cl_harness_t h;
    harness_start(&h, conf);
    harness_add_user(&h, "desk", "front_desk");
    static pipeline_t p;
    memset(&p, 0, sizeof(p));
    uv_loop_t loop;
    ASSERT_OK(uv_loop_init(&loop));
    cl_client_config_t cfg = harness_config(&h, 1);
    p.client = cl_client_connect(&loop, &cfg, on_state, &p);
    ASSERT_NOT_NULL(p.client);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_loop_close(&loop));
    ASSERT_EQ(p.replies, 2 * PAIRS);
    ASSERT_EQ(p.failures, 0);
    for (int i = 0; i < PAIRS; i++) {
        ASSERT_NE(p.registered[i], 0);
        if (!p.found[i])
            CL_FAIL("the search sent right behind registering %s did not find it", p.reqs[i].first);
    }
    harness_stop(&h);
}

CL_TEST(a_read_sent_behind_a_write_sees_it)
{
    pipelined_reads_see_earlier_writes("readers = 2\n");
}

CL_TEST(a_read_sent_behind_a_write_sees_it_without_readers)
{
    pipelined_reads_see_earlier_writes("readers = 0\n");
}

/* ---- audit ---- */

static int64_t audit_rows(cl_harness_t *h, const char *action)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = '%s'", action);
    return harness_sql(h, sql);
}

static int search(cl_sync_t *s, const char *query, const Clinic__Response **resp)
{
    Clinic__PatientSearchRequest m = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    m.query = (char *)query;
    return harness_send(s, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &m, resp);
}

static int show(cl_sync_t *s, uint64_t id, const Clinic__Response **resp)
{
    Clinic__PatientShowRequest m = CLINIC__PATIENT_SHOW_REQUEST__INIT;
    m.id = id;
    return harness_send(s, CLINIC__REQUEST__BODY_PATIENT_SHOW, &m, resp);
}

/* Four clients reading at once through the readers: one audit row per read, the chain intact. */
CL_TEST(every_read_on_a_reader_is_one_audit_row)
{
    enum { CLIENTS = 4, READS = 50 };
    cl_harness_t h;
    harness_start(&h, "readers = 2\n");
    harness_add_user(&h, "desk", "front_desk");
    cl_sync_t *s[CLIENTS];
    for (int c = 0; c < CLIENTS; c++)
        s[c] = harness_login(&h, "desk");
    patient_req_t t;
    patient_req(&t, 7);
    uint64_t id = harness_send_ok(s[0], CLINIC__REQUEST__BODY_PATIENT_REGISTER, &t.r)
                      ->patient_register->patient->id;
    int64_t searches = audit_rows(&h, "patient.search"), shows = audit_rows(&h, "patient.show");

    for (int i = 0; i < READS; i++)
        for (int c = 0; c < CLIENTS; c++) {
            const Clinic__Response *resp;
            if (i % 2 == 0) {
                ASSERT_OK(search(s[c], t.query, &resp));
                ASSERT_EQ(resp->patient_search->n_patients, 1);
            } else {
                ASSERT_OK(show(s[c], id, &resp));
                ASSERT_STR_EQ(resp->patient_show->patient->first_name, t.first);
            }
        }
    for (int c = 0; c < CLIENTS; c++)
        cl_sync_close(s[c]);
    ASSERT_EQ(audit_rows(&h, "patient.search") - searches, CLIENTS * READS / 2);
    ASSERT_EQ(audit_rows(&h, "patient.show") - shows, CLIENTS * READS / 2);
    harness_sigterm(&h);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST(a_read_whose_audit_row_cannot_be_written_returns_no_data)
{
    cl_harness_t h;
    harness_start(&h, "readers = 2\n");
    harness_add_user(&h, "desk", "front_desk");
    cl_sync_t *desk = harness_login(&h, "desk");
    patient_req_t t;
    patient_req(&t, 3);
    uint64_t id = harness_send_ok(desk, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &t.r)
                      ->patient_register->patient->id;
    int64_t before = audit_rows(&h, "patient.search");

    harness_set_immutable(&h, 1);
    for (int i = 0; i < 5; i++) {
        const Clinic__Response *resp;
        int rc = search(desk, t.query, &resp);
        ASSERT_NE(rc, 0);
        ASSERT_NOT_NULL(resp);
        ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAVAILABLE);
        ASSERT_NULL(resp->patient_search);
        rc = show(desk, id, &resp);
        ASSERT_NE(rc, 0);
        ASSERT_NULL(resp->patient_show);
    }
    harness_set_immutable(&h, 0);

    const Clinic__Response *resp;
    ASSERT_OK(search(desk, t.query, &resp));
    ASSERT_EQ(resp->patient_search->n_patients, 1);
    cl_sync_close(desk);
    ASSERT_EQ(audit_rows(&h, "patient.search"), before + 1);
    harness_sigterm(&h);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(a_read_sent_behind_a_write_sees_it),
             CL_TEST_ENTRY(a_read_sent_behind_a_write_sees_it_without_readers),
             CL_TEST_ENTRY(every_read_on_a_reader_is_one_audit_row),
             CL_TEST_ENTRY(a_read_whose_audit_row_cannot_be_written_returns_no_data))
