/* harness.h: what the integration tests share: a real ansigramd process
 * on a private directory (ipc sockets, database, server.log), clients of
 * it through the protocol client library, fresh logged-in users, calls
 * that assert their outcome, and read-only queries on the database file to
 * compare what the server says with the rows it keeps.
 *
 * Each test file starts one server for all its tests with
 * H_SERVER_PER_FILE(faults) and declares its suite with
 * TestSuite(name, .fini = h_test_fini). Criterion runs every test in its
 * own process; the file's server is reached through the environment the
 * runner sets up before the first test. Replies, clients and strings the
 * helpers hand out live until the test ends. */
#ifndef AG_TEST_HARNESS_H
#define AG_TEST_HARNESS_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"

/* ---- servers ---- */

struct h_server {
	pid_t keeper;        /* our child, which runs ansigramd and reports its exit */
	char dir[64];        /* private directory holding everything below */
	char url[128];       /* ipc://DIR/req.sock */
	char pub_url[128];   /* ipc://DIR/pub.sock */
	char db_path[128];   /* DIR/test.db */
	char log_path[128];  /* DIR/server.log: the server's stderr */
};

/* Starts $ANSIGRAMD on a fresh directory, with ANSIGRAM_FAULTS set to
 * faults (NULL: none), and waits up to 10 s for server.ping to answer.
 * Returns false (and prints why) when it does not come up. */
bool h_server_start(struct h_server *s, const char *faults);
/* The same with more ansigramd options (NULL-terminated; NULL: none). */
bool h_server_start_args(struct h_server *s, const char *faults, const char *const *extra);
/* Sends SIGTERM, waits for the exit and removes the directory (kept when
 * the exit was not clean). Returns ansigramd's exit status: 0 when it
 * stopped cleanly, 128+N after signal N, 124 when it did not stop. */
int h_server_stop(struct h_server *s);
/* Removes dir and everything under it (a test's own temporary files). */
void h_remove_tree(const char *dir);
/* Prints the last lines of the server's log to stderr. */
void h_server_print_log(const struct h_server *s);

/* Runs in the test runner before the first test (see below). */
void h_file_server_start(const char *faults);
void h_file_server_start_args(const char *faults, const char *const *extra);

/* One server for every test of this file: started before the first test;
 * the harness stops it after the last, and an unclean stop fails the run. */
#define H_SERVER_PER_FILE(faults) \
	ReportHook(PRE_ALL)(struct criterion_test_set *tests) \
	{ (void)tests; h_file_server_start(faults); }

/* Points the helpers below (clients, users, database queries) at s
 * instead of the file's server, for the rest of this test. */
void h_use_server(const struct h_server *s);
const char *h_url(void);
const char *h_pub_url(void);
const char *h_db_path(void);

/* The suite's .fini: frees replies and strings, closes clients. */
void h_test_fini(void);

/* ---- clients and users ---- */

/* An anonymous client of the current server (5 s timeout). */
struct ag_client *h_client(void);
/* Closes a client from h_client before the test ends; NULL is a no-op. */
void h_client_close(struct ag_client *c);

struct h_user {
	int64_t id;
	char username[40];
	char email[80];
	char password[48];
	char token[128];
	struct ag_client *c;   /* logged in as this user */
};

/* Registers a fresh user with a unique name and logs in. */
void h_user_new(struct h_user *u);
/* The same with a chosen username (NULL: unique) and full_name (NULL: none). */
void h_user_new_named(struct h_user *u, const char *username, const char *full_name);
/* Logs u in again: a second session on a new client. */
struct ag_client *h_session(const struct h_user *u);

/* "<prefix><pid>x<n>": unique across the run's test processes. */
const char *h_unique(const char *prefix);
/* unit repeated n times. */
const char *h_repeat(const char *unit, size_t n);
/* printf into a string that lives until the test ends. */
const char *h_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- calls ---- */

/* A new reply owned by the harness; the macros below fill it. */
struct ag_reply *h_reply_new(void);

/* Check the outcome of the newest unchecked h_reply_new() reply, rv being
 * what the client call returned; the caller's file and line go in the
 * message. Calls may nest in the arguments of calls. */
const struct ag_reply *h_arrived(const char *file, int line, const char *op, int rv);
const msgpack_object *h_expect_ok(const char *file, int line, const char *op, int rv);
const struct ag_reply *h_expect_err(const char *file, int line, enum ag_err code,
	const char *op, int rv);

/* Calls op with ag_client_callf's format and values. h_call asserts only
 * that a reply arrived and returns it; h_ok asserts ok and returns data;
 * h_err asserts the error code and returns the reply. */
