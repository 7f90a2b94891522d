/* app_overlays.c: what opens over the screens: the help (the key table
 * of the screen underneath), a yes/no question, a one-line prompt and the
 * config warnings, with the keys they take while open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"

/* A panel's border. */
static void frame(WINDOW *w)
{
	chtype a = th(TH_PANEL);
	wborder(w, ACS_VLINE | a, ACS_VLINE | a, ACS_HLINE | a, ACS_HLINE | a,
		ACS_ULCORNER | a, ACS_URCORNER | a, ACS_LLCORNER | a, ACS_LRCORNER | a);
}

void app_confirm(struct app *a, const char *text, confirm_fn yes, void *ctx, int64_t id)
{
	a->ov.kind = OV_CONFIRM;
	snprintf(a->ov.text, sizeof a->ov.text, "%s", text);
	a->ov.yes = yes;
	a->ov.enter_yes = false;
	a->ov.ctx = ctx;
	a->ov.id = id;
	a->dirty = true;
}

void app_ask(struct app *a, const char *text, confirm_fn yes, void *ctx, int64_t id)
{
	app_confirm(a, text, yes, ctx, id);
	a->ov.enter_yes = true;
}

void app_prompt(struct app *a, const char *title, const char *hint, prompt_fn done, void *ctx)
{
	a->ov.kind = OV_PROMPT;
	snprintf(a->ov.text, sizeof a->ov.text, "%s", title);
	snprintf(a->ov.hint, sizeof a->ov.hint, "%s", hint ? hint : "");
	a->ov.done = done;
	a->ov.ctx = ctx;
	ed_set(&a->ov.ed, "");
	a->ov.ed.max_chars = 100;
	a->dirty = true;
}

void app_overlay_key(struct app *a, const struct key *k)
{
	struct overlay *ov = &a->ov;
	if (ov->kind == OV_HELP) {
		if (key_is(k, ACT_DOWN) || key_is(k, ACT_PAGE_DOWN))
			ov->scroll++;
		else if ((key_is(k, ACT_UP) || key_is(k, ACT_PAGE_UP)) && ov->scroll > 0)
			ov->scroll--;
		else
			ov->kind = OV_NONE;
		return;
	}
	if (ov->kind == OV_WARNINGS) {
		bool enter = k->code == KEY_ENTER || (k->code == 0 && (k->ch == '\r' || k->ch == '\n'));
		if (enter || (k->code == 0 && k->ch == 27 && !k->paste))
			ov->kind = OV_NONE;
		else if (key_is(k, ACT_DOWN) || key_is(k, ACT_PAGE_DOWN))
			ov->scroll++;
		else if ((key_is(k, ACT_UP) || key_is(k, ACT_PAGE_UP)) && ov->scroll > 0)
			ov->scroll--;
		return;
	}
	if (ov->kind == OV_CONFIRM) {
		bool enter = k->code == KEY_ENTER || (k->code == 0 && (k->ch == '\r' || k->ch == '\n'));
		if ((k->code == 0 && (k->ch == 'y' || k->ch == 'Y')) || (ov->enter_yes && enter)) {
			ov->kind = OV_NONE;
			ov->yes(a, ov->ctx, ov->id);
		} else if (k->code == 0 && (k->ch == 'n' || k->ch == 'N' || k->ch == 27 || k->ch == 'q')) {
			ov->kind = OV_NONE;
		}
		return;
	}
	if (k->code == 0 && k->ch == 27 && !k->paste) {
		ov->kind = OV_NONE;
		return;
	}
	if (ed_key(&ov->ed, k) == ED_SUBMIT) {
		char text[512];
		const char *s = ed_text(&ov->ed);
		while (*s == ' ')
			s++;
		snprintf(text, sizeof text, "%s", s);
		size_t n = strlen(text);
		while (n && text[n - 1] == ' ')
			text[--n] = '\0';
		ov->kind = OV_NONE;
		ov->done(a, ov->ctx, text);
	}
}

/* One line of the help overlay: a section title, or keys and what they do. */
struct help_line {
	char keys[64];
	const char *text;
	bool title;
};

