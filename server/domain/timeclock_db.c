/* The time clock's SQL: its statement table, and the reads and writes of the pay policy,
 * punches, breaks and punch history that timeclock.c and timeclock_sheet.c build on. Every
 * query that runs per request has an index behind it: punches_staff (staff_id, in_at) for a
 * staff member's punches, the partial punches_one_open for the open punch, breaks_punch for a
 * punch's breaks (tests/unit/test_timeclock.c checks the plans). */
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "status.h"
#include "timeclock_int.h"

enum {
    Q_POLICY,
    Q_POLICY_SET,
    Q_PUNCH_BY_ID,
    Q_OPEN_PUNCH,
    Q_LAST_PUNCH,
    Q_PUNCHES,
    Q_BREAKS,
    Q_HISTORY,
    Q_STAFF_WITH_PUNCHES,
    Q_OVERLAP,
    Q_CLOCK_IN,
    Q_CLOCK_OUT,
    Q_BREAKS_CLOSE,
    Q_BREAK_START,
    Q_BREAK_END,
    Q_HISTORY_INSERT,
    Q_PUNCH_CORRECT,
    Q_PUNCH_ADD,
    Q_BREAK_ADD,
    Q_PUNCH_BUMP,
    Q__COUNT
};

#define PUNCH_COLUMNS                                                                              \
    "p.id, p.staff_id, p.in_at, p.out_at, p.in_workstation, COALESCE(ui.username, ''), "           \
    "p.out_workstation, COALESCE(uo.username, ''), p.version, p.request_id"
#define PUNCH_FROM                                                                                 \
    "punches p LEFT JOIN users ui ON ui.id = p.in_user LEFT JOIN users uo ON uo.id = p.out_user"

static const char *const SQL[Q__COUNT] = {
    [Q_POLICY] = "SELECT p.period, p.anchor, p.daily_overtime_minutes, p.weekly_overtime_minutes, "
                 "p.break_after_minutes, p.break_minutes, p.version, p.updated_at, "
                 "COALESCE(u.username, '') FROM pay_policy p "
                 "LEFT JOIN users u ON u.id = p.updated_by WHERE p.id = 1",
    [Q_POLICY_SET] = "UPDATE pay_policy SET period = ?1, anchor = ?2, daily_overtime_minutes = ?3, "
                     "weekly_overtime_minutes = ?4, break_after_minutes = ?5, break_minutes = ?6, "
                     "updated_at = ?7, updated_by = ?8, version = version + 1 "
                     "WHERE id = 1 AND version = ?9 RETURNING version",
    [Q_PUNCH_BY_ID] = "SELECT " PUNCH_COLUMNS " FROM " PUNCH_FROM " WHERE p.id = ?1",
    /* punches_one_open: the partial index holds only open punches. */
    [Q_OPEN_PUNCH] =
        "SELECT " PUNCH_COLUMNS " FROM " PUNCH_FROM " WHERE p.staff_id = ?1 AND p.out_at = 0",
    [Q_LAST_PUNCH] = "SELECT " PUNCH_COLUMNS " FROM " PUNCH_FROM
                     " WHERE p.staff_id = ?1 ORDER BY p.in_at DESC, p.id DESC LIMIT 1",
    /* punches_staff (staff_id, in_at) serves the range and the order. */
    [Q_PUNCHES] = "SELECT " PUNCH_COLUMNS " FROM " PUNCH_FROM
                  " WHERE p.staff_id = ?1 AND p.in_at >= ?2 AND p.in_at < ?3 "
                  "ORDER BY p.in_at, p.id",
    [Q_BREAKS] = "SELECT id, start_at, end_at, paid, request_id FROM breaks WHERE punch_id = ?1 "
                 "ORDER BY start_at, id",
    [Q_HISTORY] = "SELECT h.version, h.in_at, h.out_at, h.in_workstation, h.out_workstation, "
                  "h.request_id, h.replaced_by_request, h.replaced_at, COALESCE(u.username, '') "
                  "FROM punch_history h LEFT JOIN users u ON u.id = h.replaced_by "
                  "WHERE h.punch_id = ?1 ORDER BY h.version",
    [Q_STAFF_WITH_PUNCHES] = "SELECT DISTINCT staff_id FROM punches "
                             "WHERE in_at >= ?1 AND in_at < ?2 ORDER BY staff_id",
    /* A punch still open runs on: it overlaps whatever begins after it began. */
    [Q_OVERLAP] = "SELECT id, in_at, out_at FROM punches WHERE staff_id = ?1 AND id <> ?2 "
                  "AND in_at < ?4 AND (out_at = 0 OR out_at > ?3) ORDER BY in_at LIMIT 1",
    [Q_CLOCK_IN] = "INSERT INTO punches (staff_id, in_at, in_workstation, in_user, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?2) RETURNING id",
    [Q_CLOCK_OUT] = "UPDATE punches SET out_at = ?2, out_workstation = ?3, out_user = ?4 "
                    "WHERE id = ?1 AND out_at = 0 RETURNING id",
    [Q_BREAKS_CLOSE] = "UPDATE breaks SET end_at = ?2 WHERE punch_id = ?1 AND end_at = 0",
    [Q_BREAK_START] = "INSERT INTO breaks (punch_id, start_at, paid, workstation) "
                      "VALUES (?1, ?2, ?3, ?4)",
    [Q_BREAK_END] = "UPDATE breaks SET end_at = ?2 WHERE punch_id = ?1 AND end_at = 0 "
                    "RETURNING id",
    [Q_HISTORY_INSERT] = "INSERT INTO punch_history (punch_id, version, in_at, out_at, "
                         "in_workstation, in_user, out_workstation, out_user, request_id, "
                         "replaced_by_request, replaced_at, replaced_by) "
                         "SELECT id, version, in_at, out_at, in_workstation, in_user, "
                         "out_workstation, out_user, request_id, ?2, ?3, ?4 "
                         "FROM punches WHERE id = ?1",
    /* An end whose time the correction changes was not punched from where the original was:
     * its workstation and user are cleared (the history keeps them). SET reads the old row. */
    [Q_PUNCH_CORRECT] = "UPDATE punches SET in_at = ?2, out_at = ?3, request_id = ?4, "
                        "in_workstation = CASE WHEN in_at = ?2 THEN in_workstation ELSE '' END, "
                        "in_user = CASE WHEN in_at = ?2 THEN in_user ELSE 0 END, "
                        "out_workstation = CASE WHEN out_at = ?3 THEN out_workstation ELSE '' END, "
                        "out_user = CASE WHEN out_at = ?3 THEN out_user ELSE 0 END, "
                        "version = version + 1 WHERE id = ?1 RETURNING version",
    [Q_PUNCH_ADD] = "INSERT INTO punches (staff_id, in_at, out_at, request_id, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
    [Q_BREAK_ADD] = "INSERT INTO breaks (punch_id, start_at, end_at, paid, request_id) "
                    "VALUES (?1, ?2, ?3, 0, ?4)",
    [Q_PUNCH_BUMP] = "UPDATE punches SET version = version + 1, request_id = ?2 WHERE id = ?1 "
                     "RETURNING version",
};

