/* Patients: the handlers of register (with the duplicate check), search, show, edit, merge and
 * unmerge, and the validation of every field of a record. Each request that reads or writes
 * patient data appends one audit row; the SQL is in patients_db.c (records, keys, merges) and
 * patients_search.c (searches, duplicates). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "calendar.h"
#include "domain_int.h"
#include "handlers.h"
#include "patients_int.h"
#include "status.h"
#include "topics.h"

enum {
    NAME_MAX_BYTES = 64,
    ADDRESS_LINE_MAX = 128,
    CITY_MAX = 64,
    EMAIL_MAX = 254,
    CONTACT_NAME_MAX = 128,
    RELATION_MAX = 32,
    PAYER_MAX = 128,
    MEMBER_ID_MAX = 64,
    GROUP_MAX = 64,
    NOTES_MAX = 2000,
    REASON_MAX = 500,
    INSURANCE_MAX = 8,
    QUERY_MAX = 200,
    SEARCH_DEFAULT = 20,
    SEARCH_MAX = 100,
};

static const char *const SEXES[] = {"female", "male", "other", "unknown"};
static const char *const CONTACTS[] = {"phone", "sms", "email", "mail"};
static const char *const RELATIONS[] = {"self", "spouse", "child", "other"};
/* USPS codes: the states, DC, the territories and the armed forces' addresses. */
static const char *const STATES[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "AA", "AE", "AP"};

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- field checks ----------------------------------------------------------------------- */

/* A record being checked: the job (for failures and the arena) and the field names' prefix. */
typedef struct {
    cl_job_t *job;
    const char *prefix; /* "patient." or "patient.insurance[2]." */
} check_t;

/* Fails the job with INVALID_ARGUMENT on the field, the message "<field> <what>". */
static int bad(const check_t *c, const char *field, const char *what)
{
    char name[96], msg[256];
    snprintf(name, sizeof(name), "%s%s", c->prefix, field);
    snprintf(msg, sizeof(msg), "%s %s", name, what);
    return cl_job_fail(c->job, CL_EINVAL, name, msg);
}

/* Checks text field `field`: well-formed UTF-8; no control characters (but newlines and tabs
 * when `lines`); `min` (0, or 1 for a required field) to `max` bytes once the spaces around it
 * are trimmed. Sets *out to the trimmed copy in the arena. */
static int text(const check_t *c, const char *field, const char *in, size_t min, size_t max,
                int lines, char **out)
{
    char limits[64];
    size_t n = strlen(in);
    if (!cl_utf8_valid(in, n))
        return bad(c, field, "is not well-formed UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        int allowed = lines && (ch == '\n' || ch == '\t' || ch == '\r');
        if ((ch < 0x20 || ch == 0x7f) && !allowed)
            return bad(c, field, "holds a control character");
    }
    while (n > 0 && in[n - 1] == ' ')
        n--;
    while (n > 0 && in[0] == ' ')
        in++, n--;
    if (n < min)
        return bad(c, field, "is required");
    if (n > max) {
        snprintf(limits, sizeof(limits), "is longer than %zu bytes", max);
        return bad(c, field, limits);
    }
    *out = cl_arena_strndup(&c->job->arena, in, n);
    return 0;
}

/* A name: as text(), and holding at least one letter or digit when given. */
static int name(const check_t *c, const char *field, const char *in, int required, char **out)
{
    cl_fold_token_t token[1];
    int rc = text(c, field, in, required ? 1 : 0, NAME_MAX_BYTES, 0, out);
    if (rc < 0)
        return rc;
    if ((*out)[0] && cl_fold_tokens(*out, strlen(*out), token, 1) == 0)
        return bad(c, field, "has no letter");
    return 0;
}

/* Parses a US phone number: digits with spaces, dashes, dots and parentheses, optionally
 * after "+1" (or a bare leading 1 on 11 digits). Writes the 10 digits. Returns 0 or -1. */
static int phone_digits(const char *in, char out[11])
{
    char digits[16];
    size_t n = 0;
    const char *p = in;
    int plus = 0;
    while (*p == ' ')
        p++;
    if (*p == '+') {
        plus = 1;
        p++;
    }
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == sizeof(digits) - 1)
                return -1;
            digits[n++] = *p;
        } else if (!strchr(" -.()", *p)) {
            return -1;
        }
    }
    digits[n] = '\0';
    const char *d = digits;
    if (n == 11 && d[0] == '1')
        d++, n--;
    else if (plus)
        return -1;
    /* No US area code starts with 0 or 1: such a number lost or gained a digit. */
    if (n != 10 || d[0] < '2')
        return -1;
    memcpy(out, d, 11);
    return 0;
}

