/* The waitlist: patients who want an earlier slot. An entry waits until a cancellation or a move
 * frees a slot that fits it; it is then offered that slot (a "waitlist" change the front desk
 * sees at once), and booking from it marks it booked. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "status.h"
#include "topics.h"

enum {
    WINDOW_DAYS_MAX = 366,
    CANDIDATES_MAX = 64, /* waiting entries looked at for one freed slot */
};

static int waitlist_changed(cl_tx_t *tx, uint64_t id, Clinic__ChangeOp op)
{
    return cl_tx_change(tx, CL_TOPIC_WAITLIST_NAME, "waitlist", id, op, 0);
}

static int audit_patient(cl_tx_t *tx, const char *action, uint64_t patient_id)
{
    return cl_audit_append(tx->db, tx->now, &tx->job->who, action, "patient", patient_id);
}

/* One waiting entry a freed slot might fit. */
typedef struct {
    int64_t id, patient_id;
    int minutes;
} candidate_t;

int cl_sched_offer_freed(cl_tx_t *tx, const Clinic__Provider *provider, int64_t starts_at,
                         int64_t ends_at, cl_sched_offers_t *offers)
{
    cl_arena_t *a = &tx->job->arena;
    candidate_t *cands = NULL;
    size_t n = 0, cap = 0;
    char date[11];
    int rc;

    if (starts_at <= tx->now || !provider->active)
        return 0;
    cl_date_t day = cl_date_of(starts_at);
    cl_date_format(day, date);
    /* The candidates first: checking each runs other statements. */
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_WAITLIST_CANDIDATES);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)provider->id);
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(a, cands, n, cap);
        cands[n].id = sqlite3_column_int64(st, 0);
        cands[n].patient_id = sqlite3_column_int64(st, 1);
        cands[n].minutes = sqlite3_column_int(st, 2);
        if (++n == CANDIDATES_MAX)
            break;
    }
    sqlite3_reset(st);
    if (rc < 0)
        return rc;

    for (size_t i = 0; i < n; i++) {
        int64_t end = starts_at + (int64_t)cands[i].minutes * 60;
        if (end > ends_at)
            continue;
        cl_sched_proposal_t p = {
            .patient_id = cands[i].patient_id,
            .provider = provider,
            .starts_at = starts_at,
            .ends_at = end,
            .date = day,
        };
        cl_sched_conflicts_t c = {0};
        if ((rc = cl_sched_conflicts(tx, &p, &c)) < 0)
            return rc;
        if (c.n > 0)
            continue;
        if ((st = cl_sched_stmt(tx, CL_SQ_WAITLIST_OFFER)) == NULL)
            return CL_EINTERNAL;
        sqlite3_bind_int64(st, 1, cands[i].id);
        sqlite3_bind_int64(st, 2, (int64_t)provider->id);
        sqlite3_bind_int64(st, 3, starts_at);
        sqlite3_bind_int64(st, 4, tx->now);
        if ((rc = cl_db_step_once(tx->db, st)) < 0)
            return rc;
        if (rc == 0)
            continue;
        if ((rc = audit_patient(tx, "waitlist.offer", (uint64_t)cands[i].patient_id)) < 0 ||
            (rc = waitlist_changed(tx, (uint64_t)cands[i].id, CLINIC__CHANGE_OP__UPDATED)) < 0)
            return rc;
        Clinic__WaitlistEntry *e;
        if ((rc = cl_sched_waitlist_get(tx, cands[i].id, &e)) < 0)
            return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
        CL_ARENA_RESERVE(a, offers->items, offers->n, offers->cap);
        offers->items[offers->n++] = e;
        return 0;
    }
    return 0;
}

int cl_sched_waitlist_mark_booked(cl_tx_t *tx, int64_t id, int64_t appointment_id)
{
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_WAITLIST_BOOKED);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, appointment_id);
    int rc = cl_db_step_once(tx->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    return waitlist_changed(tx, (uint64_t)id, CLINIC__CHANGE_OP__UPDATED);
}