const char *cl_tc_punches_sql(void)
{
    return SQL[Q_PUNCHES];
}

const char *cl_tc_open_punch_sql(void)
{
    return SQL[Q_OPEN_PUNCH];
}

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

/* ---- pay policy ---- */

int cl_tc_db_policy(cl_tx_t *tx, cl_pay_policy_t *out, uint64_t *version, int64_t *updated_at,
                    const char **updated_by)
{
    sqlite3_stmt *st = stmt(tx, Q_POLICY);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc; /* the migration made the row */
    memset(out, 0, sizeof(*out));
    out->period = cl_pay_period_find(cl_db_text(st, 0));
    if (out->period == 0 || cl_date_parse(cl_db_text(st, 1), &out->anchor) != 0) {
        sqlite3_reset(st);
        return CL_ECORRUPT;
    }
    out->daily_overtime_minutes = sqlite3_column_int(st, 2);
    out->weekly_overtime_minutes = sqlite3_column_int(st, 3);
    out->break_after_minutes = sqlite3_column_int(st, 4);
    out->break_minutes = sqlite3_column_int(st, 5);
    if (version)
        *version = (uint64_t)sqlite3_column_int64(st, 6);
    if (updated_at)
        *updated_at = sqlite3_column_int64(st, 7);
    if (updated_by)
        *updated_by = cl_arena_strdup(&tx->job->arena, cl_db_text(st, 8));
    sqlite3_reset(st);
    return 0;
}

int cl_tc_db_policy_set(cl_tx_t *tx, const cl_pay_policy_t *p, uint64_t *version)
{
    char anchor[11];
    sqlite3_stmt *st = stmt(tx, Q_POLICY_SET);
    if (st == NULL)
        return CL_EINTERNAL;
    cl_date_format(p->anchor, anchor);
    sqlite3_bind_text(st, 1, cl_pay_period_name(p->period), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, anchor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, p->daily_overtime_minutes);
    sqlite3_bind_int(st, 4, p->weekly_overtime_minutes);
    sqlite3_bind_int(st, 5, p->break_after_minutes);
    sqlite3_bind_int(st, 6, p->break_minutes);
    sqlite3_bind_int64(st, 7, tx->now);
    sqlite3_bind_int64(st, 8, tx->job->who.user_id);
    sqlite3_bind_int64(st, 9, (int64_t)*version);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ECONFLICT : rc;
}

