/* clinic-seed: fills an empty clinic with a demo practice through the ordinary requests (so every
 * validation and audit applies): clinic hours, rooms, appointment types, three providers, 500
 * patients from a fixed random seed, and today's schedule with its earlier patients moved along
 * the flow. scripts/demo.sh runs it once; on a clinic that has providers it does nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clinic_client.h"
#include "mem.h"
#include "seed.h"
#include "status.h"

enum { PATIENTS = 500, APPOINTMENTS = 40, N_PROVIDERS = 3, N_ROOMS = 5 };
enum { OPEN = 8 * 60, CLOSE = 18 * 60, AM_END = 12 * 60, PM_START = 13 * 60, PM_END = 17 * 60 };

cl_sync_t *conn;

void seed_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("clinic-seed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cl_sync_close(conn);
    exit(1);
}

/* Sends a request of kind `kind`; returns the reply of that kind, or NULL with *status set when
 * `allow_fail` and the server refused; else dies. */
const Clinic__Response *seed_send(Clinic__Request__BodyCase kind, const void *body, int allow_fail,
                                  int *status)
{
    Clinic__Request req;
    if (cl_request_make(&req, kind, body) != 0)
        seed_die("no request of kind %d", (int)kind);
    const Clinic__Response *resp = NULL;
    char err[256] = "";
    int rc = cl_sync_call(conn, &req, &resp, err, sizeof(err));
    if (status)
        *status = rc;
    if (rc == 0 && resp->result_case != (Clinic__Response__ResultCase)kind)
        seed_die("request %d: a reply of kind %d", (int)kind, (int)resp->result_case);
    if (rc == 0)
        return resp;
    if (allow_fail && resp)
        return NULL;
    seed_die("request %d failed: %s: %s", (int)kind, cl_status_name(rc),
             resp && resp->status ? resp->status->message : err);
    return NULL;
}

/* --- a fixed pseudo-random sequence (xorshift64*) ----------------------------------------- */

static uint64_t rng_state = 0x5eed0c11cd2024ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

#define PICK(a) ((a)[rnd(CL_ARRAY_SIZE(a))])

/* --- the patients' names and details --------------------------------------------------------- */

static const char *const female[] = {
    "Mary",    "Patricia", "Jennifer", "Linda",  "Elizabeth", "Barbara", "Susan",    "Jessica",
    "Sarah",   "Karen",    "Lisa",     "Nancy",  "Betty",     "Sandra",  "Margaret", "Ashley",
    "Emily",   "Donna",    "Michelle", "Carol",  "Amanda",    "Melissa", "Deborah",  "Laura",
    "Rebecca", "Sharon",   "Cynthia",  "Amy",    "Angela",    "Anna",    "Emma",     "Olivia",
    "Sophia",  "Isabella", "Mia",      "Harper", "Evelyn",    "Grace",   "Hannah",   "Maya",
    "Aaliyah", "Priya",    "Mei",      "Fatima", "Keiko",     "Lucia",   "Nadia",    "Rosa"};
static const char *const male[] = {
    "James",   "Robert",  "John",   "Michael", "David",    "William", "Richard", "Joseph",
    "Thomas",  "Charles", "Daniel", "Matthew", "Anthony",  "Mark",    "Donald",  "Steven",
    "Paul",    "Andrew",  "Joshua", "Kenneth", "Kevin",    "Brian",   "George",  "Timothy",
    "Jason",   "Ryan",    "Jacob",  "Gary",    "Nicholas", "Eric",    "Liam",    "Noah",
    "Ethan",   "Lucas",   "Mason",  "Logan",   "Carlos",   "Luis",    "Ahmed",   "Wei",
    "Hiroshi", "Raj",     "Omar",   "Dmitri",  "Kwame",    "Mateo",   "Samuel",  "Henry"};
static const char *const last[] = {
    "Smith",     "Johnson",   "Williams", "Brown",     "Jones",    "Garcia",   "Miller",
    "Davis",     "Rodriguez", "Martinez", "Hernandez", "Lopez",    "Gonzalez", "Wilson",
    "Anderson",  "Thomas",    "Taylor",   "Moore",     "Jackson",  "Martin",   "Lee",
    "Perez",     "Thompson",  "White",    "Harris",    "Sanchez",  "Clark",    "Ramirez",
    "Lewis",     "Robinson",  "Walker",   "Young",     "Allen",    "King",     "Wright",
    "Scott",     "Torres",    "Nguyen",   "Hill",      "Flores",   "Green",    "Adams",
    "Nelson",    "Baker",     "Hall",     "Rivera",    "Campbell", "Mitchell", "Carter",
    "Roberts",   "Patel",     "Kim",      "Chen",      "Wang",     "O'Brien",  "Murphy",
    "Sullivan",  "Kowalski",  "Schmidt",  "Okafor",    "Cohen",    "Smithson", "Smythe",
    "Fitzgerald"};
