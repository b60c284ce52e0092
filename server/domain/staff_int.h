/* Staff and the manager's approvals (issue 5): what the four parts call of each other. Each part
 * owns its files and its migration, and implements the functions listed under its name here:
 *   staff      domain/staff*.c       0003_staff.sql       staff members, credentials, who sees whom
 *   shifts     domain/shifts*.c      0004_shifts.sql      desks, shifts, templates, publishing, swaps
 *   timeclock  domain/timeclock*.c   0005_timeclock.sql   punches, breaks, pay policy, timesheets
 *   approvals  domain/approvals*.c   0006_approvals.sql   the request workflow, time off, balances
 * Every function runs on the store thread inside the calling handler's SAVEPOINT (tx->job is the
 * request being served); a negative return is a status, and when it is one the client should
 * see (CONFLICT, FAILED_PRECONDITION, NOT_FOUND, ...) the callee has already set job->resp's
 * message with cl_job_fail, so the caller just returns it. */
#ifndef CL_STAFF_INT_H
#define CL_STAFF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "store.h"

/* ---- staff (domain/staff*.c) --------------------------------------------------------------- */

/* The staff member a user account belongs to: sets *staff_id and returns 0, or CL_ENOTFOUND
 * (never for a user made through `user add`, which always makes a staff member too). */
int cl_staff_of_user(cl_tx_t *tx, int64_t user_id, int64_t *staff_id);

/* The user account of a staff member (0 when they have none): sets *user_id; CL_ENOTFOUND when
 * there is no such staff member. */
int cl_staff_user(cl_tx_t *tx, int64_t staff_id, int64_t *user_id);

/* A staff member's direct supervisor (a staff id, 0 for none), and whether they are still
 * active (not left). CL_ENOTFOUND when there is no such staff member (job->resp not set). */
int cl_staff_brief(cl_tx_t *tx, int64_t staff_id, int64_t *supervisor_id, int *active,
                   char *name, size_t namelen);

/* How the logged-in user (tx->job->who) stands to staff member `staff_id`. */
typedef enum {
    CL_STAFF_NONE = 0,   /* someone else's: not to be seen */
    CL_STAFF_SELF,       /* their own record */
    CL_STAFF_SUPERVISOR, /* a report, directly or further down the line */
    CL_STAFF_MANAGER,    /* the user holds the manager role: everyone */
} cl_staff_access_t;
cl_staff_access_t cl_staff_access(cl_tx_t *tx, int64_t staff_id);

/* Whether the logged-in user may decide a request of `requester`: the requester's direct
 * supervisor or any manager, and never the requester themself. Returns 0, or CL_EPERM with the
 * reason set on the job ("you cannot approve your own request"). */
int cl_staff_may_decide(cl_tx_t *tx, int64_t requester);

/* ---- shifts (domain/shifts*.c) -------------------------------------------------------------- */

/* A request of the approvals workflow as the kinds' hooks see it (approvals loads it). */
typedef enum {
    CL_REQ_TIMEOFF = 1,
    CL_REQ_SWAP = 2,
    CL_REQ_OVERTIME = 3,
    CL_REQ_CORRECTION = 4,
    CL_REQ_EXPENSE = 5,
} cl_req_kind_t;

typedef struct {
    int64_t id;             /* 0 before cl_request_submit */
    cl_req_kind_t kind;
    int64_t requester;      /* staff id: who asks (and, but for a swap, whom it is about) */
    int64_t other;          /* swap: the other party's staff id; else 0 */
    int64_t ref_id;         /* swap: the requester's shift; overtime: the shift; correction: the
                               punch corrected (0: a missing punch to add) */
    int64_t ref2_id;        /* swap: the other party's shift */
    int64_t starts_at;      /* time off: first instant off; correction: the corrected clock-in;
                               overtime: the shift's start */
    int64_t ends_at;        /* time off: the instant back; correction: the corrected clock-out
                               (0: still open); overtime: the shift's end */
    int64_t amount;         /* expense: cents; time off: minutes counted against the balance;
                               overtime: minutes over the limit */
    char category[32];      /* time off: vacation, sick, personal, unpaid; expense: category;
                               correction: in_out or break */
    char details[1024];     /* the requester's words: reason, receipt note */
} cl_request_t;

