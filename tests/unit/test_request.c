/* test_request.c: the request builder (protocol/request.c): args set by
 * name and checked against the op table (unknown names, wrong types,
 * ranges, string rules, required args), and frames packed by it read back
 * by the server's own decoders (ag_request_decode, ag_args_decode). */
#include <criterion/criterion.h>
#include <string.h>

#include "proto.h"
#include "request.h"

Test(request, unknown_op)
{
	struct ag_req r;
	cr_assert_eq(ag_req_init(&r, "post.nope"), AG_E_UNKNOWN_OP);
	cr_assert_null(r.op);
	cr_assert_eq(ag_req_check(&r), AG_E_UNKNOWN_OP);
	ag_req_free(&r);
}

Test(request, unknown_arg_name)
{
	struct ag_req r;
	cr_assert_eq(ag_req_init(&r, "post.like"), AG_OK);
	cr_assert_eq(ag_req_set_int(&r, "user_id", 5), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "user_id");
	cr_assert_str_eq(r.error.message, "is not an argument of post.like");
	cr_assert_not(ag_req_has(&r, "post_id"));
	ag_req_free(&r);
}

Test(request, wrong_type)
{
	struct ag_req r;
	ag_req_init(&r, "post.create");
	cr_assert_eq(ag_req_set_int(&r, "content", 3), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "content");
	cr_assert_str_eq(r.error.message, "wants text, not a number");
	cr_assert_eq(ag_req_set_bool(&r, "content", true), AG_E_BAD_REQUEST);
	cr_assert_not(ag_req_has(&r, "content"));
	ag_req_free(&r);

	ag_req_init(&r, "post.get");
	cr_assert_eq(ag_req_set_str(&r, "post_id", "7"), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "wants an id, not text");
	cr_assert_eq(ag_req_set_text(&r, "post_id", "seven"), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "wants an id (a whole number from 1), not 'seven'");
	cr_assert_eq(ag_req_set_nil(&r, "post_id"), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "cannot be cleared");
	cr_assert_not(ag_req_has(&r, "post_id"));
	ag_req_free(&r);

	ag_req_init(&r, "notification.list");
	cr_assert_eq(ag_req_set_text(&r, "unread_only", "maybe"), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "wants true or false, not 'maybe'");
	cr_assert_eq(ag_req_set_text(&r, "unread_only", "false"), AG_OK);
	cr_assert(ag_req_has(&r, "unread_only"));
	ag_req_free(&r);
}

