/* The time clock against a real clinicd: clocking in and out over TLS from workstation ws1 records
 * the workstation, a staff member cannot read another's timesheet while a manager can, and the
 * `clinic clock`, `timesheet` and `paypolicy` commands end to end, with payroll's CSV written to
 * a file and given in --json. */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

CL_TEST(clock_in_and_out_from_a_workstation_and_who_may_read_the_timesheet)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "alice", "front_desk");
    harness_add_user(&h, "bob", "staff");
    harness_add_user(&h, "boss", "manager");
    cl_sync_t *alice = harness_login(&h, "alice");
    cl_sync_t *bob = harness_login(&h, "bob");
    cl_sync_t *boss = harness_login(&h, "boss");

    Clinic__ClockInRequest in = CLINIC__CLOCK_IN_REQUEST__INIT;
    const Clinic__Punch *p =
        harness_send_ok(alice, CLINIC__REQUEST__BODY_CLOCK_IN, &in)->clock_in->punch;
    ASSERT_STR_EQ(p->in_workstation, "ws1");
    ASSERT_STR_EQ(p->in_user, "alice");
    uint64_t alice_staff = p->staff_id, punch = p->id;

    /* Punching in twice: FAILED_PRECONDITION naming the open punch. */
    const Clinic__Response *resp;
    ASSERT_EQ(harness_send(alice, CLINIC__REQUEST__BODY_CLOCK_IN, &in, &resp), CL_EPRECOND);
    ASSERT_STR_CONTAINS(resp->status->message, "already clocked in since");

    Clinic__ClockOutRequest out = CLINIC__CLOCK_OUT_REQUEST__INIT;
    p = harness_send_ok(alice, CLINIC__REQUEST__BODY_CLOCK_OUT, &out)->clock_out->punch;
    ASSERT_EQ(p->id, punch);
    ASSERT_STR_EQ(p->out_workstation, "ws1");
    ASSERT_GT(p->out_at, 0);
    /* Out again: nothing open. */
    ASSERT_EQ(harness_send(alice, CLINIC__REQUEST__BODY_CLOCK_OUT, &out, &resp), CL_EPRECOND);

    Clinic__TimesheetShowRequest ts = CLINIC__TIMESHEET_SHOW_REQUEST__INIT;
    ts.staff_id = alice_staff;
    ASSERT_EQ(harness_send(bob, CLINIC__REQUEST__BODY_TIMESHEET_SHOW, &ts, &resp), CL_EPERM);
    const Clinic__Timesheet *t =
        harness_send_ok(boss, CLINIC__REQUEST__BODY_TIMESHEET_SHOW, &ts)->timesheet_show->timesheet;
    ASSERT_EQ(t->staff_id, alice_staff);
    ASSERT_EQ(t->n_punches, 1);
    t = harness_send_ok(alice, CLINIC__REQUEST__BODY_TIMESHEET_SHOW, &ts)
            ->timesheet_show->timesheet;
    ASSERT_EQ(t->n_punches, 1);

    /* Export is payroll's: a staff member is refused by the dispatch table. */
    Clinic__TimesheetExportRequest ex = CLINIC__TIMESHEET_EXPORT_REQUEST__INIT;
    ASSERT_EQ(harness_send(alice, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &ex, &resp), CL_EPERM);
    const Clinic__TimesheetExportReply *r =
        harness_send_ok(boss, CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, &ex)->timesheet_export;
    ASSERT_EQ(r->rows, 1);
    ASSERT_STR_CONTAINS(r->csv, "staff_id,staff_name,period_first");

    cl_sync_close(alice);
    cl_sync_close(bob);
    cl_sync_close(boss);
    harness_stop(&h);
}

