/* The schedule's SQL: every statement it runs, the readers that turn their rows into reply
 * messages, and the conflict checks a booking passes (holiday, clinic hours, the provider's
 * template, blocks, and the provider's, room's and patient's other appointments). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "schedule_int.h"
#include "status.h"

/* An appointment holds its time unless it was cancelled or missed. */
#define ACTIVE(a) a "state NOT IN ('cancelled', 'no_show')"

/* The columns cl_sched_appointment_from_row() reads, in this order. */
#define APPT_COLUMNS                                                                               \
    "a.id, a.patient_id, p.first_name, p.preferred_name, p.last_name, p.record_number, "           \
    "a.provider_id, pr.name, COALESCE(a.room_id, 0), COALESCE(r.name, ''), a.type_id, t.name, "    \
    "t.color, COALESCE(a.series_id, 0), a.date, a.starts_at, a.ends_at, a.reason, a.overbooked, "  \
    "a.state, a.state_at, a.cancel_reason, a.created_at, COALESCE(u.username, ''), a.version"
#define APPT_FROM                                                                                  \
    "appointments a JOIN patients p ON p.id = a.patient_id "                                       \
    "JOIN providers pr ON pr.id = a.provider_id "                                                  \
    "JOIN appointment_types t ON t.id = a.type_id LEFT JOIN rooms r ON r.id = a.room_id "          \
    "LEFT JOIN users u ON u.id = a.created_by"

#define PROVIDER_COLUMNS                                                                           \
    "pr.id, pr.name, pr.specialty, COALESCE(u.username, ''), pr.active, pr.version"
#define PROVIDER_FROM "providers pr LEFT JOIN users u ON u.id = pr.user_id"

#define ROOM_COLUMNS "id, name, active, version"
#define TYPE_COLUMNS "id, name, default_minutes, color, needs_room, active, version"

#define BLOCK_COLUMNS                                                                              \
    "b.id, COALESCE(b.provider_id, 0), COALESCE(pr.name, ''), COALESCE(b.room_id, 0), "            \
    "COALESCE(r.name, ''), b.starts_at, b.ends_at, b.reason, b.cancelled, "                        \
    "COALESCE(u.username, ''), b.version"
#define BLOCK_FROM                                                                                 \
    "blocks b LEFT JOIN providers pr ON pr.id = b.provider_id "                                    \
    "LEFT JOIN rooms r ON r.id = b.room_id LEFT JOIN users u ON u.id = b.created_by"

#define WAITLIST_COLUMNS                                                                           \
    "w.id, w.patient_id, p.first_name, p.preferred_name, p.last_name, "                            \
    "COALESCE(w.provider_id, 0), COALESCE(pr.name, ''), w.type_id, t.name, w.earliest_date, "      \
    "w.latest_date, w.note, w.state, COALESCE(w.offered_provider_id, 0), w.offered_starts_at, "    \
    "w.offered_at, COALESCE(w.appointment_id, 0), w.created_at, w.version"
#define WAITLIST_FROM                                                                              \
    "waitlist w JOIN patients p ON p.id = w.patient_id "                                           \
    "LEFT JOIN providers pr ON pr.id = w.provider_id "                                             \
    "JOIN appointment_types t ON t.id = w.type_id"

/* The overlap queries find rows with starts_at in (?lo, ?end) and ends_at > ?start, where ?lo
 * is ?start minus the longest appointment (CL_SCHED_MINUTES_MAX): both ends of the index range
 * are bounded, so a check reads only the few rows near the proposed time. */
