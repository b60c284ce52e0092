/* Staff members and their credentials: adding, editing and marking staff as left (never deleting
 * them), credentials with their expiry (a renewal or a removal keeps the old row), the staff
 * dashboard, and the check that warns 30 days before a credential expires. Managers change
 * everything; everyone sees their own record, a supervisor their reports' down the line, a
 * manager everyone's (cl_staff_access). Every read and write appends one audit row; every change
 * goes to the "staff" topic, and a credential's warning also to the inboxes of its holder and
 * their supervisor. SQL and the staff_int.h contract: staff_db.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
static const char *const CRED_KINDS[] = {"cpr_bls", "state_license", "certification", "other"};

enum {
    PHONE_DIGITS_MIN = 7,
    PHONE_DIGITS_MAX = 15, /* E.164 */
    EXPIRING_WITHIN_MAX = 3660,
    CHECK_INTERVAL_MS = 3600 * 1000, /* the expiry check runs hourly; each credential warns once */
    WARN_BATCH_MAX = 500,
};

/* ---- checks --------------------------------------------------------------------------------- */

/* Fails the job with INVALID_ARGUMENT on `field`, the message formatted. Returns CL_EINVAL. */
static int bad(cl_job_t *job, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(cl_job_t *job, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cl_job_fail(job, CL_EINVAL, field, msg);
}

/* One line of UTF-8 text of `min` to `max` bytes (schedule.c's cl_sched_check_text style). */
static int check_text(cl_job_t *job, const char *field, const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min)
        return bad(job, field, "%s is required", field);
    if (n > max)
        return bad(job, field, "%s is longer than %zu bytes", field, max);
    if (!cl_utf8_valid(s, n) || cl_text_has_control(s, n))
        return bad(job, field, "%s must be UTF-8 text without control characters", field);
    return 0;
}

/* A date as YYYY-MM-DD; "" is allowed unless `required` (then *has is 0). */
static int check_date(cl_job_t *job, const char *field, const char *s, int required, cl_date_t *out,
                      int *has)
{
    *has = 0;
    if (s[0] == '\0')
        return required ? bad(job, field, "%s is required (YYYY-MM-DD)", field) : 0;
    if (cl_date_parse(s, out) != 0)
        return bad(job, field, "%s must be a real date as YYYY-MM-DD", field);
    *has = 1;
    return 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
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
                return bad(job, field, "%s has more than %d digits", field, PHONE_DIGITS_MAX);
            out[n++] = *p;
        } else if (!strchr(" -().+", *p)) {
            return bad(job, field, "%s may hold only digits, spaces and - ( ) . +", field);
        }
    }
    out[n] = '\0';
    if (n < PHONE_DIGITS_MIN)
        return bad(job, field, "%s needs at least %d digits", field, PHONE_DIGITS_MIN);
    return 0;
}

