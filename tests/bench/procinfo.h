/* procinfo.h: what /proc says about another process (the server under
 * test): memory from /proc/PID/status, open descriptors from
 * /proc/PID/fd, CPU time and children from /proc/PID/stat. Shared by the
 * benchmark and the soak. */
#ifndef AG_TEST_PROCINFO_H
#define AG_TEST_PROCINFO_H

#include <sys/types.h>

/* The kB value of a /proc/PID/status line such as "VmRSS" or "VmHWM";
 * -1 when it cannot be read. */
long proc_status_kb(pid_t pid, const char *key);
/* How many descriptors pid has open; -1 when it cannot be read. */
long proc_open_fds(pid_t pid);
/* The CPU time pid has used (user + system) in microseconds, at the
 * kernel's tick resolution; -1 when it cannot be read. */
long long proc_cpu_us(pid_t pid);
/* Fills out with up to max pids of parent's children (e.g. the server's
 * photo decoders); returns how many. */
int proc_children(pid_t parent, pid_t *out, int max);
/* The sum of a /proc/PID/status value over parent's children, how many
 * in *count. */
long proc_children_status_kb(pid_t parent, const char *key, int *count);

#endif