static int phone(const check_t *c, const char *field, const char *in, char **out)
{
    char digits[11];
    if (in[strspn(in, " ")] == '\0') {
        *out = "";
        return 0;
    }
    if (strlen(in) > 32 || phone_digits(in, digits) < 0)
        return bad(c, field,
                   "must be a 10-digit US number, area code first (spaces, dashes, dots, "
                   "parentheses and a leading +1 are fine)");
    *out = cl_arena_strdup(&c->job->arena, digits);
    return 0;
}

static int email_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", ch) != NULL);
}

/* The shape of an address: local@domain, the local part 1-64 of the unquoted characters of
 * RFC 5322 without dots at its ends or doubled, the domain two or more labels of letters,
 * digits and inner dashes, ending in a label of letters. */
static int email_valid(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return 0;
    size_t local = (size_t)(at - s);
    if (local < 1 || local > 64 || s[0] == '.' || at[-1] == '.')
        return 0;
    for (const char *p = s; p < at; p++)
        if (!email_char(*p) || (p[0] == '.' && p[1] == '.'))
            return 0;
    const char *label = at + 1;
    int labels = 0, alpha_last = 0;
    for (;;) {
        size_t len = strcspn(label, ".");
        if (len < 1 || len > 63 || label[0] == '-' || label[len - 1] == '-')
            return 0;
        alpha_last = len >= 2;
        for (size_t i = 0; i < len; i++) {
            char ch = label[i];
            int letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
            if (!letter && !(ch >= '0' && ch <= '9') && ch != '-')
                return 0;
            alpha_last &= letter;
        }
        labels++;
        if (label[len] == '\0')
            break;
        label += len + 1;
    }
    return labels >= 2 && alpha_last;
}

/* A date field: empty, or a real YYYY-MM-DD. */
static int date_or_empty(const check_t *c, const char *field, const char *in, cl_date_t *out)
{
    memset(out, 0, sizeof(*out));
    if (in[0] == '\0')
        return 0;
    if (cl_date_parse(in, out) < 0)
        return bad(c, field, "must be a real date as YYYY-MM-DD");
    return 0;
}

/* Only the characters of `allowed` (and ASCII letters and digits). */
static int ascii_id(const char *s, const char *allowed)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr(allowed, ch)))
            return 0;
    }
    return 1;
}