/* Approving time off: the staff member's shifts overlapping [starts_at, ends_at) are taken off
 * (kept, marked with the request), and when the staff member is a provider (their user is
 * linked to one) a schedule block of kind "vacation" covers the period. When a desk would fall
 * below its minimum on a shift's day, fails with CONFLICT naming the desk, the day and the
 * count, unless `override` (the caller has checked the manager's right to). */
int cl_shift_timeoff_approve(cl_tx_t *tx, const cl_request_t *r, int override);
/* Cancelling approved time off `r`: the shifts it took come back in the state they had (drafts
 * for shifts taken before migration 0009), and its provider blocks are cancelled. */
int cl_shift_timeoff_cancel(cl_tx_t *tx, const cl_request_t *r);

/* A swap proposal was accepted: checks the two shifts still belong to the two parties, are
 * published and not started (FAILED_PRECONDITION otherwise). Called again at approval. */
int cl_shift_swap_check(cl_tx_t *tx, const cl_request_t *r);
/* Approving a swap: the two shifts change hands (each side's conflicts checked again). */
int cl_shift_swap_approve(cl_tx_t *tx, const cl_request_t *r);
/* A swap request denied (`denied`) or withdrawn: the swap is settled as declined or withdrawn,
 * and both parties are told; the shifts stay with their holders. */
int cl_shift_swap_closed(cl_tx_t *tx, const cl_request_t *r, int denied);
/* Deciding an overtime request: approved, the shift stands as approved overtime; denied or
 * withdrawn, the shift is cancelled (kept, marked). */
int cl_shift_overtime_decided(cl_tx_t *tx, const cl_request_t *r, int approved);

/* ---- timeclock (domain/timeclock*.c) ------------------------------------------------------- */

/* The clinic's pay policy (one row, set by a manager). */
typedef enum { CL_PAY_WEEKLY = 1, CL_PAY_BIWEEKLY = 2, CL_PAY_SEMIMONTHLY = 3 } cl_pay_period_kind_t;
typedef struct {
    cl_pay_period_kind_t period;
    cl_date_t anchor;             /* weekly and biweekly: a first day of a period */
    int daily_overtime_minutes;   /* worked minutes in a day beyond this are overtime; 0: none */
    int weekly_overtime_minutes;  /* in a week (from the anchor's weekday); 0: none */
    int break_after_minutes;      /* a shift longer than this owes an unpaid break; 0: none */
    int break_minutes;            /* its length, deducted when no unpaid break was punched */
} cl_pay_policy_t;
int cl_pay_policy(cl_tx_t *tx, cl_pay_policy_t *out);
/* The pay period holding `day`: its first and last dates. */
void cl_pay_period_of(const cl_pay_policy_t *p, cl_date_t day, cl_date_t *first, cl_date_t *last);

/* Approving a timesheet correction: the corrected punch is written as a new version; the
 * original stays in the punch's history. */
int cl_clock_correction_approve(cl_tx_t *tx, const cl_request_t *r);

/* ---- approvals (domain/approvals*.c) ------------------------------------------------------- */

/* Files a request in state pending (the kinds' own handlers call it: shift swaps once accepted,
 * overtime flagged on a shift, timesheet corrections). Validates what is generic (the
 * requester is active, details length), flags it (over the balance for time off), appends its
 * audit row and its changes (the approvers' inbox, live), sets r->id. */
int cl_request_submit(cl_tx_t *tx, cl_request_t *r);

/* Approved time off of `staff_id` overlapping [from, to): returns 1 and sets *request_id,
 * *starts_at and *ends_at of the first one, 0 when there is none, or a negative status. */
int cl_timeoff_overlapping(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to,
                           int64_t *request_id, int64_t *starts_at, int64_t *ends_at);

/* Withdraws the pending requests of `kind` that refer to `ref_id` (a shift cancelled by the
 * manager takes its overtime request with it). Returns how many, or a negative status. */
int cl_request_withdraw_for(cl_tx_t *tx, cl_req_kind_t kind, int64_t ref_id, const char *why);

#endif