static const char *const SQL[CL_SQ__COUNT] = {
    [CL_SQ_USER_BY_NAME] = "SELECT id, roles, disabled FROM users WHERE username = ?1",
    [CL_SQ_PATIENT_BY_ID] = "SELECT id, merged_into, first_name, preferred_name, last_name, "
                            "record_number FROM patients WHERE id = ?1",

    [CL_SQ_PROVIDER_INSERT] = "INSERT INTO providers (user_id, name, specialty, active, version) "
                              "VALUES (?1, ?2, ?3, 1, 1) RETURNING id",
    [CL_SQ_PROVIDER_BY_ID] = "SELECT " PROVIDER_COLUMNS " FROM " PROVIDER_FROM " WHERE pr.id = ?1",
    [CL_SQ_PROVIDER_BY_USER] = "SELECT id, name FROM providers WHERE user_id = ?1 AND id <> ?2",
    [CL_SQ_PROVIDER_LIST] = "SELECT " PROVIDER_COLUMNS " FROM " PROVIDER_FROM
                            " WHERE (?1 = 1 OR pr.active = 1) ORDER BY pr.name",
    [CL_SQ_PROVIDER_UPDATE] = "UPDATE providers SET name = ?2, specialty = ?3, user_id = ?4, "
                              "active = ?5, version = version + 1 WHERE id = ?1 AND version = ?6 "
                              "RETURNING version",
    [CL_SQ_PROVIDER_BUMP] = "UPDATE providers SET version = version + 1 "
                            "WHERE id = ?1 AND version = ?2 RETURNING version",
    [CL_SQ_PROVIDER_HOURS_OF] = "SELECT weekday, start_minute, end_minute FROM provider_hours "
                                "WHERE provider_id = ?1 ORDER BY weekday, start_minute",
    [CL_SQ_PROVIDER_HOURS_DAY] = "SELECT start_minute, end_minute FROM provider_hours "
                                 "WHERE provider_id = ?1 AND weekday = ?2 ORDER BY start_minute",
    [CL_SQ_PROVIDER_HOURS_DELETE] = "DELETE FROM provider_hours WHERE provider_id = ?1",
    [CL_SQ_PROVIDER_HOURS_INSERT] = "INSERT INTO provider_hours (provider_id, weekday, "
                                    "start_minute, end_minute) VALUES (?1, ?2, ?3, ?4)",

    [CL_SQ_ROOM_INSERT] = "INSERT INTO rooms (name, active, version) VALUES (?1, 1, 1) "
                          "RETURNING id",
    [CL_SQ_ROOM_BY_ID] = "SELECT " ROOM_COLUMNS " FROM rooms WHERE id = ?1",
    [CL_SQ_ROOM_LIST] = "SELECT " ROOM_COLUMNS " FROM rooms WHERE (?1 = 1 OR active = 1) "
                        "ORDER BY name",
    [CL_SQ_ROOM_UPDATE] = "UPDATE rooms SET name = ?2, active = ?3, version = version + 1 "
                          "WHERE id = ?1 AND version = ?4 RETURNING version",

    [CL_SQ_TYPE_INSERT] = "INSERT INTO appointment_types (name, default_minutes, color, "
                          "needs_room, active, version) VALUES (?1, ?2, ?3, ?4, 1, 1) "
                          "RETURNING id",
    [CL_SQ_TYPE_BY_ID] = "SELECT " TYPE_COLUMNS " FROM appointment_types WHERE id = ?1",
    [CL_SQ_TYPE_LIST] = "SELECT " TYPE_COLUMNS " FROM appointment_types "
                        "WHERE (?1 = 1 OR active = 1) ORDER BY name",
    [CL_SQ_TYPE_UPDATE] = "UPDATE appointment_types SET name = ?2, default_minutes = ?3, "
                          "color = ?4, needs_room = ?5, active = ?6, version = version + 1 "
                          "WHERE id = ?1 AND version = ?7 RETURNING version",

    [CL_SQ_HOURS_LIST] = "SELECT weekday, open_minute, close_minute, closed, version "
                         "FROM clinic_hours ORDER BY weekday",
    [CL_SQ_HOURS_DAY] = "SELECT weekday, open_minute, close_minute, closed, version "
                        "FROM clinic_hours WHERE weekday = ?1",
    [CL_SQ_HOURS_INSERT] = "INSERT INTO clinic_hours (weekday, open_minute, close_minute, closed, "
                           "version) VALUES (?1, ?2, ?3, ?4, 1)",
    [CL_SQ_HOURS_UPDATE] = "UPDATE clinic_hours SET open_minute = ?2, close_minute = ?3, "
                           "closed = ?4, version = version + 1 WHERE weekday = ?1 "
                           "AND version = ?5 RETURNING version",

    [CL_SQ_HOLIDAY_INSERT] = "INSERT INTO holidays (date, name) VALUES (?1, ?2)",
    [CL_SQ_HOLIDAY_ON] = "SELECT name FROM holidays WHERE date = ?1",
    [CL_SQ_HOLIDAY_RANGE] = "SELECT date, name FROM holidays WHERE date >= ?1 AND date <= ?2 "
                            "ORDER BY date",
    [CL_SQ_HOLIDAY_DELETE] = "DELETE FROM holidays WHERE date = ?1 RETURNING date",

    [CL_SQ_BLOCK_INSERT] = "INSERT INTO blocks (provider_id, room_id, starts_at, ends_at, reason, "
                           "cancelled, created_by, version) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, 1) "
                           "RETURNING id",
    [CL_SQ_BLOCK_BY_ID] = "SELECT " BLOCK_COLUMNS " FROM " BLOCK_FROM " WHERE b.id = ?1",
    [CL_SQ_BLOCK_LIST_PROVIDER] =
        "SELECT " BLOCK_COLUMNS " FROM " BLOCK_FROM " WHERE b.provider_id = ?1 AND b.ends_at > ?2 "
        "AND b.starts_at < ?3 AND (?4 = 1 OR b.cancelled = 0) "
        "ORDER BY b.starts_at, b.id",
    [CL_SQ_BLOCK_LIST_ROOM] = "SELECT " BLOCK_COLUMNS " FROM " BLOCK_FROM
                              " WHERE b.room_id = ?1 AND b.ends_at > ?2 AND b.starts_at < ?3 "
                              "AND (?4 = 1 OR b.cancelled = 0) ORDER BY b.starts_at, b.id",
    [CL_SQ_BLOCK_LIST_ALL] =
        "SELECT " BLOCK_COLUMNS " FROM " BLOCK_FROM " WHERE b.ends_at > ?1 AND b.starts_at < ?2 "
        "AND (?3 = 1 OR b.cancelled = 0) ORDER BY b.starts_at, b.id",
    [CL_SQ_BLOCK_CANCEL] = "UPDATE blocks SET cancelled = 1, version = version + 1 "
                           "WHERE id = ?1 AND version = ?2 RETURNING version",
    [CL_SQ_BLOCKS_PROVIDER_OVERLAP] = "SELECT id, starts_at, ends_at, reason FROM blocks "
                                      "WHERE provider_id = ?1 AND ends_at > ?2 AND starts_at < ?3 "
                                      "AND cancelled = 0 ORDER BY starts_at",
    [CL_SQ_BLOCKS_ROOM_OVERLAP] = "SELECT id, starts_at, ends_at, reason FROM blocks "
                                  "WHERE room_id = ?1 AND ends_at > ?2 AND starts_at < ?3 "
                                  "AND cancelled = 0 ORDER BY starts_at",

    [CL_SQ_APPT_INSERT] =
        "INSERT INTO appointments (patient_id, provider_id, room_id, type_id, series_id, date, "
        "starts_at, ends_at, reason, overbooked, state, state_at, created_at, created_by, "
        "version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'scheduled', ?11, ?11, ?12, 1) "
        "RETURNING id",
    [CL_SQ_APPT_BY_ID] = "SELECT " APPT_COLUMNS " FROM " APPT_FROM " WHERE a.id = ?1",
    [CL_SQ_APPT_MOVE] = "UPDATE appointments SET provider_id = ?2, room_id = ?3, date = ?4, "
                        "starts_at = ?5, ends_at = ?6, overbooked = ?7, version = version + 1 "
                        "WHERE id = ?1 AND version = ?8 RETURNING version",
    [CL_SQ_APPT_SET_STATE] = "UPDATE appointments SET state = ?2, state_at = ?3, "
                             "cancel_reason = ?4, version = version + 1 "
                             "WHERE id = ?1 AND version = ?5 AND state = ?6 RETURNING version",
    [CL_SQ_APPT_PROVIDER_OVERLAP] =
        "SELECT id, starts_at, ends_at FROM appointments "
        "WHERE provider_id = ?1 AND starts_at > ?2 AND starts_at < ?3 "
        "AND ends_at > ?4 AND id <> ?5 AND " ACTIVE("") " ORDER BY starts_at",
    [CL_SQ_APPT_ROOM_OVERLAP] =
        "SELECT id, starts_at, ends_at FROM appointments "
        "WHERE room_id = ?1 AND starts_at > ?2 AND starts_at < ?3 "
        "AND ends_at > ?4 AND id <> ?5 AND " ACTIVE("") " ORDER BY starts_at",
    [CL_SQ_APPT_PATIENT_OVERLAP] = "SELECT a.id, a.starts_at, a.ends_at, pr.name "
                                   "FROM appointments a JOIN providers pr ON pr.id = a.provider_id "
                                   "WHERE a.patient_id = ?1 AND a.starts_at > ?2 "
                                   "AND a.starts_at < ?3 AND a.ends_at > ?4 AND a.id <> ?5 "
                                   "AND " ACTIVE("a.") " ORDER BY a.starts_at",
    [CL_SQ_APPT_COUNT_ON_DATE] = "SELECT count(*) FROM appointments WHERE date = ?1 "
                                 "AND " ACTIVE(""),
    /* A day's schedule: appointments_date (date, starts_at) gives the rows in order. */
    [CL_SQ_APPT_LIST_DATE] =
        "SELECT " APPT_COLUMNS " FROM " APPT_FROM " WHERE a.date >= ?1 AND a.date <= ?2 "
        "AND (?3 = 1 OR " ACTIVE("a.") ") "
                                       "ORDER BY a.date, a.starts_at LIMIT ?4",
    [CL_SQ_APPT_LIST_PROVIDER] =
        "SELECT " APPT_COLUMNS " FROM " APPT_FROM " WHERE a.provider_id = ?1 AND a.starts_at >= ?2 "
        "AND a.starts_at < ?3 AND (?4 = 1 OR " ACTIVE("a.") ") "
                                                            "ORDER BY a.starts_at LIMIT ?5",
    [CL_SQ_APPT_LIST_PATIENT] =
        "SELECT " APPT_COLUMNS " FROM " APPT_FROM " WHERE a.patient_id = ?1 AND a.starts_at >= ?2 "
        "AND a.starts_at < ?3 AND (?4 = 1 OR " ACTIVE("a.") ") "
                                                            "AND (?6 = 0 OR a.provider_id = ?6) "
                                                            "ORDER BY a.starts_at LIMIT ?5",
    [CL_SQ_FLOW_EVENT_INSERT] = "INSERT INTO flow_events (appointment_id, from_state, to_state, "
                                "at, by_user, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",

    [CL_SQ_SERIES_INSERT] = "INSERT INTO appointment_series (patient_id, provider_id, type_id, "
                            "room_id, rule, first_date, count, start_minute, minutes, created_at, "
                            "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                            "RETURNING id",
    [CL_SQ_SERIES_BY_ID] = "SELECT id, patient_id FROM appointment_series WHERE id = ?1",
    [CL_SQ_SERIES_SCHEDULED_FROM] = "SELECT id FROM appointments WHERE series_id = ?1 "
                                    "AND starts_at >= ?2 AND state = 'scheduled' "
                                    "ORDER BY starts_at",

    [CL_SQ_ROOMS_ACTIVE] = "SELECT id, name FROM rooms WHERE active = 1 ORDER BY id",

    [CL_SQ_WAITLIST_INSERT] = "INSERT INTO waitlist (patient_id, provider_id, type_id, "
                              "earliest_date, latest_date, note, state, created_at, created_by, "
                              "version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'waiting', ?7, ?8, 1) "
                              "RETURNING id",
    [CL_SQ_WAITLIST_BY_ID] = "SELECT " WAITLIST_COLUMNS " FROM " WAITLIST_FROM " WHERE w.id = ?1",
    [CL_SQ_WAITLIST_LIST_OPEN] = "SELECT " WAITLIST_COLUMNS " FROM " WAITLIST_FROM
                                 " WHERE w.state IN ('waiting', 'offered') ORDER BY w.id",
    [CL_SQ_WAITLIST_LIST_PATIENT] =
        "SELECT " WAITLIST_COLUMNS " FROM " WAITLIST_FROM " WHERE w.patient_id = ?1 "
        "AND (?2 = 1 OR w.state IN ('waiting', 'offered')) "
        "ORDER BY w.id",
    [CL_SQ_WAITLIST_SET_STATE] = "UPDATE waitlist SET state = ?2, version = version + 1 "
                                 "WHERE id = ?1 AND version = ?3 RETURNING version",
    /* waitlist_state (state, latest_date): the waiting entries whose window has not ended. */
    [CL_SQ_WAITLIST_CANDIDATES] =
        "SELECT w.id, w.patient_id, t.default_minutes FROM waitlist w "
        "JOIN appointment_types t ON t.id = w.type_id "
        "WHERE w.state = 'waiting' AND w.latest_date >= ?1 AND w.earliest_date <= ?1 "
        "AND (w.provider_id IS NULL OR w.provider_id = ?2) AND t.active = 1 ORDER BY w.id",
    [CL_SQ_WAITLIST_OFFER] = "UPDATE waitlist SET state = 'offered', offered_provider_id = ?2, "
                             "offered_starts_at = ?3, offered_at = ?4, version = version + 1 "
                             "WHERE id = ?1 AND state = 'waiting' RETURNING version",
    [CL_SQ_WAITLIST_BOOKED] = "UPDATE waitlist SET state = 'booked', appointment_id = ?2, "
                              "version = version + 1 WHERE id = ?1 RETURNING version",
};

