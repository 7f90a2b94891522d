/* client.c: the client library: a REQ socket to a server (or several
 * instances of one, nng spreading requests over them), calls with a
 * timeout, replies decoded into struct ag_reply, and readers for the
 * MessagePack objects inside replies. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "client.h"

#define AG_CLIENT_RECV_MAX ((size_t)64 * 1024 * 1024)

struct ag_client {
	nng_socket sock;
	uint64_t next_id;
	char *auth;
};

static int client_open(struct ag_client **out, const char *url, int timeout_ms,
	const struct ag_tls *tls, bool wait)
{
	*out = NULL;
	struct ag_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NNG_ENOMEM;
	nng_duration timeout = timeout_ms > 0 ? timeout_ms : NNG_DURATION_INFINITE;
	int rv = nng_req0_open(&c->sock);
	if (rv != 0) {
		free(c);
		return rv;
	}
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, timeout)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, timeout)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, AG_CLIENT_RECV_MAX)) != 0 ||
	    (rv = ag_dial_list(c->sock, url, tls, wait ? 0 : NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(c->sock);
		free(c);
		return rv;
	}
	c->next_id = 1;
	*out = c;
	return 0;
}

int ag_client_open_tls(struct ag_client **out, const char *url, int timeout_ms,
	const struct ag_tls *tls)
{
	return client_open(out, url, timeout_ms, tls, true);
}

int ag_client_open_background(struct ag_client **out, const char *url, int timeout_ms,
	const struct ag_tls *tls)
{
	return client_open(out, url, timeout_ms, tls, false);
}

int ag_client_open(struct ag_client **out, const char *url, int timeout_ms)
{
	return ag_client_open_tls(out, url, timeout_ms, NULL);
}

void ag_client_close(struct ag_client *c)
{
	if (c == NULL)
		return;
	nng_close(c->sock);
	free(c->auth);
	free(c);
}

void ag_client_set_auth(struct ag_client *c, const char *token)
{
	free(c->auth);
	c->auth = token ? strdup(token) : NULL;
}

const char *ag_client_auth(const struct ag_client *c)
{
	return c->auth;
}

static void copy_str(char *dst, size_t size, const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
		dst[0] = '\0';
		return;
	}
	size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
	memcpy(dst, o->via.str.ptr, n);
	dst[n] = '\0';
}

/* Fills out from the reply's root map; NNG_EPROTO when it is not a
 * response frame. */
static int read_reply(struct ag_reply *out)
{
	const msgpack_object *root = &out->un.data;
	if (root->type != MSGPACK_OBJECT_MAP)
		return NNG_EPROTO;
	const msgpack_object *ok = ag_obj_get(root, "ok");
	if (ok == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN)
		return NNG_EPROTO;
	out->root = root;
	out->ok = ok->via.boolean;
	out->data = ag_obj_get(root, "data");
	copy_str(out->saga, sizeof out->saga, ag_obj_get(root, "saga"));
	if (out->ok) {
		out->code = AG_OK;
		return 0;
	}
	const msgpack_object *error = ag_obj_get(root, "error");
	const msgpack_object *code = ag_obj_get(error, "code");
	if (code == NULL || code->type != MSGPACK_OBJECT_STR)
		return NNG_EPROTO;
	copy_str(out->code_name, sizeof out->code_name, code);
	out->code = ag_err_parse(code->via.str.ptr, code->via.str.size);
	if (out->code == AG_E__COUNT)
		out->code = AG_E_INTERNAL;
	copy_str(out->message, sizeof out->message, ag_obj_get(error, "message"));
	copy_str(out->field, sizeof out->field, ag_obj_get(error, "field"));
	int64_t retry = ag_obj_int(error, "retry_after_ms");
	out->retry_after_ms = retry > 0 ? (uint64_t)retry : 0;
	return 0;
}

/* Decodes reply bytes into out, keeping a copy in out->un's zone (the
 * unpacked strings point into it). */
static int decode_reply(const void *buf, size_t len, struct ag_reply *out)
{
	out->un.zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	char *copy = out->un.zone ? msgpack_zone_malloc(out->un.zone, len) : NULL;
	if (copy == NULL)
		return NNG_ENOMEM;
	memcpy(copy, buf, len);
	size_t off = 0;
	if (msgpack_unpack(copy, len, &off, out->un.zone, &out->un.data) != MSGPACK_UNPACK_SUCCESS)
		return NNG_EPROTO;
	return read_reply(out);
}

static void reply_init(struct ag_reply *out)
{
	memset(out, 0, sizeof *out);
	msgpack_unpacked_init(&out->un);
}

