/* test_validate.c: argument validation, PROTOCOL.md section 4: string
 * rules at their boundary lengths, id and integer types, required and
 * nullable args, and the accessors. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"

/* n copies of unit, NUL-terminated (malloc'd). */
static char *repeat(const char *unit, size_t n)
{
	size_t ulen = strlen(unit);
	char *s = malloc(ulen * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ulen, unit, ulen);
	s[ulen * n] = '\0';
	return s;
}

/* Builds an args map one entry at a time, then decodes it for an op. */
struct args_builder {
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked un;
	struct ag_args args;
	struct ag_error err;
};

static void build(struct args_builder *b, uint32_t n_entries)
{
	memset(b, 0, sizeof *b);
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&b->un);
	msgpack_pack_map(&b->pk, n_entries);
}

static void key(struct args_builder *b, const char *k)
{
	ag_pack_key(&b->pk, k);
}

static void put_str(struct args_builder *b, const char *k, const char *v)
{
	key(b, k);
	ag_pack_str(&b->pk, v);
}

static void put_int(struct args_builder *b, const char *k, int64_t v)
{
	key(b, k);
	msgpack_pack_int64(&b->pk, v);
}

static enum ag_err decode(struct args_builder *b, enum ag_op_id op)
{
	size_t off = 0;
	cr_assert_eq(msgpack_unpack_next(&b->un, b->sb.data, b->sb.size, &off),
		MSGPACK_UNPACK_SUCCESS);
	return ag_args_decode(&ag_ops[op], &b->un.data, &b->args, &b->err);
}

static void done(struct args_builder *b)
{
	ag_args_free(&b->args);
	msgpack_unpacked_destroy(&b->un);
	msgpack_sbuffer_destroy(&b->sb);
}

/* Decodes {name: s} for op, plus {id_name: 1} when id_name is not NULL;
 * on failure checks that the error names the arg. */
static enum ag_err try_str(enum ag_op_id op, const char *name, const char *s,
	const char *id_name)
{
	struct args_builder b;
	build(&b, id_name ? 2 : 1);
	if (id_name)
		put_int(&b, id_name, 1);
	put_str(&b, name, s);
	enum ag_err rc = decode(&b, op);
	if (rc != AG_OK) {
		cr_assert_eq(rc, AG_E_BAD_REQUEST);
		cr_assert_str_eq(b.err.field, name);
		cr_assert_eq(strncmp(b.err.message, name, strlen(name)), 0, "%s", b.err.message);
	} else {
		cr_assert_str_eq(ag_arg_str(&b.args, name), s);
	}
	done(&b);
	return rc;
}

static void expect_str(enum ag_op_id op, const char *name, const char *s, const char *id_name,
	enum ag_err want)
{
	cr_assert_eq(try_str(op, name, s, id_name), want, "%s %s=\"%s\"",
		ag_ops[op].name, name, s);
}

static void expect_repeat(enum ag_op_id op, const char *name, const char *unit, size_t n,
	const char *id_name, enum ag_err want)
{
	char *s = repeat(unit, n);
	cr_assert_eq(try_str(op, name, s, id_name), want, "%s %s: %zu x \"%s\"",
		ag_ops[op].name, name, n, unit);
	free(s);
}

#define OK AG_OK
#define BAD AG_E_BAD_REQUEST

Test(username, length_and_characters)
{
	struct {
		const char *name;
		enum ag_err want;
	} cases[] = {
		{ "ab", BAD }, { "abc", OK }, { "a.b_c9", OK }, { "Alice", OK }, { "al ice", BAD },
		{ "al-ice", BAD }, { "\xc3\xa5lice", BAD }, { "", BAD }, { "abc\n", BAD },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[128];
		bool valid = ag_validate_str(AG_R_USERNAME, cases[i].name, strlen(cases[i].name), 3, 30,
			why, sizeof why);
		cr_assert_eq(valid, cases[i].want == OK, "\"%s\": %s", cases[i].name, why);
	}
	char why[128];
	char *s = repeat("a", 30);
	cr_assert(ag_validate_str(AG_R_USERNAME, s, 30, 3, 30, why, sizeof why));
	free(s);
	s = repeat("a", 31);
	cr_assert_not(ag_validate_str(AG_R_USERNAME, s, 31, 3, 30, why, sizeof why));
	cr_assert_str_eq(why, "Must be between 3 and 30 characters long.");
	free(s);
}

