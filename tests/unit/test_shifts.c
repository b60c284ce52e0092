/* Shifts on the real schema, in America/Chicago: desks, shifts and their conflicts (another
 * shift, approved time off, a staff member who left), overtime flagged daily and weekly with its
 * request filed, real hours over the nights the clocks change, stale versions, publishing a
 * week live, who sees what, coverage gaps, templates, swaps, and the hooks the approvals part
 * calls (time off taking shifts with and without override, swap check and approval, overtime
 * decided). */
#include <time.h>

#include "calendar.h"
#include "domain_fixture.h"
#include "shifts_int.h"
#include "topics.h"

/* fx_open's clock: 2023-11-14 16:13:20 CST (a Tuesday). MONDAY is the Monday after. */
#define MONDAY "2023-11-20"
#define TUESDAY "2023-11-21"

typedef struct {
    fx_t fx;
    cl_identity_t boss, ann, bob, sue;
    int64_t ann_id, bob_id, sue_id, cat_id; /* staff ids */
    int64_t ann_user;
    uint64_t front, phones; /* desks */
} clinic_t;

static uint64_t desk_add(clinic_t *c, const char *name, uint32_t min)
{
    Clinic__DeskAddRequest m = CLINIC__DESK_ADD_REQUEST__INIT;
    m.name = (char *)name;
    m.min_staff = min;
    cl_job_t *job = fx_call(&c->fx, &c->boss, CLINIC__REQUEST__BODY_DESK_ADD, &m);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.desk_add->desk->id;
    cl_job_free(job);
    return id;
}

static void clinic_open(clinic_t *c)
{
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    fx_open(&c->fx);
    fx_t *fx = &c->fx;
    fx_user(fx, "boss", CL_ROLE_manager);
    c->ann_user = fx_user(fx, "ann", CL_ROLE_staff);
    fx_user(fx, "bob", CL_ROLE_staff | CL_ROLE_front_desk);
    fx_user(fx, "sue", CL_ROLE_staff);
    fx_user(fx, "cat", CL_ROLE_staff);
    c->boss = fx_who(fx, "boss");
    c->ann = fx_who(fx, "ann");
    c->bob = fx_who(fx, "bob");
    c->sue = fx_who(fx, "sue");
    c->ann_id = fx_staff_of(fx, "ann");
    c->bob_id = fx_staff_of(fx, "bob");
    c->sue_id = fx_staff_of(fx, "sue");
    c->cat_id = fx_staff_of(fx, "cat");
    fx_set_supervisor(fx, c->ann_id, c->sue_id);
    /* No overtime limits unless a test sets them. */
    fx_exec(fx, "UPDATE pay_policy SET daily_overtime_minutes = 0, weekly_overtime_minutes = 0");
    c->front = desk_add(c, "Front desk", 1);
    c->phones = desk_add(c, "Phones", 1);
}

static void clinic_close(clinic_t *c)
{
    fx_close(&c->fx);
}

/* ShiftAdd by the manager: `date` from `start` to `end` (local minutes). Returns the job. */
static cl_job_t *shift_add_job(clinic_t *c, int64_t staff, uint64_t desk, const char *date,
                               int start, int end, int publish)
{
    Clinic__ShiftAddRequest *m = calloc(1, sizeof(*m));
    clinic__shift_add_request__init(m);
    m->staff_id = (uint64_t)staff;
    m->desk_id = desk;
    m->date = (char *)date;
    m->start_minute = (uint32_t)start;
    m->end_minute = (uint32_t)end;
    m->publish = publish;
    cl_job_t *job = fx_call(&c->fx, &c->boss, CLINIC__REQUEST__BODY_SHIFT_ADD, m);
    free(m);
    return job;
}

/* Adds a shift that must succeed; returns its id. */
static uint64_t shift_add(clinic_t *c, int64_t staff, uint64_t desk, const char *date, int start,
                          int end, int publish)
{
    cl_job_t *job = shift_add_job(c, staff, desk, date, start, end, publish);
    if (job->status != 0)
        CL_FAIL("shift add: %s", fx_message(job));
    uint64_t id = job->resp.shift_add->shift->id;
    cl_job_free(job);
    return id;
}

static int64_t shift_int(clinic_t *c, const char *column, uint64_t id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT %s FROM shifts WHERE id = %llu", column,
             (unsigned long long)id);
    return fx_int(&c->fx, sql, NULL);
}

static const char *shift_text(clinic_t *c, const char *column, uint64_t id, char *out, size_t n)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT %s FROM shifts WHERE id = %llu", column,
             (unsigned long long)id);
    sqlite3_stmt *st = fx_prepare(&c->fx, sql);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* Sets the clinic's hours on `weekday` directly (the schedule's table). */
static void hours(clinic_t *c, int weekday, int open, int close)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "INSERT INTO clinic_hours (weekday, open_minute, close_minute) VALUES (%d, %d, %d)",
             weekday, open, close);
    fx_exec(&c->fx, sql);
}

/* ---- the approvals hooks, run as a handler would call them ---- */

static struct {
    int which; /* 1 time off, 2 swap check, 3 swap approve, 4 overtime decided, 5 swap closed */
    cl_request_t r;
    int flag;
} hook;

static int hook_handler(cl_tx_t *tx, cl_job_t *job)
{
    (void)job;
    switch (hook.which) {
    case 1:
        return cl_shift_timeoff_approve(tx, &hook.r, hook.flag);
    case 2:
        return cl_shift_swap_check(tx, &hook.r);
    case 3:
        return cl_shift_swap_approve(tx, &hook.r);
    case 5:
        return cl_shift_swap_closed(tx, &hook.r, hook.flag);
    default:
        return cl_shift_overtime_decided(tx, &hook.r, hook.flag);
    }
}

static cl_job_t *hook_run(clinic_t *c, int which, const cl_request_t *r, int flag)
{
    hook.which = which;
    hook.r = *r;
    hook.flag = flag;
    static Clinic__Request req;
    clinic__request__init(&req);
    cl_job_t *job = fx_job(hook_handler, &req, &c->boss);
    fx_run(&c->fx, job);
    return job;
}

