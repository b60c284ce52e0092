/* The schedule's setup of who and where: providers and their weekly templates, rooms and
 * appointment types; plus the request checks every schedule handler shares. Each change bumps the
 * row's version, appends one audit row and one "schedule" change; a stale version gets CONFLICT
 * with the current record in the reply. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "status.h"
#include "topics.h"

enum { HOURS_RANGES_MAX = 56 };

#define DEFAULT_COLOR "#4a90d9"

/* ---- checks shared by the schedule's handlers ------------------------------------------------ */

int cl_sched_check_text(cl_job_t *job, const char *field, const char *s, size_t min, size_t max)
{
    char msg[160];
    size_t n = strlen(s);
    if (n < min) {
        snprintf(msg, sizeof(msg), "%s is required", field);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    if (n > max) {
        snprintf(msg, sizeof(msg), "%s is longer than %zu bytes", field, max);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    if (!cl_utf8_valid(s, n) || cl_text_has_control(s, n)) {
        snprintf(msg, sizeof(msg), "%s must be UTF-8 text without control characters", field);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    return 0;
}

int cl_sched_check_date(cl_job_t *job, const char *field, const char *s, cl_date_t *out)
{
    char msg[160];
    if (s[0] == '\0') {
        snprintf(msg, sizeof(msg), "%s is required (YYYY-MM-DD)", field);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    if (cl_date_parse(s, out) != 0) {
        snprintf(msg, sizeof(msg), "%s must be a real date as YYYY-MM-DD", field);
        return cl_job_fail(job, CL_EINVAL, field, msg);
    }
    return 0;
}

int cl_sched_check_date_or(cl_job_t *job, const char *field, const char *s, cl_date_t dflt,
                           cl_date_t *out)
{
    if (s[0] == '\0') {
        *out = dflt;
        return 0;
    }
    return cl_sched_check_date(job, field, s, out);
}

int cl_sched_check_start(cl_job_t *job, const char *date_field, const char *date, uint32_t minute,
                         int64_t starts_at, int64_t *start, cl_date_t *day)
{
    int rc;
    if (starts_at != 0) {
        if (date[0] != '\0')
            return cl_job_fail(job, CL_EINVAL, date_field,
                               "give either a date and start_minute, or starts_at");
        if (starts_at < 0 || starts_at % 60 != 0)
            return cl_job_fail(job, CL_EINVAL, "starts_at",
                               "starts_at must be a positive instant on a whole minute");
        *start = starts_at;
        *day = cl_date_of(starts_at);
        return 0;
    }
    cl_date_t d;
    if ((rc = cl_sched_check_date(job, date_field, date, &d)) < 0)
        return rc;
    if (minute > 1439)
        return cl_job_fail(job, CL_EINVAL, "start_minute", "start_minute must be 0-1439");
    *start = cl_local_instant(d, (int)minute);
    *day = cl_date_of(*start);
    return 0;
}

int cl_sched_check_version(cl_job_t *job, uint64_t version)
{
    if (version == 0)
        return cl_job_fail(job, CL_EINVAL, "version", "version is required: the version read");
    return 0;
}

int cl_sched_stale(cl_job_t *job, const char *what, uint64_t sent, uint64_t current)
{
    char msg[256];
    snprintf(msg, sizeof(msg),
             "%.160s was changed by someone else: version %" PRIu64 " is stale, the current "
             "version is %" PRIu64,
             what, sent, current);
    return cl_job_fail(job, CL_ECONFLICT, "version", msg);
}

int cl_sched_not_found(cl_job_t *job, const char *field, const char *what, uint64_t id)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "no %s with id %" PRIu64, what, id);
    return cl_job_fail(job, CL_ENOTFOUND, field, msg);
}

void cl_sched_hhmm(int minute, char out[6])
{
    if (minute < 0 || minute > 1440)
        minute = 0;
    snprintf(out, 6, "%02u:%02u", (unsigned)(minute / 60) % 100u, (unsigned)(minute % 60));
}

void cl_sched_span(int64_t from, int64_t to, cl_date_t day, char *out, size_t outlen)
{
    char a[6], b[6];
    cl_date_t fd = cl_date_of(from), td = cl_date_of(to);
    int end_minute = cl_local_minute(to);
    /* An end at midnight reads as 24:00 of the day before. */
    if (end_minute == 0 && to > from) {
        td = cl_date_of(to - 1);
        end_minute = 1440;
    }
    cl_sched_hhmm(cl_local_minute(from), a);
    cl_sched_hhmm(end_minute, b);
    if (cl_date_cmp(fd, day) == 0 && cl_date_cmp(td, day) == 0) {
        snprintf(out, outlen, "%s-%s", a, b);
        return;
    }
    char fs[11], ts[11];
    cl_date_format(fd, fs);
    cl_date_format(td, ts);
    snprintf(out, outlen, "%s %s-%s %s", fs, a, ts, b);
}

const char *cl_sched_weekday_name(int weekday)
{
    static const char *const names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};
    return weekday >= 0 && weekday < 7 ? names[weekday] : "?";
}

char *cl_sched_date_str(cl_arena_t *a, cl_date_t d)
{
    char *s = cl_arena_alloc(a, 11);
    cl_date_format(d, s);
    return s;
}

cl_date_t cl_sched_today(const cl_tx_t *tx)
{
    return cl_date_of(tx->now);
}

int cl_sched_setup_changed(cl_tx_t *tx, const char *action, const char *entity, uint64_t id,
                           Clinic__ChangeOp op)
{
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, entity, id);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_SCHEDULE_NAME, entity, id, op, 0);
}