/* About 3% of the patients: accented names, which search folds ("jose" finds José). */
static const char *const accented_female[] = {"Zoë",    "Renée", "Chloé",  "Inés",
                                              "Noémie", "Anaïs", "Mónica", "Noëlle"};
static const char *const accented_male[] = {"José",  "André", "François", "Jesús",
                                            "Björn", "Rubén", "Łukasz",   "Çağan"};
static const char *const accented_last[] = {"Núñez",   "Peña",    "Müller",     "Gómez",
                                            "Sánchez", "Lefèvre", "Østergaard", "Dvořák"};
static const char *const streets[] = {"Maple Street",      "Oak Avenue",      "Elm Street",
                                      "Main Street",       "Cedar Lane",      "Pine Road",
                                      "Washington Street", "Highland Avenue", "School Street"};
static const struct {
    const char *city, *zip;
} towns[] = {{"Springfield", "01103"}, {"Chicopee", "01013"},   {"Holyoke", "01040"},
             {"Westfield", "01085"},   {"Agawam", "01001"},     {"Ludlow", "01056"},
             {"Longmeadow", "01106"},  {"Northampton", "01060"}};
static const char *const payers[] = {
    "Blue Cross Blue Shield", "Aetna",    "UnitedHealthcare", "Cigna", "Harvard Pilgrim",
    "Tufts Health Plan",      "Medicare", "MassHealth"};

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* A valid US number: area code and exchange start with 2-9. */
static void make_phone(char *out, size_t len)
{
    snprintf(out, len, "%u%02u%u%02u%04u", 2 + rnd(8), rnd(100), 2 + rnd(8), rnd(100), rnd(10000));
}

typedef struct {
    char first[48], last[48], birth[32], phone[16], home[16], email[96], member[24], group[16];
    char line1[64], subscriber[100];
    const char *sex, *city, *zip, *payer;
    int birth_year, insured, with_address, with_email, accented;
} person_t;

static void make_person(person_t *p)
{
    memset(p, 0, sizeof(*p));
    int woman = (int)rnd(2), accented = rnd(100) < 3;
    p->accented = accented;
    p->sex = rnd(200) == 0 ? "unknown" : woman ? "female" : "male";
    snprintf(p->first, sizeof(p->first), "%s",
             accented ? (woman ? PICK(accented_female) : PICK(accented_male))
                      : (woman ? PICK(female) : PICK(male)));
    snprintf(p->last, sizeof(p->last), "%s", accented && rnd(2) ? PICK(accented_last) : PICK(last));
    int y = 1935 + (int)rnd(2023 - 1935 + 1), m = 1 + (int)rnd(12);
    p->birth_year = y;
    snprintf(p->birth, sizeof(p->birth), "%04d-%02d-%02d", y, m,
             1 + (int)rnd((uint32_t)days_in_month(y, m)));
    make_phone(p->phone, sizeof(p->phone));
    if (rnd(4) == 0)
        make_phone(p->home, sizeof(p->home));
    p->with_email = !accented && rnd(10) < 6;
    if (p->with_email) {
        char user[64];
        size_t k = 0;
        for (const char *s = p->first; *s && k < 20; s++)
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                user[k++] = (char)(*s | 0x20);
        user[k++] = '.';
        for (const char *s = p->last; *s && k < 44; s++)
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
                user[k++] = (char)(*s | 0x20);
        user[k] = '\0';
        snprintf(p->email, sizeof(p->email), "%s%u@example.com", user, rnd(100));
    }
    p->with_address = rnd(10) < 8;
    if (p->with_address) {
        size_t t = rnd(CL_ARRAY_SIZE(towns));
        snprintf(p->line1, sizeof(p->line1), "%u %s", 1 + rnd(400), PICK(streets));
        p->city = towns[t].city;
        p->zip = towns[t].zip;
    }
    p->insured = rnd(10) < 7;
    if (p->insured) {
        p->payer = 2023 - y >= 65 && rnd(3) ? "Medicare" : PICK(payers);
        snprintf(p->member, sizeof(p->member), "%c%c%c%09u", 'A' + rnd(26), 'A' + rnd(26),
                 'A' + rnd(26), rnd(1000000000));
        snprintf(p->group, sizeof(p->group), "G%05u", rnd(100000));
        if (y >= 2006) /* a minor: insured through a parent */
            snprintf(p->subscriber, sizeof(p->subscriber), "%s %s",
                     rnd(2) ? PICK(female) : PICK(male), p->last);
    }
}

