/* test_faults.c: fault points (ANSIGRAM_FAULTS) make one step of a saga
 * fail. The caller gets `internal` with the saga id, saga.get shows the
 * saga compensated, and nothing the saga wrote is left: no row, no counter
 * change, no notification; a failed post delete leaves the post exactly as
 * it was, photo included; a failed create leaves its photo unattached.
 * The file's server arms one step of most sagas; create_post, delete_post,
 * the mention and photo steps get servers of their own, since the other
 * tests need posts and comments. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

H_SERVER_PER_FILE("comment.create_notification=fail,"
	"like_post.create_notification=fail,"
	"follow_user.create_notification=fail,"
	"send_message.create_notification=fail,"
	"create_story.create_story=fail")

static struct h_server own_server;

static void fini(void)
{
	h_test_fini();
	if (own_server.keeper > 0)
		h_server_stop(&own_server);
}

TestSuite(faults, .fini = fini);

/* Starts a server of this test's own with faults armed and points the
 * helpers at it. */
static void use_own_server(const char *faults)
{
	cr_assert(h_server_start(&own_server, faults), "cannot start a server with %s", faults);
	h_use_server(&own_server);
}

static void stop_own_server(void)
{
	cr_assert_eq(h_server_stop(&own_server), 0, "the server did not stop cleanly");
}

/* Asserts r is the internal error of a compensated saga of type whose
 * step `failed` failed, every step before it compensated. */
static void assert_compensated(struct h_user *u, const struct ag_reply *r, const char *type,
	const char *failed, const char *const *before, size_t n_before)
{
	cr_assert(!r->ok, "%s succeeded despite the fault", type);
	cr_assert_eq(r->code, AG_E_INTERNAL, "%s gave %s: %s", type, r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "%s: the error carries no saga id", type);
	static const char *const leaks[] = {"sqlite", "sql", "fault", "inject", "ANSIGRAM",
		"/tmp/", ".c:"};
	for (size_t i = 0; i < sizeof leaks / sizeof leaks[0]; i++)
		cr_assert_null(strcasestr(r->message, leaks[i]), "the message leaks internals: %s",
			r->message);

	const msgpack_object *s = h_ok(u->c, "saga.get", "saga_id:s", r->saga);
	h_assert_str(s, "type", type);
	h_assert_str(s, "state", "compensated");
	const msgpack_object *log = ag_obj_get(s, "steps");
	bool saw_failure = false;
	for (size_t i = 0; i < ag_obj_len(log); i++) {
		const msgpack_object *step = ag_obj_at(log, i);
		if (ag_obj_str_eq(step, "name", failed) && ag_obj_str_eq(step, "status", "failed")) {
			saw_failure = true;
			char *error = ag_obj_strdup(step, "error");
			cr_assert(error && error[0], "%s: the failed step carries no error", type);
			free(error);
		}
	}
	cr_assert(saw_failure, "%s: the log does not show %s failing", type, failed);
	for (size_t k = 0; k < n_before; k++) {
		bool undone = false;
		for (size_t i = 0; i < ag_obj_len(log); i++) {
			const msgpack_object *step = ag_obj_at(log, i);
			undone |= ag_obj_str_eq(step, "name", before[k]) &&
				ag_obj_str_eq(step, "status", "compensated");
		}
		cr_assert(undone, "%s: the log does not show %s compensated", type, before[k]);
	}
}

static int64_t notifications_of(int64_t uid)
{
	return h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1", 1, uid);
}

Test(faults, comment_create_notification)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "quiet"), "id");
	const char *const before[] = {"create_comment"};
	assert_compensated(&fan, h_call(fan.c, "comment.create", "post_id:i content:s", post,
		"lost"), "comment", "create_notification", before, 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE post_id = ?1", 1, post), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", post), "comment_count"), 0);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "post.comments", "post_id:i", post)), 0);
	cr_assert_eq(notifications_of(author.id), 0);
	h_assert_counters();
}

