/* The frame codec. */
#include "frame.h"

#include "status.h"

void cl_frame_header(uint8_t hdr[CL_FRAME_HEADER], uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

int cl_frame_next(const uint8_t *in, size_t n, size_t max_frame, const uint8_t **payload,
                  size_t *len)
{
    if (n < CL_FRAME_HEADER)
        return 0;
    uint32_t size = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
    if (size == 0 || size > max_frame)
        return CL_EINVAL;
    if (n - CL_FRAME_HEADER < size)
        return 0;
    *payload = in + CL_FRAME_HEADER;
    *len = size;
    return 1;
}

size_t cl_frame_pack(cl_buf_t *out, const Clinic__Envelope *env)
{
    size_t size = clinic__envelope__get_packed_size(env);
    uint8_t *p = cl_buf_reserve(out, CL_FRAME_HEADER + size);
    cl_frame_header(p, (uint32_t)size);
    clinic__envelope__pack(env, p + CL_FRAME_HEADER);
    cl_buf_commit(out, CL_FRAME_HEADER + size);
    return size;
}
