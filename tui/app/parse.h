/* parse.h: turning reply objects (MessagePack maps, PROTOCOL.md section 3)
 * into the model's structs. Every string is sanitized on the way in. */
#ifndef TUI_PARSE_H
#define TUI_PARSE_H

#include <msgpack.h>
#include <stdbool.h>

#include "model.h"

/* A sanitized copy of map[key] (multi-line keeps \n), or NULL when it is
 * nil, absent or not a string. */
char *obj_text(const msgpack_object *map, const char *key, bool multiline);
/* As obj_text for a string object itself; "" for anything else. */
char *str_text(const msgpack_object *o, bool multiline);

void parse_post(const msgpack_object *o, struct post *p);
void parse_comment(const msgpack_object *o, struct comment *c);
void parse_story(const msgpack_object *o, struct story *s);
void parse_user(const msgpack_object *o, struct user *u);
void parse_profile(const msgpack_object *o, struct profile *p);
void parse_message(const msgpack_object *o, struct message *msg);
void parse_convo(const msgpack_object *o, struct convo *c);
void parse_notif(const msgpack_object *o, struct notif *n);
void parse_tag(const msgpack_object *o, struct tag *t);

/* Free the fields (and, for the *_free variants, the struct itself). */
void post_clear(struct post *p);
void user_clear(struct user *u);
void message_clear(struct message *msg);
void post_free(void *p);
void comment_free(void *c);
void story_free(void *s);
void user_free(void *u);
void profile_free(void *p);
void message_free(void *msg);
void convo_free(void *c);
void notif_free(void *n);
void tag_free(void *t);

#endif
