/* Crash safety against a real clinicd: sixteen connections send durable messages, each carrying a
 * unique tag, while the daemon is killed with SIGKILL at a random moment, in the middle of a WAL
 * checkpoint, or during an online backup; after each restart every acknowledged message is there
 * exactly once, nothing is half there, the audit chain verifies and the change feed has no gap.
 * Also `clinicd backup` killed halfway, and `clinicd restore` refusing what it must refuse. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the seeded random moments ------------------------------------------------------------ */

static uint64_t rng_state;

/* Seeds from CLINIC_CRASH_SEED or the clock, and prints the seed so that a failure reruns. */
static uint64_t rng_seed(void)
{
    const char *env = getenv("CLINIC_CRASH_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : 0;
    if (seed == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
        seed = seed % 1000000000u + 1;
    }
    fprintf(stderr, "seed %" PRIu64 " (rerun with CLINIC_CRASH_SEED=%" PRIu64 ")\n", seed, seed);
    rng_state = seed * 0x9E3779B97F4A7C15u + 1;
    return seed;
}

/* A number in [lo, hi] (xorshift64*). */
static double rng_between(double lo, double hi)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1Du;
    return lo + (hi - lo) * (double)(r >> 11) / (double)(1ull << 53);
}

static void sleep_ms(double ms)
{
    long long us = (long long)(ms * 1000);
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static unsigned env_count(const char *name, unsigned fallback)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? (unsigned)atoi(v) : fallback;
}

/* ---- what was sent ------------------------------------------------------------------------ */

/* Four clinicians send; the nurse (staff) receives what is sent to her by name, and the
 * clinicians receive what is sent to role:clinician (each message reaches the three others). */
static const char *const senders[] = {"alice", "bob", "carol", "dave"};
#define RECIPIENT "nurse"
enum { SENDERS = 4, CONNECTIONS = 16, PIPELINE = 2, PROBE_CONN = 63, BODY_MAX = 4000 };

typedef enum {
    TAG_SENT,    /* written to the socket, no reply: may or may not have committed */
    TAG_ACKED,   /* OK came back: must be there, exactly once */
    TAG_REFUSED, /* an error came back: nothing of it may be there */
    TAG_UNSENT,  /* the client was closing, so it never left: must not be there */
} tag_state_t;

/* One message, named by its tag (round, connection, counter), which its body starts with. */
typedef struct {
    uint32_t round, conn, n;
    uint8_t state;   /* tag_state_t */
    uint8_t sender;  /* index into senders[] */
    uint8_t to_role; /* to role:clinician; else to the nurse */
    uint64_t id;     /* the message id the reply gave */
    double acked_at; /* harness_ms() of the reply */
    uint64_t found;  /* check_db's scratch: the id of the row that carries the tag */
} tag_t;

typedef struct {
    /* Guards tags and n: the load thread appends and answers tags while a check beside it (a
     * backup checked under load) reads them; the check holds it throughout, which pauses the
     * load's bookkeeping (not the server) for that long. */
    pthread_mutex_t lock;
    tag_t *tags; /* owned; grows; appended to by the load thread while it runs */
    size_t n, cap;
    uint32_t round; /* the round that new tags belong to */
    uint64_t seed;
    unsigned kills, checkpoint_kills, backup_kills;
    size_t unacked_present, unacked_absent; /* at the last check, of the tags never answered */
} crash_t;

static void crash_init(crash_t *cs)
{
    memset(cs, 0, sizeof(*cs));
    pthread_mutex_init(&cs->lock, NULL);
    cs->seed = rng_seed();
}

static size_t tag_new(crash_t *cs, uint32_t conn, uint32_t n, uint8_t sender, uint8_t to_role)
{
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? cs->cap * 2 : 4096;
        cs->tags = cl_realloc(cs->tags, cs->cap * sizeof(*cs->tags));
    }
    tag_t *t = &cs->tags[cs->n];
    memset(t, 0, sizeof(*t));
    t->round = cs->round;
    t->conn = conn;
    t->n = n;
    t->sender = sender;
    t->to_role = to_role;
    t->state = TAG_SENT;
    return cs->n++;
}

static void tag_body(const tag_t *t, size_t body_len, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "crash r=%u c=%u n=%u", t->round, t->conn, t->n);
    size_t len = (size_t)n;
    while (len < body_len && len + 1 < outlen)
        out[len++] = '.';
    out[len] = '\0';
}

static uint64_t tag_key(uint32_t round, uint32_t conn, uint32_t n)
{
    return (uint64_t)round << 40 | (uint64_t)conn << 32 | n;
}

static size_t count_state(const crash_t *cs, tag_state_t state)
{
    size_t n = 0;
    for (size_t i = 0; i < cs->n; i++)
        n += cs->tags[i].state == state;
    return n;
}

/* ---- the load: CONNECTIONS async clients on one loop, in a thread of their own ------------- */

typedef struct load_s load_t;

typedef struct {
    load_t *load;
    cl_client_t *client; /* freed by libclinic after on_state(< 0) */
    uint32_t conn;
    uint32_t next_n;
    unsigned in_flight;
    int ended;
} worker_t;

/* One message in flight; freed by its reply callback. */
typedef struct {
    worker_t *w;
    size_t tag; /* index: the array may move while it is in flight */
} call_t;

struct load_s {
    crash_t *cs; /* borrowed; its tags are the load thread's until load_finish */
    size_t body_len;
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    worker_t workers[CONNECTIONS];
    int live;      /* workers whose client has not ended */
    int logged_in; /* workers logged in */
    int stopping;

    pthread_mutex_t mutex; /* guards the next two */
    pthread_cond_t cond;
    int ready; /* 1: every worker logged in and sending; -1: one failed first */
    char failure[320];

    size_t sent, acked, refused, unanswered;
    char refusal[256]; /* the first refusal's message */
};

static void set_ready(load_t *L, int ready, const char *why)
{
    pthread_mutex_lock(&L->mutex);
    if (L->ready == 0) {
        L->ready = ready;
        snprintf(L->failure, sizeof(L->failure), "%s", why ? why : "");
        pthread_cond_signal(&L->cond);
    }
    pthread_mutex_unlock(&L->mutex);
}

static void on_sent(cl_client_t *c, int status, const Clinic__Response *resp, void *arg);

