-- Name pairs (issue 4, search on 1,000,000 patients): a clerk types two words, "smi jo", and
-- most patients have a common word that starts like one of them. patient_keys answers each word
-- alone; this table answers the pair in one range of its primary key: for every two different
-- name words A and B of a patient (both at least two letters), the row (first two letters of A,
-- B, A). "smi jo" reads head 'sm', word from 'jo' to 'jp', and keeps the rows whose head_word
-- starts with 'smi'. Kept by the patients handlers in the same transaction as patient_keys, by
-- the statement below and the same rule in server/domain/patients_db.c (CL_PAIRS_OF_PATIENT).
CREATE TABLE patient_name_pairs (
  head TEXT NOT NULL,                          -- the first two letters of one name word: 'sm'
  word TEXT NOT NULL,                          -- another name word of the patient, whole: 'john'
  head_word TEXT NOT NULL,                     -- the first word, whole: 'smith'
  patient_id INTEGER NOT NULL REFERENCES patients(id),
  PRIMARY KEY (head, word, head_word, patient_id)
) WITHOUT ROWID;

INSERT INTO patient_name_pairs (head, word, head_word, patient_id)
  SELECT substr(a.key, 3, 2), substr(b.key, 3), substr(a.key, 3), a.patient_id
  FROM patient_keys a JOIN patient_keys b ON b.patient_id = a.patient_id
  WHERE a.key >= 'n:' AND a.key < 'n;' AND b.key >= 'n:' AND b.key < 'n;' AND b.key <> a.key
    AND length(a.key) >= 4 AND length(b.key) >= 4
  ORDER BY 1, 2, 3, 4;
