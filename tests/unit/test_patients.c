/* Patients: registration and the validation of every field (each failure naming its field),
 * the duplicate check and each of its reasons, search by name, birth date, phone and record
 * number, show, edit with a stale version, merge and unmerge with the rows they move, the audit
 * row of every request, and the plans of the statements that run per request. */
#include "calendar.h"
#include "domain_fixture.h"
#include "patients_int.h"

/* A patient message with its parts, built on the test's stack. */
typedef struct {
    Clinic__Patient p;
    Clinic__PatientAddress addr;
    Clinic__EmergencyContact em;
    Clinic__Insurance ins[2];
    Clinic__Insurance *ins_list[2];
} pt_t;

/* The least a registration needs. */
static void pt_init(pt_t *t, const char *first, const char *last, const char *birth)
{
    memset(t, 0, sizeof(*t));
    clinic__patient__init(&t->p);
    clinic__patient_address__init(&t->addr);
    clinic__emergency_contact__init(&t->em);
    for (int i = 0; i < 2; i++) {
        clinic__insurance__init(&t->ins[i]);
        t->ins_list[i] = &t->ins[i];
    }
    t->p.first_name = (char *)first;
    t->p.last_name = (char *)last;
    t->p.birth_date = (char *)birth;
    t->p.sex = "female";
    t->p.address = &t->addr;
    t->p.emergency = &t->em;
    t->p.insurance = t->ins_list;
}

/* Every field given, valid. */
static void pt_full(pt_t *t)
{
    pt_init(t, "Maria", "Garcia", "1980-04-12");
    t->p.middle_name = "Luisa";
    t->p.preferred_name = "Malu";
    t->p.phone_mobile = "(617) 555-0142";
    t->p.phone_home = "617.555.0199";
    t->p.phone_work = "+1 617 555 0100";
    t->p.email = "maria.garcia@example.org";
    t->addr.line1 = "12 Elm Street";
    t->addr.line2 = "Apt 3";
    t->addr.city = "Boston";
    t->addr.state = "ma";
    t->addr.postal_code = "02118";
    t->p.preferred_contact = "sms";
    t->em.name = "Jorge Garcia";
    t->em.relation = "spouse";
    t->em.phone = "617-555-0143";
    t->ins[0].payer = "Blue Cross";
    t->ins[0].member_id = "XJH-123456789";
    t->ins[0].group_number = "GRP 100";
    t->ins[0].subscriber_name = "Jorge Garcia";
    t->ins[0].subscriber_relation = "spouse";
    t->ins[0].effective_from = "2023-01-01";
    t->ins[0].effective_to = "2023-12-31";
    t->ins[1].payer = "Medicaid";
    t->ins[1].member_id = "MA998877";
    t->p.n_insurance = 2;
    t->p.notes = "Prefers morning visits.\nSpanish speaker.";
}

static cl_job_t *do_register(fx_t *fx, const cl_identity_t *who, Clinic__Patient *p, int force)
{
    Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    r.patient = p;
    r.save_despite_duplicates = force;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r);
}

static cl_job_t *do_search(fx_t *fx, const cl_identity_t *who, const char *query, uint32_t limit)
{
    Clinic__PatientSearchRequest r = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    r.query = (char *)query;
    r.limit = limit;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &r);
}

static cl_job_t *do_show(fx_t *fx, const cl_identity_t *who, uint64_t id, const char *record)
{
    Clinic__PatientShowRequest r = CLINIC__PATIENT_SHOW_REQUEST__INIT;
    r.id = id;
    r.record_number = (char *)(record ? record : "");
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_SHOW, &r);
}

static cl_job_t *do_edit(fx_t *fx, const cl_identity_t *who, Clinic__Patient *p)
{
    Clinic__PatientEditRequest r = CLINIC__PATIENT_EDIT_REQUEST__INIT;
    r.patient = p;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_EDIT, &r);
}

static cl_job_t *do_merge(fx_t *fx, const cl_identity_t *who, uint64_t keep, uint64_t keep_version,
                          uint64_t merge, uint64_t merge_version, const char *reason)
{
    Clinic__PatientMergeRequest r = CLINIC__PATIENT_MERGE_REQUEST__INIT;
    r.keep_id = keep;
    r.keep_version = keep_version;
    r.merge_id = merge;
    r.merge_version = merge_version;
    r.reason = (char *)reason;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_MERGE, &r);
}

static cl_job_t *do_unmerge(fx_t *fx, const cl_identity_t *who, uint64_t merge_id)
{
    Clinic__PatientUnmergeRequest r = CLINIC__PATIENT_UNMERGE_REQUEST__INIT;
    r.merge_id = merge_id;
    return fx_call(fx, who, CLINIC__REQUEST__BODY_PATIENT_UNMERGE, &r);
}

/* Registers a patient (saving despite duplicates) and returns its id. */
static uint64_t add_patient(fx_t *fx, const cl_identity_t *who, const char *first, const char *last,
                            const char *birth, const char *mobile)
{
    pt_t t;
    pt_init(&t, first, last, birth);
    t.p.phone_mobile = (char *)(mobile ? mobile : "");
    cl_job_t *job = do_register(fx, who, &t.p, 1);
    if (job->status != 0)
        CL_FAIL("register %s %s: %s", first, last, fx_message(job));
    ASSERT(job->resp.patient_register->saved);
    uint64_t id = job->resp.patient_register->patient->id;
    cl_job_free(job);
    return id;
}

static int64_t patient_version(fx_t *fx, uint64_t id)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT version FROM patients WHERE id = %" PRIu64, id);
    return fx_int(fx, sql, NULL);
}

/* Whether a search reply lists patient `id`. */
static int lists(const cl_job_t *job, uint64_t id)
{
    const Clinic__PatientSearchReply *r = job->resp.patient_search;
    for (size_t i = 0; i < r->n_patients; i++)
        if (r->patients[i]->id == id)
            return 1;
    return 0;
}

/* Searches and asserts success; returns the number of patients found. The job is freed. */
static size_t found(fx_t *fx, const cl_identity_t *who, const char *query, uint64_t must_list)
{
    cl_job_t *job = do_search(fx, who, query, 0);
    if (job->status != 0)
        CL_FAIL("search \"%s\": %s", query, fx_message(job));
    if (must_list && !lists(job, must_list))
        CL_FAIL("search \"%s\" does not find patient %" PRIu64, query, must_list);
    size_t n = job->resp.patient_search->n_patients;
    cl_job_free(job);
    return n;
}

/* Asserts that `job` was refused with `want` on `field` while keeping its writes (its audit
 * row): the store reports job->refused as the status after the commit. */
#define ASSERT_REFUSED(job, want, field)                                                           \
    do {                                                                                           \
        const cl_job_t *r_ = (job);                                                                \
        ASSERT_OK(r_->status);                                                                     \
        ASSERT_EQ(r_->refused, (want));                                                            \
        ASSERT_NOT_NULL(r_->resp.status);                                                          \
        ASSERT_EQ(r_->resp.status->code, cl_status_code(want));                                    \
        ASSERT_STR_EQ(fx_field(r_), (field));                                                      \
    } while (0)

typedef struct {
    fx_t fx;
    cl_identity_t desk, manager, biller;
} world_t;

static void world_open(world_t *w)
{
    fx_open(&w->fx);
    fx_user(&w->fx, "desk", CL_ROLE_front_desk);
    fx_user(&w->fx, "boss", CL_ROLE_manager);
    fx_user(&w->fx, "bill", CL_ROLE_biller);
    w->desk = fx_who(&w->fx, "desk");
    w->manager = fx_who(&w->fx, "boss");
    w->biller = fx_who(&w->fx, "bill");
}

/* ---- registration ----------------------------------------------------------------------- */

