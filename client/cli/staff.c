/* The staff commands: staff members (add, list, show, edit, leave), their credentials (add, list,
 * renew, remove) and the staff dashboard. A staff member is named by id or by username; an edit
 * reads the record first and sends it whole with the version read (or --expect-version). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mem.h"
#include "status.h"

/* ---- arguments --------------------------------------------------------------------------------
 */

static int is_number(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* A StaffShow of `who` (an id, a username, or NULL for oneself). */
static int show_call(cli_t *cli, const char *who, int history, const Clinic__StaffShowReply **out)
{
    Clinic__StaffShowRequest s = CLINIC__STAFF_SHOW_REQUEST__INIT;
    if (who && is_number(who)) {
        if (cl_cli_parse_uint(who, INT64_MAX, &s.id) != 0)
            return cli_input_error("STAFF: %s is out of range", who);
    } else if (who) {
        s.username = (char *)who;
    }
    s.include_removed = history;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_SHOW, &s, &resp);
    if (rc != 0)
        return rc;
    if (resp->staff_show->staff == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no staff record");
    *out = resp->staff_show;
    return 0;
}

/* The staff id `who` names (an id is taken as it is; a username is looked up). */
static int resolve_staff(cli_t *cli, const char *who, uint64_t *id)
{
    if (is_number(who)) {
        if (cl_cli_parse_uint(who, INT64_MAX, id) != 0 || *id == 0)
            return cli_input_error("STAFF: %s is not a staff id", who);
        return 0;
    }
    const Clinic__StaffShowReply *r;
    int rc = show_call(cli, who, 0, &r);
    if (rc == 0)
        *id = r->staff->id;
    return rc;
}

/* ---- output -----------------------------------------------------------------------------------
 */

static void json_staff(cl_json_t *j, const Clinic__StaffMember *m)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", m->id);
    cl_json_kv_uint(j, "user_id", m->user_id);
    cl_json_kv_string(j, "username", m->username);
    cl_json_kv_string(j, "full_name", m->full_name);
    cl_json_kv_string(j, "job_title", m->job_title);
    cli_json_strings(j, "roles", m->roles, m->n_roles);
    cl_json_kv_uint(j, "supervisor_id", m->supervisor_id);
    cl_json_kv_string(j, "supervisor_name", m->supervisor_name);
    cl_json_kv_string(j, "employment_type", m->employment_type);
    cl_json_kv_string(j, "hire_date", m->hire_date);
    cl_json_kv_string(j, "phone", m->phone);
    cl_json_kv_string(j, "email", m->email);
    cl_json_kv_string(j, "pay_type", m->pay_type);
    cl_json_kv_bool(j, "active", m->active);
    cl_json_kv_string(j, "left_on", m->left_on);
    cl_json_kv_string(j, "left_reason", m->left_reason);
    cl_json_kv_uint(j, "reports", m->reports);
    cl_json_kv_int(j, "created_at", m->created_at);
    cl_json_kv_string(j, "created_by", m->created_by);
    cl_json_kv_int(j, "updated_at", m->updated_at);
    cl_json_kv_string(j, "updated_by", m->updated_by);
    cl_json_kv_uint(j, "version", m->version);
    cl_json_object_end(j);
}

static void json_cred(cl_json_t *j, const Clinic__StaffCredential *c)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", c->id);
    cl_json_kv_uint(j, "staff_id", c->staff_id);
    cl_json_kv_string(j, "staff_name", c->staff_name);
    cl_json_kv_string(j, "kind", c->kind);
    cl_json_kv_string(j, "name", c->name);
    cl_json_kv_string(j, "number", c->number);
    cl_json_kv_string(j, "issuer", c->issuer);
    cl_json_kv_string(j, "issued_on", c->issued_on);
    cl_json_kv_string(j, "expires_on", c->expires_on);
    cl_json_kv_string(j, "warned_on", c->warned_on);
    cl_json_kv_int(j, "days_left", c->days_left);
    cl_json_kv_bool(j, "expiring", c->expiring);
    cl_json_kv_bool(j, "expired", c->expired);
    cl_json_kv_uint(j, "replaced_by", c->replaced_by);
    cl_json_kv_int(j, "removed_at", c->removed_at);
    cl_json_kv_string(j, "removed_by", c->removed_by);
    cl_json_kv_string(j, "removed_reason", c->removed_reason);
    cl_json_kv_int(j, "created_at", c->created_at);
    cl_json_kv_string(j, "created_by", c->created_by);
    cl_json_kv_uint(j, "version", c->version);
    cl_json_object_end(j);
}

