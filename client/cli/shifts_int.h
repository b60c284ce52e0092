/* What the shift commands' two files share: shifts.c (desks, shifts, publishing, coverage and
 * swaps) and shift_templates.c (weekly templates). All are defined in shifts.c. */
#ifndef CLINIC_CLI_SHIFTS_INT_H
#define CLINIC_CLI_SHIFTS_INT_H

#include <stdint.h>

#include "cli.h"

/* The id of the desk `arg` names into *id: a number is an id, anything else a name (any case),
 * looked up in the list of desks, inactive ones included. Returns 0, or an exit status (printed;
 * CL_ENOTFOUND's when no desk has that name). */
int cli_shift_resolve_desk(cli_t *cli, const char *arg, uint64_t *id);

/* Writes shift `s` (borrowed) as one JSON object into `j`, under `key` when it is not NULL (inside
 * an object), else as a bare value (an array element, or a line's whole object). */
void cli_shift_json(cl_json_t *j, const char *key, const Clinic__Shift *s);
/* Prints shift `s` (borrowed): with --json as one object on its own line, else as one line
 * preceded by "`verb` shift " when `verb` is not NULL ("added", "drafted"). */
void cli_shift_print(cli_t *cli, const char *verb, const Clinic__Shift *s);

#endif
