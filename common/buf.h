/* A growable byte buffer with a read position: bytes are appended at the end and consumed from
 * the front (frame input, pending TLS output). */
#ifndef CL_BUF_H
#define CL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data; /* owned */
    size_t off;    /* start of unconsumed bytes */
    size_t len;    /* end of valid bytes */
    size_t cap;
} cl_buf_t;

/* Appends `n` bytes. */
void cl_buf_append(cl_buf_t *b, const void *p, size_t n);
/* Makes room for `n` more bytes and returns where they go; cl_buf_commit(b, k) then adds k <= n. */
uint8_t *cl_buf_reserve(cl_buf_t *b, size_t n);
void cl_buf_commit(cl_buf_t *b, size_t n);
/* Unconsumed bytes. */
static inline size_t cl_buf_size(const cl_buf_t *b) { return b->len - b->off; }
static inline uint8_t *cl_buf_head(const cl_buf_t *b) { return b->data + b->off; }
/* Drops `n` bytes from the front. */
void cl_buf_consume(cl_buf_t *b, size_t n);
/* Empties the buffer, keeping its memory. */
void cl_buf_reset(cl_buf_t *b);
/* Releases the memory; the buffer may be used again. */
void cl_buf_free(cl_buf_t *b);

#endif
