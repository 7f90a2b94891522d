/* test_consistency.c: the checker's self-test. A real server builds a
 * database through the protocol; the checker must find it clean. Copies of
 * it are then corrupted one way each (with foreign keys off, as a bug or a
 * hand edit would) and the checker must report exactly that. Also runs the
 * agcheck program for its output and exit codes. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "consistency.h"
#include "harness.h"

H_SERVER_PER_FILE(NULL)

static char work_dir[] = "/tmp/ag-check-XXXXXX";
static bool work_dir_made;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void work_fini(void)
{
	if (work_dir_made)
		nftw(work_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	h_test_fini();
}

TestSuite(consistency, .fini = work_fini);

/* Some of everything, made by the server: posts with hashtags and
 * mentions, a like, comments with mentions, follows, a message, a story, a
 * deleted post and an unfollow. */
static void populate(void)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t p1 = ag_obj_int(h_ok(a.c, "post.create", "content:s",
		h_fmt("hello #cats #dogs @%s", b.username)), "id");
	h_ok(b.c, "post.like", "post_id:i", p1);
	h_ok(b.c, "comment.create", "post_id:i content:s", p1, h_fmt("nice, @%s", c.username));
	h_ok(b.c, "follow.create", "user_id:i", a.id);
	h_ok(c.c, "follow.create", "user_id:i", a.id);
	h_ok(c.c, "follow.create", "user_id:i", b.id);
	h_ok(c.c, "follow.delete", "user_id:i", b.id);
	h_ok(c.c, "message.send", "receiver_id:i content:s", a.id, "hi");
	h_ok(a.c, "story.create", "content:s", "today");
	int64_t p2 = ag_obj_int(h_ok(b.c, "post.create", "content:s", "#cats too"), "id");
	h_ok(a.c, "post.like", "post_id:i", p2);
	int64_t p3 = ag_obj_int(h_ok(c.c, "post.create", "content:s", "gone #soon"), "id");
	h_ok(a.c, "comment.create", "post_id:i content:s", p3, h_fmt("bye @%s", b.username));
	h_ok(c.c, "post.delete", "post_id:i", p3);
	/* Photos: on a post, on a story, never attached, and gone with a post. */
	h_ok(a.c, "post.create", "content:s media_id:i", "look", h_upload_photo(a.c));
	h_ok(b.c, "story.create", "media_id:i", h_upload_photo(b.c));
	h_upload_photo(c.c);
	int64_t p4 = ag_obj_int(h_ok(c.c, "post.create", "media_id:i", h_upload_photo(c.c)), "id");
	h_ok(c.c, "post.delete", "post_id:i", p4);
}

/* A path in this test's work directory. */
static const char *work_path(const char *name)
{
	if (!work_dir_made) {
		cr_assert_not_null(mkdtemp(work_dir));
		work_dir_made = true;
	}
	return h_fmt("%s/%s", work_dir, name);
}

static void run_sql(const char *path, int flags, const char *sql, const char *param)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK, "cannot open %s", path);
	sqlite3_busy_timeout(db, 5000);
	if (param) {
		sqlite3_stmt *st = NULL;
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
			sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_finalize(st);
	} else {
		char *err = NULL;
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK, "%s: %s", sql, err);
	}
	sqlite3_close(db);
}

/* A consistent copy of the server's database at dst. */
static void copy_db(const char *src, const char *dst)
{
	remove(dst);
	run_sql(src, SQLITE_OPEN_READONLY, "VACUUM INTO ?1", dst);
}

