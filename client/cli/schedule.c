/* The schedule commands: providers and their weekly hours, rooms, appointment types, clinic hours,
 * holidays and blocks; appointments (book, move, cancel, no-show, show, list, open slots, series)
 * and the waitlist. Times are HH:MM and dates YYYY-MM-DD in the clinic's time zone, as the server
 * states them. A provider, room or type may be named by id or by name; a change reads the
 * record's version first, so a concurrent edit is reported as a conflict. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "status.h"

static const char *const WEEKDAYS[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* ---- arguments --------------------------------------------------------------------------------
 */

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

/* ---- resolving names ------------------------------------------------------------------------- */

typedef enum { KIND_PROVIDER, KIND_ROOM, KIND_TYPE, KIND_PATIENT } kind_t;

/* Checks, before connecting, that --patient names a patient (cli_parse_patient). */
static int check_patient_ref(const cli_command_t *cmd, const char *s)
{
    uint64_t id;
    const char *record;
    return cli_parse_patient(cmd, "--patient", s, &id, &record);
}

/* The id of the provider, room or appointment type `arg` names (a number is an id, anything
 * else a name; case does not matter), or of the patient (a number is an id, P0000042 a record
 * number, looked up as `patient show` does: an audited read). Returns 0 or an exit status
 * (printed). */
static int resolve(cli_t *cli, kind_t kind, const char *arg, uint64_t *id)
{
    static const char *const what[] = {"provider", "room", "appointment type", "patient"};
    const Clinic__Response *resp;
    int rc;
    if (cl_cli_parse_uint(arg, INT64_MAX, id) == 0 && *id > 0)
        return 0;
    if (kind == KIND_PATIENT) {
        Clinic__PatientShowRequest r = CLINIC__PATIENT_SHOW_REQUEST__INIT;
        r.record_number = (char *)arg;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_SHOW, &r, &resp)) != 0)
            return rc;
        return *id = resp->patient_show->patient->id, 0;
    }
    if (kind == KIND_PROVIDER) {
        Clinic__ProviderListRequest l = CLINIC__PROVIDER_LIST_REQUEST__INIT;
        l.include_inactive = 1;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_LIST, &l, &resp)) != 0)
            return rc;
        for (size_t i = 0; i < resp->provider_list->n_providers; i++)
            if (strcasecmp(resp->provider_list->providers[i]->name, arg) == 0)
                return *id = resp->provider_list->providers[i]->id, 0;
    } else if (kind == KIND_ROOM) {
        Clinic__RoomListRequest l = CLINIC__ROOM_LIST_REQUEST__INIT;
        l.include_inactive = 1;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_ROOM_LIST, &l, &resp)) != 0)
            return rc;
        for (size_t i = 0; i < resp->room_list->n_rooms; i++)
            if (strcasecmp(resp->room_list->rooms[i]->name, arg) == 0)
                return *id = resp->room_list->rooms[i]->id, 0;
    } else {
        Clinic__AppointmentTypeListRequest l = CLINIC__APPOINTMENT_TYPE_LIST_REQUEST__INIT;
        l.include_inactive = 1;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_LIST, &l, &resp)) != 0)
            return rc;
        for (size_t i = 0; i < resp->appointment_type_list->n_types; i++)
            if (strcasecmp(resp->appointment_type_list->types[i]->name, arg) == 0)
                return *id = resp->appointment_type_list->types[i]->id, 0;
    }
    return cli_error(CL_ENOTFOUND, "no %s named %s", what[kind], arg);
}

