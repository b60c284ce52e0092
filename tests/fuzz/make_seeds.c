/* Writes the fuzz targets' seed corpora from real messages: packed Envelopes of every request kind
 * (payloads for fuzz_admit, streams of frames for fuzz_frame; a kind not filled in below gets an
 * empty body), clinicd.conf texts as clinicd writes and admins edit them (fuzz_config), and a few
 * bad ones of each. Run it after a change to proto/ or to the settings:
 * `make_seeds tests/fuzz/corpus` (docs/FUZZING.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "frame.h"

static const char *out_dir;

static void write_seed(const char *target, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* One request of each kind, with the fields a real client fills in. */
static Clinic__HelloRequest hello = CLINIC__HELLO_REQUEST__INIT;
static Clinic__LoginRequest login = CLINIC__LOGIN_REQUEST__INIT;
static Clinic__ResumeRequest resume = CLINIC__RESUME_REQUEST__INIT;
static Clinic__LogoutRequest logout = CLINIC__LOGOUT_REQUEST__INIT;
static Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
static Clinic__WhoAmIRequest whoami = CLINIC__WHO_AM_IREQUEST__INIT;
static Clinic__PasswordChangeRequest password_change = CLINIC__PASSWORD_CHANGE_REQUEST__INIT;
static Clinic__UserAddRequest user_add = CLINIC__USER_ADD_REQUEST__INIT;
static Clinic__UserListRequest user_list = CLINIC__USER_LIST_REQUEST__INIT;
static Clinic__UserRolesRequest user_roles = CLINIC__USER_ROLES_REQUEST__INIT;
static Clinic__UserDisableRequest user_disable = CLINIC__USER_DISABLE_REQUEST__INIT;
static Clinic__AuditQueryRequest audit_query = CLINIC__AUDIT_QUERY_REQUEST__INIT;
static Clinic__ServerStatusRequest server_status = CLINIC__SERVER_STATUS_REQUEST__INIT;
static Clinic__SubscribeRequest subscribe = CLINIC__SUBSCRIBE_REQUEST__INIT;
static Clinic__UnsubscribeRequest unsubscribe = CLINIC__UNSUBSCRIBE_REQUEST__INIT;
static Clinic__MessageSendRequest message_send = CLINIC__MESSAGE_SEND_REQUEST__INIT;
static Clinic__MessageListRequest message_list = CLINIC__MESSAGE_LIST_REQUEST__INIT;
static Clinic__MessageReadRequest message_read = CLINIC__MESSAGE_READ_REQUEST__INIT;

static char *roles_front_desk[] = {"front_desk", "scheduler"};
static char *roles_admin[] = {"admin"};
static char *topics[] = {"inbox", "users"};
static char long_body[400];

static void fill_requests(void)
{
    hello.protocol_version = 1;
    hello.client_name = "clinic";
    hello.client_version = "0.1.0";
    login.username = "frontdesk1";
    login.password = "correct horse battery";
    resume.token = "5f0c6e7a1b2d3c4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789";
    password_change.old_password = "correct horse battery";
    password_change.new_password = "staple battery horse";
    user_add.username = "dr.ames";
    user_add.full_name = "Dr. Rosa Ames";
    user_add.n_roles = 1;
    user_add.roles = (char **)roles_admin;
    user_add.password = "a long first password";
    user_list.include_disabled = 1;
    user_roles.username = "frontdesk1";
    user_roles.n_roles = 2;
    user_roles.roles = (char **)roles_front_desk;
    user_roles.version = 3;
    user_disable.username = "temp.nurse";
    user_disable.version = 7;
    audit_query.username = "dr.ames";
    audit_query.entity = "message";
    audit_query.since = 1735689600;
    audit_query.limit = 100;
    subscribe.n_topics = 2;
    subscribe.topics = (char **)topics;
    subscribe.since_seq = 41;
    unsubscribe.n_topics = 1;
    unsubscribe.topics = (char **)topics;
    message_send.to = "role:clinician";
    message_send.body = "Room 3 is ready for Mrs. Lopez.";
    message_list.unread_only = 1;
    message_list.limit = 50;
    message_read.id = 12;
}

