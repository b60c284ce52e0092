/* Staff credentials with their expiry (a renewal or a removal keeps the old row), the staff
 * dashboard of what needs attention, and the hourly check that warns 30 days before a credential
 * expires, on the "staff" topic and in the inboxes of its holder and their supervisor. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "domain_int.h"
#include "handlers.h"
#include "staff_db.h"
#include "staff_int.h"
#include "status.h"
#include "topics.h"

static const char *const CRED_KINDS[] = {"cpr_bls", "state_license", "certification", "other"};

enum {
    EXPIRING_WITHIN_MAX = 3660,
    CHECK_INTERVAL_MS = 3600 * 1000, /* the expiry check runs hourly; each credential warns once */
    WARN_BATCH_MAX = 500,
};

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

/* ---- credentials ---------------------------------------------------------------------------- */

int cl_cred_of_staff(cl_tx_t *tx, int64_t staff_id, int include_removed,
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

/* Loads the credential a request names into *out; a missing one fails the job on "id". */
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

/* Checks issued_on (not in the future) and expires_on (after issued_on); either may be "". */
static int check_cred_dates(cl_tx_t *tx, const char *issued_on, const char *expires_on,
                            int expiry_required)
{
    cl_job_t *job = tx->job;
    cl_date_t issued, expires;
    int has_issued, has_expires, rc;
    if ((rc = cl_staff_check_date(job, "credential.issued_on", issued_on, 0, &issued,
                                  &has_issued)) < 0)
        return rc;
    if (has_issued && cl_date_cmp(issued, cl_date_of(tx->now)) > 0)
        return cl_staff_invalid(job, "credential.issued_on", "issued_on %s is in the future",
                                issued_on);
    if ((rc = cl_staff_check_date(job, "credential.expires_on", expires_on, expiry_required,
                                  &expires, &has_expires)) < 0)
        return rc;
    if (has_issued && has_expires && cl_date_cmp(expires, issued) <= 0)
        return cl_staff_invalid(job, "credential.expires_on",
                                "expires_on %s is not after issued_on %s", expires_on, issued_on);
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
    if (!cl_staff_in_list(c->kind, CRED_KINDS, CL_ARRAY_SIZE(CRED_KINDS)))
        return cl_staff_invalid(job, "credential.kind",
                                "kind must be cpr_bls, state_license, certification or other");
    if ((rc = cl_staff_check_text(job, "credential.name", c->name, 1, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = cl_staff_check_text(job, "credential.number", c->number, 0, CL_CRED_NUMBER_MAX)) < 0)
        return rc;
    if ((rc = cl_staff_check_text(job, "credential.issuer", c->issuer, 0, CL_STAFF_NAME_MAX)) < 0)
        return rc;
    if ((rc = check_cred_dates(tx, c->issued_on, c->expires_on, 0)) < 0)
        return rc;
    if ((rc = cl_staff_load(tx, c->staff_id, "credential.staff_id", &holder)) < 0)
        return rc;
    if (!holder->active)
        return cl_job_fail(job, CL_EPRECOND, "credential.staff_id",
                           "this staff member has left: their credentials are history");
    if ((rc = cred_insert(tx, (int64_t)holder->id, c->kind, c->name, c->number, c->issuer,
                          c->issued_on, c->expires_on, &id, &warn)) < 0)
        return rc;
    if ((rc = cl_staff_record(tx, "credential.add", "credential", (uint64_t)id,
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
        return cl_staff_stale(job, "credential", (*out)->id, version, (*out)->version);
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
        return cl_staff_invalid(job, "credential.issued_on",
                                "issued_on must be a real date as YYYY-MM-DD");
    if ((rc = check_cred_dates(tx, issued_on, req->expires_on, 1)) < 0)
        return rc;
    if ((rc = cl_staff_check_text(job, "credential.number", req->number, 0, CL_CRED_NUMBER_MAX)) <
        0)
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
    if ((rc = cl_staff_record(tx, "credential.renew", "credential", (uint64_t)id,
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

    if ((rc = cl_staff_check_text(job, "reason", req->reason, 1, CL_STAFF_REASON_MAX)) < 0)
        return rc;
    if ((rc = cred_for_change(tx, req->id, req->version, &reply->credential)) < 0)
        return rc;
    if ((rc = cred_retire(tx, reply->credential, req->reason, 0)) < 0)
        return rc;
    if ((rc = cl_staff_record(tx, "credential.remove", "credential", reply->credential->id,
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
    cl_staff_viewer_t v;
    int rc;

    if (req->staff_id > INT64_MAX)
        return cl_staff_invalid(job, "staff_id", "staff_id is out of range");
    if (req->expiring_within_days > EXPIRING_WITHIN_MAX)
        return cl_staff_invalid(job, "expiring_within_days", "expiring_within_days must be 0 to %d",
                                EXPIRING_WITHIN_MAX);
    if ((rc = cl_staff_viewer_of(tx, &v)) < 0)
        return rc;

    Clinic__StaffCredential **all = NULL;
    size_t n = 0, cap = 0;
    if (req->staff_id != 0) {
        Clinic__StaffMember *m;
        if ((rc = cl_staff_load(tx, req->staff_id, "staff_id", &m)) < 0)
            return rc;
        if ((rc = cl_staff_viewer_sees(tx, &v, (int64_t)m->id)) < 0)
            return rc;
        if (rc == 0)
            return cl_staff_refuse_read(tx, "credential.list.refused", "staff", m->id);
        if ((rc = cl_cred_of_staff(tx, (int64_t)m->id, req->include_removed, &all, &n)) < 0)
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
            if ((rc = cl_staff_viewer_sees(tx, &v, (int64_t)c->staff_id)) < 0)
                return rc;
            if (rc == 0)
                continue;
        }
        CL_ARENA_RESERVE(&job->arena, reply->credentials, reply->n_credentials, cap);
        reply->credentials[reply->n_credentials++] = all[i];
    }
    if ((rc = cl_staff_audit(tx, "credential.list", "staff", req->staff_id)) < 0)
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

/* The staff the caller sees, as the dashboard reads them. */
typedef struct {
    int64_t *seen; /* their ids, sorted for bsearch; arena */
    size_t nseen;
    Clinic__StaffMember **unsupervised; /* the active ones without a supervisor; arena */
    size_t nunsupervised;
} dashboard_staff_t;

/* Reads the staff `v` sees into *out and counts them in the reply (active and left). */
static int dashboard_staff(cl_tx_t *tx, const cl_staff_viewer_t *v,
                           Clinic__StaffDashboardReply *reply, dashboard_staff_t *out)
{
    cl_arena_t *a = &tx->job->arena;
    int rc;
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_LIST);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, 1);
    sqlite3_bind_null(st, 2);
    /* Collected first: deciding who is seen runs other statements. */
    Clinic__StaffMember **all = NULL;
    size_t n = 0, acap = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, all, n, acap);
        all[n++] = cl_staff_from_row(a, st);
    }
    if (rc < 0)
        return rc;
    out->seen = cl_arena_alloc(a, (n ? n : 1) * sizeof(*out->seen));
    out->nseen = 0;
    out->unsupervised = cl_arena_alloc(a, (n ? n : 1) * sizeof(*out->unsupervised));
    out->nunsupervised = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = cl_staff_viewer_sees(tx, v, (int64_t)all[i]->id)) < 0)
            return rc;
        if (rc == 0)
            continue;
        out->seen[out->nseen++] = (int64_t)all[i]->id;
        if (!all[i]->active) {
            reply->staff_left++;
            continue;
        }
        reply->staff_active++;
        if (all[i]->supervisor_id == 0)
            out->unsupervised[out->nunsupervised++] = all[i];
    }
    qsort(out->seen, out->nseen, sizeof(*out->seen), cmp_id);
    return 0;
}

/* The current credentials of the staff seen (`staff`) expiring by today + CL_CRED_WARN_DAYS
 * (expired ones too), soonest first, into the arena array *out of *n. */
static int dashboard_credentials(cl_tx_t *tx, const dashboard_staff_t *staff,
                                 Clinic__StaffCredential ***out, size_t *n)
{
    cl_arena_t *a = &tx->job->arena;
    cl_date_t today = cl_date_of(tx->now);
    char horizon_s[11];
    size_t cap = 0;
    int rc;
    cl_date_format(cl_date_add(today, CL_CRED_WARN_DAYS), horizon_s);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_ALL);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, 0);
    sqlite3_bind_text(st, 2, horizon_s, -1, SQLITE_TRANSIENT);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__StaffCredential *c = cl_cred_from_row(a, st, today);
        int64_t sid = (int64_t)c->staff_id;
        if (bsearch(&sid, staff->seen, staff->nseen, sizeof(*staff->seen), cmp_id) == NULL)
            continue;
        CL_ARENA_RESERVE(a, *out, *n, cap);
        (*out)[(*n)++] = c;
    }
    return rc < 0 ? rc : 0;
}

/* A line for each of the `n` credentials `soon`, counted in the reply: the expired ones first,
 * then those expiring, each kind in the order given. */
static void dashboard_credential_lines(cl_arena_t *a, Clinic__StaffDashboardReply *reply,
                                       size_t *cap, Clinic__StaffCredential *const *soon, size_t n)
{
    char text[384];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
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
            add_line(a, reply, cap, c->expired ? "credential_expired" : "credential_expiring",
                     c->staff_id, c->staff_name, c->id, c->days_left, text);
        }
    }
}

