/* `clinic`, the command line: its entry point, the command table and --help, and the global
 * options with the settings they override. What the commands share is in shared.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "status.h"

enum { DEFAULT_TIMEOUT_MS = 10000 };

static const cli_command_t commands[] = {
    {"Session", NULL, "login", cmd_login, "login [--user USER] [--password-file FILE]",
     "log in; later commands use the stored session"},
    {"Session", NULL, "logout", cmd_logout, "logout", "end the session"},
    {"Session", NULL, "whoami", cmd_whoami, "whoami",
     "who is logged in, with roles and workstation"},
    {"Session", NULL, "ping", cmd_ping, "ping", "round trip to the server and its time (no login)"},
    {"Session", NULL, "passwd", cmd_passwd,
     "passwd [--old-password-file FILE --new-password-file FILE]", "change your password"},
    {"Users", "user", "add", cmd_user_add,
     "user add USERNAME --roles ROLE[,ROLE...] [--full-name NAME] [--password-file FILE]",
     "add a user"},
    {"Users", "user", "list", cmd_user_list, "user list [--all]",
     "list users (--all: disabled ones too)"},
    {"Users", "user", "roles", cmd_user_roles, "user roles USERNAME ROLE[,ROLE...]",
     "replace a user's roles"},
    {"Users", "user", "disable", cmd_user_disable, "user disable USERNAME", "disable a user"},
    {"Messages", "msg", "send", cmd_msg_send, "msg send --to USER|ROLE|all TEXT...",
     "send a message (TEXT '-' reads it from stdin)"},
    {"Messages", "msg", "list", cmd_msg_list, "msg list [--unread] [--limit N] [--before ID]",
     "list your messages, newest first"},
    {"Messages", "msg", "read", cmd_msg_read, "msg read ID", "show a message and mark it read"},
    {"Administration", NULL, "audit", cmd_audit,
     "audit [--user U] [--entity E] [--id N] [--since T] [--until T] [--limit N] [--before SEQ]",
     "query the audit log (T: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)"},
    {"Administration", NULL, "status", cmd_status, "status", "the server's health"},
    /* Patients (patients.c) */
    {"Patients", "patient", "add", cmd_patient_add,
     "patient add --first F --last L --birth YYYY-MM-DD --sex female|male|other|unknown "
     "[--middle M] [--preferred P] [--mobile N] [--home N] [--work N] [--email E] "
     "[--address1 A [--address2 A] --city C --state ST --zip Z] [--contact phone|sms|email|mail] "
     "[--emergency-name N --emergency-relation R --emergency-phone N] [--payer P --member-id M "
     "[--group G] [--subscriber S --relation self|spouse|child|other] [--insurance-from D] "
     "[--insurance-to D]] [--notes T] [--force]",
     "register a patient; likely duplicates are shown and nothing is saved (exit 6) unless "
     "--force"},
    {"Patients", "patient", "find", cmd_patient_find, "patient find [--limit N] QUERY...",
     "search: name prefixes in any order, a birth date, phone digits or a record number"},
    {"Patients", "patient", "show", cmd_patient_show, "patient show ID|RECORD_NUMBER",
     "a patient's record with insurance"},
    {"Patients", "patient", "edit", cmd_patient_edit,
     "patient edit ID|RECORD_NUMBER [the options of add] [--clear-insurance]",
     "change a record (an empty value clears a field; insurance options change the primary "
     "plan)"},
    {"Patients", "patient", "merge", cmd_patient_merge, "patient merge KEEP MERGE --reason TEXT",
     "merge a duplicate record into the one kept (manager)"},
    {"Patients", "patient", "unmerge", cmd_patient_unmerge, "patient unmerge MERGE_ID",
     "undo a merge (manager)"},
    /* Schedule (schedule.c) */
    {"Schedule setup", "provider", "add", cmd_provider_add,
     "provider add NAME [--specialty S] [--user USERNAME]",
     "add a provider, linked to a clinician's login"},
    {"Schedule setup", "provider", "list", cmd_provider_list, "provider list [--all]",
     "providers with their weekly hours (--all: inactive too)"},
    {"Schedule setup", "provider", "edit", cmd_provider_edit,
     "provider edit PROVIDER [--name N] [--specialty S] [--user U|--no-user] [--active yes|no]",
     "change a provider"},
    {"Schedule setup", "provider", "hours", cmd_provider_hours,
     "provider hours PROVIDER [WEEKDAYS HH:MM-HH:MM[,...]|off]",
     "show or set a provider's weekly hours (WEEKDAYS: mon, mon-fri, mon,wed)"},
    {"Schedule setup", "room", "add", cmd_room_add, "room add NAME", "add a room"},
    {"Schedule setup", "room", "list", cmd_room_list, "room list [--all]", "list rooms"},
    {"Schedule setup", "apptype", "add", cmd_apptype_add,
     "apptype add NAME --minutes N [--color #rrggbb] [--no-room]", "add an appointment type"},
    {"Schedule setup", "apptype", "list", cmd_apptype_list, "apptype list [--all]",
     "list appointment types"},
    {"Schedule setup", "hours", "set", cmd_hours_set, "hours set WEEKDAYS OPEN CLOSE|closed",
     "set the clinic's hours (times HH:MM)"},
    {"Schedule setup", "hours", "list", cmd_hours_list, "hours list", "the clinic's week"},
    {"Schedule setup", "holiday", "add", cmd_holiday_add, "holiday add DATE NAME",
     "close the clinic on a date"},
    {"Schedule setup", "holiday", "list", cmd_holiday_list,
     "holiday list [--from DATE] [--to DATE]", "list holidays (default: the coming year)"},
    {"Schedule setup", "holiday", "remove", cmd_holiday_remove, "holiday remove DATE",
     "remove a holiday"},
    {"Schedule setup", "block", "add", cmd_block_add,
     "block add --provider P|--room R --date DATE [--start HH:MM] [--end HH:MM] [--end-date DATE] "
     "--reason TEXT",
     "block time (lunch, meeting, vacation); whole days by default"},
    {"Schedule setup", "block", "list", cmd_block_list,
     "block list [--provider P] [--room R] [--from DATE] [--to DATE] [--all]",
     "list blocks (default: the next 31 days)"},
    {"Schedule setup", "block", "cancel", cmd_block_cancel, "block cancel ID", "cancel a block"},
    {"Appointments", "appt", "book", cmd_appt_book,
     "appt book --patient PATIENT --provider P --type T --date DATE --time HH:MM [--room R] "
     "[--minutes N] [--reason TEXT] [--waitlist ID] [--override]",
     "book an appointment (PATIENT: an id or a record number; --override: over conflicts, needs "
     "overbook)"},
    {"Appointments", "appt", "move", cmd_appt_move,
     "appt move ID [--date DATE --time HH:MM | --time HH:MM] [--provider P] [--room R|--no-room] "
     "[--minutes N] [--override]",
     "move an appointment"},
    {"Appointments", "appt", "cancel", cmd_appt_cancel, "appt cancel ID --reason TEXT",
     "cancel an appointment"},
    {"Appointments", "appt", "noshow", cmd_appt_noshow, "appt noshow ID", "mark a no-show"},
    {"Appointments", "appt", "show", cmd_appt_show, "appt show ID", "one appointment"},
    {"Appointments", "appt", "list", cmd_appt_list,
     "appt list [--date DATE | --from DATE --to DATE] [--provider P] [--patient PATIENT] [--all]",
     "a day's schedule, a provider's or a patient's (--all: cancelled too)"},
    {"Appointments", "appt", "slots", cmd_appt_slots,
     "appt slots --type T [--provider P] [--from DATE] [--to DATE] [--after HH:MM] [--before "
     "HH:MM] [--limit N] [--step MIN]",
     "the next open slots"},
    {"Appointments", "appt", "series", cmd_appt_series,
     "appt series --patient PATIENT --provider P --type T --date DATE --time HH:MM --rule "
     "weekly:N|monthly:N --count N [--room R] [--minutes N] [--reason TEXT] [--skip-conflicts]",
     "book a recurring series"},
    {"Appointments", "appt", "series-cancel", cmd_appt_series_cancel,
     "appt series-cancel SERIES --from DATE --reason TEXT", "cancel a series from a date on"},
    {"Appointments", "waitlist", "add", cmd_waitlist_add,
     "waitlist add --patient PATIENT --type T [--provider P] [--from DATE] --to DATE [--note TEXT]",
     "put a patient on the waitlist"},
    {"Appointments", "waitlist", "list", cmd_waitlist_list,
     "waitlist list [--patient PATIENT [--all]]", "the waitlist"},
    {"Appointments", "waitlist", "remove", cmd_waitlist_remove, "waitlist remove ID",
     "take an entry off the waitlist"},
    /* Patient flow and the board (flow.c) */
    {"Patient flow", "flow", "checkin", cmd_flow_checkin,
     "flow checkin APPT [--copay DOLLARS] [--demographics-ok] [--insurance-ok] "
     "[--expect-version N]",
     "check a patient in: scheduled -> arrived"},
    {"Patient flow", "flow", "room", cmd_flow_room, "flow room APPT ROOM [--expect-version N]",
     "put the patient in a room (ROOM: its id or name): arrived -> roomed"},
    {"Patient flow", "flow", "vitals", cmd_flow_vitals,
     "flow vitals APPT [--bp 120/80] [--pulse N] [--resp N] [--temp 98.6F|37.0C] [--spo2 N] "
     "[--height CM|INin] [--weight KG|LBlb] [--pain 0-10] [--allergies T] [--meds T] "
     "[--complaint T] [--expect-version N]",
     "record intake: roomed -> intake_done (later: a correction)"},
    {"Patient flow", "flow", "ready", cmd_flow_ready, "flow ready APPT [--expect-version N]",
     "ready for the provider: intake_done -> ready"},
    {"Patient flow", "flow", "start", cmd_flow_start, "flow start APPT [--expect-version N]",
     "the provider comes in: ready -> with_provider"},
    {"Patient flow", "flow", "checkout", cmd_flow_checkout,
     "flow checkout APPT [--followup APPT_ID] [--followup-booked] [--expect-version N]",
     "check the patient out: with_provider -> checked_out"},
    {"Patient flow", "flow", "show", cmd_flow_show, "flow show APPT",
     "one appointment's flow: state, check-in, vitals (clinicians), history"},
    {"Patient flow", "flow", "figures", cmd_flow_figures, "flow figures [--date YYYY-MM-DD]",
     "the day's arrivals, no-shows, cancellations and waits"},
    {"Patient flow", NULL, "board", cmd_board,
     "board [--date YYYY-MM-DD] [--arrived-wait MIN] [--roomed-wait MIN] [--watch [--count N] "
     "[--timeout S] [--reconnect-limit N]]",
     "the day's board; --watch redraws it live until Ctrl-C"},
    {"Live data", NULL, "watch", cmd_watch,
     "watch [--count N] [--since SEQ] [--timeout S] [--reconnect-limit N] TOPIC...",
     "print change events until Ctrl-C (topics: inbox, users, patients, schedule, board, "
     "waitlist, staff, shifts, timeclock, approvals)"},
    /* Staff (client/cli/staff.c) */
    {"Staff", "staff", "add", cmd_staff_add,
     "staff add NAME [--title T] [--user USERNAME] [--supervisor STAFF] "
     "[--type full_time|part_time|per_diem] [--hired YYYY-MM-DD] [--phone N] [--email E] "
     "[--pay hourly|salaried]",
     "add a staff member (manager); --user links an account that has no staff record"},
    {"Staff", "staff", "list", cmd_staff_list, "staff list [--all] [--supervisor STAFF]",
     "the staff you may see: yourself, your reports, everyone for a manager (--all: those "
     "who left too)"},
    {"Staff", "staff", "show", cmd_staff_show, "staff show [STAFF] [--history]",
     "a staff record with credentials (STAFF: id or username; none: your own)"},
    {"Staff", "staff", "edit", cmd_staff_edit,
     "staff edit STAFF [--name N] [--title T] [--supervisor STAFF|none] [--type TYPE] "
     "[--hired D] [--phone N] [--email E] [--pay PAY] [--expect-version V]",
     "change a staff record (manager)"},
    {"Staff", "staff", "leave", cmd_staff_leave,
     "staff leave STAFF --reason TEXT [--on YYYY-MM-DD] [--expect-version V]",
     "mark a staff member as left, never deleted (manager); their reports move up the line"},
    {"Staff", "cred", "add", cmd_cred_add,
     "cred add STAFF --kind cpr_bls|state_license|certification|other --name N [--number N] "
     "[--issuer I] [--issued YYYY-MM-DD] [--expires YYYY-MM-DD]",
     "add a credential or licence (manager); inside 30 days of expiry it warns at once"},
    {"Staff", "cred", "list", cmd_cred_list, "cred list [STAFF] [--expiring DAYS] [--all]",
     "credentials by expiry (--all: renewed and removed ones too)"},
    {"Staff", "cred", "renew", cmd_cred_renew,
     "cred renew ID --expires YYYY-MM-DD [--issued D] [--number N] [--expect-version V]",
     "renew a credential: a new one replaces it, the old one is kept (manager)"},
    {"Staff", "cred", "remove", cmd_cred_remove,
     "cred remove ID --reason TEXT [--expect-version V]",
     "remove a credential, kept in history (manager)"},
    {"Staff", NULL, "dashboard", cmd_dashboard, "dashboard",
     "credentials expired or expiring within 30 days, staff without a supervisor, counts"},
    /* Shifts (client/cli/shifts.c, shift_templates.c) */
    {"Shifts", "desk", "add", cmd_desk_add, "desk add NAME [--min N]",
     "add a desk (front desk, phones, ...) with the staff it needs on duty (default 1)"},
    {"Shifts", "desk", "list", cmd_desk_list, "desk list [--all]", "list desks"},
    {"Shifts", "desk", "edit", cmd_desk_edit,
     "desk edit DESK [--name NAME] [--min N] [--active yes|no] [--expect-version N]",
     "change a desk"},
    {"Shifts", "shift", "add", cmd_shift_add,
     "shift add --staff ID --desk DESK --date D --start HH:MM --end HH:MM [--note TEXT] "
     "[--publish]",
     "add a shift (a draft unless --publish; an end not after the start is the next day)"},
    {"Shifts", "shift", "list", cmd_shift_list,
     "shift list [ID] [--from D] [--to D] [--staff ID] [--desk DESK] [--all]",
     "shifts by start (a week from today by default; --all: cancelled too)"},
    {"Shifts", "shift", "edit", cmd_shift_edit,
     "shift edit ID [--staff ID] [--desk DESK] [--date D] [--start HH:MM] [--end HH:MM] "
     "[--note TEXT] [--expect-version N]",
     "change a shift (a published one live at once)"},
    {"Shifts", "shift", "cancel", cmd_shift_cancel,
     "shift cancel ID [--reason TEXT] [--expect-version N]", "cancel a shift"},
    {"Shifts", "shift", "publish", cmd_shift_publish, "shift publish WEEK_START",
     "publish the drafts of the 7 days from WEEK_START"},
    {"Shifts", "shift", "template", cmd_shift_template,
     "shift template set NAME [DAYS/HH:MM-HH:MM/DESK/STAFF_ID...] [--expect-version N] | "
     "list [NAME] | apply NAME WEEK_START",
     "named weekly templates; apply drafts a week from one"},
    {"Shifts", "shift", "coverage", cmd_shift_coverage,
     "shift coverage [--from D] [--to D] [--desk DESK] [--drafts]",
     "on duty per desk and day against the minimum, gaps flagged"},
    {"Shifts", "shift", "swap", cmd_shift_swap,
     "shift swap propose MY_SHIFT OTHER_SHIFT [--note TEXT] | accept ID | decline ID | "
     "withdraw ID | list [--state S] [--all]",
     "swap shifts with another staff member (accepted swaps go to the manager)"},
    {"Shifts", "request", "swap", cmd_request_swap,
     "request swap MY_SHIFT OTHER_SHIFT [--note TEXT]", "the same as shift swap propose"},
    /* Time clock (client/cli/timeclock.c) */
    {"Time clock", "clock", "in", cmd_clock_in, "clock in", "clock in, from this workstation"},
    {"Time clock", "clock", "out", cmd_clock_out, "clock out",
     "clock out (an open break ends with it)"},
    {"Time clock", "clock", "break", cmd_clock_break, "clock break start|end [--paid]",
     "start or end a break (unpaid unless --paid)"},
    {"Time clock", "clock", "status", cmd_clock_status, "clock status [--staff ID]",
     "on the clock or not, and today's hours (yours, or a report's)"},
    {"Time clock", "clock", "punches", cmd_clock_punches,
     "clock punches [--staff ID] [--from DATE] [--to DATE] [--history]",
     "punches with breaks (default: the last 14 days; --history: corrected versions too)"},
    {"Time clock", "timesheet", "show", cmd_timesheet_show,
     "timesheet show [--staff ID] [--date DATE] [--previous]",
     "a pay period's timesheet: hours per day, breaks, regular and overtime"},
    {"Time clock", "timesheet", "export", cmd_timesheet_export,
     "timesheet export [--date DATE|--from DATE] [--period current|previous] [--per-day] "
     "[--output FILE]",
     "payroll's CSV of a pay period (to FILE, or stdout), one line per staff member or day"},
    {"Time clock", "paypolicy", "show", cmd_paypolicy_show, "paypolicy show",
     "the pay periods, overtime rules and break rule"},
    {"Time clock", "paypolicy", "set", cmd_paypolicy_set,
     "paypolicy set [--period weekly|biweekly|semimonthly] [--anchor DATE] [--daily-ot MIN] "
     "[--weekly-ot MIN] [--break-after MIN] [--break MIN] [--expect-version N]",
     "change the pay policy (payroll; 0 turns a rule off)"},
    {"Time clock", "request", "correction", cmd_request_correction,
     "request correction --punch ID|--missing --in TIME [--out TIME] [--break] --reason TEXT",
     "ask for a timesheet correction (TIME: \"YYYY-MM-DD HH:MM\", local); --break: a forgotten "
     "unpaid break within the punch"},
    /* Requests and approvals (client/cli/requests.c, approvals.c, balances.c) */
    {"Requests and approvals", "request", "timeoff", cmd_request_timeoff,
     "request timeoff --type vacation|sick|personal|unpaid --from YYYY-MM-DD [--to YYYY-MM-DD] "
     "[--start HH:MM] [--end HH:MM] [--reason TEXT]",
     "ask for time off (--start/--end: a part day); over the balance it is filed and flagged"},
    {"Requests and approvals", "request", "overtime", cmd_request_overtime,
     "request overtime SHIFT [--minutes N|2h30] [--reason TEXT]",
     "ask to work one of your shifts as overtime"},
    {"Requests and approvals", "request", "expense", cmd_request_expense,
     "request expense --amount DOLLARS --category mileage|supplies|travel|meals|training|postage|"
     "other [--receipt NOTE] [--date YYYY-MM-DD]",
     "ask for an expense to be reimbursed"},
    {"Requests and approvals", "request", "list", cmd_request_list,
     "request list [--all|--inbox] [--state S] [--kind K] [--staff ID] [--limit N]",
     "your requests, newest first (--all: everyone's you may see; --inbox: waiting for you)"},
    {"Requests and approvals", "request", "show", cmd_request_show, "request show ID",
     "one request with who decided it, when and why"},
    {"Requests and approvals", "request", "withdraw", cmd_request_withdraw,
     "request withdraw ID [--comment C] [--expect-version V]", "withdraw your own pending request"},
    {"Requests and approvals", "request", "cancel", cmd_request_cancel,
     "request cancel ID --comment C [--expect-version V]",
     "cancel approved time off (its shifts come back, the balance gets the time back)"},
    {"Requests and approvals", NULL, "approvals", cmd_approvals,
     "approvals [--kind K] [--watch [--count N] [--timeout S] [--reconnect-limit N]]",
     "the requests waiting for you: counts per kind and age, then the list; --watch: live"},
    {"Requests and approvals", NULL, "approve", cmd_approve,
     "approve ID... [--comment C] [--override] [--expect-version V]",
     "approve one or many requests, each on its own (--override: below a desk minimum)"},
    {"Requests and approvals", NULL, "deny", cmd_deny, "deny ID --comment C [--expect-version V]",
     "deny a request, saying why"},
    {"Requests and approvals", NULL, "balance", cmd_balance, "balance [--staff ID] [--ledger]",
     "time-off balances per type: accrued, used, pending, available (--ledger: every entry)"},
    {"Requests and approvals", "accrual", "show", cmd_accrual_show, "accrual show",
     "the time-off accrual per pay period and cap of each type"},
    {"Requests and approvals", "accrual", "set", cmd_accrual_set,
     "accrual set vacation|sick|personal --minutes N|4h [--cap N|80h] [--expect-version V]",
     "set a type's accrual per pay period and cap (payroll)"},
    {"Requests and approvals", "accrual", "adjust", cmd_accrual_adjust,
     "accrual adjust STAFF --type T --minutes -90|8h --reason TEXT",
     "adjust a staff member's balance by hand, with the reason (payroll)"},
};

