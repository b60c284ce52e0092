/* Patients against a real clinicd: registration, search and show over the wire, an edit
 * conflict between two workstations, who may read and who may write, live "patients" events,
 * and the `clinic patient` commands end to end. */
#include "harness.h"

#include <stdlib.h>

/* A patient message with its parts, on the caller's stack. */
typedef struct {
    Clinic__Patient p;
    Clinic__PatientAddress addr;
    Clinic__EmergencyContact em;
} pt_t;

static void pt_init(pt_t *t, const char *first, const char *last, const char *birth,
                    const char *mobile)
{
    clinic__patient__init(&t->p);
    clinic__patient_address__init(&t->addr);
    clinic__emergency_contact__init(&t->em);
    t->p.first_name = (char *)first;
    t->p.last_name = (char *)last;
    t->p.birth_date = (char *)birth;
    t->p.sex = "female";
    t->p.phone_mobile = (char *)mobile;
    t->p.address = &t->addr;
    t->p.emergency = &t->em;
}

static int do_register(cl_sync_t *s, Clinic__Patient *p, int force,
                       const Clinic__PatientRegisterReply **out)
{
    Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    r.patient = p;
    r.save_despite_duplicates = force;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r, &resp);
    *out = rc == 0 ? resp->patient_register : NULL;
    return rc;
}

static int do_search(cl_sync_t *s, const char *query, const Clinic__PatientSearchReply **out)
{
    Clinic__PatientSearchRequest r = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    r.query = (char *)query;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &r, &resp);
    *out = rc == 0 ? resp->patient_search : NULL;
    return rc;
}

/* Shows patient `id`; the reply lives until the next call on `s`. */
static int do_show(cl_sync_t *s, uint64_t id, const char *record, const Clinic__Patient **out)
{
    Clinic__PatientShowRequest r = CLINIC__PATIENT_SHOW_REQUEST__INIT;
    r.id = id;
    r.record_number = (char *)(record ? record : "");
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_PATIENT_SHOW, &r, &resp);
    *out = rc == 0 ? resp->patient_show->patient : NULL;
    return rc;
}

/* Sends an edit of `p`; the reply (also on CONFLICT) lives until the next call on `s`. */
static int do_edit(cl_sync_t *s, Clinic__Patient *p, const Clinic__Patient **out)
{
    Clinic__PatientEditRequest r = CLINIC__PATIENT_EDIT_REQUEST__INIT;
    r.patient = p;
    const Clinic__Response *resp;
    int rc = harness_send(s, CLINIC__REQUEST__BODY_PATIENT_EDIT, &r, &resp);
    *out = resp && resp->result_case == CLINIC__RESPONSE__RESULT_PATIENT_EDIT
               ? resp->patient_edit->patient
               : NULL;
    return rc;
}

/* Registers and returns the new id (saving despite duplicates). */
static uint64_t register_one(cl_sync_t *s, const char *first, const char *last, const char *birth,
                             const char *mobile)
{
    pt_t t;
    pt_init(&t, first, last, birth, mobile);
    const Clinic__PatientRegisterReply *r;
    ASSERT_OK(do_register(s, &t.p, 1, &r));
    ASSERT(r->saved);
    return r->patient->id;
}

