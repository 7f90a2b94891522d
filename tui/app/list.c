/* list.c: the list box. Items are cards of any height; each draw measures
 * them through a pen that counts rows without painting, then paints only
 * the rows in view. Moving past a card taller than the screen scrolls
 * through it first, so long posts can be read to the end. */
#include <stdlib.h>

#include "ui.h"

#define STEP_ROWS 3

int pen_row(const struct pen *p)
{
	if (p->measure || p->vy < p->top || p->vy >= p->top + p->rows)
		return -1;
	return p->y0 + p->vy - p->top;
}

void listbox_free(struct listbox *lb)
{
	free(lb->off);
	free(lb->h);
	lb->off = lb->h = NULL;
	lb->cap = 0;
}

static void clamp_sel(struct listbox *lb)
{
	if (lb->sel >= lb->n)
		lb->sel = lb->n - 1;
	if (lb->sel < 0)
		lb->sel = 0;
}

void listbox_draw(struct listbox *lb, WINDOW *w, int y0, int x0, int rows, int width,
	int n, item_fn fn, void *ctx)
{
	if (n > lb->cap) {
		lb->cap = n + 32;
		lb->off = realloc(lb->off, (size_t)lb->cap * sizeof *lb->off);
		lb->h = realloc(lb->h, (size_t)lb->cap * sizeof *lb->h);
		if (lb->off == NULL || lb->h == NULL)
			abort();
	}
	lb->n = n;
	lb->rows = rows;
	clamp_sel(lb);
	struct pen p = {.w = w, .y0 = y0, .x0 = x0, .width = width, .measure = true};
	int total = 0;
	for (int i = 0; i < n; i++) {
		p.vy = total;
		fn(ctx, i, &p, i == lb->sel);
		lb->off[i] = total;
		lb->h[i] = p.vy - total;
		total = p.vy;
	}
	lb->total = total;
	if (n > 0) {
		int top = lb->off[lb->sel], bottom = top + lb->h[lb->sel];
		if (lb->stick_bottom && lb->sel == n - 1) {
			lb->scroll = total - rows;
		} else if (lb->follow) {
			if (top < lb->scroll)
				lb->scroll = top;
			else if (bottom > lb->scroll + rows)
				lb->scroll = bottom - rows < top ? bottom - rows : top;
		} else {
			/* Keep at least part of the selection in view. */
			if (top >= lb->scroll + rows)
				lb->scroll = top;
			else if (bottom <= lb->scroll)
				lb->scroll = top;
		}
	}
	lb->follow = false;
	if (lb->scroll > total - rows)
		lb->scroll = total - rows;
	if (lb->scroll < 0)
		lb->scroll = 0;
	p.measure = false;
	p.top = lb->scroll;
	p.rows = rows;
	for (int i = 0; i < n; i++) {
		if (lb->off[i] + lb->h[i] <= lb->scroll || lb->off[i] >= lb->scroll + rows)
			continue;
		p.vy = lb->off[i];
		fn(ctx, i, &p, i == lb->sel);
	}
}

void listbox_select(struct listbox *lb, int idx)
{
	lb->sel = idx < 0 ? 0 : idx;
	lb->follow = true;
}

bool listbox_key(struct listbox *lb, const struct key *k)
{
	if (lb->n == 0)
		return key_is(k, ACT_UP) || key_is(k, ACT_DOWN) || key_is(k, ACT_TOP) || key_is(k, ACT_BOTTOM) ||
			key_is(k, ACT_PAGE_UP) || key_is(k, ACT_PAGE_DOWN);
	int top = lb->off[lb->sel], bottom = top + lb->h[lb->sel];
	if (key_is(k, ACT_DOWN)) {
		if (bottom > lb->scroll + lb->rows) {
			lb->scroll += STEP_ROWS;        /* read on through a tall card */
		} else if (lb->sel + 1 < lb->n) {
			lb->sel++;
			lb->follow = true;
		}
		return true;
	}
	if (key_is(k, ACT_UP)) {
		if (top < lb->scroll) {
			lb->scroll -= STEP_ROWS;
			if (lb->scroll < top)
				lb->scroll = top;
		} else if (lb->sel > 0) {
			lb->sel--;
			lb->follow = true;
			/* A tall card comes into view from its end, as when scrolling. */
			int h = lb->h[lb->sel];
			if (h > lb->rows)
				lb->scroll = lb->off[lb->sel] + h - lb->rows;
		}
		return true;
	}
	if (key_is(k, ACT_TOP)) {
		lb->sel = 0;
		lb->scroll = 0;
		lb->follow = true;
		return true;
	}
	if (key_is(k, ACT_BOTTOM)) {
		lb->sel = lb->n - 1;
		lb->scroll = lb->total;
		lb->follow = true;
		return true;
	}
	if (key_is(k, ACT_PAGE_DOWN) || key_is(k, ACT_PAGE_UP)) {
		int dir = key_is(k, ACT_PAGE_DOWN) ? 1 : -1;
		int page = lb->rows > 2 ? lb->rows - 2 : 1;
		lb->scroll += dir * page;
		if (lb->scroll > lb->total - lb->rows)
			lb->scroll = lb->total - lb->rows;
		if (lb->scroll < 0)
			lb->scroll = 0;
		/* Select the first card that starts in view (or the one covering it). */
		int pick = lb->sel;
		for (int i = 0; i < lb->n; i++)
			if (lb->off[i] + lb->h[i] > lb->scroll) {
				pick = i;
				if (lb->off[i] < lb->scroll && i + 1 < lb->n && lb->off[i + 1] < lb->scroll + lb->rows &&
				    lb->h[i] <= lb->rows)
					pick = i + 1;
				break;
			}
		if (dir > 0 && lb->scroll >= lb->total - lb->rows)
			pick = lb->n - 1;
		if (dir < 0 && lb->scroll == 0)
			pick = 0;
		lb->sel = pick;
		return true;
	}
	return false;
}

int listbox_hit(const struct listbox *lb, int y)
{
	int row = lb->scroll + y;
	for (int i = 0; i < lb->n; i++)
		if (row >= lb->off[i] && row < lb->off[i] + lb->h[i])
			return i;
	return -1;
}

bool listbox_near_end(const struct listbox *lb, int margin)
{
	return lb->n == 0 || lb->sel >= lb->n - margin ||
		lb->scroll + lb->rows >= lb->total - lb->rows / 2;
}
