/* model.h: what the TUI knows: my account, the feed, stories, posts,
 * comments, profiles, conversations, notifications and the connection
 * state. Screens read it and call the intents below; the model turns
 * intents into requests for the worker thread (each with the callback that
 * applies its reply) and applies the push events as they arrive. Only this
 * layer (model.c, model_data.c, parse.c, worker.c) talks to the protocol
 * client, and none of it needs curses. Every string held here has been
 * through ag_text_sanitize, so screens can draw it as it is. */
#ifndef TUI_MODEL_H
#define TUI_MODEL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* A photo stored by the server (PROTOCOL.md's Media): id 0 for none;
 * sizes in pixels, of the full photo and of its thumbnail. */
struct media_ref {
	int64_t id;
	int width, height, thumb_w, thumb_h;
};

struct post {
	int64_t id, author_id, like_count, comment_count, created_at;
	char *author, *content, *image_url;   /* content, image_url may be NULL */
	struct media_ref media;
	bool liked;
	bool gone;          /* deleted: kept only until no list shows it */
};

struct comment {
	int64_t id, post_id, author_id, created_at;
	char *author, *content;
};

struct story {
	int64_t id, author_id, created_at, expires_at;
	char *author, *content, *image_url;
	struct media_ref media;
};

struct user {
	int64_t id, created_at;
	char *username, *full_name, *bio, *image_url;
};

struct profile {
	struct user u;
	int64_t post_count, follower_count, following_count;
	bool is_following;
	bool loading;
	char error[160];    /* "" unless the last load failed */
};

struct message {
	int64_t id, sender_id, receiver_id, created_at;
	char *content;
	bool is_read;
};

struct convo {
	int64_t other_id, unread;
	char *other;
	struct message last;
};

struct notif {
	int64_t id, actor_id, ref_id, created_at;
	char *actor, *type, *text;
	bool is_read;
};

struct tag {
	int64_t id, post_count;
	char *name;
};

/* Where a view's items come from. */
enum view_src {
	SRC_FEED,           /* struct post *, newest first */
	SRC_USER_POSTS,     /* key: user id */
	SRC_TAG_POSTS,      /* text: the tag */
	SRC_COMMENTS,       /* struct comment *; key: post id */
	SRC_FOLLOWERS,      /* struct user *; key: user id */
	SRC_FOLLOWING,
	SRC_SEARCH_USERS,   /* struct user *; text: the query */
	SRC_SEARCH_TAGS,    /* struct tag * */
	SRC_THREAD,         /* struct message *; key: the other user */
	SRC_NOTIFS,         /* struct notif * */
	SRC_CONVOS,         /* struct convo * */
};

/* A list loaded page by page. Items are kept newest first, as the server
 * sends them; posts belong to the model's post cache, other items to the
 * view. */
struct view {
	uint64_t handle;
	enum view_src src;
	int64_t key;
	char *text;
	void **items;
	size_t n, cap;
	bool loading;       /* a page is on its way */
	bool loaded;        /* the first page arrived at least once */
	bool at_end;        /* no older items */
	char error[160];
	unsigned gen;       /* bumped by a refresh: older pages are dropped */
};

/* One author's live stories, oldest first, as the stories bar shows them. */
struct story_group {
	int64_t author_id;
	char *author;
	struct story **stories;
	size_t n;
	bool unseen;        /* at least one story not viewed yet */
};

enum conn_state { CONN_CONNECTING, CONN_ONLINE, CONN_OFFLINE };

/* How long a message or comment keeps being re-sent while the server
 * cannot be reached, before it is shown as not sent: 2 minutes, or
 * $ANSIGRAM_SEND_GIVE_UP seconds (1 to 86400). */
#define OUTBOX_GIVE_UP_MS (2 * 60 * 1000)
#define OUTBOX_GIVE_UP_ENV "ANSIGRAM_SEND_GIVE_UP"

/* A message or comment sent but not answered yet. It keeps its
 * idempotency key across every re-send, so it lands at most once. */
struct outgoing {
	int64_t id;            /* local, for matching replies */
	bool comment;          /* a comment on post target; else a DM to user target */
	int64_t target;
	char *content;
	char idem[40];
	int64_t first_ms;      /* monotonic: sent first (or retried by hand) */
	bool in_flight;        /* a request is out; else waiting for the server */
	bool failed;           /* given up, or refused: shown as not sent */
	char why[160];         /* why it failed */
};

/* An SSH key linked to my account (auth.ssh_key_list); text sanitized. */
struct ssh_key_item {
	char *fingerprint, *type, *comment;
	int64_t created_at;
};

