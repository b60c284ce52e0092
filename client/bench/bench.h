/* clinic-bench's internals shared by its files: the options, the benchmark's state on one libuv
 * loop, the connections it drives and their setup in waves (conns.c), the workloads
 * (workloads.c) and the latency samples with their nearest-rank percentiles (stats.c). */
#ifndef CLINIC_BENCH_H
#define CLINIC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "clinic_client.h"

enum {
    BENCH_WAVE = 200,            /* TLS handshakes in flight at most while connecting */
    BENCH_TOKEN_MAX = 128,       /* a session token (64 hex digits) with room to spare */
    BENCH_SETUP_MS = 180000,     /* the whole setup of N connections */
    BENCH_DRAIN_MS = 10000,      /* replies still in flight when the time is up */
    BENCH_FANOUT_GRACE_MS = 5000 /* events of the last message still on their way */
};

/* Latency samples in nanoseconds. Zero-initialise. */
typedef struct {
    uint64_t *v; /* owned */
    size_t n, cap;
    int sorted;
} bench_lat_t;

/* Adds one sample. */
void bench_lat_add(bench_lat_t *l, uint64_t ns);
/* The nearest-rank percentile `permille` (500: p50, 990: p99, 999: p99.9), in nanoseconds: the
 * smallest sample with at least that share of the samples at or below it. 0 when empty. Sorts. */
uint64_t bench_lat_pct(bench_lat_t *l, unsigned permille);
/* Releases the samples; the set may be used again. */
void bench_lat_free(bench_lat_t *l);

typedef enum {
    BENCH_PING,
    BENCH_WHOAMI,
    BENCH_MSG_SEND,
    BENCH_CONNECT,
    BENCH_IDLE,
    BENCH_FANOUT,
    BENCH_BOOK,      /* front desk (issue 4): durable bookings aimed at overlapping slots */
    BENCH_SEARCH,    /* patient search as the clerk types */
    BENCH_BOARD,     /* the day's board of about 300 appointments */
    BENCH_FRONTDESK, /* a workstation's mix: search, book, board, check-in, room, vitals */
} bench_workload_t;

/* What ServerStatusReply says, reduced to what the report needs. */
typedef struct {
    int ok; /* 0: not read (no admin role, or the call failed) */
    double cpu_s;
    uint64_t peak_rss, current_rss, commits, committed_requests, requests;
    uint32_t connections;
} bench_status_t;

typedef struct bench_s bench_t;
typedef struct bench_conn_s bench_conn_t;

/* One connection the benchmark drives, inside bench_t (the control connection, the fanout
 * sender, or one of its `conns`); `client` is the library's and is NULL once the library
 * reported its end. */
struct bench_conn_s {
    bench_t *b;
    cl_client_t *client;
    uint64_t t0;      /* start of the request in flight, or of the setup */
    uint64_t last_id; /* fanout: the newest message id delivered here */
    unsigned in_setup : 1;
    unsigned authed : 1;  /* resumed (and subscribed when the workload wants it) */
    unsigned busy : 1;    /* a request in flight */
    unsigned counted : 1; /* connect: this iteration's outcome is counted */
    /* What to do when the connection is ready (Hello answered) and when it has ended. */
    void (*on_ready)(bench_conn_t *bc);
    void (*on_end)(bench_conn_t *bc, int status, const char *reason);
};

/* The sender's record of one message: its id and when it was sent (uv_hrtime). */
typedef struct {
    uint64_t id;
    uint64_t sent_ns;
} bench_sent_t;

struct bench_s {
    uv_loop_t *loop;
    uv_timer_t wake;  /* bounds bench_run_until */
    uv_timer_t clock; /* the run's end, or the fanout sender's pace */
    int woke;
    cl_client_config_t cfg;

    /* Options. */
    const char *user;
    char password[257];
    bench_workload_t workload;
    const char *workload_name;
    size_t connections;
    unsigned seconds;
    unsigned rate;     /* fanout: messages per second */
    unsigned think_ms; /* frontdesk: each workstation's pause after a reply; 0: none */
    int json;
    int scrypt_log2_n; /* from --server-conf; 0: unknown */
    uint64_t tls_resumed; /* connect: connections whose TLS handshake resumed a session */

    /* The control connection: login, the server's status before and after. */
    bench_conn_t ctl;
    char token[BENCH_TOKEN_MAX];
    double login_ms;
    Clinic__Response *ctl_resp; /* owned copy of the control call's reply */
    int ctl_status;
    int ctl_done;

    /* The workload's connections and their setup in waves. */
    bench_conn_t *conns; /* owned; `connections` of them */
    size_t next_setup;   /* the next to start connecting */
    size_t setting_up;   /* handshakes and resumes in flight */
    size_t set_up;       /* authenticated */
    size_t setup_failed;
    int subscribe; /* subscribe each to `topic` ("inbox" when NULL) after resuming */
    const char *topic;
    uint64_t setup_start, setup_end;
    bench_lat_t setup_lat;
    char first_error[200]; /* the first failure's reason, for the report */
    int closing_all;       /* bench_close_all: ends are expected, not errors */
    int status_warned;

    /* The run. */
    Clinic__Request req; /* the closed-loop workloads' request, borrowed by every call */
    int running, stopping;
    uint64_t t_start, t_stop, t_last;
    size_t in_flight; /* requests (or connect iterations) not yet finished */
    uint64_t requests, errors, lost;
    bench_lat_t lat;

    /* fanout */
    bench_conn_t sender;
    bench_sent_t *sent; /* owned; in id order */
    size_t nsent, sent_cap;
    uint64_t deliveries, duplicates;
    uint64_t skipped; /* pace ticks skipped: the previous message was still in flight */
    bench_lat_t send_lat;
    Clinic__MessageSendRequest send;
    Clinic__Request send_req;

