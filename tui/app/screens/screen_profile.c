/* screen_profile.c: a profile, mine or someone else's: name, bio, counts,
 * follow / unfollow, and sections switched with the left and right arrows:
 * their posts, their followers and whom they follow. On my own profile a
 * fourth section lists my linked SSH keys (d removes one), e edits the
 * profile and X logs out. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

enum section { SEC_POSTS, SEC_FOLLOWERS, SEC_FOLLOWING, SEC_KEYS, SEC__COUNT };

struct profile_screen {
	struct screen base;
	int64_t user_id;
	enum section sec;
	struct postlist posts;
	struct view *people[2];      /* followers, following */
	struct listbox people_lb[2];
	int list_y0;
	int sec_x[SEC__COUNT], sec_w[SEC__COUNT];
	int sec_y;
	size_t key_sel;              /* the selected SSH key */
	bool keys_requested;
	char removing[80];           /* fingerprint awaiting the confirmation */
};

static bool mine(const struct profile_screen *ps)
{
	return ps->user_id == ps->base.m->me.id;
}

/* SSH keys are a section of my own profile only. */
static int n_sections(const struct profile_screen *ps)
{
	return mine(ps) ? SEC__COUNT : SEC_KEYS;
}

/* Opens a section's list the first time it is shown. */
static void ensure_section(struct profile_screen *ps)
{
	struct model *m = ps->base.m;
	if (ps->sec == SEC_POSTS && ps->posts.v == NULL)
		ps->posts.v = model_view_open(m, SRC_USER_POSTS, ps->user_id, NULL);
	if (ps->sec == SEC_FOLLOWERS && ps->people[0] == NULL)
		ps->people[0] = model_view_open(m, SRC_FOLLOWERS, ps->user_id, NULL);
	if (ps->sec == SEC_FOLLOWING && ps->people[1] == NULL)
		ps->people[1] = model_view_open(m, SRC_FOLLOWING, ps->user_id, NULL);
	if (ps->sec == SEC_KEYS && !ps->keys_requested) {
		ps->keys_requested = true;
		model_ssh_keys_refresh(m);
	}
}

static void draw_keys(struct profile_screen *ps, WINDOW *w, int y0, int rows, int cols)
{
	struct model *m = ps->base.m;
	if (m->n_ssh_keys == 0) {
		const char *text = m->ssh_keys_error[0] ? m->ssh_keys_error : !m->ssh_keys_loaded
			? "loading…" : "No SSH key linked. Link one with 'ansigram ssh-key add'.";
		draw_hint(w, y0 + 2, cols, text, m->ssh_keys_error[0] ? th(TH_ERROR) : th(TH_DIM));
		return;
	}
	if (ps->key_sel >= m->n_ssh_keys)
		ps->key_sel = m->n_ssh_keys - 1;
	int y = y0 + 1;
	for (size_t i = 0; i < m->n_ssh_keys && y < y0 + rows - 2; i++, y++) {
		const struct ssh_key_item *k = &m->ssh_keys[i];
		bool selected = i == ps->key_sel;
		if (selected)
			put_str(w, y, 1, 1, g.select, th(TH_SELECT));
		int x = 3;
		x += put_fit(w, y, x, cols - x - 2, k->fingerprint, th(TH_BOLD)) + 2;
		x += put_fit(w, y, x, cols - x - 2, k->type, th(TH_DIM)) + 2;
		put_fit(w, y, x, cols - x - 2, k->comment, th(TH_NORMAL));
	}
	char del[64], hint[160];
	keys_describe(ACT_DELETE, del, sizeof del);
	snprintf(hint, sizeof hint, "%s: remove the selected key (it no longer logs you in)", del);
	put_fit(w, y + 1, 3, cols - 6, hint, th(TH_DIM));
}

static void remove_key(struct app *a, void *ctx, int64_t id)
{
	struct profile_screen *ps = ctx;
	(void)id;
	model_ssh_key_remove(app_model(a), ps->removing);
}

struct people_ctx {
	struct view *v;
};

