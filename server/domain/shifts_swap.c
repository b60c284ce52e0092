/* Shift swaps: one staff member proposes to give their published, future shift for another's;
 * the other accepts (which files a swap request for the manager) or declines; the proposer may
 * withdraw while it is proposed. Also the approvals workflow's hooks of this module: a swap
 * checked again and carried out at approval, and an overtime request decided. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "schedule_int.h"
#include "shifts_int.h"
#include "status.h"
#include "topics.h"

/* Whether shift `s` can still be swapped: published and not begun. Returns 0 or fails the job
 * with FAILED_PRECONDITION on `field`. */
static int swappable(cl_tx_t *tx, const Clinic__Shift *s, const char *field)
{
    char msg[160];
    if (strcmp(s->state, CL_SHIFT_PUBLISHED) != 0) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " is %s: only published shifts are swapped",
                 s->id, s->state);
        return cl_job_fail(tx->job, CL_EPRECOND, field, msg);
    }
    if (s->starts_at <= tx->now) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " has already begun", s->id);
        return cl_job_fail(tx->job, CL_EPRECOND, field, msg);
    }
    return 0;
}

/* The two shifts of a swap request, checked as cl_shift_swap_check says. */
static int swap_shifts(cl_tx_t *tx, const cl_request_t *r, Clinic__Shift **mine,
                       Clinic__Shift **theirs)
{
    char msg[160];
    int rc = cl_shift_get(tx, r->ref_id, mine);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "shift %" PRId64 " of the swap no longer exists", r->ref_id);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    if (rc < 0)
        return rc;
    rc = cl_shift_get(tx, r->ref2_id, theirs);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "shift %" PRId64 " of the swap no longer exists", r->ref2_id);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    if (rc < 0)
        return rc;
    if ((int64_t)(*mine)->staff_id != r->requester) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " no longer belongs to the proposer",
                 (*mine)->id);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    if ((int64_t)(*theirs)->staff_id != r->other) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " no longer belongs to the other party",
                 (*theirs)->id);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    if ((rc = swappable(tx, *mine, NULL)) < 0 || (rc = swappable(tx, *theirs, NULL)) < 0)
        return rc;
    return 0;
}

int cl_shift_swap_check(cl_tx_t *tx, const cl_request_t *r)
{
    Clinic__Shift *mine, *theirs;
    return swap_shifts(tx, r, &mine, &theirs);
}

/* Gives shift `s` to `staff_id`: the row, its audit row, and the change to both holders. */
static int give_shift(cl_tx_t *tx, Clinic__Shift *s, int64_t staff_id)
{
    int64_t before = (int64_t)s->staff_id;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_SET_STAFF);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)s->id);
    sqlite3_bind_int64(st, 2, staff_id);
    sqlite3_bind_int64(st, 3, tx->now);
    sqlite3_bind_int64(st, 4, tx->job->who.user_id);
    int rc = cl_db_step_update(tx->db, st);
    if (rc < 0)
        return rc;
    if ((rc = cl_shift_changed_hands(tx, s)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, "shift.swap", "shift", s->id)) < 0)
        return rc;
    Clinic__Shift *now;
    if ((rc = cl_shift_get(tx, (int64_t)s->id, &now)) < 0)
        return rc;
    return cl_shift_announce(tx, now, CLINIC__CHANGE_OP__UPDATED, 1, before);
}

static int settle_swap(cl_tx_t *tx, const cl_request_t *r, const char *state);

int cl_shift_swap_approve(cl_tx_t *tx, const cl_request_t *r)
{
    Clinic__Shift *mine, *theirs;
    char why[320];
    int rc = swap_shifts(tx, r, &mine, &theirs);
    if (rc < 0)
        return rc;
    /* Each takes the other's shift: neither may be busy then but for the two shifts swapped. */
    rc = cl_shift_conflict(tx, r->requester, theirs->starts_at, theirs->ends_at, (int64_t)mine->id,
                           (int64_t)theirs->id, why, sizeof(why), NULL);
    if (rc == 0)
        rc = cl_shift_conflict(tx, r->other, mine->starts_at, mine->ends_at, (int64_t)mine->id,
                               (int64_t)theirs->id, why, sizeof(why), NULL);
    if (rc < 0)
        return why[0] ? cl_job_fail(tx->job, rc, NULL, why) : rc;
    if ((rc = give_shift(tx, mine, r->other)) < 0 ||
        (rc = give_shift(tx, theirs, r->requester)) < 0)
        return rc;
    /* Both parties' weeks with the hours exchanged, the two shifts judged for their new holders. */
    Clinic__Shift *both[] = {mine, theirs};
    if ((rc = cl_shift_weeks_changed(tx, r->requester, both, 2)) < 0 ||
        (rc = cl_shift_weeks_changed(tx, r->other, both, 2)) < 0)
        return rc;
    return settle_swap(tx, r, "approved");
}