int cl_handle_waitlist_add(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__WaitlistAddRequest *req = job->req->waitlist_add;
    cl_sched_patient_t patient;
    Clinic__Provider *provider = NULL;
    Clinic__AppointmentType *type;
    cl_date_t today = cl_sched_today(tx), from, to;
    char a[11], b[11];
    int rc;

    if ((rc = cl_sched_check_date_or(job, "earliest_date", req->earliest_date, today, &from)) < 0 ||
        (rc = cl_sched_check_date(job, "latest_date", req->latest_date, &to)) < 0)
        return rc;
    if (cl_date_cmp(to, from) < 0)
        return cl_job_fail(job, CL_EINVAL, "latest_date", "latest_date is before earliest_date");
    if (cl_date_cmp(to, today) < 0)
        return cl_job_fail(job, CL_EINVAL, "latest_date", "latest_date is in the past");
    if (cl_date_diff(from, to) >= WINDOW_DAYS_MAX)
        return cl_job_fail(job, CL_EINVAL, "latest_date", "the window is at most 366 days");
    if ((rc = cl_sched_check_text(job, "note", req->note, 0, CL_SCHED_NOTE_MAX)) < 0)
        return rc;
    if ((rc = cl_sched_patient_for_use(tx, "patient_id", (int64_t)req->patient_id, &patient)) < 0 ||
        (req->provider_id && (rc = cl_sched_provider_for_use(
                                  tx, "provider_id", (int64_t)req->provider_id, &provider)) < 0) ||
        (rc = cl_sched_type_for_use(tx, "type_id", (int64_t)req->type_id, &type)) < 0)
        return rc;

    cl_date_format(from, a);
    cl_date_format(to, b);
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_WAITLIST_INSERT);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, patient.id);
    cl_sched_bind_id(st, 2, (int64_t)req->provider_id);
    sqlite3_bind_int64(st, 3, (int64_t)type->id);
    sqlite3_bind_text(st, 4, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, b, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, req->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, tx->now);
    sqlite3_bind_int64(st, 8, job->who.user_id);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = audit_patient(tx, "waitlist.add", (uint64_t)patient.id)) < 0 ||
        (rc = waitlist_changed(tx, (uint64_t)id, CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    Clinic__WaitlistEntry *entry;
    if ((rc = cl_sched_waitlist_get(tx, id, &entry)) < 0)
        return rc;
    CL_JOB_REPLY(job, Clinic__WaitlistAddReply)->entry = entry;
    return 0;
}

int cl_handle_waitlist_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__WaitlistListRequest *req = job->req->waitlist_list;
    Clinic__WaitlistListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__WaitlistListReply);
    clinic__waitlist_list_reply__init(reply);
    size_t cap = 0;
    int rc;
    sqlite3_stmt *st =
        cl_sched_stmt(tx, req->patient_id ? CL_SQ_WAITLIST_LIST_PATIENT : CL_SQ_WAITLIST_LIST_OPEN);
    if (st == NULL)
        return CL_EINTERNAL;
    if (req->patient_id) {
        sqlite3_bind_int64(st, 1, (int64_t)req->patient_id);
        sqlite3_bind_int(st, 2, req->include_closed ? 1 : 0);
    }
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->entries, reply->n_entries, cap);
        reply->entries[reply->n_entries++] = cl_sched_waitlist_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "waitlist.list",
                              req->patient_id ? "patient" : "waitlist", req->patient_id)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_WAITLIST_LIST;
    job->resp.waitlist_list = reply;
    return 0;
}

int cl_handle_waitlist_remove(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__WaitlistRemoveRequest *req = job->req->waitlist_remove;
    Clinic__WaitlistEntry *cur;
    char what[64], msg[96];
    int rc;
    if ((rc = cl_sched_check_version(job, req->version)) < 0)
        return rc;
    rc = cl_sched_waitlist_get(tx, (int64_t)req->id, &cur);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(job, "id", "waitlist entry", req->id);
    if (rc < 0)
        return rc;
    Clinic__WaitlistRemoveReply *reply = CL_JOB_REPLY(job, Clinic__WaitlistRemoveReply);
    reply->entry = cur;
    snprintf(what, sizeof(what), "waitlist entry %" PRIu64, req->id);
    if (req->version != cur->version)
        return cl_sched_stale(job, what, req->version, cur->version);
    if (strcmp(cur->state, "waiting") != 0 && strcmp(cur->state, "offered") != 0) {
        snprintf(msg, sizeof(msg), "the entry is already %.16s", cur->state);
        return cl_job_fail(job, CL_EPRECOND, "id", msg);
    }
    sqlite3_stmt *st = cl_sched_stmt(tx, CL_SQ_WAITLIST_SET_STATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)cur->id);
    sqlite3_bind_text(st, 2, "removed", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)cur->version);
    if ((rc = cl_db_step_once(tx->db, st)) < 0)
        return rc;
    if (rc == 0)
        return CL_EINTERNAL;
    if ((rc = audit_patient(tx, "waitlist.remove", cur->patient_id)) < 0 ||
        (rc = waitlist_changed(tx, cur->id, CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    rc = cl_sched_waitlist_get(tx, (int64_t)cur->id, &reply->entry);
    return rc == CL_ENOTFOUND ? CL_EINTERNAL : rc;
}
