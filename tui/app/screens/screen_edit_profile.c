/* screen_edit_profile.c: editing my name, bio and avatar URL. Tab moves
 * between the fields, Ctrl-S saves, Esc leaves without saving. An empty
 * field clears it on the server. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

enum { E_NAME, E_BIO, E_IMAGE, E__COUNT };

struct edit_profile {
	struct screen base;
	struct editor ed[E__COUNT];
	int focus;
	bool saving;
	char error[200];
	int field_y[E__COUNT];
};

static const char *const labels[E__COUNT] = {"Full name", "Bio", "Avatar URL"};
static const size_t limits[E__COUNT] = {100, 500, 500};

static void edit_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct edit_profile *e = (struct edit_profile *)s;
	put_str(w, 0, 2, cols - 4, "Edit profile", th(TH_TITLE));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	int y = 3;
	for (int f = 0; f < E__COUNT; f++) {
		bool focus = e->focus == f;
		put_str(w, y, 2, 30, labels[f], focus ? th(TH_ACCENT) : th(TH_NORMAL));
		char count[24];
		snprintf(count, sizeof count, "%zu/%zu", ed_chars(&e->ed[f]), limits[f]);
		put_str(w, y, cols - 4 - (int)strlen(count), 12, count, th(TH_DIM));
		int h = f == E_BIO ? 5 : 1;
		for (int i = 0; i < h; i++)
			put_fill(w, y + 1 + i, 4, cols - 8, th(TH_INPUT));
		int cy, cx;
		ed_draw(&e->ed[f], w, y + 1, 4, h, cols - 8, th(TH_INPUT), &cy, &cx);
		if (focus) {
			s->cur_y = cy;
			s->cur_x = cx;
		}
		e->field_y[f] = y + 1;
		y += h + 2;
	}
	if (e->error[0])
		put_fit(w, y, 4, cols - 8, e->error, th(TH_ERROR));
	else if (e->saving)
		put_str(w, y, 4, cols - 8, "Saving…", th(TH_DIM));
	put_str(w, rows - 1, 2, cols - 4, "Tab next field  ·  Ctrl-S save  ·  Esc cancel", th(TH_DIM));
}

static void save(struct edit_profile *e)
{
	if (e->saving)
		return;
	const char *url = ed_text(&e->ed[E_IMAGE]);
	if (url[0] && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		snprintf(e->error, sizeof e->error, "The avatar URL must start with http:// or https://.");
		e->focus = E_IMAGE;
		return;
	}
	for (int f = 0; f < E__COUNT; f++)
		if (ed_chars(&e->ed[f]) > limits[f]) {
			snprintf(e->error, sizeof e->error, "%s is too long.", labels[f]);
			e->focus = f;
			return;
		}
	e->saving = true;
	e->error[0] = '\0';
	model_profile_update(e->base.m, ed_text(&e->ed[E_NAME]), ed_text(&e->ed[E_BIO]), url);
}

static bool edit_key(struct screen *s, const struct key *k)
{
	struct edit_profile *e = (struct edit_profile *)s;
	if (!k->paste && k->code == 0 && k->ch == '\t') {
		e->focus = (e->focus + 1) % E__COUNT;
		return true;
	}
	if (k->code == KEY_BTAB) {
		e->focus = (e->focus + E__COUNT - 1) % E__COUNT;
		return true;
	}
	if (key_is(k, ACT_SUBMIT)) {
		save(e);
		return true;
	}
	if (!k->paste && k->code == 0 && k->ch == 27) {
		app_close(s->app, s);
		return true;
	}
	enum ed_result r = ed_key(&e->ed[e->focus], k);
	if (r == ED_SUBMIT)
		e->focus = (e->focus + 1) % E__COUNT;
	else if (r == ED_UNHANDLED && k->code == KEY_DOWN && e->focus + 1 < E__COUNT)
		e->focus++;
	else if (r == ED_UNHANDLED && k->code == KEY_UP && e->focus > 0)
		e->focus--;
	return true;
}

static void edit_click(struct screen *s, int y, int x)
{
	(void)x;
	struct edit_profile *e = (struct edit_profile *)s;
	for (int f = 0; f < E__COUNT; f++)
		if (y >= e->field_y[f] && y < e->field_y[f] + (f == E_BIO ? 5 : 1))
			e->focus = f;
}

static void edit_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)id;
	(void)aux;
	struct edit_profile *e = (struct edit_profile *)s;
	if (!e->saving)
		return;
	if (n == NOTE_PROFILE_SAVED) {
		e->saving = false;
		app_toast(s->app, msg, TH_OK);
		app_close(s->app, s);
	} else if (n == NOTE_PROFILE_FAILED) {
		e->saving = false;
		snprintf(e->error, sizeof e->error, "%s", msg);
	}
}

static void edit_destroy(struct screen *s)
{
	struct edit_profile *e = (struct edit_profile *)s;
	for (int f = 0; f < E__COUNT; f++)
		ed_free(&e->ed[f]);
	free(e);
}

static struct editor *edit_field(struct screen *s)
{
	struct edit_profile *e = (struct edit_profile *)s;
	return &e->ed[e->focus];
}

static const struct screen_ops edit_ops = {
	.draw = edit_draw,
	.key = edit_key,
	.click = edit_click,
	.note = edit_note,
	.destroy = edit_destroy,
	.field = edit_field,
};

struct screen *screen_edit_profile_new(struct app *a)
{
	struct edit_profile *e = calloc(1, sizeof *e);
	if (e == NULL)
		abort();
	e->base = (struct screen){.ops = &edit_ops, .app = a, .m = app_model(a), .typing = true,
		.keys = KEYS_TEXT};
	const struct user *me = &e->base.m->me;
	ed_init(&e->ed[E_NAME], true);
	ed_init(&e->ed[E_BIO], false);
	ed_init(&e->ed[E_IMAGE], true);
	ed_set(&e->ed[E_NAME], me->full_name);
	ed_set(&e->ed[E_BIO], me->bio);
	ed_set(&e->ed[E_IMAGE], me->image_url);
	e->ed[E_BIO].highlight = true;
	return &e->base;
}
