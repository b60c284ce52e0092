/* The manager's side of requests: the approvals inbox with its counts per kind and age (redrawn
 * live with `approvals --watch`), and approving (one or many at once) and denying. Each takes
 * --json (one object per line). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approvals_int.h"
#include "cli.h"
#include "mem.h"
#include "status.h"

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
        cli_request_json(j, d->request);
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
            cli_request_json(j, l->requests[i]);
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
        cli_request_put_line(l->requests[i], s->server_time);
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
    rc = cli_request_list_get(b->cli, &m, &l);
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
