/* test_recovery.c: every step of every saga, made to fail and made to
 * crash the server (ANSIGRAM_FAULTS), and compensations made to fail.
 *
 * fail: the caller gets `internal` with the saga's id, the saga ends
 *   compensated, the data is exactly as before, the checker finds nothing
 *   and the would-be recipient's live session receives no event.
 * crash: the server exits 137 right after the step commits and the call
 *   gets no reply; a restart on the same database recovers the saga:
 *   compensated (data as before, nothing published), or completed when
 *   the last step had committed, its events then published exactly once.
 * compensation fails: the saga ends failed with the reason in its log; the
 *   next start compensates it.
 * crash, then a resend with the same idempotency key: applied once.
 *
 * Each test runs its own server. The recipient is always user B, with a
 * live session subscribed to its events; the actor is user A. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

#include "consistency.h"
#include "live.h"
#include "rec_server.h"

TestSuite(recovery, .fini = rec_test_fini, .timeout = 60);

/* A call that crashes the server gets no reply; this is how long to wait
 * for one. The exit is then waited for separately, so a slow server only
 * makes this wait pointless, never wrong. */
#define NO_REPLY_TIMEOUT_MS 300
#define EXIT_TIMEOUT_MS 10000
#define EVENT_TIMEOUT_MS 2000
#define QUIET_MS 300
#define OUTBOX_TIMEOUT_MS 10000

/* ---- the people and things a saga acts on ---- */

struct world {
	struct h_user a, b;
	int64_t post_a;      /* A's post, liked and commented on by B */
	int64_t post_b;      /* B's post */
	int64_t photo_a;     /* a photo A uploaded and has not attached */
	struct live lb;      /* B's live, subscribed session */
	struct ag_client *ac;  /* A's client: a.c, then a new one after a restart */
};

static void b_follows_a(struct world *w)
{
	h_ok(w->b.c, "follow.create", "user_id:i", w->a.id);
}

/* B follows A, who has a photo ready to attach. */
static void b_follows_a_photo_ready(struct world *w)
{
	b_follows_a(w);
	w->photo_a = h_upload_photo(w->a.c);
}

static void a_post_with_everything(struct world *w)
{
	w->post_a = ag_obj_int(h_ok(w->a.c, "post.create", "content:s media_id:i",
		h_fmt("a post with #cats and #dogs for @%s", w->b.username),
		h_upload_photo(w->a.c)), "id");
	h_ok(w->b.c, "post.like", "post_id:i", w->post_a);
	h_ok(w->b.c, "comment.create", "post_id:i content:s", w->post_a, "lovely");
	h_ok(w->b.c, "comment.create", "post_id:i content:s", w->post_a, "again");
	h_ok(w->a.c, "comment.create", "post_id:i content:s", w->post_a,
		h_fmt("thanks @%s", w->b.username));
}

static void b_post(struct world *w)
{
	w->post_b = ag_obj_int(h_ok(w->b.c, "post.create", "content:s", "B's #cats"), "id");
}

static void nothing(struct world *w)
{
	(void)w;
}

/* Probes: an event for B from a saga other than the one under test, to
 * know B's subscriber is connected before anything is checked. */
static void probe_message(struct world *w)
{
	h_ok(w->ac, "message.send", "receiver_id:i content:s", w->b.id, "probe");
}

static void probe_follow(struct world *w)
{
	h_ok(w->ac, "follow.create", "user_id:i", w->b.id);
}

/* The operations under test, as A on client c (with idem as the
 * idempotency key, NULL for none); they return what ag_client_callf
 * returns. */
static int do_create_post(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "post.create", idem, "content:s media_id:i",
		h_fmt("fresh #news #today @%s", w->b.username), w->photo_a);
}

static int do_delete_post(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "post.delete", idem, "post_id:i", w->post_a);
}

static int do_like_post(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "post.like", idem, "post_id:i", w->post_b);
}

static int do_follow_user(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "follow.create", idem, "user_id:i", w->b.id);
}

