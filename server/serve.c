/* `clinicd serve`: configuration, the store thread, the listener and signals; the orderly stop on
 * SIGTERM or SIGINT (stop accepting, answer what is in flight, commit, checkpoint, exit 0). */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "admin.h"
#include "auth.h"
#include "calendar.h"
#include "clock.h"
#include "log.h"
#include "policy.h"
#include "server_int.h"
#include "status.h"

static void usage(void)
{
    fprintf(stderr, "usage: clinicd serve --data DIR [--listen ADDR:PORT]\n");
}

static void on_signal(uv_signal_t *h, int signum)
{
    cl_server_t *srv = h->data;
    cl_info("%s received", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    cl_net_drain(srv);
}

void cl_serve_stopped(cl_server_t *srv)
{
    cl_net_flush(srv); /* the turn's last requests */
    srv->store_stopping = 1;
    cl_store_stop(srv->store);
    srv->store = NULL;
    cl_net_flush(srv);
    uv_close((uv_handle_t *)&srv->flush_prepare, NULL);
    uv_close((uv_handle_t *)&srv->sweep_timer, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
}

/* Reads the arguments into *data and *listen (borrowed from argv). Returns -1 when the server
 * should start, else the exit status: 0 after --help, 2 after a usage error. */
static int parse_args(int argc, char **argv, const char **data, const char **listen)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            *data = argv[++i];
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            *listen = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "clinicd: serve: unknown or incomplete argument \"%s\"\n", argv[i]);
            usage();
            return 2;
        }
    }
    if (*data == NULL) {
        usage();
        return 2;
    }
    return -1;
}

/* Each connection is a descriptor: allow as many as the hard limit does. */
static void raise_descriptor_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Loads DIR/clinicd.conf into srv->cfg, lets --listen override its address, and hands the
 * settings that live outside the server (policy, scrypt cost, time zone) to their modules.
 * Returns 0, or 1 after printing why the server cannot start. */
static int load_config(cl_server_t *srv, const char *data, const char *listen)
{
    char path[600], err[256];
    cl_config_defaults(&srv->cfg);
    snprintf(path, sizeof(path), "%s/clinicd.conf", data);
    /* clinicd init writes it: without it the daemon would serve under default settings (another
     * name, address, time zone and limits) without a word. */
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        fprintf(stderr,
                "clinicd: %s is missing: it holds the clinic's settings; put back your copy of it "
                "(docs/ADMIN.md lists every setting)\n",
                path);
        return 1;
    }
    if (cl_config_load(&srv->cfg, path, err, sizeof(err)) != 0) {
        /* A read error already names the file; a parse error ("line 3: ...") does not. */
        if (strncmp(err, path, strlen(path)) == 0)
            fprintf(stderr, "clinicd: %s\n", err);
        else
            fprintf(stderr, "clinicd: %s: %s\n", path, err);
        return 1;
    }
    if (listen)
        snprintf(srv->cfg.listen, sizeof(srv->cfg.listen), "%s", listen);
    cl_policy.idle_logoff_s = srv->cfg.idle_logoff_seconds
                                  ? (int64_t)srv->cfg.idle_logoff_seconds
                                  : (int64_t)srv->cfg.idle_logoff_minutes * 60;
    cl_policy.lockout_failures = srv->cfg.lockout_failures;
    cl_policy.lockout_s = (int64_t)srv->cfg.lockout_minutes * 60;
    cl_auth_set_scrypt_cost(srv->cfg.scrypt_log2_n);
    if (cl_calendar_set_zone(srv->cfg.time_zone) != 0) {
        fprintf(stderr, "clinicd: time_zone \"%s\" is not in the zone database\n",
                srv->cfg.time_zone);
        return 1;
    }
    return 0;
}

/* Writes the database's path into db_path, checks that DIR holds a clinic and locks DIR with
 * *lock_fd. Returns 0, or 1 after printing why the server cannot start. */
static int open_data_dir(const char *data, char *db_path, size_t size, int *lock_fd)
{
    snprintf(db_path, size, "%s/clinic.db", data);
    FILE *probe = fopen(db_path, "r");
    if (probe == NULL) {
        fprintf(stderr, "clinicd: %s holds no clinic: run `clinicd init --data %s` first\n", data,
                data);
        return 1;
    }
    fclose(probe);
    if (cl_admin_lock_data_dir(data, lock_fd) != 0)
        return 1;
    return 0;
}

/* Initializes `loop` for srv, starts the store thread on db_path (borrowed until the store
 * stops), listens and catches SIGTERM and SIGINT. Returns 0, or 1 after reporting why the server
 * cannot start; the loop is then closed. */
static int start_serving(cl_server_t *srv, uv_loop_t *loop, const char *db_path)
{
    uv_loop_init(loop);
    srv->loop = loop;
    srv->started_at = cl_now();
    cl_store_config_t scfg = {.db_path = db_path,
                              .readers = srv->cfg.readers,
                              .wal_checkpoint_pages = srv->cfg.wal_checkpoint_pages,
                              .board_arrived_wait = srv->cfg.board_arrived_wait_minutes,
                              .board_roomed_wait = srv->cfg.board_roomed_wait_minutes};
    if (cl_store_start(&scfg, loop, cl_dispatch_done, srv, &srv->store) != 0) {
        fprintf(stderr, "clinicd: cannot open the database %s (see the log above)\n", db_path);
        uv_loop_close(loop);
        return 1;
    }
    if (cl_net_listen(srv) != 0) {
        cl_store_stop(srv->store);
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        return 1;
    }
    uv_signal_init(loop, &srv->sigterm);
    uv_signal_init(loop, &srv->sigint);
    srv->sigterm.data = srv->sigint.data = srv;
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    return 0;
}

int cl_serve_main(int argc, char **argv)
{
    const char *data = NULL, *listen = NULL;
    int rc = parse_args(argc, argv, &data, &listen);
    if (rc >= 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    raise_descriptor_limit();

    static cl_server_t srv; /* one per process; large (the login rate table) */
    memset(&srv, 0, sizeof(srv));
    snprintf(srv.data_dir, sizeof(srv.data_dir), "%s", data);
    if (load_config(&srv, data, listen) != 0)
        return 1;
    char path[600];
    int lock_fd; /* held until exit: `clinicd restore` and a second daemon refuse meanwhile */
    if (open_data_dir(data, path, sizeof(path), &lock_fd) != 0)
        return 1;

    uv_loop_t loop;
    if (start_serving(&srv, &loop, path) != 0)
        return 1;
    cl_info("clinicd %s serving \"%s\" from %s", CLINIC_VERSION, srv.cfg.clinic_name, data);
    cl_info("listening on %s (workstation certificates %s)", srv.listen_addr,
            srv.cfg.require_client_cert ? "required" : "optional");

    uv_run(&loop, UV_RUN_DEFAULT);

    SSL_CTX_free(srv.tls_ctx);
    rc = uv_loop_close(&loop);
    if (rc != 0)
        cl_warn("the loop closed with handles open: %s", uv_strerror(rc));
    cl_info("stopped");
    return 0;
}
