/* libclinic's asynchronous layer: resolves and connects, runs TLS through cl_conn_t, says Hello,
 * matches replies to calls by envelope id and hands pushed events to the owner. Every callback
 * runs from the loop, never from inside the call that caused it. */
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "clinic_cli.h"
#include "conn.h"
#include "frame.h"
#include "log.h"
#include "mem.h"
#include "status.h"

#define DEFAULT_PORT "7470"

enum { DEFAULT_TIMEOUT_MS = 10000, HOST_MAX = 256, PORT_MAX = 8, SERVER_MAX = HOST_MAX + 16 };

typedef enum {
    STATE_RESOLVING,
    STATE_CONNECTING,
    STATE_HANDSHAKE,
    STATE_HELLO,
    STATE_READY,
    STATE_CLOSED,
} client_state_t;

struct cl_client_s {
    cl_conn_t conn;      /* embedded; its on_close ends the client (or starts the next try) */
    uv_timer_t deadline; /* connect + handshake + Hello */
    uv_getaddrinfo_t resolve;
    uv_connect_t connect_req;
    uv_loop_t *loop;            /* borrowed */
    SSL_CTX *ctx;               /* owned; a new session per address tried */
    struct addrinfo *addrs;     /* owned; from the resolver */
    struct addrinfo *next_addr; /* into addrs: the next to try when a connect fails */
    char host[HOST_MAX];
    char port[PORT_MAX];
    char server[SERVER_MAX]; /* as configured, for messages */
    char client_name[64];
    size_t max_frame;
    uint32_t timeout_ms;
    cl_client_state_fn on_state;
    void *state_arg;
    cl_client_event_fn on_event;
    void *event_arg;
    cl_pending_map_t pending; /* calls awaiting their reply */
    cl_buf_t early;           /* frames of calls made before Hello was answered */
    cl_buf_t scratch;         /* one frame being packed */
    uint64_t next_id;
    uint64_t hello_id;
    client_state_t state;
    unsigned closing : 1;   /* cl_client_close was called or the connection ended */
    unsigned resolving : 1; /* the getaddrinfo request is out */
    unsigned retrying : 1;  /* the conn is closing only to try the next address */
    unsigned timed_out : 1;
    int refs; /* the conn, the deadline timer and the resolver: freed at 0 */
};

static void on_conn_open(cl_conn_t *conn);
static void on_conn_frame(cl_conn_t *conn, const uint8_t *payload, size_t len);
static void on_conn_bad_frame(cl_conn_t *conn, uint32_t len);
static void on_conn_close(cl_conn_t *conn, int status, const char *reason);

static const cl_conn_ops_t client_conn_ops = {
    .on_open = on_conn_open,
    .on_frame = on_conn_frame,
    .on_bad_frame = on_conn_bad_frame,
    .on_close = on_conn_close,
};

/* --- the table of pending calls ------------------------------------------------------------ */

static size_t home_slot(const cl_pending_map_t *m, uint64_t id)
{
    return (size_t)id & (m->cap - 1);
}

static void pending_grow(cl_pending_map_t *m)
{
    cl_pending_map_t bigger = {0};
    bigger.cap = m->cap ? m->cap * 2 : 16;
    bigger.slots = cl_calloc(bigger.cap, sizeof(*bigger.slots));
    for (size_t i = 0; i < m->cap; i++) {
        const cl_pending_t *p = &m->slots[i];
        if (p->id)
            cl_pending_put(&bigger, p->id, p->cb, p->arg);
    }
    free(m->slots);
    *m = bigger;
}

void cl_pending_put(cl_pending_map_t *m, uint64_t id, cl_client_reply_fn cb, void *arg)
{
    /* At most 3/4 full, so a probe always ends at a free slot. */
    if ((m->count + 1) * 4 > m->cap * 3)
        pending_grow(m);
    size_t i = home_slot(m, id);
    while (m->slots[i].id != 0)
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = (cl_pending_t){.id = id, .cb = cb, .arg = arg};
    m->count++;
}

int cl_pending_take(cl_pending_map_t *m, uint64_t id, cl_pending_t *out)
{
    if (m->count == 0 || id == 0)
        return 0;
    size_t mask = m->cap - 1;
    size_t i = home_slot(m, id);
    while (m->slots[i].id != id) {
        if (m->slots[i].id == 0)
            return 0;
        i = (i + 1) & mask;
    }
    *out = m->slots[i];
    m->count--;
    /* Backward-shift deletion: move later members of the probe run into the hole when their
     * home slot does not lie cyclically in (hole, their slot]. */
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m->slots[j].id == 0)
            break;
        size_t k = home_slot(m, m->slots[j].id);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i].id = 0;
    return 1;
}

