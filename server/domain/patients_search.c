/* The patients domain's searches (by name words, phone, birth date and record number, each a
 * range of an index, never a scan) and the duplicate candidates of a new record. The statements
 * are patients_db.c's, reached through cl_patients_stmt(). */
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "patients_int.h"
#include "status.h"

enum {
    /* How far the most selective search word is looked for: enough to tell a rare prefix
     * from a common one without reading a common one's whole range. */
    SELECTIVITY_CAP = 256,
    DUP_BIRTH_SCAN = 1000, /* patients sharing a birth date looked at (about 30 per day) */
    DUP_PHONE_SCAN = 20,   /* patients sharing one number (a family, a care home) */
};

/* ---- search ----------------------------------------------------------------------------- */

static int listed(const Clinic__PatientSearchReply *reply, uint64_t id)
{
    for (size_t i = 0; i < reply->n_patients; i++)
        if (reply->patients[i]->id == id)
            return 1;
    return 0;
}

/* Steps `st` (bound, its limit at least `limit` + 1) into reply->patients, each patient once,
 * setting reply->more when one more came. */
static int collect_summaries(cl_tx_t *tx, sqlite3_stmt *st, uint32_t limit,
                             Clinic__PatientSearchReply *reply)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    reply->patients = NULL;
    reply->n_patients = 0;
    reply->more = 0;
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        if (listed(reply, (uint64_t)sqlite3_column_int64(st, 0)))
            continue;
        if (reply->n_patients == limit) {
            reply->more = 1;
            break;
        }
        CL_ARENA_RESERVE(a, reply->patients, reply->n_patients, cap);
        reply->patients[reply->n_patients++] = cl_patients_summary_from_row(a, st);
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

/* Binds the prefix range of "<prefix><text>" to ?lo and ?lo+1. */
static int bind_prefix(sqlite3_stmt *st, int lo, const char *prefix, const char *text)
{
    char from[CL_FOLD_TOKEN_MAX + 2], to[CL_FOLD_TOKEN_MAX + 2];
    snprintf(from, sizeof(from), "%s%s", prefix, text);
    if (cl_fold_prefix_end(from, to) < 0)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, lo, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, lo + 1, to, -1, SQLITE_TRANSIENT);
    return 0;
}

static int key_count(cl_tx_t *tx, const char *token, int cap, int *count)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_KEY_COUNT);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = bind_prefix(st, 1, "n:", token);
    if (rc < 0)
        return rc;
    sqlite3_bind_int(st, 3, cap);
    rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *count = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_EINTERNAL : rc;
}

static void swap_tokens(char *a, char *b)
{
    cl_fold_token_t tmp;
    memcpy(tmp, a, sizeof(tmp));
    memcpy(a, b, sizeof(tmp));
    memcpy(b, tmp, sizeof(tmp));
}

/* The length in bytes of the first two characters of UTF-8 `s`, or 0 when it has fewer. */
static size_t two_letters(const char *s)
{
    size_t i = 0;
    for (int chars = 0; chars < 2; chars++) {
        if (s[i] == '\0')
            return 0;
        do
            i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80);
    }
    return i;
}

/* Searches by the pair of tokens[0] (the word, scanned as a prefix) and tokens[1] (the head,
 * its first two letters a key, the rest checked per row), further tokens checked per
 * candidate. Returns 1 when it answered, 0 when the pair cannot be used, or a status. */
static int search_pair(cl_tx_t *tx, cl_fold_token_t *tokens, size_t n, uint32_t limit,
                       Clinic__PatientSearchReply *reply)
{
    static const cl_patient_query_t by_count[CL_PATIENT_SEARCH_TOKENS - 1] = {
        CL_PQ_SEARCH_PAIR2, CL_PQ_SEARCH_PAIR3, CL_PQ_SEARCH_PAIR4};
    const char *word = tokens[0], *head = tokens[1];
    size_t head_len = two_letters(head), word_len = strlen(word);
    /* A word that is a prefix of the other could match the same name word twice, which a pair
     * of two different words cannot answer. */
    if (n < 2 || head_len == 0 || two_letters(word) == 0 ||
        strncmp(word, head, word_len < strlen(head) ? word_len : strlen(head)) == 0)
        return 0;
    sqlite3_stmt *st = cl_patients_stmt(tx, by_count[n - 2]);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, head, (int)head_len, SQLITE_TRANSIENT);
    int rc;
    if ((rc = bind_prefix(st, 2, "", word)) < 0 || (rc = bind_prefix(st, 4, "", head)) < 0)
        return rc;
    for (size_t i = 2; i < n; i++)
        if ((rc = bind_prefix(st, 2 + 2 * (int)i, "n:", tokens[i])) < 0)
            return rc;
    sqlite3_bind_int64(st, 2 + 2 * (int)n, -1);
    return (rc = collect_summaries(tx, st, limit, reply)) < 0 ? rc : 1;
}

