/* app_chrome.c: the frame around the screens: the tab bar with its unread
 * badges, the status bar (connection, spinner, toasts, counts), the splash
 * before the first screen, the "too small" notice, and app_render, which
 * draws it all with the top screen and any overlay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "photofetch.h"
#include "photoview.h"

static const char *const tab_names[TAB__COUNT] = {
	"Home", "Search", "Activity", "Messages", "Profile", "New",
};

/* A count after a tab's name, " 3 " (or " 99+ "); "" for none. */
static void badge_text(int64_t n, char *out, size_t size)
{
	if (n <= 0)
		out[0] = '\0';
	else if (n > 99)
		snprintf(out, size, " 99+ ");
	else
		snprintf(out, size, " %lld ", (long long)n);
}

/* The widest layout that fits: the name and every tab's name; then every
 * name without the brand; then only the current tab's name, the others
 * by their number. */
void app_layout_tabs(const struct app *a, struct tab_layout *l)
{
	for (int level = 0; level < 3; level++) {
		int width = 0;
		for (int t = 0; t < TAB__COUNT; t++) {
			if (level < 2 || t == (int)a->tab)
				snprintf(l->label[t], sizeof l->label[t], " %d %s ", t + 1, tab_names[t]);
			else
				snprintf(l->label[t], sizeof l->label[t], " %d ", t + 1);
			int64_t count = t == TAB_ACTIVITY ? a->m.unread_notifs
				: t == TAB_MESSAGES ? a->m.unread_msgs : 0;
			badge_text(count, l->badge[t], sizeof l->badge[t]);
			l->w[t] = text_cols(l->label[t], strlen(l->label[t])) + (int)strlen(l->badge[t]);
			width += l->w[t] + 1;
		}
		l->brand = level == 0;
		if ((l->brand ? 1 + 8 + 3 : 1) + width < a->cols)
			break;
	}
	int x = l->brand ? 1 + 8 + 3 : 1;
	for (int t = 0; t < TAB__COUNT; t++) {
		l->x[t] = x;
		x += l->w[t] + 1;
	}
	l->end = x;
}

static void draw_tabbar(struct app *a)
{
	WINDOW *w = a->tabbar;
	werase(w);
	put_fill(w, 0, 0, a->cols, th(TH_HEADER));
	struct tab_layout l;
	app_layout_tabs(a, &l);
	if (l.brand)
		put_str(w, 0, 1, 8, "ansigram", th(TH_BRAND));
	for (int t = 0; t < TAB__COUNT; t++) {
		bool on = t == (int)a->tab && !a->login;
		int used = put_str(w, 0, l.x[t], a->cols - l.x[t], l.label[t], on ? th(TH_TAB_ON) : th(TH_TAB));
		put_str(w, 0, l.x[t] + used, a->cols - l.x[t] - used, l.badge[t], th(TH_BADGE));
	}
	if (a->m.logged_in && a->m.me.username) {
		char me[80];
		snprintf(me, sizeof me, "@%s", a->m.me.username);
		int cols = text_cols(me, strlen(me));
		if (l.end + cols + 1 < a->cols)
			put_str(w, 0, a->cols - cols - 1, cols, me, th(TH_HANDLE));
	}
	wnoutrefresh(w);
}

