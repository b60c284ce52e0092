/* Booking: the conflicts matrix (provider, room, patient, provider hours, clinic hours, holiday,
 * blocks, series), each naming what it hits; the permissioned and audited override; move,
 * cancel and no-show with their state rules and versions; series with exceptions; the waitlist
 * offer a cancellation makes; one audit row per request; and the plans of the hot queries. */
#include "test_schedule_fixture.h"

/* Tuesday 2024-03-05: Lee 09:00-12:00 and 13:00-17:00, Kim 08:00-16:00, clinic 08:00-18:00. */
#define TUE "2024-03-05"

/* Books and asserts CONFLICT whose structured list has exactly `kinds` and whose message
 * contains `words`; returns the job (the caller frees). */
static cl_job_t *book_conflict(sf_t *s, Clinic__AppointmentBookRequest *m, const char *kinds,
                               const char *words)
{
    int64_t audit = fx_audit_rows(&s->fx), changes = fx_change_rows(&s->fx);
    cl_job_t *job = sf_book_req(s, &s->desk, m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    char buf[256];
    const Clinic__AppointmentBookReply *r = job->resp.appointment_book;
    ASSERT_NOT_NULL(r);
    ASSERT_NULL(r->appointment);
    ASSERT_STR_EQ(sf_kinds(r->conflicts, r->n_conflicts, buf, sizeof(buf)), kinds);
    ASSERT_STR_CONTAINS(fx_message(job), words);
    /* A refused booking writes nothing. */
    ASSERT_EQ(fx_audit_rows(&s->fx), audit);
    ASSERT_EQ(fx_change_rows(&s->fx), changes);
    return job;
}

CL_TEST(book_creates_appointment_with_audit_and_change)
{
    sf_t s;
    sf_open(&s);
    int64_t audit = fx_audit_rows(&s.fx);
    cl_job_t *job = sf_book(&s, s.ann, s.lee, s.visit, s.exam1, TUE, "09:00");
    ASSERT_OK(job->status);
    const Clinic__Appointment *a = job->resp.appointment_book->appointment;
    ASSERT_GT(a->id, 0);
    ASSERT_EQ(a->patient_id, s.ann);
    ASSERT_STR_EQ(a->patient_name, "Ann Archer");
    ASSERT_STR_EQ(a->provider_name, "Dr. Lee");
    ASSERT_STR_EQ(a->room_name, "Exam 1");
    ASSERT_STR_EQ(a->type_name, "Visit");
    ASSERT_STR_EQ(a->type_color, "#4a90d9");
    ASSERT_STR_EQ(a->date, TUE);
    ASSERT_EQ(a->start_minute, 9 * 60);
    ASSERT_EQ(a->minutes, 30);
    ASSERT_EQ(a->starts_at, sf_at(TUE, "09:00"));
    ASSERT_EQ(a->ends_at, sf_at(TUE, "09:30"));
    ASSERT_STR_EQ(a->state, "scheduled");
    ASSERT_STR_EQ(a->created_by, "desk");
    ASSERT_EQ(a->version, 1);
    ASSERT(!a->overbooked);
    ASSERT_EQ(job->resp.appointment_book->n_conflicts, 0);
    ASSERT_EQ(fx_audit_rows(&s.fx), audit + 1);
    SF_ASSERT_AUDIT(&s, "desk", "appointment.book", s.ann);
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT(sf_has_change(job, "schedule", "appointment", a->id, CLINIC__CHANGE_OP__CREATED));
    cl_job_free(job);

    /* An instant works as well as a date and minute; minutes override the type's. */
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.lee, s.visit, 0, "", "00:00");
    m.starts_at = sf_at(TUE, "10:00");
    m.minutes = 45;
    job = sf_book_req(&s, &s.desk, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_book->appointment->ends_at, sf_at(TUE, "10:45"));
    ASSERT_EQ(job->resp.appointment_book->appointment->room_id, 0);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(conflict_provider_names_the_other_appointment)
{
    sf_t s;
    sf_open(&s);
    int64_t first = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.lee, s.visit, 0, TUE, "09:15");
    cl_job_t *job = book_conflict(&s, &m, "provider", "Dr. Lee has appointment");
    const Clinic__Conflict *c = job->resp.appointment_book->conflicts[0];
    ASSERT_EQ(c->id, first);
    ASSERT_EQ(c->starts_at, sf_at(TUE, "09:00"));
    ASSERT_EQ(c->ends_at, sf_at(TUE, "09:30"));
    ASSERT_STR_CONTAINS(c->detail, "09:00-09:30");
    cl_job_free(job);
    /* Back to back is no overlap. */
    sf_book_ok(&s, s.bob, s.lee, s.visit, 0, TUE, "09:30");
    /* Another provider at the same time is fine. */
    sf_book_ok(&s, s.cat, s.kim, s.visit, 0, TUE, "09:00");
    sf_close(&s);
}

CL_TEST(conflict_room_names_the_other_appointment)
{
    sf_t s;
    sf_open(&s);
    int64_t first = sf_book_ok(&s, s.ann, s.lee, s.visit, s.exam1, TUE, "09:00");
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.kim, s.visit, s.exam1, TUE, "09:20");
    cl_job_t *job = book_conflict(&s, &m, "room", "room Exam 1 is taken by appointment");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->id, first);
    cl_job_free(job);
    sf_book_ok(&s, s.bob, s.kim, s.visit, s.exam2, TUE, "09:20");
    sf_close(&s);
}

