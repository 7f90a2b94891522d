/* media.c: photos stored by the server (PROTOCOL.md section 8).
 *
 * media.upload normalises an image with libvips: only JPEG, PNG, WebP and
 * GIF (first frame) as the loader detects them from the bytes; the pixel
 * count is read from the header before anything is decoded; the EXIF
 * orientation is applied; alpha is flattened onto white; the result is at
 * most MEDIA_FULL_SIDE pixels on its long side (never scaled up) and is
 * re-encoded as JPEG without any metadata, with a thumbnail of at most
 * MEDIA_THUMB_SIDE. Per-user limits cap uploads a minute and bytes a day.
 * media.get serves a photo that is attached to a post or to an unexpired
 * story, or that the caller uploaded. Also here: the Media object packer
 * that posts and stories use, the attach/detach helpers of the sagas, and
 * the sweep that removes photos of expired stories and photos never
 * attached.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vips/vips.h>

#include "log.h"
#include "server.h"

#define MEDIA_FULL_SIDE 1080
#define MEDIA_THUMB_SIDE 320
#define MEDIA_MAX_PIXELS (40LL * 1000 * 1000)
#define MEDIA_JPEG_QUALITY 85
#define MEDIA_UNATTACHED_TTL_MS (24LL * 3600 * 1000)
#define MINUTE_MS (60LL * 1000)
#define DAY_MS (24LL * 3600 * 1000)

/* ANSIGRAM_UPLOAD_GATE, for tests (see wait_at_gate); NULL when unset. */
static const char *upload_gate;
/* media_init ran (a process may serve requests without it: in-process tests). */
static bool vips_started;

/* ---- libvips ---- */

/* libvips warns on stderr about each bad upload ("error in tile"): those
 * are the clients' problem, so they go to the debug log instead. */
static void vips_warning(const gchar *domain, GLogLevelFlags level, const gchar *message,
	gpointer data)
{
	(void)domain;
	(void)level;
	(void)data;
	ag_debug("libvips: %s", message);
}

int media_init(const char *argv0)
{
	if (VIPS_INIT(argv0) != 0) {
		ag_error("libvips cannot start: %s", vips_error_buffer());
		return -1;
	}
	/* A server decodes untrusted images one request at a time per
	 * worker: no operation cache (it would keep decoded pixels), one
	 * thread per operation, and none of the loaders libvips itself marks
	 * unfit for untrusted input (accepted_loader narrows it further). */
	vips_started = true;
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_concurrency_set(1);
	vips_block_untrusted_set(TRUE);
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, vips_warning, NULL);
	upload_gate = getenv("ANSIGRAM_UPLOAD_GATE");
	if (upload_gate && *upload_gate)
		ag_warn("upload gate armed: uploads wait until %s exists", upload_gate);
	else
		upload_gate = NULL;
	return 0;
}

void media_shutdown(void)
{
	if (vips_started)
		vips_shutdown();
	vips_started = false;
}

void media_thread_done(void)
{
	if (vips_started)
		vips_thread_shutdown();
}

/* Logs libvips' error text (never sent to clients) and clears it. */
static void log_vips_error(const char *what)
{
	ag_debug("media: %s: %s", what, vips_error_buffer());
	vips_error_clear();
}

/* The loader libvips picks for these bytes, if it is one we accept. */
static bool accepted_loader(const void *data, size_t len)
{
	static const char *const accepted[] = {
		"jpegload_buffer", "pngload_buffer", "webpload_buffer", "gifload_buffer",
	};
	const char *loader = vips_foreign_find_load_buffer(data, len);
	if (loader == NULL) {
		vips_error_clear();
		return false;
	}
	const char *nick = vips_nickname_find(g_type_from_name(loader));
	for (size_t i = 0; nick && i < sizeof accepted / sizeof accepted[0]; i++)
		if (strcmp(nick, accepted[i]) == 0)
			return true;
	return false;
}

struct encoded {
	void *data;        /* g_free */
	size_t bytes;
	int width, height;
};

/* Encodes img as a baseline JPEG without metadata. */
static int encode_jpeg(VipsImage *img, struct encoded *out)
{
	out->width = vips_image_get_width(img);
	out->height = vips_image_get_height(img);
	return vips_jpegsave_buffer(img, &out->data, &out->bytes, "Q", MEDIA_JPEG_QUALITY,
		"strip", TRUE, "interlace", FALSE, "optimize_coding", TRUE, NULL);
}

