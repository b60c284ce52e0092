/* The patients domain's SQL: the statement table (patients_search.c's statements too), reading
 * and writing a record with its search keys and insurance, and merges with the rows they move.
 * patients.c calls these with validated input. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "patients_int.h"
#include "status.h"
#include "topics.h"

enum {
    Q_PATIENT_INSERT = CL_PQ__HOT,
    Q_PATIENT_UPDATE,
    Q_KEY_INSERT,
    Q_INSURANCE_INSERT,
    Q_INSURANCE_REMOVE,
    Q_MERGE_INSERT,
    Q_MERGE_BY_ID,
    Q_MOVE_COUNTS,
    Q_MOVE_INSERT,
    Q_MERGE_UNDO,
    Q_SET_MERGED,
    Q_WAITLIST_OF,
    Q_SERIES_OF,
    Q_APPOINTMENT_MOVE,
    Q_WAITLIST_MOVE,
    Q_SERIES_MOVE,
    Q__COUNT
};

/* The columns patient_from_row() reads, in this order. */
#define PATIENT_COLUMNS                                                                            \
    "p.id, p.record_number, p.first_name, p.middle_name, p.last_name, p.preferred_name, "          \
    "p.birth_date, p.sex, p.phone_mobile, p.phone_home, p.phone_work, p.email, "                   \
    "p.address_line1, p.address_line2, p.city, p.state, p.postal_code, p.preferred_contact, "      \
    "p.emergency_name, p.emergency_relation, p.emergency_phone, p.notes, p.merged_into, "          \
    "p.created_at, p.updated_at, coalesce(u.username, ''), p.version"
/* The columns cl_patients_summary_from_row() reads. */
#define SUMMARY_COLUMNS                                                                            \
    "p.id, p.record_number, p.first_name, p.middle_name, p.last_name, p.preferred_name, "          \
    "p.birth_date, p.sex, p.phone_mobile, p.phone_home, p.phone_work"
/* The record's fields as ?3..?22, then the time ?23 and the user ?24 (bind_fields()). */
#define FIELD_NAMES                                                                                \
    "first_name, middle_name, last_name, preferred_name, birth_date, sex, phone_mobile, "          \
    "phone_home, phone_work, email, address_line1, address_line2, city, state, postal_code, "      \
    "preferred_contact, emergency_name, emergency_relation, emergency_phone, notes"
#define FIELD_PARAMS                                                                               \
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22"

/* A name search scans the first token's prefix range of patient_keys (its primary key) and
 * checks each further token through patient_keys_patient, which in a WITHOUT ROWID table holds
 * (patient_id, key): one probe of a few rows per candidate. A patient can match the range with
 * two of its tokens ("jo": John Johnson): collect_summaries() skips the repeats, and the LIMIT is
 * bound to -1 (none) since it stops stepping itself (DISTINCT would build a temporary table per
 * search). */
#define SEARCH_KEYS_HEAD                                                                           \
    "SELECT " SUMMARY_COLUMNS " FROM patient_keys k JOIN patients p ON p.id = "                    \
    "k.patient_id WHERE k.key >= ?1 AND k.key < ?2 AND p.merged_into = 0"
#define SEARCH_KEYS_AND(lo, hi)                                                                    \
    " AND EXISTS (SELECT 1 FROM patient_keys k2 WHERE k2.patient_id = k.patient_id AND "           \
    "k2.key >= " lo " AND k2.key < " hi ")"

/* A pair search reads one range of patient_name_pairs: head ?1, word in [?2, ?3), and keeps the
 * rows whose head_word is in [?4, ?5). Further words are checked as above. */
#define SEARCH_PAIR_HEAD                                                                           \
    "SELECT " SUMMARY_COLUMNS " FROM patient_name_pairs k JOIN patients p ON p.id = "              \
    "k.patient_id WHERE k.head = ?1 AND k.word >= ?2 AND k.word < ?3 AND k.head_word >= ?4 "       \
    "AND k.head_word < ?5 AND p.merged_into = 0"

