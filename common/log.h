/* log.h: levelled, thread-safe logging to stderr. */
#ifndef AG_LOG_H
#define AG_LOG_H

enum ag_log_level { AG_LOG_DEBUG, AG_LOG_INFO, AG_LOG_WARN, AG_LOG_ERROR };

void ag_log_set_level(enum ag_log_level level);
/* Parses "debug", "info", "warn" or "error"; returns -1 otherwise. */
int ag_log_parse_level(const char *name);
void ag_log(enum ag_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ag_debug(...) ag_log(AG_LOG_DEBUG, __VA_ARGS__)
#define ag_info(...) ag_log(AG_LOG_INFO, __VA_ARGS__)
#define ag_warn(...) ag_log(AG_LOG_WARN, __VA_ARGS__)
#define ag_error(...) ag_log(AG_LOG_ERROR, __VA_ARGS__)

#endif
