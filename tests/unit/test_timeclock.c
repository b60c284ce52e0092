/* The time clock on the real schema, in America/Chicago: clocking in and out and breaks with their
 * bad inputs, the one open punch the schema enforces, breaks deducted by rule, pay periods at
 * their boundaries, regular and overtime minutes by the daily and weekly rules, days when the
 * clocks change counted in real hours, who may read whose timesheet, corrections filed as
 * requests (the original kept; once approved, a new version with the old one in history), the
 * pay policy with versions, payroll's CSV, and the plans of the hot queries. */
#include "calendar.h"
#include "domain_fixture.h"
#include "timeclock_int.h"

/* People: a manager, a supervisor with one report (alice), and bob, who supervises nobody. */
typedef struct {
    fx_t fx;
    cl_identity_t manager, sup, alice, bob;
    int64_t manager_staff, sup_staff, alice_staff, bob_staff;
} tc_t;

static void tc_open(tc_t *c)
{
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    fx_open(&c->fx);
    fx_t *fx = &c->fx;
    fx_user(fx, "manager", CL_ROLE_manager);
    fx_user(fx, "sup", CL_ROLE_staff);
    fx_user(fx, "alice", CL_ROLE_front_desk);
    fx_user(fx, "bob", CL_ROLE_staff);
    c->manager = fx_who(fx, "manager");
    c->sup = fx_who(fx, "sup");
    c->alice = fx_who(fx, "alice");
    c->bob = fx_who(fx, "bob");
    c->manager_staff = fx_staff_of(fx, "manager");
    c->sup_staff = fx_staff_of(fx, "sup");
    c->alice_staff = fx_staff_of(fx, "alice");
    c->bob_staff = fx_staff_of(fx, "bob");
    fx_set_supervisor(fx, c->alice_staff, c->sup_staff);
}

static void tc_close(tc_t *c)
{
    fx_close(&c->fx);
}

/* The instant of local `hh`:`mm` on `date`. */
static int64_t at(const char *date, int hh, int mm)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse(date, &d));
    return cl_local_instant(d, hh * 60 + mm);
}

/* Runs a request of kind `kind` on `body` as `who` at `now` (fx_call); the job keeps its reply
 * for the caller. */
static cl_job_t *run_at(tc_t *c, int64_t now, const cl_identity_t *who,
                        Clinic__Request__BodyCase kind, const void *body)
{
    c->fx.now = now;
    return fx_call(&c->fx, who, kind, body);
}

static cl_job_t *clock_in(tc_t *c, int64_t now, const cl_identity_t *who)
{
    Clinic__ClockInRequest m = CLINIC__CLOCK_IN_REQUEST__INIT;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_CLOCK_IN, &m);
}

static cl_job_t *clock_out(tc_t *c, int64_t now, const cl_identity_t *who)
{
    Clinic__ClockOutRequest m = CLINIC__CLOCK_OUT_REQUEST__INIT;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_CLOCK_OUT, &m);
}

static cl_job_t *break_start(tc_t *c, int64_t now, const cl_identity_t *who, int paid)
{
    Clinic__ClockBreakStartRequest m = CLINIC__CLOCK_BREAK_START_REQUEST__INIT;
    m.paid = paid;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_CLOCK_BREAK_START, &m);
}

static cl_job_t *break_end(tc_t *c, int64_t now, const cl_identity_t *who)
{
    Clinic__ClockBreakEndRequest m = CLINIC__CLOCK_BREAK_END_REQUEST__INIT;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_CLOCK_BREAK_END, &m);
}

/* Clocks `who` in and out; returns the punch id. */
static uint64_t shift(tc_t *c, const cl_identity_t *who, int64_t in, int64_t out)
{
    cl_job_t *job = clock_in(c, in, who);
    ASSERT_OK(job->status);
    uint64_t id = job->resp.clock_in->punch->id;
    cl_job_free(job);
    FX_ASSERT_OK_FREE(clock_out(c, out, who));
    return id;
}

static cl_job_t *timesheet(tc_t *c, int64_t now, const cl_identity_t *who, int64_t staff,
                           const char *date)
{
    Clinic__TimesheetShowRequest m = CLINIC__TIMESHEET_SHOW_REQUEST__INIT;
    m.staff_id = (uint64_t)staff;
    m.date = (char *)date;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_TIMESHEET_SHOW, &m);
}

static const Clinic__TimesheetDay *day_of(const Clinic__Timesheet *t, const char *date)
{
    for (size_t i = 0; i < t->n_days; i++)
        if (strcmp(t->days[i]->date, date) == 0)
            return t->days[i];
    CL_FAIL("no day %s in the timesheet", date);
}

static cl_job_t *correction(tc_t *c, int64_t now, const cl_identity_t *who, uint64_t punch,
                            int64_t in_at, int64_t out_at, const char *kind)
{
    Clinic__PunchCorrectionFileRequest m = CLINIC__PUNCH_CORRECTION_FILE_REQUEST__INIT;
    m.punch_id = punch;
    m.in_at = in_at;
    m.out_at = out_at;
    m.reason = "forgot to clock in on time";
    m.kind = (char *)kind;
    return run_at(c, now, who, CLINIC__REQUEST__BODY_PUNCH_CORRECTION_FILE, &m);
}

/* Approves request `id` as the manager through the approvals workflow; returns its code. */
static void approve(tc_t *c, int64_t now, uint64_t id)
{
    uint64_t ids[1] = {id};
    Clinic__StaffRequestDecideRequest m = CLINIC__STAFF_REQUEST_DECIDE_REQUEST__INIT;
    m.ids = ids;
    m.n_ids = 1;
    m.approve = 1;
    cl_job_t *job = run_at(c, now, &c->manager, CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, &m);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.staff_request_decide->n_results, 1);
    const Clinic__StaffRequestDecision *d = job->resp.staff_request_decide->results[0];
    if (strcmp(d->code, "OK") != 0)
        CL_FAIL("approval failed: %s: %s", d->code, d->message);
    cl_job_free(job);
}

static int64_t punch_int(tc_t *c, const char *column, uint64_t id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT %s FROM punches WHERE id = %llu", column,
             (unsigned long long)id);
    return fx_int(&c->fx, sql, NULL);
}

