/* fuzz_request.c: libFuzzer target for the request path without a server:
 * a frame through ag_request_decode, the op lookup, argument decoding and
 * validation (for the op it names, and for the op its id picks, so any
 * args map meets every op's rules), and the response packed for it, which
 * must itself be one well-formed MessagePack map. */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Packs the decoded arguments back as a map, the way a handler would
 * answer with data. */
static void pack_args(msgpack_sbuffer *sb, const struct ag_args *a)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	size_t n = 0;
	for (size_t i = 0; i < a->op->n_args; i++)
		n += a->v[i].present;
	msgpack_pack_map(&pk, n);
	for (size_t i = 0; i < a->op->n_args; i++) {
		const struct ag_argval *v = &a->v[i];
		const struct ag_arg_spec *spec = &a->op->args[i];
		if (!v->present)
			continue;
		ag_pack_key(&pk, spec->name);
		if (v->nil)
			msgpack_pack_nil(&pk);
		else if (spec->type == AG_T_STR)
			ag_pack_strn(&pk, v->s, v->len);
		else if (spec->type == AG_T_BIN) {
			msgpack_pack_bin(&pk, v->len);
			msgpack_pack_bin_body(&pk, v->bin, v->len);
		} else if (spec->type == AG_T_BOOL)
			v->b ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
		else
			msgpack_pack_int64(&pk, v->i);
	}
}

/* A response must be one walkable map with a boolean "ok". */
static void check_response(const msgpack_sbuffer *sb)
{
	struct ag_error err;
	if (ag_msgpack_walk(sb->data, sb->size, &err) != AG_OK)
		abort();
	msgpack_unpacked un;
	msgpack_unpacked_init(&un);
	size_t off = 0;
	if (msgpack_unpack_next(&un, sb->data, sb->size, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != sb->size || un.data.type != MSGPACK_OBJECT_MAP)
		abort();
	bool has_ok = false;
	for (uint32_t i = 0; i < un.data.via.map.size; i++) {
		const msgpack_object *k = &un.data.via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2 &&
		    memcmp(k->via.str.ptr, "ok", 2) == 0)
			has_ok = un.data.via.map.ptr[i].val.type == MSGPACK_OBJECT_BOOLEAN;
	}
	if (!has_ok)
		abort();
	msgpack_unpacked_destroy(&un);
}

/* Decodes args for op and packs the response a server would send. */
static void answer(const struct ag_request *req, const struct ag_op_spec *op)
{
	struct ag_args args;
	struct ag_error err;
	msgpack_sbuffer sb, data;
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&data);
	if (ag_args_decode(op, req->args, &args, &err) == AG_OK) {
		pack_args(&data, &args);
		ag_response_pack(&sb, req->has_id, req->id, NULL, data.data, data.size,
			op->saga ? "saga-id" : NULL);
		ag_args_free(&args);
	} else {
		ag_response_pack(&sb, req->has_id, req->id, &err, NULL, 0, NULL);
	}
	check_response(&sb);
	msgpack_sbuffer_destroy(&data);
	msgpack_sbuffer_destroy(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_request req;
	struct ag_error err;
	if (ag_request_decode(data, size, &req, &err) != AG_OK) {
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		ag_response_pack(&sb, req.has_id, req.id, &err, NULL, 0, NULL);
		check_response(&sb);
		msgpack_sbuffer_destroy(&sb);
		ag_request_free(&req);
		return 0;
	}
	const struct ag_op_spec *op = ag_op_find(req.op, req.op_len);
	if (op != NULL)
		answer(&req, op);
	if (req.has_id)
		answer(&req, &ag_ops[req.id % AG_OP__COUNT]);
	ag_request_free(&req);
	return 0;
}