const char *cl_sched_sql(cl_sched_q_t q)
{
    return SQL[q];
}

sqlite3_stmt *cl_sched_stmt(cl_tx_t *tx, cl_sched_q_t q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

void cl_sched_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id != 0)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

static char *dup_col(cl_arena_t *a, sqlite3_stmt *st, int col)
{
    return cl_arena_strdup(a, cl_db_text(st, col));
}

/* "Ana Lee": the preferred name, else the first name, then the last name. */
static char *person_name(cl_arena_t *a, const char *first, const char *preferred, const char *last)
{
    const char *given = preferred[0] ? preferred : first;
    size_t g = strlen(given), l = strlen(last);
    char *s = cl_arena_alloc(a, g + l + 2);
    memcpy(s, given, g);
    s[g] = (g && l) ? ' ' : '\0';
    memcpy(s + g + (g && l), last, l + 1);
    return s;
}

/* ---- row readers ----------------------------------------------------------------------------- */

Clinic__Provider *cl_sched_provider_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Provider *p = CL_ARENA_NEW(a, Clinic__Provider);
    clinic__provider__init(p);
    p->id = (uint64_t)sqlite3_column_int64(st, 0);
    p->name = dup_col(a, st, 1);
    p->specialty = dup_col(a, st, 2);
    p->username = dup_col(a, st, 3);
    p->active = sqlite3_column_int(st, 4) != 0;
    p->version = (uint64_t)sqlite3_column_int64(st, 5);
    return p;
}

