/* The staff-scheduling commands: desks, shifts (add, list, edit, cancel), publishing a week, the
 * coverage view and shift swaps (also `request swap`); the weekly templates are in
 * shift_templates.c. Times are HH:MM and dates YYYY-MM-DD in the clinic's time zone; a desk may be
 * named by id or by name, a staff member by id, and a change reads the record's version first (or
 * takes --expect-version), so a concurrent edit is reported as a conflict. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "shifts_int.h"
#include "status.h"

/* ---- arguments ------------------------------------------------------------------------------- */

/* The desk list cli_shift_resolve_desk last read, borrowed from its reply (valid until the next
 * call): `desk edit` reuses it rather than asking again. */
static const Clinic__DeskListReply *desks_cached;

/* The id of the desk `arg` names: a number is an id, anything else a name (any case). */
int cli_shift_resolve_desk(cli_t *cli, const char *arg, uint64_t *id)
{
    if (cl_cli_parse_uint(arg, INT64_MAX, id) == 0 && *id > 0)
        return 0;
    Clinic__DeskListRequest l = CLINIC__DESK_LIST_REQUEST__INIT;
    l.include_inactive = 1;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_DESK_LIST, &l, &resp);
    if (rc != 0)
        return rc;
    desks_cached = resp->desk_list;
    for (size_t i = 0; i < desks_cached->n_desks; i++)
        if (strcasecmp(desks_cached->desks[i]->name, arg) == 0)
            return *id = desks_cached->desks[i]->id, 0;
    return cli_error(CL_ENOTFOUND, "no desk named %s", arg);
}

/* ---- output ---------------------------------------------------------------------------------- */

static void json_shift_fields(cl_json_t *j, const Clinic__Shift *s)
{
    char a[6], b[6];
    cl_cli_format_hhmm(s->start_minute, a);
    cl_cli_format_hhmm(s->end_minute, b);
    cl_json_kv_uint(j, "id", s->id);
    cl_json_kv_uint(j, "staff_id", s->staff_id);
    cl_json_kv_string(j, "staff_name", s->staff_name);
    cl_json_kv_uint(j, "desk_id", s->desk_id);
    cl_json_kv_string(j, "desk_name", s->desk_name);
    cl_json_kv_string(j, "date", s->date);
    cl_json_kv_string(j, "start", a);
    cl_json_kv_string(j, "end", b);
    cl_json_kv_int(j, "starts_at", s->starts_at);
    cl_json_kv_int(j, "ends_at", s->ends_at);
    cl_json_kv_uint(j, "minutes", s->minutes);
    cl_json_kv_string(j, "state", s->state);
    cl_json_kv_string(j, "overtime", s->overtime);
    cl_json_kv_uint(j, "overtime_minutes", s->overtime_minutes);
    cl_json_kv_uint(j, "overtime_request_id", s->overtime_request_id);
    cl_json_kv_uint(j, "timeoff_request_id", s->timeoff_request_id);
    cl_json_kv_string(j, "note", s->note);
    cl_json_kv_uint(j, "version", s->version);
}

void cli_shift_json(cl_json_t *j, const char *key, const Clinic__Shift *s)
{
    if (key)
        cl_json_key(j, key);
    cl_json_object_begin(j);
    json_shift_fields(j, s);
    cl_json_object_end(j);
}

/* "12    2023-11-20 09:00-17:00  Front desk  ann (3)  draft  overtime pending (60 min)" */
static void put_shift(const Clinic__Shift *s)
{
    char a[6], b[6];
    cl_cli_format_hhmm(s->start_minute, a);
    cl_cli_format_hhmm(s->end_minute, b);
    printf("%-5" PRIu64 " %s %s-%s  ", s->id, s->date, a, b);
    cli_put(stdout, s->desk_name, 0);
    printf("  ");
    cli_put(stdout, s->staff_name, 0);
    printf(" (%" PRIu64 ")  %s", s->staff_id, s->state);
    if (s->minutes != 0 && s->minutes % 60 != 0)
        printf("  %u h %02u", s->minutes / 60, s->minutes % 60);
    else
        printf("  %u h", s->minutes / 60);
    if (s->overtime[0])
        printf("  overtime %s (%u min, request %" PRIu64 ")", s->overtime, s->overtime_minutes,
               s->overtime_request_id);
    if (s->timeoff_request_id)
        printf("  time off (request %" PRIu64 ")", s->timeoff_request_id);
    if (s->note[0]) {
        printf("  ");
        cli_put(stdout, s->note, 0);
    }
    printf("\n");
}