void cl_pending_free(cl_pending_map_t *m)
{
    free(m->slots);
    *m = (cl_pending_map_t){0};
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static void client_unref(cl_client_t *c)
{
    if (--c->refs > 0)
        return;
    if (c->addrs)
        uv_freeaddrinfo(c->addrs);
    SSL_CTX_free(c->ctx);
    cl_pending_free(&c->pending);
    cl_buf_free(&c->early);
    cl_buf_free(&c->scratch);
    free(c);
}

static void on_deadline_closed(uv_handle_t *h)
{
    client_unref(cl_container_of(h, cl_client_t, deadline));
}

/* Closes the connection with `status`; on_conn_close reports it. */
static void client_fail(cl_client_t *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void client_fail(cl_client_t *c, int status, const char *fmt, ...)
{
    char reason[CL_CONN_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    c->retrying = 0;
    cl_conn_close(&c->conn, status, reason, 0);
}

/* Splits "host:port", "[v6]:port", "host" or a bare IPv6 address. Returns 0 or CL_EINVAL. */
static int parse_server(const char *server, char *host, char *port)
{
    const char *h = server, *p = NULL;
    size_t hlen;
    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return CL_EINVAL;
        h = server + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
    } else {
        const char *colon = strchr(server, ':');
        if (colon && strchr(colon + 1, ':') == NULL) {
            hlen = (size_t)(colon - server);
            p = colon + 1;
        } else {
            hlen = strlen(server); /* no port, or a bare IPv6 address */
        }
    }
    if (hlen == 0 || hlen >= HOST_MAX)
        return CL_EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (p == NULL)
        p = DEFAULT_PORT;
    uint64_t n;
    if (cl_cli_parse_uint(p, 65535, &n) != 0 || n == 0)
        return CL_EINVAL;
    snprintf(port, PORT_MAX, "%u", (unsigned)n);
    return 0;
}

static void on_connected(uv_connect_t *req, int status)
{
    cl_client_t *c = cl_container_of(req, cl_client_t, connect_req);
    if (status == UV_ECANCELED || c->conn.closing)
        return;
    if (status < 0) {
        int more = c->next_addr != NULL && !c->closing && !c->timed_out;
        client_fail(c, CL_EUNAVAIL, "cannot connect to %s: %s", c->server, uv_strerror(status));
        c->retrying = more;
        return;
    }
    c->state = STATE_HANDSHAKE;
    cl_conn_start(&c->conn);
}

static void connect_to(cl_client_t *c, const struct sockaddr *addr)
{
    c->state = STATE_CONNECTING;
    int rc = uv_tcp_connect(&c->connect_req, &c->conn.tcp, addr, on_connected);
    if (rc != 0)
        client_fail(c, CL_EUNAVAIL, "cannot connect to %s: %s", c->server, uv_strerror(rc));
}

/* Connects to the next usable resolved address. Returns 0, or -1 when none is left. */
static int connect_next(cl_client_t *c)
{
    while (c->next_addr) {
        struct addrinfo *a = c->next_addr;
        c->next_addr = a->ai_next;
        if (a->ai_family == AF_INET || a->ai_family == AF_INET6) {
            connect_to(c, a->ai_addr);
            return 0;
        }
    }
    return -1;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    cl_client_t *c = cl_container_of(req, cl_client_t, resolve);
    c->resolving = 0;
    if (c->closing || c->conn.closing) {
        if (res)
            uv_freeaddrinfo(res);
    } else if (status < 0) {
        client_fail(c, CL_EUNAVAIL, "cannot resolve %s: %s", c->host, uv_strerror(status));
    } else {
        c->addrs = res;
        c->next_addr = res;
        if (connect_next(c) != 0)
            client_fail(c, CL_EUNAVAIL, "cannot resolve %s: no IPv4 or IPv6 address", c->host);
    }
    client_unref(c);
}

static void on_deadline(uv_timer_t *t)
{
    cl_client_t *c = cl_container_of(t, cl_client_t, deadline);
    static const char *const waiting[] = {
        [STATE_RESOLVING] = "resolving the name",
        [STATE_CONNECTING] = "connecting",
        [STATE_HANDSHAKE] = "in the TLS handshake",
        [STATE_HELLO] = "waiting for Hello",
    };
    if (c->state >= STATE_READY)
        return;
    c->timed_out = 1;
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->resolve);
    client_fail(c, CL_ETIMEOUT, "%s: timed out after %u ms %s", c->server, c->timeout_ms,
                waiting[c->state]);
}

/* One TLS context serves every connection made with the same files: loading the CA, the
 * certificate and the key costs ~2 ms and ~70 KB, too much per connection for clinic-bench's
 * thousands. It also keeps the newest session ticket, so that a reconnection (a watch after a
 * network blip, the next connection of a long-lived program) resumes its TLS session instead of
 * a full handshake. Returns a new reference (SSL_CTX_free releases it), or NULL. */
static SSL_CTX *shared_client_ctx(const cl_client_config_t *cfg)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static SSL_CTX *shared;   /* one reference held here */
    static char shared_key[3 * 1024];
    char key[sizeof(shared_key)];
    snprintf(key, sizeof(key), "%s\n%s\n%s\n%d", cfg->ca_file ? cfg->ca_file : "",
             cfg->cert_file ? cfg->cert_file : "", cfg->key_file ? cfg->key_file : "",
             cfg->full_handshakes != 0);
    pthread_mutex_lock(&lock);
    SSL_CTX *ctx = NULL;
    if (shared && strcmp(key, shared_key) == 0) {
        ctx = shared;
    } else {
        ctx = cl_tls_client_ctx(cfg->ca_file, cfg->cert_file, cfg->key_file);
        if (ctx && !cfg->full_handshakes && cl_tls_client_resume(ctx) != 0) {
            SSL_CTX_free(ctx);
            ctx = NULL;
        }
        if (ctx) {
            if (shared)
                SSL_CTX_free(shared);
            shared = ctx;
            snprintf(shared_key, sizeof(shared_key), "%s", key);
        }
    }
    if (ctx)
        SSL_CTX_up_ref(ctx);
    pthread_mutex_unlock(&lock);
    return ctx;
}

