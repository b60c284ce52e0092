/* The client's settings: the clinic.conf parser, the flags > environment > file precedence, the
 * configuration directory, and the session token file. */
#include "clinic_settings.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "status.h"

enum { FILE_MAX = 64 * 1024 };

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Copies `src` to `dst` (CL_SETTING_MAX bytes), joined to `base` when `src` is a relative path.
 * Returns 0 or CL_EINVAL when the result does not fit. */
static int set_path(char *dst, const char *src, const char *base)
{
    int n;
    if (base && *base && src[0] != '/')
        n = snprintf(dst, CL_SETTING_MAX, "%s/%s", base, src);
    else
        n = snprintf(dst, CL_SETTING_MAX, "%s", src);
    return n < 0 || n >= CL_SETTING_MAX ? CL_EINVAL : 0;
}

int cl_settings_parse(cl_settings_t *s, const char *text, const char *base_dir, char *err,
                      size_t errlen)
{
    int line_no = 0;
    const char *p = text;
    while (*p) {
        line_no++;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *next = end ? end + 1 : p + len;
        char line[CL_SETTING_MAX + 64];
        if (len >= sizeof(line)) {
            snprintf(err, errlen, "line %d: too long", line_no);
            return CL_EINVAL;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = next;

        /* A trailing comment starts at a '#' that follows white space. */
        for (char *h = line; (h = strchr(h, '#')) != NULL; h++) {
            if (h == line || is_space(h[-1])) {
                *h = '\0';
                break;
            }
        }
        char *k = line;
        while (is_space(*k))
            k++;
        size_t n = strlen(k);
        while (n > 0 && is_space(k[n - 1]))
            k[--n] = '\0';
        if (*k == '\0')
            continue;

        char *eq = strchr(k, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "line %d: expected `key = value`", line_no);
            return CL_EINVAL;
        }
        char *v = eq + 1;
        *eq = '\0';
        for (char *t = eq; t > k && is_space(t[-1]); t--)
            t[-1] = '\0';
        while (is_space(*v))
            v++;
        if (*v == '\0') {
            snprintf(err, errlen, "line %d: %s has no value", line_no, k);
            return CL_EINVAL;
        }

        int rc = 0;
        if (strcmp(k, "server") == 0)
            rc = set_path(s->server, v, NULL);
        else if (strcmp(k, "ca") == 0)
            rc = set_path(s->ca, v, base_dir);
        else if (strcmp(k, "cert") == 0)
            rc = set_path(s->cert, v, base_dir);
        else if (strcmp(k, "key") == 0)
            rc = set_path(s->key, v, base_dir);
        else {
            snprintf(err, errlen, "line %d: unknown key '%.64s' (known: server, ca, cert, key)",
                     line_no, k);
            return CL_EINVAL;
        }
        if (rc != 0) {
            snprintf(err, errlen, "line %d: the value of %s is too long", line_no, k);
            return CL_EINVAL;
        }
    }
    return 0;
}

int cl_settings_load(cl_settings_t *s, const char *path, char *err, size_t errlen)
{
    int rc = 0;
    char *text = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CL_EIO;
    }
    text = cl_malloc(FILE_MAX + 1);
    size_t n = fread(text, 1, FILE_MAX + 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = CL_EIO;
        goto out;
    }
    if (n > FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, FILE_MAX);
        rc = CL_EINVAL;
        goto out;
    }
    text[n] = '\0';

    char base[CL_SETTING_MAX];
    snprintf(base, sizeof(base), "%s", path);
    char *slash = strrchr(base, '/');
    if (slash == NULL)
        snprintf(base, sizeof(base), ".");
    else if (slash == base)
        slash[1] = '\0';
    else
        *slash = '\0';

    char why[256];
    rc = cl_settings_parse(s, text, base, why, sizeof(why));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, why);
out:
    free(text);
    fclose(f);
    return rc;
}

static void from_env(char *dst, const char *name)
{
    const char *v = getenv(name);
    dst[0] = '\0';
    if (v && strlen(v) < CL_SETTING_MAX)
        snprintf(dst, CL_SETTING_MAX, "%s", v);
}

void cl_settings_from_env(cl_settings_t *s)
{
    from_env(s->server, "CLINIC_SERVER");
    from_env(s->ca, "CLINIC_CA");
    from_env(s->cert, "CLINIC_CERT");
    from_env(s->key, "CLINIC_KEY");
}

