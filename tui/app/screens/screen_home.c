/* screen_home.c: home: the stories bar (one bubble per author, unseen ones
 * lit) above the feed of post cards, with a banner when new posts have
 * been pushed ("3 new posts - press r"). k at the top of the feed moves
 * into the stories bar; h and l walk it; Enter watches. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define MAX_BUBBLES 64

struct home {
	struct screen base;
	struct postlist feed;
	bool in_bar;           /* the stories bar has the focus */
	size_t bar_sel;
	size_t bar_first;      /* first bubble drawn, when they do not all fit */
	int bubble_x[MAX_BUBBLES], bubble_w[MAX_BUBBLES];
	size_t bubble_group[MAX_BUBBLES];
	int n_bubbles;
	int feed_y0;
	bool banner;
};

static void bubble_label(const struct model *m, const struct story_group *gr, char *out, size_t size)
{
	if (gr->author_id == m->me.id)
		snprintf(out, size, "Your story");
	else
		snprintf(out, size, "%s", gr->author);
}

static void draw_bar(struct home *h, WINDOW *w, int cols)
{
	struct model *m = h->base.m;
	h->n_bubbles = 0;
	if (m->n_groups == 0) {
		const char *text = m->stories_loaded ? "No stories right now  ·  s: share one"
			: "loading stories…";
		put_str(w, 0, 2, cols - 4, text, th(TH_DIM));
		return;
	}
	if (m->groups[0].author_id != m->me.id) {
		const char *add = "+ your story (s)";
		int aw = text_cols(add, strlen(add));
		put_str(w, 0, cols - 2 - aw, aw, add, th(TH_DIM));
		cols -= aw + 2;
	}
	if (h->bar_sel >= m->n_groups)
		h->bar_sel = m->n_groups - 1;
	if (h->bar_sel < h->bar_first)
		h->bar_first = h->bar_sel;
	/* Slide right until the selected bubble fits. */
	for (;;) {
		int x = 2;
		bool fits = false;
		for (size_t i = h->bar_first; i < m->n_groups; i++) {
			char label[48];
			bubble_label(m, &m->groups[i], label, sizeof label);
			int wdt = text_cols(g.ring, strlen(g.ring)) + 1 + (text_cols(label, strlen(label)) > 14
				? 14 : text_cols(label, strlen(label)));
			if (x + wdt > cols - 4)
				break;
			if (i == h->bar_sel)
				fits = true;
			x += wdt + 3;
		}
		if (fits || h->bar_first >= h->bar_sel)
			break;
		h->bar_first++;
	}
	int x = 2;
	if (h->bar_first > 0)
		put_str(w, 0, 0, 1, "<", th(TH_DIM));
	for (size_t i = h->bar_first; i < m->n_groups && h->n_bubbles < MAX_BUBBLES; i++) {
		const struct story_group *gr = &m->groups[i];
		char label[48];
		bubble_label(m, gr, label, sizeof label);
		int ring_w = text_cols(g.ring, strlen(g.ring));
		int lw = text_cols(label, strlen(label));
		if (lw > 14)
			lw = 14;
		int wdt = ring_w + 1 + lw;
		if (x + wdt > cols - 4) {
			put_str(w, 0, cols - 2, 1, ">", th(TH_DIM));
			break;
		}
		bool sel = h->in_bar && i == h->bar_sel;
		attr_t ring_a = gr->unseen ? th(TH_RING) : th(TH_RING_SEEN);
		attr_t name_a = gr->unseen ? th(TH_BOLD) : th(TH_DIM);
		if (sel) {
			ring_a = th(TH_STORY_SELECTED);
			name_a = th(TH_TAB_ON);
		}
		put_str(w, 0, x, ring_w, gr->unseen ? g.ring : g.ring_seen, ring_a);
		put_fit(w, 0, x + ring_w + 1, lw, label, name_a);
		h->bubble_x[h->n_bubbles] = x;
		h->bubble_w[h->n_bubbles] = wdt;
		h->bubble_group[h->n_bubbles] = i;
		h->n_bubbles++;
		x += wdt + 3;
	}
}