/* Sends the worker's next tagged message, or closes it once it is stopping and idle. */
static void send_next(worker_t *w)
{
    load_t *L = w->load;
    if (L->stopping) {
        if (w->in_flight == 0 && !w->ended)
            cl_client_close(w->client);
        return;
    }
    uint8_t sender = (uint8_t)(w->conn % SENDERS);
    uint8_t to_role = (uint8_t)((w->conn / SENDERS) % 2);
    char body[BODY_MAX + 1];
    pthread_mutex_lock(&L->cs->lock);
    size_t tag = tag_new(L->cs, w->conn, w->next_n++, sender, to_role);
    tag_body(&L->cs->tags[tag], L->body_len, body, sizeof(body));
    pthread_mutex_unlock(&L->cs->lock);

    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = to_role ? "role:clinician" : RECIPIENT;
    m.body = body;
    Clinic__Request req;
    ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m));
    call_t *call = cl_malloc(sizeof(*call));
    call->w = w;
    call->tag = tag;
    if (cl_client_call(w->client, &req, on_sent, call) != 0) {
        pthread_mutex_lock(&L->cs->lock);
        L->cs->tags[tag].state = TAG_UNSENT;
        pthread_mutex_unlock(&L->cs->lock);
        free(call);
        return;
    }
    w->in_flight++;
    L->sent++;
}

static void on_sent(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    call_t *call = arg;
    worker_t *w = call->w;
    load_t *L = w->load;
    size_t tag = call->tag;
    free(call);
    w->in_flight--;
    if (resp == NULL) {
        L->unanswered++; /* the connection ended first: the tag stays TAG_SENT */
        return;
    }
    pthread_mutex_lock(&L->cs->lock);
    tag_t *t = &L->cs->tags[tag];
    if (status == 0) {
        t->state = TAG_ACKED;
        t->id = resp->message_send->message->id;
        t->acked_at = harness_ms();
        L->acked++;
    } else {
        t->state = TAG_REFUSED;
        if (L->refused++ == 0)
            snprintf(L->refusal, sizeof(L->refusal), "%s",
                     resp->status ? resp->status->message : "");
    }
    pthread_mutex_unlock(&L->cs->lock);
    send_next(w);
}

static void on_login(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    worker_t *w = arg;
    load_t *L = w->load;
    if (status != 0) {
        char why[200];
        snprintf(why, sizeof(why), "login of connection %u: %s", w->conn,
                 resp && resp->status ? resp->status->message : cl_status_message(status));
        set_ready(L, -1, why);
        if (resp != NULL)
            cl_client_close(c);
        return;
    }
    /* Everyone starts at once, so that "into the load" means the same for every connection. */
    if (++L->logged_in < CONNECTIONS)
        return;
    set_ready(L, 1, NULL);
    for (int i = 0; i < CONNECTIONS; i++)
        for (int k = 0; k < PIPELINE; k++)
            send_next(&L->workers[i]);
}

static void on_state(cl_client_t *c, int status, const char *reason,
                     const Clinic__HelloReply *hello, void *arg)
{
    (void)hello;
    worker_t *w = arg;
    load_t *L = w->load;
    if (status == 0) {
        Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
        login.username = (char *)senders[w->conn % SENDERS];
        login.password = TEST_PASSWORD;
        Clinic__Request req;
        ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_LOGIN, &login));
        if (cl_client_call(c, &req, on_login, w) != 0)
            set_ready(L, -1, "the connection closed before its login");
        return;
    }
    w->ended = 1;
    L->live--;
    char why[300];
    snprintf(why, sizeof(why), "connection %u ended before the load started: %s", w->conn,
             reason ? reason : "");
    set_ready(L, -1, why); /* no effect once the load runs */
}

static void on_stop(uv_async_t *a)
{
    load_t *L = cl_container_of(a, load_t, stop);
    L->stopping = 1;
    for (int i = 0; i < CONNECTIONS; i++) {
        worker_t *w = &L->workers[i];
        if (!w->ended && w->in_flight == 0)
            cl_client_close(w->client);
    }
    uv_close((uv_handle_t *)&L->stop, NULL);
}

