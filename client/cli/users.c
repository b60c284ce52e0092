/* The user commands: add, list, roles and disable. Changes to an existing user carry the version
 * read just before (from the list), so a concurrent edit is reported as a conflict. */
#include <openssl/crypto.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "status.h"

enum { PASSWORD_MAX = 1024 };

static void json_user(cl_json_t *j, const Clinic__User *u)
{
    cl_json_object_begin(j);
    cl_json_kv_uint(j, "id", u->id);
    cl_json_kv_string(j, "username", u->username);
    cl_json_kv_string(j, "full_name", u->full_name);
    cli_json_strings(j, "roles", u->roles, u->n_roles);
    cl_json_kv_bool(j, "disabled", u->disabled);
    cl_json_kv_int(j, "created_at", u->created_at);
    cl_json_kv_int(j, "last_login_at", u->last_login_at);
    cl_json_kv_uint(j, "version", u->version);
    cl_json_object_end(j);
}

/* "bob (Bob Smith): front_desk, staff" */
static void put_user(const Clinic__User *u)
{
    cli_put(stdout, u->username, 0);
    if (u->full_name[0]) {
        printf(" (");
        cli_put(stdout, u->full_name, 0);
        printf(")");
    }
    printf(": ");
    cli_put_list(stdout, u->roles, u->n_roles);
    if (u->disabled)
        printf(" [disabled]");
}

/* Prints the user changed by a command: "<verb> bob (Bob Smith): roles" or its JSON. */
static void print_changed(cli_t *cli, const char *verb, const Clinic__User *u)
{
    if (u == NULL)
        return;
    if (cli->json) {
        json_user(&cli->j, u);
        cli_json_emit(cli);
        return;
    }
    printf("%s ", verb);
    put_user(u);
    printf("\n");
}

/* Reads a new user's password: from the file, or typed twice on a terminal, or stdin's line. */
static int read_new_password(const char *file, const char *username, char *out, size_t outlen)
{
    char prompt[200], again[PASSWORD_MAX];
    snprintf(prompt, sizeof(prompt), "Password for %s: ", username);
    int rc = cli_read_secret(file, prompt, out, outlen);
    if (rc != 0 || file || !isatty(STDIN_FILENO))
        return rc;
    rc = cli_read_secret(NULL, "Repeat the password: ", again, sizeof(again));
    if (rc == 0 && strcmp(out, again) != 0)
        rc = cli_input_error("the passwords differ; nothing changed");
    OPENSSL_cleanse(again, sizeof(again));
    return rc;
}

int cmd_user_add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *username, *roles = NULL, *full_name = "", *password_file = NULL;
    const cli_opt_t opts[] = {{"--roles", &roles, NULL},
                              {"--full-name", &full_name, NULL},
                              {"--password-file", &password_file, NULL}};
    char password[PASSWORD_MAX] = "";
    char **role_list = NULL;
    size_t n_roles = 0;
    int rc = cli_parse_one(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), "USERNAME", &username);
    if (rc != 0)
        return rc;
    if (roles == NULL)
        return cli_usage_error(cmd, "--roles is missing");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    if ((rc = read_new_password(password_file, username, password, sizeof(password))) != 0)
        goto out;
    cl_cli_split_list(roles, &role_list, &n_roles);

    Clinic__UserAddRequest add = CLINIC__USER_ADD_REQUEST__INIT;
    add.username = (char *)username;
    add.full_name = (char *)full_name;
    add.roles = role_list;
    add.n_roles = n_roles;
    add.password = password;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_USER_ADD, &add, &resp)) != 0)
        goto out;
    print_changed(cli, "added", resp->user_add->user);
out:
    OPENSSL_cleanse(password, sizeof(password));
    if (role_list)
        cl_cli_free_list(role_list, n_roles);
    return rc;
}

