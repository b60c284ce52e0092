/* The `clinic` command line and the `clinicd` admin commands against a real clinicd, as a user
 * and an administrator would type them: JSON output, exit statuses by class, the stored session,
 * a watch that survives a server restart, and an online backup. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

CL_TEST(login_whoami_and_session_file)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[8192];
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "whoami"), 3);
    ASSERT_STR_CONTAINS(out, "login");
    ASSERT_EQ(
        HARNESS_CLINIC(&h, out, "login", "--user", "admin", "--password-file", "/nonexistent"), 1);
    HARNESS_CLINIC_OK(&h, out, "--json", "login", "--user", "admin", "--password-file",
                      h.password_file);
    ASSERT_STR_CONTAINS(out, "\"username\":\"admin\"");
    /* The token is stored, private, and never printed. */
    char session[300];
    snprintf(session, sizeof(session), "%s/clientconf/session", h.dir);
    struct stat st;
    ASSERT_OK(stat(session, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);
    ASSERT(strstr(out, "token") == NULL);

    HARNESS_CLINIC_OK(&h, out, "--json", "whoami");
    ASSERT_STR_CONTAINS(out, "\"username\":\"admin\"");
    ASSERT_STR_CONTAINS(out, "\"workstation\":\"ws1\"");
    HARNESS_CLINIC_OK(&h, out, "ping");
    HARNESS_CLINIC_OK(&h, out, "logout");
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "whoami"), 3);
    harness_stop(&h);
}

CL_TEST(exit_status_by_class_of_error)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "frontdesk", "front_desk");
    char out[8192];
    harness_clinic_login(&h, "frontdesk");
    /* Permission denied: 4, with the reason on one line of stderr. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "user", "list"), 4);
    ASSERT_STR_CONTAINS(out, "clinic: ");
    ASSERT_STR_CONTAINS(out, "permission");
    /* Not found: 5. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "msg", "send", "--to", "nosuchuser", "hello"), 5);
    /* Invalid argument naming the field: 7. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "msg", "list", "--limit", "501"), 7);
    ASSERT_STR_CONTAINS(out, "limit");
    /* Usage: 1. */
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "msg", "frobnicate"), 1);
    /* Unreachable: 2. */
    setenv("CLINIC_SERVER", "127.0.0.1:1", 1);
    char *argv[] = {(char *)harness_clinic(), "ping", NULL};
    ASSERT_EQ(harness_run(argv, out, sizeof(out)), 2);
    harness_stop(&h);
}

CL_TEST(messages_and_users_from_the_command_line)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[16384];
    harness_clinic_login(&h, "admin");
    int rc =
        HARNESS_CLINIC(&h, out, "user", "add", "nurse", "--roles", "clinician", "--password-file");
    ASSERT_NE(rc, 0); /* --password-file needs its value */
    char add_out[4096];
    char confdir[300];
    snprintf(confdir, sizeof(confdir), "%s/clientconf", h.dir);
    char *add[] = {(char *)harness_clinic(),
                   "user",
                   "add",
                   "nurse",
                   "--roles",
                   "clinician",
                   "--full-name",
                   "Nora Nurse",
                   "--password-file",
                   h.password_file,
                   NULL};
    rc = harness_run(add, add_out, sizeof(add_out));
    if (rc != 0)
        CL_FAIL("user add: %d: %s", rc, add_out);
    HARNESS_CLINIC_OK(&h, out, "--json", "user", "list");
    ASSERT_STR_CONTAINS(out, "\"username\":\"nurse\"");
    ASSERT_OK(
        HARNESS_CLINIC(&h, out, "msg", "send", "--to", "nurse", "Lab results for room 2 are in"));
    HARNESS_CLINIC_OK(&h, out, "logout");
    harness_clinic_login(&h, "nurse");
    HARNESS_CLINIC_OK(&h, out, "--json", "msg", "list", "--unread");
    ASSERT_STR_CONTAINS(out, "Lab results for room 2 are in");
    ASSERT_STR_CONTAINS(out, "\"sender\":\"admin\"");
    /* An administrator sees it all in the audit log. */
    HARNESS_CLINIC_OK(&h, out, "logout");
    harness_clinic_login(&h, "admin");
    HARNESS_CLINIC_OK(&h, out, "--json", "audit", "--user", "nurse");
    ASSERT_STR_CONTAINS(out, "message.list");
    HARNESS_CLINIC_OK(&h, out, "--json", "status");
    ASSERT_STR_CONTAINS(out, "\"connections\"");
    harness_stop(&h);
}

