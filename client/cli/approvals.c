/* The requests and approvals commands: filing time off, overtime and expenses, one's requests
 * (list, show, withdraw), the approvals inbox with its counts per kind and age (redrawn live with
 * `approvals --watch`), approving (one or many at once) and denying, time-off balances, and the
 * accrual policy payroll keeps. Each takes --json (one object per line). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mem.h"
#include "status.h"

/* ---- argument values ---- */

/* "12.34", "12" or "$12.3" into cents. */
static int parse_dollars(const char *s, int64_t *cents)
{
    if (*s == '$')
        s++;
    uint64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > 100000000)
            return -1;
        whole = whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
            if (fdigits == 2)
                return -1;
            frac = frac * 10 + (uint64_t)(*s - '0');
        }
        if (fdigits == 1)
            frac *= 10;
    }
    if (*s != '\0' || (digits == 0 && fdigits == 0))
        return -1;
    *cents = (int64_t)(whole * 100 + frac);
    return 0;
}

/* A signed number of minutes: "90", "-90", "1h30", "-8h". */
static int parse_minutes(const char *s, int64_t *out)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t a = 0, b = 0;
    const char *h = strchr(s, 'h');
    char buf[32];
    if (h == NULL) {
        if (cl_cli_parse_uint(s, 10000000, &a) != 0)
            return -1;
    } else {
        size_t n = (size_t)(h - s);
        if (n == 0 || n >= sizeof(buf))
            return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (cl_cli_parse_uint(buf, 100000, &a) != 0)
            return -1;
        if (h[1] && cl_cli_parse_uint(h + 1, 59, &b) != 0)
            return -1;
        a = a * 60 + b;
    }
    *out = neg ? -(int64_t)a : (int64_t)a;
    return 0;
}

/* ---- output ---- */

/* Minutes as "12h30" ("-2h" when negative). */
static void put_minutes(int64_t m)
{
    if (m < 0) {
        fputc('-', stdout);
        m = -m;
    }
    if (m % 60)
        printf("%lldh%02lld", (long long)(m / 60), (long long)(m % 60));
    else
        printf("%lldh", (long long)(m / 60));
}

