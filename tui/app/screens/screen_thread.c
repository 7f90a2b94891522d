/* screen_thread.c: a conversation. Messages run oldest to newest as
 * bubbles (mine on the right), new ones appear as they are pushed, and
 * the compose line at the bottom has the focus. While the thread is on
 * view its messages count as read. */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ui.h"

struct thread {
	struct screen base;
	int64_t user_id;
	struct view *v;
	struct listbox lb;
	struct editor line;
	struct mention mention;   /* Tab completing an @name in the line */
	char draft_key[40];     /* where the unsent text is kept */
	bool composing;
	bool at_bottom;        /* follow new messages */
	int64_t sel_id;        /* the selected message, kept across loads */
	int list_y0;
};

/* Display index i (oldest first) to the view's item (newest first). */
static struct message *msg_at(const struct thread *t, int i)
{
	if (i < 0 || (size_t)i >= t->v->n)
		return NULL;
	return t->v->items[t->v->n - 1 - (size_t)i];
}

/* The i-th message to them still in the outbox (oldest first), or NULL. */
static const struct outgoing *pending_at(const struct thread *t, int i)
{
	const struct model *m = t->base.m;
	for (size_t k = 0; k < m->n_outbox; k++) {
		const struct outgoing *o = m->outbox[k];
		if (!o->comment && o->target == t->user_id && i-- == 0)
			return o;
	}
	return NULL;
}

static int count_pending(const struct thread *t)
{
	int n = 0;
	while (pending_at(t, n))
		n++;
	return n;
}

static int count_sent(const struct thread *t);

static void bubble_item(void *ctx, int idx, struct pen *p, bool selected)
{
	struct thread *t = ctx;
	struct app *a = t->base.app;
	if (idx == 0 && !t->v->at_end) {
		int y = pen_row(p);
		if (y >= 0)
			draw_hint(p->w, y, p->width + 2 * p->x0,
				t->v->loading ? "loading earlier messages…" : "k for earlier messages", th(TH_DIM));
		p->vy += 2;
		return;
	}
	const struct message *msg = msg_at(t, idx - (t->v->at_end ? 0 : 1));
	const struct outgoing *out = msg ? NULL : pending_at(t, idx - count_sent(t));
	struct message shown;
	if (out) {
		/* Not answered yet: drawn as mine, marked below. */
		shown = (struct message){.sender_id = t->base.m->me.id, .content = out->content};
		msg = &shown;
	}
	if (msg == NULL)
		return;
	bool mine = msg->sender_id == t->base.m->me.id;
	int max_w = p->width * 3 / 5;
	int n = wrap_text(msg->content, max_w - 2, NULL, 0);
	struct span *lines = calloc((size_t)n, sizeof *lines);
	if (lines == NULL)
		abort();
	wrap_text(msg->content, max_w - 2, lines, n);
	int inner = 0;
	for (int i = 0; i < n; i++) {
		int c = text_cols(msg->content + lines[i].off, lines[i].len);
		if (c > inner)
			inner = c;
	}
	int bw = inner + 2;
	int x = mine ? p->x0 + p->width - bw - 1 : p->x0 + 2;
	attr_t ba = mine ? th(TH_BUBBLE_ME) : th(TH_BUBBLE_THEM);
	size_t len = strlen(msg->content);
	unsigned char *cls = malloc(len + 1);   /* @mentions and #tags lit */
	if (cls == NULL)
		abort();
	rich_classes(msg->content, len, cls);
	for (int i = 0; i < n; i++) {
		int y = pen_row(p);
		if (y >= 0) {
			if (selected)
				put_str(p->w, y, p->x0, 1, g.select, th(TH_SELECT));
			put_fill(p->w, y, x, bw, ba);
			put_rich(p->w, y, x + 1, inner, msg->content + lines[i].off, lines[i].len,
				cls + lines[i].off, ba);
		}
		p->vy++;
	}
	free(cls);
	int y = pen_row(p);
	if (y >= 0) {
		char meta[64], age[32];
		ag_time_ago(msg->created_at, app_now(a), age, sizeof age);
		snprintf(meta, sizeof meta, "%s%s", age, mine && msg->is_read ? "  · seen" : "");
		const char *mark = out == NULL ? meta : out->failed ? out->why
			: out->in_flight ? "sending…" : "sending… waiting for the server";
		int mw = text_cols(mark, strlen(mark));
		if (mw > p->width - 2)
			mw = p->width - 2;
		put_str(p->w, y, mine ? p->x0 + p->width - mw - 1 : x + 1, mw, mark,
			out && out->failed ? th(TH_ERROR) : out ? th(TH_DIM) : th(TH_TIME));
	}
	p->vy++;
	free(lines);
}