CL_TEST(conflict_patient_names_the_other_appointment)
{
    sf_t s;
    sf_open(&s);
    int64_t first = sf_book_ok(&s, s.ann, s.lee, s.consult, 0, TUE, "09:00");
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.kim, s.visit, 0, TUE, "09:30");
    cl_job_t *job = book_conflict(&s, &m, "patient", "the patient has appointment");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->id, first);
    ASSERT_STR_CONTAINS(job->resp.appointment_book->conflicts[0]->detail, "with Dr. Lee");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(conflict_provider_hours_names_the_template)
{
    sf_t s;
    sf_open(&s);
    /* Lee's lunch gap, and past the end of the morning. */
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "12:00");
    cl_job_t *job = book_conflict(&s, &m, "hours",
                                  "outside Dr. Lee's hours on Tuesdays (09:00-12:00, 13:00-17:00)");
    cl_job_free(job);
    m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "11:45");
    job = book_conflict(&s, &m, "hours", "outside Dr. Lee's hours");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->starts_at, sf_at(TUE, "09:00"));
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->ends_at, sf_at(TUE, "12:00"));
    cl_job_free(job);
    /* Past the end of the afternoon: the range named is the afternoon's. */
    m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "16:45");
    job = book_conflict(&s, &m, "hours", "outside Dr. Lee's hours");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->starts_at, sf_at(TUE, "13:00"));
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->ends_at, sf_at(TUE, "17:00"));
    cl_job_free(job);
    /* Kim does not work Mondays. */
    m = sf_booking(s.ann, s.kim, s.visit, 0, "2024-03-04", "09:00");
    job = book_conflict(&s, &m, "hours", "Dr. Kim does not work on Mondays");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(conflict_clinic_closed_and_outside_clinic_hours)
{
    sf_t s;
    sf_open(&s);
    /* Saturday: the clinic is closed, and Lee does not work. */
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.lee, s.visit, 0, "2024-03-09", "10:00");
    cl_job_t *job = book_conflict(&s, &m, "closed,hours", "the clinic is closed on Saturdays");
    cl_job_free(job);
    /* The clinic closes before a provider's template ends. */
    uint64_t v =
        (uint64_t)fx_int(&s.fx, "SELECT version FROM clinic_hours WHERE weekday = 2", NULL);
    sf_created_id(sf_hours_set(&s, 2, 1, "08:00", "16:00", v), 0);
    m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "16:00");
    job = book_conflict(&s, &m, "closed", "outside the clinic's hours on Tuesdays (08:00-16:00)");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(conflict_holiday_names_it)
{
    sf_t s;
    sf_open(&s);
    Clinic__HolidayAddRequest h = CLINIC__HOLIDAY_ADD_REQUEST__INIT;
    h.date = TUE;
    h.name = "Staff training day";
    SF_OK(&s, &s.sched, cl_handle_holiday_add, HOLIDAY_ADD, holiday_add, &h);
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "09:00");
    cl_job_t *job = book_conflict(&s, &m, "holiday", "2024-03-05 is a holiday: Staff training day");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->starts_at, sf_at(TUE, "00:00"));
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(conflict_block_of_provider_and_of_room)
{
    sf_t s;
    sf_open(&s);
    cl_job_t *job = sf_block_add(&s, s.lee, 0, TUE, "10:00", "11:00", "team meeting");
    ASSERT_OK(job->status);
    uint64_t block = job->resp.block_add->block->id;
    cl_job_free(job);
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "10:30");
    job = book_conflict(&s, &m, "block", "Dr. Lee is blocked 10:00-11:00: team meeting");
    ASSERT_EQ(job->resp.appointment_book->conflicts[0]->id, block);
    cl_job_free(job);

    /* A vacation spanning days blocks every day of it. */
    Clinic__BlockAddRequest b = CLINIC__BLOCK_ADD_REQUEST__INIT;
    b.provider_id = (uint64_t)s.kim;
    b.date = "2024-03-11";
    b.end_date = "2024-03-15";
    b.end_minute = 1440;
    b.reason = "vacation";
    SF_OK(&s, &s.sched, cl_handle_block_add, BLOCK_ADD, block_add, &b);
    m = sf_booking(s.ann, s.kim, s.visit, 0, "2024-03-12", "09:00");
    job = book_conflict(&s, &m, "block",
                        "Dr. Kim is blocked 2024-03-11 00:00-2024-03-15 24:00: vacation");
    cl_job_free(job);

    FX_ASSERT_OK_FREE(sf_block_add(&s, 0, s.exam2, TUE, "13:00", "17:00", "cleaning"));
    m = sf_booking(s.bob, s.lee, s.visit, s.exam2, TUE, "14:00");
    job = book_conflict(&s, &m, "block", "room Exam 2 is blocked 13:00-17:00: cleaning");
    cl_job_free(job);
    /* A cancelled block frees the time. */
    Clinic__BlockCancelRequest c = CLINIC__BLOCK_CANCEL_REQUEST__INIT;
    c.id = block;
    c.version = 1;
    SF_OK(&s, &s.sched, cl_handle_block_cancel, BLOCK_CANCEL, block_cancel, &c);
    sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "10:30");
    sf_close(&s);
}

CL_TEST(conflicts_all_listed_in_one_refusal)
{
    sf_t s;
    sf_open(&s);
    sf_book_ok(&s, s.ann, s.lee, s.visit, s.exam1, TUE, "11:30");
    sf_book_ok(&s, s.bob, s.kim, s.consult, 0, TUE, "11:00");
    /* Bob with Lee in Exam 1 at 11:45 for 30 minutes: past Lee's morning, Lee busy, room
     * taken, Bob busy with Kim. */
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.lee, s.visit, s.exam1, TUE, "11:45");
    cl_job_t *job = book_conflict(&s, &m, "hours,provider,room,patient",
                                  "cannot book 11:45-12:15 on 2024-03-05: ");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(cancelled_and_no_show_appointments_free_the_slot)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, s.exam1, TUE, "09:00");
    FX_ASSERT_OK_FREE(sf_cancel(&s, id, 1, "patient called"));
    int64_t again = sf_book_ok(&s, s.bob, s.lee, s.visit, s.exam1, TUE, "09:00");
    s.fx.now = sf_at(TUE, "09:20");
    Clinic__AppointmentNoShowRequest n = CLINIC__APPOINTMENT_NO_SHOW_REQUEST__INIT;
    n.id = (uint64_t)again;
    n.version = 1;
    SF_OK(&s, &s.desk, cl_handle_appointment_no_show, APPOINTMENT_NO_SHOW, appointment_no_show, &n);
    sf_book_ok(&s, s.cat, s.lee, s.visit, s.exam1, TUE, "09:00");
    sf_close(&s);
}

