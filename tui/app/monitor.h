/* monitor.h: watches whether the server is reachable, without polling. An
 * idle REQ socket dials the server; nng's pipe events (connected, lost)
 * are written to a pipe that the main loop polls, so a server restart is
 * noticed at once even when nobody is typing. */
#ifndef TUI_MONITOR_H
#define TUI_MONITOR_H

#include "dial.h"

struct monitor;

/* Starts watching url (tls: checks for a tls+tcp:// server, or NULL).
 * 0 or nng error. */
int monitor_open(struct monitor **out, const char *url, const struct ag_tls *tls);
int monitor_fd(const struct monitor *mon);
/* Reads what happened since the last call: 1 when the latest event is
 * "connected", 0 "lost", -1 nothing new. */
int monitor_read(struct monitor *mon);
void monitor_close(struct monitor *mon);

#endif