/* ---- clocking in and out ---- */

/* Bad input: punch out without punch in. */
CL_TEST(clock_out_without_clock_in_fails)
{
    tc_t c;
    tc_open(&c);
    int64_t audits = fx_audit_rows(&c.fx);
    cl_job_t *job = clock_out(&c, at("2024-03-04", 17, 0), &c.alice);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "not clocked in");
    ASSERT_EQ(fx_audit_rows(&c.fx), audits);
    cl_job_free(job);
    tc_close(&c);
}

/* Bad input: double punch in. The message says when the open punch began. */
CL_TEST(double_clock_in_names_when_the_open_punch_began)
{
    tc_t c;
    tc_open(&c);
    FX_ASSERT_OK_FREE(clock_in(&c, at("2024-03-04", 8, 2), &c.alice));
    cl_job_t *job = clock_in(&c, at("2024-03-04", 9, 0), &c.alice);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "already clocked in since 2024-03-04 08:02");
    ASSERT_STR_CONTAINS(fx_message(job), "ws-test");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM punches", NULL), 1);
    tc_close(&c);
}

CL_TEST(clock_in_records_the_workstation_the_audit_row_and_the_changes)
{
    tc_t c;
    tc_open(&c);
    snprintf(c.alice.workstation, sizeof(c.alice.workstation), "front-desk-2");
    cl_job_t *job = clock_in(&c, at("2024-03-04", 8, 0), &c.alice);
    ASSERT_OK(job->status);
    const Clinic__Punch *p = job->resp.clock_in->punch;
    ASSERT_STR_EQ(p->in_workstation, "front-desk-2");
    ASSERT_STR_EQ(p->in_user, "alice");
    ASSERT_EQ(p->staff_id, c.alice_staff);
    ASSERT_EQ(p->out_at, 0);
    ASSERT_EQ(p->version, 1);
    fx_assert_last_audit(&c.fx, "alice", "clock.in", "punch", p->id);
    /* One change for payroll's "timeclock" topic, one for alice's own inbox. */
    ASSERT_EQ(fx_job_changes(job), 2);
    ASSERT_STR_EQ(job->changes->topic, "timeclock");
    ASSERT_STR_EQ(job->changes->next->topic, "inbox");
    ASSERT_EQ(job->changes->next->scope_user, c.alice.user_id);
    uint64_t id = p->id;
    cl_job_free(job);

    snprintf(c.alice.workstation, sizeof(c.alice.workstation), "back-office");
    job = clock_out(&c, at("2024-03-04", 12, 0), &c.alice);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.clock_out->punch->out_workstation, "back-office");
    ASSERT_EQ(job->resp.clock_out->worked_minutes, 240);
    ASSERT_EQ(job->resp.clock_out->break_ended, 0);
    fx_assert_last_audit(&c.fx, "alice", "clock.out", "punch", id);
    cl_job_free(job);
    tc_close(&c);
}

/* Bad input: a second open punch, written behind the handlers' back, is refused by the schema. */
CL_TEST(one_open_punch_is_enforced_by_the_schema)
{
    tc_t c;
    tc_open(&c);
    FX_ASSERT_OK_FREE(clock_in(&c, at("2024-03-04", 8, 0), &c.alice));
    char sql[160];
    snprintf(sql, sizeof(sql),
             "INSERT INTO punches (staff_id, in_at, created_at) VALUES (%lld, 1709564400, 1)",
             (long long)c.alice_staff);
    char *err = NULL;
    ASSERT_EQ(sqlite3_exec(cl_db_handle(c.fx.db), sql, NULL, NULL, &err) & 0xff, SQLITE_CONSTRAINT);
    sqlite3_free(err);
    /* Another staff member's open punch is fine. */
    FX_ASSERT_OK_FREE(clock_in(&c, at("2024-03-04", 8, 5), &c.bob));
    tc_close(&c);
}

/* Bad input: a break while not clocked in, a second open break, ending a break never begun. */
CL_TEST(breaks_need_an_open_punch_and_one_at_a_time)
{
    tc_t c;
    tc_open(&c);
    cl_job_t *job = break_start(&c, at("2024-03-04", 7, 0), &c.alice, 0);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "not clocked in");
    cl_job_free(job);

    job = clock_in(&c, at("2024-03-04", 8, 0), &c.alice);
    cl_job_free(job);
    job = break_end(&c, at("2024-03-04", 9, 0), &c.alice);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "not on a break");
    cl_job_free(job);

    job = break_start(&c, at("2024-03-04", 12, 0), &c.alice, 0);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.clock_break_start->punch->n_breaks, 1);
    cl_job_free(job);
    job = break_start(&c, at("2024-03-04", 12, 10), &c.alice, 1);
    FX_ASSERT_FAILED(job, CL_EPRECOND, NULL);
    ASSERT_STR_CONTAINS(fx_message(job), "already on a unpaid break since 2024-03-04 12:00");
    cl_job_free(job);
    job = break_end(&c, at("2024-03-04", 12, 30), &c.alice);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.clock_break_end->punch->breaks[0]->end_at, at("2024-03-04", 12, 30));
    cl_job_free(job);
    tc_close(&c);
}

/* Decision: clocking out during a break ends the break at the clock-out. */
CL_TEST(clock_out_during_a_break_ends_the_break)
{
    tc_t c;
    tc_open(&c);
    cl_job_free(clock_in(&c, at("2024-03-04", 8, 0), &c.alice));
    cl_job_free(break_start(&c, at("2024-03-04", 11, 30), &c.alice, 0));
    cl_job_t *job = clock_out(&c, at("2024-03-04", 12, 0), &c.alice);
    ASSERT_OK(job->status);
    const Clinic__ClockOutReply *r = job->resp.clock_out;
    ASSERT_EQ(r->break_ended, 1);
    ASSERT_EQ(r->punch->breaks[0]->end_at, r->punch->out_at);
    ASSERT_EQ(r->worked_minutes, 210);
    cl_job_free(job);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM breaks WHERE end_at = 0", NULL), 0);
    tc_close(&c);
}

