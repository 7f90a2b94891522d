/* test_push.c: the push plane (PROTOCOL.md section 6) end to end: who
 * receives which event (mentions among them), that nobody else can open
 * it, seq without gaps (also in a burst from concurrent senders), latency
 * over ipc, logout, liveness, and events queued at SIGTERM. The file's server serves the
 * tests with little traffic; the others run their own (see own_server). */
#include <criterion/criterion.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <sodium.h>

#include "live.h"

H_SERVER_PER_FILE(NULL)
TestSuite(push, .fini = h_test_fini, .timeout = 60);

#define EVENT_TIMEOUT_MS 2000
#define QUIET_MS 300
#define LATENCY_ROUNDS 300
#define MEDIAN_BOUND_MS 100.0
#define WORST_BOUND_MS 1000.0

/* Starts a server for this test alone and points the helpers at it:
 * for tests whose traffic would reach every other test's subscribers
 * (a PUB socket sends every event to every subscriber, which drops what it
 * cannot open), or that stop the server. */
static void own_server_args(struct h_server *s, const char *const *extra)
{
	cr_assert(h_server_start_args(s, NULL, extra), "the server did not start");
	h_use_server(s);
}

static void own_server(struct h_server *s)
{
	own_server_args(s, NULL);
}

/* The URL of push shard k of the current server, by the rule ansigramd
 * --help states: shard k > 0 of ipc://P.sock is ipc://P-k.sock. */
static void shard_url(int k, char *out, size_t size)
{
	const char *base = h_pub_url();
	size_t len = strlen(base);
	cr_assert(len > 5 && strcmp(base + len - 5, ".sock") == 0);
	if (k == 0)
		snprintf(out, size, "%s", base);
	else
		snprintf(out, size, "%.*s-%d.sock", (int)(len - 5), base, k);
}

static void stop_own_server(struct h_server *s)
{
	cr_expect_eq(h_server_stop(s), 0, "ansigramd did not stop cleanly");
}

