/* test_lifecycle.c: the server as an operator sees it: SIGTERM stops it
 * promptly and answers every request it had received, a client that never
 * reads cannot freeze it, a second server refuses a database in use, a
 * database deleted under it or opened read-only is refused loudly, and a
 * full disk is answered `unavailable` while logins keep working. Each
 * test runs its own ansigramd as a direct child, so it can time the exit. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "clock.h"
#include "push.h"

struct proc {
	pid_t pid;
	struct h_server s;       /* paths, for the harness's helpers */
};

/* The servers a test started, killed at its end whatever happened. */
static pid_t started[16];
static int n_started;
static char mounted[64];
/* The directories spawn made, removed at the test's end. */
static char made_dirs[16][64];
static int n_made_dirs;

static void lifecycle_fini(void)
{
	for (int i = 0; i < n_started; i++)
		if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
			waitpid(started[i], NULL, 0);
	if (mounted[0])
		umount2(mounted, MNT_DETACH);
	for (int i = 0; i < n_made_dirs; i++)
		h_remove_tree(made_dirs[i]);
	h_test_fini();
}

TestSuite(lifecycle, .fini = lifecycle_fini);

static void sleep_ms(int64_t ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* spawn_at's db for a database named by ANSIGRAM_DB, not --db. */
static const char DB_FROM_ENV[] = "from ANSIGRAM_DB";

/* Starts ansigramd on dir (made when NULL) with its database at db (NULL:
 * DIR/test.db; DB_FROM_ENV: DIR/env.db, given as ANSIGRAM_DB), plus extra
 * arguments; waits up to 10 s for ping unless expect_exit. */
/* When not 0, the open files limit (soft and hard) of the servers spawned. */
static rlim_t child_files_limit;

static void spawn_at(struct proc *p, const char *dir, const char *db, const char *const extra[],
	bool expect_exit)
{
	/* dir and db may point into *p (a restart on the same files). */
	bool db_from_env = db == DB_FROM_ENV;
	if (db_from_env)
		db = NULL;
	char dir_copy[sizeof p->s.dir] = "", db_copy[sizeof p->s.db_path] = "";
	snprintf(dir_copy, sizeof dir_copy, "%s", dir ? dir : "");
	snprintf(db_copy, sizeof db_copy, "%s", db ? db : "");
	dir = dir ? dir_copy : NULL;
	db = db ? db_copy : NULL;
	memset(p, 0, sizeof *p);
	if (dir) {
		snprintf(p->s.dir, sizeof p->s.dir, "%s", dir);
	} else {
		strcpy(p->s.dir, "/tmp/ag-life-XXXXXX");
		cr_assert_not_null(mkdtemp(p->s.dir));
		if (n_made_dirs < 16)
			snprintf(made_dirs[n_made_dirs++], sizeof made_dirs[0], "%s", p->s.dir);
	}
	snprintf(p->s.url, sizeof p->s.url, "ipc://%s/req%d.sock", p->s.dir, (int)getpid());
	snprintf(p->s.pub_url, sizeof p->s.pub_url, "ipc://%s/pub%d.sock", p->s.dir,
		(int)getpid());
	snprintf(p->s.db_path, sizeof p->s.db_path, "%s", db ? db
		: h_fmt("%s/%s.db", p->s.dir, db_from_env ? "env" : "test"));
	snprintf(p->s.log_path, sizeof p->s.log_path, "%s/server%ld.log", p->s.dir,
		(long)ag_now_ms());
	const char *bin = getenv("ANSIGRAMD");
	cr_assert_not_null(bin);
	const char *argv[32] = {bin, "--listen", p->s.url, "--pub", p->s.pub_url, "--pwhash",
		"min", "--workers", "4"};
	size_t n = 9;
	if (!db_from_env) {
		argv[n++] = "--db";
		argv[n++] = p->s.db_path;
	}
	for (size_t i = 0; extra && extra[i] && n + 1 < 32; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	p->pid = fork();
	cr_assert_neq(p->pid, -1);
	if (p->pid == 0) {
		if (child_files_limit) {
			struct rlimit files = {child_files_limit, child_files_limit};
			setrlimit(RLIMIT_NOFILE, &files);
		}
		int log = open(p->s.log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(log, 2);
		if (db_from_env)
			setenv("ANSIGRAM_DB", p->s.db_path, 1);
		execv(bin, (char **)argv);
		_exit(127);
	}
	if (n_started < 16)
		started[n_started++] = p->pid;
	if (expect_exit)
		return;
	for (int waited = 0; waited < 10000; waited += 20) {
		struct ag_client *c;
		if (ag_client_open(&c, p->s.url, 500) == 0) {
			struct ag_reply r;
			bool up = ag_client_callf(c, &r, "server.ping", NULL, "") == 0 && r.ok;
			if (up)
				ag_reply_free(&r);
			ag_client_close(c);
			if (up) {
				h_use_server(&p->s);
				return;
			}
		}
		sleep_ms(20);
	}
	h_server_print_log(&p->s);
	cr_assert_fail("ansigramd did not come up");
}

static void spawn(struct proc *p, const char *const extra[])
{
	spawn_at(p, NULL, NULL, extra, false);
}

/* Waits up to ms for the process to exit; its status (128+N after signal
 * N), or -1 when it is still running (then it is killed). */
static int wait_exit(struct proc *p, int ms)
{
	int status;
	for (int waited = 0; waited <= ms; waited += 10) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
	h_server_print_log(&p->s);
	return -1;
}

/* SIGTERM; asserts a clean exit within 5 s that needed no deadline rescue. */
static void stop_cleanly(struct proc *p)
{
	kill(p->pid, SIGTERM);
	int64_t start = ag_now_ms();
	int code = wait_exit(p, 5000);
	int64_t took = ag_now_ms() - start;
	if (code != 0)
		h_server_print_log(&p->s);
	cr_assert_eq(code, 0, "SIGTERM: exit status %d after %lld ms", code, (long long)took);
	FILE *f = fopen(p->s.log_path, "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f))
		cr_expect_null(strstr(line, "did not finish"), "the stop needed its deadline: %s",
			line);
	if (f)
		fclose(f);
}

static bool log_has(const struct proc *p, const char *text)
{
	FILE *f = fopen(p->s.log_path, "r");
	char line[2048];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, text) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Whether p's log says text within ms (a line written after the server
 * began to answer requests). */
static bool log_says_within(const struct proc *p, const char *text, int ms)
{
	for (int waited = 0; !log_has(p, text); waited += 20) {
		if (waited >= ms)
			return false;
		sleep_ms(20);
	}
	return true;
}

/* ---- SIGTERM ---- */

struct hammer {
	const char *url;
	const char *token;
	atomic_bool *stop;
	int calls, replies;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct ag_client *c;
	if (ag_client_open(&c, h->url, 2000) != 0)
		return NULL;
	ag_client_set_auth(c, h->token);
	while (!atomic_load(h->stop)) {
		struct ag_reply r;
		h->calls++;
		int rv = h->calls % 3 == 0
			? ag_client_callf(c, &r, "post.create", NULL, "content:s", "load #sigterm")
			: ag_client_callf(c, &r, "feed.get", NULL, "limit:i", (int64_t)20);
		if (rv != 0)
			break;  /* the server is gone */
		h->replies++;
		ag_reply_free(&r);
	}
	ag_client_close(c);
	return NULL;
}

Test(lifecycle, sigterm_under_load_exits_promptly, .timeout = 120)
{
	for (int round = 0; round < 5; round++) {
		struct proc p;
		spawn(&p, NULL);
		struct h_user u;
		h_user_new(&u);
		atomic_bool stop = false;
		struct hammer hs[8];
		pthread_t t[8];
		for (int i = 0; i < 8; i++) {
			hs[i] = (struct hammer){p.s.url, u.token, &stop, 0, 0};
			pthread_create(&t[i], NULL, hammer_main, &hs[i]);
		}
		sleep_ms(round % 2 ? 50 : 400);  /* right after load starts, and in its midst */
		stop_cleanly(&p);
		if (round == 4) {
			/* as scripts do: the socket directory goes at once */
			char cmd[128];
			snprintf(cmd, sizeof cmd, "rm -rf %s", p.s.dir);
			cr_assert_eq(system(cmd), 0);
		}
		atomic_store(&stop, true);
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
	}
}

/* One client per request, so all of them are in flight at once; logins
 * at the interactive password cost keep the workers busy meanwhile. */
struct in_flight {
	const char *url;
	const struct h_user *u;
	pthread_barrier_t *ready;
	int rv;
	bool ok;
	enum ag_err code;
	uint64_t retry_after_ms;
};

static void *login_in_flight(void *arg)
{
	struct in_flight *f = arg;
	struct ag_client *c;
	struct ag_reply r;
	f->rv = ag_client_open(&c, f->url, 8000);
	if (f->rv == 0 && (f->rv = ag_client_callf(c, &r, "server.ping", NULL, "")) == 0)
		ag_reply_free(&r);  /* connected: the next request goes out at once */
	pthread_barrier_wait(f->ready);
	if (f->rv != 0)
		return NULL;
	f->rv = ag_client_callf(c, &r, "auth.login", NULL, "username:s password:s",
		f->u->username, f->u->password);
	if (f->rv == 0) {
		f->ok = r.ok;
		f->code = r.code;
		f->retry_after_ms = r.retry_after_ms;
		ag_reply_free(&r);
	}
	ag_client_close(c);
	return NULL;
}

Test(lifecycle, sigterm_answers_every_request_it_received)
{
	struct proc p;
	const char *const slow[] = {"--pwhash", "interactive", NULL};
	spawn(&p, slow);
	struct h_user u;
	h_user_new(&u);
	enum { N = 16 };
	struct in_flight f[N];
	pthread_t t[N];
	pthread_barrier_t ready;
	pthread_barrier_init(&ready, NULL, N + 1);
	for (int i = 0; i < N; i++) {
		f[i] = (struct in_flight){.url = p.s.url, .u = &u, .ready = &ready};
		pthread_create(&t[i], NULL, login_in_flight, &f[i]);
	}
	pthread_barrier_wait(&ready);
	sleep_ms(100);  /* sent, and read by the server: its workers are busy hashing */
	kill(p.pid, SIGTERM);
	int answered = 0, ok = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(f[i].rv, 0, "request %d: %s", i, nng_strerror(f[i].rv));
		if (f[i].rv != 0)
			continue;
		answered++;
		ok += f[i].ok;
		cr_expect(f[i].ok || f[i].code == AG_E_UNAVAILABLE, "request %d: code %d", i,
			f[i].code);
		cr_expect(f[i].ok || f[i].retry_after_ms > 0);
	}
	if (answered != N) {
		wait_exit(&p, 5000);
		h_server_print_log(&p.s);
	}
	cr_assert_eq(answered, N, "%d of %d requests in flight got no reply", N - answered, N);
	cr_expect_lt(ok, N, "every request was served before the stop: the test proves nothing");
	cr_assert_eq(wait_exit(&p, 5000), 0);
	pthread_barrier_destroy(&ready);
}

/* ---- a client that never reads ---- */

/* Sends one feed.get request by hand. */
static void raw_send(int fd, uint32_t id, const char *token, int64_t limit)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	ag_pack_key(&pk, "v");
	msgpack_pack_uint8(&pk, 1);
	ag_pack_key(&pk, "op");
	ag_pack_str(&pk, "feed.get");
	ag_pack_key(&pk, "auth");
	ag_pack_str(&pk, token);
	ag_pack_key(&pk, "args");
	msgpack_pack_map(&pk, 1);
	ag_pack_key(&pk, "limit");
	msgpack_pack_int64(&pk, limit);
	cr_assert(h_raw_ipc_send(fd, id, sb.data, sb.size));
	msgpack_sbuffer_destroy(&sb);
}

Test(lifecycle, a_client_that_never_reads_freezes_nothing, .timeout = 120)
{
	struct proc p;
	spawn(&p, NULL);
	struct h_user u;
	h_user_new(&u);
	/* 100 long posts: every feed page of 100 is a reply of ~230 KB. */
	const char *text = h_repeat("a", 2200);
	for (int i = 0; i < 100; i++)
		h_ok(u.c, "post.create", "content:s", text);

	int fd = h_raw_ipc_connect(p.s.url);
	for (uint32_t i = 0; i < 16; i++)
		raw_send(fd, i + 1, u.token, 100);
	/* It never reads. Everyone else is served meanwhile, promptly. */
	struct ag_client *other = h_client();
	int64_t start = ag_now_ms();
	for (int i = 0; i < 30; i++) {
		int64_t t0 = ag_now_ms();
		h_ok(other, "server.ping", "");
		h_ok(u.c, "feed.get", "limit:i", (int64_t)5);
		cr_assert_lt(ag_now_ms() - t0, 3000, "a call took %lld ms while a peer does not read",
			(long long)(ag_now_ms() - t0));
		sleep_ms(200);
	}
	/* By now the server gave up on it and hung up: reading drains what was
	 * buffered and then sees the end. */
	cr_assert_geq(ag_now_ms() - start, 5000);
	char buf[65536];
	ssize_t got;
	int64_t drain_start = ag_now_ms();
	while ((got = read(fd, buf, sizeof buf)) > 0 && ag_now_ms() - drain_start < 10000)
		;
	cr_assert_eq(got, 0, "the server kept a peer that does not read its replies");
	close(fd);
	cr_assert(log_has(&p, "did not read its reply"));
	stop_cleanly(&p);
}

/* ---- the database file ---- */

Test(lifecycle, a_second_server_on_the_same_database_refuses_to_start)
{
	struct proc first, second;
	spawn(&first, NULL);
	spawn_at(&second, first.s.dir, first.s.db_path, NULL, true);
	/* the second one's sockets differ only by name: same pid-less dir */
	cr_assert_eq(wait_exit(&second, 10000), 1);
	cr_assert(log_has(&second, h_fmt("another ansigramd (pid %d)", (int)first.pid)),
		"the refusal does not name the running server");
	h_use_server(&first.s);
	h_ok(h_client(), "server.ping", "");
	stop_cleanly(&first);
}

Test(lifecycle, a_deleted_database_is_noticed_and_writes_refused)
{
	struct proc p;
	spawn(&p, NULL);
	struct h_user u;
	h_user_new(&u);
	h_ok(u.c, "post.create", "content:s", "before");
	cr_assert_eq(unlink(p.s.db_path), 0);
	const struct ag_reply *r = NULL;
	for (int waited = 0; waited < 10000; waited += 100) {
		r = h_call(u.c, "post.create", "content:s", "after");
		if (!r->ok)
			break;
		sleep_ms(100);
	}
	cr_assert_eq(r->code, AG_E_UNAVAILABLE, "a write into a deleted database: %s",
		r->code_name);
	cr_assert(log_has(&p, "was deleted"));
	stop_cleanly(&p);
}

/* Request threads never checkpoint the WAL (a checkpoint syncs the file):
 * the housekeeper does, once commits have left 1000 pages in it, and the
 * rows reach the database file. */
Test(lifecycle, the_housekeeper_checkpoints_the_wal)
{
	struct proc p;
	const char *const extra[] = {"--log-level", "debug", NULL};
	spawn(&p, extra);
	struct stat before;
	cr_assert_eq(stat(p.s.db_path, &before), 0);
	struct h_user u;
	h_user_new(&u);
	const char *text = h_repeat("w", 2000);
	for (int i = 0; i < 400 && !log_has(&p, "WAL checkpoint by the housekeeper"); i++)
		h_ok(u.c, "post.create", "content:s", text);
	bool said = false;
	for (int waited = 0; waited < 10000 && !said; waited += 100) {
		said = log_has(&p, "WAL checkpoint by the housekeeper");
		if (!said)
			sleep_ms(100);
	}
	if (!said)
		h_server_print_log(&p.s);
	cr_assert(said, "no checkpoint by the housekeeper after 400 posts");
	struct stat after;
	cr_assert_eq(stat(p.s.db_path, &after), 0);
	cr_assert_gt(after.st_size, before.st_size + 64 * 1024,
		"the posts did not reach the database file (%lld bytes, %lld before)",
		(long long)after.st_size, (long long)before.st_size);
	stop_cleanly(&p);
}

Test(lifecycle, a_read_only_database_refuses_to_start)
{
	struct proc p;
	spawn(&p, NULL);
	stop_cleanly(&p);
	cr_assert_eq(chmod(p.s.db_path, 0444), 0);
	const char *const extra[] = {NULL};
	if (geteuid() == 0) {
		/* root writes anything: start it as nobody, on its own lock file */
		cr_assert_eq(chmod(p.s.dir, 0777), 0);
		unlink(h_fmt("%s.lock", p.s.db_path));
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "setpriv --reuid=65534 --regid=65534 --clear-groups "
			"%s --db %s --listen ipc://%s/ro.sock --pub ipc://%s/ro-pub.sock "
			"2>%s/ro.log", getenv("ANSIGRAMD"), p.s.db_path, p.s.dir, p.s.dir, p.s.dir);
		int status = system(cmd);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
			"status %d for a read-only database", status);
		snprintf(p.s.log_path, sizeof p.s.log_path, "%s/ro.log", p.s.dir);
	} else {
		spawn_at(&p, p.s.dir, p.s.db_path, extra, true);
		cr_assert_eq(wait_exit(&p, 10000), 1);
	}
	cr_assert(log_has(&p, "read-only"), "the refusal does not say the database is read-only");
}