Test(request, out_of_range)
{
	struct ag_req r;
	ag_req_init(&r, "feed.get");
	cr_assert_eq(ag_req_set_int(&r, "limit", 101), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "limit");
	cr_assert_str_eq(r.error.message, "wants a whole number from 1 to 100, not '101'");
	cr_assert_eq(ag_req_set_int(&r, "limit", 0), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_text(&r, "limit", "12x"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_text(&r, "limit", "99999999999999999999"), AG_E_BAD_REQUEST);
	cr_assert_not(ag_req_has(&r, "limit"));
	cr_assert_eq(ag_req_set_int(&r, "limit", 100), AG_OK);
	cr_assert_eq(ag_req_int(&r, "limit"), 100);
	/* A refused value leaves the earlier one in place. */
	cr_assert_eq(ag_req_set_int(&r, "limit", 500), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_int(&r, "limit"), 100);
	cr_assert_eq(ag_req_set_int(&r, "before_id", 0), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "wants an id (a whole number from 1), not '0'");
	ag_req_free(&r);
}

Test(request, string_rules)
{
	struct ag_req r;
	ag_req_init(&r, "comment.create");
	cr_assert_eq(ag_req_set_str(&r, "content", "   "), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "content");
	cr_assert(strlen(r.error.message) > 0);
	cr_assert(r.error.message[0] >= 'a' && r.error.message[0] <= 'z',
		"the message follows the arg's name: %s", r.error.message);
	cr_assert_not(ag_req_has(&r, "content"));
	ag_req_free(&r);

	ag_req_init(&r, "auth.register");
	cr_assert_eq(ag_req_set_str(&r, "username", "no spaces"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_str(&r, "username", "ab"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_str(&r, "email", "nobody"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_str(&r, "password", "short"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_str(&r, "full_name", "two\nlines"), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_str(&r, "username", "alice_1"), AG_OK);
	cr_assert_str_eq(ag_req_str(&r, "username"), "alice_1");
	/* "" on a nullable arg is nil: set, with no string. */
	cr_assert_eq(ag_req_set_str(&r, "full_name", ""), AG_OK);
	cr_assert(ag_req_has(&r, "full_name"));
	cr_assert_null(ag_req_str(&r, "full_name"));
	ag_req_free(&r);

	ag_req_init(&r, "user.update");
	cr_assert_eq(ag_req_set_str(&r, "profile_image_url", "ftp://x"), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "profile_image_url");
	ag_req_free(&r);
}

Test(request, required_args)
{
	struct ag_req r;
	ag_req_init(&r, "message.send");
	cr_assert_eq(ag_req_set_int(&r, "receiver_id", 3), AG_OK);
	cr_assert_eq(ag_req_check(&r), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "content");
	cr_assert_str_eq(r.error.message, "is required");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	cr_assert_eq(ag_req_pack(&r, &sb, 1, NULL, NULL), AG_E_BAD_REQUEST);
	cr_assert_eq(sb.size, 0, "nothing packed");
	ag_req_unset(&r, "receiver_id");
	cr_assert_not(ag_req_has(&r, "receiver_id"));
	msgpack_sbuffer_destroy(&sb);
	ag_req_free(&r);
}

/* Decodes a frame as the server does and checks its args against op. */
static void decode(const msgpack_sbuffer *sb, struct ag_request *req, struct ag_args *args)
{
	struct ag_error err;
	cr_assert_eq(ag_request_decode(sb->data, sb->size, req, &err), AG_OK, "%s", err.message);
	const struct ag_op_spec *op = ag_op_find(req->op, req->op_len);
	cr_assert_not_null(op);
	cr_assert_eq(ag_args_decode(op, req->args, args, &err), AG_OK, "%s", err.message);
}

Test(request, packs_a_frame_the_server_reads)
{
	struct ag_req r;
	ag_req_init(&r, "user.update");
	cr_assert_eq(ag_req_set_text(&r, "bio", "line one\nline two 🌅"), AG_OK);
	cr_assert_eq(ag_req_set_nil(&r, "full_name"), AG_OK);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	cr_assert_eq(ag_req_pack(&r, &sb, 42, "token-1", "idem-1"), AG_OK);

	struct ag_request req;
	struct ag_args args;
	decode(&sb, &req, &args);
	cr_assert(req.has_id);
	cr_assert_eq(req.id, 42);
	cr_assert_eq(req.op_len, strlen("user.update"));
	cr_assert_eq(memcmp(req.op, "user.update", req.op_len), 0);
	cr_assert_eq(req.auth_len, 7);
	cr_assert_eq(memcmp(req.auth, "token-1", 7), 0);
	cr_assert_eq(req.idem_len, 6);
	cr_assert_eq(memcmp(req.idem, "idem-1", 6), 0);
	cr_assert_str_eq(ag_arg_str(&args, "bio"), "line one\nline two 🌅");
	cr_assert(ag_arg_present(&args, "full_name"));
	cr_assert_null(ag_arg_str(&args, "full_name"));
	cr_assert_not(ag_arg_present(&args, "profile_image_url"));
	ag_args_free(&args);
	ag_request_free(&req);
	msgpack_sbuffer_destroy(&sb);
	ag_req_free(&r);

	ag_req_init(&r, "notification.list");
	ag_req_set_int(&r, "limit", 7);
	ag_req_set_int(&r, "before_id", 9000000000LL);
	ag_req_set_bool(&r, "unread_only", true);
	msgpack_sbuffer_init(&sb);
	cr_assert_eq(ag_req_pack(&r, &sb, 1, NULL, NULL), AG_OK);
	decode(&sb, &req, &args);
	cr_assert_null(req.auth);
	cr_assert_null(req.idem);
	cr_assert_eq(ag_arg_int(&args, "limit", 0), 7);
	cr_assert_eq(ag_arg_int(&args, "before_id", 0), 9000000000LL);
	cr_assert(ag_arg_bool(&args, "unread_only", false));
	cr_assert_not(ag_arg_present(&args, "offset"));
	ag_args_free(&args);
	ag_request_free(&req);
	msgpack_sbuffer_destroy(&sb);
	ag_req_free(&r);
}

Test(request, bin_args)
{
	struct ag_req r;
	ag_req_init(&r, "media.upload");
	cr_assert_eq(ag_req_set_text(&r, "data", "abc"), AG_OK);
	cr_assert_eq(ag_req_str(&r, "data")[2], 'c');
	ag_req_unset(&r, "data");
	cr_assert_eq(ag_req_set_text(&r, "data", ""), AG_E_BAD_REQUEST);
	cr_assert_eq(ag_req_set_bin(&r, "data", "", 0), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.field, "data");
	cr_assert_not(ag_req_has(&r, "data"));
	static const unsigned char png_start[] = {0x89, 'P', 'N', 'G', 0x00, 0xff};
	cr_assert_eq(ag_req_set_bin(&r, "data", png_start, sizeof png_start), AG_OK);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	cr_assert_eq(ag_req_pack(&r, &sb, 3, "tok", NULL), AG_OK);
	struct ag_request req;
	struct ag_args args;
	decode(&sb, &req, &args);
	size_t len;
	const void *data = ag_arg_bin(&args, "data", &len);
	cr_assert_eq(len, sizeof png_start);
	cr_assert_eq(memcmp(data, png_start, len), 0);
	ag_args_free(&args);
	ag_request_free(&req);
	msgpack_sbuffer_destroy(&sb);
	ag_req_free(&r);

	ag_req_init(&r, "post.create");
	cr_assert_eq(ag_req_set_bin(&r, "content", "x", 1), AG_E_BAD_REQUEST);
	cr_assert_str_eq(r.error.message, "wants text, not binary data");
	ag_req_free(&r);
}

Test(request, no_args_no_args_key)
{
	struct ag_req r;
	ag_req_init(&r, "server.ping");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	cr_assert_not(ag_req_pack_args(&r, &sb));
	cr_assert_eq(sb.size, 0);
	cr_assert_eq(ag_req_pack(&r, &sb, 3, NULL, NULL), AG_OK);
	struct ag_request req;
	struct ag_error err;
	cr_assert_eq(ag_request_decode(sb.data, sb.size, &req, &err), AG_OK);
	cr_assert_null(req.args);
	ag_request_free(&req);
	msgpack_sbuffer_destroy(&sb);
	ag_req_free(&r);
}
