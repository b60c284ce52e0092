/* Appointments: booking (with the conflict checks and the permissioned override), moving,
 * cancelling, marking a no-show, reading one, and listing a day's or a provider's or a patient's
 * (recurring series are in schedule_series.c). The store thread runs one handler at a time, so a
 * check and the insert that follows it are atomic: of two requests racing for one slot, the second
 * sees the first's row. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "status.h"
#include "topics.h"

enum {
    LIST_DAYS_MAX = 92,
};

/* ---- shared steps (some the series' too: schedule_int.h) ----------------------------------- */

/* Fails the job on `field` unless `day` is from today to CL_SCHED_BOOK_AHEAD_DAYS ahead. Today
 * counts whole: a walk-in may be entered after its start. */
int cl_sched_check_bookable(cl_tx_t *tx, const char *field, cl_date_t day)
{
    cl_date_t today = cl_sched_today(tx);
    char msg[128], date[11];
    cl_date_format(day, date);
    if (cl_date_cmp(day, today) < 0) {
        snprintf(msg, sizeof(msg), "%s is in the past: book from today on", date);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    if (cl_date_diff(today, day) > CL_SCHED_BOOK_AHEAD_DAYS) {
        snprintf(msg, sizeof(msg), "%s is more than %d days ahead", date, CL_SCHED_BOOK_AHEAD_DAYS);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    return 0;
}

int cl_sched_check_minutes(cl_job_t *job, uint32_t minutes)
{
    if (minutes != 0 && (minutes < CL_SCHED_MINUTES_MIN || minutes > CL_SCHED_MINUTES_MAX))
        return cl_job_fail(job, CL_EINVAL, "minutes", "minutes must be 5-480 (0: the type's)");
    return 0;
}

/* An override needs the overbook permission on top of the request's own. */
static int check_override(cl_job_t *job, int override)
{
    if (override && !cl_auth_allowed(job->who.roles, CL_PERM_OVERBOOK))
        return cl_job_fail(job, CL_EPERM, "override",
                           "booking over a conflict needs the overbook permission");
    return 0;
}

/* An appointment may not run past the end of its day. */
int cl_sched_check_same_day(cl_job_t *job, int64_t ends_at, cl_date_t day)
{
    if (ends_at > cl_local_instant(cl_date_add(day, 1), 0))
        return cl_job_fail(job, CL_EINVAL, "minutes", "the appointment would end after midnight");
    return 0;
}

/* Inserts the appointment and its "schedule" change; sets *id. */
int cl_sched_insert_appointment(cl_tx_t *tx, const cl_sched_booking_t *b, int64_t *id)
{
    char date[11];
    cl_date_format(b->date, date);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_APPT_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, b->patient->id);
    sqlite3_bind_int64(st, 2, (int64_t)b->provider->id);
    cl_sched_bind_id(st, 3, b->room ? (int64_t)b->room->id : 0);
    sqlite3_bind_int64(st, 4, (int64_t)b->type->id);
    cl_sched_bind_id(st, 5, b->series_id);
    sqlite3_bind_text(st, 6, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, b->starts_at);
    sqlite3_bind_int64(st, 8, b->ends_at);
    sqlite3_bind_text(st, 9, b->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, b->overbooked);
    sqlite3_bind_int64(st, 11, tx->now);
    sqlite3_bind_int64(st, 12, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "appointment", (uint64_t)*id,
                        CLINIC__CHANGE_OP__CREATED, 0);
}

/* The appointment `id` for the reply of a change it just went through. */
int cl_sched_reload(cl_tx_t *tx, uint64_t id, Clinic__Appointment **out)
{
    int rc = cl_sched_appointment_get(tx, (int64_t)id, out);
    return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
}

/* Loads the appointment a change names into *out, the reply's field, so that a refusal still
 * carries the current record; fails the job with NOT_FOUND on "id", with CONFLICT on a stale
 * version, and with FAILED_PRECONDITION when it is no longer scheduled (`verb`: "moved",
 * "cancelled", ...). */
static int load_for_change(cl_tx_t *tx, uint64_t id, uint64_t version, const char *verb,
                           Clinic__Appointment **out)
{
    cl_job_t *job = tx->job;
    char what[64], msg[192];
    int rc = cl_sched_appointment_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "appointment", id);
    if (rc < 0)
        return rc;
    snprintf(what, sizeof(what), "appointment %" PRIu64, id);
    if (version != (*out)->version)
        return cl_sched_stale(job, what, version, (*out)->version);
    if (strcmp((*out)->state, CL_SCHED_STATE_SCHEDULED) != 0) {
        snprintf(msg, sizeof(msg),
                 "appointment %" PRIu64 " is %.32s: only a scheduled appointment can be %s", id,
                 (*out)->state, verb);
        return cl_job_fail(job, CL_EPRECOND, "id", msg);
    }
    return 0;
}

