/* parse.c: reply objects to model structs. Ids and times default to 0
 * and strings to NULL when a field is missing, so a newer server with
 * extra or fewer fields never crashes the interface. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "parse.h"
#include "text.h"

char *str_text(const msgpack_object *o, bool multiline)
{
	struct ag_buf b = {0};
	if (o && o->type == MSGPACK_OBJECT_STR)
		ag_text_sanitize(&b, o->via.str.ptr, o->via.str.size, multiline);
	char *s = strdup(ag_buf_str(&b));
	ag_buf_free(&b);
	if (s == NULL)
		abort();
	return s;
}

char *obj_text(const msgpack_object *map, const char *key, bool multiline)
{
	const msgpack_object *o = ag_obj_get(map, key);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return str_text(o, multiline);
}

/* An integer field, 0 when absent. */
static int64_t num(const msgpack_object *map, const char *key)
{
	int64_t v = ag_obj_int(map, key);
	return v == INT64_MIN ? 0 : v;
}

/* A text field that must not be NULL. */
static char *text_or_empty(const msgpack_object *map, const char *key, bool multiline)
{
	char *s = obj_text(map, key, multiline);
	if (s == NULL && (s = strdup("")) == NULL)
		abort();
	return s;
}

/* A Media object (or nil, or anything else: no photo) into m. */
static void parse_media(const msgpack_object *o, struct media_ref *m)
{
	memset(m, 0, sizeof *m);
	const msgpack_object *media = ag_obj_get(o, "media");
	if (media == NULL || media->type != MSGPACK_OBJECT_MAP)
		return;
	int64_t id = num(media, "id"), w = num(media, "width"), h = num(media, "height");
	const msgpack_object *thumb = ag_obj_get(media, "thumb");
	int64_t tw = thumb ? num(thumb, "width") : 0, th = thumb ? num(thumb, "height") : 0;
	if (id <= 0 || w <= 0 || h <= 0 || w > 100000 || h > 100000)
		return;
	m->id = id;
	m->width = (int)w;
	m->height = (int)h;
	if (tw > 0 && th > 0 && tw <= 100000 && th <= 100000) {
		m->thumb_w = (int)tw;
		m->thumb_h = (int)th;
	}
}

void parse_post(const msgpack_object *o, struct post *p)
{
	memset(p, 0, sizeof *p);
	p->id = num(o, "id");
	p->author_id = num(o, "author_id");
	p->author = text_or_empty(o, "author_username", false);
	p->content = obj_text(o, "content", true);
	p->image_url = obj_text(o, "image_url", false);
	parse_media(o, &p->media);
	p->like_count = num(o, "like_count");
	p->comment_count = num(o, "comment_count");
	p->liked = ag_obj_bool(o, "liked_by_me");
	p->created_at = num(o, "created_at");
}

void parse_comment(const msgpack_object *o, struct comment *c)
{
	memset(c, 0, sizeof *c);
	c->id = num(o, "id");
	c->post_id = num(o, "post_id");
	c->author_id = num(o, "author_id");
	c->author = text_or_empty(o, "author_username", false);
	c->content = text_or_empty(o, "content", true);
	c->created_at = num(o, "created_at");
}

void parse_story(const msgpack_object *o, struct story *s)
{
	memset(s, 0, sizeof *s);
	s->id = num(o, "id");
	s->author_id = num(o, "author_id");
	s->author = text_or_empty(o, "author_username", false);
	s->content = obj_text(o, "content", true);
	s->image_url = obj_text(o, "image_url", false);
	parse_media(o, &s->media);
	s->created_at = num(o, "created_at");
	s->expires_at = num(o, "expires_at");
}

void parse_user(const msgpack_object *o, struct user *u)
{
	memset(u, 0, sizeof *u);
	u->id = num(o, "id");
	u->username = text_or_empty(o, "username", false);
	u->full_name = obj_text(o, "full_name", false);
	u->bio = obj_text(o, "bio", true);
	u->image_url = obj_text(o, "profile_image_url", false);
	u->created_at = num(o, "created_at");
}

void parse_profile(const msgpack_object *o, struct profile *p)
{
	memset(p, 0, sizeof *p);
	parse_user(o, &p->u);
	p->post_count = num(o, "post_count");
	p->follower_count = num(o, "follower_count");
	p->following_count = num(o, "following_count");
	p->is_following = ag_obj_bool(o, "is_following");
}

void parse_message(const msgpack_object *o, struct message *msg)
{
	memset(msg, 0, sizeof *msg);
	msg->id = num(o, "id");
	msg->sender_id = num(o, "sender_id");
	msg->receiver_id = num(o, "receiver_id");
	msg->content = text_or_empty(o, "content", true);
	msg->is_read = ag_obj_bool(o, "is_read");
	msg->created_at = num(o, "created_at");
}

void parse_convo(const msgpack_object *o, struct convo *c)
{
	memset(c, 0, sizeof *c);
	c->other_id = num(o, "other_user_id");
	c->other = text_or_empty(o, "other_username", false);
	c->unread = num(o, "unread_count");
	parse_message(ag_obj_get(o, "last_message"), &c->last);
}

void parse_notif(const msgpack_object *o, struct notif *n)
{
	memset(n, 0, sizeof *n);
	n->id = num(o, "id");
	n->actor_id = num(o, "actor_id");
	n->actor = text_or_empty(o, "actor_username", false);
	n->type = text_or_empty(o, "type", false);
	n->ref_id = num(o, "reference_id");
	n->text = text_or_empty(o, "message", false);
	n->is_read = ag_obj_bool(o, "is_read");
	n->created_at = num(o, "created_at");
}

void parse_tag(const msgpack_object *o, struct tag *t)
{
	memset(t, 0, sizeof *t);
	t->id = num(o, "id");
	t->name = text_or_empty(o, "name", false);
	t->post_count = num(o, "post_count");
}

void post_clear(struct post *p)
{
	free(p->author);
	free(p->content);
	free(p->image_url);
	memset(p, 0, sizeof *p);
}

void user_clear(struct user *u)
{
	free(u->username);
	free(u->full_name);
	free(u->bio);
	free(u->image_url);
	memset(u, 0, sizeof *u);
}

void message_clear(struct message *msg)
{
	free(msg->content);
	memset(msg, 0, sizeof *msg);
}

void post_free(void *p)
{
	if (p)
		post_clear(p);
	free(p);
}

void comment_free(void *p)
{
	struct comment *c = p;
	if (c) {
		free(c->author);
		free(c->content);
	}
	free(c);
}

void story_free(void *p)
{
	struct story *s = p;
	if (s) {
		free(s->author);
		free(s->content);
		free(s->image_url);
	}
	free(s);
}

void user_free(void *p)
{
	if (p)
		user_clear(p);
	free(p);
}

void profile_free(void *p)
{
	struct profile *pr = p;
	if (pr)
		user_clear(&pr->u);
	free(pr);
}

void message_free(void *p)
{
	if (p)
		message_clear(p);
	free(p);
}

void convo_free(void *p)
{
	struct convo *c = p;
	if (c) {
		free(c->other);
		message_clear(&c->last);
	}
	free(c);
}

void notif_free(void *p)
{
	struct notif *n = p;
	if (n) {
		free(n->actor);
		free(n->type);
		free(n->text);
	}
	free(n);
}

void tag_free(void *p)
{
	struct tag *t = p;
	if (t)
		free(t->name);
	free(t);
}