static int help_add(struct help_line *lines, int n, const char *keys, const char *text, bool title)
{
	snprintf(lines[n].keys, sizeof lines[n].keys, "%s", keys);
	lines[n].text = text;
	lines[n].title = title;
	return n + 1;
}

/* Lines for the actions of one section that work on a screen of these
 * kinds (none, not even the title, when none does), skipping the tab
 * numbers (they get one line of their own). */
static int help_section(struct help_line *lines, int n, const char *section, unsigned kinds)
{
	bool titled = false;
	for (int i = 0; i < ACT__COUNT; i++) {
		if (strcmp(action_section(i), section) != 0 || (i >= ACT_TAB_HOME && i <= ACT_TAB_NEW) ||
		    !(action_kind(i) & kinds))
			continue;
		if (!titled)
			n = help_add(lines, n, section, NULL, true);
		titled = true;
		char keys[64];
		keys_describe(i, keys, sizeof keys);
		n = help_add(lines, n, keys, action_help(i), false);
	}
	return n;
}

static void draw_help_column(WINDOW *w, const struct help_line *lines, int n, int x, int width,
	int top, int rows, int scroll)
{
	for (int i = scroll; i < n && i - scroll < rows; i++) {
		int y = top + i - scroll;
		if (lines[i].title) {
			put_str(w, y, x, width, lines[i].keys, th(TH_ACCENT));
			continue;
		}
		put_fit(w, y, x, 13, lines[i].keys, th(TH_BOLD));
		put_fit(w, y, x + 14, width - 14, lines[i].text, th(TH_NORMAL));
	}
}

void app_draw_help(struct app *a)
{
	int h = a->rows - 2, wd = a->cols - 4;
	WINDOW *w = newwin(h, wd, 1, 2);
	if (w == NULL)
		return;
	werase(w);
	frame(w);
	put_str(w, 0, 2, wd - 4, " Keys ", th(TH_TITLE));
	/* The keys of the screen underneath: one table, so what is shown is
	 * what works there. */
	struct screen *top = app_top_screen(a);
	unsigned kinds = KC_ALL | (top ? top->keys : 0);
	struct help_line left[ACT__COUNT + 4], right[ACT__COUNT + 8];
	int nl = help_section(left, 0, "Moving", kinds);
	nl = help_section(left, nl, "Screens", kinds);
	char tabs[64] = "";
	for (int t = ACT_TAB_HOME; t <= ACT_TAB_NEW; t++) {
		char k[16];
		keys_describe(t, k, sizeof k);
		size_t used = strlen(tabs);
		snprintf(tabs + used, sizeof tabs - used, "%s%s", t == ACT_TAB_HOME ? "" : " ", k);
	}
	nl = help_add(left, nl, tabs, "go to a screen", false);
	static const char *const kind_sections[] = {"Actions", "Posts", "Profile", "Activity",
		"Stories", "Text fields"};
	int nr = 0;
	for (size_t i = 0; i < sizeof kind_sections / sizeof kind_sections[0]; i++)
		nr = help_section(right, nr, kind_sections[i], kinds);
	int rows = h - 4;
	int col_w = (wd - 6) / 2;
	/* Narrow: one column, the actions after a blank line. */
	bool one_column = col_w < 34;
	struct help_line one[2 * ACT__COUNT + 8];
	int n_one = 0;
	if (one_column) {
		memcpy(one, left, (size_t)nl * sizeof *one);
		n_one = help_add(one, nl, "", NULL, true);
		memcpy(one + n_one, right, (size_t)nr * sizeof *one);
		n_one += nr;
	}
	int most = one_column ? n_one : nl > nr ? nl : nr;
	if (a->ov.scroll > most - rows)
		a->ov.scroll = most - rows > 0 ? most - rows : 0;
	if (one_column) {
		draw_help_column(w, one, n_one, 2, wd - 4, 1, rows, a->ov.scroll);
	} else {
		draw_help_column(w, left, nl, 2, col_w, 1, rows, a->ov.scroll);
		draw_help_column(w, right, nr, 4 + col_w, col_w, 1, rows, a->ov.scroll);
	}
	put_fit(w, h - 3, 2, wd - 4,
		"Text fields: arrows, Home/End, C-a line start, C-w word, C-u/C-k line. Mouse: wheel, click.",
		th(TH_DIM));
	char foot[1100];
	snprintf(foot, sizeof foot, "Settings and key changes: %s",
		a->cfg.path[0] ? a->cfg.path : "~/.config/ansigram/config");
	put_fit(w, h - 2, 2, wd - 4, foot, th(TH_DIM));
	put_str(w, h - 1, wd - 20, 18, " any key closes ", th(TH_DIM));
	wnoutrefresh(w);
	delwin(w);
}

