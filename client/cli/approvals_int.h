/* What the request commands' three files share: requests.c (filing and one's own requests, and how
 * a request is printed), approvals.c (the inbox, approving and denying) and balances.c (time-off
 * balances and the accrual policy). All are defined in requests.c. */
#ifndef CLINIC_CLI_APPROVALS_INT_H
#define CLINIC_CLI_APPROVALS_INT_H

#include <stdint.h>

#include "cli.h"

/* Parses a signed number of minutes, "90", "-90", "1h30" or "-8h", into *out. Returns 0, or -1
 * (nothing printed) for anything else. */
int cli_request_parse_minutes(const char *s, int64_t *out);
/* Prints minutes to stdout as "12h30" ("-2h" when negative). */
void cli_request_put_minutes(int64_t m);

/* Prints one line of a request list to stdout: id, kind, state, requester and subject, followed
 * by its age at `now` when `now` is not 0. */
void cli_request_put_line(const Clinic__StaffRequest *r, int64_t now);
/* Writes request `r` (borrowed) as one JSON object into `j`. */
void cli_request_json(cl_json_t *j, const Clinic__StaffRequest *r);
/* Sends the list request `m` (borrowed). Returns 0 with *out set (valid until the next call), or
 * an exit status after printing the error. */
int cli_request_list_get(cli_t *cli, Clinic__StaffRequestListRequest *m,
                         const Clinic__StaffRequestListReply **out);

#endif
