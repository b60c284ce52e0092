/* Staff members: adding, editing and marking staff as left (never deleting them), listing and
 * showing them, and the checks and records the staff handlers share. Managers change everything;
 * everyone sees their own record, a supervisor their reports' down the line, a manager everyone's
 * (cl_staff_access). Every read and write appends one audit row; every change goes to the "staff"
 * topic. Credentials, the dashboard and the expiry warning: staff_credentials.c; SQL and the
 * staff_int.h contract: staff_db.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "calendar.h"
#include "domain_int.h"
#include "handlers.h"
#include "staff_db.h"
#include "staff_int.h"
#include "status.h"
#include "topics.h"

static const char *const EMPLOYMENT_TYPES[] = {"full_time", "part_time", "per_diem"};
static const char *const PAY_TYPES[] = {"hourly", "salaried"};

enum {
    PHONE_DIGITS_MIN = 7,
    PHONE_DIGITS_MAX = 15, /* E.164 */
};

/* ---- checks --------------------------------------------------------------------------------- */

int cl_staff_invalid(cl_job_t *job, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cl_job_fail(job, CL_EINVAL, field, msg);
}

int cl_staff_check_text(cl_job_t *job, const char *field, const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min)
        return cl_staff_invalid(job, field, "%s is required", field);
    if (n > max)
        return cl_staff_invalid(job, field, "%s is longer than %zu bytes", field, max);
    if (!cl_utf8_valid(s, n) || cl_text_has_control(s, n))
        return cl_staff_invalid(job, field, "%s must be UTF-8 text without control characters",
                                field);
    return 0;
}

int cl_staff_check_date(cl_job_t *job, const char *field, const char *s, int required,
                        cl_date_t *out, int *has)
{
    *has = 0;
    if (s[0] == '\0')
        return required ? cl_staff_invalid(job, field, "%s is required (YYYY-MM-DD)", field) : 0;
    if (cl_date_parse(s, out) != 0)
        return cl_staff_invalid(job, field, "%s must be a real date as YYYY-MM-DD", field);
    *has = 1;
    return 0;
}

int cl_staff_in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* A phone number as people type it ("(555) 123-4567", "+1 555 123 4567"): digits and the usual
 * separators; stored as its 7-15 digits in `out`. "" is no phone. */
static int check_phone(cl_job_t *job, const char *field, const char *s,
                       char out[PHONE_DIGITS_MAX + 1])
{
    size_t n = 0;
    out[0] = '\0';
    if (s[0] == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == PHONE_DIGITS_MAX)
                return cl_staff_invalid(job, field, "%s has more than %d digits", field,
                                        PHONE_DIGITS_MAX);
            out[n++] = *p;
        } else if (!strchr(" -().+", *p)) {
            return cl_staff_invalid(job, field, "%s may hold only digits, spaces and - ( ) . +",
                                    field);
        }
    }
    out[n] = '\0';
    if (n < PHONE_DIGITS_MIN)
        return cl_staff_invalid(job, field, "%s needs at least %d digits", field, PHONE_DIGITS_MIN);
    return 0;
}

/* An e-mail address's shape: local@domain.tld, printable ASCII without spaces. "" is none. */
static int check_email(cl_job_t *job, const char *field, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (n > CL_STAFF_EMAIL_MAX)
        return cl_staff_invalid(job, field, "%s is longer than %d bytes", field,
                                CL_STAFF_EMAIL_MAX);
    const char *at = strchr(s, '@');
    int ok = at != NULL && at != s && strchr(at + 1, '@') == NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    const char *dot = ok ? strrchr(at + 1, '.') : NULL;
    ok = ok && dot != NULL && dot != at + 1 && dot[1] != '\0' && strstr(at, "..") == NULL;
    if (!ok)
        return cl_staff_invalid(job, field, "%s must look like name@example.org", field);
    return 0;
}

/* The fields of a staff record a client sets, checked; the phone's digits into `phone`. "" for an
 * employment or pay type is the default (full_time, hourly). */
