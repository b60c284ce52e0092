/* Staff members' SQL: the statement table, reading staff and credential rows into their messages,
 * and the functions of staff_int.h that the other parts of issue 5 call (who is whose staff
 * member, who supervises whom, who may see or decide what). staff.c and staff_credentials.c hold
 * the handlers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "calendar.h"
#include "domain_int.h"
#include "staff_db.h"
#include "staff_int.h"
#include "status.h"

/* The columns staff_from_row() reads, in this order, and the joins that give them. */
#define STAFF_COLUMNS                                                                              \
    "s.id, s.user_id, u.username, s.full_name, s.job_title, u.roles, s.supervisor_id, "            \
    "sv.full_name, s.employment_type, s.hire_date, s.phone, s.email, s.pay_type, s.active, "       \
    "s.left_on, s.left_reason, s.created_at, cu.username, s.updated_at, uu.username, s.version, "  \
    "(SELECT count(*) FROM staff r WHERE r.supervisor_id = s.id AND r.active = 1)"
#define STAFF_FROM                                                                                 \
    "staff s LEFT JOIN users u ON u.id = s.user_id "                                               \
    "LEFT JOIN staff sv ON sv.id = s.supervisor_id "                                               \
    "LEFT JOIN users cu ON cu.id = s.created_by LEFT JOIN users uu ON uu.id = s.updated_by"

/* The columns cred_from_row() reads. */
#define CRED_COLUMNS                                                                               \
    "c.id, c.staff_id, s.full_name, c.kind, c.name, c.number, c.issuer, c.issued_on, "             \
    "c.expires_on, c.warned_on, c.replaced_by, c.removed_at, ru.username, c.removed_reason, "      \
    "c.created_at, cu.username, c.version"
#define CRED_FROM                                                                                  \
    "credentials c JOIN staff s ON s.id = c.staff_id "                                             \
    "LEFT JOIN users ru ON ru.id = c.removed_by LEFT JOIN users cu ON cu.id = c.created_by"
/* Current credentials first by expiry (none last), then by staff name. */
#define CRED_ORDER " ORDER BY c.removed_at <> 0, c.expires_on = '', c.expires_on, s.full_name, c.id"

static const char *const SQL[CL_STQ__COUNT] = {
    [CL_STQ_OF_USER] = "SELECT id FROM staff WHERE user_id = ?1",
    [CL_STQ_BRIEF] = "SELECT COALESCE(supervisor_id, 0), active, full_name, COALESCE(user_id, 0) "
                     "FROM staff WHERE id = ?1",
    [CL_STQ_BY_ID] = "SELECT " STAFF_COLUMNS " FROM " STAFF_FROM " WHERE s.id = ?1",
    /* ?1 include left. The name index gives the order. */
    [CL_STQ_LIST] = "SELECT " STAFF_COLUMNS " FROM " STAFF_FROM
                    " WHERE (?1 = 1 OR s.active = 1) AND (?2 IS NULL OR s.supervisor_id = ?2) "
                    "ORDER BY s.full_name, s.id",
    [CL_STQ_INSERT] =
        "INSERT INTO staff (user_id, full_name, job_title, supervisor_id, "
        "employment_type, hire_date, phone, email, pay_type, created_at, created_by, "
        "updated_at, updated_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11) RETURNING id",
    [CL_STQ_UPDATE] = "UPDATE staff SET full_name = ?3, job_title = ?4, supervisor_id = ?5, "
                      "employment_type = ?6, hire_date = ?7, phone = ?8, email = ?9, "
                      "pay_type = ?10, updated_at = ?11, updated_by = ?12, version = version + 1 "
                      "WHERE id = ?1 AND version = ?2 RETURNING version",
    [CL_STQ_LEAVE] = "UPDATE staff SET active = 0, left_on = ?3, left_reason = ?4, "
                     "updated_at = ?5, updated_by = ?6, version = version + 1 "
                     "WHERE id = ?1 AND version = ?2 RETURNING version",
    /* A leaver's active reports move up to the leaver's own supervisor (?2, NULL for none). */
    [CL_STQ_REASSIGN] = "UPDATE staff SET supervisor_id = ?2, updated_at = ?3, updated_by = ?4, "
                        "version = version + 1 WHERE supervisor_id = ?1 AND active = 1 "
                        "RETURNING id",
    [CL_STQ_USER_BY_NAME] = "SELECT u.id, s.id FROM users u LEFT JOIN staff s ON s.user_id = u.id "
                            "WHERE u.username = ?1",
    [CL_STQ_CRED_BY_ID] = "SELECT " CRED_COLUMNS " FROM " CRED_FROM " WHERE c.id = ?1",
    [CL_STQ_CRED_OF_STAFF] = "SELECT " CRED_COLUMNS " FROM " CRED_FROM
                             " WHERE c.staff_id = ?1 AND (?2 = 1 OR c.removed_at = 0)" CRED_ORDER,
    /* ?1 include removed, ?2 the last expiry date wanted (NULL: any). */
    [CL_STQ_CRED_ALL] =
        "SELECT " CRED_COLUMNS " FROM " CRED_FROM " WHERE (?1 = 1 OR c.removed_at = 0) "
        "AND (?2 IS NULL OR (c.expires_on <> '' AND c.expires_on <= ?2))" CRED_ORDER,
    [CL_STQ_CRED_INSERT] = "INSERT INTO credentials (staff_id, kind, name, number, issuer, "
                           "issued_on, expires_on, warned_on, created_at, created_by, updated_at, "
                           "updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9, ?10) "
                           "RETURNING id",
    [CL_STQ_CRED_RETIRE] = "UPDATE credentials SET removed_at = ?3, removed_by = ?4, "
                           "removed_reason = ?5, replaced_by = ?6, updated_at = ?3, "
                           "updated_by = ?4, version = version + 1 "
                           "WHERE id = ?1 AND version = ?2 AND removed_at = 0 RETURNING version",
    /* The daily check: current credentials that entered the window (expires_on <= ?1) and were
     * not warned of yet, by credentials_expiry. */
    [CL_STQ_CRED_TO_WARN] = "SELECT c.id, c.staff_id FROM credentials c WHERE c.removed_at = 0 "
                            "AND c.expires_on <> '' AND c.expires_on <= ?1 AND c.warned_on = '' "
                            "ORDER BY c.expires_on, c.id LIMIT 500",
    [CL_STQ_CRED_WARNED] = "UPDATE credentials SET warned_on = ?2 WHERE id = ?1",
};

