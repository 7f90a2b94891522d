/* photoview.h: photos on the TUI's screen. It picks the photo mode once,
 * before curses starts (termprobe), keeps fetched JPEGs and their renders
 * in the LRU cache, and draws them past curses: screens place photos
 * while they draw (screen coordinates), and after curses has updated the
 * terminal the app writes them at those places through app_write_tty.
 * When the places change (a scroll, a resize, an overlay) the app repaints
 * the whole screen first, so no stale photo is left behind. Used from the
 * interface thread only. */
#ifndef TUI_PHOTOVIEW_H
#define TUI_PHOTOVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "photo.h"
#include "termprobe.h"

/* What a screen gets for a photo it wants to show. */
enum photo_state {
	PHOTO_NONE,      /* photos are off */
	PHOTO_WANTED,    /* not here yet: the caller should fetch it (once) */
	PHOTO_LOADING,   /* asked for, not here yet */
	PHOTO_READY,
	PHOTO_FAILED,    /* fetching or decoding failed */
};

/* Picks the mode from the images setting, the environment and (for auto,
 * when the environment does not settle it) the terminal's answers on fd.
 * Call before curses starts. */
void photoview_init(enum images_setting setting, bool color, int tty_fd);
/* Frees the cache. */
void photoview_shutdown(void);
enum photo_mode photoview_mode(void);
/* The cell size in pixels (0 when unknown). */
void photoview_cell(int *cell_w, int *cell_h);

/* The state of photo media_id (thumb or full); marks it loading when it
 * was wanted, so the caller fetches it once. */
enum photo_state photoview_state(int64_t media_id, bool thumb);
/* Fetched JPEG bytes (copied) or a failure (data NULL). */
void photoview_arrived(int64_t media_id, bool thumb, const void *data, size_t len);
/* A photo known to be failing may be asked for again (after a reconnect). */
void photoview_forget_failures(void);

/* Places photo media_id (a READY one) fitted into cols x rows cells with
 * its top-left at screen (y, x); only rows [first_row, first_row +
 * shown_rows) of the fitted picture are on screen (the rest is scrolled
 * off). Returns the cells it covers (cols/rows of the fit) through
 * out_cols/out_rows; false when it is not ready. Graphics modes draw a
 * picture only when all of it is shown. */
bool photoview_place(int64_t media_id, bool thumb, int y, int x, int cols, int rows,
	int first_row, int shown_rows, int *out_cols, int *out_rows);
/* Drops the places of the frame being drawn (the app calls it before a
 * draw). */
void photoview_frame_begin(void);
/* True when this frame's places differ from those last written: the app
 * repaints the whole screen before writing photos. */
bool photoview_frame_changed(void);
/* Writes the frame's photos through write (after curses' update),
 * keeping the cursor where curses left it. */
void photoview_frame_write(void (*write)(const char *s, size_t len));

/* Marks text (what is drawn at screen (y, x), one line) as a link to url
 * for this frame: written again after the update inside an OSC 8
 * hyperlink, so terminals that have them make it clickable. Text and url
 * with control characters are left alone. */
void photoview_link(int y, int x, const char *text, const char *url);

/* The cells a w x h picture takes fitted into cols x rows with this
 * terminal's cell shape. */
void photoview_fit(int w, int h, int cols, int rows, int *out_cols, int *out_rows);

/* Memory held by the cache, for the status of tests and measurements. */
size_t photoview_cache_bytes(void);

#endif
