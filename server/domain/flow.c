/* Patient flow: an appointment's way through the clinic's day, from check-in to check-out. Each
 * transition checks the version read and the current state, then writes the appointment's new
 * state, one flow_events row, one audit row and one "board" change in the job's transaction.
 * Also the day's board, one appointment's whole flow, and the day's figures. SQL: flow_db.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "calendar.h"
#include "domain_int.h"
#include "flow_int.h"
#include "handlers.h"
#include "status.h"
#include "topics.h"

/* The transitions: each moves from exactly one state to the next. */
typedef enum { T_CHECK_IN, T_ROOM, T_VITALS, T_READY, T_START, T_CHECK_OUT, T__COUNT } step_id_t;

typedef struct {
    const char *what;    /* in messages: "check-in needs scheduled" */
    const char *action;  /* the audit action */
    const char *refused; /* the audit action of a refusal after the appointment was read */
    cl_flow_state_t from, to;
} step_t;

static const step_t STEPS[T__COUNT] = {
    [T_CHECK_IN] = {"check-in", "flow.checkin", "flow.checkin.refused", CL_FLOW_SCHEDULED,
                    CL_FLOW_ARRIVED},
    [T_ROOM] = {"rooming", "flow.room", "flow.room.refused", CL_FLOW_ARRIVED, CL_FLOW_ROOMED},
    [T_VITALS] = {"intake", "flow.vitals", "flow.vitals.refused", CL_FLOW_ROOMED,
                  CL_FLOW_INTAKE_DONE},
    [T_READY] = {"ready", "flow.ready", "flow.ready.refused", CL_FLOW_INTAKE_DONE, CL_FLOW_READY},
    [T_START] = {"with provider", "flow.start", "flow.start.refused", CL_FLOW_READY,
                 CL_FLOW_WITH_PROVIDER},
    [T_CHECK_OUT] = {"check-out", "flow.checkout", "flow.checkout.refused", CL_FLOW_WITH_PROVIDER,
                     CL_FLOW_CHECKED_OUT},
};

enum {
    WAIT_MAX = 1440,
    COPAY_MAX = 10000000, /* $100,000.00: anything above is a typing error */
    ROOM_NAME_MAX = 128,
    ALLERGIES_MAX = 2000,
    MEDICATIONS_MAX = 2000,
    COMPLAINT_MAX = 500,
};

/* Minutes from `since` to `now`; 0 when `since` is unknown or not in the past. */
static uint32_t minutes_since(int64_t since, int64_t now)
{
    if (since <= 0 || now <= since)
        return 0;
    int64_t m = (now - since) / 60;
    return m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

/* Sets the entry's minutes in its state and what it waits for at `now`, flagged past the
 * thresholds (minutes). An arrival waits for a room since it arrived; a roomed patient waits
 * for the provider since rooming, through intake and ready. */
static void entry_waits(Clinic__BoardEntry *e, int state, int64_t now, uint32_t arrived_wait,
                        uint32_t roomed_wait)
{
    e->minutes_in_state = minutes_since(e->state_at, now);
    e->waiting_for = "";
    e->wait_minutes = 0;
    e->waiting_too_long = 0;
    if (state == CL_FLOW_ARRIVED) {
        e->waiting_for = "room";
        e->wait_minutes = minutes_since(e->arrived_at ? e->arrived_at : e->state_at, now);
        e->waiting_too_long = e->wait_minutes > arrived_wait;
    } else if (state == CL_FLOW_ROOMED || state == CL_FLOW_INTAKE_DONE || state == CL_FLOW_READY) {
        e->waiting_for = "provider";
        e->wait_minutes = minutes_since(e->roomed_at ? e->roomed_at : e->state_at, now);
        e->waiting_too_long = e->wait_minutes > roomed_wait;
    }
}

/* entry_waits at the job's time with the clinic's thresholds (clinicd.conf), for the entries
 * transitions answer with. */
static void clinic_waits(cl_tx_t *tx, Clinic__BoardEntry *e, int state)
{
    uint32_t arrived, roomed;
    cl_store_board_waits(tx->store, &arrived, &roomed);
    entry_waits(e, state, tx->now, arrived, roomed);
}

/* Loads the appointment a request names; a missing one fails the job on "appointment_id". */
static int entry_load(cl_tx_t *tx, uint64_t id, cl_flow_entry_t *out)
{
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "appointment_id", "appointment_id is required");
    int rc = cl_flow_db_entry(tx, id, out);
    if (rc == CL_ENOTFOUND) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no appointment %" PRIu64, id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, "appointment_id", msg);
    }
    return rc;
}

