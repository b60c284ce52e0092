/* The demo clinic's staff: the demo users' own records completed (job title, supervisor, hire
 * date), seven staff members without a login, and their credentials, one BLS card expiring
 * within the month so that the dashboard has a line to show. */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "seed.h"

typedef struct {
    const char *username;    /* a demo user's login, or NULL for a staff member without one */
    const char *full_name;
    const char *job_title;
    const char *supervisor;  /* username or full name of a staff member above in this table */
    const char *employment;
    const char *pay_type;
    int hired_days_ago;
    uint64_t id;             /* filled in */
} staff_seed_t;

static staff_seed_t people[] = {
    {"morgan", "Morgan Reyes", "Office Manager", NULL, "full_time", "salaried", 2900, 0},
    {"admin", "Clinic Administrator", "IT Administrator", "morgan", "part_time", "hourly", 2000, 0},
    {"frontdesk", "Frankie Ortiz", "Front Desk Lead", "morgan", "full_time", "hourly", 1800, 0},
    {"sam", "Sam Patel", "Scheduler", "morgan", "full_time", "hourly", 1400, 0},
    {"billie", "Billie Chen", "Billing Specialist", "morgan", "full_time", "hourly", 1100, 0},
    {"drlee", "Dr. Dana Lee", "Physician", "morgan", "full_time", "salaried", 3300, 0},
    {"nurse", "Nora Nurse", "Nurse Practitioner", "drlee", "full_time", "salaried", 1500, 0},
    {"stacy", "Stacy Brooks", "Administrative Assistant", "morgan", "full_time", "hourly", 700, 0},
    {NULL, "Rosa Alvarez", "Receptionist", "frontdesk", "full_time", "hourly", 900, 0},
    {NULL, "Jamal Carter", "Receptionist", "frontdesk", "part_time", "hourly", 300, 0},
    {NULL, "Lena Kowalski", "Phone Operator", "frontdesk", "part_time", "hourly", 450, 0},
    {NULL, "Omar Haddad", "Medical Coder", "billie", "full_time", "hourly", 1250, 0},
    {NULL, "Grace Kim", "Billing Clerk", "billie", "per_diem", "hourly", 120, 0},
    {NULL, "Tomas Rivera", "Medical Assistant", "drlee", "full_time", "hourly", 640, 0},
    {NULL, "Priya Raman", "Pediatrician", "morgan", "part_time", "salaried", 2200, 0},
};

uint64_t seed_staff_id(const char *who)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(people); i++)
        if ((people[i].username && strcmp(people[i].username, who) == 0) ||
            strcmp(people[i].full_name, who) == 0)
            return people[i].id;
    seed_die("no seeded staff member %s", who);
    return 0;
}

/* The staff record of a demo user (made with the user), or NULL. */
static const Clinic__StaffMember *by_username(const Clinic__StaffListReply *list, const char *u)
{
    for (size_t i = 0; i < list->n_staff; i++)
        if (strcmp(list->staff[i]->username, u) == 0)
            return list->staff[i];
    return NULL;
}

static void fill(Clinic__StaffMember *m, const staff_seed_t *p, const seed_ctx_t *ctx, char *hired)
{
    m->full_name = (char *)p->full_name;
    m->job_title = (char *)p->job_title;
    m->employment_type = (char *)p->employment;
    m->pay_type = (char *)p->pay_type;
    seed_date_add(ctx->today, -p->hired_days_ago, hired);
    m->hire_date = hired;
    m->supervisor_id = p->supervisor ? seed_staff_id(p->supervisor) : 0;
}

static void add_credential(uint64_t staff_id, const char *kind, const char *name,
                           const char *number, const char *issuer, const seed_ctx_t *ctx,
                           int issued_days_ago, int expires_in_days)
{
    char issued[11], expires[11];
    seed_date_add(ctx->today, -issued_days_ago, issued);
    seed_date_add(ctx->today, expires_in_days, expires);
    Clinic__StaffCredential c = CLINIC__STAFF_CREDENTIAL__INIT;
    c.staff_id = staff_id;
    c.kind = (char *)kind;
    c.name = (char *)name;
    c.number = (char *)number;
    c.issuer = (char *)issuer;
    c.issued_on = issued;
    c.expires_on = expires;
    Clinic__CredentialAddRequest m = CLINIC__CREDENTIAL_ADD_REQUEST__INIT;
    m.credential = &c;
    seed_send(CLINIC__REQUEST__BODY_CREDENTIAL_ADD, &m, 0, NULL);
}

