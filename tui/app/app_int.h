/* app_int.h: what the parts of the TUI's app share (app.c: the loop,
 * screens' stacks, input and timers; app_chrome.c: the frame around the
 * screens; app_overlays.c: help, questions and prompts; app_notify.c:
 * desktop notifications). Not for screens: they use ui.h. */
#ifndef TUI_APP_INT_H
#define TUI_APP_INT_H

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
	enum conn_state last_conn;   /* the connection as the loop last saw it */
	bool paste;
	bool ssh_link_asked;         /* --ssh: the offer to link the key was made */
	int osc;
};

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

/* app.c */
struct screen *app_top_screen(struct app *a);

/* app_chrome.c: draws the whole frame and sends it with one doupdate(). */
void app_render(struct app *a);
void app_layout_tabs(const struct app *a, struct tab_layout *l);

/* app_overlays.c */
/* Takes a key while an overlay is open. */
void app_overlay_key(struct app *a, const struct key *k);
void app_draw_help(struct app *a);
/* A small centred box for a question or a one-line prompt. Returns true
 * when it placed the cursor (in the prompt's field). */
bool app_draw_dialog(struct app *a);
void app_draw_warnings(struct app *a);

/* app_notify.c */
/* BEL and a desktop notification of text, when notifications are on. */
void app_ring(struct app *a, const char *text);
/* Which OSC the terminal takes notifications by: 9 or 777. */
int app_choose_osc(const struct config *cfg);

#endif
