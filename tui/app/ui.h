/* ui.h: the interface's shared pieces: keys and their actions, the theme
 * and glyphs, drawing helpers for text that came from other people, the
 * list box that scrolls cards of any height, the screen interface and what
 * the app offers screens (navigation, overlays, toasts). Screens render
 * the model and call its intents; they never talk to the server. */
#ifndef TUI_UI_H
#define TUI_UI_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "model.h"

/* ---- keys (keys.c) ---- */

enum action {
	ACT_UP, ACT_DOWN, ACT_TOP, ACT_BOTTOM, ACT_PAGE_UP, ACT_PAGE_DOWN, ACT_LEFT, ACT_RIGHT,
	ACT_OPEN, ACT_BACK, ACT_QUIT, ACT_NEXT_TAB, ACT_PREV_TAB,
	ACT_TAB_HOME, ACT_TAB_SEARCH, ACT_TAB_ACTIVITY, ACT_TAB_MESSAGES, ACT_TAB_PROFILE, ACT_TAB_NEW,
	ACT_HELP, ACT_LIKE, ACT_COMMENT, ACT_FOLLOW, ACT_NEW_POST, ACT_NEW_STORY, ACT_MESSAGE, ACT_SEARCH,
	ACT_REFRESH, ACT_DELETE, ACT_AUTHOR, ACT_EDIT, ACT_MARK_READ, ACT_MARK_ALL_READ, ACT_PAUSE,
	ACT_SUBMIT, ACT_LOGOUT, ACT_REDRAW, ACT_EXTERNAL_EDITOR, ACT_MENTION, ACT_OPEN_LINK,
	ACT__COUNT
};

/* The kinds of screen an action's keys work on. A screen is one or more
 * kinds (struct screen's keys, one of the KEYS_* sets); on any screen a
 * key belongs to one action at most. */
enum key_kind {
	KC_ALL = 1,         /* everywhere */
	KC_POSTS = 2,       /* the feed, profiles, tags, a post */
	KC_ACTIVITY = 4,
	KC_STORY = 8,
	KC_PROFILE = 16,
	KC_TEXT = 32,       /* screens with a text field */
};
#define KEYS_FEED (KC_ALL | KC_POSTS)
#define KEYS_POST (KC_ALL | KC_POSTS | KC_TEXT)
#define KEYS_PROFILE (KC_ALL | KC_POSTS | KC_PROFILE)
#define KEYS_ACTIVITY (KC_ALL | KC_ACTIVITY)
#define KEYS_STORY (KC_ALL | KC_STORY)
#define KEYS_TEXT (KC_ALL | KC_TEXT)

/* One key press: a function key (code, e.g. KEY_UP) or a character. */
struct key {
	int code;        /* KEY_* when non-zero */
	wint_t ch;       /* the character when code is 0 */
	bool alt;        /* pressed with Alt (arrived after Esc) */
	bool paste;      /* part of a bracketed paste */
};

#define KEY_PASTE_BEGIN (KEY_MAX + 1)
#define KEY_PASTE_END (KEY_MAX + 2)
#define CTRL(c) ((c) & 0x1f)

bool key_is(const struct key *k, enum action a);
/* Decodes what follows an Esc read from w: Alt+key, a plain Esc, Esc and
 * a function key, or a CSI or SS3 sequence curses did not know (Home as
 * ESC [ 1 ~ or ESC O H, End as ESC [ 4 ~ ...; unknown ones are swallowed
 * whole). Fills out with 0, 1 or 2 keys and returns how many. */
int key_after_esc(WINDOW *w, struct key out[2]);
/* A printable character typed (not a paste, not Alt): for list screens
 * that take a few letters themselves. */
bool key_char(const struct key *k, wint_t *out);
/* True when some action is bound to k. */
bool key_bound(const struct key *k);
/* Reads "key.<action> = KEYS" from the config; false with why (and the
 * keys unchanged) when the action or a key name is unknown or a key would
 * do two things on one screen. */
