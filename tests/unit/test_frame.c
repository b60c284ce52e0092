/* The frame codec: lengths at and over the limits, partial input, and round trips. */
#include "frame.h"
#include "status.h"
#include "test.h"

CL_TEST(partial_input_waits)
{
    const uint8_t *p;
    size_t len;
    uint8_t in[] = {0, 0, 0, 3, 1, 2};
    for (size_t n = 0; n < sizeof(in); n++)
        ASSERT_EQ(cl_frame_next(in, n, 1024, &p, &len), 0);
}

CL_TEST(zero_and_oversized_lengths_are_invalid)
{
    const uint8_t *p;
    size_t len;
    uint8_t zero[] = {0, 0, 0, 0};
    ASSERT_EQ(cl_frame_next(zero, 4, 1024, &p, &len), CL_EINVAL);
    uint8_t big[] = {0, 0, 4, 1};
    ASSERT_EQ(cl_frame_next(big, 4, 1024, &p, &len), CL_EINVAL);
    uint8_t edge[1028] = {0, 0, 4, 0};
    ASSERT_EQ(cl_frame_next(edge, sizeof(edge), 1024, &p, &len), 1);
    ASSERT_EQ(len, 1024);
    uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
    ASSERT_EQ(cl_frame_next(huge, 4, CL_FRAME_MAX_DEFAULT, &p, &len), CL_EINVAL);
}

CL_TEST(pack_then_decode_round_trips)
{
    Clinic__PingRequest ping = CLINIC__PING_REQUEST__INIT;
    Clinic__Request req = CLINIC__REQUEST__INIT;
    req.body_case = CLINIC__REQUEST__BODY_PING;
    req.ping = &ping;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = 0x123456789ull;
    env.body_case = CLINIC__ENVELOPE__BODY_REQUEST;
    env.request = &req;
    cl_buf_t b = {0};
    size_t size1 = cl_frame_pack(&b, &env);
    env.id = 2;
    size_t size2 = cl_frame_pack(&b, &env);
    ASSERT_EQ(cl_buf_size(&b), size1 + size2 + 2 * CL_FRAME_HEADER);

    const uint8_t *p;
    size_t len;
    ASSERT_EQ(cl_frame_next(cl_buf_head(&b), cl_buf_size(&b), 1024, &p, &len), 1);
    ASSERT_EQ(len, size1);
    Clinic__Envelope *out = clinic__envelope__unpack(NULL, len, p);
    ASSERT_NOT_NULL(out);
    ASSERT_EQ(out->id, 0x123456789ull);
    ASSERT_EQ(out->request->body_case, CLINIC__REQUEST__BODY_PING);
    clinic__envelope__free_unpacked(out, NULL);
    cl_buf_consume(&b, CL_FRAME_HEADER + len);
    ASSERT_EQ(cl_frame_next(cl_buf_head(&b), cl_buf_size(&b), 1024, &p, &len), 1);
    out = clinic__envelope__unpack(NULL, len, p);
    ASSERT_EQ(out->id, 2);
    clinic__envelope__free_unpacked(out, NULL);
    cl_buf_free(&b);
}

CL_TEST_MAIN(CL_TEST_ENTRY(partial_input_waits), CL_TEST_ENTRY(zero_and_oversized_lengths_are_invalid),
             CL_TEST_ENTRY(pack_then_decode_round_trips))
