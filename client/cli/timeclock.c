/* The time-clock commands: clocking in and out and breaks (always your own, from this
 * workstation), clock status and punches, timesheets per pay period and payroll's CSV export,
 * the pay policy, and `request correction`, which files a timesheet correction for approval.
 * Times print in this workstation's local time (the clinic's, on its own machines); with --json
 * they are Unix seconds. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "status.h"

/* ---- arguments ---- */

/* A staff id option ("" leaves 0: yourself). */
static int parse_staff(const cli_command_t *cmd, const char *s, uint64_t *out)
{
    *out = 0;
    return s[0] ? cli_parse_id(cmd, "--staff", s, out) : 0;
}

/* A minutes option: a whole number in [0, max]. */
static int parse_minutes(const cli_command_t *cmd, const char *name, const char *s, uint32_t max,
                         uint32_t *out)
{
    uint64_t v;
    if (cl_cli_parse_uint(s, max, &v) != 0)
        return cli_usage_error(cmd, "%s: expected minutes, 0-%u", name, max);
    *out = (uint32_t)v;
    return 0;
}

/* A punch time: "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM[:SS]" in local time, or what
 * cl_cli_parse_time takes (Unix seconds, or a UTC time ending in Z). */
static int parse_local_time(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0)
        return -1;
    if (strchr(s, '-') == NULL || s[n - 1] == 'Z')
        return cl_cli_parse_time(s, out) == 0 ? 0 : -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int y, mo, d, h, mi, sec = 0, used = 0;
    char sep;
    if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &used) != 6 ||
        (sep != ' ' && sep != 'T'))
        return -1;
    if (s[used] == ':') {
        int more = 0;
        if (sscanf(s + used, ":%2d%n", &sec, &more) != 1)
            return -1;
        used += more;
    }
    if (s[used] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* ---- output ---- */

/* "2024-03-10 08:02" in local time, or "-" for 0. */
static void local_time(int64_t t, char out[32])
{
    if (t == 0) {
        snprintf(out, 32, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

static void put_minutes(uint32_t m)
{
    printf("%u:%02u", m / 60, m % 60);
}

static void json_punch(cl_json_t *j, const Clinic__Punch *p)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", p->id);
    cl_json_kv_uint(j, "staff_id", p->staff_id);
    cl_json_kv_int(j, "in_at", p->in_at);
    cl_json_kv_int(j, "out_at", p->out_at);
    cl_json_kv_string(j, "in_workstation", p->in_workstation);
    cl_json_kv_string(j, "in_user", p->in_user);
    cl_json_kv_string(j, "out_workstation", p->out_workstation);
    cl_json_kv_string(j, "out_user", p->out_user);
    cl_json_kv_uint(j, "version", p->version);
    cl_json_kv_uint(j, "request_id", p->request_id);
    cl_json_key(j, "breaks");
    cl_json_array_begin(j);
    for (size_t i = 0; i < p->n_breaks; i++) {
        const Clinic__PunchBreak *b = p->breaks[i];
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "id", b->id);
        cl_json_kv_int(j, "start_at", b->start_at);
        cl_json_kv_int(j, "end_at", b->end_at);
        cl_json_kv_bool(j, "paid", b->paid);
        cl_json_kv_uint(j, "request_id", b->request_id);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_key(j, "history");
    cl_json_array_begin(j);
    for (size_t i = 0; i < p->n_history; i++) {
        const Clinic__PunchVersion *v = p->history[i];
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "version", v->version);
        cl_json_kv_int(j, "in_at", v->in_at);
        cl_json_kv_int(j, "out_at", v->out_at);
        cl_json_kv_string(j, "in_workstation", v->in_workstation);
        cl_json_kv_string(j, "out_workstation", v->out_workstation);
        cl_json_kv_uint(j, "request_id", v->request_id);
        cl_json_kv_uint(j, "replaced_by_request", v->replaced_by_request);
        cl_json_kv_int(j, "replaced_at", v->replaced_at);
        cl_json_kv_string(j, "replaced_by", v->replaced_by);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_object_end(j);
}

static void json_punch_or_null(cl_json_t *j, const char *key, const Clinic__Punch *p)
{
    cl_json_key(j, key);
    if (p)
        json_punch(j, p);
    else
        cl_json_null(j);
}

/* One punch as a line (and its breaks and earlier versions indented below). */
static void print_punch(const Clinic__Punch *p)
{
    char a[32], b[32];
    local_time(p->in_at, a);
    local_time(p->out_at, b);
    printf("Punch %llu: %s to %s", (unsigned long long)p->id, a, p->out_at ? b : "(open)");
    if (p->in_workstation[0]) {
        printf(", in at ");
        cli_put(stdout, p->in_workstation, 0);
    }
    if (p->out_workstation[0]) {
        printf(", out at ");
        cli_put(stdout, p->out_workstation, 0);
    }
    if (p->request_id)
        printf(" (version %llu, corrected by request %llu)", (unsigned long long)p->version,
               (unsigned long long)p->request_id);
    printf("\n");
    for (size_t i = 0; i < p->n_breaks; i++) {
        const Clinic__PunchBreak *k = p->breaks[i];
        local_time(k->start_at, a);
        local_time(k->end_at, b);
        printf("    %s break %s to %s%s\n", k->paid ? "paid" : "unpaid", a,
               k->end_at ? b : "(open)", k->request_id ? " (added by correction)" : "");
    }
    for (size_t i = 0; i < p->n_history; i++) {
        const Clinic__PunchVersion *v = p->history[i];
        local_time(v->in_at, a);
        local_time(v->out_at, b);
        printf("    was (version %llu) %s to %s, replaced by request %llu",
               (unsigned long long)v->version, a, v->out_at ? b : "(open)",
               (unsigned long long)v->replaced_by_request);
        if (v->replaced_by[0]) {
            printf(" approved by ");
            cli_put(stdout, v->replaced_by, 0);
        }
        printf("\n");
    }
}

/* ---- clock in, out, break ---- */

/* Sends a clock request of kind `kind` (in or out) with no arguments of its own, its body `msg`,
 * and prints its punch. */
static int clock_simple(cli_t *cli, const cli_command_t *cmd, int argc, char **argv,
                        Clinic__Request__BodyCase kind, const void *msg)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, kind, msg, &resp)) != 0)
        return rc;
    const Clinic__Punch *p = NULL;
    char when[32];
    if (kind == CLINIC__REQUEST__BODY_CLOCK_IN) {
        p = resp->clock_in->punch;
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            json_punch_or_null(&cli->j, "punch", p);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            return 0;
        }
        local_time(p ? p->in_at : 0, when);
        printf("Clocked in at %s", when);
        if (p && p->in_workstation[0]) {
            printf(" on ");
            cli_put(stdout, p->in_workstation, 0);
        }
        printf(" (punch %llu)\n", p ? (unsigned long long)p->id : 0ULL);
        return 0;
    }
    const Clinic__ClockOutReply *r = resp->clock_out;
    p = r->punch;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        json_punch_or_null(&cli->j, "punch", p);
        cl_json_kv_bool(&cli->j, "break_ended", r->break_ended);
        cl_json_kv_uint(&cli->j, "worked_minutes", r->worked_minutes);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    local_time(p ? p->out_at : 0, when);
    printf("Clocked out at %s (punch %llu): worked ", when, p ? (unsigned long long)p->id : 0ULL);
    put_minutes(r->worked_minutes);
    printf("%s\n", r->break_ended ? "; your open break ended with it" : "");
    return 0;
}

