/* Logging: one line per event to stderr, with UTC time and level. Never log a password or token. */
#ifndef CL_LOG_H
#define CL_LOG_H

typedef enum { CL_LOG_DEBUG, CL_LOG_INFO, CL_LOG_WARN, CL_LOG_ERROR } cl_log_level_t;

/* Lines below `level` are dropped. Default CL_LOG_INFO; the environment CLINIC_LOG=debug lowers it. */
void cl_log_set_level(cl_log_level_t level);
/* Sets the program name printed on every line ("clinicd"). `name` is borrowed and must outlive logging. */
void cl_log_set_name(const char *name);
void cl_log(cl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cl_debug(...) cl_log(CL_LOG_DEBUG, __VA_ARGS__)
#define cl_info(...) cl_log(CL_LOG_INFO, __VA_ARGS__)
#define cl_warn(...) cl_log(CL_LOG_WARN, __VA_ARGS__)
#define cl_error(...) cl_log(CL_LOG_ERROR, __VA_ARGS__)

#endif
