/* The patient-flow commands: check-in, rooming, vitals, ready, with provider and check-out of an
 * appointment, one appointment's flow, the day's figures, and the board, printed once or redrawn
 * live (`board --watch`) as changes arrive. A transition carries the appointment's version: read
 * just before (FlowShowRequest), or given with --expect-version to act only on what was seen. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "mem.h"
#include "status.h"

enum {
    NAME_COLUMNS_MAX = 24, /* longer names are cut on the board */
};

/* ---- argument values ---- */

/* `v` (not negative) rounded to the nearest whole number, without libm. */
static uint32_t round_u32(double v)
{
    return (uint32_t)(v + 0.5);
}

/* Parses a non-negative decimal number with an optional unit suffix (compared without case);
 * *unit is the index of the suffix matched in `units` (-1: none). Returns 0 or -1. */
static int parse_measure(const char *s, const char *const *units, size_t n_units, double *out,
                         int *unit)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0 || s[0] == '-' || s[0] == '+')
        return -1;
    *unit = -1;
    if (*end != '\0') {
        for (size_t i = 0; i < n_units && *unit < 0; i++)
            if (strcasecmp(end, units[i]) == 0)
                *unit = (int)i;
        if (*unit < 0)
            return -1;
    }
    *out = v;
    return 0;
}

/* A whole number in [0, max] into a uint32. */
static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (cl_cli_parse_uint(s, max, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* "25", "25.5", "$25.50" -> cents. */
static int parse_dollars(const char *s, int64_t *cents)
{
    if (*s == '$')
        s++;
    int64_t whole = 0, frac = 0;
    int digits = 0, frac_digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > 100000000)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9' && frac_digits < 2; s++, frac_digits++)
            frac = frac * 10 + (*s - '0');
        if (frac_digits == 0)
            return -1;
        if (frac_digits == 1)
            frac *= 10;
    }
    if (*s != '\0' || digits == 0)
        return -1;
    *cents = whole * 100 + frac;
    return 0;
}

/* "98.6F", "37.0C", "37" (Celsius) -> tenths of a degree Celsius. */
static int parse_temperature(const char *s, uint32_t *out)
{
    static const char *const units[] = {"c", "f"};
    double v;
    int unit;
    if (parse_measure(s, units, 2, &v, &unit) != 0 || v > 1000)
        return -1;
    double celsius = unit == 1 ? (v - 32) * 5 / 9 : v;
    if (celsius < 0)
        return -1;
    *out = round_u32(celsius * 10);
    return 0;
}

/* "175", "175cm", "69in" -> millimetres. */
static int parse_height(const char *s, uint32_t *out)
{
    static const char *const units[] = {"cm", "in"};
    double v;
    int unit;
    if (parse_measure(s, units, 2, &v, &unit) != 0 || v > 10000)
        return -1;
    *out = round_u32(unit == 1 ? v * 25.4 : v * 10);
    return 0;
}

/* "70", "70.5kg", "154lb" -> grams. */
static int parse_weight(const char *s, uint32_t *out)
{
    static const char *const units[] = {"kg", "lb", "lbs"};
    double v;
    int unit;
    if (parse_measure(s, units, 3, &v, &unit) != 0 || v > 10000)
        return -1;
    *out = round_u32(unit >= 1 ? v * 453.59237 : v * 1000);
    return 0;
}

/* "120/80" -> systolic, diastolic. */
static int parse_bp(const char *s, uint32_t *systolic, uint32_t *diastolic)
{
    const char *slash = strchr(s, '/');
    if (slash == NULL || slash == s)
        return -1;
    char left[16];
    size_t n = (size_t)(slash - s);
    if (n >= sizeof(left))
        return -1;
    memcpy(left, s, n);
    left[n] = '\0';
    return parse_u32(left, 1000, systolic) == 0 && parse_u32(slash + 1, 1000, diastolic) == 0 ? 0
                                                                                              : -1;
}

/* ---- output ---- */

