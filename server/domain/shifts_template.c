/* Publishing a week of draft shifts, and named weekly templates: setting and listing them, and
 * applying one to a week as draft shifts (a row whose staff member cannot work then is skipped,
 * with the reason, rather than failing the whole week). */
#include <stdio.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "shifts_int.h"
#include "status.h"
#include "topics.h"

/* ---- publishing a week --------------------------------------------------------------------- */

int cl_handle_shift_week_publish(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftWeekPublishRequest *req = job->req->shift_week_publish;
    cl_date_t first;
    char a[11], b[11];
    int rc;
    if ((rc = cl_sched_check_date(job, "week_start", req->week_start, &first)) < 0)
        return rc;
    cl_date_format(first, a);
    cl_date_format(cl_date_add(first, 6), b);
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_PUBLISH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, job->who.user_id);
    int64_t *ids = NULL, *staff = NULL;
    size_t n = 0, cap = 0, cap2 = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        size_t m = n;
        CL_ARENA_RESERVE(&job->arena, ids, n, cap);
        CL_ARENA_RESERVE(&job->arena, staff, m, cap2);
        ids[n] = sqlite3_column_int64(st, 0);
        staff[n] = sqlite3_column_int64(st, 1);
        n++;
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cl_tx_change(tx, CL_TOPIC_SHIFTS_NAME, "shift", (uint64_t)ids[i],
                               CLINIC__CHANGE_OP__UPDATED, 0)) < 0 ||
            (rc = cl_shift_tell_staff(tx, staff[i], "shift", (uint64_t)ids[i],
                                      CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
    }
    if ((st = cl_shift_stmt(tx, CL_SHQ_WEEK_UPSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int64(st, 3, job->who.user_id);
    sqlite3_bind_int64(st, 4, (int64_t)n);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    uint64_t week =
        (uint64_t)first.year * 10000u + (uint64_t)first.month * 100u + (uint64_t)first.day;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift_week.publish", "shift_week",
                              week)) < 0)
        return rc;
    Clinic__ShiftWeekPublishReply *reply = CL_JOB_REPLY(job, Clinic__ShiftWeekPublishReply);
    reply->week_start = cl_arena_strdup(&job->arena, a);
    reply->published = (uint32_t)n;
    reply->published_at = tx->now;
    reply->published_by = cl_arena_strdup(&job->arena, job->who.username);
    return 0;
}

/* ---- templates ----------------------------------------------------------------------------- */

/* Template `name`: 0 with *id and *version (0 and 0 when there is none) or a status. */
static int template_find(cl_tx_t *tx, const char *name, int64_t *id, uint64_t *version)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = cl_db_step(tx->db, st);
    *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    *version = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 2) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* The template's rows, in the arena. */
static int template_load(cl_tx_t *tx, int64_t id, const char *name, uint64_t version,
                         Clinic__ShiftTemplate **out)
{
    cl_arena_t *a = &tx->job->arena;
    Clinic__ShiftTemplate *t = CL_ARENA_NEW(a, Clinic__ShiftTemplate);
    clinic__shift_template__init(t);
    t->name = cl_arena_strdup(a, name);
    t->version = version;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROWS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__ShiftTemplateRow *r = CL_ARENA_NEW(a, Clinic__ShiftTemplateRow);
        clinic__shift_template_row__init(r);
        r->weekday = (uint32_t)sqlite3_column_int(st, 0);
        r->start_minute = (uint32_t)sqlite3_column_int(st, 1);
        r->end_minute = (uint32_t)sqlite3_column_int(st, 2);
        r->desk_id = (uint64_t)sqlite3_column_int64(st, 3);
        r->desk_name = cl_arena_strdup(a, cl_db_text(st, 4));
        r->staff_id = (uint64_t)sqlite3_column_int64(st, 5);
        r->staff_name = cl_arena_strdup(a, cl_db_text(st, 6));
        CL_ARENA_RESERVE(a, t->rows, t->n_rows, cap);
        t->rows[t->n_rows++] = r;
    }
    *out = t;
    return rc < 0 ? rc : 0;
}