static void draw_status(struct app *a, int64_t now)
{
	WINDOW *w = a->status;
	werase(w);
	wbkgdset(w, ' ' | th(TH_BAR));
	put_fill(w, 0, 0, a->cols, th(TH_BAR));
	int x = 1;
	const struct model *m = &a->m;
	int64_t busy = model_busy_ms(m, now);
	if (m->conn == CONN_OFFLINE) {
		x += put_str(w, 0, x, 30, g.offline, th(TH_OFFLINE));
		x += put_str(w, 0, x + 1, 30, "reconnecting…", th(TH_BAR));
		x += 1;
	} else if (m->conn == CONN_CONNECTING) {
		x += put_str(w, 0, x, 30, g.offline, th(TH_BAR) | A_BOLD);
		x += put_str(w, 0, x + 1, 30, "connecting…", th(TH_BAR));
		x += 1;
	} else {
		x += put_str(w, 0, x, 4, g.live, th(TH_LIVE));
		x += put_str(w, 0, x + 1, 20, m->sub ? "live" : "online", th(TH_BAR));
		x += 1;
	}
	if (busy >= SPINNER_AFTER_MS && m->conn != CONN_OFFLINE) {
		int frame = (int)((now / SPINNER_STEP_MS) % g.spinner_frames);
		x += 1 + put_str(w, 0, x + 1, 3, g.spinner[frame], th(TH_BAR_KEY));
	}
	x += 2;
	/* The right side: unread counts and the help key, with short names
	 * when the terminal is narrow. */
	bool narrow = a->cols < 80;
	const char *act = narrow ? "Act " : "Activity ", *msgs = narrow ? "  Msg " : "  Messages ";
	char right[96];
	snprintf(right, sizeof right, "%s%lld%s%lld  ? help ", act,
		(long long)m->unread_notifs, msgs, (long long)m->unread_msgs);
	int rx = a->cols - (m->logged_in ? text_cols(right, strlen(right)) : 8);
	if (m->logged_in) {
		char num[24];
		int cx = rx;
		cx += put_str(w, 0, cx, 10, act, th(TH_BAR));
		snprintf(num, sizeof num, "%lld", (long long)m->unread_notifs);
		cx += put_str(w, 0, cx, 10, num, m->unread_notifs ? th(TH_BAR_KEY) : th(TH_BAR));
		cx += put_str(w, 0, cx, 12, msgs, th(TH_BAR));
		snprintf(num, sizeof num, "%lld", (long long)m->unread_msgs);
		cx += put_str(w, 0, cx, 10, num, m->unread_msgs ? th(TH_BAR_KEY) : th(TH_BAR));
		put_str(w, 0, cx + 2, 8, "? help", th(TH_BAR));
	} else {
		put_str(w, 0, rx, 8, "? help", th(TH_BAR));
	}
	if (a->toast[0] && now < a->toast_until) {
		attr_t ta = th(TH_BAR);
		if (a->toast_role == TH_ERROR || a->toast_role == TH_WARN || a->toast_role == TH_ACCENT)
			ta = th(TH_BAR_KEY);
		put_fit(w, 0, x, rx - x - 2, a->toast, ta);
	}
	wnoutrefresh(w);
}

static void draw_splash(struct app *a, WINDOW *w, int64_t now)
{
	werase(w);
	int rows, cols;
	getmaxyx(w, rows, cols);
	const char *brand = "ansigram";
	put_str(w, rows / 2 - 2, (cols - 8) / 2, 8, brand, th(TH_BRAND));
	char line[1200];
	int frame = (int)((now / SPINNER_STEP_MS) % g.spinner_frames);
	snprintf(line, sizeof line, "%s connecting to %s", g.spinner[frame], a->m.server_url);
	int lc = text_cols(line, strlen(line));
	put_fit(w, rows / 2, lc < cols ? (cols - lc) / 2 : 0, cols, line, th(TH_DIM));
	wnoutrefresh(w);
}

/* True when text word-wrapped to cols columns cuts no word and takes at
 * most rows lines; *lines gets how many it takes. */
static bool fits_whole(const char *text, int rows, int cols, int *lines)
{
	struct span spans[16];
	if (rows < 1 || cols < 1)
		return false;
	int n = wrap_text(text, cols, spans, 16);
	if (n > rows || n > 16)
		return false;
	for (int i = 0; i < n; i++)
		if (text_cols(text + spans[i].off, spans[i].len) > cols)
			return false;   /* a word wider than the line */
	*lines = n;
	return true;
}

/* Draws text word-wrapped to cols columns, each line centred, from row y. */
static void draw_centred(WINDOW *w, int y, int x, int cols, const char *text, attr_t a)
{
	struct span spans[16];
	int n = wrap_text(text, cols, spans, 16);
	for (int i = 0; i < n && i < 16; i++) {
		int lc = text_cols(text + spans[i].off, spans[i].len);
		put_text(w, y + i, x + (cols - lc) / 2, cols, text + spans[i].off, spans[i].len, a);
	}
}

/* Below the smallest size: says so, wrapped to fit, in as many words as
 * the terminal has room for, never cutting one. */