CL_TEST(overbook_needs_the_permission_and_is_audited)
{
    sf_t s;
    sf_open(&s);
    int64_t first = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.lee, s.visit, 0, TUE, "09:00");
    m.override = 1;
    /* A front desk clerk may book, but not over a conflict. */
    int64_t audit = fx_audit_rows(&s.fx);
    cl_job_t *job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EPERM, "override");
    ASSERT_STR_CONTAINS(fx_message(job), "overbook permission");
    ASSERT_EQ(fx_audit_rows(&s.fx), audit);
    cl_job_free(job);

    /* Without the flag, even a manager gets the conflict: never an accident. */
    m.override = 0;
    job = sf_book_req(&s, &s.boss, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    cl_job_free(job);

    m.override = 1;
    job = sf_book_req(&s, &s.boss, &m);
    ASSERT_OK(job->status);
    const Clinic__AppointmentBookReply *r = job->resp.appointment_book;
    ASSERT(r->appointment->overbooked);
    ASSERT_EQ(r->n_conflicts, 1);
    ASSERT_EQ(r->conflicts[0]->id, first);
    SF_ASSERT_AUDIT(&s, "boss", "appointment.overbook", s.bob);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments WHERE overbooked = 1", NULL), 1);

    /* An override with nothing to override is an ordinary booking. */
    m = sf_booking(s.cat, s.kim, s.visit, 0, TUE, "09:00");
    m.override = 1;
    job = sf_book_req(&s, &s.boss, &m);
    ASSERT_OK(job->status);
    ASSERT(!job->resp.appointment_book->appointment->overbooked);
    SF_ASSERT_AUDIT(&s, "boss", "appointment.book", s.cat);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(book_validates_each_field)
{
    sf_t s;
    sf_open(&s);
    struct {
        const char *date, *hhmm;
        int64_t patient, provider, type, room;
        uint32_t minutes;
        int status;
        const char *field;
    } cases[] = {
        {"", "09:00", s.ann, s.lee, s.visit, 0, 0, CL_EINVAL, "date"},
        {"2024-02-30", "09:00", s.ann, s.lee, s.visit, 0, 0, CL_EINVAL, "date"},
        {"2024-02-29", "09:00", s.ann, s.lee, s.visit, 0, 0, CL_EINVAL, "date"}, /* past */
        {"2027-03-05", "09:00", s.ann, s.lee, s.visit, 0, 0, CL_EINVAL, "date"}, /* too far */
        {TUE, "09:00", s.ann, s.lee, s.visit, 0, 4, CL_EINVAL, "minutes"},
        {TUE, "09:00", s.ann, s.lee, s.visit, 0, 481, CL_EINVAL, "minutes"},
        {TUE, "23:50", s.ann, s.lee, s.visit, 0, 0, CL_EINVAL, "minutes"}, /* past midnight */
        {TUE, "09:00", 0, s.lee, s.visit, 0, 0, CL_EINVAL, "patient_id"},
        {TUE, "09:00", 999, s.lee, s.visit, 0, 0, CL_ENOTFOUND, "patient_id"},
        {TUE, "09:00", s.ann, 999, s.visit, 0, 0, CL_ENOTFOUND, "provider_id"},
        {TUE, "09:00", s.ann, s.lee, 999, 0, 0, CL_ENOTFOUND, "type_id"},
        {TUE, "09:00", s.ann, s.lee, s.visit, 999, 0, CL_ENOTFOUND, "room_id"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        Clinic__AppointmentBookRequest m =
            sf_booking(cases[i].patient, cases[i].provider, cases[i].type, cases[i].room,
                       cases[i].date, cases[i].hhmm);
        m.minutes = cases[i].minutes;
        cl_job_t *job = sf_book_req(&s, &s.desk, &m);
        if (job->status != cases[i].status || strcmp(fx_field(job), cases[i].field) != 0)
            CL_FAIL("case %zu: %s on %s (%s), want %s on %s", i, cl_status_name(job->status),
                    fx_field(job), fx_message(job), cl_status_name(cases[i].status),
                    cases[i].field);
        cl_job_free(job);
    }
    /* start_minute out of range; date with starts_at; an instant off the minute. */
    Clinic__AppointmentBookRequest m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "09:00");
    m.start_minute = 1440;
    cl_job_t *job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "start_minute");
    cl_job_free(job);
    m.start_minute = 540;
    m.starts_at = sf_at(TUE, "09:00");
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "date");
    cl_job_free(job);
    m.date = "";
    m.starts_at += 7;
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "starts_at");
    cl_job_free(job);

    /* A merged patient and an inactive provider are refused by state. */
    fx_exec(&s.fx, "UPDATE patients SET merged_into = 2 WHERE id = 1");
    m = sf_booking(s.ann, s.lee, s.visit, 0, TUE, "09:00");
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "patient_id");
    ASSERT_STR_CONTAINS(fx_message(job), "merged into patient 2");
    cl_job_free(job);
    fx_exec(&s.fx, "UPDATE providers SET active = 0 WHERE name = 'Dr. Kim'");
    m = sf_booking(s.bob, s.kim, s.visit, 0, TUE, "09:00");
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "provider_id");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments", NULL), 0);
    sf_close(&s);
}

/* The store runs one handler at a time, so two clerks racing for one slot are two bookings in
 * a row: the second must see the first. */
CL_TEST(second_booking_of_a_taken_slot_conflicts)
{
    sf_t s;
    sf_open(&s);
    int ok = 0, conflict = 0;
    int64_t patients[] = {s.ann, s.bob, s.cat, s.dan};
    for (size_t i = 0; i < 4; i++) {
        cl_job_t *job = sf_book(&s, patients[i], s.lee, s.visit, s.exam1, TUE, "10:00");
        ok += job->status == 0;
        conflict += job->status == CL_ECONFLICT;
        cl_job_free(job);
    }
    ASSERT_EQ(ok, 1);
    ASSERT_EQ(conflict, 3);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments", NULL), 1);
    sf_close(&s);
}

static cl_job_t *move(sf_t *s, Clinic__AppointmentMoveRequest *m)
{
    SF_REQ(req, APPOINTMENT_MOVE, appointment_move, m);
    return sf_run(s, &s->desk, cl_handle_appointment_move, &req);
}

