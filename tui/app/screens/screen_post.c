/* screen_post.c: one post in full with its comments, oldest first so the
 * newest sits just above the compose line at the bottom. l likes, c (or
 * i) writes a comment, d deletes my post or a comment I may delete (after
 * asking), p opens the selected author's profile. */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ui.h"

struct post_screen {
	struct screen base;
	int64_t post_id;
	struct view *comments;
	struct listbox lb;
	struct editor line;
	struct mention mention;   /* Tab completing an @name in the comment line */
	char draft_key[40];     /* where the unsent text is kept */
	bool composing;
	bool sending;
	int list_y0;
};

/* Display order: 0 the post, then (when older ones exist) a "load
 * earlier" row, then the comments oldest first. */
static bool has_earlier(const struct post_screen *ps)
{
	return ps->comments->loaded && !ps->comments->at_end && ps->comments->n > 0;
}

static int first_comment(const struct post_screen *ps)
{
	return has_earlier(ps) ? 2 : 1;
}

static struct comment *comment_at(const struct post_screen *ps, int idx)
{
	int i = idx - first_comment(ps);
	size_t n = ps->comments->n;
	if (i < 0 || (size_t)i >= n)
		return NULL;
	return ps->comments->items[n - 1 - (size_t)i];
}

struct draw_ctx {
	struct post_screen *ps;
	struct post *post;
};

static void comment_draw(struct app *a, const struct comment *c, struct pen *p, bool selected)
{
	int x = p->x0 + 4, width = p->width - 5;
	int y;
	if ((y = pen_row(p)) >= 0) {
		if (selected)
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		char who[80], age[32];
		snprintf(who, sizeof who, "@%s", c->author);
		int used = put_fit(p->w, y, x, width - 14, who, th(TH_AUTHOR));
		used += 1 + put_str(p->w, y, x + used + 1, 4, g.sep, th(TH_DIM));
		ag_time_ago(c->created_at, app_now(a), age, sizeof age);
		put_str(p->w, y, x + used + 1, width - used - 1, age, th(TH_TIME));
	}
	p->vy++;
	int n = wrap_text(c->content, width, NULL, 0);
	struct span *lines = calloc((size_t)n, sizeof *lines);
	size_t len = strlen(c->content);
	unsigned char *cls = malloc(len + 1);
	if (lines == NULL || cls == NULL)
		abort();
	wrap_text(c->content, width, lines, n);
	rich_classes(c->content, len, cls);
	for (int i = 0; i < n; i++) {
		if ((y = pen_row(p)) >= 0) {
			if (selected)
				put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
			put_rich(p->w, y, x, width, c->content + lines[i].off, lines[i].len,
				cls + lines[i].off, th(TH_NORMAL));
		}
		p->vy++;
	}
	free(lines);
	free(cls);
	p->vy++;
}

static void item_draw(void *ctx, int idx, struct pen *p, bool selected)
{
	struct draw_ctx *c = ctx;
	struct post_screen *ps = c->ps;
	struct app *a = ps->base.app;
	int y;
	if (idx == 0) {
		postcard_draw(a, c->post, p, selected, 0);
		if ((y = pen_row(p)) >= 0) {
			char head[64];
			snprintf(head, sizeof head, " Comments (%lld) ", (long long)c->post->comment_count);
			mvwhline(p->w, y, p->x0 + 2, ACS_HLINE | th(TH_BORDER), p->width - 3);
			put_str(p->w, y, p->x0 + 4, p->width - 6, head, th(TH_DIM));
		}
		p->vy++;
		if (c->post->comment_count == 0 && ps->comments->loaded && ps->comments->n == 0) {
			if ((y = pen_row(p)) >= 0)
				put_str(p->w, y, p->x0 + 4, p->width - 6, "No comments yet. Press c to write one.",
					th(TH_DIM));
			p->vy++;
		}
		return;
	}
	if (idx == 1 && has_earlier(ps)) {
		if ((y = pen_row(p)) >= 0) {
			if (selected)
				put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
			put_str(p->w, y, p->x0 + 4, p->width - 6,
				ps->comments->loading ? "loading earlier comments…" : "Earlier comments (Enter)",
				th(TH_ACCENT));
		}
		p->vy += 2;
		return;
	}
	struct comment *cm = comment_at(ps, idx);
	if (cm)
		comment_draw(a, cm, p, selected);
	else
		view_footer(ps->comments, p, NULL);
}

static int item_count(const struct post_screen *ps)
{
	return first_comment(ps) + (int)ps->comments->n + (ps->comments->error[0] || ps->comments->loading);
}