/* auth.register args with one field replaced. */
static enum ag_err register_with(const char *field, const char *value, struct ag_error *err)
{
	static const char *const names[] = { "username", "email", "password", "full_name" };
	static const char *const values[] = { "alice", "alice@example.com", "correct horse", "Alice" };
	struct args_builder b;
	build(&b, 4);
	for (size_t i = 0; i < 4; i++)
		put_str(&b, names[i], strcmp(names[i], field) == 0 ? value : values[i]);
	enum ag_err rc = decode(&b, AG_OP_auth_register);
	*err = b.err;
	done(&b);
	return rc;
}

Test(username, through_args_decode)
{
	struct ag_error err;
	cr_assert_eq(register_with("username", "ab", &err), BAD);
	cr_assert_str_eq(err.field, "username");
	cr_assert_str_eq(err.message, "username must be between 3 and 30 characters long.");
	char *s = repeat("z", 30);
	cr_assert_eq(register_with("username", s, &err), OK);
	free(s);
	s = repeat("z", 31);
	cr_assert_eq(register_with("username", s, &err), BAD);
	free(s);
	cr_assert_eq(register_with("username", "Bob.Smith_2", &err), OK);
	cr_assert_eq(register_with("username", "bob!", &err), BAD);
	cr_assert_str_eq(err.message, "username may contain only letters a-z, digits, '.' and '_'.");
}

Test(email, rules)
{
	struct {
		const char *email;
		enum ag_err want;
	} cases[] = {
		{ "a@b.c", OK }, { "alice@example.com", OK }, { "Alice@Example.COM", OK },
		{ "\xc3\xbc@\xc3\xb6.de", OK }, { "a.b+tag@sub.example.org", OK },
		{ "ab", BAD }, { "a@b", BAD }, { "alice.example.com", BAD }, { "a@@b.c", BAD },
		{ "a@b@c.d", BAD }, { "a b@c.d", BAD }, { "ab@.cd", BAD }, { "ab@cd.", BAD },
		{ "@cd.ef", BAD }, { "a@b\x01.c", BAD }, { "a\xc2\xa0" "b@c.de", BAD },
		{ "a@b.c ", BAD }, { "a@b\tc.d", BAD }, { "", BAD },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ag_error err;
		cr_assert_eq(register_with("email", cases[i].email, &err), cases[i].want, "\"%s\"",
			cases[i].email);
		if (cases[i].want != OK)
			cr_assert_str_eq(err.field, "email");
	}
}

Test(email, length_in_bytes)
{
	struct ag_error err;
	/* local part + "@example.com" (12 bytes) */
	char *local = repeat("a", 242);
	char email[300];
	snprintf(email, sizeof email, "%s@example.com", local);
	cr_assert_eq(strlen(email), 254);
	cr_assert_eq(register_with("email", email, &err), OK);
	snprintf(email, sizeof email, "%sa@example.com", local);
	cr_assert_eq(register_with("email", email, &err), BAD);
	free(local);
	/* 254 bytes but fewer code points still counts as 254 */
	local = repeat("\xc3\xa9", 121);
	snprintf(email, sizeof email, "%s@example.com", local);
	cr_assert_eq(strlen(email), 254);
	cr_assert_eq(register_with("email", email, &err), OK);
	snprintf(email, sizeof email, "%sa@example.com", local);
	cr_assert_eq(register_with("email", email, &err), BAD);
	cr_assert(strstr(err.message, "bytes") != NULL, "%s", err.message);
	free(local);
}

