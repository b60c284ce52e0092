/* The dispatch table: one row per request kind, the one place that says which permission each
 * kind needs, whether it writes, and which handler serves it. */
#ifndef CL_DISPATCH_H
#define CL_DISPATCH_H

#include <stddef.h>

#include "auth.h"
#include "clinic.pb-c.h"
#include "identity.h"
#include "store.h"

typedef struct {
    Clinic__Request__BodyCase kind;
    const char *name;          /* the request message's name, for errors and logs */
    cl_perm_t perm;
    cl_handler_fn handler;     /* NULL: answered on the loop thread (hello, ping, unsubscribe) */
    int write;                 /* may write: its batch begins IMMEDIATE */
    int patient_data;          /* reads or writes patient data (its handler audits it) */
} cl_route_t;

/* The table, and its number of rows. */
const cl_route_t *cl_dispatch_routes(size_t *n);

/* The row for a request kind, or NULL when the kind is unknown. */
const cl_route_t *cl_dispatch_route(Clinic__Request__BodyCase kind);

/* Whether `who` may make a request of this row: 0, CL_EUNAUTH (nobody is logged in and the row
 * needs a login) or CL_EPERM (the roles lack the permission). */
int cl_dispatch_check(const cl_route_t *route, const cl_identity_t *who);

#endif