/* A transition under way: its step and the appointment read (the reply's entry). */
typedef struct {
    cl_tx_t *tx;
    const step_t *step;
    cl_flow_entry_t entry;
} flow_t;

/* Refuses the transition after the appointment was read: the reply carries the appointment, so
 * the read of its patient is audited (`step->refused`) and that row kept (cl_job_refuse);
 * nothing else was written. Returns 1 (refused: the handler returns 0) or a negative status. */
static int refuse(flow_t *f, int status, const char *field, const char *message)
{
    int rc = cl_audit_append(f->tx->db, f->tx->now, &f->tx->job->who, f->step->refused, "patient",
                             f->entry.msg->patient_id);
    if (rc < 0)
        return rc;
    cl_job_refuse(f->tx->job, status, field, message);
    return 1;
}

/* What a handler returns for a helper's result: 1 (refused, the reply is set) becomes 0. */
static int handler_result(int rc)
{
    return rc < 0 ? rc : 0;
}

/* Reads the appointment a transition names into the reply and checks the version read, then
 * the state: the step's `from`, or for vitals one of the states that take a correction.
 * Returns 0 to go on, 1 when refused, or a negative status. */
static int flow_begin(flow_t *f, cl_tx_t *tx, step_id_t step, uint64_t id, uint64_t version)
{
    cl_job_t *job = tx->job;
    char msg[224];
    int rc;

    f->tx = tx;
    f->step = &STEPS[step];
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "appointment_id", "appointment_id is required");
    if (version == 0)
        return cl_job_fail(job, CL_EINVAL, "version",
                           "version is required: the appointment's version read");
    if ((rc = entry_load(tx, id, &f->entry)) < 0)
        return rc;

    Clinic__BoardEntry *e = f->entry.msg;
    clinic_waits(tx, e, f->entry.state);
    /* Every transition's reply is a FlowTransitionReply, under its request's own name. */
    Clinic__FlowTransitionReply *reply = CL_JOB_REPLY(job, Clinic__FlowTransitionReply);
    reply->appointment = e;

    if (version != e->version) {
        snprintf(msg, sizeof(msg),
                 "appointment %" PRIu64 " was changed by someone else: version %" PRIu64
                 " is stale, the current version is %" PRIu64 " (%s)",
                 e->appointment_id, version, e->version, e->state);
        return refuse(f, CL_ECONFLICT, "version", msg);
    }
    int state = f->entry.state;
    if (state == (int)f->step->from)
        return 0;
    if (step == T_VITALS) {
        if (state == CL_FLOW_INTAKE_DONE || state == CL_FLOW_READY ||
            state == CL_FLOW_WITH_PROVIDER)
            return 0;
        snprintf(msg, sizeof(msg),
                 "appointment %" PRIu64 " is %s; vitals need roomed (or intake_done, ready or "
                 "with_provider for a correction)",
                 e->appointment_id, e->state);
    } else {
        snprintf(msg, sizeof(msg), "appointment %" PRIu64 " is %s; %s needs %s", e->appointment_id,
                 e->state, f->step->what, cl_flow_state_name(f->step->from));
    }
    return refuse(f, CL_EPRECOND, NULL, msg);
}

