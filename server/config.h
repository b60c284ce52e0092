/* clinicd's settings: DIR/clinicd.conf, lines of `key = value`, `#` comments. Unknown keys and
 * bad values are errors that name the line, so a typo never silently falls back to a default. */
#ifndef CL_CONFIG_H
#define CL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The board's waiting thresholds by default (board_*_wait_minutes), in minutes. */
enum { CL_BOARD_ARRIVED_WAIT = 15, CL_BOARD_ROOMED_WAIT = 20 };

typedef struct {
    char clinic_name[128];
    char listen[128];             /* "127.0.0.1:7470" */
    uint32_t max_connections;     /* 10000 */
    uint32_t max_frame;           /* bytes; 1048576 */
    uint32_t max_in_flight;       /* requests per connection before reading stops; 64 */
    uint32_t max_output_kib;      /* queued reply bytes per connection before it is closed; 8192 */
    uint32_t idle_logoff_minutes; /* 15 */
    uint32_t idle_logoff_seconds; /* when not 0, overrides the minutes (kiosks, tests); 0 */
    uint32_t handshake_timeout_s; /* 10 */
    uint32_t connection_idle_s;   /* a connection with no session and no traffic is closed; 300 */
    uint32_t lockout_failures;    /* 5 failed logins in a row lock the account */
    uint32_t lockout_minutes;     /* 15 */
    uint32_t login_attempts_per_minute;  /* per client address; 30 */
    int scrypt_log2_n;                   /* 15 */
    char time_zone[64];                  /* IANA name; "UTC" */
    int require_client_cert;             /* 1 */
    uint32_t readers;                    /* reader threads for reads of patient data; 0 */
    uint32_t wal_checkpoint_pages;       /* WAL pages that set off a checkpoint; 10000 */
    uint32_t board_arrived_wait_minutes; /* the board's flags: an arrival not roomed; 15 */
    uint32_t board_roomed_wait_minutes;  /* a roomed patient without the provider; 20 */
} cl_config_t;

/* Fills `cfg` with the defaults above. */
void cl_config_defaults(cl_config_t *cfg);

/* Parses `text` (NUL-terminated) over `cfg`. Returns 0, or CL_EINVAL with "line N: why" in
 * `err`. Values: integers in range, booleans yes/no/true/false/1/0, strings to end of line. */
int cl_config_parse(cl_config_t *cfg, const char *text, char *err, size_t errlen);

/* Reads and parses a file; a missing file leaves the defaults and returns 0. */
int cl_config_load(cl_config_t *cfg, const char *path, char *err, size_t errlen);

/* Writes `cfg` as a commented clinicd.conf to `path` (mode 0640; written to path.tmp, synced and
 * renamed). Returns 0, CL_EIO, or CL_EINVAL when a string holds a line break. */
int cl_config_write(const cl_config_t *cfg, const char *path);

/* Parses a listen address, "IPV4:PORT" or "[IPV6]:PORT" (port 0-65535; 0: any free port, for
 * tests), into `out`. An address, not a host name: the configuration and the listener (net.c)
 * both take it from here, so what init accepts serve can listen on. Returns 0 or CL_EINVAL. */
int cl_config_listen_addr(const char *value, struct sockaddr_storage *out);

#endif
