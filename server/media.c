/* media.c: photos stored by the server (PROTOCOL.md section 8).
 *
 * media.upload has an ansigramd-media process (media_helper.c) normalise
 * the image: JPEG, PNG, WebP or GIF in, a JPEG of at most 1080 pixels on
 * its long side and a thumbnail out, without metadata. The server itself
 * never decodes an untrusted image and never loads the image libraries:
 * MEDIA_HELPERS processes, started on the first upload, restarted when
 * one dies and stopped after a minute without uploads, decode one upload
 * each at a time. Per-user limits cap uploads a minute and bytes a day.
 * media.get serves a photo that is attached to a post or to an unexpired
 * story, or that the caller uploaded. Also here: the Media object packer
 * that posts and stories use, the attach/detach helpers of the sagas, and
 * the sweep that removes photos of expired stories and photos never
 * attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"
#include "log.h"
#include "media_helper.h"
#include "server.h"

extern char **environ;

#define MEDIA_UNATTACHED_TTL_MS (24LL * 3600 * 1000)
#define MINUTE_MS (60LL * 1000)
#define DAY_MS (24LL * 3600 * 1000)

/* ANSIGRAM_UPLOAD_GATE, for tests (see wait_at_gate); NULL when unset. */
static const char *upload_gate;

/* ---- the decoding helpers ---- */

/* Uploads decoded at once, one helper process each; the others wait,
 * already read. Two keep both cores busy. */
#define MEDIA_HELPERS 2
/* A helper that has not answered by then is stopped and the upload refused. */
#define HELPER_REPLY_MS 30000

struct helper {
	pid_t pid;         /* 0 while none runs */
	int to, from;      /* its stdin and stdout */
	bool busy;
	int64_t last_used; /* ag_mono_ms when its last upload ended */
};

/* A helper with no upload for this long is stopped (its memory goes back
 * to the system); the next upload starts one again. */
#define HELPER_IDLE_MS 60000
static int64_t helper_idle_ms = HELPER_IDLE_MS;

static struct helper helpers[MEDIA_HELPERS];
static pthread_mutex_t helpers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helper_free = PTHREAD_COND_INITIALIZER;
static char helper_path[PATH_MAX];

/* Finds ansigramd-media next to this executable, else in AG_LIBEXECDIR. */
static int find_helper(void)
{
	char self[PATH_MAX - sizeof MEDIA_HELPER_NAME - 1];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(helper_path, sizeof helper_path, "%s/" MEDIA_HELPER_NAME, self);
			if (access(helper_path, X_OK) == 0)
				return 0;
		}
	}
	snprintf(helper_path, sizeof helper_path, "%s/" MEDIA_HELPER_NAME, AG_LIBEXECDIR);
	if (access(helper_path, X_OK) == 0)
		return 0;
	ag_error("cannot find the photo decoder " MEDIA_HELPER_NAME " next to ansigramd or in "
		"%s: reinstall ansigram", AG_LIBEXECDIR);
	return -1;
}

int media_init(void)
{
	if (find_helper() != 0)
		return -1;
	const char *idle = getenv("ANSIGRAM_DECODER_IDLE_MS");  /* for tests */
	if (idle && *idle)
		helper_idle_ms = atoll(idle) > 0 ? atoll(idle) : HELPER_IDLE_MS;
	upload_gate = getenv("ANSIGRAM_UPLOAD_GATE");
	if (upload_gate && *upload_gate)
		ag_warn("upload gate armed: uploads wait until %s exists", upload_gate);
	else
		upload_gate = NULL;
	return 0;
}

/* Ends h's process (it may be stuck or dead) and forgets it. */
static void stop_helper(struct helper *h)
{
	if (h->pid <= 0)
		return;
	close(h->to);
	close(h->from);
	kill(h->pid, SIGKILL);
	int status;
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
}

void media_stop_idle_decoders(void)
{
	int64_t now = ag_mono_ms();
	for (int i = 0; i < MEDIA_HELPERS; i++) {
		struct helper *h = &helpers[i];
		pthread_mutex_lock(&helpers_lock);
		bool idle = !h->busy && h->pid > 0 && now - h->last_used >= helper_idle_ms;
		h->busy |= idle;  /* this thread's while it stops */
		pthread_mutex_unlock(&helpers_lock);
		if (!idle)
			continue;
		ag_debug("stopping the photo decoder (pid %ld): idle", (long)h->pid);
		stop_helper(h);
		pthread_mutex_lock(&helpers_lock);
		h->busy = false;
		pthread_cond_signal(&helper_free);
		pthread_mutex_unlock(&helpers_lock);
	}
}

void media_shutdown(void)
{
	for (int i = 0; i < MEDIA_HELPERS; i++)
		stop_helper(&helpers[i]);
}