/* ---- breaks by rule ---- */

CL_TEST(unpaid_breaks_are_deducted_and_paid_ones_are_not)
{
    tc_t c;
    tc_open(&c);
    cl_job_free(clock_in(&c, at("2024-03-04", 8, 0), &c.alice));
    cl_job_free(break_start(&c, at("2024-03-04", 10, 0), &c.alice, 1));
    cl_job_free(break_end(&c, at("2024-03-04", 10, 15), &c.alice));
    cl_job_free(break_start(&c, at("2024-03-04", 12, 0), &c.alice, 0));
    cl_job_free(break_end(&c, at("2024-03-04", 12, 45), &c.alice));
    cl_job_free(clock_out(&c, at("2024-03-04", 16, 0), &c.alice));
    cl_job_t *job = timesheet(&c, at("2024-03-05", 9, 0), &c.alice, 0, "2024-03-04");
    ASSERT_OK(job->status);
    const Clinic__TimesheetDay *d = day_of(job->resp.timesheet_show->timesheet, "2024-03-04");
    ASSERT_EQ(d->elapsed_seconds, 8 * 3600);
    ASSERT_EQ(d->paid_break_minutes, 15);
    ASSERT_EQ(d->unpaid_break_minutes, 45);
    ASSERT_EQ(d->rule_break_minutes, 0); /* an unpaid break was punched */
    ASSERT_EQ(d->worked_minutes, 8 * 60 - 45);
    cl_job_free(job);
    tc_close(&c);
}

CL_TEST(the_rule_break_is_deducted_from_a_long_shift_without_one)
{
    cl_pay_policy_t p = {CL_PAY_WEEKLY, {2024, 1, 7}, 0, 2400, 360, 30};
    cl_tc_punch_t seven = {1, 0, 7 * 3600, NULL, 0};
    cl_tc_punch_t six = {2, 0, 6 * 3600, NULL, 0};
    int64_t rule;
    ASSERT_EQ(cl_tc_punch_worked(&p, &seven, 0, NULL, NULL, NULL, &rule), 7 * 3600 - 1800);
    ASSERT_EQ(rule, 1800);
    /* Exactly six hours is not longer than six hours: nothing owed. */
    ASSERT_EQ(cl_tc_punch_worked(&p, &six, 0, NULL, NULL, NULL, &rule), 6 * 3600);
    ASSERT_EQ(rule, 0);
    /* A paid break is not the meal break: the rule still applies. */
    cl_tc_break_t paid = {3600, 4500, 1};
    cl_tc_punch_t with_paid = {3, 0, 7 * 3600, &paid, 1};
    ASSERT_EQ(cl_tc_punch_worked(&p, &with_paid, 0, NULL, NULL, NULL, &rule), 7 * 3600 - 1800);
    /* A policy without the rule deducts nothing. */
    p.break_after_minutes = 0;
    ASSERT_EQ(cl_tc_punch_worked(&p, &seven, 0, NULL, NULL, NULL, &rule), 7 * 3600);
}

/* ---- pay periods ---- */

static void assert_period(const cl_pay_policy_t *p, const char *day, const char *first,
                          const char *last)
{
    cl_date_t d, f, l;
    char fs[11], ls[11];
    ASSERT_OK(cl_date_parse(day, &d));
    cl_pay_period_of(p, d, &f, &l);
    cl_date_format(f, fs);
    cl_date_format(l, ls);
    ASSERT_STR_EQ(fs, first);
    ASSERT_STR_EQ(ls, last);
}

CL_TEST(pay_periods_weekly_biweekly_and_semimonthly_at_their_boundaries)
{
    cl_pay_policy_t p = {CL_PAY_WEEKLY, {2024, 1, 7}, 0, 2400, 360, 30};
    assert_period(&p, "2024-01-07", "2024-01-07", "2024-01-13");
    assert_period(&p, "2024-03-09", "2024-03-03", "2024-03-09");
    assert_period(&p, "2024-03-10", "2024-03-10", "2024-03-16");
    assert_period(&p, "2024-01-06", "2023-12-31", "2024-01-06"); /* before the anchor */
    p.period = CL_PAY_BIWEEKLY;
    assert_period(&p, "2024-01-20", "2024-01-07", "2024-01-20");
    assert_period(&p, "2024-01-21", "2024-01-21", "2024-02-03");
    assert_period(&p, "2024-01-06", "2023-12-24", "2024-01-06");
    assert_period(&p, "2023-12-23", "2023-12-10", "2023-12-23");
    p.period = CL_PAY_SEMIMONTHLY;
    assert_period(&p, "2024-02-01", "2024-02-01", "2024-02-15");
    assert_period(&p, "2024-02-15", "2024-02-01", "2024-02-15");
    assert_period(&p, "2024-02-16", "2024-02-16", "2024-02-29"); /* a leap year */
    assert_period(&p, "2025-02-28", "2025-02-16", "2025-02-28");
    assert_period(&p, "2023-12-31", "2023-12-16", "2023-12-31");
    assert_period(&p, "2024-04-30", "2024-04-16", "2024-04-30");
}

/* ---- overtime ---- */

/* `n` punches of `minutes` from 08:00 on consecutive days from `first`. */
static void punches_of(cl_tc_punch_t *out, const char *first, int n, const int *minutes)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse(first, &d));
    for (int i = 0; i < n; i++) {
        int64_t in = cl_local_instant(cl_date_add(d, i), 8 * 60);
        out[i] = (cl_tc_punch_t){i + 1, in, in + minutes[i] * 60, NULL, 0};
    }
}

