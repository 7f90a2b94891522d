/* worker.c: the request thread. The main thread packs jobs and queues
 * them; this thread makes the blocking calls one at a time and queues the
 * answers back, writing a byte to a pipe so the main loop wakes up. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "clock.h"
#include "worker.h"

struct worker {
	struct ag_client *client;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *todo_head, *todo_tail;
	struct job *done_head, *done_tail;
	bool stop;
	struct job *current;   /* the call in flight, or NULL */
	int pipe_rd, pipe_wr;
};

struct job *job_new(const char *op)
{
	struct job *j = calloc(1, sizeof *j);
	if (j == NULL)
		abort();
	if (ag_req_init(&j->req, op) != AG_OK)
		abort();   /* an op the table lacks is a programming error */
	return j;
}

void job_int(struct job *j, const char *arg, int64_t value)
{
	if (!j->refused && ag_req_set_int(&j->req, arg, value) != AG_OK)
		j->refused = true;
}

void job_str(struct job *j, const char *arg, const char *s)
{
	if (s != NULL && !j->refused && ag_req_set_str(&j->req, arg, s) != AG_OK)
		j->refused = true;
}

void idem_new(char out[40])
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

void job_set_idem(struct job *j)
{
	idem_new(j->idem);
}

void job_free(struct job *j)
{
	if (j == NULL)
		return;
	ag_req_free(&j->req);
	free(j->auth);
	if (j->ctx_free)
		j->ctx_free(j->ctx);
	else
		free(j->ctx);
	ag_reply_free(&j->reply);
	free(j);
}

/* Puts j on the done list and wakes the main loop; w->lock is held. */
static void hand_back(struct worker *w, struct job *j)
{
	if (w->done_tail)
		w->done_tail->next = j;
	else
		w->done_head = j;
	w->done_tail = j;
	ssize_t n;
	do
		n = write(w->pipe_wr, "j", 1);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full of wake-ups already; nothing lost. */
}

/* A refusal as the server would word it: bad_request naming the arg. */
static void refuse(struct job *j)
{
	j->refused = true;
	j->rv = 0;
	memset(&j->reply, 0, sizeof j->reply);
	msgpack_unpacked_init(&j->reply.un);
	j->reply.ok = false;
	j->reply.code = j->req.error.code ? j->req.error.code : AG_E_BAD_REQUEST;
	snprintf(j->reply.code_name, sizeof j->reply.code_name, "%s", ag_err_name(j->reply.code));
	snprintf(j->reply.field, sizeof j->reply.field, "%s", j->req.error.field);
	snprintf(j->reply.message, sizeof j->reply.message, "%.47s %.200s", j->req.error.field,
		j->req.error.message);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->stop && w->todo_head == NULL)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		struct job *j = w->todo_head;
		w->todo_head = j->next;
		if (w->todo_head == NULL)
			w->todo_tail = NULL;
		j->next = NULL;
		w->current = j;
		pthread_mutex_unlock(&w->lock);

		ag_client_set_auth(w->client, j->auth);
		j->rv = ag_client_send(w->client, &j->req, j->idem[0] ? j->idem : NULL, &j->reply);

		pthread_mutex_lock(&w->lock);
		w->current = NULL;
		hand_back(w, j);
		if (w->stop)
			break;
	}
	w->current = NULL;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int worker_start(struct worker **out, struct ag_client *c)
{
	*out = NULL;
	struct worker *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(w);
		return -1;
	}
	w->pipe_rd = fds[0];
	w->pipe_wr = fds[1];
	w->client = c;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		close(fds[0]);
		close(fds[1]);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void worker_submit(struct worker *w, struct job *j)
{
	j->started_ms = ag_mono_ms();
	j->next = NULL;
	if (j->refused || ag_req_check(&j->req) != AG_OK) {
		refuse(j);
		pthread_mutex_lock(&w->lock);
		hand_back(w, j);
		pthread_mutex_unlock(&w->lock);
		return;
	}
	pthread_mutex_lock(&w->lock);
	if (w->todo_tail)
		w->todo_tail->next = j;
	else
		w->todo_head = j;
	w->todo_tail = j;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

int worker_fd(const struct worker *w)
{
	return w->pipe_rd;
}

struct job *worker_take(struct worker *w)
{
	char sink[64];
	while (read(w->pipe_rd, sink, sizeof sink) > 0)
		;
	pthread_mutex_lock(&w->lock);
	struct job *j = w->done_head;
	if (j) {
		w->done_head = j->next;
		if (w->done_head == NULL)
			w->done_tail = NULL;
		j->next = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}

int64_t worker_oldest_ms(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	const struct job *j = w->current ? w->current : w->todo_head;
	int64_t t = j ? j->started_ms : 0;
	pthread_mutex_unlock(&w->lock);
	return t;
}

static void free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;
		job_free(j);
		j = next;
	}
}

void worker_stop(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	/* Give a call in flight a moment to finish before abandoning it. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (w->current && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
		;
	bool stuck = w->current != NULL;
	pthread_mutex_unlock(&w->lock);
	if (stuck) {
		pthread_detach(w->thread);
		return;
	}
	pthread_join(w->thread, NULL);
	ag_client_close(w->client);
	free_list(w->todo_head);
	free_list(w->done_head);
	close(w->pipe_rd);
	close(w->pipe_wr);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}
