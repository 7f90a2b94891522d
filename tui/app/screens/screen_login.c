/* screen_login.c: the login and registration forms. Tab and the arrows
 * move between fields, the password is masked, Enter moves on or submits,
 * and mistakes are shown under the field they concern, whether found here
 * (an empty field, a short password) or by the server (a taken name). */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

enum field { F_ACCOUNT, F_USERNAME, F_EMAIL, F_NAME, F_PASSWORD, F_SUBMIT, F_SWITCH, F__COUNT };

struct login {
	struct screen base;
	bool registering;
	struct editor ed[F_PASSWORD + 1];
	enum field focus;
	char error[F__COUNT][200];   /* under each field; F_SUBMIT: the form's */
	bool busy;
	char banner[200];            /* why we are here, e.g. an ended session */
	int field_y[F__COUNT];       /* rows of the last draw, for clicks */
};

static const enum field login_order[] = {F_ACCOUNT, F_PASSWORD, F_SUBMIT, F_SWITCH};
static const enum field register_order[] = {F_USERNAME, F_EMAIL, F_NAME, F_PASSWORD, F_SUBMIT, F_SWITCH};

static const enum field *order(const struct login *l, int *n)
{
	*n = l->registering ? 6 : 4;
	return l->registering ? register_order : login_order;
}

static const char *label(enum field f)
{
	switch (f) {
	case F_ACCOUNT:
		return "Username or email";
	case F_USERNAME:
		return "Username";
	case F_EMAIL:
		return "Email";
	case F_NAME:
		return "Full name (optional)";
	case F_PASSWORD:
		return "Password";
	default:
		return "";
	}
}

static void move_focus(struct login *l, int dir)
{
	int n;
	const enum field *o = order(l, &n);
	int at = 0;
	for (int i = 0; i < n; i++)
		if (o[i] == l->focus)
			at = i;
	at = (at + dir + n) % n;
	l->focus = o[at];
}

static void clear_errors(struct login *l)
{
	memset(l->error, 0, sizeof l->error);
}

static void set_mode(struct login *l, bool registering)
{
	l->registering = registering;
	clear_errors(l);
	if (registering && ed_text(&l->ed[F_ACCOUNT])[0] && !strchr(ed_text(&l->ed[F_ACCOUNT]), '@'))
		ed_set(&l->ed[F_USERNAME], ed_text(&l->ed[F_ACCOUNT]));
	l->focus = registering ? F_USERNAME : F_ACCOUNT;
}

static bool username_ok(const char *s, char *why, size_t size)
{
	size_t n = strlen(s);
	if (n < 3 || n > 30) {
		snprintf(why, size, "3 to 30 characters: a-z, 0-9, dot and underscore.");
		return false;
	}
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_')) {
			snprintf(why, size, "Only letters a-z, digits, dot and underscore.");
			return false;
		}
	}
	return true;
}

/* Checks the form here first; on success sends it. */
static void submit(struct login *l)
{
	if (l->busy)
		return;
	clear_errors(l);
	struct model *m = l->base.m;
	const char *password = ed_text(&l->ed[F_PASSWORD]);
	bool ok = true;
	if (!l->registering) {
		if (!ed_text(&l->ed[F_ACCOUNT])[0]) {
			snprintf(l->error[F_ACCOUNT], sizeof l->error[0], "Enter your username or email.");
			ok = false;
		}
		if (!password[0]) {
			snprintf(l->error[F_PASSWORD], sizeof l->error[0], "Enter your password.");
			ok = false;
		}
		if (!ok) {
			l->focus = l->error[F_ACCOUNT][0] ? F_ACCOUNT : F_PASSWORD;
			return;
		}
		l->busy = true;   /* before sending: a refusal may come at once */
		model_login(m, ed_text(&l->ed[F_ACCOUNT]), password);
	} else {
		const char *email = ed_text(&l->ed[F_EMAIL]);
		if (!username_ok(ed_text(&l->ed[F_USERNAME]), l->error[F_USERNAME], sizeof l->error[0]))
			ok = false;
		if (!strchr(email, '@') || strchr(email, ' ')) {
			snprintf(l->error[F_EMAIL], sizeof l->error[0], "Enter an email address.");
			ok = false;
		}
		if (strlen(password) < 8) {
			snprintf(l->error[F_PASSWORD], sizeof l->error[0], "At least 8 characters.");
			ok = false;
		}
		if (!ok) {
			for (int f = F_USERNAME; f <= F_PASSWORD; f++)
				if (l->error[f][0]) {
					l->focus = f;
					break;
				}
			return;
		}
		l->busy = true;
		model_register(m, ed_text(&l->ed[F_USERNAME]), email, password,
			ed_text(&l->ed[F_NAME]));
	}
}

