/* test_validation.c: the rules of PROTOCOL.md section 4 and the argument
 * typing of section 2, through the real server: length boundaries in code
 * points (bytes for email and password), control characters in single-
 * and multi-line fields, blank text, URLs, wrong types. A rejected request
 * is bad_request naming the field, and changes nothing. */
#include "harness.h"

#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(validation, .fini = h_test_fini);

/* Control characters no field accepts (C0 other than \n \t, DEL, C1). */
static const char *const always_bad_controls[] = {
	"\x01", "\x1b[31m", "\r", "\x7f", "\xc2\x85" /* NEL */, "\xc2\x9b" /* CSI */,
};
#define N_BAD_CONTROLS (sizeof always_bad_controls / sizeof always_bad_controls[0])

static const struct ag_reply *register_with(const char *username, const char *email,
	const char *password)
{
	return h_call(h_client(), "auth.register", "username:s email:s password:s",
		username, email, password);
}

static void assert_rejected(const struct ag_reply *r, const char *field, const char *what)
{
	cr_assert(!r->ok, "%s was accepted", what);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "%s gave %s", what, r->code_name);
	cr_assert_str_eq(r->field, field, "%s blamed \"%s\"", what, r->field);
}

static void assert_accepted(const struct ag_reply *r, const char *what)
{
	cr_assert(r->ok, "%s was refused: %s: %s", what, r->code_name, r->message);
}

static int64_t post_count(int64_t uid)
{
	return h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, uid);
}

/* ---- accounts ---- */

Test(validation, username_length_is_3_to_30)
{
	const char *base = h_unique("n");  /* "n<pid>x<k>": at most 17 characters */
	size_t len = strlen(base);
	const char *u30 = h_fmt("%s%s", base, h_repeat("z", 30 - len));
	const char *u31 = h_fmt("%s%s", base, h_repeat("y", 31 - len));
	assert_rejected(register_with("ab", h_fmt("%s-2@example.com", base), "password1"),
		"username", "a 2-character username");
	/* The database is this file's own: no other test takes "q9_". */
	assert_accepted(register_with("q9_", h_fmt("%s-3@example.com", base), "password1"),
		"a 3-character username");
	assert_accepted(register_with(u30, h_fmt("%s-30@example.com", base), "password1"),
		"a 30-character username");
	assert_rejected(register_with(u31, h_fmt("%s-31@example.com", base), "password1"),
		"username", "a 31-character username");
}

Test(validation, username_allows_only_a_z_digits_dot_underscore)
{
	static const char *const bad[] = {"has-dash", "has space", "at@sign", "caf\xc3\xa9",
		"tab\there", "semi;colon", "new\nline"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_rejected(register_with(bad[i], h_fmt("%s@example.com", h_unique("b")),
			"password1"), "username", bad[i]);
	const char *good = h_fmt("%s.a_b9", h_unique("ok"));
	assert_accepted(register_with(good, h_fmt("%s@example.com", h_unique("g")), "password1"),
		good);
}

Test(validation, email_shape)
{
	static const char *const bad[] = {"no-at-sign.example.com", "two@@example.com",
		"a@b@example.com", "nodot@examplecom", "has space@example.com", "@example.com",
		"tab\t@example.com", "ctl\x1b@example.com", "ab"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_rejected(register_with(h_unique("e"), bad[i], "password1"), "email", bad[i]);
}

Test(validation, email_length_is_3_to_254_bytes)
{
	const char *local = h_unique("m");
	/* local@<padding>.com: 254 bytes accepted, 255 refused */
	size_t fixed = strlen(local) + strlen("@") + strlen(".com");
	const char *e254 = h_fmt("%s@%s.com", local, h_repeat("d", 254 - fixed));
	const char *e255 = h_fmt("%s@%s.com", local, h_repeat("d", 255 - fixed));
	cr_assert_eq(strlen(e254), 254);
	assert_rejected(register_with(h_unique("e"), e255, "password1"), "email",
		"a 255-byte email");
	assert_accepted(register_with(h_unique("e"), e254, "password1"), "a 254-byte email");
}

Test(validation, password_length_is_8_to_256_bytes)
{
	assert_rejected(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		"1234567"), "password", "a 7-byte password");
	assert_accepted(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		"12345678"), "an 8-byte password");
	/* four 2-byte characters are 8 bytes */
	assert_accepted(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), "a password of 4 two-byte characters");
	assert_rejected(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		"\xc3\xa9\xc3\xa9\xc3\xa9"), "password", "a 6-byte password");
	assert_accepted(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		h_repeat("x", 256)), "a 256-byte password");
	assert_rejected(register_with(h_unique("p"), h_fmt("%s@example.com", h_unique("p")),
		h_repeat("x", 257)), "password", "a 257-byte password");
}

