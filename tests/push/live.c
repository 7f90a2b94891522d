/* live.c: live sessions with push subscribers (see live.h). */
#include "live.h"

#include <errno.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

#define MAX_SUBS 64
#define CONNECT_TIMEOUT_MS 5000

/* Subscribers are never closed: nng 1.5.2's nng_close now and then never
 * returns for a SUB socket, and every later nng_close of the process then
 * blocks too (reproduced without ansigram code, about once in a thousand
 * ipc subscribe, receive and close cycles). The test process ends right
 * after its test, which releases them; this list keeps them reachable
 * until then. */
static struct ag_sub *subs[MAX_SUBS];
static size_t n_subs;

double live_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void copy_bin(const msgpack_object *push, const char *key, uint8_t *out, size_t size)
{
	const msgpack_object *v = ag_obj_get(push, key);
	cr_assert(v && v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == size,
		"auth.login: push.%s is not %zu bytes of bin", key, size);
	memcpy(out, v->via.bin.ptr, size);
}

/* The session row whose push topic is topic. */
static int64_t session_with_topic(const uint8_t topic[AG_PUSH_TOPIC_BYTES])
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(h_db_path(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id FROM sessions WHERE push_topic = ?1",
		-1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_bind_blob(st, 1, topic, AG_PUSH_TOPIC_BYTES, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_gt(id, 0, "no session has the push topic auth.login gave");
	return id;
}

void live_login(struct live *l, const struct h_user *u)
{
	memset(l, 0, sizeof *l);
	l->user = u;
	l->c = h_client();
	const msgpack_object *d = h_ok(l->c, "auth.login", "username:s password:s",
		u->username, u->password);
	char *token = ag_obj_strdup(d, "token");
	cr_assert(token && strlen(token) < sizeof l->token, "auth.login gave no token");
	strcpy(l->token, token);
	free(token);
	ag_client_set_auth(l->c, l->token);
	const msgpack_object *push = ag_obj_get(d, "push");
	copy_bin(push, "topic", l->topic, sizeof l->topic);
	copy_bin(push, "key", l->key, sizeof l->key);
	const msgpack_object *urls = ag_obj_get(push, "urls");
	cr_assert(urls && urls->type == MSGPACK_OBJECT_ARRAY && urls->via.array.size >= 1,
		"auth.login: push.urls is not a list of URLs");
	for (uint32_t i = 0; i < urls->via.array.size && !l->push_url[0]; i++) {
		const msgpack_object *u = &urls->via.array.ptr[i];
		if (u->type == MSGPACK_OBJECT_STR && u->via.str.size < sizeof l->push_url &&
		    u->via.str.size > 6 && memcmp(u->via.str.ptr, "ipc://", 6) == 0)
			memcpy(l->push_url, u->via.str.ptr, u->via.str.size);
	}
	cr_assert(l->push_url[0], "auth.login: push.urls names no ipc URL");
	l->session_id = session_with_topic(l->topic);
}

struct ag_sub *live_sub_open(const char *url, const uint8_t topic[AG_PUSH_TOPIC_BYTES],
	const uint8_t key[AG_PUSH_KEY_BYTES])
{
	cr_assert_lt(n_subs, MAX_SUBS, "too many subscribers in one test");
	struct ag_sub *sub;
	int rv = ag_sub_open(&sub, url, topic, key);
	cr_assert_eq(rv, 0, "cannot subscribe on %s: %s", url, nng_strerror(rv));
	subs[n_subs++] = sub;
	/* The state descriptor turns readable once the connection is made. */
	struct pollfd p = {.fd = ag_sub_state_fd(sub), .events = POLLIN};
	while ((rv = poll(&p, 1, CONNECT_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	cr_assert_eq(rv, 1, "the subscriber did not connect to %s within %d ms", url,
		CONNECT_TIMEOUT_MS);
	ag_sub_reconnected(sub);
	return sub;
}

void live_subscribe(struct live *l)
{
	l->sub = live_sub_open(l->push_url, l->topic, l->key);
}

void live_reconnect(struct live *l)
{
	l->c = h_client();
	ag_client_set_auth(l->c, l->token);
}

struct ag_client *live_client_of(const struct h_user *u)
{
	struct ag_client *c = h_client();
	ag_client_set_auth(c, u->token);
	return c;
}

int live_next(struct live *l, int timeout_ms, struct ag_event *ev)
{
	cr_assert_not_null(l->sub, "live_next before live_subscribe");
	return ag_sub_next(l->sub, timeout_ms, ev);
}

uint64_t live_check_event(const char *file, int line, struct live *l, const char *type,
	int timeout_ms, int64_t *id_out)
{
	struct ag_event ev;
	int rv = live_next(l, timeout_ms, &ev);
	cr_assert_eq(rv, 0, "%s:%d: %s: no %s event within %d ms: %s", file, line,
		l->user->username, type, timeout_ms, nng_strerror(rv));
	bool same = strcmp(ev.type, type) == 0;
	char got[sizeof ev.type];
	memcpy(got, ev.type, sizeof got);
	uint64_t seq = ev.seq;
	if (id_out)
		*id_out = ag_obj_int(ev.data, "id");
	ag_event_free(&ev);
	cr_assert(same, "%s:%d: %s: expected a %s event, got %s", file, line,
		l->user->username, type, got);
	return seq;
}

void live_check_none(const char *file, int line, struct live *l, int ms)
{
	struct ag_event ev;
	int rv = live_next(l, ms, &ev);
	if (rv == 0) {
		char got[sizeof ev.type];
		memcpy(got, ev.type, sizeof got);
		uint64_t seq = ev.seq;
		ag_event_free(&ev);
		cr_assert_fail("%s:%d: %s: expected no event, got %s (seq %llu)", file, line,
			l->user->username, got, (unsigned long long)seq);
	}
	cr_assert_eq(rv, NNG_ETIMEDOUT, "%s:%d: waiting for events: %s", file, line,
		nng_strerror(rv));
}