/* A line for each active staff member seen without a supervisor, counted in the reply. */
static void dashboard_unsupervised_lines(cl_arena_t *a, Clinic__StaffDashboardReply *reply,
                                         size_t *cap, const dashboard_staff_t *staff)
{
    char text[384];
    for (size_t i = 0; i < staff->nunsupervised; i++) {
        const Clinic__StaffMember *m = staff->unsupervised[i];
        reply->without_supervisor++;
        snprintf(text, sizeof(text), "%s has no supervisor", m->full_name);
        add_line(a, reply, cap, "no_supervisor", m->id, m->full_name, 0, 0, text);
    }
}

/* What needs a manager's (or a supervisor's, or one's own) attention: credentials expired or
 * expiring within 30 days, active staff without a supervisor, and counts; over the staff the
 * caller may see. */
int cl_handle_staff_dashboard(cl_tx_t *tx, cl_job_t *job)
{
    Clinic__StaffDashboardReply *reply = CL_ARENA_NEW(&job->arena, Clinic__StaffDashboardReply);
    clinic__staff_dashboard_reply__init(reply);
    cl_arena_t *a = &job->arena;
    char today_s[11];
    cl_staff_viewer_t v;
    dashboard_staff_t staff;
    Clinic__StaffCredential **soon;
    size_t nsoon, cap = 0;
    int rc;

    cl_date_format(cl_date_of(tx->now), today_s);
    reply->today = cl_arena_strdup(a, today_s);
    if ((rc = cl_staff_viewer_of(tx, &v)) < 0 || (rc = dashboard_staff(tx, &v, reply, &staff)) < 0)
        return rc;
    reply->scope = v.manager ? "all" : staff.nseen > 1 ? "reports" : "self";
    if ((rc = dashboard_credentials(tx, &staff, &soon, &nsoon)) < 0)
        return rc;
    dashboard_credential_lines(a, reply, &cap, soon, nsoon);
    dashboard_unsupervised_lines(a, reply, &cap, &staff);
    if ((rc = cl_staff_audit(tx, "staff.dashboard", "staff", 0)) < 0)
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
        if ((rc = cl_staff_audit(tx, "credential.warn", "credential", (uint64_t)due[i][0])) < 0)
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
