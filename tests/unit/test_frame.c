/* test_frame.c: request frames (decoding and every way to reject a bad
 * one), response frames (what ag_response_pack writes), and the client
 * library carrying both over an in-process nng socket. */
#include <criterion/criterion.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"

/* A frame being packed by hand. */
struct frame {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void frame_init(struct frame *f)
{
	msgpack_sbuffer_init(&f->sb);
	msgpack_packer_init(&f->pk, &f->sb, msgpack_sbuffer_write);
}

static void frame_destroy(struct frame *f)
{
	msgpack_sbuffer_destroy(&f->sb);
}

static void pack_s(struct frame *f, const char *s)
{
	msgpack_pack_str_with_body(&f->pk, s, strlen(s));
}

/* {v: 1, id: 7, op: "post.create", auth: "tok", idem: "key-1",
 *  args: {content: "hi #cats"}} */
static void pack_full_request(struct frame *f)
{
	msgpack_pack_map(&f->pk, 6);
	pack_s(f, "v");
	msgpack_pack_uint8(&f->pk, 1);
	pack_s(f, "id");
	msgpack_pack_uint64(&f->pk, 7);
	pack_s(f, "op");
	pack_s(f, "post.create");
	pack_s(f, "auth");
	pack_s(f, "tok");
	pack_s(f, "idem");
	pack_s(f, "key-1");
	pack_s(f, "args");
	msgpack_pack_map(&f->pk, 1);
	pack_s(f, "content");
	pack_s(f, "hi #cats");
}

/* Decodes f and returns the code; the request is freed. */
static enum ag_err decode_frame(struct frame *f, struct ag_error *err)
{
	struct ag_request req;
	enum ag_err rc = ag_request_decode(f->sb.data, f->sb.size, &req, err);
	ag_request_free(&req);
	return rc;
}

static enum ag_err decode_bytes(const void *buf, size_t len, struct ag_error *err)
{
	struct ag_request req;
	enum ag_err rc = ag_request_decode(buf, len, &req, err);
	ag_request_free(&req);
	return rc;
}

Test(frame, full_request_round_trip)
{
	struct frame f;
	frame_init(&f);
	pack_full_request(&f);
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err), AG_OK, "%s", err.message);
	/* the request owns its bytes: wipe the input */
	memset(f.sb.data, 0, f.sb.size);
	frame_destroy(&f);

	cr_assert_eq(req.v, 1);
	cr_assert(req.has_id);
	cr_assert_eq(req.id, 7);
	cr_assert_eq(req.op_len, strlen("post.create"));
	cr_assert_eq(memcmp(req.op, "post.create", req.op_len), 0);
	cr_assert_eq(req.auth_len, 3);
	cr_assert_eq(memcmp(req.auth, "tok", 3), 0);
	cr_assert_eq(req.idem_len, 5);
	cr_assert_eq(memcmp(req.idem, "key-1", 5), 0);
	cr_assert_not_null(req.args);
	cr_assert_eq(req.args->type, MSGPACK_OBJECT_MAP);
	cr_assert(ag_obj_str_eq(req.args, "content", "hi #cats"));

	struct ag_args args;
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_post_create], req.args, &args, &err), AG_OK);
	cr_assert_str_eq(ag_arg_str(&args, "content"), "hi #cats");
	cr_assert_null(ag_arg_str(&args, "image_url"));
	ag_args_free(&args);
	ag_request_free(&req);
}

Test(frame, minimal_request_has_no_optional_parts)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 2);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	pack_s(&f, "v");
	msgpack_pack_int64(&f.pk, 1);
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err), AG_OK);
	cr_assert_not(req.has_id);
	cr_assert_null(req.auth);
	cr_assert_null(req.idem);
	cr_assert_null(req.args);
	ag_request_free(&req);
	frame_destroy(&f);
}

Test(frame, nil_optional_keys_count_as_absent_and_unknown_keys_are_ignored)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 7);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	pack_s(&f, "id");
	msgpack_pack_nil(&f.pk);
	pack_s(&f, "auth");
	msgpack_pack_nil(&f.pk);
	pack_s(&f, "idem");
	msgpack_pack_nil(&f.pk);
	pack_s(&f, "args");
	msgpack_pack_nil(&f.pk);
	pack_s(&f, "future");
	msgpack_pack_array(&f.pk, 0);
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err), AG_OK, "%s", err.message);
	cr_assert_not(req.has_id);
	cr_assert_null(req.auth);
	cr_assert_null(req.idem);
	cr_assert_null(req.args);
	ag_request_free(&req);
	frame_destroy(&f);
}

Test(frame, any_integer_encoding_is_accepted_for_v_and_id)
{
	/* {v: uint64 1, id: uint32 5, op: "x"} written with wide encodings */
	const unsigned char buf[] = {
		0x83,
		0xa1, 'v', 0xcf, 0, 0, 0, 0, 0, 0, 0, 1,
		0xa2, 'i', 'd', 0xce, 0, 0, 0, 5,
		0xa2, 'o', 'p', 0xd9, 1, 'x',
	};
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(buf, sizeof buf, &req, &err), AG_OK, "%s", err.message);
	cr_assert_eq(req.id, 5);
	cr_assert_eq(req.op_len, 1);
	ag_request_free(&req);
}

