/* screen_compose.c: writing a post or a story: a multi-line editor with
 * #tags and @mentions lit as you type (Tab after "@na" completes the name
 * from a user search), an optional image URL, and a counter against the
 * limit (2200 for posts, 500 for stories), and a photo: Ctrl-O asks for
 * a file (Tab completes its name), which is checked, uploaded at once and
 * previewed as the server stored it, then attached when publishing. The
 * draft stays here when you leave with Esc, until it is published. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pathcomplete.h"
#include "photo.h"
#include "photofetch.h"
#include "ui.h"

#define POST_MAX 2200
#define STORY_MAX 500
#define PREVIEW_ROWS 6   /* rows of the attached photo's preview */

struct compose {
	struct screen base;
	struct editor text, image, photo_path;
	bool story;
	bool on_image;      /* the image URL field has the focus */
	bool on_photo;      /* the photo file field has the focus (Ctrl-O) */
	bool uploading;     /* the photo is on its way to the server */
	struct media_ref photo;   /* the uploaded photo to attach; id 0 none */
	char photo_name[128];     /* its file name, for the line under the preview */
	bool sending;
	char error[200];
	int text_y0, image_y;
	struct mention mention; /* Tab completing an @name */
};

static size_t limit(const struct compose *c)
{
	return c->story ? STORY_MAX : POST_MAX;
}

/* The distinct #tags of the text, for the line under the editor. */
static void tag_list(const char *s, char *out, size_t size)
{
	size_t len = strlen(s);
	unsigned char *cls = malloc(len + 1);
	if (cls == NULL)
		abort();
	rich_classes(s, len, cls);
	out[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < len; i++) {
		if (cls[i] != CLS_TAG || (i > 0 && cls[i - 1] == CLS_TAG))
			continue;
		size_t j = i;
		while (j < len && cls[j] == CLS_TAG)
			j++;
		/* Skip repeats (tags are case-insensitive; ASCII folding suffices here). */
		bool seen = false;
		size_t n = j - i;
		for (const char *q = out; (q = strchr(q, '#')) != NULL; q++)
			if (strncasecmp(q, s + i, n) == 0 && (q[n] == ' ' || q[n] == '\0'))
				seen = true;
		if (!seen && used + (j - i) + 2 < size) {
			if (used)
				out[used++] = ' ';
			memcpy(out + used, s + i, j - i);
			used += j - i;
			out[used] = '\0';
		}
		i = j - 1;
	}
	free(cls);
}

