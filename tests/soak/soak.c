/* soak.c: ansigramd under a steady mixed load, then SIGTERM.
 *
 * 64 client threads (32 users, two sessions each) make about 70 % reads
 * and 30 % saga writes for --seconds (20 in the suite). Eight of the
 * users are listeners: a subscribed live session each (protocol/push.h),
 * following every other non-listener; the writes that concern them
 * (posts and stories of people they follow, messages to them and from
 * their other session, comments on and likes of their posts) are counted
 * as they are acknowledged, so each listener's events expected are known.
 * Checks: no error replies, events received = events expected per
 * listener and type with seq counting up by one, the server's RSS and open
 * descriptors at the end within a slack of their level after warm-up, and
 * an exit status 0 within 5 s of SIGTERM (else it is killed with SIGKILL
 * and the soak fails). Prints the figures.
 *
 * Usage: soak [--seconds N] [criterion options]; ANSIGRAMD names the
 * server binary. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>

#include "clock.h"
#include "live.h"
#include "procinfo.h"
#include "rec_server.h"

TestSuite(soak, .fini = rec_test_fini);

#define CLIENTS 64
#define USERS 32
#define LISTENERS 8
#define LISTENER_POSTS 4
#define CALL_TIMEOUT_MS 10000
#define EVENTS_TIMEOUT_MS 15000   /* for the last events after the load stops */
#define TERM_TIMEOUT_MS 5000      /* SIGTERM to exit */
#define RSS_SLACK_KB (24 * 1024)  /* plus a quarter of the level after warm-up */
#define FD_SLACK 8

/* Under AddressSanitizer (the whole build is sanitized, the server too)
 * freed memory waits in a quarantine of up to 256 MiB, so RSS only says
 * something about leaks in a plain build. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED false
#else
#define RSS_CHECKED true
#endif

enum ev_type { EV_NOTIFICATION, EV_MESSAGE, EV_POST, EV_STORY, EV__COUNT };
static const char *const ev_names[EV__COUNT] = {"notification", "message", "post", "story"};

static struct h_user users[USERS];
static struct live lives[LISTENERS];
static int64_t listener_posts[LISTENERS][LISTENER_POSTS];
static const char *url;

static atomic_long expected[LISTENERS][EV__COUNT], received[LISTENERS][EV__COUNT];
static atomic_long gaps[LISTENERS], unknown_events;
static atomic_long reads, writes, error_replies, no_replies;
static atomic_bool stop_load, stop_subs;

static bool is_listener(int u)
{
	return u < LISTENERS;
}

/* ---- the subscribers ---- */

static void *subscriber_main(void *arg)
{
	int li = (int)(intptr_t)arg;
	uint64_t last = 0;
	while (!atomic_load(&stop_subs)) {
		struct ag_event ev;
		if (ag_sub_next(lives[li].sub, 100, &ev) != 0)
			continue;
		if (ev.seq != last + 1) {
			atomic_fetch_add(&gaps[li], 1);
			fprintf(stderr, "soak: listener %d: seq %llu after %llu\n", li,
				(unsigned long long)ev.seq, (unsigned long long)last);
		}
		last = ev.seq;
		int t = 0;
		while (t < EV__COUNT && strcmp(ev.type, ev_names[t]) != 0)
			t++;
		if (t < EV__COUNT)
			atomic_fetch_add(&received[li][t], 1);
		else
			atomic_fetch_add(&unknown_events, 1);
		ag_event_free(&ev);
	}
	return NULL;
}

/* ---- the load ---- */

struct client {
	int index;
	int user;
	bool subscribed_session;   /* calls as the listener's subscribed session */
	struct ag_client *c;
	unsigned rng;
};

static int rnd(struct client *cl, int n)
{
	return (int)(rand_r(&cl->rng) % (unsigned)n);
}

/* Counts a reply: true when it is ok. Prints the first few failures. */
static bool counted(struct client *cl, const char *op, int rv, struct ag_reply *r)
{
	if (rv != 0) {
		if (atomic_fetch_add(&no_replies, 1) < 5)
			fprintf(stderr, "soak: client %d: %s: no reply: %s\n", cl->index, op,
				nng_strerror(rv));
		return false;
	}
	bool ok = r->ok;
	if (!ok && atomic_fetch_add(&error_replies, 1) < 5)
		fprintf(stderr, "soak: client %d: %s: %s: %s (field %s)\n", cl->index, op,
			r->code_name, r->message, r->field);
	ag_reply_free(r);
	return ok;
}

static void expect_event(int listener, enum ev_type t)
{
	atomic_fetch_add(&expected[listener][t], 1);
}