CL_TEST(watch_survives_a_server_restart)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    harness_clinic_login(&h, "nurse");
    cl_sync_t *admin = harness_login(&h, "admin");

    /* clinic --json watch --count 3 inbox, in the background, its output to a file. */
    char watch_out[300];
    snprintf(watch_out, sizeof(watch_out), "%s/watch.out", h.dir);
    pid_t pid = harness_spawn_clinic(
        &h, watch_out,
        (const char *[]){"--json", "watch", "--count", "3", "--timeout", "30", "inbox", NULL});
    usleep(700 * 1000); /* let it subscribe */
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "nurse";
    m.body = "one";
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(admin, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));
    cl_sync_close(admin);
    usleep(300 * 1000);

    /* The server goes away; two messages come while the watch is reconnecting. */
    harness_sigterm(&h);
    harness_serve(&h);
    admin = harness_login(&h, "admin");
    m.body = "two";
    ASSERT_OK(harness_send(admin, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));
    m.body = "three";
    ASSERT_OK(harness_send(admin, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));
    cl_sync_close(admin);

    ASSERT_EQ(harness_wait_child(pid, 30000, "clinic watch (to see 3 events)"), 0);
    FILE *f = fopen(watch_out, "r");
    ASSERT_NOT_NULL(f);
    char line[1024];
    int lines = 0;
    uint64_t last = 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "\"seq\":");
        if (p == NULL)
            continue; /* a note about reconnecting, not an event */
        uint64_t seq = strtoull(p + 6, NULL, 10);
        ASSERT_GT(seq, last); /* in order, none twice */
        last = seq;
        lines++;
    }
    fclose(f);
    ASSERT_EQ(lines, 3);
    harness_stop(&h);
}

CL_TEST(backup_while_serving_and_audit_verify)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *admin = harness_login(&h, "admin");
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "nurse";
    m.body = "in the backup";
    const Clinic__Response *resp;
    for (int i = 0; i < 20; i++)
        ASSERT_OK(harness_send(admin, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));

    char out[4096], file[300];
    snprintf(file, sizeof(file), "%s/backup.db", h.dir);
    /* What a killed backup left (FILE.tmp.PID of a process that is gone) the next one removes. */
    pid_t gone = fork();
    ASSERT(gone >= 0);
    if (gone == 0)
        _exit(0);
    ASSERT_EQ(waitpid(gone, NULL, 0), gone);
    char left[340];
    snprintf(left, sizeof(left), "%s.tmp.%ld", file, (long)gone);
    FILE *f = fopen(left, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_OK(fclose(f));
    char *backup[] = {(char *)harness_clinicd(), "backup", "--data", h.data, "--to", file, NULL};
    int rc = harness_run(backup, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("backup: %d: %s", rc, out);
    struct stat st;
    ASSERT_OK(stat(file, &st));
    ASSERT_GT(st.st_size, 0);
    ASSERT_NE(access(left, F_OK), 0);

    /* The server knows when the last backup was. */
    Clinic__ServerStatusRequest ss = CLINIC__SERVER_STATUS_REQUEST__INIT;
    ASSERT_OK(harness_send(admin, CLINIC__REQUEST__BODY_SERVER_STATUS, &ss, &resp));
    ASSERT_GT(resp->server_status->last_backup_at, 0);
    cl_sync_close(admin);

    harness_assert_audit_verifies(&h);
    harness_stop(&h);
}

/* A session file whose token is not the shape of one (damaged, edited by hand) made every command
 * fail with INVALID_ARGUMENT until it was removed by hand. Now the first command removes it and
 * says to log in: exit 3, as for an expired session. */
CL_TEST(damaged_session_file_is_dropped_with_a_login_hint)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[8192], session[300];
    harness_clinic_login(&h, "admin");
    snprintf(session, sizeof(session), "%s/clientconf/session", h.dir);
    FILE *f = fopen(session, "w");
    ASSERT_NOT_NULL(f);
    fprintf(f, "server = %s\ntoken = not-a-token\n", h.server);
    ASSERT_OK(fclose(f));

    ASSERT_EQ(HARNESS_CLINIC(&h, out, "whoami"), 3);
    ASSERT_STR_CONTAINS(out, "damaged");
    ASSERT_STR_CONTAINS(out, "clinic login");
    ASSERT_NE(access(session, F_OK), 0);
    ASSERT_EQ(HARNESS_CLINIC(&h, out, "whoami"), 3);
    ASSERT_STR_CONTAINS(out, "not logged in");
    harness_clinic_login(&h, "admin");
    HARNESS_CLINIC_OK(&h, out, "whoami");
    harness_stop(&h);
}

