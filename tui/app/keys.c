/* keys.c: which keys do what, the one table both the screens' dispatch
 * and the help overlay read. Every action has default keys (vim keys next
 * to arrows) and a kind of screen where they work (everywhere, posts,
 * activity, stories, profiles, text fields); no key does two things on
 * any one screen, and the config file's "key.<action> = KEYS" is refused
 * when it would make one. Also decodes escape sequences curses did not
 * know. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

struct binding {
	int code;        /* KEY_* or 0 */
	wint_t ch;       /* character when code is 0 */
};

#define MAX_KEYS 4

struct action_info {
	const char *name;      /* for the config file */
	const char *section;   /* its heading in the help */
	const char *help;
	const char *defaults;  /* space-separated key names */
	unsigned ctx;          /* the kind of screen where it works (KC_*) */
	struct binding keys[MAX_KEYS];
	int n_keys;
};

static struct action_info actions[ACT__COUNT] = {
	[ACT_UP] = {"up", "Moving", "previous item", "k Up", KC_ALL},
	[ACT_DOWN] = {"down", "Moving", "next item", "j Down", KC_ALL},
	[ACT_TOP] = {"top", "Moving", "first item", "g Home", KC_ALL},
	[ACT_BOTTOM] = {"bottom", "Moving", "last item", "G End", KC_ALL},
	[ACT_PAGE_UP] = {"page_up", "Moving", "page up", "PgUp C-b", KC_ALL},
	[ACT_PAGE_DOWN] = {"page_down", "Moving", "page down", "PgDn C-f", KC_ALL},
	[ACT_LEFT] = {"left", "Moving", "back / left", "h Left", KC_ALL},
	[ACT_RIGHT] = {"right", "Moving", "right", "Right", KC_ALL},
	[ACT_OPEN] = {"open", "Moving", "open", "Enter", KC_ALL},
	[ACT_BACK] = {"back", "Moving", "back (q quits on a first screen)", "Esc q", KC_ALL},
	[ACT_QUIT] = {"quit", "Moving", "quit ansigram", "C-c", KC_ALL},
	[ACT_NEXT_TAB] = {"next_tab", "Screens", "next screen", "Tab", KC_ALL},
	[ACT_PREV_TAB] = {"prev_tab", "Screens", "previous screen", "S-Tab", KC_ALL},
	[ACT_TAB_HOME] = {"home", "Screens", "home", "1", KC_ALL},
	[ACT_TAB_SEARCH] = {"search_tab", "Screens", "search", "2", KC_ALL},
	[ACT_TAB_ACTIVITY] = {"activity", "Screens", "notifications", "3", KC_ALL},
	[ACT_TAB_MESSAGES] = {"messages", "Screens", "messages", "4", KC_ALL},
	[ACT_TAB_PROFILE] = {"profile", "Screens", "my profile", "5", KC_ALL},
	[ACT_TAB_NEW] = {"new", "Screens", "new post", "6", KC_ALL},
	[ACT_HELP] = {"help", "Screens", "this help", "?", KC_ALL},
	[ACT_NEW_POST] = {"new_post", "Actions", "new post", "n", KC_ALL},
	[ACT_NEW_STORY] = {"new_story", "Actions", "new story", "s", KC_ALL},
	[ACT_MESSAGE] = {"message", "Actions", "message someone", "m", KC_ALL},
	[ACT_SEARCH] = {"search", "Actions", "search", "/", KC_ALL},
	[ACT_REFRESH] = {"refresh", "Actions", "refresh", "r", KC_ALL},
	[ACT_REDRAW] = {"redraw", "Actions", "redraw the screen", "C-l", KC_ALL},
	[ACT_LIKE] = {"like", "Posts", "like / unlike", "l", KC_POSTS},
	[ACT_COMMENT] = {"comment", "Posts", "comment", "c", KC_POSTS},
	[ACT_FOLLOW] = {"follow", "Posts", "follow / unfollow", "f", KC_POSTS},
	[ACT_AUTHOR] = {"author", "Posts", "author's profile", "p", KC_POSTS},
	[ACT_DELETE] = {"delete", "Posts", "delete (mine)", "d Delete", KC_POSTS},
	[ACT_MENTION] = {"mention", "Posts", "open an @mention's profile", "@", KC_POSTS},
	[ACT_OPEN_LINK] = {"open_link", "Posts", "open or copy the image URL", "o", KC_POSTS},
	[ACT_EDIT] = {"edit", "Profile", "edit my profile", "e", KC_PROFILE},
	[ACT_LOGOUT] = {"logout", "Profile", "log out", "X", KC_PROFILE},
	[ACT_MARK_READ] = {"mark_read", "Activity", "mark read", "Space", KC_ACTIVITY},
	[ACT_MARK_ALL_READ] = {"mark_all_read", "Activity", "mark all read", "a", KC_ACTIVITY},
	[ACT_PAUSE] = {"pause", "Stories", "pause a story", "Space", KC_STORY},
	[ACT_SUBMIT] = {"submit", "Text fields", "publish / send", "C-s", KC_TEXT},
	[ACT_EXTERNAL_EDITOR] = {"external_editor", "Text fields", "write it in $EDITOR", "C-e",
		KC_TEXT},
};