static int check_address(const check_t *parent, const Clinic__PatientAddress *in,
                         Clinic__PatientAddress *out)
{
    check_t c = {parent->job, "patient.address."};
    int rc;
    if ((rc = text(&c, "line1", in->line1, 0, ADDRESS_LINE_MAX, 0, &out->line1)) < 0 ||
        (rc = text(&c, "line2", in->line2, 0, ADDRESS_LINE_MAX, 0, &out->line2)) < 0 ||
        (rc = text(&c, "city", in->city, 0, CITY_MAX, 0, &out->city)) < 0 ||
        (rc = text(&c, "state", in->state, 0, 2, 0, &out->state)) < 0 ||
        (rc = text(&c, "postal_code", in->postal_code, 0, 10, 0, &out->postal_code)) < 0)
        return rc;
    for (char *p = out->state; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    if (out->state[0] && !one_of(out->state, STATES, CL_ARRAY_SIZE(STATES)))
        return bad(&c, "state", "must be a two-letter USPS code such as MA");
    const char *z = out->postal_code;
    size_t zn = strlen(z);
    if (zn && !((zn == 5 && strspn(z, "0123456789") == 5) ||
                (zn == 10 && strspn(z, "0123456789") == 5 && z[5] == '-' &&
                 strspn(z + 6, "0123456789") == 4)))
        return bad(&c, "postal_code", "must be a ZIP code: 12345 or 12345-6789");
    /* A partial address cannot be mailed to and is usually a slip: all of it, or none. */
    if (out->line1[0] || out->line2[0] || out->city[0] || out->state[0] || zn) {
        const char *missing = !out->line1[0]   ? "line1"
                              : !out->city[0]  ? "city"
                              : !out->state[0] ? "state"
                              : !zn            ? "postal_code"
                                               : NULL;
        if (missing)
            return bad(&c, missing, "is required in an address");
    }
    return 0;
}

static int check_emergency(const check_t *parent, const Clinic__EmergencyContact *in,
                           Clinic__EmergencyContact *out)
{
    check_t c = {parent->job, "patient.emergency."};
    int rc;
    if ((rc = text(&c, "name", in->name, 0, CONTACT_NAME_MAX, 0, &out->name)) < 0 ||
        (rc = text(&c, "relation", in->relation, 0, RELATION_MAX, 0, &out->relation)) < 0 ||
        (rc = phone(&c, "phone", in->phone, &out->phone)) < 0)
        return rc;
    if (out->relation[0] || out->name[0] || out->phone[0]) {
        if (!out->name[0])
            return bad(&c, "name", "is required for an emergency contact");
        if (!out->phone[0])
            return bad(&c, "phone", "is required for an emergency contact");
    }
    return 0;
}

static int check_insurance(cl_job_t *job, size_t i, const Clinic__Insurance *in,
                           Clinic__Insurance **out)
{
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "patient.insurance[%zu].", i);
    check_t c = {job, prefix};
    Clinic__Insurance *ins = CL_ARENA_NEW(&job->arena, Clinic__Insurance);
    clinic__insurance__init(ins);
    cl_date_t from, to;
    int rc;
    if ((rc = text(&c, "payer", in->payer, 1, PAYER_MAX, 0, &ins->payer)) < 0 ||
        (rc = text(&c, "member_id", in->member_id, 1, MEMBER_ID_MAX, 0, &ins->member_id)) < 0)
        return rc;
    if (!ascii_id(ins->member_id, "-"))
        return bad(&c, "member_id", "may hold only letters, digits and dashes");
    if ((rc = text(&c, "group_number", in->group_number, 0, GROUP_MAX, 0, &ins->group_number)) < 0)
        return rc;
    if (!ascii_id(ins->group_number, "- "))
        return bad(&c, "group_number", "may hold only letters, digits, dashes and spaces");
    if ((rc = text(&c, "subscriber_relation", in->subscriber_relation, 0, RELATION_MAX, 0,
                   &ins->subscriber_relation)) < 0)
        return rc;
    if (ins->subscriber_relation[0] == '\0')
        ins->subscriber_relation = "self";
    if (!one_of(ins->subscriber_relation, RELATIONS, CL_ARRAY_SIZE(RELATIONS)))
        return bad(&c, "subscriber_relation", "must be self, spouse, child or other");
    if ((rc = text(&c, "subscriber_name", in->subscriber_name, 0, CONTACT_NAME_MAX, 0,
                   &ins->subscriber_name)) < 0)
        return rc;
    if (!ins->subscriber_name[0] && strcmp(ins->subscriber_relation, "self") != 0)
        return bad(&c, "subscriber_name", "is required when the patient is not the subscriber");
    if ((rc = text(&c, "effective_from", in->effective_from, 0, 10, 0, &ins->effective_from)) < 0 ||
        (rc = text(&c, "effective_to", in->effective_to, 0, 10, 0, &ins->effective_to)) < 0 ||
        (rc = date_or_empty(&c, "effective_from", ins->effective_from, &from)) < 0 ||
        (rc = date_or_empty(&c, "effective_to", ins->effective_to, &to)) < 0)
        return rc;
    if (ins->effective_from[0] && ins->effective_to[0] && cl_date_cmp(to, from) < 0)
        return bad(&c, "effective_to", "is before effective_from");
    *out = ins;
    return 0;
}

/* A new record in the arena, with an empty address and emergency contact to fill, carrying the
 * id and version `in` names. */
static Clinic__Patient *new_patient(cl_arena_t *a, const Clinic__Patient *in)
{
    Clinic__Patient *p = CL_ARENA_NEW(a, Clinic__Patient);
    clinic__patient__init(p);
    p->address = CL_ARENA_NEW(a, Clinic__PatientAddress);
    clinic__patient_address__init(p->address);
    p->emergency = CL_ARENA_NEW(a, Clinic__EmergencyContact);
    clinic__emergency_contact__init(p->emergency);
    p->id = in->id;
    p->version = in->version;
    return p;
}