/* An approved time-off request of `staff` for [from, to), made directly in the requests table. */
static int64_t approved_timeoff(clinic_t *c, int64_t staff, int64_t from, int64_t to)
{
    char sql[320];
    snprintf(sql, sizeof(sql),
             "INSERT INTO requests (kind, requester_id, starts_at, ends_at, category, state, "
             "created_at) VALUES ('timeoff', %lld, %lld, %lld, 'vacation', 'approved', 1) "
             "RETURNING id",
             (long long)staff, (long long)from, (long long)to);
    return fx_int(&c->fx, sql, NULL);
}

static int64_t day_at(const char *date, int minute)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse(date, &d));
    return cl_local_instant(d, minute);
}

/* ---- desks ---- */

CL_TEST(desk_add_list_and_edit_with_version)
{
    clinic_t c;
    clinic_open(&c);
    Clinic__DeskListRequest l = CLINIC__DESK_LIST_REQUEST__INIT;
    cl_job_t *job = fx_call(&c.fx, &c.ann, CLINIC__REQUEST__BODY_DESK_LIST, &l);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.desk_list->n_desks, 2);
    ASSERT_STR_EQ(job->resp.desk_list->desks[0]->name, "Front desk");
    cl_job_free(job);

    Clinic__DeskEditRequest e = CLINIC__DESK_EDIT_REQUEST__INIT;
    e.id = c.front;
    e.version = 1;
    e.name = "Front";
    e.min_staff = 2;
    e.active = 1;
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_DESK_EDIT, &e);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.desk_edit->desk->version, 2);
    ASSERT_EQ(job->resp.desk_edit->desk->min_staff, 2);
    fx_assert_last_audit(&c.fx, "boss", "desk.edit", "desk", c.front);
    cl_job_free(job);
    clinic_close(&c);
}

/* Bad input: a stale version on a desk edit is CONFLICT with the current record. */
CL_TEST(desk_edit_stale_version_conflict)
{
    clinic_t c;
    clinic_open(&c);
    Clinic__DeskEditRequest e = CLINIC__DESK_EDIT_REQUEST__INIT;
    e.id = c.front;
    e.version = 1;
    e.name = "Front";
    e.min_staff = 1;
    e.active = 1;
    cl_job_free(fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_DESK_EDIT, &e));
    e.name = "Lobby";
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_DESK_EDIT, &e);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_STR_EQ(job->resp.desk_edit->desk->name, "Front");
    ASSERT_EQ(job->resp.desk_edit->desk->version, 2);
    cl_job_free(job);
    clinic_close(&c);
}

/* Bad input: two desks of one name. */
CL_TEST(desk_add_duplicate_name_conflict)
{
    clinic_t c;
    clinic_open(&c);
    Clinic__DeskAddRequest m = CLINIC__DESK_ADD_REQUEST__INIT;
    m.name = "Phones";
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_DESK_ADD, &m);
    FX_ASSERT_FAILED(job, CL_EEXIST, "name");
    cl_job_free(job);
    m.name = "";
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_DESK_ADD, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "name");
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- shifts and conflicts ---- */

CL_TEST(shift_add_records_audit_and_manager_change)
{
    clinic_t c;
    clinic_open(&c);
    cl_job_t *job = shift_add_job(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    ASSERT_OK(job->status);
    const Clinic__Shift *s = job->resp.shift_add->shift;
    ASSERT_STR_EQ(s->state, "draft");
    ASSERT_STR_EQ(s->date, MONDAY);
    ASSERT_STR_EQ(s->desk_name, "Front desk");
    ASSERT_STR_EQ(s->staff_name, "ann");
    ASSERT_EQ(s->minutes, 480);
    ASSERT_EQ(s->start_minute, 540);
    ASSERT_EQ(s->end_minute, 1020);
    fx_assert_last_audit(&c.fx, "boss", "shift.add", "shift", s->id);
    /* A draft is heard of by the managers only. */
    ASSERT_EQ(fx_job_changes(job), 1);
    ASSERT_STR_EQ(job->changes->topic, CL_TOPIC_STAFF_NAME);
    ASSERT_STR_EQ(job->changes->entity, "shift");
    cl_job_free(job);
    clinic_close(&c);
}

/* Bad input: overlapping shifts. CONFLICT naming the other shift (id, desk, time). */
CL_TEST(shift_add_overlapping_conflict_names_the_other)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t first = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    cl_job_t *job = shift_add_job(&c, c.ann_id, c.phones, MONDAY, 16 * 60, 20 * 60, 0);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    char want[96];
    snprintf(want, sizeof(want), "already has shift %llu at Front desk on %s 09:00-17:00",
             (unsigned long long)first, MONDAY);
    ASSERT_STR_CONTAINS(fx_message(job), want);
    ASSERT_NOT_NULL(job->resp.shift_add->conflict_with);
    ASSERT_EQ(job->resp.shift_add->conflict_with->id, first);
    cl_job_free(job);
    /* Touching ends are no overlap; someone else at the same time is fine. */
    shift_add(&c, c.ann_id, c.phones, MONDAY, 17 * 60, 20 * 60, 0);
    shift_add(&c, c.bob_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM shifts", NULL), 3);
    clinic_close(&c);
}

/* Bad input: a shift over approved time off is CONFLICT naming the request. */
CL_TEST(shift_add_over_approved_time_off_conflict)
{
    clinic_t c;
    clinic_open(&c);
    int64_t req = approved_timeoff(&c, c.ann_id, day_at(MONDAY, 0), day_at(TUESDAY, 0));
    cl_job_t *job = shift_add_job(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    char want[64];
    snprintf(want, sizeof(want), "approved time off (request %lld)", (long long)req);
    ASSERT_STR_CONTAINS(fx_message(job), want);
    cl_job_free(job);
    clinic_close(&c);
}

/* Bad input: a staff member who has left gets no shifts; bad times are refused by field. */
CL_TEST(shift_add_left_staff_and_bad_times_refused)
{
    clinic_t c;
    clinic_open(&c);
    char sql[96];
    snprintf(sql, sizeof(sql), "UPDATE staff SET active = 0 WHERE id = %lld", (long long)c.cat_id);
    fx_exec(&c.fx, sql);
    cl_job_t *job = shift_add_job(&c, c.cat_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "staff_id");
    ASSERT_STR_CONTAINS(fx_message(job), "has left");
    cl_job_free(job);
    job = shift_add_job(&c, 9999, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "staff_id");
    cl_job_free(job);
    job = shift_add_job(&c, c.ann_id, c.front, MONDAY, 9 * 60, 9 * 60 + 5, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "end_minute");
    cl_job_free(job);
    job = shift_add_job(&c, c.ann_id, c.front, "2023-02-30", 9 * 60, 17 * 60, 0);
    FX_ASSERT_FAILED(job, CL_EINVAL, "date");
    cl_job_free(job);
    job = shift_add_job(&c, c.ann_id, 77, MONDAY, 9 * 60, 17 * 60, 0);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "desk_id");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM shifts", NULL), 0);
    clinic_close(&c);
}

/* Bad input: a stale version on a shift edit is CONFLICT with the current shift. */
CL_TEST(shift_edit_stale_version_conflict)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t id = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    Clinic__ShiftEditRequest e = CLINIC__SHIFT_EDIT_REQUEST__INIT;
    e.id = id;
    e.version = 1;
    e.staff_id = (uint64_t)c.ann_id;
    e.desk_id = c.phones;
    e.date = MONDAY;
    e.start_minute = 8 * 60;
    e.end_minute = 16 * 60;
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_EDIT, &e);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_edit->shift->version, 2);
    ASSERT_STR_EQ(job->resp.shift_edit->shift->desk_name, "Phones");
    ASSERT_EQ(job->resp.shift_edit->shift->start_minute, 480);
    cl_job_free(job);
    e.start_minute = 10 * 60;
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_EDIT, &e);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.shift_edit->shift->version, 2);
    ASSERT_EQ(job->resp.shift_edit->shift->start_minute, 480);
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- overtime ---- */