/* Code points in `s` (what a terminal shows of UTF-8 text, near enough for names). */
static int text_columns(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Prints `s` cut to `max` code points, then spaces up to `width`. */
static void put_cell(const char *s, int width, int max)
{
    size_t cut = strlen(s);
    int cols = 0;
    for (size_t i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) == 0x80)
            continue;
        if (cols == max) {
            cut = i;
            break;
        }
        cols++;
    }
    char *text = cl_strndup(s, cut);
    cli_put(stdout, text, 0);
    free(text);
    for (; cols < width; cols++)
        fputc(' ', stdout);
}

static void json_entry(cl_json_t *j, const Clinic__BoardEntry *e)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "appointment_id", e->appointment_id);
    cl_json_kv_uint(j, "version", e->version);
    cl_json_kv_string(j, "state", e->state);
    cl_json_kv_int(j, "state_at", e->state_at);
    cl_json_kv_uint(j, "minutes_in_state", e->minutes_in_state);
    cl_json_kv_uint(j, "patient_id", e->patient_id);
    cl_json_kv_string(j, "patient_name", e->patient_name);
    cl_json_kv_string(j, "record_number", e->record_number);
    cl_json_kv_uint(j, "provider_id", e->provider_id);
    cl_json_kv_string(j, "provider_name", e->provider_name);
    cl_json_kv_uint(j, "room_id", e->room_id);
    cl_json_kv_string(j, "room_name", e->room_name);
    cl_json_kv_uint(j, "type_id", e->type_id);
    cl_json_kv_string(j, "type_name", e->type_name);
    cl_json_kv_string(j, "type_color", e->type_color);
    cl_json_kv_int(j, "starts_at", e->starts_at);
    cl_json_kv_int(j, "ends_at", e->ends_at);
    cl_json_kv_uint(j, "start_minute", e->start_minute);
    cl_json_kv_string(j, "reason", e->reason);
    cl_json_kv_int(j, "arrived_at", e->arrived_at);
    cl_json_kv_int(j, "roomed_at", e->roomed_at);
    cl_json_kv_string(j, "waiting_for", e->waiting_for);
    cl_json_kv_uint(j, "wait_minutes", e->wait_minutes);
    cl_json_kv_bool(j, "waiting_too_long", e->waiting_too_long);
    cl_json_object_end(j);
}

/* "appointment 12 (Bob Smith, P0000001) is now roomed in Exam 2" */
static void print_moved(cli_t *cli, const Clinic__BoardEntry *e)
{
    if (cli->json) {
        json_entry(&cli->j, e);
        cli_json_emit(cli);
        return;
    }
    printf("appointment %llu (", (unsigned long long)e->appointment_id);
    cli_put(stdout, e->patient_name, 0);
    printf(", ");
    cli_put(stdout, e->record_number, 0);
    printf(") is now ");
    cli_put(stdout, e->state, 0);
    if (e->room_name[0] && strcmp(e->state, "checked_out") != 0) {
        printf(" in ");
        cli_put(stdout, e->room_name, 0);
    }
    printf(" (version %llu)\n", (unsigned long long)e->version);
}

/* ---- transitions ---- */

/* The version to send: --expect-version when given, else the one read now. */
static int current_version(cli_t *cli, const cli_command_t *cmd, uint64_t appt, const char *expect,
                           uint64_t *version)
{
    if (expect)
        return cli_parse_version(cmd, expect, version);
    Clinic__FlowShowRequest show = CLINIC__FLOW_SHOW_REQUEST__INIT;
    show.appointment_id = appt;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_FLOW_SHOW, &show, &resp);
    if (rc != 0)
        return rc;
    if (resp->flow_show->appointment == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no appointment");
    *version = resp->flow_show->appointment->version;
    return 0;
}