/* A birth date: required, a real date, not after `today` and not before 1880. */
static int check_birth_date(const check_t *c, const char *in, cl_date_t today, char **out)
{
    cl_date_t birth, earliest = {1880, 1, 1};
    int rc = text(c, "birth_date", in, 1, 10, 0, out);
    if (rc < 0)
        return rc;
    if (cl_date_parse(*out, &birth) < 0)
        return bad(c, "birth_date", "must be a real date as YYYY-MM-DD");
    if (cl_date_cmp(birth, today) > 0)
        return bad(c, "birth_date", "is in the future");
    if (cl_date_cmp(birth, earliest) < 0)
        return bad(c, "birth_date", "is before 1880");
    return 0;
}

/* The sex: required, and one of SEXES. */
static int check_sex(const check_t *c, const char *in, char **out)
{
    int rc = text(c, "sex", in, 1, 16, 0, out);
    if (rc < 0)
        return rc;
    if (!one_of(*out, SEXES, CL_ARRAY_SIZE(SEXES)))
        return bad(c, "sex", "must be female, male, other or unknown");
    return 0;
}

/* The ways to reach the patient: the three phones, the email address and the postal address. */
static int check_contact_details(const check_t *c, const Clinic__Patient *in, Clinic__Patient *p)
{
    static const Clinic__PatientAddress no_address = CLINIC__PATIENT_ADDRESS__INIT;
    int rc;
    if ((rc = phone(c, "phone_mobile", in->phone_mobile, &p->phone_mobile)) < 0 ||
        (rc = phone(c, "phone_home", in->phone_home, &p->phone_home)) < 0 ||
        (rc = phone(c, "phone_work", in->phone_work, &p->phone_work)) < 0)
        return rc;
    if ((rc = text(c, "email", in->email, 0, EMAIL_MAX, 0, &p->email)) < 0)
        return rc;
    if (p->email[0] && !email_valid(p->email))
        return bad(c, "email", "is not an email address (name@example.org)");
    return check_address(c, in->address ? in->address : &no_address, p->address);
}

/* The preferred way to reach the patient, checked against the contact details already in `p`;
 * when none is given, the first of phone, email and mail that `p` has. */
static int check_preferred_contact(const check_t *c, const char *in, Clinic__Patient *p)
{
    int has_phone = p->phone_mobile[0] || p->phone_home[0] || p->phone_work[0];
    int has_address = p->address->line1[0] != '\0';
    int rc = text(c, "preferred_contact", in, 0, 8, 0, &p->preferred_contact);
    if (rc < 0)
        return rc;
    /* "phone" is also what a patient who gave no way to reach them gets, so it needs no
     * number; the other ways need theirs. */
    if (p->preferred_contact[0] == '\0')
        p->preferred_contact = has_phone     ? "phone"
                               : p->email[0] ? "email"
                               : has_address ? "mail"
                                             : "phone";
    else if (!one_of(p->preferred_contact, CONTACTS, CL_ARRAY_SIZE(CONTACTS)))
        return bad(c, "preferred_contact", "must be phone, sms, email or mail");
    else if (strcmp(p->preferred_contact, "sms") == 0 && !p->phone_mobile[0])
        return bad(c, "preferred_contact", "is sms but no mobile number is given");
    else if (strcmp(p->preferred_contact, "email") == 0 && !p->email[0])
        return bad(c, "preferred_contact", "is email but no email address is given");
    else if (strcmp(p->preferred_contact, "mail") == 0 && !has_address)
        return bad(c, "preferred_contact", "is mail but no address is given");
    return 0;
}

/* Up to INSURANCE_MAX plans, each checked in turn. */
static int check_insurance_list(const check_t *c, const Clinic__Patient *in, Clinic__Patient *p)
{
    int rc;
    if (in->n_insurance > INSURANCE_MAX)
        return bad(c, "insurance", "lists more than 8 plans");
    p->n_insurance = in->n_insurance;
    p->insurance = cl_arena_alloc(&c->job->arena, (in->n_insurance + 1) * sizeof(*p->insurance));
    for (size_t i = 0; i < in->n_insurance; i++)
        if ((rc = check_insurance(c->job, i, in->insurance[i], &p->insurance[i])) < 0)
            return rc;
    return 0;
}

/* Checks every field of `in` in the order of the message and builds the normalized record
 * (trimmed text, phones as digits, state upper case, defaults filled) in the job's arena.
 * `today` is the clinic's date. Fails the job naming the first bad field. */
