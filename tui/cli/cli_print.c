/* cli_print.c: output. With --json, a reply's data as one JSON document;
 * otherwise readable text fitted to the terminal width, with times as
 * "5m ago". The kind of object (post, user, message...) is recognised by
 * its fields, so a new op that returns known objects prints well with no
 * code here, and anything else prints as "key: value" lines. Every string
 * from the server goes through ag_text_sanitize before it is written. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "text.h"

const char *cli_bold(const struct cli *c)
{
	return c->opts.color ? "\033[1m" : "";
}

const char *cli_dim(const struct cli *c)
{
	return c->opts.color ? "\033[2m" : "";
}

const char *cli_reset(const struct cli *c)
{
	return c->opts.color ? "\033[0m" : "";
}

void cli_print_json(struct cli *c, json_t *v)
{
	ag_json_print(stdout, v, c->stdout_tty);
	json_decref(v);
}

const char *cli_str(struct ag_buf *b, const msgpack_object *map, const char *key)
{
	ag_buf_reset(b);
	const msgpack_object *o = ag_obj_get(map, key);
	if (o != NULL && o->type == MSGPACK_OBJECT_STR)
		ag_text_sanitize(b, o->via.str.ptr, o->via.str.size, 1);
	for (size_t i = 0; i < b->len; i++)  /* one line: newlines read as spaces */
		if (b->data[i] == '\n')
			b->data[i] = ' ';
	return ag_buf_str(b);
}

const char *cli_ago(char *out, size_t size, const msgpack_object *map, const char *key)
{
	int64_t t = ag_obj_int(map, key);
	if (t == INT64_MIN)
		snprintf(out, size, "?");
	else
		ag_time_ago(t, ag_now_ms(), out, size);
	return out;
}

/* ---- lines fitted to the width ---- */

struct line {
	struct cli *c;
	int col;
	bool full;
};

/* Adds sanitized one-line text in a style; cuts it with "..." at the
 * width. */
static void put(struct line *l, const char *style, const char *text)
{
	if (l->full || text[0] == '\0')
		return;
	int room = l->c->cols - l->col;
	int w = ag_text_width(text);
	if (w <= room) {
		printf("%s%s%s", style, text, style[0] ? cli_reset(l->c) : "");
		l->col += w;
		return;
	}
	size_t n = ag_text_fit(text, room > 3 ? room - 3 : 0);
	printf("%s%.*s...%s", style, (int)n, text, style[0] ? cli_reset(l->c) : "");
	l->full = true;
}