/* "2d 3h" or "5h" or "12m": how long ago `t` was at `now`. */
static void put_age(int64_t t, int64_t now)
{
    int64_t s = now > t ? now - t : 0;
    if (s >= 86400)
        printf("%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        printf("%lldh", (long long)(s / 3600));
    else
        printf("%lldm", (long long)(s / 60));
}

/* What the request is about, in a few words. */
static void put_subject(const Clinic__StaffRequest *r)
{
    if (strcmp(r->kind, "timeoff") == 0) {
        cli_put(stdout, r->category, 0);
        printf(" ");
        cli_put(stdout, r->from_date, 0);
        if (strcmp(r->from_date, r->to_date) != 0) {
            printf(" to ");
            cli_put(stdout, r->to_date, 0);
        }
        printf(" (");
        put_minutes(r->amount);
        printf(")");
    } else if (strcmp(r->kind, "expense") == 0) {
        printf("$%lld.%02lld ", (long long)(r->amount / 100), (long long)(r->amount % 100));
        cli_put(stdout, r->category, 0);
        if (r->from_date[0]) {
            printf(" on ");
            cli_put(stdout, r->from_date, 0);
        }
    } else if (strcmp(r->kind, "overtime") == 0) {
        printf("shift %llu, ", (unsigned long long)r->ref_id);
        put_minutes(r->amount);
        printf(" over");
    } else if (strcmp(r->kind, "swap") == 0) {
        printf("shift %llu for %llu with ", (unsigned long long)r->ref_id,
               (unsigned long long)r->ref2_id);
        cli_put(stdout, r->other_name, 0);
    } else if (strcmp(r->kind, "correction") == 0) {
        printf("punch %llu (", (unsigned long long)r->ref_id);
        cli_put(stdout, r->category, 0);
        printf(")");
    }
    if (r->over_balance)
        printf(" OVER BALANCE");
}

static void print_request_line(const Clinic__StaffRequest *r, int64_t now)
{
    printf("%6llu  %-10s  %-9s  ", (unsigned long long)r->id, r->kind, r->state);
    cli_put(stdout, r->requester_name, 0);
    printf("  ");
    put_subject(r);
    if (now) {
        printf("  (");
        put_age(r->created_at, now);
        printf(" ago)");
    }
    printf("\n");
}

static void print_request(const Clinic__StaffRequest *r)
{
    char t[32];
    printf("Request %llu (version %llu): %s, %s\n", (unsigned long long)r->id,
           (unsigned long long)r->version, r->kind, r->state);
    printf("  requester  ");
    cli_put(stdout, r->requester_name, 0);
    if (r->requester_username[0]) {
        printf(" (");
        cli_put(stdout, r->requester_username, 0);
        printf(")");
    }
    printf("\n  subject    ");
    put_subject(r);
    printf("\n");
    if (strcmp(r->kind, "timeoff") == 0) {
        char a[32], b[32];
        cli_time(r->starts_at, a, sizeof(a));
        cli_time(r->ends_at, b, sizeof(b));
        printf("  off        %s to %s\n", a, b);
    }
    if (r->details[0]) {
        printf("  details    ");
        cli_put(stdout, r->details, 0);
        printf("\n");
    }
    cli_time(r->created_at, t, sizeof(t));
    printf("  filed      %s by ", t);
    cli_put(stdout, r->created_by[0] ? r->created_by : "-", 0);
    printf("\n");
    if (r->decided_at) {
        cli_time(r->decided_at, t, sizeof(t));
        /* A cancelled request was approved first: that line, then the cancellation's. */
        printf("  %-10s %s by ", r->cancelled_at ? "approved" : r->state, t);
        cli_put(stdout, r->decided_by[0] ? r->decided_by : "clinicd", 0);
        if (r->override_used)
            printf(" (desk minimum overridden)");
        printf("\n");
    }
    if (r->comment[0]) {
        printf("  comment    ");
        cli_put(stdout, r->comment, 0);
        printf("\n");
    }
    if (r->cancelled_at) {
        cli_time(r->cancelled_at, t, sizeof(t));
        printf("  cancelled  %s by ", t);
        cli_put(stdout, r->cancelled_by, 0);
        printf("\n  why        ");
        cli_put(stdout, r->cancel_comment, 0);
        printf("\n");
    }
}

static void json_request(cl_json_t *j, const Clinic__StaffRequest *r)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", r->id);
    cl_json_kv_uint(j, "version", r->version);
    cl_json_kv_string(j, "kind", r->kind);
    cl_json_kv_string(j, "state", r->state);
    cl_json_kv_uint(j, "requester_id", r->requester_id);
    cl_json_kv_string(j, "requester_name", r->requester_name);
    cl_json_kv_string(j, "requester_username", r->requester_username);
    cl_json_kv_uint(j, "other_id", r->other_id);
    cl_json_kv_string(j, "other_name", r->other_name);
    cl_json_kv_uint(j, "ref_id", r->ref_id);
    cl_json_kv_uint(j, "ref2_id", r->ref2_id);
    cl_json_kv_int(j, "starts_at", r->starts_at);
    cl_json_kv_int(j, "ends_at", r->ends_at);
    cl_json_kv_string(j, "from_date", r->from_date);
    cl_json_kv_string(j, "to_date", r->to_date);
    cl_json_kv_int(j, "amount", r->amount);
    cl_json_kv_string(j, "category", r->category);
    cl_json_kv_string(j, "details", r->details);
    cl_json_kv_bool(j, "over_balance", r->over_balance);
    cl_json_kv_bool(j, "overtime", r->overtime);
    cl_json_kv_int(j, "created_at", r->created_at);
    cl_json_kv_string(j, "created_by", r->created_by);
    cl_json_kv_int(j, "decided_at", r->decided_at);
    cl_json_kv_string(j, "decided_by", r->decided_by);
    cl_json_kv_string(j, "comment", r->comment);
    cl_json_kv_bool(j, "override_used", r->override_used);
    cl_json_kv_int(j, "cancelled_at", r->cancelled_at);
    cl_json_kv_string(j, "cancelled_by", r->cancelled_by);
    cl_json_kv_string(j, "cancel_comment", r->cancel_comment);
    cl_json_object_end(j);
}

/* Prints the request of a StaffRequestReply. */
static void show_request(cli_t *cli, const Clinic__StaffRequest *r)
{
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "request");
        json_request(&cli->j, r);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        print_request(r);
    }
}

/* Sends the request of kind `body_case` with body `msg`, whose reply is a StaffRequestReply, and
 * prints it. */
static int call_request(cli_t *cli, Clinic__Request__BodyCase body_case, const void *msg)
{
    int rc = cli_resume(cli);
    if (rc != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, body_case, msg, &resp)) != 0)
        return rc;
    /* Every StaffRequestReply member of the result union is the same pointer. */
    show_request(cli, resp->time_off_file->request);
    return 0;
}

/* ---- filing ---- */

