/* clinic-bench --generate DIR --patients N [--appointments M]: fills the database of a stopped
 * clinic (DIR/clinic.db, made by `clinicd init`) directly with SQLite, for the search benchmark
 * on 1,000,000 patients: far faster than registering them over the wire. It writes the server's
 * own tables (patients, patient_keys; with --appointments also providers and their hours, rooms,
 * an appointment type and appointments), with the search keys exactly as the server derives them
 * (server/domain/patients_db.c: "n:<folded token>" for every name token, "p:<10 digits>" for every
 * own phone). The names are names.c's, ASCII with apostrophes and hyphens, whose folding
 * (server/domain/fold.c) is: letters to lower case, digits kept, apostrophes and backticks
 * dropped inside a token, everything else a separator. The indexes of the tables it fills are
 * dropped and made again from their own SQL at the end (one sort each instead of random inserts);
 * one transaction per 50,000 rows, synchronous=OFF on this connection only, WAL kept. Bypasses
 * the audit and the change feed: a benchmark's database, not a clinic's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "bench.h"
#include "mem.h"

enum {
    GEN_BATCH = 50000,
    GEN_PROVIDERS = 100,
    GEN_PER_DAY = 30, /* 08:00-18:00 in 20-minute visits, per provider */
    GEN_KEY = 32,
};

typedef struct {
    char key[GEN_KEY];
    int64_t id;
} gen_key_t;

static sqlite3 *db;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "clinic-bench: generate: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prepare(const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "clinic-bench: generate: %s: %s\n", sql, sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "clinic-bench: generate: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int64_t scalar(const char *sql)
{
    sqlite3_stmt *st = prepare(sql);
    int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Commits every GEN_BATCH rows. */
static int rows_in_tx;
static int row_done(void)
{
    if (++rows_in_tx < GEN_BATCH)
        return 0;
    rows_in_tx = 0;
    return exec("COMMIT") || exec("BEGIN");
}

/* --- the tables' indexes: dropped while filling, made again from their SQL ----------------------
 */

static char **saved_sql;
static size_t n_saved;

static int drop_indexes(const char *tables)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
             "AND tbl_name IN (%s)",
             tables);
    sqlite3_stmt *st = prepare(sql);
    if (st == NULL)
        return -1;
    char names[32][128];
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < 32) {
        saved_sql = cl_realloc(saved_sql, (n_saved + 1) * sizeof(*saved_sql));
        saved_sql[n_saved++] = cl_strdup((const char *)sqlite3_column_text(st, 1));
        snprintf(names[n++], sizeof(names[0]), "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "DROP INDEX \"%.120s\"", names[i]);
        if (exec(sql))
            return -1;
    }
    return 0;
}

static int make_indexes(void)
{
    int rc = 0;
    for (size_t i = 0; i < n_saved; i++) {
        if (rc == 0)
            rc = exec(saved_sql[i]);
        free(saved_sql[i]);
    }
    free(saved_sql);
    saved_sql = NULL;
    n_saved = 0;
    return rc;
}

/* --- patients ------------------------------------------------------------------------------- */

static gen_key_t *keys;
static size_t n_keys, cap_keys;

/* The server's keys of one name: its folded tokens (ASCII: see the file's comment). */
static void add_name_keys(const char *name, int64_t id)
{
    char tok[24];
    size_t len = 0;
    for (const char *s = name;; s++) {
        char ch = *s;
        if (ch == '\'' || ch == '`')
            continue;
        int letter = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch + 32);
            letter = 1;
        }
        if (letter && len + 3 < sizeof(tok)) {
            tok[len++] = ch;
        } else if (!letter && len > 0) {
            tok[len] = '\0';
            if (n_keys == cap_keys) {
                cap_keys = cap_keys ? cap_keys * 2 : 1 << 20;
                keys = cl_realloc(keys, cap_keys * sizeof(*keys));
            }
            snprintf(keys[n_keys].key, GEN_KEY, "n:%s", tok);
            keys[n_keys++].id = id;
            len = 0;
        }
        if (*s == '\0')
            break;
    }
}

static void add_phone_key(const char *digits, int64_t id)
{
    if (n_keys == cap_keys) {
        cap_keys = cap_keys ? cap_keys * 2 : 1 << 20;
        keys = cl_realloc(keys, cap_keys * sizeof(*keys));
    }
    snprintf(keys[n_keys].key, GEN_KEY, "p:%s", digits);
    keys[n_keys++].id = id;
}

static int key_cmp(const void *x, const void *y)
{
    const gen_key_t *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->id < b->id ? -1 : a->id > b->id);
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

static void phone(char out[16])
{
    snprintf(out, 16, "%u%02u%u%02u%04u", 2 + rnd(8), rnd(100), 2 + rnd(8), rnd(100), rnd(10000));
}

