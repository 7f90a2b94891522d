/* worker.h: runs the protocol client's blocking calls on a thread of their
 * own, so the interface never waits on the network. Jobs go in through a
 * queue; finished jobs come back through a pipe whose read end sits in
 * the main loop's poll(). */
#ifndef TUI_WORKER_H
#define TUI_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

struct job;
struct model;

/* One request and, once done, its reply. The request is built and checked
 * with the protocol's request builder; done and ctx say what the reply is
 * for, beside the intent that sent it. */
struct job {
	struct job *next;
	struct ag_req req;     /* op and args */
	bool refused;          /* an arg failed its check: never sent */
	char idem[40];         /* "" for none */
	char *auth;            /* token sent with the call, or NULL */
	/* Called by the model with the answer, on the main thread. */
	void (*done)(struct model *m, const struct job *j, void *ctx);
	void *ctx;             /* owned: freed with ctx_free (free when NULL) */
	void (*ctx_free)(void *ctx);
	int64_t started_ms;    /* monotonic, when submitted */
	int rv;                /* 0: reply holds the answer; else an nng error */
	struct ag_reply reply;
};

/* A job for op (an op the table must have: anything else aborts, as a
 * programming error), no args yet. */
struct job *job_new(const char *op);
/* Setters through the request builder. The first failure marks the job
 * refused and is kept in j->req.error; later setters then do nothing. A
 * NULL string sets nothing; "" clears a nullable field. */
void job_int(struct job *j, const char *arg, int64_t value);
void job_str(struct job *j, const char *arg, const char *s);
void job_free(struct job *j);
/* Gives a saga-backed job a fresh random idempotency key, so a resent
 * request runs at most once. */
void job_set_idem(struct job *j);
/* A fresh random idempotency key (32 hex digits; "" if none could be had). */
void idem_new(char out[40]);

struct worker;

/* Starts the thread; it owns c from now on. Returns 0 or -1. */
int worker_start(struct worker **out, struct ag_client *c);
/* Queues j; a refused job (or one failing ag_req_check) is not sent but
 * handed back at once as a bad_request reply naming its arg. */
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
