/* test_crashloop.c: ansigramd killed again and again under saga writes.
 *
 * Eight writer threads, each a user of its own, send saga-backed writes
 * (post.create, comment.create, post.like, follow.create, message.send,
 * story.create, post.delete), every one with a unique `idem` key, and keep
 * each reply. The server dies in two ways: SIGKILL at a random moment (20
 * cycles, from a seed that is printed; CRASHLOOP_SEED replays it), and
 * once per saga crash point (ANSIGRAM_FAULTS=SAGA.STEP=crash). After each
 * death the server restarts on the same database, every writer re-sends
 * the request that got no reply with the SAME idem key, and then the data
 * is checked: the consistency checker finds nothing, every acknowledged
 * write is there (unless a later acknowledged delete took it), and none
 * was applied twice. Each write carries a marker naming its writer and
 * request ("crashloop cl3.57"), so rows per marker must be exactly the
 * acknowledged ones; a like applied twice is an unlike, a follow applied
 * twice answers `conflict`, a delete applied twice answers `not_found`.
 * Posts and comments also mention a user, and every live acknowledged post
 * must have made exactly one mention notification.
 * Ends with one summary line; fails on any duplicate, loss, unexpected
 * error reply or checker finding. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "consistency.h"
#include "rec_server.h"

TestSuite(crashloop, .fini = rec_test_fini, .timeout = 300);

#define WRITERS 8
#define TARGETS 8               /* users the writers write messages to */
#define MAX_FOLLOWEES 64        /* users to follow: one more each cycle */
#define RANDOM_KILLS 20
#define CALL_TIMEOUT_MS 1000    /* a call without a reply by then is re-sent */
#define KILL_MIN_MS 100         /* random kills land this long after the start */
#define KILL_SPAN_MS 1400       /* ... plus up to this */
#define CRASH_TIMEOUT_MS 20000  /* for a fault point to be reached */
#define RESEND_TIMEOUT_MS 30000 /* for every re-sent request to be answered */

/* Every crash point: SAGA.STEP of each saga definition in the server sources. A
 * saga step the writers run that is not listed here fails the test (see
 * check_points_known), so the list cannot silently fall behind. */
static const char *const crash_points[] = {
	"create_post.create_post", "create_post.extract_hashtags", "create_post.attach_media",
	"create_post.notify_mentions",
	"delete_post.delete_comments", "delete_post.delete_likes",
	"delete_post.delete_hashtags", "delete_post.delete_notifications",
	"delete_post.delete_media", "delete_post.delete_post",
	"like_post.toggle_like", "like_post.create_notification",
	"comment.create_comment", "comment.create_notification", "comment.notify_mentions",
	"follow_user.create_follow", "follow_user.create_notification",
	"send_message.create_message", "send_message.create_notification",
	"create_story.create_story", "create_story.attach_media",
};
#define N_POINTS (sizeof crash_points / sizeof crash_points[0])

enum kind { K_POST, K_COMMENT, K_LIKE, K_FOLLOW, K_MESSAGE, K_STORY, K_DELETE, K__COUNT };
static const char *const kind_op[K__COUNT] = {
	"post.create", "comment.create", "post.like", "follow.create", "message.send",
	"story.create", "post.delete",
};

/* One write as it was first sent (re-sent as it is) and what came back. */
struct write {
	enum kind kind;
	char idem[48];
	char content[64];    /* the marker text, for kinds that carry content */
	int64_t target;      /* post, user or receiver id */
	int sends;
	bool acked;          /* a reply arrived */
	bool ok;
	char code[32];       /* the error code when not ok */
	int64_t id;          /* the new row's id (post, comment, ...) */
	bool liked;          /* post.like: what the reply said */
	bool deleted;        /* post.create: an acknowledged delete removed it */
	bool liked_by_me;    /* post.create: a like request was made for it */
	bool reported;       /* a problem with it was already counted */
};

struct writer {
	int index;
	struct h_user user;
	unsigned rng;
	struct write *w;
	size_t n, cap;
	int follows_made;
	bool resend_only;    /* this run of the thread only re-sends */
	struct ag_client *c;
};

static struct h_user targets[TARGETS];
static struct h_user followees[MAX_FOLLOWEES];
static int n_followees;
static struct writer writers[WRITERS];
static const char *url;
static atomic_bool stop_writing;

/* Totals for the summary. */
static long acked_total, resends, duplicates, lost, bad_errors, checker_problems;

