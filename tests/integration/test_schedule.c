/* The schedule against a real clinicd: setup and booking over the wire, a subscriber seeing
 * bookings live, eight workstations racing for one slot (exactly one wins), who may do what by
 * role, and the `clinic` schedule commands end to end. Patients are made with the sqlite3 shell
 * (the patients domain has its own tests). */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Patients 1..n: "Ann Archer", "Bob Baker", ... */
static void add_patients(cl_harness_t *h, int n)
{
    static const char *const first[] = {"Ann", "Bob", "Cat", "Dan", "Eve",
                                        "Fay", "Gus", "Hal", "Ivy", "Jon"};
    static const char *const last[] = {"Archer", "Baker", "Cole", "Drake", "Evans",
                                       "Fox",    "Gray",  "Hale", "Irwin", "Jones"};
    char text[8192];
    size_t used = (size_t)snprintf(text, sizeof(text), "BEGIN;");
    for (int i = 0; i < n && i < 10; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used,
                                 "INSERT INTO patients (record_number, first_name, last_name, "
                                 "birth_date, sex, created_at, created_by, updated_at, "
                                 "updated_by) VALUES ('P%07d', '%s', '%s', '1980-01-01', "
                                 "'female', 1, 1, 1, 1);",
                                 i + 1, first[i], last[i]);
    snprintf(text + used, sizeof(text) - used, "COMMIT;");
    harness_sql(h, text);
}

/* What setup made. */
typedef struct {
    uint64_t lee, exam1, visit;
} clinic_t;

/* As `sched` (a scheduler): the clinic open every day, Dr. Lee (linked to drlee) 06:00-22:00
 * every day, room Exam 1, a 30-minute Visit that needs a room. */
static void setup_clinic(cl_sync_t *sched, clinic_t *c)
{
    for (uint32_t d = 0; d < 7; d++) {
        Clinic__ClinicHoursSetRequest m = CLINIC__CLINIC_HOURS_SET_REQUEST__INIT;
        m.weekday = d;
        m.open = 1;
        m.close_minute = 1440;
        harness_send_ok(sched, CLINIC__REQUEST__BODY_CLINIC_HOURS_SET, &m);
    }
    Clinic__ProviderAddRequest p = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    p.name = "Dr. Lee";
    p.username = "drlee";
    c->lee =
        harness_send_ok(sched, CLINIC__REQUEST__BODY_PROVIDER_ADD, &p)->provider_add->provider->id;

    Clinic__ProviderHours hours[7], *ptrs[7];
    for (uint32_t d = 0; d < 7; d++) {
        clinic__provider_hours__init(&hours[d]);
        hours[d].weekday = d;
        hours[d].start_minute = 6 * 60;
        hours[d].end_minute = 22 * 60;
        ptrs[d] = &hours[d];
    }
    Clinic__ProviderHoursSetRequest ph = CLINIC__PROVIDER_HOURS_SET_REQUEST__INIT;
    ph.provider_id = c->lee;
    ph.version = 1;
    ph.hours = ptrs;
    ph.n_hours = 7;
    harness_send_ok(sched, CLINIC__REQUEST__BODY_PROVIDER_HOURS_SET, &ph);

    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = "Exam 1";
    c->exam1 = harness_send_ok(sched, CLINIC__REQUEST__BODY_ROOM_ADD, &r)->room_add->room->id;

    Clinic__AppointmentTypeAddRequest t = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
    t.name = "Visit";
    t.default_minutes = 30;
    t.needs_room = 1;
    c->visit = harness_send_ok(sched, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, &t)
                   ->appointment_type_add->type->id;
}

static Clinic__AppointmentBookRequest booking(const clinic_t *c, uint64_t patient, const char *date,
                                              uint32_t minute)
{
    Clinic__AppointmentBookRequest m = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    m.patient_id = patient;
    m.provider_id = c->lee;
    m.type_id = c->visit;
    m.room_id = c->exam1;
    m.date = (char *)date;
    m.start_minute = minute;
    m.reason = "follow-up";
    return m;
}