CL_TEST(overtime_daily_first_then_weekly_on_what_is_left)
{
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    cl_pay_policy_t p = {CL_PAY_WEEKLY, {2024, 1, 7}, 480, 2400, 0, 0};
    /* Sunday to Friday: five days of 10 hours, then 4 hours. */
    const int minutes[6] = {600, 600, 600, 600, 600, 240};
    cl_tc_punch_t punches[6];
    punches_of(punches, "2024-03-03", 6, minutes);
    cl_tc_day_t days[7];
    cl_date_t first = {2024, 3, 3};
    cl_tc_compute(&p, punches, 6, first, 7, 0, days);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(days[i].worked_minutes, 600);
        ASSERT_EQ(days[i].daily_overtime_minutes, 120);
        ASSERT_EQ(days[i].regular_minutes, 480);
        ASSERT_EQ(days[i].weekly_overtime_minutes, 0);
    }
    /* 2400 regular minutes are the week's limit: Friday's four hours are all weekly overtime,
     * and the daily overtime already paid is not counted again. */
    ASSERT_EQ(days[5].regular_minutes, 0);
    ASSERT_EQ(days[5].weekly_overtime_minutes, 240);
    ASSERT_EQ(days[6].worked_minutes, 0);
}

CL_TEST(weekly_overtime_starts_again_each_week)
{
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    cl_pay_policy_t p = {CL_PAY_BIWEEKLY, {2024, 1, 7}, 0, 2400, 0, 0};
    /* Two weeks of five 9-hour days (Monday to Friday). */
    cl_tc_punch_t punches[10];
    const int nine[5] = {540, 540, 540, 540, 540};
    punches_of(punches, "2024-03-04", 5, nine);
    punches_of(punches + 5, "2024-03-11", 5, nine);
    cl_tc_day_t days[14];
    cl_tc_compute(&p, punches, 10, (cl_date_t){2024, 3, 3}, 14, 0, days);
    uint32_t regular = 0, weekly = 0;
    for (int i = 0; i < 14; i++) {
        regular += days[i].regular_minutes;
        weekly += days[i].weekly_overtime_minutes;
    }
    ASSERT_EQ(regular, 2 * 2400);
    ASSERT_EQ(weekly, 2 * 300);
    ASSERT_EQ(days[5].weekly_overtime_minutes, 300);  /* 2024-03-08, the first Friday */
    ASSERT_EQ(days[12].weekly_overtime_minutes, 300); /* 2024-03-15 */
    ASSERT_EQ(days[8].weekly_overtime_minutes, 0);    /* 2024-03-11 starts a new week */
}

/* A semimonthly period starting mid-week still counts the week's earlier days for weekly
 * overtime, without showing them. */
CL_TEST(weekly_overtime_counts_the_week_across_a_semimonthly_boundary)
{
    tc_t c;
    tc_open(&c);
    fx_exec(&c.fx, "UPDATE pay_policy SET period = 'semimonthly', break_after_minutes = 0");
    /* 2024-03-11 (Mon) to 2024-03-15: 40 hours; 2024-03-16 (Sat, next period): 5 hours. */
    for (int d = 11; d <= 16; d++) {
        char date[11];
        snprintf(date, sizeof(date), "2024-03-%02d", d);
        shift(&c, &c.alice, at(date, 8, 0), at(date, d == 16 ? 13 : 16, 0));
    }
    cl_job_t *job = timesheet(&c, at("2024-03-20", 9, 0), &c.alice, 0, "2024-03-16");
    ASSERT_OK(job->status);
    const Clinic__Timesheet *t = job->resp.timesheet_show->timesheet;
    ASSERT_STR_EQ(t->period_first, "2024-03-16");
    ASSERT_STR_EQ(t->period_last, "2024-03-31");
    ASSERT_EQ(t->n_days, 16);
    ASSERT_EQ(t->n_punches, 1);
    ASSERT_EQ(t->worked_minutes, 300);
    ASSERT_EQ(t->overtime_minutes, 300);
    ASSERT_EQ(t->regular_minutes, 0);
    cl_job_free(job);
    tc_close(&c);
}

/* ---- daylight saving time ---- */

/* Bad input: the fall-back night. 22:00 to 06:00 over 2024-11-03 in Chicago is 9 real hours. */
CL_TEST(dst_fall_back_night_counts_nine_real_hours)
{
    tc_t c;
    tc_open(&c);
    shift(&c, &c.alice, at("2024-11-02", 22, 0), at("2024-11-03", 6, 0));
    cl_job_t *job = timesheet(&c, at("2024-11-04", 9, 0), &c.alice, 0, "2024-11-02");
    ASSERT_OK(job->status);
    const Clinic__Timesheet *t = job->resp.timesheet_show->timesheet;
    const Clinic__TimesheetDay *d = day_of(t, "2024-11-02");
    ASSERT_EQ(d->elapsed_seconds, 9 * 3600);
    ASSERT_EQ(d->rule_break_minutes, 30);
    ASSERT_EQ(d->worked_minutes, 9 * 60 - 30);
    ASSERT_EQ(t->n_punches, 1); /* counted whole on the day it began */
    ASSERT_EQ(t->worked_minutes, 9 * 60 - 30);
    cl_job_free(job);
    tc_close(&c);
}

/* Bad input: the spring-forward night. 22:00 to 06:00 over 2024-03-10 is 7 real hours. */
CL_TEST(dst_spring_forward_night_counts_seven_real_hours)
{
    tc_t c;
    tc_open(&c);
    shift(&c, &c.alice, at("2024-03-09", 22, 0), at("2024-03-10", 6, 0));
    cl_job_t *job = timesheet(&c, at("2024-03-11", 9, 0), &c.alice, 0, "2024-03-09");
    ASSERT_OK(job->status);
    const Clinic__TimesheetDay *d = day_of(job->resp.timesheet_show->timesheet, "2024-03-09");
    ASSERT_EQ(d->elapsed_seconds, 7 * 3600);
    ASSERT_EQ(d->worked_minutes, 7 * 60 - 30);
    cl_job_free(job);
    tc_close(&c);
}

/* ---- who reads whose ---- */

