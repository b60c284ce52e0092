/* The approvals module's internals, shared by its files and its tests: approvals_db.c holds the
 * statements, reads and writes requests and keeps the time-off ledger (accruals, balances);
 * approvals.c holds the kind table, the workflow (filing, deciding, withdrawing) and the
 * functions of staff_int.h; approvals_handlers.c the request handlers. */
#ifndef CL_APPROVALS_INT_H
#define CL_APPROVALS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "clinic.pb-c.h"
#include "staff_int.h"
#include "store.h"

enum {
    CL_REQ_DETAILS_MAX = 1000,        /* bytes of the requester's words */
    CL_REQ_COMMENT_MAX = 1000,        /* bytes of a decider's comment */
    CL_REQ_BULK_MAX = 200,            /* ids decided in one request */
    CL_TIMEOFF_DAYS_MAX = 366,        /* days in one time-off request */
    CL_TIMEOFF_WEEKDAY_MINUTES = 480, /* a weekday without shifts counts 8 hours */
    CL_EXPENSE_MAX_CENTS = 100000000, /* $1,000,000.00: anything above is a typing error */
    CL_ACCRUAL_MAX = 4800,            /* minutes per pay period (80 hours) */
    CL_ACCRUAL_CAP_MAX = 200000,      /* minutes of balance */
    CL_ADJUST_MAX = 200000,           /* minutes of one adjustment, either way */
    CL_ACCRUAL_PERIODS_MAX = 1200,    /* pay periods credited by one read (23 years weekly) */
};

/* The states, as the database and the wire name them. */
typedef enum {
    CL_REQ_PENDING,
    CL_REQ_APPROVED,
    CL_REQ_DENIED,
    CL_REQ_WITHDRAWN,
    CL_REQ_CANCELLED, /* approved, then called off (time off only) */
    CL_REQ__STATES
} cl_req_state_t;

/* The state's name (static storage), and the state named `name` or -1. */
const char *cl_req_state_name(cl_req_state_t s);
int cl_req_state_find(const char *name);

/* What filing decides besides the request's own columns. */
typedef struct {
    int over_balance; /* time off beyond the available balance */
    int overtime;     /* about hours over the overtime limits */
} cl_req_flags_t;

/* One row of the kind table: everything a kind adds to the one workflow. A later kind
 * (purchase orders, policy exceptions) is one more cl_req_kind_t and one more row. Hooks run in
 * the deciding job's transaction; a negative return is a status with its message already set
 * (cl_job_fail), and undoes the decision. */
typedef struct {
    cl_req_kind_t kind;
    const char *name;  /* "timeoff": the database's and the wire's name */
    const char *title; /* "time off": in messages */
    /* At filing, after the generic checks: the kind's own, and its flags. NULL: none. */
    int (*validate)(cl_tx_t *tx, cl_request_t *r, cl_req_flags_t *flags);
    /* Approval: what the approval does elsewhere. `override` is 1 only on the second try, when
     * the first failed with CONFLICT and the decider overrode it with the right to. NULL: none. */
    int (*approve)(cl_tx_t *tx, const cl_request_t *r, int override);
    /* Denial or withdrawal by the requester (`state`). NULL: nothing. */
    int (*close)(cl_tx_t *tx, const cl_request_t *r, cl_req_state_t state);
    /* Cancelling an approved request: undoes what `approve` did elsewhere. NULL: a request of
     * this kind cannot be cancelled once approved. */
    int (*cancel)(cl_tx_t *tx, const cl_request_t *r);
} cl_req_kind_def_t;

/* The row of kind `k`, or NULL; the row named `name`, or NULL. */
const cl_req_kind_def_t *cl_req_kind(cl_req_kind_t k);
const cl_req_kind_def_t *cl_req_kind_find(const char *name);
/* Every row, in kind order; sets *n. */
const cl_req_kind_def_t *cl_req_kinds(size_t *n);

/* The time-off types and expense categories (NULL-terminated). */
extern const char *const cl_timeoff_types[];
extern const char *const cl_expense_categories[];

/* A request read from the database. */
typedef struct {
    cl_request_t r; /* for the hooks */
    int state;      /* cl_req_state_t */
    uint64_t version;
    int64_t created_at;
    Clinic__StaffRequest *msg; /* the wire record, in the job's arena */
} cl_req_row_t;

/* ---- approvals_db.c: every function returns 0 or a negative status unless it says otherwise;
 * what it reads lives in tx->job->arena. ---- */

/* Request `id`: 0, CL_ENOTFOUND, or a database status. */
int cl_req_db_get(cl_tx_t *tx, int64_t id, cl_req_row_t *out);
/* Inserts `r` in state pending with `flags`, filed by the job's user; sets r->id. */
int cl_req_db_insert(cl_tx_t *tx, cl_request_t *r, const cl_req_flags_t *flags);
/* Moves request `id` from pending to `to`, decided now by `by_user` with `comment` (and the
 * override used); sets *version to the new one. CL_EPRECOND when it is no longer pending (job
 * not failed: the caller says why). */
int cl_req_db_close(cl_tx_t *tx, int64_t id, cl_req_state_t to, int64_t by_user,
                    const char *comment, int override_used, uint64_t *version);
/* Moves request `id` from approved to cancelled, now, by the job's user with `comment`; the
 * approval's who and when stay. CL_EPRECOND when it is no longer approved. */
int cl_req_db_cancel(cl_tx_t *tx, int64_t id, const char *comment);

/* Which requests a list walks. */
typedef struct {
    int inbox;         /* pending only, oldest first; else newest first */
    int64_t requester; /* only this staff member's (index requests_requester); 0: anyone */
    int state;         /* cl_req_state_t, or -1 for any */
    const char *kind;  /* NULL: any */
} cl_req_walk_t;
/* Calls `each` for every matching request until it returns non-zero (a negative status ends
 * the walk with it; 1 stops it quietly). */