static int check_staff_fields(cl_tx_t *tx, const Clinic__StaffMember *m,
                              char phone[PHONE_DIGITS_MAX + 1])
{
    cl_job_t *job = tx->job;
    cl_date_t hired;
    int has, rc;
    if ((rc = cl_staff_check_text(job, "staff.full_name", m->full_name, 1, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = cl_staff_check_text(job, "staff.job_title", m->job_title, 0, CL_STAFF_TITLE_MAX)) < 0)
        return rc;
    if (m->employment_type[0] &&
        !cl_staff_in_list(m->employment_type, EMPLOYMENT_TYPES, CL_ARRAY_SIZE(EMPLOYMENT_TYPES)))
        return cl_staff_invalid(job, "staff.employment_type",
                                "employment_type must be full_time, part_time or per_diem");
    if (m->pay_type[0] && !cl_staff_in_list(m->pay_type, PAY_TYPES, CL_ARRAY_SIZE(PAY_TYPES)))
        return cl_staff_invalid(job, "staff.pay_type", "pay_type must be hourly or salaried");
    if ((rc = cl_staff_check_date(job, "staff.hire_date", m->hire_date, 0, &hired, &has)) < 0)
        return rc;
    if (has && cl_date_cmp(hired, cl_date_of(tx->now)) > 0)
        return cl_staff_invalid(job, "staff.hire_date", "hire_date %s is in the future",
                                m->hire_date);
    if ((rc = check_phone(job, "staff.phone", m->phone, phone)) < 0)
        return rc;
    return check_email(job, "staff.email", m->email);
}

/* Checks that `sup` may supervise staff member `self` (0 for one not made yet): it exists, is
 * active when newly named (`changed`), is not `self` nor below `self` (a loop), and the chain
 * above stays within CL_STAFF_CHAIN_MAX. */
static int check_supervisor(cl_tx_t *tx, int64_t self, uint64_t sup, int changed)
{
    cl_job_t *job = tx->job;
    const char *field = "staff.supervisor_id";
    char name[CL_STAFF_NAME_MAX + 1];
    int64_t above = 0;
    int active = 0, rc;
    if (sup == 0)
        return 0;
    if (sup > INT64_MAX)
        return cl_staff_invalid(job, field, "supervisor_id is out of range");
    if ((int64_t)sup == self)
        return cl_staff_invalid(job, field, "a staff member cannot supervise themself");
    rc = cl_staff_brief(tx, (int64_t)sup, &above, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no staff member %" PRIu64, sup);
        return cl_job_fail(job, CL_ENOTFOUND, field, msg);
    }
    if (rc < 0)
        return rc;
    if (changed && !active)
        return cl_staff_invalid(job, field, "%s (staff %" PRIu64 ") has left and cannot supervise",
                                name, sup);
    if (self != 0) {
        if ((rc = cl_staff_is_above(tx, self, (int64_t)sup)) < 0)
            return rc;
        if (rc == 1)
            return cl_staff_invalid(job, field,
                                    "%s (staff %" PRIu64
                                    ") reports to this staff member down the line: "
                                    "supervising each other would make a loop",
                                    name, sup);
    }
    /* How deep the chain above `sup` runs. */
    int depth = 1;
    for (int64_t at = above; at != 0 && depth < CL_STAFF_CHAIN_MAX; depth++) {
        if ((rc = cl_staff_brief(tx, at, &at, NULL, NULL, 0)) < 0)
            return rc == CL_ENOTFOUND ? 0 : rc;
    }
    if (depth >= CL_STAFF_CHAIN_MAX)
        return cl_staff_invalid(job, field, "the supervisor chain would be deeper than %d",
                                CL_STAFF_CHAIN_MAX);
    return 0;
}

/* ---- records -------------------------------------------------------------------------------- */

int cl_staff_record(cl_tx_t *tx, const char *action, const char *entity, uint64_t id,
                    Clinic__ChangeOp op)
{
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, entity, id);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_STAFF_NAME, entity, id, op, 0);
}

int cl_staff_audit(cl_tx_t *tx, const char *action, const char *entity, uint64_t id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, entity, id);
}

