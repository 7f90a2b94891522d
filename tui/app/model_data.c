/* model_data.c: the model's lists and content: views loaded page by page
 * (feed, posts of a user or a tag, comments, people, threads,
 * notifications, conversations), the post and profile caches, and the
 * intents that change them (like, comment, follow, post, message, mark
 * read). Likes and follows show at once and are corrected by the reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "idmap.h"
#include "model_int.h"
#include "parse.h"

/* ---- views ---- */

/* How a view asks for its older pages. */
enum paging {
	PAGING_BEFORE,   /* before_id: the oldest item held */
	PAGING_OFFSET,   /* offset: the number of items held */
	PAGING_ONCE,     /* one page is all there is */
};

/* What a kind of view asks for and holds. */
struct view_kind {
	const char *op;
	const char *key_arg;    /* the arg that gets v->key, or NULL */
	const char *text_arg;   /* the arg that gets v->text, or NULL; a view with
	                         * one shows nothing and asks nothing until it has text */
	enum paging paging;
	bool posts;             /* items are struct post * of the model's cache */
	bool badged;            /* an unread badge goes with it: refreshing asks the counts */
	void *(*parse)(struct model *m, const msgpack_object *o);
	void (*free)(void *item);   /* NULL: the view does not own its items */
	int64_t (*id)(const void *item);
};

static void *parse_post_item(struct model *m, const msgpack_object *o)
{
	return model_post_upsert(m, o);
}

/* One parser per item type, allocating the item. */
#define ITEM_PARSER(name, type, parse)                                     \
	static void *name(struct model *m, const msgpack_object *o)        \
	{                                                                  \
		(void)m;                                                   \
		struct type *item = malloc(sizeof *item);                  \
		if (item == NULL)                                          \
			abort();                                           \
		parse(o, item);                                            \
		return item;                                               \
	}
ITEM_PARSER(parse_comment_item, comment, parse_comment)
ITEM_PARSER(parse_user_item, user, parse_user)
ITEM_PARSER(parse_tag_item, tag, parse_tag)
ITEM_PARSER(parse_message_item, message, parse_message)
ITEM_PARSER(parse_notif_item, notif, parse_notif)
ITEM_PARSER(parse_convo_item, convo, parse_convo)

static int64_t post_id(const void *it) { return ((const struct post *)it)->id; }
static int64_t comment_id(const void *it) { return ((const struct comment *)it)->id; }
static int64_t user_id(const void *it) { return ((const struct user *)it)->id; }
static int64_t tag_id(const void *it) { return ((const struct tag *)it)->id; }
static int64_t message_id(const void *it) { return ((const struct message *)it)->id; }
static int64_t notif_id(const void *it) { return ((const struct notif *)it)->id; }
static int64_t convo_id(const void *it) { return ((const struct convo *)it)->other_id; }

static const struct view_kind view_kinds[] = {
	[SRC_FEED] = {"feed.get", NULL, NULL, PAGING_BEFORE, true, false, parse_post_item, NULL, post_id},
	[SRC_USER_POSTS] = {"user.posts", "user_id", NULL, PAGING_BEFORE, true, false, parse_post_item,
		NULL, post_id},
	[SRC_TAG_POSTS] = {"search.posts_by_hashtag", NULL, "tag", PAGING_OFFSET, true, false,
		parse_post_item, NULL, post_id},
	[SRC_COMMENTS] = {"post.comments", "post_id", NULL, PAGING_BEFORE, false, false,
		parse_comment_item, comment_free, comment_id},
	[SRC_FOLLOWERS] = {"user.followers", "user_id", NULL, PAGING_OFFSET, false, false,
		parse_user_item, user_free, user_id},
	[SRC_FOLLOWING] = {"user.following", "user_id", NULL, PAGING_OFFSET, false, false,
		parse_user_item, user_free, user_id},
	[SRC_SEARCH_USERS] = {"search.users", NULL, "q", PAGING_ONCE, false, false, parse_user_item,
		user_free, user_id},
	[SRC_SEARCH_TAGS] = {"search.hashtags", NULL, "q", PAGING_ONCE, false, false, parse_tag_item,
		tag_free, tag_id},
	[SRC_THREAD] = {"message.thread", "user_id", NULL, PAGING_BEFORE, false, true,
		parse_message_item, message_free, message_id},
	[SRC_NOTIFS] = {"notification.list", NULL, NULL, PAGING_BEFORE, false, true, parse_notif_item,
		notif_free, notif_id},
	[SRC_CONVOS] = {"message.conversations", NULL, NULL, PAGING_ONCE, false, true,
		parse_convo_item, convo_free, convo_id},
};
_Static_assert(sizeof view_kinds / sizeof view_kinds[0] == SRC_CONVOS + 1,
	"a view kind for every view_src");

