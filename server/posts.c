/* posts.c: posts and their hashtags.
 *
 * post.create runs the create_post saga (create_post, extract_hashtags,
 * attach_media, notify_mentions); post.delete runs delete_post, whose
 * steps remove the post's comments, likes, hashtag links, notifications
 * (likes, comments, mentions) and photo before the post itself. Each
 * deletion step saves the rows it removes in the saga's context, in the
 * same transaction, so its compensation can put them back exactly (same
 * ids, same timestamps). Also here: the Post object packers that the feed,
 * search and user pages share.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "buf.h"
#include "log.h"
#include "server.h"
#include "utf8.h"

#define MAX_TAGS_PER_POST 30

/* ---- helpers ---- */

/* Runs sql (a string literal) with ?1 bound to id; returns SQLite's code. */
static int exec_with_id(struct db *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_prep(db, sql);
	if (!st)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return sqlite3_step(st);
}

/* Deletes a post and every row linked to it. Returns SQLite's code
 * (SQLITE_DONE when done); sqlite3_changes() then counts the posts. */
static int delete_post_rows(struct db *db, int64_t post_id)
{
	int rc = exec_with_id(db, "DELETE FROM post_hashtags WHERE post_id = ?1", post_id);
	if (rc == SQLITE_DONE)
		rc = exec_with_id(db, "DELETE FROM likes WHERE post_id = ?1", post_id);
	if (rc == SQLITE_DONE)
		rc = exec_with_id(db, "DELETE FROM comments WHERE post_id = ?1", post_id);
	if (rc == SQLITE_DONE)
		rc = exec_with_id(db, "DELETE FROM notifications "
			"WHERE type IN ('like', 'comment', 'mention') AND reference_id = ?1", post_id);
	if (rc == SQLITE_DONE)
		rc = exec_with_id(db, "DELETE FROM posts WHERE id = ?1", post_id);
	return rc;
}

/* ---- the Post object ---- */

/* Packs posts.tags (names separated by one space) as an array. */
static void pack_tags(msgpack_packer *pk, const char *tags)
{
	uint32_t n = 0;
	for (const char *t = tags; t && *t; n++) {
		const char *space = strchr(t, ' ');
		t = space ? space + 1 : t + strlen(t);
	}
	msgpack_pack_array(pk, n);
	for (const char *t = tags; t && *t;) {
		const char *space = strchr(t, ' ');
		size_t len = space ? (size_t)(space - t) : strlen(t);
		ag_pack_strn(pk, t, len);
		t += len + (space ? 1 : 0);
	}
}

enum ag_err pack_post_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 11);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "author_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 1));
	ag_pack_key(pk, "author_username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "content");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "image_url");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "like_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	ag_pack_key(pk, "comment_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 6));
	ag_pack_key(pk, "media");
	pack_media_at(pk, st, 10);
	ag_pack_key(pk, "liked_by_me");
	if (sqlite3_column_int(st, 8))
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	ag_pack_key(pk, "hashtags");
	pack_tags(pk, (const char *)sqlite3_column_text(st, 9));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 7));
	return AG_OK;
}

enum ag_err pack_post_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " POST_COLUMNS " FROM posts p" POST_MEDIA_JOIN "WHERE p.id = ?2");
	if (!st)
		return req_db_error(rq, "post lookup");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Post not found.");
	if (rc != SQLITE_ROW)
		return req_db_error(rq, "post lookup");
	enum ag_err err = pack_post_row(rq, pk, st);
	sqlite3_reset(st);
	return err;
}

/* ---- saga create_post ---- */

static enum ag_err step_create_post(struct saga_run *run)
{
	char *content = saga_get_str(run, "content");
	char *image_url = saga_get_str(run, "image_url");
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO posts (author_id, content, image_url, created_at) VALUES (?, ?, ?, ?)");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, run->initiator);
		db_bind_text(st, 2, content);
		db_bind_text(st, 3, image_url);
		sqlite3_bind_int64(st, 4, run->now);
		rc = sqlite3_step(st);
	}
	free(content);
	free(image_url);
	if (rc != SQLITE_DONE)
		return saga_db_error(run, "insert post");
	return saga_set_int(run, "post_id", sqlite3_last_insert_rowid(run->db->conn));
}

/* Removes the post and whatever got linked to it meanwhile (a photo is
 * left unattached, not removed). */
static enum ag_err undo_create_post(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id");
	enum ag_err err = media_detach(run, false, post_id);
	if (err != AG_OK)
		return err;
	if (delete_post_rows(run->db, post_id) != SQLITE_DONE)
		return saga_db_error(run, "remove post");
	return AG_OK;
}

