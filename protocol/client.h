/* client.h: the ansigram client library: connect to a server URL, call
 * ops with a timeout, read replies. Used by the CLI, the TUI and tests. */
#ifndef AG_CLIENT_H
#define AG_CLIENT_H

#include <stdarg.h>

#include "dial.h"
#include "proto.h"
#include "request.h"

struct ag_client;

/* Dials url with a REQ socket; calls wait up to timeout_ms (<= 0: for
 * ever). url may list several instances of one server, comma-separated
 * (ag_dial_list): requests go to those that answer, and one in flight
 * when its instance goes away is sent again to another. Returns 0, or an
 * nng error number. */
int ag_client_open(struct ag_client **out, const char *url, int timeout_ms);
/* As ag_client_open; for tls+tcp:// URLs with tls->ca_file, the server's
 * certificate must chain to that CA and carry the server name (see
 * dial.h). tls NULL: dial as ag_client_open does. */
int ag_client_open_tls(struct ag_client **out, const char *url, int timeout_ms,
	const struct ag_tls *tls);
/* As ag_client_open_tls, but does not wait for the server: a server that
 * is not there yet is dialed again in the background (with back-off, at
 * most 2 s apart), and calls wait for it up to their timeout. Fails only
 * for a URL or TLS set-up that can never work. */
int ag_client_open_background(struct ag_client **out, const char *url, int timeout_ms,
	const struct ag_tls *tls);
void ag_client_close(struct ag_client *c);
/* The session token sent as `auth` with every call (NULL: none). */
void ag_client_set_auth(struct ag_client *c, const char *token);
const char *ag_client_auth(const struct ag_client *c);

struct ag_reply {
	msgpack_unpacked un;          /* owns root and data */
	const msgpack_object *root;   /* the whole response map */
	const msgpack_object *data;   /* NULL when absent; may be nil */
	bool ok;
	enum ag_err code;             /* AG_OK when ok */
	char code_name[32];           /* the code as sent */
	char message[256];
	char field[48];
	uint64_t retry_after_ms;
	char saga[72];                /* "" when absent */
};

/* Sends one request and waits for its reply. args: one packed map (or
 * NULL); idem: idempotency key or NULL. Returns 0 when a reply arrived (ok
 * or not: see out->ok), else an nng error number (timeout, closed) or
 * NNG_EPROTO for an unreadable reply. Free out with ag_reply_free. */
int ag_client_call(struct ag_client *c, const char *op, const void *args,
	size_t args_len, const char *idem, struct ag_reply *out);

/* Sends a request built with the request builder (request.h), packed by
 * ag_req_pack with the client's auth; as ag_client_call otherwise.
 * NNG_EINVAL, sending nothing, when r fails ag_req_check. */
int ag_client_send(struct ag_client *c, struct ag_req *r, const char *idem, struct ag_reply *out);

/* Like ag_client_call, with args built from a format: space-separated
 * "name:T" where T is s (const char *, NULL packs nil), i (int64_t),
 * u (uint64_t), b (int, as bool) or n (nil, takes no argument).
 * Example: ag_client_callf(c, &r, "post.like", NULL, "post_id:i", id). */
int ag_client_callf(struct ag_client *c, struct ag_reply *out, const char *op,
	const char *idem, const char *fmt, ...);

/* Packs the args map of a callf format into sb (nothing for an empty
 * format). Returns 0, or -1 for a malformed format. */
int ag_pack_args(msgpack_sbuffer *sb, const char *fmt, va_list ap);

/* Sends bytes as they are and decodes the reply (for tests of bad frames). */
int ag_client_raw(struct ag_client *c, const void *frame, size_t len, struct ag_reply *out);

void ag_reply_free(struct ag_reply *r);

/* Reading replies. All accept NULL and non-maps gracefully. */
const msgpack_object *ag_obj_get(const msgpack_object *map, const char *key);
int64_t ag_obj_int(const msgpack_object *map, const char *key); /* INT64_MIN if absent */
bool ag_obj_bool(const msgpack_object *map, const char *key);   /* false if absent */
bool ag_obj_is_nil(const msgpack_object *map, const char *key); /* true if nil or absent */
bool ag_obj_str_eq(const msgpack_object *map, const char *key, const char *s);
char *ag_obj_strdup(const msgpack_object *map, const char *key); /* malloc'd, NULL if not str */
size_t ag_obj_len(const msgpack_object *arr);                   /* 0 if not an array */
const msgpack_object *ag_obj_at(const msgpack_object *arr, size_t i);

#endif