/* ---- profile fields ---- */

Test(validation, full_name_is_up_to_100_code_points)
{
	struct h_user u;
	h_user_new(&u);
	assert_accepted(h_call(u.c, "user.update", "full_name:s", h_repeat("\xc3\xa9", 100)),
		"a full_name of 100 two-byte characters");
	assert_rejected(h_call(u.c, "user.update", "full_name:s", h_repeat("\xc3\xa9", 101)),
		"full_name", "a full_name of 101 characters");
}

Test(validation, full_name_is_single_line)
{
	struct h_user u;
	h_user_new(&u);
	assert_rejected(h_call(u.c, "user.update", "full_name:s", "two\nlines"), "full_name",
		"a newline in full_name");
	assert_rejected(h_call(u.c, "user.update", "full_name:s", "a\ttab"), "full_name",
		"a tab in full_name");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(u.c, "user.update", "full_name:s",
			h_fmt("x%sy", always_bad_controls[i])), "full_name", "a control in full_name");
	assert_rejected(h_call(h_client(), "auth.register",
		"username:s email:s password:s full_name:s", h_unique("f"),
		h_fmt("%s@example.com", h_unique("f")), "password1", "evil\x1b[2J"),
		"full_name", "a control in full_name at registration");
}

Test(validation, bio_is_multi_line_up_to_500)
{
	struct h_user u;
	h_user_new(&u);
	assert_accepted(h_call(u.c, "user.update", "bio:s", "one\ntwo\tthree"),
		"newline and tab in bio");
	assert_accepted(h_call(u.c, "user.update", "bio:s", h_repeat("\xe6\x97\xa5", 500)),
		"a bio of 500 three-byte characters");
	assert_rejected(h_call(u.c, "user.update", "bio:s", h_repeat("b", 501)), "bio",
		"a 501-character bio");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(u.c, "user.update", "bio:s",
			h_fmt("x%sy", always_bad_controls[i])), "bio", "a control in bio");
}

Test(validation, urls_are_http_or_https_up_to_500)
{
	struct h_user u;
	h_user_new(&u);
	static const char *const bad[] = {"ftp://example.com/a.png", "javascript:alert(1)",
		"http:/example.com", "example.com/a.png", "http://", "file:///etc/passwd",
		"https://example.com/\na.png", "https://example.com/\x1b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_rejected(h_call(u.c, "user.update", "profile_image_url:s", bad[i]),
			"profile_image_url", bad[i]);
		assert_rejected(h_call(u.c, "post.create", "image_url:s", bad[i]), "image_url",
			bad[i]);
		assert_rejected(h_call(u.c, "story.create", "image_url:s", bad[i]), "image_url",
			bad[i]);
	}
	const char *u500 = h_fmt("https://example.com/%s", h_repeat("p", 500 - 20));
	const char *u501 = h_fmt("https://example.com/%s", h_repeat("p", 501 - 20));
	cr_assert_eq(strlen(u500), 500);
	assert_accepted(h_call(u.c, "user.update", "profile_image_url:s", u500), "a 500-byte URL");
	assert_rejected(h_call(u.c, "user.update", "profile_image_url:s", u501),
		"profile_image_url", "a 501-byte URL");
	assert_accepted(h_call(u.c, "post.create", "image_url:s", "http://example.com/a.png"),
		"an http URL");
	assert_rejected(h_call(u.c, "post.create", "image_url:s", u501), "image_url",
		"a 501-byte image URL");
	cr_assert_eq(post_count(u.id), 1);
}

/* ---- posts, comments, messages, stories ---- */

Test(validation, post_content_is_up_to_2200_code_points)
{
	struct h_user u;
	h_user_new(&u);
	assert_accepted(h_call(u.c, "post.create", "content:s", h_repeat("\xc3\xbc", 2200)),
		"a post of 2200 two-byte characters");
	assert_rejected(h_call(u.c, "post.create", "content:s", h_repeat("a", 2201)), "content",
		"a post of 2201 characters");
	cr_assert_eq(post_count(u.id), 1);
}

