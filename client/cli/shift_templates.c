/* `shift template`: named weekly templates of shifts, set from rows DAYS/HH:MM-HH:MM/DESK/STAFF_ID,
 * listed, and applied to a week as drafts. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "shifts_int.h"
#include "status.h"

/* ---- arguments ------------------------------------------------------------------------------- */

/* "HH:MM-HH:MM": a start and an end (an end not after the start is the next day's). */
static int parse_span(const char *s, uint32_t *start, uint32_t *end)
{
    const char *dash = strchr(s, '-');
    char a[8];
    if (dash == NULL || (size_t)(dash - s) >= sizeof(a))
        return CL_EINVAL;
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = '\0';
    return cl_cli_parse_hhmm(a, 0, start) == 0 && cl_cli_parse_hhmm(dash + 1, 1, end) == 0
               ? 0
               : CL_EINVAL;
}

/* One weekday: "mon", "monday" or 0-6 (0 Sunday); -1 for anything else. */
static int parse_weekday(const char *s, size_t len)
{
    if (len == 1 && s[0] >= '0' && s[0] <= '6')
        return s[0] - '0';
    static const char *const full[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    for (int i = 0; i < 7; i++)
        if (len >= 3 && len <= strlen(full[i]) && strncasecmp(s, full[i], len) == 0)
            return i;
    return -1;
}

/* Weekdays "mon", "mon-fri", "mon,wed,fri" into a bit set; 0 for bad input. */
static unsigned parse_weekdays(const char *s, size_t len)
{
    unsigned set = 0;
    const char *p = s, *stop = s + len;
    while (p < stop) {
        const char *end = memchr(p, ',', (size_t)(stop - p));
        if (end == NULL)
            end = stop;
        const char *dash = memchr(p, '-', (size_t)(end - p));
        int a = parse_weekday(p, (size_t)((dash ? dash : end) - p));
        int b = dash ? parse_weekday(dash + 1, (size_t)(end - dash - 1)) : a;
        if (a < 0 || b < 0)
            return 0;
        for (int d = a;; d = (d + 1) % 7) {
            set |= 1u << d;
            if (d == b)
                break;
        }
        p = end < stop ? end + 1 : end;
    }
    return set;
}

/* ---- templates ------------------------------------------------------------------------------- */

static void print_template(cli_t *cli, const Clinic__ShiftTemplate *t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "name", t->name);
        cl_json_kv_uint(j, "version", t->version);
        cl_json_key(j, "rows");
        cl_json_array_begin(j);
        for (size_t i = 0; i < t->n_rows; i++) {
            const Clinic__ShiftTemplateRow *r = t->rows[i];
            char a[6], b[6];
            cl_cli_format_hhmm(r->start_minute, a);
            cl_cli_format_hhmm(r->end_minute, b);
            cl_json_object_begin(j);
            cl_json_kv_uint(j, "weekday", r->weekday);
            cl_json_kv_string(j, "start", a);
            cl_json_kv_string(j, "end", b);
            cl_json_kv_uint(j, "desk_id", r->desk_id);
            cl_json_kv_string(j, "desk_name", r->desk_name);
            cl_json_kv_uint(j, "staff_id", r->staff_id);
            cl_json_kv_string(j, "staff_name", r->staff_name);
            cl_json_object_end(j);
        }
        cl_json_array_end(j);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return;
    }
    printf("template ");
    cli_put(stdout, t->name, 0);
    printf(" (version %" PRIu64 ", %zu rows)\n", t->version, t->n_rows);
    for (size_t i = 0; i < t->n_rows; i++) {
        const Clinic__ShiftTemplateRow *r = t->rows[i];
        char a[6], b[6];
        cl_cli_format_hhmm(r->start_minute, a);
        cl_cli_format_hhmm(r->end_minute, b);
        printf("  %s %s-%s  ", days[r->weekday % 7], a, b);
        cli_put(stdout, r->desk_name, 0);
        printf("  ");
        cli_put(stdout, r->staff_name, 0);
        printf(" (%" PRIu64 ")\n", r->staff_id);
    }
}

