/* test_mentions.c: @username in a post or a comment notifies that user
 * (type mention, reference_id the post, "alice mentioned you"), once per
 * post or comment; never the author, an unknown name, a name inside a word
 * or an email address, or a user the same comment already notified. The
 * notify_mentions step is logged, and deleting the post deletes its
 * mentions. Also: a database from before mentions upgrades in place. */
#include "harness.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

H_SERVER_PER_FILE(NULL)
TestSuite(mentions, .fini = h_test_fini);

static int64_t create_post(struct h_user *u, const char *content)
{
	return ag_obj_int(h_ok(u->c, "post.create", "content:s", content), "id");
}

static int64_t comment(struct h_user *u, int64_t post, const char *content)
{
	return ag_obj_int(h_ok(u->c, "comment.create", "post_id:i content:s", post, content), "id");
}

/* How many mention notifications `to` has about post. */
static int64_t mentions_of(const struct h_user *to, int64_t post)
{
	return h_db_int("SELECT count(*) FROM notifications WHERE type = 'mention' "
		"AND user_id = ?1 AND reference_id = ?2", 2, to->id, post);
}

/* How many notifications `by` caused, of any type. */
static int64_t caused_by(const struct h_user *by)
{
	return h_db_int("SELECT count(*) FROM notifications WHERE actor_id = ?1", 1, by->id);
}

static const char *upper(const char *s)
{
	char *u = (char *)h_fmt("%s", s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* Asserts the newest notification of `to` is by's mention about post. */
static void assert_mentioned(struct h_user *to, const struct h_user *by, int64_t post)
{
	const msgpack_object *n = ag_obj_at(h_ok(to->c, "notification.list", ""), 0);
	cr_assert_not_null(n, "%s has no notification", to->username);
	h_assert_str(n, "type", "mention");
	cr_assert_eq(ag_obj_int(n, "user_id"), to->id);
	cr_assert_eq(ag_obj_int(n, "actor_id"), by->id);
	h_assert_str(n, "actor_username", by->username);
	cr_assert_eq(ag_obj_int(n, "reference_id"), post);
	h_assert_str(n, "message", h_fmt("%s mentioned you", by->username));
	cr_assert_not(ag_obj_bool(n, "is_read"));
}

Test(mentions, a_post_notifies_each_named_user_once)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t post = create_post(&a, h_fmt("hi @%s and @%s, again @%s\n@%s",
		b.username, c.username, b.username, upper(b.username)));
	assert_mentioned(&b, &a, post);
	assert_mentioned(&c, &a, post);
	cr_assert_eq(mentions_of(&b, post), 1);
	cr_assert_eq(mentions_of(&c, post), 1);
	cr_assert_eq(caused_by(&a), 2);
	cr_assert_eq(ag_obj_int(h_ok(b.c, "inbox.counts", ""), "notifications_unread"), 1);
}

Test(mentions, the_name_in_any_case)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	int64_t post = create_post(&a, h_fmt("@%s", upper(b.username)));
	assert_mentioned(&b, &a, post);
}

Test(mentions, mentioning_myself_notifies_nobody)
{
	struct h_user a;
	h_user_new(&a);
	int64_t post = create_post(&a, h_fmt("note to self: @%s", a.username));
	comment(&a, post, h_fmt("@%s again", upper(a.username)));
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1", 1, a.id), 0);
}

Test(mentions, unknown_and_malformed_names_notify_nobody)
{
	struct h_user a;
	h_user_new(&a);
	create_post(&a, h_fmt("@%s @ab @%s @ @@ @.. @-x", h_unique("nobody"), h_repeat("z", 31)));
	cr_assert_eq(caused_by(&a), 0);
}

Test(mentions, punctuation_around_the_name)
{
	struct h_user a, u[7];
	h_user_new(&a);
	for (int i = 0; i < 7; i++)
		h_user_new(&u[i]);
	int64_t post = create_post(&a, h_fmt("(@%s) @%s, \"@%s\" @%s! @%s: -@%s end @%s.",
		u[0].username, u[1].username, u[2].username, u[3].username, u[4].username,
		u[5].username, u[6].username));
	for (int i = 0; i < 7; i++)
		cr_assert_eq(mentions_of(&u[i], post), 1, "%s (%d) was not mentioned",
			u[i].username, i);
}

Test(mentions, an_at_inside_a_word_or_an_email_address_is_no_mention)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	/* b's name after letters, digits, '_' and '.' (an email address's
	 * domain among them) */
	create_post(&a, h_fmt("bob@%s.com x@%s 7@%s _@%s .@%s caf\xc3\xa9@%s",
		b.username, b.username, b.username, b.username, b.username, b.username));
	cr_assert_eq(caused_by(&a), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1", 1, b.id), 0);
}