int cl_req_db_walk(cl_tx_t *tx, const cl_req_walk_t *w, int (*each)(cl_req_row_t *row, void *arg),
                   void *arg);
/* The ids of the pending requests of `kind` that refer to `ref_id`: an arena array of *n. */
int cl_req_db_pending_for(cl_tx_t *tx, const char *kind, int64_t ref_id, int64_t **ids, size_t *n);
/* The first pending or approved (when `approved_only` is 0) time off of `staff_id` overlapping
 * [from, to), other than `self`: 1 with its id, state and times, 0 without. */
int cl_req_db_timeoff_overlap(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to,
                              int approved_only, int64_t self, int64_t *id, int *state,
                              int64_t *starts_at, int64_t *ends_at);
/* The minutes the staff member's shifts starting in [day_from, day_to) overlap [from, to), and
 * how many shifts start there (cancelled shifts and shifts taken off not counted). */
int cl_req_db_shift_minutes(cl_tx_t *tx, int64_t staff_id, int64_t day_from, int64_t day_to,
                            int64_t from, int64_t to, int64_t *minutes, int *shifts);
/* A shift as an overtime request needs it: CL_ENOTFOUND when there is none. `state` gets its
 * state ("published", ...), `overtime` its overtime mark. */
int cl_req_db_shift(cl_tx_t *tx, int64_t shift_id, int64_t *staff_id, int64_t *starts_at,
                    int64_t *ends_at, char state[16], char overtime[16]);

/* A time-off type's policy. */
typedef struct {
    char type[16];
    int tracked;
    int64_t accrual_minutes, cap_minutes;
    char effective_from[11];
    int64_t updated_at;
    int64_t updated_by;
    uint64_t version;
} cl_timeoff_policy_t;
int cl_timeoff_db_policy(cl_tx_t *tx, const char *type, cl_timeoff_policy_t *out);
/* Sets `type`'s rate and cap as of today, read at `version`: CL_ECONFLICT when stale. */
int cl_timeoff_db_policy_set(cl_tx_t *tx, const char *type, int64_t accrual, int64_t cap,
                             uint64_t version);
/* Every policy as wire records, in type order: an arena array of *n. */
int cl_timeoff_db_policies(cl_tx_t *tx, Clinic__AccrualPolicy ***out, size_t *n);
/* The active staff members' ids: an arena array of *n. */
int cl_timeoff_db_active_staff(cl_tx_t *tx, int64_t **ids, size_t *n);

/* Writes the accrual rows of `staff_id` and `type` for every completed pay period not yet
 * credited (one per period, idempotent: see docs/STAFF.md). Returns how many it wrote. */
int cl_timeoff_accrue(cl_tx_t *tx, int64_t staff_id, const char *type);
/* The balance of `staff_id` in `type` as of now (accruals written first). `out` is initialised
 * by the caller. */
int cl_timeoff_balance(cl_tx_t *tx, int64_t staff_id, const char *type,
                       Clinic__TimeOffBalance *out);
/* Appends a ledger row. */
int cl_timeoff_db_ledger_add(cl_tx_t *tx, int64_t staff_id, const char *type, const char *entry,
                             int64_t minutes, int64_t request_id, const char *reason);
/* Every ledger row of `staff_id`, oldest first: an arena array of *n. */
int cl_timeoff_db_ledger(cl_tx_t *tx, int64_t staff_id, Clinic__TimeOffLedgerEntry ***out,
                         size_t *n);

/* The minutes time off over [starts_at, ends_at) counts against the balance: on a day the staff
 * member has shifts, the minutes of those shifts it covers; on a weekday without shifts, the
 * part of the day it covers up to 8 hours; weekends without shifts nothing. */
int cl_timeoff_minutes(cl_tx_t *tx, int64_t staff_id, int64_t starts_at, int64_t ends_at,
                       int64_t *minutes);

/* ---- approvals.c ---- */

/* Decides request `id` (approve or deny) as the job's user, checking the version when not 0.
 * Fails the job (cl_job_fail) and returns a status when it cannot; on success fills *row with
 * the record after. For the decide handler, which runs it once per id. */
int cl_req_decide(cl_tx_t *tx, int64_t id, uint64_t version, int approve, const char *comment,
                  int override, cl_req_row_t *row);
/* Withdraws request `id` as the job's user (the requester only, pending only). */
int cl_req_withdraw(cl_tx_t *tx, int64_t id, uint64_t version, const char *comment,
                    cl_req_row_t *row);
/* Cancels approved request `id` as the job's user (whoever may decide it; a kind with a cancel
 * hook only; a comment is required), running the kind's cancel hook. */
int cl_req_cancel(cl_tx_t *tx, int64_t id, uint64_t version, const char *comment,
                  cl_req_row_t *row);
/* Forgets the changes the job made after `mark` (the tail of its change list then; NULL: all),
 * for a part of a job that a nested SAVEPOINT rolled back. */
void cl_req_changes_restore(cl_tx_t *tx, cl_change_t *mark);
/* The audit row `action` on request `id` by the job's user. */
int cl_req_audit(cl_tx_t *tx, const char *action, int64_t id);
/* Checks the requester's words: UTF-8, at most CL_REQ_DETAILS_MAX bytes, no control characters
 * but newlines and tabs. Fails the job naming `field`. */
int cl_req_check_text(cl_tx_t *tx, const char *field, const char *s, size_t max);

/* The statements' texts, for the tests of their query plans. */
const char *cl_req_inbox_sql(void);
const char *cl_req_requester_sql(void);
const char *cl_req_overlap_sql(void);

#endif
