/* The administration commands: audit (query the audit log) and status (the server's health). */
#include <string.h>

#include "cli.h"
#include "status.h"

/* Parses the options of `audit` into the query `q`; the strings it sets are borrowed from argv.
 * Returns 0, or CL_EXIT_USAGE (printed). */
static int parse_audit_query(const cli_command_t *cmd, int argc, char **argv,
                             Clinic__AuditQueryRequest *q)
{
    const char *user = "", *entity = "", *id = NULL, *since = NULL, *until = NULL, *limit = NULL,
               *before = NULL;
    const cli_opt_t opts[] = {
        {"--user", &user, NULL},     {"--entity", &entity, NULL}, {"--id", &id, NULL},
        {"--since", &since, NULL},   {"--until", &until, NULL},   {"--limit", &limit, NULL},
        {"--before", &before, NULL},
    };
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;

    uint64_t n;
    q->username = (char *)user;
    q->entity = (char *)entity;
    if (id) {
        if (cl_cli_parse_uint(id, UINT64_MAX, &n) != 0)
            return cli_usage_error(cmd, "--id: expected a number");
        q->entity_id = n;
    }
    if (since && cl_cli_parse_time(since, &q->since) != 0)
        return cli_usage_error(cmd, "--since: expected Unix seconds, YYYY-MM-DD or "
                                    "YYYY-MM-DDTHH:MM:SS (UTC)");
    if (until && cl_cli_parse_time(until, &q->until) != 0)
        return cli_usage_error(cmd, "--until: expected Unix seconds, YYYY-MM-DD or "
                                    "YYYY-MM-DDTHH:MM:SS (UTC)");
    if (limit) {
        if (cl_cli_parse_uint(limit, UINT32_MAX, &n) != 0)
            return cli_usage_error(cmd, "--limit: expected a number");
        q->limit = (uint32_t)n;
    }
    if (before) {
        if (cl_cli_parse_uint(before, UINT64_MAX, &n) != 0)
            return cli_usage_error(cmd, "--before: expected an audit seq");
        q->before_seq = n;
    }
    return 0;
}

static void json_audit_row(cl_json_t *j, const Clinic__AuditRow *row)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "seq", row->seq);
    cl_json_kv_int(j, "time", row->time);
    cl_json_kv_string(j, "username", row->username);
    cl_json_kv_string(j, "workstation", row->workstation);
    cl_json_kv_string(j, "action", row->action);
    cl_json_kv_string(j, "entity", row->entity);
    cl_json_kv_uint(j, "entity_id", row->entity_id);
    cl_json_kv_string(j, "hash", row->hash);
    cl_json_object_end(j);
}

static void put_audit_row(const Clinic__AuditRow *row)
{
    char when[32];
    cli_time(row->time, when, sizeof(when));
    printf("%-8llu  %-20s  ", (unsigned long long)row->seq, when);
    /* Server text goes through cli_put; pad by hand. */
    const char *cols[] = {row->username[0] ? row->username : "-",
                          row->workstation[0] ? row->workstation : "-", row->action};
    const int widths[] = {12, 12, 20};
    for (size_t k = 0; k < 3; k++) {
        cli_put(stdout, cols[k], 0);
        int pad = widths[k] - (int)strlen(cols[k]);
        printf("%*s  ", pad > 0 ? pad : 0, "");
    }
    if (row->entity[0]) {
        cli_put(stdout, row->entity, 0);
        if (row->entity_id)
            printf(" %llu", (unsigned long long)row->entity_id);
    } else {
        printf("-");
    }
    printf("\n");
}

/* The rows as a table, or with --json one object per row. */
static void print_audit(cli_t *cli, const Clinic__AuditQueryReply *r)
{
    if (cli->json) {
        for (size_t i = 0; i < r->n_rows; i++) {
            json_audit_row(&cli->j, r->rows[i]);
            cli_json_emit(cli);
        }
        return;
    }
    if (r->n_rows == 0) {
        printf("no audit rows match\n");
        return;
    }
    printf("%-8s  %-20s  %-12s  %-12s  %-20s  %s\n", "SEQ", "TIME", "USER", "WORKSTATION", "ACTION",
           "ENTITY");
    for (size_t i = 0; i < r->n_rows; i++)
        put_audit_row(r->rows[i]);
}

