/* Folding names for matching: lower case, accents and other marks removed ("José" and "JOSE"
 * both fold to "jose"), split into tokens at spaces and punctuation, with apostrophes dropped
 * inside a token ("O'Brien" is "obrien"). Also a bounded edit distance for close spellings. Pure
 * functions on UTF-8 text that the caller has already checked is well-formed. */
#ifndef CL_FOLD_H
#define CL_FOLD_H

#include <stddef.h>

enum {
    CL_FOLD_TOKEN_MAX = 128, /* a token's bytes with the NUL; longer tokens are cut there */
};

typedef char cl_fold_token_t[CL_FOLD_TOKEN_MAX];

/* Folds `n` bytes of well-formed UTF-8 at `s` and splits the result into at most `max` tokens
 * (more are dropped), written NUL-terminated into `tokens`. Letters of Latin scripts lose their
 * accents (ß gives "ss", æ "ae", ø "o"); Greek and Cyrillic capitals become small; other
 * letters pass through unchanged; combining marks are removed. Returns the number of tokens. */
size_t cl_fold_tokens(const char *s, size_t n, cl_fold_token_t *tokens, size_t max);

/* Folds `s` (NUL-terminated, well-formed UTF-8) into `out` as its tokens joined by one space
 * ("Smith-Jones" gives "smith jones"), cut to fit `outlen` (at least 1). Returns the length. */
size_t cl_fold_name(const char *s, char *out, size_t outlen);

/* The Levenshtein distance between the byte strings `a` and `b` (single-byte insertions,
 * deletions and substitutions) when it is at most `max`, else `max` + 1. */
int cl_fold_distance(const char *a, const char *b, int max);

/* Sets `hi` to the smallest string greater than every string that starts with `lo` (the last
 * byte raised by one, after dropping trailing 0xff bytes), so that `key >= lo AND key < hi` is
 * a prefix range of BINARY-collated text. `hi` must hold strlen(lo) + 1 bytes. Returns 0, or -1
 * when no such string exists (`lo` empty or all 0xff). */
int cl_fold_prefix_end(const char *lo, char *hi);

#endif