/* The name pairs of patient ?1 from its name keys, the rule of 0007_name_pairs.sql. */
#define PAIRS_OF_PATIENT                                                                           \
    "SELECT substr(a.key, 3, 2), substr(b.key, 3), substr(a.key, 3), a.patient_id "                \
    "FROM patient_keys a JOIN patient_keys b ON b.patient_id = a.patient_id "                      \
    "WHERE a.patient_id = ?1 AND a.key >= 'n:' AND a.key < 'n;' AND b.key >= 'n:' "                \
    "AND b.key < 'n;' AND b.key <> a.key AND length(a.key) >= 4 AND length(b.key) >= 4"

static const char *const SQL[Q__COUNT] = {
    [CL_PQ_BY_ID] = "SELECT " PATIENT_COLUMNS " FROM patients p LEFT JOIN users u "
                    "ON u.id = p.updated_by WHERE p.id = ?1",
    [CL_PQ_BY_RECORD] = "SELECT id FROM patients WHERE record_number = ?1",
    [CL_PQ_INSURANCE_OF] = "SELECT payer, member_id, group_number, subscriber_name, "
                           "subscriber_relation, effective_from, effective_to FROM insurance "
                           "WHERE patient_id = ?1 AND removed_at = 0 ORDER BY rank",
    [CL_PQ_MERGE_OF] = "SELECT id FROM patient_merges WHERE merged_id = ?1 AND undone_at = 0 "
                       "ORDER BY id DESC LIMIT 1",
    /* Ids are never reused (records are never deleted), and the store thread is the only
     * writer, so the next id is the largest plus one, read from the primary key's end. */
    [CL_PQ_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM patients",
    [CL_PQ_KEYS_OF_DELETE] = "DELETE FROM patient_keys WHERE patient_id = ?1",
    [CL_PQ_KEY_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM patient_keys WHERE key >= ?1 "
                        "AND key < ?2 LIMIT ?3) AS sample",
    [CL_PQ_SEARCH_KEYS1] = SEARCH_KEYS_HEAD " LIMIT ?3",
    [CL_PQ_SEARCH_KEYS2] = SEARCH_KEYS_HEAD SEARCH_KEYS_AND("?3", "?4") " LIMIT ?5",
    [CL_PQ_SEARCH_KEYS3] =
        SEARCH_KEYS_HEAD SEARCH_KEYS_AND("?3", "?4") SEARCH_KEYS_AND("?5", "?6") " LIMIT ?7",
    [CL_PQ_SEARCH_KEYS4] = SEARCH_KEYS_HEAD SEARCH_KEYS_AND("?3", "?4") SEARCH_KEYS_AND("?5", "?6")
        SEARCH_KEYS_AND("?7", "?8") " LIMIT ?9",
    [CL_PQ_SEARCH_PAIR2] = SEARCH_PAIR_HEAD " LIMIT ?6",
    [CL_PQ_SEARCH_PAIR3] = SEARCH_PAIR_HEAD SEARCH_KEYS_AND("?6", "?7") " LIMIT ?8",
    [CL_PQ_SEARCH_PAIR4] =
        SEARCH_PAIR_HEAD SEARCH_KEYS_AND("?6", "?7") SEARCH_KEYS_AND("?8", "?9") " LIMIT ?10",
    /* Run before the keys change (delete) and after (insert): the pairs follow the keys. */
    [CL_PQ_PAIRS_INSERT] =
        "INSERT INTO patient_name_pairs (head, word, head_word, patient_id) " PAIRS_OF_PATIENT
        " ON CONFLICT DO NOTHING",
    [CL_PQ_PAIRS_DELETE] = "DELETE FROM patient_name_pairs WHERE (head, word, head_word, "
                           "patient_id) IN (" PAIRS_OF_PATIENT ")",
    /* patients_birth holds (birth_date, id): the range comes in id order, no sort. */
    [CL_PQ_SEARCH_BIRTH] = "SELECT " SUMMARY_COLUMNS " FROM patients p WHERE p.birth_date = ?1 "
                           "AND p.merged_into = 0 ORDER BY p.id LIMIT ?2",
    [CL_PQ_SEARCH_RECORD] = "SELECT " SUMMARY_COLUMNS " FROM patients p "
                            "WHERE p.record_number = ?1 AND p.merged_into = 0",
    [CL_PQ_DUP_BIRTH] = "SELECT " SUMMARY_COLUMNS " FROM patients p WHERE p.birth_date = ?1 "
                        "AND p.merged_into = 0 ORDER BY p.id LIMIT ?2",
    [CL_PQ_DUP_PHONE] = "SELECT " SUMMARY_COLUMNS " FROM patient_keys k JOIN patients p "
                        "ON p.id = k.patient_id WHERE k.key = ?1 AND p.merged_into = 0 "
                        "ORDER BY k.patient_id LIMIT ?2",
    [CL_PQ_APPOINTMENTS_OF] = "SELECT id FROM appointments WHERE patient_id = ?1 "
                              "ORDER BY starts_at",
    [CL_PQ_MOVES_OF] = "SELECT entity, entity_id FROM patient_merge_moves WHERE merge_id = ?1 "
                       "ORDER BY entity, entity_id",

    [Q_PATIENT_INSERT] = "INSERT INTO patients (id, record_number, " FIELD_NAMES
                         ", created_at, created_by, updated_at, updated_by, version) "
                         "VALUES (?1, ?2, " FIELD_PARAMS ", ?23, ?24, ?23, ?24, 1)",
    [Q_PATIENT_UPDATE] =
        "UPDATE patients SET first_name = ?3, middle_name = ?4, last_name = ?5, "
        "preferred_name = ?6, birth_date = ?7, sex = ?8, phone_mobile = ?9, phone_home = ?10, "
        "phone_work = ?11, email = ?12, address_line1 = ?13, address_line2 = ?14, city = ?15, "
        "state = ?16, postal_code = ?17, preferred_contact = ?18, emergency_name = ?19, "
        "emergency_relation = ?20, emergency_phone = ?21, notes = ?22, updated_at = ?23, "
        "updated_by = ?24, version = version + 1 WHERE id = ?1 AND version = ?2 "
        "AND merged_into = 0 RETURNING version",
    [Q_KEY_INSERT] =
        "INSERT INTO patient_keys (key, patient_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [Q_INSURANCE_INSERT] = "INSERT INTO insurance (patient_id, rank, payer, member_id, "
                           "group_number, subscriber_name, subscriber_relation, effective_from, "
                           "effective_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_INSURANCE_REMOVE] = "UPDATE insurance SET removed_at = ?2, removed_by = ?3 "
                           "WHERE patient_id = ?1 AND removed_at = 0",
    [Q_MERGE_INSERT] = "INSERT INTO patient_merges (kept_id, merged_id, reason, merged_at, "
                       "merged_by) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
    [Q_MERGE_BY_ID] = "SELECT m.id, m.kept_id, m.merged_id, m.reason, m.merged_at, "
                      "coalesce(mu.username, ''), m.undone_at, coalesce(uu.username, '') "
                      "FROM patient_merges m LEFT JOIN users mu ON mu.id = m.merged_by "
                      "LEFT JOIN users uu ON uu.id = m.undone_by WHERE m.id = ?1",
    [Q_MOVE_COUNTS] = "SELECT entity, count(*) FROM patient_merge_moves WHERE merge_id = ?1 "
                      "GROUP BY entity",
    [Q_MOVE_INSERT] =
        "INSERT INTO patient_merge_moves (merge_id, entity, entity_id) VALUES (?1, ?2, ?3)",
    [Q_MERGE_UNDO] = "UPDATE patient_merges SET undone_at = ?2, undone_by = ?3 "
                     "WHERE id = ?1 AND undone_at = 0 RETURNING id",
    [Q_SET_MERGED] = "UPDATE patients SET merged_into = ?2, updated_at = ?3, updated_by = ?4, "
                     "version = version + 1 WHERE id = ?1 AND merged_into = ?5 RETURNING id",
    [Q_WAITLIST_OF] = "SELECT id FROM waitlist WHERE patient_id = ?1 ORDER BY id",
    /* appointment_series has no index on patient_id: a merge is a rare manager's act and the
     * table holds only the rules of recurring series, so it reads the table. */
    [Q_SERIES_OF] = "SELECT id FROM appointment_series WHERE patient_id = ?1 ORDER BY id",
    [Q_APPOINTMENT_MOVE] = "UPDATE appointments SET patient_id = ?2, version = version + 1 "
                           "WHERE id = ?1 AND patient_id = ?3 RETURNING id",
    [Q_WAITLIST_MOVE] = "UPDATE waitlist SET patient_id = ?2, version = version + 1 "
                        "WHERE id = ?1 AND patient_id = ?3 RETURNING id",
    [Q_SERIES_MOVE] = "UPDATE appointment_series SET patient_id = ?2 "
                      "WHERE id = ?1 AND patient_id = ?3 RETURNING id",
};

const char *cl_patients_sql(cl_patient_query_t q)
{
    return (unsigned)q < CL_PQ__HOT ? SQL[q] : NULL;
}

sqlite3_stmt *cl_patients_stmt(cl_tx_t *tx, int q)
{
    return cl_db_stmt(tx->db, SQL[q]);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static char *col_text(cl_arena_t *a, sqlite3_stmt *st, int col)
{
    return cl_arena_strdup(a, cl_db_text(st, col));
}

void cl_patients_record_number(uint64_t id, char out[24])
{
    snprintf(out, 24, "P%07" PRIu64, id);
}

/* ---- reading ---------------------------------------------------------------------------- */

Clinic__PatientSummary *cl_patients_summary_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__PatientSummary *s = CL_ARENA_NEW(a, Clinic__PatientSummary);
    clinic__patient_summary__init(s);
    s->id = (uint64_t)sqlite3_column_int64(st, 0);
    s->record_number = col_text(a, st, 1);
    s->first_name = col_text(a, st, 2);
    s->middle_name = col_text(a, st, 3);
    s->last_name = col_text(a, st, 4);
    s->preferred_name = col_text(a, st, 5);
    s->birth_date = col_text(a, st, 6);
    s->sex = col_text(a, st, 7);
    s->phone_mobile = col_text(a, st, 8);
    s->phone_home = col_text(a, st, 9);
    s->phone_work = col_text(a, st, 10);
    return s;
}

static Clinic__Patient *patient_from_row(cl_arena_t *a, sqlite3_stmt *st)
{
    Clinic__Patient *p = CL_ARENA_NEW(a, Clinic__Patient);
    clinic__patient__init(p);
    Clinic__PatientAddress *addr = CL_ARENA_NEW(a, Clinic__PatientAddress);
    clinic__patient_address__init(addr);
    Clinic__EmergencyContact *em = CL_ARENA_NEW(a, Clinic__EmergencyContact);
    clinic__emergency_contact__init(em);
    p->id = (uint64_t)sqlite3_column_int64(st, 0);
    p->record_number = col_text(a, st, 1);
    p->first_name = col_text(a, st, 2);
    p->middle_name = col_text(a, st, 3);
    p->last_name = col_text(a, st, 4);
    p->preferred_name = col_text(a, st, 5);
    p->birth_date = col_text(a, st, 6);
    p->sex = col_text(a, st, 7);
    p->phone_mobile = col_text(a, st, 8);
    p->phone_home = col_text(a, st, 9);
    p->phone_work = col_text(a, st, 10);
    p->email = col_text(a, st, 11);
    addr->line1 = col_text(a, st, 12);
    addr->line2 = col_text(a, st, 13);
    addr->city = col_text(a, st, 14);
    addr->state = col_text(a, st, 15);
    addr->postal_code = col_text(a, st, 16);
    p->address = addr;
    p->preferred_contact = col_text(a, st, 17);
    em->name = col_text(a, st, 18);
    em->relation = col_text(a, st, 19);
    em->phone = col_text(a, st, 20);
    p->emergency = em;
    p->notes = col_text(a, st, 21);
    p->merged_into = (uint64_t)sqlite3_column_int64(st, 22);
    p->created_at = sqlite3_column_int64(st, 23);
    p->updated_at = sqlite3_column_int64(st, 24);
    p->updated_by = col_text(a, st, 25);
    p->version = (uint64_t)sqlite3_column_int64(st, 26);
    return p;
}

static int load_insurance(cl_tx_t *tx, Clinic__Patient *p)
{
    cl_arena_t *a = &tx->job->arena;
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_INSURANCE_OF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        Clinic__Insurance *ins = CL_ARENA_NEW(a, Clinic__Insurance);
        clinic__insurance__init(ins);
        ins->payer = col_text(a, st, 0);
        ins->member_id = col_text(a, st, 1);
        ins->group_number = col_text(a, st, 2);
        ins->subscriber_name = col_text(a, st, 3);
        ins->subscriber_relation = col_text(a, st, 4);
        ins->effective_from = col_text(a, st, 5);
        ins->effective_to = col_text(a, st, 6);
        CL_ARENA_RESERVE(a, p->insurance, p->n_insurance, cap);
        p->insurance[p->n_insurance++] = ins;
    }
    return rc;
}

int cl_patients_load(cl_tx_t *tx, uint64_t id, Clinic__Patient **out)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step(tx->db, st);
    Clinic__Patient *p = rc == 1 ? patient_from_row(&tx->job->arena, st) : NULL;
    sqlite3_reset(st);
    if (rc <= 0)
        return rc == 0 ? CL_ENOTFOUND : rc;
    if ((rc = load_insurance(tx, p)) < 0)
        return rc;
    if (p->merged_into != 0) {
        if ((st = cl_patients_stmt(tx, CL_PQ_MERGE_OF)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)p->id);
        rc = cl_db_step(tx->db, st);
        if (rc == 1)
            p->merge_id = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
    }
    *out = p;
    return 0;
}

int cl_patients_find_record(cl_tx_t *tx, const char *record_number, uint64_t *id)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_BY_RECORD);
    if (st == NULL)
        return CL_EINTERNAL;
    bind_text(st, 1, record_number);
    int rc = cl_db_step(tx->db, st);
    if (rc == 1)
        *id = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == 1 ? 0 : rc == 0 ? CL_ENOTFOUND : rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Binds the record's fields to ?3..?22 and the time and user to ?23, ?24. */