static int count_sent(const struct thread *t)
{
	return (int)t->v->n + (t->v->at_end ? 0 : 1);
}

static int count_items(const struct thread *t)
{
	return count_sent(t) + count_pending(t);
}

static int index_of(const struct thread *t, int64_t id)
{
	int offset = t->v->at_end ? 0 : 1;
	for (int i = 0; (size_t)i < t->v->n; i++)
		if (msg_at(t, i)->id == id)
			return i + offset;
	return -1;
}

static void remember_sel(struct thread *t)
{
	int offset = t->v->at_end ? 0 : 1;
	const struct message *msg = msg_at(t, t->lb.sel - offset);
	t->sel_id = msg ? msg->id : 0;
	t->at_bottom = t->lb.sel >= count_items(t) - 1;
}

static void thread_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct thread *t = (struct thread *)s;
	struct profile *pr = model_profile(s->m, t->user_id);
	char title[120];
	snprintf(title, sizeof title, "@%s", pr->u.username ? pr->u.username : "…");
	int used = put_str(w, 0, 2, cols / 2, title, th(TH_TITLE));
	if (pr->u.full_name)
		used += 2 + put_fit(w, 0, 4 + used, cols / 3, pr->u.full_name, th(TH_DIM));
	put_right(w, 0, 2 + used, cols, "p profile  ·  Esc back", th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);
	t->list_y0 = 2;
	int list_rows = rows - 4;
	int n = count_items(t);
	if (t->v->n == 0 && count_pending(t) == 0) {
		draw_hint(w, rows / 3, cols, t->v->error[0] ? t->v->error : t->v->loaded
			? "No messages yet. Say hello!" : "loading…", t->v->error[0] ? th(TH_ERROR) : th(TH_DIM));
		t->lb.n = 0;
	} else {
		/* Follow the newest message, or keep the one selected in place. */
		int at = t->at_bottom ? n - 1 : index_of(t, t->sel_id);
		if (at >= 0 && at != t->lb.sel)
			listbox_select(&t->lb, at);
		t->lb.stick_bottom = t->at_bottom;
		listbox_draw(&t->lb, w, t->list_y0, 1, list_rows, cols - 2, n, bubble_item, t);
	}
	mvwhline(w, rows - 2, 0, ACS_HLINE | th(TH_BORDER), cols);
	if (mention_finish(&t->mention, &t->line))
		model_draft_save(s->m, t->draft_key, ed_text(&t->line));
	if (t->mention.candidates[0])
		put_fit(w, rows - 2, 2, cols - 4, t->mention.candidates, th(TH_MENTION));
	int x = 2;
	x += put_str(w, rows - 1, x, 3, ">", t->composing ? th(TH_ACCENT) : th(TH_DIM)) + 1;
	if (ed_text(&t->line)[0] == '\0') {
		put_str(w, rows - 1, x, cols - x - 2, t->composing
			? "Write a message…  (Enter sends)" : "Press i or c to write", th(TH_DIM));
	}
	int cy, cx;
	ed_draw(&t->line, w, rows - 1, x, 1, cols - x - 2, th(TH_NORMAL), &cy, &cx);
	if (t->composing) {
		s->cur_y = cy;
		s->cur_x = cx;
	}
}

static void set_composing(struct thread *t, bool on)
{
	t->composing = on;
	t->base.typing = on;
}

/* Hands the line to the model's outbox, where it shows as "sending…"
 * until the server has it; an empty line retries what failed. */
static void send_message(struct thread *t)
{
	if (ed_blank(&t->line)) {
		model_outbox_retry(t->base.m, false, t->user_id);
		return;
	}
	if (ed_chars(&t->line) > 4000) {
		app_toast(t->base.app, "A message can be at most 4000 characters.", TH_WARN);
		return;
	}
	model_message_send(t->base.m, t->user_id, ed_text(&t->line));
	ed_set(&t->line, "");
	t->at_bottom = true;
}