static void put_field(const char *label, const char *value)
{
    printf("  %-12s ", label);
    cli_put(stdout, value[0] ? value : "-", 0);
    printf("\n");
}

static void print_staff_line(const Clinic__StaffMember *m)
{
    printf("%5llu  ", (unsigned long long)m->id);
    cli_put(stdout, m->full_name, 0);
    if (m->job_title[0]) {
        printf(", ");
        cli_put(stdout, m->job_title, 0);
    }
    if (m->username[0]) {
        printf(" [");
        cli_put(stdout, m->username, 0);
        printf("]");
    }
    if (m->supervisor_id) {
        printf(" -> ");
        cli_put(stdout, m->supervisor_name, 0);
    }
    if (!m->active) {
        printf(" (left ");
        cli_put(stdout, m->left_on, 0);
        printf(")");
    }
    printf("\n");
}

static void print_staff(const Clinic__StaffMember *m)
{
    printf("Staff %llu (version %llu): ", (unsigned long long)m->id,
           (unsigned long long)m->version);
    cli_put(stdout, m->full_name, 0);
    printf("%s\n", m->active ? "" : " (left)");
    put_field("Title", m->job_title);
    put_field("User", m->username);
    printf("  %-12s ", "Roles");
    cli_put_list(stdout, m->roles, m->n_roles);
    printf("\n");
    put_field("Supervisor", m->supervisor_name);
    put_field("Employment", m->employment_type);
    put_field("Pay", m->pay_type);
    put_field("Hired", m->hire_date);
    put_field("Phone", m->phone);
    put_field("Email", m->email);
    if (m->reports)
        printf("  %-12s %u\n", "Reports", m->reports);
    if (!m->active) {
        put_field("Left on", m->left_on);
        put_field("Reason", m->left_reason);
    }
}

static void print_cred(const Clinic__StaffCredential *c, int with_staff)
{
    printf("%5llu  ", (unsigned long long)c->id);
    if (with_staff) {
        cli_put(stdout, c->staff_name, 0);
        printf(": ");
    }
    cli_put(stdout, c->name, 0);
    printf(" (");
    cli_put(stdout, c->kind, 0);
    if (c->number[0]) {
        printf(" ");
        cli_put(stdout, c->number, 0);
    }
    printf(")");
    if (c->expires_on[0]) {
        printf(", expires ");
        cli_put(stdout, c->expires_on, 0);
        if (c->removed_at == 0 && c->expired)
            printf(" EXPIRED");
        else if (c->removed_at == 0 && c->expiring)
            printf(" (in %d days)", c->days_left);
    } else {
        printf(", no expiry");
    }
    if (c->replaced_by)
        printf(" [renewed as %llu]", (unsigned long long)c->replaced_by);
    else if (c->removed_at) {
        printf(" [removed: ");
        cli_put(stdout, c->removed_reason, 0);
        printf("]");
    }
    printf("\n");
}

/* ---- staff ------------------------------------------------------------------------------------
 */

/* The options add and edit share; NULL when not given. */
typedef struct {
    const char *name, *title, *supervisor, *type, *hired, *phone, *email, *pay;
} staff_opts_t;

