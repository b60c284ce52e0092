/* The commands on people and machines: `clinicd workstation add|list|revoke` (client
 * certificates, their rows and the CRL) and `clinicd user add|list|passwd|disable`, with the
 * statements they run and the passwords they read or generate (init's first admin too). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "auth.h"
#include "certs.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "identity.h"
#include "mem.h"
#include "status.h"

enum {
    SQL_USER_INSERT,
    SQL_USER_FIND,
    SQL_USER_OTHER_ACTIVE_ADMINS,
    SQL_USER_SET_PASSWORD,
    SQL_USER_DISABLE,
    SQL_USER_LIST,
    SQL_SESSIONS_DELETE_USER,
    SQL_WORKSTATION_FIND,
    SQL_WORKSTATION_INSERT,
    SQL_WORKSTATION_REVOKE,
    SQL_WORKSTATION_REVOKED_SERIALS,
    SQL_WORKSTATION_LIST,
    SQL__COUNT
};

static const char *const sql[SQL__COUNT] = {
    [SQL_USER_INSERT] = "INSERT INTO users (username, full_name, roles, password_hash, created_at, "
                        "password_changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
    [SQL_USER_FIND] = "SELECT id, roles, disabled FROM users WHERE username = ?1",
    [SQL_USER_OTHER_ACTIVE_ADMINS] =
        "SELECT count(*) FROM users WHERE disabled = 0 AND (roles & ?2) <> 0 AND id <> ?1",
    [SQL_USER_SET_PASSWORD] = "UPDATE users SET password_hash = ?2, password_changed_at = ?3, "
                              "failed_logins = 0, locked_until = 0, version = version + 1 "
                              "WHERE id = ?1",
    [SQL_USER_DISABLE] = "UPDATE users SET disabled = 1, version = version + 1 WHERE id = ?1",
    [SQL_USER_LIST] = "SELECT username, full_name, roles, disabled, locked_until, last_login_at "
                      "FROM users ORDER BY username",
    [SQL_SESSIONS_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
    [SQL_WORKSTATION_FIND] = "SELECT id, revoked_at FROM workstations WHERE name = ?1",
    [SQL_WORKSTATION_INSERT] = "INSERT INTO workstations (name, serial, created_at) "
                               "VALUES (?1, ?2, ?3) RETURNING id",
    [SQL_WORKSTATION_REVOKE] = "UPDATE workstations SET revoked_at = ?2 WHERE id = ?1",
    [SQL_WORKSTATION_REVOKED_SERIALS] =
        "SELECT serial FROM workstations WHERE revoked_at <> 0 ORDER BY id",
    [SQL_WORKSTATION_LIST] =
        "SELECT name, serial, created_at, revoked_at FROM workstations ORDER BY name",
};

enum { FULL_NAME_MAX = 128, GENERATED_PASSWORD_LEN = 20 };

/* Letters and digits that cannot be mistaken for one another when read aloud or copied from
 * paper: no 0/O/o, 1/l/I. */
static const char password_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

static sqlite3_stmt *stmt(cl_db_t *db, int which)
{
    return cl_db_stmt(db, sql[which]);
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Usernames: 1-32 of [a-z0-9._-], starting with a letter. */
static int valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CL_USERNAME_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Workstation names: 1-64 of [A-Za-z0-9._-]; they name files, so not "." or "..". */
static int valid_workstation_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CL_WORKSTATION_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static void format_time(int64_t t, char *out, size_t outlen)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t == 0 || localtime_r(&tt, &tm) == NULL)
        snprintf(out, outlen, "-");
    else
        strftime(out, outlen, "%Y-%m-%d %H:%M", &tm);
}

static void generate_password(char out[GENERATED_PASSWORD_LEN + 1])
{
    const size_t n = sizeof(password_alphabet) - 1;
    const unsigned limit = 256 - 256 % n; /* rejection keeps every character equally likely */
    size_t got = 0;
    while (got < GENERATED_PASSWORD_LEN) {
        uint8_t b[32];
        cl_random(b, sizeof(b));
        for (size_t i = 0; i < sizeof(b) && got < GENERATED_PASSWORD_LEN; i++) {
            if (b[i] < limit)
                out[got++] = password_alphabet[b[i] % n];
        }
        OPENSSL_cleanse(b, sizeof(b));
    }
    out[got] = '\0';
}