/* Resolves an optional option value into *id (left 0 when `arg` is NULL). */
static int resolve_opt(cli_t *cli, kind_t kind, const char *arg, uint64_t *id)
{
    *id = 0;
    return arg ? resolve(cli, kind, arg, id) : 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void json_hhmm(cl_json_t *j, const char *key, uint32_t minute)
{
    char s[6];
    cl_cli_format_hhmm(minute, s);
    cl_json_kv_string(j, key, s);
}

static void json_conflicts(cl_json_t *j, const char *key, Clinic__Conflict **c, size_t n)
{
    cl_json_key(j, key);
    cl_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        cl_json_object_begin(j);
        cl_json_kv_string(j, "kind", c[i]->kind);
        cl_json_kv_uint(j, "id", c[i]->id);
        cl_json_kv_int(j, "starts_at", c[i]->starts_at);
        cl_json_kv_int(j, "ends_at", c[i]->ends_at);
        cl_json_kv_string(j, "detail", c[i]->detail);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
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
        json_hhmm(j, "start", p->hours[i]->start_minute);
        json_hhmm(j, "end", p->hours[i]->end_minute);
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

static void json_appointment_fields(cl_json_t *j, const Clinic__Appointment *a)
{
    cl_json_kv_uint(j, "id", a->id);
    cl_json_kv_string(j, "date", a->date);
    json_hhmm(j, "time", a->start_minute);
    cl_json_kv_uint(j, "minutes", a->minutes);
    cl_json_kv_int(j, "starts_at", a->starts_at);
    cl_json_kv_int(j, "ends_at", a->ends_at);
    cl_json_kv_uint(j, "patient_id", a->patient_id);
    cl_json_kv_string(j, "patient_name", a->patient_name);
    cl_json_kv_string(j, "record_number", a->record_number);
    cl_json_kv_uint(j, "provider_id", a->provider_id);
    cl_json_kv_string(j, "provider_name", a->provider_name);
    cl_json_kv_uint(j, "room_id", a->room_id);
    cl_json_kv_string(j, "room_name", a->room_name);
    cl_json_kv_uint(j, "type_id", a->type_id);
    cl_json_kv_string(j, "type_name", a->type_name);
    cl_json_kv_uint(j, "series_id", a->series_id);
    cl_json_kv_string(j, "reason", a->reason);
    cl_json_kv_bool(j, "overbooked", a->overbooked);
    cl_json_kv_string(j, "state", a->state);
    cl_json_kv_string(j, "cancel_reason", a->cancel_reason);
    cl_json_kv_string(j, "created_by", a->created_by);
    cl_json_kv_uint(j, "version", a->version);
}

static void json_entry(cl_json_t *j, const Clinic__WaitlistEntry *e)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", e->id);
    cl_json_kv_uint(j, "patient_id", e->patient_id);
    cl_json_kv_string(j, "patient_name", e->patient_name);
    cl_json_kv_uint(j, "provider_id", e->provider_id);
    cl_json_kv_string(j, "provider_name", e->provider_name);
    cl_json_kv_uint(j, "type_id", e->type_id);
    cl_json_kv_string(j, "type_name", e->type_name);
    cl_json_kv_string(j, "earliest_date", e->earliest_date);
    cl_json_kv_string(j, "latest_date", e->latest_date);
    cl_json_kv_string(j, "note", e->note);
    cl_json_kv_string(j, "state", e->state);
    cl_json_kv_uint(j, "offered_provider_id", e->offered_provider_id);
    cl_json_kv_string(j, "offered_date", e->offered_date);
    if (e->offered_starts_at)
        json_hhmm(j, "offered_time", e->offered_start_minute);
    cl_json_kv_int(j, "offered_starts_at", e->offered_starts_at);
    cl_json_kv_uint(j, "appointment_id", e->appointment_id);
    cl_json_kv_uint(j, "version", e->version);
    cl_json_object_end(j);
}

/* "2024-05-07 09:00-09:30 Ann Archer (P0000001) with Dr. Lee in Exam 1, Visit [scheduled]" */
static void put_appointment(const Clinic__Appointment *a)
{
    char from[6], to[6];
    cl_cli_format_hhmm(a->start_minute, from);
    cl_cli_format_hhmm(a->start_minute + a->minutes, to);
    printf("%s %s-%s ", a->date, from, to);
    cli_put(stdout, a->patient_name, 0);
    printf(" (");
    cli_put(stdout, a->record_number, 0);
    printf(") with ");
    cli_put(stdout, a->provider_name, 0);
    if (a->room_id) {
        printf(" in ");
        cli_put(stdout, a->room_name, 0);
    }
    printf(", ");
    cli_put(stdout, a->type_name, 0);
    printf(" [%s%s]", a->state, a->overbooked ? ", overbooked" : "");
}

static void put_offers(Clinic__WaitlistEntry **offers, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char t[6];
        cl_cli_format_hhmm(offers[i]->offered_start_minute, t);
        printf("  offered to waitlist entry %" PRIu64 ": ", offers[i]->id);
        cli_put(stdout, offers[i]->patient_name, 0);
        printf(" (%s %s)\n", offers[i]->offered_date, t);
    }
}

