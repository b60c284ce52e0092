/* Patient flow against a real clinicd: an appointment booked through the schedule walks the whole
 * flow from the front desk's and the clinician's workstations while a third watches the board
 * change live; racing workstations get one transition and a CONFLICT; each role may do exactly
 * its part; and the `clinic flow` and `clinic board` commands end to end. The clinic runs with
 * two reader threads, so that these boards are read beside the writer. */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

/* The clinic the tests share: set up over the wire by "boss" (scheduler and manager). */
typedef struct {
    cl_harness_t h;
    cl_sync_t *boss; /* owned */
    char today[11];  /* the clinic's date, as the server says */
    uint64_t provider, type, exam1, exam2;
    uint64_t patients[3];
} clinic_t;

static uint64_t add_room(clinic_t *c, const char *name)
{
    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = (char *)name;
    return harness_send_ok(c->boss, CLINIC__REQUEST__BODY_ROOM_ADD, &r)->room_add->room->id;
}

static uint64_t add_patient(clinic_t *c, const char *first, const char *last, const char *birth,
                            const char *phone)
{
    Clinic__Patient p = CLINIC__PATIENT__INIT;
    Clinic__PatientAddress addr = CLINIC__PATIENT_ADDRESS__INIT;
    Clinic__EmergencyContact em = CLINIC__EMERGENCY_CONTACT__INIT;
    p.first_name = (char *)first;
    p.last_name = (char *)last;
    p.birth_date = (char *)birth;
    p.sex = "unknown";
    p.phone_mobile = (char *)phone;
    p.address = &addr;
    p.emergency = &em;
    Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    r.patient = &p;
    r.save_despite_duplicates = 1;
    const Clinic__PatientRegisterReply *reply =
        harness_send_ok(c->boss, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r)->patient_register;
    ASSERT(reply->saved);
    return reply->patient->id;
}

/* Books patient `n` today at local `minute` (over the provider's hours: the test clinic has
 * none set, and boss may override). Returns the appointment id. */
static uint64_t book(clinic_t *c, int n, uint32_t minute)
{
    Clinic__AppointmentBookRequest r = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    r.patient_id = c->patients[n];
    r.provider_id = c->provider;
    r.type_id = c->type;
    r.date = c->today;
    r.start_minute = minute;
    r.minutes = 15;
    r.reason = "follow-up of knee pain";
    r.override = 1;
    return harness_send_ok(c->boss, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &r)
        ->appointment_book->appointment->id;
}

static int board_get(cl_sync_t *s, const char *date, const Clinic__BoardGetReply **out)
{
    Clinic__BoardGetRequest r = CLINIC__BOARD_GET_REQUEST__INIT;
    r.date = (char *)date;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_BOARD_GET, &r, &resp);
    *out = rc == 0 ? resp->board_get : NULL;
    return rc;
}

static void clinic_start(clinic_t *c)
{
    memset(c, 0, sizeof(*c));
    /* Boards read on reader threads: every read after a step's reply must show that step
     * (the writer's data generation, store.h). The other suites run with the writer alone. */
    harness_start(&c->h, "readers = 2\n");
    harness_add_user(&c->h, "boss", "scheduler,manager");
    harness_add_user(&c->h, "frontdesk", "front_desk");
    harness_add_user(&c->h, "desk2", "front_desk");
    harness_add_user(&c->h, "nurse", "clinician");
    harness_add_user(&c->h, "drlee", "clinician");
    harness_add_user(&c->h, "staffer", "staff");
    c->boss = harness_login(&c->h, "boss");

    const Clinic__BoardGetReply *b;
    ASSERT_OK(board_get(c->boss, "", &b));
    snprintf(c->today, sizeof(c->today), "%s", b->date);

    Clinic__ProviderAddRequest pa = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    pa.name = "Dr. Lee";
    pa.specialty = "family medicine";
    c->provider = harness_send_ok(c->boss, CLINIC__REQUEST__BODY_PROVIDER_ADD, &pa)
                      ->provider_add->provider->id;

    Clinic__AppointmentTypeAddRequest ta = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
    ta.name = "Follow-up";
    ta.default_minutes = 15;
    ta.needs_room = 1;
    c->type = harness_send_ok(c->boss, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, &ta)
                  ->appointment_type_add->type->id;

    c->exam1 = add_room(c, "Exam 1");
    c->exam2 = add_room(c, "Exam 2");
    c->patients[0] = add_patient(c, "Robert", "Smith", "1970-01-02", "6175550101");
    c->patients[1] = add_patient(c, "Ana", "Lopez", "1985-05-06", "6175550102");
    c->patients[2] = add_patient(c, "Cy", "Young", "1990-07-08", "6175550103");
}