CL_TEST(overtime_daily_flagged_and_request_filed)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET daily_overtime_minutes = 480");
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 7 * 60, 12 * 60, 0);
    ASSERT_EQ(shift_int(&c, "overtime_request_id", a), 0);
    cl_job_t *job = shift_add_job(&c, c.ann_id, c.phones, MONDAY, 13 * 60, 18 * 60, 0);
    ASSERT_OK(job->status);
    const Clinic__Shift *s = job->resp.shift_add->shift;
    ASSERT_STR_EQ(s->overtime, "pending");
    ASSERT_EQ(s->overtime_minutes, 120); /* 5 + 5 hours against 8 */
    ASSERT(s->overtime_request_id > 0);
    ASSERT_EQ(
        fx_intf(&c.fx,
                "SELECT count(*) FROM requests WHERE id = %llu AND kind = 'overtime' AND "
                "requester_id = %lld AND ref_id = %llu AND amount = 120 AND state = 'pending'",
                (unsigned long long)s->overtime_request_id, (long long)c.ann_id,
                (unsigned long long)s->id),
        1);
    cl_job_free(job);
    clinic_close(&c);
}

CL_TEST(overtime_weekly_flagged)
{
    clinic_t c;
    clinic_open(&c);
    /* Weeks begin on the anchor's weekday (a Sunday: 2024-01-07). */
    fx_exec(&c.fx, "UPDATE pay_policy SET weekly_overtime_minutes = 2400");
    static const char *const days[] = {"2023-11-20", "2023-11-21", "2023-11-22", "2023-11-23",
                                       "2023-11-24"};
    char ot[16];
    for (int i = 0; i < 5; i++) {
        uint64_t id = shift_add(&c, c.ann_id, c.front, days[i], 8 * 60, 16 * 60, 0);
        ASSERT_STR_EQ(shift_text(&c, "overtime", id, ot, sizeof(ot)), "");
    }
    uint64_t sat = shift_add(&c, c.ann_id, c.front, "2023-11-25", 9 * 60, 13 * 60, 0);
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 240);
    /* The next week starts afresh. */
    uint64_t sun = shift_add(&c, c.ann_id, c.front, "2023-11-26", 9 * 60, 13 * 60, 0);
    ASSERT_STR_EQ(shift_text(&c, "overtime", sun, ot, sizeof(ot)), "");
    clinic_close(&c);
}

static const char SQL_REJUDGED[] =
    "SELECT count(*) FROM audit WHERE action = 'shift.overtime_rejudged'";

/* The hours over a limit fall on the shifts that cross it, and a change to any shift of the
 * week judges the others again. Saturday goes over the 40-hour week after Monday-Friday's 40.
 * Shortening Tuesday by two hours leaves Tuesday unflagged (14 hours by then) and files
 * Saturday's request again for the two hours left over; cancelling Monday takes the week under
 * 40: Saturday's request is withdrawn and its flag cleared; giving Monday back flags Saturday
 * again, not Monday. Each re-judged shift has an audit row and a live change. */
CL_TEST(a_change_in_the_week_rejudges_its_overtime)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET weekly_overtime_minutes = 2400");
    static const char *const days[] = {"2023-11-20", "2023-11-21", "2023-11-22", "2023-11-23",
                                       "2023-11-24"};
    uint64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = shift_add(&c, c.ann_id, c.front, days[i], 8 * 60, 16 * 60, 1);
    uint64_t sat = shift_add(&c, c.ann_id, c.front, "2023-11-25", 9 * 60, 13 * 60, 1);
    char ot[16];
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 240);
    int64_t first_request = shift_int(&c, "overtime_request_id", sat);

    Clinic__ShiftEditRequest e = CLINIC__SHIFT_EDIT_REQUEST__INIT;
    e.id = ids[1];
    e.version = (uint64_t)shift_int(&c, "version", ids[1]);
    e.staff_id = (uint64_t)c.ann_id;
    e.desk_id = c.front;
    e.date = (char *)days[1];
    e.start_minute = 8 * 60;
    e.end_minute = 14 * 60;
    FX_ASSERT_OK_FREE(fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_EDIT, &e));
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 120);
    int64_t second_request = shift_int(&c, "overtime_request_id", sat);
    ASSERT_NE(second_request, first_request);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT state = 'withdrawn' FROM requests WHERE id = %lld",
                      (long long)first_request),
              1);

    Clinic__ShiftCancelRequest m = CLINIC__SHIFT_CANCEL_REQUEST__INIT;
    m.id = ids[0];
    m.version = (uint64_t)shift_int(&c, "version", ids[0]);
    m.reason = "closed for the holiday";
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_CANCEL, &m);
    ASSERT_OK(job->status);
    int told = 0;
    for (const cl_change_t *ch = job->changes; ch; ch = ch->next)
        told += strcmp(ch->entity, "shift") == 0 && ch->entity_id == sat;
    ASSERT_GT(told, 0);
    cl_job_free(job);
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 0);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT state = 'withdrawn' FROM requests WHERE id = %lld",
                      (long long)second_request),
              1);
    ASSERT_EQ(fx_int(&c.fx, SQL_REJUDGED, NULL), 2);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM shifts WHERE overtime <> ''", NULL), 0);

    uint64_t monday = shift_add(&c, c.ann_id, c.front, days[0], 8 * 60, 16 * 60, 1);
    ASSERT_STR_EQ(shift_text(&c, "overtime", monday, ot, sizeof(ot)), "");
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 120);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM shifts WHERE overtime <> ''", NULL), 1);
    ASSERT_EQ(fx_int(&c.fx, SQL_REJUDGED, NULL), 3);
    clinic_close(&c);
}

