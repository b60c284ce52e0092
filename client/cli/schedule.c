/* The schedule's setup commands: providers and their weekly hours, rooms, appointment types,
 * clinic hours, holidays and blocks, on which appt.c books. Times are HH:MM and dates YYYY-MM-DD in
 * the clinic's time zone, as the server states them; a change reads the record's version first, so
 * a concurrent edit is reported as a conflict. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "schedule_int.h"
#include "status.h"

static const char *const WEEKDAYS[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* ---- arguments ------------------------------------------------------------------------------ */

/* One weekday: "mon", "monday", "Mon" or 0-6 (0 Sunday). Returns it or -1. */
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

/* Weekdays: "mon", "mon-fri", "mon,wed,fri" into a bit set. Returns 0 or CL_EINVAL. */
static int parse_weekdays(const char *s, unsigned *out)
{
    unsigned set = 0;
    const char *p = s;
    while (*p) {
        const char *end = p + strcspn(p, ",");
        const char *dash = memchr(p, '-', (size_t)(end - p));
        int a = parse_weekday(p, (size_t)((dash ? dash : end) - p));
        int b = dash ? parse_weekday(dash + 1, (size_t)(end - dash - 1)) : a;
        if (a < 0 || b < 0)
            return CL_EINVAL;
        for (int d = a;; d = (d + 1) % 7) {
            set |= 1u << d;
            if (d == b)
                break;
        }
        p = *end ? end + 1 : end;
    }
    if (set == 0)
        return CL_EINVAL;
    *out = set;
    return 0;
}

static int parse_yes_no(const cli_command_t *cmd, const char *opt, const char *s, int *out)
{
    if (strcmp(s, "yes") == 0)
        *out = 1;
    else if (strcmp(s, "no") == 0)
        *out = 0;
    else
        return cli_usage_error(cmd, "%s takes yes or no", opt);
    return 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

void cli_sched_json_hhmm(cl_json_t *j, const char *key, uint32_t minute)
{
    char s[6];
    cl_cli_format_hhmm(minute, s);
    cl_json_kv_string(j, key, s);
}

static void json_provider(cl_json_t *j, const Clinic__Provider *p)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", p->id);
    cl_json_kv_string(j, "name", p->name);
    cl_json_kv_string(j, "specialty", p->specialty);
    cl_json_kv_string(j, "username", p->username);
    cl_json_kv_bool(j, "active", p->active);
    cl_json_kv_uint(j, "version", p->version);
    cl_json_key(j, "hours");
    cl_json_array_begin(j);
    for (size_t i = 0; i < p->n_hours; i++) {
        cl_json_object_begin(j);
        cl_json_kv_uint(j, "weekday", p->hours[i]->weekday);
        cli_sched_json_hhmm(j, "start", p->hours[i]->start_minute);
        cli_sched_json_hhmm(j, "end", p->hours[i]->end_minute);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_object_end(j);
}

/* "Mon 09:00-12:00 13:00-17:00; Tue ..." or "-". */
static void put_hours(Clinic__ProviderHours **hours, size_t n)
{
    int last = -1;
    for (size_t i = 0; i < n; i++) {
        char a[6], b[6];
        cl_cli_format_hhmm(hours[i]->start_minute, a);
        cl_cli_format_hhmm(hours[i]->end_minute, b);
        if ((int)hours[i]->weekday != last)
            printf("%s%s", last < 0 ? "" : "; ", WEEKDAYS[hours[i]->weekday % 7]);
        printf(" %s-%s", a, b);
        last = (int)hours[i]->weekday;
    }
    if (n == 0)
        printf("-");
}

static void print_provider(cli_t *cli, const char *verb, const Clinic__Provider *p)
{
    if (cli->json) {
        json_provider(&cli->j, p);
        cli_json_emit(cli);
        return;
    }
    printf("%s provider %" PRIu64 ": ", verb, p->id);
    cli_put(stdout, p->name, 0);
    if (p->username[0]) {
        printf(" (");
        cli_put(stdout, p->username, 0);
        printf(")");
    }
    printf("%s; hours: ", p->active ? "" : " [inactive]");
    put_hours(p->hours, p->n_hours);
    printf("\n");
}

/* ---- providers ------------------------------------------------------------------------------- */

int cmd_provider_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *specialty = "", *user = "";
    const cli_opt_t opts[] = {{"--specialty", &specialty, NULL}, {"--user", &user, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "NAME is missing");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    char *name = cli_join_words(npos, argv);
    Clinic__ProviderAddRequest m = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    m.name = name;
    m.specialty = (char *)specialty;
    m.username = (char *)user;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_ADD, &m, &resp);
    free(name);
    if (rc == 0)
        print_provider(cli, "added", resp->provider_add->provider);
    return rc;
}

