/* What the schedule's files share (schedule.c: providers, rooms, types and the request checks;
 * schedule_hours.c: clinic hours, holidays, blocks; schedule_db.c: the statements, row readers
 * and conflict checks; schedule_appt.c: appointments; schedule_series.c: recurring series;
 * schedule_slots.c: open slots;
 * schedule_waitlist.c: the waitlist). Its tests include it to reach the statements' text for
 * EXPLAIN QUERY PLAN. */
#ifndef CL_SCHEDULE_INT_H
#define CL_SCHEDULE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "clinic.pb-c.h"
#include "store.h"

/* The statements, one per query the schedule runs (schedule_db.c holds their text). */
typedef enum {
    CL_SQ_USER_BY_NAME,
    CL_SQ_PATIENT_BY_ID,
    CL_SQ_PROVIDER_INSERT,
    CL_SQ_PROVIDER_BY_ID,
    CL_SQ_PROVIDER_BY_USER,
    CL_SQ_PROVIDER_LIST,
    CL_SQ_PROVIDER_UPDATE,
    CL_SQ_PROVIDER_BUMP,
    CL_SQ_PROVIDER_HOURS_OF,
    CL_SQ_PROVIDER_HOURS_DAY,
    CL_SQ_PROVIDER_HOURS_DELETE,
    CL_SQ_PROVIDER_HOURS_INSERT,
    CL_SQ_ROOM_INSERT,
    CL_SQ_ROOM_BY_ID,
    CL_SQ_ROOM_LIST,
    CL_SQ_ROOM_UPDATE,
    CL_SQ_TYPE_INSERT,
    CL_SQ_TYPE_BY_ID,
    CL_SQ_TYPE_LIST,
    CL_SQ_TYPE_UPDATE,
    CL_SQ_HOURS_LIST,
    CL_SQ_HOURS_DAY,
    CL_SQ_HOURS_INSERT,
    CL_SQ_HOURS_UPDATE,
    CL_SQ_HOLIDAY_INSERT,
    CL_SQ_HOLIDAY_ON,
    CL_SQ_HOLIDAY_RANGE,
    CL_SQ_HOLIDAY_DELETE,
    CL_SQ_BLOCK_INSERT,
    CL_SQ_BLOCK_BY_ID,
    CL_SQ_BLOCK_LIST_PROVIDER,
    CL_SQ_BLOCK_LIST_ROOM,
    CL_SQ_BLOCK_LIST_ALL,
    CL_SQ_BLOCK_CANCEL,
    CL_SQ_BLOCKS_PROVIDER_OVERLAP,
    CL_SQ_BLOCKS_ROOM_OVERLAP,
    CL_SQ_APPT_INSERT,
    CL_SQ_APPT_BY_ID,
    CL_SQ_APPT_MOVE,
    CL_SQ_APPT_SET_STATE,
    CL_SQ_APPT_PROVIDER_OVERLAP,
    CL_SQ_APPT_ROOM_OVERLAP,
    CL_SQ_APPT_PATIENT_OVERLAP,
    CL_SQ_APPT_COUNT_ON_DATE,
    CL_SQ_APPT_LIST_DATE,
    CL_SQ_APPT_LIST_PROVIDER,
    CL_SQ_APPT_LIST_PATIENT,
    CL_SQ_FLOW_EVENT_INSERT,
    CL_SQ_SERIES_INSERT,
    CL_SQ_SERIES_BY_ID,
    CL_SQ_SERIES_SCHEDULED_FROM,
    CL_SQ_ROOMS_ACTIVE,
    CL_SQ_WAITLIST_INSERT,
    CL_SQ_WAITLIST_BY_ID,
    CL_SQ_WAITLIST_LIST_OPEN,
    CL_SQ_WAITLIST_LIST_PATIENT,
    CL_SQ_WAITLIST_SET_STATE,
    CL_SQ_WAITLIST_CANDIDATES,
    CL_SQ_WAITLIST_OFFER,
    CL_SQ_WAITLIST_BOOKED,
    CL_SQ__COUNT
} cl_sched_q_t;

/* The text of statement `q` (static storage), for tests that check its plan. */
const char *cl_sched_sql(cl_sched_q_t q);
/* The cached statement `q`, reset; NULL only for SQL that does not compile (a bug: logged). */
sqlite3_stmt *cl_sched_stmt(cl_tx_t *tx, cl_sched_q_t q);

enum {
    CL_SCHED_MINUTES_MIN = 5,
    CL_SCHED_MINUTES_MAX = 480, /* no appointment is longer: the overlap queries rely on it */
    CL_SCHED_NAME_MAX = 128,
    CL_SCHED_REASON_MAX = 500,
    CL_SCHED_NOTE_MAX = 1000,
    CL_SCHED_BOOK_AHEAD_DAYS = 730, /* the furthest date a booking may be for */
    CL_SCHED_LIST_MAX = 2000,       /* appointments in one list reply */
};

