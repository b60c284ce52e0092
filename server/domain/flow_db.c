/* The patient flow's SQL: its statement table, and the reads and writes of appointments' flow
 * (states, flow_events, check_ins, vitals, check_outs) that flow.c's handlers build on. Every
 * query that runs per request has an index behind it (tests/unit/test_flow.c checks the plans of
 * the board, the room check and the figures). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "domain_int.h"
#include "flow_int.h"
#include "status.h"

enum {
    Q_ENTRY_BY_ID,
    Q_BOARD,
    Q_ROOM_BY_ID,
    Q_ROOM_BY_NAME,
    Q_ROOM_OCCUPANT,
    Q_SET_STATE,
    Q_TOUCH,
    Q_EVENT_INSERT,
    Q_CHECK_IN_INSERT,
    Q_VITALS_INSERT,
    Q_CHECK_OUT_INSERT,
    Q_BRIEF,
    Q_VISITS,
    Q_SHOW_EVENTS,
    Q_SHOW_CHECK_IN,
    Q_SHOW_VITALS,
    Q_SHOW_CHECK_OUT,
    Q__COUNT
};

/* The columns entry_from_row() reads, in this order, and the joins that give them. When the
 * patient arrived and was roomed come from flow_events (flow_events_appointment), looked up only
 * for the states past that step: the current state's own start is state_at, and a scheduled,
 * no-show or cancelled appointment costs no lookup. The flow never goes back, so each state is
 * entered at most once. */
#define ENTRY_COLUMNS                                                                              \
    "a.id, a.version, a.state, a.state_at, a.patient_id, p.record_number, p.first_name, "          \
    "p.preferred_name, p.last_name, a.provider_id, v.name, a.room_id, r.name, a.type_id, t.name, " \
    "t.color, a.starts_at, a.ends_at, a.reason, "                                                  \
    "CASE WHEN a.state = 'arrived' THEN a.state_at "                                               \
    "WHEN a.state IN ('roomed', 'intake_done', 'ready', 'with_provider', 'checked_out') "          \
    "THEN (SELECT f.at FROM flow_events f WHERE f.appointment_id = a.id "                          \
    "AND f.to_state = 'arrived') ELSE 0 END, "                                                     \
    "CASE WHEN a.state = 'roomed' THEN a.state_at "                                                \
    "WHEN a.state IN ('intake_done', 'ready', 'with_provider', 'checked_out') "                    \
    "THEN (SELECT f.at FROM flow_events f WHERE f.appointment_id = a.id "                          \
    "AND f.to_state = 'roomed') ELSE 0 END, "                                                      \
    "a.date"
#define ENTRY_FROM                                                                                 \
    "appointments a JOIN patients p ON p.id = a.patient_id "                                       \
    "JOIN providers v ON v.id = a.provider_id "                                                    \
    "JOIN appointment_types t ON t.id = a.type_id "                                                \
    "LEFT JOIN rooms r ON r.id = a.room_id"

