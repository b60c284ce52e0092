/* clinic-bench: a load generator for clinicd on one libuv loop with libclinic. It logs in once
 * with the password, opens N workstations' connections that resume that session, runs one
 * workload for a fixed time and prints requests/s, latency percentiles, errors and the server's
 * CPU and memory (ServerStatus, read before and after on a separate connection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "log.h"
#include "mem.h"
#include "status.h"

enum {
    MAX_CONNECTIONS = 100000,
    MAX_SECONDS = 3600,
    DEFAULT_RATE = 20,
    MAX_RATE = 1000,
    MAX_THINK_MS = 60000,
};

static const struct {
    const char *name;
    bench_workload_t workload;
} workloads[] = {
    {"ping", BENCH_PING},           {"whoami", BENCH_WHOAMI}, {"msg-send", BENCH_MSG_SEND},
    {"connect", BENCH_CONNECT},     {"idle", BENCH_IDLE},     {"fanout", BENCH_FANOUT},
    {"book", BENCH_BOOK},           {"search", BENCH_SEARCH}, {"board", BENCH_BOARD},
    {"frontdesk", BENCH_FRONTDESK},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clinic-bench --server HOST:PORT --ca F --cert F --key F --user U\n"
            "                    --password-file F --workload NAME --connections N --seconds S\n"
            "                    [--json] [--rate MSGS_PER_S] [--server-conf CLINICD_CONF]\n"
            "                    [--full-handshakes] [--think-ms MS]\n"
            "       clinic-bench --generate DIR --patients N [--appointments M]\n"
            "workloads: ping, whoami, msg-send, connect, idle, fanout, book, search, board,\n"
            "           frontdesk\n"
            "The server must be on this machine (a loopback address). --rate paces fanout's\n"
            "sender (default %d/s); --server-conf names the server's clinicd.conf, to report its\n"
            "scrypt setting. Connections resume TLS sessions as libclinic does, unless\n"
            "--full-handshakes. --generate fills the database of a stopped clinic (made by\n"
            "clinicd init) with N patients and M appointments, directly, for search.\n"
            "--think-ms makes each frontdesk workstation pause that long after every reply, as\n"
            "a clerk does between keystrokes and clicks (default 0: the next request at once).\n",
            DEFAULT_RATE);
}

/* The first line of `path`, without its line break. Returns 0 or CL_EIO / CL_EINVAL. */
static int read_password(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return CL_EIO;
    int rc = fgets(out, (int)outlen, f) ? 0 : CL_EINVAL;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return rc == 0 && out[0] ? 0 : CL_EINVAL;
}

/* scrypt_log2_n from the server's configuration file (its default, 15, when absent); 0 when the
 * file cannot be read. */
static int read_scrypt_setting(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int n = 15;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        int v;
        if (sscanf(line, " scrypt_log2_n = %d", &v) == 1)
            n = v;
    }
    fclose(f);
    return n;
}

/* Refuses to load anything but this machine: a benchmark must never hit a clinic in use. */
static int is_loopback(const char *server)
{
    return strncmp(server, "127.", 4) == 0 || strncmp(server, "localhost:", 10) == 0 ||
           strncmp(server, "[::1]:", 6) == 0;
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || *s == '-' || v == 0 || v > max)
        return CL_EINVAL;
    *out = v;
    return 0;
}

/* The options' values as given on the command line, before they are checked. */
typedef struct {
    const char *password_file, *workload, *connections, *seconds, *rate, *server_conf, *think_ms;
} given_t;

/* Where the value of the option `name` goes: a field of the client's configuration, of b or of
 * g; NULL for an option this program does not have. */
static const char **option_slot(bench_t *b, given_t *g, const char *name)
{
    const struct {
        const char *name;
        const char **slot;
    } options[] = {
        {"--server", &b->cfg.server},
        {"--ca", &b->cfg.ca_file},
        {"--cert", &b->cfg.cert_file},
        {"--key", &b->cfg.key_file},
        {"--user", &b->user},
        {"--password-file", &g->password_file},
        {"--workload", &g->workload},
        {"--connections", &g->connections},
        {"--seconds", &g->seconds},
        {"--rate", &g->rate},
        {"--server-conf", &g->server_conf},
        {"--think-ms", &g->think_ms},
    };
    for (size_t k = 0; k < CL_ARRAY_SIZE(options); k++)
        if (strcmp(options[k].name, name) == 0)
            return options[k].slot;
    return NULL;
}