static const struct view_kind *kind_of(enum view_src src)
{
	return &view_kinds[src];
}

/* The number of items a page asks for: the op's default page size (its
 * limit arg's default in the op table); 0 when the op has no limit. */
static int64_t page_size(const struct view_kind *k)
{
	const struct ag_op_spec *op = ag_op_find(k->op, strlen(k->op));
	for (size_t i = 0; op && i < op->n_args; i++)
		if (strcmp(op->args[i].name, "limit") == 0)
			return op->args[i].dflt;
	return 0;
}

static void item_free(enum view_src src, void *item)
{
	if (kind_of(src)->free)
		kind_of(src)->free(item);
}

static void view_clear(struct view *v)
{
	for (size_t i = 0; i < v->n; i++)
		item_free(v->src, v->items[i]);
	v->n = 0;
}

static void view_insert(struct view *v, size_t at, void *item)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 32;
		v->items = realloc(v->items, v->cap * sizeof *v->items);
		if (v->items == NULL)
			abort();
	}
	memmove(v->items + at + 1, v->items + at, (v->n - at) * sizeof *v->items);
	v->items[at] = item;
	v->n++;
}

int64_t model_item_id(const struct view *v, size_t i)
{
	return kind_of(v->src)->id(v->items[i]);
}

bool model_view_has(const struct view *v, int64_t id)
{
	for (size_t i = 0; i < v->n; i++)
		if (model_item_id(v, i) == id)
			return true;
	return false;
}

void model_view_remove(struct view *v, int64_t id)
{
	for (size_t i = 0; i < v->n; i++)
		if (model_item_id(v, i) == id) {
			item_free(v->src, v->items[i]);
			memmove(v->items + i, v->items + i + 1, (v->n - i - 1) * sizeof *v->items);
			v->n--;
			return;
		}
}

struct view *model_view_find(struct model *m, uint64_t handle)
{
	for (size_t i = 0; i < m->n_views; i++)
		if (m->views[i]->handle == handle)
			return m->views[i];
	return NULL;
}

/* What a page request remembers: which view, which of its refreshes, and
 * whether it adds older items. */
struct page_ctx {
	uint64_t handle;
	unsigned gen;
	bool more;
	int64_t limit;
};

static void page_done(struct model *m, const struct job *j, void *ctx)
{
	const struct page_ctx *pc = ctx;
	struct view *v = model_view_find(m, pc->handle);
	if (v == NULL || pc->gen != v->gen)
		return;    /* closed, or a refresh has replaced this request */
	v->loading = false;
	if (!job_ok(j)) {
		model_failure_text(j, v->error, sizeof v->error);
		return;
	}
	const struct view_kind *k = kind_of(v->src);
	v->error[0] = '\0';
	if (!pc->more)
		view_clear(v);
	const msgpack_object *data = j->reply.data;
	size_t n = ag_obj_len(data);
	for (size_t i = 0; i < n; i++) {
		void *item = k->parse(m, ag_obj_at(data, i));
		if (item == NULL)
			continue;
		/* Pages by offset can overlap when new items arrived meanwhile. */
		if (pc->more && model_view_has(v, k->id(item)))
			item_free(v->src, item);
		else
			view_insert(v, v->n, item);
	}
	v->loaded = true;
	v->at_end = k->paging == PAGING_ONCE || (int64_t)n < pc->limit;
	if (v == m->feed && !pc->more)
		m->new_posts = 0;
}

/* Asks for the first page (more = false) or the next older one. */
static void view_load(struct model *m, struct view *v, bool more)
{
	const struct view_kind *k = kind_of(v->src);
	struct job *j = job_new(k->op);
	if (k->key_arg)
		job_int(j, k->key_arg, v->key);
	if (k->text_arg)
		job_str(j, k->text_arg, v->text);
	struct page_ctx *pc = malloc(sizeof *pc);
	if (pc == NULL)
		abort();
	*pc = (struct page_ctx){v->handle, v->gen, more, page_size(k)};
	if (pc->limit)
		job_int(j, "limit", pc->limit);
	if (more && k->paging == PAGING_BEFORE && v->n)
		job_int(j, "before_id", model_item_id(v, v->n - 1));
	if (more && k->paging == PAGING_OFFSET)
		job_int(j, "offset", (int64_t)v->n);
	v->loading = true;
	model_send(m, j, page_done, pc);
}

/* A search view with no query shows nothing and asks nothing. */
static bool idle_search(const struct view *v)
{
	return kind_of(v->src)->text_arg && (v->text == NULL || v->text[0] == '\0');
}

