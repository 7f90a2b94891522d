/* screen_messages.c: my conversations, latest first, each with the other
 * person, the last message and how many are unread. Enter opens the
 * thread; m starts a new one. */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ui.h"

struct messages {
	struct screen base;
	struct listbox lb;
	int list_y0;
	int64_t sel_id;      /* the selected item, kept when new ones arrive on top */
};

static void convo_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct messages *ms = ctx;
	struct model *m = ms->base.m;
	struct view *v = m->convos;
	const struct convo *c = v->items[idx];
	int y = pen_row(p);
	int x = p->x0 + 2;
	if (y >= 0) {
		if (selected)
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		char who[80], age[32];
		snprintf(who, sizeof who, "@%s", c->other);
		int used = put_fit(p->w, y, x, 34, who, c->unread ? th(TH_UNREAD) : th(TH_AUTHOR));
		if (c->unread > 0) {
			char badge[24];
			snprintf(badge, sizeof badge, " %lld ", (long long)c->unread);
			put_str(p->w, y, x + used + 2, 8, badge, th(TH_BADGE));
		}
		ag_time_ago(c->last.created_at, app_now(ms->base.app), age, sizeof age);
		int aw = text_cols(age, strlen(age));
		put_str(p->w, y, p->x0 + p->width - aw, aw, age, th(TH_TIME));
	}
	p->vy++;
	if ((y = pen_row(p)) >= 0) {
		char line[300];
		snprintf(line, sizeof line, "%s%s", c->last.sender_id == m->me.id ? "You: " : "",
			c->last.content);
		for (char *q = line; *q; q++)
			if (*q == '\n')
				*q = ' ';
		if (selected)
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		put_fit(p->w, y, x + 2, p->width - 6, line, c->unread ? th(TH_NORMAL) : th(TH_DIM));
	}
	p->vy += 2;
}

/* Keeps the selection on the same conversation as they are reordered. */
static void follow_selection(struct messages *ms, const struct view *v)
{
	for (size_t i = 0; ms->sel_id && i < v->n; i++)
		if (((const struct convo *)v->items[i])->other_id == ms->sel_id && (int)i != ms->lb.sel) {
			listbox_select(&ms->lb, (int)i);
			break;
		}
}

static void remember_selection(struct messages *ms, const struct view *v)
{
	if (v && ms->lb.sel >= 0 && (size_t)ms->lb.sel < v->n)
		ms->sel_id = ((const struct convo *)v->items[ms->lb.sel])->other_id;
}

static void messages_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct messages *ms = (struct messages *)s;
	struct model *m = s->m;
	int used = put_str(w, 0, 2, 20, "Messages", th(TH_TITLE));
	if (m->unread_msgs > 0) {
		char count[32];
		snprintf(count, sizeof count, "%lld unread", (long long)m->unread_msgs);
		used += 2 + put_str(w, 0, 4 + used, 20, count, th(TH_ACCENT));
	}
	const char *keys = "Enter open  ·  m new message";
	put_right(w, 0, 2 + used, cols, keys, th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	ms->list_y0 = 2;
	struct view *v = m->convos;
	if (v == NULL)
		return;
	if (v->n == 0) {
		draw_hint(w, rows / 3, cols, v->error[0] ? v->error : v->loaded
			? "No conversations yet. Press m to message someone." : "loading…",
			v->error[0] ? th(TH_ERROR) : th(TH_DIM));
		ms->lb.n = 0;
		return;
	}
	follow_selection(ms, v);
	listbox_draw(&ms->lb, w, 2, 1, rows - 2, cols - 2, (int)v->n, convo_item, ms);
	remember_selection(ms, v);
}

static bool messages_key(struct screen *s, const struct key *k)
{
	struct messages *ms = (struct messages *)s;
	struct view *v = s->m->convos;
	if (v == NULL)
		return false;
	if (listbox_key(&ms->lb, k)) {
		remember_selection(ms, v);
		return true;
	}
	if (key_is(k, ACT_REFRESH)) {
		model_view_refresh(s->m, v);
		return true;
	}
	if (v->n == 0 || (size_t)ms->lb.sel >= v->n)
		return false;
	const struct convo *c = v->items[ms->lb.sel];
	if (key_is(k, ACT_OPEN)) {
		app_open_thread(s->app, c->other_id);
		return true;
	}
	if (key_is(k, ACT_AUTHOR)) {
		app_open_profile(s->app, c->other_id);
		return true;
	}
	return false;
}

static void messages_click(struct screen *s, int y, int x)
{
	(void)x;
	struct messages *ms = (struct messages *)s;
	struct view *v = s->m->convos;
	int idx = listbox_hit(&ms->lb, y - ms->list_y0);
	if (v == NULL || idx < 0 || (size_t)idx >= v->n)
		return;
	if (idx == ms->lb.sel)
		app_open_thread(s->app, ((const struct convo *)v->items[idx])->other_id);
	else
		listbox_select(&ms->lb, idx);
	remember_selection(ms, v);
}

static void messages_destroy(struct screen *s)
{
	struct messages *ms = (struct messages *)s;
	listbox_free(&ms->lb);
	free(ms);
}

static const struct screen_ops messages_ops = {
	.draw = messages_draw,
	.key = messages_key,
	.click = messages_click,
	.destroy = messages_destroy,
};

struct screen *screen_messages_new(struct app *a)
{
	struct messages *ms = calloc(1, sizeof *ms);
	if (ms == NULL)
		abort();
	ms->base = (struct screen){.ops = &messages_ops, .app = a, .m = app_model(a)};
	return &ms->base;
}
