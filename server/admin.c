/* The offline administration commands (`clinicd init`, `workstation`, `user`, `backup`,
 * `restore`, `audit verify`): a table of commands with their options and usage, a small option
 * parser, and one function per command. Every change is made in one transaction with its audit
 * row, through the statement table below. */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "certs.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "identity.h"
#include "log.h"
#include "mem.h"
#include "status.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum {
    SQL_META_SET,
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
    SQL_INTEGRITY_CHECK,
    SQL_FOREIGN_KEY_CHECK,
    SQL__COUNT
};

static const char *const sql[SQL__COUNT] = {
    [SQL_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
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
    /* restore: the first problems only; one is enough to refuse. */
    [SQL_INTEGRITY_CHECK] = "PRAGMA integrity_check(5)",
    [SQL_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
};

/* Who the audit log says made an offline change. */
#define ADMIN_ACTOR "clinicd-admin"
#define ADMIN_WORKSTATION "console"

enum { SANS_MAX = 32, FULL_NAME_MAX = 128, GENERATED_PASSWORD_LEN = 20 };

/* Letters and digits that cannot be mistaken for one another when read aloud or copied from
 * paper: no 0/O/o, 1/l/I. */
static const char password_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/* ---- options ------------------------------------------------------------------------------ */

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
    const char *sans[SANS_MAX];
    size_t nsans;
    const char *pos[1]; /* every command takes at most one name */
    size_t npos;
} args_t;

enum {
    OPT_DATA = 1 << 0,
    OPT_OUT = 1 << 1,
    OPT_CLINIC_NAME = 1 << 2,
    OPT_ADMIN_PASSWORD_FILE = 1 << 3,
    OPT_SAN = 1 << 4,
    OPT_LISTEN = 1 << 5,
    OPT_ROLES = 1 << 6,
    OPT_FULL_NAME = 1 << 7,
    OPT_PASSWORD_FILE = 1 << 8,
    OPT_TO = 1 << 9,
    OPT_FROM = 1 << 10,
};

typedef struct {
    const char *flag;
    unsigned bit;
    size_t offset; /* of the const char * in args_t; --san is the repeatable exception */
} option_t;

static const option_t options[] = {
    {"--data", OPT_DATA, offsetof(args_t, data)},
    {"--out", OPT_OUT, offsetof(args_t, out)},
    {"--clinic-name", OPT_CLINIC_NAME, offsetof(args_t, clinic_name)},
    {"--admin-password-file", OPT_ADMIN_PASSWORD_FILE, offsetof(args_t, admin_password_file)},
    {"--san", OPT_SAN, 0},
    {"--listen", OPT_LISTEN, offsetof(args_t, listen)},
    {"--roles", OPT_ROLES, offsetof(args_t, roles)},
    {"--full-name", OPT_FULL_NAME, offsetof(args_t, full_name)},
    {"--password-file", OPT_PASSWORD_FILE, offsetof(args_t, password_file)},
    {"--to", OPT_TO, offsetof(args_t, to)},
    {"--from", OPT_FROM, offsetof(args_t, from)},
};

typedef struct {
    const char *group; /* "user", or NULL for a command of its own */
    const char *name;
    unsigned allowed;       /* OPT_* it accepts */
    unsigned required;      /* OPT_* it needs */
    const char *positional; /* "USERNAME", or NULL when it takes none */
    int (*run)(const args_t *a);
    const char *usage;
    const char *summary;
} command_t;

static int cmd_init(const args_t *a);
static int cmd_workstation_add(const args_t *a);
static int cmd_workstation_list(const args_t *a);
static int cmd_workstation_revoke(const args_t *a);
static int cmd_user_add(const args_t *a);
static int cmd_user_list(const args_t *a);
static int cmd_user_passwd(const args_t *a);
static int cmd_user_disable(const args_t *a);
static int cmd_backup(const args_t *a);
static int cmd_restore(const args_t *a);
static int cmd_audit_verify(const args_t *a);

static const command_t commands[] = {
    {NULL, "init", OPT_DATA | OPT_CLINIC_NAME | OPT_ADMIN_PASSWORD_FILE | OPT_SAN | OPT_LISTEN,
     OPT_DATA, NULL, cmd_init,
     "clinicd init --data DIR [--clinic-name NAME] [--admin-password-file FILE] [--san NAME ...] "
     "[--listen ADDR:PORT]",
     "create a clinic: settings, database, CA and server certificate, the first admin user"},
    {"workstation", "add", OPT_DATA | OPT_OUT, OPT_DATA | OPT_OUT, "NAME", cmd_workstation_add,
     "clinicd workstation add NAME --data DIR --out OUTDIR",
     "issue a workstation's client certificate into OUTDIR"},
    {"workstation", "list", OPT_DATA, OPT_DATA, NULL, cmd_workstation_list,
     "clinicd workstation list --data DIR", "list the workstations"},
    {"workstation", "revoke", OPT_DATA, OPT_DATA, "NAME", cmd_workstation_revoke,
     "clinicd workstation revoke NAME --data DIR",
     "revoke a workstation's certificate (rewrites the CRL)"},
    {"user", "add", OPT_DATA | OPT_ROLES | OPT_FULL_NAME | OPT_PASSWORD_FILE, OPT_DATA | OPT_ROLES,
     "USERNAME", cmd_user_add,
     "clinicd user add USERNAME --data DIR --roles ROLE[,ROLE...] [--full-name NAME] "
     "[--password-file FILE]",
     "add a user (a password is generated and printed unless given)"},
    {"user", "list", OPT_DATA, OPT_DATA, NULL, cmd_user_list, "clinicd user list --data DIR",
     "list the users"},
    {"user", "passwd", OPT_DATA | OPT_PASSWORD_FILE, OPT_DATA, "USERNAME", cmd_user_passwd,
     "clinicd user passwd USERNAME --data DIR [--password-file FILE]",
     "set a user's password, clear a lockout and end the user's sessions"},
    {"user", "disable", OPT_DATA, OPT_DATA, "USERNAME", cmd_user_disable,
     "clinicd user disable USERNAME --data DIR", "disable a user and end the user's sessions"},
    {NULL, "backup", OPT_DATA | OPT_TO, OPT_DATA | OPT_TO, NULL, cmd_backup,
     "clinicd backup --data DIR --to FILE",
     "copy the database to FILE, consistently, while the daemon runs"},
    {NULL, "restore", OPT_DATA | OPT_FROM, OPT_DATA | OPT_FROM, NULL, cmd_restore,
     "clinicd restore --data DIR --from FILE",
     "check a backup and put it in place of the database (the daemon must be stopped)"},
    {"audit", "verify", OPT_DATA, OPT_DATA, NULL, cmd_audit_verify,
     "clinicd audit verify --data DIR", "check the audit log's hash chain"},
};

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints `clinicd: <message>` on stderr and returns EXIT_FAIL. */
static int failf(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "clinicd: %s\n", msg);
    return EXIT_FAIL;
}

