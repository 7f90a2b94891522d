/* server.h: the shape of ansigramd in one header.
 *
 * A request travels: transport (nng REP contexts, one per worker thread)
 * -> dispatch (decode, op lookup, auth, args, idempotency) -> a handler
 * h_<op> (reads query the worker's own SQLite connection; multi-step
 * writes run a saga) -> the response. Domain files (users.c, posts.c,
 * ...) hold the handlers and the sagas; this header lists what they share.
 */
#ifndef AG_SERVER_H
#define AG_SERVER_H

#include <nng/nng.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* ---- configuration (main.c) ---- */

#define AG_MAX_URLS 8
#define AG_MAX_PUSH_SHARDS 1024
#define AG_MAX_GATEWAY_UIDS 8

struct server_config {
	char db_path[4096];
	const char *listen[AG_MAX_URLS];
	int n_listen;
	const char *pub[AG_MAX_URLS];
	int n_pub;
	int push_shards;           /* PUB sockets sessions are spread over */
	bool sync_full;            /* --sync full: every commit reaches the disk */
	int workers;
	unsigned long long pw_opslimit;
	size_t pw_memlimit;
	const char *tls_cert, *tls_key;
	int ipc_mode;              /* permissions of ipc:// socket files */
	int64_t ssh_gateway_uids[AG_MAX_GATEWAY_UIDS];  /* may call auth.login_ssh */
	int n_ssh_gateway_uids;
};

extern struct server_config g_config;

/* ---- transport (transport.c) ---- */

/* Opens the REP socket on every --listen URL and the PUB socket on every
 * --pub URL, and starts the worker threads (each with its own SQLite
 * connection). self_path is this program, which the listener guard runs
 * as its probe. Returns 0, or -1 after logging why. */
int transport_start(const char *self_path);
/* Stops taking requests: answers those already received `unavailable`
 * while the ones in flight finish, and returns when every worker is done.
 * Called by transport_stop when it was not called first. */
void transport_drain(void);
/* Drains, gives replies a moment to leave, publishes what was released
 * and closes the sockets. Every wait in it is bounded, but an nng call
 * can still hang: main() keeps a deadline. */
void transport_stop(void);
/* The shard that carries the pushes of the session with this (16-byte) topic. */
int transport_push_shard(const unsigned char *topic);
/* The URLs shard `shard` publishes on, one per --pub URL (same order);
 * sets *n. Valid once transport_start has returned 0. For naming them to
 * a client: the listener guard looks at the shard soon. */
const char *const *transport_push_urls(int shard, int *n);
/* The probe child's whole life (ansigramd --probe-dial URL req|sub):
 * dials url and waits to be killed. Returns 1 when the dial fails. */
int transport_probe_dial(const char *url, const char *kind);

/* ---- database (db.c) ---- */

struct stmt_cache_entry {
	const char *sql;         /* the literal's address is the key */
	sqlite3_stmt *stmt;
};

#define AG_STMT_CACHE 256

struct db {
	sqlite3 *conn;
	bool writing;            /* holds the writer token (db_begin) */
	int failed_rc;           /* result code of the last failed begin or commit */
	struct stmt_cache_entry cache[AG_STMT_CACHE];
};

/* Opens a connection: WAL, foreign keys, busy timeout, our SQL functions.
 * The first open of a file creates and migrates the schema. */
int db_open(struct db *db, const char *path);
/* Another connection to the file db_open created: never creates one, and
 * fails unless the path still names the file storage_remember_file saw. */
int db_open_more(struct db *db, const char *path);
void db_close(struct db *db);
/* A prepared statement for sql (a string literal: cached by address),
 * reset and with its bindings cleared. NULL on error (logged). */
sqlite3_stmt *db_prep(struct db *db, const char *sql);
/* For tests: from now on each statement's query plan is appended to the
 * file at path when first prepared, with the op being served (named by
 * db_explain_op on the thread). 0 or -1. */
int db_explain_open(const char *path);
void db_explain_op(const char *op);
/* Resets every statement left mid-step, releasing read snapshots. */
void db_reset_all(struct db *db);
/* BEGIN IMMEDIATE on db's own connection, after taking the writer token
 * (see writer_begin) and committing the open batch, so this process's
 * writers queue on a mutex instead of polling SQLite's lock. SQLITE_OK or
 * an error. db_commit and db_rollback give the token back. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/* The writer: one connection on which saga steps run as units (savepoints)
 * of batch transactions that many sagas share, committed together (group
 * commit). writer_open opens it (after db_open made the file). */
