/* What the schedule commands' two files share: schedule.c (providers, rooms, appointment types,
 * clinic hours, holidays and blocks) and appt.c (appointments, open slots, series and the
 * waitlist). */
#ifndef CLINIC_CLI_SCHEDULE_INT_H
#define CLINIC_CLI_SCHEDULE_INT_H

#include <stdint.h>

#include "cli.h"

/* What an argument names, for cli_sched_resolve. */
typedef enum {
    CLI_SCHED_PROVIDER,
    CLI_SCHED_ROOM,
    CLI_SCHED_TYPE,
    CLI_SCHED_PATIENT,
} cli_sched_kind_t;

/* The id of the provider, room or appointment type `arg` names (a number is an id, anything
 * else a name; case does not matter), or of the patient (a number is an id, P0000042 a record
 * number, looked up as `patient show` does: an audited read). Returns 0 or an exit status
 * (printed). Defined in appt.c. */
int cli_sched_resolve(cli_t *cli, cli_sched_kind_t kind, const char *arg, uint64_t *id);
/* cli_sched_resolve for an optional option's value: *id is left 0 when `arg` is NULL. Defined in
 * appt.c. */
int cli_sched_resolve_opt(cli_t *cli, cli_sched_kind_t kind, const char *arg, uint64_t *id);

/* Writes `key`: "HH:MM", `minute` being minutes after midnight. Defined in schedule.c. */
void cli_sched_json_hhmm(cl_json_t *j, const char *key, uint32_t minute);

#endif