int ag_client_raw(struct ag_client *c, const void *frame, size_t len, struct ag_reply *out)
{
	reply_init(out);
	int rv = nng_send(c->sock, (void *)frame, len, 0);
	if (rv != 0)
		return rv;
	void *buf = NULL;
	size_t size = 0;
	if ((rv = nng_recv(c->sock, &buf, &size, NNG_FLAG_ALLOC)) != 0)
		return rv;
	rv = decode_reply(buf, size, out);
	nng_free(buf, size);
	if (rv != 0)
		ag_reply_free(out);
	return rv;
}

int ag_client_call(struct ag_client *c, const char *op, const void *args,
	size_t args_len, const char *idem, struct ag_reply *out)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	ag_frame_pack(&sb, c->next_id++, op, c->auth, args, args_len, idem);
	int rv = ag_client_raw(c, sb.data, sb.size, out);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

int ag_client_send(struct ag_client *c, struct ag_req *r, const char *idem, struct ag_reply *out)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	if (ag_req_pack(r, &sb, c->next_id, c->auth, idem) != AG_OK) {
		msgpack_sbuffer_destroy(&sb);
		memset(out, 0, sizeof *out);
		msgpack_unpacked_init(&out->un);
		return NNG_EINVAL;   /* no id used: nothing was sent */
	}
	c->next_id++;
	int rv = ag_client_raw(c, sb.data, sb.size, out);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

/* Packs one "name:T" item of a callf format, taking its value from ap.
 * Returns false for an unknown type letter or a malformed item. */
static bool pack_format_item(msgpack_packer *pk, const char *item, size_t len, va_list *ap)
{
	if (len < 3 || item[len - 2] != ':')
		return false;
	ag_pack_strn(pk, item, len - 2);
	switch (item[len - 1]) {
	case 's':
		ag_pack_str(pk, va_arg(*ap, const char *));
		return true;
	case 'i':
		msgpack_pack_int64(pk, va_arg(*ap, int64_t));
		return true;
	case 'u':
		msgpack_pack_uint64(pk, va_arg(*ap, uint64_t));
		return true;
	case 'b':
		if (va_arg(*ap, int))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return true;
	case 'n':
		msgpack_pack_nil(pk);
		return true;
	default:
		return false;
	}
}

/* A format with no items sends no args. An invalid format returns
 * NNG_EINVAL without sending anything. */
int ag_pack_args(msgpack_sbuffer *sb, const char *fmt, va_list ap)
{
	size_t n_items = 0;
	for (const char *p = fmt ? fmt : ""; *p; ) {
		p += strspn(p, " ");
		if (*p == '\0')
			break;
		n_items++;
		p += strcspn(p, " ");
	}
	if (n_items == 0)
		return 0;
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, n_items);
	va_list aq;
	va_copy(aq, ap);
	bool valid = true;
	for (const char *p = fmt; valid && *p; ) {
		p += strspn(p, " ");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, " ");
		valid = pack_format_item(&pk, p, len, &aq);
		p += len;
	}
	va_end(aq);
	return valid ? 0 : -1;
}

int ag_client_callf(struct ag_client *c, struct ag_reply *out, const char *op,
	const char *idem, const char *fmt, ...)
{
	reply_init(out);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	int packed = ag_pack_args(&sb, fmt, ap);
	va_end(ap);
	int rv = packed != 0 ? NNG_EINVAL
		: ag_client_call(c, op, sb.size ? sb.data : NULL, sb.size, idem, out);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

void ag_reply_free(struct ag_reply *r)
{
	msgpack_unpacked_destroy(&r->un);
	reply_init(r);
}

const msgpack_object *ag_obj_get(const msgpack_object *map, const char *key)
{
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	size_t len = strlen(key);
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
		    memcmp(k->via.str.ptr, key, len) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

/* Unsigned values above INT64_MAX read as INT64_MAX. */
int64_t ag_obj_int(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = ag_obj_get(map, key);
	if (o == NULL)
		return INT64_MIN;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return o->via.u64 > INT64_MAX ? INT64_MAX : (int64_t)o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return o->via.i64;
	return INT64_MIN;
}

bool ag_obj_bool(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = ag_obj_get(map, key);
	return o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

bool ag_obj_is_nil(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = ag_obj_get(map, key);
	return o == NULL || o->type == MSGPACK_OBJECT_NIL;
}

bool ag_obj_str_eq(const msgpack_object *map, const char *key, const char *s)
{
	const msgpack_object *o = ag_obj_get(map, key);
	return o != NULL && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
		memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

char *ag_obj_strdup(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = ag_obj_get(map, key);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return strndup(o->via.str.ptr, o->via.str.size);
}

size_t ag_obj_len(const msgpack_object *arr)
{
	return arr != NULL && arr->type == MSGPACK_OBJECT_ARRAY ? arr->via.array.size : 0;
}

const msgpack_object *ag_obj_at(const msgpack_object *arr, size_t i)
{
	return i < ag_obj_len(arr) ? &arr->via.array.ptr[i] : NULL;
}