/* Stores the value of every option of argv in its slot, and the flags in b; --help prints the
 * usage and exits. A name longer than `name` holds is cut short, so that it is reported as
 * unknown. Returns 0 or CL_EINVAL (printed). */
static int read_options(bench_t *b, given_t *g, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(arg, "--json") == 0) {
            b->json = 1;
            continue;
        }
        if (strcmp(arg, "--full-handshakes") == 0) {
            b->cfg.full_handshakes = 1;
            continue;
        }
        char name[32];
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
            value = eq + 1;
        } else if (strncmp(arg, "--", 2) == 0 && i + 1 < argc) {
            snprintf(name, sizeof(name), "%s", arg);
            value = argv[++i];
        } else {
            fprintf(stderr, "clinic-bench: unexpected argument \"%s\"\n", arg);
            return CL_EINVAL;
        }
        const char **slot = option_slot(b, g, name);
        if (slot == NULL) {
            fprintf(stderr, "clinic-bench: unknown option %s\n", name);
            return CL_EINVAL;
        }
        *slot = value;
    }
    return 0;
}

/* Whether every required option was given, with its partner, and the server is this machine's.
 * Returns 0 or CL_EINVAL (printed). */
static int check_required(const bench_t *b, const given_t *g)
{
    if (!b->cfg.server || !b->cfg.ca_file || !b->user || !g->password_file || !g->workload ||
        !g->connections || !g->seconds) {
        fprintf(stderr, "clinic-bench: --server, --ca, --user, --password-file, --workload, "
                        "--connections and --seconds are required\n");
        return CL_EINVAL;
    }
    if ((b->cfg.cert_file == NULL) != (b->cfg.key_file == NULL)) {
        fprintf(stderr, "clinic-bench: --cert and --key go together\n");
        return CL_EINVAL;
    }
    if (!is_loopback(b->cfg.server)) {
        fprintf(stderr,
                "clinic-bench: %s is not a loopback address: benchmark a server on this "
                "machine only (127.0.0.1:PORT)\n",
                b->cfg.server);
        return CL_EINVAL;
    }
    return 0;
}

/* Sets b's workload from its name. Returns 0 or CL_EINVAL (printed). */
static int set_workload(bench_t *b, const char *name)
{
    for (size_t w = 0; w < CL_ARRAY_SIZE(workloads); w++) {
        if (strcmp(workloads[w].name, name) == 0) {
            b->workload = workloads[w].workload;
            b->workload_name = workloads[w].name;
            return 0;
        }
    }
    fprintf(stderr, "clinic-bench: unknown workload \"%s\"\n", name);
    return CL_EINVAL;
}

/* parse_count for the value `s` of `option`. Returns 0 or CL_EINVAL (printed). */
static int parse_count_option(const char *option, const char *s, unsigned long max,
                              unsigned long *out)
{
    if (parse_count(s, max, out) == 0)
        return 0;
    fprintf(stderr, "clinic-bench: %s must be 1 to %lu\n", option, max);
    return CL_EINVAL;
}

/* Sets b's counts from their options, the optional ones to their defaults when absent. Returns 0
 * or CL_EINVAL (printed). */
static int set_counts(bench_t *b, const given_t *g)
{
    unsigned long v;
    if (parse_count_option("--connections", g->connections, MAX_CONNECTIONS, &v) != 0)
        return CL_EINVAL;
    b->connections = v;
    if (parse_count_option("--seconds", g->seconds, MAX_SECONDS, &v) != 0)
        return CL_EINVAL;
    b->seconds = (unsigned)v;
    b->rate = DEFAULT_RATE;
    if (g->rate) {
        if (parse_count_option("--rate", g->rate, MAX_RATE, &v) != 0)
            return CL_EINVAL;
        b->rate = (unsigned)v;
    }
    if (g->think_ms) {
        if (parse_count_option("--think-ms", g->think_ms, MAX_THINK_MS, &v) != 0)
            return CL_EINVAL;
        b->think_ms = (unsigned)v;
    }
    return 0;
}

/* Reads the password from the first line of `path` into b. Returns 0 or a negative status
 * (printed). */
