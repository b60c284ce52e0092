/* TEMPORARY while the four parts of issue 5 are built side by side: each part deletes its own
 * functions from here as it implements them in its files; this file is deleted when empty. */
#include "staff_int.h"
#include "status.h"

/* staff part */
int cl_staff_of_user(cl_tx_t *tx, int64_t user_id, int64_t *staff_id)
{
    (void)tx, (void)user_id, (void)staff_id;
    return CL_EINTERNAL;
}
int cl_staff_user(cl_tx_t *tx, int64_t staff_id, int64_t *user_id)
{
    (void)tx, (void)staff_id, (void)user_id;
    return CL_EINTERNAL;
}
int cl_staff_brief(cl_tx_t *tx, int64_t staff_id, int64_t *supervisor_id, int *active, char *name,
                   size_t namelen)
{
    (void)tx, (void)staff_id, (void)supervisor_id, (void)active, (void)name, (void)namelen;
    return CL_EINTERNAL;
}
cl_staff_access_t cl_staff_access(cl_tx_t *tx, int64_t staff_id)
{
    (void)tx, (void)staff_id;
    return CL_STAFF_NONE;
}
int cl_staff_may_decide(cl_tx_t *tx, int64_t requester)
{
    (void)tx, (void)requester;
    return CL_EPERM;
}
/* end of staff part */

/* shifts part */
int cl_shift_timeoff_approve(cl_tx_t *tx, const cl_request_t *r, int override)
{
    (void)tx, (void)r, (void)override;
    return CL_EINTERNAL;
}
int cl_shift_swap_check(cl_tx_t *tx, const cl_request_t *r)
{
    (void)tx, (void)r;
    return CL_EINTERNAL;
}
int cl_shift_swap_approve(cl_tx_t *tx, const cl_request_t *r)
{
    (void)tx, (void)r;
    return CL_EINTERNAL;
}
int cl_shift_overtime_decided(cl_tx_t *tx, const cl_request_t *r, int approved)
{
    (void)tx, (void)r, (void)approved;
    return CL_EINTERNAL;
}
/* end of shifts part */

/* timeclock part */
int cl_pay_policy(cl_tx_t *tx, cl_pay_policy_t *out)
{
    (void)tx;
    *out = (cl_pay_policy_t){.period = CL_PAY_WEEKLY};
    return CL_EINTERNAL;
}
void cl_pay_period_of(const cl_pay_policy_t *p, cl_date_t day, cl_date_t *first, cl_date_t *last)
{
    (void)p;
    *first = day;
    *last = day;
}
int cl_clock_correction_approve(cl_tx_t *tx, const cl_request_t *r)
{
    (void)tx, (void)r;
    return CL_EINTERNAL;
}
/* end of timeclock part */

/* approvals part */
int cl_request_submit(cl_tx_t *tx, cl_request_t *r)
{
    (void)tx, (void)r;
    return CL_EINTERNAL;
}
int cl_timeoff_overlapping(cl_tx_t *tx, int64_t staff_id, int64_t from, int64_t to,
                           int64_t *request_id, int64_t *starts_at, int64_t *ends_at)
{
    (void)tx, (void)staff_id, (void)from, (void)to, (void)request_id, (void)starts_at,
        (void)ends_at;
    return 0;
}
int cl_request_withdraw_for(cl_tx_t *tx, cl_req_kind_t kind, int64_t ref_id, const char *why)
{
    (void)tx, (void)kind, (void)ref_id, (void)why;
    return 0;
}
/* end of approvals part */
