/* The clinic's certificate authority: key generation (EC P-256), X.509 v3 certificates for the
 * CA, the server and each workstation, and the CRL, all with OpenSSL 3's EVP and X509 APIs.
 * Every file is written to a temporary name, synced and renamed, so a reader (the server
 * reloading crl.pem) never sees half a file. */
#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "status.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum {
    CA_DAYS = 20 * 365 + 5,
    LEAF_DAYS = 5 * 365 + 1,
    BACKDATE_S = 3600, /* notBefore an hour early: workstation clocks drift */
    SERIAL_BYTES = 16,
    SANS_MAX = 64,
    NAME_CHARS_MAX = 64, /* the X.520 upper bound of CN and O, in characters */
};

typedef struct {
    int nid;
    const char *value;
} ext_spec_t;

/* subjectKeyIdentifier comes before authorityKeyIdentifier: the CA's own AKI reads it. */
static const ext_spec_t ca_exts[] = {
    {NID_basic_constraints, "critical,CA:TRUE"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static const ext_spec_t server_exts[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "serverAuth"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static const ext_spec_t workstation_exts[] = {
    {NID_basic_constraints, "critical,CA:FALSE"},
    {NID_key_usage, "critical,digitalSignature"},
    {NID_ext_key_usage, "clientAuth"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static int log_openssl(const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof(buf));
    cl_error("%s: %s", what, e ? buf : "unknown OpenSSL error");
    ERR_clear_error();
    return CL_EINTERNAL;
}

void cl_certs_path(const char *data_dir, const char *file, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/tls/%s", data_dir, file);
}

/* Writes the bytes held by the memory BIO `mem` to `path` with `mode`: to path.tmp first, synced,
 * then renamed over `path`. */
static int write_file(const char *path, mode_t mode, BIO *mem)
{
    char tmp[PATH_MAX];
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    int rc = CL_EIO;
    int fd = -1;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        cl_error("%s: path too long", path);
        return CL_EINVAL;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        cl_error("%s: %s", tmp, strerror(errno));
        return CL_EIO;
    }
    /* An old file of that name may have had a looser mode; the umask may have cut this one. */
    if (fchmod(fd, mode) != 0) {
        cl_error("%s: %s", tmp, strerror(errno));
        goto out;
    }
    for (long off = 0; off < len;) {
        ssize_t n = write(fd, data + off, (size_t)(len - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cl_error("%s: %s", tmp, strerror(errno));
            goto out;
        }
        off += n;
    }
    if (fsync(fd) != 0) {
        cl_error("%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        cl_error("%s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        cl_error("%s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

static int write_cert(const char *path, X509 *x)
{
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem == NULL || !PEM_write_bio_X509(mem, x)) {
        BIO_free(mem);
        return log_openssl(path);
    }
    int rc = write_file(path, 0644, mem);
    BIO_free(mem);
    return rc;
}

static int write_key(const char *path, EVP_PKEY *key)
{
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem == NULL || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(mem);
        return log_openssl(path);
    }
    int rc = write_file(path, 0600, mem);
    /* The PEM text of the key sat in this buffer: wipe it before it goes back to the heap. */
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    if (len > 0)
        OPENSSL_cleanse(data, (size_t)len);
    BIO_free(mem);
    return rc;
}

static X509 *read_cert(const char *path)
{
    BIO *in = BIO_new_file(path, "r");
    X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    if (x == NULL)
        log_openssl(path);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    BIO *in = BIO_new_file(path, "r");
    EVP_PKEY *k = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    if (k == NULL)
        log_openssl(path);
    return k;
}

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    if (k == NULL)
        log_openssl("EVP_EC_gen");
    return k;
}

/* A fresh random serial: 128 bits from the CSPRNG, as a positive integer. */
static BIGNUM *new_serial(void)
{
    uint8_t raw[SERIAL_BYTES];
    do {
        cl_random(raw, sizeof(raw));
    } while (raw[0] == 0); /* keep it a full 16 bytes, so every serial has the same length */
    return BN_bin2bn(raw, sizeof(raw), NULL);
}

/* Lowercase hex of `bn` into `out`; CL_EINVAL if it does not fit. */
static int serial_to_hex(const BIGNUM *bn, char *out, size_t outlen)
{
    char *hex = BN_bn2hex(bn);
    if (hex == NULL)
        return log_openssl("BN_bn2hex");
    size_t n = strlen(hex);
    int rc = 0;
    if (n + 1 > outlen) {
        rc = CL_EINVAL;
    } else {
        for (size_t i = 0; i <= n; i++)
            out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
    }
    OPENSSL_free(hex);
    return rc;
}

/* Adds `field` = `value` to `name`, cut to the X.520 bound of 64 characters (at a UTF-8
 * character boundary) so that a long clinic name does not make the certificate invalid. */
static int add_name_entry(X509_NAME *name, const char *field, const char *value)
{
    size_t bytes = 0, chars = 0;
    while (value[bytes] != '\0' && chars < NAME_CHARS_MAX) {
        bytes++;
        while ((value[bytes] & 0xC0) == 0x80)
            bytes++;
        chars++;
    }
    if (bytes == 0)
        return CL_EINVAL;
    if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *)value,
                                    (int)bytes, -1, 0))
        return log_openssl(field);
    return 0;
}

/* Whether `s` may be a DNS name in a certificate: letters, digits, '-', '.', a leading "*.". */
static int is_dns_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    if (s[0] == '*' && s[1] == '.')
        s += 2;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Appends `s` to `names` as an IP address when it parses as one, else as a DNS name. */
static int add_san(GENERAL_NAMES *names, const char *s)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    if (gn == NULL)
        return log_openssl("GENERAL_NAME_new");
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s);
    if (ip != NULL) {
        GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
    } else {
        ERR_clear_error();
        if (!is_dns_name(s)) {
            GENERAL_NAME_free(gn);
            cl_error("'%s' is neither a DNS name nor an IP address", s);
            return CL_EINVAL;
        }
        ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
        if (dns == NULL || !ASN1_STRING_set(dns, s, (int)strlen(s))) {
            ASN1_IA5STRING_free(dns);
            GENERAL_NAME_free(gn);
            return log_openssl("ASN1_STRING_set");
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
    }
    if (!sk_GENERAL_NAME_push(names, gn)) {
        GENERAL_NAME_free(gn);
        return log_openssl("sk_GENERAL_NAME_push");
    }
    return 0;
}

/* Builds and signs a certificate for `key` named `subject`. `issuer` NULL means self-signed
 * with `key`; otherwise it is signed by `issuer_key`. `sans` (may be NULL) becomes the
 * subjectAltName. Returns the certificate (owned by the caller) or NULL, logged. */
static X509 *make_cert(EVP_PKEY *key, X509_NAME *subject, X509 *issuer, EVP_PKEY *issuer_key,
                       int days, const ext_spec_t *exts, size_t nexts, GENERAL_NAMES *sans)
{
    X509 *x = X509_new();
    BIGNUM *serial = new_serial();
    ASN1_INTEGER *serial_asn1 = NULL;
    X509V3_CTX ctx;

    if (x == NULL || serial == NULL)
        goto fail;
    serial_asn1 = BN_to_ASN1_INTEGER(serial, NULL);
    if (serial_asn1 == NULL || !X509_set_version(x, X509_VERSION_3) ||
        !X509_set_serialNumber(x, serial_asn1) || !X509_set_subject_name(x, subject) ||
        !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) ||
        !X509_set_pubkey(x, key) || !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_S) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
        goto fail;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    for (size_t i = 0; i < nexts; i++) {
        X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
        int ok = e != NULL && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        if (!ok)
            goto fail;
    }
    if (sans && !X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT))
        goto fail;
    if (X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    ASN1_INTEGER_free(serial_asn1);
    BN_free(serial);
    return x;
fail:
    log_openssl("building a certificate");
    ASN1_INTEGER_free(serial_asn1);
    BN_free(serial);
    X509_free(x);
    return NULL;
}

