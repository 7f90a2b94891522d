/* messages.c: direct messages between two people. Sending runs the
 * send_message saga (create_message, then create_notification for the
 * receiver); conversations, threads and read marks are plain queries. */
#include <stdlib.h>

#include "server.h"

#define MESSAGE_COLUMNS "m.id, m.sender_id, m.receiver_id, m.content, m.is_read, m.created_at"

/* Packs a Message from the six MESSAGE_COLUMNS starting at column first. */
static void pack_message_columns(msgpack_packer *pk, sqlite3_stmt *st, int first)
{
	msgpack_pack_map(pk, 6);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first));
	ag_pack_key(pk, "sender_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 1));
	ag_pack_key(pk, "receiver_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 2));
	ag_pack_key(pk, "content");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, first + 3));
	ag_pack_key(pk, "is_read");
	sqlite3_column_int(st, first + 4) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 5));
}

static enum ag_err pack_message_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	pack_message_columns(pk, st, 0);
	return AG_OK;
}

enum ag_err pack_message_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db, "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?1");
	if (!st)
		return req_db_error(rq, "read message");
	sqlite3_bind_int64(st, 1, id);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Message not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "read message");
	pack_message_columns(pk, st, 0);
	sqlite3_reset(st);
	return AG_OK;
}

enum ag_err h_message_send(struct req *rq)
{
	int64_t receiver = ag_arg_int(rq->args, "receiver_id", 0);
	struct saga_run run;
	enum ag_err rc;

	if (receiver == rq->uid)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "receiver_id",
			"You cannot send a message to yourself.");
	if ((rc = user_require(rq, receiver)) != AG_OK)
		return rc;
	if ((rc = saga_begin(&run, rq, &saga_send_message)) != AG_OK
			|| (rc = saga_set_int(&run, "receiver_id", receiver)) != AG_OK
			|| (rc = saga_set_str(&run, "content", ag_arg_str(rq->args, "content"))) != AG_OK
			|| (rc = saga_execute(&run)) != AG_OK)
		return rc;
	return run.def->reply(&run, rq);
}

/* Packs a Conversation: other_user_id, other_username, then the last
 * message's MESSAGE_COLUMNS, then the unread count. */
static enum ag_err pack_conversation_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 4);
	ag_pack_key(pk, "other_user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "other_username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "last_message");
	pack_message_columns(pk, st, 2);
	ag_pack_key(pk, "unread_count");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 8));
	return AG_OK;
}

enum ag_err h_message_conversations(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"WITH last (other, id) AS ("
		"  SELECT other, MAX(id) FROM ("
		"   SELECT receiver_id AS other, id FROM messages WHERE sender_id = ?1"
		"   UNION ALL"
		"   SELECT sender_id, id FROM messages WHERE receiver_id = ?1)"
		"  GROUP BY other)"
		" SELECT l.other, u.username, " MESSAGE_COLUMNS ","
		"  (SELECT COUNT(*) FROM messages x"
		"   WHERE x.receiver_id = ?1 AND x.is_read = 0 AND x.sender_id = l.other)"
		" FROM last l JOIN messages m ON m.id = l.id JOIN users u ON u.id = l.other"
		" ORDER BY l.id DESC");
	if (!st)
		return req_db_error(rq, "list conversations");
	sqlite3_bind_int64(st, 1, rq->uid);
	return pack_rows(rq, st, pack_conversation_row);
}