static void command_name(const command_t *c, char *out, size_t outlen)
{
    if (c->group)
        snprintf(out, outlen, "%s %s", c->group, c->name);
    else
        snprintf(out, outlen, "%s", c->name);
}

static int usage_error(const command_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A usage error: one line naming what is wrong and where the usage is. Returns EXIT_USAGE. */
static int usage_error(const command_t *c, const char *fmt, ...)
{
    char msg[512], name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    command_name(c, name, sizeof(name));
    fprintf(stderr, "clinicd: %s: %s (see clinicd %s --help)\n", name, msg, name);
    return EXIT_USAGE;
}

static void print_help(FILE *f)
{
    fprintf(f,
            "clinicd %s: the clinic's practice-operations server\n\n"
            "usage:\n"
            "  clinicd serve --data DIR ...\n"
            "      run the server (see clinicd serve --help)\n",
            CLINIC_VERSION);
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++)
        fprintf(f, "  %s\n      %s\n", commands[i].usage, commands[i].summary);
    fprintf(f, "  clinicd help\n      this text\n\n"
               "Roles: admin, manager, front_desk, scheduler, biller, clinician, staff.\n"
               "Exit status: 0 done, 1 failed, 2 usage error. See docs/ADMIN.md.\n");
}

/* Parses argv[i..] for `c` into `a`. Returns -1 to go on, or an exit status to stop with
 * (0 after printing the usage for --help). */
static int parse_args(const command_t *c, int argc, char **argv, int i, args_t *a)
{
    memset(a, 0, sizeof(*a));
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            printf("usage: %s\n  %s\n", c->usage, c->summary);
            return EXIT_OK;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            if (c->positional == NULL || a->npos == CL_ARRAY_SIZE(a->pos))
                return usage_error(c, "unexpected argument '%s'", arg);
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
        const option_t *o = NULL;
        for (size_t k = 0; k < CL_ARRAY_SIZE(options) && o == NULL; k++) {
            if (strlen(options[k].flag) == flen && strncmp(options[k].flag, arg, flen) == 0)
                o = &options[k];
        }
        if (o == NULL || !(c->allowed & o->bit))
            return usage_error(c, "unknown option '%.*s'", (int)flen, arg);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (value == NULL)
            return usage_error(c, "%s needs a value", o->flag);
        if (o->bit == OPT_SAN) {
            if (a->nsans == SANS_MAX)
                return usage_error(c, "at most %d --san names", SANS_MAX);
            a->sans[a->nsans++] = value;
            continue;
        }
        const char **slot = (const char **)((char *)a + o->offset);
        if (*slot != NULL)
            return usage_error(c, "%s given twice", o->flag);
        *slot = value;
    }
    for (size_t k = 0; k < CL_ARRAY_SIZE(options); k++) {
        if ((c->required & options[k].bit) &&
            *(const char **)((char *)a + options[k].offset) == NULL)
            return usage_error(c, "%s is required", options[k].flag);
    }
    if (c->positional && a->npos == 0)
        return usage_error(c, "%s is required", c->positional);
    return -1;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void join_path(char *out, size_t outlen, const char *dir, const char *file)
{
    snprintf(out, outlen, "%s/%s", dir, file);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

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

/* Free text (a clinic's or a person's name): 1..max bytes, no control characters. */
static int valid_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    }
    return 1;
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
static int read_password_file(const char *path, char out[CL_PASSWORD_MAX + 1])
{
    char line[CL_PASSWORD_MAX + 3];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL)
        return failf("cannot read the password file %s: %s", path, strerror(errno));
    int ok = fgets(line, sizeof(line), f) != NULL;
    if (f != stdin)
        fclose(f);
    if (!ok)
        return failf("the password file %s is empty", path);
    /* The buffer holds two more than the longest password, so a longer line shows as one. */
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    int rc = EXIT_OK;
    if (n > CL_PASSWORD_MAX)
        rc = failf("the password in %s is longer than %d characters", path, CL_PASSWORD_MAX);
    else if (n < CL_PASSWORD_MIN)
        rc = failf("the password in %s is shorter than %d characters", path, CL_PASSWORD_MIN);
    else
        memcpy(out, line, n + 1);
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

/* A password from `file`, or a generated one (then *generated = 1). Returns an exit status. */
static int get_password(const char *file, char out[CL_PASSWORD_MAX + 1], int *generated)
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
    join_path(path, sizeof(path), dir, "clinicd.conf");
    if (cl_config_load(cfg, path, err, sizeof(err)) != 0)
        return failf("%s", err);
    cl_auth_set_scrypt_cost(cfg->scrypt_log2_n);
    return EXIT_OK;
}

/* The admin commands' busy handler. A running daemon under load holds the write lock for
 * nearly all of every second, one batch after another, and SQLite's own handler, sleeping
 * longer and longer between tries, can miss every gap for its whole timeout. Trying again every
 * 200 µs for up to a minute takes the first gap. */
enum { BUSY_TRY_US = 200, BUSY_TRIES = 60 * 1000000 / BUSY_TRY_US };

static int on_busy(void *arg, int tries)
{
    (void)arg;
    if (tries >= BUSY_TRIES)
        return 0;
    struct timespec pause = {0, BUSY_TRY_US * 1000L};
    nanosleep(&pause, NULL);
    return 1;
}

/* Opens DIR/clinic.db, which must exist (only init creates it). */
static int open_clinic(const char *dir, int flags, cl_db_t **db)
{
    char path[PATH_MAX];
    join_path(path, sizeof(path), dir, "clinic.db");
    *db = NULL;
    if (!file_exists(path))
        return failf("%s holds no clinic (no clinic.db): run clinicd init first", dir);
    int rc = cl_db_open(path, flags, db);
    if (rc != 0)
        return failf("cannot open %s: %s", path, cl_status_message(rc));
    sqlite3_busy_handler(cl_db_handle(*db), on_busy, NULL);
    return EXIT_OK;
}