CL_TEST(register_saves_normalized_record_keys_and_audit)
{
    world_t w;
    world_open(&w);
    int64_t audit = fx_audit_rows(&w.fx), changes = fx_change_rows(&w.fx);
    pt_t t;
    pt_full(&t);
    cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_PATIENT_REGISTER);
    const Clinic__PatientRegisterReply *r = job->resp.patient_register;
    ASSERT(r->saved);
    ASSERT_EQ(r->n_duplicates, 0);
    const Clinic__Patient *p = r->patient;
    ASSERT_EQ(p->id, 1);
    ASSERT_STR_EQ(p->record_number, "P0000001");
    ASSERT_STR_EQ(p->first_name, "Maria");
    ASSERT_STR_EQ(p->preferred_name, "Malu");
    ASSERT_STR_EQ(p->phone_mobile, "6175550142");
    ASSERT_STR_EQ(p->phone_home, "6175550199");
    ASSERT_STR_EQ(p->phone_work, "6175550100");
    ASSERT_STR_EQ(p->address->state, "MA");
    ASSERT_STR_EQ(p->address->city, "Boston");
    ASSERT_STR_EQ(p->preferred_contact, "sms");
    ASSERT_STR_EQ(p->emergency->phone, "6175550143");
    ASSERT_STR_EQ(p->notes, "Prefers morning visits.\nSpanish speaker.");
    ASSERT_EQ(p->n_insurance, 2);
    ASSERT_STR_EQ(p->insurance[0]->payer, "Blue Cross");
    ASSERT_STR_EQ(p->insurance[1]->member_id, "MA998877");
    ASSERT_STR_EQ(p->insurance[1]->subscriber_relation, "self");
    ASSERT_EQ(p->version, 1);
    ASSERT_EQ(p->merged_into, 0);
    ASSERT_STR_EQ(p->updated_by, "desk");

    /* One key per name token and per own phone; the emergency contact's number is no key. */
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_keys WHERE patient_id = 1", NULL), 7);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_keys WHERE key = ?1", "n:malu"), 1);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_keys WHERE key = ?1", "p:6175550100"), 1);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_keys WHERE key = ?1", "p:6175550143"), 0);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM insurance WHERE patient_id = 1", NULL), 2);

    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "desk", "patient.register", "patient", 1);
    ASSERT_EQ(fx_change_rows(&w.fx), changes + 1);
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT_STR_EQ(job->changes->topic, "patients");
    ASSERT_STR_EQ(job->changes->entity, "patient");
    ASSERT_EQ(job->changes->entity_id, 1);
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__CREATED);
    cl_job_free(job);

    /* The next one gets the next record number. */
    ASSERT_EQ(add_patient(&w.fx, &w.desk, "Ann", "Lee", "1990-01-01", NULL), 2);
    job = do_show(&w.fx, &w.desk, 2, NULL);
    ASSERT_STR_EQ(job->resp.patient_show->patient->record_number, "P0000002");
    /* Defaults: no phone, no email, no address: contact "phone"; no insurance. */
    ASSERT_STR_EQ(job->resp.patient_show->patient->preferred_contact, "phone");
    ASSERT_EQ(job->resp.patient_show->patient->n_insurance, 0);
    cl_job_free(job);
    fx_close(&w.fx);
}

CL_TEST(record_number_has_seven_digits_and_grows_past_them)
{
    char out[24];
    cl_patients_record_number(42, out);
    ASSERT_STR_EQ(out, "P0000042");
    cl_patients_record_number(12345678, out);
    ASSERT_STR_EQ(out, "P12345678");
}

/* One invalid field: how to break the full record, and the field the error must name. */
typedef struct {
    const char *field;
    void (*spoil)(pt_t *t);
} bad_case_t;

#define SPOIL(fn, stmt)                                                                            \
    static void fn(pt_t *t)                                                                        \
    {                                                                                              \
        stmt;                                                                                      \
    }

static char long64[66], long2001[2002], long129[131];

SPOIL(no_first, t->p.first_name = "")
SPOIL(blank_first, t->p.first_name = "   ")
SPOIL(long_first, t->p.first_name = long64)
SPOIL(ctl_first, t->p.first_name = "Ma\tria")
SPOIL(utf8_first, t->p.first_name = "Mar\xc3")
SPOIL(punct_first, t->p.first_name = "--")
SPOIL(long_middle, t->p.middle_name = long64)
SPOIL(no_last, t->p.last_name = "")
SPOIL(nl_last, t->p.last_name = "Gar\ncia")
SPOIL(long_preferred, t->p.preferred_name = long64)
SPOIL(no_birth, t->p.birth_date = "")
SPOIL(fake_birth, t->p.birth_date = "2023-02-29")
SPOIL(shape_birth, t->p.birth_date = "12/04/1980")
SPOIL(old_birth, t->p.birth_date = "1879-12-31")
SPOIL(no_sex, t->p.sex = "")
SPOIL(bad_sex, t->p.sex = "F")
SPOIL(short_mobile, t->p.phone_mobile = "555-0142")
SPOIL(uk_home, t->p.phone_home = "+44 20 7946 0958")
SPOIL(zero_area_work, t->p.phone_work = "017 555 0100")
SPOIL(ext_mobile, t->p.phone_mobile = "617-555-0142 x12")
SPOIL(letters_home, t->p.phone_home = "617-CALL-NOW")
SPOIL(email_no_at, t->p.email = "maria.example.org")
SPOIL(email_two_at, t->p.email = "maria@@example.org")
SPOIL(email_no_tld, t->p.email = "maria@localhost")
SPOIL(email_space, t->p.email = "maria garcia@example.org")
SPOIL(email_dots, t->p.email = "maria..g@example.org")
SPOIL(email_dash, t->p.email = "maria@-example.org")
SPOIL(long_line1, t->addr.line1 = long129)
SPOIL(no_line1, t->addr.line1 = "")
SPOIL(no_city, t->addr.city = "")
SPOIL(bad_state, t->addr.state = "XX")
SPOIL(no_state, t->addr.state = "")
SPOIL(bad_zip, t->addr.postal_code = "0211")
SPOIL(bad_zip4, t->addr.postal_code = "02118-12")
SPOIL(bad_contact, t->p.preferred_contact = "fax")
SPOIL(sms_no_mobile, t->p.phone_mobile = "")
SPOIL(em_no_name, t->em.name = "")
SPOIL(em_bad_phone, t->em.phone = "911")
SPOIL(ins_no_payer, t->ins[0].payer = "")
SPOIL(ins_no_member, t->ins[1].member_id = "")
SPOIL(ins_bad_member, t->ins[0].member_id = "XJH 123")
SPOIL(ins_bad_group, t->ins[0].group_number = "G#1")
SPOIL(ins_bad_relation, t->ins[0].subscriber_relation = "cousin")
SPOIL(ins_no_subscriber, t->ins[0].subscriber_name = "")
SPOIL(ins_bad_from, t->ins[1].effective_from = "2023-13-01")
SPOIL(ins_backwards, t->ins[0].effective_to = "2022-12-31")
SPOIL(long_notes, t->p.notes = long2001)
SPOIL(ctl_notes, t->p.notes = "bell \a")

static const bad_case_t bad_cases[] = {
    {"patient.first_name", no_first},
    {"patient.first_name", blank_first},
    {"patient.first_name", long_first},
    {"patient.first_name", ctl_first},
    {"patient.first_name", utf8_first},
    {"patient.first_name", punct_first},
    {"patient.middle_name", long_middle},
    {"patient.last_name", no_last},
    {"patient.last_name", nl_last},
    {"patient.preferred_name", long_preferred},
    {"patient.birth_date", no_birth},
    {"patient.birth_date", fake_birth},
    {"patient.birth_date", shape_birth},
    {"patient.birth_date", old_birth},
    {"patient.sex", no_sex},
    {"patient.sex", bad_sex},
    {"patient.phone_mobile", short_mobile},
    {"patient.phone_home", uk_home},
    {"patient.phone_work", zero_area_work},
    {"patient.phone_mobile", ext_mobile},
    {"patient.phone_home", letters_home},
    {"patient.email", email_no_at},
    {"patient.email", email_two_at},
    {"patient.email", email_no_tld},
    {"patient.email", email_space},
    {"patient.email", email_dots},
    {"patient.email", email_dash},
    {"patient.address.line1", long_line1},
    {"patient.address.line1", no_line1},
    {"patient.address.city", no_city},
    {"patient.address.state", bad_state},
    {"patient.address.state", no_state},
    {"patient.address.postal_code", bad_zip},
    {"patient.address.postal_code", bad_zip4},
    {"patient.preferred_contact", bad_contact},
    {"patient.preferred_contact", sms_no_mobile},
    {"patient.emergency.name", em_no_name},
    {"patient.emergency.phone", em_bad_phone},
    {"patient.insurance[0].payer", ins_no_payer},
    {"patient.insurance[1].member_id", ins_no_member},
    {"patient.insurance[0].member_id", ins_bad_member},
    {"patient.insurance[0].group_number", ins_bad_group},
    {"patient.insurance[0].subscriber_relation", ins_bad_relation},
    {"patient.insurance[0].subscriber_name", ins_no_subscriber},
    {"patient.insurance[1].effective_from", ins_bad_from},
    {"patient.insurance[0].effective_to", ins_backwards},
    {"patient.notes", long_notes},
    {"patient.notes", ctl_notes},
};

