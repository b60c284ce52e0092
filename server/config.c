/* clinicd.conf: one table of keys (name, type, place in cl_config_t, range, comment) drives the
 * defaults' documentation, the parser and the writer, so the three never disagree. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "mem.h"
#include "status.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum { CONFIG_FILE_MAX = 1 << 20 };

typedef enum { KEY_STRING, KEY_U32, KEY_INT, KEY_BOOL } key_type_t;

typedef struct {
    const char *name;
    key_type_t type;
    size_t offset;
    size_t size; /* strings: the buffer's size */
    int64_t min; /* integers: the range; strings: the shortest length */
    int64_t max;
    int (*check)(const char *value); /* strings: 1 when well-formed; may be NULL */
    const char *comment;
} config_key_t;

static int check_listen(const char *value);
static int check_time_zone(const char *value);

/* One row of the table below; the field's name is the key's. */
#define KEY(field, key_type, field_size, lo, hi, check_fn, text)                                   \
    {                                                                                              \
        .name = #field, .type = (key_type), .offset = offsetof(cl_config_t, field),                \
        .size = (field_size), .min = (lo), .max = (hi), .check = (check_fn), .comment = (text)     \
    }
#define STR_KEY(field, minlen, check, text)                                                        \
    KEY(field, KEY_STRING, sizeof(((cl_config_t *)0)->field), minlen, 0, check, text)
#define U32_KEY(field, lo, hi, text) KEY(field, KEY_U32, 0, lo, hi, NULL, text)
#define INT_KEY(field, lo, hi, text) KEY(field, KEY_INT, 0, lo, hi, NULL, text)
#define BOOL_KEY(field, text) KEY(field, KEY_BOOL, 0, 0, 1, NULL, text)

static const config_key_t keys[] = {
    STR_KEY(clinic_name, 1, NULL, "The practice's name, shown to every client at connect."),
    STR_KEY(listen, 3, check_listen,
            "Address and port to listen on: 127.0.0.1:7470, 0.0.0.0:7470, [::]:7470."),
    U32_KEY(max_connections, 1, 1000000, "Connections at once; more are refused."),
    U32_KEY(max_frame, 256, 64u << 20, "Largest frame in bytes, both directions."),
    U32_KEY(max_in_flight, 1, 65536,
            "Requests in flight per connection before the server stops reading from it."),
    U32_KEY(max_output_kib, 16, 1u << 20,
            "Queued reply bytes per connection (KiB); a client that never reads is closed."),
    U32_KEY(idle_logoff_minutes, 1, 1440, "A session idle this long is logged off."),
    U32_KEY(idle_logoff_seconds, 0, 86400,
            "When not 0, the idle logoff in seconds instead of minutes (kiosks, tests)."),
    U32_KEY(handshake_timeout_s, 1, 600, "Seconds for a TLS handshake and Hello."),
    U32_KEY(connection_idle_s, 1, 86400,
            "Seconds before a connection with no session and no traffic is closed."),
    U32_KEY(lockout_failures, 1, 1000, "Failed logins in a row that lock an account."),
    U32_KEY(lockout_minutes, 1, 10080, "How long a locked account stays locked."),
    U32_KEY(login_attempts_per_minute, 1, 100000, "Login attempts per client address per minute."),
    INT_KEY(scrypt_log2_n, 10, 20,
            "Password hashing cost: scrypt N = 2^this (15: 32 MiB and ~0.1 s per login)."),
    STR_KEY(time_zone, 1, check_time_zone, "The clinic's IANA time zone, for calendar dates."),
    BOOL_KEY(require_client_cert,
             "Workstations must present a certificate from the clinic's CA (no: development)."),
    U32_KEY(readers, 0, 16,
            "Threads that serve searches, boards and other reads beside the writer (0: none)."),
    U32_KEY(board_arrived_wait_minutes, 1, 1440,
            "The board flags an arrival waiting longer than this for a room."),
    U32_KEY(board_roomed_wait_minutes, 1, 1440,
            "The board flags a roomed patient waiting longer than this for the provider."),
    U32_KEY(wal_checkpoint_pages, 100, 1000000,
            "WAL length (4 KiB pages) at which a commit copies it back into the database file."),
};