/* The backup is renamed over FILE at the end: a device or a pipe named by --to used to be
 * replaced by a regular file of patient data (`--to /dev/null`). */
CL_TEST(backup_refuses_a_target_that_is_not_a_regular_file)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[4096], pipe_path[300];
    snprintf(pipe_path, sizeof(pipe_path), "%s/pipe", h.dir);
    ASSERT_OK(mkfifo(pipe_path, 0600));
    char *backup[] = {
        (char *)harness_clinicd(), "backup", "--data", h.data, "--to", pipe_path, NULL};
    ASSERT_EQ(harness_run(backup, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "not a regular file");
    struct stat st;
    ASSERT_OK(lstat(pipe_path, &st));
    ASSERT(S_ISFIFO(st.st_mode));
    harness_stop(&h);
}

/* A password file was read with fgets: "abcdefghij\0klmnop" set the password "abcdefghij", a
 * weaker one than the administrator wrote, without a word. */
CL_TEST(password_file_with_a_nul_byte_is_refused)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[4096], pw[300];
    snprintf(pw, sizeof(pw), "%s/nul-password", h.dir);
    FILE *f = fopen(pw, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fwrite("abcdefghij\0klmnop\n", 1, 18, f), 18);
    ASSERT_OK(fclose(f));
    char *add[] = {
        (char *)harness_clinicd(), "user", "add", "nurse", "--data", h.data, "--roles", "clinician",
        "--password-file",         pw,     NULL};
    ASSERT_EQ(harness_run(add, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "NUL byte");
    char *list[] = {(char *)harness_clinicd(), "user", "list", "--data", h.data, NULL};
    ASSERT_OK(harness_run(list, out, sizeof(out)));
    ASSERT(strstr(out, "nurse") == NULL);
    harness_stop(&h);
}

/* Without clinicd.conf, `serve` used to start on the defaults: another clinic name, address,
 * time zone and limits, without a word. */
CL_TEST(serve_refuses_a_data_directory_without_its_settings)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_kill(&h);
    char conf[300], aside[300], out[4096];
    snprintf(conf, sizeof(conf), "%s/clinicd.conf", h.data);
    snprintf(aside, sizeof(aside), "%s/clinicd.conf.aside", h.dir);
    ASSERT_OK(rename(conf, aside));
    char *serve[] = {
        "/usr/bin/timeout", "20", (char *)harness_clinicd(), "serve", "--data", h.data, "--listen",
        "127.0.0.1:0",      NULL};
    int rc = harness_run(serve, out, sizeof(out));
    ASSERT_NE(rc, 0);
    ASSERT_NE(rc, 124); /* refused at once, not served until the timeout */
    ASSERT_STR_CONTAINS(out, "clinicd.conf is missing");
    ASSERT_OK(rename(aside, conf));
    harness_serve(&h);
    harness_stop(&h);
}