/* Registers one person; returns the new id, or 0 when the server saw likely duplicates. */
static uint64_t register_person(const person_t *pp)
{
    Clinic__Patient p = CLINIC__PATIENT__INIT;
    Clinic__PatientAddress addr = CLINIC__PATIENT_ADDRESS__INIT;
    Clinic__EmergencyContact em = CLINIC__EMERGENCY_CONTACT__INIT;
    Clinic__Insurance ins = CLINIC__INSURANCE__INIT;
    Clinic__Insurance *plans[1] = {&ins};
    p.first_name = (char *)pp->first;
    p.last_name = (char *)pp->last;
    p.birth_date = (char *)pp->birth;
    p.sex = (char *)pp->sex;
    p.phone_mobile = (char *)pp->phone;
    p.phone_home = (char *)pp->home;
    p.email = (char *)pp->email;
    if (pp->with_address) {
        addr.line1 = (char *)pp->line1;
        addr.city = (char *)pp->city;
        addr.state = "MA";
        addr.postal_code = (char *)pp->zip;
    }
    p.address = &addr;
    p.emergency = &em;
    if (pp->insured) {
        ins.payer = (char *)pp->payer;
        ins.member_id = (char *)pp->member;
        ins.group_number = (char *)pp->group;
        if (pp->subscriber[0]) {
            ins.subscriber_relation = "child";
            ins.subscriber_name = (char *)pp->subscriber;
        } else {
            ins.subscriber_relation = "self";
        }
        p.n_insurance = 1;
        p.insurance = plans;
    }
    Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    r.patient = &p;
    const Clinic__PatientRegisterReply *rep =
        seed_send(CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r, 0, NULL)->patient_register;
    return rep->saved && rep->patient ? rep->patient->id : 0;
}

/* The registered patients, in the order they were drawn. */
typedef struct {
    uint64_t id[PATIENTS];
    unsigned char insured[PATIENTS]; /* whether check-in confirms their insurance */
} patients_t;

/* Registers PATIENTS people drawn from the fixed sequence into `out`, drawing another when the
 * server flags one as a likely duplicate of an earlier one. */
static void seed_patients(patients_t *out)
{
    unsigned accented = 0, retries = 0, with_insurance = 0;
    for (int i = 0; i < PATIENTS; i++) {
        person_t p;
        uint64_t id = 0;
        while (id == 0) {
            make_person(&p);
            id = register_person(&p);
            if (id == 0)
                retries++; /* a likely duplicate of an earlier one: draw another person */
        }
        out->id[i] = id;
        out->insured[i] = (unsigned char)p.insured;
        with_insurance += (unsigned)p.insured;
        accented += (unsigned)p.accented;
    }
    printf("  patients: %d (%u with accented names, %u with insurance; %u drawn again because "
           "the server flagged a likely duplicate)\n",
           PATIENTS, accented, with_insurance, retries);
}

/* --- setup ------------------------------------------------------------------------------------ */

static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

static uint64_t provider_count(void)
{
    Clinic__ProviderListRequest r = CLINIC__PROVIDER_LIST_REQUEST__INIT;
    r.include_inactive = 1;
    return seed_send(CLINIC__REQUEST__BODY_PROVIDER_LIST, &r, 0, NULL)->provider_list->n_providers;
}

/* Opens `weekday` 08:00-18:00 (from the version read now). */
static void open_day(unsigned weekday)
{
    Clinic__ClinicHoursListRequest lr = CLINIC__CLINIC_HOURS_LIST_REQUEST__INIT;
    const Clinic__ClinicHoursListReply *days =
        seed_send(CLINIC__REQUEST__BODY_CLINIC_HOURS_LIST, &lr, 0, NULL)->clinic_hours_list;
    uint64_t version = 0;
    for (size_t i = 0; i < days->n_days; i++)
        if (days->days[i]->weekday == weekday)
            version = days->days[i]->version;
    Clinic__ClinicHoursSetRequest r = CLINIC__CLINIC_HOURS_SET_REQUEST__INIT;
    r.weekday = weekday;
    r.open = 1;
    r.open_minute = OPEN;
    r.close_minute = CLOSE;
    r.version = version;
    seed_send(CLINIC__REQUEST__BODY_CLINIC_HOURS_SET, &r, 0, NULL);
}