static const char *const SQL[Q__COUNT] = {
    [Q_ENTRY_BY_ID] = "SELECT " ENTRY_COLUMNS " FROM " ENTRY_FROM " WHERE a.id = ?1",
    /* appointments_date (date, starts_at) serves the range and the order: no sort. */
    [Q_BOARD] = "SELECT " ENTRY_COLUMNS " FROM " ENTRY_FROM " WHERE a.date = ?1 "
                "ORDER BY a.starts_at, a.id",
    [Q_ROOM_BY_ID] = "SELECT id, name, active FROM rooms WHERE id = ?1",
    [Q_ROOM_BY_NAME] = "SELECT id, name, active FROM rooms WHERE name = ?1",
    /* The day's appointments by appointments_date; the unary + keeps the planner off
     * appointments_room, which would walk every appointment the room ever had. A patient left
     * "in" a room on an earlier day does not hold it today. */
    [Q_ROOM_OCCUPANT] = "SELECT id, state FROM appointments WHERE date = ?1 AND +room_id = ?2 "
                        "AND state IN ('roomed', 'intake_done', 'ready', 'with_provider') "
                        "AND id <> ?3 ORDER BY starts_at, id LIMIT 1",
    /* ?6 NULL keeps the room; rooming sets it. */
    [Q_SET_STATE] = "UPDATE appointments SET state = ?2, state_at = ?3, version = version + 1, "
                    "room_id = COALESCE(?6, room_id) "
                    "WHERE id = ?1 AND version = ?4 AND state = ?5 RETURNING version",
    [Q_TOUCH] = "UPDATE appointments SET version = version + 1 "
                "WHERE id = ?1 AND version = ?2 RETURNING version",
    [Q_EVENT_INSERT] = "INSERT INTO flow_events (appointment_id, from_state, to_state, at, "
                       "by_user, room_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_CHECK_IN_INSERT] = "INSERT INTO check_ins (appointment_id, demographics_confirmed, "
                          "insurance_confirmed, copay_cents, at, by_user) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_VITALS_INSERT] = "INSERT INTO vitals (appointment_id, systolic, diastolic, pulse, "
                        "respirations, temperature_dc, spo2, height_mm, weight_g, pain, "
                        "allergies, medications, chief_complaint, at, by_user) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [Q_CHECK_OUT_INSERT] = "INSERT INTO check_outs (appointment_id, followup_booked, "
                           "followup_appointment_id, at, by_user) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_BRIEF] = "SELECT patient_id, starts_at, state FROM appointments WHERE id = ?1",
    /* One row per appointment of the date, by appointments_date; the arithmetic is in C. */
    [Q_VISITS] = "SELECT a.state, fa.at, fr.at, fp.at FROM appointments a "
                 "LEFT JOIN flow_events fa ON fa.appointment_id = a.id AND fa.to_state = 'arrived' "
                 "LEFT JOIN flow_events fr ON fr.appointment_id = a.id AND fr.to_state = 'roomed' "
                 "LEFT JOIN flow_events fp ON fp.appointment_id = a.id "
                 "AND fp.to_state = 'with_provider' "
                 "WHERE a.date = ?1",
    [Q_SHOW_EVENTS] = "SELECT f.from_state, f.to_state, f.at, u.username, f.room_id "
                      "FROM flow_events f JOIN users u ON u.id = f.by_user "
                      "WHERE f.appointment_id = ?1 ORDER BY f.at, f.id",
    [Q_SHOW_CHECK_IN] = "SELECT c.demographics_confirmed, c.insurance_confirmed, c.copay_cents, "
                        "c.at, u.username FROM check_ins c JOIN users u ON u.id = c.by_user "
                        "WHERE c.appointment_id = ?1 ORDER BY c.id DESC LIMIT 1",
    [Q_SHOW_VITALS] = "SELECT s.systolic, s.diastolic, s.pulse, s.respirations, "
                      "s.temperature_dc, s.spo2, s.height_mm, s.weight_g, s.pain, s.allergies, "
                      "s.medications, s.chief_complaint, s.at, u.username "
                      "FROM vitals s JOIN users u ON u.id = s.by_user "
                      "WHERE s.appointment_id = ?1 ORDER BY s.id DESC LIMIT 1",
    [Q_SHOW_CHECK_OUT] = "SELECT o.followup_booked, o.followup_appointment_id, o.at, u.username "
                         "FROM check_outs o JOIN users u ON u.id = o.by_user "
                         "WHERE o.appointment_id = ?1 ORDER BY o.id DESC LIMIT 1",
};

static const char *const STATE_NAMES[CL_FLOW__COUNT] = {
    [CL_FLOW_SCHEDULED] = "scheduled",
    [CL_FLOW_ARRIVED] = "arrived",
    [CL_FLOW_ROOMED] = "roomed",
    [CL_FLOW_INTAKE_DONE] = "intake_done",
    [CL_FLOW_READY] = "ready",
    [CL_FLOW_WITH_PROVIDER] = "with_provider",
    [CL_FLOW_CHECKED_OUT] = "checked_out",
    [CL_FLOW_NO_SHOW] = "no_show",
    [CL_FLOW_CANCELLED] = "cancelled",
};

const char *cl_flow_state_name(cl_flow_state_t s)
{
    return (unsigned)s < CL_FLOW__COUNT ? STATE_NAMES[s] : "unknown";
}

int cl_flow_state_find(const char *name)
{
    for (int s = 0; s < CL_FLOW__COUNT; s++)
        if (strcmp(STATE_NAMES[s], name) == 0)
            return s;
    return -1;
}

const char *cl_flow_board_sql(void)
{
    return SQL[Q_BOARD];
}

const char *cl_flow_room_occupant_sql(void)
{
    return SQL[Q_ROOM_OCCUPANT];
}

const char *cl_flow_visits_sql(void)
{
    return SQL[Q_VISITS];
}

static sqlite3_stmt *stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

/* "Bob Smith": the preferred name (else the first) and the last name, in the arena. */
static char *display_name(cl_arena_t *a, const char *first, const char *preferred, const char *last)
{
    const char *given = preferred[0] ? preferred : first;
    size_t ng = strlen(given), nl = strlen(last), n = ng;
    char *s = cl_arena_alloc(a, ng + nl + 2);
    memcpy(s, given, ng);
    if (ng && nl)
        s[n++] = ' ';
    memcpy(s + n, last, nl + 1);
    return s;
}

/* Reads the ENTRY_COLUMNS of the current row into `out`, its message in the arena. */
static void entry_from_row(cl_arena_t *a, sqlite3_stmt *st, cl_flow_entry_t *out)
{
    Clinic__BoardEntry *e = CL_ARENA_NEW(a, Clinic__BoardEntry);
    clinic__board_entry__init(e);
    e->appointment_id = (uint64_t)sqlite3_column_int64(st, 0);
    e->version = (uint64_t)sqlite3_column_int64(st, 1);
    e->state = cl_arena_strdup(a, cl_db_text(st, 2));
    e->state_at = sqlite3_column_int64(st, 3);
    e->patient_id = (uint64_t)sqlite3_column_int64(st, 4);
    e->record_number = cl_arena_strdup(a, cl_db_text(st, 5));
    e->patient_name = display_name(a, cl_db_text(st, 6), cl_db_text(st, 7), cl_db_text(st, 8));
    e->provider_id = (uint64_t)sqlite3_column_int64(st, 9);
    e->provider_name = cl_arena_strdup(a, cl_db_text(st, 10));
    e->room_id = (uint64_t)sqlite3_column_int64(st, 11);
    e->room_name = cl_arena_strdup(a, cl_db_text(st, 12));
    e->type_id = (uint64_t)sqlite3_column_int64(st, 13);
    e->type_name = cl_arena_strdup(a, cl_db_text(st, 14));
    e->type_color = cl_arena_strdup(a, cl_db_text(st, 15));
    e->starts_at = sqlite3_column_int64(st, 16);
    e->ends_at = sqlite3_column_int64(st, 17);
    e->start_minute = (uint32_t)cl_local_minute(e->starts_at);
    e->reason = cl_arena_strdup(a, cl_db_text(st, 18));
    e->arrived_at = sqlite3_column_int64(st, 19);
    e->roomed_at = sqlite3_column_int64(st, 20);
    snprintf(out->date, sizeof(out->date), "%s", cl_db_text(st, 21));
    out->state = cl_flow_state_find(e->state);
    out->msg = e;
}

int cl_flow_db_entry(cl_tx_t *tx, uint64_t id, cl_flow_entry_t *out)
{
    sqlite3_stmt *st = stmt(tx, Q_ENTRY_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    entry_from_row(&tx->job->arena, st, out);
    sqlite3_reset(st);
    return 0;
}

/* The last board read, kept with the connection (cl_db_cache_*): the front desk reads the board
 * far more often than the day's appointments change, and a 300-appointment board costs a
 * millisecond and more of SQL. It is good as it is while the database's generation is the one
 * it was read at (any change to a table but the bookkeeping ones, and any rollback, moves it
 * on). Otherwise it catches up from the connection's change log (cl_db_changes_since): each
 * appointment changed since is read again alone and put in, moved or taken out; a change to
 * what entries show of other tables (a patient's, provider's, room's or type's name) reads the
 * whole board again. flow_events needs nothing: its rows are written only with their
 * appointment's (cl_flow_db_move, and set_state in schedule_appt.c), whose change brings the
 * entry back. Each read still appends its own audit row. */
typedef struct {
    uint64_t generation;
    cl_db_mark_t mark; /* when it was read or last caught up */
    char date[11];
    cl_arena_t arena;     /* the entries' messages and strings; an entry put in again adds to it */
    size_t arena_entries; /* entries read into the arena since it was last emptied */
    cl_flow_entry_t *entries; /* in (starts_at, appointment_id) order, the board's */
    size_t n, cap;
    cl_tx_t *tx; /* while catching up */
} board_cache_t;

static const char board_cache_key = 'b';
static _Atomic uint64_t boards_caught_up;

uint64_t cl_flow_db_boards_caught_up(void)
{
    return atomic_load(&boards_caught_up);
}

static void board_cache_drop(void *p)
{
    board_cache_t *c = p;
    cl_arena_free(&c->arena);
    free(c->entries);
    free(c);
}

static void board_cache_add(board_cache_t *c, const cl_flow_entry_t *e)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->entries = cl_realloc(c->entries, c->cap * sizeof(*c->entries));
    }
    c->entries[c->n++] = *e;
}

/* A copy of a cached entry in the job's arena: the reply is packed on the loop thread after the
 * job, when the cache may already have been replaced. */
static void entry_copy(cl_arena_t *a, const cl_flow_entry_t *from, cl_flow_entry_t *out)
{
    *out = *from;
    Clinic__BoardEntry *e = CL_ARENA_NEW(a, Clinic__BoardEntry);
    *e = *from->msg;
    e->state = cl_arena_strdup(a, e->state);
    e->patient_name = cl_arena_strdup(a, e->patient_name);
    e->record_number = cl_arena_strdup(a, e->record_number);
    e->provider_name = cl_arena_strdup(a, e->provider_name);
    e->room_name = cl_arena_strdup(a, e->room_name);
    e->type_name = cl_arena_strdup(a, e->type_name);
    e->type_color = cl_arena_strdup(a, e->type_color);
    e->reason = cl_arena_strdup(a, e->reason);
    out->msg = e;
}

static int entry_before(const Clinic__BoardEntry *a, const Clinic__BoardEntry *b)
{
    return a->starts_at != b->starts_at ? a->starts_at < b->starts_at
                                        : a->appointment_id < b->appointment_id;
}

/* One change of the log, brought into the cached board (cl_db_changes_since's `each`). */
static int board_catch_up(void *arg, const char *table, int64_t rowid)
{
    board_cache_t *c = arg;
    if (strcmp(table, "patients") == 0 || strcmp(table, "providers") == 0 ||
        strcmp(table, "rooms") == 0 || strcmp(table, "appointment_types") == 0 || table[0] == '\0')
        return 1;
    if (strcmp(table, "appointments") != 0)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].msg->appointment_id == (uint64_t)rowid) {
            memmove(&c->entries[i], &c->entries[i + 1], (c->n - i - 1) * sizeof(*c->entries));
            c->n--;
            break;
        }
    sqlite3_stmt *st = stmt(c->tx, Q_ENTRY_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, rowid);
    int rc = cl_db_step_row(c->tx->db, st);
    if (rc == CL_ENOTFOUND)
        return 0; /* gone: a rolled-back booking */
    if (rc != 1)
        return rc;
    cl_flow_entry_t e;
    entry_from_row(&c->arena, st, &e);
    sqlite3_reset(st);
    c->arena_entries++;
    if (strcmp(e.date, c->date) != 0)
        return 0; /* on another day now */
    size_t at = c->n;
    while (at > 0 && entry_before(e.msg, c->entries[at - 1].msg))
        at--;
    board_cache_add(c, &e);
    memmove(&c->entries[at + 1], &c->entries[at], (c->n - 1 - at) * sizeof(*c->entries));
    c->entries[at] = e;
    return 0;
}

