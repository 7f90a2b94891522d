/* transport.c: the nng side of ansigramd. One REP socket listens on every
 * --listen URL; N worker threads take requests from it, each serving one
 * at a time on its own SQLite connection. A reply is handed to nng and
 * sent in the background with a deadline, so a peer that never reads can
 * hold no worker: when its reply cannot be delivered in time, or when it
 * has too many requests unanswered, it is disconnected. The PUB socket
 * listens on every --pub URL and carries what the publisher (outbox.c)
 * sends. Stopping drains: requests already received are answered
 * `unavailable`, replies in flight get a moment to leave, and nothing here
 * waits on nng without a deadline while holding a lock. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "clock.h"
#include "log.h"

/* How often an idle worker looks up to see whether it should stop. */
#define WORKER_POLL_MS 200
/* While stopping: a worker that waits this long for another request has
 * drained what was received; and its drain ends DRAIN_MAX_MS after it
 * first looks (after the request it was serving, if any). */
#define DRAIN_QUIET_MS 50
#define DRAIN_MAX_MS 1500
/* Before the sockets close: how long no connection may arrive, and the
 * longest wait for that. */
#define QUIESCE_QUIET_MS 30
#define QUIESCE_MAX_MS 200
/* Replies still leaving get this long once the workers are done. */
#define SENDS_FLUSH_MS 500
/* Push messages queued per subscriber before PUB drops them. */
#define PUSH_QUEUE 1024
/* Bigger frames than this drop the connection (PROTOCOL.md section 2):
 * the largest media.upload. nng's limit counts the REQ header too (4 bytes
 * per hop), hence the allowance on top. */
#define MAX_FRAME_BYTES AG_MAX_UPLOAD_REQUEST
#define REQ_HEADER_ALLOWANCE 64
/* A reply not delivered within this long disconnects its peer. */
#define SEND_TIMEOUT_MS 5000
/* Requests one connection may have received and not yet had answered. */
#define PIPE_MAX_IN_FLIGHT 32
/* Frames over AG_MAX_REQUEST (uploads) being served at once, across all
 * connections; more are answered rate_limited, so a few clients cannot
 * make the server hold many large frames and their decoded images. */
#define LARGE_FRAMES_IN_FLIGHT 4
#define LARGE_FRAME_RETRY_MS 1000

static nng_socket rep_sock = NNG_SOCKET_INITIALIZER;
/* One PUB socket per push shard, and the URLs each listens on. */
static nng_socket pub_socks[AG_MAX_PUSH_SHARDS];
static int n_pub_socks;
static char *shard_urls[AG_MAX_PUSH_SHARDS][AG_MAX_URLS];
static atomic_bool stopping;

/* ---- exchanges: a context and the aio its reply is sent with ---- */

struct exchange {
	nng_ctx ctx;
	nng_aio *send_aio;
	nng_pipe pipe;            /* the connection the request came on */
	struct exchange *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;      /* signalled when `sending` drops to 0 */
	struct exchange *finished;  /* sends nng has completed, to reap */
	struct exchange *spare;     /* reaped, ready for another request */
	int sending;
	int total;                /* exchanges allocated */
} xs = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

/* nng's callback when a reply has left (or failed to): only queues it. */
static void send_done(void *arg)
{
	struct exchange *x = arg;
	pthread_mutex_lock(&xs.lock);
	x->next = xs.finished;
	xs.finished = x;
	if (--xs.sending == 0)
		pthread_cond_broadcast(&xs.idle);
	pthread_mutex_unlock(&xs.lock);
}

static struct exchange *exchange_get(void)
{
	pthread_mutex_lock(&xs.lock);
	struct exchange *x = xs.spare;
	if (x)
		xs.spare = x->next;
	pthread_mutex_unlock(&xs.lock);
	if (x)
		return x;
	if (!(x = calloc(1, sizeof *x)))
		return NULL;
	if (nng_ctx_open(&x->ctx, rep_sock) != 0) {
		free(x);
		return NULL;
	}
	if (nng_aio_alloc(&x->send_aio, send_done, x) != 0) {
		nng_ctx_close(x->ctx);
		free(x);
		return NULL;
	}
	pthread_mutex_lock(&xs.lock);
	xs.total++;
	pthread_mutex_unlock(&xs.lock);
	return x;
}