static int do_send_message(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "message.send", idem, "receiver_id:i content:s",
		w->b.id, "hello B");
}

static int do_create_story(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "story.create", idem, "content:s media_id:i", "right now",
		w->photo_a);
}

static int do_comment(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r)
{
	return ag_client_callf(c, r, "comment.create", idem, "post_id:i content:s",
		w->post_b, h_fmt("first! @%s", w->b.username));
}

struct saga_case {
	const char *type;
	const char *steps[6];
	int n_steps;
	void (*setup)(struct world *w);
	void (*probe)(struct world *w);
	const char *probe_events[3];   /* what B's session gets from the probe */
	int (*op)(struct world *w, struct ag_client *c, const char *idem, struct ag_reply *r);
	const char *events[3];   /* what B's session gets when the saga completes */
	/* 1 when the op's effect is there, once (?1 A, ?2 B, ?3 A's post, ?4 B's) */
	const char *applied_sql;
};

static const struct saga_case cases[] = {
	{"create_post", {"create_post", "extract_hashtags", "attach_media", "notify_mentions"}, 4,
	 b_follows_a_photo_ready, probe_message, {"message", "notification"}, do_create_post,
	 {"post", "notification"},
	 "SELECT count(*) FROM posts p WHERE author_id = ?1 AND content LIKE 'fresh #news #today @%' "
	 "AND (SELECT count(*) FROM notifications WHERE type = 'mention' AND user_id = ?2 "
	 "AND reference_id = p.id) = 1 AND (SELECT count(*) FROM media WHERE post_id = p.id) = 1"},
	{"delete_post", {"delete_comments", "delete_likes", "delete_hashtags",
	                 "delete_notifications", "delete_media", "delete_post"}, 6,
	 a_post_with_everything, probe_message, {"message", "notification"}, do_delete_post, {NULL},
	 "SELECT (SELECT count(*) FROM posts WHERE id = ?3) = 0 "
	 "AND (SELECT count(*) FROM media WHERE owner_id = ?1) = 0"},
	{"like_post", {"toggle_like", "create_notification"}, 2,
	 b_post, probe_message, {"message", "notification"}, do_like_post, {"notification"},
	 "SELECT count(*) FROM likes WHERE user_id = ?1 AND post_id = ?4"},
	{"follow_user", {"create_follow", "create_notification"}, 2,
	 nothing, probe_message, {"message", "notification"}, do_follow_user, {"notification"},
	 "SELECT count(*) FROM follows WHERE follower_id = ?1 AND followee_id = ?2"},
	{"send_message", {"create_message", "create_notification"}, 2,
	 nothing, probe_follow, {"notification"}, do_send_message, {"message", "notification"},
	 "SELECT count(*) FROM messages WHERE sender_id = ?1 AND content = 'hello B'"},
	{"create_story", {"create_story", "attach_media"}, 2,
	 b_follows_a_photo_ready, probe_message, {"message", "notification"}, do_create_story,
	 {"story"},
	 "SELECT count(*) FROM stories s WHERE author_id = ?1 AND content = 'right now' "
	 "AND (SELECT count(*) FROM media WHERE story_id = s.id) = 1"},
	/* B, mentioned in a comment on B's post, gets the comment notification only */
	{"comment", {"create_comment", "create_notification", "notify_mentions"}, 3,
	 b_post, probe_message, {"message", "notification"}, do_comment, {"notification"},
	 "SELECT count(*) FROM comments WHERE author_id = ?1 AND content LIKE 'first! @%' "
	 "AND NOT EXISTS (SELECT 1 FROM notifications WHERE type = 'mention' AND user_id = ?2 "
	 "AND reference_id = ?4)"},
};

static const struct saga_case *case_named(const char *type)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(cases[i].type, type) == 0)
			return &cases[i];
	cr_assert_fail("no saga case %s", type);
	return NULL;
}

static int step_index(const struct saga_case *k, const char *step)
{
	for (int i = 0; i < k->n_steps; i++)
		if (strcmp(k->steps[i], step) == 0)
			return i;
	cr_assert_fail("saga %s has no step %s", k->type, step);
	return -1;
}

