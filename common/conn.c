/* The framed TLS connection. Input: socket -> TLS engine -> `in` -> frames -> owner. Output:
 * owner -> TLS engine -> `out` -> (swapped into) `flight` -> one uv_write at a time. */
#include "conn.h"

#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "mem.h"
#include "status.h"

enum { READ_CHUNK = 64 * 1024, PLAIN_CHUNK = 16 * 1024, LINGER_MS = 2000 };

static void process_input(cl_conn_t *c);
static void flush(cl_conn_t *c);
static void close_handles(cl_conn_t *c);

/* Ciphertext is consumed inside the read callback, so one buffer per thread serves every
 * connection and an idle connection holds no read buffer. */
static _Thread_local char read_buffer[READ_CHUNK];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = read_buffer;
    buf->len = sizeof(read_buffer);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    cl_conn_t *c = cl_container_of(s, cl_conn_t, tcp);
    if (nread == 0)
        return;
    if (nread < 0) {
        char reason[CL_CONN_REASON_MAX];
        snprintf(reason, sizeof(reason), "peer %s",
                 nread == UV_EOF ? "closed the connection" : uv_strerror((int)nread));
        cl_conn_close(c, nread == UV_EOF ? CL_EEOF : CL_EIO, reason, 0);
        return;
    }
    c->bytes_in += (uint64_t)nread;
    cl_tls_feed(&c->tls, buf->base, (size_t)nread);
    process_input(c);
}

static void on_timer(uv_timer_t *t)
{
    cl_conn_t *c = cl_container_of(t, cl_conn_t, timer);
    if (c->closing)
        close_handles(c); /* the linger ran out */
    else if (!c->open)
        cl_conn_close(c, CL_ETIMEOUT, "TLS handshake timed out", 0);
    else
        process_input(c); /* deferred by cl_conn_resume */
}

int cl_conn_init(cl_conn_t *c, uv_loop_t *loop, SSL_CTX *ctx, int is_server, const char *host,
                 const cl_conn_ops_t *ops, size_t max_frame)
{
    memset(c, 0, sizeof(*c));
    int rc = cl_tls_init(&c->tls, ctx, is_server, host);
    if (rc != 0)
        return rc;
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->timer);
    c->handles_open = 2;
    c->ops = ops;
    c->is_server = is_server ? 1 : 0;
    c->max_frame = max_frame ? max_frame : CL_FRAME_MAX_DEFAULT;
    return 0;
}

static void start_reading(cl_conn_t *c)
{
    if (c->reading || c->paused || c->closing || c->bad_frame)
        return;
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc != 0) {
        char reason[CL_CONN_REASON_MAX];
        snprintf(reason, sizeof(reason), "cannot read: %s", uv_strerror(rc));
        cl_conn_close(c, CL_EIO, reason, 0);
        return;
    }
    c->reading = 1;
}

