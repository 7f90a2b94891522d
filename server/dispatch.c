/* dispatch.c: the request path between the transport and the handlers:
 * decode the frame, find the op in the table, check auth, validate the
 * args, replay or record idempotent saga requests, run the handler h_<op>
 * and pack the response. */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

static const handler_fn handlers[AG_OP__COUNT] = {
#define AG_OP(id, ...) [AG_OP_##id] = h_##id,
#include "ops.def"
#undef AG_OP
};

#define IDEM_WINDOW_MS (24LL * 3600 * 1000)

/* Requests with the same (caller, idem) run one at a time, so a re-sent
 * request waits for the first and then replays its response. */
#define IDEM_LOCKS 64
static pthread_mutex_t idem_locks[IDEM_LOCKS] = {
#define L4 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, \
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER
#define L16 L4, L4, L4, L4
	L16, L16, L16, L16
#undef L16
#undef L4
};

static pthread_mutex_t *idem_lock(int64_t uid, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)uid;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return &idem_locks[h % IDEM_LOCKS];
}

enum idem_state { IDEM_NEW, IDEM_REPLAYED, IDEM_UNSETTLED };

/* A stored response is the reply map packed without `id`, minus its
 * fixmap header; replaying writes a new header, the new id, then it. A
 * record without a response belongs to a request that a crash cut short
 * and recovery has not settled yet (IDEM_UNSETTLED). */