/* Sets the fields of `m` given in `o`; the supervisor by id or username ("none" clears it). */
static int apply_opts(cli_t *cli, const staff_opts_t *o, Clinic__StaffMember *m)
{
    if (o->name)
        m->full_name = (char *)o->name;
    if (o->title)
        m->job_title = (char *)o->title;
    if (o->type)
        m->employment_type = (char *)o->type;
    if (o->hired)
        m->hire_date = (char *)o->hired;
    if (o->phone)
        m->phone = (char *)o->phone;
    if (o->email)
        m->email = (char *)o->email;
    if (o->pay)
        m->pay_type = (char *)o->pay;
    if (o->supervisor) {
        if (strcmp(o->supervisor, "none") == 0 || o->supervisor[0] == '\0')
            m->supervisor_id = 0;
        else
            return resolve_staff(cli, o->supervisor, &m->supervisor_id);
    }
    return 0;
}

static int print_one(cli_t *cli, const Clinic__StaffMember *m, const char *verb)
{
    if (m == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no staff record");
    if (cli->json) {
        json_staff(&cli->j, m);
        cli_json_emit(cli);
        return 0;
    }
    printf("%s ", verb);
    print_staff_line(m);
    return 0;
}

int cmd_staff_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    staff_opts_t o = {0};
    const char *user = NULL;
    const cli_opt_t opts[] = {{"--title", &o.title, NULL},           {"--user", &user, NULL},
                              {"--supervisor", &o.supervisor, NULL}, {"--type", &o.type, NULL},
                              {"--hired", &o.hired, NULL},           {"--phone", &o.phone, NULL},
                              {"--email", &o.email, NULL},           {"--pay", &o.pay, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "NAME is missing");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    char *name = cli_join_words(npos, argv);
    o.name = name;
    Clinic__StaffMember m = CLINIC__STAFF_MEMBER__INIT;
    Clinic__StaffAddRequest add = CLINIC__STAFF_ADD_REQUEST__INIT;
    add.staff = &m;
    add.username = (char *)(user ? user : "");
    if ((rc = apply_opts(cli, &o, &m)) == 0) {
        const Clinic__Response *resp;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_ADD, &add, &resp)) == 0)
            rc = print_one(cli, resp->staff_add->staff, "added");
    }
    free(name);
    return rc;
}

int cmd_staff_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *supervisor = NULL;
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}, {"--supervisor", &supervisor, NULL}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    Clinic__StaffListRequest l = CLINIC__STAFF_LIST_REQUEST__INIT;
    l.include_left = all;
    if (supervisor && (rc = resolve_staff(cli, supervisor, &l.supervisor_id)) != 0)
        return rc;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_LIST, &l, &resp)) != 0)
        return rc;
    const Clinic__StaffListReply *r = resp->staff_list;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "staff");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < r->n_staff; i++)
            json_staff(&cli->j, r->staff[i]);
        cl_json_array_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    if (r->n_staff == 0)
        printf("no staff members\n");
    for (size_t i = 0; i < r->n_staff; i++)
        print_staff_line(r->staff[i]);
    return 0;
}

int cmd_staff_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int history = 0, npos, rc;
    const cli_opt_t opts[] = {{"--history", NULL, &history}};
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos > 1)
        return cli_usage_error(cmd, "expected at most one STAFF");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__StaffShowReply *r;
    if ((rc = show_call(cli, npos ? argv[0] : NULL, history, &r)) != 0)
        return rc;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "staff");
        json_staff(&cli->j, r->staff);
        cl_json_key(&cli->j, "credentials");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < r->n_credentials; i++)
            json_cred(&cli->j, r->credentials[i]);
        cl_json_array_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    print_staff(r->staff);
    printf("Credentials:%s\n", r->n_credentials ? "" : " none");
    for (size_t i = 0; i < r->n_credentials; i++)
        print_cred(r->credentials[i], 0);
    return 0;
}

/* A copy of the strings of `m` that the edit sends, since the reply it came in dies at the next
 * call. */
typedef struct {
    char *s[8];
} staff_copy_t;