static void putf(struct line *l, const char *style, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void putf(struct line *l, const char *style, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	put(l, style, text);
}

static struct line line_start(struct cli *c, int indent)
{
	struct line l = {.c = c, .col = indent};
	printf("%*s", indent, "");
	return l;
}

static void line_end(struct line *l)
{
	(void)l;
	putchar('\n');
}

/* Prints one paragraph (no newlines) word-wrapped after indent spaces. */
static void wrap_paragraph(struct cli *c, const char *p, size_t len, int indent)
{
	int width = c->cols - indent;
	if (width < 10)
		width = 10;
	struct ag_buf word = {0};
	int col = 0;
	printf("%*s", indent, "");
	size_t i = 0;
	while (i < len) {
		size_t n = 0;
		while (i + n < len && p[i + n] != ' ')
			n++;
		ag_buf_reset(&word);
		ag_buf_append(&word, p + i, n);
		const char *w = ag_buf_str(&word);
		int ww = ag_text_width(w);
		if (col > 0 && col + 1 + ww > width) {
			printf("\n%*s", indent, "");
			col = 0;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		while (ww > width - col) {  /* a word longer than the line */
			size_t cut = ag_text_fit(w, width - col);
			if (cut == 0)
				break;
			printf("%.*s\n%*s", (int)cut, w, indent, "");
			w += cut;
			ww = ag_text_width(w);
			col = 0;
		}
		fputs(w, stdout);
		col += ww;
		i += n;
		while (i < len && p[i] == ' ')
			i++;
	}
	putchar('\n');
	ag_buf_free(&word);
}

void cli_print_wrapped(struct cli *c, const char *text, size_t len, int indent)
{
	struct ag_buf clean = {0};
	ag_text_sanitize(&clean, text, len, 1);
	const char *s = ag_buf_str(&clean);
	for (;;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		wrap_paragraph(c, s, n, indent);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	ag_buf_free(&clean);
}

/* Prints a multi-line text field, when it is a non-empty string. */
static void print_text_field(struct cli *c, const msgpack_object *map, const char *key, int indent)
{
	const msgpack_object *o = ag_obj_get(map, key);
	if (o != NULL && o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0)
		cli_print_wrapped(c, o->via.str.ptr, o->via.str.size, indent);
}

/* "label: value" for a one-line string field, when it is set. */
static void print_labelled(struct cli *c, const msgpack_object *map, const char *key,
	const char *label, int indent)
{
	struct ag_buf b = {0};
	const char *v = cli_str(&b, map, key);
	if (v[0] != '\0') {
		struct line l = line_start(c, indent);
		put(&l, cli_dim(c), label);
		put(&l, "", v);
		line_end(&l);
	}
	ag_buf_free(&b);
}

/* ---- known objects ---- */

enum shape {
	SHAPE_OTHER, SHAPE_POST, SHAPE_COMMENT, SHAPE_STORY, SHAPE_MESSAGE, SHAPE_CONVERSATION,
	SHAPE_NOTIFICATION, SHAPE_PROFILE, SHAPE_USER, SHAPE_HASHTAG, SHAPE_LOGIN, SHAPE_SAGA,
};

static bool has(const msgpack_object *o, const char *key)
{
	return ag_obj_get(o, key) != NULL;
}

static enum shape shape_of(const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return SHAPE_OTHER;
	if (has(o, "token") && has(o, "user"))
		return SHAPE_LOGIN;
	if (has(o, "like_count") && has(o, "author_username"))
		return SHAPE_POST;
	if (has(o, "expires_at") && has(o, "author_username"))
		return SHAPE_STORY;
	if (has(o, "post_id") && has(o, "author_username"))
		return SHAPE_COMMENT;
	if (has(o, "other_username") && has(o, "last_message"))
		return SHAPE_CONVERSATION;
	if (has(o, "sender_id") && has(o, "receiver_id"))
		return SHAPE_MESSAGE;
	if (has(o, "actor_username") && has(o, "type"))
		return SHAPE_NOTIFICATION;
	if (has(o, "follower_count") && has(o, "username"))
		return SHAPE_PROFILE;
	if (has(o, "username") && has(o, "id"))
		return SHAPE_USER;
	if (has(o, "post_count") && has(o, "name"))
		return SHAPE_HASHTAG;
	if (has(o, "steps") && has(o, "state"))
		return SHAPE_SAGA;
	return SHAPE_OTHER;
}

/* "photo #12 · 1080x720 · 85 KiB (ansigram media get 12)" for an object's
 * media, when it has one. */
static void print_media_line(struct cli *c, const msgpack_object *o)
{
	const msgpack_object *m = ag_obj_get(o, "media");
	if (m == NULL || m->type != MSGPACK_OBJECT_MAP)
		return;
	long long id = (long long)ag_obj_int(m, "id");
	struct line l = line_start(c, 2);
	putf(&l, cli_dim(c), "photo #%lld · %lldx%lld · %lld KiB (ansigram media get %lld)", id,
		(long long)ag_obj_int(m, "width"), (long long)ag_obj_int(m, "height"),
		((long long)ag_obj_int(m, "bytes") + 1023) / 1024, id);
	line_end(&l);
}

static void print_post(struct cli *c, const msgpack_object *p)
{
	struct ag_buf b = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_dim(c), "#%lld ", (long long)ag_obj_int(p, "id"));
	putf(&l, cli_bold(c), "@%s", cli_str(&b, p, "author_username"));
	putf(&l, cli_dim(c), " · %s", cli_ago(ago, sizeof ago, p, "created_at"));
	line_end(&l);
	print_text_field(c, p, "content", 2);
	print_labelled(c, p, "image_url", "image: ", 2);
	print_media_line(c, p);
	l = line_start(c, 2);
	int64_t likes = ag_obj_int(p, "like_count"), comments = ag_obj_int(p, "comment_count");
	putf(&l, cli_dim(c), "%lld like%s · %lld comment%s", (long long)likes, likes == 1 ? "" : "s",
		(long long)comments, comments == 1 ? "" : "s");
	if (ag_obj_bool(p, "liked_by_me"))
		put(&l, cli_dim(c), " · you like it");
	const msgpack_object *tags = ag_obj_get(p, "hashtags");
	for (size_t i = 0; i < ag_obj_len(tags); i++) {
		const msgpack_object *t = ag_obj_at(tags, i);
		if (t->type != MSGPACK_OBJECT_STR)
			continue;
		ag_buf_reset(&b);
		ag_buf_puts(&b, i == 0 ? " · #" : " #");
		ag_text_sanitize(&b, t->via.str.ptr, t->via.str.size, 0);
		put(&l, cli_dim(c), ag_buf_str(&b));
	}
	line_end(&l);
	ag_buf_free(&b);
}

static void print_comment(struct cli *c, const msgpack_object *m)
{
	struct ag_buf b = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_dim(c), "#%lld ", (long long)ag_obj_int(m, "id"));
	putf(&l, cli_bold(c), "@%s", cli_str(&b, m, "author_username"));
	putf(&l, cli_dim(c), " · %s · on post %lld", cli_ago(ago, sizeof ago, m, "created_at"),
		(long long)ag_obj_int(m, "post_id"));
	line_end(&l);
	print_text_field(c, m, "content", 2);
	ag_buf_free(&b);
}

static void print_story(struct cli *c, const msgpack_object *s)
{
	struct ag_buf b = {0};
	char ago[32], left[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_dim(c), "#%lld ", (long long)ag_obj_int(s, "id"));
	putf(&l, cli_bold(c), "@%s", cli_str(&b, s, "author_username"));
	putf(&l, cli_dim(c), " · %s · expires %s", cli_ago(ago, sizeof ago, s, "created_at"),
		cli_ago(left, sizeof left, s, "expires_at"));
	line_end(&l);
	print_text_field(c, s, "content", 2);
	print_labelled(c, s, "image_url", "image: ", 2);
	print_media_line(c, s);
	ag_buf_free(&b);
}

static void print_message(struct cli *c, const msgpack_object *m)
{
	char ago[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_dim(c), "#%lld ", (long long)ag_obj_int(m, "id"));
	putf(&l, "", "from user %lld to user %lld", (long long)ag_obj_int(m, "sender_id"),
		(long long)ag_obj_int(m, "receiver_id"));
	putf(&l, cli_dim(c), " · %s%s", cli_ago(ago, sizeof ago, m, "created_at"),
		ag_obj_bool(m, "is_read") ? "" : " · unread");
	line_end(&l);
	print_text_field(c, m, "content", 2);
}

static void print_conversation(struct cli *c, const msgpack_object *v)
{
	struct ag_buf b = {0};
	char ago[32];
	const msgpack_object *last = ag_obj_get(v, "last_message");
	struct line l = line_start(c, 0);
	putf(&l, cli_bold(c), "@%s", cli_str(&b, v, "other_username"));
	putf(&l, cli_dim(c), " · %s", cli_ago(ago, sizeof ago, last, "created_at"));
	int64_t unread = ag_obj_int(v, "unread_count");
	if (unread > 0)
		putf(&l, cli_bold(c), " · %lld unread", (long long)unread);
	put(&l, "", ": ");
	if (ag_obj_int(last, "sender_id") != ag_obj_int(v, "other_user_id"))
		put(&l, cli_dim(c), "you: ");
	put(&l, "", cli_str(&b, last, "content"));
	line_end(&l);
	ag_buf_free(&b);
}

static void print_notification(struct cli *c, const msgpack_object *n)
{
	struct ag_buf b = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	bool unread = !ag_obj_bool(n, "is_read");
	put(&l, unread ? cli_bold(c) : "", unread ? "* " : "  ");
	putf(&l, cli_dim(c), "#%lld %s  ", (long long)ag_obj_int(n, "id"),
		cli_ago(ago, sizeof ago, n, "created_at"));
	put(&l, unread ? cli_bold(c) : "", cli_str(&b, n, "message"));
	/* What reference_id points at, by notification type. */
	const char *kind = ag_obj_str_eq(n, "type", "follow") ? "user"
		: ag_obj_str_eq(n, "type", "message") ? "message" : "post";
	putf(&l, cli_dim(c), " (%s %lld)", kind, (long long)ag_obj_int(n, "reference_id"));
	line_end(&l);
	ag_buf_free(&b);
}

static void print_user_line(struct cli *c, const msgpack_object *u)
{
	struct ag_buf b = {0};
	struct line l = line_start(c, 0);
	putf(&l, cli_bold(c), "@%s", cli_str(&b, u, "username"));
	if (cli_str(&b, u, "full_name")[0] != '\0')
		putf(&l, "", " (%s)", ag_buf_str(&b));
	putf(&l, cli_dim(c), " · id %lld", (long long)ag_obj_int(u, "id"));
	const msgpack_object *bio = ag_obj_get(u, "bio");
	if (bio != NULL && bio->type == MSGPACK_OBJECT_STR && bio->via.str.size > 0) {
		const char *nl = memchr(bio->via.str.ptr, '\n', bio->via.str.size);
		ag_buf_reset(&b);
		ag_buf_puts(&b, " · ");
		ag_text_sanitize(&b, bio->via.str.ptr,
			nl ? (size_t)(nl - bio->via.str.ptr) : bio->via.str.size, 0);
		put(&l, cli_dim(c), ag_buf_str(&b));
	}
	line_end(&l);
	ag_buf_free(&b);
}

static void print_profile(struct cli *c, const msgpack_object *p)
{
	struct ag_buf b = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_bold(c), "@%s", cli_str(&b, p, "username"));
	if (cli_str(&b, p, "full_name")[0] != '\0')
		putf(&l, "", " (%s)", ag_buf_str(&b));
	putf(&l, cli_dim(c), " · id %lld", (long long)ag_obj_int(p, "id"));
	line_end(&l);
	print_text_field(c, p, "bio", 2);
	print_labelled(c, p, "email", "email: ", 2);
	print_labelled(c, p, "profile_image_url", "avatar: ", 2);
	if (has(p, "follower_count")) {
		l = line_start(c, 2);
		int64_t posts = ag_obj_int(p, "post_count"), followers = ag_obj_int(p, "follower_count");
		putf(&l, "", "%lld post%s · %lld follower%s · %lld following", (long long)posts,
			posts == 1 ? "" : "s", (long long)followers, followers == 1 ? "" : "s",
			(long long)ag_obj_int(p, "following_count"));
		if (ag_obj_bool(p, "is_following"))
			put(&l, cli_bold(c), " · you follow them");
		line_end(&l);
	}
	l = line_start(c, 2);
	putf(&l, cli_dim(c), "joined %s", cli_ago(ago, sizeof ago, p, "created_at"));
	line_end(&l);
	ag_buf_free(&b);
}

