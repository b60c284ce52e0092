/* The network side of clinicd: the listener, one cl_sconn_t per client, the limits (connections,
 * requests in flight, output, timeouts, login rate) and the fan-out of committed changes to
 * subscribers. It never touches SQLite; requests go to the store through dispatch.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs.h"
#include "clock.h"
#include "frame.h"
#include "handlers.h" /* issue 5, staff part: cl_staff_expiry_tick */
#include "log.h"
#include "mem.h"
#include "policy.h"
#include "server_int.h"
#include "status.h"
#include "topics.h"

enum {
    SWEEP_MS = 1000,
    LISTEN_BACKLOG = 1024,
    MAX_OVER_LIMIT = 64,       /* connections past the limit being told so at once */
    PAUSE_OUTPUT = 1024 * 1024 /* queued output above which we stop reading requests */
};

uint64_t cl_net_now_ms(cl_server_t *srv)
{
    return uv_now(srv->loop);
}

static void on_frame(cl_conn_t *c, const uint8_t *payload, size_t len)
{
    cl_sconn_t *sc = cl_container_of(c, cl_sconn_t, conn);
    cl_dispatch_frame(sc, payload, len);
}

static void on_bad_frame(cl_conn_t *c, uint32_t len)
{
    cl_sconn_t *sc = cl_container_of(c, cl_sconn_t, conn);
    char reason[128];
    if (len == 0)
        snprintf(reason, sizeof(reason), "frame length 0: a frame carries 1 to %zu bytes",
                 c->max_frame);
    else
        snprintf(reason, sizeof(reason), "frame length %u is over the limit of %zu bytes", len,
                 c->max_frame);
    cl_net_protocol_error(sc, reason);
}

static void on_open(cl_conn_t *c)
{
    cl_sconn_t *sc = cl_container_of(c, cl_sconn_t, conn);
    cl_tls_peer_name(&c->tls, sc->who.workstation, sizeof(sc->who.workstation));
    cl_debug("%s: TLS up, workstation \"%s\"", sc->who.address, sc->who.workstation);
    if (sc->over_limit) {
        char reason[128];
        snprintf(reason, sizeof(reason), "the server is at its limit of %u connections",
                 sc->srv->cfg.max_connections);
        Clinic__Status st = CLINIC__STATUS__INIT;
        st.code = CLINIC__CODE__RESOURCE_EXHAUSTED;
        st.message = reason;
        Clinic__Response resp = CLINIC__RESPONSE__INIT;
        resp.status = &st;
        Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
        env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
        env.response = &resp;
        cl_net_send(sc, &env);
        cl_conn_close(c, CL_EEXHAUSTED, reason, 1);
    }
}

static void on_drain(cl_conn_t *c)
{
    cl_sconn_t *sc = cl_container_of(c, cl_sconn_t, conn);
    if (sc->in_flight < sc->srv->cfg.max_in_flight && !sc->srv->draining)
        cl_conn_resume(c);
}

static void free_sconn(cl_sconn_t *sc)
{
    free(sc);
}

static void on_close(cl_conn_t *c, int status, const char *reason)
{
    cl_sconn_t *sc = cl_container_of(c, cl_sconn_t, conn);
    cl_server_t *srv = sc->srv;
    if (status == 0 || status == CL_EEOF)
        cl_info("%s: closed (%s)%s%s", sc->who.address, reason[0] ? reason : "done",
                sc->who.username[0] ? " user " : "", sc->who.username);
    else
        cl_warn("%s: closed: %s: %s", sc->who.address, cl_status_name(status), reason);
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        srv->conns = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
    if (sc->over_limit)
        srv->nover_limit--;
    else
        srv->nconns--;
    sc->closed = 1;
    if (sc->in_flight == 0)
        free_sconn(sc);
}

static const cl_conn_ops_t sconn_ops = {
    .on_open = on_open,
    .on_frame = on_frame,
    .on_bad_frame = on_bad_frame,
    .on_drain = on_drain,
    .on_close = on_close,
};

void cl_net_job_done(cl_sconn_t *sc)
{
    sc->in_flight--;
    if (sc->closed) {
        if (sc->in_flight == 0)
            free_sconn(sc);
        return;
    }
    if (sc->in_flight < sc->srv->cfg.max_in_flight && cl_conn_pending(&sc->conn) < PAUSE_OUTPUT &&
        !sc->srv->draining)
        cl_conn_resume(&sc->conn);
}