/* Sends the transition of kind `kind` whose body is `msg` and prints the appointment it moved. */
static int send_transition(cli_t *cli, Clinic__Request__BodyCase kind, const void *msg)
{
    const Clinic__Response *resp;
    int rc = cli_send(cli, kind, msg, &resp);
    if (rc != 0)
        return rc;
    /* Every transition replies with a FlowTransitionReply in the same union. */
    const Clinic__FlowTransitionReply *r = resp->flow_check_in;
    if (r == NULL || r->appointment == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no appointment");
    print_moved(cli, r->appointment);
    return 0;
}

int cmd_flow_checkin(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *copay = NULL, *expect = NULL;
    int demographics = 0, insurance = 0, rc;
    const cli_opt_t opts[] = {{"--copay", &copay, NULL},
                              {"--demographics-ok", NULL, &demographics},
                              {"--insurance-ok", NULL, &insurance},
                              {"--expect-version", &expect, NULL}};
    Clinic__FlowCheckInRequest r = CLINIC__FLOW_CHECK_IN_REQUEST__INIT;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "APPT",
                               &r.appointment_id)) != 0)
        return rc;
    if (copay && parse_dollars(copay, &r.copay_cents) != 0)
        return cli_usage_error(cmd, "--copay: expected dollars, such as 25 or 25.50");
    r.demographics_confirmed = demographics;
    r.insurance_confirmed = insurance;
    if ((rc = cli_resume(cli)) != 0 ||
        (rc = current_version(cli, cmd, r.appointment_id, expect, &r.version)) != 0)
        return rc;
    return send_transition(cli, CLINIC__REQUEST__BODY_FLOW_CHECK_IN, &r);
}

int cmd_flow_room(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *expect = NULL;
    const cli_opt_t opts[] = {{"--expect-version", &expect, NULL}};
    int npos, rc;
    Clinic__FlowRoomRequest r = CLINIC__FLOW_ROOM_REQUEST__INIT;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos != 2)
        return cli_usage_error(cmd, "expected APPT and ROOM");
    if ((rc = cli_parse_id(cmd, "APPT", argv[0], &r.appointment_id)) != 0)
        return rc;
    /* A number is the room's id; anything else its name. */
    if (cl_cli_parse_uint(argv[1], INT64_MAX, &r.room_id) != 0 || r.room_id == 0) {
        r.room_id = 0;
        r.room_name = argv[1];
    }
    if ((rc = cli_resume(cli)) != 0 ||
        (rc = current_version(cli, cmd, r.appointment_id, expect, &r.version)) != 0)
        return rc;
    return send_transition(cli, CLINIC__REQUEST__BODY_FLOW_ROOM, &r);
}

int cmd_flow_vitals(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *bp = NULL, *pulse = NULL, *resp_rate = NULL, *temp = NULL, *spo2 = NULL,
               *height = NULL, *weight = NULL, *pain = NULL, *allergies = NULL, *meds = NULL,
               *complaint = NULL, *expect = NULL;
    const cli_opt_t opts[] = {{"--bp", &bp, NULL},
                              {"--pulse", &pulse, NULL},
                              {"--resp", &resp_rate, NULL},
                              {"--temp", &temp, NULL},
                              {"--spo2", &spo2, NULL},
                              {"--height", &height, NULL},
                              {"--weight", &weight, NULL},
                              {"--pain", &pain, NULL},
                              {"--allergies", &allergies, NULL},
                              {"--meds", &meds, NULL},
                              {"--complaint", &complaint, NULL},
                              {"--expect-version", &expect, NULL}};
    int rc;
    Clinic__FlowVitalsRequest r = CLINIC__FLOW_VITALS_REQUEST__INIT;
    Clinic__Vitals v = CLINIC__VITALS__INIT;
    Clinic__PainScore pain_score = CLINIC__PAIN_SCORE__INIT;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "APPT",
                               &r.appointment_id)) != 0)
        return rc;
    /* Units are converted here; the ranges are the server's to judge. */
    if (bp && parse_bp(bp, &v.systolic, &v.diastolic) != 0)
        return cli_usage_error(cmd, "--bp: expected SYSTOLIC/DIASTOLIC, such as 120/80");
    if (pulse && parse_u32(pulse, 1000, &v.pulse) != 0)
        return cli_usage_error(cmd, "--pulse: expected beats per minute");
    if (resp_rate && parse_u32(resp_rate, 1000, &v.respirations) != 0)
        return cli_usage_error(cmd, "--resp: expected breaths per minute");
    if (temp && parse_temperature(temp, &v.temperature_dc) != 0)
        return cli_usage_error(cmd, "--temp: expected degrees, such as 37.0C or 98.6F");
    if (spo2 && parse_u32(spo2, 1000, &v.spo2) != 0)
        return cli_usage_error(cmd, "--spo2: expected a percentage");
    if (height && parse_height(height, &v.height_mm) != 0)
        return cli_usage_error(cmd, "--height: expected centimetres or inches, such as 175 or "
                                    "69in");
    if (weight && parse_weight(weight, &v.weight_g) != 0)
        return cli_usage_error(cmd, "--weight: expected kilograms or pounds, such as 70 or "
                                    "154lb");
    if (pain) {
        if (parse_u32(pain, 1000, &pain_score.score) != 0)
            return cli_usage_error(cmd, "--pain: expected a score from 0 to 10");
        v.pain = &pain_score;
    }
    if (allergies)
        v.allergies = (char *)allergies;
    if (meds)
        v.medications = (char *)meds;
    if (complaint)
        v.chief_complaint = (char *)complaint;
    r.vitals = &v;
    if ((rc = cli_resume(cli)) != 0 ||
        (rc = current_version(cli, cmd, r.appointment_id, expect, &r.version)) != 0)
        return rc;
    return send_transition(cli, CLINIC__REQUEST__BODY_FLOW_VITALS, &r);
}

