/* Recurring series: booking every occurrence of a rule (every N weeks, or the same day every N
 * months) with each one's conflict checks, all or none unless the request skips the conflicting
 * ones, and cancelling a series from a date on. */
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
    SERIES_MAX = 52,
    SERIES_EVERY_MAX = 12,
};

/* ---- series ---------------------------------------------------------------------------------- */

/* A series rule: "weekly:N" or "monthly:N", N 1-12. */
typedef struct {
    int monthly;
    int every;
} rule_t;

static int parse_rule(cl_job_t *job, const char *s, rule_t *out)
{
    const char *num;
    if (strncmp(s, "weekly:", 7) == 0) {
        out->monthly = 0;
        num = s + 7;
    } else if (strncmp(s, "monthly:", 8) == 0) {
        out->monthly = 1;
        num = s + 8;
    } else {
        return cl_job_fail(job, CL_EINVAL, "rule", "rule must be weekly:N or monthly:N");
    }
    int n = 0;
    for (const char *p = num; *p; p++) {
        if (*p < '0' || *p > '9' || n > SERIES_EVERY_MAX)
            return cl_job_fail(job, CL_EINVAL, "rule", "rule must be weekly:N or monthly:N");
        n = n * 10 + (*p - '0');
    }
    if (num[0] == '\0' || n < 1 || n > SERIES_EVERY_MAX)
        return cl_job_fail(job, CL_EINVAL, "rule", "the rule's N must be 1-12");
    out->every = n;
    return 0;
}

/* The i-th occurrence's date: every N weeks, or the same day every N months (the month's last
 * day when it is shorter). */
static cl_date_t occurrence_date(cl_date_t first, const rule_t *r, int i)
{
    if (!r->monthly)
        return cl_date_add(first, 7 * r->every * i);
    int months = first.month - 1 + r->every * i;
    cl_date_t d = {first.year + months / 12, months % 12 + 1, 1};
    cl_date_t next = {d.year + (d.month == 12), d.month % 12 + 1, 1};
    int last = cl_date_add(next, -1).day;
    d.day = first.day < last ? first.day : last;
    return d;
}

/* A series being booked: the request's checked values and the rows it names. */
typedef struct {
    rule_t rule;
    cl_date_t first;
    uint32_t minutes; /* each occurrence's: the request's, else the type's default */
    cl_sched_patient_t patient;
    Clinic__Provider *provider;
    Clinic__AppointmentType *type;
    Clinic__Room *room; /* NULL: none */
    int64_t id;         /* the series row's, once inserted */
} series_t;

/* The refusal of a series, naming each conflicting occurrence's first conflict. */
typedef struct {
    char text[1024];
    size_t used; /* what the whole text needs, more than text holds when it was cut */
} refusal_t;

/* Checks the rule, count, first date, start minute, minutes and reason of a series request,
 * failing the job on the first that is wrong; the first and the last occurrence must both be
 * bookable. */
static int check_series_request(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req,
                                series_t *s)
{
    cl_job_t *job = tx->job;
    int rc;
    if ((rc = parse_rule(job, req->rule, &s->rule)) < 0)
        return rc;
    if (req->count < 1 || req->count > SERIES_MAX)
        return cl_job_fail(job, CL_EINVAL, "count", "count must be 1-52");
    if ((rc = cl_sched_check_date(job, "first_date", req->first_date, &s->first)) < 0)
        return rc;
    if (req->start_minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
    if ((rc = cl_sched_check_minutes(job, req->minutes)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 0, CL_SCHED_REASON_MAX)) < 0 ||
        (rc = cl_sched_check_bookable(tx, "first_date", s->first)) < 0 ||
        (rc = cl_sched_check_bookable(
             tx, "count", occurrence_date(s->first, &s->rule, (int)req->count - 1))) < 0)
        return rc;
    return 0;
}

/* Loads the patient, provider, type and room the request names, failing the job when one is
 * missing or inactive; then, with the type's default length known, checks that an occurrence
 * ends on its day. */
