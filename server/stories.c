/* stories.c: stories, shown for 24 hours after they are shared. Creating
 * one runs the create_story saga (create_story, attach_media); a story
 * whose expires_at has passed is never returned, by any op. Deleting a
 * story deletes its photo; the photo of an expired story goes with the
 * media sweep (media.c). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define STORY_TTL_MS (24LL * 3600 * 1000)

#define STORY_COLUMNS "s.id, s.author_id, (SELECT username FROM users WHERE id = s.author_id), " \
	"s.image_url, s.content, s.created_at, s.expires_at"

/* Packs a Story from a row of STORY_COLUMNS. */
static enum ag_err pack_story_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	msgpack_pack_map(pk, 8);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "author_id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 1));
	ag_pack_key(pk, "author_username");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 2));
	ag_pack_key(pk, "image_url");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	ag_pack_key(pk, "media");
	enum ag_err err = pack_story_media(rq, pk, sqlite3_column_int64(st, 0));
	if (err != AG_OK)
		return err;
	ag_pack_key(pk, "content");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 4));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 5));
	ag_pack_key(pk, "expires_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 6));
	return AG_OK;
}

enum ag_err pack_story_by_id(struct req *rq, msgpack_packer *pk, int64_t id)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT " STORY_COLUMNS " FROM stories s WHERE s.id = ?1 AND s.expires_at > ?2");
	if (!st)
		return req_db_error(rq, "read story");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->now);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Story not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "read story");
	enum ag_err err = pack_story_row(rq, pk, st);
	sqlite3_reset(st);
	return err;
}

/* A story field of story.create: NULL when absent, nil or "". */
static const char *story_field(struct req *rq, const char *name)
{
	const char *s = ag_arg_str(rq->args, name);
	return s && *s ? s : NULL;
}

enum ag_err h_story_create(struct req *rq)
{
	const char *content = story_field(rq, "content");
	const char *image_url = story_field(rq, "image_url");
	int64_t media_id = ag_arg_int(rq->args, "media_id", 0);
	struct saga_run run;
	enum ag_err rc;

	if (!content && !image_url && !media_id)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "content",
			"A story needs content, an image_url or a media_id.");
	if (content && !image_url && !media_id && ag_text_is_blank(content, strlen(content)))
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "content",
			"content must not be only white space unless the story has an image.");
	if ((rc = saga_begin(&run, rq, &saga_create_story)) != AG_OK
			|| (content && (rc = saga_set_str(&run, "content", content)) != AG_OK)
			|| (image_url && (rc = saga_set_str(&run, "image_url", image_url)) != AG_OK)
			|| (media_id && (rc = saga_set_int(&run, "media_id", media_id)) != AG_OK)
			|| (rc = saga_execute(&run)) != AG_OK)
		return rc;
	return run.def->reply(&run, rq);
}

enum ag_err h_story_list(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT " STORY_COLUMNS " FROM stories s WHERE s.author_id = ?1 AND s.expires_at > ?2"
		" ORDER BY s.created_at DESC, s.id DESC");
	if (!st)
		return req_db_error(rq, "list stories");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, rq->now);
	return pack_rows(rq, st, pack_story_row);
}

enum ag_err h_story_feed(struct req *rq)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT " STORY_COLUMNS " FROM stories s"
		" WHERE (s.author_id = ?1"
		"  OR s.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?1))"
		" AND s.expires_at > ?2 ORDER BY s.created_at DESC, s.id DESC");
	if (!st)
		return req_db_error(rq, "story feed");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, rq->now);
	return pack_rows(rq, st, pack_story_row);
}

enum ag_err h_story_delete(struct req *rq)
{
	int64_t id = ag_arg_int(rq->args, "story_id", 0);

	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT author_id FROM stories WHERE id = ?1 AND expires_at > ?2");
	if (!st)
		return req_db_error(rq, "find story");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->now);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Story not found.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "find story");
	int64_t author = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (author != rq->uid)
		return req_fail(rq, AG_E_FORBIDDEN, "You can only delete your own stories.");

	/* The story and its photo go together. */
	if (db_begin(rq->db) != SQLITE_OK)
		return req_db_error(rq, "delete story");
	st = db_prep(rq->db, "DELETE FROM media WHERE story_id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			st = NULL;
	}
	if (st && (st = db_prep(rq->db,
			"DELETE FROM stories WHERE id = ?1 AND author_id = ?2")) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, rq->uid);
		if (sqlite3_step(st) != SQLITE_DONE)
			st = NULL;
	}
	if (!st) {
		enum ag_err err = req_db_error(rq, "delete story");
		db_rollback(rq->db);
		return err;
	}
	if (sqlite3_changes(rq->db->conn) == 0) {
		db_rollback(rq->db);
		return req_fail(rq, AG_E_NOT_FOUND, "Story not found.");
	}
	if (db_commit(rq->db) != SQLITE_OK)
		return req_db_error(rq, "delete story");
	msgpack_pack_nil(rq->out);
	return AG_OK;
}

/* ---- the create_story saga: context content, image_url, media_id (in), story_id ---- */

static enum ag_err step_create_story(struct saga_run *run)
{
	char *content = saga_get_str(run, "content");
	char *image_url = saga_get_str(run, "image_url");
	enum ag_err rc = AG_OK;

	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO stories (author_id, image_url, content, created_at, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st) {
		rc = saga_db_error(run, "create story");
		goto out;
	}
	sqlite3_bind_int64(st, 1, run->initiator);
	db_bind_text(st, 2, image_url);
	db_bind_text(st, 3, content);
	sqlite3_bind_int64(st, 4, run->now);
	sqlite3_bind_int64(st, 5, run->now + STORY_TTL_MS);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = saga_db_error(run, "create story");
		goto out;
	}
	rc = saga_set_int(run, "story_id", sqlite3_last_insert_rowid(run->db->conn));
out:
	free(content);
	free(image_url);
	return rc;
}

/* Removes the story (a photo is left unattached, not removed). */
static enum ag_err undo_create_story(struct saga_run *run)
{
	int64_t story_id = saga_get_int(run, "story_id");
	enum ag_err err = media_detach(run, true, story_id);
	if (err != AG_OK)
		return err;
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM stories WHERE id = ?1");
	if (!st)
		return saga_db_error(run, "undo story");
	sqlite3_bind_int64(st, 1, story_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "undo story");
	return AG_OK;
}

/* Attaches the context's media_id (if any), then queues the finished
 * Story for the author's followers. */
static enum ag_err step_attach_story_media(struct saga_run *run)
{
	int64_t story_id = saga_get_int(run, "story_id"), media_id = saga_get_int(run, "media_id");
	enum ag_err err = media_id ? media_attach(run, media_id, true, story_id) : AG_OK;
	if (err == AG_OK)
		err = saga_emit(run, "story", PUSH_TO_FOLLOWERS, run->initiator, 0,
			pack_story_by_id, story_id);
	return err;
}

static enum ag_err undo_attach_story_media(struct saga_run *run)
{
	return media_detach(run, true, saga_get_int(run, "story_id"));
}

static const struct saga_step create_story_steps[] = {
	{"create_story", step_create_story, undo_create_story},
	{"attach_media", step_attach_story_media, undo_attach_story_media},
};

static enum ag_err create_story_reply(struct saga_run *run, struct req *rq)
{
	return pack_story_by_id(rq, rq->out, saga_get_int(run, "story_id"));
}

const struct saga_def saga_create_story = {
	"create_story", create_story_steps, sizeof create_story_steps / sizeof create_story_steps[0],
	create_story_reply,
};
