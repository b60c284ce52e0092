/* The schedule's setup of when: the clinic's hours per weekday, holidays, and blocks of a
 * provider's or a room's time (lunch, meetings, vacation). Each change appends one audit row and
 * one "schedule" change; a stale version gets CONFLICT with the current record in the reply. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "status.h"

enum {
    REASON_BLOCK_MAX = 200,
    BLOCK_DAYS_MAX = 366,
    LIST_DAYS_MAX = 366,
};

/* ---- clinic hours and holidays --------------------------------------------------------------- */

static Clinic__ClinicDay *day_new(cl_arena_t *a, uint32_t weekday)
{
    Clinic__ClinicDay *d = CL_ARENA_NEW(a, Clinic__ClinicDay);
    clinic__clinic_day__init(d);
    d->weekday = weekday;
    return d;
}

static void day_from_row(Clinic__ClinicDay *d, sqlite3_stmt *st)
{
    d->open_minute = (uint32_t)sqlite3_column_int(st, 1);
    d->close_minute = (uint32_t)sqlite3_column_int(st, 2);
    d->open = sqlite3_column_int(st, 3) == 0;
    d->version = (uint64_t)sqlite3_column_int64(st, 4);
}

/* The clinic's hours on `weekday` (version 0 when never set). */
static int day_get(cl_tx_t *tx, uint32_t weekday, Clinic__ClinicDay **out)
{
    Clinic__ClinicDay *d = day_new(&tx->job->arena, weekday);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOURS_DAY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, (int)weekday);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        day_from_row(d, st);
    sqlite3_reset(st);
    *out = d;
    return rc < 0 ? rc : 0;
}