Test(password, length_in_bytes)
{
	struct ag_error err;
	char *s = repeat("p", 7);
	cr_assert_eq(register_with("password", s, &err), BAD);
	cr_assert_str_eq(err.field, "password");
	free(s);
	s = repeat("p", 8);
	cr_assert_eq(register_with("password", s, &err), OK);
	free(s);
	s = repeat("p", 256);
	cr_assert_eq(register_with("password", s, &err), OK);
	free(s);
	s = repeat("p", 257);
	cr_assert_eq(register_with("password", s, &err), BAD);
	free(s);
	/* 4 code points, 8 bytes */
	cr_assert_eq(register_with("password", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &err), OK);
	/* 128 code points, 512 bytes */
	s = repeat("\xf0\x9f\x98\x80", 128);
	cr_assert_eq(register_with("password", s, &err), BAD);
	free(s);
}

Test(login, fields_accept_anything_the_frame_allows)
{
	const enum ag_op_id op = AG_OP_auth_login;
	expect_str(op, "password", "", NULL, OK);
	expect_str(op, "password", "x", NULL, OK);
	expect_str(op, "password", "tab\there\nnewline \x1b[0m", NULL, OK);
	expect_repeat(op, "password", "\xe2\x82\xac", 5000, NULL, OK);
	struct args_builder b;
	build(&b, 2);
	put_str(&b, "email", "not an email");
	put_str(&b, "password", "pw");
	cr_assert_eq(decode(&b, op), OK);
	cr_assert_str_eq(ag_arg_str(&b.args, "email"), "not an email");
	done(&b);
	build(&b, 2);
	put_str(&b, "username", "ALICE");
	put_str(&b, "password", "pw");
	cr_assert_eq(decode(&b, op), OK);
	cr_assert_str_eq(ag_arg_str(&b.args, "username"), "ALICE");
	cr_assert_not(ag_arg_present(&b.args, "email"));
	done(&b);
	build(&b, 1);
	put_str(&b, "email", "a@b.c");
	cr_assert_eq(decode(&b, op), BAD);
	cr_assert_str_eq(b.err.field, "password");
	cr_assert_str_eq(b.err.message, "password is required.");
	done(&b);
}

Test(comment, length_in_code_points_and_not_blank)
{
	const enum ag_op_id op = AG_OP_comment_create;
	expect_repeat(op, "content", "\xc3\xa9", 1000, "post_id", OK);         /* é */
	expect_repeat(op, "content", "\xc3\xa9", 1001, "post_id", BAD);
	expect_repeat(op, "content", "\xf0\x9f\x98\x80", 1000, "post_id", OK); /* 4 bytes each */
	expect_repeat(op, "content", "\xf0\x9f\x98\x80", 1001, "post_id", BAD);
	expect_repeat(op, "content", "\xe6\x97\xa5", 1000, "post_id", OK);     /* 日 */
	expect_str(op, "content", "x", "post_id", OK);
	expect_str(op, "content", "", "post_id", BAD);
	expect_str(op, "content", " ", "post_id", BAD);
	expect_str(op, "content", " \n\t  \n", "post_id", BAD);
	expect_str(op, "content", "\xe3\x80\x80\xc2\xa0", "post_id", BAD);   /* U+3000, U+00A0 */
	expect_str(op, "content", "  .  ", "post_id", OK);
	expect_str(op, "content", "line one\n\tline two", "post_id", OK);
}

Test(comment, messages)
{
	struct args_builder b;
	build(&b, 2);
	put_int(&b, "post_id", 1);
	put_str(&b, "content", "   ");
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.message, "content must not be only white space.");
	done(&b);
	build(&b, 2);
	put_int(&b, "post_id", 1);
	put_str(&b, "content", "");
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.message, "content must not be empty.");
	done(&b);
	char *s = repeat("y", 1001);
	build(&b, 2);
	put_int(&b, "post_id", 1);
	put_str(&b, "content", s);
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.message, "content must be at most 1000 characters long.");
	done(&b);
	free(s);
}