int cmd_clock_in(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__ClockInRequest in = CLINIC__CLOCK_IN_REQUEST__INIT;
    return clock_simple(cli, cmd, argc, argv, CLINIC__REQUEST__BODY_CLOCK_IN, &in);
}

int cmd_clock_out(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__ClockOutRequest out = CLINIC__CLOCK_OUT_REQUEST__INIT;
    return clock_simple(cli, cmd, argc, argv, CLINIC__REQUEST__BODY_CLOCK_OUT, &out);
}

int cmd_clock_break(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int paid = 0, npos, rc;
    const cli_opt_t opts[] = {{"--paid", NULL, &paid}};
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos != 1 || (strcmp(argv[0], "start") != 0 && strcmp(argv[0], "end") != 0))
        return cli_usage_error(cmd, "expected start or end");
    int start = strcmp(argv[0], "start") == 0;
    if (!start && paid)
        return cli_usage_error(cmd, "--paid goes with break start");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__ClockBreakStartRequest bs = CLINIC__CLOCK_BREAK_START_REQUEST__INIT;
    Clinic__ClockBreakEndRequest be = CLINIC__CLOCK_BREAK_END_REQUEST__INIT;
    const Clinic__Response *resp;
    const Clinic__Punch *p;
    if (start) {
        bs.paid = paid;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CLOCK_BREAK_START, &bs, &resp)) != 0)
            return rc;
        p = resp->clock_break_start->punch;
    } else {
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CLOCK_BREAK_END, &be, &resp)) != 0)
            return rc;
        p = resp->clock_break_end->punch;
    }
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        json_punch_or_null(&cli->j, "punch", p);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    /* The break just started is the open one; the one just ended, the latest. */
    int64_t at = 0;
    for (size_t i = 0; p != NULL && i < p->n_breaks; i++) {
        const Clinic__PunchBreak *k = p->breaks[i];
        if (start ? k->end_at == 0 : k->end_at > at)
            at = start ? k->start_at : k->end_at;
    }
    char when[32];
    local_time(at, when);
    if (start)
        printf("On a%s break since %s\n", paid ? " paid" : "n unpaid", when);
    else
        printf("Break ended at %s\n", when);
    return 0;
}