static void stop_reading(cl_conn_t *c)
{
    if (!c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

int cl_conn_start(cl_conn_t *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    if (c->handshake_timeout_ms)
        uv_timer_start(&c->timer, on_timer, c->handshake_timeout_ms, 0);
    start_reading(c);
    if (!c->is_server && !c->closing)
        process_input(c); /* writes the ClientHello; no callback can fire before the reply */
    return 0;
}

/* Hands whole frames in `in` to the owner until input runs out or the owner pauses. */
static void cut_frames(cl_conn_t *c)
{
    while (!c->paused && !c->closing && !c->bad_frame) {
        const uint8_t *payload;
        size_t len;
        int rc =
            cl_frame_next(cl_buf_head(&c->in), cl_buf_size(&c->in), c->max_frame, &payload, &len);
        if (rc == 0)
            return;
        if (rc < 0) {
            const uint8_t *h = cl_buf_head(&c->in);
            uint32_t bad = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            c->bad_frame = 1;
            stop_reading(c);
            cl_buf_reset(&c->in);
            c->ops->on_bad_frame(c, bad);
            return;
        }
        c->ops->on_frame(c, payload, len);
        cl_buf_consume(&c->in, CL_FRAME_HEADER + len);
    }
}

static void process_input(cl_conn_t *c)
{
    if (c->in_input || c->closing)
        return;
    c->in_input = 1;
    char err[CL_CONN_REASON_MAX - 32];
    if (!c->open) {
        int rc = cl_tls_handshake(&c->tls, err, sizeof(err));
        flush(c);
        if (rc == CL_EAGAIN)
            goto out;
        if (rc != 0) {
            char reason[CL_CONN_REASON_MAX];
            snprintf(reason, sizeof(reason), "TLS handshake failed: %s", err);
            c->in_input = 0;
            cl_conn_close(c, CL_ETLS, reason, 0);
            return;
        }
        c->open = 1;
        uv_timer_stop(&c->timer);
        if (c->ops->on_open)
            c->ops->on_open(c);
    }
    /* One read event can carry several records: read until the engine wants more input. */
    for (;;) {
        cut_frames(c);
        if (c->paused || c->closing || c->bad_frame)
            break;
        size_t got = 0;
        uint8_t *p = cl_buf_reserve(&c->in, PLAIN_CHUNK);
        int rc = cl_tls_read(&c->tls, p, PLAIN_CHUNK, &got, err, sizeof(err));
        if (rc == CL_EAGAIN)
            break;
        if (rc != 0) {
            flush(c);
            c->in_input = 0;
            cl_conn_close(c, rc, rc == CL_EEOF ? "peer closed the connection" : err, 0);
            return;
        }
        cl_buf_commit(&c->in, got);
    }
    /* Reads produce output too: session tickets, key updates, alerts. */
    flush(c);
    /* An idle connection keeps no plaintext buffer. */
    if (cl_buf_size(&c->in) == 0 && c->in.cap > PLAIN_CHUNK * 2)
        cl_buf_free(&c->in);
out:
    c->in_input = 0;
}

static void begin_shutdown(cl_conn_t *c);

static void after_write(uv_write_t *req, int status)
{
    cl_conn_t *c = cl_container_of(req, cl_conn_t, write_req);
    c->writing = 0;
    c->bytes_out += cl_buf_size(&c->flight);
    cl_buf_reset(&c->flight);
    if (status == UV_ECANCELED)
        return; /* the handles are closing */
    if (status < 0) {
        char reason[CL_CONN_REASON_MAX];
        snprintf(reason, sizeof(reason), "write failed: %s", uv_strerror(status));
        cl_conn_close(c, CL_EIO, reason, 0);
        return;
    }
    if (cl_buf_size(&c->out) > 0) {
        flush(c);
        return;
    }
    /* Idle connections keep no output buffers. */
    cl_buf_free(&c->flight);
    if (c->closing) {
        begin_shutdown(c);
        return;
    }
    if (c->ops->on_drain)
        c->ops->on_drain(c);
}

static void flush(cl_conn_t *c)
{
    if (c->tls.ssl)
        cl_tls_take(&c->tls, &c->out);
    if (c->writing || cl_buf_size(&c->out) == 0 || c->handles_open < 2 ||
        uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    cl_buf_t t = c->flight;
    c->flight = c->out;
    c->out = t;
    uv_buf_t b = uv_buf_init((char *)cl_buf_head(&c->flight), (unsigned)cl_buf_size(&c->flight));
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, after_write);
    if (rc != 0) {
        cl_buf_reset(&c->flight);
        char reason[CL_CONN_REASON_MAX];
        snprintf(reason, sizeof(reason), "write failed: %s", uv_strerror(rc));
        cl_conn_close(c, CL_EIO, reason, 0);
        return;
    }
    c->writing = 1;
}

/* Encrypts and queues at once. */
static int write_now(cl_conn_t *c, const void *data, size_t len)
{
    int rc = cl_tls_write(&c->tls, data, len);
    if (rc != 0) {
        cl_conn_close(c, rc, "TLS write failed", 0);
        return CL_EEOF;
    }
    flush(c);
    return 0;
}

static void dirty_unlink(cl_conn_t *c)
{
    if (!c->dirty)
        return;
    if (c->dirty_prev)
        c->dirty_prev->dirty_next = c->dirty_next;
    else
        c->batch->dirty = c->dirty_next;
    if (c->dirty_next)
        c->dirty_next->dirty_prev = c->dirty_prev;
    c->dirty_next = c->dirty_prev = NULL;
    c->dirty = 0;
}

int cl_conn_write(cl_conn_t *c, const void *data, size_t len)
{
    if (c->closing || !c->open)
        return CL_EEOF;
    if (c->batch == NULL)
        return write_now(c, data, len);
    cl_buf_append(&c->plain, data, len);
    if (!c->dirty) {
        c->dirty = 1;
        c->dirty_prev = NULL;
        c->dirty_next = c->batch->dirty;
        if (c->dirty_next)
            c->dirty_next->dirty_prev = c;
        c->batch->dirty = c;
    }
    return 0;
}

void cl_conn_set_batch(cl_conn_t *c, cl_conn_batch_t *batch)
{
    c->batch = batch;
}

void cl_conn_batch_flush(cl_conn_batch_t *batch)
{
    cl_conn_t *c;
    while ((c = batch->dirty) != NULL) {
        dirty_unlink(c);
        /* Idle connections keep no buffer: the plaintext is freed once encrypted. */
        cl_buf_t plain = c->plain;
        c->plain = (cl_buf_t){0};
        if (!c->closing && c->open)
            write_now(c, cl_buf_head(&plain), cl_buf_size(&plain));
        cl_buf_free(&plain);
    }
}

void cl_conn_pause(cl_conn_t *c)
{
    c->paused = 1;
    stop_reading(c);
}

void cl_conn_resume(cl_conn_t *c)
{
    if (!c->paused || c->closing)
        return;
    c->paused = 0;
    start_reading(c);
    /* Frames may wait in `in` or in the engine; hand them over from the loop, not from here. */
    if (c->open)
        uv_timer_start(&c->timer, on_timer, 0, 0);
}

static void on_handle_closed(uv_handle_t *h)
{
    cl_conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    cl_tls_close(&c->tls);
    cl_buf_free(&c->in);
    cl_buf_free(&c->out);
    cl_buf_free(&c->flight);
    c->ops->on_close(c, c->close_status, c->close_reason);
}

static void close_handles(cl_conn_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    c->tcp.data = c;
    c->timer.data = c;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void after_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    cl_conn_t *c = cl_container_of(req, cl_conn_t, shutdown_req);
    close_handles(c);
}

static void begin_shutdown(cl_conn_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, after_shutdown) != 0)
        close_handles(c);
}

void cl_conn_close(cl_conn_t *c, int status, const char *reason, int graceful)
{
    if (c->closing)
        return;
    /* Batched plaintext goes out before a graceful close's close_notify, or is dropped. */
    dirty_unlink(c);
    if (graceful && c->open && cl_buf_size(&c->plain) > 0)
        cl_tls_write(&c->tls, cl_buf_head(&c->plain), cl_buf_size(&c->plain));
    cl_buf_free(&c->plain);
    c->closing = 1;
    c->close_status = status;
    snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
    stop_reading(c);
    uv_timer_stop(&c->timer);
    if (!graceful || !c->open) {
        close_handles(c);
        return;
    }
    cl_tls_shutdown(&c->tls);
    flush(c);
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
    if (!c->writing)
        begin_shutdown(c);
}

void cl_conn_peer(cl_conn_t *c, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    out[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    char ip[64] = "";
    int port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, outlen, "%s:%d", ip, port);
}