Clinic__Room *cl_sched_room_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Room *r = CL_ARENA_NEW(a, Clinic__Room);
    clinic__room__init(r);
    r->id = (uint64_t)sqlite3_column_int64(st, 0);
    r->name = dup_col(a, st, 1);
    r->active = sqlite3_column_int(st, 2) != 0;
    r->version = (uint64_t)sqlite3_column_int64(st, 3);
    return r;
}

Clinic__AppointmentType *cl_sched_type_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__AppointmentType *t = CL_ARENA_NEW(a, Clinic__AppointmentType);
    clinic__appointment_type__init(t);
    t->id = (uint64_t)sqlite3_column_int64(st, 0);
    t->name = dup_col(a, st, 1);
    t->default_minutes = (uint32_t)sqlite3_column_int(st, 2);
    t->color = dup_col(a, st, 3);
    t->needs_room = sqlite3_column_int(st, 4) != 0;
    t->active = sqlite3_column_int(st, 5) != 0;
    t->version = (uint64_t)sqlite3_column_int64(st, 6);
    return t;
}

Clinic__Block *cl_sched_block_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Block *b = CL_ARENA_NEW(a, Clinic__Block);
    clinic__block__init(b);
    b->id = (uint64_t)sqlite3_column_int64(st, 0);
    b->provider_id = (uint64_t)sqlite3_column_int64(st, 1);
    b->provider_name = dup_col(a, st, 2);
    b->room_id = (uint64_t)sqlite3_column_int64(st, 3);
    b->room_name = dup_col(a, st, 4);
    b->starts_at = sqlite3_column_int64(st, 5);
    b->ends_at = sqlite3_column_int64(st, 6);
    b->reason = dup_col(a, st, 7);
    b->cancelled = sqlite3_column_int(st, 8) != 0;
    b->created_by = dup_col(a, st, 9);
    b->version = (uint64_t)sqlite3_column_int64(st, 10);
    /* The end shows as 24:00 of its day rather than 00:00 of the next. */
    cl_date_t start_day = cl_date_of(b->starts_at), end_day = cl_date_of(b->ends_at - 1);
    b->date = cl_sched_date_str(a, start_day);
    b->start_minute = (uint32_t)cl_local_minute(b->starts_at);
    b->end_date = cl_sched_date_str(a, end_day);
    b->end_minute =
        (uint32_t)(cl_date_cmp(cl_date_of(b->ends_at), end_day) != 0 ? 1440
                                                                     : cl_local_minute(b->ends_at));
    return b;
}

