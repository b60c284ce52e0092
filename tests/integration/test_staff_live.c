/* Staff members and credentials against a real clinicd: a manager adds staff and credentials
 * while another manager's subscription to "staff" sees each change live and the holder's inbox
 * hears of a credential about to expire; a staff user cannot see another's record or subscribe
 * to "staff"; and the `clinic staff`, `clinic cred` and `clinic dashboard` commands end to end
 * with --json. */
#include "harness.h"

#include <stdlib.h>

/* Waits for the next event and checks it. */
static void expect_event(cl_sync_t *s, const char *topic, const char *entity, uint64_t id,
                         Clinic__ChangeOp op)
{
    const Clinic__Event *ev = harness_next_event(s, 3000);
    ASSERT_STR_EQ(ev->topic, topic);
    ASSERT_STR_EQ(ev->entity, entity);
    ASSERT_EQ(ev->entity_id, id);
    ASSERT_EQ(ev->op, op);
}

static uint64_t staff_id_of(cl_sync_t *s, const char *username)
{
    Clinic__StaffShowRequest sh = CLINIC__STAFF_SHOW_REQUEST__INIT;
    sh.username = (char *)username;
    return harness_send_ok(s, CLINIC__REQUEST__BODY_STAFF_SHOW, &sh)->staff_show->staff->id;
}

CL_TEST(manager_adds_staff_and_credentials_and_subscribers_see_them_live)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "mgr", "manager");
    harness_add_user(&h, "mgr2", "manager");
    harness_add_user(&h, "amy", "front_desk");
    cl_sync_t *mgr = harness_login(&h, "mgr");
    cl_sync_t *watcher = harness_login(&h, "mgr2");
    cl_sync_t *amy = harness_login(&h, "amy");
    ASSERT_OK(harness_subscribe(watcher, "staff"));
    ASSERT_OK(harness_subscribe(amy, "inbox"));
    /* The staff topic is for managers. */
    ASSERT_EQ(harness_subscribe(amy, "staff"), CL_EPERM);

    /* `clinicd user add` made a staff record for each user. */
    uint64_t amy_id = staff_id_of(mgr, "amy");
    uint64_t mgr_id = staff_id_of(mgr, "mgr");

    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    m.full_name = "Rita Ortiz";
    m.job_title = "Biller";
    m.supervisor_id = mgr_id;
    Clinic__StaffAddRequest add = CLINIC__STAFF_ADD_REQUEST__INIT;
    add.staff = &m;
    uint64_t rita =
        harness_send_ok(mgr, CLINIC__REQUEST__BODY_STAFF_ADD, &add)->staff_add->staff->id;
    expect_event(watcher, "staff", "staff", rita, CLINIC__CHANGE_OP__CREATED);

    /* amy's CPR card expires in 10 days: the warning goes out at once, to her inbox too. */
    char issued[11], expires[11];
    harness_date_ahead(-700, issued);
    harness_date_ahead(10, expires);
    Clinic__StaffCredential c = CLINIC__STAFF_CREDENTIAL__INIT;
    c.staff_id = amy_id;
    c.kind = "cpr_bls";
    c.name = "BLS Provider";
    c.issued_on = issued;
    c.expires_on = expires;
    Clinic__CredentialAddRequest ca = CLINIC__CREDENTIAL_ADD_REQUEST__INIT;
    ca.credential = &c;
    const Clinic__Response *resp = harness_send_ok(mgr, CLINIC__REQUEST__BODY_CREDENTIAL_ADD, &ca);
    ASSERT(resp->credential_add->warned);
    uint64_t cred = resp->credential_add->credential->id;
    expect_event(watcher, "staff", "credential", cred, CLINIC__CHANGE_OP__CREATED);
    expect_event(watcher, "staff", "credential_expiring", cred, CLINIC__CHANGE_OP__UPDATED);
    expect_event(amy, "inbox", "credential_expiring", cred, CLINIC__CHANGE_OP__UPDATED);

    /* amy sees her own record and credential, not Rita's. */
    Clinic__StaffShowRequest sh = CLINIC__STAFF_SHOW_REQUEST__INIT;
    resp = harness_send_ok(amy, CLINIC__REQUEST__BODY_STAFF_SHOW, &sh);
    ASSERT_EQ(resp->staff_show->staff->id, amy_id);
    ASSERT_EQ(resp->staff_show->n_credentials, 1);
    ASSERT(resp->staff_show->credentials[0]->expiring);
    sh.id = rita;
    ASSERT_EQ(harness_send(amy, CLINIC__REQUEST__BODY_STAFF_SHOW, &sh, &resp), CL_EPERM);
    /* ... nor change anything. */
    ASSERT_EQ(harness_send(amy, CLINIC__REQUEST__BODY_STAFF_ADD, &add, &resp), CL_EPERM);

    /* A stale edit gets CONFLICT with the current record. */
    Clinic__StaffMember e = m;
    e.id = rita;
    e.version = 1;
    e.job_title = "Senior biller";
    Clinic__StaffEditRequest ed = CLINIC__STAFF_EDIT_REQUEST__INIT;
    ed.staff = &e;
    harness_send_ok(mgr, CLINIC__REQUEST__BODY_STAFF_EDIT, &ed);
    expect_event(watcher, "staff", "staff", rita, CLINIC__CHANGE_OP__UPDATED);
    ASSERT_EQ(harness_send(mgr, CLINIC__REQUEST__BODY_STAFF_EDIT, &ed, &resp), CL_ECONFLICT);
    ASSERT_EQ(resp->staff_edit->staff->version, 2);
    ASSERT_STR_EQ(resp->staff_edit->staff->job_title, "Senior biller");

    cl_sync_close(mgr);
    cl_sync_close(watcher);
    cl_sync_close(amy);
    harness_stop(&h);
}

