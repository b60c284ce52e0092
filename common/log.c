/* Logging to stderr. Each line is written with one fprintf so that threads do not interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static cl_log_level_t min_level = CL_LOG_INFO;
static int level_from_env = 0;
static const char *prog = "clinic";

void cl_log_set_level(cl_log_level_t level)
{
    min_level = level;
    level_from_env = 1;
}

void cl_log_set_name(const char *name)
{
    prog = name;
}

void cl_log(cl_log_level_t level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (!level_from_env) {
        const char *e = getenv("CLINIC_LOG");
        if (e && strcmp(e, "debug") == 0)
            min_level = CL_LOG_DEBUG;
        else if (e && strcmp(e, "warn") == 0)
            min_level = CL_LOG_WARN;
        level_from_env = 1;
    }
    if (level < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, prog,
            names[level], msg);
}