/* The rows of a template being set, one per weekday of each ROW argument. */
typedef struct {
    Clinic__ShiftTemplateRow *rows;  /* owned */
    Clinic__ShiftTemplateRow **ptrs; /* owned; ptrs[i] is &rows[i], as the request wants them */
    size_t n;
} template_rows_t;

/* Room for the rows of `nargs` ROW arguments, each at most seven (one per weekday). */
static void template_rows_init(template_rows_t *t, int nargs)
{
    size_t cap = (size_t)nargs * 7 + 1;
    t->rows = cl_malloc(cap * sizeof(*t->rows));
    t->ptrs = cl_malloc(cap * sizeof(*t->ptrs));
    t->n = 0;
}

static void template_rows_free(template_rows_t *t)
{
    free(t->rows);
    free(t->ptrs);
}

/* Splits `s` in place at each '/'; returns 0 when it has exactly four parts, else -1. */
static int split_template_row(char *s, char *parts[4])
{
    int k = 0;
    for (; k < 4 && s; k++) {
        parts[k] = s;
        s = strchr(s, '/');
        if (s)
            *s++ = '\0';
    }
    return k == 4 && s == NULL ? 0 : -1;
}

/* Parses ROW, DAYS/HH:MM-HH:MM/DESK/STAFF_ID (a desk named by name is looked up on the server),
 * and appends to `t` one row per weekday of DAYS. Returns 0 or an exit status (printed). */
static int add_template_rows(cli_t *cli, const cli_command_t *cmd, const char *arg,
                             template_rows_t *t)
{
    char *parts[4], *copy = cl_strdup(arg);
    unsigned set =
        split_template_row(copy, parts) == 0 ? parse_weekdays(parts[0], strlen(parts[0])) : 0;
    uint32_t a, b;
    uint64_t desk_id = 0, staff_id = 0;
    if (set == 0 || parse_span(parts[1], &a, &b) != 0 ||
        cl_cli_parse_uint(parts[3], INT64_MAX, &staff_id) != 0 || staff_id == 0) {
        free(copy);
        return cli_usage_error(cmd, "row '%s': expected DAYS/HH:MM-HH:MM/DESK/STAFF_ID", arg);
    }
    int rc = cli_shift_resolve_desk(cli, parts[2], &desk_id);
    free(copy);
    if (rc != 0)
        return rc;
    for (int d = 0; d < 7; d++) {
        if (!(set & (1u << d)))
            continue;
        Clinic__ShiftTemplateRow *row = &t->rows[t->n];
        clinic__shift_template_row__init(row);
        row->weekday = (uint32_t)d;
        row->start_minute = a;
        row->end_minute = b;
        row->desk_id = desk_id;
        row->staff_id = staff_id;
        t->ptrs[t->n++] = row;
    }
    return 0;
}

/* The version template `name` has now into *version, left as it is when there is none. */
static int current_template_version(cli_t *cli, const char *name, uint64_t *version)
{
    Clinic__ShiftTemplateListRequest l = CLINIC__SHIFT_TEMPLATE_LIST_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_LIST, &l, &resp);
    if (rc != 0)
        return rc;
    const Clinic__ShiftTemplateListReply *r = resp->shift_template_list;
    for (size_t i = 0; i < r->n_templates; i++)
        if (strcmp(r->templates[i]->name, name) == 0)
            *version = r->templates[i]->version;
    return 0;
}

/* `shift template set NAME ROW...`: each ROW is DAYS/HH:MM-HH:MM/DESK/STAFF_ID, one row per
 * weekday of DAYS. No rows removes the template. */
