/* test_idempotency.c: a saga-backed op sent again with the same `idem`
 * runs once and replays its first response (same saga id, same data or
 * error); another idem runs again; idem keys are per caller. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(idempotency, .fini = h_test_fini);

/* The two replies carry the same saga id and byte-identical data. */
static void assert_same_response(const struct ag_reply *a, const struct ag_reply *b)
{
	cr_assert_eq(a->ok, b->ok);
	cr_assert_str_eq(a->saga, b->saga, "replayed with another saga id");
	cr_assert_eq(a->code, b->code);
	cr_assert_str_eq(a->message, b->message);
	msgpack_sbuffer x, y;
	msgpack_sbuffer_init(&x);
	msgpack_sbuffer_init(&y);
	msgpack_packer px, py;
	msgpack_packer_init(&px, &x, msgpack_sbuffer_write);
	msgpack_packer_init(&py, &y, msgpack_sbuffer_write);
	if (a->data)
		msgpack_pack_object(&px, *a->data);
	if (b->data)
		msgpack_pack_object(&py, *b->data);
	bool same = x.size == y.size && (x.size == 0 || memcmp(x.data, y.data, x.size) == 0);
	msgpack_sbuffer_destroy(&x);
	msgpack_sbuffer_destroy(&y);
	cr_assert(same, "replayed with other data");
}

static int64_t count_posts(int64_t uid)
{
	return h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, uid);
}

Test(idempotency, post_create_runs_once_per_key)
{
	struct h_user u;
	h_user_new(&u);
	const char *key = h_unique("k");
	const struct ag_reply *first = h_call_idem(u.c, key, "post.create", "content:s", "once");
	const struct ag_reply *again = h_call_idem(u.c, key, "post.create", "content:s", "once");
	cr_assert(first->ok && first->saga[0]);
	assert_same_response(first, again);
	cr_assert_eq(count_posts(u.id), 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM sagas WHERE initiator = ?1 "
		"AND type = 'create_post'", 1, u.id), 1);
}

Test(idempotency, replay_ignores_changed_args)
{
	struct h_user u;
	h_user_new(&u);
	const char *key = h_unique("k");
	const struct ag_reply *first = h_call_idem(u.c, key, "post.create", "content:s", "first");
	const struct ag_reply *again = h_call_idem(u.c, key, "post.create", "content:s", "second");
	assert_same_response(first, again);
	h_assert_str(again->data, "content", "first");
	cr_assert_eq(count_posts(u.id), 1);
}

Test(idempotency, another_key_runs_again)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *a = h_call_idem(u.c, h_unique("k"), "post.create", "content:s", "x");
	const struct ag_reply *b = h_call_idem(u.c, h_unique("k"), "post.create", "content:s", "x");
	cr_assert(a->ok && b->ok);
	cr_assert_str_neq(a->saga, b->saga);
	cr_assert_neq(ag_obj_int(a->data, "id"), ag_obj_int(b->data, "id"));
	cr_assert_eq(count_posts(u.id), 2);
}

Test(idempotency, no_key_runs_every_time)
{
	struct h_user u;
	h_user_new(&u);
	h_ok(u.c, "post.create", "content:s", "x");
	h_ok(u.c, "post.create", "content:s", "x");
	cr_assert_eq(count_posts(u.id), 2);
}

Test(idempotency, keys_belong_to_their_caller)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *key = h_unique("shared");
	const struct ag_reply *ra = h_call_idem(a.c, key, "post.create", "content:s", "by a");
	const struct ag_reply *rb = h_call_idem(b.c, key, "post.create", "content:s", "by b");
	cr_assert(ra->ok && rb->ok);
	cr_assert_str_neq(ra->saga, rb->saga);
	cr_assert_eq(ag_obj_int(rb->data, "author_id"), b.id);
	h_assert_str(rb->data, "content", "by b");
	cr_assert_eq(count_posts(a.id), 1);
	cr_assert_eq(count_posts(b.id), 1);
}

Test(idempotency, keys_survive_a_new_session)
{
	struct h_user u;
	h_user_new(&u);
	const char *key = h_unique("k");
	const struct ag_reply *first = h_call_idem(u.c, key, "post.create", "content:s", "once");
	struct ag_client *other = h_session(&u);
	const struct ag_reply *again = h_call_idem(other, key, "post.create", "content:s", "once");
	assert_same_response(first, again);
	cr_assert_eq(count_posts(u.id), 1);
}

Test(idempotency, message_send_runs_once)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *key = h_unique("m");
	const struct ag_reply *first = h_call_idem(a.c, key, "message.send",
		"receiver_id:i content:s", b.id, "only once");
	const struct ag_reply *again = h_call_idem(a.c, key, "message.send",
		"receiver_id:i content:s", b.id, "only once");
	cr_assert(first->ok);
	assert_same_response(first, again);
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1 "
		"AND type = 'message'", 1, b.id), 1);
}

