/* The shifts module's SQL: its statement table, and the row readers and loaders of desks,
 * shifts and swaps that the handlers build on. Every query that runs per request has an index
 * behind it (tests/unit/test_shifts.c checks the plans of the overlap, the day's hours and the
 * list). */
#include <string.h>

#include "calendar.h"
#include "domain_int.h"
#include "shifts_int.h"
#include "status.h"

/* The columns cl_shift_from_row() reads, in this order, and the joins that give them. */
#define SHIFT_COLUMNS                                                                              \
    "s.id, s.staff_id, st.full_name, s.desk_id, d.name, s.starts_at, s.ends_at, s.date, "          \
    "s.state, s.overtime, s.overtime_minutes, s.overtime_request_id, s.timeoff_request_id, "       \
    "s.note, s.version"
#define SHIFT_FROM "shifts s JOIN staff st ON st.id = s.staff_id JOIN desks d ON d.id = s.desk_id"
#define DESK_COLUMNS "id, name, min_staff, active, version"
#define SWAP_COLUMNS                                                                               \
    "w.id, w.proposer_id, p.full_name, w.other_id, o.full_name, w.shift_id, w.other_shift_id, "    \
    "w.state, w.request_id, w.note, w.created_at, w.decided_at, w.version"
#define SWAP_FROM                                                                                  \
    "shift_swaps w JOIN staff p ON p.id = w.proposer_id JOIN staff o ON o.id = w.other_id"
/* Shifts that hold their staff member's time. */
#define WORKING "('draft', 'published')"
/* 960 minutes: no shift is longer, so an overlap search by start needs look back no further. */
#define MAX_SECONDS "57600"