Test(text, controls)
{
	/* TEXT allows \n and \t only; every other C0, DEL and C1 is rejected */
	const enum ag_op_id op = AG_OP_post_create;
	expect_str(op, "content", "a\nb\tc", NULL, OK);
	expect_str(op, "content", "a\rb", NULL, BAD);
	expect_str(op, "content", "\x1b[31mred", NULL, BAD);
	expect_str(op, "content", "bell\x07", NULL, BAD);
	expect_str(op, "content", "del\x7f", NULL, BAD);
	expect_str(op, "content", "nel\xc2\x85", NULL, BAD);    /* U+0085 */
	expect_str(op, "content", "csi\xc2\x9b", NULL, BAD);    /* U+009B */
	expect_str(op, "content", "c1\xc2\x80", NULL, BAD);     /* U+0080 */
	expect_str(op, "content", "nbsp\xc2\xa0ok", NULL, OK); /* U+00A0 is not a control */
	expect_str(op, "content", "", NULL, OK);
	expect_repeat(op, "content", "\xc3\xa9", 2200, NULL, OK);
	expect_repeat(op, "content", "\xc3\xa9", 2201, NULL, BAD);
	expect_repeat(AG_OP_user_update, "bio", "b", 500, NULL, OK);
	expect_repeat(AG_OP_user_update, "bio", "b", 501, NULL, BAD);
	expect_str(AG_OP_user_update, "bio", "two\nlines", NULL, OK);
	expect_repeat(AG_OP_story_create, "content", "s", 500, NULL, OK);
	expect_repeat(AG_OP_story_create, "content", "s", 501, NULL, BAD);
}

Test(line, controls)
{
	/* LINE rejects every control, \n and \t included */
	const enum ag_op_id op = AG_OP_user_update;
	expect_str(op, "full_name", "Alice Smith", NULL, OK);
	expect_str(op, "full_name", "", NULL, OK);
	expect_str(op, "full_name", "two\nlines", NULL, BAD);
	expect_str(op, "full_name", "tab\there", NULL, BAD);
	expect_str(op, "full_name", "esc\x1b", NULL, BAD);
	expect_str(op, "full_name", "del\x7f", NULL, BAD);
	expect_str(op, "full_name", "c1\xc2\x9f", NULL, BAD);
	expect_str(op, "full_name", "Z\xc3\xbcrich \xe6\x97\xa5\xe6\x9c\xac", NULL, OK);
	expect_repeat(op, "full_name", "\xc3\xa9", 100, NULL, OK);
	expect_repeat(op, "full_name", "\xc3\xa9", 101, NULL, BAD);
	char why[128];
	cr_assert_not(ag_validate_str(AG_R_LINE, "a\nb", 3, 0, 10, why, sizeof why));
	cr_assert_str_eq(why, "Must be one line without control or text-direction characters.");
	cr_assert(ag_validate_str(AG_R_TEXT, "a\nb", 3, 0, 10, why, sizeof why));
}

Test(line, text_direction_controls_and_separators)
{
	/* They reorder what a terminal shows around them: not in one line. */
	static const char *const bad[] = {
		"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",
		"\xe2\x80\xae",                     /* U+202A..U+202E */
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",  /* U+2066..9 */
		"\xe2\x80\x8e", "\xe2\x80\x8f", "\xd8\x9c",   /* LRM, RLM, ALM */
		"\xe2\x80\xa8", "\xe2\x80\xa9",                 /* line, paragraph separator */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char v[64], email[64], url[64];
		snprintf(v, sizeof v, "evil%sgnp.exe", bad[i]);
		snprintf(email, sizeof email, "a%s@b.example", bad[i]);
		snprintf(url, sizeof url, "https://x.example/%s", bad[i]);
		expect_str(AG_OP_user_update, "full_name", v, NULL, BAD);
		expect_str(AG_OP_search_users, "q", v, NULL, BAD);
		expect_str(AG_OP_search_posts_by_hashtag, "tag", v, NULL, BAD);
		expect_str(AG_OP_auth_register, "email", email, NULL, BAD);
		expect_str(AG_OP_post_create, "image_url", url, NULL, BAD);
	}
	/* Joiners stay: emoji sequences and many scripts need them. */
	expect_str(AG_OP_user_update, "full_name",
		"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", NULL, OK);
	expect_str(AG_OP_user_update, "full_name", "\xd9\x85\xe2\x80\x8c\xd9\x8a", NULL, OK);
	/* Multi-line text keeps them: a post may be written right to left. */
	expect_str(AG_OP_post_create, "content", "\xe2\x80\x8fhello", NULL, OK);
}