static int template_set(cli_t *cli, const cli_command_t *cmd, int npos, char **argv,
                        const char *expect)
{
    Clinic__ShiftTemplateSetRequest m = CLINIC__SHIFT_TEMPLATE_SET_REQUEST__INIT;
    template_rows_t t;
    const Clinic__Response *resp;
    int rc;
    if (npos < 1)
        return cli_usage_error(cmd, "expected NAME and rows DAYS/HH:MM-HH:MM/DESK/STAFF_ID");
    if (expect && (rc = cli_parse_version(cmd, expect, &m.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    template_rows_init(&t, npos - 1);
    for (int i = 1; i < npos && rc == 0; i++)
        rc = add_template_rows(cli, cmd, argv[i], &t);
    /* Without --expect-version, set over the version there is now (0: a new template). */
    if (rc == 0 && !expect)
        rc = current_template_version(cli, argv[0], &m.version);
    m.name = argv[0];
    m.rows = t.ptrs;
    m.n_rows = t.n;
    if (rc == 0)
        rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_SET, &m, &resp);
    template_rows_free(&t);
    if (rc != 0)
        return rc;
    if (m.n_rows == 0 && !cli->json) {
        printf("template %s removed\n", argv[0]);
        return 0;
    }
    print_template(cli, resp->shift_template_set->template_);
    return 0;
}

static int template_list(cli_t *cli, const cli_command_t *cmd, int npos, char **argv)
{
    int rc;
    if (npos > 1)
        return cli_usage_error(cmd, "template list takes at most a NAME");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__ShiftTemplateListRequest l = CLINIC__SHIFT_TEMPLATE_LIST_REQUEST__INIT;
    if (npos == 1)
        l.name = argv[0];
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_LIST, &l, &resp)) != 0)
        return rc;
    for (size_t i = 0; i < resp->shift_template_list->n_templates; i++)
        print_template(cli, resp->shift_template_list->templates[i]);
    if (!cli->json && resp->shift_template_list->n_templates == 0)
        printf("no templates\n");
    return 0;
}

static int template_apply(cli_t *cli, const cli_command_t *cmd, int npos, char **argv)
{
    int rc;
    if (npos != 2)
        return cli_usage_error(cmd, "expected NAME and WEEK_START");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__ShiftTemplateApplyRequest m = CLINIC__SHIFT_TEMPLATE_APPLY_REQUEST__INIT;
    m.name = argv[0];
    m.week_start = argv[1];
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_APPLY, &m, &resp)) != 0)
        return rc;
    const Clinic__ShiftTemplateApplyReply *r = resp->shift_template_apply;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_key(j, "created");
        cl_json_array_begin(j);
        for (size_t i = 0; i < r->n_created; i++)
            cli_shift_json(j, NULL, r->created[i]);
        cl_json_array_end(j);
        cl_json_key(j, "skipped");
        cl_json_array_begin(j);
        for (size_t i = 0; i < r->n_skipped; i++) {
            cl_json_object_begin(j);
            cl_json_kv_uint(j, "row", r->skipped[i]->row);
            cl_json_kv_string(j, "date", r->skipped[i]->date);
            cl_json_kv_uint(j, "staff_id", r->skipped[i]->staff_id);
            cl_json_kv_string(j, "staff_name", r->skipped[i]->staff_name);
            cl_json_kv_string(j, "desk_name", r->skipped[i]->desk_name);
            cl_json_kv_string(j, "reason", r->skipped[i]->reason);
            cl_json_object_end(j);
        }
        cl_json_array_end(j);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    for (size_t i = 0; i < r->n_created; i++)
        cli_shift_print(cli, "drafted", r->created[i]);
    for (size_t i = 0; i < r->n_skipped; i++) {
        printf("skipped row %u on %s: ", r->skipped[i]->row, r->skipped[i]->date);
        cli_put(stdout, r->skipped[i]->reason, 0);
        printf("\n");
    }
    printf("%zu drafted, %zu skipped\n", r->n_created, r->n_skipped);
    return 0;
}

int cmd_shift_template(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *expect = NULL;
    const cli_opt_t opts[] = {{"--expect-version", &expect, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos < 1)
        return cli_usage_error(cmd, "expected set, list or apply");
    if (strcmp(argv[0], "set") == 0)
        return template_set(cli, cmd, npos - 1, argv + 1, expect);
    if (strcmp(argv[0], "list") == 0)
        return template_list(cli, cmd, npos - 1, argv + 1);
    if (strcmp(argv[0], "apply") == 0)
        return template_apply(cli, cmd, npos - 1, argv + 1);
    return cli_usage_error(cmd, "unknown template command '%s'", argv[0]);
}