Clinic__Appointment *cl_sched_appointment_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Appointment *ap = CL_ARENA_NEW(a, Clinic__Appointment);
    clinic__appointment__init(ap);
    ap->id = (uint64_t)sqlite3_column_int64(st, 0);
    ap->patient_id = (uint64_t)sqlite3_column_int64(st, 1);
    ap->patient_name = person_name(a, cl_db_text(st, 2), cl_db_text(st, 3), cl_db_text(st, 4));
    ap->record_number = dup_col(a, st, 5);
    ap->provider_id = (uint64_t)sqlite3_column_int64(st, 6);
    ap->provider_name = dup_col(a, st, 7);
    ap->room_id = (uint64_t)sqlite3_column_int64(st, 8);
    ap->room_name = dup_col(a, st, 9);
    ap->type_id = (uint64_t)sqlite3_column_int64(st, 10);
    ap->type_name = dup_col(a, st, 11);
    ap->type_color = dup_col(a, st, 12);
    ap->series_id = (uint64_t)sqlite3_column_int64(st, 13);
    ap->date = dup_col(a, st, 14);
    ap->starts_at = sqlite3_column_int64(st, 15);
    ap->ends_at = sqlite3_column_int64(st, 16);
    ap->start_minute = (uint32_t)cl_local_minute(ap->starts_at);
    ap->minutes = (uint32_t)((ap->ends_at - ap->starts_at) / 60);
    ap->reason = dup_col(a, st, 17);
    ap->overbooked = sqlite3_column_int(st, 18) != 0;
    ap->state = dup_col(a, st, 19);
    ap->state_at = sqlite3_column_int64(st, 20);
    ap->cancel_reason = dup_col(a, st, 21);
    ap->created_at = sqlite3_column_int64(st, 22);
    ap->created_by = dup_col(a, st, 23);
    ap->version = (uint64_t)sqlite3_column_int64(st, 24);
    return ap;
}

Clinic__WaitlistEntry *cl_sched_waitlist_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__WaitlistEntry *w = CL_ARENA_NEW(a, Clinic__WaitlistEntry);
    clinic__waitlist_entry__init(w);
    w->id = (uint64_t)sqlite3_column_int64(st, 0);
    w->patient_id = (uint64_t)sqlite3_column_int64(st, 1);
    w->patient_name = person_name(a, cl_db_text(st, 2), cl_db_text(st, 3), cl_db_text(st, 4));
    w->provider_id = (uint64_t)sqlite3_column_int64(st, 5);
    w->provider_name = dup_col(a, st, 6);
    w->type_id = (uint64_t)sqlite3_column_int64(st, 7);
    w->type_name = dup_col(a, st, 8);
    w->earliest_date = dup_col(a, st, 9);
    w->latest_date = dup_col(a, st, 10);
    w->note = dup_col(a, st, 11);
    w->state = dup_col(a, st, 12);
    w->offered_provider_id = (uint64_t)sqlite3_column_int64(st, 13);
    w->offered_starts_at = sqlite3_column_int64(st, 14);
    w->offered_at = sqlite3_column_int64(st, 15);
    w->appointment_id = (uint64_t)sqlite3_column_int64(st, 16);
    w->created_at = sqlite3_column_int64(st, 17);
    w->version = (uint64_t)sqlite3_column_int64(st, 18);
    if (w->offered_starts_at != 0) {
        w->offered_date = cl_sched_date_str(a, cl_date_of(w->offered_starts_at));
        w->offered_start_minute = (uint32_t)cl_local_minute(w->offered_starts_at);
    }
    return w;
}

/* ---- loaders --------------------------------------------------------------------------------- */

typedef void *(*from_row_fn)(cl_arena_t *a, sqlite3_stmt *st);

/* Runs statement `q` with `id` bound to ?1 and reads its one row with `from_row`. */
static int get_by_id(cl_tx_t *tx, cl_sched_q_t q, int64_t id, from_row_fn from_row, void **out)
{
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *out = from_row(&tx->job->arena, st);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_sched_patient_get(cl_tx_t *tx, int64_t id, cl_sched_patient_t *out)
{
    cl_arena_t *a = &tx->job->arena;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PATIENT_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1) {
        out->id = sqlite3_column_int64(st, 0);
        out->merged_into = sqlite3_column_int64(st, 1);
        out->name = person_name(a, cl_db_text(st, 2), cl_db_text(st, 3), cl_db_text(st, 4));
        out->record_number = dup_col(a, st, 5);
    }
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

int cl_sched_provider_load_hours(cl_tx_t *tx, Clinic__Provider *p)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_HOURS_OF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    p->n_hours = 0;
    p->hours = NULL;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__ProviderHours *h = CL_ARENA_NEW(a, Clinic__ProviderHours);
        clinic__provider_hours__init(h);
        h->weekday = (uint32_t)sqlite3_column_int(st, 0);
        h->start_minute = (uint32_t)sqlite3_column_int(st, 1);
        h->end_minute = (uint32_t)sqlite3_column_int(st, 2);
        CL_ARENA_RESERVE(a, p->hours, p->n_hours, cap);
        p->hours[p->n_hours++] = h;
    }
    return rc;
}

