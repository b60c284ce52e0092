/* Security against a real clinicd: workstation certificates (missing, revoked), lockout after
 * failed logins, the per-address login limit, permissions by role, and disabled users. */
#include "harness.h"

#include <unistd.h>

static int login_status(cl_harness_t *h, const char *user, const char *password, char *err,
                        size_t errlen)
{
    cl_sync_t *s = harness_connect(h);
    const Clinic__LoginReply *reply;
    int rc = cl_sync_login(s, user, password, &reply, err, errlen);
    cl_sync_close(s);
    return rc;
}

static double ping_ms(cl_sync_t *s)
{
    Clinic__PingRequest p = CLINIC__PING_REQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_PING;
    req.ping = &p;
    const Clinic__Response *resp;
    double t0 = harness_ms();
    ASSERT_OK(harness_call(s, &req, &resp));
    return harness_ms() - t0;
}

CL_TEST(handshake_without_workstation_certificate_is_refused)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    cl_client_config_t cfg = harness_config(&h, 0);
    cl_sync_t *s = NULL;
    char err[256];
    ASSERT_NE(cl_sync_connect(&cfg, &s, err, sizeof(err)), 0);
    ASSERT_NULL(s);
    /* With the certificate it works. */
    cl_sync_close(harness_connect(&h));
    harness_stop(&h);
}

CL_TEST(development_mode_accepts_no_certificate)
{
    cl_harness_t h;
    harness_start(&h, "require_client_cert = no\n");
    cl_client_config_t cfg = harness_config(&h, 0);
    cl_sync_t *s = NULL;
    char err[256];
    ASSERT_OK(cl_sync_connect(&cfg, &s, err, sizeof(err)));
    const Clinic__LoginReply *reply;
    ASSERT_OK(cl_sync_login(s, "admin", TEST_PASSWORD, &reply, err, sizeof(err)));
    cl_sync_close(s);
    harness_stop(&h);
}

CL_TEST(revoked_workstation_is_refused_at_next_handshake)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[4096];
    char ws2dir[200];
    snprintf(ws2dir, sizeof(ws2dir), "%s/ws2", h.dir);
    char *add[] = {(char *)harness_clinicd(),
                   "workstation",
                   "add",
                   "ws2",
                   "--data",
                   h.data,
                   "--out",
                   ws2dir,
                   NULL};
    ASSERT_OK(harness_run(add, out, sizeof(out)));
    cl_sync_t *before = harness_login(&h, "admin");

    char *revoke[] = {
        (char *)harness_clinicd(), "workstation", "revoke", "ws1", "--data", h.data, NULL};
    ASSERT_OK(harness_run(revoke, out, sizeof(out)));
    char *list[] = {(char *)harness_clinicd(), "workstation", "list", "--data", h.data, NULL};
    ASSERT_OK(harness_run(list, out, sizeof(out)));
    ASSERT_STR_CONTAINS(out, "ws1");

    cl_client_config_t cfg = harness_config(&h, 1);
    cl_sync_t *s = NULL;
    char err[256];
    ASSERT_NE(cl_sync_connect(&cfg, &s, err, sizeof(err)), 0);
    ASSERT(harness_wait_log(&h, "revoked", 2000));

    /* ws2 still connects. */
    char ws2crt[260], ws2key[260];
    snprintf(ws2crt, sizeof(ws2crt), "%s/ws2.crt", ws2dir);
    snprintf(ws2key, sizeof(ws2key), "%s/ws2.key", ws2dir);
    cfg.cert_file = ws2crt;
    cfg.key_file = ws2key;
    ASSERT_OK(cl_sync_connect(&cfg, &s, err, sizeof(err)));
    cl_sync_close(s);
    cl_sync_close(before);
    harness_stop(&h);
}

/* A missing crl.pem used to mean "nothing revoked": a revoked workstation got back in at its
 * next handshake, and after a restart. Now a running server keeps the list it has, `serve`
 * refuses to start without one, and `clinicd workstation crl` writes it again from the
 * database. */