/* ---- reading the database ---- */

/* Every row the sagas may touch, as text: equal snapshots mean equal data
 * (ids, contents, timestamps and counters). */
static const char *const snapshot_queries[] = {
	"SELECT * FROM users ORDER BY id",
	"SELECT * FROM posts ORDER BY id",
	"SELECT * FROM comments ORDER BY id",
	"SELECT * FROM likes ORDER BY post_id, user_id",
	"SELECT * FROM hashtags ORDER BY id",
	"SELECT * FROM post_hashtags ORDER BY post_id, hashtag_id",
	"SELECT * FROM follows ORDER BY follower_id, followee_id",
	"SELECT * FROM stories ORDER BY id",
	"SELECT * FROM messages ORDER BY id",
	"SELECT * FROM notifications ORDER BY id",
	"SELECT id, owner_id, width, height, bytes, thumb_bytes, created_at, post_id, story_id, "
	"deleting_saga FROM media ORDER BY id",
};

static char *snapshot(void)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(h_db_path(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	for (size_t q = 0; q < sizeof snapshot_queries / sizeof snapshot_queries[0]; q++) {
		sqlite3_stmt *st = NULL;
		cr_assert_eq(sqlite3_prepare_v2(db, snapshot_queries[q], -1, &st, NULL), SQLITE_OK,
			"%s: %s", snapshot_queries[q], sqlite3_errmsg(db));
		fprintf(f, "-- %s\n", snapshot_queries[q]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				const unsigned char *v = sqlite3_column_text(st, i);
				fprintf(f, "%s%s", i ? " | " : "", v ? (const char *)v : "NULL");
			}
			fputc('\n', f);
		}
		sqlite3_finalize(st);
	}
	fclose(f);
	sqlite3_close(db);
	return text;
}

static void expect_same_data(const char *before, const char *what)
{
	char *after = snapshot();
	cr_expect_str_eq(after, before, "%s: the data changed.\nbefore:\n%s\nafter:\n%s",
		what, before, after);
	free(after);
}

/* Asserts the checker finds nothing, or (needle not NULL) that it reports
 * a problem saying needle. */
static void expect_checker(const char *what, const char *needle)
{
	char *report = NULL;
	size_t size;
	FILE *f = open_memstream(&report, &size);
	int problems = ag_consistency_check(h_db_path(), f);
	fclose(f);
	if (needle)
		cr_expect(problems > 0 && strstr(report, needle), "%s: the checker did not say "
			"\"%s\" (%d problems):\n%s", what, needle, problems, report);
	else
		cr_expect_eq(problems, 0, "%s: the checker found %d problems:\n%s", what, problems,
			report);
	free(report);
}

