/* bench.c: the ansigramd benchmark. Starts a real server on a private
 * directory, seeds it with users, follows and posts, then drives each
 * measured op from several client threads for a fixed time. Machines here
 * are shared and noisy, so results are reported as ratios against a
 * baseline measured in the same run: a bare nng REQ/REP echo over the same
 * transport, the floor any request can reach, and against server.ping.
 * Memory is the server's peak RSS after the run. The photo phases (media.upload of
 * a 1600x1200 JPEG, media.get of a thumbnail) need ImageMagick's convert
 * to make the photo; without it they are skipped, saying so.
 *
 * The feed-at-scale phase seeds two more servers straight through SQLite
 * (10 000 authors, a reader following 100 of them, 10 000 posts on one and
 * --big-posts on the other) and compares feed.get between them: a page
 * must cost the same however many posts the table holds.
 *
 * The push phase measures the round trip from sending a message to its
 * event arriving at the receiver's subscriber, and the server's CPU time
 * per round, with 0, 100 and 1000 idle subscribers of other sessions
 * connected (each on the push URL its login named). The idle subscribers
 * live in processes of their own (this program run as a holder), as other
 * people's clients would, so their sockets do not share this process's
 * threads with the measured subscriber.
 *
 * Usage: bench [--seconds S] [--clients N] [--users N] [--posts N]
 *              [--push-rounds N] [--push-shards N] [--big-posts N] [--json]
 * (ANSIGRAMD names the server binary). Prints tables (with --json, one
 * JSON object per measured line on stdout and the tables on stderr);
 * exits 0, or 1 when the server does not stop within 10 s of SIGTERM. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sqlite3.h>

#include "client.h"
#include "clock.h"
#include "procinfo.h"
#include "push.h"
#include "request.h"

static double seconds = 2.0;
static int n_clients = 4, n_users = 200, n_posts = 5, push_rounds = 500;
static long big_posts = 1000000;  /* the feed-at-scale phase's large table */
/* --only: the phases whose names hold this text (the baselines always run). */
static const char *only;

static bool wanted(const char *phase)
{
	return !only || strstr(phase, only) != NULL;
}
static const char *push_shards;  /* the server's --push-shards; NULL: its default */
static char dir[] = "/tmp/ag-bench-XXXXXX";
static char req_url[128];

struct user { int64_t id; char token[128]; };
static struct user *users;

/* ---- reporting ---- */

/* With --json, stdout carries one JSON object per measured line and the
 * tables go to stderr. */
static bool json_out;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(json_out ? stderr : stdout, fmt, ap);
	va_end(ap);
}

/* With --json: {"section": section, "name": name, key: value, ...} from
 * (const char *key, double value) pairs ending with a NULL key. */
static void json_line(const char *section, const char *name, ...)
{
	if (!json_out)
		return;
	printf("{\"section\": \"%s\", \"name\": \"%s\"", section, name);
	va_list ap;
	va_start(ap, name);
	for (const char *key; (key = va_arg(ap, const char *)) != NULL;)
		printf(", \"%s\": %.3f", key, va_arg(ap, double));
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

/* ---- the baseline: nng echo ---- */

static void *echo_main(void *arg)
{
	nng_socket *s = arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(*s, &m, 0) != 0)
			return NULL;
		if (nng_sendmsg(*s, m, 0) != 0)
			nng_msg_free(m);
	}
}

/* ---- measuring ---- */

typedef int (*bench_fn)(struct ag_client *c, int thread, long i);

struct run {
	const char *url;
	bench_fn fn;
	int thread;
	long done;
	long failed;
	double *lat_us;       /* one per op, up to cap */
	long cap;
	atomic_bool *stop;
};

