/* clinic-bench's latency samples: every sample kept (a run holds at most a few million), sorted
 * once when a percentile is asked, and read by nearest rank. */
#include <stdlib.h>

#include "bench.h"
#include "mem.h"

void bench_lat_add(bench_lat_t *l, uint64_t ns)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->v = cl_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = ns;
    l->sorted = 0;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t bench_lat_pct(bench_lat_t *l, unsigned permille)
{
    if (l->n == 0)
        return 0;
    if (!l->sorted) {
        qsort(l->v, l->n, sizeof(*l->v), compare_u64);
        l->sorted = 1;
    }
    /* Nearest rank: ceil(n * p), in integers so that p99.9 of 1000 samples is the 999th. */
    size_t rank = (l->n * permille + 999) / 1000;
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->v[rank - 1];
}

void bench_lat_free(bench_lat_t *l)
{
    free(l->v);
    *l = (bench_lat_t){0};
}
