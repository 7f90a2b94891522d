/* push.h: the push plane (PROTOCOL.md section 6): sealing events for one
 * session with libsodium's secretbox, and a subscriber that opens them.
 * A push message is topic (16) || nonce (24) || secretbox(event). */
#ifndef AG_PUSH_H
#define AG_PUSH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dial.h"

#define AG_PUSH_TOPIC_BYTES 16
#define AG_PUSH_KEY_BYTES 32
#define AG_PUSH_NONCE_BYTES 24
#define AG_PUSH_MAC_BYTES 16
#define AG_PUSH_OVERHEAD (AG_PUSH_TOPIC_BYTES + AG_PUSH_NONCE_BYTES + AG_PUSH_MAC_BYTES)

/* Writes the sealed message for event into out, which must have room for
 * len + AG_PUSH_OVERHEAD bytes; a fresh random nonce every call. */
void ag_push_seal(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *event, size_t len, uint8_t *out);
/* Opens a sealed message into out (room for len - AG_PUSH_OVERHEAD bytes).
 * Returns the event's length, or -1 when it is not for this topic and key
 * or was tampered with. */
long ag_push_open(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *msg, size_t len, uint8_t *out);

struct ag_sub;

struct ag_event {
	msgpack_unpacked un;          /* owns data */
	char type[24];                /* "notification", "message", "post", "story" */
	uint64_t seq;
	int64_t at;
	const msgpack_object *data;
};

/* Dials url with a SUB socket subscribed to topic. url may list the
 * session's push URL on several instances of one server, comma-separated:
 * each event then arrives from each, and ag_sub_next drops the repeats by
 * seq. Returns 0 or an nng error number. */
int ag_sub_open(struct ag_sub **out, const char *url,
	const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES]);
/* As ag_sub_open; tls checks a tls+tcp:// server as ag_client_open_tls
 * does (NULL: no checks). */
int ag_sub_open_tls(struct ag_sub **out, const char *url, const struct ag_tls *tls,
	const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES]);
/* Waits up to timeout_ms (-1: forever, 0: not at all) for the next event
 * this session can open, skipping others. Returns 0, NNG_ETIMEDOUT, or
 * another nng error. The event owns its data: free it with ag_event_free. */
int ag_sub_next(struct ag_sub *s, int timeout_ms, struct ag_event *ev);
/* A file descriptor that polls readable when a message may be waiting,
 * for an event loop's poll(); -1 on error. */
int ag_sub_fd(struct ag_sub *s);
/* Readable when the connection to the server was lost or made again;
 * then call ag_sub_reconnected. */
int ag_sub_state_fd(const struct ag_sub *s);
/* Reads the connection news: true when the connection came back after
 * being lost, so events may have been missed meanwhile. */
bool ag_sub_reconnected(struct ag_sub *s);
/* True while a connection to a server is up. */
bool ag_sub_connected(const struct ag_sub *s);
/* Messages received that did not open (other sessions' events). */
unsigned long ag_sub_dropped(const struct ag_sub *s);
void ag_sub_close(struct ag_sub *s);

/* Decodes an event's plaintext into ev, which keeps a copy. The bytes are
 * walked first (ag_msgpack_walk), so hostile lengths cost no memory.
 * Returns 0, or -1 (ev then holds nothing to free). */
int ag_event_decode(const void *plain, size_t len, struct ag_event *ev);
/* Opens a sealed message (topic, key as ag_push_open) and decodes it as
 * ag_event_decode does. Returns 0, or -1 (nothing to free). */
int ag_event_open(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *msg, size_t len, struct ag_event *ev);
void ag_event_free(struct ag_event *ev);

#endif