int cmd_clock_status(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = "";
    const cli_opt_t opts[] = {{"--staff", &staff, NULL}};
    uint64_t staff_id;
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0 ||
        (rc = parse_staff(cmd, staff, &staff_id)) != 0 || (rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__ClockStatusRequest s = CLINIC__CLOCK_STATUS_REQUEST__INIT;
    s.staff_id = staff_id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CLOCK_STATUS, &s, &resp)) != 0)
        return rc;
    const Clinic__ClockStatusReply *r = resp->clock_status;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "staff_id", r->staff_id);
        cl_json_kv_string(j, "staff_name", r->staff_name);
        cl_json_kv_bool(j, "clocked_in", r->clocked_in);
        cl_json_kv_bool(j, "on_break", r->on_break);
        cl_json_kv_uint(j, "today_minutes", r->today_minutes);
        json_punch_or_null(j, "punch", r->punch);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    cli_put(stdout, r->staff_name, 0);
    char when[32];
    if (r->clocked_in) {
        local_time(r->punch->in_at, when);
        printf(": clocked in since %s%s", when, r->on_break ? ", on a break" : "");
    } else if (r->punch) {
        local_time(r->punch->out_at, when);
        printf(": not clocked in (last out %s)", when);
    } else {
        printf(": not clocked in (never punched)");
    }
    printf("; today ");
    put_minutes(r->today_minutes);
    printf("\n");
    return 0;
}

