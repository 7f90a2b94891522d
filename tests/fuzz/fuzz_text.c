/* fuzz_text.c: libFuzzer target for showing other people's text (text.h):
 * ag_text_sanitize must leave valid UTF-8 without control characters (but
 * \n when asked to keep lines), text-direction controls or separators and be idempotent; ag_text_width and
 * ag_text_fit must agree on widths and never split a character cluster,
 * and the clusters of ag_text_cluster must tile the text and add up to
 * its width. The first byte picks keep_newlines and the fit width. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "utf8.h"

static void check_clean(const char *s, size_t len, int keep_newlines)
{
	if (!ag_utf8_valid(s, len) || strlen(s) != len)
		abort();
	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n < 0)
			abort();
		bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
		if (control && !(keep_newlines && cp == '\n'))
			abort();
		bool bidi = cp == 0x061C || cp == 0x200E || cp == 0x200F ||
			(cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
		if (bidi)
			abort();
		i += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int keep_newlines = data[0] & 1;
	int cols = data[0] >> 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	struct ag_buf once = {0}, twice = {0};
	ag_text_sanitize(&once, text, len, keep_newlines);
	check_clean(once.data, once.len, keep_newlines);
	ag_text_sanitize(&twice, once.data, once.len, keep_newlines);
	if (twice.len != once.len || memcmp(twice.data, once.data, once.len) != 0)
		abort();

	int width = ag_text_width(once.data);
	if (width < 0)
		abort();
	size_t fit = ag_text_fit(once.data, cols);
	if (fit > once.len || !ag_utf8_valid(once.data, fit))
		abort();
	char *prefix = strndup(once.data, fit);
	if (prefix == NULL || ag_text_width(prefix) > cols)
		abort();
	if (fit == once.len && width > cols)
		abort();
	free(prefix);

	/* Clusters tile the text, one ends exactly where the fit does, and
	 * their columns add up to the width. */
	size_t at = 0;
	int sum = 0;
	bool fit_on_boundary = fit == 0;
	while (at < once.len) {
		int w = -1;
		size_t n = ag_text_cluster(once.data + at, once.len - at, &w);
		if (n == 0 || n > once.len - at || w < 0 || w > 2 * (int)n)
			abort();
		at += n;
		sum += w;
		if (at == fit)
			fit_on_boundary = true;
	}
	if (!fit_on_boundary || sum != width || ag_text_cols(once.data, once.len) != width)
		abort();

	/* Raw bytes too: the width of unsanitized text must not read past it. */
	char *raw = strndup(text, len);
	if (raw == NULL)
		abort();
	(void)ag_text_width(raw);
	(void)ag_text_fit(raw, cols);
	free(raw);
	ag_buf_free(&once);
	ag_buf_free(&twice);
	return 0;
}