/* sRGB, 8 bits a sample, alpha flattened onto white: what JPEG can hold. */
static int to_opaque_srgb(VipsImage *in, VipsImage **out)
{
	VipsImage *srgb = NULL, *flat = NULL;
	int rc = vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
	if (rc == 0 && vips_image_hasalpha(srgb)) {
		VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		rc = vips_flatten(srgb, &flat, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
	} else if (rc == 0) {
		flat = srgb;
		g_object_ref(flat);
	}
	if (rc == 0)
		rc = vips_cast_uchar(flat, out, NULL);
	if (srgb)
		g_object_unref(srgb);
	if (flat)
		g_object_unref(flat);
	return rc;
}

/* Makes the stored photo and its thumbnail from an upload. Returns AG_OK,
 * or bad_request (field "data") with the reason in err. */
static enum ag_err normalise(const void *data, size_t len, struct encoded *full,
	struct encoded *thumb, struct ag_error *err)
{
	memset(full, 0, sizeof *full);
	memset(thumb, 0, sizeof *thumb);
	if (!accepted_loader(data, len))
		return ag_error_set(err, AG_E_BAD_REQUEST, "data",
			"data must be a JPEG, PNG, WebP or GIF image.");

	/* The header only: nothing is decoded yet. */
	VipsImage *head = vips_image_new_from_buffer(data, len, "", NULL);
	if (head == NULL) {
		log_vips_error("header");
		return ag_error_set(err, AG_E_BAD_REQUEST, "data",
			"data is not a readable image.");
	}
	long long pixels = (long long)vips_image_get_width(head) * vips_image_get_height(head);
	g_object_unref(head);
	if (pixels > MEDIA_MAX_PIXELS)
		return ag_error_set(err, AG_E_BAD_REQUEST, "data",
			"data is an image over 40 megapixels.");

	/* Decode (shrinking on load where the format can), apply the EXIF
	 * orientation, fit in the box, never enlarge. A truncated or corrupt
	 * file is an error, not a grey-filled picture. */
	VipsImage *scaled = NULL, *piped = NULL, *opaque = NULL, *small = NULL;
	enum ag_err rc = AG_OK;
	/* The loader reads sequentially: the scaled picture is rendered to
	 * memory once, for the photo and its thumbnail. */
	if (vips_thumbnail_buffer((void *)data, len, &scaled, MEDIA_FULL_SIDE,
			"height", MEDIA_FULL_SIDE, "size", VIPS_SIZE_DOWN,
			"option_string", "fail_on=truncated", NULL) != 0 ||
	    to_opaque_srgb(scaled, &piped) != 0 ||
	    (opaque = vips_image_copy_memory(piped)) == NULL || encode_jpeg(opaque, full) != 0) {
		log_vips_error("decode");
		rc = ag_error_set(err, AG_E_BAD_REQUEST, "data",
			"data is not a complete, readable image.");
		goto out;
	}
	if (vips_thumbnail_image(opaque, &small, MEDIA_THUMB_SIDE, "height", MEDIA_THUMB_SIDE,
			"size", VIPS_SIZE_DOWN, NULL) != 0 || encode_jpeg(small, thumb) != 0) {
		log_vips_error("thumbnail");
		rc = ag_error_set(err, AG_E_BAD_REQUEST, "data",
			"data is not a complete, readable image.");
	}
out:
	if (scaled)
		g_object_unref(scaled);
	if (piped)
		g_object_unref(piped);
	if (opaque)
		g_object_unref(opaque);
	if (small)
		g_object_unref(small);
	if (rc != AG_OK) {
		g_free(full->data);
		g_free(thumb->data);
		full->data = thumb->data = NULL;
	}
	return rc;
}

/* ---- per-user limits ---- */

static atomic_int upload_rate = 30;                         /* uploads a minute */
static _Atomic int64_t upload_daily_bytes = 200LL << 20;    /* bytes a day */

void media_set_limits(int per_minute, int64_t daily_bytes)
{
	atomic_store(&upload_rate, per_minute);
	atomic_store(&upload_daily_bytes, daily_bytes);
}

/* rate_limited (with retry_after_ms) when uid may not upload `bytes` more
 * now; runs on db, inside the caller's transaction if any. */
static enum ag_err check_limits(struct req *rq, int64_t bytes)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT count(*), min(created_at) FROM media_uploads "
		"WHERE user_id = ?1 AND created_at > ?2");
	if (!st)
		return req_db_error(rq, "upload rate");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, rq->now - MINUTE_MS);
	if (sqlite3_step(st) != SQLITE_ROW)
		return req_db_error(rq, "upload rate");
	int64_t n = sqlite3_column_int64(st, 0), oldest = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (n >= atomic_load(&upload_rate)) {
		req_fail(rq, AG_E_RATE_LIMITED, "Too many uploads; wait a minute.");
		rq->err->retry_after_ms = (uint64_t)(oldest + MINUTE_MS - rq->now + 1);
		return AG_E_RATE_LIMITED;
	}

	/* The day's volume: when over, wait until enough of it is a day old. */
	st = db_prep(rq->db, "SELECT created_at, bytes FROM media_uploads "
		"WHERE user_id = ?1 AND created_at > ?2 ORDER BY created_at");
	if (!st)
		return req_db_error(rq, "upload volume");
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, rq->now - DAY_MS);
	int64_t total = 0, limit = atomic_load(&upload_daily_bytes);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		total += sqlite3_column_int64(st, 1);
	if (step != SQLITE_DONE)
		return req_db_error(rq, "upload volume");
	if (total + bytes <= limit)
		return AG_OK;
	int64_t freed = 0, wait = DAY_MS;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, rq->uid);
	sqlite3_bind_int64(st, 2, rq->now - DAY_MS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		freed += sqlite3_column_int64(st, 1);
		if (total - freed + bytes <= limit) {
			wait = sqlite3_column_int64(st, 0) + DAY_MS - rq->now + 1;
			break;
		}
	}
	sqlite3_reset(st);
	req_fail(rq, AG_E_RATE_LIMITED, "You have uploaded as much as a day allows.");
	rq->err->retry_after_ms = (uint64_t)(wait > 0 ? wait : 1);
	return AG_E_RATE_LIMITED;
}