static void copy_staff(Clinic__StaffMember *m, staff_copy_t *c)
{
    char **f[] = {&m->full_name, &m->job_title, &m->employment_type, &m->hire_date,
                  &m->phone,     &m->email,     &m->pay_type};
    for (size_t i = 0; i < CL_ARRAY_SIZE(f); i++)
        *f[i] = c->s[i] = cl_strdup(*f[i]);
    m->username = m->supervisor_name = m->left_on = m->left_reason = m->created_by = m->updated_by =
        (char *)"";
    m->n_roles = 0;
    m->roles = NULL;
}

int cmd_staff_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    staff_opts_t o = {0};
    const char *who, *expect = NULL;
    const cli_opt_t opts[] = {{"--name", &o.name, NULL},
                              {"--title", &o.title, NULL},
                              {"--supervisor", &o.supervisor, NULL},
                              {"--type", &o.type, NULL},
                              {"--hired", &o.hired, NULL},
                              {"--phone", &o.phone, NULL},
                              {"--email", &o.email, NULL},
                              {"--pay", &o.pay, NULL},
                              {"--expect-version", &expect, NULL}};
    uint64_t version = 0;
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "STAFF", &who)) != 0)
        return rc;
    if (expect && (rc = cli_parse_version(cmd, expect, &version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__StaffShowReply *r;
    if ((rc = show_call(cli, who, 0, &r)) != 0)
        return rc;
    Clinic__StaffMember m = *r->staff;
    staff_copy_t copy;
    copy_staff(&m, &copy);
    if (version)
        m.version = version;
    if ((rc = apply_opts(cli, &o, &m)) == 0) {
        Clinic__StaffEditRequest e = CLINIC__STAFF_EDIT_REQUEST__INIT;
        e.staff = &m;
        const Clinic__Response *resp;
        if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_EDIT, &e, &resp)) == 0)
            rc = print_one(cli, resp->staff_edit->staff, "changed");
    }
    for (size_t i = 0; i < 7; i++)
        free(copy.s[i]);
    return rc;
}

int cmd_staff_leave(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *who, *reason = NULL, *on = NULL, *expect = NULL;
    const cli_opt_t opts[] = {
        {"--reason", &reason, NULL}, {"--on", &on, NULL}, {"--expect-version", &expect, NULL}};
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "STAFF", &who)) != 0)
        return rc;
    if (reason == NULL)
        return cli_usage_error(cmd, "--reason is required");
    Clinic__StaffLeaveRequest l = CLINIC__STAFF_LEAVE_REQUEST__INIT;
    if (expect && (rc = cli_parse_version(cmd, expect, &l.version)) != 0)
        return rc;
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__StaffShowReply *r;
    if ((rc = show_call(cli, who, 0, &r)) != 0)
        return rc;
    l.id = r->staff->id;
    if (l.version == 0)
        l.version = r->staff->version;
    l.left_on = (char *)(on ? on : "");
    l.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_LEAVE, &l, &resp)) != 0)
        return rc;
    return print_one(cli, resp->staff_leave->staff, "left:");
}

/* ---- credentials ------------------------------------------------------------------------------
 */

static int print_cred_result(cli_t *cli, const Clinic__StaffCredential *c, int warned,
                             const char *verb)
{
    if (c == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no credential");
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "credential");
        json_cred(&cli->j, c);
        cl_json_kv_bool(&cli->j, "warned", warned);
        cli_json_emit(cli);
        return 0;
    }
    printf("%s ", verb);
    print_cred(c, 1);
    if (warned)
        printf("it expires within 30 days: the warning went out\n");
    return 0;
}