int writer_open(const char *path);
void writer_close(void);   /* commits the open batch */
/* Takes the writer token and opens a unit; the caller then writes through
 * writer_db() only. SQLITE_OK, or an error (no unit, no token). */
int writer_begin(void);
struct db *writer_db(void);
/* Rolls the open unit back to its start (it stays open). */
int writer_undo(void);
/* Closes the unit, commits its batch unless more units are coming (more_coming:
 * this caller's own next unit), gives the token back, and returns the
 * batch's ticket for writer_wait. */
uint64_t writer_end(bool more_coming);
/* Waits until the batch with this ticket has committed (committing it when
 * no one else will): 0, or the SQLite error its commit failed with. */
int writer_wait(uint64_t ticket);
/* Without waiting: -1 while the batch with this ticket is open, else 0
 * or the SQLite error its commit failed with. */
int writer_result(uint64_t ticket);
/* sqlite3_step of a writing statement (no RETURNING) prepared on db's own
 * connection, outside db_begin: holds the writer token meanwhile, so an
 * open batch commits first and the write never waits on SQLite's lock. */
int db_step_write(struct db *db, sqlite3_stmt *st);
/* Runs sql (no parameters) for its effect; SQLITE_OK or an error. */
int db_exec(struct db *db, const char *sql);
int db_schema_version(struct db *db);
/* Binds text, or NULL when s is NULL. */
void db_bind_text(sqlite3_stmt *st, int i, const char *s);

/* ---- a request being served (dispatch.c) ---- */

/* Who sent a request, as the connection itself says (never the frame). */
struct peer {
	bool is_ipc;             /* arrived over ipc:// */
	int64_t uid;             /* the ipc peer's uid; -1 when unknown */
	char addr[64];           /* a tcp peer's address, without port; "" otherwise */
};

/* Serves one request frame on db and packs the whole response into out
 * (which the caller initialised). Never fails: every problem becomes an
 * error response. */
void dispatch_frame(struct db *db, const struct peer *peer, const void *frame, size_t len,
	msgpack_sbuffer *out);
/* Forgets idempotency records older than 24 hours. */
void dispatch_expire_idempotency(struct db *db, int64_t now);
/* Fills in the records of idempotent requests whose reply a crash kept
 * from being recorded: a completed saga's reply is packed from its
 * context, a compensated saga's record is dropped (it changed nothing, so
 * a resend runs anew), a failed one's becomes `internal`. Sagas still
 * running are left alone. Returns how many it settled, -1 on error. */
int dispatch_recover_idempotency(struct db *db);

struct req {
	struct db *db;
	const struct ag_args *args;
	int64_t uid;             /* authenticated caller, 0 when anonymous */
	int64_t session_id;      /* the caller's session row, 0 when anonymous */
	msgpack_packer *out;     /* the handler packs exactly one `data` value here */
	struct ag_error *err;
	char saga_id[40];        /* set by saga_begin: echoed as `saga` */
	int64_t now;             /* ms since the epoch, when the request arrived */
	const struct peer *peer; /* the connection it came on */
	const char *idem;        /* the request's idempotency key when it is kept, else NULL */
	size_t idem_len;
};

typedef enum ag_err (*handler_fn)(struct req *rq);

/* One handler per op of ops.def, named h_<id>. */
#define AG_OP(id, ...) enum ag_err h_##id(struct req *rq);
#include "ops.def"
#undef AG_OP

/* Sets rq->err and returns code. */
enum ag_err req_fail(struct req *rq, enum ag_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Logs the connection's SQLite error with `what`, sets internal (or
 * unavailable, with retry_after_ms, when the disk is full), returns it. */
enum ag_err req_db_error(struct req *rq, const char *what);
/* The same for any error slot: a saga's, recovery's. */
enum ag_err db_fail(struct db *db, struct ag_error *err, const char *what);
/* The error for a database failure with SQLite code rc (already logged). */
enum ag_err db_fail_rc(int rc, struct ag_error *err);
/* What a client is told to wait when the disk is full. */
#define STORAGE_FULL_RETRY_MS 5000
/* Packs every row of a bound statement as an array, one element per row
 * packed by row_fn. Returns AG_OK or internal. */
