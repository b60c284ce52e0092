/* The time clock's internals, shared by its files and its tests: timeclock_db.c holds the
 * statements and reads and writes punches, breaks, their history and the pay policy;
 * timeclock.c the clock handlers, corrections and the pay policy; timeclock_sheet.c the pure
 * arithmetic of timesheets (pay periods, breaks by rule, daily then weekly overtime), the
 * timesheet and export handlers and the CSV. */
#ifndef CL_TIMECLOCK_INT_H
#define CL_TIMECLOCK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "staff_int.h"
#include "store.h"

/* ---- pay policy ---- */

/* The period kind's name ("weekly"), and the kind named `name` (0 when unknown). */
const char *cl_pay_period_name(cl_pay_period_kind_t k);
cl_pay_period_kind_t cl_pay_period_find(const char *name);
/* The first day of the overtime week holding `day`: weeks begin on the anchor's weekday. */
cl_date_t cl_pay_week_start(const cl_pay_policy_t *p, cl_date_t day);

/* ---- timesheet arithmetic (pure: no database) ---- */

typedef struct {
    int64_t start_at, end_at; /* end_at 0: open */
    int paid;
} cl_tc_break_t;

typedef struct {
    int64_t id;
    int64_t in_at, out_at;  /* out_at 0: open, counted to `now` */
    const cl_tc_break_t *breaks; /* borrowed */
    size_t n_breaks;
} cl_tc_punch_t;

/* One day's figures: seconds as measured, minutes as paid. */
typedef struct {
    cl_date_t date;
    uint32_t punches;
    int open;
    int64_t elapsed_s, unpaid_break_s, paid_break_s, rule_break_s, worked_s;
    uint32_t worked_minutes, regular_minutes, daily_overtime_minutes, weekly_overtime_minutes;
} cl_tc_day_t;

/* The worked seconds of one punch at `now`: elapsed real seconds less its unpaid breaks (each
 * clipped to the punch), less the policy's break when the punch is longer than
 * break_after_minutes and has no unpaid break. The parts go to the out-parameters (any may be
 * NULL). */
int64_t cl_tc_punch_worked(const cl_pay_policy_t *p, const cl_tc_punch_t *punch, int64_t now,
                           int64_t *elapsed, int64_t *unpaid, int64_t *paid, int64_t *rule);

/* Fills days[0..n_days) for the dates from `first` on: each punch counts whole on the clinic
 * date it began (punches begun outside the range are skipped); worked minutes per day are the
 * day's worked seconds to the nearest minute; then daily overtime (beyond the policy's daily
 * limit), then weekly overtime over the regular minutes left, in weeks from the anchor's
 * weekday. `first` should be a week's first day (cl_pay_week_start) so that weekly overtime
 * sees the whole week. */
void cl_tc_compute(const cl_pay_policy_t *p, const cl_tc_punch_t *punches, size_t n,
                   cl_date_t first, size_t n_days, int64_t now, cl_tc_day_t *days);

/* A text growing in an arena (buf NUL-terminated once anything was added). */
typedef struct {
    cl_arena_t *a; /* borrowed */
    char *buf;     /* in the arena */
    size_t len, cap;
} cl_tc_text_t;
/* Appends `n` bytes of `s`. */
void cl_tc_text_add(cl_tc_text_t *t, const char *s, size_t n);
/* Appends `s` as one CSV field (RFC 4180: quoted when it holds a comma, a quote, CR or LF,
 * quotes doubled; a leading =, +, - or @ is quoted behind a ' so that a spreadsheet does not
 * run it as a formula). */
void cl_tc_csv_field(cl_tc_text_t *t, const char *s);

/* ---- timeclock.c ---- */

/* Resolves the staff member a read names (0: the caller's own) and checks that the caller may
 * see them: themself, someone they supervise, or anyone for a manager (PERMISSION_DENIED
 * otherwise, NOT_FOUND for no such staff member, both on "staff_id"). Sets *staff_id and
 * `name`. */