struct view *model_view_open(struct model *m, enum view_src src, int64_t key, const char *text)
{
	struct view *v = calloc(1, sizeof *v);
	if (v == NULL || (text && (v->text = strdup(text)) == NULL))
		abort();
	v->handle = ++m->next_handle;
	v->src = src;
	v->key = key;
	if (m->n_views == m->cap_views) {
		m->cap_views = m->cap_views ? m->cap_views * 2 : 16;
		m->views = realloc(m->views, m->cap_views * sizeof *m->views);
		if (m->views == NULL)
			abort();
	}
	m->views[m->n_views++] = v;
	if (idle_search(v)) {
		v->loaded = v->at_end = true;
		return v;
	}
	view_load(m, v, false);
	return v;
}

static void view_free(struct view *v)
{
	view_clear(v);
	free(v->items);
	free(v->text);
	free(v);
}

void model_view_close(struct model *m, struct view *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < m->n_views; i++)
		if (m->views[i] == v) {
			m->views[i] = m->views[--m->n_views];
			break;
		}
	view_free(v);
}

void model_views_free(struct model *m)
{
	for (size_t i = 0; i < m->n_views; i++)
		view_free(m->views[i]);
	free(m->views);
	m->views = NULL;
	m->n_views = m->cap_views = 0;
}

void model_view_more(struct model *m, struct view *v)
{
	if (v->loading || v->at_end || !v->loaded || v->error[0] || idle_search(v))
		return;
	view_load(m, v, true);
}

void model_view_refresh(struct model *m, struct view *v)
{
	if (kind_of(v->src)->badged)
		model_counts_refresh(m);   /* the badges go with the lists */
	v->gen++;
	v->error[0] = '\0';
	if (idle_search(v)) {
		view_clear(v);
		v->loading = false;
		v->loaded = v->at_end = true;
		return;
	}
	view_load(m, v, false);
}

void model_view_query(struct model *m, struct view *v, const char *text)
{
	free(v->text);
	if ((v->text = strdup(text)) == NULL)
		abort();
	model_view_refresh(m, v);
}

void model_feed_show_new(struct model *m)
{
	m->new_posts = 0;
	if (m->feed)
		model_view_refresh(m, m->feed);
	model_stories_refresh(m);
}

/* ---- posts ---- */

struct post *model_post(struct model *m, int64_t id)
{
	struct post *p = idmap_get(m->posts, id);
	return p && !p->gone ? p : NULL;
}

struct post *model_post_upsert(struct model *m, const msgpack_object *o)
{
	struct post fresh;
	parse_post(o, &fresh);
	if (fresh.id <= 0) {
		post_clear(&fresh);
		return NULL;
	}
	struct post *p = idmap_get(m->posts, fresh.id);
	if (p) {
		post_clear(p);
		*p = fresh;
		return p;
	}
	if ((p = malloc(sizeof *p)) == NULL)
		abort();
	*p = fresh;
	idmap_put(m->posts, p->id, p);
	return p;
}

void model_views_prepend(struct model *m, enum view_src src, int64_t key, void *item,
	void *(*copy)(const void *))
{
	for (size_t i = 0; i < m->n_views; i++) {
		struct view *v = m->views[i];
		if (v->src != src || (key && v->key != key) || !v->loaded)
			continue;
		if (model_view_has(v, kind_of(src)->id(item)))
			continue;
		view_insert(v, 0, copy ? copy(item) : item);
	}
}

static char *dup_or_null(const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && d == NULL)
		abort();
	return d;
}

static void *comment_copy(const void *p)
{
	const struct comment *c = p;
	struct comment *d = malloc(sizeof *d);
	if (d == NULL)
		abort();
	*d = *c;
	d->author = dup_or_null(c->author);
	d->content = dup_or_null(c->content);
	return d;
}

static void *message_copy(const void *p)
{
	const struct message *msg = p;
	struct message *d = malloc(sizeof *d);
	if (d == NULL)
		abort();
	*d = *msg;
	d->content = dup_or_null(msg->content);
	return d;
}

static void *notif_copy(const void *p)
{
	const struct notif *n = p;
	struct notif *d = malloc(sizeof *d);
	if (d == NULL)
		abort();
	*d = *n;
	d->actor = dup_or_null(n->actor);
	d->type = dup_or_null(n->type);
	d->text = dup_or_null(n->text);
	return d;
}

/* Removes a post from every list showing it. */
static void post_forget(struct model *m, int64_t id)
{
	struct post *p = idmap_get(m->posts, id);
	if (p)
		p->gone = true;
	for (size_t i = 0; i < m->n_views; i++)
		if (kind_of(m->views[i]->src)->posts)
			model_view_remove(m->views[i], id);
}

static void post_get_done(struct model *m, const struct job *j, void *ctx)
{
	const struct id_ctx *post = ctx;
	if (job_ok(j))
		model_post_upsert(m, j->reply.data);
	else if (j->rv == 0 && j->reply.code == AG_E_NOT_FOUND)
		post_forget(m, post->id);
}

