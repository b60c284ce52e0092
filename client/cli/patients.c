/* The patient commands: add (with the server's duplicate check), find, show, edit, merge and
 * unmerge. Edits and merges read the record first and send the version read, so a concurrent
 * change is reported as a conflict rather than overwritten. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mem.h"
#include "status.h"

/* The record options of `add` and `edit`; NULL: not given. */
typedef struct {
    const char *first, *middle, *last, *preferred, *birth, *sex;
    const char *mobile, *home, *work, *email;
    const char *address1, *address2, *city, *state, *zip, *contact;
    const char *emergency_name, *emergency_relation, *emergency_phone;
    const char *payer, *member_id, *group, *subscriber, *relation, *from, *to;
    const char *notes;
    int force, clear_insurance;
} flags_t;

enum { RECORD_OPTS = 27 };

/* Fills `opts` with the record options pointing into `f`; returns how many. */
static size_t record_opts(flags_t *f, cli_opt_t *opts)
{
    const cli_opt_t all[RECORD_OPTS] = {
        {"--first", &f->first, NULL},
        {"--middle", &f->middle, NULL},
        {"--last", &f->last, NULL},
        {"--preferred", &f->preferred, NULL},
        {"--birth", &f->birth, NULL},
        {"--sex", &f->sex, NULL},
        {"--mobile", &f->mobile, NULL},
        {"--home", &f->home, NULL},
        {"--work", &f->work, NULL},
        {"--email", &f->email, NULL},
        {"--address1", &f->address1, NULL},
        {"--address2", &f->address2, NULL},
        {"--city", &f->city, NULL},
        {"--state", &f->state, NULL},
        {"--zip", &f->zip, NULL},
        {"--contact", &f->contact, NULL},
        {"--emergency-name", &f->emergency_name, NULL},
        {"--emergency-relation", &f->emergency_relation, NULL},
        {"--emergency-phone", &f->emergency_phone, NULL},
        {"--payer", &f->payer, NULL},
        {"--member-id", &f->member_id, NULL},
        {"--group", &f->group, NULL},
        {"--subscriber", &f->subscriber, NULL},
        {"--relation", &f->relation, NULL},
        {"--insurance-from", &f->from, NULL},
        {"--insurance-to", &f->to, NULL},
        {"--notes", &f->notes, NULL},
    };
    memcpy(opts, all, sizeof(all));
    return RECORD_OPTS;
}

/* A record being built for a request: the message and its parts. String fields point at the
 * options or at a record read from the server, which outlive the request. */
typedef struct {
    Clinic__Patient p;
    Clinic__PatientAddress addr;
    Clinic__EmergencyContact em;
    Clinic__Insurance primary;
    Clinic__Insurance **plans; /* owned (cl_malloc) */
} form_t;

/* Starts a form as a copy of `from` (NULL: an empty record). */
static void form_init(form_t *f, const Clinic__Patient *from)
{
    memset(f, 0, sizeof(*f));
    clinic__patient__init(&f->p);
    clinic__patient_address__init(&f->addr);
    clinic__emergency_contact__init(&f->em);
    clinic__insurance__init(&f->primary);
    if (from) {
        f->p = *from;
        if (from->address)
            f->addr = *from->address;
        if (from->emergency)
            f->em = *from->emergency;
    }
    f->p.address = &f->addr;
    f->p.emergency = &f->em;
    size_t n = from ? from->n_insurance : 0;
    f->plans = cl_calloc(n + 1, sizeof(*f->plans));
    for (size_t i = 0; i < n; i++)
        f->plans[i] = from->insurance[i];
    f->p.insurance = f->plans;
    f->p.n_insurance = n;
}

static void form_free(form_t *f)
{
    free(f->plans);
    f->plans = NULL;
}

#define SET(field, value)                                                                          \
    do {                                                                                           \
        if ((value) != NULL)                                                                       \
            (field) = (char *)(value);                                                             \
    } while (0)

/* Applies the options given to the form. Insurance options change the primary plan (the
 * first), adding one when the record has none; --clear-insurance drops every plan first. */