int cmd_audit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    Clinic__AuditQueryRequest q = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc;
    if ((rc = parse_audit_query(cmd, argc, argv, &q)) != 0 || (rc = cli_resume(cli)) != 0 ||
        (rc = cli_send(cli, CLINIC__REQUEST__BODY_AUDIT_QUERY, &q, &resp)) != 0)
        return rc;
    print_audit(cli, resp->audit_query);
    return 0;
}

/* "12.3 MiB" */
static void format_bytes(uint64_t n, char *out, size_t outlen)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < CL_ARRAY_SIZE(units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, outlen, "%llu B", (unsigned long long)n);
    else
        snprintf(out, outlen, "%.1f %s", v, units[u]);
}

/* "3d 4h 5m", "4h 5m 6s", "5m 6s" */
static void format_duration(int64_t s, char *out, size_t outlen)
{
    if (s < 0)
        s = 0;
    long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
    if (d)
        snprintf(out, outlen, "%lldd %lldh %lldm", d, h, m);
    else if (h)
        snprintf(out, outlen, "%lldh %lldm %llds", h, m, sec);
    else
        snprintf(out, outlen, "%lldm %llds", m, sec);
}

int cmd_status(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    Clinic__ServerStatusRequest st = CLINIC__SERVER_STATUS_REQUEST__INIT;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SERVER_STATUS, &st, &resp)) != 0)
        return rc;
    const Clinic__ServerStatusReply *s = resp->server_status;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "server_version", s->server_version);
        cl_json_kv_int(j, "started_at", s->started_at);
        cl_json_kv_int(j, "uptime_s", s->uptime_s);
        cl_json_kv_uint(j, "connections", s->connections);
        cl_json_kv_uint(j, "requests", s->requests);
        cl_json_kv_uint(j, "db_size_bytes", s->db_size_bytes);
        cl_json_kv_int(j, "last_backup_at", s->last_backup_at);
        cl_json_key(j, "cpu_seconds");
        cl_json_double(j, s->cpu_seconds, 3);
        cl_json_kv_uint(j, "peak_rss_bytes", s->peak_rss_bytes);
        cl_json_kv_uint(j, "current_rss_bytes", s->current_rss_bytes);
        cl_json_kv_uint(j, "commits", s->commits);
        cl_json_kv_uint(j, "committed_requests", s->committed_requests);
        cl_json_kv_uint(j, "change_seq", s->change_seq);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    char started[32], backup[32], up[32], db[32], rss[32], peak[32];
    cli_time(s->started_at, started, sizeof(started));
    cli_time(s->last_backup_at, backup, sizeof(backup));
    format_duration(s->uptime_s, up, sizeof(up));
    format_bytes(s->db_size_bytes, db, sizeof(db));
    format_bytes(s->current_rss_bytes, rss, sizeof(rss));
    format_bytes(s->peak_rss_bytes, peak, sizeof(peak));
    printf("server version    ");
    cli_put(stdout, s->server_version, 0);
    printf("\nstarted           %s (up %s)\n", started, up);
    printf("connections       %u\n", s->connections);
    printf("requests          %llu\n", (unsigned long long)s->requests);
    printf("commits           %llu (%llu requests)\n", (unsigned long long)s->commits,
           (unsigned long long)s->committed_requests);
    printf("change seq        %llu\n", (unsigned long long)s->change_seq);
    printf("database size     %s\n", db);
    printf("last backup       %s\n", s->last_backup_at ? backup : "never");
    printf("cpu time          %.2f s\n", s->cpu_seconds);
    printf("memory            %s (peak %s)\n", rss, peak);
    return 0;
}
