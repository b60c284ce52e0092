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

/* domain/schedule.c */

/* domain/flow.c */

#endif