static void *load_main(void *arg)
{
    load_t *L = arg;
    uv_run(&L->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Connects CONNECTIONS clients to `h` (each logged in as one of the senders) and returns once
 * all of them are sending, each keeping PIPELINE messages in flight. */
static void load_start(load_t *L, cl_harness_t *h, crash_t *cs, size_t body_len)
{
    memset(L, 0, sizeof(*L));
    L->cs = cs;
    L->body_len = body_len;
    pthread_mutex_init(&L->mutex, NULL);
    pthread_cond_init(&L->cond, NULL);
    ASSERT_OK(uv_loop_init(&L->loop));
    ASSERT_OK(uv_async_init(&L->loop, &L->stop, on_stop));
    cl_client_config_t cfg = harness_config(h, 1);
    for (int i = 0; i < CONNECTIONS; i++) {
        worker_t *w = &L->workers[i];
        w->load = L;
        w->conn = (uint32_t)i;
        w->client = cl_client_connect(&L->loop, &cfg, on_state, w);
        ASSERT_NOT_NULL(w->client);
        L->live++;
    }
    ASSERT_OK(pthread_create(&L->thread, NULL, load_main, L));

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&L->mutex);
    while (L->ready == 0)
        if (pthread_cond_timedwait(&L->cond, &L->mutex, &deadline) == ETIMEDOUT)
            break;
    int ready = L->ready;
    pthread_mutex_unlock(&L->mutex);
    if (ready != 1)
        CL_FAIL("the load did not start: %s", ready ? L->failure : "30 s passed");
}

/* Stops the load (at once if the daemon is gone; after the replies in flight otherwise), joins
 * its thread and prints what it did. */
static void load_finish(load_t *L, const char *what)
{
    uv_async_send(&L->stop);
    ASSERT_OK(pthread_join(L->thread, NULL));
    ASSERT_EQ(L->live, 0);
    ASSERT_OK(uv_loop_close(&L->loop));
    pthread_cond_destroy(&L->cond);
    pthread_mutex_destroy(&L->mutex);
    fprintf(stderr,
            "  %s: %zu sent, %zu acknowledged, %zu refused, %zu unanswered (in flight at the "
            "end)\n",
            what, L->sent, L->acked, L->refused, L->unanswered);
    if (L->refused)
        fprintf(stderr, "  first refusal: %s\n", L->refusal);
    ASSERT_GT(L->acked, 0);
}

/* ---- checking a database against what was sent ------------------------------------------- */

static sqlite3 *db_open(const char *path, int immutable)
{
    char uri[400];
    sqlite3 *db = NULL;
    /* A backup file is opened as immutable: read without locks, and no -wal or -shm is made
     * beside it. A live database needs its WAL read. */
    snprintf(uri, sizeof(uri), "file:%s%s", path, immutable ? "?immutable=1" : "");
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK)
        CL_FAIL("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static sqlite3_stmt *db_query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        CL_FAIL("%s: %s", sql, sqlite3_errmsg(db));
    return st;
}

static void db_done(sqlite3 *db, sqlite3_stmt *st, int rc)
{
    if (rc != SQLITE_DONE)
        CL_FAIL("%s: %s", sqlite3_sql(st), sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = db_query(db, sql);
    if (sqlite3_step(st) != SQLITE_ROW)
        CL_FAIL("%s: no row: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

typedef struct {
    uint64_t key;
    size_t tag;
} tag_index_t;

static int cmp_index(const void *a, const void *b)
{
    uint64_t x = ((const tag_index_t *)a)->key, y = ((const tag_index_t *)b)->key;
    return x < y ? -1 : x > y;
}

typedef struct {
    size_t messages;
    uint64_t max_seq;
} db_report_t;

enum { USER_BITS = 64 };

/* Checks the database at `path` against cs's tags:
 * - PRAGMA integrity_check and foreign_key_check pass;
 * - every message row carries the tag of a message that was sent (not refused, never unsent),
 *   once, from its sender to its address, with the id its reply gave;
 * - every message has exactly its recipients, one inbox change per recipient and one audit
 *   row by its sender, and no recipient row, change or audit row exists without its message;
 * - the change feed's seqs have no gap;
 * - every tag acknowledged before `acked_before` (ms; INFINITY: all) is there.
 * A tag never answered may be there (wholly, as above) or not at all. */
static db_report_t check_db_locked(const char *path, int immutable, crash_t *cs,
                                   double acked_before);

/* Checks the database at `path` against the tags (see check_db_locked), holding the tags' lock
 * so that a load running beside it cannot move them meanwhile. */
static db_report_t check_db(const char *path, int immutable, crash_t *cs, double acked_before)
{
    pthread_mutex_lock(&cs->lock);
    db_report_t r = check_db_locked(path, immutable, cs, acked_before);
    pthread_mutex_unlock(&cs->lock);
    return r;
}

static db_report_t check_db_locked(const char *path, int immutable, crash_t *cs,
                                   double acked_before)
{
    sqlite3 *db = db_open(path, immutable);
    sqlite3_stmt *st;
    int rc;
    db_report_t report = {0};

    st = db_query(db, "PRAGMA integrity_check");
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    if (strcmp(col_text(st, 0), "ok") != 0)
        CL_FAIL("%s fails the integrity check: %s", path, col_text(st, 0));
    sqlite3_finalize(st);
    st = db_query(db, "PRAGMA foreign_key_check");
    if (sqlite3_step(st) == SQLITE_ROW)
        CL_FAIL("%s fails the foreign key check: table %s row %lld", path, col_text(st, 0),
                (long long)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);

    /* Users: ids are small, so a recipient set is a bit mask. */
    int64_t sender_id[SENDERS] = {0}, nurse_id = 0;
    st = db_query(db, "SELECT id, username FROM users");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        ASSERT_LT(id, USER_BITS);
        for (int i = 0; i < SENDERS; i++)
            if (strcmp(col_text(st, 1), senders[i]) == 0)
                sender_id[i] = id;
        if (strcmp(col_text(st, 1), RECIPIENT) == 0)
            nurse_id = id;
    }
    db_done(db, st, rc);
    ASSERT_NE(nurse_id, 0);
    uint64_t clinicians = 0;
    for (int i = 0; i < SENDERS; i++) {
        ASSERT_NE(sender_id[i], 0);
        clinicians |= 1ull << sender_id[i];
    }

    tag_index_t *index = cl_calloc(cs->n + 1, sizeof(*index));
    for (size_t i = 0; i < cs->n; i++) {
        index[i].key = tag_key(cs->tags[i].round, cs->tags[i].conn, cs->tags[i].n);
        index[i].tag = i;
        cs->tags[i].found = 0;
    }
    qsort(index, cs->n, sizeof(*index), cmp_index);

    size_t max_id = (size_t)db_int(db, "SELECT coalesce(max(id), 0) FROM messages");
    size_t *tag_of = cl_calloc(max_id + 1, sizeof(*tag_of)); /* message id -> tag index + 1 */
    uint64_t *want = cl_calloc(max_id + 1, sizeof(*want));
    uint64_t *rcpt = cl_calloc(max_id + 1, sizeof(*rcpt));
    uint64_t *changed = cl_calloc(max_id + 1, sizeof(*changed));
    unsigned *audited = cl_calloc(max_id + 1, sizeof(*audited));

    st = db_query(db, "SELECT id, sender_id, addressed_to, body FROM messages ORDER BY id");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
        const char *body = col_text(st, 3);
        unsigned r, c, n;
        if (sscanf(body, "crash r=%u c=%u n=%u", &r, &c, &n) != 3)
            CL_FAIL("message %" PRIu64 " was never sent: body \"%.60s\"", id, body);
        tag_index_t probe = {tag_key(r, c, n), 0};
        tag_index_t *hit = bsearch(&probe, index, cs->n, sizeof(*index), cmp_index);
        if (hit == NULL)
            CL_FAIL("message %" PRIu64 " carries tag r=%u c=%u n=%u, which was never sent", id, r,
                    c, n);
        tag_t *t = &cs->tags[hit->tag];
        if (t->found)
            CL_FAIL("tag r=%u c=%u n=%u is there twice: messages %" PRIu64 " and %" PRIu64, r, c, n,
                    t->found, id);
        if (t->state == TAG_REFUSED || t->state == TAG_UNSENT)
            CL_FAIL("message %" PRIu64 " (tag r=%u c=%u n=%u) is there although it was %s", id, r,
                    c, n, t->state == TAG_REFUSED ? "refused" : "never sent");
        if (t->state == TAG_ACKED && t->id != id)
            CL_FAIL("tag r=%u c=%u n=%u was acknowledged as message %" PRIu64 " but is %" PRIu64, r,
                    c, n, t->id, id);
        ASSERT_EQ(sqlite3_column_int64(st, 1), sender_id[t->sender]);
        ASSERT_STR_EQ(col_text(st, 2), t->to_role ? "role:clinician" : RECIPIENT);
        t->found = id;
        tag_of[id] = hit->tag + 1;
        want[id] = t->to_role ? clinicians & ~(1ull << sender_id[t->sender]) : 1ull << nurse_id;
        report.messages++;
    }
    db_done(db, st, rc);

    st = db_query(db, "SELECT message_id, user_id FROM message_recipients");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
        int64_t user = sqlite3_column_int64(st, 1);
        if (id > max_id || tag_of[id] == 0)
            CL_FAIL("a recipient row of message %" PRIu64 ", which is not there", id);
        ASSERT_LT(user, USER_BITS);
        rcpt[id] |= 1ull << user;
    }
    db_done(db, st, rc);

    /* The feed: no gap anywhere, and one inbox change per recipient of every message. */
    uint64_t prev = 0, first = 0;
    st = db_query(db, "SELECT seq, topic, entity, entity_id, op, scope_user FROM changes "
                      "ORDER BY seq");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        if (first == 0)
            first = seq;
        else if (seq != prev + 1)
            CL_FAIL("the change feed has a gap: seq %" PRIu64 " follows %" PRIu64, seq, prev);
        prev = seq;
        if (strcmp(col_text(st, 2), "message") != 0 ||
            sqlite3_column_int(st, 4) != CLINIC__CHANGE_OP__CREATED)
            continue;
        uint64_t id = (uint64_t)sqlite3_column_int64(st, 3);
        int64_t user = sqlite3_column_int64(st, 5);
        ASSERT_STR_EQ(col_text(st, 1), "inbox");
        if (id > max_id || tag_of[id] == 0)
            CL_FAIL("change %" PRIu64 " announces message %" PRIu64 ", which is not there", seq,
                    id);
        ASSERT_LT(user, USER_BITS);
        if (changed[id] & (1ull << user))
            CL_FAIL("message %" PRIu64 " is announced twice to user %" PRId64, id, user);
        changed[id] |= 1ull << user;
    }
    db_done(db, st, rc);
    ASSERT_LE(first, 1); /* nothing trimmed: far fewer than feed_keep changes */
    report.max_seq = prev;

    st = db_query(db, "SELECT seq, username, workstation, entity_id FROM audit "
                      "WHERE action = 'message.send'");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = (uint64_t)sqlite3_column_int64(st, 3);
        if (id > max_id || tag_of[id] == 0)
            CL_FAIL("audit row %lld records message %" PRIu64 ", which is not there",
                    (long long)sqlite3_column_int64(st, 0), id);
        const tag_t *t = &cs->tags[tag_of[id] - 1];
        ASSERT_STR_EQ(col_text(st, 1), senders[t->sender]);
        ASSERT_STR_EQ(col_text(st, 2), "ws1");
        audited[id]++;
    }
    db_done(db, st, rc);

    for (size_t id = 1; id <= max_id; id++) {
        if (tag_of[id] == 0)
            continue;
        if (rcpt[id] != want[id] || changed[id] != want[id] || audited[id] != 1)
            CL_FAIL("message %zu is half there: recipients %#" PRIx64 ", changes %#" PRIx64
                    " (want %#" PRIx64 "), %u audit rows (want 1)",
                    id, rcpt[id], changed[id], want[id], audited[id]);
    }

    size_t present = 0, absent = 0;
    for (size_t i = 0; i < cs->n; i++) {
        const tag_t *t = &cs->tags[i];
        if (t->state == TAG_ACKED && t->acked_at < acked_before && !t->found)
            CL_FAIL("LOST: acknowledged message %" PRIu64 " (tag r=%u c=%u n=%u, seed %" PRIu64
                    ") is not in %s",
                    t->id, t->round, t->conn, t->n, cs->seed, path);
        if (t->state == TAG_SENT)
            t->found ? present++ : absent++;
    }
    cs->unacked_present = present;
    cs->unacked_absent = absent;

    free(audited);
    free(changed);
    free(rcpt);
    free(want);
    free(tag_of);
    free(index);
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
    return report;
}