/* ---- punches ---- */

static Clinic__Punch *punch_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Punch *p = CL_ARENA_NEW(a, Clinic__Punch);
    clinic__punch__init(p);
    p->id = (uint64_t)sqlite3_column_int64(st, 0);
    p->staff_id = (uint64_t)sqlite3_column_int64(st, 1);
    p->in_at = sqlite3_column_int64(st, 2);
    p->out_at = sqlite3_column_int64(st, 3);
    p->in_workstation = cl_arena_strdup(a, cl_db_text(st, 4));
    p->in_user = cl_arena_strdup(a, cl_db_text(st, 5));
    p->out_workstation = cl_arena_strdup(a, cl_db_text(st, 6));
    p->out_user = cl_arena_strdup(a, cl_db_text(st, 7));
    p->version = (uint64_t)sqlite3_column_int64(st, 8);
    p->request_id = (uint64_t)sqlite3_column_int64(st, 9);
    return p;
}

static int punch_breaks(cl_tx_t *tx, Clinic__Punch *p)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_BREAKS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__PunchBreak *b = CL_ARENA_NEW(a, Clinic__PunchBreak);
        clinic__punch_break__init(b);
        b->id = (uint64_t)sqlite3_column_int64(st, 0);
        b->start_at = sqlite3_column_int64(st, 1);
        b->end_at = sqlite3_column_int64(st, 2);
        b->paid = sqlite3_column_int(st, 3) != 0;
        b->request_id = (uint64_t)sqlite3_column_int64(st, 4);
        CL_ARENA_RESERVE(a, p->breaks, p->n_breaks, cap);
        p->breaks[p->n_breaks++] = b;
    }
    return rc;
}

static int punch_history(cl_tx_t *tx, Clinic__Punch *p)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_HISTORY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__PunchVersion *v = CL_ARENA_NEW(a, Clinic__PunchVersion);
        clinic__punch_version__init(v);
        v->version = (uint64_t)sqlite3_column_int64(st, 0);
        v->in_at = sqlite3_column_int64(st, 1);
        v->out_at = sqlite3_column_int64(st, 2);
        v->in_workstation = cl_arena_strdup(a, cl_db_text(st, 3));
        v->out_workstation = cl_arena_strdup(a, cl_db_text(st, 4));
        v->request_id = (uint64_t)sqlite3_column_int64(st, 5);
        v->replaced_by_request = (uint64_t)sqlite3_column_int64(st, 6);
        v->replaced_at = sqlite3_column_int64(st, 7);
        v->replaced_by = cl_arena_strdup(a, cl_db_text(st, 8));
        CL_ARENA_RESERVE(a, p->history, p->n_history, cap);
        p->history[p->n_history++] = v;
    }
    return rc;
}

/* Runs a punch query that gives at most one row into *out (NULL when none) with its breaks. */
static int punch_one(cl_tx_t *tx, sqlite3_stmt *st, int history, Clinic__Punch **out)
{
    *out = NULL;
    int rc = cl_db_step(tx->db, st);
    if (rc != 1)
        return rc;
    Clinic__Punch *p = punch_from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    if ((rc = punch_breaks(tx, p)) < 0)
        return rc;
    if (history && (rc = punch_history(tx, p)) < 0)
        return rc;
    *out = p;
    return 0;
}

