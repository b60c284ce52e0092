/* clinic-bench's workloads, each closed-loop (one request in flight per connection): the
 * request loops (ping, whoami, msg-send), connect (a new TLS connection and a Resume per
 * iteration), idle (hold the connections) and fanout (one paced sender, N subscribers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mem.h"
#include "status.h"

static void on_time_up(uv_timer_t *t)
{
    bench_t *b = cl_container_of(t, bench_t, clock);
    b->stopping = 1;
    b->t_stop = uv_hrtime();
}

static int stopped_and_drained(bench_t *b)
{
    return b->stopping && b->in_flight == 0;
}

/* Starts the clock: `seconds` from now the run stops issuing requests. */
void bench_start_clock(bench_t *b)
{
    b->running = 1;
    b->stopping = 0;
    b->t_start = uv_hrtime();
    uv_update_time(b->loop);
    uv_timer_start(&b->clock, on_time_up, (uint64_t)b->seconds * 1000, 0);
}

/* Waits for the clock, then for what is still in flight. */
void bench_wait_for_end(bench_t *b)
{
    if (bench_run_until(b, stopped_and_drained, (uint64_t)b->seconds * 1000 + BENCH_DRAIN_MS) != 0)
        bench_note_error(b, "the end of the run", "requests still in flight after the drain");
    uv_timer_stop(&b->clock);
    if (b->t_stop == 0)
        b->t_stop = uv_hrtime();
    b->running = 0;
}

/* --- one request in flight per connection: every closed-loop workload's bookkeeping -------- */

int bench_call(bench_conn_t *bc, const Clinic__Request *req, cl_client_reply_fn cb)
{
    bench_t *b = bc->b;
    bc->busy = 1;
    b->in_flight++;
    bc->t0 = uv_hrtime();
    if (cl_client_call(bc->client, req, cb, bc) != 0) {
        bc->busy = 0;
        b->in_flight--;
        return CL_EEOF;
    }
    return 0;
}

int bench_send(bench_conn_t *bc, Clinic__Request__BodyCase kind, const void *body,
               cl_client_reply_fn cb)
{
    Clinic__Request req;
    bench_request_make(&req, kind, body);
    return bench_call(bc, &req, cb);
}

uint64_t bench_reply_came(bench_conn_t *bc)
{
    uint64_t now = uv_hrtime();
    bc->busy = 0;
    bc->b->in_flight--;
    return now;
}

void bench_count_done(bench_conn_t *bc, uint64_t now)
{
    bench_t *b = bc->b;
    b->requests++;
    bench_lat_add(&b->lat, now - bc->t0);
    b->t_last = now;
}

void bench_count_error(bench_t *b, const char *what, int status, const Clinic__Response *resp)
{
    b->errors++;
    bench_note_error(b, what, bench_reply_reason(status, resp));
}

/* --- ping, whoami, msg-send: one request after another on every connection ------------------ */

static void issue(bench_conn_t *bc);

static void on_reply(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    uint64_t now = bench_reply_came(bc);
    if (status == 0)
        bench_count_done(bc, now);
    else
        bench_count_error(bc->b, bc->b->workload_name, status, resp);
    if (resp != NULL)
        issue(bc);
}

/* Sends the workload's one request, b->req, made once for the run. */
static void issue(bench_conn_t *bc)
{
    bench_t *b = bc->b;
    if (b->stopping || bc->client == NULL || !bc->authed)
        return;
    bench_call(bc, &b->req, on_reply);
}

void bench_run_closed_loop(bench_t *b)
{
    bench_start_clock(b);
    for (size_t i = 0; i < b->connections; i++)
        issue(&b->conns[i]);
    bench_wait_for_end(b);
}

/* --- connect: TLS 1.3 handshake, Hello, Resume, close; again ------------------------------- */

static void connect_next(bench_conn_t *bc);

static void on_connect_resumed(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    uint64_t now = uv_hrtime();
    if (!bc->counted) {
        bc->counted = 1;
        if (status == 0) {
            bench_count_done(bc, now);
            b->tls_resumed += cl_client_tls_resumed(c) != 0;
        } else {
            bench_count_error(b, "connect", status, resp);
        }
    }
    if (resp != NULL)
        cl_client_close(c);
}

static void on_connect_ready(bench_conn_t *bc)
{
    if (bench_resume(bc, on_connect_resumed) != 0)
        cl_client_close(bc->client);
}

static void on_connect_end(bench_conn_t *bc, int status, const char *reason)
{
    (void)status;
    bench_t *b = bc->b;
    if (!bc->counted) {
        bc->counted = 1;
        b->errors++;
        bench_note_error(b, "connect", reason);
    }
    b->in_flight--;
    if (!b->closing_all)
        connect_next(bc);
}