void cli_shift_print(cli_t *cli, const char *verb, const Clinic__Shift *s)
{
    if (cli->json) {
        cli_shift_json(&cli->j, NULL, s);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s shift ", verb);
    put_shift(s);
}

static void print_desk(cli_t *cli, const char *verb, const Clinic__Desk *d)
{
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_uint(&cli->j, "id", d->id);
        cl_json_kv_string(&cli->j, "name", d->name);
        cl_json_kv_uint(&cli->j, "min_staff", d->min_staff);
        cl_json_kv_bool(&cli->j, "active", d->active);
        cl_json_kv_uint(&cli->j, "version", d->version);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s desk ", verb);
    printf("%-4" PRIu64 "  %-8s  min %-2u  ", d->id, d->active ? "active" : "inactive",
           d->min_staff);
    cli_put(stdout, d->name, 0);
    printf("\n");
}

static void print_swap(cli_t *cli, const char *verb, const Clinic__ShiftSwap *w)
{
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "id", w->id);
        cl_json_kv_string(j, "state", w->state);
        cl_json_kv_uint(j, "proposer_id", w->proposer_id);
        cl_json_kv_string(j, "proposer_name", w->proposer_name);
        cl_json_kv_uint(j, "other_id", w->other_id);
        cl_json_kv_string(j, "other_name", w->other_name);
        if (w->shift)
            cli_shift_json(j, "shift", w->shift);
        if (w->other_shift)
            cli_shift_json(j, "other_shift", w->other_shift);
        cl_json_kv_uint(j, "request_id", w->request_id);
        cl_json_kv_string(j, "note", w->note);
        cl_json_kv_int(j, "created_at", w->created_at);
        cl_json_kv_int(j, "decided_at", w->decided_at);
        cl_json_kv_uint(j, "version", w->version);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s ", verb);
    printf("swap %" PRIu64 " [%s]: ", w->id, w->state);
    cli_put(stdout, w->proposer_name, 0);
    printf(" gives shift %" PRIu64 " for ", w->shift ? w->shift->id : 0);
    cli_put(stdout, w->other_name, 0);
    printf("'s shift %" PRIu64, w->other_shift ? w->other_shift->id : 0);
    if (w->request_id)
        printf(" (request %" PRIu64 ")", w->request_id);
    printf("\n");
    if (w->shift) {
        printf("  ");
        put_shift(w->shift);
    }
    if (w->other_shift) {
        printf("  ");
        put_shift(w->other_shift);
    }
}

/* ---- desks ----------------------------------------------------------------------------------- */

static int parse_min(const cli_command_t *cmd, const char *s, uint32_t *out)
{
    uint64_t v;
    if (cl_cli_parse_uint(s, 1000, &v) != 0)
        return cli_usage_error(cmd, "--min: expected a number of staff");
    *out = (uint32_t)v;
    return 0;
}

int cmd_desk_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *min = NULL;
    const cli_opt_t opts[] = {{"--min", &min, NULL}};
    int npos, rc;
    Clinic__DeskAddRequest m = CLINIC__DESK_ADD_REQUEST__INIT;
    m.min_staff = 1;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected one NAME (quote a name with spaces)");
    if (min && (rc = parse_min(cmd, min, &m.min_staff)) != 0)
        return rc;
    m.name = argv[0];
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_DESK_ADD, &m, &resp)) != 0)
        return rc;
    print_desk(cli, "added", resp->desk_add->desk);
    return 0;
}

int cmd_desk_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__DeskListRequest l = CLINIC__DESK_LIST_REQUEST__INIT;
    l.include_inactive = all;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_DESK_LIST, &l, &resp)) != 0)
        return rc;
    for (size_t i = 0; i < resp->desk_list->n_desks; i++)
        print_desk(cli, NULL, resp->desk_list->desks[i]);
    return 0;
}