/* An e-mail address's shape: local@domain.tld, printable ASCII without spaces. "" is none. */
static int check_email(cl_job_t *job, const char *field, const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (n > CL_STAFF_EMAIL_MAX)
        return bad(job, field, "%s is longer than %d bytes", field, CL_STAFF_EMAIL_MAX);
    const char *at = strchr(s, '@');
    int ok = at != NULL && at != s && strchr(at + 1, '@') == NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    const char *dot = ok ? strrchr(at + 1, '.') : NULL;
    ok = ok && dot != NULL && dot != at + 1 && dot[1] != '\0' && strstr(at, "..") == NULL;
    if (!ok)
        return bad(job, field, "%s must look like name@example.org", field);
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
    if ((rc = check_text(job, "staff.full_name", m->full_name, 1, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = check_text(job, "staff.job_title", m->job_title, 0, CL_STAFF_TITLE_MAX)) < 0)
        return rc;
    if (m->employment_type[0] &&
        !in_list(m->employment_type, EMPLOYMENT_TYPES, CL_ARRAY_SIZE(EMPLOYMENT_TYPES)))
        return bad(job, "staff.employment_type",
                   "employment_type must be full_time, part_time or per_diem");
    if (m->pay_type[0] && !in_list(m->pay_type, PAY_TYPES, CL_ARRAY_SIZE(PAY_TYPES)))
        return bad(job, "staff.pay_type", "pay_type must be hourly or salaried");
    if ((rc = check_date(job, "staff.hire_date", m->hire_date, 0, &hired, &has)) < 0)
        return rc;
    if (has && cl_date_cmp(hired, cl_date_of(tx->now)) > 0)
        return bad(job, "staff.hire_date", "hire_date %s is in the future", m->hire_date);
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
        return bad(job, field, "supervisor_id is out of range");
    if ((int64_t)sup == self)
        return bad(job, field, "a staff member cannot supervise themself");
    rc = cl_staff_brief(tx, (int64_t)sup, &above, &active, name, sizeof(name));
    if (rc == CL_ENOTFOUND) {
        char msg[64];
        snprintf(msg, sizeof(msg), "no staff member %" PRIu64, sup);
        return cl_job_fail(job, CL_ENOTFOUND, field, msg);
    }
    if (rc < 0)
        return rc;
    if (changed && !active)
        return bad(job, field, "%s (staff %" PRIu64 ") has left and cannot supervise", name, sup);
    if (self != 0) {
        if ((rc = cl_staff_is_above(tx, self, (int64_t)sup)) < 0)
            return rc;
        if (rc == 1)
            return bad(job, field,
                       "%s (staff %" PRIu64 ") reports to this staff member down the line: "
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
        return bad(job, field, "the supervisor chain would be deeper than %d", CL_STAFF_CHAIN_MAX);
    return 0;
}

/* ---- records -------------------------------------------------------------------------------- */

/* One audit row `action` on `entity` `id` and the matching "staff" change. */
static int record(cl_tx_t *tx, const char *action, const char *entity, uint64_t id,
                  Clinic__ChangeOp op)
{
    int rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, entity, id);
    if (rc < 0)
        return rc;
    return cl_tx_change(tx, CL_TOPIC_STAFF_NAME, entity, id, op, 0);
}

static int audit(cl_tx_t *tx, const char *action, const char *entity, uint64_t id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, entity, id);
}

/* A stale version: CONFLICT naming the current one (the caller has put the current record in
 * the reply). */
static int stale(cl_job_t *job, const char *what, uint64_t id, uint64_t sent, uint64_t current)
{
    char msg[192];
    snprintf(msg, sizeof(msg),
             "%s %" PRIu64 " was changed by someone else: version %" PRIu64 " is stale, the "
             "current version is %" PRIu64,
             what, id, sent, current);
    return cl_job_fail(job, CL_ECONFLICT, "version", msg);
}

/* Loads the staff member a request names into *out; a missing one fails the job on `field`. */
static int staff_load(cl_tx_t *tx, uint64_t id, const char *field, Clinic__StaffMember **out)
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

static int cred_load(cl_tx_t *tx, uint64_t id, Clinic__StaffCredential **out)
{
    char msg[96];
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "id", "id is required: the credential's id");
    int rc = cl_cred_db_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no credential %" PRIu64, id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, "id", msg);
    }
    return rc;
}

/* Who the caller is, for deciding what they see of many records at once. */
typedef struct {
    int manager;
    int64_t me; /* the caller's staff id; 0 without one */
} viewer_t;

static int viewer_of(cl_tx_t *tx, viewer_t *v)
{
    v->manager = cl_auth_allowed(tx->job->who.roles, CL_PERM_STAFF_ADMIN);
    v->me = 0;
    int rc = cl_staff_of_user(tx, tx->job->who.user_id, &v->me);
    return rc == CL_ENOTFOUND ? 0 : rc;
}

/* cl_staff_access for a viewer already read: 1 when `staff_id` may be seen, 0, or a status. */
static int viewer_sees(cl_tx_t *tx, const viewer_t *v, int64_t staff_id)
{
    if (v->manager || (v->me != 0 && v->me == staff_id))
        return 1;
    return v->me != 0 ? cl_staff_is_above(tx, v->me, staff_id) : 0;
}