static void clinic_stop(clinic_t *c)
{
    cl_sync_close(c->boss);
    harness_stop(&c->h);
}

/* The transitions, each returning the status and the appointment in the reply (also on CONFLICT
 * and FAILED_PRECONDITION), valid until the next call on `s`. */
static int transition(cl_sync_t *s, Clinic__Request__BodyCase kind, const void *body,
                      const Clinic__BoardEntry **out)
{
    const Clinic__Response *resp;
    int rc = harness_send(s, kind, body, &resp);
    *out = resp && resp->flow_check_in ? resp->flow_check_in->appointment : NULL;
    return rc;
}

static int check_in(cl_sync_t *s, uint64_t appt, uint64_t version, const Clinic__BoardEntry **out)
{
    Clinic__FlowCheckInRequest r = CLINIC__FLOW_CHECK_IN_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    r.demographics_confirmed = 1;
    r.insurance_confirmed = 1;
    r.copay_cents = 2000;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_CHECK_IN, &r, out);
}

static int room_in(cl_sync_t *s, uint64_t appt, uint64_t version, const char *room,
                   const Clinic__BoardEntry **out)
{
    Clinic__FlowRoomRequest r = CLINIC__FLOW_ROOM_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    r.room_name = (char *)room;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_ROOM, &r, out);
}

static int take_vitals(cl_sync_t *s, uint64_t appt, uint64_t version,
                       const Clinic__BoardEntry **out)
{
    Clinic__PainScore pain = CLINIC__PAIN_SCORE__INIT;
    pain.score = 2;
    Clinic__Vitals v = CLINIC__VITALS__INIT;
    v.systolic = 128;
    v.diastolic = 84;
    v.pulse = 76;
    v.temperature_dc = 368;
    v.spo2 = 97;
    v.pain = &pain;
    v.chief_complaint = "knee pain";
    Clinic__FlowVitalsRequest r = CLINIC__FLOW_VITALS_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    r.vitals = &v;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_VITALS, &r, out);
}

static int ready(cl_sync_t *s, uint64_t appt, uint64_t version, const Clinic__BoardEntry **out)
{
    Clinic__FlowReadyRequest r = CLINIC__FLOW_READY_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_READY, &r, out);
}

static int start(cl_sync_t *s, uint64_t appt, uint64_t version, const Clinic__BoardEntry **out)
{
    Clinic__FlowStartRequest r = CLINIC__FLOW_START_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_START, &r, out);
}

static int check_out(cl_sync_t *s, uint64_t appt, uint64_t version, uint64_t followup,
                     const Clinic__BoardEntry **out)
{
    Clinic__FlowCheckOutRequest r = CLINIC__FLOW_CHECK_OUT_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    r.followup_appointment_id = followup;
    return transition(s, CLINIC__REQUEST__BODY_FLOW_CHECK_OUT, &r, out);
}

static int show(cl_sync_t *s, uint64_t appt, const Clinic__FlowShowReply **out)
{
    Clinic__FlowShowRequest r = CLINIC__FLOW_SHOW_REQUEST__INIT;
    r.appointment_id = appt;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_FLOW_SHOW, &r, &resp);
    *out = rc == 0 ? resp->flow_show : NULL;
    return rc;
}

/* Asserts a successful transition to `state` and that the board watcher sees it as the next
 * event, in seq order after `*seq`. Returns the new version. */
