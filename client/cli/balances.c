/* Time off in hours: the balances per type with their ledger (`balance`), adjusting one by hand,
 * and the accrual policy payroll keeps (`accrual show`, `accrual set`). Each takes --json (one
 * object per line). */
#include <string.h>

#include "approvals_int.h"
#include "cli.h"

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
    cli_request_put_minutes(e->minutes);
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
    if (cli_request_parse_minutes(minutes, &m.minutes) != 0)
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
    const char *minutes = NULL, *cap = NULL, *version = NULL;
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
    if (cli_request_parse_minutes(minutes, &m.accrual_minutes) != 0 || m.accrual_minutes < 0)
        return cli_usage_error(cmd, "--minutes: expected minutes (240) or hours (4h)");
    if (cap && (cli_request_parse_minutes(cap, &m.cap_minutes) != 0 || m.cap_minutes < 0))
        return cli_usage_error(cmd, "--cap: expected minutes (2400) or hours (40h); 0: none");
    if (version && (rc = cli_parse_version(cmd, version, &m.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    /* The request sets the whole policy: what was not given is the current one's, so that a
     * new rate does not drop the cap. */
    if (!version || !cap) {
        const Clinic__AccrualPolicyReply *cur;
        if ((rc = policy_get(cli, &cur)) != 0)
            return rc;
        for (size_t i = 0; i < cur->n_policies; i++) {
            if (strcmp(cur->policies[i]->type, m.type) != 0)
                continue;
            if (!version)
                m.version = cur->policies[i]->version;
            if (!cap)
                m.cap_minutes = cur->policies[i]->cap_minutes;
        }
    }
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_ACCRUAL_POLICY_SET, &m, &resp)) != 0)
        return rc;
    print_policies(cli, resp->accrual_policy_set);
    return 0;
}
