/* app.c: the TUI's main loop and frame. One poll() waits on the keyboard,
 * the request worker's pipe, the push socket and the connection monitor;
 * nothing else wakes the program except timers the interface itself needs
 * (a toast fading, a story advancing, a spinner turning, the keep-alive).
 * Each tab (Home, Search, Activity, Messages, Profile, New) keeps its own
 * stack of screens. A frame is the tab bar, the top screen, the status bar
 * and any overlay (help, a question, a prompt), drawn into windows and
 * sent to the terminal with one doupdate(). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "app.h"
#include "client.h"
#include "clock.h"
#include "ui.h"

#define MAX_DEPTH 24
#define MIN_COLS 60
#define MIN_ROWS 20
#define TOAST_MS 4000
#define SPINNER_AFTER_MS 250
#define SPINNER_STEP_MS 100
#define CLOCK_REDRAW_MS 30000

enum overlay_kind { OV_NONE, OV_HELP, OV_CONFIRM, OV_PROMPT, OV_WARNINGS };

struct overlay {
	enum overlay_kind kind;
	char text[300];
	char hint[200];
	confirm_fn yes;
	bool enter_yes;          /* Enter answers yes too */
	prompt_fn done;
	void *ctx;
	int64_t id;
	struct editor ed;
	int scroll;
};

struct app {
	struct model m;
	struct config cfg;
	const struct ag_client_opts *opts;
	WINDOW *tabbar, *content, *status, *full;
	int rows, cols;
	bool small;
	struct screen *stack[TAB__COUNT][MAX_DEPTH];
	int depth[TAB__COUNT];
	enum tab tab;
	struct screen *login;
	struct screen *on_view;      /* the screen last told it is shown */
	bool started;                /* logged in or at the login form */
	struct overlay ov;
	char toast[300];
	enum role toast_role;
	int64_t toast_until;
	int64_t next_clock_redraw;
	bool quit, dirty;
	bool paste;
	bool ssh_link_asked;         /* --ssh: the offer to link the key was made */
	int osc;
};

static const char *const tab_names[TAB__COUNT] = {
	"Home", "Search", "Activity", "Messages", "Profile", "New",
};

/* ---- the app's services for screens ---- */

struct model *app_model(struct app *a)
{
	return &a->m;
}

void app_dirty(struct app *a)
{
	a->dirty = true;
}

void app_quit(struct app *a)
{
	a->quit = true;
}

int64_t app_now(const struct app *a)
{
	(void)a;
	return ag_now_ms();
}

