/* The approvals' SQL: its statement table, reading and writing requests, and the time-off ledger
 * (policies, accruals written per completed pay period, balances). Reads the staff part's
 * `staff` (names, hire dates) and the shifts part's `shifts` (minutes of time off, overtime
 * requests) as they are; writes only its own tables. Every query that runs per request has an
 * index behind it (tests/unit/test_approvals.c checks the plans of the inbox, a requester's list
 * and the time-off overlap). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "approvals_int.h"
#include "calendar.h"
#include "domain_int.h"
#include "status.h"

enum {
    Q_GET,
    Q_INSERT,
    Q_CLOSE,
    Q_CANCEL,
    Q_INBOX,
    Q_BY_STATE,
    Q_ALL,
    Q_REQUESTER,
    Q_PENDING_FOR,
    Q_OVERLAP,
    Q_SHIFT_MINUTES,
    Q_SHIFT,
    Q_POLICY,
    Q_POLICY_SET,
    Q_POLICIES,
    Q_ACTIVE_STAFF,
    Q_STAFF_DATES,
    Q_LAST_ACCRUAL,
    Q_LEDGER_SUM,
    Q_LEDGER_TOTAL,
    Q_PENDING_MINUTES,
    Q_LEDGER_INSERT,
    Q_ACCRUAL_INSERT,
    Q_LEDGER,
    Q__COUNT
};

/* The columns row_read() reads, in this order, and the joins that give them. */
#define REQ_COLUMNS                                                                                \
    "r.id, r.kind, r.requester_id, r.other_id, r.ref_id, r.ref2_id, r.starts_at, r.ends_at, "      \
    "r.amount, r.category, r.details, r.state, r.over_balance, r.overtime, r.created_at, "         \
    "cu.username, r.decided_at, du.username, r.comment, r.override_used, r.version, "              \
    "s.full_name, o.full_name, su.username, r.cancelled_at, xu.username, r.cancel_comment"
#define REQ_FROM                                                                                   \
    "requests r JOIN staff s ON s.id = r.requester_id "                                            \
    "LEFT JOIN staff o ON o.id = r.other_id "                                                      \
    "LEFT JOIN users su ON su.id = s.user_id "                                                     \
    "LEFT JOIN users cu ON cu.id = r.created_by "                                                  \
    "LEFT JOIN users du ON du.id = r.decided_by "                                                  \
    "LEFT JOIN users xu ON xu.id = r.cancelled_by"

