/* libclinic's internals shared by its files and its unit tests: the table of calls awaiting a
 * reply, keyed by envelope id. */
#ifndef CLINIC_CLIENT_INT_H
#define CLINIC_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "clinic_client.h"

typedef struct {
    uint64_t id; /* 0: a free slot */
    cl_client_reply_fn cb;
    void *arg; /* the caller's */
} cl_pending_t;

/* Open addressing with linear probing and backward-shift deletion. Ids are handed out in
 * increasing order, so the id itself is a hash without collisions until the table wraps. */
typedef struct {
    cl_pending_t *slots; /* owned; `cap` of them, a power of two */
    size_t cap;
    size_t count;
} cl_pending_map_t;

/* Adds `id` (> 0, not present). Grows the table as needed. */
void cl_pending_put(cl_pending_map_t *m, uint64_t id, cl_client_reply_fn cb, void *arg);
/* Removes `id` and copies its entry to *out. Returns 1, or 0 when it is not there. */
int cl_pending_take(cl_pending_map_t *m, uint64_t id, cl_pending_t *out);
/* Releases the table's memory; the map is empty and usable again. */
void cl_pending_free(cl_pending_map_t *m);

#endif
