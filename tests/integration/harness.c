/* The integration-test harness: real clinicd processes on loopback, fresh data directories. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *harness_clinicd(void)
{
    const char *p = getenv("CLINICD");
    ASSERT(p != NULL && "CLINICD must name the clinicd binary (ctest sets it)");
    return p;
}

const char *harness_clinic(void)
{
    const char *p = getenv("CLINIC");
    ASSERT(p != NULL && "CLINIC must name the clinic binary (ctest sets it)");
    return p;
}

double harness_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int harness_run(char *const argv[], char *out, size_t outlen)
{
    int pipefd[2];
    ASSERT_OK(pipe(pipefd));
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        close(pipefd[1]);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    char sink[4096];
    for (;;) {
        char *dst = out && used + 1 < outlen ? out + used : sink;
        size_t room = out && used + 1 < outlen ? outlen - used - 1 : sizeof(sink);
        ssize_t n = read(pipefd[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            used += (size_t)n;
    }
    close(pipefd[0]);
    if (out && outlen)
        out[used] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ASSERT(errno == EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void write_file(const char *path, const char *text, int append)
{
    FILE *f = fopen(path, append ? "a" : "w");
    ASSERT_NOT_NULL(f);
    fputs(text, f);
    ASSERT_OK(fclose(f));
}

static void run_ok(char *const argv[])
{
    char out[8192];
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("%s %s exited %d:\n%s", argv[0], argv[1], rc, out);
}

static void prepare(cl_harness_t *h)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->dir, sizeof(h->dir), "/tmp/clinicd-test.XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(h->dir));
    snprintf(h->data, sizeof(h->data), "%s/data", h->dir);
}

static void init_and_serve(cl_harness_t *h, const char *conf);

void harness_start(cl_harness_t *h, const char *conf)
{
    prepare(h);
    init_and_serve(h, conf);
}

void harness_start_on_tmpfs(cl_harness_t *h, const char *conf, unsigned size_kib)
{
    prepare(h);
    ASSERT_OK(mkdir(h->data, 0700));
    char opts[64];
    snprintf(opts, sizeof(opts), "size=%uk,mode=0700", size_kib);
    char *mount[] = {"/bin/mount", "-t", "tmpfs", "-o", opts, "tmpfs", h->data, NULL};
    char out[1024];
    if (harness_run(mount, out, sizeof(out)) != 0)
        CL_FAIL("this test needs a tmpfs mount (run as root): %s", out);
    h->tmpfs = 1;
    init_and_serve(h, conf);
}

static void init_and_serve(cl_harness_t *h, const char *conf)
{
    snprintf(h->ws, sizeof(h->ws), "%s/ws", h->dir);
    snprintf(h->log, sizeof(h->log), "%s/clinicd.log", h->dir);
    snprintf(h->password_file, sizeof(h->password_file), "%s/password", h->dir);
    write_file(h->password_file, TEST_PASSWORD "\n", 0);

    char *init[] = {(char *)harness_clinicd(),
                    "init",
                    "--data",
                    h->data,
                    "--clinic-name",
                    "Test Clinic",
                    "--admin-password-file",
                    h->password_file,
                    "--listen",
                    "127.0.0.1:0",
                    NULL};
    run_ok(init);
    char conf_path[200];
    snprintf(conf_path, sizeof(conf_path), "%s/clinicd.conf", h->data);
    write_file(conf_path, "\n# tests\nscrypt_log2_n = 10\n", 1);
    if (conf)
        write_file(conf_path, conf, 1);
    char *ws[] = {(char *)harness_clinicd(),
                  "workstation",
                  "add",
                  "ws1",
                  "--data",
                  h->data,
                  "--out",
                  h->ws,
                  NULL};
    run_ok(ws);
    snprintf(h->ca, sizeof(h->ca), "%s/ca.crt", h->ws);
    snprintf(h->cert, sizeof(h->cert), "%s/ws1.crt", h->ws);
    snprintf(h->key, sizeof(h->key), "%s/ws1.key", h->ws);
    harness_serve(h);
}

void harness_serve(cl_harness_t *h)
{
    ASSERT_EQ(h->pid, 0);
    /* The log is appended to, so a restart's line is found after the previous run's. */
    struct stat st;
    off_t start = stat(h->log, &st) == 0 ? st.st_size : 0;
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 2);
        dup2(fd, 1);
        close(fd);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        if (h->run_as && (setgid(h->run_as) != 0 || setuid(h->run_as) != 0))
            _exit(126);
        /* A test that fails aborts; its server must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Keep listening on the port of a previous run when there was one. */
        const char *listen = h->server[0] ? h->server : "127.0.0.1:0";
        execl(harness_clinicd(), harness_clinicd(), "serve", "--data", h->data, "--listen", listen,
              (char *)NULL);
        _exit(127);
    }
    h->pid = pid;
    double deadline = harness_ms() + 15000;
    while (harness_ms() < deadline) {
        FILE *f = fopen(h->log, "r");
        if (f) {
            fseek(f, start, SEEK_SET);
            char line[1024];
            while (fgets(line, sizeof(line), f)) {
                char *p = strstr(line, "listening on ");
                if (p) {
                    p += strlen("listening on ");
                    char *end = strchr(p, ' ');
                    if (end)
                        *end = '\0';
                    snprintf(h->server, sizeof(h->server), "%s", p);
                    fclose(f);
                    return;
                }
            }
            fclose(f);
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            h->pid = 0;
            CL_FAIL("clinicd serve exited before listening; see %s", h->log);
        }
        usleep(20000);
    }
    CL_FAIL("clinicd did not start listening within 15 s; see %s", h->log);
}