/* The audit row `action` (on the patient, as every front-desk domain audits) and the "board"
 * change of a change to the appointment. */
static int flow_record(flow_t *f, const char *action)
{
    cl_tx_t *tx = f->tx;
    const Clinic__BoardEntry *e = f->entry.msg;
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, "patient", e->patient_id);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_BOARD_NAME, "appointment", e->appointment_id,
                        CLINIC__CHANGE_OP__UPDATED, 0);
}

/* Moves the appointment to the step's next state (into `room` when not NULL), records it, and
 * brings the reply's entry up to date. */
static int flow_apply(flow_t *f, const cl_flow_room_t *room)
{
    cl_tx_t *tx = f->tx;
    Clinic__BoardEntry *e = f->entry.msg;
    int rc = cl_flow_db_move(tx, e->appointment_id, &e->version, f->step->from, f->step->to,
                             room ? room->id : 0);
    if (rc < 0)
        return rc;
    if ((rc = flow_record(f, f->step->action)) < 0)
        return rc;

    e->state = (char *)cl_flow_state_name(f->step->to);
    e->state_at = tx->now;
    if (f->step->to == CL_FLOW_ARRIVED)
        e->arrived_at = tx->now;
    if (room) {
        e->room_id = room->id;
        e->room_name = (char *)room->name;
        e->roomed_at = tx->now;
    }
    f->entry.state = (int)f->step->to;
    clinic_waits(tx, e, f->entry.state);
    return 0;
}

/* ---- check-in ---- */

int cl_handle_flow_check_in(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowCheckInRequest *req = job->req->flow_check_in;
    flow_t f;
    char msg[160];
    int rc;

    if (req->copay_cents < 0 || req->copay_cents > COPAY_MAX)
        return cl_job_fail(job, CL_EINVAL, "copay_cents",
                           "copay_cents must be 0 to 10000000 (cents)");
    if ((rc = flow_begin(&f, tx, T_CHECK_IN, req->appointment_id, req->version)) != 0)
        return handler_result(rc);

    /* Checking in next week's appointment is a slip of the finger, not an arrival. */
    char today[11];
    cl_date_format(cl_date_of(tx->now), today);
    if (strcmp(f.entry.date, today) != 0) {
        snprintf(msg, sizeof(msg),
                 "appointment %" PRIu64 " is on %s, not today (%s): check in on its day",
                 f.entry.msg->appointment_id, f.entry.date, today);
        return handler_result(refuse(&f, CL_EPRECOND, NULL, msg));
    }
    if ((rc = cl_flow_db_add_check_in(tx, req->appointment_id, req)) < 0)
        return rc;
    return flow_apply(&f, NULL);
}

/* ---- rooming ---- */

int cl_handle_flow_room(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowRoomRequest *req = job->req->flow_room;
    flow_t f;
    cl_flow_room_t room;
    char msg[256];
    int rc;

    if ((req->room_id == 0) == (req->room_name[0] == '\0'))
        return cl_job_fail(job, CL_EINVAL, "room_id", "give room_id or room_name (one of them)");
    if (req->room_id > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "room_id", "room_id is out of range");
    if (strlen(req->room_name) > ROOM_NAME_MAX)
        return cl_job_fail(job, CL_EINVAL, "room_name", "room_name is longer than 128 bytes");
    if ((rc = flow_begin(&f, tx, T_ROOM, req->appointment_id, req->version)) != 0)
        return handler_result(rc);

    const char *field = req->room_id ? "room_id" : "room_name";
    rc = cl_flow_db_room(tx, req->room_id, req->room_name, &room);
    if (rc == CL_ENOTFOUND) {
        if (req->room_id)
            snprintf(msg, sizeof(msg), "no room %" PRIu64, req->room_id);
        else
            snprintf(msg, sizeof(msg), "no room named %.128s", req->room_name);
        return handler_result(refuse(&f, CL_ENOTFOUND, field, msg));
    }
    if (rc < 0)
        return rc;
    if (!room.active) {
        snprintf(msg, sizeof(msg), "room %.128s is not in use (inactive)", room.name);
        return handler_result(refuse(&f, CL_EPRECOND, field, msg));
    }
    uint64_t occupant;
    char occupant_state[16];
    if ((rc = cl_flow_db_room_occupant(tx, f.entry.date, room.id, f.entry.msg->appointment_id,
                                       &occupant, occupant_state)) < 0)
        return rc;
    if (occupant) {
        snprintf(msg, sizeof(msg), "room %.128s is taken by appointment %" PRIu64 " (%s)",
                 room.name, occupant, occupant_state);
        return handler_result(refuse(&f, CL_ECONFLICT, field, msg));
    }
    return flow_apply(&f, &room);
}

