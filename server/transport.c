/* transport.c: the nng side of ansigramd. One REP socket listens on every
 * --listen URL; N worker threads each own an nng context and a SQLite
 * connection and serve requests one at a time, so no request waits for
 * another one's handler. The PUB socket listens on every --pub URL and
 * carries what the publisher (outbox.c) sends. */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "log.h"

/* How often an idle worker looks up to see whether it should stop. */
#define WORKER_POLL_MS 200
/* Push messages queued per subscriber before PUB drops them. */
#define PUSH_QUEUE 1024
/* Bigger frames than this drop the connection (PROTOCOL.md section 2). */
#define MAX_RECV_BYTES (1024 * 1024)

struct worker {
	pthread_t thread;
	nng_ctx ctx;
	nng_aio *aio;
	struct db db;
	int index;
};

static nng_socket rep_sock = NNG_SOCKET_INITIALIZER;
static nng_socket pub_sock = NNG_SOCKET_INITIALIZER;
static struct worker *workers;
static int n_workers;
static atomic_bool stopping;

/* Fills peer from the pipe msg arrived on. */
static void peer_of(nng_msg *msg, struct peer *peer)
{
	nng_pipe pipe = nng_msg_get_pipe(msg);
	uint64_t uid;
	peer->is_ipc = false;
	peer->uid = -1;
	if (nng_pipe_id(pipe) < 0)
		return;
	if (nng_pipe_get_uint64(pipe, NNG_OPT_IPC_PEER_UID, &uid) == 0) {
		peer->is_ipc = true;
		peer->uid = (int64_t)uid;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	msgpack_sbuffer out;
	msgpack_sbuffer_init(&out);
	while (!atomic_load(&stopping)) {
		nng_aio_set_timeout(w->aio, WORKER_POLL_MS);
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		int rv = nng_aio_result(w->aio);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0) {
			if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
				ag_error("worker %d: receive: %s", w->index, nng_strerror(rv));
			break;
		}
		nng_msg *msg = nng_aio_get_msg(w->aio);
		out.size = 0;
		struct peer peer;
		peer_of(msg, &peer);
		dispatch_frame(&w->db, &peer, nng_msg_body(msg), nng_msg_len(msg), &out);
		nng_msg_clear(msg);
		if (nng_msg_append(msg, out.data, out.size) != 0) {
			nng_msg_free(msg);
			continue;
		}
		nng_aio_set_msg(w->aio, msg);
		nng_aio_set_timeout(w->aio, NNG_DURATION_DEFAULT);
		nng_ctx_send(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if (nng_aio_result(w->aio) != 0)
			nng_msg_free(nng_aio_get_msg(w->aio));  /* the peer left */
	}
	msgpack_sbuffer_destroy(&out);
	return NULL;
}

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
		if (!cert || !key) {
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
	nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, MAX_RECV_BYTES);
	if ((rv = nng_listener_start(l, 0)) != 0) {
		ag_error("cannot listen on %s: %s", url, nng_strerror(rv));
		return -1;
	}
	*out = l;
	return 0;
}

/* ---- the listener guard ----
 *
 * nng 1.5.2 (Debian 12's) breaks an ipc:// listener for good once a peer
 * hangs up in the middle of the connection handshake (fixed upstream after
 * 1.5.2): connections still complete their handshake but never reach the
 * socket, so the server stops taking new clients, and an nng thread spins.
 * Any local user, or a client killed at the wrong moment, could cause it.
 * A guard thread connects to each ipc listener every second and checks
 * that the server's socket takes the connection in; a listener that twice
 * in a row does not is restarted, which also ends the stuck connections. */

#define GUARD_INTERVAL_MS 1000
#define GUARD_WAIT_MS 1000

struct guarded {
	nng_socket sock;       /* the server's socket the listener feeds */
	nng_listener listener;
	const char *url;
	bool pub;              /* a PUB listener: probe with SUB, else REQ */
	int failures;          /* probes missed in a row */
};

static struct guarded guarded[2 * AG_MAX_URLS];
static int n_guarded;
static pthread_t guard_thread;
static bool guard_running;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t guard_wake = PTHREAD_COND_INITIALIZER;
/* Connections the REP and PUB sockets took in, counted by nng's threads. */
static atomic_ulong rep_pipes, pub_pipes;

static void count_pipe(nng_pipe p, nng_pipe_ev ev, void *counter)
{
	(void)p;
	(void)ev;
	atomic_fetch_add((atomic_ulong *)counter, 1);
}