static const char *const SQL[CL_SHQ__COUNT] = {
    [CL_SHQ_DESK_INSERT] = "INSERT INTO desks (name, min_staff) VALUES (?1, ?2) RETURNING id",
    [CL_SHQ_DESK_BY_ID] = "SELECT " DESK_COLUMNS " FROM desks WHERE id = ?1",
    [CL_SHQ_DESK_LIST] = "SELECT " DESK_COLUMNS " FROM desks WHERE (?1 = 1 OR active = 1) "
                         "ORDER BY name",
    [CL_SHQ_DESK_UPDATE] = "UPDATE desks SET name = ?2, min_staff = ?3, active = ?4, "
                           "version = version + 1 WHERE id = ?1 AND version = ?5 RETURNING version",

    [CL_SHQ_SHIFT_INSERT] = "INSERT INTO shifts (staff_id, desk_id, starts_at, ends_at, date, "
                            "state, note, created_at, created_by, updated_at, updated_by) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9) RETURNING id",
    [CL_SHQ_SHIFT_BY_ID] = "SELECT " SHIFT_COLUMNS " FROM " SHIFT_FROM " WHERE s.id = ?1",
    [CL_SHQ_SHIFT_UPDATE] = "UPDATE shifts SET staff_id = ?2, desk_id = ?3, starts_at = ?4, "
                            "ends_at = ?5, date = ?6, note = ?7, updated_at = ?8, "
                            "updated_by = ?9, version = version + 1 "
                            "WHERE id = ?1 AND version = ?10 RETURNING version",
    /* ?5: 1 raises the version (a change of its own), 0 does not (part of an insert). */
    [CL_SHQ_SHIFT_SET_OVERTIME] = "UPDATE shifts SET overtime = ?2, overtime_minutes = ?3, "
                                  "overtime_request_id = ?4, version = version + ?5 "
                                  "WHERE id = ?1 RETURNING version",
    [CL_SHQ_SHIFT_CANCEL] = "UPDATE shifts SET state = 'cancelled', note = ?2, updated_at = ?3, "
                            "updated_by = ?4, version = version + 1 "
                            "WHERE id = ?1 AND version = ?5 RETURNING version",
    [CL_SHQ_SHIFT_OFF] =
        "UPDATE shifts SET state = 'off', off_from = state, "
        "timeoff_request_id = ?2, updated_at = ?3, updated_by = ?4, "
        "version = version + 1 WHERE id = ?1 AND state IN " WORKING " RETURNING version",
    /* The shifts time off request ?4 of staff member ?1 for [?2, ?3) took, by start
     * (shifts_staff, as CL_SHQ_SHIFT_OF_STAFF_WITHIN). */
    [CL_SHQ_SHIFTS_OFF_FOR] = "SELECT " SHIFT_COLUMNS " FROM " SHIFT_FROM
                              " WHERE s.staff_id = ?1 AND s.starts_at > ?2 - " MAX_SECONDS
                              " AND s.starts_at < ?3 AND s.timeoff_request_id = ?4 "
                              "AND s.state = 'off' ORDER BY s.starts_at, s.id",
    /* Back to the state it had before the time off ('' from before migration 0009: a draft). */
    [CL_SHQ_SHIFT_ON] = "UPDATE shifts SET state = CASE off_from WHEN 'published' THEN "
                        "'published' ELSE 'draft' END, off_from = '', timeoff_request_id = 0, "
                        "updated_at = ?2, updated_by = ?3, version = version + 1 "
                        "WHERE id = ?1 AND state = 'off' RETURNING version",
    [CL_SHQ_SHIFT_SET_STAFF] = "UPDATE shifts SET staff_id = ?2, updated_at = ?3, updated_by = ?4, "
                               "version = version + 1 WHERE id = ?1 RETURNING version",
    [CL_SHQ_SHIFT_OVERTIME_DECIDED] =
        "UPDATE shifts SET overtime = ?2, state = CASE WHEN ?3 = 1 THEN 'cancelled' ELSE state "
        "END, updated_at = ?4, updated_by = ?5, version = version + 1 WHERE id = ?1 "
        "RETURNING version",
    /* shifts_staff: the staff member's starts within the longest shift before ?2. */
    [CL_SHQ_SHIFT_OVERLAP] = "SELECT " SHIFT_COLUMNS " FROM " SHIFT_FROM " WHERE s.staff_id = ?1 "
                             "AND s.starts_at > ?2 - " MAX_SECONDS " AND s.starts_at < ?3 "
                             "AND s.ends_at > ?2 AND s.state IN " WORKING
                             " AND s.id <> ?4 AND s.id <> ?5 ORDER BY s.starts_at LIMIT 1",
    /* Seconds of the staff member's working shifts starting in [?2, ?3) before shift ?4, which
     * starts at ?5 (of two starting together, the one made first). */
    [CL_SHQ_SHIFT_SECONDS] = "SELECT coalesce(sum(ends_at - starts_at), 0) FROM shifts "
                             "WHERE staff_id = ?1 AND starts_at >= ?2 AND starts_at < ?3 "
                             "AND state IN " WORKING " AND id <> ?4 "
                             "AND (starts_at < ?5 OR (starts_at = ?5 AND id < ?4))",
    [CL_SHQ_SHIFT_LIST] = "SELECT " SHIFT_COLUMNS " FROM " SHIFT_FROM
                          " WHERE s.date >= ?1 AND s.date <= ?2 AND (?3 = 0 OR s.staff_id = ?3) "
                          "AND (?4 = 0 OR s.desk_id = ?4) AND (?5 = 1 OR s.state <> 'cancelled') "
                          "AND (?6 = 1 OR s.state <> 'draft') "
                          "ORDER BY s.starts_at, s.id LIMIT 5001",
    [CL_SHQ_SHIFT_OF_STAFF_WITHIN] = "SELECT " SHIFT_COLUMNS " FROM " SHIFT_FROM
                                     " WHERE s.staff_id = ?1 AND s.starts_at > ?2 - " MAX_SECONDS
                                     " AND s.starts_at < ?3 AND s.ends_at > ?2 "
                                     "AND s.state IN " WORKING " ORDER BY s.starts_at, s.id",
    [CL_SHQ_SHIFT_PUBLISH] = "UPDATE shifts SET state = 'published', updated_at = ?3, "
                             "updated_by = ?4, version = version + 1 "
                             "WHERE date >= ?1 AND date <= ?2 AND state = 'draft' "
                             "RETURNING id, staff_id",
    /* A desk's shifts on duty in [?3, ?4), from those starting on dates ?1..?2 (the day before
     * catches a night shift). */
    [CL_SHQ_DESK_ON_DUTY] = "SELECT starts_at, ends_at FROM shifts WHERE date >= ?1 "
                            "AND date <= ?2 AND desk_id = ?5 AND starts_at < ?4 "
                            "AND ends_at > ?3 AND (state = 'published' OR "
                            "(?6 = 1 AND state = 'draft')) ORDER BY starts_at",
    [CL_SHQ_HOURS_DAY] = "SELECT open_minute, close_minute, closed FROM clinic_hours "
                         "WHERE weekday = ?1",
    [CL_SHQ_HOLIDAY_ON] = "SELECT name FROM holidays WHERE date = ?1",

    [CL_SHQ_TEMPLATE_BY_NAME] = "SELECT id, name, version FROM shift_templates WHERE name = ?1",
    [CL_SHQ_TEMPLATE_LIST] = "SELECT id, name, version FROM shift_templates ORDER BY name",
    [CL_SHQ_TEMPLATE_INSERT] = "INSERT INTO shift_templates (name, version, updated_at, "
                               "updated_by) VALUES (?1, 1, ?2, ?3) RETURNING id",
    [CL_SHQ_TEMPLATE_UPDATE] = "UPDATE shift_templates SET version = version + 1, "
                               "updated_at = ?2, updated_by = ?3 WHERE id = ?1 AND version = ?4 "
                               "RETURNING version",
    [CL_SHQ_TEMPLATE_DELETE] = "DELETE FROM shift_templates WHERE id = ?1",
    [CL_SHQ_TEMPLATE_ROWS_DELETE] = "DELETE FROM shift_template_rows WHERE template_id = ?1",
    [CL_SHQ_TEMPLATE_ROW_INSERT] = "INSERT INTO shift_template_rows (template_id, weekday, "
                                   "start_minute, end_minute, desk_id, staff_id) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [CL_SHQ_TEMPLATE_ROWS] = "SELECT r.weekday, r.start_minute, r.end_minute, r.desk_id, d.name, "
                             "r.staff_id, st.full_name FROM shift_template_rows r "
                             "JOIN desks d ON d.id = r.desk_id JOIN staff st ON st.id = r.staff_id "
                             "WHERE r.template_id = ?1 ORDER BY r.weekday, r.start_minute, r.id",
    [CL_SHQ_WEEK_UPSERT] = "INSERT INTO shift_weeks (week_start, published_at, published_by, "
                           "shifts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (week_start) DO UPDATE "
                           "SET published_at = excluded.published_at, "
                           "published_by = excluded.published_by, shifts = excluded.shifts",

    [CL_SHQ_SWAP_INSERT] = "INSERT INTO shift_swaps (proposer_id, shift_id, other_id, "
                           "other_shift_id, state, note, created_at) "
                           "VALUES (?1, ?2, ?3, ?4, 'proposed', ?5, ?6) RETURNING id",
    [CL_SHQ_SWAP_BY_ID] = "SELECT " SWAP_COLUMNS " FROM " SWAP_FROM " WHERE w.id = ?1",
    [CL_SHQ_SWAP_SET_STATE] = "UPDATE shift_swaps SET state = ?2, request_id = ?3, "
                              "decided_at = ?4, version = version + 1 "
                              "WHERE id = ?1 AND version = ?5 RETURNING version",
    /* A swap still open (proposed or accepted) on either shift. */
    [CL_SHQ_SWAP_OPEN_FOR] = "SELECT id FROM shift_swaps WHERE (shift_id IN (?1, ?2) "
                             "OR other_shift_id IN (?1, ?2)) "
                             "AND state IN ('proposed', 'accepted') LIMIT 1",
    [CL_SHQ_SWAP_ACCEPTED_FOR] = "SELECT id, version FROM shift_swaps WHERE shift_id = ?1 "
                                 "AND other_shift_id = ?2 AND state = 'accepted' "
                                 "ORDER BY id DESC LIMIT 1",
    [CL_SHQ_SWAP_LIST_MINE] =
        "SELECT " SWAP_COLUMNS " FROM " SWAP_FROM " WHERE (w.proposer_id = ?1 OR w.other_id = ?1) "
        "AND (?2 = '' OR w.state = ?2) ORDER BY w.id DESC LIMIT 500",
    [CL_SHQ_SWAP_LIST_ALL] = "SELECT " SWAP_COLUMNS " FROM " SWAP_FROM
                             " WHERE (?1 = '' OR w.state = ?1) ORDER BY w.id DESC LIMIT 500",
    [CL_SHQ_SWAPS_WITHDRAW_FOR] = "UPDATE shift_swaps SET state = 'withdrawn', decided_at = ?2, "
                                  "version = version + 1 WHERE (shift_id = ?1 "
                                  "OR other_shift_id = ?1) AND state = 'proposed' "
                                  "RETURNING id, proposer_id, other_id",
    [CL_SHQ_PROVIDER_OF_USER] = "SELECT id FROM providers WHERE user_id = ?1 AND active = 1",
    /* The schedule's own block row (schedule_db.c's insert, the same columns). */
    [CL_SHQ_BLOCK_INSERT] = "INSERT INTO blocks (provider_id, room_id, starts_at, ends_at, reason, "
                            "cancelled, created_by, version, request_id) "
                            "VALUES (?1, NULL, ?2, ?3, ?4, 0, ?5, 1, ?6) RETURNING id",
    /* The blocks approved time off ?1 made (blocks_provider: the provider's, ending after ?3). */
    [CL_SHQ_BLOCKS_CANCEL_FOR] = "UPDATE blocks SET cancelled = 1, version = version + 1 "
                                 "WHERE provider_id = ?2 AND ends_at > ?3 AND request_id = ?1 "
                                 "AND cancelled = 0 RETURNING id",
};