/* Bad input: daylight-saving days. Over the fall-back night a 22:00-06:00 shift is nine real
 * hours (and so an hour over an 8-hour day); over the spring-forward night, seven. */
CL_TEST(dst_night_shifts_count_real_hours)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET daily_overtime_minutes = 480");
    /* Clocks fell back on 2023-11-05 at 02:00 (before the fixture's now: made as history). */
    cl_job_t *job = shift_add_job(&c, c.ann_id, c.front, "2023-11-04", 22 * 60, 6 * 60, 0);
    ASSERT_OK(job->status);
    const Clinic__Shift *s = job->resp.shift_add->shift;
    ASSERT_EQ(s->minutes, 540);
    ASSERT_EQ(s->ends_at - s->starts_at, 9 * 3600);
    ASSERT_EQ(s->end_minute, 360);
    ASSERT_STR_EQ(s->overtime, "pending");
    ASSERT_EQ(s->overtime_minutes, 60);
    cl_job_free(job);
    /* Clocks sprang forward on 2024-03-10 at 02:00. */
    job = shift_add_job(&c, c.ann_id, c.front, "2024-03-09", 22 * 60, 6 * 60, 0);
    ASSERT_OK(job->status);
    s = job->resp.shift_add->shift;
    ASSERT_EQ(s->minutes, 420);
    ASSERT_EQ(s->ends_at - s->starts_at, 7 * 3600);
    ASSERT_STR_EQ(s->overtime, "");
    cl_job_free(job);
    /* An ordinary night: eight. */
    job = shift_add_job(&c, c.ann_id, c.front, "2024-03-16", 22 * 60, 6 * 60, 0);
    ASSERT_EQ(job->resp.shift_add->shift->minutes, 480);
    cl_job_free(job);
    clinic_close(&c);
}

CL_TEST(overtime_decided_approves_or_cancels_the_shift)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET daily_overtime_minutes = 240");
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    uint64_t b = shift_add(&c, c.bob_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    cl_request_t r = {0};
    r.kind = CL_REQ_OVERTIME;
    r.requester = c.ann_id;
    r.ref_id = (int64_t)a;
    r.id = shift_int(&c, "overtime_request_id", a);
    cl_job_t *job = hook_run(&c, 4, &r, 1);
    ASSERT_OK(job->status);
    /* Published: live, and in ann's inbox. */
    ASSERT_EQ(fx_job_changes(job), 2);
    cl_job_free(job);
    char text[16];
    ASSERT_STR_EQ(shift_text(&c, "overtime", a, text, sizeof(text)), "approved");
    ASSERT_STR_EQ(shift_text(&c, "state", a, text, sizeof(text)), "published");
    r.requester = c.bob_id;
    r.ref_id = (int64_t)b;
    FX_ASSERT_OK_FREE(hook_run(&c, 4, &r, 0));
    ASSERT_STR_EQ(shift_text(&c, "overtime", b, text, sizeof(text)), "denied");
    ASSERT_STR_EQ(shift_text(&c, "state", b, text, sizeof(text)), "cancelled");
    clinic_close(&c);
}

CL_TEST(cancel_shift_withdraws_its_overtime_request)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET daily_overtime_minutes = 240");
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    int64_t request = shift_int(&c, "overtime_request_id", a);
    ASSERT(request > 0);
    Clinic__ShiftCancelRequest m = CLINIC__SHIFT_CANCEL_REQUEST__INIT;
    m.id = a;
    m.version = (uint64_t)shift_int(&c, "version", a);
    m.reason = "not needed";
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_CANCEL, &m);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.shift_cancel->shift->state, "cancelled");
    cl_job_free(job);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT state = 'withdrawn' FROM requests WHERE id = %lld",
                      (long long)request),
              1);
    /* A cancelled shift holds no time: the same hours can be given again. */
    shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 12 * 60, 0);
    /* And it cannot be cancelled twice. */
    m.version = (uint64_t)shift_int(&c, "version", a);
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_CANCEL, &m);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- publishing and who sees what ---- */

static cl_job_t *list(clinic_t *c, const cl_identity_t *who, const char *from, const char *to)
{
    Clinic__ShiftListRequest l = CLINIC__SHIFT_LIST_REQUEST__INIT;
    l.from_date = (char *)from;
    l.to_date = (char *)to;
    return fx_call(&c->fx, who, CLINIC__REQUEST__BODY_SHIFT_LIST, &l);
}

CL_TEST(publish_week_makes_drafts_live)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 0);
    shift_add(&c, c.bob_id, c.front, TUESDAY, 9 * 60, 17 * 60, 0);
    shift_add(&c, c.bob_id, c.front, "2023-11-27", 9 * 60, 17 * 60, 0); /* next week */

    cl_job_t *job = list(&c, &c.ann, MONDAY, "2023-11-30");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_list->n_shifts, 0); /* drafts: managers only */
    cl_job_free(job);

    Clinic__ShiftWeekPublishRequest p = CLINIC__SHIFT_WEEK_PUBLISH_REQUEST__INIT;
    p.week_start = MONDAY;
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, &p);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_week_publish->published, 2);
    /* Each shift on "shifts" and in its staff member's inbox. */
    ASSERT_EQ(fx_job_changes(job), 4);
    int inbox_ann = 0;
    for (const cl_change_t *ch = job->changes; ch; ch = ch->next)
        if (strcmp(ch->topic, CL_TOPIC_INBOX_NAME) == 0 && ch->entity_id == a)
            inbox_ann = ch->scope_user == c.ann_user;
    ASSERT(inbox_ann);
    fx_assert_last_audit(&c.fx, "boss", "shift_week.publish", "shift_week", 20231120);
    cl_job_free(job);

    job = list(&c, &c.ann, MONDAY, "2023-11-30");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_list->n_shifts, 2);
    ASSERT_STR_EQ(job->resp.shift_list->shifts[0]->state, "published");
    fx_assert_last_audit(&c.fx, "ann", "shift.list", "shift", 0);
    cl_job_free(job);
    job = list(&c, &c.boss, MONDAY, "2023-11-30");
    ASSERT_EQ(job->resp.shift_list->n_shifts, 3);
    cl_job_free(job);
    clinic_close(&c);
}

