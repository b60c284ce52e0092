/* clinicd.conf: the defaults, every key, comments, the errors that name their line, ranges, and
 * a write-then-load round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "status.h"
#include "test.h"

static void assert_same(const cl_config_t *a, const cl_config_t *b)
{
    ASSERT_STR_EQ(a->clinic_name, b->clinic_name);
    ASSERT_STR_EQ(a->listen, b->listen);
    ASSERT_EQ(a->max_connections, b->max_connections);
    ASSERT_EQ(a->max_frame, b->max_frame);
    ASSERT_EQ(a->max_in_flight, b->max_in_flight);
    ASSERT_EQ(a->max_output_kib, b->max_output_kib);
    ASSERT_EQ(a->idle_logoff_minutes, b->idle_logoff_minutes);
    ASSERT_EQ(a->handshake_timeout_s, b->handshake_timeout_s);
    ASSERT_EQ(a->connection_idle_s, b->connection_idle_s);
    ASSERT_EQ(a->lockout_failures, b->lockout_failures);
    ASSERT_EQ(a->lockout_minutes, b->lockout_minutes);
    ASSERT_EQ(a->login_attempts_per_minute, b->login_attempts_per_minute);
    ASSERT_EQ(a->scrypt_log2_n, b->scrypt_log2_n);
    ASSERT_STR_EQ(a->time_zone, b->time_zone);
    ASSERT_EQ(a->require_client_cert, b->require_client_cert);
}

CL_TEST(defaults)
{
    cl_config_t c;
    cl_config_defaults(&c);
    ASSERT_STR_EQ(c.listen, "127.0.0.1:7470");
    ASSERT_EQ(c.max_connections, 10000);
    ASSERT_EQ(c.max_frame, 1048576);
    ASSERT_EQ(c.max_in_flight, 64);
    ASSERT_EQ(c.max_output_kib, 8192);
    ASSERT_EQ(c.idle_logoff_minutes, 15);
    ASSERT_EQ(c.handshake_timeout_s, 10);
    ASSERT_EQ(c.connection_idle_s, 300);
    ASSERT_EQ(c.lockout_failures, 5);
    ASSERT_EQ(c.lockout_minutes, 15);
    ASSERT_EQ(c.login_attempts_per_minute, 30);
    ASSERT_EQ(c.scrypt_log2_n, 15);
    ASSERT_STR_EQ(c.time_zone, "UTC");
    ASSERT_EQ(c.require_client_cert, 1);
    ASSERT_EQ(c.readers, 0);
    ASSERT_EQ(c.wal_checkpoint_pages, 10000);
    ASSERT_EQ(c.board_arrived_wait_minutes, 15);
    ASSERT_EQ(c.board_roomed_wait_minutes, 20);
    ASSERT(c.clinic_name[0] != '\0');
}

CL_TEST(parses_every_key)
{
    static const char text[] = "clinic_name = Maple Street Family Practice #2\n"
                               "listen = [::]:7471\n"
                               "max_connections = 500\n"
                               "max_frame = 65536\n"
                               "max_in_flight = 8\n"
                               "max_output_kib = 1024\n"
                               "idle_logoff_minutes = 10\n"
                               "handshake_timeout_s = 5\n"
                               "connection_idle_s = 60\n"
                               "lockout_failures = 3\n"
                               "lockout_minutes = 30\n"
                               "login_attempts_per_minute = 12\n"
                               "scrypt_log2_n = 12\n"
                               "time_zone = America/Chicago\n"
                               "require_client_cert = no\n"
                               "readers = 2\n"
                               "wal_checkpoint_pages = 1000\n"
                               "board_arrived_wait_minutes = 10\n"
                               "board_roomed_wait_minutes = 30\n";
    cl_config_t c;
    char err[256];
    cl_config_defaults(&c);
    ASSERT_OK(cl_config_parse(&c, text, err, sizeof(err)));
    ASSERT_STR_EQ(c.clinic_name, "Maple Street Family Practice #2");
    ASSERT_STR_EQ(c.listen, "[::]:7471");
    ASSERT_EQ(c.max_connections, 500);
    ASSERT_EQ(c.max_frame, 65536);
    ASSERT_EQ(c.max_in_flight, 8);
    ASSERT_EQ(c.max_output_kib, 1024);
    ASSERT_EQ(c.idle_logoff_minutes, 10);
    ASSERT_EQ(c.handshake_timeout_s, 5);
    ASSERT_EQ(c.connection_idle_s, 60);
    ASSERT_EQ(c.lockout_failures, 3);
    ASSERT_EQ(c.lockout_minutes, 30);
    ASSERT_EQ(c.login_attempts_per_minute, 12);
    ASSERT_EQ(c.scrypt_log2_n, 12);
    ASSERT_STR_EQ(c.time_zone, "America/Chicago");
    ASSERT_EQ(c.require_client_cert, 0);
    ASSERT_EQ(c.readers, 2);
    ASSERT_EQ(c.wal_checkpoint_pages, 1000);
    ASSERT_EQ(c.board_arrived_wait_minutes, 10);
    ASSERT_EQ(c.board_roomed_wait_minutes, 30);
}

CL_TEST(booleans_take_every_spelling)
{
    static const struct {
        const char *text;
        int value;
    } cases[] = {
        {"require_client_cert = yes", 1},   {"require_client_cert = true", 1},
        {"require_client_cert = 1", 1},     {"require_client_cert = no", 0},
        {"require_client_cert = false", 0}, {"require_client_cert = 0", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cl_config_t c;
        char err[256];
        cl_config_defaults(&c);
        c.require_client_cert = !cases[i].value;
        ASSERT_OK(cl_config_parse(&c, cases[i].text, err, sizeof(err)));
        ASSERT_EQ(c.require_client_cert, cases[i].value);
    }
}

CL_TEST(comments_blank_lines_and_spacing)
{
    static const char text[] = "# clinicd settings\n"
                               "\n"
                               "   \t\n"
                               "  # an indented comment\n"
                               "max_frame=2048\r\n"
                               "\tmax_in_flight   =   9   \n"
                               "lockout_minutes = 20"; /* no final newline */
    cl_config_t c;
    char err[256];
    cl_config_defaults(&c);
    ASSERT_OK(cl_config_parse(&c, text, err, sizeof(err)));
    ASSERT_EQ(c.max_frame, 2048);
    ASSERT_EQ(c.max_in_flight, 9);
    ASSERT_EQ(c.lockout_minutes, 20);
    ASSERT_EQ(c.max_connections, 10000); /* untouched keys keep their defaults */
}