static int set_password(bench_t *b, const char *path)
{
    int rc = read_password(path, b->password, sizeof(b->password));
    if (rc != 0)
        fprintf(stderr, "clinic-bench: %s: %s\n", path,
                rc == CL_EIO ? "cannot be read" : "holds no password on its first line");
    return rc;
}

/* Fills b from the command line, checking each option in a fixed order so that the first
 * mistake is the one reported. Returns 0 or a negative status (printed). */
static int parse_args(bench_t *b, int argc, char **argv)
{
    given_t g = {0};
    int rc;
    if ((rc = read_options(b, &g, argc, argv)) != 0 || (rc = check_required(b, &g)) != 0 ||
        (rc = set_workload(b, g.workload)) != 0 || (rc = set_counts(b, &g)) != 0)
        return rc;
    if (g.server_conf)
        b->scrypt_log2_n = read_scrypt_setting(g.server_conf);
    return set_password(b, g.password_file);
}

/* Every connection is a descriptor: take as many as the hard limit allows. */
static void raise_fd_limit(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need + 64)
        fprintf(stderr,
                "clinic-bench: warning: %zu connections need more descriptors than the "
                "limit of %llu\n",
                need, (unsigned long long)rl.rlim_cur);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Sets up the sender of fanout: its own connection on the same session, not subscribed. */
static void on_sender_resumed(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bc->b->ctl_done = 1;
    if (status == 0)
        bc->authed = 1;
    else
        bench_note_error(bc->b, "the fanout sender's resume",
                         resp && resp->status ? resp->status->message : "connection closed");
}

static void on_sender_ready(bench_conn_t *bc)
{
    if (bench_resume(bc, on_sender_resumed) != 0)
        bc->b->ctl_done = 1;
}

static void on_sender_end(bench_conn_t *bc, int status, const char *reason)
{
    (void)status;
    bench_t *b = bc->b;
    b->ctl_done = 1;
    if (!b->closing_all)
        bench_note_error(b, "the fanout sender's connection ended", reason);
}

static int sender_settled(bench_t *b)
{
    return b->ctl_done;
}

static int open_sender(bench_t *b)
{
    b->sender.on_ready = on_sender_ready;
    b->sender.on_end = on_sender_end;
    b->ctl_done = 0;
    if (bench_conn_start(b, &b->sender) != 0)
        return CL_ETLS;
    bench_run_until(b, sender_settled, 60000);
    if (!b->sender.authed)
        return CL_EUNAVAIL;
    clinic__message_send_request__init(&b->send);
    b->send.to = (char *)b->user;
    b->send.body = "clinic-bench fanout";
    bench_request_make(&b->send_req, CLINIC__REQUEST__BODY_MESSAGE_SEND, &b->send);
    return 0;
}

/* --- the report ---------------------------------------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* The run's figures, worked out once for both forms of the report. */
typedef struct {
    const bench_status_t *before, *after; /* borrowed: the server's status around the run */
    int have;                             /* both were read: the server's figures are known */
    bench_lat_t *lat;                     /* borrowed: the latencies reported */
    double elapsed, rps, setup_s, client_cpu, server_cpu;
    uint64_t requests, commits, committed, missed;
    size_t established;
    int64_t rss_delta;
} figures_t;

static void work_out_figures(bench_t *b, const bench_status_t *before, const bench_status_t *after,
                             double client_cpu, figures_t *f)
{
    uint64_t end = b->t_last > b->t_stop ? b->t_last : b->t_stop;
    f->before = before;
    f->after = after;
    f->client_cpu = client_cpu;
    f->elapsed = b->t_start && end > b->t_start ? (double)(end - b->t_start) / 1e9 : 0;
    f->lat = &b->lat;
    f->rps = f->elapsed > 0 ? (double)b->requests / f->elapsed : 0;
    f->setup_s = (double)(b->setup_end - b->setup_start) / 1e9;
    if (b->workload == BENCH_IDLE) {
        /* No requests run: the figures are those of the setup (handshake, Hello, Resume). */
        f->lat = &b->setup_lat;
        f->rps = f->setup_s > 0 ? (double)b->set_up / f->setup_s : 0;
    }
    f->have = before->ok && after->ok;
    f->server_cpu = f->have ? after->cpu_s - before->cpu_s : 0;
    f->commits = f->have ? after->commits - before->commits : 0;
    f->committed = f->have ? after->committed_requests - before->committed_requests : 0;
    f->established = b->workload == BENCH_CONNECT ? b->connections : b->set_up;
    f->requests = b->workload == BENCH_IDLE ? b->set_up : b->requests;
    f->missed = b->nsent * b->set_up > b->deliveries ? b->nsent * b->set_up - b->deliveries : 0;
    f->rss_delta = f->have ? (int64_t)after->current_rss - (int64_t)before->current_rss : 0;
}