/* True when a fresh connection to g's URL reaches the server's socket. */
static bool listener_serves(const struct guarded *g)
{
	atomic_ulong *counter = g->pub ? &pub_pipes : &rep_pipes;
	unsigned long before = atomic_load(counter);
	nng_socket probe;
	if ((g->pub ? nng_sub0_open(&probe) : nng_req0_open(&probe)) != 0)
		return true;  /* cannot tell: leave the listener alone */
	bool served = false;
	if (nng_dial(probe, g->url, NULL, NNG_FLAG_NONBLOCK) == 0) {
		for (int waited = 0; waited < GUARD_WAIT_MS && !served; waited += 10) {
			struct timespec nap = {0, 10 * 1000000};
			nanosleep(&nap, NULL);
			served = atomic_load(counter) != before;
		}
	}
	nng_close(probe);
	return served;
}

static void *guard_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&guard_lock);
	while (!atomic_load(&stopping)) {
		struct timespec next;
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_sec += GUARD_INTERVAL_MS / 1000;
		pthread_cond_timedwait(&guard_wake, &guard_lock, &next);
		for (int i = 0; i < n_guarded && !atomic_load(&stopping); i++) {
			struct guarded *g = &guarded[i];
			g->failures = listener_serves(g) ? 0 : g->failures + 1;
			if (g->failures < 2)
				continue;
			ag_warn("%s stopped taking connections (a peer hung up mid-handshake); "
				"restarting it", g->url);
			nng_listener_close(g->listener);
			if (listen_on(g->sock, g->url, &g->listener) == 0)
				g->failures = 0;
		}
	}
	pthread_mutex_unlock(&guard_lock);
	return NULL;
}

static void guard(nng_socket sock, nng_listener l, const char *url, bool pub)
{
	if (strncmp(url, "ipc://", 6) == 0)
		guarded[n_guarded++] = (struct guarded){sock, l, url, pub, 0};
}

int transport_start(void)
{
	int rv;
	if ((rv = nng_rep0_open(&rep_sock)) != 0 || (rv = nng_pub0_open(&pub_sock)) != 0) {
		ag_error("cannot open sockets: %s", nng_strerror(rv));
		return -1;
	}
	/* PUB drops what a slow subscriber's queue cannot hold: give bursts room. */
	nng_socket_set_int(pub_sock, NNG_OPT_SENDBUF, PUSH_QUEUE);
	nng_pipe_notify(rep_sock, NNG_PIPE_EV_ADD_POST, count_pipe, &rep_pipes);
	nng_pipe_notify(pub_sock, NNG_PIPE_EV_ADD_POST, count_pipe, &pub_pipes);
	nng_listener l;
	for (int i = 0; i < g_config.n_listen; i++) {
		if (listen_on(rep_sock, g_config.listen[i], &l) != 0)
			return -1;
		guard(rep_sock, l, g_config.listen[i], false);
	}
	for (int i = 0; i < g_config.n_pub; i++) {
		if (listen_on(pub_sock, g_config.pub[i], &l) != 0)
			return -1;
		guard(pub_sock, l, g_config.pub[i], true);
	}
	if (n_guarded && pthread_create(&guard_thread, NULL, guard_main, NULL) == 0)
		guard_running = true;

	if (publisher_start(pub_sock, g_config.db_path) != 0)
		return -1;

	n_workers = g_config.workers;
	workers = calloc((size_t)n_workers, sizeof *workers);
	if (!workers)
		return -1;
	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];
		w->index = i;
		if (db_open(&w->db, g_config.db_path) != 0)
			return -1;
		if ((rv = nng_ctx_open(&w->ctx, rep_sock)) != 0 ||
		    (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
			ag_error("worker %d: %s", i, nng_strerror(rv));
			return -1;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			ag_error("worker %d: cannot start thread", i);
			return -1;
		}
	}
	for (int i = 0; i < g_config.n_listen; i++)
		ag_info("listening for requests on %s", g_config.listen[i]);
	for (int i = 0; i < g_config.n_pub; i++)
		ag_info("publishing events on %s", g_config.pub[i]);
	return 0;
}

void transport_stop(void)
{
	atomic_store(&stopping, true);
	if (guard_running) {
		pthread_mutex_lock(&guard_lock);
		pthread_cond_signal(&guard_wake);
		pthread_mutex_unlock(&guard_lock);
		pthread_join(guard_thread, NULL);
		guard_running = false;
	}
	n_guarded = 0;
	for (int i = 0; i < n_workers; i++)
		if (workers[i].aio)
			pthread_join(workers[i].thread, NULL);
	for (int i = 0; i < n_workers; i++) {
		nng_ctx_close(workers[i].ctx);
		nng_aio_free(workers[i].aio);
		db_close(&workers[i].db);
	}
	nng_close(rep_sock);
	publisher_stop();  /* what the last requests released still goes out */
	nng_close(pub_sock);
	free(workers);
	workers = NULL;
	n_workers = 0;
}
