/* dispatch.c: the request path between the transport and the handlers:
 * decode the frame, find the op in the table, check auth, validate the
 * args, replay or record idempotent saga requests, run the handler h_<op>
 * and pack the response. */
#include "server.h"

#include <pthread.h>
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

/* A stored response is the reply map packed without `id`, minus its
 * fixmap header; replaying writes a new header, the new id, then it. */
static bool idem_replay(struct db *db, const struct ag_request *req, int64_t uid,
	int64_t now, msgpack_sbuffer *out)
{
	sqlite3_stmt *st = db_prep(db,
		"SELECT response, entries FROM idempotency "
		"WHERE user_id = ?1 AND key = ?2 AND created_at > ?3");
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, req->idem, (int)req->idem_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now - IDEM_WINDOW_MS);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return false;
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
	return true;
}

static void idem_store(struct db *db, const struct ag_request *req, int64_t uid,
	int64_t now, const msgpack_sbuffer *no_id_response)
{
	/* Our responses have at most 6 entries: always a fixmap. */
	const unsigned char *p = (const unsigned char *)no_id_response->data;
	if (no_id_response->size < 1 || (p[0] & 0xF0) != 0x80)
		return;
	sqlite3_stmt *st = db_prep(db,
		"INSERT OR REPLACE INTO idempotency (user_id, key, response, entries, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_text(st, 2, req->idem, (int)req->idem_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p + 1, (int)no_id_response->size - 1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, p[0] & 0x0F);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		ag_error("idempotency record: %s", sqlite3_errmsg(db->conn));
	sqlite3_reset(st);
}

void dispatch_expire_idempotency(struct db *db, int64_t now)
{
	sqlite3_stmt *st = db_prep(db, "DELETE FROM idempotency WHERE created_at <= ?1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, now - IDEM_WINDOW_MS);
	sqlite3_step(st);
	sqlite3_reset(st);
}

/* Authenticates per the op's auth mode. Returns AG_OK with rq->uid set (or
 * 0 when anonymous), or unauthorized. */
static enum ag_err authenticate(struct req *rq, const struct ag_op_spec *op,
	const struct ag_request *req)
{
	if (op->auth == AG_AUTH_NONE)
		return AG_OK;  /* a token on an op that needs none is ignored */
	if (!req->auth) {
		if (op->auth == AG_AUTH_REQ)
			return req_fail(rq, AG_E_UNAUTHORIZED, "This operation needs you to log in.");
		return AG_OK;
	}
	if (auth_resolve(rq->db, req->auth, req->auth_len, rq->now, &rq->uid,
			&rq->session_id) != AG_OK)
		return req_fail(rq, AG_E_UNAUTHORIZED,
			"Your session is invalid or has expired; log in again.");
	return AG_OK;
}

static void run_handler(struct req *rq, const struct ag_op_spec *op, msgpack_sbuffer *data)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, data, msgpack_sbuffer_write);
	rq->out = &pk;
	enum ag_err rc = handlers[op->id](rq);
	if (!sqlite3_get_autocommit(rq->db->conn)) {
		/* A handler that failed between saga_begin and saga_execute: the
		 * saga never existed, so its id is not reported either. */
		db_rollback(rq->db);
		rq->saga_id[0] = '\0';
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
	if (authenticate(&rq, op, &req) != AG_OK ||
	    ag_args_decode(op, req.args, &args, &err) != AG_OK)
		goto respond;

	if (op->saga && req.idem && rq.uid) {
		lock = idem_lock(rq.uid, req.idem, req.idem_len);
		pthread_mutex_lock(lock);
		if (idem_replay(db, &req, rq.uid, rq.now, out)) {
			ag_debug("%s: replayed idempotent response", op->name);
			goto done;
		}
	}
	run_handler(&rq, op, &data);

respond:
	if (lock) {
		/* Record the reply as it would be without an id, then send it. */
		msgpack_sbuffer stored;
		msgpack_sbuffer_init(&stored);
		ag_response_pack(&stored, false, 0, err.code ? &err : NULL,
			data.size ? data.data : NULL, data.size, rq.saga_id[0] ? rq.saga_id : NULL);
		idem_store(db, &req, rq.uid, rq.now, &stored);
		msgpack_sbuffer_destroy(&stored);
	}
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
