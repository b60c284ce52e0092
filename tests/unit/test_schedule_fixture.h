/* What the schedule's unit tests share: a clinic in Chicago's time zone set up through the setup
 * handlers (two providers with weekly templates, two rooms, two appointment types, weekday
 * clinic hours), patients made directly in the database (the patients domain is another's), and
 * one helper per request that runs it as the store would. Header-only: each test file is its own
 * executable. */
#ifndef CL_TEST_SCHEDULE_FIXTURE_H
#define CL_TEST_SCHEDULE_FIXTURE_H

#include "calendar.h"
#include "domain_fixture.h"
#include "schedule_int.h"

typedef struct {
    fx_t fx;
    cl_identity_t sched; /* scheduler: setup, booking, reading */
    cl_identity_t desk;  /* front desk: booking and reading */
    cl_identity_t boss;  /* scheduler and manager: may overbook */
    cl_identity_t doc;   /* clinician: reads only */
    int64_t lee, kim;    /* providers */
    int64_t exam1, exam2;
    int64_t visit;   /* 30 minutes, needs a room */
    int64_t consult; /* 60 minutes, no room */
    int64_t ann, bob, cat, dan;
} sf_t;

/* The instant of local "HH:MM" on `date` ("YYYY-MM-DD"). */
static inline int64_t sf_at(const char *date, const char *hhmm)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse(date, &d));
    int minute =
        (hhmm[0] - '0') * 600 + (hhmm[1] - '0') * 60 + (hhmm[3] - '0') * 10 + hhmm[4] - '0';
    return cl_local_instant(d, minute);
}

static inline uint32_t sf_minute(const char *hhmm)
{
    return (uint32_t)((hhmm[0] - '0') * 600 + (hhmm[1] - '0') * 60 + (hhmm[3] - '0') * 10 +
                      hhmm[4] - '0');
}

/* Runs `handler` on `req` for `who`; the caller frees the job. */
static inline cl_job_t *sf_run(sf_t *s, const cl_identity_t *who, cl_handler_fn handler,
                               Clinic__Request *req)
{
    cl_job_t *job = fx_job(handler, req, who);
    fx_run(&s->fx, job);
    job->req = NULL;
    return job;
}

/* Declares `var`, a Request of kind CASE whose oneof member `member` points at `msg`. */
#define SF_REQ(var, CASE, member, msg)                                                             \
    Clinic__Request var = CLINIC__REQUEST__INIT;                                                   \
    var.body_case = CLINIC__REQUEST__BODY_##CASE;                                                  \
    var.member = (msg)