Test(validation, post_content_is_multi_line)
{
	struct h_user u;
	h_user_new(&u);
	assert_accepted(h_call(u.c, "post.create", "content:s", "line\n\tindented"),
		"newline and tab in a post");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(u.c, "post.create", "content:s",
			h_fmt("x%sy", always_bad_controls[i])), "content", "a control in a post");
	cr_assert_eq(post_count(u.id), 1);
}

Test(validation, post_needs_content_or_image)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_BAD_REQUEST, u.c, "post.create", "");
	h_err(AG_E_BAD_REQUEST, u.c, "post.create", "content:n image_url:n");
	h_err(AG_E_BAD_REQUEST, u.c, "post.create", "content:s", "");
	h_err(AG_E_BAD_REQUEST, u.c, "post.create", "content:s image_url:s", "", "");
	cr_assert_eq(post_count(u.id), 0);
	assert_accepted(h_call(u.c, "post.create", "image_url:s", "https://example.com/p.jpg"),
		"a post with only an image");
}

/* White space in the sense of Unicode, alone, is no post: bad_request on
 * content, and nothing stored. With an image it is a caption like any. */
static const char *const blank_texts[] = {" ", "   ", "\n\t \n", "\xc2\xa0" /* U+00A0 */,
	"\xe3\x80\x80" /* U+3000 */, " \xe2\x80\x83 " /* U+2003 */};
#define N_BLANK_TEXTS (sizeof blank_texts / sizeof blank_texts[0])

Test(validation, post_of_only_white_space_needs_an_image)
{
	struct h_user u;
	h_user_new(&u);
	for (size_t i = 0; i < N_BLANK_TEXTS; i++) {
		assert_rejected(h_call(u.c, "post.create", "content:s", blank_texts[i]), "content",
			h_fmt("a post of white space %zu", i));
		assert_rejected(h_call(u.c, "post.create", "content:s image_url:n", blank_texts[i]),
			"content", h_fmt("a post of white space %zu and a nil image", i));
		assert_rejected(h_call(u.c, "post.create", "content:s image_url:s", blank_texts[i], ""),
			"content", h_fmt("a post of white space %zu and an empty image", i));
	}
	cr_assert_eq(post_count(u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM sagas WHERE initiator = ?1", 1, u.id), 0);
	cr_assert_eq(ag_obj_int(h_ok(h_client(), "user.get", "user_id:i", u.id), "post_count"), 0);

	const msgpack_object *p = h_ok(u.c, "post.create", "content:s image_url:s", "  \n ",
		"https://example.com/p.jpg");
	h_assert_str(p, "image_url", "https://example.com/p.jpg");
	assert_accepted(h_call(u.c, "post.create", "content:s", " x "), "a post with one letter");
	assert_accepted(h_call(u.c, "post.create", "content:s", "\xe3\x80\x80."),
		"a post with a full stop");
	cr_assert_eq(post_count(u.id), 3);
}

Test(validation, story_of_only_white_space_needs_an_image)
{
	struct h_user u;
	h_user_new(&u);
	for (size_t i = 0; i < N_BLANK_TEXTS; i++) {
		assert_rejected(h_call(u.c, "story.create", "content:s", blank_texts[i]), "content",
			h_fmt("a story of white space %zu", i));
		assert_rejected(h_call(u.c, "story.create", "content:s image_url:s", blank_texts[i], ""),
			"content", h_fmt("a story of white space %zu and an empty image", i));
	}
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 0);
	assert_accepted(h_call(u.c, "story.create", "content:s image_url:s", " ",
		"https://example.com/s.jpg"), "a story of white space with an image");
	assert_accepted(h_call(u.c, "story.create", "content:s", "\t!"), "a story with a mark");
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 2);
}

