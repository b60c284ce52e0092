/* The frame codec (DESIGN.md, "Framing"): a 4-byte big-endian length N, then N bytes of one
 * serialized clinic.Envelope, with 1 <= N <= max_frame. */
#ifndef CL_FRAME_H
#define CL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "clinic.pb-c.h"

#define CL_FRAME_HEADER 4
#define CL_FRAME_MAX_DEFAULT (1u << 20)

/* Looks for one whole frame at the front of `in` (n bytes). Returns 1 and sets *payload and
 * *len when one is there, 0 when more bytes are needed, CL_EINVAL when the length is 0 or over
 * `max_frame` (the connection cannot be resynchronised after that). *payload points into `in`. */
int cl_frame_next(const uint8_t *in, size_t n, size_t max_frame, const uint8_t **payload,
                  size_t *len);

/* Appends the frame of `env` (header and packed envelope) to `out`. Returns the payload size. */
size_t cl_frame_pack(cl_buf_t *out, const Clinic__Envelope *env);

/* Writes the 4-byte header for a payload of `len` bytes. */
void cl_frame_header(uint8_t hdr[CL_FRAME_HEADER], uint32_t len);

#endif
