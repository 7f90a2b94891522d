/* postcard.c: a post as a card (author, age, text with #tags and @mentions
 * lit, image URL, likes and comments, a filled heart when I liked it) and
 * the scrolling list of cards used by the feed, profiles and tag pages,
 * which asks for older posts as the selection nears the end. */
#include <stdlib.h>
#include <string.h>

#include "links.h"
#include "photoview.h"
#include "text.h"
#include "ui.h"

#define FEED_LINES 8   /* content lines a card shows in a list */
#define THUMB_ROWS 8   /* rows of a card's thumbnail in a list */

void fmt_count(int64_t n, char *out, size_t size)
{
	if (n < 1000)
		snprintf(out, size, "%lld", (long long)n);
	else if (n < 1000000)
		snprintf(out, size, "%.1fk", (double)n / 1000.0);
	else
		snprintf(out, size, "%.1fM", (double)n / 1000000.0);
}

void draw_hint(WINDOW *w, int y, int cols, const char *text, attr_t a)
{
	int c = text_cols(text, strlen(text));
	put_fit(w, y, c < cols ? (cols - c) / 2 : 0, cols, text, a);
}

/* The selection bar at the left edge of the pen's current row. */
static void edge(struct pen *p, bool selected)
{
	int y = pen_row(p);
	if (y >= 0 && selected)
		put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
}

void postcard_draw(struct app *a, const struct post *post, struct pen *p, bool selected,
	int max_lines)
{
	int x = p->x0 + 2, width = p->width - 3;
	int y;
	/* Header: @author · 3m ago */
	if ((y = pen_row(p)) >= 0) {
		edge(p, selected);
		char who[80], age[32];
		snprintf(who, sizeof who, "@%s", post->author);
		int used = put_fit(p->w, y, x, width - 14, who, th(TH_AUTHOR));
		ag_time_ago(post->created_at, app_now(a), age, sizeof age);
		used += 1 + put_str(p->w, y, x + used + 1, width - used, g.sep, th(TH_DIM));
		put_str(p->w, y, x + used + 1, width - used - 1, age, th(TH_TIME));
	}
	p->vy++;
	/* Content, wrapped, with highlights. */
	if (post->content && post->content[0]) {
		int n = wrap_text(post->content, width, NULL, 0);
		struct span *lines = calloc((size_t)n, sizeof *lines);
		size_t len = strlen(post->content);
		unsigned char *cls = malloc(len + 1);
		if (lines == NULL || cls == NULL)
			abort();
		wrap_text(post->content, width, lines, n);
		rich_classes(post->content, len, cls);
		int shown = n;
		bool cut = max_lines > 0 && n > max_lines;
		if (cut)
			shown = max_lines - 1;
		for (int i = 0; i < shown; i++) {
			if ((y = pen_row(p)) >= 0) {
				edge(p, selected);
				put_rich(p->w, y, x, width, post->content + lines[i].off, lines[i].len,
					cls + lines[i].off, th(TH_NORMAL));
			}
			p->vy++;
		}
		if (cut) {
			if ((y = pen_row(p)) >= 0) {
				edge(p, selected);
				char more[64];
				snprintf(more, sizeof more, "%s %d more lines (Enter to read)", g.ellipsis, n - shown);
				put_str(p->w, y, x, width, more, th(TH_DIM));
			}
			p->vy++;
		}
		free(lines);
		free(cls);
	}
	if (post->media.id > 0) {
		/* Lists show the thumbnail; the post view the photo, as large as
		 * the window allows. */
		bool thumb = max_lines > 0;
		int rows = thumb ? THUMB_ROWS : (p->rows > 12 ? p->rows - 4 : 8);
		int top = p->vy;
		photo_pen_draw(a, p, &post->media, thumb, x, width, rows);
		for (int vy = top; vy < p->vy && selected; vy++) {
			int at = p->vy;
			p->vy = vy;
			edge(p, selected);
			p->vy = at;
		}
	}
	if (post->image_url && post->image_url[0]) {
		if ((y = pen_row(p)) >= 0) {
			edge(p, selected);
			int used = put_str(p->w, y, x, width, g.image, th(TH_DIM));
			put_fit(p->w, y, x + used + 1, width - used - 1, post->image_url, th(TH_URL));
			/* Clickable where the terminal has OSC 8 hyperlinks (whole URLs
			 * only: a cut one is not the link). */
			if (text_cols(post->image_url, strlen(post->image_url)) <= width - used - 1) {
				int by, bx;
				getbegyx(p->w, by, bx);
				photoview_link(by + y, bx + x + used + 1, post->image_url, post->image_url);
			}
		}
		p->vy++;
	}
	/* Counts: likes and comments, with my like marked. */
	if ((y = pen_row(p)) >= 0) {
		edge(p, selected);
		char num[24], buf[64];
		int cx = x;
		cx += put_str(p->w, y, cx, 3, post->liked ? g.heart : g.heart_empty,
			post->liked ? th(TH_LIKED) : th(TH_DIM));
		fmt_count(post->like_count, num, sizeof num);
		snprintf(buf, sizeof buf, " %s", num);
		cx += put_str(p->w, y, cx, 10, buf, post->liked ? th(TH_LIKED) : th(TH_COUNT));
		cx += 3;
		cx += put_str(p->w, y, cx, 3, g.comment, th(TH_DIM));
		fmt_count(post->comment_count, num, sizeof num);
		snprintf(buf, sizeof buf, " %s %s", num, post->comment_count == 1 ? "comment" : "comments");
		cx += put_str(p->w, y, cx, 20, buf, th(TH_COUNT));
		if (post->liked)
			put_str(p->w, y, cx + 3, 20, "you liked this", th(TH_DIM));
	}
	p->vy++;
	p->vy++;   /* a blank row between cards */
}