static bool is_tag_char(uint32_t cp)
{
	return cp == '_' || iswalnum((wint_t)cp);
}

/* A '#' right after one of these is inside a word, a path, a query or an
 * entity ("a#b", "C#", "x.org/#top", "?q=#x", "&#35;"): no hashtag. */
static bool blocks_hashtag(uint32_t cp)
{
	return is_tag_char(cp) || cp == '.' || cp == '/' || cp == '#' || cp == '&' ||
		cp == '?' || cp == '=' || cp == ':';
}

/* The length of the URL token at s, from "http://" or "https://" (any
 * case) to the next white space; 0 when s does not start one. */
static size_t url_token_len(const char *s, size_t len)
{
	size_t scheme = len >= 7 && strncasecmp(s, "http://", 7) == 0 ? 7
		: len >= 8 && strncasecmp(s, "https://", 8) == 0 ? 8 : 0;
	if (scheme == 0)
		return 0;
	size_t i = scheme;
	uint32_t cp;
	int n;
	while (i < len && (n = ag_utf8_decode(s + i, len - i, &cp)) > 0 && !ag_is_white_space(cp))
		i += (size_t)n;
	return i;
}

/* Links post_id to every hashtag of text, the first MAX_TAGS_PER_POST
 * distinct ones in order of first appearance, lowercased. A hashtag is
 * '#' then letters, digits or '_' (Unicode), where the '#' starts the text
 * or follows a character that does not block it (blocks_hashtag), and is
 * not inside a URL token. */
static enum ag_err link_hashtags(struct saga_run *run, int64_t post_id, const char *text)
{
	size_t len = strlen(text), i = 0;
	int linked = 0;
	uint32_t prev = ' ';   /* the start of the text counts as white space */
	struct ag_buf tag = {0};
	enum ag_err err = AG_OK;
	while (i < len && linked < MAX_TAGS_PER_POST) {
		size_t url = url_token_len(text + i, len - i);
		if (url > 0) {
			i += url;
			prev = '/';
			continue;
		}
		uint32_t cp;
		int n = ag_utf8_decode(text + i, len - i, &cp);
		if (n <= 0)
			break;
		i += (size_t)n;
		bool starts_tag = cp == '#' && !blocks_hashtag(prev);
		prev = cp;
		if (!starts_tag)
			continue;
		ag_buf_reset(&tag);
		while ((n = ag_utf8_decode(text + i, len - i, &cp)) > 0 && is_tag_char(cp)) {
			char lower[4];
			ag_buf_append(&tag, lower, (size_t)ag_utf8_encode((uint32_t)towlower((wint_t)cp), lower));
			i += (size_t)n;
			prev = cp;
		}
		if (tag.len == 0)
			continue;

		sqlite3_stmt *st = db_prep(run->db, "INSERT OR IGNORE INTO hashtags (name) VALUES (?)");
		if (st)
			sqlite3_bind_text(st, 1, tag.data, (int)tag.len, SQLITE_STATIC);
		if (!st || sqlite3_step(st) != SQLITE_DONE) {
			err = saga_db_error(run, "insert hashtag");
			break;
		}
		if (sqlite3_changes(run->db->conn) > 0 && (err = saga_append_int(run,
				"new_hashtag_ids", sqlite3_last_insert_rowid(run->db->conn))) != AG_OK)
			break;
		st = db_prep(run->db,
			"INSERT OR IGNORE INTO post_hashtags (post_id, hashtag_id, position) "
			"SELECT ?1, id, ?2 FROM hashtags WHERE name = ?3");
		if (!st) {
			err = saga_db_error(run, "link hashtag");
			break;
		}
		sqlite3_bind_int64(st, 1, post_id);
		sqlite3_bind_int(st, 2, linked);
		sqlite3_bind_text(st, 3, tag.data, (int)tag.len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			err = saga_db_error(run, "link hashtag");
			break;
		}
		if (sqlite3_changes(run->db->conn) > 0)
			linked++;
	}
	ag_buf_free(&tag);
	return err;
}

/* Links the hashtags. */
static enum ag_err step_extract_hashtags(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id");
	char *content = saga_get_str(run, "content");
	enum ag_err err = AG_OK;
	if (content)
		err = link_hashtags(run, post_id, content);
	free(content);
	return err;
}

/* Attaches the context's media_id (if any) to the post, then queues the
 * finished Post, photo and hashtags included, for the author's followers. */
