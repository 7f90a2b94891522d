/* test_feed.c: feed.get: posts by the people I follow and by me, newest
 * first, paged with limit, offset and before_id. */
#include "harness.h"

H_SERVER_PER_FILE(NULL)
TestSuite(feed, .fini = h_test_fini);

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

Test(feed, holds_followed_and_own_posts_newest_first)
{
	struct h_user me, friend, stranger;
	h_user_new(&me);
	h_user_new(&friend);
	h_user_new(&stranger);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t f1 = create_post(&friend, "friend 1");
	int64_t s1 = create_post(&stranger, "stranger");
	int64_t m1 = create_post(&me, "mine");
	int64_t f2 = create_post(&friend, "friend 2");
	const msgpack_object *feed = h_ok(me.c, "feed.get", "");
	cr_assert_eq(ag_obj_len(feed), 3);
	cr_assert_eq(ag_obj_int(ag_obj_at(feed, 0), "id"), f2);
	cr_assert_eq(ag_obj_int(ag_obj_at(feed, 1), "id"), m1);
	cr_assert_eq(ag_obj_int(ag_obj_at(feed, 2), "id"), f1);
	cr_assert_not(h_list_has_id(feed, "id", s1));
	h_assert_str(ag_obj_at(feed, 0), "author_username", friend.username);
}

Test(feed, of_a_new_user_is_empty)
{
	struct h_user me;
	h_user_new(&me);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "feed.get", "")), 0);
}

Test(feed, is_not_symmetric)
{
	struct h_user me, fan;
	h_user_new(&me);
	h_user_new(&fan);
	h_ok(fan.c, "follow.create", "user_id:i", me.id);
	int64_t fans_post = create_post(&fan, "you will not see this");
	int64_t my_post = create_post(&me, "fans see this");
	cr_assert_not(h_list_has_id(h_ok(me.c, "feed.get", ""), "id", fans_post));
	cr_assert(h_list_has_id(h_ok(fan.c, "feed.get", ""), "id", my_post));
}

Test(feed, pages_with_before_id_cover_everything_once)
{
	struct h_user me, friend;
	h_user_new(&me);
	h_user_new(&friend);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t ids[7];
	for (int i = 0; i < 7; i++)
		ids[i] = create_post(i % 2 ? &me : &friend, h_fmt("post %d", i));
	int64_t before = 0;
	int seen = 0;
	for (int page = 0; page < 4; page++) {
		const msgpack_object *list = before
			? h_ok(me.c, "feed.get", "limit:i before_id:i", (int64_t)3, before)
			: h_ok(me.c, "feed.get", "limit:i", (int64_t)3);
		h_assert_newest_first(list);
		for (size_t i = 0; i < ag_obj_len(list); i++) {
			int64_t id = ag_obj_int(ag_obj_at(list, i), "id");
			cr_assert_eq(id, ids[6 - seen], "page %d item %zu: expected post %lld, got %lld",
				page, i, (long long)ids[6 - seen], (long long)id);
			seen++;
			before = id;
		}
		if (ag_obj_len(list) < 3)
			break;
	}
	cr_assert_eq(seen, 7);
}

Test(feed, pages_with_offset)
{
	struct h_user me;
	h_user_new(&me);
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = create_post(&me, h_fmt("post %d", i));
	const msgpack_object *list = h_ok(me.c, "feed.get", "limit:i offset:i", (int64_t)2,
		(int64_t)2);
	cr_assert_eq(ag_obj_len(list), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), ids[2]);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 1), "id"), ids[1]);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "feed.get", "offset:i", (int64_t)5)), 0);
}

Test(feed, defaults_to_pages_of_20)
{
	struct h_user me;
	h_user_new(&me);
	for (int i = 0; i < 21; i++)
		create_post(&me, h_fmt("post %d", i));
	cr_assert_eq(ag_obj_len(h_ok(me.c, "feed.get", "")), 20);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "feed.get", "limit:i", (int64_t)21)), 21);
}

Test(feed, unfollow_removes_their_posts)
{
	struct h_user me, friend;
	h_user_new(&me);
	h_user_new(&friend);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t post = create_post(&friend, "now you see me");
	cr_assert(h_list_has_id(h_ok(me.c, "feed.get", ""), "id", post));
	h_ok(me.c, "follow.delete", "user_id:i", friend.id);
	cr_assert_not(h_list_has_id(h_ok(me.c, "feed.get", ""), "id", post));
}

