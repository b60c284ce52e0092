/* The `clinic` command line and the `clinicd` admin commands against a real clinicd, as a user
 * and an administrator would type them: JSON output, exit statuses by class, the stored session,
 * a watch that survives a server restart, and an online backup. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define clinic(h, out, outlen, ...) harness_run_clinic((h), (out), (outlen), (const char *[]){__VA_ARGS__, NULL})

CL_TEST(login_whoami_and_session_file)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[8192];
    ASSERT_EQ(clinic(&h, out, sizeof(out), "whoami"), 3);
    ASSERT_STR_CONTAINS(out, "login");
    ASSERT_EQ(clinic(&h, out, sizeof(out), "login", "--user", "admin", "--password-file",
                     "/nonexistent"),
              1);
    int rc = clinic(&h, out, sizeof(out), "--json", "login", "--user", "admin",
                    "--password-file", h.password_file);
    if (rc != 0)
        CL_FAIL("login: %d: %s", rc, out);
    ASSERT_STR_CONTAINS(out, "\"username\":\"admin\"");
    /* The token is stored, private, and never printed. */
    char session[300];
    snprintf(session, sizeof(session), "%s/clientconf/session", h.dir);
    struct stat st;
    ASSERT_OK(stat(session, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);
    ASSERT(strstr(out, "token") == NULL);

    ASSERT_OK(clinic(&h, out, sizeof(out), "--json", "whoami"));
    ASSERT_STR_CONTAINS(out, "\"username\":\"admin\"");
    ASSERT_STR_CONTAINS(out, "\"workstation\":\"ws1\"");
    ASSERT_OK(clinic(&h, out, sizeof(out), "ping"));
    ASSERT_OK(clinic(&h, out, sizeof(out), "logout"));
    ASSERT_EQ(clinic(&h, out, sizeof(out), "whoami"), 3);
    harness_stop(&h);
}

CL_TEST(exit_status_by_class_of_error)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "frontdesk", "front_desk");
    char out[8192];
    ASSERT_OK(clinic(&h, out, sizeof(out), "login", "--user", "frontdesk", "--password-file",
                     h.password_file));
    /* Permission denied: 4, with the reason on one line of stderr. */
    ASSERT_EQ(clinic(&h, out, sizeof(out), "user", "list"), 4);
    ASSERT_STR_CONTAINS(out, "clinic: ");
    ASSERT_STR_CONTAINS(out, "permission");
    /* Not found: 5. */
    ASSERT_EQ(clinic(&h, out, sizeof(out), "msg", "send", "--to", "nosuchuser", "hello"), 5);
    /* Invalid argument naming the field: 7. */
    ASSERT_EQ(clinic(&h, out, sizeof(out), "msg", "list", "--limit", "501"), 7);
    ASSERT_STR_CONTAINS(out, "limit");
    /* Usage: 1. */
    ASSERT_EQ(clinic(&h, out, sizeof(out), "msg", "frobnicate"), 1);
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
    ASSERT_OK(clinic(&h, out, sizeof(out), "login", "--user", "admin", "--password-file",
                     h.password_file));
    int rc = clinic(&h, out, sizeof(out), "user", "add", "nurse", "--roles", "clinician",
                    "--password-file");
    ASSERT_NE(rc, 0); /* --password-file needs its value */
    char add_out[4096];
    char confdir[300];
    snprintf(confdir, sizeof(confdir), "%s/clientconf", h.dir);
    char *add[] = {(char *)harness_clinic(), "user", "add", "nurse", "--roles", "clinician",
                   "--full-name", "Nora Nurse", "--password-file", h.password_file, NULL};
    rc = harness_run(add, add_out, sizeof(add_out));
    if (rc != 0)
        CL_FAIL("user add: %d: %s", rc, add_out);
    ASSERT_OK(clinic(&h, out, sizeof(out), "--json", "user", "list"));
    ASSERT_STR_CONTAINS(out, "\"username\":\"nurse\"");
    ASSERT_OK(clinic(&h, out, sizeof(out), "msg", "send", "--to", "nurse",
                     "Lab results for room 2 are in"));
    ASSERT_OK(clinic(&h, out, sizeof(out), "logout"));
    ASSERT_OK(clinic(&h, out, sizeof(out), "login", "--user", "nurse", "--password-file",
                     h.password_file));
    ASSERT_OK(clinic(&h, out, sizeof(out), "--json", "msg", "list", "--unread"));
    ASSERT_STR_CONTAINS(out, "Lab results for room 2 are in");
    ASSERT_STR_CONTAINS(out, "\"sender\":\"admin\"");
    /* An administrator sees it all in the audit log. */
    ASSERT_OK(clinic(&h, out, sizeof(out), "logout"));
    ASSERT_OK(clinic(&h, out, sizeof(out), "login", "--user", "admin", "--password-file",
                     h.password_file));
    ASSERT_OK(clinic(&h, out, sizeof(out), "--json", "audit", "--user", "nurse"));
    ASSERT_STR_CONTAINS(out, "message.list");
    ASSERT_OK(clinic(&h, out, sizeof(out), "--json", "status"));
    ASSERT_STR_CONTAINS(out, "\"connections\"");
    harness_stop(&h);
}

