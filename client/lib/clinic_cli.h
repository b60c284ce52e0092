/* The pure helpers of the command line, kept in libclinic so that the unit tests reach them: the
 * process exit status of each status class, argument values (times, numbers, comma lists) and the
 * one-line text of a server's Status (which libclinic's own error strings use too). */
#ifndef CLINIC_CLI_H
#define CLINIC_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "clinic.pb-c.h"

/* Exit statuses of `clinic`, one per class of failure (docs/CLI.md). */
enum {
    CL_EXIT_OK = 0,
    CL_EXIT_USAGE = 1,       /* bad command line or configuration */
    CL_EXIT_UNAVAILABLE = 2, /* cannot reach the server, TLS failure, server unavailable */
    CL_EXIT_UNAUTH = 3,      /* login needed, session expired, bad password */
    CL_EXIT_PERMISSION = 4,
    CL_EXIT_NOT_FOUND = 5,
    CL_EXIT_CONFLICT = 6, /* conflict or failed precondition */
    CL_EXIT_INVALID = 7,
    CL_EXIT_EXHAUSTED = 8,
    CL_EXIT_INTERNAL = 9,
};

/* The exit status for `status` (0 or a negative CL_E*), by its wire code's class. A number not
 * in the status table gives CL_EXIT_INTERNAL. */
int cl_cli_exit_status(int status);

/* Parses a time argument: Unix seconds ("1714557600"), a date ("2024-05-01", midnight UTC) or a
 * date and time ("2024-05-01T10:30:00", optionally with a trailing 'Z'; UTC). Returns 0 and sets
 * *out, or CL_EINVAL for anything else, including impossible dates ("2023-02-29"). */
int cl_cli_parse_time(const char *s, int64_t *out);

/* Formats Unix seconds as "2024-05-01T10:30:00Z" into `out` (at least 21 bytes; 32 is plenty). */
void cl_cli_format_time(int64_t t, char *out, size_t outlen);

/* Parses a decimal unsigned integer in [0, max]. Returns 0 or CL_EINVAL. */
int cl_cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Parses a local time of day, "9:30" or "09:30", into minutes of the day (0-1439); "24:00"
 * (1440) too when `allow_end`. Returns 0 or CL_EINVAL. */
int cl_cli_parse_hhmm(const char *s, int allow_end, uint32_t *out);
/* Formats minutes of the day as "HH:MM" (6 bytes with the NUL); 1440 is "24:00". */
void cl_cli_format_hhmm(uint32_t minute, char out[6]);

/* Splits a comma-separated list ("a, b,,c") into trimmed, non-empty items: *items is a
 * cl_malloc'ed array of *n cl_strdup'ed strings, freed with cl_cli_free_list. */
void cl_cli_split_list(const char *s, char ***items, size_t *n);
void cl_cli_free_list(char **items, size_t n);

/* The one-line text of a failed reply into `out`: the status's message, then the server's
 * message, then each field error as "field: message" ("invalid argument: username: must be
 * 1-32 of a-z 0-9 . _ -"). A server message that repeats a field error is left out. `st` may be
 * NULL. */
void cl_cli_format_status(int status, const Clinic__Status *st, char *out, size_t outlen);

#endif