int cmd_clock_punches(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = "", *from = "", *to = "";
    int history = 0;
    const cli_opt_t opts[] = {{"--staff", &staff, NULL},
                              {"--from", &from, NULL},
                              {"--to", &to, NULL},
                              {"--history", NULL, &history}};
    uint64_t staff_id;
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0 ||
        (rc = parse_staff(cmd, staff, &staff_id)) != 0 || (rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__PunchListRequest l = CLINIC__PUNCH_LIST_REQUEST__INIT;
    l.staff_id = staff_id;
    l.from = (char *)from;
    l.to = (char *)to;
    l.history = history;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PUNCH_LIST, &l, &resp)) != 0)
        return rc;
    const Clinic__PunchListReply *r = resp->punch_list;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "staff_id", r->staff_id);
        cl_json_kv_string(j, "from", r->from);
        cl_json_kv_string(j, "to", r->to);
        cl_json_key(j, "punches");
        cl_json_array_begin(j);
        for (size_t i = 0; i < r->n_punches; i++)
            json_punch(j, r->punches[i]);
        cl_json_array_end(j);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    printf("Punches of staff member %llu, ", (unsigned long long)r->staff_id);
    cli_put(stdout, r->from, 0);
    printf(" to ");
    cli_put(stdout, r->to, 0);
    printf(": %zu\n", r->n_punches);
    for (size_t i = 0; i < r->n_punches; i++)
        print_punch(r->punches[i]);
    return 0;
}

/* ---- timesheets ---- */

static void json_timesheet(cl_json_t *j, const Clinic__Timesheet *t)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "staff_id", t->staff_id);
    cl_json_kv_string(j, "staff_name", t->staff_name);
    cl_json_kv_string(j, "period", t->period);
    cl_json_kv_string(j, "period_first", t->period_first);
    cl_json_kv_string(j, "period_last", t->period_last);
    cl_json_kv_uint(j, "worked_minutes", t->worked_minutes);
    cl_json_kv_uint(j, "regular_minutes", t->regular_minutes);
    cl_json_kv_uint(j, "overtime_minutes", t->overtime_minutes);
    cl_json_kv_uint(j, "unpaid_break_minutes", t->unpaid_break_minutes);
    cl_json_kv_uint(j, "rule_break_minutes", t->rule_break_minutes);
    cl_json_kv_uint(j, "open_punches", t->open_punches);
    cl_json_key(j, "days");
    cl_json_array_begin(j);
    for (size_t i = 0; i < t->n_days; i++) {
        const Clinic__TimesheetDay *d = t->days[i];
        cl_json_object_begin(j);
        cl_json_kv_string(j, "date", d->date);
        cl_json_kv_uint(j, "punches", d->punches);
        cl_json_kv_int(j, "elapsed_seconds", d->elapsed_seconds);
        cl_json_kv_uint(j, "unpaid_break_minutes", d->unpaid_break_minutes);
        cl_json_kv_uint(j, "paid_break_minutes", d->paid_break_minutes);
        cl_json_kv_uint(j, "rule_break_minutes", d->rule_break_minutes);
        cl_json_kv_uint(j, "worked_minutes", d->worked_minutes);
        cl_json_kv_uint(j, "regular_minutes", d->regular_minutes);
        cl_json_kv_uint(j, "daily_overtime_minutes", d->daily_overtime_minutes);
        cl_json_kv_uint(j, "weekly_overtime_minutes", d->weekly_overtime_minutes);
        cl_json_kv_uint(j, "overtime_minutes", d->overtime_minutes);
        cl_json_kv_bool(j, "open", d->open);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_key(j, "punches");
    cl_json_array_begin(j);
    for (size_t i = 0; i < t->n_punches; i++)
        json_punch(j, t->punches[i]);
    cl_json_array_end(j);
    cl_json_object_end(j);
}