int cmd_provider_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__ProviderListRequest l = CLINIC__PROVIDER_LIST_REQUEST__INIT;
    l.include_inactive = all;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_LIST, &l, &resp)) != 0)
        return rc;
    const Clinic__ProviderListReply *r = resp->provider_list;
    if (cli->json) {
        for (size_t i = 0; i < r->n_providers; i++) {
            json_provider(&cli->j, r->providers[i]);
            cli_json_emit(cli);
        }
        return 0;
    }
    printf("%-4s  %-24s  %-20s  %-12s  %-8s  %s\n", "ID", "NAME", "SPECIALTY", "USER", "STATE",
           "HOURS");
    for (size_t i = 0; i < r->n_providers; i++) {
        const Clinic__Provider *p = r->providers[i];
        printf("%-4" PRIu64 "  ", p->id);
        cli_put(stdout, p->name, 0);
        printf("%*s  ", 24 - (int)(strlen(p->name) < 24 ? strlen(p->name) : 24), "");
        cli_put(stdout, p->specialty, 0);
        printf("%*s  ", 20 - (int)(strlen(p->specialty) < 20 ? strlen(p->specialty) : 20), "");
        printf("%-12s  %-8s  ", p->username[0] ? p->username : "-",
               p->active ? "active" : "inactive");
        put_hours(p->hours, p->n_hours);
        printf("\n");
    }
    return 0;
}

/* A provider as read for a change, copied out of the reply (which dies at the next call). */
typedef struct {
    uint64_t id, version;
    int active;
    char *name, *specialty, *username; /* cl_malloc'ed */
    Clinic__ProviderHours *hours;      /* cl_malloc'ed array */
    size_t n_hours;
} provider_copy_t;

static void provider_copy_free(provider_copy_t *p)
{
    free(p->name);
    free(p->specialty);
    free(p->username);
    free(p->hours);
}

static int provider_read(cli_t *cli, uint64_t id, provider_copy_t *out)
{
    Clinic__ProviderListRequest l = CLINIC__PROVIDER_LIST_REQUEST__INIT;
    l.include_inactive = 1;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_LIST, &l, &resp);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < resp->provider_list->n_providers; i++) {
        const Clinic__Provider *p = resp->provider_list->providers[i];
        if (p->id != id)
            continue;
        out->id = p->id;
        out->version = p->version;
        out->active = p->active;
        out->name = cl_strdup(p->name);
        out->specialty = cl_strdup(p->specialty);
        out->username = cl_strdup(p->username);
        out->hours = cl_calloc(p->n_hours + 1, sizeof(*out->hours));
        out->n_hours = p->n_hours;
        for (size_t k = 0; k < p->n_hours; k++)
            out->hours[k] = *p->hours[k];
        return 0;
    }
    return cli_error(CL_ENOTFOUND, "no provider with id %" PRIu64, id);
}

int cmd_provider_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *provider, *name = NULL, *specialty = NULL, *user = NULL, *active = NULL;
    int no_user = 0, set_active = -1;
    const cli_opt_t opts[] = {{"--name", &name, NULL},
                              {"--specialty", &specialty, NULL},
                              {"--user", &user, NULL},
                              {"--no-user", NULL, &no_user},
                              {"--active", &active, NULL}};
    int rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "PROVIDER", &provider);
    if (rc != 0)
        return rc;
    if (user && no_user)
        return cli_usage_error(cmd, "give --user or --no-user, not both");
    if (active && (rc = parse_yes_no(cmd, "--active", active, &set_active)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    uint64_t id;
    provider_copy_t cur = {0};
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_PROVIDER, provider, &id)) != 0 ||
        (rc = provider_read(cli, id, &cur)) != 0)
        goto out;
    Clinic__ProviderEditRequest m = CLINIC__PROVIDER_EDIT_REQUEST__INIT;
    m.id = id;
    m.name = (char *)(name ? name : cur.name);
    m.specialty = (char *)(specialty ? specialty : cur.specialty);
    m.username = no_user ? "" : (char *)(user ? user : cur.username);
    m.active = set_active >= 0 ? set_active : cur.active;
    m.version = cur.version;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_EDIT, &m, &resp)) == 0)
        print_provider(cli, "changed", resp->provider_edit->provider);