int cl_sched_provider_get(cl_tx_t *tx, int64_t id, Clinic__Provider **out)
{
    int rc = get_by_id(tx, CL_SQ_PROVIDER_BY_ID, id, (from_row_fn)cl_sched_provider_from_row,
                       (void **)out);
    if (rc == 0)
        rc = cl_sched_provider_load_hours(tx, *out);
    return rc;
}

int cl_sched_room_get(cl_tx_t *tx, int64_t id, Clinic__Room **out)
{
    return get_by_id(tx, CL_SQ_ROOM_BY_ID, id, (from_row_fn)cl_sched_room_from_row, (void **)out);
}

int cl_sched_type_get(cl_tx_t *tx, int64_t id, Clinic__AppointmentType **out)
{
    return get_by_id(tx, CL_SQ_TYPE_BY_ID, id, (from_row_fn)cl_sched_type_from_row, (void **)out);
}

int cl_sched_block_get(cl_tx_t *tx, int64_t id, Clinic__Block **out)
{
    return get_by_id(tx, CL_SQ_BLOCK_BY_ID, id, (from_row_fn)cl_sched_block_from_row, (void **)out);
}

int cl_sched_appointment_get(cl_tx_t *tx, int64_t id, Clinic__Appointment **out)
{
    return get_by_id(tx, CL_SQ_APPT_BY_ID, id, (from_row_fn)cl_sched_appointment_from_row,
                     (void **)out);
}

int cl_sched_waitlist_get(cl_tx_t *tx, int64_t id, Clinic__WaitlistEntry **out)
{
    return get_by_id(tx, CL_SQ_WAITLIST_BY_ID, id, (from_row_fn)cl_sched_waitlist_from_row,
                     (void **)out);
}

int cl_sched_patient_for_use(cl_tx_t *tx, const char *field, int64_t id, cl_sched_patient_t *out)
{
    char msg[128];
    if (id == 0)
        return cl_job_fail(tx->job, CL_EINVAL, field, "a patient is required");
    int rc = cl_sched_patient_get(tx, id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "patient", (uint64_t)id);
    if (rc < 0)
        return rc;
    if (out->merged_into != 0) {
        snprintf(msg, sizeof(msg), "patient %" PRId64 " was merged into patient %" PRId64, id,
                 out->merged_into);
        return cl_job_fail(tx->job, CL_EPRECOND, field, msg);
    }
    return 0;
}

/* The inactive-row failure shared by the loaders below. */
static int inactive(cl_job_t *job, const char *field, const char *what, const char *name)
{
    char msg[224];
    snprintf(msg, sizeof(msg), "%s %.128s is inactive", what, name);
    return cl_job_fail(job, CL_EPRECOND, field, msg);
}

int cl_sched_provider_for_use(cl_tx_t *tx, const char *field, int64_t id, Clinic__Provider **out)
{
    if (id == 0)
        return cl_job_fail(tx->job, CL_EINVAL, field, "a provider is required");
    int rc = cl_sched_provider_get(tx, id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "provider", (uint64_t)id);
    if (rc < 0)
        return rc;
    return (*out)->active ? 0 : inactive(tx->job, field, "provider", (*out)->name);
}

int cl_sched_room_for_use(cl_tx_t *tx, const char *field, int64_t id, Clinic__Room **out)
{
    int rc = cl_sched_room_get(tx, id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "room", (uint64_t)id);
    if (rc < 0)
        return rc;
    return (*out)->active ? 0 : inactive(tx->job, field, "room", (*out)->name);
}

int cl_sched_type_for_use(cl_tx_t *tx, const char *field, int64_t id, Clinic__AppointmentType **out)
{
    if (id == 0)
        return cl_job_fail(tx->job, CL_EINVAL, field, "an appointment type is required");
    int rc = cl_sched_type_get(tx, id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, field, "appointment type", (uint64_t)id);
    if (rc < 0)
        return rc;
    return (*out)->active ? 0 : inactive(tx->job, field, "appointment type", (*out)->name);
}

/* ---- conflicts ------------------------------------------------------------------------------- */

void cl_sched_conflict_add(cl_arena_t *a, cl_sched_conflicts_t *c, const char *kind, int64_t id,
                           int64_t starts_at, int64_t ends_at, const char *detail)
{
    Clinic__Conflict *x = CL_ARENA_NEW(a, Clinic__Conflict);
    clinic__conflict__init(x);
    x->kind = (char *)kind; /* static storage */
    x->id = (uint64_t)id;
    x->starts_at = starts_at;
    x->ends_at = ends_at;
    x->detail = cl_arena_strdup(a, detail);
    CL_ARENA_RESERVE(a, c->items, c->n, c->cap);
    c->items[c->n++] = x;
}