static int rnd(struct writer *wr, int n)
{
	return (int)(rand_r(&wr->rng) % (unsigned)n);
}

/* The user a writer's posts (or comments) mention: never the same one,
 * so that each post's own mention can be counted by its reference. */
static const struct h_user *mentioned(const struct writer *wr, enum kind kind)
{
	return &targets[(wr->index + (kind == K_COMMENT ? TARGETS / 2 : 0)) % TARGETS];
}

static struct write *new_write(struct writer *wr, enum kind kind)
{
	if (wr->n == wr->cap) {
		wr->cap = wr->cap ? wr->cap * 2 : 256;
		wr->w = realloc(wr->w, wr->cap * sizeof *wr->w);
		if (!wr->w)
			abort();  /* a writer thread: no criterion assertion here */
	}
	struct write *w = &wr->w[wr->n];
	memset(w, 0, sizeof *w);
	w->kind = kind;
	snprintf(w->idem, sizeof w->idem, "crashloop-%d-%zu", wr->index, wr->n);
	bool mentions = kind == K_POST || kind == K_COMMENT;
	snprintf(w->content, sizeof w->content, "crashloop cl%d.%zu%s%s%s", wr->index, wr->n,
		kind == K_POST ? " #crashloop" : "", mentions ? " @" : "",
		mentions ? mentioned(wr, kind)->username : "");
	wr->n++;
	return w;
}

/* One of the writer's own posts, acknowledged and not being deleted, that
 * no like has been sent for (want_unliked) or any; NULL when none. */
static struct write *own_post(struct writer *wr, bool want_unliked)
{
	size_t live = 0;
	for (size_t i = 0; i < wr->n; i++) {
		struct write *w = &wr->w[i];
		if (w->kind == K_POST && w->ok && !w->deleted && !(want_unliked && w->liked_by_me))
			live++;
	}
	if (live == 0)
		return NULL;
	size_t pick = (size_t)rnd(wr, (int)live);
	for (size_t i = 0; i < wr->n; i++) {
		struct write *w = &wr->w[i];
		if (w->kind == K_POST && w->ok && !w->deleted && !(want_unliked && w->liked_by_me) &&
		    pick-- == 0)
			return w;
	}
	return NULL;
}

static struct write *post_by_id(struct writer *wr, int64_t id)
{
	for (size_t i = 0; i < wr->n; i++)
		if (wr->w[i].kind == K_POST && wr->w[i].ok && wr->w[i].id == id)
			return &wr->w[i];
	return NULL;
}

/* Picks the writer's next write. Only called when nothing is pending, so
 * every earlier write of this writer has its reply. */
static struct write *next_write(struct writer *wr)
{
	enum kind kind = (enum kind)rnd(wr, K__COUNT);
	struct write *post = NULL;
	if (kind == K_COMMENT || kind == K_DELETE)
		post = own_post(wr, false);
	else if (kind == K_LIKE)
		post = own_post(wr, true);
	if ((kind == K_COMMENT || kind == K_LIKE || kind == K_DELETE) && !post)
		kind = K_POST;
	if (kind == K_FOLLOW && wr->follows_made == n_followees)
		kind = K_MESSAGE;
	/* The post's pointer moves when new_write grows the array. */
	int64_t post_id = post ? post->id : 0;
	if (post && kind == K_LIKE)
		post->liked_by_me = true;
	if (post && kind == K_DELETE)
		post->deleted = true;  /* no later write picks it; undone if the delete fails */
	struct write *w = new_write(wr, kind);
	if (kind == K_COMMENT || kind == K_LIKE || kind == K_DELETE)
		w->target = post_id;
	else if (kind == K_FOLLOW)
		w->target = followees[wr->follows_made++].id;
	else if (kind == K_MESSAGE)
		w->target = targets[rnd(wr, TARGETS)].id;
	return w;
}

static int send_write(struct writer *wr, struct write *w, struct ag_reply *r)
{
	const char *op = kind_op[w->kind];
	switch (w->kind) {
	case K_POST:
	case K_STORY:
		return ag_client_callf(wr->c, r, op, w->idem, "content:s", w->content);
	case K_COMMENT:
		return ag_client_callf(wr->c, r, op, w->idem, "post_id:i content:s", w->target,
			w->content);
	case K_LIKE:
	case K_DELETE:
		return ag_client_callf(wr->c, r, op, w->idem, "post_id:i", w->target);
	case K_FOLLOW:
		return ag_client_callf(wr->c, r, op, w->idem, "user_id:i", w->target);
	case K_MESSAGE:
		return ag_client_callf(wr->c, r, op, w->idem, "receiver_id:i content:s",
			w->target, w->content);
	default:
		return -1;
	}
}

