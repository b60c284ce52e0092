/* The session commands: login, logout, whoami, ping and passwd. The token from login is kept in
 * CONFIG/session and never printed. */
#include <openssl/crypto.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "status.h"

enum { PASSWORD_MAX = 1024 };

static void print_login(cli_t *cli, const Clinic__LoginReply *r)
{
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "username", r->username);
        cli_json_strings(&cli->j, "roles", r->roles, r->n_roles);
        cl_json_kv_uint(&cli->j, "idle_timeout_s", r->idle_timeout_s);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return;
    }
    printf("logged in as ");
    cli_put(stdout, r->username, 0);
    printf(" (");
    cli_put_list(stdout, r->roles, r->n_roles);
    printf(")");
    if (r->idle_timeout_s)
        printf("; logged off after %u min idle", (r->idle_timeout_s + 59) / 60);
    printf("\n");
}

int cmd_login(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *user = NULL, *password_file = NULL;
    const cli_opt_t opts[] = {{"--user", &user, NULL}, {"--password-file", &password_file, NULL}};
    int rc;
    char username[128], password[PASSWORD_MAX];
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    if (cli->config_dir[0] == '\0')
        return cli_input_error("no configuration directory for the session: set HOME or "
                               "CLINIC_CONFIG_DIR");
    if (user) {
        snprintf(username, sizeof(username), "%s", user);
    } else if ((rc = cli_read_line("Username: ", username, sizeof(username))) != 0) {
        return rc;
    }
    if ((rc = cli_read_secret(password_file, "Password: ", password, sizeof(password))) != 0)
        return rc;
    if ((rc = cli_connect(cli)) != 0)
        goto out;

    Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
    login.username = username;
    login.password = password;
    Clinic__Request req;
    const Clinic__Response *resp = NULL;
    char err[1024] = "";
    int status = cl_request_make(&req, CLINIC__REQUEST__BODY_LOGIN, &login);
    if (status == 0)
        status = cl_sync_call(cli->sync, &req, &resp, err, sizeof(err));
    if (status != 0) {
        /* "login failed: bad username or password" reads better than the status's own words. */
        const Clinic__Status *st = resp ? resp->status : NULL;
        if (st && st->message[0] && st->n_fields == 0)
            rc = cli_error(status, "login failed: %s", st->message);
        else
            rc = cli_error(status, "login failed: %s", err);
        goto out;
    }
    if (resp->result_case != CLINIC__RESPONSE__RESULT_LOGIN || resp->login == NULL ||
        resp->login->token[0] == '\0') {
        rc = cli_error(CL_EINTERNAL, "the server sent an unexpected reply to login");
        goto out;
    }
    status = cl_settings_save_token(cli->config_dir, cli->settings.server, resp->login->token, err,
                                    sizeof(err));
    if (status != 0) {
        rc = cli_input_error("logged in, but cannot keep the session: %s", err);
        goto out;
    }
    print_login(cli, resp->login);
out:
    OPENSSL_cleanse(password, sizeof(password));
    return rc;
}

int cmd_logout(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    Clinic__LogoutRequest logout = CLINIC__LOGOUT_REQUEST__INIT;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_LOGOUT, &logout, &resp);
    /* The local token goes either way: it is ended, or soon will be by the idle logoff. */
    cl_settings_remove_token(cli->config_dir);
    if (rc != 0)
        return rc;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "username", cli->username);
        cl_json_kv_bool(&cli->j, "logged_out", 1);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        printf("logged out ");
        cli_put(stdout, cli->username, 0);
        printf("\n");
    }
    return 0;
}

