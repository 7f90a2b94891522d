/* draw.c: the glyph set (Unicode, or ASCII in a non-UTF-8 locale) and
 * the text primitives every screen uses: drawing
 * sanitized text by display width, highlighting #tags, @mentions and URLs,
 * and word wrapping. */
#include <langinfo.h>
#include <string.h>
#include <wctype.h>

#include "text.h"
#include "ui.h"
#include "utf8.h"

static const char *const spin_utf8[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
static const char *const spin_ascii[] = {"|", "/", "-", "\\"};

struct glyphs g;

void glyphs_init(void)
{
	if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0) {
		g = (struct glyphs){
			.heart = "♥", .heart_empty = "♡", .comment = "✎", .image = "▣",
			.ring = "◉", .ring_seen = "○", .plus = "+", .bar_full = "━",
			.bar_empty = "─", .select = "▌", .dot = "●", .ellipsis = "…",
			.sep = "·", .live = "●", .offline = "○", .mask = "•",
			.arrow_up = "↑", .mail = "✉",
			.spinner = spin_utf8, .spinner_frames = 10,
		};
	} else {
		g = (struct glyphs){
			.heart = "<3", .heart_empty = "<3", .comment = "#", .image = "[img]",
			.ring = "(*)", .ring_seen = "( )", .plus = "+", .bar_full = "=",
			.bar_empty = "-", .select = "|", .dot = "*", .ellipsis = "...",
			.sep = "-", .live = "*", .offline = "o", .mask = "*",
			.arrow_up = "^", .mail = "@",
			.spinner = spin_ascii, .spinner_frames = 4,
		};
	}
}

/* ---- text ---- */

static const char replacement[] = "\xEF\xBF\xBD";   /* U+FFFD */

/* Columns curses gives s[0..len), adding up its characters' widths (a
 * control or a bad byte is the one-column placeholder). */
static int curses_cols(const char *s, size_t len)
{
	int cols = 0;
	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		int cw = n > 0 ? ag_cp_width(cp) : -1;
		cols += cw < 0 || cp == '\n' || cp == '\t' ? 1 : cw;
		i += n > 0 ? (size_t)n : 1;
	}
	return cols;
}

/* Writes s[0..len) character by character; controls and bad bytes as the
 * placeholder, never raw. */
static void put_chars(WINDOW *w, const char *s, size_t len)
{
	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n <= 0 || ag_cp_width(cp) < 0 || cp == '\n' || cp == '\t') {
			waddnstr(w, replacement, 3);
			i += n <= 0 ? 1 : (size_t)n;
			continue;
		}
		waddnstr(w, s + i, n);
		i += (size_t)n;
	}
}

/* Writes one cluster whose columns differ from what curses would add up
 * (an emoji ZWJ sequence, a skin tone, VS16) as a single cell padded with
 * spaces to its width, so curses and the terminal agree on where the next
 * character goes. A base curses counts as narrow keeps only its marks
 * (no VS16, nothing joined), which every terminal shows one column wide. */
static void put_cluster_cell(WINDOW *w, const char *s, size_t len, int cols)
{
	uint32_t cp;
	int n = ag_utf8_decode(s, len, &cp);
	wchar_t base[2] = {(wchar_t)cp, 0};
	cchar_t cell;
	if (n <= 0 || setcchar(&cell, base, 0, 0, NULL) == ERR)
		return;
	int base_cols = ag_cp_width(cp);
	int parts = 1;
	for (size_t i = (size_t)n; i < len && parts < CCHARW_MAX; ) {
		uint32_t next;
		int m = ag_utf8_decode(s + i, len - i, &next);
		if (m <= 0 || (base_cols < 2 && next == 0x200D))
			break;
		if (!(base_cols < 2 && next == 0xFE0F))
			cell.chars[parts++] = (wchar_t)next;
		i += (size_t)m;
	}
	if (parts > 1 && cell.chars[parts - 1] == 0x200D)   /* cut after a joiner */
		parts--;
	for (int k = parts; k < CCHARW_MAX; k++)
		cell.chars[k] = 0;
	wadd_wch(w, &cell);
	for (int pad = cols - (base_cols > 0 ? base_cols : 0); pad > 0; pad--)
		waddch(w, ' ');
}

int put_text(WINDOW *w, int y, int x, int maxw, const char *s, size_t len, attr_t a)
{
	if (maxw <= 0 || w == NULL)
		return 0;
	wattrset(w, a);
	wmove(w, y, x);
	int used = 0;
	size_t i = 0;
	while (i < len) {
		int cw;
		size_t n = ag_text_cluster(s + i, len - i, &cw);
		if (used + cw > maxw)
			break;
		if (cw == 0 && used == 0) {   /* a mark with nothing to sit on */
			i += n;
			continue;
		}
		if (cw != curses_cols(s + i, n))
			put_cluster_cell(w, s + i, n, cw);
		else
			put_chars(w, s + i, n);
		used += cw;
		i += n;
	}
	return used;
}

int put_str(WINDOW *w, int y, int x, int maxw, const char *s, attr_t a)
{
	return s ? put_text(w, y, x, maxw, s, strlen(s), a) : 0;
}