int cl_flow_db_board(cl_tx_t *tx, const char *date, void (*each)(cl_flow_entry_t *e, void *arg),
                     void *arg)
{
    board_cache_t *c = cl_db_cache_get(tx->db, &board_cache_key);
    uint64_t generation = cl_db_generation(tx->db);
    if (c && c->generation != generation && strcmp(c->date, date) == 0 &&
        c->arena_entries < 4 * c->n + 64) {
        c->tx = tx;
        int rc = cl_db_changes_since(tx->db, c->mark, board_catch_up, c);
        c->tx = NULL;
        if (rc < 0) {
            c->date[0] = '\0';
            return rc;
        }
        if (rc == 0) {
            c->generation = generation;
            c->mark = cl_db_mark(tx->db);
            atomic_fetch_add(&boards_caught_up, 1);
        }
    }
    if (c && c->generation == generation && strcmp(c->date, date) == 0) {
        for (size_t i = 0; i < c->n; i++) {
            cl_flow_entry_t e;
            entry_copy(&tx->job->arena, &c->entries[i], &e);
            each(&e, arg);
        }
        return 0;
    }

    int rc;
    sqlite3_stmt *st = stmt(tx, Q_BOARD);
    if (st == NULL)
        return CL_EINTERNAL;
    if (c == NULL) {
        c = cl_calloc(1, sizeof(*c));
        if (cl_db_cache_set(tx->db, &board_cache_key, c, board_cache_drop) != 0) {
            board_cache_drop(c);
            return CL_EINTERNAL;
        }
    }
    cl_arena_free(&c->arena);
    c->n = 0;
    c->arena_entries = 0;
    c->generation = generation;
    c->mark = cl_db_mark(tx->db);
    snprintf(c->date, sizeof(c->date), "%s", date);
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        cl_flow_entry_t cached, e;
        entry_from_row(&c->arena, st, &cached);
        board_cache_add(c, &cached);
        c->arena_entries++;
        entry_copy(&tx->job->arena, &cached, &e);
        each(&e, arg);
    }
    if (rc < 0)
        c->date[0] = '\0'; /* a partial read is no board */
    return rc;
}