bool keys_bind(const char *action, const char *keys, char *why, size_t why_size);
/* True when no key does two things on any screen; else false with why. */
bool keys_check(char *why, size_t why_size);
/* The keys bound to a, for the help overlay ("j, Down"). */
void keys_describe(enum action a, char *out, size_t size);
const char *action_help(enum action a);
const char *action_section(enum action a);
/* The kind of screen (KC_*) where a's keys work. */
unsigned action_kind(enum action a);

/* ---- config (config.c) ---- */

/* ---- themes (theme.c) ---- */

/* What is drawn in which colours: each role has a style in the theme. */
enum role {
	TH_NORMAL, TH_DIM, TH_BOLD, TH_ACCENT, TH_TAG, TH_MENTION, TH_URL, TH_AUTHOR, TH_LIKED,
	TH_ERROR, TH_OK, TH_WARN, TH_BAR, TH_BAR_KEY, TH_TAB, TH_TAB_ON, TH_BADGE, TH_SELECT,
	TH_UNREAD, TH_BANNER, TH_BUBBLE_ME, TH_BUBBLE_THEM, TH_RING, TH_RING_SEEN, TH_PROGRESS,
	TH_PROGRESS_BG, TH_INPUT, TH_TITLE, TH_BRAND, TH_HEADER, TH_HANDLE, TH_LIVE, TH_OFFLINE,
	TH_TIME, TH_COUNT, TH_BORDER, TH_PANEL, TH_TAG_TITLE, TH_FOLLOWING, TH_PLACEHOLDER,
	TH_STORY_SELECTED,
	TH__COUNT
};

#define THEME_DEFAULT (-1)       /* the terminal's own foreground or background */
#define THEME_RGB 0x1000000      /* set on #rrggbb colours, in the low 24 bits */

/* A role's colours (THEME_DEFAULT, 0..255, or THEME_RGB | rgb) and
 * attributes (A_BOLD...). */
struct role_style {
	int fg, bg;
	attr_t attrs;
};

struct theme {
	char name[64];
	struct role_style style[TH__COUNT];
	bool ansi16_below_256;   /* dark: ansi16's look where 256 colours are missing */
};

struct config {
	char server[1024];
	char pub[1024];
	int colors;            /* 1 on, 0 off, -1 decided by the terminal */
	bool notifications;    /* BEL and desktop notifications */
	int osc;               /* 9, 777, or 0 to choose by terminal */
	bool mouse;
	int images;            /* photos: an enum images_setting (termprobe.h) */
	char path[1024];
	struct theme theme;
	char warnings[4096];   /* problems found while reading, one a line, for the panel */
};