static int wait_exit(pid_t pid, double timeout_ms)
{
    double deadline = harness_ms() + timeout_ms;
    int status;
    while (harness_ms() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    return -1;
}

void harness_sigterm(cl_harness_t *h)
{
    ASSERT_NE(h->pid, 0);
    ASSERT_OK(kill(h->pid, SIGTERM));
    int rc = wait_exit(h->pid, 10000);
    if (rc < 0) {
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
    }
    h->pid = 0;
    if (rc != 0)
        CL_FAIL("clinicd exited %d after SIGTERM (want 0); see %s", rc, h->log);
}

void harness_kill(cl_harness_t *h)
{
    ASSERT_NE(h->pid, 0);
    ASSERT_OK(kill(h->pid, SIGKILL));
    ASSERT_EQ(wait_exit(h->pid, 10000), 128 + SIGKILL);
    h->pid = 0;
}

void harness_stop(cl_harness_t *h)
{
    if (h->pid)
        harness_sigterm(h);
    if (h->tmpfs) {
        char *umount[] = {"/bin/umount", "-l", h->data, NULL};
        harness_run(umount, NULL, 0);
        h->tmpfs = 0;
    }
    if (getenv("CLINIC_KEEP_TEST_DIR") == NULL && h->dir[0]) {
        char *rm[] = {"/bin/rm", "-rf", h->dir, NULL};
        harness_run(rm, NULL, 0);
    }
}

/* Sets the environment `clinic` reads its settings from (workstation ws1, its own configuration
 * directory DIR/clientconf) and makes `argv`: the clinic binary, then `args` (NULL-terminated). */
static void clinic_argv(cl_harness_t *h, const char *const *args, char *argv[32])
{
    char confdir[300];
    snprintf(confdir, sizeof(confdir), "%s/clientconf", h->dir);
    setenv("CLINIC_CONFIG_DIR", confdir, 1);
    setenv("CLINIC_SERVER", h->server, 1);
    setenv("CLINIC_CA", h->ca, 1);
    setenv("CLINIC_CERT", h->cert, 1);
    setenv("CLINIC_KEY", h->key, 1);
    argv[0] = (char *)harness_clinic();
    int n = 1;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
}

int harness_run_clinic(cl_harness_t *h, char *out, size_t outlen, const char *const *args)
{
    char *argv[32];
    clinic_argv(h, args, argv);
    return harness_run(argv, out, outlen);
}

void harness_run_clinic_ok(cl_harness_t *h, char *out, size_t outlen, const char *const *args)
{
    int rc = harness_run_clinic(h, out, outlen, args);
    if (rc == 0)
        return;
    char line[512];
    size_t used = 0;
    line[0] = '\0';
    for (size_t i = 0; args[i] && used < sizeof(line); i++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, " %s", args[i]);
    CL_FAIL("clinic%s exited %d: %s", line, rc, out);
}

void harness_clinic_login(cl_harness_t *h, const char *username)
{
    char out[4096];
    HARNESS_CLINIC_OK(h, out, "login", "--user", username, "--password-file", h->password_file);
}

pid_t harness_spawn_clinic(cl_harness_t *h, const char *out_path, const char *const *args)
{
    char *argv[32];
    clinic_argv(h, args, argv);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        if (freopen(out_path, "w", stdout) == NULL)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

int harness_wait_child(pid_t pid, int timeout_ms, const char *what)
{
    int status;
    double deadline = harness_ms() + timeout_ms;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && harness_ms() < deadline)
        usleep(50000);
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        CL_FAIL("%s did not finish within %d ms", what, timeout_ms);
    }
    ASSERT_EQ(r, pid);
    ASSERT(WIFEXITED(status));
    return WEXITSTATUS(status);
}

