/* Every status a clinicd function can return, in one table: its C name, its wire Code and its
 * message. Functions return 0 (CL_OK) or one of these negative values. Statuses are appended,
 * never renumbered; tests/unit/test_status.c pins the numbers. */
#ifndef CL_STATUS_H
#define CL_STATUS_H

#include "clinic.pb-c.h"

/* XX(name, number, wire code, message) */
#define CL_STATUS_MAP(XX)                                                                          \
    XX(OK, 0, OK, "ok")                                                                            \
    XX(EINVAL, -1, INVALID_ARGUMENT, "invalid argument")                                           \
    XX(EUNAUTH, -2, UNAUTHENTICATED, "not logged in")                                              \
    XX(EPERM, -3, PERMISSION_DENIED, "permission denied")                                          \
    XX(ENOTFOUND, -4, NOT_FOUND, "not found")                                                      \
    XX(ECONFLICT, -5, CONFLICT, "conflict")                                                        \
    XX(EPRECOND, -6, FAILED_PRECONDITION, "failed precondition")                                   \
    XX(EEXHAUSTED, -7, RESOURCE_EXHAUSTED, "resource exhausted")                                   \
    XX(EUNAVAIL, -8, UNAVAILABLE, "unavailable")                                                   \
    XX(EINTERNAL, -9, INTERNAL, "internal error")                                                  \
    XX(EAGAIN, -10, UNAVAILABLE, "try again")                                                      \
    XX(EEOF, -11, UNAVAILABLE, "connection closed")                                                \
    XX(ETLS, -12, UNAVAILABLE, "TLS error")                                                        \
    XX(EIO, -13, UNAVAILABLE, "I/O error")                                                         \
    XX(EFULL, -14, UNAVAILABLE, "disk full")                                                       \
    XX(EREADONLY, -15, UNAVAILABLE, "database is read-only")                                       \
    XX(ETIMEOUT, -16, UNAVAILABLE, "timed out")                                                    \
    XX(EBUSY, -17, UNAVAILABLE, "database busy")                                                   \
    XX(ECORRUPT, -18, INTERNAL, "data corrupt")                                                    \
    XX(EEXIST, -19, CONFLICT, "already exists")                                                    \
    XX(ELOCKED, -20, PERMISSION_DENIED, "account locked")                                          \
    XX(EEXPIRED, -21, UNAUTHENTICATED, "session expired")

typedef enum {
#define CL_STATUS_ENUM(name, num, code, msg) CL_##name = (num),
    CL_STATUS_MAP(CL_STATUS_ENUM)
#undef CL_STATUS_ENUM
} cl_status_t;

/* The table's name of `status` ("EINVAL"), or "UNKNOWN" for a number not in it. Static storage. */
const char *cl_status_name(int status);

/* The table's message for `status`; "unknown status" for a number not in it. Static storage. */
const char *cl_status_message(int status);

/* The wire Code that `status` is reported as; INTERNAL for a number not in the table. */
Clinic__Code cl_status_code(int status);

/* The status that stands for wire `code` on the client side (INVALID_ARGUMENT -> CL_EINVAL).
 * An unknown code gives CL_EINTERNAL. */
int cl_status_from_code(Clinic__Code code);

/* The wire Code's name ("INVALID_ARGUMENT"). Static storage. */
const char *cl_code_name(Clinic__Code code);

#endif
