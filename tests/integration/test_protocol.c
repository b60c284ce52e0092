/* The wire protocol against a real clinicd: Hello, Login, Ping, WhoAmI as DESIGN.md fixes them,
 * and bad input of every kind: each gets its clear error, and other connections are unharmed. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

static const char *conf_fast_timeouts = "handshake_timeout_s = 1\n";

static Clinic__Request ping_request(Clinic__PingRequest *p)
{
    clinic__ping_request__init(p);
    Clinic__Request r = CLINIC__REQUEST__INIT;
    r.body_case = CLINIC__REQUEST__BODY_PING;
    r.ping = p;
    return r;
}

static void hello_raw(harness_raw_t *r)
{
    Clinic__HelloRequest hello = CLINIC__HELLO_REQUEST__INIT;
    hello.protocol_version = 1;
    hello.client_name = "raw";
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_HELLO;
    req.hello = &hello;
    ASSERT_OK(harness_raw_request(r, 1, &req));
    int closed;
    Clinic__Envelope *env = harness_raw_recv(r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, 1);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__OK);
    ASSERT_EQ(env->response->hello->protocol_version, 1);
    ASSERT_STR_EQ(env->response->hello->clinic_name, "Test Clinic");
    clinic__envelope__free_unpacked(env, NULL);
}

/* Expects the protocol-error notice (id 0, INVALID_ARGUMENT, `reason` in the message), then the
 * close. */
static void expect_protocol_error(harness_raw_t *r, const char *reason)
{
    int closed;
    Clinic__Envelope *env = harness_raw_recv(r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, 0);
    ASSERT_EQ(env->body_case, CLINIC__ENVELOPE__BODY_RESPONSE);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__INVALID_ARGUMENT);
    ASSERT_STR_CONTAINS(env->response->status->message, reason);
    clinic__envelope__free_unpacked(env, NULL);
    ASSERT(harness_raw_closed_within(r, 5000));
}

/* A logged-in bystander still gets answers. */
static void assert_bystander_ok(cl_sync_t *s)
{
    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    const Clinic__Response *resp;
    ASSERT_OK(harness_call(s, &req, &resp));
    ASSERT_STR_EQ(resp->whoami->username, "admin");
}

CL_TEST(hello_login_ping_whoami)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *s = harness_connect(&h);
    const Clinic__HelloReply *hello = cl_sync_hello(s);
    ASSERT_EQ(hello->protocol_version, 1);
    ASSERT_STR_EQ(hello->clinic_name, "Test Clinic");
    ASSERT_LE(llabs(hello->server_time - (int64_t)time(NULL)), 5);

    /* Ping needs no login; WhoAmI does. */
    Clinic__PingRequest p;
    Clinic__Request req = ping_request(&p);
    const Clinic__Response *resp;
    ASSERT_OK(harness_call(s, &req, &resp));
    ASSERT_GT(resp->ping->server_time, 0);
    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    Clinic__Request who = CLINIC__REQUEST__INIT;
    who.body_case = CLINIC__REQUEST__BODY_WHOAMI;
    who.whoami = &w;
    ASSERT_EQ(harness_call(s, &who, &resp), CL_EUNAUTH);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__UNAUTHENTICATED);

    const Clinic__LoginReply *login;
    char err[256];
    ASSERT_EQ(cl_sync_login(s, "admin", "wrong-password!", &login, err, sizeof(err)), CL_EUNAUTH);
    ASSERT_OK(cl_sync_login(s, "admin", TEST_PASSWORD, &login, err, sizeof(err)));
    ASSERT_STR_EQ(login->username, "admin");
    ASSERT_EQ(login->n_roles, 1);
    ASSERT_STR_EQ(login->roles[0], "admin");
    ASSERT_EQ(strlen(login->token), 64);
    ASSERT_EQ(login->idle_timeout_s, 15 * 60);
    char token[65];
    snprintf(token, sizeof(token), "%s", login->token);

    ASSERT_OK(harness_call(s, &who, &resp));
    ASSERT_STR_EQ(resp->whoami->username, "admin");
    ASSERT_STR_EQ(resp->whoami->workstation, "ws1");
    cl_sync_close(s);

    /* The token resumes the session on a new connection. */
    s = harness_connect(&h);
    ASSERT_OK(cl_sync_resume(s, token, &login, err, sizeof(err)));
    ASSERT_STR_EQ(login->username, "admin");
    ASSERT_OK(harness_call(s, &who, &resp));

    /* After logout the token is dead. */
    Clinic__LogoutRequest lo = CLINIC__LOGOUT_REQUEST__INIT;
    Clinic__Request out = CLINIC__REQUEST__INIT;
    out.body_case = CLINIC__REQUEST__BODY_LOGOUT;
    out.logout = &lo;
    ASSERT_OK(harness_call(s, &out, &resp));
    ASSERT_EQ(harness_call(s, &who, &resp), CL_EUNAUTH);
    cl_sync_close(s);
    s = harness_connect(&h);
    ASSERT_EQ(cl_sync_resume(s, token, &login, err, sizeof(err)), CL_EUNAUTH);
    cl_sync_close(s);
    harness_stop(&h);
}