/* Prints the appointment a command changed, with what it overrode and the waitlist offers. */
static void print_appointment(cli_t *cli, const char *verb, const Clinic__Appointment *a,
                              Clinic__Conflict **conflicts, size_t n_conflicts,
                              Clinic__WaitlistEntry **offers, size_t n_offers)
{
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        json_appointment_fields(&cli->j, a);
        json_conflicts(&cli->j, "overridden", conflicts, n_conflicts);
        cl_json_key(&cli->j, "offers");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < n_offers; i++)
            json_entry(&cli->j, offers[i]);
        cl_json_array_end(&cli->j);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    printf("%s appointment %" PRIu64 ": ", verb, a->id);
    put_appointment(a);
    printf("\n");
    for (size_t i = 0; i < n_conflicts; i++) {
        printf("  overrode: ");
        cli_put(stdout, conflicts[i]->detail, 0);
        printf("\n");
    }
    put_offers(offers, n_offers);
}

/* With --json, a refused booking's conflicts go to stdout too, one object, for scripts. */
static void json_refusal(cli_t *cli, const Clinic__Response *resp)
{
    Clinic__Conflict **c = NULL;
    size_t n = 0;
    if (!cli->json || resp == NULL)
        return;
    if (resp->result_case == CLINIC__RESPONSE__RESULT_APPOINTMENT_BOOK && resp->appointment_book)
        c = resp->appointment_book->conflicts, n = resp->appointment_book->n_conflicts;
    else if (resp->result_case == CLINIC__RESPONSE__RESULT_APPOINTMENT_MOVE &&
             resp->appointment_move)
        c = resp->appointment_move->conflicts, n = resp->appointment_move->n_conflicts;
    if (n == 0)
        return;
    cl_json_object_begin(&cli->j);
    cl_json_kv_bool(&cli->j, "refused", 1);
    json_conflicts(&cli->j, "conflicts", c, n);
    cl_json_object_end(&cli->j);
    cli_json_emit(cli);
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
    if ((rc = resolve(cli, KIND_PROVIDER, provider, &id)) != 0 ||
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
    if ((rc = resolve(cli, KIND_PROVIDER, argv[0], &id)) != 0 ||
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
                json_hhmm(&cli->j, "start", cur.hours[i].start_minute);
                json_hhmm(&cli->j, "end", cur.hours[i].end_minute);
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
    if ((rc = resolve_opt(cli, KIND_PROVIDER, provider, &provider_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_ROOM, room, &room_id)) != 0)
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
    if ((rc = resolve_opt(cli, KIND_PROVIDER, provider, &l.provider_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_ROOM, room, &l.room_id)) != 0)
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

/* ---- appointments ---------------------------------------------------------------------------- */

int cmd_appt_book(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *patient = NULL, *provider = NULL, *type = NULL, *date = NULL, *time = NULL;
    const char *room = NULL, *minutes = NULL, *reason = "", *waitlist = NULL;
    int override = 0, rc;
    const cli_opt_t opts[] = {{"--patient", &patient, NULL},   {"--provider", &provider, NULL},
                              {"--type", &type, NULL},         {"--date", &date, NULL},
                              {"--time", &time, NULL},         {"--room", &room, NULL},
                              {"--minutes", &minutes, NULL},   {"--reason", &reason, NULL},
                              {"--waitlist", &waitlist, NULL}, {"--override", NULL, &override}};
    uint64_t waitlist_id = 0, n_minutes = 0;
    uint32_t start;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (!patient || !provider || !type || !date || !time)
        return cli_usage_error(cmd, "--patient, --provider, --type, --date and --time are "
                                    "required");
    if ((rc = check_patient_ref(cmd, patient)) != 0 ||
        (waitlist && (rc = cli_parse_id(cmd, "--waitlist", waitlist, &waitlist_id)) != 0))
        return rc;
    if (cl_cli_parse_hhmm(time, 0, &start) != 0)
        return cli_usage_error(cmd, "--time is HH:MM");
    if (minutes && cl_cli_parse_uint(minutes, 1440, &n_minutes) != 0)
        return cli_usage_error(cmd, "--minutes is a number");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentBookRequest m = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    if ((rc = resolve(cli, KIND_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = resolve(cli, KIND_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = resolve(cli, KIND_TYPE, type, &m.type_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_ROOM, room, &m.room_id)) != 0)
        return rc;
    m.date = (char *)date;
    m.start_minute = start;
    m.minutes = (uint32_t)n_minutes;
    m.reason = (char *)reason;
    m.override = override;
    m.waitlist_id = waitlist_id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &m, &resp)) != 0) {
        json_refusal(cli, resp);
        return rc;
    }
    const Clinic__AppointmentBookReply *r = resp->appointment_book;
    print_appointment(cli, "booked", r->appointment, r->conflicts, r->n_conflicts, NULL, 0);
    return 0;
}

/* The appointment `id`'s version and start as the server has them now. */
static int appointment_read(cli_t *cli, uint64_t id, uint64_t *version)
{
    Clinic__AppointmentGetRequest g = CLINIC__APPOINTMENT_GET_REQUEST__INIT;
    g.id = id;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_GET, &g, &resp);
    if (rc == 0)
        *version = resp->appointment_get->appointment->version;
    return rc;
}

int cmd_appt_move(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date = "", *time = NULL, *provider = NULL, *room = NULL, *minutes = NULL;
    int no_room = 0, override = 0, rc;
    const cli_opt_t opts[] = {{"--date", &date, NULL},         {"--time", &time, NULL},
                              {"--provider", &provider, NULL}, {"--room", &room, NULL},
                              {"--no-room", NULL, &no_room},   {"--minutes", &minutes, NULL},
                              {"--override", NULL, &override}};
    uint64_t id, n_minutes = 0;
    uint32_t start = 0;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &id)) != 0)
        return rc;
    if (room && no_room)
        return cli_usage_error(cmd, "give --room or --no-room, not both");
    if (time && cl_cli_parse_hhmm(time, 0, &start) != 0)
        return cli_usage_error(cmd, "--time is HH:MM");
    if (date[0] && time == NULL)
        return cli_usage_error(cmd, "--date needs --time");
    if (minutes && cl_cli_parse_uint(minutes, 1440, &n_minutes) != 0)
        return cli_usage_error(cmd, "--minutes is a number");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentMoveRequest m = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    if ((rc = resolve_opt(cli, KIND_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_ROOM, room, &m.room_id)) != 0 ||
        (rc = appointment_read(cli, id, &m.version)) != 0)
        return rc;
    m.id = id;
    m.date = (char *)date;
    m.start_minute = start;
    m.clear_room = no_room;
    m.minutes = (uint32_t)n_minutes;
    m.override = override;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_MOVE, &m, &resp)) != 0) {
        json_refusal(cli, resp);
        return rc;
    }
    const Clinic__AppointmentMoveReply *r = resp->appointment_move;
    print_appointment(cli, "moved", r->appointment, r->conflicts, r->n_conflicts, r->offers,
                      r->n_offers);
    return 0;
}