Test(frame, truncation_at_every_byte_is_rejected)
{
	struct frame f;
	frame_init(&f);
	pack_full_request(&f);
	for (size_t n = 0; n < f.sb.size; n++) {
		struct ag_error err;
		cr_assert_eq(decode_bytes(f.sb.data, n, &err), AG_E_BAD_REQUEST, "length %zu", n);
		cr_assert_eq(err.code, AG_E_BAD_REQUEST);
	}
	struct ag_error err;
	cr_assert_eq(decode_bytes(f.sb.data, f.sb.size, &err), AG_OK);
	frame_destroy(&f);
}

Test(frame, trailing_bytes_are_rejected)
{
	struct frame f;
	frame_init(&f);
	pack_full_request(&f);
	msgpack_pack_nil(&f.pk);
	struct ag_error err;
	cr_assert_eq(decode_frame(&f, &err), AG_E_BAD_REQUEST);
	cr_assert(strstr(err.message, "after") != NULL, "%s", err.message);
	frame_destroy(&f);
}

Test(frame, top_level_must_be_a_map)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_array(&f.pk, 1);
	pack_s(&f, "v");
	struct ag_error err;
	cr_assert_eq(decode_frame(&f, &err), AG_E_BAD_REQUEST);
	frame_destroy(&f);
}

/* A request {v: 1, op: "server.ping", id: 42} where key (one of those or
 * another) has a value of the given kind instead. */
enum bad_kind { K_STR, K_INT, K_NEG, K_ARRAY, K_BOOL, K_FLOAT };

static void pack_kind(struct frame *f, enum bad_kind kind)
{
	switch (kind) {
	case K_STR: pack_s(f, "1"); break;
	case K_INT: msgpack_pack_uint8(&f->pk, 5); break;
	case K_NEG: msgpack_pack_int8(&f->pk, -1); break;
	case K_ARRAY: msgpack_pack_array(&f->pk, 1); msgpack_pack_uint8(&f->pk, 1); break;
	case K_BOOL: msgpack_pack_true(&f->pk); break;
	case K_FLOAT: msgpack_pack_double(&f->pk, 1.0); break;
	}
}

static enum ag_err decode_with(const char *key, enum bad_kind kind, struct ag_error *err,
	struct ag_request *req)
{
	static const char *const base[] = { "v", "op", "id" };
	bool replaces = false;
	for (size_t i = 0; i < 3; i++)
		replaces |= strcmp(key, base[i]) == 0;
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, replaces ? 3 : 4);
	for (size_t i = 0; i < 3; i++) {
		pack_s(&f, base[i]);
		if (strcmp(key, base[i]) == 0)
			pack_kind(&f, kind);
		else if (i == 0)
			msgpack_pack_uint8(&f.pk, 1);
		else if (i == 1)
			pack_s(&f, "server.ping");
		else
			msgpack_pack_uint8(&f.pk, 42);
	}
	if (!replaces) {
		pack_s(&f, key);
		pack_kind(&f, kind);
	}
	enum ag_err rc = ag_request_decode(f.sb.data, f.sb.size, req, err);
	frame_destroy(&f);
	return rc;
}

static void expect_bad(const char *key, enum bad_kind kind)
{
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(decode_with(key, kind, &err, &req), AG_E_BAD_REQUEST, "%s kind %d", key, kind);
	cr_assert_str_eq(err.field, key);
	ag_request_free(&req);
}

Test(frame, wrong_envelope_types_are_bad_requests)
{
	expect_bad("v", K_STR);
	expect_bad("v", K_NEG);
	expect_bad("v", K_FLOAT);
	expect_bad("v", K_BOOL);
	expect_bad("op", K_INT);
	expect_bad("op", K_ARRAY);
	expect_bad("id", K_STR);
	expect_bad("id", K_NEG);
	expect_bad("id", K_FLOAT);
	expect_bad("auth", K_INT);
	expect_bad("auth", K_ARRAY);
	expect_bad("idem", K_INT);
	expect_bad("idem", K_BOOL);
}

Test(frame, args_of_a_wrong_type_fail_in_args_decode)
{
	static const enum bad_kind kinds[] = { K_STR, K_INT, K_ARRAY, K_BOOL };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct ag_request req;
		struct ag_error err;
		cr_assert_eq(decode_with("args", kinds[i], &err, &req), AG_OK);
		cr_assert_not_null(req.args);
		struct ag_args args;
		cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_server_ping], req.args, &args, &err),
			AG_E_BAD_REQUEST);
		cr_assert_str_eq(err.field, "args");
		ag_request_free(&req);
	}
}

Test(frame, missing_v_or_op_is_a_bad_request_that_still_echoes_the_id)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 2);
	pack_s(&f, "id");
	msgpack_pack_uint8(&f.pk, 9);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err), AG_E_BAD_REQUEST);
	cr_assert_str_eq(err.field, "v");
	cr_assert(req.has_id);
	cr_assert_eq(req.id, 9);
	ag_request_free(&req);

	msgpack_sbuffer_clear(&f.sb);
	msgpack_pack_map(&f.pk, 2);
	pack_s(&f, "id");
	msgpack_pack_uint8(&f.pk, 10);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err), AG_E_BAD_REQUEST);
	cr_assert_str_eq(err.field, "op");
	cr_assert_eq(req.id, 10);
	ag_request_free(&req);
	frame_destroy(&f);
}

Test(frame, unsupported_version)
{
	static const uint64_t versions[] = { 0, 2, 1000 };
	for (size_t i = 0; i < 3; i++) {
		struct frame f;
		frame_init(&f);
		msgpack_pack_map(&f.pk, 3);
		pack_s(&f, "v");
		msgpack_pack_uint64(&f.pk, versions[i]);
		pack_s(&f, "id");
		msgpack_pack_uint8(&f.pk, 3);
		pack_s(&f, "op");
		pack_s(&f, "server.ping");
		struct ag_request req;
		struct ag_error err;
		cr_assert_eq(ag_request_decode(f.sb.data, f.sb.size, &req, &err),
			AG_E_UNSUPPORTED_VERSION);
		cr_assert_eq(req.id, 3);
		ag_request_free(&req);
		frame_destroy(&f);
	}
}

