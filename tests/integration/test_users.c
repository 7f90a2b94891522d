/* test_users.c: profiles (user.get), changing my profile (user.update),
 * and a user's lists: user.posts, user.followers, user.following. No
 * PublicUser or Profile ever carries an email. */
#include "harness.h"

#include <ctype.h>
#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(users, .fini = h_test_fini);

#define PROFILE_KEYS "id", "username", "full_name", "bio", "profile_image_url", \
	"post_count", "follower_count", "following_count", "created_at", "is_following"
#define PUBLIC_USER_KEYS "id", "username", "full_name", "bio", "profile_image_url", "created_at"
#define USER_KEYS "id", "username", "email", "full_name", "bio", "profile_image_url", \
	"is_active", "created_at"
#define POST_KEYS "id", "author_id", "author_username", "content", "image_url", "media", "like_count", \
	"comment_count", "liked_by_me", "hashtags", "created_at"

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

Test(users, get_by_id_is_a_profile_without_email)
{
	struct h_user u;
	h_user_new_named(&u, NULL, "Pro File");
	const msgpack_object *p = h_ok(h_client(), "user.get", "user_id:i", u.id);
	h_assert_keys(p, PROFILE_KEYS);
	cr_assert_eq(ag_obj_int(p, "id"), u.id);
	h_assert_str(p, "username", u.username);
	h_assert_str(p, "full_name", "Pro File");
	h_assert_str(p, "bio", NULL);
	cr_assert_eq(ag_obj_int(p, "post_count"), 0);
	cr_assert_eq(ag_obj_int(p, "follower_count"), 0);
	cr_assert_eq(ag_obj_int(p, "following_count"), 0);
	cr_assert_not(ag_obj_bool(p, "is_following"));
}

Test(users, get_by_username_ignores_case)
{
	struct h_user u;
	h_user_new(&u);
	char upper[40];
	strcpy(upper, u.username);
	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "username:s", u.username), "id"), u.id);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "username:s", upper), "id"), u.id);
}

Test(users, get_unknown_user_is_not_found)
{
	h_err(AG_E_NOT_FOUND, h_client(), "user.get", "user_id:i", (int64_t)999999999);
	h_err(AG_E_NOT_FOUND, h_client(), "user.get", "username:s", h_unique("nobody"));
}

Test(users, get_needs_an_id_or_a_username)
{
	h_err(AG_E_BAD_REQUEST, h_client(), "user.get", "");
}

Test(users, is_following_depends_on_the_caller)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	cr_assert(ag_obj_bool(h_ok(a.c, "user.get", "user_id:i", b.id), "is_following"));
	cr_assert_not(ag_obj_bool(h_ok(c.c, "user.get", "user_id:i", b.id), "is_following"));
	cr_assert_not(ag_obj_bool(h_ok(h_client(), "user.get", "user_id:i", b.id), "is_following"));
	/* b does not follow a back */
	cr_assert_not(ag_obj_bool(h_ok(b.c, "user.get", "user_id:i", a.id), "is_following"));
}

Test(users, profile_counts_posts_and_follows)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	create_post(&a, "one");
	create_post(&a, "two");
	h_ok(b.c, "follow.create", "user_id:i", a.id);
	h_ok(c.c, "follow.create", "user_id:i", a.id);
	h_ok(a.c, "follow.create", "user_id:i", c.id);
	const msgpack_object *p = h_ok(h_client(), "user.get", "user_id:i", a.id);
	cr_assert_eq(ag_obj_int(p, "post_count"), 2);
	cr_assert_eq(ag_obj_int(p, "follower_count"), 2);
	cr_assert_eq(ag_obj_int(p, "following_count"), 1);
}

Test(users, update_changes_my_profile_and_returns_me)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *me = h_ok(u.c, "user.update",
		"full_name:s bio:s profile_image_url:s",
		"New Name", "line one\n\tline two", "https://example.com/me.png");
	h_assert_keys(me, USER_KEYS);
	h_assert_str(me, "email", u.email);
	h_assert_str(me, "full_name", "New Name");
	h_assert_str(me, "bio", "line one\n\tline two");
	h_assert_str(me, "profile_image_url", "https://example.com/me.png");
	const msgpack_object *p = h_ok(h_client(), "user.get", "user_id:i", u.id);
	h_assert_str(p, "full_name", "New Name");
	h_assert_str(p, "bio", "line one\n\tline two");
	h_assert_str(p, "profile_image_url", "https://example.com/me.png");
}

