/* Timesheets: pay periods (weekly, biweekly from the anchor, semimonthly 1st-15th and 16th-end),
 * the arithmetic of a period's days (real elapsed seconds, unpaid breaks and the policy's break
 * deducted, daily overtime first and weekly overtime on the regular minutes left), one staff
 * member's timesheet, and payroll's CSV export of a period. SQL: timeclock_db.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "domain_int.h"
#include "handlers.h"
#include "status.h"
#include "timeclock_int.h"

enum {
    STAFF_NAME_MAX = 128,
};

/* ---- pay periods ---- */

static const char *const PERIOD_NAMES[] = {
    [CL_PAY_WEEKLY] = "weekly",
    [CL_PAY_BIWEEKLY] = "biweekly",
    [CL_PAY_SEMIMONTHLY] = "semimonthly",
};

const char *cl_pay_period_name(cl_pay_period_kind_t k)
{
    return k >= CL_PAY_WEEKLY && k <= CL_PAY_SEMIMONTHLY ? PERIOD_NAMES[k] : "unknown";
}

cl_pay_period_kind_t cl_pay_period_find(const char *name)
{
    for (int k = CL_PAY_WEEKLY; k <= CL_PAY_SEMIMONTHLY; k++)
        if (strcmp(PERIOD_NAMES[k], name) == 0)
            return (cl_pay_period_kind_t)k;
    return (cl_pay_period_kind_t)0;
}

void cl_pay_period_of(const cl_pay_policy_t *p, cl_date_t day, cl_date_t *first, cl_date_t *last)
{
    if (p->period == CL_PAY_SEMIMONTHLY) {
        if (day.day <= 15) {
            *first = (cl_date_t){day.year, day.month, 1};
            *last = (cl_date_t){day.year, day.month, 15};
        } else {
            cl_date_t next = day.month == 12 ? (cl_date_t){day.year + 1, 1, 1}
                                             : (cl_date_t){day.year, day.month + 1, 1};
            *first = (cl_date_t){day.year, day.month, 16};
            *last = cl_date_add(next, -1);
        }
        return;
    }
    int64_t len = p->period == CL_PAY_BIWEEKLY ? 14 : 7;
    int64_t diff = cl_date_diff(p->anchor, day);
    /* Periods before the anchor count back from it: floor division. */
    int64_t k = diff >= 0 ? diff / len : -((-diff + len - 1) / len);
    *first = cl_date_add(p->anchor, (int)(k * len));
    *last = cl_date_add(*first, (int)len - 1);
}

cl_date_t cl_pay_week_start(const cl_pay_policy_t *p, cl_date_t day)
{
    int offset = (cl_date_weekday(day) - cl_date_weekday(p->anchor) + 7) % 7;
    return cl_date_add(day, -offset);
}

/* ---- the arithmetic ---- */

int64_t cl_tc_punch_worked(const cl_pay_policy_t *p, const cl_tc_punch_t *punch, int64_t now,
                           int64_t *elapsed_out, int64_t *unpaid_out, int64_t *paid_out,
                           int64_t *rule_out)
{
    int64_t end = punch->out_at ? punch->out_at : now;
    if (end < punch->in_at)
        end = punch->in_at;
    int64_t elapsed = end - punch->in_at, unpaid = 0, paid = 0, rule = 0;
    int unpaid_punched = 0;
    for (size_t i = 0; i < punch->n_breaks; i++) {
        const cl_tc_break_t *b = &punch->breaks[i];
        int64_t s = b->start_at > punch->in_at ? b->start_at : punch->in_at;
        int64_t e = b->end_at ? b->end_at : end;
        if (e > end)
            e = end;
        if (e <= s)
            continue;
        if (b->paid) {
            paid += e - s;
        } else {
            unpaid += e - s;
            unpaid_punched = 1;
        }
    }
    if (unpaid > elapsed)
        unpaid = elapsed;
    /* The policy's break is owed by a long shift with no unpaid break punched; a short unpaid
     * break punched is what is deducted (the rule does not top it up). */
    if (!unpaid_punched && p->break_after_minutes > 0 && p->break_minutes > 0 &&
        elapsed > (int64_t)p->break_after_minutes * 60) {
        rule = (int64_t)p->break_minutes * 60;
        if (rule > elapsed)
            rule = elapsed;
    }
    if (elapsed_out)
        *elapsed_out = elapsed;
    if (unpaid_out)
        *unpaid_out = unpaid;
    if (paid_out)
        *paid_out = paid;
    if (rule_out)
        *rule_out = rule;
    return elapsed - unpaid - rule;
}