/* The kinds of screen that are on view together: two actions may share a
 * key only when no screen has both their kinds. */
static const unsigned screen_kinds[] = {
	KEYS_FEED, KEYS_POST, KEYS_PROFILE, KEYS_ACTIVITY, KEYS_STORY, KEYS_TEXT,
};

static const struct {
	const char *name;
	int code;
	wint_t ch;
} named[] = {
	{"Up", KEY_UP, 0}, {"Down", KEY_DOWN, 0}, {"Left", KEY_LEFT, 0}, {"Right", KEY_RIGHT, 0},
	{"Home", KEY_HOME, 0}, {"End", KEY_END, 0}, {"PgUp", KEY_PPAGE, 0},
	{"PgDn", KEY_NPAGE, 0}, {"Delete", KEY_DC, 0}, {"Insert", KEY_IC, 0},
	{"Backspace", KEY_BACKSPACE, 0}, {"S-Tab", KEY_BTAB, 0}, {"Enter", 0, '\r'},
	{"Esc", 0, 27}, {"Tab", 0, '\t'}, {"Space", 0, ' '},
};

static bool parse_key(const char *name, struct binding *b)
{
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strcasecmp(name, named[i].name) == 0) {
			b->code = named[i].code;
			b->ch = named[i].ch;
			return true;
		}
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3]) {
		char c = name[2];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c < 'a' || c > 'z')
			return false;
		b->code = 0;
		b->ch = (wint_t)CTRL(c);
		return true;
	}
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
		int n = atoi(name + 1);
		if (n < 1 || n > 12)
			return false;
		b->code = KEY_F(n);
		b->ch = 0;
		return true;
	}
	/* One character, possibly multi-byte. */
	wchar_t wc;
	mbstate_t st = {0};
	size_t n = mbrtowc(&wc, name, strlen(name), &st);
	if (n == 0 || n == (size_t)-1 || n == (size_t)-2 || name[n] != '\0')
		return false;
	b->code = 0;
	b->ch = (wint_t)wc;
	return true;
}

/* Parses a list of key names into a; false (a unchanged) on a bad name. */
static bool set_keys(struct action_info *a, const char *list, char *bad, size_t bad_size)
{
	struct binding keys[MAX_KEYS];
	int n = 0;
	char copy[128];
	snprintf(copy, sizeof copy, "%s", list);
	for (char *save = NULL, *tok = strtok_r(copy, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (n == MAX_KEYS || !parse_key(tok, &keys[n])) {
			snprintf(bad, bad_size, "%s", tok);
			return false;
		}
		n++;
	}
	memcpy(a->keys, keys, sizeof keys);
	a->n_keys = n;
	return true;
}

static void keys_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	char bad[32];
	for (int i = 0; i < ACT__COUNT; i++)
		set_keys(&actions[i], actions[i].defaults, bad, sizeof bad);
}