static uint64_t expect_step(int rc, const Clinic__BoardEntry *e, uint64_t appt, const char *state,
                            cl_sync_t *watcher, uint64_t *seq)
{
    if (rc != 0)
        CL_FAIL("-> %s: %s", state, cl_status_name(rc));
    ASSERT_NOT_NULL(e);
    ASSERT_EQ(e->appointment_id, appt);
    ASSERT_STR_EQ(e->state, state);
    uint64_t version = e->version;
    double t0 = harness_ms();
    const Clinic__Event *ev = NULL;
    char err[256];
    if (cl_sync_next_event(watcher, 2000, &ev, err, sizeof(err)) != 0)
        CL_FAIL("the board did not hear of %s within 2 s: %s", state, err);
    ASSERT_STR_EQ(ev->topic, "board");
    ASSERT_STR_EQ(ev->entity, "appointment");
    ASSERT_EQ(ev->entity_id, appt);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__UPDATED);
    ASSERT_GT(ev->seq, *seq);
    ASSERT_LT(harness_ms() - t0, 1000);
    *seq = ev->seq;
    return version;
}

static const Clinic__BoardEntry *board_entry(cl_sync_t *s, const char *date, uint64_t appt)
{
    const Clinic__BoardGetReply *b;
    ASSERT_OK(board_get(s, date, &b));
    for (size_t i = 0; i < b->n_appointments; i++)
        if (b->appointments[i]->appointment_id == appt)
            return b->appointments[i];
    CL_FAIL("appointment %llu is not on the board", (unsigned long long)appt);
    return NULL;
}

/* The front desk and a clinician walk one appointment from check-in to check-out on their own
 * workstations; a third workstation subscribed to "board" hears of every step as it commits. */