void cl_tc_compute(const cl_pay_policy_t *p, const cl_tc_punch_t *punches, size_t n,
                   cl_date_t first, size_t n_days, int64_t now, cl_tc_day_t *days)
{
    memset(days, 0, n_days * sizeof(*days));
    for (size_t i = 0; i < n_days; i++)
        days[i].date = cl_date_add(first, (int)i);
    for (size_t i = 0; i < n; i++) {
        int64_t idx = cl_date_diff(first, cl_date_of(punches[i].in_at));
        if (idx < 0 || (size_t)idx >= n_days)
            continue;
        cl_tc_day_t *d = &days[idx];
        int64_t elapsed, unpaid, paid, rule;
        d->worked_s += cl_tc_punch_worked(p, &punches[i], now, &elapsed, &unpaid, &paid, &rule);
        d->elapsed_s += elapsed;
        d->unpaid_break_s += unpaid;
        d->paid_break_s += paid;
        d->rule_break_s += rule;
        d->punches++;
        if (punches[i].out_at == 0)
            d->open = 1;
    }

    uint32_t daily = p->daily_overtime_minutes > 0 ? (uint32_t)p->daily_overtime_minutes : 0;
    uint32_t weekly = p->weekly_overtime_minutes > 0 ? (uint32_t)p->weekly_overtime_minutes : 0;
    uint32_t week_regular = 0;
    for (size_t i = 0; i < n_days; i++) {
        cl_tc_day_t *d = &days[i];
        if (i == 0 || cl_date_cmp(cl_pay_week_start(p, d->date), d->date) == 0)
            week_regular = 0;
        d->worked_minutes = (uint32_t)((d->worked_s + 30) / 60);
        /* A minute is overtime once: by the daily rule first, then the weekly rule counts only
         * the regular minutes that are left. */
        d->daily_overtime_minutes =
            daily && d->worked_minutes > daily ? d->worked_minutes - daily : 0;
        d->regular_minutes = d->worked_minutes - d->daily_overtime_minutes;
        uint32_t before = week_regular;
        week_regular += d->regular_minutes;
        if (weekly && week_regular > weekly) {
            uint32_t over = week_regular - (before > weekly ? before : weekly);
            d->weekly_overtime_minutes = over;
            d->regular_minutes -= over;
        }
    }
}

/* ---- CSV ---- */

