/* The booking commands: appointments (book, move, cancel, no-show, show, list, open slots, series)
 * and the waitlist, with the lookup of a provider, room, type or patient named by id or by name
 * that schedule.c shares. Times are HH:MM and dates YYYY-MM-DD in the clinic's time zone; a change
 * reads the record's version first, so a concurrent edit is reported as a conflict. */
#include <inttypes.h>
#include <strings.h>

#include "cli.h"
#include "schedule_int.h"
#include "status.h"

/* ---- resolving names ------------------------------------------------------------------------- */

/* Checks, before connecting, that --patient names a patient (cli_parse_patient). */
static int check_patient_ref(const cli_command_t *cmd, const char *s)
{
    uint64_t id;
    const char *record;
    return cli_parse_patient(cmd, "--patient", s, &id, &record);
}

int cli_sched_resolve(cli_t *cli, cli_sched_kind_t kind, const char *arg, uint64_t *id)
{
    static const char *const what[] = {"provider", "room", "appointment type", "patient"};
    const Clinic__Response *resp;
    int rc;
    if (cl_cli_parse_uint(arg, INT64_MAX, id) == 0 && *id > 0)
        return 0;
    if (kind == CLI_SCHED_PATIENT) {
        Clinic__PatientShowRequest r = CLINIC__PATIENT_SHOW_REQUEST__INIT;
        r.record_number = (char *)arg;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_SHOW, &r, &resp)) != 0)
            return rc;
        return *id = resp->patient_show->patient->id, 0;
    }
    if (kind == CLI_SCHED_PROVIDER) {
        Clinic__ProviderListRequest l = CLINIC__PROVIDER_LIST_REQUEST__INIT;
        l.include_inactive = 1;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PROVIDER_LIST, &l, &resp)) != 0)
            return rc;
        for (size_t i = 0; i < resp->provider_list->n_providers; i++)
            if (strcasecmp(resp->provider_list->providers[i]->name, arg) == 0)
                return *id = resp->provider_list->providers[i]->id, 0;
    } else if (kind == CLI_SCHED_ROOM) {
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

int cli_sched_resolve_opt(cli_t *cli, cli_sched_kind_t kind, const char *arg, uint64_t *id)
{
    *id = 0;
    return arg ? cli_sched_resolve(cli, kind, arg, id) : 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

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

static void json_appointment_fields(cl_json_t *j, const Clinic__Appointment *a)
{
    cl_json_kv_uint(j, "id", a->id);
    cl_json_kv_string(j, "date", a->date);
    cli_sched_json_hhmm(j, "time", a->start_minute);
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
        cli_sched_json_hhmm(j, "offered_time", e->offered_start_minute);
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
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = cli_sched_resolve(cli, CLI_SCHED_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = cli_sched_resolve(cli, CLI_SCHED_TYPE, type, &m.type_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_ROOM, room, &m.room_id)) != 0)
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
    if ((rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_ROOM, room, &m.room_id)) != 0 ||
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
    if ((rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &l.provider_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_PATIENT, patient, &l.patient_id)) != 0)
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
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_TYPE, type, &m.type_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &m.provider_id)) != 0)
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
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = cli_sched_resolve(cli, CLI_SCHED_PROVIDER, provider, &m.provider_id)) != 0 ||
        (rc = cli_sched_resolve(cli, CLI_SCHED_TYPE, type, &m.type_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_ROOM, room, &m.room_id)) != 0)
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
    if ((rc = cli_sched_resolve(cli, CLI_SCHED_PATIENT, patient, &m.patient_id)) != 0 ||
        (rc = cli_sched_resolve(cli, CLI_SCHED_TYPE, type, &m.type_id)) != 0 ||
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_PROVIDER, provider, &m.provider_id)) != 0)
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
        (rc = cli_sched_resolve_opt(cli, CLI_SCHED_PATIENT, patient, &patient_id)) != 0)
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