int put_fit(WINDOW *w, int y, int x, int maxw, const char *s, attr_t a)
{
	if (s == NULL || maxw <= 0)
		return 0;
	size_t len = strlen(s);
	if (text_cols(s, len) <= maxw)
		return put_text(w, y, x, maxw, s, len, a);
	int ell = text_cols(g.ellipsis, strlen(g.ellipsis));
	int used = put_text(w, y, x, maxw - ell, s, len, a);
	return used + put_text(w, y, x + used, ell, g.ellipsis, strlen(g.ellipsis), a);
}

int put_right(WINDOW *w, int y, int left_end, int cols, const char *s, attr_t a)
{
	int room = cols - 2 - (left_end + 2);
	int need = text_cols(s, strlen(s));
	if (room >= need)
		return put_str(w, y, cols - 2 - need, need, s, a);
	if (room < 8)
		return 0;
	return put_fit(w, y, left_end + 2, room, s, a);
}

void put_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
	wattrset(w, a);
	mvwhline(w, y, x, ' ', width);
}

int text_cols(const char *s, size_t len)
{
	return ag_text_cols(s, len);
}

size_t cluster_len(const char *s, size_t len)
{
	return ag_text_cluster(s, len, NULL);
}

/* ---- highlighting ---- */

static bool tag_char(uint32_t cp)
{
	return cp == '_' || iswalnum((wint_t)cp);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '.';
}

void rich_classes(const char *s, size_t len, unsigned char *cls)
{
	memset(cls, CLS_TEXT, len);
	size_t i = 0;
	bool prev_word = false;   /* the previous character was a letter or digit */
	while (i < len) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n <= 0) {
			i++;
			prev_word = false;
			continue;
		}
		if ((strncmp(s + i, "https://", 8) == 0 || strncmp(s + i, "http://", 7) == 0) &&
		    !prev_word) {
			size_t j = i;
			while (j < len && s[j] != ' ' && s[j] != '\n' && s[j] != '\t')
				j++;
			memset(cls + i, CLS_URL, j - i);
			i = j;
			continue;
		}
		if (cp == '#') {
			size_t j = i + 1;
			uint32_t c2;
			int m;
			while (j < len && (m = ag_utf8_decode(s + j, len - j, &c2)) > 0 && tag_char(c2))
				j += (size_t)m;
			if (j > i + 1) {
				memset(cls + i, CLS_TAG, j - i);
				i = j;
				prev_word = true;
				continue;
			}
		}
		if (cp == '@' && !prev_word) {
			size_t j = i + 1;
			while (j < len && name_char(s[j]))
				j++;
			while (j > i + 1 && s[j - 1] == '.')   /* "@bob." ends a sentence */
				j--;
			if (j > i + 1) {
				memset(cls + i, CLS_MENTION, j - i);
				i = j;
				prev_word = true;
				continue;
			}
		}
		prev_word = iswalnum((wint_t)cp);
		i += (size_t)n;
	}
}

attr_t rich_attr(unsigned char cls, attr_t base)
{
	switch (cls) {
	case CLS_TAG:
		return th(TH_TAG);
	case CLS_MENTION:
		return th(TH_MENTION);
	case CLS_URL:
		return th(TH_URL);
	default:
		return base;
	}
}

int put_rich(WINDOW *w, int y, int x, int maxw, const char *s, size_t len,
	const unsigned char *cls, attr_t base)
{
	int used = 0;
	size_t i = 0;
	while (i < len && used < maxw) {
		size_t j = i + 1;
		while (j < len && cls[j] == cls[i])
			j++;
		int n = put_text(w, y, x + used, maxw - used, s + i, j - i, rich_attr(cls[i], base));
		used += n;
		if (n < text_cols(s + i, j - i))
			break;
		i = j;
	}
	return used;
}

/* ---- wrapping ---- */

int wrap_text(const char *s, int width, struct span *lines, int max)
{
	if (width < 1)
		width = 1;
	int count = 0;
	size_t len = strlen(s);
	size_t start = 0;
	for (;;) {
		size_t i = start;
		int cols = 0;
		size_t brk = 0;          /* end of the line at the last space */
		size_t brk_next = 0;     /* where the next line starts then */
		size_t end = len, next = len;
		bool done = false;
		while (i < len) {
			if (s[i] == '\n') {
				end = i;
				next = i + 1;
				done = true;
				break;
			}
			size_t cl = cluster_len(s + i, len - i);
			int cw = text_cols(s + i, cl);
			if (cols + cw > width) {
				if (s[i] == ' ') {          /* break on this space, drop it */
					end = i;
					next = i + 1;
				} else if (i == start) {    /* too wide for any line: alone */
					end = next = i + cl;
				} else if (brk > start) {
					end = brk;
					next = brk_next;
				} else {
					end = i;
					next = i;
				}
				done = true;
				break;
			}
			if (s[i] == ' ') {
				brk = i;
				brk_next = i + 1;
			}
			cols += cw;
			i += cl;
		}
		if (!done) {
			end = len;
			next = len + 1;
		}
		if (lines && count < max)
			lines[count] = (struct span){start, end - start};
		count++;
		if (next > len)
			break;
		start = next;
		if (start == len && s[len - 1] != '\n')
			break;
	}
	return count;
}