/* ---- a full disk ---- */

Test(lifecycle, a_full_disk_is_unavailable_and_logins_go_on, .timeout = 180)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small file system");
	char mnt[] = "/tmp/ag-full-XXXXXX";
	cr_assert_not_null(mkdtemp(mnt));
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m") != 0)
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
	snprintf(mounted, sizeof mounted, "%s", mnt);
	struct proc p;
	spawn_at(&p, NULL, h_fmt("%s/full.db", mnt), NULL, false);
	struct h_user u, friend;
	h_user_new(&u);
	h_user_new(&friend);
	h_ok(u.c, "post.create", "content:s", "room enough");

	/* Fill the disk, then write until the database cannot grow. */
	char filler[128];
	snprintf(filler, sizeof filler, "%s/filler", mnt);
	int fd = open(filler, O_WRONLY | O_CREAT, 0600);
	static char block[65536];
	while (write(fd, block, sizeof block) > 0)
		;
	close(fd);
	const char *text = h_repeat("f", 2200);
	const struct ag_reply *r = NULL;
	for (int i = 0; i < 5000; i++) {
		r = h_call(u.c, "post.create", "content:s", text);
		if (!r->ok)
			break;
	}
	cr_assert_eq(r->code, AG_E_UNAVAILABLE, "a write on a full disk: %s: %s",
		r->code_name, r->message);
	cr_assert_gt(r->retry_after_ms, 0);
	cr_assert(strstr(r->message, "storage is full"), "message: %s", r->message);

	/* Logging in still works, and the session it opens serves requests. */
	const msgpack_object *login = h_ok(h_client(), "auth.login", "username:s password:s",
		u.username, u.password);
	struct ag_client *c = h_client();
	char *token = ag_obj_strdup(login, "token");
	ag_client_set_auth(c, token);
	free(token);
	h_ok(c, "auth.me", "");
	h_err(AG_E_UNAVAILABLE, c, "message.send", "receiver_id:i content:s", friend.id, "hi");

	/* Space returns: writes work again and the session gets its row. */
	cr_assert_eq(unlink(filler), 0);
	bool stored = false;
	for (int waited = 0; waited < 20000 && !stored; waited += 200) {
		sleep_ms(200);
		stored = log_has(&p, "are now stored");
	}
	cr_assert(stored, "the in-memory session was never stored");
	h_ok(c, "post.create", "content:s", "room again");
	h_ok(c, "auth.me", "");
	stop_cleanly(&p);
	cr_assert_eq(umount(mnt), 0);
	mounted[0] = '\0';
	rmdir(mnt);
}