bool key_is(const struct key *k, enum action a)
{
	keys_init();
	if (k->paste)
		return false;
	const struct action_info *info = &actions[a];
	for (int i = 0; i < info->n_keys; i++) {
		const struct binding *b = &info->keys[i];
		if (b->code ? k->code == b->code : (k->code == 0 && k->ch == b->ch && !k->alt))
			return true;
		/* Enter arrives as \r, \n or the keypad's KEY_ENTER. */
		if (b->code == 0 && b->ch == '\r' && (k->code == KEY_ENTER || (k->code == 0 && k->ch == '\n')))
			return true;
		if (b->code == KEY_BACKSPACE && k->code == 0 && (k->ch == 127 || k->ch == 8))
			return true;
	}
	return false;
}

bool key_bound(const struct key *k)
{
	for (int a = 0; a < ACT__COUNT; a++)
		if (key_is(k, a))
			return true;
	return false;
}

bool key_char(const struct key *k, wint_t *out)
{
	if (k->code || k->paste || k->alt || k->ch < 0x20 || k->ch == 0x7f)
		return false;
	*out = k->ch;
	return true;
}

static bool same_key(const struct binding *x, const struct binding *y)
{
	return x->code == y->code && x->ch == y->ch;
}

static bool on_view_together(unsigned ctx_a, unsigned ctx_b)
{
	for (size_t i = 0; i < sizeof screen_kinds / sizeof screen_kinds[0]; i++)
		if ((screen_kinds[i] & ctx_a) && (screen_kinds[i] & ctx_b))
			return true;
	return false;
}

static void describe(const struct binding *b, char *out, size_t size);

/* The action a shares a key with on some screen, or -1; the key's name
 * goes to key. */
static int clash_of(int a, char *key, size_t key_size)
{
	for (int b = 0; b < ACT__COUNT; b++) {
		if (b == a || !on_view_together(actions[a].ctx, actions[b].ctx))
			continue;
		for (int i = 0; i < actions[a].n_keys; i++)
			for (int j = 0; j < actions[b].n_keys; j++)
				if (same_key(&actions[a].keys[i], &actions[b].keys[j])) {
					describe(&actions[a].keys[i], key, key_size);
					return b;
				}
	}
	return -1;
}

bool keys_check(char *why, size_t why_size)
{
	keys_init();
	for (int a = 0; a < ACT__COUNT; a++) {
		char key[16];
		int b = clash_of(a, key, sizeof key);
		if (b >= 0) {
			snprintf(why, why_size, "%s is both %s and %s", key, actions[a].name,
				actions[b].name);
			return false;
		}
	}
	return true;
}

bool keys_bind(const char *action, const char *keys, char *why, size_t why_size)
{
	keys_init();
	for (int i = 0; i < ACT__COUNT; i++) {
		if (strcmp(actions[i].name, action) != 0)
			continue;
		struct action_info before = actions[i];
		char bad[32];
		if (!set_keys(&actions[i], keys, bad, sizeof bad)) {
			snprintf(why, why_size, "unknown key '%s' for %s", bad, action);
			return false;
		}
		char key[16];
		int other = clash_of(i, key, sizeof key);
		if (other >= 0) {
			actions[i] = before;
			snprintf(why, why_size, "%s for %s is already %s", key, action,
				actions[other].name);
			return false;
		}
		return true;
	}
	snprintf(why, why_size, "unknown action '%s'", action);
	return false;
}

static void describe(const struct binding *b, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].code == b->code && named[i].ch == b->ch) {
			snprintf(out, size, "%s", named[i].name);
			return;
		}
	if (b->code >= KEY_F(1) && b->code <= KEY_F(12)) {
		snprintf(out, size, "F%d", b->code - KEY_F(0));
		return;
	}
	if (b->code == 0 && b->ch < 0x20) {
		snprintf(out, size, "C-%c", (char)(b->ch + 'a' - 1));
		return;
	}
	char mb[8] = "";
	mbstate_t st = {0};
	size_t n = wcrtomb(mb, (wchar_t)b->ch, &st);
	if (n == (size_t)-1)
		n = 0;
	mb[n] = '\0';
	snprintf(out, size, "%s", mb);
}