int cmd_appt_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *reason = NULL;
    const cli_opt_t opts[] = {{"--reason", &reason, NULL}};
    int rc;
    uint64_t id;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &id)) != 0)
        return rc;
    if (reason == NULL)
        return cli_usage_error(cmd, "--reason is required");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentCancelRequest m = CLINIC__APPOINTMENT_CANCEL_REQUEST__INIT;
    if ((rc = appointment_read(cli, id, &m.version)) != 0)
        return rc;
    m.id = id;
    m.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_CANCEL, &m, &resp)) != 0)
        return rc;
    const Clinic__AppointmentCancelReply *r = resp->appointment_cancel;
    print_appointment(cli, "cancelled", r->appointment, NULL, 0, r->offers, r->n_offers);
    return 0;
}

int cmd_appt_noshow(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "ID", &id)) != 0)
        return rc;
    Clinic__AppointmentNoShowRequest m = CLINIC__APPOINTMENT_NO_SHOW_REQUEST__INIT;
    if ((rc = appointment_read(cli, id, &m.version)) != 0)
        return rc;
    m.id = id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_NO_SHOW, &m, &resp)) != 0)
        return rc;
    print_appointment(cli, "no-show:", resp->appointment_no_show->appointment, NULL, 0, NULL, 0);
    return 0;
}