static int64_t send_message(struct ag_client *c, const struct h_user *to, const char *text)
{
	return ag_obj_int(h_ok(c, "message.send", "receiver_id:i content:s", to->id, text), "id");
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

Test(push, the_notified_session_gets_each_event_fast_and_seq_has_no_gaps)
{
	struct h_server s;
	own_server(&s);
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live lb;
	live_login(&lb, &b);
	live_subscribe(&lb);

	static double latency[LATENCY_ROUNDS];
	uint64_t want_seq = 1;
	for (int i = 0; i < LATENCY_ROUNDS; i++) {
		int64_t id = send_message(a.c, &b, "ping");
		double replied = live_now_ms();
		int64_t got_id;
		uint64_t seq = live_expect(&lb, "message", EVENT_TIMEOUT_MS, &got_id);
		double arrived = live_now_ms();
		/* An event already waiting at the reply counts as the time to read it. */
		latency[i] = arrived - replied;
		cr_assert_eq(got_id, id, "round %d: the message event is message %lld, expected %lld",
			i, (long long)got_id, (long long)id);
		cr_assert_eq(seq, want_seq, "round %d: seq %llu, expected %llu", i,
			(unsigned long long)seq, (unsigned long long)want_seq);
		seq = live_expect(&lb, "notification", EVENT_TIMEOUT_MS, NULL);
		cr_assert_eq(seq, want_seq + 1, "round %d: seq %llu, expected %llu", i,
			(unsigned long long)seq, (unsigned long long)want_seq + 1);
		want_seq += 2;
	}
	qsort(latency, LATENCY_ROUNDS, sizeof latency[0], compare_doubles);
	double median = latency[LATENCY_ROUNDS / 2], p99 = latency[LATENCY_ROUNDS * 99 / 100];
	double worst = latency[LATENCY_ROUNDS - 1];
	printf("push latency over ipc, reply to event, %d message.send: median %.2f ms, "
		"p99 %.2f ms, worst %.2f ms\n", LATENCY_ROUNDS, median, p99, worst);
	fflush(stdout);
	cr_expect_lt(median, MEDIAN_BOUND_MS, "median latency %.2f ms", median);
	cr_expect_lt(worst, WORST_BOUND_MS, "worst latency %.2f ms", worst);
	stop_own_server(&s);
}

/* Senders of the burst test: each thread sends MESSAGES_PER_SENDER
 * messages on its own client, as fast as replies come. */
enum { SENDERS = 4, MESSAGES_PER_SENDER = 50 };

struct sender {
	pthread_t thread;
	struct ag_client *c;
	int64_t to;
	int failures;
};

static void *send_burst(void *arg)
{
	struct sender *s = arg;
	for (int i = 0; i < MESSAGES_PER_SENDER; i++) {
		struct ag_reply r;
		int rv = ag_client_callf(s->c, &r, "message.send", NULL, "receiver_id:i content:s",
			s->to, "burst");
		s->failures += rv != 0 || !r.ok;
		if (rv == 0)
			ag_reply_free(&r);
	}
	return NULL;
}

Test(push, a_burst_from_several_senders_arrives_without_gaps)
{
	struct h_server s;
	own_server(&s);
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live lb;
	live_login(&lb, &b);
	live_subscribe(&lb);
	struct sender senders[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		senders[i] = (struct sender){.c = live_client_of(&a), .to = b.id};
		cr_assert_eq(pthread_create(&senders[i].thread, NULL, send_burst, &senders[i]), 0);
	}
	uint64_t want = 1, total = 2 * SENDERS * MESSAGES_PER_SENDER;
	struct ag_event ev;
	while (want <= total && live_next(&lb, EVENT_TIMEOUT_MS, &ev) == 0) {
		uint64_t seq = ev.seq;
		ag_event_free(&ev);
		cr_expect_eq(seq, want, "event seq %llu, expected %llu", (unsigned long long)seq,
			(unsigned long long)want);
		want = seq + 1;
	}
	int failures = 0;
	for (int i = 0; i < SENDERS; i++) {
		pthread_join(senders[i].thread, NULL);
		failures += senders[i].failures;
	}
	cr_expect_eq(failures, 0, "%d message.send calls failed", failures);
	cr_expect_eq(want, total + 1, "events up to seq %llu of %llu arrived",
		(unsigned long long)want - 1, (unsigned long long)total);
	stop_own_server(&s);
}

/* A SUB socket that takes every message on push shards first..last,
 * whatever its topic, as an eavesdropper would. Never closed, like the
 * subscribers (see live.c). */
static nng_socket eavesdropper(int first, int last)
{
	nng_socket s;
	cr_assert_eq(nng_sub0_open(&s), 0);
	cr_assert_eq(nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0), 0);
	cr_assert_eq(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, QUIET_MS), 0);
	for (int k = first; k <= last; k++) {
		char url[256];
		shard_url(k, url, sizeof url);
		cr_assert_eq(nng_dial(s, url, NULL, 0), 0, "cannot dial push shard %s", url);
	}
	return s;
}