static void post_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct post_screen *ps = (struct post_screen *)s;
	struct post *post = model_post(s->m, ps->post_id);
	char title[120];
	snprintf(title, sizeof title, "Post by @%s", post ? post->author : "…");
	int used = put_fit(w, 0, 2, cols - 16, title, th(TH_TITLE));
	put_right(w, 0, 2 + used, cols, "Esc: back", th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	ps->list_y0 = 2;
	int list_rows = rows - 4;
	if (post == NULL) {
		const char *why = ps->comments->error[0] ? ps->comments->error : "loading…";
		draw_hint(w, rows / 3, cols, why, ps->comments->error[0] ? th(TH_ERROR) : th(TH_DIM));
	} else {
		struct draw_ctx ctx = {ps, post};
		listbox_draw(&ps->lb, w, ps->list_y0, 1, list_rows, cols - 2, item_count(ps), item_draw, &ctx);
	}
	/* The compose line. */
	mvwhline(w, rows - 2, 0, ACS_HLINE | th(TH_BORDER), cols);
	if (mention_finish(&ps->mention, &ps->line))
		model_draft_save(s->m, ps->draft_key, ed_text(&ps->line));
	if (ps->mention.candidates[0])
		put_fit(w, rows - 2, 2, cols - 4, ps->mention.candidates, th(TH_MENTION));
	int x = 2;
	x += put_str(w, rows - 1, x, 3, ">", ps->composing ? th(TH_ACCENT) : th(TH_DIM)) + 1;
	if (!ps->composing && ed_text(&ps->line)[0] == '\0') {
		put_str(w, rows - 1, x, cols - x - 2,
			ps->sending ? "sending…" : "Add a comment…  (c)", th(TH_DIM));
		return;
	}
	int cy, cx;
	ed_draw(&ps->line, w, rows - 1, x, 1, cols - x - 12, th(TH_NORMAL), &cy, &cx);
	char count[24];
	snprintf(count, sizeof count, "%zu/1000", ed_chars(&ps->line));
	if (ps->sending)   /* until the server has it, however long it is away */
		put_str(w, rows - 1, cols - 10, 10, "sending…", th(TH_DIM));
	else
		put_str(w, rows - 1, cols - 10, 10, count,
			ed_chars(&ps->line) > 1000 ? th(TH_ERROR) : th(TH_DIM));
	if (ps->composing) {
		s->cur_y = cy;
		s->cur_x = cx;
	}
}

static void delete_post(struct app *a, void *ctx, int64_t id)
{
	(void)ctx;
	model_post_delete(app_model(a), id);
}

static void delete_comment(struct app *a, void *ctx, int64_t id)
{
	struct post_screen *ps = ctx;
	model_comment_delete(app_model(a), ps->post_id, id);
}

static void send_comment(struct post_screen *ps)
{
	if (ps->sending)
		return;
	if (ed_blank(&ps->line)) {
		app_toast(ps->base.app, "Write something first.", TH_WARN);
		return;
	}
	if (ed_chars(&ps->line) > 1000) {
		app_toast(ps->base.app, "A comment can be at most 1000 characters.", TH_WARN);
		return;
	}
	ps->sending = true;
	model_comment(ps->base.m, ps->post_id, ed_text(&ps->line));
}

static void set_composing(struct post_screen *ps, bool on)
{
	ps->composing = on;
	ps->base.typing = on;
}