const char *cl_shift_sql(cl_shift_q_t q)
{
    return (unsigned)q < CL_SHQ__COUNT ? SQL[q] : NULL;
}

sqlite3_stmt *cl_shift_stmt(cl_tx_t *tx, cl_shift_q_t q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

Clinic__Desk *cl_shift_desk_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Desk *d = CL_ARENA_NEW(a, Clinic__Desk);
    clinic__desk__init(d);
    d->id = (uint64_t)sqlite3_column_int64(st, 0);
    d->name = cl_arena_strdup(a, cl_db_text(st, 1));
    d->min_staff = (uint32_t)sqlite3_column_int(st, 2);
    d->active = sqlite3_column_int(st, 3) != 0;
    d->version = (uint64_t)sqlite3_column_int64(st, 4);
    return d;
}

Clinic__Shift *cl_shift_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Shift *s = CL_ARENA_NEW(a, Clinic__Shift);
    clinic__shift__init(s);
    s->id = (uint64_t)sqlite3_column_int64(st, 0);
    s->staff_id = (uint64_t)sqlite3_column_int64(st, 1);
    s->staff_name = cl_arena_strdup(a, cl_db_text(st, 2));
    s->desk_id = (uint64_t)sqlite3_column_int64(st, 3);
    s->desk_name = cl_arena_strdup(a, cl_db_text(st, 4));
    s->starts_at = sqlite3_column_int64(st, 5);
    s->ends_at = sqlite3_column_int64(st, 6);
    s->date = cl_arena_strdup(a, cl_db_text(st, 7));
    s->state = cl_arena_strdup(a, cl_db_text(st, 8));
    s->overtime = cl_arena_strdup(a, cl_db_text(st, 9));
    s->overtime_minutes = (uint32_t)sqlite3_column_int(st, 10);
    s->overtime_request_id = (uint64_t)sqlite3_column_int64(st, 11);
    s->timeoff_request_id = (uint64_t)sqlite3_column_int64(st, 12);
    s->note = cl_arena_strdup(a, cl_db_text(st, 13));
    s->version = (uint64_t)sqlite3_column_int64(st, 14);
    s->start_minute = (uint32_t)cl_local_minute(s->starts_at);
    s->end_minute = (uint32_t)cl_local_minute(s->ends_at);
    /* An end at the next midnight reads as 24:00. */
    if (s->end_minute == 0 && s->ends_at > s->starts_at &&
        cl_date_cmp(cl_date_of(s->ends_at - 1), cl_date_of(s->starts_at)) == 0)
        s->end_minute = 1440;
    s->minutes = (uint32_t)((s->ends_at - s->starts_at) / 60);
    return s;
}