/* Starts h's process with pipes to its stdin and stdout and no other of
 * the server's files. */
static int start_helper(struct helper *h)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	char *const argv[] = {helper_path, NULL};
	int rc = posix_spawn(&h->pid, helper_path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		ag_error("cannot start %s: %s", helper_path, strerror(rc));
		close(in[1]);
		close(out[0]);
		h->pid = 0;
		return -1;
	}
	h->to = in[1];
	h->from = out[0];
	return 0;
}

struct encoded {
	void *data;        /* free */
	size_t bytes;
	uint32_t width, height;
};

static bool receive_encoded(int fd, struct encoded *e, int64_t deadline)
{
	uint32_t head[3];
	if (!ag_read_full(fd, head, sizeof head, deadline) || head[2] > MEDIA_HELPER_MAX_INPUT)
		return false;
	e->width = head[0];
	e->height = head[1];
	e->bytes = head[2];
	e->data = malloc(e->bytes ? e->bytes : 1);
	return e->data && ag_read_full(fd, e->data, e->bytes, deadline);
}

/* One exchange with h. Returns AG_OK, bad_request with the helper's
 * reason, or AG_E_UNAVAILABLE when the helper could not answer (dead,
 * stuck or garbled; it is stopped then). */
static enum ag_err ask_helper(struct helper *h, const void *data, size_t len,
	struct encoded *full, struct encoded *thumb, struct ag_error *err)
{
	uint32_t n = (uint32_t)len;
	int64_t deadline = ag_mono_ms() + HELPER_REPLY_MS;
	unsigned char status = 0;
	bool talked = ag_write_full(h->to, &n, sizeof n) && ag_write_full(h->to, data, len) &&
		ag_read_full(h->from, &status, 1, deadline);
	if (talked && status == MEDIA_HELPER_OK) {
		if (receive_encoded(h->from, full, deadline) &&
		    receive_encoded(h->from, thumb, deadline))
			return AG_OK;
	} else if (talked && status == MEDIA_HELPER_REFUSED) {
		uint32_t reason_len = 0;
		char reason[200];
		if (ag_read_full(h->from, &reason_len, sizeof reason_len, deadline) &&
		    reason_len < sizeof reason &&
		    ag_read_full(h->from, reason, reason_len, deadline)) {
			reason[reason_len] = '\0';
			return ag_error_set(err, AG_E_BAD_REQUEST, "data", "%s", reason);
		}
	}
	ag_warn("the photo decoder (pid %ld) failed on an upload of %zu bytes; starting another",
		(long)h->pid, len);
	stop_helper(h);
	free(full->data);
	free(thumb->data);
	full->data = thumb->data = NULL;
	return AG_E_UNAVAILABLE;
}

/* Has a helper make the stored photo and its thumbnail from an upload.
 * Returns AG_OK, bad_request (field "data") with the reason in err, or
 * internal when no helper can run. */
static enum ag_err normalise(const void *data, size_t len, struct encoded *full,
	struct encoded *thumb, struct ag_error *err)
{
	memset(full, 0, sizeof *full);
	memset(thumb, 0, sizeof *thumb);
	pthread_mutex_lock(&helpers_lock);
	struct helper *h = NULL;
	while (!h) {
		for (int i = 0; i < MEDIA_HELPERS && !h; i++)
			if (!helpers[i].busy)
				h = &helpers[i];
		if (!h)
			pthread_cond_wait(&helper_free, &helpers_lock);
	}
	h->busy = true;
	pthread_mutex_unlock(&helpers_lock);

	/* The helper is this thread's alone until it is handed back. A helper
	 * that served earlier uploads may have died since (killed, or out of
	 * memory): then a fresh one gets the upload once more. A helper that
	 * dies on this upload's own bytes refuses it. */
	enum ag_err rc = AG_E_UNAVAILABLE;
	for (int attempt = 0; attempt < 2 && rc == AG_E_UNAVAILABLE; attempt++) {
		bool fresh = h->pid == 0;
		if (fresh && start_helper(h) != 0) {
			rc = ag_error_set(err, AG_E_INTERNAL, NULL,
				"The server cannot decode photos now.");
			break;
		}
		rc = ask_helper(h, data, len, full, thumb, err);
		if (rc == AG_E_UNAVAILABLE && fresh)
			rc = ag_error_set(err, AG_E_BAD_REQUEST, "data", "data could not be decoded.");
	}
	pthread_mutex_lock(&helpers_lock);
	h->busy = false;
	h->last_used = ag_mono_ms();
	pthread_cond_signal(&helper_free);
	pthread_mutex_unlock(&helpers_lock);
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
	free(full.data);
	free(thumb.data);
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