/* ---- vitals ---- */

/* Field errors of a request, gathered so that the client hears of every bad field at once:
 * the first through cl_job_fail, the others appended to its status. */
typedef struct {
    cl_job_t *job;
    size_t n;
    size_t cap;
} field_errors_t;

static void field_error(field_errors_t *fe, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void field_error(field_errors_t *fe, const char *field, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fe->n++ == 0) {
        cl_job_fail(fe->job, CL_EINVAL, field, msg);
        fe->cap = 1;
        return;
    }
    Clinic__Status *st = fe->job->resp.status;
    CL_ARENA_RESERVE(&fe->job->arena, st->fields, st->n_fields, fe->cap);
    Clinic__FieldError *e = CL_ARENA_NEW(&fe->job->arena, Clinic__FieldError);
    clinic__field_error__init(e);
    e->field = cl_arena_strdup(&fe->job->arena, field);
    e->message = cl_arena_strdup(&fe->job->arena, msg);
    st->fields[st->n_fields++] = e;
}

/* Checks a measurement that 0 leaves out. `field` is "vitals.<name>". */
static void check_range(field_errors_t *fe, const char *field, uint32_t v, uint32_t lo, uint32_t hi,
                        const char *unit)
{
    if (v != 0 && (v < lo || v > hi))
        field_error(fe, field, "%s must be %u-%u %s (got %u)", field + 7, lo, hi, unit, v);
}

/* Checks a text: UTF-8, at most `max` bytes, no control characters (but newlines and tabs when
 * `multiline`). */
static void check_text(field_errors_t *fe, const char *field, const char *s, size_t max,
                       int multiline)
{
    size_t n = strlen(s);
    if (n > max) {
        field_error(fe, field, "%s is longer than %zu bytes", field + 7, max);
        return;
    }
    if (!cl_utf8_valid(s, n)) {
        field_error(fe, field, "%s is not valid UTF-8", field + 7);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f) {
            field_error(fe, field, "%s has a control character", field + 7);
            return;
        }
    }
}

/* Checks every field of `v`, failing the job with one FieldError per bad field. The bounds are
 * wide enough for any living patient (neonates included) and narrow enough to catch a unit or
 * a digit typed wrong. */
