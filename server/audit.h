/* The audit log: append-only, one row per request that reads or writes patient data, money or
 * personnel data (and every login, user change and message), written in the request's own
 * transaction. Each row's hash is SHA-256 over the previous row's hash and this row's fields, so
 * that `clinicd audit verify` finds any edit or removal. */
#ifndef CL_AUDIT_H
#define CL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "identity.h"
#include "mem.h"

/* Appends one row for `who` (username and workstation; either may be empty, e.g. a failed login
 * by an unknown name records the name tried) at time `now`. Reads the chain's head inside the
 * current transaction, so other processes (the admin commands) may append too. Returns 0 or a
 * negative status; on failure the caller's transaction must roll back. */
int cl_audit_append(cl_db_t *db, int64_t now, const cl_identity_t *who, const char *action,
                    const char *entity, uint64_t entity_id);

/* The rows a job on a reader's connection (cl_db_set_audit_defer) appended, kept in `arena`
 * for the writer, who appends them with their own time and identity before the job's reply may
 * leave: a read's audit row is as durable as a write's. */
typedef struct cl_audit_row_s {
    int64_t time;
    const cl_identity_t *who; /* borrowed: the job's */
    const char *action, *entity;
    uint64_t entity_id;
    struct cl_audit_row_s *next;
} cl_audit_row_t;

typedef struct {
    cl_arena_t *arena;
    cl_audit_row_t *head, *tail;
} cl_audit_deferred_t;

/* Appends the deferred rows of `d`, in order, on the writer's `db`. Returns 0 or a status. */
int cl_audit_append_deferred(cl_db_t *db, const cl_audit_deferred_t *d);

/* Walks the whole chain. Returns 0 when intact and sets *rows to the number of rows; otherwise
 * CL_ECORRUPT and sets *bad_seq to the first row whose hash or sequence does not follow, with a
 * reason in `why`. */
int cl_audit_verify(cl_db_t *db, uint64_t *rows, uint64_t *bad_seq, char *why, size_t whylen);

#endif