CL_TEST(staff_see_their_own_timesheet_supervisors_their_reports_managers_all)
{
    tc_t c;
    tc_open(&c);
    shift(&c, &c.alice, at("2024-03-04", 8, 0), at("2024-03-04", 12, 0));
    int64_t now = at("2024-03-05", 9, 0);

    cl_job_t *job = timesheet(&c, now, &c.bob, c.alice_staff, "2024-03-04");
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    ASSERT_NULL(job->resp.timesheet_show);
    cl_job_free(job);

    job = timesheet(&c, now, &c.alice, 0, "2024-03-04");
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.timesheet_show->timesheet->staff_id, c.alice_staff);
    ASSERT_EQ(job->resp.timesheet_show->timesheet->worked_minutes, 240);
    fx_assert_last_audit(&c.fx, "alice", "timesheet.show", "timesheet", c.alice_staff);
    cl_job_free(job);

    job = timesheet(&c, now, &c.sup, c.alice_staff, "2024-03-04");
    ASSERT_OK(job->status);
    fx_assert_last_audit(&c.fx, "sup", "timesheet.show", "timesheet", c.alice_staff);
    cl_job_free(job);

    FX_ASSERT_OK_FREE(timesheet(&c, now, &c.manager, c.alice_staff, "2024-03-04"));

    job = timesheet(&c, now, &c.manager, 999999, "");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "staff_id");
    cl_job_free(job);
    tc_close(&c);
}

CL_TEST(clock_status_and_punch_list_of_another_are_refused_and_reads_audited)
{
    tc_t c;
    tc_open(&c);
    cl_job_free(clock_in(&c, at("2024-03-04", 8, 0), &c.alice));
    Clinic__ClockStatusRequest s = CLINIC__CLOCK_STATUS_REQUEST__INIT;
    s.staff_id = (uint64_t)c.alice_staff;
    cl_job_t *job =
        run_at(&c, at("2024-03-04", 10, 0), &c.bob, CLINIC__REQUEST__BODY_CLOCK_STATUS, &s);
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    cl_job_free(job);
    job = run_at(&c, at("2024-03-04", 10, 0), &c.sup, CLINIC__REQUEST__BODY_CLOCK_STATUS, &s);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.clock_status->clocked_in, 1);
    ASSERT_EQ(job->resp.clock_status->today_minutes, 120);
    fx_assert_last_audit(&c.fx, "sup", "clock.status", "timesheet", c.alice_staff);
    cl_job_free(job);

    Clinic__PunchListRequest l = CLINIC__PUNCH_LIST_REQUEST__INIT;
    l.staff_id = (uint64_t)c.alice_staff;
    l.from = "2024-03-01";
    l.to = "2024-03-31";
    job = run_at(&c, at("2024-03-04", 10, 0), &c.bob, CLINIC__REQUEST__BODY_PUNCH_LIST, &l);
    FX_ASSERT_FAILED(job, CL_EPERM, "staff_id");
    cl_job_free(job);
    job = run_at(&c, at("2024-03-04", 10, 0), &c.manager, CLINIC__REQUEST__BODY_PUNCH_LIST, &l);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.punch_list->n_punches, 1);
    fx_assert_last_audit(&c.fx, "manager", "punch.list", "timesheet", c.alice_staff);
    cl_job_free(job);
    tc_close(&c);
}

/* ---- corrections ---- */

CL_TEST(a_correction_is_a_request_and_its_approval_keeps_the_original_in_history)
{
    tc_t c;
    tc_open(&c);
    uint64_t id = shift(&c, &c.alice, at("2024-03-04", 8, 40), at("2024-03-04", 17, 0));
    cl_job_t *job = correction(&c, at("2024-03-05", 9, 0), &c.alice, id, at("2024-03-04", 8, 0),
                               at("2024-03-04", 17, 0), "");
    ASSERT_OK(job->status);
    uint64_t request = job->resp.punch_correction_file->request_id;
    ASSERT_GT(request, 0);
    cl_job_free(job);
    /* Filed, not applied: the punch is as punched. */
    ASSERT_EQ(punch_int(&c, "in_at", id), at("2024-03-04", 8, 40));
    ASSERT_EQ(punch_int(&c, "version", id), 1);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM punch_history", NULL), 0);

    approve(&c, at("2024-03-05", 10, 0), request);
    ASSERT_EQ(punch_int(&c, "in_at", id), at("2024-03-04", 8, 0));
    ASSERT_EQ(punch_int(&c, "version", id), 2);
    ASSERT_EQ(punch_int(&c, "request_id", id), request);
    /* The corrected end was not punched from the workstation: its record moved to history. */
    ASSERT_EQ(
        fx_intf(&c.fx,
                "SELECT count(*) FROM punch_history WHERE punch_id = %llu AND version = 1 AND "
                "in_at = %lld AND in_workstation = 'ws-test' AND replaced_by_request = %llu",
                (unsigned long long)id, (long long)at("2024-03-04", 8, 40),
                (unsigned long long)request),
        1);
    ASSERT_EQ(fx_int(&c.fx,
                     "SELECT count(*) FROM audit WHERE action = 'punch.correct' AND "
                     "entity = 'punch'",
                     NULL),
              1);

    /* The punch list with history shows both versions. */
    Clinic__PunchListRequest l = CLINIC__PUNCH_LIST_REQUEST__INIT;
    l.from = "2024-03-04";
    l.to = "2024-03-04";
    l.history = 1;
    job = run_at(&c, at("2024-03-05", 11, 0), &c.alice, CLINIC__REQUEST__BODY_PUNCH_LIST, &l);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.punch_list->n_punches, 1);
    const Clinic__Punch *p = job->resp.punch_list->punches[0];
    ASSERT_EQ(p->version, 2);
    ASSERT_STR_EQ(p->in_workstation, "");
    ASSERT_STR_EQ(p->out_workstation, "ws-test");
    ASSERT_EQ(p->n_history, 1);
    ASSERT_EQ(p->history[0]->in_at, at("2024-03-04", 8, 40));
    ASSERT_STR_EQ(p->history[0]->replaced_by, "manager");
    cl_job_free(job);
    tc_close(&c);
}

/* A correction of the out time alone (in_at 0) keeps the punch's in time, at filing and on
 * approval; a missing punch still needs its in time, and an out-only correction that changes
 * nothing is refused. */