Test(frame, idem_is_1_to_64_bytes)
{
	char key[66];
	memset(key, 'k', sizeof key);
	for (size_t len = 0; len <= 65; len++) {
		struct frame f;
		frame_init(&f);
		msgpack_pack_map(&f.pk, 3);
		pack_s(&f, "v");
		msgpack_pack_uint8(&f.pk, 1);
		pack_s(&f, "op");
		pack_s(&f, "post.like");
		pack_s(&f, "idem");
		msgpack_pack_str_with_body(&f.pk, key, len);
		struct ag_error err;
		enum ag_err want = len >= 1 && len <= 64 ? AG_OK : AG_E_BAD_REQUEST;
		cr_assert_eq(decode_frame(&f, &err), want, "idem of %zu bytes", len);
		if (want != AG_OK)
			cr_assert_str_eq(err.field, "idem");
		frame_destroy(&f);
	}
}

Test(frame, duplicate_envelope_key_is_rejected)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 3);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	pack_s(&f, "op");
	pack_s(&f, "auth.logout");
	struct ag_error err;
	cr_assert_eq(decode_frame(&f, &err), AG_E_BAD_REQUEST);
	cr_assert_str_eq(err.field, "op");
	frame_destroy(&f);
}

/* n nested arrays around nothing: [[[...]]] */
static void pack_nested_arrays(struct frame *f, int n)
{
	for (int i = 0; i < n; i++)
		msgpack_pack_array(&f->pk, i + 1 < n ? 1 : 0);
}

Test(frame, nesting_depth_limit)
{
	for (int depth = 1; depth <= 10; depth++) {
		struct frame f;
		frame_init(&f);
		pack_nested_arrays(&f, depth);
		struct ag_error err;
		enum ag_err want = depth <= AG_MAX_DEPTH ? AG_OK : AG_E_BAD_REQUEST;
		cr_assert_eq(ag_frame_check(f.sb.data, f.sb.size, &err), want, "depth %d", depth);
		frame_destroy(&f);
	}
}

/* {v: 1, op: "server.ping", args: {a: <arrays>}}: the request map is
 * level 1, args level 2, so 6 arrays make 8 levels. */
static enum ag_err decode_nested_request(int arrays)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 3);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	pack_s(&f, "args");
	msgpack_pack_map(&f.pk, 1);
	pack_s(&f, "a");
	pack_nested_arrays(&f, arrays);
	struct ag_error err;
	enum ag_err rc = decode_frame(&f, &err);
	frame_destroy(&f);
	return rc;
}

Test(frame, request_nesting_8_accepted_9_rejected)
{
	cr_assert_eq(decode_nested_request(6), AG_OK);
	cr_assert_eq(decode_nested_request(7), AG_E_BAD_REQUEST);
}

Test(frame, nesting_through_maps_counts_too)
{
	struct frame f;
	frame_init(&f);
	for (int i = 0; i < 9; i++) {
		msgpack_pack_map(&f.pk, 1);
		pack_s(&f, "k");
	}
	msgpack_pack_nil(&f.pk);
	struct ag_error err;
	cr_assert_eq(ag_frame_check(f.sb.data, f.sb.size, &err), AG_E_BAD_REQUEST);
	cr_assert(strstr(err.message, "deeper") != NULL, "%s", err.message);
	frame_destroy(&f);
}

Test(frame, hostile_lengths_are_rejected_without_allocating, .timeout = 5)
{
	struct ag_error err;
	/* str32 claiming 4 GiB */
	const unsigned char str32[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b' };
	cr_assert_eq(decode_bytes(str32, sizeof str32, &err), AG_E_BAD_REQUEST);
	/* array32 of 2^32-1 elements in a 20-byte frame */
	unsigned char array32[20] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	cr_assert_eq(decode_bytes(array32, sizeof array32, &err), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_frame_check(array32, sizeof array32, &err), AG_E_BAD_REQUEST);
	/* map32 of 2^32-1 entries, and a map16 whose entries need more bytes
	 * than are left */
	unsigned char map32[20] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	cr_assert_eq(decode_bytes(map32, sizeof map32, &err), AG_E_BAD_REQUEST);
	unsigned char map16[13] = { 0xde, 0x00, 0x06 };
	cr_assert_eq(ag_frame_check(map16, sizeof map16, &err), AG_E_BAD_REQUEST);
	/* bin32 and ext32 longer than the frame */
	const unsigned char bin32[] = { 0xc6, 0x7f, 0xff, 0xff, 0xff, 0 };
	cr_assert_eq(ag_frame_check(bin32, sizeof bin32, &err), AG_E_BAD_REQUEST);
	const unsigned char ext32[] = { 0xc9, 0x00, 0x00, 0x00, 0x01, 0x05 };
	cr_assert_eq(ag_frame_check(ext32, sizeof ext32, &err), AG_E_BAD_REQUEST);
	/* an array inside a map claiming more than the map has left */
	const unsigned char inner[] = { 0x81, 0xa1, 'a', 0xdc, 0x00, 0x05, 0x01, 0x02 };
	cr_assert_eq(ag_frame_check(inner, sizeof inner, &err), AG_E_BAD_REQUEST);
}

Test(frame, every_scalar_type_is_walked)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_array(&f.pk, 14);
	msgpack_pack_nil(&f.pk);
	msgpack_pack_true(&f.pk);
	msgpack_pack_int8(&f.pk, -100);
	msgpack_pack_int64(&f.pk, INT64_MIN);
	msgpack_pack_uint16(&f.pk, 60000);
	msgpack_pack_uint64(&f.pk, UINT64_MAX);
	msgpack_pack_float(&f.pk, 1.5f);
	msgpack_pack_double(&f.pk, 2.5);
	msgpack_pack_bin_with_body(&f.pk, "\0\1\2", 3);
	msgpack_pack_ext_with_body(&f.pk, "abcd", 4, 7);   /* fixext 4 */
	msgpack_pack_ext_with_body(&f.pk, "abc", 3, 7);    /* ext 8 */
	msgpack_pack_str_with_body(&f.pk, "", 0);
	msgpack_pack_map(&f.pk, 0);
	msgpack_pack_array(&f.pk, 0);
	struct ag_error err;
	cr_assert_eq(ag_frame_check(f.sb.data, f.sb.size, &err), AG_OK, "%s", err.message);
	frame_destroy(&f);
	const unsigned char reserved[] = { 0xc1 };
	cr_assert_eq(ag_frame_check(reserved, 1, &err), AG_E_BAD_REQUEST);
}

