/* frame.c: request frames in (a bounds-checking walk over the raw bytes,
 * then decoding the envelope) and response frames out, plus small packing
 * helpers. The walk runs before msgpack-c sees a byte, so a hostile length
 * or element count never makes it allocate more than the frame's size. */
#include <inttypes.h>
#include <string.h>

#include "proto.h"
#include "utf8.h"

struct walker {
	const unsigned char *p, *end;
	struct ag_error *err;
	bool in_args;              /* walking the envelope's "args" value */
	char arg[48];              /* the args key being walked, "" if none */
};

static enum ag_err malformed(struct walker *w)
{
	return ag_error_set(w->err, AG_E_BAD_REQUEST, NULL,
		"The request is not valid MessagePack.");
}

static size_t remaining(const struct walker *w)
{
	return (size_t)(w->end - w->p);
}

/* Reads an n-byte big-endian unsigned number; false if it is not there. */
static bool read_be(struct walker *w, size_t n, uint64_t *out)
{
	if (remaining(w) < n)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | w->p[i];
	w->p += n;
	*out = v;
	return true;
}

static bool skip(struct walker *w, uint64_t n)
{
	if (remaining(w) < n)
		return false;
	w->p += n;
	return true;
}

static enum ag_err walk_str(struct walker *w, uint64_t len)
{
	if (remaining(w) < len)
		return malformed(w);
	const char *s = (const char *)w->p;
	const char *field = w->in_args && w->arg[0] ? w->arg : NULL;
	if (!ag_utf8_valid(s, (size_t)len))
		return ag_error_set(w->err, AG_E_BAD_REQUEST, field,
			"A string in the request is not valid UTF-8.");
	if (memchr(s, '\0', (size_t)len) != NULL)
		return ag_error_set(w->err, AG_E_BAD_REQUEST, field,
			"A string in the request contains a NUL character.");
	w->p += len;
	return AG_OK;
}

static enum ag_err walk_value(struct walker *w, int depth);

/* Copies the already walked map key at p into out when it is a string that
 * can name an argument (a-z, 0-9, _, shorter than out), else sets "". */
static void take_key(const unsigned char *p, const unsigned char *end, char *out,
	size_t size)
{
	out[0] = '\0';
	size_t len;
	if (p < end && *p >= 0xa0 && *p <= 0xbf) {
		len = *p & 0x1f;
		p++;
	} else if (end - p >= 2 && *p == 0xd9) {
		len = p[1];
		p += 2;
	} else {
		return;
	}
	if (len == 0 || len >= size || (size_t)(end - p) < len)
		return;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return;
	memcpy(out, p, len);
	out[len] = '\0';
}

/* A container of n elements (map entries count twice) one level deeper
 * than depth. Every element takes at least one byte, so a count larger than
 * what is left of the frame is rejected before any element is read. */
static enum ag_err walk_container(struct walker *w, int depth, uint64_t n, bool is_map)
{
	if (depth + 1 > AG_MAX_DEPTH)
		return ag_error_set(w->err, AG_E_BAD_REQUEST, NULL,
			"The request nests deeper than %d levels.", AG_MAX_DEPTH);
	uint64_t elements = is_map ? 2 * n : n;
	if (elements > remaining(w))
		return malformed(w);
	/* The envelope is the map at depth 0, args the map at depth 1. */
	bool envelope = is_map && depth == 0, args = is_map && depth == 1 && w->in_args;
	for (uint64_t i = 0; i < elements; i++) {
		const unsigned char *start = w->p;
		if (args && i % 2 == 0)
			w->arg[0] = '\0';  /* a bad key is no argument's fault */
		enum ag_err rc = walk_value(w, depth + 1);
		if (rc != AG_OK)
			return rc;
		if (i % 2 == 1 || !(envelope || args))
			continue;
		char key[sizeof w->arg];
		take_key(start, w->p, key, sizeof key);
		if (envelope)
			w->in_args = strcmp(key, "args") == 0;
		else
			memcpy(w->arg, key, sizeof key);
	}
	if (envelope)
		w->in_args = false;
	if (args)
		w->arg[0] = '\0';
	return AG_OK;
}

/* One value inside depth enclosing containers. */
static enum ag_err walk_value(struct walker *w, int depth)
{
	uint64_t n;
	if (remaining(w) < 1)
		return malformed(w);
	unsigned char b = *w->p++;

