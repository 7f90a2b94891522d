/* test_server.c: server.ping and server.info, and the request envelope
 * every op shares: the protocol version, op names, request ids. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

H_SERVER_PER_FILE(NULL)
TestSuite(server, .fini = h_test_fini);

/* A request frame {v, [id], op} packed by hand. */
static void pack_request(msgpack_sbuffer *sb, int64_t version, bool with_id, uint64_t id,
	const char *op)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, with_id ? 3 : 2);
	ag_pack_key(&pk, "v");
	msgpack_pack_int64(&pk, version);
	if (with_id) {
		ag_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, id);
	}
	ag_pack_key(&pk, "op");
	ag_pack_str(&pk, op);
}

Test(server, ping_answers_anonymously)
{
	const msgpack_object *d = h_ok(h_client(), "server.ping", "");
	cr_assert(ag_obj_bool(d, "pong"));
	int64_t skew = ag_obj_int(d, "time") - ag_now_ms();
	cr_assert(skew > -60000 && skew < 60000, "server time is %lld ms off", (long long)skew);
}

Test(server, ping_answers_a_session)
{
	struct h_user u;
	h_user_new(&u);
	cr_assert(ag_obj_bool(h_ok(u.c, "server.ping", ""), "pong"));
}

Test(server, info_describes_the_server)
{
	const msgpack_object *d = h_ok(h_client(), "server.info", "");
	char *name = ag_obj_strdup(d, "name");
	char *version = ag_obj_strdup(d, "version");
	cr_assert(name && name[0], "no name");
	cr_assert(version && version[0], "no version");
	free(name);
	free(version);
	cr_assert_eq(ag_obj_int(d, "protocol"), 1);

	const msgpack_object *pub = ag_obj_get(d, "pub");
	bool listed = false;
	for (size_t i = 0; i < ag_obj_len(pub); i++) {
		const msgpack_object *url = ag_obj_at(pub, i);
		listed |= url->type == MSGPACK_OBJECT_STR &&
			url->via.str.size == strlen(h_pub_url()) &&
			memcmp(url->via.str.ptr, h_pub_url(), url->via.str.size) == 0;
	}
	cr_assert(listed, "pub does not list %s", h_pub_url());
}

Test(server, info_lists_every_op_of_the_table)
{
	const msgpack_object *ops = ag_obj_get(h_ok(h_client(), "server.info", ""), "ops");
	for (size_t k = 0; k < AG_OP__COUNT; k++) {
		bool found = false;
		for (size_t i = 0; i < ag_obj_len(ops); i++) {
			const msgpack_object *o = ag_obj_at(ops, i);
			found |= o->type == MSGPACK_OBJECT_STR &&
				o->via.str.size == strlen(ag_ops[k].name) &&
				memcmp(o->via.str.ptr, ag_ops[k].name, o->via.str.size) == 0;
		}
		cr_assert(found, "server.info does not list %s", ag_ops[k].name);
	}
	for (size_t i = 0; i < ag_obj_len(ops); i++) {
		const msgpack_object *o = ag_obj_at(ops, i);
		cr_assert_eq(o->type, MSGPACK_OBJECT_STR);
		cr_assert_not_null(ag_op_find(o->via.str.ptr, o->via.str.size),
			"server.info lists %.*s, which is not an op", (int)o->via.str.size, o->via.str.ptr);
	}
}