CL_TEST(staff_from_the_command_line)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "mgr", "manager");
    harness_add_user(&h, "amy", "front_desk");
    char out[16384], hired[11], soon[11], later[11], past[11];
    harness_date_ahead(-400, hired);
    harness_date_ahead(-700, past);
    harness_date_ahead(14, soon);
    harness_date_ahead(700, later);
    harness_clinic_login(&h, "mgr");

    HARNESS_CLINIC_OK(&h, out, "staff", "add", "Rita", "Ortiz", "--title", "Biller", "--supervisor",
                      "mgr", "--type", "part_time", "--hired", hired, "--phone", "(555) 123-4567",
                      "--email", "rita@example.org");
    ASSERT_STR_CONTAINS(out, "Rita Ortiz, Biller -> mgr");
    char rita[16];
    snprintf(rita, sizeof(rita), "%d", atoi(out + strlen("added ")));
    HARNESS_CLINIC_OK(&h, out, "--json", "staff", "show", "amy");
    ASSERT_STR_CONTAINS(out, "\"username\":\"amy\"");
    ASSERT_STR_CONTAINS(out, "\"roles\":[\"front_desk\"]");
    HARNESS_CLINIC_OK(&h, out, "staff", "edit", "amy", "--title", "Receptionist", "--supervisor",
                      "mgr");
    ASSERT_STR_CONTAINS(out, "changed");
    ASSERT_STR_CONTAINS(out, "Receptionist");
    HARNESS_CLINIC_OK(&h, out, "--json", "staff", "list");
    ASSERT_STR_CONTAINS(out, "\"full_name\":\"Rita Ortiz\"");
    ASSERT_STR_CONTAINS(out, "\"phone\":\"5551234567\"");
    /* A bad e-mail names its field: exit 7. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "staff", "add", "Bad", "Mail", "--email", "nope"), 7);
    ASSERT_STR_CONTAINS(out, "staff.email");
    /* A loop: mgr under amy, who reports to mgr. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "staff", "edit", "mgr", "--supervisor", "amy"), 7);
    ASSERT_STR_CONTAINS(out, "loop");
    /* A stale version: exit 6. */
    ASSERT_EQ(
        HARNESS_CLINIC(&h, out, "staff", "edit", "amy", "--title", "X", "--expect-version", "1"),
        6);

    HARNESS_CLINIC_OK(&h, out, "--json", "cred", "add", "amy", "--kind", "cpr_bls", "--name",
                      "BLS Provider", "--issued", past, "--expires", soon);
    ASSERT_STR_CONTAINS(out, "\"warned\":true");
    ASSERT_STR_CONTAINS(out, "\"days_left\":14");
    HARNESS_CLINIC_OK(&h, out, "cred", "add", "amy", "--kind", "state_license", "--name", "Notary",
                      "--expires", later);
    HARNESS_CLINIC_OK(&h, out, "--json", "cred", "list", "--expiring", "30");
    ASSERT_STR_CONTAINS(out, "\"name\":\"BLS Provider\"");
    ASSERT(strstr(out, "Notary") == NULL);
    HARNESS_CLINIC_OK(&h, out, "--json", "dashboard");
    ASSERT_STR_CONTAINS(out, "\"scope\":\"all\"");
    ASSERT_STR_CONTAINS(out, "\"credentials_expiring\":1");
    ASSERT_STR_CONTAINS(out, "\"kind\":\"credential_expiring\"");
    HARNESS_CLINIC_OK(&h, out, "--json", "cred", "renew", "1", "--expires", later);
    ASSERT_STR_CONTAINS(out, "\"id\":3");
    ASSERT_STR_CONTAINS(out, "\"warned\":false");
    /* The old one is history now. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "cred", "renew", "1", "--expires", later), 6);
    HARNESS_CLINIC_OK(&h, out, "cred", "remove", "2", "--reason", "not needed");
    HARNESS_CLINIC_OK(&h, out, "cred", "list", "amy", "--all");
    ASSERT_STR_CONTAINS(out, "[renewed as 3]");
    ASSERT_STR_CONTAINS(out, "[removed: not needed]");
    HARNESS_CLINIC_OK(&h, out, "dashboard");
    ASSERT_STR_CONTAINS(out, "0 expired, 0 expiring");
    HARNESS_CLINIC_OK(&h, out, "--json", "staff", "leave", rita, "--reason", "moved away");
    ASSERT_STR_CONTAINS(out, "\"active\":false");

    /* amy: her own record, not another's (exit 4), and no changes. */
    HARNESS_CLINIC_OK(&h, out, "logout");
    char pw[256];
    snprintf(pw, sizeof(pw), "%s", h.password_file);
    HARNESS_CLINIC_OK(&h, out, "login", "--user", "amy", "--password-file", pw);
    HARNESS_CLINIC_OK(&h, out, "--json", "staff", "show");
    ASSERT_STR_CONTAINS(out, "\"username\":\"amy\"");
    ASSERT_STR_CONTAINS(out, "\"supervisor_name\":\"mgr\"");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "staff", "show", "mgr"), 4);
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "staff", "add", "Someone"), 4);
    HARNESS_CLINIC_OK(&h, out, "--json", "dashboard");
    ASSERT_STR_CONTAINS(out, "\"scope\":\"self\"");
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(manager_adds_staff_and_credentials_and_subscribers_see_them_live),
             CL_TEST_ENTRY(staff_from_the_command_line))