int cl_tc_reader_staff(cl_tx_t *tx, uint64_t requested, int64_t *staff_id, char *name,
                       size_t namelen);

/* ---- timeclock_db.c: 0 or a negative status unless said otherwise; what it reads lives in
 * tx->job->arena ---- */

/* Reads the policy row into `out` and its version, when and by whom (username) it was set. */
int cl_tc_db_policy(cl_tx_t *tx, cl_pay_policy_t *out, uint64_t *version, int64_t *updated_at,
                    const char **updated_by);
/* Replaces the policy read at `*version`; 0 and *version the new one, or CL_ECONFLICT. */
int cl_tc_db_policy_set(cl_tx_t *tx, const cl_pay_policy_t *p, uint64_t *version);

/* Punch `id` with its breaks (and its history when `history`): 0, CL_ENOTFOUND, or a status. */
int cl_tc_db_punch(cl_tx_t *tx, int64_t id, int history, Clinic__Punch **out);
/* The staff member's open punch (*out NULL when none), with its breaks. */
int cl_tc_db_open_punch(cl_tx_t *tx, int64_t staff_id, Clinic__Punch **out);
/* The staff member's latest punch by in_at (*out NULL when none). */
int cl_tc_db_last_punch(cl_tx_t *tx, int64_t staff_id, Clinic__Punch **out);
/* The staff member's punches begun in [from, to), by in_at, with breaks (and history). */
int cl_tc_db_punches(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to, int history,
                     Clinic__Punch ***out, size_t *n);
/* The staff members with a punch begun in [from, to), by id: an arena array. */
int cl_tc_db_staff_with_punches(cl_tx_t *tx, int64_t from, int64_t to, int64_t **out, size_t *n);
/* A punch of `staff_id` other than `self` overlapping [from, to) (to 0: open-ended); *other 0
 * when none, else its id and times. */
int cl_tc_db_overlap(cl_tx_t *tx, int64_t staff_id, int64_t self, int64_t from, int64_t to,
                     int64_t *other, int64_t *other_in, int64_t *other_out);

/* Clock in: a new open punch by the job's user at its workstation; sets *id. A punch already
 * open gives CL_EEXIST (the unique index). */
int cl_tc_db_clock_in(cl_tx_t *tx, int64_t staff_id, int64_t *id);
/* Closes punch `id` at tx->now by the job's user (and its open break, if any). */
int cl_tc_db_clock_out(cl_tx_t *tx, int64_t id);
/* Opens a break in punch `id`; CL_EEXIST when one is open. */
int cl_tc_db_break_start(cl_tx_t *tx, int64_t punch_id, int paid);
/* Ends the open break of punch `id`; CL_ENOTFOUND when none is open. */
int cl_tc_db_break_end(cl_tx_t *tx, int64_t punch_id);
/* A correction approved: keeps the current version of punch `id` in punch_history, then writes
 * in_at/out_at as the next version marked with `request_id`. */
int cl_tc_db_punch_correct(cl_tx_t *tx, int64_t id, int64_t in_at, int64_t out_at,
                           int64_t request_id);
/* A missing punch added by correction `request_id`; sets *id. */
int cl_tc_db_punch_add(cl_tx_t *tx, int64_t staff_id, int64_t in_at, int64_t out_at,
                       int64_t request_id, int64_t *id);
/* A forgotten unpaid break added to punch `id` by correction `request_id`; raises the punch's
 * version after keeping the old one in punch_history. */
int cl_tc_db_break_add(cl_tx_t *tx, int64_t punch_id, int64_t start_at, int64_t end_at,
                       int64_t request_id);

/* The statements of the hot queries, for tests of their plans: a staff member's punches in a
 * range (?1 staff, ?2 from, ?3 to), and the open punch (?1 staff). */
const char *cl_tc_punches_sql(void);
const char *cl_tc_open_punch_sql(void);

#endif