/* A name that is taken: CONFLICT on "name". */
static int name_taken(cl_job_t *job, const char *what, const char *name)
{
    char msg[224];
    snprintf(msg, sizeof(msg), "a %s named %.128s exists", what, name);
    return cl_job_fail(job, CL_EEXIST, "name", msg);
}

/* Runs `st`, the insert (*id 0: RETURNING the new id, set into *id) or the update (*id the row's)
 * of a setup row with a unique name: CONFLICT on "name" when another row has it; then the
 * row's audit row `action` and its "schedule" change. */
static int write_named(cl_tx_t *tx, sqlite3_stmt *st, const char *what, const char *name,
                       const char *action, const char *entity, int64_t *id)
{
    int created = *id == 0;
    int rc = cl_db_step(tx->db, st);
    if (rc == 1 && created)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == CL_EEXIST)
        return name_taken(tx->job, what, name);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return cl_sched_setup_changed(tx, action, entity, (uint64_t)*id,
                                  created ? CLINIC__CHANGE_OP__CREATED
                                          : CLINIC__CHANGE_OP__UPDATED);
}

/* ---- providers ------------------------------------------------------------------------------- */

/* Resolves the clinician login a provider links to ("" for none) into *user_id (0 for none),
 * checking that it exists, is active, is a clinician and is not linked to another provider. */
static int provider_user(cl_tx_t *tx, const char *username, int64_t provider_id, int64_t *user_id)
{
    cl_job_t *job = tx->job;
    char msg[256];
    *user_id = 0;
    if (username[0] == '\0')
        return 0;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_USER_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    uint32_t roles = rc == 1 ? (uint32_t)sqlite3_column_int64(st, 1) : 0;
    int disabled = rc == 1 ? sqlite3_column_int(st, 2) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(msg, sizeof(msg), "no user named %.32s", username);
        return cl_job_fail(job, CL_ENOTFOUND, "username", msg);
    }
    if (disabled) {
        snprintf(msg, sizeof(msg), "user %.32s is disabled", username);
        return cl_job_fail(job, CL_EPRECOND, "username", msg);
    }
    if (!(roles & CL_ROLE_clinician)) {
        snprintf(msg, sizeof(msg), "user %.32s is not a clinician", username);
        return cl_job_fail(job, CL_EPRECOND, "username", msg);
    }
    if ((st = cl_sched_stmt(tx, CL_SQ_PROVIDER_BY_USER)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, provider_id);
    rc = cl_db_step(tx->db, st);
    if (rc == 1)
        snprintf(msg, sizeof(msg), "user %.32s is already linked to provider %.128s", username,
                 cl_db_text(st, 1));
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return cl_job_fail(job, CL_EEXIST, "username", msg);
    *user_id = id;
    return 0;
}