    /* front desk (frontdesk.c) */
    uint64_t booked, conflicts, double_bookings, listed, hits;
    int verified;             /* book: the schedule was read back */
    size_t board_size;        /* board: appointments on the board read */
    uint64_t search_patients; /* search: patients registered by the setup (0: a generated clinic) */
};

/* --- conns.c ------------------------------------------------------------------------------- */

/* Runs the loop until `done(b)` is true or `timeout_ms` passed. Returns 0 or CL_ETIMEOUT. */
int bench_run_until(bench_t *b, int (*done)(bench_t *b), uint64_t timeout_ms);

/* Starts connecting `bc` with the benchmark's configuration; bc->on_ready / on_end follow.
 * Returns 0, or CL_ETLS when the library could not make the TLS context (on_end not called). */
int bench_conn_start(bench_t *b, bench_conn_t *bc);

/* cl_request_make for a kind this program names: a kind without a request is clinic-bench's own
 * bug, so it aborts with a message. */
void bench_request_make(Clinic__Request *req, Clinic__Request__BodyCase kind, const void *body);

/* The server's message of a failed reply (`resp` may be NULL), or the status table's message for
 * `status`. */
const char *bench_reply_reason(int status, const Clinic__Response *resp);

/* Sends the request of kind `kind` whose body is `body` (borrowed) on the control connection and
 * waits for the reply. Returns 0 with the reply, of the same kind, in b->ctl_resp (owned by b,
 * replaced by the next call), or a negative status: the reply's (b->ctl_resp then holds it), the
 * connection's (b->ctl_resp NULL) or CL_EINTERNAL for a reply of another kind. */
int bench_ctl_send(bench_t *b, Clinic__Request__BodyCase kind, const void *body);

/* Connects the control connection and logs in with the password (one scrypt on the server),
 * keeping the token and the login's round trip. Returns 0 or a negative status (printed). */
int bench_ctl_login(bench_t *b);

/* Reads ServerStatus on the control connection into *st (st->ok 0 when it cannot). */
void bench_status(bench_t *b, bench_status_t *st);

/* Opens b->conns[0..connections) in waves of at most BENCH_WAVE handshakes, each resuming the
 * control login's session (and subscribing to "inbox" when b->subscribe). Returns 0 when at
 * least one is set up; failures are counted in b->setup_failed. */
int bench_open_all(bench_t *b);

/* Sends ResumeRequest with the control login's token on bc; `cb` gets the reply with `bc` as
 * its argument. Returns 0 or CL_EEOF (the connection is closing; cb is not called). */
int bench_resume(bench_conn_t *bc, cl_client_reply_fn cb);

/* Closes every connection, the control one last, and waits for the library to end them. */
void bench_close_all(bench_t *b);

/* Records a failure's reason once, for the report. */
void bench_note_error(bench_t *b, const char *what, const char *reason);

/* --- workloads.c --------------------------------------------------------------------------- */

/* Sends `req` (borrowed; packed at once) on bc as its one request in flight: marks bc busy,
 * counts it in b->in_flight and starts its clock, bc->t0; `cb` gets the reply with bc as its
 * argument. Returns 0, or CL_EEOF when the connection is closing (nothing counted, cb not
 * called). */
int bench_call(bench_conn_t *bc, const Clinic__Request *req, cl_client_reply_fn cb);
/* bench_call for the request of kind `kind` whose body is `body` (borrowed). */
int bench_send(bench_conn_t *bc, Clinic__Request__BodyCase kind, const void *body,
               cl_client_reply_fn cb);
/* The reply to bc's request in flight came (or the connection ended before it): bc is no longer
 * busy nor in flight. Returns the time, uv_hrtime(). */
uint64_t bench_reply_came(bench_conn_t *bc);
/* Counts bc's request as done at `now`: one more request, its latency from bc->t0 in b->lat. */
void bench_count_done(bench_conn_t *bc, uint64_t now);
/* Counts a failed request of `what` (status and reply as the reply callback had them), keeping
 * the first failure's reason for the report. */
void bench_count_error(bench_t *b, const char *what, int status, const Clinic__Response *resp);

/* Runs b->workload for b->seconds on connections already set up (connect: from none). */
void bench_run_closed_loop(bench_t *b);
void bench_run_connect(bench_t *b);
void bench_run_idle(bench_t *b);
void bench_run_fanout(bench_t *b);
/* The run's clock for closed-loop workloads of other files: start it, then wait for the end and
 * for the replies still in flight. */
void bench_start_clock(bench_t *b);
void bench_wait_for_end(bench_t *b);

/* --- frontdesk.c --------------------------------------------------------------------------- */

/* Sets up what b->workload (book, search, board) needs through ordinary requests on the control
 * connection. Returns 0 or a negative status (printed). */
int bench_fd_setup(bench_t *b);
/* Runs book or search (one request in flight per connection); board runs the closed loop. */
void bench_run_fd(bench_t *b);
/* book: reads the schedule back and counts overlapping active appointments. */
void bench_fd_verify(bench_t *b);
/* frontdesk: each operation's count and percentiles (JSON: the "ops" member). */
void bench_fd_report(bench_t *b);

/* --- names.c: the names the setup, the search queries and the generator share -------------- */

extern const char *const bench_first_names[];
extern const size_t bench_n_first_names;
extern const char *const bench_last_names[];
extern const size_t bench_n_last_names;

/* --- generate.c ---------------------------------------------------------------------------- */

/* clinic-bench --generate DIR --patients N [--appointments M]: fills a stopped clinic's
 * database directly. Returns the process's exit code. */
int bench_generate(int argc, char **argv);

#endif