Test(search, q_and_tag)
{
	expect_str(AG_OP_search_users, "q", "", NULL, BAD);
	expect_str(AG_OP_search_users, "q", "a", NULL, OK);
	expect_str(AG_OP_search_users, "q", "100%_off", NULL, OK);
	expect_repeat(AG_OP_search_users, "q", "\xc3\xa9", 100, NULL, OK);
	expect_repeat(AG_OP_search_users, "q", "\xc3\xa9", 101, NULL, BAD);
	expect_str(AG_OP_search_users, "q", "a\nb", NULL, BAD);
	expect_str(AG_OP_search_hashtags, "q", "cat", NULL, OK);
	expect_str(AG_OP_search_posts_by_hashtag, "tag", "#cats", NULL, OK);
	expect_repeat(AG_OP_search_posts_by_hashtag, "tag", "t", 101, NULL, BAD);
}

Test(url, rules)
{
	const enum ag_op_id op = AG_OP_post_create;
	expect_str(op, "image_url", "", NULL, OK);
	expect_str(op, "image_url", "http://x", NULL, OK);
	expect_str(op, "image_url", "https://img.example.com/a.png?s=1", NULL, OK);
	expect_str(op, "image_url", "HTTPS://EXAMPLE.COM/", NULL, OK);
	expect_str(op, "image_url", "http://", NULL, BAD);
	expect_str(op, "image_url", "ftp://x", NULL, BAD);
	expect_str(op, "image_url", "javascript:alert(1)", NULL, BAD);
	expect_str(op, "image_url", "example.com/a.png", NULL, BAD);
	expect_str(op, "image_url", "http://a\nb", NULL, BAD);
	expect_str(op, "image_url", "http://a\x1b", NULL, BAD);
	char *s = repeat("a", 500 - 8);
	char url[600];
	snprintf(url, sizeof url, "https://%s", s);
	expect_str(op, "image_url", url, NULL, OK);
	snprintf(url, sizeof url, "https://%sa", s);
	expect_str(op, "image_url", url, NULL, BAD);
	free(s);
	expect_str(AG_OP_user_update, "profile_image_url", "", NULL, OK);
	expect_str(AG_OP_user_update, "profile_image_url", "mailto:a@b.c", NULL, BAD);
}

Test(validate_str, invalid_utf8_and_nul)
{
	char why[128];
	cr_assert_not(ag_validate_str(AG_R_ANY, "\xc0\xaf", 2, 0, 100, why, sizeof why));
	cr_assert_not(ag_validate_str(AG_R_ANY, "a\0b", 3, 0, 100, why, sizeof why));
	cr_assert_not(ag_validate_str(AG_R_PASSWORD, "\xed\xa0\x80xxxxxxx", 10, 8, 256, why,
		sizeof why));
	cr_assert(ag_validate_str(AG_R_ANY, "", 0, 0, 100, why, sizeof why));
	/* a tiny why buffer is still terminated */
	char tiny[4];
	cr_assert_not(ag_validate_str(AG_R_LINE, "\n", 1, 0, 10, tiny, sizeof tiny));
	cr_assert_eq(strlen(tiny), 3);
}

/* {name: <value packed by fill>} for op, plus post_id etc. when needed. */
static enum ag_err decode_one_value(enum ag_op_id op, const char *name,
	void (*fill)(msgpack_packer *pk), struct ag_error *err)
{
	struct args_builder b;
	build(&b, 1);
	key(&b, name);
	fill(&b.pk);
	enum ag_err rc = decode(&b, op);
	*err = b.err;
	done(&b);
	return rc;
}

