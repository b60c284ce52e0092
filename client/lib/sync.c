/* libclinic's blocking layer: one connection on a private libuv loop that runs only while the
 * caller waits for a reply, an event or a timeout. Replies, the HelloReply and events are copied
 * out of the asynchronous layer's borrowed messages, so they outlive the callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinic_cli.h"
#include "clinic_client.h"
#include "conn.h"
#include "log.h"
#include "mem.h"
#include "status.h"

enum { DEFAULT_TIMEOUT_MS = 10000, EVENT_QUEUE_MAX = 4096 };

struct cl_sync_s {
    uv_loop_t loop;
    uv_timer_t timer;    /* bounds each wait */
    cl_client_t *client; /* NULL once closed (the client frees itself) */
    uint32_t timeout_ms; /* for each call */
    int ready;           /* Hello answered */
    int closed;          /* the client reported its end */
    int timer_fired;
    int overflow; /* closed because the event queue was full */
    int close_status;
    char close_reason[CL_CONN_REASON_MAX];
    Clinic__HelloReply *hello; /* owned copy */
    Clinic__Response *resp;    /* owned; the last reply handed out */
    Clinic__Event *event;      /* owned; the last event handed out */
    Clinic__Event **queue;     /* owned ring of events not yet handed out */
    int queue_head, queued, queue_cap;
};

/* A deep copy by packing and unpacking: the async layer's messages are borrowed. */
static void *copy_message(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = cl_malloc(n);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    if (copy == NULL) {
        /* Our own packing decodes unless memory ran out. */
        fprintf(stderr, "clinic: out of memory copying a %s\n", m->descriptor->name);
        abort();
    }
    return copy;
}