CL_TEST(lost_crl_does_not_let_a_revoked_workstation_back_in)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[4096], crl[300], aside[300];
    char *revoke[] = {
        (char *)harness_clinicd(), "workstation", "revoke", "ws1", "--data", h.data, NULL};
    ASSERT_OK(harness_run(revoke, out, sizeof(out)));
    cl_client_config_t cfg = harness_config(&h, 1);
    cl_sync_t *s = NULL;
    char err[256];
    ASSERT_NE(cl_sync_connect(&cfg, &s, err, sizeof(err)), 0);

    snprintf(crl, sizeof(crl), "%s/tls/crl.pem", h.data);
    snprintf(aside, sizeof(aside), "%s/crl.pem.aside", h.dir);
    ASSERT_OK(rename(crl, aside));
    ASSERT_NE(cl_sync_connect(&cfg, &s, err, sizeof(err)), 0);
    ASSERT(harness_wait_log(&h, "cannot read the certificate revocation list", 2000));

    harness_kill(&h);
    char *serve[] = {
        "/usr/bin/timeout", "20", (char *)harness_clinicd(), "serve", "--data", h.data, "--listen",
        "127.0.0.1:0",      NULL};
    int rc = harness_run(serve, out, sizeof(out));
    ASSERT_NE(rc, 0);
    ASSERT_NE(rc, 124); /* refused at once, not served until the timeout */
    ASSERT_STR_CONTAINS(out, "revocation list");

    char *rewrite[] = {(char *)harness_clinicd(), "workstation", "crl", "--data", h.data, NULL};
    ASSERT_OK(harness_run(rewrite, out, sizeof(out)));
    ASSERT_STR_CONTAINS(out, "lists 1 certificate");
    harness_serve(&h);
    ASSERT_NE(cl_sync_connect(&cfg, &s, err, sizeof(err)), 0);
    harness_stop(&h);
}

/* `workstation add ca --out DATA/tls` replaced the CA's key with the workstation's: after it no
 * workstation could be added or revoked. A key or certificate is never written over. */
CL_TEST(workstation_add_never_writes_over_a_key)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    char out[4096], tls[300], ca_key[320], before[8192], after[8192];
    snprintf(tls, sizeof(tls), "%s/tls", h.data);
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", tls);
    FILE *f = fopen(ca_key, "r");
    ASSERT_NOT_NULL(f);
    size_t n = fread(before, 1, sizeof(before) - 1, f);
    before[n] = '\0';
    fclose(f);

    char *add[] = {(char *)harness_clinicd(),
                   "workstation",
                   "add",
                   "ca",
                   "--data",
                   h.data,
                   "--out",
                   tls,
                   NULL};
    ASSERT_EQ(harness_run(add, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "already holds");
    f = fopen(ca_key, "r");
    ASSERT_NOT_NULL(f);
    n = fread(after, 1, sizeof(after) - 1, f);
    after[n] = '\0';
    fclose(f);
    ASSERT_STR_EQ(after, before);
    /* The CA still works: another workstation can be added and revoked. */
    char wsdir[300];
    snprintf(wsdir, sizeof(wsdir), "%s/ws3", h.dir);
    char *add3[] = {(char *)harness_clinicd(),
                    "workstation",
                    "add",
                    "ws3",
                    "--data",
                    h.data,
                    "--out",
                    wsdir,
                    NULL};
    ASSERT_OK(harness_run(add3, out, sizeof(out)));
    char *revoke[] = {
        (char *)harness_clinicd(), "workstation", "revoke", "ws3", "--data", h.data, NULL};
    ASSERT_OK(harness_run(revoke, out, sizeof(out)));
    harness_stop(&h);
}

CL_TEST(login_storm_locks_the_account_and_loop_stays_responsive)
{
    cl_harness_t h;
    harness_start(&h, "login_attempts_per_minute = 1000\nlockout_failures = 5\n");
    harness_add_user(&h, "nurse", "clinician");
    cl_sync_t *bystander = harness_login(&h, "admin");
    char err[256];
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(login_status(&h, "nurse", "not-the-password", err, sizeof(err)), CL_EUNAUTH);
        ASSERT_STR_CONTAINS(err, "wrong username or password");
        double ms = ping_ms(bystander);
        if (ms > worst)
            worst = ms;
    }
    /* Locked now: even the right password is refused, and says why. */
    ASSERT_EQ(login_status(&h, "nurse", TEST_PASSWORD, err, sizeof(err)), CL_EPERM);
    ASSERT_STR_CONTAINS(err, "locked");
    /* A storm of 40 parallel-ish attempts does not stall anyone else. */
    for (int i = 0; i < 40; i++) {
        ASSERT_NE(login_status(&h, "nurse", "still-wrong-password", err, sizeof(err)), 0);
        double ms = ping_ms(bystander);
        if (ms > worst)
            worst = ms;
    }
    ASSERT_LT(worst, 250);
    /* Another user is unaffected. */
    harness_add_user(&h, "drlee", "clinician");
    ASSERT_OK(login_status(&h, "drlee", TEST_PASSWORD, err, sizeof(err)));
    /* The admin's recovery command lifts the lock. */
    char out[4096];
    char *passwd[] = {
        (char *)harness_clinicd(), "user",          "passwd", "nurse", "--data", h.data,
        "--password-file",         h.password_file, NULL};
    ASSERT_OK(harness_run(passwd, out, sizeof(out)));
    ASSERT_OK(login_status(&h, "nurse", TEST_PASSWORD, err, sizeof(err)));
    cl_sync_close(bystander);
    harness_stop(&h);
}