int cl_shift_swap_closed(cl_tx_t *tx, const cl_request_t *r, int denied)
{
    return settle_swap(tx, r, denied ? "declined" : "withdrawn");
}

/* The swap accepted for request `r`, moved to `state` as its request was decided, and both
 * parties told. No accepted swap (an older database, or settled already): nothing to do. */
static int settle_swap(cl_tx_t *tx, const cl_request_t *r, const char *state)
{
    int rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SWAP_ACCEPTED_FOR);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, r->ref_id);
    sqlite3_bind_int64(st, 2, r->ref2_id);
    rc = cl_db_step(tx->db, st);
    int64_t swap = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    int64_t version = rc == 1 ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (swap == 0)
        return 0;
    if ((st = cl_shift_stmt(tx, CL_SHQ_SWAP_SET_STATE)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, swap);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->id);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, version);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    if ((rc = cl_shift_tell_staff(tx, r->requester, "shift_swap", (uint64_t)swap,
                                  CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return cl_shift_tell_staff(tx, r->other, "shift_swap", (uint64_t)swap,
                               CLINIC__CHANGE_OP__UPDATED);
}

int cl_shift_overtime_decided(cl_tx_t *tx, const cl_request_t *r, int approved)
{
    Clinic__Shift *s;
    char msg[128];
    int rc = cl_shift_get(tx, r->ref_id, &s);
    if (rc == CL_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "shift %" PRId64 " of the overtime request does not exist",
                 r->ref_id);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    if (rc < 0)
        return rc;
    int working =
        strcmp(s->state, CL_SHIFT_DRAFT) == 0 || strcmp(s->state, CL_SHIFT_PUBLISHED) == 0;
    /* A shift already cancelled or off needs nothing: a denial keeps it as it is. */
    if (!working) {
        if (!approved)
            return 0;
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " is %s: its overtime cannot be approved",
                 s->id, s->state);
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, msg);
    }
    int live = strcmp(s->state, CL_SHIFT_PUBLISHED) == 0;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SHIFT_OVERTIME_DECIDED);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)s->id);
    sqlite3_bind_text(st, 2, approved ? "approved" : "denied", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, approved ? 0 : 1);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, tx->job->who.user_id);
    if ((rc = cl_db_step_update(tx->db, st)) < 0)
        return rc;
    if (!approved && (rc = cl_shift_withdraw_swaps(tx, s->id)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who,
                              approved ? "shift.overtime_approved" : "shift.overtime_denied",
                              "shift", s->id)) < 0)
        return rc;
    if ((rc = cl_shift_get(tx, (int64_t)s->id, &s)) < 0)
        return rc;
    if ((rc = cl_shift_announce(tx, s, CLINIC__CHANGE_OP__UPDATED, live, 0)) < 0)
        return rc;
    /* Denied, the shift is cancelled: the rest of its week without its hours. */
    return approved ? 0 : cl_shift_weeks_changed(tx, (int64_t)s->staff_id, &s, 1);
}

/* ---- handlers -------------------------------------------------------------------------------- */

/* The logged-in user's staff id; fails the job when the user is not a staff member. */
static int me(cl_tx_t *tx, int64_t *staff_id)
{
    int rc = cl_staff_of_user(tx, tx->job->who.user_id, staff_id);
    if (rc == CL_ENOTFOUND)
        return cl_job_fail(tx->job, CL_EPRECOND, NULL, "your user is not a staff member");
    return rc;
}