static void print_help(FILE *f)
{
    fprintf(f, "usage: clinic [--server HOST:PORT] [--ca FILE] [--cert FILE] [--key FILE] "
               "[--json] COMMAND [ARGS]\n");
    const char *section = NULL;
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++) {
        const cli_command_t *c = &commands[i];
        if (section == NULL || strcmp(section, c->section) != 0) {
            section = c->section;
            fprintf(f, "\n%s:\n", section);
        }
        fprintf(f, "  clinic %s\n      %s\n", c->usage, c->summary);
    }
    fprintf(f,
            "\nOptions (anywhere on the line, before a `--`):\n"
            "  --server HOST:PORT  the server (default %s)\n"
            "  --ca FILE           the clinic's CA certificate, the only one trusted\n"
            "  --cert FILE         this workstation's certificate\n"
            "  --key FILE          its private key\n"
            "  --json              one JSON object per result on stdout\n"
            "  --help, --version\n"
            "\nSettings come from the flags, else the environment (CLINIC_SERVER, CLINIC_CA,\n"
            "CLINIC_CERT, CLINIC_KEY), else CONFIG/clinic.conf (lines `key = value` with keys\n"
            "server, ca, cert, key). CONFIG is $CLINIC_CONFIG_DIR, else $XDG_CONFIG_HOME/clinic,\n"
            "else ~/.config/clinic; `clinic login` keeps the session token in CONFIG/session\n"
            "(mode 0600).\n"
            "\nExit status:\n"
            "  0  ok\n"
            "  1  usage error (bad command line or configuration)\n"
            "  2  cannot reach the server, TLS failure, or the server is unavailable\n"
            "  3  not logged in, session expired, or bad username or password\n"
            "  4  permission denied\n"
            "  5  not found\n"
            "  6  conflict (stale version, already exists) or failed precondition\n"
            "  7  invalid argument (rejected by the server)\n"
            "  8  resource exhausted (a limit was reached)\n"
            "  9  internal error\n",
            CL_SETTINGS_DEFAULT_SERVER);
}

