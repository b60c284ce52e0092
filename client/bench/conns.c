/* clinic-bench's connections: the control connection (the one password login, ServerStatus
 * before and after a run) and the workload's connections, opened in waves of at most BENCH_WAVE
 * handshakes, each resuming the control login's session so that setup costs no scrypt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mem.h"
#include "status.h"

enum { CTL_TIMEOUT_MS = 60000 };

static void on_wake(uv_timer_t *t)
{
    bench_t *b = cl_container_of(t, bench_t, wake);
    b->woke = 1;
}

int bench_run_until(bench_t *b, int (*done)(bench_t *b), uint64_t timeout_ms)
{
    b->woke = 0;
    uv_update_time(b->loop);
    uv_timer_start(&b->wake, on_wake, timeout_ms, 0);
    while (!done(b) && !b->woke)
        uv_run(b->loop, UV_RUN_ONCE);
    uv_timer_stop(&b->wake);
    return done(b) ? 0 : CL_ETIMEOUT;
}

void bench_note_error(bench_t *b, const char *what, const char *reason)
{
    if (b->first_error[0] == '\0')
        snprintf(b->first_error, sizeof(b->first_error), "%s: %s", what,
                 reason && *reason ? reason : "unknown reason");
}

void bench_request_make(Clinic__Request *req, Clinic__Request__BodyCase kind, const void *body)
{
    if (cl_request_make(req, kind, body) != 0) {
        fprintf(stderr, "clinic-bench: no request of kind %d\n", (int)kind);
        abort();
    }
}

const char *bench_reply_reason(int status, const Clinic__Response *resp)
{
    if (resp && resp->status && resp->status->message && resp->status->message[0])
        return resp->status->message;
    return cl_status_message(status);
}

static void on_state(cl_client_t *c, int status, const char *reason,
                     const Clinic__HelloReply *hello, void *arg)
{
    (void)c;
    (void)hello;
    bench_conn_t *bc = arg;
    if (status == 0) {
        if (bc->on_ready)
            bc->on_ready(bc);
        return;
    }
    bc->client = NULL; /* the library frees it when this returns */
    bc->authed = 0;
    if (bc->on_end)
        bc->on_end(bc, status, reason);
}

int bench_conn_start(bench_t *b, bench_conn_t *bc)
{
    bc->b = b;
    bc->client = cl_client_connect(b->loop, &b->cfg, on_state, bc);
    return bc->client ? 0 : CL_ETLS;
}

/* --- the control connection ---------------------------------------------------------------- */

static int ctl_settled(bench_t *b)
{
    return b->ctl_done;
}

/* A deep copy of a borrowed reply, by packing and unpacking. */
static Clinic__Response *copy_response(const Clinic__Response *resp)
{
    size_t n = clinic__response__get_packed_size(resp);
    uint8_t *buf = cl_malloc(n ? n : 1);
    clinic__response__pack(resp, buf);
    Clinic__Response *copy = clinic__response__unpack(NULL, n, buf);
    free(buf);
    if (copy == NULL) {
        fprintf(stderr, "clinic-bench: out of memory copying a reply\n");
        abort();
    }
    return copy;
}

static void on_ctl_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_t *b = arg;
    if (b->ctl_resp)
        clinic__response__free_unpacked(b->ctl_resp, NULL);
    b->ctl_resp = resp ? copy_response(resp) : NULL;
    b->ctl_status = resp == NULL && status == 0 ? CL_EEOF : status;
    b->ctl_done = 1;
}

/* Sends `req` on the control connection and waits for the reply. Returns its status; on 0 the
 * reply is in b->ctl_resp. */
static int ctl_call(bench_t *b, const Clinic__Request *req)
{
    if (b->ctl.client == NULL)
        return CL_EEOF;
    b->ctl_done = 0;
    int rc = cl_client_call(b->ctl.client, req, on_ctl_reply, b);
    if (rc != 0)
        return rc;
    if (bench_run_until(b, ctl_settled, CTL_TIMEOUT_MS) != 0)
        return CL_ETIMEOUT;
    return b->ctl_status;
}

int bench_ctl_send(bench_t *b, Clinic__Request__BodyCase kind, const void *body)
{
    Clinic__Request req;
    bench_request_make(&req, kind, body);
    int rc = ctl_call(b, &req);
    if (rc == 0 && b->ctl_resp->result_case != (Clinic__Response__ResultCase)kind)
        return CL_EINTERNAL;
    return rc;
}

static void on_ctl_ready(bench_conn_t *bc)
{
    bc->b->ctl_done = 1;
}

static void on_ctl_end(bench_conn_t *bc, int status, const char *reason)
{
    bench_t *b = bc->b;
    b->ctl_status = status;
    b->ctl_done = 1;
    if (!b->closing_all)
        bench_note_error(b, "the control connection ended", reason);
}

int bench_ctl_login(bench_t *b)
{
    b->ctl.on_ready = on_ctl_ready;
    b->ctl.on_end = on_ctl_end;
    b->ctl_done = 0;
    if (bench_conn_start(b, &b->ctl) != 0) {
        fprintf(stderr, "clinic-bench: cannot set up TLS with %s, %s, %s (see above)\n",
                b->cfg.ca_file, b->cfg.cert_file, b->cfg.key_file);
        return CL_ETLS;
    }
    if (bench_run_until(b, ctl_settled, CTL_TIMEOUT_MS) != 0 || b->ctl.client == NULL) {
        fprintf(stderr, "clinic-bench: cannot connect to %s: %s\n", b->cfg.server,
                b->first_error[0] ? b->first_error : "timed out");
        return CL_EUNAVAIL;
    }

    Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
    login.username = (char *)b->user;
    login.password = b->password;
    uint64_t t0 = uv_hrtime();
    int rc = bench_ctl_send(b, CLINIC__REQUEST__BODY_LOGIN, &login);
    b->login_ms = (double)(uv_hrtime() - t0) / 1e6;
    if (rc != 0) {
        fprintf(stderr, "clinic-bench: login as %s failed: %s\n", b->user,
                bench_reply_reason(rc, b->ctl_resp));
        return rc;
    }
    snprintf(b->token, sizeof(b->token), "%s", b->ctl_resp->login->token);
    return 0;
}

