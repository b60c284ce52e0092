/* The demo clinic's requests: accrual rates and opening balances set by the manager, then a few
 * requests filed by the staff members themselves, logged in as they are (all demo users have the
 * demo password): a vacation over its balance, a half day, and two expenses. With the overtime
 * Saturday of seed_shifts.c they wait in the manager's approvals inbox. */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "seed.h"

static void set_accrual(const char *type, int64_t minutes, int64_t cap)
{
    Clinic__AccrualPolicyGetRequest g = CLINIC__ACCRUAL_POLICY_GET_REQUEST__INIT;
    const Clinic__AccrualPolicyReply *got =
        seed_send(CLINIC__REQUEST__BODY_ACCRUAL_POLICY_GET, &g, 0, NULL)->accrual_policy_get;
    uint64_t version = 0;
    for (size_t i = 0; i < got->n_policies; i++)
        if (strcmp(got->policies[i]->type, type) == 0)
            version = got->policies[i]->version;
    if (version == 0)
        seed_die("no accrual policy for %s", type);
    Clinic__AccrualPolicySetRequest s = CLINIC__ACCRUAL_POLICY_SET_REQUEST__INIT;
    s.type = (char *)type;
    s.accrual_minutes = minutes;
    s.cap_minutes = cap;
    s.version = version;
    seed_send(CLINIC__REQUEST__BODY_ACCRUAL_POLICY_SET, &s, 0, NULL);
}

static void adjust(const char *who, const char *type, int64_t minutes)
{
    Clinic__TimeOffBalanceAdjustRequest a = CLINIC__TIME_OFF_BALANCE_ADJUST_REQUEST__INIT;
    a.staff_id = seed_staff_id(who);
    a.type = (char *)type;
    a.minutes = minutes;
    a.reason = "opening balance carried over from the old system";
    seed_send(CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_ADJUST, &a, 0, NULL);
}

static void time_off(const seed_ctx_t *ctx, const char *username, const char *type, int from_days,
                     int days, uint32_t start_minute, uint32_t end_minute, const char *why)
{
    char from[11], to[11];
    seed_date_add(ctx->today, from_days, from);
    seed_date_add(from, days - 1, to);
    Clinic__TimeOffFileRequest t = CLINIC__TIME_OFF_FILE_REQUEST__INIT;
    t.type = (char *)type;
    t.from_date = from;
    t.to_date = to;
    t.start_minute = start_minute;
    t.end_minute = end_minute;
    t.details = (char *)why;
    seed_send_as(ctx, username, CLINIC__REQUEST__BODY_TIME_OFF_FILE, &t);
}

static void expense(const seed_ctx_t *ctx, const char *username, int64_t cents,
                    const char *category, const char *note)
{
    Clinic__ExpenseFileRequest e = CLINIC__EXPENSE_FILE_REQUEST__INIT;
    e.amount_cents = cents;
    e.category = (char *)category;
    e.receipt_note = (char *)note;
    seed_send_as(ctx, username, CLINIC__REQUEST__BODY_EXPENSE_FILE, &e);
}

void seed_approvals(const seed_ctx_t *ctx)
{
    set_accrual("vacation", 300, 12000);
    set_accrual("sick", 120, 4800);
    set_accrual("personal", 60, 1440);
    static const char *const with_login[] = {"frontdesk", "sam", "billie", "stacy"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(with_login); i++) {
        adjust(with_login[i], "vacation", strcmp(with_login[i], "stacy") == 0 ? 960 : 4800);
        adjust(with_login[i], "personal", 480);
    }

    /* Two weeks out, Wednesday to Friday at the latest: three days over Stacy's two. */
    int to_wednesday = ((3 - ctx->weekday) + 7) % 7 + 14;
    time_off(ctx, "stacy", "vacation", to_wednesday, 3, 0, 0, "Family wedding out of state");
    time_off(ctx, "sam", "personal", to_wednesday - 5, 1, 13 * 60, 0,
             "Parent-teacher conference in the afternoon");
    expense(ctx, "frontdesk", 4250, "supplies",
            "Label printer rolls from the office store; receipt in the manager's tray");
    expense(ctx, "billie", 2310, "mileage",
            "42 miles to the payer's regional office for the claims meeting; log attached");
    printf("  requests: accruals and opening balances set; a vacation over its balance, a half "
           "day, two expenses and the overtime Saturday wait in the approvals inbox\n");
}
