/* `clinicd init`: creates a clinic in a data directory (its settings, the CA and the server
 * certificate, the database and the first admin user) and, when a step fails, takes back what
 * it made so that init can be run again. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_int.h"
#include "auth.h"
#include "certs.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "status.h"

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
            cl_admin_join_path(path, sizeof(path), u->dir, db_files[i]);
            unlink(path);
        }
    }
    if (u->made_certs) {
        for (size_t i = 0; i < CL_ARRAY_SIZE(tls_files); i++) {
            cl_certs_path(u->dir, tls_files[i], path, sizeof(path));
            unlink(path);
        }
        cl_admin_join_path(path, sizeof(path), u->dir, "tls");
        rmdir(path);
    }
    if (u->made_config) {
        cl_admin_join_path(path, sizeof(path), u->dir, "clinicd.conf");
        unlink(path);
    }
    if (u->made_dir)
        rmdir(u->dir);
}

/* Builds the configuration: an existing clinicd.conf (if an administrator prepared one), then
 * the defaults, then the command's --clinic-name and --listen. */
static int init_config(const cl_admin_args_t *a, const char *conf_path, cl_config_t *cfg)
{
    char err[512];
    cl_config_defaults(cfg);
    if (cl_config_load(cfg, conf_path, err, sizeof(err)) != 0)
        return cl_admin_fail("%s", err);
    if (a->clinic_name) {
        if (!cl_admin_valid_text(a->clinic_name, sizeof(cfg->clinic_name) - 1))
            return cl_admin_fail(
                "the clinic name must be 1-%zu characters with no control characters",
                sizeof(cfg->clinic_name) - 1);
        snprintf(cfg->clinic_name, sizeof(cfg->clinic_name), "%s", a->clinic_name);
    }
    if (a->listen) {
        /* The configuration parser is the one judge of a listen address. */
        char line[300];
        if (!cl_admin_valid_text(a->listen, sizeof(cfg->listen) - 1))
            return cl_admin_fail(
                "--listen '%s' is not IPV4:PORT or [IPV6]:PORT (an address, not a host name)",
                a->listen);
        snprintf(line, sizeof(line), "listen = %s\n", a->listen);
        cl_config_t probe = *cfg;
        if (cl_config_parse(&probe, line, err, sizeof(err)) != 0)
            return cl_admin_fail(
                "--listen '%s' is not IPV4:PORT or [IPV6]:PORT (an address, not a host name)",
                a->listen);
        snprintf(cfg->listen, sizeof(cfg->listen), "%s", probe.listen);
    }
    cl_auth_set_scrypt_cost(cfg->scrypt_log2_n);
    return EXIT_OK;
}

/* Creates the data directory unless it exists, writes the settings and makes the CA and the
 * server certificate, noting in `undo` what it made. Prints why not and returns EXIT_FAIL, or
 * returns EXIT_OK. */
static int init_files(const cl_admin_args_t *a, const cl_config_t *cfg, const char *conf_path,
                      init_undo_t *undo)
{
    struct stat st;
    int rc;

    if (mkdir(a->data, 0700) == 0)
        undo->made_dir = 1;
    else if (errno != EEXIST)
        return cl_admin_fail("cannot create %s: %s", a->data, strerror(errno));
    else if (stat(a->data, &st) != 0 || !S_ISDIR(st.st_mode))
        return cl_admin_fail("%s exists and is not a directory", a->data);
    undo->made_config = !cl_admin_file_exists(conf_path);
    if ((rc = cl_config_write(cfg, conf_path)) != 0)
        return cl_admin_fail("cannot write %s: %s", conf_path, cl_status_message(rc));
    undo->made_certs = 1;
    if ((rc = cl_certs_init(a->data, cfg->clinic_name, a->sans, a->nsans)) != 0) {
        /* A CA that was there before is not ours to remove. */
        undo->made_certs = rc != CL_EEXIST;
        return cl_admin_fail("cannot create the certificates in %s/tls: %s", a->data,
                             cl_status_message(rc));
    }
    return EXIT_OK;
}

/* Creates the database `db_path` with the clinic's meta rows and the first admin user, whose
 * password hash is `hash`, noting in `undo` that it made it. Prints why not and returns
 * EXIT_FAIL, or returns EXIT_OK. */
static int init_database(const char *data, const char *db_path, const cl_config_t *cfg,
                         const char *hash, init_undo_t *undo)
{
    char created[32];
    cl_db_t *db = NULL;
    int64_t id = 0;
    int rc, status = EXIT_OK;

    undo->made_db = 1;
    if ((rc = cl_db_open(db_path, CL_DB_CREATE, &db)) != 0)
        return cl_admin_fail("cannot create %s: %s", db_path, cl_status_message(rc));
    int64_t now = cl_now();
    snprintf(created, sizeof(created), "%" PRId64, now);
    rc = cl_admin_begin(db);
    if (rc == 0)
        rc = cl_admin_set_meta(db, "clinic_name", cfg->clinic_name);
    if (rc == 0)
        rc = cl_admin_set_meta(db, "created_at", created);
    if (rc == 0)
        rc = cl_admin_record_ca(db, data);
    if (rc == 0)
        rc = cl_admin_set_new_feed_id(db);
    if (rc == 0)
        rc = cl_admin_insert_user(db, now, "admin", "Administrator", CL_ROLE_admin, hash, &id);
    if ((rc = cl_admin_end_tx(db, rc)) != 0)
        status =
            cl_admin_fail("cannot write the first user to %s: %s", db_path, cl_status_message(rc));
    cl_db_close(db);
    return status;
}

int cl_admin_cmd_init(const cl_admin_args_t *a)
{
    char db_path[PATH_MAX], conf_path[PATH_MAX], ca_path[PATH_MAX];
    char password[CL_PASSWORD_MAX + 1], hash[CL_PASSWORD_HASH_MAX];
    init_undo_t undo = {.dir = a->data};
    cl_config_t cfg;
    int generated = 0, rc, status = EXIT_FAIL;

    cl_admin_join_path(db_path, sizeof(db_path), a->data, "clinic.db");
    cl_admin_join_path(conf_path, sizeof(conf_path), a->data, "clinicd.conf");
    cl_certs_path(a->data, "ca.crt", ca_path, sizeof(ca_path));
    if (cl_admin_file_exists(db_path))
        return cl_admin_fail("%s already holds a clinic (%s exists)", a->data, db_path);
    if (init_config(a, conf_path, &cfg) != EXIT_OK)
        return EXIT_FAIL;
    /* Everything that can be refused is checked before anything is created. */
    if (cl_admin_get_password(a->admin_password_file, password, &generated) != EXIT_OK)
        return EXIT_FAIL;
    rc = cl_auth_hash_password(password, hash);
    if (rc != 0) {
        status = cl_admin_fail("cannot hash the password: %s", cl_status_message(rc));
        goto out;
    }
    if (init_files(a, &cfg, conf_path, &undo) != EXIT_OK ||
        init_database(a->data, db_path, &cfg, hash, &undo) != EXIT_OK)
        goto out;

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
    if (status != EXIT_OK)
        init_undo(&undo);
    OPENSSL_cleanse(password, sizeof(password));
    OPENSSL_cleanse(hash, sizeof(hash));
    return status;
}
