/* test_push_event.c: opening and decoding push events (push.h) without a
 * server: events sealed with a real key, good and hostile plaintexts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

static uint8_t topic[AG_PUSH_TOPIC_BYTES], key[AG_PUSH_KEY_BYTES];

static void make_keys(void)
{
	cr_assert_geq(sodium_init(), 0);
	randombytes_buf(topic, sizeof topic);
	crypto_secretbox_keygen(key);
}

TestSuite(push_event, .init = make_keys);

/* Seals plain for this suite's topic and key; returns the message
 * (malloc'd) and its length in *len. */
static uint8_t *seal(const void *plain, size_t plain_len, size_t *len)
{
	*len = plain_len + AG_PUSH_OVERHEAD;
	uint8_t *msg = malloc(*len);
	cr_assert_not_null(msg);
	ag_push_seal(topic, key, plain, plain_len, msg);
	return msg;
}

/* {type: "message", seq: 42, at: 1700000000000, data: {id: 7}} */
static void pack_good_event(msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "type", 4);
	msgpack_pack_str_with_body(&pk, "message", 7);
	msgpack_pack_str_with_body(&pk, "seq", 3);
	msgpack_pack_uint64(&pk, 42);
	msgpack_pack_str_with_body(&pk, "at", 2);
	msgpack_pack_int64(&pk, 1700000000000);
	msgpack_pack_str_with_body(&pk, "data", 4);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_uint64(&pk, 7);
}

Test(push_event, a_sealed_event_opens_and_decodes)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	pack_good_event(&sb);
	size_t len;
	uint8_t *msg = seal(sb.data, sb.size, &len);
	struct ag_event ev;
	cr_assert_eq(ag_event_open(topic, key, msg, len, &ev), 0);
	cr_expect_str_eq(ev.type, "message");
	cr_expect_eq(ev.seq, 42);
	cr_expect_eq(ev.at, 1700000000000);
	cr_assert_not_null(ev.data);
	cr_expect_eq(ev.data->type, MSGPACK_OBJECT_MAP);
	ag_event_free(&ev);

	msg[len - 1] ^= 1;   /* tampered with: must not open */
	cr_expect_eq(ag_event_open(topic, key, msg, len, &ev), -1);
	free(msg);
	msgpack_sbuffer_destroy(&sb);
}

/* {type: "message", data: [<array32 of 0xdddddddd elements, none there>]}:
 * msgpack-c alone would ask for 0xdddddddd objects (about 89 GiB). */
static const uint8_t hostile_event[] = {
	0x82,
	0xa4, 't', 'y', 'p', 'e', 0xa7, 'm', 'e', 's', 's', 'a', 'g', 'e',
	0xa4, 'd', 'a', 't', 'a', 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0x01, 0x02,
};

Test(push_event, a_hostile_count_is_dropped_without_allocating_for_it)
{
	size_t len;
	uint8_t *msg = seal(hostile_event, sizeof hostile_event, &len);
	struct ag_event ev;
	/* A failed allocation of that size leaves ENOMEM in errno (and aborts
	 * a sanitizer build): the walk must reject the count first. */
	errno = 0;
	cr_expect_eq(ag_event_open(topic, key, msg, len, &ev), -1);
	cr_expect_neq(errno, ENOMEM, "opening the event tried to allocate for its count");
	errno = 0;
	cr_expect_eq(ag_event_decode(hostile_event, sizeof hostile_event, &ev), -1);
	cr_expect_neq(errno, ENOMEM, "decoding the event tried to allocate for its count");
	free(msg);
}

Test(push_event, plaintexts_that_are_not_one_event_map_are_dropped)
{
	static const uint8_t not_a_map[] = {0x93, 0x01, 0x02, 0x03};
	static const uint8_t trailing[] = {0x80, 0xc0};
	static const uint8_t truncated[] = {0x81, 0xa4, 't', 'y', 'p'};
	static const uint8_t deep[] = {0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0};
	struct ag_event ev;
	cr_expect_eq(ag_event_decode(not_a_map, sizeof not_a_map, &ev), -1);
	cr_expect_eq(ag_event_decode(trailing, sizeof trailing, &ev), -1);
	cr_expect_eq(ag_event_decode(truncated, sizeof truncated, &ev), -1);
	cr_expect_eq(ag_event_decode(deep, sizeof deep, &ev), -1);
	cr_expect_eq(ag_event_decode("", 0, &ev), -1);
	uint8_t empty_box[AG_PUSH_OVERHEAD];
	ag_push_seal(topic, key, "", 0, empty_box);
	cr_expect_eq(ag_event_open(topic, key, empty_box, sizeof empty_box, &ev), -1);
}