static const char *const SQL[Q__COUNT] = {
    [Q_GET] = "SELECT " REQ_COLUMNS " FROM " REQ_FROM " WHERE r.id = ?1",
    [Q_INSERT] = "INSERT INTO requests (kind, requester_id, other_id, ref_id, ref2_id, starts_at, "
                 "ends_at, amount, category, details, over_balance, overtime, created_at, "
                 "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
                 "RETURNING id",
    /* The state is checked here, in the deciding job's own transaction: of a decision and a
     * withdrawal racing, the store runs one first, and the other finds it no longer pending. */
    [Q_CLOSE] = "UPDATE requests SET state = ?2, decided_at = ?3, decided_by = ?4, comment = ?5, "
                "override_used = ?6, version = version + 1 "
                "WHERE id = ?1 AND state = 'pending' RETURNING version",
    [Q_CANCEL] = "UPDATE requests SET state = 'cancelled', cancelled_at = ?2, cancelled_by = ?3, "
                 "cancel_comment = ?4, version = version + 1 "
                 "WHERE id = ?1 AND state = 'approved' RETURNING version",
    /* requests_inbox (state, kind, created_at): the pending ones only. */
    [Q_INBOX] = "SELECT " REQ_COLUMNS " FROM " REQ_FROM " WHERE r.state = 'pending' "
                "AND (?1 = '' OR r.kind = ?1) ORDER BY r.created_at, r.id",
    [Q_BY_STATE] = "SELECT " REQ_COLUMNS " FROM " REQ_FROM " WHERE r.state = ?2 "
                   "AND (?1 = '' OR r.kind = ?1) ORDER BY r.created_at DESC, r.id DESC",
    /* Newest first by the primary key: no sort, the walk stops at the list's limit. */
    [Q_ALL] = "SELECT " REQ_COLUMNS " FROM " REQ_FROM " WHERE (?1 = '' OR r.kind = ?1) "
              "ORDER BY r.id DESC",
    /* requests_requester (requester_id, kind, state, starts_at). */
    [Q_REQUESTER] = "SELECT " REQ_COLUMNS " FROM " REQ_FROM " WHERE r.requester_id = ?2 "
                    "AND (?1 = '' OR r.kind = ?1) AND (?3 = '' OR r.state = ?3) "
                    "ORDER BY r.id DESC",
    /* requests_ref (ref_id, kind, state). */
    [Q_PENDING_FOR] = "SELECT id FROM requests WHERE ref_id = ?2 AND kind = ?1 "
                      "AND state = 'pending' ORDER BY id",
    /* requests_requester: the staff member's time off in one state, by start; a request is at
     * most CL_TIMEOFF_DAYS_MAX days long, which bounds the range scanned. */
    [Q_OVERLAP] = "SELECT id, state, starts_at, ends_at FROM requests "
                  "WHERE requester_id = ?1 AND kind = 'timeoff' AND state IN ('approved', ?4) "
                  "AND starts_at < ?3 AND starts_at > ?2 - 367 * 86400 AND ends_at > ?2 "
                  "AND id <> ?5 ORDER BY starts_at, id LIMIT 1",
    /* shifts_staff (staff_id, starts_at). */
    [Q_SHIFT_MINUTES] = "SELECT count(*), COALESCE(sum(CASE WHEN ends_at > ?4 AND starts_at < ?5 "
                        "THEN (CASE WHEN ends_at < ?5 THEN ends_at ELSE ?5 END) - "
                        "(CASE WHEN starts_at > ?4 THEN starts_at ELSE ?4 END) ELSE 0 END), 0) "
                        "FROM shifts WHERE staff_id = ?1 AND starts_at >= ?2 AND starts_at < ?3 "
                        "AND state IN ('draft', 'published')",
    [Q_SHIFT] = "SELECT staff_id, starts_at, ends_at, state, overtime FROM shifts WHERE id = ?1",
    [Q_POLICY] = "SELECT type, tracked, accrual_minutes, cap_minutes, effective_from, updated_at, "
                 "updated_by, version FROM timeoff_policies WHERE type = ?1",
    [Q_POLICY_SET] = "UPDATE timeoff_policies SET accrual_minutes = ?2, cap_minutes = ?3, "
                     "effective_from = ?4, updated_at = ?5, updated_by = ?6, version = version + 1 "
                     "WHERE type = ?1 AND version = ?7 AND tracked = 1 RETURNING version",
    [Q_POLICIES] = "SELECT p.type, p.tracked, p.accrual_minutes, p.cap_minutes, "
                   "p.effective_from, p.updated_at, u.username, p.version "
                   "FROM timeoff_policies p LEFT JOIN users u ON u.id = p.updated_by "
                   "ORDER BY CASE p.type WHEN 'vacation' THEN 1 WHEN 'sick' THEN 2 "
                   "WHEN 'personal' THEN 3 WHEN 'unpaid' THEN 4 ELSE 5 END, p.type",
    [Q_ACTIVE_STAFF] = "SELECT id FROM staff WHERE active = 1 ORDER BY id",
    [Q_STAFF_DATES] = "SELECT hire_date, active, left_on FROM staff WHERE id = ?1",
    /* timeoff_ledger_staff (staff_id, type, entry, period). */
    [Q_LAST_ACCRUAL] = "SELECT max(period) FROM timeoff_ledger WHERE staff_id = ?1 AND type = ?2 "
                       "AND entry = 'accrual'",
    [Q_LEDGER_SUM] = "SELECT entry, sum(minutes) FROM timeoff_ledger WHERE staff_id = ?1 "
                     "AND type = ?2 GROUP BY entry",
    [Q_LEDGER_TOTAL] = "SELECT COALESCE(sum(minutes), 0) FROM timeoff_ledger WHERE staff_id = ?1 "
                       "AND type = ?2",
    [Q_PENDING_MINUTES] = "SELECT COALESCE(sum(amount), 0) FROM requests WHERE requester_id = ?1 "
                          "AND kind = 'timeoff' AND state = 'pending' AND category = ?2",
    [Q_LEDGER_INSERT] = "INSERT INTO timeoff_ledger (staff_id, type, entry, minutes, request_id, "
                        "reason, at, by_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* Idempotent: a second credit of the same period is no row (timeoff_ledger_accrual). */
    [Q_ACCRUAL_INSERT] = "INSERT INTO timeoff_ledger (staff_id, type, entry, minutes, period, "
                         "reason, at, by_user) VALUES (?1, ?2, 'accrual', ?3, ?4, ?5, ?6, 0) "
                         "ON CONFLICT (staff_id, type, period) WHERE entry = 'accrual' DO NOTHING",
    [Q_LEDGER] = "SELECT l.id, l.type, l.entry, l.minutes, l.period, l.request_id, l.reason, l.at, "
                 "u.username FROM timeoff_ledger l LEFT JOIN users u ON u.id = l.by_user "
                 "WHERE l.staff_id = ?1 ORDER BY l.id",
};