/* ---- the Media object ---- */

void pack_media_at(msgpack_packer *pk, sqlite3_stmt *st, int first)
{
	if (sqlite3_column_type(st, first) == SQLITE_NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_map(pk, 6);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first));
	ag_pack_key(pk, "mime");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, first + 1));
	ag_pack_key(pk, "width");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 2));
	ag_pack_key(pk, "height");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 3));
	ag_pack_key(pk, "bytes");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 4));
	ag_pack_key(pk, "thumb");
	msgpack_pack_map(pk, 3);
	ag_pack_key(pk, "width");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 5));
	ag_pack_key(pk, "height");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 6));
	ag_pack_key(pk, "bytes");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, first + 7));
}

#define MEDIA_COLUMNS "id, mime, width, height, bytes, thumb_width, thumb_height, thumb_bytes"

/* Packs the photo of the statement's first row, or nil when it has none. */
static enum ag_err pack_media_or_nil(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st,
	int64_t id, const char *what)
{
	if (!st)
		return req_db_error(rq, what);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		pack_media_at(pk, st, 0);
	else if (rc == SQLITE_DONE)
		msgpack_pack_nil(pk);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return req_db_error(rq, what);
	return AG_OK;
}

enum ag_err pack_story_media(struct req *rq, msgpack_packer *pk, int64_t story_id)
{
	return pack_media_or_nil(rq, pk, db_prep(rq->db,
		"SELECT " MEDIA_COLUMNS " FROM media WHERE story_id = ?1"), story_id, "story photo");
}

/* ---- a gate for tests ---- */

/* For tests (ANSIGRAM_UPLOAD_GATE=PATH): an upload waits here, at most
 * UPLOAD_GATE_MAX_MS, until PATH exists, so a test can hold uploads in
 * flight for as long as it needs to. */
#define UPLOAD_GATE_MAX_MS 30000

static void wait_at_gate(void)
{
	if (!upload_gate)
		return;
	ag_info("an upload waits at the upload gate");
	for (int waited = 0; waited < UPLOAD_GATE_MAX_MS && access(upload_gate, F_OK) != 0;
	     waited += 20)
		usleep(20 * 1000);
}

/* ---- ops ---- */