static int gen_patients(uint64_t n, int64_t user, int64_t *first_id)
{
    static const char *const streets[] = {"Maple Street", "Oak Avenue", "Elm Street",
                                          "Main Street",  "Cedar Lane", "Pine Road"};
    static const char *const towns[][2] = {{"Springfield", "01103"},
                                           {"Chicopee", "01013"},
                                           {"Holyoke", "01040"},
                                           {"Westfield", "01085"}};
    int64_t id = scalar("SELECT coalesce(max(id), 0) + 1 FROM patients");
    *first_id = id;
    int64_t now = (int64_t)time(NULL);
    sqlite3_stmt *st = prepare(
        "INSERT INTO patients (id, record_number, first_name, last_name, birth_date, sex, "
        "phone_mobile, phone_home, address_line1, city, state, postal_code, created_at, "
        "created_by, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?13, ?14)");
    if (st == NULL || id < 1)
        return -1;
    if (exec("BEGIN"))
        return -1;
    for (uint64_t i = 0; i < n; i++, id++) {
        char record[24], birth[40], mobile[16], home[16] = "", line1[64] = "";
        const char *first = bench_first_names[rnd((uint32_t)bench_n_first_names)];
        const char *last = bench_last_names[rnd((uint32_t)bench_n_last_names)];
        int y = 1930 + (int)rnd(95), m = 1 + (int)rnd(12);
        snprintf(record, sizeof(record), "P%07" PRId64, id);
        snprintf(birth, sizeof(birth), "%04d-%02d-%02d", y, m,
                 1 + (int)rnd((uint32_t)days_in_month(y, m)));
        phone(mobile);
        if (rnd(4) == 0)
            phone(home);
        int with_address = rnd(10) < 8;
        uint32_t town = rnd(4);
        if (with_address)
            snprintf(line1, sizeof(line1), "%u %s", 1 + rnd(400), streets[rnd(6)]);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, record, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, first, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, last, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, birth, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, rnd(2) ? "female" : "male", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, mobile, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 8, home, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 9, line1, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 10, with_address ? towns[town][0] : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, with_address ? "MA" : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 12, with_address ? towns[town][1] : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 13, now);
        sqlite3_bind_int64(st, 14, user);
        if (step(st) || row_done())
            return -1;
        add_name_keys(first, id);
        add_name_keys(last, id);
        add_phone_key(mobile, id);
        if (home[0])
            add_phone_key(home, id);
    }
    sqlite3_finalize(st);
    if (exec("COMMIT"))
        return -1;

    /* The keys in their primary key's order: every insert appends. */
    qsort(keys, n_keys, sizeof(*keys), key_cmp);
    st = prepare("INSERT INTO patient_keys (key, patient_id) VALUES (?1, ?2) "
                 "ON CONFLICT DO NOTHING");
    if (st == NULL || exec("BEGIN"))
        return -1;
    rows_in_tx = 0;
    for (size_t i = 0; i < n_keys; i++) {
        if (i > 0 && key_cmp(&keys[i], &keys[i - 1]) == 0)
            continue; /* "James James": one key */
        sqlite3_bind_text(st, 1, keys[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, keys[i].id);
        if (step(st) || row_done())
            return -1;
    }
    sqlite3_finalize(st);
    return exec("COMMIT");
}

/* The name pairs of the patients from `first` on, from their keys by the rule of
 * server/schema/0007_name_pairs.sql, in their primary key's order. */
static int gen_pairs(int64_t first)
{
    char sql[768];
    snprintf(sql, sizeof(sql),
             "BEGIN; INSERT INTO patient_name_pairs (head, word, head_word, patient_id) "
             "SELECT substr(a.key, 3, 2), substr(b.key, 3), substr(a.key, 3), a.patient_id "
             "FROM patient_keys a JOIN patient_keys b ON b.patient_id = a.patient_id "
             "WHERE a.key >= 'n:' AND a.key < 'n;' AND b.key >= 'n:' AND b.key < 'n;' "
             "AND b.key <> a.key AND length(a.key) >= 4 AND length(b.key) >= 4 "
             "AND a.patient_id >= %lld ORDER BY 1, 2, 3, 4; COMMIT",
             (long long)first);
    return exec(sql);
}

/* --- appointments --------------------------------------------------------------------------- */

static int64_t insert_id(const char *sql)
{
    if (exec(sql))
        return -1;
    return sqlite3_last_insert_rowid(db);
}

/* The generated appointments: who sees them, for which patients, and how many are still to be
 * made. */
