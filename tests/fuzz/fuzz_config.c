/* libFuzzer target for clinicd.conf: cl_config_parse over the input as text. A refusal names a
 * line of the text; an accepted text gives values in the ranges docs/ADMIN.md documents (written
 * out again here, independently of config.c's table), and cl_config_write then cl_config_load of
 * the result gives the same settings back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "mem.h"
#include "status.h"

enum { ERR_MAX = 256 };

static char scratch_dir[64]; /* this process's own directory for the round trip */
static char conf_path[96];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_scratch(void)
{
    unlink(conf_path);
    rmdir(scratch_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: cl_config_write fsyncs, once per accepted input. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(scratch_dir, sizeof(scratch_dir), "%s/fuzz_config.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(scratch_dir) != NULL, "cannot make a directory in %s", base);
    snprintf(conf_path, sizeof(conf_path), "%s/clinicd.conf", scratch_dir);
    atexit(remove_scratch);
    return 0;
}

/* A string field: non-empty when `nonempty`, terminated inside its buffer, no control byte. */
static void check_string(const char *name, const char *s, size_t size, int nonempty)
{
    const char *nul = memchr(s, '\0', size);
    FUZZ_CHECK(nul != NULL, "%s is not terminated", name);
    FUZZ_CHECK(!nonempty || nul > s, "%s is empty", name);
    for (const char *p = s; p < nul; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "%s holds byte %#x", name,
                   (unsigned)(unsigned char)*p);
}

#define CHECK_RANGE(cfg, field, lo, hi)                                                            \
    FUZZ_CHECK((int64_t)(cfg)->field >= (lo) && (int64_t)(cfg)->field <= (hi),                     \
               #field " = %lld is outside %lld-%lld", (long long)(cfg)->field, (long long)(lo),    \
               (long long)(hi))

/* The documented ranges (docs/ADMIN.md, "Configuration"). */
static void check_ranges(const cl_config_t *cfg)
{
    check_string("clinic_name", cfg->clinic_name, sizeof(cfg->clinic_name), 1);
    check_string("listen", cfg->listen, sizeof(cfg->listen), 1);
    check_string("time_zone", cfg->time_zone, sizeof(cfg->time_zone), 1);

    /* HOST:PORT or [V6]:PORT, a port of at most 65535. */
    const char *colon = strrchr(cfg->listen, ':');
    FUZZ_CHECK(colon != NULL && colon > cfg->listen, "listen '%s' has no HOST:", cfg->listen);
    FUZZ_CHECK(colon[1] != '\0' && strspn(colon + 1, "0123456789") == strlen(colon + 1),
               "listen '%s' has no numeric port", cfg->listen);
    unsigned long port = 0;
    for (const char *p = colon + 1; *p && port <= 65535; p++)
        port = port * 10 + (unsigned long)(*p - '0');
    FUZZ_CHECK(port <= 65535, "listen '%s': the port is over 65535", cfg->listen);
    if (cfg->listen[0] == '[')
        FUZZ_CHECK(colon[-1] == ']', "listen '%s': no closing bracket", cfg->listen);
    else
        FUZZ_CHECK(memchr(cfg->listen, ':', (size_t)(colon - cfg->listen)) == NULL,
                   "listen '%s': an IPv6 address without brackets", cfg->listen);
    /* An IANA name: no leading '/', no "..", only these characters (it becomes a path). */
    FUZZ_CHECK(cfg->time_zone[0] != '/' && strstr(cfg->time_zone, "..") == NULL &&
                   strspn(cfg->time_zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789/_+-") == strlen(cfg->time_zone),
               "time_zone '%s' is not an IANA name", cfg->time_zone);

    CHECK_RANGE(cfg, max_connections, 1, 1000000);
    CHECK_RANGE(cfg, max_frame, 256, 67108864);
    CHECK_RANGE(cfg, max_in_flight, 1, 65536);
    CHECK_RANGE(cfg, max_output_kib, 16, 1048576);
    CHECK_RANGE(cfg, idle_logoff_minutes, 1, 1440);
    CHECK_RANGE(cfg, idle_logoff_seconds, 0, 86400);
    CHECK_RANGE(cfg, handshake_timeout_s, 1, 600);
    CHECK_RANGE(cfg, connection_idle_s, 1, 86400);
    CHECK_RANGE(cfg, lockout_failures, 1, 1000);
    CHECK_RANGE(cfg, lockout_minutes, 1, 10080);
    CHECK_RANGE(cfg, login_attempts_per_minute, 1, 100000);
    CHECK_RANGE(cfg, scrypt_log2_n, 10, 20);
    CHECK_RANGE(cfg, require_client_cert, 0, 1);
}

#define CHECK_SAME_INT(a, b, field)                                                                \
    FUZZ_CHECK((a)->field == (b)->field, #field " was %lld, read back as %lld",                    \
               (long long)(a)->field, (long long)(b)->field)
#define CHECK_SAME_STR(a, b, field)                                                                \
    FUZZ_CHECK(strcmp((a)->field, (b)->field) == 0, #field " was '%s', read back as '%s'",         \
               (a)->field, (b)->field)

/* Field by field: bytes after a string's NUL are not settings. */
static void check_same(const cl_config_t *a, const cl_config_t *b)
{
    CHECK_SAME_STR(a, b, clinic_name);
    CHECK_SAME_STR(a, b, listen);
    CHECK_SAME_INT(a, b, max_connections);
    CHECK_SAME_INT(a, b, max_frame);
    CHECK_SAME_INT(a, b, max_in_flight);
    CHECK_SAME_INT(a, b, max_output_kib);
    CHECK_SAME_INT(a, b, idle_logoff_minutes);
    CHECK_SAME_INT(a, b, idle_logoff_seconds);
    CHECK_SAME_INT(a, b, handshake_timeout_s);
    CHECK_SAME_INT(a, b, connection_idle_s);
    CHECK_SAME_INT(a, b, lockout_failures);
    CHECK_SAME_INT(a, b, lockout_minutes);
    CHECK_SAME_INT(a, b, login_attempts_per_minute);
    CHECK_SAME_INT(a, b, scrypt_log2_n);
    CHECK_SAME_STR(a, b, time_zone);
    CHECK_SAME_INT(a, b, require_client_cert);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = cl_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < size && text[i]; i++)
        lines += text[i] == '\n';

    /* The error buffer has exactly ERR_MAX bytes, so ASan sees any write past it. */
    char *err = cl_malloc(ERR_MAX);
    cl_config_t cfg;
    cl_config_defaults(&cfg);
    int rc = cl_config_parse(&cfg, text, err, ERR_MAX);
    FUZZ_CHECK(rc == 0 || rc == CL_EINVAL, "cl_config_parse returned %d", rc);
    FUZZ_CHECK(memchr(err, '\0', ERR_MAX) != NULL, "the error is not terminated");

    /* A one-byte buffer changes nothing but the message. */
    char tiny = 'x';
    cl_config_t cfg2;
    cl_config_defaults(&cfg2);
    FUZZ_CHECK(cl_config_parse(&cfg2, text, &tiny, 1) == rc && tiny == '\0',
               "a one-byte error buffer changed the result");

    if (rc != 0) {
        int line = 0, n = 0;
        FUZZ_CHECK(sscanf(err, "line %d: %n", &line, &n) == 1 && n > 0,
                   "the error '%s' names no line", err);
        FUZZ_CHECK(line >= 1 && (size_t)line <= lines, "the error '%s' names a line of %zu", err,
                   lines);
        FUZZ_CHECK(err[n] != '\0', "the error '%s' says nothing after the line", err);
        goto out;
    }
    FUZZ_CHECK(err[0] == '\0', "accepted, with the error '%s'", err);
    check_ranges(&cfg);

    int wrc = cl_config_write(&cfg, conf_path);
    FUZZ_CHECK(wrc == 0, "cl_config_write of accepted settings returned %d", wrc);
    cl_config_t back;
    cl_config_defaults(&back);
    int lrc = cl_config_load(&back, conf_path, err, ERR_MAX);
    FUZZ_CHECK(lrc == 0, "what cl_config_write wrote does not load (%d): %s", lrc, err);
    check_same(&cfg, &back);
out:
    free(err);
    free(text);
    return 0;
}