CL_TEST(move_checks_conflicts_but_not_with_itself)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.consult, 0, TUE, "09:00");
    int64_t other = sf_book_ok(&s, s.bob, s.lee, s.visit, 0, TUE, "10:30");
    /* 30 minutes later overlaps its own old time only: fine. */
    Clinic__AppointmentMoveRequest m = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    m.id = (uint64_t)id;
    m.version = 1;
    m.start_minute = sf_minute("09:30");
    cl_job_t *job = move(&s, &m);
    ASSERT_OK(job->status);
    const Clinic__Appointment *a = job->resp.appointment_move->appointment;
    ASSERT_EQ(a->starts_at, sf_at(TUE, "09:30"));
    ASSERT_EQ(a->minutes, 60);
    ASSERT_EQ(a->version, 2);
    ASSERT(sf_has_change(job, "schedule", "appointment", (uint64_t)id, CLINIC__CHANGE_OP__UPDATED));
    SF_ASSERT_AUDIT(&s, "desk", "appointment.move", s.ann);
    cl_job_free(job);

    /* Onto Bob's time: CONFLICT naming Bob's appointment, nothing changed. */
    m.version = 2;
    m.start_minute = sf_minute("10:00");
    job = move(&s, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    ASSERT_EQ(job->resp.appointment_move->n_conflicts, 1);
    ASSERT_EQ(job->resp.appointment_move->conflicts[0]->id, other);
    ASSERT_STR_CONTAINS(fx_message(job), "cannot move to 10:00-11:00 on 2024-03-05");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT version FROM appointments WHERE id = 1", NULL), 2);

    /* To another provider and day, with a room. */
    m.start_minute = 0;
    m.date = "2024-03-07";
    m.starts_at = 0;
    m.start_minute = sf_minute("14:00");
    m.provider_id = (uint64_t)s.kim;
    m.room_id = (uint64_t)s.exam2;
    job = move(&s, &m);
    ASSERT_OK(job->status);
    a = job->resp.appointment_move->appointment;
    ASSERT_STR_EQ(a->provider_name, "Dr. Kim");
    ASSERT_STR_EQ(a->room_name, "Exam 2");
    ASSERT_STR_EQ(a->date, "2024-03-07");
    cl_job_free(job);

    /* A stale version gets CONFLICT with the current record. */
    m.version = 2;
    job = move(&s, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.appointment_move->appointment->version, 3);
    ASSERT_STR_CONTAINS(fx_message(job), "the current version is 3");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(move_cancel_no_show_only_from_scheduled)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    /* The flow colleague's check-in, done here directly. */
    fx_exec(&s.fx, "UPDATE appointments SET state = 'arrived', version = version + 1 WHERE id = 1");
    Clinic__AppointmentMoveRequest m = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    m.id = (uint64_t)id;
    m.version = 2;
    m.start_minute = sf_minute("10:00");
    cl_job_t *job = move(&s, &m);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    ASSERT_STR_CONTAINS(fx_message(job), "is arrived");
    cl_job_free(job);
    job = sf_cancel(&s, id, 2, "left");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(cancel_needs_reason_and_version_and_records_the_transition)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    cl_job_t *job = sf_cancel(&s, id, 1, "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "reason");
    cl_job_free(job);
    job = sf_cancel(&s, id, 0, "sick");
    FX_ASSERT_FAILED(job, CL_EINVAL, "version");
    cl_job_free(job);
    job = sf_cancel(&s, 99, 1, "sick");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);
    job = sf_cancel(&s, id, 7, "sick");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.appointment_cancel->appointment->version, 1);
    cl_job_free(job);

    job = sf_cancel(&s, id, 1, "sick");
    ASSERT_OK(job->status);
    const Clinic__Appointment *a = job->resp.appointment_cancel->appointment;
    ASSERT_STR_EQ(a->state, "cancelled");
    ASSERT_STR_EQ(a->cancel_reason, "sick");
    ASSERT_EQ(a->state_at, s.fx.now - 1);
    ASSERT_EQ(a->version, 2);
    ASSERT(sf_has_change(job, "schedule", "appointment", (uint64_t)id, CLINIC__CHANGE_OP__UPDATED));
    ASSERT(sf_has_change(job, "board", "appointment", (uint64_t)id, CLINIC__CHANGE_OP__UPDATED));
    SF_ASSERT_AUDIT(&s, "desk", "appointment.cancel", s.ann);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx,
                     "SELECT count(*) FROM flow_events WHERE appointment_id = 1 AND "
                     "from_state = 'scheduled' AND to_state = 'cancelled'",
                     NULL),
              1);
    /* Cancelling twice is a state error. */
    job = sf_cancel(&s, id, 2, "sick");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    ASSERT_STR_CONTAINS(fx_message(job), "is cancelled");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(no_show_only_once_the_appointment_has_started)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    Clinic__AppointmentNoShowRequest n = CLINIC__APPOINTMENT_NO_SHOW_REQUEST__INIT;
    n.id = (uint64_t)id;
    n.version = 1;
    SF_REQ(req, APPOINTMENT_NO_SHOW, appointment_no_show, &n);
    cl_job_t *job = sf_run(&s, &s.desk, cl_handle_appointment_no_show, &req);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    ASSERT_STR_CONTAINS(fx_message(job), "not a no-show before it starts");
    cl_job_free(job);
    s.fx.now = sf_at(TUE, "09:15");
    job = sf_run(&s, &s.desk, cl_handle_appointment_no_show, &req);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.appointment_no_show->appointment->state, "no_show");
    SF_ASSERT_AUDIT(&s, "desk", "appointment.no_show", s.ann);
    ASSERT(sf_has_change(job, "board", "appointment", (uint64_t)id, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    n.version = 2;
    job = sf_run(&s, &s.desk, cl_handle_appointment_no_show, &req);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    sf_close(&s);
}

static cl_job_t *series(sf_t *s, Clinic__AppointmentSeriesBookRequest *m)
{
    SF_REQ(req, APPOINTMENT_SERIES_BOOK, appointment_series_book, m);
    return sf_run(s, &s->desk, cl_handle_appointment_series_book, &req);
}

static Clinic__AppointmentSeriesBookRequest weekly(sf_t *s, int64_t patient, const char *rule,
                                                   uint32_t count)
{
    Clinic__AppointmentSeriesBookRequest m = CLINIC__APPOINTMENT_SERIES_BOOK_REQUEST__INIT;
    m.patient_id = (uint64_t)patient;
    m.provider_id = (uint64_t)s->lee;
    m.type_id = (uint64_t)s->visit;
    m.rule = (char *)rule;
    m.count = count;
    m.first_date = TUE;
    m.start_minute = sf_minute("09:00");
    m.reason = "physical therapy";
    return m;
}

CL_TEST(series_books_all_or_none_and_reports_each_conflict)
{
    sf_t s;
    sf_open(&s);
    /* The third Tuesday (2024-03-19) is taken. */
    int64_t taken = sf_book_ok(&s, s.bob, s.lee, s.visit, 0, "2024-03-19", "09:00");
    Clinic__AppointmentSeriesBookRequest m = weekly(&s, s.ann, "weekly:1", 4);
    int64_t audit = fx_audit_rows(&s.fx);
    cl_job_t *job = series(&s, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    const Clinic__AppointmentSeriesBookReply *r = job->resp.appointment_series_book;
    ASSERT_EQ(r->n_occurrences, 4);
    ASSERT_EQ(r->series_id, 0);
    ASSERT_EQ(r->booked, 0);
    ASSERT_EQ(r->skipped, 1);
    ASSERT_STR_EQ(r->occurrences[2]->date, "2024-03-19");
    ASSERT_EQ(r->occurrences[2]->n_conflicts, 1);
    ASSERT_EQ(r->occurrences[2]->conflicts[0]->id, taken);
    for (size_t i = 0; i < 4; i++)
        ASSERT_EQ(r->occurrences[i]->appointment_id, 0);
    ASSERT_STR_CONTAINS(fx_message(job), "2024-03-19: Dr. Lee has appointment");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&s.fx), audit);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments", NULL), 1);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointment_series", NULL), 0);

    /* skip_conflicts books the free ones and lists the skipped. */
    m.skip_conflicts = 1;
    job = series(&s, &m);
    ASSERT_OK(job->status);
    r = job->resp.appointment_series_book;
    ASSERT_GT(r->series_id, 0);
    ASSERT_EQ(r->booked, 3);
    ASSERT_EQ(r->skipped, 1);
    ASSERT_EQ(r->occurrences[2]->appointment_id, 0);
    ASSERT_GT(r->occurrences[3]->appointment_id, 0);
    ASSERT_STR_EQ(r->occurrences[3]->date, "2024-03-26");
    SF_ASSERT_AUDIT(&s, "desk", "series.book", s.ann);
    ASSERT_EQ(fx_job_changes(job), 4); /* three appointments and the series */
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments WHERE series_id IS NOT NULL", NULL),
              3);

    /* A series against the patient's own appointment names the patient. */
    m = weekly(&s, s.ann, "weekly:2", 2);
    m.provider_id = (uint64_t)s.kim;
    m.skip_conflicts = 0;
    job = series(&s, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    ASSERT_STR_EQ(job->resp.appointment_series_book->occurrences[0]->conflicts[0]->kind, "patient");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(series_validates_rule_and_count)
{
    sf_t s;
    sf_open(&s);
    const char *bad[] = {"", "daily:1", "weekly:", "weekly:0", "weekly:13", "monthly:x"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        Clinic__AppointmentSeriesBookRequest m = weekly(&s, s.ann, bad[i], 2);
        cl_job_t *job = series(&s, &m);
        FX_ASSERT_FAILED(job, CL_EINVAL, "rule");
        cl_job_free(job);
    }
    Clinic__AppointmentSeriesBookRequest m = weekly(&s, s.ann, "weekly:1", 53);
    cl_job_t *job = series(&s, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "count");
    cl_job_free(job);
    m.count = 0;
    job = series(&s, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "count");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(series_monthly_keeps_the_day_or_the_months_last)
{
    sf_t s;
    sf_open(&s);
    Clinic__AppointmentSeriesBookRequest m = weekly(&s, s.ann, "monthly:1", 4);
    m.first_date = "2024-03-29"; /* a Friday; April has no 31st but this is the 29th */
    m.skip_conflicts = 1;
    cl_job_t *job = series(&s, &m);
    ASSERT_OK(job->status);
    const Clinic__AppointmentSeriesBookReply *r = job->resp.appointment_series_book;
    ASSERT_STR_EQ(r->occurrences[0]->date, "2024-03-29");
    ASSERT_STR_EQ(r->occurrences[1]->date, "2024-04-29");
    ASSERT_STR_EQ(r->occurrences[2]->date, "2024-05-29");
    ASSERT_STR_EQ(r->occurrences[3]->date, "2024-06-29"); /* a Saturday: closed, skipped */
    ASSERT_EQ(r->skipped, 1);
    cl_job_free(job);
    /* The 31st: April's occurrence falls on its last day, the 30th. */
    m = weekly(&s, s.bob, "monthly:1", 2);
    m.first_date = "2024-03-31"; /* a Sunday: closed, skipped */
    m.skip_conflicts = 1;
    job = series(&s, &m);
    ASSERT_OK(job->status);
    r = job->resp.appointment_series_book;
    ASSERT_STR_EQ(r->occurrences[1]->date, "2024-04-30");
    ASSERT_EQ(r->booked, 1);
    ASSERT_EQ(r->occurrences[0]->appointment_id, 0);
    ASSERT_STR_EQ(r->occurrences[0]->conflicts[0]->kind, "closed");
    cl_job_free(job);
    /* Nothing free at all: CONFLICT even with skip_conflicts, and nothing kept. */
    m = weekly(&s, s.cat, "weekly:1", 2);
    m.first_date = "2024-03-02";
    m.skip_conflicts = 1;
    job = series(&s, &m);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    ASSERT_EQ(job->resp.appointment_series_book->series_id, 0);
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(series_exceptions_then_cancel_the_rest)
{
    sf_t s;
    sf_open(&s);
    Clinic__AppointmentSeriesBookRequest m = weekly(&s, s.ann, "weekly:1", 4);
    cl_job_t *job = series(&s, &m);
    ASSERT_OK(job->status);
    uint64_t series_id = job->resp.appointment_series_book->series_id;
    uint64_t ids[4];
    for (size_t i = 0; i < 4; i++)
        ids[i] = job->resp.appointment_series_book->occurrences[i]->appointment_id;
    cl_job_free(job);

    /* Exceptions: the second occurrence moves to 10:00, the first is cancelled. */
    Clinic__AppointmentMoveRequest mv = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    mv.id = ids[1];
    mv.version = 1;
    mv.start_minute = sf_minute("10:00");
    job = move(&s, &mv);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_move->appointment->series_id, series_id);
    cl_job_free(job);
    FX_ASSERT_OK_FREE(sf_cancel(&s, (int64_t)ids[0], 1, "holiday trip"));

    /* Cancel the rest from the third on. */
    Clinic__AppointmentSeriesCancelRequest c = CLINIC__APPOINTMENT_SERIES_CANCEL_REQUEST__INIT;
    c.series_id = series_id;
    c.from_date = "2024-03-19";
    c.reason = "therapy finished";
    SF_REQ(req, APPOINTMENT_SERIES_CANCEL, appointment_series_cancel, &c);
    job = sf_run(&s, &s.desk, cl_handle_appointment_series_cancel, &req);
    ASSERT_OK(job->status);
    const Clinic__AppointmentSeriesCancelReply *r = job->resp.appointment_series_cancel;
    ASSERT_EQ(r->n_appointments, 2);
    ASSERT_EQ(r->appointments[0]->id, ids[2]);
    ASSERT_EQ(r->appointments[1]->id, ids[3]);
    ASSERT_STR_EQ(r->appointments[1]->state, "cancelled");
    SF_ASSERT_AUDIT(&s, "desk", "series.cancel", s.ann);
    cl_job_free(job);
    /* What is left: the moved one, at its new time. */
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM appointments WHERE state = 'scheduled'", NULL),
              1);
    sqlite3_stmt *st = fx_prepare(&s.fx, "SELECT starts_at FROM appointments WHERE state = "
                                         "'scheduled'");
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_int64(st, 0), sf_at("2024-03-12", "10:00"));
    sqlite3_finalize(st);
    /* An unknown series. */
    c.series_id = 99;
    job = sf_run(&s, &s.desk, cl_handle_appointment_series_cancel, &req);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "series_id");
    cl_job_free(job);
    sf_close(&s);
}

