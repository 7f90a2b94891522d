/* screen_search.c: search as you type: people (by username or name),
 * hashtags, and the posts carrying the tag typed, asked for a moment after
 * the last key. A query starting with '#' looks for tags only. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ui.h"

#define DEBOUNCE_MS 150

enum entry_kind { EN_HEADER, EN_USER, EN_TAG, EN_POST, EN_NOTE };

struct entry {
	enum entry_kind kind;
	const void *item;
	const char *text;
};

struct search {
	struct screen base;
	struct editor q;
	bool in_input;
	int64_t due;               /* monotonic ms when the query should go out, 0 none */
	struct view *users, *tags, *posts;
	char posts_title[160];
	struct listbox lb;
	struct entry *entries;
	int n_entries, cap_entries;
	int list_y0;
};

static void set_input(struct search *s, bool on)
{
	s->in_input = on;
	s->base.typing = on;
}

static bool tag_query(const struct search *s)
{
	return ed_text(&s->q)[0] == '#';
}

static void add(struct search *s, enum entry_kind kind, const void *item, const char *text)
{
	if (s->n_entries == s->cap_entries) {
		s->cap_entries = s->cap_entries ? s->cap_entries * 2 : 32;
		s->entries = realloc(s->entries, (size_t)s->cap_entries * sizeof *s->entries);
		if (s->entries == NULL)
			abort();
	}
	s->entries[s->n_entries++] = (struct entry){kind, item, text};
}

static bool selectable(const struct entry *e)
{
	return e->kind == EN_USER || e->kind == EN_TAG || e->kind == EN_POST;
}

/* Lays out the results: the typed tag, people, tags. */
static void build(struct search *s)
{
	s->n_entries = 0;
	const char *q = ed_text(&s->q);
	if (q[0] == '\0')
		return;
	if (!tag_query(s)) {
		add(s, EN_HEADER, NULL, "People");
		for (size_t i = 0; i < s->users->n; i++)
			add(s, EN_USER, s->users->items[i], NULL);
		if (s->users->n == 0)
			add(s, EN_NOTE, NULL, s->users->error[0] ? s->users->error
				: s->users->loading || s->due ? "searching…" : "No one found.");
	}
	add(s, EN_HEADER, NULL, "Tags");
	for (size_t i = 0; i < s->tags->n; i++)
		add(s, EN_TAG, s->tags->items[i], NULL);
	if (s->tags->n == 0)
		add(s, EN_NOTE, NULL, s->tags->error[0] ? s->tags->error
			: s->tags->loading || s->due ? "searching…" : "No tags found.");
	if (s->posts->text && s->posts->text[0] && s->posts->n > 0) {
		snprintf(s->posts_title, sizeof s->posts_title, "Posts tagged #%s", s->posts->text);
		add(s, EN_HEADER, NULL, s->posts_title);
		for (size_t i = 0; i < s->posts->n; i++)
			add(s, EN_POST, s->posts->items[i], NULL);
	}
}

/* The query as a tag ("sunset" for "#sunset" or "sunset"), or "" when it
 * is not one: tags are letters, digits and underscores. */
static void query_tag(const char *q, char *out, size_t size)
{
	out[0] = '\0';
	if (q[0] == '#')
		q++;
	size_t len = strlen(q);
	if (len == 0 || len + 2 > size)
		return;
	char tag[128];
	snprintf(tag, sizeof tag, "#%s", q);
	unsigned char cls[128];
	rich_classes(tag, len + 1, cls);
	for (size_t i = 0; i <= len; i++)
		if (cls[i] != CLS_TAG)
			return;
	snprintf(out, size, "%s", q);
}