/* The id of the one saga of type that A started. */
static const char *saga_of(const struct world *w, const char *type)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(h_db_path(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db,
		"SELECT id, count(*) OVER () FROM sagas WHERE type = ?1 AND initiator = ?2",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->a.id);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no %s saga was started", type);
	int n = sqlite3_column_int(st, 1);
	const char *id = h_fmt("%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_eq(n, 1, "%d %s sagas, expected one", n, type);
	return id;
}

static int64_t push_seq(const struct live *l)
{
	return h_db_int("SELECT push_seq FROM sessions WHERE id = ?1", 1, l->session_id);
}

/* ---- the saga's own record ---- */

/* Asserts saga.get shows state and exactly the log rows want, each
 * "name:status" or "name:status:error". */
static void expect_saga(const struct world *w, const char *id, const char *state,
	const char *const *want, int n_want)
{
	const msgpack_object *rec = h_ok(w->ac, "saga.get", "saga_id:s", id);
	h_assert_str(rec, "state", state);
	const msgpack_object *steps = ag_obj_get(rec, "steps");
	char *log = NULL;
	size_t size;
	FILE *f = open_memstream(&log, &size);
	for (size_t i = 0; i < ag_obj_len(steps); i++) {
		const msgpack_object *s = ag_obj_at(steps, i);
		char *name = ag_obj_strdup(s, "name"), *status = ag_obj_strdup(s, "status");
		char *error = ag_obj_strdup(s, "error");
		fprintf(f, "%s:%s%s%s\n", name, status, error ? ":" : "", error ? error : "");
		free(name);
		free(status);
		free(error);
	}
	fclose(f);
	char *expected = NULL;
	f = open_memstream(&expected, &size);
	for (int i = 0; i < n_want; i++)
		fprintf(f, "%s\n", want[i]);
	fclose(f);
	const char *got = h_fmt("%s", log), *exp = h_fmt("%s", expected);
	free(log);
	free(expected);
	cr_expect_str_eq(got, exp, "saga %s: log\n%s\nexpected\n%s", id, got, exp);
}

/* ---- the shared course of a test ---- */

/* Waits (at most OUTBOX_TIMEOUT_MS) until every queued event is published:
 * the fixtures' events must be sealed for the sessions that existed then,
 * not for B's live session opened after them. */
static void wait_outbox_drained(void)
{
	double deadline = live_now_ms() + OUTBOX_TIMEOUT_MS;
	while (h_db_int("SELECT count(*) FROM outbox", 0) > 0) {
		cr_assert_lt(live_now_ms(), deadline, "events stayed unpublished for %d ms",
			OUTBOX_TIMEOUT_MS);
		nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
	}
}

/* Users, the saga's fixtures and B's subscribed session, checked live
 * with the probe. Returns the seq of B's last event. (The publisher sends
 * before it commits the seq, so the database may lag behind for a moment.)
 * nng's PUB side may attach a new subscriber a moment after the subscriber
 * sees its connection, and drops what it publishes before then: when the
 * probe's first event never comes, the world is built again with new
 * users, at most three times (the server's log shown, in case it says why). */
static int64_t build_world(const struct h_server *s, struct world *w,
	const struct saga_case *k)
{
	for (int attempt = 1;; attempt++) {
		h_user_new(&w->a);
		h_user_new(&w->b);
		w->ac = w->a.c;
		k->setup(w);
		wait_outbox_drained();
		live_login(&w->lb, &w->b);
		live_subscribe(&w->lb);
		k->probe(w);
		if (!k->probe_events[0])
			return 0;
		struct ag_event ev;
		int rv = live_next(&w->lb, EVENT_TIMEOUT_MS, &ev);
		if (rv == NNG_ETIMEDOUT && attempt < 3) {
			fprintf(stderr, "recovery: B's first event did not come within %d ms; the "
				"subscriber was not attached yet: building the world again\n",
				EVENT_TIMEOUT_MS);
			h_server_print_log(s);
			continue;
		}
		cr_assert_eq(rv, 0, "B's first event: %s", nng_strerror(rv));
		bool same = strcmp(ev.type, k->probe_events[0]) == 0;
		uint64_t first_seq = ev.seq;
		ag_event_free(&ev);
		cr_assert(same, "B's first event is not a %s event", k->probe_events[0]);
		cr_assert_eq(first_seq, 1, "B's event 1 has seq %llu", (unsigned long long)first_seq);
		uint64_t seq = 1;
		for (int i = 1; k->probe_events[i]; i++) {
			seq = live_expect(&w->lb, k->probe_events[i], EVENT_TIMEOUT_MS, NULL);
			cr_assert_eq(seq, (uint64_t)i + 1, "B's event %d has seq %llu", i + 1,
				(unsigned long long)seq);
		}
		return (int64_t)seq;
	}
}

/* A client of A's that gives up quickly: for calls that get no reply. */
static struct ag_client *impatient_client(const struct world *w)
{
	struct ag_client *c = NULL;
	cr_assert_eq(ag_client_open(&c, h_url(), NO_REPLY_TIMEOUT_MS), 0);
	ag_client_set_auth(c, w->a.token);
	return c;
}

/* The log rows of a saga that failed at step `at` and was compensated. */
static int compensated_log(const struct saga_case *k, int at, const char **want)
{
	int n = 0;
	for (int i = 0; i < at; i++)
		want[n++] = h_fmt("%s:completed", k->steps[i]);
	want[n++] = h_fmt("%s:failed:injected fault", k->steps[at]);
	for (int i = at - 1; i >= 0; i--)
		want[n++] = h_fmt("%s:compensated", k->steps[i]);
	return n;
}

/* After a restart: nothing was sealed for B's session since seq but the
 * `sealed` events of the recovered saga, and B's next event has the next
 * seq. The restarted server publishes those events as it starts, possibly
 * before any subscriber is back (a client then sees the gap in seq and
 * refetches, PROTOCOL.md section 6); whatever of them arrives, arrives
 * once. */
static void expect_seq_continues(struct world *w, const struct saga_case *k, int64_t seq,
	int64_t sealed)
{
	struct ag_event ev;
	int seen[3] = {0};
	while (live_next(&w->lb, QUIET_MS, &ev) == 0) {
		int64_t i = (int64_t)ev.seq - seq - 1;
		bool expected = i >= 0 && i < sealed && strcmp(ev.type, k->events[i]) == 0;
		char type[sizeof ev.type];
		memcpy(type, ev.type, sizeof type);
		uint64_t got_seq = ev.seq;
		ag_event_free(&ev);
		cr_assert(expected, "after the restart B got a %s event with seq %llu; expected "
			"only the recovered saga's, seq %lld to %lld", type,
			(unsigned long long)got_seq, (long long)seq + 1, (long long)(seq + sealed));
		cr_assert_eq(seen[i]++, 0, "B got the %s event (seq %llu) twice", type,
			(unsigned long long)got_seq);
	}
	cr_expect_eq(push_seq(&w->lb), seq + sealed, "%lld events were sealed for B's session "
		"since the call, expected %lld", (long long)(push_seq(&w->lb) - seq), (long long)sealed);
	cr_expect_eq(h_db_int("SELECT count(*) FROM outbox", 0), 0, "events are left unpublished");
	probe_message(w);
	uint64_t next = live_expect(&w->lb, "message", EVENT_TIMEOUT_MS, NULL);
	cr_expect_eq(next, (uint64_t)(seq + sealed + 1), "the next event has seq %llu, expected %lld",
		(unsigned long long)next, (long long)(seq + sealed + 1));
}

/* Starts the server again without faults; A and B's session call and
 * listen through new clients (their sessions live in the database). */
static void restarted(struct h_server *s, struct world *w)
{
	/* The old server's clients are closed first: left open they redial
	 * the new one, and a redial still in its handshake when that server
	 * stops is never freed by nng 1.5.2 (the sanitizer run reports it). */
	h_client_close(w->a.c);
	h_client_close(w->b.c);
	h_client_close(w->lb.c);
	w->a.c = w->b.c = w->lb.c = NULL;
	rec_restart(s, NULL);
	w->ac = live_client_of(&w->a);
	live_reconnect(&w->lb);
	live_subscribe(&w->lb);
}

static void run_fail(const char *type, const char *step)
{
	const struct saga_case *k = case_named(type);
	int at = step_index(k, step);
	const char *what = h_fmt("%s.%s=fail", type, step);
	struct h_server s;
	rec_start(&s, what);
	struct world w;
	int64_t seq = build_world(&s, &w, k);
	char *before = snapshot();

	struct ag_reply r;
	cr_assert_eq(k->op(&w, w.ac, NULL, &r), 0, "%s: no reply", what);
	cr_expect(!r.ok && r.code == AG_E_INTERNAL, "%s: expected internal, got %s", what,
		r.ok ? "ok" : r.code_name);
	const char *id = saga_of(&w, type);
	cr_expect_str_eq(r.saga, id, "%s: the error carries saga \"%s\", expected %s", what,
		r.saga, id);
	ag_reply_free(&r);

	const char *want[12];
	int n = compensated_log(k, at, want);
	expect_saga(&w, id, "compensated", want, n);
	expect_checker(what, NULL);
	expect_same_data(before, what);
	free(before);
	live_expect_none(&w.lb, QUIET_MS);
	cr_expect_eq(push_seq(&w.lb), seq, "%s: events were sealed for B's session", what);
	rec_done(&s);
}

static void run_crash(const char *type, const char *step)
{
	const struct saga_case *k = case_named(type);
	int at = step_index(k, step);
	bool last = at == k->n_steps - 1;
	const char *what = h_fmt("%s.%s=crash, then a restart", type, step);
	struct h_server s;
	rec_start(&s, h_fmt("%s.%s=crash", type, step));
	struct world w;
	int64_t seq = build_world(&s, &w, k);
	char *before = snapshot();

	struct ag_client *c = impatient_client(&w);
	struct ag_reply r;
	int rv = k->op(&w, c, NULL, &r);
	if (rv == 0)
		ag_reply_free(&r);
	ag_client_close(c);
	cr_expect_eq(rv, NNG_ETIMEDOUT, "%s.%s=crash: expected no reply, got %s", type, step,
		rv == 0 ? "one" : nng_strerror(rv));
	int code = rec_wait_exit(&s, EXIT_TIMEOUT_MS);
	cr_assert_eq(code, 137, "%s.%s=crash: ansigramd exited with %d, expected 137",
		type, step, code);

	restarted(&s, &w);
	h_ok(w.lb.c, "server.ping", "");
	const char *id = saga_of(&w, type);
	const char *want[12];
	int n = 0;
	for (int i = 0; i <= at; i++)
		want[n++] = h_fmt("%s:completed", k->steps[i]);
	if (!last) {
		want[n++] = "recovery:recovered:running";
		for (int i = at; i >= 0; i--)
			want[n++] = h_fmt("%s:compensated", k->steps[i]);
	}
	/* The last step's transaction also completes the saga: nothing is
	 * left to recover but its events. */
	expect_saga(&w, id, last ? "completed" : "compensated", want, n);
	expect_checker(what, NULL);
	if (last) {
		char *after = snapshot();
		cr_expect_str_neq(after, before, "%s: the completed saga changed nothing", what);
		free(after);
	} else {
		expect_same_data(before, what);
	}
	free(before);
	int64_t sealed = 0;
	while (last && k->events[sealed])
		sealed++;
	expect_seq_continues(&w, k, seq, sealed);
	rec_done(&s);
}

/* The first step's compensation fails after the last step failed. */
static void run_compensation_fails(const char *type)
{
	const struct saga_case *k = case_named(type);
	const char *first = k->steps[0], *final = k->steps[k->n_steps - 1];
	const char *what = h_fmt("%s: a failed compensation, then a restart", type);
	struct h_server s;
	rec_start(&s, h_fmt("%s.%s.compensate=fail,%s.%s=fail", type, first, type, final));
	struct world w;
	int64_t seq = build_world(&s, &w, k);
	char *before = snapshot();

	struct ag_reply r;
	cr_assert_eq(k->op(&w, w.ac, NULL, &r), 0, "%s: no reply", type);
	cr_expect(!r.ok && r.code == AG_E_INTERNAL, "%s: expected internal, got %s", type,
		r.ok ? "ok" : r.code_name);
	ag_reply_free(&r);
	const char *id = saga_of(&w, type);
	const char *want[16];
	int n = compensated_log(k, k->n_steps - 1, want) - 1;
	want[n++] = h_fmt("%s:compensation_failed:injected fault at %s.%s.compensate",
		first, type, first);
	expect_saga(&w, id, "failed", want, n);
	expect_checker(type, h_fmt("saga %s (%s) is failed", id, type));
	live_expect_none(&w.lb, QUIET_MS);
	rec_stop(&s);

	restarted(&s, &w);
	want[n++] = "recovery:recovered:failed";
	want[n++] = h_fmt("%s:compensated", first);
	expect_saga(&w, id, "compensated", want, n);
	expect_checker(what, NULL);
	expect_same_data(before, what);
	free(before);
	expect_seq_continues(&w, k, seq, 0);
	rec_done(&s);
}

/* Crashes at step a request that carries an idempotency key; after the
 * restart the resend with the same key must apply the op exactly once
 * (run anew when recovery compensated it, replayed when it completed),
 * and a further resend replays the same reply and changes nothing. */
static void run_crash_resend(const char *type, const char *step)
{
	const struct saga_case *k = case_named(type);
	const char *what = h_fmt("%s.%s=crash, then a resend with the same key", type, step);
	struct h_server s;
	rec_start(&s, h_fmt("%s.%s=crash", type, step));
	struct world w;
	build_world(&s, &w, k);
	const char *idem = h_unique("resend");

	struct ag_client *c = impatient_client(&w);
	struct ag_reply r;
	int rv = k->op(&w, c, idem, &r);
	if (rv == 0)
		ag_reply_free(&r);
	ag_client_close(c);
	cr_expect_eq(rv, NNG_ETIMEDOUT, "%s: expected no reply", what);
	cr_assert_eq(rec_wait_exit(&s, EXIT_TIMEOUT_MS), 137, "%s: no crash", what);

	restarted(&s, &w);
	struct ag_reply first, again;
	cr_assert_eq(k->op(&w, w.ac, idem, &first), 0, "%s: no reply to the resend", what);
	cr_expect(first.ok, "%s: the resend got %s: %s", what, first.code_name, first.message);
	cr_expect_eq(h_db_int(k->applied_sql, 4, w.a.id, w.b.id, w.post_a, w.post_b), 1,
		"%s: the op is not applied exactly once", what);
	char *settled = snapshot();
	cr_assert_eq(k->op(&w, w.ac, idem, &again), 0, "%s: no reply to the second resend", what);
	cr_expect_eq(again.ok, first.ok, "%s: the second resend differs", what);
	cr_expect_str_eq(again.saga, first.saga, "%s: the second resend names another saga", what);
	expect_same_data(settled, what);
	free(settled);
	ag_reply_free(&first);
	ag_reply_free(&again);
	expect_checker(what, NULL);
	cr_expect_eq(h_db_int("SELECT count(*) FROM idempotency WHERE response IS NULL", 0), 0,
		"%s: an idempotency record was left unsettled", what);
	rec_done(&s);
}

/* ---- one test per saga step and fault ---- */

#define EVERY_STEP(X) \
	X(create_post, create_post) X(create_post, extract_hashtags) \
	X(create_post, attach_media) X(create_post, notify_mentions) \
	X(delete_post, delete_comments) X(delete_post, delete_likes) \
	X(delete_post, delete_hashtags) X(delete_post, delete_notifications) \
	X(delete_post, delete_media) X(delete_post, delete_post) \
	X(like_post, toggle_like) X(like_post, create_notification) \
	X(follow_user, create_follow) X(follow_user, create_notification) \
	X(send_message, create_message) X(send_message, create_notification) \
	X(create_story, create_story) X(create_story, attach_media) \
	X(comment, create_comment) X(comment, create_notification) \
	X(comment, notify_mentions)

#define FAIL_TEST(saga, step) \
	Test(recovery, fail_##saga##__##step) { run_fail(#saga, #step); }
#define CRASH_TEST(saga, step) \
	Test(recovery, crash_##saga##__##step) { run_crash(#saga, #step); }

#define RESEND_TEST(saga, step) \
	Test(recovery, crash_then_resend_##saga##__##step) { run_crash_resend(#saga, #step); }

EVERY_STEP(FAIL_TEST)
EVERY_STEP(CRASH_TEST)
EVERY_STEP(RESEND_TEST)

#define EVERY_MULTI_STEP_SAGA(X) \
	X(create_post) X(delete_post) X(like_post) X(follow_user) X(send_message) X(comment) \
	X(create_story)

#define COMPENSATION_TEST(saga) \
	Test(recovery, compensation_fails_##saga) { run_compensation_fails(#saga); }

EVERY_MULTI_STEP_SAGA(COMPENSATION_TEST)
