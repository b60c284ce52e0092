/* A small streaming JSON writer for the command line's --json output: objects, arrays and scalars
 * appended to a buffer, commas placed by the writer. Strings are escaped per RFC 8259 (quote,
 * backslash, control characters); valid UTF-8 passes through and each invalid byte becomes
 * U+FFFD, so the output is always valid UTF-8 JSON. */
#ifndef CLINIC_JSON_H
#define CLINIC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum { CL_JSON_DEPTH_MAX = 32 };

typedef struct {
    cl_buf_t out;                           /* owned; the text so far, NUL-terminated */
    int depth;                              /* open objects and arrays */
    unsigned char count[CL_JSON_DEPTH_MAX]; /* values written at each depth (saturating) */
    int after_key;                          /* a key was written, its value comes next */
} cl_json_t;

/* Zero-initialise, or call cl_json_init. */
void cl_json_init(cl_json_t *j);
/* Releases the buffer; the writer may be used again. */
void cl_json_free(cl_json_t *j);
/* The text written so far (NUL-terminated; valid until the next write), and its length. */
const char *cl_json_text(cl_json_t *j);
size_t cl_json_len(const cl_json_t *j);
/* Empties the text, keeping the memory. */
void cl_json_reset(cl_json_t *j);

/* Containers. Nesting deeper than CL_JSON_DEPTH_MAX is a programming error (aborts). */
void cl_json_object_begin(cl_json_t *j);
void cl_json_object_end(cl_json_t *j);
void cl_json_array_begin(cl_json_t *j);
void cl_json_array_end(cl_json_t *j);

/* An object member's key; the next value written is its value. */
void cl_json_key(cl_json_t *j, const char *key);

/* Values. A NULL string is written as null. Non-finite doubles are written as null. */
void cl_json_string(cl_json_t *j, const char *s);
void cl_json_string_n(cl_json_t *j, const char *s, size_t n);
void cl_json_int(cl_json_t *j, int64_t v);
void cl_json_uint(cl_json_t *j, uint64_t v);
void cl_json_double(cl_json_t *j, double v, int decimals);
void cl_json_bool(cl_json_t *j, int v);
void cl_json_null(cl_json_t *j);

/* Key and value in one call. */
void cl_json_kv_string(cl_json_t *j, const char *key, const char *s);
void cl_json_kv_int(cl_json_t *j, const char *key, int64_t v);
void cl_json_kv_uint(cl_json_t *j, const char *key, uint64_t v);
void cl_json_kv_bool(cl_json_t *j, const char *key, int v);

#endif
