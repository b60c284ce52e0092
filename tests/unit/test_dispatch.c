/* The dispatch table: every request kind has exactly one row, and each row lets in exactly the
 * roles this test expects, for every role, logged in or not. The expectations are written out
 * here by hand, so a change to who may do what has to change this file too. Every row's job
 * also gets its reply from its kind (cl_job_reply_new). */
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "status.h"
#include "test.h"

typedef struct {
    Clinic__Request__BodyCase kind;
    int anonymous;    /* allowed before login */
    uint32_t roles;   /* roles allowed after login */
} expect_t;

static const expect_t expected[] = {
    {CLINIC__REQUEST__BODY_HELLO, 1, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_PING, 1, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_LOGIN, 1, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_RESUME, 1, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_LOGOUT, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_WHOAMI, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_PASSWORD_CHANGE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_USER_ADD, 0, CL_ROLE_admin},
    {CLINIC__REQUEST__BODY_USER_LIST, 0, CL_ROLE_admin},
    {CLINIC__REQUEST__BODY_USER_ROLES, 0, CL_ROLE_admin},
    {CLINIC__REQUEST__BODY_USER_DISABLE, 0, CL_ROLE_admin},
    {CLINIC__REQUEST__BODY_AUDIT_QUERY, 0, CL_ROLE_admin | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SERVER_STATUS, 0, CL_ROLE_admin},
    {CLINIC__REQUEST__BODY_SUBSCRIBE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_UNSUBSCRIBE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_MESSAGE_SEND, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_MESSAGE_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_MESSAGE_READ, 0, CL_ROLE_ALL},
    /* Patients */
    {CLINIC__REQUEST__BODY_PATIENT_REGISTER, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_PATIENT_SEARCH, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_biller | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PATIENT_SHOW, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_biller | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PATIENT_EDIT, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_PATIENT_MERGE, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PATIENT_UNMERGE, 0, CL_ROLE_manager},
    /* Schedule */
    {CLINIC__REQUEST__BODY_PROVIDER_ADD, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PROVIDER_EDIT, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PROVIDER_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PROVIDER_HOURS_SET, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_ROOM_ADD, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_ROOM_EDIT, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_ROOM_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_ADD, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_EDIT, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_TYPE_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CLINIC_HOURS_SET, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CLINIC_HOURS_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_HOLIDAY_ADD, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_HOLIDAY_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_HOLIDAY_REMOVE, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_BLOCK_ADD, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_BLOCK_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_BLOCK_CANCEL, 0, CL_ROLE_scheduler | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_BOOK, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_APPOINTMENT_MOVE, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_APPOINTMENT_CANCEL, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_APPOINTMENT_NO_SHOW, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_APPOINTMENT_GET, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_LIST, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_APPOINTMENT_SERIES_BOOK, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_APPOINTMENT_SERIES_CANCEL, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_SLOT_FIND, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_WAITLIST_ADD, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_WAITLIST_LIST, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    {CLINIC__REQUEST__BODY_WAITLIST_REMOVE, 0, CL_ROLE_front_desk | CL_ROLE_scheduler},
    /* Patient flow and the board */
    {CLINIC__REQUEST__BODY_FLOW_CHECK_IN, 0, CL_ROLE_front_desk},
    {CLINIC__REQUEST__BODY_FLOW_ROOM, 0, CL_ROLE_clinician},
    {CLINIC__REQUEST__BODY_FLOW_VITALS, 0, CL_ROLE_clinician},
    {CLINIC__REQUEST__BODY_FLOW_READY, 0, CL_ROLE_clinician},
    {CLINIC__REQUEST__BODY_FLOW_START, 0, CL_ROLE_clinician},
    {CLINIC__REQUEST__BODY_FLOW_CHECK_OUT, 0, CL_ROLE_front_desk},
    {CLINIC__REQUEST__BODY_BOARD_GET, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_FLOW_FIGURES, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_FLOW_SHOW, 0,
     CL_ROLE_front_desk | CL_ROLE_scheduler | CL_ROLE_clinician | CL_ROLE_manager},
    /* Staff and credentials */
    {CLINIC__REQUEST__BODY_STAFF_ADD, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_STAFF_EDIT, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_STAFF_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_SHOW, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_LEAVE, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CREDENTIAL_ADD, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CREDENTIAL_RENEW, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CREDENTIAL_REMOVE, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_CREDENTIAL_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_DASHBOARD, 0, CL_ROLE_ALL},
    /* Shifts, desks, templates and swaps */
    {CLINIC__REQUEST__BODY_DESK_ADD, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_DESK_EDIT, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_DESK_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_SHIFT_ADD, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_EDIT, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_CANCEL, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_SET, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_LIST, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_TEMPLATE_APPLY, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_WEEK_PUBLISH, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_SHIFT_COVERAGE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_SWAP_PROPOSE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_SWAP_RESPOND, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_SWAP_LIST, 0, CL_ROLE_ALL},
    /* The time clock and timesheets */
    {CLINIC__REQUEST__BODY_CLOCK_IN, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_CLOCK_OUT, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_CLOCK_BREAK_START, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_CLOCK_BREAK_END, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_CLOCK_STATUS, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_PUNCH_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_PUNCH_CORRECTION_FILE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_TIMESHEET_SHOW, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_TIMESHEET_EXPORT, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_PAY_POLICY_GET, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_PAY_POLICY_SET, 0, CL_ROLE_manager},
    /* Requests and approvals */
    {CLINIC__REQUEST__BODY_TIME_OFF_FILE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_EXPENSE_FILE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_OVERTIME_FILE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_REQUEST_LIST, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_REQUEST_SHOW, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_REQUEST_WITHDRAW, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_REQUEST_DECIDE, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_STAFF_REQUEST_CANCEL, 0, CL_ROLE_ALL}, /* who may decide: the handler */
    {CLINIC__REQUEST__BODY_APPROVALS_SUMMARY, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_SHOW, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_TIME_OFF_BALANCE_ADJUST, 0, CL_ROLE_manager},
    {CLINIC__REQUEST__BODY_ACCRUAL_POLICY_GET, 0, CL_ROLE_ALL},
    {CLINIC__REQUEST__BODY_ACCRUAL_POLICY_SET, 0, CL_ROLE_manager},
};

static const expect_t *find_expected(Clinic__Request__BodyCase kind)
{
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        if (expected[i].kind == kind)
            return &expected[i];
    return NULL;
}

CL_TEST(every_request_kind_has_one_row)
{
    /* Every field of the Request oneof, as protobuf-c describes it. */
    const ProtobufCMessageDescriptor *d = &clinic__request__descriptor;
    size_t n;
    const cl_route_t *routes = cl_dispatch_routes(&n);
    ASSERT_EQ(n, d->n_fields);
    for (unsigned i = 0; i < d->n_fields; i++) {
        Clinic__Request__BodyCase kind = (Clinic__Request__BodyCase)d->fields[i].id;
        size_t rows = 0;
        for (size_t j = 0; j < n; j++)
            rows += routes[j].kind == kind;
        if (rows != 1)
            CL_FAIL("request field %s has %zu dispatch rows", d->fields[i].name, rows);
        ASSERT_NOT_NULL(cl_dispatch_route(kind));
        if (find_expected(kind) == NULL)
            CL_FAIL("request field %s has no expectation in this test", d->fields[i].name);
    }
    ASSERT_NULL(cl_dispatch_route(CLINIC__REQUEST__BODY__NOT_SET));
}

CL_TEST(every_row_for_every_role)
{
    size_t n;
    const cl_route_t *routes = cl_dispatch_routes(&n);
    for (size_t i = 0; i < n; i++) {
        const expect_t *e = find_expected(routes[i].kind);
        ASSERT_NOT_NULL(e);
        cl_identity_t nobody = {0};
        int rc = cl_dispatch_check(&routes[i], &nobody);
        if (e->anonymous)
            ASSERT_OK(rc);
        else if (rc != CL_EUNAUTH)
            CL_FAIL("%s before login: %s, want EUNAUTH", routes[i].name, cl_status_name(rc));
        for (uint32_t bit = 1; bit <= CL_ROLE_ALL; bit <<= 1) {
            cl_identity_t who = {.user_id = 1, .session_id = 1, .roles = bit};
            rc = cl_dispatch_check(&routes[i], &who);
            int want = (e->roles & bit) ? 0 : CL_EPERM;
            if (rc != want)
                CL_FAIL("%s as %s: %s, want %s", routes[i].name, cl_role_name(bit),
                        cl_status_name(rc), cl_status_name(want));
        }
        /* Several roles: allowed when any of them is. */
        cl_identity_t many = {.user_id = 1, .session_id = 1, .roles = CL_ROLE_ALL};
        ASSERT_OK(cl_dispatch_check(&routes[i], &many));
    }
}

CL_TEST(rows_that_write_are_marked)
{
    /* A request that writes (its audit row counts) must be marked, or its batch would begin
     * DEFERRED and could fail to upgrade; pure reads stay unmarked. */
    static const Clinic__Request__BodyCase readers[] = {
        CLINIC__REQUEST__BODY_WHOAMI, CLINIC__REQUEST__BODY_SERVER_STATUS, CLINIC__REQUEST__BODY_SUBSCRIBE};
    for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
        ASSERT_EQ(cl_dispatch_route(readers[i])->write, 0);
    static const Clinic__Request__BodyCase writers[] = {
        CLINIC__REQUEST__BODY_LOGIN, CLINIC__REQUEST__BODY_USER_ADD,
        CLINIC__REQUEST__BODY_MESSAGE_SEND, CLINIC__REQUEST__BODY_MESSAGE_READ,
        CLINIC__REQUEST__BODY_AUDIT_QUERY, CLINIC__REQUEST__BODY_USER_LIST};
    for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
        ASSERT_EQ(cl_dispatch_route(writers[i])->write, 1);
}

CL_TEST(every_row_gets_its_reply_by_its_kind)
{
    /* cl_job_reply_new finds the reply by the request's field number; the protocol's rule is
     * that the reply also has the request's name. So the field is looked up here by name, and
     * the reply must be there, initialized as that field's message, and go out as that result. */
    size_t n;
    const cl_route_t *routes = cl_dispatch_routes(&n);
    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *asked = protobuf_c_message_descriptor_get_field(
            &clinic__request__descriptor, (unsigned)routes[i].kind);
        ASSERT_NOT_NULL(asked);
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
            &clinic__response__descriptor, asked->name);
        if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
            CL_FAIL("%s: no reply named %s in Response", routes[i].name, asked->name);
        const ProtobufCMessageDescriptor *d = f->descriptor;

        Clinic__Request req = CLINIC__REQUEST__INIT;
        req.body_case = routes[i].kind;
        cl_job_t *job = cl_job_new();
        job->req = &req;
        ProtobufCMessage *reply = cl_job_reply_new(job, d->sizeof_message);
        ASSERT_NOT_NULL(reply);
        if (reply->descriptor != d)
            CL_FAIL("%s: the reply is not an initialized %s", routes[i].name, d->name);
        ASSERT_EQ(job->resp.result_case, routes[i].kind);
        void *stored;
        memcpy(&stored, (const char *)&job->resp + f->offset, sizeof(stored));
        if (stored != reply)
            CL_FAIL("%s: the reply is not under Response.%s", routes[i].name, f->name);

        size_t len = clinic__response__get_packed_size(&job->resp);
        uint8_t *buf = malloc(len);
        ASSERT_NOT_NULL(buf);
        ASSERT_EQ(clinic__response__pack(&job->resp, buf), len);
        Clinic__Response *back = clinic__response__unpack(NULL, len, buf);
        ASSERT_NOT_NULL(back);
        ASSERT_EQ(back->result_case, routes[i].kind);
        clinic__response__free_unpacked(back, NULL);
        free(buf);
        cl_job_free(job);
    }

    /* The macro, as handlers use it: the typed member is the reply, also where two kinds share
     * one reply type (login and resume). */
    Clinic__Request req = CLINIC__REQUEST__INIT;
    cl_job_t *job = cl_job_new();
    job->req = &req;
    req.body_case = CLINIC__REQUEST__BODY_APPOINTMENT_CANCEL;
    Clinic__AppointmentCancelReply *cancel = CL_JOB_REPLY(job, Clinic__AppointmentCancelReply);
    ASSERT(job->resp.appointment_cancel == cancel);
    ASSERT(cancel->base.descriptor == &clinic__appointment_cancel_reply__descriptor);
    req.body_case = CLINIC__REQUEST__BODY_RESUME;
    Clinic__LoginReply *resume = CL_JOB_REPLY(job, Clinic__LoginReply);
    ASSERT_EQ(job->resp.result_case, CLINIC__RESPONSE__RESULT_RESUME);
    ASSERT(job->resp.resume == resume);
    cl_job_free(job);
}

CL_TEST_MAIN(CL_TEST_ENTRY(every_request_kind_has_one_row), CL_TEST_ENTRY(every_row_for_every_role),
             CL_TEST_ENTRY(rows_that_write_are_marked),
             CL_TEST_ENTRY(every_row_gets_its_reply_by_its_kind))
