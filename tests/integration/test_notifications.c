/* test_notifications.c: which actions notify whom (like, comment, follow,
 * message; never for acting on your own post, never on unlike), the list
 * (newest first, unread_only, paging), mark_read (own rows only) and
 * mark_all_read, and inbox.counts. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(notifications, .fini = h_test_fini);

#define NOTIFICATION_KEYS "id", "user_id", "actor_id", "actor_username", "type", \
	"reference_id", "message", "is_read", "created_at"

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

static const msgpack_object *notifications(struct h_user *u)
{
	return h_ok(u->c, "notification.list", "");
}

static int64_t unread(struct h_user *u)
{
	return ag_obj_int(h_ok(u->c, "inbox.counts", ""), "notifications_unread");
}

/* Asserts n is a notification of type for `to`, caused by `by`, about ref. */
static void assert_notification(const msgpack_object *n, const char *type,
	const struct h_user *to, const struct h_user *by, int64_t ref)
{
	h_assert_keys(n, NOTIFICATION_KEYS);
	h_assert_str(n, "type", type);
	cr_assert_eq(ag_obj_int(n, "user_id"), to->id);
	cr_assert_eq(ag_obj_int(n, "actor_id"), by->id);
	h_assert_str(n, "actor_username", by->username);
	cr_assert_eq(ag_obj_int(n, "reference_id"), ref);
	cr_assert_not(ag_obj_bool(n, "is_read"));
	char *text = ag_obj_strdup(n, "message");
	cr_assert(text && strstr(text, by->username), "message \"%s\" does not name the actor",
		text ? text : "(none)");
	free(text);
}

Test(notifications, like_notifies_the_author)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "like me");
	h_ok(fan.c, "post.like", "post_id:i", post);
	const msgpack_object *list = notifications(&author);
	cr_assert_eq(ag_obj_len(list), 1);
	assert_notification(ag_obj_at(list, 0), "like", &author, &fan, post);
	cr_assert_eq(ag_obj_len(notifications(&fan)), 0);
}

Test(notifications, liking_my_own_post_notifies_nobody)
{
	struct h_user author;
	h_user_new(&author);
	int64_t post = create_post(&author, "self love");
	h_ok(author.c, "post.like", "post_id:i", post);
	cr_assert_eq(ag_obj_len(notifications(&author)), 0);
}

Test(notifications, unlike_does_not_notify)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "fickle");
	h_ok(fan.c, "post.like", "post_id:i", post);
	h_ok(fan.c, "post.like", "post_id:i", post);
	const msgpack_object *list = notifications(&author);
	cr_assert_eq(ag_obj_len(list), 1, "unlike made a notification");
	h_assert_str(ag_obj_at(list, 0), "type", "like");
}

Test(notifications, comment_notifies_the_author)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = create_post(&author, "discuss");
	h_ok(fan.c, "comment.create", "post_id:i content:s", post, "well");
	const msgpack_object *list = notifications(&author);
	cr_assert_eq(ag_obj_len(list), 1);
	assert_notification(ag_obj_at(list, 0), "comment", &author, &fan, post);
}

Test(notifications, commenting_on_my_own_post_notifies_nobody)
{
	struct h_user author;
	h_user_new(&author);
	int64_t post = create_post(&author, "monologue");
	h_ok(author.c, "comment.create", "post_id:i content:s", post, "and another thing");
	cr_assert_eq(ag_obj_len(notifications(&author)), 0);
}

Test(notifications, follow_notifies_the_followed)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	const msgpack_object *list = notifications(&b);
	cr_assert_eq(ag_obj_len(list), 1);
	assert_notification(ag_obj_at(list, 0), "follow", &b, &a, a.id);
	cr_assert_eq(ag_obj_len(notifications(&a)), 0);
}

Test(notifications, message_notifies_the_receiver)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	int64_t m = ag_obj_int(h_ok(a.c, "message.send", "receiver_id:i content:s", b.id, "psst"),
		"id");
	const msgpack_object *list = notifications(&b);
	cr_assert_eq(ag_obj_len(list), 1);
	assert_notification(ag_obj_at(list, 0), "message", &b, &a, m);
	cr_assert_eq(ag_obj_len(notifications(&a)), 0);
}

Test(notifications, list_is_newest_first_and_pages)
{
	struct h_user me, others[4];
	h_user_new(&me);
	for (int i = 0; i < 4; i++) {
		h_user_new(&others[i]);
		h_ok(others[i].c, "follow.create", "user_id:i", me.id);
	}
	const msgpack_object *all = notifications(&me);
	cr_assert_eq(ag_obj_len(all), 4);
	h_assert_newest_first(all);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(ag_obj_int(ag_obj_at(all, (size_t)i), "actor_id"), others[3 - i].id);
	int64_t second = ag_obj_int(ag_obj_at(all, 1), "id");
	const msgpack_object *page = h_ok(me.c, "notification.list", "limit:i before_id:i",
		(int64_t)2, second);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "actor_id"), others[1].id);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "actor_id"), others[0].id);
	page = h_ok(me.c, "notification.list", "offset:i limit:i", (int64_t)1, (int64_t)1);
	cr_assert_eq(ag_obj_len(page), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), second);
}