static void *client_main(void *arg)
{
	struct run *r = arg;
	struct ag_client *c;
	if (ag_client_open(&c, r->url, 10000) != 0)
		return NULL;
	for (long i = 0; !atomic_load(r->stop); i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (r->fn(c, r->thread, i) != 0)
			r->failed++;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (r->done < r->cap)
			r->lat_us[r->done] = (double)(b.tv_sec - a.tv_sec) * 1e6 +
				(double)(b.tv_nsec - a.tv_nsec) / 1e3;
		r->done++;
	}
	ag_client_close(c);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct result { double ops_per_s, p50_us, p99_us; long failed; };

static struct result measure(const char *url, bench_fn fn)
{
	atomic_bool stop = false;
	struct run runs[64];
	pthread_t th[64];
	long cap = 2000000;
	for (int t = 0; t < n_clients; t++) {
		runs[t] = (struct run){.url = url, .fn = fn, .thread = t, .cap = cap, .stop = &stop};
		runs[t].lat_us = malloc((size_t)cap * sizeof(double));
		pthread_create(&th[t], NULL, client_main, &runs[t]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, true);
	long total = 0, failed = 0, kept = 0;
	for (int t = 0; t < n_clients; t++) {
		pthread_join(th[t], NULL);
		total += runs[t].done;
		failed += runs[t].failed;
		kept += runs[t].done < cap ? runs[t].done : cap;
	}
	double *all = malloc((size_t)(kept ? kept : 1) * sizeof(double));
	long k = 0;
	for (int t = 0; t < n_clients; t++) {
		long n = runs[t].done < cap ? runs[t].done : cap;
		memcpy(all + k, runs[t].lat_us, (size_t)n * sizeof(double));
		k += n;
		free(runs[t].lat_us);
	}
	qsort(all, (size_t)k, sizeof(double), cmp_double);
	struct result r = {
		.ops_per_s = (double)total / seconds,
		.p50_us = k ? all[k / 2] : 0,
		.p99_us = k ? all[(long)((double)k * 0.99)] : 0,
		.failed = failed,
	};
	free(all);
	return r;
}

/* ---- the ops ---- */

static struct user *as(struct ag_client *c, int thread, long i)
{
	struct user *u = &users[((long)thread * 7919 + i) % n_users];
	ag_client_set_auth(c, u->token);
	return u;
}

static int call_ok(struct ag_client *c, struct ag_reply *r, int rv)
{
	(void)c;
	int bad = rv != 0 || !r->ok;
	if (rv == 0)
		ag_reply_free(r);
	return bad;
}

/* The echo server sends the request back: the client reads it as a reply
 * (not ok, but decoded the same way), so only the transport counts. */
static int op_echo(struct ag_client *c, int thread, long i)
{
	(void)thread; (void)i;
	struct ag_reply r;
	int rv = ag_client_callf(c, &r, "server.ping", NULL, "");
	if (rv == 0)
		ag_reply_free(&r);
	return rv != 0;
}

static int op_ping(struct ag_client *c, int thread, long i)
{
	(void)thread; (void)i;
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "server.ping", NULL, ""));
}

static int op_post_get(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "post.get", NULL, "post_id:i",
		(int64_t)(1 + (i * 31 + thread) % ((long)n_users * n_posts))));
}

static int op_feed(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "feed.get", NULL, "limit:i", (int64_t)20));
}

static int op_post_create(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "post.create", NULL, "content:s",
		"benchmark post with #tags and #more_tags"));
}

static int op_like(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "post.like", NULL, "post_id:i",
		(int64_t)(1 + (i * 17 + thread) % ((long)n_users * n_posts))));
}

static int op_message(struct ag_client *c, int thread, long i)
{
	struct user *u = as(c, thread, i);
	struct ag_reply r;
	int64_t to = users[(u - users + 1) % n_users].id;
	return call_ok(c, &r, ag_client_callf(c, &r, "message.send", NULL,
		"receiver_id:i content:s", to, "hello from the benchmark"));
}

static int op_notifications(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "notification.list", NULL, "limit:i",
		(int64_t)20));
}

static int op_thread(struct ag_client *c, int thread, long i)
{
	struct user *u = as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "message.thread", NULL, "user_id:i",
		users[(u - users + 1) % n_users].id));
}

/* The reads a person makes most: feed, a post, notifications, a thread. */
static int op_read_mix(struct ag_client *c, int thread, long i)
{
	static const bench_fn reads[] = {op_feed, op_post_get, op_notifications, op_thread};
	return reads[i % 4](c, thread, i / 4);
}

/* 70 % the read mix, 30 % the saga writes (post, like, message). */
static int op_mixed(struct ag_client *c, int thread, long i)
{
	static const bench_fn writes[] = {op_post_create, op_like, op_message};
	long k = i % 10;
	return k < 7 ? op_read_mix(c, thread, (i / 10) * 7 + k)
		: writes[k - 7](c, thread, i / 10);
}

static int op_search(struct ag_client *c, int thread, long i)
{
	(void)thread; (void)i;
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "search.users", NULL, "q:s", "user1"));
}

/* The photo the upload phase sends, and a photo on a post for media.get. */
static void *photo;
static size_t photo_len;
static int64_t photo_id;

/* media.upload of the photo on c; the reply in r (to free) when 0 is returned. */
static int upload_photo(struct ag_client *c, struct ag_reply *r)
{
	struct ag_req req;
	if (ag_req_init(&req, "media.upload") != AG_OK)
		return -1;
	int rv = ag_req_set_bin(&req, "data", photo, photo_len) == AG_OK
		? ag_client_send(c, &req, NULL, r) : -1;
	ag_req_free(&req);
	return rv;
}

static int op_upload(struct ag_client *c, int thread, long i)
{
	as(c, thread, i);
	struct ag_reply r;
	return call_ok(c, &r, upload_photo(c, &r));
}

static int op_media_thumb(struct ag_client *c, int thread, long i)
{
	(void)thread; (void)i;
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "media.get", NULL, "media_id:i size:s",
		photo_id, "thumb"));
}

/* Makes the photo with convert and posts it once; false (after saying
 * why) when it cannot. */
