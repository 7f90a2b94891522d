/* server_ops.c: ops about the server itself: server.ping, server.info and
 * saga.get (the durable record of a saga the caller started). */
#include "server.h"

enum ag_err h_server_ping(struct req *rq)
{
	msgpack_pack_map(rq->out, 2);
	ag_pack_key(rq->out, "pong");
	msgpack_pack_true(rq->out);
	ag_pack_key(rq->out, "time");
	msgpack_pack_int64(rq->out, rq->now);
	return AG_OK;
}

enum ag_err h_server_info(struct req *rq)
{
	msgpack_packer *pk = rq->out;
	msgpack_pack_map(pk, 5);
	ag_pack_key(pk, "name");
	ag_pack_str(pk, "ansigramd");
	ag_pack_key(pk, "version");
	ag_pack_str(pk, AG_VERSION);
	ag_pack_key(pk, "protocol");
	msgpack_pack_int(pk, AG_PROTOCOL_VERSION);
	ag_pack_key(pk, "pub");
	msgpack_pack_array(pk, (size_t)g_config.n_pub);
	for (int i = 0; i < g_config.n_pub; i++)
		ag_pack_str(pk, g_config.pub[i]);
	ag_pack_key(pk, "ops");
	msgpack_pack_array(pk, AG_OP__COUNT);
	for (int i = 0; i < AG_OP__COUNT; i++)
		ag_pack_str(pk, ag_ops[i].name);
	return AG_OK;
}

static enum ag_err pack_step_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st)
{
	(void)rq;
	bool has_error = sqlite3_column_type(st, 3) != SQLITE_NULL;
	msgpack_pack_map(pk, has_error ? 4 : 3);
	ag_pack_key(pk, "name");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 0));
	ag_pack_key(pk, "status");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 2));
	if (has_error) {
		ag_pack_key(pk, "error");
		ag_pack_str(pk, (const char *)sqlite3_column_text(st, 3));
	}
	return AG_OK;
}

enum ag_err h_saga_get(struct req *rq)
{
	const char *id = ag_arg_str(rq->args, "saga_id");
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT type, state, created_at, updated_at FROM sagas "
		"WHERE id = ?1 AND initiator = ?2");
	if (!st)
		return req_db_error(rq, "saga.get");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rq->uid);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		return req_fail(rq, AG_E_NOT_FOUND, "No saga of yours has that id.");
	if (step != SQLITE_ROW)
		return req_db_error(rq, "saga.get");
	msgpack_packer *pk = rq->out;
	msgpack_pack_map(pk, 6);
	ag_pack_key(pk, "id");
	ag_pack_str(pk, id);
	ag_pack_key(pk, "type");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 0));
	ag_pack_key(pk, "state");
	ag_pack_str(pk, (const char *)sqlite3_column_text(st, 1));
	ag_pack_key(pk, "created_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 2));
	ag_pack_key(pk, "updated_at");
	msgpack_pack_int64(pk, sqlite3_column_int64(st, 3));
	sqlite3_reset(st);
	ag_pack_key(pk, "steps");
	sqlite3_stmt *steps = db_prep(rq->db,
		"SELECT name, status, at, error FROM saga_steps WHERE saga_id = ?1 ORDER BY id");
	if (!steps)
		return req_db_error(rq, "saga.get steps");
	sqlite3_bind_text(steps, 1, id, -1, SQLITE_STATIC);
	return pack_rows(rq, steps, pack_step_row);
}