static void bind_fields(cl_tx_t *tx, sqlite3_stmt *st, const Clinic__Patient *p)
{
    const char *fields[] = {
        p->first_name,
        p->middle_name,
        p->last_name,
        p->preferred_name,
        p->birth_date,
        p->sex,
        p->phone_mobile,
        p->phone_home,
        p->phone_work,
        p->email,
        p->address->line1,
        p->address->line2,
        p->address->city,
        p->address->state,
        p->address->postal_code,
        p->preferred_contact,
        p->emergency->name,
        p->emergency->relation,
        p->emergency->phone,
        p->notes,
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(fields); i++)
        bind_text(st, 3 + (int)i, fields[i]);
    sqlite3_bind_int64(st, 23, tx->now);
    sqlite3_bind_int64(st, 24, tx->job->who.user_id);
}

static int key_insert(cl_tx_t *tx, const char *prefix, const char *text, uint64_t id)
{
    char key[CL_FOLD_TOKEN_MAX + 2];
    snprintf(key, sizeof(key), "%s%s", prefix, text);
    sqlite3_stmt *st = cl_patients_stmt(tx, Q_KEY_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, (int64_t)id);
    int rc = cl_db_step_once(tx->db, st);
    return rc < 0 ? rc : 0;
}

/* Inserts (CL_PQ_PAIRS_INSERT) or deletes (CL_PQ_PAIRS_DELETE) patient `id`'s name pairs,
 * derived from its name keys as they stand. */
