/* notifications.c: telling people what others did to them. notify_create
 * is called by the saga steps of likes, comments, follows and messages;
 * the notify_mentions step of posts and comments tells the people whose
 * @username the text holds. The handlers list notifications, mark them
 * read and count what is unread in the inbox (notifications and direct
 * messages). */
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "log.h"
#include "server.h"
#include "utf8.h"

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
	{"mention", " mentioned you"},
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

/* ---- mentions ---- */

#define USERNAME_MIN 3
#define USERNAME_MAX 30

static bool is_username_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '.' || c == '_';
}

/* The id of the user named name[0..len) (any case), or 0 for none. */
static int64_t user_named(struct db *db, const char *name, size_t len, bool *failed)
{
	if (len < USERNAME_MIN || len > USERNAME_MAX)
		return 0;
	sqlite3_stmt *st = db_prep(db, "SELECT id FROM users WHERE username = lower(?1)");
	if (!st) {
		*failed = true;
		return 0;
	}
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	*failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	return id;
}

/* The user an @ at text[at] mentions (0: none). The '@' must start the
 * text or follow a character that is not a letter, digit, '_' or '.';
 * the name is the longest run of username characters after it, or, when
 * no user has that name, the run without its trailing dots ("@bob." at
 * the end of a sentence). Sets *end past the run. */
static int64_t mentioned_user(struct db *db, const char *text, size_t len, size_t at,
	uint32_t prev, size_t *end, bool *failed)
{
	size_t i = at + 1;
	while (i < len && is_username_byte(text[i]))
		i++;
	*end = i;
	if (prev == '_' || prev == '.' || iswalnum((wint_t)prev))
		return 0;
	const char *name = text + at + 1;
	size_t n = i - at - 1;
	int64_t id = user_named(db, name, n, failed);
	if (id != 0 || *failed)
		return id;
	size_t trimmed = n;
	while (trimmed > 0 && name[trimmed - 1] == '.')
		trimmed--;
	return trimmed < n ? user_named(db, name, trimmed, failed) : 0;
}

/* The user the saga's earlier step notified ("notification_id"), or 0. */
static int64_t already_notified(struct saga_run *run, bool *failed)
{
	int64_t nid = saga_get_int(run, "notification_id");
	if (nid == 0)
		return 0;
	sqlite3_stmt *st = db_prep(run->db, "SELECT user_id FROM notifications WHERE id = ?1");
	if (!st) {
		*failed = true;
		return 0;
	}
	sqlite3_bind_int64(st, 1, nid);
	int rc = sqlite3_step(st);
	int64_t uid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	*failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	return uid;
}

/* Creates the mention notifications of text, one per user, each queued
 * for push and recorded in mention_ids. skip holds users not to notify
 * (the initiator, whoever the saga already notified); it grows. */
static enum ag_err notify_text_mentions(struct saga_run *run, const char *text, int64_t post_id,
	int64_t **skip, size_t *n_skip)
{
	size_t len = strlen(text), i = 0;
	uint32_t prev = ' ';
	bool failed = false;
	while (i < len) {
		uint32_t cp;
		int n = ag_utf8_decode(text + i, len - i, &cp);
		if (n <= 0)
			break;
		if (cp != '@') {
			i += (size_t)n;
			prev = cp;
			continue;
		}
		size_t end;
		int64_t uid = mentioned_user(run->db, text, len, i, prev, &end, &failed);
		if (failed)
			return saga_db_error(run, "find mentioned user");
		prev = end > i + 1 ? (uint32_t)(unsigned char)text[end - 1] : '@';
		i = end;
		bool skipped = uid == 0;
		for (size_t k = 0; k < *n_skip && !skipped; k++)
			skipped = (*skip)[k] == uid;
		if (skipped)
			continue;
		int64_t *grown = realloc(*skip, (*n_skip + 1) * sizeof **skip);
		if (!grown)
			return saga_fail(run, AG_E_INTERNAL, "The server could not complete the request.");
		*skip = grown;
		(*skip)[(*n_skip)++] = uid;
		int64_t nid;
		if (notify_create(run->db, uid, run->initiator, "mention", post_id, run->now, &nid) != AG_OK)
			return saga_db_error(run, "create mention");
		enum ag_err err = saga_append_int(run, "mention_ids", nid);
		if (err == AG_OK)
			err = saga_emit(run, "notification", PUSH_TO_USER, uid, 0,
				pack_notification_by_id, nid);
		if (err != AG_OK)
			return err;
	}
	return AG_OK;
}

enum ag_err saga_notify_mentions(struct saga_run *run)
{
	char *text = saga_get_str(run, "content");
	if (!text)
		return AG_OK;
	bool failed = false;
	int64_t notified = already_notified(run, &failed);
	enum ag_err err = failed ? saga_db_error(run, "find notified user") : AG_OK;
	int64_t *skip = malloc(2 * sizeof *skip);
	size_t n_skip = 0;
	if (err == AG_OK && !skip)
		err = saga_fail(run, AG_E_INTERNAL, "The server could not complete the request.");
	if (err == AG_OK) {
		skip[n_skip++] = run->initiator;
		if (notified != 0)
			skip[n_skip++] = notified;
		err = notify_text_mentions(run, text, saga_get_int(run, "post_id"), &skip, &n_skip);
	}
	free(skip);
	free(text);
	return err;
}

enum ag_err saga_unnotify_mentions(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"DELETE FROM notifications WHERE type = 'mention' AND id IN ("
		"SELECT val FROM saga_values WHERE saga_id = ?1 AND key = 'mention_ids' AND idx > 0)");
	if (!st)
		return saga_db_error(run, "undo mentions");
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo mentions");
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
		/* Unread and read ones merged from their two ranges of the
		 * (user_id, is_read, id) index, so no page is sorted. */
		: db_prep(rq->db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
			" WHERE n.user_id = ?1 AND n.is_read = 0 AND n.id < ?2"
			" UNION ALL SELECT " NOTIFICATION_COLUMNS " FROM notifications n"
			" WHERE n.user_id = ?1 AND n.is_read = 1 AND n.id < ?2"
			" ORDER BY 1 DESC LIMIT ?3 OFFSET ?4");
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
	if (db_step_write(rq->db, st) != SQLITE_DONE)
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
	if (db_step_write(rq->db, st) != SQLITE_DONE)
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
