/* test_hashtags.c: hashtags taken from posts (# then letters, digits or _,
 * Unicode-aware, stored lowercase, deduplicated per post; never from inside
 * a word or a URL) and the two hashtag searches: search.hashtags and
 * search.posts_by_hashtag. */
#include "harness.h"

#include <ctype.h>
#include <string.h>

H_SERVER_PER_FILE(NULL)
TestSuite(hashtags, .fini = h_test_fini);

static const char *upper(const char *s)
{
	char *u = (char *)h_fmt("%s", s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static const msgpack_object *create_post(struct h_user *u, const char *content)
{
	return h_ok(u->c, "post.create", "content:s", content);
}

/* Asserts the post's hashtags are exactly want (n of them, any order). */
static void assert_tags(const msgpack_object *post, const char *const *want, size_t n)
{
	const msgpack_object *tags = ag_obj_get(post, "hashtags");
	cr_assert_eq(ag_obj_len(tags), n, "expected %zu hashtags, got %zu", n, ag_obj_len(tags));
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++) {
			const msgpack_object *t = ag_obj_at(tags, k);
			found |= t->type == MSGPACK_OBJECT_STR && t->via.str.size == strlen(want[i]) &&
				memcmp(t->via.str.ptr, want[i], t->via.str.size) == 0;
		}
		cr_assert(found, "hashtag \"%s\" is missing", want[i]);
	}
}

static int64_t tag_post_count(const char *name)
{
	const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s", name);
	for (size_t i = 0; i < ag_obj_len(list); i++)
		if (ag_obj_str_eq(ag_obj_at(list, i), "name", name))
			return ag_obj_int(ag_obj_at(list, i), "post_count");
	return -1;
}

Test(hashtags, lowercased_and_deduplicated)
{
	struct h_user u;
	h_user_new(&u);
	const char *cat = h_unique("cat"), *dog = h_unique("dog");
	const msgpack_object *p = create_post(&u, h_fmt("#%s and #%s, #%s!\n#%s",
		cat, upper(cat), cat, upper(dog)));
	const char *want[] = {cat, dog};
	assert_tags(p, want, 2);
	cr_assert_eq(h_db_int("SELECT count(*) FROM post_hashtags WHERE post_id = ?1", 1,
		ag_obj_int(p, "id")), 2);
	/* post.get shows the same */
	assert_tags(h_ok(h_client(), "post.get", "post_id:i", ag_obj_int(p, "id")), want, 2);
}

Test(hashtags, unicode_letters_and_digits)
{
	struct h_user u;
	h_user_new(&u);
	const char *id = h_unique("");  /* digits and an x: keeps the tags unique */
	const msgpack_object *p = create_post(&u, h_fmt(
		"#\xc3\x9c" "ber%s #\xe6\x97\xa5\xe6\x9c\xac%s #Caf\xc3\xa9_%s #\xc3\x89T\xc3\x89%s",
		id, id, id, id));
	const char *want[] = {
		h_fmt("\xc3\xbc" "ber%s", id),          /* Über -> über */
		h_fmt("\xe6\x97\xa5\xe6\x9c\xac%s", id),  /* 日本 */
		h_fmt("caf\xc3\xa9_%s", id),            /* Café_ -> café_ */
		h_fmt("\xc3\xa9t\xc3\xa9%s", id),       /* ÉTÉ -> été */
	};
	assert_tags(p, want, 4);
}

Test(hashtags, end_at_the_first_other_character)
{
	struct h_user u;
	h_user_new(&u);
	const char *a = h_unique("end"), *b = h_unique("dash"), *c = h_unique("par");
	const msgpack_object *p = create_post(&u, h_fmt("#%s. #%s-more (#%s) # lonely #", a, b, c));
	const char *want[] = {a, b, c};
	assert_tags(p, want, 3);
}

/* No hashtag named name exists at all. */
static void assert_no_tag_named(const char *name)
{
	cr_assert_eq(tag_post_count(name), -1, "\"%s\" became a hashtag", name);
}

