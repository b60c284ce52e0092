/* clinic-seed's shared pieces, for the files that seed each part of the demo clinic. */
#ifndef CLINIC_SEED_H
#define CLINIC_SEED_H

#include "clinic_client.h"

/* The connection, logged in as the seeding user. */
extern cl_sync_t *conn;

/* Prints "clinic-seed: <message>", closes the connection and exits 1. */
void seed_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends `req`; returns the reply, or NULL with *status set when `allow_fail`; else dies. */
const Clinic__Response *seed_call(const Clinic__Request *req, int allow_fail, int *status);

#endif
