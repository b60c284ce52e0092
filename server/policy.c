/* The security policy's defaults; `clinicd serve` overwrites them from clinicd.conf. */
#include "policy.h"

cl_policy_t cl_policy = {
    .idle_logoff_s = 15 * 60,
    .lockout_failures = 5,
    .lockout_s = 15 * 60,
};