void seed_staff(const seed_ctx_t *ctx)
{
    Clinic__StaffListRequest l = CLINIC__STAFF_LIST_REQUEST__INIT;
    const Clinic__StaffListReply *list =
        seed_send(CLINIC__REQUEST__BODY_STAFF_LIST, &l, 0, NULL)->staff_list;
    /* seed_send's reply lives until the next call: keep the ids and versions first. */
    uint64_t ids[CL_ARRAY_SIZE(people)] = {0}, versions[CL_ARRAY_SIZE(people)] = {0};
    for (size_t i = 0; i < CL_ARRAY_SIZE(people); i++) {
        const Clinic__StaffMember *m =
            people[i].username ? by_username(list, people[i].username) : NULL;
        if (people[i].username && m == NULL)
            seed_die("the demo user %s has no staff record", people[i].username);
        if (m) {
            ids[i] = m->id;
            versions[i] = m->version;
        }
    }

    for (size_t i = 0; i < CL_ARRAY_SIZE(people); i++) {
        staff_seed_t *p = &people[i];
        char hired[11];
        Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
        fill(&m, p, ctx, hired);
        if (ids[i] != 0) {
            m.id = ids[i];
            m.version = versions[i];
            Clinic__StaffEditRequest e = CLINIC__STAFF_EDIT_REQUEST__INIT;
            e.staff = &m;
            p->id = seed_send(CLINIC__REQUEST__BODY_STAFF_EDIT, &e, 0, NULL)->staff_edit->staff->id;
        } else {
            Clinic__StaffAddRequest a = CLINIC__STAFF_ADD_REQUEST__INIT;
            a.staff = &m;
            p->id = seed_send(CLINIC__REQUEST__BODY_STAFF_ADD, &a, 0, NULL)->staff_add->staff->id;
        }
    }

    add_credential(seed_staff_id("drlee"), "state_license", "Medical licence (MD)", "MD-448213",
                   "State Medical Board", ctx, 700, 400);
    add_credential(seed_staff_id("drlee"), "cpr_bls", "BLS Provider", "BLS-20931",
                   "American Heart Association", ctx, 500, 230);
    add_credential(seed_staff_id("nurse"), "state_license", "Nurse practitioner licence",
                   "NP-77120", "State Board of Nursing", ctx, 300, 430);
    add_credential(seed_staff_id("nurse"), "cpr_bls", "BLS Provider", "BLS-18842",
                   "American Heart Association", ctx, 710, 19);
    add_credential(seed_staff_id("Tomas Rivera"), "certification", "Certified Medical Assistant",
                   "CMA-5521", "AAMA", ctx, 400, 1060);
    add_credential(seed_staff_id("Omar Haddad"), "certification", "Certified Professional Coder",
                   "CPC-01993", "AAPC", ctx, 330, 35);
    printf("  staff: %zu members with job titles and supervisors; 6 credentials, one expiring "
           "within the month\n",
           CL_ARRAY_SIZE(people));
}

void seed_staff_retire_seeder(const seed_ctx_t *ctx)
{
    Clinic__StaffShowRequest s = CLINIC__STAFF_SHOW_REQUEST__INIT;
    const Clinic__StaffMember *me =
        seed_send(CLINIC__REQUEST__BODY_STAFF_SHOW, &s, 0, NULL)->staff_show->staff;
    Clinic__StaffLeaveRequest l = CLINIC__STAFF_LEAVE_REQUEST__INIT;
    l.id = me->id;
    l.version = me->version;
    l.reason = "the demo's seeding account, not a person";
    /* Nobody marks themself as left: the manager does. */
    seed_send_as(ctx, "morgan", CLINIC__REQUEST__BODY_STAFF_LEAVE, &l);
}