/* The states an appointment holds its provider, room and patient time in: all but these. */
#define CL_SCHED_STATE_SCHEDULED "scheduled"
#define CL_SCHED_STATE_CANCELLED "cancelled"
#define CL_SCHED_STATE_NO_SHOW "no_show"

/* ---- schedule.c: request checks and helpers, shared by the handlers ---------------------- */

/* Checks that `s` is 1..max bytes (min 0: may be empty) of UTF-8 without control characters;
 * else fails the job with INVALID_ARGUMENT on `field`. Returns 0 or the failure. */
int cl_sched_check_text(cl_job_t *job, const char *field, const char *s, size_t min, size_t max);
/* Parses a required date; fails the job on `field` when it is missing or not a real date. */
int cl_sched_check_date(cl_job_t *job, const char *field, const char *s, cl_date_t *out);
/* An optional date: empty gives `dflt`. */
int cl_sched_check_date_or(cl_job_t *job, const char *field, const char *s, cl_date_t dflt,
                           cl_date_t *out);
/* The start of a booking: `date` + `minute` (local), or the instant `starts_at` when non-zero
 * (then `date` must be empty). Fails the job on `date_field`, "start_minute" or "starts_at".
 * Sets *start and *date (the local date of *start). */
int cl_sched_check_start(cl_job_t *job, const char *date_field, const char *date, uint32_t minute,
                         int64_t starts_at, int64_t *start, cl_date_t *day);
/* A required version (not 0), else INVALID_ARGUMENT on "version". */
int cl_sched_check_version(cl_job_t *job, uint64_t version);
/* CONFLICT on "version": `what` (e.g. "provider Dr. Lee") was changed by someone else. */
int cl_sched_stale(cl_job_t *job, const char *what, uint64_t sent, uint64_t current);
/* NOT_FOUND on `field`: "no <what> with id N". */
int cl_sched_not_found(cl_job_t *job, const char *field, const char *what, uint64_t id);

/* Audits a setup change (`action` on `entity` `id`) and announces it on "schedule". Returns 0
 * or a negative status. */
int cl_sched_setup_changed(cl_tx_t *tx, const char *action, const char *entity, uint64_t id,
                           Clinic__ChangeOp op);

/* "09:30" for a local minute of the day (0-1440). */
void cl_sched_hhmm(int minute, char out[6]);
/* "09:00-09:30" when both instants fall on `day`, else "2024-07-01 09:00-2024-07-08 17:00". */
void cl_sched_span(int64_t from, int64_t to, cl_date_t day, char *out, size_t outlen);
/* "Sunday" .. "Saturday". */
const char *cl_sched_weekday_name(int weekday);
/* The date as a string in the arena. */
char *cl_sched_date_str(cl_arena_t *a, cl_date_t d);
/* The clinic's date today. */
cl_date_t cl_sched_today(const cl_tx_t *tx);

/* ---- schedule_db.c: rows and checks ---------------------------------------------------------- */

/* A patient as the schedule needs one. */
typedef struct {
    int64_t id;
    int64_t merged_into; /* 0, or the record this one was merged into */
    char *name;          /* in the arena: preferred (else first) name and last name */
    char *record_number; /* in the arena */
} cl_sched_patient_t;

/* Loaders: 0 and *out (in the job's arena), CL_ENOTFOUND, or a database status. */
int cl_sched_patient_get(cl_tx_t *tx, int64_t id, cl_sched_patient_t *out);
int cl_sched_provider_get(cl_tx_t *tx, int64_t id, Clinic__Provider **out);
int cl_sched_room_get(cl_tx_t *tx, int64_t id, Clinic__Room **out);
int cl_sched_type_get(cl_tx_t *tx, int64_t id, Clinic__AppointmentType **out);
int cl_sched_block_get(cl_tx_t *tx, int64_t id, Clinic__Block **out);
int cl_sched_appointment_get(cl_tx_t *tx, int64_t id, Clinic__Appointment **out);
int cl_sched_waitlist_get(cl_tx_t *tx, int64_t id, Clinic__WaitlistEntry **out);
/* Loaders that fail the job with NOT_FOUND on `field` when the row is missing, and with
 * FAILED_PRECONDITION when it is inactive (or, for a patient, merged into another record). */
int cl_sched_patient_for_use(cl_tx_t *tx, const char *field, int64_t id, cl_sched_patient_t *out);
int cl_sched_provider_for_use(cl_tx_t *tx, const char *field, int64_t id, Clinic__Provider **out);
int cl_sched_room_for_use(cl_tx_t *tx, const char *field, int64_t id, Clinic__Room **out);
int cl_sched_type_for_use(cl_tx_t *tx, const char *field, int64_t id,
                          Clinic__AppointmentType **out);

/* Row readers of the statements' column lists (for the list handlers). */
Clinic__Provider *cl_sched_provider_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__Room *cl_sched_room_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__AppointmentType *cl_sched_type_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__Block *cl_sched_block_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__Appointment *cl_sched_appointment_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__WaitlistEntry *cl_sched_waitlist_from_row(cl_arena_t *a, sqlite3_stmt *st);
/* Fills provider->hours from provider_hours. */
int cl_sched_provider_load_hours(cl_tx_t *tx, Clinic__Provider *p);