int cl_flow_db_room(cl_tx_t *tx, uint64_t id, const char *name, cl_flow_room_t *out)
{
    sqlite3_stmt *st = stmt(tx, id ? Q_ROOM_BY_ID : Q_ROOM_BY_NAME);
    if (st == NULL)
        return CL_EINTERNAL;
    if (id)
        sqlite3_bind_int64(st, 1, (int64_t)id);
    else
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    out->id = (uint64_t)sqlite3_column_int64(st, 0);
    out->name = cl_arena_strdup(&tx->job->arena, cl_db_text(st, 1));
    out->active = sqlite3_column_int(st, 2);

    sqlite3_reset(st);
    return 0;
}

int cl_flow_db_room_occupant(cl_tx_t *tx, const char *date, uint64_t room_id, uint64_t self,
                             uint64_t *occupant, char state[16])
{
    sqlite3_stmt *st = stmt(tx, Q_ROOM_OCCUPANT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)room_id);
    sqlite3_bind_int64(st, 3, (int64_t)self);
    int rc = cl_db_step(tx->db, st);
    *occupant = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    if (rc == 1)
        snprintf(state, 16, "%s", cl_db_text(st, 1));
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* Runs an UPDATE ... RETURNING version of a row read in this transaction at its version, so
 * that it must match: no row is a bug. Sets *version. */