static void free_message(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

static void on_timer(uv_timer_t *t)
{
    cl_sync_t *s = cl_container_of(t, cl_sync_t, timer);
    s->timer_fired = 1;
}

/* Runs the loop until *done is nonzero, the connection is gone or `timeout_ms` passed (< 0: no
 * limit; 0: only what is ready now). */
static void run_until(cl_sync_t *s, const int *done, int timeout_ms)
{
    if (timeout_ms == 0) {
        /* A timer due at once would fire before the poll, which would then block. */
        uv_run(&s->loop, UV_RUN_NOWAIT);
        return;
    }
    /* The loop sleeps between calls (the user may have typed for a minute): its cached time
     * is stale, and a timer started from it would be due at once. */
    uv_update_time(&s->loop);
    s->timer_fired = 0;
    if (timeout_ms > 0)
        uv_timer_start(&s->timer, on_timer, (uint64_t)timeout_ms, 0);
    while (!*done && !s->closed && !s->timer_fired)
        uv_run(&s->loop, UV_RUN_ONCE);
    uv_timer_stop(&s->timer);
}

static void on_sync_state(cl_client_t *c, int status, const char *reason,
                          const Clinic__HelloReply *hello, void *arg)
{
    (void)c;
    cl_sync_t *s = arg;
    if (status == 0) {
        s->ready = 1;
        s->hello = copy_message(&hello->base);
        return;
    }
    s->closed = 1;
    s->client = NULL;
    if (s->overflow) {
        s->close_status = CL_EEXHAUSTED;
        snprintf(s->close_reason, sizeof(s->close_reason),
                 "more than %d events waiting unread: connection dropped", EVENT_QUEUE_MAX);
    } else {
        s->close_status = status;
        snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
    }
}

static void on_sync_event(cl_client_t *c, const Clinic__Event *ev, void *arg)
{
    cl_sync_t *s = arg;
    if (s->queued == EVENT_QUEUE_MAX) {
        /* Dropping one silently would make a watcher skip it; a closed connection makes it
         * subscribe again from the last seq it saw. */
        s->overflow = 1;
        cl_client_close(c);
        return;
    }
    if (s->queued == s->queue_cap) {
        int cap = s->queue_cap ? s->queue_cap * 2 : 16;
        Clinic__Event **q = cl_malloc((size_t)cap * sizeof(*q));
        for (int i = 0; i < s->queued; i++)
            q[i] = s->queue[(s->queue_head + i) % s->queue_cap];
        free(s->queue);
        s->queue = q;
        s->queue_cap = cap;
        s->queue_head = 0;
    }
    s->queue[(s->queue_head + s->queued) % s->queue_cap] = copy_message(&ev->base);
    s->queued++;
}

void cl_sync_close(cl_sync_t *s)
{
    if (s == NULL)
        return;
    if (s->client) {
        cl_client_close(s->client);
        while (!s->closed)
            uv_run(&s->loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&s->timer, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&s->loop);
    if (rc != 0)
        cl_error("libclinic: the loop still had work at close: %s", uv_strerror(rc));
    for (int i = 0; i < s->queued; i++)
        free_message(s->queue[(s->queue_head + i) % s->queue_cap]);
    free(s->queue);
    free_message(s->hello);
    free_message(s->resp);
    free_message(s->event);
    free(s);
}

int cl_sync_connect(const cl_client_config_t *cfg, cl_sync_t **out, char *err, size_t errlen)
{
    *out = NULL;
    cl_sync_t *s = cl_calloc(1, sizeof(*s));
    int rc = uv_loop_init(&s->loop);
    if (rc != 0) {
        snprintf(err, errlen, "cannot set up an event loop: %s", uv_strerror(rc));
        free(s);
        return CL_EIO;
    }
    uv_timer_init(&s->loop, &s->timer);
    s->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    s->client = cl_client_connect(&s->loop, cfg, on_sync_state, s);
    if (s->client == NULL) {
        snprintf(err, errlen, "cannot load the TLS files (CA %s%s%s)",
                 cfg->ca_file ? cfg->ca_file : "none", cfg->cert_file ? ", certificate " : "",
                 cfg->cert_file ? cfg->cert_file : "");
        rc = CL_ETLS;
        goto fail;
    }
    cl_client_on_event(s->client, on_sync_event, s);
    /* The client's own deadline bounds connect, handshake and Hello. */
    while (!s->ready && !s->closed)
        uv_run(&s->loop, UV_RUN_ONCE);
    if (s->closed) {
        snprintf(err, errlen, "%s", s->close_reason);
        rc = s->close_status;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    cl_sync_close(s);
    return rc;
}

const Clinic__HelloReply *cl_sync_hello(cl_sync_t *s)
{
    return s->hello;
}

typedef struct {
    int done;
    int abandoned; /* the caller gave up waiting: the reply callback frees the record */
    int status;
    Clinic__Response *resp; /* owned copy */
} sync_call_t;

static void on_sync_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    sync_call_t *call = arg;
    if (call->abandoned) {
        free(call);
        return;
    }
    call->status = status;
    call->resp = resp ? copy_message(&resp->base) : NULL;
    call->done = 1;
}

static int closed_status(cl_sync_t *s, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", s->close_reason[0] ? s->close_reason : "connection closed");
    return s->close_status ? s->close_status : CL_EEOF;
}

int cl_sync_call(cl_sync_t *s, const Clinic__Request *req, const Clinic__Response **resp, char *err,
                 size_t errlen)
{
    *resp = NULL;
    free_message(s->resp);
    s->resp = NULL;
    if (s->closed)
        return closed_status(s, err, errlen);
    sync_call_t *call = cl_calloc(1, sizeof(*call));
    int rc = cl_client_call(s->client, req, on_sync_reply, call);
    if (rc != 0) {
        free(call);
        snprintf(err, errlen, "%s", cl_status_message(rc));
        return rc;
    }
    run_until(s, &call->done, (int)s->timeout_ms);
    if (!call->done) {
        call->abandoned = 1;
        snprintf(err, errlen, "no reply within %u ms", s->timeout_ms);
        return CL_ETIMEOUT;
    }
    int status = call->status;
    s->resp = call->resp;
    free(call);
    *resp = s->resp;
    if (status != 0) {
        if (s->resp)
            cl_cli_format_status(status, s->resp->status, err, errlen);
        else if (s->closed)
            closed_status(s, err, errlen);
        else
            snprintf(err, errlen, "%s", cl_status_message(status));
    }
    return status;
}

static int login_call(cl_sync_t *s, Clinic__Request *req, Clinic__Response__ResultCase want,
                      const Clinic__LoginReply **reply, char *err, size_t errlen)
{
    const Clinic__Response *resp;
    *reply = NULL;
    int rc = cl_sync_call(s, req, &resp, err, errlen);
    if (rc != 0)
        return rc;
    const Clinic__LoginReply *r =
        want == CLINIC__RESPONSE__RESULT_LOGIN ? resp->login : resp->resume;
    if (resp->result_case != want || r == NULL) {
        snprintf(err, errlen, "the server sent an unexpected reply");
        return CL_EINTERNAL;
    }
    *reply = r;
    return 0;
}

int cl_sync_login(cl_sync_t *s, const char *username, const char *password,
                  const Clinic__LoginReply **reply, char *err, size_t errlen)
{
    Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
    login.username = (char *)username;
    login.password = (char *)password;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_LOGIN;
    req.login = &login;
    return login_call(s, &req, CLINIC__RESPONSE__RESULT_LOGIN, reply, err, errlen);
}

int cl_sync_resume(cl_sync_t *s, const char *token, const Clinic__LoginReply **reply, char *err,
                   size_t errlen)
{
    Clinic__ResumeRequest resume = CLINIC__RESUME_REQUEST__INIT;
    resume.token = (char *)token;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_RESUME;
    req.resume = &resume;
    return login_call(s, &req, CLINIC__RESPONSE__RESULT_RESUME, reply, err, errlen);
}

int cl_sync_next_event(cl_sync_t *s, int timeout_ms, const Clinic__Event **ev, char *err,
                       size_t errlen)
{
    *ev = NULL;
    free_message(s->event);
    s->event = NULL;
    if (s->queued == 0 && !s->closed)
        run_until(s, &s->queued, timeout_ms < 0 ? -1 : timeout_ms);
    /* Events received before the connection ended still come out first. */
    if (s->queued > 0) {
        s->event = s->queue[s->queue_head];
        s->queue_head = (s->queue_head + 1) % s->queue_cap;
        s->queued--;
        *ev = s->event;
        return 0;
    }
    if (s->closed)
        return closed_status(s, err, errlen);
    snprintf(err, errlen, "no event within %d ms", timeout_ms);
    return CL_ETIMEOUT;
}

int cl_sync_send_raw(cl_sync_t *s, const void *data, size_t len)
{
    if (s->closed)
        return CL_EEOF;
    return cl_client_send_raw(s->client, data, len);
}
