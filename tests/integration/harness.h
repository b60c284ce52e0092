/* The integration-test harness: a real clinicd on a free loopback port with a fresh data
 * directory, started with the real `clinicd init` and `clinicd serve`, stopped with SIGTERM (or
 * killed), and reached over TLS with libclinic. Every helper asserts, so a test reads as steps. */
#ifndef CL_HARNESS_H
#define CL_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "clinic_client.h"
#include "mem.h"
#include "status.h"
#include "test.h"

typedef struct {
    char dir[128];   /* the fresh data directory */
    char data[160];  /* DIR/data, the clinic */
    char ws[160];    /* DIR/ws: workstation "ws1"'s certificate files */
    char server[64]; /* "127.0.0.1:PORT" */
    char ca[200], cert[200], key[200];
    char log[200];           /* clinicd's stderr */
    char password_file[200]; /* holds TEST_PASSWORD */
    pid_t pid;
    int tmpfs;       /* data is a tmpfs mount, unmounted by harness_stop */
    unsigned run_as; /* when non-zero, clinicd serve runs as this uid and gid */
} cl_harness_t;

/* Every user the harness makes has this password, the admin included. */
#define TEST_PASSWORD "correct-horse-battery"

/* Makes a fresh clinic (scrypt at its cheapest so tests are fast), appends `conf` (lines of
 * clinicd.conf; may be NULL) to its configuration, enrolls workstation ws1, and serves it on
 * 127.0.0.1 with a free port. */
void harness_start(cl_harness_t *h, const char *conf);
/* As harness_start, with the clinic's data directory on its own tmpfs of `size_kib` KiB, so that
 * a test can fill the disk or make it read-only for real. Needs root (CI runs as root). */
void harness_start_on_tmpfs(cl_harness_t *h, const char *conf, unsigned size_kib);

/* Starts `clinicd serve` again on the same data (after harness_kill or harness_sigterm). */
void harness_serve(cl_harness_t *h);
/* SIGTERM; asserts a clean exit 0 within 10 s. */
void harness_sigterm(cl_harness_t *h);
/* SIGKILL, as a power cut or a crash would. */
void harness_kill(cl_harness_t *h);
/* Stops the server if running and removes the directory. */
void harness_stop(cl_harness_t *h);

/* Runs the program `argv[0]` (a path) with arguments, capturing stdout (and stderr, appended)
 * into `out`; returns its exit status. */
int harness_run(char *const argv[], char *out, size_t outlen);
/* `clinicd` and `clinic` binaries (from the CLINICD and CLINIC environment ctest sets). */
const char *harness_clinicd(void);
const char *harness_clinic(void);

/* Runs the `clinic` command line as workstation ws1 (settings in its environment, its own
 * configuration directory DIR/clientconf for the session file); `args` is NULL-terminated.
 * Returns the exit status, with stdout and stderr in `out`. */
int harness_run_clinic(cl_harness_t *h, char *out, size_t outlen, const char *const *args);
/* As harness_run_clinic, failing the test (with the command line and its output) unless
 * `clinic` exits 0. */
void harness_run_clinic_ok(cl_harness_t *h, char *out, size_t outlen, const char *const *args);
/* harness_run_clinic and harness_run_clinic_ok with the arguments listed after `out`, a char
 * array that gets the output: HARNESS_CLINIC(&h, out, "patient", "show", "1") is the exit
 * status of `clinic patient show 1`. */
#define HARNESS_CLINIC(h, out, ...)                                                                \
    harness_run_clinic((h), (out), sizeof(out), (const char *[]){__VA_ARGS__, NULL})
#define HARNESS_CLINIC_OK(h, out, ...)                                                             \
    harness_run_clinic_ok((h), (out), sizeof(out), (const char *[]){__VA_ARGS__, NULL})
/* `clinic login` as `username` with TEST_PASSWORD: the session the next `clinic` commands use.
 * Asserts success. */
void harness_clinic_login(cl_harness_t *h, const char *username);
/* Starts `clinic` with `args` (NULL-terminated) in the background as harness_run_clinic would
 * run it, its stdout going to the file `out_path`, for commands that keep running (`--watch`).
 * Returns its pid, for harness_wait_child. */
pid_t harness_spawn_clinic(cl_harness_t *h, const char *out_path, const char *const *args);
/* Waits up to `timeout_ms` for child `pid` to exit; returns its exit status. When it does not
 * exit in time, kills it and fails the test naming `what`; fails too when a signal ended it. */
int harness_wait_child(pid_t pid, int timeout_ms, const char *what);

/* Adds a user with `roles` (comma-separated) and TEST_PASSWORD, through `clinicd user add`. */
void harness_add_user(cl_harness_t *h, const char *username, const char *roles);

/* A client configuration for workstation ws1 (cert_file NULL when `with_cert` is 0). */
cl_client_config_t harness_config(cl_harness_t *h, int with_cert);
/* Connects (TLS + Hello) as ws1. */
cl_sync_t *harness_connect(cl_harness_t *h);
/* Connects and logs in; asserts success. */
cl_sync_t *harness_login(cl_harness_t *h, const char *username);