/* --- main -------------------------------------------------------------------------------- */

/* Takes the global options out of argv (up to a `--`), leaving the rest in order in `rest`. */
static int take_globals(int argc, char **argv, cl_settings_t *flags, int *json, int *help,
                        char **rest, int *nrest)
{
    static const struct {
        const char *name;
        size_t off;
    } valued[] = {
        {"--server", offsetof(cl_settings_t, server)},
        {"--ca", offsetof(cl_settings_t, ca)},
        {"--cert", offsetof(cl_settings_t, cert)},
        {"--key", offsetof(cl_settings_t, key)},
    };
    *nrest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                rest[(*nrest)++] = argv[i++];
            break;
        }
        if (strcmp(a, "--json") == 0) {
            *json = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            printf("clinic %s (protocol %d)\n", CLINIC_VERSION, CL_PROTOCOL_VERSION);
            exit(0);
        }
        size_t k;
        const char *value = NULL;
        for (k = 0; k < CL_ARRAY_SIZE(valued); k++) {
            size_t len = strlen(valued[k].name);
            if (strncmp(a, valued[k].name, len) != 0)
                continue;
            if (a[len] == '=') {
                value = a + len + 1;
                break;
            }
            if (a[len] == '\0') {
                if (i + 1 >= argc)
                    return cli_usage_error(NULL, "%s needs a value", valued[k].name);
                value = argv[++i];
                break;
            }
        }
        if (k == CL_ARRAY_SIZE(valued)) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        if (value[0] == '\0' || strlen(value) >= CL_SETTING_MAX)
            return cli_usage_error(NULL, "%s: bad value", valued[k].name);
        snprintf((char *)flags + valued[k].off, CL_SETTING_MAX, "%s", value);
    }
    return 0;
}