/* The SANs of the server certificate: the fixed local names, this host's name and `sans`,
 * without duplicates. */
static int server_sans(const char *const *sans, size_t nsans, GENERAL_NAMES **out)
{
    const char *all[SANS_MAX];
    size_t n = 0;
    char host[256];
    int rc = 0;

    all[n++] = "localhost";
    all[n++] = "127.0.0.1";
    all[n++] = "::1";
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        if (is_dns_name(host))
            all[n++] = host;
    }
    if (nsans > SANS_MAX - n) {
        cl_error("too many subject alternative names (at most %d)", SANS_MAX - 4);
        return CL_EINVAL;
    }
    for (size_t i = 0; i < nsans; i++)
        all[n++] = sans[i];

    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    if (names == NULL)
        return log_openssl("sk_GENERAL_NAME_new_null");
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(all[i], all[j]) == 0;
        if (!dup && (rc = add_san(names, all[i])) != 0)
            break;
    }
    if (rc != 0) {
        GENERAL_NAMES_free(names);
        return rc;
    }
    *out = names;
    return 0;
}

/* Makes DIR/tls (0700). An existing directory is fine as long as it holds no CA key. */
static int make_tls_dir(const char *data_dir)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/tls", data_dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        cl_error("%s: %s", path, strerror(errno));
        return CL_EIO;
    }
    cl_certs_path(data_dir, "ca.key", path, sizeof(path));
    if (stat(path, &st) == 0) {
        cl_error("%s already exists: this directory already has a CA", path);
        return CL_EEXIST;
    }
    return 0;
}

