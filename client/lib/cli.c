/* The command line's pure helpers: exit statuses, time and number arguments, comma lists and the
 * text of a failed reply. */
#include "clinic_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "status.h"

int cl_cli_exit_status(int status)
{
    if (status == 0)
        return CL_EXIT_OK;
    switch (cl_status_code(status)) {
    case CLINIC__CODE__OK:
        return CL_EXIT_OK;
    case CLINIC__CODE__INVALID_ARGUMENT:
        return CL_EXIT_INVALID;
    case CLINIC__CODE__UNAUTHENTICATED:
        return CL_EXIT_UNAUTH;
    case CLINIC__CODE__PERMISSION_DENIED:
        return CL_EXIT_PERMISSION;
    case CLINIC__CODE__NOT_FOUND:
        return CL_EXIT_NOT_FOUND;
    case CLINIC__CODE__CONFLICT:
    case CLINIC__CODE__FAILED_PRECONDITION:
        return CL_EXIT_CONFLICT;
    case CLINIC__CODE__RESOURCE_EXHAUSTED:
        return CL_EXIT_EXHAUSTED;
    case CLINIC__CODE__UNAVAILABLE:
        return CL_EXIT_UNAVAILABLE;
    default:
        return CL_EXIT_INTERNAL;
    }
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly `n` digits at *p into *out and advances *p. */
static int digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return CL_EINVAL;
        v = v * 10 + (unsigned)(ch - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int cl_cli_parse_time(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return CL_EINVAL;
    if (strchr(s, '-') == NULL) {
        uint64_t v;
        if (cl_cli_parse_uint(s, INT64_MAX, &v) != 0)
            return CL_EINVAL;
        *out = (int64_t)v;
        return 0;
    }
    const char *p = s;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return CL_EINVAL;
    if (*p == 'T') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
            digits(&p, 2, &sec))
            return CL_EINVAL;
        if (*p == 'Z')
            p++;
    }
    if (*p != '\0')
        return CL_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return CL_EINVAL;
    *out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec;
    return 0;
}

void cl_cli_format_time(int64_t t, char *out, size_t outlen)
{
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(rem / 3600), (unsigned)(rem % 3600 / 60), (unsigned)(rem % 60));
}

int cl_cli_parse_hhmm(const char *s, int allow_end, uint32_t *out)
{
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s || colon - s > 2 || strlen(colon + 1) != 2)
        return CL_EINVAL;
    uint32_t h = 0, m = 0;
    for (const char *p = s; p < colon; p++) {
        if (*p < '0' || *p > '9')
            return CL_EINVAL;
        h = h * 10 + (uint32_t)(*p - '0');
    }
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return CL_EINVAL;
        m = m * 10 + (uint32_t)(*p - '0');
    }
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_end)))
        return CL_EINVAL;
    *out = h * 60 + m;
    return 0;
}

void cl_cli_format_hhmm(uint32_t minute, char out[6])
{
    snprintf(out, 6, "%02u:%02u", (minute / 60) % 100, minute % 60);
}

int cl_cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s == '\0')
        return CL_EINVAL;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return CL_EINVAL;
        unsigned digit = (unsigned)(*p - '0');
        if (v > (max - digit) / 10)
            return CL_EINVAL;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

void cl_cli_split_list(const char *s, char ***items, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **list = cl_malloc(cap * sizeof(*list));
    size_t count = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a)
            list[count++] = cl_strndup(a, (size_t)(b - a));
        if (*end == '\0')
            break;
        p = end + 1;
    }
    *items = list;
    *n = count;
}

void cl_cli_free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* Appends to out at *used, never past outlen. */
static void append(char *out, size_t outlen, size_t *used, const char *sep, const char *text)
{
    if (*used + 1 >= outlen)
        return;
    int n = snprintf(out + *used, outlen - *used, "%s%s", *used ? sep : "", text);
    if (n < 0)
        return;
    if ((size_t)n >= outlen - *used)
        *used = outlen - 1;
    else
        *used += (size_t)n;
}

void cl_cli_format_status(int status, const Clinic__Status *st, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen == 0)
        return;
    out[0] = '\0';
    append(out, outlen, &used, "", cl_status_message(status));
    if (st == NULL)
        return;
    int repeats = st->message == NULL || st->message[0] == '\0';
    char field[512];
    for (size_t i = 0; i < st->n_fields && !repeats; i++) {
        const Clinic__FieldError *fe = st->fields[i];
        snprintf(field, sizeof(field), "%s: %s", fe->field, fe->message);
        repeats = strcmp(st->message, field) == 0 || strcmp(st->message, fe->message) == 0;
    }
    if (!repeats && strcmp(st->message, cl_status_message(status)) != 0)
        append(out, outlen, &used, ": ", st->message);
    for (size_t i = 0; i < st->n_fields; i++) {
        const Clinic__FieldError *fe = st->fields[i];
        if (fe->field[0])
            snprintf(field, sizeof(field), "%s: %s", fe->field, fe->message);
        else
            snprintf(field, sizeof(field), "%s", fe->message);
        append(out, outlen, &used, i == 0 ? ": " : "; ", field);
    }
}