cl_client_t *cl_client_connect(uv_loop_t *loop, const cl_client_config_t *cfg,
                               cl_client_state_fn on_state, void *arg)
{
    SSL_CTX *ctx = shared_client_ctx(cfg);
    if (ctx == NULL)
        return NULL;
    cl_client_t *c = cl_calloc(1, sizeof(*c));
    c->loop = loop;
    c->ctx = ctx;
    c->on_state = on_state;
    c->state_arg = arg;
    c->max_frame = cfg->max_frame ? cfg->max_frame : CL_FRAME_MAX_DEFAULT;
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->next_id = 1;
    snprintf(c->server, sizeof(c->server), "%s", cfg->server ? cfg->server : "");
    snprintf(c->client_name, sizeof(c->client_name), "%s",
             cfg->client_name ? cfg->client_name : "libclinic");
    int bad_server = parse_server(c->server, c->host, c->port);

    if (cl_conn_init(&c->conn, loop, ctx, 0, bad_server ? NULL : c->host, &client_conn_ops,
                     c->max_frame) != 0) {
        SSL_CTX_free(ctx);
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->deadline);
    c->refs = 2;
    if (bad_server) {
        client_fail(c, CL_EINVAL, "bad server address '%.200s': expected host:port", c->server);
        return c;
    }
    /* The caller's loop may have slept since it last looked at the clock. */
    uv_update_time(loop);
    uv_timer_start(&c->deadline, on_deadline, c->timeout_ms, 0);

    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } addr;
    int port = atoi(c->port);
    if (uv_ip4_addr(c->host, port, &addr.in4) == 0 || uv_ip6_addr(c->host, port, &addr.in6) == 0) {
        connect_to(c, &addr.sa);
        return c;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->state = STATE_RESOLVING;
    int rc = uv_getaddrinfo(loop, &c->resolve, on_resolved, c->host, c->port, &hints);
    if (rc != 0) {
        client_fail(c, CL_EUNAVAIL, "cannot resolve %s: %s", c->host, uv_strerror(rc));
        return c;
    }
    c->resolving = 1;
    c->refs++;
    return c;
}