enum ag_err h_message_thread(struct req *rq)
{
	int64_t other = ag_arg_int(rq->args, "user_id", 0);
	enum ag_err rc = user_require(rq, other);
	if (rc != AG_OK)
		return rc;
	/* Both directions merged from their ranges of the (sender_id,
	 * receiver_id, id) index, so no page is sorted (nobody writes to
	 * themselves, so no message is in both). */
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT " MESSAGE_COLUMNS " FROM messages m"
		" WHERE m.sender_id = ?1 AND m.receiver_id = ?2 AND m.id < ?3"
		" UNION ALL SELECT " MESSAGE_COLUMNS " FROM messages m"
		" WHERE m.sender_id = ?2 AND m.receiver_id = ?1 AND m.id < ?3"
		" ORDER BY 1 DESC LIMIT ?4 OFFSET ?5");
	if (!st)
		return req_db_error(rq, "read thread");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, other);
	sqlite3_bind_int64(st, 3, req_before_id(rq));
	sqlite3_bind_int64(st, 4, req_limit(rq));
	sqlite3_bind_int64(st, 5, req_offset(rq));
	return pack_rows(rq, st, pack_message_row);
}

enum ag_err h_message_mark_read(struct req *rq)
{
	int64_t sender = ag_arg_int(rq->args, "user_id", 0);
	enum ag_err rc = user_require(rq, sender);
	if (rc != AG_OK)
		return rc;
	sqlite3_stmt *st = db_prep(rq->db,
		"UPDATE messages SET is_read = 1 WHERE receiver_id = ?1 AND sender_id = ?2 AND is_read = 0");
	if (!st)
		return req_db_error(rq, "mark messages read");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, sender);
	if (db_step_write(rq->db, st) != SQLITE_DONE)
		return req_db_error(rq, "mark messages read");
	msgpack_pack_map(rq->out, 1);
	ag_pack_key(rq->out, "updated");
	msgpack_pack_int64(rq->out, sqlite3_changes(rq->db->conn));
	return AG_OK;
}

/* ---- the send_message saga: context receiver_id, content (in),
 * message_id, notification_id ---- */

/* Keeps the new message's id and queues its push to the receiver and to
 * the sender's other sessions. */
static enum ag_err emit_message(struct saga_run *run, int64_t id)
{
	enum ag_err rc = saga_set_int(run, "message_id", id);
	if (rc == AG_OK)
		rc = saga_emit(run, "message", PUSH_TO_USER, saga_get_int(run, "receiver_id"), 0,
			pack_message_by_id, id);
	if (rc == AG_OK)
		rc = saga_emit(run, "message", PUSH_TO_USER, run->initiator, run->session_id,
			pack_message_by_id, id);
	return rc;
}

static enum ag_err step_create_message(struct saga_run *run)
{
	char *content = saga_get_str(run, "content");
	enum ag_err rc;

	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO messages (sender_id, receiver_id, content, created_at) VALUES (?1, ?2, ?3, ?4)");
	if (!st) {
		rc = saga_db_error(run, "create message");
	} else {
		sqlite3_bind_int64(st, 1, run->initiator);
		sqlite3_bind_int64(st, 2, saga_get_int(run, "receiver_id"));
		db_bind_text(st, 3, content);
		sqlite3_bind_int64(st, 4, run->now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = saga_db_error(run, "create message");
		else
			rc = emit_message(run, sqlite3_last_insert_rowid(run->db->conn));
	}
	free(content);
	return rc;
}

static enum ag_err undo_create_message(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM messages WHERE id = ?1");
	if (!st)
		return saga_db_error(run, "undo message");
	sqlite3_bind_int64(st, 1, saga_get_int(run, "message_id"));
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo message");
	return AG_OK;
}

static enum ag_err step_notify_receiver(struct saga_run *run)
{
	return saga_notify(run, saga_get_int(run, "receiver_id"), "message",
		saga_get_int(run, "message_id"));
}

static const struct saga_step send_message_steps[] = {
	{"create_message", step_create_message, undo_create_message},
	{"create_notification", step_notify_receiver, saga_unnotify},
};

static enum ag_err send_message_reply(struct saga_run *run, struct req *rq)
{
	return pack_message_by_id(rq, rq->out, saga_get_int(run, "message_id"));
}

const struct saga_def saga_send_message = {
	"send_message", send_message_steps, sizeof send_message_steps / sizeof send_message_steps[0],
	send_message_reply,
};