typedef struct {
    int64_t type;                                           /* the run's appointment type */
    int64_t providers[GEN_PROVIDERS], rooms[GEN_PROVIDERS]; /* provider p sees in room p */
    int64_t user;                                           /* who created them */
    int64_t first_patient; /* the generated patients: first_patient on, `patients` of them */
    uint64_t patients;
    uint64_t n, made;
    int64_t past; /* days 0 to past - 1 are past, their visits checked out */
    time_t now;
} gen_schedule_t;

/* Opens every day 07:00-19:00 where the clinic has no hours yet. Returns 0 or -1 (printed). */
static int open_clinic_hours(void)
{
    char sql[256];
    for (int w = 0; w < 7; w++) {
        snprintf(sql, sizeof(sql),
                 "INSERT OR IGNORE INTO clinic_hours (weekday, open_minute, close_minute) "
                 "VALUES (%d, 420, 1140)",
                 w);
        if (exec(sql))
            return -1;
    }
    return 0;
}

/* Provider p, who works 08:00-18:00 every day, and a room for them, named with the run's tag.
 * Returns 0 or -1 (printed). */
static int add_provider_and_room(gen_schedule_t *s, const char *tag, int p)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "INSERT INTO providers (name) VALUES ('Dr. Generated %s %d')", tag,
             p + 1);
    s->providers[p] = insert_id(sql);
    snprintf(sql, sizeof(sql), "INSERT INTO rooms (name) VALUES ('Generated %s room %d')", tag,
             p + 1);
    s->rooms[p] = insert_id(sql);
    for (int w = 0; w < 7 && s->providers[p] > 0; w++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO provider_hours (provider_id, weekday, start_minute, end_minute) "
                 "VALUES (%" PRId64 ", %d, 480, 1080)",
                 s->providers[p], w);
        if (exec(sql))
            return -1;
    }
    return s->providers[p] < 0 || s->rooms[p] < 0 ? -1 : 0;
}

/* In one transaction: the clinic's hours, an appointment type and the providers with their
 * rooms, named with a tag of the time so that several runs can fill one clinic. Returns 0 or -1
 * (printed). */
static int add_staff(gen_schedule_t *s)
{
    char sql[256], tag[16];
    snprintf(tag, sizeof(tag), "%lx", (unsigned long)(time(NULL) % 0xffffff));
    if (exec("BEGIN") || open_clinic_hours())
        return -1;
    snprintf(sql, sizeof(sql),
             "INSERT INTO appointment_types (name, default_minutes, needs_room) VALUES "
             "('Generated visit %s', 20, 1)",
             tag);
    s->type = insert_id(sql);
    for (int p = 0; p < GEN_PROVIDERS; p++)
        if (add_provider_and_room(s, tag, p) != 0)
            return -1;
    return s->type < 0 || exec("COMMIT") ? -1 : 0;
}

/* Noon of the local day `offset` days from `now`, with its date "YYYY-MM-DD" in `date`. */
static time_t noon_of_day(time_t now, int64_t offset, char date[16])
{
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_mday += (int)offset;
    tm.tm_hour = 12;
    tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t noon = mktime(&tm);
    strftime(date, 16, "%Y-%m-%d", &tm);
    return noon;
}

/* The patient of the x-th appointment. Distinct patients at one time: consecutive numbers times
 * a multiplier prime to the count. */
static int64_t patient_of(const gen_schedule_t *s, uint64_t x)
{
    uint64_t mult = 1000003;
    while (s->patients % mult == 0)
        mult += 2;
    return s->first_patient + (int64_t)((x * mult) % s->patients);
}

/* Day d's appointments with `st`, the statement of gen_appointments: every provider's
 * GEN_PER_DAY visits, until s->n are made. Returns 0 or -1 (printed). */
static int gen_day(sqlite3_stmt *st, gen_schedule_t *s, int64_t d)
{
    const uint64_t per_day = (uint64_t)GEN_PROVIDERS * GEN_PER_DAY;
    char date[16];
    time_t noon = noon_of_day(s->now, d - s->past, date);
    const char *state = d < s->past ? "checked_out" : "scheduled";
    sqlite3_bind_text(st, 5, date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, s->type);
    sqlite3_bind_int64(st, 10, s->user);
    for (int k = 0; k < GEN_PER_DAY && s->made < s->n; k++) {
        int64_t starts = (int64_t)noon + (int64_t)(480 + 20 * k - 720) * 60;
        for (int p = 0; p < GEN_PROVIDERS && s->made < s->n; p++, s->made++) {
            uint64_t x = ((uint64_t)d * per_day + (uint64_t)k * GEN_PROVIDERS + (uint64_t)p);
            sqlite3_bind_int64(st, 1, patient_of(s, x));
            sqlite3_bind_int64(st, 2, s->providers[p]);
            sqlite3_bind_int64(st, 3, s->rooms[p]);
            sqlite3_bind_int64(st, 6, starts);
            sqlite3_bind_int64(st, 7, starts + 20 * 60);
            sqlite3_bind_int64(st, 9, d < s->past ? starts + 40 * 60 : (int64_t)s->now);
            if (step(st) || row_done())
                return -1;
        }
    }
    return 0;
}