static cl_job_t *waitlist_add(sf_t *s, int64_t patient, int64_t provider, int64_t type,
                              const char *from, const char *to)
{
    Clinic__WaitlistAddRequest m = CLINIC__WAITLIST_ADD_REQUEST__INIT;
    m.patient_id = (uint64_t)patient;
    m.provider_id = (uint64_t)provider;
    m.type_id = (uint64_t)type;
    m.earliest_date = (char *)from;
    m.latest_date = (char *)to;
    m.note = "wants an earlier visit";
    SF_REQ(req, WAITLIST_ADD, waitlist_add, &m);
    return sf_run(s, &s->desk, cl_handle_waitlist_add, &req);
}

CL_TEST(waitlist_offered_the_slot_a_cancellation_frees)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.consult, 0, TUE, "09:00");
    /* Bob wants anyone, from the 4th to the 8th; Cat wants Kim only; Dan's window is later.
     * Bob is first in line. */
    FX_ASSERT_OK_FREE(waitlist_add(&s, s.cat, s.kim, s.visit, "2024-03-04", "2024-03-08"));
    FX_ASSERT_OK_FREE(waitlist_add(&s, s.dan, 0, s.visit, "2024-03-11", "2024-03-15"));
    cl_job_t *job = waitlist_add(&s, s.bob, 0, s.visit, "", "2024-03-08");
    ASSERT_OK(job->status);
    const Clinic__WaitlistEntry *e = job->resp.waitlist_add->entry;
    uint64_t bob_entry = e->id;
    ASSERT_STR_EQ(e->state, "waiting");
    ASSERT_STR_EQ(e->earliest_date, "2024-03-01");
    ASSERT(sf_has_change(job, "waitlist", "waitlist", bob_entry, CLINIC__CHANGE_OP__CREATED));
    SF_ASSERT_AUDIT(&s, "desk", "waitlist.add", s.bob);
    cl_job_free(job);

    job = sf_cancel(&s, id, 1, "patient called");
    ASSERT_OK(job->status);
    const Clinic__AppointmentCancelReply *r = job->resp.appointment_cancel;
    ASSERT_EQ(r->n_offers, 1);
    ASSERT_EQ(r->offers[0]->id, bob_entry);
    ASSERT_STR_EQ(r->offers[0]->state, "offered");
    ASSERT_EQ(r->offers[0]->offered_provider_id, s.lee);
    ASSERT_EQ(r->offers[0]->offered_starts_at, sf_at(TUE, "09:00"));
    ASSERT(sf_has_change(job, "waitlist", "waitlist", bob_entry, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM audit WHERE action = 'waitlist.offer'", NULL), 1);

    /* Booking from the offer marks the entry booked. */
    Clinic__AppointmentBookRequest m = sf_booking(s.bob, s.lee, s.visit, 0, TUE, "09:00");
    m.waitlist_id = bob_entry;
    job = sf_book_req(&s, &s.desk, &m);
    ASSERT_OK(job->status);
    uint64_t appt = job->resp.appointment_book->appointment->id;
    ASSERT(sf_has_change(job, "waitlist", "waitlist", bob_entry, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT appointment_id FROM waitlist WHERE state = 'booked'", NULL),
              appt);
    /* Booking from it again is a state error; from another patient's entry, invalid. */
    m = sf_booking(s.bob, s.lee, s.visit, 0, TUE, "11:00");
    m.waitlist_id = bob_entry;
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "waitlist_id");
    cl_job_free(job);
    m.patient_id = (uint64_t)s.cat;
    m.waitlist_id = 1;
    m.patient_id = (uint64_t)s.dan;
    job = sf_book_req(&s, &s.desk, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "waitlist_id");
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(waitlist_offered_the_time_a_move_leaves)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    cl_job_t *job = waitlist_add(&s, s.bob, s.lee, s.visit, "", "2024-03-08");
    ASSERT_OK(job->status);
    uint64_t entry = job->resp.waitlist_add->entry->id;
    cl_job_free(job);
    /* Fifteen minutes later still covers most of the old time: nothing to offer. */
    Clinic__AppointmentMoveRequest m = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    m.id = (uint64_t)id;
    m.version = 1;
    m.start_minute = sf_minute("09:15");
    job = move(&s, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_move->n_offers, 0);
    cl_job_free(job);
    /* To the afternoon: 09:15-09:45 is free for Bob. */
    m.version = 2;
    m.start_minute = sf_minute("14:00");
    job = move(&s, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_move->n_offers, 1);
    ASSERT_EQ(job->resp.appointment_move->offers[0]->id, entry);
    ASSERT_STR_EQ(job->resp.appointment_move->offers[0]->offered_date, TUE);
    ASSERT_EQ(job->resp.appointment_move->offers[0]->offered_start_minute, sf_minute("09:15"));
    ASSERT(sf_has_change(job, "waitlist", "waitlist", entry, CLINIC__CHANGE_OP__UPDATED));
    cl_job_free(job);
    sf_close(&s);
}

CL_TEST(waitlist_not_offered_what_does_not_fit)
{
    sf_t s;
    sf_open(&s);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    /* A 60-minute consult does not fit a freed 30-minute visit. */
    FX_ASSERT_OK_FREE(waitlist_add(&s, s.bob, s.lee, s.consult, "", "2024-03-08"));
    /* Cat is booked elsewhere at that time. */
    sf_book_ok(&s, s.cat, s.kim, s.visit, 0, TUE, "09:00");
    FX_ASSERT_OK_FREE(waitlist_add(&s, s.cat, 0, s.visit, "", "2024-03-08"));
    cl_job_t *job = sf_cancel(&s, id, 1, "patient called");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_cancel->n_offers, 0);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&s.fx, "SELECT count(*) FROM waitlist WHERE state = 'waiting'", NULL), 2);
    sf_close(&s);
}