void bench_status(bench_t *b, bench_status_t *st)
{
    memset(st, 0, sizeof(*st));
    Clinic__ServerStatusRequest status = CLINIC__SERVER_STATUS_REQUEST__INIT;
    int rc = bench_ctl_send(b, CLINIC__REQUEST__BODY_SERVER_STATUS, &status);
    if (rc != 0) {
        if (!b->status_warned)
            fprintf(stderr,
                    "clinic-bench: no server status (%s): server CPU and RSS not reported\n",
                    bench_reply_reason(rc, b->ctl_resp));
        b->status_warned = 1;
        return;
    }
    const Clinic__ServerStatusReply *r = b->ctl_resp->server_status;
    st->ok = 1;
    st->cpu_s = r->cpu_seconds;
    st->peak_rss = r->peak_rss_bytes;
    st->current_rss = r->current_rss_bytes;
    st->commits = r->commits;
    st->committed_requests = r->committed_requests;
    st->requests = r->requests;
    st->connections = r->connections;
}

/* --- the workload's connections ------------------------------------------------------------ */

static void setup_next(bench_t *b);

/* Ends the setup of `bc`: authenticated (status 0) or failed. */
static void setup_done(bench_conn_t *bc, int status, const char *reason)
{
    bench_t *b = bc->b;
    if (!bc->in_setup)
        return;
    bc->in_setup = 0;
    b->setting_up--;
    if (status == 0) {
        bc->authed = 1;
        b->set_up++;
        bench_lat_add(&b->setup_lat, uv_hrtime() - bc->t0);
    } else {
        b->setup_failed++;
        bench_note_error(b, "setting up a connection", reason);
        if (bc->client)
            cl_client_close(bc->client);
    }
    if (b->set_up + b->setup_failed == b->connections)
        b->setup_end = uv_hrtime();
    setup_next(b);
}

static void on_subscribed(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    setup_done(arg, status, bench_reply_reason(status, resp));
}

static void on_resumed(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    if (status != 0 || !b->subscribe) {
        setup_done(bc, status, bench_reply_reason(status, resp));
        return;
    }
    char *topics[] = {(char *)(b->topic ? b->topic : "inbox")};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    Clinic__Request req;
    bench_request_make(&req, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub);
    if (cl_client_call(c, &req, on_subscribed, bc) != 0)
        setup_done(bc, CL_EEOF, "closed before subscribing");
}

/* Sends ResumeRequest with the control login's token; `cb` gets the reply. */
int bench_resume(bench_conn_t *bc, cl_client_reply_fn cb)
{
    Clinic__ResumeRequest resume = CLINIC__RESUME_REQUEST__INIT;
    resume.token = bc->b->token;
    Clinic__Request req;
    bench_request_make(&req, CLINIC__REQUEST__BODY_RESUME, &resume);
    return cl_client_call(bc->client, &req, cb, bc);
}

static void on_worker_ready(bench_conn_t *bc)
{
    if (bench_resume(bc, on_resumed) != 0)
        setup_done(bc, CL_EEOF, "closed before resuming");
}

static void on_worker_end(bench_conn_t *bc, int status, const char *reason)
{
    bench_t *b = bc->b;
    if (bc->in_setup) {
        setup_done(bc, status, reason);
        return;
    }
    if (b->closing_all)
        return;
    b->lost++;
    b->errors++;
    bench_note_error(b, "a connection was lost", reason);
}

static void setup_next(bench_t *b)
{
    while (b->setting_up < BENCH_WAVE && b->next_setup < b->connections) {
        bench_conn_t *bc = &b->conns[b->next_setup++];
        bc->b = b;
        bc->on_ready = on_worker_ready;
        bc->on_end = on_worker_end;
        bc->in_setup = 1;
        bc->t0 = uv_hrtime();
        b->setting_up++;
        if (bench_conn_start(b, bc) != 0)
            setup_done(bc, CL_ETLS, "cannot make a TLS context");
    }
}

static int all_set_up(bench_t *b)
{
    return b->set_up + b->setup_failed == b->connections;
}

int bench_open_all(bench_t *b)
{
    b->setup_start = uv_hrtime();
    setup_next(b);
    if (bench_run_until(b, all_set_up, BENCH_SETUP_MS) != 0)
        bench_note_error(b, "setting up the connections", "timed out");
    if (b->setup_end == 0)
        b->setup_end = uv_hrtime();
    return b->set_up > 0 ? 0 : CL_EUNAVAIL;
}

static int all_ended(bench_t *b)
{
    for (size_t i = 0; i < b->connections; i++)
        if (b->conns && b->conns[i].client)
            return 0;
    return b->sender.client == NULL && b->ctl.client == NULL;
}

void bench_close_all(bench_t *b)
{
    b->closing_all = 1;
    for (size_t i = 0; b->conns && i < b->connections; i++)
        if (b->conns[i].client)
            cl_client_close(b->conns[i].client);
    if (b->sender.client)
        cl_client_close(b->sender.client);
    if (b->ctl.client)
        cl_client_close(b->ctl.client);
    bench_run_until(b, all_ended, CTL_TIMEOUT_MS);
}