/* Binds `id` to parameter `i`, or NULL when it is 0. */
void cl_sched_bind_id(sqlite3_stmt *st, int i, int64_t id);

/* A growing list of conflicts in the job's arena. */
typedef struct {
    Clinic__Conflict **items;
    size_t n, cap;
} cl_sched_conflicts_t;

/* Appends a conflict (strings copied into the arena). */
void cl_sched_conflict_add(cl_arena_t *a, cl_sched_conflicts_t *c, const char *kind, int64_t id,
                           int64_t starts_at, int64_t ends_at, const char *detail);

/* A time an appointment would take. */
typedef struct {
    int64_t patient_id;               /* 0: no patient check */
    const Clinic__Provider *provider; /* required */
    int64_t room_id;                  /* 0: no room */
    const char *room_name;
    int64_t starts_at, ends_at; /* on one local date */
    cl_date_t date;             /* the local date of starts_at */
    int64_t exclude_id;         /* the appointment being moved; 0 for none */
} cl_sched_proposal_t;

/* Appends to `out` everything the proposal collides with, in this order: holiday, closed (the
 * clinic's hours), hours (the provider's template), blocks of the provider and of the room,
 * the provider's, the room's and the patient's other active appointments. */
int cl_sched_conflicts(cl_tx_t *tx, const cl_sched_proposal_t *p, cl_sched_conflicts_t *out);

/* Fails the job with CONFLICT: "<verb> <span> on <date>: <detail>; <detail>...". */
int cl_sched_conflict_fail(cl_job_t *job, const char *verb, const cl_sched_proposal_t *p,
                           const cl_sched_conflicts_t *c);

/* Active appointments of a provider (or a room) overlapping [from, to), as conflicts of kind
 * "provider" (or "room"), for a block's reply. */
int cl_sched_appointments_within(cl_tx_t *tx, int64_t provider_id, int64_t room_id, int64_t from,
                                 int64_t to, cl_sched_conflicts_t *out);

/* ---- schedule_waitlist.c --------------------------------------------------------------------- */

/* A growing list of waitlist entries offered a slot, in the job's arena. */
typedef struct {
    Clinic__WaitlistEntry **items;
    size_t n, cap;
} cl_sched_offers_t;

/* A slot of `provider` from `starts_at` to `ends_at` was freed (a cancellation or a move): offers
 * it to the oldest waiting entry that it fits (its provider or any, its dates, its type's length,
 * no conflict for that patient), with the entry's change on "waitlist" and an audit row. At most
 * one offer per freed slot; nothing for a slot already begun. Returns 0 or a negative status. */
int cl_sched_offer_freed(cl_tx_t *tx, const Clinic__Provider *provider, int64_t starts_at,
                         int64_t ends_at, cl_sched_offers_t *offers);

/* Marks waitlist entry `id` booked with appointment `appointment_id`, with its change. */
int cl_sched_waitlist_mark_booked(cl_tx_t *tx, int64_t id, int64_t appointment_id);

/* ---- schedule_appt.c: steps a series' occurrences share with single appointments ----------- */

/* Fails the job on `field` unless `day` is from today to CL_SCHED_BOOK_AHEAD_DAYS ahead. */
int cl_sched_check_bookable(cl_tx_t *tx, const char *field, cl_date_t day);
/* Fails the job on "minutes" unless `minutes` is 0 (the type's) or 5-480. */
int cl_sched_check_minutes(cl_job_t *job, uint32_t minutes);
/* Fails the job on "minutes" when an appointment ending at `ends_at` runs past `day`'s end. */
int cl_sched_check_same_day(cl_job_t *job, int64_t ends_at, cl_date_t day);

/* Everything one new appointment row holds; borrowed pointers. */
typedef struct {
    const cl_sched_patient_t *patient;
    const Clinic__Provider *provider;
    const Clinic__AppointmentType *type;
    const Clinic__Room *room; /* NULL: none */
    int64_t series_id;        /* 0: none */
    int64_t starts_at, ends_at;
    cl_date_t date;
    const char *reason;
    int overbooked;
} cl_sched_booking_t;

/* Inserts the appointment `b` and its "schedule" change; sets *id. Returns 0 or a status. */
int cl_sched_insert_appointment(cl_tx_t *tx, const cl_sched_booking_t *b, int64_t *id);
/* Reads appointment `id` again (in the job's arena) for the reply of a change it just went
 * through; its absence is CL_EINTERNAL. */
int cl_sched_reload(cl_tx_t *tx, uint64_t id, Clinic__Appointment **out);
/* Appends the audit row of `action` on patient `patient_id`. */
int cl_sched_audit_patient(cl_tx_t *tx, const char *action, uint64_t patient_id);
/* Cancels the scheduled appointment `cur` with `reason` and offers its slot to the waitlist,
 * adding any offer to *offers. */
int cl_sched_cancel_one(cl_tx_t *tx, const Clinic__Appointment *cur, const char *reason,
                        cl_sched_offers_t *offers);

#endif
