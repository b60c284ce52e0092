/* Folding names for matching (fold.h): a table of the Latin-1 and Latin Extended-A letters to
 * their unaccented ASCII, case rules for Greek and Cyrillic, and the token splitter the search
 * keys and the duplicate check share, so that a name is found exactly as it was indexed. */
#include "fold.h"

#include <stdint.h>
#include <string.h>

/* U+00C0..U+017F: what each folds to, sixteen code points a row; NULL separates tokens (× and
 * ÷). */
/* clang-format off */
static const char *const latin[0x180 - 0xc0] = {
    /* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
    /* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    /* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    /* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    /* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    /* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    /* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};
/* clang-format on */

/* Decodes the code point at *p (well-formed UTF-8, checked by the caller) and advances *p. */
static uint32_t next_code_point(const unsigned char **p, const unsigned char *end)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    if ((size_t)(end - s) < len)
        len = (size_t)(end - s);
    if (len > 1) {
        c &= len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07;
        for (size_t i = 1; i < len; i++)
            c = (c << 6) | (s[i] & 0x3f);
    }
    *p = s + len;
    return c;
}

static size_t put_code_point(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* What one code point contributes to a token. */
typedef enum {
    FOLD_TEXT,      /* the `text` (or, when NULL, the code point `c`) joins the token */
    FOLD_DROP,      /* nothing, and the token goes on (apostrophes, combining marks) */
    FOLD_SEPARATOR, /* ends the token */
} fold_kind_t;

static fold_kind_t fold_one(uint32_t *c, const char **text)
{
    uint32_t x = *c;
    *text = NULL;
    if (x < 0x80) {
        if (x >= 'A' && x <= 'Z') {
            *c = x + 32;
            return FOLD_TEXT;
        }
        if ((x >= 'a' && x <= 'z') || (x >= '0' && x <= '9'))
            return FOLD_TEXT;
        return x == '\'' || x == '`' ? FOLD_DROP : FOLD_SEPARATOR;
    }
    if (x >= 0xc0 && x < 0x180) {
        *text = latin[x - 0xc0];
        return *text ? FOLD_TEXT : FOLD_SEPARATOR;
    }
    if (x < 0xc0) /* C1 controls, no-break space, Latin-1 punctuation and signs */
        return FOLD_SEPARATOR;
    if (x == 0x218 || x == 0x219) { /* Ș ș (Romanian) */
        *text = "s";
        return FOLD_TEXT;
    }
    if (x == 0x21a || x == 0x21b) { /* Ț ț */
        *text = "t";
        return FOLD_TEXT;
    }
    if (x == 0x2bc || x == 0x2018 || x == 0x2019) /* apostrophes as typed on phones */
        return FOLD_DROP;
    if (x >= 0x300 && x <= 0x36f) /* combining marks: the accents of decomposed text */
        return FOLD_DROP;
    if (x >= 0x391 && x <= 0x3a9) { /* Greek capitals */
        *c = x + 0x20;
        return FOLD_TEXT;
    }
    if (x >= 0x410 && x <= 0x42f) { /* Cyrillic capitals */
        *c = x + 0x20;
        return FOLD_TEXT;
    }
    if (x >= 0x400 && x <= 0x40f) {
        *c = x + 0x50;
        return FOLD_TEXT;
    }
    if ((x >= 0x2000 && x <= 0x206f) || x == 0x3000 || x == 0xfeff) /* punctuation, spaces */
        return FOLD_SEPARATOR;
    return FOLD_TEXT;
}

size_t cl_fold_tokens(const char *s, size_t n, cl_fold_token_t *tokens, size_t max)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t count = 0, len = 0;
    while (p < end && count < max) {
        uint32_t c = next_code_point(&p, end);
        const char *text;
        fold_kind_t kind = fold_one(&c, &text);
        if (kind == FOLD_DROP)
            continue;
        if (kind == FOLD_SEPARATOR) {
            if (len > 0) {
                tokens[count++][len] = '\0';
                len = 0;
            }
            continue;
        }
        char buf[4];
        size_t add = text ? strlen(text) : put_code_point(c, buf);
        /* A token too long for its buffer is cut at a code point, never inside one. */
        if (len + add < CL_FOLD_TOKEN_MAX) {
            memcpy(tokens[count] + len, text ? text : buf, add);
            len += add;
        }
    }
    if (len > 0 && count < max)
        tokens[count++][len] = '\0';
    return count;
}

size_t cl_fold_name(const char *s, char *out, size_t outlen)
{
    enum { MAX_TOKENS = 16 };
    cl_fold_token_t tokens[MAX_TOKENS];
    size_t n = cl_fold_tokens(s, strlen(s), tokens, MAX_TOKENS), used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tokens[i]), sep = used > 0;
        if (used + sep + len >= outlen)
            break;
        if (sep)
            out[used++] = ' ';
        memcpy(out + used, tokens[i], len + 1);
        used += len;
    }
    return used;
}

int cl_fold_distance(const char *a, const char *b, int max)
{
    enum { LEN_MAX = 256 };
    size_t n = strlen(a), m = strlen(b);
    if (n > LEN_MAX || m > LEN_MAX)
        return max + 1;
    if ((n > m ? n - m : m - n) > (size_t)max)
        return max + 1;
    /* Two rows of the classic table; a row whose smallest entry is over `max` ends it early. */
    int prev[LEN_MAX + 1], cur[LEN_MAX + 1];
    for (size_t j = 0; j <= m; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int d = prev[j - 1] + cost;
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > max)
            return max + 1;
        memcpy(prev, cur, (m + 1) * sizeof(int));
    }
    return prev[m] <= max ? prev[m] : max + 1;
}

int cl_fold_prefix_end(const char *lo, char *hi)
{
    size_t n = strlen(lo);
    memcpy(hi, lo, n + 1);
    while (n > 0 && (unsigned char)hi[n - 1] == 0xff)
        hi[--n] = '\0';
    if (n == 0)
        return -1;
    hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);
    return 0;
}