Test(users, update_leaves_omitted_fields_alone)
{
	struct h_user u;
	h_user_new_named(&u, NULL, "Keep Me");
	h_ok(u.c, "user.update", "bio:s", "only the bio");
	const msgpack_object *me = h_ok(u.c, "auth.me", "");
	h_assert_str(me, "full_name", "Keep Me");
	h_assert_str(me, "bio", "only the bio");
}

Test(users, update_clears_with_nil_or_empty)
{
	struct h_user u;
	h_user_new(&u);
	h_ok(u.c, "user.update", "full_name:s bio:s profile_image_url:s",
		"Name", "Bio", "http://example.com/a.png");
	const msgpack_object *me = h_ok(u.c, "user.update", "full_name:n bio:s profile_image_url:s",
		"", "");
	h_assert_str(me, "full_name", NULL);
	h_assert_str(me, "bio", NULL);
	h_assert_str(me, "profile_image_url", NULL);
	const msgpack_object *p = h_ok(h_client(), "user.get", "user_id:i", u.id);
	h_assert_str(p, "full_name", NULL);
	h_assert_str(p, "bio", NULL);
	h_assert_str(p, "profile_image_url", NULL);
}

Test(users, rejected_update_changes_nothing)
{
	struct h_user u;
	h_user_new_named(&u, NULL, "Before");
	const struct ag_reply *r = h_err(AG_E_BAD_REQUEST, u.c, "user.update",
		"full_name:s profile_image_url:s", "After", "ftp://example.com/a.png");
	cr_assert_str_eq(r->field, "profile_image_url");
	h_assert_str(h_ok(u.c, "auth.me", ""), "full_name", "Before");
}

Test(users, update_needs_auth)
{
	h_err(AG_E_UNAUTHORIZED, h_client(), "user.update", "bio:s", "hi");
}

Test(users, posts_are_newest_first)
{
	struct h_user u, other;
	h_user_new(&u);
	h_user_new(&other);
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = create_post(&u, h_fmt("post %d", i));
	create_post(&other, "not mine");
	const msgpack_object *list = h_ok(h_client(), "user.posts", "user_id:i", u.id);
	cr_assert_eq(ag_obj_len(list), 5);
	for (size_t i = 0; i < 5; i++) {
		const msgpack_object *p = ag_obj_at(list, i);
		h_assert_keys(p, POST_KEYS);
		cr_assert_eq(ag_obj_int(p, "id"), ids[4 - i]);
		cr_assert_eq(ag_obj_int(p, "author_id"), u.id);
		h_assert_str(p, "author_username", u.username);
	}
}

Test(users, posts_page_by_limit_offset_and_before_id)
{
	struct h_user u;
	h_user_new(&u);
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = create_post(&u, h_fmt("post %d", i));
	const msgpack_object *page = h_ok(h_client(), "user.posts", "user_id:i limit:i", u.id,
		(int64_t)2);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[4]);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[3]);

	page = h_ok(h_client(), "user.posts", "user_id:i limit:i before_id:i", u.id, (int64_t)2,
		ids[3]);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[2]);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[1]);

	page = h_ok(h_client(), "user.posts", "user_id:i offset:i", u.id, (int64_t)3);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[1]);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[0]);

	page = h_ok(h_client(), "user.posts", "user_id:i before_id:i", u.id, ids[0]);
	cr_assert_eq(ag_obj_len(page), 0);
}

Test(users, posts_default_to_pages_of_20)
{
	struct h_user u;
	h_user_new(&u);
	for (int i = 0; i < 21; i++)
		create_post(&u, h_fmt("post %d", i));
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.posts", "user_id:i", u.id)), 20);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.posts", "user_id:i limit:i", u.id,
		(int64_t)100)), 21);
}

