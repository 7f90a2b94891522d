/* draw.c: the theme (256 colours, 8 colours, or attributes alone for
 * monochrome terminals and NO_COLOR), the glyph set (Unicode, or ASCII in
 * a non-UTF-8 locale), and the text primitives every screen uses: drawing
 * sanitized text by display width, highlighting #tags, @mentions and URLs,
 * and word wrapping. */
#include <langinfo.h>
#include <string.h>
#include <wctype.h>

#include "text.h"
#include "ui.h"
#include "utf8.h"

static attr_t roles[TH__COUNT];

static const char *const spin_utf8[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
static const char *const spin_ascii[] = {"|", "/", "-", "\\"};

struct glyphs g;

static void glyphs_init(bool utf8)
{
	if (utf8) {
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

/* Colour pairs are numbered by role. fg/bg -1 is the terminal default. */
static void pair(enum role r, short fg, short bg, attr_t extra)
{
	init_pair((short)(r + 1), fg, bg);
	roles[r] = COLOR_PAIR(r + 1) | extra;
}

static void theme_mono(void)
{
	roles[TH_NORMAL] = A_NORMAL;
	roles[TH_DIM] = A_DIM;
	roles[TH_BOLD] = A_BOLD;
	roles[TH_ACCENT] = A_BOLD;
	roles[TH_TAG] = A_UNDERLINE;
	roles[TH_MENTION] = A_BOLD;
	roles[TH_URL] = A_UNDERLINE;
	roles[TH_AUTHOR] = A_BOLD;
	roles[TH_LIKED] = A_BOLD;
	roles[TH_ERROR] = A_BOLD;
	roles[TH_OK] = A_BOLD;
	roles[TH_WARN] = A_BOLD;
	roles[TH_BAR] = A_REVERSE;
	roles[TH_BAR_KEY] = A_REVERSE | A_BOLD;
	roles[TH_TAB] = A_NORMAL;
	roles[TH_TAB_ON] = A_REVERSE | A_BOLD;
	roles[TH_BADGE] = A_BOLD;
	roles[TH_SELECT] = A_BOLD;
	roles[TH_UNREAD] = A_BOLD;
	roles[TH_BANNER] = A_REVERSE;
	roles[TH_BUBBLE_ME] = A_REVERSE;
	roles[TH_BUBBLE_THEM] = A_NORMAL;
	roles[TH_RING] = A_BOLD;
	roles[TH_RING_SEEN] = A_DIM;
	roles[TH_PROGRESS] = A_BOLD;
	roles[TH_PROGRESS_BG] = A_DIM;
	roles[TH_INPUT] = A_UNDERLINE;
	roles[TH_TITLE] = A_BOLD;
	roles[TH_BRAND] = A_BOLD;
}

void theme_init(bool color)
{
	glyphs_init(strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
	theme_mono();
	if (!color || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	if (COLORS >= 256 && COLOR_PAIRS > TH__COUNT) {
		pair(TH_NORMAL, -1, -1, 0);
		pair(TH_DIM, 244, -1, 0);
		pair(TH_BOLD, -1, -1, A_BOLD);
		pair(TH_ACCENT, 205, -1, A_BOLD);
		pair(TH_TAG, 39, -1, 0);
		pair(TH_MENTION, 141, -1, 0);
		pair(TH_URL, 37, -1, A_UNDERLINE);
		pair(TH_AUTHOR, 255, -1, A_BOLD);
		pair(TH_LIKED, 197, -1, A_BOLD);
		pair(TH_ERROR, 203, -1, A_BOLD);
		pair(TH_OK, 78, -1, 0);
		pair(TH_WARN, 214, -1, 0);
		pair(TH_BAR, 252, 236, 0);
		pair(TH_BAR_KEY, 205, 236, A_BOLD);
		pair(TH_TAB, 248, -1, 0);
		pair(TH_TAB_ON, 231, 161, A_BOLD);
		pair(TH_BADGE, 231, 197, A_BOLD);
		pair(TH_SELECT, 205, -1, A_BOLD);
		pair(TH_UNREAD, 231, -1, A_BOLD);
		pair(TH_BANNER, 231, 25, A_BOLD);
		pair(TH_BUBBLE_ME, 231, 25, 0);
		pair(TH_BUBBLE_THEM, 253, 238, 0);
		pair(TH_RING, 205, -1, A_BOLD);
		pair(TH_RING_SEEN, 242, -1, 0);
		pair(TH_PROGRESS, 231, -1, A_BOLD);
		pair(TH_PROGRESS_BG, 240, -1, 0);
		pair(TH_INPUT, -1, 235, 0);
		pair(TH_TITLE, 255, -1, A_BOLD);
		pair(TH_BRAND, 205, -1, A_BOLD);
	} else if (COLOR_PAIRS > TH__COUNT) {
		pair(TH_NORMAL, -1, -1, 0);
		pair(TH_DIM, -1, -1, A_DIM);
		pair(TH_BOLD, -1, -1, A_BOLD);
		pair(TH_ACCENT, COLOR_MAGENTA, -1, A_BOLD);
		pair(TH_TAG, COLOR_CYAN, -1, 0);
		pair(TH_MENTION, COLOR_MAGENTA, -1, 0);
		pair(TH_URL, COLOR_BLUE, -1, A_UNDERLINE);
		pair(TH_AUTHOR, -1, -1, A_BOLD);
		pair(TH_LIKED, COLOR_RED, -1, A_BOLD);
		pair(TH_ERROR, COLOR_RED, -1, A_BOLD);
		pair(TH_OK, COLOR_GREEN, -1, 0);
		pair(TH_WARN, COLOR_YELLOW, -1, 0);
		pair(TH_BAR, COLOR_WHITE, COLOR_BLACK, A_REVERSE);
		pair(TH_BAR_KEY, COLOR_MAGENTA, COLOR_WHITE, A_BOLD);
		pair(TH_TAB, -1, -1, 0);
		pair(TH_TAB_ON, COLOR_WHITE, COLOR_MAGENTA, A_BOLD);
		pair(TH_BADGE, COLOR_WHITE, COLOR_RED, A_BOLD);
		pair(TH_SELECT, COLOR_MAGENTA, -1, A_BOLD);
		pair(TH_UNREAD, -1, -1, A_BOLD);
		pair(TH_BANNER, COLOR_WHITE, COLOR_BLUE, A_BOLD);
		pair(TH_BUBBLE_ME, COLOR_WHITE, COLOR_BLUE, 0);
		pair(TH_BUBBLE_THEM, -1, -1, A_REVERSE);
		pair(TH_RING, COLOR_MAGENTA, -1, A_BOLD);
		pair(TH_RING_SEEN, -1, -1, A_DIM);
		pair(TH_PROGRESS, -1, -1, A_BOLD);
		pair(TH_PROGRESS_BG, -1, -1, A_DIM);
		pair(TH_INPUT, -1, -1, A_UNDERLINE);
		pair(TH_TITLE, -1, -1, A_BOLD);
		pair(TH_BRAND, COLOR_MAGENTA, -1, A_BOLD);
	}
}

attr_t th(enum role r)
{
	return roles[r];
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