int cmd_request_timeoff(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *type = NULL, *from = NULL, *to = "", *start = NULL, *end = NULL, *reason = "";
    const cli_opt_t opts[] = {{"--type", &type, NULL}, {"--from", &from, NULL},
                              {"--to", &to, NULL},     {"--start", &start, NULL},
                              {"--end", &end, NULL},   {"--reason", &reason, NULL}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (type == NULL || from == NULL)
        return cli_usage_error(cmd, "--type and --from are required");
    Clinic__TimeOffFileRequest m = CLINIC__TIME_OFF_FILE_REQUEST__INIT;
    m.type = (char *)type;
    m.from_date = (char *)from;
    m.to_date = (char *)to;
    m.details = (char *)reason;
    if (start && (cl_cli_parse_hhmm(start, 0, &m.start_minute) != 0 || m.start_minute > 1439))
        return cli_usage_error(cmd, "--start: expected HH:MM");
    if (end && (cl_cli_parse_hhmm(end, 1, &m.end_minute) != 0 || m.end_minute == 0))
        return cli_usage_error(cmd, "--end: expected HH:MM after midnight");
    return call_request(cli, CLINIC__REQUEST__BODY_TIME_OFF_FILE, &m);
}

int cmd_request_expense(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *amount = NULL, *category = NULL, *receipt = "", *date = "";
    const cli_opt_t opts[] = {{"--amount", &amount, NULL},
                              {"--category", &category, NULL},
                              {"--receipt", &receipt, NULL},
                              {"--date", &date, NULL}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (amount == NULL || category == NULL)
        return cli_usage_error(cmd, "--amount and --category are required");
    Clinic__ExpenseFileRequest m = CLINIC__EXPENSE_FILE_REQUEST__INIT;
    if (parse_dollars(amount, &m.amount_cents) != 0)
        return cli_usage_error(cmd, "--amount: expected dollars and cents (12.34)");
    m.category = (char *)category;
    m.receipt_note = (char *)receipt;
    m.date = (char *)date;
    return call_request(cli, CLINIC__REQUEST__BODY_EXPENSE_FILE, &m);
}

int cmd_request_overtime(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *minutes = NULL, *reason = "";
    const cli_opt_t opts[] = {{"--minutes", &minutes, NULL}, {"--reason", &reason, NULL}};
    Clinic__OvertimeFileRequest m = CLINIC__OVERTIME_FILE_REQUEST__INIT;
    int rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "SHIFT", &m.shift_id);
    if (rc != 0)
        return rc;
    int64_t n;
    if (minutes && (parse_minutes(minutes, &n) != 0 || n < 0 || n > 1440))
        return cli_usage_error(cmd, "--minutes: expected 0-1440 (or 2h30)");
    m.minutes = minutes ? (uint32_t)n : 0;
    m.details = (char *)reason;
    return call_request(cli, CLINIC__REQUEST__BODY_OVERTIME_FILE, &m);
}

/* ---- lists ---- */

static void print_list(cli_t *cli, const Clinic__StaffRequestListReply *r, int64_t now)
{
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "requests");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < r->n_requests; i++)
            json_request(&cli->j, r->requests[i]);
        cl_json_array_end(&cli->j);
        cl_json_kv_bool(&cli->j, "truncated", r->truncated);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    for (size_t i = 0; i < r->n_requests; i++)
        print_request_line(r->requests[i], now);
    if (r->n_requests == 0)
        printf("(no requests)\n");
    if (r->truncated)
        printf("(more: narrow with --state, --kind or raise --limit)\n");
}

static int list_call(cli_t *cli, Clinic__StaffRequestListRequest *m,
                     const Clinic__StaffRequestListReply **out)
{
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_REQUEST_LIST, m, &resp);
    if (rc == 0)
        *out = resp->staff_request_list;
    return rc;
}

int cmd_request_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *scope = "mine", *state = "", *kind = "", *staff = NULL, *limit = NULL;
    int all = 0, inbox = 0;
    const cli_opt_t opts[] = {{"--all", NULL, &all},     {"--inbox", NULL, &inbox},
                              {"--state", &state, NULL}, {"--kind", &kind, NULL},
                              {"--staff", &staff, NULL}, {"--limit", &limit, NULL}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (all && inbox)
        return cli_usage_error(cmd, "--all and --inbox go one at a time");
    Clinic__StaffRequestListRequest m = CLINIC__STAFF_REQUEST_LIST_REQUEST__INIT;
    m.scope = (char *)(all ? "all" : inbox ? "inbox" : scope);
    m.state = (char *)state;
    m.kind = (char *)kind;
    uint64_t n;
    if (staff) {
        if ((rc = cli_parse_id(cmd, "--staff", staff, &m.staff_id)) != 0)
            return rc;
        if (!inbox)
            m.scope = "all";
    }
    if (limit) {
        if (cl_cli_parse_uint(limit, 1000, &n) != 0 || n == 0)
            return cli_usage_error(cmd, "--limit: expected 1-1000");
        m.limit = (uint32_t)n;
    }
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__StaffRequestListReply *r;
    if ((rc = list_call(cli, &m, &r)) != 0)
        return rc;
    print_list(cli, r, 0);
    return 0;
}