int cl_certs_init(const char *data_dir, const char *clinic_name, const char *const *sans,
                  size_t nsans)
{
    char path[PATH_MAX];
    char ca_cn[160];
    EVP_PKEY *ca_key = NULL, *server_key = NULL;
    X509 *ca = NULL, *server = NULL;
    X509_NAME *ca_name = NULL, *server_name = NULL;
    GENERAL_NAMES *names = NULL;
    int rc;

    if ((rc = make_tls_dir(data_dir)) != 0)
        return rc;
    if ((rc = server_sans(sans, nsans, &names)) != 0)
        goto out;

    rc = CL_EINTERNAL;
    snprintf(ca_cn, sizeof(ca_cn), "%s CA", clinic_name);
    ca_name = X509_NAME_new();
    server_name = X509_NAME_new();
    if (ca_name == NULL || server_name == NULL) {
        log_openssl("X509_NAME_new");
        goto out;
    }
    if ((rc = add_name_entry(ca_name, "O", clinic_name)) != 0 ||
        (rc = add_name_entry(ca_name, "CN", ca_cn)) != 0 ||
        (rc = add_name_entry(server_name, "O", clinic_name)) != 0 ||
        (rc = add_name_entry(server_name, "CN", "clinicd")) != 0)
        goto out;

    rc = CL_EINTERNAL;
    if ((ca_key = new_key()) == NULL || (server_key = new_key()) == NULL)
        goto out;
    ca = make_cert(ca_key, ca_name, NULL, NULL, CA_DAYS, ca_exts, CL_ARRAY_SIZE(ca_exts), NULL);
    if (ca == NULL)
        goto out;
    server = make_cert(server_key, server_name, ca, ca_key, LEAF_DAYS, server_exts,
                       CL_ARRAY_SIZE(server_exts), names);
    if (server == NULL)
        goto out;

    /* The key first: a CA certificate without its key would be useless. */
    cl_certs_path(data_dir, "ca.key", path, sizeof(path));
    if ((rc = write_key(path, ca_key)) != 0)
        goto out;
    cl_certs_path(data_dir, "ca.crt", path, sizeof(path));
    if ((rc = write_cert(path, ca)) != 0)
        goto out;
    cl_certs_path(data_dir, "server.key", path, sizeof(path));
    if ((rc = write_key(path, server_key)) != 0)
        goto out;
    cl_certs_path(data_dir, "server.crt", path, sizeof(path));
    if ((rc = write_cert(path, server)) != 0)
        goto out;
    rc = cl_certs_write_crl(data_dir, NULL, 0);
out:
    GENERAL_NAMES_free(names);
    X509_NAME_free(ca_name);
    X509_NAME_free(server_name);
    X509_free(ca);
    X509_free(server);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(server_key);
    return rc;
}

/* Workstation names become a CN and file names: 1-64 of [A-Za-z0-9._-], not "." or "..". */
static int valid_workstation_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Loads the CA certificate and key of `data_dir`. */
static int load_ca(const char *data_dir, X509 **ca, EVP_PKEY **ca_key)
{
    char path[PATH_MAX];
    cl_certs_path(data_dir, "ca.crt", path, sizeof(path));
    *ca = read_cert(path);
    cl_certs_path(data_dir, "ca.key", path, sizeof(path));
    *ca_key = *ca ? read_key(path) : NULL;
    if (*ca_key == NULL) {
        X509_free(*ca);
        *ca = NULL;
        return CL_EIO;
    }
    if (X509_check_private_key(*ca, *ca_key) != 1) {
        log_openssl("the CA key does not match the CA certificate");
        X509_free(*ca);
        EVP_PKEY_free(*ca_key);
        *ca = NULL;
        *ca_key = NULL;
        return CL_ECORRUPT;
    }
    return 0;
}