void cl_net_send(cl_sconn_t *sc, const Clinic__Envelope *env)
{
    if (sc->closed || sc->conn.closing)
        return;
    /* Pack straight into a stack buffer when small; the engine copies it into TLS records. */
    uint8_t small[4096];
    size_t size = clinic__envelope__get_packed_size(env);
    uint8_t *p =
        size + CL_FRAME_HEADER <= sizeof(small) ? small : cl_malloc(size + CL_FRAME_HEADER);
    cl_frame_header(p, (uint32_t)size);
    clinic__envelope__pack(env, p + CL_FRAME_HEADER);
    cl_conn_write(&sc->conn, p, size + CL_FRAME_HEADER);
    if (p != small)
        free(p);
    size_t pending = cl_conn_pending(&sc->conn);
    if (pending > (size_t)sc->srv->cfg.max_output_kib * 1024) {
        char reason[128];
        snprintf(reason, sizeof(reason),
                 "the client is not reading: %zu bytes of replies and events waiting", pending);
        cl_conn_close(&sc->conn, CL_EEXHAUSTED, reason, 0);
    } else if (pending > PAUSE_OUTPUT) {
        cl_conn_pause(&sc->conn); /* read no more requests until it catches up */
    }
}

void cl_net_protocol_error(cl_sconn_t *sc, const char *reason)
{
    Clinic__Status st = CLINIC__STATUS__INIT;
    st.code = CLINIC__CODE__INVALID_ARGUMENT;
    st.message = (char *)reason;
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.status = &st;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = 0;
    env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
    env.response = &resp;
    cl_net_send(sc, &env);
    cl_conn_close(&sc->conn, CL_EINVAL, reason, 1);
}

void cl_net_set_identity(cl_sconn_t *sc, const cl_identity_t *who)
{
    cl_identity_t next = *who;
    memcpy(next.workstation, sc->who.workstation, sizeof(next.workstation));
    memcpy(next.address, sc->who.address, sizeof(next.address));
    sc->who = next;
    sc->subs = 0;
    sc->sub_from_seq = 0;
}

void cl_net_end_session(cl_sconn_t *sc)
{
    static const cl_identity_t nobody;
    cl_net_set_identity(sc, &nobody);
}

void cl_net_fan_out(cl_server_t *srv, const cl_change_t *ch)
{
    int topic = cl_topic_find(ch->topic);
    if (topic < 0)
        return;
    uint32_t bit = 1u << topic;
    cl_buf_t frame = {0};
    for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next) {
        if (!(sc->subs & bit) || sc->who.user_id == 0 || ch->seq <= sc->sub_from_seq)
            continue;
        if (ch->scope_user != 0 && ch->scope_user != sc->who.user_id)
            continue;
        if (frame.len == 0) {
            /* Encode once, write the same bytes to every subscriber. */
            Clinic__Event ev = CLINIC__EVENT__INIT;
            ev.seq = ch->seq;
            ev.topic = (char *)ch->topic;
            ev.entity = (char *)ch->entity;
            ev.entity_id = ch->entity_id;
            ev.op = ch->op;
            ev.time = ch->time;
            Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
            env.body_case = CLINIC__ENVELOPE__BODY_EVENT;
            env.event = &ev;
            cl_frame_pack(&frame, &env);
        }
        cl_conn_write(&sc->conn, cl_buf_head(&frame), cl_buf_size(&frame));
        if (cl_conn_pending(&sc->conn) > (size_t)srv->cfg.max_output_kib * 1024)
            cl_conn_close(&sc->conn, CL_EEXHAUSTED, "the client is not reading its events", 0);
    }
    cl_buf_free(&frame);
}

/* A fresh SSL_CTX when the CRL file has changed since the last one was made, so that a
 * workstation revoked by `clinicd workstation revoke` is refused at its next handshake. */