Clinic__ShiftSwap *cl_shift_swap_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__ShiftSwap *w = CL_ARENA_NEW(a, Clinic__ShiftSwap);
    clinic__shift_swap__init(w);
    w->id = (uint64_t)sqlite3_column_int64(st, 0);
    w->proposer_id = (uint64_t)sqlite3_column_int64(st, 1);
    w->proposer_name = cl_arena_strdup(a, cl_db_text(st, 2));
    w->other_id = (uint64_t)sqlite3_column_int64(st, 3);
    w->other_name = cl_arena_strdup(a, cl_db_text(st, 4));
    /* The shifts are loaded after (cl_shift_swap_get): their ids stand in for now. */
    w->shift = CL_ARENA_NEW(a, Clinic__Shift);
    clinic__shift__init(w->shift);
    w->shift->id = (uint64_t)sqlite3_column_int64(st, 5);
    w->other_shift = CL_ARENA_NEW(a, Clinic__Shift);
    clinic__shift__init(w->other_shift);
    w->other_shift->id = (uint64_t)sqlite3_column_int64(st, 6);
    w->state = cl_arena_strdup(a, cl_db_text(st, 7));
    w->request_id = (uint64_t)sqlite3_column_int64(st, 8);
    w->note = cl_arena_strdup(a, cl_db_text(st, 9));
    w->created_at = sqlite3_column_int64(st, 10);
    w->decided_at = sqlite3_column_int64(st, 11);
    w->version = (uint64_t)sqlite3_column_int64(st, 12);
    return w;
}

int cl_shift_desk_get(cl_tx_t *tx, int64_t id, Clinic__Desk **out)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_DESK_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *out = cl_shift_desk_from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_shift_get(cl_tx_t *tx, int64_t id, Clinic__Shift **out)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *out = cl_shift_from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_shift_swap_get(cl_tx_t *tx, int64_t id, Clinic__ShiftSwap **out)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SWAP_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    Clinic__ShiftSwap *w = NULL;
    if (rc == 1)
        w = cl_shift_swap_from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    if (rc != 1)
        return rc == 0 ? CL_ENOTFOUND : rc;
    if ((rc = cl_shift_get(tx, (int64_t)w->shift->id, &w->shift)) < 0 ||
        (rc = cl_shift_get(tx, (int64_t)w->other_shift->id, &w->other_shift)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    *out = w;
    return 0;
}