static int book(cl_sync_t *s, Clinic__AppointmentBookRequest *m, const Clinic__Response **resp)
{
    return harness_send(s, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, m, resp);
}

/* The active appointments of `date`; the reply lives until the next call on `s`. */
static const Clinic__AppointmentListReply *day(cl_sync_t *s, const char *date)
{
    Clinic__AppointmentListRequest l = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    l.from_date = (char *)date;
    return harness_send_ok(s, CLINIC__REQUEST__BODY_APPOINTMENT_LIST, &l)->appointment_list;
}

CL_TEST(setup_book_and_a_subscriber_sees_it_live)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "drlee", "clinician");
    add_patients(&h, 2);
    cl_sync_t *sched = harness_login(&h, "sched");
    cl_sync_t *desk = harness_login(&h, "desk");
    cl_sync_t *doc = harness_login(&h, "drlee");
    clinic_t c;
    setup_clinic(sched, &c);

    ASSERT_OK(harness_subscribe(doc, "schedule"));

    char date[11];
    harness_date_ahead(7, date);
    Clinic__AppointmentBookRequest m = booking(&c, 1, date, 9 * 60);
    const Clinic__Response *resp;
    ASSERT_OK(book(desk, &m, &resp));
    const Clinic__Appointment *a = resp->appointment_book->appointment;
    uint64_t id = a->id;
    ASSERT_STR_EQ(a->patient_name, "Ann Archer");
    ASSERT_STR_EQ(a->date, date);
    ASSERT_EQ(a->start_minute, 9 * 60);

    const Clinic__Event *ev = harness_next_event(doc, 2000);
    ASSERT_STR_EQ(ev->topic, "schedule");
    ASSERT_STR_EQ(ev->entity, "appointment");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);

    /* The same slot again: CONFLICT naming the appointment, in the message and the list. */
    m = booking(&c, 2, date, 9 * 60 + 15);
    ASSERT_EQ(book(desk, &m, &resp), CL_ECONFLICT);
    ASSERT_STR_CONTAINS(resp->status->message, "Dr. Lee has appointment");
    ASSERT_EQ(resp->appointment_book->n_conflicts, 2); /* the provider and the room */
    ASSERT_EQ(resp->appointment_book->conflicts[0]->id, id);

    const Clinic__AppointmentListReply *list = day(doc, date);
    ASSERT_EQ(list->n_appointments, 1);
    ASSERT_EQ(list->appointments[0]->id, id);
    cl_sync_close(sched);
    cl_sync_close(desk);
    cl_sync_close(doc);
    harness_stop(&h);
}

/* ---- the race ------------------------------------------------------------------------------ */

enum { RACERS = 8 };

typedef struct race_s race_t;
typedef struct {
    race_t *race;
    int index;
    cl_client_t *client;
    Clinic__AppointmentBookRequest book;
} racer_t;

struct race_s {
    racer_t racers[RACERS];
    int ready, replies, ok, conflict, other, closed;
    uint64_t winner;
};

static void on_booked(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    racer_t *r = arg;
    race_t *race = r->race;
    if (status == 0) {
        race->ok++;
        race->winner = resp->appointment_book->appointment->id;
    } else if (status == CL_ECONFLICT) {
        race->conflict++;
    } else {
        race->other++;
    }
    if (++race->replies == RACERS)
        for (int i = 0; i < RACERS; i++)
            cl_client_close(race->racers[i].client);
}

static void on_racer_login(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    (void)resp;
    racer_t *r = arg;
    race_t *race = r->race;
    ASSERT_OK(status);
    /* Everyone fires together once the last one is logged in. */
    if (++race->ready < RACERS)
        return;
    for (int i = 0; i < RACERS; i++) {
        Clinic__Request req;
        ASSERT_OK(
            cl_request_make(&req, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &race->racers[i].book));
        ASSERT_OK(cl_client_call(race->racers[i].client, &req, on_booked, &race->racers[i]));
    }
}