CL_TEST(staff_see_details_of_their_own_and_reports_only)
{
    clinic_t c;
    clinic_open(&c);
    Clinic__ShiftAddRequest m = CLINIC__SHIFT_ADD_REQUEST__INIT;
    m.staff_id = (uint64_t)c.ann_id;
    m.desk_id = c.front;
    m.date = MONDAY;
    m.start_minute = 9 * 60;
    m.end_minute = 17 * 60;
    m.note = "covering for the dentist visit";
    m.publish = 1;
    cl_job_free(fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_ADD, &m));

    const cl_identity_t *readers[] = {&c.ann, &c.sue, &c.bob};
    const char *notes[] = {"covering for the dentist visit", "covering for the dentist visit", ""};
    for (int i = 0; i < 3; i++) {
        cl_job_t *job = list(&c, readers[i], MONDAY, MONDAY);
        ASSERT_OK(job->status);
        ASSERT_EQ(job->resp.shift_list->n_shifts, 1);
        ASSERT_STR_EQ(job->resp.shift_list->shifts[0]->note, notes[i]);
        cl_job_free(job);
    }
    clinic_close(&c);
}

/* ---- coverage ---- */

CL_TEST(coverage_flags_gaps_within_clinic_hours)
{
    clinic_t c;
    clinic_open(&c);
    hours(&c, 1, 9 * 60, 17 * 60); /* Mondays 09:00-17:00 */
    shift_add(&c, c.ann_id, c.front, MONDAY, 8 * 60, 13 * 60, 1);
    shift_add(&c, c.bob_id, c.front, MONDAY, 12 * 60, 17 * 60, 1);
    shift_add(&c, c.sue_id, c.front, MONDAY, 13 * 60, 15 * 60, 0); /* a draft */
    Clinic__ShiftCoverageRequest m = CLINIC__SHIFT_COVERAGE_REQUEST__INIT;
    m.from_date = MONDAY;
    m.to_date = MONDAY;
    cl_job_t *job = fx_call(&c.fx, &c.ann, CLINIC__REQUEST__BODY_SHIFT_COVERAGE, &m);
    ASSERT_OK(job->status);
    const Clinic__ShiftCoverageReply *r = job->resp.shift_coverage;
    ASSERT_EQ(r->n_days, 2); /* Front desk, Phones */
    const Clinic__ShiftCoverageDay *front = r->days[0];
    ASSERT_STR_EQ(front->desk_name, "Front desk");
    ASSERT_STR_EQ(front->window, "clinic_hours");
    ASSERT(!front->gap);
    ASSERT_EQ(front->n_segments, 3);
    ASSERT_EQ(front->segments[0]->start_minute, 540);
    ASSERT_EQ(front->segments[0]->on_duty, 1);
    ASSERT_EQ(front->segments[1]->start_minute, 720);
    ASSERT_EQ(front->segments[1]->end_minute, 780);
    ASSERT_EQ(front->segments[1]->on_duty, 2);
    ASSERT_EQ(front->segments[2]->end_minute, 1020);
    const Clinic__ShiftCoverageDay *phones = r->days[1];
    ASSERT(phones->gap);
    ASSERT_EQ(phones->n_segments, 1);
    ASSERT_EQ(phones->segments[0]->on_duty, 0);
    ASSERT_EQ(r->gaps, 1);
    cl_job_free(job);

    /* A manager may count the drafts in; staff may not. */
    m.include_drafts = 1;
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_COVERAGE, &m);
    /* Sue's draft 13:00-15:00 carries the two on until 15:00. */
    ASSERT_EQ(job->resp.shift_coverage->days[0]->segments[1]->on_duty, 2);
    ASSERT_EQ(job->resp.shift_coverage->days[0]->segments[1]->end_minute, 900);
    cl_job_free(job);
    job = fx_call(&c.fx, &c.ann, CLINIC__REQUEST__BODY_SHIFT_COVERAGE, &m);
    ASSERT_EQ(job->resp.shift_coverage->days[0]->segments[1]->end_minute, 780);
    cl_job_free(job);
    clinic_close(&c);
}

CL_TEST(coverage_without_hours_spans_the_shifts)
{
    clinic_t c;
    clinic_open(&c);
    shift_add(&c, c.ann_id, c.phones, MONDAY, 9 * 60, 12 * 60, 1);
    shift_add(&c, c.bob_id, c.phones, MONDAY, 13 * 60, 16 * 60, 1);
    Clinic__ShiftCoverageRequest m = CLINIC__SHIFT_COVERAGE_REQUEST__INIT;
    m.from_date = MONDAY;
    m.to_date = MONDAY;
    m.desk_id = c.phones;
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_COVERAGE, &m);
    ASSERT_OK(job->status);
    const Clinic__ShiftCoverageDay *d = job->resp.shift_coverage->days[0];
    ASSERT_STR_EQ(d->window, "shifts");
    ASSERT_EQ(d->n_segments, 3);
    ASSERT(d->segments[1]->gap); /* 12:00-13:00: nobody */
    ASSERT_EQ(d->segments[1]->start_minute, 720);
    ASSERT_EQ(d->segments[1]->end_minute, 780);
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- templates ---- */

static Clinic__ShiftTemplateRow row(uint32_t weekday, uint32_t start, uint32_t end, uint64_t desk,
                                    int64_t staff)
{
    Clinic__ShiftTemplateRow r = CLINIC__SHIFT_TEMPLATE_ROW__INIT;
    r.weekday = weekday;
    r.start_minute = start;
    r.end_minute = end;
    r.desk_id = desk;
    r.staff_id = (uint64_t)staff;
    return r;
}