out:
    provider_copy_free(&cur);
    return rc;
}

/* Parses "09:00-12:00,13:00-17:00" for the weekdays in `days` into `out` (room for `max`). */
static int parse_ranges(const char *s, unsigned days, Clinic__ProviderHours *out, size_t max,
                        size_t *n)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *dash = strchr(tok, '-');
        uint32_t a, b;
        if (dash == NULL)
            return CL_EINVAL;
        *dash = '\0';
        if (cl_cli_parse_hhmm(tok, 0, &a) != 0 || cl_cli_parse_hhmm(dash + 1, 1, &b) != 0)
            return CL_EINVAL;
        for (int d = 0; d < 7; d++) {
            if (!(days & (1u << d)))
                continue;
            if (*n == max)
                return CL_EINVAL;
            clinic__provider_hours__init(&out[*n]);
            out[*n].weekday = (uint32_t)d;
            out[*n].start_minute = a;
            out[*n].end_minute = b;
            (*n)++;
        }
    }
    return 0;
}

int cmd_provider_hours(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    enum { MAX_RANGES = 64 };
    int npos, rc;
    unsigned days = 0;
    if ((rc = cli_parse(cmd, argc, argv, NULL, 0, &npos)) != 0)
        return rc;
    if (npos != 1 && npos != 3)
        return cli_usage_error(cmd, "expected PROVIDER, or PROVIDER WEEKDAYS RANGES|off");
    if (npos == 3 && parse_weekdays(argv[1], &days) != 0)
        return cli_usage_error(cmd, "WEEKDAYS: mon, mon-fri or mon,wed,fri; not '%s'", argv[1]);
    Clinic__ProviderHours hours[MAX_RANGES];
    size_t n = 0;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    uint64_t id;
    provider_copy_t cur = {0};
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_PROVIDER, argv[0], &id)) != 0 ||
        (rc = provider_read(cli, id, &cur)) != 0)
        goto out;
    if (npos == 1) {
        /* Show the template, one weekday a line. */
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            cl_json_kv_uint(&cli->j, "id", cur.id);
            cl_json_kv_string(&cli->j, "name", cur.name);
            cl_json_key(&cli->j, "hours");
            cl_json_array_begin(&cli->j);
            for (size_t i = 0; i < cur.n_hours; i++) {
                cl_json_object_begin(&cli->j);
                cl_json_kv_uint(&cli->j, "weekday", cur.hours[i].weekday);
                cli_sched_json_hhmm(&cli->j, "start", cur.hours[i].start_minute);
                cli_sched_json_hhmm(&cli->j, "end", cur.hours[i].end_minute);
                cl_json_object_end(&cli->j);
            }
            cl_json_array_end(&cli->j);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            goto out;
        }
        for (uint32_t d = 0; d < 7; d++) {
            printf("%s", WEEKDAYS[d]);
            int any = 0;
            for (size_t i = 0; i < cur.n_hours; i++) {
                if (cur.hours[i].weekday != d)
                    continue;
                char a[6], b[6];
                cl_cli_format_hhmm(cur.hours[i].start_minute, a);
                cl_cli_format_hhmm(cur.hours[i].end_minute, b);
                printf(" %s-%s", a, b);
                any = 1;
            }
            printf("%s\n", any ? "" : " off");
        }
        goto out;
    }
    /* The other weekdays' ranges stay; the named ones are replaced. */
    for (size_t i = 0; i < cur.n_hours && n < MAX_RANGES; i++)
        if (!(days & (1u << (cur.hours[i].weekday % 7))))
            hours[n++] = cur.hours[i];
    if (strcmp(argv[2], "off") != 0 && parse_ranges(argv[2], days, hours, MAX_RANGES, &n) != 0) {
        rc = cli_usage_error(cmd, "RANGES: HH:MM-HH:MM[,HH:MM-HH:MM...] or off; not '%s'", argv[2]);
        goto out;
    }
    Clinic__ProviderHours *ptrs[MAX_RANGES];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &hours[i];
    Clinic__ProviderHoursSetRequest m = CLINIC__PROVIDER_HOURS_SET_REQUEST__INIT;
    m.provider_id = id;
    m.version = cur.version;
    m.hours = ptrs;
    m.n_hours = n;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_HOURS_SET, &m, &resp)) == 0)
        print_provider(cli, "hours of", resp->provider_hours_set->provider);
