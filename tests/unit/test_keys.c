/* test_keys.c: the TUI's key table (tui/app/keys.c): no key does two
 * things on one screen, the help's actions are the ones dispatched, and a
 * config rebinding that would make a clash is refused and changes nothing. */
#include <criterion/criterion.h>
#include <string.h>

#include "ui.h"

static struct key ch(wint_t c)
{
	return (struct key){.ch = c};
}

Test(keys, defaults_have_no_clash)
{
	char why[128] = "";
	cr_assert(keys_check(why, sizeof why), "%s", why);
}

Test(keys, l_likes_and_right_is_the_arrow)
{
	struct key l = ch('l'), right = {.code = KEY_RIGHT};
	cr_assert(key_is(&l, ACT_LIKE));
	cr_assert_not(key_is(&l, ACT_RIGHT));
	cr_assert(key_is(&right, ACT_RIGHT));
	char keys[64];
	keys_describe(ACT_RIGHT, keys, sizeof keys);
	cr_assert_str_eq(keys, "Right");
}

Test(keys, a_clashing_rebinding_is_refused_and_changes_nothing)
{
	char why[128] = "";
	cr_assert_not(keys_bind("like", "q", why, sizeof why));
	cr_assert(strstr(why, "back") != NULL, "%s", why);
	struct key q = ch('q'), l = ch('l');
	cr_assert_not(key_is(&q, ACT_LIKE));
	cr_assert(key_is(&l, ACT_LIKE));
	cr_assert(key_is(&q, ACT_BACK));

	cr_assert_not(keys_bind("submit", "n", why, sizeof why));
	cr_assert(strstr(why, "new_post") != NULL, "%s", why);
	struct key cs = ch(CTRL('s'));
	cr_assert(key_is(&cs, ACT_SUBMIT));
	cr_assert(keys_check(why, sizeof why), "%s", why);
}

Test(keys, kinds_never_on_view_together_may_share_a_key)
{
	char why[128] = "";
	/* Stories and activity are never on one screen: Space and a both work. */
	cr_assert(keys_bind("pause", "a", why, sizeof why), "%s", why);
	struct key a = ch('a');
	cr_assert(key_is(&a, ACT_PAUSE));
	cr_assert(key_is(&a, ACT_MARK_ALL_READ));
	cr_assert(keys_bind("pause", "Space", why, sizeof why), "%s", why);
	cr_assert(keys_check(why, sizeof why), "%s", why);
}

Test(keys, every_action_has_a_kind_and_help)
{
	for (int a = 0; a < ACT__COUNT; a++) {
		cr_assert(action_kind(a) != 0, "action %d", a);
		cr_assert(action_help(a) != NULL && action_section(a) != NULL, "action %d", a);
	}
}