int cmd_desk_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *desk, *name = NULL, *min = NULL, *active = NULL, *expect = NULL;
    const cli_opt_t opts[] = {{"--name", &name, NULL},
                              {"--min", &min, NULL},
                              {"--active", &active, NULL},
                              {"--expect-version", &expect, NULL}};
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "DESK", &desk)) != 0)
        return rc;
    if (active && strcmp(active, "yes") != 0 && strcmp(active, "no") != 0)
        return cli_usage_error(cmd, "--active takes yes or no");
    uint32_t min_staff = 0;
    if (min && (rc = parse_min(cmd, min, &min_staff)) != 0)
        return rc;
    uint64_t version = 0;
    if (expect && (rc = cli_parse_version(cmd, expect, &version)) != 0)
        return rc;
    uint64_t id;
    if ((rc = cli_resume(cli)) != 0 || (rc = cli_shift_resolve_desk(cli, desk, &id)) != 0)
        return rc;
    /* The whole record is sent: read it first (cli_shift_resolve_desk may have). */
    const Clinic__Desk *cur = NULL;
    if (desks_cached == NULL) {
        Clinic__DeskListRequest l = CLINIC__DESK_LIST_REQUEST__INIT;
        l.include_inactive = 1;
        const Clinic__Response *lresp;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_DESK_LIST, &l, &lresp)) != 0)
            return rc;
        desks_cached = lresp->desk_list;
    }
    for (size_t i = 0; i < desks_cached->n_desks; i++)
        if (desks_cached->desks[i]->id == id)
            cur = desks_cached->desks[i];
    if (cur == NULL)
        return cli_error(CL_ENOTFOUND, "no desk with id %" PRIu64, id);
    /* cur lives in an earlier reply, which the next cli_send frees before it packs m. */
    char *cur_name = cl_strdup(cur->name);
    Clinic__DeskEditRequest m = CLINIC__DESK_EDIT_REQUEST__INIT;
    m.id = id;
    m.version = version ? version : cur->version;
    m.name = name ? (char *)name : cur_name;
    m.min_staff = min ? min_staff : cur->min_staff;
    m.active = active ? strcmp(active, "yes") == 0 : cur->active;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_DESK_EDIT, &m, &resp);
    free(cur_name);
    if (rc != 0)
        return rc;
    print_desk(cli, "changed", resp->desk_edit->desk);
    return 0;
}

/* ---- shifts ---------------------------------------------------------------------------------- */

int cmd_shift_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = NULL, *desk = NULL, *date = NULL, *start = NULL, *end = NULL, *note = NULL;
    int publish = 0, rc;
    const cli_opt_t opts[] = {{"--staff", &staff, NULL},    {"--desk", &desk, NULL},
                              {"--date", &date, NULL},      {"--start", &start, NULL},
                              {"--end", &end, NULL},        {"--note", &note, NULL},
                              {"--publish", NULL, &publish}};
    Clinic__ShiftAddRequest m = CLINIC__SHIFT_ADD_REQUEST__INIT;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (!staff || !desk || !date || !start || !end)
        return cli_usage_error(cmd, "--staff, --desk, --date, --start and --end are required");
    if ((rc = cli_parse_id(cmd, "--staff", staff, &m.staff_id)) != 0)
        return rc;
    if (cl_cli_parse_hhmm(start, 0, &m.start_minute) != 0 ||
        cl_cli_parse_hhmm(end, 1, &m.end_minute) != 0)
        return cli_usage_error(cmd, "--start and --end are HH:MM");
    m.date = (char *)date;
    if (note)
        m.note = (char *)note;
    m.publish = publish;
    if ((rc = cli_resume(cli)) != 0 || (rc = cli_shift_resolve_desk(cli, desk, &m.desk_id)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_ADD, &m, &resp)) != 0)
        return rc;
    cli_shift_print(cli, "added", resp->shift_add->shift);
    return 0;
}

