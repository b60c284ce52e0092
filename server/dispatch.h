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

/* What becomes of one frame from a client. */
typedef enum {
    CL_ADMIT_OK,    /* a request this connection may make: route it */
    CL_ADMIT_REPLY, /* answer the envelope's id with *status and the message, keep the connection */
    CL_ADMIT_CLOSE, /* a protocol error: answer with id 0 and the message, then close */
} cl_admit_t;

/* Decodes a frame's payload and decides, from the connection's state alone (whether Hello was
 * said, who is logged in), whether it goes on: the checks every request passes before any
 * handler, in one pure function that the fuzzer drives. On CL_ADMIT_OK and CL_ADMIT_REPLY,
 * *env is the unpacked envelope, which the caller frees (clinic__envelope__free_unpacked); on
 * CL_ADMIT_CLOSE *env is NULL. *route is set when the request kind is known. */
cl_admit_t cl_dispatch_admit(const uint8_t *payload, size_t len, int hello,
                             const cl_identity_t *who, Clinic__Envelope **env,
                             const cl_route_t **route, int *status, char *msg, size_t msglen);

#endif