void keys_describe(enum action a, char *out, size_t size)
{
	keys_init();
	out[0] = '\0';
	size_t used = 0;
	for (int i = 0; i < actions[a].n_keys && used + 1 < size; i++) {
		char one[16];
		describe(&actions[a].keys[i], one, sizeof one);
		int n = snprintf(out + used, size - used, "%s%s", i ? " " : "", one);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

const char *action_help(enum action a)
{
	return actions[a].help;
}

const char *action_section(enum action a)
{
	return actions[a].section;
}

unsigned action_kind(enum action a)
{
	return actions[a].ctx;
}

/* ---- escape sequences curses did not know ---- */

#define SEQ_WAIT_MS 50   /* the rest of a sequence is normally already read */

/* The next character of a sequence, or 0 when none came in time or it
 * was a function key. */
static wint_t seq_next(WINDOW *w)
{
	wint_t ch;
	return wget_wch(w, &ch) == OK ? ch : 0;
}

/* The key a CSI sequence (ESC [ params final) stands for, or 0. */
static int csi_key(int param, wint_t final)
{
	switch (final) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'Z': return KEY_BTAB;
	case '~':
		break;
	default:
		return 0;
	}
	switch (param) {
	case 1: case 7: return KEY_HOME;
	case 4: case 8: return KEY_END;
	case 2: return KEY_IC;
	case 3: return KEY_DC;
	case 5: return KEY_PPAGE;
	case 6: return KEY_NPAGE;
	default: return 0;
	}
}

/* The key an SS3 sequence (ESC O x) stands for, or 0. */
static int ss3_key(wint_t x)
{
	switch (x) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'M': return KEY_ENTER;
	case 'P': case 'Q': case 'R': case 'S': return KEY_F(1 + (int)(x - 'P'));
	default: return 0;
	}
}

/* Reads the rest of a CSI sequence up to its final byte (ESC [ already
 * read) and returns its key, or 0 for one we do not know or a broken one:
 * either way the whole sequence is gone, none of it typed. */
static int read_csi(WINDOW *w)
{
	int param = -1;         /* the first parameter */
	bool first = true;
	for (int n = 0; n < 32; n++) {
		wint_t c = seq_next(w);
		if (c >= 0x40 && c <= 0x7E)
			return csi_key(param < 0 ? 1 : param, c);
		if (c < 0x20 || c > 0x3F)
			return 0;    /* not a CSI byte: the sequence was cut */
		if (c == ';' || c == ':')
			first = false;
		else if (first && c >= '0' && c <= '9')
			param = (param < 0 ? 0 : param) * 10 + (int)(c - '0');
		if (param > 9999)
			param = 9999;
	}
	return 0;
}

int key_after_esc(WINDOW *w, struct key out[2])
{
	wint_t next;
	int r = wget_wch(w, &next);
	int delay = wgetdelay(w);
	wtimeout(w, SEQ_WAIT_MS);
	int n = 1;
	out[0] = (struct key){.ch = 27};
	if (r == KEY_CODE_YES) {
		out[n++] = (struct key){.code = (int)next};   /* Esc, then the key */
	} else if (r == OK && next == '[') {
		int code = read_csi(w);
		out[0] = (struct key){.code = code};
		n = code ? 1 : 0;
	} else if (r == OK && next == 'O') {
		wint_t x = seq_next(w);
		int code = x ? ss3_key(x) : 0;
		out[0] = x ? (struct key){.code = code} : (struct key){.ch = 'O', .alt = true};
		n = x && !code ? 0 : 1;
	} else if (r == OK) {
		out[0] = (struct key){.ch = next, .alt = true};
	}
	wtimeout(w, delay);
	return n;
}
