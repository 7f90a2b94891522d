/* test_messages.c: direct messages: message.send (not to yourself, not to
 * an unknown user), message.thread, message.conversations with unread
 * counts, message.mark_read (only messages sent to me) and inbox.counts. */
#include "harness.h"

H_SERVER_PER_FILE(NULL)
TestSuite(messages, .fini = h_test_fini);

#define MESSAGE_KEYS "id", "sender_id", "receiver_id", "content", "is_read", "created_at"
#define CONVERSATION_KEYS "other_user_id", "other_username", "last_message", "unread_count"

static int64_t send_message(struct h_user *from, const struct h_user *to, const char *content)
{
	return ag_obj_int(h_ok(from->c, "message.send", "receiver_id:i content:s", to->id,
		content), "id");
}

static const msgpack_object *conversation_with(const msgpack_object *list, int64_t other)
{
	for (size_t i = 0; i < ag_obj_len(list); i++)
		if (ag_obj_int(ag_obj_at(list, i), "other_user_id") == other)
			return ag_obj_at(list, i);
	return NULL;
}

Test(messages, send_returns_the_message)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const struct ag_reply *r = h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
		"hi there\nhow are you?");
	cr_assert(r->ok, "message.send: %s: %s", r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "message.send reply has no saga id");
	h_assert_keys(r->data, MESSAGE_KEYS);
	cr_assert_gt(ag_obj_int(r->data, "id"), 0);
	cr_assert_eq(ag_obj_int(r->data, "sender_id"), a.id);
	cr_assert_eq(ag_obj_int(r->data, "receiver_id"), b.id);
	h_assert_str(r->data, "content", "hi there\nhow are you?");
	cr_assert_eq(ag_obj_get(r->data, "is_read")->type, MSGPACK_OBJECT_BOOLEAN);
	cr_assert_not(ag_obj_bool(r->data, "is_read"));
}

Test(messages, to_an_unknown_user_is_not_found)
{
	struct h_user a;
	h_user_new(&a);
	h_err(AG_E_NOT_FOUND, a.c, "message.send", "receiver_id:i content:s", (int64_t)987654321,
		"anyone?");
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 0);
}

Test(messages, to_yourself_is_a_bad_request)
{
	struct h_user a;
	h_user_new(&a);
	h_err(AG_E_BAD_REQUEST, a.c, "message.send", "receiver_id:i content:s", a.id, "me, me");
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 0);
}

Test(messages, thread_holds_both_directions_newest_first)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t m1 = send_message(&a, &b, "one");
	int64_t m2 = send_message(&b, &a, "two");
	int64_t m3 = send_message(&a, &b, "three");
	send_message(&a, &c, "elsewhere");
	send_message(&c, &b, "elsewhere too");
	const msgpack_object *mine = h_ok(a.c, "message.thread", "user_id:i", b.id);
	const msgpack_object *theirs = h_ok(b.c, "message.thread", "user_id:i", a.id);
	int64_t want[] = {m3, m2, m1};
	for (int k = 0; k < 2; k++) {
		const msgpack_object *t = k ? theirs : mine;
		cr_assert_eq(ag_obj_len(t), 3);
		for (size_t i = 0; i < 3; i++) {
			h_assert_keys(ag_obj_at(t, i), MESSAGE_KEYS);
			cr_assert_eq(ag_obj_int(ag_obj_at(t, i), "id"), want[i]);
		}
	}
	h_assert_str(ag_obj_at(mine, 1), "content", "two");
	cr_assert_eq(ag_obj_int(ag_obj_at(mine, 1), "sender_id"), b.id);
}

Test(messages, thread_pages_by_before_id_and_offset)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] = send_message(i % 2 ? &b : &a, i % 2 ? &a : &b, h_fmt("message %d", i));
	const msgpack_object *page = h_ok(a.c, "message.thread", "user_id:i limit:i", b.id,
		(int64_t)2);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[3]);
	page = h_ok(a.c, "message.thread", "user_id:i limit:i before_id:i", b.id, (int64_t)2,
		ids[3]);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[2]);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 1), "id"), ids[1]);
	page = h_ok(a.c, "message.thread", "user_id:i offset:i", b.id, (int64_t)4);
	cr_assert_eq(ag_obj_len(page), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[0]);
}

Test(messages, thread_defaults_to_pages_of_50)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	for (int i = 0; i < 51; i++)
		send_message(&a, &b, "again");
	cr_assert_eq(ag_obj_len(h_ok(b.c, "message.thread", "user_id:i", a.id)), 50);
	cr_assert_eq(ag_obj_len(h_ok(b.c, "message.thread", "user_id:i limit:i", a.id,
		(int64_t)100)), 51);
}

