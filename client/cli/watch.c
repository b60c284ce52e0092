/* `clinic watch`: subscribes to topics and prints each change event as it comes. After a lost
 * connection it reconnects with backoff, resumes the session and subscribes again from the last
 * seq printed, so that no event is printed twice and none is skipped; when the server can no
 * longer replay that far back (resync) it says so and goes on from the current seq. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "mem.h"
#include "status.h"

enum { POLL_MS = 200, BACKOFF_FIRST_MS = 200, BACKOFF_MAX_MS = 5000 };

typedef struct {
    cli_t *cli;
    char **topics; /* owned */
    size_t n_topics;
    uint64_t last;    /* the seq of the last event printed, or the position to go on from */
    int positioned;   /* `last` is a real position (after a subscription, or --since) */
    char feed_id[64]; /* the feed `last` belongs to */
    uint64_t count;   /* --count: stop after this many events; 0: never */
    uint64_t printed;
    uint64_t deadline_ns; /* --timeout as a cl_mono_ns instant; 0: none */
    long reconnect_limit; /* failed attempts in a row before giving up; < 0: no limit */
    int subscribed;       /* the last connection got as far as its SubscribeReply */
} watch_t;

/* What one connection's run ended with. */
typedef enum { RUN_EXIT, RUN_LOST } run_end_t;

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

static const char *op_name(Clinic__ChangeOp op)
{
    switch (op) {
    case CLINIC__CHANGE_OP__CREATED:
        return "created";
    case CLINIC__CHANGE_OP__UPDATED:
        return "updated";
    case CLINIC__CHANGE_OP__DELETED:
        return "deleted";
    default:
        return "unspecified";
    }
}

static int past_deadline(const watch_t *w)
{
    return w->deadline_ns && cl_mono_ns() >= w->deadline_ns;
}

/* Prints `ev` unless it was printed already. Returns 0, or an exit status to stop with. */
static int emit(watch_t *w, const Clinic__Event *ev, int *done)
{
    cli_t *cli = w->cli;
    if (ev->seq <= w->last)
        return 0;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "seq", ev->seq);
        cl_json_kv_string(j, "topic", ev->topic);
        cl_json_kv_string(j, "entity", ev->entity);
        cl_json_kv_uint(j, "id", ev->entity_id);
        cl_json_kv_string(j, "op", op_name(ev->op));
        cl_json_kv_int(j, "time", ev->time);
        cl_json_object_end(j);
        cli_json_emit(cli);
    } else {
        char when[32];
        cli_time(ev->time, when, sizeof(when));
        printf("%llu ", (unsigned long long)ev->seq);
        cli_put(stdout, ev->topic, 0);
        printf(" ");
        cli_put(stdout, ev->entity[0] ? ev->entity : "-", 0);
        printf(" %llu %s %s\n", (unsigned long long)ev->entity_id, op_name(ev->op), when);
    }
    int out_errno = cli_flush();
    if (out_errno == EPIPE) {
        /* A reader that went away (`clinic watch | head -3`) has seen enough. */
        *done = 1;
        return 0;
    }
    if (out_errno != 0)
        return cli_error(CL_EIO, "cannot write the output: %s", strerror(out_errno));
    w->last = ev->seq;
    w->printed++;
    if (w->count && w->printed >= w->count)
        *done = 1;
    return 0;
}

static void print_resync(watch_t *w, uint64_t current_seq)
{
    cli_t *cli = w->cli;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_bool(&cli->j, "resync", 1);
        cl_json_kv_uint(&cli->j, "since_seq", w->last);
        cl_json_kv_uint(&cli->j, "current_seq", current_seq);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        printf("resync: events after seq %llu were missed (too old to replay); reload, going on "
               "from seq %llu\n",
               (unsigned long long)w->last, (unsigned long long)current_seq);
    }
}

/* Connects, resumes and subscribes from w->last, then prints events until the connection is
 * lost (RUN_LOST, *rc 0), or the watch ends (RUN_EXIT, *rc the exit status). `first` marks the
 * first connection, whose failures are final (a configuration problem, not an outage). */
