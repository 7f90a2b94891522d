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

static bool holds_posts(enum view_src src)
{
	return src == SRC_FEED || src == SRC_USER_POSTS || src == SRC_TAG_POSTS;
}

static void item_free(enum view_src src, void *item)
{
	switch (src) {
	case SRC_FEED:
	case SRC_USER_POSTS:
	case SRC_TAG_POSTS:
		break;   /* the post cache owns posts */
	case SRC_COMMENTS:
		comment_free(item);
		break;
	case SRC_FOLLOWERS:
	case SRC_FOLLOWING:
	case SRC_SEARCH_USERS:
		user_free(item);
		break;
	case SRC_SEARCH_TAGS:
		tag_free(item);
		break;
	case SRC_THREAD:
		message_free(item);
		break;
	case SRC_NOTIFS:
		notif_free(item);
		break;
	case SRC_CONVOS:
		convo_free(item);
		break;
	}
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

static int64_t item_id(enum view_src src, const void *it)
{
	switch (src) {
	case SRC_FEED:
	case SRC_USER_POSTS:
	case SRC_TAG_POSTS:
		return ((const struct post *)it)->id;
	case SRC_COMMENTS:
		return ((const struct comment *)it)->id;
	case SRC_FOLLOWERS:
	case SRC_FOLLOWING:
	case SRC_SEARCH_USERS:
		return ((const struct user *)it)->id;
	case SRC_SEARCH_TAGS:
		return ((const struct tag *)it)->id;
	case SRC_THREAD:
		return ((const struct message *)it)->id;
	case SRC_NOTIFS:
		return ((const struct notif *)it)->id;
	case SRC_CONVOS:
		return ((const struct convo *)it)->other_id;
	}
	return 0;
}

int64_t model_item_id(const struct view *v, size_t i)
{
	return item_id(v->src, v->items[i]);
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

static int page_size(enum view_src src)
{
	return holds_posts(src) || src == SRC_SEARCH_USERS || src == SRC_SEARCH_TAGS
		? PAGE_POSTS : PAGE_LONG;
}

/* Asks for the first page (more = false) or the next older one. */
static void view_load(struct model *m, struct view *v, bool more)
{
	int64_t limit = page_size(v->src);
	int64_t before = more && v->n ? model_item_id(v, v->n - 1) : 0;
	int64_t offset = more ? (int64_t)v->n : 0;
	struct job *j;
	switch (v->src) {
	case SRC_FEED:
		j = before ? job_new("feed.get", "limit:i before_id:i", limit, before)
			: job_new("feed.get", "limit:i", limit);
		break;
	case SRC_USER_POSTS:
		j = before ? job_new("user.posts", "user_id:i limit:i before_id:i", v->key, limit, before)
			: job_new("user.posts", "user_id:i limit:i", v->key, limit);
		break;
	case SRC_TAG_POSTS:
		j = job_new("search.posts_by_hashtag", "tag:s limit:i offset:i", v->text, limit, offset);
		break;
	case SRC_COMMENTS:
		j = before ? job_new("post.comments", "post_id:i limit:i before_id:i", v->key, limit, before)
			: job_new("post.comments", "post_id:i limit:i", v->key, limit);
		break;
	case SRC_FOLLOWERS:
		j = job_new("user.followers", "user_id:i limit:i offset:i", v->key, limit, offset);
		break;
	case SRC_FOLLOWING:
		j = job_new("user.following", "user_id:i limit:i offset:i", v->key, limit, offset);
		break;
	case SRC_SEARCH_USERS:
		j = job_new("search.users", "q:s limit:i", v->text, limit);
		break;
	case SRC_SEARCH_TAGS:
		j = job_new("search.hashtags", "q:s limit:i", v->text, limit);
		break;
	case SRC_THREAD:
		j = before ? job_new("message.thread", "user_id:i limit:i before_id:i", v->key, limit, before)
			: job_new("message.thread", "user_id:i limit:i", v->key, limit);
		break;
	case SRC_NOTIFS:
		j = before ? job_new("notification.list", "limit:i before_id:i", limit, before)
			: job_new("notification.list", "limit:i", limit);
		break;
	case SRC_CONVOS:
	default:
		j = job_new("message.conversations", NULL);
		break;
	}
	j->handle = v->handle;
	j->gen = v->gen;
	j->a = more;
	j->b = limit;
	v->loading = true;
	model_submit(m, j, R_VIEW_PAGE);
}

/* A search view with no query shows nothing and asks nothing. */
static bool idle_search(const struct view *v)
{
	return (v->src == SRC_SEARCH_USERS || v->src == SRC_SEARCH_TAGS || v->src == SRC_TAG_POSTS) &&
		(v->text == NULL || v->text[0] == '\0');
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
	if (v->src == SRC_NOTIFS || v->src == SRC_CONVOS || v->src == SRC_THREAD)
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

/* Parses one list element for v (a post goes to the cache). */
static void *parse_item(struct model *m, const struct view *v, const msgpack_object *o)
{
	void *item;
	switch (v->src) {
	case SRC_FEED:
	case SRC_USER_POSTS:
	case SRC_TAG_POSTS:
		return model_post_upsert(m, o);
	case SRC_COMMENTS:
		item = malloc(sizeof(struct comment));
		if (item)
			parse_comment(o, item);
		break;
	case SRC_FOLLOWERS:
	case SRC_FOLLOWING:
	case SRC_SEARCH_USERS:
		item = malloc(sizeof(struct user));
		if (item)
			parse_user(o, item);
		break;
	case SRC_SEARCH_TAGS:
		item = malloc(sizeof(struct tag));
		if (item)
			parse_tag(o, item);
		break;
	case SRC_THREAD:
		item = malloc(sizeof(struct message));
		if (item)
			parse_message(o, item);
		break;
	case SRC_NOTIFS:
		item = malloc(sizeof(struct notif));
		if (item)
			parse_notif(o, item);
		break;
	case SRC_CONVOS:
	default:
		item = malloc(sizeof(struct convo));
		if (item)
			parse_convo(o, item);
		break;
	}
	if (item == NULL)
		abort();
	return item;
}

static void apply_page(struct model *m, struct job *j)
{
	struct view *v = model_view_find(m, j->handle);
	if (v == NULL || j->gen != v->gen)
		return;    /* closed, or a refresh has replaced this request */
	v->loading = false;
	if (j->rv != 0 || !j->reply.ok) {
		model_failure_text(j, v->error, sizeof v->error);
		return;
	}
	v->error[0] = '\0';
	bool more = j->a;
	if (!more)
		view_clear(v);
	const msgpack_object *data = j->reply.data;
	size_t n = ag_obj_len(data);
	for (size_t i = 0; i < n; i++) {
		void *item = parse_item(m, v, ag_obj_at(data, i));
		if (item == NULL)
			continue;
		/* Pages by offset can overlap when new items arrived meanwhile. */
		if (more && model_view_has(v, item_id(v->src, item)))
			item_free(v->src, item);
		else
			view_insert(v, v->n, item);
	}
	v->loaded = true;
	v->at_end = (int64_t)n < j->b || v->src == SRC_CONVOS ||
		v->src == SRC_SEARCH_USERS || v->src == SRC_SEARCH_TAGS;
	if (v == m->feed && !more)
		m->new_posts = 0;
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
		if (model_view_has(v, item_id(src, item)))
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
		if (holds_posts(m->views[i]->src))
			model_view_remove(m->views[i], id);
}

void model_post_fetch(struct model *m, int64_t id)
{
	struct job *j = job_new("post.get", "post_id:i", id);
	j->a = id;
	model_submit(m, j, R_POST_GET);
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
	struct job *j = job_new("post.like", "post_id:i", post_id);
	job_set_idem(j);
	j->a = post_id;
	model_submit(m, j, R_LIKE);
}

void model_post_delete(struct model *m, int64_t post_id)
{
	struct job *j = job_new("post.delete", "post_id:i", post_id);
	job_set_idem(j);
	j->a = post_id;
	model_submit(m, j, R_POST_DELETE);
}

void model_post_create(struct model *m, const char *content, const char *image_url)
{
	struct job *j = job_new("post.create", "content:s image_url:s",
		content && content[0] ? content : NULL, image_url && image_url[0] ? image_url : NULL);
	job_set_idem(j);
	model_submit(m, j, R_POST_CREATE);
}

void model_story_create(struct model *m, const char *content, const char *image_url)
{
	struct job *j = job_new("story.create", "content:s image_url:s",
		content && content[0] ? content : NULL, image_url && image_url[0] ? image_url : NULL);
	job_set_idem(j);
	model_submit(m, j, R_STORY_CREATE);
}

/* ---- the outbox: messages and comments until the server has them ---- */

static void outgoing_submit(struct model *m, struct outgoing *o)
{
	struct job *j = o->comment
		? job_new("comment.create", "post_id:i content:s", o->target, o->content)
		: job_new("message.send", "receiver_id:i content:s", o->target, o->content);
	memcpy(j->idem, o->idem, sizeof j->idem);
	j->a = o->target;
	j->b = o->id;
	o->in_flight = true;
	model_submit(m, j, o->comment ? R_COMMENT : R_MESSAGE_SEND);
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

#define GAVE_UP "Not sent: server unreachable for 2 min; Enter to retry."

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
		if (now - o->first_ms >= OUTBOX_GIVE_UP_MS) {
			outgoing_fail(m, o, GAVE_UP);
			continue;
		}
		if (m->conn == CONN_ONLINE) {
			outgoing_submit(m, o);
			continue;
		}
		int64_t in = o->first_ms + OUTBOX_GIVE_UP_MS - now;
		if (next < 0 || in < next)
			next = in;
	}
	return next < 0 ? -1 : next > INT32_MAX ? INT32_MAX : (int)next;
}

/* A reply for an outgoing message or comment: true when it is settled
 * (sent, or failed for good), false while it waits for the server. */
static bool outgoing_reply(struct model *m, const struct job *j, bool ok, const char *why)
{
	size_t at;
	struct outgoing *o = outbox_find(m, j->b, &at);
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
		outgoing_fail(m, o, why);   /* the server refused it: re-sending will not help */
		return true;
	}
	if (ag_mono_ms() - o->first_ms >= OUTBOX_GIVE_UP_MS) {
		outgoing_fail(m, o, GAVE_UP);
		return true;
	}
	return false;   /* sent again when the server answers */
}

void model_comment(struct model *m, int64_t post_id, const char *content)
{
	outbox_add(m, true, post_id, content);
}

void model_comment_delete(struct model *m, int64_t post_id, int64_t comment_id)
{
	struct job *j = job_new("comment.delete", "comment_id:i", comment_id);
	j->a = post_id;
	j->b = comment_id;
	model_submit(m, j, R_COMMENT_DELETE);
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

void model_profile_fetch(struct model *m, int64_t user_id)
{
	struct profile *p = idmap_get(m->profiles, user_id);
	if (p)
		p->loading = true;
	struct job *j = job_new("user.get", "user_id:i", user_id);
	j->a = user_id;
	model_submit(m, j, R_PROFILE);
}

void model_refresh_profiles(struct model *m)
{
	size_t pos = 0;
	int64_t id;
	while ((id = idmap_next(m->profiles, &pos, NULL)) != 0)
		model_profile_fetch(m, id);
}

void model_lookup(struct model *m, const char *username, enum lookup_purpose why)
{
	while (*username == '@')
		username++;
	struct job *j = job_new("user.get", "username:s", username);
	j->b = why;
	model_submit(m, j, R_LOOKUP);
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

void model_follow(struct model *m, int64_t user_id, bool follow)
{
	struct profile *p = idmap_get(m->profiles, user_id);
	if (p && p->is_following != follow) {
		p->is_following = follow;
		p->follower_count += follow ? 1 : -1;
	}
	struct job *j = follow ? job_new("follow.create", "user_id:i", user_id)
		: job_new("follow.delete", "user_id:i", user_id);
	if (follow)
		job_set_idem(j);
	j->a = user_id;
	j->b = follow;
	model_submit(m, j, R_FOLLOW);
}

void model_profile_update(struct model *m, const char *full_name, const char *bio,
	const char *image_url)
{
	struct job *j = job_new("user.update", "full_name:s bio:s profile_image_url:s",
		full_name, bio, image_url);
	model_submit(m, j, R_PROFILE_UPDATE);
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

void model_message_send(struct model *m, int64_t user_id, const char *content)
{
	outbox_add(m, false, user_id, content);
}

static void thread_mark_read(struct model *m, int64_t user_id)
{
	struct job *j = job_new("message.mark_read", "user_id:i", user_id);
	j->a = user_id;
	model_submit(m, j, R_THREAD_READ);
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
	struct job *j = job_new("user.get", "user_id:i", other);
	j->a = other;
	j->text = dup_or_null(msg->content ? msg->content : "");
	model_submit(m, j, R_SENDER);
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

void model_notif_read(struct model *m, struct notif *n)
{
	if (n->is_read)
		return;
	n->is_read = true;
	if (m->unread_notifs > 0)
		m->unread_notifs--;
	struct job *j = job_new("notification.mark_read", "notification_id:i", n->id);
	j->a = n->id;
	model_submit(m, j, R_NOTIF_READ);
}

void model_notifs_all_read(struct model *m)
{
	for (size_t i = 0; m->notifs && i < m->notifs->n; i++)
		((struct notif *)m->notifs->items[i])->is_read = true;
	m->unread_notifs = 0;
	model_submit(m, job_new("notification.mark_all_read", NULL), R_NOTIFS_ALL_READ);
}

/* ---- replies ---- */

void model_apply_data(struct model *m, struct job *j)
{
	const msgpack_object *data = j->reply.data;
	bool ok = j->rv == 0 && j->reply.ok;
	char why[200] = "";
	if (!ok)
		model_failure_text(j, why, sizeof why);
	switch (j->kind) {
	case R_VIEW_PAGE:
		apply_page(m, j);
		break;
	case R_POST_GET:
		if (ok)
			model_post_upsert(m, data);
		else if (j->rv == 0 && j->reply.code == AG_E_NOT_FOUND)
			post_forget(m, j->a);
		break;
	case R_LIKE: {
		struct post *p = model_post(m, j->a);
		if (ok && p) {
			p->liked = ag_obj_bool(data, "liked");
			p->like_count = ag_obj_int(data, "like_count");
		} else if (!ok) {
			model_post_fetch(m, j->a);
			model_note(m, NOTE_ERROR, 0, 0, why);
		}
		break;
	}
	case R_POST_DELETE:
		if (ok) {
			post_forget(m, j->a);
			struct profile *me = idmap_get(m->profiles, m->me.id);
			if (me && me->post_count > 0)
				me->post_count--;
			model_note(m, NOTE_POST_DELETED, j->a, 0, "Post deleted.");
		} else {
			model_note(m, NOTE_ERROR, 0, 0, why);
		}
		break;
	case R_POST_CREATE:
		if (ok) {
			struct post *p = model_post_upsert(m, data);
			if (p == NULL)
				break;
			model_views_prepend(m, SRC_FEED, 0, p, NULL);
			model_views_prepend(m, SRC_USER_POSTS, m->me.id, p, NULL);
			struct profile *me = idmap_get(m->profiles, m->me.id);
			if (me)
				me->post_count++;
			model_draft_save(m, "compose", NULL);
			model_note(m, NOTE_POST_CREATED, p->id, 0, "Posted.");
		} else {
			model_note(m, NOTE_COMPOSE_FAILED, 0, 0, why);
		}
		break;
	case R_STORY_CREATE:
		if (ok) {
			model_stories_refresh(m);
			model_draft_save(m, "compose", NULL);
			model_note(m, NOTE_STORY_CREATED, 0, 0, "Your story is up for 24 hours.");
		} else {
			model_note(m, NOTE_COMPOSE_FAILED, 0, 0, why);
		}
		break;
	case R_COMMENT: {
		if (!outgoing_reply(m, j, ok, why) || !ok)
			break;   /* waiting for the server, or failed and already said */
		struct comment c;
		parse_comment(data, &c);
		model_views_prepend(m, SRC_COMMENTS, j->a, &c, comment_copy);
		free(c.author);
		free(c.content);
		struct post *p = model_post(m, j->a);
		if (p)
			p->comment_count++;
		model_note(m, NOTE_COMMENT_SENT, j->a, 0, NULL);
		break;
	}
	case R_COMMENT_DELETE:
		if (ok) {
			for (size_t i = 0; i < m->n_views; i++)
				if (m->views[i]->src == SRC_COMMENTS && m->views[i]->key == j->a)
					model_view_remove(m->views[i], j->b);
			struct post *p = model_post(m, j->a);
			if (p && p->comment_count > 0)
				p->comment_count--;
			model_note(m, NOTE_INFO, 0, 0, "Comment deleted.");
		} else {
			model_note(m, NOTE_ERROR, 0, 0, why);
		}
		break;
	case R_PROFILE: {
		struct profile *p = NULL;
		if (ok)
			p = profile_upsert(m, data);
		else if ((p = idmap_get(m->profiles, j->a)) != NULL)
			snprintf(p->error, sizeof p->error, "%s", why);
		if (p)
			p->loading = false;
		break;
	}
	case R_SENDER: {
		struct profile *p = ok ? profile_upsert(m, data) : NULL;
		message_note(m, j->a, p && p->u.username ? p->u.username : "someone", j->text);
		break;
	}
	case R_LOOKUP: {
		struct profile *p = ok ? profile_upsert(m, data) : NULL;
		if (p)
			model_note(m, NOTE_USER_FOUND, p->u.id, j->b, NULL);
		else
			model_note(m, NOTE_USER_MISSING, 0, j->b, ok ? "No such user." : why);
		break;
	}
	case R_FOLLOW:
		model_profile_fetch(m, j->a);
		if (idmap_get(m->profiles, m->me.id))
			model_profile_fetch(m, m->me.id);
		if (ok) {
			struct profile *p = idmap_get(m->profiles, j->a);
			char msg[120];
			snprintf(msg, sizeof msg, "%s @%s.", j->b ? "Following" : "Unfollowed",
				p && p->u.username ? p->u.username : "them");
			model_note(m, NOTE_INFO, 0, 0, msg);
			model_feed_show_new(m);
		} else {
			model_note(m, NOTE_ERROR, 0, 0, why);
		}
		break;
	case R_PROFILE_UPDATE:
		if (ok) {
			user_clear(&m->me);
			parse_user(data, &m->me);
			model_profile_fetch(m, m->me.id);
			model_note(m, NOTE_PROFILE_SAVED, 0, 0, "Profile saved.");
		} else {
			model_note(m, NOTE_PROFILE_FAILED, 0, 0, why);
		}
		break;
	case R_MESSAGE_SEND: {
		if (!outgoing_reply(m, j, ok, why) || !ok)
			break;
		struct message msg;
		parse_message(data, &msg);
		model_views_prepend(m, SRC_THREAD, j->a, &msg, message_copy);
		convo_update(m, &msg, j->a, false);
		message_clear(&msg);
		model_note(m, NOTE_MESSAGE_SENT, j->a, 0, NULL);
		break;
	}
	case R_THREAD_READ:
	case R_NOTIFS_ALL_READ:
		if (ok)
			model_counts_refresh(m);
		break;
	case R_NOTIF_READ:
		if (!ok)
			model_note(m, NOTE_ERROR, 0, 0, why);
		break;
	default:
		break;
	}
}