int cl_patients_search_names(cl_tx_t *tx, cl_fold_token_t *tokens, size_t n, uint32_t limit,
                             Clinic__PatientSearchReply *reply)
{
    static const cl_patient_query_t by_count[CL_PATIENT_SEARCH_TOKENS] = {
        CL_PQ_SEARCH_KEYS1, CL_PQ_SEARCH_KEYS2, CL_PQ_SEARCH_KEYS3, CL_PQ_SEARCH_KEYS4};
    if (n == 0 || n > CL_PATIENT_SEARCH_TOKENS)
        return CL_EINTERNAL;
    int rc;
    if (n > 1) {
        /* The two longest words make the pair, the longest scanned as the word. */
        for (size_t i = 0; i < 2; i++)
            for (size_t j = i + 1; j < n; j++)
                if (strlen(tokens[j]) > strlen(tokens[i]))
                    swap_tokens(tokens[i], tokens[j]);
        if ((rc = search_pair(tx, tokens, n, limit, reply)) != 0)
            return rc < 0 ? rc : 0;
        /* The word with the fewest keys leads; the others are checked per candidate. Among
         * words past the count's cap, the longest prefix is likely the rarest. */
        int best = -1;
        size_t lead = 0;
        for (size_t i = 0; i < n; i++) {
            int count = 0;
            if ((rc = key_count(tx, tokens[i], SELECTIVITY_CAP, &count)) < 0)
                return rc;
            if (best < 0 || count < best ||
                (count == best && strlen(tokens[i]) > strlen(tokens[lead])))
                best = count, lead = i;
        }
        if (lead != 0)
            swap_tokens(tokens[0], tokens[lead]);
    }
    sqlite3_stmt *st = cl_patients_stmt(tx, by_count[n - 1]);
    if (st == NULL)
        return CL_EINTERNAL;
    for (size_t i = 0; i < n; i++)
        if ((rc = bind_prefix(st, 1 + 2 * (int)i, "n:", tokens[i])) < 0)
            return rc;
    sqlite3_bind_int64(st, 1 + 2 * (int)n, -1);
    return collect_summaries(tx, st, limit, reply);
}

int cl_patients_search_phone(cl_tx_t *tx, const char *digits, uint32_t limit,
                             Clinic__PatientSearchReply *reply)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_SEARCH_KEYS1);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = bind_prefix(st, 1, "p:", digits);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 3, -1);
    return collect_summaries(tx, st, limit, reply);
}

int cl_patients_search_birth(cl_tx_t *tx, const char *date, uint32_t limit,
                             Clinic__PatientSearchReply *reply)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_SEARCH_BIRTH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)limit + 1);
    return collect_summaries(tx, st, limit, reply);
}

int cl_patients_search_record(cl_tx_t *tx, const char *record_number,
                              Clinic__PatientSearchReply *reply)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_SEARCH_RECORD);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, record_number, -1, SQLITE_STATIC);
    return collect_summaries(tx, st, 1, reply);
}

/* ---- duplicates ------------------------------------------------------------------------- */

int cl_patients_close_spelling(const char *a, const char *b)
{
    size_t shorter = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
    int max = shorter <= 4 ? 1 : 2;
    return cl_fold_distance(a, b, max) <= max;
}

enum { NAME_FOLD_MAX = 160 };

/* A patient's folded first, last and preferred names. */
typedef struct {
    char first[NAME_FOLD_MAX], last[NAME_FOLD_MAX], preferred[NAME_FOLD_MAX];
} folded_names_t;