CL_TEST(unknown_key_names_its_line)
{
    cl_config_t c;
    char err[256];
    cl_config_defaults(&c);
    ASSERT_EQ(cl_config_parse(&c, "# ok\nmax_frame = 4096\nmax_frmae = 4096\n", err, sizeof(err)),
              CL_EINVAL);
    ASSERT_STR_CONTAINS(err, "line 3");
    ASSERT_STR_CONTAINS(err, "max_frmae");
}

CL_TEST(bad_value_names_its_line)
{
    static const char *const texts[] = {
        "\nmax_frame = lots\n",
        "\nmax_frame = 12abc\n",
        "\nmax_frame =\n",
        "\nmax_frame = -5\n",
        "\nrequire_client_cert = maybe\n",
        "\nlisten = 7470\n",
        "\nlisten = host:\n",
        "\nlisten = ::1:7470\n",
        "\nlisten = localhost:70000\n",
        "\nlisten = localhost:7470\n",
        "\nlisten = 999.1.1.1:7470\n",
        "\nlisten = [localhost]:7470\n",
        "\ntime_zone = ../../etc/passwd\n",
        "\nclinic_name =\n",
        "\njust some words\n",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        cl_config_t c;
        char err[256] = "";
        cl_config_defaults(&c);
        int rc = cl_config_parse(&c, texts[i], err, sizeof(err));
        if (rc != CL_EINVAL)
            CL_FAIL("'%s' parsed (rc %d)", texts[i], rc);
        ASSERT_STR_CONTAINS(err, "line 2");
    }
}