Test(server, request_id_is_echoed)
{
	msgpack_sbuffer sb;
	pack_request(&sb, 1, true, 4242, "server.ping");
	const struct ag_reply *r = h_raw(h_client(), sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	cr_assert(r->ok);
	cr_assert_eq(ag_obj_int(r->root, "id"), 4242);
	cr_assert_eq(ag_obj_int(r->root, "v"), 1);
}

Test(server, request_id_is_echoed_on_errors)
{
	msgpack_sbuffer sb;
	pack_request(&sb, 1, true, 77, "no.such_op");
	const struct ag_reply *r = h_raw(h_client(), sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	cr_assert_eq(r->code, AG_E_UNKNOWN_OP);
	cr_assert_eq(ag_obj_int(r->root, "id"), 77);
}

Test(server, reply_without_request_id_has_none)
{
	msgpack_sbuffer sb;
	pack_request(&sb, 1, false, 0, "server.ping");
	const struct ag_reply *r = h_raw(h_client(), sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	cr_assert(r->ok);
	cr_assert_not(h_has_key(r->root, "id"));
}

Test(server, other_versions_are_unsupported)
{
	const int64_t versions[] = {0, 2, 99};
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		msgpack_sbuffer sb;
		pack_request(&sb, versions[i], true, 5, "server.ping");
		const struct ag_reply *r = h_raw(h_client(), sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
		cr_assert_eq(r->code, AG_E_UNSUPPORTED_VERSION, "v=%lld gave %s",
			(long long)versions[i], r->code_name);
		cr_assert_eq(ag_obj_int(r->data, "min"), 1);
		cr_assert_eq(ag_obj_int(r->data, "max"), 1);
		cr_assert_eq(ag_obj_int(r->root, "id"), 5);
	}
}

Test(server, missing_version_is_bad_request)
{
	static const unsigned char frame[] = {0x81, 0xa2, 'o', 'p', 0xab,
		's', 'e', 'r', 'v', 'e', 'r', '.', 'p', 'i', 'n', 'g'};
	const struct ag_reply *r = h_raw(h_client(), frame, sizeof frame);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "got %s", r->code_name);
}

Test(server, unknown_op)
{
	h_err(AG_E_UNKNOWN_OP, h_client(), "post.explode", "");
	h_err(AG_E_UNKNOWN_OP, h_client(), "", "");
	h_err(AG_E_UNKNOWN_OP, h_client(), "SERVER.PING", "");
}

Test(server, unknown_op_wins_over_missing_token)
{
	struct ag_client *c = h_client();
	h_err(AG_E_UNKNOWN_OP, c, "post.nope", "post_id:i", (int64_t)1);
}

Test(server, missing_op_is_bad_request)
{
	static const unsigned char frame[] = {0x81, 0xa1, 'v', 0x01};
	const struct ag_reply *r = h_raw(h_client(), frame, sizeof frame);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "got %s", r->code_name);
}

Test(server, op_that_is_not_a_string_is_bad_request)
{
	static const unsigned char frame[] = {0x82, 0xa1, 'v', 0x01, 0xa2, 'o', 'p', 0x07};
	const struct ag_reply *r = h_raw(h_client(), frame, sizeof frame);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "got %s", r->code_name);
}

Test(server, args_that_are_not_a_map_are_bad_request)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_int64(&pk, 1);
	const struct ag_reply *r = h_call_packed(h_client(), "post.get", sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "got %s", r->code_name);
}

Test(server, frame_that_is_not_a_map_is_bad_request)
{
	static const unsigned char frame[] = {0x92, 0x01, 0xab,
		's', 'e', 'r', 'v', 'e', 'r', '.', 'p', 'i', 'n', 'g'};
	const struct ag_reply *r = h_raw(h_client(), frame, sizeof frame);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "got %s", r->code_name);
}

Test(server, version_may_be_any_integer_type)
{
	/* v as uint8, int16 and uint64 */
	static const unsigned char v_u8[] = {0x82, 0xa1, 'v', 0xcc, 0x01, 0xa2, 'o', 'p', 0xab,
		's', 'e', 'r', 'v', 'e', 'r', '.', 'p', 'i', 'n', 'g'};
	static const unsigned char v_i16[] = {0x82, 0xa1, 'v', 0xd1, 0x00, 0x01, 0xa2, 'o', 'p', 0xab,
		's', 'e', 'r', 'v', 'e', 'r', '.', 'p', 'i', 'n', 'g'};
	static const unsigned char v_u64[] = {0x82, 0xa1, 'v', 0xcf, 0, 0, 0, 0, 0, 0, 0, 1,
		0xa2, 'o', 'p', 0xab, 's', 'e', 'r', 'v', 'e', 'r', '.', 'p', 'i', 'n', 'g'};
	struct ag_client *c = h_client();
	cr_assert(h_raw(c, v_u8, sizeof v_u8)->ok);
	cr_assert(h_raw(c, v_i16, sizeof v_i16)->ok);
	cr_assert(h_raw(c, v_u64, sizeof v_u64)->ok);
}