Test(hashtags, url_fragments_and_queries_are_not_hashtags)
{
	struct h_user u;
	h_user_new(&u);
	const char *frag = h_unique("frag"), *top = h_unique("top"), *q = h_unique("q");
	const char *bare = h_unique("bare"), *real = h_unique("real"), *next = h_unique("next");
	const msgpack_object *p = create_post(&u, h_fmt(
		"https://x.org/a#%s see HTTP://y.org/#%s?x=1 (http://z.org/p?q=#%s)\n"
		"https://w.org/#%s,#%s #%s\thttps://v.org/#a\n#%s", frag, top, q, bare, bare, real,
		next));
	const char *want[] = {real, next};
	assert_tags(p, want, 2);
	assert_no_tag_named(frag);
	assert_no_tag_named(top);
	assert_no_tag_named(q);
	assert_no_tag_named(bare);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag", "tag:s", frag)), 0);
}

Test(hashtags, hash_inside_a_word_is_not_a_hashtag)
{
	struct h_user u;
	h_user_new(&u);
	const char *id = h_unique("");
	const msgpack_object *p = create_post(&u, h_fmt(
		"a#w%s C# C#c%s x.y#d%s path/#s%s &#35%s q=#e%s k:#k%s ##h%s "
		"caf\xc3\xa9#u%s _#n%s 7#g%s what?#a%s", id, id, id, id, id, id, id, id, id, id, id, id));
	assert_tags(p, NULL, 0);
	static const char *const prefixes[] = {"w", "c", "d", "s", "35", "e", "k", "h", "u", "n",
		"g", "a"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		assert_no_tag_named(h_fmt("%s%s", prefixes[i], id));
}

Test(hashtags, start_after_white_space_or_punctuation)
{
	struct h_user u;
	h_user_new(&u);
	const char *id = h_unique("");
	const msgpack_object *p = create_post(&u, h_fmt(
		"#t1x%s\n#t2x%s\t#t3x%s (#t4x%s) \"#t5x%s\" ,#t6x%s !#t7x%s -#t8x%s "
		"\xe3\x80\x80#t9x%s", id, id, id, id, id, id, id, id, id));
	const char *want[9];
	for (int i = 0; i < 9; i++)
		want[i] = h_fmt("t%dx%s", i + 1, id);
	assert_tags(p, want, 9);
}

Test(hashtags, post_without_hashtags_has_none)
{
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *p = create_post(&u, "no tags here, just a # sign");
	assert_tags(p, NULL, 0);
}

Test(hashtags, search_returns_hashtags_with_post_counts)
{
	struct h_user u;
	h_user_new(&u);
	const char *tag = h_unique("sun");
	create_post(&u, h_fmt("#%s", tag));
	create_post(&u, h_fmt("again #%s #%s", tag, tag));
	const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s", tag);
	cr_assert_eq(ag_obj_len(list), 1);
	const msgpack_object *h = ag_obj_at(list, 0);
	h_assert_keys(h, "id", "name", "post_count");
	cr_assert_gt(ag_obj_int(h, "id"), 0);
	h_assert_str(h, "name", tag);
	cr_assert_eq(ag_obj_int(h, "post_count"), 2);
}

Test(hashtags, search_matches_substrings_ignoring_case)
{
	struct h_user u;
	h_user_new(&u);
	const char *stem = h_unique("moon");
	const char *one = h_fmt("%slight", stem), *two = h_fmt("blue%s", stem);
	create_post(&u, h_fmt("#%s #%s", one, two));
	const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s", upper(stem));
	cr_assert_eq(ag_obj_len(list), 2);
	cr_assert_eq(tag_post_count(one), 1);
	cr_assert_eq(tag_post_count(two), 1);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.hashtags", "q:s", h_fmt("%s_", stem))), 0);
}

Test(hashtags, search_ignores_case_beyond_ascii)
{
	struct h_user u;
	h_user_new(&u);
	const char *id = h_unique("");
	create_post(&u, h_fmt("#\xc3\xa9t\xc3\xa9%s", id));                  /* #été */
	const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s",
		h_fmt("\xc3\x89T\xc3\x89%s", id));                                 /* ÉTÉ */
	cr_assert_eq(ag_obj_len(list), 1);
	h_assert_str(ag_obj_at(list, 0), "name", h_fmt("\xc3\xa9t\xc3\xa9%s", id));
}