Test(users, posts_fill_liked_by_me_for_the_caller)
{
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	int64_t post = create_post(&u, "like me");
	h_ok(fan.c, "post.like", "post_id:i", post);
	const msgpack_object *mine = h_ok(fan.c, "user.posts", "user_id:i", u.id);
	cr_assert(ag_obj_bool(ag_obj_at(mine, 0), "liked_by_me"));
	const msgpack_object *anon = h_ok(h_client(), "user.posts", "user_id:i", u.id);
	cr_assert_not(ag_obj_bool(ag_obj_at(anon, 0), "liked_by_me"));
}

Test(users, followers_and_following_are_public_users)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	h_ok(b.c, "follow.create", "user_id:i", a.id);
	h_ok(c.c, "follow.create", "user_id:i", a.id);
	const msgpack_object *followers = h_ok(h_client(), "user.followers", "user_id:i", a.id);
	cr_assert_eq(ag_obj_len(followers), 2);
	cr_assert(h_list_has_id(followers, "id", b.id));
	cr_assert(h_list_has_id(followers, "id", c.id));
	for (size_t i = 0; i < 2; i++)
		h_assert_keys(ag_obj_at(followers, i), PUBLIC_USER_KEYS);

	const msgpack_object *following = h_ok(h_client(), "user.following", "user_id:i", b.id);
	cr_assert_eq(ag_obj_len(following), 1);
	h_assert_keys(ag_obj_at(following, 0), PUBLIC_USER_KEYS);
	cr_assert_eq(ag_obj_int(ag_obj_at(following, 0), "id"), a.id);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "user.following", "user_id:i", a.id)), 0);
}

Test(users, follower_lists_are_newest_first)
{
	struct h_user star, fans[3];
	h_user_new(&star);
	for (int i = 0; i < 3; i++) {
		h_user_new(&fans[i]);
		h_ok(fans[i].c, "follow.create", "user_id:i", star.id);
		h_ok(star.c, "follow.create", "user_id:i", fans[i].id);
	}
	const msgpack_object *followers = h_ok(h_client(), "user.followers", "user_id:i", star.id);
	const msgpack_object *following = h_ok(h_client(), "user.following", "user_id:i", star.id);
	cr_assert_eq(ag_obj_len(followers), 3);
	cr_assert_eq(ag_obj_len(following), 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(ag_obj_int(ag_obj_at(followers, i), "id"), fans[2 - i].id,
			"followers: item %zu is not the %zu-th newest follower", i, i + 1);
		cr_assert_eq(ag_obj_int(ag_obj_at(following, i), "id"), fans[2 - i].id,
			"following: item %zu is not the %zu-th newest follow", i, i + 1);
	}
}

Test(users, followers_page_by_limit_and_offset)
{
	struct h_user star, fans[3];
	h_user_new(&star);
	for (int i = 0; i < 3; i++) {
		h_user_new(&fans[i]);
		h_ok(fans[i].c, "follow.create", "user_id:i", star.id);
	}
	const msgpack_object *first = h_ok(h_client(), "user.followers", "user_id:i limit:i",
		star.id, (int64_t)2);
	const msgpack_object *rest = h_ok(h_client(), "user.followers", "user_id:i offset:i",
		star.id, (int64_t)2);
	cr_assert_eq(ag_obj_len(first), 2);
	cr_assert_eq(ag_obj_len(rest), 1);
	for (int i = 0; i < 3; i++)
		cr_assert(h_list_has_id(first, "id", fans[i].id) != h_list_has_id(rest, "id", fans[i].id),
			"follower %d is on both pages or on neither", i);
}

Test(users, list_arguments_out_of_range_are_bad_requests)
{
	struct h_user u;
	h_user_new(&u);
	struct ag_client *c = h_client();
	static const char *const ops[] = {"user.posts", "user.followers", "user.following"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "user_id:i limit:i", u.id,
			(int64_t)0)->field, "limit");
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "user_id:i limit:i", u.id,
			(int64_t)101)->field, "limit");
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "user_id:i offset:i", u.id,
			(int64_t)-1)->field, "offset");
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "user_id:i offset:i", u.id,
			(int64_t)1000001)->field, "offset");
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "user_id:i", (int64_t)-5)->field,
			"user_id");
		cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, ops[i], "")->field, "user_id");
		h_ok(c, ops[i], "user_id:i limit:i offset:i", u.id, (int64_t)100, (int64_t)1000000);
	}
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, c, "user.posts", "user_id:i before_id:i", u.id,
		(int64_t)-1)->field, "before_id");
}