/* ---- durability setting ---- */

Test(lifecycle, sync_full_is_taken_and_said_and_a_bad_mode_is_refused)
{
	struct proc p;
	spawn(&p, NULL);
	cr_assert(log_has(&p, "(synchronous normal)"), "the default is not said to be normal");
	stop_cleanly(&p);
	const char *const full[] = {"--sync", "full", NULL};
	spawn_at(&p, p.s.dir, p.s.db_path, full, false);
	cr_assert(log_has(&p, "(synchronous full)"), "--sync full is not said to be in force");
	h_ok(h_client(), "server.ping", "");
	stop_cleanly(&p);
	const char *const bogus[] = {"--sync", "sometimes", NULL};
	spawn_at(&p, p.s.dir, p.s.db_path, bogus, true);
	cr_assert_eq(wait_exit(&p, 10000), 2);
	cr_assert(log_has(&p, "--sync wants normal or full, not 'sometimes'"));
}

/* By default a server on ipc push URLs runs 256 push shards, fewer when
 * their listeners would take more than an eighth of its open files. */
Test(lifecycle, push_shards_by_default_fit_the_open_files_limit)
{
	struct proc p;
	child_files_limit = 1024;
	spawn(&p, NULL);
	child_files_limit = 0;
	cr_assert(log_says_within(&p, "(and 127 more push shards)", 10000), "a limit of 1024 files did not "
		"give 128 shards");
	stop_cleanly(&p);
	struct rlimit files;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &files), 0);
	if (files.rlim_max != RLIM_INFINITY && files.rlim_max < 2048)
		cr_skip_test("the open files limit (%llu) is too low for 256 shards",
			(unsigned long long)files.rlim_max);
	spawn(&p, NULL);
	cr_assert(log_says_within(&p, "(and 255 more push shards)", 10000),
		"256 shards were not started");
	stop_cleanly(&p);
}

