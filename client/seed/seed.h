/* clinic-seed's shared pieces, for the files that seed each part of the demo clinic. */
#ifndef CLINIC_SEED_H
#define CLINIC_SEED_H

#include "clinic_client.h"

/* The connection, logged in as the seeding user. */
extern cl_sync_t *conn;

/* What the parts' seeding needs to know: where the server is (to log in as other demo users, who
 * all have the demo password) and the clinic's today. */
typedef struct {
    const cl_client_config_t *cfg;
    const char *password;
    char today[16];  /* YYYY-MM-DD */
    int weekday;     /* 0 Sunday .. 6 Saturday */
} seed_ctx_t;

/* Prints "clinic-seed: <message>", closes the connection and exits 1. */
void seed_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends the request of kind `kind` whose body is `body` (a Clinic__<Kind>Request, borrowed) and
 * returns the reply, whose result is of the same kind, (Clinic__Response__ResultCase)kind; it
 * lives until the next request. A request the server refused returns NULL with *status set when
 * `allow_fail`; any other failure, or a reply of another kind, dies. `status` may be NULL. */
const Clinic__Response *seed_send(Clinic__Request__BodyCase kind, const void *body, int allow_fail,
                                  int *status);

/* Sends the request of kind `kind` whose body is `body` (borrowed) logged in as demo user
 * `username` (the demo password) on a connection of its own, closed after; dies on any failure,
 * as seed_send. */
void seed_send_as(const seed_ctx_t *ctx, const char *username, Clinic__Request__BodyCase kind,
                  const void *body);

/* `date` plus `days` as YYYY-MM-DD into `out` (11 bytes). */
void seed_date_add(const char *date, int days, char out[11]);

/* seed_staff.c: fifteen staff members with job titles, supervisors and credentials (one
 * expiring within the month). Returns the staff ids by username or name through
 * seed_staff_id(). */
void seed_staff(const seed_ctx_t *ctx);
/* The staff id of a seeded staff member, by username (or full name for those without one). */
uint64_t seed_staff_id(const char *who);

/* Has the manager mark the seeding user's own staff record as left (every user is a staff
 * member; this one is not a person). Call last. */
void seed_staff_retire_seeder(const seed_ctx_t *ctx);

/* seed_shifts.c: desks and a published week of shifts from a weekly template. */
void seed_shifts(const seed_ctx_t *ctx);

/* seed_approvals.c: a few pending requests, filed by the staff members themselves. */
void seed_approvals(const seed_ctx_t *ctx);

#endif
