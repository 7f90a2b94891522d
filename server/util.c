/* util.c: small helpers shared by the handlers: errors, list arguments,
 * packing query results as arrays. */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The running server's configuration: main() fills it from the command
 * line before anything else starts. */
struct server_config g_config;

enum ag_err req_fail(struct req *rq, enum ag_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rq->err->code = code;
	rq->err->field[0] = '\0';
	rq->err->retry_after_ms = 0;
	vsnprintf(rq->err->message, sizeof rq->err->message, fmt, ap);
	va_end(ap);
	return code;
}

enum ag_err req_db_error(struct req *rq, const char *what)
{
	return db_fail(rq->db, rq->err, what);
}

enum ag_err db_fail(struct db *db, struct ag_error *err, const char *what)
{
	int rc = sqlite3_extended_errcode(db->conn);
	ag_error("database error in %s: %s", what, sqlite3_errmsg(db->conn));
	return db_fail_rc(storage_full_error(rc) ? rc : db->failed_rc, err);
}

enum ag_err db_fail_rc(int rc, struct ag_error *err)
{
	storage_check_now();
	if (storage_lost()) {
		ag_error_set(err, AG_E_UNAVAILABLE, NULL, "The server's database file is gone; "
			"the server must be restarted by its operator.");
		err->retry_after_ms = 60000;
		return AG_E_UNAVAILABLE;
	}
	if (storage_full_error(rc)) {
		ag_error_set(err, AG_E_UNAVAILABLE, NULL,
			"The server's storage is full; try again later.");
		err->retry_after_ms = STORAGE_FULL_RETRY_MS;
		return AG_E_UNAVAILABLE;
	}
	return ag_error_set(err, AG_E_INTERNAL, NULL, "The server could not complete the request.");
}

enum ag_err pack_rows(struct req *rq, sqlite3_stmt *st,
	enum ag_err (*row_fn)(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st))
{
	/* Rows go to a scratch buffer first: the array header needs the count. */
	msgpack_sbuffer items;
	msgpack_packer pk;
	msgpack_sbuffer_init(&items);
	msgpack_packer_init(&pk, &items, msgpack_sbuffer_write);
	uint32_t n = 0;
	enum ag_err rc = AG_OK;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_fn(rq, &pk, st)) != AG_OK)
			break;
		n++;
	}
	if (rc == AG_OK && step != SQLITE_DONE)
		rc = req_db_error(rq, "list");
	sqlite3_reset(st);
	if (rc == AG_OK) {
		msgpack_pack_array(rq->out, n);
		if (items.size)  /* the packed rows, as they are */
			rq->out->callback(rq->out->data, items.data, items.size);
	}
	msgpack_sbuffer_destroy(&items);
	return rc;
}

int64_t req_limit(struct req *rq)
{
	/* The op table's default column: 50 for comments, threads and
	 * notifications, 20 elsewhere (PROTOCOL.md section 3). */
	const struct ag_arg_spec *spec = ag_op_arg(rq->args->op, "limit");
	return ag_arg_int(rq->args, "limit", spec ? spec->dflt : 20);
}

int64_t req_offset(struct req *rq)
{
	return ag_arg_int(rq->args, "offset", 0);
}

int64_t req_before_id(struct req *rq)
{
	return ag_arg_int(rq->args, "before_id", INT64_MAX);
}
