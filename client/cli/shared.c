/* What every `clinic` command shares, declared in cli.h: error reporting and exit statuses,
 * output with the server's text made harmless, option and id parsing, password and line input,
 * and connecting to the server and resuming the stored session. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "status.h"

volatile sig_atomic_t cli_interrupted = 0;

/* --- errors and output ------------------------------------------------------------------- */

void cli_put(FILE *f, const char *s, int keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if ((c == '\n' || c == '\t') && keep_newlines) {
            fputc(c, f);
        } else if (c == '\t' || c == '\n') {
            fputc(' ', f);
        } else if (c < 0x20 || c == 0x7f) {
            fputc('?', f);
        } else if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* U+0080..U+009F: C1 controls, which some terminals obey. */
            fputc('?', f);
            p++;
        } else {
            fputc(c, f);
        }
        p++;
    }
}

int cli_error(int status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fputs("clinic: ", stderr);
    cli_put(stderr, msg, 0);
    fputc('\n', stderr);
    return cl_cli_exit_status(status);
}

int cli_input_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fputs("clinic: ", stderr);
    cli_put(stderr, msg, 0);
    fputc('\n', stderr);
    return CL_EXIT_USAGE;
}

int cli_usage_error(const cli_command_t *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "clinic: %s\n", msg);
    if (cmd)
        fprintf(stderr, "usage: clinic %s\n", cmd->usage);
    else
        fprintf(stderr, "Run 'clinic --help' for the commands.\n");
    return CL_EXIT_USAGE;
}

void cli_time(int64_t t, char *out, size_t outlen)
{
    if (t == 0)
        snprintf(out, outlen, "-");
    else
        cl_cli_format_time(t, out, outlen);
}

int cli_flush(void)
{
    static int failed;
    if (failed == 0 && (fflush(stdout) != 0 || ferror(stdout)))
        failed = errno ? errno : EIO;
    return failed;
}

void cli_json_emit(cli_t *cli)
{
    fwrite(cl_json_text(&cli->j), 1, cl_json_len(&cli->j), stdout);
    fputc('\n', stdout);
    cl_json_reset(&cli->j);
}

void cli_json_strings(cl_json_t *j, const char *key, char **items, size_t n)
{
    cl_json_key(j, key);
    cl_json_array_begin(j);
    for (size_t i = 0; i < n; i++)
        cl_json_string(j, items[i]);
    cl_json_array_end(j);
}

void cli_put_list(FILE *f, char **items, size_t n)
{
    if (n == 0)
        fputs("-", f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        cli_put(f, items[i], 0);
    }
}

/* --- options ----------------------------------------------------------------------------- */

int cli_parse(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts, size_t nopts,
              int *npos)
{
    /* Positionals move towards the front, never past the argument being read. */
    char **pos = argv;
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                pos[(*npos)++] = argv[i];
            break;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_opt_t *o = NULL;
        for (size_t k = 0; k < nopts; k++) {
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
                o = &opts[k];
        }
        if (o == NULL)
            return cli_usage_error(cmd, "unknown option %.*s", (int)len, a);
        if (o->flag) {
            if (eq)
                return cli_usage_error(cmd, "%s takes no value", o->name);
            *o->flag = 1;
            continue;
        }
        if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            return cli_usage_error(cmd, "%s needs a value", o->name);
        }
    }
    return 0;
}

char *cli_join_words(int n, char **words)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = cl_malloc(len);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, words[i]);
    }
    return s;
}

int cli_parse_options(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                      size_t nopts)
{
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, nopts, &npos)) != 0)
        return rc;
    if (npos > 0)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
    return 0;
}

int cli_begin(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
              size_t nopts)
{
    int rc = cli_parse_options(cmd, argc, argv, opts, nopts);
    return rc != 0 ? rc : cli_resume(cli);
}