static void exchange_put(struct exchange *x)
{
	pthread_mutex_lock(&xs.lock);
	x->next = xs.spare;
	xs.spare = x;
	pthread_mutex_unlock(&xs.lock);
}

/* ---- requests in flight per connection ---- */

#define PIPE_BUCKETS 256

struct pipe_count {
	uint32_t id;
	int n;
	struct pipe_count *next;
};

static struct pipe_count *pipe_buckets[PIPE_BUCKETS];
static pthread_mutex_t pipe_lock = PTHREAD_MUTEX_INITIALIZER;

/* Counts one more request on pipe; false (counting nothing) when the
 * connection already has PIPE_MAX_IN_FLIGHT unanswered. */
static bool pipe_admit(nng_pipe pipe)
{
	uint32_t id = (uint32_t)nng_pipe_id(pipe);
	bool ok = true;
	pthread_mutex_lock(&pipe_lock);
	struct pipe_count **slot = &pipe_buckets[id % PIPE_BUCKETS], *c = *slot;
	while (c && c->id != id)
		c = c->next;
	if (!c && (c = calloc(1, sizeof *c)) != NULL) {
		c->id = id;
		c->next = *slot;
		*slot = c;
	}
	if (c && c->n >= PIPE_MAX_IN_FLIGHT)
		ok = false;
	else if (c)
		c->n++;
	pthread_mutex_unlock(&pipe_lock);
	return ok;
}

static void pipe_release(nng_pipe pipe)
{
	uint32_t id = (uint32_t)nng_pipe_id(pipe);
	pthread_mutex_lock(&pipe_lock);
	struct pipe_count **slot = &pipe_buckets[id % PIPE_BUCKETS];
	while (*slot && (*slot)->id != id)
		slot = &(*slot)->next;
	struct pipe_count *c = *slot;
	if (c && --c->n <= 0) {
		*slot = c->next;
		free(c);
	}
	pthread_mutex_unlock(&pipe_lock);
}

/* Settles the sends nng has completed: a reply that could not be
 * delivered in time disconnects its peer. */
static void reap_sends(void)
{
	pthread_mutex_lock(&xs.lock);
	struct exchange *done = xs.finished;
	xs.finished = NULL;
	pthread_mutex_unlock(&xs.lock);
	while (done) {
		struct exchange *x = done;
		done = x->next;
		int rv = nng_aio_result(x->send_aio);
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(x->send_aio));
			nng_aio_set_msg(x->send_aio, NULL);
			if (rv == NNG_ETIMEDOUT) {
				ag_warn("a peer did not read its reply within %d ms: disconnecting it",
					SEND_TIMEOUT_MS);
				nng_pipe_close(x->pipe);
			}
		}
		pipe_release(x->pipe);
		exchange_put(x);
	}
}

/* ---- workers ---- */

struct worker {
	pthread_t thread;
	nng_aio *recv_aio;
	struct db db;
	int index;
	bool started;
};

static struct worker *workers;
static int n_workers;

/* Fills peer from the pipe a request arrived on. */
static void peer_of(nng_pipe pipe, struct peer *peer)
{
	uint64_t uid;
	nng_sockaddr sa;
	memset(peer, 0, sizeof *peer);
	peer->uid = -1;
	if (nng_pipe_id(pipe) < 0)
		return;
	if (nng_pipe_get_uint64(pipe, NNG_OPT_IPC_PEER_UID, &uid) == 0) {
		peer->is_ipc = true;
		peer->uid = (int64_t)uid;
	} else if (nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &sa) == 0) {
		if (sa.s_family == NNG_AF_INET)
			inet_ntop(AF_INET, &sa.s_in.sa_addr, peer->addr, sizeof peer->addr);
		else if (sa.s_family == NNG_AF_INET6)
			inet_ntop(AF_INET6, sa.s_in6.sa_addr, peer->addr, sizeof peer->addr);
	}
}

/* An answer to a frame that is not served: `code` with message and
 * retry_after_ms, echoing the request's id when it can be read. */
static void pack_refusal(const void *frame, size_t len, enum ag_err code, const char *message,
	uint64_t retry_after_ms, msgpack_sbuffer *out)
{
	struct ag_request req;
	struct ag_error err = {0};
	bool has_id = ag_request_decode(frame, len, &req, &err) == AG_OK && req.has_id;
	uint64_t id = has_id ? req.id : 0;
	if (err.code == AG_OK)
		ag_request_free(&req);
	ag_error_set(&err, code, NULL, "%s", message);
	err.retry_after_ms = retry_after_ms;
	ag_response_pack(out, has_id, id, &err, NULL, 0, NULL);
}