static const char *const STATE_NAMES[CL_REQ__STATES] = {
    [CL_REQ_PENDING] = "pending",
    [CL_REQ_APPROVED] = "approved",
    [CL_REQ_DENIED] = "denied",
    [CL_REQ_WITHDRAWN] = "withdrawn",
    [CL_REQ_CANCELLED] = "cancelled",
};

const char *cl_req_state_name(cl_req_state_t s)
{
    return (unsigned)s < CL_REQ__STATES ? STATE_NAMES[s] : "unknown";
}

int cl_req_state_find(const char *name)
{
    for (int s = 0; s < CL_REQ__STATES; s++)
        if (strcmp(STATE_NAMES[s], name) == 0)
            return s;
    return -1;
}

const char *cl_req_inbox_sql(void)
{
    return SQL[Q_INBOX];
}

const char *cl_req_requester_sql(void)
{
    return SQL[Q_REQUESTER];
}

const char *cl_req_overlap_sql(void)
{
    return SQL[Q_OVERLAP];
}

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

/* Runs an UPDATE that moves a request from one state (its WHERE) and RETURNING its version:
 * CL_EPRECOND when the request was no longer in that state; sets *version unless NULL. */
static int step_moved(cl_tx_t *tx, sqlite3_stmt *st, uint64_t *version)
{
    int rc = cl_db_step(tx->db, st);
    if (rc == 0)
        return CL_EPRECOND;
    if (rc < 0)
        return rc;
    if (version != NULL)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    return cl_db_step_done(tx->db, st);
}

/* The local date of an instant as "YYYY-MM-DD" in the arena; of the day before `t` when
 * `before` (an end instant at midnight belongs to the day before). */
static char *date_str(cl_arena_t *a, int64_t t, int before)
{
    char *s = cl_arena_alloc(a, 11);
    cl_date_format(cl_date_of(before ? t - 1 : t), s);
    return s;
}

