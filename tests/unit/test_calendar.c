/* Calendar dates and local time, including the days the clocks change. */
#include <stdlib.h>
#include <time.h>

#include "calendar.h"
#include "status.h"
#include "test.h"

CL_TEST(parse_accepts_real_dates_only)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse("2024-02-29", &d));
    ASSERT_EQ(d.year, 2024);
    ASSERT_EQ(d.month, 2);
    ASSERT_EQ(d.day, 29);
    ASSERT_EQ(cl_date_parse("2023-02-29", &d), CL_EINVAL);
    ASSERT_EQ(cl_date_parse("2023-13-01", &d), CL_EINVAL);
    ASSERT_EQ(cl_date_parse("2023-04-31", &d), CL_EINVAL);
    ASSERT_EQ(cl_date_parse("2023-4-01", &d), CL_EINVAL);
    ASSERT_EQ(cl_date_parse("2023-04-01x", &d), CL_EINVAL);
    ASSERT_EQ(cl_date_parse("", &d), CL_EINVAL);
    char out[11];
    cl_date_format(d, out);
    ASSERT_STR_EQ(out, "2024-02-29");
}

CL_TEST(arithmetic_and_weekdays)
{
    cl_date_t a, b;
    ASSERT_OK(cl_date_parse("2024-12-30", &a));
    b = cl_date_add(a, 3);
    char out[11];
    cl_date_format(b, out);
    ASSERT_STR_EQ(out, "2025-01-02");
    ASSERT_EQ(cl_date_diff(a, b), 3);
    ASSERT_EQ(cl_date_diff(b, a), -3);
    ASSERT_EQ(cl_date_weekday(a), 1); /* a Monday */
    ASSERT_OK(cl_date_parse("1970-01-01", &a));
    ASSERT_EQ(cl_date_weekday(a), 4); /* a Thursday */
    ASSERT_OK(cl_date_parse("1969-12-28", &a));
    ASSERT_EQ(cl_date_weekday(a), 0); /* a Sunday */
    ASSERT_LT(cl_date_cmp(a, b), 0);
}

CL_TEST(days_when_the_clocks_change_have_23_and_25_hours)
{
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    cl_date_t spring, fall, plain;
    ASSERT_OK(cl_date_parse("2026-03-08", &spring));
    ASSERT_OK(cl_date_parse("2026-11-01", &fall));
    ASSERT_OK(cl_date_parse("2026-06-01", &plain));
    ASSERT_EQ(cl_day_seconds(spring), 23 * 3600);
    ASSERT_EQ(cl_day_seconds(fall), 25 * 3600);
    ASSERT_EQ(cl_day_seconds(plain), 24 * 3600);
    /* 09:00 local is 09:00 local on both sides of the change. */
    int64_t t = cl_local_instant(spring, 9 * 60);
    ASSERT_EQ(cl_local_minute(t), 9 * 60);
    char out[11];
    cl_date_format(cl_date_of(t), out);
    ASSERT_STR_EQ(out, "2026-03-08");
    ASSERT_EQ(cl_local_instant(plain, 0) % 3600, 0);
    /* 01:00-01:59 happens twice on 2026-11-01 in Chicago: the first pass is CDT (06:00Z), whatever
     * was converted before. */
    (void)cl_local_instant(fall, 3 * 60);
    ASSERT_EQ(cl_local_instant(fall, 60), 1793512800); /* 2026-11-01T06:00:00Z */
    (void)cl_local_instant(fall, 3 * 60);
    ASSERT_EQ(cl_local_instant(fall, 90), 1793512800 + 1800);
    /* 02:30 does not exist on 2026-03-08: read as 03:30 CDT (08:30Z). */
    ASSERT_EQ(cl_local_instant(spring, 150), 1772958600);
    ASSERT_EQ(cl_calendar_set_zone("Not/AZone"), CL_EINVAL);
}

CL_TEST(a_new_zone_forgets_the_remembered_days)
{
    cl_date_t d;
    ASSERT_OK(cl_date_parse("2026-06-01", &d));
    ASSERT_OK(cl_calendar_set_zone("UTC"));
    int64_t utc = cl_local_instant(d, 9 * 60);
    ASSERT_EQ(cl_local_minute(utc), 9 * 60);
    ASSERT_OK(cl_calendar_set_zone("America/Chicago"));
    int64_t chicago = cl_local_instant(d, 9 * 60);
    ASSERT_EQ(chicago - utc, 5 * 3600); /* CDT is UTC-5 in June */
    ASSERT_EQ(cl_local_minute(utc), 4 * 60);
    char out[11];
    cl_date_format(cl_date_of(chicago), out);
    ASSERT_STR_EQ(out, "2026-06-01");
    /* Just before local midnight is still the same day; midnight is the next. */
    cl_date_format(cl_date_of(cl_local_instant(d, 1440) - 1), out);
    ASSERT_STR_EQ(out, "2026-06-01");
    cl_date_format(cl_date_of(cl_local_instant(d, 1440)), out);
    ASSERT_STR_EQ(out, "2026-06-02");
}

/* The remembered days answer exactly as the C library does, instant by instant, in zones far
 * east and west of UTC and with half-hour changes, over a year with every day revisited. */
CL_TEST(remembered_days_agree_with_the_c_library)
{
    static const char *const zones[] = {"America/Chicago", "Pacific/Kiritimati",
                                        "Pacific/Pago_Pago", "Australia/Lord_Howe",
                                        "Europe/London"};
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        ASSERT_OK(cl_calendar_set_zone(zones[z]));
        /* 2026-01-01T00:00Z, then every 37 minutes for a year, twice (the second pass is
         * answered from the remembered days), with jumps back and forth between passes. */
        for (int pass = 0; pass < 2; pass++) {
            const int64_t from = 1767225600, to = from + 366 * 86400;
            for (int64_t t = from; t < to; t += 37 * 60) {
                int64_t u = pass == 0 ? t : from + to - 1 - t;
                time_t tt = (time_t)u;
                struct tm tm;
                ASSERT(localtime_r(&tt, &tm) != NULL);
                cl_date_t d = cl_date_of(u);
                ASSERT_EQ(d.year, tm.tm_year + 1900);
                ASSERT_EQ(d.month, tm.tm_mon + 1);
                ASSERT_EQ(d.day, tm.tm_mday);
                ASSERT_EQ(cl_local_minute(u), tm.tm_hour * 60 + tm.tm_min);
            }
        }
    }
    ASSERT_OK(cl_calendar_set_zone("UTC"));
}

CL_TEST_MAIN(CL_TEST_ENTRY(a_new_zone_forgets_the_remembered_days),
             CL_TEST_ENTRY(parse_accepts_real_dates_only), CL_TEST_ENTRY(arithmetic_and_weekdays),
             CL_TEST_ENTRY(days_when_the_clocks_change_have_23_and_25_hours),
             CL_TEST_ENTRY(remembered_days_agree_with_the_c_library))