void app_toast(struct app *a, const char *text, enum role r)
{
	snprintf(a->toast, sizeof a->toast, "%s", text);
	for (char *p = a->toast; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	a->toast_role = r;
	a->toast_until = ag_mono_ms() + TOAST_MS;
	a->dirty = true;
}

static struct screen *top_screen(struct app *a)
{
	if (a->login)
		return a->login;
	if (!a->started || a->depth[a->tab] == 0)
		return NULL;
	return a->stack[a->tab][a->depth[a->tab] - 1];
}

static void destroy_screen(struct screen *s)
{
	if (s && s->ops->destroy)
		s->ops->destroy(s);
}

void app_push(struct app *a, struct screen *s)
{
	int t = a->tab;
	if (a->depth[t] == MAX_DEPTH) {
		/* Forget the oldest screen above the tab's first. */
		destroy_screen(a->stack[t][1]);
		memmove(&a->stack[t][1], &a->stack[t][2], (MAX_DEPTH - 2) * sizeof a->stack[t][0]);
		a->depth[t]--;
	}
	a->stack[t][a->depth[t]++] = s;
	a->dirty = true;
}

void app_close(struct app *a, struct screen *s)
{
	s->closing = true;
	a->dirty = true;
}

/* Destroys screens marked closing (never a tab's first screen). */
static void sweep(struct app *a)
{
	for (int t = 0; t < TAB__COUNT; t++) {
		int kept = 1;
		for (int i = 1; i < a->depth[t]; i++) {
			struct screen *s = a->stack[t][i];
			if (s->closing) {
				if (a->on_view == s)
					a->on_view = NULL;
				destroy_screen(s);
			} else {
				a->stack[t][kept++] = s;
			}
		}
		if (a->depth[t] > 0) {
			a->stack[t][0]->closing = false;
			a->depth[t] = kept;
		}
	}
}

/* Tells screens when they come into view or leave it. */
static void track_view(struct app *a)
{
	struct screen *top = top_screen(a);
	if (top == a->on_view)
		return;
	if (a->on_view && a->on_view->ops->hidden)
		a->on_view->ops->hidden(a->on_view);
	a->on_view = top;
	if (top && top->ops->shown)
		top->ops->shown(top);
}

void app_switch_tab(struct app *a, enum tab t)
{
	if (!a->started || a->login)
		return;
	if (a->tab == t) {
		/* Pressing the tab you are on goes back to its first screen. */
		for (int i = 1; i < a->depth[t]; i++)
			a->stack[t][i]->closing = true;
	}
	a->tab = t;
	a->dirty = true;
}

static void pop_top(struct app *a)
{
	if (a->depth[a->tab] > 1)
		app_close(a, a->stack[a->tab][a->depth[a->tab] - 1]);
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

static void link_ssh_key(struct app *a, void *ctx, int64_t id)
{
	(void)ctx;
	(void)id;
	model_ssh_key_add(&a->m, a->opts->ssh_key);
}

/* --ssh with a key no account has linked: once logged in, offer to link it. */
static void offer_ssh_link(struct app *a)
{
	if (!a->opts->ssh || a->opts->ssh_key == NULL || a->ssh_link_asked)
		return;
	a->ssh_link_asked = true;
	char text[200];
	snprintf(text, sizeof text, "Link this key (%s) so you are logged in next time? [Y/n]",
		a->opts->ssh_fingerprint);
	app_ask(a, text, link_ssh_key, NULL, 0);
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

void app_open_post(struct app *a, int64_t post_id, bool comment)
{
	app_push(a, screen_post_new(a, post_id, comment));
}

void app_open_profile(struct app *a, int64_t user_id)
{
	if (user_id == a->m.me.id && a->tab != TAB_PROFILE) {
		app_switch_tab(a, TAB_PROFILE);
		return;
	}
	app_push(a, screen_profile_new(a, user_id));
}

void app_open_thread(struct app *a, int64_t user_id)
{
	if (user_id == a->m.me.id) {
		app_toast(a, "That is you: pick someone else to message.", TH_WARN);
		return;
	}
	app_push(a, screen_thread_new(a, user_id));
}

void app_open_tag(struct app *a, const char *tag)
{
	app_push(a, screen_tag_new(a, tag));
}

void app_open_stories(struct app *a, size_t group)
{
	if (group < a->m.n_groups)
		app_push(a, screen_story_new(a, group));
}

void app_compose(struct app *a, bool story)
{
	app_switch_tab(a, TAB_NEW);
	for (int i = 1; i < a->depth[TAB_NEW]; i++)
		a->stack[TAB_NEW][i]->closing = true;
	if (a->depth[TAB_NEW])
		screen_compose_mode(a->stack[TAB_NEW][0], story);
}

static void message_to(struct app *a, void *ctx, const char *text)
{
	(void)ctx;
	if (text[0])
		model_lookup(&a->m, text, LOOKUP_MESSAGE);
}

void app_message_prompt(struct app *a)
{
	app_prompt(a, "New message", "Who to? Type a username and press Enter.", message_to, NULL);
}

/* ---- logging in and out ---- */

static void drop_stacks(struct app *a)
{
	for (int t = 0; t < TAB__COUNT; t++) {
		for (int i = a->depth[t]; i-- > 0;)
			destroy_screen(a->stack[t][i]);
		a->depth[t] = 0;
	}
	a->on_view = NULL;
	a->started = false;
}

static void show_login(struct app *a, const char *why)
{
	drop_stacks(a);
	destroy_screen(a->login);
	a->login = screen_login_new(a, why);
	a->on_view = NULL;
	a->started = true;
	if (a->ov.kind != OV_WARNINGS)
		a->ov.kind = OV_NONE;
}

static void show_main(struct app *a)
{
	destroy_screen(a->login);
	a->login = NULL;
	drop_stacks(a);
	a->stack[TAB_HOME][0] = screen_home_new(a);
	a->stack[TAB_SEARCH][0] = screen_search_new(a);
	a->stack[TAB_ACTIVITY][0] = screen_notifs_new(a);
	a->stack[TAB_MESSAGES][0] = screen_messages_new(a);
	a->stack[TAB_PROFILE][0] = screen_profile_new(a, a->m.me.id);
	a->stack[TAB_NEW][0] = screen_compose_new(a);
	for (int t = 0; t < TAB__COUNT; t++)
		a->depth[t] = 1;
	a->tab = TAB_HOME;
	a->started = true;
	a->on_view = NULL;
}

/* ---- desktop notifications ---- */

void app_write_tty(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* BEL, then OSC 9 (iTerm2, WezTerm, Windows Terminal...) or OSC 777
 * (VTE, foot, urxvt). text is sanitized: it holds no control byte. */
static void ring(struct app *a, const char *text)
{
	if (!a->cfg.notifications)
		return;
	char seq[600];
	int n;
	if (a->osc == 777)
		n = snprintf(seq, sizeof seq, "\a\033]777;notify;ansigram;%s\a", text);
	else
		n = snprintf(seq, sizeof seq, "\a\033]9;ansigram: %s\a", text);
	if (n > 0)
		app_write_tty(seq, (size_t)n < sizeof seq ? (size_t)n : sizeof seq - 1);
}

static int choose_osc(const struct config *cfg)
{
	if (cfg->osc)
		return cfg->osc;
	const char *term = getenv("TERM");
	if (getenv("VTE_VERSION") || (term && (!strncmp(term, "foot", 4) || !strncmp(term, "rxvt", 4))))
		return 777;
	return 9;
}

/* ---- notes from the model ---- */

static void route_note(struct app *a, enum note n, int64_t id, int64_t aux, const char *msg)
{
	if (a->login && a->login->ops->note)
		a->login->ops->note(a->login, n, id, aux, msg);
	for (int t = 0; t < TAB__COUNT; t++)
		for (int i = 0; i < a->depth[t]; i++) {
			struct screen *s = a->stack[t][i];
			if (!s->closing && s->ops->note)
				s->ops->note(s, n, id, aux, msg);
		}
}

static void on_note(void *ctx, enum note n, int64_t id, int64_t aux, const char *msg)
{
	struct app *a = ctx;
	a->dirty = true;
	switch (n) {
	case NOTE_CHANGED:
		return;
	case NOTE_NEED_LOGIN:
		show_login(a, msg);
		return;
	case NOTE_LOGGED_IN:
		show_main(a);
		offer_ssh_link(a);
		return;
	case NOTE_LOGGED_OUT:
		drop_stacks(a);
		return;
	case NOTE_ERROR:
		app_toast(a, msg, TH_ERROR);
		break;
	case NOTE_INFO:
	case NOTE_POST_DELETED:
		app_toast(a, msg, TH_OK);
		break;
	case NOTE_PUSH:
		app_toast(a, msg, TH_ACCENT);
		if (aux)
			ring(a, msg);
		break;
	case NOTE_USER_FOUND:
		if (aux == LOOKUP_MESSAGE)
			app_open_thread(a, id);
		else if (aux == LOOKUP_PROFILE)
			app_open_profile(a, id);
		return;
	case NOTE_USER_MISSING:
		app_toast(a, msg, TH_ERROR);
		return;
	default:
		break;
	}
	route_note(a, n, id, aux, msg);
}

/* ---- windows ---- */

static void make_windows(struct app *a)
{
	if (a->tabbar)
		delwin(a->tabbar);
	if (a->content)
		delwin(a->content);
	if (a->status)
		delwin(a->status);
	if (a->full)
		delwin(a->full);
	a->tabbar = a->content = a->status = a->full = NULL;
	getmaxyx(stdscr, a->rows, a->cols);
	a->small = a->rows < MIN_ROWS || a->cols < MIN_COLS;
	if (a->small)
		return;
	a->tabbar = newwin(1, a->cols, 0, 0);
	a->content = newwin(a->rows - 2, a->cols, 1, 0);
	a->status = newwin(1, a->cols, a->rows - 1, 0);
	a->full = newwin(a->rows, a->cols, 0, 0);
	WINDOW *all[] = {a->tabbar, a->content, a->status, a->full};
	for (size_t i = 0; i < 4; i++) {
		leaveok(all[i], FALSE);
		keypad(all[i], TRUE);
	}
}

/* ---- drawing the frame ---- */

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

/* Where the tab bar puts each tab (x and width, badge included), its
 * label, and whether the name fits in front; shared by drawing and
 * clicks. */
struct tab_layout {
	bool brand;
	int x[TAB__COUNT], w[TAB__COUNT];
	char label[TAB__COUNT][32];
	char badge[TAB__COUNT][8];
	int end;
};

/* The widest layout that fits: the name and every tab's name; then every
 * name without the brand; then only the current tab's name, the others
 * by their number. */
static void layout_tabs(const struct app *a, struct tab_layout *l)
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
	layout_tabs(a, &l);
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

/* A panel's border. */
static void frame(WINDOW *w)
{
	chtype a = th(TH_PANEL);
	wborder(w, ACS_VLINE | a, ACS_VLINE | a, ACS_HLINE | a, ACS_HLINE | a,
		ACS_ULCORNER | a, ACS_URCORNER | a, ACS_LLCORNER | a, ACS_LRCORNER | a);
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

static void draw_help(struct app *a)
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
	struct screen *top = top_screen(a);
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
static bool draw_dialog(struct app *a)
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
static void draw_warnings(struct app *a)
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

static void render(struct app *a)
{
	int64_t now = ag_mono_ms();
	a->dirty = false;
	if (a->small) {
		draw_too_small(a);
		curs_set(0);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	struct screen *top = top_screen(a);
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
	if (a->ov.kind == OV_HELP) {
		draw_help(a);
	} else if (a->ov.kind == OV_WARNINGS) {
		draw_warnings(a);
	} else if (a->ov.kind == OV_CONFIRM || a->ov.kind == OV_PROMPT) {
		cursor = draw_dialog(a);
	} else if (cur_win) {
		/* Refreshed last, so the terminal's cursor ends up in its field. */
		wmove(cur_win, cy, cx);
		wnoutrefresh(cur_win);
		cursor = true;
	}
	curs_set(cursor ? 1 : 0);
	doupdate();
}

/* ---- input ---- */

static void overlay_key(struct app *a, const struct key *k)
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

static void suspend(struct app *a)
{
	app_write_tty("\033[?2004l", 8);
	endwin();
	kill(getpid(), SIGTSTP);
	/* Continued: take the terminal back. */
	app_write_tty("\033[?2004h", 8);
	clearok(curscr, TRUE);
	a->dirty = true;
}

static void quit_yes(struct app *a, void *ctx, int64_t id)
{
	(void)ctx;
	(void)id;
	a->quit = true;
}

/* q on a tab's first screen: quits, asking first when a post, comment or
 * message is written but not sent: whether to discard it where drafts live
 * in memory only (--ssh), else saying it is kept for next time. */
static void quit_asking(struct app *a)
{
	for (int t = 0; t < TAB__COUNT; t++)
		for (int i = 0; i < a->depth[t]; i++) {
			struct screen *s = a->stack[t][i];
			if (s->ops->has_draft && s->ops->has_draft(s)) {
				app_confirm(a, model_drafts_kept(&a->m)
					? "Quit? Your draft is kept for next time."
					: "Discard the draft and quit?", quit_yes, NULL, 0);
				return;
			}
		}
	a->quit = true;
}

/* Keys nobody else wanted: tabs, help, global actions, back and quit. */
static void global_key(struct app *a, const struct key *k)
{
	struct screen *top = top_screen(a);
	if (a->login || top == NULL)
		return;
	static const enum action tabs[TAB__COUNT] = {
		ACT_TAB_HOME, ACT_TAB_SEARCH, ACT_TAB_ACTIVITY, ACT_TAB_MESSAGES, ACT_TAB_PROFILE, ACT_TAB_NEW,
	};
	for (int t = 0; t < TAB__COUNT; t++)
		if (key_is(k, tabs[t])) {
			app_switch_tab(a, t);
			return;
		}
	if (key_is(k, ACT_NEXT_TAB)) {
		app_switch_tab(a, (a->tab + 1) % TAB__COUNT);
	} else if (key_is(k, ACT_PREV_TAB)) {
		app_switch_tab(a, (a->tab + TAB__COUNT - 1) % TAB__COUNT);
	} else if (key_is(k, ACT_HELP)) {
		a->ov.kind = OV_HELP;
		a->ov.scroll = 0;
	} else if (key_is(k, ACT_NEW_POST)) {
		app_compose(a, false);
	} else if (key_is(k, ACT_NEW_STORY)) {
		app_compose(a, true);
	} else if (key_is(k, ACT_SEARCH)) {
		app_switch_tab(a, TAB_SEARCH);
		for (int i = 1; i < a->depth[TAB_SEARCH]; i++)
			a->stack[TAB_SEARCH][i]->closing = true;
		screen_search_focus(a->stack[TAB_SEARCH][0]);
	} else if (key_is(k, ACT_MESSAGE)) {
		app_message_prompt(a);
	} else if (key_is(k, ACT_REFRESH)) {
		model_refresh_all(&a->m);
		app_toast(a, "Refreshing…", TH_OK);
	} else if (key_is(k, ACT_BACK) || key_is(k, ACT_LEFT)) {
		/* On a tab's first screen q quits, Esc goes home. */
		bool esc = k->code == 0 && k->ch == 27;
		if (a->depth[a->tab] > 1)
			pop_top(a);
		else if (key_is(k, ACT_BACK) && !esc)
			quit_asking(a);
		else if (a->tab != TAB_HOME)
			app_switch_tab(a, TAB_HOME);
	}
}

static void mouse_event(struct app *a)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || a->small)
		return;
	struct screen *top = top_screen(a);
	if (top == NULL || a->ov.kind != OV_NONE)
		return;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		struct key k = {.code = (ev.bstate & BUTTON4_PRESSED) ? KEY_UP : KEY_DOWN};
		for (int i = 0; i < 3; i++)
			if (top->ops->key)
				top->ops->key(top, &k);
		a->dirty = true;
		return;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	if (top->full) {
		if (top->ops->click)
			top->ops->click(top, ev.y, ev.x);
	} else if (ev.y == 0 && !a->login) {
		/* The tab bar: find the label under the click. */
		struct tab_layout l;
		layout_tabs(a, &l);
		for (int t = 0; t < TAB__COUNT; t++)
			if (ev.x >= l.x[t] && ev.x < l.x[t] + l.w[t])
				app_switch_tab(a, t);
	} else if (ev.y >= 1 && ev.y < a->rows - 1 && top->ops->click) {
		top->ops->click(top, ev.y - 1, ev.x);
	}
	a->dirty = true;
}

static void resize(struct app *a)
{
	make_windows(a);
	a->dirty = true;
}

/* Ctrl-E: the text field with the focus (a prompt's or the screen's) is
 * written in $EDITOR. False when no field has the focus. */
static bool edit_externally(struct app *a)
{
	struct screen *top = top_screen(a);
	struct editor *e = NULL;
	if (a->ov.kind == OV_PROMPT)
		e = &a->ov.ed;
	else if (a->ov.kind == OV_NONE && top && top->ops->field)
		e = top->ops->field(top);
	if (e == NULL)
		return false;
	char why[200];
	if (!ed_external(e, why, sizeof why))
		app_toast(a, why, TH_ERROR);
	a->dirty = true;
	return true;
}

static void handle_key(struct app *a, struct key *k)
{
	if (k->code == KEY_RESIZE) {
		resize(a);
		return;
	}
	if (k->code == KEY_PASTE_BEGIN || k->code == KEY_PASTE_END) {
		a->paste = k->code == KEY_PASTE_BEGIN;
		return;
	}
	k->paste = a->paste;
	if (k->code == KEY_MOUSE) {
		mouse_event(a);
		return;
	}
	a->dirty = true;
	if (!k->paste && k->code == 0 && k->ch == CTRL('c')) {
		a->quit = true;
		return;
	}
	if (!k->paste && k->code == 0 && k->ch == CTRL('z')) {
		suspend(a);
		return;
	}
	if (key_is(k, ACT_REDRAW)) {
		clearok(curscr, TRUE);
		return;
	}
	if (a->small) {
		if (k->code == 0 && (k->ch == 'q' || k->ch == 27))
			a->quit = true;
		return;
	}
	if (key_is(k, ACT_EXTERNAL_EDITOR) && edit_externally(a))
		return;
	if (a->ov.kind != OV_NONE) {
		overlay_key(a, k);
		return;
	}
	struct screen *top = top_screen(a);
	if (top && top->ops->key && top->ops->key(top, k))
		return;
	if (key_is(k, ACT_QUIT)) {
		a->quit = true;
		return;
	}
	/* A text field keeps letters and digits; only Tab and function keys
	 * still reach the global keys. */
	if (top && top->typing && k->code == 0 && !key_is(k, ACT_NEXT_TAB))
		return;
	global_key(a, k);
}

/* Reads every key waiting. Esc followed at once by a key is Alt+key, or
 * the start of an escape sequence (keys.c). */
static void read_keys(struct app *a)
{
	for (;;) {
		wint_t ch;
		int r = wget_wch(stdscr, &ch);
		if (r == ERR)
			return;
		struct key k = {0};
		if (r == KEY_CODE_YES) {
			k.code = (int)ch;
		} else {
			k.ch = ch;
			if (ch == 27 && !a->paste) {
				struct key seq[2];
				int n = key_after_esc(stdscr, seq);
				if (n == 0)
					continue;    /* an unknown sequence, swallowed */
				if (n == 2)
					handle_key(a, &seq[0]);
				k = seq[n - 1];
			}
		}
		handle_key(a, &k);
		if (a->quit)
			return;
	}
}

/* ---- timers ---- */

static int timers(struct app *a, int64_t now)
{
	int wait = model_tick(&a->m, now);
	struct screen *top = top_screen(a);
	if (top && top->ops->tick && a->ov.kind == OV_NONE) {
		int t = top->ops->tick(top, now);
		if (t >= 0 && t < wait)
			wait = t;
	}
	if (a->toast[0]) {
		if (now >= a->toast_until) {
			a->toast[0] = '\0';
			a->dirty = true;
		} else if (a->toast_until - now < wait) {
			wait = (int)(a->toast_until - now);
		}
	}
	/* The spinner turns while a request is slow (not while reconnecting:
	 * the status bar says so) and on the splash screen. */
	int64_t busy = model_busy_ms(&a->m, now);
	if (!a->started || (busy > 0 && a->m.conn != CONN_OFFLINE)) {
		bool turning = !a->started || busy >= SPINNER_AFTER_MS;
		int t = turning ? SPINNER_STEP_MS : (int)(SPINNER_AFTER_MS - busy);
		if (turning)
			a->dirty = true;
		if (t < wait)
			wait = t;
	}
	if (now >= a->next_clock_redraw) {
		a->next_clock_redraw = now + CLOCK_REDRAW_MS;   /* "3m ago" moves on */
		a->dirty = true;
	}
	if (a->next_clock_redraw - now < wait)
		wait = (int)(a->next_clock_redraw - now);
	return wait < 0 ? 0 : wait;
}

/* ---- start and stop ---- */

static void curses_start(struct app *a)
{
	initscr();
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	define_key("\033[200~", KEY_PASTE_BEGIN);
	define_key("\033[201~", KEY_PASTE_END);
	bool color = a->opts->color && a->cfg.colors != 0;
	const char *no_color = getenv("NO_COLOR");
	if (no_color && no_color[0])
		color = false;
	if (a->cfg.colors == 1 && !(no_color && no_color[0]))
		color = true;
	theme_init(color, &a->cfg.theme);
	if (a->cfg.mouse) {
		mouseinterval(0);
		mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	}
	app_write_tty("\033[?2004h", 8);   /* bracketed paste */
	make_windows(a);
}

static void curses_stop(struct app *a)
{
	WINDOW *all[] = {a->tabbar, a->content, a->status, a->full};
	for (size_t i = 0; i < 4; i++)
		if (all[i])
			delwin(all[i]);
	app_write_tty("\033[?2004l", 8);
	endwin();
}

/* Which server: what main chose (the command line, the environment or
 * the saved session), unless that is only the built-in default and the
 * config file names one. */
static void pick_server(const struct app *a, char *out, size_t size)
{
	char req[1024], pub[1024];
	bool have_default = ag_default_urls(req, sizeof req, pub, sizeof pub) == 0;
	const char *given = a->opts->server_url;
	bool only_default = given == NULL || given[0] == '\0' ||
		(have_default && strcmp(given, req) == 0);
	if (!only_default)
		snprintf(out, size, "%s", given);
	else if (a->cfg.server[0])
		snprintf(out, size, "%s", a->cfg.server);
	else if (have_default)
		snprintf(out, size, "%s", req);
	else
		out[0] = '\0';
}

/* Set by SIGHUP (the terminal or SSH connection went away) and SIGTERM. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* SIGHUP and SIGTERM are blocked except inside ppoll(), so one that
 * arrives between the check and the wait still ends the wait. */
static void loop(struct app *a, const sigset_t *wait_mask)
{
	while (!a->quit && !stop_signal) {
		int64_t now = ag_mono_ms();
		int wait = timers(a, now);
		sweep(a);
		track_view(a);
		if (a->dirty)
			render(a);
		struct pollfd fds[1 + MODEL_MAX_FDS];
		fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		int nfds = 1 + model_poll_fds(&a->m, fds + 1);
		struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
		int n = ppoll(fds, (nfds_t)nfds, &ts, wait_mask);
		if (stop_signal)
			break;
		if (n < 0 && errno != EINTR)
			break;
		if (n < 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (fds[0].revents & (POLLHUP | POLLERR)) {
				a->quit = true;   /* the terminal went away */
				break;
			}
			read_keys(a);     /* also picks up KEY_RESIZE after SIGWINCH */
		}
		if (n > 0)
			model_on_poll(&a->m, fds + 1, nfds - 1);
	}
}

int tui_run(const struct ag_client_opts *opts)
{
	static struct app app;
	struct app *a = &app;
	memset(a, 0, sizeof *a);
	a->opts = opts;
	if (opts->ssh)
		config_defaults(&a->cfg);   /* the host's account is shared: read no file */
	else
		config_load(&a->cfg);
	a->osc = choose_osc(&a->cfg);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "ansigram: the interface needs a terminal; "
			"give a subcommand to use it from a script (try 'ansigram --help')\n");
		return 2;
	}
	int64_t give_up_ms;
	if (!model_give_up_setting(&give_up_ms)) {
		fprintf(stderr, "ansigram: %s wants whole seconds from 1 to 86400, not '%s'\n",
			OUTBOX_GIVE_UP_ENV, getenv(OUTBOX_GIVE_UP_ENV));
		return 2;
	}
	char url[1024];
	pick_server(a, url, sizeof url);
	/* Blocked before any thread starts, so every thread inherits it and
	 * only the main loop's ppoll() takes SIGHUP and SIGTERM. */
	sigset_t stops, old_mask, wait_mask;
	sigemptyset(&stops);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &old_mask);
	wait_mask = old_mask;
	sigdelset(&wait_mask, SIGHUP);
	sigdelset(&wait_mask, SIGTERM);
	int timeout = opts->timeout_ms;   /* 0: wait as long as it takes */
	struct ag_client *client = NULL;
	struct ag_tls tls = {opts->ca_file, opts->tls_server_name};
	/* A server that is not up yet is waited for: the app starts anyway. */
	int rv = url[0] ? ag_client_open_background(&client, url, timeout, &tls) : NNG_EINVAL;
	if (rv != 0) {
		fprintf(stderr, "ansigram: cannot dial the server at %s: %s\n", url[0] ? url : "(none)",
			nng_strerror(rv));
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return 3;
	}
	struct ag_client_opts model_opts = *opts;
	if (!model_opts.pub_url && a->cfg.pub[0])
		model_opts.pub_url = a->cfg.pub;
	if (model_init(&a->m, &model_opts, url, client, on_note, a) != 0) {
		fprintf(stderr, "ansigram: cannot start the request thread\n");
		ag_client_close(client);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return 1;
	}
	ed_init(&a->ov.ed, true);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction stop = {.sa_handler = on_stop_signal};   /* no SA_RESTART: poll returns */
	sigemptyset(&stop.sa_mask);
	sigaction(SIGHUP, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	curses_start(a);
	if (a->cfg.warnings[0]) {
		a->ov.kind = OV_WARNINGS;
		a->ov.scroll = 0;
	}
	a->dirty = true;
	a->next_clock_redraw = ag_mono_ms() + CLOCK_REDRAW_MS;
	model_start(&a->m);
	loop(a, &wait_mask);
	model_drafts_flush(&a->m);   /* first: the terminal may be gone already */
	drop_stacks(a);
	destroy_screen(a->login);
	a->login = NULL;
	curses_stop(a);
	ed_free(&a->ov.ed);
	model_free(&a->m);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return 0;
}