int cl_tc_db_punch(cl_tx_t *tx, int64_t id, int history, Clinic__Punch **out)
{
    sqlite3_stmt *st = stmt(tx, Q_PUNCH_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = punch_one(tx, st, history, out);
    return rc < 0 ? rc : *out == NULL ? CL_ENOTFOUND : 0;
}

int cl_tc_db_open_punch(cl_tx_t *tx, int64_t staff_id, Clinic__Punch **out)
{
    sqlite3_stmt *st = stmt(tx, Q_OPEN_PUNCH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    return punch_one(tx, st, 0, out);
}

int cl_tc_db_last_punch(cl_tx_t *tx, int64_t staff_id, Clinic__Punch **out)
{
    sqlite3_stmt *st = stmt(tx, Q_LAST_PUNCH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    return punch_one(tx, st, 0, out);
}

int cl_tc_db_punches(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int history,
                     Clinic__Punch ***out, size_t *n)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(tx, Q_PUNCHES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, *out, *n, cap);
        (*out)[(*n)++] = punch_from_row(a, st);
    }
    if (rc < 0)
        return rc;
    /* The breaks and history after the range query is done: one statement steps at a time. */
    for (size_t i = 0; i < *n; i++) {
        if ((rc = punch_breaks(tx, (*out)[i])) < 0)
            return rc;
        if (history && (rc = punch_history(tx, (*out)[i])) < 0)
            return rc;
    }
    return 0;
}

int cl_tc_db_staff_with_punches(cl_tx_t *tx, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(tx, Q_STAFF_WITH_PUNCHES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *out, *n, cap);
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    return rc;
}

int cl_tc_db_overlap(cl_tx_t *tx, int64_t staff_id, int64_t self, int64_t from, int64_t to,
                     int64_t *other, int64_t *other_in, int64_t *other_out)
{
    sqlite3_stmt *st = stmt(tx, Q_OVERLAP);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, self);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to ? to : INT64_MAX);
    int rc = cl_db_step(tx->db, st);
    *other = 0;
    if (rc == 1) {
        *other = sqlite3_column_int64(st, 0);
        *other_in = sqlite3_column_int64(st, 1);
        *other_out = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* ---- writes ---- */

int cl_tc_db_clock_in(cl_tx_t *tx, int64_t staff_id, int64_t *id)
{
    sqlite3_stmt *st = stmt(tx, Q_CLOCK_IN);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_text(st, 3, tx->job->who.workstation, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

int cl_tc_db_clock_out(cl_tx_t *tx, int64_t id)
{
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_BREAKS_CLOSE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tx->now);
    if ((rc = cl_db_step_done(tx->db, st)) < 0)
        return rc;
    if ((st = stmt(tx, Q_CLOCK_OUT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_text(st, 3, tx->job->who.workstation, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    /* The punch was read open in this transaction: no row is a bug. */
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

int cl_tc_db_break_start(cl_tx_t *tx, int64_t punch_id, int paid)
{
    sqlite3_stmt *st = stmt(tx, Q_BREAK_START);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, punch_id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int(st, 3, paid ? 1 : 0);
    sqlite3_bind_text(st, 4, tx->job->who.workstation, -1, SQLITE_STATIC);
    return cl_db_step_done(tx->db, st);
}

int cl_tc_db_break_end(cl_tx_t *tx, int64_t punch_id)
{
    sqlite3_stmt *st = stmt(tx, Q_BREAK_END);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, punch_id);
    sqlite3_bind_int64(st, 2, tx->now);
    int rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

/* Keeps the current version of punch `id` in punch_history, replaced by `request_id`. */
static int history_keep(cl_tx_t *tx, int64_t id, int64_t request_id)
{
    sqlite3_stmt *st = stmt(tx, Q_HISTORY_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    return cl_db_step_done(tx->db, st);
}

int cl_tc_db_punch_correct(cl_tx_t *tx, int64_t id, int64_t in_at, int64_t out_at,
                           int64_t request_id)
{
    int rc;
    if ((rc = history_keep(tx, id, request_id)) < 0)
        return rc;
    sqlite3_stmt *st = stmt(tx, Q_PUNCH_CORRECT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, in_at);
    sqlite3_bind_int64(st, 3, out_at);
    sqlite3_bind_int64(st, 4, request_id);
    rc = cl_db_step(tx->db, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_tc_db_punch_add(cl_tx_t *tx, int64_t staff_id, int64_t in_at, int64_t out_at,
                       int64_t request_id, int64_t *id)
{
    sqlite3_stmt *st = stmt(tx, Q_PUNCH_ADD);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, staff_id);
    sqlite3_bind_int64(st, 2, in_at);
    sqlite3_bind_int64(st, 3, out_at);
    sqlite3_bind_int64(st, 4, request_id);
    sqlite3_bind_int64(st, 5, tx->now);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

int cl_tc_db_break_add(cl_tx_t *tx, int64_t punch_id, int64_t start_at, int64_t end_at,
                       int64_t request_id)
{
    int rc;
    if ((rc = history_keep(tx, punch_id, request_id)) < 0)
        return rc;
    sqlite3_stmt *st = stmt(tx, Q_BREAK_ADD);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, punch_id);
    sqlite3_bind_int64(st, 2, start_at);
    sqlite3_bind_int64(st, 3, end_at);
    sqlite3_bind_int64(st, 4, request_id);
    if ((rc = cl_db_step_done(tx->db, st)) < 0)
        return rc;
    if ((st = stmt(tx, Q_PUNCH_BUMP)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, punch_id);
    sqlite3_bind_int64(st, 2, request_id);
    return cl_db_step_done(tx->db, st);
}
