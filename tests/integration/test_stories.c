/* test_stories.c: story.create, story.list (mine), story.feed (followed and
 * mine), story.delete (author only), and expiry 24 hours after creation:
 * an expired story is never returned. */
#include "harness.h"

#include "clock.h"

H_SERVER_PER_FILE(NULL)
TestSuite(stories, .fini = h_test_fini);

#define STORY_KEYS "id", "author_id", "author_username", "image_url", "media", "content", \
	"created_at", "expires_at"
#define DAY_MS (24LL * 3600 * 1000)

static int64_t create_story(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "story.create", "content:s", content), "id");
}

/* Moves a story back in time so that it expired `ago` ms ago. */
static void expire_story(int64_t id, int64_t ago)
{
	int64_t expires = ag_now_ms() - ago;
	h_db_exec("UPDATE stories SET created_at = ?1, expires_at = ?2 WHERE id = ?3", 3,
		expires - DAY_MS, expires, id);
}

Test(stories, create_returns_the_story)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_call(u.c, "story.create", "content:s image_url:s",
		"morning\ncoffee", "https://example.com/coffee.jpg");
	cr_assert(r->ok, "story.create: %s: %s", r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "story.create reply has no saga id");
	const msgpack_object *s = r->data;
	h_assert_keys(s, STORY_KEYS);
	cr_assert_gt(ag_obj_int(s, "id"), 0);
	cr_assert_eq(ag_obj_int(s, "author_id"), u.id);
	h_assert_str(s, "author_username", u.username);
	h_assert_str(s, "content", "morning\ncoffee");
	h_assert_str(s, "image_url", "https://example.com/coffee.jpg");
	int64_t created = ag_obj_int(s, "created_at");
	cr_assert(created > ag_now_ms() - 60000 && created < ag_now_ms() + 60000);
	cr_assert_eq(ag_obj_int(s, "expires_at"), created + DAY_MS);
}

Test(stories, content_only_or_image_only)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *text = h_ok(u.c, "story.create", "content:s", "just words");
	h_assert_str(text, "image_url", NULL);
	const msgpack_object *image = h_ok(u.c, "story.create", "image_url:s",
		"http://example.com/a.png");
	h_assert_str(image, "content", NULL);
}

Test(stories, list_holds_only_mine_newest_first)
{
	struct h_user me, friend;
	h_user_new(&me);
	h_user_new(&friend);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t first = create_story(&me, "first");
	int64_t second = create_story(&me, "second");
	int64_t theirs = create_story(&friend, "theirs");
	const msgpack_object *list = h_ok(me.c, "story.list", "");
	cr_assert_eq(ag_obj_len(list), 2);
	h_assert_keys(ag_obj_at(list, 0), STORY_KEYS);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), second);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 1), "id"), first);
	cr_assert_not(h_list_has_id(list, "id", theirs));
}

Test(stories, feed_holds_followed_and_mine)
{
	struct h_user me, friend, stranger;
	h_user_new(&me);
	h_user_new(&friend);
	h_user_new(&stranger);
	h_ok(me.c, "follow.create", "user_id:i", friend.id);
	int64_t mine = create_story(&me, "mine");
	int64_t friends = create_story(&friend, "friend's");
	int64_t strangers = create_story(&stranger, "stranger's");
	const msgpack_object *feed = h_ok(me.c, "story.feed", "");
	cr_assert_eq(ag_obj_len(feed), 2);
	cr_assert(h_list_has_id(feed, "id", mine));
	cr_assert(h_list_has_id(feed, "id", friends));
	cr_assert_not(h_list_has_id(feed, "id", strangers));
	h_assert_newest_first(feed);
	h_ok(me.c, "follow.delete", "user_id:i", friend.id);
	cr_assert_not(h_list_has_id(h_ok(me.c, "story.feed", ""), "id", friends));
}

Test(stories, delete_by_the_author)
{
	struct h_user u;
	h_user_new(&u);
	int64_t id = create_story(&u, "oops");
	const msgpack_object *d = h_ok(u.c, "story.delete", "story_id:i", id);
	cr_assert(d == NULL || d->type == MSGPACK_OBJECT_NIL, "data is not nil");
	cr_assert_eq(ag_obj_len(h_ok(u.c, "story.list", "")), 0);
	h_err(AG_E_NOT_FOUND, u.c, "story.delete", "story_id:i", id);
}

Test(stories, delete_by_someone_else_is_forbidden)
{
	struct h_user author, other;
	h_user_new(&author);
	h_user_new(&other);
	int64_t id = create_story(&author, "mine");
	h_err(AG_E_FORBIDDEN, other.c, "story.delete", "story_id:i", id);
	cr_assert(h_list_has_id(h_ok(author.c, "story.list", ""), "id", id));
}

Test(stories, delete_unknown_story_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "story.delete", "story_id:i", (int64_t)987654321);
}

Test(stories, expired_stories_are_never_returned)
{
	struct h_user me, fan;
	h_user_new(&me);
	h_user_new(&fan);
	h_ok(fan.c, "follow.create", "user_id:i", me.id);
	int64_t old = create_story(&me, "yesterday");
	int64_t just = create_story(&me, "a second ago");
	int64_t fresh = create_story(&me, "today");
	expire_story(old, 3600 * 1000);
	expire_story(just, 1000);

	const msgpack_object *list = h_ok(me.c, "story.list", "");
	cr_assert_eq(ag_obj_len(list), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), fresh);
	const msgpack_object *mine = h_ok(me.c, "story.feed", "");
	cr_assert_not(h_list_has_id(mine, "id", old));
	cr_assert_not(h_list_has_id(mine, "id", just));
	const msgpack_object *theirs = h_ok(fan.c, "story.feed", "");
	cr_assert_eq(ag_obj_len(theirs), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(theirs, 0), "id"), fresh);
}

Test(stories, story_about_to_expire_is_still_returned)
{
	struct h_user me;
	h_user_new(&me);
	int64_t id = create_story(&me, "almost gone");
	expire_story(id, -60000);  /* expires in a minute */
	cr_assert(h_list_has_id(h_ok(me.c, "story.list", ""), "id", id));
}

Test(stories, need_auth)
{
	struct ag_client *c = h_client();
	h_err(AG_E_UNAUTHORIZED, c, "story.create", "content:s", "anonymous");
	h_err(AG_E_UNAUTHORIZED, c, "story.list", "");
	h_err(AG_E_UNAUTHORIZED, c, "story.feed", "");
	h_err(AG_E_UNAUTHORIZED, c, "story.delete", "story_id:i", (int64_t)1);
}