static void print_hashtag(struct cli *c, const msgpack_object *h)
{
	struct ag_buf b = {0};
	struct line l = line_start(c, 0);
	putf(&l, cli_bold(c), "#%s", cli_str(&b, h, "name"));
	int64_t n = ag_obj_int(h, "post_count");
	putf(&l, cli_dim(c), " · %lld post%s", (long long)n, n == 1 ? "" : "s");
	line_end(&l);
	ag_buf_free(&b);
}

static void print_login(struct cli *c, const msgpack_object *d)
{
	struct ag_buf b = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	put(&l, "", "Logged in as ");
	putf(&l, cli_bold(c), "@%s", cli_str(&b, ag_obj_get(d, "user"), "username"));
	putf(&l, "", "; the session expires %s.", cli_ago(ago, sizeof ago, d, "expires_at"));
	line_end(&l);
	printf("Session saved in %s\n", c->opts.session_path);
	ag_buf_free(&b);
}

static void print_saga(struct cli *c, const msgpack_object *s)
{
	struct ag_buf b = {0}, t = {0};
	char ago[32];
	struct line l = line_start(c, 0);
	putf(&l, cli_bold(c), "saga %s", cli_str(&b, s, "id"));
	putf(&l, "", " · %s · %s", cli_str(&b, s, "type"), cli_str(&t, s, "state"));
	putf(&l, cli_dim(c), " · %s", cli_ago(ago, sizeof ago, s, "updated_at"));
	line_end(&l);
	const msgpack_object *steps = ag_obj_get(s, "steps");
	for (size_t i = 0; i < ag_obj_len(steps); i++) {
		const msgpack_object *st = ag_obj_at(steps, i);
		l = line_start(c, 2);
		putf(&l, "", "%s: %s", cli_str(&b, st, "name"), cli_str(&t, st, "status"));
		if (cli_str(&b, st, "error")[0] != '\0')
			putf(&l, cli_dim(c), " (%s)", ag_buf_str(&b));
		line_end(&l);
	}
	ag_buf_free(&b);
	ag_buf_free(&t);
}