out:
    provider_copy_free(&cur);
    return rc;
}

/* ---- rooms and appointment types ------------------------------------------------------------- */

static void json_room(cl_json_t *j, const Clinic__Room *r)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", r->id);
    cl_json_kv_string(j, "name", r->name);
    cl_json_kv_bool(j, "active", r->active);
    cl_json_kv_uint(j, "version", r->version);
    cl_json_object_end(j);
}

int cmd_room_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, NULL, 0, &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "NAME is missing");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    char *name = cli_join_words(npos, argv);
    Clinic__RoomAddRequest m = CLINIC__ROOM_ADD_REQUEST__INIT;
    m.name = name;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_ROOM_ADD, &m, &resp);
    free(name);
    if (rc != 0)
        return rc;
    const Clinic__Room *r = resp->room_add->room;
    if (cli->json) {
        json_room(&cli->j, r);
        cli_json_emit(cli);
        return 0;
    }
    printf("added room %" PRIu64 ": ", r->id);
    cli_put(stdout, r->name, 0);
    printf("\n");
    return 0;
}

int cmd_room_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__RoomListRequest l = CLINIC__ROOM_LIST_REQUEST__INIT;
    l.include_inactive = all;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_ROOM_LIST, &l, &resp)) != 0)
        return rc;
    if (!cli->json)
        printf("%-4s  %-8s  %s\n", "ID", "STATE", "NAME");
    for (size_t i = 0; i < resp->room_list->n_rooms; i++) {
        const Clinic__Room *r = resp->room_list->rooms[i];
        if (cli->json) {
            json_room(&cli->j, r);
            cli_json_emit(cli);
            continue;
        }
        printf("%-4" PRIu64 "  %-8s  ", r->id, r->active ? "active" : "inactive");
        cli_put(stdout, r->name, 0);
        printf("\n");
    }
    return 0;
}

static void json_type(cl_json_t *j, const Clinic__AppointmentType *t)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", t->id);
    cl_json_kv_string(j, "name", t->name);
    cl_json_kv_uint(j, "minutes", t->default_minutes);
    cl_json_kv_string(j, "color", t->color);
    cl_json_kv_bool(j, "needs_room", t->needs_room);
    cl_json_kv_bool(j, "active", t->active);
    cl_json_kv_uint(j, "version", t->version);
    cl_json_object_end(j);
}

int cmd_apptype_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *minutes = NULL, *color = "";
    int no_room = 0, npos, rc;
    const cli_opt_t opts[] = {
        {"--minutes", &minutes, NULL}, {"--color", &color, NULL}, {"--no-room", NULL, &no_room}};
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "NAME is missing");
    uint64_t m_minutes;
    if (minutes == NULL || cl_cli_parse_uint(minutes, 1440, &m_minutes) != 0)
        return cli_usage_error(cmd, "--minutes N is required (5-480)");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    char *name = cli_join_words(npos, argv);
    Clinic__AppointmentTypeAddRequest m = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
    m.name = name;
    m.default_minutes = (uint32_t)m_minutes;
    m.color = (char *)color;
    m.needs_room = !no_room;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, &m, &resp);
    free(name);
    if (rc != 0)
        return rc;
    const Clinic__AppointmentType *t = resp->appointment_type_add->type;
    if (cli->json) {
        json_type(&cli->j, t);
        cli_json_emit(cli);
        return 0;
    }
    printf("added appointment type %" PRIu64 ": ", t->id);
    cli_put(stdout, t->name, 0);
    printf(", %u minutes, %s%s\n", t->default_minutes, t->color,
           t->needs_room ? ", needs a room" : "");
    return 0;
}