static const cli_command_t *find_command(int nrest, char **rest, int *words)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++) {
        const cli_command_t *c = &commands[i];
        if (c->group == NULL && nrest >= 1 && strcmp(rest[0], c->name) == 0) {
            *words = 1;
            return c;
        }
        if (c->group && nrest >= 2 && strcmp(rest[0], c->group) == 0 &&
            strcmp(rest[1], c->name) == 0) {
            *words = 2;
            return c;
        }
    }
    return NULL;
}

static int unknown_command(int nrest, char **rest)
{
    int group = 0;
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++)
        group |= commands[i].group && strcmp(commands[i].group, rest[0]) == 0;
    if (!group)
        return cli_usage_error(NULL, "unknown command '%s'", rest[0]);
    if (nrest > 1)
        fprintf(stderr, "clinic: unknown command '%s %s'\n", rest[0], rest[1]);
    else
        fprintf(stderr, "clinic: '%s' needs a subcommand\n", rest[0]);
    for (size_t i = 0; i < CL_ARRAY_SIZE(commands); i++) {
        if (commands[i].group && strcmp(commands[i].group, rest[0]) == 0)
            fprintf(stderr, "usage: clinic %s\n", commands[i].usage);
    }
    return CL_EXIT_USAGE;
}

/* Resolves the settings: flags, then the environment, then the file in the config directory. */
static int load_settings(cli_t *cli, const cl_settings_t *flags)
{
    cl_settings_t env = {0}, file = {0};
    cl_settings_from_env(&env);
    if (cl_settings_dir(cli->config_dir, sizeof(cli->config_dir)) == 0) {
        char path[CL_SETTING_MAX + 32], err[CL_SETTING_MAX + 128];
        snprintf(path, sizeof(path), "%s/%s", cli->config_dir, CL_SETTINGS_FILE);
        if (cl_settings_load(&file, path, err, sizeof(err)) != 0)
            return cli_input_error("%s", err);
    } else {
        cli->config_dir[0] = '\0';
    }
    cl_settings_merge(&cli->settings, flags, &env, &file);
    return 0;
}