sqlite3_stmt *cl_staff_stmt(cl_tx_t *tx, cl_staff_q_t q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

const char *cl_staff_sql(cl_staff_q_t q)
{
    return SQL[q];
}

/* ---- the contract (staff_int.h) ------------------------------------------------------------ */

int cl_staff_of_user(cl_tx_t *tx, int64_t user_id, int64_t *staff_id)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_OF_USER);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *staff_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

/* The brief of staff member `staff_id`, with its user: 0, CL_ENOTFOUND, or a database status. */
static int brief(cl_tx_t *tx, int64_t staff_id, int64_t *supervisor_id, int *active, char *name,
                 size_t namelen, int64_t *user_id)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_BRIEF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1) {
        if (supervisor_id)
            *supervisor_id = sqlite3_column_int64(st, 0);
        if (active)
            *active = sqlite3_column_int(st, 1) != 0;
        if (name && namelen)
            snprintf(name, namelen, "%s", cl_db_text(st, 2));
        if (user_id)
            *user_id = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_staff_user(cl_tx_t *tx, int64_t staff_id, int64_t *user_id)
{
    return brief(tx, staff_id, NULL, NULL, NULL, 0, user_id);
}

int cl_staff_brief(cl_tx_t *tx, int64_t staff_id, int64_t *supervisor_id, int *active, char *name,
                   size_t namelen)
{
    return brief(tx, staff_id, supervisor_id, active, name, namelen, NULL);
}

int cl_staff_is_above(cl_tx_t *tx, int64_t upper, int64_t staff_id)
{
    int64_t at = staff_id;
    /* A chain is never a loop (edits refuse one) and never deeper than the bound; the bound only
     * keeps a damaged table from looping here. */
    for (int depth = 0; depth < CL_STAFF_CHAIN_MAX; depth++) {
        int64_t sup = 0;
        int rc = brief(tx, at, &sup, NULL, NULL, 0, NULL);
        if (rc == CL_ENOTFOUND)
            return 0;
        if (rc < 0)
            return rc;
        if (sup == 0)
            return 0;
        if (sup == upper)
            return 1;
        at = sup;
    }
    return 0;
}

cl_staff_access_t cl_staff_access(cl_tx_t *tx, int64_t staff_id)
{
    const cl_identity_t *who = &tx->job->who;
    if (cl_auth_allowed(who->roles, CL_PERM_STAFF_ADMIN))
        return CL_STAFF_MANAGER;
    int64_t me = 0;
    if (cl_staff_of_user(tx, who->user_id, &me) < 0 || staff_id <= 0)
        return CL_STAFF_NONE;
    if (me == staff_id)
        return CL_STAFF_SELF;
    return cl_staff_is_above(tx, me, staff_id) == 1 ? CL_STAFF_SUPERVISOR : CL_STAFF_NONE;
}

int cl_staff_may_decide(cl_tx_t *tx, int64_t requester)
{
    cl_job_t *job = tx->job;
    int64_t me = 0, sup = 0;
    char name[CL_STAFF_NAME_MAX + 1] = "";
    int rc = cl_staff_of_user(tx, job->who.user_id, &me);
    if (rc < 0 && rc != CL_ENOTFOUND)
        return rc;
    if (me != 0 && me == requester)
        return cl_job_fail(job, CL_EPERM, NULL, "you cannot approve your own request");
    rc = brief(tx, requester, &sup, NULL, name, sizeof(name), NULL);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(job, CL_ENOTFOUND, NULL, "the requester is not a staff member");
    if (rc < 0)
        return rc;
    if (cl_auth_allowed(job->who.roles, CL_PERM_APPROVE_ALL))
        return 0;
    if (me != 0 && sup == me)
        return 0;
    char msg[CL_STAFF_NAME_MAX + 96];
    snprintf(msg, sizeof(msg), "only %s's supervisor or a manager may decide this request", name);
    return cl_job_fail(job, CL_EPERM, NULL, msg);
}

/* ---- rows ----------------------------------------------------------------------------------- */

static char *dup_col(cl_arena_t *a, sqlite3_stmt *st, int col)
{
    return cl_arena_strdup(a, cl_db_text(st, col));
}

Clinic__StaffMember *cl_staff_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__StaffMember *m = CL_ARENA_NEW(a, Clinic__StaffMember);
    clinic__staff_member__init(m);
    m->id = (uint64_t)sqlite3_column_int64(st, 0);
    m->user_id = (uint64_t)sqlite3_column_int64(st, 1);
    m->username = dup_col(a, st, 2);
    m->full_name = dup_col(a, st, 3);
    m->job_title = dup_col(a, st, 4);
    m->roles = cl_role_names(a, (uint32_t)sqlite3_column_int64(st, 5), &m->n_roles);
    m->supervisor_id = (uint64_t)sqlite3_column_int64(st, 6);
    m->supervisor_name = dup_col(a, st, 7);
    m->employment_type = dup_col(a, st, 8);
    m->hire_date = dup_col(a, st, 9);
    m->phone = dup_col(a, st, 10);
    m->email = dup_col(a, st, 11);
    m->pay_type = dup_col(a, st, 12);
    m->active = sqlite3_column_int(st, 13) != 0;
    m->left_on = dup_col(a, st, 14);
    m->left_reason = dup_col(a, st, 15);
    m->created_at = sqlite3_column_int64(st, 16);
    m->created_by = dup_col(a, st, 17);
    m->updated_at = sqlite3_column_int64(st, 18);
    m->updated_by = dup_col(a, st, 19);
    m->version = (uint64_t)sqlite3_column_int64(st, 20);
    m->reports = (uint32_t)sqlite3_column_int64(st, 21);
    return m;
}