Test(lifecycle, push_shards_go_up_to_1024)
{
	struct rlimit files;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &files), 0);
	if (files.rlim_max != RLIM_INFINITY && files.rlim_max < 1200)
		cr_skip_test("the open files limit (%llu) is too low for 1024 shards",
			(unsigned long long)files.rlim_max);
	struct proc p;
	const char *const most[] = {"--push-shards", "1024", NULL};
	spawn(&p, most);
	cr_assert(log_says_within(&p, "(and 1023 more push shards)", 10000),
		"1024 shards were not started");
	h_ok(h_client(), "server.ping", "");
	stop_cleanly(&p);
	const char *const too_many[] = {"--push-shards", "1025", NULL};
	spawn_at(&p, p.s.dir, p.s.db_path, too_many, true);
	cr_assert_eq(wait_exit(&p, 10000), 2);
	cr_assert(log_has(&p, "--push-shards wants a number from 1 to 1024, not '1025'"));
}

/* The push URL of shard k of p's server (shard k > 0 of ipc://P.sock is
 * ipc://P-k.sock, as --help says). */
static const char *shard_of(const struct proc *p, int k)
{
	size_t len = strlen(p->s.pub_url);
	return k == 0 ? h_fmt("%s", p->s.pub_url)
		: h_fmt("%.*s-%d.sock", (int)(len - 5), p->s.pub_url, k);
}