typedef struct {
    Clinic__Request__BodyCase kind;
    const char *name;
    void *body;
} seed_request_t;

#define REQ(field, kind)                                                                           \
    {                                                                                              \
        CLINIC__REQUEST__BODY_##kind, #field, &field                                               \
    }

static seed_request_t requests[] = {
    REQ(hello, HELLO),
    REQ(login, LOGIN),
    REQ(resume, RESUME),
    REQ(logout, LOGOUT),
    REQ(ping, PING),
    REQ(whoami, WHOAMI),
    REQ(password_change, PASSWORD_CHANGE),
    REQ(user_add, USER_ADD),
    REQ(user_list, USER_LIST),
    REQ(user_roles, USER_ROLES),
    REQ(user_disable, USER_DISABLE),
    REQ(audit_query, AUDIT_QUERY),
    REQ(server_status, SERVER_STATUS),
    REQ(subscribe, SUBSCRIBE),
    REQ(unsubscribe, UNSUBSCRIBE),
    REQ(message_send, MESSAGE_SEND),
    REQ(message_list, MESSAGE_LIST),
    REQ(message_read, MESSAGE_READ),
};

static const seed_request_t *find_request(const char *name)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
        if (strcmp(requests[i].name, name) == 0)
            return &requests[i];
    return NULL;
}

/* Appends the frame of request `name` with envelope id `id` to `out`. */
static void pack_request(cl_buf_t *out, const char *name, uint64_t id)
{
    const seed_request_t *r = find_request(name);
    if (r == NULL) {
        fprintf(stderr, "no request %s\n", name);
        exit(1);
    }
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = r->kind;
    req.hello = r->body; /* every member of the union is a message pointer */
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = id;
    env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
    env.request = &req;
    cl_frame_pack(out, &env);
}