void harness_add_user(cl_harness_t *h, const char *username, const char *roles)
{
    char *argv[] = {(char *)harness_clinicd(),
                    "user",
                    "add",
                    (char *)username,
                    "--data",
                    h->data,
                    "--roles",
                    (char *)roles,
                    "--password-file",
                    h->password_file,
                    NULL};
    run_ok(argv);
}

cl_client_config_t harness_config(cl_harness_t *h, int with_cert)
{
    cl_client_config_t cfg = {0};
    cfg.server = h->server;
    cfg.ca_file = h->ca;
    cfg.cert_file = with_cert ? h->cert : NULL;
    cfg.key_file = with_cert ? h->key : NULL;
    cfg.client_name = "clinic-tests";
    cfg.timeout_ms = 10000;
    return cfg;
}

cl_sync_t *harness_connect(cl_harness_t *h)
{
    cl_client_config_t cfg = harness_config(h, 1);
    cl_sync_t *s = NULL;
    char err[256];
    int rc = cl_sync_connect(&cfg, &s, err, sizeof(err));
    if (rc != 0)
        CL_FAIL("connect to %s: %s", h->server, err);
    return s;
}

cl_sync_t *harness_login(cl_harness_t *h, const char *username)
{
    cl_sync_t *s = harness_connect(h);
    const Clinic__LoginReply *reply = NULL;
    char err[256];
    int rc = cl_sync_login(s, username, TEST_PASSWORD, &reply, err, sizeof(err));
    if (rc != 0)
        CL_FAIL("login as %s: %s", username, err);
    ASSERT_STR_EQ(reply->username, username);
    return s;
}

int harness_call(cl_sync_t *s, const Clinic__Request *req, const Clinic__Response **resp)
{
    char err[256];
    *resp = NULL;
    return cl_sync_call(s, req, resp, err, sizeof(err));
}

/* The name of request kind `kind` ("staff_show"), as its field in Request is named. */
static const char *kind_name(Clinic__Request__BodyCase kind)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&clinic__request__descriptor, (unsigned)kind);
    return f ? f->name : "(no such kind)";
}

/* Fails the test when `rc` is not 0, naming the request kind and the server's message. */
static void assert_sent(Clinic__Request__BodyCase kind, int rc, const Clinic__Response *resp)
{
    if (rc != 0)
        CL_FAIL("request %s (%d): %s: %s", kind_name(kind), (int)kind, cl_status_name(rc),
                resp && resp->status ? resp->status->message : "(no reply)");
}

const Clinic__Response *harness_call_ok(cl_sync_t *s, const Clinic__Request *req)
{
    const Clinic__Response *resp;
    int rc = harness_call(s, req, &resp);
    assert_sent(req->body_case, rc, resp);
    return resp;
}

int harness_send(cl_sync_t *s, Clinic__Request__BodyCase kind, const void *body,
                 const Clinic__Response **resp)
{
    Clinic__Request req;
    if (cl_request_make(&req, kind, body) != 0)
        CL_FAIL("no request of kind %d", (int)kind);
    return harness_call(s, &req, resp);
}