int cl_staff_stale(cl_job_t *job, const char *what, uint64_t id, uint64_t sent, uint64_t current)
{
    char msg[192];
    snprintf(msg, sizeof(msg),
             "%s %" PRIu64 " was changed by someone else: version %" PRIu64 " is stale, the "
             "current version is %" PRIu64,
             what, id, sent, current);
    return cl_job_fail(job, CL_ECONFLICT, "version", msg);
}

int cl_staff_load(cl_tx_t *tx, uint64_t id, const char *field, Clinic__StaffMember **out)
{
    char msg[96];
    if (id == 0 || id > INT64_MAX) {
        snprintf(msg, sizeof(msg), "%s is required", field);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    int rc = cl_staff_db_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no staff member %" PRIu64, id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, field, msg);
    }
    return rc;
}

int cl_staff_viewer_of(cl_tx_t *tx, cl_staff_viewer_t *v)
{
    v->manager = cl_auth_allowed(tx->job->who.roles, CL_PERM_STAFF_ADMIN);
    v->me = 0;
    int rc = cl_staff_of_user(tx, tx->job->who.user_id, &v->me);
    return rc == CL_ENOTFOUND ? 0 : rc;
}

int cl_staff_viewer_sees(cl_tx_t *tx, const cl_staff_viewer_t *v, int64_t staff_id)
{
    if (v->manager || (v->me != 0 && v->me == staff_id))
        return 1;
    return v->me != 0 ? cl_staff_is_above(tx, v->me, staff_id) : 0;
}

int cl_staff_refuse_read(cl_tx_t *tx, const char *action, const char *entity, uint64_t id)
{
    int rc = cl_staff_audit(tx, action, entity, id);
    if (rc < 0)
        return rc;
    cl_job_refuse(tx->job, CL_EPERM, NULL,
                  "you may see only your own staff record and your reports' (managers: all)");
    return 0;
}

/* ---- staff members -------------------------------------------------------------------------- */

static const char *or_default(const char *s, const char *dflt)
{
    return s[0] ? s : dflt;
}

int cl_handle_staff_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffAddRequest *req = job->req->staff_add;
    const Clinic__StaffMember *m = req->staff;
    char phone[PHONE_DIGITS_MAX + 1], msg[160];
    int64_t user_id = 0;
    int rc;

    if (m == NULL)
        return cl_job_fail(job, CL_EINVAL, "staff", "staff is required: the record to add");
    if ((rc = check_staff_fields(tx, m, phone)) < 0)
        return rc;
    if ((rc = check_supervisor(tx, 0, m->supervisor_id, 1)) < 0)
        return rc;
    if (req->username[0]) {
        sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_USER_BY_NAME);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, req->username, -1, SQLITE_STATIC);
        rc = cl_db_step(tx->db, st);
        int64_t existing = rc == 1 ? sqlite3_column_int64(st, 1) : 0;
        user_id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            snprintf(msg, sizeof(msg), "no user named %.32s", req->username);
            return cl_job_fail(job, CL_ENOTFOUND, "username", msg);
        }
        if (existing != 0) {
            snprintf(msg, sizeof(msg), "user %.32s already is staff member %" PRId64, req->username,
                     existing);
            return cl_job_fail(job, CL_EEXIST, "username", msg);
        }
    }

    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    if (user_id)
        sqlite3_bind_int64(st, 1, user_id);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_text(st, 2, m->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->job_title, -1, SQLITE_STATIC);
    if (m->supervisor_id)
        sqlite3_bind_int64(st, 4, (int64_t)m->supervisor_id);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, or_default(m->employment_type, "full_time"), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, m->hire_date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, m->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, or_default(m->pay_type, "hourly"), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, tx->now);
    sqlite3_bind_int64(st, 11, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = cl_staff_record(tx, "staff.add", "staff", (uint64_t)id, CLINIC__CHANGE_OP__CREATED)) <
        0)
        return rc;

    Clinic__StaffMember *staff;
    if ((rc = cl_staff_db_get(tx, id, &staff)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__StaffAddReply)->staff = staff;
    return 0;
}