/* ---- checking the live clinic ------------------------------------------------------------- */

static void assert_audit_verifies(const char *data)
{
    char out[4096];
    char *verify[] = {(char *)harness_clinicd(), "audit", "verify", "--data", (char *)data, NULL};
    int rc = harness_run(verify, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("audit verify --data %s failed (%d): %s", data, rc, out);
    ASSERT_STR_CONTAINS(out, "intact");
}

static const Clinic__SubscribeReply *subscribe_inbox(cl_sync_t *s, uint64_t since)
{
    char *topics[] = {"inbox"};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    sub.since_seq = since;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(s, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp));
    return resp->subscribe;
}

/* The restarted daemon's view of the feed: its newest seq is the database's, a subscriber that
 * comes back replays exactly the database's changes for it, and the next change (a probe
 * message, recorded as a tag) gets the next seq. */
static void check_feed(cl_harness_t *h, crash_t *cs)
{
    cl_sync_t *alice = harness_login(h, senders[0]);
    cl_sync_t *nurse = harness_login(h, RECIPIENT);
    char path[300];
    snprintf(path, sizeof(path), "%s/clinic.db", h->data);
    sqlite3 *db = db_open(path, 0);
    uint64_t newest = (uint64_t)db_int(db, "SELECT coalesce(max(seq), 0) FROM changes");
    uint64_t since = newest > 300 ? newest - 300 : 1;
    const Clinic__SubscribeReply *sub = subscribe_inbox(nurse, since);
    ASSERT_EQ(sub->current_seq, newest);
    ASSERT_EQ(sub->resync, 0);

    sqlite3_stmt *st = db_query(db, "SELECT c.seq, c.entity_id FROM changes c JOIN users u "
                                    "ON u.id = c.scope_user WHERE c.topic = 'inbox' "
                                    "AND c.seq > ?1 AND u.username = ?2 ORDER BY c.seq");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    sqlite3_bind_text(st, 2, RECIPIENT, -1, SQLITE_STATIC);
    size_t i = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (i >= sub->n_missed)
            CL_FAIL("the replay after the restart lacks seq %lld",
                    (long long)sqlite3_column_int64(st, 0));
        ASSERT_EQ(sub->missed[i]->seq, sqlite3_column_int64(st, 0));
        ASSERT_EQ(sub->missed[i]->entity_id, sqlite3_column_int64(st, 1));
        i++;
    }
    db_done(db, st, rc);
    ASSERT_OK(sqlite3_close(db));
    ASSERT_EQ(i, sub->n_missed);

    cs->round++; /* the probe's tag must not collide with the load's */
    size_t tag = tag_new(cs, PROBE_CONN, 0, 0, 0);
    char body[64];
    tag_body(&cs->tags[tag], 0, body, sizeof(body));
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = RECIPIENT;
    m.body = body;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(alice, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));
    cs->tags[tag].state = TAG_ACKED;
    cs->tags[tag].id = resp->message_send->message->id;
    cs->tags[tag].acked_at = harness_ms();

    const Clinic__Event *ev = NULL;
    char err[256];
    if (cl_sync_next_event(nurse, 5000, &ev, err, sizeof(err)) != 0)
        CL_FAIL("no event for the probe message: %s", err);
    ASSERT_EQ(ev->entity_id, cs->tags[tag].id);
    ASSERT_EQ(ev->seq, newest + 1);
    cl_sync_close(nurse);
    cl_sync_close(alice);
}