/* Sends a request built by the caller (for the tests that send odd ones: wrong kinds, no body);
 * returns the status (0 or negative) and the reply in *resp (NULL when none came). */
int harness_call(cl_sync_t *s, const Clinic__Request *req, const Clinic__Response **resp);
/* As harness_call, asserting success (the failure names the request kind and the server's
 * message); returns the reply, which lives until the next call on `s`. */
const Clinic__Response *harness_call_ok(cl_sync_t *s, const Clinic__Request *req);

/* Sends the request of kind `kind` whose body is `body` (a Clinic__<Kind>Request, borrowed), as
 * the CLI's cli_send does (cl_request_make). Returns the status (0 or negative) and the reply in
 * *resp (NULL when none came), which lives until the next call on `s`; on success its result is
 * of the same kind, (Clinic__Response__ResultCase)kind. */
int harness_send(cl_sync_t *s, Clinic__Request__BodyCase kind, const void *body,
                 const Clinic__Response **resp);
/* As harness_send, asserting success and a reply of kind `kind` (a failure names the request
 * kind and the server's message); returns the reply, which lives until the next call on `s`. */
const Clinic__Response *harness_send_ok(cl_sync_t *s, Clinic__Request__BodyCase kind,
                                        const void *body);

/* Subscribes `s` to the one topic `topic` from now on; returns the status (CL_EPERM for a topic
 * the user's roles may not watch). */
int harness_subscribe(cl_sync_t *s, const char *topic);
/* The next event on `s` within `timeout_ms`, which lives until the next call on `s`; fails the
 * test when none comes. */
const Clinic__Event *harness_next_event(cl_sync_t *s, int timeout_ms);
/* Asserts that no event comes on `s` within `timeout_ms`. */
void harness_expect_no_event(cl_sync_t *s, int timeout_ms);

/* Sends a LoginRequest for `username` with TEST_PASSWORD on asynchronous client `c`; `cb` gets
 * the reply with `arg`. Asserts that the request was queued. */
void harness_async_login(cl_client_t *c, const char *username, cl_client_reply_fn cb, void *arg);

/* Asserts that `clinicd audit verify` finds the clinic's audit chain intact. */
void harness_assert_audit_verifies(cl_harness_t *h);
/* Runs `sql` with the sqlite3 shell on the clinic's database beside the running server (waiting
 * up to 10 s for its lock); fails the test on an error. Returns the integer the output starts
 * with: the value of a one-row, one-column query (0 for none). */
long long harness_sql(cl_harness_t *h, const char *sql);

/* clinicd.conf for a clinic in America/Chicago, the zone harness_date_ahead counts in. */
#define HARNESS_CHICAGO "time_zone = America/Chicago\n"
/* The date `days` from now (before now when negative) in America/Chicago, as "YYYY-MM-DD": the
 * date a HARNESS_CHICAGO clinic sees. Sets TZ for the whole test process. */
void harness_date_ahead(int days, char out[11]);

/* chattr +i (on) or -i on the clinic's database and its WAL: the file system then refuses every
 * write, even through clinicd's open descriptors. Needs root on ext4 (CI runs as root). */
void harness_set_immutable(cl_harness_t *h, int on);

/* Whether clinicd's log contains `needle`. */
int harness_log_contains(cl_harness_t *h, const char *needle);
/* Whether it does within `timeout_ms` (the server logs a close after the peer may see it). */
int harness_wait_log(cl_harness_t *h, const char *needle, int timeout_ms);

/* Milliseconds on a monotonic clock. */
double harness_ms(void);

/* A raw TLS connection on a blocking socket, for sending what libclinic never would: bad
 * frames, half frames, requests before Hello, and for never reading the replies. */
typedef struct {
    int fd;
    void *ctx; /* SSL_CTX */
    void *ssl; /* SSL */
} harness_raw_t;

/* Connects and completes the TLS handshake (with ws1's certificate when `with_cert`). Returns 0,
 * or -1 when TCP or TLS failed (`err` says why). */
int harness_raw_open(cl_harness_t *h, harness_raw_t *r, int with_cert, char *err, size_t errlen);
/* Writes bytes on the TLS stream; returns 0 or -1. */
int harness_raw_send(harness_raw_t *r, const void *data, size_t len);
/* Writes one framed Envelope carrying `req` with `id`; returns 0 or -1. */
int harness_raw_request(harness_raw_t *r, uint64_t id, const Clinic__Request *req);
/* Reads one frame within `timeout_ms`. Returns the envelope (free with
 * clinic__envelope__free_unpacked), or NULL when the server closed the connection (*closed = 1)
 * or the time ran out (*closed = 0). */
Clinic__Envelope *harness_raw_recv(harness_raw_t *r, int timeout_ms, int *closed);
/* Whether the server closes the connection within `timeout_ms` (reading and dropping frames). */
int harness_raw_closed_within(harness_raw_t *r, int timeout_ms);
void harness_raw_close(harness_raw_t *r);

#endif