/* What the model tells the interface; id and aux depend on the note. */
enum note {
	NOTE_CHANGED,          /* data changed: redraw */
	NOTE_NEED_LOGIN,       /* no valid session: show the login form */
	NOTE_LOGGED_IN,
	NOTE_AUTH_FAILED,      /* msg: why the login or registration failed */
	NOTE_ERROR,            /* msg: an action failed */
	NOTE_INFO,             /* msg: a short confirmation */
	NOTE_PUSH,             /* msg: a live event; aux 1: ring and notify the desktop */
	NOTE_POST_CREATED,     /* id: the post */
	NOTE_STORY_CREATED,
	NOTE_COMPOSE_FAILED,   /* msg */
	NOTE_POST_DELETED,     /* id: the post */
	NOTE_COMMENT_SENT,     /* id: the post */
	NOTE_COMMENT_FAILED,   /* msg */
	NOTE_MESSAGE_SENT,     /* id: the other user */
	NOTE_MESSAGE_FAILED,   /* msg */
	NOTE_PROFILE_SAVED,
	NOTE_PROFILE_FAILED,   /* msg */
	NOTE_USER_FOUND,       /* id: the user; aux: the lookup's purpose */
	NOTE_USER_MISSING,     /* msg; aux: the lookup's purpose */
	NOTE_LOGGED_OUT,
};

/* Why a user was looked up by name. */
enum lookup_purpose { LOOKUP_PROFILE, LOOKUP_MESSAGE };

typedef void (*note_fn)(void *ctx, enum note n, int64_t id, int64_t aux, const char *msg);

struct worker;
struct monitor;
struct ag_sub;
struct ag_client;
struct idmap;
struct drafts;

struct model {
	char server_url[1024];
	char pub_url[1024];         /* --pub, the config, else server.info's first */
	bool pub_given;             /* pub_url came from --pub or the config */
	char session_path[1024];
	char seen_path[1024];
	struct ag_tls tls;      /* how tls+tcp:// servers are checked */
	/* --ssh mode: no file is read or written; the key's login, if any */
	bool ssh;
	const struct ag_session *ssh_session;
	const char *ssh_fingerprint;

	struct worker *worker;
	struct monitor *monitor;
	struct ag_sub *sub;     /* push events, once logged in */
	bool push_waiting;      /* a saved login's push URL is being asked anew */
	note_fn note;
	void *note_ctx;

	struct ag_session session;
	bool logged_in;
	struct user me;

	enum conn_state conn;
	int64_t next_ping_ms;       /* monotonic: the next keep-alive */
	int64_t retry_ms;           /* monotonic: next reconnect attempt, 0 none */
	int64_t offline_at;         /* monotonic: when the server was last lost */
	bool monitor_lost;          /* the monitor's last word: connection lost */
	bool monitor_up;            /* the monitor has connected since it was opened */
	bool ping_in_flight;
	bool ever_online;           /* the server has answered at least once */
	bool info_unanswered;       /* server.info went unanswered: ask again */
	bool counts_in_flight;      /* inbox.counts asked, not answered yet */
	bool counts_again;          /* asked again meanwhile: one more when it lands */
	int64_t next_counts_ms;     /* monotonic: the next periodic inbox.counts */
	bool me_pending;            /* the saved session still needs checking */
	bool need_refetch;          /* refetch everything once back online */
	uint64_t last_seq;

	int64_t unread_notifs, unread_msgs;
	int64_t new_posts;          /* pushed posts not yet shown in the feed */
	int64_t open_thread;        /* user whose thread is on screen, 0 none */

	struct idmap *posts;        /* post cache: id -> struct post * */
	struct idmap *profiles;     /* id -> struct profile * */
	struct idmap *seen;         /* story id -> expires_at (as a pointer-sized int) */
	struct drafts *drafts;      /* unsent composer text, per account */
	struct outgoing **outbox;   /* messages and comments not answered yet, oldest first */
	int64_t give_up_ms;         /* see OUTBOX_GIVE_UP_MS */
	size_t n_outbox;
	int64_t next_outgoing_id;

	struct view **views;
	size_t n_views, cap_views;
	uint64_t next_handle;
	struct view *feed, *notifs, *convos;

	struct story **stories;     /* story.feed, newest first */
	size_t n_stories;
	struct story_group *groups; /* by author, for the bar and the viewer */
	size_t n_groups;
	bool stories_loaded;

	struct ssh_key_item *ssh_keys;  /* my linked SSH keys, newest first */
	size_t n_ssh_keys;
	bool ssh_keys_loaded;
	char ssh_keys_error[200];
};