static void entry_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct search *s = ctx;
	const struct entry *e = &s->entries[idx];
	int y = pen_row(p);
	if (y >= 0) {
		if (selected && !s->in_input && selectable(e))
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		int x = p->x0 + 2;
		char buf[160], num[24];
		switch (e->kind) {
		case EN_HEADER:
			if (idx > 0)
				p->vy++, y = pen_row(p);
			if (y >= 0)
				put_str(p->w, y, x, p->width, e->text, th(TH_ACCENT));
			break;
		case EN_NOTE:
			put_str(p->w, y, x + 2, p->width - 4, e->text, th(TH_DIM));
			break;
		case EN_USER: {
			const struct user *u = e->item;
			snprintf(buf, sizeof buf, "@%s", u->username);
			int used = put_fit(p->w, y, x + 2, 34, buf, th(TH_AUTHOR));
			if (u->full_name)
				put_fit(p->w, y, x + 4 + used, p->width - used - 8, u->full_name, th(TH_DIM));
			break;
		}
		case EN_POST: {
			const struct post *post = e->item;
			snprintf(buf, sizeof buf, "@%s", post->author);
			int used = put_fit(p->w, y, x + 2, 24, buf, th(TH_AUTHOR));
			char line[200];
			snprintf(line, sizeof line, "%s", post->content ? post->content : post->image_url ? post->image_url : "");
			for (char *c = line; *c; c++)
				if (*c == '\n')
					*c = ' ';
			put_fit(p->w, y, x + 4 + used, p->width - used - 8, line, th(TH_NORMAL));
			break;
		}
		case EN_TAG: {
			const struct tag *t = e->item;
			snprintf(buf, sizeof buf, "#%s", t->name);
			int used = put_fit(p->w, y, x + 2, p->width / 2, buf, th(TH_TAG));
			fmt_count(t->post_count, num, sizeof num);
			snprintf(buf, sizeof buf, "%s post%s", num, t->post_count == 1 ? "" : "s");
			put_str(p->w, y, x + 4 + used, 20, buf, th(TH_DIM));
			break;
		}
		}
	} else if (e->kind == EN_HEADER && idx > 0) {
		p->vy++;
	}
	p->vy++;
}

static void search_draw(struct screen *sc, WINDOW *w, int rows, int cols)
{
	struct search *s = (struct search *)sc;
	int x = 2;
	x += put_str(w, 0, x, 10, "Search", th(TH_TITLE)) + 2;
	put_fill(w, 0, x, cols - x - 2, th(TH_INPUT));
	int cy, cx;
	if (ed_text(&s->q)[0] == '\0' && !s->in_input)
		put_str(w, 0, x + 1, cols - x - 4, "press / to type", th(TH_PLACEHOLDER));
	ed_draw(&s->q, w, 0, x + 1, 1, cols - x - 4, th(TH_INPUT), &cy, &cx);
	if (s->in_input) {
		sc->cur_y = cy;
		sc->cur_x = cx;
	}
	put_fit(w, 1, 2, cols - 4, s->in_input
		? "Type a name or a #tag  ·  ↓ results  ·  Enter open  ·  Esc leave the field"
		: "j/k move  ·  Enter open  ·  / edit the search", th(TH_DIM));
	mvwhline(w, 2, 0, ACS_HLINE | th(TH_BORDER), cols);
	s->list_y0 = 3;
	build(s);
	if (s->n_entries == 0) {
		draw_hint(w, rows / 3, cols, "Find people and #tags.", th(TH_DIM));
		s->lb.n = 0;
		return;
	}
	/* Keep the selection on something that can be opened. */
	if (s->lb.sel >= s->n_entries)
		s->lb.sel = s->n_entries - 1;
	while (s->lb.sel < s->n_entries - 1 && !selectable(&s->entries[s->lb.sel]))
		s->lb.sel++;
	listbox_draw(&s->lb, w, s->list_y0, 1, rows - s->list_y0, cols - 2, s->n_entries, entry_item, s);
}

static void open_entry(struct search *s, const struct entry *e)
{
	struct app *a = s->base.app;
	if (e->kind == EN_USER)
		app_open_profile(a, ((const struct user *)e->item)->id);
	else if (e->kind == EN_TAG)
		app_open_tag(a, ((const struct tag *)e->item)->name);
	else if (e->kind == EN_POST)
		app_open_post(a, ((const struct post *)e->item)->id, false);
}

/* Moves the selection to the next entry that can be opened (dir 0: the
 * first one from the current). */
static void move_sel(struct search *s, int dir)
{
	int step = dir < 0 ? -1 : 1;
	int i = s->lb.sel + dir;
	while (i >= 0 && i < s->n_entries && !selectable(&s->entries[i]))
		i += step;
	if (i >= 0 && i < s->n_entries)
		listbox_select(&s->lb, i);
	else if (dir < 0)
		set_input(s, true);
}