/* Reads $XDG_CONFIG_HOME/ansigram/config (absent is fine). */
void config_load(struct config *cfg);
/* The settings without any file (what config_load starts from). */
void config_defaults(struct config *cfg);
/* Adds a line to cfg->warnings (cfg may be NULL: nothing to report to). */
void config_warn(struct config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A theme name that can only name a file in the themes directory. */
bool theme_name_ok(const char *name);
/* Reads theme `name` into cfg->theme: bundled, or the user's file (when
 * read_files); warns and uses dark when there is neither. */
void theme_load(struct config *cfg, const char *name, bool read_files);

/* ---- glyphs and drawing (draw.c) ---- */

struct glyphs {
	const char *heart, *heart_empty, *comment, *image, *ring, *ring_seen, *plus;
	const char *bar_full, *bar_empty, *select, *dot, *ellipsis, *sep, *live, *offline;
	const char *mask, *arrow_up, *mail;
	const char *const *spinner;
	int spinner_frames;
};

extern struct glyphs g;

/* Picks the glyphs: Unicode, or ASCII in a non-UTF-8 locale. */
void glyphs_init(void);
/* Puts theme t on the terminal (theme.c) with the colours it has, or
 * attributes alone when color is false or it has none; and the glyphs. */
void theme_init(bool color, const struct theme *t);
attr_t th(enum role r);

/* Draws sanitized UTF-8 text at (y, x) in at most maxw columns; any
 * control character still present is drawn as U+FFFD. Returns the
 * columns used. */
int put_text(WINDOW *w, int y, int x, int maxw, const char *s, size_t len, attr_t a);
int put_str(WINDOW *w, int y, int x, int maxw, const char *s, attr_t a);
/* As put_str, ending with an ellipsis when it does not fit. */
int put_fit(WINDOW *w, int y, int x, int maxw, const char *s, attr_t a);
/* Right-aligned text ending two columns before cols, for the hints at the
 * end of a title line: cut with an ellipsis, or left out, so it never
 * runs into what ends at left_end. Returns the columns used. */
int put_right(WINDOW *w, int y, int left_end, int cols, const char *s, attr_t a);
void put_fill(WINDOW *w, int y, int x, int width, attr_t a);

/* Per-byte classes for #tags, @mentions and URLs. */
enum { CLS_TEXT, CLS_TAG, CLS_MENTION, CLS_URL };
void rich_classes(const char *s, size_t len, unsigned char *cls);
attr_t rich_attr(unsigned char cls, attr_t base);
/* Draws s[0..len) with its classes. Returns columns used. */
int put_rich(WINDOW *w, int y, int x, int maxw, const char *s, size_t len,
	const unsigned char *cls, attr_t base);

/* A wrapped line of text: bytes [off, off + len) of the original. */
struct span {
	size_t off, len;
};

/* Word-wraps s (sanitized, may hold \n) to width columns. Fills up to max
 * spans and returns how many lines there are in total. */
int wrap_text(const char *s, int width, struct span *lines, int max);
/* Columns of s[0..len). */
int text_cols(const char *s, size_t len);
/* Byte length of the next character cluster at s (a character with its
 * combining marks, variation selectors, skin tone and joined emoji, or a
 * flag's pair of regional indicators). */
size_t cluster_len(const char *s, size_t len);

/* ---- list box: cards of any height, scrolled by rows (list.c) ---- */

/* Drawing one item: rows go through a pen that only paints what is
 * visible, and only counts when measuring. */
struct pen {
	WINDOW *w;
	int vy;          /* the item's current row, in list coordinates */
	int top;         /* list row at the window's first row */
	int rows;        /* visible rows */
	int y0, x0;      /* where the list area starts in the window */
	int width;
	bool measure;
};

/* The window row for the pen's current row, or -1 when not visible. */
int pen_row(const struct pen *p);

typedef void (*item_fn)(void *ctx, int idx, struct pen *p, bool selected);

struct listbox {
	int sel;
	int scroll;      /* list row at the top of the view */
	int n;
	int *off, *h;    /* per item, from the last draw */
	int cap;
	int total, rows;
	bool follow;     /* bring sel fully into view at the next draw */
	bool stick_bottom; /* keep the end in view (chat threads) */
};

void listbox_free(struct listbox *lb);
void listbox_draw(struct listbox *lb, WINDOW *w, int y0, int x0, int rows, int width,
	int n, item_fn fn, void *ctx);
/* Moves the selection for up/down/top/bottom/page keys; true if used. */
bool listbox_key(struct listbox *lb, const struct key *k);
/* The item at window row y (of the last draw), or -1. */
int listbox_hit(const struct listbox *lb, int y);
void listbox_select(struct listbox *lb, int idx);
/* True when the selection is within `margin` items of the end. */
bool listbox_near_end(const struct listbox *lb, int margin);

/* ---- text editor (editor.c) ---- */

struct editor {
	char *buf;
	size_t len, cap;
	size_t cur;          /* cursor, a byte offset on a cluster boundary */
	bool single;         /* one line: Enter submits, pasted newlines become spaces */
	bool masked;         /* passwords */
	bool highlight;      /* #tags and @mentions */
	size_t max_chars;    /* 0: no limit */
	int scroll;          /* first visible row (multi-line) or column (single) */
	int want_col;        /* column kept across up/down; -1 none */
	int last_width;
};

enum ed_result { ED_UNHANDLED, ED_HANDLED, ED_CHANGED, ED_SUBMIT };

void ed_init(struct editor *e, bool single);
void ed_free(struct editor *e);
void ed_set(struct editor *e, const char *text);
const char *ed_text(const struct editor *e);
size_t ed_chars(const struct editor *e);
bool ed_blank(const struct editor *e);
enum ed_result ed_key(struct editor *e, const struct key *k);
/* Inserts text at the cursor as if typed; false (nothing inserted) when
 * it would pass max_chars. */
bool ed_insert(struct editor *e, const char *text);
/* The length of the name (letters, digits, _ and .) right before the
 * cursor when mark comes before it ("@na|" with '@': 2), else 0. */
size_t ed_word_before(const struct editor *e, char mark);
/* Draws the text in rows x cols at (y, x); returns the cursor's window
 * position through cy, cx. */
void ed_draw(struct editor *e, WINDOW *w, int y, int x, int rows, int cols, attr_t base,
	int *cy, int *cx);
/* Lets the person write e's text in $VISUAL or $EDITOR (vi when neither
 * is set) with curses suspended; false with why, and e unchanged, when
 * there is no editor, it failed or what it saved does not fit e
 * (external.c). */
bool ed_external(struct editor *e, char *why, size_t why_size);

/* ---- @name completion in a text field (mention.c) ---- */

struct mention {
	struct view *users;     /* search.users, opened on the first Tab */
	char completing[32];    /* the name being completed; "" none */
	char candidates[200];   /* the people a completion could not choose between,
	                         * or why it found none: for the screen to show */
};

/* Tab after "@na" in e: asks who is called "na…" and returns true (the key
 * is taken); false for any other key or place. */
bool mention_key(struct mention *mc, struct model *m, struct editor *e, const struct key *k);
/* Completes the name once the search has answered (call before drawing);
 * true when it changed e's text. */
bool mention_finish(struct mention *mc, struct editor *e);
void mention_free(struct mention *mc, struct model *m);

/* ---- screens ---- */

struct app;
struct screen;

struct screen_ops {
	/* Draws into the content window (rows x cols). */
	void (*draw)(struct screen *s, WINDOW *w, int rows, int cols);
	/* True when the key was used. */
	bool (*key)(struct screen *s, const struct key *k);
	/* A click at a content window position. */
	void (*click)(struct screen *s, int y, int x);
	void (*note)(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg);
	/* Timers: returns ms until the screen wants tick again, or -1. */
	int (*tick)(struct screen *s, int64_t now_mono);
	/* Became the screen on view, or stopped being it. */
	void (*shown)(struct screen *s);
	void (*hidden)(struct screen *s);
	void (*destroy)(struct screen *s);
	/* The text field with the focus, or NULL (for Ctrl-E). */
	struct editor *(*field)(struct screen *s);
	/* True when a post, comment or message written here is not sent yet. */
	bool (*has_draft)(struct screen *s);
};

struct screen {
	const struct screen_ops *ops;
	struct app *app;
	struct model *m;
	bool full;           /* uses the whole terminal, no tab bar or status bar */
	bool typing;         /* a text field has focus: letters are text, not commands */
	unsigned keys;       /* the kinds of keys in force (KEYS_*; 0 is KC_ALL) */
	int cur_y, cur_x;    /* cursor in the content window, -1 when hidden */
	bool closing;        /* closed: destroyed once the current event is done */
};

enum tab { TAB_HOME, TAB_SEARCH, TAB_ACTIVITY, TAB_MESSAGES, TAB_PROFILE, TAB_NEW, TAB__COUNT };

struct model *app_model(struct app *a);
void app_push(struct app *a, struct screen *s);
/* Closes screen s (not a tab's first one) once the current event has been
 * handled, so a screen may close itself from its own key handler. */
void app_close(struct app *a, struct screen *s);
void app_switch_tab(struct app *a, enum tab t);
void app_toast(struct app *a, const char *text, enum role r);
/* Writes s (len bytes) to the terminal itself, past curses (escape
 * sequences such as bracketed paste and desktop notifications). */
void app_write_tty(const char *s, size_t len);
void app_dirty(struct app *a);
void app_quit(struct app *a);
/* Asks "text [y/N]"; on yes calls yes(a, ctx, id). */
typedef void (*confirm_fn)(struct app *a, void *ctx, int64_t id);
void app_confirm(struct app *a, const char *text, confirm_fn yes, void *ctx, int64_t id);
/* As app_confirm, where Enter also answers yes ("[Y/n]"). */
void app_ask(struct app *a, const char *text, confirm_fn yes, void *ctx, int64_t id);
/* Asks for one line of text; done gets it (trimmed) on Enter. */
typedef void (*prompt_fn)(struct app *a, void *ctx, const char *text);
void app_prompt(struct app *a, const char *title, const char *hint, prompt_fn done, void *ctx);
int64_t app_now(const struct app *a);   /* wall clock ms, for "3m ago" */

/* Navigation helpers shared by screens. */
void app_open_post(struct app *a, int64_t post_id, bool comment);
void app_open_profile(struct app *a, int64_t user_id);
void app_open_thread(struct app *a, int64_t user_id);
void app_open_tag(struct app *a, const char *tag);
void app_open_stories(struct app *a, size_t group);
void app_compose(struct app *a, bool story);
/* Asks for a username and opens the thread with them. */
void app_message_prompt(struct app *a);

/* Screen constructors (one file each). */
struct screen *screen_login_new(struct app *a, const char *why);
struct screen *screen_home_new(struct app *a);
struct screen *screen_post_new(struct app *a, int64_t post_id, bool comment);
struct screen *screen_compose_new(struct app *a);
void screen_compose_mode(struct screen *s, bool story);
struct screen *screen_story_new(struct app *a, size_t group);
struct screen *screen_profile_new(struct app *a, int64_t user_id);
struct screen *screen_edit_profile_new(struct app *a);
struct screen *screen_search_new(struct app *a);
void screen_search_focus(struct screen *s);
struct screen *screen_tag_new(struct app *a, const char *tag);
struct screen *screen_notifs_new(struct app *a);
struct screen *screen_messages_new(struct app *a);
struct screen *screen_thread_new(struct app *a, int64_t user_id);

/* ---- photos (photocard.c; the rest in photoview.h) ---- */

/* Fetches photo media_id in the background (its own connection); the
 * screen is drawn again when it arrives. */
void app_fetch_photo(struct app *a, int64_t media_id, bool thumb);
/* Draws photo m (its thumbnail when thumb) fitted into cols x max_rows
 * at pen row, column x, and moves the pen past it. Returns the rows it
 * takes: the same before and after the photo arrives (one when photos are
 * off: a line names it). */
int photo_pen_draw(struct app *a, struct pen *p, const struct media_ref *m, bool thumb,
	int x, int cols, int max_rows);

/* ---- post cards (postcard.c): shared by the feed, profiles and tags ---- */

/* How many content rows a card shows at most (0: all, on the post screen). */
void postcard_draw(struct app *a, const struct post *p, struct pen *pen, bool selected,
	int max_lines);
/* A view of posts as a list: draws cards, loading and end rows. */
struct postlist {
	struct view *v;
	struct listbox lb;
	const char *empty;   /* shown when the list is empty */
};
void postlist_draw(struct app *a, struct postlist *pl, WINDOW *w, int y0, int rows, int cols);
/* Keys every post list understands: moving, open, like, comment, author,
 * delete. True when used. */
bool postlist_key(struct app *a, struct postlist *pl, const struct key *k);
void postlist_click(struct app *a, struct postlist *pl, int y);
/* Opens the profile @mentioned in text: the one there is, or the one
 * picked from a prompt when there are several; says so when none. */
void open_mention(struct app *a, const char *text);
/* `o`: opens a post's image URL (xdg-open) or copies it (OSC 52), and
 * says which in a toast. */
void open_link(struct app *a, const char *url);
/* Draws a dim centred line (empty lists, loading). */
void draw_hint(WINDOW *w, int y, int cols, const char *text, attr_t a);
/* The line under a list: an error, "loading", or the end marker. */
void view_footer(const struct view *v, struct pen *p, const char *end_text);
/* Counts as "1.2k" above 999. */
void fmt_count(int64_t n, char *out, size_t size);

#endif