static bool obj_is_str(const msgpack_object *o, const char *s)
{
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
		memcmp(o->via.str.ptr, s, strlen(s)) == 0;
}

/* A session's shard is its topic's first two bytes modulo the shard count,
 * so a restart with another count moves sessions: auth.push names the URL
 * the server publishes the session's events on now, and they arrive there. */
Test(lifecycle, after_a_restart_with_other_push_shards_auth_push_names_the_new_url)
{
	struct proc p;
	const char *const two[] = {"--push-shards", "2", NULL};
	spawn(&p, two);
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	const msgpack_object *login = NULL;
	unsigned v = 0;
	for (int tries = 0; tries < 40; tries++) {   /* one whose shard moves */
		login = h_ok(h_client(), "auth.login", "username:s password:s", u.username,
			u.password);
		const msgpack_object *topic = ag_obj_get(ag_obj_get(login, "push"), "topic");
		cr_assert(topic && topic->type == MSGPACK_OBJECT_BIN && topic->via.bin.size == 16);
		const uint8_t *t = (const uint8_t *)topic->via.bin.ptr;
		v = (unsigned)t[0] | (unsigned)t[1] << 8;
		if (v % 2 != v % 3)
			break;
	}
	cr_assert_neq(v % 2, v % 3, "no login's shard moves from 2 shards to 3");
	const msgpack_object *push = ag_obj_get(login, "push");
	cr_assert(obj_is_str(ag_obj_at(ag_obj_get(push, "urls"), 0), shard_of(&p, (int)(v % 2))),
		"the login did not name shard %u of 2", v % 2);
	char token[128];
	const msgpack_object *tok = ag_obj_get(login, "token");
	cr_assert(tok && tok->type == MSGPACK_OBJECT_STR && tok->via.str.size < sizeof token);
	snprintf(token, sizeof token, "%.*s", (int)tok->via.str.size, tok->via.str.ptr);
	uint8_t topic[16], key[32];
	memcpy(topic, ag_obj_get(push, "topic")->via.bin.ptr, sizeof topic);
	memcpy(key, ag_obj_get(push, "key")->via.bin.ptr, sizeof key);
	struct ag_client *me = h_client();
	ag_client_set_auth(me, token);
	cr_assert(obj_is_str(ag_obj_at(ag_obj_get(h_ok(me, "auth.push", ""), "urls"), 0),
		shard_of(&p, (int)(v % 2))), "auth.push and the login disagree");
	stop_cleanly(&p);

	const char *const three[] = {"--push-shards", "3", NULL};
	spawn_at(&p, p.s.dir, p.s.db_path, three, false);
	me = h_client();
	ag_client_set_auth(me, token);
	const char *now = shard_of(&p, (int)(v % 3));
	cr_assert(obj_is_str(ag_obj_at(ag_obj_get(h_ok(me, "auth.push", ""), "urls"), 0), now),
		"auth.push did not name shard %u of 3", v % 3);
	/* Never closed: nng 1.5.2's SUB close can hang (the harness's rule). */
	struct ag_sub *sub;
	cr_assert_eq(ag_sub_open(&sub, now, topic, key), 0);
	for (int waited = 0; !ag_sub_connected(sub) && waited < 10000; waited += 20)
		sleep_ms(20);
	cr_assert(ag_sub_connected(sub), "the subscriber never connected to %s", now);
	struct ag_client *fan_c = h_client();
	ag_client_set_auth(fan_c, fan.token);
	h_ok(fan_c, "follow.create", "user_id:i", u.id);
	struct ag_event ev;
	int rv = ag_sub_next(sub, 10000, &ev);
	cr_assert_eq(rv, 0, "no event on %s: %s", now, nng_strerror(rv));
	cr_expect_str_eq(ev.type, "notification");
	ag_event_free(&ev);
	stop_cleanly(&p);
}