CL_TEST(template_apply_skips_conflicts_and_makes_the_rest)
{
    clinic_t c;
    clinic_open(&c);
    Clinic__ShiftTemplateRow rows[3] = {row(1, 540, 1020, c.front, c.ann_id),
                                        row(1, 540, 1020, c.phones, c.bob_id),
                                        row(2, 540, 1020, c.front, c.ann_id)};
    Clinic__ShiftTemplateRow *ptrs[3] = {&rows[0], &rows[1], &rows[2]};
    Clinic__ShiftTemplateSetRequest s = CLINIC__SHIFT_TEMPLATE_SET_REQUEST__INIT;
    s.name = "standard";
    s.rows = ptrs;
    s.n_rows = 3;
    cl_job_t *job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_SET, &s);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_template_set->template_->version, 1);
    ASSERT_EQ(job->resp.shift_template_set->template_->n_rows, 3);
    cl_job_free(job);
    /* Bad input: setting it again from a stale version. */
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_SET, &s);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "version");
    ASSERT_EQ(job->resp.shift_template_set->template_->version, 1);
    cl_job_free(job);

    /* Bob already works Monday morning. */
    shift_add(&c, c.bob_id, c.front, MONDAY, 8 * 60, 10 * 60, 0);
    Clinic__ShiftTemplateApplyRequest a = CLINIC__SHIFT_TEMPLATE_APPLY_REQUEST__INIT;
    a.name = "standard";
    a.week_start = "2023-11-19";
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_APPLY, &a);
    ASSERT_OK(job->status);
    const Clinic__ShiftTemplateApplyReply *r = job->resp.shift_template_apply;
    ASSERT_EQ(r->n_created, 2);
    ASSERT_STR_EQ(r->created[0]->date, MONDAY);
    ASSERT_STR_EQ(r->created[0]->state, "draft");
    ASSERT_STR_EQ(r->created[1]->date, TUESDAY);
    ASSERT_EQ(r->n_skipped, 1);
    ASSERT_EQ(r->skipped[0]->row, 1);
    ASSERT_STR_EQ(r->skipped[0]->date, MONDAY);
    ASSERT_STR_CONTAINS(r->skipped[0]->reason, "bob already has shift");
    cl_job_free(job);

    Clinic__ShiftTemplateListRequest l = CLINIC__SHIFT_TEMPLATE_LIST_REQUEST__INIT;
    job = fx_call(&c.fx, &c.boss, CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_LIST, &l);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.shift_template_list->n_templates, 1);
    ASSERT_STR_EQ(job->resp.shift_template_list->templates[0]->rows[0]->staff_name, "ann");
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- swaps ---- */

static cl_job_t *propose(clinic_t *c, const cl_identity_t *who, uint64_t mine, uint64_t theirs)
{
    Clinic__SwapProposeRequest m = CLINIC__SWAP_PROPOSE_REQUEST__INIT;
    m.shift_id = mine;
    m.other_shift_id = theirs;
    m.note = "my kid's recital";
    return fx_call(&c->fx, who, CLINIC__REQUEST__BODY_SWAP_PROPOSE, &m);
}

static cl_job_t *respond(clinic_t *c, const cl_identity_t *who, uint64_t id, uint64_t version,
                         const char *action)
{
    Clinic__SwapRespondRequest m = CLINIC__SWAP_RESPOND_REQUEST__INIT;
    m.id = id;
    m.version = version;
    m.action = (char *)action;
    return fx_call(&c->fx, who, CLINIC__REQUEST__BODY_SWAP_RESPOND, &m);
}

CL_TEST(swap_propose_accept_check_and_approve)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    uint64_t b = shift_add(&c, c.bob_id, c.phones, TUESDAY, 9 * 60, 17 * 60, 1);
    cl_job_t *job = propose(&c, &c.ann, a, b);
    ASSERT_OK(job->status);
    const Clinic__ShiftSwap *w = job->resp.swap_propose->swap;
    uint64_t id = w->id;
    ASSERT_STR_EQ(w->state, "proposed");
    ASSERT_EQ(w->other_id, (uint64_t)c.bob_id);
    ASSERT_EQ(w->other_shift->id, b);
    cl_job_free(job);

    /* The proposer cannot accept; the other party can. */
    job = respond(&c, &c.ann, id, 1, "accept");
    FX_ASSERT_FAILED(job, CL_EPERM, "action");
    cl_job_free(job);
    job = respond(&c, &c.bob, id, 1, "accept");
    ASSERT_OK(job->status);
    w = job->resp.swap_respond->swap;
    ASSERT_STR_EQ(w->state, "accepted");
    ASSERT(w->request_id > 0);
    uint64_t request = w->request_id;
    cl_job_free(job);
    ASSERT_EQ(
        fx_intf(&c.fx,
                "SELECT count(*) FROM requests WHERE id = %llu AND kind = 'swap' AND "
                "requester_id = %lld AND other_id = %lld AND ref_id = %llu AND ref2_id = %llu",
                (unsigned long long)request, (long long)c.ann_id, (long long)c.bob_id,
                (unsigned long long)a, (unsigned long long)b),
        1);
    /* Bad input: deciding it again. */
    job = respond(&c, &c.bob, id, 2, "decline");
    FX_ASSERT_FAILED(job, CL_EPRECOND, "id");
    cl_job_free(job);

    cl_request_t r = {0};
    r.id = (int64_t)request;
    r.kind = CL_REQ_SWAP;
    r.requester = c.ann_id;
    r.other = c.bob_id;
    r.ref_id = (int64_t)a;
    r.ref2_id = (int64_t)b;
    FX_ASSERT_OK_FREE(hook_run(&c, 2, &r, 0));
    FX_ASSERT_OK_FREE(hook_run(&c, 3, &r, 0));
    ASSERT_EQ(shift_int(&c, "staff_id", a), c.bob_id);
    ASSERT_EQ(shift_int(&c, "staff_id", b), c.ann_id);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT state = 'approved' FROM shift_swaps WHERE id = %llu",
                      (unsigned long long)id),
              1);
    /* Checked again later, the shifts are no longer the parties' as filed. */
    job = hook_run(&c, 2, &r, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    cl_job_free(job);
    clinic_close(&c);
}

/* A swap exchanges hours: the weeks of both parties are judged again, and a shift's overtime
 * flag and pending request, which were its old holder's, do not travel with it. Ann's and Bob's
 * Saturdays would each be over their 40-hour week. Ann swaps hers for Bob's Monday of the next
 * week: her request is withdrawn; the Saturday, over Bob's week by the same four hours, gets a
 * request of Bob's; Ann's new Monday is within her next week. */
