/* libFuzzer target for a request's way up to the permission check: cl_dispatch_admit over the
 * input as one frame's payload, before and after Hello, for nobody and for a user of each role.
 * Each verdict is checked against the dispatch table, and every envelope is freed (ASan's leak
 * check then proves that no path leaks one). */
#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "dispatch.h"
#include "fuzz.h"
#include "mem.h"
#include "status.h"

enum { MSG_MAX = 256 }; /* what cl_dispatch_frame gives */

/* The logged-in users: no role, each role alone, every role. */
static const uint32_t role_sets[] = {0,
#define ROLE_BIT(name, bit) CL_ROLE_##name,
                                     CL_ROLE_MAP(ROLE_BIT)
#undef ROLE_BIT
                                         CL_ROLE_ALL};

/* Nobody, then one user per role set. */
static cl_identity_t identities[1 + CL_ARRAY_SIZE(role_sets)];
static size_t n_identities;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memset(&identities[n_identities++], 0, sizeof(identities[0])); /* nobody */
    for (size_t i = 0; i < CL_ARRAY_SIZE(role_sets); i++) {
        cl_identity_t *who = &identities[n_identities++];
        memset(who, 0, sizeof(*who));
        who->user_id = (int64_t)i + 1;
        who->session_id = (int64_t)i + 100;
        who->roles = role_sets[i];
        snprintf(who->username, sizeof(who->username), "user%zu", i);
        snprintf(who->address, sizeof(who->address), "127.0.0.1:%zu", 40000 + i);
    }
    return 0;
}

/* What the table says of a request of `route` from `who`: 0 or the status of the refusal. */
static int expected_status(const cl_route_t *route, int hello, const cl_identity_t *who)
{
    if (!hello && route->kind != CLINIC__REQUEST__BODY_HELLO)
        return CL_EPRECOND;
    if (route->perm == CL_PERM_NONE)
        return 0;
    if (who->user_id == 0)
        return CL_EUNAUTH;
    return cl_auth_allowed(who->roles, route->perm) ? 0 : CL_EPERM;
}

/* One call; checks what a single verdict promises and returns it, with the route's kind (or -1
 * when the kind is unknown, -2 when the envelope was refused) in *kind. */
static cl_admit_t admit_once(const uint8_t *data, size_t size, int hello, const cl_identity_t *who,
                             size_t msglen, int *kind)
{
    /* Poisoned out-parameters, and a message buffer of exactly msglen bytes for ASan. */
    Clinic__Envelope *env = (Clinic__Envelope *)&identities[0];
    const cl_route_t *route = (const cl_route_t *)&identities[0];
    int status = 12345;
    char *msg = cl_malloc(msglen);
    memset(msg, 'x', msglen);

    cl_admit_t verdict =
        cl_dispatch_admit(data, size, hello, who, &env, &route, &status, msg, msglen);
    FUZZ_CHECK(memchr(msg, '\0', msglen) != NULL, "the message is not terminated");
    FUZZ_CHECK(verdict == CL_ADMIT_OK || msglen == 1 || msg[0] != '\0',
               "verdict %d without a message", (int)verdict);
    switch (verdict) {
    case CL_ADMIT_CLOSE:
        FUZZ_CHECK(env == NULL, "CLOSE left an envelope");
        FUZZ_CHECK(route == NULL, "CLOSE set a route");
        *kind = -2;
        break;
    case CL_ADMIT_REPLY:
    case CL_ADMIT_OK: {
        FUZZ_CHECK(env != NULL, "verdict %d without an envelope", (int)verdict);
        FUZZ_CHECK(env->body_case == CLINIC__ENVELOPE__BODY_REQUEST && env->request != NULL,
                   "a non-request envelope (body %d) got past admission", (int)env->body_case);
        const cl_route_t *row = cl_dispatch_route(env->request->body_case);
        FUZZ_CHECK(route == row, "route %p is not the table's row %p for kind %d",
                   (const void *)route, (const void *)row, (int)env->request->body_case);
        *kind = row ? (int)row->kind : -1;
        if (verdict == CL_ADMIT_OK) {
            FUZZ_CHECK(route != NULL, "OK without a route");
            FUZZ_CHECK(status == 0, "OK with status %d", status);
            FUZZ_CHECK(cl_dispatch_check(route, who) == 0, "OK for %s, which %s may not make",
                       route->name, who->username);
            FUZZ_CHECK(hello || route->kind == CLINIC__REQUEST__BODY_HELLO,
                       "%s admitted before Hello", route->name);
        } else {
            FUZZ_CHECK(status < 0, "REPLY with status %d", status);
            FUZZ_CHECK(cl_status_code(status) != CLINIC__CODE__OK, "REPLY with an OK code");
        }
        if (route != NULL) {
            int want = expected_status(route, hello, who);
            FUZZ_CHECK(status == want, "%s (hello %d, roles %#x): status %d, the table says %d",
                       route->name, hello, (unsigned)who->roles, status, want);
        } else {
            FUZZ_CHECK(status == CL_EINVAL, "an unknown kind got status %d", status);
        }
        clinic__envelope__free_unpacked(env, NULL);
        break;
    }
    default:
        FUZZ_CHECK(0, "verdict %d", (int)verdict);
    }
    free(msg);
    return verdict;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int first_kind = 0;
    cl_admit_t first = CL_ADMIT_OK;
    int any = 0;

    for (int hello = 0; hello <= 1; hello++) {
        for (size_t i = 0; i < n_identities; i++) {
            int kind;
            cl_admit_t verdict = admit_once(data, size, hello, &identities[i], MSG_MAX, &kind);
            /* Decoding depends on the bytes alone: state changes the verdict, never what the
             * request is or whether it is one. */
            if (!any) {
                first = verdict;
                first_kind = kind;
                any = 1;
            }
            FUZZ_CHECK((verdict == CL_ADMIT_CLOSE) == (first == CL_ADMIT_CLOSE) &&
                           kind == first_kind,
                       "verdict %d kind %d, but %d kind %d for another connection state",
                       (int)verdict, kind, (int)first, first_kind);
        }
    }
    /* A message buffer of one byte truncates the message, never the decision. */
    int kind;
    cl_admit_t tiny = admit_once(data, size, 1, &identities[0], 1, &kind);
    FUZZ_CHECK(kind == first_kind, "kind %d with a short buffer, %d without", kind, first_kind);
    FUZZ_CHECK((tiny == CL_ADMIT_CLOSE) == (first == CL_ADMIT_CLOSE), "short buffer: %d",
               (int)tiny);
    return 0;
}