static atomic_int large_frames;

/* Takes a slot for a large frame; false when all are taken. */
static bool large_frame_admit(void)
{
	int n = atomic_load(&large_frames);
	while (n < LARGE_FRAMES_IN_FLIGHT)
		if (atomic_compare_exchange_weak(&large_frames, &n, n + 1))
			return true;
	return false;
}

/* A new message holding a reply frame, or NULL (out of memory). Its own
 * allocation, not the request's message reused, so that a reply nng loses
 * is named as such (tests/lsan.supp). */
static nng_msg *reply_message(const void *frame, size_t len)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, len) != 0)
		return NULL;
	memcpy(nng_msg_body(m), frame, len);
	return m;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct exchange *x = NULL;
	msgpack_sbuffer out;
	msgpack_sbuffer_init(&out);
	int64_t my_deadline = 0;
	for (;;) {
		reap_sends();
		bool draining = atomic_load(&stopping);
		/* A worker still busy with a request when the stop came drains
		 * for as long as the others once it is free: the requests queued
		 * behind it are answered too. */
		if (draining && my_deadline == 0)
			my_deadline = ag_now_ms() + DRAIN_MAX_MS;
		if (draining && ag_now_ms() >= my_deadline)
			break;
		if (!x && !(x = exchange_get())) {
			ag_error("worker %d: cannot open an nng context", w->index);
			struct timespec nap = {0, 100 * 1000000};
			nanosleep(&nap, NULL);
			continue;
		}
		nng_aio_set_timeout(w->recv_aio, draining ? DRAIN_QUIET_MS : WORKER_POLL_MS);
		nng_ctx_recv(x->ctx, w->recv_aio);
		nng_aio_wait(w->recv_aio);
		int rv = nng_aio_result(w->recv_aio);
		if (rv == NNG_ETIMEDOUT) {
			if (draining)
				break;  /* nothing more was received */
			continue;
		}
		if (rv != 0) {
			if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
				ag_error("worker %d: receive: %s", w->index, nng_strerror(rv));
			break;
		}
		nng_msg *msg = nng_aio_get_msg(w->recv_aio);
		x->pipe = nng_msg_get_pipe(msg);
		if (!pipe_admit(x->pipe)) {
			ag_warn("a peer has %d requests unanswered: disconnecting it",
				PIPE_MAX_IN_FLIGHT);
			nng_msg_free(msg);
			nng_pipe_close(x->pipe);
			continue;
		}
		out.size = 0;
		size_t len = nng_msg_len(msg);
		bool large = len > AG_MAX_REQUEST;
		if (atomic_load(&stopping)) {
			pack_refusal(nng_msg_body(msg), len, AG_E_UNAVAILABLE,
				"The server is stopping; try again shortly.", 1000, &out);
		} else if (large && ag_frame_is_upload(nng_msg_body(msg), len) &&
			   !large_frame_admit()) {
			pack_refusal(nng_msg_body(msg), len, AG_E_RATE_LIMITED,
				"The server is busy with other uploads; try again shortly.",
				LARGE_FRAME_RETRY_MS, &out);
		} else {
			struct peer peer;
			peer_of(x->pipe, &peer);
			dispatch_frame(&w->db, &peer, nng_msg_body(msg), len, &out);
			if (large && ag_frame_is_upload(nng_msg_body(msg), len))
				atomic_fetch_sub(&large_frames, 1);
		}
		nng_msg_free(msg);
		nng_msg *reply = reply_message(out.data, out.size);
		if (!reply) {
			pipe_release(x->pipe);
			continue;
		}
		nng_aio_set_msg(x->send_aio, reply);
		nng_aio_set_timeout(x->send_aio, SEND_TIMEOUT_MS);
		pthread_mutex_lock(&xs.lock);
		xs.sending++;
		pthread_mutex_unlock(&xs.lock);
		nng_ctx_send(x->ctx, x->send_aio);
		x = NULL;  /* send_done hands it back */
	}
	if (x)
		exchange_put(x);
	msgpack_sbuffer_destroy(&out);
	return NULL;
}

/* ---- listeners ---- */