int cl_handle_clinic_hours_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ClinicHoursSetRequest *req = job->req->clinic_hours_set;
    Clinic__ClinicDay *cur;
    char what[64];
    int rc;
    if (req->weekday > 6)
        return cl_job_fail(job, CL_EINVAL, "weekday", "weekday must be 0 (Sunday) to 6");
    if (req->open && req->open_minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "open_minute", "open_minute must be 0-1439");
    if (req->open && (req->close_minute <= req->open_minute || req->close_minute > 1440))
        return cl_job_fail(job, CL_EINVAL, "close_minute",
                           "close_minute must be after open_minute, by 1440 (24:00)");
    if ((rc = day_get(tx, req->weekday, &cur)) < 0)
        return rc;
    Clinic__ClinicHoursSetReply *reply = CL_JOB_REPLY(job, Clinic__ClinicHoursSetReply);
    reply->day = cur;
    snprintf(what, sizeof(what), "the clinic's hours on %ss",
             cl_sched_weekday_name((int)req->weekday));
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);

    /* A closed day keeps the hours it had, so that reopening it shows them again. */
    uint32_t open = req->open ? req->open_minute : cur->open_minute;
    uint32_t close = req->open ? req->close_minute : cur->close_minute;
    sqlite3_stmt *st = cl_sched_stmt(tx, cur->version ? CL_SQ_HOURS_UPDATE : CL_SQ_HOURS_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, (int)req->weekday);
    sqlite3_bind_int(st, 2, (int)open);
    sqlite3_bind_int(st, 3, (int)close);
    sqlite3_bind_int(st, 4, req->open ? 0 : 1);
    if (cur->version)
        sqlite3_bind_int64(st, 5, (int64_t)cur->version);
    rc = cl_db_step_once(tx->db, st);
    if (rc < 0)
        return rc;
    if (cur->version && rc == 0)
        return CL_EINTERNAL;
    if ((rc = cl_sched_setup_changed(tx, "clinic_hours.set", "clinic_hours", req->weekday,
                                     CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return day_get(tx, req->weekday, &reply->day);
}

int cl_handle_clinic_hours_list(cl_tx_t *tx, cl_job_t *job)
{
    Clinic__ClinicHoursListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ClinicHoursListReply);
    clinic__clinic_hours_list_reply__init(reply);
    reply->days = cl_arena_alloc(&job->arena, 7 * sizeof(*reply->days));
    reply->n_days = 7;
    for (uint32_t i = 0; i < 7; i++)
        reply->days[i] = day_new(&job->arena, i);
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOURS_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int weekday = sqlite3_column_int(st, 0);
        if (weekday >= 0 && weekday < 7)
            day_from_row(reply->days[weekday], st);
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_CLINIC_HOURS_LIST;
    job->resp.clinic_hours_list = reply;
    return 0;
}

/* A holiday's id in the change feed and the audit log: its date as the number YYYYMMDD. */
static uint64_t holiday_id(cl_date_t d)
{
    return (uint64_t)d.year * 10000u + (uint64_t)d.month * 100u + (uint64_t)d.day;
}

int cl_handle_holiday_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__HolidayAddRequest *req = job->req->holiday_add;
    cl_date_t d;
    char date[11], msg[96];
    int rc;
    if ((rc = cl_sched_check_date(job, "date", req->date, &d)) < 0 ||
        (rc = cl_sched_check_text(job, "name", req->name, 1, CL_SCHED_NAME_MAX)) < 0)
        return rc;
    cl_date_format(d, date);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    rc = cl_db_step_once(tx->db, st);
    if (rc == CL_EEXIST) {
        snprintf(msg, sizeof(msg), "%s is already a holiday", date);
        return cl_job_fail(job, CL_EEXIST, "date", msg);
    }
    if (rc < 0)
        return rc;
    Clinic__HolidayAddReply *reply = CL_ARENA_NEW(&job->arena, Clinic__HolidayAddReply);
    clinic__holiday_add_reply__init(reply);
    if ((st = cl_sched_stmt(tx, CL_SQ_APPT_COUNT_ON_DATE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    if ((rc = cl_db_step(tx->db, st)) == 1)
        reply->appointments = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if ((rc = cl_sched_setup_changed(tx, "holiday.add", "holiday", holiday_id(d),
                                     CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    reply->holiday = CL_ARENA_NEW(&job->arena, Clinic__Holiday);
    clinic__holiday__init(reply->holiday);
    reply->holiday->date = cl_arena_strdup(&job->arena, date);
    reply->holiday->name = cl_arena_strdup(&job->arena, req->name);
    job->resp.result_case = CLINIC__RESPONSE__RESULT_HOLIDAY_ADD;
    job->resp.holiday_add = reply;
    return 0;
}

int cl_handle_holiday_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__HolidayListRequest *req = job->req->holiday_list;
    Clinic__HolidayListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__HolidayListReply);
    clinic__holiday_list_reply__init(reply);
    cl_date_t from, to;
    char a[11], b[11];
    size_t cap = 0;
    int rc;
    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, cl_sched_today(tx), &from)) <
            0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date, cl_date_add(from, 365), &to)) <
            0)
        return rc;
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    cl_date_format(from, a);
    cl_date_format(to, b);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_RANGE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__Holiday *h = CL_ARENA_NEW(&job->arena, Clinic__Holiday);
        clinic__holiday__init(h);
        h->date = cl_arena_strdup(&job->arena, cl_db_text(st, 0));
        h->name = cl_arena_strdup(&job->arena, cl_db_text(st, 1));
        CL_ARENA_RESERVE(&job->arena, reply->holidays, reply->n_holidays, cap);
        reply->holidays[reply->n_holidays++] = h;
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_HOLIDAY_LIST;
    job->resp.holiday_list = reply;
    return 0;
}

