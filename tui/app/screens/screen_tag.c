/* screen_tag.c: the posts carrying one #tag, as cards, newest first. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

struct tag_screen {
	struct screen base;
	char tag[128];
	struct postlist posts;
	int list_y0;
};

static void tag_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct tag_screen *t = (struct tag_screen *)s;
	char title[160];
	snprintf(title, sizeof title, "#%s", t->tag);
	int used = put_fit(w, 0, 2, cols / 2, title, th(TH_TAG_TITLE));
	struct view *v = t->posts.v;
	if (v->loaded) {
		char count[64];
		snprintf(count, sizeof count, "%zu%s post%s", v->n, v->at_end ? "" : "+", v->n == 1 ? "" : "s");
		used += 2 + put_str(w, 0, 4 + used, 20, count, th(TH_DIM));
	}
	put_right(w, 0, 2 + used, cols, "Esc: back", th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	t->list_y0 = 2;
	postlist_draw(s->app, &t->posts, w, 2, rows - 2, cols);
}

static bool tag_key(struct screen *s, const struct key *k)
{
	struct tag_screen *t = (struct tag_screen *)s;
	if (key_is(k, ACT_REFRESH)) {
		model_view_refresh(s->m, t->posts.v);
		return true;
	}
	return postlist_key(s->app, &t->posts, k);
}

static void tag_click(struct screen *s, int y, int x)
{
	(void)x;
	struct tag_screen *t = (struct tag_screen *)s;
	if (y >= t->list_y0)
		postlist_click(s->app, &t->posts, y - t->list_y0);
}

static void tag_destroy(struct screen *s)
{
	struct tag_screen *t = (struct tag_screen *)s;
	model_view_close(s->m, t->posts.v);
	listbox_free(&t->posts.lb);
	free(t);
}

static const struct screen_ops tag_ops = {
	.draw = tag_draw,
	.key = tag_key,
	.click = tag_click,
	.destroy = tag_destroy,
};

struct screen *screen_tag_new(struct app *a, const char *tag)
{
	struct tag_screen *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->base = (struct screen){.ops = &tag_ops, .app = a, .m = app_model(a),
		.keys = KEYS_FEED};
	while (*tag == '#')
		tag++;
	snprintf(t->tag, sizeof t->tag, "%s", tag);
	t->posts.v = model_view_open(t->base.m, SRC_TAG_POSTS, 0, t->tag);
	t->posts.empty = "No posts with this tag.";
	return &t->base;
}
