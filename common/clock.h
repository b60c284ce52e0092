/* Time and the small crypto helpers both sides need: random bytes, SHA-256, hex. */
#ifndef CL_CLOCK_H
#define CL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Unix seconds, UTC. */
int64_t cl_now(void);
/* A monotonic clock in nanoseconds, for latencies and timeouts. */
uint64_t cl_mono_ns(void);

/* Fills `out` with `n` bytes from the OS's CSPRNG (OpenSSL RAND_bytes). Aborts if it cannot. */
void cl_random(void *out, size_t n);
/* Writes the SHA-256 of `data` to `out`. */
void cl_sha256(const void *data, size_t n, uint8_t out[32]);
/* Writes 2n lowercase hex digits and a NUL to `out` (2n + 1 bytes). */
void cl_hex(const uint8_t *in, size_t n, char *out);
/* Decodes 2n hex digits into n bytes; returns 0, or CL_EINVAL if `hex` is not exactly that. */
int cl_unhex(const char *hex, uint8_t *out, size_t n);

#endif