/* Checks one row of a template being set; fails the job on "rows[i].<field>". */
static int template_row_check(cl_tx_t *tx, size_t i, const Clinic__ShiftTemplateRow *r)
{
    char field[48], msg[192];
    int64_t supervisor;
    int active, rc;
    char name[128];
    if (r->weekday > 6) {
        snprintf(field, sizeof(field), "rows[%zu].weekday", i);
        return cl_job_fail(tx->job, CL_EINVAL, field, "weekday must be 0 (Sunday) to 6");
    }
    if (r->start_minute > 1439) {
        snprintf(field, sizeof(field), "rows[%zu].start_minute", i);
        return cl_job_fail(tx->job, CL_EINVAL, field, "start_minute must be 0-1439");
    }
    uint32_t len = r->end_minute > r->start_minute ? r->end_minute - r->start_minute
                                                   : r->end_minute + 1440 - r->start_minute;
    if (r->end_minute > 1440 || len < CL_SHIFT_MINUTES_MIN || len > CL_SHIFT_MINUTES_MAX) {
        snprintf(field, sizeof(field), "rows[%zu].end_minute", i);
        return cl_job_fail(tx->job, CL_EINVAL, field,
                           "end_minute must be 0-1440, for a shift of 15 minutes to 16 hours");
    }
    Clinic__Desk *desk;
    snprintf(field, sizeof(field), "rows[%zu].desk_id", i);
    rc = r->desk_id && r->desk_id <= INT64_MAX ? cl_shift_desk_get(tx, (int64_t)r->desk_id, &desk)
                                               : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "desk", r->desk_id);
    if (rc < 0)
        return rc;
    snprintf(field, sizeof(field), "rows[%zu].staff_id", i);
    rc = r->staff_id && r->staff_id <= INT64_MAX
             ? cl_staff_brief(tx, (int64_t)r->staff_id, &supervisor, &active, name, sizeof(name))
             : CL_ENOTFOUND;
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "staff member", r->staff_id);
    if (rc < 0)
        return rc;
    if (!active) {
        snprintf(msg, sizeof(msg), "%s has left and cannot get shifts", name);
        return cl_job_fail(tx->job, CL_EPRECOND, field, msg);
    }
    return 0;
}

/* Checks a template being set: its name, its number of rows and each row. */
static int template_set_check(cl_tx_t *tx, const Clinic__ShiftTemplateSetRequest *req)
{
    int rc;
    if ((rc = cl_sched_check_text(tx->job, "name", req->name, 1, CL_SHIFT_TEMPLATE_NAME_MAX)) < 0)
        return rc;
    if (req->n_rows > CL_SHIFT_TEMPLATE_ROWS_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "rows", "a template has at most 500 rows");
    for (size_t i = 0; i < req->n_rows; i++)
        if ((rc = template_row_check(tx, i, req->rows[i])) < 0)
            return rc;
    return 0;
}

/* Fails a template set at a version other than `version`, the current one of template `id` (0
 * and 0: there is none): NOT_FOUND when there is none (only version 0 makes one), else CONFLICT.
 * Either way the reply carries the template as it is. */
static int template_set_stale(cl_tx_t *tx, const Clinic__ShiftTemplateSetRequest *req, int64_t id,
                              uint64_t version, Clinic__ShiftTemplateSetReply *reply)
{
    int rc;
    if ((rc = template_load(tx, id, req->name, version, &reply->template_)) < 0)
        return rc;
    char what[128];
    snprintf(what, sizeof(what), "template %.64s", req->name);
    if (version == 0) {
        snprintf(what, sizeof(what), "no template named %.64s (version 0 makes one)", req->name);
        return cl_job_fail(tx->job, CL_ENOTFOUND, "name", what);
    }
    return cl_sched_stale(tx->job, what, req->version, version);
}

/* Writes the head of template `*id` (0: none yet) at `*version` for a set of `req`: its old rows
 * are deleted first; then with no rows the template goes, else it is updated (a new *version)
 * or made (*id, and *version 1). */
