/* outbox.c: push events on their way out. Saga steps queue events in the
 * outbox inside their own unit; the saga's completing unit releases them; the publisher thread, with its own SQLite connection,
 * seals each released event once per live recipient session (with that
 * session's next seq) and sends it on the PUB socket of the session's
 * shard, then deletes it. A
 * crash therefore never loses a completed saga's events nor publishes a
 * compensated one's. */
#include "server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "push.h"

/* A session is live for pushes if it made an authenticated request lately. */
#define LIVE_WINDOW_MS (15LL * 60 * 1000)
/* Events published per transaction. */
#define BATCH 64

enum ag_err saga_emit(struct saga_run *run, const char *type, enum push_audience to,
	int64_t user_id, int64_t skip_session, object_packer pack, int64_t id)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	struct req rq = {.db = run->db, .err = run->err, .now = run->now};
	enum ag_err e = pack(&rq, &pk, id);
	if (e == AG_OK) {
		sqlite3_stmt *st = db_prep(run->db,
			"INSERT INTO outbox (saga_id, audience, user_id, skip_session, type, payload, created_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
		if (!st)
			e = saga_db_error(run, "outbox");
		else {
			sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, to == PUSH_TO_USER ? "user" : "followers", -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, user_id);
			sqlite3_bind_int64(st, 4, skip_session);
			sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
			sqlite3_bind_blob(st, 6, sb.data, (int)sb.size, SQLITE_STATIC);
			sqlite3_bind_int64(st, 7, run->now);
			if (sqlite3_step(st) != SQLITE_DONE)
				e = saga_db_error(run, "outbox");
			sqlite3_reset(st);
		}
	}
	msgpack_sbuffer_destroy(&sb);
	return e;
}

static int outbox_exec(struct db *db, const char *sql, const char *saga_id)
{
	sqlite3_stmt *st = db_prep(db, sql);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, saga_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(st);
	return rc;
}

int outbox_discard(struct db *db, const char *saga_id)
{
	return outbox_exec(db, "DELETE FROM outbox WHERE saga_id = ?1", saga_id);
}

int outbox_release(struct db *db, const char *saga_id)
{
	return outbox_exec(db, "UPDATE outbox SET released = 1 WHERE saga_id = ?1", saga_id);
}

/* ---- the publisher thread ---- */

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool pending;        /* something was released since the last drain */
	bool stopping;
	bool running;
	const nng_socket *pubs;  /* one per push shard */
	struct db db;
} pubr = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

void publisher_wake(void)
{
	pthread_mutex_lock(&pubr.lock);
	pubr.pending = true;
	pthread_cond_signal(&pubr.wake);
	pthread_mutex_unlock(&pubr.lock);
}

/* Packs {type, seq, at, data} with data already packed. */
static void pack_event(msgpack_sbuffer *sb, const char *type, int64_t seq, int64_t at,
	const void *data, size_t len)
{
	msgpack_packer pk;
	sb->size = 0;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	ag_pack_key(&pk, "type");
	ag_pack_str(&pk, type);
	ag_pack_key(&pk, "seq");
	msgpack_pack_int64(&pk, seq);
	ag_pack_key(&pk, "at");
	msgpack_pack_int64(&pk, at);
	ag_pack_key(&pk, "data");
	msgpack_sbuffer_write(sb, data, len);
}