/* ready and start: an appointment and nothing else. */
static int simple_transition(cli_t *cli, const cli_command_t *cmd, int argc, char **argv,
                             Clinic__Request__BodyCase kind)
{
    const char *expect = NULL;
    const cli_opt_t opts[] = {{"--expect-version", &expect, NULL}};
    int rc;
    uint64_t appt, version;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "APPT", &appt)) != 0 ||
        (rc = current_version(cli, cmd, appt, expect, &version)) != 0)
        return rc;
    Clinic__FlowReadyRequest ready = CLINIC__FLOW_READY_REQUEST__INIT;
    Clinic__FlowStartRequest start = CLINIC__FLOW_START_REQUEST__INIT;
    ready.appointment_id = start.appointment_id = appt;
    ready.version = start.version = version;
    if (kind == CLINIC__REQUEST__BODY_FLOW_READY)
        return send_transition(cli, kind, &ready);
    return send_transition(cli, kind, &start);
}

int cmd_flow_ready(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    return simple_transition(cli, cmd, argc, argv, CLINIC__REQUEST__BODY_FLOW_READY);
}

int cmd_flow_start(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    return simple_transition(cli, cmd, argc, argv, CLINIC__REQUEST__BODY_FLOW_START);
}

int cmd_flow_checkout(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *followup = NULL, *expect = NULL;
    int booked = 0, rc;
    const cli_opt_t opts[] = {{"--followup", &followup, NULL},
                              {"--followup-booked", NULL, &booked},
                              {"--expect-version", &expect, NULL}};
    Clinic__FlowCheckOutRequest r = CLINIC__FLOW_CHECK_OUT_REQUEST__INIT;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "APPT",
                               &r.appointment_id)) != 0)
        return rc;
    if (followup &&
        (rc = cli_parse_id(cmd, "--followup", followup, &r.followup_appointment_id)) != 0)
        return rc;
    r.followup_booked = booked || followup;
    if ((rc = cli_resume(cli)) != 0 ||
        (rc = current_version(cli, cmd, r.appointment_id, expect, &r.version)) != 0)
        return rc;
    return send_transition(cli, CLINIC__REQUEST__BODY_FLOW_CHECK_OUT, &r);
}

/* ---- one appointment ---- */

static void json_vitals(cl_json_t *j, const Clinic__Vitals *v)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "systolic", v->systolic);
    cl_json_kv_uint(j, "diastolic", v->diastolic);
    cl_json_kv_uint(j, "pulse", v->pulse);
    cl_json_kv_uint(j, "respirations", v->respirations);
    cl_json_kv_uint(j, "temperature_dc", v->temperature_dc);
    cl_json_kv_uint(j, "spo2", v->spo2);
    cl_json_kv_uint(j, "height_mm", v->height_mm);
    cl_json_kv_uint(j, "weight_g", v->weight_g);
    cl_json_key(j, "pain");
    if (v->pain)
        cl_json_uint(j, v->pain->score);
    else
        cl_json_null(j);
    cl_json_kv_string(j, "allergies", v->allergies);
    cl_json_kv_string(j, "medications", v->medications);
    cl_json_kv_string(j, "chief_complaint", v->chief_complaint);
    cl_json_kv_int(j, "taken_at", v->taken_at);
    cl_json_kv_string(j, "taken_by", v->taken_by);
    cl_json_object_end(j);
}