static void person_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct people_ctx *c = ctx;
	if ((size_t)idx == c->v->n) {
		view_footer(c->v, p, NULL);
		return;
	}
	const struct user *u = c->v->items[idx];
	int y = pen_row(p);
	if (y >= 0) {
		if (selected)
			put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
		char who[80];
		snprintf(who, sizeof who, "@%s", u->username);
		int used = put_fit(p->w, y, p->x0 + 2, 32, who, th(TH_AUTHOR));
		if (u->full_name)
			put_fit(p->w, y, p->x0 + 4 + used, p->width - used - 6, u->full_name, th(TH_NORMAL));
	}
	p->vy++;
	if (u->bio && u->bio[0]) {
		if ((y = pen_row(p)) >= 0) {
			char line[200];
			snprintf(line, sizeof line, "%s", u->bio);
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			put_fit(p->w, y, p->x0 + 4, p->width - 6, line, th(TH_DIM));
		}
		p->vy++;
	}
}

static void draw_people(struct profile_screen *ps, WINDOW *w, int y0, int rows, int cols)
{
	int i = ps->sec == SEC_FOLLOWERS ? 0 : 1;
	struct view *v = ps->people[i];
	if (v->n == 0) {
		const char *text = v->error[0] ? v->error : !v->loaded ? "loading…"
			: i == 0 ? "No followers yet." : "Not following anyone yet.";
		draw_hint(w, y0 + 2, cols, text, v->error[0] ? th(TH_ERROR) : th(TH_DIM));
		ps->people_lb[i].n = 0;
		return;
	}
	struct people_ctx ctx = {v};
	listbox_draw(&ps->people_lb[i], w, y0, 1, rows, cols - 2, (int)v->n + 1, person_item, &ctx);
	if (ps->people_lb[i].sel >= (int)v->n)
		ps->people_lb[i].sel = (int)v->n - 1;
	if (listbox_near_end(&ps->people_lb[i], 5))
		model_view_more(ps->base.m, v);
}

static void profile_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct profile_screen *ps = (struct profile_screen *)s;
	struct model *m = s->m;
	struct profile *pr = model_profile(m, ps->user_id);
	if (pr->u.username == NULL) {
		draw_hint(w, rows / 3, cols, pr->error[0] ? pr->error : "loading…",
			pr->error[0] ? th(TH_ERROR) : th(TH_DIM));
		return;
	}
	ensure_section(ps);
	int y = 0;
	char who[80];
	snprintf(who, sizeof who, "@%s", pr->u.username);
	int used = put_str(w, y, 2, cols / 2, who, th(TH_TITLE));
	if (pr->u.full_name && pr->u.full_name[0]) {
		used += 1 + put_str(w, y, 3 + used, 4, g.sep, th(TH_DIM));
		put_fit(w, y, 3 + used, cols / 2 - used, pr->u.full_name, th(TH_NORMAL));
	}
	/* The button on the right. */
	const char *button = mine(ps) ? " e  Edit profile " : pr->is_following ? " Following " : " Follow ";
	attr_t ba = mine(ps) ? th(TH_TAB) : pr->is_following ? th(TH_FOLLOWING) : th(TH_TAB_ON);
	put_str(w, y, cols - 2 - text_cols(button, strlen(button)), 20, button, ba);
	y++;
	/* Bio: up to three lines. */
	if (pr->u.bio && pr->u.bio[0]) {
		struct span lines[3];
		int n = wrap_text(pr->u.bio, cols - 6, lines, 3);
		size_t len = strlen(pr->u.bio);
		unsigned char *cls = malloc(len + 1);
		if (cls == NULL)
			abort();
		rich_classes(pr->u.bio, len, cls);
		for (int i = 0; i < n && i < 3; i++)
			put_rich(w, y++, 2, cols - 6, pr->u.bio + lines[i].off, lines[i].len,
				cls + lines[i].off, th(TH_NORMAL));
		free(cls);
	} else if (mine(ps)) {
		put_str(w, y++, 2, cols - 4, "No bio yet: press e to write one.", th(TH_DIM));
	}
	if (pr->u.image_url)
		put_fit(w, y++, 2, cols - 4, pr->u.image_url, th(TH_URL));
	y++;
	/* Counts. */
	char num[24];
	int x = 2;
	const struct {
		int64_t n;
		const char *what;
	} counts[] = {{pr->post_count, pr->post_count == 1 ? "post" : "posts"},
		{pr->follower_count, pr->follower_count == 1 ? "follower" : "followers"},
		{pr->following_count, "following"}};
	for (size_t i = 0; i < 3; i++) {
		fmt_count(counts[i].n, num, sizeof num);
		x += put_str(w, y, x, 12, num, th(TH_BOLD)) + 1;
		x += put_str(w, y, x, 12, counts[i].what, th(TH_DIM)) + 4;
	}
	y += 2;
	/* Sections. */
	static const char *const names[SEC__COUNT] = {" Posts ", " Followers ", " Following ",
		" SSH keys "};
	x = 2;
	ps->sec_y = y;
	for (int i = 0; i < n_sections(ps); i++) {
		ps->sec_x[i] = x;
		ps->sec_w[i] = put_str(w, y, x, 16, names[i], i == (int)ps->sec ? th(TH_TAB_ON) : th(TH_TAB));
		x += ps->sec_w[i] + 1;
	}
	const char *keys = mine(ps) ? "←/→ sections  ·  e edit  ·  X log out"
		: "←/→ sections  ·  f follow  ·  m message";
	put_fit(w, y, x + 2, cols - x - 4, keys, th(TH_DIM));
	y++;
	mvwhline(w, y, 0, ACS_HLINE | th(TH_BORDER), cols);
	y++;
	ps->list_y0 = y;
	if (ps->sec == SEC_POSTS)
		postlist_draw(s->app, &ps->posts, w, y, rows - y, cols);
	else if (ps->sec == SEC_KEYS)
		draw_keys(ps, w, y, rows - y, cols);
	else
		draw_people(ps, w, y, rows - y, cols);
}