/* Everything a restart must show: the database as check_db says, the audit chain, the feed. */
static void check_live(cl_harness_t *h, crash_t *cs, const char *when)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/clinic.db", h->data);
    db_report_t r = check_db(path, 0, cs, INFINITY);
    fprintf(stderr,
            "  %s: %zu acknowledged all there; %zu messages; of the unanswered, %zu wholly there "
            "and %zu wholly absent; feed 1..%" PRIu64 " without a gap\n",
            when, count_state(cs, TAG_ACKED), r.messages, cs->unacked_present, cs->unacked_absent,
            r.max_seq);
    assert_audit_verifies(h->data);
    check_feed(h, cs);
}

/* The last check, after a clean stop: the database file alone holds everything. */
static void check_final(cl_harness_t *h, crash_t *cs, const char *name)
{
    harness_sigterm(h);
    char path[300];
    snprintf(path, sizeof(path), "%s/clinic.db", h->data);
    check_db(path, 0, cs, INFINITY);
    assert_audit_verifies(h->data);
    /* One line for scripts/crash-soak.sh to add up. */
    printf("crash-summary case=%s seed=%" PRIu64 " kills=%u checkpoint_kills=%u backup_kills=%u "
           "sent=%zu acked=%zu refused=%zu unacked_present=%zu unacked_absent=%zu lost=0\n",
           name, cs->seed, cs->kills, cs->checkpoint_kills, cs->backup_kills, cs->n,
           count_state(cs, TAG_ACKED), count_state(cs, TAG_REFUSED), cs->unacked_present,
           cs->unacked_absent);
    fflush(stdout);
    free(cs->tags);
    pthread_mutex_destroy(&cs->lock);
}

static void start_clinic(cl_harness_t *h)
{
    /* SQLite's default checkpoint length, so that 3500-byte bodies set one off within a second
     * (sigkill_during_checkpoint); the daemon's own default is ten times longer. */
    harness_start(h, "wal_checkpoint_pages = 1000\n");
    for (int i = 0; i < SENDERS; i++)
        harness_add_user(h, senders[i], "clinician");
    harness_add_user(h, RECIPIENT, "staff");
}

/* ---- 1. SIGKILL at a random moment -------------------------------------------------------- */

CL_TEST(sigkill_under_load_loses_nothing_acknowledged)
{
    crash_t cs;
    crash_init(&cs);
    cl_harness_t h;
    start_clinic(&h);
    unsigned kills = env_count("CLINIC_CRASH_KILLS", 3);
    for (unsigned k = 0; k < kills; k++) {
        load_t load;
        cs.round++;
        load_start(&load, &h, &cs, 0);
        double delay = rng_between(300, 1500);
        fprintf(stderr, "kill %u: SIGKILL %.0f ms into the load\n", k + 1, delay);
        sleep_ms(delay);
        harness_kill(&h);
        cs.kills++;
        load_finish(&load, "load");
        harness_serve(&h);
        check_live(&h, &cs, "after the restart");
    }
    check_final(&h, &cs, "sigkill_under_load");
    harness_stop(&h);
}

/* ---- 2. SIGKILL during a WAL checkpoint --------------------------------------------------- */

/* The WAL index (the -shm file, native byte order): the header's mxFrame (the last valid frame)
 * at 16; the checkpoint info's nBackfill (frames copied into the database, set when a
 * checkpoint has finished and synced) at 96 and nBackfillAttempted (set when one starts) at
 * 128. A kill with nBackfillAttempted > nBackfill came in the middle of a checkpoint. */
typedef struct {
    uint32_t mx_frame, backfill, attempted;
} wal_index_t;

static int read_wal_index(const char *data, wal_index_t *out)
{
    char path[300];
    unsigned char b[136];
    snprintf(path, sizeof(path), "%s/clinic.db-shm", data);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, b, sizeof(b), 0);
    close(fd);
    uint32_t version;
    memcpy(&version, b, 4);
    if (n != (ssize_t)sizeof(b) || version != 3007000)
        return -1;
    memcpy(&out->mx_frame, b + 16, 4);
    memcpy(&out->backfill, b + 96, 4);
    memcpy(&out->attempted, b + 128, 4);
    return 0;
}

/* Kills the daemon `delay_ms` after it first writes to the database file, which in WAL mode
 * only a checkpoint does (copying WAL frames back): armed after `arm_ms`, gives up after
 * `wait_ms`. A thread of its own, so that the load's loop does not delay the kill. */
typedef struct {
    const char *db_path;
    pid_t pid;
    double arm_ms, wait_ms, delay_ms;
    int killed; /* 1 when a write to the database file set it off */
} watcher_t;