Test(validation, comment_is_1_to_1000_and_not_blank)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "post"), "id");
	static const char *const blank[] = {"", " ", "   \n\t  ", "\xe3\x80\x80" /* U+3000 */};
	for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
		assert_rejected(h_call(u.c, "comment.create", "post_id:i content:s", post, blank[i]),
			"content", "a blank comment");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(u.c, "comment.create", "post_id:i content:s", post,
			h_fmt("x%sy", always_bad_controls[i])), "content", "a control in a comment");
	assert_rejected(h_call(u.c, "comment.create", "post_id:i content:s", post,
		h_repeat("c", 1001)), "content", "a 1001-character comment");
	assert_rejected(h_call(u.c, "comment.create", "post_id:i content:n", post), "content",
		"a nil comment");
	assert_accepted(h_call(u.c, "comment.create", "post_id:i content:s", post,
		h_repeat("\xc3\xa7", 1000)), "a comment of 1000 two-byte characters");
	assert_accepted(h_call(u.c, "comment.create", "post_id:i content:s", post, "x\n\ty"),
		"newline and tab in a comment");
	cr_assert_eq(h_db_int("SELECT count(*) FROM comments WHERE post_id = ?1", 1, post), 2);
}

Test(validation, message_is_1_to_4000_and_not_blank)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	static const char *const blank[] = {"", " ", "\n\n\t", "\xc2\xa0"};
	for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
		assert_rejected(h_call(a.c, "message.send", "receiver_id:i content:s", b.id, blank[i]),
			"content", "a blank message");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
			h_fmt("x%sy", always_bad_controls[i])), "content", "a control in a message");
	assert_rejected(h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
		h_repeat("m", 4001)), "content", "a 4001-character message");
	assert_accepted(h_call(a.c, "message.send", "receiver_id:i content:s", b.id,
		h_repeat("\xe2\x82\xac", 4000)), "a message of 4000 three-byte characters");
	cr_assert_eq(h_db_int("SELECT count(*) FROM messages WHERE sender_id = ?1", 1, a.id), 1);
}

Test(validation, story_content_is_up_to_500_and_needs_something)
{
	struct h_user u;
	h_user_new(&u);
	h_err(AG_E_BAD_REQUEST, u.c, "story.create", "");
	h_err(AG_E_BAD_REQUEST, u.c, "story.create", "content:s image_url:n", "");
	assert_rejected(h_call(u.c, "story.create", "content:s", h_repeat("s", 501)), "content",
		"a 501-character story");
	for (size_t i = 0; i < N_BAD_CONTROLS; i++)
		assert_rejected(h_call(u.c, "story.create", "content:s",
			h_fmt("x%sy", always_bad_controls[i])), "content", "a control in a story");
	assert_accepted(h_call(u.c, "story.create", "content:s", h_repeat("\xc3\xb6", 500)),
		"a story of 500 two-byte characters");
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 1);
}

/* ---- search ---- */

Test(validation, search_text_is_1_to_100_single_line)
{
	struct ag_client *c = h_client();
	static const char *const ops[] = {"search.users", "search.hashtags"};
	for (size_t i = 0; i < 2; i++) {
		assert_rejected(h_call(c, ops[i], "q:s", ""), "q", "an empty q");
		assert_rejected(h_call(c, ops[i], "q:s", h_repeat("q", 101)), "q", "a 101-character q");
		assert_rejected(h_call(c, ops[i], "q:s", "a\tb"), "q", "a tab in q");
		assert_rejected(h_call(c, ops[i], "q:s", "a\nb"), "q", "a newline in q");
		assert_rejected(h_call(c, ops[i], ""), "q", "a missing q");
		assert_accepted(h_call(c, ops[i], "q:s", h_repeat("\xc3\xa9", 100)),
			"a q of 100 two-byte characters");
		assert_rejected(h_call(c, ops[i], "q:s limit:i", "x", (int64_t)0), "limit",
			"limit 0");
	}
	assert_rejected(h_call(c, "search.posts_by_hashtag", "tag:s", ""), "tag", "an empty tag");
	assert_rejected(h_call(c, "search.posts_by_hashtag", "tag:s", h_repeat("t", 101)), "tag",
		"a 101-character tag");
	assert_rejected(h_call(c, "search.posts_by_hashtag", "tag:s", "a\x1b"), "tag",
		"a control in tag");
	assert_accepted(h_call(c, "search.posts_by_hashtag", "tag:s", h_repeat("t", 100)),
		"a 100-character tag");
}

/* ---- types ---- */