void cl_tc_text_add(cl_tc_text_t *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = cl_arena_alloc(t->a, cap);
        if (t->len)
            memcpy(grown, t->buf, t->len);
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

void cl_tc_csv_field(cl_tc_text_t *t, const char *s)
{
    size_t n = strlen(s);
    int formula = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
    if (strpbrk(s, ",\"\r\n") == NULL && !formula) {
        cl_tc_text_add(t, s, n);
        return;
    }
    cl_tc_text_add(t, "\"", 1);
    if (formula)
        cl_tc_text_add(t, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            cl_tc_text_add(t, "\"\"", 2);
        else
            cl_tc_text_add(t, p, 1);
    }
    cl_tc_text_add(t, "\"", 1);
}

/* ---- timesheets ---- */

/* The pay period a request names: the one holding `date` ("" today), or the one before. */
static int request_period(cl_tx_t *tx, const cl_pay_policy_t *p, const char *date, int previous,
                          cl_date_t *first, cl_date_t *last)
{
    cl_date_t d;
    if (date[0] == '\0')
        d = cl_date_of(tx->now);
    else if (cl_date_parse(date, &d) != 0)
        return cl_job_fail(tx->job, CL_EINVAL, "date", "date must be a real date, YYYY-MM-DD");
    cl_pay_period_of(p, d, first, last);
    if (previous)
        cl_pay_period_of(p, cl_date_add(*first, -1), first, last);
    return 0;
}

/* One staff member's figures for a period: the days from the week holding the period's first
 * day (so that weekly overtime sees the whole week), and the punches read. */
typedef struct {
    cl_date_t week_start, first, last;
    cl_tc_day_t *days;   /* in the arena; n_days from week_start */
    size_t n_days, skip; /* days[skip..] are the period's */
    Clinic__Punch **punches;
    size_t n_punches;
} sheet_t;

static int sheet_compute(cl_tx_t *tx, const cl_pay_policy_t *p, int64_t staff_id, cl_date_t first,
                         cl_date_t last, sheet_t *s)
{
    cl_arena_t *a = &tx->job->arena;
    int rc;
    s->first = first;
    s->last = last;
    s->week_start = cl_pay_week_start(p, first);
    s->skip = (size_t)cl_date_diff(s->week_start, first);
    s->n_days = (size_t)cl_date_diff(s->week_start, last) + 1;
    int64_t from = cl_local_instant(s->week_start, 0);
    int64_t to = cl_local_instant(cl_date_add(last, 1), 0);
    if ((rc = cl_tc_db_punches(tx, staff_id, from, to, 0, &s->punches, &s->n_punches)) < 0)
        return rc;

    cl_tc_punch_t *in = cl_arena_alloc(a, (s->n_punches + 1) * sizeof(*in));
    for (size_t i = 0; i < s->n_punches; i++) {
        const Clinic__Punch *m = s->punches[i];
        cl_tc_break_t *b = cl_arena_alloc(a, (m->n_breaks + 1) * sizeof(*b));
        for (size_t k = 0; k < m->n_breaks; k++) {
            b[k].start_at = m->breaks[k]->start_at;
            b[k].end_at = m->breaks[k]->end_at;
            b[k].paid = m->breaks[k]->paid;
        }
        in[i] = (cl_tc_punch_t){(int64_t)m->id, m->in_at, m->out_at, b, m->n_breaks};
    }
    s->days = cl_arena_alloc(a, s->n_days * sizeof(*s->days));
    cl_tc_compute(p, in, s->n_punches, s->week_start, s->n_days, tx->now, s->days);
    return 0;
}

static char *date_text(cl_arena_t *a, cl_date_t d)
{
    char buf[11];
    cl_date_format(d, buf);
    return cl_arena_strdup(a, buf);
}

static uint32_t minutes_of(int64_t seconds)
{
    return (uint32_t)((seconds + 30) / 60);
}

/* The Timesheet message of a computed sheet. */
static Clinic__Timesheet *sheet_message(cl_arena_t *a, const cl_pay_policy_t *p, int64_t staff_id,
                                        const char *name, const sheet_t *s)
{
    Clinic__Timesheet *t = CL_ARENA_NEW(a, Clinic__Timesheet);
    clinic__timesheet__init(t);
    t->staff_id = (uint64_t)staff_id;
    t->staff_name = cl_arena_strdup(a, name);
    t->period_first = date_text(a, s->first);
    t->period_last = date_text(a, s->last);
    t->period = (char *)cl_pay_period_name(p->period);
    t->n_days = s->n_days - s->skip;
    t->days = cl_arena_alloc(a, (t->n_days + 1) * sizeof(*t->days));
    for (size_t i = 0; i < t->n_days; i++) {
        const cl_tc_day_t *d = &s->days[s->skip + i];
        Clinic__TimesheetDay *m = CL_ARENA_NEW(a, Clinic__TimesheetDay);
        clinic__timesheet_day__init(m);
        m->date = date_text(a, d->date);
        m->punches = d->punches;
        m->elapsed_seconds = d->elapsed_s;
        m->unpaid_break_minutes = minutes_of(d->unpaid_break_s);
        m->paid_break_minutes = minutes_of(d->paid_break_s);
        m->rule_break_minutes = minutes_of(d->rule_break_s);
        m->worked_minutes = d->worked_minutes;
        m->regular_minutes = d->regular_minutes;
        m->daily_overtime_minutes = d->daily_overtime_minutes;
        m->weekly_overtime_minutes = d->weekly_overtime_minutes;
        m->overtime_minutes = d->daily_overtime_minutes + d->weekly_overtime_minutes;
        m->open = d->open;
        t->days[i] = m;
        t->worked_minutes += m->worked_minutes;
        t->regular_minutes += m->regular_minutes;
        t->overtime_minutes += m->overtime_minutes;
        t->unpaid_break_minutes += m->unpaid_break_minutes;
        t->rule_break_minutes += m->rule_break_minutes;
        t->open_punches += d->open ? 1 : 0;
    }
    /* Only the period's own punches: the week's earlier days were read for overtime alone. */
    int64_t from = cl_local_instant(s->first, 0);
    t->punches = cl_arena_alloc(a, (s->n_punches + 1) * sizeof(*t->punches));
    for (size_t i = 0; i < s->n_punches; i++)
        if (s->punches[i]->in_at >= from)
            t->punches[t->n_punches++] = s->punches[i];
    return t;
}

int cl_handle_timesheet_show(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__TimesheetShowRequest *req = job->req->timesheet_show;
    cl_pay_policy_t p;
    cl_date_t first, last;
    int64_t staff_id;
    char name[STAFF_NAME_MAX];
    sheet_t s;
    int rc;

    if ((rc = cl_tc_reader_staff(tx, req->staff_id, &staff_id, name, sizeof(name))) < 0)
        return rc;
    if ((rc = cl_pay_policy(tx, &p)) < 0)
        return rc;
    if ((rc = request_period(tx, &p, req->date, req->previous, &first, &last)) < 0)
        return rc;
    if ((rc = sheet_compute(tx, &p, staff_id, first, last, &s)) < 0)
        return rc;
    if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "timesheet.show", "timesheet",
                              (uint64_t)staff_id)) < 0)
        return rc;
    Clinic__TimesheetShowReply *reply = CL_JOB_REPLY(job, Clinic__TimesheetShowReply);
    reply->timesheet = sheet_message(&job->arena, &p, staff_id, name, &s);
    return 0;
}