enum ag_err pack_rows(struct req *rq, sqlite3_stmt *st,
	enum ag_err (*row_fn)(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st));
/* list args with the op's defaults */
int64_t req_limit(struct req *rq);
int64_t req_offset(struct req *rq);
int64_t req_before_id(struct req *rq);  /* INT64_MAX when absent */

/* ---- sagas (saga.c) ---- */

struct saga_run;

struct saga_step {
	const char *name;
	/* Runs inside the step's unit (a savepoint on the writer); returns
	 * AG_OK or fails with saga_fail(). Must only touch the db through
	 * run->db. */
	enum ag_err (*action)(struct saga_run *run);
	/* Undoes action, in a unit of its own. Must be idempotent: running
	 * it twice, or after a crash, changes nothing more. NULL = nothing. */
	enum ag_err (*compensate)(struct saga_run *run);
};

struct saga_def {
	const char *type;
	const struct saga_step *steps;
	size_t n_steps;
	/* Packs the op's `data` for a completed saga into rq->out, from its
	 * context: the handler's reply, and recovery's for an idempotent
	 * request whose reply a crash kept from being recorded. */
	enum ag_err (*reply)(struct saga_run *run, struct req *rq);
};

struct saga_run {
	struct db *db;        /* the writer inside a unit, else home */
	struct db *home;      /* the worker's own connection, for reads after the saga */
	uint64_t ticket;      /* the batch holding the saga's last unit */
	const struct saga_def *def;
	char id[40];
	int64_t initiator;
	int64_t session_id;   /* the initiator's session; 0 during recovery */
	int64_t now;
	struct ag_error *err;
	const char *idem;     /* idempotency key to record with the first step, or NULL */
	size_t idem_len;
	char *report_id;      /* where the id goes once the saga's row exists */
	/* Inputs set before saga_execute, written with the first step. */
	struct saga_input { const char *key; char *str; int64_t num; bool is_str; } inputs[6];
	int n_inputs;
	enum ag_err result;   /* of the steps, set by whoever ran them */
	bool finished;
	struct saga_run *next_queued;
	pthread_cond_t *wake;  /* its thread sleeps on this while queued */
};

extern const struct saga_def saga_create_post, saga_delete_post, saga_like_post,
	saga_follow_user, saga_send_message, saga_create_story, saga_comment;

/* Prepares a saga in memory. Set its inputs with saga_set_*, then call
 * saga_execute, which inserts its row (state running) with them in the
 * first step's unit and copies its id to rq->saga_id. */
enum ag_err saga_begin(struct saga_run *run, struct req *rq, const struct saga_def *def);
/* The saga's context, persisted in its row. Set values before
 * saga_execute or inside steps (then atomically with the step). */
enum ag_err saga_set_int(struct saga_run *run, const char *key, int64_t v);
enum ag_err saga_set_str(struct saga_run *run, const char *key, const char *s);
/* Appends v to the context's array key (made when missing): ids a step
 * created, for its compensation to read with json_each. */
enum ag_err saga_append_int(struct saga_run *run, const char *key, int64_t v);
int64_t saga_get_int(struct saga_run *run, const char *key);  /* 0 if unset */
char *saga_get_str(struct saga_run *run, const char *key);    /* malloc'd; NULL if unset */
/* Runs every step, each in its own unit with its log row, together with
 * the other sagas waiting (see saga.c), and returns once the last unit has
 * committed. When a step fails, its unit is undone alone, the completed
 * steps are compensated in reverse and the step's error is returned
 * (run->err); the saga ends compensated, or failed when a compensation
 * fails. */
