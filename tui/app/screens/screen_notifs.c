/* screen_notifs.c: Activity: my notifications, unread ones lit. Enter
 * marks one read and jumps to what it is about (the post liked, commented
 * on or mentioning me, the follower's profile, the message thread); space
 * marks one read, a marks all. */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ui.h"

struct notifs {
	struct screen base;
	struct listbox lb;
	int list_y0;
	int64_t sel_id;      /* the selected item, kept when new ones arrive on top */
};

static const char *icon(const struct notif *n)
{
	if (strcmp(n->type, "like") == 0)
		return g.heart;
	if (strcmp(n->type, "comment") == 0)
		return g.comment;
	if (strcmp(n->type, "message") == 0)
		return g.mail;
	if (strcmp(n->type, "mention") == 0)
		return "@";
	return g.plus;
}

static void notif_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct notifs *ns = ctx;
	struct view *v = ns->base.m->notifs;
	if ((size_t)idx == v->n) {
		view_footer(v, p, "That's everything.");
		return;
	}
	const struct notif *n = v->items[idx];
	int y = pen_row(p);
	if (y >= 0) {
		if (selected)
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		int x = p->x0 + 2;
		if (!n->is_read)
			put_str(p->w, y, x, 2, g.dot, th(TH_ACCENT));
		put_str(p->w, y, x + 2, 3, icon(n), n->is_read ? th(TH_DIM) : th(TH_ACCENT));
		char age[32];
		ag_time_ago(n->created_at, app_now(ns->base.app), age, sizeof age);
		int aw = text_cols(age, strlen(age));
		put_fit(p->w, y, x + 5, p->width - x - aw - 6, n->text, n->is_read ? th(TH_NORMAL) : th(TH_UNREAD));
		put_str(p->w, y, p->x0 + p->width - aw, aw, age, th(TH_TIME));
	}
	p->vy++;
}

/* Keeps the selection on the same notification as new ones arrive. */
static void follow_selection(struct notifs *ns, const struct view *v)
{
	for (size_t i = 0; ns->sel_id && i < v->n; i++)
		if (((const struct notif *)v->items[i])->id == ns->sel_id && (int)i != ns->lb.sel) {
			listbox_select(&ns->lb, (int)i);
			break;
		}
}

static void remember_selection(struct notifs *ns, const struct view *v)
{
	if (v && ns->lb.sel >= 0 && (size_t)ns->lb.sel < v->n)
		ns->sel_id = ((const struct notif *)v->items[ns->lb.sel])->id;
}

static void notifs_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct notifs *ns = (struct notifs *)s;
	struct model *m = s->m;
	int used = put_str(w, 0, 2, 20, "Activity", th(TH_TITLE));
	if (m->unread_notifs > 0) {
		char count[32];
		snprintf(count, sizeof count, "%lld unread", (long long)m->unread_notifs);
		used += 2 + put_str(w, 0, 4 + used, 20, count, th(TH_ACCENT));
	}
	const char *keys = "Enter open  ·  space read  ·  a all read";
	put_right(w, 0, 2 + used, cols, keys, th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	ns->list_y0 = 2;
	struct view *v = m->notifs;
	if (v == NULL)
		return;
	if (v->n == 0) {
		draw_hint(w, rows / 3, cols, v->error[0] ? v->error : v->loaded ? "No notifications yet."
			: "loading…", v->error[0] ? th(TH_ERROR) : th(TH_DIM));
		ns->lb.n = 0;
		return;
	}
	follow_selection(ns, v);
	if (ns->lb.sel >= (int)v->n)
		ns->lb.sel = (int)v->n - 1;
	listbox_draw(&ns->lb, w, 2, 1, rows - 2, cols - 2, (int)v->n + 1, notif_item, ns);
	remember_selection(ns, v);
	if (listbox_near_end(&ns->lb, 5))
		model_view_more(m, v);
}

/* Marks n read and opens what it points at. */
static void open_notif(struct notifs *ns, struct notif *n)
{
	struct app *a = ns->base.app;
	model_notif_read(ns->base.m, n);
	if (strcmp(n->type, "like") == 0 || strcmp(n->type, "comment") == 0 ||
	    strcmp(n->type, "mention") == 0)
		app_open_post(a, n->ref_id, false);
	else if (strcmp(n->type, "message") == 0)
		app_open_thread(a, n->actor_id);
	else
		app_open_profile(a, n->actor_id);
}

static bool notifs_key(struct screen *s, const struct key *k)
{
	struct notifs *ns = (struct notifs *)s;
	struct model *m = s->m;
	struct view *v = m->notifs;
	if (v == NULL)
		return false;
	if (listbox_key(&ns->lb, k)) {
		if (ns->lb.sel >= (int)v->n && v->n > 0)
			ns->lb.sel = (int)v->n - 1;
		remember_selection(ns, v);
		return true;
	}
	if (key_is(k, ACT_MARK_ALL_READ)) {
		model_notifs_all_read(m);
		return true;
	}
	if (key_is(k, ACT_REFRESH)) {
		model_view_refresh(m, v);
		return true;
	}
	if (v->n == 0 || (size_t)ns->lb.sel >= v->n)
		return false;
	struct notif *n = v->items[ns->lb.sel];
	if (key_is(k, ACT_OPEN)) {
		open_notif(ns, n);
	} else if (key_is(k, ACT_MARK_READ)) {
		model_notif_read(m, n);
		if ((size_t)ns->lb.sel + 1 < v->n)
			listbox_select(&ns->lb, ns->lb.sel + 1);
		remember_selection(ns, v);
	} else if (key_is(k, ACT_AUTHOR)) {
		app_open_profile(s->app, n->actor_id);
	} else {
		return false;
	}
	return true;
}

static void notifs_click(struct screen *s, int y, int x)
{
	(void)x;
	struct notifs *ns = (struct notifs *)s;
	struct view *v = s->m->notifs;
	int idx = listbox_hit(&ns->lb, y - ns->list_y0);
	if (v == NULL || idx < 0 || (size_t)idx >= v->n)
		return;
	if (idx == ns->lb.sel)
		open_notif(ns, v->items[idx]);
	else
		listbox_select(&ns->lb, idx);
	remember_selection(ns, v);
}

static void notifs_destroy(struct screen *s)
{
	struct notifs *ns = (struct notifs *)s;
	listbox_free(&ns->lb);
	free(ns);
}

static const struct screen_ops notifs_ops = {
	.draw = notifs_draw,
	.key = notifs_key,
	.click = notifs_click,
	.destroy = notifs_destroy,
};

struct screen *screen_notifs_new(struct app *a)
{
	struct notifs *ns = calloc(1, sizeof *ns);
	if (ns == NULL)
		abort();
	ns->base = (struct screen){.ops = &notifs_ops, .app = a, .m = app_model(a),
		.keys = KEYS_ACTIVITY};
	return &ns->base;
}