	if (b <= 0x7f || b >= 0xe0)
		return AG_OK;
	if (b <= 0x8f)
		return walk_container(w, depth, b & 0x0f, true);
	if (b <= 0x9f)
		return walk_container(w, depth, b & 0x0f, false);
	if (b <= 0xbf)
		return walk_str(w, b & 0x1f);

	switch (b) {
	case 0xc0: case 0xc2: case 0xc3:  /* nil, false, true */
		return AG_OK;
	case 0xc4: case 0xc5: case 0xc6:  /* bin 8/16/32 */
		if (!read_be(w, (size_t)1 << (b - 0xc4), &n) || !skip(w, n))
			return malformed(w);
		return AG_OK;
	case 0xc7: case 0xc8: case 0xc9:  /* ext 8/16/32: length, type, data */
		if (!read_be(w, (size_t)1 << (b - 0xc7), &n) || !skip(w, 1 + n))
			return malformed(w);
		return AG_OK;
	case 0xca: case 0xcb:             /* float 32/64 */
		return skip(w, b == 0xca ? 4 : 8) ? AG_OK : malformed(w);
	case 0xcc: case 0xcd: case 0xce: case 0xcf:  /* uint 8..64 */
		return skip(w, (uint64_t)1 << (b - 0xcc)) ? AG_OK : malformed(w);
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:  /* int 8..64 */
		return skip(w, (uint64_t)1 << (b - 0xd0)) ? AG_OK : malformed(w);
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  /* fixext 1..16 */
		return skip(w, 1 + ((uint64_t)1 << (b - 0xd4))) ? AG_OK : malformed(w);
	case 0xd9: case 0xda: case 0xdb:  /* str 8/16/32 */
		if (!read_be(w, (size_t)1 << (b - 0xd9), &n))
			return malformed(w);
		return walk_str(w, n);
	case 0xdc: case 0xdd:             /* array 16/32 */
		if (!read_be(w, b == 0xdc ? 2 : 4, &n))
			return malformed(w);
		return walk_container(w, depth, n, false);
	case 0xde: case 0xdf:             /* map 16/32 */
		if (!read_be(w, b == 0xde ? 2 : 4, &n))
			return malformed(w);
		return walk_container(w, depth, n, true);
	default:                          /* 0xc1 is never used */
		return malformed(w);
	}
}

enum ag_err ag_msgpack_walk(const void *buf, size_t len, struct ag_error *err)
{
	if (len == 0)
		return ag_error_set(err, AG_E_BAD_REQUEST, NULL, "The request is empty.");
	struct walker w = {.p = buf, .end = (const unsigned char *)buf + len, .err = err};
	enum ag_err rc = walk_value(&w, 0);
	if (rc != AG_OK)
		return rc;
	if (w.p != w.end)
		return ag_error_set(err, AG_E_BAD_REQUEST, NULL,
			"The request has bytes after its MessagePack value.");
	return AG_OK;
}

/* Reads a str header and points *s at its bytes; false when the next
 * value is not a string that is all there. */
static bool read_str(struct walker *w, const char **s, uint64_t *len)
{
	if (remaining(w) < 1)
		return false;
	unsigned char b = *w->p++;
	if (b >= 0xa0 && b <= 0xbf)
		*len = b & 0x1f;
	else if (b < 0xd9 || b > 0xdb || !read_be(w, (size_t)1 << (b - 0xd9), len))
		return false;
	*s = (const char *)w->p;
	return skip(w, *len);
}

bool ag_frame_is_upload(const void *buf, size_t len)
{
	static const char upload[] = "media.upload";
	struct ag_error scratch;
	struct walker w = {.p = buf, .end = (const unsigned char *)buf + len, .err = &scratch};
	uint64_t n;
	if (len == 0)
		return false;
	unsigned char b = *w.p++;
	if (b >= 0x80 && b <= 0x8f)
		n = b & 0x0f;
	else if ((b != 0xde && b != 0xdf) || !read_be(&w, b == 0xde ? 2 : 4, &n))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		const char *key, *op;
		uint64_t key_len, op_len;
		if (!read_str(&w, &key, &key_len))
			return false;
		if (key_len == 2 && memcmp(key, "op", 2) == 0)
			return read_str(&w, &op, &op_len) && op_len == sizeof upload - 1 &&
				memcmp(op, upload, op_len) == 0;
		if (walk_value(&w, 1) != AG_OK)
			return false;
	}
	return false;
}

