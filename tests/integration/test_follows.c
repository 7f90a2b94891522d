/* test_follows.c: follow.create and follow.delete: the counters on both
 * profiles, the follower lists, and the errors: yourself (bad_request),
 * unknown user (not_found), twice or not following (conflict). */
#include "harness.h"

#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(follows, .fini = h_test_fini);

static const msgpack_object *profile(int64_t uid)
{
	return h_ok(h_client(), "user.get", "user_id:i", uid);
}

Test(follows, follow_returns_following_true_with_a_saga)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const struct ag_reply *r = h_call(a.c, "follow.create", "user_id:i", b.id);
	cr_assert(r->ok, "follow.create: %s: %s", r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "follow.create reply has no saga id");
	h_assert_keys(r->data, "following");
	cr_assert(ag_obj_bool(r->data, "following"));
	cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE follower_id = ?1 "
		"AND followee_id = ?2", 2, a.id, b.id), 1);
}

Test(follows, follow_counts_on_both_profiles)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	cr_assert_eq(ag_obj_int(profile(a.id), "following_count"), 1);
	cr_assert_eq(ag_obj_int(profile(a.id), "follower_count"), 0);
	cr_assert_eq(ag_obj_int(profile(b.id), "follower_count"), 1);
	cr_assert_eq(ag_obj_int(profile(b.id), "following_count"), 0);
}

Test(follows, following_twice_is_a_conflict)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	h_err(AG_E_CONFLICT, a.c, "follow.create", "user_id:i", b.id);
	cr_assert_eq(ag_obj_int(profile(b.id), "follower_count"), 1);
}

Test(follows, following_yourself_is_a_bad_request)
{
	struct h_user a;
	h_user_new(&a);
	const struct ag_reply *r = h_err(AG_E_BAD_REQUEST, a.c, "follow.create", "user_id:i", a.id);
	cr_assert(strstr(r->message, "yourself"), "message: %s", r->message);
	cr_assert_eq(ag_obj_int(profile(a.id), "follower_count"), 0);
}

Test(follows, following_an_unknown_user_is_not_found)
{
	struct h_user a;
	h_user_new(&a);
	h_err(AG_E_NOT_FOUND, a.c, "follow.create", "user_id:i", (int64_t)987654321);
	h_err(AG_E_NOT_FOUND, a.c, "follow.delete", "user_id:i", (int64_t)987654321);
	cr_assert_eq(ag_obj_int(profile(a.id), "following_count"), 0);
}

Test(follows, unfollow_returns_following_false)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	const msgpack_object *d = h_ok(a.c, "follow.delete", "user_id:i", b.id);
	h_assert_keys(d, "following");
	cr_assert_eq(ag_obj_get(d, "following")->type, MSGPACK_OBJECT_BOOLEAN);
	cr_assert_not(ag_obj_bool(d, "following"));
	cr_assert_eq(ag_obj_int(profile(a.id), "following_count"), 0);
	cr_assert_eq(ag_obj_int(profile(b.id), "follower_count"), 0);
	cr_assert_not(ag_obj_bool(h_ok(a.c, "user.get", "user_id:i", b.id), "is_following"));
}

Test(follows, unfollowing_someone_not_followed_is_a_conflict)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_err(AG_E_CONFLICT, a.c, "follow.delete", "user_id:i", b.id);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	h_ok(a.c, "follow.delete", "user_id:i", b.id);
	h_err(AG_E_CONFLICT, a.c, "follow.delete", "user_id:i", b.id);
	/* b following a does not let a unfollow b */
	h_ok(b.c, "follow.create", "user_id:i", a.id);
	h_err(AG_E_CONFLICT, a.c, "follow.delete", "user_id:i", b.id);
}

Test(follows, follow_again_after_unfollow)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	h_ok(a.c, "follow.delete", "user_id:i", b.id);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	cr_assert_eq(ag_obj_int(profile(b.id), "follower_count"), 1);
	const msgpack_object *followers = h_ok(h_client(), "user.followers", "user_id:i", b.id);
	cr_assert_eq(ag_obj_len(followers), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(followers, 0), "id"), a.id);
}

Test(follows, lists_show_both_directions)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	h_ok(a.c, "follow.create", "user_id:i", c.id);
	h_ok(c.c, "follow.create", "user_id:i", a.id);
	const msgpack_object *following = h_ok(h_client(), "user.following", "user_id:i", a.id);
	cr_assert_eq(ag_obj_len(following), 2);
	cr_assert(h_list_has_id(following, "id", b.id));
	cr_assert(h_list_has_id(following, "id", c.id));
	const msgpack_object *followers = h_ok(h_client(), "user.followers", "user_id:i", a.id);
	cr_assert_eq(ag_obj_len(followers), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(followers, 0), "id"), c.id);
	for (size_t i = 0; i < ag_obj_len(following); i++)
		cr_assert_not(h_has_key(ag_obj_at(following, i), "email"));
}

Test(follows, follow_needs_auth)
{
	struct h_user b;
	h_user_new(&b);
	h_err(AG_E_UNAUTHORIZED, h_client(), "follow.create", "user_id:i", b.id);
	h_err(AG_E_UNAUTHORIZED, h_client(), "follow.delete", "user_id:i", b.id);
}