CL_TEST(waitlist_list_and_remove_with_versions)
{
    sf_t s;
    sf_open(&s);
    cl_job_t *job = waitlist_add(&s, s.bob, 0, s.visit, "2024-03-08", "2024-03-04");
    FX_ASSERT_FAILED(job, CL_EINVAL, "latest_date");
    cl_job_free(job);
    job = waitlist_add(&s, s.bob, 0, s.visit, "", "2024-02-01");
    FX_ASSERT_FAILED(job, CL_EINVAL, "latest_date");
    cl_job_free(job);
    job = waitlist_add(&s, s.bob, 0, s.visit, "", "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "latest_date");
    cl_job_free(job);
    job = waitlist_add(&s, s.bob, 0, s.visit, "", "2024-03-08");
    ASSERT_OK(job->status);
    uint64_t entry = job->resp.waitlist_add->entry->id;
    cl_job_free(job);

    Clinic__WaitlistListRequest l = CLINIC__WAITLIST_LIST_REQUEST__INIT;
    SF_REQ(lreq, WAITLIST_LIST, waitlist_list, &l);
    job = sf_run(&s, &s.desk, cl_handle_waitlist_list, &lreq);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.waitlist_list->n_entries, 1);
    ASSERT_STR_EQ(job->resp.waitlist_list->entries[0]->patient_name, "Bob Baker");
    fx_assert_last_audit(&s.fx, "desk", "waitlist.list", "waitlist", 0);
    cl_job_free(job);

    Clinic__WaitlistRemoveRequest r = CLINIC__WAITLIST_REMOVE_REQUEST__INIT;
    r.id = entry;
    r.version = 5;
    SF_REQ(rreq, WAITLIST_REMOVE, waitlist_remove, &r);
    job = sf_run(&s, &s.desk, cl_handle_waitlist_remove, &rreq);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.waitlist_remove->entry->version, 1);
    cl_job_free(job);
    r.version = 1;
    job = sf_run(&s, &s.desk, cl_handle_waitlist_remove, &rreq);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.waitlist_remove->entry->state, "removed");
    SF_ASSERT_AUDIT(&s, "desk", "waitlist.remove", s.bob);
    cl_job_free(job);

    /* Closed entries show only in a patient's list with include_closed. */
    job = sf_run(&s, &s.desk, cl_handle_waitlist_list, &lreq);
    ASSERT_EQ(job->resp.waitlist_list->n_entries, 0);
    cl_job_free(job);
    l.patient_id = (uint64_t)s.bob;
    l.include_closed = 1;
    job = sf_run(&s, &s.desk, cl_handle_waitlist_list, &lreq);
    ASSERT_EQ(job->resp.waitlist_list->n_entries, 1);
    SF_ASSERT_AUDIT(&s, "desk", "waitlist.list", s.bob);
    cl_job_free(job);
    sf_close(&s);
}