void cl_cred_flags(Clinic__StaffCredential *c, cl_date_t today)
{
    cl_date_t exp;
    c->days_left = 0;
    c->expiring = c->expired = 0;
    if (c->expires_on[0] == '\0' || cl_date_parse(c->expires_on, &exp) != 0)
        return;
    int64_t days = cl_date_diff(today, exp);
    c->days_left = days < INT32_MIN ? INT32_MIN : days > INT32_MAX ? INT32_MAX : (int32_t)days;
    c->expired = days < 0;
    c->expiring = days >= 0 && days <= CL_CRED_WARN_DAYS;
}

Clinic__StaffCredential *cl_cred_from_row(cl_arena_t *a, sqlite3_stmt *st, cl_date_t today)
{
    Clinic__StaffCredential *c = CL_ARENA_NEW(a, Clinic__StaffCredential);
    clinic__staff_credential__init(c);
    c->id = (uint64_t)sqlite3_column_int64(st, 0);
    c->staff_id = (uint64_t)sqlite3_column_int64(st, 1);
    c->staff_name = dup_col(a, st, 2);
    c->kind = dup_col(a, st, 3);
    c->name = dup_col(a, st, 4);
    c->number = dup_col(a, st, 5);
    c->issuer = dup_col(a, st, 6);
    c->issued_on = dup_col(a, st, 7);
    c->expires_on = dup_col(a, st, 8);
    c->warned_on = dup_col(a, st, 9);
    c->replaced_by = (uint64_t)sqlite3_column_int64(st, 10);
    c->removed_at = sqlite3_column_int64(st, 11);
    c->removed_by = dup_col(a, st, 12);
    c->removed_reason = dup_col(a, st, 13);
    c->created_at = sqlite3_column_int64(st, 14);
    c->created_by = dup_col(a, st, 15);
    c->version = (uint64_t)sqlite3_column_int64(st, 16);
    cl_cred_flags(c, today);
    if (c->removed_at != 0)
        c->expiring = 0;
    return c;
}

int cl_staff_db_get(cl_tx_t *tx, int64_t id, Clinic__StaffMember **out)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *out = cl_staff_from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_cred_db_get(cl_tx_t *tx, int64_t id, Clinic__StaffCredential **out)
{
    sqlite3_stmt *st = cl_staff_stmt(tx, CL_STQ_CRED_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *out = cl_cred_from_row(&tx->job->arena, st, cl_date_of(tx->now));
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}