static bool is_loopback_tcp(const char *url)
{
	const char *host = strstr(url, "://");
	if (!host)
		return false;
	host += 3;
	return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost:", 10) == 0 ||
		strncmp(host, "[::1]:", 6) == 0;
}

/* A whole PEM file as a C string (malloc'd), or NULL after logging why. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size < (1 << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) != NULL &&
	    fread(text, 1, (size_t)size, f) == (size_t)size) {
		text[size] = '\0';
		fclose(f);
		return text;
	}
	ag_error("cannot read %s: %s", path, f ? "too large or unreadable" : strerror(errno));
	free(text);
	if (f)
		fclose(f);
	return NULL;
}

/* True when the private key in key_pem belongs to the certificate in
 * cert_pem (nng's TLS engine would otherwise take a mismatched pair and
 * fail every handshake later). Logs why not. */
static bool key_matches_cert(const char *cert_pem, const char *key_pem)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	bool ok = false;
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem,
			strlen(cert_pem) + 1) != 0)
		ag_error("%s is not a PEM certificate", g_config.tls_cert);
	else if (mbedtls_pk_parse_key(&key, (const unsigned char *)key_pem,
			strlen(key_pem) + 1, NULL, 0) != 0)
		ag_error("%s is not an unencrypted PEM private key", g_config.tls_key);
	else if (mbedtls_pk_check_pair(&crt.pk, &key) != 0)
		ag_error("the key %s does not belong to the certificate %s", g_config.tls_key,
			g_config.tls_cert);
	else
		ok = true;
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	return ok;
}

/* Starts a listener on url, applying TLS and ipc options. */
static int listen_on(nng_socket sock, const char *url, nng_listener *out)
{
	nng_listener l;
	int rv = nng_listener_create(&l, sock, url);
	if (rv != 0) {
		ag_error("cannot listen on %s: %s", url, nng_strerror(rv));
		return -1;
	}
	if (strncmp(url, "ipc://", 6) == 0) {
		nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, g_config.ipc_mode);
	} else if (strncmp(url, "tls+tcp", 7) == 0) {
		if (!g_config.tls_cert || !g_config.tls_key) {
			ag_error("%s needs --tls-cert and --tls-key", url);
			return -1;
		}
		nng_tls_config *tls;
		char *cert = read_pem(g_config.tls_cert), *key = read_pem(g_config.tls_key);
		if (!cert || !key || !key_matches_cert(cert, key)) {
			free(cert);
			free(key);
			return -1;
		}
		if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER)) == 0 &&
		    (rv = nng_tls_config_own_cert(tls, cert, key, NULL)) != 0)
			nng_tls_config_free(tls);
		free(cert);
		free(key);
		if (rv != 0) {
			ag_error("TLS set-up for %s failed: %s (is %s a PEM certificate and %s "
				"its unencrypted PEM key?)", url, nng_strerror(rv),
				g_config.tls_cert, g_config.tls_key);
			return -1;
		}
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls);
		nng_tls_config_free(tls);
		if (rv != 0) {
			ag_error("TLS set-up for %s failed: %s", url, nng_strerror(rv));
			return -1;
		}
	} else if (strncmp(url, "tcp", 3) == 0 && !is_loopback_tcp(url)) {
		ag_warn("%s is plain TCP beyond loopback: traffic, passwords included, is "
			"not encrypted; use tls+tcp:// for remote clients", url);
	}
	nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, MAX_FRAME_BYTES + REQ_HEADER_ALLOWANCE);
	if ((rv = nng_listener_start(l, 0)) != 0) {
		ag_error("cannot listen on %s: %s", url, nng_strerror(rv));
		return -1;
	}
	*out = l;
	return 0;
}

