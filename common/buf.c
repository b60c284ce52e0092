/* The growable byte buffer. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

uint8_t *cl_buf_reserve(cl_buf_t *b, size_t n)
{
    if (b->cap - b->len >= n)
        return b->data + b->len;
    /* Slide the unconsumed bytes to the front before growing. */
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->cap - b->len >= n)
            return b->data + b->len;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n)
        cap *= 2;
    b->data = cl_realloc(b->data, cap);
    b->cap = cap;
    return b->data + b->len;
}

void cl_buf_commit(cl_buf_t *b, size_t n)
{
    b->len += n;
}

void cl_buf_append(cl_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(cl_buf_reserve(b, n), p, n);
    b->len += n;
}

void cl_buf_consume(cl_buf_t *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void cl_buf_reset(cl_buf_t *b)
{
    b->off = b->len = 0;
}

void cl_buf_free(cl_buf_t *b)
{
    free(b->data);
    *b = (cl_buf_t){0};
}