/* Scrolling keys, shared by both modes; loads older messages at the top. */
static bool scroll_key(struct thread *t, const struct key *k)
{
	if (!listbox_key(&t->lb, k))
		return false;
	remember_sel(t);
	if (t->lb.sel == 0 && !t->v->at_end)
		model_view_more(t->base.m, t->v);
	return true;
}

static bool thread_key(struct screen *s, const struct key *k)
{
	struct thread *t = (struct thread *)s;
	if (t->composing) {
		if (!k->paste && k->code == 0 && k->ch == 27) {
			if (ed_text(&t->line)[0])
				set_composing(t, false);
			else
				app_close(s->app, s);
			return true;
		}
		if (key_is(k, ACT_SUBMIT)) {
			send_message(t);
			return true;
		}
		if (mention_key(&t->mention, s->m, &t->line, k))
			return true;
		enum ed_result r = ed_key(&t->line, k);
		if (r == ED_CHANGED) {
			t->mention.candidates[0] = '\0';
			model_draft_save(s->m, t->draft_key, ed_text(&t->line));
		}
		if (r == ED_SUBMIT)
			send_message(t);
		else if (r == ED_UNHANDLED && k->code)
			scroll_key(t, k);
		return true;
	}
	if (scroll_key(t, k))
		return true;
	if (key_is(k, ACT_COMMENT) || key_is(k, ACT_OPEN) || key_is(k, ACT_MESSAGE) ||
	    (k->code == 0 && k->ch == 'i' && !k->paste)) {
		set_composing(t, true);
		return true;
	}
	if (key_is(k, ACT_AUTHOR)) {
		app_open_profile(s->app, t->user_id);
		return true;
	}
	if (key_is(k, ACT_REFRESH)) {
		model_view_refresh(s->m, t->v);
		return true;
	}
	return false;
}

static void thread_click(struct screen *s, int y, int x)
{
	(void)x;
	struct thread *t = (struct thread *)s;
	if (y >= getmaxy(stdscr) - 3) {
		set_composing(t, true);
		return;
	}
	int idx = listbox_hit(&t->lb, y - t->list_y0);
	if (idx >= 0) {
		listbox_select(&t->lb, idx);
		remember_sel(t);
	}
}

static void thread_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)aux;
	struct thread *t = (struct thread *)s;
	if (id != t->user_id)
		return;
	if (n == NOTE_MESSAGE_SENT)
		t->at_bottom = true;
	else if (n == NOTE_MESSAGE_FAILED)
		app_toast(s->app, msg, TH_ERROR);
}

static void thread_shown(struct screen *s)
{
	struct thread *t = (struct thread *)s;
	model_thread_open(s->m, t->user_id);
}

static void thread_hidden(struct screen *s)
{
	if (s->m->open_thread == ((struct thread *)s)->user_id)
		model_thread_open(s->m, 0);
}

static void thread_destroy(struct screen *s)
{
	struct thread *t = (struct thread *)s;
	thread_hidden(s);
	model_view_close(s->m, t->v);
	listbox_free(&t->lb);
	ed_free(&t->line);
	mention_free(&t->mention, s->m);
	free(t);
}

static struct editor *thread_field(struct screen *s)
{
	struct thread *t = (struct thread *)s;
	return t->composing ? &t->line : NULL;
}

static bool thread_has_draft(struct screen *s)
{
	return !ed_blank(&((struct thread *)s)->line);
}

static const struct screen_ops thread_ops = {
	.draw = thread_draw,
	.key = thread_key,
	.click = thread_click,
	.note = thread_note,
	.shown = thread_shown,
	.hidden = thread_hidden,
	.destroy = thread_destroy,
	.field = thread_field,
	.has_draft = thread_has_draft,
};

struct screen *screen_thread_new(struct app *a, int64_t user_id)
{
	struct thread *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->base = (struct screen){.ops = &thread_ops, .app = a, .m = app_model(a),
		.keys = KEYS_TEXT};
	t->user_id = user_id;
	t->at_bottom = true;
	ed_init(&t->line, true);
	t->line.highlight = true;
	t->v = model_view_open(t->base.m, SRC_THREAD, user_id, NULL);
	model_profile(t->base.m, user_id);
	set_composing(t, true);
	snprintf(t->draft_key, sizeof t->draft_key, "dm-%lld", (long long)user_id);
	const char *draft = model_draft(t->base.m, t->draft_key);
	if (draft) {
		ed_set(&t->line, draft);
		app_toast(a, "Draft restored.", TH_OK);
	}
	return &t->base;
}
