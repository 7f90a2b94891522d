/* test_sagas.c: saga.get: the durable record of every saga-backed write,
 * its type, final state and step log, visible only to the user who
 * started it. */
#include "harness.h"

#include <string.h>

#include <sqlite3.h>

H_SERVER_PER_FILE(NULL)
TestSuite(sagas, .fini = h_test_fini);

#define SAGA_KEYS "id", "type", "state", "created_at", "updated_at", "steps"

/* Asserts the saga the reply names is completed, of type, with exactly
 * these steps completed in this order. */
static void assert_completed_saga(struct h_user *u, const struct ag_reply *r, const char *type,
	const char *const *steps, size_t n)
{
	cr_assert(r->ok, "%s failed: %s: %s", type, r->code_name, r->message);
	cr_assert(r->saga[0] != '\0', "%s: no saga id", type);
	const msgpack_object *s = h_ok(u->c, "saga.get", "saga_id:s", r->saga);
	h_assert_keys(s, SAGA_KEYS);
	h_assert_str(s, "id", r->saga);
	h_assert_str(s, "type", type);
	h_assert_str(s, "state", "completed");
	cr_assert_geq(ag_obj_int(s, "updated_at"), ag_obj_int(s, "created_at"));
	const msgpack_object *log = ag_obj_get(s, "steps");
	cr_assert_eq(ag_obj_len(log), n, "%s: expected %zu steps, got %zu", type, n,
		ag_obj_len(log));
	int64_t previous = ag_obj_int(s, "created_at");
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *step = ag_obj_at(log, i);
		h_assert_str(step, "name", steps[i]);
		h_assert_str(step, "status", "completed");
		cr_assert_geq(ag_obj_int(step, "at"), previous, "%s: step %zu is out of order", type, i);
		previous = ag_obj_int(step, "at");
		cr_assert(ag_obj_is_nil(step, "error"), "%s: step %zu carries an error", type, i);
	}
}

Test(sagas, create_post_record)
{
	struct h_user u;
	h_user_new(&u);
	const char *const steps[] = {"create_post", "extract_hashtags", "attach_media",
		"notify_mentions"};
	assert_completed_saga(&u, h_call(u.c, "post.create", "content:s", "#saga"),
		"create_post", steps, 4);
}

Test(sagas, delete_post_record)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "doomed"), "id");
	const char *const steps[] = {"delete_comments", "delete_likes", "delete_hashtags",
		"delete_notifications", "delete_media", "delete_post"};
	assert_completed_saga(&u, h_call(u.c, "post.delete", "post_id:i", post), "delete_post",
		steps, 6);
}

Test(sagas, like_post_record_even_without_a_notification)
{
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "likeable"), "id");
	const char *const steps[] = {"toggle_like", "create_notification"};
	assert_completed_saga(&fan, h_call(fan.c, "post.like", "post_id:i", post), "like_post",
		steps, 2);
	/* liking your own post has nothing to notify, and still logs the step */
	assert_completed_saga(&u, h_call(u.c, "post.like", "post_id:i", post), "like_post",
		steps, 2);
	/* so does unliking */
	assert_completed_saga(&fan, h_call(fan.c, "post.like", "post_id:i", post), "like_post",
		steps, 2);
}

Test(sagas, follow_user_record)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *const steps[] = {"create_follow", "create_notification"};
	assert_completed_saga(&a, h_call(a.c, "follow.create", "user_id:i", b.id), "follow_user",
		steps, 2);
}

Test(sagas, send_message_record)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const char *const steps[] = {"create_message", "create_notification"};
	assert_completed_saga(&a, h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
		"hi"), "send_message", steps, 2);
}

Test(sagas, create_story_record)
{
	struct h_user u;
	h_user_new(&u);
	const char *const steps[] = {"create_story", "attach_media"};
	assert_completed_saga(&u, h_call(u.c, "story.create", "content:s", "today"),
		"create_story", steps, 2);
}

Test(sagas, comment_record)
{
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "say something"), "id");
	const char *const steps[] = {"create_comment", "create_notification", "notify_mentions"};
	assert_completed_saga(&fan, h_call(fan.c, "comment.create", "post_id:i content:s", post,
		"something"), "comment", steps, 3);
	assert_completed_saga(&u, h_call(u.c, "comment.create", "post_id:i content:s", post,
		"my own"), "comment", steps, 3);
}