static int load_series_rows(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req,
                            series_t *s)
{
    int rc;
    if ((rc = cl_sched_patient_for_use(tx, "patient_id", (int64_t)req->patient_id, &s->patient)) <
            0 ||
        (rc = cl_sched_provider_for_use(tx, "provider_id", (int64_t)req->provider_id,
                                        &s->provider)) < 0 ||
        (rc = cl_sched_type_for_use(tx, "type_id", (int64_t)req->type_id, &s->type)) < 0)
        return rc;
    if (req->room_id &&
        (rc = cl_sched_room_for_use(tx, "room_id", (int64_t)req->room_id, &s->room)) < 0)
        return rc;
    s->minutes = req->minutes ? req->minutes : s->type->default_minutes;
    int64_t first_end =
        cl_local_instant(s->first, (int)req->start_minute) + (int64_t)s->minutes * 60;
    return cl_sched_check_same_day(tx->job, first_end, s->first);
}

/* Inserts the series row first, since each occurrence carries its id, and sets s->id; a refusal
 * rolls it back. */
static int insert_series(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req, series_t *s)
{
    char first[11];
    cl_date_format(s->first, first);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_SERIES_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, s->patient.id);
    sqlite3_bind_int64(st, 2, (int64_t)s->provider->id);
    sqlite3_bind_int64(st, 3, (int64_t)s->type->id);
    cl_sched_bind_id(st, 4, s->room ? (int64_t)s->room->id : 0);
    sqlite3_bind_text(st, 5, req->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, first, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, (int)req->count);
    sqlite3_bind_int(st, 8, (int)req->start_minute);
    sqlite3_bind_int(st, 9, (int)s->minutes);
    sqlite3_bind_int64(st, 10, tx->now);
    sqlite3_bind_int64(st, 11, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    s->id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return 0;
}

/* Fills *out with the occurrence on `date`: its times and what it conflicts with. */
static int check_occurrence(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req,
                            const series_t *s, cl_date_t date, Clinic__SeriesOccurrence **out)
{
    cl_arena_t *a = &tx->job->arena;
    int64_t start = cl_local_instant(date, (int)req->start_minute);
    Clinic__SeriesOccurrence *o = CL_ARENA_NEW(a, Clinic__SeriesOccurrence);
    clinic__series_occurrence__init(o);
    *out = o;
    o->date = cl_sched_date_str(a, date);
    o->starts_at = start;
    o->ends_at = start + (int64_t)s->minutes * 60;
    cl_sched_proposal_t p = {
        .patient_id = s->patient.id,
        .provider = s->provider,
        .room_id = s->room ? (int64_t)s->room->id : 0,
        .room_name = s->room ? s->room->name : "",
        .starts_at = o->starts_at,
        .ends_at = o->ends_at,
        .date = date,
    };
    cl_sched_conflicts_t c = {0};
    int rc = cl_sched_conflicts(tx, &p, &c);
    if (rc < 0)
        return rc;
    o->conflicts = c.items;
    o->n_conflicts = c.n;
    return 0;
}

/* Appends the `nth` conflicting occurrence `o` to the refusal; the first one opens it. */
static void note_conflict(refusal_t *r, uint32_t nth, const Clinic__SeriesOccurrence *o)
{
    if (nth == 1)
        r->used = (size_t)snprintf(r->text, sizeof(r->text), "cannot book the series: ");
    if (r->used < sizeof(r->text))
        r->used += (size_t)snprintf(r->text + r->used, sizeof(r->text) - r->used, "%s%s: %s",
                                    nth > 1 ? "; " : "", o->date, o->conflicts[0]->detail);
}

/* Inserts occurrence `o`, on `date`, as an appointment of the series. */
static int book_occurrence(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req,
                           const series_t *s, cl_date_t date, Clinic__SeriesOccurrence *o)
{
    cl_sched_booking_t b = {
        .patient = &s->patient,
        .provider = s->provider,
        .type = s->type,
        .room = s->room,
        .series_id = s->id,
        .starts_at = o->starts_at,
        .ends_at = o->ends_at,
        .date = date,
        .reason = req->reason,
    };
    int64_t id;
    int rc = cl_sched_insert_appointment(tx, &b, &id);
    if (rc < 0)
        return rc;
    o->appointment_id = (uint64_t)id;
    return 0;
}

/* Checks each occurrence into the reply and books those without a conflict, counting them in
 * reply->booked; the others count in reply->skipped and go into the refusal. */