static bool prepare_photo(void)
{
	char path[160], cmd[320];
	snprintf(path, sizeof path, "%s/photo.jpg", dir);
	snprintf(cmd, sizeof cmd, "convert -size 1600x1200 plasma:fractal -quality 90 %s "
		"2>/dev/null", path);
	FILE *f = NULL;
	if (system(cmd) != 0 || (f = fopen(path, "rb")) == NULL) {
		say("photo phases SKIPPED: ImageMagick's convert could not make a test photo\n");
		return false;
	}
	fseek(f, 0, SEEK_END);
	photo_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	photo = malloc(photo_len);
	bool ok = photo && fread(photo, 1, photo_len, f) == photo_len;
	fclose(f);
	struct ag_client *c;
	if (!ok || ag_client_open(&c, req_url, 10000) != 0)
		return false;
	as(c, 0, 0);
	struct ag_reply r;
	ok = upload_photo(c, &r) == 0;
	int64_t id = ok && r.ok ? ag_obj_int(r.data, "id") : 0;
	if (ok)
		ag_reply_free(&r);
	ok = id > 0 && ag_client_callf(c, &r, "post.create", NULL, "media_id:i", id) == 0;
	if (ok && r.ok)
		photo_id = id;
	if (ok)
		ag_reply_free(&r);
	ag_client_close(c);
	if (photo_id)
		say("photo: %zu bytes of JPEG, 1600x1200\n", photo_len);
	else
		say("photo phases SKIPPED: the server did not take the test photo\n");
	return photo_id > 0;
}

/* ---- set-up ---- */

/* Starts ansigramd on d/bench.db with its sockets in d; url gets its
 * request URL (128 bytes). Exits the benchmark when it does not start. */
static pid_t start_server_in(const char *d, char *url)
{
	const char *bin = getenv("ANSIGRAMD");
	if (!bin) {
		fprintf(stderr, "bench: set ANSIGRAMD to the server binary\n");
		exit(2);
	}
	char db[160], pub[160], log[160];
	snprintf(db, sizeof db, "%s/bench.db", d);
	snprintf(url, 128, "ipc://%s/req.sock", d);
	snprintf(pub, sizeof pub, "ipc://%s/pub.sock", d);
	snprintf(log, sizeof log, "%s/server.log", d);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stderr))
			_exit(127);
		char workers[16];
		snprintf(workers, sizeof workers, "%d", n_clients);
		/* Upload limits far above what a run can reach. */
		const char *argv[] = {bin, "--db", db, "--listen", url, "--pub", pub,
			"--pwhash", "min", "--workers", workers, "--log-level", "warn",
			"--media-limits", "100000/1000000",
			push_shards ? "--push-shards" : NULL, push_shards, NULL};
		execv(bin, (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct ag_client *c;
		if (ag_client_open(&c, url, 1000) == 0) {
			struct ag_reply r;
			int rv = ag_client_callf(c, &r, "server.ping", NULL, "");
			if (rv == 0)
				ag_reply_free(&r);
			ag_client_close(c);
			if (rv == 0)
				return pid;
		}
		usleep(50000);
	}
	fprintf(stderr, "bench: the server did not start (see %s)\n", log);
	exit(1);
}

static pid_t start_server(void)
{
	return start_server_in(dir, req_url);
}

/* SIGTERM, then up to 10 s for the server to exit, then SIGKILL. Returns
 * true when it stopped by itself. */
static bool stop_server(pid_t server)
{
	kill(server, SIGTERM);
	for (int waited = 0; waited < 10000; waited += 10) {
		if (waitpid(server, NULL, WNOHANG) == server)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "bench: the server did not exit within 10 s of SIGTERM; killed it\n");
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return false;
}

static void seed(void)
{
	struct ag_client *c;
	if (ag_client_open(&c, req_url, 10000) != 0)
		exit(1);
	users = calloc((size_t)n_users, sizeof *users);
	for (int i = 0; i < n_users; i++) {
		char name[32], email[64];
		struct ag_reply r;
		snprintf(name, sizeof name, "user%d", i);
		snprintf(email, sizeof email, "user%d@bench.test", i);
		ag_client_set_auth(c, NULL);
		if (ag_client_callf(c, &r, "auth.register", NULL, "username:s email:s password:s",
				name, email, "password123") != 0 || !r.ok)
			exit(1);
		users[i].id = ag_obj_int(r.data, "id");
		ag_reply_free(&r);
		if (ag_client_callf(c, &r, "auth.login", NULL, "username:s password:s",
				name, "password123") != 0 || !r.ok)
			exit(1);
		char *tok = ag_obj_strdup(r.data, "token");
		snprintf(users[i].token, sizeof users[i].token, "%s", tok);
		free(tok);
		ag_reply_free(&r);
	}
	for (int i = 0; i < n_users; i++) {
		ag_client_set_auth(c, users[i].token);
		for (int k = 1; k <= 10 && k < n_users; k++) {
			struct ag_reply r;
			if (ag_client_callf(c, &r, "follow.create", NULL, "user_id:i",
					users[(i + k * 13) % n_users].id) == 0)
				ag_reply_free(&r);
		}
		for (int p = 0; p < n_posts; p++) {
			struct ag_reply r;
			if (ag_client_callf(c, &r, "post.create", NULL, "content:s",
					"seeded post #seed #bench") == 0)
				ag_reply_free(&r);
		}
	}
	ag_client_close(c);
}