/* Runs a request and asserts success; frees the job and returns nothing. */
#define SF_OK(s, who, handler, CASE, member, msg)                                                  \
    do {                                                                                           \
        SF_REQ(req_, CASE, member, msg);                                                           \
        cl_job_t *job_ = sf_run((s), (who), handler, &req_);                                       \
        if (job_->status != 0)                                                                     \
            CL_FAIL("%s: %s", #handler, fx_message(job_));                                         \
        cl_job_free(job_);                                                                         \
    } while (0)

static inline int64_t sf_patient(sf_t *s, const char *first, const char *last)
{
    static int serial;
    char record[32];
    snprintf(record, sizeof(record), "P%07d", ++serial);
    sqlite3_stmt *st =
        fx_prepare(&s->fx, "INSERT INTO patients (record_number, first_name, last_name, "
                           "birth_date, sex, created_at, created_by, updated_at, updated_by) "
                           "VALUES (?1, ?2, ?3, '1980-01-01', 'female', 1, 1, 1, 1) "
                           "RETURNING id");
    sqlite3_bind_text(st, 1, record, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, first, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, last, -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* ---- request helpers (each returns the job; the caller frees it) --------------------------- */

static inline cl_job_t *sf_provider_add(sf_t *s, const char *name, const char *username)
{
    Clinic__ProviderAddRequest m = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    m.name = (char *)name;
    m.specialty = "Family medicine";
    m.username = (char *)username;
    SF_REQ(req, PROVIDER_ADD, provider_add, &m);
    return sf_run(s, &s->sched, cl_handle_provider_add, &req);
}

/* Sets a provider's template: `spec` is "D HH:MM-HH:MM;D HH:MM-HH:MM;..." with D a weekday. */
static inline cl_job_t *sf_provider_hours(sf_t *s, int64_t provider, uint64_t version,
                                          const char *spec)
{
    Clinic__ProviderHours hours[32], *ptrs[32];
    size_t n = 0;
    for (const char *p = spec; *p && n < 32;) {
        clinic__provider_hours__init(&hours[n]);
        hours[n].weekday = (uint32_t)(p[0] - '0');
        hours[n].start_minute = sf_minute(p + 2);
        hours[n].end_minute = sf_minute(p + 8);
        ptrs[n] = &hours[n];
        n++;
        p += 13;
        if (*p == ';')
            p++;
    }
    Clinic__ProviderHoursSetRequest m = CLINIC__PROVIDER_HOURS_SET_REQUEST__INIT;
    m.provider_id = (uint64_t)provider;
    m.version = version;
    m.hours = ptrs;
    m.n_hours = n;
    SF_REQ(req, PROVIDER_HOURS_SET, provider_hours_set, &m);
    return sf_run(s, &s->sched, cl_handle_provider_hours_set, &req);
}

static inline uint64_t sf_version(sf_t *s, const char *table, int64_t id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT version FROM %s WHERE id = %" PRId64, table, id);
    return (uint64_t)fx_int(&s->fx, sql, NULL);
}

static inline cl_job_t *sf_hours_set(sf_t *s, uint32_t weekday, int open, const char *from,
                                     const char *to, uint64_t version)
{
    Clinic__ClinicHoursSetRequest m = CLINIC__CLINIC_HOURS_SET_REQUEST__INIT;
    m.weekday = weekday;
    m.open = open;
    m.open_minute = open ? sf_minute(from) : 0;
    m.close_minute = open ? sf_minute(to) : 0;
    m.version = version;
    SF_REQ(req, CLINIC_HOURS_SET, clinic_hours_set, &m);
    return sf_run(s, &s->sched, cl_handle_clinic_hours_set, &req);
}

/* A booking request: date and time local; room 0 for none. */
static inline Clinic__AppointmentBookRequest sf_booking(int64_t patient, int64_t provider,
                                                        int64_t type, int64_t room,
                                                        const char *date, const char *hhmm)
{
    Clinic__AppointmentBookRequest m = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    m.patient_id = (uint64_t)patient;
    m.provider_id = (uint64_t)provider;
    m.type_id = (uint64_t)type;
    m.room_id = (uint64_t)room;
    m.date = (char *)date;
    m.start_minute = sf_minute(hhmm);
    m.reason = "check-up";
    return m;
}

static inline cl_job_t *sf_book_req(sf_t *s, const cl_identity_t *who,
                                    Clinic__AppointmentBookRequest *m)
{
    SF_REQ(req, APPOINTMENT_BOOK, appointment_book, m);
    return sf_run(s, who, cl_handle_appointment_book, &req);
}

static inline cl_job_t *sf_book(sf_t *s, int64_t patient, int64_t provider, int64_t type,
                                int64_t room, const char *date, const char *hhmm)
{
    Clinic__AppointmentBookRequest m = sf_booking(patient, provider, type, room, date, hhmm);
    return sf_book_req(s, &s->desk, &m);
}

/* Books and asserts success; returns the appointment id. */
static inline int64_t sf_book_ok(sf_t *s, int64_t patient, int64_t provider, int64_t type,
                                 int64_t room, const char *date, const char *hhmm)
{
    cl_job_t *job = sf_book(s, patient, provider, type, room, date, hhmm);
    if (job->status != 0)
        CL_FAIL("booking %s %s: %s", date, hhmm, fx_message(job));
    int64_t id = (int64_t)job->resp.appointment_book->appointment->id;
    cl_job_free(job);
    return id;
}

static inline cl_job_t *sf_cancel(sf_t *s, int64_t id, uint64_t version, const char *reason)
{
    Clinic__AppointmentCancelRequest m = CLINIC__APPOINTMENT_CANCEL_REQUEST__INIT;
    m.id = (uint64_t)id;
    m.version = version;
    m.reason = (char *)reason;
    SF_REQ(req, APPOINTMENT_CANCEL, appointment_cancel, &m);
    return sf_run(s, &s->desk, cl_handle_appointment_cancel, &req);
}

static inline cl_job_t *sf_block_add(sf_t *s, int64_t provider, int64_t room, const char *date,
                                     const char *from, const char *to, const char *reason)
{
    Clinic__BlockAddRequest m = CLINIC__BLOCK_ADD_REQUEST__INIT;
    m.provider_id = (uint64_t)provider;
    m.room_id = (uint64_t)room;
    m.date = (char *)date;
    m.start_minute = sf_minute(from);
    m.end_minute = sf_minute(to);
    m.reason = (char *)reason;
    SF_REQ(req, BLOCK_ADD, block_add, &m);
    return sf_run(s, &s->sched, cl_handle_block_add, &req);
}

static inline int64_t sf_created_id(cl_job_t *job, uint64_t id)
{
    if (job->status != 0)
        CL_FAIL("setup: %s", fx_message(job));
    cl_job_free(job);
    return (int64_t)id;
}

/* Opens the clinic: today is Friday 2024-03-01, 12:00 in Chicago. Clinic open Monday to Friday
 * 08:00-18:00. Dr. Lee works Monday to Friday 09:00-12:00 and 13:00-17:00; Dr. Kim Tuesday and
 * Thursday 08:00-16:00. */
static inline void sf_open(sf_t *s)
{
    memset(s, 0, sizeof(*s));
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    fx_open(&s->fx);
    s->fx.now = sf_at("2024-03-01", "12:00");
    fx_user(&s->fx, "sched", CL_ROLE_scheduler);
    fx_user(&s->fx, "desk", CL_ROLE_front_desk);
    fx_user(&s->fx, "boss", CL_ROLE_scheduler | CL_ROLE_manager);
    fx_user(&s->fx, "drlee", CL_ROLE_clinician);
    s->sched = fx_who(&s->fx, "sched");
    s->desk = fx_who(&s->fx, "desk");
    s->boss = fx_who(&s->fx, "boss");
    s->doc = fx_who(&s->fx, "drlee");

    cl_job_t *job = sf_provider_add(s, "Dr. Lee", "drlee");
    s->lee = sf_created_id(job, job->status ? 0 : job->resp.provider_add->provider->id);
    job = sf_provider_add(s, "Dr. Kim", "");
    s->kim = sf_created_id(job, job->status ? 0 : job->resp.provider_add->provider->id);
    job = sf_provider_hours(s, s->lee, 1,
                            "1 09:00-12:00;1 13:00-17:00;2 09:00-12:00;2 13:00-17:00;"
                            "3 09:00-12:00;3 13:00-17:00;4 09:00-12:00;4 13:00-17:00;"
                            "5 09:00-12:00;5 13:00-17:00");
    sf_created_id(job, 0);
    sf_created_id(sf_provider_hours(s, s->kim, 1, "2 08:00-16:00;4 08:00-16:00"), 0);

    const char *rooms[] = {"Exam 1", "Exam 2"};
    int64_t *room_ids[] = {&s->exam1, &s->exam2};
    for (int i = 0; i < 2; i++) {
        Clinic__RoomAddRequest m = CLINIC__ROOM_ADD_REQUEST__INIT;
        m.name = (char *)rooms[i];
        SF_REQ(req, ROOM_ADD, room_add, &m);
        job = sf_run(s, &s->sched, cl_handle_room_add, &req);
        *room_ids[i] = sf_created_id(job, job->status ? 0 : job->resp.room_add->room->id);
    }
    const char *types[] = {"Visit", "Consult"};
    uint32_t minutes[] = {30, 60};
    int64_t *type_ids[] = {&s->visit, &s->consult};
    for (int i = 0; i < 2; i++) {
        Clinic__AppointmentTypeAddRequest m = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
        m.name = (char *)types[i];
        m.default_minutes = minutes[i];
        m.needs_room = i == 0;
        SF_REQ(req, APPOINTMENT_TYPE_ADD, appointment_type_add, &m);
        job = sf_run(s, &s->sched, cl_handle_appointment_type_add, &req);
        *type_ids[i] =
            sf_created_id(job, job->status ? 0 : job->resp.appointment_type_add->type->id);
    }
    for (uint32_t wd = 1; wd <= 5; wd++)
        sf_created_id(sf_hours_set(s, wd, 1, "08:00", "18:00", 0), 0);
    s->ann = sf_patient(s, "Ann", "Archer");
    s->bob = sf_patient(s, "Bob", "Baker");
    s->cat = sf_patient(s, "Cat", "Cole");
    s->dan = sf_patient(s, "Dan", "Drake");
}

static inline void sf_close(sf_t *s)
{
    fx_close(&s->fx);
}

/* The conflict kinds of a failed or overridden booking, joined by ",". */
static inline const char *sf_kinds(Clinic__Conflict **c, size_t n, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < buflen; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%s%s", i ? "," : "", c[i]->kind);
    return buf;
}

/* Asserts that the newest audit row is `action` on patient `patient` by `username`. */
#define SF_ASSERT_AUDIT(s, username, action, patient)                                              \
    fx_assert_last_audit(&(s)->fx, (username), (action), "patient", (uint64_t)(patient))

/* Whether the job's changes include one on `topic` for `entity` `id` with `op`. */
static inline int sf_has_change(const cl_job_t *job, const char *topic, const char *entity,
                                uint64_t id, Clinic__ChangeOp op)
{
    for (const cl_change_t *c = job->changes; c != NULL; c = c->next)
        if (strcmp(c->topic, topic) == 0 && strcmp(c->entity, entity) == 0 && c->entity_id == id &&
            c->op == op)
            return 1;
    return 0;
}

#endif
