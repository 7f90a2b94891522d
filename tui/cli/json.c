/* json.c: MessagePack to JSON for --json output (see json.h).
 *
 * Mapping: nil -> null, bool -> true/false, integers -> JSON integers
 * (exact: jansson keeps a long long; an unsigned value above 2^63-1, which
 * the protocol never sends, becomes its decimal digits as a string),
 * floats -> numbers (NaN and infinities -> null), strings -> strings
 * (invalid UTF-8 bytes, which the protocol never sends, become U+FFFD),
 * bin and ext -> base64 strings (RFC 4648, with padding), arrays ->
 * arrays, maps -> objects (a key that is not a string is written as the
 * JSON text of its value). */
#include "json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "utf8.h"

/* A JSON string for s[0..len), with invalid UTF-8 bytes replaced. */
static json_t *string_from(const char *s, size_t len)
{
	json_t *v = json_stringn(s, len);
	if (v != NULL)
		return v;
	struct ag_buf fixed = {0};
	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n > 0 && cp != 0) {
			ag_buf_append(&fixed, s + i, (size_t)n);
			i += (size_t)n;
		} else {
			ag_buf_puts(&fixed, "\xEF\xBF\xBD");
			i++;
		}
	}
	v = json_string(ag_buf_str(&fixed));
	ag_buf_free(&fixed);
	return v != NULL ? v : json_string("");
}

static json_t *base64_from(const void *p, size_t len)
{
	size_t size = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *text = malloc(size);
	if (text == NULL)
		abort();
	sodium_bin2base64(text, size, p, len, sodium_base64_VARIANT_ORIGINAL);
	json_t *v = json_string(text);
	free(text);
	return v;
}

/* The object key for k: its text when it is a string, else its JSON. */
static char *key_from(const msgpack_object *k)
{
	json_t *v = ag_json_from_msgpack(k);
	char *key = json_is_string(v) ? strdup(json_string_value(v))
		: json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(v);
	if (key == NULL)
		abort();
	return key;
}

json_t *ag_json_from_msgpack(const msgpack_object *o)
{
	if (o == NULL)
		return json_null();
	json_t *v = NULL;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 <= INT64_MAX)
			return json_integer((json_int_t)o->via.u64);
		char digits[24];
		snprintf(digits, sizeof digits, "%" PRIu64, o->via.u64);
		return json_string(digits);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		v = json_real(o->via.f64);
		return v != NULL ? v : json_null();
	case MSGPACK_OBJECT_STR:
		return string_from(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return base64_from(o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_EXT:
		return base64_from(o->via.ext.ptr, o->via.ext.size);
	case MSGPACK_OBJECT_ARRAY:
		v = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(v, ag_json_from_msgpack(&o->via.array.ptr[i]));
		return v;
	case MSGPACK_OBJECT_MAP:
		v = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			char *key = key_from(&o->via.map.ptr[i].key);
			json_object_set_new(v, key, ag_json_from_msgpack(&o->via.map.ptr[i].val));
			free(key);
		}
		return v;
	}
	return json_null();
}

int ag_json_print(FILE *f, const json_t *v, int pretty)
{
	size_t flags = JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
	if (json_dumpf(v, f, flags) != 0 || fputc('\n', f) == EOF)
		return -1;
	return 0;
}