int cmd_shift_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *from = "", *to = "", *staff = NULL, *desk = NULL;
    int all = 0, npos, rc;
    const cli_opt_t opts[] = {{"--from", &from, NULL},
                              {"--to", &to, NULL},
                              {"--staff", &staff, NULL},
                              {"--desk", &desk, NULL},
                              {"--all", NULL, &all}};
    Clinic__ShiftListRequest l = CLINIC__SHIFT_LIST_REQUEST__INIT;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos > 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
    if (npos == 1 && (rc = cli_parse_id(cmd, "ID", argv[0], &l.id)) != 0)
        return rc;
    if (staff && (rc = cli_parse_id(cmd, "--staff", staff, &l.staff_id)) != 0)
        return rc;
    l.from_date = (char *)from;
    l.to_date = (char *)to;
    l.include_cancelled = all;
    if ((rc = cli_resume(cli)) != 0 ||
        (desk && (rc = cli_shift_resolve_desk(cli, desk, &l.desk_id)) != 0))
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_LIST, &l, &resp)) != 0)
        return rc;
    for (size_t i = 0; i < resp->shift_list->n_shifts; i++)
        cli_shift_print(cli, NULL, resp->shift_list->shifts[i]);
    if (!cli->json && resp->shift_list->n_shifts == 0)
        printf("no shifts\n");
    return 0;
}

/* Reads shift `id` (its fields borrowed from the reply, valid until the next call). */
static int shift_get(cli_t *cli, uint64_t id, const Clinic__Shift **out)
{
    Clinic__ShiftListRequest l = CLINIC__SHIFT_LIST_REQUEST__INIT;
    l.id = id;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_LIST, &l, &resp);
    if (rc != 0)
        return rc;
    if (resp->shift_list->n_shifts != 1)
        return cli_error(CL_ENOTFOUND, "no shift %" PRIu64, id);
    *out = resp->shift_list->shifts[0];
    return 0;
}

int cmd_shift_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *staff = NULL, *desk = NULL, *date = NULL, *start = NULL, *end = NULL, *note = NULL,
               *expect = NULL;
    const cli_opt_t opts[] = {
        {"--staff", &staff, NULL},          {"--desk", &desk, NULL}, {"--date", &date, NULL},
        {"--start", &start, NULL},          {"--end", &end, NULL},   {"--note", &note, NULL},
        {"--expect-version", &expect, NULL}};
    Clinic__ShiftEditRequest m = CLINIC__SHIFT_EDIT_REQUEST__INIT;
    uint32_t a = 0, b = 0;
    uint64_t staff_id = 0, desk_id = 0, version = 0;
    int rc;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &m.id)) != 0)
        return rc;
    if (staff && (rc = cli_parse_id(cmd, "--staff", staff, &staff_id)) != 0)
        return rc;
    if ((start && cl_cli_parse_hhmm(start, 0, &a) != 0) ||
        (end && cl_cli_parse_hhmm(end, 1, &b) != 0))
        return cli_usage_error(cmd, "--start and --end are HH:MM");
    if (expect && (rc = cli_parse_version(cmd, expect, &version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0 ||
        (desk && (rc = cli_shift_resolve_desk(cli, desk, &desk_id)) != 0))
        return rc;
    const Clinic__Shift *cur = NULL;
    if ((rc = shift_get(cli, m.id, &cur)) != 0)
        return rc;
    /* Copies: the reply dies at the next call. */
    char cur_date[11], *cur_note = cl_strdup(cur->note);
    snprintf(cur_date, sizeof(cur_date), "%s", cur->date);
    m.version = version ? version : cur->version;
    m.staff_id = staff ? staff_id : cur->staff_id;
    m.desk_id = desk ? desk_id : cur->desk_id;
    m.date = date ? (char *)date : cur_date;
    m.start_minute = start ? a : cur->start_minute;
    m.end_minute = end ? b : cur->end_minute;
    m.note = note ? (char *)note : cur_note;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_EDIT, &m, &resp);
    free(cur_note);
    if (rc != 0)
        return rc;
    cli_shift_print(cli, "changed", resp->shift_edit->shift);
    return 0;
}

int cmd_shift_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *reason = "", *expect = NULL;
    const cli_opt_t opts[] = {{"--reason", &reason, NULL}, {"--expect-version", &expect, NULL}};
    Clinic__ShiftCancelRequest m = CLINIC__SHIFT_CANCEL_REQUEST__INIT;
    int rc;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &m.id)) != 0)
        return rc;
    if (expect && (rc = cli_parse_version(cmd, expect, &m.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    if (!expect) {
        const Clinic__Shift *cur = NULL;
        if ((rc = shift_get(cli, m.id, &cur)) != 0)
            return rc;
        m.version = cur->version;
    }
    m.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_CANCEL, &m, &resp)) != 0)
        return rc;
    cli_shift_print(cli, "cancelled", resp->shift_cancel->shift);
    return 0;
}