CL_TEST(register_search_and_show_over_the_wire)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "desk", "front_desk");
    cl_sync_t *desk = harness_login(&h, "desk");

    pt_t t;
    pt_init(&t, "José", "Núñez", "1975-06-30", "(617) 555-0142");
    t.p.email = "jose@example.org";
    Clinic__Insurance plan = CLINIC__INSURANCE__INIT;
    plan.payer = "Aetna";
    plan.member_id = "W123456789";
    Clinic__Insurance *plans[] = {&plan};
    t.p.insurance = plans;
    t.p.n_insurance = 1;
    const Clinic__PatientRegisterReply *reg;
    ASSERT_OK(do_register(desk, &t.p, 0, &reg));
    ASSERT(reg->saved);
    uint64_t id = reg->patient->id;
    ASSERT_STR_EQ(reg->patient->record_number, "P0000001");
    ASSERT_STR_EQ(reg->patient->phone_mobile, "6175550142");

    /* The same person again: shown, not saved. */
    pt_init(&t, "Jose", "Nunez", "1975-06-30", "");
    ASSERT_OK(do_register(desk, &t.p, 0, &reg));
    ASSERT(!reg->saved);
    ASSERT_EQ(reg->n_duplicates, 1);
    ASSERT_EQ(reg->duplicates[0]->patient->id, id);
    ASSERT_STR_EQ(reg->duplicates[0]->reasons[0], "name_and_birth_date");

    /* A bad field is named. */
    pt_init(&t, "Ann", "Lee", "2990-01-01", "");
    Clinic__PatientRegisterRequest r = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    r.patient = &t.p;
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(desk, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &r, &resp), CL_EINVAL);
    ASSERT_EQ(resp->status->n_fields, 1);
    ASSERT_STR_EQ(resp->status->fields[0]->field, "patient.birth_date");

    const Clinic__PatientSearchReply *found;
    ASSERT_OK(do_search(desk, "nun jo", &found));
    ASSERT_EQ(found->n_patients, 1);
    ASSERT_EQ(found->patients[0]->id, id);
    ASSERT_OK(do_search(desk, "617-555", &found));
    ASSERT_EQ(found->n_patients, 1);
    ASSERT_OK(do_search(desk, "06/30/1975", &found));
    ASSERT_EQ(found->n_patients, 1);
    const Clinic__Patient *p;
    ASSERT_OK(do_show(desk, 0, "P0000001", &p));
    ASSERT_STR_EQ(p->first_name, "José");
    ASSERT_EQ(p->n_insurance, 1);
    ASSERT_STR_EQ(p->insurance[0]->member_id, "W123456789");
    cl_sync_close(desk);
    harness_stop(&h);
}

CL_TEST(who_may_read_and_who_may_write)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "bill", "biller");
    harness_add_user(&h, "doc", "clinician");
    harness_add_user(&h, "sam", "staff");
    harness_add_user(&h, "boss", "manager");
    cl_sync_t *desk = harness_login(&h, "desk");
    uint64_t id = register_one(desk, "Ann", "Lee", "1990-01-01", "");
    cl_sync_close(desk);

    const Clinic__PatientSearchReply *found;
    const Clinic__Patient *p;
    /* Billers, clinicians and managers read demographics and insurance. */
    const char *readers[] = {"bill", "doc", "boss"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(readers); i++) {
        cl_sync_t *s = harness_login(&h, readers[i]);
        ASSERT_OK(do_search(s, "lee", &found));
        ASSERT_EQ(found->n_patients, 1);
        ASSERT_OK(do_show(s, id, NULL, &p));
        cl_sync_close(s);
    }
    /* A biller reads but does not register. */
    cl_sync_t *bill = harness_login(&h, "bill");
    const Clinic__PatientRegisterReply *reg;
    pt_t t;
    pt_init(&t, "Bo", "Ng", "1990-01-01", "");
    ASSERT_EQ(do_register(bill, &t.p, 1, &reg), CL_EPERM);
    cl_sync_close(bill);
    /* Staff without a clinical role, and the admin who runs the system, see no patient data. */
    const char *outsiders[] = {"sam", "admin"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(outsiders); i++) {
        cl_sync_t *s = harness_login(&h, outsiders[i]);
        ASSERT_EQ(do_search(s, "lee", &found), CL_EPERM);
        ASSERT_EQ(do_show(s, id, NULL, &p), CL_EPERM);
        ASSERT_EQ(do_register(s, &t.p, 1, &reg), CL_EPERM);
        ASSERT_EQ(harness_subscribe(s, "patients"), CL_EPERM);
        cl_sync_close(s);
    }
    /* Merging is the manager's. */
    desk = harness_login(&h, "desk");
    Clinic__PatientMergeRequest m = CLINIC__PATIENT_MERGE_REQUEST__INIT;
    m.keep_id = id;
    m.keep_version = 1;
    m.merge_id = id;
    m.merge_version = 1;
    m.reason = "x";
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(desk, CLINIC__REQUEST__BODY_PATIENT_MERGE, &m, &resp), CL_EPERM);
    ASSERT_STR_CONTAINS(resp->status->message, "patient_merge");
    cl_sync_close(desk);
    harness_stop(&h);
}