/* The first line of `path` ("-": standard input), without its line break, into `out`. */
/* Whether the first `n` bytes of `s` hold a NUL byte or another control character. */
static int has_control_byte(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

static int read_password_file(const char *path, char out[CL_PASSWORD_MAX + 1])
{
    char line[CL_PASSWORD_MAX + 3];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL)
        return cl_admin_fail("cannot read the password file %s: %s", path, strerror(errno));
    /* Read as bytes, not with fgets, which would end the password silently at a NUL byte. The
     * buffer holds two more than the longest password, so a longer line shows as one. */
    size_t got = fread(line, 1, sizeof(line) - 1, f);
    int failed = ferror(f), err = errno;
    if (f != stdin)
        fclose(f);
    if (failed)
        return cl_admin_fail("cannot read the password file %s: %s", path, strerror(err));
    if (got == 0)
        return cl_admin_fail("the password file %s is empty", path);
    size_t n = 0;
    while (n < got && line[n] != '\n' && line[n] != '\r')
        n++;
    line[n] = '\0';
    int rc = EXIT_OK;
    if (n > CL_PASSWORD_MAX)
        rc =
            cl_admin_fail("the password in %s is longer than %d characters", path, CL_PASSWORD_MAX);
    else if (n < CL_PASSWORD_MIN)
        rc = cl_admin_fail("the password in %s is shorter than %d characters", path,
                           CL_PASSWORD_MIN);
    else if (has_control_byte(line, n))
        rc =
            cl_admin_fail("the password in %s holds a NUL byte or another control character", path);
    else
        memcpy(out, line, n + 1);
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

int cl_admin_get_password(const char *file, char out[CL_PASSWORD_MAX + 1], int *generated)
{
    *generated = 0;
    if (file)
        return read_password_file(file, out);
    generate_password(out);
    *generated = 1;
    return EXIT_OK;
}

/* Loads DIR/clinicd.conf over the defaults and applies its scrypt cost. */
static int load_config(const char *dir, cl_config_t *cfg)
{
    char path[PATH_MAX], err[512];
    cl_config_defaults(cfg);
    cl_admin_join_path(path, sizeof(path), dir, "clinicd.conf");
    if (cl_config_load(cfg, path, err, sizeof(err)) != 0)
        return cl_admin_fail("%s", err);
    cl_auth_set_scrypt_cost(cfg->scrypt_log2_n);
    return EXIT_OK;
}

/* Runs an INSERT ... RETURNING id; sets *id. */
static int insert_returning_id(cl_db_t *db, sqlite3_stmt *st, int64_t *id)
{
    int rc = cl_db_step(db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    *id = sqlite3_column_int64(st, 0);
    return cl_admin_run_stmt(db, st);
}

typedef struct {
    int64_t id;
    uint32_t roles;
    int disabled;
} user_row_t;

/* Finds a user: 0 and *u, CL_ENOTFOUND, or another status. */
static int find_user(cl_db_t *db, const char *username, user_row_t *u)
{
    sqlite3_stmt *st = stmt(db, SQL_USER_FIND);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
    int rc = cl_db_step(db, st);
    if (rc == 1) {
        u->id = sqlite3_column_int64(st, 0);
        u->roles = (uint32_t)sqlite3_column_int64(st, 1);
        u->disabled = sqlite3_column_int(st, 2) != 0;
        sqlite3_reset(st);
        return 0;
    }
    return rc == 0 ? CL_ENOTFOUND : rc;
}

/* How many active users other than `id` hold the admin role. */
static int other_active_admins(cl_db_t *db, int64_t id, int64_t *count)
{
    sqlite3_stmt *st = stmt(db, SQL_USER_OTHER_ACTIVE_ADMINS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, CL_ROLE_admin);
    int rc = cl_db_step(db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    *count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int cl_admin_insert_user(cl_db_t *db, int64_t now, const char *username, const char *full_name,
                         uint32_t roles, const char *hash, int64_t *id)
{
    sqlite3_stmt *st = stmt(db, SQL_USER_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, full_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)roles);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    int rc = insert_returning_id(db, st, id);
    if (rc == 0)
        rc = cl_admin_audit_append(db, now, "user.add", "user", *id);
    return rc;
}

/* ---- workstations ------------------------------------------------------------------------- */

int cl_admin_cmd_workstation_add(const cl_admin_args_t *a)
{
    const char *name = a->pos[0];
    char serial[64], key_path[PATH_MAX], crt_path[PATH_MAX], ca_path[PATH_MAX];
    cl_db_t *db = NULL;
    int issued = 0, rc, status = EXIT_FAIL;
    int64_t id = 0;

    if (!valid_workstation_name(name))
        return cl_admin_fail("'%s' is not a valid workstation name (1-%d of A-Z a-z 0-9 . _ -)",
                             name, CL_WORKSTATION_MAX);
    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    snprintf(key_path, sizeof(key_path), "%s/%s.key", a->out, name);
    snprintf(crt_path, sizeof(crt_path), "%s/%s.crt", a->out, name);
    snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", a->out);
    /* Never write over a key or certificate: with --out DIR/tls a workstation named "ca" or
     * "server" would replace the clinic's own, and no workstation could be revoked after. */
    struct stat st_old;
    if (lstat(key_path, &st_old) == 0 || lstat(crt_path, &st_old) == 0) {
        cl_db_close(db);
        return cl_admin_fail("%s already holds %s.key or %s.crt; give an empty --out directory",
                             a->out, name, name);
    }

    /* The certificate is issued inside the transaction: if the row cannot be written, its key
     * is deleted, so no working credential exists that the database does not know. */
    int64_t now = cl_now();
    if ((rc = cl_admin_begin(db)) != 0) {
        status = cl_admin_fail("cannot write to the database: %s", cl_status_message(rc));
        goto out;
    }
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_FIND);
    if (st == NULL) {
        rc = CL_EINTERNAL;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = cl_db_step(db, st);
    if (rc == 1) {
        sqlite3_reset(st);
        cl_admin_end_tx(db, CL_EEXIST);
        status =
            cl_admin_fail("a workstation named %s already exists (names are never reused)", name);
        goto out;
    }
    if (rc < 0)
        goto fail;
    if ((rc = cl_certs_issue_workstation(a->data, name, a->out, serial, sizeof(serial))) != 0) {
        cl_admin_end_tx(db, rc);
        status = cl_admin_fail("cannot issue the certificate: %s", cl_status_message(rc));
        goto out;
    }
    issued = 1;
    if ((st = stmt(db, SQL_WORKSTATION_INSERT)) == NULL) {
        rc = CL_EINTERNAL;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, serial, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    rc = insert_returning_id(db, st, &id);
    if (rc == 0)
        rc = cl_admin_audit_append(db, now, "workstation.add", "workstation", id);
fail:
    if ((rc = cl_admin_end_tx(db, rc)) != 0) {
        status = cl_admin_fail("cannot record workstation %s: %s", name, cl_status_message(rc));
        goto out;
    }
    printf("workstation %s enrolled (certificate serial %s)\n", name, serial);
    printf("  certificate: %s\n", crt_path);
    printf("  key:         %s (secret: copy it to that workstation only)\n", key_path);
    printf("  CA:          %s\n", ca_path);
    status = EXIT_OK;
out:
    if (status != EXIT_OK && issued) {
        unlink(key_path);
        unlink(crt_path);
    }
    cl_db_close(db);
    return status;
}

int cl_admin_cmd_workstation_list(const cl_admin_args_t *a)
{
    cl_db_t *db = NULL;
    int rc, n = 0;
    if (cl_admin_open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_LIST);
    if (st == NULL) {
        cl_db_close(db);
        return cl_admin_fail("cannot list the workstations: %s", cl_status_message(CL_EINTERNAL));
    }
    printf("%-24s %-34s %-17s %s\n", "NAME", "SERIAL", "CREATED", "REVOKED");
    while ((rc = cl_db_step(db, st)) == 1) {
        char created[32], revoked[32];
        format_time(sqlite3_column_int64(st, 2), created, sizeof(created));
        format_time(sqlite3_column_int64(st, 3), revoked, sizeof(revoked));
        printf("%-24s %-34s %-17s %s\n", cl_db_text(st, 0), cl_db_text(st, 1), created, revoked);
        n++;
    }
    cl_db_close(db);
    if (rc < 0)
        return cl_admin_fail("cannot list the workstations: %s", cl_status_message(rc));
    printf("%d workstation%s\n", n, n == 1 ? "" : "s");
    return EXIT_OK;
}

/* Every revoked serial, for the CRL. The array and its strings are the caller's to free. */
static int revoked_serials(cl_db_t *db, char ***out, size_t *n)
{
    char **serials = NULL;
    size_t count = 0;
    int rc;
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_REVOKED_SERIALS);
    if (st == NULL)
        return CL_EINTERNAL;
    while ((rc = cl_db_step(db, st)) == 1) {
        serials = cl_realloc(serials, (count + 1) * sizeof(*serials));
        serials[count++] = cl_strdup(cl_db_text(st, 0));
    }
    *out = serials;
    *n = count;
    return rc;
}

static void free_serials(char **serials, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(serials[i]);
    free(serials);
}

int cl_admin_cmd_workstation_revoke(const cl_admin_args_t *a)
{
    const char *name = a->pos[0];
    cl_db_t *db = NULL;
    char **serials = NULL;
    size_t nserials = 0;
    int64_t id = 0, revoked_at = 0;
    int rc, status = EXIT_FAIL;

    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    int64_t now = cl_now();
    if ((rc = cl_admin_begin(db)) != 0)
        goto fail;
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_FIND);
    if (st == NULL) {
        rc = CL_EINTERNAL;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = cl_db_step(db, st);
    if (rc == 0) {
        cl_admin_end_tx(db, CL_ENOTFOUND);
        status = cl_admin_fail("no workstation named %s", name);
        goto out;
    }
    if (rc < 0)
        goto fail;
    id = sqlite3_column_int64(st, 0);
    revoked_at = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    if (revoked_at == 0) {
        if ((st = stmt(db, SQL_WORKSTATION_REVOKE)) == NULL) {
            rc = CL_EINTERNAL;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, now);
        if ((rc = cl_admin_run_stmt(db, st)) != 0)
            goto fail;
        if ((rc = cl_admin_audit_append(db, now, "workstation.revoke", "workstation", id)) != 0)
            goto fail;
    }
    /* The CRL is written before the COMMIT: if the COMMIT then fails, the certificate is
     * refused although the database does not say so, which errs on the safe side. An already
     * revoked workstation rewrites it too, which repairs a lost or stale file. */
    if ((rc = revoked_serials(db, &serials, &nserials)) != 0)
        goto fail;
    if ((rc = cl_certs_write_crl(a->data, (const char *const *)serials, nserials)) != 0) {
        cl_admin_end_tx(db, rc);
        status = cl_admin_fail("cannot write the CRL: %s", cl_status_message(rc));
        goto out;
    }
fail:
    if ((rc = cl_admin_end_tx(db, rc)) != 0) {
        status = cl_admin_fail("cannot revoke workstation %s: %s", name, cl_status_message(rc));
        goto out;
    }
    if (revoked_at != 0)
        printf("workstation %s was already revoked; the CRL lists %zu certificate%s\n", name,
               nserials, nserials == 1 ? "" : "s");
    else
        printf("workstation %s revoked; the CRL lists %zu certificate%s (a running server "
               "picks it up by itself)\n",
               name, nserials, nserials == 1 ? "" : "s");
    status = EXIT_OK;
out:
    free_serials(serials, nserials);
    cl_db_close(db);
    return status;
}

int cl_admin_cmd_workstation_crl(const cl_admin_args_t *a)
{
    cl_db_t *db = NULL;
    char **serials = NULL;
    size_t nserials = 0;
    int rc, status = EXIT_FAIL;
    if (cl_admin_open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    if ((rc = revoked_serials(db, &serials, &nserials)) != 0)
        status = cl_admin_fail("cannot read the revoked workstations: %s", cl_status_message(rc));
    else if ((rc = cl_certs_write_crl(a->data, (const char *const *)serials, nserials)) != 0)
        status = cl_admin_fail("cannot write the CRL: %s", cl_status_message(rc));
    else
        status = EXIT_OK;
    if (status == EXIT_OK)
        printf("CRL written from the database: it lists %zu certificate%s (a running server picks "
               "it up by itself)\n",
               nserials, nserials == 1 ? "" : "s");
    free_serials(serials, nserials);
    cl_db_close(db);
    return status;
}

/* ---- users -------------------------------------------------------------------------------- */

int cl_admin_cmd_user_add(const cl_admin_args_t *a)
{
    const char *username = a->pos[0];
    const char *full_name = a->full_name ? a->full_name : "";
    char password[CL_PASSWORD_MAX + 1], hash[CL_PASSWORD_HASH_MAX], roles_text[128];
    cl_config_t cfg;
    cl_db_t *db = NULL;
    uint32_t roles = 0;
    user_row_t taken;
    int64_t id = 0;
    int generated = 0, rc, status = EXIT_FAIL;

    if (!valid_username(username))
        return cl_admin_fail("'%s' is not a valid username (1-%d of a-z 0-9 . _ -, starting with a "
                             "letter)",
                             username, CL_USERNAME_MAX);
    /* Messages are addressed to a username, a role or "all": a user may not be named as those. */
    if (strcmp(username, "all") == 0 || cl_role_from_name(username) != 0)
        return cl_admin_fail(
            "'%s' is a message address (a role or \"all\"); choose another username", username);
    if (cl_roles_parse(a->roles, &roles) != 0)
        return cl_admin_fail("'%s' is not a list of roles (admin, manager, front_desk, scheduler, "
                             "biller, clinician, staff)",
                             a->roles);
    if (a->full_name && !cl_admin_valid_text(a->full_name, FULL_NAME_MAX))
        return cl_admin_fail("the full name must be 1-%d characters with no control characters",
                             FULL_NAME_MAX);
    if (load_config(a->data, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    if (cl_admin_get_password(a->password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        goto out;
    /* A taken name is told at once; the insert below still catches a race. */
    if ((rc = find_user(db, username, &taken)) != CL_ENOTFOUND) {
        status = rc == 0 ? cl_admin_fail("a user named %s already exists", username)
                         : cl_admin_fail("cannot read the users: %s", cl_status_message(rc));
        goto out;
    }
    /* Hash before taking the write lock: scrypt takes a while, the daemon's writes wait. */
    if ((rc = cl_auth_hash_password(password, hash)) != 0) {
        status = cl_admin_fail("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }
    rc = cl_admin_begin(db);
    if (rc == 0)
        rc = cl_admin_insert_user(db, cl_now(), username, full_name, roles, hash, &id);
    rc = cl_admin_end_tx(db, rc);
    if (rc == CL_EEXIST) {
        status = cl_admin_fail("a user named %s already exists", username);
        goto out;
    }
    if (rc != 0) {
        status = cl_admin_fail("cannot add user %s: %s", username, cl_status_message(rc));
        goto out;
    }
    cl_roles_format(roles, roles_text, sizeof(roles_text));
    printf("user %s added with roles %s\n", username, roles_text);
    if (generated)
        printf("%s password: %s\n", username, password);
    status = EXIT_OK;
out:
    cl_db_close(db);
    OPENSSL_cleanse(password, sizeof(password));
    OPENSSL_cleanse(hash, sizeof(hash));
    return status;
}

int cl_admin_cmd_user_list(const cl_admin_args_t *a)
{
    cl_db_t *db = NULL;
    int rc, n = 0;
    int64_t now = cl_now();
    if (cl_admin_open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    sqlite3_stmt *st = stmt(db, SQL_USER_LIST);
    if (st == NULL) {
        cl_db_close(db);
        return cl_admin_fail("cannot list the users: %s", cl_status_message(CL_EINTERNAL));
    }
    printf("%-20s %-36s %-24s %-17s %s\n", "USERNAME", "ROLES", "STATUS", "LAST LOGIN",
           "FULL NAME");
    while ((rc = cl_db_step(db, st)) == 1) {
        char roles[128], state[48], last[32];
        int64_t locked_until = sqlite3_column_int64(st, 4);
        cl_roles_format((uint32_t)sqlite3_column_int64(st, 2), roles, sizeof(roles));
        if (sqlite3_column_int64(st, 3)) {
            snprintf(state, sizeof(state), "disabled");
        } else if (locked_until > now) {
            char until[32];
            format_time(locked_until, until, sizeof(until));
            snprintf(state, sizeof(state), "locked to %s", until);
        } else {
            snprintf(state, sizeof(state), "active");
        }
        format_time(sqlite3_column_int64(st, 5), last, sizeof(last));
        printf("%-20s %-36s %-24s %-17s %s\n", cl_db_text(st, 0), roles, state, last,
               cl_db_text(st, 1));
        n++;
    }
    cl_db_close(db);
    if (rc < 0)
        return cl_admin_fail("cannot list the users: %s", cl_status_message(rc));
    printf("%d user%s\n", n, n == 1 ? "" : "s");
    return EXIT_OK;
}

/* Ends every session of user `id`; *ended gets how many. */
static int end_sessions(cl_db_t *db, int64_t id, int *ended)
{
    sqlite3_stmt *st = stmt(db, SQL_SESSIONS_DELETE_USER);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_admin_run_stmt(db, st);
    *ended = rc == 0 ? sqlite3_changes(cl_db_handle(db)) : 0;
    return rc;
}

int cl_admin_cmd_user_passwd(const cl_admin_args_t *a)
{
    const char *username = a->pos[0];
    char password[CL_PASSWORD_MAX + 1], hash[CL_PASSWORD_HASH_MAX];
    cl_config_t cfg;
    cl_db_t *db = NULL;
    user_row_t u = {0};
    int generated = 0, ended = 0, rc, status = EXIT_FAIL;

    if (load_config(a->data, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    if (cl_admin_get_password(a->password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        goto out;
    if ((rc = cl_auth_hash_password(password, hash)) != 0) {
        status = cl_admin_fail("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }
    int64_t now = cl_now();
    rc = cl_admin_begin(db);
    if (rc == 0)
        rc = find_user(db, username, &u);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(db, SQL_USER_SET_PASSWORD);
        if (st == NULL) {
            rc = CL_EINTERNAL;
        } else {
            sqlite3_bind_int64(st, 1, u.id);
            sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, now);
            rc = cl_admin_run_stmt(db, st);
        }
    }
    if (rc == 0)
        rc = end_sessions(db, u.id, &ended);
    if (rc == 0)
        rc = cl_admin_audit_append(db, now, "user.passwd", "user", u.id);
    rc = cl_admin_end_tx(db, rc);
    if (rc == CL_ENOTFOUND) {
        status = cl_admin_fail("no user named %s", username);
        goto out;
    }
    if (rc != 0) {
        status =
            cl_admin_fail("cannot change the password of %s: %s", username, cl_status_message(rc));
        goto out;
    }
    printf("password of %s changed; lockout cleared; %d session%s ended%s\n", username, ended,
           ended == 1 ? "" : "s", u.disabled ? " (the account stays disabled)" : "");
    if (generated)
        printf("%s password: %s\n", username, password);
    status = EXIT_OK;
out:
    cl_db_close(db);
    OPENSSL_cleanse(password, sizeof(password));
    OPENSSL_cleanse(hash, sizeof(hash));
    return status;
}

int cl_admin_cmd_user_disable(const cl_admin_args_t *a)
{
    const char *username = a->pos[0];
    cl_db_t *db = NULL;
    user_row_t u = {0};
    int64_t admins = 1;
    int ended = 0, rc;

    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    int64_t now = cl_now();
    rc = cl_admin_begin(db);
    if (rc == 0)
        rc = find_user(db, username, &u);
    if (rc == 0 && u.disabled) {
        /* Nothing to do, and nothing to record: one audit row per disabling. */
        cl_admin_end_tx(db, 0);
        cl_db_close(db);
        printf("user %s was already disabled\n", username);
        return EXIT_OK;
    }
    /* As the online UserDisable does: the clinic always keeps an active admin. */
    if (rc == 0 && !u.disabled && (u.roles & CL_ROLE_admin))
        rc = other_active_admins(db, u.id, &admins);
    if (rc == 0 && admins == 0)
        rc = CL_EPRECOND;
    if (rc == 0) {
        sqlite3_stmt *st = stmt(db, SQL_USER_DISABLE);
        if (st == NULL) {
            rc = CL_EINTERNAL;
        } else {
            sqlite3_bind_int64(st, 1, u.id);
            rc = cl_admin_run_stmt(db, st);
        }
    }
    if (rc == 0)
        rc = end_sessions(db, u.id, &ended);
    if (rc == 0)
        rc = cl_admin_audit_append(db, now, "user.disable", "user", u.id);
    rc = cl_admin_end_tx(db, rc);
    cl_db_close(db);
    if (rc == CL_ENOTFOUND)
        return cl_admin_fail("no user named %s", username);
    if (rc == CL_EPRECOND)
        return cl_admin_fail("%s is the last active admin; add another admin first", username);
    if (rc != 0)
        return cl_admin_fail("cannot disable %s: %s", username, cl_status_message(rc));
    printf("user %s disabled; %d session%s ended\n", username, ended, ended == 1 ? "" : "s");
    return EXIT_OK;
}