static cl_job_t *list(sf_t *s, const cl_identity_t *who, Clinic__AppointmentListRequest *l)
{
    SF_REQ(req, APPOINTMENT_LIST, appointment_list, l);
    return sf_run(s, who, cl_handle_appointment_list, &req);
}

CL_TEST(list_a_days_schedule_a_providers_and_a_patients)
{
    sf_t s;
    sf_open(&s);
    sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "10:00");
    sf_book_ok(&s, s.bob, s.kim, s.visit, 0, TUE, "08:00");
    int64_t c = sf_book_ok(&s, s.cat, s.lee, s.visit, 0, TUE, "09:00");
    sf_book_ok(&s, s.ann, s.lee, s.visit, 0, "2024-03-06", "09:00");
    cl_job_t *job = sf_cancel(&s, c, 1, "sick");
    cl_job_free(job);

    Clinic__AppointmentListRequest l = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    l.from_date = TUE;
    int64_t audit = fx_audit_rows(&s.fx);
    job = list(&s, &s.doc, &l);
    ASSERT_OK(job->status);
    const Clinic__AppointmentListReply *r = job->resp.appointment_list;
    ASSERT_EQ(r->n_appointments, 2); /* the cancelled one left out */
    ASSERT_STR_EQ(r->appointments[0]->patient_name, "Bob Baker");
    ASSERT_STR_EQ(r->appointments[1]->patient_name, "Ann Archer");
    ASSERT_EQ(fx_audit_rows(&s.fx), audit + 1);
    fx_assert_last_audit(&s.fx, "drlee", "appointment.list", "appointment", 0);
    cl_job_free(job);

    l.include_cancelled = 1;
    job = list(&s, &s.doc, &l);
    ASSERT_EQ(job->resp.appointment_list->n_appointments, 3);
    cl_job_free(job);

    l.include_cancelled = 0;
    l.to_date = "2024-03-06";
    l.provider_id = (uint64_t)s.lee;
    job = list(&s, &s.doc, &l);
    ASSERT_EQ(job->resp.appointment_list->n_appointments, 2);
    ASSERT_STR_EQ(job->resp.appointment_list->appointments[1]->date, "2024-03-06");
    cl_job_free(job);

    /* A patient's whole history needs no dates, and the audit row names the patient. */
    Clinic__AppointmentListRequest p = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    p.patient_id = (uint64_t)s.ann;
    job = list(&s, &s.doc, &p);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_list->n_appointments, 2);
    SF_ASSERT_AUDIT(&s, "drlee", "appointment.list", s.ann);
    cl_job_free(job);

    /* Validation: a date is needed without a patient; ranges are bounded. */
    Clinic__AppointmentListRequest bad = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    job = list(&s, &s.doc, &bad);
    FX_ASSERT_FAILED(job, CL_EINVAL, "from_date");
    cl_job_free(job);
    bad.from_date = "2024-03-01";
    bad.to_date = "2024-06-30";
    job = list(&s, &s.doc, &bad);
    FX_ASSERT_FAILED(job, CL_EINVAL, "to_date");
    cl_job_free(job);

    /* Reading one appointment is audited too. */
    Clinic__AppointmentGetRequest g = CLINIC__APPOINTMENT_GET_REQUEST__INIT;
    g.id = (uint64_t)c;
    SF_REQ(greq, APPOINTMENT_GET, appointment_get, &g);
    job = sf_run(&s, &s.doc, cl_handle_appointment_get, &greq);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.appointment_get->appointment->cancel_reason, "sick");
    SF_ASSERT_AUDIT(&s, "drlee", "appointment.read", s.cat);
    cl_job_free(job);
    g.id = 99;
    job = sf_run(&s, &s.doc, cl_handle_appointment_get, &greq);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);
    sf_close(&s);
}

/* Every request that touches patient data leaves exactly one audit row (two when a
 * cancellation also offers its slot to a waiting patient: one per patient). */