/* Redacts the swap's shifts for the reader. */
static void swap_redact(cl_tx_t *tx, Clinic__ShiftSwap *w)
{
    if (cl_shift_is_manager(tx))
        return;
    cl_shift_redact(w->shift, cl_staff_access(tx, (int64_t)w->shift->staff_id));
    cl_shift_redact(w->other_shift, cl_staff_access(tx, (int64_t)w->other_shift->staff_id));
}

/* Loads a shift a swap names; fails the job on `field`. */
static int swap_shift_load(cl_tx_t *tx, const char *field, uint64_t id, Clinic__Shift **out)
{
    if (id == 0 || id > INT64_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%s is required", field);
        return cl_job_fail(tx->job, CL_EINVAL, field, msg);
    }
    int rc = cl_shift_get(tx, (int64_t)id, out);
    /* A draft is not there for anyone but the managers. */
    if (rc == CL_ENOTFOUND || (rc == 0 && strcmp((*out)->state, CL_SHIFT_DRAFT) == 0))
        return cl_sched_not_found(tx->job, field, "shift", id);
    return rc;
}

int cl_handle_swap_propose(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SwapProposeRequest *req = job->req->swap_propose;
    Clinic__Shift *mine, *theirs;
    int64_t self;
    char msg[192];
    int rc;
    if ((rc = cl_sched_check_text(job, "note", req->note, 0, CL_SHIFT_NOTE_MAX)) < 0 ||
        (rc = me(tx, &self)) < 0 ||
        (rc = swap_shift_load(tx, "shift_id", req->shift_id, &mine)) < 0 ||
        (rc = swap_shift_load(tx, "other_shift_id", req->other_shift_id, &theirs)) < 0)
        return rc;
    if ((int64_t)mine->staff_id != self) {
        snprintf(msg, sizeof(msg), "shift %" PRIu64 " is not yours", mine->id);
        return cl_job_fail(job, CL_EPERM, "shift_id", msg);
    }
    if ((int64_t)theirs->staff_id == self)
        return cl_job_fail(job, CL_EINVAL, "other_shift_id",
                           "other_shift_id is your own shift: swap with someone else's");
    if ((rc = swappable(tx, mine, "shift_id")) < 0 ||
        (rc = swappable(tx, theirs, "other_shift_id")) < 0)
        return rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SWAP_OPEN_FOR);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)mine->id);
    sqlite3_bind_int64(st, 2, (int64_t)theirs->id);
    rc = cl_db_step(tx->db, st);
    int64_t open = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (open) {
        snprintf(msg, sizeof(msg), "swap %" PRId64 " is already open on one of these shifts", open);
        return cl_job_fail(job, CL_ECONFLICT, NULL, msg);
    }
    if ((st = cl_shift_stmt(tx, CL_SHQ_SWAP_INSERT)) == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, self);
    sqlite3_bind_int64(st, 2, (int64_t)mine->id);
    sqlite3_bind_int64(st, 3, (int64_t)theirs->staff_id);
    sqlite3_bind_int64(st, 4, (int64_t)theirs->id);
    sqlite3_bind_text(st, 5, req->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, tx->now);
    rc = cl_db_step(tx->db, st);
    int64_t id = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    if (id == 0)
        return CL_EINTERNAL;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "swap.propose", "shift_swap",
                              (uint64_t)id)) < 0 ||
        (rc = cl_shift_tell_staff(tx, self, "shift_swap", (uint64_t)id,
                                  CLINIC__CHANGE_OP__CREATED)) < 0 ||
        (rc = cl_shift_tell_staff(tx, (int64_t)theirs->staff_id, "shift_swap", (uint64_t)id,
                                  CLINIC__CHANGE_OP__CREATED)) < 0)
        return rc;
    Clinic__ShiftSwap *swap;
    if ((rc = cl_shift_swap_get(tx, id, &swap)) < 0)
        return rc;
    Clinic__SwapProposeReply *reply = CL_JOB_REPLY(job, Clinic__SwapProposeReply);
    reply->swap = swap;
    swap_redact(tx, reply->swap);
    return 0;
}

/* Loads swap `id` for `self`, who must be one of its two parties: only they hear of a swap
 * before it is filed. Fails the job with INVALID_ARGUMENT on "id" when it is missing, and with
 * NOT_FOUND when there is no such swap or `self` is not a party. */