/* Sends one outbox row to every live recipient session. */
static int publish_row(sqlite3_stmt *row, int64_t now, msgpack_sbuffer *ev)
{
	struct db *db = &pubr.db;
	bool followers = strcmp((const char *)sqlite3_column_text(row, 1), "followers") == 0;
	sqlite3_stmt *rcpt = db_prep(db, followers
		? "SELECT s.id, s.push_topic, s.push_key FROM follows f "
		  "JOIN sessions s ON s.user_id = f.follower_id "
		  "WHERE f.followee_id = ?1 AND s.id != ?2 AND s.revoked = 0 "
		  "AND s.expires_at > ?3 AND s.last_seen_at > ?4"
		: "SELECT s.id, s.push_topic, s.push_key FROM sessions s "
		  "WHERE s.user_id = ?1 AND s.id != ?2 AND s.revoked = 0 "
		  "AND s.expires_at > ?3 AND s.last_seen_at > ?4");
	sqlite3_stmt *bump = db_prep(db,
		"UPDATE sessions SET push_seq = push_seq + 1 WHERE id = ?1 RETURNING push_seq");
	if (!rcpt || !bump)
		return -1;
	sqlite3_bind_int64(rcpt, 1, sqlite3_column_int64(row, 2));
	sqlite3_bind_int64(rcpt, 2, sqlite3_column_int64(row, 3));
	sqlite3_bind_int64(rcpt, 3, now);
	sqlite3_bind_int64(rcpt, 4, now - LIVE_WINDOW_MS);
	const char *type = (const char *)sqlite3_column_text(row, 4);
	const void *payload = sqlite3_column_blob(row, 5);
	size_t payload_len = (size_t)sqlite3_column_bytes(row, 5);
	int64_t at = sqlite3_column_int64(row, 6);
	int step;
	while ((step = sqlite3_step(rcpt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(rcpt, 1) != AG_PUSH_TOPIC_BYTES ||
		    sqlite3_column_bytes(rcpt, 2) != AG_PUSH_KEY_BYTES)
			continue;
		sqlite3_reset(bump);
		sqlite3_bind_int64(bump, 1, sqlite3_column_int64(rcpt, 0));
		if (sqlite3_step(bump) != SQLITE_ROW)
			return -1;
		int64_t seq = sqlite3_column_int64(bump, 0);
		sqlite3_reset(bump);
		pack_event(ev, type, seq, at, payload, payload_len);
		nng_msg *msg;
		if (nng_msg_alloc(&msg, ev->size + AG_PUSH_OVERHEAD) != 0)
			return -1;
		ag_push_seal(sqlite3_column_blob(rcpt, 1), sqlite3_column_blob(rcpt, 2),
			ev->data, ev->size, nng_msg_body(msg));
		nng_socket pub = pubr.pubs[transport_push_shard(sqlite3_column_blob(rcpt, 1))];
		if (nng_sendmsg(pub, msg, 0) != 0)
			nng_msg_free(msg);
	}
	sqlite3_reset(rcpt);
	return step == SQLITE_DONE ? 0 : -1;
}

/* Publishes up to BATCH released events in one transaction; returns how
 * many, or -1 on a database error. Events are sent before the commit that
 * deletes them: a crash in between re-sends rather than loses them. */
static int drain_batch(msgpack_sbuffer *ev)
{
	struct db *db = &pubr.db;
	if (db_begin(db) != SQLITE_OK)
		return -1;
	sqlite3_stmt *rows = db_prep(db,
		"SELECT id, audience, user_id, skip_session, type, payload, created_at "
		"FROM outbox WHERE released = 1 ORDER BY id LIMIT ?1");
	sqlite3_stmt *del = db_prep(db, "DELETE FROM outbox WHERE id = ?1");
	if (!rows || !del) {
		db_rollback(db);
		return -1;
	}
	sqlite3_bind_int(rows, 1, BATCH);
	int64_t now = ag_now_ms();
	int n = 0, step;
	while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
		if (publish_row(rows, now, ev) != 0)
			break;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, sqlite3_column_int64(rows, 0));
		if (sqlite3_step(del) != SQLITE_DONE)
			break;
		n++;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW) {
		ag_error("publisher: %s", sqlite3_errmsg(db->conn));
		db_rollback(db);
		return -1;
	}
	sqlite3_reset(rows);
	db_reset_all(db);
	if (db_commit(db) != SQLITE_OK)
		return -1;
	return n;
}

static void *publisher_main(void *arg)
{
	(void)arg;
	msgpack_sbuffer ev;
	msgpack_sbuffer_init(&ev);
	for (;;) {
		pthread_mutex_lock(&pubr.lock);
		while (!pubr.pending && !pubr.stopping)
			pthread_cond_wait(&pubr.wake, &pubr.lock);
		bool stop = pubr.stopping;
		pubr.pending = false;
		pthread_mutex_unlock(&pubr.lock);
		int n;
		while ((n = drain_batch(&ev)) == BATCH)
			;
		if (n < 0)
			ag_error("publisher: could not drain the outbox; will retry on the next event");
		if (stop)
			break;
	}
	msgpack_sbuffer_destroy(&ev);
	return NULL;
}

int publisher_start(const nng_socket *pubs, const char *db_path)
{
	if (db_open_more(&pubr.db, db_path) != 0)
		return -1;
	pubr.pubs = pubs;
	pubr.pending = true;  /* events released before a crash go out now */
	pubr.stopping = false;
	if (pthread_create(&pubr.thread, NULL, publisher_main, NULL) != 0) {
		db_close(&pubr.db);
		return -1;
	}
	pubr.running = true;
	return 0;
}

void publisher_stop(void)
{
	if (!pubr.running)
		return;
	pthread_mutex_lock(&pubr.lock);
	pubr.stopping = true;
	pthread_cond_signal(&pubr.wake);
	pthread_mutex_unlock(&pubr.lock);
	pthread_join(pubr.thread, NULL);
	db_close(&pubr.db);
	pubr.running = false;
}