static int update_version(cl_tx_t *tx, sqlite3_stmt *st, uint64_t *version)
{
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

int cl_flow_db_move(cl_tx_t *tx, uint64_t id, uint64_t *version, cl_flow_state_t from,
                    cl_flow_state_t to, uint64_t room_id)
{
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_SET_STATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_text(st, 2, STATE_NAMES[to], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, (int64_t)*version);
    sqlite3_bind_text(st, 5, STATE_NAMES[from], -1, SQLITE_STATIC);
    if (room_id)
        sqlite3_bind_int64(st, 6, (int64_t)room_id);
    if ((rc = update_version(tx, st, version)) < 0)
        return rc;

    if ((st = stmt(tx, Q_EVENT_INSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_text(st, 2, STATE_NAMES[from], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, STATE_NAMES[to], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    if (room_id)
        sqlite3_bind_int64(st, 6, (int64_t)room_id);
    rc = cl_db_step(tx->db, st);
    return rc < 0 ? rc : 0;
}

int cl_flow_db_touch(cl_tx_t *tx, uint64_t id, uint64_t *version)
{
    sqlite3_stmt *st = stmt(tx, Q_TOUCH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, (int64_t)*version);
    return update_version(tx, st, version);
}

int cl_flow_db_add_check_in(cl_tx_t *tx, uint64_t id, const Clinic__FlowCheckInRequest *req)
{
    sqlite3_stmt *st = stmt(tx, Q_CHECK_IN_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int(st, 2, req->demographics_confirmed ? 1 : 0);
    sqlite3_bind_int(st, 3, req->insurance_confirmed ? 1 : 0);
    sqlite3_bind_int64(st, 4, req->copay_cents);
    sqlite3_bind_int64(st, 5, tx->now);
    sqlite3_bind_int64(st, 6, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    return rc < 0 ? rc : 0;
}

int cl_flow_db_add_vitals(cl_tx_t *tx, uint64_t id, const Clinic__Vitals *v)
{
    sqlite3_stmt *st = stmt(tx, Q_VITALS_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, v->systolic);
    sqlite3_bind_int64(st, 3, v->diastolic);
    sqlite3_bind_int64(st, 4, v->pulse);
    sqlite3_bind_int64(st, 5, v->respirations);
    sqlite3_bind_int64(st, 6, v->temperature_dc);
    sqlite3_bind_int64(st, 7, v->spo2);
    sqlite3_bind_int64(st, 8, v->height_mm);
    sqlite3_bind_int64(st, 9, v->weight_g);
    sqlite3_bind_int64(st, 10, v->pain ? (int64_t)v->pain->score : -1);
    sqlite3_bind_text(st, 11, v->allergies, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, v->medications, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, v->chief_complaint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, tx->now);
    sqlite3_bind_int64(st, 15, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    return rc < 0 ? rc : 0;
}

int cl_flow_db_add_check_out(cl_tx_t *tx, uint64_t id, int followup_booked, uint64_t followup)
{
    sqlite3_stmt *st = stmt(tx, Q_CHECK_OUT_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int(st, 2, followup_booked ? 1 : 0);
    if (followup)
        sqlite3_bind_int64(st, 3, (int64_t)followup);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    return rc < 0 ? rc : 0;
}

int cl_flow_db_brief(cl_tx_t *tx, uint64_t id, uint64_t *patient, int64_t *starts_at,
                     char state[16])
{
    sqlite3_stmt *st = stmt(tx, Q_BRIEF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    *patient = (uint64_t)sqlite3_column_int64(st, 0);
    *starts_at = sqlite3_column_int64(st, 1);
    snprintf(state, 16, "%s", cl_db_text(st, 2));

    sqlite3_reset(st);
    return 0;
}

int cl_flow_db_visits(cl_tx_t *tx, const char *date, cl_flow_visit_t **out, size_t *n)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(tx, Q_VISITS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&tx->job->arena, *out, *n, cap);
        cl_flow_visit_t *v = &(*out)[(*n)++];
        v->state = cl_flow_state_find(cl_db_text(st, 0));
        v->arrived_at = sqlite3_column_int64(st, 1);
        v->roomed_at = sqlite3_column_int64(st, 2);
        v->with_provider_at = sqlite3_column_int64(st, 3);
    }
    return rc;
}

/* The appointment's transitions, oldest first. */
static int show_events(cl_tx_t *tx, uint64_t id, Clinic__FlowShowReply *reply)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = stmt(tx, Q_SHOW_EVENTS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__FlowEvent *ev = CL_ARENA_NEW(a, Clinic__FlowEvent);
        clinic__flow_event__init(ev);
        ev->from_state = cl_arena_strdup(a, cl_db_text(st, 0));
        ev->to_state = cl_arena_strdup(a, cl_db_text(st, 1));
        ev->at = sqlite3_column_int64(st, 2);
        ev->by = cl_arena_strdup(a, cl_db_text(st, 3));
        ev->room_id = (uint64_t)sqlite3_column_int64(st, 4);
        CL_ARENA_RESERVE(a, reply->events, reply->n_events, cap);
        reply->events[reply->n_events++] = ev;
    }
    return rc;
}

static int show_check_in(cl_tx_t *tx, uint64_t id, Clinic__CheckIn **out)
{
    cl_arena_t *a = &tx->job->arena;
    sqlite3_stmt *st = stmt(tx, Q_SHOW_CHECK_IN);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    Clinic__CheckIn *c = CL_ARENA_NEW(a, Clinic__CheckIn);
    clinic__check_in__init(c);
    c->demographics_confirmed = sqlite3_column_int(st, 0) != 0;
    c->insurance_confirmed = sqlite3_column_int(st, 1) != 0;
    c->copay_cents = sqlite3_column_int64(st, 2);
    c->at = sqlite3_column_int64(st, 3);
    c->by = cl_arena_strdup(a, cl_db_text(st, 4));
    *out = c;

    sqlite3_reset(st);
    return 0;
}

static int show_vitals(cl_tx_t *tx, uint64_t id, Clinic__Vitals **out)
{
    cl_arena_t *a = &tx->job->arena;
    sqlite3_stmt *st = stmt(tx, Q_SHOW_VITALS);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    Clinic__Vitals *v = CL_ARENA_NEW(a, Clinic__Vitals);
    clinic__vitals__init(v);
    v->systolic = (uint32_t)sqlite3_column_int64(st, 0);
    v->diastolic = (uint32_t)sqlite3_column_int64(st, 1);
    v->pulse = (uint32_t)sqlite3_column_int64(st, 2);
    v->respirations = (uint32_t)sqlite3_column_int64(st, 3);
    v->temperature_dc = (uint32_t)sqlite3_column_int64(st, 4);
    v->spo2 = (uint32_t)sqlite3_column_int64(st, 5);
    v->height_mm = (uint32_t)sqlite3_column_int64(st, 6);
    v->weight_g = (uint32_t)sqlite3_column_int64(st, 7);
    if (sqlite3_column_int64(st, 8) >= 0) {
        v->pain = CL_ARENA_NEW(a, Clinic__PainScore);
        clinic__pain_score__init(v->pain);
        v->pain->score = (uint32_t)sqlite3_column_int64(st, 8);
    }
    v->allergies = cl_arena_strdup(a, cl_db_text(st, 9));
    v->medications = cl_arena_strdup(a, cl_db_text(st, 10));
    v->chief_complaint = cl_arena_strdup(a, cl_db_text(st, 11));
    v->taken_at = sqlite3_column_int64(st, 12);
    v->taken_by = cl_arena_strdup(a, cl_db_text(st, 13));
    *out = v;

    sqlite3_reset(st);
    return 0;
}

static int show_check_out(cl_tx_t *tx, uint64_t id, Clinic__CheckOut **out)
{
    cl_arena_t *a = &tx->job->arena;
    sqlite3_stmt *st = stmt(tx, Q_SHOW_CHECK_OUT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_row(tx->db, st);
    if (rc != 1)
        return rc;
    Clinic__CheckOut *o = CL_ARENA_NEW(a, Clinic__CheckOut);
    clinic__check_out__init(o);
    o->followup_booked = sqlite3_column_int(st, 0) != 0;
    o->followup_appointment_id = (uint64_t)sqlite3_column_int64(st, 1);
    o->at = sqlite3_column_int64(st, 2);
    o->by = cl_arena_strdup(a, cl_db_text(st, 3));
    *out = o;

    sqlite3_reset(st);
    return 0;
}

int cl_flow_db_show(cl_tx_t *tx, uint64_t id, int vitals, Clinic__FlowShowReply *reply)
{
    int rc;
    if ((rc = show_events(tx, id, reply)) < 0)
        return rc;
    if ((rc = show_check_in(tx, id, &reply->check_in)) < 0 && rc != CL_ENOTFOUND)
        return rc;
    if (vitals && (rc = show_vitals(tx, id, &reply->vitals)) < 0 && rc != CL_ENOTFOUND)
        return rc;
    if ((rc = show_check_out(tx, id, &reply->check_out)) < 0 && rc != CL_ENOTFOUND)
        return rc;
    return 0;
}