/* A small centred box for a question or a one-line prompt. Returns true
 * when it placed the cursor (in the prompt's field). */
bool app_draw_dialog(struct app *a)
{
	int wd = a->cols / 2 + 10, h = a->ov.kind == OV_PROMPT ? 7 : 5;
	/* A question is wrapped over up to 3 lines; a prompt's title fits one. */
	struct span lines[3];
	int n_lines = 1;
	if (a->ov.kind == OV_CONFIRM) {
		n_lines = wrap_text(a->ov.text, wd - 4, lines, 3);
		n_lines = n_lines < 1 ? 1 : n_lines > 3 ? 3 : n_lines;
		h += n_lines - 1;
	}
	WINDOW *w = newwin(h, wd, (a->rows - h) / 2, (a->cols - wd) / 2);
	if (w == NULL)
		return false;
	werase(w);
	frame(w);
	int cy = -1, cx = -1;
	if (a->ov.kind == OV_CONFIRM) {
		for (int i = 0; i < n_lines; i++)
			put_text(w, 1 + i, 2, wd - 4, a->ov.text + lines[i].off, lines[i].len,
				th(TH_TITLE));
		put_str(w, 2 + n_lines, 2, wd - 4, a->ov.enter_yes ? "y / Enter: yes    n / Esc: no"
			: "y: yes    n / Esc: no", th(TH_DIM));
	} else {
		put_fit(w, 1, 2, wd - 4, a->ov.text, th(TH_TITLE));
		put_fit(w, 2, 2, wd - 4, a->ov.hint, th(TH_DIM));
		put_fill(w, 4, 2, wd - 4, th(TH_INPUT));
		ed_draw(&a->ov.ed, w, 4, 2, 1, wd - 4, th(TH_INPUT), &cy, &cx);
		put_str(w, 5, 2, wd - 4, "Enter: go    Esc: cancel", th(TH_DIM));
		wmove(w, cy, cx);
	}
	wnoutrefresh(w);
	delwin(w);
	return cy >= 0;
}

/* The problems found in the config and theme files, each wrapped whole,
 * in a box that scrolls when they do not fit. */
void app_draw_warnings(struct app *a)
{
	int wd = a->cols - 4 < 76 ? a->cols - 4 : 76;
	const char *text = a->cfg.warnings;
	struct span lines[200];
	int n = wrap_text(text, wd - 4, lines, 200);
	if (n > 200)
		n = 200;
	int h = n + 5 < a->rows - 2 ? n + 5 : a->rows - 2;
	int rows = h - 5;
	if (a->ov.scroll > n - rows)
		a->ov.scroll = n - rows > 0 ? n - rows : 0;
	WINDOW *w = newwin(h, wd, (a->rows - h) / 2, (a->cols - wd) / 2);
	if (w == NULL)
		return;
	werase(w);
	frame(w);
	put_str(w, 0, 2, wd - 4, " Settings ", th(TH_TITLE));
	put_fit(w, 1, 2, wd - 4, "Some settings were not used:", th(TH_WARN));
	for (int i = 0; i < rows && a->ov.scroll + i < n; i++) {
		const struct span *s = &lines[a->ov.scroll + i];
		put_text(w, 3 + i, 2, wd - 4, text + s->off, s->len, th(TH_NORMAL));
	}
	const char *keys = n > rows ? " ↑/↓ scroll  ·  Esc or Enter closes " : " Esc or Enter closes ";
	int kw = text_cols(keys, strlen(keys));
	put_str(w, h - 1, wd - kw - 2 > 1 ? wd - kw - 2 : 1, wd - 2, keys, th(TH_DIM));
	wnoutrefresh(w);
	delwin(w);
}
