/* The commands on the clinic's data as a whole: `clinicd backup` (a consistent copy while the
 * daemon runs), `clinicd restore` (a checked backup put in place of a stopped daemon's database)
 * and `clinicd audit verify`, with the data directory's lock that keeps restore and serve apart. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_int.h"
#include "audit.h"
#include "certs.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "status.h"

enum { SQL_INTEGRITY_CHECK, SQL_FOREIGN_KEY_CHECK, SQL__COUNT };

/* The checks restore runs on a backup: the first problems only; one is enough to refuse. */
static const char *const sql[SQL__COUNT] = {
    [SQL_INTEGRITY_CHECK] = "PRAGMA integrity_check(5)",
    [SQL_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
};

static sqlite3_stmt *stmt(cl_db_t *db, int which)
{
    return cl_db_stmt(db, sql[which]);
}

/* The files SQLite may keep beside a database, by suffix. */
static const char *const db_sides[] = {"-wal", "-shm", "-journal"};

/* Removes `path`'s -wal, -shm and -journal files (not the database itself). */
static void remove_db_sides(const char *path)
{
    char side[PATH_MAX + 16];
    for (size_t i = 0; i < CL_ARRAY_SIZE(db_sides); i++) {
        snprintf(side, sizeof(side), "%s%s", path, db_sides[i]);
        unlink(side);
    }
}

/* ---- backup ------------------------------------------------------------------------------- */

/* Syncs the directory holding `path`, so that a rename in it survives a power cut. */
static void sync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Copies the live database into `tmp` with SQLite's online backup API. */
static int backup_copy(sqlite3 *src, const char *tmp)
{
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        cl_admin_fail("cannot open %s: %s", tmp, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        cl_admin_fail("cannot start the backup: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    /* All pages in one step: a read transaction on a WAL database does not block the daemon's
     * writes, and copying in pieces would restart each time the daemon commits. BUSY and LOCKED
     * (a checkpoint or recovery in progress) are waited out for up to a minute. */
    for (int tries = 0;; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_DONE || rc == SQLITE_OK)
            break;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 600)
            break;
        sqlite3_sleep(100);
    }
    int step_rc = rc;
    rc = sqlite3_backup_finish(b);
    if (step_rc != SQLITE_DONE) {
        cl_admin_fail("the backup failed: %s", sqlite3_errstr(step_rc));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    if (rc != SQLITE_OK) {
        cl_admin_fail("the backup failed: %s", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return EXIT_FAIL;
    }
    if ((rc = sqlite3_close(dst)) != SQLITE_OK)
        return cl_admin_fail("cannot close %s: %s", tmp, sqlite3_errstr(rc));
    return EXIT_OK;
}

/* Removes what earlier backups to `file` left when they were killed: FILE.tmp.PID (and its
 * SQLite side files) of a process that no longer runs. A backup still running keeps its copy. */
static void remove_dead_copies(const char *file)
{
    char pattern[PATH_MAX + 16];
    glob_t g;
    snprintf(pattern, sizeof(pattern), "%s.tmp.*", file);
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *suffix = g.gl_pathv[i] + strlen(pattern) - 1;
        char *end;
        long pid = strtol(suffix, &end, 10);
        if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        unlink(g.gl_pathv[i]);
        remove_db_sides(g.gl_pathv[i]);
    }
    globfree(&g);
}

int cl_admin_cmd_backup(const cl_admin_args_t *a)
{
    char db_path[PATH_MAX], tmp[PATH_MAX], value[32];
    cl_db_t *db = NULL;
    struct stat live, target;
    int status = EXIT_FAIL, rc, fd = -1, made_tmp = 0;

    cl_admin_join_path(db_path, sizeof(db_path), a->data, "clinic.db");
    /* The temporary name is this process's own: two backups to one FILE (a cron job and an
     * administrator) must not write into each other's copy. */
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", a->to, (long)getpid()) >= sizeof(tmp))
        return cl_admin_fail("--to path is too long");
    if (stat(db_path, &live) == 0 && stat(a->to, &target) == 0 && live.st_dev == target.st_dev &&
        live.st_ino == target.st_ino)
        return cl_admin_fail("%s is the live database itself; back up to another file", a->to);
    /* The rename at the end replaces what FILE names: a device, a pipe or a link would be
     * replaced by a file of patient data. */
    if (lstat(a->to, &target) == 0 && !S_ISREG(target.st_mode))
        return cl_admin_fail("%s exists and is not a regular file; give the path of a backup file",
                             a->to);
    if (cl_admin_open_clinic(a->data, 0, &db) != EXIT_OK)
        return EXIT_FAIL;
    /* A clinic made before its identity was recorded gets it now, so that this backup carries
     * it and restore can tell it from another clinic's. */
    char recorded[72];
    if (cl_admin_get_meta(db, "ca_sha256", recorded, sizeof(recorded)) == CL_ENOTFOUND) {
        rc = cl_admin_begin(db);
        if (rc == 0)
            rc = cl_admin_record_ca(db, a->data);
        if ((rc = cl_admin_end_tx(db, rc)) != 0) {
            status =
                cl_admin_fail("cannot record the clinic's identity: %s", cl_status_message(rc));
            goto out;
        }
    }

    /* The copy is made under a temporary name (0600: it holds patient data) and renamed only
     * once complete and synced, so FILE is always a whole backup or the previous one. */
    remove_dead_copies(a->to);
    remove_db_sides(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        status = cl_admin_fail("cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    made_tmp = 1;
    if (backup_copy(cl_db_handle(db), tmp) != EXIT_OK)
        goto out;
    fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || fstat(fd, &target) != 0) {
        status = cl_admin_fail("cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, a->to) != 0) {
        status = cl_admin_fail("cannot rename %s to %s: %s", tmp, a->to, strerror(errno));
        goto out;
    }
    made_tmp = 0;
    sync_parent_dir(a->to);

    int64_t now = cl_now();
    snprintf(value, sizeof(value), "%" PRId64, now);
    rc = cl_admin_begin(db);
    if (rc == 0)
        rc = cl_admin_set_meta(db, "last_backup_at", value);
    if (rc == 0)
        rc = cl_admin_audit_append(db, now, "database.backup", "database", 0);
    if ((rc = cl_admin_end_tx(db, rc)) != 0) {
        status = cl_admin_fail("the backup %s is complete, but recording it failed: %s", a->to,
                               cl_status_message(rc));
        goto out;
    }
    printf("backup written: %s (%lld bytes)\n", a->to, (long long)target.st_size);
    status = EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (made_tmp) {
        unlink(tmp);
        remove_db_sides(tmp);
    }
    cl_db_close(db);
    return status;
}

/* ---- restore ------------------------------------------------------------------------------ */

/* The daemon holds this file's lock for as long as it runs; restore takes it too. */
#define LOCK_FILE "clinicd.lock"

enum { RESTORE_BUSY_MS = 2000, COPY_CHUNK = 64 * 1024 };

int cl_admin_lock_data_dir(const char *dir, int *fd)
{
    char path[PATH_MAX], holder[32];
    *fd = -1;
    cl_admin_join_path(path, sizeof(path), dir, LOCK_FILE);
    int lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    /* A lock file made by another account (root ran a restore) still locks when read-only. */
    if (lock < 0 && errno == EACCES)
        lock = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (lock < 0) {
        cl_error("cannot open %s: %s", path, strerror(errno));
        return CL_EIO;
    }
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ssize_t n = pread(lock, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\r\n")] = '\0';
        close(lock);
        if (err == EWOULDBLOCK) {
            cl_error("%s is in use: process %s holds %s", dir, holder[0] ? holder : "(unknown)",
                     path);
            return CL_EBUSY;
        }
        cl_error("cannot lock %s: %s", path, strerror(err));
        return CL_EIO;
    }
    /* The holder's process id, so that whoever is refused can say who holds the lock. */
    snprintf(holder, sizeof(holder), "%ld\n", (long)getpid());
    if (ftruncate(lock, 0) != 0 || pwrite(lock, holder, strlen(holder), 0) < 0)
        cl_warn("cannot write the process id into %s: %s", path, strerror(errno));
    *fd = lock;
    return 0;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks what the first 100 bytes of a SQLite file say (the file format's database header)
 * against the file's size, so that a truncated backup is named as such before SQLite reads it. */
static int check_header(const char *from, int fd, off_t size)
{
    unsigned char h[100];
    if (size == 0)
        return cl_admin_fail("%s is empty: not a backup", from);
    if (size < (off_t)sizeof(h) || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h, "SQLite format 3", 16) != 0)
        return cl_admin_fail("%s is not a SQLite database, so not a clinicd backup", from);
    uint32_t page = (uint32_t)h[16] << 8 | h[17];
    if (page == 1)
        page = 65536;
    if (page < 512 || (page & (page - 1)) != 0)
        return cl_admin_fail("%s is damaged: its header gives a page size of %u bytes", from, page);
    /* The page count at offset 28 is valid only while the "version valid for" number at 92
     * equals the change counter at 24 (a file written by an old SQLite may not keep it). */
    uint32_t pages = get_be32(h + 28);
    if (size % page != 0 ||
        (get_be32(h + 92) == get_be32(h + 24) && pages != 0 && (off_t)pages * page > size))
        return cl_admin_fail(
            "%s is truncated: its header says %u pages of %u bytes (%lld bytes), the "
            "file has %lld bytes",
            from, pages, page, (long long)pages * page, (long long)size);
    return EXIT_OK;
}

/* Copies the open file `in` into a new file `path` (0600) and syncs it. */
static int copy_file(int in, const char *from, const char *path)
{
    static char buf[COPY_CHUNK];
    int status = EXIT_FAIL;
    off_t at = 0;
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return cl_admin_fail("cannot create %s: %s", path, strerror(errno));
    for (;;) {
        ssize_t n = pread(in, buf, sizeof(buf), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cl_admin_fail("cannot read %s: %s", from, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                cl_admin_fail("cannot write %s: %s", path, strerror(errno));
                goto out;
            }
            done += w;
        }
        at += n;
    }
    if (fsync(out) != 0) {
        cl_admin_fail("cannot sync %s: %s", path, strerror(errno));
        goto out;
    }
    status = EXIT_OK;
out:
    if (close(out) != 0 && status == EXIT_OK)
        status = cl_admin_fail("cannot write %s: %s", path, strerror(errno));
    return status;
}

/* The first row's text of a check pragma (NULL when it returns no row), into `out`. */
static int first_row(cl_db_t *db, int which, int columns, char *out, size_t outlen)
{
    sqlite3_stmt *st = stmt(db, which);
    if (st == NULL)
        return CL_EINTERNAL;
    int rc = cl_db_step(db, st);
    if (rc < 0)
        return rc;
    out[0] = '\0';
    for (int i = 0; rc == 1 && i < columns; i++) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%s%s", i ? " " : "", cl_db_text(st, i));
    }
    sqlite3_reset(st);
    return rc;
}

/* The first line of PRAGMA integrity_check's findings, which come one per line in its row,
 * after a line naming the database ("*** in database main ***"). Edits `text` in place. */
static const char *first_problem(char *text)
{
    char *line = text;
    while (strncmp(line, "***", 3) == 0 && strchr(line, '\n') != NULL)
        line = strchr(line, '\n') + 1;
    line[strcspn(line, "\n")] = '\0';
    return line;
}

/* Checks the staged copy of a backup as the daemon will need it: it opens as a clinicd
 * database of a schema this clinicd knows, passes PRAGMA integrity_check and foreign_key_check,
 * and its audit chain verifies. `from` names the backup in messages. Prints why not and returns
 * EXIT_FAIL, or returns EXIT_OK with the schema version and the audit row count. */
/* Refuses a backup of another clinic: its recorded CA fingerprint is not DATA/tls/ca.crt's
 * (its workstations, users and records are not this clinic's, and this clinic's enrolled
 * workstations would vanish from its database while their certificates stay valid). A backup
 * made before the fingerprint was recorded carries none, and a scratch directory has no CA:
 * neither can be told apart. */
static int check_same_clinic(cl_db_t *db, const char *from, const char *data_dir)
{
    char theirs[72], ours[65];
    int rc = cl_admin_get_meta(db, "ca_sha256", theirs, sizeof(theirs));
    if (rc == CL_ENOTFOUND)
        return EXIT_OK;
    if (rc != 0)
        return cl_admin_fail("%s: cannot read its meta table: %s; nothing was changed", from,
                             cl_status_message(rc));
    /* A scratch directory (a restore to test a backup) has no CA to compare with. */
    char ca[PATH_MAX];
    cl_certs_path(data_dir, "ca.crt", ca, sizeof(ca));
    if (!cl_admin_file_exists(ca))
        return EXIT_OK;
    if ((rc = cl_certs_ca_fingerprint(data_dir, ours)) != 0)
        return cl_admin_fail("cannot read %s/tls/ca.crt: %s; nothing was changed", data_dir,
                             cl_status_message(rc));
    if (strcmp(theirs, ours) != 0)
        return cl_admin_fail("%s is a backup of another clinic (made under another CA than "
                             "%s/tls/ca.crt); nothing was changed",
                             from, data_dir);
    return EXIT_OK;
}

static int check_backup(const char *from, const char *path, const char *data_dir, int *version,
                        uint64_t *audit_rows)
{
    cl_db_t *db = NULL;
    char text[512], why[256] = "";
    uint64_t bad = 0;
    int status = EXIT_FAIL;

    /* NO_MIGRATE: an older schema is the daemon's to migrate, after the restore. */
    int rc = cl_db_open(path, CL_DB_NO_MIGRATE, &db);
    if (rc == CL_EPRECOND)
        return cl_admin_fail("%s was written by a newer clinicd (see above); nothing was changed",
                             from);
    if (rc != 0)
        return cl_admin_fail("%s is damaged or not a clinicd backup (%s); nothing was changed",
                             from, cl_status_message(rc));
    if ((*version = cl_db_version(db)) <= 0) {
        cl_admin_fail("%s holds no clinicd schema; nothing was changed", from);
        goto out;
    }
    rc = first_row(db, SQL_INTEGRITY_CHECK, 1, text, sizeof(text));
    if (rc < 0 || strcmp(text, "ok") != 0) {
        cl_admin_fail("%s fails the integrity check: %s; nothing was changed", from,
                      rc < 0 ? cl_status_message(rc) : first_problem(text));
        goto out;
    }
    rc = first_row(db, SQL_FOREIGN_KEY_CHECK, 4, text, sizeof(text));
    if (rc != 0) {
        cl_admin_fail("%s fails the foreign key check: %s; nothing was changed", from,
                      rc < 0 ? cl_status_message(rc) : text);
        goto out;
    }
    if (check_same_clinic(db, from, data_dir) != EXIT_OK)
        goto out;
    rc = cl_audit_verify(db, audit_rows, &bad, why, sizeof(why));
    if (rc == CL_ECORRUPT) {
        cl_admin_fail("%s: its audit chain is broken at %s%s; nothing was changed", from,
                      strncmp(why, "row ", 4) == 0 ? "" : "row ", why);
        goto out;
    }
    if (rc != 0) {
        cl_admin_fail("%s: cannot verify its audit chain: %s; nothing was changed", from,
                      cl_status_message(rc));
        goto out;
    }
    if (*audit_rows == 0) {
        cl_admin_fail("%s: its audit log is empty, but clinicd init writes its first row (rows "
                      "removed?); nothing was changed",
                      from);
        goto out;
    }
    status = EXIT_OK;
out:
    cl_db_close(db);
    return status;
}

/* Folds the live database's WAL into it, so that the copy kept aside is one complete file, and
 * proves that no other process has it open: in exclusive locking mode the first read needs a
 * lock that every other open connection (a daemon, an admin command) holds off. Returns 0,
 * CL_EBUSY when another process uses it, or another status when it cannot be read (damaged). */
static int quiesce_live(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, RESTORE_BUSY_MS);
        rc = sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; SELECT count(*) FROM sqlite_master",
                          NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK)
        cl_warn("%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return cl_db_status(rc);
}

/* Keeps the live database `live` as `kept` (a new name: clinic.db.before-restore-<UTC time>,
 * with a counter if taken): a hard link to it, and its WAL moved along (there is one only when
 * the checkpoint failed), so that nothing it held is lost and the WAL cannot be applied to the
 * restored file. */
static int keep_live(const char *live, char *kept, size_t keptlen)
{
    char when[32], from[PATH_MAX + 16], to[PATH_MAX + 32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
    for (int n = 1;; n++) {
        if (n == 1)
            snprintf(kept, keptlen, "%s.before-restore-%s", live, when);
        else
            snprintf(kept, keptlen, "%s.before-restore-%s.%d", live, when, n);
        if (link(live, kept) == 0)
            break;
        if (errno != EEXIST || n == 100)
            return cl_admin_fail("cannot keep the current database as %s: %s; nothing was changed",
                                 kept, strerror(errno));
    }
    for (size_t i = 0; i < CL_ARRAY_SIZE(db_sides); i++) {
        snprintf(from, sizeof(from), "%s%s", live, db_sides[i]);
        snprintf(to, sizeof(to), "%s%s", kept, db_sides[i]);
        if (strcmp(db_sides[i], "-shm") == 0 || !cl_admin_file_exists(from)) {
            unlink(from); /* the shared memory index is rebuilt from the WAL */
            continue;
        }
        if (rename(from, to) != 0)
            return cl_admin_fail("cannot move %s aside: %s", from, strerror(errno));
        cl_warn("%s kept as %s", from, to);
    }
    sync_parent_dir(live);
    return EXIT_OK;
}

/* Appends the restore's audit row to the restored database (which the admin commands' own
 * connection then checkpoints into the file when it closes). */
static int record_restore(const char *live)
{
    cl_db_t *db = NULL;
    int rc = cl_db_open(live, CL_DB_NO_MIGRATE, &db);
    if (rc == 0 && (rc = cl_admin_begin(db)) == 0) {
        rc = cl_admin_audit_append(db, cl_now(), "database.restore", "database", 0);
        /* A new feed: a client's remembered seq belongs to the old one and must resync. */
        if (rc == 0)
            rc = cl_admin_set_new_feed_id(db);
        rc = cl_admin_end_tx(db, rc);
    }
    cl_db_close(db);
    return rc;
}

/* Opens the backup `from` into *in (set whatever happens: the caller closes it when it is not
 * -1) and checks that it is a regular file, not the live database `live`, with a header that
 * agrees with its size. Prints why not and returns EXIT_FAIL, or returns EXIT_OK. */
static int open_backup(const char *from, const char *live, int *in)
{
    struct stat from_st, live_st;

    *in = open(from, O_RDONLY | O_CLOEXEC);
    if (*in < 0)
        return cl_admin_fail("cannot read %s: %s", from, strerror(errno));
    if (fstat(*in, &from_st) != 0 || !S_ISREG(from_st.st_mode))
        return cl_admin_fail("%s is not a regular file", from);
    if (stat(live, &live_st) == 0 && live_st.st_dev == from_st.st_dev &&
        live_st.st_ino == from_st.st_ino)
        return cl_admin_fail("%s is the live database itself; restore from a backup", from);
    return check_header(from, *in, from_st.st_size);
}

/* Sets the live database `live` aside before the restored one takes its name: folds its WAL in
 * when it can, refuses when another process has it open, and keeps it under a new name, which
 * goes into `kept`. Prints why not and returns EXIT_FAIL, or returns EXIT_OK. */
static int set_live_aside(const char *live, char *kept, size_t keptlen)
{
    int rc = quiesce_live(live);
    if (rc == CL_EBUSY)
        return cl_admin_fail("%s is open in another process: stop the daemon and wait for other "
                             "clinicd commands to finish; nothing was changed",
                             live);
    if (rc != 0)
        cl_warn("the current database could not be checkpointed (%s); it is kept with its "
                "WAL file",
                cl_status_message(rc));
    return keep_live(live, kept, keptlen);
}

int cl_admin_cmd_restore(const cl_admin_args_t *a)
{
    char live[PATH_MAX], staged[PATH_MAX], kept[PATH_MAX + 64] = "";
    int status = EXIT_FAIL, lock = -1, in = -1, staged_made = 0, version = 0, rc;
    uint64_t audit_rows = 0;

    cl_admin_join_path(live, sizeof(live), a->data, "clinic.db");
    cl_admin_join_path(staged, sizeof(staged), a->data, "clinic.db.restore");
    rc = cl_admin_lock_data_dir(a->data, &lock);
    if (rc == CL_EBUSY)
        return cl_admin_fail("%s is in use by a running clinicd: stop the daemon first (systemctl "
                             "stop clinicd); nothing was changed",
                             a->data);
    if (rc != 0)
        return cl_admin_fail("cannot lock %s (see above); nothing was changed", a->data);
    if (open_backup(a->from, live, &in) != EXIT_OK)
        goto out;

    /* Check a copy, not the backup: what is checked is exactly what goes in place, and the
     * backup itself is never opened for writing. A staged file left by an interrupted restore
     * is ours to remove: we hold the lock. */
    unlink(staged);
    remove_db_sides(staged);
    staged_made = 1;
    if (copy_file(in, a->from, staged) != EXIT_OK)
        goto out;
    if (check_backup(a->from, staged, a->data, &version, &audit_rows) != EXIT_OK)
        goto out;
    remove_db_sides(staged);
    if (cl_admin_file_exists(live) && set_live_aside(live, kept, sizeof(kept)) != EXIT_OK)
        goto out;
    /* The one step that switches databases: atomic, then made durable. */
    if (rename(staged, live) != 0) {
        status = cl_admin_fail("cannot rename %s to %s: %s", staged, live, strerror(errno));
        goto out;
    }
    staged_made = 0;
    sync_parent_dir(live);

    printf("restored %s into %s (schema %d, audit chain intact: %" PRIu64 " rows)\n", a->from, live,
           version, audit_rows);
    if (kept[0])
        printf("the replaced database is kept as %s\n", kept);
    if ((rc = record_restore(live)) != 0) {
        status =
            cl_admin_fail("the restore is complete, but recording it in the audit log failed: %s",
                          cl_status_message(rc));
        goto out;
    }
    printf("next: clinicd audit verify --data %s, then start the daemon\n", a->data);
    status = EXIT_OK;
out:
    if (in >= 0)
        close(in);
    if (staged_made) {
        unlink(staged);
        remove_db_sides(staged);
    }
    close(lock);
    return status;
}

/* ---- audit -------------------------------------------------------------------------------- */

int cl_admin_cmd_audit_verify(const cl_admin_args_t *a)
{
    cl_db_t *db = NULL;
    uint64_t rows = 0, bad = 0;
    char why[256] = "";
    if (cl_admin_open_clinic(a->data, CL_DB_READONLY, &db) != EXIT_OK)
        return EXIT_FAIL;
    int rc = cl_audit_verify(db, &rows, &bad, why, sizeof(why));
    cl_db_close(db);
    if (rc == CL_ECORRUPT && strncmp(why, "row ", 4) == 0)
        return cl_admin_fail("audit chain broken at %s", why); /* the reason names the row itself */
    if (rc == CL_ECORRUPT)
        return cl_admin_fail("audit chain broken at row %" PRIu64 "%s%s", bad, why[0] ? ": " : "",
                             why);
    if (rc != 0)
        return cl_admin_fail("cannot verify the audit log: %s", cl_status_message(rc));
    /* The chain cannot show rows removed from its end; an empty log at least is never right:
     * clinicd init writes the first row (the first administrator). */
    if (rows == 0)
        return cl_admin_fail("the audit log is empty, but clinicd init writes its first row "
                             "(rows removed?)");
    printf("audit chain intact: %" PRIu64 " rows\n", rows);
    return EXIT_OK;
}