/* Refuses a read of someone else's record: PERMISSION_DENIED, with the attempt audited. */
static int refuse_read(cl_tx_t *tx, const char *action, const char *entity, uint64_t id)
{
    int rc = audit(tx, action, entity, id);
    if (rc < 0)
        return rc;
    cl_job_refuse(tx->job, CL_EPERM, NULL,
                  "you may see only your own staff record and your reports' (managers: all)");
    return 0;
}

/* ---- the credential warning ----------------------------------------------------------------- */

/* Sends the 30-day warning of credential `cred` held by `staff_id`: a "credential_expiring"
 * change on the "staff" topic and in the inboxes of the holder and of their supervisor (those
 * with a user account), and marks it warned today. */
static int cred_warn(cl_tx_t *tx, int64_t cred, int64_t staff_id)
{
    int64_t holder = 0, sup = 0, sup_user = 0;
    int rc;
    char today[11];
    cl_date_format(cl_date_of(tx->now), today);
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_WARNED);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, cred);
    sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
    if ((rc = cl_db_step(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "credential_expiring", (uint64_t)cred,
                           CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
        return rc;
    if ((rc = cl_staff_brief(tx, staff_id, &sup, NULL, NULL, 0)) < 0)
        return rc;
    if ((rc = cl_staff_user(tx, staff_id, &holder)) < 0)
        return rc;
    if (sup != 0 && (rc = cl_staff_user(tx, sup, &sup_user)) < 0)
        return rc;
    if (holder != 0 && (rc = cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "credential_expiring",
                                          (uint64_t)cred, CLINIC__CHANGE_OP__UPDATED, holder)) < 0)
        return rc;
    if (sup_user != 0 && sup_user != holder &&
        (rc = cl_tx_change(tx, CL_TOPIC_INBOX_NAME, "credential_expiring", (uint64_t)cred,
                           CLINIC__CHANGE_OP__UPDATED, sup_user)) < 0)
        return rc;
    return 0;
}

/* Whether an expiry (YYYY-MM-DD, "" none) is inside the warning window as of `now`. */
static int in_window(const char *expires_on, int64_t now)
{
    cl_date_t exp;
    if (expires_on[0] == '\0' || cl_date_parse(expires_on, &exp) != 0)
        return 0;
    return cl_date_diff(cl_date_of(now), exp) <= CL_CRED_WARN_DAYS;
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
    if ((rc = record(tx, "staff.add", "staff", (uint64_t)id, CLINIC__CHANGE_OP__CREATED)) < 0)
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
    if ((rc = staff_load(tx, m->id, "staff.id", &cur)) < 0)
        return rc;
    Clinic__StaffEditReply *reply = CL_JOB_REPLY(job, Clinic__StaffEditReply);
    reply->staff = cur;
    if (m->version != cur->version)
        return stale(job, "staff member", cur->id, m->version, cur->version);
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
    if ((rc = record(tx, "staff.edit", "staff", cur->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_staff_db_get(tx, (int64_t)cur->id, &reply->staff);
}

/* Lists the staff the caller may see, by name. */
int cl_handle_staff_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffListRequest *req = job->req->staff_list;
    Clinic__StaffListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__StaffListReply);
    clinic__staff_list_reply__init(reply);
    viewer_t v;
    size_t cap = 0;
    int rc;

    if (req->supervisor_id > INT64_MAX)
        return bad(job, "supervisor_id", "supervisor_id is out of range");
    if ((rc = viewer_of(tx, &v)) < 0)
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
        if ((rc = viewer_sees(tx, &v, (int64_t)all[i]->id)) < 0)
            return rc;
        if (rc == 0)
            continue;
        CL_ARENA_RESERVE(&job->arena, reply->staff, reply->n_staff, cap);
        reply->staff[reply->n_staff++] = all[i];
    }
    if ((rc = audit(tx, "staff.list", "staff", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_LIST;
    job->resp.staff_list = reply;
    return 0;
}

/* Reads the credentials of `staff_id` into `out`'s array (by expiry). */
static int creds_of(cl_tx_t *tx, int64_t staff_id, int include_removed,
                    Clinic__StaffCredential ***out, size_t *n)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_OF_STAFF);
    if (st == NULL)
        return CL_EINTERNAL;
    cl_date_t today = cl_date_of(tx->now);
    size_t cap = 0;
    int rc;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int(st, 2, include_removed ? 1 : 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *out, *n, cap);
        (*out)[(*n)++] = cl_cred_from_row(&tx->job->arena, st, today);
    }
    return rc;
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
        return bad(job, "id", "id is out of range");
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
    if ((rc = staff_load(tx, (uint64_t)id, "id", &m)) < 0)
        return rc;
    if (cl_staff_access(tx, id) == CL_STAFF_NONE)
        return refuse_read(tx, "staff.show.refused", "staff", (uint64_t)id);
    reply->staff = m;
    if ((rc = creds_of(tx, id, req->include_removed, &reply->credentials, &reply->n_credentials)) <
        0)
        return rc;
    if ((rc = audit(tx, "staff.show", "staff", (uint64_t)id)) < 0)
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
    if ((rc = check_date(job, "left_on", req->left_on, 0, &left, &has)) < 0)
        return rc;
    if (!has)
        left = today;
    if (cl_date_cmp(left, today) > 0)
        return bad(job, "left_on", "left_on %s is in the future: record a leaving on its day",
                   req->left_on);
    if ((rc = check_text(job, "reason", req->reason, 1, CL_STAFF_REASON_MAX)) < 0)
        return rc;
    if ((rc = staff_load(tx, req->id, "id", &cur)) < 0)
        return rc;
    Clinic__StaffLeaveReply *reply = CL_JOB_REPLY(job, Clinic__StaffLeaveReply);
    reply->staff = cur;
    if (req->version != cur->version)
        return stale(job, "staff member", cur->id, req->version, cur->version);
    if (!cur->active)
        return cl_job_fail(job, CL_EPRECOND, "id", "this staff member has already left");
    if (cur->user_id != 0 && (int64_t)cur->user_id == job->who.user_id)
        return cl_job_fail(job, CL_EPRECOND, "id", "you cannot mark yourself as left");
    if (cur->hire_date[0] && cl_date_parse(cur->hire_date, &hired) == 0 &&
        cl_date_cmp(left, hired) < 0)
        return bad(job, "left_on", "left_on is before the hire date %s", cur->hire_date);
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
    if ((rc = record(tx, "staff.leave", "staff", cur->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
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
        if ((rc = record(tx, "staff.reassign", "staff", (uint64_t)moved[i],
                         CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
    return cl_staff_db_get(tx, (int64_t)cur->id, &reply->staff);
}

/* ---- credentials ---------------------------------------------------------------------------- */

/* Checks issued_on (not in the future) and expires_on (after issued_on); either may be "". */
static int check_cred_dates(cl_tx_t *tx, const char *issued_on, const char *expires_on,
                            int expiry_required)
{
    cl_job_t *job = tx->job;
    cl_date_t issued, expires;
    int has_issued, has_expires, rc;
    if ((rc = check_date(job, "credential.issued_on", issued_on, 0, &issued, &has_issued)) < 0)
        return rc;
    if (has_issued && cl_date_cmp(issued, cl_date_of(tx->now)) > 0)
        return bad(job, "credential.issued_on", "issued_on %s is in the future", issued_on);
    if ((rc = check_date(job, "credential.expires_on", expires_on, expiry_required, &expires,
                         &has_expires)) < 0)
        return rc;
    if (has_issued && has_expires && cl_date_cmp(expires, issued) <= 0)
        return bad(job, "credential.expires_on", "expires_on %s is not after issued_on %s",
                   expires_on, issued_on);
    return 0;
}

/* Inserts a credential row; sets *id. `warned_on` is today when inside the window, else "". */
static int cred_insert(cl_tx_t *tx, int64_t staff_id, const char *kind, const char *name,
                       const char *number, const char *issuer, const char *issued_on,
                       const char *expires_on, int64_t *id, int *warn)
{
    char today[11];
    cl_date_format(cl_date_of(tx->now), today);
    *warn = in_window(expires_on, tx->now);
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, issuer, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, issued_on, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, expires_on, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, tx->now);
    sqlite3_bind_int64(st, 10, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    *id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : rc == 0 ? CL_EINTERNAL : 0;
}

int cl_handle_credential_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__StaffCredential *c = job->req->credential_add->credential;
    Clinic__StaffMember *holder;
    int64_t id;
    int warn, rc;

    if (c == NULL)
        return cl_job_fail(job, CL_EINVAL, "credential", "credential is required");
    if (!in_list(c->kind, CRED_KINDS, CL_ARRAY_SIZE(CRED_KINDS)))
        return bad(job, "credential.kind",
                   "kind must be cpr_bls, state_license, certification or other");
    if ((rc = check_text(job, "credential.name", c->name, 1, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = check_text(job, "credential.number", c->number, 0, CL_CRED_NUMBER_MAX)) < 0)
        return rc;
    if ((rc = check_text(job, "credential.issuer", c->issuer, 0, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = check_cred_dates(tx, c->issued_on, c->expires_on, 0)) < 0)
        return rc;
    if ((rc = staff_load(tx, c->staff_id, "credential.staff_id", &holder)) < 0)
        return rc;
    if (!holder->active)
        return cl_job_fail(job, CL_EPRECOND, "credential.staff_id",
                           "this staff member has left: their credentials are history");
    if ((rc = cred_insert(tx, (int64_t)holder->id, c->kind, c->name, c->number, c->issuer,
                          c->issued_on, c->expires_on, &id, &warn)) < 0)
        return rc;
    if ((rc = record(tx, "credential.add", "credential", (uint64_t)id,
                     CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    if (warn && (rc = cred_warn(tx, id, (int64_t)holder->id)) < 0)
        return rc;

    Clinic__StaffCredential *credential;
    if ((rc = cl_cred_db_get(tx, id, &credential)) < 0)
        return rc;
    Clinic__CredentialAddReply *reply = CL_JOB_REPLY(job, Clinic__CredentialAddReply);
    reply->warned = warn != 0;
    reply->credential = credential;
    return 0;
}

/* Loads a current credential for a change at the version read; the reply's credential is set by
 * the caller through *out, the current record on CONFLICT. */
static int cred_for_change(cl_tx_t *tx, uint64_t id, uint64_t version,
                           Clinic__StaffCredential **out)
{
    cl_job_t *job = tx->job;
    int rc;
    if (version == 0)
        return cl_job_fail(job, CL_EINVAL, "version", "version is required: the version read");
    if ((rc = cred_load(tx, id, out)) < 0)
        return rc;
    if (version != (*out)->version)
        return stale(job, "credential", (*out)->id, version, (*out)->version);
    if ((*out)->removed_at != 0) {
        char msg[96];
        if ((*out)->replaced_by)
            snprintf(msg, sizeof(msg), "credential %" PRIu64 " was renewed as %" PRIu64, (*out)->id,
                     (*out)->replaced_by);
        else
            snprintf(msg, sizeof(msg), "credential %" PRIu64 " was removed", (*out)->id);
        return cl_job_fail(job, CL_EPRECOND, "id", msg);
    }
    return 0;
}

/* Retires credential `c` (removed, or replaced by `replaced_by`). */
static int cred_retire(cl_tx_t *tx, const Clinic__StaffCredential *c, const char *reason,
                       int64_t replaced_by)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_RETIRE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)c->id);
    sqlite3_bind_int64(st, 2, (int64_t)c->version);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, replaced_by);
    int rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    return rc < 0 ? rc : rc == 0 ? CL_EINTERNAL : 0;
}

int cl_handle_credential_renew(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__CredentialRenewRequest *req = job->req->credential_renew;
    Clinic__CredentialRenewReply *reply = CL_JOB_REPLY(job, Clinic__CredentialRenewReply);
    Clinic__StaffCredential *old;
    char issued_on[11];
    int64_t id;
    int warn, rc;

    if (req->issued_on[0])
        snprintf(issued_on, sizeof(issued_on), "%.10s", req->issued_on);
    else
        cl_date_format(cl_date_of(tx->now), issued_on);
    if (strlen(req->issued_on) > 10)
        return bad(job, "credential.issued_on", "issued_on must be a real date as YYYY-MM-DD");
    if ((rc = check_cred_dates(tx, issued_on, req->expires_on, 1)) < 0)
        return rc;
    if ((rc = check_text(job, "credential.number", req->number, 0, CL_CRED_NUMBER_MAX)) < 0)
        return rc;
    if ((rc = cred_for_change(tx, req->id, req->version, &reply->credential)) < 0)
        return rc;
    old = reply->credential;
    int active = 0;
    if ((rc = cl_staff_brief(tx, (int64_t)old->staff_id, NULL, &active, NULL, 0)) < 0)
        return rc;
    if (!active)
        return cl_job_fail(job, CL_EPRECOND, "id",
                           "this staff member has left: their credentials are history");
    if ((rc = cred_insert(tx, (int64_t)old->staff_id, old->kind, old->name,
                          req->number[0] ? req->number : old->number, old->issuer, issued_on,
                          req->expires_on, &id, &warn)) < 0)
        return rc;
    if ((rc = cred_retire(tx, old, "renewed", id)) < 0)
        return rc;
    if ((rc = cl_tx_change(tx, CL_TOPIC_STAFF_NAME, "credential", old->id,
                           CLINIC__CHANGE_OP__UPDATED, 0)) < 0)
        return rc;
    if ((rc = record(tx, "credential.renew", "credential", (uint64_t)id,
                     CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    if (warn && (rc = cred_warn(tx, id, (int64_t)old->staff_id)) < 0)
        return rc;
    reply->warned = warn != 0;
    return cl_cred_db_get(tx, id, &reply->credential);
}

int cl_handle_credential_remove(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__CredentialRemoveRequest *req = job->req->credential_remove;
    Clinic__CredentialRemoveReply *reply = CL_JOB_REPLY(job, Clinic__CredentialRemoveReply);
    int rc;

    if ((rc = check_text(job, "reason", req->reason, 1, CL_STAFF_REASON_MAX)) < 0)
        return rc;
    if ((rc = cred_for_change(tx, req->id, req->version, &reply->credential)) < 0)
        return rc;
    if ((rc = cred_retire(tx, reply->credential, req->reason, 0)) < 0)
        return rc;
    if ((rc = record(tx, "credential.remove", "credential", reply->credential->id,
                     CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_cred_db_get(tx, (int64_t)reply->credential->id, &reply->credential);
}

/* Credentials of every staff member the caller may see (or of one), by expiry. */
int cl_handle_credential_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__CredentialListRequest *req = job->req->credential_list;
    Clinic__CredentialListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__CredentialListReply);
    clinic__credential_list_reply__init(reply);
    cl_date_t today = cl_date_of(tx->now);
    viewer_t v;
    int rc;

    if (req->staff_id > INT64_MAX)
        return bad(job, "staff_id", "staff_id is out of range");
    if (req->expiring_within_days > EXPIRING_WITHIN_MAX)
        return bad(job, "expiring_within_days", "expiring_within_days must be 0 to %d",
                   EXPIRING_WITHIN_MAX);
    if ((rc = viewer_of(tx, &v)) < 0)
        return rc;

    Clinic__StaffCredential **all = NULL;
    size_t n = 0, cap = 0;
    if (req->staff_id != 0) {
        Clinic__StaffMember *m;
        if ((rc = staff_load(tx, req->staff_id, "staff_id", &m)) < 0)
            return rc;
        if ((rc = viewer_sees(tx, &v, (int64_t)m->id)) < 0)
            return rc;
        if (rc == 0)
            return refuse_read(tx, "credential.list.refused", "staff", m->id);
        if ((rc = creds_of(tx, (int64_t)m->id, req->include_removed, &all, &n)) < 0)
            return rc;
    } else {
        sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_ALL);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int(st, 1, req->include_removed ? 1 : 0);
        sqlite3_bind_null(st, 2);
        while ((rc = cl_db_step(tx->db, st)) == 1) {
            CL_ARENA_RESERVE(&job->arena, all, n, cap);
            all[n++] = cl_cred_from_row(&job->arena, st, today);
        }
        if (rc < 0)
            return rc;
    }
    cap = 0;
    for (size_t i = 0; i < n; i++) {
        const Clinic__StaffCredential *c = all[i];
        if (req->expiring_within_days &&
            (c->expires_on[0] == '\0' || c->days_left > (int32_t)req->expiring_within_days))
            continue;
        if (req->staff_id == 0) {
            if ((rc = viewer_sees(tx, &v, (int64_t)c->staff_id)) < 0)
                return rc;
            if (rc == 0)
                continue;
        }
        CL_ARENA_RESERVE(&job->arena, reply->credentials, reply->n_credentials, cap);
        reply->credentials[reply->n_credentials++] = all[i];
    }
    if ((rc = audit(tx, "credential.list", "staff", req->staff_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_CREDENTIAL_LIST;
    job->resp.credential_list = reply;
    return 0;
}

/* ---- the dashboard -------------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void add_line(cl_arena_t *a, Clinic__StaffDashboardReply *r, size_t *cap, const char *kind,
                     uint64_t staff_id, const char *staff_name, uint64_t cred_id, int32_t days,
                     const char *text)
{
    Clinic__StaffDashboardLine *l = CL_ARENA_NEW(a, Clinic__StaffDashboardLine);
    clinic__staff_dashboard_line__init(l);
    l->kind = (char *)kind;
    l->staff_id = staff_id;
    l->staff_name = cl_arena_strdup(a, staff_name);
    l->credential_id = cred_id;
    l->days_left = days;
    l->text = cl_arena_strdup(a, text);
    CL_ARENA_RESERVE(a, r->lines, r->n_lines, *cap);
    r->lines[r->n_lines++] = l;
}

/* What needs a manager's (or a supervisor's, or one's own) attention: credentials expired or
 * expiring within 30 days, active staff without a supervisor, and counts; over the staff the
 * caller may see. */
int cl_handle_staff_dashboard(cl_tx_t *tx, cl_job_t *job)
{
    Clinic__StaffDashboardReply *reply = CL_ARENA_NEW(&job->arena, Clinic__StaffDashboardReply);
    clinic__staff_dashboard_reply__init(reply);
    cl_arena_t *a = &job->arena;
    cl_date_t today = cl_date_of(tx->now);
    char today_s[11], text[384];
    viewer_t v;
    size_t cap = 0;
    int rc;

    cl_date_format(today, today_s);
    reply->today = cl_arena_strdup(a, today_s);
    if ((rc = viewer_of(tx, &v)) < 0)
        return rc;

    /* The staff the caller sees: counts, no-supervisor lines, and the ids for the credentials. */
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, 1);
    sqlite3_bind_null(st, 2);
    Clinic__StaffMember **all = NULL;
    size_t n = 0, acap = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, all, n, acap);
        all[n++] = cl_staff_from_row(a, st);
    }
    if (rc < 0)
        return rc;
    int64_t *seen = cl_arena_alloc(a, (n ? n : 1) * sizeof(*seen));
    size_t nseen = 0;
    Clinic__StaffMember **orphans = cl_arena_alloc(a, (n ? n : 1) * sizeof(*orphans));
    size_t norphans = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = viewer_sees(tx, &v, (int64_t)all[i]->id)) < 0)
            return rc;
        if (rc == 0)
            continue;
        seen[nseen++] = (int64_t)all[i]->id;
        if (!all[i]->active) {
            reply->staff_left++;
            continue;
        }
        reply->staff_active++;
        if (all[i]->supervisor_id == 0)
            orphans[norphans++] = all[i];
    }
    qsort(seen, nseen, sizeof(*seen), cmp_id);
    reply->scope = v.manager ? "all" : nseen > 1 ? "reports" : "self";

    /* Current credentials expiring by today + 30 days (expired ones too), soonest first. */
    cl_date_t horizon = cl_date_add(today, CL_CRED_WARN_DAYS);
    char horizon_s[11];
    cl_date_format(horizon, horizon_s);
    if ((st = cl_staff_stmt(tx, CL_STQ_CRED_ALL)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, 0);
    sqlite3_bind_text(st, 2, horizon_s, -1, SQLITE_TRANSIENT);
    Clinic__StaffCredential **soon = NULL;
    size_t nsoon = 0, scap = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__StaffCredential *c = cl_cred_from_row(a, st, today);
        int64_t sid = (int64_t)c->staff_id;
        if (bsearch(&sid, seen, nseen, sizeof(*seen), cmp_id) == NULL)
            continue;
        CL_ARENA_RESERVE(a, soon, nsoon, scap);
        soon[nsoon++] = c;
    }
    if (rc < 0)
        return rc;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nsoon; i++) {
            const Clinic__StaffCredential *c = soon[i];
            if (c->expired != (pass == 0))
                continue;
            if (c->expired) {
                reply->credentials_expired++;
                snprintf(text, sizeof(text), "%s: %s expired on %s (%d days ago)", c->staff_name,
                         c->name, c->expires_on, -c->days_left);
            } else {
                reply->credentials_expiring++;
                snprintf(text, sizeof(text), "%s: %s expires on %s (in %d days)", c->staff_name,
                         c->name, c->expires_on, c->days_left);
            }
            add_line(a, reply, &cap, c->expired ? "credential_expired" : "credential_expiring",
                     c->staff_id, c->staff_name, c->id, c->days_left, text);
        }
    }
    for (size_t i = 0; i < norphans; i++) {
        reply->without_supervisor++;
        snprintf(text, sizeof(text), "%s has no supervisor", orphans[i]->full_name);
        add_line(a, reply, &cap, "no_supervisor", orphans[i]->id, orphans[i]->full_name, 0, 0,
                 text);
    }
    if ((rc = audit(tx, "staff.dashboard", "staff", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_STAFF_DASHBOARD;
    job->resp.staff_dashboard = reply;
    return 0;
}

/* ---- the expiry check ----------------------------------------------------------------------- */

/* A store job of the server's own (no connection, no request): warns once for each current
 * credential that entered its 30-day window (or expired) without a warning yet, and records
 * warned_on. At most WARN_BATCH_MAX per run; the next run takes the rest. */
int cl_handle_staff_expiry_check(cl_tx_t *tx, cl_job_t *job)
{
    char horizon[11];
    int rc;
    cl_date_format(cl_date_add(cl_date_of(tx->now), CL_CRED_WARN_DAYS), horizon);
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_TO_WARN);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, horizon, -1, SQLITE_TRANSIENT);
    int64_t(*due)[2] = cl_arena_alloc(&job->arena, WARN_BATCH_MAX * sizeof(*due));
    size_t n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1 && n < WARN_BATCH_MAX) {
        due[n][0] = sqlite3_column_int64(st, 0);
        due[n][1] = sqlite3_column_int64(st, 1);
        n++;
    }
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cred_warn(tx, due[i][0], due[i][1])) < 0)
            return rc;
        if ((rc = audit(tx, "credential.warn", "credential", (uint64_t)due[i][0])) < 0)
            return rc;
    }
    return 0;
}

cl_job_t *cl_staff_expiry_job(void)
{
    cl_job_t *job = cl_job_new();
    job->handler = cl_handle_staff_expiry_check;
    job->write = 1;
    snprintf(job->who.username, sizeof(job->who.username), "clinicd");
    snprintf(job->who.workstation, sizeof(job->who.workstation), "server");
    return job;
}

void cl_staff_expiry_tick(cl_store_t *store, uint64_t now_ms)
{
    /* One server per process: the next run's time can live here. The first sweep runs it. */
    static uint64_t next_ms;
    if (store == NULL || now_ms < next_ms)
        return;
    next_ms = now_ms + CHECK_INTERVAL_MS;
    cl_store_submit(store, cl_staff_expiry_job());
}