/* `n` appointments of the generated patients, on consecutive days of which the first four
 * fifths are past and the rest ahead. Returns 0 or -1 (printed). */
static int gen_appointments(uint64_t n, int64_t user, int64_t first_patient, uint64_t patients)
{
    gen_schedule_t s = {.user = user, .first_patient = first_patient, .patients = patients, .n = n};
    if (add_staff(&s) != 0)
        return -1;
    sqlite3_stmt *st = prepare(
        "INSERT INTO appointments (patient_id, provider_id, room_id, type_id, date, starts_at, "
        "ends_at, reason, state, state_at, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, 'generated', ?8, ?9, ?9, ?10)");
    if (st == NULL || exec("BEGIN"))
        return -1;
    rows_in_tx = 0;
    uint64_t per_day = (uint64_t)GEN_PROVIDERS * GEN_PER_DAY;
    int64_t days = (int64_t)((n + per_day - 1) / per_day);
    s.past = days * 4 / 5;
    s.now = time(NULL);
    for (int64_t d = 0; d < days && s.made < n; d++)
        if (gen_day(st, &s, d) != 0)
            return -1;
    sqlite3_finalize(st);
    return exec("COMMIT");
}

/* --- the command ---------------------------------------------------------------------------- */

/* The clinic's time zone from DIR/clinicd.conf, so that dates and instants agree with the
 * server's (it sets TZ the same way). */
static void use_clinic_zone(const char *dir)
{
    char path[4096], line[512], zone[128] = "";
    snprintf(path, sizeof(path), "%s/clinicd.conf", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        char z[128];
        if (sscanf(line, " time_zone = %127s", z) == 1)
            snprintf(zone, sizeof(zone), "%s", z);
    }
    fclose(f);
    if (zone[0]) {
        setenv("TZ", zone, 1);
        tzset();
    }
}

static long long file_size(const char *dir, const char *name)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int bench_generate(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned long long patients = 0, appointments = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--generate") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--patients") == 0)
            patients = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--appointments") == 0)
            appointments = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "clinic-bench: --generate: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (dir == NULL || patients == 0 || argc % 2 == 0) {
        fprintf(stderr, "usage: clinic-bench --generate DIR --patients N [--appointments M]\n");
        return 2;
    }
    use_clinic_zone(dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/clinic.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "clinic-bench: --generate: %s: %s (run clinicd init first)\n", path,
                db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return 1;
    }
    sqlite3_busy_timeout(db, 5000);
    double t0 = now_s();
    int64_t user = scalar("SELECT min(id) FROM users"), first_patient = 0;
    int rc = user > 0 ? 0 : -1;
    if (rc)
        fprintf(stderr, "clinic-bench: --generate: %s has no user (not a clinic?)\n", path);
    if (rc == 0)
        rc = exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576; "
                  "PRAGMA temp_store = MEMORY");
    if (rc == 0)
        rc = drop_indexes("'patients', 'patient_keys'");
    if (rc == 0)
        rc = gen_patients(patients, user, &first_patient);
    if (rc == 0)
        rc = make_indexes();
    if (rc == 0)
        rc = gen_pairs(first_patient);
    double t_patients = now_s() - t0;
    size_t nk = n_keys;
    free(keys);
    keys = NULL;
    double t1 = now_s();
    if (rc == 0 && appointments > 0) {
        rc = drop_indexes("'appointments'");
        if (rc == 0)
            rc = gen_appointments(appointments, user, first_patient, patients);
        if (rc == 0)
            rc = make_indexes();
    }
    double t_appts = now_s() - t1;
    if (rc == 0)
        rc = exec("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
    if (rc != 0) {
        fprintf(stderr, "clinic-bench: --generate failed (the database may be half filled)\n");
        return 1;
    }
    long long size = file_size(dir, "clinic.db") + file_size(dir, "clinic.db-wal");
    printf("{\"generate\":\"%s\",\"patients\":%llu,\"patient_keys\":%zu,\"patients_s\":%.1f,"
           "\"appointments\":%llu,\"appointments_s\":%.1f,\"total_s\":%.1f,\"bytes\":%lld,"
           "\"mib\":%.1f}\n",
           dir, patients, nk, t_patients, appointments, t_appts, now_s() - t0, size,
           (double)size / 1048576.0);
    return 0;
}