static uint64_t add_room(const char *name)
{
    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = (char *)name;
    return seed_send(CLINIC__REQUEST__BODY_ROOM_ADD, &r, 0, NULL)->room_add->room->id;
}

typedef struct {
    const char *name, *color, *reason[3];
    unsigned minutes;
    int needs_room;
    uint64_t id;
} apptype_t;

static apptype_t types[] = {
    {"New patient",
     "#d9534f",
     {"establish care", "new patient visit", "transfer of care"},
     40,
     1,
     0},
    {"Follow-up",
     "#4a90d9",
     {"blood pressure check", "diabetes follow-up", "medication review"},
     20,
     1,
     0},
    {"Physical",
     "#5cb85c",
     {"annual physical", "school physical", "pre-employment physical"},
     30,
     1,
     0},
    {"Sick visit", "#f0ad4e", {"sore throat", "cough and fever", "ear pain"}, 20, 1, 0},
    {"Vaccination", "#9b59b6", {"flu shot", "tetanus booster", "COVID-19 booster"}, 10, 0, 0},
};

/* Adds the appointment types of `types`, setting their ids. */
static void seed_appointment_types(void)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(types); i++) {
        Clinic__AppointmentTypeAddRequest r = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
        r.name = (char *)types[i].name;
        r.default_minutes = types[i].minutes;
        r.color = (char *)types[i].color;
        r.needs_room = types[i].needs_room;
        types[i].id = seed_send(CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, &r, 0, NULL)
                          ->appointment_type_add->type->id;
    }
    printf("  appointment types:");
    for (size_t i = 0; i < CL_ARRAY_SIZE(types); i++)
        printf("%s %s %u min%s", i ? "," : "", types[i].name, types[i].minutes,
               types[i].needs_room ? "" : " (no room)");
    printf("\n");
}

/* Adds a provider linked to `username` when that clinician exists (else unlinked), with the weekly
 * template Mon-Fri (and `extra_day` unless it is -1) 08:00-12:00 and 13:00-17:00. */
static uint64_t add_provider(const char *name, const char *specialty, const char *username,
                             int extra_day)
{
    Clinic__ProviderAddRequest r = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    r.name = (char *)name;
    r.specialty = (char *)specialty;
    r.username = (char *)username;
    const Clinic__Response *resp =
        seed_send(CLINIC__REQUEST__BODY_PROVIDER_ADD, &r, username[0] != '\0', NULL);
    if (resp == NULL) { /* no such clinician here: the provider without a login */
        r.username = "";
        resp = seed_send(CLINIC__REQUEST__BODY_PROVIDER_ADD, &r, 0, NULL);
    }
    printf("  provider: %s, %s (%s%s)\n", name, specialty, r.username[0] ? "login " : "no login",
           r.username);
    uint64_t id = resp->provider_add->provider->id, version = resp->provider_add->provider->version;

    Clinic__ProviderHours hours[2 * 7], *hp[2 * 7];
    size_t n = 0;
    for (unsigned d = 0; d < 7; d++) {
        if (!((d >= 1 && d <= 5) || (int)d == extra_day))
            continue;
        unsigned ranges[2][2] = {{OPEN, AM_END}, {PM_START, PM_END}};
        for (int k = 0; k < 2; k++) {
            clinic__provider_hours__init(&hours[n]);
            hours[n].weekday = d;
            hours[n].start_minute = ranges[k][0];
            hours[n].end_minute = ranges[k][1];
            hp[n] = &hours[n];
            n++;
        }
    }
    Clinic__ProviderHoursSetRequest h = CLINIC__PROVIDER_HOURS_SET_REQUEST__INIT;
    h.provider_id = id;
    h.version = version;
    h.n_hours = n;
    h.hours = hp;
    seed_send(CLINIC__REQUEST__BODY_PROVIDER_HOURS_SET, &h, 0, NULL);
    return id;
}

/* Opens the clinic Monday to Friday 08:00-18:00, and today too when it falls on a weekend, so
 * that the demo has a schedule whatever the day it is seeded on. */
static void seed_clinic_hours(const seed_ctx_t *ctx)
{
    int wd = ctx->weekday, weekend = wd == 0 || wd == 6;
    for (unsigned d = 1; d <= 5; d++)
        open_day(d);
    if (weekend)
        open_day((unsigned)wd);
    printf("  clinic hours: Monday-Friday 08:00-18:00%s%s%s\n", weekend ? "; today is a " : "",
           weekend ? day_names[wd] : "",
           weekend ? ", so the demo also opens on that day, with the providers working it, "
                     "to give today a schedule"
                   : "");
}