void model_post_fetch(struct model *m, int64_t id)
{
	struct job *j = job_new("post.get");
	job_int(j, "post_id", id);
	model_send(m, j, post_get_done, id_ctx_new(id));
}

/* Tells the interface why j failed. */
static void note_failure(struct model *m, enum note n, const struct job *j)
{
	char why[200];
	model_failure_text(j, why, sizeof why);
	model_note(m, n, 0, 0, why);
}

static void like_done(struct model *m, const struct job *j, void *ctx)
{
	const struct id_ctx *post = ctx;
	struct post *p = model_post(m, post->id);
	if (job_ok(j) && p) {
		p->liked = ag_obj_bool(j->reply.data, "liked");
		p->like_count = ag_obj_int(j->reply.data, "like_count");
	} else if (!job_ok(j)) {
		model_post_fetch(m, post->id);
		note_failure(m, NOTE_ERROR, j);
	}
}

void model_like(struct model *m, int64_t post_id)
{
	struct post *p = model_post(m, post_id);
	if (p == NULL)
		return;
	p->liked = !p->liked;
	p->like_count += p->liked ? 1 : -1;
	if (p->like_count < 0)
		p->like_count = 0;
	struct job *j = job_new("post.like");
	job_int(j, "post_id", post_id);
	job_set_idem(j);
	model_send(m, j, like_done, id_ctx_new(post_id));
}

static void post_delete_done(struct model *m, const struct job *j, void *ctx)
{
	const struct id_ctx *post = ctx;
	if (!job_ok(j)) {
		note_failure(m, NOTE_ERROR, j);
		return;
	}
	post_forget(m, post->id);
	struct profile *me = idmap_get(m->profiles, m->me.id);
	if (me && me->post_count > 0)
		me->post_count--;
	model_note(m, NOTE_POST_DELETED, post->id, 0, "Post deleted.");
}

void model_post_delete(struct model *m, int64_t post_id)
{
	struct job *j = job_new("post.delete");
	job_int(j, "post_id", post_id);
	job_set_idem(j);
	model_send(m, j, post_delete_done, id_ctx_new(post_id));
}

static void post_create_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j)) {
		note_failure(m, NOTE_COMPOSE_FAILED, j);
		return;
	}
	struct post *p = model_post_upsert(m, j->reply.data);
	if (p == NULL)
		return;
	model_views_prepend(m, SRC_FEED, 0, p, NULL);
	model_views_prepend(m, SRC_USER_POSTS, m->me.id, p, NULL);
	struct profile *me = idmap_get(m->profiles, m->me.id);
	if (me)
		me->post_count++;
	model_draft_save(m, "compose", NULL);
	model_note(m, NOTE_POST_CREATED, p->id, 0, "Posted.");
}

static void story_create_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j)) {
		note_failure(m, NOTE_COMPOSE_FAILED, j);
		return;
	}
	model_stories_refresh(m);
	model_draft_save(m, "compose", NULL);
	model_note(m, NOTE_STORY_CREATED, 0, 0, "Your story is up for 24 hours.");
}

/* A post or a story: blank fields (and media_id 0) are left out. */
static struct job *creation(const char *op, const char *content, const char *image_url,
	int64_t media_id)
{
	struct job *j = job_new(op);
	if (content && content[0])
		job_str(j, "content", content);
	if (image_url && image_url[0])
		job_str(j, "image_url", image_url);
	if (media_id > 0)
		job_int(j, "media_id", media_id);
	job_set_idem(j);
	return j;
}

void model_post_create(struct model *m, const char *content, const char *image_url,
	int64_t media_id)
{
	model_send(m, creation("post.create", content, image_url, media_id), post_create_done,
		NULL);
}

void model_story_create(struct model *m, const char *content, const char *image_url,
	int64_t media_id)
{
	model_send(m, creation("story.create", content, image_url, media_id), story_create_done,
		NULL);
}

/* ---- the outbox: messages and comments until the server has them ---- */

static void comment_done(struct model *m, const struct job *j, void *ctx);
static void message_done(struct model *m, const struct job *j, void *ctx);

/* What a send of an outgoing message or comment remembers. */
struct outgoing_ctx {
	int64_t outgoing_id;   /* struct outgoing's id */
	int64_t target;        /* the post, or the other user */
};

static void outgoing_submit(struct model *m, struct outgoing *o)
{
	struct job *j = job_new(o->comment ? "comment.create" : "message.send");
	job_int(j, o->comment ? "post_id" : "receiver_id", o->target);
	job_str(j, "content", o->content);
	memcpy(j->idem, o->idem, sizeof j->idem);
	struct outgoing_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	*c = (struct outgoing_ctx){o->id, o->target};
	o->in_flight = true;
	model_send(m, j, o->comment ? comment_done : message_done, c);
}