Test(faults, like_post_create_notification)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "unloved"), "id");
	const char *const before[] = {"toggle_like"};
	assert_compensated(&fan, h_call(fan.c, "post.like", "post_id:i", post), "like_post",
		"create_notification", before, 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE post_id = ?1", 1, post), 0);
	const msgpack_object *p = h_ok(fan.c, "post.get", "post_id:i", post);
	cr_assert_eq(ag_obj_int(p, "like_count"), 0);
	cr_assert_not(ag_obj_bool(p, "liked_by_me"));
	cr_assert_eq(notifications_of(author.id), 0);
	h_assert_counters();
}

Test(faults, follow_user_create_notification)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *const before[] = {"create_follow"};
	assert_compensated(&a, h_call(a.c, "follow.create", "user_id:i", b.id), "follow_user",
		"create_notification", before, 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE follower_id = ?1", 1, a.id), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", b.id), "follower_count"),
		0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", a.id), "following_count"),
		0);
	cr_assert_not(ag_obj_bool(h_ok(a.c, "user.get", "user_id:i", b.id), "is_following"));
	cr_assert_eq(notifications_of(b.id), 0);
	/* nothing was left behind to make a retry a conflict */
	h_err(AG_E_CONFLICT, a.c, "follow.delete", "user_id:i", b.id);
	h_assert_counters();
}

Test(faults, send_message_create_notification)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *const before[] = {"create_message"};
	assert_compensated(&a, h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
		"never arrives"), "send_message", "create_notification", before, 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 0);
	cr_assert_eq(ag_obj_len(h_ok(b.c, "message.conversations", "")), 0);
	const msgpack_object *counts = h_ok(b.c, "inbox.counts", "");
	cr_assert_eq(ag_obj_int(counts, "messages_unread"), 0);
	cr_assert_eq(ag_obj_int(counts, "notifications_unread"), 0);
}

Test(faults, create_story_create_story)
{
	struct h_user u;
	h_user_new(&u);
	assert_compensated(&u, h_call(u.c, "story.create", "content:s", "never told"),
		"create_story", "create_story", NULL, 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(ag_obj_len(h_ok(u.c, "story.list", "")), 0);
}

Test(faults, idempotent_retry_of_a_failed_saga_replays_the_failure)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *key = h_unique("retry");
	const struct ag_reply *first = h_call_idem(a.c, key, "message.send",
		"receiver_id:i content:s", b.id, "once");
	const struct ag_reply *again = h_call_idem(a.c, key, "message.send",
		"receiver_id:i content:s", b.id, "once");
	cr_assert_eq(first->code, AG_E_INTERNAL);
	cr_assert_eq(again->code, AG_E_INTERNAL);
	cr_assert_str_eq(again->saga, first->saga);
	cr_assert_eq(h_db_int("SELECT count(*) FROM sagas WHERE initiator = ?1", 1, a.id), 1);
}

Test(faults, operations_without_a_fault_still_work)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	int64_t post = ag_obj_int(h_ok(a.c, "post.create", "content:s", "#fine"), "id");
	h_ok(a.c, "post.delete", "post_id:i", post);
	h_ok(a.c, "user.update", "bio:s", "unaffected");
}

Test(faults, create_post_extract_hashtags)
{
	use_own_server("create_post.extract_hashtags=fail");
	struct h_user u;
	h_user_new(&u);
	const char *tag = h_unique("lost");
	const char *const before[] = {"create_post"};
	assert_compensated(&u, h_call(u.c, "post.create", "content:s", h_fmt("#%s", tag)),
		"create_post", "extract_hashtags", before, 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM post_hashtags", 0), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", u.id), "post_count"), 0);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.posts", "user_id:i", u.id)), 0);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag", "tag:s", tag)), 0);
	h_assert_counters();
	stop_own_server();
}