void cl_config_defaults(cl_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->clinic_name, sizeof(cfg->clinic_name), "%s", "Clinic");
    snprintf(cfg->listen, sizeof(cfg->listen), "%s", "127.0.0.1:7470");
    cfg->max_connections = 10000;
    cfg->max_frame = 1048576;
    cfg->max_in_flight = 64;
    cfg->max_output_kib = 8192;
    cfg->idle_logoff_minutes = 15;
    cfg->handshake_timeout_s = 10;
    cfg->connection_idle_s = 300;
    cfg->lockout_failures = 5;
    cfg->lockout_minutes = 15;
    cfg->login_attempts_per_minute = 30;
    cfg->scrypt_log2_n = 15;
    snprintf(cfg->time_zone, sizeof(cfg->time_zone), "%s", "UTC");
    cfg->require_client_cert = 1;
    cfg->readers = 0;
    cfg->wal_checkpoint_pages = CL_DB_WAL_CHECKPOINT_PAGES;
    cfg->board_arrived_wait_minutes = CL_BOARD_ARRIVED_WAIT;
    cfg->board_roomed_wait_minutes = CL_BOARD_ROOMED_WAIT;
}

int cl_config_listen_addr(const char *value, struct sockaddr_storage *out)
{
    const char *colon = strrchr(value, ':');
    if (colon == NULL || colon == value || colon[1] == '\0')
        return CL_EINVAL;
    char host[INET6_ADDRSTRLEN];
    int family = AF_INET;
    const char *from = value;
    size_t len = (size_t)(colon - value);
    if (value[0] == '[') {
        if (colon[-1] != ']' || colon - value < 3)
            return CL_EINVAL;
        family = AF_INET6;
        from = value + 1;
        len -= 2;
    }
    if (len >= sizeof(host))
        return CL_EINVAL;
    memcpy(host, from, len);
    host[len] = '\0';
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return CL_EINVAL;
        port = port * 10 + (*p - '0');
    }
    if (port > 65535)
        return CL_EINVAL;
    memset(out, 0, sizeof(*out));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return CL_EINVAL; /* a host name, or an IPv6 address without its brackets */
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return CL_EINVAL;
    }
    return 0;
}

static int check_listen(const char *value)
{
    struct sockaddr_storage ss;
    return cl_config_listen_addr(value, &ss) == 0;
}

/* An IANA name ("America/Chicago", "UTC", "Etc/GMT+5"): no leading '/', no "..". */
static int check_time_zone(const char *value)
{
    if (value[0] == '/' || strstr(value, "..") != NULL)
        return 0;
    return strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") ==
           strlen(value);
}

static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "line %d: ", line);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return CL_EINVAL;
}

static const config_key_t *find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(keys); i++) {
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
            return &keys[i];
    }
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < CL_ARRAY_SIZE(yes); i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return CL_EINVAL;
}

/* Stores `value` (NUL-terminated, trimmed) into the key's field, or says why not. */
static int set_value(cl_config_t *cfg, const config_key_t *k, const char *value, int line,
                     char *err, size_t errlen)
{
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case KEY_STRING: {
        size_t n = strlen(value);
        if (n < (size_t)k->min)
            return fail(err, errlen, line, "%s must not be empty", k->name);
        if (n >= k->size)
            return fail(err, errlen, line, "%s is too long (at most %zu bytes)", k->name,
                        k->size - 1);
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
                return fail(err, errlen, line, "%s holds a control character", k->name);
        }
        if (k->check && !k->check(value))
            return fail(err, errlen, line, "%s: '%s' is not valid", k->name, value);
        memcpy(field, value, n + 1);
        return 0;
    }
    case KEY_BOOL: {
        int b;
        if (parse_bool(value, &b) != 0)
            return fail(err, errlen, line, "%s: '%s' is not yes/no/true/false/1/0", k->name, value);
        *(int *)field = b;
        return 0;
    }
    case KEY_U32:
    case KEY_INT: {
        if (value[0] == '\0' || strspn(value, "-0123456789") != strlen(value))
            return fail(err, errlen, line, "%s: '%s' is not a whole number", k->name, value);
        errno = 0;
        char *end;
        long long v = strtoll(value, &end, 10);
        if (errno != 0 || *end != '\0')
            return fail(err, errlen, line, "%s: '%s' is not a whole number", k->name, value);
        if (v < k->min || v > k->max)
            return fail(err, errlen, line, "%s must be between %lld and %lld", k->name,
                        (long long)k->min, (long long)k->max);
        if (k->type == KEY_U32)
            *(uint32_t *)field = (uint32_t)v;
        else
            *(int *)field = (int)v;
        return 0;
    }
    }
    return CL_EINTERNAL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int cl_config_parse(cl_config_t *cfg, const char *text, char *err, size_t errlen)
{
    const char *p = text;
    int line = 0;
    int rc = 0;
    char *value = NULL;

    if (err && errlen)
        err[0] = '\0';
    while (*p) {
        line++;
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        const char *next = eol ? eol + 1 : end;
        while (p < end && is_space(*p))
            p++;
        while (end > p && is_space(end[-1]))
            end--;
        /* Comments are whole lines, so a value (a clinic's name) may hold a '#'. */
        if (p == end || *p == '#') {
            p = next;
            continue;
        }
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL) {
            rc = fail(err, errlen, line, "expected 'key = value'");
            goto out;
        }
        const char *kend = eq;
        while (kend > p && is_space(kend[-1]))
            kend--;
        const config_key_t *k = find_key(p, (size_t)(kend - p));
        if (k == NULL) {
            rc = fail(err, errlen, line, "unknown key '%.*s'", (int)(kend - p), p);
            goto out;
        }
        /* A key set again overrides: settings appended to the end of the file win. */
        const char *v = eq + 1;
        while (v < end && is_space(*v))
            v++;
        value = cl_strndup(v, (size_t)(end - v));
        if ((rc = set_value(cfg, k, value, line, err, errlen)) != 0)
            goto out;
        free(value);
        value = NULL;
        p = next;
    }