static enum ag_err step_attach_media(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id"), media_id = saga_get_int(run, "media_id");
	enum ag_err err = media_id ? media_attach(run, media_id, false, post_id) : AG_OK;
	if (err == AG_OK)
		err = saga_emit(run, "post", PUSH_TO_FOLLOWERS, run->initiator, 0,
			pack_post_by_id, post_id);
	return err;
}

static enum ag_err undo_attach_media(struct saga_run *run)
{
	return media_detach(run, false, saga_get_int(run, "post_id"));
}

/* Unlinks the post's hashtags (their post_count follows the links, by
 * triggers), then removes the hashtags this step created that no other
 * post took up meanwhile. */
static enum ag_err undo_extract_hashtags(struct saga_run *run)
{
	if (exec_with_id(run->db, "DELETE FROM post_hashtags WHERE post_id = ?1",
			saga_get_int(run, "post_id")) != SQLITE_DONE)
		return saga_db_error(run, "unlink hashtags");
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM hashtags WHERE post_count = 0 AND id IN ("
		"SELECT val FROM saga_values WHERE saga_id = ?1 AND key = 'new_hashtag_ids' "
		"AND idx > 0)");
	if (!st)
		return saga_db_error(run, "remove new hashtags");
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "remove new hashtags");
	return AG_OK;
}

static const struct saga_step create_post_steps[] = {
	{"create_post", step_create_post, undo_create_post},
	{"extract_hashtags", step_extract_hashtags, undo_extract_hashtags},
	{"attach_media", step_attach_media, undo_attach_media},
	{"notify_mentions", saga_notify_mentions, saga_unnotify_mentions},
};

static enum ag_err create_post_reply(struct saga_run *run, struct req *rq)
{
	return pack_post_by_id(rq, rq->out, saga_get_int(run, "post_id"));
}

const struct saga_def saga_create_post = {
	"create_post", create_post_steps, sizeof create_post_steps / sizeof create_post_steps[0],
	create_post_reply,
};

enum ag_err h_post_create(struct req *rq)
{
	const char *content = ag_arg_str(rq->args, "content");
	const char *image_url = ag_arg_str(rq->args, "image_url");
	int64_t media_id = ag_arg_int(rq->args, "media_id", 0);
	if (content && !*content)
		content = NULL;
	if (image_url && !*image_url)
		image_url = NULL;
	if (!content && !image_url && !media_id)
		return req_fail(rq, AG_E_BAD_REQUEST,
			"A post needs content, an image URL or a photo.");
	if (content && !image_url && !media_id && ag_text_is_blank(content, strlen(content)))
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "content",
			"content must not be only white space unless the post has an image.");

	struct saga_run run;
	enum ag_err err = saga_begin(&run, rq, &saga_create_post);
	if (err == AG_OK && content)
		err = saga_set_str(&run, "content", content);
	if (err == AG_OK && image_url)
		err = saga_set_str(&run, "image_url", image_url);
	if (err == AG_OK && media_id)
		err = saga_set_int(&run, "media_id", media_id);
	if (err == AG_OK)
		err = saga_execute(&run);
	if (err != AG_OK)
		return err;
	return run.def->reply(&run, rq);
}

enum ag_err h_post_get(struct req *rq)
{
	return pack_post_by_id(rq, rq->out, ag_arg_int(rq->args, "post_id", 0));
}

/* ---- saga delete_post ---- */

/* Runs save_sql (?1 = post id, ?2 = saga id), which copies the rows about
 * to go into the saga's context, then delete_sql (?1 = post id). Both are
 * string literals, as db_prep wants. */
static enum ag_err save_and_delete(struct saga_run *run, const char *save_sql,
	const char *delete_sql, const char *what)
{
	int64_t post_id = saga_get_int(run, "post_id");
	sqlite3_stmt *st = db_prep(run->db, save_sql);
	if (!st)
		return saga_db_error(run, what);
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_text(st, 2, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || exec_with_id(run->db, delete_sql, post_id) != SQLITE_DONE)
		return saga_db_error(run, what);
	return AG_OK;
}

/* Runs restore_sql (?1 = saga id): puts back rows saved by save_and_delete.
 * INSERT OR IGNORE makes it safe to repeat. */
static enum ag_err restore_saved(struct saga_run *run, const char *restore_sql, const char *what)
{
	sqlite3_stmt *st = db_prep(run->db, restore_sql);
	if (!st)
		return saga_db_error(run, what);
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, what);
	return AG_OK;
}