/* The members every workload reports, opening the object. */
static void json_run(const bench_t *b, const figures_t *f)
{
    printf("{\"workload\":\"%s\",\"connections\":%zu,\"requests\":%llu,\"errors\":%llu,"
           "\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f",
           b->workload_name, b->connections, (unsigned long long)f->requests,
           (unsigned long long)b->errors, f->rps, ms(bench_lat_pct(f->lat, 500)),
           ms(bench_lat_pct(f->lat, 990)), ms(bench_lat_pct(f->lat, 999)));
    printf(",\"seconds\":%u,\"elapsed_s\":%.3f,\"connections_ok\":%zu,\"setup_failed\":%zu,"
           "\"lost_connections\":%llu,\"setup_s\":%.3f,\"client_cpu_s\":%.2f,"
           "\"login_ms\":%.1f",
           b->seconds, f->elapsed, f->established, b->setup_failed, (unsigned long long)b->lost,
           f->setup_s, f->client_cpu, b->login_ms);
}

static void json_server(const figures_t *f)
{
    printf(",\"server_cpu_s\":%.2f,\"server_peak_rss_bytes\":%llu,"
           "\"server_rss_bytes\":%llu,\"server_commits\":%llu,"
           "\"server_committed_requests\":%llu,\"mean_batch\":%.2f",
           f->server_cpu, (unsigned long long)f->after->peak_rss,
           (unsigned long long)f->after->current_rss, (unsigned long long)f->commits,
           (unsigned long long)f->committed, f->commits ? (double)f->committed / f->commits : 0);
}

/* The members of one workload only. */
static void json_workload(bench_t *b, const figures_t *f)
{
    if (b->workload == BENCH_CONNECT && b->scrypt_log2_n)
        printf(",\"scrypt_log2_n\":%d", b->scrypt_log2_n);
    if (b->workload == BENCH_CONNECT)
        printf(",\"tls_resumed\":%llu", (unsigned long long)b->tls_resumed);
    if (b->workload == BENCH_IDLE && f->have && b->set_up)
        printf(",\"rss_before_bytes\":%llu,\"rss_held_bytes\":%llu,"
               "\"rss_per_connection_bytes\":%lld",
               (unsigned long long)f->before->current_rss,
               (unsigned long long)f->after->current_rss,
               (long long)(f->rss_delta / (int64_t)b->set_up));
    if (b->workload == BENCH_FANOUT)
        printf(",\"subscribers\":%zu,\"rate\":%u,\"messages\":%zu,\"deliveries\":%llu,"
               "\"missed\":%llu,\"duplicates\":%llu,\"skipped_ticks\":%llu,"
               "\"send_p50_ms\":%.3f,\"send_p99_ms\":%.3f",
               b->set_up, b->rate, b->nsent, (unsigned long long)b->deliveries,
               (unsigned long long)f->missed, (unsigned long long)b->duplicates,
               (unsigned long long)b->skipped, ms(bench_lat_pct(&b->send_lat, 500)),
               ms(bench_lat_pct(&b->send_lat, 990)));
    if (b->workload == BENCH_BOOK)
        printf(",\"booked\":%llu,\"conflicts\":%llu,\"booked_rps\":%.1f,"
               "\"double_bookings\":%lld,\"booked_listed\":%llu",
               (unsigned long long)b->booked, (unsigned long long)b->conflicts,
               f->elapsed > 0 ? (double)b->booked / f->elapsed : 0,
               b->verified ? (long long)b->double_bookings : -1LL, (unsigned long long)b->listed);
    if (b->workload == BENCH_SEARCH)
        printf(",\"hits_mean\":%.2f,\"registered_patients\":%llu",
               b->requests ? (double)b->hits / (double)b->requests : 0,
               (unsigned long long)b->search_patients);
    if (b->workload == BENCH_BOARD)
        printf(",\"board_appointments\":%zu", b->board_size);
}