CL_TEST(a_correction_of_the_out_time_alone_keeps_the_in_time)
{
    tc_t c;
    tc_open(&c);
    uint64_t id = shift(&c, &c.alice, at("2024-03-04", 8, 40), at("2024-03-04", 17, 0));
    cl_job_t *job =
        correction(&c, at("2024-03-05", 9, 0), &c.alice, id, 0, at("2024-03-04", 17, 30), "");
    ASSERT_OK(job->status);
    uint64_t request = job->resp.punch_correction_file->request_id;
    cl_job_free(job);
    ASSERT_EQ(fx_intf(&c.fx, "SELECT starts_at FROM requests WHERE id = %llu",
                      (unsigned long long)request),
              at("2024-03-04", 8, 40));
    approve(&c, at("2024-03-05", 10, 0), request);
    ASSERT_EQ(punch_int(&c, "in_at", id), at("2024-03-04", 8, 40));
    ASSERT_EQ(punch_int(&c, "out_at", id), at("2024-03-04", 17, 30));
    ASSERT_EQ(punch_int(&c, "version", id), 2);

    job = correction(&c, at("2024-03-05", 11, 0), &c.alice, id, 0, at("2024-03-04", 17, 30), "");
    ASSERT_EQ(job->status, CL_EINVAL);
    ASSERT_EQ(job->resp.status->n_fields, 1);
    ASSERT_STR_CONTAINS(job->resp.status->fields[0]->message, "changes nothing");
    cl_job_free(job);
    job = correction(&c, at("2024-03-05", 11, 0), &c.alice, 0, 0, at("2024-03-04", 17, 30), "");
    ASSERT_EQ(job->status, CL_EINVAL);
    ASSERT_EQ(job->resp.status->n_fields, 1);
    ASSERT_STR_EQ(job->resp.status->fields[0]->field, "in_at"); /* required for a missing one */
    cl_job_free(job);
    job = correction(&c, at("2024-03-05", 11, 0), &c.alice, id + 100, 0, at("2024-03-04", 17, 30),
                     "");
    ASSERT_EQ(job->status, CL_ENOTFOUND);
    cl_job_free(job);
    tc_close(&c);
}

CL_TEST(a_missing_punch_and_a_forgotten_break_are_added_on_approval)
{
    tc_t c;
    tc_open(&c);
    int64_t now = at("2024-03-06", 9, 0);
    cl_job_t *job =
        correction(&c, now, &c.alice, 0, at("2024-03-04", 8, 0), at("2024-03-04", 16, 0), "in_out");
    ASSERT_OK(job->status);
    ASSERT_NULL(job->resp.punch_correction_file->punch);
    uint64_t request = job->resp.punch_correction_file->request_id;
    cl_job_free(job);
    ASSERT_EQ(fx_int(&c.fx, "SELECT count(*) FROM punches", NULL), 0);
    approve(&c, now + 60, request);
    uint64_t id = (uint64_t)fx_int(&c.fx, "SELECT id FROM punches", NULL);
    ASSERT_EQ(punch_int(&c, "request_id", id), request);
    ASSERT_EQ(punch_int(&c, "staff_id", id), c.alice_staff);

    job = correction(&c, now + 120, &c.alice, id, at("2024-03-04", 12, 0), at("2024-03-04", 12, 30),
                     "break");
    ASSERT_OK(job->status);
    request = job->resp.punch_correction_file->request_id;
    cl_job_free(job);
    approve(&c, now + 180, request);
    job = timesheet(&c, now + 240, &c.alice, 0, "2024-03-04");
    ASSERT_OK(job->status);
    const Clinic__TimesheetDay *d = day_of(job->resp.timesheet_show->timesheet, "2024-03-04");
    ASSERT_EQ(d->unpaid_break_minutes, 30);
    ASSERT_EQ(d->rule_break_minutes, 0);
    ASSERT_EQ(d->worked_minutes, 450);
    cl_job_free(job);
    ASSERT_EQ(punch_int(&c, "version", id), 2);
    tc_close(&c);
}

/* Bad input: editing another's punch, even as a manager. */
CL_TEST(nobody_files_a_correction_of_another_staff_members_punch)
{
    tc_t c;
    tc_open(&c);
    uint64_t id = shift(&c, &c.alice, at("2024-03-04", 8, 0), at("2024-03-04", 16, 0));
    cl_job_t *job = correction(&c, at("2024-03-05", 9, 0), &c.manager, id, at("2024-03-04", 7, 0),
                               at("2024-03-04", 16, 0), "");
    FX_ASSERT_FAILED(job, CL_EPERM, "punch_id");
    cl_job_free(job);
    job = correction(&c, at("2024-03-05", 9, 0), &c.bob, id, at("2024-03-04", 7, 0),
                     at("2024-03-04", 16, 0), "");
    FX_ASSERT_FAILED(job, CL_EPERM, "punch_id");
    cl_job_free(job);
    ASSERT_EQ(punch_int(&c, "in_at", id), at("2024-03-04", 8, 0));
    tc_close(&c);
}

/* Bad input: a correction overlapping another punch, in the future, without a reason, or
 * changing nothing. */
CL_TEST(corrections_are_checked_before_they_are_filed)
{
    tc_t c;
    tc_open(&c);
    uint64_t first = shift(&c, &c.alice, at("2024-03-04", 8, 0), at("2024-03-04", 12, 0));
    uint64_t second = shift(&c, &c.alice, at("2024-03-04", 13, 0), at("2024-03-04", 17, 0));
    int64_t now = at("2024-03-05", 9, 0);
    cl_job_t *job =
        correction(&c, now, &c.alice, first, at("2024-03-04", 8, 0), at("2024-03-04", 13, 30), "");
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "in_at");
    char want[64];
    snprintf(want, sizeof(want), "overlaps punch %llu", (unsigned long long)second);
    ASSERT_STR_CONTAINS(fx_message(job), want);
    cl_job_free(job);

    job = correction(&c, now, &c.alice, first, at("2024-03-04", 8, 0), now + 3600, "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "out_at");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, first, at("2024-03-04", 8, 0), at("2024-03-04", 12, 0), "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "in_at");
    ASSERT_STR_CONTAINS(fx_message(job), "changes nothing");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, first, at("2024-03-04", 8, 0), at("2024-03-04", 7, 0), "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "out_at");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, 0, at("2024-03-03", 8, 0), 0, "");
    FX_ASSERT_FAILED(job, CL_EINVAL, "out_at");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, 424242, at("2024-03-03", 8, 0), at("2024-03-03", 9, 0), "");
    FX_ASSERT_FAILED(job, CL_ENOTFOUND, "punch_id");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, first, at("2024-03-04", 11, 0), at("2024-03-04", 12, 30),
                     "break");
    FX_ASSERT_FAILED(job, CL_EINVAL, "in_at");
    cl_job_free(job);
    job = correction(&c, now, &c.alice, first, at("2024-03-04", 7, 0), at("2024-03-04", 12, 0),
                     "lunch");
    FX_ASSERT_FAILED(job, CL_EINVAL, "kind");
    cl_job_free(job);

    Clinic__PunchCorrectionFileRequest m = CLINIC__PUNCH_CORRECTION_FILE_REQUEST__INIT;
    m.punch_id = first;
    m.in_at = at("2024-03-04", 7, 0);
    m.out_at = at("2024-03-04", 12, 0);
    job = run_at(&c, now, &c.alice, CLINIC__REQUEST__BODY_PUNCH_CORRECTION_FILE, &m);
    FX_ASSERT_FAILED(job, CL_EINVAL, "reason");
    cl_job_free(job);
    tc_close(&c);
}