CL_TEST(whole_flow_from_two_workstations_seen_live_on_the_board)
{
    clinic_t c;
    clinic_start(&c);
    uint64_t appt = book(&c, 0, 9 * 60);
    uint64_t followup = book(&c, 0, 23 * 60);
    cl_sync_t *desk = harness_login(&c.h, "frontdesk");
    cl_sync_t *nurse = harness_login(&c.h, "nurse");
    cl_sync_t *doctor = harness_login(&c.h, "drlee");
    cl_sync_t *watcher = harness_login(&c.h, "boss");
    ASSERT_OK(harness_subscribe(watcher, "board"));

    const Clinic__BoardEntry *e = board_entry(desk, "", appt);
    ASSERT_STR_EQ(e->state, "scheduled");
    ASSERT_STR_EQ(e->patient_name, "Robert Smith");
    ASSERT_STR_EQ(e->provider_name, "Dr. Lee");
    ASSERT_STR_EQ(e->type_name, "Follow-up");
    ASSERT_EQ(e->start_minute, 9 * 60);
    uint64_t version = e->version, seq = 0;

    int rc = check_in(desk, appt, version, &e);
    version = expect_step(rc, e, appt, "arrived", watcher, &seq);
    e = board_entry(nurse, c.today, appt);
    ASSERT_STR_EQ(e->state, "arrived");
    ASSERT_STR_EQ(e->waiting_for, "room");
    ASSERT_EQ(e->version, version);

    rc = room_in(nurse, appt, version, "Exam 2", &e);
    version = expect_step(rc, e, appt, "roomed", watcher, &seq);
    ASSERT_EQ(e->room_id, c.exam2);
    rc = take_vitals(nurse, appt, version, &e);
    version = expect_step(rc, e, appt, "intake_done", watcher, &seq);
    rc = ready(nurse, appt, version, &e);
    version = expect_step(rc, e, appt, "ready", watcher, &seq);
    e = board_entry(desk, "", appt);
    ASSERT_STR_EQ(e->waiting_for, "provider");
    ASSERT_STR_EQ(e->room_name, "Exam 2");
    rc = start(doctor, appt, version, &e);
    version = expect_step(rc, e, appt, "with_provider", watcher, &seq);
    rc = check_out(desk, appt, version, followup, &e);
    version = expect_step(rc, e, appt, "checked_out", watcher, &seq);
    /* The schedule's own reads (readers too) see the step just acknowledged. */
    Clinic__AppointmentGetRequest g = CLINIC__APPOINTMENT_GET_REQUEST__INIT;
    g.id = appt;
    const Clinic__Appointment *a = harness_send_ok(desk, CLINIC__REQUEST__BODY_APPOINTMENT_GET, &g)
                                       ->appointment_get->appointment;
    ASSERT_STR_EQ(a->state, "checked_out");
    ASSERT_EQ(a->version, version);
    Clinic__AppointmentListRequest l = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    l.from_date = c.today;
    const Clinic__AppointmentListReply *list =
        harness_send_ok(desk, CLINIC__REQUEST__BODY_APPOINTMENT_LIST, &l)->appointment_list;
    int listed = 0;
    for (size_t i = 0; i < list->n_appointments; i++)
        if (list->appointments[i]->id == appt) {
            ASSERT_STR_EQ(list->appointments[i]->state, "checked_out");
            listed = 1;
        }
    ASSERT(listed);

    /* The whole story, with who did each step; the clinician sees the vitals. */
    const Clinic__FlowShowReply *r;
    ASSERT_OK(show(doctor, appt, &r));
    static const char *const to[] = {"arrived", "roomed",        "intake_done",
                                     "ready",   "with_provider", "checked_out"};
    static const char *const by[] = {"frontdesk", "nurse", "nurse", "nurse", "drlee", "frontdesk"};
    ASSERT_EQ(r->n_events, 6);
    for (size_t i = 0; i < 6; i++) {
        ASSERT_STR_EQ(r->events[i]->to_state, to[i]);
        ASSERT_STR_EQ(r->events[i]->by, by[i]);
    }
    ASSERT_NOT_NULL(r->vitals);
    ASSERT_EQ(r->vitals->systolic, 128);
    ASSERT_EQ(r->check_in->copay_cents, 2000);
    ASSERT_EQ(r->check_out->followup_appointment_id, followup);
    ASSERT_OK(show(desk, appt, &r));
    ASSERT_NULL(r->vitals);

    /* The day's figures count the visit. */
    Clinic__FlowFiguresRequest f = CLINIC__FLOW_FIGURES_REQUEST__INIT;
    f.date = "";
    const Clinic__FlowFiguresReply *fig =
        harness_send_ok(desk, CLINIC__REQUEST__BODY_FLOW_FIGURES, &f)->flow_figures;
    ASSERT_EQ(fig->appointments, 2);
    ASSERT_EQ(fig->arrivals, 1);
    ASSERT_EQ(fig->checked_out, 1);
    ASSERT_EQ(fig->room_waits, 1);
    ASSERT_EQ(fig->provider_waits, 1);

    /* The audit log shows each step on the patient, by its user. */
    Clinic__AuditQueryRequest aq = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    aq.entity = "patient";
    aq.entity_id = c.patients[0];
    aq.limit = 100;
    const Clinic__AuditQueryReply *audit =
        harness_send_ok(c.boss, CLINIC__REQUEST__BODY_AUDIT_QUERY, &aq)->audit_query;
    static const char *const actions[] = {"flow.checkin", "flow.room",  "flow.vitals",
                                          "flow.ready",   "flow.start", "flow.checkout"};
    for (size_t k = 0; k < CL_ARRAY_SIZE(actions); k++) {
        int found = 0;
        for (size_t i = 0; i < audit->n_rows; i++)
            found += strcmp(audit->rows[i]->action, actions[k]) == 0 &&
                     strcmp(audit->rows[i]->username, by[k]) == 0;
        if (found != 1)
            CL_FAIL("audit rows for %s by %s: %d", actions[k], by[k], found);
    }
    cl_sync_close(desk);
    cl_sync_close(nurse);
    cl_sync_close(doctor);
    cl_sync_close(watcher);
    clinic_stop(&c);
}

/* Two front desks act on the same board: one check-in wins, the other hears CONFLICT with the
 * current record; a step out of order names the state. */