int cmd_request_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__StaffRequestShowRequest m = CLINIC__STAFF_REQUEST_SHOW_REQUEST__INIT;
    int rc = cli_parse_one_id(cmd, argc, argv, NULL, 0, "ID", &m.id);
    if (rc != 0)
        return rc;
    return call_request(cli, CLINIC__REQUEST__BODY_STAFF_REQUEST_SHOW, &m);
}

/* What `request withdraw` and `request cancel` share: ID [--comment C] [--expect-version V]
 * parsed into *id, *version and *comment; the comment required when `need_comment`. */
static int parse_one_change(const cli_command_t *cmd, int argc, char **argv, int need_comment,
                            uint64_t *id, uint64_t *version, const char **comment)
{
    const char *v = NULL;
    *comment = "";
    *version = 0;
    const cli_opt_t opts[] = {{"--comment", comment, NULL}, {"--expect-version", &v, NULL}};
    int rc;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", id)) != 0 ||
        (v && (rc = cli_parse_version(cmd, v, version)) != 0))
        return rc;
    if (need_comment && (*comment)[0] == '\0')
        return cli_usage_error(cmd, "--comment is required: say why");
    return 0;
}

int cmd_request_withdraw(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__StaffRequestWithdrawRequest m = CLINIC__STAFF_REQUEST_WITHDRAW_REQUEST__INIT;
    const char *comment;
    int rc = parse_one_change(cmd, argc, argv, 0, &m.id, &m.version, &comment);
    if (rc != 0)
        return rc;
    m.comment = (char *)comment;
    return call_request(cli, CLINIC__REQUEST__BODY_STAFF_REQUEST_WITHDRAW, &m);
}

int cmd_request_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__StaffRequestCancelRequest m = CLINIC__STAFF_REQUEST_CANCEL_REQUEST__INIT;
    const char *comment;
    int rc = parse_one_change(cmd, argc, argv, 1, &m.id, &m.version, &comment);
    if (rc != 0)
        return rc;
    m.comment = (char *)comment;
    return call_request(cli, CLINIC__REQUEST__BODY_STAFF_REQUEST_CANCEL, &m);
}

/* ---- deciding ---- */

/* The status a result's code name stands for. */
static int code_status(const char *name)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value_by_name(&clinic__code__descriptor, name);
    return v ? cl_status_from_code((Clinic__Code)v->value) : CL_EINTERNAL;
}

/* Parses the arguments of `approve` (ID... [--comment C] [--override] [--expect-version V]) or
 * `deny` (ID --comment C [--expect-version V]) into `m`. m->ids is cl_calloc'ed once the ids are
 * counted, and the caller frees it whatever this returns; m->versions points at *version. */
static int parse_decision(const cli_command_t *cmd, int argc, char **argv, int approve,
                          Clinic__StaffRequestDecideRequest *m, uint64_t *version)
{
    const char *comment = "", *expect = NULL;
    int override = 0;
    cli_opt_t opts[] = {{"--comment", &comment, NULL},
                        {"--expect-version", &expect, NULL},
                        {"--override", NULL, &override}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts) - (approve ? 0 : 1), &npos)) !=
        0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "give the request id%s", approve ? "s" : "");
    if (!approve && npos != 1)
        return cli_usage_error(cmd, "deny one request at a time");
    if (!approve && comment[0] == '\0')
        return cli_usage_error(cmd, "--comment is required: say why");
    if (expect && npos != 1)
        return cli_usage_error(cmd, "--expect-version goes with one id");
    m->ids = cl_calloc((size_t)npos, sizeof(*m->ids));
    m->n_ids = (size_t)npos;
    for (int i = 0; i < npos && rc == 0; i++)
        rc = cli_parse_id(cmd, "ID", argv[i], &m->ids[i]);
    if (rc == 0 && expect)
        rc = cli_parse_version(cmd, expect, version);
    if (rc != 0)
        return rc;
    m->versions = expect ? version : NULL;
    m->n_versions = expect ? 1 : 0;
    m->approve = approve;
    m->comment = (char *)comment;
    m->override = override;
    return 0;
}

static void json_decision(cl_json_t *j, const Clinic__StaffRequestDecision *d)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", d->id);
    cl_json_kv_string(j, "code", d->code);
    cl_json_kv_string(j, "message", d->message);
    if (d->request) {
        cl_json_key(j, "request");
        json_request(j, d->request);
    }
    cl_json_object_end(j);
}