/* Adds the five rooms; their ids go to `rooms`. */
static void seed_rooms(uint64_t rooms[N_ROOMS])
{
    static const char *const room_names[N_ROOMS] = {"Exam 1", "Exam 2", "Exam 3", "Exam 4",
                                                    "Procedure"};
    for (int i = 0; i < N_ROOMS; i++)
        rooms[i] = add_room(room_names[i]);
    printf("  rooms: Exam 1-4, Procedure\n");
}

/* Adds the three providers, who also work today when it is a weekend (the clinic then opens);
 * their ids go to `providers`. */
static void seed_providers(const seed_ctx_t *ctx, uint64_t providers[N_PROVIDERS])
{
    int wd = ctx->weekday, weekend = wd == 0 || wd == 6, extra = weekend ? wd : -1;
    providers[0] = add_provider("Dr. Dana Lee", "Family medicine", "drlee", extra);
    providers[1] = add_provider("Nora Nurse, NP", "Nurse practitioner", "nurse", extra);
    providers[2] = add_provider("Dr. Priya Raman", "Pediatrics", "", extra);
    printf("  provider hours: Monday-Friday%s%s 08:00-12:00, 13:00-17:00\n", weekend ? " and " : "",
           weekend ? day_names[wd] : "");
}

/* --- today's schedule and its flow ------------------------------------------------------------ */

typedef struct {
    uint64_t id, version, patient;
    unsigned start, minutes;
    int64_t starts_at;
    const char *reason;
    int insured;
} appt_t;

static int by_start(const void *a, const void *b)
{
    const appt_t *x = a, *y = b;
    return x->start != y->start ? (x->start < y->start ? -1 : 1) : (x->id < y->id ? -1 : 1);
}

/* Sends the flow transition of kind `kind` whose body is `body` for `a` and takes the new version
 * from the reply. */
static void step(appt_t *a, Clinic__Request__BodyCase kind, const void *body)
{
    const Clinic__FlowTransitionReply *rep = NULL;
    const Clinic__Response *resp = seed_send(kind, body, 0, NULL);
    switch (kind) {
    case CLINIC__REQUEST__BODY_FLOW_CHECK_IN:
        rep = resp->flow_check_in;
        break;
    case CLINIC__REQUEST__BODY_FLOW_ROOM:
        rep = resp->flow_room;
        break;
    case CLINIC__REQUEST__BODY_FLOW_VITALS:
        rep = resp->flow_vitals;
        break;
    case CLINIC__REQUEST__BODY_FLOW_READY:
        rep = resp->flow_ready;
        break;
    case CLINIC__REQUEST__BODY_FLOW_START:
        rep = resp->flow_start;
        break;
    default:
        rep = resp->flow_check_out;
        break;
    }
    a->version = rep->appointment->version;
}

/* Sends the flow transition `kind` whose request names nothing but the appointment and its
 * version (ready, start, check-out) for `a`. */
static void plain_step(appt_t *a, Clinic__Request__BodyCase kind)
{
    Clinic__FlowReadyRequest ready = CLINIC__FLOW_READY_REQUEST__INIT;
    Clinic__FlowStartRequest start = CLINIC__FLOW_START_REQUEST__INIT;
    Clinic__FlowCheckOutRequest check_out = CLINIC__FLOW_CHECK_OUT_REQUEST__INIT;
    ready.appointment_id = start.appointment_id = check_out.appointment_id = a->id;
    ready.version = start.version = check_out.version = a->version;
    if (kind == CLINIC__REQUEST__BODY_FLOW_READY)
        step(a, kind, &ready);
    else if (kind == CLINIC__REQUEST__BODY_FLOW_START)
        step(a, kind, &start);
    else
        step(a, kind, &check_out);
}

enum { ST_SCHEDULED, ST_ARRIVED, ST_ROOMED, ST_INTAKE, ST_READY, ST_WITH, ST_OUT };