enum ag_err h_media_upload(struct req *rq)
{
	size_t len;
	const void *data = ag_arg_bin(rq->args, "data", &len);
	enum ag_err err = check_limits(rq, (int64_t)len);
	if (err != AG_OK)
		return err;
	wait_at_gate();

	struct encoded full, thumb;
	if ((err = normalise(data, len, &full, &thumb, rq->err)) != AG_OK)
		return err;

	int64_t id = 0;
	if (db_begin(rq->db) != SQLITE_OK) {
		err = req_db_error(rq, "begin upload");
		goto out;
	}
	/* Again under the write lock: another worker may have stored one. */
	if ((err = check_limits(rq, (int64_t)len)) != AG_OK) {
		db_rollback(rq->db);
		goto out;
	}
	sqlite3_stmt *st = db_prep(rq->db,
		"INSERT INTO media (owner_id, mime, width, height, bytes, data, thumb_width, "
		"thumb_height, thumb_bytes, thumb, created_at) "
		"VALUES (?1, 'image/jpeg', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (st) {
		sqlite3_bind_int64(st, 1, rq->uid);
		sqlite3_bind_int(st, 2, full.width);
		sqlite3_bind_int(st, 3, full.height);
		sqlite3_bind_int64(st, 4, (int64_t)full.bytes);
		sqlite3_bind_blob64(st, 5, full.data, full.bytes, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, thumb.width);
		sqlite3_bind_int(st, 7, thumb.height);
		sqlite3_bind_int64(st, 8, (int64_t)thumb.bytes);
		sqlite3_bind_blob64(st, 9, thumb.data, thumb.bytes, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, rq->now);
	}
	if (!st || sqlite3_step(st) != SQLITE_DONE) {
		err = req_db_error(rq, "store photo");
		db_rollback(rq->db);
		goto out;
	}
	sqlite3_reset(st);  /* let go of the blobs before they are freed */
	id = sqlite3_last_insert_rowid(rq->db->conn);
	st = db_prep(rq->db, "INSERT INTO media_uploads (user_id, created_at, bytes) "
		"VALUES (?1, ?2, ?3)");
	if (st) {
		sqlite3_bind_int64(st, 1, rq->uid);
		sqlite3_bind_int64(st, 2, rq->now);
		sqlite3_bind_int64(st, 3, (int64_t)len);
	}
	if (!st || sqlite3_step(st) != SQLITE_DONE) {
		err = req_db_error(rq, "count upload");
		db_rollback(rq->db);
		goto out;
	}
	if (db_commit(rq->db) != SQLITE_OK) {
		err = req_db_error(rq, "commit upload");
		goto out;
	}
	st = db_prep(rq->db, "SELECT " MEDIA_COLUMNS " FROM media WHERE id = ?1");
	err = pack_media_or_nil(rq, rq->out, st, id, "read photo");
out:
	g_free(full.data);
	g_free(thumb.data);
	return err;
}

enum ag_err h_media_get(struct req *rq)
{
	int64_t id = ag_arg_int(rq->args, "media_id", 0);
	const char *size = ag_arg_str(rq->args, "size");
	bool want_thumb = false;
	if (size && strcmp(size, "thumb") == 0)
		want_thumb = true;
	else if (size && strcmp(size, "full") != 0)
		return ag_error_set(rq->err, AG_E_BAD_REQUEST, "size",
			"size must be \"full\" or \"thumb\".");

	/* Visible: attached to a post, or to an unexpired story, or mine. */
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT id, mime, width, height, data, thumb_width, thumb_height, thumb "
		"FROM media m WHERE m.id = ?1 AND (m.owner_id = ?2 OR m.post_id IS NOT NULL "
		"OR EXISTS (SELECT 1 FROM stories s WHERE s.id = m.story_id AND s.expires_at > ?3))");
	if (!st)
		return req_db_error(rq, "read photo");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, rq->uid);
	sqlite3_bind_int64(st, 3, rq->now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "Photo not found.");
	if (rc != SQLITE_ROW)
		return req_db_error(rq, "read photo");
	int w = want_thumb ? 5 : 2, blob = want_thumb ? 7 : 4;
	msgpack_packer *pk = rq->out;
	msgpack_pack_map(pk, 5);
	ag_pack_key(pk, "id");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 0));
	ag_pack_key(pk, "mime");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "width");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, w));
	ag_pack_key(pk, "height");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, w + 1));
	ag_pack_key(pk, "data");
	const void *bytes = sqlite3_column_blob(st, blob);
	size_t n = (size_t)sqlite3_column_bytes(st, blob);
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, bytes, n);
	sqlite3_reset(st);
	return AG_OK;
}

