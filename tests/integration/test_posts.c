/* test_posts.c: post.create, post.get, post.delete (author only; takes its
 * comments, likes, hashtag links and notifications with it) and post.like
 * (a toggle). */
#include "harness.h"

#include "clock.h"

H_SERVER_PER_FILE(NULL)
TestSuite(posts, .fini = h_test_fini);

#define POST_KEYS "id", "author_id", "author_username", "content", "image_url", "media", "like_count", \
	"comment_count", "liked_by_me", "hashtags", "created_at"

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

static int64_t profile_post_count(int64_t uid)
{
	return ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", uid), "post_count");
}

Test(posts, create_returns_the_post)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *p = h_ok(u.c, "post.create", "content:s", "hello\nworld");
	h_assert_keys(p, POST_KEYS);
	cr_assert_gt(ag_obj_int(p, "id"), 0);
	cr_assert_eq(ag_obj_int(p, "author_id"), u.id);
	h_assert_str(p, "author_username", u.username);
	h_assert_str(p, "content", "hello\nworld");
	h_assert_str(p, "image_url", NULL);
	cr_assert_eq(ag_obj_int(p, "like_count"), 0);
	cr_assert_eq(ag_obj_int(p, "comment_count"), 0);
	cr_assert_not(ag_obj_bool(p, "liked_by_me"));
	const msgpack_object *tags = ag_obj_get(p, "hashtags");
	cr_assert(tags && tags->type == MSGPACK_OBJECT_ARRAY && tags->via.array.size == 0);
	int64_t age = ag_now_ms() - ag_obj_int(p, "created_at");
	cr_assert(age > -60000 && age < 60000, "created_at is %lld ms off", (long long)age);
}

Test(posts, create_reply_carries_the_saga_id)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_call(u.c, "post.create", "content:s", "with a saga");
	cr_assert(r->ok);
	cr_assert(r->saga[0] != '\0', "post.create reply has no saga id");
}

Test(posts, create_with_only_an_image)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *p = h_ok(u.c, "post.create", "image_url:s",
		"https://example.com/cat.jpg");
	h_assert_str(p, "content", NULL);
	h_assert_str(p, "image_url", "https://example.com/cat.jpg");
}

Test(posts, create_counts_on_the_profile)
{
	struct h_user u;
	h_user_new(&u);
	create_post(&u, "one");
	create_post(&u, "two");
	cr_assert_eq(profile_post_count(u.id), 2);
}

Test(posts, get_works_anonymously)
{
	struct h_user u;
	h_user_new(&u);
	int64_t id = create_post(&u, "public");
	const msgpack_object *p = h_ok(h_client(), "post.get", "post_id:i", id);
	h_assert_keys(p, POST_KEYS);
	cr_assert_eq(ag_obj_int(p, "id"), id);
	h_assert_str(p, "content", "public");
	cr_assert_not(ag_obj_bool(p, "liked_by_me"));
}

Test(posts, get_unknown_post_is_not_found)
{
	h_err(AG_E_NOT_FOUND, h_client(), "post.get", "post_id:i", (int64_t)987654321);
}

Test(posts, create_needs_auth)
{
	h_err(AG_E_UNAUTHORIZED, h_client(), "post.create", "content:s", "anonymous");
}

Test(posts, like_toggles)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t id = create_post(&author, "like me");

	const struct ag_reply *r = h_call(fan.c, "post.like", "post_id:i", id);
	cr_assert(r->ok);
	cr_assert(r->saga[0] != '\0', "post.like reply has no saga id");
	h_assert_keys(r->data, "liked", "like_count");
	cr_assert(ag_obj_bool(r->data, "liked"));
	cr_assert_eq(ag_obj_int(r->data, "like_count"), 1);
	cr_assert(ag_obj_bool(h_ok(fan.c, "post.get", "post_id:i", id), "liked_by_me"));
	cr_assert_not(ag_obj_bool(h_ok(author.c, "post.get", "post_id:i", id), "liked_by_me"));
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", id), "like_count"), 1);

	const msgpack_object *d = h_ok(fan.c, "post.like", "post_id:i", id);
	cr_assert_not(ag_obj_bool(d, "liked"));
	cr_assert_eq(ag_obj_int(d, "like_count"), 0);
	cr_assert_not(ag_obj_bool(h_ok(fan.c, "post.get", "post_id:i", id), "liked_by_me"));
	cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE post_id = ?1", 1, id), 0);
}

Test(posts, likes_from_many_users_add_up)
{
	struct h_user author, fans[4];
	h_user_new(&author);
	int64_t id = create_post(&author, "popular");
	for (int i = 0; i < 4; i++) {
		h_user_new(&fans[i]);
		cr_assert_eq(ag_obj_int(h_ok(fans[i].c, "post.like", "post_id:i", id), "like_count"),
			i + 1);
	}
	h_ok(author.c, "post.like", "post_id:i", id);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", id), "like_count"), 5);
	h_ok(fans[0].c, "post.like", "post_id:i", id);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", id), "like_count"), 4);
}