static enum ag_err check_string_bytes(const char *s, size_t len, bool as_key)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 3);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	pack_s(&f, "op");
	pack_s(&f, "server.ping");
	if (as_key) {
		msgpack_pack_str_with_body(&f.pk, s, len);
		msgpack_pack_nil(&f.pk);
	} else {
		pack_s(&f, "auth");
		msgpack_pack_str_with_body(&f.pk, s, len);
	}
	struct ag_error err;
	enum ag_err rc = decode_frame(&f, &err);
	frame_destroy(&f);
	return rc;
}

Test(frame, strings_must_be_valid_utf8_without_nul)
{
	static const struct { const char *s; size_t len; } bad[] = {
		{ "\xc0\xaf", 2 },           /* overlong '/' */
		{ "\xe0\x80\xaf", 3 },       /* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3 },       /* surrogate U+D800 */
		{ "ab\xe2\x82", 4 },         /* truncated euro sign */
		{ "\x80", 1 },               /* lone continuation byte */
		{ "\xf4\x90\x80\x80", 4 },   /* above U+10FFFF */
		{ "\xff", 1 },
		{ "a\0b", 3 },               /* NUL */
		{ "\0", 1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(check_string_bytes(bad[i].s, bad[i].len, false), AG_E_BAD_REQUEST,
			"value %zu", i);
		cr_assert_eq(check_string_bytes(bad[i].s, bad[i].len, true), AG_E_BAD_REQUEST,
			"key %zu", i);
	}
	cr_assert_eq(check_string_bytes("\xe2\x82\xac \xf0\x9f\x98\x80", 8, false), AG_OK);
	cr_assert_eq(check_string_bytes("caf\xc3\xa9", 5, true), AG_OK);
	/* bin may hold any bytes */
	const unsigned char bin[] = { 0xc4, 0x02, 0x00, 0xff };
	struct ag_error err;
	cr_assert_eq(ag_frame_check(bin, sizeof bin, &err), AG_OK);
}

/* Frame {v:1, op:"post.create", args:{content: ..., tags: [ok, bad]}} with
 * bad UTF-8 in the place named by where; returns the error's field. */
static const char *field_of_bad_string(int where, struct ag_error *err)
{
	struct frame f;
	frame_init(&f);
	msgpack_pack_map(&f.pk, 3);
	pack_s(&f, "v");
	msgpack_pack_uint8(&f.pk, 1);
	pack_s(&f, "op");
	pack_s(&f, where == 0 ? "\xff" : "post.create");
	pack_s(&f, "args");
	msgpack_pack_map(&f.pk, 2);
	pack_s(&f, "content");
	pack_s(&f, where == 1 ? "bad \xc0\xaf" : "fine");
	pack_s(&f, where == 3 ? "ta\xffgs" : "tags");
	msgpack_pack_array(&f.pk, 2);
	pack_s(&f, "ok");
	pack_s(&f, where == 2 ? "a\xed\xa0\x80" : "ok");
	cr_assert_eq(ag_frame_check(f.sb.data, f.sb.size, err), AG_E_BAD_REQUEST, "case %d", where);
	frame_destroy(&f);
	return err->field;
}

Test(frame, bad_string_in_an_argument_names_it)
{
	struct ag_error err;
	cr_assert_str_eq(field_of_bad_string(0, &err), "", "the op is no argument");
	cr_assert_str_eq(field_of_bad_string(1, &err), "content");
	cr_assert_str_eq(field_of_bad_string(2, &err), "tags", "nested inside the argument");
	cr_assert_str_eq(field_of_bad_string(3, &err), "", "a bad key names nothing");
	cr_assert(strstr(err.message, "UTF-8") != NULL, "%s", err.message);
}

/* A request of exactly total bytes: {v: 1, op: "server.ping", auth: <str32>}
 * has 29 bytes besides the auth text. */
static void pack_request_of_size(struct frame *f, size_t total)
{
	size_t len = total - 29;
	msgpack_pack_map(&f->pk, 3);
	pack_s(f, "v");
	msgpack_pack_uint8(&f->pk, 1);
	pack_s(f, "op");
	pack_s(f, "server.ping");
	pack_s(f, "auth");
	const unsigned char hdr[5] = { 0xdb, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len };
	msgpack_sbuffer_write(&f->sb, (const char *)hdr, sizeof hdr);
	char *s = malloc(len);
	memset(s, 'a', len);
	msgpack_sbuffer_write(&f->sb, s, len);
	free(s);
}

Test(frame, size_limit)
{
	struct frame f;
	frame_init(&f);
	pack_request_of_size(&f, AG_MAX_REQUEST);
	cr_assert_eq(f.sb.size, AG_MAX_REQUEST);
	struct ag_error err;
	cr_assert_eq(decode_frame(&f, &err), AG_OK, "%s", err.message);
	frame_destroy(&f);

	frame_init(&f);
	pack_request_of_size(&f, AG_MAX_REQUEST + 1);
	cr_assert_eq(f.sb.size, AG_MAX_REQUEST + 1);
	cr_assert_eq(decode_frame(&f, &err), AG_E_TOO_LARGE);
	cr_assert_eq(err.code, AG_E_TOO_LARGE);
	frame_destroy(&f);

	cr_assert_eq(decode_bytes("", 0, &err), AG_E_BAD_REQUEST);
}

/* {v: 1, op, pad: "...", args: {data: bin}} of exactly size bytes (size
 * well over 64 bytes), the op string placed after the padding when
 * op_last, so the check must walk past it. */
static void pack_upload_of_size(struct frame *f, const char *op, size_t size, bool op_last)
{
	msgpack_pack_map(&f->pk, 4);
	pack_s(f, "v");
	msgpack_pack_uint8(&f->pk, 1);
	if (!op_last) {
		pack_s(f, "op");
		pack_s(f, op);
	}
	pack_s(f, "pad");
	pack_s(f, "xyz");
	pack_s(f, "args");
	msgpack_pack_map(&f->pk, 1);
	pack_s(f, "data");
	size_t tail = op_last ? 4 + strlen(op) : 0;
	size_t rest = size - f->sb.size - tail;
	size_t body = rest - 3 <= 0xffff ? rest - 3 : rest - 5;  /* bin 16 or bin 32 header */
	msgpack_pack_bin(&f->pk, (uint32_t)body);
	char *zeros = calloc(1, body);
	msgpack_pack_bin_body(&f->pk, zeros, body);
	free(zeros);
	if (op_last) {
		pack_s(f, "op");
		pack_s(f, op);
	}
	cr_assert_eq(f->sb.size, size);
}

Test(frame, only_media_upload_may_pass_64_kib)
{
	const size_t sizes[] = {AG_MAX_REQUEST + 1, 1024 * 1024, AG_MAX_UPLOAD_REQUEST};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (int op_last = 0; op_last < 2; op_last++) {
			struct frame f;
			struct ag_error err;
			frame_init(&f);
			pack_upload_of_size(&f, "media.upload", sizes[i], op_last);
			cr_assert(ag_frame_is_upload(f.sb.data, f.sb.size));
			cr_assert_eq(decode_frame(&f, &err), AG_OK, "%zu bytes: %s", sizes[i],
				err.message);
			frame_destroy(&f);

			frame_init(&f);
			pack_upload_of_size(&f, "post.create", sizes[i], op_last);
			cr_assert_not(ag_frame_is_upload(f.sb.data, f.sb.size));
			cr_assert_eq(decode_frame(&f, &err), AG_E_TOO_LARGE, "post.create of %zu bytes",
				sizes[i]);
			frame_destroy(&f);

			/* A name that only starts like it is no upload. */
			frame_init(&f);
			pack_upload_of_size(&f, "media.uploads", sizes[i], op_last);
			cr_assert_eq(decode_frame(&f, &err), AG_E_TOO_LARGE);
			frame_destroy(&f);
		}
	}
	struct frame f;
	struct ag_error err;
	frame_init(&f);
	pack_upload_of_size(&f, "media.upload", AG_MAX_UPLOAD_REQUEST + 1, false);
	cr_assert_eq(decode_frame(&f, &err), AG_E_TOO_LARGE);
	frame_destroy(&f);
	/* Not a map, or a map cut short: no upload. */
	cr_assert_not(ag_frame_is_upload("\x91\x01", 2));
	cr_assert_not(ag_frame_is_upload("\x82\xa2op", 4));
	cr_assert_not(ag_frame_is_upload("", 0));
}