static void pick(char *out, const char *a, const char *b, const char *c)
{
    const char *v = (a && *a) ? a : (b && *b) ? b : (c && *c) ? c : "";
    snprintf(out, CL_SETTING_MAX, "%s", v);
}

void cl_settings_merge(cl_settings_t *out, const cl_settings_t *flags, const cl_settings_t *env,
                       const cl_settings_t *file)
{
    cl_settings_t r;
#define CL_PICK(field)                                                                             \
    pick(r.field, flags ? flags->field : NULL, env ? env->field : NULL, file ? file->field : NULL)
    CL_PICK(server);
    CL_PICK(ca);
    CL_PICK(cert);
    CL_PICK(key);
#undef CL_PICK
    if (r.server[0] == '\0')
        snprintf(r.server, sizeof(r.server), "%s", CL_SETTINGS_DEFAULT_SERVER);
    *out = r;
}

int cl_settings_dir(char *out, size_t outlen)
{
    const char *v;
    int n;
    if ((v = getenv("CLINIC_CONFIG_DIR")) != NULL && *v)
        n = snprintf(out, outlen, "%s", v);
    else if ((v = getenv("XDG_CONFIG_HOME")) != NULL && *v)
        n = snprintf(out, outlen, "%s/clinic", v);
    else if ((v = getenv("HOME")) != NULL && *v)
        n = snprintf(out, outlen, "%s/.config/clinic", v);
    else {
        if (outlen)
            out[0] = '\0';
        return CL_ENOTFOUND;
    }
    return n < 0 || (size_t)n >= outlen ? CL_EINVAL : 0;
}

/* mkdir -p: missing parents get 0700 as well (they would be ~/.config at most). */
static int make_dir(const char *dir)
{
    char path[CL_SETTING_MAX];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int cl_settings_save_token(const char *dir, const char *server, const char *token, char *err,
                           size_t errlen)
{
    char path[CL_SETTING_MAX + 32], tmp[CL_SETTING_MAX + 32];
    int fd = -1;
    snprintf(path, sizeof(path), "%s/%s", dir, CL_SETTINGS_SESSION_FILE);
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, CL_SETTINGS_SESSION_FILE, (long)getpid());
    if (make_dir(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return CL_EIO;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return CL_EIO;
    }
    /* The umask cannot widen 0600, but an old file of that name could have other bits. */
    if (fchmod(fd, 0600) != 0)
        goto fail;
    char text[CL_SETTING_MAX + CL_TOKEN_MAX + 64];
    int n = snprintf(text, sizeof(text),
                     "# clinic session; written by `clinic login`\n"
                     "server = %s\ntoken = %s\n",
                     server, token);
    ssize_t wrote = n > 0 && n < (int)sizeof(text) ? write(fd, text, (size_t)n) : -1;
    OPENSSL_cleanse(text, sizeof(text));
    if (wrote != n || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return CL_EIO;
}

int cl_settings_load_token(const char *dir, const char *server, char *token, size_t toklen)
{
    char path[CL_SETTING_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", dir, CL_SETTINGS_SESSION_FILE);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? CL_ENOTFOUND : CL_EIO;
    char text[CL_SETTING_MAX + CL_TOKEN_MAX + 64];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0)
        return CL_EIO;
    text[n] = '\0';

    char saved_server[CL_SETTING_MAX] = "", saved_token[CL_TOKEN_MAX] = "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strstr(line, " = ");
        if (line[0] == '#' || eq == NULL)
            continue;
        *eq = '\0';
        const char *v = eq + 3;
        if (strcmp(line, "server") == 0)
            snprintf(saved_server, sizeof(saved_server), "%s", v);
        else if (strcmp(line, "token") == 0)
            snprintf(saved_token, sizeof(saved_token), "%s", v);
    }
    int rc = CL_ENOTFOUND;
    if (saved_token[0] && strcmp(saved_server, server) == 0 && strlen(saved_token) < toklen) {
        snprintf(token, toklen, "%s", saved_token);
        rc = 0;
    }
    OPENSSL_cleanse(saved_token, sizeof(saved_token));
    OPENSSL_cleanse(text, sizeof(text));
    return rc;
}

int cl_settings_remove_token(const char *dir)
{
    char path[CL_SETTING_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", dir, CL_SETTINGS_SESSION_FILE);
    if (unlink(path) != 0 && errno != ENOENT)
        return CL_EIO;
    return 0;
}