/* "38.50": minutes as hours with two decimals, rounded. */
static void hours_text(uint32_t minutes, char out[24])
{
    uint64_t hundredths = ((uint64_t)minutes * 100 + 30) / 60;
    snprintf(out, 24, "%" PRIu64 ".%02" PRIu64, hundredths / 100, hundredths % 100);
}

/* Appends one CSV line: staff, name, then the dates (one or two), then the figures. */
static void csv_line(cl_tc_text_t *t, int64_t staff_id, const char *name, const char *date1,
                     const char *date2, uint32_t worked, uint32_t regular, uint32_t daily_ot,
                     uint32_t weekly_ot, uint32_t unpaid, uint32_t rule, uint32_t open)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, staff_id);
    cl_tc_csv_field(t, num);
    cl_tc_text_add(t, ",", 1);
    cl_tc_csv_field(t, name);
    cl_tc_text_add(t, ",", 1);
    cl_tc_csv_field(t, date1);
    if (date2) {
        cl_tc_text_add(t, ",", 1);
        cl_tc_csv_field(t, date2);
    }
    const uint32_t figures[] = {worked, regular, daily_ot + weekly_ot, daily_ot, weekly_ot,
                                unpaid, rule};
    for (size_t i = 0; i < CL_ARRAY_SIZE(figures); i++) {
        int n = snprintf(num, sizeof(num), ",%u", figures[i]);
        cl_tc_text_add(t, num, (size_t)n);
    }
    cl_tc_text_add(t, ",", 1);
    hours_text(regular, num);
    cl_tc_text_add(t, num, strlen(num));
    cl_tc_text_add(t, ",", 1);
    hours_text(daily_ot + weekly_ot, num);
    cl_tc_text_add(t, num, strlen(num));
    int n = snprintf(num, sizeof(num), ",%u\r\n", open);
    cl_tc_text_add(t, num, (size_t)n);
}

