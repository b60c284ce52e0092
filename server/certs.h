/* The clinic's own certificate authority (ECDSA P-256), made by `clinicd init`: it signs the
 * server certificate and each workstation's client certificate, and a CRL lists the revoked ones.
 * Files under DIR/tls/: ca.crt, ca.key (0600), server.crt, server.key (0600), crl.pem. */
#ifndef CL_CERTS_H
#define CL_CERTS_H

#include <stddef.h>
#include <stdint.h>

/* Creates DIR/tls/ with a new CA named after the clinic (valid 20 years) and a server certificate
 * (valid 5 years) for localhost, 127.0.0.1, ::1, this host's name and each of `sans` (DNS names or
 * IP addresses), and an empty CRL. Returns 0, or a negative status with the reason logged. */
int cl_certs_init(const char *data_dir, const char *clinic_name, const char *const *sans,
                  size_t nsans);

/* Issues a client certificate for workstation `name` (CN=name, valid 5 years, a fresh random
 * serial), writing OUTDIR/NAME.crt, OUTDIR/NAME.key (0600) and OUTDIR/ca.crt. The serial's hex
 * goes to `serial_hex` (at least 41 bytes). Returns 0 or a negative status (logged). */
int cl_certs_issue_workstation(const char *data_dir, const char *name, const char *out_dir,
                               char *serial_hex, size_t serial_len);

/* Rewrites DIR/tls/crl.pem, signed by the CA, listing the `n` serials (hex). Returns 0 or a
 * negative status. The server reloads the CRL when the file changes. */
int cl_certs_write_crl(const char *data_dir, const char *const *serials_hex, size_t n);

/* The SHA-256 of DIR/tls/ca.crt (DER), as 64 hex digits: the clinic's identity, which a backup
 * carries in its meta table (ca_sha256). Returns 0, CL_EIO or CL_ETLS. */
int cl_certs_ca_fingerprint(const char *data_dir, char out[65]);

/* Paths under DIR/tls/ into `out`. */
void cl_certs_path(const char *data_dir, const char *file, char *out, size_t outlen);

#endif