/* Hands every pending call `status` with no response. */
static void fail_pending(cl_client_t *c, int status)
{
    cl_pending_map_t m = c->pending;
    c->pending = (cl_pending_map_t){0};
    for (size_t i = 0; i < m.cap; i++) {
        cl_pending_t *p = &m.slots[i];
        if (p->id)
            p->cb(c, status, NULL, p->arg);
    }
    cl_pending_free(&m);
}

static void on_conn_close(cl_conn_t *conn, int status, const char *reason)
{
    cl_client_t *c = cl_container_of(conn, cl_client_t, conn);
    char why[CL_CONN_REASON_MAX];
    if (reason == NULL || *reason == '\0')
        reason = cl_status_message(status);
    /* An alert after the handshake comes out of a read with OpenSSL's bare reason. */
    if (status == CL_ETLS && strncmp(reason, "TLS", 3) != 0)
        snprintf(why, sizeof(why), "TLS error: %s", reason);
    else
        snprintf(why, sizeof(why), "%s", reason);

    /* A refused connection to one address: the closed conn is set up afresh for the next. */
    if (c->retrying && !c->closing && !c->timed_out) {
        c->retrying = 0;
        if (cl_conn_init(&c->conn, c->loop, c->ctx, 0, c->host, &client_conn_ops, c->max_frame) ==
            0) {
            if (connect_next(c) != 0)
                client_fail(c, status, "%s", why);
            return;
        }
        status = CL_ETLS;
        snprintf(why, sizeof(why), "cannot set up a TLS session");
    }

    c->closing = 1;
    c->state = STATE_CLOSED;
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->resolve);
    if (status == 0)
        status = CL_EEOF;
    fail_pending(c, status);
    uv_close((uv_handle_t *)&c->deadline, on_deadline_closed);
    if (c->on_state)
        c->on_state(c, status, why, NULL, c->state_arg);
    client_unref(c);
}

/* --- frames -------------------------------------------------------------------------------- */

/* Packs `env` and writes it, or keeps it for after Hello. */
static void send_envelope(cl_client_t *c, const Clinic__Envelope *env, int early)
{
    if (early) {
        cl_frame_pack(&c->early, env);
        return;
    }
    cl_buf_reset(&c->scratch);
    cl_frame_pack(&c->scratch, env);
    /* CL_EEOF here means the connection is closing; on_conn_close fails the pending calls. */
    cl_conn_write(&c->conn, cl_buf_head(&c->scratch), cl_buf_size(&c->scratch));
    if (c->scratch.cap > 64 * 1024)
        cl_buf_free(&c->scratch);
}

static void on_conn_open(cl_conn_t *conn)
{
    cl_client_t *c = cl_container_of(conn, cl_client_t, conn);
    Clinic__HelloRequest hello = CLINIC__HELLO_REQUEST__INIT;
    hello.protocol_version = CL_PROTOCOL_VERSION;
    hello.client_name = c->client_name;
    hello.client_version = CLINIC_VERSION;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_HELLO;
    req.hello = &hello;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = c->hello_id = c->next_id++;
    env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
    env.request = &req;
    c->state = STATE_HELLO;
    send_envelope(c, &env, 0);
}

static int status_of(const Clinic__Response *resp)
{
    return resp->status ? cl_status_from_code(resp->status->code) : 0;
}

static void on_hello_reply(cl_client_t *c, const Clinic__Response *resp)
{
    char text[CL_CONN_REASON_MAX - 40];
    int status = status_of(resp);
    if (status != 0) {
        cl_cli_format_status(status, resp->status, text, sizeof(text));
        client_fail(c, status, "the server refused Hello: %s", text);
        return;
    }
    if (resp->result_case != CLINIC__RESPONSE__RESULT_HELLO || resp->hello == NULL) {
        client_fail(c, CL_EINTERNAL, "the server answered Hello with another reply");
        return;
    }
    if (resp->hello->protocol_version != CL_PROTOCOL_VERSION) {
        client_fail(c, CL_EPRECOND, "the server speaks protocol %u, this client %u",
                    resp->hello->protocol_version, CL_PROTOCOL_VERSION);
        return;
    }
    c->state = STATE_READY;
    uv_timer_stop(&c->deadline);
    if (cl_buf_size(&c->early) > 0)
        cl_conn_write(&c->conn, cl_buf_head(&c->early), cl_buf_size(&c->early));
    cl_buf_free(&c->early);
    if (c->on_state)
        c->on_state(c, 0, "", resp->hello, c->state_arg);
}