CL_TEST(edit_conflict_between_two_workstations)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "desk1", "front_desk");
    harness_add_user(&h, "desk2", "scheduler");
    cl_sync_t *one = harness_login(&h, "desk1");
    cl_sync_t *two = harness_login(&h, "desk2");
    uint64_t id = register_one(one, "Ann", "Lee", "1990-01-01", "617-555-0100");

    /* Both workstations read version 1 and build their edit of the whole record from it. */
    const Clinic__Patient *p;
    pt_t a, b;
    ASSERT_OK(do_show(one, id, NULL, &p));
    pt_init(&a, "Ann", "Lee", "1990-01-01", "6175550100");
    a.p.id = id;
    a.p.version = p->version;
    ASSERT_OK(do_show(two, id, NULL, &p));
    pt_init(&b, "Ann", "Lee", "1990-01-01", "6175550100");
    b.p.id = id;
    b.p.version = p->version;
    ASSERT_EQ(b.p.version, 1);

    a.p.preferred_name = "Annie";
    ASSERT_OK(do_edit(one, &a.p, &p));
    ASSERT_EQ(p->version, 2);

    b.p.middle_name = "Beth";
    ASSERT_EQ(do_edit(two, &b.p, &p), CL_ECONFLICT);
    ASSERT_NOT_NULL(p); /* the current record comes with the conflict */
    ASSERT_EQ(p->version, 2);
    ASSERT_STR_EQ(p->preferred_name, "Annie");
    ASSERT_STR_EQ(p->middle_name, "");

    /* Retrying with the version just learned goes through. */
    b.p.version = 2;
    b.p.preferred_name = "Annie";
    ASSERT_OK(do_edit(two, &b.p, &p));
    ASSERT_EQ(p->version, 3);
    ASSERT_STR_EQ(p->middle_name, "Beth");
    cl_sync_close(one);
    cl_sync_close(two);
    harness_stop(&h);
}

CL_TEST(subscriber_sees_patient_changes_live)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "doc", "clinician");
    cl_sync_t *desk = harness_login(&h, "desk");
    cl_sync_t *doc = harness_login(&h, "doc");
    ASSERT_OK(harness_subscribe(doc, "patients"));

    uint64_t id = register_one(desk, "Ann", "Lee", "1990-01-01", "");
    const Clinic__Event *ev = harness_next_event(doc, 2000);
    ASSERT_STR_EQ(ev->topic, "patients");
    ASSERT_STR_EQ(ev->entity, "patient");
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__CREATED);

    pt_t t;
    pt_init(&t, "Ann", "Lee", "1990-01-01", "");
    t.p.id = id;
    t.p.version = 1;
    t.p.notes = "Allergic to latex";
    const Clinic__Patient *p;
    ASSERT_OK(do_edit(desk, &t.p, &p));
    ev = harness_next_event(doc, 2000);
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, CLINIC__CHANGE_OP__UPDATED);
    cl_sync_close(desk);
    cl_sync_close(doc);
    harness_stop(&h);
}