CL_TEST(register_names_each_invalid_field)
{
    memset(long64, 'x', 65);
    memset(long129, 'x', 129);
    memset(long2001, 'x', 2001);
    world_t w;
    world_open(&w);
    int64_t audit = fx_audit_rows(&w.fx), changes = fx_change_rows(&w.fx);
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad_cases); i++) {
        pt_t t;
        pt_full(&t);
        bad_cases[i].spoil(&t);
        cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 1);
        if (job->status != CL_EINVAL || strcmp(fx_field(job), bad_cases[i].field) != 0)
            CL_FAIL("case %zu: want INVALID_ARGUMENT on %s, got %s on \"%s\": %s", i,
                    bad_cases[i].field, cl_status_name(job->status), fx_field(job),
                    fx_message(job));
        FX_ASSERT_FAILED(job, CL_EINVAL, bad_cases[i].field);
        ASSERT_STR_CONTAINS(fx_message(job), bad_cases[i].field);
        cl_job_free(job);
    }
    ASSERT_EQ(fx_audit_rows(&w.fx), audit);
    ASSERT_EQ(fx_change_rows(&w.fx), changes);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patients", NULL), 0);

    /* A missing record names "patient". */
    cl_job_t *job = do_register(&w.fx, &w.desk, NULL, 1);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient");
    cl_job_free(job);
    /* More than eight plans. */
    pt_t t;
    pt_full(&t);
    Clinic__Insurance *nine[9];
    for (int i = 0; i < 9; i++)
        nine[i] = &t.ins[1];
    t.p.insurance = nine;
    t.p.n_insurance = 9;
    job = do_register(&w.fx, &w.desk, &t.p, 1);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient.insurance");
    cl_job_free(job);
    fx_close(&w.fx);
}

CL_TEST(register_accepts_the_edges_of_each_rule)
{
    world_t w;
    world_open(&w);
    cl_date_t today = cl_date_of(w.fx.now);
    char today_s[11], tomorrow_s[11];
    cl_date_format(today, today_s);
    cl_date_format(cl_date_add(today, 1), tomorrow_s);

    pt_t t;
    pt_init(&t, "Newborn", "Baby", today_s);
    FX_ASSERT_OK_FREE(do_register(&w.fx, &w.desk, &t.p, 1));
    pt_init(&t, "Future", "Baby", tomorrow_s);
    cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 1);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient.birth_date");
    ASSERT_STR_CONTAINS(fx_message(job), "future");
    cl_job_free(job);

    /* Every phone shape reduces to the same ten digits. */
    static const char *const shapes[] = {"6175550142",      "(617) 555-0142", "617.555.0142",
                                         "+1 617 555 0142", "1-617-555-0142", "+16175550142",
                                         " 617 555 0142 "};
    for (size_t i = 0; i < CL_ARRAY_SIZE(shapes); i++) {
        pt_init(&t, "Phone", "Shape", "1970-01-01");
        t.p.phone_home = (char *)shapes[i];
        job = do_register(&w.fx, &w.desk, &t.p, 1);
        if (job->status != 0)
            CL_FAIL("phone \"%s\": %s", shapes[i], fx_message(job));
        ASSERT_STR_EQ(job->resp.patient_register->patient->phone_home, "6175550142");
        cl_job_free(job);
    }

    pt_full(&t);
    t.p.first_name = "  José  ";
    t.p.last_name = "O'Brien-Núñez";
    t.p.birth_date = "1880-01-01";
    t.p.sex = "unknown";
    t.p.email = "a.b+c@mail.example.co";
    t.addr.postal_code = "02118-1234";
    t.addr.state = "pr";
    t.p.preferred_contact = "";
    t.ins[0].effective_to = "2023-01-01"; /* one day of coverage */
    char name64[65];
    memset(name64, 'y', 64);
    name64[64] = '\0';
    t.p.middle_name = name64;
    job = do_register(&w.fx, &w.desk, &t.p, 1);
    if (job->status != 0)
        CL_FAIL("edges: %s", fx_message(job));
    const Clinic__Patient *p = job->resp.patient_register->patient;
    ASSERT_STR_EQ(p->first_name, "José");
    ASSERT_STR_EQ(p->address->state, "PR");
    ASSERT_STR_EQ(p->preferred_contact, "phone"); /* chosen: a phone is given */
    cl_job_free(job);

    /* Contact chosen from what is given: email, then mail. */
    pt_init(&t, "Mail", "Only", "1970-01-01");
    t.p.email = "only@example.org";
    job = do_register(&w.fx, &w.desk, &t.p, 1);
    ASSERT_STR_EQ(job->resp.patient_register->patient->preferred_contact, "email");
    cl_job_free(job);
    fx_close(&w.fx);
}

/* ---- duplicates ------------------------------------------------------------------------- */

/* Registers `p` without force and asserts that it found exactly the one duplicate `id` for
 * `reason` and saved nothing but the check's audit row. */
static void expect_duplicate(world_t *w, Clinic__Patient *p, uint64_t id, const char *reason)
{
    int64_t audit = fx_audit_rows(&w->fx), changes = fx_change_rows(&w->fx);
    int64_t patients = fx_int(&w->fx, "SELECT count(*) FROM patients", NULL);
    cl_job_t *job = do_register(&w->fx, &w->desk, p, 0);
    ASSERT_OK(job->status);
    const Clinic__PatientRegisterReply *r = job->resp.patient_register;
    ASSERT(!r->saved);
    ASSERT_NULL(r->patient);
    if (r->n_duplicates != 1)
        CL_FAIL("%s %s: %zu duplicates, want 1", p->first_name, p->last_name, r->n_duplicates);
    ASSERT_EQ(r->duplicates[0]->patient->id, id);
    int has = 0;
    for (size_t i = 0; i < r->duplicates[0]->n_reasons; i++)
        has |= strcmp(r->duplicates[0]->reasons[i], reason) == 0;
    if (!has)
        CL_FAIL("%s %s: reason %s missing (first: %s)", p->first_name, p->last_name, reason,
                r->duplicates[0]->n_reasons ? r->duplicates[0]->reasons[0] : "none");
    ASSERT_EQ(fx_int(&w->fx, "SELECT count(*) FROM patients", NULL), patients);
    ASSERT_EQ(fx_audit_rows(&w->fx), audit + 1);
    fx_assert_last_audit(&w->fx, "desk", "patient.duplicates", "patient", 0);
    ASSERT_EQ(fx_change_rows(&w->fx), changes);
    ASSERT_EQ(fx_job_changes(job), 0);
    cl_job_free(job);
}

CL_TEST(duplicates_by_name_and_birth_date)
{
    world_t w;
    world_open(&w);
    uint64_t id = add_patient(&w.fx, &w.desk, "José", "Núñez", "1975-06-30", NULL);
    add_patient(&w.fx, &w.desk, "Jose", "Nunez", "1975-07-01", NULL); /* another day */
    pt_t t;
    pt_init(&t, "JOSE", "nunez", "1975-06-30");
    expect_duplicate(&w, &t.p, id, "name_and_birth_date");
    fx_close(&w.fx);
}

CL_TEST(duplicates_by_phone)
{
    world_t w;
    world_open(&w);
    uint64_t id = add_patient(&w.fx, &w.desk, "Alice", "Walker", "1960-02-02", "617-555-0101");
    pt_t t;
    pt_init(&t, "Robert", "Brown", "1999-09-09");
    t.p.phone_work = "(617) 555 0101";
    expect_duplicate(&w, &t.p, id, "phone");
    fx_close(&w.fx);
}