/* ---- the push phase ---- */

/* A login's push credentials and the URL it named. */
struct push_login {
	uint8_t topic[AG_PUSH_TOPIC_BYTES], key[AG_PUSH_KEY_BYTES];
	char url[256];
	char token[128];
};

static int copy_bin_field(const msgpack_object *o, const char *key, uint8_t *out, size_t size)
{
	const msgpack_object *v = ag_obj_get(o, key);
	if (!v || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != size)
		return -1;
	memcpy(out, v->via.bin.ptr, size);
	return 0;
}

/* Logs users[u] in once more (a new session). Returns 0 or -1. */
static int push_login(struct ag_client *c, int u, struct push_login *out)
{
	char name[32];
	snprintf(name, sizeof name, "user%d", u);
	struct ag_reply r;
	ag_client_set_auth(c, NULL);
	if (ag_client_callf(c, &r, "auth.login", NULL, "username:s password:s", name,
			"password123") != 0)
		return -1;
	int rc = -1;
	const msgpack_object *push = ag_obj_get(r.data, "push");
	const msgpack_object *url = ag_obj_at(ag_obj_get(push, "urls"), 0);
	const msgpack_object *tok = ag_obj_get(r.data, "token");
	if (r.ok && url && url->type == MSGPACK_OBJECT_STR && url->via.str.size < sizeof out->url &&
	    tok && tok->type == MSGPACK_OBJECT_STR && tok->via.str.size < sizeof out->token &&
	    copy_bin_field(push, "topic", out->topic, sizeof out->topic) == 0 &&
	    copy_bin_field(push, "key", out->key, sizeof out->key) == 0) {
		snprintf(out->url, sizeof out->url, "%.*s", (int)url->via.str.size, url->via.str.ptr);
		snprintf(out->token, sizeof out->token, "%.*s", (int)tok->via.str.size,
			tok->via.str.ptr);
		rc = 0;
	}
	ag_reply_free(&r);
	return rc;
}

/* Opens a subscriber for l and waits (up to 5 s) until it is connected. */
static struct ag_sub *push_subscribe(const struct push_login *l)
{
	struct ag_sub *sub;
	if (ag_sub_open(&sub, l->url, l->topic, l->key) != 0)
		return NULL;
	struct pollfd p = {.fd = ag_sub_state_fd(sub), .events = POLLIN};
	if (poll(&p, 1, 5000) != 1) {
		ag_sub_close(sub);
		return NULL;
	}
	ag_sub_reconnected(sub);
	return sub;
}

struct push_result {
	double rounds_per_s, p50_us, p99_us, cpu_us_per_round;
	double idle_cpu_us_per_s;   /* the server's CPU with no rounds running */
	double net_cpu_us_per_round;  /* cpu_us_per_round less the idle share */
	double after_reply_p50_us, after_reply_p99_us;  /* from the reply to the event */
	long lost;
};

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&t, &t) != 0)
		;
}

/* How long the push phase watches the server's CPU with no rounds. */
#define QUIET_MS 1000

/* push_rounds messages from users[0] to a fresh session of users[1], one
 * at a time, each timed from the request to its event at the receiver,
 * after a quiet second that measures the server's CPU without them. */