int cmd_appt_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "ID", &id)) != 0)
        return rc;
    Clinic__AppointmentGetRequest g = CLINIC__APPOINTMENT_GET_REQUEST__INIT;
    g.id = id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_GET, &g, &resp)) != 0)
        return rc;
    const Clinic__Appointment *a = resp->appointment_get->appointment;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        json_appointment_fields(&cli->j, a);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    char from[6], to[6], booked[32];
    cl_cli_format_hhmm(a->start_minute, from);
    cl_cli_format_hhmm(a->start_minute + a->minutes, to);
    cli_time(a->created_at, booked, sizeof(booked));
    printf("Appointment %" PRIu64 "%s\n", a->id, a->overbooked ? " (overbooked)" : "");
    printf("When:     %s %s-%s (%u minutes)\n", a->date, from, to, a->minutes);
    printf("Patient:  ");
    cli_put(stdout, a->patient_name, 0);
    printf(" (%" PRIu64 ", ", a->patient_id);
    cli_put(stdout, a->record_number, 0);
    printf(")\nProvider: ");
    cli_put(stdout, a->provider_name, 0);
    printf("\nRoom:     ");
    cli_put(stdout, a->room_id ? a->room_name : "-", 0);
    printf("\nType:     ");
    cli_put(stdout, a->type_name, 0);
    printf("\nReason:   ");
    cli_put(stdout, a->reason[0] ? a->reason : "-", 0);
    printf("\nState:    %s", a->state);
    if (a->cancel_reason[0]) {
        printf(" (");
        cli_put(stdout, a->cancel_reason, 0);
        printf(")");
    }
    if (a->series_id)
        printf("\nSeries:   %" PRIu64, a->series_id);
    printf("\nBooked:   %s by ", booked);
    cli_put(stdout, a->created_by, 0);
    printf("\n");
    return 0;
}

int cmd_appt_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date = NULL, *from = NULL, *to = "", *provider = NULL, *patient = NULL;
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--date", &date, NULL},       {"--from", &from, NULL},
                              {"--to", &to, NULL},           {"--provider", &provider, NULL},
                              {"--patient", &patient, NULL}, {"--all", NULL, &all}};
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (date && from)
        return cli_usage_error(cmd, "give --date or --from, not both");
    if (patient && (rc = check_patient_ref(cmd, patient)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentListRequest l = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    if ((rc = resolve_opt(cli, KIND_PROVIDER, provider, &l.provider_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_PATIENT, patient, &l.patient_id)) != 0)
        return rc;
    l.from_date = (char *)(date ? date : from ? from : "");
    l.to_date = (char *)(date ? date : to);
    l.include_cancelled = all;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_LIST, &l, &resp)) != 0)
        return rc;
    const Clinic__AppointmentListReply *r = resp->appointment_list;
    for (size_t i = 0; i < r->n_appointments; i++) {
        const Clinic__Appointment *a = r->appointments[i];
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            json_appointment_fields(&cli->j, a);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            continue;
        }
        printf("%-6" PRIu64 "  ", a->id);
        put_appointment(a);
        printf("\n");
    }
    if (r->truncated)
        fprintf(stderr, "clinic: more appointments match: narrow the dates\n");
    return 0;
}

