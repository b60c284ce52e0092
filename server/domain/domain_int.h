/* Small helpers shared by the domain handlers' files (server/domain/): text checks on what a
 * client sent, and growing an array of reply parts in a job's arena. Tests may include it. */
#ifndef CL_DOMAIN_INT_H
#define CL_DOMAIN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "admin.pb-c.h"
#include "mem.h"

/* admin.c: the static statement an audit query runs for the filters of `req` (each variant has
 * an index behind it); exported so that a test can check its EXPLAIN QUERY PLAN. */
const char *cl_admin_audit_sql(const Clinic__AuditQueryRequest *req);

/* domain/users.c: the role names of `roles` as an arena array of static strings; sets *n. For
 * every reply that carries roles (User, LoginReply, WhoAmIReply). */
char **cl_role_names(cl_arena_t *a, uint32_t roles, size_t *n);

/* Whether the `n` bytes at `s` are well-formed UTF-8: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence at the end. */
static inline int cl_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len;
        unsigned min, cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < len)
            return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += len;
    }
    return 1;
}

/* Whether the `n` bytes at `s` hold a C0 control character or DEL (names must be one line). */
static inline int cl_text_has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Makes room for one more element in `arr`, an array of `n` elements with room for `cap`, by
 * moving it to a twice larger block of arena `a` when full (the old block stays in the arena
 * until the job's arena is freed; replies are small, so the waste is bounded by the copy). */
#define CL_ARENA_RESERVE(a, arr, n, cap)                                                           \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t cap_ = (cap) ? 2 * (cap) : 16;                                                  \
            void *grown_ = cl_arena_alloc((a), cap_ * sizeof(*(arr)));                             \
            if ((n) > 0)                                                                           \
                memcpy(grown_, (arr), (n) * sizeof(*(arr)));                                       \
            (arr) = grown_;                                                                        \
            (cap) = cap_;                                                                          \
        }                                                                                          \
    } while (0)

#endif