/* Unpacks a response frame into un and returns its root map. */
static const msgpack_object *unpack_response(msgpack_sbuffer *sb, msgpack_unpacked *un)
{
	msgpack_unpacked_init(un);
	size_t off = 0;
	cr_assert_eq(msgpack_unpack_next(un, sb->data, sb->size, &off), MSGPACK_UNPACK_SUCCESS);
	cr_assert_eq(off, sb->size);
	cr_assert_eq(un->data.type, MSGPACK_OBJECT_MAP);
	return &un->data;
}

Test(response, ok_with_data_and_id)
{
	msgpack_sbuffer data;
	msgpack_sbuffer_init(&data);
	msgpack_packer dp;
	msgpack_packer_init(&dp, &data, msgpack_sbuffer_write);
	msgpack_pack_map(&dp, 2);
	ag_pack_key(&dp, "pong");
	msgpack_pack_true(&dp);
	ag_pack_key(&dp, "time");
	msgpack_pack_int64(&dp, 1700000000000);

	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, true, 12, NULL, data.data, data.size, NULL);
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert_eq(root->via.map.size, 4);
	cr_assert_eq(ag_obj_int(root, "v"), 1);
	cr_assert_eq(ag_obj_int(root, "id"), 12);
	cr_assert(ag_obj_bool(root, "ok"));
	const msgpack_object *d = ag_obj_get(root, "data");
	cr_assert(ag_obj_bool(d, "pong"));
	cr_assert_eq(ag_obj_int(d, "time"), 1700000000000);
	cr_assert_null(ag_obj_get(root, "error"));
	cr_assert_null(ag_obj_get(root, "saga"));
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&data);
}