static void json_show(cl_json_t *j, const Clinic__FlowShowReply *r)
{
    cl_json_object_begin(j);
    cl_json_key(j, "appointment");
    json_entry(j, r->appointment);
    cl_json_key(j, "check_in");
    if (r->check_in) {
        cl_json_object_begin(j);
        cl_json_kv_bool(j, "demographics_confirmed", r->check_in->demographics_confirmed);
        cl_json_kv_bool(j, "insurance_confirmed", r->check_in->insurance_confirmed);
        cl_json_kv_int(j, "copay_cents", r->check_in->copay_cents);
        cl_json_kv_int(j, "at", r->check_in->at);
        cl_json_kv_string(j, "by", r->check_in->by);
        cl_json_object_end(j);
    } else {
        cl_json_null(j);
    }
    cl_json_key(j, "vitals");
    if (r->vitals)
        json_vitals(j, r->vitals);
    else
        cl_json_null(j);
    cl_json_key(j, "check_out");
    if (r->check_out) {
        cl_json_object_begin(j);
        cl_json_kv_bool(j, "followup_booked", r->check_out->followup_booked);
        cl_json_kv_uint(j, "followup_appointment_id", r->check_out->followup_appointment_id);
        cl_json_kv_int(j, "at", r->check_out->at);
        cl_json_kv_string(j, "by", r->check_out->by);
        cl_json_object_end(j);
    } else {
        cl_json_null(j);
    }
    cl_json_key(j, "events");
    cl_json_array_begin(j);
    for (size_t i = 0; i < r->n_events; i++) {
        const Clinic__FlowEvent *ev = r->events[i];
        cl_json_object_begin(j);
        cl_json_kv_string(j, "from_state", ev->from_state);
        cl_json_kv_string(j, "to_state", ev->to_state);
        cl_json_kv_int(j, "at", ev->at);
        cl_json_kv_string(j, "by", ev->by);
        cl_json_kv_uint(j, "room_id", ev->room_id);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_object_end(j);
}

/* "Label: text" on its own line, when there is text. */
static void put_line(const char *label, const char *text)
{
    if (text[0] == '\0')
        return;
    printf("  %s: ", label);
    cli_put(stdout, text, 0);
    printf("\n");
}

static void print_vitals(const Clinic__Vitals *v)
{
    char when[32];
    cli_time(v->taken_at, when, sizeof(when));
    printf("Vitals, %s by ", when);
    cli_put(stdout, v->taken_by, 0);
    printf(":");
    if (v->systolic)
        printf(" BP %u/%u,", v->systolic, v->diastolic);
    if (v->pulse)
        printf(" pulse %u,", v->pulse);
    if (v->respirations)
        printf(" resp %u,", v->respirations);
    if (v->temperature_dc)
        printf(" temp %.1f C (%.1f F),", v->temperature_dc / 10.0,
               v->temperature_dc / 10.0 * 9 / 5 + 32);
    if (v->spo2)
        printf(" SpO2 %u%%,", v->spo2);
    if (v->height_mm)
        printf(" height %.1f cm,", v->height_mm / 10.0);
    if (v->weight_g)
        printf(" weight %.1f kg,", v->weight_g / 1000.0);
    if (v->pain)
        printf(" pain %u/10", v->pain->score);
    printf("\n");
    put_line("Allergies", v->allergies);
    put_line("Medications", v->medications);
    put_line("Chief complaint", v->chief_complaint);
}

int cmd_flow_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t appt;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "APPT", &appt)) != 0)
        return rc;
    Clinic__FlowShowRequest show = CLINIC__FLOW_SHOW_REQUEST__INIT;
    show.appointment_id = appt;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_FLOW_SHOW, &show, &resp)) != 0)
        return rc;
    const Clinic__FlowShowReply *r = resp->flow_show;
    const Clinic__BoardEntry *e = r->appointment;
    if (e == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no appointment");
    if (cli->json) {
        json_show(&cli->j, r);
        cli_json_emit(cli);
        return 0;
    }
    char when[32];
    printf("Appointment %llu (version %llu): ", (unsigned long long)e->appointment_id,
           (unsigned long long)e->version);
    cli_put(stdout, e->patient_name, 0);
    printf(" (");
    cli_put(stdout, e->record_number, 0);
    printf("), ");
    cli_put(stdout, e->provider_name, 0);
    printf(", ");
    cli_put(stdout, e->type_name, 0);
    printf(", %02u:%02u\n", e->start_minute / 60, e->start_minute % 60);
    printf("State: ");
    cli_put(stdout, e->state, 0);
    printf(" for %u min", e->minutes_in_state);
    if (e->room_name[0]) {
        printf(", room ");
        cli_put(stdout, e->room_name, 0);
    }
    printf("\n");
    put_line("Reason", e->reason);
    if (r->check_in) {
        cli_time(r->check_in->at, when, sizeof(when));
        printf("Check-in, %s by ", when);
        cli_put(stdout, r->check_in->by, 0);
        printf(": demographics %s, insurance %s, copay $%lld.%02lld\n",
               r->check_in->demographics_confirmed ? "confirmed" : "not confirmed",
               r->check_in->insurance_confirmed ? "confirmed" : "not confirmed",
               (long long)(r->check_in->copay_cents / 100),
               (long long)(r->check_in->copay_cents % 100));
    }
    if (r->vitals)
        print_vitals(r->vitals);
    if (r->check_out) {
        cli_time(r->check_out->at, when, sizeof(when));
        printf("Check-out, %s by ", when);
        cli_put(stdout, r->check_out->by, 0);
        if (r->check_out->followup_appointment_id)
            printf(": follow-up booked (appointment %llu)\n",
                   (unsigned long long)r->check_out->followup_appointment_id);
        else
            printf(": %s\n", r->check_out->followup_booked ? "follow-up booked" : "no follow-up");
    }
    printf("History:\n");
    for (size_t i = 0; i < r->n_events; i++) {
        const Clinic__FlowEvent *ev = r->events[i];
        cli_time(ev->at, when, sizeof(when));
        printf("  %s  ", when);
        put_cell(ev->from_state, 13, 13);
        printf(" -> ");
        put_cell(ev->to_state, 13, 13);
        printf("  ");
        cli_put(stdout, ev->by, 0);
        printf("\n");
    }
    if (r->n_events == 0)
        printf("  (no transitions yet)\n");
    return 0;
}