/* Replaces a staff member's record (all the fields a client sets) at the version read. */
int cl_handle_staff_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffMember *m = job->req->staff_edit->staff;
    Clinic__StaffMember *cur;
    char phone[PHONE_DIGITS_MAX + 1];
    int rc;

    if (m == NULL)
        return cl_job_fail(job, CL_EINVAL, "staff", "staff is required: the whole record");
    if (m->version == 0)
        return cl_job_fail(job, CL_EINVAL, "staff.version",
                           "version is required: the version read");
    if ((rc = cl_staff_load(tx, m->id, "staff.id", &cur)) < 0)
        return rc;
    Clinic__StaffEditReply *reply = CL_JOB_REPLY(job, Clinic__StaffEditReply);
    reply->staff = cur;
    if (m->version != cur->version)
        return cl_staff_stale(job, "staff member", cur->id, m->version, cur->version);
    if ((rc = check_staff_fields(tx, m, phone)) < 0)
        return rc;
    /* An unchanged hire date stays as it was (a record made with a user has none). */
    if ((rc = check_supervisor(tx, (int64_t)cur->id, m->supervisor_id,
                               m->supervisor_id != cur->supervisor_id)) < 0)
        return rc;

    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_int64(st, 2, (int64_t)cur->version);
    sqlite3_bind_text(st, 3, m->full_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->job_title, -1, SQLITE_STATIC);
    if (m->supervisor_id)
        sqlite3_bind_int64(st, 5, (int64_t)m->supervisor_id);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, or_default(m->employment_type, cur->employment_type), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 7, m->hire_date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, m->email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, or_default(m->pay_type, cur->pay_type), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, tx->now);
    sqlite3_bind_int64(st, 12, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = cl_staff_record(tx, "staff.edit", "staff", cur->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_staff_db_get(tx, (int64_t)cur->id, &reply->staff);
}

/* Lists the staff the caller may see, by name. */
int cl_handle_staff_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffListRequest *req = job->req->staff_list;
    Clinic__StaffListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__StaffListReply);
    clinic__staff_list_reply__init(reply);
    cl_staff_viewer_t v;
    size_t cap = 0;
    int rc;

    if (req->supervisor_id > INT64_MAX)
        return cl_staff_invalid(job, "supervisor_id", "supervisor_id is out of range");
    if ((rc = cl_staff_viewer_of(tx, &v)) < 0)
        return rc;
    /* Collected first: deciding who is seen runs other statements. */
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, req->include_left ? 1 : 0);
    if (req->supervisor_id)
        sqlite3_bind_int64(st, 2, (int64_t)req->supervisor_id);
    else
        sqlite3_bind_null(st, 2);
    Clinic__StaffMember **all = NULL;
    size_t n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, all, n, cap);
        all[n++] = cl_staff_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    cap = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cl_staff_viewer_sees(tx, &v, (int64_t)all[i]->id)) < 0)
            return rc;
        if (rc == 0)
            continue;
        CL_ARENA_RESERVE(&job->arena, reply->staff, reply->n_staff, cap);
        reply->staff[reply->n_staff++] = all[i];
    }
    if ((rc = cl_staff_audit(tx, "staff.list", "staff", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_LIST;
    job->resp.staff_list = reply;
    return 0;
}

/* One staff member's record with their credentials: by id, by username, or the caller's own. */
int cl_handle_staff_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffShowRequest *req = job->req->staff_show;
    Clinic__StaffShowReply *reply = CL_ARENA_NEW(&job->arena, Clinic__StaffShowReply);
    clinic__staff_show_reply__init(reply);
    char msg[96];
    int64_t id = 0;
    int rc;

    if (req->id > INT64_MAX)
        return cl_staff_invalid(job, "id", "id is out of range");
    if (req->id != 0 && req->username[0])
        return cl_staff_invalid(job, "username",
                                "give the staff member's id or username, not both");
    if (req->id != 0) {
        id = (int64_t)req->id;
    } else if (req->username[0]) {
        sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_USER_BY_NAME);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, req->username, -1, SQLITE_STATIC);
        rc = cl_db_step(tx->db, st);
        id = rc == 1 ? sqlite3_column_int64(st, 1) : 0;
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
        if (id == 0) {
            snprintf(msg, sizeof(msg), "no staff member with the user name %.32s", req->username);
            return cl_job_fail(job, CL_ENOTFOUND, "username", msg);
        }
    } else {
        rc = cl_staff_of_user(tx, job->who.user_id, &id);
        if (rc == CL_ENOTFOUND)
            return cl_job_fail(job, CL_ENOTFOUND, "id", "you have no staff record");
        if (rc < 0)
            return rc;
    }
    Clinic__StaffMember *m;
    if ((rc = cl_staff_load(tx, (uint64_t)id, "id", &m)) < 0)
        return rc;
    if (cl_staff_access(tx, id) == CL_STAFF_NONE)
        return cl_staff_refuse_read(tx, "staff.show.refused", "staff", (uint64_t)id);
    reply->staff = m;
    if ((rc = cl_cred_of_staff(tx, id, req->include_removed, &reply->credentials,
                               &reply->n_credentials)) < 0)
        return rc;
    if ((rc = cl_staff_audit(tx, "staff.show", "staff", (uint64_t)id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_SHOW;
    job->resp.staff_show = reply;
    return 0;
}

/* Marks a staff member as left (never deleted). Their active reports move up to their own
 * supervisor. Their user account, if any, stays as it is: `clinic user disable` ends it. */
int cl_handle_staff_leave(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffLeaveRequest *req = job->req->staff_leave;
    Clinic__StaffMember *cur;
    cl_date_t left, hired, today = cl_date_of(tx->now);
    char left_on[11];
    int has, rc;

    if (req->version == 0)
        return cl_job_fail(job, CL_EINVAL, "version", "version is required: the version read");
    if ((rc = cl_staff_check_date(job, "left_on", req->left_on, 0, &left, &has)) < 0)
        return rc;
    if (!has)
        left = today;
    if (cl_date_cmp(left, today) > 0)
        return cl_staff_invalid(job, "left_on",
                                "left_on %s is in the future: record a leaving on its day",
                                req->left_on);
    if ((rc = cl_staff_check_text(job, "reason", req->reason, 1, CL_STAFF_REASON_MAX)) < 0)
        return rc;
    if ((rc = cl_staff_load(tx, req->id, "id", &cur)) < 0)
        return rc;
    Clinic__StaffLeaveReply *reply = CL_JOB_REPLY(job, Clinic__StaffLeaveReply);
    reply->staff = cur;
    if (req->version != cur->version)
        return cl_staff_stale(job, "staff member", cur->id, req->version, cur->version);
    if (!cur->active)
        return cl_job_fail(job, CL_EPRECOND, "id", "this staff member has already left");
    if (cur->user_id != 0 && (int64_t)cur->user_id == job->who.user_id)
        return cl_job_fail(job, CL_EPRECOND, "id", "you cannot mark yourself as left");
    if (cur->hire_date[0] && cl_date_parse(cur->hire_date, &hired) == 0 &&
        cl_date_cmp(left, hired) < 0)
        return cl_staff_invalid(job, "left_on", "left_on is before the hire date %s",
                                cur->hire_date);
    cl_date_format(left, left_on);

    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_LEAVE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_int64(st, 2, (int64_t)cur->version);
    sqlite3_bind_text(st, 3, left_on, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, req->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, tx->now);
    sqlite3_bind_int64(st, 6, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = cl_staff_record(tx, "staff.leave", "staff", cur->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;

    /* The reports move up the line; each move is a change to their record. */
    if ((st = cl_staff_stmt(tx, CL_STQ_REASSIGN)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    if (cur->supervisor_id)
        sqlite3_bind_int64(st, 2, (int64_t)cur->supervisor_id);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, job->who.user_id);
    int64_t *moved = NULL;
    size_t n = 0, cap = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, moved, n, cap);
        moved[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = cl_staff_record(tx, "staff.reassign", "staff", (uint64_t)moved[i],
                                  CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
    return cl_staff_db_get(tx, (int64_t)cur->id, &reply->staff);
}
