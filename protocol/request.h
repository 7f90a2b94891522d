/* request.h: building a request from the op table, for clients. An ag_req
 * names an op; its args are set by name and checked at once against the
 * op's types, ranges and string rules (the checks the server makes), then
 * packed as the args map or as a whole request frame. Nothing here prints
 * or exits: a failure returns its code and leaves the reason in r->error,
 * whose field is the arg and whose message is a phrase that follows the
 * arg's name ("wants a whole number from 1 to 100, not '500'").
 *
 *     struct ag_req r;
 *     ag_req_init(&r, "post.like");
 *     if (ag_req_set_int(&r, "post_id", id) != AG_OK)
 *             show(r.error.field, r.error.message);
 *     ag_req_pack(&r, &sb, next_id, token, NULL);
 *     ag_req_free(&r);
 */
#ifndef AG_REQUEST_H
#define AG_REQUEST_H

#include "proto.h"

struct ag_req {
	const struct ag_op_spec *op;      /* NULL after a failed init */
	struct ag_argval v[AG_MAX_ARGS];  /* in the op's arg order; strings owned */
	struct ag_error error;            /* why the last call failed */
};

/* Starts a request for op_name with no args. unknown_op when the table has
 * no such op (r->op is then NULL and only ag_req_free may follow). */
enum ag_err ag_req_init(struct ag_req *r, const char *op_name);
/* Frees the strings (zeroed first: they may be passwords). */
void ag_req_free(struct ag_req *r);

/* Setters. Each checks the value against the arg's spec and replaces any
 * earlier value; on failure (bad_request: an arg the op does not have, a
 * wrong type, out of range, a string rule broken) r is unchanged. */
enum ag_err ag_req_set_int(struct ag_req *r, const char *arg, int64_t value);  /* ID, INT */
enum ag_err ag_req_set_bool(struct ag_req *r, const char *arg, bool value);
/* STR; "" on a nullable arg sets nil (clears the field). */
enum ag_err ag_req_set_str(struct ag_req *r, const char *arg, const char *s);
/* BIN: a copy of len bytes of data. */
enum ag_err ag_req_set_bin(struct ag_req *r, const char *arg, const void *data, size_t len);
/* Nil, for nullable args only. */
enum ag_err ag_req_set_nil(struct ag_req *r, const char *arg);
/* Any type from text as a person types it: a decimal number for ID and
 * INT, true or false for BOOL, the text itself for STR, the text's bytes
 * for BIN (a file's contents go through ag_req_set_bin). */
enum ag_err ag_req_set_text(struct ag_req *r, const char *arg, const char *text);
/* Takes an arg out of the request again. */
void ag_req_unset(struct ag_req *r, const char *arg);

/* Whether arg is set (to a value or nil). */
bool ag_req_has(const struct ag_req *r, const char *arg);
/* The string value of arg, or NULL when it is not set or nil. */
const char *ag_req_str(const struct ag_req *r, const char *arg);
/* The integer value of an ID or INT arg; 0 when it is not set. */
int64_t ag_req_int(const struct ag_req *r, const char *arg);

/* bad_request naming the first required arg that is not set ("is
 * required"), else AG_OK. */
enum ag_err ag_req_check(struct ag_req *r);
/* Packs the args that are set as one map into sb; false (nothing packed)
 * when none is set, as a request then carries no args key. */
bool ag_req_pack_args(const struct ag_req *r, msgpack_sbuffer *sb);
/* Packs a whole request frame into sb: v, id, op, auth (NULL: none), args
 * and idem (NULL: none). Fails as ag_req_check does, packing nothing. */
enum ag_err ag_req_pack(struct ag_req *r, msgpack_sbuffer *sb, uint64_t id, const char *auth,
	const char *idem);
/* The frame under ag_req_pack, for args packed already (or raw, as tests
 * send): v, id, op, then auth, args and idem when not NULL. No checks. */
void ag_frame_pack(msgpack_sbuffer *sb, uint64_t id, const char *op, const char *auth,
	const void *args, size_t args_len, const char *idem);

#endif