/* ---- anything else ---- */

static bool is_scalar(const msgpack_object *o)
{
	return o->type != MSGPACK_OBJECT_MAP && o->type != MSGPACK_OBJECT_ARRAY;
}

static bool is_time_key(const char *key, size_t len)
{
	return (len > 3 && strncmp(key + len - 3, "_at", 3) == 0) ||
		(len == 4 && strncmp(key, "time", 4) == 0) || (len == 2 && strncmp(key, "at", 2) == 0);
}

/* A scalar as one line of text (times named *_at shown relative). */
static void scalar_text(const msgpack_object *o, const char *key, size_t key_len,
	struct ag_buf *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		ag_buf_puts(out, "-");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		ag_buf_puts(out, o->via.boolean ? "yes" : "no");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (key != NULL && is_time_key(key, key_len) && o->via.u64 <= INT64_MAX) {
			char ago[32];
			ag_time_ago((int64_t)o->via.u64, ag_now_ms(), ago, sizeof ago);
			ag_buf_puts(out, ago);
		} else {
			ag_buf_printf(out, "%llu", (unsigned long long)o->via.u64);
		}
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		ag_buf_printf(out, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		ag_buf_printf(out, "%g", o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		ag_text_sanitize(out, o->via.str.ptr, o->via.str.size, 0);
		break;
	case MSGPACK_OBJECT_BIN:
		ag_buf_printf(out, "(%u bytes)", o->via.bin.size);
		break;
	default:
		ag_buf_puts(out, "?");
		break;
	}
}

static void print_value(struct cli *c, const msgpack_object *o, int indent);

static void print_map(struct cli *c, const msgpack_object *o, int indent)
{
	struct ag_buf key = {0}, val = {0};
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
		ag_buf_reset(&key);
		scalar_text(k, NULL, 0, &key);
		const char *kname = k->type == MSGPACK_OBJECT_STR ? k->via.str.ptr : NULL;
		size_t klen = kname ? k->via.str.size : 0;
		bool scalar_list = v->type == MSGPACK_OBJECT_ARRAY;
		for (size_t j = 0; scalar_list && j < ag_obj_len(v); j++)
			scalar_list = is_scalar(ag_obj_at(v, j));
		if (is_scalar(v) || scalar_list) {
			ag_buf_reset(&val);
			ag_buf_printf(&val, "%s: ", ag_buf_str(&key));
			if (is_scalar(v))
				scalar_text(v, kname, klen, &val);
			for (size_t j = 0; !is_scalar(v) && j < ag_obj_len(v); j++) {
				if (j > 0)
					ag_buf_puts(&val, ", ");
				scalar_text(ag_obj_at(v, j), NULL, 0, &val);
			}
			wrap_paragraph(c, ag_buf_str(&val), val.len, indent);
		} else {
			struct line l = line_start(c, indent);
			putf(&l, cli_dim(c), "%s:", ag_buf_str(&key));
			line_end(&l);
			print_value(c, v, indent + 2);
		}
	}
	ag_buf_free(&key);
	ag_buf_free(&val);
}