static void compose_draw(struct screen *s, WINDOW *w, int rows, int cols)
{
	struct compose *c = (struct compose *)s;
	if (mention_finish(&c->mention, &c->text))
		model_draft_save(s->m, "compose", ed_text(&c->text));
	int x = 2;
	x += put_str(w, 0, x, 20, c->story ? "New story" : "New post", th(TH_TITLE)) + 3;
	x += put_str(w, 0, x, 10, " Post ", c->story ? th(TH_TAB) : th(TH_TAB_ON)) + 1;
	x += put_str(w, 0, x, 10, " Story ", c->story ? th(TH_TAB_ON) : th(TH_TAB)) + 2;
	put_str(w, 0, x, cols - x - 2, "Ctrl-T switches", th(TH_DIM));
	mvwhline(w, 1, 0, ACS_HLINE | th(TH_BORDER), cols);

	bool photo_line = c->on_photo || c->uploading || c->photo.id > 0;
	int preview = c->photo.id > 0 ? PREVIEW_ROWS : 0;
	int text_rows = rows - 10 - (photo_line ? 2 : 0) - preview;
	if (text_rows < 2)
		text_rows = 2;
	c->text_y0 = 3;
	int cy, cx;
	put_str(w, 2, 2, cols - 4, c->story ? "What's your story? (shown for 24 hours)"
		: "What's happening?", c->on_image ? th(TH_DIM) : th(TH_ACCENT));
	if (ed_text(&c->text)[0] == '\0' && c->on_image)
		put_str(w, c->text_y0, 4, cols - 8, "Use #tags and @mentions.", th(TH_DIM));
	ed_draw(&c->text, w, c->text_y0, 4, text_rows, cols - 8, th(TH_NORMAL), &cy, &cx);
	if (!c->on_image && !c->on_photo) {
		s->cur_y = cy;
		s->cur_x = cx;
	}

	int y = c->text_y0 + text_rows;
	char tags[300];
	tag_list(ed_text(&c->text), tags, sizeof tags);
	if (tags[0]) {
		int used = put_str(w, y, 4, 8, "Tags:", th(TH_DIM));
		put_fit(w, y, 5 + used, cols - 30, tags, th(TH_TAG));
	}
	if (c->mention.candidates[0])
		put_fit(w, y + 1, 4, cols - 8, c->mention.candidates, th(TH_MENTION));
	char count[32];
	size_t n = ed_chars(&c->text);
	snprintf(count, sizeof count, "%zu / %zu", n, limit(c));
	put_str(w, y, cols - 2 - (int)strlen(count), 20, count, n > limit(c) ? th(TH_ERROR) : th(TH_DIM));

	y += 2;
	put_str(w, y, 2, cols - 4, "Image URL (optional)", c->on_image ? th(TH_ACCENT) : th(TH_DIM));
	put_fill(w, y + 1, 4, cols - 8, th(TH_INPUT));
	c->image_y = y + 1;
	ed_draw(&c->image, w, y + 1, 4, 1, cols - 8, th(TH_INPUT), &cy, &cx);
	if (c->on_image) {
		s->cur_y = cy;
		s->cur_x = cx;
	}
	y += 3;
	if (photo_line) {
		char label[200];
		if (c->uploading)
			snprintf(label, sizeof label, "Photo: uploading %s…", c->photo_name);
		else if (c->photo.id > 0)
			snprintf(label, sizeof label, "Photo: %s (Ctrl-O for another; an empty name: none)",
				c->photo_name);
		else
			snprintf(label, sizeof label, "Photo file (Tab completes, Enter attaches, Esc leaves)");
		put_fit(w, y - 1, 2, cols - 4, label, c->on_photo ? th(TH_ACCENT) : th(TH_DIM));
		put_fill(w, y, 4, cols - 8, th(TH_INPUT));
		ed_draw(&c->photo_path, w, y, 4, 1, cols - 8, th(TH_INPUT), &cy, &cx);
		if (c->on_photo) {
			s->cur_y = cy;
			s->cur_x = cx;
		}
		y += 2;
	}
	if (c->photo.id > 0) {
		struct pen pen = {.w = w, .vy = 0, .top = 0, .rows = preview, .y0 = y, .x0 = 0,
			.width = cols};
		photo_pen_draw(s->app, &pen, &c->photo, true, 4, cols - 8, preview);
		y += preview;
	}
	if (c->error[0])
		put_fit(w, y, 4, cols - 8, c->error, th(TH_ERROR));
	else if (c->sending)
		put_str(w, y, 4, cols - 8, c->story ? "Sharing your story…" : "Publishing…", th(TH_DIM));
	put_str(w, rows - 1, 2, cols - 4,
		"C-s publish · Tab image URL / @name · C-o photo · C-t post/story · C-e $EDITOR · "
		"Esc leave",
		th(TH_DIM));
}

