/* The staff part's internals, shared by its files and its tests: staff_db.c holds the
 * statements, the row readers and the functions of staff_int.h; staff.c the checks, the records
 * and the staff members' handlers; staff_credentials.c the credentials, the dashboard and the
 * expiry warning. */
#ifndef CL_STAFF_DB_H
#define CL_STAFF_DB_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "store.h"

enum {
    CL_STAFF_NAME_MAX = 128,
    CL_STAFF_TITLE_MAX = 128,
    CL_STAFF_EMAIL_MAX = 254,
    CL_STAFF_REASON_MAX = 500,
    CL_CRED_NUMBER_MAX = 64,
    CL_STAFF_CHAIN_MAX = 32, /* supervisors above anyone at most: a deeper chain is refused */
    CL_CRED_WARN_DAYS = 30,  /* the warning window before a credential expires */
};

typedef enum {
    CL_STQ_OF_USER,
    CL_STQ_BRIEF,
    CL_STQ_BY_ID,
    CL_STQ_LIST,
    CL_STQ_INSERT,
    CL_STQ_UPDATE,
    CL_STQ_LEAVE,
    CL_STQ_REASSIGN,
    CL_STQ_USER_BY_NAME,
    CL_STQ_CRED_BY_ID,
    CL_STQ_CRED_OF_STAFF,
    CL_STQ_CRED_ALL,
    CL_STQ_CRED_INSERT,
    CL_STQ_CRED_RETIRE,
    CL_STQ_CRED_TO_WARN,
    CL_STQ_CRED_WARNED,
    CL_STQ__COUNT
} cl_staff_q_t;

/* The cached statement `q`. */
sqlite3_stmt *cl_staff_stmt(cl_tx_t *tx, cl_staff_q_t q);
/* Its SQL text, for tests of query plans. */
const char *cl_staff_sql(cl_staff_q_t q);

/* Whether staff member `upper` is above `staff_id` in its supervisor chain (not itself): 1, 0,
 * or a database status. */
int cl_staff_is_above(cl_tx_t *tx, int64_t upper, int64_t staff_id);

/* Reads the STAFF_COLUMNS of the current row (CL_STQ_BY_ID, CL_STQ_LIST) into the arena. */
Clinic__StaffMember *cl_staff_from_row(cl_arena_t *a, sqlite3_stmt *st);
/* Reads the CRED_COLUMNS of the current row (CL_STQ_CRED_*) into the arena, with its days left,
 * expiring and expired as of `today`. */
Clinic__StaffCredential *cl_cred_from_row(cl_arena_t *a, sqlite3_stmt *st, cl_date_t today);
/* Sets days_left, expiring (within CL_CRED_WARN_DAYS) and expired from expires_on. */
void cl_cred_flags(Clinic__StaffCredential *c, cl_date_t today);
/* Staff member / credential `id` into *out (arena): 0, CL_ENOTFOUND or a database status. */
int cl_staff_db_get(cl_tx_t *tx, int64_t id, Clinic__StaffMember **out);
int cl_cred_db_get(cl_tx_t *tx, int64_t id, Clinic__StaffCredential **out);

/* ---- staff.c: checks and records shared with staff_credentials.c ---------------------------- */

/* Fails the job with INVALID_ARGUMENT on `field`, the message formatted. Returns CL_EINVAL. */
int cl_staff_invalid(cl_job_t *job, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One line of UTF-8 text of `min` to `max` bytes (schedule.c's cl_sched_check_text style). */
int cl_staff_check_text(cl_job_t *job, const char *field, const char *s, size_t min, size_t max);
/* A date as YYYY-MM-DD; "" is allowed unless `required` (then *has is 0). */
int cl_staff_check_date(cl_job_t *job, const char *field, const char *s, int required,
                        cl_date_t *out, int *has);
/* Whether `s` is one of the `n` strings of `list`. */
int cl_staff_in_list(const char *s, const char *const *list, size_t n);

/* One audit row `action` on `entity` `id` and the matching "staff" change. */
int cl_staff_record(cl_tx_t *tx, const char *action, const char *entity, uint64_t id,
                    Clinic__ChangeOp op);
/* One audit row `action` on `entity` `id` (a read). */
int cl_staff_audit(cl_tx_t *tx, const char *action, const char *entity, uint64_t id);
/* A stale version: CONFLICT naming the current one (the caller has put the current record in
 * the reply). */
int cl_staff_stale(cl_job_t *job, const char *what, uint64_t id, uint64_t sent, uint64_t current);
/* Loads the staff member a request names into *out; a missing one fails the job on `field`. */
int cl_staff_load(cl_tx_t *tx, uint64_t id, const char *field, Clinic__StaffMember **out);

/* Who the caller is, for deciding what they see of many records at once. */
typedef struct {
    int manager;
    int64_t me; /* the caller's staff id; 0 without one */
} cl_staff_viewer_t;
/* Reads the caller into *v: 0 or a database status. */
int cl_staff_viewer_of(cl_tx_t *tx, cl_staff_viewer_t *v);
/* cl_staff_access for a viewer already read: 1 when `staff_id` may be seen, 0, or a status. */
int cl_staff_viewer_sees(cl_tx_t *tx, const cl_staff_viewer_t *v, int64_t staff_id);
/* Refuses a read of someone else's record: PERMISSION_DENIED, with the attempt audited. Returns
 * 0 (the refusal is the reply) or a database status. */
int cl_staff_refuse_read(cl_tx_t *tx, const char *action, const char *entity, uint64_t id);

/* ---- staff_credentials.c -------------------------------------------------------------------- */

/* Appends the credentials of `staff_id` (removed ones too when `include_removed`), by expiry, to
 * the arena array *out of *n. Returns 0 or a database status. */
int cl_cred_of_staff(cl_tx_t *tx, int64_t staff_id, int include_removed,
                     Clinic__StaffCredential ***out, size_t *n);

#endif
