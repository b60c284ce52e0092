/* The offline administration commands' frame: the table of commands with their options and
 * usage, a small option parser and the dispatch of `clinicd <command>`, plus what every command
 * uses (messages, opening a clinic, transactions, audit rows, meta). The commands themselves are
 * in admin_init.c, admin_people.c and admin_backup.c; each makes its changes in one transaction
 * with its audit row. */
#include "admin.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "audit.h"
#include "certs.h"
#include "clock.h"
#include "db.h"
#include "identity.h"
#include "mem.h"
#include "status.h"

enum { SQL_META_SET, SQL_META_GET, SQL__COUNT };

static const char *const sql[SQL__COUNT] = {
    [SQL_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

static sqlite3_stmt *stmt(cl_db_t *db, int which)
{
    return cl_db_stmt(db, sql[which]);
}

/* Who the audit log says made an offline change. */
#define ADMIN_ACTOR "clinicd-admin"
#define ADMIN_WORKSTATION "console"

/* ---- options ------------------------------------------------------------------------------ */

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
    size_t offset; /* of the const char * in cl_admin_args_t; --san is the repeatable exception */
} option_t;

static const option_t options[] = {
    {"--data", OPT_DATA, offsetof(cl_admin_args_t, data)},
    {"--out", OPT_OUT, offsetof(cl_admin_args_t, out)},
    {"--clinic-name", OPT_CLINIC_NAME, offsetof(cl_admin_args_t, clinic_name)},
    {"--admin-password-file", OPT_ADMIN_PASSWORD_FILE,
     offsetof(cl_admin_args_t, admin_password_file)},
    {"--san", OPT_SAN, 0},
    {"--listen", OPT_LISTEN, offsetof(cl_admin_args_t, listen)},
    {"--roles", OPT_ROLES, offsetof(cl_admin_args_t, roles)},
    {"--full-name", OPT_FULL_NAME, offsetof(cl_admin_args_t, full_name)},
    {"--password-file", OPT_PASSWORD_FILE, offsetof(cl_admin_args_t, password_file)},
    {"--to", OPT_TO, offsetof(cl_admin_args_t, to)},
    {"--from", OPT_FROM, offsetof(cl_admin_args_t, from)},
};

typedef struct {
    const char *group; /* "user", or NULL for a command of its own */
    const char *name;
    unsigned allowed;       /* OPT_* it accepts */
    unsigned required;      /* OPT_* it needs */
    const char *positional; /* "USERNAME", or NULL when it takes none */
    int (*run)(const cl_admin_args_t *a);
    const char *usage;
    const char *summary;
} command_t;

static const command_t commands[] = {
    {NULL, "init", OPT_DATA | OPT_CLINIC_NAME | OPT_ADMIN_PASSWORD_FILE | OPT_SAN | OPT_LISTEN,
     OPT_DATA, NULL, cl_admin_cmd_init,
     "clinicd init --data DIR [--clinic-name NAME] [--admin-password-file FILE] [--san NAME ...] "
     "[--listen ADDR:PORT]",
     "create a clinic: settings, database, CA and server certificate, the first admin user"},
    {"workstation", "add", OPT_DATA | OPT_OUT, OPT_DATA | OPT_OUT, "NAME",
     cl_admin_cmd_workstation_add, "clinicd workstation add NAME --data DIR --out OUTDIR",
     "issue a workstation's client certificate into OUTDIR"},
    {"workstation", "list", OPT_DATA, OPT_DATA, NULL, cl_admin_cmd_workstation_list,
     "clinicd workstation list --data DIR", "list the workstations"},
    {"workstation", "revoke", OPT_DATA, OPT_DATA, "NAME", cl_admin_cmd_workstation_revoke,
     "clinicd workstation revoke NAME --data DIR",
     "revoke a workstation's certificate (rewrites the CRL)"},
    {"workstation", "crl", OPT_DATA, OPT_DATA, NULL, cl_admin_cmd_workstation_crl,
     "clinicd workstation crl --data DIR",
     "write the certificate revocation list again from the database (a lost tls/crl.pem)"},
    {"user", "add", OPT_DATA | OPT_ROLES | OPT_FULL_NAME | OPT_PASSWORD_FILE, OPT_DATA | OPT_ROLES,
     "USERNAME", cl_admin_cmd_user_add,
     "clinicd user add USERNAME --data DIR --roles ROLE[,ROLE...] [--full-name NAME] "
     "[--password-file FILE]",
     "add a user (a password is generated and printed unless given)"},
    {"user", "list", OPT_DATA, OPT_DATA, NULL, cl_admin_cmd_user_list,
     "clinicd user list --data DIR", "list the users"},
    {"user", "passwd", OPT_DATA | OPT_PASSWORD_FILE, OPT_DATA, "USERNAME", cl_admin_cmd_user_passwd,
     "clinicd user passwd USERNAME --data DIR [--password-file FILE]",
     "set a user's password, clear a lockout and end the user's sessions"},
    {"user", "disable", OPT_DATA, OPT_DATA, "USERNAME", cl_admin_cmd_user_disable,
     "clinicd user disable USERNAME --data DIR", "disable a user and end the user's sessions"},
    {NULL, "backup", OPT_DATA | OPT_TO, OPT_DATA | OPT_TO, NULL, cl_admin_cmd_backup,
     "clinicd backup --data DIR --to FILE",
     "copy the database to FILE, consistently, while the daemon runs"},
    {NULL, "restore", OPT_DATA | OPT_FROM, OPT_DATA | OPT_FROM, NULL, cl_admin_cmd_restore,
     "clinicd restore --data DIR --from FILE",
     "check a backup and put it in place of the database (the daemon must be stopped)"},
    {"audit", "verify", OPT_DATA, OPT_DATA, NULL, cl_admin_cmd_audit_verify,
     "clinicd audit verify --data DIR", "check the audit log's hash chain"},
};

int cl_admin_fail(const char *fmt, ...)
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
static int parse_args(const command_t *c, int argc, char **argv, int i, cl_admin_args_t *a)
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
            if (a->nsans == CL_ADMIN_SANS_MAX)
                return usage_error(c, "at most %d --san names", CL_ADMIN_SANS_MAX);
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

/* ---- shared by the commands --------------------------------------------------------------- */

void cl_admin_join_path(char *out, size_t outlen, const char *dir, const char *file)
{
    snprintf(out, outlen, "%s/%s", dir, file);
}

int cl_admin_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Free text (a clinic's or a person's name): 1..max bytes, no control characters. */
int cl_admin_valid_text(const char *s, size_t max)
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
int cl_admin_open_clinic(const char *dir, int flags, cl_db_t **db)
{
    char path[PATH_MAX];
    cl_admin_join_path(path, sizeof(path), dir, "clinic.db");
    *db = NULL;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return cl_admin_fail("%s holds no clinic (no clinic.db): run clinicd init first", dir);
    /* Permission denied and the like: say so, not "no clinic" (the account may be the wrong one).
     */
    if (access(path, R_OK) != 0)
        return cl_admin_fail("cannot open %s: %s (run this as the account that owns the data "
                             "directory)",
                             path, strerror(errno));
    int rc = cl_db_open(path, flags, db);
    if (rc != 0)
        return cl_admin_fail("cannot open %s: %s", path, cl_status_message(rc));
    sqlite3_busy_handler(cl_db_handle(*db), on_busy, NULL);
    return EXIT_OK;
}

int cl_admin_begin(cl_db_t *db)
{
    /* IMMEDIATE: take the write lock now, waiting out the daemon's batch, rather than failing
     * with BUSY halfway through when a read turns into a write. */
    return cl_db_exec(db, "BEGIN IMMEDIATE");
}

/* Commits when rc is 0, else rolls back. Returns rc, or the COMMIT's failure. */
int cl_admin_end_tx(cl_db_t *db, int rc)
{
    if (rc == 0 && (rc = cl_db_exec(db, "COMMIT")) == 0)
        return 0;
    if (!sqlite3_get_autocommit(cl_db_handle(db)))
        cl_db_exec(db, "ROLLBACK");
    return rc;
}

/* Runs a statement that returns no rows (or whose rows do not matter). */
int cl_admin_run_stmt(cl_db_t *db, sqlite3_stmt *st)
{
    int rc;
    while ((rc = cl_db_step(db, st)) == 1)
        ;
    return rc;
}

int cl_admin_audit_append(cl_db_t *db, int64_t now, const char *action, const char *entity,
                          int64_t id)
{
    cl_identity_t who;
    memset(&who, 0, sizeof(who));
    snprintf(who.username, sizeof(who.username), "%s", ADMIN_ACTOR);
    snprintf(who.workstation, sizeof(who.workstation), "%s", ADMIN_WORKSTATION);
    return cl_audit_append(db, now, &who, action, entity, (uint64_t)id);
}

int cl_admin_set_meta(cl_db_t *db, const char *key, const char *value)
{
    sqlite3_stmt *st = stmt(db, SQL_META_SET);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return cl_admin_run_stmt(db, st);
}

int cl_admin_get_meta(cl_db_t *db, const char *key, char *out, size_t outlen)
{
    sqlite3_stmt *st = stmt(db, SQL_META_GET);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = cl_db_step(db, st);
    if (rc == 1)
        snprintf(out, outlen, "%s", cl_db_text(st, 0));
    sqlite3_reset(st);
    return rc < 0 ? rc : rc == 1 ? 0 : CL_ENOTFOUND;
}

int cl_admin_record_ca(cl_db_t *db, const char *data_dir)
{
    char fingerprint[65];
    int rc = cl_certs_ca_fingerprint(data_dir, fingerprint);
    return rc != 0 ? rc : cl_admin_set_meta(db, "ca_sha256", fingerprint);
}

int cl_admin_set_new_feed_id(cl_db_t *db)
{
    uint8_t raw[8];
    char hex[17];
    cl_random(raw, sizeof(raw));
    cl_hex(raw, sizeof(raw), hex);
    return cl_admin_set_meta(db, "feed_id", hex);
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
    cl_admin_args_t a;
    int rc = parse_args(c, argc, argv, grouped ? 3 : 2, &a);
    if (rc >= 0)
        return rc;
    /* Everything the admin commands create (database, keys, backups) is the service account's
     * alone; the files meant to be shared (CA and server certificate, settings) set their own
     * modes explicitly. */
    umask(077);
    return c->run(&a);
}