static void draw_too_small(struct app *a)
{
	werase(stdscr);
	const char *times = strcmp(g.ellipsis, "…") == 0 ? "×" : "x";
	char full[160], shorter[80];
	snprintf(full, sizeof full, "Terminal too small: %d%s%d needed, this is %d%s%d",
		MIN_COLS, times, MIN_ROWS, a->cols, times, a->rows);
	snprintf(shorter, sizeof shorter, "Too small: %d%s%d needed", MIN_COLS, times, MIN_ROWS);
	const char *const tries[] = {full, shorter, "Too small", "Small"};
	const char *hint = "Make the window larger, or press q to quit.";
	/* A column and a row of margin when there is room for one. */
	int x = a->cols > 2 ? 1 : 0, width = a->cols - 2 * x;
	int y = a->rows > 2 ? 1 : 0, rows = a->rows - 2 * y;
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		int lines, hint_lines;
		if (!fits_whole(tries[i], rows, width, &lines))
			continue;
		/* The hint under the full message, after a blank row, if it fits. */
		bool hint_too = i == 0 && fits_whole(hint, rows - lines - 1, width, &hint_lines);
		int used = hint_too ? lines + 1 + hint_lines : lines;
		int top = y + (rows - used) / 2;
		draw_centred(stdscr, top, x, width, tries[i], th(TH_BOLD));
		if (hint_too)
			draw_centred(stdscr, top + lines + 1, x, width, hint, th(TH_DIM));
		break;
	}
	wnoutrefresh(stdscr);
}

/* Updates the terminal, then writes the frame's photos past curses; when
 * they moved, the whole screen is drawn again first (photoview.h). */
static void update_with_photos(void)
{
	if (photoview_frame_changed())
		clearok(curscr, TRUE);
	doupdate();
	photoview_frame_write(app_write_tty);
}

void app_fetch_photo(struct app *a, int64_t media_id, bool thumb)
{
	photofetch_get(a->m.session.token, media_id, thumb);
}

void app_render(struct app *a)
{
	int64_t now = ag_mono_ms();
	a->dirty = false;
	photoview_frame_begin();
	if (a->small) {
		draw_too_small(a);
		curs_set(0);
		wnoutrefresh(stdscr);
		update_with_photos();
		return;
	}
	struct screen *top = app_top_screen(a);
	int cy = -1, cx = -1;
	WINDOW *cur_win = NULL;
	if (top == NULL && a->m.session.token[0]) {
		/* A saved session waits for the server: the frame, empty. */
		draw_tabbar(a);
		werase(a->content);
		put_fit(a->content, 1, 2, a->cols - 4, a->m.conn == CONN_ONLINE
			? "Checking your session…" : "Waiting for the server to check your session…",
			th(TH_DIM));
		wnoutrefresh(a->content);
		draw_status(a, now);
	} else if (top == NULL) {
		draw_splash(a, a->full, now);
	} else if (top->full) {
		werase(a->full);
		top->cur_y = -1;
		top->ops->draw(top, a->full, a->rows, a->cols);
		wnoutrefresh(a->full);
		if (top->cur_y >= 0) {
			cur_win = a->full;
			cy = top->cur_y;
			cx = top->cur_x;
		}
	} else {
		draw_tabbar(a);
		werase(a->content);
		top->cur_y = -1;
		top->ops->draw(top, a->content, a->rows - 2, a->cols);
		wnoutrefresh(a->content);
		draw_status(a, now);
		if (top->cur_y >= 0) {
			cur_win = a->content;
			cy = top->cur_y;
			cx = top->cur_x;
		}
	}
	bool cursor = false;
	if (a->ov.kind != OV_NONE)
		photoview_frame_begin();   /* an overlay covers the photos */
	if (a->ov.kind == OV_HELP) {
		app_draw_help(a);
	} else if (a->ov.kind == OV_WARNINGS) {
		app_draw_warnings(a);
	} else if (a->ov.kind == OV_CONFIRM || a->ov.kind == OV_PROMPT) {
		cursor = app_draw_dialog(a);
	} else if (cur_win) {
		/* Refreshed last, so the terminal's cursor ends up in its field. */
		wmove(cur_win, cy, cx);
		wnoutrefresh(cur_win);
		cursor = true;
	}
	curs_set(cursor ? 1 : 0);
	update_with_photos();
}
