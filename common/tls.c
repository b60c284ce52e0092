/* The TLS engine over memory BIOs. */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "log.h"
#include "status.h"

/* ALPN in wire format: a length byte, then the name. */
static const unsigned char alpn_wire[] = "\x08" CL_ALPN;

static void log_openssl(const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof(buf));
    cl_error("%s: %s", what, e ? buf : "unknown OpenSSL error");
    ERR_clear_error();
}

static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, alpn_wire, sizeof(alpn_wire) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *new_ctx(const SSL_METHOD *method)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx == NULL) {
        log_openssl("SSL_CTX_new");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    /* Short writes never happen on memory BIOs; moving buffers are harmless and cheaper. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

static int load_crl(SSL_CTX *ctx, const char *crl_file)
{
    /* A named CRL that is missing is an error, not "nothing revoked": every certificate the CA
     * ever signed, revoked ones too, would be let in (clinicd init writes one, empty). */
    BIO *in = BIO_new_file(crl_file, "r");
    if (in == NULL) {
        ERR_clear_error();
        cl_error("%s: cannot read the certificate revocation list (%s); write it again with "
                 "'clinicd workstation crl'",
                 crl_file, strerror(errno));
        return CL_ETLS;
    }
    X509_CRL *crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL);
    BIO_free(in);
    if (crl == NULL) {
        log_openssl(crl_file);
        return CL_ETLS;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int ok = X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    if (!ok) {
        log_openssl("X509_STORE_add_crl");
        return CL_ETLS;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    return 0;
}

SSL_CTX *cl_tls_server_ctx(const char *cert_file, const char *key_file, const char *ca_file,
                           int require_client_cert, const char *crl_file)
{
    ERR_clear_error();
    SSL_CTX *ctx = new_ctx(TLS_server_method());
    if (ctx == NULL)
        return NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        log_openssl(cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        log_openssl(key_file);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        log_openssl(ca_file);
        goto fail;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
    if (names)
        SSL_CTX_set_client_CA_list(ctx, names);
    if (crl_file && load_crl(ctx, crl_file) != 0)
        goto fail;
    /* Without a required certificate a client may still offer one; it is then verified. */
    SSL_CTX_set_verify(
        ctx, SSL_VERIFY_PEER | (require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn_select, NULL);
    /* One session ticket per connection, for a workstation's next connection to resume without
     * signing and verifying certificates again (cl_tls_client_resume). The tickets are stateless
     * (nothing is kept here), sealed with keys this context drew at random: a restart, or a new
     * CRL (net.c makes a new context when crl.pem changes), invalidates every ticket, so a
     * revoked workstation never resumes past its revocation. A client certificate is verified
     * only in a full handshake; a resumed session carries the verified certificate, and the
     * session id context binds it to this server. */
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char sid_ctx[] = "clinicd";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *cl_tls_client_ctx(const char *ca_file, const char *cert_file, const char *key_file)
{
    ERR_clear_error();
    SSL_CTX *ctx = new_ctx(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        log_openssl(ca_file);
        goto fail;
    }
    if (cert_file && key_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
            log_openssl(cert_file);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            log_openssl(key_file);
            goto fail;
        }
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_alpn_protos(ctx, alpn_wire, sizeof(alpn_wire) - 1) != 0) {
        log_openssl("SSL_CTX_set_alpn_protos");
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* ---- client-side resumption: the newest ticket of a context, offered by its next connection */

typedef struct {
    pthread_mutex_t lock;
    SSL_SESSION *last; /* one reference held here; NULL before the first ticket */
} resume_slot_t;

static int resume_index = -1;
static pthread_once_t resume_once = PTHREAD_ONCE_INIT;

static void resume_slot_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                             void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    resume_slot_t *slot = ptr;
    if (slot == NULL)
        return;
    SSL_SESSION_free(slot->last);
    pthread_mutex_destroy(&slot->lock);
    free(slot);
}

static void resume_index_make(void)
{
    resume_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, resume_slot_free);
}

/* A new ticket arrived (after a handshake, on the connection's reads): keep a copy of it, the
 * newest. A copy, because the connection's own session is marked not resumable if the
 * connection ends without a close_notify. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    resume_slot_t *slot = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), resume_index);
    SSL_SESSION *copy = slot ? SSL_SESSION_dup(sess) : NULL;
    if (copy == NULL)
        return 0;
    pthread_mutex_lock(&slot->lock);
    SSL_SESSION *old = slot->last;
    slot->last = copy;
    pthread_mutex_unlock(&slot->lock);
    SSL_SESSION_free(old);
    return 0; /* OpenSSL keeps and releases its own reference */
}

int cl_tls_client_resume(SSL_CTX *ctx)
{
    pthread_once(&resume_once, resume_index_make);
    if (resume_index < 0)
        return CL_ETLS;
    resume_slot_t *slot = calloc(1, sizeof(*slot));
    if (slot == NULL)
        return CL_ETLS;
    pthread_mutex_init(&slot->lock, NULL);
    if (!SSL_CTX_set_ex_data(ctx, resume_index, slot)) {
        resume_slot_free(NULL, slot, NULL, 0, 0, NULL);
        return CL_ETLS;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    return 0;
}

/* Offers the context's newest ticket, if any, to a new client session. A server that cannot
 * open it (another server, restarted, or with a new CRL) answers with a full handshake. */
static void offer_ticket(SSL_CTX *ctx, SSL *ssl)
{
    if (resume_index < 0)
        return;
    resume_slot_t *slot = SSL_CTX_get_ex_data(ctx, resume_index);
    if (slot == NULL)
        return;
    pthread_mutex_lock(&slot->lock);
    if (slot->last && SSL_SESSION_is_resumable(slot->last))
        SSL_set_session(ssl, slot->last);
    pthread_mutex_unlock(&slot->lock);
}

int cl_tls_resumed(const cl_tls_t *t)
{
    return t->ssl && SSL_session_reused(t->ssl);
}

int cl_tls_init(cl_tls_t *t, SSL_CTX *ctx, int is_server, const char *host)
{
    ERR_clear_error();
    memset(t, 0, sizeof(*t));
    t->ssl = SSL_new(ctx);
    if (t->ssl == NULL) {
        log_openssl("SSL_new");
        return CL_ETLS;
    }
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->rbio == NULL || t->wbio == NULL) {
        log_openssl("BIO_new");
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        SSL_free(t->ssl);
        t->ssl = NULL;
        return CL_ETLS;
    }
    /* An empty read BIO means "more later", not end of file. */
    BIO_set_mem_eof_return(t->rbio, -1);
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    if (is_server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        if (host && *host) {
            /* SSL_VERIFY_PEER alone does not check the name: the name or IP must be set. */
            ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
            int ok;
            if (ip) {
                ASN1_OCTET_STRING_free(ip);
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
            } else {
                ERR_clear_error();
                ok = SSL_set1_host(t->ssl, host) && SSL_set_tlsext_host_name(t->ssl, host);
            }
            if (!ok) {
                log_openssl("setting the server name");
                cl_tls_close(t);
                return CL_ETLS;
            }
        }
        offer_ticket(ctx, t->ssl);
    }
    return 0;
}

void cl_tls_close(cl_tls_t *t)
{
    if (t->ssl)
        SSL_free(t->ssl);
    memset(t, 0, sizeof(*t));
}

void cl_tls_feed(cl_tls_t *t, const void *data, size_t n)
{
    BIO_write(t->rbio, data, (int)n);
}

size_t cl_tls_take(cl_tls_t *t, cl_buf_t *out)
{
    size_t total = 0;
    size_t pending;
    while ((pending = BIO_ctrl_pending(t->wbio)) > 0) {
        uint8_t *p = cl_buf_reserve(out, pending);
        int n = BIO_read(t->wbio, p, (int)pending);
        if (n <= 0)
            break;
        cl_buf_commit(out, (size_t)n);
        total += (size_t)n;
    }
    return total;
}

/* Reduces SSL_get_error to a status, writing a reason for failures. */
static int reduce(cl_tls_t *t, int ret, char *err, size_t errlen)
{
    int e = SSL_get_error(t->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return CL_EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        if (err)
            snprintf(err, errlen, "peer closed the TLS session");
        return CL_EEOF;
    default: {
        unsigned long code = ERR_peek_error();
        if (err) {
            if (code) {
                char buf[200];
                ERR_error_string_n(code, buf, sizeof(buf));
                const char *reason = ERR_reason_error_string(code);
                snprintf(err, errlen, "%s", reason ? reason : buf);
            } else {
                snprintf(err, errlen, "TLS error %d", e);
            }
            long vr = SSL_get_verify_result(t->ssl);
            if (vr != X509_V_OK) {
                size_t used = strlen(err);
                snprintf(err + used, errlen - used, " (%s)", X509_verify_cert_error_string(vr));
            }
        }
        /* OpenSSL 3 reports a TCP close without close_notify as "unexpected eof". */
        int eof = code && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
        ERR_clear_error();
        return eof ? CL_EEOF : CL_ETLS;
    }
    }
}

int cl_tls_handshake(cl_tls_t *t, char *err, size_t errlen)
{
    ERR_clear_error();
    int ret = SSL_do_handshake(t->ssl);
    if (ret == 1)
        return 0;
    return reduce(t, ret, err, errlen);
}

int cl_tls_read(cl_tls_t *t, void *buf, size_t cap, size_t *got, char *err, size_t errlen)
{
    ERR_clear_error();
    size_t n = 0;
    int ret = SSL_read_ex(t->ssl, buf, cap, &n);
    if (ret == 1) {
        *got = n;
        return 0;
    }
    *got = 0;
    return reduce(t, 0, err, errlen);
}

int cl_tls_write(cl_tls_t *t, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ERR_clear_error();
        size_t written = 0;
        if (SSL_write_ex(t->ssl, p, n, &written) != 1) {
            char err[200];
            int rc = reduce(t, 0, err, sizeof(err));
            cl_debug("SSL_write: %s", err);
            return rc == CL_EAGAIN ? CL_ETLS : rc;
        }
        p += written;
        n -= written;
    }
    return 0;
}

void cl_tls_shutdown(cl_tls_t *t)
{
    ERR_clear_error();
    if (SSL_is_init_finished(t->ssl))
        SSL_shutdown(t->ssl);
    ERR_clear_error();
}

void cl_tls_peer_name(cl_tls_t *t, char *out, size_t outlen)
{
    out[0] = '\0';
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    if (peer == NULL)
        return;
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, out, (int)outlen);
}