Test(mentions, a_comment_mentions_once_per_comment)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t post = create_post(&a, "a quiet post");
	comment(&b, post, h_fmt("@%s look, @%s!", c.username, c.username));
	assert_mentioned(&c, &b, post);
	cr_assert_eq(mentions_of(&c, post), 1);
	comment(&b, post, h_fmt("@%s once more", c.username));
	cr_assert_eq(mentions_of(&c, post), 2, "a second comment is a second mention");
}

Test(mentions, the_post_author_notified_of_the_comment_gets_no_mention)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t post = create_post(&a, "mine");
	comment(&b, post, h_fmt("@%s and @%s", a.username, c.username));
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE user_id = ?1", 1, a.id), 1);
	h_assert_str(ag_obj_at(h_ok(a.c, "notification.list", ""), 0), "type", "comment");
	assert_mentioned(&c, &b, post);
	/* On my own post nobody gets a comment notification: a mention is due. */
	int64_t bs = create_post(&b, "b's own");
	comment(&b, bs, h_fmt("cc @%s", a.username));
	assert_mentioned(&a, &b, bs);
}

Test(mentions, the_step_is_logged_for_posts_and_comments)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	static const char *const sagas[2][5] = {
		{"create_post", "extract_hashtags", "attach_media", "notify_mentions", NULL},
		{"create_comment", "create_notification", "notify_mentions", NULL},
	};
	static const size_t n_steps[2] = {4, 3};
	const struct ag_reply *r[2];
	r[0] = h_call(a.c, "post.create", "content:s", h_fmt("@%s", b.username));
	cr_assert(r[0]->ok);
	r[1] = h_call(b.c, "comment.create", "post_id:i content:s",
		ag_obj_int(r[0]->data, "id"), h_fmt("@%s", a.username));
	cr_assert(r[1]->ok);
	for (int k = 0; k < 2; k++) {
		const msgpack_object *s = h_ok(k ? b.c : a.c, "saga.get", "saga_id:s", r[k]->saga);
		h_assert_str(s, "state", "completed");
		const msgpack_object *steps = ag_obj_get(s, "steps");
		cr_assert_eq(ag_obj_len(steps), n_steps[k]);
		for (size_t i = 0; i < n_steps[k]; i++) {
			h_assert_str(ag_obj_at(steps, i), "name", sagas[k][i]);
			h_assert_str(ag_obj_at(steps, i), "status", "completed");
		}
	}
}

Test(mentions, deleting_the_post_deletes_its_mentions)
{
	struct h_user a, b, c;
	h_user_new(&a);
	h_user_new(&b);
	h_user_new(&c);
	int64_t post = create_post(&a, h_fmt("@%s", b.username));
	comment(&b, post, h_fmt("@%s", c.username));
	int64_t kept = create_post(&a, h_fmt("@%s stays", b.username));
	cr_assert_eq(mentions_of(&b, post) + mentions_of(&c, post), 2);
	h_ok(a.c, "post.delete", "post_id:i", post);
	cr_assert_eq(h_db_int("SELECT count(*) FROM notifications WHERE reference_id = ?1 "
		"AND type = 'mention'", 1, post), 0);
	cr_assert_eq(ag_obj_len(h_ok(c.c, "notification.list", "")), 0);
	cr_assert_eq(mentions_of(&b, kept), 1);
	h_assert_counters();
}

/* ---- the schema migration that allows mentions ---- */

/* An old database keeps its notifications, ids and is_read included, and
 * never hands out an id it used before, even one whose row is gone. */
Test(mentions, an_old_database_keeps_its_notifications_and_ids)
{
	const char *path = h_v1_database("INSERT INTO users (id, username, email, password_hash, created_at) VALUES"
		" (1, 'olda', 'olda@example.com', 'x', 1), (2, 'oldb', 'oldb@example.com', 'x', 1);"
		"INSERT INTO notifications (user_id, actor_id, type, reference_id, message, is_read,"
		" created_at) VALUES (1, 2, 'follow', 2, 'oldb started following you', 1, 5),"
		" (2, 1, 'follow', 1, 'olda started following you', 0, 6),"
		" (2, 1, 'follow', 1, 'gone', 0, 7);"
		"DELETE FROM notifications WHERE id = 3");

	struct h_server s;
	cr_assert(h_server_start_args(&s, NULL, (const char *[]){"--db", path, NULL}));
	h_use_server(&s);
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	int64_t post = create_post(&a, h_fmt("@%s", b.username));
	const msgpack_object *list = h_ok(b.c, "notification.list", "");
	cr_assert_eq(ag_obj_len(list), 1);
	h_assert_str(ag_obj_at(list, 0), "type", "mention");
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "reference_id"), post);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), 4,
		"the first new notification did not follow the old ids");
	h_test_fini();
	cr_assert_eq(h_server_stop(&s), 0);

	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT group_concat(id || ':' || user_id || ':' || "
		"is_read || ':' || message, ',') FROM (SELECT * FROM notifications WHERE id < 4 "
		"ORDER BY id)", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
		"1:1:1:oldb started following you,2:2:0:olda started following you");
	sqlite3_finalize(st);
	sqlite3_close(db);
	h_v1_database_remove(path);
}