Test(messages, conversations_latest_first_with_unread_counts)
{
	struct h_user me, b, c;
	h_user_new(&me);
	h_user_new(&b);
	h_user_new(&c);
	send_message(&b, &me, "from b 1");
	send_message(&b, &me, "from b 2");
	send_message(&c, &me, "from c");
	send_message(&me, &c, "to c");
	int64_t last = send_message(&b, &me, "from b 3");

	const msgpack_object *list = h_ok(me.c, "message.conversations", "");
	cr_assert_eq(ag_obj_len(list), 2);
	const msgpack_object *first = ag_obj_at(list, 0);
	h_assert_keys(first, CONVERSATION_KEYS);
	cr_assert_eq(ag_obj_int(first, "other_user_id"), b.id);
	h_assert_str(first, "other_username", b.username);
	cr_assert_eq(ag_obj_int(first, "unread_count"), 3);
	const msgpack_object *lm = ag_obj_get(first, "last_message");
	h_assert_keys(lm, MESSAGE_KEYS);
	cr_assert_eq(ag_obj_int(lm, "id"), last);
	h_assert_str(lm, "content", "from b 3");

	const msgpack_object *second = ag_obj_at(list, 1);
	cr_assert_eq(ag_obj_int(second, "other_user_id"), c.id);
	cr_assert_eq(ag_obj_int(second, "unread_count"), 1);
	h_assert_str(ag_obj_get(second, "last_message"), "content", "to c");

	/* the other side: what I sent is not unread for me */
	const msgpack_object *bs = conversation_with(h_ok(b.c, "message.conversations", ""), me.id);
	cr_assert_not_null(bs);
	cr_assert_eq(ag_obj_int(bs, "unread_count"), 0);
	h_assert_str(bs, "other_username", me.username);
}

Test(messages, new_message_moves_a_conversation_to_the_top)
{
	struct h_user me, b, c;
	h_user_new(&me);
	h_user_new(&b);
	h_user_new(&c);
	send_message(&b, &me, "b");
	send_message(&c, &me, "c");
	cr_assert_eq(ag_obj_int(ag_obj_at(h_ok(me.c, "message.conversations", ""), 0),
		"other_user_id"), c.id);
	send_message(&me, &b, "back to b");
	cr_assert_eq(ag_obj_int(ag_obj_at(h_ok(me.c, "message.conversations", ""), 0),
		"other_user_id"), b.id);
}

Test(messages, mark_read_touches_only_messages_to_me_from_that_sender)
{
	struct h_user me, b, c;
	h_user_new(&me);
	h_user_new(&b);
	h_user_new(&c);
	send_message(&b, &me, "b1");
	send_message(&b, &me, "b2");
	send_message(&c, &me, "c1");
	send_message(&me, &b, "to b");

	const msgpack_object *d = h_ok(me.c, "message.mark_read", "user_id:i", b.id);
	h_assert_keys(d, "updated");
	cr_assert_eq(ag_obj_int(d, "updated"), 2);
	cr_assert_eq(ag_obj_int(h_ok(me.c, "message.mark_read", "user_id:i", b.id), "updated"), 0);

	const msgpack_object *list = h_ok(me.c, "message.conversations", "");
	cr_assert_eq(ag_obj_int(conversation_with(list, b.id), "unread_count"), 0);
	cr_assert_eq(ag_obj_int(conversation_with(list, c.id), "unread_count"), 1);
	const msgpack_object *thread = h_ok(me.c, "message.thread", "user_id:i", b.id);
	for (size_t i = 0; i < ag_obj_len(thread); i++) {
		const msgpack_object *m = ag_obj_at(thread, i);
		bool to_me = ag_obj_int(m, "receiver_id") == me.id;
		cr_assert_eq(ag_obj_bool(m, "is_read"), to_me, "message %zu: is_read is wrong", i);
	}
	/* b's side is b's own: my message to b is still unread until b reads it */
	cr_assert_eq(ag_obj_int(h_ok(b.c, "message.mark_read", "user_id:i", me.id), "updated"), 1);
}

Test(messages, inbox_counts_unread_messages)
{
	struct h_user me, b;
	h_user_new(&me);
	h_user_new(&b);
	const msgpack_object *counts = h_ok(me.c, "inbox.counts", "");
	h_assert_keys(counts, "notifications_unread", "messages_unread");
	cr_assert_eq(ag_obj_int(counts, "messages_unread"), 0);
	send_message(&b, &me, "one");
	send_message(&b, &me, "two");
	send_message(&me, &b, "mine");
	cr_assert_eq(ag_obj_int(h_ok(me.c, "inbox.counts", ""), "messages_unread"), 2);
	cr_assert_eq(ag_obj_int(h_ok(b.c, "inbox.counts", ""), "messages_unread"), 1);
	h_ok(me.c, "message.mark_read", "user_id:i", b.id);
	cr_assert_eq(ag_obj_int(h_ok(me.c, "inbox.counts", ""), "messages_unread"), 0);
}

Test(messages, need_auth)
{
	struct h_user b;
	h_user_new(&b);
	struct ag_client *c = h_client();
	h_err(AG_E_UNAUTHORIZED, c, "message.send", "receiver_id:i content:s", b.id, "hi");
	h_err(AG_E_UNAUTHORIZED, c, "message.conversations", "");
	h_err(AG_E_UNAUTHORIZED, c, "message.thread", "user_id:i", b.id);
	h_err(AG_E_UNAUTHORIZED, c, "message.mark_read", "user_id:i", b.id);
	h_err(AG_E_UNAUTHORIZED, c, "inbox.counts", "");
}