Test(faults, create_post_notify_mentions)
{
	use_own_server("create_post.notify_mentions=fail");
	struct h_user u, named;
	h_user_new(&u);
	h_user_new(&named);
	const char *tag = h_unique("unsaid");
	const char *const before[] = {"create_post", "extract_hashtags"};
	assert_compensated(&u, h_call(u.c, "post.create", "content:s",
		h_fmt("#%s for @%s", tag, named.username)), "create_post", "notify_mentions", before, 2);
	cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM post_hashtags", 0), 0);
	cr_assert_eq(notifications_of(named.id), 0);
	cr_assert_eq(ag_obj_int(h_ok(named.c, "inbox.counts", ""), "notifications_unread"), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", u.id), "post_count"), 0);
	h_assert_counters();
	stop_own_server();
}

Test(faults, comment_notify_mentions)
{
	use_own_server("comment.notify_mentions=fail");
	struct h_user author, fan, named;
	h_user_new(&author);
	h_user_new(&fan);
	h_user_new(&named);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "hush"), "id");
	const char *const before[] = {"create_comment", "create_notification"};
	assert_compensated(&fan, h_call(fan.c, "comment.create", "post_id:i content:s", post,
		h_fmt("@%s @%s", author.username, named.username)), "comment", "notify_mentions",
		before, 2);
	cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE post_id = ?1", 1, post), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", post), "comment_count"), 0);
	cr_assert_eq(notifications_of(author.id), 0);
	cr_assert_eq(notifications_of(named.id), 0);
	h_assert_counters();
	stop_own_server();
}

/* Everything a post delete touches, as text, to compare before and after. */
static const char *post_snapshot(int64_t post, int64_t author)
{
	return h_fmt("post %s\ncomments %s\nlikes %s\ntags %s\nnotifications %s\nposts %lld",
		h_db_text("SELECT id || '|' || author_id || '|' || ifnull(content, '-') || '|' || "
			"ifnull(image_url, '-') || '|' || like_count || '|' || comment_count || '|' || "
			"created_at FROM posts WHERE id = ?1", 1, post),
		h_db_text("SELECT ifnull(group_concat(id || ':' || author_id || ':' || content || ':' "
			"|| created_at, ','), '') FROM (SELECT * FROM comments WHERE post_id = ?1 "
			"ORDER BY id)", 1, post),
		h_db_text("SELECT ifnull(group_concat(user_id || ':' || created_at, ','), '') FROM "
			"(SELECT * FROM likes WHERE post_id = ?1 ORDER BY user_id)", 1, post),
		h_db_text("SELECT ifnull(group_concat(name || ':' || position || ':' || post_count, ','), "
			"'') FROM (SELECT h.name, ph.position, h.post_count FROM post_hashtags ph "
			"JOIN hashtags h ON h.id = ph.hashtag_id WHERE ph.post_id = ?1 ORDER BY h.id)",
			1, post),
		h_db_text("SELECT ifnull(group_concat(id || ':' || user_id || ':' || actor_id || ':' || "
			"type || ':' || message || ':' || is_read || ':' || created_at, ','), '') FROM "
			"(SELECT * FROM notifications WHERE reference_id = ?1 "
			"AND type IN ('like', 'comment', 'mention') ORDER BY id)", 1, post),
		(long long)h_db_int("SELECT post_count FROM users WHERE id = ?1", 1, author));
}

/* Builds a post with hashtags, likes, comments and their notifications
 * (a mention among them),
 * then has its delete fail at `step`: the post must come back whole. */