static int load_own_swap(cl_tx_t *tx, uint64_t id, int64_t self, Clinic__ShiftSwap **out)
{
    if (id == 0 || id > INT64_MAX)
        return cl_job_fail(tx->job, CL_EINVAL, "id", "id is required");
    int rc = cl_shift_swap_get(tx, (int64_t)id, out);
    if (rc == CL_ENOTFOUND)
        return cl_sched_not_found(tx->job, "id", "swap", id);
    if (rc < 0)
        return rc;
    if ((int64_t)(*out)->proposer_id != self && (int64_t)(*out)->other_id != self)
        return cl_sched_not_found(tx->job, "id", "swap", id);
    return 0;
}

/* Whether `self` may answer swap `w` now: the version read is current, the proposer withdraws
 * and the other party accepts or declines, and the swap is still proposed. */
static int check_may_respond(cl_job_t *job, const Clinic__SwapRespondRequest *req,
                             const Clinic__ShiftSwap *w, int64_t self, int withdraw)
{
    char msg[192];
    if (req->version != w->version) {
        char what[48];
        snprintf(what, sizeof(what), "swap %" PRIu64, w->id);
        return cl_sched_stale(job, what, req->version, w->version);
    }
    if (withdraw && (int64_t)w->proposer_id != self)
        return cl_job_fail(job, CL_EPERM, "action", "only the proposer withdraws a swap");
    if (!withdraw && (int64_t)w->other_id != self)
        return cl_job_fail(job, CL_EPERM, "action",
                           "only the other party accepts or declines a swap");
    if (strcmp(w->state, "proposed") != 0) {
        snprintf(msg, sizeof(msg), "swap %" PRIu64 " is already %s", w->id, w->state);
        return cl_job_fail(job, CL_EPRECOND, "id", msg);
    }
    return 0;
}

/* Files the swap request the manager decides on for the accepted swap `w`, once its shifts pass
 * cl_shift_swap_check; sets *request_id. */
static int file_swap_request(cl_tx_t *tx, const Clinic__ShiftSwap *w, uint64_t *request_id)
{
    cl_request_t r;
    memset(&r, 0, sizeof(r));
    r.kind = CL_REQ_SWAP;
    r.requester = (int64_t)w->proposer_id;
    r.other = (int64_t)w->other_id;
    r.ref_id = (int64_t)w->shift->id;
    r.ref2_id = (int64_t)w->other_shift->id;
    r.starts_at = w->shift->starts_at;
    r.ends_at = w->shift->ends_at;
    snprintf(r.details, sizeof(r.details),
             "swap %" PRIu64 ": %s gives shift %" PRIu64 " (%s %s) for %s's shift %" PRIu64
             " (%s %s)%s%.500s",
             w->id, w->proposer_name, w->shift->id, w->shift->date, w->shift->desk_name,
             w->other_name, w->other_shift->id, w->other_shift->date, w->other_shift->desk_name,
             w->note[0] ? ": " : "", w->note);
    int rc;
    if ((rc = cl_shift_swap_check(tx, &r)) < 0 || (rc = cl_request_submit(tx, &r)) < 0)
        return rc;
    *request_id = (uint64_t)r.id;
    return 0;
}

/* Moves swap `w` to `state` at the version the client read, linking the filed request (0:
 * none), and records the answer: the audit row "swap.<action>" and the change to both parties. */
static int record_answer(cl_tx_t *tx, const Clinic__SwapRespondRequest *req,
                         const Clinic__ShiftSwap *w, const char *state, uint64_t request_id)
{
    sqlite3_stmt *st = cl_shift_stmt(tx, CL_SHQ_SWAP_SET_STATE);
    if (st == NULL)
        return CL_EINTERNAL;
    sqlite3_bind_int64(st, 1, (int64_t)w->id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)request_id);
    sqlite3_bind_int64(st, 4, tx->now);
    sqlite3_bind_int64(st, 5, (int64_t)req->version);
    int rc = cl_db_step_update(tx->db, st);
    if (rc < 0)
        return rc;
    char action[32];
    snprintf(action, sizeof(action), "swap.%s", req->action);
    if ((rc = cl_audit_append(tx->db, tx->now, &tx->job->who, action, "shift_swap", w->id)) < 0 ||
        (rc = cl_shift_tell_staff(tx, (int64_t)w->proposer_id, "shift_swap", w->id,
                                  CLINIC__CHANGE_OP__UPDATED)) < 0 ||
        (rc = cl_shift_tell_staff(tx, (int64_t)w->other_id, "shift_swap", w->id,
                                  CLINIC__CHANGE_OP__UPDATED)) < 0)
        return rc;
    return 0;
}

