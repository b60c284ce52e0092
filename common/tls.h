/* The TLS engine: an OpenSSL session over memory BIOs, with no socket of its own. Ciphertext from
 * the network goes in with cl_tls_feed(); ciphertext for the network comes out of cl_tls_take().
 * Every call reduces SSL_get_error to CL_OK / CL_EAGAIN / CL_EEOF / CL_ETLS. TLS 1.3 only, ALPN
 * "clinic/1". */
#ifndef CL_TLS_H
#define CL_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "buf.h"

#define CL_ALPN "clinic/1"

typedef struct {
    SSL *ssl;  /* owned; owns rbio and wbio */
    BIO *rbio; /* network -> OpenSSL */
    BIO *wbio; /* OpenSSL -> network */
} cl_tls_t;

/* A server context: certificate chain and key from PEM files; clients are verified against
 * `ca_file` and must present a certificate when `require_client_cert`. When `crl_file` is given,
 * certificates on that CRL are refused, and a CRL that cannot be read is a failure. Returns NULL
 * and logs why on failure. */
SSL_CTX *cl_tls_server_ctx(const char *cert_file, const char *key_file, const char *ca_file,
                           int require_client_cert, const char *crl_file);

/* A client context that trusts `ca_file` only (never the system store) and presents the
 * certificate and key when both are given (either may be NULL). Returns NULL and logs why. */
SSL_CTX *cl_tls_client_ctx(const char *ca_file, const char *cert_file, const char *key_file);

/* Lets the connections of client context `ctx` resume TLS sessions: each keeps the newest ticket
 * a server sent, and the next connection offers it, which spares both sides the certificate
 * signatures and checks of a full handshake. Returns 0 or CL_ETLS. */
int cl_tls_client_resume(SSL_CTX *ctx);
/* Whether the handshake resumed a session (1) or was a full one (0). */
int cl_tls_resumed(const cl_tls_t *t);

/* Sets up a session on `ctx`. `host` (client side only, may be NULL on the server) is the name
 * the server certificate must carry: a DNS name or an IP address. Returns 0 or CL_ETLS. */
int cl_tls_init(cl_tls_t *t, SSL_CTX *ctx, int is_server, const char *host);
/* Frees the session. Safe on a zeroed or already closed engine. */
void cl_tls_close(cl_tls_t *t);

/* Gives ciphertext received from the network to OpenSSL. */
void cl_tls_feed(cl_tls_t *t, const void *data, size_t n);
/* Moves every byte of ciphertext OpenSSL has produced into `out`. Returns how many. */
size_t cl_tls_take(cl_tls_t *t, cl_buf_t *out);

/* Advances the handshake: 0 when complete, CL_EAGAIN when it needs more input, CL_ETLS or
 * CL_EEOF when it failed (the reason is in `err`, `errlen` bytes, NUL-terminated). */
int cl_tls_handshake(cl_tls_t *t, char *err, size_t errlen);
/* Reads plaintext: 0 and *got > 0, CL_EAGAIN when no whole record is buffered, CL_EEOF on
 * close_notify or an unclean close, CL_ETLS on a protocol error. */
int cl_tls_read(cl_tls_t *t, void *buf, size_t cap, size_t *got, char *err, size_t errlen);
/* Encrypts all `n` bytes (memory BIOs never block). Returns 0 or CL_ETLS. */
int cl_tls_write(cl_tls_t *t, const void *buf, size_t n);
/* Queues a close_notify alert. */
void cl_tls_shutdown(cl_tls_t *t);

/* The peer certificate's common name into `out` (empty if none). */
void cl_tls_peer_name(cl_tls_t *t, char *out, size_t outlen);

#endif