/* One request's outcome: its new state on stdout, or why it failed on stderr. */
static void put_decision(const Clinic__StaffRequestDecision *d)
{
    if (strcmp(d->code, "OK") != 0) {
        fflush(stdout);
        fprintf(stderr, "clinic: request %llu: ", (unsigned long long)d->id);
        cli_put(stderr, d->message, 0);
        fprintf(stderr, "\n");
        return;
    }
    printf("request %llu %s", (unsigned long long)d->id,
           d->request ? d->request->state : "decided");
    if (d->request && d->request->override_used)
        printf(" (desk minimum overridden)");
    printf("\n");
}

/* Prints each request's outcome; returns the status of the last one that failed, or 0. */
static int print_decisions(cli_t *cli, const Clinic__StaffRequestDecideReply *r)
{
    int status = 0;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_uint(&cli->j, "decided", r->decided);
        cl_json_kv_uint(&cli->j, "failed", r->failed);
        cl_json_key(&cli->j, "results");
        cl_json_array_begin(&cli->j);
    }
    for (size_t i = 0; i < r->n_results; i++) {
        const Clinic__StaffRequestDecision *d = r->results[i];
        if (strcmp(d->code, "OK") != 0)
            status = code_status(d->code);
        if (cli->json)
            json_decision(&cli->j, d);
        else
            put_decision(d);
    }
    if (cli->json) {
        cl_json_array_end(&cli->j);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    }
    return status;
}

/* `approve` and `deny`: each request is decided on its own, so one that fails does not hold back
 * the others; the exit status is that of the last failure. */
static int decide(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, int approve)
{
    Clinic__StaffRequestDecideRequest m = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
    uint64_t version = 0;
    const Clinic__Response *resp;
    int rc = parse_decision(cmd, argc, argv, approve, &m, &version);
    if (rc == 0 && (rc = cli_resume(cli)) == 0)
        rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &m, &resp);
    free(m.ids);
    if (rc != 0)
        return rc;
    int status = print_decisions(cli, resp->staff_request_decide);
    return status ? cl_cli_exit_status(status) : 0;
}

int cmd_approve(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    return decide(cli, cmd, argc, argv, 1);
}

int cmd_deny(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    return decide(cli, cmd, argc, argv, 0);
}

/* ---- the approvals inbox ---- */

typedef struct {
    cli_t *cli;
    const char *kind;
    int watch;
    int tty;
} inbox_t;

static void print_inbox(cli_t *cli, const Clinic__ApprovalsSummaryReply *s,
                        const Clinic__StaffRequestListReply *l, int clear)
{
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_int(j, "server_time", s->server_time);
        cl_json_kv_uint(j, "pending", s->pending);
        cl_json_kv_int(j, "oldest_at", s->oldest_at);
        cl_json_key(j, "kinds");
        cl_json_array_begin(j);
        for (size_t i = 0; i < s->n_kinds; i++) {
            const Clinic__ApprovalsKindCount *k = s->kinds[i];
            cl_json_object_begin(j);
            cl_json_kv_string(j, "kind", k->kind);
            cl_json_kv_uint(j, "pending", k->pending);
            cl_json_kv_uint(j, "under_1_day", k->under_1_day);
            cl_json_kv_uint(j, "days_1_to_3", k->days_1_to_3);
            cl_json_kv_uint(j, "over_3_days", k->over_3_days);
            cl_json_kv_uint(j, "over_balance", k->over_balance);
            cl_json_object_end(j);
        }
        cl_json_array_end(j);
        cl_json_key(j, "requests");
        cl_json_array_begin(j);
        for (size_t i = 0; i < l->n_requests; i++)
            json_request(j, l->requests[i]);
        cl_json_array_end(j);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return;
    }
    if (clear)
        fputs("\033[H\033[2J", stdout);
    char when[32];
    cli_time(s->server_time, when, sizeof(when));
    printf("Approvals at %s: %u pending\n", when, s->pending);
    printf("  %-11s %7s %7s %9s %7s %12s\n", "KIND", "PENDING", "<1 DAY", "1-3 DAYS", ">3 DAYS",
           "OVER BALANCE");
    for (size_t i = 0; i < s->n_kinds; i++) {
        const Clinic__ApprovalsKindCount *k = s->kinds[i];
        printf("  %-11s %7u %7u %9u %7u %12u\n", k->kind, k->pending, k->under_1_day,
               k->days_1_to_3, k->over_3_days, k->over_balance);
    }
    printf("\n");
    for (size_t i = 0; i < l->n_requests; i++)
        print_request_line(l->requests[i], s->server_time);
    if (l->n_requests == 0)
        printf("(nothing waiting for you)\n");
}