Test(notifications, list_defaults_to_pages_of_50)
{
	struct h_user me, a;
	h_user_new(&me);
	h_user_new(&a);
	for (int i = 0; i < 51; i++)
		h_ok(a.c, "message.send", "receiver_id:i content:s", me.id, "ping");
	cr_assert_eq(ag_obj_len(notifications(&me)), 50);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "notification.list", "limit:i", (int64_t)100)), 51);
	cr_assert_eq(unread(&me), 51);
}

Test(notifications, mark_read_marks_one_of_mine)
{
	struct h_user me, a, b;
	h_user_new(&me);
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", me.id);
	h_ok(b.c, "follow.create", "user_id:i", me.id);
	cr_assert_eq(unread(&me), 2);
	int64_t newest = ag_obj_int(ag_obj_at(notifications(&me), 0), "id");
	const msgpack_object *d = h_ok(me.c, "notification.mark_read", "notification_id:i", newest);
	h_assert_keys(d, "updated");
	cr_assert_eq(ag_obj_int(d, "updated"), 1);
	cr_assert_eq(unread(&me), 1);
	const msgpack_object *list = notifications(&me);
	cr_assert(ag_obj_bool(ag_obj_at(list, 0), "is_read"));
	cr_assert_not(ag_obj_bool(ag_obj_at(list, 1), "is_read"));
}

Test(notifications, unread_only_filters)
{
	struct h_user me, a, b;
	h_user_new(&me);
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", me.id);
	h_ok(b.c, "follow.create", "user_id:i", me.id);
	int64_t newest = ag_obj_int(ag_obj_at(notifications(&me), 0), "id");
	h_ok(me.c, "notification.mark_read", "notification_id:i", newest);
	const msgpack_object *list = h_ok(me.c, "notification.list", "unread_only:b", 1);
	cr_assert_eq(ag_obj_len(list), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "actor_id"), a.id);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "notification.list", "unread_only:b", 0)), 2);
}

Test(notifications, mark_read_of_someone_elses_is_not_found)
{
	struct h_user me, other, actor;
	h_user_new(&me);
	h_user_new(&other);
	h_user_new(&actor);
	h_ok(actor.c, "follow.create", "user_id:i", other.id);
	int64_t theirs = ag_obj_int(ag_obj_at(notifications(&other), 0), "id");
	h_err(AG_E_NOT_FOUND, me.c, "notification.mark_read", "notification_id:i", theirs);
	h_err(AG_E_NOT_FOUND, actor.c, "notification.mark_read", "notification_id:i", theirs);
	cr_assert_not(ag_obj_bool(ag_obj_at(notifications(&other), 0), "is_read"));
	cr_assert_eq(unread(&other), 1);
}

Test(notifications, mark_read_of_unknown_is_not_found)
{
	struct h_user me;
	h_user_new(&me);
	h_err(AG_E_NOT_FOUND, me.c, "notification.mark_read", "notification_id:i",
		(int64_t)987654321);
}

Test(notifications, mark_all_read_marks_only_mine)
{
	struct h_user me, other, a, b;
	h_user_new(&me);
	h_user_new(&other);
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", me.id);
	h_ok(b.c, "follow.create", "user_id:i", me.id);
	h_ok(a.c, "message.send", "receiver_id:i content:s", me.id, "hello");
	h_ok(a.c, "follow.create", "user_id:i", other.id);
	const msgpack_object *d = h_ok(me.c, "notification.mark_all_read", "");
	h_assert_keys(d, "updated");
	cr_assert_eq(ag_obj_int(d, "updated"), 3);
	cr_assert_eq(unread(&me), 0);
	cr_assert_eq(ag_obj_len(h_ok(me.c, "notification.list", "unread_only:b", 1)), 0);
	cr_assert_eq(ag_obj_int(h_ok(me.c, "notification.mark_all_read", ""), "updated"), 0);
	cr_assert_eq(unread(&other), 1);
}

Test(notifications, inbox_counts_both_kinds)
{
	struct h_user me, a;
	h_user_new(&me);
	h_user_new(&a);
	const msgpack_object *counts = h_ok(me.c, "inbox.counts", "");
	h_assert_keys(counts, "notifications_unread", "messages_unread");
	cr_assert_eq(ag_obj_int(counts, "notifications_unread"), 0);
	cr_assert_eq(ag_obj_int(counts, "messages_unread"), 0);
	int64_t post = create_post(&me, "post");
	h_ok(a.c, "post.like", "post_id:i", post);
	h_ok(a.c, "comment.create", "post_id:i content:s", post, "hey");
	h_ok(a.c, "message.send", "receiver_id:i content:s", me.id, "hi");
	counts = h_ok(me.c, "inbox.counts", "");
	cr_assert_eq(ag_obj_int(counts, "notifications_unread"), 3);
	cr_assert_eq(ag_obj_int(counts, "messages_unread"), 1);
}

Test(notifications, need_auth)
{
	struct ag_client *c = h_client();
	h_err(AG_E_UNAUTHORIZED, c, "notification.list", "");
	h_err(AG_E_UNAUTHORIZED, c, "notification.mark_read", "notification_id:i", (int64_t)1);
	h_err(AG_E_UNAUTHORIZED, c, "notification.mark_all_read", "");
}