static int begin(cl_db_t *db)
{
    /* IMMEDIATE: take the write lock now, waiting out the daemon's batch, rather than failing
     * with BUSY halfway through when a read turns into a write. */
    return cl_db_exec(db, "BEGIN IMMEDIATE");
}

/* Commits when rc is 0, else rolls back. Returns rc, or the COMMIT's failure. */
static int end_tx(cl_db_t *db, int rc)
{
    if (rc == 0 && (rc = cl_db_exec(db, "COMMIT")) == 0)
        return 0;
    if (!sqlite3_get_autocommit(cl_db_handle(db)))
        cl_db_exec(db, "ROLLBACK");
    return rc;
}

static sqlite3_stmt *stmt(cl_db_t *db, int which)
{
    return cl_db_stmt(db, sql[which]);
}

/* Runs a statement that returns no rows (or whose rows do not matter). */
static int run_stmt(cl_db_t *db, sqlite3_stmt *st)
{
    int rc;
    while ((rc = cl_db_step(db, st)) == 1)
        ;
    return rc;
}

/* Runs an INSERT ... RETURNING id; sets *id. */
static int insert_returning_id(cl_db_t *db, sqlite3_stmt *st, int64_t *id)
{
    int rc = cl_db_step(db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    *id = sqlite3_column_int64(st, 0);
    return run_stmt(db, st);
}

static int audit(cl_db_t *db, int64_t now, const char *action, const char *entity, int64_t id)
{
    cl_identity_t who;
    memset(&who, 0, sizeof(who));
    snprintf(who.username, sizeof(who.username), "%s", ADMIN_ACTOR);
    snprintf(who.workstation, sizeof(who.workstation), "%s", ADMIN_WORKSTATION);
    return cl_audit_append(db, now, &who, action, entity, (uint64_t)id);
}

static int set_meta(cl_db_t *db, const char *key, const char *value);

/* Names the change feed afresh (meta feed_id): at init, and after a restore. */
static int set_new_feed_id(cl_db_t *db)
{
    uint8_t raw[8];
    char hex[17];
    cl_random(raw, sizeof(raw));
    cl_hex(raw, sizeof(raw), hex);
    return set_meta(db, "feed_id", hex);
}

static int set_meta(cl_db_t *db, const char *key, const char *value)
{
    sqlite3_stmt *st = stmt(db, SQL_META_SET);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return run_stmt(db, st);
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

/* Inserts a user and its audit row (inside the caller's transaction). */
static int insert_user(cl_db_t *db, int64_t now, const char *username, const char *full_name,
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
        rc = audit(db, now, "user.add", "user", *id);
    return rc;
}

/* ---- init --------------------------------------------------------------------------------- */

/* What init made, so that a failed init can take it back and be run again. */
typedef struct {
    const char *dir;
    int made_dir;
    int made_config;
    int made_certs;
    int made_db;
} init_undo_t;

static void init_undo(const init_undo_t *u)
{
    static const char *const tls_files[] = {"ca.key", "ca.crt", "server.key", "server.crt",
                                            "crl.pem"};
    static const char *const db_files[] = {"clinic.db", "clinic.db-wal", "clinic.db-shm",
                                           "clinic.db-journal"};
    char path[PATH_MAX];
    if (u->made_db) {
        for (size_t i = 0; i < CL_ARRAY_SIZE(db_files); i++) {
            join_path(path, sizeof(path), u->dir, db_files[i]);
            unlink(path);
        }
    }
    if (u->made_certs) {
        for (size_t i = 0; i < CL_ARRAY_SIZE(tls_files); i++) {
            cl_certs_path(u->dir, tls_files[i], path, sizeof(path));
            unlink(path);
        }
        join_path(path, sizeof(path), u->dir, "tls");
        rmdir(path);
    }
    if (u->made_config) {
        join_path(path, sizeof(path), u->dir, "clinicd.conf");
        unlink(path);
    }
    if (u->made_dir)
        rmdir(u->dir);
}

/* Builds the configuration: an existing clinicd.conf (if an administrator prepared one), then
 * the defaults, then the command's --clinic-name and --listen. */
static int init_config(const args_t *a, const char *conf_path, cl_config_t *cfg)
{
    char err[512];
    cl_config_defaults(cfg);
    if (cl_config_load(cfg, conf_path, err, sizeof(err)) != 0)
        return failf("%s", err);
    if (a->clinic_name) {
        if (!valid_text(a->clinic_name, sizeof(cfg->clinic_name) - 1))
            return failf("the clinic name must be 1-%zu characters with no control characters",
                         sizeof(cfg->clinic_name) - 1);
        snprintf(cfg->clinic_name, sizeof(cfg->clinic_name), "%s", a->clinic_name);
    }
    if (a->listen) {
        /* The configuration parser is the one judge of a listen address. */
        char line[300];
        if (!valid_text(a->listen, sizeof(cfg->listen) - 1))
            return failf("--listen '%s' is not ADDR:PORT", a->listen);
        snprintf(line, sizeof(line), "listen = %s\n", a->listen);
        cl_config_t probe = *cfg;
        if (cl_config_parse(&probe, line, err, sizeof(err)) != 0)
            return failf("--listen '%s' is not ADDR:PORT", a->listen);
        snprintf(cfg->listen, sizeof(cfg->listen), "%s", probe.listen);
    }
    cl_auth_set_scrypt_cost(cfg->scrypt_log2_n);
    return EXIT_OK;
}

static int cmd_init(const args_t *a)
{
    char db_path[PATH_MAX], conf_path[PATH_MAX], ca_path[PATH_MAX];
    char password[CL_PASSWORD_MAX + 1], hash[CL_PASSWORD_HASH_MAX], created[32];
    init_undo_t undo = {.dir = a->data};
    cl_config_t cfg;
    cl_db_t *db = NULL;
    struct stat st;
    int generated = 0, rc, status = EXIT_FAIL;
    int64_t admin_id = 0;

    join_path(db_path, sizeof(db_path), a->data, "clinic.db");
    join_path(conf_path, sizeof(conf_path), a->data, "clinicd.conf");
    cl_certs_path(a->data, "ca.crt", ca_path, sizeof(ca_path));
    if (file_exists(db_path))
        return failf("%s already holds a clinic (%s exists)", a->data, db_path);
    if (init_config(a, conf_path, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    /* Everything that can be refused is checked before anything is created. */
    if (get_password(a->admin_password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    rc = cl_auth_hash_password(password, hash);
    if (rc != 0) {
        status = failf("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }

    if (mkdir(a->data, 0700) == 0) {
        undo.made_dir = 1;
    } else if (errno != EEXIST) {
        status = failf("cannot create %s: %s", a->data, strerror(errno));
        goto out;
    } else if (stat(a->data, &st) != 0 || !S_ISDIR(st.st_mode)) {
        status = failf("%s exists and is not a directory", a->data);
        goto out;
    }
    undo.made_config = !file_exists(conf_path);
    if ((rc = cl_config_write(&cfg, conf_path)) != 0) {
        status = failf("cannot write %s: %s", conf_path, cl_status_message(rc));
        goto out;
    }
    undo.made_certs = 1;
    if ((rc = cl_certs_init(a->data, cfg.clinic_name, a->sans, a->nsans)) != 0) {
        /* A CA that was there before is not ours to remove. */
        undo.made_certs = rc != CL_EEXIST;
        status =
            failf("cannot create the certificates in %s/tls: %s", a->data, cl_status_message(rc));
        goto out;
    }
    undo.made_db = 1;
    if ((rc = cl_db_open(db_path, CL_DB_CREATE, &db)) != 0) {
        status = failf("cannot create %s: %s", db_path, cl_status_message(rc));
        goto out;
    }

    int64_t now = cl_now();
    snprintf(created, sizeof(created), "%" PRId64, now);
    rc = begin(db);
    if (rc == 0)
        rc = set_meta(db, "clinic_name", cfg.clinic_name);
    if (rc == 0)
        rc = set_meta(db, "created_at", created);
    if (rc == 0)
        rc = set_new_feed_id(db);
    if (rc == 0)
        rc = insert_user(db, now, "admin", "Administrator", CL_ROLE_admin, hash, &admin_id);
    if ((rc = end_tx(db, rc)) != 0) {
        status = failf("cannot write the first user to %s: %s", db_path, cl_status_message(rc));
        goto out;
    }

    printf("clinic \"%s\" created in %s\n", cfg.clinic_name, a->data);
    printf("  settings:  %s\n", conf_path);
    printf("  database:  %s\n", db_path);
    printf("  CA:        %s (give it to every workstation)\n", ca_path);
    printf("  listening: %s\n", cfg.listen);
    printf("admin user: admin\n");
    if (generated)
        printf("admin password: %s\n", password);
    printf("next: clinicd workstation add NAME --data %s --out DIR, then clinicd serve --data %s\n",
           a->data, a->data);
    status = EXIT_OK;
out:
    cl_db_close(db);
    if (status != EXIT_OK)
        init_undo(&undo);
    OPENSSL_cleanse(password, sizeof(password));
    OPENSSL_cleanse(hash, sizeof(hash));
    return status;
}

/* ---- workstations ------------------------------------------------------------------------- */

static int cmd_workstation_add(const args_t *a)
{
    const char *name = a->pos[0];
    char serial[64], key_path[PATH_MAX], crt_path[PATH_MAX], ca_path[PATH_MAX];
    cl_db_t *db = NULL;
    int issued = 0, rc, status = EXIT_FAIL;
    int64_t id = 0;

    if (!valid_workstation_name(name))
        return failf("'%s' is not a valid workstation name (1-%d of A-Z a-z 0-9 . _ -)", name,
                     CL_WORKSTATION_MAX);
    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    snprintf(key_path, sizeof(key_path), "%s/%s.key", a->out, name);
    snprintf(crt_path, sizeof(crt_path), "%s/%s.crt", a->out, name);
    snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", a->out);

    /* The certificate is issued inside the transaction: if the row cannot be written, its key
     * is deleted, so no working credential exists that the database does not know. */
    int64_t now = cl_now();
    if ((rc = begin(db)) != 0) {
        status = failf("cannot write to the database: %s", cl_status_message(rc));
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
        end_tx(db, CL_EEXIST);
        status = failf("a workstation named %s already exists (names are never reused)", name);
        goto out;
    }
    if (rc < 0)
        goto fail;
    if ((rc = cl_certs_issue_workstation(a->data, name, a->out, serial, sizeof(serial))) != 0) {
        end_tx(db, rc);
        status = failf("cannot issue the certificate: %s", cl_status_message(rc));
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
        rc = audit(db, now, "workstation.add", "workstation", id);
fail:
    if ((rc = end_tx(db, rc)) != 0) {
        status = failf("cannot record workstation %s: %s", name, cl_status_message(rc));
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

static int cmd_workstation_list(const args_t *a)
{
    cl_db_t *db = NULL;
    int rc, n = 0;
    if (open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_LIST);
    if (st == NULL) {
        cl_db_close(db);
        return failf("cannot list the workstations: %s", cl_status_message(CL_EINTERNAL));
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
        return failf("cannot list the workstations: %s", cl_status_message(rc));
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

static int cmd_workstation_revoke(const args_t *a)
{
    const char *name = a->pos[0];
    cl_db_t *db = NULL;
    char **serials = NULL;
    size_t nserials = 0;
    int64_t id = 0, revoked_at = 0;
    int rc, status = EXIT_FAIL;

    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    int64_t now = cl_now();
    if ((rc = begin(db)) != 0)
        goto fail;
    sqlite3_stmt *st = stmt(db, SQL_WORKSTATION_FIND);
    if (st == NULL) {
        rc = CL_EINTERNAL;
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = cl_db_step(db, st);
    if (rc == 0) {
        end_tx(db, CL_ENOTFOUND);
        status = failf("no workstation named %s", name);
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
        if ((rc = run_stmt(db, st)) != 0)
            goto fail;
        if ((rc = audit(db, now, "workstation.revoke", "workstation", id)) != 0)
            goto fail;
    }
    /* The CRL is written before the COMMIT: if the COMMIT then fails, the certificate is
     * refused although the database does not say so, which errs on the safe side. An already
     * revoked workstation rewrites it too, which repairs a lost or stale file. */
    if ((rc = revoked_serials(db, &serials, &nserials)) != 0)
        goto fail;
    if ((rc = cl_certs_write_crl(a->data, (const char *const *)serials, nserials)) != 0) {
        end_tx(db, rc);
        status = failf("cannot write the CRL: %s", cl_status_message(rc));
        goto out;
    }
fail:
    if ((rc = end_tx(db, rc)) != 0) {
        status = failf("cannot revoke workstation %s: %s", name, cl_status_message(rc));
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

/* ---- users -------------------------------------------------------------------------------- */

static int cmd_user_add(const args_t *a)
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
        return failf("'%s' is not a valid username (1-%d of a-z 0-9 . _ -, starting with a "
                     "letter)",
                     username, CL_USERNAME_MAX);
    /* Messages are addressed to a username, a role or "all": a user may not be named as those. */
    if (strcmp(username, "all") == 0 || cl_role_from_name(username) != 0)
        return failf("'%s' is a message address (a role or \"all\"); choose another username",
                     username);
    if (cl_roles_parse(a->roles, &roles) != 0)
        return failf("'%s' is not a list of roles (admin, manager, front_desk, scheduler, "
                     "biller, clinician, staff)",
                     a->roles);
    if (a->full_name && !valid_text(a->full_name, FULL_NAME_MAX))
        return failf("the full name must be 1-%d characters with no control characters",
                     FULL_NAME_MAX);
    if (load_config(a->data, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    if (get_password(a->password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        goto out;
    /* A taken name is told at once; the insert below still catches a race. */
    if ((rc = find_user(db, username, &taken)) != CL_ENOTFOUND) {
        status = rc == 0 ? failf("a user named %s already exists", username)
                         : failf("cannot read the users: %s", cl_status_message(rc));
        goto out;
    }
    /* Hash before taking the write lock: scrypt takes a while, the daemon's writes wait. */
    if ((rc = cl_auth_hash_password(password, hash)) != 0) {
        status = failf("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }
    rc = begin(db);
    if (rc == 0)
        rc = insert_user(db, cl_now(), username, full_name, roles, hash, &id);
    rc = end_tx(db, rc);
    if (rc == CL_EEXIST) {
        status = failf("a user named %s already exists", username);
        goto out;
    }
    if (rc != 0) {
        status = failf("cannot add user %s: %s", username, cl_status_message(rc));
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

static int cmd_user_list(const args_t *a)
{
    cl_db_t *db = NULL;
    int rc, n = 0;
    int64_t now = cl_now();
    if (open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    sqlite3_stmt *st = stmt(db, SQL_USER_LIST);
    if (st == NULL) {
        cl_db_close(db);
        return failf("cannot list the users: %s", cl_status_message(CL_EINTERNAL));
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
        return failf("cannot list the users: %s", cl_status_message(rc));
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
    int rc = run_stmt(db, st);
    *ended = rc == 0 ? sqlite3_changes(cl_db_handle(db)) : 0;
    return rc;
}

static int cmd_user_passwd(const args_t *a)
{
    const char *username = a->pos[0];
    char password[CL_PASSWORD_MAX + 1], hash[CL_PASSWORD_HASH_MAX];
    cl_config_t cfg;
    cl_db_t *db = NULL;
    user_row_t u = {0};
    int generated = 0, ended = 0, rc, status = EXIT_FAIL;

    if (load_config(a->data, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    if (get_password(a->password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        goto out;
    if ((rc = cl_auth_hash_password(password, hash)) != 0) {
        status = failf("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }
    int64_t now = cl_now();
    rc = begin(db);
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
            rc = run_stmt(db, st);
        }
    }
    if (rc == 0)
        rc = end_sessions(db, u.id, &ended);
    if (rc == 0)
        rc = audit(db, now, "user.passwd", "user", u.id);
    rc = end_tx(db, rc);
    if (rc == CL_ENOTFOUND) {
        status = failf("no user named %s", username);
        goto out;
    }
    if (rc != 0) {
        status = failf("cannot change the password of %s: %s", username, cl_status_message(rc));
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
static int cmd_user_disable(const args_t *a)
{
    const char *username = a->pos[0];
    cl_db_t *db = NULL;
    user_row_t u = {0};
    int64_t admins = 1;
    int ended = 0, rc;

    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    int64_t now = cl_now();
    rc = begin(db);
    if (rc == 0)
        rc = find_user(db, username, &u);
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
            rc = run_stmt(db, st);
        }
    }
    if (rc == 0)
        rc = end_sessions(db, u.id, &ended);
    if (rc == 0)
        rc = audit(db, now, "user.disable", "user", u.id);
    rc = end_tx(db, rc);
    cl_db_close(db);
    if (rc == CL_ENOTFOUND)
        return failf("no user named %s", username);
    if (rc == CL_EPRECOND)
        return failf("%s is the last active admin; add another admin first", username);
    if (rc != 0)
        return failf("cannot disable %s: %s", username, cl_status_message(rc));
    printf("user %s disabled; %d session%s ended\n", username, ended, ended == 1 ? "" : "s");
    return EXIT_OK;
}

/* ---- backup ------------------------------------------------------------------------------- */

/* Syncs the directory holding `path`, so that a rename in it survives a power cut. */
static void sync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Copies the live database into `tmp` with SQLite's online backup API. */
static int backup_copy(sqlite3 *src, const char *tmp)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        failf("cannot open %s: %s", tmp, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        failf("cannot start the backup: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    /* All pages in one step: a read transaction on a WAL database does not block the daemon's
     * writes, and copying in pieces would restart each time the daemon commits. BUSY and LOCKED
     * (a checkpoint or recovery in progress) are waited out for up to a minute. */
    for (int tries = 0;; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_DONE || rc == SQLITE_OK)
            break;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 600)
            break;
        sqlite3_sleep(100);
    }
    int step_rc = rc;
    rc = sqlite3_backup_finish(b);
    if (step_rc != SQLITE_DONE) {
        failf("the backup failed: %s", sqlite3_errstr(step_rc));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    if (rc != SQLITE_OK) {
        failf("the backup failed: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    if ((rc = sqlite3_close(dst)) != SQLITE_OK)
        return failf("cannot close %s: %s", tmp, sqlite3_errstr(rc));
    return EXIT_OK;
}

static int cmd_backup(const args_t *a)
{
    char db_path[PATH_MAX], tmp[PATH_MAX], side[PATH_MAX + 16], value[32];
    static const char *const sides[] = {"-journal", "-wal", "-shm"};
    cl_db_t *db = NULL;
    struct stat live, target;
    int status = EXIT_FAIL, rc, fd = -1, made_tmp = 0;

    join_path(db_path, sizeof(db_path), a->data, "clinic.db");
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", a->to) >= sizeof(tmp))
        return failf("--to path is too long");
    if (stat(db_path, &live) == 0 && stat(a->to, &target) == 0 && live.st_dev == target.st_dev &&
        live.st_ino == target.st_ino)
        return failf("%s is the live database itself; back up to another file", a->to);
    if (open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;

    /* The copy is made under a temporary name (0600: it holds patient data) and renamed only
     * once complete and synced, so FILE is always a whole backup or the previous one. */
    for (size_t i = 0; i < CL_ARRAY_SIZE(sides); i++) {
        snprintf(side, sizeof(side), "%s%s", tmp, sides[i]);
        unlink(side);
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        status = failf("cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    made_tmp = 1;
    if (backup_copy(cl_db_handle(db), tmp) != EXIT_OK)
        goto out;
    fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || fstat(fd, &target) != 0) {
        status = failf("cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, a->to) != 0) {
        status = failf("cannot rename %s to %s: %s", tmp, a->to, strerror(errno));
        goto out;
    }
    made_tmp = 0;
    sync_parent_dir(a->to);

    int64_t now = cl_now();
    snprintf(value, sizeof(value), "%" PRId64, now);
    rc = begin(db);
    if (rc == 0)
        rc = set_meta(db, "last_backup_at", value);
    if (rc == 0)
        rc = audit(db, now, "database.backup", "database", 0);
    if ((rc = end_tx(db, rc)) != 0) {
        status = failf("the backup %s is complete, but recording it failed: %s", a->to,
                       cl_status_message(rc));
        goto out;
    }
    printf("backup written: %s (%lld bytes)\n", a->to, (long long)target.st_size);
    status = EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (made_tmp) {
        unlink(tmp);
        for (size_t i = 0; i < CL_ARRAY_SIZE(sides); i++) {
            snprintf(side, sizeof(side), "%s%s", tmp, sides[i]);
            unlink(side);
        }
    }
    cl_db_close(db);
    return status;
}

/* ---- restore ------------------------------------------------------------------------------ */

/* The daemon holds this file's lock for as long as it runs; restore takes it too. */
#define LOCK_FILE "clinicd.lock"

enum { RESTORE_BUSY_MS = 2000, COPY_CHUNK = 64 * 1024 };

/* The files SQLite may keep beside a database, by suffix. */
static const char *const db_sides[] = {"-wal", "-shm", "-journal"};

int cl_admin_lock_data_dir(const char *dir, int *fd)
{
    char path[PATH_MAX], holder[32];
    *fd = -1;
    join_path(path, sizeof(path), dir, LOCK_FILE);
    int lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    /* A lock file made by another account (root ran a restore) still locks when read-only. */
    if (lock < 0 && errno == EACCES)
        lock = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (lock < 0) {
        cl_error("cannot open %s: %s", path, strerror(errno));
        return CL_EIO;
    }
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ssize_t n = pread(lock, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\r\n")] = '\0';
        close(lock);
        if (err == EWOULDBLOCK) {
            cl_error("%s is in use: process %s holds %s", dir, holder[0] ? holder : "(unknown)",
                     path);
            return CL_EBUSY;
        }
        cl_error("cannot lock %s: %s", path, strerror(err));
        return CL_EIO;
    }
    /* The holder's process id, so that whoever is refused can say who holds the lock. */
    snprintf(holder, sizeof(holder), "%ld\n", (long)getpid());
    if (ftruncate(lock, 0) != 0 || pwrite(lock, holder, strlen(holder), 0) < 0)
        cl_warn("cannot write the process id into %s: %s", path, strerror(errno));
    *fd = lock;
    return 0;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks what the first 100 bytes of a SQLite file say (the file format's database header)
 * against the file's size, so that a truncated backup is named as such before SQLite reads it. */
static int check_header(const char *from, int fd, off_t size)
{
    unsigned char h[100];
    if (size == 0)
        return failf("%s is empty: not a backup", from);
    if (size < (off_t)sizeof(h) || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h, "SQLite format 3", 16) != 0)
        return failf("%s is not a SQLite database, so not a clinicd backup", from);
    uint32_t page = (uint32_t)h[16] << 8 | h[17];
    if (page == 1)
        page = 65536;
    if (page < 512 || (page & (page - 1)) != 0)
        return failf("%s is damaged: its header gives a page size of %u bytes", from, page);
    /* The page count at offset 28 is valid only while the "version valid for" number at 92
     * equals the change counter at 24 (a file written by an old SQLite may not keep it). */
    uint32_t pages = get_be32(h + 28);
    if (size % page != 0 ||
        (get_be32(h + 92) == get_be32(h + 24) && pages != 0 && (off_t)pages * page > size))
        return failf("%s is truncated: its header says %u pages of %u bytes (%lld bytes), the "
                     "file has %lld bytes",
                     from, pages, page, (long long)pages * page, (long long)size);
    return EXIT_OK;
}

/* Removes `path`'s -wal, -shm and -journal files (not the database itself). */
static void remove_db_sides(const char *path)
{
    char side[PATH_MAX + 16];
    for (size_t i = 0; i < CL_ARRAY_SIZE(db_sides); i++) {
        snprintf(side, sizeof(side), "%s%s", path, db_sides[i]);
        unlink(side);
    }
}

/* Copies the open file `in` into a new file `path` (0600) and syncs it. */
static int copy_file(int in, const char *from, const char *path)
{
    static char buf[COPY_CHUNK];
    int status = EXIT_FAIL;
    off_t at = 0;
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return failf("cannot create %s: %s", path, strerror(errno));
    for (;;) {
        ssize_t n = pread(in, buf, sizeof(buf), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            failf("cannot read %s: %s", from, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                failf("cannot write %s: %s", path, strerror(errno));
                goto out;
            }
            done += w;
        }
        at += n;
    }
    if (fsync(out) != 0) {
        failf("cannot sync %s: %s", path, strerror(errno));
        goto out;
    }
    status = EXIT_OK;
out:
    if (close(out) != 0 && status == EXIT_OK)
        status = failf("cannot write %s: %s", path, strerror(errno));
    return status;
}

/* The first row's text of a check pragma (NULL when it returns no row), into `out`. */
static int first_row(cl_db_t *db, int which, int columns, char *out, size_t outlen)
{
    sqlite3_stmt *st = stmt(db, which);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc < 0)
        return rc;
    out[0] = '\0';
    for (int i = 0; rc == 1 && i < columns; i++) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%s%s", i ? " " : "", cl_db_text(st, i));
    }
    sqlite3_reset(st);
    return rc;
}

/* The first line of PRAGMA integrity_check's findings, which come one per line in its row,
 * after a line naming the database ("*** in database main ***"). Edits `text` in place. */
static const char *first_problem(char *text)
{
    char *line = text;
    while (strncmp(line, "***", 3) == 0 && strchr(line, '\n') != NULL)
        line = strchr(line, '\n') + 1;
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* Checks the staged copy of a backup as the daemon will need it: it opens as a clinicd
 * database of a schema this clinicd knows, passes PRAGMA integrity_check and foreign_key_check,
 * and its audit chain verifies. `from` names the backup in messages. Prints why not and returns
 * EXIT_FAIL, or returns EXIT_OK with the schema version and the audit row count. */
static int check_backup(const char *from, const char *path, int *version, uint64_t *audit_rows)
{
    cl_db_t *db = NULL;
    char text[512], why[256] = "";
    uint64_t bad = 0;
    int status = EXIT_FAIL;

    /* NO_MIGRATE: an older schema is the daemon's to migrate, after the restore. */
    int rc = cl_db_open(path, CL_DB_NO_MIGRATE, &db);
    if (rc == CL_EPRECOND)
        return failf("%s was written by a newer clinicd (see above); nothing was changed", from);
    if (rc != 0)
        return failf("%s is damaged or not a clinicd backup (%s); nothing was changed", from,
                     cl_status_message(rc));
    if ((*version = cl_db_version(db)) <= 0) {
        failf("%s holds no clinicd schema; nothing was changed", from);
        goto out;
    }
    rc = first_row(db, SQL_INTEGRITY_CHECK, 1, text, sizeof(text));
    if (rc < 0 || strcmp(text, "ok") != 0) {
        failf("%s fails the integrity check: %s; nothing was changed", from,
              rc < 0 ? cl_status_message(rc) : first_problem(text));
        goto out;
    }
    rc = first_row(db, SQL_FOREIGN_KEY_CHECK, 4, text, sizeof(text));
    if (rc != 0) {
        failf("%s fails the foreign key check: %s; nothing was changed", from,
              rc < 0 ? cl_status_message(rc) : text);
        goto out;
    }
    rc = cl_audit_verify(db, audit_rows, &bad, why, sizeof(why));
    if (rc == CL_ECORRUPT) {
        failf("%s: its audit chain is broken at %s%s; nothing was changed", from,
              strncmp(why, "row ", 4) == 0 ? "" : "row ", why);
        goto out;
    }
    if (rc != 0) {
        failf("%s: cannot verify its audit chain: %s; nothing was changed", from,
              cl_status_message(rc));
        goto out;
    }
    status = EXIT_OK;
out:
    cl_db_close(db);
    return status;
}

/* Folds the live database's WAL into it, so that the copy kept aside is one complete file, and
 * proves that no other process has it open: in exclusive locking mode the first read needs a
 * lock that every other open connection (a daemon, an admin command) holds off. Returns 0,
 * CL_EBUSY when another process uses it, or another status when it cannot be read (damaged). */
static int quiesce_live(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, RESTORE_BUSY_MS);
        rc = sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; SELECT count(*) FROM sqlite_master",
                          NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK)
        cl_warn("%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return cl_db_status(rc);
}

/* Keeps the live database `live` as `kept` (a new name: clinic.db.before-restore-<UTC time>,
 * with a counter if taken): a hard link to it, and its WAL moved along (there is one only when
 * the checkpoint failed), so that nothing it held is lost and the WAL cannot be applied to the
 * restored file. */
static int keep_live(const char *live, char *kept, size_t keptlen)
{
    char when[32], from[PATH_MAX + 16], to[PATH_MAX + 32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
    for (int n = 1;; n++) {
        if (n == 1)
            snprintf(kept, keptlen, "%s.before-restore-%s", live, when);
        else
            snprintf(kept, keptlen, "%s.before-restore-%s.%d", live, when, n);
        if (link(live, kept) == 0)
            break;
        if (errno != EEXIST || n == 100)
            return failf("cannot keep the current database as %s: %s; nothing was changed", kept,
                         strerror(errno));
    }
    for (size_t i = 0; i < CL_ARRAY_SIZE(db_sides); i++) {
        snprintf(from, sizeof(from), "%s%s", live, db_sides[i]);
        snprintf(to, sizeof(to), "%s%s", kept, db_sides[i]);
        if (strcmp(db_sides[i], "-shm") == 0 || !file_exists(from)) {
            unlink(from); /* the shared memory index is rebuilt from the WAL */
            continue;
        }
        if (rename(from, to) != 0)
            return failf("cannot move %s aside: %s", from, strerror(errno));
        cl_warn("%s kept as %s", from, to);
    }
    sync_parent_dir(live);
    return EXIT_OK;
}

/* Appends the restore's audit row to the restored database (which the admin commands' own
 * connection then checkpoints into the file when it closes). */
static int record_restore(const char *live)
{
    cl_db_t *db = NULL;
    int rc = cl_db_open(live, CL_DB_NO_MIGRATE, &db);
    if (rc == 0 && (rc = begin(db)) == 0) {
        rc = audit(db, cl_now(), "database.restore", "database", 0);
        /* A new feed: a client's remembered seq belongs to the old one and must resync. */
        if (rc == 0)
            rc = set_new_feed_id(db);
        rc = end_tx(db, rc);
    }
    cl_db_close(db);
    return rc;
}

static int cmd_restore(const args_t *a)
{
    char live[PATH_MAX], staged[PATH_MAX], kept[PATH_MAX + 64] = "";
    struct stat from_st, live_st;
    int status = EXIT_FAIL, lock = -1, in = -1, staged_made = 0, version = 0, rc;
    uint64_t audit_rows = 0;

    join_path(live, sizeof(live), a->data, "clinic.db");
    join_path(staged, sizeof(staged), a->data, "clinic.db.restore");
    rc = cl_admin_lock_data_dir(a->data, &lock);
    if (rc == CL_EBUSY)
        return failf("%s is in use by a running clinicd: stop the daemon first (systemctl stop "
                     "clinicd); nothing was changed",
                     a->data);
    if (rc != 0)
        return failf("cannot lock %s (see above); nothing was changed", a->data);

    in = open(a->from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        status = failf("cannot read %s: %s", a->from, strerror(errno));
        goto out;
    }
    if (fstat(in, &from_st) != 0 || !S_ISREG(from_st.st_mode)) {
        status = failf("%s is not a regular file", a->from);
        goto out;
    }
    if (stat(live, &live_st) == 0 && live_st.st_dev == from_st.st_dev &&
        live_st.st_ino == from_st.st_ino) {
        status = failf("%s is the live database itself; restore from a backup", a->from);
        goto out;
    }
    if (check_header(a->from, in, from_st.st_size) != EXIT_OK)
        goto out;

    /* Check a copy, not the backup: what is checked is exactly what goes in place, and the
     * backup itself is never opened for writing. A staged file left by an interrupted restore
     * is ours to remove: we hold the lock. */
    unlink(staged);
    remove_db_sides(staged);
    staged_made = 1;
    if (copy_file(in, a->from, staged) != EXIT_OK)
        goto out;
    if (check_backup(a->from, staged, &version, &audit_rows) != EXIT_OK)
        goto out;
    remove_db_sides(staged);

    if (file_exists(live)) {
        rc = quiesce_live(live);
        if (rc == CL_EBUSY) {
            status = failf("%s is open in another process: stop the daemon and wait for other "
                           "clinicd commands to finish; nothing was changed",
                           live);
            goto out;
        }
        if (rc != 0)
            cl_warn("the current database could not be checkpointed (%s); it is kept with its "
                    "WAL file",
                    cl_status_message(rc));
        if (keep_live(live, kept, sizeof(kept)) != EXIT_OK)
            goto out;
    }
    /* The one step that switches databases: atomic, then made durable. */
    if (rename(staged, live) != 0) {
        status = failf("cannot rename %s to %s: %s", staged, live, strerror(errno));
        goto out;
    }
    staged_made = 0;
    sync_parent_dir(live);

    printf("restored %s into %s (schema %d, audit chain intact: %" PRIu64 " rows)\n", a->from, live,
           version, audit_rows);
    if (kept[0])
        printf("the replaced database is kept as %s\n", kept);
    if ((rc = record_restore(live)) != 0) {
        status = failf("the restore is complete, but recording it in the audit log failed: %s",
                       cl_status_message(rc));
        goto out;
    }
    printf("next: clinicd audit verify --data %s, then start the daemon\n", a->data);
    status = EXIT_OK;
out:
    if (in >= 0)
        close(in);
    if (staged_made) {
        unlink(staged);
        remove_db_sides(staged);
    }
    close(lock);
    return status;
}

/* ---- audit -------------------------------------------------------------------------------- */

static int cmd_audit_verify(const args_t *a)
{
    cl_db_t *db = NULL;
    uint64_t rows = 0, bad = 0;
    char why[256] = "";
    if (open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    int rc = cl_audit_verify(db, &rows, &bad, why, sizeof(why));
    cl_db_close(db);
    if (rc == CL_ECORRUPT && strncmp(why, "row ", 4) == 0)
        return failf("audit chain broken at %s", why); /* the reason names the row itself */
    if (rc == CL_ECORRUPT)
        return failf("audit chain broken at row %" PRIu64 "%s%s", bad, why[0] ? ": " : "", why);
    if (rc != 0)
        return failf("cannot verify the audit log: %s", cl_status_message(rc));
    printf("audit chain intact: %" PRIu64 " rows\n", rows);
    return EXIT_OK;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int is_group(const char *word)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++) {
        if (commands[i].group && strcmp(commands[i].group, word) == 0)
            return 1;
    }
    return 0;
}

/* The subcommands of `group`, comma-separated, into `out`. */
static void group_members(const char *group, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands) && used < outlen; i++) {
        if (commands[i].group && strcmp(commands[i].group, group) == 0) {
            int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", commands[i].name);
            if (n > 0)
                used += (size_t)n;
        }
    }
}

int cl_admin_main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *word = argv[1];
    if (strcmp(word, "help") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(word, "--version") == 0 || strcmp(word, "version") == 0) {
        printf("clinicd %s\n", CLINIC_VERSION);
        return EXIT_OK;
    }
    int grouped = is_group(word);
    if (grouped && argc < 3) {
        char members[128];
        group_members(word, members, sizeof(members));
        fprintf(stderr, "clinicd: %s needs a subcommand: %s\n", word, members);
        return EXIT_USAGE;
    }
    const char *sub = grouped ? argv[2] : NULL;
    const command_t *c = NULL;
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands) && c == NULL; i++) {
        if (grouped ? (commands[i].group && strcmp(commands[i].group, word) == 0 &&
                       strcmp(commands[i].name, sub) == 0)
                    : (commands[i].group == NULL && strcmp(commands[i].name, word) == 0))
            c = &commands[i];
    }
    if (c == NULL) {
        if (grouped) {
            char members[128];
            group_members(word, members, sizeof(members));
            fprintf(stderr, "clinicd: unknown command '%s %s' (%s has: %s)\n", word, sub, word,
                    members);
        } else {
            fprintf(stderr, "clinicd: unknown command '%s' (see clinicd --help)\n", word);
        }
        return EXIT_USAGE;
    }
    args_t a;
    int rc = parse_args(c, argc, argv, grouped ? 3 : 2, &a);
    if (rc >= 0)
        return rc;
    /* Everything the admin commands create (database, keys, backups) is the service account's
     * alone; the files meant to be shared (CA and server certificate, settings) set their own
     * modes explicitly. */
    umask(077);
    return c->run(&a);
}