static int draw_inbox(inbox_t *b)
{
    Clinic__ApprovalsSummaryRequest sm = CLINIC__APPROVALS_SUMMARY_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc = cli_send(b->cli, CLINIC__REQUEST__BODY_APPROVALS_SUMMARY, &sm, &resp);
    if (rc != 0)
        return rc;
    /* The reply lives until the next call: a copy of it outlives the list's call. */
    size_t len = clinic__approvals_summary_reply__get_packed_size(resp->approvals_summary);
    uint8_t *buf = cl_malloc(len ? len : 1);
    clinic__approvals_summary_reply__pack(resp->approvals_summary, buf);
    Clinic__ApprovalsSummaryReply *s = clinic__approvals_summary_reply__unpack(NULL, len, buf);
    free(buf);
    if (s == NULL)
        return cli_error(CL_EINTERNAL, "cannot copy the summary");

    Clinic__StaffRequestListRequest m = CLINIC__STAFF_REQUEST_LIST_REQUEST__INIT;
    m.scope = "inbox";
    m.kind = (char *)b->kind;
    const Clinic__StaffRequestListReply *l;
    rc = list_call(b->cli, &m, &l);
    if (rc == 0) {
        print_inbox(b->cli, s, l, b->tty);
        if (b->watch && !b->tty && !b->cli->json)
            printf("\n");
    }
    clinic__approvals_summary_reply__free_unpacked(s, NULL);
    return rc;
}

/* Subscribes to the user's inbox and, for a manager, to "approvals" (everyone's requests): a
 * user without approve_all is refused that topic, and then watches the inbox alone. */
static int inbox_subscribe(cli_live_t *v)
{
    cli_t *cli = v->cli;
    char *topics[] = {"inbox", "approvals"};
    char err[512] = "";
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.topics = topics;
    sub.n_topics = 2;
    Clinic__Request req;
    const Clinic__Response *resp;
    int rc = cl_request_make(&req, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub);
    if (rc == 0)
        rc = cl_sync_call(cli->sync, &req, &resp, err, sizeof(err));
    if (rc == CL_EPERM) {
        sub.n_topics = 1;
        return cli_send(cli, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp);
    }
    if (rc != 0)
        return cli_error(rc, "%s", err);
    return 0;
}

static int inbox_draw(cli_live_t *v)
{
    return draw_inbox(v->view);
}

/* The inbox carries messages too: only a request's change redraws. */
static int inbox_relevant(cli_live_t *v, const Clinic__Event *ev)
{
    (void)v;
    return strcmp(ev->entity, "request") == 0;
}

int cmd_approvals(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *kind = "", *count = NULL, *timeout = NULL, *limit = NULL;
    int watch = 0, rc;
    const cli_opt_t opts[] = {{"--kind", &kind, NULL},
                              {"--watch", NULL, &watch},
                              {"--count", &count, NULL},
                              {"--timeout", &timeout, NULL},
                              {"--reconnect-limit", &limit, NULL}};
    inbox_t b = {.cli = cli};
    cli_live_t live = {.cli = cli,
                       .subscribe = inbox_subscribe,
                       .draw = inbox_draw,
                       .relevant = inbox_relevant,
                       .view = &b,
                       .refresh_ms = 60000}; /* ages are shown in minutes and more */
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if ((rc = cli_live_options(cmd, &live, watch, count, timeout, limit)) != 0)
        return rc;
    b.kind = kind;
    b.watch = watch;
    b.tty = watch && isatty(STDOUT_FILENO) && !cli->json;
    if (watch)
        return cli_live_run(&live);
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    return draw_inbox(&b);
}

/* ---- balances and the accrual policy ---- */

static void json_balance(cl_json_t *j, const Clinic__TimeOffBalance *b)
{
    cl_json_object_begin(j);
    cl_json_kv_string(j, "type", b->type);
    cl_json_kv_bool(j, "tracked", b->tracked);
    cl_json_kv_int(j, "accrued", b->accrued);
    cl_json_kv_int(j, "adjusted", b->adjusted);
    cl_json_kv_int(j, "used", b->used);
    cl_json_kv_int(j, "pending", b->pending);
    cl_json_kv_int(j, "balance", b->balance);
    cl_json_kv_int(j, "available", b->available);
    cl_json_kv_int(j, "accrual_minutes", b->accrual_minutes);
    cl_json_kv_int(j, "cap_minutes", b->cap_minutes);
    cl_json_object_end(j);
}