static bool post_key(struct screen *s, const struct key *k)
{
	struct post_screen *ps = (struct post_screen *)s;
	struct model *m = s->m;
	struct app *a = s->app;
	if (ps->composing) {
		if (k->code == 0 && k->ch == 27 && !k->paste) {
			set_composing(ps, false);
			return true;
		}
		if (key_is(k, ACT_SUBMIT)) {
			send_comment(ps);
			return true;
		}
		if (mention_key(&ps->mention, m, &ps->line, k))
			return true;
		enum ed_result r = ed_key(&ps->line, k);
		if (r == ED_CHANGED) {
			ps->mention.candidates[0] = '\0';
			model_draft_save(m, ps->draft_key, ed_text(&ps->line));
		}
		if (r == ED_SUBMIT)
			send_comment(ps);
		if (r == ED_UNHANDLED && (k->code == KEY_UP || k->code == KEY_DOWN ||
		    k->code == KEY_PPAGE || k->code == KEY_NPAGE))
			listbox_key(&ps->lb, k);
		return true;
	}
	struct post *post = model_post(m, ps->post_id);
	if (listbox_key(&ps->lb, k))
		return true;
	if (key_is(k, ACT_COMMENT) || (k->code == 0 && k->ch == 'i' && !k->paste)) {
		set_composing(ps, true);
		return true;
	}
	if (key_is(k, ACT_REFRESH)) {
		model_post_fetch(m, ps->post_id);
		model_view_refresh(m, ps->comments);
		return true;
	}
	if (post == NULL)
		return false;
	struct comment *c = comment_at(ps, ps->lb.sel);
	if (key_is(k, ACT_LIKE)) {
		model_like(m, post->id);
	} else if (key_is(k, ACT_OPEN)) {
		if (ps->lb.sel == 1 && has_earlier(ps))
			model_view_more(m, ps->comments);
		else
			app_open_profile(a, c ? c->author_id : post->author_id);
	} else if (key_is(k, ACT_AUTHOR)) {
		app_open_profile(a, c ? c->author_id : post->author_id);
	} else if (key_is(k, ACT_MENTION)) {
		open_mention(a, c ? c->content : post->content);
	} else if (key_is(k, ACT_OPEN_LINK)) {
		open_link(a, post->image_url);
	} else if (key_is(k, ACT_FOLLOW)) {
		int64_t who = c ? c->author_id : post->author_id;
		if (who == m->me.id)
			return true;
		struct profile *pr = model_profile(m, who);
		model_follow(m, who, pr->u.username ? !pr->is_following : true);
	} else if (key_is(k, ACT_DELETE)) {
		if (c) {
			if (c->author_id != m->me.id && post->author_id != m->me.id)
				app_toast(a, "Only its author or the post's author can delete a comment.", TH_WARN);
			else
				app_confirm(a, "Delete this comment?", delete_comment, ps, c->id);
		} else if (ps->lb.sel == 0) {
			if (post->author_id != m->me.id)
				app_toast(a, "You can only delete your own posts.", TH_WARN);
			else
				app_confirm(a, "Delete this post, with its likes and comments?", delete_post, NULL,
					post->id);
		}
	} else {
		return false;
	}
	return true;
}

static void post_click(struct screen *s, int y, int x)
{
	(void)x;
	struct post_screen *ps = (struct post_screen *)s;
	int rows = getmaxy(stdscr) - 2;
	if (y >= rows - 1) {
		set_composing(ps, true);
		return;
	}
	int idx = listbox_hit(&ps->lb, y - ps->list_y0);
	if (idx >= 0)
		listbox_select(&ps->lb, idx);
	set_composing(ps, false);
}

static void post_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)aux;
	struct post_screen *ps = (struct post_screen *)s;
	switch (n) {
	case NOTE_POST_DELETED:
		if (id == ps->post_id)
			app_close(s->app, s);
		break;
	case NOTE_COMMENT_SENT:
		if (id == ps->post_id && ps->sending) {
			ps->sending = false;
			ed_set(&ps->line, "");
			/* Show the new comment: the last item. */
			listbox_select(&ps->lb, item_count(ps) - 1);
			ps->lb.stick_bottom = true;
		}
		break;
	case NOTE_COMMENT_FAILED:
		if (id == ps->post_id && ps->sending) {
			ps->sending = false;
			app_toast(s->app, msg, TH_ERROR);
		}
		break;
	default:
		break;
	}
}

static void post_destroy(struct screen *s)
{
	struct post_screen *ps = (struct post_screen *)s;
	model_view_close(s->m, ps->comments);
	listbox_free(&ps->lb);
	ed_free(&ps->line);
	mention_free(&ps->mention, s->m);
	free(ps);
}

static struct editor *post_field(struct screen *s)
{
	struct post_screen *ps = (struct post_screen *)s;
	return ps->composing ? &ps->line : NULL;
}

static bool post_has_draft(struct screen *s)
{
	return !ed_blank(&((struct post_screen *)s)->line);
}

static const struct screen_ops post_ops = {
	.draw = post_draw,
	.key = post_key,
	.click = post_click,
	.note = post_note,
	.destroy = post_destroy,
	.field = post_field,
	.has_draft = post_has_draft,
};

struct screen *screen_post_new(struct app *a, int64_t post_id, bool comment)
{
	struct post_screen *ps = calloc(1, sizeof *ps);
	if (ps == NULL)
		abort();
	ps->base = (struct screen){.ops = &post_ops, .app = a, .m = app_model(a),
		.keys = KEYS_POST};
	ps->post_id = post_id;
	ed_init(&ps->line, true);
	ps->line.highlight = true;
	model_post_fetch(ps->base.m, post_id);
	ps->comments = model_view_open(ps->base.m, SRC_COMMENTS, post_id, NULL);
	set_composing(ps, comment);
	snprintf(ps->draft_key, sizeof ps->draft_key, "comment-%lld", (long long)post_id);
	const char *draft = model_draft(ps->base.m, ps->draft_key);
	if (draft) {
		ed_set(&ps->line, draft);
		set_composing(ps, true);
		app_toast(a, "Draft restored.", TH_OK);
	}
	return &ps->base;
}
