/* The staff part's internals, shared by its two files and its tests: staff_db.c holds the
 * statements, the row readers and the functions of staff_int.h; staff.c holds the checks and the
 * handlers. */
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

#endif