static void json_ledger_entry(cl_json_t *j, const Clinic__TimeOffLedgerEntry *e)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", e->id);
    cl_json_kv_string(j, "type", e->type);
    cl_json_kv_string(j, "entry", e->entry);
    cl_json_kv_int(j, "minutes", e->minutes);
    cl_json_kv_string(j, "period", e->period);
    cl_json_kv_uint(j, "request_id", e->request_id);
    cl_json_kv_string(j, "reason", e->reason);
    cl_json_kv_int(j, "at", e->at);
    cl_json_kv_string(j, "by", e->by);
    cl_json_object_end(j);
}

static void json_balances(cl_json_t *j, const Clinic__TimeOffBalanceShowReply *r)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "staff_id", r->staff_id);
    cl_json_kv_string(j, "staff_name", r->staff_name);
    cl_json_kv_string(j, "as_of", r->as_of);
    cl_json_key(j, "balances");
    cl_json_array_begin(j);
    for (size_t i = 0; i < r->n_balances; i++)
        json_balance(j, r->balances[i]);
    cl_json_array_end(j);
    cl_json_key(j, "ledger");
    cl_json_array_begin(j);
    for (size_t i = 0; i < r->n_ledger; i++)
        json_ledger_entry(j, r->ledger[i]);
    cl_json_array_end(j);
    cl_json_object_end(j);
}

/* One type's line of the balance table. A type without a balance (unpaid) shows only what is
 * pending. */
static void put_balance_line(const Clinic__TimeOffBalance *b)
{
    printf("  %-9s ", b->type);
    if (!b->tracked) {
        printf("%9s %9s %9s %9s ", "-", "-", "-", "-");
        char p[32];
        snprintf(p, sizeof(p), "%lldh%02lld", (long long)(b->pending / 60),
                 (long long)(b->pending % 60));
        printf("%9s %9s\n", p, "-");
        return;
    }
    const int64_t v[6] = {b->accrued, b->adjusted, b->used, b->balance, b->pending, b->available};
    for (int k = 0; k < 6; k++) {
        char s[32];
        int64_t m = v[k] < 0 ? -v[k] : v[k];
        snprintf(s, sizeof(s), "%s%lldh%02lld", v[k] < 0 ? "-" : "", (long long)(m / 60),
                 (long long)(m % 60));
        printf("%9s%s", s, k == 5 ? "\n" : " ");
    }
}

static void put_ledger_line(const Clinic__TimeOffLedgerEntry *e)
{
    char t[32];
    cli_time(e->at, t, sizeof(t));
    printf("  %s  %-9s %-10s ", t, e->type, e->entry);
    put_minutes(e->minutes);
    printf("  ");
    cli_put(stdout, e->reason, 0);
    if (e->by[0]) {
        printf(" (");
        cli_put(stdout, e->by, 0);
        printf(")");
    }
    printf("\n");
}

static void print_balance(cli_t *cli, const Clinic__TimeOffBalanceShowReply *r)
{
    if (cli->json) {
        json_balances(&cli->j, r);
        cli_json_emit(cli);
        return;
    }
    printf("Time off of ");
    cli_put(stdout, r->staff_name, 0);
    printf(" (staff %llu) as of %s\n", (unsigned long long)r->staff_id, r->as_of);
    printf("  %-9s %9s %9s %9s %9s %9s %9s\n", "TYPE", "ACCRUED", "ADJUSTED", "USED", "BALANCE",
           "PENDING", "AVAILABLE");
    for (size_t i = 0; i < r->n_balances; i++)
        put_balance_line(r->balances[i]);
    if (r->n_ledger) {
        printf("\n  Ledger\n");
        for (size_t i = 0; i < r->n_ledger; i++)
            put_ledger_line(r->ledger[i]);
    }
}

int cmd_balance(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = NULL;
    int ledger = 0;
    const cli_opt_t opts[] = {{"--staff", &staff, NULL}, {"--ledger", NULL, &ledger}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__TimeOffBalanceShowRequest m = CLINIC__TIME_OFF_BALANCE_SHOW_REQUEST__INIT;
    if (staff && (rc = cli_parse_id(cmd, "--staff", staff, &m.staff_id)) != 0)
        return rc;
    m.ledger = ledger;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_SHOW, &m, &resp)) != 0)
        return rc;
    print_balance(cli, resp->time_off_balance_show);
    return 0;
}

int cmd_accrual_adjust(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *type = NULL, *minutes = NULL, *reason = NULL;
    const cli_opt_t opts[] = {
        {"--type", &type, NULL}, {"--minutes", &minutes, NULL}, {"--reason", &reason, NULL}};
    Clinic__TimeOffBalanceAdjustRequest m = CLINIC__TIME_OFF_BALANCE_ADJUST_REQUEST__INIT;
    int rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "STAFF", &m.staff_id);
    if (rc != 0)
        return rc;
    if (type == NULL || minutes == NULL || reason == NULL)
        return cli_usage_error(cmd, "--type, --minutes and --reason are required");
    if (parse_minutes(minutes, &m.minutes) != 0)
        return cli_usage_error(cmd, "--minutes: expected signed minutes (-90, 480, 8h, -1h30)");
    m.type = (char *)type;
    m.reason = (char *)reason;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_ADJUST, &m, &resp)) != 0)
        return rc;
    print_balance(cli, resp->time_off_balance_adjust);
    return 0;
}