/* ---- the day's figures ---- */

/* "7 min 30 s" */
static void put_duration(int64_t s)
{
    if (s >= 60)
        printf("%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    else
        printf("%lld s", (long long)s);
}

int cmd_flow_figures(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date = "";
    const cli_opt_t opts[] = {{"--date", &date, NULL}};
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__FlowFiguresRequest f = CLINIC__FLOW_FIGURES_REQUEST__INIT;
    f.date = (char *)date;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_FLOW_FIGURES, &f, &resp)) != 0)
        return rc;
    const Clinic__FlowFiguresReply *r = resp->flow_figures;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "date", r->date);
        cl_json_kv_uint(j, "appointments", r->appointments);
        cl_json_kv_uint(j, "arrivals", r->arrivals);
        cl_json_kv_uint(j, "no_shows", r->no_shows);
        cl_json_kv_uint(j, "cancellations", r->cancellations);
        cl_json_kv_uint(j, "checked_out", r->checked_out);
        cl_json_kv_uint(j, "room_waits", r->room_waits);
        cl_json_kv_int(j, "room_wait_avg_s", r->room_wait_avg_s);
        cl_json_kv_int(j, "room_wait_max_s", r->room_wait_max_s);
        cl_json_kv_uint(j, "provider_waits", r->provider_waits);
        cl_json_kv_int(j, "provider_wait_avg_s", r->provider_wait_avg_s);
        cl_json_kv_int(j, "provider_wait_max_s", r->provider_wait_max_s);
        cl_json_object_end(j);
        cli_json_emit(cli);
        return 0;
    }
    printf("Figures for ");
    cli_put(stdout, r->date, 0);
    printf("\n  appointments      %u\n  arrivals          %u\n  no-shows          %u\n"
           "  cancellations     %u\n  checked out       %u\n",
           r->appointments, r->arrivals, r->no_shows, r->cancellations, r->checked_out);
    printf("  arrival to room   ");
    if (r->room_waits) {
        printf("average ");
        put_duration(r->room_wait_avg_s);
        printf(", worst ");
        put_duration(r->room_wait_max_s);
        printf(" (%u patient%s)\n", r->room_waits, r->room_waits == 1 ? "" : "s");
    } else {
        printf("-\n");
    }
    printf("  room to provider  ");
    if (r->provider_waits) {
        printf("average ");
        put_duration(r->provider_wait_avg_s);
        printf(", worst ");
        put_duration(r->provider_wait_max_s);
        printf(" (%u patient%s)\n", r->provider_waits, r->provider_waits == 1 ? "" : "s");
    } else {
        printf("-\n");
    }
    return 0;
}