/* The give-up time from $ANSIGRAM_SEND_GIVE_UP (unset: the default) into
 * *ms; false, with *ms unchanged, when it is not whole seconds from 1 to
 * 86400. */
bool model_give_up_setting(int64_t *ms);
/* Sets up the model on an open client (which the worker takes over). */
int model_init(struct model *m, const struct ag_client_opts *opts, const char *server_url,
	struct ag_client *client, note_fn note, void *note_ctx);
void model_free(struct model *m);
/* Checks the saved session (auth.me) or asks for a login. */
void model_start(struct model *m);

/* ---- the main loop's side ---- */

#define MODEL_MAX_FDS 4
/* The descriptors the main loop polls for the model (the worker's replies,
 * push events, connection news): fills fds and returns how many. */
int model_poll_fds(const struct model *m, struct pollfd *fds);
/* Handles what the polled descriptors (with revents) say is ready. */
void model_on_poll(struct model *m, const struct pollfd *fds, int n);
/* Runs timers (keep-alive, reconnecting); returns ms until the next one. */
int model_tick(struct model *m, int64_t now_mono);
/* Milliseconds the oldest request has been waiting (0: none). */
int64_t model_busy_ms(const struct model *m, int64_t now_mono);

/* ---- intents ---- */

void model_login(struct model *m, const char *account, const char *password);
void model_register(struct model *m, const char *username, const char *email,
	const char *password, const char *full_name);
void model_logout(struct model *m);
/* Links an SSH public key to my account (auth.ssh_key_add). */
void model_ssh_key_add(struct model *m, const char *public_key);
/* (Re)loads m->ssh_keys; unlinks one (auth.ssh_key_remove), then reloads. */
void model_ssh_keys_refresh(struct model *m);
void model_ssh_key_remove(struct model *m, const char *fingerprint);
void model_refresh_all(struct model *m);

/* Views: open registers one and loads its first page; close releases it. */
struct view *model_view_open(struct model *m, enum view_src src, int64_t key, const char *text);
void model_view_close(struct model *m, struct view *v);
void model_view_more(struct model *m, struct view *v);
void model_view_refresh(struct model *m, struct view *v);
/* Changes a search view's query and reloads it. */
void model_view_query(struct model *m, struct view *v, const char *text);
/* Shows the pushed posts waiting above the feed. */
void model_feed_show_new(struct model *m);

struct post *model_post(struct model *m, int64_t id);
void model_post_fetch(struct model *m, int64_t id);
void model_like(struct model *m, int64_t post_id);
void model_post_delete(struct model *m, int64_t post_id);
/* media_id: a photo uploaded first (media.upload), or 0. */
void model_post_create(struct model *m, const char *content, const char *image_url,
	int64_t media_id);
void model_story_create(struct model *m, const char *content, const char *image_url,
	int64_t media_id);
void model_comment(struct model *m, int64_t post_id, const char *content);
void model_comment_delete(struct model *m, int64_t post_id, int64_t comment_id);

/* The cached profile (loading it when absent); NULL until known. */
struct profile *model_profile(struct model *m, int64_t user_id);
void model_profile_fetch(struct model *m, int64_t user_id);
void model_lookup(struct model *m, const char *username, enum lookup_purpose why);
void model_follow(struct model *m, int64_t user_id, bool follow);
void model_profile_update(struct model *m, const char *full_name, const char *bio,
	const char *image_url);

/* Sends at once, or when the server is back; see struct outgoing. */
void model_message_send(struct model *m, int64_t user_id, const char *content);
/* Sends the failed messages to user_id (comments on a post) again. */
void model_outbox_retry(struct model *m, bool comment, int64_t target);
/* Marks the thread on screen (0: none); messages from them are read. */
void model_thread_open(struct model *m, int64_t user_id);
void model_notif_read(struct model *m, struct notif *n);
void model_notifs_all_read(struct model *m);

/* Drafts of the logged-in account, by composer: "compose" (post or
 * story), "dm-<user id>", "comment-<post id>". NULL when none. */
const char *model_draft(struct model *m, const char *key);
/* Keeps text as the draft for key (blank deletes it); saved shortly. */
void model_draft_save(struct model *m, const char *key, const char *text);
/* Writes pending drafts now (the process is about to end). */
void model_drafts_flush(struct model *m);
/* Whether drafts are kept on disk for next time (not with --ssh). */
bool model_drafts_kept(const struct model *m);

void model_stories_refresh(struct model *m);
bool model_story_seen(const struct model *m, int64_t story_id);
void model_story_mark_seen(struct model *m, const struct story *s);

#endif