enum ag_err ag_frame_check(const void *buf, size_t len, struct ag_error *err)
{
	bool too_large = len > AG_MAX_REQUEST &&
		(len > AG_MAX_UPLOAD_REQUEST || !ag_frame_is_upload(buf, len));
	if (too_large)
		return ag_error_set(err, AG_E_TOO_LARGE, NULL,
			"The request is larger than %d bytes.", AG_MAX_REQUEST);
	return ag_msgpack_walk(buf, len, err);
}

static bool key_is(const msgpack_object *key, const char *name)
{
	return key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(name) &&
		memcmp(key->via.str.ptr, name, key->via.str.size) == 0;
}

/* The envelope's keys, found in one pass over the request map. */
struct envelope {
	const msgpack_object *v, *op, *id, *auth, *idem, *args;
	const char *duplicate;  /* a key given twice, or NULL */
};

static void find_keys(const msgpack_object *map, struct envelope *env)
{
	static const char *const names[] = { "v", "op", "id", "auth", "idem", "args" };
	const msgpack_object **slots[] = {
		&env->v, &env->op, &env->id, &env->auth, &env->idem, &env->args,
	};
	memset(env, 0, sizeof *env);
	for (uint32_t k = 0; k < map->via.map.size; k++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[k];
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (!key_is(&kv->key, names[i]))
				continue;
			if (*slots[i] != NULL && env->duplicate == NULL)
				env->duplicate = names[i];
			*slots[i] = &kv->val;
		}
	}
}

/* A nil value counts as an absent key. */
static const msgpack_object *unless_nil(const msgpack_object *o)
{
	return o != NULL && o->type == MSGPACK_OBJECT_NIL ? NULL : o;
}

static enum ag_err decode_envelope(const msgpack_object *root, struct ag_request *req,
	struct ag_error *err)
{
	if (root->type != MSGPACK_OBJECT_MAP)
		return ag_error_set(err, AG_E_BAD_REQUEST, NULL, "The request must be a map.");
	struct envelope env;
	find_keys(root, &env);

	const msgpack_object *id = unless_nil(env.id);
	if (id != NULL) {
		if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return ag_error_set(err, AG_E_BAD_REQUEST, "id",
				"id must be a non-negative integer.");
		req->has_id = true;
		req->id = id->via.u64;
	}
	if (env.duplicate != NULL)
		return ag_error_set(err, AG_E_BAD_REQUEST, env.duplicate,
			"The request has the key %s more than once.", env.duplicate);

	if (env.v == NULL)
		return ag_error_set(err, AG_E_BAD_REQUEST, "v",
			"v (the protocol version) is required.");
	if (env.v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ag_error_set(err, AG_E_BAD_REQUEST, "v",
			"v must be a non-negative integer.");
	req->v = env.v->via.u64;
	if (req->v != AG_PROTOCOL_VERSION)
		return ag_error_set(err, AG_E_UNSUPPORTED_VERSION, "v",
			"Protocol version %" PRIu64 " is not supported; this server speaks version %d.",
			req->v, AG_PROTOCOL_VERSION);

	if (env.op == NULL)
		return ag_error_set(err, AG_E_BAD_REQUEST, "op", "op is required.");
	if (env.op->type != MSGPACK_OBJECT_STR)
		return ag_error_set(err, AG_E_BAD_REQUEST, "op", "op must be a string.");
	req->op = env.op->via.str.ptr;
	req->op_len = env.op->via.str.size;

	const msgpack_object *auth = unless_nil(env.auth);
	if (auth != NULL) {
		if (auth->type != MSGPACK_OBJECT_STR)
			return ag_error_set(err, AG_E_BAD_REQUEST, "auth", "auth must be a string.");
		req->auth = auth->via.str.ptr;
		req->auth_len = auth->via.str.size;
	}

	const msgpack_object *idem = unless_nil(env.idem);
	if (idem != NULL) {
		if (idem->type != MSGPACK_OBJECT_STR)
			return ag_error_set(err, AG_E_BAD_REQUEST, "idem", "idem must be a string.");
		if (idem->via.str.size < 1 || idem->via.str.size > AG_IDEM_MAX)
			return ag_error_set(err, AG_E_BAD_REQUEST, "idem",
				"idem must be 1 to %d bytes long.", AG_IDEM_MAX);
		req->idem = idem->via.str.ptr;
		req->idem_len = idem->via.str.size;
	}

	req->args = unless_nil(env.args);
	return AG_OK;
}

enum ag_err ag_request_decode(const void *buf, size_t len, struct ag_request *req,
	struct ag_error *err)
{
	memset(req, 0, sizeof *req);
	msgpack_unpacked_init(&req->un);
	enum ag_err rc = ag_frame_check(buf, len, err);
	if (rc != AG_OK)
		return rc;