/* Walks `a` from scheduled to `target`, rooming it in `room`. */
static void walk(appt_t *a, int target, uint64_t room)
{
    if (target >= ST_ARRIVED) {
        Clinic__FlowCheckInRequest r = CLINIC__FLOW_CHECK_IN_REQUEST__INIT;
        r.appointment_id = a->id;
        r.version = a->version;
        r.demographics_confirmed = 1;
        r.insurance_confirmed = a->insured;
        r.copay_cents = a->insured ? 2500 : 0;
        step(a, CLINIC__REQUEST__BODY_FLOW_CHECK_IN, &r);
    }
    if (target >= ST_ROOMED) {
        Clinic__FlowRoomRequest r = CLINIC__FLOW_ROOM_REQUEST__INIT;
        r.appointment_id = a->id;
        r.version = a->version;
        r.room_id = room;
        step(a, CLINIC__REQUEST__BODY_FLOW_ROOM, &r);
    }
    if (target >= ST_INTAKE) {
        static const char *const allergies[] = {"NKDA",       "NKDA",        "NKDA",
                                                "penicillin", "sulfa drugs", "latex"};
        static const char *const meds[] = {"", "", "lisinopril 10 mg daily",
                                           "metformin 500 mg twice daily",
                                           "atorvastatin 20 mg daily"};
        Clinic__Vitals v = CLINIC__VITALS__INIT;
        Clinic__PainScore pain = CLINIC__PAIN_SCORE__INIT;
        v.systolic = 108 + rnd(40);
        v.diastolic = 64 + rnd(28);
        v.pulse = 58 + rnd(40);
        v.respirations = 12 + rnd(8);
        v.temperature_dc = 362 + rnd(14);
        v.spo2 = 95 + rnd(6);
        v.height_mm = 1520 + rnd(380);
        v.weight_g = 52000 + rnd(50000);
        pain.score = rnd(5);
        v.pain = &pain;
        v.allergies = (char *)PICK(allergies);
        v.medications = (char *)PICK(meds);
        v.chief_complaint = (char *)a->reason;
        Clinic__FlowVitalsRequest r = CLINIC__FLOW_VITALS_REQUEST__INIT;
        r.appointment_id = a->id;
        r.version = a->version;
        r.vitals = &v;
        step(a, CLINIC__REQUEST__BODY_FLOW_VITALS, &r);
    }
    if (target >= ST_READY)
        plain_step(a, CLINIC__REQUEST__BODY_FLOW_READY);
    if (target >= ST_WITH)
        plain_step(a, CLINIC__REQUEST__BODY_FLOW_START);
    if (target >= ST_OUT)
        plain_step(a, CLINIC__REQUEST__BODY_FLOW_CHECK_OUT);
}

/* Books today: each provider's day as a run of visits with short gaps, skipping lunch. Every
 * appointment has its own patient (a shuffled pick from the 500). Fills `appts` in order of start
 * and returns how many there are. */