static void home_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct home *h = (struct home *)s;
	struct model *m = s->m;
	draw_bar(h, w, cols);
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	int y0 = 2;
	h->banner = m->new_posts > 0;
	if (h->banner) {
		char text[96];
		snprintf(text, sizeof text, "%s %lld new post%s  -  press r", g.arrow_up,
			(long long)m->new_posts, m->new_posts == 1 ? "" : "s");
		put_fill(w, y0, 0, cols, th(TH_BANNER));
		draw_hint(w, y0, cols, text, th(TH_BANNER));
		y0++;
	}
	h->feed_y0 = y0;
	if (m->feed == NULL)
		return;
	h->feed.v = m->feed;
	postlist_draw(s->app, &h->feed, w, y0, rows - y0, cols);
}

static void show_new(struct home *h)
{
	model_feed_show_new(h->base.m);
	listbox_select(&h->feed.lb, 0);
	h->feed.lb.scroll = 0;
}

static bool home_key(struct screen *s, const struct key *k)
{
	struct home *h = (struct home *)s;
	struct model *m = s->m;
	if (key_is(k, ACT_REFRESH)) {
		show_new(h);
		return true;
	}
	if (h->in_bar) {
		if (key_is(k, ACT_LEFT)) {
			if (h->bar_sel > 0)
				h->bar_sel--;
		} else if (key_is(k, ACT_RIGHT)) {
			if (h->bar_sel + 1 < m->n_groups)
				h->bar_sel++;
		} else if (key_is(k, ACT_OPEN)) {
			app_open_stories(s->app, h->bar_sel);
		} else if (key_is(k, ACT_DOWN) || key_is(k, ACT_BACK)) {
			h->in_bar = false;
		} else if (key_is(k, ACT_UP)) {
			/* already at the top */
		} else {
			return false;
		}
		return true;
	}
	if (key_is(k, ACT_UP) && h->feed.lb.sel == 0 && h->feed.lb.scroll == 0 && m->n_groups > 0) {
		h->in_bar = true;
		return true;
	}
	if (m->feed == NULL)
		return false;
	h->feed.v = m->feed;
	return postlist_key(s->app, &h->feed, k);
}

static void home_click(struct screen *s, int y, int x)
{
	struct home *h = (struct home *)s;
	if (y == 0) {
		for (int i = 0; i < h->n_bubbles; i++)
			if (x >= h->bubble_x[i] && x < h->bubble_x[i] + h->bubble_w[i]) {
				h->bar_sel = h->bubble_group[i];
				app_open_stories(s->app, h->bar_sel);
			}
		return;
	}
	if (h->banner && y == 2) {
		show_new(h);
		return;
	}
	h->in_bar = false;
	if (y >= h->feed_y0 && s->m->feed) {
		h->feed.v = s->m->feed;
		postlist_click(s->app, &h->feed, y - h->feed_y0);
	}
}

static void home_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)id;
	(void)aux;
	(void)msg;
	struct home *h = (struct home *)s;
	if (n == NOTE_POST_CREATED) {
		listbox_select(&h->feed.lb, 0);
		h->feed.lb.scroll = 0;
		h->in_bar = false;
	}
}

/* Back from the story viewer (or another screen): the feed has the focus. */
static void home_shown(struct screen *s)
{
	((struct home *)s)->in_bar = false;
}

static void home_destroy(struct screen *s)
{
	struct home *h = (struct home *)s;
	listbox_free(&h->feed.lb);
	free(h);
}

static const struct screen_ops home_ops = {
	.draw = home_draw,
	.key = home_key,
	.click = home_click,
	.note = home_note,
	.shown = home_shown,
	.destroy = home_destroy,
};

struct screen *screen_home_new(struct app *a)
{
	struct home *h = calloc(1, sizeof *h);
	if (h == NULL)
		abort();
	h->base = (struct screen){.ops = &home_ops, .app = a, .m = app_model(a),
		.keys = KEYS_FEED};
	h->feed.empty = "Your feed is empty. Follow people (/ to search) or post something (n).";
	return &h->base;
}