static int template_head_write(cl_tx_t *tx, const Clinic__ShiftTemplateSetRequest *req, int64_t *id,
                               uint64_t *version)
{
    sqlite3_stmt *st;
    int rc;
    if (*id) {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROWS_DELETE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, *id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    if (req->n_rows == 0) {
        if (*id == 0)
            return cl_job_fail(tx->job, CL_EINVAL, "rows", "a new template needs rows");
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_DELETE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, *id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    } else if (*id) {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_UPDATE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, *id);
        sqlite3_bind_int64(st, 2, tx->now);
        sqlite3_bind_int64(st, 3, tx->job->who.user_id);
        sqlite3_bind_int64(st, 4, (int64_t)*version);
        rc = cl_db_step(tx->db, st);
        *version = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
    } else {
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, req->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, tx->now);
        sqlite3_bind_int64(st, 3, tx->job->who.user_id);
        rc = cl_db_step(tx->db, st);
        *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
        *version = 1;
    }
    return 0;
}

/* Inserts the rows of `req` into template `id`. */
static int template_rows_insert(cl_tx_t *tx, int64_t id, const Clinic__ShiftTemplateSetRequest *req)
{
    sqlite3_stmt *st;
    int rc;
    for (size_t i = 0; i < req->n_rows; i++) {
        const Clinic__ShiftTemplateRow *r = req->rows[i];
        if ((st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_ROW_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, (int)r->weekday);
        sqlite3_bind_int(st, 3, (int)r->start_minute);
        sqlite3_bind_int(st, 4, (int)r->end_minute);
        sqlite3_bind_int64(st, 5, (int64_t)r->desk_id);
        sqlite3_bind_int64(st, 6, (int64_t)r->staff_id);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    return 0;
}

/* Replaces template `name` at the version read with the rows sent (version 0 makes one; no rows
 * delete it). */
int cl_handle_shift_template_set(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateSetRequest *req = job->req->shift_template_set;
    int64_t id;
    uint64_t version;
    int rc;
    if ((rc = template_set_check(tx, req)) < 0 ||
        (rc = template_find(tx, req->name, &id, &version)) < 0)
        return rc;
    Clinic__ShiftTemplateSetReply *reply = CL_JOB_REPLY(job, Clinic__ShiftTemplateSetReply);
    if (req->version != version)
        return template_set_stale(tx, req, id, version, reply);
    if ((rc = template_head_write(tx, req, &id, &version)) < 0 ||
        (rc = template_rows_insert(tx, id, req)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "shift_template.set", "shift_template",
                              (uint64_t)id)) < 0 ||
        (rc = cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "shift_template", (uint64_t)id,
                           req->n_rows ? CLINIC__CHANGE_OP__UPDATED : CLINIC__CHANGE_OP__DELETED,
                           0)) < 0)
        return rc;
    if (req->n_rows == 0) {
        reply->template_ = CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplate);
        clinic__shift_template__init(reply->template_);
        return 0;
    }
    return template_load(tx, id, req->name, version, &reply->template_);
}

int cl_handle_shift_template_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateListRequest *req = job->req->shift_template_list;
    Clinic__ShiftTemplateListReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateListReply);
    clinic__shift_template_list_reply__init(reply);
    typedef struct {
        int64_t id;
        char *name;
        uint64_t version;
    } head_t;
    head_t *heads = NULL;
    size_t n = 0, cap = 0;
    int rc;
    if (req->name[0]) {
        int64_t id;
        uint64_t version;
        if ((rc = template_find(tx, req->name, &id, &version)) < 0)
            return rc;
        if (id == 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "no template named %.64s", req->name);
            return cl_job_fail(job, CL_ENOTFOUND, "name", msg);
        }
        heads = cl_arena_alloc(&job->arena, sizeof(*heads));
        heads[n++] = (head_t){id, req->name, version};
    } else {
        sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_TEMPLATE_LIST);
        if (st == NULL)
            return CL_EINTERNAL;
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(&job->arena, heads, n, cap);
            heads[n++] = (head_t){sqlite3_column_int64(st, 0),
                                  cl_arena_strdup(&job->arena, cl_db_text(st, 1)),
                                  (uint64_t)sqlite3_column_int64(st, 2)};
        }
        if (rc < 0)
            return rc;
    }
    reply->templates = cl_arena_alloc(&job->arena, (n ? n : 1) * sizeof(*reply->templates));
    for (size_t i = 0; i < n; i++)
        if ((rc = template_load(tx, heads[i].id, heads[i].name, heads[i].version,
                                &reply->templates[reply->n_templates++])) < 0)
            return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_TEMPLATE_LIST;
    job->resp.shift_template_list = reply;
    return 0;
}

