/* photocard.c: a photo inside something drawn with a pen (a feed card, the
 * post view, a story): the rows it takes are known from the Media object's
 * size before the photo arrives, so nothing moves when it does. Until then
 * a dim line says it is loading; the first time a photo is wanted it is
 * fetched in the background (app_fetch_photo). */
#include <string.h>

#include "photoview.h"
#include "ui.h"

int photo_pen_draw(struct app *a, struct pen *p, const struct media_ref *m, bool thumb,
	int x, int cols, int max_rows)
{
	if (m == NULL || m->id <= 0 || cols < 1 || max_rows < 1)
		return 0;
	int pw = thumb ? m->thumb_w : m->width, ph = thumb ? m->thumb_h : m->height;
	if (photoview_mode() == PHOTO_OFF || pw <= 0 || ph <= 0) {
		/* No photos here: one line says there is one. */
		int y = pen_row(p);
		if (y >= 0) {
			char line[96];
			snprintf(line, sizeof line, "%s photo %dx%d", g.image, m->width, m->height);
			put_fit(p->w, y, x, cols, line, th(TH_DIM));
		}
		p->vy++;
		return 1;
	}
	int fc, fr;
	photoview_fit(pw, ph, cols, max_rows, &fc, &fr);
	if (p->measure) {
		p->vy += fr;
		return fr;
	}
	/* The rows of the picture on screen: [first, first + shown). */
	int first = p->top > p->vy ? p->top - p->vy : 0;
	int last = p->vy + fr < p->top + p->rows ? fr : p->top + p->rows - p->vy;
	int shown = last - first;
	enum photo_state st = photoview_state(m->id, thumb);
	if (st == PHOTO_WANTED)
		app_fetch_photo(a, m->id, thumb);
	if (shown > 0) {
		int by, bx;
		getbegyx(p->w, by, bx);
		int win_y = p->y0 + (p->vy + first) - p->top;
		bool placed = st == PHOTO_READY &&
			photoview_place(m->id, thumb, by + win_y, bx + x, cols, max_rows, first, shown,
				NULL, NULL);
		if (!placed && first == 0) {
			const char *what = st == PHOTO_FAILED ? "photo unavailable" : "loading photo…";
			put_fit(p->w, win_y, x, cols, what, th(TH_DIM));
		}
	}
	p->vy += fr;
	return fr;
}
