/* live.h: live sessions for the push-plane and recovery tests. A live
 * session is a login of a harness user whose push credentials (topic and
 * key from auth.login) we keep, with a subscriber on the PUB URL the
 * login named (the session's push shard) that opens that session's events (protocol/push.h). Replies
 * and clients live until the test ends (h_test_fini), subscribers until
 * the test process does (see live.c). */
#ifndef AG_TEST_LIVE_H
#define AG_TEST_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "push.h"

struct live {
	const struct h_user *user;
	struct ag_client *c;                 /* calls made as this session */
	char token[128];
	uint8_t topic[AG_PUSH_TOPIC_BYTES];
	uint8_t key[AG_PUSH_KEY_BYTES];
	char push_url[256];                  /* the ipc URL of push.urls */
	int64_t session_id;                  /* its row in the sessions table */
	struct ag_sub *sub;                  /* NULL until live_subscribe */
};

/* Logs u in on a new client, keeping the session's push credentials. */
void live_login(struct live *l, const struct h_user *u);
/* Opens l's subscriber on its push URL (again, after a restart: the
 * session, its credentials and its shard stay) and waits until it is
 * connected. */
void live_subscribe(struct live *l);
/* A subscriber on url for any topic and key, connected. */
struct ag_sub *live_sub_open(const char *url, const uint8_t topic[AG_PUSH_TOPIC_BYTES],
	const uint8_t key[AG_PUSH_KEY_BYTES]);
/* A new client for l's session on the current server, replacing l->c:
 * after a restart, rather than waiting for the old one to redial. */
void live_reconnect(struct live *l);
/* A new client on the current server that calls as u's first session. */
struct ag_client *live_client_of(const struct h_user *u);

/* Waits up to timeout_ms for l's next event. Returns 0 or the nng error
 * (NNG_ETIMEDOUT); free *ev with ag_event_free. */
int live_next(struct live *l, int timeout_ms, struct ag_event *ev);
/* Asserts that l's next event, within timeout_ms, is of type; returns its
 * seq and, when id_out is not NULL, sets it to the event data's "id". */
#define live_expect(l, type, timeout_ms, id_out) \
	live_check_event(__FILE__, __LINE__, (l), (type), (timeout_ms), (id_out))
uint64_t live_check_event(const char *file, int line, struct live *l, const char *type,
	int timeout_ms, int64_t *id_out);
/* Asserts that nothing for l arrives within ms. */
#define live_expect_none(l, ms) live_check_none(__FILE__, __LINE__, (l), (ms))
void live_check_none(const char *file, int line, struct live *l, int ms);

/* Milliseconds on a monotonic clock. */
double live_now_ms(void);

#endif