static int pairs_step(cl_tx_t *tx, int q, uint64_t id)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, q);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step_once(tx->db, st);
    return rc < 0 ? rc : 0;
}

/* The search keys of `p`: "n:<token>" for every folded token of its four names, and
 * "p:<digits>" for each of its own phone numbers (not the emergency contact's); then the name
 * pairs that follow from them. */
static int keys_insert(cl_tx_t *tx, const Clinic__Patient *p, uint64_t id)
{
    enum { NAME_TOKENS = 16 };
    const char *names[] = {p->first_name, p->middle_name, p->last_name, p->preferred_name};
    const char *phones[] = {p->phone_mobile, p->phone_home, p->phone_work};
    cl_fold_token_t tokens[NAME_TOKENS];
    int rc;
    for (size_t i = 0; i < CL_ARRAY_SIZE(names); i++) {
        size_t n = cl_fold_tokens(names[i], strlen(names[i]), tokens, NAME_TOKENS);
        for (size_t t = 0; t < n; t++)
            if ((rc = key_insert(tx, "n:", tokens[t], id)) < 0)
                return rc;
    }
    for (size_t i = 0; i < CL_ARRAY_SIZE(phones); i++)
        if (phones[i][0] && (rc = key_insert(tx, "p:", phones[i], id)) < 0)
            return rc;
    return pairs_step(tx, CL_PQ_PAIRS_INSERT, id);
}

