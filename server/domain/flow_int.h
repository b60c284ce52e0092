/* The patient-flow module's internals, shared by its two files and its tests: flow_db.c holds the
 * statements and reads and writes rows; flow.c holds the state machine, the checks and the
 * handlers. Also the static statements of the hot queries, for tests of their query plans. */
#ifndef CL_FLOW_INT_H
#define CL_FLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The states, as the database and the wire name them. */
typedef enum {
    CL_FLOW_SCHEDULED,
    CL_FLOW_ARRIVED,
    CL_FLOW_ROOMED,
    CL_FLOW_INTAKE_DONE,
    CL_FLOW_READY,
    CL_FLOW_WITH_PROVIDER,
    CL_FLOW_CHECKED_OUT,
    CL_FLOW_NO_SHOW,
    CL_FLOW_CANCELLED,
    CL_FLOW__COUNT
} cl_flow_state_t;

/* The state's name (static storage). */
const char *cl_flow_state_name(cl_flow_state_t s);
/* The state named `name`, or -1 for a name the flow does not know. */
int cl_flow_state_find(const char *name);

/* An appointment as the flow reads it: its board entry and what the handlers decide on. */
typedef struct {
    Clinic__BoardEntry *msg; /* in the job's arena; minutes and waits not yet set */
    int state;               /* cl_flow_state_t, or -1 */
    char date[11];           /* the appointment's date */
} cl_flow_entry_t;

/* A room as rooming needs it. */
typedef struct {
    uint64_t id;
    const char *name; /* in the job's arena */
    int active;
} cl_flow_room_t;

/* One appointment of a day for the figures: its state and when it entered each waiting step
 * (0: never). */
typedef struct {
    int state; /* cl_flow_state_t, or -1 */
    int64_t arrived_at, roomed_at, with_provider_at;
} cl_flow_visit_t;

/* The figures of a day's visits: counts, and the waits from arrival to rooming and from rooming
 * to the provider (finished waits only; average rounded to the second). Pure arithmetic, for
 * the tests. `out` is initialised by the caller; its date is left alone. */
void cl_flow_figures(const cl_flow_visit_t *visits, size_t n, Clinic__FlowFiguresReply *out);

/* ---- flow_db.c: every function returns 0 or a negative status unless it says otherwise; what
 * it reads lives in tx->job->arena. ---- */

/* Appointment `id`: 0, CL_ENOTFOUND, or a database status. */
int cl_flow_db_entry(cl_tx_t *tx, uint64_t id, cl_flow_entry_t *out);
/* Calls `each` for every appointment of `date`, by start time then id. */
int cl_flow_db_board(cl_tx_t *tx, const char *date, void (*each)(cl_flow_entry_t *e, void *arg),
                     void *arg);
/* How many board reads (all threads, since start) were served by catching the cached board up
 * from the change log rather than reading it whole: for tests and profiles. */
uint64_t cl_flow_db_boards_caught_up(void);
/* The room with `id` (when not 0) or named `name`: 0, CL_ENOTFOUND, or a database status. */
int cl_flow_db_room(cl_tx_t *tx, uint64_t id, const char *name, cl_flow_room_t *out);
/* The appointment of `date` other than `self` with a patient in room `room_id`: *occupant 0
 * for none, else its id and its state's name in `state`. */
int cl_flow_db_room_occupant(cl_tx_t *tx, const char *date, uint64_t room_id, uint64_t self,
                             uint64_t *occupant, char state[16]);
/* Moves appointment `id`, read at `*version` in `from`, to `to` (into `room_id` when not 0),
 * and records the flow_events row by the job's user; sets *version to the new one. */
int cl_flow_db_move(cl_tx_t *tx, uint64_t id, uint64_t *version, cl_flow_state_t from,
                    cl_flow_state_t to, uint64_t room_id);
/* Raises the version of appointment `id`, read at `*version` (a change of its details). */
int cl_flow_db_touch(cl_tx_t *tx, uint64_t id, uint64_t *version);
/* Appends the check-in, vitals or check-out row of appointment `id` by the job's user. */
int cl_flow_db_add_check_in(cl_tx_t *tx, uint64_t id, const Clinic__FlowCheckInRequest *req);
int cl_flow_db_add_vitals(cl_tx_t *tx, uint64_t id, const Clinic__Vitals *v);
int cl_flow_db_add_check_out(cl_tx_t *tx, uint64_t id, int followup_booked, uint64_t followup);
/* Appointment `id`'s patient, start and state's name: 0, CL_ENOTFOUND or a database status. */
int cl_flow_db_brief(cl_tx_t *tx, uint64_t id, uint64_t *patient, int64_t *starts_at,
                     char state[16]);
/* Every appointment of `date` as visits: an arena array in *out of *n. */
int cl_flow_db_visits(cl_tx_t *tx, const char *date, cl_flow_visit_t **out, size_t *n);
/* Fills `reply`'s events, check-in, check-out and (when `vitals`) latest vitals. */
int cl_flow_db_show(cl_tx_t *tx, uint64_t id, int vitals, Clinic__FlowShowReply *reply);

/* The board of a date (?1): every appointment with its patient, provider, type and room. */
const char *cl_flow_board_sql(void);
/* Who is in a room on a date (?1 date, ?2 room, ?3 the appointment being roomed). */
const char *cl_flow_room_occupant_sql(void);
/* The day's visits for the figures (?1 date). */
const char *cl_flow_visits_sql(void);

#endif