static void one_read(struct client *cl)
{
	struct ag_reply r;
	int64_t post = listener_posts[rnd(cl, LISTENERS)][rnd(cl, LISTENER_POSTS)];
	int rv;
	const char *op;
	switch (rnd(cl, 9)) {
	case 0: rv = ag_client_callf(cl->c, &r, op = "post.get", NULL, "post_id:i", post); break;
	case 1: rv = ag_client_callf(cl->c, &r, op = "feed.get", NULL, "limit:i", (int64_t)20); break;
	case 2: rv = ag_client_callf(cl->c, &r, op = "user.get", NULL, "user_id:i",
			users[rnd(cl, USERS)].id); break;
	case 3: rv = ag_client_callf(cl->c, &r, op = "search.users", NULL, "q:s", "soak"); break;
	case 4: rv = ag_client_callf(cl->c, &r, op = "post.comments", NULL, "post_id:i limit:i",
			post, (int64_t)20); break;
	case 5: rv = ag_client_callf(cl->c, &r, op = "notification.list", NULL, "limit:i",
			(int64_t)20); break;
	case 6: rv = ag_client_callf(cl->c, &r, op = "message.conversations", NULL, ""); break;
	case 7: rv = ag_client_callf(cl->c, &r, op = "inbox.counts", NULL, ""); break;
	default: rv = ag_client_callf(cl->c, &r, op = "user.posts", NULL, "user_id:i limit:i",
			users[rnd(cl, USERS)].id, (int64_t)10); break;
	}
	counted(cl, op, rv, &r);
	atomic_fetch_add(&reads, 1);
}

/* A write, and the events it owes listeners once acknowledged. */
static void one_write(struct client *cl)
{
	struct ag_reply r;
	int u = cl->user, kind = rnd(cl, 100);
	int target = rnd(cl, LISTENERS);
	if (target == u)
		target = (target + 1) % LISTENERS;
	int64_t post = listener_posts[target][rnd(cl, LISTENER_POSTS)];
	atomic_fetch_add(&writes, 1);
	if (kind < 35) {
		bool story = kind < 10;
		const char *op = story ? "story.create" : "post.create";
		if (counted(cl, op, ag_client_callf(cl->c, &r, op, NULL, "content:s",
				"soak load #soak"), &r) && !is_listener(u))
			for (int l = 0; l < LISTENERS; l++)
				expect_event(l, story ? EV_STORY : EV_POST);
	} else if (kind < 60) {
		if (counted(cl, "message.send", ag_client_callf(cl->c, &r, "message.send", NULL,
				"receiver_id:i content:s", users[target].id, "soak message"), &r)) {
			expect_event(target, EV_MESSAGE);
			expect_event(target, EV_NOTIFICATION);
			if (is_listener(u) && !cl->subscribed_session)
				expect_event(u, EV_MESSAGE);  /* the sender's other session */
		}
	} else if (kind < 80) {
		if (counted(cl, "comment.create", ag_client_callf(cl->c, &r, "comment.create", NULL,
				"post_id:i content:s", post, "soak comment"), &r))
			expect_event(target, EV_NOTIFICATION);
	} else {
		int rv = ag_client_callf(cl->c, &r, "post.like", NULL, "post_id:i", post);
		bool liked = rv == 0 && r.ok && ag_obj_bool(r.data, "liked");
		if (counted(cl, "post.like", rv, &r) && liked)
			expect_event(target, EV_NOTIFICATION);
	}
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	while (!atomic_load(&stop_load)) {
		if (rnd(cl, 10) < 7)
			one_read(cl);
		else
			one_write(cl);
	}
	return NULL;
}

/* ---- the server process ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool all_events_in(void)
{
	for (int l = 0; l < LISTENERS; l++)
		for (int t = 0; t < EV__COUNT; t++)
			if (atomic_load(&received[l][t]) < atomic_load(&expected[l][t]))
				return false;
	return true;
}

/* ---- the soak ---- */

static void set_up_people(void)
{
	for (int u = 0; u < USERS; u++)
		h_user_new_named(&users[u], h_unique("soak"), "Soak Tester");
	for (int l = 0; l < LISTENERS; l++) {
		for (int u = LISTENERS; u < USERS; u++)
			h_ok(users[l].c, "follow.create", "user_id:i", users[u].id);
		for (int p = 0; p < LISTENER_POSTS; p++)
			listener_posts[l][p] = ag_obj_int(h_ok(users[l].c, "post.create", "content:s",
				"a listener's post #soak"), "id");
	}
	for (int l = 0; l < LISTENERS; l++) {
		live_login(&lives[l], &users[l]);
		live_subscribe(&lives[l]);
	}
}

