/* Roles, permissions and passwords. Passwords are hashed with scrypt (OpenSSL EVP_PBE_scrypt) with
 * a per-user salt; the parameters are stored with the hash, so they can be raised later without
 * breaking old hashes. The role -> permission table here is, with the dispatch table, the one
 * place that says who may do what. */
#ifndef CL_AUTH_H
#define CL_AUTH_H

#include <stddef.h>
#include <stdint.h>

/* XX(name, bit) — the roles of DESIGN.md; bits are stored in users.roles and never renumbered. */
#define CL_ROLE_MAP(XX)                                                                            \
    XX(admin, 0)                                                                                   \
    XX(manager, 1)                                                                                 \
    XX(front_desk, 2)                                                                              \
    XX(scheduler, 3)                                                                               \
    XX(biller, 4)                                                                                  \
    XX(clinician, 5)                                                                               \
    XX(staff, 6)

enum {
#define CL_ROLE_BIT(name, bit) CL_ROLE_##name = 1u << (bit),
    CL_ROLE_MAP(CL_ROLE_BIT)
#undef CL_ROLE_BIT
    CL_ROLE_ALL = (1u << 7) - 1,
};

/* Permissions a request kind can require. */
typedef enum {
    CL_PERM_NONE,          /* before login: hello, ping, login, resume */
    CL_PERM_LOGGED_IN,     /* any logged-in user: whoami, logout, passwd, messages, subscribe */
    CL_PERM_USER_ADMIN,    /* add, list, change roles of, disable users */
    CL_PERM_AUDIT_READ,    /* query the audit log */
    CL_PERM_SERVER_STATUS, /* the server's health */
    /* The front desk (issue 4). */
    CL_PERM_PATIENT_READ,   /* demographics and insurance: search, show */
    CL_PERM_PATIENT_WRITE,  /* register and edit patients */
    CL_PERM_PATIENT_MERGE,  /* merge two records, and undo a merge */
    CL_PERM_SCHEDULE_READ,  /* the schedule, the board, open slots */
    CL_PERM_SCHEDULE_WRITE, /* book, move, cancel, no-show, waitlist */
    CL_PERM_SCHEDULE_SETUP, /* providers, rooms, appointment types, hours, holidays, blocks */
    CL_PERM_OVERBOOK,       /* book over a conflict on purpose */
    CL_PERM_FLOW_FRONT,     /* check in, check out */
    CL_PERM_FLOW_CLINICAL,  /* room, vitals, ready, with provider */
    /* Staff and approvals (issue 5). What a user sees of other staff members (self, reports,
     * everyone) is decided by the handlers with cl_staff_access (domain/staff_int.h). */
    CL_PERM_STAFF_ADMIN,    /* add, edit and mark staff members as left; their credentials */
    CL_PERM_SHIFT_SETUP,    /* desks, shifts, weekly templates, publishing a week */
    CL_PERM_APPROVE_ALL,    /* see and decide every request, not only one's reports' */
    CL_PERM_STAFF_OVERRIDE, /* approve time off that leaves a desk below its minimum */
    CL_PERM_PAYROLL,        /* pay policy, accruals, every timesheet and its export */
    CL_PERM__COUNT
} cl_perm_t;

/* Whether a user with `roles` holds `perm`. */
int cl_auth_allowed(uint32_t roles, cl_perm_t perm);
/* The permission's name ("user_admin"). */
const char *cl_perm_name(cl_perm_t perm);

/* The bit of role `name`, or 0 if there is no such role. */
uint32_t cl_role_from_name(const char *name);
/* The name of the single role `bit`, or NULL. */
const char *cl_role_name(uint32_t bit);
/* Writes the role names of `roles`, comma-separated, into `out`. */
void cl_roles_format(uint32_t roles, char *out, size_t outlen);
/* Parses a comma-separated list of role names. Returns 0 and sets *roles, or CL_EINVAL. */
int cl_roles_parse(const char *list, uint32_t *roles);

/* The longest stored hash, with its NUL. */
enum { CL_PASSWORD_HASH_MAX = 160, CL_PASSWORD_MIN = 10, CL_PASSWORD_MAX = 256 };

/* scrypt's cost: N = 2^log2_n, r, p. The default (N=2^15, r=8, p=1: 32 MiB, ~0.1 s) is set by
 * clinicd.conf's scrypt_log2_n; tests lower it. */
void cl_auth_set_scrypt_cost(int log2_n);
int cl_auth_scrypt_cost(void);

/* Hashes `password` with a fresh salt into `out` as "scrypt$<log2N>$<r>$<p>$<salt hex>$<hash hex>".
 * Slow by design: call it on the thread pool, never on the loop. Returns 0 or CL_EINTERNAL. */
int cl_auth_hash_password(const char *password, char out[CL_PASSWORD_HASH_MAX]);

/* Whether `password` matches `stored` (1 or 0), in constant time over the hash. An empty or
 * malformed `stored` still costs one hash (so that a missing user takes as long) and gives 0. */
int cl_auth_verify_password(const char *password, const char *stored);

/* A new session token: 32 random bytes as 64 hex digits into `token`, and the hex SHA-256 of it,
 * which is what the database keeps, into `token_hash`. */
void cl_auth_new_token(char token[65], char token_hash[65]);
/* The hex SHA-256 of a presented token. */
void cl_auth_token_hash(const char *token, char token_hash[65]);

#endif