/* Moves a scheduled appointment to `to` (cancelled or no_show): the row, its flow event, and
 * its changes on "schedule" and on "board" (a state change the day's board shows). */
static int set_state(cl_tx_t *tx, const Clinic__Appointment *cur, const char *to,
                     const char *reason)
{
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_APPT_SET_STATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (int64_t)cur->version);
    sqlite3_bind_text(st, 6, cur->state, -1, SQLITE_STATIC);
    int rc = cl_db_step_once(tx->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL; /* read at this version and state in this transaction */
    if ((st = cl_sched_stmt(tx, CL_SQ_FLOW_EVENT_INSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_text(st, 2, cur->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "appointment", cur->id,
                           CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_BOARD_NAME, "appointment", cur->id, CLINIC__CHANGE_OP__UPDATED,
                        0);
}

int cl_sched_audit_patient(cl_tx_t *tx, const char *action, uint64_t patient_id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, "patient", patient_id);
}

/* Cancels `cur` and offers its slot to the waitlist. */
int cl_sched_cancel_one(cl_tx_t *tx, const Clinic__Appointment *cur, const char *reason,
                        cl_sched_offers_t *offers)
{
    Clinic__Provider *provider;
    int rc = set_state(tx, cur, CL_SCHED_STATE_CANCELLED, reason);
    if (rc < 0)
        return rc;
    if ((rc = cl_sched_provider_get(tx, (int64_t)cur->provider_id, &provider)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    return cl_sched_offer_freed(tx, provider, cur->starts_at, cur->ends_at, offers);
}

/* ---- book ------------------------------------------------------------------------------------ */

/* Checks the fields of a booking that need no row, failing the job on the first that is wrong;
 * sets b->starts_at and b->date, which must be bookable. */
static int check_book_request(cl_tx_t *tx, const Clinic__AppointmentBookRequest *req,
                              cl_sched_booking_t *b)
{
    cl_job_t *job = tx->job;
    int rc;
    if ((rc = cl_sched_check_start(job, "date", req->date, req->start_minute, req->starts_at,
                                   &b->starts_at, &b->date)) < 0 ||
        (rc = cl_sched_check_minutes(job, req->minutes)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 0, CL_SCHED_REASON_MAX)) < 0 ||
        (rc = check_override(job, req->override)) < 0 ||
        (rc = cl_sched_check_bookable(tx, req->starts_at ? "starts_at" : "date", b->date)) < 0)
        return rc;
    return 0;
}

/* Loads the patient (into *patient, which b->patient points to), provider, type and room the
 * request names, failing the job when one is missing or inactive. */
static int load_booking_rows(cl_tx_t *tx, const Clinic__AppointmentBookRequest *req,
                             cl_sched_patient_t *patient, cl_sched_booking_t *b)
{
    Clinic__Provider *provider;
    Clinic__AppointmentType *type;
    Clinic__Room *room = NULL;
    int rc;
    if ((rc = cl_sched_patient_for_use(tx, "patient_id", (int64_t)req->patient_id, patient)) < 0 ||
        (rc = cl_sched_provider_for_use(tx, "provider_id", (int64_t)req->provider_id, &provider)) <
            0 ||
        (rc = cl_sched_type_for_use(tx, "type_id", (int64_t)req->type_id, &type)) < 0)
        return rc;
    if (req->room_id &&
        (rc = cl_sched_room_for_use(tx, "room_id", (int64_t)req->room_id, &room)) < 0)
        return rc;
    b->patient = patient;
    b->provider = provider;
    b->type = type;
    b->room = room;
    return 0;
}

/* Loads the waitlist entry the booking fills, when the request names one, into *entry; fails
 * the job unless it is the patient's and still waiting or offered. */
static int load_waitlist_entry(cl_tx_t *tx, const Clinic__AppointmentBookRequest *req,
                               int64_t patient_id, Clinic__WaitlistEntry **entry)
{
    cl_job_t *job = tx->job;
    char msg[160];
    if (req->waitlist_id == 0)
        return 0;
    int rc = cl_sched_waitlist_get(tx, (int64_t)req->waitlist_id, entry);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "waitlist_id", "waitlist entry", req->waitlist_id);
    if (rc < 0)
        return rc;
    if ((*entry)->patient_id != (uint64_t)patient_id) {
        snprintf(msg, sizeof(msg), "waitlist entry %" PRIu64 " is for another patient",
                 req->waitlist_id);
        return cl_job_fail(job, CL_EINVAL, "waitlist_id", msg);
    }
    if (strcmp((*entry)->state, "waiting") != 0 && strcmp((*entry)->state, "offered") != 0) {
        snprintf(msg, sizeof(msg), "waitlist entry %" PRIu64 " is %.16s", req->waitlist_id,
                 (*entry)->state);
        return cl_job_fail(job, CL_EPRECOND, "waitlist_id", msg);
    }
    return 0;
}

/* Puts the booking's conflicts in the reply and fails the job on any unless the request
 * overrides them. */
static int check_book_conflicts(cl_tx_t *tx, const Clinic__AppointmentBookRequest *req,
                                const cl_sched_booking_t *b, Clinic__AppointmentBookReply *reply)
{
    cl_sched_proposal_t p = {
        .patient_id = b->patient->id,
        .provider = b->provider,
        .room_id = b->room ? (int64_t)b->room->id : 0,
        .room_name = b->room ? b->room->name : "",
        .starts_at = b->starts_at,
        .ends_at = b->ends_at,
        .date = b->date,
    };
    cl_sched_conflicts_t c = {0};
    int rc = cl_sched_conflicts(tx, &p, &c);
    if (rc < 0)
        return rc;
    reply->conflicts = c.items;
    reply->n_conflicts = c.n;
    if (c.n > 0 && !req->override)
        return cl_sched_conflict_fail(tx->job, "cannot book", &p, &c);
    return 0;
}

int cl_handle_appointment_book(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentBookRequest *req = job->req->appointment_book;
    Clinic__AppointmentBookReply *reply = CL_JOB_REPLY(job, Clinic__AppointmentBookReply);
    cl_sched_patient_t patient;
    Clinic__WaitlistEntry *entry = NULL;
    cl_sched_booking_t b = {.reason = req->reason};
    int64_t id;
    int rc;

    if ((rc = check_book_request(tx, req, &b)) < 0 ||
        (rc = load_booking_rows(tx, req, &patient, &b)) < 0 ||
        (rc = load_waitlist_entry(tx, req, patient.id, &entry)) < 0)
        return rc;
    uint32_t minutes = req->minutes ? req->minutes : b.type->default_minutes;
    b.ends_at = b.starts_at + (int64_t)minutes * 60;
    if ((rc = cl_sched_check_same_day(job, b.ends_at, b.date)) < 0 ||
        (rc = check_book_conflicts(tx, req, &b, reply)) < 0)
        return rc;
    b.overbooked = reply->n_conflicts > 0;
    if ((rc = cl_sched_insert_appointment(tx, &b, &id)) < 0 ||
        (rc = cl_sched_audit_patient(tx, b.overbooked ? "appointment.overbook" : "appointment.book",
                                     (uint64_t)patient.id)) < 0)
        return rc;
    if (entry && (rc = cl_sched_waitlist_mark_booked(tx, (int64_t)entry->id, id)) < 0)
        return rc;
    return cl_sched_reload(tx, (uint64_t)id, &reply->appointment);
}

/* ---- move ------------------------------------------------------------------------------------ */

/* Where and when a move puts an appointment. */
typedef struct {
    int64_t starts_at, ends_at;
    cl_date_t date;
    Clinic__Provider *provider, *old_provider;
    uint64_t room_id;   /* 0: none */
    Clinic__Room *room; /* NULL: none, or the appointment's room unchanged */
} move_t;

/* Checks the fields of a move that need no row, failing the job on the first that is wrong. */
static int check_move_request(cl_job_t *job, const Clinic__AppointmentMoveRequest *req)
{
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0 ||
        (rc = cl_sched_check_minutes(job, req->minutes)) < 0 ||
        (rc = check_override(job, req->override)) < 0)
        return rc;
    if (req->clear_room && req->room_id)
        return cl_job_fail(job, CL_EINVAL, "room_id", "give room_id or clear_room, not both");
    return 0;
}

/* The new start: a new date or instant; a new minute on the same date; or the same. A start
 * that changes must be bookable. */
static int move_start(cl_tx_t *tx, const Clinic__AppointmentMoveRequest *req,
                      const Clinic__Appointment *cur, move_t *m)
{
    cl_job_t *job = tx->job;
    int rc;
    m->starts_at = cur->starts_at;
    m->date = cl_date_of(cur->starts_at);
    if (req->starts_at != 0 || req->date[0] != '\0') {
        if ((rc = cl_sched_check_start(job, "date", req->date, req->start_minute, req->starts_at,
                                       &m->starts_at, &m->date)) < 0)
            return rc;
    } else if (req->start_minute != 0) {
        if (req->start_minute > 1439)
            return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
        m->starts_at = cl_local_instant(m->date, (int)req->start_minute);
        m->date = cl_date_of(m->starts_at);
    }
    if (m->starts_at != cur->starts_at &&
        (rc = cl_sched_check_bookable(tx, req->starts_at ? "starts_at" : "date", m->date)) < 0)
        return rc;
    return 0;
}

/* The provider and room after the move: each the request's when it names another one (which must
 * be usable), else the appointment's; clear_room leaves none. The old provider is kept for the
 * waitlist offer of the freed time. */
static int move_provider_and_room(cl_tx_t *tx, const Clinic__AppointmentMoveRequest *req,
                                  const Clinic__Appointment *cur, move_t *m)
{
    int rc;
    if ((rc = cl_sched_provider_get(tx, (int64_t)cur->provider_id, &m->old_provider)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    m->provider = m->old_provider;
    if (req->provider_id && req->provider_id != cur->provider_id &&
        (rc = cl_sched_provider_for_use(tx, "provider_id", (int64_t)req->provider_id,
                                        &m->provider)) < 0)
        return rc;
    m->room_id = req->clear_room ? 0 : req->room_id ? req->room_id : cur->room_id;
    if (m->room_id && m->room_id != cur->room_id &&
        (rc = cl_sched_room_for_use(tx, "room_id", (int64_t)m->room_id, &m->room)) < 0)
        return rc;
    return 0;
}

/* Puts the move's conflicts in the reply and fails the job on any unless the request overrides
 * them. */
static int check_move_conflicts(cl_tx_t *tx, const Clinic__AppointmentMoveRequest *req,
                                const Clinic__Appointment *cur, const move_t *m,
                                Clinic__AppointmentMoveReply *reply)
{
    cl_sched_proposal_t p = {
        .patient_id = (int64_t)cur->patient_id,
        .provider = m->provider,
        .room_id = (int64_t)m->room_id,
        .room_name = m->room ? m->room->name : cur->room_name,
        .starts_at = m->starts_at,
        .ends_at = m->ends_at,
        .date = m->date,
        .exclude_id = (int64_t)cur->id,
    };
    cl_sched_conflicts_t c = {0};
    int rc = cl_sched_conflicts(tx, &p, &c);
    if (rc < 0)
        return rc;
    reply->conflicts = c.items;
    reply->n_conflicts = c.n;
    if (c.n > 0 && !req->override)
        return cl_sched_conflict_fail(tx->job, "cannot move to", &p, &c);
    return 0;
}

/* Rewrites `cur`'s provider, room and times at the version it was read at, and records its
 * "schedule" change. */
static int update_moved(cl_tx_t *tx, const Clinic__Appointment *cur, const move_t *m,
                        int overbooked)
{
    char date[11];
    cl_date_format(m->date, date);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_APPT_MOVE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_int64(st, 2, (int64_t)m->provider->id);
    cl_sched_bind_id(st, 3, (int64_t)m->room_id);
    sqlite3_bind_text(st, 4, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, m->starts_at);
    sqlite3_bind_int64(st, 6, m->ends_at);
    sqlite3_bind_int(st, 7, overbooked);
    sqlite3_bind_int64(st, 8, (int64_t)cur->version);
    int rc = cl_db_step_once(tx->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "appointment", cur->id,
                        CLINIC__CHANGE_OP__UPDATED, 0);
}

/* What the move left of the old time is free for the waitlist: the offers go in the reply. */
static int offer_old_time(cl_tx_t *tx, const Clinic__Appointment *cur, const move_t *m,
                          Clinic__AppointmentMoveReply *reply)
{
    if (m->provider->id == cur->provider_id && m->starts_at == cur->starts_at &&
        m->ends_at == cur->ends_at)
        return 0;
    cl_sched_offers_t offers = {0};
    int rc = cl_sched_offer_freed(tx, m->old_provider, cur->starts_at, cur->ends_at, &offers);
    if (rc < 0)
        return rc;
    reply->offers = offers.items;
    reply->n_offers = offers.n;
    return 0;
}

int cl_handle_appointment_move(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentMoveRequest *req = job->req->appointment_move;
    Clinic__AppointmentMoveReply *reply = CL_JOB_REPLY(job, Clinic__AppointmentMoveReply);
    Clinic__Appointment *cur;
    move_t m = {0};
    int rc;

    if ((rc = check_move_request(job, req)) < 0 ||
        (rc = load_for_change(tx, req->id, req->version, "moved", &reply->appointment)) < 0)
        return rc;
    cur = reply->appointment;
    if ((rc = move_start(tx, req, cur, &m)) < 0 ||
        (rc = move_provider_and_room(tx, req, cur, &m)) < 0)
        return rc;
    m.ends_at = m.starts_at + (int64_t)(req->minutes ? req->minutes : cur->minutes) * 60;
    if ((rc = cl_sched_check_same_day(job, m.ends_at, m.date)) < 0 ||
        (rc = check_move_conflicts(tx, req, cur, &m, reply)) < 0)
        return rc;
    int overbooked = reply->n_conflicts > 0;
    if ((rc = update_moved(tx, cur, &m, overbooked)) < 0 ||
        (rc = cl_sched_audit_patient(tx, overbooked ? "appointment.overbook" : "appointment.move",
                                     cur->patient_id)) < 0 ||
        (rc = offer_old_time(tx, cur, &m, reply)) < 0)
        return rc;
    return cl_sched_reload(tx, cur->id, &reply->appointment);
}

/* ---- cancel, no-show, get -------------------------------------------------------------------- */

int cl_handle_appointment_cancel(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentCancelRequest *req = job->req->appointment_cancel;
    Clinic__AppointmentCancelReply *reply = CL_JOB_REPLY(job, Clinic__AppointmentCancelReply);
    Clinic__Appointment *cur;
    int rc;

    if ((rc = cl_sched_check_version(job, req->version)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 1, CL_SCHED_REASON_MAX)) < 0)
        return rc;
    if ((rc = load_for_change(tx, req->id, req->version, "cancelled", &reply->appointment)) < 0)
        return rc;
    cur = reply->appointment;
    cl_sched_offers_t offers = {0};
    if ((rc = cl_sched_cancel_one(tx, cur, req->reason, &offers)) < 0)
        return rc;
    reply->offers = offers.items;
    reply->n_offers = offers.n;
    if ((rc = cl_sched_audit_patient(tx, "appointment.cancel", cur->patient_id)) < 0)
        return rc;
    return cl_sched_reload(tx, cur->id, &reply->appointment);
}

int cl_handle_appointment_no_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentNoShowRequest *req = job->req->appointment_no_show;
    Clinic__AppointmentNoShowReply *reply = CL_JOB_REPLY(job, Clinic__AppointmentNoShowReply);
    Clinic__Appointment *cur;
    char msg[160], span[64];
    int rc;

    if ((rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    if ((rc = load_for_change(tx, req->id, req->version, "marked a no-show", &reply->appointment)) <
        0)
        return rc;
    cur = reply->appointment;
    if (tx->now < cur->starts_at) {
        cl_date_t day = cl_date_of(cur->starts_at);
        cl_sched_span(cur->starts_at, cur->ends_at, day, span, sizeof(span));
        snprintf(msg, sizeof(msg),
                 "appointment %" PRIu64 " is at %s on %.10s: not a no-show before it starts",
                 cur->id, span, cur->date);
        return cl_job_fail(job, CL_EPRECOND, "id", msg);
    }
    if ((rc = set_state(tx, cur, CL_SCHED_STATE_NO_SHOW, "")) < 0 ||
        (rc = cl_sched_audit_patient(tx, "appointment.no_show", cur->patient_id)) < 0)
        return rc;
    return cl_sched_reload(tx, cur->id, &reply->appointment);
}

int cl_handle_appointment_get(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentGetRequest *req = job->req->appointment_get;
    Clinic__AppointmentGetReply *reply = CL_ARENA_NEW(&job->arena, Clinic__AppointmentGetReply);
    clinic__appointment_get_reply__init(reply);
    int rc = cl_sched_appointment_get(tx, (int64_t)req->id, &reply->appointment);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "appointment", req->id);
    if (rc < 0)
        return rc;
    if ((rc = cl_sched_audit_patient(tx, "appointment.read", reply->appointment->patient_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_APPOINTMENT_GET;
    job->resp.appointment_get = reply;
    return 0;
}

/* ---- list ------------------------------------------------------------------------------------ */

/* The statement a list request runs: by patient (with the provider as a filter), by provider,
 * else by date; each walks its own index in start order. */
static cl_sched_q_t list_query(const Clinic__AppointmentListRequest *req)
{
    if (req->patient_id)
        return CL_SQ_APPT_LIST_PATIENT;
    return req->provider_id ? CL_SQ_APPT_LIST_PROVIDER : CL_SQ_APPT_LIST_DATE;
}

int cl_handle_appointment_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentListRequest *req = job->req->appointment_list;
    Clinic__AppointmentListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__AppointmentListReply);
    clinic__appointment_list_reply__init(reply);
    cl_date_t from = {0}, to = {0};
    char a[11], b[11];
    size_t cap = 0;
    int rc, dated = req->from_date[0] != '\0' || req->to_date[0] != '\0';

    if (req->patient_id == 0 || dated) {
        if ((rc = cl_sched_check_date(job, "from_date", req->from_date, &from)) < 0 ||
            (rc = cl_sched_check_date_or(job, "to_date", req->to_date, from, &to)) < 0)
            return rc;
        if (cl_date_cmp(to, from) < 0)
            return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
        if (req->patient_id == 0 && cl_date_diff(from, to) >= LIST_DAYS_MAX)
            return cl_job_fail(job, CL_EINVAL, "to_date", "at most 92 days at once");
    }
    /* A patient's whole history when no dates are given. */
    int64_t lo = dated ? cl_local_instant(from, 0) : INT64_MIN;
    int64_t hi = dated ? cl_local_instant(cl_date_add(to, 1), 0) : INT64_MAX;
    cl_sched_q_t q = list_query(req);
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    if (q == CL_SQ_APPT_LIST_DATE) {
        cl_date_format(from, a);
        cl_date_format(to, b);
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, req->include_cancelled ? 1 : 0);
        sqlite3_bind_int(st, 4, CL_SCHED_LIST_MAX + 1);
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)(req->patient_id ? req->patient_id : req->provider_id));
        sqlite3_bind_int64(st, 2, lo);
        sqlite3_bind_int64(st, 3, hi);
        sqlite3_bind_int(st, 4, req->include_cancelled ? 1 : 0);
        sqlite3_bind_int(st, 5, CL_SCHED_LIST_MAX + 1);
        if (q == CL_SQ_APPT_LIST_PATIENT)
            sqlite3_bind_int64(st, 6, (int64_t)req->provider_id);
    }
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        if (reply->n_appointments == CL_SCHED_LIST_MAX) {
            reply->truncated = 1;
            sqlite3_reset(st);
            rc = 0;
            break;
        }
        CL_ARENA_RESERVE(&job->arena, reply->appointments, reply->n_appointments, cap);
        reply->appointments[reply->n_appointments++] =
            cl_sched_appointment_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    /* Patients' names and reasons are patient data: one audit row, naming the patient when
     * the list is one patient's. */
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "appointment.list",
                              req->patient_id ? "patient" : "appointment", req->patient_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_APPOINTMENT_LIST;
    job->resp.appointment_list = reply;
    return 0;
}
