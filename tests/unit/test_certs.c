/* The clinic's CA: the certificates cl_certs_init and cl_certs_issue_workstation make verify
 * against it with the right extensions, the CRL revokes, key files are private, and real TLS 1.3
 * handshakes between the common TLS engines (memory BIOs, no sockets) accept and refuse exactly
 * the peers they should. */
#include <dirent.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "certs.h"
#include "status.h"
#include "test.h"
#include "tls.h"

/* ---- fixtures ----------------------------------------------------------------------------- */

typedef struct {
    char dir[64];    /* the data directory */
    char ws_dir[96]; /* where workstation certificates go */
    char path[256];  /* scratch */
} fixture_t;

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        ASSERT_NOT_NULL(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[512];
            snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        ASSERT_OK(rmdir(path));
    } else {
        ASSERT_OK(unlink(path));
    }
}

static void setup(fixture_t *f, const char *const *sans, size_t nsans)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/clinic-certs-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(f->dir));
    snprintf(f->ws_dir, sizeof(f->ws_dir), "%s/ws", f->dir);
    ASSERT_OK(cl_certs_init(f->dir, "Maple Street Family Practice", sans, nsans));
}

static void teardown(fixture_t *f)
{
    remove_tree(f->dir);
}

static const char *tls_file(fixture_t *f, const char *name)
{
    cl_certs_path(f->dir, name, f->path, sizeof(f->path));
    return f->path;
}

static X509 *load_cert(const char *path)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        CL_FAIL("cannot open %s", path);
    X509 *x = PEM_read_X509(in, NULL, NULL, NULL);
    fclose(in);
    ASSERT_NOT_NULL(x);
    return x;
}

static X509_CRL *load_crl(const char *path)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        CL_FAIL("cannot open %s", path);
    X509_CRL *crl = PEM_read_X509_CRL(in, NULL, NULL, NULL);
    fclose(in);
    ASSERT_NOT_NULL(crl);
    return crl;
}

/* Verifies `x` against `ca` (and `crl` when given, with CRL checking) for `purpose`. Returns
 * X509_V_OK or the verification error. */