static bool search_key(struct screen *sc, const struct key *k)
{
	struct search *s = (struct search *)sc;
	if (s->in_input) {
		if (!k->paste && k->code == 0 && k->ch == 27) {
			set_input(s, false);
			return true;
		}
		if (k->code == KEY_DOWN) {
			set_input(s, false);
			s->lb.sel = 0;
			move_sel(s, 0);
			return true;
		}
		enum ed_result r = ed_key(&s->q, k);
		if (r == ED_CHANGED) {
			s->due = ag_mono_ms() + DEBOUNCE_MS;
			s->lb.sel = 0;
			s->lb.scroll = 0;
		} else if (r == ED_SUBMIT) {
			/* Enter: the first result; a #tag with no results yet opens as typed. */
			build(s);
			int first = -1;
			for (int i = 0; i < s->n_entries && first < 0; i++)
				if (selectable(&s->entries[i]))
					first = i;
			if (first >= 0) {
				set_input(s, false);
				listbox_select(&s->lb, first);
				open_entry(s, &s->entries[first]);
			} else if (tag_query(s) && ed_text(&s->q)[1]) {
				app_open_tag(sc->app, ed_text(&s->q) + 1);
			}
		}
		return r != ED_UNHANDLED;
	}
	if (k->code == 0 && !k->paste && (k->ch == '/' || k->ch == 'i')) {
		set_input(s, true);
		return true;
	}
	/* With nothing typed yet, a letter that is no command starts the search. */
	wint_t ch;
	if (ed_text(&s->q)[0] == '\0' && key_char(k, &ch) && !key_bound(k)) {
		set_input(s, true);
		ed_key(&s->q, k);
		s->due = ag_mono_ms() + DEBOUNCE_MS;
		return true;
	}
	if (key_is(k, ACT_DOWN)) {
		move_sel(s, 1);
		return true;
	}
	if (key_is(k, ACT_UP)) {
		move_sel(s, -1);
		return true;
	}
	if (listbox_key(&s->lb, k))
		return true;
	if (key_is(k, ACT_OPEN) && s->lb.sel < s->n_entries) {
		open_entry(s, &s->entries[s->lb.sel]);
		return true;
	}
	return false;
}

static void search_click(struct screen *sc, int y, int x)
{
	(void)x;
	struct search *s = (struct search *)sc;
	if (y == 0) {
		set_input(s, true);
		return;
	}
	int idx = listbox_hit(&s->lb, y - s->list_y0);
	if (idx < 0 || idx >= s->n_entries || !selectable(&s->entries[idx]))
		return;
	set_input(s, false);
	if (idx == s->lb.sel)
		open_entry(s, &s->entries[idx]);
	else
		listbox_select(&s->lb, idx);
}

/* Sends the query once typing has paused. */
static int search_tick(struct screen *sc, int64_t now)
{
	struct search *s = (struct search *)sc;
	if (s->due == 0)
		return -1;
	if (now < s->due)
		return (int)(s->due - now);
	s->due = 0;
	const char *q = ed_text(&s->q);
	const char *bare = q[0] == '#' || q[0] == '@' ? q + 1 : q;
	model_view_query(sc->m, s->users, q[0] == '#' ? "" : bare);
	model_view_query(sc->m, s->tags, bare);
	char tag[128];
	query_tag(q, tag, sizeof tag);
	model_view_query(sc->m, s->posts, tag);
	app_dirty(sc->app);
	return -1;
}

static void search_destroy(struct screen *sc)
{
	struct search *s = (struct search *)sc;
	model_view_close(sc->m, s->users);
	model_view_close(sc->m, s->tags);
	model_view_close(sc->m, s->posts);
	ed_free(&s->q);
	listbox_free(&s->lb);
	free(s->entries);
	free(s);
}

static struct editor *search_field(struct screen *s)
{
	struct search *se = (struct search *)s;
	return se->in_input ? &se->q : NULL;
}

static const struct screen_ops search_ops = {
	.draw = search_draw,
	.key = search_key,
	.click = search_click,
	.tick = search_tick,
	.destroy = search_destroy,
	.field = search_field,
};

void screen_search_focus(struct screen *sc)
{
	set_input((struct search *)sc, true);
}

struct screen *screen_search_new(struct app *a)
{
	struct search *s = calloc(1, sizeof *s);
	if (s == NULL)
		abort();
	s->base = (struct screen){.ops = &search_ops, .app = a, .m = app_model(a),
		.keys = KEYS_TEXT};
	ed_init(&s->q, true);
	s->q.max_chars = 100;
	s->users = model_view_open(s->base.m, SRC_SEARCH_USERS, 0, "");
	s->tags = model_view_open(s->base.m, SRC_SEARCH_TAGS, 0, "");
	s->posts = model_view_open(s->base.m, SRC_TAG_POSTS, 0, "");
	return &s->base;
}