/* ---- the board ---- */

typedef struct {
    cli_t *cli;
    Clinic__BoardGetRequest req;
    int watch;
    int tty; /* stdout is a terminal: clear the screen before each drawing */
} board_t;

/* Whether a patient is in the building and moving through the flow: the board shows the
 * minutes in the state only then (for scheduled, done or cancelled ones they say nothing). */
static int in_flow(const char *state)
{
    static const char *const active[] = {"arrived", "roomed", "intake_done", "ready",
                                         "with_provider"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(active); i++)
        if (strcmp(state, active[i]) == 0)
            return 1;
    return 0;
}

enum { BOARD_COLS = 9 };

/* The cells of one board line: start time, id, names, state, minutes, room. */
static void board_cells(const Clinic__BoardEntry *e, char time[8], char appt[24], char min[16],
                        const char *cells[BOARD_COLS])
{
    snprintf(time, 8, "%02u:%02u", (e->start_minute / 60) % 100, e->start_minute % 60);
    snprintf(appt, 24, "%llu", (unsigned long long)e->appointment_id);
    if (in_flow(e->state))
        snprintf(min, 16, "%u", e->minutes_in_state);
    else
        snprintf(min, 16, "-");
    const char *row[BOARD_COLS] = {time,
                                   appt,
                                   e->patient_name,
                                   e->record_number,
                                   e->provider_name,
                                   e->type_name,
                                   e->state,
                                   min,
                                   e->room_name[0] ? e->room_name : "-"};
    memcpy(cells, row, sizeof(row));
}

static void print_board_text(const Clinic__BoardGetReply *r, int clear)
{
    static const char *const heads[BOARD_COLS] = {"TIME", "APPT",  "PATIENT", "MRN", "PROVIDER",
                                                  "TYPE", "STATE", "MIN",     "ROOM"};
    const char *cells[BOARD_COLS];
    char time[8], appt[24], min[16];
    int width[BOARD_COLS];
    for (int k = 0; k < BOARD_COLS; k++)
        width[k] = (int)strlen(heads[k]);
    for (size_t i = 0; i < r->n_appointments; i++) {
        board_cells(r->appointments[i], time, appt, min, cells);
        for (int k = 0; k < BOARD_COLS; k++) {
            int w = text_columns(cells[k]);
            if (w > NAME_COLUMNS_MAX)
                w = NAME_COLUMNS_MAX;
            if (w > width[k])
                width[k] = w;
        }
    }
    if (clear)
        fputs("\033[H\033[2J", stdout);
    char when[32];
    cli_time(r->server_time, when, sizeof(when));
    printf("Board for ");
    cli_put(stdout, r->date, 0);
    printf(" at %s: %zu appointment%s; flagged (!) after %u min waiting for a room, %u for the "
           "provider\n",
           when, r->n_appointments, r->n_appointments == 1 ? "" : "s", r->arrived_wait_minutes,
           r->roomed_wait_minutes);
    for (int k = 0; k < BOARD_COLS; k++) {
        put_cell(heads[k], width[k], NAME_COLUMNS_MAX);
        fputs("  ", stdout);
    }
    printf("WAITING\n");
    for (size_t i = 0; i < r->n_appointments; i++) {
        const Clinic__BoardEntry *e = r->appointments[i];
        board_cells(e, time, appt, min, cells);
        for (int k = 0; k < BOARD_COLS; k++) {
            int last = k == BOARD_COLS - 1 && e->waiting_for[0] == '\0';
            if (k > 0)
                fputs("  ", stdout);
            /* Numbers right-aligned, text left; no spaces after the last cell of a line. */
            if (k == 1 || k == 7)
                printf("%*s", width[k], cells[k]);
            else
                put_cell(cells[k], last ? 0 : width[k], NAME_COLUMNS_MAX);
        }
        if (e->waiting_for[0]) {
            fputs("  ", stdout);
            cli_put(stdout, e->waiting_for, 0);
            printf(" %u min%s", e->wait_minutes, e->waiting_too_long ? " !" : "");
        }
        printf("\n");
    }
    if (r->n_appointments == 0)
        printf("(no appointments)\n");
}