static int insurance_insert(cl_tx_t *tx, const Clinic__Patient *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_insurance; i++) {
        const Clinic__Insurance *ins = p->insurance[i];
        sqlite3_stmt *st = cl_patients_stmt(tx, Q_INSURANCE_INSERT);
        if (st == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)id);
        sqlite3_bind_int64(st, 2, (int64_t)i + 1);
        bind_text(st, 3, ins->payer);
        bind_text(st, 4, ins->member_id);
        bind_text(st, 5, ins->group_number);
        bind_text(st, 6, ins->subscriber_name);
        bind_text(st, 7, ins->subscriber_relation);
        bind_text(st, 8, ins->effective_from);
        bind_text(st, 9, ins->effective_to);
        int rc = cl_db_step_once(tx->db, st);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cl_patients_insert(cl_tx_t *tx, const Clinic__Patient *p, uint64_t *id)
{
    char record[24];
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_NEXT_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(tx->db, st);
    uint64_t next = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc <= 0)
        return rc == 0 ? CL_EINTERNAL : rc;
    cl_patients_record_number(next, record);

    if ((st = cl_patients_stmt(tx, Q_PATIENT_INSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)next);
    bind_text(st, 2, record);
    bind_fields(tx, st, p);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    if ((rc = keys_insert(tx, p, next)) < 0 || (rc = insurance_insert(tx, p, next)) < 0)
        return rc;
    *id = next;
    return 0;
}