CL_TEST(racing_workstations_get_one_transition_and_a_conflict)
{
    clinic_t c;
    clinic_start(&c);
    uint64_t appt = book(&c, 1, 10 * 60);
    cl_sync_t *desk1 = harness_login(&c.h, "frontdesk");
    cl_sync_t *desk2 = harness_login(&c.h, "desk2");
    cl_sync_t *nurse = harness_login(&c.h, "nurse");
    uint64_t version = board_entry(desk1, "", appt)->version;
    ASSERT_EQ(board_entry(desk2, "", appt)->version, version);

    const Clinic__BoardEntry *e;
    ASSERT_OK(check_in(desk1, appt, version, &e));
    uint64_t now = e->version;
    const Clinic__Response *resp;
    Clinic__FlowCheckInRequest r = CLINIC__FLOW_CHECK_IN_REQUEST__INIT;
    r.appointment_id = appt;
    r.version = version;
    ASSERT_EQ(harness_send(desk2, CLINIC__REQUEST__BODY_FLOW_CHECK_IN, &r, &resp), CL_ECONFLICT);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__CONFLICT);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "version");
    ASSERT_STR_CONTAINS(resp->status->message, "is stale");
    ASSERT_EQ(resp->result_case, CLINIC__RESPONSE__RESULT_FLOW_CHECK_IN);
    ASSERT_STR_EQ(resp->flow_check_in->appointment->state, "arrived");
    ASSERT_EQ(resp->flow_check_in->appointment->version, now);

    /* With the current version, check-in is simply out of order now. */
    r.version = now;
    ASSERT_EQ(harness_send(desk2, CLINIC__REQUEST__BODY_FLOW_CHECK_IN, &r, &resp), CL_EPRECOND);
    char want[96];
    snprintf(want, sizeof(want), "appointment %llu is arrived; check-in needs scheduled",
             (unsigned long long)appt);
    ASSERT_STR_EQ(resp->status->message, want);

    /* A step out of order from the clinician's side too. */
    ASSERT_EQ(ready(nurse, appt, now, &e), CL_EPRECOND);
    ASSERT_STR_EQ(e->state, "arrived");
    /* A taken room is a CONFLICT naming the appointment in it. */
    uint64_t other = book(&c, 2, 10 * 60 + 15);
    ASSERT_OK(room_in(nurse, appt, now, "Exam 1", &e));
    const Clinic__BoardEntry *o;
    ASSERT_OK(check_in(desk2, other, board_entry(desk2, "", other)->version, &o));
    ASSERT_EQ(room_in(nurse, other, o->version, "Exam 1", &o), CL_ECONFLICT);
    cl_sync_close(desk1);
    cl_sync_close(desk2);
    cl_sync_close(nurse);
    clinic_stop(&c);
}

/* Each role does its part and nothing else: the front desk cannot take vitals, the clinician
 * cannot check in, staff without a clinical role sees nothing. */