int cl_handle_swap_respond(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SwapRespondRequest *req = job->req->swap_respond;
    Clinic__ShiftSwap *w;
    int64_t self;
    uint64_t request_id = 0;
    int rc;
    int accept = strcmp(req->action, "accept") == 0, decline = strcmp(req->action, "decline") == 0;
    int withdraw = strcmp(req->action, "withdraw") == 0;
    if (!accept && !decline && !withdraw)
        return cl_job_fail(job, CL_EINVAL, "action", "action must be accept, decline or withdraw");
    if ((rc = cl_sched_check_version(job, req->version)) < 0 || (rc = me(tx, &self)) < 0 ||
        (rc = load_own_swap(tx, req->id, self, &w)) < 0)
        return rc;
    swap_redact(tx, w);
    Clinic__SwapRespondReply *reply = CL_JOB_REPLY(job, Clinic__SwapRespondReply);
    reply->swap = w;
    if ((rc = check_may_respond(job, req, w, self, withdraw)) < 0)
        return rc;
    if (accept && (rc = file_swap_request(tx, w, &request_id)) < 0)
        return rc;
    const char *state = accept ? "accepted" : decline ? "declined" : "withdrawn";
    if ((rc = record_answer(tx, req, w, state, request_id)) < 0 ||
        (rc = cl_shift_swap_get(tx, (int64_t)w->id, &reply->swap)) < 0)
        return rc;
    swap_redact(tx, reply->swap);
    return 0;
}

int cl_handle_swap_list(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__SwapListRequest *req = job->req->swap_list;
    Clinic__SwapListReply *reply = CL_ARENA_NEW(&job->arena, Clinic__SwapListReply);
    clinic__swap_list_reply__init(reply);
    static const char *const states[] = {"",         "proposed",  "accepted",
                                         "declined", "withdrawn", "approved"};
    int64_t self = 0;
    size_t cap = 0;
    int rc, known = 0;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        known = known || strcmp(req->state, states[i]) == 0;
    if (!known)
        return cl_job_fail(job, CL_EINVAL, "state",
                           "state must be proposed, accepted, declined, withdrawn or approved");
    if (req->all && !cl_shift_is_manager(tx) &&
        !cl_auth_allowed(job->who.roles, CL_PERM_APPROVE_ALL))
        return cl_job_fail(job, CL_EPERM, "all", "only managers see every swap");
    if (!req->all && (rc = me(tx, &self)) < 0)
        return rc;
    sqlite3_stmt *st = cl_shift_stmt(tx, req->all ? CL_SHQ_SWAP_LIST_ALL : CL_SHQ_SWAP_LIST_MINE);
    if (st == NULL)
        return CL_EINTERNAL;
    if (req->all) {
        sqlite3_bind_text(st, 1, req->state, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, self);
        sqlite3_bind_text(st, 2, req->state, -1, SQLITE_STATIC);
    }
    while ((rc = cl_db_step(tx->db, st)) == 1) {
        CL_ARENA_RESERVE(&job->arena, reply->swaps, reply->n_swaps, cap);
        reply->swaps[reply->n_swaps++] = cl_shift_swap_from_row(&job->arena, st);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < reply->n_swaps; i++) {
        Clinic__ShiftSwap *w = reply->swaps[i];
        if ((rc = cl_shift_get(tx, (int64_t)w->shift->id, &w->shift)) < 0 ||
            (rc = cl_shift_get(tx, (int64_t)w->other_shift->id, &w->other_shift)) < 0)
            return rc;
        swap_redact(tx, w);
    }
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "swap.list", "shift_swap",
                              (uint64_t)self)) < 0)
        return rc;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_SWAP_LIST;
    job->resp.swap_list = reply;
    return 0;
}