/* CLOCK_REALTIME ms from now, for pthread_cond_timedwait. */
static struct timespec realtime_in(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

/* ---- the listener guard ----
 *
 * nng 1.5.2 (Debian 12's) breaks an ipc:// listener for good once a peer
 * hangs up in the middle of the connection handshake (fixed upstream after
 * 1.5.2): connections still complete their handshake but never reach the
 * socket, so the server stops taking new clients. Any local user, or a
 * client killed at the wrong moment, could cause it.
 *
 * Each listener counts the connections its socket took in. One that took
 * none for a while is probed: a child process (this binary, run with
 * --probe-dial) dials it, and the guard waits for the count to move. The
 * child is killed after the wait either way, so an nng call that hangs
 * hangs there, not here. A listener that misses two probes in a row is
 * restarted. The guard holds no lock while it probes. */

#define GUARD_INTERVAL_MS 2000
#define GUARD_WAIT_MS 2000
/* A probe still in its handshake after this long has met nng's handshake
 * deadline (10 s) on the server's side too. */
#define GUARD_HANDSHAKE_MS 12000
/* How long a stop waits (after the workers' drain) for a probe under way. */
#define GUARD_STOP_WAIT_MS 1500
/* Idle push listeners probed per round (request listeners: all), and
 * more of those a login named since the last look (its client is about to
 * dial there, so a broken one matters now). */
#define GUARD_PROBES_PER_ROUND 2
#define GUARD_NAMED_PROBES_PER_ROUND 4

struct guarded {
	nng_socket sock;          /* the server's socket the listener feeds */
	_Atomic int listener_id;  /* nng_listener_id of the current listener */
	nng_listener listener;
	const char *url;
	bool pub;                 /* a PUB listener: probe with SUB, else REQ */
	int shard;                /* a PUB listener's push shard */
	int failures;             /* probes missed in a row */
	atomic_ulong taken;       /* connections the socket took from it */
	unsigned long seen;       /* `taken` at the last look */
};

static struct guarded guarded[AG_MAX_URLS + AG_MAX_URLS * AG_MAX_PUSH_SHARDS];
/* Push shards auth.login or auth.push named since the guard last looked. */
static atomic_bool shard_named[AG_MAX_PUSH_SHARDS];
static atomic_int n_guarded;
static pthread_t guard_thread;
static bool guard_running;
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake, exited;
	bool done;
} guard_sync = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, false};
static const char *probe_program;

/* Runs on nng's threads for every connection a socket takes in. */
static void count_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)ev;
	(void)arg;
	int id = nng_listener_id(nng_pipe_listener(p));
	for (int i = 0, n = atomic_load(&n_guarded); i < n; i++)
		if (atomic_load(&guarded[i].listener_id) == id)
			atomic_fetch_add(&guarded[i].taken, 1);
}

/* True when a fresh connection to g's URL, from a child process, reaches
 * the server's socket within GUARD_WAIT_MS of the child's handshake. The
 * child says when its handshake is done (a byte on its stdout), and is
 * killed only after that, once it has exited, or after nng's own 10 s
 * handshake deadline: a child killed in the middle of its handshake would
 * itself break the listener (a loaded machine, or a stop at the wrong
 * moment, made that likely with a fixed wait). */