/* ---- the pay policy ---- */

static cl_job_t *policy_set(tc_t *c, const cl_identity_t *who, Clinic__PayPolicy *p)
{
    Clinic__PayPolicySetRequest m = CLINIC__PAY_POLICY_SET_REQUEST__INIT;
    m.policy = p;
    return run_at(c, at("2024-03-04", 9, 0), who, CLINIC__REQUEST__BODY_PAY_POLICY_SET, &m);
}

/* Bad input: a stale version, an unknown period, out-of-range minutes. */
CL_TEST(pay_policy_defaults_set_with_a_version_and_stale_is_a_conflict)
{
    tc_t c;
    tc_open(&c);
    Clinic__PayPolicyGetRequest g = CLINIC__PAY_POLICY_GET_REQUEST__INIT;
    cl_job_t *job =
        run_at(&c, at("2024-03-05", 9, 0), &c.bob, CLINIC__REQUEST__BODY_PAY_POLICY_GET, &g);
    ASSERT_OK(job->status);
    const Clinic__PayPolicy *d = job->resp.pay_policy_get->policy;
    ASSERT_STR_EQ(d->period, "weekly");
    ASSERT_STR_EQ(d->anchor, "2024-01-07");
    ASSERT_EQ(d->weekly_overtime_minutes, 2400);
    ASSERT_EQ(d->daily_overtime_minutes, 0);
    ASSERT_EQ(d->break_after_minutes, 360);
    ASSERT_EQ(d->break_minutes, 30);
    ASSERT_EQ(d->version, 1);
    ASSERT_STR_EQ(job->resp.pay_policy_get->period_first, "2024-03-03");
    ASSERT_STR_EQ(job->resp.pay_policy_get->period_last, "2024-03-09");
    cl_job_free(job);

    Clinic__PayPolicy p = CLINIC__PAY_POLICY__INIT;
    p.period = "biweekly";
    p.anchor = "2024-01-07";
    p.daily_overtime_minutes = 480;
    p.weekly_overtime_minutes = 2400;
    p.break_after_minutes = 300;
    p.break_minutes = 30;
    p.version = 1;
    job = policy_set(&c, &c.manager, &p);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.pay_policy_set->policy->version, 2);
    ASSERT_STR_EQ(job->resp.pay_policy_set->policy->updated_by, "manager");
    fx_assert_last_audit(&c.fx, "manager", "paypolicy.set", "pay_policy", 1);
    ASSERT_EQ(fx_job_changes(job), 1);
    cl_job_free(job);

    job = policy_set(&c, &c.manager, &p); /* version 1 again */
    FX_ASSERT_FAILED(job, CL_ECONFLICT, "policy.version");
    ASSERT_EQ(job->resp.pay_policy_set->policy->version, 2);
    ASSERT_STR_EQ(job->resp.pay_policy_set->policy->period, "biweekly");
    cl_job_free(job);

    p.version = 2;
    p.period = "monthly";
    job = policy_set(&c, &c.manager, &p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "policy.period");
    cl_job_free(job);
    p.period = "weekly";
    p.daily_overtime_minutes = 5000;
    job = policy_set(&c, &c.manager, &p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "policy.daily_overtime_minutes");
    cl_job_free(job);
    p.daily_overtime_minutes = 0;
    p.anchor = "2024-02-30";
    job = policy_set(&c, &c.manager, &p);
    FX_ASSERT_FAILED(job, CL_EINVAL, "policy.anchor");
    cl_job_free(job);
    ASSERT_EQ(fx_int(&c.fx, "SELECT version FROM pay_policy", NULL), 2);
    tc_close(&c);
}

/* ---- export ---- */

CL_TEST(csv_fields_are_quoted_and_formulas_defused)
{
    cl_arena_t a = {0};
    cl_tc_text_t t = {&a, NULL, 0, 0};
    cl_tc_csv_field(&t, "plain");
    cl_tc_text_add(&t, ",", 1);
    cl_tc_csv_field(&t, "Smith, \"Al\"");
    cl_tc_text_add(&t, ",", 1);
    cl_tc_csv_field(&t, "=SUM(A1)");
    cl_tc_text_add(&t, ",", 1);
    cl_tc_csv_field(&t, "two\nlines");
    ASSERT_STR_EQ(t.buf, "plain,\"Smith, \"\"Al\"\"\",\"'=SUM(A1)\",\"two\nlines\"");
    cl_arena_free(&a);
}