/* Runs the checker on path; returns the count and the report. */
static int check(const char *path, char **report)
{
	size_t size;
	FILE *f = open_memstream(report, &size);
	cr_assert_not_null(f);
	int n = ag_consistency_check(path, f);
	fclose(f);
	return n;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(consistency, a_database_made_by_the_server_is_clean)
{
	populate();
	char *report = NULL;
	int n = check(h_db_path(), &report);
	cr_expect_eq(n, 0, "a clean database has %d problems:\n%s", n, report);
	free(report);
}

struct corruption {
	const char *what;
	const char *sql;       /* run with foreign keys off */
	const char *expect;    /* in the report */
	int problems;          /* how many; 0: at least one */
};

#define MISSING "999999"
#define SOME_USER "(SELECT min(id) FROM users)"
#define OTHER_USER "(SELECT max(id) FROM users)"
#define SOME_POST "(SELECT min(id) FROM posts)"
#define SOME_LOOSE_PHOTO "(SELECT min(id) FROM media WHERE post_id IS NULL AND story_id IS NULL)"

static const struct corruption corruptions[] = {
	{"users.post_count off by one",
	 "UPDATE users SET post_count = post_count + 1 WHERE id = " SOME_USER,
	 "users.post_count of user", 1},
	{"users.follower_count off by one",
	 "UPDATE users SET follower_count = follower_count + 1 WHERE id = " OTHER_USER,
	 "users.follower_count of user", 1},
	{"users.following_count off by one",
	 "UPDATE users SET following_count = following_count + 1 WHERE id = " SOME_USER,
	 "users.following_count of user", 1},
	{"posts.like_count off by one",
	 "UPDATE posts SET like_count = like_count + 1 WHERE id = " SOME_POST,
	 "posts.like_count of post", 1},
	{"posts.comment_count off by two",
	 "UPDATE posts SET comment_count = comment_count + 2 WHERE id = " SOME_POST,
	 "posts.comment_count of post", 1},
	{"posts.tags not the post's hashtags",
	 "UPDATE posts SET tags = trim(tags || ' stale') WHERE id = " SOME_POST,
	 "posts.tags of post", 1},
	{"hashtags.post_count off by one",
	 "UPDATE hashtags SET post_count = post_count + 1 WHERE name = 'cats'",
	 "hashtags.post_count of #cats", 1},
	{"a like of a missing post",
	 "INSERT INTO likes (post_id, user_id, created_at) VALUES (" MISSING ", " SOME_USER ", 0)",
	 "of post " MISSING ": the post does not exist", 1},
	{"a like by a missing user",
	 "INSERT INTO likes (post_id, user_id, created_at) VALUES (" SOME_POST ", " MISSING ", 0)",
	 "is by user " MISSING ", who does not exist", 1},
	{"a comment on a missing post",
	 "INSERT INTO comments (post_id, author_id, content, created_at) "
	 "VALUES (" MISSING ", " SOME_USER ", 'x', 0)",
	 "on post " MISSING ": the post does not exist", 1},
	{"a hashtag link of a missing post",
	 "INSERT INTO post_hashtags (post_id, hashtag_id, position) "
	 "VALUES (" MISSING ", (SELECT min(id) FROM hashtags), 0)",
	 "hashtag link of post " MISSING, 1},
	{"a hashtag link to a missing hashtag",
	 "INSERT INTO post_hashtags (post_id, hashtag_id, position) "
	 "VALUES (" SOME_POST ", " MISSING ", 9)",
	 "the hashtag does not exist", 1},
	{"a post deleted without its likes, comments, tags and notifications",
	 "DELETE FROM posts WHERE id = " SOME_POST,
	 "the post does not exist", 0},
	{"a like notification about a missing post",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" SOME_USER ", " OTHER_USER ", 'like', " MISSING ", 'x', 0)",
	 "(like) is about post " MISSING ", which does not exist", 1},
	{"a mention notification about a missing post",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" SOME_USER ", " OTHER_USER ", 'mention', " MISSING ", 'x', 0)",
	 "(mention) is about post " MISSING ", which does not exist", 1},
	{"a follow notification about a missing user",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" SOME_USER ", " MISSING ", 'follow', " MISSING ", 'x', 0)",
	 "(follow) is about user " MISSING ", which does not exist", 2},
	{"a follow notification about someone else than its actor",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" SOME_USER ", " OTHER_USER ", 'follow', " SOME_USER ", 'x', 0)",
	 "but was caused by user", 1},
	{"a message notification about a missing message",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" SOME_USER ", " OTHER_USER ", 'message', " MISSING ", 'x', 0)",
	 "(message) is about message " MISSING ", which does not exist", 1},
	{"a notification for a missing user",
	 "INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
	 "VALUES (" MISSING ", " SOME_USER ", 'follow', " SOME_USER ", 'x', 0)",
	 "is for user " MISSING ", who does not exist", 1},
	{"a message to a missing user",
	 "INSERT INTO messages (sender_id, receiver_id, content, created_at) "
	 "VALUES (" SOME_USER ", " MISSING ", 'x', 0)",
	 "has receiver " MISSING ", who does not exist", 1},
	{"a follow of a missing user",
	 "INSERT INTO follows (follower_id, followee_id, created_at) VALUES (" SOME_USER ", " MISSING ", 0)",
	 "the followed user does not exist", 1},
	{"a session of a missing user",
	 "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, "
	 "push_topic, push_key) VALUES (x'00', " MISSING ", 0, 0, 0, x'00', x'00')",
	 "belongs to user " MISSING ", who does not exist", 1},
	{"a story by a missing user",
	 "INSERT INTO stories (author_id, content, created_at, expires_at) VALUES (" MISSING ", 'x', 0, 1)",
	 "has author " MISSING ", who does not exist", 1},
	{"a photo on a missing post",
	 "UPDATE media SET post_id = " MISSING " WHERE id = (SELECT min(id) FROM media "
	 "WHERE post_id IS NOT NULL)",
	 "is attached to post " MISSING ", which does not exist", 0},
	{"a photo on a missing story",
	 "UPDATE media SET story_id = " MISSING " WHERE id = (SELECT min(id) FROM media "
	 "WHERE story_id IS NOT NULL)",
	 "is attached to story " MISSING ", which does not exist", 0},
	{"a photo of a missing user",
	 "UPDATE media SET owner_id = " MISSING " WHERE id = " SOME_LOOSE_PHOTO,
	 "belongs to user " MISSING ", who does not exist", 1},
	{"a photo on someone else's post",
	 "UPDATE media SET owner_id = " OTHER_USER " WHERE id = (SELECT min(id) FROM media "
	 "WHERE post_id IS NOT NULL)",
	 "is on post", 1},
	{"a photo kept for a post deletion that is over",
	 "UPDATE media SET deleting_saga = 'feed08' WHERE id = " SOME_LOOSE_PHOTO,
	 "is kept for post deletion saga feed08, which is not running", 1},
	{"a photo whose size disagrees with its bytes",
	 "UPDATE media SET bytes = bytes + 1 WHERE id = (SELECT min(id) FROM media "
	 "WHERE story_id IS NOT NULL)",
	 "bytes but stores", 1},
	{"a post that lost its photo",
	 "DELETE FROM media WHERE id = (SELECT min(id) FROM media WHERE post_id IS NOT NULL)",
	 "was created with photo", 1},
	{"a story that lost its photo",
	 "DELETE FROM media WHERE id = (SELECT min(id) FROM media WHERE story_id IS NOT NULL)",
	 "was created with photo", 1},
	{"a saga left running",
	 "INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
	 "VALUES ('feed01', 'like_post', 'running', 1, 0, 0)",
	 "saga feed01 (like_post) is running", 1},
	{"a saga left compensating",
	 "INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
	 "VALUES ('feed02', 'comment', 'compensating', 1, 0, 0)",
	 "saga feed02 (comment) is compensating", 1},
	{"a saga left failed",
	 "INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
	 "VALUES ('feed03', 'delete_post', 'failed', 1, 0, 0)",
	 "saga feed03 (delete_post) is failed", 1},
	{"a step row of a missing saga",
	 "INSERT INTO saga_steps (saga_id, name, status, at) VALUES ('feed04', 'x', 'completed', 0)",
	 "belongs to saga feed04, which does not exist", 1},
	{"an event of a compensated saga",
	 "INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
	 "VALUES ('feed05', 'follow_user', 'compensated', 1, 0, 0);"
	 "INSERT INTO outbox (saga_id, audience, user_id, type, payload, released, created_at) "
	 "VALUES ('feed05', 'user', 1, 'notification', x'80', 1, 0)",
	 "of saga feed05 (compensated) is still queued", 1},
	{"an event of a missing saga",
	 "INSERT INTO outbox (saga_id, audience, user_id, type, payload, created_at) "
	 "VALUES ('feed06', 'user', 1, 'notification', x'80', 0)",
	 "of saga feed06 (missing) is still queued", 1},
	{"an unreleased event of a completed saga",
	 "INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
	 "VALUES ('feed07', 'create_story', 'completed', 1, 0, 0);"
	 "INSERT INTO outbox (saga_id, audience, user_id, type, payload, created_at) "
	 "VALUES ('feed07', 'followers', 1, 'story', x'80', 0)",
	 "of completed saga feed07 was never released", 1},
	{"an index that disagrees with its table",
	 "PRAGMA writable_schema = ON;"
	 "UPDATE sqlite_schema SET sql = 'CREATE INDEX messages_inbox ON messages(sender_id, is_read, id)' "
	 "WHERE name = 'messages_inbox'",
	 "integrity_check: ", 0},
	{"a dangling reference in a table the checks do not know",
	 "CREATE TABLE extra (user_id INTEGER REFERENCES users(id));"
	 "INSERT INTO extra VALUES (" MISSING ")",
	 "foreign_key_check: a row of extra (rowid 1) points at a missing users row", 1},
};

