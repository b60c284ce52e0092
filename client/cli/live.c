/* A view that redraws itself live, for `board --watch` and `approvals --watch`: subscribe first,
 * then read and draw (a change committed after the read comes as an event, and whatever happened
 * while disconnected is in the drawing, so nothing needs replaying), then redraw as events come,
 * at most every REDRAW_MIN_MS and every refresh_ms regardless. A lost connection is made again
 * with backoff; a failed login or an expired session ends the view. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "status.h"

enum {
    POLL_MS = 200,
    REDRAW_MIN_MS = 100, /* at most ten redraws a second, however many events come */
    BACKOFF_FIRST_MS = 200,
    BACKOFF_MAX_MS = 5000,
};

typedef enum { RUN_EXIT, RUN_LOST } run_end_t;

cli_event_wait_t cli_next_event(cli_t *cli, int wait_ms, const Clinic__Event **ev, int *rc)
{
    char err[512];
    int status = cl_sync_next_event(cli->sync, wait_ms, ev, err, sizeof(err));
    if (status == CL_ETIMEOUT)
        return CLI_EVENT_NONE;
    if (status != 0 && cl_cli_exit_status(status) == CL_EXIT_UNAUTH) {
        *rc = cli_error(status, "%s: run 'clinic login'", err);
        return CLI_EVENT_END;
    }
    if (status != 0) {
        cli_error(status, "connection lost: %s", err);
        *rc = 0;
        return CLI_EVENT_LOST;
    }
    if ((*ev)->session_expired) {
        cl_settings_remove_token(cli->config_dir);
        *rc = cli_error(CL_EEXPIRED, "session expired: run 'clinic login'");
        return CLI_EVENT_END;
    }
    return CLI_EVENT_READY;
}

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

static int past_deadline(const cli_live_t *v)
{
    return v->deadline_ns && cl_mono_ns() >= v->deadline_ns;
}

/* Output that failed: a reader that went away (EPIPE) ends the view quietly. */
static int output_failed(int *rc)
{
    int out_errno = cli_flush();
    if (out_errno == 0)
        return 0;
    *rc = out_errno == EPIPE
              ? 0
              : cli_error(CL_EIO, "cannot write the output: %s", strerror(out_errno));
    return 1;
}

/* Draws once; RUN_EXIT with *rc when the view ends (an error, the output gone, the count
 * reached), else -1 to go on. */
static int draw_once(cli_live_t *v, int *rc)
{
    if ((*rc = v->draw(v)) != 0)
        return *rc == CL_EXIT_UNAVAILABLE ? RUN_LOST : RUN_EXIT;
    v->drawn++;
    if (output_failed(rc) || (v->count && v->drawn >= v->count))
        return RUN_EXIT;
    return -1;
}

/* One connection's life: resume, subscribe, draw, redraw on events, until the connection is
 * lost (RUN_LOST) or the view ends (RUN_EXIT with *rc). */
static run_end_t run_connection(cli_live_t *v, int first, int *rc)
{
    cli_t *cli = v->cli;
    int end;

    v->subscribed = 0;
    if ((*rc = cli_resume(cli)) != 0 || (*rc = v->subscribe(v)) != 0)
        return *rc == CL_EXIT_UNAVAILABLE && !first ? RUN_LOST : RUN_EXIT;
    v->subscribed = 1;
    if ((end = draw_once(v, rc)) >= 0)
        return (run_end_t)end;
    uint64_t drawn_ns = cl_mono_ns();
    int dirty = 0;
    for (;;) {
        if (cli_interrupted || past_deadline(v)) {
            *rc = 0;
            return RUN_EXIT;
        }
        uint64_t since_ms = (cl_mono_ns() - drawn_ns) / 1000000;
        if ((dirty && since_ms >= REDRAW_MIN_MS) || since_ms >= v->refresh_ms) {
            if ((end = draw_once(v, rc)) >= 0)
                return (run_end_t)end;
            drawn_ns = cl_mono_ns();
            dirty = 0;
            continue;
        }
        int wait = dirty ? (int)(REDRAW_MIN_MS - since_ms) : POLL_MS;
        const Clinic__Event *ev;
        cli_event_wait_t got = cli_next_event(cli, wait, &ev, rc);
        if (got == CLI_EVENT_NONE)
            continue;
        if (got != CLI_EVENT_READY)
            return got == CLI_EVENT_LOST ? RUN_LOST : RUN_EXIT;
        if (v->relevant == NULL || v->relevant(v, ev))
            dirty = 1;
    }
}

/* Sleeps `ms`, waking early for SIGINT or the deadline. */
static void pause_ms(const cli_live_t *v, unsigned ms)
{
    uint64_t until = cl_mono_ns() + (uint64_t)ms * 1000000u;
    while (!cli_interrupted && !past_deadline(v) && cl_mono_ns() < until) {
        struct timespec slice = {0, 50 * 1000000L};
        nanosleep(&slice, NULL);
    }
}

int cli_live_run(cli_live_t *v)
{
    setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (v->refresh_ms == 0)
        v->refresh_ms = 30000;

    unsigned backoff = BACKOFF_FIRST_MS;
    long failures = 0;
    int rc = 0;
    for (int first = 1;; first = 0) {
        run_end_t end = run_connection(v, first, &rc);
        cl_sync_close(v->cli->sync);
        v->cli->sync = NULL;
        if (end == RUN_EXIT || cli_interrupted || past_deadline(v))
            break;
        if (v->subscribed) {
            failures = 0;
            backoff = BACKOFF_FIRST_MS;
        }
        if (v->reconnect_limit >= 0 && failures >= v->reconnect_limit) {
            rc = cli_error(CL_EUNAVAIL, "gave up after %ld reconnect attempt%s", failures,
                           failures == 1 ? "" : "s");
            break;
        }
        fprintf(stderr, "clinic: reconnecting in %.1f s\n", backoff / 1000.0);
        pause_ms(v, backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        failures++;
        if (cli_interrupted) {
            rc = 0;
            break;
        }
    }
    return rc;
}

int cli_live_options(const cli_command_t *cmd, cli_live_t *v, int watch, const char *count,
                     const char *timeout, const char *limit)
{
    uint64_t n;
    v->reconnect_limit = -1;
    if ((count || timeout || limit) && !watch)
        return cli_usage_error(cmd, "--count, --timeout and --reconnect-limit go with --watch");
    if (count && (cl_cli_parse_uint(count, UINT64_MAX, &v->count) != 0 || v->count == 0))
        return cli_usage_error(cmd, "--count: expected a number above 0");
    if (timeout) {
        if (cl_cli_parse_uint(timeout, 365u * 86400, &n) != 0 || n == 0)
            return cli_usage_error(cmd, "--timeout: expected seconds above 0");
        v->deadline_ns = cl_mono_ns() + n * 1000000000ull;
    }
    if (limit) {
        if (cl_cli_parse_uint(limit, 1000000, &n) != 0)
            return cli_usage_error(cmd, "--reconnect-limit: expected a number");
        v->reconnect_limit = (long)n;
    }
    return 0;
}
