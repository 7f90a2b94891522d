/* screen_story.c: the full-screen story viewer. One story at a time, a
 * progress bar across the top with a segment per story of this author,
 * moving on by itself every 5 seconds and from one author to the next;
 * h/l or the arrows step, space pauses, q leaves. A story shown is
 * remembered as seen. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "photoview.h"
#include "text.h"
#include "ui.h"

#define STORY_MS 5000

struct story_screen {
	struct screen base;
	int64_t author_id;     /* where we are, by id: the groups can be rebuilt */
	int64_t story_id;
	int64_t shown_at;      /* monotonic ms when the current story appeared */
	int64_t paused_at;     /* 0 when playing */
};

/* Finds the current group and story; false when they are gone. */
static bool locate(struct story_screen *ss, size_t *gi, size_t *si)
{
	struct model *m = ss->base.m;
	for (size_t i = 0; i < m->n_groups; i++) {
		if (m->groups[i].author_id != ss->author_id)
			continue;
		*gi = i;
		*si = 0;
		for (size_t k = 0; k < m->groups[i].n; k++)
			if (m->groups[i].stories[k]->id == ss->story_id)
				*si = k;
		return true;
	}
	return false;
}

static void show(struct story_screen *ss, size_t gi, size_t si)
{
	struct model *m = ss->base.m;
	const struct story *st = m->groups[gi].stories[si];
	ss->author_id = m->groups[gi].author_id;
	ss->story_id = st->id;
	ss->shown_at = ag_mono_ms();
	ss->paused_at = 0;
	model_story_mark_seen(m, st);
	app_dirty(ss->base.app);
}

/* The first story not yet seen in a group (or its first). */
static size_t first_unseen(const struct model *m, size_t gi)
{
	for (size_t k = 0; k < m->groups[gi].n; k++)
		if (!model_story_seen(m, m->groups[gi].stories[k]->id))
			return k;
	return 0;
}

static void step(struct story_screen *ss, int dir)
{
	struct model *m = ss->base.m;
	size_t gi, si;
	if (!locate(ss, &gi, &si)) {
		app_close(ss->base.app, &ss->base);
		return;
	}
	if (dir > 0) {
		if (si + 1 < m->groups[gi].n)
			show(ss, gi, si + 1);
		else if (gi + 1 < m->n_groups)
			show(ss, gi + 1, first_unseen(m, gi + 1));
		else
			app_close(ss->base.app, &ss->base);
	} else {
		if (si > 0)
			show(ss, gi, si - 1);
		else if (gi > 0)
			show(ss, gi - 1, m->groups[gi - 1].n - 1);
		else
			show(ss, gi, 0);
	}
}

static int64_t elapsed(const struct story_screen *ss, int64_t now)
{
	return (ss->paused_at ? ss->paused_at : now) - ss->shown_at;
}

static void story_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct story_screen *ss = (struct story_screen *)s;
	struct model *m = s->m;
	size_t gi, si;
	if (!locate(ss, &gi, &si)) {
		draw_hint(w, rows / 2, cols, "This story is no longer available.", th(TH_DIM));
		return;
	}
	const struct story_group *gr = &m->groups[gi];
	const struct story *st = gr->stories[si];
	int64_t now = ag_mono_ms();
	/* Progress: one segment per story of this author. */
	int n = (int)gr->n;
	int seg = (cols - 2 - (n - 1)) / n;
	if (seg < 1)
		seg = 1;
	for (int i = 0; i < n; i++) {
		int x = 1 + i * (seg + 1);
		int filled = i < (int)si ? seg : i > (int)si ? 0
			: (int)((int64_t)seg * elapsed(ss, now) / STORY_MS);
		if (filled > seg)
			filled = seg;
		for (int c = 0; c < seg; c++)
			put_str(w, 0, x + c, 1, c < filled ? g.bar_full : g.bar_empty,
				c < filled ? th(TH_PROGRESS) : th(TH_PROGRESS_BG));
	}
	/* Who and when. */
	char who[96], age[32];
	snprintf(who, sizeof who, "@%s", st->author);
	int used = put_str(w, 2, 2, cols / 2, who, th(TH_AUTHOR));
	used += 1 + put_str(w, 2, 3 + used, 4, g.sep, th(TH_DIM));
	ag_time_ago(st->created_at, app_now(s->app), age, sizeof age);
	put_str(w, 2, 3 + used, 20, age, th(TH_TIME));
	char where[64];
	snprintf(where, sizeof where, "%zu/%zu", si + 1, gr->n);
	if (ss->paused_at)
		snprintf(where, sizeof where, "paused  %zu/%zu", si + 1, gr->n);
	put_str(w, 2, cols - 2 - (int)strlen(where), 20, where, ss->paused_at ? th(TH_WARN) : th(TH_DIM));

	/* The story itself, centred in a card. */
	int bw = cols - 16 > 64 ? 64 : cols - 16, bh = rows - 7;
	int bx = (cols - bw) / 2, by = 4;
	chtype fa = th(TH_BORDER);
	mvwaddch(w, by, bx, ACS_ULCORNER | fa);
	mvwhline(w, by, bx + 1, ACS_HLINE | fa, bw - 2);
	mvwaddch(w, by, bx + bw - 1, ACS_URCORNER | fa);
	mvwvline(w, by + 1, bx, ACS_VLINE | fa, bh - 2);
	mvwvline(w, by + 1, bx + bw - 1, ACS_VLINE | fa, bh - 2);
	mvwaddch(w, by + bh - 1, bx, ACS_LLCORNER | fa);
	mvwhline(w, by + bh - 1, bx + 1, ACS_HLINE | fa, bw - 2);
	mvwaddch(w, by + bh - 1, bx + bw - 1, ACS_LRCORNER | fa);
	int width = bw - 6;
	int total = st->content ? wrap_text(st->content, width, NULL, 0) : 0;
	/* The photo first (as large as the card allows, a few rows kept for
	 * the text), then the text, then the link. */
	int photo_cols = 0, photo_rows = 0;
	if (st->media.id > 0) {
		int room = bh - 4 - (total ? (total < 3 ? total : 3) + 1 : 0) - (st->image_url ? 1 : 0);
		if (photoview_mode() == PHOTO_OFF) {
			photo_cols = width;
			photo_rows = 1;
		} else if (room >= 2) {
			photoview_fit(st->media.width, st->media.height, width, room, &photo_cols,
				&photo_rows);
		}
	}
	int text_room = bh - 4 - (photo_rows ? photo_rows + 1 : 0);
	int lines_n = total < text_room ? total : text_room > 0 ? text_room : 0;
	int block = (photo_rows ? photo_rows + (lines_n || st->image_url ? 1 : 0) : 0) + lines_n +
		(st->image_url ? (lines_n ? 2 : 1) : 0);
	int y = by + (bh - block) / 2;
	if (photo_rows) {
		struct pen pen = {.w = w, .vy = 0, .top = 0, .rows = photo_rows, .y0 = y,
			.x0 = 0, .width = cols};
		photo_pen_draw(s->app, &pen, &st->media, false, bx + (bw - photo_cols) / 2, photo_cols,
			photo_rows);
		y += photo_rows + 1;
	}
	if (st->content) {
		struct span *lines = calloc((size_t)total, sizeof *lines);
		size_t len = strlen(st->content);
		unsigned char *cls = malloc(len + 1);
		if (lines == NULL || cls == NULL)
			abort();
		wrap_text(st->content, width, lines, total);
		rich_classes(st->content, len, cls);
		for (int i = 0; i < lines_n; i++) {
			int lc = text_cols(st->content + lines[i].off, lines[i].len);
			put_rich(w, y + i, bx + (bw - lc) / 2, width, st->content + lines[i].off, lines[i].len,
				cls + lines[i].off, th(TH_TITLE));
		}
		free(lines);
		free(cls);
		y += lines_n + 1;
	}
	if (st->image_url) {
		char img[600];
		snprintf(img, sizeof img, "%s %s", g.image, st->image_url);
		int ic = text_cols(img, strlen(img));
		put_fit(w, y, ic < width ? bx + (bw - ic) / 2 : bx + 3, width, img, th(TH_URL));
	}
	/* Where we are among the authors, and the keys. */
	char foot[160];
	snprintf(foot, sizeof foot, "%zu of %zu  ·  ←/→ step  ·  space pause  ·  m reply  ·  p profile  ·  q close",
		gi + 1, m->n_groups);
	draw_hint(w, rows - 1, cols, foot, th(TH_DIM));
}