/* --json: the report as one object on one line. */
static void report_json(bench_t *b, const figures_t *f)
{
    json_run(b, f);
    if (f->have)
        json_server(f);
    json_workload(b, f);
    bench_fd_report(b);
    if (b->first_error[0]) {
        printf(",\"first_error\":");
        json_string(b->first_error);
    }
    printf("}\n");
}

/* The lines every workload prints, then those of fanout and connect. */
static void text_run(bench_t *b, const figures_t *f)
{
    printf("clinic-bench %s: %zu connections (%zu set up in %.2f s, %zu failed), %u s\n",
           b->workload_name, b->connections, b->set_up, f->setup_s, b->setup_failed, b->seconds);
    const char *unit = b->workload == BENCH_CONNECT  ? "connections/s"
                       : b->workload == BENCH_FANOUT ? "messages/s"
                       : b->workload == BENCH_IDLE   ? "connections set up/s"
                                                     : "requests/s";
    printf("  requests %llu, errors %llu (lost connections %llu): %.1f %s\n",
           (unsigned long long)f->requests, (unsigned long long)b->errors,
           (unsigned long long)b->lost, f->rps, unit);
    printf("  latency%s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
           b->workload == BENCH_FANOUT ? " (send to delivery, every subscriber)"
           : b->workload == BENCH_IDLE ? " (setup)"
                                       : "",
           ms(bench_lat_pct(f->lat, 500)), ms(bench_lat_pct(f->lat, 990)),
           ms(bench_lat_pct(f->lat, 999)));
    if (b->workload == BENCH_FANOUT)
        printf("  %zu messages to %zu subscribers: %llu deliveries, %llu missed, %llu duplicates; "
               "send p99 %.3f ms\n",
               b->nsent, b->set_up, (unsigned long long)b->deliveries,
               (unsigned long long)f->missed, (unsigned long long)b->duplicates,
               ms(bench_lat_pct(&b->send_lat, 990)));
    if (b->workload == BENCH_CONNECT)
        printf("  one password login: %.1f ms (scrypt_log2_n %s%d)\n", b->login_ms,
               b->scrypt_log2_n ? "" : "unknown, ", b->scrypt_log2_n);
}

/* The server's CPU, memory and commits over the run (idle: its memory per held connection). */
static void text_server(const bench_t *b, const figures_t *f)
{
    printf("  server: %.2f s CPU over the run, peak RSS %.1f MiB, RSS now %.1f MiB; %llu "
           "commits of %llu requests (mean batch %.2f)\n",
           f->server_cpu, f->after->peak_rss / 1048576.0, f->after->current_rss / 1048576.0,
           (unsigned long long)f->commits, (unsigned long long)f->committed,
           f->commits ? (double)f->committed / f->commits : 0);
    if (b->workload == BENCH_IDLE && b->set_up)
        printf("  server RSS per held connection: %lld bytes (%.1f KiB)\n",
               (long long)(f->rss_delta / (int64_t)b->set_up),
               (double)f->rss_delta / (double)b->set_up / 1024);
}

/* The line of book, search or board. */
static void text_front_desk(const bench_t *b, const figures_t *f)
{
    if (b->workload == BENCH_BOOK)
        printf("  booked %llu (%.1f/s), conflicts %llu; read back: %llu active, double bookings "
               "%lld\n",
               (unsigned long long)b->booked, f->elapsed > 0 ? (double)b->booked / f->elapsed : 0,
               (unsigned long long)b->conflicts, (unsigned long long)b->listed,
               b->verified ? (long long)b->double_bookings : -1LL);
    if (b->workload == BENCH_SEARCH)
        printf("  hits per search: %.2f\n",
               b->requests ? (double)b->hits / (double)b->requests : 0);
    if (b->workload == BENCH_BOARD)
        printf("  board of %zu appointments\n", b->board_size);
}

/* The report for people, a few lines. */
static void report_text(bench_t *b, const figures_t *f)
{
    text_run(b, f);
    if (f->have)
        text_server(b, f);
    text_front_desk(b, f);
    bench_fd_report(b);
    printf("  client: %.2f s CPU\n", f->client_cpu);
    if (b->first_error[0])
        printf("  first error: %s\n", b->first_error);
}

static void report(bench_t *b, const bench_status_t *before, const bench_status_t *after,
                   double client_cpu)
{
    figures_t f;
    work_out_figures(b, before, after, client_cpu, &f);
    if (b->json)
        report_json(b, &f);
    else
        report_text(b, &f);
}