static int verify(X509 *x, X509 *ca, X509_CRL *crl, int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ASSERT_NOT_NULL(store);
    ASSERT_NOT_NULL(ctx);
    ASSERT_EQ(X509_STORE_add_cert(store, ca), 1);
    if (crl) {
        ASSERT_EQ(X509_STORE_add_crl(store, crl), 1);
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    ASSERT_EQ(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
    if (purpose)
        ASSERT_EQ(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
    int ok = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

static void assert_p256_sha256(X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    ASSERT_NOT_NULL(k);
    ASSERT(EVP_PKEY_is_a(k, "EC"));
    ASSERT_EQ(EVP_PKEY_get_bits(k), 256);
    ASSERT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    ASSERT_EQ(X509_get_version(x), X509_VERSION_3);
}

/* Serials are 128 random bits. */
static void assert_random_serial(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    ASSERT_NOT_NULL(bn);
    ASSERT_EQ(BN_num_bytes(bn), 16);
    ASSERT(!BN_is_negative(bn));
    BN_free(bn);
}

/* How many serials `crl` lists (OpenSSL gives an empty list as NULL). */
static int revoked_count(X509_CRL *crl)
{
    STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(crl);
    return r ? sk_X509_REVOKED_num(r) : 0;
}

static void assert_mode(const char *path, unsigned mode)
{
    struct stat st;
    if (stat(path, &st) != 0)
        CL_FAIL("missing %s", path);
    if ((st.st_mode & 0777) != mode)
        CL_FAIL("%s has mode %o, not %o", path, (unsigned)(st.st_mode & 0777), mode);
}

static void issue(fixture_t *f, const char *name, char serial[64])
{
    ASSERT_OK(cl_certs_issue_workstation(f->dir, name, f->ws_dir, serial, 64));
    ASSERT(strlen(serial) >= 1 && strlen(serial) <= 40);
}

static X509 *load_ws_cert(fixture_t *f, const char *name)
{
    snprintf(f->path, sizeof(f->path), "%s/%s.crt", f->ws_dir, name);
    return load_cert(f->path);
}

/* ---- certificates ------------------------------------------------------------------------- */

CL_TEST(init_makes_ca_and_server_cert_that_verify)
{
    static const char *const sans[] = {"clinic.maple.example", "10.1.2.3"};
    fixture_t f;
    setup(&f, sans, 2);
    X509 *ca = load_cert(tls_file(&f, "ca.crt"));
    X509 *server = load_cert(tls_file(&f, "server.crt"));

    /* The CA: self-signed, CA:TRUE (critical), keyCertSign + cRLSign, an SKI. */
    ASSERT_EQ(verify(ca, ca, NULL, 0), X509_V_OK);
    ASSERT_EQ(X509_check_ca(ca), 1);
    int idx = X509_get_ext_by_NID(ca, NID_basic_constraints, -1);
    ASSERT_GE(idx, 0);
    ASSERT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca, idx)), 1);
    ASSERT_EQ(X509_get_key_usage(ca) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN),
              KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    ASSERT_NOT_NULL(X509_get0_subject_key_id(ca));
    assert_p256_sha256(ca);
    assert_random_serial(ca);
    /* Valid for about 20 years. */
    int days = 0, secs = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(ca)), 1);
    ASSERT_GT(days, 19 * 365);

    /* The server certificate: signed by the CA, for serverAuth, not a CA. */
    ASSERT_EQ(verify(server, ca, NULL, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    ASSERT_EQ(X509_check_ca(server), 0);
    ASSERT(X509_get_extended_key_usage(server) & XKU_SSL_SERVER);
    ASSERT(!(X509_get_extended_key_usage(server) & XKU_SSL_CLIENT));
    assert_p256_sha256(server);
    assert_random_serial(server);
    ASSERT_EQ(X509_check_issued(ca, server), X509_V_OK);

    /* Its names: the fixed local ones and the ones asked for, and nothing else. */
    ASSERT_EQ(X509_check_host(server, "localhost", 0, 0, NULL), 1);
    ASSERT_EQ(X509_check_host(server, "clinic.maple.example", 0, 0, NULL), 1);
    ASSERT_EQ(X509_check_ip_asc(server, "127.0.0.1", 0), 1);
    ASSERT_EQ(X509_check_ip_asc(server, "::1", 0), 1);
    ASSERT_EQ(X509_check_ip_asc(server, "10.1.2.3", 0), 1);
    ASSERT_EQ(X509_check_host(server, "evil.example", 0, 0, NULL), 0);
    ASSERT_EQ(X509_check_ip_asc(server, "10.1.2.4", 0), 0);
    char host[256];
    if (gethostname(host, sizeof(host)) == 0 && strchr(host, '_') == NULL)
        ASSERT_EQ(X509_check_host(server, host, 0, 0, NULL), 1);

    X509_free(ca);
    X509_free(server);
    teardown(&f);
}

CL_TEST(init_refuses_an_existing_ca)
{
    fixture_t f;
    setup(&f, NULL, 0);
    ASSERT_EQ(cl_certs_init(f.dir, "Another", NULL, 0), CL_EEXIST);
    teardown(&f);
}

CL_TEST(init_refuses_a_bad_san)
{
    static const char *const sans[] = {"bad name,DNS:evil"};
    char dir[] = "/tmp/clinic-certs-XXXXXX";
    ASSERT_NOT_NULL(mkdtemp(dir));
    ASSERT_EQ(cl_certs_init(dir, "Clinic", sans, 1), CL_EINVAL);
    remove_tree(dir);
}

CL_TEST(key_files_are_mode_0600)
{
    fixture_t f;
    char serial[64];
    setup(&f, NULL, 0);
    issue(&f, "exam-1", serial);
    assert_mode(tls_file(&f, "ca.key"), 0600);
    assert_mode(tls_file(&f, "server.key"), 0600);
    assert_mode(tls_file(&f, "ca.crt"), 0644);
    assert_mode(tls_file(&f, "server.crt"), 0644);
    assert_mode(tls_file(&f, "crl.pem"), 0644);
    snprintf(f.path, sizeof(f.path), "%s/exam-1.key", f.ws_dir);
    assert_mode(f.path, 0600);
    snprintf(f.path, sizeof(f.path), "%s/exam-1.crt", f.ws_dir);
    assert_mode(f.path, 0644);
    teardown(&f);
}

CL_TEST(workstation_cert_verifies_with_client_auth_and_cn)
{
    fixture_t f;
    char serial[64];
    setup(&f, NULL, 0);
    issue(&f, "frontdesk-1", serial);
    X509 *ca = load_cert(tls_file(&f, "ca.crt"));
    X509 *ws = load_ws_cert(&f, "frontdesk-1");

    ASSERT_EQ(verify(ws, ca, NULL, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    ASSERT(X509_get_extended_key_usage(ws) & XKU_SSL_CLIENT);
    ASSERT(!(X509_get_extended_key_usage(ws) & XKU_SSL_SERVER));
    ASSERT_EQ(X509_check_ca(ws), 0);
    char cn[128];
    ASSERT_GT(X509_NAME_get_text_by_NID(X509_get_subject_name(ws), NID_commonName, cn, sizeof(cn)),
              0);
    ASSERT_STR_EQ(cn, "frontdesk-1");
    assert_p256_sha256(ws);
    assert_random_serial(ws);

    /* The serial handed back is the certificate's. */
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ws), NULL);
    char *hex = BN_bn2hex(bn);
    ASSERT_EQ(strcasecmp(hex, serial), 0);
    OPENSSL_free(hex);
    BN_free(bn);

    /* The out directory also holds the CA, and the key matches the certificate. */
    snprintf(f.path, sizeof(f.path), "%s/ca.crt", f.ws_dir);
    X509 *ca_copy = load_cert(f.path);
    ASSERT_EQ(X509_cmp(ca, ca_copy), 0);
    snprintf(f.path, sizeof(f.path), "%s/frontdesk-1.key", f.ws_dir);
    FILE *in = fopen(f.path, "r");
    ASSERT_NOT_NULL(in);
    EVP_PKEY *key = PEM_read_PrivateKey(in, NULL, NULL, NULL);
    fclose(in);
    ASSERT_NOT_NULL(key);
    ASSERT_EQ(X509_check_private_key(ws, key), 1);

    /* Two workstations never share a serial. */
    char serial2[64];
    issue(&f, "frontdesk-2", serial2);
    ASSERT(strcmp(serial, serial2) != 0);

    EVP_PKEY_free(key);
    X509_free(ca_copy);
    X509_free(ws);
    X509_free(ca);
    teardown(&f);
}

CL_TEST(workstation_name_must_be_a_plain_name)
{
    fixture_t f;
    char serial[64];
    setup(&f, NULL, 0);
    ASSERT_EQ(cl_certs_issue_workstation(f.dir, "../escape", f.ws_dir, serial, sizeof(serial)),
              CL_EINVAL);
    ASSERT_EQ(cl_certs_issue_workstation(f.dir, "", f.ws_dir, serial, sizeof(serial)), CL_EINVAL);
    ASSERT_EQ(cl_certs_issue_workstation(f.dir, "..", f.ws_dir, serial, sizeof(serial)), CL_EINVAL);
    teardown(&f);
}

CL_TEST(crl_revokes_one_workstation_and_not_another)
{
    fixture_t f;
    char revoked[64], kept[64];
    setup(&f, NULL, 0);
    issue(&f, "billing-1", revoked);
    issue(&f, "billing-2", kept);
    X509 *ca = load_cert(tls_file(&f, "ca.crt"));
    X509 *ws_revoked = load_ws_cert(&f, "billing-1");
    X509 *ws_kept = load_ws_cert(&f, "billing-2");

    /* The CRL made by init lists nothing. */
    X509_CRL *crl = load_crl(tls_file(&f, "crl.pem"));
    ASSERT_EQ(revoked_count(crl), 0);
    ASSERT_EQ(verify(ws_revoked, ca, crl, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    X509_CRL_free(crl);

    const char *serials[] = {revoked};
    ASSERT_OK(cl_certs_write_crl(f.dir, serials, 1));
    crl = load_crl(tls_file(&f, "crl.pem"));
    ASSERT_EQ(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    ASSERT_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
    ASSERT_EQ(revoked_count(crl), 1);
    /* nextUpdate is years away, so the CRL never expires under a running clinic. */
    int days = 0, secs = 0;
    ASSERT_NOT_NULL(X509_CRL_get0_nextUpdate(crl));
    ASSERT_EQ(ASN1_TIME_diff(&days, &secs, NULL, X509_CRL_get0_nextUpdate(crl)), 1);
    ASSERT_GT(days, 10 * 365);
    ASSERT_LE(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), time(NULL)), 0);

    ASSERT_EQ(verify(ws_revoked, ca, crl, X509_PURPOSE_SSL_CLIENT), X509_V_ERR_CERT_REVOKED);
    ASSERT_EQ(verify(ws_kept, ca, crl, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    X509_CRL_free(crl);

    /* A serial that is not hex is refused and leaves the CRL as it was. */
    const char *bad[] = {"zz-not-hex"};
    ASSERT_EQ(cl_certs_write_crl(f.dir, bad, 1), CL_EINVAL);
    crl = load_crl(tls_file(&f, "crl.pem"));
    ASSERT_EQ(revoked_count(crl), 1);
    X509_CRL_free(crl);

    X509_free(ws_kept);
    X509_free(ws_revoked);
    X509_free(ca);
    teardown(&f);
}

/* ---- TLS handshakes over memory BIOs ----------------------------------------------------- */

typedef struct {
    int client; /* the client's handshake result */
    int server; /* the server's */
    char client_err[256];
    char server_err[256];
    char peer[128]; /* the client certificate's CN as the server saw it */
    int data_ok;    /* application data went both ways */
    int resumed;    /* the client resumed a TLS session */
} handshake_t;

/* Moves every byte `from` has produced to `to`. */
static void shuttle(cl_tls_t *from, cl_tls_t *to, cl_buf_t *buf)
{
    cl_buf_reset(buf);
    if (cl_tls_take(from, buf) > 0)
        cl_tls_feed(to, cl_buf_head(buf), cl_buf_size(buf));
}

/* Reads what has arrived on `t` into `out` (NUL-terminated); 0 or a status. */
static int read_all(cl_tls_t *t, char *out, size_t cap)
{
    size_t used = 0, got = 0;
    int rc;
    while ((rc = cl_tls_read(t, out + used, cap - 1 - used, &got, NULL, 0)) == 0)
        used += got;
    out[used] = '\0';
    return rc == CL_EAGAIN ? 0 : rc;
}

/* Runs a full handshake between a server made from `sctx` and a client from `cctx` that checks
 * `host`, then sends a line each way when both sides completed. */
static void run_handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *host, handshake_t *h)
{
    cl_tls_t server, client;
    cl_buf_t buf = {0};
    memset(h, 0, sizeof(*h));
    ASSERT_OK(cl_tls_init(&server, sctx, 1, NULL));
    ASSERT_OK(cl_tls_init(&client, cctx, 0, host));
    h->client = h->server = CL_EAGAIN;
    for (int round = 0; round < 20; round++) {
        if (h->client == CL_EAGAIN)
            h->client = cl_tls_handshake(&client, h->client_err, sizeof(h->client_err));
        shuttle(&client, &server, &buf);
        if (h->server == CL_EAGAIN)
            h->server = cl_tls_handshake(&server, h->server_err, sizeof(h->server_err));
        shuttle(&server, &client, &buf);
        if (h->client != CL_EAGAIN && h->server != CL_EAGAIN)
            break;
        if ((h->client != CL_EAGAIN && h->client != 0) ||
            (h->server != CL_EAGAIN && h->server != 0))
            break;
    }
    if (h->client == 0 && h->server == 0) {
        char got[64];
        h->resumed = cl_tls_resumed(&client);
        ASSERT_EQ(cl_tls_resumed(&server), h->resumed);
        cl_tls_peer_name(&server, h->peer, sizeof(h->peer));
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(client.ssl, &alpn, &alpn_len);
        ASSERT_EQ(alpn_len, strlen(CL_ALPN));
        ASSERT_OK(memcmp(alpn, CL_ALPN, alpn_len));

        ASSERT_OK(cl_tls_write(&client, "hello server", 12));
        shuttle(&client, &server, &buf);
        ASSERT_OK(read_all(&server, got, sizeof(got)));
        int ok = strcmp(got, "hello server") == 0;
        ASSERT_OK(cl_tls_write(&server, "hello client", 12));
        shuttle(&server, &client, &buf);
        ASSERT_OK(read_all(&client, got, sizeof(got)));
        h->data_ok = ok && strcmp(got, "hello client") == 0;
    }
    cl_buf_free(&buf);
    cl_tls_close(&client);
    cl_tls_close(&server);
}

static SSL_CTX *server_ctx(fixture_t *f, int require_client_cert, int with_crl)
{
    char crt[256], key[256], ca[256], crl[256];
    cl_certs_path(f->dir, "server.crt", crt, sizeof(crt));
    cl_certs_path(f->dir, "server.key", key, sizeof(key));
    cl_certs_path(f->dir, "ca.crt", ca, sizeof(ca));
    cl_certs_path(f->dir, "crl.pem", crl, sizeof(crl));
    SSL_CTX *ctx = cl_tls_server_ctx(crt, key, ca, require_client_cert, with_crl ? crl : NULL);
    ASSERT_NOT_NULL(ctx);
    return ctx;
}

/* A client context trusting the clinic's CA from the workstation directory, presenting the
 * certificate of workstation `name` (NULL: none). */
static SSL_CTX *client_ctx(fixture_t *f, const char *name)
{
    char ca[256], crt[256], key[256];
    snprintf(ca, sizeof(ca), "%s/ca.crt", f->ws_dir);
    snprintf(crt, sizeof(crt), "%s/%s.crt", f->ws_dir, name ? name : "");
    snprintf(key, sizeof(key), "%s/%s.key", f->ws_dir, name ? name : "");
    SSL_CTX *ctx = cl_tls_client_ctx(ca, name ? crt : NULL, name ? key : NULL);
    ASSERT_NOT_NULL(ctx);
    return ctx;
}

CL_TEST(tls_handshake_with_workstation_cert)
{
    fixture_t f;
    char serial[64];
    handshake_t h;
    setup(&f, NULL, 0);
    issue(&f, "frontdesk-1", serial);
    SSL_CTX *sctx = server_ctx(&f, 1, 1);
    SSL_CTX *cctx = client_ctx(&f, "frontdesk-1");

    run_handshake(sctx, cctx, "127.0.0.1", &h);
    if (h.client != 0 || h.server != 0)
        CL_FAIL("handshake failed: client %d (%s), server %d (%s)", h.client, h.client_err,
                h.server, h.server_err);
    ASSERT_STR_EQ(h.peer, "frontdesk-1");
    ASSERT(h.data_ok);

    run_handshake(sctx, cctx, "localhost", &h);
    ASSERT_EQ(h.client, 0);
    ASSERT_EQ(h.server, 0);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    teardown(&f);
}

CL_TEST(tls_handshake_fails_without_cert_when_required)
{
    fixture_t f;
    char serial[64];
    handshake_t h;
    setup(&f, NULL, 0);
    issue(&f, "frontdesk-1", serial); /* for the CA copy in the workstation directory */
    SSL_CTX *cctx = client_ctx(&f, NULL);

    SSL_CTX *strict = server_ctx(&f, 1, 1);
    run_handshake(strict, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.server, CL_ETLS);
    ASSERT(!h.data_ok);
    SSL_CTX_free(strict);

    /* Development mode: the same client gets in. */
    SSL_CTX *lax = server_ctx(&f, 0, 1);
    run_handshake(lax, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.client, 0);
    ASSERT_EQ(h.server, 0);
    ASSERT_STR_EQ(h.peer, "");
    SSL_CTX_free(lax);

    SSL_CTX_free(cctx);
    teardown(&f);
}

CL_TEST(tls_handshake_fails_with_revoked_cert)
{
    fixture_t f;
    char revoked[64], kept[64];
    handshake_t h;
    setup(&f, NULL, 0);
    issue(&f, "exam-1", revoked);
    issue(&f, "exam-2", kept);
    const char *serials[] = {revoked};
    ASSERT_OK(cl_certs_write_crl(f.dir, serials, 1));

    SSL_CTX *sctx = server_ctx(&f, 1, 1);
    SSL_CTX *bad = client_ctx(&f, "exam-1");
    SSL_CTX *good = client_ctx(&f, "exam-2");

    run_handshake(sctx, bad, "127.0.0.1", &h);
    ASSERT_EQ(h.server, CL_ETLS);
    ASSERT_STR_CONTAINS(h.server_err, "revoked");

    run_handshake(sctx, good, "127.0.0.1", &h);
    ASSERT_EQ(h.client, 0);
    ASSERT_EQ(h.server, 0);
    ASSERT_STR_EQ(h.peer, "exam-2");

    SSL_CTX_free(good);
    SSL_CTX_free(bad);
    SSL_CTX_free(sctx);
    teardown(&f);
}

/* TLS session resumption: a client context that keeps tickets resumes its next connection, and
 * the resumed session still names the workstation; a server context made after the CRL changed
 * (net.c makes one) cannot open the old ticket, so a revoked workstation gets a full handshake
 * and is refused. Bad input: a revoked certificate offering a ticket from before its
 * revocation. */
CL_TEST(tls_resumption_ends_with_a_new_crl)
{
    fixture_t f;
    char serial[64], other[64];
    handshake_t h;
    setup(&f, NULL, 0);
    issue(&f, "exam-1", serial);
    issue(&f, "exam-2", other);
    SSL_CTX *sctx = server_ctx(&f, 1, 1);
    SSL_CTX *cctx = client_ctx(&f, "exam-1");
    ASSERT_OK(cl_tls_client_resume(cctx));

    run_handshake(sctx, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.server, 0);
    ASSERT(h.data_ok);
    ASSERT_EQ(h.resumed, 0);
    run_handshake(sctx, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.server, 0);
    ASSERT(h.data_ok);
    ASSERT_EQ(h.resumed, 1);
    ASSERT_STR_EQ(h.peer, "exam-1");

    /* Without resumption turned on, every handshake is a full one. */
    SSL_CTX *full = client_ctx(&f, "exam-2");
    run_handshake(sctx, full, "127.0.0.1", &h);
    run_handshake(sctx, full, "127.0.0.1", &h);
    ASSERT_EQ(h.server, 0);
    ASSERT_EQ(h.resumed, 0);
    SSL_CTX_free(full);

    const char *serials[] = {serial};
    ASSERT_OK(cl_certs_write_crl(f.dir, serials, 1));
    SSL_CTX *after = server_ctx(&f, 1, 1);
    run_handshake(after, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.server, CL_ETLS);
    ASSERT_STR_CONTAINS(h.server_err, "revoked");

    SSL_CTX_free(after);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    teardown(&f);
}

CL_TEST(tls_handshake_fails_on_host_not_in_sans)
{
    static const char *const sans[] = {"clinic.maple.example"};
    fixture_t f;
    char serial[64];
    handshake_t h;
    setup(&f, sans, 1);
    issue(&f, "frontdesk-1", serial);
    SSL_CTX *sctx = server_ctx(&f, 1, 1);
    SSL_CTX *cctx = client_ctx(&f, "frontdesk-1");

    run_handshake(sctx, cctx, "clinic.maple.example", &h);
    ASSERT_EQ(h.client, 0);
    ASSERT_EQ(h.server, 0);

    run_handshake(sctx, cctx, "intruder.example", &h);
    ASSERT_EQ(h.client, CL_ETLS);
    ASSERT(!h.data_ok);

    run_handshake(sctx, cctx, "192.0.2.7", &h);
    ASSERT_EQ(h.client, CL_ETLS);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    teardown(&f);
}

CL_TEST(tls_handshake_fails_with_another_clinics_cert)
{
    fixture_t f, other;
    char serial[64];
    handshake_t h;
    setup(&f, NULL, 0);
    setup(&other, NULL, 0);
    issue(&f, "frontdesk-1", serial);
    issue(&other, "frontdesk-1", serial);
    SSL_CTX *sctx = server_ctx(&f, 1, 1);

    /* A workstation of another clinic trusting our CA (a copied ca.crt) is still refused. */
    char ca[256], crt[256], key[256];
    snprintf(ca, sizeof(ca), "%s/ca.crt", f.ws_dir);
    snprintf(crt, sizeof(crt), "%s/frontdesk-1.crt", other.ws_dir);
    snprintf(key, sizeof(key), "%s/frontdesk-1.key", other.ws_dir);
    SSL_CTX *cctx = cl_tls_client_ctx(ca, crt, key);
    ASSERT_NOT_NULL(cctx);
    run_handshake(sctx, cctx, "127.0.0.1", &h);
    ASSERT_EQ(h.server, CL_ETLS);
    SSL_CTX_free(cctx);

    /* A client trusting only the other clinic's CA refuses our server. */
    SSL_CTX *trusting_other = client_ctx(&other, "frontdesk-1");
    run_handshake(sctx, trusting_other, "127.0.0.1", &h);
    ASSERT_EQ(h.client, CL_ETLS);
    SSL_CTX_free(trusting_other);

    SSL_CTX_free(sctx);
    teardown(&other);
    teardown(&f);
}

CL_TEST_MAIN(CL_TEST_ENTRY(init_makes_ca_and_server_cert_that_verify),
             CL_TEST_ENTRY(init_refuses_an_existing_ca), CL_TEST_ENTRY(init_refuses_a_bad_san),
             CL_TEST_ENTRY(key_files_are_mode_0600),
             CL_TEST_ENTRY(workstation_cert_verifies_with_client_auth_and_cn),
             CL_TEST_ENTRY(workstation_name_must_be_a_plain_name),
             CL_TEST_ENTRY(crl_revokes_one_workstation_and_not_another),
             CL_TEST_ENTRY(tls_handshake_with_workstation_cert),
             CL_TEST_ENTRY(tls_handshake_fails_without_cert_when_required),
             CL_TEST_ENTRY(tls_handshake_fails_with_revoked_cert),
             CL_TEST_ENTRY(tls_resumption_ends_with_a_new_crl),
             CL_TEST_ENTRY(tls_handshake_fails_on_host_not_in_sans),
             CL_TEST_ENTRY(tls_handshake_fails_with_another_clinics_cert))