Test(lifecycle, ansigram_db_names_the_database_and_a_uri_is_refused)
{
	struct proc p;
	spawn_at(&p, NULL, DB_FROM_ENV, NULL, false);
	cr_assert(log_has(&p, h_fmt("database %s ", p.s.db_path)),
		"the server did not say it opened ANSIGRAM_DB's file");
	h_ok(h_client(), "server.ping", "");
	stop_cleanly(&p);
	cr_assert_eq(access(p.s.db_path, F_OK), 0, "no database at ANSIGRAM_DB's path");
	spawn_at(&p, p.s.dir, "postgresql://ansigram@db.example/ansigram", NULL, true);
	cr_assert_eq(wait_exit(&p, 10000), 2);
	cr_assert(log_has(&p, "is a URI: this server keeps its data in SQLite, give a file path"));
}

/* The soft open files limit of pid, or -1. */
static long open_files_limit(pid_t pid, long *hard)
{
	FILE *f = fopen(h_fmt("/proc/%d/limits", (int)pid), "r");
	if (!f)
		return -1;
	char line[256];
	long soft = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Max open files %ld %ld", &soft, hard) == 2)
			break;
	fclose(f);
	return soft;
}

Test(lifecycle, the_open_files_limit_is_raised_to_the_hard_one)
{
	struct rlimit was;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
	cr_assert_gt(was.rlim_max, 256, "the hard limit is too low to tell");
	struct rlimit low = {256, was.rlim_max};
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct proc p;
	spawn(&p, NULL);  /* inherits the soft limit of 256 */
	setrlimit(RLIMIT_NOFILE, &was);
	long hard = -1, soft = open_files_limit(p.pid, &hard);
	cr_expect_eq(soft, hard, "the server kept a soft limit of %ld (hard %ld)", soft, hard);
	stop_cleanly(&p);
}
