/* The staff-request commands: filing time off, overtime and expenses, and one's own requests (list,
 * show, withdraw, cancel). Also how a request and a number of minutes are read and printed, which
 * approvals.c and balances.c share through approvals_int.h. Each takes --json (one object per
 * line). */
#include <string.h>

#include "approvals_int.h"
#include "cli.h"

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
int cli_request_parse_minutes(const char *s, int64_t *out)
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
void cli_request_put_minutes(int64_t m)
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
        cli_request_put_minutes(r->amount);
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
        cli_request_put_minutes(r->amount);
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

void cli_request_put_line(const Clinic__StaffRequest *r, int64_t now)
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

void cli_request_json(cl_json_t *j, const Clinic__StaffRequest *r)
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
        cli_request_json(&cli->j, r);
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
    if (minutes && (cli_request_parse_minutes(minutes, &n) != 0 || n < 0 || n > 1440))
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
            cli_request_json(&cli->j, r->requests[i]);
        cl_json_array_end(&cli->j);
        cl_json_kv_bool(&cli->j, "truncated", r->truncated);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    for (size_t i = 0; i < r->n_requests; i++)
        cli_request_put_line(r->requests[i], now);
    if (r->n_requests == 0)
        printf("(no requests)\n");
    if (r->truncated)
        printf("(more: narrow with --state, --kind or raise --limit)\n");
}

int cli_request_list_get(cli_t *cli, Clinic__StaffRequestListRequest *m,
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
    if ((rc = cli_request_list_get(cli, &m, &r)) != 0)
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
