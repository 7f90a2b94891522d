/* model_int.h: what model.c (connection, login, push events, stories)
 * and model_data.c (lists, posts, profiles, messages) share. Not for
 * screens. */
#ifndef TUI_MODEL_INT_H
#define TUI_MODEL_INT_H

#include <msgpack.h>

#include "model.h"
#include "worker.h"

/* Runs on the main thread with the answer to a request the model sent:
 * j->rv and j->reply say how it went, ctx is what the intent kept for it. */
typedef void (*done_fn)(struct model *m, const struct job *j, void *ctx);

/* Queues j, sent with my token when its op takes one; done (NULL: nothing
 * to do) gets the answer with ctx, which is freed with the job. */
void model_send(struct model *m, struct job *j, done_fn done, void *ctx);
/* Whether the server answered j with ok. */
bool job_ok(const struct job *j);

/* A context that is just one id (a post, a user, a notification). */
struct id_ctx {
	int64_t id;
};
struct id_ctx *id_ctx_new(int64_t id);

void model_note(struct model *m, enum note n, int64_t id, int64_t aux, const char *msg);
/* A short sentence for a failed job: the server's message, or why the
 * server could not be asked. */
void model_failure_text(const struct job *j, char *out, size_t size);

/* model_data.c: lists and content. */
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