CL_TEST(cli_add_find_show_edit_merge_json)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "desk", "front_desk");
    harness_add_user(&h, "boss", "manager");
    char out[16384];
    harness_clinic_login(&h, "desk");
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "add", "--first", "Maria", "--last", "Garcia",
                      "--birth", "1980-04-12", "--sex", "female", "--mobile", "617-555-0142",
                      "--address1", "12 Elm Street", "--city", "Boston", "--state", "MA", "--zip",
                      "02118", "--payer", "Blue Cross", "--member-id", "XJH-1234", "--notes",
                      "Spanish speaker");
    ASSERT_STR_CONTAINS(out, "\"saved\":true");
    ASSERT_STR_CONTAINS(out, "\"record_number\":\"P0000001\"");
    ASSERT_STR_CONTAINS(out, "\"phone_mobile\":\"6175550142\"");
    ASSERT_STR_CONTAINS(out, "\"member_id\":\"XJH-1234\"");

    /* The same person again: the duplicate is shown, nothing saved, exit 6. */
    int rc = HARNESS_CLINIC(&h, out, "patient", "add", "--first", "María", "--last", "García",
                            "--birth", "1980-04-12", "--sex", "female");
    ASSERT_EQ(rc, 6);
    ASSERT_STR_CONTAINS(out, "P0000001");
    ASSERT_STR_CONTAINS(out, "name_and_birth_date");
    ASSERT_STR_CONTAINS(out, "--force");
    rc = HARNESS_CLINIC(&h, out, "--json", "patient", "add", "--first", "María", "--last", "García",
                        "--birth", "1980-04-12", "--sex", "female");
    ASSERT_EQ(rc, 6);
    ASSERT_STR_CONTAINS(out, "\"saved\":false");
    ASSERT_STR_CONTAINS(out, "\"reasons\":[\"name_and_birth_date\"]");
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "add", "--first", "Mariana", "--last", "Garcia",
                      "--birth", "1980-04-12", "--sex", "female", "--force");
    ASSERT_STR_CONTAINS(out, "\"record_number\":\"P0000002\"");

    /* A bad field: exit 7 naming it. */
    rc = HARNESS_CLINIC(&h, out, "patient", "add", "--first", "Ann", "--last", "Lee", "--birth",
                        "1990-01-01", "--sex", "female", "--email", "not-an-address");
    ASSERT_EQ(rc, 7);
    ASSERT_STR_CONTAINS(out, "patient.email");

    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "find", "gar", "mari");
    ASSERT_STR_CONTAINS(out, "\"id\":1,");
    ASSERT_STR_CONTAINS(out, "\"id\":2,");
    HARNESS_CLINIC_OK(&h, out, "patient", "find", "6175550142");
    ASSERT_STR_CONTAINS(out, "P0000001");
    ASSERT_STR_CONTAINS(out, "(617) 555-0142");
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "show", "P0000001");
    ASSERT_STR_CONTAINS(out, "\"last_name\":\"Garcia\"");
    ASSERT_STR_CONTAINS(out, "\"city\":\"Boston\"");
    ASSERT_STR_CONTAINS(out, "\"version\":1");
    HARNESS_CLINIC_OK(&h, out, "patient", "show", "1");
    ASSERT_STR_CONTAINS(out, "Garcia, Maria");
    ASSERT_STR_CONTAINS(out, "Blue Cross");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "patient", "show", "P0000099"), 5);
    /* Neither an id nor a record number: a usage error before anything is sent. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "patient", "show", "P12x"), 1);
    ASSERT_STR_CONTAINS(out, "expected a patient id or a record number");

    /* Edit: only what the options say changes; the rest is sent as read. */
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "edit", "1", "--preferred", "Malu", "--mobile",
                      "", "--group", "G-7");
    ASSERT_STR_CONTAINS(out, "\"preferred_name\":\"Malu\"");
    ASSERT_STR_CONTAINS(out, "\"phone_mobile\":\"\"");
    ASSERT_STR_CONTAINS(out, "\"group_number\":\"G-7\"");
    ASSERT_STR_CONTAINS(out, "\"member_id\":\"XJH-1234\"");
    ASSERT_STR_CONTAINS(out, "\"notes\":\"Spanish speaker\"");
    ASSERT_STR_CONTAINS(out, "\"version\":2");

    /* Merging needs a manager. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "patient", "merge", "1", "2", "--reason", "duplicate"), 4);
    HARNESS_CLINIC_OK(&h, out, "logout");
    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "merge", "P0000001", "P0000002", "--reason",
                      "registered twice");
    ASSERT_STR_CONTAINS(out, "\"kept_id\":1");
    ASSERT_STR_CONTAINS(out, "\"merged_id\":2");
    HARNESS_CLINIC_OK(&h, out, "--json", "patient", "find", "mariana");
    ASSERT(strstr(out, "\"id\":2,") == NULL);
    HARNESS_CLINIC_OK(&h, out, "patient", "show", "2");
    ASSERT_STR_CONTAINS(out, "merged");
    HARNESS_CLINIC_OK(&h, out, "patient", "unmerge", "1");
    ASSERT_STR_CONTAINS(out, "undid merge 1");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "patient", "unmerge", "1"), 6);
    ASSERT_STR_CONTAINS(out, "already undone");

    /* The manager audits it all: every read and write left its row. */
    HARNESS_CLINIC_OK(&h, out, "--json", "audit", "--entity", "patient", "--limit", "100");
    ASSERT_STR_CONTAINS(out, "patient.register");
    ASSERT_STR_CONTAINS(out, "patient.duplicates");
    ASSERT_STR_CONTAINS(out, "patient.search");
    ASSERT_STR_CONTAINS(out, "patient.show");
    ASSERT_STR_CONTAINS(out, "patient.edit");
    ASSERT_STR_CONTAINS(out, "patient.merge");
    ASSERT_STR_CONTAINS(out, "patient.unmerge");
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(register_search_and_show_over_the_wire),
             CL_TEST_ENTRY(who_may_read_and_who_may_write),
             CL_TEST_ENTRY(edit_conflict_between_two_workstations),
             CL_TEST_ENTRY(subscriber_sees_patient_changes_live),
             CL_TEST_ENTRY(cli_add_find_show_edit_merge_json))