/* Whether a known object prints on one line (lists of them need no
 * blank lines between). */
static bool one_line_shape(enum shape s)
{
	return s == SHAPE_CONVERSATION || s == SHAPE_NOTIFICATION || s == SHAPE_USER ||
		s == SHAPE_HASHTAG;
}

static void print_value(struct cli *c, const msgpack_object *o, int indent)
{
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		if (o->via.array.size == 0) {
			struct line l = line_start(c, indent);
			put(&l, cli_dim(c), "(none)");
			line_end(&l);
		}
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			const msgpack_object *item = &o->via.array.ptr[i];
			if (i > 0 && !one_line_shape(shape_of(item)))
				putchar('\n');
			print_value(c, item, indent);
		}
		return;
	}
	switch (shape_of(o)) {
	case SHAPE_POST: print_post(c, o); return;
	case SHAPE_COMMENT: print_comment(c, o); return;
	case SHAPE_STORY: print_story(c, o); return;
	case SHAPE_MESSAGE: print_message(c, o); return;
	case SHAPE_CONVERSATION: print_conversation(c, o); return;
	case SHAPE_NOTIFICATION: print_notification(c, o); return;
	case SHAPE_PROFILE: print_profile(c, o); return;
	case SHAPE_USER:
		if (has(o, "email"))
			print_profile(c, o);
		else
			print_user_line(c, o);
		return;
	case SHAPE_HASHTAG: print_hashtag(c, o); return;
	case SHAPE_LOGIN: print_login(c, o); return;
	case SHAPE_SAGA: print_saga(c, o); return;
	case SHAPE_OTHER: break;
	}
	if (o->type == MSGPACK_OBJECT_MAP) {
		print_map(c, o, indent);
		return;
	}
	struct ag_buf text = {0};
	scalar_text(o, NULL, 0, &text);
	wrap_paragraph(c, ag_buf_str(&text), text.len, indent);
	ag_buf_free(&text);
}

void cli_print_readable(struct cli *c, const msgpack_object *data)
{
	if (data == NULL || data->type == MSGPACK_OBJECT_NIL) {
		printf("ok\n");
		return;
	}
	print_value(c, data, 0);
}

void cli_print_data(struct cli *c, const msgpack_object *data)
{
	if (c->opts.json)
		cli_print_json(c, ag_json_from_msgpack(data));
	else
		cli_print_readable(c, data);
}
