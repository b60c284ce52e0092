/* The live-data topics a client may subscribe to, in one table: the name on the wire, the
 * permission needed, and whether each change is only for one user (an inbox). Domains emit
 * changes with these names (cl_tx_change); the loop fans them out; the subscribe handler replays
 * them. New domains append rows. */
#ifndef CL_TOPICS_H
#define CL_TOPICS_H

#include <stdint.h>

#include "auth.h"

/* XX(id, wire name, permission, per-user) */
#define CL_TOPIC_MAP(XX)                                                                           \
    XX(INBOX, "inbox", CL_PERM_LOGGED_IN, 1)                                                       \
    XX(USERS, "users", CL_PERM_USER_ADMIN, 0)                                                      \
    XX(PATIENTS, "patients", CL_PERM_PATIENT_READ, 0)                                              \
    XX(SCHEDULE, "schedule", CL_PERM_SCHEDULE_READ, 0)                                             \
    XX(BOARD, "board", CL_PERM_SCHEDULE_READ, 0)                                                   \
    XX(WAITLIST, "waitlist", CL_PERM_SCHEDULE_WRITE, 0)                                            \
    XX(STAFF, "staff", CL_PERM_STAFF_ADMIN, 0)                                                     \
    XX(SHIFTS, "shifts", CL_PERM_LOGGED_IN, 0)                                                     \
    XX(TIMECLOCK, "timeclock", CL_PERM_PAYROLL, 0)                                                 \
    XX(APPROVALS, "approvals", CL_PERM_APPROVE_ALL, 0)

typedef enum {
#define CL_TOPIC_ENUM(id, name, perm, per_user) CL_TOPIC_##id,
    CL_TOPIC_MAP(CL_TOPIC_ENUM)
#undef CL_TOPIC_ENUM
    CL_TOPIC__COUNT
} cl_topic_t;

#define CL_TOPIC_INBOX_NAME "inbox"
#define CL_TOPIC_USERS_NAME "users"
#define CL_TOPIC_PATIENTS_NAME "patients"
#define CL_TOPIC_SCHEDULE_NAME "schedule"
#define CL_TOPIC_BOARD_NAME "board"
#define CL_TOPIC_WAITLIST_NAME "waitlist"
/* Issue 5. What one user must hear of their own (a decision on their request, a shift published
 * or swapped, a credential about to expire) goes to their "inbox" with scope_user; the
 * topics below carry everything to those who may see everything. */
#define CL_TOPIC_STAFF_NAME "staff"         /* staff members and credentials (managers) */
#define CL_TOPIC_SHIFTS_NAME "shifts"       /* published shifts, for everyone */
#define CL_TOPIC_TIMECLOCK_NAME "timeclock" /* punches, for those who keep payroll */
#define CL_TOPIC_APPROVALS_NAME "approvals" /* every request, for the managers' inbox */

/* The topic named `name`, or -1. */
int cl_topic_find(const char *name);
/* The topic's wire name (static storage). */
const char *cl_topic_name(cl_topic_t t);
/* The permission a subscriber needs. */
cl_perm_t cl_topic_perm(cl_topic_t t);
/* Whether its changes carry a scope_user and go only to that user. */
int cl_topic_per_user(cl_topic_t t);

/* Replay limit: a subscriber more than this many changes behind is told to resync. */
enum { CL_REPLAY_MAX = 1000 };

#endif