/* Reads the REQ_COLUMNS of the current row into `out`. */
static void row_read(cl_arena_t *a, sqlite3_stmt *st, cl_req_row_t *out)
{
    memset(out, 0, sizeof(*out));
    cl_request_t *r = &out->r;
    const cl_req_kind_def_t *k = cl_req_kind_find(cl_db_text(st, 1));
    r->id = sqlite3_column_int64(st, 0);
    r->kind = k ? k->kind : 0;
    r->requester = sqlite3_column_int64(st, 2);
    r->other = sqlite3_column_int64(st, 3);
    r->ref_id = sqlite3_column_int64(st, 4);
    r->ref2_id = sqlite3_column_int64(st, 5);
    r->starts_at = sqlite3_column_int64(st, 6);
    r->ends_at = sqlite3_column_int64(st, 7);
    r->amount = sqlite3_column_int64(st, 8);
    snprintf(r->category, sizeof(r->category), "%s", cl_db_text(st, 9));
    snprintf(r->details, sizeof(r->details), "%s", cl_db_text(st, 10));
    out->state = cl_req_state_find(cl_db_text(st, 11));
    out->created_at = sqlite3_column_int64(st, 14);
    out->version = (uint64_t)sqlite3_column_int64(st, 20);

    Clinic__StaffRequest *m = CL_ARENA_NEW(a, Clinic__StaffRequest);
    clinic__staff_request__init(m);
    m->id = (uint64_t)r->id;
    m->version = out->version;
    m->kind = cl_arena_strdup(a, cl_db_text(st, 1));
    m->state = cl_arena_strdup(a, cl_db_text(st, 11));
    m->requester_id = (uint64_t)r->requester;
    m->requester_name = cl_arena_strdup(a, cl_db_text(st, 21));
    m->requester_username = cl_arena_strdup(a, cl_db_text(st, 23));
    m->other_id = (uint64_t)r->other;
    m->other_name = cl_arena_strdup(a, cl_db_text(st, 22));
    m->ref_id = (uint64_t)r->ref_id;
    m->ref2_id = (uint64_t)r->ref2_id;
    m->starts_at = r->starts_at;
    m->ends_at = r->ends_at;
    m->amount = r->amount;
    m->category = cl_arena_strdup(a, r->category);
    m->details = cl_arena_strdup(a, cl_db_text(st, 10));
    m->over_balance = sqlite3_column_int(st, 12) != 0;
    m->overtime = sqlite3_column_int(st, 13) != 0;
    m->created_at = out->created_at;
    m->created_by = cl_arena_strdup(a, cl_db_text(st, 15));
    m->decided_at = sqlite3_column_int64(st, 16);
    m->decided_by = cl_arena_strdup(a, cl_db_text(st, 17));
    m->comment = cl_arena_strdup(a, cl_db_text(st, 18));
    m->override_used = sqlite3_column_int(st, 19) != 0;
    m->cancelled_at = sqlite3_column_int64(st, 24);
    m->cancelled_by = cl_arena_strdup(a, cl_db_text(st, 25));
    m->cancel_comment = cl_arena_strdup(a, cl_db_text(st, 26));
    m->from_date = "";
    m->to_date = "";
    if (r->kind == CL_REQ_TIMEOFF && r->ends_at > r->starts_at) {
        m->from_date = date_str(a, r->starts_at, 0);
        m->to_date = date_str(a, r->ends_at, 1);
    } else if (r->kind == CL_REQ_EXPENSE && r->starts_at) {
        m->from_date = date_str(a, r->starts_at, 0);
    }
    out->msg = m;
}

int cl_req_db_get(cl_tx_t *tx, int64_t id, cl_req_row_t *out)
{
    sqlite3_stmt *st = stmt(tx, Q_GET);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    row_read(&tx->job->arena, st, out);
    cl_db_step(tx->db, st);
    return 0;
}