CL_TEST(permissions_by_role)
{
    clinic_t c;
    clinic_start(&c);
    uint64_t appt = book(&c, 0, 11 * 60);
    cl_sync_t *desk = harness_login(&c.h, "frontdesk");
    cl_sync_t *nurse = harness_login(&c.h, "nurse");
    cl_sync_t *staff = harness_login(&c.h, "staffer");
    const Clinic__BoardEntry *e;
    const Clinic__Response *resp;
    uint64_t version = board_entry(desk, "", appt)->version;

    /* The clinician cannot check in; the front desk can. */
    ASSERT_EQ(check_in(nurse, appt, version, &e), CL_EPERM);
    ASSERT_OK(check_in(desk, appt, version, &e));
    version = e->version;
    /* The front desk cannot room, take vitals, mark ready or start; the clinician can. */
    ASSERT_EQ(room_in(desk, appt, version, "Exam 1", &e), CL_EPERM);
    ASSERT_OK(room_in(nurse, appt, version, "Exam 1", &e));
    version = e->version;
    ASSERT_EQ(take_vitals(desk, appt, version, &e), CL_EPERM);
    ASSERT_OK(take_vitals(nurse, appt, version, &e));
    version = e->version;
    ASSERT_EQ(ready(desk, appt, version, &e), CL_EPERM);
    ASSERT_OK(ready(nurse, appt, version, &e));
    version = e->version;
    ASSERT_EQ(start(desk, appt, version, &e), CL_EPERM);
    ASSERT_OK(start(nurse, appt, version, &e));
    version = e->version;
    /* The clinician cannot check out. */
    ASSERT_EQ(check_out(nurse, appt, version, 0, &e), CL_EPERM);
    ASSERT_OK(check_out(desk, appt, version, 0, &e));

    /* Staff: no board, no flow, no figures, no live board, no transitions. */
    const Clinic__BoardGetReply *b;
    ASSERT_EQ(board_get(staff, "", &b), CL_EPERM);
    const Clinic__FlowShowReply *r;
    ASSERT_EQ(show(staff, appt, &r), CL_EPERM);
    Clinic__FlowFiguresRequest f = CLINIC__FLOW_FIGURES_REQUEST__INIT;
    ASSERT_EQ(harness_send(staff, CLINIC__REQUEST__BODY_FLOW_FIGURES, &f, &resp), CL_EPERM);
    ASSERT_STR_CONTAINS(resp->status->message, "schedule_read");
    ASSERT_EQ(harness_subscribe(staff, "board"), CL_EPERM);
    ASSERT_EQ(check_in(staff, appt, 1, &e), CL_EPERM);
    ASSERT_EQ(take_vitals(staff, appt, 1, &e), CL_EPERM);
    cl_sync_close(desk);
    cl_sync_close(nurse);
    cl_sync_close(staff);
    clinic_stop(&c);
}

/* The commands as the front desk and the nurse type them, units converted, errors by class, and
 * `board --watch` redrawing when another workstation moves a patient. */
