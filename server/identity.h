/* Who is making a request: the logged-in user, their roles and their workstation. The loop thread
 * keeps one per connection and copies it into every job for the store thread. */
#ifndef CL_IDENTITY_H
#define CL_IDENTITY_H

#include <stdint.h>

enum { CL_USERNAME_MAX = 32, CL_WORKSTATION_MAX = 64, CL_ADDR_MAX = 64 };

typedef struct {
    int64_t user_id;                           /* 0: nobody is logged in */
    int64_t session_id;                        /* the sessions row; 0 when not logged in */
    uint32_t roles;                            /* CL_ROLE_* bits */
    char username[CL_USERNAME_MAX + 1];
    char workstation[CL_WORKSTATION_MAX + 1];  /* certificate CN; "" in development mode */
    char address[CL_ADDR_MAX];                 /* peer ip:port */
} cl_identity_t;

#endif