int cmd_appt_slots(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *type = NULL, *provider = NULL, *from = "", *to = "", *after = NULL;
    const char *before = NULL, *limit = NULL, *step = NULL;
    const cli_opt_t opts[] = {{"--type", &type, NULL},   {"--provider", &provider, NULL},
                              {"--from", &from, NULL},   {"--to", &to, NULL},
                              {"--after", &after, NULL}, {"--before", &before, NULL},
                              {"--limit", &limit, NULL}, {"--step", &step, NULL}};
    int rc;
    uint32_t earliest = 0, latest = 0;
    uint64_t n_limit = 0, n_step = 0;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (type == NULL)
        return cli_usage_error(cmd, "--type is required");
    if ((after && cl_cli_parse_hhmm(after, 0, &earliest) != 0) ||
        (before && cl_cli_parse_hhmm(before, 1, &latest) != 0))
        return cli_usage_error(cmd, "--after and --before are HH:MM");
    if ((limit && cl_cli_parse_uint(limit, 1000, &n_limit) != 0) ||
        (step && cl_cli_parse_uint(step, 1440, &n_step) != 0))
        return cli_usage_error(cmd, "--limit and --step are numbers");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__SlotFindRequest m = CLINIC__SLOT_FIND_REQUEST__INIT;
    if ((rc = resolve(cli, KIND_TYPE, type, &m.type_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_PROVIDER, provider, &m.provider_id)) != 0)
        return rc;
    m.from_date = (char *)from;
    m.to_date = (char *)to;
    m.earliest_minute = earliest;
    m.latest_minute = latest;
    m.limit = (uint32_t)n_limit;
    m.step_minutes = (uint32_t)n_step;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_SLOT_FIND, &m, &resp)) != 0)
        return rc;
    const Clinic__SlotFindReply *r = resp->slot_find;
    for (size_t i = 0; i < r->n_slots; i++) {
        const Clinic__Slot *s = r->slots[i];
        char a[6], b[6];
        cl_cli_format_hhmm(s->start_minute, a);
        cl_cli_format_hhmm(s->start_minute + (uint32_t)((s->ends_at - s->starts_at) / 60), b);
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            cl_json_kv_string(&cli->j, "date", s->date);
            cl_json_kv_string(&cli->j, "time", a);
            cl_json_kv_int(&cli->j, "starts_at", s->starts_at);
            cl_json_kv_int(&cli->j, "ends_at", s->ends_at);
            cl_json_kv_uint(&cli->j, "provider_id", s->provider_id);
            cl_json_kv_string(&cli->j, "provider_name", s->provider_name);
            cl_json_kv_uint(&cli->j, "room_id", s->room_id);
            cl_json_kv_string(&cli->j, "room_name", s->room_name);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            continue;
        }
        printf("%s %s-%s  ", s->date, a, b);
        cli_put(stdout, s->provider_name, 0);
        if (s->room_id) {
            printf(" in ");
            cli_put(stdout, s->room_name, 0);
        }
        printf("\n");
    }
    if (r->n_slots == 0 && !cli->json)
        printf("no open slots\n");
    return 0;
}

