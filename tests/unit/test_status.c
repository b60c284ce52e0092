/* The status table: numbers are pinned (appended, never renumbered) and map to the right wire
 * codes both ways. */
#include "status.h"
#include "test.h"

CL_TEST(numbers_are_pinned)
{
    ASSERT_EQ(CL_OK, 0);
    ASSERT_EQ(CL_EINVAL, -1);
    ASSERT_EQ(CL_EUNAUTH, -2);
    ASSERT_EQ(CL_EPERM, -3);
    ASSERT_EQ(CL_ENOTFOUND, -4);
    ASSERT_EQ(CL_ECONFLICT, -5);
    ASSERT_EQ(CL_EPRECOND, -6);
    ASSERT_EQ(CL_EEXHAUSTED, -7);
    ASSERT_EQ(CL_EUNAVAIL, -8);
    ASSERT_EQ(CL_EINTERNAL, -9);
    ASSERT_EQ(CL_EAGAIN, -10);
    ASSERT_EQ(CL_EEOF, -11);
    ASSERT_EQ(CL_ETLS, -12);
    ASSERT_EQ(CL_EIO, -13);
    ASSERT_EQ(CL_EFULL, -14);
    ASSERT_EQ(CL_EREADONLY, -15);
    ASSERT_EQ(CL_ETIMEOUT, -16);
    ASSERT_EQ(CL_EBUSY, -17);
    ASSERT_EQ(CL_ECORRUPT, -18);
    ASSERT_EQ(CL_EEXIST, -19);
    ASSERT_EQ(CL_ELOCKED, -20);
    ASSERT_EQ(CL_EEXPIRED, -21);
}

CL_TEST(wire_codes_match_the_proto)
{
    /* The proto's Code numbers are the contract with every client. */
    ASSERT_EQ(CLINIC__CODE__OK, 0);
    ASSERT_EQ(CLINIC__CODE__INVALID_ARGUMENT, 1);
    ASSERT_EQ(CLINIC__CODE__UNAUTHENTICATED, 2);
    ASSERT_EQ(CLINIC__CODE__PERMISSION_DENIED, 3);
    ASSERT_EQ(CLINIC__CODE__NOT_FOUND, 4);
    ASSERT_EQ(CLINIC__CODE__CONFLICT, 5);
    ASSERT_EQ(CLINIC__CODE__FAILED_PRECONDITION, 6);
    ASSERT_EQ(CLINIC__CODE__RESOURCE_EXHAUSTED, 7);
    ASSERT_EQ(CLINIC__CODE__UNAVAILABLE, 8);
    ASSERT_EQ(CLINIC__CODE__INTERNAL, 9);
    ASSERT_EQ(cl_status_code(CL_EEXIST), CLINIC__CODE__CONFLICT);
    ASSERT_EQ(cl_status_code(CL_EFULL), CLINIC__CODE__UNAVAILABLE);
    ASSERT_EQ(cl_status_code(CL_ELOCKED), CLINIC__CODE__PERMISSION_DENIED);
    ASSERT_EQ(cl_status_code(CL_EEXPIRED), CLINIC__CODE__UNAUTHENTICATED);
    ASSERT_EQ(cl_status_code(-999), CLINIC__CODE__INTERNAL);
}

CL_TEST(every_code_maps_back_to_a_status_with_that_code)
{
    for (int code = 0; code <= 9; code++) {
        int st = cl_status_from_code((Clinic__Code)code);
        ASSERT_EQ(cl_status_code(st), code);
    }
    ASSERT_EQ(cl_status_from_code((Clinic__Code)77), CL_EINTERNAL);
    ASSERT_STR_EQ(cl_status_name(CL_ECONFLICT), "ECONFLICT");
    ASSERT_STR_EQ(cl_status_name(-999), "UNKNOWN");
    ASSERT_STR_EQ(cl_code_name(CLINIC__CODE__FAILED_PRECONDITION), "FAILED_PRECONDITION");
}

CL_TEST_MAIN(CL_TEST_ENTRY(numbers_are_pinned), CL_TEST_ENTRY(wire_codes_match_the_proto),
             CL_TEST_ENTRY(every_code_maps_back_to_a_status_with_that_code))