CL_TEST(login_attempts_per_address_are_limited)
{
    cl_harness_t h;
    harness_start(&h, "login_attempts_per_minute = 5\n");
    char err[256];
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(login_status(&h, "nobody", "no-such-password", err, sizeof(err)), CL_EUNAUTH);
    ASSERT_EQ(login_status(&h, "admin", TEST_PASSWORD, err, sizeof(err)), CL_EEXHAUSTED);
    ASSERT_STR_CONTAINS(err, "too many login attempts");
    harness_stop(&h);
}

CL_TEST(permissions_follow_roles)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "frontdesk", "front_desk");
    harness_add_user(&h, "morgan", "manager");
    cl_sync_t *fd = harness_login(&h, "frontdesk");
    cl_sync_t *mg = harness_login(&h, "morgan");
    cl_sync_t *ad = harness_login(&h, "admin");
    const Clinic__Response *resp;

    Clinic__UserListRequest ul = CLINIC__USER_LIST_REQUEST__INIT;
    Clinic__Request list = CLINIC__REQUEST__INIT;
    list.body_case = CLINIC__REQUEST__BODY_USER_LIST;
    list.user_list = &ul;
    ASSERT_EQ(harness_call(fd, &list, &resp), CL_EPERM);
    ASSERT_EQ(resp->status->code, CLINIC__CODE__PERMISSION_DENIED);
    ASSERT_STR_CONTAINS(resp->status->message, "user_admin");
    ASSERT_OK(harness_call(ad, &list, &resp));
    ASSERT_EQ(resp->user_list->n_users, 3);

    Clinic__AuditQueryRequest aq = CLINIC__AUDIT_QUERY_REQUEST__INIT;
    Clinic__Request audit = CLINIC__REQUEST__INIT;
    audit.body_case = CLINIC__REQUEST__BODY_AUDIT_QUERY;
    audit.audit_query = &aq;
    ASSERT_EQ(harness_call(fd, &audit, &resp), CL_EPERM);
    ASSERT_OK(harness_call(mg, &audit, &resp));
    ASSERT_GT(resp->audit_query->n_rows, 0);

    Clinic__ServerStatusRequest ss = CLINIC__SERVER_STATUS_REQUEST__INIT;
    Clinic__Request status = CLINIC__REQUEST__INIT;
    status.body_case = CLINIC__REQUEST__BODY_SERVER_STATUS;
    status.server_status = &ss;
    ASSERT_EQ(harness_call(mg, &status, &resp), CL_EPERM);
    ASSERT_OK(harness_call(ad, &status, &resp));
    ASSERT_EQ(resp->server_status->connections, 3);
    ASSERT_GT(resp->server_status->db_size_bytes, 0);
    ASSERT_GT(resp->server_status->requests, 0);
    ASSERT_GT(resp->server_status->peak_rss_bytes, 0);
    cl_sync_close(fd);
    cl_sync_close(mg);
    cl_sync_close(ad);
    harness_stop(&h);
}