/* Writes a frame stream of the named requests, ids 1, 2, ... */
static void write_stream(const char *seed, const char *const *names, size_t n)
{
    cl_buf_t b = {0};
    for (size_t i = 0; i < n; i++)
        pack_request(&b, names[i], i + 1);
    write_seed("fuzz_frame", seed, cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_free(&b);
}

static void admit_seeds(void)
{
    cl_buf_t b = {0};
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        pack_request(&b, requests[i].name, 40 + i);
        write_seed("fuzz_admit", requests[i].name, cl_buf_head(&b) + CL_FRAME_HEADER,
                   cl_buf_size(&b) - CL_FRAME_HEADER);
        cl_buf_reset(&b);
    }
    /* Every other kind of the Request oneof (the domains' requests), with its fields unset. */
    const ProtobufCMessageDescriptor *d = &clinic__request__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (find_request(f->name) != NULL)
            continue;
        const ProtobufCMessageDescriptor *body_d = f->descriptor;
        ProtobufCMessage *body = calloc(1, body_d->sizeof_message);
        protobuf_c_message_init(body_d, body);
        Clinic__Request req = CLINIC__REQUEST__INIT;
        req.body_case = (Clinic__Request__BodyCase)f->id;
        *(ProtobufCMessage **)((char *)&req + f->offset) = body;
        Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
        env.id = 100 + i;
        env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
        env.request = &req;
        cl_frame_pack(&b, &env);
        write_seed("fuzz_admit", f->name, cl_buf_head(&b) + CL_FRAME_HEADER,
                   cl_buf_size(&b) - CL_FRAME_HEADER);
        cl_buf_reset(&b);
        free(body);
    }

    /* Wrong direction: a response, and a pushed event. */
    Clinic__Status st = CLINIC__STATUS__INIT;
    Clinic__PingReply pr = CLINIC__PING_REPLY__INIT;
    pr.server_time = 1735689600;
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.status = &st;
    resp.result_case = CLINIC__RESPONSE__RESULT_PING;
    resp.ping = &pr;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = 9;
    env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
    env.response = &resp;
    cl_frame_pack(&b, &env);
    write_seed("fuzz_admit", "bad-response", cl_buf_head(&b) + CL_FRAME_HEADER,
               cl_buf_size(&b) - CL_FRAME_HEADER);
    cl_buf_reset(&b);
    Clinic__Event ev = CLINIC__EVENT__INIT;
    ev.seq = 77;
    ev.topic = "inbox";
    ev.entity = "message";
    ev.entity_id = 5;
    ev.op = CLINIC__CHANGE_OP__CREATED;
    env.id = 0;
    env.body_case = CLINIC__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    cl_frame_pack(&b, &env);
    write_seed("fuzz_admit", "bad-event", cl_buf_head(&b) + CL_FRAME_HEADER,
               cl_buf_size(&b) - CL_FRAME_HEADER);
    cl_buf_free(&b);

    /* id 5, an empty Request: no kind. */
    static const uint8_t no_kind[] = {0x08, 0x05, 0x12, 0x00};
    write_seed("fuzz_admit", "bad-no-kind", no_kind, sizeof(no_kind));
    /* id 6, a Request with field 99 (a kind from a newer client): an empty message. */
    static const uint8_t unknown_kind[] = {0x08, 0x06, 0x12, 0x03, 0x9a, 0x06, 0x00};
    write_seed("fuzz_admit", "bad-unknown-kind", unknown_kind, sizeof(unknown_kind));
    /* A Login cut short inside its password. */
    static const uint8_t truncated[] = {0x08, 0x02, 0x12, 0x20, 0x5a, 0x1e, 0x0a, 0x0a,
                                        'f',  'r',  'o',  'n',  't',  'd',  'e',  's'};
    write_seed("fuzz_admit", "bad-truncated", truncated, sizeof(truncated));
    /* Wire type 7 does not exist. */
    static const uint8_t bad_wire[] = {0x0f, 0x01};
    write_seed("fuzz_admit", "bad-wire-type", bad_wire, sizeof(bad_wire));
    /* A Request holding field number 0 in an over-long tag: protobuf-c 1.4.1 decodes it. */
    static const uint8_t field_zero[] = {0x08, 0x07, 0x12, 0x03, 0x82, 0x00, 0x00};
    write_seed("fuzz_admit", "quirk-field-zero", field_zero, sizeof(field_zero));
}