static void v_one(msgpack_packer *pk) { msgpack_pack_uint8(pk, 1); }
static void v_zero(msgpack_packer *pk) { msgpack_pack_uint8(pk, 0); }
static void v_neg(msgpack_packer *pk) { msgpack_pack_int8(pk, -1); }
static void v_neg64(msgpack_packer *pk) { msgpack_pack_int64(pk, INT64_MIN); }
static void v_int64_max(msgpack_packer *pk) { msgpack_pack_uint64(pk, INT64_MAX); }
static void v_uint64_max(msgpack_packer *pk) { msgpack_pack_uint64(pk, UINT64_MAX); }
static void v_above_int64(msgpack_packer *pk) { msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1); }
static void v_str(msgpack_packer *pk) { ag_pack_str(pk, "1"); }
static void v_float(msgpack_packer *pk) { msgpack_pack_double(pk, 1.0); }
static void v_true(msgpack_packer *pk) { msgpack_pack_true(pk); }
static void v_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void v_array(msgpack_packer *pk) { msgpack_pack_array(pk, 0); }
static void v_100(msgpack_packer *pk) { msgpack_pack_uint16(pk, 100); }
static void v_101(msgpack_packer *pk) { msgpack_pack_uint16(pk, 101); }
static void v_million(msgpack_packer *pk) { msgpack_pack_uint32(pk, 1000000); }
static void v_million1(msgpack_packer *pk) { msgpack_pack_uint32(pk, 1000001); }
static void v_wide_one(msgpack_packer *pk) { msgpack_pack_int64(pk, 1); }

Test(types, id)
{
	struct {
		void (*fill)(msgpack_packer *pk);
		enum ag_err want;
	} cases[] = {
		{ v_one, OK }, { v_wide_one, OK }, { v_int64_max, OK }, { v_zero, BAD },
		{ v_neg, BAD }, { v_neg64, BAD }, { v_above_int64, BAD }, { v_uint64_max, BAD },
		{ v_str, BAD }, { v_float, BAD }, { v_true, BAD }, { v_nil, BAD }, { v_array, BAD },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ag_error err;
		cr_assert_eq(decode_one_value(AG_OP_post_get, "post_id", cases[i].fill, &err),
			cases[i].want, "case %zu: %s", i, err.message);
		if (cases[i].want != OK)
			cr_assert_str_eq(err.field, "post_id");
	}
}

Test(types, limit_and_offset)
{
	struct ag_error err;
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_one, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_100, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_zero, &err), BAD);
	cr_assert_str_eq(err.field, "limit");
	cr_assert_str_eq(err.message, "limit must be between 1 and 100.");
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_101, &err), BAD);
	cr_assert_str_eq(err.message, "limit must be between 1 and 100.");
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_neg, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_uint64_max, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_str, &err), BAD);
	cr_assert_str_eq(err.message, "limit must be an integer.");
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_float, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "limit", v_nil, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "offset", v_zero, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "offset", v_million, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "offset", v_million1, &err), BAD);
	cr_assert_str_eq(err.field, "offset");
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "offset", v_neg, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "before_id", v_one, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_feed_get, "before_id", v_zero, &err), BAD);
	cr_assert_str_eq(err.field, "before_id");
}

Test(types, bool)
{
	struct ag_error err;
	cr_assert_eq(decode_one_value(AG_OP_notification_list, "unread_only", v_true, &err), OK);
	cr_assert_eq(decode_one_value(AG_OP_notification_list, "unread_only", v_one, &err), BAD);
	cr_assert_str_eq(err.field, "unread_only");
	cr_assert_eq(decode_one_value(AG_OP_notification_list, "unread_only", v_str, &err), BAD);
}

Test(types, str_must_be_a_string)
{
	struct ag_error err;
	cr_assert_eq(decode_one_value(AG_OP_search_users, "q", v_one, &err), BAD);
	cr_assert_str_eq(err.field, "q");
	cr_assert_str_eq(err.message, "q must be a string.");
	cr_assert_eq(decode_one_value(AG_OP_search_users, "q", v_nil, &err), BAD);
	cr_assert_eq(decode_one_value(AG_OP_search_users, "q", v_array, &err), BAD);
}

