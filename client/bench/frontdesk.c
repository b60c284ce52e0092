/* clinic-bench's front-desk workloads (issue 4), each set up on the clinic through ordinary
 * requests on the control connection (so every validation and audit applies), with names
 * tagged by the run so that several runs can share one clinic:
 *  - book: durable bookings, one in flight per connection, aimed at a shared grid of slots whose
 *    neighbours overlap (20-minute visits every 10 minutes, random provider, room and patient),
 *    so that provider, room and patient conflicts happen all the time; CONFLICT is an expected
 *    outcome, counted apart. At the end the schedule is read back day by day and every pair of
 *    overlapping active appointments of one provider, room or patient is a double booking.
 *  - search: PatientSearchRequest with what a clerk types: prefixes of 2-4 letters of a first
 *    and/or last name, sometimes a birth date or the leading digits of a phone.
 *  - board: BoardGetRequest of one day with about 300 appointments.
 *  - frontdesk: every connection a workstation going round search, book (today or later),
 *    board read, and the flow of its own bookings of today (check-in, rooming, vitals), with
 *    each operation's latency apart. Every workstation is subscribed to "board": for each flow
 *    step, the time from the acknowledging reply (to the workstation that made it) to the event
 *    at every other workstation is a "change" latency (0 when the event came first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "mem.h"
#include "status.h"

enum {
    BOOK_PROVIDERS = 20,
    BOOK_ROOMS = 20,
    BOOK_PATIENTS = 500,
    BOOK_DAYS = 240, /* a year of slots would outlast any run: the grid must not fill up */
    DAY_OPEN = 7 * 60,
    DAY_CLOSE = 19 * 60,
    SLOT_STEP = 10, /* minutes between candidate starts */
    VISIT = 20,     /* minutes of a visit: every slot overlaps its neighbours */
    BOARD_PROVIDERS = 10,
    BOARD_PER_PROVIDER = 30, /* 07:00-17:00 in 20-minute visits */
    SEARCH_PATIENTS = 2000,  /* registered when the clinic has no generated patients */
    FIRST_DAY = 2,           /* days from today: clear of the clinic's own "today" */
    TODAY_PROVIDERS = 8,     /* frontdesk: 8 x 36 visits of 20 minutes, 07:00-19:00 */
};

static struct {
    char tag[24];
    uint64_t providers[BOOK_PROVIDERS], rooms[BOOK_ROOMS], type_id;
    uint64_t *patients; /* owned */
    size_t npatients;
    char dates[BOOK_DAYS][11];
    char board_date[11];
    uint64_t rng;
} fd;