CL_TEST(request_before_hello_is_refused)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    Clinic__PingRequest p;
    Clinic__Request req = ping_request(&p);
    ASSERT_OK(harness_raw_request(&r, 5, &req));
    int closed;
    Clinic__Envelope *env = harness_raw_recv(&r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, 5);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__FAILED_PRECONDITION);
    ASSERT_STR_CONTAINS(env->response->status->message, "Hello");
    clinic__envelope__free_unpacked(env, NULL);
    /* The connection stays usable. */
    hello_raw(&r);
    harness_raw_close(&r);
    harness_stop(&h);
}

CL_TEST(malformed_frame_is_answered_then_closed)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *bystander = harness_login(&h, "admin");
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    static const uint8_t garbage[] = {0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ASSERT_OK(harness_raw_send(&r, garbage, sizeof(garbage)));
    expect_protocol_error(&r, "does not decode");
    harness_raw_close(&r);
    assert_bystander_ok(bystander);
    cl_sync_close(bystander);
    harness_stop(&h);
}

CL_TEST(zero_length_frame_is_refused)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    static const uint8_t zero[] = {0, 0, 0, 0};
    ASSERT_OK(harness_raw_send(&r, zero, sizeof(zero)));
    expect_protocol_error(&r, "frame length 0");
    harness_raw_close(&r);
    harness_stop(&h);
}

CL_TEST(oversized_frame_is_refused_before_its_body)
{
    cl_harness_t h;
    harness_start(&h, "max_frame = 4096\n");
    cl_sync_t *bystander = harness_login(&h, "admin");
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    /* Only the header: the server must not wait for (or allocate) 2 GiB. */
    static const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff};
    ASSERT_OK(harness_raw_send(&r, huge, sizeof(huge)));
    expect_protocol_error(&r, "over the limit of 4096");
    harness_raw_close(&r);
    assert_bystander_ok(bystander);
    cl_sync_close(bystander);
    harness_stop(&h);
}

CL_TEST(wrong_direction_is_refused)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    Clinic__Status st = CLINIC__STATUS__INIT;
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.status = &st;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = 9;
    env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
    env.response = &resp;
    cl_buf_t b = {0};
    cl_frame_pack(&b, &env);
    ASSERT_OK(harness_raw_send(&r, cl_buf_head(&b), cl_buf_size(&b)));
    cl_buf_free(&b);
    expect_protocol_error(&r, "wrong direction");
    harness_raw_close(&r);
    harness_stop(&h);
}

CL_TEST(unknown_request_kind_is_answered_and_connection_kept)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    /* Envelope{id: 7, request: {field 99 (varint) = 1}}, as a newer client would send. */
    static const uint8_t frame[] = {0, 0, 0, 7, 0x08, 0x07, 0x12, 0x03, 0x98, 0x06, 0x01};
    ASSERT_OK(harness_raw_send(&r, frame, sizeof(frame)));
    int closed;
    Clinic__Envelope *env = harness_raw_recv(&r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, 7);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__INVALID_ARGUMENT);
    ASSERT_STR_CONTAINS(env->response->status->message, "unknown request kind (field 99)");
    clinic__envelope__free_unpacked(env, NULL);
    Clinic__PingRequest p;
    Clinic__Request req = ping_request(&p);
    ASSERT_OK(harness_raw_request(&r, 8, &req));
    env = harness_raw_recv(&r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, 8);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__OK);
    clinic__envelope__free_unpacked(env, NULL);
    harness_raw_close(&r);
    harness_stop(&h);
}