CL_TEST(cli_flow_commands_and_live_board)
{
    clinic_t c;
    clinic_start(&c);
    uint64_t appt = book(&c, 0, 8 * 60 + 30);
    char id[24], out[16384];
    snprintf(id, sizeof(id), "%llu", (unsigned long long)appt);

    harness_clinic_login(&c.h, "frontdesk");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "checkin", id, "--copay", "12.5x"), 1);
    HARNESS_CLINIC_OK(&c.h, out, "flow", "checkin", id, "--copay", "$12.50", "--demographics-ok",
                      "--insurance-ok");
    ASSERT_STR_CONTAINS(out, "(Robert Smith, P");
    ASSERT_STR_CONTAINS(out, "is now arrived");
    /* Again: out of order now (exit 6), and the front desk may not take vitals (exit 4). */
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "checkin", id), 6);
    ASSERT_STR_CONTAINS(out, "check-in needs scheduled");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "vitals", id, "--pulse", "70"), 4);
    HARNESS_CLINIC_OK(&c.h, out, "board");
    ASSERT_STR_CONTAINS(out, "Robert Smith");
    ASSERT_STR_CONTAINS(out, "arrived");
    ASSERT_STR_CONTAINS(out, "08:30");
    ASSERT_STR_CONTAINS(out, "room 0 min");

    /* The front desk's board, redrawn live as the nurse works (two drawings: now, and after
     * the rooming). */
    char watch_out[300];
    snprintf(watch_out, sizeof(watch_out), "%s/board.out", c.h.dir);
    pid_t pid = harness_spawn_clinic(
        &c.h, watch_out,
        (const char *[]){"--json", "board", "--watch", "--count", "2", "--timeout", "30", NULL});
    usleep(700 * 1000); /* let it subscribe and draw */

    cl_sync_t *nurse = harness_login(&c.h, "nurse");
    uint64_t version = board_entry(nurse, "", appt)->version;
    const Clinic__BoardEntry *e;
    ASSERT_OK(room_in(nurse, appt, version, "Exam 1", &e));
    cl_sync_close(nurse);
    ASSERT_OK(harness_wait_child(pid, 30000, "clinic board --watch"));
    FILE *f = fopen(watch_out, "r");
    ASSERT_NOT_NULL(f);
    char line[8192];
    int drawings = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "\"appointments\":") == NULL)
            continue;
        drawings++;
        ASSERT_STR_CONTAINS(line, drawings == 1 ? "\"state\":\"arrived\"" : "\"state\":\"roomed\"");
    }
    fclose(f);
    ASSERT_EQ(drawings, 2);

    /* The nurse's part, with units converted on the command line. */
    harness_clinic_login(&c.h, "nurse");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "vitals", id, "--temp", "98.6"), 7);
    ASSERT_STR_CONTAINS(out, "vitals.temperature_dc");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "vitals", id, "--pulse", "400", "--spo2", "120"),
              7);
    ASSERT_STR_CONTAINS(out, "vitals.pulse");
    ASSERT_STR_CONTAINS(out, "vitals.spo2");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "vitals", id, "--bp", "120"), 1);
    HARNESS_CLINIC_OK(&c.h, out, "flow", "vitals", id, "--bp", "120/80", "--temp", "98.6F",
                      "--height", "69in", "--weight", "154lb", "--pain", "0", "--complaint",
                      "knee pain");
    ASSERT_STR_CONTAINS(out, "is now intake_done");
    HARNESS_CLINIC_OK(&c.h, out, "--json", "flow", "show", id);
    ASSERT_STR_CONTAINS(out, "\"temperature_dc\":370");
    ASSERT_STR_CONTAINS(out, "\"height_mm\":1753");
    ASSERT_STR_CONTAINS(out, "\"weight_g\":69853");
    ASSERT_STR_CONTAINS(out, "\"pain\":0");
    ASSERT_STR_CONTAINS(out, "\"copay_cents\":1250");
    /* A stale --expect-version is a conflict. */
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "ready", id, "--expect-version", "1"), 6);
    ASSERT_STR_CONTAINS(out, "is stale");
    HARNESS_CLINIC_OK(&c.h, out, "flow", "ready", id);
    HARNESS_CLINIC_OK(&c.h, out, "flow", "start", id);
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "flow", "checkout", id), 4);

    harness_clinic_login(&c.h, "frontdesk");
    HARNESS_CLINIC_OK(&c.h, out, "flow", "checkout", id);
    ASSERT_STR_CONTAINS(out, "is now checked_out");
    HARNESS_CLINIC_OK(&c.h, out, "flow", "show", id);
    ASSERT_STR_CONTAINS(out, "copay $12.50");
    ASSERT_STR_CONTAINS(out, "with_provider -> checked_out");
    ASSERT(strstr(out, "Vitals") == NULL); /* clinical: not for the front desk */
    HARNESS_CLINIC_OK(&c.h, out, "--json", "flow", "figures");
    ASSERT_STR_CONTAINS(out, "\"arrivals\":1");
    ASSERT_STR_CONTAINS(out, "\"checked_out\":1");
    HARNESS_CLINIC_OK(&c.h, out, "flow", "figures", "--date", c.today);
    ASSERT_STR_CONTAINS(out, "arrival to room   average");
    ASSERT_EQ(HARNESS_CLINIC(&c.h, out, "board", "--date", "2023-02-29"), 7);
    clinic_stop(&c);
}

/* Counts the drawings of a `board --watch --json` output file and copies the last into `last`. */
static int count_drawings(const char *path, char *last, size_t lastlen)
{
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    static char line[65536];
    int drawings = 0;
    last[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "\"appointments\":") == NULL)
            continue;
        drawings++;
        snprintf(last, lastlen, "%s", line);
    }
    fclose(f);
    return drawings;
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A burst of ten check-ins redraws the live board a few times, not ten (at most ten drawings a
 * second); after the server restarts, the board reconnects and goes on redrawing. */
