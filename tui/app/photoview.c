/* photoview.c: the TUI's photos: the mode, the fetched JPEGs and their
 * renders in one LRU cache, and the places of the frame being drawn,
 * written past curses once curses has updated the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photocache.h"
#include "photoview.h"

/* A fetched photo: its JPEG bytes and its size in pixels. */
struct jpeg {
	unsigned char *data;
	size_t len;
	int width, height;
};

/* A photo asked for and not in the cache: loading or failed. */
struct pending {
	int64_t id;
	bool thumb;
	enum photo_state state;
};

/* Where a photo goes in the frame. */
struct place {
	int64_t id;
	int thumb;   /* an int, not a bool: places are compared with memcmp, no padding */
	int y, x, cols, rows, first_row, shown_rows;
	int mode;    /* the photo mode drawn in; also makes the size a multiple of 8 */
};

/* A link drawn this frame. */
struct link {
	int y, x;
	char *text, *url;
};

static struct {
	struct link *links;
	size_t n_links, cap_links;
	enum photo_mode mode;
	int cell_w, cell_h;
	struct photocache *cache;
	struct pending *pending;
	size_t n_pending, cap_pending;
	struct place *now, *last;
	size_t n_now, n_last, cap_now, cap_last;
	bool written;         /* last holds what was written */
} pv;

void photoview_init(enum images_setting setting, bool color, int tty_fd)
{
	struct term_env env;
	term_env_from_process(&env);
	struct term_reply reply = {0};
	bool have_reply = false;
	if (setting == IMAGES_AUTO && !termprobe_env_decides(&env) && tty_fd >= 0)
		have_reply = termprobe_query(tty_fd, 150, &reply) == 0;
	if (!have_reply && tty_fd >= 0)
		termprobe_cell_size(tty_fd, &reply.cell_w, &reply.cell_h);
	pv.mode = termprobe_choose(setting, &env, have_reply ? &reply : NULL, color);
	pv.cell_w = reply.cell_w;
	pv.cell_h = reply.cell_h;
	if (pv.cache == NULL)
		pv.cache = photocache_new(PHOTOCACHE_DEFAULT_BYTES);
}

void photoview_shutdown(void)
{
	photocache_free(pv.cache);
	photoview_frame_begin();
	free(pv.links);
	free(pv.pending);
	free(pv.now);
	free(pv.last);
	memset(&pv, 0, sizeof pv);
}

enum photo_mode photoview_mode(void)
{
	return pv.mode;
}

void photoview_cell(int *cell_w, int *cell_h)
{
	*cell_w = pv.cell_w;
	*cell_h = pv.cell_h;
}

size_t photoview_cache_bytes(void)
{
	return pv.cache ? photocache_bytes(pv.cache) : 0;
}

void photoview_fit(int w, int h, int cols, int rows, int *out_cols, int *out_rows)
{
	photo_fit(w, h, cols, rows, pv.cell_w, pv.cell_h, out_cols, out_rows);
}

static void jpeg_key(char *out, size_t size, int64_t id, bool thumb)
{
	snprintf(out, size, "j/%lld/%c", (long long)id, thumb ? 't' : 'f');
}

static void render_key(char *out, size_t size, int64_t id, bool thumb, int cols, int rows)
{
	snprintf(out, size, "r/%lld/%c/%d/%dx%d", (long long)id, thumb ? 't' : 'f', (int)pv.mode,
		cols, rows);
}

static struct pending *find_pending(int64_t id, bool thumb)
{
	for (size_t i = 0; i < pv.n_pending; i++)
		if (pv.pending[i].id == id && pv.pending[i].thumb == thumb)
			return &pv.pending[i];
	return NULL;
}

static void set_pending(int64_t id, bool thumb, enum photo_state state)
{
	struct pending *p = find_pending(id, thumb);
	if (p == NULL) {
		if (pv.n_pending == pv.cap_pending) {
			size_t cap = pv.cap_pending ? pv.cap_pending * 2 : 32;
			struct pending *more = realloc(pv.pending, cap * sizeof *more);
			if (more == NULL)
				return;
			pv.pending = more;
			pv.cap_pending = cap;
		}
		p = &pv.pending[pv.n_pending++];
		p->id = id;
		p->thumb = thumb;
	}
	p->state = state;
}

static void drop_pending(int64_t id, bool thumb)
{
	struct pending *p = find_pending(id, thumb);
	if (p)
		*p = pv.pending[--pv.n_pending];
}

