/* Where a client finds its server, its CA and its workstation certificate (flags, then the
 * environment, then the configuration file), and where it keeps the session token between runs.
 * No sockets here: the command line and the unit tests share it. */
#ifndef CLINIC_SETTINGS_H
#define CLINIC_SETTINGS_H

#include <stddef.h>

#define CL_SETTINGS_FILE "clinic.conf"
#define CL_SETTINGS_SESSION_FILE "session"
#define CL_SETTINGS_DEFAULT_SERVER "localhost:7470"

enum { CL_SETTING_MAX = 1024, CL_TOKEN_MAX = 256 };

/* One value per key; an empty string means "not set here". */
typedef struct {
    char server[CL_SETTING_MAX]; /* "host:port" */
    char ca[CL_SETTING_MAX];     /* the clinic's CA certificate (PEM) */
    char cert[CL_SETTING_MAX];   /* this workstation's certificate (PEM) */
    char key[CL_SETTING_MAX];    /* its private key (PEM) */
} cl_settings_t;

/* Parses the text of a clinic.conf over `s`: lines `key = value` with keys server, ca, cert and
 * key; blank lines and lines starting with `#` are skipped, and ` #` starts a trailing comment.
 * When `base_dir` is not NULL, relative ca/cert/key paths are taken relative to it. Returns 0,
 * or CL_EINVAL with "line N: why" in `err` (an unknown key is an error, never ignored). */
int cl_settings_parse(cl_settings_t *s, const char *text, const char *base_dir, char *err,
                      size_t errlen);

/* Reads and parses the file at `path` (relative paths in it are relative to its directory).
 * A missing file sets nothing and returns 0; other failures return CL_EIO or CL_EINVAL with the
 * reason, naming the file, in `err`. */
int cl_settings_load(cl_settings_t *s, const char *path, char *err, size_t errlen);

/* Sets `s` from CLINIC_SERVER, CLINIC_CA, CLINIC_CERT and CLINIC_KEY (unset variables leave
 * empty strings). */
void cl_settings_from_env(cl_settings_t *s);

/* Resolves each key to the first of `flags`, `env`, `file` that sets it, into `out`. Any of the
 * three may be NULL. A server that is set nowhere becomes CL_SETTINGS_DEFAULT_SERVER. */
void cl_settings_merge(cl_settings_t *out, const cl_settings_t *flags, const cl_settings_t *env,
                       const cl_settings_t *file);

/* The configuration directory into `out`: $CLINIC_CONFIG_DIR, else $XDG_CONFIG_HOME/clinic, else
 * $HOME/.config/clinic. Returns 0, CL_ENOTFOUND when none of the three is set, or CL_EINVAL when
 * the path does not fit. */
int cl_settings_dir(char *out, size_t outlen);

/* Stores the session `token` for `server` in DIR/session (mode 0600, written to a temporary file
 * and renamed), creating DIR with mode 0700 when missing. Returns 0 or CL_EIO with `err` set. */
int cl_settings_save_token(const char *dir, const char *server, const char *token, char *err,
                           size_t errlen);

/* Reads the token stored for `server` into `token`. Returns 0, CL_ENOTFOUND when there is none or
 * it was issued by another server (a token is never sent anywhere but where it came from), or
 * CL_EIO. */
int cl_settings_load_token(const char *dir, const char *server, char *token, size_t toklen);

/* Removes DIR/session. Returns 0 (also when there was none) or CL_EIO. */
int cl_settings_remove_token(const char *dir);

#endif