/* --- main ---------------------------------------------------------------------------------- */

static int run(bench_t *b)
{
    bench_status_t before = {0}, after = {0};
    double cpu0 = cpu_seconds();
    int rc = bench_ctl_login(b);
    if (rc != 0)
        return rc;
    b->conns = cl_calloc(b->connections, sizeof(*b->conns));
    switch (b->workload) {
    case BENCH_PING:
    case BENCH_WHOAMI:
    case BENCH_MSG_SEND: {
        static Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
        static Clinic__WhoAmIRequest whoami = CLINIC__WHO_AM_IREQUEST__INIT;
        static Clinic__MessageSendRequest send = CLINIC__MESSAGE_SEND_REQUEST__INIT;
        /* 128 bytes, as the PostgreSQL anchor's row. */
        static char body[129];
        memset(body, 'a', 128);
        if (b->workload == BENCH_PING) {
            bench_request_make(&b->req, CLINIC__REQUEST__BODY_PING, &ping);
        } else if (b->workload == BENCH_WHOAMI) {
            bench_request_make(&b->req, CLINIC__REQUEST__BODY_WHOAMI, &whoami);
        } else {
            send.to = (char *)b->user;
            send.body = body;
            bench_request_make(&b->req, CLINIC__REQUEST__BODY_MESSAGE_SEND, &send);
        }
        if ((rc = bench_open_all(b)) != 0)
            break;
        bench_status(b, &before);
        cpu0 = cpu_seconds();
        bench_run_closed_loop(b);
        break;
    }
    case BENCH_CONNECT:
        bench_status(b, &before);
        cpu0 = cpu_seconds();
        bench_run_connect(b);
        break;
    case BENCH_IDLE:
        bench_status(b, &before);
        cpu0 = cpu_seconds();
        if ((rc = bench_open_all(b)) != 0)
            break;
        bench_run_idle(b);
        break;
    case BENCH_FANOUT:
        b->subscribe = 1;
        if ((rc = bench_open_all(b)) != 0 || (rc = open_sender(b)) != 0)
            break;
        bench_status(b, &before);
        cpu0 = cpu_seconds();
        bench_run_fanout(b);
        break;
    case BENCH_BOOK:
    case BENCH_SEARCH:
    case BENCH_BOARD:
    case BENCH_FRONTDESK:
        /* Every workstation watches the board: how soon the others hear of a flow step. */
        b->subscribe = b->workload == BENCH_FRONTDESK;
        b->topic = "board";
        if ((rc = bench_fd_setup(b)) != 0 || (rc = bench_open_all(b)) != 0)
            break;
        bench_status(b, &before);
        cpu0 = cpu_seconds();
        bench_run_fd(b);
        break;
    }
    if (rc != 0) {
        fprintf(stderr, "clinic-bench: %s: no connection could be set up: %s\n", b->workload_name,
                b->first_error[0] ? b->first_error : cl_status_message(rc));
        return rc;
    }
    double client_cpu = cpu_seconds() - cpu0;
    bench_status(b, &after);
    bench_fd_verify(b);
    report(b, &before, &after, client_cpu);
    return 0;
}

int main(int argc, char **argv)
{
    static bench_t bench;
    bench_t *b = &bench;
    cl_log_set_name("clinic-bench");
    if (argc > 1 && strcmp(argv[1], "--generate") == 0)
        return bench_generate(argc, argv);
    if (parse_args(b, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    b->cfg.client_name = "clinic-bench";
    b->cfg.timeout_ms = 30000;
    raise_fd_limit(b->connections + 2);

    uv_loop_t loop;
    uv_loop_init(&loop);
    b->loop = &loop;
    uv_timer_init(&loop, &b->wake);
    uv_timer_init(&loop, &b->clock);

    int rc = run(b);

    bench_close_all(b);
    uv_close((uv_handle_t *)&b->wake, NULL);
    uv_close((uv_handle_t *)&b->clock, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "clinic-bench: warning: the loop closed with handles open\n");
    if (b->ctl_resp)
        clinic__response__free_unpacked(b->ctl_resp, NULL);
    bench_lat_free(&b->lat);
    bench_lat_free(&b->setup_lat);
    bench_lat_free(&b->send_lat);
    free(b->sent);
    free(b->conns);
    return rc == 0 ? 0 : 1;
}