static bool login_key(struct screen *s, const struct key *k)
{
	struct login *l = (struct login *)s;
	bool is_tab = k->code == 0 && k->ch == '\t' && !k->paste;
	if (is_tab || (k->code == KEY_DOWN)) {
		move_focus(l, 1);
		return true;
	}
	if (k->code == KEY_BTAB || k->code == KEY_UP) {
		move_focus(l, -1);
		return true;
	}
	if (key_is(k, ACT_SUBMIT)) {
		submit(l);
		return true;
	}
	bool enter = key_is(k, ACT_OPEN);
	if (l->focus == F_SUBMIT || l->focus == F_SWITCH) {
		if (enter || (k->code == 0 && k->ch == ' ')) {
			if (l->focus == F_SUBMIT)
				submit(l);
			else
				set_mode(l, !l->registering);
		} else if (k->code == 0 && k->ch == 27) {
			l->focus = l->registering ? F_USERNAME : F_ACCOUNT;
		}
		return true;
	}
	enum ed_result r = ed_key(&l->ed[l->focus], k);
	if (r == ED_SUBMIT) {
		if (l->focus == F_PASSWORD)
			submit(l);
		else
			move_focus(l, 1);
	} else if (r == ED_CHANGED) {
		l->error[l->focus][0] = '\0';
	}
	return true;   /* the form takes every key; Ctrl-C still quits */
}

static void draw_button(WINDOW *w, int y, int x, const char *text, bool focus, bool primary)
{
	char buf[64];
	snprintf(buf, sizeof buf, focus ? "[ %s ]" : "  %s  ", text);
	attr_t a = focus ? th(TH_TAB_ON) : primary ? th(TH_ACCENT) : th(TH_DIM);
	put_str(w, y, x, 40, buf, a);
}

static void login_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct login *l = (struct login *)s;
	struct model *m = s->m;
	int n;
	const enum field *o = order(l, &n);
	int inputs = n - 2;
	/* On a short terminal each label sits beside its field and the
	 * tagline goes. */
	bool compact = 4 + 8 + inputs * 3 + 3 > rows;
	int per_field = compact ? 2 : 3, above = compact ? 2 : 4;
	int box_w = 56, box_h = 8 + inputs * per_field;
	int x0 = (cols - box_w) / 2, y0 = (rows - box_h) / 2;
	if (compact)
		y0 = above + (rows - above - 2 - box_h > 0 ? (rows - above - 2 - box_h) / 2 : 0);
	if (y0 < above)
		y0 = above;
	put_str(w, y0 - above, (cols - 8) / 2, 8, "ansigram", th(TH_BRAND));
	const char *tagline = "share moments from your terminal";
	if (!compact)
		put_str(w, y0 - 3, (cols - (int)strlen(tagline)) / 2, cols, tagline, th(TH_DIM));
	/* The frame, drawn by hand so the box can sit in any window. */
	mvwaddch(w, y0, x0, ACS_ULCORNER | th(TH_BORDER));
	mvwhline(w, y0, x0 + 1, ACS_HLINE | th(TH_BORDER), box_w - 2);
	mvwaddch(w, y0, x0 + box_w - 1, ACS_URCORNER | th(TH_BORDER));
	mvwvline(w, y0 + 1, x0, ACS_VLINE | th(TH_DIM), box_h - 2);
	mvwvline(w, y0 + 1, x0 + box_w - 1, ACS_VLINE | th(TH_DIM), box_h - 2);
	mvwaddch(w, y0 + box_h - 1, x0, ACS_LLCORNER | th(TH_BORDER));
	mvwhline(w, y0 + box_h - 1, x0 + 1, ACS_HLINE | th(TH_BORDER), box_w - 2);
	mvwaddch(w, y0 + box_h - 1, x0 + box_w - 1, ACS_LRCORNER | th(TH_BORDER));

	int x = x0 + 3, fw = box_w - 6;
	int y = y0 + 1;
	put_str(w, y, x, fw, l->registering ? "Create your account" : "Log in", th(TH_TITLE));
	y += 2;
	for (int i = 0; i < inputs; i++) {
		enum field f = o[i];
		bool focus = l->focus == f;
		int label_w = compact ? 22 : 0;
		int fy = compact ? y : y + 1;
		put_fit(w, y, x, compact ? label_w - 1 : fw, label(f), focus ? th(TH_ACCENT) : th(TH_NORMAL));
		put_fill(w, fy, x + label_w, fw - label_w, th(TH_INPUT));
		int cy, cx;
		ed_draw(&l->ed[f], w, fy, x + label_w, 1, fw - label_w, th(TH_INPUT), &cy, &cx);
		if (focus) {
			s->cur_y = cy;
			s->cur_x = cx;
		}
		l->field_y[f] = fy;
		if (l->error[f][0])
			put_fit(w, fy + 1, x + label_w, fw - label_w, l->error[f], th(TH_ERROR));
		y += per_field;
	}
	if (l->error[F_SUBMIT][0])
		put_fit(w, y, x, fw, l->error[F_SUBMIT], th(TH_ERROR));
	else if (l->busy)
		put_str(w, y, x, fw, l->registering ? "Creating your account…" : "Logging in…", th(TH_DIM));
	else if (l->banner[0])
		put_fit(w, y, x, fw, l->banner, th(TH_WARN));
	y += 2;
	draw_button(w, y, x, l->registering ? "Create account" : "Log in", l->focus == F_SUBMIT, true);
	draw_button(w, y, x + 22, l->registering ? "I have an account" : "Create an account",
		l->focus == F_SWITCH, false);
	l->field_y[F_SUBMIT] = l->field_y[F_SWITCH] = y;
	if (l->focus == F_SUBMIT || l->focus == F_SWITCH)
		s->cur_y = -1;

	const char *help = "Tab next field  ·  Enter continue  ·  Ctrl-C quit";
	int below = compact ? y0 + box_h : y0 + box_h + 1;
	put_str(w, below, (cols - text_cols(help, strlen(help))) / 2, cols, help, th(TH_DIM));
	char where[1200];
	const char *state = m->conn == CONN_ONLINE ? "connected" : m->conn == CONN_OFFLINE
		? "unreachable, retrying" : "connecting";
	snprintf(where, sizeof where, "%s  ·  %s", m->server_url, state);
	int wc = text_cols(where, strlen(where));
	put_fit(w, below + 1, wc < cols ? (cols - wc) / 2 : 0, cols, where,
		m->conn == CONN_OFFLINE ? th(TH_WARN) : th(TH_DIM));
}