static int vitals_check(cl_job_t *job, const Clinic__Vitals *v)
{
    field_errors_t fe = {job, 0, 0};
    if (v == NULL)
        return cl_job_fail(job, CL_EINVAL, "vitals", "vitals are required");
    int given = v->systolic || v->diastolic || v->pulse || v->respirations || v->temperature_dc ||
                v->spo2 || v->height_mm || v->weight_g || v->pain || v->allergies[0] ||
                v->medications[0] || v->chief_complaint[0];
    if (!given)
        return cl_job_fail(job, CL_EINVAL, "vitals", "no vitals given");

    if (v->systolic && !v->diastolic)
        field_error(&fe, "vitals.diastolic", "a blood pressure needs its diastolic too");
    if (v->diastolic && !v->systolic)
        field_error(&fe, "vitals.systolic", "a blood pressure needs its systolic too");
    check_range(&fe, "vitals.systolic", v->systolic, 50, 300, "mmHg");
    check_range(&fe, "vitals.diastolic", v->diastolic, 20, 200, "mmHg");
    if (v->systolic >= 50 && v->systolic <= 300 && v->diastolic >= 20 && v->diastolic <= 200 &&
        v->diastolic >= v->systolic)
        field_error(&fe, "vitals.diastolic", "diastolic (%u) must be below systolic (%u)",
                    v->diastolic, v->systolic);
    check_range(&fe, "vitals.pulse", v->pulse, 20, 300, "per minute");
    check_range(&fe, "vitals.respirations", v->respirations, 4, 80, "per minute");
    check_range(&fe, "vitals.temperature_dc", v->temperature_dc, 250, 450,
                "tenths of a degree Celsius");
    check_range(&fe, "vitals.spo2", v->spo2, 50, 100, "percent");
    check_range(&fe, "vitals.height_mm", v->height_mm, 200, 2800, "mm");
    check_range(&fe, "vitals.weight_g", v->weight_g, 200, 650000, "g");
    if (v->pain && v->pain->score > 10)
        field_error(&fe, "vitals.pain", "pain must be 0-10 (got %u)", v->pain->score);
    check_text(&fe, "vitals.allergies", v->allergies, ALLERGIES_MAX, 1);
    check_text(&fe, "vitals.medications", v->medications, MEDICATIONS_MAX, 1);
    check_text(&fe, "vitals.chief_complaint", v->chief_complaint, COMPLAINT_MAX, 0);
    if (fe.n > 1) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%zu vitals are invalid", fe.n);
        job->resp.status->message = cl_arena_strdup(&job->arena, msg);
    }
    return fe.n ? CL_EINVAL : 0;
}

int cl_handle_flow_vitals(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowVitalsRequest *req = job->req->flow_vitals;
    flow_t f;
    int rc;

    if ((rc = vitals_check(job, req->vitals)) < 0)
        return rc;
    if ((rc = flow_begin(&f, tx, T_VITALS, req->appointment_id, req->version)) != 0)
        return handler_result(rc);
    if ((rc = cl_flow_db_add_vitals(tx, req->appointment_id, req->vitals)) < 0)
        return rc;
    if (f.entry.state == CL_FLOW_ROOMED)
        return flow_apply(&f, NULL);

    /* A correction: the state stays, but the version moves, so that a workstation acting on
     * what it read before the correction hears of it. */
    if ((rc = cl_flow_db_touch(tx, req->appointment_id, &f.entry.msg->version)) < 0)
        return rc;
    return flow_record(&f, "flow.vitals.correct");
}

/* ---- ready, with provider ---- */

int cl_handle_flow_ready(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowReadyRequest *req = job->req->flow_ready;
    flow_t f;
    int rc = flow_begin(&f, tx, T_READY, req->appointment_id, req->version);
    return rc != 0 ? handler_result(rc) : flow_apply(&f, NULL);
}

int cl_handle_flow_start(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowStartRequest *req = job->req->flow_start;
    flow_t f;
    int rc = flow_begin(&f, tx, T_START, req->appointment_id, req->version);
    return rc != 0 ? handler_result(rc) : flow_apply(&f, NULL);
}

/* ---- check-out ---- */

/* Checks the follow-up named at check-out: another appointment of the same patient, later, and
 * still scheduled. Returns 0, 1 when refused, or a negative status. */