static int check_provider_fields(cl_job_t *job, const char *name, const char *specialty)
{
    int rc;
    if ((rc = cl_sched_check_text(job, "name", name, 1, CL_SCHED_NAME_MAX)) < 0)
        return rc;
    return cl_sched_check_text(job, "specialty", specialty, 0, CL_SCHED_NAME_MAX);
}

int cl_handle_provider_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ProviderAddRequest *req = job->req->provider_add;
    int64_t user_id;
    int rc;
    if ((rc = check_provider_fields(job, req->name, req->specialty)) < 0)
        return rc;
    if ((rc = provider_user(tx, req->username, 0, &user_id)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    cl_sched_bind_id(st, 1, user_id);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, req->specialty, -1, SQLITE_STATIC);
    int64_t id = 0;
    if ((rc = write_named(tx, st, "provider", req->name, "provider.add", "provider", &id)) < 0)
        return rc;
    Clinic__Provider *provider;
    if ((rc = cl_sched_provider_get(tx, id, &provider)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__ProviderAddReply)->provider = provider;
    return 0;
}

int cl_handle_provider_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ProviderEditRequest *req = job->req->provider_edit;
    Clinic__Provider *cur;
    char what[160];
    int64_t user_id;
    int rc;
    if ((rc = check_provider_fields(job, req->name, req->specialty)) < 0 ||
        (rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_provider_get(tx, (int64_t)req->id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "provider", req->id);
    if (rc < 0)
        return rc;
    Clinic__ProviderEditReply *reply = CL_JOB_REPLY(job, Clinic__ProviderEditReply);
    reply->provider = cur;
    snprintf(what, sizeof(what), "provider %.128s", cur->name);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);
    if ((rc = provider_user(tx, req->username, (int64_t)req->id, &user_id)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, req->specialty, -1, SQLITE_STATIC);
    cl_sched_bind_id(st, 4, user_id);
    sqlite3_bind_int(st, 5, req->active ? 1 : 0);
    sqlite3_bind_int64(st, 6, (int64_t)req->version);
    int64_t id = (int64_t)req->id;
    if ((rc = write_named(tx, st, "provider", req->name, "provider.edit", "provider", &id)) < 0)
        return rc;
    return cl_sched_provider_get(tx, (int64_t)req->id, &reply->provider);
}

int cl_handle_provider_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ProviderListRequest *req = job->req->provider_list;
    Clinic__ProviderListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__ProviderListReply);
    clinic__provider_list_reply__init(reply);
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_inactive ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->providers, reply->n_providers, cap);
        reply->providers[reply->n_providers++] = cl_sched_provider_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    /* A clinic has a handful of providers: one indexed read of each template. */
    for (size_t i = 0; i < reply->n_providers; i++)
        if ((rc = cl_sched_provider_load_hours(tx, reply->providers[i])) < 0)
            return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_PROVIDER_LIST;
    job->resp.provider_list = reply;
    return 0;
}

/* Checks a weekly template: weekdays 0-6, 0 <= start < end <= 1440, ranges of one weekday not
 * overlapping. */