int cmd_shift_publish(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *week_start;
    int rc = cli_parse_one(cmd, argc, argv, NULL, 0, "WEEK_START (YYYY-MM-DD)", &week_start);
    if (rc != 0 || (rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__ShiftWeekPublishRequest m = CLINIC__SHIFT_WEEK_PUBLISH_REQUEST__INIT;
    m.week_start = (char *)week_start;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, &m, &resp)) != 0)
        return rc;
    const Clinic__ShiftWeekPublishReply *r = resp->shift_week_publish;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "week_start", r->week_start);
        cl_json_kv_uint(&cli->j, "published", r->published);
        cl_json_kv_int(&cli->j, "published_at", r->published_at);
        cl_json_kv_string(&cli->j, "published_by", r->published_by);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    printf("week of %s published: %u shift%s\n", r->week_start, r->published,
           r->published == 1 ? "" : "s");
    return 0;
}

/* ---- coverage -------------------------------------------------------------------------------- */

int cmd_shift_coverage(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *from = "", *to = "", *desk = NULL;
    int drafts = 0, rc;
    const cli_opt_t opts[] = {{"--from", &from, NULL},
                              {"--to", &to, NULL},
                              {"--desk", &desk, NULL},
                              {"--drafts", NULL, &drafts}};
    Clinic__ShiftCoverageRequest m = CLINIC__SHIFT_COVERAGE_REQUEST__INIT;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    m.from_date = (char *)from;
    m.to_date = (char *)to;
    m.include_drafts = drafts;
    if ((rc = cli_resume(cli)) != 0 ||
        (desk && (rc = cli_shift_resolve_desk(cli, desk, &m.desk_id)) != 0))
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_COVERAGE, &m, &resp)) != 0)
        return rc;
    const Clinic__ShiftCoverageReply *r = resp->shift_coverage;
    for (size_t i = 0; i < r->n_days; i++) {
        const Clinic__ShiftCoverageDay *d = r->days[i];
        if (cli->json) {
            cl_json_t *j = &cli->j;
            cl_json_object_begin(j);
            cl_json_kv_string(j, "date", d->date);
            cl_json_kv_uint(j, "desk_id", d->desk_id);
            cl_json_kv_string(j, "desk_name", d->desk_name);
            cl_json_kv_uint(j, "min_staff", d->min_staff);
            cl_json_kv_string(j, "window", d->window);
            cl_json_kv_bool(j, "gap", d->gap);
            cl_json_key(j, "segments");
            cl_json_array_begin(j);
            for (size_t k = 0; k < d->n_segments; k++) {
                const Clinic__ShiftCoverageSegment *g = d->segments[k];
                char a[6], b[6];
                cl_cli_format_hhmm(g->start_minute, a);
                cl_cli_format_hhmm(g->end_minute, b);
                cl_json_object_begin(j);
                cl_json_kv_string(j, "start", a);
                cl_json_kv_string(j, "end", b);
                cl_json_kv_int(j, "starts_at", g->starts_at);
                cl_json_kv_int(j, "ends_at", g->ends_at);
                cl_json_kv_uint(j, "on_duty", g->on_duty);
                cl_json_kv_bool(j, "gap", g->gap);
                cl_json_object_end(j);
            }
            cl_json_array_end(j);
            cl_json_object_end(j);
            cli_json_emit(cli);
            continue;
        }
        printf("%s  ", d->date);
        cli_put(stdout, d->desk_name, 0);
        printf(" (min %u)%s", d->min_staff, d->gap ? "  GAP" : "");
        if (d->n_segments == 0)
            printf("  closed, no shifts");
        printf("\n");
        for (size_t k = 0; k < d->n_segments; k++) {
            const Clinic__ShiftCoverageSegment *g = d->segments[k];
            char a[6], b[6];
            cl_cli_format_hhmm(g->start_minute, a);
            cl_cli_format_hhmm(g->end_minute, b);
            printf("  %s-%s  %u on duty%s\n", a, b, g->on_duty, g->gap ? "  << below minimum" : "");
        }
    }
    if (!cli->json)
        printf("%u day%s with a gap\n", r->gaps, r->gaps == 1 ? "" : "s");
    return 0;
}