static void on_racer_state(cl_client_t *c, int status, const char *reason,
                           const Clinic__HelloReply *hello, void *arg)
{
    (void)hello;
    racer_t *r = arg;
    if (status != 0) {
        if (r->race->replies < RACERS && r->race->ready < RACERS)
            CL_FAIL("racer %d: %s", r->index, reason);
        r->race->closed++;
        return;
    }
    harness_async_login(c, "desk", on_racer_login, r);
}

CL_TEST(eight_workstations_race_for_one_slot_exactly_one_wins)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "drlee", "clinician");
    add_patients(&h, RACERS);
    cl_sync_t *sched = harness_login(&h, "sched");
    clinic_t c;
    setup_clinic(sched, &c);
    char date[11];
    harness_date_ahead(3, date);

    for (int round = 0; round < 3; round++) {
        uv_loop_t loop;
        ASSERT_OK(uv_loop_init(&loop));
        cl_client_config_t cfg = harness_config(&h, 1);
        race_t race;
        memset(&race, 0, sizeof(race));
        for (int i = 0; i < RACERS; i++) {
            racer_t *r = &race.racers[i];
            r->race = &race;
            r->index = i;
            /* Different patients, one provider, one room, one time. */
            r->book = booking(&c, (uint64_t)i + 1, date, (uint32_t)(8 * 60 + round * 60));
            r->client = cl_client_connect(&loop, &cfg, on_racer_state, r);
            ASSERT_NOT_NULL(r->client);
        }
        ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
        ASSERT_OK(uv_loop_close(&loop));
        ASSERT_EQ(race.replies, RACERS);
        ASSERT_EQ(race.ok, 1);
        ASSERT_EQ(race.conflict, RACERS - 1);
        ASSERT_EQ(race.other, 0);
        ASSERT_EQ(race.closed, RACERS);
    }
    /* Reading the day back: one appointment per slot raced for, no double booking. */
    const Clinic__AppointmentListReply *list = day(sched, date);
    ASSERT_EQ(list->n_appointments, 3);
    for (size_t i = 1; i < list->n_appointments; i++)
        ASSERT_GE(list->appointments[i]->starts_at, list->appointments[i - 1]->ends_at);
    cl_sync_close(sched);
    harness_stop(&h);
}

CL_TEST(who_may_book_set_up_read_and_override)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "drlee", "clinician");
    harness_add_user(&h, "bill", "biller");
    harness_add_user(&h, "sam", "staff");
    harness_add_user(&h, "boss", "manager,scheduler");
    add_patients(&h, 3);
    cl_sync_t *sched = harness_login(&h, "sched");
    clinic_t c;
    setup_clinic(sched, &c);
    char date[11];
    harness_date_ahead(5, date);
    const Clinic__Response *resp;

    /* Staff and billers cannot book; a clinician can read the schedule but not book. */
    const char *no_booking[] = {"sam", "bill", "drlee"};
    for (size_t i = 0; i < 3; i++) {
        cl_sync_t *s = harness_login(&h, no_booking[i]);
        Clinic__AppointmentBookRequest m = booking(&c, 1, date, 10 * 60);
        ASSERT_EQ(book(s, &m, &resp), CL_EPERM);
        ASSERT_STR_CONTAINS(resp->status->message, "schedule_write");
        cl_sync_close(s);
    }
    cl_sync_t *doc = harness_login(&h, "drlee");
    ASSERT_EQ(day(doc, date)->n_appointments, 0);
    cl_sync_t *sam = harness_login(&h, "sam");
    Clinic__AppointmentListRequest l = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
    l.from_date = date;
    ASSERT_EQ(harness_send(sam, CLINIC__REQUEST__BODY_APPOINTMENT_LIST, &l, &resp), CL_EPERM);
    cl_sync_close(sam);

    /* The front desk books but does not set up, and may not override. */
    cl_sync_t *desk = harness_login(&h, "desk");
    Clinic__AppointmentBookRequest m = booking(&c, 1, date, 10 * 60);
    ASSERT_OK(book(desk, &m, &resp));
    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = "Exam 9";
    ASSERT_EQ(harness_send(desk, CLINIC__REQUEST__BODY_ROOM_ADD, &r, &resp), CL_EPERM);
    m = booking(&c, 2, date, 10 * 60);
    m.override = 1;
    ASSERT_EQ(book(desk, &m, &resp), CL_EPERM);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "override");

    /* A manager who schedules may overbook, on purpose. */
    cl_sync_t *boss = harness_login(&h, "boss");
    ASSERT_OK(book(boss, &m, &resp));
    ASSERT(resp->appointment_book->appointment->overbooked);
    ASSERT_EQ(day(doc, date)->n_appointments, 2);

    /* The waitlist topic is for those who book. */
    ASSERT_EQ(harness_subscribe(doc, "waitlist"), CL_EPERM);
    ASSERT_OK(harness_subscribe(desk, "waitlist"));
    cl_sync_close(doc);
    cl_sync_close(desk);
    cl_sync_close(boss);
    cl_sync_close(sched);
    harness_stop(&h);
}