int cmd_appt_series(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *patient = NULL, *provider = NULL, *type = NULL, *date = NULL, *time = NULL;
    const char *rule = NULL, *count = NULL, *room = NULL, *minutes = NULL, *reason = "";
    int skip = 0, rc;
    const cli_opt_t opts[] = {{"--patient", &patient, NULL},    {"--provider", &provider, NULL},
                              {"--type", &type, NULL},          {"--date", &date, NULL},
                              {"--time", &time, NULL},          {"--rule", &rule, NULL},
                              {"--count", &count, NULL},        {"--room", &room, NULL},
                              {"--minutes", &minutes, NULL},    {"--reason", &reason, NULL},
                              {"--skip-conflicts", NULL, &skip}};
    uint64_t n_count, n_minutes = 0;
    uint32_t start;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (!patient || !provider || !type || !date || !time || !rule || !count)
        return cli_usage_error(cmd, "--patient, --provider, --type, --date, --time, --rule and "
                                    "--count are required");
    if ((rc = check_patient_ref(cmd, patient)) != 0)
        return rc;
    if (cl_cli_parse_hhmm(time, 0, &start) != 0)
        return cli_usage_error(cmd, "--time is HH:MM");
    if (cl_cli_parse_uint(count, 1000, &n_count) != 0 ||
        (minutes && cl_cli_parse_uint(minutes, 1440, &n_minutes) != 0))
        return cli_usage_error(cmd, "--count and --minutes are numbers");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentSeriesBookRequest m = CLINIC__APPOINTMENT_SERIES_BOOK_REQUEST__INIT;
    if ((rc = resolve(cli, KIND_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = resolve(cli, KIND_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = resolve(cli, KIND_TYPE, type, &m.type_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_ROOM, room, &m.room_id)) != 0)
        return rc;
    m.rule = (char *)rule;
    m.count = (uint32_t)n_count;
    m.first_date = (char *)date;
    m.start_minute = start;
    m.minutes = (uint32_t)n_minutes;
    m.reason = (char *)reason;
    m.skip_conflicts = skip;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_SERIES_BOOK, &m, &resp);
    if (resp == NULL || resp->result_case != CLINIC__RESPONSE__RESULT_APPOINTMENT_SERIES_BOOK ||
        resp->appointment_series_book == NULL)
        return rc;
    /* The occurrences are printed on a refusal too: they say which dates collide. */
    const Clinic__AppointmentSeriesBookReply *r = resp->appointment_series_book;
    for (size_t i = 0; i < r->n_occurrences; i++) {
        const Clinic__SeriesOccurrence *o = r->occurrences[i];
        char t[6];
        cl_cli_format_hhmm(start, t);
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            cl_json_kv_uint(&cli->j, "series_id", r->series_id);
            cl_json_kv_string(&cli->j, "date", o->date);
            cl_json_kv_string(&cli->j, "time", t);
            cl_json_kv_int(&cli->j, "starts_at", o->starts_at);
            cl_json_kv_uint(&cli->j, "appointment_id", o->appointment_id);
            json_conflicts(&cli->j, "conflicts", o->conflicts, o->n_conflicts);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            continue;
        }
        printf("%s %s  ", o->date, t);
        if (o->appointment_id)
            printf("booked appointment %" PRIu64, o->appointment_id);
        else if (o->n_conflicts == 0)
            printf("not booked");
        else
            printf("%s: ", rc == 0 ? "skipped" : "conflict");
        for (size_t k = 0; k < o->n_conflicts; k++) {
            printf("%s", k ? "; " : "");
            cli_put(stdout, o->conflicts[k]->detail, 0);
        }
        printf("\n");
    }
    if (rc == 0 && !cli->json)
        printf("series %" PRIu64 ": %u booked, %u skipped\n", r->series_id, r->booked, r->skipped);
    return rc;
}

int cmd_appt_series_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *from = NULL, *reason = NULL;
    const cli_opt_t opts[] = {{"--from", &from, NULL}, {"--reason", &reason, NULL}};
    int rc;
    uint64_t id;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "SERIES", &id)) != 0)
        return rc;
    if (from == NULL || reason == NULL)
        return cli_usage_error(cmd, "--from and --reason are required");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__AppointmentSeriesCancelRequest m = CLINIC__APPOINTMENT_SERIES_CANCEL_REQUEST__INIT;
    m.series_id = id;
    m.from_date = (char *)from;
    m.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_APPOINTMENT_SERIES_CANCEL, &m, &resp)) != 0)
        return rc;
    const Clinic__AppointmentSeriesCancelReply *r = resp->appointment_series_cancel;
    for (size_t i = 0; i < r->n_appointments; i++)
        print_appointment(cli, "cancelled", r->appointments[i], NULL, 0, NULL, 0);
    if (!cli->json) {
        put_offers(r->offers, r->n_offers);
        printf("series %" PRIu64 ": %zu cancelled from %s\n", id, r->n_appointments, from);
    }
    return 0;
}

/* ---- waitlist -------------------------------------------------------------------------------- */