static void print_policies(cli_t *cli, const Clinic__AccrualPolicyReply *r)
{
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "pay_period", r->pay_period);
        cl_json_key(j, "policies");
        cl_json_array_begin(j);
        for (size_t i = 0; i < r->n_policies; i++) {
            const Clinic__AccrualPolicy *p = r->policies[i];
            cl_json_object_begin(j);
            cl_json_kv_string(j, "type", p->type);
            cl_json_kv_bool(j, "tracked", p->tracked);
            cl_json_kv_int(j, "accrual_minutes", p->accrual_minutes);
            cl_json_kv_int(j, "cap_minutes", p->cap_minutes);
            cl_json_kv_string(j, "effective_from", p->effective_from);
            cl_json_kv_int(j, "updated_at", p->updated_at);
            cl_json_kv_string(j, "updated_by", p->updated_by);
            cl_json_kv_uint(j, "version", p->version);
            cl_json_object_end(j);
        }
        cl_json_array_end(j);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return;
    }
    printf("Accrual per %s pay period\n", r->pay_period[0] ? r->pay_period : "?");
    printf("  %-9s %9s %9s  %-10s  %s\n", "TYPE", "ACCRUAL", "CAP", "SINCE", "VERSION");
    for (size_t i = 0; i < r->n_policies; i++) {
        const Clinic__AccrualPolicy *p = r->policies[i];
        printf("  %-9s ", p->type);
        if (!p->tracked) {
            printf("%9s %9s  %-10s  %llu\n", "no balance", "-", "-",
                   (unsigned long long)p->version);
            continue;
        }
        char a[32], c[32];
        snprintf(a, sizeof(a), "%lldh%02lld", (long long)(p->accrual_minutes / 60),
                 (long long)(p->accrual_minutes % 60));
        if (p->cap_minutes)
            snprintf(c, sizeof(c), "%lldh%02lld", (long long)(p->cap_minutes / 60),
                     (long long)(p->cap_minutes % 60));
        else
            snprintf(c, sizeof(c), "none");
        printf("%9s %9s  %-10s  %llu\n", a, c, p->effective_from[0] ? p->effective_from : "-",
               (unsigned long long)p->version);
    }
}

static int policy_get(cli_t *cli, const Clinic__AccrualPolicyReply **out)
{
    Clinic__AccrualPolicyGetRequest m = CLINIC__ACCRUAL_POLICY_GET_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_ACCRUAL_POLICY_GET, &m, &resp);
    if (rc == 0)
        *out = resp->accrual_policy_get;
    return rc;
}

int cmd_accrual_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    const Clinic__AccrualPolicyReply *r;
    if ((rc = policy_get(cli, &r)) != 0)
        return rc;
    print_policies(cli, r);
    return 0;
}

int cmd_accrual_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *minutes = NULL, *cap = "0", *version = NULL;
    const cli_opt_t opts[] = {
        {"--minutes", &minutes, NULL}, {"--cap", &cap, NULL}, {"--expect-version", &version, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "give the type (vacation, sick or personal)");
    if (minutes == NULL)
        return cli_usage_error(cmd, "--minutes is required (per pay period)");
    Clinic__AccrualPolicySetRequest m = CLINIC__ACCRUAL_POLICY_SET_REQUEST__INIT;
    m.type = argv[0];
    if (parse_minutes(minutes, &m.accrual_minutes) != 0 || m.accrual_minutes < 0)
        return cli_usage_error(cmd, "--minutes: expected minutes (240) or hours (4h)");
    if (parse_minutes(cap, &m.cap_minutes) != 0 || m.cap_minutes < 0)
        return cli_usage_error(cmd, "--cap: expected minutes (2400) or hours (40h); 0: none");
    if (version && (rc = cli_parse_version(cmd, version, &m.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    if (!version) {
        const Clinic__AccrualPolicyReply *cur;
        if ((rc = policy_get(cli, &cur)) != 0)
            return rc;
        for (size_t i = 0; i < cur->n_policies; i++)
            if (strcmp(cur->policies[i]->type, m.type) == 0)
                m.version = cur->policies[i]->version;
    }
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_ACCRUAL_POLICY_SET, &m, &resp)) != 0)
        return rc;
    print_policies(cli, resp->accrual_policy_set);
    return 0;
}