int cl_req_db_insert(cl_tx_t *tx, cl_request_t *r, const cl_req_flags_t *flags)
{
    const cl_req_kind_def_t *k = cl_req_kind(r->kind);
    sqlite3_stmt *st = stmt(tx, Q_INSERT);
    if (st == NULL || k == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->requester);
    sqlite3_bind_int64(st, 3, r->other);
    sqlite3_bind_int64(st, 4, r->ref_id);
    sqlite3_bind_int64(st, 5, r->ref2_id);
    sqlite3_bind_int64(st, 6, r->starts_at);
    sqlite3_bind_int64(st, 7, r->ends_at);
    sqlite3_bind_int64(st, 8, r->amount);
    sqlite3_bind_text(st, 9, r->category, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, r->details, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 11, flags->over_balance != 0);
    sqlite3_bind_int(st, 12, flags->overtime != 0);
    sqlite3_bind_int64(st, 13, tx->now);
    sqlite3_bind_int64(st, 14, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    if (rc != 1)
        return rc < 0 ? rc : CL_EINTERNAL;
    r->id = sqlite3_column_int64(st, 0);
    return cl_db_step_done(tx->db, st);
}

int cl_req_db_close(cl_tx_t *tx, int64_t id, cl_req_state_t to, int64_t by_user,
                    const char *comment, int override_used, uint64_t *version)
{
    sqlite3_stmt *st = stmt(tx, Q_CLOSE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cl_req_state_name(to), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, by_user);
    sqlite3_bind_text(st, 5, comment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, override_used != 0);
    return step_moved(tx, st, version);
}

int cl_req_db_cancel(cl_tx_t *tx, int64_t id, const char *comment)
{
    sqlite3_stmt *st = stmt(tx, Q_CANCEL);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int64(st, 3, tx->job->who.user_id);
    sqlite3_bind_text(st, 4, comment, -1, SQLITE_TRANSIENT);
    return step_moved(tx, st, NULL);
}

int cl_req_db_walk(cl_tx_t *tx, const cl_req_walk_t *w, int (*each)(cl_req_row_t *row, void *arg),
                   void *arg)
{
    int q = w->requester ? Q_REQUESTER : w->inbox ? Q_INBOX : w->state >= 0 ? Q_BY_STATE : Q_ALL;
    sqlite3_stmt *st = stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, w->kind ? w->kind : "", -1, SQLITE_TRANSIENT);
    if (q == Q_REQUESTER) {
        sqlite3_bind_int64(st, 2, w->requester);
        sqlite3_bind_text(st, 3,
                          w->inbox        ? "pending"
                          : w->state >= 0 ? STATE_NAMES[w->state]
                                          : "",
                          -1, SQLITE_STATIC);
    } else if (q == Q_BY_STATE) {
        sqlite3_bind_text(st, 2, STATE_NAMES[w->state], -1, SQLITE_STATIC);
    }
    int rc;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        cl_req_row_t row;
        row_read(&tx->job->arena, st, &row);
        if ((rc = each(&row, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

int cl_req_db_pending_for(cl_tx_t *tx, const char *kind, int64_t ref_id, int64_t **ids, size_t *n)
{
    sqlite3_stmt *st = stmt(tx, Q_PENDING_FOR);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ref_id);
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *ids, *n, cap);
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    return rc;
}

int cl_req_db_timeoff_overlap(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to,
                              int approved_only, int64_t self, int64_t *id, int *state,
                              int64_t *starts_at, int64_t *ends_at)
{
    sqlite3_stmt *st = stmt(tx, Q_OVERLAP);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_text(st, 4, approved_only ? "approved" : "pending", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, self);
    int rc = cl_db_step(tx->db, st);
    if (rc != 1)
        return rc;
    *id = sqlite3_column_int64(st, 0);
    *state = cl_req_state_find(cl_db_text(st, 1));
    *starts_at = sqlite3_column_int64(st, 2);
    *ends_at = sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    return 1;
}

int cl_req_db_shift_minutes(cl_tx_t *tx, int64_t staff_id, int64_t day_from, int64_t day_to,
                            int64_t from, int64_t to, int64_t *minutes, int *shifts)
{
    sqlite3_stmt *st = stmt(tx, Q_SHIFT_MINUTES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, day_from);
    sqlite3_bind_int64(st, 3, day_to);
    sqlite3_bind_int64(st, 4, from);
    sqlite3_bind_int64(st, 5, to);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    *shifts = sqlite3_column_int(st, 0);
    *minutes = sqlite3_column_int64(st, 1) / 60;
    sqlite3_reset(st);
    return 0;
}

int cl_req_db_shift(cl_tx_t *tx, int64_t shift_id, int64_t *staff_id, int64_t *starts_at,
                    int64_t *ends_at, char state[16], char overtime[16])
{
    sqlite3_stmt *st = stmt(tx, Q_SHIFT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, shift_id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    *staff_id = sqlite3_column_int64(st, 0);
    *starts_at = sqlite3_column_int64(st, 1);
    *ends_at = sqlite3_column_int64(st, 2);
    snprintf(state, 16, "%s", cl_db_text(st, 3));
    snprintf(overtime, 16, "%s", cl_db_text(st, 4));
    sqlite3_reset(st);
    return 0;
}

/* ---- time-off policies and the ledger ---- */

int cl_timeoff_db_policy(cl_tx_t *tx, const char *type, cl_timeoff_policy_t *out)
{
    sqlite3_stmt *st = stmt(tx, Q_POLICY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    memset(out, 0, sizeof(*out));
    snprintf(out->type, sizeof(out->type), "%s", cl_db_text(st, 0));
    out->tracked = sqlite3_column_int(st, 1);
    out->accrual_minutes = sqlite3_column_int64(st, 2);
    out->cap_minutes = sqlite3_column_int64(st, 3);
    snprintf(out->effective_from, sizeof(out->effective_from), "%s", cl_db_text(st, 4));
    out->updated_at = sqlite3_column_int64(st, 5);
    out->updated_by = sqlite3_column_int64(st, 6);
    out->version = (uint64_t)sqlite3_column_int64(st, 7);
    sqlite3_reset(st);
    return 0;
}

int cl_timeoff_db_policy_set(cl_tx_t *tx, const char *type, int64_t accrual, int64_t cap,
                             uint64_t version)
{
    sqlite3_stmt *st = stmt(tx, Q_POLICY_SET);
    if (st == NULL)
        return CL_EINTERNAL;
    char today[11];
    cl_date_format(cl_date_of(tx->now), today);
    sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, accrual);
    sqlite3_bind_int64(st, 3, cap);
    sqlite3_bind_text(st, 4, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, tx->now);
    sqlite3_bind_int64(st, 6, tx->job->who.user_id);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
    int rc = cl_db_step(tx->db, st);
    if (rc == 0)
        return CL_ECONFLICT;
    if (rc < 0)
        return rc;
    return cl_db_step_done(tx->db, st);
}

int cl_timeoff_db_policies(cl_tx_t *tx, Clinic__AccrualPolicy ***out, size_t *n)
{
    sqlite3_stmt *st = stmt(tx, Q_POLICIES);
    if (st == NULL)
        return CL_EINTERNAL;
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__AccrualPolicy *p = CL_ARENA_NEW(a, Clinic__AccrualPolicy);
        clinic__accrual_policy__init(p);
        p->type = cl_arena_strdup(a, cl_db_text(st, 0));
        p->tracked = sqlite3_column_int(st, 1) != 0;
        p->accrual_minutes = sqlite3_column_int64(st, 2);
        p->cap_minutes = sqlite3_column_int64(st, 3);
        p->effective_from = cl_arena_strdup(a, cl_db_text(st, 4));
        p->updated_at = sqlite3_column_int64(st, 5);
        p->updated_by = cl_arena_strdup(a, cl_db_text(st, 6));
        p->version = (uint64_t)sqlite3_column_int64(st, 7);
        CL_ARENA_RESERVE(a, *out, *n, cap);
        (*out)[(*n)++] = p;
    }
    return rc;
}

int cl_timeoff_db_active_staff(cl_tx_t *tx, int64_t **ids, size_t *n)
{
    sqlite3_stmt *st = stmt(tx, Q_ACTIVE_STAFF);
    if (st == NULL)
        return CL_EINTERNAL;
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *ids, *n, cap);
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    return rc;
}

int cl_timeoff_db_ledger_add(cl_tx_t *tx, int64_t staff_id, const char *type, const char *entry,
                             int64_t minutes, int64_t request_id, const char *reason)
{
    sqlite3_stmt *st = stmt(tx, Q_LEDGER_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, entry, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, minutes);
    sqlite3_bind_int64(st, 5, request_id);
    sqlite3_bind_text(st, 6, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, tx->now);
    sqlite3_bind_int64(st, 8, tx->job->who.user_id);
    return cl_db_step_done(tx->db, st);
}

int cl_timeoff_db_ledger(cl_tx_t *tx, int64_t staff_id, Clinic__TimeOffLedgerEntry ***out,
                         size_t *n)
{
    sqlite3_stmt *st = stmt(tx, Q_LEDGER);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__TimeOffLedgerEntry *e = CL_ARENA_NEW(a, Clinic__TimeOffLedgerEntry);
        clinic__time_off_ledger_entry__init(e);
        e->id = (uint64_t)sqlite3_column_int64(st, 0);
        e->type = cl_arena_strdup(a, cl_db_text(st, 1));
        e->entry = cl_arena_strdup(a, cl_db_text(st, 2));
        e->minutes = sqlite3_column_int64(st, 3);
        e->period = cl_arena_strdup(a, cl_db_text(st, 4));
        e->request_id = (uint64_t)sqlite3_column_int64(st, 5);
        e->reason = cl_arena_strdup(a, cl_db_text(st, 6));
        e->at = sqlite3_column_int64(st, 7);
        e->by = cl_arena_strdup(a, cl_db_text(st, 8));
        CL_ARENA_RESERVE(a, *out, *n, cap);
        (*out)[(*n)++] = e;
    }
    return rc;
}