static enum ag_err step_delete_comments(struct saga_run *run)
{
	return save_and_delete(run,
		"INSERT OR REPLACE INTO saga_values (saga_id, key, idx, val) "
		"VALUES (?2, 'comments', 0, ("
		"SELECT json_group_array(json_object('id', id, 'post_id', post_id, "
		"'author_id', author_id, 'content', content, 'created_at', created_at)) "
		"FROM comments WHERE post_id = ?1))",
		"DELETE FROM comments WHERE post_id = ?1",
		"delete comments");
}

static enum ag_err undo_delete_comments(struct saga_run *run)
{
	return restore_saved(run,
		"INSERT OR IGNORE INTO comments (id, post_id, author_id, content, created_at) "
		"SELECT value ->> 'id', value ->> 'post_id', value ->> 'author_id', "
		"value ->> 'content', value ->> 'created_at' "
		"FROM saga_values v, json_each(v.val) "
		"WHERE v.saga_id = ?1 AND v.key = 'comments' AND v.idx = 0",
		"restore comments");
}

static enum ag_err step_delete_likes(struct saga_run *run)
{
	return save_and_delete(run,
		"INSERT OR REPLACE INTO saga_values (saga_id, key, idx, val) "
		"VALUES (?2, 'likes', 0, ("
		"SELECT json_group_array(json_object('post_id', post_id, 'user_id', user_id, "
		"'created_at', created_at)) "
		"FROM likes WHERE post_id = ?1))",
		"DELETE FROM likes WHERE post_id = ?1",
		"delete likes");
}

static enum ag_err undo_delete_likes(struct saga_run *run)
{
	return restore_saved(run,
		"INSERT OR IGNORE INTO likes (post_id, user_id, created_at) "
		"SELECT value ->> 'post_id', value ->> 'user_id', value ->> 'created_at' "
		"FROM saga_values v, json_each(v.val) "
		"WHERE v.saga_id = ?1 AND v.key = 'likes' AND v.idx = 0",
		"restore likes");
}

static enum ag_err step_delete_hashtags(struct saga_run *run)
{
	return save_and_delete(run,
		"INSERT OR REPLACE INTO saga_values (saga_id, key, idx, val) "
		"VALUES (?2, 'hashtags', 0, ("
		"SELECT json_group_array(json_object('post_id', post_id, 'hashtag_id', hashtag_id, "
		"'position', position)) "
		"FROM post_hashtags WHERE post_id = ?1))",
		"DELETE FROM post_hashtags WHERE post_id = ?1",
		"delete hashtag links");
}

static enum ag_err undo_delete_hashtags(struct saga_run *run)
{
	return restore_saved(run,
		"INSERT OR IGNORE INTO post_hashtags (post_id, hashtag_id, position) "
		"SELECT value ->> 'post_id', value ->> 'hashtag_id', value ->> 'position' "
		"FROM saga_values v, json_each(v.val) "
		"WHERE v.saga_id = ?1 AND v.key = 'hashtags' AND v.idx = 0",
		"restore hashtag links");
}

static enum ag_err step_delete_notifications(struct saga_run *run)
{
	return save_and_delete(run,
		"INSERT OR REPLACE INTO saga_values (saga_id, key, idx, val) "
		"VALUES (?2, 'notifications', 0, ("
		"SELECT json_group_array(json_object('id', id, 'user_id', user_id, "
		"'actor_id', actor_id, 'type', type, 'reference_id', reference_id, "
		"'message', message, 'is_read', is_read, 'created_at', created_at)) "
		"FROM notifications WHERE type IN ('like', 'comment', 'mention') AND reference_id = ?1))",
		"DELETE FROM notifications WHERE type IN ('like', 'comment', 'mention') AND reference_id = ?1",
		"delete notifications");
}

static enum ag_err undo_delete_notifications(struct saga_run *run)
{
	return restore_saved(run,
		"INSERT OR IGNORE INTO notifications "
		"(id, user_id, actor_id, type, reference_id, message, is_read, created_at) "
		"SELECT value ->> 'id', value ->> 'user_id', value ->> 'actor_id', value ->> 'type', "
		"value ->> 'reference_id', value ->> 'message', value ->> 'is_read', "
		"value ->> 'created_at' "
		"FROM saga_values v, json_each(v.val) "
		"WHERE v.saga_id = ?1 AND v.key = 'notifications' AND v.idx = 0",
		"restore notifications");
}