/* ---- the command line ------------------------------------------------------------------------ */

CL_TEST(schedule_from_the_command_line)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "drlee", "clinician");
    add_patients(&h, 3);
    char out[16384], date[11], later[11];
    harness_date_ahead(6, date);
    harness_date_ahead(20, later);
    harness_clinic_login(&h, "sched");

    HARNESS_CLINIC_OK(&h, out, "provider", "add", "Dr.", "Lee", "--specialty", "Family medicine",
                      "--user", "drlee");
    ASSERT_STR_CONTAINS(out, "added provider 1: Dr. Lee (drlee)");
    HARNESS_CLINIC_OK(&h, out, "hours", "set", "sun-sat", "07:00", "19:00");
    HARNESS_CLINIC_OK(&h, out, "hours", "list");
    ASSERT_STR_CONTAINS(out, "Sun 07:00-19:00");
    HARNESS_CLINIC_OK(&h, out, "provider", "hours", "Dr. Lee", "sun-sat",
                      "08:00-12:00,13:00-17:00");
    ASSERT_STR_CONTAINS(out, "Mon 08:00-12:00 13:00-17:00");
    HARNESS_CLINIC_OK(&h, out, "provider", "hours", "1");
    ASSERT_STR_CONTAINS(out, "Wed 08:00-12:00 13:00-17:00");
    HARNESS_CLINIC_OK(&h, out, "room", "add", "Exam", "1");
    HARNESS_CLINIC_OK(&h, out, "apptype", "add", "Visit", "--minutes", "30", "--color", "#22aa44");
    HARNESS_CLINIC_OK(&h, out, "--json", "apptype", "list");
    ASSERT_STR_CONTAINS(out, "\"color\":\"#22aa44\"");
    HARNESS_CLINIC_OK(&h, out, "--json", "provider", "list");
    ASSERT_STR_CONTAINS(out, "\"username\":\"drlee\"");

    HARNESS_CLINIC_OK(&h, out, "--json", "appt", "book", "--patient", "1", "--provider", "Dr. Lee",
                      "--type", "Visit", "--date", date, "--time", "09:00", "--room", "Exam 1",
                      "--reason", "cough");
    ASSERT_STR_CONTAINS(out, "\"id\":1,");
    ASSERT_STR_CONTAINS(out, "\"time\":\"09:00\"");
    ASSERT_STR_CONTAINS(out, "\"state\":\"scheduled\"");
    /* The same slot: exit 6, the collision named; with --json the list on stdout too. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "book", "--patient", "2", "--provider", "1", "--type",
                             "Visit", "--date", date, "--time", "09:15"),
              6);
    ASSERT_STR_CONTAINS(out, "Dr. Lee has appointment 1");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "--json", "appt", "book", "--patient", "2", "--provider", "1",
                             "--type", "Visit", "--date", date, "--time", "09:15", "--room",
                             "Exam 1"),
              6);
    ASSERT_STR_CONTAINS(out, "\"refused\":true");
    ASSERT_STR_CONTAINS(out, "\"kind\":\"room\"");
    /* The override needs the overbook permission: exit 4. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "book", "--patient", "2", "--provider", "1", "--type",
                             "Visit", "--date", date, "--time", "09:15", "--override"),
              4);
    /* A bad date names its field: exit 7. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "list", "--date", "2024-13-01"), 7);
    ASSERT_STR_CONTAINS(out, "from_date");

    HARNESS_CLINIC_OK(&h, out, "appt", "slots", "--type", "Visit", "--provider", "Dr. Lee",
                      "--from", date, "--to", date, "--limit", "2");
    ASSERT_STR_CONTAINS(out, "08:00-08:30  Dr. Lee in Exam 1");
    ASSERT_STR_CONTAINS(out, "08:30-09:00");
    HARNESS_CLINIC_OK(&h, out, "appt", "move", "1", "--time", "10:00");
    ASSERT_STR_CONTAINS(out, "moved appointment 1:");
    ASSERT_STR_CONTAINS(out, "10:00-10:30 Ann Archer");

    HARNESS_CLINIC_OK(&h, out, "waitlist", "add", "--patient", "2", "--type", "Visit", "--to",
                      later, "--note", "any morning");
    ASSERT_STR_CONTAINS(out, "added waitlist entry 1");
    HARNESS_CLINIC_OK(&h, out, "appt", "cancel", "1", "--reason", "patient called");
    ASSERT_STR_CONTAINS(out, "cancelled appointment 1");
    ASSERT_STR_CONTAINS(out, "offered to waitlist entry 1: Bob Baker");
    HARNESS_CLINIC_OK(&h, out, "--json", "waitlist", "list");
    ASSERT_STR_CONTAINS(out, "\"state\":\"offered\"");
    ASSERT_STR_CONTAINS(out, "\"offered_time\":\"10:00\"");
    HARNESS_CLINIC_OK(&h, out, "appt", "book", "--patient", "2", "--provider", "Dr. Lee", "--type",
                      "Visit", "--date", date, "--time", "10:00", "--waitlist", "1");
    HARNESS_CLINIC_OK(&h, out, "waitlist", "list", "--patient", "2", "--all");
    ASSERT_STR_CONTAINS(out, "[booked");

    HARNESS_CLINIC_OK(&h, out, "block", "add", "--provider", "Dr. Lee", "--date", date, "--start",
                      "11:00", "--end", "12:00", "--reason", "staff meeting");
    ASSERT_STR_CONTAINS(out, "added block 1");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "book", "--patient", "3", "--provider", "Dr. Lee",
                             "--type", "Visit", "--date", date, "--time", "11:15"),
              6);
    ASSERT_STR_CONTAINS(out, "is blocked 11:00-12:00: staff meeting");
    HARNESS_CLINIC_OK(&h, out, "block", "cancel", "1");
    /* --patient takes the record number the board shows as well as the id. Bad input: a name
     * is a usage error (exit 1) before anything is sent; an unknown record number is NOT_FOUND
     * (exit 5), and nothing is booked. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "series", "--patient", "cole", "--provider",
                             "Dr. Lee", "--type", "Visit", "--date", date, "--time", "11:15",
                             "--rule", "weekly:1", "--count", "3"),
              1);
    ASSERT_STR_CONTAINS(out, "--patient: expected a patient id or a record number");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "appt", "series", "--patient", "P0000099", "--provider",
                             "Dr. Lee", "--type", "Visit", "--date", date, "--time", "11:15",
                             "--rule", "weekly:1", "--count", "3"),
              5);
    ASSERT_STR_CONTAINS(out, "P0000099");
    HARNESS_CLINIC_OK(&h, out, "appt", "series", "--patient", "P0000003", "--provider", "Dr. Lee",
                      "--type", "Visit", "--date", date, "--time", "11:15", "--rule", "weekly:1",
                      "--count", "3");
    ASSERT_STR_CONTAINS(out, "series 1: 3 booked, 0 skipped");

    HARNESS_CLINIC_OK(&h, out, "appt", "list", "--date", date, "--all");
    ASSERT_STR_CONTAINS(out, "Ann Archer");
    ASSERT_STR_CONTAINS(out, "[cancelled]");
    ASSERT_STR_CONTAINS(out, "Cat Cole");
    HARNESS_CLINIC_OK(&h, out, "--json", "appt", "list", "--patient", "p3");
    ASSERT_STR_CONTAINS(out, "\"series_id\":1");
    ASSERT_STR_CONTAINS(out, "\"patient_id\":3");
    ASSERT(strstr(out, "\"patient_id\":2") == NULL);
    HARNESS_CLINIC_OK(&h, out, "appt", "show", "2");
    ASSERT_STR_CONTAINS(out, "Patient:  Bob Baker");
    HARNESS_CLINIC_OK(&h, out, "holiday", "add", later, "Founders", "Day");
    HARNESS_CLINIC_OK(&h, out, "holiday", "list");
    ASSERT_STR_CONTAINS(out, "Founders Day");
    harness_stop(&h);
}

/* Sleeps, then SIGKILLs the daemon: a power cut in the middle of the front desk's morning. */
typedef struct {
    pid_t pid;
    int delay_ms;
} killer_t;

