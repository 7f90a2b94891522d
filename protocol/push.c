/* push.c: push event sealing and the subscriber side (see push.h). */
#include "push.h"

#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <sodium.h>

struct ag_sub {
	nng_socket sock;
	uint8_t topic[AG_PUSH_TOPIC_BYTES];
	uint8_t key[AG_PUSH_KEY_BYTES];
	unsigned long dropped;
};

void ag_push_seal(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *event, size_t len, uint8_t *out)
{
	uint8_t *nonce = out + AG_PUSH_TOPIC_BYTES;
	memcpy(out, topic, AG_PUSH_TOPIC_BYTES);
	randombytes_buf(nonce, AG_PUSH_NONCE_BYTES);
	crypto_secretbox_easy(nonce + AG_PUSH_NONCE_BYTES, event, len, nonce, key);
}

long ag_push_open(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *msg, size_t len, uint8_t *out)
{
	const uint8_t *m = msg;
	if (len < AG_PUSH_OVERHEAD || memcmp(m, topic, AG_PUSH_TOPIC_BYTES) != 0)
		return -1;
	const uint8_t *nonce = m + AG_PUSH_TOPIC_BYTES;
	const uint8_t *box = nonce + AG_PUSH_NONCE_BYTES;
	size_t box_len = len - AG_PUSH_TOPIC_BYTES - AG_PUSH_NONCE_BYTES;
	if (crypto_secretbox_open_easy(out, box, box_len, nonce, key) != 0)
		return -1;
	return (long)(box_len - AG_PUSH_MAC_BYTES);
}

int ag_sub_open(struct ag_sub **out, const char *url,
	const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES])
{
	*out = NULL;
	if (sodium_init() < 0)
		return NNG_ENOTSUP;
	struct ag_sub *s = calloc(1, sizeof *s);
	if (!s)
		return NNG_ENOMEM;
	memcpy(s->topic, topic, sizeof s->topic);
	memcpy(s->key, key, sizeof s->key);
	int rv = nng_sub0_open(&s->sock);
	if (rv == 0)
		rv = nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, s->topic, sizeof s->topic);
	if (rv == 0)  /* NONBLOCK: keeps redialling until the server is there */
		rv = nng_dial(s->sock, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		nng_close(s->sock);
		free(s);
		return rv;
	}
	*out = s;
	return 0;
}

static int decode_event(const uint8_t *plain, size_t len, struct ag_event *ev)
{
	msgpack_unpacked_init(&ev->un);
	size_t off = 0;
	if (msgpack_unpack_next(&ev->un, (const char *)plain, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    ev->un.data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(&ev->un);
		return -1;
	}
	ev->type[0] = '\0';
	ev->seq = 0;
	ev->at = 0;
	ev->data = NULL;
	const msgpack_object_map *m = &ev->un.data.via.map;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
		if (k->type != MSGPACK_OBJECT_STR)
			continue;
		const char *name = k->via.str.ptr;
		size_t n = k->via.str.size;
		if (n == 4 && memcmp(name, "type", 4) == 0 && v->type == MSGPACK_OBJECT_STR &&
		    v->via.str.size < sizeof ev->type) {
			memcpy(ev->type, v->via.str.ptr, v->via.str.size);
			ev->type[v->via.str.size] = '\0';
		} else if (n == 3 && memcmp(name, "seq", 3) == 0 &&
			   v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			ev->seq = v->via.u64;
		} else if (n == 2 && memcmp(name, "at", 2) == 0 &&
			   (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)) {
			ev->at = v->via.i64;
		} else if (n == 4 && memcmp(name, "data", 4) == 0) {
			ev->data = v;
		}
	}
	return 0;
}

int ag_sub_next(struct ag_sub *s, int timeout_ms, struct ag_event *ev)
{
	nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO, timeout_ms < 0 ? NNG_DURATION_INFINITE : timeout_ms);
	for (;;) {
		nng_msg *msg;
		int rv = nng_recvmsg(s->sock, &msg, 0);
		if (rv != 0)
			return rv;
		size_t len = nng_msg_len(msg);
		uint8_t *plain = len > AG_PUSH_OVERHEAD ? malloc(len - AG_PUSH_OVERHEAD) : NULL;
		long n = plain ? ag_push_open(s->topic, s->key, nng_msg_body(msg), len, plain) : -1;
		nng_msg_free(msg);
		if (n >= 0 && decode_event(plain, (size_t)n, ev) == 0) {
			free(plain);
			return 0;
		}
		free(plain);
		s->dropped++;
	}
}

int ag_sub_fd(struct ag_sub *s)
{
	int fd;
	return nng_socket_get_int(s->sock, NNG_OPT_RECVFD, &fd) == 0 ? fd : -1;
}

unsigned long ag_sub_dropped(const struct ag_sub *s)
{
	return s->dropped;
}

void ag_sub_close(struct ag_sub *s)
{
	if (!s)
		return;
	nng_close(s->sock);
	sodium_memzero(s->key, sizeof s->key);
	free(s);
}

void ag_event_free(struct ag_event *ev)
{
	msgpack_unpacked_destroy(&ev->un);
	ev->data = NULL;
}