CL_TEST(watch_survives_a_server_restart)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "nurse", "clinician");
    char out[8192];
    ASSERT_OK(clinic(&h, out, sizeof(out), "login", "--user", "nurse", "--password-file",
                     h.password_file));
    cl_sync_t *admin = harness_login(&h, "admin");

    /* clinic --json watch --count 3 inbox, in the background, its output to a file. */
    char watch_out[300];
    snprintf(watch_out, sizeof(watch_out), "%s/watch.out", h.dir);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen(watch_out, "w", stdout);
        (void)f;
        execl(harness_clinic(), harness_clinic(), "--json", "watch", "--count", "3", "--timeout",
              "30", "inbox", (char *)NULL);
        _exit(127);
    }
    usleep(700 * 1000); /* let it subscribe */
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = "nurse";
    m.body = "one";
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_MESSAGE_SEND;
    req.message_send = &m;
    const Clinic__Response *resp;
    ASSERT_OK(harness_call(admin, &req, &resp));
    cl_sync_close(admin);
    usleep(300 * 1000);

    /* The server goes away; two messages come while the watch is reconnecting. */
    harness_sigterm(&h);
    harness_serve(&h);
    admin = harness_login(&h, "admin");
    m.body = "two";
    ASSERT_OK(harness_call(admin, &req, &resp));
    m.body = "three";
    ASSERT_OK(harness_call(admin, &req, &resp));
    cl_sync_close(admin);

    int status;
    double deadline = harness_ms() + 30000;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && harness_ms() < deadline)
        usleep(50000);
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        CL_FAIL("clinic watch did not see 3 events within 30 s");
    }
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
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
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_MESSAGE_SEND;
    req.message_send = &m;
    const Clinic__Response *resp;
    for (int i = 0; i < 20; i++)
        ASSERT_OK(harness_call(admin, &req, &resp));

    char out[4096], file[300];
    snprintf(file, sizeof(file), "%s/backup.db", h.dir);
    char *backup[] = {(char *)harness_clinicd(), "backup", "--data", h.data, "--to", file, NULL};
    int rc = harness_run(backup, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("backup: %d: %s", rc, out);
    struct stat st;
    ASSERT_OK(stat(file, &st));
    ASSERT_GT(st.st_size, 0);

    /* The server knows when the last backup was. */
    Clinic__ServerStatusRequest ss = CLINIC__SERVER_STATUS_REQUEST__INIT;
    Clinic__Request status = CLINIC__REQUEST__INIT;
    status.body_case = CLINIC__REQUEST__BODY_SERVER_STATUS;
    status.server_status = &ss;
    ASSERT_OK(harness_call(admin, &status, &resp));
    ASSERT_GT(resp->server_status->last_backup_at, 0);
    cl_sync_close(admin);

    char *verify[] = {(char *)harness_clinicd(), "audit", "verify", "--data", h.data, NULL};
    ASSERT_OK(harness_run(verify, out, sizeof(out)));
    ASSERT_STR_CONTAINS(out, "intact");
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(login_whoami_and_session_file),
             CL_TEST_ENTRY(exit_status_by_class_of_error),
             CL_TEST_ENTRY(messages_and_users_from_the_command_line),
             CL_TEST_ENTRY(watch_survives_a_server_restart),
             CL_TEST_ENTRY(backup_while_serving_and_audit_verify))