int cmd_cred_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *who, *kind = NULL, *name = NULL, *number = NULL, *issuer = NULL, *issued = NULL,
                     *expires = NULL;
    const cli_opt_t opts[] = {{"--kind", &kind, NULL},     {"--name", &name, NULL},
                              {"--number", &number, NULL}, {"--issuer", &issuer, NULL},
                              {"--issued", &issued, NULL}, {"--expires", &expires, NULL}};
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "STAFF", &who)) != 0)
        return rc;
    if (kind == NULL || name == NULL)
        return cli_usage_error(cmd, "--kind and --name are required");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__StaffCredential c = CLINIC__STAFF_CREDENTIAL__INIT;
    if ((rc = resolve_staff(cli, who, &c.staff_id)) != 0)
        return rc;
    c.kind = (char *)kind;
    c.name = (char *)name;
    c.number = (char *)(number ? number : "");
    c.issuer = (char *)(issuer ? issuer : "");
    c.issued_on = (char *)(issued ? issued : "");
    c.expires_on = (char *)(expires ? expires : "");
    Clinic__CredentialAddRequest a = CLINIC__CREDENTIAL_ADD_REQUEST__INIT;
    a.credential = &c;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CREDENTIAL_ADD, &a, &resp)) != 0)
        return rc;
    return print_cred_result(cli, resp->credential_add->credential, resp->credential_add->warned,
                             "added");
}

/* A CredentialList call. */
static int list_call(cli_t *cli, uint64_t staff_id, uint32_t within, int all,
                     const Clinic__CredentialListReply **out)
{
    Clinic__CredentialListRequest l = CLINIC__CREDENTIAL_LIST_REQUEST__INIT;
    l.staff_id = staff_id;
    l.expiring_within_days = within;
    l.include_removed = all;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_CREDENTIAL_LIST, &l, &resp);
    if (rc == 0)
        *out = resp->credential_list;
    return rc;
}

int cmd_cred_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *expiring = NULL;
    int all = 0, npos, rc;
    const cli_opt_t opts[] = {{"--expiring", &expiring, NULL}, {"--all", NULL, &all}};
    uint64_t within = 0, staff_id = 0;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos > 1)
        return cli_usage_error(cmd, "expected at most one STAFF");
    if (expiring && (cl_cli_parse_uint(expiring, 3660, &within) != 0 || within == 0))
        return cli_usage_error(cmd, "--expiring: expected a number of days (1-3660)");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    if (npos == 1 && (rc = resolve_staff(cli, argv[0], &staff_id)) != 0)
        return rc;
    const Clinic__CredentialListReply *r;
    if ((rc = list_call(cli, staff_id, (uint32_t)within, all, &r)) != 0)
        return rc;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_key(&cli->j, "credentials");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < r->n_credentials; i++)
            json_cred(&cli->j, r->credentials[i]);
        cl_json_array_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    if (r->n_credentials == 0)
        printf("no credentials\n");
    for (size_t i = 0; i < r->n_credentials; i++)
        print_cred(r->credentials[i], 1);
    return 0;
}

/* The version of credential `id` as read now (current or not). */
static int cred_version(cli_t *cli, uint64_t id, uint64_t *version)
{
    const Clinic__CredentialListReply *r;
    int rc = list_call(cli, 0, 0, 1, &r);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < r->n_credentials; i++) {
        if (r->credentials[i]->id == id) {
            *version = r->credentials[i]->version;
            return 0;
        }
    }
    return cli_error(CL_ENOTFOUND, "no credential %llu that you may see", (unsigned long long)id);
}

/* What renew and remove do once their arguments are read: resume the session and set *version
 * to --expect-version (`expect`) when given, else to credential `id`'s version as read now.
 * Returns 0 or an exit status (printed). */
static int begin_cred_change(cli_t *cli, const cli_command_t *cmd, uint64_t id, const char *expect,
                             uint64_t *version)
{
    int rc;
    if ((expect && (rc = cli_parse_version(cmd, expect, version)) != 0) ||
        (rc = cli_resume(cli)) != 0)
        return rc;
    return expect ? 0 : cred_version(cli, id, version);
}