static void refresh_tls(cl_server_t *srv)
{
    char crl[600];
    cl_certs_path(srv->data_dir, "crl.pem", crl, sizeof(crl));
    struct stat st;
    if (stat(crl, &st) != 0)
        memset(&st, 0, sizeof(st));
    if (srv->tls_ctx && st.st_mtim.tv_sec == srv->crl_mtime.tv_sec &&
        st.st_mtim.tv_nsec == srv->crl_mtime.tv_nsec && st.st_size == srv->crl_size)
        return;
    char cert[600], key[600], ca[600];
    cl_certs_path(srv->data_dir, "server.crt", cert, sizeof(cert));
    cl_certs_path(srv->data_dir, "server.key", key, sizeof(key));
    cl_certs_path(srv->data_dir, "ca.crt", ca, sizeof(ca));
    SSL_CTX *ctx = cl_tls_server_ctx(cert, key, ca, srv->cfg.require_client_cert, crl);
    if (ctx == NULL) {
        if (srv->tls_ctx == NULL) {
            cl_error("cannot serve: the server's certificates or the CRL did not load");
            return;
        }
        /* Remembered as seen, so that the next connections do not load and log it again: the
         * previous settings stay until crl.pem changes once more. */
        cl_error("keeping the previous TLS settings: the new CRL or certificates did not load");
        srv->crl_mtime = st.st_mtim;
        srv->crl_size = st.st_size;
        return;
    }
    if (srv->tls_ctx) {
        cl_info("certificate revocation list changed: reloaded");
        SSL_CTX_free(srv->tls_ctx); /* sessions in progress hold their own reference */
    }
    srv->tls_ctx = ctx;
    srv->crl_mtime = st.st_mtim;
    srv->crl_size = st.st_size;
}

static void on_connection(uv_stream_t *server, int status)
{
    cl_server_t *srv = cl_container_of((uv_tcp_t *)server, cl_server_t, listener);
    if (status < 0) {
        cl_error("accept: %s", uv_strerror(status));
        return;
    }
    refresh_tls(srv);
    int over = srv->nconns >= srv->cfg.max_connections;
    cl_sconn_t *sc = cl_calloc(1, sizeof(*sc));
    sc->srv = srv;
    if (cl_conn_init(&sc->conn, srv->loop, srv->tls_ctx, 1, NULL, &sconn_ops, srv->cfg.max_frame) !=
        0) {
        free(sc);
        return;
    }
    sc->conn.handshake_timeout_ms = (uint64_t)srv->cfg.handshake_timeout_s * 1000;
    cl_conn_set_batch(&sc->conn, &srv->batch);
    sc->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = sc;
    srv->conns = sc;
    if (over) {
        sc->over_limit = 1;
        srv->nover_limit++;
    } else {
        srv->nconns++;
    }
    if (uv_accept(server, (uv_stream_t *)&sc->conn.tcp) != 0) {
        cl_conn_close(&sc->conn, CL_EIO, "accept failed", 0);
        return;
    }
    cl_conn_peer(&sc->conn, sc->who.address, sizeof(sc->who.address));
    sc->last_input_ms = sc->last_activity_ms = cl_net_now_ms(srv);
    if (over && srv->nover_limit > MAX_OVER_LIMIT) {
        cl_conn_close(&sc->conn, CL_EEXHAUSTED, "over the connection limit", 0);
        return;
    }
    cl_info("%s: connected%s", sc->who.address, over ? " (over the connection limit)" : "");
    cl_conn_start(&sc->conn);
}

/* Once a second: idle logoff, stalled frames, idle connections, and the end of a drain. */
static void on_sweep(uv_timer_t *t)
{
    cl_server_t *srv = cl_container_of(t, cl_server_t, sweep_timer);
    uint64_t now = cl_net_now_ms(srv);
    uint64_t idle_ms = (uint64_t)cl_policy.idle_logoff_s * 1000;
    uint64_t stall_ms = (uint64_t)srv->cfg.handshake_timeout_s * 1000;
    uint64_t conn_idle_ms = (uint64_t)srv->cfg.connection_idle_s * 1000;
    cl_sconn_t *next;
    for (cl_sconn_t *sc = srv->conns; sc; sc = next) {
        next = sc->next;
        if (sc->conn.closing)
            continue;
        if (sc->conn.bytes_in != sc->seen_bytes_in) {
            sc->seen_bytes_in = sc->conn.bytes_in;
            sc->last_input_ms = now;
        }
        if (sc->who.user_id && sc->in_flight == 0 && now - sc->last_activity_ms >= idle_ms) {
            cl_info("%s: user %s logged off after %lld idle seconds", sc->who.address,
                    sc->who.username, (long long)cl_policy.idle_logoff_s);
            cl_dispatch_expire(sc);
            continue;
        }
        if (cl_buf_size(&sc->conn.in) > 0 && now - sc->last_input_ms >= stall_ms) {
            cl_conn_close(&sc->conn, CL_ETIMEOUT, "half a frame, then nothing: timed out", 0);
            continue;
        }
        if (sc->who.user_id == 0 && sc->in_flight == 0 && now - sc->last_input_ms >= conn_idle_ms)
            cl_conn_close(&sc->conn, CL_ETIMEOUT, "idle without a login", 1);
    }
    /* Issue 5, staff part: the hourly check for credentials entering their 30-day warning
     * window, a store job of the server's own (owner NULL; domain/staff_credentials.c). */
    if (!srv->draining)
        cl_staff_expiry_tick(srv->store, now);
    if (srv->draining) {
        int busy = 0;
        for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next)
            busy |= sc->in_flight > 0 || sc->conn.writing;
        if (!busy || now >= srv->drain_deadline_ms) {
            for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next)
                cl_conn_close(&sc->conn, 0, "the server is shutting down", 1);
            uv_timer_stop(&srv->sweep_timer);
            cl_serve_stopped(srv);
        }
    }
}