CL_TEST(timeclock_from_the_command_line)
{
    cl_harness_t h;
    harness_start(&h, HARNESS_CHICAGO);
    harness_add_user(&h, "alice", "front_desk");
    harness_add_user(&h, "bob", "staff");
    harness_add_user(&h, "boss", "manager");
    char out[16384];

    harness_clinic_login(&h, "alice");
    HARNESS_CLINIC_OK(&h, out, "--json", "clock", "in");
    ASSERT_STR_CONTAINS(out, "\"in_workstation\":\"ws1\"");
    ASSERT_STR_CONTAINS(out, "\"out_at\":0");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "clock", "in"), 6);
    ASSERT_STR_CONTAINS(out, "already clocked in since");
    HARNESS_CLINIC_OK(&h, out, "clock", "break", "start");
    ASSERT_STR_CONTAINS(out, "unpaid break");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "clock", "break", "start", "--paid"), 6);
    HARNESS_CLINIC_OK(&h, out, "--json", "clock", "status");
    ASSERT_STR_CONTAINS(out, "\"clocked_in\":true");
    ASSERT_STR_CONTAINS(out, "\"on_break\":true");
    HARNESS_CLINIC_OK(&h, out, "clock", "out");
    ASSERT_STR_CONTAINS(out, "your open break ended with it");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "clock", "out"), 6);
    ASSERT_STR_CONTAINS(out, "not clocked in");
    HARNESS_CLINIC_OK(&h, out, "--json", "timesheet", "show");
    ASSERT_STR_CONTAINS(out, "\"period\":\"weekly\"");
    ASSERT_STR_CONTAINS(out, "\"punches\":1,");
    /* A correction is a request: filed, not applied. */
    HARNESS_CLINIC_OK(&h, out, "--json", "request", "correction", "--missing", "--in",
                      "2024-01-02 08:00", "--out", "2024-01-02 12:00", "--reason",
                      "forgot to clock in");
    ASSERT_STR_CONTAINS(out, "\"request_id\":");
    ASSERT_STR_CONTAINS(out, "\"punch\":null");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "request", "correction", "--missing", "--in",
                             "2024-01-02 08:00", "--reason", "no end"),
              7);
    /* A correction of a punch may give --out alone (the server keeps the punch's in time), and
     * must give one of them: this one reaches the server, which has no punch 999. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "request", "correction", "--punch", "999", "--out",
                             "2024-01-02 12:00", "--reason", "left late"),
              5);
    ASSERT_STR_CONTAINS(out, "no punch 999");
    ASSERT_EQ(
        HARNESS_CLINIC(&h, out, "request", "correction", "--punch", "999", "--reason", "nothing"),
        1);
    ASSERT_STR_CONTAINS(out, "give --in, --out or both");
    HARNESS_CLINIC_OK(&h, out, "clock", "punches");
    ASSERT_STR_CONTAINS(out, ": 1\n");
    HARNESS_CLINIC_OK(&h, out, "paypolicy", "show");
    ASSERT_STR_CONTAINS(out, "Weekly overtime: after 40:00");
    /* Setting the policy and exporting are payroll's: exit 4 for a staff member. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "paypolicy", "set", "--daily-ot", "480"), 4);
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "timesheet", "export"), 4);

    harness_clinic_login(&h, "bob");
    /* Alice's staff id is 2 (the admin made at init is 1); bob may not read it. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "timesheet", "show", "--staff", "2"), 4);

    harness_clinic_login(&h, "boss");
    HARNESS_CLINIC_OK(&h, out, "timesheet", "show", "--staff", "2");
    ASSERT_STR_CONTAINS(out, "Timesheet of alice (staff 2)");
    HARNESS_CLINIC_OK(&h, out, "--json", "paypolicy", "set", "--daily-ot", "480");
    ASSERT_STR_CONTAINS(out, "\"daily_overtime_minutes\":480");
    ASSERT_STR_CONTAINS(out, "\"version\":2");
    ASSERT_EQ(
        HARNESS_CLINIC(&h, out, "paypolicy", "set", "--weekly-ot", "2000", "--expect-version", "1"),
        6);
    ASSERT_STR_CONTAINS(out, "stale");

    char file[256];
    snprintf(file, sizeof(file), "%s/payroll.csv", h.dir);
    HARNESS_CLINIC_OK(&h, out, "timesheet", "export", "--output", file);
    ASSERT_STR_CONTAINS(out, "Wrote 1 row");
    FILE *f = fopen(file, "r");
    ASSERT_NOT_NULL(f);
    char csv[4096];
    size_t n = fread(csv, 1, sizeof(csv) - 1, f);
    fclose(f);
    csv[n] = '\0';
    const char *header = "staff_id,staff_name,period_first,period_last,worked_minutes,";
    ASSERT_EQ(strncmp(csv, header, strlen(header)), 0);
    ASSERT_STR_CONTAINS(csv, "\r\n2,alice,");
    HARNESS_CLINIC_OK(&h, out, "--json", "timesheet", "export", "--per-day");
    ASSERT_STR_CONTAINS(out, "\"rows\":1");
    ASSERT_STR_CONTAINS(out, "\"csv\":\"staff_id,staff_name,date,");
    /* The CSV on stdout without --output. */
    HARNESS_CLINIC_OK(&h, out, "timesheet", "export", "--period", "previous");
    ASSERT_EQ(strncmp(out, header, strlen(header)), 0);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(clock_in_and_out_from_a_workstation_and_who_may_read_the_timesheet),
             CL_TEST_ENTRY(timeclock_from_the_command_line))
