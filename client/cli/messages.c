/* The message commands: send, list and read. Bodies come from the server as the sender typed
 * them, so they are printed with control characters made harmless. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mem.h"
#include "status.h"

enum { BODY_MAX = 4000, LIST_BODY_COLUMNS = 60 };

static void json_message(cl_json_t *j, const Clinic__Message *m)
{
    cl_json_kv_uint(j, "id", m->id);
    cl_json_kv_string(j, "sender", m->sender);
    cl_json_kv_string(j, "to", m->to);
    cl_json_kv_string(j, "body", m->body);
    cl_json_kv_int(j, "sent_at", m->sent_at);
    cl_json_kv_int(j, "read_at", m->read_at);
}

/* Reads all of stdin (at most BODY_MAX bytes, one trailing newline dropped) into a cl_malloc'ed
 * string. Returns NULL after printing why. */
static char *read_body(void)
{
    char *body = cl_malloc(BODY_MAX + 2);
    size_t n = fread(body, 1, BODY_MAX + 1, stdin);
    if (n > BODY_MAX) {
        free(body);
        cli_input_error("the message is longer than %d bytes", BODY_MAX);
        return NULL;
    }
    if (n > 0 && body[n - 1] == '\n')
        n--;
    body[n] = '\0';
    return body;
}

int cmd_msg_send(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    const char *to = NULL;
    const cli_opt_t opts[] = {{"--to", &to, NULL}};
    int npos, rc;
    char *body = NULL;
    if ((rc = cli_parse(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts), &npos)) != 0)
        return rc;
    if (to == NULL)
        return cli_usage_error(cmd, "--to is missing");
    if (npos == 0)
        return cli_usage_error(cmd, "TEXT is missing");
    if (npos == 1 && strcmp(argv[0], "-") == 0) {
        if ((body = read_body()) == NULL)
            return CL_EXIT_USAGE;
    } else {
        body = cli_join_words(npos, argv);
    }
    if ((rc = cli_resume(cli)) != 0)
        goto out;
    Clinic__MessageSendRequest send_req = CLINIC__MESSAGE_SEND_REQUEST__INIT;
    send_req.to = (char *)to;
    send_req.body = body;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_MESSAGE_SEND, &send_req, &resp)) != 0)
        goto out;
    const Clinic__MessageSendReply *r = resp->message_send;
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        if (r->message)
            json_message(&cli->j, r->message);
        cl_json_kv_uint(&cli->j, "recipients", r->recipients);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
    } else {
        printf("sent message %llu to ", r->message ? (unsigned long long)r->message->id : 0ULL);
        cli_put(stdout, r->message ? r->message->to : to, 0);
        printf(" (%u recipient%s)\n", r->recipients, r->recipients == 1 ? "" : "s");
    }
out:
    free(body);
    return rc;
}

/* The first line of `body`, cut at about `columns` characters (never inside a UTF-8 sequence). */
static void put_summary(const char *body, int columns)
{
    size_t end = strcspn(body, "\n");
    size_t cut = end, chars = 0;
    for (size_t i = 0; i < end; i++) {
        if (((unsigned char)body[i] & 0xc0) == 0x80)
            continue; /* a continuation byte */
        if ((int)chars++ == columns) {
            cut = i;
            break;
        }
    }
    char *line = cl_strndup(body, cut);
    cli_put(stdout, line, 0);
    if (cut < strlen(body))
        printf(" ...");
    free(line);
}

int cmd_msg_list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int unread = 0, rc;
    const char *limit = NULL, *before = NULL;
    const cli_opt_t opts[] = {
        {"--unread", NULL, &unread}, {"--limit", &limit, NULL}, {"--before", &before, NULL}};
    if ((rc = cli_parse_options(cmd, argc, argv, opts, CL_ARRAY_SIZE(opts))) != 0)
        return rc;
    uint64_t n_limit = 0, before_id = 0;
    if (limit && cl_cli_parse_uint(limit, UINT32_MAX, &n_limit) != 0)
        return cli_usage_error(cmd, "--limit: expected a number");
    if (before && cl_cli_parse_uint(before, UINT64_MAX, &before_id) != 0)
        return cli_usage_error(cmd, "--before: expected a message id");
    if ((rc = cli_resume(cli)) != 0)
        return rc;
    Clinic__MessageListRequest list = CLINIC__MESSAGE_LIST_REQUEST__INIT;
    list.unread_only = unread;
    list.limit = (uint32_t)n_limit;
    list.before_id = before_id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_MESSAGE_LIST, &list, &resp)) != 0)
        return rc;
    const Clinic__MessageListReply *r = resp->message_list;
    for (size_t i = 0; i < r->n_messages; i++) {
        const Clinic__Message *m = r->messages[i];
        if (cli->json) {
            cl_json_object_begin(&cli->j);
            json_message(&cli->j, m);
            cl_json_object_end(&cli->j);
            cli_json_emit(cli);
            continue;
        }
        char sent[32];
        cli_time(m->sent_at, sent, sizeof(sent));
        printf("%c %6llu  %s  ", m->read_at ? ' ' : '*', (unsigned long long)m->id, sent);
        cli_put(stdout, m->sender, 0);
        printf(" -> ");
        cli_put(stdout, m->to, 0);
        printf(": ");
        put_summary(m->body, LIST_BODY_COLUMNS);
        printf("\n");
    }
    if (!cli->json && r->n_messages == 0)
        printf("no %smessages\n", unread ? "unread " : "");
    return 0;
}

int cmd_msg_read(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
    int rc;
    uint64_t id;
    if ((rc = cli_begin_id(cli, cmd, argc, argv, NULL, 0, "ID", &id)) != 0)
        return rc;
    Clinic__MessageReadRequest read_req = CLINIC__MESSAGE_READ_REQUEST__INIT;
    read_req.id = id;
    const Clinic__Response *resp;
    if ((rc = cli_send(cli, CLINIC__REQUEST__BODY_MESSAGE_READ, &read_req, &resp)) != 0)
        return rc;
    const Clinic__Message *m = resp->message_read->message;
    if (m == NULL)
        return cli_error(CL_EINTERNAL, "the server sent no message");
    if (cli->json) {
        cl_json_object_begin(&cli->j);
        json_message(&cli->j, m);
        cl_json_object_end(&cli->j);
        cli_json_emit(cli);
        return 0;
    }
    char sent[32], read_at[32];
    cli_time(m->sent_at, sent, sizeof(sent));
    cli_time(m->read_at, read_at, sizeof(read_at));
    printf("Message %llu\nFrom: ", (unsigned long long)m->id);
    cli_put(stdout, m->sender, 0);
    printf("\nTo:   ");
    cli_put(stdout, m->to, 0);
    printf("\nSent: %s\nRead: %s\n\n", sent, read_at);
    cli_put(stdout, m->body, 1);
    printf("\n");
    return 0;
}
