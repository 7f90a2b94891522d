/* rec_server.h: ansigramd as the recovery tests need it: started on a
 * fresh directory with fault points armed, watched until a fault point
 * kills it, and started again on the same directory (same database, same
 * ipc sockets) without them. The server is this process's own child, so
 * its exit status is ours to read. struct h_server is the harness's, so
 * h_use_server() points the harness's helpers at it. */
#ifndef AG_TEST_REC_SERVER_H
#define AG_TEST_REC_SERVER_H

#include <stdbool.h>

#include "harness.h"

/* Starts $ANSIGRAMD with ANSIGRAM_FAULTS=faults (NULL: none) on a fresh
 * directory, waits until server.ping answers and makes it the current
 * server (h_use_server). Asserts that it comes up. */
void rec_start(struct h_server *s, const char *faults);
/* The same on s's directory, after the previous process has exited. */
void rec_restart(struct h_server *s, const char *faults);
/* Waits up to timeout_ms for the server to exit by itself; returns its
 * exit status (128+N after signal N), or -1 when it is still running. */
int rec_wait_exit(struct h_server *s, int timeout_ms);
/* Stops the server with SIGTERM and asserts a clean exit. */
void rec_stop(struct h_server *s);
/* rec_stop, then removes the directory: the end of a test. */
void rec_done(struct h_server *s);
/* Kills the server with SIGKILL and reaps it (asserting it goes within
 * the stop deadline): a crash at a moment the caller picks. */
void rec_kill(struct h_server *s);
/* Kills the server if it still runs, then removes the directory: the end
 * of a test that judges shutdown elsewhere (or not at all). */
void rec_discard(struct h_server *s);
/* The suite's .fini: kills a server a failed test left running (keeping
 * its directory and printing its log), then h_test_fini(). */
void rec_test_fini(void);

#endif