static void on_reply(cl_client_t *c, uint64_t id, const Clinic__Response *resp)
{
    cl_pending_t p;
    if (!cl_pending_take(&c->pending, id, &p)) {
        cl_debug("%s: reply to unknown request %llu dropped", c->server, (unsigned long long)id);
        return;
    }
    p.cb(c, status_of(resp), resp, p.arg);
}

/* A received frame's messages are allocated from an arena and released at once after its
 * callbacks: a board of 300 appointments is thousands of small allocations. */
static void *arena_alloc(void *arena, size_t size)
{
    return cl_arena_alloc(arena, size);
}

static void arena_keep(void *arena, void *p)
{
    (void)arena, (void)p; /* released with the arena */
}

static void on_conn_frame(cl_conn_t *conn, const uint8_t *payload, size_t len)
{
    cl_client_t *c = cl_container_of(conn, cl_client_t, conn);
    cl_arena_t arena = {0};
    ProtobufCAllocator alloc = {arena_alloc, arena_keep, &arena};
    Clinic__Envelope *env = clinic__envelope__unpack(&alloc, len, payload);
    if (env == NULL) {
        cl_arena_free(&arena);
        client_fail(c, CL_EINTERNAL,
                    "protocol error: the server sent a frame that does not decode");
        return;
    }
    switch (env->body_case) {
    case CLINIC__ENVELOPE__BODY_RESPONSE:
        if (env->response == NULL) {
            client_fail(c, CL_EINTERNAL, "protocol error: an empty response");
        } else if (env->id == 0) {
            /* The server's notice that it is closing this connection over a protocol error. */
            char text[CL_CONN_REASON_MAX - 40];
            int status = status_of(env->response);
            if (status == 0)
                status = CL_EINTERNAL;
            cl_cli_format_status(status, env->response->status, text, sizeof(text));
            client_fail(c, status, "the server closed the connection: %s", text);
        } else if (env->id == c->hello_id && c->state == STATE_HELLO) {
            on_hello_reply(c, env->response);
        } else {
            on_reply(c, env->id, env->response);
        }
        break;
    case CLINIC__ENVELOPE__BODY_EVENT:
        if (env->event && c->on_event)
            c->on_event(c, env->event, c->event_arg);
        break;
    default:
        client_fail(c, CL_EINTERNAL,
                    "protocol error: the server sent neither a response nor an event");
        break;
    }
    cl_arena_free(&arena);
}

static void on_conn_bad_frame(cl_conn_t *conn, uint32_t len)
{
    cl_client_t *c = cl_container_of(conn, cl_client_t, conn);
    client_fail(c, CL_EINTERNAL, "protocol error: the server sent a frame of %u bytes (limit %zu)",
                len, c->max_frame);
}

/* --- calls --------------------------------------------------------------------------------- */

int cl_request_make(Clinic__Request *req, Clinic__Request__BodyCase kind, const void *body)
{
    static const Clinic__Request blank = CLINIC__REQUEST__INIT;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&clinic__request__descriptor, (unsigned)kind);
    *req = blank;
    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_NONE)
        return CL_EINVAL;
    req->body_case = kind;
    memcpy((char *)req + f->offset, &body, sizeof(body)); /* the body's pointer, by its field */
    return 0;
}

int cl_client_call(cl_client_t *c, const Clinic__Request *req, cl_client_reply_fn cb, void *arg)
{
    if (c->closing || c->conn.closing)
        return CL_EEOF;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = c->next_id++;
    env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
    env.request = (Clinic__Request *)req;
    cl_pending_put(&c->pending, env.id, cb, arg);
    send_envelope(c, &env, c->state != STATE_READY);
    return 0;
}

void cl_client_on_event(cl_client_t *c, cl_client_event_fn cb, void *arg)
{
    c->on_event = cb;
    c->event_arg = arg;
}

int cl_client_send_raw(cl_client_t *c, const void *data, size_t len)
{
    if (c->closing || c->conn.closing)
        return CL_EEOF;
    return cl_conn_write(&c->conn, data, len);
}

size_t cl_client_in_flight(const cl_client_t *c)
{
    return c->pending.count;
}

void cl_client_close(cl_client_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->retrying = 0;
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->resolve);
    cl_conn_close(&c->conn, 0, "closed by the client", 1);
}

int cl_client_tls_resumed(const cl_client_t *c)
{
    return cl_tls_resumed(&c->conn.tls);
}