int cl_handle_holiday_remove(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__HolidayRemoveRequest *req = job->req->holiday_remove;
    cl_date_t d;
    char date[11], msg[64];
    int rc;
    if ((rc = cl_sched_check_date(job, "date", req->date, &d)) < 0)
        return rc;
    cl_date_format(d, date);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_DELETE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    if (rc == 0) {
        snprintf(msg, sizeof(msg), "%s is not a holiday", date);
        return cl_job_fail(job, CL_ENOTFOUND, "date", msg);
    }
    if ((rc = cl_sched_setup_changed(tx, "holiday.remove", "holiday", holiday_id(d),
                                     CLINIC__CHANGE_OP__DELETED)) < 0)
        return rc;
    cl_job_reply_new(job, sizeof(Clinic__HolidayRemoveReply)); /* an empty reply */
    return 0;
}

/* ---- blocks ---------------------------------------------------------------------------------- */

/* The block's span from the request: instants, or local dates and minutes. */
static int block_span(cl_job_t *job, const Clinic__BlockAddRequest *req, int64_t *from, int64_t *to)
{
    int rc;
    if (req->starts_at != 0 || req->ends_at != 0) {
        if (req->date[0] != '\0' || req->end_date[0] != '\0')
            return cl_job_fail(job, CL_EINVAL, "date",
                               "give either dates and minutes, or starts_at and ends_at");
        *from = req->starts_at;
        *to = req->ends_at;
        if (*from <= 0 || *from % 60 != 0)
            return cl_job_fail(job, CL_EINVAL, "starts_at",
                               "starts_at must be a positive instant on a whole minute");
        if (*to % 60 != 0)
            return cl_job_fail(job, CL_EINVAL, "ends_at", "ends_at must be on a whole minute");
    } else {
        cl_date_t d, e;
        if ((rc = cl_sched_check_date(job, "date", req->date, &d)) < 0 ||
            (rc = cl_sched_check_date_or(job, "end_date", req->end_date, d, &e)) < 0)
            return rc;
        if (req->start_minute > 1439)
            return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
        if (req->end_minute > 1440)
            return cl_job_fail(job, CL_EINVAL, "end_minute", "end_minute must be 0-1440");
        *from = cl_local_instant(d, (int)req->start_minute);
        *to = cl_local_instant(e, (int)req->end_minute);
    }
    if (*to <= *from)
        return cl_job_fail(job, CL_EINVAL, req->starts_at ? "ends_at" : "end_minute",
                           "a block must end after it starts");
    if (*to - *from > (int64_t)BLOCK_DAYS_MAX * 86400)
        return cl_job_fail(job, CL_EINVAL, req->starts_at ? "ends_at" : "end_date",
                           "a block is at most 366 days long");
    return 0;
}

