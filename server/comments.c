/* comments.c: comments on posts.
 *
 * comment.create runs the comment saga (create_comment, a notification
 * for the post's author, then one for each user the comment mentions who
 * did not get that one); comment.delete is one plain
 * transaction, allowed to the comment's author and the post's author.
 */
#include <stdlib.h>

#include "server.h"

#define COMMENT_SELECT "SELECT c.id, c.post_id, c.author_id, u.username, c.content, c.created_at " \
	"FROM comments c JOIN users u ON u.id = c.author_id "

static enum ag_err pack_comment_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 6);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "post_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 1));
	ag_pack_key(pk, "author_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 2));
	ag_pack_key(pk, "author_username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "content");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	return AG_OK;
}

enum ag_err pack_comment_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db, COMMENT_SELECT "WHERE c.id = ?");
	if (!st)
		return req_db_error(rq, "comment lookup");
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Comment not found.");
	if (rc != SQLITE_ROW)
		return req_db_error(rq, "comment lookup");
	enum ag_err err = pack_comment_row(rq, pk, st);
	sqlite3_reset(st);
	return err;
}

/* ---- saga comment ---- */

static enum ag_err step_create_comment(struct saga_run *run)
{
	char *content = saga_get_str(run, "content");
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO comments (post_id, author_id, content, created_at) "
		"SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1)");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, saga_get_int(run, "post_id"));
		sqlite3_bind_int64(st, 2, run->initiator);
		db_bind_text(st, 3, content);
		sqlite3_bind_int64(st, 4, run->now);
		rc = sqlite3_step(st);
	}
	free(content);
	if (rc != SQLITE_DONE)
		return saga_db_error(run, "insert comment");
	if (sqlite3_changes(run->db->conn) == 0)
		return saga_fail(run, AG_E_NOT_FOUND, "Post not found.");
	return saga_set_int(run, "comment_id", sqlite3_last_insert_rowid(run->db->conn));
}

static enum ag_err undo_create_comment(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM comments WHERE id = ?");
	if (!st)
		return saga_db_error(run, "remove comment");
	sqlite3_bind_int64(st, 1, saga_get_int(run, "comment_id"));
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "remove comment");
	return AG_OK;
}

/* Tells the post's author (saga_notify skips commenting on your own post). */
static enum ag_err step_notify_comment(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id"), author;
	if (post_author(run->db, post_id, &author, run->err) != AG_OK)
		return run->err->code;
	return saga_notify(run, author, "comment", post_id);
}

static const struct saga_step comment_steps[] = {
	{"create_comment", step_create_comment, undo_create_comment},
	{"create_notification", step_notify_comment, saga_unnotify},
	{"notify_mentions", saga_notify_mentions, saga_unnotify_mentions},
};

static enum ag_err comment_reply(struct saga_run *run, struct req *rq)
{
	return pack_comment_by_id(rq, rq->out, saga_get_int(run, "comment_id"));
}

const struct saga_def saga_comment = {
	"comment", comment_steps, sizeof comment_steps / sizeof comment_steps[0], comment_reply,
};

/* ---- handlers ---- */

enum ag_err h_comment_create(struct req *rq)
{
	int64_t post_id = ag_arg_int(rq->args, "post_id", 0);
	int64_t author;
	if (post_author(rq->db, post_id, &author, rq->err) != AG_OK)
		return rq->err->code;

	struct saga_run run;
	enum ag_err err = saga_begin(&run, rq, &saga_comment);
	if (err == AG_OK)
		err = saga_set_int(&run, "post_id", post_id);
	if (err == AG_OK)
		err = saga_set_str(&run, "content", ag_arg_str(rq->args, "content"));
	if (err == AG_OK)
		err = saga_execute(&run);
	if (err != AG_OK)
		return err;
	return run.def->reply(&run, rq);
}

/* Checks that the caller may delete comment_id and deletes it; runs
 * inside the caller's transaction. */
static enum ag_err delete_comment(struct req *rq, int64_t comment_id)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT c.author_id, p.author_id FROM comments c JOIN posts p ON p.id = c.post_id "
		"WHERE c.id = ?");
	if (!st)
		return req_db_error(rq, "comment lookup");
	sqlite3_bind_int64(st, 1, comment_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Comment not found.");
	if (rc != SQLITE_ROW)
		return req_db_error(rq, "comment lookup");
	int64_t comment_author = sqlite3_column_int64(st, 0);
	int64_t post_author = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (rq->uid != comment_author && rq->uid != post_author)
		return req_fail(rq, AG_E_FORBIDDEN,
			"Only the comment's author or the post's author can delete it.");

	st = db_prep(rq->db, "DELETE FROM comments WHERE id = ?");
	if (!st)
		return req_db_error(rq, "delete comment");
	sqlite3_bind_int64(st, 1, comment_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return req_db_error(rq, "delete comment");
	return AG_OK;
}

enum ag_err h_comment_delete(struct req *rq)
{
	if (db_begin(rq->db) != SQLITE_OK)
		return req_db_error(rq, "begin");
	enum ag_err err = delete_comment(rq, ag_arg_int(rq->args, "comment_id", 0));
	if (err == AG_OK && db_commit(rq->db) != SQLITE_OK)
		err = req_db_error(rq, "commit");
	if (err != AG_OK) {
		db_reset_all(rq->db);
		db_rollback(rq->db);
		return err;
	}
	msgpack_pack_nil(rq->out);
	return AG_OK;
}

enum ag_err h_post_comments(struct req *rq)
{
	int64_t post_id = ag_arg_int(rq->args, "post_id", 0);
	int64_t author;
	if (post_author(rq->db, post_id, &author, rq->err) != AG_OK)
		return rq->err->code;
	sqlite3_stmt *st = db_prep(rq->db, COMMENT_SELECT
		"WHERE c.post_id = ?1 AND c.id < ?2 ORDER BY c.id DESC LIMIT ?3 OFFSET ?4");
	if (!st)
		return req_db_error(rq, "post comments");
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_int64(st, 2, req_before_id(rq));
	sqlite3_bind_int64(st, 3, req_limit(rq));
	sqlite3_bind_int64(st, 4, req_offset(rq));
	return pack_rows(rq, st, pack_comment_row);
}