/* The hash chain cannot show rows cut from its end, and an emptied log verified as "intact: 0
 * rows". clinicd init writes the first row, so an empty log is always a removal. */
CL_TEST(audit_verify_refuses_an_emptied_log)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_kill(&h);
    harness_sql(&h, "DROP TRIGGER audit_no_delete; DELETE FROM audit; CREATE TRIGGER "
                    "audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit "
                    "log is append-only'); END;");
    char out[4096];
    char *verify[] = {(char *)harness_clinicd(), "audit", "verify", "--data", h.data, NULL};
    ASSERT_EQ(harness_run(verify, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "audit log is empty");
    harness_stop(&h);
}

/* A backup of another clinic restored without a word: its users and workstations replaced this
 * clinic's, whose enrolled workstations then vanished from the database while their certificates
 * stayed valid. A backup carries its clinic's CA fingerprint, and restore compares it. */
CL_TEST(restore_refuses_another_clinics_backup)
{
    cl_harness_t ours, theirs;
    harness_start(&ours, NULL);
    harness_start(&theirs, NULL);
    char out[4096], file[300];
    snprintf(file, sizeof(file), "%s/theirs.db", ours.dir);
    char *backup[] = {
        (char *)harness_clinicd(), "backup", "--data", theirs.data, "--to", file, NULL};
    ASSERT_OK(harness_run(backup, out, sizeof(out)));
    harness_stop(&theirs);

    harness_kill(&ours);
    char *restore[] = {
        (char *)harness_clinicd(), "restore", "--data", ours.data, "--from", file, NULL};
    ASSERT_EQ(harness_run(restore, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "another clinic");
    ASSERT_STR_CONTAINS(out, "nothing was changed");
    harness_serve(&ours);
    harness_assert_audit_verifies(&ours);
    harness_stop(&ours);
}

/* Disabling a user who is already disabled changes nothing, so it writes no second audit row
 * (it used to say "disabled" again and record another user.disable). */
CL_TEST(disabling_a_disabled_user_records_nothing)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    char out[4096];
    char *disable[] = {
        (char *)harness_clinicd(), "user", "disable", "nurse", "--data", h.data, NULL};
    ASSERT_OK(harness_run(disable, out, sizeof(out)));
    ASSERT_STR_CONTAINS(out, "user nurse disabled");
    ASSERT_OK(harness_run(disable, out, sizeof(out)));
    ASSERT_STR_CONTAINS(out, "already disabled");
    ASSERT_EQ(harness_sql(&h, "SELECT count(*) FROM audit WHERE action = 'user.disable'"), 1);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(login_whoami_and_session_file),
             CL_TEST_ENTRY(damaged_session_file_is_dropped_with_a_login_hint),
             CL_TEST_ENTRY(exit_status_by_class_of_error),
             CL_TEST_ENTRY(messages_and_users_from_the_command_line),
             CL_TEST_ENTRY(watch_survives_a_server_restart),
             CL_TEST_ENTRY(backup_while_serving_and_audit_verify),
             CL_TEST_ENTRY(backup_refuses_a_target_that_is_not_a_regular_file),
             CL_TEST_ENTRY(password_file_with_a_nul_byte_is_refused),
             CL_TEST_ENTRY(serve_refuses_a_data_directory_without_its_settings),
             CL_TEST_ENTRY(audit_verify_refuses_an_emptied_log),
             CL_TEST_ENTRY(restore_refuses_another_clinics_backup),
             CL_TEST_ENTRY(disabling_a_disabled_user_records_nothing))