Test(response, ok_with_nil_data_no_id_and_a_saga)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, false, 0, NULL, NULL, 0, "saga-123");
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert_eq(root->via.map.size, 4);
	cr_assert_null(ag_obj_get(root, "id"));
	cr_assert(ag_obj_bool(root, "ok"));
	cr_assert_not_null(ag_obj_get(root, "data"));
	cr_assert(ag_obj_is_nil(root, "data"));
	cr_assert(ag_obj_str_eq(root, "saga", "saga-123"));
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

Test(response, error_with_field)
{
	struct ag_error err;
	ag_error_set(&err, AG_E_BAD_REQUEST, "limit", "limit must be between 1 and 100.");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, true, 5, &err, NULL, 0, NULL);
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert_eq(root->via.map.size, 4);
	cr_assert_not(ag_obj_bool(root, "ok"));
	cr_assert_eq(ag_obj_get(root, "ok")->type, MSGPACK_OBJECT_BOOLEAN);
	cr_assert_null(ag_obj_get(root, "data"));
	const msgpack_object *e = ag_obj_get(root, "error");
	cr_assert_eq(e->via.map.size, 3);
	cr_assert(ag_obj_str_eq(e, "code", "bad_request"));
	cr_assert(ag_obj_str_eq(e, "message", "limit must be between 1 and 100."));
	cr_assert(ag_obj_str_eq(e, "field", "limit"));
	cr_assert_null(ag_obj_get(e, "retry_after_ms"));
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

Test(response, error_without_field_with_saga)
{
	struct ag_error err;
	ag_error_set(&err, AG_E_NOT_FOUND, NULL, "No such post.");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, false, 0, &err, NULL, 0, "s-1");
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert_eq(root->via.map.size, 4);
	const msgpack_object *e = ag_obj_get(root, "error");
	cr_assert_eq(e->via.map.size, 2);
	cr_assert(ag_obj_str_eq(e, "code", "not_found"));
	cr_assert_null(ag_obj_get(e, "field"));
	cr_assert(ag_obj_str_eq(root, "saga", "s-1"));
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

Test(response, rate_limited_carries_retry_after)
{
	struct ag_error err;
	ag_error_set(&err, AG_E_RATE_LIMITED, NULL, "Too many attempts.");
	err.retry_after_ms = 30000;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, true, 1, &err, NULL, 0, NULL);
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	const msgpack_object *e = ag_obj_get(root, "error");
	cr_assert(ag_obj_str_eq(e, "code", "rate_limited"));
	cr_assert_eq(ag_obj_int(e, "retry_after_ms"), 30000);
	cr_assert_eq(ag_obj_get(e, "retry_after_ms")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

Test(response, unsupported_version_carries_the_range)
{
	struct ag_error err;
	ag_error_set(&err, AG_E_UNSUPPORTED_VERSION, "v", "Protocol version 2 is not supported.");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_response_pack(&sb, true, 1, &err, NULL, 0, NULL);
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert_eq(root->via.map.size, 5);
	cr_assert(ag_obj_str_eq(ag_obj_get(root, "error"), "code", "unsupported_version"));
	const msgpack_object *d = ag_obj_get(root, "data");
	cr_assert_eq(ag_obj_int(d, "min"), 1);
	cr_assert_eq(ag_obj_int(d, "max"), 1);
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

Test(response, pack_helpers)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	ag_pack_key(&pk, "a");
	ag_pack_str(&pk, NULL);
	ag_pack_key(&pk, "b");
	ag_pack_strn(&pk, "hello", 4);
	ag_pack_key(&pk, "c");
	ag_pack_str(&pk, "x");
	msgpack_unpacked un;
	const msgpack_object *root = unpack_response(&sb, &un);
	cr_assert(ag_obj_is_nil(root, "a"));
	cr_assert_not_null(ag_obj_get(root, "a"));
	cr_assert(ag_obj_str_eq(root, "b", "hell"));
	char *c = ag_obj_strdup(root, "c");
	cr_assert_str_eq(c, "x");
	free(c);
	cr_assert_null(ag_obj_strdup(root, "a"));
	cr_assert_eq(ag_obj_int(root, "a"), INT64_MIN);
	cr_assert_eq(ag_obj_len(root), 0);
	cr_assert_null(ag_obj_at(root, 0));
	cr_assert_null(ag_obj_get(NULL, "a"));
	msgpack_unpacked_destroy(&un);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- the client against an in-process echo server ---- */

/* Serves n requests on a REP socket: each reply's data echoes the decoded
 * request ({op, auth?, idem?, args?}); op "fail" gets a rate_limited error
 * with a saga, op "silent" gets no reply at all, and a frame that does not
 * decode gets the decoder's error. */
struct echo_server {
	nng_socket sock;
	pthread_t thread;
	int n_requests;
};

static void pack_echo(msgpack_sbuffer *data, const struct ag_request *req)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, data, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1 + (req->auth != NULL) + (req->idem != NULL) + (req->args != NULL));
	ag_pack_key(&pk, "op");
	ag_pack_strn(&pk, req->op, req->op_len);
	if (req->auth) {
		ag_pack_key(&pk, "auth");
		ag_pack_strn(&pk, req->auth, req->auth_len);
	}
	if (req->idem) {
		ag_pack_key(&pk, "idem");
		ag_pack_strn(&pk, req->idem, req->idem_len);
	}
	if (req->args) {
		ag_pack_key(&pk, "args");
		msgpack_pack_object(&pk, *req->args);
	}
}

