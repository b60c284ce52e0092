/* libFuzzer target for the frame decoder: the input is what a client sends, fed in chunks of
 * pseudo-random sizes through a cl_buf_t and cl_frame_next as common/conn.c does. Every whole
 * frame is unpacked; a decoded envelope re-packed and decoded again must pack to the same bytes. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "fuzz.h"
#include "mem.h"
#include "status.h"

/* xorshift64*: the chunk sizes and the frame limit come from the input's own hash, so that a saved
 * input replays exactly and the corpus stays plain byte streams of real frames. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t hash_input(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 0x100000001b3ULL;
    return h ? h : 1;
}

/* How many of the `left` bytes the peer's next read delivers: often one byte (a header split
 * across reads), often a few, sometimes a TLS record's worth, sometimes all of it. */
static size_t next_chunk(uint64_t *state, size_t left)
{
    uint64_t r = next_random(state);
    size_t n;
    switch (r & 3) {
    case 0:
        n = 1;
        break;
    case 1:
        n = 1 + (size_t)(r >> 8) % 8;
        break;
    case 2:
        n = 1 + (size_t)(r >> 8) % 600;
        break;
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

static uint32_t header_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether `m` or a message inside it kept an unknown field numbered 0. protobuf-c 1.4.1 refuses
 * field number 0 only when its tag is one byte (parse_tag_and_wiretype looks at the first byte),
 * so an over-long tag such as 0x82 0x00 decodes; packing writes it back as the one-byte 0x02,
 * which does not decode. clinicd never re-packs what it received, so only this check meets it. */
static int has_field_zero(const ProtobufCMessage *m)
{
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return 1;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t j = 0; j < n; j++)
                if (has_field_zero(items[j]))
                    return 1;
        } else {
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + f->offset);
            if (sub != NULL && has_field_zero(sub))
                return 1;
        }
    }
    return 0;
}

/* Packs `env` as a frame, cuts it again, decodes the payload and packs that: both packings must
 * be the same bytes, and the frame's header must say the payload's size. */
static void check_repack(const Clinic__Envelope *env)
{
    cl_buf_t first = {0}, second = {0};
    size_t n1 = cl_frame_pack(&first, env);
    FUZZ_CHECK(cl_buf_size(&first) == CL_FRAME_HEADER + n1, "frame of %zu bytes for %zu", n1,
               cl_buf_size(&first));
    const uint8_t *payload;
    size_t len;
    /* No limit here: re-packing may grow a payload (a negative enum sent in 5 bytes takes 10). */
    int rc = cl_frame_next(cl_buf_head(&first), cl_buf_size(&first), UINT32_MAX, &payload, &len);
    if (n1 == 0) {
        /* An envelope with nothing set (id 0, no body) packs to no bytes: not a valid frame. */
        FUZZ_CHECK(rc == CL_EINVAL, "an empty payload was not refused (%d)", rc);
        goto out;
    }
    FUZZ_CHECK(rc == 1 && len == n1, "re-packed frame not cut back (%d, %zu of %zu)", rc, len, n1);

    Clinic__Envelope *again = clinic__envelope__unpack(NULL, len, payload);
    if (again == NULL && has_field_zero(&env->base))
        goto out;
    FUZZ_CHECK(again != NULL, "a re-packed envelope of %zu bytes does not decode", len);
    size_t n2 = cl_frame_pack(&second, again);
    clinic__envelope__free_unpacked(again, NULL);
    FUZZ_CHECK(n2 == n1, "re-packing changed the size: %zu then %zu", n1, n2);
    FUZZ_CHECK(memcmp(cl_buf_head(&first), cl_buf_head(&second), CL_FRAME_HEADER + n1) == 0,
               "re-packing changed the bytes of a %zu-byte envelope", n1);
out:
    cl_buf_free(&first);
    cl_buf_free(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t state = hash_input(data, size);
    /* The configured minimum now and then, so that real frames also meet the limit. */
    size_t max_frame = next_random(&state) % 4 == 0 ? 256 : CL_FRAME_MAX_DEFAULT;
    cl_buf_t in = {0};
    size_t fed = 0;      /* bytes of `data` appended to `in` */
    size_t consumed = 0; /* bytes of `data` cut off as frames */
    int closed = 0;

    while (fed < size && !closed) {
        size_t chunk = next_chunk(&state, size - fed);
        cl_buf_append(&in, data + fed, chunk);
        fed += chunk;
        for (;;) {
            size_t avail = fed - consumed;
            FUZZ_CHECK(cl_buf_size(&in) == avail, "buffer holds %zu bytes, expected %zu",
                       cl_buf_size(&in), avail);
            const uint8_t *payload = NULL;
            size_t len = 0;
            int rc = cl_frame_next(cl_buf_head(&in), cl_buf_size(&in), max_frame, &payload, &len);
            uint32_t header = avail >= CL_FRAME_HEADER ? header_at(data + consumed) : 0;
            if (rc == 0) {
                FUZZ_CHECK(avail < CL_FRAME_HEADER || (header >= 1 && header <= max_frame &&
                                                       avail - CL_FRAME_HEADER < header),
                           "asked for more bytes with %zu buffered and a header of %u", avail,
                           header);
                break;
            }
            if (rc < 0) {
                FUZZ_CHECK(rc == CL_EINVAL, "cl_frame_next returned %d", rc);
                FUZZ_CHECK(avail >= CL_FRAME_HEADER && (header == 0 || header > max_frame),
                           "refused a header of %u (limit %zu, %zu bytes buffered)", header,
                           max_frame, avail);
                closed = 1; /* the connection cannot be resynchronised: conn.c stops reading */
                break;
            }
            FUZZ_CHECK(rc == 1, "cl_frame_next returned %d", rc);
            FUZZ_CHECK(len >= 1 && len <= max_frame, "a frame of %zu bytes (limit %zu)", len,
                       max_frame);
            FUZZ_CHECK(len == header && avail >= CL_FRAME_HEADER + len,
                       "a frame of %zu bytes from a header of %u with %zu buffered", len, header,
                       avail);
            FUZZ_CHECK(payload == cl_buf_head(&in) + CL_FRAME_HEADER,
                       "the payload does not follow its header");
            FUZZ_CHECK(memcmp(payload, data + consumed + CL_FRAME_HEADER, len) == 0,
                       "the payload at offset %zu is not the bytes that were sent", consumed);

            Clinic__Envelope *env = clinic__envelope__unpack(NULL, len, payload);
            if (env != NULL) {
                check_repack(env);
                clinic__envelope__free_unpacked(env, NULL);
            }
            cl_buf_consume(&in, CL_FRAME_HEADER + len);
            consumed += CL_FRAME_HEADER + len;
        }
    }
    FUZZ_CHECK(closed || fed == size, "stopped after %zu of %zu bytes", fed, size);
    cl_buf_free(&in);
    return 0;
}
