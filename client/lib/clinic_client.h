/* libclinic: connect to clinicd over TLS 1.3, say Hello, log in or resume, call requests, receive
 * pushed events. Every client program uses it: the command line, the benchmark, the tests.
 * Two layers: an asynchronous one on a caller's libuv loop (many connections on one thread, as
 * clinic-bench needs), and a blocking one for one connection (as the CLI needs). */
#ifndef CLINIC_CLIENT_H
#define CLINIC_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "clinic.pb-c.h"

#define CL_PROTOCOL_VERSION 1

typedef struct {
    const char *server;    /* "host:port"; host is a name or an IP address */
    const char *ca_file;   /* the clinic's CA, the only one trusted */
    const char *cert_file; /* this workstation's certificate; NULL in development mode */
    const char *key_file;
    const char *client_name;    /* sent in Hello ("clinic", "clinic-bench") */
    size_t max_frame;           /* 0: 1 MiB */
    uint32_t timeout_ms;        /* connect + handshake + each blocking call; 0: 10000 */
    int full_handshakes;        /* never resume a TLS session (clinic-bench measures both) */
} cl_client_config_t;

/* --- requests ----------------------------------------------------------------------------- */

/* Sets `req` to a request of kind `kind` whose body is `body` (borrowed: it must outlive the
 * call). A Request's body and its Response's result share their field number and name, so the
 * reply to expect is (Clinic__Response__ResultCase)kind (tests/unit/test_client.c checks every
 * pair). Returns 0, or CL_EINVAL when `kind` names no request. */
int cl_request_make(Clinic__Request *req, Clinic__Request__BodyCase kind, const void *body);

/* --- asynchronous ------------------------------------------------------------------------- */

typedef struct cl_client_s cl_client_t;

/* The connection is ready (status 0: TLS done and Hello answered, `hello` borrowed for the call)
 * or failed / closed (status < 0, `reason` says why, `hello` NULL). Called once with 0 at most,
 * and once with < 0 at the end, after which the client is freed and must not be used. */
typedef void (*cl_client_state_fn)(cl_client_t *c, int status, const char *reason,
                                   const Clinic__HelloReply *hello, void *arg);
/* A reply: status is 0 or the negative status of resp->status->code (resp borrowed for the call),
 * or a negative status with resp NULL when the connection closed before the reply came. */
typedef void (*cl_client_reply_fn)(cl_client_t *c, int status, const Clinic__Response *resp,
                                   void *arg);
/* A pushed event; borrowed for the call. */
typedef void (*cl_client_event_fn)(cl_client_t *c, const Clinic__Event *ev, void *arg);

/* Starts connecting on `loop`. The config's strings are copied. Returns a client, or NULL when
 * the TLS context cannot be made (the reason logged); `on_state` never runs synchronously. */
cl_client_t *cl_client_connect(uv_loop_t *loop, const cl_client_config_t *cfg,
                               cl_client_state_fn on_state, void *arg);

/* Sends `req` (borrowed; packed at once) with a fresh envelope id; `cb` runs exactly once.
 * Returns 0, or CL_EEOF when the client is closing (cb is then not called). */
int cl_client_call(cl_client_t *c, const Clinic__Request *req, cl_client_reply_fn cb, void *arg);

/* Sets the event callback. */
void cl_client_on_event(cl_client_t *c, cl_client_event_fn cb, void *arg);

/* Writes raw bytes on the TLS stream (tests: malformed frames). Returns 0 or CL_EEOF. */
int cl_client_send_raw(cl_client_t *c, const void *data, size_t len);

/* Requests in flight. */
size_t cl_client_in_flight(const cl_client_t *c);

/* Closes (idempotent). Outstanding replies get CL_EEOF; then on_state(< 0) runs; then it is freed. */
void cl_client_close(cl_client_t *c);

/* Whether the connection's TLS handshake resumed an earlier session (1) or was a full one (0). */
int cl_client_tls_resumed(const cl_client_t *c);

/* --- blocking ----------------------------------------------------------------------------- */

typedef struct cl_sync_s cl_sync_t;

/* Connects and says Hello, waiting at most the config's timeout. Returns 0 and sets *out, or a
 * negative status with the reason in `err`. */
int cl_sync_connect(const cl_client_config_t *cfg, cl_sync_t **out, char *err, size_t errlen);

/* The server's HelloReply; valid until cl_sync_close. */
const Clinic__HelloReply *cl_sync_hello(cl_sync_t *s);

/* Sends `req` and waits for its reply. Returns 0 and sets *resp (valid until the next call on
 * `s` or cl_sync_close), or a negative status: the reply's (then *resp is set too, with the
 * server's message and field errors) or the connection's (then *resp is NULL and `err` says
 * why). Events arriving meanwhile are queued for cl_sync_next_event. */
int cl_sync_call(cl_sync_t *s, const Clinic__Request *req, const Clinic__Response **resp,
                 char *err, size_t errlen);

/* Logs in with a username and password, or resumes with a token. On success the reply is in
 * *reply (valid as for cl_sync_call). */
int cl_sync_login(cl_sync_t *s, const char *username, const char *password,
                  const Clinic__LoginReply **reply, char *err, size_t errlen);
int cl_sync_resume(cl_sync_t *s, const char *token, const Clinic__LoginReply **reply, char *err,
                   size_t errlen);

/* Waits up to `timeout_ms` (-1: forever) for a pushed event. Returns 0 and sets *ev (valid until
 * the next call on `s`), CL_ETIMEOUT, or a negative status when the connection is gone. */
int cl_sync_next_event(cl_sync_t *s, int timeout_ms, const Clinic__Event **ev, char *err,
                       size_t errlen);

/* Writes raw bytes (tests). */
int cl_sync_send_raw(cl_sync_t *s, const void *data, size_t len);

/* Closes the connection and frees `s`. NULL is fine. */
void cl_sync_close(cl_sync_t *s);

#endif