static void form_apply(form_t *f, const flags_t *o)
{
    SET(f->p.first_name, o->first);
    SET(f->p.middle_name, o->middle);
    SET(f->p.last_name, o->last);
    SET(f->p.preferred_name, o->preferred);
    SET(f->p.birth_date, o->birth);
    SET(f->p.sex, o->sex);
    SET(f->p.phone_mobile, o->mobile);
    SET(f->p.phone_home, o->home);
    SET(f->p.phone_work, o->work);
    SET(f->p.email, o->email);
    SET(f->addr.line1, o->address1);
    SET(f->addr.line2, o->address2);
    SET(f->addr.city, o->city);
    SET(f->addr.state, o->state);
    SET(f->addr.postal_code, o->zip);
    SET(f->p.preferred_contact, o->contact);
    SET(f->em.name, o->emergency_name);
    SET(f->em.relation, o->emergency_relation);
    SET(f->em.phone, o->emergency_phone);
    SET(f->p.notes, o->notes);
    if (o->clear_insurance)
        f->p.n_insurance = 0;
    if (!(o->payer || o->member_id || o->group || o->subscriber || o->relation || o->from || o->to))
        return;
    if (f->p.n_insurance > 0)
        f->primary = *f->plans[0];
    else
        f->p.n_insurance = 1;
    f->plans[0] = &f->primary;
    SET(f->primary.payer, o->payer);
    SET(f->primary.member_id, o->member_id);
    SET(f->primary.group_number, o->group);
    SET(f->primary.subscriber_name, o->subscriber);
    SET(f->primary.subscriber_relation, o->relation);
    SET(f->primary.effective_from, o->from);
    SET(f->primary.effective_to, o->to);
}

/* ---- output ----------------------------------------------------------------------------- */

static void json_summary(cl_json_t *j, const Clinic__PatientSummary *s)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", s->id);
    cl_json_kv_string(j, "record_number", s->record_number);
    cl_json_kv_string(j, "first_name", s->first_name);
    cl_json_kv_string(j, "middle_name", s->middle_name);
    cl_json_kv_string(j, "last_name", s->last_name);
    cl_json_kv_string(j, "preferred_name", s->preferred_name);
    cl_json_kv_string(j, "birth_date", s->birth_date);
    cl_json_kv_string(j, "sex", s->sex);
    cl_json_kv_string(j, "phone_mobile", s->phone_mobile);
    cl_json_kv_string(j, "phone_home", s->phone_home);
    cl_json_kv_string(j, "phone_work", s->phone_work);
    cl_json_object_end(j);
}

static void json_patient(cl_json_t *j, const Clinic__Patient *p)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", p->id);
    cl_json_kv_string(j, "record_number", p->record_number);
    cl_json_kv_string(j, "first_name", p->first_name);
    cl_json_kv_string(j, "middle_name", p->middle_name);
    cl_json_kv_string(j, "last_name", p->last_name);
    cl_json_kv_string(j, "preferred_name", p->preferred_name);
    cl_json_kv_string(j, "birth_date", p->birth_date);
    cl_json_kv_string(j, "sex", p->sex);
    cl_json_kv_string(j, "phone_mobile", p->phone_mobile);
    cl_json_kv_string(j, "phone_home", p->phone_home);
    cl_json_kv_string(j, "phone_work", p->phone_work);
    cl_json_kv_string(j, "email", p->email);
    cl_json_key(j, "address");
    cl_json_object_begin(j);
    if (p->address) {
        cl_json_kv_string(j, "line1", p->address->line1);
        cl_json_kv_string(j, "line2", p->address->line2);
        cl_json_kv_string(j, "city", p->address->city);
        cl_json_kv_string(j, "state", p->address->state);
        cl_json_kv_string(j, "postal_code", p->address->postal_code);
    }
    cl_json_object_end(j);
    cl_json_kv_string(j, "preferred_contact", p->preferred_contact);
    cl_json_key(j, "emergency");
    cl_json_object_begin(j);
    if (p->emergency) {
        cl_json_kv_string(j, "name", p->emergency->name);
        cl_json_kv_string(j, "relation", p->emergency->relation);
        cl_json_kv_string(j, "phone", p->emergency->phone);
    }
    cl_json_object_end(j);
    cl_json_key(j, "insurance");
    cl_json_array_begin(j);
    for (size_t i = 0; i < p->n_insurance; i++) {
        const Clinic__Insurance *ins = p->insurance[i];
        cl_json_object_begin(j);
        cl_json_kv_string(j, "payer", ins->payer);
        cl_json_kv_string(j, "member_id", ins->member_id);
        cl_json_kv_string(j, "group_number", ins->group_number);
        cl_json_kv_string(j, "subscriber_name", ins->subscriber_name);
        cl_json_kv_string(j, "subscriber_relation", ins->subscriber_relation);
        cl_json_kv_string(j, "effective_from", ins->effective_from);
        cl_json_kv_string(j, "effective_to", ins->effective_to);
        cl_json_object_end(j);
    }
    cl_json_array_end(j);
    cl_json_kv_string(j, "notes", p->notes);
    cl_json_kv_uint(j, "merged_into", p->merged_into);
    cl_json_kv_uint(j, "merge_id", p->merge_id);
    cl_json_kv_int(j, "created_at", p->created_at);
    cl_json_kv_int(j, "updated_at", p->updated_at);
    cl_json_kv_string(j, "updated_by", p->updated_by);
    cl_json_kv_uint(j, "version", p->version);
    cl_json_object_end(j);
}