int cmd_timesheet_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = "", *date = "";
    int previous = 0;
    const cli_opt_t opts[] = {
        {"--staff", &staff, NULL}, {"--date", &date, NULL}, {"--previous", NULL, &previous}};
    uint64_t staff_id;
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0 ||
        (rc = parse_staff(cmd, staff, &staff_id)) != 0 || (rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__TimesheetShowRequest s = CLINIC__TIMESHEET_SHOW_REQUEST__INIT;
    s.staff_id = staff_id;
    s.date = (char *)date;
    s.previous = previous;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_TIMESHEET_SHOW, &s, &resp)) != 0)
        return rc;
    const Clinic__Timesheet *t = resp->timesheet_show->timesheet;
    if (t == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no timesheet");
    if (cli->json) {
        json_timesheet(&cli->j, t);
        cli_json_emit(cli);
        return 0;
    }
    printf("Timesheet of ");
    cli_put(stdout, t->staff_name, 0);
    printf(" (staff %llu), ", (unsigned long long)t->staff_id);
    cli_put(stdout, t->period, 0);
    printf(" period ");
    cli_put(stdout, t->period_first, 0);
    printf(" to ");
    cli_put(stdout, t->period_last, 0);
    printf("\n  date        punches  worked  breaks  rule  regular  overtime\n");
    for (size_t i = 0; i < t->n_days; i++) {
        const Clinic__TimesheetDay *d = t->days[i];
        if (d->punches == 0)
            continue;
        printf("  ");
        cli_put(stdout, d->date, 0);
        printf("  %7u  %3u:%02u  %6u  %4u  %4u:%02u  %5u:%02u%s\n", d->punches,
               d->worked_minutes / 60, d->worked_minutes % 60, d->unpaid_break_minutes,
               d->rule_break_minutes, d->regular_minutes / 60, d->regular_minutes % 60,
               d->overtime_minutes / 60, d->overtime_minutes % 60, d->open ? "  (open)" : "");
    }
    printf("  total               %3u:%02u  %6u  %4u  %4u:%02u  %5u:%02u\n", t->worked_minutes / 60,
           t->worked_minutes % 60, t->unpaid_break_minutes, t->rule_break_minutes,
           t->regular_minutes / 60, t->regular_minutes % 60, t->overtime_minutes / 60,
           t->overtime_minutes % 60);
    if (t->open_punches)
        printf("  %u punch%s still open: counted to now\n", t->open_punches,
               t->open_punches == 1 ? " is" : "es are");
    return 0;
}

/* Writes `data` to `path` (created 0600: payroll data), or fails with a message. */
static int write_file(const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return cli_input_error("cannot write %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return cli_input_error("cannot write %s: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        return cli_input_error("cannot write %s: %s", path, strerror(errno));
    return 0;
}

int cmd_timesheet_export(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date = "", *from = "", *period = "current", *output = "";
    int per_day = 0;
    const cli_opt_t opts[] = {{"--date", &date, NULL},
                              {"--from", &from, NULL},
                              {"--period", &period, NULL},
                              {"--output", &output, NULL},
                              {"--per-day", NULL, &per_day}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (date[0] && from[0])
        return cli_usage_error(cmd, "--date and --from are the same: give one");
    if (strcmp(period, "current") != 0 && strcmp(period, "previous") != 0)
        return cli_usage_error(cmd, "--period: current or previous");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__TimesheetExportRequest e = CLINIC__TIMESHEET_EXPORT_REQUEST__INIT;
    e.date = (char *)(date[0] ? date : from);
    e.previous = strcmp(period, "previous") == 0;
    e.per_day = per_day;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &e, &resp)) != 0)
        return rc;
    const Clinic__TimesheetExportReply *r = resp->timesheet_export;
    if (output[0] && (rc = write_file(output, r->csv, strlen(r->csv))) != 0)
        return rc;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "period_first", r->period_first);
        cl_json_kv_string(j, "period_last", r->period_last);
        cl_json_kv_uint(j, "rows", r->rows);
        if (output[0])
            cl_json_kv_string(j, "output", output);
        else
            cl_json_kv_string(j, "csv", r->csv);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    if (output[0]) {
        printf("Wrote %u row%s for ", r->rows, r->rows == 1 ? "" : "s");
        cli_put(stdout, r->period_first, 0);
        printf(" to ");
        cli_put(stdout, r->period_last, 0);
        printf(" to ");
        cli_put(stdout, output, 0);
        printf("\n");
        return 0;
    }
    /* The CSV itself on stdout, as the server wrote it (CRLF lines), for a pipe or a file. */
    fwrite(r->csv, 1, strlen(r->csv), stdout);
    return 0;
}