static uint32_t rnd(uint32_t n)
{
    fd.rng ^= fd.rng >> 12;
    fd.rng ^= fd.rng << 25;
    fd.rng ^= fd.rng >> 27;
    return (uint32_t)((fd.rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

/* A setup request of kind `kind` whose body is `body` on the control connection: the reply, of
 * that kind, or NULL (printed). */
static const Clinic__Response *ctl_send(bench_t *b, Clinic__Request__BodyCase kind,
                                        const void *body, const char *what)
{
    int rc = bench_ctl_send(b, kind, body);
    if (rc == 0)
        return b->ctl_resp;
    fprintf(stderr, "clinic-bench: setup: %s: %s\n", what, bench_reply_reason(rc, b->ctl_resp));
    bench_note_error(b, what, bench_reply_reason(rc, b->ctl_resp));
    return NULL;
}

/* Local date `days` from today, "YYYY-MM-DD". */
static void date_from_today(int days, char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_mday += days;
    tm.tm_hour = 12;
    tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int open_every_day(bench_t *b)
{
    Clinic__ClinicHoursListRequest lr = CLINIC__CLINIC_HOURS_LIST_REQUEST__INIT;
    const Clinic__Response *resp =
        ctl_send(b, CLINIC__REQUEST__BODY_CLINIC_HOURS_LIST, &lr, "listing the clinic hours");
    if (resp == NULL)
        return CL_EINTERNAL;
    uint64_t version[7] = {0};
    int done[7] = {0};
    for (size_t i = 0; i < resp->clinic_hours_list->n_days; i++) {
        const Clinic__ClinicDay *d = resp->clinic_hours_list->days[i];
        if (d->weekday < 7) {
            version[d->weekday] = d->version;
            done[d->weekday] =
                d->open && d->open_minute <= DAY_OPEN && d->close_minute >= DAY_CLOSE;
        }
    }
    for (unsigned w = 0; w < 7; w++) {
        if (done[w])
            continue;
        Clinic__ClinicHoursSetRequest r = CLINIC__CLINIC_HOURS_SET_REQUEST__INIT;
        r.weekday = w;
        r.open = 1;
        r.open_minute = DAY_OPEN;
        r.close_minute = DAY_CLOSE;
        r.version = version[w];
        if (!ctl_send(b, CLINIC__REQUEST__BODY_CLINIC_HOURS_SET, &r, "setting the clinic hours"))
            return CL_EINTERNAL;
    }
    return 0;
}

static uint64_t add_room(bench_t *b, unsigned i)
{
    char name[64];
    snprintf(name, sizeof(name), "Bench %s room %u", fd.tag, i + 1);
    Clinic__RoomAddRequest r = CLINIC__ROOM_ADD_REQUEST__INIT;
    r.name = name;
    const Clinic__Response *resp = ctl_send(b, CLINIC__REQUEST__BODY_ROOM_ADD, &r, "adding a room");
    return resp && resp->room_add->room ? resp->room_add->room->id : 0;
}

static uint64_t add_type(bench_t *b, const char *what, int needs_room)
{
    char name[64];
    snprintf(name, sizeof(name), "Bench %s %s", fd.tag, what);
    Clinic__AppointmentTypeAddRequest r = CLINIC__APPOINTMENT_TYPE_ADD_REQUEST__INIT;
    r.name = name;
    r.default_minutes = VISIT;
    r.needs_room = needs_room;
    const Clinic__Response *resp =
        ctl_send(b, CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, &r, "adding an appointment type");
    return resp && resp->appointment_type_add->type ? resp->appointment_type_add->type->id : 0;
}

/* A provider with the whole clinic day on every weekday. */
static uint64_t add_provider(bench_t *b, unsigned i)
{
    char name[64];
    snprintf(name, sizeof(name), "Dr. Bench %s %u", fd.tag, i + 1);
    Clinic__ProviderAddRequest r = CLINIC__PROVIDER_ADD_REQUEST__INIT;
    r.name = name;
    r.specialty = "family medicine";
    r.username = "";
    const Clinic__Response *resp =
        ctl_send(b, CLINIC__REQUEST__BODY_PROVIDER_ADD, &r, "adding a provider");
    if (resp == NULL || resp->provider_add->provider == NULL)
        return 0;
    uint64_t id = resp->provider_add->provider->id;
    Clinic__ProviderHours hours[7], *hp[7];
    for (unsigned d = 0; d < 7; d++) {
        clinic__provider_hours__init(&hours[d]);
        hours[d].weekday = d;
        hours[d].start_minute = DAY_OPEN;
        hours[d].end_minute = DAY_CLOSE;
        hp[d] = &hours[d];
    }
    Clinic__ProviderHoursSetRequest h = CLINIC__PROVIDER_HOURS_SET_REQUEST__INIT;
    h.provider_id = id;
    h.version = resp->provider_add->provider->version;
    h.n_hours = 7;
    h.hours = hp;
    if (!ctl_send(b, CLINIC__REQUEST__BODY_PROVIDER_HOURS_SET, &h, "setting a provider's hours"))
        return 0;
    return id;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

/* Registers `n` patients with names from names.c (saving despite look-alikes). */
static int add_patients(bench_t *b, size_t n)
{
    fd.patients = cl_realloc(fd.patients, (fd.npatients + n) * sizeof(*fd.patients));
    for (size_t i = 0; i < n; i++) {
        char birth[40], phone[16];
        int y = 1940 + (int)rnd(80), m = 1 + (int)rnd(12);
        snprintf(birth, sizeof(birth), "%04d-%02d-%02d", y, m,
                 1 + (int)rnd((uint32_t)days_in_month(y, m)));
        snprintf(phone, sizeof(phone), "%u%02u%u%02u%04u", 2 + rnd(8), rnd(100), 2 + rnd(8),
                 rnd(100), rnd(10000));
        Clinic__Patient p = CLINIC__PATIENT__INIT;
        p.first_name = (char *)bench_first_names[rnd((uint32_t)bench_n_first_names)];
        p.last_name = (char *)bench_last_names[rnd((uint32_t)bench_n_last_names)];
        p.birth_date = birth;
        p.sex = rnd(2) ? "female" : "male";
        p.phone_mobile = phone;
        Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
        r.patient = &p;
        r.save_despite_duplicates = 1;
        const Clinic__Response *resp =
            ctl_send(b, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r, "registering a patient");
        if (resp == NULL || resp->patient_register->patient == NULL)
            return CL_EINTERNAL;
        fd.patients[fd.npatients++] = resp->patient_register->patient->id;
    }
    return 0;
}

/* Books one appointment on the control connection (the board's day). */
static int book_one(bench_t *b, uint64_t patient, uint64_t provider, uint64_t type,
                    const char *date, unsigned minute)
{
    Clinic__AppointmentBookRequest r = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    r.patient_id = patient;
    r.provider_id = provider;
    r.type_id = type;
    r.date = (char *)date;
    r.start_minute = minute;
    r.reason = "clinic-bench board";
    if (!ctl_send(b, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &r, "booking the board's day"))
        return CL_EINTERNAL;
    return 0;
}

/* Whether the clinic already has many patients (a generated database): record P0100000. */
static int has_many_patients(bench_t *b)
{
    Clinic__PatientSearchRequest r = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    r.query = "P0100000";
    r.limit = 1;
    const Clinic__Response *resp = ctl_send(b, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &r,
                                            "searching for the generated patients");
    return resp && resp->patient_search->n_patients > 0;
}

int bench_fd_setup(bench_t *b)
{
    uint64_t t0 = uv_hrtime();
    fd.rng = 0x5eed0c11cd2024ULL ^ t0;
    snprintf(fd.tag, sizeof(fd.tag), "%llx", (unsigned long long)(t0 / 1000000 % 0xffffff));
    int rc = 0;
    if (b->workload == BENCH_SEARCH) {
        if (!has_many_patients(b)) {
            rc = add_patients(b, SEARCH_PATIENTS);
            b->search_patients = fd.npatients;
        }
    } else if ((rc = open_every_day(b)) == 0 &&
               (b->workload == BENCH_BOOK || b->workload == BENCH_FRONTDESK)) {
        for (unsigned i = 0; i < BOOK_PROVIDERS && rc == 0; i++)
            rc = (fd.providers[i] = add_provider(b, i)) ? 0 : CL_EINTERNAL;
        for (unsigned i = 0; i < BOOK_ROOMS && rc == 0; i++)
            rc = (fd.rooms[i] = add_room(b, i)) ? 0 : CL_EINTERNAL;
        if (rc == 0)
            rc = (fd.type_id = add_type(b, "visit", 1)) ? 0 : CL_EINTERNAL;
        if (rc == 0)
            rc = add_patients(b, BOOK_PATIENTS);
        /* frontdesk books today too, to check its bookings in. */
        for (int d = 0; d < BOOK_DAYS; d++)
            date_from_today(b->workload == BENCH_FRONTDESK ? d : FIRST_DAY + d, fd.dates[d]);
    } else if (rc == 0) { /* board: 300 appointments on a day of its own, 400-700 days ahead,
                           * past what the generator books (the next ~330 days for 5,000,000) */
        uint64_t providers[BOARD_PROVIDERS], type = add_type(b, "board visit", 0);
        rc = type ? 0 : CL_EINTERNAL;
        for (unsigned i = 0; i < BOARD_PROVIDERS && rc == 0; i++)
            rc = (providers[i] = add_provider(b, 100 + i)) ? 0 : CL_EINTERNAL;
        if (rc == 0)
            rc = add_patients(b, BOARD_PROVIDERS * BOARD_PER_PROVIDER);
        date_from_today(400 + (int)rnd(300), fd.board_date);
        for (unsigned p = 0; p < BOARD_PROVIDERS && rc == 0; p++)
            for (unsigned k = 0; k < BOARD_PER_PROVIDER && rc == 0; k++)
                rc = book_one(b, fd.patients[p * BOARD_PER_PROVIDER + k], providers[p], type,
                              fd.board_date, DAY_OPEN + k * VISIT);
        if (rc == 0) {
            static Clinic__BoardGetRequest board = CLINIC__BOARD_GET_REQUEST__INIT;
            board.date = fd.board_date;
            bench_request_make(&b->req, CLINIC__REQUEST__BODY_BOARD_GET, &board);
            const Clinic__Response *resp =
                ctl_send(b, CLINIC__REQUEST__BODY_BOARD_GET, &board, "reading the board");
            rc = resp ? 0 : CL_EINTERNAL;
            if (rc == 0)
                b->board_size = resp->board_get->n_appointments;
        }
    }
    if (!b->json)
        printf("clinic-bench %s: setup (tag %s) in %.1f s\n", b->workload_name, fd.tag,
               (double)(uv_hrtime() - t0) / 1e9);
    return rc;
}

/* --- book and search: one request in flight per connection --------------------------------- */

static void fd_issue(bench_conn_t *bc);
static void desk_issue(bench_conn_t *bc);
static void on_desk_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg);

static void on_fd_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    uint64_t now = bench_reply_came(bc);
    if (status == 0 || (status == CL_ECONFLICT && b->workload == BENCH_BOOK && resp)) {
        bench_count_done(bc, now);
        if (b->workload == BENCH_BOOK) {
            if (status == 0)
                b->booked++;
            else
                b->conflicts++;
        } else if (resp->result_case == CLINIC__RESPONSE__RESULT_PATIENT_SEARCH) {
            b->hits += resp->patient_search->n_patients;
        }
    } else {
        bench_count_error(b, b->workload_name, status, resp);
    }
    if (resp != NULL)
        fd_issue(bc);
}

/* Lower-case ASCII letters of `name` (apostrophes dropped, as the search keys), at most `n`. */
static void prefix_of(const char *name, size_t n, char *out)
{
    size_t k = 0;
    for (; *name && k < n; name++)
        if ((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z'))
            out[k++] = (char)(*name | 0x20);
    out[k] = '\0';
}

/* What a clerk types: "smi jo", "jo smi", "garc", a birth date, or a phone's first digits. */
static void make_query(char *q, size_t len)
{
    char a[8], c[8];
    uint32_t kind = rnd(10);
    prefix_of(bench_first_names[rnd((uint32_t)bench_n_first_names)], 2 + rnd(3), a);
    prefix_of(bench_last_names[rnd((uint32_t)bench_n_last_names)], 2 + rnd(3), c);
    if (kind < 5)
        snprintf(q, len, "%s %s", c, a);
    else if (kind < 6)
        snprintf(q, len, "%s %s", a, c);
    else if (kind < 8)
        snprintf(q, len, "%s", c);
    else if (kind < 9) {
        int y = 1940 + (int)rnd(80), m = 1 + (int)rnd(12);
        snprintf(q, len, "%04d-%02d-%02d", y, m, 1 + (int)rnd((uint32_t)days_in_month(y, m)));
    } else {
        snprintf(q, len, "%u%02u%u", 2 + rnd(8), rnd(100), 2 + rnd(8));
        if (rnd(2))
            snprintf(q + strlen(q), len - strlen(q), "%02u", rnd(100));
    }
}

static void fd_issue(bench_conn_t *bc)
{
    bench_t *b = bc->b;
    if (b->stopping || bc->client == NULL || !bc->authed)
        return;
    Clinic__AppointmentBookRequest book = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    Clinic__PatientSearchRequest search = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    char query[64];
    if (b->workload == BENCH_BOOK) {
        book.patient_id = fd.patients[rnd((uint32_t)fd.npatients)];
        book.provider_id = fd.providers[rnd(BOOK_PROVIDERS)];
        book.room_id = fd.rooms[rnd(BOOK_ROOMS)];
        book.type_id = fd.type_id;
        book.date = fd.dates[rnd(BOOK_DAYS)];
        book.start_minute =
            DAY_OPEN + SLOT_STEP * rnd((DAY_CLOSE - DAY_OPEN - VISIT) / SLOT_STEP + 1);
        book.reason = "clinic-bench book";
        bench_send(bc, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, &book, on_fd_reply);
    } else {
        make_query(query, sizeof(query));
        search.query = query;
        bench_send(bc, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &search, on_fd_reply);
    }
}

/* --- frontdesk: a workstation's round ------------------------------------------------------ */

typedef enum {
    OP_SEARCH,
    OP_BOOK,
    OP_BOARD,
    OP_CHECKIN,
    OP_ROOM,
    OP_VITALS,
    OP_READY,
    OP_START,
    OP_CHECKOUT,
    OP__COUNT
} desk_op_t;

static const char *const op_names[OP__COUNT] = {"search", "book",  "board", "checkin", "room",
                                                "vitals", "ready", "start", "checkout"};
/* Each operation's request kind; its reply is of the same kind. */
static const Clinic__Request__BodyCase op_kinds[OP__COUNT] = {
    CLINIC__REQUEST__BODY_PATIENT_SEARCH, CLINIC__REQUEST__BODY_APPOINTMENT_BOOK,
    CLINIC__REQUEST__BODY_BOARD_GET,      CLINIC__REQUEST__BODY_FLOW_CHECK_IN,
    CLINIC__REQUEST__BODY_FLOW_ROOM,      CLINIC__REQUEST__BODY_FLOW_VITALS,
    CLINIC__REQUEST__BODY_FLOW_READY,     CLINIC__REQUEST__BODY_FLOW_START,
    CLINIC__REQUEST__BODY_FLOW_CHECK_OUT};

static struct {
    bench_lat_t lat;
    uint64_t count, refused, errors;
} ops[OP__COUNT];

/* A workstation: where it is in its round, and its booking of today going through the flow. */
typedef struct {
    unsigned turn;
    desk_op_t op; /* in flight */
    uint64_t appt, version;
    int flow;         /* the next flow step of `appt`: OP_CHECKIN, OP_ROOM, OP_VITALS; 0: none */
    uv_timer_t think; /* --think-ms: the pause before the next request */
    bench_conn_t *bc;
} desk_t;

static desk_t *desks; /* owned; one per connection */

/* The flow steps of an appointment as the workstations saw them, to pair each board event with
 * the reply that acknowledged the same step: one workstation moves an appointment, one step at
 * a time, so the k-th event of an appointment at any workstation is its k-th step. */
enum { STEPS_MAX = 8, TRACKED_MAX = 1 << 15 };
typedef struct {
    uint64_t appt;              /* 0: a free slot */
    uint8_t acks;               /* steps acknowledged */
    uint64_t ack_ns[STEPS_MAX]; /* when each step's reply came */
    uint8_t *seen;              /* owned; events seen per workstation */
} tracked_t;

static struct {
    tracked_t *slots; /* owned; TRACKED_MAX, open addressing by appointment id */
    size_t used;
    bench_lat_t lat;
    uint64_t delivered, expected, untracked;
} changes;

/* The slot of `appt`, made when `make`; NULL when absent or the table is full. */
static tracked_t *tracked(bench_t *b, uint64_t appt, int make)
{
    if (changes.slots == NULL)
        return NULL;
    for (size_t i = 0, h = (size_t)(appt * 0x9E3779B97F4A7C15ULL) >> 49; i < TRACKED_MAX;
         i++, h = (h + 1) & (TRACKED_MAX - 1)) {
        tracked_t *t = &changes.slots[h];
        if (t->appt == appt)
            return t;
        if (t->appt == 0) {
            if (!make || changes.used >= TRACKED_MAX / 2)
                return NULL;
            t->appt = appt;
            t->seen = cl_calloc(b->connections, 1);
            changes.used++;
            return t;
        }
    }
    return NULL;
}

static void on_step_acked(bench_t *b, uint64_t appt, uint64_t now)
{
    tracked_t *t = tracked(b, appt, 1);
    if (t == NULL || t->acks == STEPS_MAX)
        return;
    t->ack_ns[t->acks++] = now;
    changes.expected += b->set_up - 1; /* every other workstation */
}

static void on_desk_event(cl_client_t *c, const Clinic__Event *ev, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    uint64_t now = uv_hrtime();
    if (ev->session_expired || strcmp(ev->entity, "appointment") != 0)
        return;
    size_t i = (size_t)(bc - b->conns);
    tracked_t *t = tracked(b, ev->entity_id, 1);
    if (t == NULL) {
        changes.untracked++;
        return;
    }
    unsigned k = t->seen[i] < UINT8_MAX ? t->seen[i]++ : UINT8_MAX;
    if (desks[i].appt == ev->entity_id)
        return; /* its own step */
    changes.delivered++;
    bench_lat_add(&changes.lat, k < t->acks && now > t->ack_ns[k] ? now - t->ack_ns[k] : 0);
}

/* The next operation of w's round: search, book, flow step, board, search, flow step (a step of
 * this workstation's booking of today, from check-in to check-out; none: book another). */
static desk_op_t next_desk_op(desk_t *w)
{
    static const desk_op_t round[] = {OP_SEARCH, OP_BOOK,   OP_CHECKIN,
                                      OP_BOARD,  OP_SEARCH, OP_CHECKIN};
    desk_op_t op = round[w->turn++ % CL_ARRAY_SIZE(round)];
    if (op == OP_CHECKIN)
        op = w->flow ? (desk_op_t)w->flow : OP_BOOK;
    return op;
}

static void send_search(bench_conn_t *bc)
{
    Clinic__PatientSearchRequest search = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    char query[64];
    make_query(query, sizeof(query));
    search.query = query;
    bench_send(bc, op_kinds[OP_SEARCH], &search, on_desk_reply);
}

static void send_booking(bench_conn_t *bc)
{
    Clinic__AppointmentBookRequest book = CLINIC__APPOINTMENT_BOOK_REQUEST__INIT;
    book.patient_id = fd.patients[rnd((uint32_t)fd.npatients)];
    book.type_id = fd.type_id;
    /* Half of them today (checked in later by this workstation) with the first TODAY_PROVIDERS,
     * whose day holds about 300 visits (the issue's board); half ahead. */
    if (rnd(2)) {
        book.date = fd.dates[0];
        book.provider_id = fd.providers[rnd(TODAY_PROVIDERS)];
    } else {
        book.date = fd.dates[1 + rnd(BOOK_DAYS - 1)];
        book.provider_id = fd.providers[rnd(BOOK_PROVIDERS)];
    }
    book.start_minute = DAY_OPEN + SLOT_STEP * rnd((DAY_CLOSE - DAY_OPEN - VISIT) / SLOT_STEP + 1);
    book.reason = "clinic-bench frontdesk";
    bench_send(bc, op_kinds[OP_BOOK], &book, on_desk_reply);
}

static void send_board(bench_conn_t *bc)
{
    Clinic__BoardGetRequest board = CLINIC__BOARD_GET_REQUEST__INIT;
    board.date = fd.dates[0];
    bench_send(bc, op_kinds[OP_BOARD], &board, on_desk_reply);
}

/* Vitals in the normal range, as a nurse takes them. */
static void take_vitals(Clinic__Vitals *v)
{
    v->systolic = 110 + rnd(40);
    v->diastolic = 70 + rnd(20);
    v->pulse = 60 + rnd(40);
    v->respirations = 12 + rnd(8);
    v->temperature_dc = 365 + rnd(10);
    v->spo2 = 95 + rnd(5);
    v->chief_complaint = "clinic-bench";
}

/* The flow step w->op of the workstation's booking of today. */
static void send_flow_step(bench_conn_t *bc, const desk_t *w)
{
    Clinic__FlowCheckInRequest checkin = CLINIC__FLOW_CHECK_IN_REQUEST__INIT;
    Clinic__FlowRoomRequest room = CLINIC__FLOW_ROOM_REQUEST__INIT;
    Clinic__FlowVitalsRequest vitals = CLINIC__FLOW_VITALS_REQUEST__INIT;
    Clinic__Vitals v = CLINIC__VITALS__INIT;
    Clinic__FlowReadyRequest ready = CLINIC__FLOW_READY_REQUEST__INIT;
    Clinic__FlowStartRequest start = CLINIC__FLOW_START_REQUEST__INIT;
    Clinic__FlowCheckOutRequest checkout = CLINIC__FLOW_CHECK_OUT_REQUEST__INIT;
    /* Every flow step names the workstation's booking and the version it last read. */
    checkin.appointment_id = room.appointment_id = vitals.appointment_id = w->appt;
    ready.appointment_id = start.appointment_id = checkout.appointment_id = w->appt;
    checkin.version = room.version = vitals.version = w->version;
    ready.version = start.version = checkout.version = w->version;
    const void *body;
    switch (w->op) {
    case OP_CHECKIN:
        checkin.demographics_confirmed = 1;
        checkin.insurance_confirmed = 1;
        checkin.copay_cents = 2500;
        body = &checkin;
        break;
    case OP_ROOM:
        room.room_id = fd.rooms[rnd(BOOK_ROOMS)];
        body = &room;
        break;
    case OP_READY:
        body = &ready;
        break;
    case OP_START:
        body = &start;
        break;
    case OP_CHECKOUT:
        body = &checkout;
        break;
    case OP_VITALS:
    default:
        take_vitals(&v);
        vitals.vitals = &v;
        body = &vitals;
        break;
    }
    bench_send(bc, op_kinds[w->op], body, on_desk_reply);
}

/* Sends the workstation's next request, unless the run is ending or its connection is gone. */
static void desk_issue(bench_conn_t *bc)
{
    bench_t *b = bc->b;
    if (b->stopping || bc->client == NULL || !bc->authed)
        return;
    desk_t *w = &desks[bc - b->conns];
    w->op = next_desk_op(w);
    switch (w->op) {
    case OP_SEARCH:
        send_search(bc);
        break;
    case OP_BOOK:
        send_booking(bc);
        break;
    case OP_BOARD:
        send_board(bc);
        break;
    default:
        send_flow_step(bc, w);
        break;
    }
}

/* A clerk's pause: uniform between half and one and a half times --think-ms, so that the
 * workstations do not fall into step (as people do not). */
static uint64_t think_time(const bench_t *b)
{
    return b->think_ms / 2 + rnd(b->think_ms + 1);
}

static void on_think_done(uv_timer_t *t)
{
    desk_t *w = cl_container_of(t, desk_t, think);
    desk_issue(w->bc);
}

static void on_desk_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    desk_t *w = &desks[bc - b->conns];
    uint64_t now = bench_reply_came(bc);
    /* A taken slot or room, or a flow step a stale version refused: outcomes, not errors. */
    int refused = resp && (status == CL_ECONFLICT || status == CL_EPRECOND);
    if (status == 0 || refused) {
        bench_count_done(bc, now);
        bench_lat_add(&ops[w->op].lat, now - bc->t0);
        ops[w->op].count++;
        ops[w->op].refused += refused;
    } else {
        bench_count_error(b, op_names[w->op], status, resp);
        ops[w->op].errors++;
    }
    const Clinic__FlowTransitionReply *tr = NULL;
    if (status == 0 && resp->result_case == (Clinic__Response__ResultCase)op_kinds[w->op]) {
        switch (w->op) {
        case OP_SEARCH:
            b->hits += resp->patient_search->n_patients;
            break;
        case OP_BOOK:
            b->booked++;
            if (!w->flow && resp->appointment_book->appointment &&
                strcmp(resp->appointment_book->appointment->date, fd.dates[0]) == 0) {
                w->appt = resp->appointment_book->appointment->id;
                w->version = resp->appointment_book->appointment->version;
                w->flow = OP_CHECKIN;
            }
            break;
        case OP_CHECKIN:
            tr = resp->flow_check_in;
            break;
        case OP_ROOM:
            tr = resp->flow_room;
            break;
        case OP_VITALS:
            tr = resp->flow_vitals;
            break;
        case OP_READY:
            tr = resp->flow_ready;
            break;
        case OP_START:
            tr = resp->flow_start;
            break;
        case OP_CHECKOUT:
            tr = resp->flow_check_out;
            break;
        default:
            break;
        }
    } else if (refused && w->op == OP_BOOK) {
        b->conflicts++;
    }
    if (w->op >= OP_CHECKIN) {
        if (tr && tr->appointment) {
            on_step_acked(b, w->appt, now);
            w->version = tr->appointment->version;
            w->flow = w->op == OP_CHECKOUT ? 0 : (int)w->op + 1;
        } else if (refused && w->op == OP_ROOM) {
            w->flow = OP_ROOM; /* the room is taken: try another one next time, as a nurse does */
        } else {
            w->flow = 0; /* refused: leave this one, book another */
        }
    }
    if (resp == NULL)
        return;
    if (b->think_ms)
        uv_timer_start(&w->think, on_think_done, think_time(b), 0);
    else
        desk_issue(bc);
}

void bench_fd_report(bench_t *b)
{
    if (b->workload != BENCH_FRONTDESK)
        return;
    if (b->json) {
        printf(",\"think_ms\":%u,\"booked\":%llu,\"conflicts\":%llu,\"ops\":{", b->think_ms,
               (unsigned long long)b->booked, (unsigned long long)b->conflicts);
        for (int i = 0; i < OP__COUNT; i++)
            printf("%s\"%s\":{\"count\":%llu,\"refused\":%llu,\"errors\":%llu,\"p50_ms\":%.3f,"
                   "\"p99_ms\":%.3f}",
                   i ? "," : "", op_names[i], (unsigned long long)ops[i].count,
                   (unsigned long long)ops[i].refused, (unsigned long long)ops[i].errors,
                   (double)bench_lat_pct(&ops[i].lat, 500) / 1e6,
                   (double)bench_lat_pct(&ops[i].lat, 990) / 1e6);
        printf("}");
        printf(",\"changes\":{\"expected\":%llu,\"delivered\":%llu,\"untracked\":%llu,"
               "\"p50_ms\":%.3f,\"p99_ms\":%.3f}",
               (unsigned long long)changes.expected, (unsigned long long)changes.delivered,
               (unsigned long long)changes.untracked,
               (double)bench_lat_pct(&changes.lat, 500) / 1e6,
               (double)bench_lat_pct(&changes.lat, 990) / 1e6);
        return;
    }
    for (int i = 0; i < OP__COUNT; i++)
        printf("  %-8s %8llu (refused %llu, errors %llu): p50 %.3f ms, p99 %.3f ms\n", op_names[i],
               (unsigned long long)ops[i].count, (unsigned long long)ops[i].refused,
               (unsigned long long)ops[i].errors, (double)bench_lat_pct(&ops[i].lat, 500) / 1e6,
               (double)bench_lat_pct(&ops[i].lat, 990) / 1e6);
    printf("  changes  %8llu of %llu to the other workstations: p50 %.3f ms, p99 %.3f ms after "
           "the reply\n",
           (unsigned long long)changes.delivered, (unsigned long long)changes.expected,
           (double)bench_lat_pct(&changes.lat, 500) / 1e6,
           (double)bench_lat_pct(&changes.lat, 990) / 1e6);
}

void bench_run_fd(bench_t *b)
{
    if (b->workload == BENCH_BOARD) {
        bench_run_closed_loop(b);
        return;
    }
    if (b->workload == BENCH_FRONTDESK) {
        desks = cl_calloc(b->connections, sizeof(*desks));
        for (size_t i = 0; i < b->connections; i++) {
            desks[i].bc = &b->conns[i];
            uv_timer_init(b->loop, &desks[i].think);
        }
        changes.slots = cl_calloc(TRACKED_MAX, sizeof(*changes.slots));
        for (size_t i = 0; i < b->connections; i++)
            if (b->conns[i].client && b->conns[i].authed)
                cl_client_on_event(b->conns[i].client, on_desk_event, &b->conns[i]);
    }
    bench_start_clock(b);
    for (size_t i = 0; i < b->connections; i++) {
        if (b->workload == BENCH_FRONTDESK)
            desks[i].turn = (unsigned)i; /* workstations at different points of their round */
        if (b->workload == BENCH_FRONTDESK && b->think_ms)
            uv_timer_start(&desks[i].think, on_think_done, rnd(b->think_ms + 1), 0);
        else if (b->workload == BENCH_FRONTDESK)
            desk_issue(&b->conns[i]);
        else
            fd_issue(&b->conns[i]);
    }
    bench_wait_for_end(b);
    if (b->workload == BENCH_FRONTDESK)
        for (size_t i = 0; i < b->connections; i++)
            uv_close((uv_handle_t *)&desks[i].think, NULL); /* desks stay until exit */
}

/* --- book: the schedule read back --------------------------------------------------------------
 */

/* One active appointment as read back. */
typedef struct {
    int64_t starts_at, ends_at;
    uint64_t provider, room, patient;
} held_t;

static int by_start(const void *x, const void *y)
{
    const held_t *a = x, *c = y;
    return a->starts_at != c->starts_at ? (a->starts_at < c->starts_at ? -1 : 1) : 0;
}

/* Reads every provider's day back (AppointmentListRequest per provider and day: the run's
 * rooms and patients are booked only with the run's providers, so these lists hold every
 * appointment they have) and counts the pairs of overlapping active appointments that share a
 * provider, a room or a patient. An override would be allowed to overlap; none is sent. */
void bench_fd_verify(bench_t *b)
{
    if (b->workload != BENCH_BOOK)
        return;
    held_t *held = NULL;
    size_t cap = 0;
    for (int d = 0; d < BOOK_DAYS; d++) {
        size_t n = 0;
        for (int p = 0; p < BOOK_PROVIDERS; p++) {
            Clinic__AppointmentListRequest r = CLINIC__APPOINTMENT_LIST_REQUEST__INIT;
            r.from_date = fd.dates[d];
            r.to_date = fd.dates[d];
            r.provider_id = fd.providers[p];
            const Clinic__Response *resp = ctl_send(b, CLINIC__REQUEST__BODY_APPOINTMENT_LIST, &r,
                                                    "reading the schedule back");
            if (resp == NULL) {
                free(held);
                return;
            }
            const Clinic__AppointmentListReply *l = resp->appointment_list;
            if (l->truncated)
                bench_note_error(b, "reading the schedule back", "a list was truncated");
            for (size_t i = 0; i < l->n_appointments; i++) {
                const Clinic__Appointment *a = l->appointments[i];
                if (strcmp(a->state, "cancelled") == 0 || strcmp(a->state, "no_show") == 0)
                    continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 4096;
                    held = cl_realloc(held, cap * sizeof(*held));
                }
                held[n++] =
                    (held_t){a->starts_at, a->ends_at, a->provider_id, a->room_id, a->patient_id};
            }
        }
        b->listed += n;
        qsort(held, n, sizeof(*held), by_start);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n && held[j].starts_at < held[i].ends_at; j++)
                if (held[i].provider == held[j].provider ||
                    (held[i].room && held[i].room == held[j].room) ||
                    held[i].patient == held[j].patient)
                    b->double_bookings++;
    }
    free(held);
    b->verified = 1;
}