CL_TEST(field_too_long_names_the_field)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_sync_t *s = harness_connect(&h);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
    login.username = longname;
    login.password = "whatever-password";
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_LOGIN;
    req.login = &login;
    const Clinic__Response *resp;
    ASSERT_EQ(harness_call(s, &req, &resp), CL_EINVAL);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__INVALID_ARGUMENT);
    ASSERT_EQ(resp->status->n_fields, 1);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "username");
    cl_sync_close(s);
    harness_stop(&h);
}

CL_TEST(half_frame_then_silence_is_closed)
{
    cl_harness_t h;
    harness_start(&h, conf_fast_timeouts);
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    static const uint8_t half[] = {0, 0, 0, 50, 0x08};
    ASSERT_OK(harness_raw_send(&r, half, sizeof(half)));
    double t0 = harness_ms();
    ASSERT(harness_raw_closed_within(&r, 5000));
    ASSERT_GE(harness_ms() - t0, 500);
    harness_raw_close(&r);
    ASSERT(harness_wait_log(&h, "half a frame", 2000));
    harness_stop(&h);
}

CL_TEST(silent_tls_handshake_times_out)
{
    cl_harness_t h;
    harness_start(&h, conf_fast_timeouts);
    /* TCP only: no ClientHello ever. */
    harness_raw_t r;
    memset(&r, 0, sizeof(r));
    char host[64];
    snprintf(host, sizeof(host), "%s", h.server);
    int port = atoi(strrchr(host, ':') + 1);
    r.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ASSERT_OK(connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)));
    struct pollfd pfd = {r.fd, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1);
    char c;
    ASSERT_EQ(read(r.fd, &c, 1), 0); /* closed by the server */
    close(r.fd);
    ASSERT(harness_wait_log(&h, "TLS handshake timed out", 2000));
    harness_stop(&h);
}

CL_TEST(connection_without_a_login_is_closed_when_idle)
{
    cl_harness_t h;
    harness_start(&h, "connection_idle_s = 1\n");
    cl_sync_t *admin = harness_login(&h, "admin");
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    double t0 = harness_ms();
    ASSERT(harness_raw_closed_within(&r, 5000));
    ASSERT_GE(harness_ms() - t0, 500);
    harness_raw_close(&r);
    ASSERT(harness_wait_log(&h, "idle without a login", 2000));
    /* A logged-in connection is not closed for that: its session's idle logoff applies. */
    usleep(1500 * 1000);
    assert_bystander_ok(admin);
    cl_sync_close(admin);
    harness_stop(&h);
}

CL_TEST(client_that_never_reads_is_closed_and_others_unharmed)
{
    cl_harness_t h;
    harness_start(&h, "max_output_kib = 64\n");
    cl_sync_t *bystander = harness_login(&h, "admin");
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    hello_raw(&r);
    /* Pipeline pings and never read: replies pile up at the server until it gives up. */
    Clinic__PingRequest p;
    Clinic__Request req = ping_request(&p);
    cl_buf_t batch = {0};
    for (int i = 0; i < 1000; i++) {
        Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
        env.id = (uint64_t)i + 10;
        env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
        env.request = &req;
        cl_frame_pack(&batch, &env);
    }
    /* The socket is non-blocking from here, so a stalled send cannot hang the test. */
    fcntl(r.fd, F_SETFL, fcntl(r.fd, F_GETFL) | O_NONBLOCK);
    double deadline = harness_ms() + 20000;
    int closed = 0;
    while (!closed && harness_ms() < deadline) {
        if (harness_raw_send(&r, cl_buf_head(&batch), cl_buf_size(&batch)) != 0) {
            /* EAGAIN (buffers full) or EPIPE/RST (closed): check which. */
            usleep(50000);
            closed = harness_log_contains(&h, "not reading");
        }
        assert_bystander_ok(bystander);
    }
    cl_buf_free(&batch);
    ASSERT(closed);
    harness_raw_close(&r);
    assert_bystander_ok(bystander);
    cl_sync_close(bystander);
    harness_stop(&h);
}