/* Queues content for target; a failed one with the same text is sent
 * again with its first key. */
static void outbox_add(struct model *m, bool comment, int64_t target, const char *content)
{
	for (size_t i = 0; i < m->n_outbox; i++) {
		struct outgoing *o = m->outbox[i];
		if (o->failed && o->comment == comment && o->target == target &&
		    strcmp(o->content, content) == 0) {
			model_outbox_retry(m, comment, target);
			return;
		}
	}
	struct outgoing *o = calloc(1, sizeof *o);
	if (o == NULL || (o->content = strdup(content)) == NULL)
		abort();
	o->id = ++m->next_outgoing_id;
	o->comment = comment;
	o->target = target;
	o->first_ms = ag_mono_ms();
	idem_new(o->idem);   /* kept for every re-send */
	struct outgoing **grown = realloc(m->outbox, (m->n_outbox + 1) * sizeof *grown);
	if (grown == NULL)
		abort();
	m->outbox = grown;
	m->outbox[m->n_outbox++] = o;
	if (m->conn != CONN_OFFLINE)
		outgoing_submit(m, o);
}

static struct outgoing *outbox_find(struct model *m, int64_t id, size_t *at)
{
	for (size_t i = 0; i < m->n_outbox; i++)
		if (m->outbox[i]->id == id) {
			*at = i;
			return m->outbox[i];
		}
	return NULL;
}

static void outbox_remove(struct model *m, size_t at)
{
	free(m->outbox[at]->content);
	free(m->outbox[at]);
	memmove(m->outbox + at, m->outbox + at + 1, (m->n_outbox - at - 1) * sizeof *m->outbox);
	m->n_outbox--;
}

void model_outbox_free(struct model *m)
{
	while (m->n_outbox)
		outbox_remove(m, m->n_outbox - 1);
	free(m->outbox);
	m->outbox = NULL;
}

static void outgoing_fail(struct model *m, struct outgoing *o, const char *why)
{
	o->failed = true;
	o->in_flight = false;
	snprintf(o->why, sizeof o->why, "%s", why);
	model_note(m, o->comment ? NOTE_COMMENT_FAILED : NOTE_MESSAGE_FAILED, o->target, 0, why);
}

/* Gives o up after m->give_up_ms without the server. */
static void outgoing_give_up(struct model *m, struct outgoing *o)
{
	char why[sizeof o->why];
	int64_t s = m->give_up_ms / 1000;
	if (s % 60 == 0)
		snprintf(why, sizeof why, "Not sent: server unreachable for %lld min; Enter to retry.",
			(long long)(s / 60));
	else
		snprintf(why, sizeof why, "Not sent: server unreachable for %lld s; Enter to retry.",
			(long long)s);
	outgoing_fail(m, o, why);
}

void model_outbox_retry(struct model *m, bool comment, int64_t target)
{
	int64_t now = ag_mono_ms();
	for (size_t i = 0; i < m->n_outbox; i++) {
		struct outgoing *o = m->outbox[i];
		if (!o->failed || o->comment != comment || o->target != target)
			continue;
		o->failed = false;
		o->why[0] = '\0';
		o->first_ms = now;
		if (m->conn != CONN_OFFLINE)
			outgoing_submit(m, o);
	}
}

int model_outbox_tick(struct model *m, int64_t now)
{
	int64_t next = -1;
	for (size_t i = 0; i < m->n_outbox; i++) {
		struct outgoing *o = m->outbox[i];
		if (o->failed || o->in_flight)
			continue;
		if (now - o->first_ms >= m->give_up_ms) {
			outgoing_give_up(m, o);
			continue;
		}
		if (m->conn == CONN_ONLINE) {
			outgoing_submit(m, o);
			continue;
		}
		int64_t in = o->first_ms + m->give_up_ms - now;
		if (next < 0 || in < next)
			next = in;
	}
	return next < 0 ? -1 : next > INT32_MAX ? INT32_MAX : (int)next;
}

/* A reply for an outgoing message or comment: true when it is settled
 * (sent, or failed for good), false while it waits for the server. */
static bool outgoing_reply(struct model *m, const struct job *j, int64_t outgoing_id)
{
	size_t at;
	struct outgoing *o = outbox_find(m, outgoing_id, &at);
	bool ok = job_ok(j);
	if (o == NULL)
		return true;
	o->in_flight = false;
	if (ok) {
		/* Its draft is done with, unless something new was typed since. */
		char key[40];
		snprintf(key, sizeof key, "%s-%lld", o->comment ? "comment" : "dm", (long long)o->target);
		const char *draft = model_draft(m, key);
		if (draft && strcmp(draft, o->content) == 0)
			model_draft_save(m, key, NULL);
		outbox_remove(m, at);
		return true;
	}
	if (j->rv == 0) {
		char why[sizeof o->why];
		model_failure_text(j, why, sizeof why);
		outgoing_fail(m, o, why);   /* the server refused it: re-sending will not help */
		return true;
	}
	if (ag_mono_ms() - o->first_ms >= m->give_up_ms) {
		outgoing_give_up(m, o);
		return true;
	}
	return false;   /* sent again when the server answers */
}

