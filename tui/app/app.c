/* app.c: the TUI's main loop and frame. One poll() waits on the keyboard,
 * the request worker's pipe, the push socket and the connection monitor;
 * nothing else wakes the program except timers the interface itself needs
 * (a toast fading, a story advancing, a spinner turning, the keep-alive).
 * Each tab (Home, Search, Activity, Messages, Profile, New) keeps its own
 * stack of screens. Drawing the frame is in app_chrome.c, overlays (help,
 * a question, a prompt) in app_overlays.c, desktop notifications in
 * app_notify.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "app_int.h"
#include "photofetch.h"
#include "photoview.h"

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

struct screen *app_top_screen(struct app *a)
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
	struct screen *top = app_top_screen(a);
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
			app_ring(a, msg);
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

/* ---- input ---- */
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
	struct screen *top = app_top_screen(a);
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
	struct screen *top = app_top_screen(a);
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
		app_layout_tabs(a, &l);
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
	struct screen *top = app_top_screen(a);
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
		app_overlay_key(a, k);
		return;
	}
	struct screen *top = app_top_screen(a);
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
	struct screen *top = app_top_screen(a);
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
			app_render(a);
		struct pollfd fds[2 + MODEL_MAX_FDS];
		fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		int nfds = 1 + model_poll_fds(&a->m, fds + 1);
		int photo_fd = nfds;   /* the photo connection's pipe, last */
		fds[nfds++] = (struct pollfd){.fd = photofetch_fd(), .events = POLLIN};
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
			model_on_poll(&a->m, fds + 1, photo_fd - 1);
		if (n > 0 && (fds[photo_fd].revents & POLLIN) && photofetch_drain())
			a->dirty = true;
		/* Photos that failed while the server was away are asked for
		 * again once it is back. */
		if (a->m.conn == CONN_ONLINE && a->last_conn != CONN_ONLINE) {
			photoview_forget_failures();
			a->dirty = true;
		}
		a->last_conn = a->m.conn;
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
	a->osc = app_choose_osc(&a->cfg);
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
	/* Photos: the mode is settled (asking the terminal) before curses
	 * starts; they come, and the composer's go, over a connection of their
	 * own. */
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	bool photo_color = a->cfg.colors == 1 || (a->opts->color && a->cfg.colors != 0);
	photoview_init((enum images_setting)a->cfg.images, photo_color, tty);
	if (tty >= 0)
		close(tty);
	photofetch_start(url, timeout, &tls);
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
	photofetch_stop();
	photoview_shutdown();
	ed_free(&a->ov.ed);
	model_free(&a->m);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return 0;
}