#define CSV_FIGURES                                                                                \
    "worked_minutes,regular_minutes,overtime_minutes,daily_overtime_minutes,"                      \
    "weekly_overtime_minutes,unpaid_break_minutes,rule_break_minutes,regular_hours,"               \
    "overtime_hours,open_punches\r\n"

int cl_handle_timesheet_export(cl_tx_t *tx, cl_job_t *job)
{
    const Clinic__TimesheetExportRequest *req = job->req->timesheet_export;
    cl_arena_t *a = &job->arena;
    cl_pay_policy_t p;
    cl_date_t first, last;
    int64_t *staff;
    size_t n_staff;
    int rc;

    if ((rc = cl_pay_policy(tx, &p)) < 0)
        return rc;
    if ((rc = request_period(tx, &p, req->date, req->previous, &first, &last)) < 0)
        return rc;
    if ((rc = cl_tc_db_staff_with_punches(tx, cl_local_instant(first, 0),
                                          cl_local_instant(cl_date_add(last, 1), 0), &staff,
                                          &n_staff)) < 0)
        return rc;

    Clinic__TimesheetExportReply *reply = CL_ARENA_NEW(a, Clinic__TimesheetExportReply);
    clinic__timesheet_export_reply__init(reply);
    reply->period_first = date_text(a, first);
    reply->period_last = date_text(a, last);
    cl_tc_text_t t = {a, NULL, 0, 0};
    if (req->per_day)
        cl_tc_text_add(&t, "staff_id,staff_name,date," CSV_FIGURES,
                       strlen("staff_id,staff_name,date," CSV_FIGURES));
    else
        cl_tc_text_add(&t, "staff_id,staff_name,period_first,period_last," CSV_FIGURES,
                       strlen("staff_id,staff_name,period_first,period_last," CSV_FIGURES));

    for (size_t i = 0; i < n_staff; i++) {
        char name[STAFF_NAME_MAX] = "";
        int64_t supervisor;
        int active;
        sheet_t s;
        rc = cl_staff_brief(tx, staff[i], &supervisor, &active, name, sizeof(name));
        if (rc < 0 && rc != CL_ENOTFOUND)
            return rc;
        if ((rc = sheet_compute(tx, &p, staff[i], first, last, &s)) < 0)
            return rc;
        Clinic__Timesheet *m = sheet_message(a, &p, staff[i], name, &s);
        if (req->per_day) {
            for (size_t d = 0; d < m->n_days; d++) {
                const Clinic__TimesheetDay *day = m->days[d];
                if (day->punches == 0)
                    continue;
                csv_line(&t, staff[i], name, day->date, NULL, day->worked_minutes,
                         day->regular_minutes, day->daily_overtime_minutes,
                         day->weekly_overtime_minutes, day->unpaid_break_minutes,
                         day->rule_break_minutes, day->open ? 1 : 0);
                reply->rows++;
            }
        } else {
            uint32_t daily_ot = 0, weekly_ot = 0;
            for (size_t d = 0; d < m->n_days; d++) {
                daily_ot += m->days[d]->daily_overtime_minutes;
                weekly_ot += m->days[d]->weekly_overtime_minutes;
            }
            csv_line(&t, staff[i], name, m->period_first, m->period_last, m->worked_minutes,
                     m->regular_minutes, daily_ot, weekly_ot, m->unpaid_break_minutes,
                     m->rule_break_minutes, m->open_punches);
            reply->rows++;
        }
        /* Each staff member's timesheet read is its own audit row. */
        if ((rc = cl_audit_append(tx->db, tx->now, &job->who, "timesheet.export", "timesheet",
                                  (uint64_t)staff[i])) < 0)
            return rc;
    }
    reply->csv = t.buf;
    job->resp.result_case = CLINIC__RESPONSE__RESULT_TIMESHEET_EXPORT;
    job->resp.timesheet_export = reply;
    return 0;
}