int main(int argc, char **argv)
{
    cli_t cli = {.timeout_ms = DEFAULT_TIMEOUT_MS};
    cl_settings_t flags = {0};
    int help = 0, nrest = 0, words = 0, rc;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL)
        return CL_EXIT_INTERNAL;

    cl_log_set_name("clinic");
    signal(SIGPIPE, SIG_IGN);
    /* Each result line reaches a pipe at once (tests and scripts read `watch` as it goes). */
    setvbuf(stdout, NULL, _IOLBF, 0);

    rc = take_globals(argc, argv, &flags, &cli.json, &help, rest, &nrest);
    if (rc != 0)
        goto out;
    if (nrest > 0 && strcmp(rest[0], "help") == 0) {
        help = 1;
        memmove(rest, rest + 1, (size_t)nrest * sizeof(*rest));
        nrest--;
    }
    if (nrest == 0) {
        print_help(help ? stdout : stderr);
        rc = help ? CL_EXIT_OK : CL_EXIT_USAGE;
        goto out;
    }
    const cli_command_t *cmd = find_command(nrest, rest, &words);
    if (cmd == NULL) {
        rc = help ? (print_help(stdout), CL_EXIT_OK) : unknown_command(nrest, rest);
        goto out;
    }
    if (help) {
        printf("usage: clinic %s\n  %s\nRun 'clinic --help' for the options and exit statuses.\n",
               cmd->usage, cmd->summary);
        rc = CL_EXIT_OK;
        goto out;
    }
    if ((rc = load_settings(&cli, &flags)) != 0)
        goto out;
    rc = cmd->run(&cli, cmd, nrest - words, rest + words);
    /* A reader that went away (`clinic ... | head -1`) has seen what it wanted. */
    int out_errno = cli_flush();
    if (rc == 0 && out_errno != 0 && out_errno != EPIPE)
        rc = cli_error(CL_EIO, "cannot write the output: %s", strerror(out_errno));
out:
    cl_sync_close(cli.sync);
    cl_json_free(&cli.j);
    free(rest);
    return rc;
}