static enum idem_state idem_replay(struct db *db, const struct ag_request *req, int64_t uid,
	int64_t now, msgpack_sbuffer *out)
{
	sqlite3_stmt *st = db_prep(db,
		"SELECT response, entries FROM idempotency "
		"WHERE user_id = ?1 AND key = ?2 AND created_at > ?3");
	if (!st)
		return IDEM_NEW;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, req->idem, (int)req->idem_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now - IDEM_WINDOW_MS);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return IDEM_NEW;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_reset(st);
		return IDEM_UNSETTLED;
	}
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	int entries = sqlite3_column_int(st, 1);
	msgpack_pack_map(&pk, (size_t)entries + (req->has_id ? 1 : 0));
	if (req->has_id) {
		ag_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, req->id);
	}
	msgpack_sbuffer_write(out, sqlite3_column_blob(st, 0),
		(size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	return IDEM_REPLAYED;
}

/* Records the response of (uid, key), as packed by ag_response_pack
 * without an id, keeping the record's creation time when saga_begin
 * already wrote it, in a unit on the writer, and waits for its commit.
 * A failure leaves the record for recovery to settle. */
static void idem_store(int64_t uid, const char *key, size_t key_len,
	int64_t now, const char *saga_id, const msgpack_sbuffer *no_id_response)
{
	/* Our responses have at most 6 entries: always a fixmap. */
	const unsigned char *p = (const unsigned char *)no_id_response->data;
	if (no_id_response->size < 1 || (p[0] & 0xF0) != 0x80 || writer_begin() != SQLITE_OK)
		return;
	struct db *db = writer_db();
	sqlite3_stmt *st = db_prep(db,
		"INSERT INTO idempotency (user_id, key, saga_id, response, entries, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, key) DO UPDATE SET "
		"saga_id = excluded.saga_id, response = excluded.response, entries = excluded.entries");
	if (st) {
		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_text(st, 2, key, (int)key_len, SQLITE_STATIC);
		db_bind_text(st, 3, saga_id && *saga_id ? saga_id : NULL);
		sqlite3_bind_blob(st, 4, p + 1, (int)no_id_response->size - 1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, p[0] & 0x0F);
		sqlite3_bind_int64(st, 6, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			ag_error("idempotency record: %s", sqlite3_errmsg(db->conn));
		sqlite3_reset(st);
	}
	int rc = writer_wait(writer_end(false));
	if (rc != SQLITE_OK)
		ag_error("idempotency record: commit failed: %s", sqlite3_errstr(rc));
}

/* Packs (without an id) and records the response for (uid, key). */
static void idem_record(int64_t uid, const char *key, size_t key_len,
	int64_t now, const struct ag_error *err, const msgpack_sbuffer *data, const char *saga_id)
{
	msgpack_sbuffer stored;
	msgpack_sbuffer_init(&stored);
	ag_response_pack(&stored, false, 0, err->code ? err : NULL,
		data->size ? data->data : NULL, data->size, saga_id[0] ? saga_id : NULL);
	idem_store(uid, key, key_len, now, saga_id, &stored);
	msgpack_sbuffer_destroy(&stored);
}

/* Settles one record left without a response; see dispatch_recover_idempotency. */
static int settle_idem(struct db *db, int64_t uid, const char *key, const char *saga_id,
	const char *type, const char *state)
{
	struct ag_error err = {0};
	msgpack_sbuffer data;
	msgpack_sbuffer_init(&data);
	int rc = 0;
	if (strcmp(state, "compensated") == 0) {
		sqlite3_stmt *st = db_prep(db, "DELETE FROM idempotency WHERE user_id = ?1 AND key = ?2");
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		rc = db_step_write(db, st) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(st);
		msgpack_sbuffer_destroy(&data);
		return rc;
	}
	const struct saga_def *def = saga_def_named(type);
	if (strcmp(state, "completed") == 0 && def && def->reply) {
		msgpack_packer pk;
		msgpack_packer_init(&pk, &data, msgpack_sbuffer_write);
		struct req rq = {.db = db, .err = &err, .uid = uid, .now = ag_now_ms(), .out = &pk};
		struct saga_run run = {.db = db, .home = db, .def = def, .initiator = uid, .now = rq.now,
			.err = &err};
		snprintf(run.id, sizeof run.id, "%s", saga_id);
		if (def->reply(&run, &rq) != AG_OK) {
			data.size = 0;
			if (!err.code)
				ag_error_set(&err, AG_E_INTERNAL, NULL,
					"The server could not complete the request.");
		}
	} else {
		ag_error_set(&err, AG_E_INTERNAL, NULL, "The server could not complete the request.");
	}
	char saga[40];
	snprintf(saga, sizeof saga, "%s", saga_id);
	idem_record(uid, key, strlen(key), ag_now_ms(), &err, &data, saga);
	db_reset_all(db);
	msgpack_sbuffer_destroy(&data);
	return rc;
}

int dispatch_recover_idempotency(struct db *db)
{
	sqlite3_stmt *st = db_prep(db,
		"SELECT i.user_id, i.key, i.saga_id, s.type, s.state FROM idempotency i "
		"JOIN sagas s ON s.id = i.saga_id "
		"WHERE i.response IS NULL AND s.state IN ('completed', 'compensated', 'failed')");
	if (!st)
		return -1;
	/* Collect first: settling writes to the table being read. */
	struct pending { int64_t uid; char key[72], saga_id[40], type[32], state[16]; } *list = NULL;
	size_t n = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			struct pending *bigger = realloc(list, (cap = cap ? 2 * cap : 16) * sizeof *list);
			if (!bigger)
				break;
			list = bigger;
		}
		struct pending *p = &list[n++];
		p->uid = sqlite3_column_int64(st, 0);
		snprintf(p->key, sizeof p->key, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(p->saga_id, sizeof p->saga_id, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(p->type, sizeof p->type, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(st, 4));
	}
	sqlite3_reset(st);
	int settled = 0;
	for (size_t i = 0; i < n; i++) {
		if (settle_idem(db, list[i].uid, list[i].key, list[i].saga_id, list[i].type,
				list[i].state) != 0)
			break;
		ag_info("recovery: idempotent request of saga %s (%s) settled as %s",
			list[i].saga_id, list[i].type, list[i].state);
		settled++;
	}
	free(list);
	return step == SQLITE_DONE || step == SQLITE_ROW ? settled : -1;
}

void dispatch_expire_idempotency(struct db *db, int64_t now)
{
	sqlite3_stmt *st = db_prep(db, "DELETE FROM idempotency WHERE created_at <= ?1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, now - IDEM_WINDOW_MS);
	db_step_write(db, st);
	sqlite3_reset(st);
}

/* Authenticates per the op's auth mode. Returns AG_OK with rq->uid set (or
 * 0 when anonymous), unauthorized, or the database's own failure. */
static enum ag_err authenticate(struct req *rq, const struct ag_op_spec *op,
	const struct ag_request *req)
{
	if (op->auth == AG_AUTH_NONE || op->auth == AG_AUTH_GATEWAY)
		return AG_OK;  /* a token on an op that needs none is ignored */
	if (!req->auth) {
		if (op->auth == AG_AUTH_REQ)
			return req_fail(rq, AG_E_UNAUTHORIZED, "This operation needs you to log in.");
		return AG_OK;
	}
	enum ag_err rc = auth_resolve(rq->db, req->auth, req->auth_len, rq->now, &rq->uid,
		&rq->session_id);
	if (rc == AG_E_INTERNAL)  /* the lookup itself failed: not the caller's fault */
		return req_db_error(rq, "session lookup");
	if (rc != AG_OK)
		return req_fail(rq, AG_E_UNAUTHORIZED,
			"Your session is invalid or has expired; log in again.");
	return AG_OK;
}

static void run_handler(struct req *rq, const struct ag_op_spec *op, msgpack_sbuffer *data)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, data, msgpack_sbuffer_write);
	rq->out = &pk;
	db_explain_op(op->name);
	enum ag_err rc = handlers[op->id](rq);
	if (!sqlite3_get_autocommit(rq->db->conn)) {
		/* A handler that left its own transaction (db_begin) open. */
		db_rollback(rq->db);
		if (rc == AG_OK) {
			ag_error("%s left a transaction open; rolled back", op->name);
			rc = req_fail(rq, AG_E_INTERNAL, "The server could not complete the request.");
		}
	}
	if (rc != AG_OK && rq->err->code == AG_OK)  /* a handler forgot its message */
		req_fail(rq, rc, "The request failed.");
	db_reset_all(rq->db);
}

void dispatch_frame(struct db *db, const struct peer *peer, const void *frame, size_t len,
	msgpack_sbuffer *out)
{
	struct ag_request req;
	struct ag_error err = {0};
	struct ag_args args = {0};
	msgpack_sbuffer data;
	msgpack_sbuffer_init(&data);
	struct req rq = {.db = db, .err = &err, .now = ag_now_ms(), .args = &args, .peer = peer};
	const struct ag_op_spec *op = NULL;
	pthread_mutex_t *lock = NULL;

	if (ag_request_decode(frame, len, &req, &err) != AG_OK)
		goto respond;
	op = ag_op_find(req.op, req.op_len);
	if (!op) {
		ag_error_set(&err, AG_E_UNKNOWN_OP, NULL, "There is no operation \"%.*s\".",
			(int)(req.op_len > 64 ? 64 : req.op_len), req.op);
		goto respond;
	}
	if (storage_lost() && op->id != AG_OP_server_info) {
		ag_error_set(&err, AG_E_UNAVAILABLE, NULL, "The server's database file is gone; "
			"the server must be restarted by its operator.");
		err.retry_after_ms = 60000;
		goto respond;
	}
	if (authenticate(&rq, op, &req) != AG_OK ||
	    ag_args_decode(op, req.args, &args, &err) != AG_OK)
		goto respond;

	if (op->saga && req.idem && rq.uid) {
		lock = idem_lock(rq.uid, req.idem, req.idem_len);
		pthread_mutex_lock(lock);
		enum idem_state seen = idem_replay(db, &req, rq.uid, rq.now, out);
		if (seen == IDEM_REPLAYED) {
			ag_debug("%s: replayed idempotent response", op->name);
			goto done;
		}
		if (seen == IDEM_UNSETTLED) {
			pthread_mutex_unlock(lock);
			lock = NULL;
			req_fail(&rq, AG_E_UNAVAILABLE, "The first request with this idempotency "
				"key is still being finished; try again shortly.");
			err.retry_after_ms = 1000;
			goto respond;
		}
		rq.idem = req.idem;
		rq.idem_len = req.idem_len;
	}
	run_handler(&rq, op, &data);

respond:
	if (lock)  /* record the reply as it would be without an id, then send it */
		idem_record(rq.uid, req.idem, req.idem_len, rq.now, &err, &data, rq.saga_id);
	ag_response_pack(out, req.has_id, req.id, err.code ? &err : NULL,
		data.size ? data.data : NULL, data.size, rq.saga_id[0] ? rq.saga_id : NULL);
	if (err.code)
		ag_debug("%s: %s: %s", op ? op->name : "?", ag_err_name(err.code), err.message);
done:
	if (lock)
		pthread_mutex_unlock(lock);
	db_reset_all(db);
	msgpack_sbuffer_destroy(&data);
	ag_args_free(&args);
	ag_request_free(&req);
}
