/* libclinic's parts that need no server: the command line's settings (file, environment, flags,
 * session token), the JSON writer, time arguments, exit statuses, the text of a failed reply, the
 * table of pending calls, and that the asynchronous client never calls back from inside the call
 * that started an operation. No sockets are opened: a bad address fails before any. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "client_int.h"
#include "clinic_cli.h"
#include "clinic_client.h"
#include "clinic_json.h"
#include "clinic_settings.h"
#include "status.h"
#include "test.h"

/* --- helpers ------------------------------------------------------------------------------- */

/* A fresh directory under /tmp, removed by rm_tree. */
static void make_tmp_dir(char *out, size_t outlen)
{
    snprintf(out, outlen, "/tmp/clinic-test-client-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(out));
}

static void rm_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_OK(system(cmd));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    ASSERT_OK(fclose(f));
}

/* A self-signed CA certificate, enough for a client TLS context to load. */
static void write_test_ca(const char *path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    ASSERT_NOT_NULL(key);
    X509 *x = X509_new();
    ASSERT_NOT_NULL(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test CA", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    ASSERT(X509_sign(x, key, EVP_sha256()) > 0);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(PEM_write_X509(f, x), 1);
    ASSERT_OK(fclose(f));
    X509_free(x);
    EVP_PKEY_free(key);
}

static void clear_env(void)
{
    unsetenv("CLINIC_SERVER");
    unsetenv("CLINIC_CA");
    unsetenv("CLINIC_CERT");
    unsetenv("CLINIC_KEY");
    unsetenv("CLINIC_CONFIG_DIR");
    unsetenv("XDG_CONFIG_HOME");
}

/* --- settings ------------------------------------------------------------------------------ */

CL_TEST(settings_parse_reads_keys_and_comments)
{
    cl_settings_t s = {0};
    char err[256] = "";
    const char *text = "# the clinic's server\n"
                       "\n"
                       "server = closet.clinic.lan:7470   # front office\n"
                       "  ca=/etc/clinic/ca.crt\n"
                       "cert = /etc/clinic/ws1.crt\r\n"
                       "key = /etc/clinic/ws#1.key";
    ASSERT_OK(cl_settings_parse(&s, text, NULL, err, sizeof(err)));
    ASSERT_STR_EQ(s.server, "closet.clinic.lan:7470");
    ASSERT_STR_EQ(s.ca, "/etc/clinic/ca.crt");
    ASSERT_STR_EQ(s.cert, "/etc/clinic/ws1.crt");
    /* A '#' inside a value is kept: only one after white space starts a comment. */
    ASSERT_STR_EQ(s.key, "/etc/clinic/ws#1.key");
}

CL_TEST(settings_parse_rejects_unknown_key_naming_the_line)
{
    cl_settings_t s = {0};
    char err[256] = "";
    ASSERT_EQ(cl_settings_parse(&s, "server = a:1\n\nsever = b:2\n", NULL, err, sizeof(err)),
              CL_EINVAL);
    ASSERT_STR_CONTAINS(err, "line 3");
    ASSERT_STR_CONTAINS(err, "sever");
    ASSERT_EQ(cl_settings_parse(&s, "server\n", NULL, err, sizeof(err)), CL_EINVAL);
    ASSERT_STR_CONTAINS(err, "line 1");
    ASSERT_EQ(cl_settings_parse(&s, "ca =   \n", NULL, err, sizeof(err)), CL_EINVAL);
    ASSERT_STR_CONTAINS(err, "no value");
}

CL_TEST(settings_relative_paths_follow_the_file)
{
    char dir[64], path[128], err[256] = "";
    make_tmp_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/clinic.conf", dir);
    write_file(path,
               "server = 10.0.0.5:7470\nca = ca.crt\ncert = /abs/ws.crt\nkey = keys/ws.key\n");
    cl_settings_t s = {0};
    ASSERT_OK(cl_settings_load(&s, path, err, sizeof(err)));
    char want[160];
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    ASSERT_STR_EQ(s.ca, want);
    ASSERT_STR_EQ(s.cert, "/abs/ws.crt");
    snprintf(want, sizeof(want), "%s/keys/ws.key", dir);
    ASSERT_STR_EQ(s.key, want);
    ASSERT_STR_EQ(s.server, "10.0.0.5:7470");
    rm_tree(dir);
}

CL_TEST(settings_load_of_a_missing_file_sets_nothing)
{
    cl_settings_t s = {0};
    char err[256] = "";
    ASSERT_OK(cl_settings_load(&s, "/nonexistent/clinic/clinic.conf", err, sizeof(err)));
    ASSERT_STR_EQ(s.server, "");
    ASSERT_STR_EQ(s.ca, "");
}

CL_TEST(settings_precedence_flags_then_env_then_file)
{
    cl_settings_t flags = {0}, env = {0}, file = {0}, out;
    snprintf(file.server, sizeof(file.server), "file:1");
    snprintf(file.ca, sizeof(file.ca), "/file/ca");
    snprintf(file.cert, sizeof(file.cert), "/file/cert");
    snprintf(file.key, sizeof(file.key), "/file/key");
    snprintf(env.server, sizeof(env.server), "env:2");
    snprintf(env.ca, sizeof(env.ca), "/env/ca");
    snprintf(flags.server, sizeof(flags.server), "flag:3");

    cl_settings_merge(&out, &flags, &env, &file);
    ASSERT_STR_EQ(out.server, "flag:3");
    ASSERT_STR_EQ(out.ca, "/env/ca");
    ASSERT_STR_EQ(out.cert, "/file/cert");
    ASSERT_STR_EQ(out.key, "/file/key");

    cl_settings_merge(&out, NULL, &env, &file);
    ASSERT_STR_EQ(out.server, "env:2");
    cl_settings_merge(&out, NULL, NULL, &file);
    ASSERT_STR_EQ(out.server, "file:1");
    ASSERT_STR_EQ(out.ca, "/file/ca");
    cl_settings_merge(&out, NULL, NULL, NULL);
    ASSERT_STR_EQ(out.server, CL_SETTINGS_DEFAULT_SERVER);
    ASSERT_STR_EQ(out.ca, "");
}

CL_TEST(settings_from_env_reads_the_variables)
{
    clear_env();
    cl_settings_t s;
    memset(&s, 'x', sizeof(s));
    cl_settings_from_env(&s);
    ASSERT_STR_EQ(s.server, "");
    ASSERT_STR_EQ(s.key, "");
    setenv("CLINIC_SERVER", "envhost:7470", 1);
    setenv("CLINIC_CA", "/env/ca.crt", 1);
    setenv("CLINIC_CERT", "/env/ws.crt", 1);
    setenv("CLINIC_KEY", "/env/ws.key", 1);
    cl_settings_from_env(&s);
    ASSERT_STR_EQ(s.server, "envhost:7470");
    ASSERT_STR_EQ(s.ca, "/env/ca.crt");
    ASSERT_STR_EQ(s.cert, "/env/ws.crt");
    ASSERT_STR_EQ(s.key, "/env/ws.key");
    clear_env();
}

CL_TEST(settings_dir_prefers_clinic_config_dir_then_xdg_then_home)
{
    char dir[256];
    clear_env();
    setenv("HOME", "/home/pat", 1);
    ASSERT_OK(cl_settings_dir(dir, sizeof(dir)));
    ASSERT_STR_EQ(dir, "/home/pat/.config/clinic");
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    ASSERT_OK(cl_settings_dir(dir, sizeof(dir)));
    ASSERT_STR_EQ(dir, "/xdg/clinic");
    setenv("CLINIC_CONFIG_DIR", "/tests/conf", 1);
    ASSERT_OK(cl_settings_dir(dir, sizeof(dir)));
    ASSERT_STR_EQ(dir, "/tests/conf");
    clear_env();
    unsetenv("HOME");
    ASSERT_EQ(cl_settings_dir(dir, sizeof(dir)), CL_ENOTFOUND);
}

CL_TEST(token_file_is_private_and_bound_to_its_server)
{
    char tmp[64], dir[128], path[160], token[CL_TOKEN_MAX], err[256] = "";
    make_tmp_dir(tmp, sizeof(tmp));
    snprintf(dir, sizeof(dir), "%s/config/clinic", tmp);
    ASSERT_EQ(cl_settings_load_token(dir, "a:1", token, sizeof(token)), CL_ENOTFOUND);

    ASSERT_OK(cl_settings_save_token(dir, "a:1", "0123abcd", err, sizeof(err)));
    struct stat st;
    ASSERT_OK(stat(dir, &st));
    ASSERT_EQ(st.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/session", dir);
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mode & 0777, 0600);

    ASSERT_OK(cl_settings_load_token(dir, "a:1", token, sizeof(token)));
    ASSERT_STR_EQ(token, "0123abcd");
    /* A token is never handed to a server other than the one that issued it. */
    ASSERT_EQ(cl_settings_load_token(dir, "b:1", token, sizeof(token)), CL_ENOTFOUND);

    ASSERT_OK(cl_settings_save_token(dir, "b:1", "ffff", err, sizeof(err)));
    ASSERT_OK(cl_settings_load_token(dir, "b:1", token, sizeof(token)));
    ASSERT_STR_EQ(token, "ffff");
    ASSERT_OK(cl_settings_remove_token(dir));
    ASSERT_OK(cl_settings_remove_token(dir));
    ASSERT_EQ(cl_settings_load_token(dir, "b:1", token, sizeof(token)), CL_ENOTFOUND);
    rm_tree(tmp);
}

/* --- JSON ---------------------------------------------------------------------------------- */

static const char *json_of_string(cl_json_t *j, const char *s, size_t n)
{
    cl_json_reset(j);
    cl_json_string_n(j, s, n);
    return cl_json_text(j);
}

CL_TEST(json_escapes_quotes_and_backslashes)
{
    cl_json_t j;
    cl_json_init(&j);
    ASSERT_STR_EQ(json_of_string(&j, "say \"hi\"", 8), "\"say \\\"hi\\\"\"");
    ASSERT_STR_EQ(json_of_string(&j, "C:\\dir\\", 7), "\"C:\\\\dir\\\\\"");
    ASSERT_STR_EQ(json_of_string(&j, "a/b", 3), "\"a/b\"");
    ASSERT_STR_EQ(json_of_string(&j, "", 0), "\"\"");
    cl_json_free(&j);
}

CL_TEST(json_escapes_control_characters)
{
    cl_json_t j;
    cl_json_init(&j);
    ASSERT_STR_EQ(json_of_string(&j, "a\nb\tc\rd\be\ff", 11), "\"a\\nb\\tc\\rd\\be\\ff\"");
    ASSERT_STR_EQ(json_of_string(&j, "\x01\x1f\x7f\x1b[31m", 8),
                  "\"\\u0001\\u001f\\u007f\\u001b[31m\"");
    /* An embedded NUL is data, not the end. */
    ASSERT_STR_EQ(json_of_string(&j, "a\0b", 3), "\"a\\u0000b\"");
    cl_json_free(&j);
}

CL_TEST(json_passes_utf8_through)
{
    cl_json_t j;
    cl_json_init(&j);
    const char *s = "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xef\xbf\xbf";
    char want[64];
    snprintf(want, sizeof(want), "\"%s\"", s);
    ASSERT_STR_EQ(json_of_string(&j, s, strlen(s)), want);
    cl_json_free(&j);
}

CL_TEST(json_replaces_invalid_utf8)
{
    cl_json_t j;
    cl_json_init(&j);
    ASSERT_STR_EQ(json_of_string(&j,
                                 "a\xff"
                                 "b",
                                 3),
                  "\"a\\ufffdb\"");
    /* An overlong '/', a surrogate, a truncated sequence, a code point above U+10FFFF. */
    ASSERT_STR_EQ(json_of_string(&j, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
    ASSERT_STR_EQ(json_of_string(&j, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    ASSERT_STR_EQ(json_of_string(&j, "x\xe4\xb8", 3), "\"x\\ufffd\\ufffd\"");
    ASSERT_STR_EQ(json_of_string(&j, "\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    cl_json_free(&j);
}

CL_TEST(json_places_commas_in_nested_values)
{
    cl_json_t j;
    cl_json_init(&j);
    cl_json_object_begin(&j);
    cl_json_kv_string(&j, "username", "pat");
    cl_json_key(&j, "roles");
    cl_json_array_begin(&j);
    cl_json_string(&j, "admin");
    cl_json_string(&j, "staff");
    cl_json_array_end(&j);
    cl_json_key(&j, "empty");
    cl_json_array_begin(&j);
    cl_json_array_end(&j);
    cl_json_key(&j, "inner");
    cl_json_object_begin(&j);
    cl_json_kv_bool(&j, "ok", 1);
    cl_json_key(&j, "none");
    cl_json_null(&j);
    cl_json_object_end(&j);
    cl_json_kv_int(&j, "min", INT64_MIN);
    cl_json_kv_uint(&j, "max", UINT64_MAX);
    cl_json_key(&j, "ms");
    cl_json_double(&j, 0.5, 3);
    cl_json_key(&j, "nan");
    cl_json_double(&j, 0.0 / 0.0, 3);
    cl_json_key(&j, "null_string");
    cl_json_string(&j, NULL);
    cl_json_object_end(&j);
    ASSERT_STR_EQ(cl_json_text(&j),
                  "{\"username\":\"pat\",\"roles\":[\"admin\",\"staff\"],\"empty\":[],"
                  "\"inner\":{\"ok\":true,\"none\":null},\"min\":-9223372036854775808,"
                  "\"max\":18446744073709551615,\"ms\":0.500,\"nan\":null,\"null_string\":null}");
    ASSERT_EQ(cl_json_len(&j), strlen(cl_json_text(&j)));

    /* After a reset the next object starts without a comma. */
    cl_json_reset(&j);
    cl_json_object_begin(&j);
    cl_json_kv_string(&j, "k\"ey", "v");
    cl_json_object_end(&j);
    ASSERT_STR_EQ(cl_json_text(&j), "{\"k\\\"ey\":\"v\"}");
    cl_json_free(&j);
}

/* --- time, numbers, lists ------------------------------------------------------------------- */

CL_TEST(time_parses_unix_seconds)
{
    int64_t t = -1;
    ASSERT_OK(cl_cli_parse_time("0", &t));
    ASSERT_EQ(t, 0);
    ASSERT_OK(cl_cli_parse_time("1714559400", &t));
    ASSERT_EQ(t, 1714559400);
    ASSERT_EQ(cl_cli_parse_time("99999999999999999999", &t), CL_EINVAL);
}

CL_TEST(time_parses_dates_as_utc_midnight)
{
    int64_t t = -1;
    ASSERT_OK(cl_cli_parse_time("1970-01-01", &t));
    ASSERT_EQ(t, 0);
    ASSERT_OK(cl_cli_parse_time("2024-05-01", &t));
    ASSERT_EQ(t, 1714521600);
    ASSERT_OK(cl_cli_parse_time("2000-02-29", &t));
    ASSERT_EQ(t, 951782400);
}

CL_TEST(time_parses_date_and_time_in_utc)
{
    int64_t t = -1;
    ASSERT_OK(cl_cli_parse_time("2024-05-01T10:30:00", &t));
    ASSERT_EQ(t, 1714559400);
    ASSERT_OK(cl_cli_parse_time("2024-05-01T10:30:00Z", &t));
    ASSERT_EQ(t, 1714559400);
    ASSERT_OK(cl_cli_parse_time("2038-01-19T03:14:08", &t));
    ASSERT_EQ(t, 2147483648LL);
}

CL_TEST(time_rejects_what_is_not_a_time)
{
    static const char *const bad[] = {
        "",
        "abc",
        "12a",
        "-5",
        "2023-02-29",
        "2024-13-01",
        "2024-04-31",
        "2024-00-10",
        "2024-5-1",
        "2024-05-01T24:00:00",
        "2024-05-01T10:60:00",
        "2024-05-01T10:30",
        "2024-05-01 10:30:00",
        "2024-05-01T10:30:00+02:00",
        "1969-12-31",
        "2024-05-01Z",
        "2024-05-01T10:30:00ZZ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t = 42;
        if (cl_cli_parse_time(bad[i], &t) != CL_EINVAL)
            CL_FAIL("accepted \"%s\" as %lld", bad[i], (long long)t);
        ASSERT_EQ(t, 42);
    }
}

CL_TEST(time_format_round_trips)
{
    char out[32];
    cl_cli_format_time(1714559400, out, sizeof(out));
    ASSERT_STR_EQ(out, "2024-05-01T10:30:00Z");
    cl_cli_format_time(0, out, sizeof(out));
    ASSERT_STR_EQ(out, "1970-01-01T00:00:00Z");
    for (int64_t t = 0; t < 5000000000LL; t += 7777777) {
        int64_t back;
        cl_cli_format_time(t, out, sizeof(out));
        ASSERT_OK(cl_cli_parse_time(out, &back));
        ASSERT_EQ(back, t);
    }
}

/* Times of day for hours and shifts: "9:30" and "09:30", "24:00" only as an end; bad input of
 * every shape refused. */
CL_TEST(hhmm_parser_and_format)
{
    uint32_t m;
    ASSERT_OK(cl_cli_parse_hhmm("9:30", 0, &m));
    ASSERT_EQ(m, 570);
    ASSERT_OK(cl_cli_parse_hhmm("00:00", 0, &m));
    ASSERT_EQ(m, 0);
    ASSERT_OK(cl_cli_parse_hhmm("24:00", 1, &m));
    ASSERT_EQ(m, 1440);
    ASSERT_EQ(cl_cli_parse_hhmm("24:00", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("24:01", 1, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("12:60", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("12:5", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("123:00", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm(":30", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("9h30", 0, &m), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_hhmm("-1:30", 0, &m), CL_EINVAL);
    char out[6];
    cl_cli_format_hhmm(570, out);
    ASSERT_STR_EQ(out, "09:30");
    cl_cli_format_hhmm(1440, out);
    ASSERT_STR_EQ(out, "24:00");
}

CL_TEST(uint_parser_checks_range)
{
    uint64_t v;
    ASSERT_OK(cl_cli_parse_uint("18446744073709551615", UINT64_MAX, &v));
    ASSERT(v == UINT64_MAX);
    ASSERT_EQ(cl_cli_parse_uint("18446744073709551616", UINT64_MAX, &v), CL_EINVAL);
    ASSERT_OK(cl_cli_parse_uint("1000", 1000, &v));
    ASSERT_EQ(v, 1000);
    ASSERT_EQ(cl_cli_parse_uint("1001", 1000, &v), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_uint("", 10, &v), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_uint("1 ", 10, &v), CL_EINVAL);
    ASSERT_EQ(cl_cli_parse_uint("-1", 10, &v), CL_EINVAL);
}

CL_TEST(split_list_trims_and_drops_empty_items)
{
    char **items;
    size_t n;
    cl_cli_split_list(" admin, front_desk,,staff ,", &items, &n);
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(items[0], "admin");
    ASSERT_STR_EQ(items[1], "front_desk");
    ASSERT_STR_EQ(items[2], "staff");
    cl_cli_free_list(items, n);
    cl_cli_split_list("", &items, &n);
    ASSERT_EQ(n, 0);
    cl_cli_free_list(items, n);
}

/* --- exit statuses and error text ---------------------------------------------------------- */

CL_TEST(exit_status_per_status_class)
{
    static const struct {
        int status;
        int exit;
    } want[] = {
        {CL_OK, 0},        {CL_EINVAL, 7},    {CL_EUNAUTH, 3},  {CL_EPERM, 4},
        {CL_ENOTFOUND, 5}, {CL_ECONFLICT, 6}, {CL_EPRECOND, 6}, {CL_EEXHAUSTED, 8},
        {CL_EUNAVAIL, 2},  {CL_EINTERNAL, 9}, {CL_EAGAIN, 2},   {CL_EEOF, 2},
        {CL_ETLS, 2},      {CL_EIO, 2},       {CL_EFULL, 2},    {CL_EREADONLY, 2},
        {CL_ETIMEOUT, 2},  {CL_EBUSY, 2},     {CL_ECORRUPT, 9}, {CL_EEXIST, 6},
        {CL_ELOCKED, 4},   {CL_EEXPIRED, 3},  {-9999, 9},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (cl_cli_exit_status(want[i].status) != want[i].exit)
            CL_FAIL("%s (%d): exit %d, want %d", cl_status_name(want[i].status), want[i].status,
                    cl_cli_exit_status(want[i].status), want[i].exit);
    }
    /* Every wire code a server can send maps to its class. */
    ASSERT_EQ(cl_cli_exit_status(cl_status_from_code(CLINIC__CODE__UNAVAILABLE)),
              CL_EXIT_UNAVAILABLE);
    ASSERT_EQ(cl_cli_exit_status(cl_status_from_code(CLINIC__CODE__FAILED_PRECONDITION)),
              CL_EXIT_CONFLICT);
    ASSERT_EQ(cl_cli_exit_status(cl_status_from_code(CLINIC__CODE__RESOURCE_EXHAUSTED)),
              CL_EXIT_EXHAUSTED);
}

CL_TEST(failed_reply_text_names_the_field)
{
    char out[256];
    Clinic__FieldError fe = CLINIC__FIELD_ERROR__INIT;
    fe.field = "username";
    fe.message = "must be 1-32 of a-z 0-9 . _ -";
    Clinic__FieldError *fields[] = {&fe};
    Clinic__Status st = CLINIC__STATUS__INIT;
    st.code = CLINIC__CODE__INVALID_ARGUMENT;
    st.fields = fields;
    st.n_fields = 1;
    cl_cli_format_status(CL_EINVAL, &st, out, sizeof(out));
    ASSERT_STR_EQ(out, "invalid argument: username: must be 1-32 of a-z 0-9 . _ -");

    /* A message that repeats the field error is not printed twice. */
    st.message = "username: must be 1-32 of a-z 0-9 . _ -";
    cl_cli_format_status(CL_EINVAL, &st, out, sizeof(out));
    ASSERT_STR_EQ(out, "invalid argument: username: must be 1-32 of a-z 0-9 . _ -");

    st.message = "bad user";
    cl_cli_format_status(CL_EINVAL, &st, out, sizeof(out));
    ASSERT_STR_EQ(out, "invalid argument: bad user: username: must be 1-32 of a-z 0-9 . _ -");

    st.n_fields = 0;
    st.code = CLINIC__CODE__PERMISSION_DENIED;
    st.message = "needs user_admin";
    cl_cli_format_status(CL_EPERM, &st, out, sizeof(out));
    ASSERT_STR_EQ(out, "permission denied: needs user_admin");
    cl_cli_format_status(CL_EEOF, NULL, out, sizeof(out));
    ASSERT_STR_EQ(out, "connection closed");

    /* Truncation keeps a terminated string. */
    char tiny[12];
    cl_cli_format_status(CL_EPERM, &st, tiny, sizeof(tiny));
    ASSERT_STR_EQ(tiny, "permission ");
}

/* --- pending calls ------------------------------------------------------------------------- */

static void no_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    (void)status;
    (void)resp;
    (void)arg;
}

CL_TEST(pending_calls_match_replies_in_any_order)
{
    cl_pending_map_t m = {0};
    enum { N = 1000 };
    for (uint64_t id = 1; id <= N; id++)
        cl_pending_put(&m, id, no_reply, (void *)(uintptr_t)id);
    ASSERT_EQ(m.count, N);
    /* Take odd ids from the top down, then even ids from the bottom up. */
    cl_pending_t p;
    for (uint64_t id = N - 1; id >= 1 && id <= N; id -= 2) {
        ASSERT_EQ(cl_pending_take(&m, id, &p), 1);
        ASSERT_EQ(p.id, id);
        ASSERT_EQ((uintptr_t)p.arg, id);
    }
    for (uint64_t id = 2; id <= N; id += 2) {
        ASSERT_EQ(cl_pending_take(&m, id, &p), 1);
        ASSERT_EQ((uintptr_t)p.arg, id);
        ASSERT_EQ(cl_pending_take(&m, id, &p), 0);
    }
    ASSERT_EQ(m.count, 0);
    ASSERT_EQ(cl_pending_take(&m, 0, &p), 0);
    ASSERT_EQ(cl_pending_take(&m, N + 1, &p), 0);
    cl_pending_free(&m);
}

CL_TEST(pending_calls_survive_collisions_and_removal)
{
    cl_pending_map_t m = {0};
    cl_pending_t p;
    /* With 16 slots, 1, 17, 33 and 49 share a home slot and 2 lands in their run. */
    cl_pending_put(&m, 1, no_reply, NULL);
    cl_pending_put(&m, 17, no_reply, NULL);
    cl_pending_put(&m, 2, no_reply, NULL);
    cl_pending_put(&m, 33, no_reply, NULL);
    cl_pending_put(&m, 49, no_reply, NULL);
    ASSERT_EQ(m.cap, 16);
    ASSERT_EQ(cl_pending_take(&m, 1, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 33, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 2, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 49, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 17, &p), 1);
    ASSERT_EQ(m.count, 0);
    /* Wrapping at the end of the table. */
    cl_pending_put(&m, 15, no_reply, NULL);
    cl_pending_put(&m, 31, no_reply, NULL);
    cl_pending_put(&m, 47, no_reply, NULL);
    ASSERT_EQ(cl_pending_take(&m, 15, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 47, &p), 1);
    ASSERT_EQ(cl_pending_take(&m, 31, &p), 1);
    cl_pending_free(&m);
}

/* --- the asynchronous client never calls back synchronously --------------------------------- */

typedef struct {
    int state_calls;
    int status;
    char reason[256];
    int reply_calls;
} observed_t;

static void on_state(cl_client_t *c, int status, const char *reason,
                     const Clinic__HelloReply *hello, void *arg)
{
    observed_t *o = arg;
    ASSERT_NULL(hello);
    o->state_calls++;
    o->status = status;
    snprintf(o->reason, sizeof(o->reason), "%s", reason);
    /* Calls on a client that is ending are refused, and never call back. */
    Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_PING;
    req.ping = &ping;
    ASSERT_EQ(cl_client_call(c, &req, no_reply, NULL), CL_EEOF);
    cl_client_close(c);
}

static void on_reply_counted(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    (void)status;
    (void)resp;
    ((observed_t *)arg)->reply_calls++;
}

static void connect_and_fail(const char *server, int close_at_once)
{
    char dir[64], ca[128];
    make_tmp_dir(dir, sizeof(dir));
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    write_test_ca(ca);

    uv_loop_t loop;
    ASSERT_OK(uv_loop_init(&loop));
    observed_t o = {0};
    cl_client_config_t cfg = {.server = server, .ca_file = ca, .client_name = "test"};
    cl_client_t *c = cl_client_connect(&loop, &cfg, on_state, &o);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(o.state_calls, 0);
    Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_PING;
    req.ping = &ping;
    /* The address was refused inside connect, yet nothing has been reported: a call now is
     * refused (the client is closing) rather than answered from inside cl_client_call. */
    ASSERT_EQ(cl_client_call(c, &req, on_reply_counted, &o), CL_EEOF);
    if (close_at_once) {
        cl_client_close(c);
        cl_client_close(c);
    }
    ASSERT_EQ(o.state_calls, 0);
    ASSERT_EQ(o.reply_calls, 0);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(o.state_calls, 1);
    ASSERT_EQ(o.reply_calls, 0);
    ASSERT_EQ(o.status, CL_EINVAL);
    ASSERT_STR_CONTAINS(o.reason, "bad server address");
    ASSERT_OK(uv_loop_close(&loop));
    rm_tree(dir);
}

CL_TEST(client_reports_a_bad_address_from_the_loop)
{
    connect_and_fail("clinic.lan:notaport", 0);
    connect_and_fail("[::1", 0);
    connect_and_fail(":7470", 0);
    connect_and_fail("clinic.lan:70000", 0);
}

CL_TEST(client_close_inside_connect_never_calls_back_synchronously)
{
    connect_and_fail("clinic.lan:0", 1);
}

CL_TEST(client_without_a_readable_ca_is_not_made)
{
    uv_loop_t loop;
    ASSERT_OK(uv_loop_init(&loop));
    observed_t o = {0};
    cl_client_config_t cfg = {.server = "127.0.0.1:7470", .ca_file = "/nonexistent/ca.crt"};
    ASSERT_NULL(cl_client_connect(&loop, &cfg, on_state, &o));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(o.state_calls, 0);
    ASSERT_OK(uv_loop_close(&loop));
}

CL_TEST(sync_connect_returns_the_reason_and_cleans_up)
{
    char dir[64], ca[128], err[256] = "";
    make_tmp_dir(dir, sizeof(dir));
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    write_test_ca(ca);
    cl_sync_t *s = (cl_sync_t *)&s;
    cl_client_config_t cfg = {.server = "clinic.lan:x", .ca_file = ca};
    ASSERT_EQ(cl_sync_connect(&cfg, &s, err, sizeof(err)), CL_EINVAL);
    ASSERT_NULL(s);
    ASSERT_STR_CONTAINS(err, "bad server address");

    cfg.ca_file = "/nonexistent/ca.crt";
    ASSERT_EQ(cl_sync_connect(&cfg, &s, err, sizeof(err)), CL_ETLS);
    ASSERT_NULL(s);
    ASSERT_STR_CONTAINS(err, "/nonexistent/ca.crt");
    cl_sync_close(NULL);
    rm_tree(dir);
}

/* The command line sends a request by its kind alone (client/cli's cli_send) and waits for the
 * result of the same number: every Request body has a Response result of the same number and
 * name. Bad input: none; a new pair numbered apart would break `clinic` for that command. */
CL_TEST(every_request_kind_has_the_response_kind_of_its_number)
{
    const ProtobufCMessageDescriptor *rq = &clinic__request__descriptor;
    const ProtobufCMessageDescriptor *rs = &clinic__response__descriptor;
    size_t bodies = 0;
    for (unsigned i = 0; i < rq->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &rq->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        bodies++;
        const ProtobufCFieldDescriptor *g = protobuf_c_message_descriptor_get_field(rs, f->id);
        if (g == NULL || strcmp(g->name, f->name) != 0)
            CL_FAIL("request body %s (%u) has %s in the response", f->name, f->id,
                    g ? g->name : "nothing");
    }
    ASSERT_GT(bodies, 100);
}

/* cl_request_make puts the body in the field of its kind: the packed request unpacks to that
 * kind with that body. Bad input: a kind that names no request (0, a scalar-free gap, one past
 * the last) gets CL_EINVAL and an empty request, never a pointer written at a wrong offset. */
CL_TEST(request_make_sets_the_body_of_its_kind)
{
    Clinic__PatientSearchRequest search = CLINIC__PATIENT_SEARCH_REQUEST__INIT;
    search.query = "smi jo";
    search.limit = 7;
    Clinic__Request req;
    ASSERT_EQ(cl_request_make(&req, CLINIC__REQUEST__BODY_PATIENT_SEARCH, &search), 0);
    ASSERT_EQ(req.body_case, CLINIC__REQUEST__BODY_PATIENT_SEARCH);
    ASSERT(req.patient_search == &search);

    uint8_t buf[256];
    size_t n = clinic__request__pack(&req, buf);
    Clinic__Request *back = clinic__request__unpack(NULL, n, buf);
    ASSERT_NOT_NULL(back);
    ASSERT_EQ(back->body_case, CLINIC__REQUEST__BODY_PATIENT_SEARCH);
    ASSERT_STR_EQ(back->patient_search->query, "smi jo");
    ASSERT_EQ(back->patient_search->limit, 7);
    clinic__request__free_unpacked(back, NULL);

    ASSERT_EQ(cl_request_make(&req, CLINIC__REQUEST__BODY__NOT_SET, &search), CL_EINVAL);
    ASSERT_EQ(req.body_case, CLINIC__REQUEST__BODY__NOT_SET);
    ASSERT_EQ(cl_request_make(&req, (Clinic__Request__BodyCase)100000, &search), CL_EINVAL);
    ASSERT_EQ(req.body_case, CLINIC__REQUEST__BODY__NOT_SET);
}

CL_TEST_MAIN(
    CL_TEST_ENTRY(every_request_kind_has_the_response_kind_of_its_number),
    CL_TEST_ENTRY(request_make_sets_the_body_of_its_kind),
    CL_TEST_ENTRY(hhmm_parser_and_format), CL_TEST_ENTRY(settings_parse_reads_keys_and_comments),
    CL_TEST_ENTRY(settings_parse_rejects_unknown_key_naming_the_line),
    CL_TEST_ENTRY(settings_relative_paths_follow_the_file),
    CL_TEST_ENTRY(settings_load_of_a_missing_file_sets_nothing),
    CL_TEST_ENTRY(settings_precedence_flags_then_env_then_file),
    CL_TEST_ENTRY(settings_from_env_reads_the_variables),
    CL_TEST_ENTRY(settings_dir_prefers_clinic_config_dir_then_xdg_then_home),
    CL_TEST_ENTRY(token_file_is_private_and_bound_to_its_server),
    CL_TEST_ENTRY(json_escapes_quotes_and_backslashes),
    CL_TEST_ENTRY(json_escapes_control_characters), CL_TEST_ENTRY(json_passes_utf8_through),
    CL_TEST_ENTRY(json_replaces_invalid_utf8), CL_TEST_ENTRY(json_places_commas_in_nested_values),
    CL_TEST_ENTRY(time_parses_unix_seconds), CL_TEST_ENTRY(time_parses_dates_as_utc_midnight),
    CL_TEST_ENTRY(time_parses_date_and_time_in_utc), CL_TEST_ENTRY(time_rejects_what_is_not_a_time),
    CL_TEST_ENTRY(time_format_round_trips), CL_TEST_ENTRY(uint_parser_checks_range),
    CL_TEST_ENTRY(split_list_trims_and_drops_empty_items),
    CL_TEST_ENTRY(exit_status_per_status_class), CL_TEST_ENTRY(failed_reply_text_names_the_field),
    CL_TEST_ENTRY(pending_calls_match_replies_in_any_order),
    CL_TEST_ENTRY(pending_calls_survive_collisions_and_removal),
    CL_TEST_ENTRY(client_reports_a_bad_address_from_the_loop),
    CL_TEST_ENTRY(client_close_inside_connect_never_calls_back_synchronously),
    CL_TEST_ENTRY(client_without_a_readable_ca_is_not_made),
    CL_TEST_ENTRY(sync_connect_returns_the_reason_and_cleans_up))
