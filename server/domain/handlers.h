/* Every request handler the dispatch table (server/dispatch.c) names. Each runs on the store
 * thread inside its job's SAVEPOINT (see cl_handler_fn in store.h): it validates job->req's
 * fields (CL_EINVAL naming the field, via cl_job_fail), checks what only the data can tell
 * (ownership, versions: CL_ECONFLICT for a stale version), writes, appends its audit row and its
 * changes, and fills job->resp's result from job->arena. Permissions by role were already
 * checked by the dispatcher; job->who is the logged-in user. */
#ifndef CL_HANDLERS_H
#define CL_HANDLERS_H

#include "store.h"

/* domain/session.c */
int cl_handle_login(cl_tx_t *tx, cl_job_t *job);
int cl_handle_resume(cl_tx_t *tx, cl_job_t *job);
int cl_handle_logout(cl_tx_t *tx, cl_job_t *job);
int cl_handle_whoami(cl_tx_t *tx, cl_job_t *job);
int cl_handle_password_change(cl_tx_t *tx, cl_job_t *job);

/* domain/users.c */
int cl_handle_user_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_user_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_user_roles(cl_tx_t *tx, cl_job_t *job);
int cl_handle_user_disable(cl_tx_t *tx, cl_job_t *job);

/* domain/messages.c */
int cl_handle_message_send(cl_tx_t *tx, cl_job_t *job);
int cl_handle_message_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_message_read(cl_tx_t *tx, cl_job_t *job);

/* domain/admin.c */
int cl_handle_audit_query(cl_tx_t *tx, cl_job_t *job);
int cl_handle_server_status(cl_tx_t *tx, cl_job_t *job);

/* domain/live.c: replay for SubscribeRequest (the loop registers the subscription after). */
int cl_handle_subscribe(cl_tx_t *tx, cl_job_t *job);

/* domain/patients.c */
int cl_handle_patient_register(cl_tx_t *tx, cl_job_t *job);
int cl_handle_patient_search(cl_tx_t *tx, cl_job_t *job);
int cl_handle_patient_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_patient_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_patient_merge(cl_tx_t *tx, cl_job_t *job);
int cl_handle_patient_unmerge(cl_tx_t *tx, cl_job_t *job);

/* domain/schedule.c */
/* (providers, rooms, types: schedule.c; clinic hours, holidays, blocks: schedule_hours.c;
 * appointments and series: schedule_appt.c; open slots: schedule_slots.c; the waitlist:
 * schedule_waitlist.c; SQL: schedule_db.c) */
int cl_handle_provider_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_provider_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_provider_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_provider_hours_set(cl_tx_t *tx, cl_job_t *job);
int cl_handle_room_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_room_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_room_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_type_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_type_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_type_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clinic_hours_set(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clinic_hours_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_holiday_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_holiday_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_holiday_remove(cl_tx_t *tx, cl_job_t *job);
int cl_handle_block_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_block_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_block_cancel(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_book(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_move(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_cancel(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_no_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_get(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_series_book(cl_tx_t *tx, cl_job_t *job);
int cl_handle_appointment_series_cancel(cl_tx_t *tx, cl_job_t *job);
int cl_handle_slot_find(cl_tx_t *tx, cl_job_t *job);
int cl_handle_waitlist_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_waitlist_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_waitlist_remove(cl_tx_t *tx, cl_job_t *job);

/* domain/flow.c */
int cl_handle_flow_check_in(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_room(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_vitals(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_ready(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_start(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_check_out(cl_tx_t *tx, cl_job_t *job);
int cl_handle_board_get(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_figures(cl_tx_t *tx, cl_job_t *job);
int cl_handle_flow_show(cl_tx_t *tx, cl_job_t *job);

/* domain/staff.c, staff_credentials.c (staff and credentials) */
int cl_handle_staff_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_leave(cl_tx_t *tx, cl_job_t *job);
int cl_handle_credential_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_credential_renew(cl_tx_t *tx, cl_job_t *job);
int cl_handle_credential_remove(cl_tx_t *tx, cl_job_t *job);
int cl_handle_credential_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_dashboard(cl_tx_t *tx, cl_job_t *job);
/* The server's own job (no connection, no request): warns once for each credential entering its
 * 30-day window. cl_staff_expiry_job makes one (as "clinicd"); cl_staff_expiry_tick, called by
 * the loop's sweep timer (net.c), submits one at the first call and then hourly. */
int cl_handle_staff_expiry_check(cl_tx_t *tx, cl_job_t *job);
cl_job_t *cl_staff_expiry_job(void);
void cl_staff_expiry_tick(cl_store_t *store, uint64_t now_ms);

/* domain/shifts*.c (shifts, desks, templates, swaps) */
int cl_handle_desk_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_desk_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_desk_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_add(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_edit(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_cancel(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_template_set(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_template_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_template_apply(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_week_publish(cl_tx_t *tx, cl_job_t *job);
int cl_handle_shift_coverage(cl_tx_t *tx, cl_job_t *job);
int cl_handle_swap_propose(cl_tx_t *tx, cl_job_t *job);
int cl_handle_swap_respond(cl_tx_t *tx, cl_job_t *job);
int cl_handle_swap_list(cl_tx_t *tx, cl_job_t *job);

/* domain/timeclock.c (the time clock and timesheets) */
int cl_handle_clock_in(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clock_out(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clock_break_start(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clock_break_end(cl_tx_t *tx, cl_job_t *job);
int cl_handle_clock_status(cl_tx_t *tx, cl_job_t *job);
int cl_handle_punch_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_punch_correction_file(cl_tx_t *tx, cl_job_t *job);
int cl_handle_pay_policy_get(cl_tx_t *tx, cl_job_t *job);
int cl_handle_pay_policy_set(cl_tx_t *tx, cl_job_t *job);
/* domain/timeclock_sheet.c */
int cl_handle_timesheet_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_timesheet_export(cl_tx_t *tx, cl_job_t *job);

/* domain/approvals.c (requests and approvals, time off, balances) */
int cl_handle_time_off_file(cl_tx_t *tx, cl_job_t *job);
int cl_handle_expense_file(cl_tx_t *tx, cl_job_t *job);
int cl_handle_overtime_file(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_request_list(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_request_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_request_withdraw(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_request_cancel(cl_tx_t *tx, cl_job_t *job);
int cl_handle_staff_request_decide(cl_tx_t *tx, cl_job_t *job);
int cl_handle_approvals_summary(cl_tx_t *tx, cl_job_t *job);
int cl_handle_time_off_balance_show(cl_tx_t *tx, cl_job_t *job);
int cl_handle_time_off_balance_adjust(cl_tx_t *tx, cl_job_t *job);
int cl_handle_accrual_policy_get(cl_tx_t *tx, cl_job_t *job);
int cl_handle_accrual_policy_set(cl_tx_t *tx, cl_job_t *job);

#endif