/* On a server of its own, so that the eavesdropper hears only this test. */
Test(push, only_the_sessions_own_topic_and_key_open_its_events)
{
	struct h_server s;
	const char *const three_shards[] = {"--push-shards", "3", NULL};
	own_server_args(&s, three_shards);
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	/* First, so that its connection is surely in place at the server by
	 * the time the others have connected. */
	nng_socket all = eavesdropper(0, 2);
	struct live lb, lc;
	live_login(&lb, &b);
	live_login(&lc, &c);
	live_subscribe(&lb);
	uint8_t random_key[AG_PUSH_KEY_BYTES];
	randombytes_buf(random_key, sizeof random_key);
	struct ag_sub *wrong_key = live_sub_open(lb.push_url, lb.topic, random_key);
	struct ag_sub *other_key = live_sub_open(lb.push_url, lb.topic, lc.key);

	int64_t id = send_message(a.c, &b, "for B only");
	int64_t got;
	live_expect(&lb, "message", EVENT_TIMEOUT_MS, &got);
	cr_expect_eq(got, id);
	live_expect(&lb, "notification", EVENT_TIMEOUT_MS, NULL);

	/* Every message on the wire: B's key opens B's, C's key opens none. */
	int for_b = 0;
	nng_msg *msg;
	while (nng_recvmsg(all, &msg, 0) == 0) {
		size_t len = nng_msg_len(msg);
		uint8_t *plain = malloc(len);
		cr_assert_not_null(plain);
		cr_expect_lt(ag_push_open(lc.topic, lc.key, nng_msg_body(msg), len, plain), 0,
			"C's credentials opened a message");
		cr_expect_lt(ag_push_open(lb.topic, lc.key, nng_msg_body(msg), len, plain), 0,
			"B's topic with C's key opened a message");
		for_b += ag_push_open(lb.topic, lb.key, nng_msg_body(msg), len, plain) >= 0;
		free(plain);
		nng_msg_free(msg);
	}
	cr_expect_eq(for_b, 2, "the eavesdropper saw %d messages B's key opens, expected B's 2",
		for_b);

	struct ag_sub *thieves[] = {wrong_key, other_key};
	const char *how[] = {"B's topic with a random key", "B's topic with C's key"};
	for (int i = 0; i < 2; i++) {
		struct ag_event ev;
		int rv = ag_sub_next(thieves[i], QUIET_MS, &ev);
		if (rv == 0)
			ag_event_free(&ev);
		cr_expect_eq(rv, NNG_ETIMEDOUT, "%s opened an event", how[i]);
		cr_expect_geq(ag_sub_dropped(thieves[i]), 2, "%s saw %lu messages, expected B's 2",
			how[i], ag_sub_dropped(thieves[i]));
	}
	stop_own_server(&s);
}

Test(push, after_logout_nothing_arrives_for_that_session_but_others_still_get_events)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live gone, stays;
	live_login(&gone, &b);
	live_login(&stays, &b);
	live_subscribe(&gone);
	live_subscribe(&stays);

	send_message(a.c, &b, "before");
	live_expect(&gone, "message", EVENT_TIMEOUT_MS, NULL);
	live_expect(&gone, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect(&stays, "message", EVENT_TIMEOUT_MS, NULL);
	live_expect(&stays, "notification", EVENT_TIMEOUT_MS, NULL);

	h_ok(gone.c, "auth.logout", "");
	send_message(a.c, &b, "after");
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	live_expect(&stays, "message", EVENT_TIMEOUT_MS, NULL);
	live_expect(&stays, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect(&stays, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect_none(&gone, QUIET_MS);
}

Test(push, followers_get_post_and_story_events_and_nobody_else_does)
{
	struct h_user author, follower, stranger;
	h_user_new(&author);
	h_user_new(&follower);
	h_user_new(&stranger);
	struct live lf, ls, la;
	live_login(&lf, &follower);
	live_login(&ls, &stranger);
	live_login(&la, &author);
	live_subscribe(&lf);
	live_subscribe(&ls);
	live_subscribe(&la);
	h_ok(follower.c, "follow.create", "user_id:i", author.id);
	live_expect(&la, "notification", EVENT_TIMEOUT_MS, NULL);

	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "news #today"), "id");
	int64_t story = ag_obj_int(h_ok(author.c, "story.create", "content:s", "now"), "id");
	int64_t got;
	live_expect(&lf, "post", EVENT_TIMEOUT_MS, &got);
	cr_expect_eq(got, post, "the post event is post %lld, expected %lld", (long long)got,
		(long long)post);
	live_expect(&lf, "story", EVENT_TIMEOUT_MS, &got);
	cr_expect_eq(got, story, "the story event is story %lld, expected %lld", (long long)got,
		(long long)story);
	live_expect_none(&ls, QUIET_MS);
	live_expect_none(&la, 0);
	live_expect_none(&lf, 0);
}

/* Waits for l's next event and asserts it is by's mention about post. */
static void expect_mention(struct live *l, const struct h_user *by, int64_t post)
{
	struct ag_event ev;
	cr_assert_eq(live_next(l, EVENT_TIMEOUT_MS, &ev), 0, "no event for %s within %d ms",
		l->user->username, EVENT_TIMEOUT_MS);
	cr_expect_str_eq(ev.type, "notification");
	h_assert_str(ev.data, "type", "mention");
	h_assert_str(ev.data, "message", h_fmt("%s mentioned you", by->username));
	cr_expect_eq(ag_obj_int(ev.data, "user_id"), l->user->id);
	cr_expect_eq(ag_obj_int(ev.data, "actor_id"), by->id);
	cr_expect_eq(ag_obj_int(ev.data, "reference_id"), post);
	ag_event_free(&ev);
}

