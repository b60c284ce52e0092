/* The security policy handlers need (idle logoff, lockout), set once by `clinicd serve` before
 * any thread starts and read-only afterwards. Tests set it directly. */
#ifndef CL_POLICY_H
#define CL_POLICY_H

#include <stdint.h>

typedef struct {
    int64_t idle_logoff_s;    /* a session unused this long has ended */
    uint32_t lockout_failures; /* failed logins in a row that lock an account */
    int64_t lockout_s;        /* how long the lock lasts */
} cl_policy_t;

extern cl_policy_t cl_policy;

#endif
