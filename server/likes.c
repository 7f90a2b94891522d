/* likes.c: post.like, a toggle run as the like_post saga.
 *
 * toggle_like likes the post, or unlikes it when the caller already does,
 * and records which in the saga context ("liked", and for an unlike the
 * like's original time) so that its compensation undoes exactly that.
 * create_notification then tells the post's author about a new like; on
 * an unlike, or a like of your own post, it has nothing to do.
 */
#include "server.h"

static enum ag_err step_toggle_like(struct saga_run *run)
{
	int64_t post_id = saga_get_int(run, "post_id");
	sqlite3_stmt *st = db_prep(run->db,
		"SELECT created_at FROM likes WHERE post_id = ? AND user_id = ?");
	if (!st)
		return saga_db_error(run, "like lookup");
	sqlite3_bind_int64(st, 1, post_id);
	sqlite3_bind_int64(st, 2, run->initiator);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return saga_db_error(run, "like lookup");
	bool liked_before = rc == SQLITE_ROW;
	int64_t liked_at = liked_before ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);

	if (liked_before) {
		st = db_prep(run->db, "DELETE FROM likes WHERE post_id = ? AND user_id = ?");
		if (!st)
			return saga_db_error(run, "unlike");
		sqlite3_bind_int64(st, 1, post_id);
		sqlite3_bind_int64(st, 2, run->initiator);
		if (sqlite3_step(st) != SQLITE_DONE)
			return saga_db_error(run, "unlike");
	} else {
		st = db_prep(run->db, "INSERT INTO likes (post_id, user_id, created_at) "
			"SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1)");
		if (!st)
			return saga_db_error(run, "like");
		sqlite3_bind_int64(st, 1, post_id);
		sqlite3_bind_int64(st, 2, run->initiator);
		sqlite3_bind_int64(st, 3, run->now);
		if (sqlite3_step(st) != SQLITE_DONE)
			return saga_db_error(run, "like");
		if (sqlite3_changes(run->db->conn) == 0)
			return saga_fail(run, AG_E_NOT_FOUND, "Post not found.");
	}
	enum ag_err err = saga_set_int(run, "liked", !liked_before);
	if (err == AG_OK && liked_before)
		err = saga_set_int(run, "unliked_at", liked_at);
	if (err != AG_OK)
		return err;

	st = db_prep(run->db, "SELECT like_count FROM posts WHERE id = ?");
	if (!st)
		return saga_db_error(run, "like count");
	sqlite3_bind_int64(st, 1, post_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return saga_db_error(run, "like count");
	int64_t like_count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return saga_set_int(run, "like_count", like_count);
}

/* Takes back the like, or restores the removed one with its original
 * time (unless the post has gone since). */
static enum ag_err undo_toggle_like(struct saga_run *run)
{
	sqlite3_stmt *st;
	if (saga_get_int(run, "liked")) {
		st = db_prep(run->db, "DELETE FROM likes WHERE post_id = ?1 AND user_id = ?2");
	} else {
		st = db_prep(run->db, "INSERT OR IGNORE INTO likes (post_id, user_id, created_at) "
			"SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1)");
		if (st)
			sqlite3_bind_int64(st, 3, saga_get_int(run, "unliked_at"));
	}
	if (!st)
		return saga_db_error(run, "undo like");
	sqlite3_bind_int64(st, 1, saga_get_int(run, "post_id"));
	sqlite3_bind_int64(st, 2, run->initiator);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo like");
	return AG_OK;
}

static enum ag_err step_notify_like(struct saga_run *run)
{
	if (!saga_get_int(run, "liked"))
		return AG_OK;
	int64_t post_id = saga_get_int(run, "post_id"), author;
	if (post_author(run->db, post_id, &author, run->err) != AG_OK)
		return run->err->code;
	return saga_notify(run, author, "like", post_id);
}

static const struct saga_step like_post_steps[] = {
	{"toggle_like", step_toggle_like, undo_toggle_like},
	{"create_notification", step_notify_like, saga_unnotify},
};

/* {liked, like_count}, as toggle_like recorded them. */
static enum ag_err like_post_reply(struct saga_run *run, struct req *rq)
{
	msgpack_pack_map(rq->out, 2);
	ag_pack_key(rq->out, "liked");
	if (saga_get_int(run, "liked"))
		msgpack_pack_true(rq->out);
	else
		msgpack_pack_false(rq->out);
	ag_pack_key(rq->out, "like_count");
	msgpack_pack_int64(rq->out, saga_get_int(run, "like_count"));
	return AG_OK;
}

const struct saga_def saga_like_post = {
	"like_post", like_post_steps, sizeof like_post_steps / sizeof like_post_steps[0],
	like_post_reply,
};

enum ag_err h_post_like(struct req *rq)
{
	int64_t post_id = ag_arg_int(rq->args, "post_id", 0), author;
	if (post_author(rq->db, post_id, &author, rq->err) != AG_OK)
		return rq->err->code;

	struct saga_run run;
	enum ag_err err = saga_begin(&run, rq, &saga_like_post);
	if (err == AG_OK)
		err = saga_set_int(&run, "post_id", post_id);
	if (err == AG_OK)
		err = saga_execute(&run);
	if (err != AG_OK)
		return err;
	return run.def->reply(&run, rq);
}