static int check_hours(cl_job_t *job, Clinic__ProviderHours **hours, size_t n)
{
    char msg[160];
    if (n > HOURS_RANGES_MAX)
        return cl_job_fail(job, CL_EINVAL, "hours", "at most 56 ranges in a week");
    for (size_t i = 0; i < n; i++) {
        const Clinic__ProviderHours *h = hours[i];
        if (h->weekday > 6)
            return cl_job_fail(job, CL_EINVAL, "hours", "weekday must be 0 (Sunday) to 6");
        if (h->start_minute >= h->end_minute || h->end_minute > 1440) {
            snprintf(msg, sizeof(msg), "a range on %s must start before it ends, by 24:00",
                     cl_sched_weekday_name((int)h->weekday));
            return cl_job_fail(job, CL_EINVAL, "hours", msg);
        }
        for (size_t k = 0; k < i; k++) {
            const Clinic__ProviderHours *o = hours[k];
            if (o->weekday == h->weekday && o->start_minute < h->end_minute &&
                h->start_minute < o->end_minute) {
                snprintf(msg, sizeof(msg), "two ranges on %s overlap",
                         cl_sched_weekday_name((int)h->weekday));
                return cl_job_fail(job, CL_EINVAL, "hours", msg);
            }
        }
    }
    return 0;
}