/* ---- the pay policy ---- */

static void json_policy(cl_json_t *j, const Clinic__PayPolicy *p)
{
    cl_json_object_begin(j);
    cl_json_kv_string(j, "period", p->period);
    cl_json_kv_string(j, "anchor", p->anchor);
    cl_json_kv_uint(j, "daily_overtime_minutes", p->daily_overtime_minutes);
    cl_json_kv_uint(j, "weekly_overtime_minutes", p->weekly_overtime_minutes);
    cl_json_kv_uint(j, "break_after_minutes", p->break_after_minutes);
    cl_json_kv_uint(j, "break_minutes", p->break_minutes);
    cl_json_kv_uint(j, "version", p->version);
    cl_json_kv_int(j, "updated_at", p->updated_at);
    cl_json_kv_string(j, "updated_by", p->updated_by);
    cl_json_object_end(j);
}

static void print_policy(const Clinic__PayPolicy *p)
{
    printf("Pay periods: ");
    cli_put(stdout, p->period, 0);
    printf(" (anchor ");
    cli_put(stdout, p->anchor, 0);
    printf(")\nDaily overtime: ");
    if (p->daily_overtime_minutes) {
        printf("after ");
        put_minutes(p->daily_overtime_minutes);
    } else {
        printf("none");
    }
    printf("\nWeekly overtime: ");
    if (p->weekly_overtime_minutes) {
        printf("after ");
        put_minutes(p->weekly_overtime_minutes);
    } else {
        printf("none");
    }
    printf("\nBreak: ");
    if (p->break_after_minutes && p->break_minutes)
        printf("%u unpaid minutes deducted from a shift over %u minutes without one punched",
               p->break_minutes, p->break_after_minutes);
    else
        printf("none deducted");
    printf("\nVersion %llu\n", (unsigned long long)p->version);
}

static int policy_get(cli_t *cli, const Clinic__PayPolicyGetReply **out)
{
    Clinic__PayPolicyGetRequest g = CLINIC__PAY_POLICY_GET_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_PAY_POLICY_GET, &g, &resp);
    if (rc != 0)
        return rc;
    if (resp->pay_policy_get->policy == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no policy");
    *out = resp->pay_policy_get;
    return 0;
}

int cmd_paypolicy_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    const Clinic__PayPolicyGetReply *r = NULL;
    if ((rc = policy_get(cli, &r)) != 0)
        return rc;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "policy");
        json_policy(&cli->j, r->policy);
        cl_json_kv_string(&cli->j, "period_first", r->period_first);
        cl_json_kv_string(&cli->j, "period_last", r->period_last);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    print_policy(r->policy);
    printf("Current period: ");
    cli_put(stdout, r->period_first, 0);
    printf(" to ");
    cli_put(stdout, r->period_last, 0);
    printf("\n");
    return 0;
}