CL_TEST(out_of_range_integers_refused)
{
    static const char *const texts[] = {
        "max_connections = 0",
        "max_frame = 100",
        "max_frame = 4294967296",
        "max_in_flight = 0",
        "idle_logoff_minutes = 0",
        "scrypt_log2_n = 9",
        "scrypt_log2_n = 21",
        "lockout_failures = 0",
        "max_frame = 99999999999999999999999",
        "handshake_timeout_s = 601",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        cl_config_t c;
        char err[256] = "";
        cl_config_defaults(&c);
        if (cl_config_parse(&c, texts[i], err, sizeof(err)) != CL_EINVAL)
            CL_FAIL("'%s' was accepted", texts[i]);
        ASSERT_STR_CONTAINS(err, "line 1");
    }
    /* The bounds themselves are in range. */
    cl_config_t c;
    char err[256];
    cl_config_defaults(&c);
    ASSERT_OK(cl_config_parse(&c, "scrypt_log2_n = 10\nmax_connections = 1\n", err, sizeof(err)));
    ASSERT_EQ(c.scrypt_log2_n, 10);
}

CL_TEST(later_line_overrides_earlier)
{
    cl_config_t c;
    char err[256];
    cl_config_defaults(&c);
    ASSERT_OK(cl_config_parse(&c, "max_frame = 4096\nmax_frame = 8192\n", err, sizeof(err)));
    ASSERT_EQ(c.max_frame, 8192);
}

CL_TEST(write_then_load_round_trip)
{
    char dir[] = "/tmp/clinic-config-XXXXXX";
    char path[256];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/clinicd.conf", dir);

    cl_config_t out, in;
    char err[256];
    cl_config_defaults(&out);
    snprintf(out.clinic_name, sizeof(out.clinic_name), "%s", "Saint Jude's Clinic #4");
    snprintf(out.listen, sizeof(out.listen), "%s", "0.0.0.0:7480");
    snprintf(out.time_zone, sizeof(out.time_zone), "%s", "Europe/Berlin");
    out.max_frame = 4096;
    out.scrypt_log2_n = 11;
    out.require_client_cert = 0;
    out.login_attempts_per_minute = 77;
    ASSERT_OK(cl_config_write(&out, path));

    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mode & 0777, 0640);

    cl_config_defaults(&in);
    ASSERT_OK(cl_config_load(&in, path, err, sizeof(err)));
    assert_same(&in, &out);

    /* A string with a line break would not read back: refused. */
    snprintf(out.clinic_name, sizeof(out.clinic_name), "%s", "Two\nLines");
    ASSERT_EQ(cl_config_write(&out, path), CL_EINVAL);

    ASSERT_OK(unlink(path));
    ASSERT_OK(rmdir(dir));
}

CL_TEST(missing_file_keeps_defaults)
{
    cl_config_t c, d;
    char err[256];
    cl_config_defaults(&c);
    cl_config_defaults(&d);
    ASSERT_OK(cl_config_load(&c, "/nonexistent/clinicd.conf", err, sizeof(err)));
    assert_same(&c, &d);
}

CL_TEST(load_names_file_and_line)
{
    char dir[] = "/tmp/clinic-config-XXXXXX";
    char path[256];
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/clinicd.conf", dir);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs("max_frame = 4096\nbogus = 1\n", f);
    ASSERT_OK(fclose(f));
    cl_config_t c;
    char err[512];
    cl_config_defaults(&c);
    ASSERT_EQ(cl_config_load(&c, path, err, sizeof(err)), CL_EINVAL);
    ASSERT_STR_CONTAINS(err, path);
    ASSERT_STR_CONTAINS(err, "line 2");
    ASSERT_OK(unlink(path));
    ASSERT_OK(rmdir(dir));
}

CL_TEST_MAIN(CL_TEST_ENTRY(defaults), CL_TEST_ENTRY(parses_every_key),
             CL_TEST_ENTRY(booleans_take_every_spelling),
             CL_TEST_ENTRY(comments_blank_lines_and_spacing),
             CL_TEST_ENTRY(unknown_key_names_its_line), CL_TEST_ENTRY(bad_value_names_its_line),
             CL_TEST_ENTRY(out_of_range_integers_refused),
             CL_TEST_ENTRY(later_line_overrides_earlier), CL_TEST_ENTRY(write_then_load_round_trip),
             CL_TEST_ENTRY(missing_file_keeps_defaults), CL_TEST_ENTRY(load_names_file_and_line))