static void login_click(struct screen *s, int y, int x)
{
	struct login *l = (struct login *)s;
	int n;
	const enum field *o = order(l, &n);
	for (int i = 0; i < n; i++) {
		enum field f = o[i];
		if (l->field_y[f] != y)
			continue;
		if (f == F_SUBMIT || f == F_SWITCH) {
			int bx = (COLS - 56) / 2 + 3;
			if (x >= bx + 22) {
				set_mode(l, !l->registering);
			} else {
				l->focus = F_SUBMIT;
				submit(l);
			}
			return;
		}
		l->focus = f;
		return;
	}
}

static void login_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)id;
	struct login *l = (struct login *)s;
	if (n != NOTE_AUTH_FAILED)
		return;
	l->busy = false;
	static const enum field by_aux[] = {F_SUBMIT, F_USERNAME, F_EMAIL, F_PASSWORD, F_NAME};
	enum field f = aux >= 0 && aux < 5 ? by_aux[aux] : F_SUBMIT;
	if (!l->registering && (f == F_USERNAME || f == F_EMAIL))
		f = F_ACCOUNT;
	snprintf(l->error[f], sizeof l->error[0], "%s", msg);
	if (f != F_SUBMIT)
		l->focus = f;
	else if (!l->registering)
		l->focus = F_PASSWORD;
}

static void login_destroy(struct screen *s)
{
	struct login *l = (struct login *)s;
	for (int f = 0; f <= F_PASSWORD; f++)
		ed_free(&l->ed[f]);
	free(l);
}

static struct editor *login_field(struct screen *s)
{
	struct login *l = (struct login *)s;
	return l->focus <= F_PASSWORD ? &l->ed[l->focus] : NULL;
}

static const struct screen_ops login_ops = {
	.draw = login_draw,
	.key = login_key,
	.click = login_click,
	.note = login_note,
	.destroy = login_destroy,
	.field = login_field,
};

struct screen *screen_login_new(struct app *a, const char *why)
{
	struct login *l = calloc(1, sizeof *l);
	if (l == NULL)
		abort();
	l->base = (struct screen){.ops = &login_ops, .app = a, .m = app_model(a), .full = true,
		.typing = true, .keys = KEYS_TEXT};
	for (int f = 0; f <= F_PASSWORD; f++)
		ed_init(&l->ed[f], true);
	l->ed[F_PASSWORD].masked = true;
	l->ed[F_ACCOUNT].max_chars = 254;
	l->ed[F_USERNAME].max_chars = 30;
	l->ed[F_EMAIL].max_chars = 254;
	l->ed[F_NAME].max_chars = 100;
	l->ed[F_PASSWORD].max_chars = 256;
	l->focus = F_ACCOUNT;
	if (why)
		snprintf(l->banner, sizeof l->banner, "%s", why);
	return &l->base;
}