static void *killer_main(void *arg)
{
    killer_t *k = arg;
    usleep((useconds_t)k->delay_ms * 1000);
    kill(k->pid, SIGKILL);
    return NULL;
}

CL_TEST(sigkill_while_booking_keeps_every_acknowledged_booking)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "drlee", "clinician");
    add_patients(&h, 10);
    cl_sync_t *sched = harness_login(&h, "sched");
    clinic_t c;
    setup_clinic(sched, &c);

    /* 40 days of 32 half-hour slots: more than can be booked before the kill, which comes
     * within 0.4 s (at about 1 ms a booking on a quiet machine, 8 days were not enough). */
    enum { DAYS = 40, SLOTS = 32 };
    char dates[DAYS][11];
    for (int d = 0; d < DAYS; d++)
        harness_date_ahead(3 + d, dates[d]);
    static uint64_t acked[DAYS * SLOTS];
    size_t nacked = 0;
    srand((unsigned)time(NULL));
    killer_t k = {h.pid, 100 + rand() % 300};
    fprintf(stderr, "killing clinicd after %d ms\n", k.delay_ms);
    pthread_t killer;
    ASSERT_OK(pthread_create(&killer, NULL, killer_main, &k));
    int rc = 0;
    for (int d = 0; d < DAYS && rc == 0; d++) {
        for (uint32_t s = 0; s < SLOTS; s++) {
            Clinic__AppointmentBookRequest m =
                booking(&c, (uint64_t)(s % 10) + 1, dates[d], 6 * 60 + s * 30);
            const Clinic__Response *resp;
            rc = book(sched, &m, &resp);
            if (rc != 0)
                break;
            acked[nacked++] = resp->appointment_book->appointment->id;
        }
    }
    ASSERT_OK(pthread_join(killer, NULL));
    int status;
    ASSERT_EQ(waitpid(h.pid, &status, 0), h.pid);
    ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    h.pid = 0;
    ASSERT_NE(rc, 0); /* the kill came while booking */
    ASSERT_NE(rc, CL_ECONFLICT);
    cl_sync_close(sched);
    fprintf(stderr, "%zu bookings acknowledged before the kill\n", nacked);

    harness_serve(&h);
    sched = harness_login(&h, "sched");
    size_t found = 0, total = 0;
    for (int d = 0; d < DAYS; d++) {
        const Clinic__AppointmentListReply *list = day(sched, dates[d]);
        int64_t prev_end = 0;
        for (size_t i = 0; i < list->n_appointments; i++) {
            const Clinic__Appointment *a = list->appointments[i];
            /* No double booking: the provider's active appointments do not overlap. */
            ASSERT_GE(a->starts_at, prev_end);
            prev_end = a->ends_at;
            total++;
            for (size_t j = 0; j < nacked; j++)
                found += acked[j] == a->id;
        }
    }
    /* Every acknowledged booking is there once; at most the one in flight was committed too. */
    ASSERT_EQ(found, nacked);
    ASSERT_GE(total, nacked);
    ASSERT_LE(total, nacked + 1);
    cl_sync_close(sched);
    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

