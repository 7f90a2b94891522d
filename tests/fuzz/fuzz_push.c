/* fuzz_push.c: libFuzzer target for the push event opener: the input as
 * an event's plaintext (ag_event_decode), the same bytes sealed with a
 * fixed key and opened again (ag_event_open, which must agree with the
 * plain decode), and the input itself taken as a sealed message, which
 * must not open. */
#include <stdlib.h>
#include <string.h>

#include "push.h"

static const uint8_t topic[AG_PUSH_TOPIC_BYTES] = "fuzz-topic-0123";
static const uint8_t key[AG_PUSH_KEY_BYTES] = "a fixed key for the fuzz target";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_event plain, opened;
	int plain_rc = ag_event_decode(data, size, &plain);

	uint8_t *msg = malloc(size + AG_PUSH_OVERHEAD);
	if (msg == NULL)
		abort();
	ag_push_seal(topic, key, data, size, msg);
	int open_rc = ag_event_open(topic, key, msg, size + AG_PUSH_OVERHEAD, &opened);
	if (open_rc != plain_rc)
		abort();
	if (plain_rc == 0) {
		if (strcmp(plain.type, opened.type) != 0 || plain.seq != opened.seq ||
		    plain.at != opened.at || (plain.data == NULL) != (opened.data == NULL))
			abort();
		ag_event_free(&plain);
		ag_event_free(&opened);
	}
	msg[size + AG_PUSH_OVERHEAD - 1] ^= 0x01;   /* one flipped bit: must not open */
	if (ag_event_open(topic, key, msg, size + AG_PUSH_OVERHEAD, &opened) == 0)
		abort();
	free(msg);

	struct ag_event raw;
	if (ag_event_open(topic, key, data, size, &raw) == 0)
		ag_event_free(&raw);
	return 0;
}