static int followup_check(flow_t *f, uint64_t followup)
{
    const Clinic__BoardEntry *e = f->entry.msg;
    const char *field = "followup_appointment_id";
    uint64_t patient = 0;
    int64_t starts_at = 0;
    char state[16] = "", msg[128];

    if (followup == e->appointment_id)
        return refuse(f, CL_EINVAL, field, "the follow-up must be another appointment");
    int rc = cl_flow_db_brief(f->tx, followup, &patient, &starts_at, state);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no appointment %" PRIu64, followup);
        return refuse(f, CL_ENOTFOUND, field, msg);
    }
    if (rc < 0)
        return rc;
    if (patient != e->patient_id) {
        snprintf(msg, sizeof(msg), "appointment %" PRIu64 " is another patient's", followup);
        return refuse(f, CL_EINVAL, field, msg);
    }
    if (starts_at <= e->starts_at) {
        snprintf(msg, sizeof(msg), "appointment %" PRIu64 " is not after this one", followup);
        return refuse(f, CL_EINVAL, field, msg);
    }
    if (strcmp(state, cl_flow_state_name(CL_FLOW_SCHEDULED)) != 0) {
        snprintf(msg, sizeof(msg), "appointment %" PRIu64 " is %s, not scheduled", followup, state);
        return refuse(f, CL_EPRECOND, field, msg);
    }
    return 0;
}

int cl_handle_flow_check_out(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowCheckOutRequest *req = job->req->flow_check_out;
    uint64_t followup = req->followup_appointment_id;
    flow_t f;
    int rc;

    if (followup > INT64_MAX)
        return cl_job_fail(job, CL_EINVAL, "followup_appointment_id",
                           "followup_appointment_id is out of range");
    if ((rc = flow_begin(&f, tx, T_CHECK_OUT, req->appointment_id, req->version)) != 0)
        return handler_result(rc);
    if (followup && (rc = followup_check(&f, followup)) != 0)
        return handler_result(rc);
    if ((rc = cl_flow_db_add_check_out(tx, req->appointment_id,
                                       req->followup_booked || followup != 0, followup)) < 0)
        return rc;
    return flow_apply(&f, NULL);
}

/* ---- the board, the figures, one appointment ---- */

/* Parses a request's date ("" is today, clinic-local) into `out`; fails the job on "date". */
static int request_date(cl_tx_t *tx, const char *date, char out[11])
{
    cl_date_t d;
    if (date[0] == '\0')
        d = cl_date_of(tx->now);
    else if (cl_date_parse(date, &d) != 0)
        return cl_job_fail(tx->job, CL_EINVAL, "date", "date must be a real date, YYYY-MM-DD");
    cl_date_format(d, out);
    return 0;
}

/* The board being filled, for cl_flow_db_board's callback. */
typedef struct {
    cl_tx_t *tx;
    Clinic__BoardGetReply *reply;
    size_t cap;
} board_t;

static void board_add(cl_flow_entry_t *e, void *arg)
{
    board_t *b = arg;
    Clinic__BoardGetReply *r = b->reply;
    entry_waits(e->msg, e->state, b->tx->now, r->arrived_wait_minutes, r->roomed_wait_minutes);
    CL_ARENA_RESERVE(&b->tx->job->arena, r->appointments, r->n_appointments, b->cap);
    r->appointments[r->n_appointments++] = e->msg;
}

int cl_handle_board_get(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__BoardGetRequest *req = job->req->board_get;
    char date[11];
    int rc;

    if ((rc = request_date(tx, req->date, date)) < 0)
        return rc;
    if (req->arrived_wait_minutes > WAIT_MAX)
        return cl_job_fail(job, CL_EINVAL, "arrived_wait_minutes",
                           "arrived_wait_minutes is at most 1440");
    if (req->roomed_wait_minutes > WAIT_MAX)
        return cl_job_fail(job, CL_EINVAL, "roomed_wait_minutes",
                           "roomed_wait_minutes is at most 1440");

    Clinic__BoardGetReply *reply = CL_ARENA_NEW(&job->arena, Clinic__BoardGetReply);
    clinic__board_get_reply__init(reply);
    reply->date = cl_arena_strdup(&job->arena, date);
    reply->server_time = tx->now;
    uint32_t arrived, roomed;
    cl_store_board_waits(tx->store, &arrived, &roomed);
    reply->arrived_wait_minutes = req->arrived_wait_minutes ? req->arrived_wait_minutes : arrived;
    reply->roomed_wait_minutes = req->roomed_wait_minutes ? req->roomed_wait_minutes : roomed;
    board_t b = {tx, reply, 0};
    if ((rc = cl_flow_db_board(tx, date, board_add, &b)) < 0)
        return rc;

    /* One row per read, whatever it showed; its id is the date read, as the number YYYYMMDD. */
    uint64_t day = strtoull(date, NULL, 10) * 10000 + strtoull(date + 5, NULL, 10) * 100 +
                   strtoull(date + 8, NULL, 10);
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "board.read", "board", day)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_BOARD_GET;
    job->resp.board_get = reply;
    return 0;
}