static void *echo_main(void *arg)
{
	struct echo_server *srv = arg;
	for (int i = 0; i < srv->n_requests; i++) {
		void *buf;
		size_t len;
		if (nng_recv(srv->sock, &buf, &len, NNG_FLAG_ALLOC) != 0)
			break;
		struct ag_request req;
		struct ag_error err;
		msgpack_sbuffer out, data;
		msgpack_sbuffer_init(&out);
		msgpack_sbuffer_init(&data);
		enum ag_err rc = ag_request_decode(buf, len, &req, &err);
		nng_free(buf, len);
		bool silent = rc == AG_OK && req.op_len == 6 && memcmp(req.op, "silent", 6) == 0;
		if (rc != AG_OK) {
			ag_response_pack(&out, req.has_id, req.id, &err, NULL, 0, NULL);
		} else if (req.op_len == 4 && memcmp(req.op, "fail", 4) == 0) {
			ag_error_set(&err, AG_E_RATE_LIMITED, "password", "Too many attempts.");
			err.retry_after_ms = 1500;
			ag_response_pack(&out, req.has_id, req.id, &err, NULL, 0, "saga-9");
		} else {
			pack_echo(&data, &req);
			ag_response_pack(&out, req.has_id, req.id, NULL, data.data, data.size, NULL);
		}
		ag_request_free(&req);
		if (!silent)
			nng_send(srv->sock, out.data, out.size, 0);
		msgpack_sbuffer_destroy(&out);
		msgpack_sbuffer_destroy(&data);
	}
	return NULL;
}

static void echo_start(struct echo_server *srv, const char *url, int n_requests)
{
	cr_assert_eq(nng_rep0_open(&srv->sock), 0);
	cr_assert_eq(nng_listen(srv->sock, url, NULL, 0), 0);
	srv->n_requests = n_requests;
	cr_assert_eq(pthread_create(&srv->thread, NULL, echo_main, srv), 0);
}

static void echo_stop(struct echo_server *srv)
{
	pthread_join(srv->thread, NULL);
	nng_close(srv->sock);
}

Test(client, calls_carry_id_auth_args_and_idem, .timeout = 10)
{
	struct echo_server srv;
	echo_start(&srv, "inproc://ag-client-1", 4);
	struct ag_client *c;
	cr_assert_eq(ag_client_open(&c, "inproc://ag-client-1", 2000), 0);

	struct ag_reply r;
	cr_assert_eq(ag_client_call(c, "server.ping", NULL, 0, NULL, &r), 0);
	cr_assert(r.ok);
	cr_assert_eq(r.code, AG_OK);
	cr_assert_eq(ag_obj_int(r.root, "id"), 1);
	cr_assert_eq(ag_obj_int(r.root, "v"), 1);
	cr_assert(ag_obj_str_eq(r.data, "op", "server.ping"));
	cr_assert_null(ag_obj_get(r.data, "auth"));
	cr_assert_null(ag_obj_get(r.data, "args"));
	cr_assert_str_eq(r.saga, "");
	ag_reply_free(&r);

	ag_client_set_auth(c, "token-abc");
	cr_assert_str_eq(ag_client_auth(c), "token-abc");
	cr_assert_eq(ag_client_callf(c, &r, "comment.create", "idem-1",
		"post_id:i content:s image_url:s nothing:n flag:b big:u",
		(int64_t)-5, "hi", (const char *)NULL, 1, UINT64_MAX), 0);
	cr_assert(r.ok);
	cr_assert_eq(ag_obj_int(r.root, "id"), 2);
	cr_assert(ag_obj_str_eq(r.data, "auth", "token-abc"));
	cr_assert(ag_obj_str_eq(r.data, "idem", "idem-1"));
	const msgpack_object *args = ag_obj_get(r.data, "args");
	cr_assert_eq(args->via.map.size, 6);
	cr_assert_eq(ag_obj_int(args, "post_id"), -5);
	cr_assert(ag_obj_str_eq(args, "content", "hi"));
	cr_assert(ag_obj_is_nil(args, "image_url"));
	cr_assert_not_null(ag_obj_get(args, "nothing"));
	cr_assert(ag_obj_is_nil(args, "nothing"));
	cr_assert(ag_obj_bool(args, "flag"));
	cr_assert_eq(ag_obj_get(args, "big")->via.u64, UINT64_MAX);
	cr_assert_eq(ag_obj_int(args, "big"), INT64_MAX);
	ag_reply_free(&r);

	/* an empty format sends no args */
	ag_client_set_auth(c, NULL);
	cr_assert_null(ag_client_auth(c));
	cr_assert_eq(ag_client_callf(c, &r, "auth.me", NULL, "  "), 0);
	cr_assert_null(ag_obj_get(r.data, "args"));
	cr_assert_null(ag_obj_get(r.data, "auth"));
	ag_reply_free(&r);

	/* replies outlive nothing but themselves: copy out, then free */
	cr_assert_eq(ag_client_callf(c, &r, "story.list", NULL, NULL), 0);
	char *op = ag_obj_strdup(r.data, "op");
	ag_reply_free(&r);
	cr_assert_str_eq(op, "story.list");
	free(op);

	ag_client_close(c);
	echo_stop(&srv);
}