static int insurance_equal(const Clinic__Insurance *a, const Clinic__Insurance *b)
{
    return strcmp(a->payer, b->payer) == 0 && strcmp(a->member_id, b->member_id) == 0 &&
           strcmp(a->group_number, b->group_number) == 0 &&
           strcmp(a->subscriber_name, b->subscriber_name) == 0 &&
           strcmp(a->subscriber_relation, b->subscriber_relation) == 0 &&
           strcmp(a->effective_from, b->effective_from) == 0 &&
           strcmp(a->effective_to, b->effective_to) == 0;
}

int cl_patients_update(cl_tx_t *tx, const Clinic__Patient *p, const Clinic__Patient *current)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, Q_PATIENT_UPDATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    sqlite3_bind_int64(st, 2, (int64_t)p->version);
    bind_fields(tx, st, p);
    int rc = cl_db_step_once(tx->db, st);
    if (rc <= 0)
        return rc == 0 ? CL_ECONFLICT : rc;

    if ((rc = pairs_step(tx, CL_PQ_PAIRS_DELETE, p->id)) < 0)
        return rc;
    if ((st = cl_patients_stmt(tx, CL_PQ_KEYS_OF_DELETE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    if ((rc = cl_db_step_once(tx->db, st)) < 0 || (rc = keys_insert(tx, p, p->id)) < 0)
        return rc;

    int same = p->n_insurance == current->n_insurance;
    for (size_t i = 0; same && i < p->n_insurance; i++)
        same = insurance_equal(p->insurance[i], current->insurance[i]);
    if (same)
        return 0;
    /* Coverage is financial data: the old rows stay, marked with who replaced them and when. */
    if ((st = cl_patients_stmt(tx, Q_INSURANCE_REMOVE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)p->id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int64(st, 3, tx->job->who.user_id);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    return insurance_insert(tx, p, p->id);
}

/* ---- merges ----------------------------------------------------------------------------- */

/* One kind of row a merge moves: where it lives, how it is listed and announced. */
typedef struct {
    const char *entity; /* in patient_merge_moves, and the change's entity */
    const char *topic;
    const char *topic2; /* a second topic that shows the row (the day's board), or NULL */
    int select;         /* its rows of one patient */
    int move;           /* moves one row: ?1 id, ?2 to, ?3 from */
} movable_t;

/* The entities and topics are the schedule's own (domain/schedule*.c). */
static const movable_t movables[] = {
    {"appointment", CL_TOPIC_SCHEDULE_NAME, CL_TOPIC_BOARD_NAME, CL_PQ_APPOINTMENTS_OF,
     Q_APPOINTMENT_MOVE},
    {"waitlist", CL_TOPIC_WAITLIST_NAME, NULL, Q_WAITLIST_OF, Q_WAITLIST_MOVE},
    {"series", CL_TOPIC_SCHEDULE_NAME, NULL, Q_SERIES_OF, Q_SERIES_MOVE},
};

static const movable_t *movable_find(const char *entity)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(movables); i++)
        if (strcmp(movables[i].entity, entity) == 0)
            return &movables[i];
    return NULL;
}

/* Moves row `id` of `m` from patient `from` to `to`, with its change. Sets *moved (when not
 * NULL) to whether the row was still `from`'s, and so moved. */
static int move_row(cl_tx_t *tx, const movable_t *m, int64_t id, uint64_t from, uint64_t to,
                    int *moved)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, m->move);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (int64_t)to);
    sqlite3_bind_int64(st, 3, (int64_t)from);
    int rc = cl_db_step_once(tx->db, st);
    if (rc < 0)
        return rc;
    if (moved)
        *moved = rc == 1;
    if (rc == 0)
        return 0;
    rc = cl_tx_change(tx, m->topic, m->entity, (uint64_t)id, CLINIC__CHANGE_OP__UPDATED, 0);
    if (rc == 0 && m->topic2 != NULL)
        rc = cl_tx_change(tx, m->topic2, m->entity, (uint64_t)id, CLINIC__CHANGE_OP__UPDATED, 0);
    return rc;
}