void open_link(struct app *a, const char *url)
{
	char done[200];
	if (url == NULL || url[0] == '\0') {
		app_toast(a, "This post has no image URL.", TH_WARN);
		return;
	}
	bool ok = link_open(url, app_write_tty, done, sizeof done);
	app_toast(a, done, ok ? TH_OK : TH_WARN);
}

void view_footer(const struct view *v, struct pen *p, const char *end_text)
{
	int y = pen_row(p);
	if (y >= 0) {
		if (v->error[0]) {
			char buf[240];
			snprintf(buf, sizeof buf, "%s  (r to retry)", v->error);
			draw_hint(p->w, y, p->width + p->x0 * 2, buf, th(TH_ERROR));
		} else if (v->loading) {
			draw_hint(p->w, y, p->width + p->x0 * 2, "loading…", th(TH_DIM));
		} else if (v->at_end && v->n > 0 && end_text) {
			draw_hint(p->w, y, p->width + p->x0 * 2, end_text, th(TH_DIM));
		}
	}
	p->vy++;
}

struct postlist_ctx {
	struct app *a;
	struct postlist *pl;
};

static void postlist_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct postlist_ctx *c = ctx;
	struct view *v = c->pl->v;
	if ((size_t)idx == v->n) {
		view_footer(v, p, "You're all caught up.");
		return;
	}
	postcard_draw(c->a, v->items[idx], p, selected, FEED_LINES);
}

void postlist_draw(struct app *a, struct postlist *pl, WINDOW *w, int y0, int rows, int cols)
{
	struct view *v = pl->v;
	if (v->n == 0 && v->loaded && !v->loading && !v->error[0]) {
		draw_hint(w, y0 + rows / 3, cols, pl->empty ? pl->empty : "Nothing here yet.", th(TH_DIM));
		pl->lb.n = 0;
		return;
	}
	if (v->n == 0 && !v->loaded && !v->error[0]) {
		draw_hint(w, y0 + rows / 3, cols, "loading…", th(TH_DIM));
		pl->lb.n = 0;
		return;
	}
	struct postlist_ctx ctx = {a, pl};
	/* The footer row is an item too, but the selection never rests on it. */
	if (pl->lb.sel >= (int)v->n && v->n > 0)
		pl->lb.sel = (int)v->n - 1;
	listbox_draw(&pl->lb, w, y0, 1, rows, cols - 2, (int)v->n + 1, postlist_item, &ctx);
	if (pl->lb.total <= rows || listbox_near_end(&pl->lb, 3))
		model_view_more(app_model(a), v);
}