CL_TEST(duplicates_by_close_spelling)
{
    world_t w;
    world_open(&w);
    uint64_t smith = add_patient(&w.fx, &w.desk, "Jonathan", "Smith", "1988-03-03", NULL);
    uint64_t kowalski = add_patient(&w.fx, &w.desk, "Katarzyna", "Kowalski", "1950-05-05", NULL);
    uint64_t lee = add_patient(&w.fx, &w.desk, "Min", "Lee", "2001-01-01", NULL);
    uint64_t park = add_patient(&w.fx, &w.desk, "Robert", "Park", "1970-10-10", NULL);
    pt_t t;
    pt_init(&t, "Jonathon", "Smyth", "1988-03-03"); /* one edit in each name */
    expect_duplicate(&w, &t.p, smith, "similar_name");
    pt_init(&t, "Katarzina", "Kowalsky", "1950-05-05");
    expect_duplicate(&w, &t.p, kowalski, "similar_name");
    pt_init(&t, "J", "Smith", "1988-03-03"); /* an initial and the last name */
    expect_duplicate(&w, &t.p, smith, "similar_name");
    pt_init(&t, "Lee", "Min", "2001-01-01"); /* first and last swapped */
    expect_duplicate(&w, &t.p, lee, "similar_name");
    pt_init(&t, "Bob", "Park", "1970-10-10");
    t.p.preferred_name = "Robert";
    expect_duplicate(&w, &t.p, park, "similar_name");

    /* Not close: short names allow one edit only; another birth date is never a name match. */
    pt_init(&t, "Mia", "Lim", "2001-01-01");
    cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 0);
    ASSERT(job->resp.patient_register->saved);
    cl_job_free(job);
    pt_init(&t, "Jonathan", "Smith", "1988-03-04");
    job = do_register(&w.fx, &w.desk, &t.p, 0);
    ASSERT(job->resp.patient_register->saved);
    cl_job_free(job);
    fx_close(&w.fx);
}

CL_TEST(duplicates_list_each_patient_once_with_all_reasons)
{
    world_t w;
    world_open(&w);
    uint64_t a = add_patient(&w.fx, &w.desk, "Grace", "Hopper", "1906-12-09", "212-555-0199");
    uint64_t b = add_patient(&w.fx, &w.desk, "Howard", "Aiken", "1900-03-08", "212-555-0199");
    pt_t t;
    pt_init(&t, "Grace", "Hopper", "1906-12-09");
    t.p.phone_mobile = "2125550199";
    t.p.phone_home = "2125550199";
    cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 0);
    const Clinic__PatientRegisterReply *r = job->resp.patient_register;
    ASSERT(!r->saved);
    ASSERT_EQ(r->n_duplicates, 2);
    ASSERT_EQ(r->duplicates[0]->patient->id, a);
    ASSERT_EQ(r->duplicates[0]->n_reasons, 2);
    ASSERT_STR_EQ(r->duplicates[0]->reasons[0], "name_and_birth_date");
    ASSERT_STR_EQ(r->duplicates[0]->reasons[1], "phone");
    ASSERT_EQ(r->duplicates[1]->patient->id, b);
    ASSERT_EQ(r->duplicates[1]->n_reasons, 1);
    ASSERT_STR_EQ(r->duplicates[1]->patient->record_number, "P0000002");
    cl_job_free(job);

    /* Saving anyway is the explicit flag, and then the check is not run. */
    int64_t audit = fx_audit_rows(&w.fx);
    job = do_register(&w.fx, &w.desk, &t.p, 1);
    ASSERT_OK(job->status);
    ASSERT(job->resp.patient_register->saved);
    ASSERT_EQ(job->resp.patient_register->n_duplicates, 0);
    ASSERT_EQ(job->resp.patient_register->patient->id, 3);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "desk", "patient.register", "patient", 3);
    cl_job_free(job);
    fx_close(&w.fx);
}

/* ---- search ----------------------------------------------------------------------------- */

CL_TEST(search_names_in_any_order_by_prefix_folded)
{
    world_t w;
    world_open(&w);
    uint64_t john = add_patient(&w.fx, &w.desk, "John", "Smith", "1980-01-01", NULL);
    uint64_t jose = add_patient(&w.fx, &w.desk, "José", "Álvarez", "1970-01-01", NULL);
    uint64_t jo = add_patient(&w.fx, &w.desk, "Joanna", "Smithers", "1990-01-01", NULL);
    uint64_t ann = add_patient(&w.fx, &w.desk, "Ann", "O'Brien-Smith", "1960-01-01", NULL);
    add_patient(&w.fx, &w.desk, "Peter", "Jones", "1950-01-01", NULL);

    ASSERT_EQ(found(&w.fx, &w.desk, "smi jo", john), 2); /* John Smith, Joanna Smithers */
    ASSERT_EQ(found(&w.fx, &w.desk, "jo smi", jo), 2);
    ASSERT_EQ(found(&w.fx, &w.desk, "SMITH JOHN", john), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "jose", jose), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "JOSÉ alv", jose), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "alvarez", jose), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "obrien", ann), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "o'brien", ann), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "smith", ann), 3); /* Smith, Smithers, O'Brien-Smith */
    ASSERT_EQ(found(&w.fx, &w.desk, "smithe", jo), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "zed", 0), 0);
    ASSERT_EQ(found(&w.fx, &w.desk, "john zed", 0), 0);
    /* A patient matching the range with two names comes once ("jo": John, Jones...). */
    uint64_t jj = add_patient(&w.fx, &w.desk, "Joe", "Johnson", "1991-01-01", NULL);
    cl_job_t *job = do_search(&w.fx, &w.desk, "jo", 0);
    ASSERT_OK(job->status);
    size_t seen = 0;
    for (size_t i = 0; i < job->resp.patient_search->n_patients; i++)
        seen += job->resp.patient_search->patients[i]->id == jj;
    ASSERT_EQ(seen, 1);
    ASSERT_EQ(job->resp.patient_search->n_patients, 5); /* John, José, Joanna, Peter Jones, Joe */
    cl_job_free(job);
    fx_close(&w.fx);
}

/* Whether every word of `query` starts a name word of "first middle last" (folded): the rule
 * a search answers, checked here without the database. */
static int matches(const char *query, const char *first, const char *middle, const char *last)
{
    char name[256];
    snprintf(name, sizeof(name), "%s %s %s", first, middle, last);
    cl_fold_token_t q[8], t[8];
    size_t nq = cl_fold_tokens(query, strlen(query), q, 8);
    size_t nt = cl_fold_tokens(name, strlen(name), t, 8);
    for (size_t i = 0; i < nq; i++) {
        int hit = 0;
        for (size_t j = 0; j < nt && !hit; j++)
            hit = strncmp(t[j], q[i], strlen(q[i])) == 0;
        if (!hit)
            return 0;
    }
    return 1;
}

/* Two-word queries are answered from the name pairs (0007_name_pairs.sql) when neither word
 * starts the other: the same patients as the rule says, for every query of a grid of prefixes
 * over a grid of names, and the pairs follow an edit and a merge. */
