/* editor.c: a text field, one line or many. The cursor moves by character
 * clusters (a wide CJK character, an emoji with its modifiers and joiners,
 * a letter with its combining marks), so backspace never leaves half a
 * character behind. Long lines wrap by display width; pasted text arrives
 * whole (bracketed paste) and is inserted as text, never as commands. */
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "ui.h"
#include "utf8.h"

void ed_init(struct editor *e, bool single)
{
	memset(e, 0, sizeof *e);
	e->single = single;
	e->want_col = -1;
	e->cap = 64;
	e->buf = calloc(1, e->cap);
	if (e->buf == NULL)
		abort();
}

void ed_free(struct editor *e)
{
	if (e->buf)
		explicit_bzero(e->buf, e->cap);   /* may have held a password */
	free(e->buf);
	e->buf = NULL;
}

const char *ed_text(const struct editor *e)
{
	return e->buf;
}

size_t ed_chars(const struct editor *e)
{
	return ag_utf8_count(e->buf, e->len);
}

bool ed_blank(const struct editor *e)
{
	for (size_t i = 0; i < e->len; i++)
		if (e->buf[i] != ' ' && e->buf[i] != '\n' && e->buf[i] != '\t')
			return false;
	return true;
}

static void reserve(struct editor *e, size_t extra)
{
	if (e->len + extra + 1 <= e->cap)
		return;
	size_t cap = e->cap;
	while (e->len + extra + 1 > cap)
		cap *= 2;
	char *grown = calloc(1, cap);
	if (grown == NULL)
		abort();
	memcpy(grown, e->buf, e->len + 1);
	explicit_bzero(e->buf, e->cap);
	free(e->buf);
	e->buf = grown;
	e->cap = cap;
}

void ed_set(struct editor *e, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	explicit_bzero(e->buf, e->cap);
	e->len = 0;
	reserve(e, n);
	if (n)
		memcpy(e->buf, text, n);
	e->len = n;
	e->buf[n] = '\0';
	e->cur = n;
	e->scroll = 0;
	e->want_col = -1;
}

static void insert_bytes(struct editor *e, const char *s, size_t n)
{
	reserve(e, n);
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
	memcpy(e->buf + e->cur, s, n);
	e->len += n;
	e->cur += n;
}

static void delete_range(struct editor *e, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	explicit_bzero(e->buf + e->len + 1, to - from);
	if (e->cur > to)
		e->cur -= to - from;
	else if (e->cur > from)
		e->cur = from;
}

static size_t next_boundary(const struct editor *e, size_t pos)
{
	if (pos >= e->len)
		return e->len;
	return pos + cluster_len(e->buf + pos, e->len - pos);
}

/* The cluster boundary before pos, found by walking from the line start. */
static size_t prev_boundary(const struct editor *e, size_t pos)
{
	if (pos == 0)
		return 0;
	size_t start = pos - 1;
	while (start > 0 && e->buf[start - 1] != '\n')
		start--;
	if (e->buf[pos - 1] == '\n')
		return pos - 1;
	size_t prev = start;
	for (size_t i = start; i < pos; i = next_boundary(e, i))
		prev = i;
	return prev;
}