int cmd_apptype_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__AppointmentTypeListRequest l = CLINIC__APPOINTMENT_TYPE_LIST_REQUEST__INIT;
    l.include_inactive = all;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_LIST, &l, &resp)) != 0)
        return rc;
    if (!cli->json)
        printf("%-4s  %-7s  %-7s  %-4s  %-8s  %s\n", "ID", "MINUTES", "COLOR", "ROOM", "STATE",
               "NAME");
    for (size_t i = 0; i < resp->appointment_type_list->n_types; i++) {
        const Clinic__AppointmentType *t = resp->appointment_type_list->types[i];
        if (cli->json) {
            json_type(&cli->j, t);
            cli_json_emit(cli);
            continue;
        }
        printf("%-4" PRIu64 "  %-7u  %-7s  %-4s  %-8s  ", t->id, t->default_minutes, t->color,
               t->needs_room ? "yes" : "no", t->active ? "active" : "inactive");
        cli_put(stdout, t->name, 0);
        printf("\n");
    }
    return 0;
}

/* ---- clinic hours and holidays --------------------------------------------------------------- */

static int hours_list(cli_t *cli, const Clinic__ClinicHoursListReply **out)
{
    Clinic__ClinicHoursListRequest l = CLINIC__CLINIC_HOURS_LIST_REQUEST__INIT;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_CLINIC_HOURS_LIST, &l, &resp);
    if (rc == 0)
        *out = resp->clinic_hours_list;
    return rc;
}

static void print_day(cli_t *cli, const Clinic__ClinicDay *d)
{
    char a[6], b[6];
    cl_cli_format_hhmm(d->open_minute, a);
    cl_cli_format_hhmm(d->close_minute, b);
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_uint(&cli->j, "weekday", d->weekday);
        cl_json_kv_bool(&cli->j, "open", d->open);
        cl_json_kv_string(&cli->j, "opens", d->version ? a : "");
        cl_json_kv_string(&cli->j, "closes", d->version ? b : "");
        cl_json_kv_uint(&cli->j, "version", d->version);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    if (d->open)
        printf("%s %s-%s\n", WEEKDAYS[d->weekday % 7], a, b);
    else
        printf("%s closed\n", WEEKDAYS[d->weekday % 7]);
}

int cmd_hours_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int npos, rc;
    unsigned days;
    uint32_t open = 0, close = 0;
    if ((rc = cli_parse(cmd, argc, argv, NULL, 0, &npos)) != 0)
        return rc;
    int closed = npos == 2 && strcmp(argv[1], "closed") == 0;
    if (!closed && npos != 3)
        return cli_usage_error(cmd, "expected WEEKDAYS OPEN CLOSE, or WEEKDAYS closed");
    if (parse_weekdays(argv[0], &days) != 0)
        return cli_usage_error(cmd, "WEEKDAYS: mon, mon-fri or mon,wed,fri; not '%s'", argv[0]);
    if (!closed &&
        (cl_cli_parse_hhmm(argv[1], 0, &open) != 0 || cl_cli_parse_hhmm(argv[2], 1, &close) != 0))
        return cli_usage_error(cmd, "OPEN and CLOSE are HH:MM");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    for (uint32_t d = 0; d < 7; d++) {
        if (!(days & (1u << d)))
            continue;
        const Clinic__ClinicHoursListReply *list;
        if ((rc = hours_list(cli, &list)) != 0)
            return rc;
        Clinic__ClinicHoursSetRequest m = CLINIC__CLINIC_HOURS_SET_REQUEST__INIT;
        m.weekday = d;
        m.open = !closed;
        m.open_minute = open;
        m.close_minute = close;
        m.version = d < list->n_days ? list->days[d]->version : 0;
        const Clinic__Response *resp;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CLINIC_HOURS_SET, &m, &resp)) != 0)
            return rc;
        print_day(cli, resp->clinic_hours_set->day);
    }
    return 0;
}