static void *watch_main(void *arg)
{
    watcher_t *w = arg;
    sleep_ms(w->arm_ms);
    int fd = inotify_init1(IN_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT(inotify_add_watch(fd, w->db_path, IN_MODIFY) >= 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)w->wait_ms) == 1) {
        sleep_ms(w->delay_ms);
        kill(w->pid, SIGKILL);
        w->killed = 1;
    }
    close(fd);
    return NULL;
}

CL_TEST(sigkill_during_checkpoint)
{
    crash_t cs;
    crash_init(&cs);
    cl_harness_t h;
    start_clinic(&h);
    char db_path[300];
    snprintf(db_path, sizeof(db_path), "%s/clinic.db", h.data);
    /* A kill in the middle of a checkpoint is the point of this case: when the random delays
     * (up to 3 ms, about a checkpoint's length here) let every checkpoint finish first, up to
     * three more kills try again. */
    unsigned kills = env_count("CLINIC_CRASH_KILLS", 3);
    for (unsigned k = 0; k < kills || (cs.checkpoint_kills == 0 && k < kills + 3); k++) {
        load_t load;
        cs.round++;
        /* Large bodies fill the 1000-page checkpoint length quickly. */
        load_start(&load, &h, &cs, 3500);
        watcher_t w = {.db_path = db_path,
                       .pid = h.pid,
                       .arm_ms = rng_between(300, 800),
                       .wait_ms = 8000,
                       .delay_ms = rng_between(0, 3)};
        pthread_t watcher;
        ASSERT_OK(pthread_create(&watcher, NULL, watch_main, &w));
        ASSERT_OK(pthread_join(watcher, NULL));
        harness_kill(&h); /* reaps it; SIGKILL again when no checkpoint came */
        cs.kills++;
        wal_index_t wi;
        int mid = w.killed && read_wal_index(h.data, &wi) == 0 && wi.attempted > wi.backfill;
        cs.checkpoint_kills += mid;
        if (mid)
            fprintf(stderr,
                    "kill %u: SIGKILL %.1f ms into a checkpoint: it had begun to copy WAL frames "
                    "%u..%u into the database and not finished\n",
                    k + 1, w.delay_ms, wi.backfill + 1, wi.attempted);
        else
            fprintf(stderr, "kill %u: SIGKILL %s, not inside a checkpoint\n", k + 1,
                    w.killed ? "after a checkpoint" : "after 8 s without a checkpoint");
        load_finish(&load, "load");
        harness_serve(&h);
        check_live(&h, &cs, "after the restart");
    }
    ASSERT_GT(cs.checkpoint_kills, 0);
    check_final(&h, &cs, "sigkill_during_checkpoint");
    harness_stop(&h);
}

/* ---- 3. SIGKILL during an online backup --------------------------------------------------- */

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ASSERT(errno == EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether `pid` (a child) still runs; it is not reaped. */
static int running(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    ASSERT_OK(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT));
    return info.si_pid == 0;
}

/* One `clinicd backup --data DATA --to FILE` run, watched with inotify on FILE's directory:
 * when FILE.tmp.PID was created (the copy starts) and when FILE was renamed into place. */
typedef struct {
    pid_t pid;
    int fd; /* inotify */
    char name[64], tmp_name[64];
    double created, renamed; /* harness_ms(); 0 until seen */
} backup_run_t;

static void backup_spawn(backup_run_t *b, cl_harness_t *h, const char *file)
{
    memset(b, 0, sizeof(*b));
    const char *base = strrchr(file, '/') + 1;
    snprintf(b->name, sizeof(b->name), "%s", base);
    b->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ASSERT(b->fd >= 0);
    ASSERT(inotify_add_watch(b->fd, h->dir, IN_CREATE | IN_MOVED_TO) >= 0);

    char log[300];
    snprintf(log, sizeof(log), "%s/backup.log", h->dir);
    char *argv[] = {
        (char *)harness_clinicd(), "backup", "--data", h->data, "--to", (char *)file, NULL};
    b->pid = fork();
    ASSERT(b->pid >= 0);
    if (b->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    snprintf(b->tmp_name, sizeof(b->tmp_name), "%s.tmp.%ld", base, (long)b->pid);
}

/* Reads inotify events until `*when` is set or `timeout_ms` passed (or the backup exited). */
static void backup_wait(backup_run_t *b, const double *when, double timeout_ms)
{
    double deadline = harness_ms() + timeout_ms;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (*when == 0 && harness_ms() < deadline) {
        struct pollfd p = {.fd = b->fd, .events = POLLIN};
        if (poll(&p, 1, 5) == 0) {
            if (!running(b->pid))
                return;
            continue;
        }
        ssize_t n = read(b->fd, buf, sizeof(buf));
        double now = harness_ms();
        for (char *at = buf; n > 0 && at < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)at;
            if ((ev->mask & IN_CREATE) && strcmp(ev->name, b->tmp_name) == 0 && !b->created)
                b->created = now;
            if ((ev->mask & IN_MOVED_TO) && strcmp(ev->name, b->name) == 0 && !b->renamed)
                b->renamed = now;
            at += sizeof(*ev) + ev->len;
        }
    }
}

static int backup_reap(backup_run_t *b)
{
    int rc = reap(b->pid);
    close(b->fd);
    return rc;
}

/* A backup file that exists must be whole: it opens, passes the integrity check, holds every
 * message acknowledged before the backup started (and nothing half), and `clinicd restore`
 * accepts it into a scratch data directory, where `clinicd audit verify` passes. */
