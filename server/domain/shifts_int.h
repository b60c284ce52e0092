/* What the shifts module's files share (shifts.c: desks and shifts; shifts_overtime.c: judging
 * shifts against the overtime limits; shifts_template.c: templates and publishing a week;
 * shifts_cover.c: the coverage view and time off taking shifts; shifts_swap.c: swaps and the
 * approvals hooks; shifts_db.c: the statements and row readers). Its tests include it to reach
 * the statements' text for EXPLAIN QUERY PLAN. */
#ifndef CL_SHIFTS_INT_H
#define CL_SHIFTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "clinic.pb-c.h"
#include "staff_int.h"
#include "store.h"

typedef enum {
    CL_SHQ_DESK_INSERT,
    CL_SHQ_DESK_BY_ID,
    CL_SHQ_DESK_LIST,
    CL_SHQ_DESK_UPDATE,
    CL_SHQ_SHIFT_INSERT,
    CL_SHQ_SHIFT_BY_ID,
    CL_SHQ_SHIFT_UPDATE,
    CL_SHQ_SHIFT_SET_OVERTIME,
    CL_SHQ_SHIFT_CANCEL,
    CL_SHQ_SHIFT_OFF,
    CL_SHQ_SHIFT_SET_STAFF,
    CL_SHQ_SHIFT_OVERTIME_DECIDED,
    CL_SHQ_SHIFT_OVERLAP,
    CL_SHQ_SHIFT_SECONDS,
    CL_SHQ_SHIFT_LIST,
    CL_SHQ_SHIFT_OF_STAFF_WITHIN,
    CL_SHQ_SHIFT_PUBLISH,
    CL_SHQ_DESK_ON_DUTY,
    CL_SHQ_HOURS_DAY,
    CL_SHQ_HOLIDAY_ON,
    CL_SHQ_TEMPLATE_BY_NAME,
    CL_SHQ_TEMPLATE_LIST,
    CL_SHQ_TEMPLATE_INSERT,
    CL_SHQ_TEMPLATE_UPDATE,
    CL_SHQ_TEMPLATE_DELETE,
    CL_SHQ_TEMPLATE_ROWS_DELETE,
    CL_SHQ_TEMPLATE_ROW_INSERT,
    CL_SHQ_TEMPLATE_ROWS,
    CL_SHQ_WEEK_UPSERT,
    CL_SHQ_SWAP_INSERT,
    CL_SHQ_SWAP_BY_ID,
    CL_SHQ_SWAP_SET_STATE,
    CL_SHQ_SWAP_OPEN_FOR,
    CL_SHQ_SWAP_ACCEPTED_FOR,
    CL_SHQ_SWAP_LIST_MINE,
    CL_SHQ_SWAP_LIST_ALL,
    CL_SHQ_SWAPS_WITHDRAW_FOR,
    CL_SHQ_PROVIDER_OF_USER,
    CL_SHQ_BLOCK_INSERT,
    CL_SHQ_SHIFTS_OFF_FOR,
    CL_SHQ_SHIFT_ON,
    CL_SHQ_BLOCKS_CANCEL_FOR,
    CL_SHQ__COUNT
} cl_shift_q_t;

/* The text of statement `q` (static storage), for tests that check its plan. */
const char *cl_shift_sql(cl_shift_q_t q);
/* The cached statement `q`, reset; NULL only for SQL that does not compile (a bug: logged). */
sqlite3_stmt *cl_shift_stmt(cl_tx_t *tx, cl_shift_q_t q);

enum {
    CL_SHIFT_MINUTES_MIN = 15,
    CL_SHIFT_MINUTES_MAX = 960, /* 16 hours: the overlap queries rely on it */
    CL_SHIFT_NOTE_MAX = 500,
    CL_SHIFT_DESK_NAME_MAX = 128,
    CL_SHIFT_DESK_MIN_MAX = 50,
    CL_SHIFT_TEMPLATE_NAME_MAX = 64,
    CL_SHIFT_TEMPLATE_ROWS_MAX = 500,
    CL_SHIFT_LIST_DAYS_MAX = 92,
    CL_SHIFT_COVERAGE_DAYS_MAX = 31,
    CL_SHIFT_LIST_MAX = 5000,
    CL_SHIFT_SWAP_LIST_MAX = 500,
};

/* The states as stored and sent. */
#define CL_SHIFT_DRAFT "draft"
#define CL_SHIFT_PUBLISHED "published"
#define CL_SHIFT_CANCELLED "cancelled"
#define CL_SHIFT_OFF "off"

/* ---- shifts_db.c ---------------------------------------------------------------------------- */

/* Row readers of the statements' column lists, into the arena. */
Clinic__Desk *cl_shift_desk_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__Shift *cl_shift_from_row(cl_arena_t *a, sqlite3_stmt *st);
Clinic__ShiftSwap *cl_shift_swap_from_row(cl_arena_t *a, sqlite3_stmt *st);