CL_TEST(search_by_name_pairs_finds_what_the_rule_says)
{
    static const char *const firsts[] = {"John", "Joan", "Jo", "Mary", "Смирнов", "José"};
    static const char *const middles[] = {"", "Quincy", "Jon"};
    static const char *const lasts[] = {"Smith", "Smithson", "Smythe", "Johnson", "Иван", "Muñoz"};
    static const char *const queries[] = {
        "smi jo", "jo smi",  "sm jo",     "smy j",   "joh smi", "jo joh", "smith john",
        "mu jo",  "MUÑ JOS", "ив см",     "см ив",   "jo q",    "qu smi", "smi jo qu",
        "jo jon", "mar smi", "smith joh", "jon jo",  "joa sm",  "s j",    "smi jo jon",
        "sm sm",  "john jo", "smit smy",  "ma mu qu"};
    world_t w;
    world_open(&w);
    enum { N = 6 * 3 * 6 };
    uint64_t ids[N];
    size_t k = 0;
    for (size_t f = 0; f < CL_ARRAY_SIZE(firsts); f++)
        for (size_t m = 0; m < CL_ARRAY_SIZE(middles); m++)
            for (size_t l = 0; l < CL_ARRAY_SIZE(lasts); l++, k++) {
                pt_t t;
                pt_init(&t, firsts[f], lasts[l], "1980-01-01");
                t.p.middle_name = (char *)middles[m];
                cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 1);
                ASSERT_OK(job->status);
                ids[k] = job->resp.patient_register->patient->id;
                cl_job_free(job);
            }
    for (size_t q = 0; q < CL_ARRAY_SIZE(queries); q++) {
        cl_job_t *job = do_search(&w.fx, &w.desk, queries[q], 100);
        ASSERT_OK(job->status);
        size_t want = 0;
        k = 0;
        for (size_t f = 0; f < CL_ARRAY_SIZE(firsts); f++)
            for (size_t m = 0; m < CL_ARRAY_SIZE(middles); m++)
                for (size_t l = 0; l < CL_ARRAY_SIZE(lasts); l++, k++) {
                    int should = matches(queries[q], firsts[f], middles[m], lasts[l]);
                    want += (size_t)should;
                    if (should != lists(job, ids[k]))
                        CL_FAIL("\"%s\" and %s %s %s: %s", queries[q], firsts[f], middles[m],
                                lasts[l], should ? "not found" : "found");
                }
        ASSERT_EQ(job->resp.patient_search->n_patients, want);
        cl_job_free(job);
    }

    /* An edit moves the pairs: John Quincy Smith (ids[6]) becomes John Quincy Brown. */
    uint64_t id = ids[1 * 6 + 0];
    cl_job_t *job = do_show(&w.fx, &w.desk, id, NULL);
    ASSERT_OK(job->status);
    Clinic__Patient *p = job->resp.patient_show->patient;
    ASSERT_STR_EQ(p->middle_name, "Quincy");
    p->last_name = "Brown";
    cl_job_t *edit = do_edit(&w.fx, &w.desk, p);
    ASSERT_OK(edit->status);
    cl_job_free(edit);
    cl_job_free(job);
    ASSERT_EQ(found(&w.fx, &w.desk, "bro qu", id), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "bro jo", id), 1);
    job = do_search(&w.fx, &w.desk, "smi qu", 100);
    ASSERT_OK(job->status);
    ASSERT(!lists(job, id));
    cl_job_free(job);
    ASSERT_EQ(fx_int(&w.fx,
                     "SELECT count(*) FROM patient_name_pairs WHERE head_word = 'smith' "
                     "AND patient_id = (SELECT id FROM patients WHERE last_name = 'Brown')",
                     NULL),
              0);

    /* A record merged away leaves the pair search as it leaves the others. */
    FX_ASSERT_OK_FREE(do_merge(&w.fx, &w.manager, ids[0], (uint64_t)patient_version(&w.fx, ids[0]),
                               ids[1], (uint64_t)patient_version(&w.fx, ids[1]), "same person"));
    job = do_search(&w.fx, &w.desk, "smi jo", 100);
    ASSERT_OK(job->status);
    ASSERT(lists(job, ids[0]));
    ASSERT(!lists(job, ids[1]));
    cl_job_free(job);
    fx_close(&w.fx);
}

CL_TEST(search_by_birth_date_phone_and_record_number)
{
    world_t w;
    world_open(&w);
    uint64_t a = add_patient(&w.fx, &w.desk, "Ada", "Lovelace", "1915-12-10", "617-555-0101");
    uint64_t b = add_patient(&w.fx, &w.desk, "Alan", "Turing", "1912-06-23", "617-555-0202");
    uint64_t c = add_patient(&w.fx, &w.desk, "Kurt", "Godel", "1915-12-10", "508-555-0303");

    cl_job_t *job = do_search(&w.fx, &w.desk, "1915-12-10", 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.patient_search->n_patients, 2);
    ASSERT_EQ(job->resp.patient_search->patients[0]->id, a); /* by id */
    ASSERT_EQ(job->resp.patient_search->patients[1]->id, c);
    cl_job_free(job);
    ASSERT_EQ(found(&w.fx, &w.desk, "12/10/1915", c), 2);
    ASSERT_EQ(found(&w.fx, &w.desk, "6/23/1912", b), 1);

    /* Phone digits: a prefix of the stored number, punctuation ignored. */
    ASSERT_EQ(found(&w.fx, &w.desk, "6175", a), 2);
    ASSERT_EQ(found(&w.fx, &w.desk, "6175", b), 2);
    ASSERT_EQ(found(&w.fx, &w.desk, "(617) 555-02", b), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "617-555-0202", b), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "+1 617 555 0202", b), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "1-508-555-0303", c), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "5559", 0), 0); /* not a suffix search */

    /* Record numbers, as printed or short. */
    ASSERT_EQ(found(&w.fx, &w.desk, "P0000002", b), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "p2", b), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "P9", 0), 0);
    fx_close(&w.fx);
}

CL_TEST(search_rejects_bad_queries_and_limits)
{
    static const char *const bad[] = {"",           "   ",        "12",        "+44 20 7946",
                                      "2023-02-30", "13/01/1990", "a b c d e", "..."};
    world_t w;
    world_open(&w);
    int64_t audit = fx_audit_rows(&w.fx);
    for (size_t i = 0; i < CL_ARRAY_SIZE(bad); i++) {
        cl_job_t *job = do_search(&w.fx, &w.desk, bad[i], 0);
        if (job->status != CL_EINVAL)
            CL_FAIL("query \"%s\": %s", bad[i], cl_status_name(job->status));
        FX_ASSERT_FAILED(job, CL_EINVAL, "query");
        cl_job_free(job);
    }
    char long_query[210];
    memset(long_query, 'a', 201);
    long_query[201] = '\0';
    cl_job_t *job = do_search(&w.fx, &w.desk, long_query, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "query");
    cl_job_free(job);
    job = do_search(&w.fx, &w.desk, "smith", 101);
    FX_ASSERT_FAILED(job, CL_EINVAL, "limit");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit);
    fx_close(&w.fx);
}

CL_TEST(search_limit_and_more)
{
    world_t w;
    world_open(&w);
    for (int i = 0; i < 25; i++) {
        char first[16];
        snprintf(first, sizeof(first), "Kid%02d", i);
        add_patient(&w.fx, &w.desk, first, "Doe", "2010-01-01", NULL);
    }
    cl_job_t *job = do_search(&w.fx, &w.desk, "doe", 0);
    ASSERT_EQ(job->resp.patient_search->n_patients, 20);
    ASSERT(job->resp.patient_search->more);
    cl_job_free(job);
    job = do_search(&w.fx, &w.desk, "doe", 25);
    ASSERT_EQ(job->resp.patient_search->n_patients, 25);
    ASSERT(!job->resp.patient_search->more);
    cl_job_free(job);
    job = do_search(&w.fx, &w.desk, "2010-01-01", 5);
    ASSERT_EQ(job->resp.patient_search->n_patients, 5);
    ASSERT(job->resp.patient_search->more);
    cl_job_free(job);
    job = do_search(&w.fx, &w.desk, "doe kid1", 100);
    ASSERT_EQ(job->resp.patient_search->n_patients, 10);
    cl_job_free(job);
    fx_close(&w.fx);
}

CL_TEST(search_is_audited_without_the_query)
{
    world_t w;
    world_open(&w);
    add_patient(&w.fx, &w.desk, "John", "Smith", "1980-01-01", NULL);
    int64_t audit = fx_audit_rows(&w.fx), changes = fx_change_rows(&w.fx);
    ASSERT_EQ(found(&w.fx, &w.biller, "smith", 1), 1);
    ASSERT_EQ(found(&w.fx, &w.biller, "nobody", 0), 0);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 2);
    fx_assert_last_audit(&w.fx, "bill", "patient.search", "patient", 0);
    ASSERT_EQ(fx_change_rows(&w.fx), changes);
    fx_close(&w.fx);
}

/* ---- show and edit ---------------------------------------------------------------------- */

CL_TEST(show_by_id_or_record_number)
{
    world_t w;
    world_open(&w);
    pt_t t;
    pt_full(&t);
    cl_job_t *job = do_register(&w.fx, &w.desk, &t.p, 1);
    cl_job_free(job);
    int64_t audit = fx_audit_rows(&w.fx);
    job = do_show(&w.fx, &w.biller, 1, NULL);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_PATIENT_SHOW);
    ASSERT_EQ(job->resp.patient_show->patient->n_insurance, 2);
    ASSERT_STR_EQ(job->resp.patient_show->patient->insurance[0]->group_number, "GRP 100");
    cl_job_free(job);
    fx_assert_last_audit(&w.fx, "bill", "patient.show", "patient", 1);
    job = do_show(&w.fx, &w.biller, 0, "p1");
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.patient_show->patient->last_name, "Garcia");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 2);

    job = do_show(&w.fx, &w.biller, 0, NULL);
    FX_ASSERT_FAILED(job, CL_EINVAL, "id");
    cl_job_free(job);
    job = do_show(&w.fx, &w.biller, 1, "P0000001");
    FX_ASSERT_FAILED(job, CL_EINVAL, "id");
    cl_job_free(job);
    job = do_show(&w.fx, &w.biller, 0, "Q12");
    FX_ASSERT_FAILED(job, CL_EINVAL, "record_number");
    cl_job_free(job);
    job = do_show(&w.fx, &w.biller, 7, NULL);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "id");
    cl_job_free(job);
    job = do_show(&w.fx, &w.biller, 0, "P0000007");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "record_number");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 2);
    fx_close(&w.fx);
}

