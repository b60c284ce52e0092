/* Calendar dates and local times in the clinic's time zone. The daemon sets TZ to the
 * configuration's time_zone at start (one clinic per process), so the C library's local time is
 * the clinic's; every conversion here goes through it, so days when the clocks change have 23 or
 * 25 hours, as they really do. Dates are "YYYY-MM-DD"; minutes of the day are 0-1439, local. */
#ifndef CL_CALENDAR_H
#define CL_CALENDAR_H

#include <stdint.h>

typedef struct {
    int year, month, day; /* month 1-12, day 1-31 */
} cl_date_t;

/* Parses "YYYY-MM-DD" into a real calendar date (no 2023-02-29). Returns 0 or CL_EINVAL. */
int cl_date_parse(const char *s, cl_date_t *out);
/* Writes "YYYY-MM-DD" (11 bytes with the NUL). */
void cl_date_format(cl_date_t d, char out[11]);
/* Days from `a` to `b` (negative when b is earlier). */
int64_t cl_date_diff(cl_date_t a, cl_date_t b);
/* `d` plus `days` (may be negative). */
cl_date_t cl_date_add(cl_date_t d, int days);
/* 0 Sunday .. 6 Saturday. */
int cl_date_weekday(cl_date_t d);
/* Compares: <0, 0, >0. */
int cl_date_cmp(cl_date_t a, cl_date_t b);

/* The clinic-local date of instant `t`. */
cl_date_t cl_date_of(int64_t t);
/* The instant at local `minute` (0-1440; 1440 is the next midnight) of date `d`. A repeated
 * minute (the clocks fell back) gives its first pass; a minute that does not exist (the clocks
 * sprang forward) is read with the old offset, so 02:30 gives 03:30 new time. */
int64_t cl_local_instant(cl_date_t d, int minute);
/* The local minute of the day (0-1439) of instant `t`. */
int cl_local_minute(int64_t t);
/* Seconds in local date `d`: 86400, or 82800 / 90000 on the days the clocks change. */
int64_t cl_day_seconds(cl_date_t d);

/* Sets the process's time zone (TZ) to an IANA name; returns 0 or CL_EINVAL when the name is
 * unknown to the system's zone database. Call before any thread starts. */
int cl_calendar_set_zone(const char *iana_name);

#endif
