/* worker.h: runs the protocol client's blocking calls on a thread of their
 * own, so the interface never waits on the network. Jobs go in through a
 * queue; finished jobs come back through a pipe whose read end sits in
 * the main loop's poll(). */
#ifndef TUI_WORKER_H
#define TUI_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* One request and, once done, its reply. The model fills the context
 * fields (kind, handle, gen, a, b, text) to know what the reply is for. */
struct job {
	struct job *next;
	char op[40];
	char *args;            /* one packed map, or NULL */
	size_t args_len;
	char idem[40];         /* "" for none */
	char *auth;            /* token sent with the call, or NULL */
	int kind;
	uint64_t handle;
	unsigned gen;
	int64_t a, b;
	char *text;
	int64_t started_ms;    /* monotonic, when submitted */
	int rv;                /* 0: reply holds the answer; else an nng error */
	struct ag_reply reply;
};

/* Builds a job for op with args from a format like ag_client_callf's:
 * space-separated "name:T", T one of s (string, NULL packs nil), i
 * (int64_t), b (int as bool). An empty or NULL format sends no args. */
struct job *job_new(const char *op, const char *fmt, ...);
void job_free(struct job *j);
/* Gives a saga-backed job a fresh random idempotency key, so a resent
 * request runs at most once. */
void job_set_idem(struct job *j);
/* A fresh random idempotency key (32 hex digits; "" if none could be had). */
void idem_new(char out[40]);

struct worker;

/* Starts the thread; it owns c from now on. Returns 0 or -1. */
int worker_start(struct worker **out, struct ag_client *c);
void worker_submit(struct worker *w, struct job *j);
/* The read end of the completion pipe, for poll(). */
int worker_fd(const struct worker *w);
/* A finished job, or NULL when none is waiting. Drains the pipe. */
struct job *worker_take(struct worker *w);
/* When the oldest job not yet answered was submitted (monotonic ms), or
 * 0 when the worker is idle. */
int64_t worker_oldest_ms(struct worker *w);
/* Stops the thread. A call still in flight is abandoned (the process is
 * about to exit); otherwise the thread is joined and the client closed. */
void worker_stop(struct worker *w);

#endif