static void connect_next(bench_conn_t *bc)
{
    bench_t *b = bc->b;
    if (b->stopping)
        return;
    bc->counted = 0;
    bc->on_ready = on_connect_ready;
    bc->on_end = on_connect_end;
    bc->t0 = uv_hrtime();
    b->in_flight++;
    if (bench_conn_start(b, bc) != 0) {
        /* No TLS context: this slot stops; the others go on. */
        b->in_flight--;
        b->errors++;
        bench_note_error(b, "connect", "cannot make a TLS context");
    }
}

void bench_run_connect(bench_t *b)
{
    bench_start_clock(b);
    for (size_t i = 0; i < b->connections; i++) {
        b->conns[i].b = b;
        connect_next(&b->conns[i]);
    }
    bench_wait_for_end(b);
}

/* --- idle: hold the authenticated connections ---------------------------------------------- */

static int time_is_up(bench_t *b)
{
    return b->stopping;
}

void bench_run_idle(bench_t *b)
{
    bench_start_clock(b);
    bench_run_until(b, time_is_up, (uint64_t)b->seconds * 1000 + BENCH_DRAIN_MS);
    uv_timer_stop(&b->clock);
    b->running = 0;
}

/* --- fanout: one sender at a steady pace, N subscribers to "inbox" -------------------------- */

/* When message `id` was sent: from the sender's record, or, for the message whose reply has
 * not come back yet (its event may overtake the reply), the send in flight. Returns 0 for a
 * message that is not this run's. */
static int sent_time(bench_t *b, uint64_t id, uint64_t *sent_ns)
{
    size_t lo = 0, hi = b->nsent;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->sent[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->nsent && b->sent[lo].id == id) {
        *sent_ns = b->sent[lo].sent_ns;
        return 1;
    }
    if (b->sender.busy && lo == b->nsent) {
        *sent_ns = b->sender.t0;
        return 1;
    }
    return 0;
}

static void on_fanout_event(cl_client_t *c, const Clinic__Event *ev, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    uint64_t now = uv_hrtime(), sent_ns;
    if (ev->session_expired) {
        b->errors++;
        bench_note_error(b, "fanout", "the server ended a subscriber's session");
        return;
    }
    if (!b->running || ev->op != CLINIC__CHANGE_OP__CREATED || strcmp(ev->entity, "message") != 0)
        return;
    if (!sent_time(b, ev->entity_id, &sent_ns))
        return;
    if (ev->entity_id <= bc->last_id) {
        b->duplicates++;
        return;
    }
    bc->last_id = ev->entity_id;
    b->deliveries++;
    bench_lat_add(&b->lat, now - sent_ns);
}

static void on_sent(cl_client_t *c, int status, const Clinic__Response *resp, void *arg)
{
    (void)c;
    bench_conn_t *bc = arg;
    bench_t *b = bc->b;
    bench_reply_came(bc);
    if (status != 0 || resp->result_case != CLINIC__RESPONSE__RESULT_MESSAGE_SEND ||
        resp->message_send->message == NULL) {
        bench_count_error(b, "fanout: sending", status ? status : CL_EINTERNAL, resp);
        return;
    }
    if (b->nsent == b->sent_cap) {
        b->sent_cap = b->sent_cap ? b->sent_cap * 2 : 1024;
        b->sent = cl_realloc(b->sent, b->sent_cap * sizeof(*b->sent));
    }
    b->sent[b->nsent++] = (bench_sent_t){.id = resp->message_send->message->id, .sent_ns = bc->t0};
    b->requests++;
    b->t_last = uv_hrtime();
    bench_lat_add(&b->send_lat, b->t_last - bc->t0);
}

static void on_pace(uv_timer_t *t)
{
    bench_t *b = cl_container_of(t, bench_t, clock);
    uint64_t now = uv_hrtime();
    if (now - b->t_start >= (uint64_t)b->seconds * 1000000000u) {
        b->stopping = 1;
        b->t_stop = now;
        uv_timer_stop(t);
        return;
    }
    bench_conn_t *s = &b->sender;
    if (s->busy || s->client == NULL) {
        b->skipped++; /* the previous message is still on its way: one at a time */
        return;
    }
    bench_call(s, &b->send_req, on_sent);
}

static int every_delivery_in(bench_t *b)
{
    return b->stopping && b->in_flight == 0 && b->deliveries >= b->nsent * b->set_up;
}

void bench_run_fanout(bench_t *b)
{
    for (size_t i = 0; i < b->connections; i++)
        if (b->conns[i].client)
            cl_client_on_event(b->conns[i].client, on_fanout_event, &b->conns[i]);
    b->running = 1;
    b->stopping = 0;
    b->t_start = uv_hrtime();
    uv_update_time(b->loop);
    uint64_t every = 1000 / (b->rate ? b->rate : 1);
    uv_timer_start(&b->clock, on_pace, every ? every : 1, every ? every : 1);
    bench_wait_for_end(b);
    /* The last message's events may still be on their way to some subscribers. */
    b->running = 1;
    bench_run_until(b, every_delivery_in, BENCH_FANOUT_GRACE_MS);
    uv_timer_stop(&b->clock);
    if (b->t_stop == 0)
        b->t_stop = uv_hrtime();
    b->running = 0;
}