int cl_certs_issue_workstation(const char *data_dir, const char *name, const char *out_dir,
                               char *serial_hex, size_t serial_len)
{
    char path[PATH_MAX];
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509_NAME *subject = NULL;
    BIGNUM *serial = NULL;
    int rc;

    if (!valid_workstation_name(name)) {
        cl_error("'%s' is not a valid workstation name (1-64 of A-Z a-z 0-9 . _ -)", name);
        return CL_EINVAL;
    }
    if (mkdir(out_dir, 0700) != 0 && errno != EEXIST) {
        cl_error("%s: %s", out_dir, strerror(errno));
        return CL_EIO;
    }
    if ((rc = load_ca(data_dir, &ca, &ca_key)) != 0)
        goto out;
    rc = CL_EINTERNAL;
    subject = X509_NAME_new();
    if (subject == NULL)
        goto out;
    if ((rc = add_name_entry(subject, "CN", name)) != 0)
        goto out;
    rc = CL_EINTERNAL;
    if ((key = new_key()) == NULL)
        goto out;
    cert = make_cert(key, subject, ca, ca_key, LEAF_DAYS, workstation_exts,
                     CL_ARRAY_SIZE(workstation_exts), NULL);
    if (cert == NULL)
        goto out;
    serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (serial == NULL) {
        log_openssl("ASN1_INTEGER_to_BN");
        goto out;
    }
    if ((rc = serial_to_hex(serial, serial_hex, serial_len)) != 0)
        goto out;

    snprintf(path, sizeof(path), "%s/%s.key", out_dir, name);
    if ((rc = write_key(path, key)) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/%s.crt", out_dir, name);
    if ((rc = write_cert(path, cert)) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/ca.crt", out_dir);
    rc = write_cert(path, ca);
out:
    BN_free(serial);
    X509_NAME_free(subject);
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Adds one revoked entry for `hex` at `when` to `crl`. */
static int add_revoked(X509_CRL *crl, const char *hex, ASN1_TIME *when)
{
    size_t n = strlen(hex);
    if (n == 0 || n > 40 || strspn(hex, "0123456789abcdefABCDEF") != n) {
        cl_error("'%s' is not a certificate serial", hex);
        return CL_EINVAL;
    }
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    X509_REVOKED *r = X509_REVOKED_new();
    int ok = r != NULL && BN_hex2bn(&bn, hex) == (int)n &&
             (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
             X509_REVOKED_set_serialNumber(r, serial) && X509_REVOKED_set_revocationDate(r, when) &&
             X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    if (!ok) {
        X509_REVOKED_free(r);
        return log_openssl("adding a revoked serial");
    }
    return 0;
}

int cl_certs_ca_fingerprint(const char *data_dir, char out[65])
{
    char path[PATH_MAX];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    cl_certs_path(data_dir, "ca.crt", path, sizeof(path));
    X509 *ca = read_cert(path);
    if (ca == NULL)
        return CL_EIO;
    int ok = X509_digest(ca, EVP_sha256(), md, &len) == 1 && len == 32;
    X509_free(ca);
    if (!ok) {
        log_openssl("X509_digest");
        return CL_ETLS;
    }
    for (unsigned int i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int cl_certs_write_crl(const char *data_dir, const char *const *serials_hex, size_t n)
{
    char path[PATH_MAX];
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    X509_CRL *crl = NULL;
    ASN1_TIME *last = NULL, *next = NULL;
    ASN1_INTEGER *number = NULL;
    BIO *mem = NULL;
    X509_EXTENSION *aki = NULL;
    X509V3_CTX ctx;
    int rc;

    if ((rc = load_ca(data_dir, &ca, &ca_key)) != 0)
        return rc;
    crl = X509_CRL_new();
    last = X509_gmtime_adj(NULL, -BACKDATE_S);
    number = ASN1_INTEGER_new();
    if (crl == NULL || last == NULL || number == NULL)
        goto fail;
    /* The CRL stays valid as long as the CA does: a nextUpdate in the past would make the server
     * refuse every workstation, and nothing republishes the CRL on a schedule. */
    next = ASN1_STRING_dup(X509_get0_notAfter(ca));
    if (next == NULL || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
        !X509_CRL_set1_lastUpdate(crl, last) || !X509_CRL_set1_nextUpdate(crl, next))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if ((rc = add_revoked(crl, serials_hex[i], last)) != 0)
            goto out;
    }
    /* The CRL number only has to grow with each rewrite: the issue time does. */
    if (!ASN1_INTEGER_set_int64(number, cl_now()) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, X509V3_ADD_DEFAULT))
        goto fail;
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid");
    if (aki == NULL || !X509_CRL_add_ext(crl, aki, -1) || !X509_CRL_sort(crl) ||
        X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0)
        goto fail;
    mem = BIO_new(BIO_s_mem());
    if (mem == NULL || !PEM_write_bio_X509_CRL(mem, crl))
        goto fail;
    cl_certs_path(data_dir, "crl.pem", path, sizeof(path));
    rc = write_file(path, 0644, mem);
    goto out;
fail:
    rc = log_openssl("writing the CRL");
out:
    X509_EXTENSION_free(aki);
    BIO_free(mem);
    ASN1_INTEGER_free(number);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}