static void keep_reply(struct writer *wr, struct write *w, const struct ag_reply *r)
{
	w->acked = true;
	w->ok = r->ok;
	snprintf(w->code, sizeof w->code, "%s", r->ok ? "" : r->code_name);
	if (r->ok && (w->kind == K_POST || w->kind == K_COMMENT || w->kind == K_MESSAGE ||
			w->kind == K_STORY))
		w->id = ag_obj_int(r->data, "id");
	if (r->ok && w->kind == K_LIKE)
		w->liked = ag_obj_bool(r->data, "liked");
	if (!r->ok && w->kind == K_DELETE && strcmp(w->code, "not_found") != 0) {
		struct write *post = post_by_id(wr, w->target);
		if (post)
			post->deleted = false;
	}
}

/* The write still waiting for its reply (at most one: a writer waits for
 * each reply before its next write). */
static struct write *pending(struct writer *wr)
{
	return wr->n && !wr->w[wr->n - 1].acked ? &wr->w[wr->n - 1] : NULL;
}

/* The writer's thread: re-sends its pending write until answered, then
 * (unless resend_only) makes new writes until told to stop. Replies that
 * do not come within CALL_TIMEOUT_MS leave the write pending. */
static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	bool resend_only = wr->resend_only;
	int64_t deadline = ag_mono_ms() + RESEND_TIMEOUT_MS;
	if (ag_client_open(&wr->c, url, CALL_TIMEOUT_MS) != 0)
		return NULL;
	ag_client_set_auth(wr->c, wr->user.token);
	for (;;) {
		struct write *w = pending(wr);
		if (resend_only ? !w || ag_mono_ms() > deadline : atomic_load(&stop_writing))
			break;
		if (!w)
			w = next_write(wr);
		w->sends++;
		struct ag_reply r;
		if (send_write(wr, w, &r) == 0) {
			keep_reply(wr, w, &r);
			ag_reply_free(&r);
		}
	}
	ag_client_close(wr->c);
	wr->c = NULL;
	return NULL;
}

static pthread_t writer_threads[WRITERS];

static void start_writers(bool resend_only)
{
	atomic_store(&stop_writing, false);
	for (int i = 0; i < WRITERS; i++) {
		writers[i].resend_only = resend_only;
		cr_assert_eq(pthread_create(&writer_threads[i], NULL, writer_main, &writers[i]), 0);
	}
}

static void join_writers(void)
{
	atomic_store(&stop_writing, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(writer_threads[i], NULL);
}

/* ---- checking the database against the replies ---- */

/* Counts w's first problem in *counter and prints it. */
static void problem(struct write *w, long *counter, const char *what)
{
	if (w->reported)
		return;
	w->reported = true;
	(*counter)++;
	fprintf(stderr, "crashloop: %s: %s idem %s (sent %d times, reply %s)\n", what,
		kind_op[w->kind], w->idem, w->sends, w->ok ? "ok" : w->code);
}

/* Counts rows per marker in table's content into seen[writer][request]. */
static void count_markers(sqlite3 *db, const char *table, int **seen)
{
	char sql[160];
	snprintf(sql, sizeof sql,
		"SELECT content FROM %s WHERE content LIKE 'crashloop cl%%'", table);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int wi;
		size_t n;
		if (sscanf((const char *)sqlite3_column_text(st, 0), "crashloop cl%d.%zu", &wi, &n) == 2 &&
		    wi >= 0 && wi < WRITERS && n < writers[wi].n)
			seen[wi][n]++;
	}
	sqlite3_finalize(st);
}