Test(idempotency, follow_create_replays_instead_of_conflicting)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *key = h_unique("f");
	const struct ag_reply *first = h_call_idem(a.c, key, "follow.create", "user_id:i", b.id);
	const struct ag_reply *again = h_call_idem(a.c, key, "follow.create", "user_id:i", b.id);
	cr_assert(first->ok);
	assert_same_response(first, again);
	cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE follower_id = ?1", 1, a.id), 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1 "
		"AND type = 'follow'", 1, b.id), 1);
	/* without the key it is a second follow, and a conflict */
	h_err(AG_E_CONFLICT, a.c, "follow.create", "user_id:i", b.id);
}

Test(idempotency, post_like_does_not_toggle_back)
{
	struct h_user author, fan;
	h_user_new(&author);
	h_user_new(&fan);
	int64_t post = ag_obj_int(h_ok(author.c, "post.create", "content:s", "like once"), "id");
	const char *key = h_unique("l");
	const struct ag_reply *first = h_call_idem(fan.c, key, "post.like", "post_id:i", post);
	const struct ag_reply *again = h_call_idem(fan.c, key, "post.like", "post_id:i", post);
	cr_assert(first->ok);
	assert_same_response(first, again);
	cr_assert(ag_obj_bool(again->data, "liked"));
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "post.get", "post_id:i", post), "like_count"), 1);
	/* a new key toggles */
	const msgpack_object *d = h_ok_idem(fan.c, h_unique("l"), "post.like", "post_id:i", post);
	cr_assert_not(ag_obj_bool(d, "liked"));
}

Test(idempotency, failure_replays_the_same_error)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	const char *key = h_unique("e");
	const struct ag_reply *first = h_call_idem(a.c, key, "follow.create", "user_id:i", b.id);
	cr_assert_eq(first->code, AG_E_CONFLICT, "got %s", first->code_name);
	/* Now the follow would succeed, but the key replays the conflict. */
	h_ok(a.c, "follow.delete", "user_id:i", b.id);
	const struct ag_reply *again = h_call_idem(a.c, key, "follow.create", "user_id:i", b.id);
	assert_same_response(first, again);
	cr_assert_eq(h_db_int("SELECT count(*) FROM follows WHERE follower_id = ?1", 1, a.id), 0);
}

Test(idempotency, not_found_failure_replays)
{
	struct h_user a;
	h_user_new(&a);
	const char *key = h_unique("nf");
	const struct ag_reply *first = h_call_idem(a.c, key, "post.like", "post_id:i",
		(int64_t)987654321);
	cr_assert_eq(first->code, AG_E_NOT_FOUND);
	const struct ag_reply *again = h_call_idem(a.c, key, "post.like", "post_id:i",
		(int64_t)987654321);
	assert_same_response(first, again);
}

Test(idempotency, key_length_is_1_to_64_bytes)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_call_idem(u.c, "", "post.create", "content:s", "empty key");
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "an empty idem gave %s", r->ok ? "ok" : r->code_name);
	r = h_call_idem(u.c, h_repeat("k", 65), "post.create", "content:s", "long key");
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "a 65-byte idem gave %s",
		r->ok ? "ok" : r->code_name);
	cr_assert_eq(count_posts(u.id), 0);
	h_ok_idem(u.c, h_repeat("k", 64), "post.create", "content:s", "64-byte key");
	cr_assert_eq(count_posts(u.id), 1);
}

struct resender {
	pthread_t thread;
	struct ag_client *c;
	const char *key;
	int64_t receiver;
	bool ok;
	char saga[72];
};

static void *resend(void *arg)
{
	struct resender *r = arg;
	struct ag_reply reply;
	if (ag_client_callf(r->c, &reply, "message.send", r->key, "receiver_id:i content:s",
			r->receiver, "at the same time") == 0) {
		r->ok = reply.ok;
		memcpy(r->saga, reply.saga, sizeof r->saga);
		ag_reply_free(&reply);
	}
	return NULL;
}

Test(idempotency, simultaneous_repeats_run_once)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *key = h_unique("race");
	struct resender senders[4];
	for (int i = 0; i < 4; i++) {
		senders[i] = (struct resender){.c = h_session(&a), .key = key, .receiver = b.id};
		cr_assert_eq(pthread_create(&senders[i].thread, NULL, resend, &senders[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(senders[i].thread, NULL);
	for (int i = 0; i < 4; i++) {
		cr_assert(senders[i].ok, "sender %d failed", i);
		cr_assert_str_eq(senders[i].saga, senders[0].saga, "sender %d ran its own saga", i);
	}
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 1);
}