static void comment_done(struct model *m, const struct job *j, void *ctx)
{
	const struct outgoing_ctx *oc = ctx;
	if (!outgoing_reply(m, j, oc->outgoing_id) || !job_ok(j))
		return;   /* waiting for the server, or failed and already said */
	struct comment c;
	parse_comment(j->reply.data, &c);
	model_views_prepend(m, SRC_COMMENTS, oc->target, &c, comment_copy);
	free(c.author);
	free(c.content);
	struct post *p = model_post(m, oc->target);
	if (p)
		p->comment_count++;
	model_note(m, NOTE_COMMENT_SENT, oc->target, 0, NULL);
}

void model_comment(struct model *m, int64_t post_id, const char *content)
{
	outbox_add(m, true, post_id, content);
}

struct comment_delete_ctx {
	int64_t post_id, comment_id;
};

static void comment_delete_done(struct model *m, const struct job *j, void *ctx)
{
	const struct comment_delete_ctx *c = ctx;
	if (!job_ok(j)) {
		note_failure(m, NOTE_ERROR, j);
		return;
	}
	for (size_t i = 0; i < m->n_views; i++)
		if (m->views[i]->src == SRC_COMMENTS && m->views[i]->key == c->post_id)
			model_view_remove(m->views[i], c->comment_id);
	struct post *p = model_post(m, c->post_id);
	if (p && p->comment_count > 0)
		p->comment_count--;
	model_note(m, NOTE_INFO, 0, 0, "Comment deleted.");
}

void model_comment_delete(struct model *m, int64_t post_id, int64_t comment_id)
{
	struct job *j = job_new("comment.delete");
	job_int(j, "comment_id", comment_id);
	struct comment_delete_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	*c = (struct comment_delete_ctx){post_id, comment_id};
	model_send(m, j, comment_delete_done, c);
}

/* ---- profiles ---- */

struct profile *model_profile(struct model *m, int64_t user_id)
{
	struct profile *p = idmap_get(m->profiles, user_id);
	if (p == NULL) {
		if ((p = calloc(1, sizeof *p)) == NULL)
			abort();
		p->u.id = user_id;
		idmap_put(m->profiles, user_id, p);
		model_profile_fetch(m, user_id);
	}
	return p;
}

static struct profile *profile_upsert(struct model *m, const msgpack_object *o);

static void profile_done(struct model *m, const struct job *j, void *ctx)
{
	const struct id_ctx *user = ctx;
	struct profile *p = NULL;
	if (job_ok(j))
		p = profile_upsert(m, j->reply.data);
	else if ((p = idmap_get(m->profiles, user->id)) != NULL)
		model_failure_text(j, p->error, sizeof p->error);
	if (p)
		p->loading = false;
}

void model_profile_fetch(struct model *m, int64_t user_id)
{
	struct profile *p = idmap_get(m->profiles, user_id);
	if (p)
		p->loading = true;
	struct job *j = job_new("user.get");
	job_int(j, "user_id", user_id);
	model_send(m, j, profile_done, id_ctx_new(user_id));
}

void model_refresh_profiles(struct model *m)
{
	size_t pos = 0;
	int64_t id;
	while ((id = idmap_next(m->profiles, &pos, NULL)) != 0)
		model_profile_fetch(m, id);
}

struct lookup_ctx {
	enum lookup_purpose why;
};

static void lookup_done(struct model *m, const struct job *j, void *ctx)
{
	const struct lookup_ctx *c = ctx;
	struct profile *p = job_ok(j) ? profile_upsert(m, j->reply.data) : NULL;
	if (p) {
		model_note(m, NOTE_USER_FOUND, p->u.id, c->why, NULL);
		return;
	}
	char why[200] = "No such user.";
	if (!job_ok(j))
		model_failure_text(j, why, sizeof why);
	model_note(m, NOTE_USER_MISSING, 0, c->why, why);
}

void model_lookup(struct model *m, const char *username, enum lookup_purpose why)
{
	while (*username == '@')
		username++;
	struct job *j = job_new("user.get");
	job_str(j, "username", username);
	struct lookup_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	c->why = why;
	model_send(m, j, lookup_done, c);
}