int cmd_cred_renew(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *expires = NULL, *issued = NULL, *number = NULL, *expect = NULL;
    const cli_opt_t opts[] = {{"--expires", &expires, NULL},
                              {"--issued", &issued, NULL},
                              {"--number", &number, NULL},
                              {"--expect-version", &expect, NULL}};
    Clinic__CredentialRenewRequest r = CLINIC__CREDENTIAL_RENEW_REQUEST__INIT;
    int rc;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &r.id)) != 0)
        return rc;
    if (expires == NULL)
        return cli_usage_error(cmd, "--expires is required");
    if ((rc = begin_cred_change(cli, cmd, r.id, expect, &r.version)) != 0)
        return rc;
    r.expires_on = (char *)expires;
    r.issued_on = (char *)(issued ? issued : "");
    r.number = (char *)(number ? number : "");
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CREDENTIAL_RENEW, &r, &resp)) != 0)
        return rc;
    return print_cred_result(cli, resp->credential_renew->credential,
                             resp->credential_renew->warned, "renewed");
}

int cmd_cred_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *reason = NULL, *expect = NULL;
    const cli_opt_t opts[] = {{"--reason", &reason, NULL}, {"--expect-version", &expect, NULL}};
    Clinic__CredentialRemoveRequest r = CLINIC__CREDENTIAL_REMOVE_REQUEST__INIT;
    int rc;
    if ((rc = cli_parse_one_id(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "ID", &r.id)) != 0)
        return rc;
    if (reason == NULL)
        return cli_usage_error(cmd, "--reason is required");
    if ((rc = begin_cred_change(cli, cmd, r.id, expect, &r.version)) != 0)
        return rc;
    r.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_CREDENTIAL_REMOVE, &r, &resp)) != 0)
        return rc;
    return print_cred_result(cli, resp->credential_remove->credential, 0, "removed");
}

/* ---- the dashboard ----------------------------------------------------------------------------
 */

int cmd_dashboard(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    Clinic__StaffDashboardRequest d = CLINIC__STAFF_DASHBOARD_REQUEST__INIT;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_STAFF_DASHBOARD, &d, &resp)) != 0)
        return rc;
    const Clinic__StaffDashboardReply *r = resp->staff_dashboard;
    if (cli->json) {
        cl_json_t *j = &cli->j;
        cl_json_object_begin(j);
        cl_json_kv_string(j, "today", r->today);
        cl_json_kv_string(j, "scope", r->scope);
        cl_json_kv_uint(j, "staff_active", r->staff_active);
        cl_json_kv_uint(j, "staff_left", r->staff_left);
        cl_json_kv_uint(j, "credentials_expiring", r->credentials_expiring);
        cl_json_kv_uint(j, "credentials_expired", r->credentials_expired);
        cl_json_kv_uint(j, "without_supervisor", r->without_supervisor);
        cl_json_key(j, "lines");
        cl_json_array_begin(j);
        for (size_t i = 0; i < r->n_lines; i++) {
            const Clinic__StaffDashboardLine *l = r->lines[i];
            cl_json_object_begin(j);
            cl_json_kv_string(j, "kind", l->kind);
            cl_json_kv_uint(j, "staff_id", l->staff_id);
            cl_json_kv_string(j, "staff_name", l->staff_name);
            cl_json_kv_uint(j, "credential_id", l->credential_id);
            cl_json_kv_int(j, "days_left", l->days_left);
            cl_json_kv_string(j, "text", l->text);
            cl_json_object_end(j);
        }
        cl_json_array_end(j);
        cli_json_emit(cli);
        return 0;
    }
    printf("Staff dashboard, ");
    cli_put(stdout, r->today, 0);
    printf(" (");
    cli_put(stdout, r->scope, 0);
    printf(")\n");
    printf("  %u active, %u left; credentials: %u expired, %u expiring within 30 days; "
           "%u without a supervisor\n",
           r->staff_active, r->staff_left, r->credentials_expired, r->credentials_expiring,
           r->without_supervisor);
    for (size_t i = 0; i < r->n_lines; i++) {
        const Clinic__StaffDashboardLine *l = r->lines[i];
        printf("  %s ", strcmp(l->kind, "credential_expired") == 0    ? "!!"
                        : strcmp(l->kind, "credential_expiring") == 0 ? "! "
                                                                      : "- ");
        cli_put(stdout, l->text, 0);
        printf("\n");
    }
    return 0;
}