CL_TEST(edit_rewrites_record_keys_and_keeps_old_insurance)
{
    world_t w;
    world_open(&w);
    pt_t t;
    pt_full(&t);
    cl_job_free(do_register(&w.fx, &w.desk, &t.p, 1));
    cl_job_t *show = do_show(&w.fx, &w.desk, 1, NULL);
    Clinic__Patient *p = show->resp.patient_show->patient;
    p->last_name = "Garcia-Lopez";
    p->phone_home = "";
    p->phone_mobile = "617 555 0777";
    p->insurance[0]->member_id = "XJH-999";
    int64_t audit = fx_audit_rows(&w.fx), changes = fx_change_rows(&w.fx);
    cl_job_t *job = do_edit(&w.fx, &w.desk, p);
    if (job->status != 0)
        CL_FAIL("edit: %s", fx_message(job));
    const Clinic__Patient *e = job->resp.patient_edit->patient;
    ASSERT_EQ(e->version, 2);
    ASSERT_STR_EQ(e->last_name, "Garcia-Lopez");
    ASSERT_STR_EQ(e->phone_mobile, "6175550777");
    ASSERT_STR_EQ(e->insurance[0]->member_id, "XJH-999");
    ASSERT_EQ(e->n_insurance, 2);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "desk", "patient.edit", "patient", 1);
    ASSERT_EQ(fx_change_rows(&w.fx), changes + 1);
    ASSERT_EQ(job->changes->op, CLINIC__CHANGE_OP__UPDATED);
    cl_job_free(job);
    cl_job_free(show);

    /* Keys follow the record in the same transaction. */
    ASSERT_EQ(found(&w.fx, &w.desk, "lopez", 1), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "6175550777", 1), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "6175550199", 0), 0);
    /* The replaced plans stay, marked removed; the current ones are the new list. */
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM insurance WHERE removed_at <> 0", NULL), 2);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM insurance WHERE removed_at = 0", NULL), 2);

    /* An edit that leaves the insurance alone leaves its rows alone. */
    show = do_show(&w.fx, &w.desk, 1, NULL);
    show->resp.patient_show->patient->notes = "";
    job = do_edit(&w.fx, &w.desk, show->resp.patient_show->patient);
    ASSERT_OK(job->status);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM insurance", NULL), 4);
    cl_job_free(job);
    cl_job_free(show);
    fx_close(&w.fx);
}

CL_TEST(edit_with_stale_version_gets_conflict_and_current_record)
{
    world_t w;
    world_open(&w);
    add_patient(&w.fx, &w.desk, "Ann", "Lee", "1990-01-01", NULL);
    cl_job_t *first = do_show(&w.fx, &w.desk, 1, NULL);
    cl_job_t *second = do_show(&w.fx, &w.desk, 1, NULL);
    first->resp.patient_show->patient->preferred_name = "Annie";
    FX_ASSERT_OK_FREE(do_edit(&w.fx, &w.desk, first->resp.patient_show->patient));

    int64_t audit = fx_audit_rows(&w.fx), changes = fx_change_rows(&w.fx);
    second->resp.patient_show->patient->middle_name = "Beth";
    cl_job_t *job = do_edit(&w.fx, &w.desk, second->resp.patient_show->patient);
    ASSERT_REFUSED(job, CL_ECONFLICT, "patient.version");
    ASSERT_STR_CONTAINS(fx_message(job), "version 1 is stale");
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_PATIENT_EDIT);
    const Clinic__Patient *cur = job->resp.patient_edit->patient;
    ASSERT_EQ(cur->version, 2);
    ASSERT_STR_EQ(cur->preferred_name, "Annie");
    ASSERT_STR_EQ(cur->middle_name, "");
    /* Showing the current record is a read: one audit row, and nothing else written. */
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "desk", "patient.edit_conflict", "patient", 1);
    ASSERT_EQ(fx_change_rows(&w.fx), changes);
    ASSERT_EQ(patient_version(&w.fx, 1), 2);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patients WHERE middle_name = 'Beth'", NULL), 0);
    cl_job_free(job);

    /* The id and the version are required; an unknown id is not found. */
    Clinic__Patient *p = second->resp.patient_show->patient;
    p->version = 0;
    job = do_edit(&w.fx, &w.desk, p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient.version");
    cl_job_free(job);
    p->version = 2;
    p->id = 0;
    job = do_edit(&w.fx, &w.desk, p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient.id");
    cl_job_free(job);
    p->id = 99;
    job = do_edit(&w.fx, &w.desk, p);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "patient.id");
    cl_job_free(job);
    p->id = 1;
    p->birth_date = "1990-02-30";
    job = do_edit(&w.fx, &w.desk, p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient.birth_date");
    cl_job_free(job);
    job = do_edit(&w.fx, &w.desk, NULL);
    FX_ASSERT_FAILED(job, CL_EINVAL, "patient");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    cl_job_free(first);
    cl_job_free(second);
    fx_close(&w.fx);
}

/* ---- merge and unmerge ------------------------------------------------------------------ */

/* A provider, an appointment type and rows of the schedule for patients to own. */
static void schedule_setup(fx_t *fx)
{
    fx_exec(fx,
            "INSERT INTO providers (id, name) VALUES (1, 'Dr. Who');"
            "INSERT INTO appointment_types (id, name, default_minutes) VALUES (1, 'Visit', 20)");
}

static int64_t add_appointment(fx_t *fx, uint64_t patient, int64_t starts_at)
{
    sqlite3_stmt *st = fx_prepare(
        fx, "INSERT INTO appointments (patient_id, provider_id, type_id, date, starts_at, ends_at, "
            "state_at, created_at, created_by) VALUES (?1, 1, 1, '2024-05-01', ?2, ?2 + 1200, "
            "?2, ?2, 1) RETURNING id");
    sqlite3_bind_int64(st, 1, (int64_t)patient);
    sqlite3_bind_int64(st, 2, starts_at);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static int64_t add_waitlist(fx_t *fx, uint64_t patient)
{
    sqlite3_stmt *st = fx_prepare(
        fx, "INSERT INTO waitlist (patient_id, type_id, earliest_date, latest_date, created_at, "
            "created_by) VALUES (?1, 1, '2024-05-01', '2024-06-01', 0, 1) RETURNING id");
    sqlite3_bind_int64(st, 1, (int64_t)patient);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

static int64_t owner_of(fx_t *fx, const char *table, int64_t id)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT patient_id FROM %s WHERE id = %" PRId64, table, id);
    return fx_int(fx, sql, NULL);
}

CL_TEST(merge_moves_exactly_the_merged_rows_and_unmerge_moves_them_back)
{
    world_t w;
    world_open(&w);
    schedule_setup(&w.fx);
    uint64_t keep = add_patient(&w.fx, &w.desk, "Maria", "Garcia", "1980-04-12", NULL);
    uint64_t dup = add_patient(&w.fx, &w.desk, "Mariah", "Garcia", "1980-04-12", NULL);
    uint64_t other = add_patient(&w.fx, &w.desk, "Tom", "Other", "1970-01-01", NULL);
    int64_t k1 = add_appointment(&w.fx, keep, 1000);
    int64_t d1 = add_appointment(&w.fx, dup, 2000);
    int64_t d2 = add_appointment(&w.fx, dup, 3000);
    int64_t o1 = add_appointment(&w.fx, other, 4000);
    int64_t dw = add_waitlist(&w.fx, dup);
    int64_t ow = add_waitlist(&w.fx, other);
    fx_exec(&w.fx, "INSERT INTO appointment_series (patient_id, provider_id, type_id, rule, "
                   "first_date, count, start_minute, minutes, created_at, created_by) "
                   "VALUES (2, 1, 1, 'weekly:1', '2024-05-01', 4, 540, 20, 0, 1)");

    int64_t audit = fx_audit_rows(&w.fx);
    cl_job_t *job = do_merge(&w.fx, &w.manager, keep, 1, dup, 1, "Same person, registered twice");
    if (job->status != 0)
        CL_FAIL("merge: %s", fx_message(job));
    const Clinic__PatientMergeReply *r = job->resp.patient_merge;
    uint64_t merge_id = r->merge->id;
    ASSERT_EQ(r->merge->kept_id, keep);
    ASSERT_EQ(r->merge->merged_id, dup);
    ASSERT_STR_EQ(r->merge->merged_by, "boss");
    ASSERT_EQ(r->merge->appointments_moved, 2);
    ASSERT_EQ(r->merge->waitlist_moved, 1);
    ASSERT_EQ(r->merge->series_moved, 1);
    ASSERT_EQ(r->merged->merged_into, keep);
    ASSERT_EQ(r->merged->merge_id, merge_id);
    ASSERT_EQ(r->merged->version, 2);
    ASSERT_EQ(r->kept->merged_into, 0);
    /* Changes: the two patients, each moved appointment on schedule and board, the waitlist
     * entry and the series. */
    ASSERT_EQ(fx_job_changes(job), 2 + 2 * 2 + 1 + 1);
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "boss", "patient.merge", "patient", dup);

    ASSERT_EQ(owner_of(&w.fx, "appointments", k1), keep);
    ASSERT_EQ(owner_of(&w.fx, "appointments", d1), keep);
    ASSERT_EQ(owner_of(&w.fx, "appointments", d2), keep);
    ASSERT_EQ(owner_of(&w.fx, "appointments", o1), other);
    ASSERT_EQ(owner_of(&w.fx, "waitlist", dw), keep);
    ASSERT_EQ(owner_of(&w.fx, "waitlist", ow), other);
    ASSERT_EQ(owner_of(&w.fx, "appointment_series", 1), keep);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_merge_moves", NULL), 4);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_merges", NULL), 1);
    ASSERT_EQ(fx_int(&w.fx, "SELECT version FROM appointments WHERE id = 2", NULL), 2);

    /* The merged record leaves the search but stays readable, never deleted. */
    ASSERT_EQ(found(&w.fx, &w.desk, "garcia", keep), 1);
    ASSERT_EQ(found(&w.fx, &w.desk, "P0000002", 0), 0);
    ASSERT_EQ(found(&w.fx, &w.desk, "1980-04-12", keep), 1);
    job = do_show(&w.fx, &w.desk, dup, NULL);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.patient_show->patient->merged_into, keep);
    cl_job_free(job);
    /* Nor is it a duplicate candidate any more. */
    pt_t t;
    pt_init(&t, "Mariah", "Garcia", "1980-04-12");
    job = do_register(&w.fx, &w.desk, &t.p, 0);
    ASSERT_EQ(job->resp.patient_register->n_duplicates, 1);
    ASSERT_EQ(job->resp.patient_register->duplicates[0]->patient->id, keep);
    cl_job_free(job);

    /* Meanwhile the kept patient gets a new appointment, and one moved row is given to
     * somebody else: undoing moves exactly the listed rows still held by the kept patient. */
    int64_t k2 = add_appointment(&w.fx, keep, 5000);
    fx_exec(&w.fx, "UPDATE appointments SET patient_id = 3 WHERE id = 3");
    audit = fx_audit_rows(&w.fx);
    job = do_unmerge(&w.fx, &w.manager, merge_id);
    if (job->status != 0)
        CL_FAIL("unmerge: %s", fx_message(job));
    ASSERT_GT(job->resp.patient_unmerge->merge->undone_at, 0);
    ASSERT_STR_EQ(job->resp.patient_unmerge->merge->undone_by, "boss");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "boss", "patient.unmerge", "patient", dup);
    ASSERT_EQ(owner_of(&w.fx, "appointments", k1), keep);
    ASSERT_EQ(owner_of(&w.fx, "appointments", k2), keep);
    ASSERT_EQ(owner_of(&w.fx, "appointments", d1), dup);
    ASSERT_EQ(owner_of(&w.fx, "appointments", d2), other);
    ASSERT_EQ(owner_of(&w.fx, "waitlist", dw), dup);
    ASSERT_EQ(owner_of(&w.fx, "appointment_series", 1), dup);
    ASSERT_EQ(fx_int(&w.fx, "SELECT merged_into FROM patients WHERE id = 2", NULL), 0);
    ASSERT_EQ(found(&w.fx, &w.desk, "mariah", dup), 1);
    job = do_show(&w.fx, &w.desk, dup, NULL);
    ASSERT_EQ(job->resp.patient_show->patient->merge_id, 0);
    cl_job_free(job);

    /* Twice is once too many. */
    audit = fx_audit_rows(&w.fx);
    job = do_unmerge(&w.fx, &w.manager, merge_id);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "merge_id");
    cl_job_free(job);
    job = do_unmerge(&w.fx, &w.manager, 99);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "merge_id");
    cl_job_free(job);
    job = do_unmerge(&w.fx, &w.manager, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "merge_id");
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit);
    fx_close(&w.fx);
}

