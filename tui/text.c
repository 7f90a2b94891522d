/* text.c: showing other people's text safely and fitted to a terminal
 * (see text.h). Widths come from wcwidth under a UTF-8 locale object, so
 * they are right even when the process runs in the C locale; when no
 * UTF-8 locale exists at all, a small table of wide ranges stands in.
 * Widths are counted by character cluster, as terminals draw emoji
 * sequences and flags: one cluster, two columns. */
#include "text.h"

#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD"  /* U+FFFD */

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* Unicode's Bidi_Control set: shown raw they reorder the text around them. */
static bool is_bidi_control(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
		(cp >= 0x2066 && cp <= 0x2069);
}

void ag_text_sanitize(struct ag_buf *out, const char *s, size_t len, int keep_newlines)
{
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n < 0) {
			ag_buf_puts(out, REPLACEMENT);
			i++;
			continue;
		}
		if (keep_newlines && (cp == '\n' || cp == 0x2028 || cp == 0x2029))
			ag_buf_append(out, "\n", 1);
		else if (cp == 0x2028 || cp == 0x2029)
			ag_buf_append(out, " ", 1);
		else if (is_bidi_control(cp))
			;  /* dropped: inert */
		else if (keep_newlines && cp == '\t')
			ag_buf_append(out, " ", 1);
		else if (is_control(cp))
			ag_buf_puts(out, REPLACEMENT);
		else
			ag_buf_append(out, s + i, (size_t)n);
		i += (size_t)n;
	}
	if (out->data == NULL)  /* so out->data is a string even for empty input */
		ag_buf_append(out, "", 0);
}

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8_locale == (locale_t)0)
		utf8_locale = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

/* Columns of cp when no UTF-8 locale can be had: East Asian wide and
 * emoji ranges take two, combining marks none, everything else one. */
static int table_width(uint32_t cp)
{
	static const uint32_t wide[][2] = {
		{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF},
		{0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
		{0xFE30, 0xFE4F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
		{0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
	};
	if ((cp >= 0x0300 && cp <= 0x036F) || cp == 0x200B || (cp >= 0xFE00 && cp <= 0xFE0F))
		return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

/* Switches this thread to the UTF-8 locale for width lookups; returns the
 * locale to restore, or 0 when none was switched (use the table). */
static locale_t width_begin(void)
{
	pthread_once(&utf8_locale_once, utf8_locale_init);
	return utf8_locale != (locale_t)0 ? uselocale(utf8_locale) : (locale_t)0;
}

static void width_end(locale_t saved)
{
	if (saved != (locale_t)0)
		uselocale(saved);
}

/* Columns of one code point of sanitized text; controls (which sanitized
 * text does not hold) count as the one column of their placeholder. */
static int cp_columns(uint32_t cp, bool have_locale)
{
	if (is_control(cp))
		return 1;
	return have_locale ? ag_cp_width(cp) : table_width(cp);
}

static bool is_regional(uint32_t cp)
{
	return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

/* Code points that join the cluster before them: combining marks and
 * other zero-width characters, variation selectors, ZWJ, the keycap mark,
 * skin tones and the tag characters of subdivision flags. */
static bool is_extend(uint32_t cp, bool have_locale)
{
	if (is_control(cp))
		return false;
	if ((cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0x200D || cp == 0x20E3 ||
	    (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0020 && cp <= 0xE007F))
		return true;
	return cp_columns(cp, have_locale) == 0;
}

/* Columns of a code point inside a cluster: tag characters show nothing. */
static int part_columns(uint32_t cp, bool have_locale)
{
	if (cp >= 0xE0020 && cp <= 0xE007F)
		return 0;
	return cp_columns(cp, have_locale);
}

/* One cluster at s, as ag_text_cluster, with the locale already chosen. */
static size_t cluster_scan(const char *s, size_t len, bool have_locale, int *cols)
{
	uint32_t cp;
	int n = ag_utf8_decode(s, len, &cp);
	if (n <= 0) {
		*cols = len ? 1 : 0;   /* a stray byte shows as one placeholder */
		return len ? 1 : 0;
	}
	int base = cp_columns(cp, have_locale);
	int sum = base;
	bool emoji = false;         /* VS16, a skin tone, a keycap or a flag */
	bool joined = false;        /* something was glued on by ZWJ */
	bool after_zwj = false;
	bool first = true;
	size_t i = (size_t)n;
	while (i < len) {
		uint32_t next;
		int m = ag_utf8_decode(s + i, len - i, &next);
		if (m <= 0 || is_control(next))
			break;
		if (after_zwj) {
			sum += part_columns(next, have_locale);
			joined = true;
			after_zwj = false;
		} else if (first && is_regional(cp) && is_regional(next)) {
			emoji = true;
		} else if (is_extend(next, have_locale)) {
			if (next == 0xFE0F || next == 0x20E3 || (next >= 0x1F3FB && next <= 0x1F3FF))
				emoji = true;
			after_zwj = next == 0x200D;
		} else {
			break;
		}
		first = false;
		i += (size_t)m;
	}
	if (emoji || (joined && base == 2))
		*cols = 2;
	else
		*cols = sum;
	return i;
}

size_t ag_text_cluster(const char *s, size_t len, int *cols)
{
	locale_t saved = width_begin();
	int ignored;
	size_t n = cluster_scan(s, len, saved != (locale_t)0, cols ? cols : &ignored);
	width_end(saved);
	return n;
}

int ag_text_cols(const char *s, size_t len)
{
	locale_t saved = width_begin();
	int total = 0;
	for (size_t i = 0; i < len; ) {
		int w;
		i += cluster_scan(s + i, len - i, saved != (locale_t)0, &w);
		total += w;
	}
	width_end(saved);
	return total;
}

int ag_text_width(const char *s)
{
	return ag_text_cols(s, strlen(s));
}

size_t ag_text_fit(const char *s, int cols)
{
	locale_t saved = width_begin();
	size_t len = strlen(s), i = 0;
	int used = 0;
	while (i < len) {
		int w;
		size_t n = cluster_scan(s + i, len - i, saved != (locale_t)0, &w);
		if (used + w > cols)
			break;
		used += w;
		i += n;
	}
	width_end(saved);
	return i;
}

void ag_time_ago(int64_t then_ms, int64_t now_ms, char *out, size_t size)
{
	int64_t diff = (now_ms - then_ms) / 1000;
	int64_t ahead = -diff;
	if (diff < 60 && ahead < 60)
		snprintf(out, size, "now");
	else if (ahead >= 60 && ahead < 3600)
		snprintf(out, size, "in %lldm", (long long)(ahead / 60));
	else if (ahead >= 3600 && ahead < 86400 * 2)
		snprintf(out, size, "in %lldh", (long long)(ahead / 3600));
	else if (diff >= 60 && diff < 3600)
		snprintf(out, size, "%lldm ago", (long long)(diff / 60));
	else if (diff >= 3600 && diff < 86400)
		snprintf(out, size, "%lldh ago", (long long)(diff / 3600));
	else if (diff >= 86400 && diff < 7 * 86400)
		snprintf(out, size, "%lldd ago", (long long)(diff / 86400));
	else {
		time_t t = (time_t)(then_ms / 1000);
		struct tm tm;
		if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d", &tm) == 0)
			snprintf(out, size, "?");
	}
}
