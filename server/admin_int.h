/* What the administration commands' files share: admin.c (the command table, option parsing,
 * dispatch, and what every command uses: messages, paths, opening a clinic, transactions, audit
 * rows), admin_init.c (init), admin_people.c (users and workstations) and admin_backup.c
 * (backup, restore, audit verify). Each command returns the process exit status. */
#ifndef CL_ADMIN_INT_H
#define CL_ADMIN_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum { CL_ADMIN_SANS_MAX = 32 };

/* A command's parsed options: each points into argv, NULL when not given. */
typedef struct {
    const char *data;
    const char *out;
    const char *clinic_name;
    const char *admin_password_file;
    const char *listen;
    const char *roles;
    const char *full_name;
    const char *password_file;
    const char *to;
    const char *from;
    const char *sans[CL_ADMIN_SANS_MAX];
    size_t nsans;
    const char *pos[1]; /* every command takes at most one name */
    size_t npos;
} cl_admin_args_t;

/* The commands, one per row of admin.c's table. Each runs with options the parser has checked
 * against the row (required ones present, at most one name), prints its result on stdout and
 * one `clinicd: ...` line on stderr on failure, and returns EXIT_OK or EXIT_FAIL. `a` is
 * borrowed. */
int cl_admin_cmd_init(const cl_admin_args_t *a);
int cl_admin_cmd_workstation_add(const cl_admin_args_t *a);
int cl_admin_cmd_workstation_list(const cl_admin_args_t *a);
int cl_admin_cmd_workstation_revoke(const cl_admin_args_t *a);
/* Writes tls/crl.pem again from the database's revoked workstations (a lost or damaged file). */
int cl_admin_cmd_workstation_crl(const cl_admin_args_t *a);
int cl_admin_cmd_user_add(const cl_admin_args_t *a);
int cl_admin_cmd_user_list(const cl_admin_args_t *a);
int cl_admin_cmd_user_passwd(const cl_admin_args_t *a);
int cl_admin_cmd_user_disable(const cl_admin_args_t *a);
int cl_admin_cmd_backup(const cl_admin_args_t *a);
int cl_admin_cmd_restore(const cl_admin_args_t *a);
int cl_admin_cmd_audit_verify(const cl_admin_args_t *a);

/* Prints `clinicd: <message>` on stderr and returns EXIT_FAIL. */
int cl_admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "DIR/FILE" into `out` (truncated to outlen). */
void cl_admin_join_path(char *out, size_t outlen, const char *dir, const char *file);

/* Whether `path` exists (stat(2) succeeds). */
int cl_admin_file_exists(const char *path);

/* Whether `s` is acceptable free text (a clinic's or a person's name): 1..max bytes, no control
 * characters. */
int cl_admin_valid_text(const char *s, size_t max);

/* Opens DIR/clinic.db, which must exist (only init creates it), with cl_db_open `flags` and the
 * admin commands' busy handler. Returns EXIT_OK with *db (the caller's to close), or prints why
 * not and returns EXIT_FAIL with *db NULL. */
int cl_admin_open_clinic(const char *dir, int flags, cl_db_t **db);

/* Starts a write transaction, taking the write lock at once (BEGIN IMMEDIATE). Returns 0 or a
 * status. */
int cl_admin_begin(cl_db_t *db);

/* Commits when rc is 0, else rolls back. Returns rc, or the COMMIT's failure. */
int cl_admin_end_tx(cl_db_t *db, int rc);

/* Steps `st` to its end, ignoring any rows. Returns 0 or a status as cl_db_step. */
int cl_admin_run_stmt(cl_db_t *db, sqlite3_stmt *st);

/* Appends an audit row for an offline change, by the actor "clinicd-admin" at workstation
 * "console" (inside the caller's transaction). Returns 0 or a status. */
int cl_admin_audit_append(cl_db_t *db, int64_t now, const char *action, const char *entity,
                          int64_t id);

/* Sets meta `key` to `value` (copied), inserting or replacing. Returns 0 or a status. */
int cl_admin_set_meta(cl_db_t *db, const char *key, const char *value);
/* Copies meta `key` into `out`. Returns 0, CL_ENOTFOUND or a status. */
int cl_admin_get_meta(cl_db_t *db, const char *key, char *out, size_t outlen);
/* Records the clinic's identity, the fingerprint of DATA/tls/ca.crt, as meta ca_sha256 (at init,
 * and at a backup of a clinic made before it was recorded): restore compares it. */
int cl_admin_record_ca(cl_db_t *db, const char *data_dir);

/* Names the change feed afresh (meta feed_id, random): at init, and after a restore. Returns 0
 * or a status. */
int cl_admin_set_new_feed_id(cl_db_t *db);

/* A password from `file` (its first line; "-" reads standard input), or a generated one, then
 * *generated = 1. Prints why not and returns EXIT_FAIL when the file cannot be read or its
 * password is too short or too long; else EXIT_OK. The caller cleanses `out`. */
int cl_admin_get_password(const char *file, char out[CL_PASSWORD_MAX + 1], int *generated);

/* Inserts a user with password hash `hash` and its audit row, inside the caller's transaction,
 * and sets *id. Returns 0, CL_EEXIST when the username is taken, or another status. */
int cl_admin_insert_user(cl_db_t *db, int64_t now, const char *username, const char *full_name,
                         uint32_t roles, const char *hash, int64_t *id);

#endif