static void json_merge(cl_json_t *j, const Clinic__PatientMerge *m)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", m->id);
    cl_json_kv_uint(j, "kept_id", m->kept_id);
    cl_json_kv_uint(j, "merged_id", m->merged_id);
    cl_json_kv_string(j, "reason", m->reason);
    cl_json_kv_int(j, "merged_at", m->merged_at);
    cl_json_kv_string(j, "merged_by", m->merged_by);
    cl_json_kv_int(j, "undone_at", m->undone_at);
    cl_json_kv_string(j, "undone_by", m->undone_by);
    cl_json_kv_uint(j, "appointments_moved", m->appointments_moved);
    cl_json_kv_uint(j, "waitlist_moved", m->waitlist_moved);
    cl_json_kv_uint(j, "series_moved", m->series_moved);
    cl_json_object_end(j);
}

/* "(617) 555-0142" for ten digits; anything else as it is. */
static void put_phone(const char *digits)
{
    if (strlen(digits) == 10 && strspn(digits, "0123456789") == 10)
        printf("(%.3s) %.3s-%.4s", digits, digits + 3, digits + 6);
    else
        cli_put(stdout, digits, 0);
}

/* "Garcia, Maria Luisa (Malu)" into `out`. */
static void format_name(char *out, size_t outlen, const char *first, const char *middle,
                        const char *last, const char *preferred)
{
    snprintf(out, outlen, "%s, %s%s%s%s%s%s", last, first, middle[0] ? " " : "", middle,
             preferred[0] ? " (" : "", preferred, preferred[0] ? ")" : "");
}

static void put_name(const char *first, const char *middle, const char *last, const char *preferred)
{
    char name[400];
    format_name(name, sizeof(name), first, middle, last, preferred);
    cli_put(stdout, name, 0);
}

/* The first phone of mobile, home, work, formatted, or "-". */
static void put_first_phone(const char *mobile, const char *home, const char *work)
{
    const char *p = mobile[0] ? mobile : home[0] ? home : work;
    if (p[0])
        put_phone(p);
    else
        printf("-");
}

enum { NAME_COLUMN_MAX = 40 };

/* Columns `s` takes on a terminal: its code points (wide scripts aside). */
static int text_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The width of the name column for these summaries (at least that of its heading). */
static int name_width(Clinic__PatientSummary *const *list, size_t n)
{
    int width = 4;
    for (size_t i = 0; i < n; i++) {
        char name[400];
        const Clinic__PatientSummary *s = list[i];
        format_name(name, sizeof(name), s->first_name, s->middle_name, s->last_name,
                    s->preferred_name);
        int len = text_width(name);
        width = len > width ? (len < NAME_COLUMN_MAX ? len : NAME_COLUMN_MAX) : width;
    }
    return width;
}

static void put_summary_heading(int width)
{
    printf("%-6s  %-9s  %-*s  %-10s  %-7s  %s\n", "ID", "RECORD", width, "NAME", "BORN", "SEX",
           "PHONE");
}

/* One line of a table whose name column is `width` wide (longer names push the line on). */
static void put_summary_line(const Clinic__PatientSummary *s, int width)
{
    char name[400];
    format_name(name, sizeof(name), s->first_name, s->middle_name, s->last_name, s->preferred_name);
    printf("%-6llu  %-9s  ", (unsigned long long)s->id, s->record_number);
    cli_put(stdout, name, 0);
    printf("%*s  %-10s  %-7s  ", width - text_width(name), "", s->birth_date, s->sex);
    put_first_phone(s->phone_mobile, s->phone_home, s->phone_work);
    printf("\n");
}

static void put_label(const char *label)
{
    printf("  %-10s ", label);
}