enum ag_err saga_execute(struct saga_run *run);
/* For steps: sets run->err and returns code. */
enum ag_err saga_fail(struct saga_run *run, enum ag_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For steps: logs the SQLite error and fails with internal. */
enum ag_err saga_db_error(struct saga_run *run, const char *what);
/* At start-up, before requests: completes sagas whose every step
 * committed (releasing their events) and compensates every other saga left
 * running, compensating or failed. Returns how many it touched, -1 on a
 * database error. */
int saga_recover(struct db *db);
/* While running: compensates sagas left `compensating` (a compensation
 * that a full disk interrupted) that no thread of this process is running.
 * Returns how many it finished, -1 on a database error. */
int saga_retry_stuck(struct db *db);
/* The saga definition named type, or NULL. */
const struct saga_def *saga_def_named(const char *type);
/* Reads ANSIGRAM_FAULTS ("saga.step=fail|crash,..."); returns -1 and
 * logs when it is malformed. */
int faults_init(const char *spec);

/* ---- push events: outbox and publisher (outbox.c) ---- */

enum push_audience {
	PUSH_TO_USER,       /* every live session of user_id */
	PUSH_TO_FOLLOWERS,  /* every live session of user_id's followers */
};

/* Packs one object by id for a push (caller-relative fields as seen by
 * nobody in particular); one of the pack_*_by_id functions. */
typedef enum ag_err (*object_packer)(struct req *rq, msgpack_packer *pk, int64_t id);

/* For steps: queues an event of `type` whose data is the object `id`
 * packed by `pack`, in the step's transaction. It is published when the
 * saga completes, never if it is compensated. skip_session leaves out one
 * session (0: none). */
enum ag_err saga_emit(struct saga_run *run, const char *type, enum push_audience to,
	int64_t user_id, int64_t skip_session, object_packer pack, int64_t id);
/* Drops a finished saga's unreleased events (it ended compensated or failed). */
int outbox_discard(struct db *db, const char *saga_id);
/* Releases a completing saga's events, in its final transaction. */
int outbox_release(struct db *db, const char *saga_id);

/* The publisher thread drains released events to the PUB sockets, one
 * per push shard (transport_push_shard picks a session's). */
int publisher_start(const nng_socket *pubs, const char *db_path);
void publisher_wake(void);
/* Publishes what is released, then stops the thread. */
void publisher_stop(void);

/* ---- the database file (storage.c) ---- */

/* Takes the exclusive lock file beside the database (DB.lock, holding our
 * pid). Returns -1, after logging which pid holds it, when another server
 * runs on the same database. */
int storage_lock(const char *db_path);
/* Records the database file's identity for the watch; -1 (logged) when
 * it cannot be read. */
int storage_remember_file(const char *db_path);
/* True while path names the file storage_remember_file recorded. */
bool storage_is_remembered_file(const char *path);
/* Starts and stops the housekeeping thread (file watch, retries after a
 * full disk). It has its own connection. */
int storage_keeper_start(const char *db_path);
void storage_keeper_stop(void);
/* Hands conn's WAL checkpoints to the housekeeping thread (inline while
 * it does not run). */
void storage_watch_wal(sqlite3 *conn);
/* True once the database file was found deleted or replaced. */
bool storage_lost(void);
/* Checks the file now (on errors, besides the thread's timer). */
void storage_check_now(void);
/* True when rc, a SQLite result code, means the disk (or database) is
 * full; remembers it so the housekeeper retries what it interrupted. */
bool storage_full_error(int rc);

/* ---- auth (auth.c) ---- */

/* Looks up a session token: sets *uid and *sid for a live session, else
 * returns unauthorized. Marks the session as seen (at most once a minute). */
enum ag_err auth_resolve(struct db *db, const char *token, size_t len, int64_t now,
	int64_t *uid, int64_t *sid);
/* Opens a session for uid and packs auth.login's reply: token,
 * expires_at, push credentials, user. */
enum ag_err auth_open_session_reply(struct req *rq, int64_t uid);
/* True when peer is an SSH gateway (--ssh-gateway-uid over ipc). */
bool peer_is_gateway(const struct peer *peer);
/* Prepares the dummy hash used to make unknown accounts cost as much as
 * wrong passwords. Call once at start-up, after g_config is set. */
int auth_init(void);
/* Stores the sessions opened in memory while the disk was full; returns
 * how many, -1 when the database still cannot take them. */
int sessions_flush(struct db *db);
int sessions_in_memory(void);

/* ---- photos (media.c) ---- */

/* Finds the photo decoder (ansigramd-media); -1 after logging why.
 * media_shutdown at exit stops the decoders. */
int media_init(void);
void media_shutdown(void);
/* Stops the decoders that have had no upload for a minute. */
void media_stop_idle_decoders(void);
/* Per-user upload limits: uploads a minute, bytes a day. */
void media_set_limits(int per_minute, int64_t daily_bytes);
/* Packs the Media object in columns first..first+7 of st (id, mime,
 * width, height, bytes, thumb width, height, bytes), nil when id is NULL. */
void pack_media_at(msgpack_packer *pk, sqlite3_stmt *st, int first);
/* Packs the Media object attached to a story, or nil. */
enum ag_err pack_story_media(struct req *rq, msgpack_packer *pk, int64_t story_id);
/* For the attach_media steps: attaches the initiator's unattached photo
 * media_id to a story (to_story) or a post, `target`; not_found for
 * someone else's or an unknown photo, conflict for one already attached. */
enum ag_err media_attach(struct saga_run *run, int64_t media_id, bool to_story, int64_t target);
/* Their compensation: whatever photo the story or post has is unattached. */
enum ag_err media_detach(struct saga_run *run, bool from_story, int64_t target);
/* Removes photos of expired stories, photos never attached a day after
 * upload and day-old upload records. Returns how many photos went, -1 on
 * a database error (logged). */
int media_sweep(struct db *db, int64_t now);

/* ---- shared domain helpers ---- */

/* Creates a notification for user_id caused by actor_id ("like",
 * "comment", "follow", "message" or "mention"; ref = post, follower or
 * message id).
 * Sets *out_id (0 when none was due: e.g. acting on your own post). */
enum ag_err notify_create(struct db *db, int64_t user_id, int64_t actor_id,
	const char *type, int64_t ref, int64_t now, int64_t *out_id);

/* A saga step body: notifies user_id of what the initiator did (as
 * notify_create), keeps the notification's id in the context as
 * "notification_id" and queues its push event. */
enum ag_err saga_notify(struct saga_run *run, int64_t user_id, const char *type, int64_t ref);
/* The matching compensation: deletes that notification, if any. */
enum ag_err saga_unnotify(struct saga_run *run);
/* The notify_mentions step of create_post and comment: a `mention`
 * notification (reference: the context's post_id) for each user the
 * context's content names as @username, once each, leaving out the
 * initiator and the user the saga's notification_id already notified. */
enum ag_err saga_notify_mentions(struct saga_run *run);
/* Its compensation: deletes those notifications. */
enum ag_err saga_unnotify_mentions(struct saga_run *run);
/* Reads a post's author into *author. Returns AG_OK, or not_found /
 * internal with err filled (err: rq->err or run->err). */
enum ag_err post_author(struct db *db, int64_t post_id, int64_t *author, struct ag_error *err);
/* not_found unless user id exists. */
enum ag_err user_require(struct req *rq, int64_t id);

/* Object packers: each packs one object read by id for the caller of rq.
 * They return AG_OK, or not_found / internal with rq->err set. */
enum ag_err pack_user_by_id(struct req *rq, msgpack_packer *pk, int64_t id);    /* User */
enum ag_err pack_profile_by_id(struct req *rq, msgpack_packer *pk, int64_t id); /* Profile */
enum ag_err pack_post_by_id(struct req *rq, msgpack_packer *pk, int64_t id);    /* Post */
enum ag_err pack_comment_by_id(struct req *rq, msgpack_packer *pk, int64_t id);
enum ag_err pack_story_by_id(struct req *rq, msgpack_packer *pk, int64_t id);
enum ag_err pack_message_by_id(struct req *rq, msgpack_packer *pk, int64_t id);
enum ag_err pack_notification_by_id(struct req *rq, msgpack_packer *pk, int64_t id);

/* Row packers for pack_rows(). Each documents the columns it expects
 * (the *_COLUMNS macros), bound by the caller's own SELECT. */
#define PUBLIC_USER_COLUMNS "u.id, u.username, u.full_name, u.bio, u.profile_image_url, u.created_at"
enum ag_err pack_public_user_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st);
/* ?1 must be bound to the caller's id (0 when anonymous) for liked_by_me. */
/* A Post row: the post, its author's name, whether the caller (?1) liked
 * it, its hashtags (posts.tags) and its photo's description (NULLs when it
 * has none), read with POST_MEDIA_JOIN after the posts table `p`. */
#define POST_COLUMNS "p.id, p.author_id, (SELECT username FROM users WHERE id = p.author_id), " \
	"p.content, p.image_url, p.like_count, p.comment_count, p.created_at, " \
	"EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.user_id = ?1), p.tags, " \
	"pm.id, pm.mime, pm.width, pm.height, pm.bytes, pm.thumb_width, pm.thumb_height, " \
	"pm.thumb_bytes"
#define POST_MEDIA_JOIN " LEFT JOIN media pm ON pm.post_id = p.id "
enum ag_err pack_post_row(struct req *rq, msgpack_packer *pk, sqlite3_stmt *st);

#endif