static struct push_result push_rounds_measure(pid_t server, struct ag_client *sender,
	struct ag_sub *receiver)
{
	struct push_result res = {0};
	/* What the server spends meanwhile with nothing to publish. */
	long long quiet0 = proc_cpu_us(server);
	int64_t quiet_t0 = ag_mono_ms();
	sleep_ms(QUIET_MS);
	long long quiet1 = proc_cpu_us(server);
	int64_t quiet_ms = ag_mono_ms() - quiet_t0;
	res.idle_cpu_us_per_s = quiet0 >= 0 && quiet1 >= 0 && quiet_ms > 0
		? (double)(quiet1 - quiet0) * 1000 / (double)quiet_ms : 0;
	double *lat = calloc((size_t)push_rounds, sizeof *lat);
	double *after = calloc((size_t)push_rounds, sizeof *after);
	int n = 0;
	long long cpu0 = proc_cpu_us(server);
	int64_t t0 = ag_mono_ms();
	for (int i = 0; i < push_rounds; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		struct ag_reply r;
		if (ag_client_callf(sender, &r, "message.send", NULL, "receiver_id:i content:s",
				users[1].id, "push round") != 0) {
			res.lost++;
			continue;
		}
		bool sent = r.ok;
		ag_reply_free(&r);
		struct timespec replied;
		clock_gettime(CLOCK_MONOTONIC, &replied);
		/* The message event (the notification that follows is drained
		 * on the next round's wait). */
		struct ag_event ev;
		bool got = false;
		while (sent && !got && ag_sub_next(receiver, 2000, &ev) == 0) {
			got = strcmp(ev.type, "message") == 0;
			ag_event_free(&ev);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!got) {
			res.lost++;
			continue;
		}
		/* The reply leaves after the commit, as the event does: the gap
		 * between them is the push plane's own latency (0 when the event
		 * came first). */
		double gap = (double)(b.tv_sec - replied.tv_sec) * 1e6 +
			(double)(b.tv_nsec - replied.tv_nsec) / 1e3;
		after[n] = gap > 0 ? gap : 0;
		lat[n++] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	double elapsed = (double)(ag_mono_ms() - t0) / 1000;
	long long cpu1 = proc_cpu_us(server);
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	qsort(after, (size_t)n, sizeof *after, cmp_double);
	res.rounds_per_s = elapsed > 0 ? n / elapsed : 0;
	res.p50_us = n ? lat[n / 2] : 0;
	res.p99_us = n ? lat[(int)(n * 0.99)] : 0;
	res.after_reply_p50_us = n ? after[n / 2] : 0;
	res.after_reply_p99_us = n ? after[(int)(n * 0.99)] : 0;
	res.cpu_us_per_round = n && cpu0 >= 0 && cpu1 >= 0 ? (double)(cpu1 - cpu0) / n : 0;
	double net = n ? res.cpu_us_per_round - res.idle_cpu_us_per_s * elapsed / n : 0;
	res.net_cpu_us_per_round = net > 0 ? net : 0;
	free(lat);
	free(after);
	return res;
}

/* Holder mode (bench --hold-subscribers N URL FIRST USERS): logs in N
 * sessions of users 2.. (from the FIRST-th on) at URL, subscribes each,
 * says "ready" on stdout and holds them until stdin closes. */
static int hold_main(char **argv)
{
	int count = atoi(argv[2]), first = atoi(argv[4]);
	snprintf(req_url, sizeof req_url, "%s", argv[3]);
	n_users = atoi(argv[5]);
	struct ag_client *c;
	if (count < 1 || n_users < 3 || ag_client_open(&c, req_url, 10000) != 0)
		return 1;
	for (int i = 0; i < count; i++) {
		struct push_login l;
		if (push_login(c, 2 + (first + i) % (n_users - 2), &l) != 0 || !push_subscribe(&l)) {
			fprintf(stderr, "bench: could not add idle subscriber %d\n", first + i + 1);
			return 1;
		}
	}
	if (write(STDOUT_FILENO, "ready\n", 6) != 6)
		return 1;
	char byte;
	while (read(STDIN_FILENO, &byte, 1) > 0)
		;
	/* Subscribers are left open: see tests/push/live.c on closing SUB
	 * sockets with nng 1.5.2; _exit skips nng's atexit work too. */
	_exit(0);
}

/* A holder process keeping count idle subscribers (the first-th on);
 * *to_holder is its stdin, to close when done. Returns its pid once they
 * are all subscribed (within 120 s), or -1. */
static pid_t spawn_holder(int count, int first, int *to_holder)
{
	/* Close-on-exec: a later holder must not keep this one's stdin open. */
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		return -1;
	char n_text[16], first_text[16], users_text[16];
	snprintf(n_text, sizeof n_text, "%d", count);
	snprintf(first_text, sizeof first_text, "%d", first);
	snprintf(users_text, sizeof users_text, "%d", n_users);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[1]);
		close(out[0]);
		execl("/proc/self/exe", "bench", "--hold-subscribers", n_text, req_url, first_text,
			users_text, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	char line[8] = "";
	struct pollfd p = {.fd = out[0], .events = POLLIN};
	bool ready = pid > 0 && poll(&p, 1, 120000) == 1 && read(out[0], line, 6) == 6 &&
		strncmp(line, "ready\n", 6) == 0;
	close(out[0]);
	if (!ready) {
		close(in[1]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	*to_holder = in[1];
	return pid;
}

/* The push table: the same rounds with more and more idle subscribers.
 * Returns 0, or -1 when the phase could not be set up. */
static int push_phase(pid_t server)
{
	static const int idle_steps[] = {0, 100, 1000};
	struct ag_client *c;
	if (ag_client_open(&c, req_url, 10000) != 0)
		return -1;
	struct push_login recv_login, send_login;
	if (push_login(c, 1, &recv_login) != 0 || push_login(c, 0, &send_login) != 0)
		return -1;
	struct ag_sub *receiver = push_subscribe(&recv_login);
	if (!receiver)
		return -1;
	struct ag_client *sender;
	if (ag_client_open(&sender, req_url, 10000) != 0)
		return -1;
	ag_client_set_auth(sender, send_login.token);
	pid_t holders[3];
	int to_holders[3], n_holders = 0, n_idle = 0, rc = 0;
	double cpu_at_0 = 0, net_at_0 = 0;
	say("\n%-34s %10s %10s %10s %16s %10s %14s %14s %10s\n", "push: message.send -> its event",
		"rounds/s", "p50 us", "p99 us", "server CPU us/rd", "vs 0 idle", "after reply p99",
		"quiet CPU us/s", "net vs 0");
	for (size_t s = 0; s < sizeof idle_steps / sizeof idle_steps[0]; s++) {
		/* Idle sessions of users 2.., each subscribed where its login says,
		 * in a holder process per step. */
		if (n_idle < idle_steps[s]) {
			int more = idle_steps[s] - n_idle;
			holders[n_holders] = spawn_holder(more, n_idle, &to_holders[n_holders]);
			if (holders[n_holders] < 0) {
				fprintf(stderr, "bench: could not start %d idle subscribers\n", more);
				rc = -1;
				break;
			}
			n_holders++;
			n_idle += more;
		}
		struct push_result r = push_rounds_measure(server, sender, receiver);
		if (s == 0) {
			cpu_at_0 = r.cpu_us_per_round;
			net_at_0 = r.net_cpu_us_per_round;
		}
		double net_ratio = net_at_0 > 0 ? r.net_cpu_us_per_round / net_at_0 : 0;
		char label[64];
		snprintf(label, sizeof label, "with %d idle subscribers", n_idle);
		say("%-34s %10.0f %10.0f %10.0f %16.0f %9.2fx %14.0f %14.0f %9.2fx%s\n", label,
			r.rounds_per_s, r.p50_us, r.p99_us, r.cpu_us_per_round,
			cpu_at_0 > 0 ? r.cpu_us_per_round / cpu_at_0 : 0, r.after_reply_p99_us,
			r.idle_cpu_us_per_s, net_ratio, r.lost ? " (some events lost)" : "");
		json_line("push", label, "rounds_per_s", r.rounds_per_s, "p50_us", r.p50_us,
			"p99_us", r.p99_us, "server_cpu_us_per_round", r.cpu_us_per_round,
			"cpu_vs_0_idle", cpu_at_0 > 0 ? r.cpu_us_per_round / cpu_at_0 : 0.0,
			"after_reply_p50_us", r.after_reply_p50_us,
			"after_reply_p99_us", r.after_reply_p99_us,
			"quiet_cpu_us_per_s", r.idle_cpu_us_per_s,
			"net_cpu_us_per_round", r.net_cpu_us_per_round, "net_cpu_vs_0_idle", net_ratio,
			"lost", (double)r.lost, (const char *)NULL);
	}
	for (int h = 0; h < n_holders; h++) {
		close(to_holders[h]);
		waitpid(holders[h], NULL, 0);
	}
	/* The receiver is left open: the process ends soon (see tests/push/live.c
	 * on closing SUB sockets with nng 1.5.2). */
	ag_client_close(sender);
	ag_client_close(c);
	return rc;
}

/* ---- the feed at scale ---- */

/* The reader of the feed-at-scale phase: its session and its server. */
static char scale_token[128], scale_url[128];

static int op_scale_feed(struct ag_client *c, int thread, long i)
{
	(void)thread; (void)i;
	ag_client_set_auth(c, scale_token);
	struct ag_reply r;
	return call_ok(c, &r, ag_client_callf(c, &r, "feed.get", NULL, "limit:i", (int64_t)20));
}

/* Fills a fresh server's database straight through SQLite: SCALE_AUTHORS
 * authors, the reader following every 100th, and `posts` posts spread
 * evenly over the authors, oldest first. Returns 0 or -1. */
#define SCALE_AUTHORS 10000
static int seed_scale(const char *db_path, int64_t reader, long posts)
{
	sqlite3 *db;
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; BEGIN",
		NULL, NULL, NULL);
	sqlite3_stmt *user = NULL, *follow = NULL, *post = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO users (username, email, password_hash, "
			"created_at) VALUES ('a' || ?1, 'a' || ?1 || '@bench.test', '-', 0)", -1,
			&user, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO follows (follower_id, followee_id, "
			"created_at) VALUES (?1, ?2, 0)", -1, &follow, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO posts (author_id, content, created_at) "
			"VALUES (?1, 'a seeded post', ?2)", -1, &post, NULL);
	int64_t *authors = malloc(SCALE_AUTHORS * sizeof *authors);
	for (int a = 0; rc == SQLITE_OK && authors && a < SCALE_AUTHORS; a++) {
		sqlite3_bind_int(user, 1, a);
		if (sqlite3_step(user) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(user);
		authors[a] = sqlite3_last_insert_rowid(db);
		if (a % 100 == 0 && rc == SQLITE_OK) {
			sqlite3_bind_int64(follow, 1, reader);
			sqlite3_bind_int64(follow, 2, authors[a]);
			if (sqlite3_step(follow) != SQLITE_DONE)
				rc = SQLITE_ERROR;
			sqlite3_reset(follow);
		}
	}
	for (long i = 0; rc == SQLITE_OK && authors && i < posts; i++) {
		sqlite3_bind_int64(post, 1, authors[i % SCALE_AUTHORS]);
		sqlite3_bind_int64(post, 2, i);
		if (sqlite3_step(post) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(post);
	}
	if (rc == SQLITE_OK && authors)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	else
		fprintf(stderr, "bench: seeding failed: %s\n", sqlite3_errmsg(db));
	free(authors);
	sqlite3_finalize(user);
	sqlite3_finalize(follow);
	sqlite3_finalize(post);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* feed.get (20) for a reader following 100 of SCALE_AUTHORS authors who
 * wrote `posts` posts between them, on a server of its own. */
static int feed_at_scale(long posts, struct result *out)
{
	char d[160], db_path[192];
	snprintf(d, sizeof d, "%s/scale-%ld", dir, posts);
	snprintf(db_path, sizeof db_path, "%s/bench.db", d);
	if (mkdir(d, 0700) != 0) {
		perror("bench: mkdir");
		return -1;
	}
	/* The reader registers through the server, which also makes the schema. */
	pid_t server = start_server_in(d, scale_url);
	struct ag_client *c;
	struct ag_reply r;
	int64_t reader = 0;
	if (ag_client_open(&c, scale_url, 10000) != 0)
		return -1;
	if (ag_client_callf(c, &r, "auth.register", NULL, "username:s email:s password:s",
			"reader", "reader@bench.test", "password123") == 0) {
		reader = r.ok ? ag_obj_int(r.data, "id") : 0;
		ag_reply_free(&r);
	}
	if (reader > 0 && ag_client_callf(c, &r, "auth.login", NULL, "username:s password:s",
			"reader", "password123") == 0) {
		char *tok = r.ok ? ag_obj_strdup(r.data, "token") : NULL;
		snprintf(scale_token, sizeof scale_token, "%s", tok ? tok : "");
		free(tok);
		ag_reply_free(&r);
	}
	ag_client_close(c);
	stop_server(server);
	int64_t t0 = ag_mono_ms();
	if (!scale_token[0]) {
		fprintf(stderr, "bench: the feed reader could not register and log in\n");
		return -1;
	}
	if (seed_scale(db_path, reader, posts) != 0)
		return -1;
	double seeded_s = (double)(ag_mono_ms() - t0) / 1000;
	server = start_server_in(d, scale_url);
	*out = measure(scale_url, op_scale_feed);
	char label[48];
	snprintf(label, sizeof label, "feed.get, %ld posts", posts);
	say("%-26s %8.0f %10.0f %10.0f %8ld   (seeded in %.1f s)\n", label, out->ops_per_s,
		out->p50_us, out->p99_us, out->failed, seeded_s);
	json_line("feed_at_scale", label, "ops_per_s", out->ops_per_s, "p50_us", out->p50_us,
		"p99_us", out->p99_us, "errors", (double)out->failed, "seeded_s", seeded_s,
		(const char *)NULL);
	stop_server(server);
	return 0;
}

/* Feed at 10 000 posts and at big_posts, and the ratio. */
static void feed_at_scale_phase(void)
{
	struct result small, big;
	say("\n%-26s %8s %10s %10s %8s\n", "feed at scale (follows 100)", "ops/s", "p50 us",
		"p99 us", "errors");
	if (feed_at_scale(10000, &small) == 0 && big_posts > 10000 &&
	    feed_at_scale(big_posts, &big) == 0 && small.p50_us > 0 && small.p99_us > 0) {
		say("%ld posts vs 10000: p50 %.2fx, p99 %.2fx\n", big_posts,
			big.p50_us / small.p50_us, big.p99_us / small.p99_us);
		json_line("feed_at_scale", "big vs 10000", "p50_ratio", big.p50_us / small.p50_us,
			"p99_ratio", big.p99_us / small.p99_us, (const char *)NULL);
	} else {
		fprintf(stderr, "bench: the feed-at-scale phase could not run\n");
	}
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--hold-subscribers") == 0)
		return hold_main(argv);
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'}, {"clients", required_argument, NULL, 'c'},
		{"users", required_argument, NULL, 'u'}, {"posts", required_argument, NULL, 'p'},
		{"push-rounds", required_argument, NULL, 'r'},
		{"push-shards", required_argument, NULL, 'h'},
		{"big-posts", required_argument, NULL, 'b'}, {"json", no_argument, NULL, 'j'},
		{"only", required_argument, NULL, 'o'}, {0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': seconds = atof(optarg); break;
		case 'c': n_clients = atoi(optarg); break;
		case 'u': n_users = atoi(optarg); break;
		case 'p': n_posts = atoi(optarg); break;
		case 'r': push_rounds = atoi(optarg); break;
		case 'h': push_shards = optarg; break;
		case 'b': big_posts = atol(optarg); break;
		case 'j': json_out = true; break;
		case 'o': only = optarg; break;
		default:
			fprintf(stderr, "usage: bench [--seconds S] [--clients N] [--users N] [--posts N] "
				"[--push-rounds N] [--push-shards N] [--big-posts N] [--only TEXT] [--json]\n");
			return 2;
		}
	}
	if (n_clients < 1 || n_clients > 64 || n_users < 3 || seconds <= 0 || push_rounds < 1) {
		fprintf(stderr, "bench: clients 1..64, users >= 3, seconds > 0, push rounds >= 1\n");
		return 2;
	}
	if (!mkdtemp(dir))
		return 1;

	/* The baseline: a raw REP socket on ipc whose threads send every
	 * request straight back. */
	char echo_url[128];
	snprintf(echo_url, sizeof echo_url, "ipc://%s/echo.sock", dir);
	nng_socket echo;
	if (nng_rep0_open_raw(&echo) != 0 || nng_listen(echo, echo_url, NULL, 0) != 0) {
		fprintf(stderr, "bench: cannot listen on %s\n", echo_url);
		return 1;
	}
	pthread_t echo_th[64];
	for (int t = 0; t < n_clients; t++)  /* as many as the server has workers */
		pthread_create(&echo_th[t], NULL, echo_main, &echo);

	pid_t server = start_server();
	int64_t t0 = ag_mono_ms();
	seed();
	say("seeded %d users, %d posts, ~%d follows in %.1f s\n", n_users, n_users * n_posts,
		n_users * 10, (double)(ag_mono_ms() - t0) / 1000);

	bool photos = prepare_photo();
	struct { const char *name; const char *url; bench_fn fn; } cases[] = {
		{"baseline: nng echo", echo_url, op_echo},
		{"server.ping", req_url, op_ping},
		{"post.get", req_url, op_post_get},
		{"feed.get (20)", req_url, op_feed},
		{"read mix", req_url, op_read_mix},
		{"search.users", req_url, op_search},
		{"post.create (saga)", req_url, op_post_create},
		{"post.like (saga)", req_url, op_like},
		{"message.send (saga)", req_url, op_message},
		{"mixed 70/30", req_url, op_mixed},
		{"media.upload", req_url, op_upload},
		{"media.get (thumb)", req_url, op_media_thumb},
	};
	size_t n_cases = sizeof cases / sizeof cases[0] - (photos ? 0 : 2);
	double base = 0, ping = 0;
	say("\n%-22s %12s %10s %10s %12s %10s %8s\n", "op", "ops/s", "p50 us", "p99 us",
		"vs baseline", "vs ping", "errors");
	for (size_t i = 0; i < n_cases; i++) {
		if (i > 1 && !wanted(cases[i].name))
			continue;
		struct result r = measure(cases[i].url, cases[i].fn);
		if (i == 0)
			base = r.ops_per_s;
		if (i == 1)
			ping = r.ops_per_s;
		char vs_ping[16] = "-";  /* the baseline runs before ping */
		if (ping > 0)
			snprintf(vs_ping, sizeof vs_ping, "%.3fx", r.ops_per_s / ping);
		say("%-22s %12.0f %10.0f %10.0f %11.3fx %10s %8ld\n", cases[i].name,
			r.ops_per_s, r.p50_us, r.p99_us, base > 0 ? r.ops_per_s / base : 0,
			vs_ping, i == 0 ? 0 : r.failed);
		json_line("ops", cases[i].name, "ops_per_s", r.ops_per_s, "p50_us", r.p50_us,
			"p99_us", r.p99_us, "vs_baseline", base > 0 ? r.ops_per_s / base : 0.0,
			"vs_ping", ping > 0 ? r.ops_per_s / ping : 0.0,
			"errors", (double)(i == 0 ? 0 : r.failed), (const char *)NULL);
	}
	long peak_kb = proc_status_kb(server, "VmHWM");
	say("\nserver peak RSS: %ld kB with %d clients\n", peak_kb, n_clients);
	json_line("memory", "server peak RSS", "kb", (double)peak_kb, "clients", (double)n_clients,
		(const char *)NULL);
	int decoders = 0;
	long decoders_kb = proc_children_status_kb(server, "VmHWM", &decoders);
	say("photo decoders' peak RSS: %ld kB over %d processes\n", decoders_kb, decoders);
	json_line("memory", "photo decoders peak RSS", "kb", (double)decoders_kb, "processes",
		(double)decoders, (const char *)NULL);

	/* The feed's cost must not grow with the posts table. */
	if (wanted("feed at scale"))
		feed_at_scale_phase();

	/* Last, as its subscribers are never closed (they would redial a
	 * stopped server for as long as the benchmark runs). */
	if (wanted("push") && push_phase(server) != 0)
		fprintf(stderr, "bench: the push phase could not be set up\n");
	bool stopped = stop_server(server);
	nng_close(echo);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 && stopped ? 0 : 1;
}