CL_TEST(max_connections_answers_resource_exhausted)
{
    cl_harness_t h;
    harness_start(&h, "max_connections = 2\n");
    cl_sync_t *a = harness_connect(&h);
    cl_sync_t *b = harness_connect(&h);
    cl_client_config_t cfg = harness_config(&h, 1);
    cl_sync_t *c = NULL;
    char err[256];
    int rc = cl_sync_connect(&cfg, &c, err, sizeof(err));
    ASSERT_NE(rc, 0);
    ASSERT_STR_CONTAINS(err, "limit of 2 connections");
    cl_sync_close(b);
    /* A place is free again once one closes. */
    double deadline = harness_ms() + 5000;
    do {
        rc = cl_sync_connect(&cfg, &c, err, sizeof(err));
        if (rc != 0)
            usleep(50000);
    } while (rc != 0 && harness_ms() < deadline);
    ASSERT_OK(rc);
    cl_sync_close(c);
    cl_sync_close(a);
    harness_stop(&h);
}

/* --- pipelining and backpressure with the asynchronous client ------------------------------ */

typedef struct {
    int replies, ok, state_ok, closed;
    int target;
    cl_client_t *client;
} pipeline_t;

static void on_pipelined_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    pipeline_t *p = arg;
    p->replies++;
    if (status == 0 && resp && resp->result_case == CLINIC__RESPONSE__RESULT_WHOAMI)
        p->ok++;
    if (p->replies == p->target)
        cl_client_close(p->client);
}

static void on_login_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    pipeline_t *p = arg;
    ASSERT_OK(status);
    ASSERT_NOT_NULL(resp);
    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    for (int i = 0; i < p->target; i++)
        ASSERT_OK(cl_client_call(c, &req, on_pipelined_reply, p));
}

static void on_pipeline_state(cl_client_t *c, int status, const char *reason,
                              const Clinic__HelloReply *hello, void *arg)
{
    (void)reason;
    (void)hello;
    pipeline_t *p = arg;
    if (status != 0) {
        p->closed++;
        return;
    }
    p->state_ok++;
    harness_async_login(c, "admin", on_login_reply, p);
}

CL_TEST(backpressure_answers_every_pipelined_request)
{
    cl_harness_t h;
    harness_start(&h, "max_in_flight = 2\n");
    uv_loop_t loop;
    ASSERT_OK(uv_loop_init(&loop));
    cl_client_config_t cfg = harness_config(&h, 1);
    pipeline_t p = {.target = 2000};
    p.client = cl_client_connect(&loop, &cfg, on_pipeline_state, &p);
    ASSERT_NOT_NULL(p.client);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(p.state_ok, 1);
    ASSERT_EQ(p.replies, p.target);
    ASSERT_EQ(p.ok, p.target); /* none dropped, none refused */
    ASSERT_EQ(p.closed, 1);
    ASSERT_OK(uv_loop_close(&loop));
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(hello_login_ping_whoami), CL_TEST_ENTRY(request_before_hello_is_refused),
             CL_TEST_ENTRY(malformed_frame_is_answered_then_closed),
             CL_TEST_ENTRY(zero_length_frame_is_refused),
             CL_TEST_ENTRY(oversized_frame_is_refused_before_its_body),
             CL_TEST_ENTRY(wrong_direction_is_refused),
             CL_TEST_ENTRY(unknown_request_kind_is_answered_and_connection_kept),
             CL_TEST_ENTRY(field_too_long_names_the_field),
             CL_TEST_ENTRY(half_frame_then_silence_is_closed),
             CL_TEST_ENTRY(silent_tls_handshake_times_out),
             CL_TEST_ENTRY(connection_without_a_login_is_closed_when_idle),
             CL_TEST_ENTRY(client_that_never_reads_is_closed_and_others_unharmed),
             CL_TEST_ENTRY(max_connections_answers_resource_exhausted),
             CL_TEST_ENTRY(backpressure_answers_every_pipelined_request))