CL_TEST(a_swap_rejudges_both_weeks_and_leaves_the_old_holders_overtime)
{
    clinic_t c;
    clinic_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET weekly_overtime_minutes = 2400");
    static const char *const days[] = {"2023-11-20", "2023-11-21", "2023-11-22", "2023-11-23",
                                       "2023-11-24"};
    for (int i = 0; i < 5; i++) {
        shift_add(&c, c.ann_id, c.front, days[i], 8 * 60, 16 * 60, 1);
        shift_add(&c, c.bob_id, c.phones, days[i], 8 * 60, 16 * 60, 1);
    }
    uint64_t sat = shift_add(&c, c.ann_id, c.front, "2023-11-25", 9 * 60, 13 * 60, 1);
    uint64_t next = shift_add(&c, c.bob_id, c.phones, "2023-11-27", 9 * 60, 13 * 60, 1);
    char ot[16];
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    int64_t ann_request = shift_int(&c, "overtime_request_id", sat);

    cl_request_t r = {0};
    r.kind = CL_REQ_SWAP;
    r.requester = c.ann_id;
    r.other = c.bob_id;
    r.ref_id = (int64_t)sat;
    r.ref2_id = (int64_t)next;
    FX_ASSERT_OK_FREE(hook_run(&c, 3, &r, 0));
    ASSERT_EQ(shift_int(&c, "staff_id", sat), c.bob_id);
    ASSERT_STR_EQ(shift_text(&c, "overtime", sat, ot, sizeof(ot)), "pending");
    ASSERT_EQ(shift_int(&c, "overtime_minutes", sat), 240);
    int64_t bob_request = shift_int(&c, "overtime_request_id", sat);
    ASSERT_NE(bob_request, ann_request);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT state = 'withdrawn' FROM requests WHERE id = %lld",
                      (long long)ann_request),
              1);
    ASSERT_EQ(fx_intf(&c.fx,
                      "SELECT count(*) FROM requests WHERE id = %lld AND requester_id = %lld AND "
                      "state = 'pending'",
                      (long long)bob_request, (long long)c.bob_id),
              1);
    ASSERT_STR_EQ(shift_text(&c, "overtime", next, ot, sizeof(ot)), "");
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM shifts WHERE overtime <> ''", NULL), 1);
    clinic_close(&c);
}

/* A swap request the manager denies (or the proposer withdraws) settles the swap, which must not
 * stay "accepted" with its request gone; the shifts stay with their holders. */
CL_TEST(swap_denied_is_settled_and_shifts_stay)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    uint64_t b = shift_add(&c, c.bob_id, c.phones, TUESDAY, 9 * 60, 17 * 60, 1);
    cl_job_t *job = propose(&c, &c.ann, a, b);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.swap_propose->swap->id;
    cl_job_free(job);
    job = respond(&c, &c.bob, id, 1, "accept");
    ASSERT_OK(job->status);
    uint64_t request = job->resp.swap_respond->swap->request_id;
    cl_job_free(job);

    cl_request_t r = {0};
    r.id = (int64_t)request;
    r.kind = CL_REQ_SWAP;
    r.requester = c.ann_id;
    r.other = c.bob_id;
    r.ref_id = (int64_t)a;
    r.ref2_id = (int64_t)b;
    FX_ASSERT_OK_FREE(hook_run(&c, 5, &r, 1));
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT state FROM shift_swaps WHERE id = %llu",
             (unsigned long long)id);
    sqlite3_stmt *st = fx_prepare(&c.fx, sql);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "declined");
    sqlite3_finalize(st);
    ASSERT_EQ(shift_int(&c, "staff_id", a), c.ann_id);
    ASSERT_EQ(shift_int(&c, "staff_id", b), c.bob_id);
    /* Settled: a second close finds no accepted swap and changes nothing. */
    FX_ASSERT_OK_FREE(hook_run(&c, 5, &r, 0));
    st = fx_prepare(&c.fx, sql);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "declined");
    sqlite3_finalize(st);
    clinic_close(&c);
}

/* Bad input: swapping a draft, a shift not one's own, one's own two shifts, or a past one. */
CL_TEST(swap_propose_refusals)
{
    clinic_t c;
    clinic_open(&c);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    uint64_t a2 = shift_add(&c, c.ann_id, c.front, TUESDAY, 9 * 60, 17 * 60, 1);
    uint64_t b = shift_add(&c, c.bob_id, c.phones, TUESDAY, 9 * 60, 17 * 60, 0);
    uint64_t past = shift_add(&c, c.bob_id, c.phones, "2023-11-13", 9 * 60, 17 * 60, 1);
    uint64_t b2 = shift_add(&c, c.bob_id, c.phones, "2023-11-22", 9 * 60, 17 * 60, 1);
    cl_job_t *job = propose(&c, &c.ann, a, b);
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "other_shift_id");
    cl_job_free(job);
    job = propose(&c, &c.bob, a, b2);
    FX_ASSERT_FAILED(job, CL_EPERM, "shift_id");
    cl_job_free(job);
    job = propose(&c, &c.ann, a, a2);
    FX_ASSERT_FAILED(job, CL_EINVAL, "other_shift_id");
    cl_job_free(job);
    job = propose(&c, &c.ann, a, past);
    FX_ASSERT_FAILED(job, CL_EPRECOND, "other_shift_id");
    cl_job_free(job);
    FX_ASSERT_OK_FREE(propose(&c, &c.ann, a, b2));
    job = propose(&c, &c.ann, a2, b2);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    cl_job_free(job);
    clinic_close(&c);
}

/* ---- time off ---- */

