/* bench.c: the ansigramd benchmark. Starts a real server on a private
 * directory, seeds it with users, follows and posts, then drives each
 * measured op from several client threads for a fixed time. Machines here
 * are shared and noisy, so results are reported as ratios against a
 * baseline measured in the same run: a bare nng REQ/REP echo over the same
 * transport, the floor any request can reach, and against server.ping. Memory is
 * the server's peak RSS after the run. The photo phases (media.upload of
 * a 1600x1200 JPEG, media.get of a thumbnail) need ImageMagick's convert
 * to make the photo; without it they are skipped, saying so.
 *
 * Usage: bench [--seconds S] [--clients N] [--users N] [--posts N]
 * (ANSIGRAMD names the server binary). Prints a table; exits 0, or 1 when
 * the server does not stop within 10 s of SIGTERM. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "client.h"
#include "clock.h"
#include "procinfo.h"

static double seconds = 2.0;
static int n_clients = 4, n_users = 200, n_posts = 5;
static char dir[] = "/tmp/ag-bench-XXXXXX";
static char req_url[128];

struct user { int64_t id; char token[128]; };
static struct user *users;

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
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	ag_pack_key(&pk, "data");
	msgpack_pack_bin(&pk, photo_len);
	msgpack_pack_bin_body(&pk, photo, photo_len);
	int rv = ag_client_call(c, "media.upload", sb.data, sb.size, NULL, r);
	msgpack_sbuffer_destroy(&sb);
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
		printf("photo phases SKIPPED: ImageMagick's convert could not make a test photo\n");
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
		printf("photo: %zu bytes of JPEG, 1600x1200\n", photo_len);
	else
		printf("photo phases SKIPPED: the server did not take the test photo\n");
	return photo_id > 0;
}

/* ---- set-up ---- */

static pid_t start_server(void)
{
	const char *bin = getenv("ANSIGRAMD");
	if (!bin) {
		fprintf(stderr, "bench: set ANSIGRAMD to the server binary\n");
		exit(2);
	}
	char db[128], pub[128], log[128];
	snprintf(db, sizeof db, "%s/bench.db", dir);
	snprintf(req_url, sizeof req_url, "ipc://%s/req.sock", dir);
	snprintf(pub, sizeof pub, "ipc://%s/pub.sock", dir);
	snprintf(log, sizeof log, "%s/server.log", dir);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stderr))
			_exit(127);
		char workers[16];
		snprintf(workers, sizeof workers, "%d", n_clients);
		/* Upload limits far above what a run can reach. */
		execl(bin, bin, "--db", db, "--listen", req_url, "--pub", pub, "--pwhash", "min",
			"--workers", workers, "--log-level", "warn", "--media-limits", "100000/1000000",
			(char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct ag_client *c;
		if (ag_client_open(&c, req_url, 1000) == 0) {
			ag_client_close(c);
			return pid;
		}
		usleep(50000);
	}
	fprintf(stderr, "bench: the server did not start (see %s)\n", log);
	exit(1);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'}, {"clients", required_argument, NULL, 'c'},
		{"users", required_argument, NULL, 'u'}, {"posts", required_argument, NULL, 'p'},
		{0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': seconds = atof(optarg); break;
		case 'c': n_clients = atoi(optarg); break;
		case 'u': n_users = atoi(optarg); break;
		case 'p': n_posts = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench [--seconds S] [--clients N] [--users N] [--posts N]\n");
			return 2;
		}
	}
	if (n_clients < 1 || n_clients > 64 || n_users < 2 || seconds <= 0) {
		fprintf(stderr, "bench: clients 1..64, users >= 2, seconds > 0\n");
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
	printf("seeded %d users, %d posts, ~%d follows in %.1f s\n", n_users, n_users * n_posts,
		n_users * 10, (double)(ag_mono_ms() - t0) / 1000);

	bool photos = prepare_photo();
	struct { const char *name; const char *url; bench_fn fn; } cases[] = {
		{"baseline: nng echo", echo_url, op_echo},
		{"server.ping", req_url, op_ping},
		{"post.get", req_url, op_post_get},
		{"feed.get (20)", req_url, op_feed},
		{"search.users", req_url, op_search},
		{"post.create (saga)", req_url, op_post_create},
		{"post.like (saga)", req_url, op_like},
		{"message.send (saga)", req_url, op_message},
		{"media.upload", req_url, op_upload},
		{"media.get (thumb)", req_url, op_media_thumb},
	};
	size_t n_cases = sizeof cases / sizeof cases[0] - (photos ? 0 : 2);
	double base = 0, ping = 0;
	printf("\n%-22s %12s %10s %10s %12s %10s %8s\n", "op", "ops/s", "p50 us", "p99 us",
		"vs baseline", "vs ping", "errors");
	for (size_t i = 0; i < n_cases; i++) {
		struct result r = measure(cases[i].url, cases[i].fn);
		if (i == 0)
			base = r.ops_per_s;
		if (i == 1)
			ping = r.ops_per_s;
		char vs_ping[16] = "-";  /* the baseline runs before ping */
		if (ping > 0)
			snprintf(vs_ping, sizeof vs_ping, "%.3fx", r.ops_per_s / ping);
		printf("%-22s %12.0f %10.0f %10.0f %11.3fx %10s %8ld\n", cases[i].name,
			r.ops_per_s, r.p50_us, r.p99_us, base > 0 ? r.ops_per_s / base : 0,
			vs_ping, i == 0 ? 0 : r.failed);
	}
	printf("\nserver peak RSS: %ld kB with %d clients\n", proc_status_kb(server, "VmHWM"), n_clients);
	/* The server gets 10 s to stop after SIGTERM, then SIGKILL. */
	kill(server, SIGTERM);
	int stopped = 0;
	for (int waited = 0; !stopped && waited < 10000; waited += 10) {
		stopped = waitpid(server, NULL, WNOHANG) == server;
		if (!stopped)
			usleep(10000);
	}
	if (!stopped) {
		fprintf(stderr, "bench: the server did not exit within 10 s of SIGTERM; killed it\n");
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	nng_close(echo);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 && stopped ? 0 : 1;
}