static bool url_ok(const char *s)
{
	return s[0] == '\0' || strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static void publish(struct compose *c)
{
	if (c->sending)
		return;
	const char *text = ed_text(&c->text), *image = ed_text(&c->image);
	c->error[0] = '\0';
	if (c->uploading) {
		snprintf(c->error, sizeof c->error, "The photo is still uploading: a moment.");
		return;
	}
	if (ed_blank(&c->text) && image[0] == '\0' && c->photo.id == 0) {
		snprintf(c->error, sizeof c->error, "Write something, add a photo (Ctrl-O) or an "
			"image URL.");
		return;
	}
	if (ed_chars(&c->text) > limit(c)) {
		snprintf(c->error, sizeof c->error, "Too long: a %s can have at most %zu characters.",
			c->story ? "story" : "post", limit(c));
		return;
	}
	if (!url_ok(image)) {
		snprintf(c->error, sizeof c->error, "The image URL must start with http:// or https://.");
		c->on_image = true;
		return;
	}
	c->sending = true;
	const char *content = ed_blank(&c->text) ? NULL : text;
	if (c->story)
		model_story_create(c->base.m, content, image, c->photo.id);
	else
		model_post_create(c->base.m, content, image, c->photo.id);
}

static void photo_uploaded(void *ctx, const struct media_ref *m, const char *why)
{
	struct compose *c = ctx;
	c->uploading = false;
	if (m == NULL) {
		snprintf(c->error, sizeof c->error, "The photo was not uploaded: %s", why);
		c->photo_name[0] = '\0';
	} else {
		c->photo = *m;
		c->error[0] = '\0';
	}
	app_dirty(c->base.app);
}

/* Enter in the photo field: reads and checks the file, then uploads it;
 * an empty name takes the photo off. */
static void attach_photo(struct compose *c)
{
	char path[4096];
	path_expand(ed_text(&c->photo_path), path, sizeof path);
	c->error[0] = '\0';
	if (path[0] == '\0') {
		memset(&c->photo, 0, sizeof c->photo);
		c->photo_name[0] = '\0';
		c->on_photo = false;
		return;
	}
	unsigned char *data;
	size_t len;
	char why[300];
	if (photo_file_read(path, &data, &len, why, sizeof why) != 0) {
		snprintf(c->error, sizeof c->error, "%.190s", why);
		return;
	}
	if (!photofetch_upload(c->base.m->session.token, data, len, photo_uploaded, c)) {
		snprintf(c->error, sizeof c->error, "Cannot upload now: another photo is on its way.");
	} else {
		c->uploading = true;
		memset(&c->photo, 0, sizeof c->photo);
		const char *base = strrchr(path, '/');
		snprintf(c->photo_name, sizeof c->photo_name, "%.120s", base ? base + 1 : path);
		c->on_photo = false;
	}
	free(data);
}

static bool photo_field_key(struct compose *c, const struct key *k)
{
	if (!k->paste && k->code == 0 && k->ch == '\t') {
		char done[4096];
		if (path_complete(ed_text(&c->photo_path), done, sizeof done) > 0)
			ed_set(&c->photo_path, done);
		return true;
	}
	if (!k->paste && k->code == 0 && k->ch == 27) {
		c->on_photo = false;
		return true;
	}
	enum ed_result r = ed_key(&c->photo_path, k);
	if (r == ED_SUBMIT)
		attach_photo(c);
	else if (r == ED_CHANGED)
		c->error[0] = '\0';
	return true;
}

static bool compose_key(struct screen *s, const struct key *k)
{
	struct compose *c = (struct compose *)s;
	if (!k->paste && k->code == 0 && k->ch == CTRL('o') && s->m->ssh) {
		/* Over SSH no file on the host is read. */
		snprintf(c->error, sizeof c->error, "Photos cannot be attached over SSH: post them "
			"with 'ansigram post --photo FILE' on your own machine.");
		return true;
	}
	if (!k->paste && k->code == 0 && k->ch == CTRL('o')) {
		c->on_photo = !c->on_photo;
		c->on_image = false;
		return true;
	}
	if (c->on_photo && !key_is(k, ACT_SUBMIT))
		return photo_field_key(c, k);
	if (!c->on_image && mention_key(&c->mention, s->m, &c->text, k))
		return true;
	if (!k->paste && k->code == 0 && k->ch == '\t') {
		c->on_image = !c->on_image;
		return true;
	}
	if (k->code == KEY_BTAB) {
		c->on_image = !c->on_image;
		return true;
	}
	if (key_is(k, ACT_SUBMIT) || (k->alt && (k->ch == '\r' || k->ch == '\n'))) {
		publish(c);
		return true;
	}
	if (!k->paste && k->code == 0 && k->ch == CTRL('t')) {
		c->story = !c->story;
		c->error[0] = '\0';
		return true;
	}
	if (!k->paste && k->code == 0 && k->ch == 27) {
		if (!ed_blank(&c->text) || ed_text(&c->image)[0])
			app_toast(s->app, "Draft kept: press 6 or n to come back to it.", TH_OK);
		app_switch_tab(s->app, TAB_HOME);
		return true;
	}
	struct editor *e = c->on_image ? &c->image : &c->text;
	enum ed_result r = ed_key(e, k);
	if (r == ED_SUBMIT && c->on_image)
		publish(c);
	if (r == ED_UNHANDLED && c->on_image && k->code == KEY_UP)
		c->on_image = false;
	if (r == ED_UNHANDLED && !c->on_image && k->code == KEY_DOWN)
		c->on_image = true;
	if (r == ED_CHANGED) {
		c->error[0] = '\0';
		c->mention.candidates[0] = '\0';
	}
	if (r == ED_CHANGED && e == &c->text)
		model_draft_save(s->m, "compose", ed_text(&c->text));
	return true;
}

static void compose_click(struct screen *s, int y, int x)
{
	(void)x;
	struct compose *c = (struct compose *)s;
	c->on_image = y == c->image_y;
}

static void compose_note(struct screen *s, enum note n, int64_t id, int64_t aux, const char *msg)
{
	(void)id;
	(void)aux;
	struct compose *c = (struct compose *)s;
	if (!c->sending)
		return;
	if (n == NOTE_POST_CREATED || n == NOTE_STORY_CREATED) {
		c->sending = false;
		ed_set(&c->text, "");
		ed_set(&c->image, "");
		ed_set(&c->photo_path, "");
		memset(&c->photo, 0, sizeof c->photo);
		c->photo_name[0] = '\0';
		c->on_image = false;
		c->on_photo = false;
		c->story = false;     /* the next one is a post unless chosen otherwise */
		app_toast(s->app, msg, TH_OK);
		app_switch_tab(s->app, TAB_HOME);
	} else if (n == NOTE_COMPOSE_FAILED) {
		c->sending = false;
		snprintf(c->error, sizeof c->error, "%s", msg);
	}
}

/* Coming into view with an empty text: the saved draft, if any. */
static void compose_shown(struct screen *s)
{
	struct compose *c = (struct compose *)s;
	const char *draft = model_draft(s->m, "compose");
	if (draft == NULL || !ed_blank(&c->text) || c->sending)
		return;
	ed_set(&c->text, draft);
	app_toast(s->app, "Draft restored.", TH_OK);
}

static void compose_destroy(struct screen *s)
{
	struct compose *c = (struct compose *)s;
	if (c->uploading)
		photofetch_cancel_upload();
	ed_free(&c->text);
	ed_free(&c->image);
	ed_free(&c->photo_path);
	mention_free(&c->mention, c->base.m);
	free(c);
}

static struct editor *compose_field(struct screen *s)
{
	struct compose *c = (struct compose *)s;
	return c->on_photo ? &c->photo_path : c->on_image ? &c->image : &c->text;
}

static bool compose_has_draft(struct screen *s)
{
	struct compose *c = (struct compose *)s;
	return !ed_blank(&c->text) || ed_text(&c->image)[0] != '\0' || c->photo.id > 0;
}

static const struct screen_ops compose_ops = {
	.draw = compose_draw,
	.key = compose_key,
	.click = compose_click,
	.note = compose_note,
	.shown = compose_shown,
	.destroy = compose_destroy,
	.field = compose_field,
	.has_draft = compose_has_draft,
};

void screen_compose_mode(struct screen *s, bool story)
{
	struct compose *c = (struct compose *)s;
	c->story = story;
	c->on_image = false;
	c->error[0] = '\0';
}

struct screen *screen_compose_new(struct app *a)
{
	struct compose *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->base = (struct screen){.ops = &compose_ops, .app = a, .m = app_model(a), .typing = true,
		.keys = KEYS_TEXT};
	ed_init(&c->text, false);
	c->text.highlight = true;
	ed_init(&c->image, true);
	c->image.max_chars = 500;
	ed_init(&c->photo_path, true);
	c->photo_path.max_chars = 1024;
	return &c->base;
}
