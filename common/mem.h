/* Allocation that never returns NULL (an internal allocation failure aborts with a message, as
 * Redis's zmalloc does: no untested NULL paths), and a per-request arena. */
#ifndef CL_MEM_H
#define CL_MEM_H

#include <stddef.h>

void *cl_malloc(size_t n);
void *cl_calloc(size_t count, size_t size);
void *cl_realloc(void *p, size_t n);
char *cl_strdup(const char *s);
char *cl_strndup(const char *s, size_t n);

/* An arena: many small allocations freed at once. Used for the strings and sub-messages of one
 * response, released after the response is packed. Zero-initialise (`cl_arena_t a = {0};`). */
typedef struct cl_arena_block_s cl_arena_block_t;
typedef struct {
    cl_arena_block_t *head; /* owned; newest block first */
} cl_arena_t;

/* Returns `n` zeroed bytes that live until cl_arena_free(a). */
void *cl_arena_alloc(cl_arena_t *a, size_t n);
/* Copies `s` (NULL gives "") into the arena. */
char *cl_arena_strdup(cl_arena_t *a, const char *s);
char *cl_arena_strndup(cl_arena_t *a, const char *s, size_t n);
/* Frees every allocation of the arena; the arena may be used again. */
void cl_arena_free(cl_arena_t *a);

#define CL_ARENA_NEW(a, type) ((type *)cl_arena_alloc((a), sizeof(type)))

#define cl_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define CL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