/* Lists the users; *reply is valid until the next call. */
static int list_users(cli_t *cli, int include_disabled, const Clinic__UserListReply **reply)
{
    Clinic__UserListRequest list = CLINIC__USER_LIST_REQUEST__INIT;
    list.include_disabled = include_disabled;
    const Clinic__Response *resp;
    int rc = cli_send(cli, CLINIC__REQUEST__BODY_USER_LIST, &list, &resp);
    if (rc == 0)
        *reply = resp->user_list;
    return rc;
}

/* The version of user `username` as the server has it now. */
static int read_version(cli_t *cli, const char *username, uint64_t *version)
{
    const Clinic__UserListReply *list;
    int rc = list_users(cli, 1, &list);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < list->n_users; i++) {
        if (strcmp(list->users[i]->username, username) == 0) {
            *version = list->users[i]->version;
            return 0;
        }
    }
    return cli_error(CL_ENOTFOUND, "no user named %s", username);
}

int cmd_user_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int all = 0, rc;
    const cli_opt_t opts[] = {{"--all", NULL, &all}};
    if ((rc = cli_begin(cli, cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    const Clinic__UserListReply *list;
    if ((rc = list_users(cli, all, &list)) != 0)
        return rc;
    if (cli->json) {
        for (size_t i = 0; i < list->n_users; i++) {
            json_user(&cli->j, list->users[i]);
            cli_json_emit(cli);
        }
        return 0;
    }
    int wuser = 8, wname = 9;
    for (size_t i = 0; i < list->n_users; i++) {
        int a = (int)strlen(list->users[i]->username), b = (int)strlen(list->users[i]->full_name);
        wuser = a > wuser ? (a < 32 ? a : 32) : wuser;
        wname = b > wname ? (b < 32 ? b : 32) : wname;
    }
    printf("%-*s  %-*s  %-8s  %-20s  %s\n", wuser, "USERNAME", wname, "FULL NAME", "STATE",
           "LAST LOGIN", "ROLES");
    for (size_t i = 0; i < list->n_users; i++) {
        const Clinic__User *u = list->users[i];
        char last[32];
        cli_time(u->last_login_at, last, sizeof(last));
        cli_put(stdout, u->username, 0);
        printf("%*s  ", wuser - (int)strlen(u->username), "");
        cli_put(stdout, u->full_name, 0);
        printf("%*s  %-8s  %-20s  ", wname - (int)strlen(u->full_name), "",
               u->disabled ? "disabled" : "active", last);
        cli_put_list(stdout, u->roles, u->n_roles);
        printf("\n");
    }
    return 0;
}

int cmd_user_roles(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, NULL, 0, &npos)) != 0)
        return rc;
    if (npos != 2)
        return cli_usage_error(cmd, "expected USERNAME and ROLE[,ROLE...]");
    const char *username = argv[0];
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    uint64_t version;
    if ((rc = read_version(cli, username, &version)) != 0)
        return rc;
    char **role_list;
    size_t n_roles;
    cl_cli_split_list(argv[1], &role_list, &n_roles);
    Clinic__UserRolesRequest roles = CLINIC__USER_ROLES_REQUEST__INIT;
    roles.username = (char *)username;
    roles.roles = role_list;
    roles.n_roles = n_roles;
    roles.version = version;
    const Clinic__Response *resp;
    rc = cli_send(cli, CLINIC__REQUEST__BODY_USER_ROLES, &roles, &resp);
    cl_cli_free_list(role_list, n_roles);
    if (rc == 0)
        print_changed(cli, "roles of", resp->user_roles->user);
    return rc;
}

int cmd_user_disable(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *username;
    int rc;
    if ((rc = cli_parse_one(cmd, argc, argv, NULL, 0, "USERNAME", &username)) != 0 ||
        (rc = cli_resume(cli)) != 0)
        return rc;
    uint64_t version;
    if ((rc = read_version(cli, username, &version)) != 0)
        return rc;
    Clinic__UserDisableRequest disable = CLINIC__USER_DISABLE_REQUEST__INIT;
    disable.username = (char *)username;
    disable.version = version;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_USER_DISABLE, &disable, &resp)) != 0)
        return rc;
    print_changed(cli, "disabled", resp->user_disable->user);
    return 0;
}
