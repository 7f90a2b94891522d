/* termprobe.h: choosing how to draw photos in this terminal: the images
 * setting (auto, kitty, sixel, iterm, blocks, off), the environment
 * (TERM, TERM_PROGRAM, KITTY_WINDOW_ID, TMUX, COLORTERM, NO_COLOR) and,
 * for auto, what the terminal answers to a kitty graphics query, a cell
 * size query and DA1, read with a short deadline before curses starts. */
#ifndef TUI_TERMPROBE_H
#define TUI_TERMPROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "photo.h"

/* The images setting. */
enum images_setting {
	IMAGES_AUTO, IMAGES_KITTY, IMAGES_SIXEL, IMAGES_ITERM, IMAGES_BLOCKS, IMAGES_OFF,
};

/* Reads "auto", "kitty", "sixel", "iterm", "blocks" or "off"; false for
 * anything else. */
bool images_setting_parse(const char *s, enum images_setting *out);

/* What the environment says; NULL for unset variables. */
struct term_env {
	const char *term, *term_program, *kitty_window_id, *tmux, *colorterm, *no_color;
};

/* Fills e from getenv. */
void term_env_from_process(struct term_env *e);

/* What the terminal answered. */
struct term_reply {
	bool answered;      /* a DA1 answer arrived */
	bool sixel;         /* DA1 lists attribute 4 */
	bool kitty;         /* the kitty graphics query was answered OK */
	int cell_w, cell_h; /* cell size in pixels; 0 when unknown */
};

/* True when the environment alone settles an auto choice (inside tmux, a
 * terminal known by name), so no query needs to be sent. */
bool termprobe_env_decides(const struct term_env *e);

/* The mode for setting: explicit settings are kept (blocks in the colour
 * depth the terminal has: none when color is false or NO_COLOR is set);
 * auto picks blocks inside tmux, then kitty, iTerm2 or sixel by name or
 * by the reply (NULL: no reply), else blocks. */
enum photo_mode termprobe_choose(enum images_setting setting, const struct term_env *e,
	const struct term_reply *r, bool color);

/* Reads a terminal's answers (any mix, in any order, with other bytes
 * between) into r. Returns true once the DA1 answer is in buf, which is
 * sent last and so ends the answers. */
bool termprobe_parse(const char *buf, size_t len, struct term_reply *r);

/* Asks the terminal on fd (a tty, in raw mode for the time of the call)
 * and reads its answers for at most timeout_ms. Returns 0 with r filled
 * (r->answered false when nothing came in time), -1 when fd is not a
 * terminal. */
int termprobe_query(int fd, int timeout_ms, struct term_reply *r);

/* The cell size in pixels from the terminal's window size (TIOCGWINSZ),
 * when it reports one; false otherwise. */
bool termprobe_cell_size(int fd, int *cell_w, int *cell_h);

#endif
