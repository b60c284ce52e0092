/* The `clinic` command line's shared pieces: the run context, the option parser, connecting and
 * resuming the stored session, error reporting with exit statuses, password input and output
 * helpers, implemented in shared.c. Each area's commands live in their own file (session.c,
 * users.c, messages.c, admin.c, watch.c); main.c holds the command table. */
#ifndef CLINIC_CLI_INT_H
#define CLINIC_CLI_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clinic_cli.h"
#include "clinic_client.h"
#include "clinic_json.h"
#include "clinic_settings.h"
#include "mem.h"

typedef struct cli_s cli_t;
typedef struct cli_command_s cli_command_t;

struct cli_command_s {
    const char *section; /* the heading it is listed under in --help */
    const char *group;   /* "user", "msg", or NULL for a one-word command */
    const char *name;
    int (*run)(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
    const char *usage;   /* after "clinic " */
    const char *summary; /* one line for --help */
};

struct cli_s {
    cl_settings_t settings;          /* resolved: flags > environment > file */
    char config_dir[CL_SETTING_MAX]; /* empty when it cannot be found */
    int json;                        /* --json: one JSON object per result line */
    uint32_t timeout_ms;             /* connect and each call */
    cl_sync_t *sync;                 /* owned; the connection, once made */
    char username[128];              /* who the resumed session belongs to */
    cl_json_t j;                     /* owned; the object being written */
};

/* Set by the SIGINT handler that `watch` installs. */
extern volatile sig_atomic_t cli_interrupted;

/* One option of a command: a flag (`flag` set to 1) or an option with a value (`value` set). */
typedef struct {
    const char *name; /* "--user" */
    const char **value;
    int *flag;
} cli_opt_t;

/* Parses `argv` (after the command words): options from `opts` as `--name value` or
 * `--name=value`; everything else (and all after `--`) is moved, in order, to argv[0..*npos).
 * Returns 0, or CL_EXIT_USAGE after printing why and the command's usage. */
int cli_parse(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts, size_t nopts,
              int *npos);

/* The `n` words joined by single spaces, as the shell split them (a name or a text given without
 * quotes). Returns a cl_malloc'ed string the caller frees. */
char *cli_join_words(int n, char **words);

/* cli_parse for a command that takes options but no other argument: refuses any argument left.
 * Returns 0, or CL_EXIT_USAGE (printed). */
int cli_parse_options(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                      size_t nopts);
/* cli_parse_options, then cli_resume. Returns 0, or the exit status (printed). */
int cli_begin(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
              size_t nopts);

/* cli_parse for a command that takes exactly one argument besides its options, `what` naming it
 * in the messages ("DATE"); *arg points at it. Returns 0, or CL_EXIT_USAGE (printed). */
int cli_parse_one(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                  size_t nopts, const char *what, const char **arg);
/* cli_parse_one for a command whose argument is a record's id (cli_parse_id). */
int cli_parse_one_id(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                     size_t nopts, const char *what, uint64_t *id);
/* cli_parse_one_id, then cli_resume: for a command whose options need no checking of their own
 * before the session is resumed. Returns 0, or the exit status (printed). */
int cli_begin_id(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                 size_t nopts, const char *what, uint64_t *id);

/* Parses `s`, the id of a record, into *id: a whole number from 1 to INT64_MAX (the server keeps
 * ids as int64). `what` names the argument or option in the message ("ID", "--patient").
 * Returns 0, or CL_EXIT_USAGE after printing why and the command's usage. */
int cli_parse_id(const cli_command_t *cmd, const char *what, const char *s, uint64_t *id);
/* Parses `s`, a patient as the user names one: an id (set in *id, *record_number NULL) or the
 * record number the board shows, P0000042 or p42 (*record_number = s, *id 0). `what` names the
 * argument or option in the message. Returns 0, or CL_EXIT_USAGE (printed). */
int cli_parse_patient(const cli_command_t *cmd, const char *what, const char *s, uint64_t *id,
                      const char **record_number);
/* Parses the value of --expect-version into *version (a whole number from 1 to INT64_MAX).
 * Returns 0, or CL_EXIT_USAGE (printed). */
int cli_parse_version(const cli_command_t *cmd, const char *s, uint64_t *version);

/* Prints "clinic: <message>" and the command's usage to stderr; returns CL_EXIT_USAGE. */
int cli_usage_error(const cli_command_t *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "clinic: <message>" to stderr and returns CL_EXIT_USAGE: for bad local input (a
 * missing file, an unreadable configuration, no password given). */
int cli_input_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "clinic: <message>" to stderr (control characters made harmless) and returns the exit
 * status of `status`'s class. */
int cli_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connects and says Hello. Returns 0 or an exit status (the error printed). */
int cli_connect(cli_t *cli);
/* Connects and resumes the stored session; without one, or when it has expired, tells the user to
 * run `clinic login` and returns CL_EXIT_UNAUTH. Returns 0 or an exit status (printed). */
int cli_resume(cli_t *cli);
/* Sends `req` and waits for a reply whose result is `want`. Returns 0 with *resp set (valid until
 * the next call), or an exit status after printing the error. */
int cli_call(cli_t *cli, const Clinic__Request *req, Clinic__Response__ResultCase want,
             const Clinic__Response **resp);

/* cli_call for the request of kind `body_case` whose body is `msg` (borrowed), waiting for the
 * reply of the same kind: a Request's body and its Response's result share their field number
 * (tests/unit/test_client.c checks every pair). */
int cli_send(cli_t *cli, Clinic__Request__BodyCase body_case, const void *msg,
             const Clinic__Response **resp);

/* Reads a secret into `out`: the first line of `file` when given, else from the terminal with
 * echo off after printing `prompt` to stderr, else the next line of stdin. Returns 0 or an exit
 * status (printed). The caller wipes `out` with OPENSSL_cleanse after use. */
int cli_read_secret(const char *file, const char *prompt, char *out, size_t outlen);
/* Reads a line from stdin (after printing `prompt` to stderr when stdin is a terminal). Returns 0
 * or an exit status (printed). */
int cli_read_line(const char *prompt, char *out, size_t outlen);

/* Writes `s` to `f` with control characters (and C1 controls) replaced by '?', so that text from
 * the server cannot drive the terminal. Newlines and tabs survive when `keep_newlines`. */
void cli_put(FILE *f, const char *s, int keep_newlines);
/* "2024-05-01T10:30:00Z", or "-" for 0. */
void cli_time(int64_t t, char *out, size_t outlen);

/* Ends the JSON object in cli->j as one line on stdout and empties the writer. */
void cli_json_emit(cli_t *cli);
/* Writes `key`: [roles...]. */
void cli_json_strings(cl_json_t *j, const char *key, char **items, size_t n);
/* Prints items joined by ", " (or "-" when there are none). */
void cli_put_list(FILE *f, char **items, size_t n);
/* Flushes stdout. Returns 0, or the errno of the first failed write (EPIPE: the reader went
 * away); once failed it keeps returning that errno. */
int cli_flush(void);

/* A view that redraws itself live (live.c): `board --watch`, `approvals --watch`. */
typedef struct cli_live_s cli_live_t;
struct cli_live_s {
    cli_t *cli;
    /* Subscribes the (resumed) connection to what the view shows: 0 or an exit status, printed. */
    int (*subscribe)(cli_live_t *v);
    /* Reads and prints the view once: 0 or an exit status, printed. */
    int (*draw)(cli_live_t *v);
    /* Whether an event calls for a redraw; NULL: every event does. */
    int (*relevant)(cli_live_t *v, const Clinic__Event *ev);
    void *view;           /* the caller's own state */
    uint64_t count;       /* stop after this many drawings; 0: no limit */
    uint64_t deadline_ns; /* stop then (cl_mono_ns); 0: no deadline */
    long reconnect_limit; /* failed attempts in a row before giving up; < 0: no limit */
    unsigned refresh_ms;  /* redraw at least this often (ages move on); 0: 30 s */
    uint64_t drawn;       /* drawings so far */
    int subscribed;       /* the last connection got as far as subscribing */
};
/* What waiting for an event of the resumed connection came to (cli_next_event). */
typedef enum {
    CLI_EVENT_READY, /* an event came */
    CLI_EVENT_NONE,  /* none came in time */
    CLI_EVENT_LOST,  /* the connection is gone (said on stderr): connect again */
    CLI_EVENT_END,   /* the login failed or the session expired (said): stop */
} cli_event_wait_t;
/* Waits up to `wait_ms` for the next event. CLI_EVENT_READY sets *ev (valid until the next call);
 * CLI_EVENT_LOST sets *rc to 0 and CLI_EVENT_END to the exit status. An expired session's stored
 * token is removed. */
cli_event_wait_t cli_next_event(cli_t *cli, int wait_ms, const Clinic__Event **ev, int *rc);
/* Draws, then redraws as events come, reconnecting with backoff when the connection is lost,
 * until Ctrl-C, the count, the deadline, or a failure. Returns the exit status. */
int cli_live_run(cli_live_t *v);
/* Reads --count, --timeout and --reconnect-limit (NULL when not given) into `v`; they go with
 * --watch only. Returns 0 or CL_EXIT_USAGE (printed). */
int cli_live_options(const cli_command_t *cmd, cli_live_t *v, int watch, const char *count,
                     const char *timeout, const char *limit);

/* The commands. */
int cmd_login(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_logout(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_whoami(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_ping(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_passwd(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_user_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_user_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_user_roles(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_user_disable(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_audit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_status(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_msg_send(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_msg_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_msg_read(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_watch(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* Patients (patients.c) */
int cmd_patient_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_patient_find(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_patient_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_patient_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_patient_merge(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_patient_unmerge(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* Schedule: its setup (schedule.c) and booking on it (appt.c) */
int cmd_provider_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_provider_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_provider_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_provider_hours(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_room_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_room_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_apptype_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_apptype_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_hours_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_hours_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_holiday_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_holiday_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_holiday_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_block_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_block_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_block_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_book(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_move(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_noshow(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_slots(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_series(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_appt_series_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_waitlist_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_waitlist_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_waitlist_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* Patient flow and the board (flow.c) */
int cmd_flow_checkin(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_room(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_vitals(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_ready(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_start(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_checkout(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_flow_figures(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_board(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* staff.c: staff members and credentials */
int cmd_staff_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_staff_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_staff_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_staff_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_staff_leave(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_cred_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_cred_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_cred_renew(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_cred_remove(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_dashboard(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* shifts.c: shifts, desks, coverage, swaps; shift_templates.c: templates */
int cmd_desk_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_desk_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_desk_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_edit(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_publish(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_template(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_coverage(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_shift_swap(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_swap(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* timeclock.c: the time clock and timesheets */
int cmd_clock_in(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_clock_out(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_clock_break(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_clock_status(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_clock_punches(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_timesheet_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_timesheet_export(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_paypolicy_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_paypolicy_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_correction(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
/* requests.c: requests; approvals.c: the approvals inbox, decisions; balances.c: balances */
int cmd_request_timeoff(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_overtime(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_expense(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_withdraw(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_request_cancel(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_approvals(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_approve(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_deny(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_balance(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_accrual_show(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_accrual_set(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);
int cmd_accrual_adjust(cli_t *cli, const cli_command_t *cmd, int argc, char **argv);

#endif