int cl_handle_provider_hours_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ProviderHoursSetRequest *req = job->req->provider_hours_set;
    Clinic__Provider *cur;
    char what[160];
    int rc;
    if ((rc = check_hours(job, req->hours, req->n_hours)) < 0 ||
        (rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_provider_get(tx, (int64_t)req->provider_id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "provider_id", "provider", req->provider_id);
    if (rc < 0)
        return rc;
    Clinic__ProviderHoursSetReply *reply = CL_JOB_REPLY(job, Clinic__ProviderHoursSetReply);
    reply->provider = cur;
    snprintf(what, sizeof(what), "provider %.128s", cur->name);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);

    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_BUMP);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_int64(st, 2, (int64_t)cur->version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    if ((st = cl_sched_stmt(tx, CL_SQ_PROVIDER_HOURS_DELETE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    for (size_t i = 0; i < req->n_hours; i++) {
        if ((st = cl_sched_stmt(tx, CL_SQ_PROVIDER_HOURS_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)cur->id);
        sqlite3_bind_int(st, 2, (int)req->hours[i]->weekday);
        sqlite3_bind_int(st, 3, (int)req->hours[i]->start_minute);
        sqlite3_bind_int(st, 4, (int)req->hours[i]->end_minute);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    if ((rc = cl_sched_setup_changed(tx, "provider.hours", "provider", cur->id,
                                     CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_sched_provider_get(tx, (int64_t)cur->id, &reply->provider);
}

/* ---- rooms ----------------------------------------------------------------------------------- */

int cl_handle_room_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__RoomAddRequest *req = job->req->room_add;
    int rc;
    if ((rc = cl_sched_check_text(job, "name", req->name, 1, CL_SCHED_NAME_MAX)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_ROOM_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, req->name, -1, SQLITE_STATIC);
    int64_t id = 0;
    if ((rc = write_named(tx, st, "room", req->name, "room.add", "room", &id)) < 0)
        return rc;
    Clinic__Room *room;
    if ((rc = cl_sched_room_get(tx, id, &room)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__RoomAddReply)->room = room;
    return 0;
}

int cl_handle_room_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__RoomEditRequest *req = job->req->room_edit;
    Clinic__Room *cur;
    char what[160];
    int rc;
    if ((rc = cl_sched_check_text(job, "name", req->name, 1, CL_SCHED_NAME_MAX)) < 0 ||
        (rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_room_get(tx, (int64_t)req->id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "room", req->id);
    if (rc < 0)
        return rc;
    Clinic__RoomEditReply *reply = CL_JOB_REPLY(job, Clinic__RoomEditReply);
    reply->room = cur;
    snprintf(what, sizeof(what), "room %.128s", cur->name);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_ROOM_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, req->active ? 1 : 0);
    sqlite3_bind_int64(st, 4, (int64_t)req->version);
    int64_t id = (int64_t)req->id;
    if ((rc = write_named(tx, st, "room", req->name, "room.edit", "room", &id)) < 0)
        return rc;
    return cl_sched_room_get(tx, (int64_t)req->id, &reply->room);
}

int cl_handle_room_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__RoomListRequest *req = job->req->room_list;
    Clinic__RoomListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__RoomListReply);
    clinic__room_list_reply__init(reply);
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_ROOM_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_inactive ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->rooms, reply->n_rooms, cap);
        reply->rooms[reply->n_rooms++] = cl_sched_room_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_ROOM_LIST;
    job->resp.room_list = reply;
    return 0;
}

/* ---- appointment types ----------------------------------------------------------------------- */

/* "#rrggbb" (any case) into `out` in lower case; empty gives the default colour. */
static int check_color(cl_job_t *job, const char *color, char out[8])
{
    if (color[0] == '\0') {
        memcpy(out, DEFAULT_COLOR, 8);
        return 0;
    }
    if (strlen(color) != 7 || color[0] != '#')
        return cl_job_fail(job, CL_EINVAL, "color", "color must be #rrggbb");
    out[0] = '#';
    for (int i = 1; i < 7; i++) {
        char c = color[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return cl_job_fail(job, CL_EINVAL, "color", "color must be #rrggbb");
        out[i] = c;
    }
    out[7] = '\0';
    return 0;
}

static int check_type_fields(cl_job_t *job, const char *name, uint32_t minutes)
{
    int rc;
    if ((rc = cl_sched_check_text(job, "name", name, 1, CL_SCHED_NAME_MAX)) < 0)
        return rc;
    if (minutes < CL_SCHED_MINUTES_MIN || minutes > CL_SCHED_MINUTES_MAX)
        return cl_job_fail(job, CL_EINVAL, "default_minutes", "default_minutes must be 5-480");
    return 0;
}

int cl_handle_appointment_type_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentTypeAddRequest *req = job->req->appointment_type_add;
    char color[8];
    int rc;
    if ((rc = check_type_fields(job, req->name, req->default_minutes)) < 0 ||
        (rc = check_color(job, req->color, color)) < 0)
        return rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_TYPE_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)req->default_minutes);
    sqlite3_bind_text(st, 3, color, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, req->needs_room ? 1 : 0);
    int64_t id = 0;
    if ((rc = write_named(tx, st, "appointment type", req->name, "appointment_type.add",
                          "appointment_type", &id)) < 0)
        return rc;
    Clinic__AppointmentType *type;
    if ((rc = cl_sched_type_get(tx, id, &type)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__AppointmentTypeAddReply)->type = type;
    return 0;
}

int cl_handle_appointment_type_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentTypeEditRequest *req = job->req->appointment_type_edit;
    Clinic__AppointmentType *cur;
    char color[8], what[160];
    int rc;
    if ((rc = check_type_fields(job, req->name, req->default_minutes)) < 0 ||
        (rc = check_color(job, req->color, color)) < 0 ||
        (rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_type_get(tx, (int64_t)req->id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "appointment type", req->id);
    if (rc < 0)
        return rc;
    Clinic__AppointmentTypeEditReply *reply = CL_JOB_REPLY(job, Clinic__AppointmentTypeEditReply);
    reply->type = cur;
    snprintf(what, sizeof(what), "appointment type %.128s", cur->name);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_TYPE_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)req->id);
    sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)req->default_minutes);
    sqlite3_bind_text(st, 4, color, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, req->needs_room ? 1 : 0);
    sqlite3_bind_int(st, 6, req->active ? 1 : 0);
    sqlite3_bind_int64(st, 7, (int64_t)req->version);
    int64_t id = (int64_t)req->id;
    if ((rc = write_named(tx, st, "appointment type", req->name, "appointment_type.edit",
                          "appointment_type", &id)) < 0)
        return rc;
    return cl_sched_type_get(tx, (int64_t)req->id, &reply->type);
}

int cl_handle_appointment_type_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__AppointmentTypeListRequest *req = job->req->appointment_type_list;
    Clinic__AppointmentTypeListReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__AppointmentTypeListReply);
    clinic__appointment_type_list_reply__init(reply);
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_TYPE_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_inactive ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->types, reply->n_types, cap);
        reply->types[reply->n_types++] = cl_sched_type_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_APPOINTMENT_TYPE_LIST;
    job->resp.appointment_type_list = reply;
    return 0;
}