static bool row_exists(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* The mention notifications of writer wr's post about post_id. */
static int64_t mentions_of_post(sqlite3 *db, const struct writer *wr, int64_t post_id)
{
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM notifications WHERE type = "
		"'mention' AND reference_id = ?1 AND user_id = ?2 AND actor_id = ?3", -1, &st, NULL),
		SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_int64(st, 2, mentioned(wr, K_POST)->id);
	sqlite3_bind_int64(st, 3, wr->user.id);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool target_deleted(struct writer *wr, const struct write *w)
{
	const struct write *post = post_by_id(wr, w->target);
	return post && post->deleted;
}

/* Compares every write's reply with the rows: all writes are answered by
 * now and the server is idle. */
static void check_data(const char *db_path)
{
	int found = ag_consistency_check(db_path, stderr);
	cr_assert_geq(found, 0, "the consistency checker cannot read %s", db_path);
	checker_problems += found;

	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int *seen[WRITERS];
	for (int i = 0; i < WRITERS; i++)
		seen[i] = calloc(writers[i].n + 1, sizeof(int));
	const char *tables[] = {"posts", "comments", "messages", "stories"};
	for (size_t t = 0; t < 4; t++)
		count_markers(db, tables[t], seen);

	for (int i = 0; i < WRITERS; i++) {
		struct writer *wr = &writers[i];
		for (size_t k = 0; k < wr->n; k++) {
			struct write *w = &wr->w[k];
			cr_assert(w->acked, "crashloop: %s idem %s has no reply", kind_op[w->kind], w->idem);
			int want = 0;
			switch (w->kind) {
			case K_POST: {
				want = w->ok && !w->deleted;
				int64_t mentions = w->ok ? mentions_of_post(db, wr, w->id) : 0;
				if (mentions > want)
					problem(w, &duplicates, "mentioned its user twice");
				else if (mentions < want)
					problem(w, &lost, "acknowledged but its mention is missing");
				break;
			}
			case K_COMMENT:
				want = w->ok && !target_deleted(wr, w);
				break;
			case K_MESSAGE:
			case K_STORY:
				want = w->ok;
				break;
			case K_LIKE: {
				bool row = !target_deleted(wr, w) && row_exists(db,
					"SELECT 1 FROM likes WHERE user_id = ?1 AND post_id = ?2",
					wr->user.id, w->target);
				if (w->ok && (!w->liked || (!row && !target_deleted(wr, w))))
					problem(w, &duplicates, "applied twice (like toggled back)");
				else if (!w->ok && row)
					problem(w, &bad_errors, "applied although its reply is an error");
				break;
			}
			case K_FOLLOW: {
				bool row = row_exists(db, "SELECT 1 FROM follows "
					"WHERE follower_id = ?1 AND followee_id = ?2", wr->user.id, w->target);
				if (!w->ok && strcmp(w->code, "conflict") == 0)
					problem(w, &duplicates, "applied twice (already following)");
				else if (w->ok && !row)
					problem(w, &lost, "acknowledged but missing");
				else if (!w->ok && row)
					problem(w, &bad_errors, "applied although its reply is an error");
				break;
			}
			case K_DELETE:
				if (!w->ok && strcmp(w->code, "not_found") == 0)
					problem(w, &duplicates, "applied twice (post already gone)");
				break;
			default:
				break;
			}
			if (w->kind == K_POST || w->kind == K_COMMENT || w->kind == K_MESSAGE ||
			    w->kind == K_STORY) {
				if (seen[i][k] > want && w->ok)
					problem(w, &duplicates, "applied twice (rows with its marker)");
				else if (seen[i][k] > want)
					problem(w, &bad_errors, "applied although its reply is an error");
				else if (seen[i][k] < want)
					problem(w, &lost, "acknowledged but missing");
			}
			/* The one error a write may get: `internal` for a re-sent write
			 * whose saga the restart compensated (the data says whether it
			 * ran). */
			bool compensated = w->sends > 1 && strcmp(w->code, "internal") == 0;
			if (!w->ok && !w->reported && !compensated &&
			    !(w->kind == K_FOLLOW && !strcmp(w->code, "conflict")) &&
			    !(w->kind == K_DELETE && !strcmp(w->code, "not_found")))
				problem(w, &bad_errors, "unexpected error reply");
		}
	}
	for (int i = 0; i < WRITERS; i++)
		free(seen[i]);
	sqlite3_close(db);
}

/* Every saga step the server logged is one of crash_points. */
static void check_points_known(const char *db_path)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT DISTINCT s.type || '.' || t.name "
		"FROM sagas s JOIN saga_steps t ON t.saga_id = s.id WHERE t.name <> 'recovery'", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *point = (const char *)sqlite3_column_text(st, 0);
		bool known = false;
		for (size_t i = 0; i < N_POINTS; i++)
			known |= strcmp(point, crash_points[i]) == 0;
		cr_expect(known, "crashloop: saga step %s is not in crash_points", point);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- the loop ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static long total_acked(void)
{
	long n = 0;
	for (int i = 0; i < WRITERS; i++)
		for (size_t k = 0; k < writers[i].n; k++)
			n += writers[i].w[k].acked;
	return n;
}

static long total_resends(void)
{
	long n = 0;
	for (int i = 0; i < WRITERS; i++)
		for (size_t k = 0; k < writers[i].n; k++)
			n += writers[i].w[k].sends > 1;
	return n;
}

/* One cycle: writes until the server dies (at a fault point, or by our
 * SIGKILL after kill_after_ms), a restart, the re-sends, the checks. */
static void cycle(struct h_server *s, const char *point, long kill_after_ms)
{
	char faults[96] = "";
	if (point)
		snprintf(faults, sizeof faults, "%s=crash", point);
	/* Someone new to follow, so every cycle has follows to make. */
	cr_assert_lt(n_followees, MAX_FOLLOWEES);
	h_user_new(&followees[n_followees++]);
	/* The server left running by the last cycle has no fault points. */
	if (s->keeper > 0 && point)
		rec_kill(s);
	if (s->keeper == 0)
		rec_restart(s, point ? faults : NULL);
	start_writers(false);
	if (point) {
		int code = rec_wait_exit(s, CRASH_TIMEOUT_MS);
		if (code < 0)
			rec_kill(s);
		cr_expect_eq(code, 137, "crashloop: %s: the server did not crash there (status %d)",
			point, code);
	} else {
		sleep_ms(kill_after_ms);
		rec_kill(s);
	}
	join_writers();
	rec_restart(s, NULL);
	start_writers(true);
	join_writers();
	check_data(s->db_path);
}

Test(crashloop, kill_restart_resend)
{
	const char *seed_env = getenv("CRASHLOOP_SEED");
	unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
		: (unsigned)time(NULL) ^ (unsigned)getpid();
	fprintf(stderr, "crashloop: seed %u (replay with CRASHLOOP_SEED=%u)\n", seed, seed);

	struct h_server s;
	rec_start(&s, NULL);
	url = s.url;
	for (int i = 0; i < TARGETS; i++)
		h_user_new(&targets[i]);
	for (int i = 0; i < WRITERS; i++) {
		writers[i].index = i;
		writers[i].rng = seed + (unsigned)i * 7919u;
		h_user_new(&writers[i].user);
	}

	unsigned rng = seed;
	int64_t t0 = ag_mono_ms();
	int cycles = 0;
	/* Crash points and random kills, interleaved in a seeded order. */
	int order[N_POINTS + RANDOM_KILLS];
	int n_order = 0;
	for (int i = 0; i < (int)N_POINTS + RANDOM_KILLS; i++)
		order[n_order++] = i;
	for (int i = n_order - 1; i > 0; i--) {
		int j = (int)(rand_r(&rng) % (unsigned)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < n_order; i++) {
		bool at_point = order[i] < (int)N_POINTS;
		long delay = KILL_MIN_MS + (long)(rand_r(&rng) % KILL_SPAN_MS);
		cycle(&s, at_point ? crash_points[order[i]] : NULL, delay);
		cycles++;
		fprintf(stderr, "crashloop: cycle %d: %s%s: %ld duplicates, %ld lost so far\n", cycles,
			at_point ? "crash point " : "SIGKILL after ",
			at_point ? crash_points[order[i]] : h_fmt("%ld ms", delay), duplicates, lost);
	}
	check_points_known(s.db_path);
	acked_total = total_acked();
	resends = total_resends();
	printf("crashloop: seed %u, %d cycles (%d random kills, %zu crash points) in %.1f s, "
		"%ld writes acknowledged, %ld re-sent, %ld duplicates, %ld lost, "
		"%ld unexpected errors, %ld checker problems\n",
		seed, cycles, RANDOM_KILLS, N_POINTS, (double)(ag_mono_ms() - t0) / 1000,
		acked_total, resends, duplicates, lost, bad_errors, checker_problems);
	fflush(stdout);
	cr_expect_eq(duplicates, 0, "crashloop: %ld writes applied twice (seed %u)", duplicates, seed);
	cr_expect_eq(lost, 0, "crashloop: %ld acknowledged writes missing (seed %u)", lost, seed);
	cr_expect_eq(bad_errors, 0, "crashloop: %ld unexpected error replies (seed %u)",
		bad_errors, seed);
	cr_expect_eq(checker_problems, 0, "crashloop: the consistency checker found %ld problems",
		checker_problems);
	rec_discard(&s);
}