int cmd_whoami(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_begin(cli, cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    Clinic__WhoAmIRequest whoami = CLINIC__WHO_AM_IREQUEST__INIT;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_WHOAMI, &whoami, &resp)) != 0)
        return rc;
    const Clinic__WhoAmIReply *w = resp->whoami;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "username", w->username);
        cli_json_strings(&cli->j, "roles", w->roles, w->n_roles);
        cl_json_kv_string(&cli->j, "workstation", w->workstation);
        cl_json_kv_string(&cli->j, "server", cli->settings.server);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    cli_put(stdout, w->username, 0);
    printf(" (");
    cli_put_list(stdout, w->roles, w->n_roles);
    printf(") on ");
    cli_put(stdout, cli->settings.server, 0);
    if (w->workstation[0]) {
        printf(" from workstation ");
        cli_put(stdout, w->workstation, 0);
    }
    printf("\n");
    return 0;
}

int cmd_ping(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    if ((rc = cli_parse_options(cmd, argc, argv, NULL, 0)) != 0)
        return rc;
    if ((rc = cli_connect(cli)) != 0)
        return rc;
    Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
    const Clinic__Response *resp;
    uint64_t start = cl_mono_ns();
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PING, &ping, &resp)) != 0)
        return rc;
    double rtt_ms = (double)(cl_mono_ns() - start) / 1e6;
    const Clinic__HelloReply *hello = cl_sync_hello(cli->sync);
    int64_t server_time = resp->ping->server_time;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "server", cli->settings.server);
        cl_json_key(&cli->j, "rtt_ms");
        cl_json_double(&cli->j, rtt_ms, 3);
        cl_json_kv_int(&cli->j, "server_time", server_time);
        cl_json_kv_string(&cli->j, "server_version", hello->server_version);
        cl_json_kv_string(&cli->j, "clinic_name", hello->clinic_name);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    char when[32];
    cli_time(server_time, when, sizeof(when));
    printf("pong from ");
    cli_put(stdout, cli->settings.server, 0);
    if (hello->clinic_name[0]) {
        printf(" (");
        cli_put(stdout, hello->clinic_name, 0);
        printf(")");
    }
    printf(": %.3f ms, server time %s, clinicd ", rtt_ms, when);
    cli_put(stdout, hello->server_version, 0);
    printf("\n");
    return 0;
}

int cmd_passwd(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *old_file = NULL, *new_file = NULL;
    const cli_opt_t opts[] = {{"--old-password-file", &old_file, NULL},
                              {"--new-password-file", &new_file, NULL}};
    int rc;
    char old_pw[PASSWORD_MAX], new_pw[PASSWORD_MAX], again[PASSWORD_MAX];
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    /* Resume first, so an expired session is reported before any typing. */
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    memset(old_pw, 0, sizeof(old_pw));
    memset(new_pw, 0, sizeof(new_pw));
    memset(again, 0, sizeof(again));
    if ((rc = cli_read_secret(old_file, "Current password: ", old_pw, sizeof(old_pw))) != 0 ||
        (rc = cli_read_secret(new_file, "New password: ", new_pw, sizeof(new_pw))) != 0)
        goto out;
    if (new_file == NULL && isatty(STDIN_FILENO)) {
        if ((rc = cli_read_secret(NULL, "Repeat new password: ", again, sizeof(again))) != 0)
            goto out;
        if (strcmp(new_pw, again) != 0) {
            rc = cli_input_error("the new passwords differ; nothing changed");
            goto out;
        }
    }
    Clinic__PasswordChangeRequest change = CLINIC__PASSWORD_CHANGE_REQUEST__INIT;
    change.old_password = old_pw;
    change.new_password = new_pw;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_PASSWORD_CHANGE, &change, &resp)) != 0)
        goto out;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        cl_json_kv_string(&cli->j, "username", cli->username);
        cl_json_kv_bool(&cli->j, "password_changed", 1);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        printf("password changed for ");
        cli_put(stdout, cli->username, 0);
        printf("\n");
    }
out:
    OPENSSL_cleanse(old_pw, sizeof(old_pw));
    OPENSSL_cleanse(new_pw, sizeof(new_pw));
    OPENSSL_cleanse(again, sizeof(again));
    return rc;
}