static struct profile *profile_upsert(struct model *m, const msgpack_object *o)
{
	struct profile fresh;
	parse_profile(o, &fresh);
	if (fresh.u.id <= 0) {
		user_clear(&fresh.u);
		return NULL;
	}
	struct profile *p = idmap_get(m->profiles, fresh.u.id);
	if (p == NULL) {
		if ((p = malloc(sizeof *p)) == NULL)
			abort();
		idmap_put(m->profiles, fresh.u.id, p);
	} else {
		user_clear(&p->u);
	}
	*p = fresh;
	return p;
}

struct follow_ctx {
	int64_t user_id;
	bool follow;
};

static void follow_done(struct model *m, const struct job *j, void *ctx)
{
	const struct follow_ctx *c = ctx;
	model_profile_fetch(m, c->user_id);
	if (idmap_get(m->profiles, m->me.id))
		model_profile_fetch(m, m->me.id);
	if (!job_ok(j)) {
		note_failure(m, NOTE_ERROR, j);
		return;
	}
	struct profile *p = idmap_get(m->profiles, c->user_id);
	char msg[120];
	snprintf(msg, sizeof msg, "%s @%s.", c->follow ? "Following" : "Unfollowed",
		p && p->u.username ? p->u.username : "them");
	model_note(m, NOTE_INFO, 0, 0, msg);
	model_feed_show_new(m);
}

void model_follow(struct model *m, int64_t user_id, bool follow)
{
	struct profile *p = idmap_get(m->profiles, user_id);
	if (p && p->is_following != follow) {
		p->is_following = follow;
		p->follower_count += follow ? 1 : -1;
	}
	struct job *j = job_new(follow ? "follow.create" : "follow.delete");
	job_int(j, "user_id", user_id);
	if (follow)
		job_set_idem(j);
	struct follow_ctx *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	*c = (struct follow_ctx){user_id, follow};
	model_send(m, j, follow_done, c);
}

static void profile_update_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j)) {
		note_failure(m, NOTE_PROFILE_FAILED, j);
		return;
	}
	user_clear(&m->me);
	parse_user(j->reply.data, &m->me);
	model_profile_fetch(m, m->me.id);
	model_note(m, NOTE_PROFILE_SAVED, 0, 0, "Profile saved.");
}

void model_profile_update(struct model *m, const char *full_name, const char *bio,
	const char *image_url)
{
	struct job *j = job_new("user.update");
	job_str(j, "full_name", full_name);
	job_str(j, "bio", bio);
	job_str(j, "profile_image_url", image_url);
	model_send(m, j, profile_update_done, NULL);
}

/* ---- messages and notifications ---- */

/* The conversation with other in the list, or NULL. */
static struct convo *convo_find(struct model *m, int64_t other, size_t *at)
{
	for (size_t i = 0; m->convos && i < m->convos->n; i++) {
		struct convo *c = m->convos->items[i];
		if (c->other_id == other) {
			if (at)
				*at = i;
			return c;
		}
	}
	return NULL;
}

/* Moves a new message into its conversation, which goes to the top. */
static void convo_update(struct model *m, const struct message *msg, int64_t other, bool unread)
{
	size_t at;
	struct convo *c = convo_find(m, other, &at);
	if (c == NULL) {
		if (m->convos)
			model_view_refresh(m, m->convos);
		return;
	}
	if (c->last.id == msg->id)
		return;
	message_clear(&c->last);
	c->last = *msg;
	c->last.content = dup_or_null(msg->content);
	if (unread)
		c->unread++;
	memmove(m->convos->items + 1, m->convos->items, at * sizeof *m->convos->items);
	m->convos->items[0] = c;
}

static void message_done(struct model *m, const struct job *j, void *ctx)
{
	const struct outgoing_ctx *oc = ctx;
	if (!outgoing_reply(m, j, oc->outgoing_id) || !job_ok(j))
		return;
	struct message msg;
	parse_message(j->reply.data, &msg);
	model_views_prepend(m, SRC_THREAD, oc->target, &msg, message_copy);
	convo_update(m, &msg, oc->target, false);
	message_clear(&msg);
	model_note(m, NOTE_MESSAGE_SENT, oc->target, 0, NULL);
}

void model_message_send(struct model *m, int64_t user_id, const char *content)
{
	outbox_add(m, false, user_id, content);
}

/* Marking read changes what is unread: the server says how much is left. */
static void marked_read_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (job_ok(j))
		model_counts_refresh(m);
}

static void thread_mark_read(struct model *m, int64_t user_id)
{
	struct job *j = job_new("message.mark_read");
	job_int(j, "user_id", user_id);
	model_send(m, j, marked_read_done, NULL);
}