/* ag_client_send packs a built request as ag_req_pack does, with the
 * client's auth; one failing ag_req_check is not sent at all. */
Test(client, send_packs_a_built_request_and_refuses_an_incomplete_one, .timeout = 10)
{
	struct echo_server srv;
	echo_start(&srv, "inproc://ag-client-5", 1);
	struct ag_client *c;
	cr_assert_eq(ag_client_open(&c, "inproc://ag-client-5", 2000), 0);
	ag_client_set_auth(c, "token-send");

	struct ag_req missing;
	cr_assert_eq(ag_req_init(&missing, "post.like"), AG_OK);
	struct ag_reply r;
	cr_assert_eq(ag_client_send(c, &missing, NULL, &r), NNG_EINVAL);
	cr_assert_str_eq(missing.error.field, "post_id");
	ag_reply_free(&r);
	ag_req_free(&missing);

	/* The echo server answers one request: this one, so none went before. */
	struct ag_req like;
	cr_assert_eq(ag_req_init(&like, "post.like"), AG_OK);
	cr_assert_eq(ag_req_set_int(&like, "post_id", 7), AG_OK);
	cr_assert_eq(ag_client_send(c, &like, "idem-7", &r), 0);
	cr_assert(r.ok);
	cr_assert(ag_obj_str_eq(r.data, "op", "post.like"));
	cr_assert_eq(ag_obj_int(r.root, "id"), 1, "the refused request used no id");
	cr_assert(ag_obj_str_eq(r.data, "auth", "token-send"));
	cr_assert(ag_obj_str_eq(r.data, "idem", "idem-7"));
	const msgpack_object *args = ag_obj_get(r.data, "args");
	cr_assert_eq(args->via.map.size, 1);
	cr_assert_eq(ag_obj_int(args, "post_id"), 7);
	ag_reply_free(&r);
	ag_req_free(&like);

	ag_client_close(c);
	echo_stop(&srv);
}

Test(client, error_replies_are_decoded, .timeout = 10)
{
	struct echo_server srv;
	echo_start(&srv, "inproc://ag-client-2", 2);
	struct ag_client *c;
	cr_assert_eq(ag_client_open(&c, "inproc://ag-client-2", 2000), 0);

	struct ag_reply r;
	cr_assert_eq(ag_client_call(c, "fail", NULL, 0, NULL, &r), 0);
	cr_assert_not(r.ok);
	cr_assert_eq(r.code, AG_E_RATE_LIMITED);
	cr_assert_str_eq(r.code_name, "rate_limited");
	cr_assert_str_eq(r.message, "Too many attempts.");
	cr_assert_str_eq(r.field, "password");
	cr_assert_eq(r.retry_after_ms, 1500);
	cr_assert_str_eq(r.saga, "saga-9");
	cr_assert_null(r.data);
	ag_reply_free(&r);

	/* a raw frame with a bad version */
	const unsigned char frame[] = { 0x83, 0xa1, 'v', 0x02, 0xa2, 'i', 'd', 0x07,
		0xa2, 'o', 'p', 0xa1, 'x' };
	cr_assert_eq(ag_client_raw(c, frame, sizeof frame, &r), 0);
	cr_assert_not(r.ok);
	cr_assert_eq(r.code, AG_E_UNSUPPORTED_VERSION);
	cr_assert_eq(ag_obj_int(r.root, "id"), 7);
	cr_assert_eq(ag_obj_int(r.data, "max"), 1);
	ag_reply_free(&r);

	ag_client_close(c);
	echo_stop(&srv);
}

Test(client, bad_format_sends_nothing, .timeout = 10)
{
	struct echo_server srv;
	echo_start(&srv, "inproc://ag-client-3", 1);
	struct ag_client *c;
	cr_assert_eq(ag_client_open(&c, "inproc://ag-client-3", 2000), 0);
	struct ag_reply r;
	cr_assert_eq(ag_client_callf(c, &r, "post.get", NULL, "post_id:x", 1), NNG_EINVAL);
	ag_reply_free(&r);
	cr_assert_eq(ag_client_callf(c, &r, "post.get", NULL, "post_id", 1), NNG_EINVAL);
	ag_reply_free(&r);
	cr_assert_eq(ag_client_callf(c, &r, "post.get", NULL, "post_id:i", (int64_t)4), 0);
	cr_assert_eq(ag_obj_int(r.root, "id"), 1);
	ag_reply_free(&r);
	ag_client_close(c);
	echo_stop(&srv);
}

Test(client, timeout_and_unreachable, .timeout = 10)
{
	struct ag_client *c;
	cr_assert_neq(ag_client_open(&c, "inproc://ag-client-nobody", 500), 0);
	cr_assert_null(c);
	cr_assert_neq(ag_client_open(&c, "ipc:///nonexistent-dir/ansigram.sock", 500), 0);
	cr_assert_neq(ag_client_open(&c, "bogus://x", 500), 0);

	struct echo_server srv;
	echo_start(&srv, "inproc://ag-client-4", 1);
	cr_assert_eq(ag_client_open(&c, "inproc://ag-client-4", 200), 0);
	struct ag_reply r;
	cr_assert_eq(ag_client_call(c, "silent", NULL, 0, NULL, &r), NNG_ETIMEDOUT);
	ag_reply_free(&r);
	ag_client_close(c);
	echo_stop(&srv);
}