CL_TEST(timeoff_approve_below_desk_minimum_conflict_unless_override)
{
    clinic_t c;
    clinic_open(&c);
    hours(&c, 1, 9 * 60, 17 * 60);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    uint64_t b = shift_add(&c, c.bob_id, c.front, MONDAY, 13 * 60, 17 * 60, 1);
    /* Ann is also Dr. Ann, a provider: her schedule is blocked too. */
    char sql[160];
    snprintf(sql, sizeof(sql), "INSERT INTO providers (user_id, name) VALUES (%lld, 'Dr. Ann')",
             (long long)c.ann_user);
    fx_exec(&c.fx, sql);
    cl_request_t r = {0};
    r.id = 41;
    r.kind = CL_REQ_TIMEOFF;
    r.requester = c.ann_id;
    r.starts_at = day_at(MONDAY, 0);
    r.ends_at = day_at(TUESDAY, 0);
    snprintf(r.category, sizeof(r.category), "vacation");

    /* Bad input: over the desk minimum. Bob covers the afternoon only. */
    cl_job_t *job = hook_run(&c, 1, &r, 0);
    FX_ASSERT_FAILED(job, CL_ECONFLICT, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "Front desk on " MONDAY " with 0 of the 1 needed");
    ASSERT_STR_CONTAINS(fx_message(job), "09:00-13:00");
    cl_job_free(job);
    char text[16];
    ASSERT_STR_EQ(shift_text(&c, "state", a, text, sizeof(text)), "published");
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM blocks", NULL), 0);

    FX_ASSERT_OK_FREE(hook_run(&c, 1, &r, 1));
    ASSERT_STR_EQ(shift_text(&c, "state", a, text, sizeof(text)), "off");
    ASSERT_EQ(shift_int(&c, "timeoff_request_id", a), 41);
    ASSERT_STR_EQ(shift_text(&c, "state", b, text, sizeof(text)), "published");
    ASSERT_EQ(fx_int(&c.fx,
                     "SELECT count(*) FROM blocks WHERE reason = 'vacation' AND "
                     "cancelled = 0",
                     NULL),
              1);

    /* The staff member sees their own shift taken off; others do not. */
    job = list(&c, &c.ann, MONDAY, MONDAY);
    ASSERT_EQ(job->resp.shift_list->n_shifts, 2);
    cl_job_free(job);
    job = list(&c, &c.bob, MONDAY, MONDAY);
    ASSERT_EQ(job->resp.shift_list->n_shifts, 1);
    cl_job_free(job);
    clinic_close(&c);
}

CL_TEST(timeoff_approve_with_the_desk_covered)
{
    clinic_t c;
    clinic_open(&c);
    hours(&c, 1, 9 * 60, 17 * 60);
    uint64_t a = shift_add(&c, c.ann_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    shift_add(&c, c.bob_id, c.front, MONDAY, 9 * 60, 17 * 60, 1);
    cl_request_t r = {0};
    r.id = 7;
    r.kind = CL_REQ_TIMEOFF;
    r.requester = c.ann_id;
    r.starts_at = day_at(MONDAY, 12 * 60);
    r.ends_at = day_at(MONDAY, 14 * 60);
    FX_ASSERT_OK_FREE(hook_run(&c, 1, &r, 0));
    char text[16];
    ASSERT_STR_EQ(shift_text(&c, "state", a, text, sizeof(text)), "off");
    /* No provider linked: no block. */
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM blocks", NULL), 0);
    clinic_close(&c);
}

/* ---- query plans ---- */

static void assert_plan_uses(clinic_t *c, cl_shift_q_t q, const char *index)
{
    char sql[4096];
    snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", cl_shift_sql(q));
    sqlite3_stmt *st = fx_prepare(&c->fx, sql);
    int found = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        found = found || strstr((const char *)sqlite3_column_text(st, 3), index) != NULL;
    sqlite3_finalize(st);
    if (!found)
        CL_FAIL("%s does not use %s", cl_shift_sql(q), index);
}

CL_TEST(hot_queries_use_their_indexes)
{
    clinic_t c;
    clinic_open(&c);
    assert_plan_uses(&c, CL_SHQ_SHIFT_OVERLAP, "shifts_staff");
    assert_plan_uses(&c, CL_SHQ_SHIFT_SECONDS, "shifts_staff");
    assert_plan_uses(&c, CL_SHQ_SHIFT_LIST, "shifts_date");
    assert_plan_uses(&c, CL_SHQ_DESK_ON_DUTY, "shifts_date");
    assert_plan_uses(&c, CL_SHQ_SHIFT_OF_STAFF_WITHIN, "shifts_staff");
    assert_plan_uses(&c, CL_SHQ_SHIFTS_OFF_FOR, "shifts_staff");
    assert_plan_uses(&c, CL_SHQ_BLOCKS_CANCEL_FOR, "blocks_provider");
    clinic_close(&c);
}

CL_TEST_MAIN(CL_TEST_ENTRY(desk_add_list_and_edit_with_version),
             CL_TEST_ENTRY(desk_edit_stale_version_conflict),
             CL_TEST_ENTRY(desk_add_duplicate_name_conflict),
             CL_TEST_ENTRY(shift_add_records_audit_and_manager_change),
             CL_TEST_ENTRY(shift_add_overlapping_conflict_names_the_other),
             CL_TEST_ENTRY(shift_add_over_approved_time_off_conflict),
             CL_TEST_ENTRY(shift_add_left_staff_and_bad_times_refused),
             CL_TEST_ENTRY(shift_edit_stale_version_conflict),
             CL_TEST_ENTRY(overtime_daily_flagged_and_request_filed),
             CL_TEST_ENTRY(overtime_weekly_flagged),
             CL_TEST_ENTRY(a_change_in_the_week_rejudges_its_overtime),
             CL_TEST_ENTRY(dst_night_shifts_count_real_hours),
             CL_TEST_ENTRY(overtime_decided_approves_or_cancels_the_shift),
             CL_TEST_ENTRY(cancel_shift_withdraws_its_overtime_request),
             CL_TEST_ENTRY(publish_week_makes_drafts_live),
             CL_TEST_ENTRY(staff_see_details_of_their_own_and_reports_only),
             CL_TEST_ENTRY(coverage_flags_gaps_within_clinic_hours),
             CL_TEST_ENTRY(coverage_without_hours_spans_the_shifts),
             CL_TEST_ENTRY(template_apply_skips_conflicts_and_makes_the_rest),
             CL_TEST_ENTRY(swap_propose_accept_check_and_approve),
             CL_TEST_ENTRY(a_swap_rejudges_both_weeks_and_leaves_the_old_holders_overtime),
             CL_TEST_ENTRY(swap_denied_is_settled_and_shifts_stay),
             CL_TEST_ENTRY(swap_propose_refusals),
             CL_TEST_ENTRY(timeoff_approve_below_desk_minimum_conflict_unless_override),
             CL_TEST_ENTRY(timeoff_approve_with_the_desk_covered),
             CL_TEST_ENTRY(hot_queries_use_their_indexes))