static struct post *postlist_selected(struct postlist *pl)
{
	if (pl->v->n == 0 || pl->lb.sel < 0 || (size_t)pl->lb.sel >= pl->v->n)
		return NULL;
	return pl->v->items[pl->lb.sel];
}

static void delete_post(struct app *a, void *ctx, int64_t id)
{
	(void)ctx;
	model_post_delete(app_model(a), id);
}

static void mention_picked(struct app *a, void *ctx, const char *text)
{
	(void)ctx;
	if (text[0] == '@')
		text++;
	if (text[0])
		model_lookup(app_model(a), text, LOOKUP_PROFILE);
}

void open_mention(struct app *a, const char *text)
{
	size_t len = text ? strlen(text) : 0;
	unsigned char *cls = malloc(len + 1);
	if (cls == NULL)
		abort();
	rich_classes(text ? text : "", len, cls);
	char names[200] = "", first[64] = "";
	int count = 0;
	size_t used = 0;
	for (size_t i = 0; i < len; i++) {
		if (cls[i] != CLS_MENTION || (i > 0 && cls[i - 1] == CLS_MENTION))
			continue;
		size_t j = i;
		while (j < len && cls[j] == CLS_MENTION)
			j++;
		if (count == 0)
			snprintf(first, sizeof first, "%.*s", (int)(j - i - 1), text + i + 1);
		if (used + (j - i) + 2 < sizeof names) {   /* the names, for the prompt's hint */
			int n = snprintf(names + used, sizeof names - used, "%s%.*s", used ? " " : "",
				(int)(j - i), text + i);
			used += (size_t)n;
		}
		count++;
		i = j - 1;
	}
	free(cls);
	if (count == 0)
		app_toast(a, "No @mentions here.", TH_WARN);
	else if (count == 1)
		model_lookup(app_model(a), first, LOOKUP_PROFILE);
	else
		app_prompt(a, "Open whose profile?", names, mention_picked, NULL);
}

bool postlist_key(struct app *a, struct postlist *pl, const struct key *k)
{
	struct model *m = app_model(a);
	struct post *p = postlist_selected(pl);
	if (listbox_key(&pl->lb, k)) {
		if (pl->lb.sel >= (int)pl->v->n && pl->v->n > 0)
			pl->lb.sel = (int)pl->v->n - 1;
		if (listbox_near_end(&pl->lb, 3))
			model_view_more(m, pl->v);
		return true;
	}
	if (p == NULL)
		return false;
	if (key_is(k, ACT_LIKE)) {
		model_like(m, p->id);
	} else if (key_is(k, ACT_OPEN)) {
		app_open_post(a, p->id, false);
	} else if (key_is(k, ACT_COMMENT)) {
		app_open_post(a, p->id, true);
	} else if (key_is(k, ACT_MENTION)) {
		open_mention(a, p->content);
	} else if (key_is(k, ACT_OPEN_LINK)) {
		open_link(a, p->image_url);
	} else if (key_is(k, ACT_AUTHOR)) {
		app_open_profile(a, p->author_id);
	} else if (key_is(k, ACT_FOLLOW)) {
		if (p->author_id == m->me.id) {
			app_toast(a, "That is your own post.", TH_WARN);
			return true;
		}
		struct profile *pr = model_profile(m, p->author_id);
		model_follow(m, p->author_id, pr->u.username ? !pr->is_following : true);
	} else if (key_is(k, ACT_DELETE)) {
		if (p->author_id != m->me.id) {
			app_toast(a, "You can only delete your own posts.", TH_WARN);
			return true;
		}
		app_confirm(a, "Delete this post, with its likes and comments?", delete_post, NULL, p->id);
	} else {
		return false;
	}
	return true;
}

void postlist_click(struct app *a, struct postlist *pl, int y)
{
	int idx = listbox_hit(&pl->lb, y);
	if (idx < 0 || (size_t)idx >= pl->v->n)
		return;
	if (idx == pl->lb.sel)
		app_open_post(a, ((struct post *)pl->v->items[idx])->id, false);
	else
		listbox_select(&pl->lb, idx);
}
