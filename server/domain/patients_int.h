/* What the patients domain's three files share: patients.c validates requests and builds
 * replies, patients_db.c holds the statements and reads and writes the rows (the record, its
 * search keys, its insurance, merges and what they moved), and patients_search.c runs the searches
 * and the duplicate checks on those statements. Records passed between them are Clinic__Patient
 * messages in the job's arena, already validated and normalized (phones as digits, address and
 * emergency contact never NULL). Tests may include this header. */
#ifndef CL_PATIENTS_INT_H
#define CL_PATIENTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fold.h"
#include "patients.pb-c.h"
#include "store.h"

enum {
    CL_PATIENT_SEARCH_TOKENS = 4, /* name words in one query at most */
    CL_PATIENT_DUPLICATES_MAX = 50,
};

/* The statements whose plans matter per request (tests/unit/test_patients.c checks each with
 * EXPLAIN QUERY PLAN); the rest of the table is private to patients_db.c. */
typedef enum {
    CL_PQ_BY_ID,
    CL_PQ_BY_RECORD,
    CL_PQ_INSURANCE_OF,
    CL_PQ_MERGE_OF,
    CL_PQ_NEXT_ID,
    CL_PQ_KEYS_OF_DELETE,
    CL_PQ_KEY_COUNT,
    CL_PQ_SEARCH_KEYS1,
    CL_PQ_SEARCH_KEYS2,
    CL_PQ_SEARCH_KEYS3,
    CL_PQ_SEARCH_KEYS4,
    CL_PQ_SEARCH_PAIR2,
    CL_PQ_SEARCH_PAIR3,
    CL_PQ_SEARCH_PAIR4,
    CL_PQ_PAIRS_INSERT,
    CL_PQ_PAIRS_DELETE,
    CL_PQ_SEARCH_BIRTH,
    CL_PQ_SEARCH_RECORD,
    CL_PQ_DUP_BIRTH,
    CL_PQ_DUP_PHONE,
    CL_PQ_APPOINTMENTS_OF,
    CL_PQ_MOVES_OF,
    CL_PQ__HOT
} cl_patient_query_t;

/* The SQL text of hot statement `q` (static storage). */
const char *cl_patients_sql(cl_patient_query_t q);
/* The cached statement `q` (a cl_patient_query_t, or one of patients_db.c's own statements past
 * CL_PQ__HOT), reset with its bindings cleared and owned by the job's connection; NULL only for
 * SQL that does not compile (a bug: logged). */
sqlite3_stmt *cl_patients_stmt(cl_tx_t *tx, int q);
/* A Clinic__PatientSummary in arena `a` from the current row of `st`, which selects
 * SUMMARY_COLUMNS (patients_db.c) first. Its strings are copies in `a`. */
Clinic__PatientSummary *cl_patients_summary_from_row(cl_arena_t *a, sqlite3_stmt *st);

/* Loads patient `id` with its current insurance into the job's arena. Returns 0,
 * CL_ENOTFOUND, or a database status. */
int cl_patients_load(cl_tx_t *tx, uint64_t id, Clinic__Patient **out);

/* The id of the patient with `record_number` ("P0000042"). Returns 0, CL_ENOTFOUND or a
 * database status. */
int cl_patients_find_record(cl_tx_t *tx, const char *record_number, uint64_t *id);

/* Writes a new patient from `p` (validated): the row with the next id and its record number,
 * the search keys and the insurance. Sets *id. Returns 0 or a database status. */
int cl_patients_insert(cl_tx_t *tx, const Clinic__Patient *p, uint64_t *id);

/* Overwrites patient `p->id` at version `p->version` with `p`'s fields, derives the search keys
 * again, and replaces the insurance when it differs from `current`'s (the old rows are kept,
 * marked removed). Returns 0, CL_ECONFLICT when the version moved meanwhile (a bug inside one
 * transaction), or a database status. */
int cl_patients_update(cl_tx_t *tx, const Clinic__Patient *p, const Clinic__Patient *current);

/* Search: up to `limit` patients not merged away, into reply->patients, with reply->more set
 * when there are more. Names: each of `n` folded tokens (reordered here) must be a prefix of a
 * name token of the patient. With two words or more, the two longest are looked up as a pair
 * in patient_name_pairs when neither is a prefix of the other and both have two letters (see
 * 0007_name_pairs.sql); otherwise the word with the fewest keys is the range scanned and the
 * others are checked per candidate. */
int cl_patients_search_names(cl_tx_t *tx, cl_fold_token_t *tokens, size_t n, uint32_t limit,
                             Clinic__PatientSearchReply *reply);
/* Patients with a phone number starting with `digits`. */
int cl_patients_search_phone(cl_tx_t *tx, const char *digits, uint32_t limit,
                             Clinic__PatientSearchReply *reply);
/* Patients born on `date` (YYYY-MM-DD), by id. */
int cl_patients_search_birth(cl_tx_t *tx, const char *date, uint32_t limit,
                             Clinic__PatientSearchReply *reply);
/* The patient with `record_number`, if not merged away. */
int cl_patients_search_record(cl_tx_t *tx, const char *record_number,
                              Clinic__PatientSearchReply *reply);

/* Likely duplicates of `p` (validated) among the patients not merged away, each with its
 * reasons: "name_and_birth_date", "phone", "similar_name". At most CL_PATIENT_DUPLICATES_MAX,
 * into reply->duplicates. */
int cl_patients_duplicates(cl_tx_t *tx, const Clinic__Patient *p,
                           Clinic__PatientRegisterReply *reply);

/* Whether folded names `a` and `b` (cl_fold_name) are a close spelling: at most one edit for
 * names of up to 4 bytes, two for longer ones. Equal names are close. */
int cl_patients_close_spelling(const char *a, const char *b);

/* Merges patient `merged` into `kept` (both loaded, neither merged): the patient_merges row,
 * every appointment, waitlist entry and series of `merged` moved to `kept` and listed in
 * patient_merge_moves (each moved row's version raised, with a change on its topic), and
 * `merged` marked merged_into. Sets *out to the merge as stored. Returns 0 or a status. */
int cl_patients_merge(cl_tx_t *tx, const Clinic__Patient *kept, const Clinic__Patient *merged,
                      const char *reason, Clinic__PatientMerge **out);

/* Loads merge `id`, with the number of rows of each kind it moved. Returns 0, CL_ENOTFOUND or
 * a database status. */
int cl_patients_merge_load(cl_tx_t *tx, uint64_t id, Clinic__PatientMerge **out);

/* Undoes merge `m` (loaded, not undone, its kept patient not merged since): moves exactly the
 * rows it listed back to the merged patient, clears merged_into and records undone_at/by.
 * Returns 0 or a status. */
int cl_patients_unmerge(cl_tx_t *tx, const Clinic__PatientMerge *m);

/* "P0000042" for id 42 (more digits past 9999999) into `out`. */
void cl_patients_record_number(uint64_t id, char out[24]);

#endif