/* "P0000042  Garcia, Maria (Malu)  (id 42, version 3)": the record's first line. */
static void put_patient_heading(const Clinic__Patient *p)
{
    cli_put(stdout, p->record_number, 0);
    printf("  ");
    put_name(p->first_name, p->middle_name, p->last_name, p->preferred_name);
    printf("  (id %llu, version %llu)\n", (unsigned long long)p->id,
           (unsigned long long)p->version);
}

/* A labelled line of free text, left out when the text is empty. */
static void put_text_line(const char *label, const char *text)
{
    if (!text[0])
        return;
    put_label(label);
    cli_put(stdout, text, 0);
    printf("\n");
}

/* The phones the patient gave, on one line ("mobile (617) 555-0142, work ..."), if any. */
static void put_phones(const Clinic__Patient *p)
{
    const char *labels[] = {"mobile", "home", "work"};
    const char *phones[] = {p->phone_mobile, p->phone_home, p->phone_work};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        if (!phones[i][0])
            continue;
        if (!any)
            put_label("phones");
        printf("%s%s ", any ? ", " : "", labels[i]);
        put_phone(phones[i]);
        any = 1;
    }
    if (any)
        printf("\n");
}

static void put_address(const Clinic__PatientAddress *a)
{
    if (!a || !a->line1[0])
        return;
    put_label("address");
    cli_put(stdout, a->line1, 0);
    if (a->line2[0]) {
        printf(", ");
        cli_put(stdout, a->line2, 0);
    }
    printf(", ");
    cli_put(stdout, a->city, 0);
    printf(", %s %s\n", a->state, a->postal_code);
}

static void put_emergency(const Clinic__EmergencyContact *e)
{
    if (!e || !e->name[0])
        return;
    put_label("emergency");
    cli_put(stdout, e->name, 0);
    if (e->relation[0]) {
        printf(" (");
        cli_put(stdout, e->relation, 0);
        printf(")");
    }
    printf(" ");
    put_phone(e->phone);
    printf("\n");
}

/* Plan `i` (from 0) of the patient's insurance, the first under the "insurance" label. */
static void put_insurance(size_t i, const Clinic__Insurance *ins)
{
    put_label(i == 0 ? "insurance" : "");
    printf("%zu. ", i + 1);
    cli_put(stdout, ins->payer, 0);
    printf(", member ");
    cli_put(stdout, ins->member_id, 0);
    if (ins->group_number[0]) {
        printf(", group ");
        cli_put(stdout, ins->group_number, 0);
    }
    if (strcmp(ins->subscriber_relation, "self") != 0) {
        printf(", subscriber ");
        cli_put(stdout, ins->subscriber_name, 0);
        printf(" (%s)", ins->subscriber_relation);
    }
    if (ins->effective_from[0] || ins->effective_to[0])
        printf(", %s to %s", ins->effective_from[0] ? ins->effective_from : "...",
               ins->effective_to[0] ? ins->effective_to : "...");
    printf("\n");
}

/* For a record merged into another: where it went and how to undo it. */
static void put_merged(const Clinic__Patient *p)
{
    if (!p->merged_into)
        return;
    put_label("merged");
    printf("into patient id %llu (merge %llu; `clinic patient unmerge %llu` undoes it)\n",
           (unsigned long long)p->merged_into, (unsigned long long)p->merge_id,
           (unsigned long long)p->merge_id);
}

static void put_updated(const Clinic__Patient *p)
{
    char when[32];
    cli_time(p->updated_at, when, sizeof(when));
    put_label("updated");
    printf("%s by ", when);
    cli_put(stdout, p->updated_by, 0);
    printf("\n");
}

static void put_patient(const Clinic__Patient *p)
{
    put_patient_heading(p);
    put_label("born");
    printf("%s, %s\n", p->birth_date, p->sex);
    put_phones(p);
    put_text_line("email", p->email);
    put_address(p->address);
    put_label("contact");
    printf("%s\n", p->preferred_contact);
    put_emergency(p->emergency);
    for (size_t i = 0; i < p->n_insurance; i++)
        put_insurance(i, p->insurance[i]);
    put_text_line("notes", p->notes);
    put_merged(p);
    put_updated(p);
}

static void print_patient(cli_t *cli, const char *verb, const Clinic__Patient *p)
{
    if (cli->json) {
        json_patient(&cli->j, p);
        cli_json_emit(cli);
        return;
    }
    if (verb)
        printf("%s ", verb);
    put_patient(p);
}

/* ---- requests --------------------------------------------------------------------------- */

/* Reads patient `ref` (an id, or a record number such as P0000042). *patient is valid until
 * the next call. */