int cmd_hours_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    const Clinic__ClinicHoursListReply *list;
    if ((rc = hours_list(cli, &list)) != 0)
        return rc;
    for (size_t i = 0; i < list->n_days; i++)
        print_day(cli, list->days[i]);
    return 0;
}

int cmd_holiday_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, NULL, 0, &npos)) != 0)
        return rc;
    if (npos < 2)
        return cli_usage_error(cmd, "expected DATE NAME");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    char *name = cli_join_words(npos - 1, argv + 1);
    Clinic__HolidayAddRequest m = CLINIC__HOLIDAY_ADD_REQUEST__INIT;
    m.date = argv[0];
    m.name = name;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_HOLIDAY_ADD, &m, &resp);
    free(name);
    if (rc != 0)
        return rc;
    const Clinic__HolidayAddReply *r = resp->holiday_add;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "date", r->holiday->date);
        cl_json_kv_string(&cli->j, "name", r->holiday->name);
        cl_json_kv_uint(&cli->j, "appointments", r->appointments);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    printf("added holiday %s: ", r->holiday->date);
    cli_put(stdout, r->holiday->name, 0);
    printf("\n");
    if (r->appointments)
        printf("  %u appointment%s already booked that day: move them\n", r->appointments,
               r->appointments == 1 ? " is" : "s are");
    return 0;
}

int cmd_holiday_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *from = "", *to = "";
    const cli_opt_t opts[] = {{"--from", &from, NULL}, {"--to", &to, NULL}};
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__HolidayListRequest l = CLINIC__HOLIDAY_LIST_REQUEST__INIT;
    l.from_date = (char *)from;
    l.to_date = (char *)to;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_HOLIDAY_LIST, &l, &resp)) != 0)
        return rc;
    for (size_t i = 0; i < resp->holiday_list->n_holidays; i++) {
        const Clinic__Holiday *h = resp->holiday_list->holidays[i];
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            cl_json_kv_string(&cli->j, "date", h->date);
            cl_json_kv_string(&cli->j, "name", h->name);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            continue;
        }
        printf("%s  ", h->date);
        cli_put(stdout, h->name, 0);
        printf("\n");
    }
    return 0;
}

int cmd_holiday_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date;
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, NULL, 0, "DATE", &date)) != 0 ||
        (rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__HolidayRemoveRequest m = CLINIC__HOLIDAY_REMOVE_REQUEST__INIT;
    m.date = (char *)date;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_HOLIDAY_REMOVE, &m, &resp)) != 0)
        return rc;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "date", date);
        cl_json_kv_bool(&cli->j, "removed", 1);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        printf("removed holiday %s\n", date);
    }
    return 0;
}

/* ---- blocks ---------------------------------------------------------------------------------- */

static void print_block(cli_t *cli, const char *verb, const Clinic__Block *b)
{
    char a[6], e[6];
    cl_cli_format_hhmm(b->start_minute, a);
    cl_cli_format_hhmm(b->end_minute, e);
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_uint(&cli->j, "id", b->id);
        cl_json_kv_uint(&cli->j, "provider_id", b->provider_id);
        cl_json_kv_string(&cli->j, "provider_name", b->provider_name);
        cl_json_kv_uint(&cli->j, "room_id", b->room_id);
        cl_json_kv_string(&cli->j, "room_name", b->room_name);
        cl_json_kv_string(&cli->j, "date", b->date);
        cl_json_kv_string(&cli->j, "start", a);
        cl_json_kv_string(&cli->j, "end_date", b->end_date);
        cl_json_kv_string(&cli->j, "end", e);
        cl_json_kv_int(&cli->j, "starts_at", b->starts_at);
        cl_json_kv_int(&cli->j, "ends_at", b->ends_at);
        cl_json_kv_string(&cli->j, "reason", b->reason);
        cl_json_kv_bool(&cli->j, "cancelled", b->cancelled);
        cl_json_kv_string(&cli->j, "created_by", b->created_by);
        cl_json_kv_uint(&cli->j, "version", b->version);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s block ", verb);
    printf("%-4" PRIu64 "  %s %s - ", b->id, b->date, a);
    if (strcmp(b->end_date, b->date) != 0)
        printf("%s ", b->end_date);
    printf("%s  %s ", e, b->provider_id ? "provider" : "room");
    cli_put(stdout, b->provider_id ? b->provider_name : b->room_name, 0);
    printf(": ");
    cli_put(stdout, b->reason, 0);
    printf("%s\n", b->cancelled ? " [cancelled]" : "");
}