Test(feed, deleted_posts_leave_the_feed)
{
	struct h_user me, friend;
	h_user_new(&me);
	h_user_new(&friend);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t post = create_post(&friend, "brief");
	h_ok(friend.c, "post.delete", "post_id:i", post);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "feed.get", "")), 0);
}

Test(feed, fills_liked_by_me)
{
	struct h_user me, friend;
	h_user_new(&me);
	h_user_new(&friend);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t liked = create_post(&friend, "liked");
	create_post(&friend, "not liked");
	h_ok(me.c, "post.like", "post_id:i", liked);
	const msgpack_object *feed = h_ok(me.c, "feed.get", "");
	cr_assert_eq(ag_obj_len(feed), 2);
	cr_assert_not(ag_obj_bool(ag_obj_at(feed, 0), "liked_by_me"));
	cr_assert(ag_obj_bool(ag_obj_at(feed, 1), "liked_by_me"));
	cr_assert_eq(ag_obj_int(ag_obj_at(feed, 1), "like_count"), 1);
}

Test(feed, limits_are_checked)
{
	struct h_user me;
	h_user_new(&me);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, me.c, "feed.get", "limit:i", (int64_t)0)->field,
		"limit");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, me.c, "feed.get", "limit:i", (int64_t)101)->field,
		"limit");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, me.c, "feed.get", "offset:i", (int64_t)-1)->field,
		"offset");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, me.c, "feed.get", "before_id:i",
		(int64_t)-1)->field, "before_id");
}

Test(feed, needs_auth)
{
	h_err(AG_E_UNAUTHORIZED, h_client(), "feed.get", "");
}

/* The merged page is exactly "followed or own posts, newest first, below
 * before_id, after offset": checked against that list, kept here, for
 * many page shapes over posts interleaved across six authors (four
 * followed, one not, and me), some of whom post far more than others. */
Test(feed, every_page_shape_matches_the_posts_it_stands_for)
{
	enum { AUTHORS = 6, POSTS = 60 };
	struct h_user me, authors[AUTHORS];
	h_user_new(&me);
	for (int a = 0; a < AUTHORS; a++) {
		h_user_new(&authors[a]);
		if (a < 4)
			h_ok(me.c, "follow.create", "user_id:i", authors[a].id);
	}
	/* Author 0 writes most; author 4 (not followed) and 5 (me) now and then. */
	static const int who[] = {0, 0, 1, 0, 4, 2, 0, 0, 5, 3, 0, 1, 0, 0, 4, 0, 2, 0, 5, 0};
	int64_t expected[POSTS];
	int n_expected = 0;
	for (int i = 0; i < POSTS; i++) {
		int a = who[i % (sizeof who / sizeof who[0])];
		struct h_user *u = a == 5 ? &me : &authors[a];
		int64_t id = create_post(u, h_fmt("post %d", i));
		if (a != 4)
			expected[n_expected++] = id;  /* oldest first */
	}
	static const int64_t limits[] = {1, 3, 7, 20, 100};
	static const int64_t offsets[] = {0, 1, 5, 29};
	for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
		for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++)
			for (int b = -1; b < n_expected; b += 11) {
				int64_t before = b < 0 ? INT64_MAX : expected[b];
				const msgpack_object *page = b < 0
					? h_ok(me.c, "feed.get", "limit:i offset:i", limits[l], offsets[o])
					: h_ok(me.c, "feed.get", "limit:i offset:i before_id:i", limits[l],
						offsets[o], before);
				/* What the page stands for: the newest below before_id. */
				int start = (b < 0 ? n_expected : b) - 1 - (int)offsets[o];
				size_t want = 0;
				for (int k = start; k >= 0 && want < (size_t)limits[l]; k--, want++) {
					cr_assert_lt(want, ag_obj_len(page),
						"limit %lld offset %lld before %lld: %zu posts, expected more",
						(long long)limits[l], (long long)offsets[o], (long long)before,
						ag_obj_len(page));
					cr_assert_eq(ag_obj_int(ag_obj_at(page, want), "id"), expected[k],
						"limit %lld offset %lld before %lld: item %zu",
						(long long)limits[l], (long long)offsets[o], (long long)before, want);
				}
				cr_assert_eq(ag_obj_len(page), want,
					"limit %lld offset %lld before %lld: %zu posts, expected %zu",
					(long long)limits[l], (long long)offsets[o], (long long)before,
					ag_obj_len(page), want);
			}
}