static int book_occurrences(cl_tx_t *tx, const Clinic__AppointmentSeriesBookRequest *req,
                            const series_t *s, Clinic__AppointmentSeriesBookReply *reply,
                            refusal_t *refusal)
{
    int rc;
    reply->occurrences = cl_arena_alloc(&tx->job->arena, req->count * sizeof(*reply->occurrences));
    reply->n_occurrences = req->count;
    for (uint32_t i = 0; i < req->count; i++) {
        cl_date_t date = occurrence_date(s->first, &s->rule, (int)i);
        if ((rc = check_occurrence(tx, req, s, date, &reply->occurrences[i])) < 0)
            return rc;
        Clinic__SeriesOccurrence *o = reply->occurrences[i];
        if (o->n_conflicts > 0) {
            note_conflict(refusal, ++reply->skipped, o);
            continue;
        }
        /* Without skip_conflicts one conflict books nothing: stop inserting, go on checking
         * so that the reply lists every occurrence's conflicts. */
        if (reply->skipped > 0 && !req->skip_conflicts)
            continue;
        if ((rc = book_occurrence(tx, req, s, date, o)) < 0)
            return rc;
        reply->booked++;
    }
    return 0;
}

/* Fails the job with CONFLICT and the refusal, cut with "..." when it did not fit. Nothing is
 * kept: the reply must not name rows that roll back. */
static int refuse_series(cl_job_t *job, Clinic__AppointmentSeriesBookReply *reply, refusal_t *r)
{
    for (size_t i = 0; i < reply->n_occurrences; i++)
        reply->occurrences[i]->appointment_id = 0;
    reply->booked = 0;
    if (r->used >= sizeof(r->text))
        memcpy(r->text + sizeof(r->text) - 4, "...", 4);
    return cl_job_fail(job, CL_ECONFLICT, NULL, r->text);
}

int cl_handle_appointment_series_book(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentSeriesBookRequest *req = job->req->appointment_series_book;
    Clinic__AppointmentSeriesBookReply *reply =
        CL_JOB_REPLY(job, Clinic__AppointmentSeriesBookReply);
    series_t s = {0};
    refusal_t refusal = {.used = 0};
    int rc;

    if ((rc = check_series_request(tx, req, &s)) < 0 || (rc = load_series_rows(tx, req, &s)) < 0 ||
        (rc = insert_series(tx, req, &s)) < 0 ||
        (rc = book_occurrences(tx, req, &s, reply, &refusal)) < 0)
        return rc;
    if (reply->skipped > 0 && (!req->skip_conflicts || reply->booked == 0))
        return refuse_series(job, reply, &refusal);
    reply->series_id = (uint64_t)s.id;
    if ((rc = cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, "series", (uint64_t)s.id,
                           CLINIC__CHANGE_OP__CREATED, 0)) < 0)
        return rc;
    return cl_sched_audit_patient(tx, "series.book", (uint64_t)s.patient.id);
}

int cl_handle_appointment_series_cancel(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentSeriesCancelRequest *req = job->req->appointment_series_cancel;
    Clinic__AppointmentSeriesCancelReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__AppointmentSeriesCancelReply);
    clinic__appointment_series_cancel_reply__init(reply);
    cl_arena_t *a = &job->arena;
    cl_date_t from;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, acap = 0;
    int rc;

    if ((rc = cl_sched_check_date(job, "from_date", req->from_date, &from)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 1, CL_SCHED_REASON_MAX)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_SERIES_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->series_id);
    rc = cl_db_step(tx->db, st);
    uint64_t patient_id = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return cl_sched_not_found(job, "series_id", "series", req->series_id);

    /* The ids first: the rows change under the statement that would be reading them. */
    if ((st = cl_sched_stmt(tx, CL_SQ_SERIES_SCHEDULED_FROM)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->series_id);
    sqlite3_bind_int64(st, 2, cl_local_instant(from, 0));
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, ids, n, cap);
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc < 0)
        return rc;
    cl_sched_offers_t offers = {0};
    for (size_t i = 0; i < n; i++) {
        Clinic__Appointment *cur;
        if ((rc = cl_sched_reload(tx, (uint64_t)ids[i], &cur)) < 0 ||
            (rc = cl_sched_cancel_one(tx, cur, req->reason, &offers)) < 0 ||
            (rc = cl_sched_reload(tx, (uint64_t)ids[i], &cur)) < 0)
            return rc;
        CL_ARENA_RESERVE(a, reply->appointments, reply->n_appointments, acap);
        reply->appointments[reply->n_appointments++] = cur;
    }
    reply->offers = offers.items;
    reply->n_offers = offers.n;
    if ((rc = cl_sched_audit_patient(tx, "series.cancel", patient_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_APPOINTMENT_SERIES_CANCEL;
    job->resp.appointment_series_cancel = reply;
    return 0;
}