static bool listener_serves(struct guarded *g)
{
	unsigned long before = atomic_load(&g->taken);
	char *argv[] = {(char *)"ansigramd", (char *)"--probe-dial", (char *)g->url,
		(char *)(g->pub ? "sub" : "req"), NULL};
	int said[2];
	if (!probe_program || pipe2(said, O_CLOEXEC | O_NONBLOCK) != 0)
		return true;  /* cannot tell: leave the listener alone */
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, said[1], STDOUT_FILENO);
	pid_t child;
	extern char **environ;
	int rv = posix_spawn(&child, probe_program, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(said[1]);
	if (rv != 0) {
		close(said[0]);
		return true;
	}
	/* Waits for the child's handshake (or its end) even while stopping;
	 * then, unless stopping, up to GUARD_WAIT_MS for the server's side. */
	bool served = false, settled = false;
	int since_settled = 0;
	for (int waited = 0; waited < GUARD_HANDSHAKE_MS; waited += 10) {
		struct timespec nap = {0, 10 * 1000000};
		nanosleep(&nap, NULL);
		served = atomic_load(&g->taken) != before;
		char byte;
		settled = settled || read(said[0], &byte, 1) >= 0;  /* a byte, or the child gone */
		if (settled && (served || atomic_load(&stopping) ||
			(since_settled += 10) >= GUARD_WAIT_MS))
			break;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(said[0]);
	return served || atomic_load(&stopping);
}

/* Looks at one listener: one that took connections since the last look
 * works; another is probed (a push listener only while *probes, or for
 * one a login named *named_probes, allows: each costs one). */
static void check_listener(struct guarded *g, int *probes, int *named_probes)
{
	bool named = g->pub && atomic_exchange(&shard_named[g->shard], false);
	unsigned long taken = atomic_load(&g->taken);
	if (taken != g->seen) {  /* real clients got in: it works */
		g->seen = taken;
		g->failures = 0;
		return;
	}
	if (g->pub && g->failures == 0) {  /* one that missed is looked at again now */
		int *budget = named && *named_probes > 0 ? named_probes : probes;
		if (*budget == 0) {
			if (named)  /* still to look at, next round */
				atomic_store(&shard_named[g->shard], true);
			return;
		}
		(*budget)--;
	}
	g->failures = listener_serves(g) ? 0 : g->failures + 1;
	g->seen = atomic_load(&g->taken);
	if (g->failures < 2)
		return;
	ag_warn("%s stopped taking connections (a peer hung up mid-handshake); restarting it",
		g->url);
	nng_listener_close(g->listener);
	if (listen_on(g->sock, g->url, &g->listener) == 0) {
		atomic_store(&g->listener_id, nng_listener_id(g->listener));
		g->failures = 0;
	}
}

static void *guard_main(void *arg)
{
	(void)arg;
	int first = 0;  /* where this round's looks start */
	pthread_mutex_lock(&guard_sync.lock);
	while (!atomic_load(&stopping)) {
		struct timespec next;
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_sec += GUARD_INTERVAL_MS / 1000;
		pthread_cond_timedwait(&guard_sync.wake, &guard_sync.lock, &next);
		pthread_mutex_unlock(&guard_sync.lock);
		/* Idle push listeners are probed a few per round, taking turns,
		 * so many push shards do not mean many probes. */
		int n = atomic_load(&n_guarded), probes = GUARD_PROBES_PER_ROUND,
		    named_probes = GUARD_NAMED_PROBES_PER_ROUND;
		for (int j = 0; j < n && !atomic_load(&stopping); j++)
			check_listener(&guarded[(first + j) % n], &probes, &named_probes);
		first = n > 0 ? (first + GUARD_PROBES_PER_ROUND) % n : 0;
		pthread_mutex_lock(&guard_sync.lock);
	}
	guard_sync.done = true;
	pthread_cond_broadcast(&guard_sync.exited);
	pthread_mutex_unlock(&guard_sync.lock);
	return NULL;
}

/* Wakes the guard to see that the server is stopping. */
static void guard_wake(void)
{
	pthread_mutex_lock(&guard_sync.lock);
	pthread_cond_signal(&guard_sync.wake);
	pthread_mutex_unlock(&guard_sync.lock);
}

/* Waits up to wait_ms for the guard, woken to stop, to end. */
static void guard_join(int wait_ms)
{
	if (!guard_running)
		return;
	struct timespec until = realtime_in(wait_ms);
	pthread_mutex_lock(&guard_sync.lock);
	while (!guard_sync.done &&
	       pthread_cond_timedwait(&guard_sync.exited, &guard_sync.lock, &until) == 0)
		;
	bool done = guard_sync.done;
	pthread_mutex_unlock(&guard_sync.lock);
	if (done)
		pthread_join(guard_thread, NULL);
	else
		pthread_detach(guard_thread);  /* stuck in nng: the process ends anyway */
	guard_running = false;
}

static int start_listener(nng_socket sock, const char *url)
{
	nng_listener l;
	if (listen_on(sock, url, &l) != 0)
		return -1;
	int n = atomic_load(&n_guarded);
	struct guarded *g = &guarded[n];
	g->sock = sock;
	g->listener = l;
	g->url = url;
	g->pub = false;
	atomic_store(&g->listener_id, nng_listener_id(l));
	/* Every listener is closed at stop; only ipc ones are probed. */
	atomic_store(&n_guarded, n + 1);
	return 0;
}

/* ---- start and stop ---- */

/* The URL shard k (k >= 1) of the push URL base listens on: an ipc or
 * inproc name with "-k" added (before ".sock"), or a tcp URL's port plus
 * k. Stable across restarts, so a saved session's URL stays right.
 * Returns 0, or -1 when there is no such URL. */
static int shard_url(const char *base, int k, char *out, size_t size)
{
	int n;
	if (strncmp(base, "ipc://", 6) == 0 || strncmp(base, "inproc://", 9) == 0) {
		size_t len = strlen(base);
		bool sock_suffix = len > 5 && strcmp(base + len - 5, ".sock") == 0;
		if (sock_suffix)
			n = snprintf(out, size, "%.*s-%d.sock", (int)(len - 5), base, k);
		else
			n = snprintf(out, size, "%s-%d", base, k);
	} else {
		const char *colon = strrchr(base, ':');
		const char *scheme_end = strstr(base, "://");
		if (!colon || !scheme_end || colon < scheme_end + 3)
			return -1;
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || end == colon + 1 || port < 1 || port + k > 65535)
			return -1;
		n = snprintf(out, size, "%.*s:%ld", (int)(colon - base), base, port + k);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Listens on shard k's URL for the push URL base (the i-th --pub URL) and
 * keeps it in shard_urls for auth.login to name. */
static int start_shard_listener(int k, int i, const char *base)
{
	char url[4200];
	if (k == 0)
		snprintf(url, sizeof url, "%s", base);
	else if (shard_url(base, k, url, sizeof url) != 0) {
		ag_error("cannot make push shard %d's URL from %s (a tcp port needs %d free "
			"ports after it)", k, base, g_config.push_shards - 1);
		return -1;
	}
	nng_listener l;
	if (listen_on(pub_socks[k], url, &l) != 0)
		return -1;
	if ((shard_urls[k][i] = strdup(url)) == NULL)
		return -1;
	int n = atomic_load(&n_guarded);
	struct guarded *g = &guarded[n];
	g->sock = pub_socks[k];
	g->listener = l;
	g->url = shard_urls[k][i];
	g->pub = true;
	g->shard = k;
	atomic_store(&g->listener_id, nng_listener_id(l));
	atomic_store(&n_guarded, n + 1);
	return 0;
}

int transport_push_shard(const unsigned char *topic)
{
	unsigned v = (unsigned)topic[0] | (unsigned)topic[1] << 8;
	return n_pub_socks > 0 ? (int)(v % (unsigned)n_pub_socks) : 0;
}

const char *const *transport_push_urls(int shard, int *n)
{
	atomic_store(&shard_named[shard], true);
	*n = g_config.n_pub;
	return (const char *const *)shard_urls[shard];
}

int transport_start(const char *self_path)
{
	int rv;
	probe_program = self_path;
	/* Every connection is open before the first request can arrive. */
	n_workers = g_config.workers;
	workers = calloc((size_t)n_workers, sizeof *workers);
	if (!workers)
		return -1;
	for (int i = 0; i < n_workers; i++) {
		workers[i].index = i;
		if (db_open_more(&workers[i].db, g_config.db_path) != 0)
			return -1;
	}
	if ((rv = nng_rep0_open(&rep_sock)) != 0) {
		ag_error("cannot open sockets: %s", nng_strerror(rv));
		return -1;
	}
	nng_pipe_notify(rep_sock, NNG_PIPE_EV_ADD_POST, count_pipe, NULL);
	for (int k = 0; k < g_config.push_shards; k++) {
		if ((rv = nng_pub0_open(&pub_socks[k])) != 0) {
			ag_error("cannot open sockets: %s", nng_strerror(rv));
			return -1;
		}
		n_pub_socks = k + 1;
		/* PUB drops what a slow subscriber's queue cannot hold: give bursts room. */
		nng_socket_set_int(pub_socks[k], NNG_OPT_SENDBUF, PUSH_QUEUE);
		nng_pipe_notify(pub_socks[k], NNG_PIPE_EV_ADD_POST, count_pipe, NULL);
	}
	for (int i = 0; i < g_config.n_listen; i++)
		if (start_listener(rep_sock, g_config.listen[i]) != 0)
			return -1;
	for (int k = 0; k < n_pub_socks; k++)
		for (int i = 0; i < g_config.n_pub; i++)
			if (start_shard_listener(k, i, g_config.pub[i]) != 0)
				return -1;
	bool any_ipc = false;
	for (int i = 0; i < atomic_load(&n_guarded); i++)
		any_ipc |= strncmp(guarded[i].url, "ipc://", 6) == 0;
	if (any_ipc && pthread_create(&guard_thread, NULL, guard_main, NULL) == 0)
		guard_running = true;

	if (publisher_start(pub_socks, g_config.db_path) != 0)
		return -1;

	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];
		if ((rv = nng_aio_alloc(&w->recv_aio, NULL, NULL)) != 0) {
			ag_error("worker %d: %s", i, nng_strerror(rv));
			return -1;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			ag_error("worker %d: cannot start thread", i);
			return -1;
		}
		w->started = true;
	}
	for (int i = 0; i < g_config.n_listen; i++)
		ag_info("listening for requests on %s", g_config.listen[i]);
	for (int i = 0; i < g_config.n_pub; i++)
		ag_info("publishing events on %s (and %d more push shards)", g_config.pub[i],
			n_pub_socks - 1);
	return 0;
}