CL_TEST(merge_checks_its_arguments_and_versions)
{
    world_t w;
    world_open(&w);
    uint64_t a = add_patient(&w.fx, &w.desk, "Ann", "Lee", "1990-01-01", NULL);
    uint64_t b = add_patient(&w.fx, &w.desk, "Anne", "Lee", "1990-01-01", NULL);
    uint64_t c = add_patient(&w.fx, &w.desk, "Annie", "Lee", "1990-01-01", NULL);
    int64_t audit = fx_audit_rows(&w.fx);
    struct {
        uint64_t keep, kv, merge, mv;
        const char *reason;
        int status;
        const char *field;
    } cases[] = {
        {0, 1, b, 1, "dup", CL_EINVAL, "keep_id"},
        {a, 0, b, 1, "dup", CL_EINVAL, "keep_version"},
        {a, 1, 0, 1, "dup", CL_EINVAL, "merge_id"},
        {a, 1, a, 1, "dup", CL_EINVAL, "merge_id"},
        {a, 1, b, 0, "dup", CL_EINVAL, "merge_version"},
        {a, 1, b, 1, "", CL_EINVAL, "reason"},
        {a, 1, b, 1, "bad\x01", CL_EINVAL, "reason"},
        {77, 1, b, 1, "dup", CL_ENOTFOUND, "keep_id"},
        {a, 1, 77, 1, "dup", CL_ENOTFOUND, "merge_id"},
    };
    for (size_t i = 0; i < CL_ARRAY_SIZE(cases); i++) {
        cl_job_t *job = do_merge(&w.fx, &w.manager, cases[i].keep, cases[i].kv, cases[i].merge,
                                 cases[i].mv, cases[i].reason);
        if (job->status != cases[i].status)
            CL_FAIL("case %zu: %s: %s", i, cl_status_name(job->status), fx_message(job));
        FX_ASSERT_FAILED(job, cases[i].status, cases[i].field);
        cl_job_free(job);
    }
    ASSERT_EQ(fx_audit_rows(&w.fx), audit);

    /* A stale version: CONFLICT with both current records, and the one audit row of that. */
    cl_job_t *job = do_merge(&w.fx, &w.manager, a, 1, b, 5, "dup");
    ASSERT_REFUSED(job, CL_ECONFLICT, "merge_version");
    ASSERT_EQ(job->resp.patient_merge->merged->id, b);
    ASSERT_EQ(job->resp.patient_merge->kept->id, a);
    ASSERT_NULL(job->resp.patient_merge->merge);
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), audit + 1);
    fx_assert_last_audit(&w.fx, "boss", "patient.merge_conflict", "patient", b);
    ASSERT_EQ(fx_int(&w.fx, "SELECT count(*) FROM patient_merges", NULL), 0);

    /* b into a, then c into a; a merged record can take no part in another merge, and merges
     * are undone latest first. */
    job = do_merge(&w.fx, &w.manager, a, 1, b, 1, "dup");
    ASSERT_OK(job->status);
    uint64_t first = job->resp.patient_merge->merge->id;
    cl_job_free(job);
    job = do_merge(&w.fx, &w.manager, b, 2, c, 1, "dup");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "keep_id");
    cl_job_free(job);
    job = do_merge(&w.fx, &w.manager, c, 1, b, 2, "dup");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "merge_id");
    cl_job_free(job);
    job = do_merge(&w.fx, &w.manager, c, 1, a, 1, "dup");
    ASSERT_OK(job->status);
    uint64_t second = job->resp.patient_merge->merge->id;
    cl_job_free(job);
    job = do_unmerge(&w.fx, &w.manager, first);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "merge_id");
    ASSERT_STR_CONTAINS(fx_message(job), "undo merge 2 first");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(do_unmerge(&w.fx, &w.manager, second));
    FX_ASSERT_OK_FREE(do_unmerge(&w.fx, &w.manager, first));

    /* A merged record cannot be edited; the kept one can. */
    FX_ASSERT_OK_FREE(do_merge(&w.fx, &w.manager, a, 3, b, 3, "dup"));
    cl_job_t *show = do_show(&w.fx, &w.desk, b, NULL);
    job = do_edit(&w.fx, &w.desk, show->resp.patient_show->patient);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "patient.id");
    cl_job_free(job);
    cl_job_free(show);
    fx_close(&w.fx);
}