/* One integer from a statement bound with (staff_id, type). */
static int staff_type_int(cl_tx_t *tx, int q, int64_t staff_id, const char *type, int64_t *out)
{
    sqlite3_stmt *st = stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* The staff member's hire date (`hired` 0 when not recorded), and the day after which they
 * earn nothing (`left` 0 while active). */
static int staff_dates(cl_tx_t *tx, int64_t staff_id, cl_date_t *hire, int *hired, cl_date_t *left,
                       int *has_left)
{
    sqlite3_stmt *st = stmt(tx, Q_STAFF_DATES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    *hired = cl_date_parse(cl_db_text(st, 0), hire) == 0;
    int active = sqlite3_column_int(st, 1);
    *has_left = 0;
    if (!active) {
        *has_left = 1;
        /* Left without a date recorded: nothing more accrues from today. */
        if (cl_date_parse(cl_db_text(st, 2), left) != 0)
            *left = cl_date_of(tx->now);
    }
    sqlite3_reset(st);
    return 0;
}

int cl_timeoff_accrue(cl_tx_t *tx, int64_t staff_id, const char *type)
{
    cl_timeoff_policy_t pol;
    int rc = cl_timeoff_db_policy(tx, type, &pol);
    if (rc < 0)
        return rc;
    cl_date_t from;
    if (!pol.tracked || pol.accrual_minutes <= 0 || cl_date_parse(pol.effective_from, &from) != 0)
        return 0;
    cl_pay_policy_t pay;
    if ((rc = cl_pay_policy(tx, &pay)) < 0)
        return rc;
    cl_date_t hire, left;
    int hired = 0, has_left = 0;
    if ((rc = staff_dates(tx, staff_id, &hire, &hired, &left, &has_left)) < 0)
        return rc;

    /* Start after the last period credited, else at the first period that ends on or after the
     * rate took effect and begins on or after the hire date (a partial first period earns
     * nothing). */
    cl_date_t first, last;
    sqlite3_stmt *st = stmt(tx, Q_LAST_ACCRUAL);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    if ((rc = cl_db_step_row(tx->db, st)) != 1)
        return rc;
    cl_date_t credited;
    int any = cl_date_parse(cl_db_text(st, 0), &credited) == 0;
    sqlite3_reset(st);
    if (any) {
        cl_pay_period_of(&pay, credited, &first, &last);
        cl_pay_period_of(&pay, cl_date_add(last, 1), &first, &last);
    } else {
        cl_date_t start = hired && cl_date_cmp(hire, from) > 0 ? hire : from;
        cl_pay_period_of(&pay, start, &first, &last);
        if (hired && cl_date_cmp(first, hire) < 0)
            cl_pay_period_of(&pay, cl_date_add(last, 1), &first, &last);
    }

    cl_date_t today = cl_date_of(tx->now);
    int64_t balance = 0;
    if (pol.cap_minutes > 0 &&
        (rc = staff_type_int(tx, Q_LEDGER_TOTAL, staff_id, type, &balance)) < 0)
        return rc;
    int written = 0;
    for (int i = 0; i < CL_ACCRUAL_PERIODS_MAX && cl_date_cmp(last, today) < 0; i++) {
        if (has_left && cl_date_cmp(last, left) > 0)
            break;
        int64_t credit = pol.accrual_minutes;
        if (pol.cap_minutes > 0) {
            int64_t room = pol.cap_minutes - balance;
            credit = room <= 0 ? 0 : credit < room ? credit : room;
        }
        char p1[11], p2[11], reason[96];
        cl_date_format(first, p1);
        cl_date_format(last, p2);
        if (credit < pol.accrual_minutes)
            snprintf(reason, sizeof(reason), "pay period %s to %s (capped at %" PRId64 " min)", p1,
                     p2, pol.cap_minutes);
        else
            snprintf(reason, sizeof(reason), "pay period %s to %s", p1, p2);
        if ((st = stmt(tx, Q_ACCRUAL_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, staff_id);
        sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, credit);
        sqlite3_bind_text(st, 4, p1, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, reason, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, tx->now);
        if ((rc = cl_db_step_done(tx->db, st)) < 0)
            return rc;
        if (sqlite3_changes(cl_db_handle(tx->db)) > 0) {
            balance += credit;
            written++;
        }
        cl_pay_period_of(&pay, cl_date_add(last, 1), &first, &last);
    }
    return written;
}

int cl_timeoff_balance(cl_tx_t *tx, int64_t staff_id, const char *type, Clinic__TimeOffBalance *out)
{
    cl_timeoff_policy_t pol;
    int rc = cl_timeoff_db_policy(tx, type, &pol);
    if (rc < 0)
        return rc;
    out->type = cl_arena_strdup(&tx->job->arena, pol.type);
    out->tracked = pol.tracked != 0;
    out->accrual_minutes = pol.accrual_minutes;
    out->cap_minutes = pol.cap_minutes;
    if ((rc = staff_type_int(tx, Q_PENDING_MINUTES, staff_id, type, &out->pending)) < 0)
        return rc;
    if (!pol.tracked)
        return 0;
    if ((rc = cl_timeoff_accrue(tx, staff_id, type)) < 0)
        return rc;
    sqlite3_stmt *st = stmt(tx, Q_LEDGER_SUM);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        const char *entry = cl_db_text(st, 0);
        int64_t sum = sqlite3_column_int64(st, 1);
        if (strcmp(entry, "accrual") == 0)
            out->accrued = sum;
        else if (strcmp(entry, "used") == 0)
            out->used = -sum;
        else
            out->adjusted = sum;
    }
    if (rc < 0)
        return rc;
    out->balance = out->accrued + out->adjusted - out->used;
    out->available = out->balance - out->pending;
    return 0;
}

int cl_timeoff_minutes(cl_tx_t *tx, int64_t staff_id, int64_t starts_at, int64_t ends_at,
                       int64_t *minutes)
{
    *minutes = 0;
    cl_date_t d = cl_date_of(starts_at), end = cl_date_of(ends_at - 1);
    for (int i = 0; i <= CL_TIMEOFF_DAYS_MAX && cl_date_cmp(d, end) <= 0; i++) {
        int64_t day_from = cl_local_instant(d, 0), day_to = cl_local_instant(d, 1440);
        int64_t shift_minutes;
        int shifts;
        int rc = cl_req_db_shift_minutes(tx, staff_id, day_from, day_to, starts_at, ends_at,
                                         &shift_minutes, &shifts);
        if (rc < 0)
            return rc;
        if (shifts > 0) {
            *minutes += shift_minutes;
        } else {
            int wd = cl_date_weekday(d);
            if (wd != 0 && wd != 6) {
                int64_t from = starts_at > day_from ? starts_at : day_from;
                int64_t to = ends_at < day_to ? ends_at : day_to;
                int64_t m = to > from ? (to - from) / 60 : 0;
                *minutes += m < CL_TIMEOFF_WEEKDAY_MINUTES ? m : CL_TIMEOFF_WEEKDAY_MINUTES;
            }
        }
        d = cl_date_add(d, 1);
    }
    return 0;
}