/* Binds an overlap query: ?1 the owner, ?2 the lower bound of starts, ?3 the end, ?4 the start,
 * ?5 the appointment to leave out. */
static void bind_overlap(sqlite3_stmt *st, int64_t owner, int64_t from, int64_t to, int64_t exclude)
{
    sqlite3_bind_int64(st, 1, owner);
    sqlite3_bind_int64(st, 2, from - (int64_t)CL_SCHED_MINUTES_MAX * 60);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, from);
    sqlite3_bind_int64(st, 5, exclude);
}

/* The clinic's hours: none, a closed weekday, or the proposal outside them. */
static int check_clinic_hours(cl_tx_t *tx, const cl_sched_proposal_t *p, int weekday,
                              cl_sched_conflicts_t *out)
{
    cl_arena_t *a = &tx->job->arena;
    char detail[160], open_s[6], close_s[6];
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOURS_DAY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int(st, 1, weekday);
    int rc = cl_db_step(tx->db, st);
    int open = rc == 1 ? sqlite3_column_int(st, 1) : 0;
    int close = rc == 1 ? sqlite3_column_int(st, 2) : 0;
    int closed = rc == 1 ? sqlite3_column_int(st, 3) : 1;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (closed) {
        snprintf(detail, sizeof(detail), "the clinic is closed on %ss",
                 cl_sched_weekday_name(weekday));
        cl_sched_conflict_add(a, out, "closed", 0, 0, 0, detail);
        return 0;
    }
    int64_t from = cl_local_instant(p->date, open), to = cl_local_instant(p->date, close);
    if (p->starts_at >= from && p->ends_at <= to)
        return 0;
    cl_sched_hhmm(open, open_s);
    cl_sched_hhmm(close, close_s);
    snprintf(detail, sizeof(detail), "outside the clinic's hours on %ss (%s-%s)",
             cl_sched_weekday_name(weekday), open_s, close_s);
    cl_sched_conflict_add(a, out, "closed", 0, from, to, detail);
    return 0;
}

/* The provider's template for the weekday: the proposal must lie within one of its ranges. */
static int check_provider_hours(cl_tx_t *tx, const cl_sched_proposal_t *p, int weekday,
                                cl_sched_conflicts_t *out)
{
    char ranges[256] = "", detail[512];
    size_t used = 0;
    int64_t near_from = 0, near_to = 0;
    int n = 0, inside = 0, near_overlaps = 0, rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_PROVIDER_HOURS_DAY);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->provider->id);
    sqlite3_bind_int(st, 2, weekday);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int sm = sqlite3_column_int(st, 0), em = sqlite3_column_int(st, 1);
        int64_t from = cl_local_instant(p->date, sm), to = cl_local_instant(p->date, em);
        char a_s[6], b_s[6];
        if (p->starts_at >= from && p->ends_at <= to)
            inside = 1;
        /* Report the first range the proposal overlaps, else the first range. */
        int overlaps = p->starts_at < to && p->ends_at > from;
        if (n == 0 || (overlaps && !near_overlaps)) {
            near_from = from;
            near_to = to;
            near_overlaps = overlaps;
        }
        cl_sched_hhmm(sm, a_s);
        cl_sched_hhmm(em, b_s);
        if (used < sizeof(ranges))
            used += (size_t)snprintf(ranges + used, sizeof(ranges) - used, "%s%s-%s", n ? ", " : "",
                                     a_s, b_s);
        n++;
    }
    if (rc < 0)
        return rc;
    if (inside)
        return 0;
    if (n == 0) {
        snprintf(detail, sizeof(detail), "%.128s does not work on %ss", p->provider->name,
                 cl_sched_weekday_name(weekday));
        cl_sched_conflict_add(&tx->job->arena, out, "hours", 0, 0, 0, detail);
    } else {
        snprintf(detail, sizeof(detail), "outside %.128s's hours on %ss (%s)", p->provider->name,
                 cl_sched_weekday_name(weekday), ranges);
        cl_sched_conflict_add(&tx->job->arena, out, "hours", 0, near_from, near_to, detail);
    }
    return 0;
}

/* Blocks of a provider or a room (`q`) overlapping the proposal. */
static int check_blocks(cl_tx_t *tx, const cl_sched_proposal_t *p, cl_sched_q_t q, int64_t owner,
                        const char *owner_name, cl_sched_conflicts_t *out)
{
    char detail[512], span[64];
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, owner);
    sqlite3_bind_int64(st, 2, p->starts_at);
    sqlite3_bind_int64(st, 3, p->ends_at);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int64_t id = sqlite3_column_int64(st, 0), from = sqlite3_column_int64(st, 1);
        int64_t to = sqlite3_column_int64(st, 2);
        cl_sched_span(from, to, p->date, span, sizeof(span));
        snprintf(detail, sizeof(detail), "%s%.128s is blocked %s: %.200s",
                 q == CL_SQ_BLOCKS_ROOM_OVERLAP ? "room " : "", owner_name, span,
                 cl_db_text(st, 3));
        cl_sched_conflict_add(&tx->job->arena, out, "block", id, from, to, detail);
    }
    return rc;
}

