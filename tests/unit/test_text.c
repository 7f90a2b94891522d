/* test_text.c: terminal widths of text (tui/text.h): emoji sequences,
 * flags, skin tones, VS16 and combining marks count as the one cluster a
 * terminal shows, and fitting never splits a cluster; shown text has its
 * controls made inert. */
#include <criterion/criterion.h>
#include <string.h>

#include "text.h"

#define FAMILY "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"
#define FAMILY4 FAMILY "\xE2\x80\x8D\xF0\x9F\x91\xA6"
#define FLAG_DE "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA"
#define FLAG_FR "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7"
#define THUMB_TONE "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"
#define HEART_VS16 "\xE2\x9D\xA4\xEF\xB8\x8F"
#define E_ACUTE "e\xCC\x81"
#define KEYCAP_1 "1\xEF\xB8\x8F\xE2\x83\xA3"
#define RAINBOW_FLAG "\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88"

Test(text, zwj_sequences_are_two_columns)
{
	cr_assert_eq(ag_text_width(FAMILY), 2);
	cr_assert_eq(ag_text_width(FAMILY4), 2);
	cr_assert_eq(ag_text_width(RAINBOW_FLAG), 2);
	cr_assert_eq(ag_text_width("a" FAMILY "b"), 4);
}

Test(text, regional_indicator_pairs_are_two_columns)
{
	cr_assert_eq(ag_text_width(FLAG_DE), 2);
	cr_assert_eq(ag_text_width(FLAG_DE FLAG_FR), 4);
	cr_assert_eq(ag_text_cluster(FLAG_DE FLAG_FR, strlen(FLAG_DE FLAG_FR), NULL),
		strlen(FLAG_DE));
}

Test(text, skin_tones_and_vs16_are_two_columns)
{
	cr_assert_eq(ag_text_width(THUMB_TONE), 2);
	cr_assert_eq(ag_text_width(HEART_VS16), 2);
	cr_assert_eq(ag_text_width(KEYCAP_1), 2);
	cr_assert_eq(ag_text_width("\xE2\x9D\xA4"), 1);   /* no VS16: text style */
}

Test(text, combining_marks_add_nothing)
{
	cr_assert_eq(ag_text_width(E_ACUTE), 1);
	cr_assert_eq(ag_text_width(E_ACUTE E_ACUTE "x"), 3);
	int cols = -1;
	cr_assert_eq(ag_text_cluster(E_ACUTE "x", strlen(E_ACUTE "x"), &cols), strlen(E_ACUTE));
	cr_assert_eq(cols, 1);
}

Test(text, cluster_reports_its_bytes_and_columns)
{
	int cols = -1;
	cr_assert_eq(ag_text_cluster(FAMILY "x", strlen(FAMILY "x"), &cols), strlen(FAMILY));
	cr_assert_eq(cols, 2);
	cr_assert_eq(ag_text_cluster(THUMB_TONE, strlen(THUMB_TONE), &cols), strlen(THUMB_TONE));
	cr_assert_eq(cols, 2);
	cr_assert_eq(ag_text_cluster("ab", 2, &cols), 1);
	cr_assert_eq(cols, 1);
	cr_assert_eq(ag_text_cols("a" FAMILY "b", 1 + strlen(FAMILY)), 3);
}

Test(text, fit_never_splits_a_cluster)
{
	cr_assert_eq(ag_text_fit(FAMILY "x", 1), 0);
	cr_assert_eq(ag_text_fit(FAMILY "x", 2), strlen(FAMILY));
	cr_assert_eq(ag_text_fit(FAMILY "x", 3), strlen(FAMILY "x"));
	cr_assert_eq(ag_text_fit(FLAG_DE, 1), 0);
	cr_assert_eq(ag_text_fit("ab" E_ACUTE "c", 3), strlen("ab" E_ACUTE));
	cr_assert_eq(ag_text_fit(HEART_VS16 "x", 2), strlen(HEART_VS16));
}

Test(text, plain_and_wide_text_unchanged)
{
	cr_assert_eq(ag_text_width("hello"), 5);
	cr_assert_eq(ag_text_width("\xE6\x97\xA5\xE6\x9C\xAC"), 4);   /* 日本 */
	cr_assert_eq(ag_text_width(""), 0);
}

static void sanitize(struct ag_buf *out, const char *s, int keep_newlines)
{
	ag_text_sanitize(out, s, strlen(s), keep_newlines);
}

/* Shown text: controls become U+FFFD, text-direction controls vanish, and
 * the line and paragraph separators are a newline or a space. */
Test(text, sanitize_makes_direction_controls_inert)
{
	struct ag_buf out = {0};
	sanitize(&out, "a\xe2\x80\xae" "evil\xe2\x81\xa6" "b\xd8\x9c", 0);
	cr_assert_str_eq(out.data, "aevilb");
	ag_buf_free(&out);
	sanitize(&out, "one\xe2\x80\xa8two\xe2\x80\xa9three", 1);
	cr_assert_str_eq(out.data, "one\ntwo\nthree");
	ag_buf_free(&out);
	sanitize(&out, "one\xe2\x80\xa8two", 0);
	cr_assert_str_eq(out.data, "one two");
	ag_buf_free(&out);
	sanitize(&out, "esc\x1b[31m", 0);
	cr_assert_str_eq(out.data, "esc\xef\xbf\xbd[31m");
	ag_buf_free(&out);
	/* joiners stay: they make one emoji of several */
	sanitize(&out, "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 0);
	cr_assert_eq(out.len, 11);
	ag_buf_free(&out);
}