/* Takes the photo off the post and marks it as this saga's to remove: it
 * is kept until the last step, so the compensation can put it back. */
static enum ag_err step_delete_media(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"UPDATE media SET deleting_saga = ?2, post_id = NULL WHERE post_id = ?1");
	if (!st)
		return saga_db_error(run, "delete photo");
	int64_t post_id = saga_get_int(run, "post_id");
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_text(st, 2, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "delete photo");
	return AG_OK;
}

static enum ag_err undo_delete_media(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"UPDATE media SET post_id = ?1, deleting_saga = NULL WHERE deleting_saga = ?2");
	if (!st)
		return saga_db_error(run, "restore photo");
	sqlite3_bind_int64(st, 1, saga_get_int(run, "post_id"));
	sqlite3_bind_text(st, 2, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "restore photo");
	return AG_OK;
}

/* The last step: when it commits the saga has nothing left that could
 * fail, so it needs no compensation. Anything linked to the post since
 * the earlier steps ran goes with it, and the photo delete_media kept. */
static enum ag_err step_delete_post(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id");
	sqlite3_stmt *st = db_prep(run->db,
		"DELETE FROM media WHERE deleting_saga = ?2 OR post_id = ?1");
	if (!st)
		return saga_db_error(run, "delete photo");
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_text(st, 2, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "delete photo");
	if (delete_post_rows(run->db, post_id) != SQLITE_DONE)
		return saga_db_error(run, "delete post");
	if (sqlite3_changes(run->db->conn) == 0)
		return saga_fail(run, AG_E_NOT_FOUND, "Post not found.");
	return AG_OK;
}

static const struct saga_step delete_post_steps[] = {
	{"delete_comments", step_delete_comments, undo_delete_comments},
	{"delete_likes", step_delete_likes, undo_delete_likes},
	{"delete_hashtags", step_delete_hashtags, undo_delete_hashtags},
	{"delete_notifications", step_delete_notifications, undo_delete_notifications},
	{"delete_media", step_delete_media, undo_delete_media},
	{"delete_post", step_delete_post, NULL},
};

static enum ag_err delete_post_reply(struct saga_run *run, struct req *rq)
{
	(void)run;
	msgpack_pack_nil(rq->out);
	return AG_OK;
}

const struct saga_def saga_delete_post = {
	"delete_post", delete_post_steps, sizeof delete_post_steps / sizeof delete_post_steps[0],
	delete_post_reply,
};

enum ag_err post_author(struct db *db, int64_t post_id, int64_t *author, struct ag_error *err)
{
	sqlite3_stmt *st = db_prep(db, "SELECT author_id FROM posts WHERE id = ?1");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, post_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*author = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (rc == SQLITE_ROW)
		return AG_OK;
	if (rc == SQLITE_DONE)
		return ag_error_set(err, AG_E_NOT_FOUND, NULL, "Post not found.");
	ag_error("post lookup: %s", sqlite3_errmsg(db->conn));
	return ag_error_set(err, AG_E_INTERNAL, NULL, "The server could not complete the request.");
}

enum ag_err h_post_delete(struct req *rq)
{
	int64_t post_id = ag_arg_int(rq->args, "post_id", 0), author;
	if (post_author(rq->db, post_id, &author, rq->err) != AG_OK)
		return rq->err->code;
	if (author != rq->uid)
		return req_fail(rq, AG_E_FORBIDDEN, "Only the author can delete a post.");

	struct saga_run run;
	enum ag_err err = saga_begin(&run, rq, &saga_delete_post);
	if (err == AG_OK)
		err = saga_set_int(&run, "post_id", post_id);
	if (err == AG_OK)
		err = saga_execute(&run);
	if (err != AG_OK)
		return err;
	return run.def->reply(&run, rq);
}

/* ---- lists ---- */

enum ag_err h_user_posts(struct req *rq)
{
	int64_t user_id = ag_arg_int(rq->args, "user_id", 0);
	enum ag_err err = user_require(rq, user_id);
	if (err != AG_OK)
		return err;
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " POST_COLUMNS " FROM posts p" POST_MEDIA_JOIN
		"WHERE p.author_id = ?2 AND p.id < ?3 ORDER BY p.id DESC LIMIT ?4 OFFSET ?5");
	if (!st)
		return req_db_error(rq, "user posts");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, req_before_id(rq));
	sqlite3_bind_int64(st, 4, req_limit(rq));
	sqlite3_bind_int64(st, 5, req_offset(rq));
	return pack_rows(rq, st, pack_post_row);
}