int cli_parse_one(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                  size_t nopts, const char *what, const char **arg)
{
    int npos, rc;
    if ((rc = cli_parse(cmd, argc, argv, opts, nopts, &npos)) != 0)
        return rc;
    if (npos == 0)
        return cli_usage_error(cmd, "%s is missing", what);
    if (npos > 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
    *arg = argv[0];
    return 0;
}

int cli_parse_one_id(const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                     size_t nopts, const char *what, uint64_t *id)
{
    const char *arg = NULL;
    int rc = cli_parse_one(cmd, argc, argv, opts, nopts, what, &arg);
    return rc != 0 ? rc : cli_parse_id(cmd, what, arg, id);
}

int cli_begin_id(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, const cli_opt_t *opts,
                 size_t nopts, const char *what, uint64_t *id)
{
    int rc = cli_parse_one_id(cmd, argc, argv, opts, nopts, what, id);
    return rc != 0 ? rc : cli_resume(cli);
}

int cli_parse_id(const cli_command_t *cmd, const char *what, const char *s, uint64_t *id)
{
    if (cl_cli_parse_uint(s, INT64_MAX, id) != 0 || *id == 0)
        return cli_usage_error(cmd, "%s: expected an id (a number), not '%s'", what, s);
    return 0;
}

int cli_parse_patient(const cli_command_t *cmd, const char *what, const char *s, uint64_t *id,
                      const char **record_number)
{
    *id = 0;
    *record_number = NULL;
    if ((s[0] == 'P' || s[0] == 'p') && s[1] != '\0' &&
        s[1 + strspn(s + 1, "0123456789")] == '\0') {
        *record_number = s;
        return 0;
    }
    if (cl_cli_parse_uint(s, INT64_MAX, id) == 0 && *id > 0)
        return 0;
    return cli_usage_error(cmd, "%s: expected a patient id or a record number (P0000042), not '%s'",
                           what, s);
}

int cli_parse_version(const cli_command_t *cmd, const char *s, uint64_t *version)
{
    if (cl_cli_parse_uint(s, INT64_MAX, version) != 0 || *version == 0)
        return cli_usage_error(cmd, "--expect-version: expected a version (a number), not '%s'", s);
    return 0;
}

/* --- input ------------------------------------------------------------------------------- */

/* Reads one line from `f` into `out` without its line end. Returns 0, CL_ENOTFOUND at end of
 * input, or CL_EINVAL when the line does not fit. */
static int read_line(FILE *f, char *out, size_t outlen)
{
    if (fgets(out, (int)outlen, f) == NULL)
        return CL_ENOTFOUND;
    size_t n = strlen(out);
    if (n == outlen - 1 && out[n - 1] != '\n' && !feof(f)) {
        OPENSSL_cleanse(out, outlen);
        return CL_EINVAL;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

static struct termios saved_termios;
static volatile sig_atomic_t echo_off = 0;

/* A signal while echo is off: put the terminal back, then die of the signal as usual. */
static void on_signal_restore_tty(int sig)
{
    if (echo_off)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_tty_secret(const char *prompt, char *out, size_t outlen)
{
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &saved_termios) != 0)
        return CL_EIO;
    struct sigaction sa = {.sa_handler = on_signal_restore_tty}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct termios quiet = saved_termios;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    echo_off = 1;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    int rc = read_line(stdin, out, outlen);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
    echo_off = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

int cli_read_secret(const char *file, const char *prompt, char *out, size_t outlen)
{
    int rc;
    if (file) {
        FILE *f = fopen(file, "r");
        if (f == NULL)
            return cli_input_error("cannot read %s: %s", file, strerror(errno));
        rc = read_line(f, out, outlen);
        fclose(f);
        if (rc == CL_ENOTFOUND)
            return cli_input_error("%s is empty", file);
    } else if (isatty(STDIN_FILENO)) {
        rc = read_tty_secret(prompt, out, outlen);
    } else {
        rc = read_line(stdin, out, outlen);
    }
    if (rc == CL_EINVAL)
        return cli_input_error("password too long");
    if (rc != 0 || out[0] == '\0')
        return cli_input_error("no password given");
    return 0;
}

int cli_read_line(const char *prompt, char *out, size_t outlen)
{
    if (isatty(STDIN_FILENO)) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
    }
    int rc = read_line(stdin, out, outlen);
    if (rc == CL_EINVAL)
        return cli_input_error("input line too long");
    if (rc != 0)
        return cli_input_error("no input");
    return 0;
}

/* --- connecting ------------------------------------------------------------------------- */

static int check_readable(const char *what, const char *path)
{
    if (access(path, R_OK) != 0)
        return cli_input_error("cannot read the %s %s: %s", what, path, strerror(errno));
    return 0;
}

int cli_connect(cli_t *cli)
{
    const cl_settings_t *s = &cli->settings;
    int rc;
    if (s->ca[0] == '\0')
        return cli_input_error("no CA file: give --ca FILE, set CLINIC_CA, or put `ca = FILE` in "
                               "%s/%s",
                               cli->config_dir[0] ? cli->config_dir : "~/.config/clinic",
                               CL_SETTINGS_FILE);
    if ((s->cert[0] == '\0') != (s->key[0] == '\0'))
        return cli_input_error("a workstation certificate needs its key: set both cert and key, "
                               "or neither");
    if ((rc = check_readable("CA file", s->ca)) != 0)
        return rc;
    if (s->cert[0] && ((rc = check_readable("certificate", s->cert)) != 0 ||
                       (rc = check_readable("key", s->key)) != 0))
        return rc;

    cl_client_config_t cfg = {
        .server = s->server,
        .ca_file = s->ca,
        .cert_file = s->cert[0] ? s->cert : NULL,
        .key_file = s->key[0] ? s->key : NULL,
        .client_name = "clinic",
        .timeout_ms = cli->timeout_ms,
    };
    char err[512];
    rc = cl_sync_connect(&cfg, &cli->sync, err, sizeof(err));
    if (rc == 0)
        return 0;
    const char *hint = "";
    if (strstr(err, "certificate required"))
        hint = " (the server wants this workstation's certificate: set cert and key)";
    else if (strstr(err, "hostname mismatch") || strstr(err, "IP address mismatch"))
        hint = " (the server's certificate is not made out to that name: use one it carries, "
               "such as the one in `clinicd init --san`)";
    else if (strstr(err, "certificate verify failed"))
        hint = " (is the CA file the clinic's own CA?)";
    return cli_error(rc, "%s%s", err, hint);
}

int cli_resume(cli_t *cli)
{
    char token[CL_TOKEN_MAX];
    if (cli->config_dir[0] == '\0')
        return cli_error(CL_EUNAUTH, "not logged in (no configuration directory: set HOME or "
                                     "CLINIC_CONFIG_DIR), then run 'clinic login'");
    int rc = cl_settings_load_token(cli->config_dir, cli->settings.server, token, sizeof(token));
    if (rc == CL_ENOTFOUND)
        return cli_error(CL_EUNAUTH, "not logged in to %s: run 'clinic login'",
                         cli->settings.server);
    if (rc != 0)
        return cli_error(CL_EUNAUTH, "cannot read %s/%s: run 'clinic login'", cli->config_dir,
                         CL_SETTINGS_SESSION_FILE);
    if ((rc = cli_connect(cli)) != 0) {
        OPENSSL_cleanse(token, sizeof(token));
        return rc;
    }
    const Clinic__LoginReply *reply;
    char err[512];
    rc = cl_sync_resume(cli->sync, token, &reply, err, sizeof(err));
    OPENSSL_cleanse(token, sizeof(token));
    if (rc != 0 && cl_cli_exit_status(rc) == CL_EXIT_UNAUTH) {
        /* The server no longer knows the token: it is of no use to keep. */
        cl_settings_remove_token(cli->config_dir);
        return cli_error(rc, "%s: run 'clinic login'", err);
    }
    if (rc == CL_EINVAL) {
        /* The saved token is not even the shape of one (a damaged or hand-edited file): every
         * command would fail the same way until it is gone. */
        cl_settings_remove_token(cli->config_dir);
        return cli_error(CL_EUNAUTH,
                         "the saved session in %s/%s is damaged (%s): run 'clinic login'",
                         cli->config_dir, CL_SETTINGS_SESSION_FILE, err);
    }
    if (rc != 0)
        return cli_error(rc, "%s", err);
    snprintf(cli->username, sizeof(cli->username), "%s", reply->username);
    return 0;
}

int cli_call(cli_t *cli, const Clinic__Request *req, Clinic__Response__ResultCase want,
             const Clinic__Response **resp)
{
    char err[1024];
    *resp = NULL;
    int rc = cl_sync_call(cli->sync, req, resp, err, sizeof(err));
    if (rc != 0 && cl_cli_exit_status(rc) == CL_EXIT_UNAUTH)
        return cli_error(rc, "%s: run 'clinic login'", err);
    if (rc != 0)
        return cli_error(rc, "%s", err);
    if ((*resp)->result_case != want)
        return cli_error(CL_EINTERNAL, "the server sent an unexpected reply (%d for %d)",
                         (int)(*resp)->result_case, (int)want);
    return 0;
}

int cli_send(cli_t *cli, Clinic__Request__BodyCase body_case, const void *msg,
             const Clinic__Response **resp)
{
    Clinic__Request req;
    if (cl_request_make(&req, body_case, msg) != 0)
        return cli_error(CL_EINTERNAL, "no request of kind %d", (int)body_case);
    return cli_call(cli, &req, (Clinic__Response__ResultCase)body_case, resp);
}