static void fold_names(folded_names_t *f, const char *first, const char *last,
                       const char *preferred)
{
    cl_fold_name(first, f->first, sizeof(f->first));
    cl_fold_name(last, f->last, sizeof(f->last));
    cl_fold_name(preferred, f->preferred, sizeof(f->preferred));
}

/* Whether two first names (or a first and a preferred name) may be the same person's. */
static int first_names_close(const folded_names_t *a, const folded_names_t *b)
{
    if (cl_patients_close_spelling(a->first, b->first))
        return 1;
    if (b->preferred[0] && cl_patients_close_spelling(a->first, b->preferred))
        return 1;
    return a->preferred[0] && cl_patients_close_spelling(a->preferred, b->first);
}

/* The reason two people born the same day look alike, or NULL. */
static const char *name_reason(const folded_names_t *a, const folded_names_t *b)
{
    if (strcmp(a->last, b->last) == 0 && strcmp(a->first, b->first) == 0)
        return "name_and_birth_date";
    if (cl_patients_close_spelling(a->last, b->last) && first_names_close(a, b))
        return "similar_name";
    /* "J. Smith" against John Smith: the initial and the last name. */
    if (strcmp(a->last, b->last) == 0 && a->first[0] == b->first[0])
        return "similar_name";
    /* First and last swapped in one of the two records. */
    if (strcmp(a->first, b->last) == 0 && strcmp(a->last, b->first) == 0)
        return "similar_name";
    return NULL;
}

/* Adds `reason` to the candidate for the current row of `st`, adding the candidate first if
 * it is new. */
static void add_duplicate(cl_arena_t *a, Clinic__PatientRegisterReply *reply, size_t *cap,
                          sqlite3_stmt *st, const char *reason)
{
    uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
    Clinic__PatientDuplicate *d = NULL;
    for (size_t i = 0; i < reply->n_duplicates && d == NULL; i++)
        if (reply->duplicates[i]->patient->id == id)
            d = reply->duplicates[i];
    if (d == NULL) {
        if (reply->n_duplicates == CL_PATIENT_DUPLICATES_MAX)
            return;
        d = CL_ARENA_NEW(a, Clinic__PatientDuplicate);
        clinic__patient_duplicate__init(d);
        d->patient = cl_patients_summary_from_row(a, st);
        d->reasons = cl_arena_alloc(a, 3 * sizeof(*d->reasons));
        CL_ARENA_RESERVE(a, reply->duplicates, reply->n_duplicates, *cap);
        reply->duplicates[reply->n_duplicates++] = d;
    }
    for (size_t i = 0; i < d->n_reasons; i++)
        if (strcmp(d->reasons[i], reason) == 0)
            return;
    if (d->n_reasons < 3)
        d->reasons[d->n_reasons++] = (char *)reason;
}

int cl_patients_duplicates(cl_tx_t *tx, const Clinic__Patient *p,
                           Clinic__PatientRegisterReply *reply)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    folded_names_t mine, theirs;
    int rc;
    reply->duplicates = NULL;
    reply->n_duplicates = 0;
    fold_names(&mine, p->first_name, p->last_name, p->preferred_name);

    /* Name checks need the same birth date: a day's patients are few, and the folding and the
     * edit distance run here rather than in SQL. */
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_DUP_BIRTH);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, p->birth_date, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, DUP_BIRTH_SCAN);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        fold_names(&theirs, cl_db_text(st, 2), cl_db_text(st, 4), cl_db_text(st, 5));
        const char *reason = name_reason(&mine, &theirs);
        if (reason)
            add_duplicate(a, reply, &cap, st, reason);
    }
    if (rc < 0)
        return rc;

    const char *phones[] = {p->phone_mobile, p->phone_home, p->phone_work};
    for (size_t i = 0; i < CL_ARRAY_SIZE(phones); i++) {
        char key[32];
        if (phones[i][0] == '\0')
            continue;
        snprintf(key, sizeof(key), "p:%s", phones[i]);
        if ((st = cl_patients_stmt(tx, CL_PQ_DUP_PHONE)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, DUP_PHONE_SCAN);
        while ((rc = cl_db_step(tx->db, st)) == 1)
            add_duplicate(a, reply, &cap, st, "phone");
        if (rc < 0)
            return rc;
    }
    return 0;
}