const Clinic__Response *harness_send_ok(cl_sync_t *s, Clinic__Request__BodyCase kind,
                                        const void *body)
{
    const Clinic__Response *resp;
    int rc = harness_send(s, kind, body, &resp);
    assert_sent(kind, rc, resp);
    if (resp->result_case != (Clinic__Response__ResultCase)kind)
        CL_FAIL("request %s (%d): a reply of kind %d", kind_name(kind), (int)kind,
                (int)resp->result_case);
    return resp;
}

int harness_subscribe(cl_sync_t *s, const char *topic)
{
    char *topics[] = {(char *)topic};
    Clinic__SubscribeRequest sub = CLINIC__SUBSCRIBE_REQUEST__INIT;
    sub.n_topics = 1;
    sub.topics = topics;
    const Clinic__Response *resp;
    return harness_send(s, CLINIC__REQUEST__BODY_SUBSCRIBE, &sub, &resp);
}

const Clinic__Event *harness_next_event(cl_sync_t *s, int timeout_ms)
{
    const Clinic__Event *ev = NULL;
    char err[256];
    int rc = cl_sync_next_event(s, timeout_ms, &ev, err, sizeof(err));
    if (rc != 0)
        CL_FAIL("no event within %d ms: %s: %s", timeout_ms, cl_status_name(rc), err);
    return ev;
}

void harness_expect_no_event(cl_sync_t *s, int timeout_ms)
{
    const Clinic__Event *ev = NULL;
    char err[256];
    int rc = cl_sync_next_event(s, timeout_ms, &ev, err, sizeof(err));
    if (rc == 0)
        CL_FAIL("an event on topic %s within %d ms, want none", ev->topic, timeout_ms);
    ASSERT_EQ(rc, CL_ETIMEOUT);
}

void harness_async_login(cl_client_t *c, const char *username, cl_client_reply_fn cb, void *arg)
{
    Clinic__LoginRequest l = CLINIC__LOGIN_REQUEST__INIT;
    l.username = (char *)username;
    l.password = TEST_PASSWORD;
    Clinic__Request req;
    ASSERT_OK(cl_request_make(&req, CLINIC__REQUEST__BODY_LOGIN, &l));
    ASSERT_OK(cl_client_call(c, &req, cb, arg));
}

void harness_assert_audit_verifies(cl_harness_t *h)
{
    char out[4096];
    char *verify[] = {(char *)harness_clinicd(), "audit", "verify", "--data", h->data, NULL};
    int rc = harness_run(verify, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("audit verify failed (%d): %s", rc, out);
    ASSERT_STR_CONTAINS(out, "intact");
}

long long harness_sql(cl_harness_t *h, const char *sql)
{
    char db[256], out[2048];
    snprintf(db, sizeof(db), "%s/clinic.db", h->data);
    const char *shell = access("/usr/bin/sqlite3", X_OK) == 0 ? "/usr/bin/sqlite3" : "/bin/sqlite3";
    char *argv[] = {(char *)shell, "-cmd", ".timeout 10000", db, (char *)sql, NULL};
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("sqlite3 %s: %d: %s", sql, rc, out);
    return strtoll(out, NULL, 10);
}

void harness_date_ahead(int days, char out[11])
{
    setenv("TZ", "America/Chicago", 1);
    tzset();
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

void harness_set_immutable(cl_harness_t *h, int on)
{
    char db[300], wal[300], out[1024];
    snprintf(db, sizeof(db), "%s/clinic.db", h->data);
    snprintf(wal, sizeof(wal), "%s/clinic.db-wal", h->data);
    char *argv[] = {"/usr/bin/chattr", on ? "+i" : "-i", db, wal, NULL};
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0)
        CL_FAIL("chattr %s failed (needs root on ext4): %s", on ? "+i" : "-i", out);
}

int harness_wait_log(cl_harness_t *h, const char *needle, int timeout_ms)
{
    double deadline = harness_ms() + timeout_ms;
    while (!harness_log_contains(h, needle)) {
        if (harness_ms() >= deadline)
            return 0;
        usleep(20000);
    }
    return 1;
}

int harness_log_contains(cl_harness_t *h, const char *needle)
{
    FILE *f = fopen(h->log, "r");
    if (f == NULL)
        return 0;
    char line[2048];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* --- raw TLS ------------------------------------------------------------------------------ */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include "frame.h"

int harness_raw_open(cl_harness_t *h, harness_raw_t *r, int with_cert, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    char host[64];
    snprintf(host, sizeof(host), "%s", h->server);
    char *colon = strrchr(host, ':');
    ASSERT_NOT_NULL(colon);
    *colon = '\0';
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    ASSERT_EQ(inet_pton(AF_INET, host, &sa.sin_addr), 1);
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(r->fd >= 0);
    int one = 1;
    setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(err, errlen, "connect: %s", strerror(errno));
        return -1;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    ASSERT_NOT_NULL(ctx);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, h->ca, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    static const unsigned char alpn[] = "\x08"
                                        "clinic/1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    if (with_cert) {
        ASSERT_EQ(SSL_CTX_use_certificate_chain_file(ctx, h->cert), 1);
        ASSERT_EQ(SSL_CTX_use_PrivateKey_file(ctx, h->key, SSL_FILETYPE_PEM), 1);
    }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, r->fd);
    SSL_set1_host(ssl, "localhost");
    r->ctx = ctx;
    r->ssl = ssl;
    if (SSL_connect(ssl) != 1) {
        snprintf(err, errlen, "TLS: %s", ERR_reason_error_string(ERR_get_error()));
        ERR_clear_error();
        return -1;
    }
    return 0;
}