Test(consistency, every_corruption_is_reported)
{
	populate();
	const char *pristine = work_path("pristine.db");
	const char *copy = work_path("corrupt.db");
	copy_db(h_db_path(), pristine);
	char *report = NULL;
	int n = check(pristine, &report);
	cr_assert_eq(n, 0, "the pristine copy has %d problems:\n%s", n, report);
	free(report);

	for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++) {
		const struct corruption *k = &corruptions[i];
		copy_db(pristine, copy);
		run_sql(copy, SQLITE_OPEN_READWRITE, k->sql, NULL);
		n = check(copy, &report);
		cr_expect(k->problems ? n == k->problems : n > 0,
			"%s: %d problems reported, expected %d:\n%s", k->what, n, k->problems, report);
		cr_expect(strstr(report, k->expect), "%s: the report does not say \"%s\":\n%s",
			k->what, k->expect, report);
		cr_expect_eq(count_lines(report), (size_t)n, "%s: not one line per problem:\n%s",
			k->what, report);
		free(report);
	}
}

/* Runs agcheck on path; returns its exit status and stdout. */
static int agcheck(const char *path, char **out)
{
	const char *bin = getenv("AGCHECK");
	cr_assert_not_null(bin, "AGCHECK must name the agcheck program");
	FILE *p = popen(h_fmt("'%s' '%s' 2>/dev/null", bin, path), "r");
	cr_assert_not_null(p);
	size_t size;
	FILE *f = open_memstream(out, &size);
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, p)) > 0)
		fwrite(buf, 1, got, f);
	fclose(f);
	int status = pclose(p);
	cr_assert(WIFEXITED(status), "agcheck did not exit normally");
	return WEXITSTATUS(status);
}

Test(consistency, agcheck_prints_one_line_per_problem_and_exits_1)
{
	populate();
	const char *copy = work_path("agcheck.db");
	copy_db(h_db_path(), copy);
	char *out = NULL;
	cr_expect_eq(agcheck(copy, &out), 0, "agcheck on a clean database:\n%s", out);
	cr_expect_str_empty(out);
	free(out);

	run_sql(copy, SQLITE_OPEN_READWRITE,
		"UPDATE posts SET like_count = like_count + 5;"
		"INSERT INTO sagas (id, type, state, initiator, created_at, updated_at) "
		"VALUES ('feed08', 'comment', 'running', 1, 0, 0)", NULL);
	int64_t posts = h_db_int("SELECT count(*) FROM posts", 0);
	cr_expect_eq(agcheck(copy, &out), 1);
	cr_expect_eq(count_lines(out), (size_t)posts + 1, "expected %lld lines:\n%s",
		(long long)posts + 1, out);
	free(out);

	cr_expect_eq(agcheck(work_path("no-such.db"), &out), 2);
	free(out);
}