/* ---- audit and plans -------------------------------------------------------------------- */

CL_TEST(every_request_writes_one_audit_row)
{
    world_t w;
    world_open(&w);
    int64_t before = fx_audit_rows(&w.fx);
    uint64_t a = add_patient(&w.fx, &w.desk, "One", "Person", "1990-01-01", NULL);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 1);
    uint64_t b = add_patient(&w.fx, &w.desk, "Two", "Person", "1990-01-02", NULL);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 2);
    found(&w.fx, &w.desk, "person", a);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 3);
    cl_job_t *show = do_show(&w.fx, &w.desk, a, NULL);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 4);
    cl_job_t *job = do_edit(&w.fx, &w.desk, show->resp.patient_show->patient);
    ASSERT_OK(job->status);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 5);
    cl_job_free(job);
    cl_job_free(show);
    job = do_merge(&w.fx, &w.manager, a, 2, b, 1, "test");
    ASSERT_OK(job->status);
    uint64_t m = job->resp.patient_merge->merge->id;
    cl_job_free(job);
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 6);
    FX_ASSERT_OK_FREE(do_unmerge(&w.fx, &w.manager, m));
    ASSERT_EQ(fx_audit_rows(&w.fx), before + 7);
    /* Each row names the patient and its action. */
    sqlite3_stmt *st = fx_prepare(&w.fx, "SELECT action, entity_id FROM audit WHERE entity = "
                                         "'patient' ORDER BY seq");
    static const char *const actions[] = {"patient.register", "patient.register", "patient.search",
                                          "patient.show",     "patient.edit",     "patient.merge",
                                          "patient.unmerge"};
    const uint64_t ids[] = {a, b, 0, a, a, b, b};
    for (size_t i = 0; i < CL_ARRAY_SIZE(actions); i++) {
        ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), actions[i]);
        ASSERT_EQ(sqlite3_column_int64(st, 1), ids[i]);
    }
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    fx_close(&w.fx);
}

CL_TEST(statements_per_request_use_indexes)
{
    static const struct {
        cl_patient_query_t q;
        const char *want; /* a fragment the plan must hold */
    } plans[] = {
        {CL_PQ_BY_ID, "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"},
        {CL_PQ_BY_RECORD, "USING COVERING INDEX sqlite_autoindex_patients_1 (record_number=?)"},
        {CL_PQ_INSURANCE_OF, "USING INDEX insurance_patient (patient_id=? AND removed_at=?)"},
        {CL_PQ_MERGE_OF, "USING COVERING INDEX patient_merges_merged (merged_id=? AND "
                         "undone_at=?)"},
        {CL_PQ_NEXT_ID, "SEARCH patients"},
        {CL_PQ_KEYS_OF_DELETE, "USING COVERING INDEX patient_keys_patient (patient_id=?)"},
        {CL_PQ_KEY_COUNT, "SEARCH patient_keys USING PRIMARY KEY (key>? AND key<?)"},
        {CL_PQ_SEARCH_KEYS1, "SEARCH k USING PRIMARY KEY (key>? AND key<?)"},
        {CL_PQ_SEARCH_KEYS2, "SEARCH k2 USING COVERING INDEX patient_keys_patient (patient_id=? "
                             "AND key>? AND key<?)"},
        {CL_PQ_SEARCH_KEYS3, "SEARCH k USING PRIMARY KEY (key>? AND key<?)"},
        {CL_PQ_SEARCH_KEYS4, "SEARCH k2 USING COVERING INDEX patient_keys_patient (patient_id=? "
                             "AND key>? AND key<?)"},
        {CL_PQ_SEARCH_PAIR2, "SEARCH k USING PRIMARY KEY (head=? AND word>? AND word<?)"},
        {CL_PQ_SEARCH_PAIR3, "SEARCH k USING PRIMARY KEY (head=? AND word>? AND word<?)"},
        {CL_PQ_SEARCH_PAIR4, "SEARCH k2 USING COVERING INDEX patient_keys_patient (patient_id=? "
                             "AND key>? AND key<?)"},
        {CL_PQ_PAIRS_INSERT, "SEARCH b USING COVERING INDEX patient_keys_patient (patient_id=? "
                             "AND key>? AND key<?)"},
        {CL_PQ_PAIRS_DELETE, "SEARCH patient_name_pairs USING PRIMARY KEY (head=? AND word=? "
                             "AND head_word=?)"},
        {CL_PQ_SEARCH_BIRTH, "SEARCH p USING INDEX patients_birth (birth_date=?)"},
        {CL_PQ_SEARCH_RECORD, "USING INDEX sqlite_autoindex_patients_1 (record_number=?)"},
        {CL_PQ_DUP_BIRTH, "SEARCH p USING INDEX patients_birth (birth_date=?)"},
        {CL_PQ_DUP_PHONE, "SEARCH k USING PRIMARY KEY (key=?)"},
        {CL_PQ_APPOINTMENTS_OF, "USING COVERING INDEX appointments_patient (patient_id=?)"},
        {CL_PQ_MOVES_OF, "SEARCH patient_merge_moves USING PRIMARY KEY (merge_id=?)"},
    };
    fx_t fx;
    fx_open(&fx);
    ASSERT_EQ(CL_ARRAY_SIZE(plans), CL_PQ__HOT);
    for (size_t i = 0; i < CL_ARRAY_SIZE(plans); i++) {
        char plan[2048];
        const char *sql = cl_patients_sql(plans[i].q);
        ASSERT_NOT_NULL(sql);
        fx_plan(&fx, sql, plan, sizeof(plan));
        if (strstr(plan, plans[i].want) == NULL)
            CL_FAIL("statement %d: plan \"%s\" lacks \"%s\"", (int)plans[i].q, plan, plans[i].want);
        /* No table is read whole, and no result is sorted in a temporary tree (DISTINCT's
         * temporary tree only remembers what was returned). */
        if (strstr(plan, "SCAN p") || strstr(plan, "SCAN k") || strstr(plan, "SCAN insurance") ||
            strstr(plan, "SCAN patient") || strstr(plan, "SCAN appointments") ||
            strstr(plan, "FOR ORDER BY"))
            CL_FAIL("statement %d scans or sorts: %s", (int)plans[i].q, plan);
    }
    ASSERT_NULL(cl_patients_sql(CL_PQ__HOT));
    fx_close(&fx);
}

CL_TEST_MAIN(CL_TEST_ENTRY(register_saves_normalized_record_keys_and_audit),
             CL_TEST_ENTRY(record_number_has_seven_digits_and_grows_past_them),
             CL_TEST_ENTRY(register_names_each_invalid_field),
             CL_TEST_ENTRY(register_accepts_the_edges_of_each_rule),
             CL_TEST_ENTRY(duplicates_by_name_and_birth_date), CL_TEST_ENTRY(duplicates_by_phone),
             CL_TEST_ENTRY(duplicates_by_close_spelling),
             CL_TEST_ENTRY(duplicates_list_each_patient_once_with_all_reasons),
             CL_TEST_ENTRY(search_names_in_any_order_by_prefix_folded),
             CL_TEST_ENTRY(search_by_name_pairs_finds_what_the_rule_says),
             CL_TEST_ENTRY(search_by_birth_date_phone_and_record_number),
             CL_TEST_ENTRY(search_rejects_bad_queries_and_limits),
             CL_TEST_ENTRY(search_limit_and_more),
             CL_TEST_ENTRY(search_is_audited_without_the_query),
             CL_TEST_ENTRY(show_by_id_or_record_number),
             CL_TEST_ENTRY(edit_rewrites_record_keys_and_keeps_old_insurance),
             CL_TEST_ENTRY(edit_with_stale_version_gets_conflict_and_current_record),
             CL_TEST_ENTRY(merge_moves_exactly_the_merged_rows_and_unmerge_moves_them_back),
             CL_TEST_ENTRY(merge_checks_its_arguments_and_versions),
             CL_TEST_ENTRY(every_request_writes_one_audit_row),
             CL_TEST_ENTRY(statements_per_request_use_indexes))
