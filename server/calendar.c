/* Dates and local times through the C library's time zone support. */
#include "calendar.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

int cl_date_parse(const char *s, cl_date_t *out)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return CL_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return CL_EINVAL;
    cl_date_t d = {atoi(s), atoi(s + 5), atoi(s + 8)};
    if (d.year < 1850 || d.year > 2999 || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > days_in_month(d.year, d.month))
        return CL_EINVAL;
    *out = d;
    return 0;
}

void cl_date_format(cl_date_t d, char out[11])
{
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)d.year % 10000u, (unsigned)d.month % 100u,
             (unsigned)d.day % 100u);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(cl_date_t d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static cl_date_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return (cl_date_t){(int)(y + (m <= 2)), m, d};
}

int64_t cl_date_diff(cl_date_t a, cl_date_t b)
{
    return days_from_civil(b) - days_from_civil(a);
}

cl_date_t cl_date_add(cl_date_t d, int days)
{
    return civil_from_days(days_from_civil(d) + days);
}

int cl_date_weekday(cl_date_t d)
{
    int64_t z = days_from_civil(d);
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

int cl_date_cmp(cl_date_t a, cl_date_t b)
{
    int64_t x = days_from_civil(a), y = days_from_civil(b);
    return x < y ? -1 : x > y;
}

static cl_date_t slow_date_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return (cl_date_t){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

static time_t local_mktime(cl_date_t d, int minute, int isdst)
{
    struct tm tm = {0};
    tm.tm_year = d.year - 1900;
    tm.tm_mon = d.month - 1;
    tm.tm_mday = d.day;
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_isdst = isdst;
    return mktime(&tm);
}

static int64_t slow_local_instant(cl_date_t d, int minute)
{
    /* mktime with tm_isdst -1 picks either pass of a repeated minute depending on its previous
     * call; try both offsets and keep the earliest that really reads back as this wall clock. */
    int64_t best = INT64_MAX;
    cl_date_t day = minute >= 1440 ? cl_date_add(d, 1) : d;
    int m = minute >= 1440 ? minute - 1440 : minute;
    for (int isdst = 0; isdst <= 1; isdst++) {
        time_t t = local_mktime(day, m, isdst);
        struct tm back;
        if (t == (time_t)-1 || localtime_r(&t, &back) == NULL)
            continue;
        if (back.tm_year + 1900 == day.year && back.tm_mon + 1 == day.month &&
            back.tm_mday == day.day && back.tm_hour * 60 + back.tm_min == m && t < best)
            best = (int64_t)t;
    }
    if (best != INT64_MAX)
        return best;
    /* The minute does not exist (skipped when the clocks sprang forward): as the old offset
     * would have it, so 02:30 on that day is 03:30 new time. */
    return (int64_t)local_mktime(day, m, -1);
}

/* The C library's conversions cost microseconds each (a booking makes dozens), so each thread
 * remembers days: where a day starts and ends, in a slot chosen by its day number (512 slots: a
 * booking range of a year and more stays remembered). On a day of exactly 24 hours the offset
 * does not change, and local minutes are plain arithmetic from its start; the days the clocks
 * change take the slow, exact path. A new zone (cl_calendar_set_zone) forgets everything. */
typedef struct {
    int64_t start, end; /* [start, end): the day's instants */
    cl_date_t date;
    unsigned zone; /* the zone generation it was computed in; 0: empty */
} day_t;

enum { DAY_SLOTS = 512 };
static unsigned zone_generation = 1;
static _Thread_local day_t days[DAY_SLOTS];
static _Thread_local unsigned last_slot;

static const day_t *day_of_date(cl_date_t d)
{
    unsigned slot = (unsigned)(days_from_civil(d) & (DAY_SLOTS - 1));
    day_t *e = &days[slot];
    if (e->zone != zone_generation || cl_date_cmp(e->date, d) != 0) {
        e->date = d;
        e->start = slow_local_instant(d, 0);
        e->end = slow_local_instant(cl_date_add(d, 1), 0);
        e->zone = zone_generation;
    }
    last_slot = slot;
    return e;
}

static int holds(const day_t *e, int64_t t)
{
    return e->zone == zone_generation && t >= e->start && t < e->end;
}

/* The remembered day holding instant `t`, or NULL. Every zone's offset is within a day of UTC,
 * so the local date of `t` is its UTC date or one of that date's neighbours: those three days
 * are looked up (and remembered) before the C library is asked. */
static const day_t *day_of_instant(int64_t t)
{
    const day_t *e = &days[last_slot];
    if (holds(e, t))
        return e;
    int64_t utc_day = (t >= 0 ? t : t - 86399) / 86400;
    for (int k = 0; k < 3; k++) {
        e = day_of_date(civil_from_days(utc_day + (k == 0 ? 0 : k == 1 ? -1 : 1)));
        if (holds(e, t))
            return e;
    }
    e = day_of_date(slow_date_of(t));
    return holds(e, t) ? e : NULL;
}

static int plain(const day_t *e)
{
    return e->end - e->start == 86400;
}

cl_date_t cl_date_of(int64_t t)
{
    const day_t *e = day_of_instant(t);
    return e ? e->date : slow_date_of(t);
}

int64_t cl_local_instant(cl_date_t d, int minute)
{
    if (minute < 0 || minute > 1440)
        return slow_local_instant(d, minute);
    const day_t *e = day_of_date(d);
    return plain(e) ? e->start + (int64_t)minute * 60 : slow_local_instant(d, minute);
}

int cl_local_minute(int64_t t)
{
    const day_t *e = day_of_instant(t);
    if (e && plain(e))
        return (int)((t - e->start) / 60);
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
}

int64_t cl_day_seconds(cl_date_t d)
{
    return cl_local_instant(cl_date_add(d, 1), 0) - cl_local_instant(d, 0);
}

int cl_calendar_set_zone(const char *iana_name)
{
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", iana_name);
    if (strcmp(iana_name, "UTC") != 0 && access(path, R_OK) != 0)
        return CL_EINVAL;
    setenv("TZ", iana_name, 1);
    tzset();
    zone_generation++;
    return 0;
}