static size_t line_start(const struct editor *e, size_t pos)
{
	while (pos > 0 && e->buf[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t line_end(const struct editor *e, size_t pos)
{
	while (pos < e->len && e->buf[pos] != '\n')
		pos++;
	return pos;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

static size_t word_left(const struct editor *e, size_t pos)
{
	while (pos > 0 && is_space(e->buf[pos - 1]))
		pos = prev_boundary(e, pos);
	while (pos > 0 && !is_space(e->buf[pos - 1]))
		pos = prev_boundary(e, pos);
	return pos;
}

static size_t word_right(const struct editor *e, size_t pos)
{
	while (pos < e->len && is_space(e->buf[pos]))
		pos = next_boundary(e, pos);
	while (pos < e->len && !is_space(e->buf[pos]))
		pos = next_boundary(e, pos);
	return pos;
}

/* ---- layout: visual rows of a multi-line field, wrapped by width ---- */

struct row {
	size_t off, len;
	bool hard;     /* ends at a newline or the end of the text */
};

static int layout(const struct editor *e, int width, struct row *rows, int max)
{
	int n = 0;
	size_t start = 0;
	for (;;) {
		size_t i = start;
		int cols = 0;
		bool hard = true;
		while (i < e->len && e->buf[i] != '\n') {
			size_t cl = cluster_len(e->buf + i, e->len - i);
			int cw = text_cols(e->buf + i, cl);
			if (cols + cw > width && i > start) {
				hard = false;
				break;
			}
			cols += cw;
			i += cl;
		}
		if (rows && n < max)
			rows[n] = (struct row){start, i - start, hard};
		n++;
		if (i >= e->len)
			break;
		start = hard ? i + 1 : i;
	}
	return n;
}

/* The row holding the cursor. */
static int cursor_row(const struct editor *e, const struct row *rows, int n)
{
	for (int r = 0; r < n; r++) {
		size_t end = rows[r].off + rows[r].len;
		if (e->cur >= rows[r].off && (e->cur < end || (e->cur == end && (rows[r].hard || r == n - 1))))
			return r;
	}
	return n - 1;
}

/* The offset in row r closest to column col. */
static size_t at_column(const struct editor *e, const struct row *row, int col)
{
	size_t i = row->off, end = row->off + row->len;
	int cols = 0;
	while (i < end) {
		size_t cl = cluster_len(e->buf + i, end - i);
		int cw = text_cols(e->buf + i, cl);
		if (cols + cw > col)
			break;
		cols += cw;
		i += cl;
	}
	/* A soft-wrapped row's end is the next row's start: stay on this row. */
	if (i == end && !row->hard && i > row->off)
		i = prev_boundary(e, i);
	return i;
}

/* Moves up (dir -1) or down (+1) a visual row. False at the edge. */
static bool move_vertical(struct editor *e, int dir)
{
	int width = e->last_width > 0 ? e->last_width : 80;
	int n = layout(e, width, NULL, 0);
	struct row *rows = calloc((size_t)n, sizeof *rows);
	if (rows == NULL)
		abort();
	layout(e, width, rows, n);
	int r = cursor_row(e, rows, n);
	bool moved = false;
	if (r + dir >= 0 && r + dir < n) {
		if (e->want_col < 0)
			e->want_col = text_cols(e->buf + rows[r].off, e->cur - rows[r].off);
		e->cur = at_column(e, &rows[r + dir], e->want_col);
		moved = true;
	}
	free(rows);
	return moved;
}

static bool over_limit(const struct editor *e, size_t adding_chars)
{
	return e->max_chars && ed_chars(e) + adding_chars > e->max_chars;
}

bool ed_insert(struct editor *e, const char *text)
{
	size_t n = strlen(text);
	if (over_limit(e, ag_utf8_count(text, n)))
		return false;
	insert_bytes(e, text, n);
	e->want_col = -1;
	return true;
}

size_t ed_word_before(const struct editor *e, char mark)
{
	size_t i = e->cur;
	while (i > 0 && ((e->buf[i - 1] >= 'a' && e->buf[i - 1] <= 'z') ||
	       (e->buf[i - 1] >= 'A' && e->buf[i - 1] <= 'Z') ||
	       (e->buf[i - 1] >= '0' && e->buf[i - 1] <= '9') || e->buf[i - 1] == '_' ||
	       e->buf[i - 1] == '.'))
		i--;
	if (i == 0 || e->buf[i - 1] != mark)
		return 0;
	/* "hi@bob" is no mention: the mark starts the text or follows a non-word. */
	if (i >= 2 && (iswalnum((wint_t)(unsigned char)e->buf[i - 2]) || e->buf[i - 2] == '_' ||
	    e->buf[i - 2] == '.'))
		return 0;
	return e->cur - i;
}

enum ed_result ed_key(struct editor *e, const struct key *k)
{
	bool vertical = false;
	enum ed_result res = ED_HANDLED;
	if (k->code == KEY_PASTE_BEGIN || k->code == KEY_PASTE_END)
		return ED_HANDLED;
	if (k->code == 0 && !k->alt) {
		wint_t ch = k->ch;
		if (k->paste && (ch == '\r' || ch == '\n' || ch == '\t'))
			ch = e->single || ch == '\t' ? ' ' : '\n';
		if (!k->paste && (ch == '\r' || ch == '\n')) {
			if (e->single)
				return ED_SUBMIT;
			ch = '\n';
		}
		if (ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0)) {
			char mb[4];
			int n = ag_utf8_encode((uint32_t)ch, mb);
			if (n <= 0 || over_limit(e, 1))
				return ED_HANDLED;
			insert_bytes(e, mb, (size_t)n);
			e->want_col = -1;
			return ED_CHANGED;
		}
		if (ch == '\n') {
			if (over_limit(e, 1))
				return ED_HANDLED;
			insert_bytes(e, "\n", 1);
			e->want_col = -1;
			return ED_CHANGED;
		}
		if (k->paste)
			return ED_HANDLED;     /* other control characters never go in */
		switch (ch) {
		case 127:
		case 8:
			delete_range(e, prev_boundary(e, e->cur), e->cur);
			res = ED_CHANGED;
			break;
		case CTRL('d'):
			delete_range(e, e->cur, next_boundary(e, e->cur));
			res = ED_CHANGED;
			break;
		case CTRL('a'):
			e->cur = line_start(e, e->cur);
			break;
		case CTRL('b'):
			e->cur = prev_boundary(e, e->cur);
			break;
		case CTRL('f'):
			e->cur = next_boundary(e, e->cur);
			break;
		case CTRL('u'):
			delete_range(e, line_start(e, e->cur), e->cur);
			res = ED_CHANGED;
			break;
		case CTRL('k'):
			delete_range(e, e->cur, line_end(e, e->cur));
			res = ED_CHANGED;
			break;
		case CTRL('w'):
			delete_range(e, word_left(e, e->cur), e->cur);
			res = ED_CHANGED;
			break;
		default:
			return ED_UNHANDLED;
		}
	} else if (k->code == 0 && k->alt) {
		switch (k->ch) {
		case 'b':
			e->cur = word_left(e, e->cur);
			break;
		case 'f':
			e->cur = word_right(e, e->cur);
			break;
		case 'd':
			delete_range(e, e->cur, word_right(e, e->cur));
			res = ED_CHANGED;
			break;
		case 127:
		case 8:
			delete_range(e, word_left(e, e->cur), e->cur);
			res = ED_CHANGED;
			break;
		default:
			return ED_UNHANDLED;
		}
	} else {
		switch (k->code) {
		case KEY_BACKSPACE:
			delete_range(e, prev_boundary(e, e->cur), e->cur);
			res = ED_CHANGED;
			break;
		case KEY_DC:
			delete_range(e, e->cur, next_boundary(e, e->cur));
			res = ED_CHANGED;
			break;
		case KEY_LEFT:
			e->cur = prev_boundary(e, e->cur);
			break;
		case KEY_RIGHT:
			e->cur = next_boundary(e, e->cur);
			break;
		case KEY_HOME:
			e->cur = line_start(e, e->cur);
			break;
		case KEY_END:
			e->cur = line_end(e, e->cur);
			break;
		case KEY_ENTER:
			if (e->single)
				return ED_SUBMIT;
			if (over_limit(e, 1))
				return ED_HANDLED;
			insert_bytes(e, "\n", 1);
			res = ED_CHANGED;
			break;
		case KEY_UP:
		case KEY_DOWN:
			if (e->single || !move_vertical(e, k->code == KEY_UP ? -1 : 1))
				return ED_UNHANDLED;
			vertical = true;
			break;
		default:
			return ED_UNHANDLED;
		}
	}
	if (!vertical)
		e->want_col = -1;
	return res;
}

/* ---- drawing ---- */

/* Draws bytes [from, to) of the text at (y, x); masked text as dots. */
static void draw_run(const struct editor *e, WINDOW *w, int y, int x, int maxw, size_t from,
	size_t to, const unsigned char *cls, attr_t base)
{
	if (e->masked) {
		int col = 0;
		for (size_t i = from; i < to && col < maxw; i = next_boundary(e, i))
			col += put_str(w, y, x + col, maxw - col, g.mask, base);
		return;
	}
	if (cls)
		put_rich(w, y, x, maxw, e->buf + from, to - from, cls + from, base);
	else
		put_text(w, y, x, maxw, e->buf + from, to - from, base);
}

static void draw_single(struct editor *e, WINDOW *w, int y, int x, int cols, attr_t base,
	const unsigned char *cls, int *cy, int *cx)
{
	/* Columns before the cursor, each cluster counted as the screen shows it. */
	int cur_col = 0;
	for (size_t i = 0; i < e->cur; i = next_boundary(e, i))
		cur_col += e->masked ? 1 : text_cols(e->buf + i, next_boundary(e, i) - i);
	if (cur_col < e->scroll)
		e->scroll = cur_col;
	if (cur_col > e->scroll + cols - 1)
		e->scroll = cur_col - cols + 1;
	/* Skip whole clusters until the scrolled-off columns are passed. */
	size_t from = 0;
	int skipped = 0;
	while (from < e->len && skipped < e->scroll) {
		size_t next = next_boundary(e, from);
		skipped += e->masked ? 1 : text_cols(e->buf + from, next - from);
		from = next;
	}
	int lead = skipped - e->scroll;   /* a wide character cut in half */
	draw_run(e, w, y, x + lead, cols - lead, from, e->len, cls, base);
	*cy = y;
	*cx = x + cur_col - e->scroll;
}

void ed_draw(struct editor *e, WINDOW *w, int y, int x, int rows, int cols, attr_t base,
	int *cy, int *cx)
{
	e->last_width = cols;
	unsigned char *cls = NULL;
	if (e->highlight && !e->masked && e->len) {
		cls = malloc(e->len);
		if (cls == NULL)
			abort();
		rich_classes(e->buf, e->len, cls);
	}
	if (e->single) {
		draw_single(e, w, y, x, cols, base, cls, cy, cx);
		free(cls);
		return;
	}
	int n = layout(e, cols, NULL, 0);
	struct row *lines = calloc((size_t)n, sizeof *lines);
	if (lines == NULL)
		abort();
	layout(e, cols, lines, n);
	int r = cursor_row(e, lines, n);
	if (r < e->scroll)
		e->scroll = r;
	if (r >= e->scroll + rows)
		e->scroll = r - rows + 1;
	if (e->scroll > n - 1)
		e->scroll = n > 0 ? n - 1 : 0;
	for (int i = 0; i < rows && e->scroll + i < n; i++) {
		const struct row *row = &lines[e->scroll + i];
		draw_run(e, w, y + i, x, cols, row->off, row->off + row->len, cls, base);
	}
	int col = text_cols(e->buf + lines[r].off, e->cur - lines[r].off);
	*cy = y + r - e->scroll;
	*cx = x + (col < cols ? col : cols - 1);
	free(lines);
	free(cls);
}