/* Moves every row of kind `m` from `from` to `to`, listing each under merge `merge_id`. */
static int move_all(cl_tx_t *tx, const movable_t *m, uint64_t merge_id, uint64_t from, uint64_t to)
{
    cl_arena_t *a = &tx->job->arena;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc;
    /* The ids first: the rows change under the statement that would be reading them. */
    sqlite3_stmt *st = cl_patients_stmt(tx, m->select);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)from);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, ids, n, cap);
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int moved;
        if ((rc = move_row(tx, m, ids[i], from, to, &moved)) < 0)
            return rc;
        if (!moved)
            continue;
        if ((st = cl_patients_stmt(tx, Q_MOVE_INSERT)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, (int64_t)merge_id);
        bind_text(st, 2, m->entity);
        sqlite3_bind_int64(st, 3, ids[i]);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
    }
    return 0;
}

static int set_merged(cl_tx_t *tx, uint64_t id, uint64_t into, uint64_t was)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, Q_SET_MERGED);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, (int64_t)into);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    sqlite3_bind_int64(st, 5, (int64_t)was);
    int rc = cl_db_step_once(tx->db, st);
    return rc == 1 ? 0 : rc == 0 ? CL_ECONFLICT : rc;
}

int cl_patients_merge(cl_tx_t *tx, const Clinic__Patient *kept, const Clinic__Patient *merged,
                      const char *reason, Clinic__PatientMerge **out)
{
    sqlite3_stmt *st = cl_patients_stmt(tx, Q_MERGE_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)kept->id);
    sqlite3_bind_int64(st, 2, (int64_t)merged->id);
    bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    int rc = cl_db_step(tx->db, st);
    uint64_t merge_id = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc <= 0)
        return rc == 0 ? CL_EINTERNAL : rc;
    for (size_t i = 0; i < CL_ARRAY_SIZE(movables); i++)
        if ((rc = move_all(tx, &movables[i], merge_id, merged->id, kept->id)) < 0)
            return rc;
    if ((rc = set_merged(tx, merged->id, kept->id, 0)) < 0)
        return rc;
    return cl_patients_merge_load(tx, merge_id, out);
}