static void check_backup_file(cl_harness_t *h, crash_t *cs, const char *file, double started)
{
    check_db(file, 1, cs, started);
    char scratch[300], out[4096];
    snprintf(scratch, sizeof(scratch), "%s/restored", h->dir);
    char *rm[] = {"/bin/rm", "-rf", scratch, NULL};
    harness_run(rm, NULL, 0);
    ASSERT_OK(mkdir(scratch, 0700));
    char *restore[] = {
        (char *)harness_clinicd(), "restore", "--data", scratch, "--from", (char *)file, NULL};
    int rc = harness_run(restore, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("restore of %s failed (%d): %s", file, rc, out);
    assert_audit_verifies(scratch);
    harness_run(rm, NULL, 0);
}

CL_TEST(sigkill_during_backup_leaves_no_half_backup)
{
    crash_t cs;
    crash_init(&cs);
    cl_harness_t h;
    start_clinic(&h);
    load_t load;
    cs.round++;
    load_start(&load, &h, &cs, 2000);
    sleep_ms(1000); /* megabytes to copy */

    /* A whole backup under load, to time its copy: from FILE.tmp.PID's creation to the rename. */
    char file[300], tmp[320];
    backup_run_t b;
    snprintf(file, sizeof(file), "%s/backup-whole.db", h.dir);
    double whole_started = harness_ms();
    backup_spawn(&b, &h, file);
    backup_wait(&b, &b.renamed, 60000);
    int rc = backup_reap(&b);
    if (rc != 0) {
        char log[300], text[2048] = "";
        snprintf(log, sizeof(log), "%s/backup.log", h.dir);
        FILE *f = fopen(log, "r");
        size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
        text[n] = '\0';
        if (f)
            fclose(f);
        CL_FAIL("clinicd backup under load exited with %d: %s", rc, text);
    }
    ASSERT(b.created > 0 && b.renamed > 0);
    double window = b.renamed - b.created;
    fprintf(stderr, "a whole backup under load: copied and synced in %.0f ms\n", window);
    check_backup_file(&h, &cs, file, whole_started);

    /* Killed at random moments of the copy, the sync, the rename and the audit row after it.
     * The last one writes over the whole backup: FILE is then the old file or the new one. */
    unsigned rounds = env_count("CLINIC_CRASH_KILLS", 4);
    for (unsigned k = 0; k < rounds; k++) {
        int last = k + 1 == rounds;
        if (last)
            snprintf(file, sizeof(file), "%s/backup-whole.db", h.dir);
        else
            snprintf(file, sizeof(file), "%s/backup-%u.db", h.dir, k + 1);
        double delay = rng_between(0, window * 1.3);
        double started = harness_ms();
        backup_spawn(&b, &h, file);
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)b.pid);
        backup_wait(&b, &b.created, 30000);
        ASSERT(b.created > 0);
        sleep_ms(delay);
        int killed = running(b.pid) && kill(b.pid, SIGKILL) == 0;
        rc = backup_reap(&b);
        cs.backup_kills += killed;
        int exists = path_exists(file), tmp_left = path_exists(tmp);
        fprintf(stderr, "backup %u: %s %.0f ms into the copy (exit %d): %s%s\n", k + 1,
                killed ? "SIGKILL" : "finished before the kill", delay, rc,
                exists ? "the file is there" : "no file",
                tmp_left ? "; FILE.tmp is left behind" : "");
        if (!killed)
            ASSERT_EQ(rc, 0);
        if (!killed || last)
            ASSERT(exists);
        if (exists)
            check_backup_file(&h, &cs, file, last ? whole_started : started);
        unlink(tmp);
    }

    /* The daemon killed while a backup copies: the backup finishes or fails, whole or absent,
     * and the live data after the restart is as after any kill. */
    snprintf(file, sizeof(file), "%s/backup-daemon-killed.db", h.dir);
    double delay = rng_between(0, window);
    double started = harness_ms();
    backup_spawn(&b, &h, file);
    backup_wait(&b, &b.created, 30000);
    sleep_ms(delay);
    harness_kill(&h);
    cs.kills++;
    load_finish(&load, "load");
    rc = backup_reap(&b);
    fprintf(stderr, "daemon killed %.0f ms into a backup's copy; the backup exited %d, %s\n", delay,
            rc, path_exists(file) ? "its file is there" : "no file");
    if (path_exists(file))
        check_backup_file(&h, &cs, file, started);
    harness_serve(&h);
    check_live(&h, &cs, "after the restart");
    check_final(&h, &cs, "sigkill_during_backup");
    harness_stop(&h);
}

/* ---- 4. restore --------------------------------------------------------------------------- */

static void send_to_nurse(cl_sync_t *s, const char *body, uint64_t *id)
{
    Clinic__MessageSendRequest m = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    m.to = RECIPIENT;
    m.body = (char *)body;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(s, CLINIC__REQUEST__BODY_MESSAGE_SEND, &m, &resp));
    *id = resp->message_send->message->id;
}

