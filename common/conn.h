/* A framed TLS connection over a libuv TCP handle, used by both clinicd and libclinic: it reads
 * ciphertext, runs the TLS engine, cuts plaintext into frames and hands each to its owner; it
 * encrypts outgoing frames and keeps one uv_write in flight, queueing the rest (h2o's pattern).
 * cl_conn_close() is the only way out; the owner's on_close runs once, after every handle has
 * closed, and may free the memory the connection lives in. */
#ifndef CL_CONN_H
#define CL_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "tls.h"

typedef struct cl_conn_s cl_conn_t;

/* Coalesced writes: the connections of a batch keep what they are given to write as plaintext
 * until cl_conn_batch_flush, which the owner calls once per loop turn (clinicd: from a
 * uv_prepare, before the loop waits), so that a burst to one connection (replies and the events
 * of a group commit) becomes one TLS record and one write instead of one each. */
typedef struct {
    cl_conn_t *dirty; /* connections with plaintext waiting, linked through dirty_next */
} cl_conn_batch_t;

typedef struct {
    /* The TLS handshake completed. Optional. */
    void (*on_open)(cl_conn_t *c);
    /* One whole frame's payload; borrowed for the duration of the call. The owner may call
     * cl_conn_pause() or cl_conn_close() from here; the rest of the input then waits. */
    void (*on_frame)(cl_conn_t *c, const uint8_t *payload, size_t len);
    /* A frame whose length is 0 or over max_frame arrived: reading has stopped for good, and the
     * owner answers and closes. */
    void (*on_bad_frame)(cl_conn_t *c, uint32_t len);
    /* Output fell back to empty after having been queued. Optional. */
    void (*on_drain)(cl_conn_t *c);
    /* The last callback: every handle is closed. `status` is 0 for an orderly close. */
    void (*on_close)(cl_conn_t *c, int status, const char *reason);
} cl_conn_ops_t;

enum { CL_CONN_REASON_MAX = 160 };

struct cl_conn_s {
    uv_tcp_t tcp;
    uv_timer_t timer; /* handshake timeout, then linger on close */
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    cl_tls_t tls;
    const cl_conn_ops_t *ops;
    void *data;          /* the owner's */
    cl_buf_t in;         /* plaintext received, not yet cut into frames */
    cl_buf_t out;        /* ciphertext waiting for the socket */
    cl_buf_t flight;     /* ciphertext in the uv_write in flight */
    cl_buf_t plain;      /* batched plaintext not yet given to TLS (see cl_conn_batch_t) */
    cl_conn_batch_t *batch;             /* NULL: every write goes to TLS at once */
    cl_conn_t *dirty_next, *dirty_prev; /* in batch->dirty while `plain` waits */
    size_t max_frame;
    uint64_t handshake_timeout_ms; /* 0: none */
    uint64_t bytes_in, bytes_out;
    unsigned is_server : 1;
    unsigned open : 1;       /* handshake done */
    unsigned paused : 1;     /* the owner asked to stop reading */
    unsigned reading : 1;    /* uv_read_start is active */
    unsigned writing : 1;    /* write_req is in flight */
    unsigned closing : 1;    /* cl_conn_close was called */
    unsigned in_input : 1;   /* inside the input loop (no re-entry) */
    unsigned bad_frame : 1;  /* input is dead */
    unsigned handles_open : 2;
    unsigned dirty : 1;      /* linked in batch->dirty */
    int close_status;
    char close_reason[CL_CONN_REASON_MAX];
};

/* Sets up `c` on `loop` with its TCP and timer handles. On the client side `host` is the name
 * the server certificate must carry. Returns 0 or CL_ETLS; on failure nothing needs closing. */
int cl_conn_init(cl_conn_t *c, uv_loop_t *loop, SSL_CTX *ctx, int is_server, const char *host,
                 const cl_conn_ops_t *ops, size_t max_frame);

/* Starts reading (after uv_accept or a successful connect) and, on the client side, sends the
 * ClientHello. Returns 0; on failure the connection is closed (on_close will run). */
int cl_conn_start(cl_conn_t *c);

/* Encrypts and queues `len` bytes of already framed plaintext. Returns 0, or CL_EEOF when the
 * connection is closing (the bytes are dropped). Never calls back synchronously. */
int cl_conn_write(cl_conn_t *c, const void *data, size_t len);

/* Stops handing over frames and reading from the socket (backpressure), and starts again. */
void cl_conn_pause(cl_conn_t *c);
void cl_conn_resume(cl_conn_t *c);

/* Bytes queued (batched plaintext, ciphertext) and in flight. */
static inline size_t cl_conn_pending(const cl_conn_t *c)
{
    return cl_buf_size(&c->plain) + cl_buf_size(&c->out) + cl_buf_size(&c->flight);
}

/* Puts `c` in `batch`: its writes wait for cl_conn_batch_flush. Set before the first write. */
void cl_conn_set_batch(cl_conn_t *c, cl_conn_batch_t *batch);
/* Encrypts and queues the plaintext of every connection of `batch` that has some. */
void cl_conn_batch_flush(cl_conn_batch_t *batch);

/* Closes the connection. `status` 0 with `graceful` flushes what is queued and sends a
 * close_notify first (bounded by a 2 s linger); otherwise the socket is closed at once.
 * Idempotent: the first call's status and reason are the ones reported to on_close. */
void cl_conn_close(cl_conn_t *c, int status, const char *reason, int graceful);

/* The peer address as "ip:port" into `out`. */
void cl_conn_peer(cl_conn_t *c, char *out, size_t outlen);

#endif