int cl_patients_merge_load(cl_tx_t *tx, uint64_t id, Clinic__PatientMerge **out)
{
    cl_arena_t *a = &tx->job->arena;
    sqlite3_stmt *st = cl_patients_stmt(tx, Q_MERGE_BY_ID);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    int rc = cl_db_step(tx->db, st);
    Clinic__PatientMerge *m = NULL;
    if (rc == 1) {
        m = CL_ARENA_NEW(a, Clinic__PatientMerge);
        clinic__patient_merge__init(m);
        m->id = (uint64_t)sqlite3_column_int64(st, 0);
        m->kept_id = (uint64_t)sqlite3_column_int64(st, 1);
        m->merged_id = (uint64_t)sqlite3_column_int64(st, 2);
        m->reason = col_text(a, st, 3);
        m->merged_at = sqlite3_column_int64(st, 4);
        m->merged_by = col_text(a, st, 5);
        m->undone_at = sqlite3_column_int64(st, 6);
        m->undone_by = col_text(a, st, 7);
    }
    sqlite3_reset(st);
    if (rc <= 0)
        return rc == 0 ? CL_ENOTFOUND : rc;

    if ((st = cl_patients_stmt(tx, Q_MOVE_COUNTS)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        const char *entity = cl_db_text(st, 0);
        uint32_t count = (uint32_t)sqlite3_column_int64(st, 1);
        if (strcmp(entity, "appointment") == 0)
            m->appointments_moved = count;
        else if (strcmp(entity, "waitlist") == 0)
            m->waitlist_moved = count;
        else if (strcmp(entity, "series") == 0)
            m->series_moved = count;
    }
    if (rc < 0)
        return rc;
    *out = m;
    return 0;
}

int cl_patients_unmerge(cl_tx_t *tx, const Clinic__PatientMerge *m)
{
    cl_arena_t *a = &tx->job->arena;
    typedef struct {
        const movable_t *kind;
        int64_t id;
    } move_t;
    move_t *moves = NULL;
    size_t n = 0, cap = 0;
    int rc;
    sqlite3_stmt *st = cl_patients_stmt(tx, CL_PQ_MOVES_OF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)m->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        const movable_t *kind = movable_find(cl_db_text(st, 0));
        if (kind == NULL)
            continue;
        CL_ARENA_RESERVE(a, moves, n, cap);
        moves[n].kind = kind;
        moves[n++].id = sqlite3_column_int64(st, 1);
    }
    if (rc < 0)
        return rc;
    /* A listed row that someone has since given to another patient stays where it is. */
    for (size_t i = 0; i < n; i++)
        if ((rc = move_row(tx, moves[i].kind, moves[i].id, m->kept_id, m->merged_id, NULL)) < 0)
            return rc;
    if ((rc = set_merged(tx, m->merged_id, 0, m->kept_id)) < 0)
        return rc;
    if ((st = cl_patients_stmt(tx, Q_MERGE_UNDO)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)m->id);
    sqlite3_bind_int64(st, 2, tx->now);
    sqlite3_bind_int64(st, 3, tx->job->who.user_id);
    rc = cl_db_step_once(tx->db, st);
    return rc == 1 ? 0 : rc == 0 ? CL_ECONFLICT : rc;
}