int cl_net_login_allowed(cl_sconn_t *sc)
{
    cl_server_t *srv = sc->srv;
    /* The address without its port. */
    char host[CL_ADDR_MAX];
    snprintf(host, sizeof(host), "%s", sc->who.address);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    uint8_t digest[32];
    cl_sha256(host, strlen(host), digest);
    uint64_t key;
    memcpy(&key, digest, sizeof(key));
    cl_rate_slot_t *slot = &srv->login_rate[key % CL_RATE_SLOTS];
    uint64_t now = cl_net_now_ms(srv);
    if (slot->key != key || now - slot->window_start_ms >= 60000) {
        slot->key = key;
        slot->window_start_ms = now;
        slot->count = 0;
    }
    return ++slot->count <= srv->cfg.login_attempts_per_minute;
}

static void on_flush_prepare(uv_prepare_t *p)
{
    cl_net_flush(cl_container_of(p, cl_server_t, flush_prepare));
}

int cl_net_listen(cl_server_t *srv)
{
    struct sockaddr_storage ss;
    if (cl_config_listen_addr(srv->cfg.listen, &ss) != 0) {
        cl_error("listen address \"%s\" is not IP:PORT", srv->cfg.listen);
        return CL_EINVAL;
    }
    refresh_tls(srv);
    if (srv->tls_ctx == NULL)
        return CL_ETLS;
    uv_tcp_init(srv->loop, &srv->listener);
    int rc = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, LISTEN_BACKLOG, on_connection);
    if (rc != 0) {
        cl_error("cannot listen on %s: %s", srv->cfg.listen, uv_strerror(rc));
        uv_close((uv_handle_t *)&srv->listener, NULL);
        return CL_EIO;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    char ip[64] = "";
    int port = 0;
    if (bound.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        snprintf(srv->listen_addr, sizeof(srv->listen_addr), "%s:%d", ip, port);
    } else {
        uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        snprintf(srv->listen_addr, sizeof(srv->listen_addr), "[%s]:%d", ip, port);
    }
    uv_timer_init(srv->loop, &srv->sweep_timer);
    uv_timer_start(&srv->sweep_timer, on_sweep, SWEEP_MS, SWEEP_MS);
    /* Replies and events written during a loop turn (a group commit's replies and its changes'
     * fan-out, a pipelined burst) leave as one TLS record and one write per connection, just
     * before the loop waits again. Unreferenced: it never keeps the loop alive by itself. */
    uv_prepare_init(srv->loop, &srv->flush_prepare);
    uv_prepare_start(&srv->flush_prepare, on_flush_prepare);
    uv_unref((uv_handle_t *)&srv->flush_prepare);
    return 0;
}

void cl_net_submit(cl_server_t *srv, cl_job_t *job)
{
    job->next = NULL;
    if (srv->store_stopping) {
        cl_store_submit(srv->store, job);
        return;
    }
    if (srv->jobs_tail)
        srv->jobs_tail->next = job;
    else
        srv->jobs_head = job;
    srv->jobs_tail = job;
}

void cl_net_flush(cl_server_t *srv)
{
    if (srv->jobs_head && srv->store) {
        cl_store_submit_list(srv->store, srv->jobs_head, srv->jobs_tail);
        srv->jobs_head = srv->jobs_tail = NULL;
    }
    cl_conn_batch_flush(&srv->batch);
}

void cl_net_drain(cl_server_t *srv)
{
    if (srv->draining)
        return;
    srv->draining = 1;
    srv->drain_deadline_ms = cl_net_now_ms(srv) + 5000;
    cl_info("shutting down: no new connections or requests; finishing %u connections", srv->nconns);
    uv_close((uv_handle_t *)&srv->listener, NULL);
    for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next)
        cl_conn_pause(&sc->conn);
    /* The sweep finishes the drain; make it come soon. */
    uv_timer_start(&srv->sweep_timer, on_sweep, 50, 50);
}