int cmd_paypolicy_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *period = NULL, *anchor = NULL, *daily = NULL, *weekly = NULL, *after = NULL,
               *brk = NULL, *expect = NULL;
    const cli_opt_t opts[] = {{"--period", &period, NULL},        {"--anchor", &anchor, NULL},
                              {"--daily-ot", &daily, NULL},       {"--weekly-ot", &weekly, NULL},
                              {"--break-after", &after, NULL},    {"--break", &brk, NULL},
                              {"--expect-version", &expect, NULL}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (!period && !anchor && !daily && !weekly && !after && !brk)
        return cli_usage_error(cmd, "nothing to set");
    uint64_t version = 0;
    if (expect && (rc = cli_parse_version(cmd, expect, &version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    /* Edits send the whole record with the version read (no presence in proto3). */
    const Clinic__PayPolicyGetReply *cur = NULL;
    if ((rc = policy_get(cli, &cur)) != 0)
        return rc;
    Clinic__PayPolicy p = *cur->policy;
    p.base.unknown_fields = NULL;
    p.base.n_unknown_fields = 0;
    char period_copy[32], anchor_copy[32];
    snprintf(period_copy, sizeof(period_copy), "%s", period ? period : cur->policy->period);
    snprintf(anchor_copy, sizeof(anchor_copy), "%s", anchor ? anchor : cur->policy->anchor);
    p.period = period_copy;
    p.anchor = anchor_copy;
    if (daily && (rc = parse_minutes(cmd, "--daily-ot", daily, 1440, &p.daily_overtime_minutes)))
        return rc;
    if (weekly &&
        (rc = parse_minutes(cmd, "--weekly-ot", weekly, 10080, &p.weekly_overtime_minutes)))
        return rc;
    if (after && (rc = parse_minutes(cmd, "--break-after", after, 1440, &p.break_after_minutes)))
        return rc;
    if (brk && (rc = parse_minutes(cmd, "--break", brk, 1440, &p.break_minutes)))
        return rc;
    if (version)
        p.version = version;
    p.updated_by = "";
    p.updated_at = 0;
    Clinic__PayPolicySetRequest s = CLINIC__PAY_POLICY_SET_REQUEST__INIT;
    s.policy = &p;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PAY_POLICY_SET, &s, &resp)) != 0)
        return rc;
    const Clinic__PayPolicy *now = resp->pay_policy_set->policy;
    if (now == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no policy");
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "policy");
        json_policy(&cli->j, now);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    print_policy(now);
    return 0;
}

/* ---- corrections ---- */

int cmd_request_correction(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *punch = "", *in = "", *out = "", *reason = "";
    int missing = 0, is_break = 0;
    const cli_opt_t opts[] = {{"--punch", &punch, NULL},   {"--missing", NULL, &missing},
                              {"--in", &in, NULL},         {"--out", &out, NULL},
                              {"--reason", &reason, NULL}, {"--break", NULL, &is_break}};
    uint64_t punch_id = 0;
    int64_t in_at = 0, out_at = 0;
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if ((punch[0] != '\0') == (missing != 0))
        return cli_usage_error(cmd, "give --punch ID or --missing (one of them)");
    if (missing && is_break)
        return cli_usage_error(cmd, "a forgotten break needs its --punch");
    if (punch[0] && (rc = cli_parse_id(cmd, "--punch", punch, &punch_id)) != 0)
        return rc;
    if (in[0] == '\0' && (missing || is_break))
        return cli_usage_error(cmd, "--in is required for %s",
                               missing ? "a missing punch" : "a forgotten break");
    if (in[0] == '\0' && out[0] == '\0')
        return cli_usage_error(cmd, "give --in, --out or both: the times the punch should have");
    if (in[0] && parse_local_time(in, &in_at) != 0)
        return cli_usage_error(cmd, "--in: expected \"YYYY-MM-DD HH:MM\" (local time)");
    if (out[0] && parse_local_time(out, &out_at) != 0)
        return cli_usage_error(cmd, "--out: expected \"YYYY-MM-DD HH:MM\" (local time)");
    if (reason[0] == '\0')
        return cli_usage_error(cmd, "--reason is required");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__PunchCorrectionFileRequest c = CLINIC__PUNCH_CORRECTION_FILE_REQUEST__INIT;
    c.punch_id = punch_id;
    c.in_at = in_at;
    c.out_at = out_at;
    c.reason = (char *)reason;
    c.kind = is_break ? "break" : "in_out";
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PUNCH_CORRECTION_FILE, &c, &resp)) != 0)
        return rc;
    const Clinic__PunchCorrectionFileReply *r = resp->punch_correction_file;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_uint(&cli->j, "request_id", r->request_id);
        json_punch_or_null(&cli->j, "punch", r->punch);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    printf("Correction filed as request %llu; it waits for approval, the punch stays as it is "
           "until then\n",
           (unsigned long long)r->request_id);
    return 0;
}
