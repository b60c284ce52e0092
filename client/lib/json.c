/* The JSON writer. */
#include "clinic_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cl_json_init(cl_json_t *j)
{
    memset(j, 0, sizeof(*j));
}

void cl_json_free(cl_json_t *j)
{
    cl_buf_free(&j->out);
    cl_json_init(j);
}

const char *cl_json_text(cl_json_t *j)
{
    /* Keep a NUL after the text without counting it. */
    uint8_t *p = cl_buf_reserve(&j->out, 1);
    *p = '\0';
    return (const char *)cl_buf_head(&j->out);
}

size_t cl_json_len(const cl_json_t *j)
{
    return cl_buf_size(&j->out);
}

void cl_json_reset(cl_json_t *j)
{
    cl_buf_reset(&j->out);
    j->depth = 0;
    j->after_key = 0;
    memset(j->count, 0, sizeof(j->count));
}

static void put(cl_json_t *j, const char *s, size_t n)
{
    cl_buf_append(&j->out, s, n);
}

static void puts_(cl_json_t *j, const char *s)
{
    put(j, s, strlen(s));
}

/* Writes the comma that separates this value from the previous one at the same depth. */
static void before_value(cl_json_t *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->count[j->depth] > 0)
        put(j, ",", 1);
    if (j->count[j->depth] < 255)
        j->count[j->depth]++;
}

static void open_container(cl_json_t *j, char ch)
{
    before_value(j);
    if (j->depth + 1 >= CL_JSON_DEPTH_MAX) {
        fprintf(stderr, "clinic: JSON nested deeper than %d\n", CL_JSON_DEPTH_MAX);
        abort();
    }
    put(j, &ch, 1);
    j->depth++;
    j->count[j->depth] = 0;
}

static void close_container(cl_json_t *j, char ch)
{
    if (j->depth == 0) {
        fprintf(stderr, "clinic: unbalanced JSON container\n");
        abort();
    }
    put(j, &ch, 1);
    j->depth--;
}

void cl_json_object_begin(cl_json_t *j)
{
    open_container(j, '{');
}

void cl_json_object_end(cl_json_t *j)
{
    close_container(j, '}');
}

void cl_json_array_begin(cl_json_t *j)
{
    open_container(j, '[');
}

void cl_json_array_end(cl_json_t *j)
{
    close_container(j, ']');
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void write_string(cl_json_t *j, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    put(j, "\"", 1);
    size_t run = 0; /* bytes at s that pass through unchanged */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t len = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
            esc = ubuf;
        } else if (c >= 0x80) {
            len = utf8_sequence(s + i, n - i);
            if (len == 0) {
                esc = "\\ufffd";
                len = 1;
            }
        }
        if (esc) {
            put(j, (const char *)s + i - run, run);
            run = 0;
            puts_(j, esc);
        } else {
            run += len;
        }
        i += len;
    }
    put(j, (const char *)s + n - run, run);
    put(j, "\"", 1);
}

void cl_json_key(cl_json_t *j, const char *key)
{
    before_value(j);
    write_string(j, key, strlen(key));
    put(j, ":", 1);
    j->after_key = 1;
}

void cl_json_string(cl_json_t *j, const char *s)
{
    if (s == NULL) {
        cl_json_null(j);
        return;
    }
    cl_json_string_n(j, s, strlen(s));
}

void cl_json_string_n(cl_json_t *j, const char *s, size_t n)
{
    before_value(j);
    write_string(j, s, n);
}

void cl_json_int(cl_json_t *j, int64_t v)
{
    char b[32];
    before_value(j);
    snprintf(b, sizeof(b), "%" PRId64, v);
    puts_(j, b);
}

void cl_json_uint(cl_json_t *j, uint64_t v)
{
    char b[32];
    before_value(j);
    snprintf(b, sizeof(b), "%" PRIu64, v);
    puts_(j, b);
}

void cl_json_double(cl_json_t *j, double v, int decimals)
{
    if (!isfinite(v)) {
        cl_json_null(j);
        return;
    }
    char b[64];
    before_value(j);
    snprintf(b, sizeof(b), "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
    puts_(j, b);
}

void cl_json_bool(cl_json_t *j, int v)
{
    before_value(j);
    puts_(j, v ? "true" : "false");
}

void cl_json_null(cl_json_t *j)
{
    before_value(j);
    puts_(j, "null");
}

void cl_json_kv_string(cl_json_t *j, const char *key, const char *s)
{
    cl_json_key(j, key);
    cl_json_string(j, s);
}

void cl_json_kv_int(cl_json_t *j, const char *key, int64_t v)
{
    cl_json_key(j, key);
    cl_json_int(j, v);
}

void cl_json_kv_uint(cl_json_t *j, const char *key, uint64_t v)
{
    cl_json_key(j, key);
    cl_json_uint(j, v);
}

void cl_json_kv_bool(cl_json_t *j, const char *key, int v)
{
    cl_json_key(j, key);
    cl_json_bool(j, v);
}