static bool story_key(struct screen *s, const struct key *k)
{
	struct story_screen *ss = (struct story_screen *)s;
	if (key_is(k, ACT_LEFT) || key_is(k, ACT_UP)) {
		step(ss, -1);
	} else if (key_is(k, ACT_RIGHT) || key_is(k, ACT_DOWN) || key_is(k, ACT_OPEN)) {
		step(ss, 1);
	} else if (key_is(k, ACT_PAUSE)) {
		if (ss->paused_at) {
			ss->shown_at += ag_mono_ms() - ss->paused_at;
			ss->paused_at = 0;
		} else {
			ss->paused_at = ag_mono_ms();
		}
	} else if (key_is(k, ACT_BACK)) {
		app_close(s->app, s);
	} else if (key_is(k, ACT_AUTHOR)) {
		app_close(s->app, s);
		app_open_profile(s->app, ss->author_id);
	} else if (key_is(k, ACT_MESSAGE)) {
		if (ss->author_id != s->m->me.id) {
			app_close(s->app, s);
			app_open_thread(s->app, ss->author_id);
		}
	} else if (key_is(k, ACT_HELP)) {
		return false;
	} else {
		return true;   /* nothing else leaves the viewer by accident */
	}
	return true;
}

static void story_click(struct screen *s, int y, int x)
{
	(void)y;
	step((struct story_screen *)s, x < COLS / 3 ? -1 : 1);
}

/* Redraws the progress bar smoothly and moves on after STORY_MS. */
static int story_tick(struct screen *s, int64_t now)
{
	struct story_screen *ss = (struct story_screen *)s;
	if (ss->paused_at)
		return -1;
	int64_t left = STORY_MS - elapsed(ss, now);
	if (left <= 0) {
		step(ss, 1);
		return STORY_MS;
	}
	app_dirty(s->app);
	int frame = STORY_MS / (COLS > 0 ? COLS : 80);
	if (frame < 50)
		frame = 50;
	return left < frame ? (int)left : frame;
}

static void story_shown(struct screen *s)
{
	struct story_screen *ss = (struct story_screen *)s;
	/* Coming back (e.g. from help) restarts the clock for this story. */
	if (!ss->paused_at)
		ss->shown_at = ag_mono_ms();
}

static void story_destroy(struct screen *s)
{
	free(s);
}

static const struct screen_ops story_ops = {
	.draw = story_draw,
	.key = story_key,
	.click = story_click,
	.tick = story_tick,
	.shown = story_shown,
	.destroy = story_destroy,
};

struct screen *screen_story_new(struct app *a, size_t group)
{
	struct story_screen *ss = calloc(1, sizeof *ss);
	if (ss == NULL)
		abort();
	ss->base = (struct screen){.ops = &story_ops, .app = a, .m = app_model(a), .full = true,
		.keys = KEYS_STORY};
	show(ss, group, first_unseen(ss->base.m, group));
	return &ss->base;
}