Test(posts, like_unknown_post_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "post.like", "post_id:i", (int64_t)987654321);
	cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE user_id = ?1", 1, u.id), 0);
}

Test(posts, like_needs_auth)
{
	struct h_user u;
	h_user_new(&u);
	int64_t id = create_post(&u, "post");
	h_err(AG_E_UNAUTHORIZED, h_client(), "post.like", "post_id:i", id);
}

Test(posts, delete_by_the_author)
{
	struct h_user u;
	h_user_new(&u);
	int64_t id = create_post(&u, "short-lived");
	create_post(&u, "stays");
	const struct ag_reply *r = h_call(u.c, "post.delete", "post_id:i", id);
	cr_assert(r->ok, "post.delete: %s: %s", r->code_name, r->message);
	cr_assert(r->data == NULL || r->data->type == MSGPACK_OBJECT_NIL, "data is not nil");
	cr_assert(r->saga[0] != '\0', "post.delete reply has no saga id");
	h_err(AG_E_NOT_FOUND, h_client(), "post.get", "post_id:i", id);
	h_err(AG_E_NOT_FOUND, u.c, "post.delete", "post_id:i", id);
	cr_assert_eq(profile_post_count(u.id), 1);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.posts", "user_id:i", u.id)), 1);
}

Test(posts, delete_by_someone_else_is_forbidden)
{
	struct h_user author, other;
	h_user_new(&author);
	h_user_new(&other);
	int64_t id = create_post(&author, "mine");
	h_err(AG_E_FORBIDDEN, other.c, "post.delete", "post_id:i", id);
	h_assert_str(h_ok(h_client(), "post.get", "post_id:i", id), "content", "mine");
	cr_assert_eq(profile_post_count(author.id), 1);
}

Test(posts, delete_unknown_post_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "post.delete", "post_id:i", (int64_t)987654321);
}

Test(posts, delete_needs_auth)
{
	struct h_user u;
	h_user_new(&u);
	int64_t id = create_post(&u, "post");
	h_err(AG_E_UNAUTHORIZED, h_client(), "post.delete", "post_id:i", id);
}

Test(posts, delete_takes_comments_likes_hashtags_and_notifications)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	const char *tag = h_unique("gone");
	int64_t id = create_post(&author, h_fmt("bye #%s", tag));
	int64_t keep = create_post(&author, h_fmt("still here #%s", tag));
	h_ok(fan.c, "post.like", "post_id:i", id);
	h_ok(fan.c, "comment.create", "post_id:i content:s", id, "nice");
	h_ok(author.c, "comment.create", "post_id:i content:s", id, "thanks");
	h_ok(fan.c, "post.like", "post_id:i", keep);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1 "
		"AND reference_id = ?2 AND type IN ('like', 'comment')", 2, author.id, id), 2);
	const msgpack_object *tags = h_ok(h_client(), "search.hashtags", "q:s", tag);
	cr_assert_eq(ag_obj_int(ag_obj_at(tags, 0), "post_count"), 2);

	h_ok(author.c, "post.delete", "post_id:i", id);

	cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE post_id = ?1", 1, id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM likes WHERE post_id = ?1", 1, id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM post_hashtags WHERE post_id = ?1", 1, id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE reference_id = ?1 "
		"AND type IN ('like', 'comment')", 1, id), 0);
	const msgpack_object *notes = h_ok(author.c, "notification.list", "");
	for (size_t i = 0; i < ag_obj_len(notes); i++) {
		const msgpack_object *n = ag_obj_at(notes, i);
		cr_assert_not(ag_obj_int(n, "reference_id") == id &&
			!ag_obj_str_eq(n, "type", "follow") && !ag_obj_str_eq(n, "type", "message"),
			"a notification still points at the deleted post");
	}
	tags = h_ok(h_client(), "search.hashtags", "q:s", tag);
	cr_assert_eq(ag_obj_int(ag_obj_at(tags, 0), "post_count"), 1);
	const msgpack_object *tagged = h_ok(h_client(), "search.posts_by_hashtag", "tag:s", tag);
	cr_assert_eq(ag_obj_len(tagged), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(tagged, 0), "id"), keep);
	/* the other post keeps its like */
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", keep), "like_count"), 1);
	cr_assert_eq(profile_post_count(author.id), 1);
	h_assert_counters();
}

Test(posts, deleted_post_cannot_be_liked_or_commented)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t id = create_post(&author, "soon gone");
	h_ok(author.c, "post.delete", "post_id:i", id);
	h_err(AG_E_NOT_FOUND, fan.c, "post.like", "post_id:i", id);
	h_err(AG_E_NOT_FOUND, fan.c, "comment.create", "post_id:i content:s", id, "late");
	h_err(AG_E_NOT_FOUND, fan.c, "post.comments", "post_id:i", id);
}