int cmd_block_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *provider = NULL, *room = NULL, *date = NULL, *start = "00:00", *end = "24:00";
    const char *end_date = "", *reason = NULL;
    const cli_opt_t opts[] = {{"--provider", &provider, NULL}, {"--room", &room, NULL},
                              {"--date", &date, NULL},         {"--start", &start, NULL},
                              {"--end", &end, NULL},           {"--end-date", &end_date, NULL},
                              {"--reason", &reason, NULL}};
    int rc;
    uint32_t a, b;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if ((provider == NULL) == (room == NULL))
        return cli_usage_error(cmd, "give --provider or --room");
    if (date == NULL || reason == NULL)
        return cli_usage_error(cmd, "--date and --reason are required");
    if (cl_cli_parse_hhmm(start, 0, &a) != 0 || cl_cli_parse_hhmm(end, 1, &b) != 0)
        return cli_usage_error(cmd, "--start and --end are HH:MM");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    uint64_t provider_id, room_id;
    if ((rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &provider_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_ROOM, room, &room_id)) != 0)
        return rc;
    Clinic__BlockAddRequest m = CLINIC__BLOCK_ADD_REQUEST__INIT;
    m.provider_id = provider_id;
    m.room_id = room_id;
    m.date = (char *)date;
    m.start_minute = a;
    m.end_date = (char *)end_date;
    m.end_minute = b;
    m.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_BLOCK_ADD, &m, &resp)) != 0)
        return rc;
    const Clinic__BlockAddReply *r = resp->block_add;
    print_block(cli, cli->json ? NULL : "added", r->block);
    if (!cli->json)
        for (size_t i = 0; i < r->n_overlapping; i++) {
            printf("  still booked inside it: ");
            cli_put(stdout, r->overlapping[i]->detail, 0);
            printf("\n");
        }
    return 0;
}

/* Lists blocks; `id` non-zero asks for that one. *out is valid until the next call. */
static int block_list(cli_t *cli, Clinic__BlockListRequest *l, const Clinic__BlockListReply **out)
{
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_BLOCK_LIST, l, &resp);
    if (rc == 0)
        *out = resp->block_list;
    return rc;
}

int cmd_block_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *provider = NULL, *room = NULL, *from = "", *to = "";
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--provider", &provider, NULL},
                              {"--room", &room, NULL},
                              {"--from", &from, NULL},
                              {"--to", &to, NULL},
                              {"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__BlockListRequest l = CLINIC__BLOCK_LIST_REQUEST__INIT;
    if ((rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &l.provider_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_ROOM, room, &l.room_id)) != 0)
        return rc;
    l.from_date = (char *)from;
    l.to_date = (char *)to;
    l.include_cancelled = all;
    const Clinic__BlockListReply *r;
    if ((rc = block_list(cli, &l, &r)) != 0)
        return rc;
    for (size_t i = 0; i < r->n_blocks; i++)
        print_block(cli, NULL, r->blocks[i]);
    return 0;
}

int cmd_block_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "ID", &id)) != 0)
        return rc;
    Clinic__BlockListRequest l = CLINIC__BLOCK_LIST_REQUEST__INIT;
    l.id = id;
    const Clinic__BlockListReply *r;
    if ((rc = block_list(cli, &l, &r)) != 0)
        return rc;
    Clinic__BlockCancelRequest m = CLINIC__BLOCK_CANCEL_REQUEST__INIT;
    m.id = id;
    m.version = r->n_blocks ? r->blocks[0]->version : 0;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_BLOCK_CANCEL, &m, &resp)) != 0)
        return rc;
    print_block(cli, cli->json ? NULL : "cancelled", resp->block_cancel->block);
    return 0;
}