	/* The unpacked strings point into the bytes they came from: keep a copy
	 * in the zone so that req->un owns everything. */
	req->un.zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	char *copy = req->un.zone ? msgpack_zone_malloc(req->un.zone, len) : NULL;
	if (copy == NULL)
		return ag_error_set(err, AG_E_INTERNAL, NULL, "The server is out of memory.");
	memcpy(copy, buf, len);
	size_t off = 0;
	if (msgpack_unpack(copy, len, &off, req->un.zone, &req->un.data) != MSGPACK_UNPACK_SUCCESS)
		return ag_error_set(err, AG_E_INTERNAL, NULL, "The request could not be decoded.");
	return decode_envelope(&req->un.data, req, err);
}

void ag_request_free(struct ag_request *req)
{
	msgpack_unpacked_destroy(&req->un);
	memset(req, 0, sizeof *req);
}

static void pack_error(msgpack_packer *pk, const struct ag_error *err)
{
	bool has_field = err->field[0] != '\0';
	bool has_retry = err->code == AG_E_RATE_LIMITED || err->code == AG_E_UNAVAILABLE;
	msgpack_pack_map(pk, 2 + (size_t)has_field + (size_t)has_retry);
	ag_pack_key(pk, "code");
	ag_pack_str(pk, ag_err_name(err->code));
	ag_pack_key(pk, "message");
	ag_pack_str(pk, err->message);
	if (has_field) {
		ag_pack_key(pk, "field");
		ag_pack_str(pk, err->field);
	}
	if (has_retry) {
		ag_pack_key(pk, "retry_after_ms");
		msgpack_pack_uint64(pk, err->retry_after_ms);
	}
}

void ag_response_pack(msgpack_sbuffer *sb, bool has_id, uint64_t id,
	const struct ag_error *err, const void *data, size_t data_len, const char *saga)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	bool version_range = err != NULL && err->code == AG_E_UNSUPPORTED_VERSION;
	msgpack_pack_map(&pk, 3 + (size_t)has_id + (size_t)version_range + (size_t)(saga != NULL));

	ag_pack_key(&pk, "v");
	msgpack_pack_uint64(&pk, AG_PROTOCOL_VERSION);
	if (has_id) {
		ag_pack_key(&pk, "id");
		msgpack_pack_uint64(&pk, id);
	}
	ag_pack_key(&pk, "ok");
	if (err == NULL) {
		msgpack_pack_true(&pk);
		ag_pack_key(&pk, "data");
		if (data != NULL)
			msgpack_sbuffer_write(sb, data, data_len);
		else
			msgpack_pack_nil(&pk);
	} else {
		msgpack_pack_false(&pk);
		ag_pack_key(&pk, "error");
		pack_error(&pk, err);
		if (version_range) {
			ag_pack_key(&pk, "data");
			msgpack_pack_map(&pk, 2);
			ag_pack_key(&pk, "min");
			msgpack_pack_uint64(&pk, AG_PROTOCOL_VERSION);
			ag_pack_key(&pk, "max");
			msgpack_pack_uint64(&pk, AG_PROTOCOL_VERSION);
		}
	}
	if (saga != NULL) {
		ag_pack_key(&pk, "saga");
		ag_pack_str(&pk, saga);
	}
}

void ag_pack_str(msgpack_packer *pk, const char *s)
{
	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_str_with_body(pk, s, strlen(s));
}

void ag_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
	if (s == NULL)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_str_with_body(pk, s, len);
}

void ag_pack_key(msgpack_packer *pk, const char *key)
{
	msgpack_pack_str_with_body(pk, key, strlen(key));
}