Test(push, a_mention_reaches_the_mentioned_users_sessions_only)
{
	struct h_user author, named, commenter, bystander;
	h_user_new(&author);
	h_user_new(&named);
	h_user_new(&commenter);
	h_user_new(&bystander);
	struct live ln, la, lb;
	live_login(&ln, &named);
	live_login(&la, &author);
	live_login(&lb, &bystander);
	live_subscribe(&ln);
	live_subscribe(&la);
	live_subscribe(&lb);

	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s",
		h_fmt("hello @%s and @%s", named.username, author.username)), "id");
	expect_mention(&ln, &author, post);
	/* The post's author hears of the comment once, not of the mention too. */
	h_ok(commenter.c, "comment.create", "post_id:i content:s", post,
		h_fmt("@%s @%s", named.username, author.username));
	expect_mention(&ln, &commenter, post);
	live_expect(&la, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect_none(&ln, QUIET_MS);
	live_expect_none(&la, 0);
	live_expect_none(&lb, 0);
}

Test(push, a_message_goes_to_the_receiver_and_the_senders_other_sessions_only)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live sending, other, rcpt1, rcpt2;
	live_login(&sending, &a);
	live_login(&other, &a);
	live_login(&rcpt1, &b);
	live_login(&rcpt2, &b);
	struct live *all[] = {&sending, &other, &rcpt1, &rcpt2};
	for (int i = 0; i < 4; i++)
		live_subscribe(all[i]);

	int64_t id = send_message(sending.c, &b, "hello");
	int64_t got;
	struct live *receivers[] = {&rcpt1, &rcpt2, &other};
	for (int i = 0; i < 3; i++) {
		live_expect(receivers[i], "message", EVENT_TIMEOUT_MS, &got);
		cr_expect_eq(got, id, "the message event is message %lld, expected %lld",
			(long long)got, (long long)id);
	}
	live_expect(&rcpt1, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect(&rcpt2, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect_none(&sending, QUIET_MS);
	live_expect_none(&other, 0);
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(push, a_session_idle_for_15_minutes_gets_nothing_until_it_pings)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live idle, busy;
	live_login(&idle, &b);
	live_login(&busy, &b);
	live_subscribe(&idle);
	live_subscribe(&busy);
	h_db_exec("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1", 2, idle.session_id,
		wall_clock_ms() - (15 * 60 + 30) * 1000);

	send_message(a.c, &b, "anyone there?");
	live_expect(&busy, "message", EVENT_TIMEOUT_MS, NULL);
	live_expect(&busy, "notification", EVENT_TIMEOUT_MS, NULL);
	live_expect_none(&idle, QUIET_MS);

	/* An authenticated ping makes it live again. */
	h_ok(idle.c, "server.ping", "");
	send_message(a.c, &b, "welcome back");
	uint64_t seq = live_expect(&idle, "message", EVENT_TIMEOUT_MS, NULL);
	cr_expect_eq(seq, 1, "the idle session's first event has seq %llu", (unsigned long long)seq);
}

Test(push, events_queued_at_sigterm_still_go_out)
{
	struct h_server s;
	own_server(&s);
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live lb;
	live_login(&lb, &b);
	live_subscribe(&lb);

	enum { MESSAGES = 20 };
	for (int i = 0; i < MESSAGES; i++)
		send_message(a.c, &b, "last words");
	int code = h_server_stop(&s);
	cr_expect_eq(code, 0, "ansigramd exited with %d on SIGTERM", code);
	for (uint64_t seq = 1; seq <= 2 * MESSAGES; seq++) {
		struct ag_event ev;
		int rv = live_next(&lb, EVENT_TIMEOUT_MS, &ev);
		cr_assert_eq(rv, 0, "event %llu of %d did not arrive: %s", (unsigned long long)seq,
			2 * MESSAGES, nng_strerror(rv));
		cr_expect_eq(ev.seq, seq, "event seq %llu, expected %llu",
			(unsigned long long)ev.seq, (unsigned long long)seq);
		ag_event_free(&ev);
	}
}

/* Logs users in until one session lands on each of shards 0..n-1 (by the
 * URL its login names); at most 64 logins, so a server that put every
 * session on one shard fails here. Each user's first session (the
 * harness's) is logged out, so the live one is its only one. */
static void sessions_on_each_shard(int n, struct h_user *users, struct live *lives)
{
	bool seen[8] = {false};
	cr_assert_leq(n, 8);
	int found = 0;
	for (int tries = 0; tries < 64 && found < n; tries++) {
		struct h_user u;
		h_user_new(&u);
		struct live l;
		live_login(&l, &u);
		int k = -1;
		for (int i = 0; i < n && k < 0; i++) {
			char url[256];
			shard_url(i, url, sizeof url);
			if (strcmp(url, l.push_url) == 0)
				k = i;
		}
		cr_assert_geq(k, 0, "auth.login named %s, not one of the %d shards", l.push_url, n);
		if (!seen[k]) {
			h_ok(u.c, "auth.logout", "");
			seen[k] = true;
			users[k] = u;
			lives[k] = l;
			lives[k].user = &users[k];
			found++;
		}
	}
	cr_assert_eq(found, n, "64 logins landed on %d of %d push shards", found, n);
}

/* Messages on one eavesdropper within QUIET_MS (drained). */
static int messages_heard(nng_socket s)
{
	int n = 0;
	nng_msg *msg;
	while (nng_recvmsg(s, &msg, 0) == 0) {
		nng_msg_free(msg);
		n++;
	}
	return n;
}

Test(push, sessions_are_spread_over_the_shards_and_an_event_goes_out_on_its_own_only)
{
	struct h_server s;
	const char *const two_shards[] = {"--push-shards", "2", NULL};
	own_server_args(&s, two_shards);
	nng_socket on_shard[2] = {eavesdropper(0, 0), eavesdropper(1, 1)};
	struct h_user a, users[2];
	struct live lives[2];
	h_user_new(&a);
	sessions_on_each_shard(2, users, lives);
	for (int k = 0; k < 2; k++) {
		live_subscribe(&lives[k]);
		int64_t id = send_message(a.c, &users[k], "on your shard"), got;
		live_expect(&lives[k], "message", EVENT_TIMEOUT_MS, &got);
		cr_expect_eq(got, id);
		live_expect(&lives[k], "notification", EVENT_TIMEOUT_MS, NULL);
		int here = messages_heard(on_shard[k]), there = messages_heard(on_shard[1 - k]);
		cr_expect_eq(here, 2, "shard %d carried %d messages for its session, expected 2", k,
			here);
		cr_expect_eq(there, 0, "shard %d carried %d messages for a session of shard %d",
			1 - k, there, k);
	}
	stop_own_server(&s);
}

Test(push, a_tcp_push_url_has_its_shards_on_the_ports_after_it)
{
	struct h_server s;
	int port = 20000 + (int)randombytes_uniform(30000);
	char tcp[64];
	snprintf(tcp, sizeof tcp, "tcp://127.0.0.1:%d", port);
	const char *const args[] = {"--pub", tcp, "--push-shards", "2", NULL};
	own_server_args(&s, args);
	struct h_user a, users[2];
	struct live lives[2];
	h_user_new(&a);
	sessions_on_each_shard(2, users, lives);
	/* Each login names its shard's ipc URL and the tcp port after --pub's
	 * by the shard's number. */
	for (int k = 0; k < 2; k++) {
		const msgpack_object *d = h_ok(h_client(), "auth.login", "username:s password:s",
			users[k].username, users[k].password);
		const msgpack_object *urls = ag_obj_get(ag_obj_get(d, "push"), "urls");
		const msgpack_object *ipc_url = ag_obj_at(urls, 0), *tcp_url = ag_obj_at(urls, 1);
		cr_assert(ipc_url && ipc_url->type == MSGPACK_OBJECT_STR && tcp_url &&
			tcp_url->type == MSGPACK_OBJECT_STR && urls->via.array.size == 2,
			"push.urls is not [ipc, tcp]");
		char shard1[256], want[64];
		shard_url(1, shard1, sizeof shard1);
		int shard = ipc_url->via.str.size == strlen(shard1) &&
			memcmp(ipc_url->via.str.ptr, shard1, strlen(shard1)) == 0;
		snprintf(want, sizeof want, "tcp://127.0.0.1:%d", port + shard);
		cr_expect(tcp_url->via.str.size == strlen(want) &&
			memcmp(tcp_url->via.str.ptr, want, strlen(want)) == 0,
			"a session on shard %d got %.*s, expected %s", shard,
			(int)tcp_url->via.str.size, tcp_url->via.str.ptr, want);
	}
	/* Over tcp, shard 1's port carries its session's events. */
	char url1[64];
	snprintf(url1, sizeof url1, "tcp://127.0.0.1:%d", port + 1);
	struct ag_sub *sub = live_sub_open(url1, lives[1].topic, lives[1].key);
	int64_t id = send_message(a.c, &users[1], "over tcp");
	struct ag_event ev;
	int rv = ag_sub_next(sub, EVENT_TIMEOUT_MS, &ev);
	cr_assert_eq(rv, 0, "no event on %s: %s", url1, nng_strerror(rv));
	cr_expect_str_eq(ev.type, "message");
	cr_expect_eq(ag_obj_int(ev.data, "id"), id);
	ag_event_free(&ev);
	stop_own_server(&s);
}

/* Waits up to 5 s until sub has made n connections (one per URL it dials). */
static void await_connections(struct ag_sub *sub, int n)
{
	int made = 0;
	for (double until = live_now_ms() + 5000; made < n && live_now_ms() < until;) {
		struct pollfd p = {.fd = ag_sub_state_fd(sub), .events = POLLIN};
		if (poll(&p, 1, 100) != 1)
			continue;
		char buf[16];
		ssize_t got = read(p.fd, buf, sizeof buf);
		for (ssize_t i = 0; i < got; i++)
			made += buf[i] == 'a';
	}
	cr_assert_eq(made, n, "the subscriber made %d of its %d connections", made, n);
}

/* A subscriber given its push URL twice stands for one that dials the
 * session's URL on two instances: PUB sends each event down both
 * connections, and the subscriber hands it on once. */
Test(push, a_subscriber_dialing_twice_gets_each_event_once)
{
	struct h_server s;
	own_server(&s);
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	struct live lb;
	live_login(&lb, &b);
	char twice[2 * sizeof lb.push_url + 2];
	snprintf(twice, sizeof twice, "%s, %s", lb.push_url, lb.push_url);
	/* Not closed: see live.c on nng_close of a SUB socket. */
	static struct ag_sub *sub;
	cr_assert_eq(ag_sub_open(&sub, twice, lb.topic, lb.key), 0);
	await_connections(sub, 2);

	enum { SENT = 5 };
	for (int i = 0; i < SENT; i++)
		send_message(a.c, &b, "twice");
	/* Each message.send gives a message and a notification event. */
	for (uint64_t want = 1; want <= 2 * SENT; want++) {
		struct ag_event ev;
		int rv = ag_sub_next(sub, EVENT_TIMEOUT_MS, &ev);
		cr_assert_eq(rv, 0, "event %llu did not arrive: %s", (unsigned long long)want,
			nng_strerror(rv));
		uint64_t seq = ev.seq;
		ag_event_free(&ev);
		cr_assert_eq(seq, want, "got seq %llu, expected %llu (a repeat?)",
			(unsigned long long)seq, (unsigned long long)want);
	}
	struct ag_event ev;
	int rv = ag_sub_next(sub, QUIET_MS, &ev);
	if (rv == 0)
		ag_event_free(&ev);
	cr_expect_eq(rv, NNG_ETIMEDOUT, "an event came after the last one");
	stop_own_server(&s);
}