static int check_patient(cl_job_t *job, const Clinic__Patient *in, cl_date_t today,
                         Clinic__Patient **out)
{
    static const Clinic__EmergencyContact no_contact = CLINIC__EMERGENCY_CONTACT__INIT;
    check_t c = {job, "patient."};
    int rc;
    if (in == NULL)
        return cl_job_fail(job, CL_EINVAL, "patient", "patient is required");
    Clinic__Patient *p = new_patient(&job->arena, in);

    if ((rc = name(&c, "first_name", in->first_name, 1, &p->first_name)) < 0 ||
        (rc = name(&c, "middle_name", in->middle_name, 0, &p->middle_name)) < 0 ||
        (rc = name(&c, "last_name", in->last_name, 1, &p->last_name)) < 0 ||
        (rc = name(&c, "preferred_name", in->preferred_name, 0, &p->preferred_name)) < 0)
        return rc;
    if ((rc = check_birth_date(&c, in->birth_date, today, &p->birth_date)) < 0 ||
        (rc = check_sex(&c, in->sex, &p->sex)) < 0 || (rc = check_contact_details(&c, in, p)) < 0 ||
        (rc = check_preferred_contact(&c, in->preferred_contact, p)) < 0 ||
        (rc = check_emergency(&c, in->emergency ? in->emergency : &no_contact, p->emergency)) < 0 ||
        (rc = check_insurance_list(&c, in, p)) < 0 ||
        (rc = text(&c, "notes", in->notes, 0, NOTES_MAX, 1, &p->notes)) < 0)
        return rc;
    *out = p;
    return 0;
}

/* ---- helpers of the handlers ------------------------------------------------------------ */

static int audit(cl_tx_t *tx, const char *action, uint64_t id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, "patient", id);
}

static int changed(cl_tx_t *tx, uint64_t id, Clinic__ChangeOp op)
{
    return cl_tx_change(tx, CL_TOPIC_PATIENTS_NAME, "patient", id, op, 0);
}

/* Loads patient `id` for a request; a missing one fails the job with NOT_FOUND on `field`. */
static int load_for(cl_tx_t *tx, const char *field, uint64_t id, Clinic__Patient **out)
{
    int rc = cl_patients_load(tx, id, out);
    if (rc == CL_ENOTFOUND) {
        char msg[96];
        snprintf(msg, sizeof(msg), "no patient with id %" PRIu64, id);
        return cl_job_fail(tx->job, CL_ENOTFOUND, field, msg);
    }
    return rc;
}

/* Normalizes a record number as typed ("p42", "P0000042") into `out`. Returns 0 or -1. */
static int record_number_parse(const char *s, char out[24])
{
    if ((s[0] != 'P' && s[0] != 'p') || s[1] == '\0')
        return -1;
    size_t n = strlen(s + 1);
    if (n > 12 || strspn(s + 1, "0123456789") != n)
        return -1;
    uint64_t id = strtoull(s + 1, NULL, 10);
    if (id == 0)
        return -1;
    cl_patients_record_number(id, out);
    return 0;
}

/* Refuses a change made from a stale read: CONFLICT naming `field`, with the current record
 * already in the reply. Showing it is a read of patient data, so the refusal keeps one audit
 * row (`action`); nothing else is written. */
static int stale(cl_tx_t *tx, const char *field, const Clinic__Patient *current, uint64_t sent,
                 const char *action)
{
    char msg[200];
    int rc;
    snprintf(msg, sizeof(msg),
             "patient %s was changed by someone else: version %" PRIu64
             " is stale, the current version is %" PRIu64,
             current->record_number, sent, current->version);
    if ((rc = audit(tx, action, current->id)) < 0)
        return rc;
    return cl_job_refuse(tx->job, CL_ECONFLICT, field, msg);
}

/* ---- handlers --------------------------------------------------------------------------- */

/* Registers a patient. Unless save_despite_duplicates, likely duplicates come back first with
 * saved = false, and only the check's audit row is written. */