static void frame_seeds(void)
{
    static const char *const session[] = {"hello", "login", "whoami", "ping", "logout"};
    write_stream("session", session, sizeof(session) / sizeof(session[0]));
    static const char *const resumed[] = {"hello",        "resume",       "subscribe",
                                          "message_send", "message_list", "message_read",
                                          "unsubscribe"};
    write_stream("messages", resumed, sizeof(resumed) / sizeof(resumed[0]));
    static const char *const admin[] = {"hello",       "login",         "user_add",
                                        "user_list",   "user_roles",    "user_disable",
                                        "audit_query", "server_status", "password_change"};
    write_stream("admin", admin, sizeof(admin) / sizeof(admin[0]));
    static const char *const one_ping[] = {"ping"};
    write_stream("ping", one_ping, 1);

    /* A message over the smallest max_frame (256). */
    memset(long_body, 'a', sizeof(long_body) - 1);
    const char *body = message_send.body;
    message_send.body = long_body;
    static const char *const big[] = {"hello", "message_send"};
    write_stream("over-256", big, 2);
    message_send.body = (char *)body;

    cl_buf_t b = {0};
    uint8_t hdr[CL_FRAME_HEADER];
    /* A good frame, then a length of 0. */
    pack_request(&b, "hello", 1);
    cl_frame_header(hdr, 0);
    cl_buf_append(&b, hdr, sizeof(hdr));
    write_seed("fuzz_frame", "bad-zero-length", cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_reset(&b);
    /* One byte over the default limit, and a length that no limit allows. */
    cl_frame_header(hdr, CL_FRAME_MAX_DEFAULT + 1);
    cl_buf_append(&b, hdr, sizeof(hdr));
    cl_buf_append(&b, "\x08\x01", 2);
    write_seed("fuzz_frame", "bad-over-limit", cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_reset(&b);
    cl_frame_header(hdr, 0xffffffffu);
    cl_buf_append(&b, hdr, sizeof(hdr));
    write_seed("fuzz_frame", "bad-huge-length", cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_reset(&b);
    /* A frame whose bytes do not decode, then a ping. */
    cl_frame_header(hdr, 3);
    cl_buf_append(&b, hdr, sizeof(hdr));
    cl_buf_append(&b, "\x0f\xff\xff", 3);
    pack_request(&b, "ping", 2);
    write_seed("fuzz_frame", "bad-payload", cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_reset(&b);
    /* A ping, then a header that promises more than ever comes. */
    pack_request(&b, "ping", 1);
    cl_frame_header(hdr, 100);
    cl_buf_append(&b, hdr, sizeof(hdr));
    cl_buf_append(&b, "\x08\x02\x12", 3);
    write_seed("fuzz_frame", "bad-short", cl_buf_head(&b), cl_buf_size(&b));
    cl_buf_free(&b);
    /* Field number 0 in an over-long tag, which protobuf-c 1.4.1 decodes but cannot round-trip
     * (fuzz_frame.c, has_field_zero). */
    static const uint8_t field_zero[] = {0, 0, 0, 7, 0x08, 0x09, 0x1a, 0x03, 0x82, 0x00, 0x00};
    write_seed("fuzz_frame", "quirk-field-zero", field_zero, sizeof(field_zero));
}

static void write_text(const char *name, const char *text)
{
    write_seed("fuzz_config", name, text, strlen(text));
}

static void config_seeds(void)
{
    char path[4096];
    cl_config_t cfg;
    cl_config_defaults(&cfg);
    snprintf(path, sizeof(path), "%s/fuzz_config/default", out_dir);
    write_text("default", ""); /* makes the directory */
    if (cl_config_write(&cfg, path) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    snprintf(cfg.clinic_name, sizeof(cfg.clinic_name), "%s", "Lakeside Family Practice #2");
    snprintf(cfg.listen, sizeof(cfg.listen), "%s", "0.0.0.0:7470");
    snprintf(cfg.time_zone, sizeof(cfg.time_zone), "%s", "America/Chicago");
    cfg.require_client_cert = 0;
    cfg.scrypt_log2_n = 12;
    cfg.max_frame = 65536;
    snprintf(path, sizeof(path), "%s/fuzz_config/init-edited", out_dir);
    if (cl_config_write(&cfg, path) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }

    write_text("short", "clinic_name = Northside Clinic\nlisten = [::]:7470\n"
                        "idle_logoff_seconds = 30\ntime_zone = Etc/GMT+5\n");
    write_text("override", "# kiosk\nidle_logoff_minutes = 5\nmax_in_flight=8\n"
                           "require_client_cert = off\nidle_logoff_minutes = 10\n");
    write_text("crlf-tabs", "\tclinic_name\t=\tDr. Ames & Partners\r\n"
                            "listen = 127.0.0.1:0\r\nlockout_failures = 1000\r\n");
    write_text("comments-only", "# nothing set here\n\n   # indented comment\n");
    write_text("bad-unknown-key", "clinic_name = X\nmax_frames = 4096\n");
    write_text("bad-range", "max_frame = 255\n");
    write_text("bad-number", "max_connections = 10k\n");
    write_text("bad-no-equals", "\n\nrequire_client_cert yes\n");
    write_text("bad-bool", "require_client_cert = maybe\n");
    write_text("bad-time-zone", "time_zone = ../../etc/passwd\n");
    write_text("bad-listen", "listen = ::1:7470\n");
    write_text("bad-control", "clinic_name = Bell\x07 Clinic\n");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    fill_requests();
    admit_seeds();
    frame_seeds();
    config_seeds();
    return 0;
}