int harness_raw_send(harness_raw_t *r, const void *data, size_t len)
{
    size_t written = 0;
    ERR_clear_error();
    if (SSL_write_ex(r->ssl, data, len, &written) != 1 || written != len) {
        ERR_clear_error();
        return -1;
    }
    return 0;
}

int harness_raw_request(harness_raw_t *r, uint64_t id, const Clinic__Request *req)
{
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = id;
    env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
    env.request = (Clinic__Request *)req;
    cl_buf_t b = {0};
    cl_frame_pack(&b, &env);
    int rc = harness_raw_send(r, cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_free(&b);
    return rc;
}

/* Reads exactly `n` bytes; 1 done, 0 closed, -1 timed out. */
static int read_exact(harness_raw_t *r, uint8_t *p, size_t n, double deadline)
{
    while (n > 0) {
        if (SSL_pending(r->ssl) == 0) {
            double left = deadline - harness_ms();
            if (left <= 0)
                return -1;
            struct pollfd pfd = {r->fd, POLLIN, 0};
            int pr = poll(&pfd, 1, (int)left + 1);
            if (pr == 0)
                return -1;
        }
        size_t got = 0;
        ERR_clear_error();
        if (SSL_read_ex(r->ssl, p, n, &got) != 1) {
            int e = SSL_get_error(r->ssl, 0);
            ERR_clear_error();
            if (e == SSL_ERROR_WANT_READ)
                continue;
            return 0;
        }
        p += got;
        n -= got;
    }
    return 1;
}

Clinic__Envelope *harness_raw_recv(harness_raw_t *r, int timeout_ms, int *closed)
{
    double deadline = harness_ms() + timeout_ms;
    uint8_t hdr[4];
    *closed = 0;
    int rc = read_exact(r, hdr, 4, deadline);
    if (rc <= 0) {
        *closed = rc == 0;
        return NULL;
    }
    uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    ASSERT(len > 0 && len <= (1u << 24));
    uint8_t *body = malloc(len);
    rc = read_exact(r, body, len, deadline);
    if (rc <= 0) {
        free(body);
        *closed = rc == 0;
        return NULL;
    }
    Clinic__Envelope *env = clinic__envelope__unpack(NULL, len, body);
    free(body);
    ASSERT_NOT_NULL(env);
    return env;
}

int harness_raw_closed_within(harness_raw_t *r, int timeout_ms)
{
    double deadline = harness_ms() + timeout_ms;
    for (;;) {
        double left = deadline - harness_ms();
        if (left <= 0)
            return 0;
        int closed;
        Clinic__Envelope *env = harness_raw_recv(r, (int)left, &closed);
        if (env == NULL)
            return closed;
        clinic__envelope__free_unpacked(env, NULL);
    }
}

void harness_raw_close(harness_raw_t *r)
{
    if (r->ssl)
        SSL_free(r->ssl);
    if (r->ctx)
        SSL_CTX_free(r->ctx);
    if (r->fd >= 0)
        close(r->fd);
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}