/* media.upload's data: a bin of 1 byte to 8 MiB, read without a copy. */
Test(types, bin)
{
	struct args_builder b;
	build(&b, 1);
	key(&b, "data");
	msgpack_pack_bin(&b.pk, 3);
	msgpack_pack_bin_body(&b.pk, "a\0b", 3);
	cr_assert_eq(decode(&b, AG_OP_media_upload), OK, "%s", b.err.message);
	size_t len;
	const void *data = ag_arg_bin(&b.args, "data", &len);
	cr_assert_eq(len, 3);
	cr_assert_eq(memcmp(data, "a\0b", 3), 0);
	done(&b);

	static const struct { const char *what; size_t len; bool is_str; enum ag_err want; } cases[] = {
		{"an empty bin", 0, false, BAD},
		{"8 MiB", 8 * 1024 * 1024, false, OK},
		{"8 MiB + 1", 8 * 1024 * 1024 + 1, false, BAD},
		{"a string", 3, true, BAD},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		build(&b, 1);
		key(&b, "data");
		char *bytes = calloc(1, cases[i].len + 1);
		if (cases[i].is_str) {
			msgpack_pack_str(&b.pk, cases[i].len);
			msgpack_pack_str_body(&b.pk, "abc", cases[i].len);
		} else {
			msgpack_pack_bin(&b.pk, cases[i].len);
			msgpack_pack_bin_body(&b.pk, bytes, cases[i].len);
		}
		free(bytes);
		cr_assert_eq(decode(&b, AG_OP_media_upload), cases[i].want, "%s", cases[i].what);
		if (cases[i].want != OK) {
			cr_assert_str_eq(b.err.field, "data", "%s", cases[i].what);
			cr_assert_eq(strncmp(b.err.message, "data ", 5), 0, "%s", b.err.message);
		}
		done(&b);
	}
	/* Absent: NULL and no bytes. */
	build(&b, 0);
	b.err.code = AG_OK;
	cr_assert_eq(decode(&b, AG_OP_media_upload), BAD);
	cr_assert_str_eq(b.err.message, "data is required.");
	done(&b);
}

Test(args, missing_required)
{
	struct args_builder b;
	build(&b, 0);
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.field, "post_id");
	cr_assert_str_eq(b.err.message, "post_id is required.");
	done(&b);

	struct ag_args args;
	struct ag_error err;
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_post_get], NULL, &args, &err), BAD);
	cr_assert_str_eq(err.field, "post_id");
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_server_ping], NULL, &args, &err), OK);
	ag_args_free(&args);
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_feed_get], NULL, &args, &err), OK);
	cr_assert_not(ag_arg_present(&args, "limit"));
	cr_assert_eq(ag_arg_int(&args, "limit", 20), 20);
	ag_args_free(&args);
}

Test(args, failure_frees_earlier_strings)
{
	/* username and email are copied before the password fails; running
	 * under AddressSanitizer shows they are not leaked */
	struct ag_error err;
	cr_assert_eq(register_with("password", "short", &err), BAD);
	cr_assert_str_eq(err.field, "password");
	struct args_builder b;
	build(&b, 2);
	put_str(&b, "username", "alice");
	put_str(&b, "email", "alice@example.com");
	cr_assert_eq(decode(&b, AG_OP_auth_register), BAD);
	cr_assert_str_eq(b.err.field, "password");
	for (size_t i = 0; i < AG_MAX_ARGS; i++)
		cr_assert_null(b.args.v[i].s);
	done(&b);
}

Test(args, nullable_nil)
{
	struct args_builder b;
	build(&b, 3);
	key(&b, "full_name");
	msgpack_pack_nil(&b.pk);
	put_str(&b, "bio", "");
	key(&b, "profile_image_url");
	msgpack_pack_nil(&b.pk);
	cr_assert_eq(decode(&b, AG_OP_user_update), OK);
	cr_assert(ag_arg_present(&b.args, "full_name"));
	cr_assert_null(ag_arg_str(&b.args, "full_name"));
	cr_assert(b.args.v[0].nil);
	cr_assert(ag_arg_present(&b.args, "bio"));
	cr_assert_str_eq(ag_arg_str(&b.args, "bio"), "");
	cr_assert_not(b.args.v[1].nil);
	done(&b);

	/* nil is refused where the arg is not nullable */
	build(&b, 2);
	put_int(&b, "post_id", 1);
	key(&b, "content");
	msgpack_pack_nil(&b.pk);
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.field, "content");
	done(&b);
}