Test(hashtags, search_treats_percent_and_underscore_literally)
{
	struct h_user u;
	h_user_new(&u);
	const char *stem = h_unique("w");
	const char *under = h_fmt("%sa_b", stem), *plain = h_fmt("%saxb", stem);
	create_post(&u, h_fmt("#%s #%s", under, plain));
	const msgpack_object *list = h_ok(h_client(), "search.hashtags", "q:s", h_fmt("%sa_", stem));
	cr_assert_eq(ag_obj_len(list), 1, "'_' matched as a wildcard");
	h_assert_str(ag_obj_at(list, 0), "name", under);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.hashtags", "q:s",
		h_fmt("%s%%", stem))), 0, "'%%' matched as a wildcard");
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.hashtags", "q:s", "%")), 0);
}

Test(hashtags, search_limit)
{
	struct h_user u;
	h_user_new(&u);
	const char *stem = h_unique("lim");
	create_post(&u, h_fmt("#%sa #%sb #%sc", stem, stem, stem));
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.hashtags", "q:s limit:i", stem,
		(int64_t)2)), 2);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.hashtags", "q:s", stem)), 3);
}

Test(hashtags, posts_by_hashtag_with_or_without_hash_in_any_case)
{
	struct h_user u;
	h_user_new(&u);
	const char *tag = h_unique("pet");
	int64_t first = ag_obj_int(create_post(&u, h_fmt("#%s one", tag)), "id");
	int64_t second = ag_obj_int(create_post(&u, h_fmt("two #%s", upper(tag))), "id");
	create_post(&u, h_fmt("#%sother", tag));
	create_post(&u, h_fmt("mentions %s without the hash", tag));
	const char *queries[] = {tag, h_fmt("#%s", tag), upper(tag), h_fmt("#%s", upper(tag))};
	for (size_t i = 0; i < 4; i++) {
		const msgpack_object *list = h_ok(h_client(), "search.posts_by_hashtag", "tag:s",
			queries[i]);
		cr_assert_eq(ag_obj_len(list), 2, "tag \"%s\" found %zu posts", queries[i],
			ag_obj_len(list));
		cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), second);
		cr_assert_eq(ag_obj_int(ag_obj_at(list, 1), "id"), first);
	}
}

Test(hashtags, posts_by_unicode_hashtag_ignore_case)
{
	struct h_user u;
	h_user_new(&u);
	const char *id = h_unique("");
	int64_t post = ag_obj_int(create_post(&u, h_fmt("#\xc3\x9c" "ber%s", id)), "id");
	const msgpack_object *list = h_ok(h_client(), "search.posts_by_hashtag", "tag:s",
		h_fmt("\xc3\xbc" "ber%s", id));
	cr_assert_eq(ag_obj_len(list), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), post);
	list = h_ok(h_client(), "search.posts_by_hashtag", "tag:s", h_fmt("#\xc3\x9c" "BER%s", id));
	cr_assert_eq(ag_obj_len(list), 1);
}

Test(hashtags, posts_by_hashtag_page_and_fill_liked_by_me)
{
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	const char *tag = h_unique("pg");
	int64_t ids[3];
	for (int i = 0; i < 3; i++)
		ids[i] = ag_obj_int(create_post(&u, h_fmt("#%s %d", tag, i)), "id");
	h_ok(fan.c, "post.like", "post_id:i", ids[2]);
	const msgpack_object *page = h_ok(fan.c, "search.posts_by_hashtag", "tag:s limit:i", tag,
		(int64_t)2);
	cr_assert_eq(ag_obj_len(page), 2);
	cr_assert(ag_obj_bool(ag_obj_at(page, 0), "liked_by_me"));
	cr_assert_not(ag_obj_bool(ag_obj_at(page, 1), "liked_by_me"));
	page = h_ok(h_client(), "search.posts_by_hashtag", "tag:s offset:i", tag, (int64_t)2);
	cr_assert_eq(ag_obj_len(page), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(page, 0), "id"), ids[0]);
	cr_assert_not(ag_obj_bool(ag_obj_at(page, 0), "liked_by_me"));
}

Test(hashtags, posts_by_hashtag_percent_and_underscore_are_literal)
{
	struct h_user u;
	h_user_new(&u);
	const char *stem = h_unique("lit");
	create_post(&u, h_fmt("#%sa_b", stem));
	create_post(&u, h_fmt("#%saxb", stem));
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag", "tag:s",
		h_fmt("%sa_b", stem))), 1);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.posts_by_hashtag", "tag:s",
		h_fmt("%sa%%", stem))), 0);
}