/* ---- swaps ----------------------------------------------------------------------------------- */

static int swap_propose(cli_t *cli, const cli_command_t *cmd, int npos, char **argv,
                        const char *note)
{
    Clinic__SwapProposeRequest m = CLINIC__SWAP_PROPOSE_REQUEST__INIT;
    int rc;
    if (npos != 2)
        return cli_usage_error(cmd, "expected MY_SHIFT and OTHER_SHIFT");
    if ((rc = cli_parse_id(cmd, "MY_SHIFT", argv[0], &m.shift_id)) != 0 ||
        (rc = cli_parse_id(cmd, "OTHER_SHIFT", argv[1], &m.other_shift_id)) != 0)
        return rc;
    if (note)
        m.note = (char *)note;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SWAP_PROPOSE, &m, &resp)) != 0)
        return rc;
    print_swap(cli, "proposed", resp->swap_propose->swap);
    return 0;
}

/* The swaps the user sees (`all`: every swap); the reply lives until the next call. */
static int swap_list_get(cli_t *cli, const char *state, int all, const Clinic__SwapListReply **out)
{
    Clinic__SwapListRequest l = CLINIC__SWAP_LIST_REQUEST__INIT;
    l.state = (char *)state;
    l.all = all;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_SWAP_LIST, &l, &resp);
    if (rc == 0)
        *out = resp->swap_list;
    return rc;
}

static int swap_respond(cli_t *cli, const cli_command_t *cmd, int npos, char **argv,
                        const char *action, const char *expect)
{
    Clinic__SwapRespondRequest m = CLINIC__SWAP_RESPOND_REQUEST__INIT;
    int rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected one swap ID");
    if ((rc = cli_parse_id(cmd, "ID", argv[0], &m.id)) != 0)
        return rc;
    if (expect && (rc = cli_parse_version(cmd, expect, &m.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    if (!expect) {
        const Clinic__SwapListReply *l;
        if ((rc = swap_list_get(cli, "", 0, &l)) != 0)
            return rc;
        for (size_t i = 0; i < l->n_swaps; i++)
            if (l->swaps[i]->id == m.id)
                m.version = l->swaps[i]->version;
        if (m.version == 0)
            return cli_error(CL_ENOTFOUND, "no swap %" PRIu64 " of yours", m.id);
    }
    m.action = (char *)action;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SWAP_RESPOND, &m, &resp)) != 0)
        return rc;
    print_swap(cli, NULL, resp->swap_respond->swap);
    return 0;
}

int cmd_shift_swap(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *note = NULL, *state = "", *expect = NULL;
    int all = 0, npos, rc;
    const cli_opt_t opts[] = {{"--note", &note, NULL},
                              {"--state", &state, NULL},
                              {"--all", NULL, &all},
                              {"--expect-version", &expect, NULL}};
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos < 1)
        return cli_usage_error(cmd, "expected propose, accept, decline, withdraw or list");
    const char *what = argv[0];
    if (strcmp(what, "propose") == 0)
        return swap_propose(cli, cmd, npos - 1, argv + 1, note);
    if (strcmp(what, "accept") == 0 || strcmp(what, "decline") == 0 ||
        strcmp(what, "withdraw") == 0)
        return swap_respond(cli, cmd, npos - 1, argv + 1, what, expect);
    if (strcmp(what, "list") != 0)
        return cli_usage_error(cmd, "unknown swap command '%s'", what);
    if (npos > 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__SwapListReply *l;
    if ((rc = swap_list_get(cli, state, all, &l)) != 0)
        return rc;
    for (size_t i = 0; i < l->n_swaps; i++)
        print_swap(cli, NULL, l->swaps[i]);
    if (!cli->json && l->n_swaps == 0)
        printf("no swaps\n");
    return 0;
}

int cmd_request_swap(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *note = NULL;
    const cli_opt_t opts[] = {{"--note", &note, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    return swap_propose(cli, cmd, npos, argv, note);
}
