/* model_int.h: what model.c (connection, login, push events, stories)
 * and model_data.c (lists, posts, profiles, messages) share. Not for
 * screens. */
#ifndef TUI_MODEL_INT_H
#define TUI_MODEL_INT_H

#include <msgpack.h>

#include "model.h"
#include "worker.h"

/* What a request was for, so its reply lands in the right place. */
enum req_kind {
	R_INFO, R_ME, R_LOGIN, R_REGISTER, R_LOGOUT, R_PING, R_COUNTS, R_STORIES,
	R_VIEW_PAGE, R_POST_GET, R_LIKE, R_POST_DELETE, R_POST_CREATE, R_STORY_CREATE,
	R_COMMENT, R_COMMENT_DELETE, R_PROFILE, R_LOOKUP, R_FOLLOW, R_PROFILE_UPDATE,
	R_MESSAGE_SEND, R_THREAD_READ, R_NOTIF_READ, R_NOTIFS_ALL_READ, R_SSH_KEY_ADD,
	R_SSH_KEYS, R_SSH_KEY_REMOVE, R_SENDER,
};

#define PAGE_POSTS 20
#define PAGE_LONG 50      /* comments, threads, notifications, people */

/* Queues j, sent with my token when I have one. */
void model_submit(struct model *m, struct job *j, enum req_kind kind);
void model_note(struct model *m, enum note n, int64_t id, int64_t aux, const char *msg);
/* A short sentence for a failed job: the server's message, or why the
 * server could not be asked. */
void model_failure_text(const struct job *j, char *out, size_t size);

/* model_data.c: replies for lists and content. */
void model_apply_data(struct model *m, struct job *j);
struct view *model_view_find(struct model *m, uint64_t handle);
struct post *model_post_upsert(struct model *m, const msgpack_object *o);
/* Adds item at the front of every view of src with key (when absent). */
void model_views_prepend(struct model *m, enum view_src src, int64_t key, void *item,
	void *(*copy)(const void *));
bool model_view_has(const struct view *v, int64_t id);
int64_t model_item_id(const struct view *v, size_t i);
void model_view_remove(struct view *v, int64_t id);
/* Pushed message: into threads and conversations. */
void model_message_arrived(struct model *m, const struct message *msg);
void model_notif_arrived(struct model *m, const struct notif *n);
void model_views_free(struct model *m);
/* Asks inbox.counts; at most one is in flight, a request meanwhile is
 * sent once that one lands. */
void model_counts_refresh(struct model *m);
void model_refresh_profiles(struct model *m);
/* The outbox: sends what waits for the server (once it is back), gives up
 * on what waited too long; returns ms until the next give-up (-1: none).
 * model_outbox_free forgets everything (logging out). */
int model_outbox_tick(struct model *m, int64_t now_mono);
void model_outbox_free(struct model *m);

#endif