int cl_handle_shift_template_apply(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__ShiftTemplateApplyRequest *req = job->req->shift_template_apply;
    Clinic__ShiftTemplateApplyReply *reply =
        CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateApplyReply);
    clinic__shift_template_apply_reply__init(reply);
    Clinic__ShiftTemplate *t;
    cl_date_t first;
    int64_t id;
    uint64_t version;
    size_t cap_created = 0, cap_skipped = 0;
    char why[320];
    int rc;
    if ((rc = cl_sched_check_text(job, "name", req->name, 1, CL_SHIFT_TEMPLATE_NAME_MAX)) < 0 ||
        (rc = cl_sched_check_date(job, "week_start", req->week_start, &first)) < 0 ||
        (rc = template_find(tx, req->name, &id, &version)) < 0)
        return rc;
    if (id == 0) {
        snprintf(why, sizeof(why), "no template named %.64s", req->name);
        return cl_job_fail(job, CL_ENOTFOUND, "name", why);
    }
    if ((rc = template_load(tx, id, req->name, version, &t)) < 0)
        return rc;
    for (size_t i = 0; i < t->n_rows; i++) {
        const Clinic__ShiftTemplateRow *r = t->rows[i];
        cl_date_t day = cl_date_add(first, ((int)r->weekday - cl_date_weekday(first) + 7) % 7);
        int64_t from = cl_local_instant(day, (int)r->start_minute);
        int64_t to = r->end_minute > r->start_minute
                         ? cl_local_instant(day, (int)r->end_minute)
                         : cl_local_instant(cl_date_add(day, 1), (int)r->end_minute);
        Clinic__Desk *desk;
        if ((rc = cl_shift_desk_get(tx, (int64_t)r->desk_id, &desk)) < 0)
            return rc;
        if (!desk->active) {
            snprintf(why, sizeof(why), "desk %s is not in use (inactive)", desk->name);
            rc = CL_EPRECOND;
        } else {
            rc =
                cl_shift_conflict(tx, (int64_t)r->staff_id, from, to, 0, 0, why, sizeof(why), NULL);
            if (rc < 0 && why[0] == '\0')
                return rc;
        }
        if (rc < 0) {
            Clinic__ShiftTemplateSkip *s = CL_ARENA_NEW(&job->arena, Clinic__ShiftTemplateSkip);
            clinic__shift_template_skip__init(s);
            s->row = (uint32_t)i;
            s->date = cl_sched_date_str(&job->arena, day);
            s->staff_id = r->staff_id;
            s->staff_name = r->staff_name;
            s->desk_name = r->desk_name;
            s->reason = cl_arena_strdup(&job->arena, why);
            CL_ARENA_RESERVE(&job->arena, reply->skipped, reply->n_skipped, cap_skipped);
            reply->skipped[reply->n_skipped++] = s;
            continue;
        }
        Clinic__Shift *made;
        if ((rc = cl_shift_insert(tx, (int64_t)r->staff_id, (int64_t)r->desk_id, from, to,
                                  CL_SHIFT_DRAFT, "", &made)) < 0)
            return rc;
        CL_ARENA_RESERVE(&job->arena, reply->created, reply->n_created, cap_created);
        reply->created[reply->n_created++] = made;
    }
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SHIFT_TEMPLATE_APPLY;
    job->resp.shift_template_apply = reply;
    return 0;
}