/* Waits up to wait_ms for the replies nng is still sending. */
static void flush_sends(int wait_ms)
{
	struct timespec until = realtime_in(wait_ms);
	pthread_mutex_lock(&xs.lock);
	while (xs.sending > 0 && pthread_cond_timedwait(&xs.idle, &xs.lock, &until) == 0)
		;
	pthread_mutex_unlock(&xs.lock);
}

void transport_drain(void)
{
	if (atomic_exchange(&stopping, true))
		return;
	guard_wake();
	/* The listeners stay open (closing one would also drop its connections
	 * with their replies): what arrives now is answered `unavailable`
	 * until the workers have drained. */
	for (int i = 0; i < n_workers; i++)
		if (workers[i].started)
			pthread_join(workers[i].thread, NULL);
	guard_join(GUARD_STOP_WAIT_MS);  /* a probe under way ends its handshake first */
}

/* nng 1.5.2 never frees a connection whose handshake ends while its
 * listener closes (nor, then, the listener). Before the sockets close, the
 * ipc paths go, so no connection starts, and those under way get a moment
 * of quiet (at most QUIESCE_MAX_MS) to reach their socket. */
static unsigned long connections_taken(void)
{
	unsigned long taken = 0;
	for (int i = 0, n = atomic_load(&n_guarded); i < n; i++)
		taken += atomic_load(&guarded[i].taken);
	return taken;
}

