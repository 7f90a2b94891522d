/* test_search.c: search.users: case-insensitive substrings of the username
 * or the full name, `%` and `_` matching only themselves, PublicUser
 * results (never an email), no login needed. */
#include "harness.h"

#include <ctype.h>

H_SERVER_PER_FILE(NULL)
TestSuite(search, .fini = h_test_fini);

#define PUBLIC_USER_KEYS "id", "username", "full_name", "bio", "profile_image_url", "created_at"

static const char *upper(const char *s)
{
	char *u = (char *)h_fmt("%s", s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static const msgpack_object *search(const char *q)
{
	return h_ok(h_client(), "search.users", "q:s", q);
}

Test(search, finds_usernames_by_substring_ignoring_case)
{
	struct h_user u, other;
	const char *stem = h_unique("seek");
	h_user_new_named(&u, h_fmt("%sfound", stem), NULL);
	h_user_new(&other);
	const msgpack_object *list = search(upper(h_fmt("%sfou", stem)));
	cr_assert_eq(ag_obj_len(list), 1);
	h_assert_keys(ag_obj_at(list, 0), PUBLIC_USER_KEYS);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), u.id);
	h_assert_str(ag_obj_at(list, 0), "username", u.username);
	cr_assert_eq(ag_obj_len(search(h_fmt("%s", stem + 1))), 1, "a middle substring missed");
}

Test(search, finds_full_names_ignoring_case)
{
	struct h_user u;
	const char *word = h_unique("Zed");
	h_user_new_named(&u, NULL, h_fmt("Captain %s Quux", word));
	const msgpack_object *list = search(upper(word));
	cr_assert_eq(ag_obj_len(list), 1);
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), u.id);
	h_assert_str(ag_obj_at(list, 0), "full_name", h_fmt("Captain %s Quux", word));
	cr_assert_eq(ag_obj_len(search(h_fmt("%s qu", word))), 1);
}

Test(search, results_never_carry_an_email)
{
	struct h_user u;
	const char *stem = h_unique("priv");
	h_user_new_named(&u, h_fmt("%sacy", stem), "Private Person");
	const msgpack_object *list = search(stem);
	cr_assert_eq(ag_obj_len(list), 1);
	cr_assert_not(h_has_key(ag_obj_at(list, 0), "email"));
	/* searching for the email address finds nothing through it */
	cr_assert_eq(ag_obj_len(search("@example.com")), 0);
}

Test(search, underscore_matches_only_itself)
{
	struct h_user with, without;
	const char *stem = h_unique("us");
	h_user_new_named(&with, h_fmt("%sa_b", stem), NULL);
	h_user_new_named(&without, h_fmt("%saxb", stem), NULL);
	const msgpack_object *list = search(h_fmt("%sa_b", stem));
	cr_assert_eq(ag_obj_len(list), 1, "'_' matched as a wildcard");
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), with.id);
	cr_assert_eq(ag_obj_len(search(stem)), 2);
}

Test(search, percent_matches_only_itself)
{
	struct h_user with, without;
	const char *stem = h_unique("pc");
	h_user_new_named(&with, NULL, h_fmt("%s 100%% sure", stem));
	h_user_new_named(&without, NULL, h_fmt("%s 100x sure", stem));
	const msgpack_object *list = search(h_fmt("%s 100%%", stem));
	cr_assert_eq(ag_obj_len(list), 1, "'%%' matched as a wildcard");
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), with.id);
	cr_assert_eq(ag_obj_len(search(h_fmt("%s%%", stem))), 0);
	cr_assert_eq(ag_obj_len(search(h_fmt("%s 100", stem))), 2);
}

Test(search, limit_caps_the_results)
{
	const char *stem = h_unique("many");
	struct h_user users[3];
	for (int i = 0; i < 3; i++)
		h_user_new_named(&users[i], h_fmt("%s%d", stem, i), NULL);
	cr_assert_eq(ag_obj_len(h_ok(h_client(), "search.users", "q:s limit:i", stem,
		(int64_t)2)), 2);
	cr_assert_eq(ag_obj_len(search(stem)), 3);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, h_client(), "search.users", "q:s limit:i", stem,
		(int64_t)101)->field, "limit");
}

Test(search, ignores_case_beyond_ascii)
{
	struct h_user u;
	const char *id = h_unique("");
	h_user_new_named(&u, NULL, h_fmt("\xc3\x89mile \xc3\x9cnal%s", id));  /* Émile Ünal */
	const msgpack_object *list = search(h_fmt("\xc3\xbcnal%s", id));      /* ünal */
	cr_assert_eq(ag_obj_len(list), 1, "a lower-case search missed an upper-case name");
	cr_assert_eq(ag_obj_int(ag_obj_at(list, 0), "id"), u.id);
	cr_assert_eq(ag_obj_len(search(h_fmt("\xc3\xa9MILE \xc3\x9cNAL%s", id))), 1);
}

Test(search, finds_nothing_for_no_match)
{
	cr_assert_eq(ag_obj_len(search(h_unique("nomatch"))), 0);
}

Test(search, works_with_a_session_too)
{
	struct h_user me, target;
	h_user_new(&me);
	h_user_new(&target);
	const msgpack_object *list = h_ok(me.c, "search.users", "q:s", target.username);
	cr_assert(h_list_has_id(list, "id", target.id));
}