CL_TEST(one_audit_row_per_patient_request)
{
    sf_t s;
    sf_open(&s);
    int64_t before = fx_audit_rows(&s.fx);
    int64_t id = sf_book_ok(&s, s.ann, s.lee, s.visit, 0, TUE, "09:00");
    ASSERT_EQ(fx_audit_rows(&s.fx), before + 1);
    Clinic__AppointmentMoveRequest m = CLINIC__APPOINTMENT_MOVE_REQUEST__INIT;
    m.id = (uint64_t)id;
    m.version = 1;
    m.start_minute = sf_minute("09:30");
    FX_ASSERT_OK_FREE(move(&s, &m));
    ASSERT_EQ(fx_audit_rows(&s.fx), before + 2);
    cl_job_t *job = waitlist_add(&s, s.bob, 0, s.visit, "", "2024-03-08");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&s.fx), before + 3);
    job = sf_cancel(&s, id, 2, "sick");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.appointment_cancel->n_offers, 1);
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&s.fx), before + 5);
    /* Setup writes are audited by entity; setup reads and slots are not patient data. */
    Clinic__ProviderListRequest pl = CLINIC__PROVIDER_LIST_REQUEST__INIT;
    SF_OK(&s, &s.doc, cl_handle_provider_list, PROVIDER_LIST, provider_list, &pl);
    Clinic__SlotFindRequest sl = CLINIC__SLOT_FIND_REQUEST__INIT;
    sl.type_id = (uint64_t)s.visit;
    SF_OK(&s, &s.doc, cl_handle_slot_find, SLOT_FIND, slot_find, &sl);
    ASSERT_EQ(fx_audit_rows(&s.fx), before + 5);
    sf_close(&s);
}

/* The conflict checks and the day's schedule run on every booking and every board: each must
 * search an index with both ends of its range bounded, and the day's list needs no sort. */
CL_TEST(conflict_checks_and_days_schedule_use_indexes)
{
    sf_t s;
    sf_open(&s);
    static const struct {
        cl_sched_q_t q;
        const char *want;
    } plans[] = {
        {CL_SQ_APPT_PROVIDER_OVERLAP,
         "SEARCH appointments USING INDEX appointments_provider (provider_id=? AND starts_at>? "
         "AND starts_at<?)"},
        {CL_SQ_APPT_ROOM_OVERLAP,
         "SEARCH appointments USING INDEX appointments_room (room_id=? AND starts_at>? AND "
         "starts_at<?)"},
        {CL_SQ_APPT_PATIENT_OVERLAP,
         "SEARCH a USING INDEX appointments_patient (patient_id=? AND starts_at>? AND "
         "starts_at<?)"},
        {CL_SQ_BLOCKS_PROVIDER_OVERLAP,
         "SEARCH blocks USING INDEX blocks_provider (provider_id=? AND ends_at>?)"},
        {CL_SQ_BLOCKS_ROOM_OVERLAP,
         "SEARCH blocks USING INDEX blocks_room (room_id=? AND ends_at>?)"},
        {CL_SQ_PROVIDER_HOURS_DAY,
         "SEARCH provider_hours USING INDEX provider_hours_provider (provider_id=? AND weekday=?)"},
        {CL_SQ_HOURS_DAY, "SEARCH clinic_hours USING INTEGER PRIMARY KEY (rowid=?)"},
        {CL_SQ_HOLIDAY_ON, "SEARCH holidays USING INDEX sqlite_autoindex_holidays_1 (date=?)"},
        {CL_SQ_APPT_LIST_DATE, "SEARCH a USING INDEX appointments_date (date>? AND date<?)"},
        {CL_SQ_APPT_LIST_PROVIDER,
         "SEARCH a USING INDEX appointments_provider (provider_id=? AND starts_at>? AND "
         "starts_at<?)"},
        {CL_SQ_APPT_LIST_PATIENT,
         "SEARCH a USING INDEX appointments_patient (patient_id=? AND starts_at>? AND "
         "starts_at<?)"},
        {CL_SQ_SERIES_SCHEDULED_FROM,
         "SEARCH appointments USING INDEX appointments_series (series_id=? AND starts_at>?)"},
        {CL_SQ_WAITLIST_CANDIDATES,
         "SEARCH w USING INDEX waitlist_state (state=? AND latest_date>?)"},
    };
    char plan[2048];
    for (size_t i = 0; i < CL_ARRAY_SIZE(plans); i++) {
        fx_plan(&s.fx, cl_sched_sql(plans[i].q), plan, sizeof(plan));
        if (strstr(plan, plans[i].want) == NULL)
            CL_FAIL("statement %d: plan \"%s\" lacks \"%s\"", (int)plans[i].q, plan, plans[i].want);
        if (plans[i].q == CL_SQ_APPT_LIST_DATE || plans[i].q == CL_SQ_APPT_LIST_PROVIDER)
            if (strstr(plan, "TEMP B-TREE") != NULL)
                CL_FAIL("statement %d sorts: %s", (int)plans[i].q, plan);
    }
    sf_close(&s);
}

CL_TEST_MAIN(CL_TEST_ENTRY(book_creates_appointment_with_audit_and_change),
             CL_TEST_ENTRY(conflict_provider_names_the_other_appointment),
             CL_TEST_ENTRY(conflict_room_names_the_other_appointment),
             CL_TEST_ENTRY(conflict_patient_names_the_other_appointment),
             CL_TEST_ENTRY(conflict_provider_hours_names_the_template),
             CL_TEST_ENTRY(conflict_clinic_closed_and_outside_clinic_hours),
             CL_TEST_ENTRY(conflict_holiday_names_it),
             CL_TEST_ENTRY(conflict_block_of_provider_and_of_room),
             CL_TEST_ENTRY(conflicts_all_listed_in_one_refusal),
             CL_TEST_ENTRY(cancelled_and_no_show_appointments_free_the_slot),
             CL_TEST_ENTRY(overbook_needs_the_permission_and_is_audited),
             CL_TEST_ENTRY(book_validates_each_field),
             CL_TEST_ENTRY(second_booking_of_a_taken_slot_conflicts),
             CL_TEST_ENTRY(move_checks_conflicts_but_not_with_itself),
             CL_TEST_ENTRY(move_cancel_no_show_only_from_scheduled),
             CL_TEST_ENTRY(cancel_needs_reason_and_version_and_records_the_transition),
             CL_TEST_ENTRY(no_show_only_once_the_appointment_has_started),
             CL_TEST_ENTRY(series_books_all_or_none_and_reports_each_conflict),
             CL_TEST_ENTRY(series_validates_rule_and_count),
             CL_TEST_ENTRY(series_monthly_keeps_the_day_or_the_months_last),
             CL_TEST_ENTRY(series_exceptions_then_cancel_the_rest),
             CL_TEST_ENTRY(waitlist_offered_the_slot_a_cancellation_frees),
             CL_TEST_ENTRY(waitlist_offered_the_time_a_move_leaves),
             CL_TEST_ENTRY(waitlist_not_offered_what_does_not_fit),
             CL_TEST_ENTRY(waitlist_list_and_remove_with_versions),
             CL_TEST_ENTRY(list_a_days_schedule_a_providers_and_a_patients),
             CL_TEST_ENTRY(one_audit_row_per_patient_request),
             CL_TEST_ENTRY(conflict_checks_and_days_schedule_use_indexes))