CL_TEST(board_watch_throttles_redraws_and_survives_a_restart)
{
    enum { BURST = 10 };
    clinic_t c;
    clinic_start(&c);
    uint64_t appts[BURST];
    for (int i = 0; i < BURST; i++)
        appts[i] = book(&c, i % 3, (uint32_t)(7 * 60 + 20 * i));
    harness_clinic_login(&c.h, "frontdesk");

    char watch_out[300];
    snprintf(watch_out, sizeof(watch_out), "%s/board.out", c.h.dir);
    pid_t pid = harness_spawn_clinic(
        &c.h, watch_out, (const char *[]){"--json", "board", "--watch", "--timeout", "12", NULL});
    usleep(700 * 1000);

    /* The versions first, so that the burst is the check-ins alone. */
    cl_sync_t *desk = harness_login(&c.h, "frontdesk");
    uint64_t versions[BURST];
    for (int i = 0; i < BURST; i++)
        versions[i] = board_entry(desk, "", appts[i])->version;
    double t0 = harness_ms();
    for (int i = 0; i < BURST; i++) {
        const Clinic__BoardEntry *e;
        ASSERT_OK(check_in(desk, appts[i], versions[i], &e));
    }
    double burst_ms = harness_ms() - t0;
    cl_sync_close(desk);
    usleep(600 * 1000);
    char last[65536];
    int before_restart = count_drawings(watch_out, last, sizeof(last));
    ASSERT_EQ(occurrences(last, "\"state\":\"arrived\""), BURST);
    /* The first drawing; then one at the first change, at most one per 100 ms of the burst, and
     * one for its tail; one more for delivery jitter. A burst slower than 100 ms a change (a
     * very slow disk) cannot show the limit, only that nothing is lost. */
    int most = 1 + 1 + (int)(burst_ms / 100) + 1 + 1;
    fprintf(stderr, "%d drawings for %d changes in %.0f ms\n", before_restart, BURST, burst_ms);
    ASSERT_LE(before_restart, most);
    if (burst_ms < BURST * 100 / 2)
        ASSERT_LT(before_restart, 1 + BURST);

    harness_sigterm(&c.h);
    harness_serve(&c.h);
    cl_sync_close(c.boss);
    c.boss = harness_login(&c.h, "boss");
    usleep(1500 * 1000); /* the watch reconnects (backoff from 0.2 s) and draws */
    cl_sync_t *nurse = harness_login(&c.h, "nurse");
    const Clinic__BoardEntry *e;
    ASSERT_OK(room_in(nurse, appts[0], board_entry(nurse, "", appts[0])->version, "Exam 1", &e));
    cl_sync_close(nurse);
    ASSERT_OK(harness_wait_child(pid, 20000, "clinic board --watch"));
    int total = count_drawings(watch_out, last, sizeof(last));
    ASSERT_GE(total, before_restart + 2); /* drawn again once back, and after the rooming */
    ASSERT_STR_CONTAINS(last, "\"state\":\"roomed\"");
    ASSERT_EQ(occurrences(last, "\"state\":\"arrived\""), BURST - 1);
    clinic_stop(&c);
}

/* The clinic's own waiting thresholds (clinicd.conf) are the board's when a workstation asks
 * for none; a request's own still wins. */
CL_TEST(board_thresholds_come_from_the_clinic_configuration)
{
    cl_harness_t h;
    harness_start(&h, "board_arrived_wait_minutes = 5\nboard_roomed_wait_minutes = 7\n");
    harness_add_user(&h, "frontdesk", "front_desk");
    cl_sync_t *s = harness_login(&h, "frontdesk");
    const Clinic__BoardGetReply *b;
    ASSERT_OK(board_get(s, "", &b));
    ASSERT_EQ(b->arrived_wait_minutes, 5);
    ASSERT_EQ(b->roomed_wait_minutes, 7);

    Clinic__BoardGetRequest r = CLINIC__BOARD_GET_REQUEST__INIT;
    r.arrived_wait_minutes = 30;
    b = harness_send_ok(s, CLINIC__REQUEST__BODY_BOARD_GET, &r)->board_get;
    ASSERT_EQ(b->arrived_wait_minutes, 30);
    ASSERT_EQ(b->roomed_wait_minutes, 7);
    cl_sync_close(s);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(whole_flow_from_two_workstations_seen_live_on_the_board),
             CL_TEST_ENTRY(board_thresholds_come_from_the_clinic_configuration),
             CL_TEST_ENTRY(racing_workstations_get_one_transition_and_a_conflict),
             CL_TEST_ENTRY(permissions_by_role), CL_TEST_ENTRY(cli_flow_commands_and_live_board),
             CL_TEST_ENTRY(board_watch_throttles_redraws_and_survives_a_restart))