Test(sagas, every_saga_op_of_the_table_replies_with_a_saga_id)
{
	struct h_user u, other;
	h_user_new(&u);
	h_user_new(&other);
	int64_t post = ag_obj_int(h_ok(other.c, "post.create", "content:s", "target"), "id");
	for (size_t k = 0; k < AG_OP__COUNT; k++) {
		const struct ag_op_spec *op = &ag_ops[k];
		if (!op->saga)
			continue;
		const struct ag_reply *r;
		if (strcmp(op->name, "post.create") == 0)
			r = h_call(u.c, op->name, "content:s", "x");
		else if (strcmp(op->name, "post.delete") == 0)
			r = h_call(u.c, op->name, "post_id:i",
				ag_obj_int(h_ok(u.c, "post.create", "content:s", "x"), "id"));
		else if (strcmp(op->name, "post.like") == 0)
			r = h_call(u.c, op->name, "post_id:i", post);
		else if (strcmp(op->name, "comment.create") == 0)
			r = h_call(u.c, op->name, "post_id:i content:s", post, "x");
		else if (strcmp(op->name, "follow.create") == 0)
			r = h_call(u.c, op->name, "user_id:i", other.id);
		else if (strcmp(op->name, "story.create") == 0)
			r = h_call(u.c, op->name, "content:s", "x");
		else if (strcmp(op->name, "message.send") == 0)
			r = h_call(u.c, op->name, "receiver_id:i content:s", other.id, "x");
		else {
			cr_assert_fail("no test drives the saga op %s", op->name);
			return;
		}
		cr_assert(r->ok, "%s: %s: %s", op->name, r->code_name, r->message);
		cr_assert(r->saga[0] != '\0', "%s: no saga id", op->name);
		h_ok(u.c, "saga.get", "saga_id:s", r->saga);
	}
}

Test(sagas, ops_that_are_not_sagas_carry_no_saga_id)
{
	struct h_user u;
	h_user_new(&u);
	const struct ag_reply *r = h_call(u.c, "auth.me", "");
	cr_assert(r->ok);
	cr_assert_str_eq(r->saga, "");
	cr_assert_not(h_has_key(r->root, "saga"));
}

Test(sagas, someone_elses_saga_is_not_found)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	const struct ag_reply *r = h_call(a.c, "post.create", "content:s", "private");
	cr_assert(r->ok && r->saga[0]);
	h_err(AG_E_NOT_FOUND, b.c, "saga.get", "saga_id:s", r->saga);
	h_ok(a.c, "saga.get", "saga_id:s", r->saga);
}

Test(sagas, unknown_saga_is_not_found)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_NOT_FOUND, u.c, "saga.get", "saga_id:s", "no-such-saga");
	h_err(AG_E_NOT_FOUND, u.c, "saga.get", "saga_id:s", h_repeat("f", 64));
}

Test(sagas, saga_get_checks_its_argument)
{
	struct h_user u;
	h_user_new(&u);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "saga.get", "saga_id:s", "")->field,
		"saga_id");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "saga.get", "saga_id:s",
		h_repeat("f", 65))->field, "saga_id");
	h_err(AG_E_UNAUTHORIZED, h_client(), "saga.get", "saga_id:s", "anything");
}

/* A saga an older version left unfinished, its context still one JSON
 * object, is finished after the upgrade from what that context saved: the
 * comment a half-done post deletion removed comes back, id and all. */
Test(sagas, a_saga_an_older_version_left_unfinished_is_compensated_from_its_context)
{
	const char *saga = "0000000000010000aaaaaaaaaaaaaaaa";
	const char *path = h_v1_database(h_fmt(
		"INSERT INTO users (id, username, email, password_hash, created_at) VALUES"
		" (1, 'olda', 'olda@example.com', 'x', 1), (2, 'oldb', 'oldb@example.com', 'x', 1);"
		"INSERT INTO posts (id, author_id, content, created_at) VALUES (1, 1, 'old post', 2);"
		"INSERT INTO comments (id, post_id, author_id, content, created_at)"
		" VALUES (7, 1, 2, 'kept by the log', 5);"
		"DELETE FROM comments WHERE id = 7;"
		"INSERT INTO sagas (id, type, state, initiator, context, created_at, updated_at)"
		" VALUES ('%s', 'delete_post', 'running', 1, '{\"post_id\": 1, \"comments\": [{\"id\":"
		" 7, \"post_id\": 1, \"author_id\": 2, \"content\": \"kept by the log\","
		" \"created_at\": 5}]}', 10, 10);"
		"INSERT INTO saga_steps (saga_id, name, status, at)"
		" VALUES ('%s', 'delete_comments', 'completed', 10);", saga, saga));
	struct h_server s;
	cr_assert(h_server_start_args(&s, NULL, (const char *[]){"--db", path, NULL}));
	h_test_fini();
	cr_assert_eq(h_server_stop(&s), 0);
	/* Recovery ran before the server answered its first request. */
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM comments WHERE id = 7 "
		"AND post_id = 1 AND author_id = 2 AND content = 'kept by the log' AND "
		"created_at = 5) || ' ' || (SELECT comment_count FROM posts WHERE id = 1) || ' ' || "
		"(SELECT state FROM sagas WHERE id = ?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, saga, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	/* the comment back, counted, and the saga compensated */
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "1 1 compensated");
	sqlite3_finalize(st);
	sqlite3_close(db);
	h_v1_database_remove(path);
}