void model_thread_open(struct model *m, int64_t user_id)
{
	m->open_thread = user_id;
	if (user_id == 0)
		return;
	struct convo *c = convo_find(m, user_id, NULL);
	if (c) {
		m->unread_msgs -= c->unread;
		if (m->unread_msgs < 0)
			m->unread_msgs = 0;
		c->unread = 0;
	}
	thread_mark_read(m, user_id);
	/* Their message notifications have done their job too. */
	for (size_t i = 0; m->notifs && i < m->notifs->n; i++) {
		struct notif *n = m->notifs->items[i];
		if (!n->is_read && n->actor_id == user_id && strcmp(n->type, "message") == 0)
			model_notif_read(m, n);
	}
}

/* Tells the interface "@name: text" about a message from sender. */
static void message_note(struct model *m, int64_t sender, const char *name, const char *content)
{
	char text[300];
	snprintf(text, sizeof text, "@%s: %s", name, content ? content : "");
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	model_note(m, NOTE_PUSH, sender, 1, text);
}

/* A first message from someone, waiting for their name. */
struct sender_ctx {
	int64_t sender_id;
	char *content;
};

static void sender_ctx_free(void *p)
{
	struct sender_ctx *c = p;
	free(c->content);
	free(c);
}

static void sender_done(struct model *m, const struct job *j, void *ctx)
{
	const struct sender_ctx *c = ctx;
	struct profile *p = job_ok(j) ? profile_upsert(m, j->reply.data) : NULL;
	message_note(m, c->sender_id, p && p->u.username ? p->u.username : "someone", c->content);
}

void model_message_arrived(struct model *m, const struct message *msg)
{
	bool mine = msg->sender_id == m->me.id;
	int64_t other = mine ? msg->receiver_id : msg->sender_id;
	bool on_screen = m->open_thread == other;
	model_views_prepend(m, SRC_THREAD, other, (void *)msg, message_copy);
	convo_update(m, msg, other, !mine && !on_screen);
	if (mine)
		return;
	if (on_screen) {
		thread_mark_read(m, other);
		return;
	}
	m->unread_msgs++;
	struct convo *c = convo_find(m, other, NULL);
	struct profile *p = idmap_get(m->profiles, other);
	const char *name = c ? c->other : p && p->u.username ? p->u.username : NULL;
	if (name) {
		message_note(m, other, name, msg->content);
		return;
	}
	/* A first message: a message carries no name, so ask who sent it. */
	struct job *j = job_new("user.get");
	job_int(j, "user_id", other);
	struct sender_ctx *sc = malloc(sizeof *sc);
	if (sc == NULL)
		abort();
	sc->sender_id = other;
	sc->content = dup_or_null(msg->content ? msg->content : "");
	j->ctx_free = sender_ctx_free;
	model_send(m, j, sender_done, sc);
}

void model_notif_arrived(struct model *m, const struct notif *n)
{
	if (m->notifs)
		model_views_prepend(m, SRC_NOTIFS, 0, (void *)n, notif_copy);
	if (!n->is_read)
		m->unread_notifs++;
	/* A message in the thread on screen has been seen already. */
	if (strcmp(n->type, "message") == 0 && n->actor_id == m->open_thread && m->notifs) {
		for (size_t i = 0; i < m->notifs->n; i++)
			if (((struct notif *)m->notifs->items[i])->id == n->id)
				model_notif_read(m, m->notifs->items[i]);
	}
	if (strcmp(n->type, "comment") == 0) {
		for (size_t i = 0; i < m->n_views; i++)
			if (m->views[i]->src == SRC_COMMENTS && m->views[i]->key == n->ref_id)
				model_view_refresh(m, m->views[i]);
	}
	if ((strcmp(n->type, "comment") == 0 || strcmp(n->type, "like") == 0) &&
	    idmap_get(m->posts, n->ref_id))
		model_post_fetch(m, n->ref_id);
	if (strcmp(n->type, "follow") == 0 && idmap_get(m->profiles, m->me.id))
		model_profile_fetch(m, m->me.id);
}

static void notif_read_done(struct model *m, const struct job *j, void *ctx)
{
	(void)ctx;
	if (!job_ok(j))
		note_failure(m, NOTE_ERROR, j);
}

void model_notif_read(struct model *m, struct notif *n)
{
	if (n->is_read)
		return;
	n->is_read = true;
	if (m->unread_notifs > 0)
		m->unread_notifs--;
	struct job *j = job_new("notification.mark_read");
	job_int(j, "notification_id", n->id);
	model_send(m, j, notif_read_done, NULL);
}

void model_notifs_all_read(struct model *m)
{
	for (size_t i = 0; m->notifs && i < m->notifs->n; i++)
		((struct notif *)m->notifs->items[i])->is_read = true;
	m->unread_notifs = 0;
	model_send(m, job_new("notification.mark_all_read"), marked_read_done, NULL);
}