/* The number of messages in the nurse's inbox, as the daemon serves it. */
static size_t inbox_count(cl_harness_t *h)
{
    cl_sync_t *nurse = harness_login(h, RECIPIENT);
    Clinic__MessageListRequest l = CLINIC__MESSAGE_LIST_REQUEST__INIT;
    l.limit = 500;
    const Clinic__Response *resp;
    ASSERT_OK(harness_send(nurse, CLINIC__REQUEST__BODY_MESSAGE_LIST, &l, &resp));
    size_t n = resp->message_list->n_messages;
    cl_sync_close(nurse);
    return n;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    ASSERT_OK(fseek(f, 0, SEEK_END));
    long n = ftell(f);
    ASSERT(n >= 0);
    rewind(f);
    char *buf = cl_malloc((size_t)n + 1);
    ASSERT_EQ(fread(buf, 1, (size_t)n, f), n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_all(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fwrite(buf, 1, len, f), len);
    ASSERT_OK(fclose(f));
}

/* Runs SQL on a copy of a backup (to damage it on purpose). */
static void tamper(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        CL_FAIL("%s: %s", sql, err);
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

static size_t count_before_restore_files(const char *data)
{
    DIR *d = opendir(data);
    ASSERT_NOT_NULL(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".before-restore-") != NULL;
    closedir(d);
    return n;
}

/* Restoring `file` must fail with `why` in the message, and leave the live data as it was. */
static void assert_refused(cl_harness_t *h, const char *file, const char *why, const char *live,
                           size_t live_len)
{
    char out[4096], path[300];
    char *restore[] = {
        (char *)harness_clinicd(), "restore", "--data", h->data, "--from", (char *)file, NULL};
    int rc = harness_run(restore, out, sizeof(out));
    if (rc != 1)
        CL_FAIL("restore of %s exited %d (want 1): %s", file, rc, out);
    ASSERT_STR_CONTAINS(out, why);
    fprintf(stderr, "  refused: %s", strstr(out, "clinicd: ") ? strstr(out, "clinicd: ") : out);
    size_t len;
    snprintf(path, sizeof(path), "%s/clinic.db", h->data);
    char *now = read_all(path, &len);
    ASSERT(len == live_len && memcmp(now, live, len) == 0);
    free(now);
    snprintf(path, sizeof(path), "%s/clinic.db.restore", h->data);
    ASSERT(!path_exists(path));
    ASSERT_EQ(count_before_restore_files(h->data), 0);
}

CL_TEST(restore_refuses_a_damaged_backup)
{
    cl_harness_t h;
    harness_start(&h, NULL);
    harness_add_user(&h, senders[0], "clinician");
    harness_add_user(&h, RECIPIENT, "staff");
    cl_sync_t *alice = harness_login(&h, senders[0]);
    uint64_t id;
    for (int i = 0; i < 30; i++)
        send_to_nurse(alice, "before the backup", &id);
    char good[300], out[4096];
    snprintf(good, sizeof(good), "%s/good.db", h.dir);
    char *backup[] = {(char *)harness_clinicd(), "backup", "--data", h.data, "--to", good, NULL};
    if (harness_run(backup, out, sizeof(out)) != 0)
        CL_FAIL("backup failed: %s", out);
    for (int i = 0; i < 20; i++)
        send_to_nurse(alice, "after the backup", &id);
    cl_sync_close(alice);

    /* Not while the daemon runs. */
    char *restore[] = {
        (char *)harness_clinicd(), "restore", "--data", h.data, "--from", good, NULL};
    ASSERT_EQ(harness_run(restore, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "stop the daemon");
    ASSERT_EQ(inbox_count(&h), 50);
    harness_sigterm(&h);

    /* Nor while another process holds the data directory's lock. */
    char lock_path[300], pid_text[32];
    snprintf(lock_path, sizeof(lock_path), "%s/clinicd.lock", h.data);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT(lock >= 0);
    ASSERT_OK(flock(lock, LOCK_EX | LOCK_NB));
    snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)getpid());
    ASSERT_OK(ftruncate(lock, 0));
    ASSERT_EQ(write(lock, pid_text, strlen(pid_text)), (ssize_t)strlen(pid_text));
    ASSERT_EQ(harness_run(restore, out, sizeof(out)), 1);
    ASSERT_STR_CONTAINS(out, "stop the daemon");
    pid_text[strlen(pid_text) - 1] = '\0';
    ASSERT_STR_CONTAINS(out, pid_text);
    close(lock);

    /* Damaged backups, each refused with its reason, the live database not touched. */
    char live_path[300], bad[300];
    size_t live_len, good_len;
    snprintf(live_path, sizeof(live_path), "%s/clinic.db", h.data);
    char *live = read_all(live_path, &live_len);
    char *copy = read_all(good, &good_len);
    snprintf(bad, sizeof(bad), "%s/bad.db", h.dir);
    sqlite3 *db = db_open(good, 1);
    size_t root = (size_t)db_int(db, "SELECT rootpage FROM sqlite_master WHERE name = 'messages'");
    size_t page = (size_t)db_int(db, "PRAGMA page_size");
    ASSERT_OK(sqlite3_close(db));
    ASSERT_EQ(good_len % page, 0);

    write_all(bad, copy, good_len / 2 + 100);
    assert_refused(&h, bad, "truncated", live, live_len);
    write_all(bad, copy, good_len - page);
    assert_refused(&h, bad, "truncated", live, live_len);
    write_all(bad, copy, 0);
    assert_refused(&h, bad, "empty", live, live_len);
    write_all(bad, "name,phone\nDoe,555-0100\n", 24);
    assert_refused(&h, bad, "not a SQLite database", live, live_len);

    /* A page of the messages table overwritten: the size is right, the content is not. */
    char *damaged = cl_malloc(good_len);
    memcpy(damaged, copy, good_len);
    for (size_t i = 8; i < page; i++)
        damaged[(root - 1) * page + i] = (char)(0x5a ^ (i * 7));
    write_all(bad, damaged, good_len);
    assert_refused(&h, bad, "integrity check", live, live_len);
    free(damaged);

    /* Well-formed, but its audit log was edited, or it comes from a newer clinicd. */
    write_all(bad, copy, good_len);
    tamper(bad, "DROP TRIGGER audit_no_update; "
                "UPDATE audit SET username = 'someone' WHERE seq = 3");
    assert_refused(&h, bad, "audit chain is broken at row 3", live, live_len);
    write_all(bad, copy, good_len);
    tamper(bad, "PRAGMA user_version = 999");
    assert_refused(&h, bad, "newer clinicd", live, live_len);
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no-such-backup.db", h.dir);
    assert_refused(&h, missing, "No such file", live, live_len);
    free(live);
    free(copy);

    /* The good backup restores; the replaced database is kept whole beside it. */
    int rc = harness_run(restore, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("restore of a good backup exited %d: %s", rc, out);
    ASSERT_STR_CONTAINS(out, "restored");
    ASSERT_EQ(count_before_restore_files(h.data), 1);
    char *kept = strstr(out, "kept as ");
    ASSERT_NOT_NULL(kept);
    kept += strlen("kept as ");
    kept[strcspn(kept, "\n")] = '\0';
    db = db_open(kept, 1);
    ASSERT_EQ(db_int(db, "SELECT count(*) FROM messages"), 50);
    ASSERT_OK(sqlite3_close(db));
    db = db_open(live_path, 0);
    ASSERT_EQ(db_int(db, "SELECT count(*) FROM audit WHERE action = 'database.restore'"), 1);
    ASSERT_OK(sqlite3_close(db));
    assert_audit_verifies(h.data);

    /* The daemon serves the backup's data, and takes new writes on top of it. */
    harness_serve(&h);
    ASSERT_EQ(inbox_count(&h), 30);
    alice = harness_login(&h, senders[0]);
    send_to_nurse(alice, "after the restore", &id);
    cl_sync_close(alice);
    ASSERT_EQ(inbox_count(&h), 31);
    harness_sigterm(&h);
    assert_audit_verifies(h.data);
    harness_stop(&h);
}

CL_TEST_MAIN(CL_TEST_ENTRY(sigkill_under_load_loses_nothing_acknowledged),
             CL_TEST_ENTRY(sigkill_during_checkpoint),
             CL_TEST_ENTRY(sigkill_during_backup_leaves_no_half_backup),
             CL_TEST_ENTRY(restore_refuses_a_damaged_backup))