static int show(cli_t *cli, const cli_command_t *cmd, const char *ref,
                const Clinic__Patient **patient)
{
    Clinic__PatientShowRequest s = CLINIC__PATIENT_SHOW_REQUEST__INIT;
    const char *record;
    int rc = cli_parse_patient(cmd, "PATIENT", ref, &s.id, &record);
    if (rc != 0)
        return rc;
    if (record)
        s.record_number = (char *)record;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_SHOW, &s, &resp);
    if (rc == 0)
        *patient = resp->patient_show->patient;
    return rc;
}

int cmd_patient_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    flags_t f = {0};
    cli_opt_t opts[RECORD_OPTS + 1];
    size_t nopts = record_opts(&f, opts);
    opts[nopts++] = (cli_opt_t){"--force", NULL, &f.force};
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, opts, nopts)) != 0)
        return rc;
    const char *missing = !f.first   ? "--first"
                          : !f.last  ? "--last"
                          : !f.birth ? "--birth"
                          : !f.sex   ? "--sex"
                                     : NULL;
    if (missing)
        return cli_usage_error(cmd, "%s is missing", missing);
    if ((rc = cli_resume(cli)) != 0)
        return rc;

    form_t form;
    form_init(&form, NULL);
    form_apply(&form, &f);
    Clinic__PatientRegisterRequest reg = CLINIC__PATIENT_REGISTER_REQUEST__INIT;
    reg.patient = &form.p;
    reg.save_despite_duplicates = f.force;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_REGISTER, &reg, &resp);
    form_free(&form);
    if (rc != 0)
        return rc;
    const Clinic__PatientRegisterReply *r = resp->patient_register;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_bool(&cli->j, "saved", r->saved);
        if (r->patient) {
            cl_json_key(&cli->j, "patient");
            json_patient(&cli->j, r->patient);
        }
        cl_json_key(&cli->j, "duplicates");
        cl_json_array_begin(&cli->j);
        for (size_t i = 0; i < r->n_duplicates; i++) {
            cl_json_object_begin(&cli->j);
            cl_json_key(&cli->j, "patient");
            json_summary(&cli->j, r->duplicates[i]->patient);
            cli_json_strings(&cli->j, "reasons", r->duplicates[i]->reasons,
                             r->duplicates[i]->n_reasons);
            cl_json_object_end(&cli->j);
        }
        cl_json_array_end(&cli->j);
        cli_json_emit(cli);
    } else if (r->saved) {
        printf("registered ");
        put_patient(r->patient);
    } else {
        printf("Likely the same person as:\n");
        int width = 4;
        for (size_t i = 0; i < r->n_duplicates; i++) {
            int w = name_width(&r->duplicates[i]->patient, 1);
            width = w > width ? w : width;
        }
        put_summary_heading(width);
        for (size_t i = 0; i < r->n_duplicates; i++) {
            put_summary_line(r->duplicates[i]->patient, width);
            printf("        because: ");
            cli_put_list(stdout, r->duplicates[i]->reasons, r->duplicates[i]->n_reasons);
            printf("\n");
        }
    }
    if (!r->saved)
        return cli_error(CL_ECONFLICT,
                         "%zu possible duplicate%s: nothing saved; check them, "
                         "then run again with --force to register anyway",
                         r->n_duplicates, r->n_duplicates == 1 ? "" : "s");
    return 0;
}

int cmd_patient_find(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *limit = NULL;
    const cli_opt_t opts[] = {{"--limit", &limit, NULL}};
    int npos, rc;
    uint64_t n = 0;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "QUERY is missing");
    if (limit && cl_cli_parse_uint(limit, UINT32_MAX, &n) != 0)
        return cli_usage_error(cmd, "--limit: expected a number");
    char *query = cli_join_words(npos, argv);
    if ((rc = cli_resume(cli)) != 0)
        goto out;
    Clinic__PatientSearchRequest s = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    s.query = query;
    s.limit = (uint32_t)n;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &s, &resp)) != 0)
        goto out;
    const Clinic__PatientSearchReply *r = resp->patient_search;
    int width = name_width(r->patients, r->n_patients);
    if (!cli->json && r->n_patients > 0)
        put_summary_heading(width);
    for (size_t i = 0; i < r->n_patients; i++) {
        if (cli->json) {
            json_summary(&cli->j, r->patients[i]);
            cli_json_emit(cli);
        } else {
            put_summary_line(r->patients[i], width);
        }
    }
    if (!cli->json && r->n_patients == 0)
        printf("no patient matches\n");
    if (r->more) {
        fflush(stdout);
        fprintf(stderr, "clinic: more patients match: narrow the search or raise --limit\n");
    }