static struct jpeg *get_jpeg(int64_t id, bool thumb)
{
	char key[64];
	jpeg_key(key, sizeof key, id, thumb);
	return pv.cache ? photocache_get(pv.cache, key) : NULL;
}

enum photo_state photoview_state(int64_t id, bool thumb)
{
	if (pv.mode == PHOTO_OFF || pv.cache == NULL)
		return PHOTO_NONE;
	if (get_jpeg(id, thumb))
		return PHOTO_READY;
	struct pending *p = find_pending(id, thumb);
	if (p)
		return p->state;
	/* Wanted now; loading from the caller's fetch on. */
	set_pending(id, thumb, PHOTO_LOADING);
	return PHOTO_WANTED;
}

static void free_jpeg(void *v)
{
	struct jpeg *j = v;
	free(j->data);
	free(j);
}

static void free_render(void *v)
{
	photo_render_free(v);
	free(v);
}

void photoview_arrived(int64_t id, bool thumb, const void *data, size_t len)
{
	if (pv.cache == NULL)
		return;
	int w, h;
	struct jpeg *j = NULL;
	if (data && len > 0 && photo_size(data, len, &w, &h) == 0)
		j = calloc(1, sizeof *j);
	if (j)
		j->data = malloc(len);
	if (j == NULL || j->data == NULL) {
		free(j);
		set_pending(id, thumb, PHOTO_FAILED);
		return;
	}
	memcpy(j->data, data, len);
	j->len = len;
	j->width = w;
	j->height = h;
	char key[64];
	jpeg_key(key, sizeof key, id, thumb);
	drop_pending(id, thumb);
	photocache_put(pv.cache, key, j, len + sizeof *j, free_jpeg);
}

void photoview_forget_failures(void)
{
	for (size_t i = 0; i < pv.n_pending;)
		if (pv.pending[i].state == PHOTO_FAILED)
			pv.pending[i] = pv.pending[--pv.n_pending];
		else
			i++;
}

/* The render of photo id fitted into cols x rows, made and cached when
 * missing; NULL when it cannot be had. */
