/* test_comments.c: comment.create, post.comments (newest first, paged) and
 * comment.delete (by the comment's author or the post's author only). */
#include "harness.h"

H_SERVER_PER_FILE(NULL)
TestSuite(comments, .fini = h_test_fini);

#define COMMENT_KEYS "id", "post_id", "author_id", "author_username", "content", "created_at"

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

static int64_t comment(struct h_user *u, int64_t post, const char *content)
{
	return ag_obj_int(h_ok(u->c, "comment.create", "post_id:i content:s", post, content), "id");
}

static int64_t comment_count(int64_t post)
{
	return ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", post), "comment_count");
}

Test(comments, create_returns_the_comment)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "talk to me");
	const struct ag_reply *r = h_call(fan.c, "comment.create", "post_id:i content:s", post,
		"hello\nthere");
	cr_assert(r->ok, "comment.create: %s: %s", r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "comment.create reply has no saga id");
	h_assert_keys(r->data, COMMENT_KEYS);
	cr_assert_gt(ag_obj_int(r->data, "id"), 0);
	cr_assert_eq(ag_obj_int(r->data, "post_id"), post);
	cr_assert_eq(ag_obj_int(r->data, "author_id"), fan.id);
	h_assert_str(r->data, "author_username", fan.username);
	h_assert_str(r->data, "content", "hello\nthere");
	cr_assert_eq(comment_count(post), 1);
}

Test(comments, on_unknown_post_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "comment.create", "post_id:i content:s", (int64_t)987654321,
		"hello?");
	h_err(AG_E_NOT_FOUND, h_client(), "post.comments", "post_id:i", (int64_t)987654321);
	cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE author_id = ?1", 1, u.id), 0);
}

Test(comments, create_needs_auth)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = create_post(&u, "post");
	h_err(AG_E_UNAUTHORIZED, h_client(), "comment.create", "post_id:i content:s", post, "hi");
}

Test(comments, list_is_newest_first_and_public)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "thread");
	int64_t other = create_post(&author, "other thread");
	int64_t ids[3];
	ids[0] = comment(&fan, post, "first");
	ids[1] = comment(&author, post, "second");
	ids[2] = comment(&fan, post, "third");
	comment(&fan, other, "elsewhere");
	const msgpack_object *list = h_ok(h_client(), "post.comments", "post_id:i", post);
	cr_assert_eq(ag_obj_len(list), 3);
	for (size_t i = 0; i < 3; i++) {
		h_assert_keys(ag_obj_at(list, i), COMMENT_KEYS);
		cr_assert_eq(ag_obj_int(ag_obj_at(list, i), "id"), ids[2 - i]);
		cr_assert_eq(ag_obj_int(ag_obj_at(list, i), "post_id"), post);
	}
	h_assert_str(ag_obj_at(list, 1), "author_username", author.username);
}

Test(comments, list_pages_by_limit_offset_and_before_id)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = create_post(&u, "many comments");
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = comment(&u, post, h_fmt("comment %d", i));
	const msgpack_object *page = h_ok(h_client(), "post.comments", "post_id:i limit:i", post,
		(int64_t)2);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[3]);
	page = h_ok(h_client(), "post.comments", "post_id:i limit:i before_id:i", post,
		(int64_t)2, ids[3]);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[2]);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[1]);
	page = h_ok(h_client(), "post.comments", "post_id:i offset:i", post, (int64_t)4);
	cr_assert_eq(ag_obj_len(page), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[0]);
}

Test(comments, list_defaults_to_pages_of_50)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = create_post(&u, "busy");
	for (int i = 0; i < 51; i++)
		comment(&u, post, "again");
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "post.comments", "post_id:i", post)), 50);
	cr_assert_eq(comment_count(post), 51);
}

Test(comments, delete_by_the_comment_author)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "post");
	int64_t c = comment(&fan, post, "regret");
	const msgpack_object *d = h_ok(fan.c, "comment.delete", "comment_id:i", c);
	cr_assert(d == NULL || d->type == MSGPACK_OBJECT_NIL, "data is not nil");
	cr_assert_eq(comment_count(post), 0);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "post.comments", "post_id:i", post)), 0);
	h_err(AG_E_NOT_FOUND, fan.c, "comment.delete", "comment_id:i", c);
}

Test(comments, delete_by_the_post_author)
{
	struct h_user author, troll;
	h_user_new(&author);
	h_user_new(&troll);
	int64_t post = create_post(&author, "my post");
	int64_t c = comment(&troll, post, "rude");
	h_ok(author.c, "comment.delete", "comment_id:i", c);
	cr_assert_eq(comment_count(post), 0);
}

Test(comments, delete_by_anyone_else_is_forbidden)
{
	struct h_user author, fan, stranger;
	h_user_new(&author);
	h_user_new(&fan);
	h_user_new(&stranger);
	int64_t post = create_post(&author, "post");
	int64_t c = comment(&fan, post, "keep me");
	h_err(AG_E_FORBIDDEN, stranger.c, "comment.delete", "comment_id:i", c);
	cr_assert_eq(comment_count(post), 1);
	/* the comment's author cannot delete the post's author's comments */
	int64_t by_author = comment(&author, post, "mine");
	h_err(AG_E_FORBIDDEN, fan.c, "comment.delete", "comment_id:i", by_author);
	cr_assert_eq(comment_count(post), 2);
}

Test(comments, delete_unknown_comment_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "comment.delete", "comment_id:i", (int64_t)987654321);
}

Test(comments, delete_needs_auth)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = create_post(&u, "post");
	int64_t c = comment(&u, post, "mine");
	h_err(AG_E_UNAUTHORIZED, h_client(), "comment.delete", "comment_id:i", c);
	cr_assert_eq(comment_count(post), 1);
}

Test(comments, ids_are_never_reused)
{
	struct h_user author;
	h_user_new(&author);
	int64_t post = create_post(&author, "post");
	int64_t first = comment(&author, post, "first");
	h_ok(author.c, "comment.delete", "comment_id:i", first);
	int64_t second = comment(&author, post, "second");
	cr_assert_gt(second, first, "comment id %lld was given out again", (long long)first);
	h_ok(author.c, "post.delete", "post_id:i", post);
	int64_t next_post = create_post(&author, "next");
	cr_assert_gt(next_post, post, "post id %lld was given out again", (long long)post);
}