out:
    free(query);
    return rc;
}

int cmd_patient_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *ref;
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, NULL, 0, "ID or RECORD_NUMBER", &ref)) != 0 ||
        (rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Patient *p;
    if ((rc = show(cli, cmd, ref, &p)) != 0)
        return rc;
    print_patient(cli, NULL, p);
    return 0;
}

int cmd_patient_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    flags_t f = {0};
    cli_opt_t opts[RECORD_OPTS + 1];
    size_t nopts = record_opts(&f, opts);
    opts[nopts++] = (cli_opt_t){"--clear-insurance", NULL, &f.clear_insurance};
    const char *ref;
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, opts, nopts, "ID or RECORD_NUMBER", &ref)) != 0 ||
        (rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Patient *shown;
    if ((rc = show(cli, cmd, ref, &shown)) != 0)
        return rc;
    /* The reply dies at the next call: the edit is built on a copy of it. */
    size_t len = clinic__patient__get_packed_size(shown);
    uint8_t *buf = cl_malloc(len ? len : 1);
    clinic__patient__pack(shown, buf);
    Clinic__Patient *current = clinic__patient__unpack(NULL, len, buf);
    free(buf);
    if (current == NULL)
        return cli_error(CL_EINTERNAL, "cannot copy the record read");

    form_t form;
    form_init(&form, current);
    form_apply(&form, &f);
    Clinic__PatientEditRequest e = CLINIC__PATIENT_EDIT_REQUEST__INIT;
    e.patient = &form.p;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_EDIT, &e, &resp);
    form_free(&form);
    clinic__patient__free_unpacked(current, NULL);
    if (rc == 0)
        print_patient(cli, "updated", resp->patient_edit->patient);
    return rc;
}

int cmd_patient_merge(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *reason = NULL;
    const cli_opt_t opts[] = {{"--reason", &reason, NULL}};
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (npos != 2)
        return cli_usage_error(cmd, "expected KEEP and MERGE (ids or record numbers)");
    if (reason == NULL)
        return cli_usage_error(cmd, "--reason is missing");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    const Clinic__Patient *p;
    Clinic__PatientMergeRequest m = CLINIC__PATIENT_MERGE_REQUEST__INIT;
    if ((rc = show(cli, cmd, argv[0], &p)) != 0)
        return rc;
    m.keep_id = p->id;
    m.keep_version = p->version;
    if ((rc = show(cli, cmd, argv[1], &p)) != 0)
        return rc;
    m.merge_id = p->id;
    m.merge_version = p->version;
    m.reason = (char *)reason;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_MERGE, &m, &resp)) != 0)
        return rc;
    const Clinic__PatientMergeReply *r = resp->patient_merge;
    if (cli->json) {
        json_merge(&cli->j, r->merge);
        cli_json_emit(cli);
        return 0;
    }
    printf("merged %s into %s (merge %llu): %u appointment%s, %u waitlist entr%s, %u series "
           "moved\n",
           r->merged->record_number, r->kept->record_number, (unsigned long long)r->merge->id,
           r->merge->appointments_moved, r->merge->appointments_moved == 1 ? "" : "s",
           r->merge->waitlist_moved, r->merge->waitlist_moved == 1 ? "y" : "ies",
           r->merge->series_moved);
    return 0;
}

int cmd_patient_unmerge(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "MERGE_ID", &id)) != 0)
        return rc;
    Clinic__PatientUnmergeRequest u = CLINIC__PATIENT_UNMERGE_REQUEST__INIT;
    u.merge_id = id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PATIENT_UNMERGE, &u, &resp)) != 0)
        return rc;
    const Clinic__PatientMerge *m = resp->patient_unmerge->merge;
    if (cli->json) {
        json_merge(&cli->j, m);
        cli_json_emit(cli);
        return 0;
    }
    printf("undid merge %llu: patient id %llu is its own record again (%u appointment%s, %u "
           "waitlist entr%s, %u series moved back)\n",
           (unsigned long long)m->id, (unsigned long long)m->merged_id, m->appointments_moved,
           m->appointments_moved == 1 ? "" : "s", m->waitlist_moved,
           m->waitlist_moved == 1 ? "y" : "ies", m->series_moved);
    return 0;
}