static void logout(struct app *a, void *ctx, int64_t id)
{
	(void)ctx;
	(void)id;
	model_logout(app_model(a));
}

static bool profile_key(struct screen *s, const struct key *k)
{
	struct profile_screen *ps = (struct profile_screen *)s;
	struct model *m = s->m;
	struct app *a = s->app;
	struct profile *pr = model_profile(m, ps->user_id);
	if (pr->u.username == NULL)
		return false;
	ensure_section(ps);
	if (ps->sec == SEC_POSTS && postlist_key(a, &ps->posts, k))
		return true;
	bool left = k->code == KEY_LEFT || (k->code == 0 && k->ch == '[');
	bool right = k->code == KEY_RIGHT || (k->code == 0 && k->ch == ']');
	if (left && ps->sec > 0) {
		ps->sec--;
		return true;
	}
	if (right && (int)ps->sec + 1 < n_sections(ps)) {
		ps->sec++;
		return true;
	}
	if (ps->sec == SEC_KEYS) {
		size_t n = m->n_ssh_keys;
		if (key_is(k, ACT_DOWN) && ps->key_sel + 1 < n) {
			ps->key_sel++;
			return true;
		}
		if (key_is(k, ACT_UP) && ps->key_sel > 0) {
			ps->key_sel--;
			return true;
		}
		if (key_is(k, ACT_DELETE) && ps->key_sel < n) {
			char text[200];
			snprintf(ps->removing, sizeof ps->removing, "%s", m->ssh_keys[ps->key_sel].fingerprint);
			snprintf(text, sizeof text, "Remove the SSH key %s? It will no longer log you in.",
				ps->removing);
			app_confirm(a, text, remove_key, ps, 0);
			return true;
		}
	} else if (ps->sec != SEC_POSTS) {
		int i = ps->sec == SEC_FOLLOWERS ? 0 : 1;
		struct view *v = ps->people[i];
		struct listbox *lb = &ps->people_lb[i];
		if (listbox_key(lb, k)) {
			if (lb->sel >= (int)v->n && v->n > 0)
				lb->sel = (int)v->n - 1;
			return true;
		}
		if ((key_is(k, ACT_OPEN) || key_is(k, ACT_AUTHOR)) && v->n > 0 && (size_t)lb->sel < v->n) {
			app_open_profile(a, ((struct user *)v->items[lb->sel])->id);
			return true;
		}
	}
	if (key_is(k, ACT_REFRESH)) {
		model_profile_fetch(m, ps->user_id);
		if (ps->posts.v)
			model_view_refresh(m, ps->posts.v);
		for (int i = 0; i < 2; i++)
			if (ps->people[i])
				model_view_refresh(m, ps->people[i]);
		if (ps->keys_requested)
			model_ssh_keys_refresh(m);
		return true;
	}
	if (mine(ps)) {
		if (key_is(k, ACT_EDIT)) {
			app_push(a, screen_edit_profile_new(a));
			return true;
		}
		if (key_is(k, ACT_LOGOUT)) {
			app_confirm(a, "Log out of ansigram on this computer?", logout, NULL, 0);
			return true;
		}
		return false;
	}
	if (key_is(k, ACT_FOLLOW)) {
		model_follow(m, ps->user_id, !pr->is_following);
		return true;
	}
	if (key_is(k, ACT_MESSAGE)) {
		app_open_thread(a, ps->user_id);
		return true;
	}
	return false;
}