/* Sends one request on a raw connection and returns its reply (freed by the caller). */
static Clinic__Envelope *raw_call(harness_raw_t *r, uint64_t id, const Clinic__Request *req)
{
    ASSERT_OK(harness_raw_request(r, id, req));
    int closed;
    Clinic__Envelope *env = harness_raw_recv(r, 5000, &closed);
    ASSERT_NOT_NULL(env);
    ASSERT_EQ(env->id, id);
    return env;
}

CL_TEST(client_gone_mid_booking_leaves_it_whole_or_absent_and_the_feed_tells)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "sched", "scheduler");
    harness_add_user(&h, "drlee", "clinician");
    add_patients(&h, 10);
    cl_sync_t *sched = harness_login(&h, "sched");
    clinic_t c;
    setup_clinic(sched, &c);
    char date[11];
    harness_date_ahead(2, date);

    /* Where the schedule's feed stands before. */
    char *topics[] = {"schedule"};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(sched, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp));
    uint64_t before = resp->subscribe->current_seq;
    char feed[64];
    snprintf(feed, sizeof(feed), "%s", resp->subscribe->feed_id);
    cl_sync_close(sched);

    /* A workstation sends bookings and goes away without reading the replies. */
    enum { SENT = 20 };
    harness_raw_t r;
    char err[256];
    ASSERT_OK(harness_raw_open(&h, &r, 1, err, sizeof(err)));
    Clinic__HelloRequest hello = CLINIC__HELLO_REQUEST__INIT;
    hello.protocol_version = 1;
    Clinic__Request req;
    ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_HELLO, &hello));
    clinic__envelope__free_unpacked(raw_call(&r, 1, &req), NULL);
    Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
    login.username = "sched";
    login.password = TEST_PASSWORD;
    ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_LOGIN, &login));
    Clinic__Envelope *env = raw_call(&r, 2, &req);
    ASSERT_EQ(env->response->status->code, CLINIC__CODE__OK);
    clinic__envelope__free_unpacked(env, NULL);
    for (uint32_t i = 0; i < SENT; i++) {
        Clinic__AppointmentBookRequest m =
            booking(&c, (uint64_t)(i % 10) + 1, date, 6 * 60 + i * 30);
        ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &m));
        ASSERT_OK(harness_raw_request(&r, 10 + i, &req));
    }
    harness_raw_close(&r); /* gone mid-request */
    usleep(500 * 1000);

    /* On reconnect: each booking is either made whole and in the feed, or not made at all. */
    sched = harness_login(&h, "sched");
    sub.since_seq = before;
    sub.replay = 1;
    sub.feed_id = feed;
    ASSERT_OK(harness_send(sched, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp));
    ASSERT(!resp->subscribe->resync);
    size_t created = 0;
    static uint64_t ids[SENT];
    for (size_t i = 0; i < resp->subscribe->n_missed; i++) {
        const Clinic__Event *ev = resp->subscribe->missed[i];
        if (strcmp(ev->entity, "appointment") == 0 && ev->op == CLINIC__CHANGE_OP__CREATED) {
            ASSERT_LT(created, SENT);
            ids[created++] = ev->entity_id;
        }
    }
    const Clinic__AppointmentListReply *list = day(sched, date);
    ASSERT_EQ(list->n_appointments, created);
    for (size_t i = 0; i < list->n_appointments; i++) {
        int seen = 0;
        for (size_t j = 0; j < created; j++)
            seen += ids[j] == list->appointments[i]->id;
        ASSERT_EQ(seen, 1);
    }
    fprintf(stderr, "%zu of %d bookings were made after the client left\n", created, SENT);
    cl_sync_close(sched);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(client_gone_mid_booking_leaves_it_whole_or_absent_and_the_feed_tells),
             CL_TEST_ENTRY(sigkill_while_booking_keeps_every_acknowledged_booking),
             CL_TEST_ENTRY(setup_book_and_a_subscriber_sees_it_live),
             CL_TEST_ENTRY(eight_workstations_race_for_one_slot_exactly_one_wins),
             CL_TEST_ENTRY(who_may_book_set_up_read_and_override),
             CL_TEST_ENTRY(schedule_from_the_command_line))