Test(validation, wrong_types_name_the_field)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "typed"), "id");
	assert_rejected(h_call(u.c, "post.get", "post_id:s", "1"), "post_id", "a string id");
	assert_rejected(h_call(u.c, "post.get", "post_id:b", 1), "post_id", "a bool id");
	assert_rejected(h_call(u.c, "post.get", "post_id:n"), "post_id", "a nil id");
	assert_rejected(h_call(u.c, "post.create", "content:i", (int64_t)5), "content",
		"an integer content");
	assert_rejected(h_call(u.c, "post.create", "content:b", 1), "content", "a bool content");
	assert_rejected(h_call(u.c, "post.comments", "post_id:i limit:s", post, "10"), "limit",
		"a string limit");
	assert_rejected(h_call(u.c, "notification.list", "unread_only:i", (int64_t)1),
		"unread_only", "an integer bool");
	assert_rejected(h_call(u.c, "saga.get", "saga_id:i", (int64_t)7), "saga_id",
		"an integer saga id");
	cr_assert_eq(post_count(u.id), 1);
}

Test(validation, ids_must_be_positive)
{
	struct h_user u;
	h_user_new(&u);
	assert_rejected(h_call(u.c, "post.get", "post_id:i", (int64_t)-1), "post_id",
		"a negative id");
	assert_rejected(h_call(u.c, "follow.create", "user_id:i", (int64_t)-7), "user_id",
		"a negative user id");
	assert_rejected(h_call(u.c, "post.get", "post_id:i", (int64_t)0), "post_id", "id 0");
}

/* Packs {post_id: id, limit: 5} with both integers in one fixed-width
 * MessagePack type (width 8..64, signed or not). */
static void pack_ids_as(msgpack_sbuffer *sb, int width, bool is_signed, int64_t id)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	for (int k = 0; k < 2; k++) {
		ag_pack_key(&pk, k ? "limit" : "post_id");
		int64_t v = k ? 5 : id;
		switch (width * (is_signed ? -1 : 1)) {
		case 8: msgpack_pack_fix_uint8(&pk, (uint8_t)v); break;
		case 16: msgpack_pack_fix_uint16(&pk, (uint16_t)v); break;
		case 32: msgpack_pack_fix_uint32(&pk, (uint32_t)v); break;
		case 64: msgpack_pack_fix_uint64(&pk, (uint64_t)v); break;
		case -8: msgpack_pack_fix_int8(&pk, (int8_t)v); break;
		case -16: msgpack_pack_fix_int16(&pk, (int16_t)v); break;
		case -32: msgpack_pack_fix_int32(&pk, (int32_t)v); break;
		default: msgpack_pack_fix_int64(&pk, v); break;
		}
	}
}

Test(validation, ids_may_be_any_integer_type)
{
	struct h_user u;
	h_user_new(&u);
	int64_t post = ag_obj_int(h_ok(u.c, "post.create", "content:s", "ints"), "id");
	cr_assert_lt(post, 128, "this file's database should have few posts yet");
	static const int widths[] = {8, 16, 32, 64};
	for (size_t w = 0; w < 4; w++) {
		for (int is_signed = 0; is_signed < 2; is_signed++) {
			msgpack_sbuffer sb;
			pack_ids_as(&sb, widths[w], is_signed, post);
			const struct ag_reply *r = h_call_packed(u.c, "post.comments", sb.data, sb.size);
			msgpack_sbuffer_destroy(&sb);
			cr_assert(r->ok, "%s%d integers were refused: %s: %s", is_signed ? "int" : "uint",
				widths[w], r->code_name, r->message);
		}
	}
	cr_assert_eq(ag_obj_int(h_ok(u.c, "post.get", "post_id:u", (uint64_t)post), "id"), post);
	/* The largest uint64 is no post (or, for a server keeping ids in
	 * int64, out of range). */
	const struct ag_reply *r = h_call(u.c, "post.get", "post_id:u", (uint64_t)UINT64_MAX);
	cr_assert(r->code == AG_E_NOT_FOUND || r->code == AG_E_BAD_REQUEST,
		"post_id UINT64_MAX gave %s", r->ok ? "ok" : r->code_name);
}

Test(validation, missing_required_args_name_the_field)
{
	struct h_user u;
	h_user_new(&u);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "post.get", "")->field, "post_id");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "comment.create", "content:s", "hi")->field,
		"post_id");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "message.send", "receiver_id:i",
		u.id)->field, "content");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "follow.create", "")->field, "user_id");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "saga.get", "")->field, "saga_id");
}

Test(validation, unknown_args_are_ignored)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *p = h_ok(u.c, "post.create", "content:s colour:s weight:i",
		"extra args", "blue", (int64_t)3);
	h_assert_str(p, "content", "extra args");
	h_ok(u.c, "server.ping", "anything:s", "at all");
}
