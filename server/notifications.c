/* notifications.c: telling people what others did to them. notify_create
 * is called by the saga steps of likes, comments, follows and messages;
 * the handlers list notifications, mark them read and count what is
 * unread in the inbox (notifications and direct messages). */
#include <string.h>

#include "log.h"
#include "server.h"

#define NOTIFICATION_COLUMNS "n.id, n.user_id, n.actor_id, " \
	"(SELECT username FROM users WHERE id = n.actor_id), n.type, n.reference_id, " \
	"n.message, n.is_read, n.created_at"

static const struct {
	const char *type;
	const char *phrase;   /* follows the actor's username */
} notification_phrases[] = {
	{"like", " liked your post"},
	{"comment", " commented on your post"},
	{"follow", " started following you"},
	{"message", " sent you a message"},
};

enum ag_err notify_create(struct db *db, int64_t user_id, int64_t actor_id,
	const char *type, int64_t ref, int64_t now, int64_t *out_id)
{
	const char *phrase = NULL;

	*out_id = 0;
	if (user_id == actor_id)
		return AG_OK;
	for (size_t i = 0; i < sizeof notification_phrases / sizeof notification_phrases[0]; i++)
		if (strcmp(type, notification_phrases[i].type) == 0)
			phrase = notification_phrases[i].phrase;
	if (!phrase) {
		ag_error("notify: unknown notification type '%s'", type);
		return AG_E_INTERNAL;
	}

	sqlite3_stmt *st = db_prep(db,
		"INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at)"
		" SELECT ?1, u.id, ?3, ?4, u.username || ?5, ?6 FROM users u WHERE u.id = ?2");
	if (!st)
		return AG_E_INTERNAL;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, actor_id);
	db_bind_text(st, 3, type);
	sqlite3_bind_int64(st, 4, ref);
	db_bind_text(st, 5, phrase);
	sqlite3_bind_int64(st, 6, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return AG_E_INTERNAL;
	if (sqlite3_changes(db->conn) == 0) {
		ag_error("notify: actor %lld does not exist", (long long)actor_id);
		return AG_E_INTERNAL;
	}
	*out_id = sqlite3_last_insert_rowid(db->conn);
	return AG_OK;
}

/* Packs a Notification from a row of NOTIFICATION_COLUMNS. */
enum ag_err saga_notify(struct saga_run *run, int64_t user_id, const char *type, int64_t ref)
{
	int64_t id;
	if (notify_create(run->db, user_id, run->initiator, type, ref, run->now, &id) != AG_OK)
		return saga_db_error(run, "create notification");
	enum ag_err rc = saga_set_int(run, "notification_id", id);
	if (rc == AG_OK && id != 0)
		rc = saga_emit(run, "notification", PUSH_TO_USER, user_id, 0,
			pack_notification_by_id, id);
	return rc;
}

enum ag_err saga_unnotify(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM notifications WHERE id = ?1");
	if (!st)
		return saga_db_error(run, "undo notification");
	sqlite3_bind_int64(st, 1, saga_get_int(run, "notification_id"));
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo notification");
	return AG_OK;
}

static enum ag_err pack_notification_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	msgpack_pack_map(pk, 9);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "user_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 1));
	ag_pack_key(pk, "actor_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 2));
	ag_pack_key(pk, "actor_username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "type");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "reference_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	ag_pack_key(pk, "message");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 6));
	ag_pack_key(pk, "is_read");
	sqlite3_column_int(st, 7) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 8));
	return AG_OK;
}

enum ag_err pack_notification_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT " NOTIFICATION_COLUMNS " FROM notifications n WHERE n.id = ?1");
	if (!st)
		return req_db_error(rq, "read notification");
	sqlite3_bind_int64(st, 1, id);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Notification not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "read notification");
	pack_notification_row(rq, pk, st);
	sqlite3_reset(st);
	return AG_OK;
}

enum ag_err h_notification_list(struct req *rq)
{
	sqlite3_stmt *st = ag_arg_bool(rq->args, "unread_only", false)
		? db_prep(rq->db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
			" WHERE n.user_id = ?1 AND n.is_read = 0 AND n.id < ?2"
			" ORDER BY n.id DESC LIMIT ?3 OFFSET ?4")
		: db_prep(rq->db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
			" WHERE n.user_id = ?1 AND n.id < ?2"
			" ORDER BY n.id DESC LIMIT ?3 OFFSET ?4");
	if (!st)
		return req_db_error(rq, "list notifications");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, req_before_id(rq));
	sqlite3_bind_int64(st, 3, req_limit(rq));
	sqlite3_bind_int64(st, 4, req_offset(rq));
	return pack_rows(rq, st, pack_notification_row);
}

static void pack_updated(struct req *rq, int64_t n)
{
	msgpack_pack_map(rq->out, 1);
	ag_pack_key(rq->out, "updated");
	msgpack_pack_int64(rq->out, n);
}

enum ag_err h_notification_mark_read(struct req *rq)
{
	int64_t id = ag_arg_int(rq->args, "notification_id", 0);

	sqlite3_stmt *st = db_prep(rq->db,
		"UPDATE notifications SET is_read = 1 WHERE id = ?1 AND user_id = ?2 AND is_read = 0");
	if (!st)
		return req_db_error(rq, "mark notification read");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->uid);
	if (sqlite3_step(st) != SQLITE_DONE)
		return req_db_error(rq, "mark notification read");
	if (sqlite3_changes(rq->db->conn) == 1) {
		pack_updated(rq, 1);
		return AG_OK;
	}

	/* Nothing changed: already read, or not one of mine. */
	st = db_prep(rq->db, "SELECT 1 FROM notifications WHERE id = ?1 AND user_id = ?2");
	if (!st)
		return req_db_error(rq, "find notification");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->uid);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Notification not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "find notification");
	pack_updated(rq, 0);
	return AG_OK;
}

enum ag_err h_notification_mark_all_read(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"UPDATE notifications SET is_read = 1 WHERE user_id = ?1 AND is_read = 0");
	if (!st)
		return req_db_error(rq, "mark notifications read");
	sqlite3_bind_int64(st, 1, rq->uid);
	if (sqlite3_step(st) != SQLITE_DONE)
		return req_db_error(rq, "mark notifications read");
	pack_updated(rq, sqlite3_changes(rq->db->conn));
	return AG_OK;
}

enum ag_err h_inbox_counts(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT (SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND is_read = 0),"
		" (SELECT COUNT(*) FROM messages WHERE receiver_id = ?1 AND is_read = 0)");
	if (!st)
		return req_db_error(rq, "count inbox");
	sqlite3_bind_int64(st, 1, rq->uid);
	if (sqlite3_step(st) != SQLITE_ROW)
		return req_db_error(rq, "count inbox");
	msgpack_pack_map(rq->out, 2);
	ag_pack_key(rq->out, "notifications_unread");
	msgpack_pack_int64(rq->out, sqlite3_column_int64(st, 0));
	ag_pack_key(rq->out, "messages_unread");
	msgpack_pack_int64(rq->out, sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return AG_OK;
}