Test(soak, mixed_load_then_sigterm, .timeout = 0)
{
	const char *env = getenv("SOAK_SECONDS");
	double seconds = env ? atof(env) : 20;
	cr_assert_gt(seconds, 0, "SOAK_SECONDS must be positive");
	double warmup = seconds / 5 < 3 ? seconds / 5 : 3;

	struct h_server s;
	rec_start(&s, NULL);
	url = s.url;
	set_up_people();

	pthread_t subs[LISTENERS], th[CLIENTS];
	for (int l = 0; l < LISTENERS; l++)
		cr_assert_eq(pthread_create(&subs[l], NULL, subscriber_main, (void *)(intptr_t)l), 0);
	static struct client clients[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		struct client *cl = &clients[i];
		cl->index = i;
		cl->user = i % USERS;
		cl->subscribed_session = is_listener(cl->user) && i < USERS;
		cl->rng = (unsigned)i * 2654435761u + 1;
		cr_assert_eq(ag_client_open(&cl->c, url, CALL_TIMEOUT_MS), 0);
		ag_client_set_auth(cl->c, cl->subscribed_session ? lives[cl->user].token
			: users[cl->user].token);
	}
	int64_t t0 = ag_mono_ms();
	for (int i = 0; i < CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, client_main, &clients[i]), 0);

	sleep_ms((long)(warmup * 1000));
	long rss0 = proc_status_kb(s.keeper, "VmRSS"), fds0 = proc_open_fds(s.keeper);
	sleep_ms((long)((seconds - warmup) * 1000));
	atomic_store(&stop_load, true);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	double load_s = (double)(ag_mono_ms() - t0) / 1000;

	int64_t wait_until = ag_mono_ms() + EVENTS_TIMEOUT_MS;
	while (!all_events_in() && ag_mono_ms() < wait_until)
		sleep_ms(50);
	sleep_ms(200);  /* anything beyond the expected shows up too */
	long rss1 = proc_status_kb(s.keeper, "VmRSS"), fds1 = proc_open_fds(s.keeper);

	int64_t term_at = ag_mono_ms();
	kill(s.keeper, SIGTERM);
	int status = rec_wait_exit(&s, TERM_TIMEOUT_MS);
	double exit_ms = (double)(ag_mono_ms() - term_at);
	if (status < 0) {
		fprintf(stderr, "soak: ansigramd still runs %d ms after SIGTERM; killing it\n",
			TERM_TIMEOUT_MS);
		h_server_print_log(&s);
		rec_kill(&s);
	} else if (status != 0) {
		h_server_print_log(&s);
	}
	atomic_store(&stop_subs, true);
	for (int l = 0; l < LISTENERS; l++)
		pthread_join(subs[l], NULL);
	for (int i = 0; i < CLIENTS; i++)
		ag_client_close(clients[i].c);

	long exp_total = 0, got_total = 0, gap_total = 0;
	bool events_match = true;
	for (int l = 0; l < LISTENERS; l++) {
		gap_total += atomic_load(&gaps[l]);
		for (int t = 0; t < EV__COUNT; t++) {
			long e = atomic_load(&expected[l][t]), g = atomic_load(&received[l][t]);
			exp_total += e;
			got_total += g;
			if (e != g) {
				events_match = false;
				fprintf(stderr, "soak: listener %d: %ld %s events expected, %ld received\n",
					l, e, ev_names[t], g);
			}
		}
	}
	long n_reads = atomic_load(&reads), n_writes = atomic_load(&writes);
	printf("soak: %.1f s, %d clients: %ld ops (%.0f/s; %ld reads, %ld writes), "
		"%ld error replies, %ld without reply; events: %ld expected, %ld received, "
		"%ld seq gaps, %ld unknown; RSS %ld -> %ld kB; fds %ld -> %ld; "
		"SIGTERM: %s after %.0f ms\n",
		load_s, CLIENTS, n_reads + n_writes, (double)(n_reads + n_writes) / load_s, n_reads,
		n_writes, atomic_load(&error_replies), atomic_load(&no_replies), exp_total, got_total,
		gap_total, atomic_load(&unknown_events), rss0, rss1, fds0, fds1,
		status < 0 ? "no exit, killed with SIGKILL" : h_fmt("exit status %d", status), exit_ms);
	fflush(stdout);

	cr_expect_eq(atomic_load(&error_replies), 0, "soak: error replies");
	cr_expect_eq(atomic_load(&no_replies), 0, "soak: calls without a reply");
	cr_expect(events_match, "soak: events received differ from events expected");
	cr_expect_eq(gap_total, 0, "soak: seq gaps");
	cr_expect_eq(atomic_load(&unknown_events), 0, "soak: events of unknown types");
	cr_expect(rss0 > 0 && (!RSS_CHECKED || rss1 <= rss0 + rss0 / 4 + RSS_SLACK_KB),
		"soak: the server's RSS grew from %ld to %ld kB", rss0, rss1);
	cr_expect(fds0 > 0 && fds1 <= fds0 + FD_SLACK,
		"soak: the server's open descriptors grew from %ld to %ld", fds0, fds1);
	cr_expect_geq(status, 0, "soak: ansigramd did not exit within %d ms of SIGTERM",
		TERM_TIMEOUT_MS);
	if (status >= 0)
		cr_expect_eq(status, 0, "soak: ansigramd exited with status %d after SIGTERM", status);
	rec_discard(&s);
}

/* --seconds N is the soak's own option (passed to the test through
 * SOAK_SECONDS); everything else goes to criterion. */
int main(int argc, char **argv)
{
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			setenv("SOAK_SECONDS", argv[++i], 1);
			continue;
		}
		if (strncmp(argv[i], "--seconds=", 10) == 0) {
			setenv("SOAK_SECONDS", argv[i] + 10, 1);
			continue;
		}
		argv[kept++] = argv[i];
	}
	argc = kept;
	argv[argc] = NULL;
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