static void quiesce_ipc_listeners(void)
{
	bool any = false;
	for (int i = 0, n = atomic_load(&n_guarded); i < n; i++)
		if (strncmp(guarded[i].url, "ipc://", 6) == 0) {
			unlink(guarded[i].url + 6);
			any = true;
		}
	unsigned long taken = connections_taken();
	for (int waited = 0, quiet = 0; any && waited < QUIESCE_MAX_MS && quiet < QUIESCE_QUIET_MS;
	     waited += 10) {
		struct timespec nap = {0, 10 * 1000000};
		nanosleep(&nap, NULL);
		unsigned long now = connections_taken();
		quiet = now == taken ? quiet + 10 : 0;
		taken = now;
	}
}

void transport_stop(void)
{
	transport_drain();
	flush_sends(SENDS_FLUSH_MS);
	reap_sends();
	publisher_stop();  /* what the last requests released still goes out */
	for (int i = 0; i < n_workers; i++) {
		nng_aio_free(workers[i].recv_aio);
		db_close(&workers[i].db);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
	quiesce_ipc_listeners();
	/* Closing the sockets cancels replies still queued for peers that do
	 * not read; their exchanges come back through send_done. */
	nng_close(rep_sock);
	for (int k = 0; k < n_pub_socks; k++)
		nng_close(pub_socks[k]);
	flush_sends(SENDS_FLUSH_MS);
	reap_sends();
	pthread_mutex_lock(&xs.lock);
	struct exchange *x = xs.spare;
	xs.spare = NULL;
	pthread_mutex_unlock(&xs.lock);
	while (x) {
		struct exchange *next = x->next;
		nng_aio_free(x->send_aio);
		free(x);
		x = next;
	}
	atomic_store(&n_guarded, 0);
	for (int k = 0; k < n_pub_socks; k++)
		for (int i = 0; i < AG_MAX_URLS; i++) {
			free(shard_urls[k][i]);
			shard_urls[k][i] = NULL;
		}
	n_pub_socks = 0;
}

/* ---- the probe child ---- */

int transport_probe_dial(const char *url, const char *kind)
{
	nng_socket s;
	int rv = strcmp(kind, "sub") == 0 ? nng_sub0_open(&s) : nng_req0_open(&s);
	if (rv != 0 || nng_dial(s, url, NULL, 0) != 0)
		return 1;
	/* Handshake done: say so, and stay until the guard ends this process
	 * (hanging up before now could itself break the listener). */
	ssize_t said;
	do
		said = write(STDOUT_FILENO, "c", 1);
	while (said < 0 && errno == EINTR);
	for (;;)
		pause();
}
