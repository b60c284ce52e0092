/* The loop thread's state, shared by net.c (listener, connections, limits, fan-out), dispatch.c
 * (the request table and the way of a request through the store) and serve.c (start and stop).
 * Nothing here is touched by the store thread. */
#ifndef CL_SERVER_INT_H
#define CL_SERVER_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "config.h"
#include "conn.h"
#include "identity.h"
#include "store.h"

typedef struct cl_server_s cl_server_t;
typedef struct cl_sconn_s cl_sconn_t;

/* One client connection. The framed TLS connection is embedded first; the memory is freed when
 * the connection has closed and no job of it is still in the store. */
struct cl_sconn_s {
    cl_conn_t conn;
    cl_server_t *srv;
    cl_sconn_t *prev, *next;   /* srv->conns */
    cl_identity_t who;         /* user_id 0 until a login or resume */
    uint64_t last_activity_ms; /* the session's last request (idle logoff) */
    uint64_t touched_ms;       /* when the session row's last_seen was last written */
    uint64_t last_input_ms;    /* the last byte received */
    uint64_t seen_bytes_in;    /* conn.bytes_in at the last sweep */
    uint32_t in_flight;        /* jobs in the store or on the thread pool */
    uint32_t reads_in_flight;  /* of those, jobs given to a reader (job->on_reader) */
    uint32_t subs;             /* 1 << cl_topic_t */
    uint64_t sub_from_seq;     /* pushed events at or below this seq were replayed instead */
    unsigned hello : 1;        /* Hello answered */
    unsigned closed : 1;       /* on_close ran; freed when in_flight reaches 0 */
    unsigned over_limit : 1;   /* accepted past max_connections: answered, then closed */
    unsigned login_pending : 1;
};

enum { CL_RATE_SLOTS = 1024 };

typedef struct {
    uint64_t key; /* hash of the client address (without port) */
    uint64_t window_start_ms;
    uint32_t count;
} cl_rate_slot_t;

struct cl_server_s {
    uv_loop_t *loop;
    cl_config_t cfg;
    char data_dir[512];
    uv_tcp_t listener;
    uv_timer_t sweep_timer;
    uv_prepare_t flush_prepare; /* once per loop turn, before it waits: flushes `batch` */
    cl_conn_batch_t batch;      /* every connection's writes, coalesced (conn.h) */
    cl_job_t *jobs_head, *jobs_tail; /* the turn's requests, for the store at the turn's end */
    int store_stopping;              /* cl_serve_stopped: jobs go to the store at once */
    uv_signal_t sigterm, sigint;
    SSL_CTX *tls_ctx; /* owned; replaced when the CRL file changes */
    struct timespec crl_mtime;
    off_t crl_size;
    cl_store_t *store;
    cl_sconn_t *conns; /* every open connection */
    uint32_t nconns;
    uint32_t nover_limit;
    uint64_t requests;
    int64_t started_at;
    int draining; /* SIGTERM seen: no new requests */
    uint64_t drain_deadline_ms;
    char listen_addr[128]; /* the address actually bound, "127.0.0.1:7470" */
    cl_rate_slot_t login_rate[CL_RATE_SLOTS];
};

/* net.c */
int cl_net_listen(cl_server_t *srv);
/* Hands the turn's jobs to the store and sends every connection's coalesced writes now (the
 * loop does it once a turn, before it waits). */
void cl_net_flush(cl_server_t *srv);
/* Queues a job for the store at the end of this loop turn, with the turn's others: one lock and
 * one wake-up of the store thread for a turn's requests. */
void cl_net_submit(cl_server_t *srv, cl_job_t *job);
/* Queues one Envelope for the connection; closes it when its output is over the cap. */
void cl_net_send(cl_sconn_t *sc, const Clinic__Envelope *env);
/* Answers a protocol error (an Envelope with id 0 and INVALID_ARGUMENT) and closes. */
void cl_net_protocol_error(cl_sconn_t *sc, const char *reason);
/* A job of the connection finished: frees a closed connection when it was the last. */
void cl_net_job_done(cl_sconn_t *sc);
/* Pushes one committed change to every subscribed connection allowed to see it. */
void cl_net_fan_out(cl_server_t *srv, const cl_change_t *ch);
/* Makes `who` the connection's identity, keeping what belongs to the connection itself (its
 * workstation certificate and address), and drops its subscriptions. */
void cl_net_set_identity(cl_sconn_t *sc, const cl_identity_t *who);
/* Ends a connection's session in memory (logout, expiry, disable). */
void cl_net_end_session(cl_sconn_t *sc);
/* Milliseconds on the loop's clock. */
uint64_t cl_net_now_ms(cl_server_t *srv);
/* Whether a login attempt from this connection's address is within the per-minute limit. */
int cl_net_login_allowed(cl_sconn_t *sc);
/* Stops accepting and begins the orderly shutdown. */
void cl_net_drain(cl_server_t *srv);

/* dispatch.c */
/* One frame's payload from a connection: decode, check, route. */
void cl_dispatch_frame(cl_sconn_t *sc, const uint8_t *payload, size_t len);
/* The store finished a job (cl_store_done_fn). */
void cl_dispatch_done(cl_job_t *job, void *arg);
/* Ends the connection's session for idleness: tells the client, deletes the session row. */
void cl_dispatch_expire(cl_sconn_t *sc);

/* serve.c */
/* The drain is complete: every connection is closing; stop the store and the loop. */
void cl_serve_stopped(cl_server_t *srv);

#endif