CL_TEST(export_gives_a_header_and_one_line_per_staff_member_or_day)
{
    tc_t c;
    tc_open(&c);
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE staff SET full_name = 'Smith, \"Al\"' WHERE id = %lld",
             (long long)c.alice_staff);
    fx_exec(&c.fx, sql);
    shift(&c, &c.alice, at("2024-03-04", 8, 0), at("2024-03-04", 12, 0));
    shift(&c, &c.alice, at("2024-03-05", 8, 0), at("2024-03-05", 12, 30));
    shift(&c, &c.bob, at("2024-03-05", 9, 0), at("2024-03-05", 11, 0));
    shift(&c, &c.bob, at("2024-02-26", 9, 0), at("2024-02-26", 11, 0)); /* the period before */

    Clinic__TimesheetExportRequest e = CLINIC__TIMESHEET_EXPORT_REQUEST__INIT;
    e.date = "2024-03-06";
    int64_t audits = fx_audit_rows(&c.fx);
    cl_job_t *job =
        run_at(&c, at("2024-03-10", 9, 0), &c.manager, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &e);
    ASSERT_OK(job->status);
    const Clinic__TimesheetExportReply *r = job->resp.timesheet_export;
    ASSERT_STR_EQ(r->period_first, "2024-03-03");
    ASSERT_STR_EQ(r->period_last, "2024-03-09");
    ASSERT_EQ(r->rows, 2);
    const char *header = "staff_id,staff_name,period_first,period_last,worked_minutes,"
                         "regular_minutes,overtime_minutes,daily_overtime_minutes,"
                         "weekly_overtime_minutes,unpaid_break_minutes,rule_break_minutes,"
                         "regular_hours,overtime_hours,open_punches\r\n";
    ASSERT_EQ(strncmp(r->csv, header, strlen(header)), 0);
    char line[256];
    snprintf(line, sizeof(line),
             "%lld,\"Smith, \"\"Al\"\"\",2024-03-03,2024-03-09,510,510,0,0,0,0,0,8.50,0.00,0\r\n",
             (long long)c.alice_staff);
    ASSERT_STR_CONTAINS(r->csv, line);
    snprintf(line, sizeof(line), "%lld,bob,2024-03-03,2024-03-09,120,", (long long)c.bob_staff);
    ASSERT_STR_CONTAINS(r->csv, line);
    ASSERT_EQ(fx_audit_rows(&c.fx), audits + 2); /* one per staff member exported */
    fx_assert_last_audit(&c.fx, "manager", "timesheet.export", "timesheet", c.bob_staff);
    cl_job_free(job);

    e.per_day = 1;
    job =
        run_at(&c, at("2024-03-10", 9, 0), &c.manager, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &e);
    ASSERT_OK(job->status);
    ASSERT_EQ(job->resp.timesheet_export->rows, 3);
    snprintf(line, sizeof(line), "%lld,\"Smith, \"\"Al\"\"\",2024-03-05,270,270,",
             (long long)c.alice_staff);
    ASSERT_STR_CONTAINS(job->resp.timesheet_export->csv, line);
    cl_job_free(job);

    e.per_day = 0;
    e.previous = 1;
    job =
        run_at(&c, at("2024-03-10", 9, 0), &c.manager, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &e);
    ASSERT_OK(job->status);
    ASSERT_STR_EQ(job->resp.timesheet_export->period_first, "2024-02-25");
    ASSERT_EQ(job->resp.timesheet_export->rows, 1);
    cl_job_free(job);
    tc_close(&c);
}

/* ---- query plans ---- */

static void assert_plan_uses(tc_t *c, const char *sql, const char *index)
{
    char explain[2048];
    snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = fx_prepare(&c->fx, explain);
    int found = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        if (strstr(detail, "SEARCH p USING INDEX") && strstr(detail, index))
            found = 1;
    }
    sqlite3_finalize(st);
    if (!found)
        CL_FAIL("the plan of %s does not use %s", sql, index);
}

CL_TEST(the_hot_queries_use_their_indexes)
{
    tc_t c;
    tc_open(&c);
    assert_plan_uses(&c, cl_tc_punches_sql(), "punches_staff");
    assert_plan_uses(&c, cl_tc_open_punch_sql(), "punches_one_open");
    tc_close(&c);
}

CL_TEST_MAIN(
    CL_TEST_ENTRY(clock_out_without_clock_in_fails),
    CL_TEST_ENTRY(double_clock_in_names_when_the_open_punch_began),
    CL_TEST_ENTRY(clock_in_records_the_workstation_the_audit_row_and_the_changes),
    CL_TEST_ENTRY(one_open_punch_is_enforced_by_the_schema),
    CL_TEST_ENTRY(breaks_need_an_open_punch_and_one_at_a_time),
    CL_TEST_ENTRY(clock_out_during_a_break_ends_the_break),
    CL_TEST_ENTRY(unpaid_breaks_are_deducted_and_paid_ones_are_not),
    CL_TEST_ENTRY(the_rule_break_is_deducted_from_a_long_shift_without_one),
    CL_TEST_ENTRY(pay_periods_weekly_biweekly_and_semimonthly_at_their_boundaries),
    CL_TEST_ENTRY(overtime_daily_first_then_weekly_on_what_is_left),
    CL_TEST_ENTRY(weekly_overtime_starts_again_each_week),
    CL_TEST_ENTRY(weekly_overtime_counts_the_week_across_a_semimonthly_boundary),
    CL_TEST_ENTRY(dst_fall_back_night_counts_nine_real_hours),
    CL_TEST_ENTRY(dst_spring_forward_night_counts_seven_real_hours),
    CL_TEST_ENTRY(staff_see_their_own_timesheet_supervisors_their_reports_managers_all),
    CL_TEST_ENTRY(clock_status_and_punch_list_of_another_are_refused_and_reads_audited),
    CL_TEST_ENTRY(a_correction_is_a_request_and_its_approval_keeps_the_original_in_history),
    CL_TEST_ENTRY(a_correction_of_the_out_time_alone_keeps_the_in_time),
    CL_TEST_ENTRY(a_missing_punch_and_a_forgotten_break_are_added_on_approval),
    CL_TEST_ENTRY(nobody_files_a_correction_of_another_staff_members_punch),
    CL_TEST_ENTRY(corrections_are_checked_before_they_are_filed),
    CL_TEST_ENTRY(pay_policy_defaults_set_with_a_version_and_stale_is_a_conflict),
    CL_TEST_ENTRY(csv_fields_are_quoted_and_formulas_defused),
    CL_TEST_ENTRY(export_gives_a_header_and_one_line_per_staff_member_or_day),
    CL_TEST_ENTRY(the_hot_queries_use_their_indexes))
