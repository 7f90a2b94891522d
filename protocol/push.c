/* push.c: push event sealing and the subscriber side (see push.h). */
#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <sodium.h>

#include "proto.h"

/* How many of the last seqs a subscriber to several instances remembers:
 * a repeat from another instance comes close behind the first. */
#define RECENT_SEQS 64

struct ag_sub {
	nng_socket sock;
	int state_rd, state_wr;   /* connection news from nng's threads */
	bool lost;                /* the connection went away since it was made */
	uint8_t topic[AG_PUSH_TOPIC_BYTES];
	uint8_t key[AG_PUSH_KEY_BYTES];
	unsigned long dropped;
	atomic_int connections;   /* made and not lost, counted on nng's threads */
	/* Dialing several instances, each event comes from each: the seqs
	 * seen last, to drop the repeats. */
	bool several;
	uint64_t recent[RECENT_SEQS];
	unsigned n_recent;
};

/* True when seq was among the last seqs s saw; else remembers it. */
static bool repeated(struct ag_sub *s, uint64_t seq)
{
	unsigned kept = s->n_recent < RECENT_SEQS ? s->n_recent : RECENT_SEQS;
	for (unsigned i = 0; i < kept; i++)
		if (s->recent[i] == seq)
			return true;
	s->recent[s->n_recent++ % RECENT_SEQS] = seq;
	return false;
}

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

/* Runs on nng's threads: one byte per connection change. */
static void pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	struct ag_sub *s = arg;
	char c = ev == NNG_PIPE_EV_ADD_POST ? 'a' : 'r';
	atomic_fetch_add(&s->connections, c == 'a' ? 1 : -1);
	ssize_t n;
	do
		n = write(s->state_wr, &c, 1);
	while (n < 0 && errno == EINTR);
}

int ag_sub_open_tls(struct ag_sub **out, const char *url, const struct ag_tls *tls,
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
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(s);
		return NNG_ENOMEM;
	}
	s->state_rd = fds[0];
	s->state_wr = fds[1];
	int rv = nng_sub0_open(&s->sock);
	if (rv == 0)
		rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_POST, pipe_event, s);
	if (rv == 0)
		rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, pipe_event, s);
	if (rv == 0)
		rv = nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, s->topic, sizeof s->topic);
	if (rv == 0)  /* room for bursts: what does not fit is dropped */
		rv = nng_socket_set_int(s->sock, NNG_OPT_RECVBUF, 1024);
	if (rv == 0)  /* NONBLOCK: keeps redialling until the server is there */
		rv = ag_dial_list(s->sock, url, tls, NNG_FLAG_NONBLOCK);
	char item[8];  /* only counted: an item too long comes back empty */
	const char *rest = ag_url_list_next(url, item, sizeof item);
	s->several = rest != NULL && ag_url_list_next(rest, item, sizeof item) != NULL;
	if (rv != 0) {
		nng_close(s->sock);
		close(fds[0]);
		close(fds[1]);
		free(s);
		return rv;
	}
	*out = s;
	return 0;
}

int ag_sub_open(struct ag_sub **out, const char *url,
	const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES])
{
	return ag_sub_open_tls(out, url, NULL, topic, key);
}

/* Reads the event map's fields into ev (unknown keys are ignored). */
static void read_event(struct ag_event *ev)
{
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
}

/* Decodes plain, which ev's zone already owns, into ev. */
static int decode_in_zone(const uint8_t *plain, size_t len, struct ag_event *ev)
{
	struct ag_error err;
	size_t off = 0;
	if (ag_msgpack_walk(plain, len, &err) != AG_OK ||
	    msgpack_unpack((const char *)plain, len, &off, ev->un.zone, &ev->un.data) !=
			MSGPACK_UNPACK_SUCCESS || ev->un.data.type != MSGPACK_OBJECT_MAP)
		return -1;
	read_event(ev);
	return 0;
}

/* Gives ev a fresh zone holding size bytes for the plaintext; NULL when
 * out of memory (ev then holds nothing to free). */
static uint8_t *event_buffer(struct ag_event *ev, size_t size)
{
	msgpack_unpacked_init(&ev->un);
	ev->un.zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	uint8_t *buf = ev->un.zone ? msgpack_zone_malloc(ev->un.zone, size + 1) : NULL;
	if (buf == NULL)
		msgpack_unpacked_destroy(&ev->un);
	return buf;
}

int ag_event_decode(const void *plain, size_t len, struct ag_event *ev)
{
	uint8_t *copy = event_buffer(ev, len);
	if (copy == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, plain, len);
	if (decode_in_zone(copy, len, ev) != 0) {
		msgpack_unpacked_destroy(&ev->un);
		return -1;
	}
	return 0;
}

/* The message is opened straight into ev's own zone and decoded there, so
 * the event's strings live as long as the event. */
int ag_event_open(const uint8_t topic[AG_PUSH_TOPIC_BYTES], const uint8_t key[AG_PUSH_KEY_BYTES],
	const void *msg, size_t len, struct ag_event *ev)
{
	if (len < AG_PUSH_OVERHEAD)
		return -1;
	uint8_t *plain = event_buffer(ev, len - AG_PUSH_OVERHEAD);
	if (plain == NULL)
		return -1;
	long n = ag_push_open(topic, key, msg, len, plain);
	if (n < 0 || decode_in_zone(plain, (size_t)n, ev) != 0) {
		msgpack_unpacked_destroy(&ev->un);
		return -1;
	}
	return 0;
}

int ag_sub_next(struct ag_sub *s, int timeout_ms, struct ag_event *ev)
{
	int flags = timeout_ms == 0 ? NNG_FLAG_NONBLOCK : 0;
	if (timeout_ms != 0)
		nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO,
			timeout_ms < 0 ? NNG_DURATION_INFINITE : timeout_ms);
	for (;;) {
		nng_msg *msg;
		int rv = nng_recvmsg(s->sock, &msg, flags);
		if (rv == NNG_EAGAIN)
			return NNG_ETIMEDOUT;
		if (rv != 0)
			return rv;
		rv = ag_event_open(s->topic, s->key, nng_msg_body(msg), nng_msg_len(msg), ev);
		nng_msg_free(msg);
		if (rv == 0 && s->several && repeated(s, ev->seq)) {
			ag_event_free(ev);
			continue;
		}
		if (rv == 0)
			return 0;
		s->dropped++;  /* another session's event, or a damaged one */
	}
}

int ag_sub_fd(struct ag_sub *s)
{
	int fd;
	return nng_socket_get_int(s->sock, NNG_OPT_RECVFD, &fd) == 0 ? fd : -1;
}

int ag_sub_state_fd(const struct ag_sub *s)
{
	return s->state_rd;
}

bool ag_sub_reconnected(struct ag_sub *s)
{
	bool back = false;
	char buf[64];
	ssize_t n;
	while ((n = read(s->state_rd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == 'r')
				s->lost = true;
			else if (s->lost) {
				s->lost = false;
				back = true;
			}
		}
	return back;
}

bool ag_sub_connected(const struct ag_sub *s)
{
	return atomic_load(&s->connections) > 0;
}

unsigned long ag_sub_dropped(const struct ag_sub *s)
{
	return s->dropped;
}

void ag_sub_close(struct ag_sub *s)
{
	if (!s)
		return;
	nng_close(s->sock);   /* waits for pipe callbacks in progress */
	close(s->state_rd);
	close(s->state_wr);
	sodium_memzero(s->key, sizeof s->key);
	free(s);
}

void ag_event_free(struct ag_event *ev)
{
	msgpack_unpacked_destroy(&ev->un);
	ev->data = NULL;
}