static void print_board_json(cli_t *cli, const Clinic__BoardGetReply *r)
{
    cl_json_t *j = &cli->j;
    cl_json_object_begin(j);
    cl_json_kv_string(j, "date", r->date);
    cl_json_kv_int(j, "server_time", r->server_time);
    cl_json_kv_uint(j, "arrived_wait_minutes", r->arrived_wait_minutes);
    cl_json_kv_uint(j, "roomed_wait_minutes", r->roomed_wait_minutes);
    cl_json_key(j, "appointments");
    cl_json_array_begin(j);
    for (size_t i = 0; i < r->n_appointments; i++)
        json_entry(j, r->appointments[i]);
    cl_json_array_end(j);
    cl_json_object_end(j);
    cli_json_emit(cli);
}

/* Reads the board and prints it. Returns 0 or an exit status (printed). */
static int draw(board_t *b)
{
    const Clinic__Response *resp;
    int rc = cli_send(b->cli, CLINIC__REQUEST__BODY_BOARD_GET, &b->req, &resp);
    if (rc != 0)
        return rc;
    if (b->cli->json)
        print_board_json(b->cli, resp->board_get);
    else
        print_board_text(resp->board_get, b->tty);
    if (b->watch && !b->tty && !b->cli->json)
        printf("\n");
    return 0;
}

static int board_draw(cli_live_t *v)
{
    return draw(v->view);
}

/* "board" has every flow step, cancellation and no-show; a booking or a move of the day comes on
 * "schedule" only. */
static int board_subscribe(cli_live_t *v)
{
    char *topics[] = {"board", "schedule"};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.topics = topics;
    sub.n_topics = 2;
    const Clinic__Response *resp;
    return cli_send(v->cli, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp);
}

int cmd_board(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *date = "", *arrived = NULL, *roomed = NULL, *count = NULL, *timeout = NULL,
               *limit = NULL;
    int watch = 0, rc;
    const cli_opt_t opts[] = {{"--date", &date, NULL},
                              {"--watch", NULL, &watch},
                              {"--arrived-wait", &arrived, NULL},
                              {"--roomed-wait", &roomed, NULL},
                              {"--count", &count, NULL},
                              {"--timeout", &timeout, NULL},
                              {"--reconnect-limit", &limit, NULL}};
    board_t b = {.cli = cli};
    cli_live_t live = {.cli = cli, .subscribe = board_subscribe, .draw = board_draw, .view = &b};
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    clinic__board_get_request__init(&b.req);
    b.req.date = (char *)date;
    if (arrived && parse_u32(arrived, 1440, &b.req.arrived_wait_minutes) != 0)
        return cli_usage_error(cmd, "--arrived-wait: expected minutes (1-1440)");
    if (roomed && parse_u32(roomed, 1440, &b.req.roomed_wait_minutes) != 0)
        return cli_usage_error(cmd, "--roomed-wait: expected minutes (1-1440)");
    if ((rc = cli_live_options(cmd, &live, watch, count, timeout, limit)) != 0)
        return rc;
    b.watch = watch;
    b.tty = watch && isatty(STDOUT_FILENO) && !cli->json;
    if (watch)
        return cli_live_run(&live);
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    return draw(&b);
}