/* Loaders: 0 and *out (in the job's arena), CL_ENOTFOUND, or a database status. */
int cl_shift_desk_get(cl_tx_t *tx, int64_t id, Clinic__Desk **out);
int cl_shift_get(cl_tx_t *tx, int64_t id, Clinic__Shift **out);
/* A swap with both its shifts. */
int cl_shift_swap_get(cl_tx_t *tx, int64_t id, Clinic__ShiftSwap **out);

/* ---- shifts.c: checks and writes shared by the handlers and the hooks ----------------------- */

/* Whether staff member `staff_id` may work [from, to) (leaving out shifts `skip1` and `skip2`):
 * returns 0; CL_ENOTFOUND (no such staff member), CL_EPRECOND (they have left) or CL_ECONFLICT
 * (an overlapping draft or published shift, set in *with when `with` is not NULL, or approved
 * time off) with the reason in `why`; or another negative status (database; `why` empty). The
 * job's response is not touched. */
int cl_shift_conflict(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int64_t skip1,
                      int64_t skip2, char *why, size_t whylen, Clinic__Shift **with);

/* Announces a change to shift `s` (as it is now): on "shifts" and to its staff member's inbox
 * when `live` (the shift is or was published), else on "staff" (managers) only; also to the
 * inbox of `other_staff` (a previous holder) when not 0. */
int cl_shift_announce(cl_tx_t *tx, const Clinic__Shift *s, Clinic__ChangeOp op, int live,
                      int64_t other_staff);

/* Announces `entity` `id` to the inbox of staff member `staff_id`'s user (none: nothing). */
int cl_shift_tell_staff(cl_tx_t *tx, int64_t staff_id, const char *entity, uint64_t id,
                        Clinic__ChangeOp op);

/* Withdraws the swaps still proposed on shift `shift_id` (cancelled or taken off: it no longer
 * stands as offered), telling both parties. */
int cl_shift_withdraw_swaps(cl_tx_t *tx, uint64_t shift_id);

/* Whether the logged-in user sets up shifts (a manager): sees drafts and everything. */
int cl_shift_is_manager(const cl_tx_t *tx);

/* Blanks the personnel details of `s` (overtime, time off, note) for a reader who is not its
 * staff member, their supervisor or a manager. `access` is cl_staff_access's answer. */
void cl_shift_redact(Clinic__Shift *s, cl_staff_access_t access);

/* Inserts a shift of staff member `staff_id` at desk `desk_id` over [from, to) in `state` (the
 * caller has checked it: cl_shift_conflict) and reads it back into *out (arena); judges its
 * overtime and its week's (filing a request when over a limit), appends its audit row and
 * announces it (live when published). */
int cl_shift_insert(cl_tx_t *tx, int64_t staff_id, int64_t desk_id, int64_t from, int64_t to,
                    const char *state, const char *note, Clinic__Shift **out);

/* ---- shifts_overtime.c ---------------------------------------------------------------------- */

/* Brings the overtime flag of shift `s` (just written) up to date: flags it and files a request
 * when it now goes over a limit (withdrawing a pending one for other minutes), clears it when
 * it no longer does. An approved flag stands while the minutes over do not grow. The flag is
 * written without a version change when `bump` is 0 (the caller's write made one). */
int cl_shift_overtime_update(cl_tx_t *tx, Clinic__Shift *s, int bump);

/* After a change of hours, the week of `a_start` of staff member `a` and the week of `b_start`
 * of staff member `b` (once when they are the same week of the same person; `b` 0: none) are
 * judged again (each working shift's cl_shift_overtime_update, with an audit row and a live
 * change for each shift so changed), but shift `skip`. Nothing when the pay policy has no
 * overtime limit. */
int cl_shift_rejudge_weeks(cl_tx_t *tx, int64_t a, int64_t a_start, int64_t b, int64_t b_start,
                           int64_t skip);

/* Shift `s` (as read) went to another staff member: the overtime flag and a pending request
 * were the previous holder's, so the request is withdrawn and the flag cleared (no version
 * change: the caller's write made one); the caller judges the shift again for its new holder. */
int cl_shift_changed_hands(cl_tx_t *tx, Clinic__Shift *s);

/* Staff member `staff_id`'s hours changed in the weeks of `shifts` (`n`, in start order: taken
 * off, given back, swapped, cancelled): their working shifts of each of those weeks are judged
 * again for overtime, each week once. */
int cl_shift_weeks_changed(cl_tx_t *tx, int64_t staff_id, Clinic__Shift *const *shifts, size_t n);

/* ---- shifts_cover.c ------------------------------------------------------------------------- */

/* The coverage of desk `desk` on `day`: published shifts (and drafts when `drafts`), over the
 * clinic's hours of the day when it has them, else over [fallback_from, fallback_to) when
 * given (non-zero), else over the span of the desk's shifts that day. Fills *out (arena). */
int cl_shift_coverage_day(cl_tx_t *tx, const Clinic__Desk *desk, cl_date_t day, int drafts,
                          int64_t fallback_from, int64_t fallback_to,
                          Clinic__ShiftCoverageDay **out);

#endif
