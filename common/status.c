/* The status table's lookups. */
#include "status.h"

const char *cl_status_name(int status)
{
    switch (status) {
#define CL_STATUS_NAME(name, num, code, msg)                                                       \
    case num:                                                                                      \
        return #name;
        CL_STATUS_MAP(CL_STATUS_NAME)
#undef CL_STATUS_NAME
    }
    return "UNKNOWN";
}

const char *cl_status_message(int status)
{
    switch (status) {
#define CL_STATUS_MSG(name, num, code, msg)                                                        \
    case num:                                                                                      \
        return msg;
        CL_STATUS_MAP(CL_STATUS_MSG)
#undef CL_STATUS_MSG
    }
    return "unknown status";
}

Clinic__Code cl_status_code(int status)
{
    switch (status) {
#define CL_STATUS_CODE(name, num, code, msg)                                                       \
    case num:                                                                                      \
        return CLINIC__CODE__##code;
        CL_STATUS_MAP(CL_STATUS_CODE)
#undef CL_STATUS_CODE
    }
    return CLINIC__CODE__INTERNAL;
}

int cl_status_from_code(Clinic__Code code)
{
    /* The first row of the table with this wire code is its canonical status. */
#define CL_STATUS_FROM(name, num, wire, msg)                                                       \
    if (code == CLINIC__CODE__##wire)                                                              \
        return num;
    CL_STATUS_MAP(CL_STATUS_FROM)
#undef CL_STATUS_FROM
    return CL_EINTERNAL;
}

const char *cl_code_name(Clinic__Code code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&clinic__code__descriptor,
                                                                        (int)code);
    return v ? v->name : "UNKNOWN";
}