static run_end_t run_connection(watch_t *w, int first, int *rc)
{
    cli_t *cli = w->cli;
    int done = 0;

    w->subscribed = 0;
    *rc = cli_resume(cli);
    if (*rc != 0)
        return *rc == CL_EXIT_UNAVAILABLE && !first ? RUN_LOST : RUN_EXIT;

    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.topics = w->topics;
    sub.n_topics = w->n_topics;
    sub.since_seq = w->last;
    sub.replay = w->positioned;
    sub.feed_id = w->feed_id;
    const Clinic__Response *resp;
    *rc = cli_send(cli, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp);
    if (*rc != 0)
        return *rc == CL_EXIT_UNAVAILABLE && !first ? RUN_LOST : RUN_EXIT;

    const Clinic__SubscribeReply *r = resp->subscribe;
    w->subscribed = 1;
    if (r->resync) {
        print_resync(w, r->current_seq);
        /* Another feed (a restored database) numbers from its own start: go on from there. */
        w->last = r->current_seq;
    } else {
        for (size_t i = 0; i < r->n_missed && !done; i++) {
            if ((*rc = emit(w, r->missed[i], &done)) != 0)
                return RUN_EXIT;
        }
        if (done)
            return RUN_EXIT;
    }
    /* The reply covered everything up to current_seq on these topics; with since_seq 0 (from
     * now on) current_seq is where the feed stands. */
    if (r->current_seq > w->last)
        w->last = r->current_seq;
    w->positioned = 1;
    snprintf(w->feed_id, sizeof(w->feed_id), "%s", r->feed_id);
    int out_errno = cli_flush();
    if (out_errno != 0) {
        *rc = out_errno == EPIPE
                  ? 0
                  : cli_error(CL_EIO, "cannot write the output: %s", strerror(out_errno));
        return RUN_EXIT;
    }

    for (;;) {
        if (cli_interrupted || past_deadline(w)) {
            *rc = 0;
            if (!cli_interrupted && w->count)
                *rc = cli_error(CL_ETIMEOUT, "timed out after %llu of %llu events",
                                (unsigned long long)w->printed, (unsigned long long)w->count);
            return RUN_EXIT;
        }
        const Clinic__Event *ev;
        cli_event_wait_t got = cli_next_event(cli, POLL_MS, &ev, rc);
        if (got == CLI_EVENT_NONE)
            continue;
        if (got != CLI_EVENT_READY)
            return got == CLI_EVENT_LOST ? RUN_LOST : RUN_EXIT;
        if ((*rc = emit(w, ev, &done)) != 0 || done)
            return RUN_EXIT;
    }
}

/* Sleeps `ms`, waking early for SIGINT or the deadline. */
static void pause_ms(const watch_t *w, unsigned ms)
{
    uint64_t until = cl_mono_ns() + (uint64_t)ms * 1000000u;
    while (!cli_interrupted && !past_deadline(w) && cl_mono_ns() < until) {
        struct timespec slice = {0, 50 * 1000000L};
        nanosleep(&slice, NULL);
    }
}

static int add_topics(watch_t *w, int n, char **args)
{
    for (int i = 0; i < n; i++) {
        char **items;
        size_t k;
        cl_cli_split_list(args[i], &items, &k);
        w->topics = cl_realloc(w->topics, (w->n_topics + k) * sizeof(*w->topics));
        memcpy(w->topics + w->n_topics, items, k * sizeof(*items));
        w->n_topics += k;
        free(items);
    }
    return w->n_topics > 0 ? 0 : -1;
}

int cmd_watch(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *count = NULL, *since = NULL, *timeout = NULL, *limit = NULL;
    const cli_opt_t opts[] = {{"--count", &count, NULL},
                              {"--since", &since, NULL},
                              {"--timeout", &timeout, NULL},
                              {"--reconnect-limit", &limit, NULL}};
    int npos, rc;
    watch_t w = {.cli = cli, .reconnect_limit = -1};
    uint64_t n;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (count && (cl_cli_parse_uint(count, UINT64_MAX, &w.count) != 0 || w.count == 0))
        return cli_usage_error(cmd, "--count: expected a number above 0");
    if (since && cl_cli_parse_uint(since, UINT64_MAX, &w.last) != 0)
        return cli_usage_error(cmd, "--since: expected a seq");
    w.positioned = since != NULL;
    if (timeout) {
        if (cl_cli_parse_uint(timeout, 365u * 86400, &n) != 0 || n == 0)
            return cli_usage_error(cmd, "--timeout: expected seconds above 0");
        w.deadline_ns = cl_mono_ns() + n * 1000000000ull;
    }
    if (limit) {
        if (cl_cli_parse_uint(limit, 1000000, &n) != 0)
            return cli_usage_error(cmd, "--reconnect-limit: expected a number");
        w.reconnect_limit = (long)n;
    }
    if (add_topics(&w, npos, argv) != 0) {
        free(w.topics);
        return cli_usage_error(cmd, "name at least one TOPIC (inbox, users)");
    }

    /* Fully buffered, flushed after each event: a failed write then shows in cli_flush with its
     * errno, so a reader that went away is told from a real error. */
    setvbuf(stdout, NULL, _IOFBF, BUFSIZ);

    /* No SA_RESTART: the flag is polled between waits of at most POLL_MS. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    unsigned backoff = BACKOFF_FIRST_MS;
    long failures = 0;
    for (int first = 1;; first = 0) {
        run_end_t end = run_connection(&w, first, &rc);
        cl_sync_close(cli->sync);
        cli->sync = NULL;
        if (end == RUN_EXIT)
            break;
        if (cli_interrupted || past_deadline(&w)) {
            rc = 0;
            if (!cli_interrupted && w.count)
                rc = cli_error(CL_ETIMEOUT, "timed out after %llu of %llu events",
                               (unsigned long long)w.printed, (unsigned long long)w.count);
            break;
        }
        /* Losing a connection that was subscribed starts the backoff afresh. */
        if (w.subscribed) {
            failures = 0;
            backoff = BACKOFF_FIRST_MS;
        }
        if (w.reconnect_limit >= 0 && failures >= w.reconnect_limit) {
            rc = cli_error(CL_EUNAVAIL, "gave up after %ld reconnect attempt%s", failures,
                           failures == 1 ? "" : "s");
            break;
        }
        fprintf(stderr, "clinic: reconnecting in %.1f s\n", backoff / 1000.0);
        pause_ms(&w, backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        failures++;
        if (cli_interrupted) {
            rc = 0;
            break;
        }
    }
    cl_cli_free_list(w.topics, w.n_topics);
    return rc;
}