int cl_handle_patient_register(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientRegisterRequest *req = job->req->patient_register;
    Clinic__Patient *p;
    uint64_t id;
    int rc;

    if ((rc = check_patient(job, req->patient, cl_date_of(tx->now), &p)) < 0)
        return rc;
    Clinic__PatientRegisterReply *reply = CL_JOB_REPLY(job, Clinic__PatientRegisterReply);
    if (!req->save_despite_duplicates) {
        if ((rc = cl_patients_duplicates(tx, p, reply)) < 0)
            return rc;
        if (reply->n_duplicates > 0)
            return audit(tx, "patient.duplicates", 0);
    }
    if ((rc = cl_patients_insert(tx, p, &id)) < 0)
        return rc;
    if ((rc = audit(tx, "patient.register", id)) < 0 ||
        (rc = changed(tx, id, CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    if ((rc = cl_patients_load(tx, id, &reply->patient)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    reply->saved = 1;
    return 0;
}

/* Parses "YYYY-MM-DD" or "MM/DD/YYYY" (one-digit month and day too). Returns 1 and fills `out`
 * for a real date, 0 for text of another shape, -1 for a date's shape that is no real date. */
static int query_date(const char *q, char out[11])
{
    cl_date_t d;
    unsigned m, day, y;
    int used = 0;
    size_t n = strlen(q);
    if (n == 10 && q[4] == '-' && q[7] == '-' && strspn(q, "0123456789-") == 10) {
        if (cl_date_parse(q, &d) < 0)
            return -1;
    } else if (n >= 8 && n <= 10 && strspn(q, "0123456789/") == n &&
               sscanf(q, "%2u/%2u/%4u%n", &m, &day, &y, &used) == 3 && (size_t)used == n &&
               y >= 1000) {
        char iso[40];
        snprintf(iso, sizeof(iso), "%04u-%02u-%02u", y, m, day);
        if (cl_date_parse(iso, &d) < 0)
            return -1;
    } else {
        return 0;
    }
    cl_date_format(d, out);
    return 1;
}

/* Whether `q` is a phone number being typed: digits with phone punctuation only. Sets `out`
 * to its digits (a leading +1, or the 1 of 11 digits, dropped). Returns 1, 0 (not a phone
 * number), or -1 (too few or too many digits). */
static int query_phone(const char *q, char out[16])
{
    size_t n = 0;
    if (q[strspn(q, "0123456789 -.()+")] != '\0' || strpbrk(q, "0123456789") == NULL)
        return 0;
    const char *p = q;
    int plus = *p == '+';
    if (plus && p[1] != '1')
        return -1;
    if (plus)
        p += 2;
    for (; *p; p++) {
        if (*p == '+')
            return -1;
        if (*p >= '0' && *p <= '9') {
            if (n == 15)
                return -1;
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    if (!plus && n == 11 && out[0] == '1') {
        memmove(out, out + 1, n); /* the digits after the 1, and the NUL */
        n--;
    }
    return n >= 4 && n <= 10 ? 1 : -1;
}

/* Searches by one query: a birth date, a record number, phone digits or name prefixes, in that
 * order of recognition. One audit row (entity patient, id 0); the query itself is not kept. */
int cl_handle_patient_search(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientSearchRequest *req = job->req->patient_search;
    Clinic__PatientSearchReply *reply = CL_ARENA_NEW(&job->arena, Clinic__PatientSearchReply);
    clinic__patient_search_reply__init(reply);
    check_t c = {job, ""};
    char *q, date[11], record[24], digits[16];
    cl_fold_token_t tokens[CL_PATIENT_SEARCH_TOKENS + 1];
    int rc;

    if ((rc = text(&c, "query", req->query, 1, QUERY_MAX, 0, &q)) < 0)
        return rc;
    if (req->limit > SEARCH_MAX)
        return cl_job_fail(job, CL_EINVAL, "limit", "limit is over 100");
    uint32_t limit = req->limit ? req->limit : SEARCH_DEFAULT;

    if ((rc = query_date(q, date)) < 0)
        return cl_job_fail(job, CL_EINVAL, "query", "query looks like a date but is no real one");
    if (rc == 1) {
        rc = cl_patients_search_birth(tx, date, limit, reply);
    } else if (record_number_parse(q, record) == 0) {
        rc = cl_patients_search_record(tx, record, reply);
    } else if ((rc = query_phone(q, digits)) != 0) {
        if (rc < 0)
            return cl_job_fail(job, CL_EINVAL, "query",
                               "a phone number search needs 4 to 10 digits");
        rc = cl_patients_search_phone(tx, digits, limit, reply);
    } else {
        size_t n = cl_fold_tokens(q, strlen(q), tokens, CL_PATIENT_SEARCH_TOKENS + 1);
        if (n == 0)
            return cl_job_fail(job, CL_EINVAL, "query", "query has no letter or digit");
        if (n > CL_PATIENT_SEARCH_TOKENS)
            return cl_job_fail(job, CL_EINVAL, "query", "query has more than 4 words");
        rc = cl_patients_search_names(tx, tokens, n, limit, reply);
    }
    if (rc < 0 || (rc = audit(tx, "patient.search", 0)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_PATIENT_SEARCH;
    job->resp.patient_search = reply;
    return 0;
}

/* Shows one record with its insurance, by id or record number; merged records too. */
int cl_handle_patient_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientShowRequest *req = job->req->patient_show;
    Clinic__PatientShowReply *reply = CL_ARENA_NEW(&job->arena, Clinic__PatientShowReply);
    clinic__patient_show_reply__init(reply);
    uint64_t id = req->id;
    char record[24];
    int rc;

    if (req->id == 0 && req->record_number[0] == '\0')
        return cl_job_fail(job, CL_EINVAL, "id", "give the patient's id or record_number");
    if (req->id != 0 && req->record_number[0] != '\0')
        return cl_job_fail(job, CL_EINVAL, "id",
                           "give the patient's id or record_number, not both");
    if (req->record_number[0] != '\0') {
        if (record_number_parse(req->record_number, record) < 0)
            return cl_job_fail(job, CL_EINVAL, "record_number",
                               "record_number is P and digits, as P0000042");
        rc = cl_patients_find_record(tx, record, &id);
        if (rc == CL_ENOTFOUND) {
            char msg[64];
            snprintf(msg, sizeof(msg), "no patient has record number %s", record);
            return cl_job_fail(job, CL_ENOTFOUND, "record_number", msg);
        }
        if (rc < 0)
            return rc;
    }
    if ((rc = load_for(tx, "id", id, &reply->patient)) < 0)
        return rc;
    if ((rc = audit(tx, "patient.show", id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_PATIENT_SHOW;
    job->resp.patient_show = reply;
    return 0;
}

/* Replaces a record with the whole record sent, at the version read. The reply carries the
 * new record, or on CONFLICT the current one. */
int cl_handle_patient_edit(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientEditRequest *req = job->req->patient_edit;
    Clinic__Patient *p, *current;
    char msg[160];
    int rc;

    if (req->patient == NULL)
        return cl_job_fail(job, CL_EINVAL, "patient", "patient is required");
    if (req->patient->id == 0)
        return cl_job_fail(job, CL_EINVAL, "patient.id", "patient.id is required");
    if (req->patient->version == 0)
        return cl_job_fail(job, CL_EINVAL, "patient.version",
                           "patient.version is required: the version read");
    if ((rc = check_patient(job, req->patient, cl_date_of(tx->now), &p)) < 0)
        return rc;
    if ((rc = load_for(tx, "patient.id", p->id, &current)) < 0)
        return rc;
    if (current->merged_into != 0) {
        snprintf(msg, sizeof(msg),
                 "patient %s was merged into patient id %" PRIu64 ": edit that record",
                 current->record_number, current->merged_into);
        return cl_job_fail(job, CL_EPRECOND, "patient.id", msg);
    }
    Clinic__PatientEditReply *reply = CL_JOB_REPLY(job, Clinic__PatientEditReply);
    reply->patient = current;
    if (p->version != current->version)
        return stale(tx, "patient.version", current, p->version, "patient.edit_conflict");

    if ((rc = cl_patients_update(tx, p, current)) < 0)
        return rc == CL_ECONFLICT ? CL_EINTERNAL : rc;
    if ((rc = audit(tx, "patient.edit", p->id)) < 0 ||
        (rc = changed(tx, p->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    if ((rc = cl_patients_load(tx, p->id, &reply->patient)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    return 0;
}

/* Folds patient merge_id into keep_id: its appointments, waitlist entries and series move to
 * the kept record; it stays readable, marked merged_into, and leaves the search. */
int cl_handle_patient_merge(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientMergeRequest *req = job->req->patient_merge;
    check_t c = {job, ""};
    Clinic__Patient *kept, *merged;
    char *reason, msg[200];
    int rc;

    if (req->keep_id == 0)
        return cl_job_fail(job, CL_EINVAL, "keep_id", "keep_id is required");
    if (req->keep_version == 0)
        return cl_job_fail(job, CL_EINVAL, "keep_version",
                           "keep_version is required: the version read");
    if (req->merge_id == 0)
        return cl_job_fail(job, CL_EINVAL, "merge_id", "merge_id is required");
    if (req->merge_id == req->keep_id)
        return cl_job_fail(job, CL_EINVAL, "merge_id", "a patient cannot be merged into itself");
    if (req->merge_version == 0)
        return cl_job_fail(job, CL_EINVAL, "merge_version",
                           "merge_version is required: the version read");
    if ((rc = text(&c, "reason", req->reason, 1, REASON_MAX, 1, &reason)) < 0)
        return rc;
    if ((rc = load_for(tx, "keep_id", req->keep_id, &kept)) < 0 ||
        (rc = load_for(tx, "merge_id", req->merge_id, &merged)) < 0)
        return rc;

    Clinic__PatientMergeReply *reply = CL_JOB_REPLY(job, Clinic__PatientMergeReply);
    reply->kept = kept;
    reply->merged = merged;
    if (req->keep_version != kept->version)
        return stale(tx, "keep_version", kept, req->keep_version, "patient.merge_conflict");
    if (req->merge_version != merged->version)
        return stale(tx, "merge_version", merged, req->merge_version, "patient.merge_conflict");
    reply->kept = reply->merged = NULL;
    if (kept->merged_into != 0) {
        snprintf(msg, sizeof(msg), "patient %s is itself merged into patient id %" PRIu64,
                 kept->record_number, kept->merged_into);
        return cl_job_fail(job, CL_EPRECOND, "keep_id", msg);
    }
    if (merged->merged_into != 0) {
        snprintf(msg, sizeof(msg), "patient %s is already merged into patient id %" PRIu64,
                 merged->record_number, merged->merged_into);
        return cl_job_fail(job, CL_EPRECOND, "merge_id", msg);
    }

    if ((rc = cl_patients_merge(tx, kept, merged, reason, &reply->merge)) < 0)
        return rc == CL_ECONFLICT ? CL_EINTERNAL : rc;
    if ((rc = audit(tx, "patient.merge", merged->id)) < 0 ||
        (rc = changed(tx, merged->id, CLINIC__CHANGE_OP__UPDATED)) < 0 ||
        (rc = changed(tx, kept->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    if ((rc = cl_patients_load(tx, kept->id, &reply->kept)) < 0 ||
        (rc = cl_patients_load(tx, merged->id, &reply->merged)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    return 0;
}

/* Undoes a merge: exactly the rows it moved go back, and the merged record returns to the
 * search. Merges are undone latest first: a kept record merged again since must be freed first. */
int cl_handle_patient_unmerge(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__PatientUnmergeRequest *req = job->req->patient_unmerge;
    Clinic__PatientUnmergeReply *reply = CL_ARENA_NEW(&job->arena, Clinic__PatientUnmergeReply);
    clinic__patient_unmerge_reply__init(reply);
    Clinic__PatientMerge *m;
    Clinic__Patient *kept;
    char msg[200];
    int rc;

    if (req->merge_id == 0)
        return cl_job_fail(job, CL_EINVAL, "merge_id", "merge_id is required");
    rc = cl_patients_merge_load(tx, req->merge_id, &m);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "no merge with id %" PRIu64, req->merge_id);
        return cl_job_fail(job, CL_ENOTFOUND, "merge_id", msg);
    }
    if (rc < 0)
        return rc;
    if (m->undone_at != 0) {
        snprintf(msg, sizeof(msg), "merge %" PRIu64 " was already undone by %s", m->id,
                 m->undone_by);
        return cl_job_fail(job, CL_EPRECOND, "merge_id", msg);
    }
    if ((rc = cl_patients_load(tx, m->kept_id, &kept)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    if (kept->merged_into != 0) {
        snprintf(msg, sizeof(msg),
                 "patient %s was merged into patient id %" PRIu64 " since: undo merge %" PRIu64
                 " first",
                 kept->record_number, kept->merged_into, kept->merge_id);
        return cl_job_fail(job, CL_EPRECOND, "merge_id", msg);
    }

    if ((rc = cl_patients_unmerge(tx, m)) < 0)
        return rc == CL_ECONFLICT ? CL_EINTERNAL : rc;
    if ((rc = audit(tx, "patient.unmerge", m->merged_id)) < 0 ||
        (rc = changed(tx, m->merged_id, CLINIC__CHANGE_OP__UPDATED)) < 0 ||
        (rc = changed(tx, m->kept_id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    if ((rc = cl_patients_merge_load(tx, m->id, &reply->merge)) < 0)
        return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_PATIENT_UNMERGE;
    job->resp.patient_unmerge = reply;
    return 0;
}