Test(args, not_a_map)
{
	struct args_builder b;
	memset(&b, 0, sizeof b);
	msgpack_sbuffer_init(&b.sb);
	msgpack_packer_init(&b.pk, &b.sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&b.un);
	msgpack_pack_array(&b.pk, 1);
	msgpack_pack_uint8(&b.pk, 1);
	cr_assert_eq(decode(&b, AG_OP_server_ping), BAD);
	cr_assert_str_eq(b.err.field, "args");
	done(&b);

	msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
	struct ag_args args;
	struct ag_error err;
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_server_ping], &nil, &args, &err), OK);
	ag_args_free(&args);
}

Test(args, unknown_keys_ignored_duplicates_rejected)
{
	struct args_builder b;
	build(&b, 4);
	key(&b, "zzz");
	msgpack_pack_array(&b.pk, 2);
	msgpack_pack_uint8(&b.pk, 1);
	msgpack_pack_nil(&b.pk);
	msgpack_pack_uint8(&b.pk, 7);  /* an integer key */
	msgpack_pack_true(&b.pk);
	put_int(&b, "post_id", 3);
	put_str(&b, "post_idx", "x");
	cr_assert_eq(decode(&b, AG_OP_post_get), OK);
	cr_assert_eq(ag_arg_int(&b.args, "post_id", 0), 3);
	done(&b);

	build(&b, 2);
	put_int(&b, "post_id", 3);
	put_int(&b, "post_id", 4);
	cr_assert_eq(decode(&b, AG_OP_post_get), BAD);
	cr_assert_str_eq(b.err.field, "post_id");
	done(&b);

	build(&b, 3);
	put_int(&b, "post_id", 3);
	put_str(&b, "content", "one");
	put_str(&b, "content", "two");
	cr_assert_eq(decode(&b, AG_OP_comment_create), BAD);
	cr_assert_str_eq(b.err.field, "content");
	done(&b);
}

Test(args, accessors)
{
	struct args_builder b;
	build(&b, 4);
	put_int(&b, "limit", 5);
	put_int(&b, "before_id", 99);
	key(&b, "unread_only");
	msgpack_pack_true(&b.pk);
	put_str(&b, "ignored", "x");
	cr_assert_eq(decode(&b, AG_OP_notification_list), OK);
	cr_assert_eq(b.args.op, &ag_ops[AG_OP_notification_list]);
	cr_assert_eq(ag_arg_int(&b.args, "limit", 50), 5);
	cr_assert_eq(ag_arg_int(&b.args, "offset", 0), 0);
	cr_assert_not(ag_arg_present(&b.args, "offset"));
	cr_assert_eq(ag_arg_int(&b.args, "before_id", INT64_MAX), 99);
	cr_assert(ag_arg_bool(&b.args, "unread_only", false));
	done(&b);

	build(&b, 2);
	put_int(&b, "post_id", 1);
	put_str(&b, "content", "caf\xc3\xa9");
	cr_assert_eq(decode(&b, AG_OP_comment_create), OK);
	const char *content = ag_arg_str(&b.args, "content");
	cr_assert_str_eq(content, "caf\xc3\xa9");
	cr_assert_eq(b.args.v[1].len, 5);
	/* a copy, not a pointer into the frame */
	cr_assert(content < b.sb.data || content >= b.sb.data + b.sb.size);
	done(&b);
}

Test(args, undeclared_name_aborts, .signal = SIGABRT)
{
	struct ag_args args;
	struct ag_error err;
	cr_assert_eq(ag_args_decode(&ag_ops[AG_OP_server_ping], NULL, &args, &err), OK);
	ag_arg_present(&args, "post_id");
}