out:
    free(value);
    return rc;
}

int cl_config_load(cl_config_t *cfg, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CL_EIO;
    }
    text = cl_malloc(CONFIG_FILE_MAX + 1);
    len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = CL_EIO;
        goto out;
    }
    if (len > CONFIG_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
        rc = CL_EINVAL;
        goto out;
    }
    if (memchr(text, '\0', len) != NULL) {
        snprintf(err, errlen, "%s: holds a NUL byte", path);
        rc = CL_EINVAL;
        goto out;
    }
    text[len] = '\0';
    char why[256];
    rc = cl_config_parse(cfg, text, why, sizeof(why));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, why);
out:
    free(text);
    fclose(f);
    return rc;
}

/* The value of `k` in `cfg` as text. */
static void format_value(const cl_config_t *cfg, const config_key_t *k, char *out, size_t outlen)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case KEY_STRING:
        snprintf(out, outlen, "%s", field);
        break;
    case KEY_U32:
        snprintf(out, outlen, "%u", (unsigned)*(const uint32_t *)field);
        break;
    case KEY_INT:
        snprintf(out, outlen, "%d", *(const int *)field);
        break;
    case KEY_BOOL:
        snprintf(out, outlen, "%s", *(const int *)field ? "yes" : "no");
        break;
    }
}

/* Appends the comment and `key = value` line of `k` to `f`. */
static void write_key(FILE *f, const cl_config_t *cfg, const cl_config_t *defaults,
                      const config_key_t *k)
{
    char value[256], fallback[256];
    format_value(cfg, k, value, sizeof(value));
    format_value(defaults, k, fallback, sizeof(fallback));
    fprintf(f, "\n# %s Default: %s\n%s = %s\n", k->comment, fallback, k->name, value);
}

int cl_config_write(const cl_config_t *cfg, const char *path)
{
    char tmp[PATH_MAX];
    int rc = CL_EIO;
    FILE *f = NULL;

    /* A line break in a string would split it into lines that do not parse back. */
    for (size_t i = 0; i < CL_ARRAY_SIZE(keys); i++) {
        const char *field = (const char *)cfg + keys[i].offset;
        if (keys[i].type == KEY_STRING && strpbrk(field, "\r\n") != NULL)
            return CL_EINVAL;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return CL_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return CL_EIO;
    if (fchmod(fd, 0640) != 0 || (f = fdopen(fd, "w")) == NULL) {
        close(fd);
        goto out;
    }
    fprintf(f, "# clinicd settings: `key = value` lines; `#` starts a comment line.\n"
               "# An unknown key or a bad value stops clinicd with the line's number.\n");
    cl_config_t defaults;
    cl_config_defaults(&defaults);
    for (size_t i = 0; i < CL_ARRAY_SIZE(keys); i++)
        write_key(f, cfg, &defaults, &keys[i]);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0)
        goto out;
    if (rename(tmp, path) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        unlink(tmp);
    return rc;
}