static int seed_schedule(const seed_ctx_t *ctx, const uint64_t providers[N_PROVIDERS],
                         const patients_t *patients, appt_t appts[APPOINTMENTS])
{
    static int order[PATIENTS];
    for (int i = 0; i < PATIENTS; i++)
        order[i] = i;
    for (int i = PATIENTS - 1; i > 0; i--) {
        int j = (int)rnd((uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int n = 0, next_patient = 0;
    for (int pv = 0; pv < N_PROVIDERS; pv++) {
        int quota = (APPOINTMENTS + pv) / N_PROVIDERS, booked = 0;
        unsigned t = OPEN + 5 * rnd(3);
        while (booked < quota && n < APPOINTMENTS) {
            const apptype_t *ty = &types[rnd(CL_ARRAY_SIZE(types))];
            if (t < AM_END && t + ty->minutes > AM_END)
                t = PM_START;
            if (t + ty->minutes > PM_END)
                break;
            int pi = order[next_patient++];
            Clinic__AppointmentBookRequest r = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
            r.patient_id = patients->id[pi];
            r.provider_id = providers[pv];
            r.type_id = ty->id;
            r.date = (char *)ctx->today;
            r.start_minute = t;
            r.reason = (char *)ty->reason[rnd(3)];
            const Clinic__Appointment *a =
                seed_send(CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &r, 0, NULL)
                    ->appointment_book->appointment;
            appts[n] = (appt_t){a->id,      a->version,   a->patient_id, a->start_minute,
                                a->minutes, a->starts_at, r.reason,      patients->insured[pi]};
            n++;
            booked++;
            t += ty->minutes + 5 * rnd(4);
        }
    }
    qsort(appts, (size_t)n, sizeof(appts[0]), by_start);
    printf("  today's schedule: %d appointments over the 3 providers\n", n);
    return n;
}

/* Moves today's visits (`appts`, `n` of them in order of start) along the flow: the earliest are
 * done, the next ones in the rooms (one room each, all five rooms in use), two in the waiting
 * room, one missed (when it has started), one cancelled. */
static void seed_flow(appt_t *appts, int n, const uint64_t rooms[N_ROOMS])
{
    int64_t local_midnight = appts[0].starts_at - (int64_t)appts[0].start * 60;
    unsigned now_minute = (unsigned)((time(NULL) - local_midnight) / 60);
    static const int plan[] = {ST_OUT,           ST_OUT,     ST_OUT,    ST_OUT,   ST_OUT,
                               -1 /* no-show */, ST_WITH,    ST_WITH,   ST_READY, ST_INTAKE,
                               ST_ROOMED,        ST_ARRIVED, ST_ARRIVED};
    int counts[ST_OUT + 1] = {0}, no_shows = 0, cancelled = 0, used_rooms = 0;
    for (int i = 0; i < n && i < (int)CL_ARRAY_SIZE(plan); i++) {
        appt_t *a = &appts[i];
        if (plan[i] == -1) {
            if (a->start > now_minute)
                continue; /* not a no-show before it starts: it stays scheduled */
            Clinic__AppointmentNoShowRequest r = CLINIC__APPOINTMENT_NO_SHOW_REQUEST__INIT;
            r.id = a->id;
            r.version = a->version;
            seed_send(CLINIC__REQUEST__BODY_APPOINTMENT_NO_SHOW, &r, 0, NULL);
            no_shows++;
            continue;
        }
        /* Done visits free their room; the ones still in a room take one each. */
        uint64_t room = plan[i] == ST_OUT ? rooms[i % N_ROOMS] : rooms[used_rooms % N_ROOMS];
        if (plan[i] >= ST_ROOMED && plan[i] < ST_OUT)
            used_rooms++;
        walk(a, plan[i], room);
        counts[plan[i]]++;
    }
    if (n > 20) { /* a later visit the patient called off */
        Clinic__AppointmentCancelRequest r = CLINIC__APPOINTMENT_CANCEL_REQUEST__INIT;
        r.id = appts[20].id;
        r.version = appts[20].version;
        r.reason = "patient called to reschedule";
        seed_send(CLINIC__REQUEST__BODY_APPOINTMENT_CANCEL, &r, 0, NULL);
        cancelled++;
    }
    int scheduled = n - no_shows - cancelled;
    for (int s = ST_ARRIVED; s <= ST_OUT; s++)
        scheduled -= counts[s];
    printf("  board: %d checked out, %d with provider, %d ready, %d intake done, %d roomed, "
           "%d arrived, %d scheduled, %d no-show, %d cancelled%s\n",
           counts[ST_OUT], counts[ST_WITH], counts[ST_READY], counts[ST_INTAKE], counts[ST_ROOMED],
           counts[ST_ARRIVED], scheduled, no_shows, cancelled,
           no_shows ? "" : " (no no-show: no visit has started yet)");
}

/* 0 Sunday .. 6 Saturday for a YYYY-MM-DD date (Sakamoto's method). */
static int weekday_of(const char *date)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int y, m, d;
    if (sscanf(date, "%d-%d-%d", &y, &m, &d) != 3)
        return -1;
    y -= m < 3;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* Sets ctx->today and ctx->weekday to today as the clinic sees it (its time zone): the board of ""
 * says. */
static void read_today(seed_ctx_t *ctx)
{
    Clinic__BoardGetRequest br = CLINIC__BOARD_GET_REQUEST__INIT;
    snprintf(ctx->today, sizeof(ctx->today), "%s",
             seed_send(CLINIC__REQUEST__BODY_BOARD_GET, &br, 0, NULL)->board_get->date);
    ctx->weekday = weekday_of(ctx->today);
    if (ctx->weekday < 0)
        seed_die("the server's date \"%s\" is not YYYY-MM-DD", ctx->today);
}

void seed_date_add(const char *date, int days, char out[11])
{
    struct tm tm = {0};
    if (sscanf(date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        seed_die("\"%s\" is not YYYY-MM-DD", date);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = 12;
    time_t t = timegm(&tm) + (time_t)days * 86400;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Sends a request of kind `kind` logged in as demo user `username` on a connection of its own. */
void seed_send_as(const seed_ctx_t *ctx, const char *username, Clinic__Request__BodyCase kind,
                  const void *body)
{
    cl_sync_t *mine = conn, *theirs = NULL;
    char err[256];
    if (cl_sync_connect(ctx->cfg, &theirs, err, sizeof(err)) != 0)
        seed_die("cannot connect as %s: %s", username, err);
    const Clinic__LoginReply *login;
    if (cl_sync_login(theirs, username, ctx->password, &login, err, sizeof(err)) != 0) {
        cl_sync_close(theirs);
        seed_die("cannot log in as %s: %s", username, err);
    }
    conn = theirs;
    seed_send(kind, body, 0, NULL);
    conn = mine;
    cl_sync_close(theirs);
}

/* --- arguments -------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: clinic-seed --server HOST:PORT --ca F [--cert F --key F] --user U\n"
               "                   --password-file F\n"
               "Seeds an empty clinic with a demo practice (hours, 5 rooms, appointment types,\n"
               "3 providers, 500 patients, today's schedule and board). The user needs the roles\n"
               "scheduler, front_desk and clinician. A clinic with providers is left alone.\n");
}

static int read_password(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return CL_EIO;
    int rc = fgets(out, (int)outlen, f) ? 0 : CL_EINVAL;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return rc == 0 && out[0] ? 0 : CL_EINVAL;
}

/* Reads the options into `cfg` and *user, and the password that --password-file names into
 * `password`. Returns -1 when the seeding goes ahead, else the exit status: 0 after --help, 2
 * after saying what is wrong. */
static int read_options(int argc, char **argv, cl_client_config_t *cfg, const char **user,
                        char *password, size_t passwordlen)
{
    const char *password_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        char name[32];
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
            value = eq + 1;
        } else if (strncmp(arg, "--", 2) == 0 && strlen(arg) < sizeof(name) && i + 1 < argc) {
            snprintf(name, sizeof(name), "%s", arg);
            value = argv[++i];
        } else {
            fprintf(stderr, "clinic-seed: unexpected argument \"%s\"\n", arg);
            usage(stderr);
            return 2;
        }
        static const char *const names[] = {"--server", "--ca",   "--cert",
                                            "--key",    "--user", "--password-file"};
        const char **slots[] = {&cfg->server,   &cfg->ca_file, &cfg->cert_file,
                                &cfg->key_file, user,          &password_file};
        size_t k = 0;
        while (k < CL_ARRAY_SIZE(names) && strcmp(names[k], name) != 0)
            k++;
        if (k == CL_ARRAY_SIZE(names)) {
            fprintf(stderr, "clinic-seed: unknown option %s\n", name);
            return 2;
        }
        *slots[k] = value;
    }
    if (!cfg->server || !cfg->ca_file || !*user || !password_file) {
        fprintf(stderr, "clinic-seed: --server, --ca, --user and --password-file are required\n");
        return 2;
    }
    if ((cfg->cert_file == NULL) != (cfg->key_file == NULL)) {
        fprintf(stderr, "clinic-seed: --cert and --key go together\n");
        return 2;
    }
    if (read_password(password_file, password, passwordlen) != 0) {
        fprintf(stderr, "clinic-seed: %s holds no password on its first line\n", password_file);
        return 2;
    }
    return -1;
}

/* Connects to the server and logs in as `user`; dies when either fails. */
static void log_in(const cl_client_config_t *cfg, const char *user, const char *password)
{
    char err[256];
    int rc = cl_sync_connect(cfg, &conn, err, sizeof(err));
    if (rc != 0)
        seed_die("cannot connect to %s: %s", cfg->server, err);
    const Clinic__LoginReply *login;
    rc = cl_sync_login(conn, user, password, &login, err, sizeof(err));
    if (rc != 0)
        seed_die("cannot log in as %s: %s", user, err);
}

int main(int argc, char **argv)
{
    cl_client_config_t cfg = {.client_name = "clinic-seed"};
    const char *user = NULL;
    char password[256];
    int status = read_options(argc, argv, &cfg, &user, password, sizeof(password));
    if (status >= 0)
        return status;
    log_in(&cfg, user, password);
    if (provider_count() > 0) {
        printf("demo clinic already seeded\n");
        cl_sync_close(conn);
        return 0;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    seed_ctx_t ctx = {.cfg = &cfg, .password = password};
    read_today(&ctx);
    printf("Seeding the demo clinic for %s (%s)\n", ctx.today, day_names[ctx.weekday]);

    uint64_t rooms[N_ROOMS], providers[N_PROVIDERS];
    static patients_t patients;
    appt_t appts[APPOINTMENTS];
    seed_clinic_hours(&ctx);
    seed_rooms(rooms);
    seed_appointment_types();
    seed_providers(&ctx, providers);
    seed_patients(&patients);
    int n = seed_schedule(&ctx, providers, &patients, appts);
    seed_flow(appts, n, rooms);
    seed_staff(&ctx);
    seed_shifts(&ctx);
    seed_approvals(&ctx);
    seed_staff_retire_seeder(&ctx);

    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("Seeded in %.1f s as %s.\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, user);
    cl_sync_close(conn);
    return 0;
}