/* ---- saga steps' helpers ---- */

enum ag_err media_attach(struct saga_run *run, int64_t media_id, bool to_story, int64_t target)
{
	sqlite3_stmt *st = db_prep(run->db,
		"SELECT owner_id, post_id IS NOT NULL OR story_id IS NOT NULL "
		"OR deleting_saga IS NOT NULL FROM media WHERE id = ?1");
	if (!st)
		return saga_db_error(run, "find photo");
	sqlite3_bind_int64(st, 1, media_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return saga_db_error(run, "find photo");
	int64_t owner = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	bool attached = rc == SQLITE_ROW && sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (owner != run->initiator)
		return saga_fail(run, AG_E_NOT_FOUND, "Photo not found.");
	if (attached)
		return saga_fail(run, AG_E_CONFLICT,
			"That photo is already attached to a post or story.");
	st = to_story
		? db_prep(run->db, "UPDATE media SET story_id = ?2 WHERE id = ?1")
		: db_prep(run->db, "UPDATE media SET post_id = ?2 WHERE id = ?1");
	if (!st)
		return saga_db_error(run, "attach photo");
	sqlite3_bind_int64(st, 1, media_id);
	sqlite3_bind_int64(st, 2, target);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "attach photo");
	return AG_OK;
}

enum ag_err media_detach(struct saga_run *run, bool from_story, int64_t target)
{
	sqlite3_stmt *st = from_story
		? db_prep(run->db, "UPDATE media SET story_id = NULL WHERE story_id = ?1")
		: db_prep(run->db, "UPDATE media SET post_id = NULL WHERE post_id = ?1");
	if (!st)
		return saga_db_error(run, "detach photo");
	sqlite3_bind_int64(st, 1, target);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "detach photo");
	return AG_OK;
}

/* ---- the sweep ---- */

int media_sweep(struct db *db, int64_t now)
{
	/* A cheap look first, so an idle server takes no write lock. */
	sqlite3_stmt *st = db_prep(db,
		"SELECT EXISTS (SELECT 1 FROM media WHERE post_id IS NULL AND story_id IS NULL "
		"AND deleting_saga IS NULL AND created_at <= ?1) "
		"OR EXISTS (SELECT 1 FROM media m JOIN stories s ON s.id = m.story_id "
		"WHERE s.expires_at <= ?2) "
		"OR EXISTS (SELECT 1 FROM media_uploads WHERE created_at <= ?3)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now - MEDIA_UNATTACHED_TTL_MS);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now - DAY_MS);
	int rc = sqlite3_step(st);
	bool due = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (!due)
		return 0;
	if (db_begin(db) != SQLITE_OK)
		return -1;
	int removed = 0;
	st = db_prep(db, "DELETE FROM media WHERE post_id IS NULL AND story_id IS NULL "
		"AND deleting_saga IS NULL AND created_at <= ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, now - MEDIA_UNATTACHED_TTL_MS);
		rc = sqlite3_step(st);
		removed += sqlite3_changes(db->conn);
	}
	if (st && rc == SQLITE_DONE && (st = db_prep(db, "DELETE FROM media WHERE story_id IN "
			"(SELECT id FROM stories WHERE expires_at <= ?1)")) != NULL) {
		sqlite3_bind_int64(st, 1, now);
		rc = sqlite3_step(st);
		removed += sqlite3_changes(db->conn);
	}
	if (st && rc == SQLITE_DONE && (st = db_prep(db,
			"DELETE FROM media_uploads WHERE created_at <= ?1")) != NULL) {
		sqlite3_bind_int64(st, 1, now - DAY_MS);
		rc = sqlite3_step(st);
	}
	if (!st || rc != SQLITE_DONE || db_commit(db) != SQLITE_OK) {
		ag_error("media sweep: %s", sqlite3_errmsg(db->conn));
		db_rollback(db);
		return -1;
	}
	if (removed > 0)
		ag_info("removed %d photo(s) of expired stories or never attached", removed);
	return removed;
}