static void assert_failed_delete_restores(const char *step, const char *const *before,
	size_t n_before)
{
	use_own_server(h_fmt("delete_post.%s=fail", step));
	struct h_user author, fans[3];
	h_user_new(&author);
	const char *tag = h_unique("keep");
	int64_t photo = h_upload_photo(author.c);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s media_id:i",
		h_fmt("#%s #Second%s", tag, tag), photo), "id");
	for (int i = 0; i < 3; i++) {
		h_user_new(&fans[i]);
		h_ok(fans[i].c, "post.like", "post_id:i", post);
		h_ok(fans[i].c, "comment.create", "post_id:i content:s", post, h_fmt("comment %d", i));
	}
	h_ok(author.c, "comment.create", "post_id:i content:s", post,
		h_fmt("thanks all, @%s", fans[0].username));
	h_ok(author.c, "notification.mark_read", "notification_id:i",
		ag_obj_int(ag_obj_at(h_ok(author.c, "notification.list", ""), 0), "id"));
	const char *snapshot = post_snapshot(post, author.id);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE reference_id = ?1 "
		"AND type IN ('like', 'comment')", 1, post), 6, "the fixture is incomplete");
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE reference_id = ?1 "
		"AND type = 'mention'", 1, post), 1, "the fixture has no mention");

	assert_compensated(&author, h_call(author.c, "post.delete", "post_id:i", post),
		"delete_post", step, before, n_before);

	cr_assert_str_eq(post_snapshot(post, author.id), snapshot,
		"the post did not come back as it was");
	const msgpack_object *p = h_ok(fans[0].c, "post.get", "post_id:i", post);
	cr_assert_eq(ag_obj_int(p, "like_count"), 3);
	cr_assert_eq(ag_obj_int(p, "comment_count"), 4);
	cr_assert(ag_obj_bool(p, "liked_by_me"));
	cr_assert_eq(ag_obj_int(ag_obj_get(p, "media"), "id"), photo, "the photo did not come back");
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1 AND post_id = ?2 "
		"AND deleting_saga IS NULL", 2, photo, post), 1);
	cr_assert_eq(ag_obj_len(ag_obj_get(p, "hashtags")), 2);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "post.comments", "post_id:i", post)), 4);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag", "tag:s", tag)), 1);
	cr_assert_eq(ag_obj_int(h_ok(author.c, "inbox.counts", ""), "notifications_unread"), 5);
	h_assert_counters();
	stop_own_server();
}

Test(faults, delete_post_delete_notifications)
{
	const char *const before[] = {"delete_comments", "delete_likes", "delete_hashtags"};
	assert_failed_delete_restores("delete_notifications", before, 3);
}

Test(faults, delete_post_delete_media)
{
	const char *const before[] = {"delete_comments", "delete_likes", "delete_hashtags",
		"delete_notifications"};
	assert_failed_delete_restores("delete_media", before, 4);
}

Test(faults, delete_post_delete_post)
{
	const char *const before[] = {"delete_comments", "delete_likes", "delete_hashtags",
		"delete_notifications", "delete_media"};
	assert_failed_delete_restores("delete_post", before, 5);
}

/* A create saga that fails after attaching leaves the photo unattached,
 * ready for another post. */
static void assert_failed_create_frees_the_photo(const char *faults, const char *op,
	const char *type, const char *step, const char *const *before, size_t n_before)
{
	use_own_server(faults);
	struct h_user u;
	h_user_new(&u);
	int64_t photo = h_upload_photo(u.c);
	assert_compensated(&u, h_call(u.c, op, "content:s media_id:i", "with a photo", photo),
		type, step, before, n_before);
	cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1 AND post_id IS NULL "
		"AND story_id IS NULL", 1, photo), 1, "the photo is gone or still attached");
	h_assert_counters();
	stop_own_server();
}

Test(faults, create_post_attach_media)
{
	const char *const before[] = {"create_post", "extract_hashtags"};
	assert_failed_create_frees_the_photo("create_post.attach_media=fail", "post.create",
		"create_post", "attach_media", before, 2);
}

Test(faults, create_post_after_attach_media)
{
	const char *const before[] = {"create_post", "extract_hashtags", "attach_media"};
	assert_failed_create_frees_the_photo("create_post.notify_mentions=fail", "post.create",
		"create_post", "notify_mentions", before, 3);
}

Test(faults, create_story_attach_media)
{
	const char *const before[] = {"create_story"};
	assert_failed_create_frees_the_photo("create_story.attach_media=fail", "story.create",
		"create_story", "attach_media", before, 1);
}