static void profile_click(struct screen *s, int y, int x)
{
	struct profile_screen *ps = (struct profile_screen *)s;
	struct model *m = s->m;
	if (y == 0 && x > COLS - 20 && !mine(ps)) {
		struct profile *pr = model_profile(m, ps->user_id);
		model_follow(m, ps->user_id, !pr->is_following);
		return;
	}
	if (y == ps->sec_y) {
		for (int i = 0; i < n_sections(ps); i++)
			if (x >= ps->sec_x[i] && x < ps->sec_x[i] + ps->sec_w[i])
				ps->sec = i;
		return;
	}
	if (y < ps->list_y0)
		return;
	if (ps->sec == SEC_KEYS) {
		int idx = y - ps->list_y0 - 1;
		if (idx >= 0 && (size_t)idx < s->m->n_ssh_keys)
			ps->key_sel = (size_t)idx;
		return;
	}
	if (ps->sec == SEC_POSTS && ps->posts.v) {
		postlist_click(s->app, &ps->posts, y - ps->list_y0);
		return;
	}
	int i = ps->sec == SEC_FOLLOWERS ? 0 : 1;
	struct view *v = ps->people[i];
	if (v == NULL)
		return;
	int idx = listbox_hit(&ps->people_lb[i], y - ps->list_y0);
	if (idx < 0 || (size_t)idx >= v->n)
		return;
	if (idx == ps->people_lb[i].sel)
		app_open_profile(s->app, ((struct user *)v->items[idx])->id);
	else
		listbox_select(&ps->people_lb[i], idx);
}

static void profile_shown(struct screen *s)
{
	struct profile_screen *ps = (struct profile_screen *)s;
	struct profile *pr = model_profile(s->m, ps->user_id);
	if (pr->u.username && !pr->loading)
		model_profile_fetch(s->m, ps->user_id);   /* counts change elsewhere */
}

static void profile_destroy(struct screen *s)
{
	struct profile_screen *ps = (struct profile_screen *)s;
	model_view_close(s->m, ps->posts.v);
	for (int i = 0; i < 2; i++) {
		model_view_close(s->m, ps->people[i]);
		listbox_free(&ps->people_lb[i]);
	}
	listbox_free(&ps->posts.lb);
	free(ps);
}

static const struct screen_ops profile_ops = {
	.draw = profile_draw,
	.key = profile_key,
	.click = profile_click,
	.shown = profile_shown,
	.destroy = profile_destroy,
};

struct screen *screen_profile_new(struct app *a, int64_t user_id)
{
	struct profile_screen *ps = calloc(1, sizeof *ps);
	if (ps == NULL)
		abort();
	ps->base = (struct screen){.ops = &profile_ops, .app = a, .m = app_model(a),
		.keys = KEYS_PROFILE};
	ps->user_id = user_id;
	ps->posts.empty = user_id == ps->base.m->me.id ? "You have not posted yet. Press n to write a post."
		: "No posts yet.";
	model_profile(ps->base.m, user_id);
	return &ps->base;
}