/* A running count, sum and maximum of waits in seconds. */
typedef struct {
    uint32_t n;
    int64_t sum, max;
} waits_t;

static void waits_add(waits_t *w, int64_t from, int64_t to)
{
    if (from <= 0 || to <= 0)
        return;
    int64_t s = to > from ? to - from : 0;
    w->n++;
    w->sum += s;
    if (s > w->max)
        w->max = s;
}

/* The average, rounded to the nearest second. */
static int64_t waits_avg(const waits_t *w)
{
    return w->n ? (w->sum + w->n / 2) / w->n : 0;
}

void cl_flow_figures(const cl_flow_visit_t *visits, size_t n, Clinic__FlowFiguresReply *out)
{
    waits_t room = {0}, provider = {0};
    for (size_t i = 0; i < n; i++) {
        const cl_flow_visit_t *v = &visits[i];
        out->appointments++;
        out->arrivals += v->arrived_at != 0;
        out->no_shows += v->state == CL_FLOW_NO_SHOW;
        out->cancellations += v->state == CL_FLOW_CANCELLED;
        out->checked_out += v->state == CL_FLOW_CHECKED_OUT;
        waits_add(&room, v->arrived_at, v->roomed_at);
        waits_add(&provider, v->roomed_at, v->with_provider_at);
    }
    out->room_waits = room.n;
    out->room_wait_avg_s = waits_avg(&room);
    out->room_wait_max_s = room.max;
    out->provider_waits = provider.n;
    out->provider_wait_avg_s = waits_avg(&provider);
    out->provider_wait_max_s = provider.max;
}

/* Counts and waits only: no patient is named, so there is nothing to audit. */
int cl_handle_flow_figures(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowFiguresRequest *req = job->req->flow_figures;
    cl_flow_visit_t *visits;
    size_t n;
    char date[11];
    int rc;

    if ((rc = request_date(tx, req->date, date)) < 0)
        return rc;
    if ((rc = cl_flow_db_visits(tx, date, &visits, &n)) < 0)
        return rc;
    Clinic__FlowFiguresReply *reply = CL_JOB_REPLY(job, Clinic__FlowFiguresReply);
    reply->date = cl_arena_strdup(&job->arena, date);
    cl_flow_figures(visits, n, reply);
    return 0;
}

int cl_handle_flow_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__FlowShowRequest *req = job->req->flow_show;
    cl_flow_entry_t e;
    int rc;

    if ((rc = entry_load(tx, req->appointment_id, &e)) < 0)
        return rc;
    clinic_waits(tx, e.msg, e.state);
    Clinic__FlowShowReply *reply = CL_ARENA_NEW(&job->arena, Clinic__FlowShowReply);
    clinic__flow_show_reply__init(reply);
    reply->appointment = e.msg;
    /* Vitals are clinical: only for those who take them. */
    int vitals = cl_auth_allowed(job->who.roles, CL_PERM_FLOW_CLINICAL);
    if ((rc = cl_flow_db_show(tx, req->appointment_id, vitals, reply)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "flow.show", "patient",
                              e.msg->patient_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_FLOW_SHOW;
    job->resp.flow_show = reply;
    return 0;
}