int cl_handle_block_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__BlockAddRequest *req = job->req->block_add;
    Clinic__Provider *provider = NULL;
    Clinic__Room *room = NULL;
    int64_t from = 0, to = 0;
    int rc;
    if ((req->provider_id == 0) == (req->room_id == 0))
        return cl_job_fail(job, CL_EINVAL, "provider_id",
                           "a block is for one provider or one room: give exactly one of "
                           "provider_id and room_id");
    if ((rc = block_span(job, req, &from, &to)) < 0 ||
        (rc = cl_sched_check_text(job, "reason", req->reason, 1, REASON_BLOCK_MAX)) < 0)
        return rc;
    if (req->provider_id && (rc = cl_sched_provider_for_use(
                                 tx, "provider_id", (int64_t)req->provider_id, &provider)) < 0)
        return rc;
    if (req->room_id &&
        (rc = cl_sched_room_for_use(tx, "room_id", (int64_t)req->room_id, &room)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_BLOCK_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    cl_sched_bind_id(st, 1, (int64_t)req->provider_id);
    cl_sched_bind_id(st, 2, (int64_t)req->room_id);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    sqlite3_bind_text(st, 5, req->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;

    Clinic__BlockAddReply *reply = CL_ARENA_NEW(&job->arena, Clinic__BlockAddReply);
    clinic__block_add_reply__init(reply);
    /* Appointments already inside stay booked: the reply lists them so they can be moved. */
    cl_sched_conflicts_t inside = {0};
    if ((rc = cl_sched_appointments_within(tx, (int64_t)req->provider_id, (int64_t)req->room_id,
                                           from, to, &inside)) < 0)
        return rc;
    reply->overlapping = inside.items;
    reply->n_overlapping = inside.n;
    if ((rc = cl_sched_setup_changed(tx, "block.add", "block", (uint64_t)id,
                                     CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    if ((rc = cl_sched_block_get(tx, id, &reply->block)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_BLOCK_ADD;
    job->resp.block_add = reply;
    return 0;
}

int cl_handle_block_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__BlockListRequest *req = job->req->block_list;
    Clinic__BlockListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__BlockListReply);
    clinic__block_list_reply__init(reply);
    cl_date_t from, to;
    size_t cap = 0;
    int rc;
    if (req->id != 0) {
        reply->blocks = cl_arena_alloc(&job->arena, sizeof(*reply->blocks));
        rc = cl_sched_block_get(tx, (int64_t)req->id, &reply->blocks[0]);
        if (rc == CL_ENOTFOUND)
            return cl_sched_not_found(job, "id", "block", req->id);
        if (rc < 0)
            return rc;
        reply->n_blocks = 1;
        job->resp.result_case = CLINIC__RESPONSE__RESULT_BLOCK_LIST;
        job->resp.block_list = reply;
        return 0;
    }
    if (req->provider_id && req->room_id)
        return cl_job_fail(job, CL_EINVAL, "room_id", "give provider_id or room_id, not both");
    if ((rc = cl_sched_check_date_or(job, "from_date", req->from_date, cl_sched_today(tx), &from)) <
            0 ||
        (rc = cl_sched_check_date_or(job, "to_date", req->to_date, cl_date_add(from, 30), &to)) < 0)
        return rc;
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "to_date", "to_date is before from_date");
    if (cl_date_diff(from, to) >= LIST_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "to_date", "at most 366 days at once");
    int64_t a = cl_local_instant(from, 0), b = cl_local_instant(cl_date_add(to, 1), 0);
    sqlite3_stmt *st;
    if (req->provider_id || req->room_id) {
        st =
            cl_sched_stmt(tx, req->provider_id ? CL_SQ_BLOCK_LIST_PROVIDER : CL_SQ_BLOCK_LIST_ROOM);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)(req->provider_id ? req->provider_id : req->room_id));
        sqlite3_bind_int64(st, 2, a);
        sqlite3_bind_int64(st, 3, b);
        sqlite3_bind_int(st, 4, req->include_cancelled ? 1 : 0);
    } else {
        if ((st = cl_sched_stmt(tx, CL_SQ_BLOCK_LIST_ALL)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        sqlite3_bind_int(st, 3, req->include_cancelled ? 1 : 0);
    }
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->blocks, reply->n_blocks, cap);
        reply->blocks[reply->n_blocks++] = cl_sched_block_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_BLOCK_LIST;
    job->resp.block_list = reply;
    return 0;
}

int cl_handle_block_cancel(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__BlockCancelRequest *req = job->req->block_cancel;
    Clinic__Block *cur;
    char what[64];
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_block_get(tx, (int64_t)req->id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "block", req->id);
    if (rc < 0)
        return rc;
    Clinic__BlockCancelReply *reply = CL_JOB_REPLY(job, Clinic__BlockCancelReply);
    reply->block = cur;
    snprintf(what, sizeof(what), "block %" PRIu64, req->id);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);
    if (cur->cancelled)
        return cl_job_fail(job, CL_EPRECOND, "id", "the block is already cancelled");
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_BLOCK_CANCEL);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_int64(st, 2, (int64_t)req->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_sched_setup_changed(tx, "block.cancel", "block", req->id,
                                     CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_sched_block_get(tx, (int64_t)req->id, &reply->block);
}