static void print_entry(cli_t *cli, const char *verb, const Clinic__WaitlistEntry *e)
{
    if (cli->json) {
        json_entry(&cli->j, e);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s waitlist entry ", verb);
    printf("%-5" PRIu64 " ", e->id);
    cli_put(stdout, e->patient_name, 0);
    printf(" (%" PRIu64 "): ", e->patient_id);
    cli_put(stdout, e->type_name, 0);
    printf(" with ");
    cli_put(stdout, e->provider_id ? e->provider_name : "any provider", 0);
    printf(", %s to %s [%s", e->earliest_date, e->latest_date, e->state);
    if (e->offered_starts_at) {
        char t[6];
        cl_cli_format_hhmm(e->offered_start_minute, t);
        printf(": %s %s", e->offered_date, t);
    }
    printf("]");
    if (e->note[0]) {
        printf(" ");
        cli_put(stdout, e->note, 0);
    }
    printf("\n");
}

int cmd_waitlist_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *patient = NULL, *provider = NULL, *type = NULL, *from = "", *to = NULL;
    const char *note = "";
    const cli_opt_t opts[] = {{"--patient", &patient, NULL}, {"--provider", &provider, NULL},
                              {"--type", &type, NULL},       {"--from", &from, NULL},
                              {"--to", &to, NULL},           {"--note", &note, NULL}};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (!patient || !type || !to)
        return cli_usage_error(cmd, "--patient, --type and --to are required");
    if ((rc = check_patient_ref(cmd, patient)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__WaitlistAddRequest m = CLINIC__WAITLIST_ADD_REQUEST__INIT;
    if ((rc = resolve(cli, KIND_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = resolve(cli, KIND_TYPE, type, &m.type_id)) != 0 ||
        (rc = resolve_opt(cli, KIND_PROVIDER, provider, &m.provider_id)) != 0)
        return rc;
    m.earliest_date = (char *)from;
    m.latest_date = (char *)to;
    m.note = (char *)note;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_WAITLIST_ADD, &m, &resp)) != 0)
        return rc;
    print_entry(cli, "added", resp->waitlist_add->entry);
    return 0;
}

/* The open waitlist entries (or one patient's, with closed ones when `all`). */
static int waitlist_list(cli_t *cli, uint64_t patient_id, int all,
                         const Clinic__WaitlistListReply **out)
{
    Clinic__WaitlistListRequest l = CLINIC__WAITLIST_LIST_REQUEST__INIT;
    l.patient_id = patient_id;
    l.include_closed = all;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_WAITLIST_LIST, &l, &resp);
    if (rc == 0)
        *out = resp->waitlist_list;
    return rc;
}

int cmd_waitlist_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *patient = NULL;
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--patient", &patient, NULL}, {"--all", NULL, &all}};
    uint64_t patient_id = 0;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (patient && (rc = check_patient_ref(cmd, patient)) != 0)
        return rc;
    if (all && !patient)
        return cli_usage_error(cmd, "--all needs --patient");
    if ((rc = cli_resume(cli)) != 0 ||
        (rc = resolve_opt(cli, KIND_PATIENT, patient, &patient_id)) != 0)
        return rc;
    const Clinic__WaitlistListReply *r;
    if ((rc = waitlist_list(cli, patient_id, all, &r)) != 0)
        return rc;
    for (size_t i = 0; i < r->n_entries; i++)
        print_entry(cli, NULL, r->entries[i]);
    return 0;
}

int cmd_waitlist_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "ID", &id)) != 0)
        return rc;
    const Clinic__WaitlistListReply *r;
    if ((rc = waitlist_list(cli, 0, 0, &r)) != 0)
        return rc;
    Clinic__WaitlistRemoveRequest m = CLINIC__WAITLIST_REMOVE_REQUEST__INIT;
    m.id = id;
    for (size_t i = 0; i < r->n_entries; i++)
        if (r->entries[i]->id == id)
            m.version = r->entries[i]->version;
    if (m.version == 0)
        return cli_error(CL_ENOTFOUND, "no open waitlist entry %" PRIu64, id);
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_WAITLIST_REMOVE, &m, &resp)) != 0)
        return rc;
    print_entry(cli, "removed", resp->waitlist_remove->entry);
    return 0;
}