static struct photo_render *get_render(int64_t id, bool thumb, int cols, int rows)
{
	struct jpeg *j = get_jpeg(id, thumb);
	if (j == NULL)
		return NULL;
	int fc, fr;
	photoview_fit(j->width, j->height, cols, rows, &fc, &fr);
	char key[96];
	render_key(key, sizeof key, id, thumb, fc, fr);
	struct photo_render *r = photocache_get(pv.cache, key);
	if (r)
		return r;
	struct photo p;
	char why[200];
	if (photo_decode(j->data, j->len, &p, why, sizeof why) != 0) {
		set_pending(id, thumb, PHOTO_FAILED);
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (r == NULL || photo_render(&p, pv.mode, fc, fr, pv.cell_w, pv.cell_h, r) != 0) {
		free(r);
		photo_free(&p);
		return NULL;
	}
	photo_free(&p);
	photocache_put(pv.cache, key, r, r->len + sizeof *r, free_render);
	/* The put may have evicted the JPEG, never the render just put. */
	return photocache_get(pv.cache, key);
}

bool photoview_place(int64_t id, bool thumb, int y, int x, int cols, int rows,
	int first_row, int shown_rows, int *out_cols, int *out_rows)
{
	if (pv.mode == PHOTO_OFF || cols < 1 || rows < 1)
		return false;
	struct photo_render *r = get_render(id, thumb, cols, rows);
	if (r == NULL)
		return false;
	if (out_cols)
		*out_cols = r->cols;
	if (out_rows)
		*out_rows = r->rows;
	if (first_row < 0)
		first_row = 0;
	if (first_row + shown_rows > r->rows)
		shown_rows = r->rows - first_row;
	if (shown_rows <= 0)
		return true;
	if (photo_mode_is_graphics(pv.mode) && (first_row > 0 || shown_rows < r->rows))
		return true;
	if (pv.n_now == pv.cap_now) {
		size_t cap = pv.cap_now ? pv.cap_now * 2 : 16;
		struct place *more = realloc(pv.now, cap * sizeof *more);
		if (more == NULL)
			return true;
		pv.now = more;
		pv.cap_now = cap;
	}
	pv.now[pv.n_now++] = (struct place){id, thumb ? 1 : 0, y, x, cols, rows, first_row,
		shown_rows, (int)pv.mode};
	return true;
}

static void drop_links(void)
{
	for (size_t i = 0; i < pv.n_links; i++) {
		free(pv.links[i].text);
		free(pv.links[i].url);
	}
	pv.n_links = 0;
}

void photoview_frame_begin(void)
{
	pv.n_now = 0;
	drop_links();
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void photoview_link(int y, int x, const char *text, const char *url)
{
	if (!plain(text) || !plain(url) || text[0] == '\0' || url[0] == '\0')
		return;
	if (pv.n_links == pv.cap_links) {
		size_t cap = pv.cap_links ? pv.cap_links * 2 : 8;
		struct link *more = realloc(pv.links, cap * sizeof *more);
		if (more == NULL)
			return;
		pv.links = more;
		pv.cap_links = cap;
	}
	struct link *l = &pv.links[pv.n_links];
	l->y = y;
	l->x = x;
	l->text = strdup(text);
	l->url = strdup(url);
	if (l->text == NULL || l->url == NULL) {
		free(l->text);
		free(l->url);
		return;
	}
	pv.n_links++;
}

/* Writes the frame's links again inside OSC 8 hyperlinks. */
static void write_links(void (*write)(const char *s, size_t len))
{
	for (size_t i = 0; i < pv.n_links; i++) {
		const struct link *l = &pv.links[i];
		char at[32];
		int n = snprintf(at, sizeof at, "\033[%d;%dH\033[4m", l->y + 1, l->x + 1);
		write(at, (size_t)n);
		static const char osc8_start[] = "\033]8;;", osc8_end[] = "\033]8;;\033\\\033[24m";
		write(osc8_start, sizeof osc8_start - 1);
		write(l->url, strlen(l->url));
		write("\033\\", 2);
		write(l->text, strlen(l->text));
		write(osc8_end, sizeof osc8_end - 1);
	}
}

bool photoview_frame_changed(void)
{
	if (!pv.written)
		return pv.n_now > 0;
	if (pv.n_now != pv.n_last)
		return true;
	return pv.n_now > 0 && memcmp(pv.now, pv.last, pv.n_now * sizeof *pv.now) != 0;
}

/* Writes rows [first, first + n) of a block render, row by row from
 * screen (y, x). */
static void write_block_rows(const struct photo_render *r, const struct place *pl,
	void (*write)(const char *s, size_t len))
{
	const char *s = r->data, *end = r->data + r->len;
	for (int row = 0; s < end && row < pl->first_row + pl->shown_rows; row++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *line_end = nl ? nl : end;
		if (row >= pl->first_row) {
			char at[32];
			int n = snprintf(at, sizeof at, "\033[%d;%dH", pl->y + (row - pl->first_row) + 1,
				pl->x + 1);
			write(at, (size_t)n);
			write(s, (size_t)(line_end - s));
		}
		s = nl ? nl + 1 : end;
	}
}

void photoview_frame_write(void (*write)(const char *s, size_t len))
{
	if (pv.n_links > 0) {
		write("\0337", 2);
		write_links(write);
		write("\0338", 2);
	}
	if (pv.mode == PHOTO_OFF)
		return;
	if (pv.mode == PHOTO_KITTY && (pv.written || pv.n_now > 0)) {
		static const char delete_all[] = "\033_Ga=d,d=A,q=2\033\\";
		write(delete_all, sizeof delete_all - 1);
	}
	if (pv.n_now > 0) {
		write("\0337", 2);   /* DECSC: curses' cursor and attributes */
		for (size_t i = 0; i < pv.n_now; i++) {
			const struct place *pl = &pv.now[i];
			struct photo_render *r = get_render(pl->id, pl->thumb != 0, pl->cols, pl->rows);
			if (r == NULL)
				continue;
			if (photo_mode_is_graphics(pv.mode)) {
				char at[32];
				int n = snprintf(at, sizeof at, "\033[%d;%dH", pl->y + 1, pl->x + 1);
				write(at, (size_t)n);
				write(r->data, r->len);
			} else {
				write_block_rows(r, pl, write);
			}
		}
		write("\0338", 2);   /* DECRC */
	}
	/* What was written becomes the last frame. */
	if (pv.cap_last < pv.n_now) {
		struct place *more = realloc(pv.last, pv.n_now * sizeof *more);
		if (more == NULL) {
			pv.written = false;
			return;
		}
		pv.last = more;
		pv.cap_last = pv.n_now;
	}
	if (pv.n_now)
		memcpy(pv.last, pv.now, pv.n_now * sizeof *pv.now);
	pv.n_last = pv.n_now;
	pv.written = true;
}