#define h_call_idem(c, idem, op, ...) \
	h_arrived(__FILE__, __LINE__, (op), \
		ag_client_callf((c), h_reply_new(), (op), (idem), __VA_ARGS__))
#define h_call(c, op, ...) h_call_idem(c, NULL, op, __VA_ARGS__)
#define h_ok_idem(c, idem, op, ...) \
	h_expect_ok(__FILE__, __LINE__, (op), \
		ag_client_callf((c), h_reply_new(), (op), (idem), __VA_ARGS__))
#define h_ok(c, op, ...) h_ok_idem(c, NULL, op, __VA_ARGS__)
#define h_err(code, c, op, ...) \
	h_expect_err(__FILE__, __LINE__, (code), (op), \
		ag_client_callf((c), h_reply_new(), (op), NULL, __VA_ARGS__))

/* Calls op with args already packed (one map; NULL: none). */
#define h_call_packed(c, op, args, len) \
	h_arrived(__FILE__, __LINE__, (op), \
		ag_client_call((c), (op), (args), (len), NULL, h_reply_new()))
/* Sends bytes as they are and returns the reply (asserting one arrived). */
#define h_raw(c, frame, len) \
	h_arrived(__FILE__, __LINE__, "raw frame", ag_client_raw((c), (frame), (len), h_reply_new()))

/* Asserts obj[key] is the string want (want NULL: nil or absent). */
#define h_assert_str(obj, key, want) h_check_str(__FILE__, __LINE__, (obj), (key), (want))
void h_check_str(const char *file, int line, const msgpack_object *obj, const char *key,
	const char *want);
/* Asserts obj has exactly these keys (NULL-terminated list), in any order. */
#define h_assert_keys(obj, ...) h_check_keys(__FILE__, __LINE__, (obj), __VA_ARGS__, (const char *)NULL)
void h_check_keys(const char *file, int line, const msgpack_object *obj, ...);
/* True when obj is a map holding key (with any value, nil included). */
bool h_has_key(const msgpack_object *obj, const char *key);
/* True when some element of arr has arr[i][key] == id. */
bool h_list_has_id(const msgpack_object *arr, const char *key, int64_t id);
/* Asserts every element's id is smaller than the one before (newest first). */
#define h_assert_newest_first(arr) h_check_newest_first(__FILE__, __LINE__, (arr), "id")
void h_check_newest_first(const char *file, int line, const msgpack_object *arr,
	const char *key);

/* ---- photos ---- */

/* A width x height PNG of one colour, made here (no tools needed); lives
 * until the test ends. */
const unsigned char *h_png(unsigned width, unsigned height, const unsigned char rgb[3],
	size_t *len);
/* The CRC-32 of PNG chunks (and zlib's crc32) over p[0..n). */
uint32_t h_crc32(const unsigned char *p, size_t n);
/* media.upload of len bytes of data on c; returns the reply. */
const struct ag_reply *h_upload_call(struct ag_client *c, const void *data, size_t len);
/* Uploads a small photo on c (asserting ok) and returns its id. */
int64_t h_upload_photo(struct ag_client *c);

/* ---- the database file ---- */

/* Runs one query on the current server's database, read-only, with n
 * int64_t parameters bound to ?1..?n; returns column 0 of the first row
 * (asserting there is one). Text comes back "" for NULL. */
int64_t h_db_int(const char *sql, int n, ...);
const char *h_db_text(const char *sql, int n, ...);
/* The whole text of a file (up to 20000 bytes), failing the test when it
 * cannot be read. */
const char *h_read_file(const char *path);
/* A new database file at schema version 1 (server/schema.sql, named by
 * AG_SCHEMA_V1) with sql run on it; its path stays valid until the next
 * call, after h_test_fini too. */
const char *h_v1_database(const char *sql);
/* A connection to an ipc:// REP socket made by hand, past nng, with the
 * SP handshake of a REQ peer done (a read timeout of 5 s is set). */
int h_raw_ipc_connect(const char *url);
/* Sends body as one request with REQ id over a h_raw_ipc_connect
 * connection; false when the server hung up meanwhile. */
bool h_raw_ipc_send(int fd, uint32_t id, const void *body, size_t len);
/* Removes what h_v1_database and a server on it made (the file, its
 * -wal, -shm and .lock, its directory). */
void h_v1_database_remove(const char *path);
/* Runs a statement that writes (to stage a fixture, e.g. backdate a story). */
void h_db_exec(const char *sql, int n, ...);

/* Asserts every counter equals the rows it counts (post, follower,
 * following, like, comment and hashtag post counts) and that no like,
 * comment, hashtag link or notification points at a deleted post. */
void h_assert_counters(void);

#endif