/* Other active appointments of the provider, the room or the patient overlapping it. */
static int check_appointments(cl_tx_t *tx, const cl_sched_proposal_t *p, cl_sched_q_t q,
                              int64_t owner, const char *owner_name, cl_sched_conflicts_t *out)
{
    char detail[512], span[64];
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    bind_overlap(st, owner, p->starts_at, p->ends_at, p->exclude_id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int64_t id = sqlite3_column_int64(st, 0), from = sqlite3_column_int64(st, 1);
        int64_t to = sqlite3_column_int64(st, 2);
        const char *kind;
        cl_sched_span(from, to, p->date, span, sizeof(span));
        if (q == CL_SQ_APPT_PROVIDER_OVERLAP) {
            kind = "provider";
            snprintf(detail, sizeof(detail), "%.128s has appointment %" PRId64 " at %s", owner_name,
                     id, span);
        } else if (q == CL_SQ_APPT_ROOM_OVERLAP) {
            kind = "room";
            snprintf(detail, sizeof(detail),
                     "room %.128s is taken by appointment %" PRId64 " at %s", owner_name, id, span);
        } else {
            kind = "patient";
            snprintf(detail, sizeof(detail),
                     "the patient has appointment %" PRId64 " at %s with %.128s", id, span,
                     cl_db_text(st, 3));
        }
        cl_sched_conflict_add(&tx->job->arena, out, kind, id, from, to, detail);
    }
    return rc;
}

int cl_sched_conflicts(cl_tx_t *tx, const cl_sched_proposal_t *p, cl_sched_conflicts_t *out)
{
    char date[11], detail[256];
    int weekday = cl_date_weekday(p->date);
    int rc;

    cl_date_format(p->date, date);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_HOLIDAY_ON);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    if ((rc = cl_db_step(tx->db, st)) == 1) {
        snprintf(detail, sizeof(detail), "%s is a holiday: %.128s", date, cl_db_text(st, 0));
        cl_sched_conflict_add(&tx->job->arena, out, "holiday", 0, cl_local_instant(p->date, 0),
                              cl_local_instant(cl_date_add(p->date, 1), 0), detail);
    }
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if ((rc = check_clinic_hours(tx, p, weekday, out)) < 0 ||
        (rc = check_provider_hours(tx, p, weekday, out)) < 0)
        return rc;
    int64_t provider_id = (int64_t)p->provider->id;
    if ((rc = check_blocks(tx, p, CL_SQ_BLOCKS_PROVIDER_OVERLAP, provider_id, p->provider->name,
                           out)) < 0)
        return rc;
    if (p->room_id != 0 &&
        (rc = check_blocks(tx, p, CL_SQ_BLOCKS_ROOM_OVERLAP, p->room_id, p->room_name, out)) < 0)
        return rc;
    if ((rc = check_appointments(tx, p, CL_SQ_APPT_PROVIDER_OVERLAP, provider_id, p->provider->name,
                                 out)) < 0)
        return rc;
    if (p->room_id != 0 && (rc = check_appointments(tx, p, CL_SQ_APPT_ROOM_OVERLAP, p->room_id,
                                                    p->room_name, out)) < 0)
        return rc;
    if (p->patient_id != 0 &&
        (rc = check_appointments(tx, p, CL_SQ_APPT_PATIENT_OVERLAP, p->patient_id, "", out)) < 0)
        return rc;
    return 0;
}

int cl_sched_conflict_fail(cl_job_t *job, const char *verb, const cl_sched_proposal_t *p,
                           const cl_sched_conflicts_t *c)
{
    char msg[1024], span[64], date[11];
    cl_sched_span(p->starts_at, p->ends_at, p->date, span, sizeof(span));
    cl_date_format(p->date, date);
    size_t used = (size_t)snprintf(msg, sizeof(msg), "%s %s on %s: ", verb, span, date);
    for (size_t i = 0; i < c->n && used < sizeof(msg); i++)
        used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "; " : "",
                                 c->items[i]->detail);
    if (used >= sizeof(msg))
        memcpy(msg + sizeof(msg) - 4, "...", 4);
    return cl_job_fail(job, CL_ECONFLICT, NULL, msg);
}

int cl_sched_appointments_within(cl_tx_t *tx, int64_t provider_id, int64_t room_id, int64_t from,
                                 int64_t to, cl_sched_conflicts_t *out)
{
    char detail[160], span[64];
    cl_sched_q_t q = provider_id ? CL_SQ_APPT_PROVIDER_OVERLAP : CL_SQ_APPT_ROOM_OVERLAP;
    int rc;
    sqlite3_stmt *st = cl_sched_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    bind_overlap(st, provider_id ? provider_id : room_id, from, to, 0);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        int64_t id = sqlite3_column_int64(st, 0), s = sqlite3_column_int64(st, 1);
        int64_t e = sqlite3_column_int64(st, 2);
        cl_date_t day = cl_date_of(s);
        char date[11];
        cl_date_format(day, date);
        cl_sched_span(s, e, day, span, sizeof(span));
        snprintf(detail, sizeof(detail), "appointment %" PRId64 " on %s at %s", id, date, span);
        cl_sched_conflict_add(&tx->job->arena, out, provider_id ? "provider" : "room", id, s, e,
                              detail);
    }
    return rc;
}
