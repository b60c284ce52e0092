/* The way of a request: decode, check (Hello first, login, permission, idle logoff), answer on
 * the loop or hand to the store as a job, then reply, fan out its changes, and free everything.
 * The dispatcher owns each unpacked envelope and frees it on every path; handlers borrow it. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "handlers.h"
#include "log.h"
#include "mem.h"
#include "policy.h"
#include "server_int.h"
#include "status.h"
#include "topics.h"

#define ROUTE(kind, name, perm, handler, write, patient)                                           \
    {                                                                                              \
        CLINIC__REQUEST__BODY_##kind, name, perm, handler, write, patient                          \
    }

static const cl_route_t routes[] = {
    ROUTE(HELLO, "HelloRequest", CL_PERM_NONE, NULL, 0, 0),
    ROUTE(PING, "PingRequest", CL_PERM_NONE, NULL, 0, 0),
    ROUTE(LOGIN, "LoginRequest", CL_PERM_NONE, cl_handle_login, 1, 0),
    ROUTE(RESUME, "ResumeRequest", CL_PERM_NONE, cl_handle_resume, 1, 0),
    ROUTE(LOGOUT, "LogoutRequest", CL_PERM_LOGGED_IN, cl_handle_logout, 1, 0),
    ROUTE(WHOAMI, "WhoAmIRequest", CL_PERM_LOGGED_IN, cl_handle_whoami, 0, 0),
    ROUTE(PASSWORD_CHANGE, "PasswordChangeRequest", CL_PERM_LOGGED_IN, cl_handle_password_change, 1,
          0),
    ROUTE(USER_ADD, "UserAddRequest", CL_PERM_USER_ADMIN, cl_handle_user_add, 1, 0),
    ROUTE(USER_LIST, "UserListRequest", CL_PERM_USER_ADMIN, cl_handle_user_list, 1, 0),
    ROUTE(USER_ROLES, "UserRolesRequest", CL_PERM_USER_ADMIN, cl_handle_user_roles, 1, 0),
    ROUTE(USER_DISABLE, "UserDisableRequest", CL_PERM_USER_ADMIN, cl_handle_user_disable, 1, 0),
    ROUTE(AUDIT_QUERY, "AuditQueryRequest", CL_PERM_AUDIT_READ, cl_handle_audit_query, 1, 0),
    ROUTE(SERVER_STATUS, "ServerStatusRequest", CL_PERM_SERVER_STATUS, cl_handle_server_status, 0,
          0),
    ROUTE(SUBSCRIBE, "SubscribeRequest", CL_PERM_LOGGED_IN, cl_handle_subscribe, 0, 0),
    ROUTE(UNSUBSCRIBE, "UnsubscribeRequest", CL_PERM_LOGGED_IN, NULL, 0, 0),
    ROUTE(MESSAGE_SEND, "MessageSendRequest", CL_PERM_LOGGED_IN, cl_handle_message_send, 1, 0),
    ROUTE(MESSAGE_LIST, "MessageListRequest", CL_PERM_LOGGED_IN, cl_handle_message_list, 1, 0),
    ROUTE(MESSAGE_READ, "MessageReadRequest", CL_PERM_LOGGED_IN, cl_handle_message_read, 1, 0),
    /* Patients (domain/patients.c) */
    ROUTE(PATIENT_REGISTER, "PatientRegisterRequest", CL_PERM_PATIENT_WRITE,
          cl_handle_patient_register, 1, 1),
    ROUTE(PATIENT_SEARCH, "PatientSearchRequest", CL_PERM_PATIENT_READ, cl_handle_patient_search, 1,
          1),
    ROUTE(PATIENT_SHOW, "PatientShowRequest", CL_PERM_PATIENT_READ, cl_handle_patient_show, 1, 1),
    ROUTE(PATIENT_EDIT, "PatientEditRequest", CL_PERM_PATIENT_WRITE, cl_handle_patient_edit, 1, 1),
    ROUTE(PATIENT_MERGE, "PatientMergeRequest", CL_PERM_PATIENT_MERGE, cl_handle_patient_merge, 1,
          1),
    ROUTE(PATIENT_UNMERGE, "PatientUnmergeRequest", CL_PERM_PATIENT_MERGE,
          cl_handle_patient_unmerge, 1, 1),
    /* Schedule (domain/schedule.c) */
    ROUTE(PROVIDER_ADD, "ProviderAddRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_provider_add, 1, 0),
    ROUTE(PROVIDER_EDIT, "ProviderEditRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_provider_edit, 1,
          0),
    ROUTE(PROVIDER_LIST, "ProviderListRequest", CL_PERM_SCHEDULE_READ, cl_handle_provider_list, 0,
          0),
    ROUTE(PROVIDER_HOURS_SET, "ProviderHoursSetRequest", CL_PERM_SCHEDULE_SETUP,
          cl_handle_provider_hours_set, 1, 0),
    ROUTE(ROOM_ADD, "RoomAddRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_room_add, 1, 0),
    ROUTE(ROOM_EDIT, "RoomEditRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_room_edit, 1, 0),
    ROUTE(ROOM_LIST, "RoomListRequest", CL_PERM_SCHEDULE_READ, cl_handle_room_list, 0, 0),
    ROUTE(APPOINTMENT_TYPE_ADD, "AppointmentTypeAddRequest", CL_PERM_SCHEDULE_SETUP,
          cl_handle_appointment_type_add, 1, 0),
    ROUTE(APPOINTMENT_TYPE_EDIT, "AppointmentTypeEditRequest", CL_PERM_SCHEDULE_SETUP,
          cl_handle_appointment_type_edit, 1, 0),
    ROUTE(APPOINTMENT_TYPE_LIST, "AppointmentTypeListRequest", CL_PERM_SCHEDULE_READ,
          cl_handle_appointment_type_list, 0, 0),
    ROUTE(CLINIC_HOURS_SET, "ClinicHoursSetRequest", CL_PERM_SCHEDULE_SETUP,
          cl_handle_clinic_hours_set, 1, 0),
    ROUTE(CLINIC_HOURS_LIST, "ClinicHoursListRequest", CL_PERM_SCHEDULE_READ,
          cl_handle_clinic_hours_list, 0, 0),
    ROUTE(HOLIDAY_ADD, "HolidayAddRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_holiday_add, 1, 0),
    ROUTE(HOLIDAY_LIST, "HolidayListRequest", CL_PERM_SCHEDULE_READ, cl_handle_holiday_list, 0, 0),
    ROUTE(HOLIDAY_REMOVE, "HolidayRemoveRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_holiday_remove,
          1, 0),
    ROUTE(BLOCK_ADD, "BlockAddRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_block_add, 1, 0),
    ROUTE(BLOCK_LIST, "BlockListRequest", CL_PERM_SCHEDULE_READ, cl_handle_block_list, 0, 0),
    ROUTE(BLOCK_CANCEL, "BlockCancelRequest", CL_PERM_SCHEDULE_SETUP, cl_handle_block_cancel, 1, 0),
    ROUTE(APPOINTMENT_BOOK, "AppointmentBookRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_book, 1, 1),
    ROUTE(APPOINTMENT_MOVE, "AppointmentMoveRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_move, 1, 1),
    ROUTE(APPOINTMENT_CANCEL, "AppointmentCancelRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_cancel, 1, 1),
    ROUTE(APPOINTMENT_NO_SHOW, "AppointmentNoShowRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_no_show, 1, 1),
    ROUTE(APPOINTMENT_GET, "AppointmentGetRequest", CL_PERM_SCHEDULE_READ,
          cl_handle_appointment_get, 1, 1),
    ROUTE(APPOINTMENT_LIST, "AppointmentListRequest", CL_PERM_SCHEDULE_READ,
          cl_handle_appointment_list, 1, 1),
    ROUTE(APPOINTMENT_SERIES_BOOK, "AppointmentSeriesBookRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_series_book, 1, 1),
    ROUTE(APPOINTMENT_SERIES_CANCEL, "AppointmentSeriesCancelRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_appointment_series_cancel, 1, 1),
    ROUTE(SLOT_FIND, "SlotFindRequest", CL_PERM_SCHEDULE_READ, cl_handle_slot_find, 0, 0),
    ROUTE(WAITLIST_ADD, "WaitlistAddRequest", CL_PERM_SCHEDULE_WRITE, cl_handle_waitlist_add, 1, 1),
    ROUTE(WAITLIST_LIST, "WaitlistListRequest", CL_PERM_SCHEDULE_WRITE, cl_handle_waitlist_list, 1,
          1),
    ROUTE(WAITLIST_REMOVE, "WaitlistRemoveRequest", CL_PERM_SCHEDULE_WRITE,
          cl_handle_waitlist_remove, 1, 1),
    /* Patient flow and the board (domain/flow.c) */
    ROUTE(FLOW_CHECK_IN, "FlowCheckInRequest", CL_PERM_FLOW_FRONT, cl_handle_flow_check_in, 1, 1),
    ROUTE(FLOW_ROOM, "FlowRoomRequest", CL_PERM_FLOW_CLINICAL, cl_handle_flow_room, 1, 1),
    ROUTE(FLOW_VITALS, "FlowVitalsRequest", CL_PERM_FLOW_CLINICAL, cl_handle_flow_vitals, 1, 1),
    ROUTE(FLOW_READY, "FlowReadyRequest", CL_PERM_FLOW_CLINICAL, cl_handle_flow_ready, 1, 1),
    ROUTE(FLOW_START, "FlowStartRequest", CL_PERM_FLOW_CLINICAL, cl_handle_flow_start, 1, 1),
    ROUTE(FLOW_CHECK_OUT, "FlowCheckOutRequest", CL_PERM_FLOW_FRONT, cl_handle_flow_check_out, 1,
          1),
    ROUTE(BOARD_GET, "BoardGetRequest", CL_PERM_SCHEDULE_READ, cl_handle_board_get, 1, 1),
    ROUTE(FLOW_FIGURES, "FlowFiguresRequest", CL_PERM_SCHEDULE_READ, cl_handle_flow_figures, 0, 0),
    ROUTE(FLOW_SHOW, "FlowShowRequest", CL_PERM_SCHEDULE_READ, cl_handle_flow_show, 1, 1),
    /* Staff and credentials (domain/staff.c, staff_credentials.c) */
    ROUTE(STAFF_ADD, "StaffAddRequest", CL_PERM_STAFF_ADMIN, cl_handle_staff_add, 1, 0),
    ROUTE(STAFF_EDIT, "StaffEditRequest", CL_PERM_STAFF_ADMIN, cl_handle_staff_edit, 1, 0),
    ROUTE(STAFF_LIST, "StaffListRequest", CL_PERM_LOGGED_IN, cl_handle_staff_list, 1, 0),
    ROUTE(STAFF_SHOW, "StaffShowRequest", CL_PERM_LOGGED_IN, cl_handle_staff_show, 1, 0),
    ROUTE(STAFF_LEAVE, "StaffLeaveRequest", CL_PERM_STAFF_ADMIN, cl_handle_staff_leave, 1, 0),
    ROUTE(CREDENTIAL_ADD, "CredentialAddRequest", CL_PERM_STAFF_ADMIN, cl_handle_credential_add, 1,
          0),
    ROUTE(CREDENTIAL_RENEW, "CredentialRenewRequest", CL_PERM_STAFF_ADMIN,
          cl_handle_credential_renew, 1, 0),
    ROUTE(CREDENTIAL_REMOVE, "CredentialRemoveRequest", CL_PERM_STAFF_ADMIN,
          cl_handle_credential_remove, 1, 0),
    ROUTE(CREDENTIAL_LIST, "CredentialListRequest", CL_PERM_LOGGED_IN, cl_handle_credential_list, 1,
          0),
    ROUTE(STAFF_DASHBOARD, "StaffDashboardRequest", CL_PERM_LOGGED_IN, cl_handle_staff_dashboard, 1,
          0),
    /* Shifts, desks, templates and swaps (domain/shifts*.c) */
    ROUTE(DESK_ADD, "DeskAddRequest", CL_PERM_SHIFT_SETUP, cl_handle_desk_add, 1, 0),
    ROUTE(DESK_EDIT, "DeskEditRequest", CL_PERM_SHIFT_SETUP, cl_handle_desk_edit, 1, 0),
    ROUTE(DESK_LIST, "DeskListRequest", CL_PERM_LOGGED_IN, cl_handle_desk_list, 0, 0),
    ROUTE(SHIFT_ADD, "ShiftAddRequest", CL_PERM_SHIFT_SETUP, cl_handle_shift_add, 1, 0),
    ROUTE(SHIFT_EDIT, "ShiftEditRequest", CL_PERM_SHIFT_SETUP, cl_handle_shift_edit, 1, 0),
    ROUTE(SHIFT_CANCEL, "ShiftCancelRequest", CL_PERM_SHIFT_SETUP, cl_handle_shift_cancel, 1, 0),
    ROUTE(SHIFT_LIST, "ShiftListRequest", CL_PERM_LOGGED_IN, cl_handle_shift_list, 1, 0),
    ROUTE(SHIFT_TEMPLATE_SET, "ShiftTemplateSetRequest", CL_PERM_SHIFT_SETUP,
          cl_handle_shift_template_set, 1, 0),
    ROUTE(SHIFT_TEMPLATE_LIST, "ShiftTemplateListRequest", CL_PERM_SHIFT_SETUP,
          cl_handle_shift_template_list, 0, 0),
    ROUTE(SHIFT_TEMPLATE_APPLY, "ShiftTemplateApplyRequest", CL_PERM_SHIFT_SETUP,
          cl_handle_shift_template_apply, 1, 0),
    ROUTE(SHIFT_WEEK_PUBLISH, "ShiftWeekPublishRequest", CL_PERM_SHIFT_SETUP,
          cl_handle_shift_week_publish, 1, 0),
    ROUTE(SHIFT_COVERAGE, "ShiftCoverageRequest", CL_PERM_LOGGED_IN, cl_handle_shift_coverage, 0,
          0),
    ROUTE(SWAP_PROPOSE, "SwapProposeRequest", CL_PERM_LOGGED_IN, cl_handle_swap_propose, 1, 0),
    ROUTE(SWAP_RESPOND, "SwapRespondRequest", CL_PERM_LOGGED_IN, cl_handle_swap_respond, 1, 0),
    ROUTE(SWAP_LIST, "SwapListRequest", CL_PERM_LOGGED_IN, cl_handle_swap_list, 1, 0),
    /* The time clock and timesheets (domain/timeclock.c) */
    /* Clock writes are always one's own; reads check self, reports or manager in the handler
     * (cl_staff_access) and are audited, hence write. */
    ROUTE(CLOCK_IN, "ClockInRequest", CL_PERM_LOGGED_IN, cl_handle_clock_in, 1, 0),
    ROUTE(CLOCK_OUT, "ClockOutRequest", CL_PERM_LOGGED_IN, cl_handle_clock_out, 1, 0),
    ROUTE(CLOCK_BREAK_START, "ClockBreakStartRequest", CL_PERM_LOGGED_IN,
          cl_handle_clock_break_start, 1, 0),
    ROUTE(CLOCK_BREAK_END, "ClockBreakEndRequest", CL_PERM_LOGGED_IN, cl_handle_clock_break_end, 1,
          0),
    ROUTE(CLOCK_STATUS, "ClockStatusRequest", CL_PERM_LOGGED_IN, cl_handle_clock_status, 1, 0),
    ROUTE(PUNCH_LIST, "PunchListRequest", CL_PERM_LOGGED_IN, cl_handle_punch_list, 1, 0),
    ROUTE(PUNCH_CORRECTION_FILE, "PunchCorrectionFileRequest", CL_PERM_LOGGED_IN,
          cl_handle_punch_correction_file, 1, 0),
    ROUTE(TIMESHEET_SHOW, "TimesheetShowRequest", CL_PERM_LOGGED_IN, cl_handle_timesheet_show, 1,
          0),
    ROUTE(TIMESHEET_EXPORT, "TimesheetExportRequest", CL_PERM_PAYROLL, cl_handle_timesheet_export,
          1, 0),
    ROUTE(PAY_POLICY_GET, "PayPolicyGetRequest", CL_PERM_LOGGED_IN, cl_handle_pay_policy_get, 0, 0),
    ROUTE(PAY_POLICY_SET, "PayPolicySetRequest", CL_PERM_PAYROLL, cl_handle_pay_policy_set, 1, 0),
    /* Requests and approvals (domain/approvals.c) */
    ROUTE(TIME_OFF_FILE, "TimeOffFileRequest", CL_PERM_LOGGED_IN, cl_handle_time_off_file, 1, 0),
    ROUTE(EXPENSE_FILE, "ExpenseFileRequest", CL_PERM_LOGGED_IN, cl_handle_expense_file, 1, 0),
    ROUTE(OVERTIME_FILE, "OvertimeFileRequest", CL_PERM_LOGGED_IN, cl_handle_overtime_file, 1, 0),
    ROUTE(STAFF_REQUEST_LIST, "StaffRequestListRequest", CL_PERM_LOGGED_IN,
          cl_handle_staff_request_list, 1, 0),
    ROUTE(STAFF_REQUEST_SHOW, "StaffRequestShowRequest", CL_PERM_LOGGED_IN,
          cl_handle_staff_request_show, 1, 0),
    ROUTE(STAFF_REQUEST_WITHDRAW, "StaffRequestWithdrawRequest", CL_PERM_LOGGED_IN,
          cl_handle_staff_request_withdraw, 1, 0),
    ROUTE(STAFF_REQUEST_DECIDE, "StaffRequestDecideRequest", CL_PERM_LOGGED_IN,
          cl_handle_staff_request_decide, 1, 0),
    ROUTE(STAFF_REQUEST_CANCEL, "StaffRequestCancelRequest", CL_PERM_LOGGED_IN,
          cl_handle_staff_request_cancel, 1, 0),
    ROUTE(APPROVALS_SUMMARY, "ApprovalsSummaryRequest", CL_PERM_LOGGED_IN,
          cl_handle_approvals_summary, 1, 0),
    ROUTE(TIME_OFF_BALANCE_SHOW, "TimeOffBalanceShowRequest", CL_PERM_LOGGED_IN,
          cl_handle_time_off_balance_show, 1, 0),
    ROUTE(TIME_OFF_BALANCE_ADJUST, "TimeOffBalanceAdjustRequest", CL_PERM_PAYROLL,
          cl_handle_time_off_balance_adjust, 1, 0),
    ROUTE(ACCRUAL_POLICY_GET, "AccrualPolicyGetRequest", CL_PERM_LOGGED_IN,
          cl_handle_accrual_policy_get, 0, 0),
    ROUTE(ACCRUAL_POLICY_SET, "AccrualPolicySetRequest", CL_PERM_PAYROLL,
          cl_handle_accrual_policy_set, 1, 0),
};

const cl_route_t *cl_dispatch_routes(size_t *n)
{
    *n = CL_ARRAY_SIZE(routes);
    return routes;
}

const cl_route_t *cl_dispatch_route(Clinic__Request__BodyCase kind)
{
    for (size_t i = 0; i < CL_ARRAY_SIZE(routes); i++)
        if (routes[i].kind == kind)
            return &routes[i];
    return NULL;
}

int cl_dispatch_check(const cl_route_t *route, const cl_identity_t *who)
{
    if (route->perm == CL_PERM_NONE)
        return 0;
    if (who->user_id == 0)
        return CL_EUNAUTH;
    return cl_auth_allowed(who->roles, route->perm) ? 0 : CL_EPERM;
}

/* Sends a reply with only a status. */
/* Answers request `id` with `status` and `message`, naming the request's `field` when not NULL
 * (as a handler's cl_job_fail does). */
static void reply_status_on(cl_sconn_t *sc, uint64_t id, int status, const char *field,
                            const char *message)
{
    Clinic__Status st = CLINIC__STATUS__INIT;
    st.code = cl_status_code(status);
    st.message = (char *)(message ? message : cl_status_message(status));
    Clinic__FieldError fe = CLINIC__FIELD_ERROR__INIT, *fields[1] = {&fe};
    if (field != NULL) {
        fe.field = (char *)field;
        fe.message = st.message;
        st.fields = fields;
        st.n_fields = 1;
    }
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.status = &st;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = id;
    env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
    env.response = &resp;
    cl_net_send(sc, &env);
}

static void reply_status(cl_sconn_t *sc, uint64_t id, int status, const char *message)
{
    reply_status_on(sc, id, status, NULL, message);
}

static void reply_ok(cl_sconn_t *sc, uint64_t id, Clinic__Response *resp)
{
    Clinic__Status st = CLINIC__STATUS__INIT;
    resp->status = &st;
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.id = id;
    env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
    env.response = resp;
    cl_net_send(sc, &env);
}

static void answer_hello(cl_sconn_t *sc, uint64_t id, const Clinic__HelloRequest *hello)
{
    if (sc->hello) {
        reply_status(sc, id, CL_EPRECOND, "Hello was already said on this connection");
        return;
    }
    if (hello->protocol_version != 1) {
        char msg[128];
        snprintf(msg, sizeof(msg), "protocol version %u is not supported; this server speaks 1",
                 hello->protocol_version);
        reply_status(sc, id, CL_EPRECOND, msg);
        return;
    }
    sc->hello = 1;
    cl_debug("%s: hello from %.64s %.32s", sc->who.address, hello->client_name,
             hello->client_version);
    Clinic__HelloReply r = CLINIC__HELLO_REPLY__INIT;
    r.protocol_version = 1;
    r.server_version = CLINIC_VERSION;
    r.clinic_name = sc->srv->cfg.clinic_name;
    r.server_time = cl_now();
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.result_case = CLINIC__RESPONSE__RESULT_HELLO;
    resp.hello = &r;
    reply_ok(sc, id, &resp);
}

static void answer_ping(cl_sconn_t *sc, uint64_t id)
{
    Clinic__PingReply r = CLINIC__PING_REPLY__INIT;
    r.server_time = cl_now();
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.result_case = CLINIC__RESPONSE__RESULT_PING;
    resp.ping = &r;
    reply_ok(sc, id, &resp);
}

static void answer_unsubscribe(cl_sconn_t *sc, uint64_t id, const Clinic__UnsubscribeRequest *u)
{
    uint32_t bits = 0;
    for (size_t i = 0; i < u->n_topics; i++) {
        int t = cl_topic_find(u->topics[i]);
        if (t < 0) {
            char msg[128];
            snprintf(msg, sizeof(msg), "topics: no topic named \"%.64s\"", u->topics[i]);
            reply_status_on(sc, id, CL_EINVAL, "topics", msg);
            return;
        }
        bits |= 1u << t;
    }
    sc->subs &= u->n_topics ? ~bits : 0;
    Clinic__UnsubscribeReply r = CLINIC__UNSUBSCRIBE_REPLY__INIT;
    Clinic__Response resp = CLINIC__RESPONSE__INIT;
    resp.result_case = CLINIC__RESPONSE__RESULT_UNSUBSCRIBE;
    resp.unsubscribe = &r;
    reply_ok(sc, id, &resp);
}

static void push_session_end(cl_sconn_t *sc);

/* Requests whose handlers only read and append audit rows, so that a reader thread may run
 * them (store.h). tests/integration/test_readers.c runs search and show on readers, and
 * test_flow_live.c (served with readers) the board and the appointment reads. */
static int reads_only(Clinic__Request__BodyCase kind)
{
    switch (kind) {
    case CLINIC__REQUEST__BODY_PATIENT_SEARCH:
    case CLINIC__REQUEST__BODY_PATIENT_SHOW:
    case CLINIC__REQUEST__BODY_APPOINTMENT_GET:
    case CLINIC__REQUEST__BODY_APPOINTMENT_LIST:
    case CLINIC__REQUEST__BODY_BOARD_GET:
        return 1;
    default:
        return 0;
    }
}

static void submit(cl_server_t *srv, cl_job_t *job)
{
    cl_sconn_t *sc = job->owner;
    if (sc) {
        /* A read goes to a reader only when every earlier request of this connection still in
         * flight is one too: a read sent behind a write must see that write. */
        const cl_route_t *route = job->route;
        job->on_reader = route && reads_only(route->kind) && sc->in_flight == sc->reads_in_flight;
        sc->in_flight++;
        sc->reads_in_flight += (uint32_t)job->on_reader;
    }
    cl_net_submit(srv, job);
}

void cl_dispatch_expire(cl_sconn_t *sc)
{
    /* Delete the session row too, so that its token cannot be resumed elsewhere. */
    cl_job_t *job = cl_job_new();
    job->handler = cl_handle_logout;
    job->who = sc->who;
    job->write = 1;
    submit(sc->srv, job);
    push_session_end(sc);
}

cl_admit_t cl_dispatch_admit(const uint8_t *payload, size_t len, int hello,
                             const cl_identity_t *who, Clinic__Envelope **envp,
                             const cl_route_t **routep, int *status, char *msg, size_t msglen)
{
    *envp = NULL;
    *routep = NULL;
    *status = 0;
    msg[0] = '\0';
    Clinic__Envelope *env = clinic__envelope__unpack(NULL, len, payload);
    if (env == NULL) {
        snprintf(msg, msglen, "the frame does not decode as a clinic.Envelope");
        return CL_ADMIT_CLOSE;
    }
    if (env->body_case != CLINIC__ENVELOPE__BODY_REQUEST || env->request == NULL) {
        clinic__envelope__free_unpacked(env, NULL);
        snprintf(msg, msglen, "wrong direction: a client sends only requests");
        return CL_ADMIT_CLOSE;
    }
    *envp = env;
    const Clinic__Request *req = env->request;
    const cl_route_t *route = cl_dispatch_route(req->body_case);
    if (route == NULL) {
        if (req->base.n_unknown_fields > 0)
            snprintf(msg, msglen, "unknown request kind (field %u): this server is %s",
                     req->base.unknown_fields[0].tag, CLINIC_VERSION);
        else
            snprintf(msg, msglen, "the request carries no request kind");
        *status = CL_EINVAL;
        return CL_ADMIT_REPLY;
    }
    *routep = route;
    if (!hello && route->kind != CLINIC__REQUEST__BODY_HELLO) {
        snprintf(msg, msglen, "send HelloRequest first, then %s", route->name);
        *status = CL_EPRECOND;
        return CL_ADMIT_REPLY;
    }
    int rc = cl_dispatch_check(route, who);
    if (rc == CL_EUNAUTH) {
        snprintf(msg, msglen, "%s needs a login: send LoginRequest or ResumeRequest", route->name);
        *status = rc;
        return CL_ADMIT_REPLY;
    }
    if (rc == CL_EPERM) {
        char roles[128];
        cl_roles_format(who->roles, roles, sizeof(roles));
        snprintf(msg, msglen, "%s needs the %s permission; your roles: %s", route->name,
                 cl_perm_name(route->perm), roles);
        *status = rc;
        return CL_ADMIT_REPLY;
    }
    return CL_ADMIT_OK;
}

void cl_dispatch_frame(cl_sconn_t *sc, const uint8_t *payload, size_t len)
{
    cl_server_t *srv = sc->srv;
    Clinic__Envelope *env;
    const cl_route_t *route;
    int status;
    char msg[256];
    cl_admit_t admit = cl_dispatch_admit(payload, len, sc->hello, &sc->who, &env, &route, &status,
                                         msg, sizeof(msg));
    if (admit == CL_ADMIT_CLOSE) {
        cl_net_protocol_error(sc, msg);
        return;
    }
    srv->requests++;
    uint64_t id = env->id;
    Clinic__Request *req = env->request;
    if (admit == CL_ADMIT_REPLY) {
        reply_status(sc, id, status, msg);
        goto out;
    }
    if (srv->draining) {
        reply_status(sc, id, CL_EUNAVAIL, "the server is shutting down");
        goto out;
    }
    uint64_t now = cl_net_now_ms(srv);
    if (route->perm != CL_PERM_NONE) {
        if (now - sc->last_activity_ms >= (uint64_t)cl_policy.idle_logoff_s * 1000) {
            snprintf(msg, sizeof(msg), "session expired after %lld seconds idle; log in again",
                     (long long)cl_policy.idle_logoff_s);
            cl_dispatch_expire(sc);
            reply_status(sc, id, CL_EEXPIRED, msg);
            goto out;
        }
        sc->last_activity_ms = now;
    }
    switch (route->kind) {
    case CLINIC__REQUEST__BODY_HELLO:
        answer_hello(sc, id, req->hello);
        goto out;
    case CLINIC__REQUEST__BODY_PING:
        answer_ping(sc, id);
        goto out;
    case CLINIC__REQUEST__BODY_UNSUBSCRIBE:
        answer_unsubscribe(sc, id, req->unsubscribe);
        goto out;
    case CLINIC__REQUEST__BODY_LOGIN:
        if (!cl_net_login_allowed(sc)) {
            reply_status(sc, id, CL_EEXHAUSTED,
                         "too many login attempts from this address; wait a minute");
            goto out;
        }
        break;
    default:
        break;
    }

    cl_job_t *job = cl_job_new();
    job->handler = route->handler;
    job->req = req;
    job->envelope = env;
    job->route = route;
    job->who = sc->who;
    job->write = route->write;
    job->owner = sc;
    job->envelope_id = id;
    if (route->perm != CL_PERM_NONE && sc->who.session_id) {
        job->needs_session = 1;
        if (now - sc->touched_ms >= 60000) {
            job->touch_session = 1;
            job->write = 1;
            sc->touched_ms = now;
        }
    }
    submit(srv, job);
    if (sc->in_flight >= srv->cfg.max_in_flight)
        cl_conn_pause(&sc->conn); /* backpressure: read no more until replies go out */
    return;
out:
    clinic__envelope__free_unpacked(env, NULL);
}

/* Password hashing on the libuv thread pool, never on the loop. */
typedef struct {
    uv_work_t req;
    cl_job_t *job;
    cl_server_t *srv;
} password_work_t;

static void do_password_work(uv_work_t *req)
{
    password_work_t *w = cl_container_of(req, password_work_t, req);
    cl_password_work_t *pw = &w->job->pw;
    if (pw->verify)
        pw->verified = cl_auth_verify_password(pw->verify, pw->stored);
    if (pw->hash && cl_auth_hash_password(pw->hash, pw->hashed) != 0)
        pw->hashed[0] = '\0';
}

static void after_password_work(uv_work_t *req, int status)
{
    (void)status;
    password_work_t *w = cl_container_of(req, password_work_t, req);
    cl_job_t *job = w->job;
    cl_server_t *srv = w->srv;
    free(w);
    if (srv->store == NULL) { /* the drain gave up waiting and the store has stopped */
        cl_job_fail(job, CL_EUNAVAIL, NULL, "the server is shutting down");
        job->status = CL_EUNAVAIL;
        cl_dispatch_done(job, srv);
        return;
    }
    job->stage++;
    cl_store_submit(srv->store, job); /* in_flight still counts it */
}

static void fill_server_status(cl_server_t *srv, Clinic__ServerStatusReply *r)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->connections = srv->nconns;
    r->requests = srv->requests;
    r->started_at = srv->started_at;
    r->uptime_s = cl_now() - srv->started_at;
    r->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    r->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long size, resident;
        if (fscanf(f, "%lu %lu", &size, &resident) == 2)
            r->current_rss_bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    cl_store_stats_t st;
    cl_store_stats(srv->store, &st);
    r->commits = st.commits;
    r->committed_requests = st.committed_jobs;
    if (st.change_seq > r->change_seq)
        r->change_seq = st.change_seq;
}

/* What the loop learns from a finished job about its connection. */
static void apply_to_connection(cl_sconn_t *sc, cl_job_t *job)
{
    const cl_route_t *route = job->route;
    if (job->status == CL_EUNAUTH && job->needs_session) {
        cl_net_end_session(
            sc); /* the session row is gone: disabled user, or logged out elsewhere */
        return;
    }
    if (job->status != 0 || route == NULL)
        return;
    switch (route->kind) {
    case CLINIC__REQUEST__BODY_LOGIN:
    case CLINIC__REQUEST__BODY_RESUME: {
        cl_net_set_identity(sc, &job->new_who);
        sc->last_activity_ms = sc->touched_ms = cl_net_now_ms(sc->srv);
        cl_info("%s: %s %s from workstation \"%s\"", sc->who.address,
                route->kind == CLINIC__REQUEST__BODY_LOGIN ? "login" : "resume", sc->who.username,
                sc->who.workstation);
        break;
    }
    case CLINIC__REQUEST__BODY_LOGOUT:
        cl_net_end_session(sc);
        break;
    case CLINIC__REQUEST__BODY_SUBSCRIBE: {
        const Clinic__SubscribeRequest *s = job->req->subscribe;
        for (size_t i = 0; i < s->n_topics; i++) {
            int t = cl_topic_find(s->topics[i]);
            if (t >= 0)
                sc->subs |= 1u << t;
        }
        if (job->resp.subscribe && job->resp.subscribe->current_seq > sc->sub_from_seq)
            sc->sub_from_seq = job->resp.subscribe->current_seq;
        break;
    }
    case CLINIC__REQUEST__BODY_SERVER_STATUS:
        if (job->resp.server_status)
            fill_server_status(sc->srv, job->resp.server_status);
        break;
    default:
        break;
    }
}

/* Tells the connection its session is over (seq 0 notice) and forgets it. */
static void push_session_end(cl_sconn_t *sc)
{
    Clinic__Event ev = CLINIC__EVENT__INIT;
    ev.session_expired = 1;
    ev.time = cl_now();
    ev.topic = "session";
    Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
    env.body_case = CLINIC__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    cl_net_send(sc, &env);
    cl_net_end_session(sc);
}

/* A user's roles changed, the user was disabled, or a session logged out: every live connection
 * concerned learns it now, not at its next request. */
static void apply_to_user(cl_server_t *srv, const cl_job_t *job)
{
    const Clinic__User *u = NULL;
    const cl_route_t *route = job->route;
    if (job->status != 0 || route == NULL)
        return;
    if (route->kind == CLINIC__REQUEST__BODY_LOGOUT) {
        /* The same token may be in use on other connections (a watch beside the CLI). */
        for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next)
            if (sc->who.session_id == job->who.session_id && sc != job->owner && !sc->conn.closing)
                push_session_end(sc);
        return;
    }
    if (route->kind == CLINIC__REQUEST__BODY_USER_ROLES && job->resp.user_roles)
        u = job->resp.user_roles->user;
    else if (route->kind == CLINIC__REQUEST__BODY_USER_DISABLE && job->resp.user_disable)
        u = job->resp.user_disable->user;
    if (u == NULL)
        return;
    uint32_t roles = 0;
    for (size_t i = 0; i < u->n_roles; i++)
        roles |= cl_role_from_name(u->roles[i]);
    for (cl_sconn_t *sc = srv->conns; sc; sc = sc->next) {
        if (sc->who.user_id != (int64_t)u->id || sc->conn.closing)
            continue;
        if (u->disabled)
            push_session_end(sc);
        else
            sc->who.roles = roles;
    }
}

void cl_dispatch_done(cl_job_t *job, void *arg)
{
    cl_server_t *srv = arg;
    cl_sconn_t *sc = job->owner;
    /* Changes were committed whether or not their requester is still connected, and each
     * stage of a job reports the changes of its own commit. */
    for (const cl_change_t *ch = job->changes; ch; ch = ch->next)
        cl_net_fan_out(srv, ch);
    if (job->status == CL_STEP_PASSWORD) {
        password_work_t *w = cl_calloc(1, sizeof(*w));
        w->job = job;
        w->srv = srv;
        uv_queue_work(srv->loop, &w->req, do_password_work, after_password_work);
        return;
    }
    apply_to_user(srv, job);
    /* The server's own failures are logged; a client's mistakes are only answered. */
    Clinic__Code code = cl_status_code(job->status);
    if (job->status != 0 && (code == CLINIC__CODE__UNAVAILABLE || code == CLINIC__CODE__INTERNAL))
        cl_warn("%s %s: %s: %s", sc ? sc->who.address : "internal",
                job->route ? ((const cl_route_t *)job->route)->name : "job",
                cl_status_name(job->status),
                job->resp.status && job->resp.status->message ? job->resp.status->message : "");
    if (sc && !sc->closed) {
        apply_to_connection(sc, job);
        Clinic__Envelope env = CLINIC__ENVELOPE__INIT;
        env.id = job->envelope_id;
        env.body_case = CLINIC__ENVELOPE__BODY_RESPONSE;
        env.response = &job->resp;
        cl_net_send(sc, &env);
    }
    if (job->envelope)
        clinic__envelope__free_unpacked(job->envelope, NULL);
    if (sc)
        sc->reads_in_flight -= (uint32_t)job->on_reader;
    cl_job_free(job);
    if (sc)
        cl_net_job_done(sc);
}