CL_TEST(disabling_a_user_ends_their_live_session)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, "billie", "biller");
    cl_sync_t *b = harness_login(&h, "billie");
    cl_sync_t *ad = harness_login(&h, "admin");
    const Clinic__Response *resp;

    Clinic__UserListRequest ul = CLINIC__USER_LIST_REQUEST__INIT;
    Clinic__Request list = CLINIC__REQUEST__INIT;
    list.body_case = CLINIC__REQUEST__BODY_USER_LIST;
    list.user_list = &ul;
    ASSERT_OK(harness_call(ad, &list, &resp));
    uint64_t version = 0;
    for (size_t i = 0; i < resp->user_list->n_users; i++)
        if (strcmp(resp->user_list->users[i]->username, "billie") == 0)
            version = resp->user_list->users[i]->version;
    ASSERT_GT(version, 0);

    Clinic__UserDisableRequest d = CLINIC__USER_DISABLE_REQUEST__INIT;
    d.username = "billie";
    d.version = version + 7; /* stale */
    Clinic__Request dis = CLINIC__REQUEST__INIT;
    dis.body_case = CLINIC__REQUEST__BODY_USER_DISABLE;
    dis.user_disable = &d;
    ASSERT_EQ(harness_call(ad, &dis, &resp), CL_ECONFLICT);
    d.version = version;
    ASSERT_OK(harness_call(ad, &dis, &resp));
    ASSERT(resp->user_disable->user->disabled);

    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    Clinic__Request who = CLINIC__REQUEST__INIT;
    who.body_case = CLINIC__REQUEST__BODY_WHOAMI;
    who.whoami = &w;
    ASSERT_EQ(harness_call(b, &who, &resp), CL_EUNAUTH);
    char err[256];
    cl_sync_t *again = harness_connect(&h);
    const Clinic__LoginReply *lr;
    ASSERT_EQ(cl_sync_login(again, "billie", TEST_PASSWORD, &lr, err, sizeof(err)), CL_EUNAUTH);
    ASSERT_STR_CONTAINS(err, "disabled");
    cl_sync_close(again);
    cl_sync_close(b);
    cl_sync_close(ad);
    harness_stop(&h);
}

CL_TEST(idle_session_is_logged_off)
{
    cl_harness_t h;
    harness_start(&h, "idle_logoff_seconds = 2\n");
    cl_sync_t *s = harness_connect(&h);
    const Clinic__LoginReply *lr;
    char err[256];
    ASSERT_OK(cl_sync_login(s, "admin", TEST_PASSWORD, &lr, err, sizeof(err)));
    ASSERT_EQ(lr->idle_timeout_s, 2);
    char token[65];
    snprintf(token, sizeof(token), "%s", lr->token);
    /* Activity keeps the session. */
    for (int i = 0; i < 3; i++) {
        usleep(1000 * 1000);
        ping_ms(s);
        Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
        Clinic__Request who = CLINIC__REQUEST__INIT;
        who.body_case = CLINIC__REQUEST__BODY_WHOAMI;
        who.whoami = &w;
        const Clinic__Response *resp;
        ASSERT_OK(harness_call(s, &who, &resp));
    }
    /* Idle: the server pushes the end of the session and deletes it. */
    const Clinic__Event *ev = NULL;
    ASSERT_OK(cl_sync_next_event(s, 5000, &ev, err, sizeof(err)));
    ASSERT(ev->session_expired);
    Clinic__WhoAmIRequest w = CLINIC__WHO_AM_IREQUEST__INIT;
    Clinic__Request who = CLINIC__REQUEST__INIT;
    who.body_case = CLINIC__REQUEST__BODY_WHOAMI;
    who.whoami = &w;
    const Clinic__Response *resp;
    ASSERT_EQ(harness_call(s, &who, &resp), CL_EUNAUTH);
    cl_sync_close(s);
    s = harness_connect(&h);
    ASSERT_EQ(cl_sync_resume(s, token, &lr, err, sizeof(err)), CL_EUNAUTH);
    cl_sync_close(s);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(idle_session_is_logged_off),
             CL_TEST_ENTRY(handshake_without_workstation_certificate_is_refused),
             CL_TEST_ENTRY(development_mode_accepts_no_certificate),
             CL_TEST_ENTRY(revoked_workstation_is_refused_at_next_handshake),
             CL_TEST_ENTRY(lost_crl_does_not_let_a_revoked_workstation_back_in),
             CL_TEST_ENTRY(workstation_add_never_writes_over_a_key),
             CL_TEST_ENTRY(login_storm_locks_the_account_and_loop_stays_responsive),
             CL_TEST_ENTRY(login_attempts_per_address_are_limited),
             CL_TEST_ENTRY(permissions_follow_roles),
             CL_TEST_ENTRY(disabling_a_user_ends_their_live_session))
