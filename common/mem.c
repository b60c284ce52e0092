/* Allocation wrappers and the arena. */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "clinic: out of memory allocating %zu bytes\n", n);
    abort();
}

void *cl_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

void *cl_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *cl_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory(n);
    return q;
}

char *cl_strdup(const char *s)
{
    return cl_strndup(s, strlen(s));
}

char *cl_strndup(const char *s, size_t n)
{
    char *d = cl_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

struct cl_arena_block_s {
    cl_arena_block_t *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK = 4096 };

void *cl_arena_alloc(cl_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    cl_arena_block_t *b = a->head;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = cl_malloc(sizeof(*b) + size);
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *cl_arena_strndup(cl_arena_t *a, const char *s, size_t n)
{
    char *d = cl_arena_alloc(a, n + 1);
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cl_arena_strdup(cl_arena_t *a, const char *s)
{
    if (s == NULL)
        s = "";
    return cl_arena_strndup(a, s, strlen(s));
}

void cl_arena_free(cl_arena_t *a)
{
    cl_arena_block_t *b = a->head;
    while (b) {
        cl_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
