/* proto.h: the ansigram wire protocol, version 1, in C (the contract is
 * PROTOCOL.md; protocol/README.md documents our choices where it is
 * silent). Shared by the server, the client and every test: the op table,
 * error codes, argument validation, frame decoding and response encoding.
 * No SQL and no curses here. */
#ifndef AG_PROTO_H
#define AG_PROTO_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AG_PROTOCOL_VERSION 1
#define AG_MAX_REQUEST (64 * 1024)  /* larger requests get too_large */
/* media.upload alone may be this large: 8 MiB of image and 4 KiB of the rest. */
#define AG_MAX_UPLOAD_DATA (8 * 1024 * 1024)
#define AG_MAX_UPLOAD_REQUEST (AG_MAX_UPLOAD_DATA + 4 * 1024)
#define AG_MAX_DEPTH 8              /* deeper nesting is bad_request */
#define AG_MAX_ARGS 8               /* most args any op declares */
#define AG_IDEM_MAX 64              /* idempotency key bytes */

enum ag_err {
	AG_OK = 0,
	AG_E_BAD_REQUEST,
	AG_E_UNSUPPORTED_VERSION,
	AG_E_UNKNOWN_OP,
	AG_E_UNAUTHORIZED,
	AG_E_FORBIDDEN,
	AG_E_NOT_FOUND,
	AG_E_CONFLICT,
	AG_E_RATE_LIMITED,
	AG_E_TOO_LARGE,
	AG_E_INTERNAL,
	AG_E_UNAVAILABLE,
	AG_E__COUNT
};

/* The wire name of a code ("bad_request"), and back (AG_E__COUNT if unknown). */
const char *ag_err_name(enum ag_err code);
enum ag_err ag_err_parse(const char *name, size_t len);

struct ag_error {
	enum ag_err code;
	char message[256];
	char field[48];            /* "" when no argument is to blame */
	uint64_t retry_after_ms;   /* rate_limited only */
};

/* Fills e and returns code, so handlers can `return ag_error_set(...)`. */
enum ag_err ag_error_set(struct ag_error *e, enum ag_err code, const char *field,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- the op table (ops.def) ---- */

enum ag_auth { AG_AUTH_NONE, AG_AUTH_OPT, AG_AUTH_REQ, AG_AUTH_GATEWAY };
enum ag_arg_type { AG_T_ID, AG_T_INT, AG_T_STR, AG_T_BOOL, AG_T_BIN };
enum ag_str_rule {
	AG_R_NONE,
	AG_R_USERNAME,      /* a-z 0-9 . _ (upper case accepted, folded) */
	AG_R_EMAIL,         /* one @, a dot in the domain, no spaces */
	AG_R_PASSWORD,      /* length counted in bytes, not code points */
	AG_R_LINE,          /* single line: no control characters at all */
	AG_R_TEXT,          /* multi-line: \n and \t are the only controls */
	AG_R_NONBLANK_TEXT, /* TEXT that is not only white space */
	AG_R_URL,           /* http:// or https://, single line ("" allowed) */
	AG_R_ANY,           /* anything the frame allows (login fields) */
};

#define AG_A_OPT 0u
#define AG_A_REQ 1u
#define AG_A_NULLABLE 2u

struct ag_arg_spec {
	const char *name;
	enum ag_arg_type type;
	unsigned flags;       /* AG_A_* */
	int64_t min, max;     /* INT: value range; STR: length range */
	int64_t dflt;         /* OPT INT: the value when absent (limit: page size) */
	enum ag_str_rule rule;
	const char *help;
};

enum ag_op_id {
#define AG_OP(id, ...) AG_OP_##id,
#include "ops.def"
#undef AG_OP
	AG_OP__COUNT
};

struct ag_op_spec {
	enum ag_op_id id;
	const char *name;         /* "post.create" */
	enum ag_auth auth;
	bool saga;
	const char *summary;
	const struct ag_arg_spec *args;
	size_t n_args;
};

extern const struct ag_op_spec ag_ops[AG_OP__COUNT];

const struct ag_op_spec *ag_op_find(const char *name, size_t len);
const struct ag_arg_spec *ag_op_arg(const struct ag_op_spec *op, const char *name);

/* ---- validated arguments ---- */

struct ag_argval {
	bool present;   /* the key was in args */
	bool nil;       /* it was nil (NULLABLE args only) */
	int64_t i;      /* ID and INT */
	bool b;         /* BOOL */
	char *s;        /* STR: NUL-terminated copy, owned by ag_args; BIN in an
	                 * ag_req (request.h): a copy it owns */
	size_t len;     /* STR and BIN: bytes */
	const void *bin;/* BIN in ag_args: points into the request, not owned */
};

struct ag_args {
	const struct ag_op_spec *op;
	struct ag_argval v[AG_MAX_ARGS];  /* in the op's arg order */
};

/* Checks args (a map, or NULL for absent) against op's spec: types, ranges,
 * string rules, required args. Unknown keys are ignored. On failure fills
 * err (bad_request with the field) and returns its code; out then holds
 * nothing to free. */
enum ag_err ag_args_decode(const struct ag_op_spec *op, const msgpack_object *args,
	struct ag_args *out, struct ag_error *err);
void ag_args_free(struct ag_args *a);

/* Accessors by arg name; the name must be one the op declares. */
bool ag_arg_present(const struct ag_args *a, const char *name);
int64_t ag_arg_int(const struct ag_args *a, const char *name, int64_t dflt);
bool ag_arg_bool(const struct ag_args *a, const char *name, bool dflt);
/* NULL when absent or nil. */
const char *ag_arg_str(const struct ag_args *a, const char *name);
/* A BIN arg's bytes (valid while the request they came in lives) and
 * their count in *len; NULL when absent. */
const void *ag_arg_bin(const struct ag_args *a, const char *name, size_t *len);

/* Checks one string against a rule and a length range (code points, or
 * bytes for PASSWORD). On failure writes a short sentence to why. */
bool ag_validate_str(enum ag_str_rule rule, const char *s, size_t len,
	int64_t min, int64_t max, char *why, size_t why_size);

/* Unicode White_Space. */
bool ag_is_white_space(uint32_t cp);
/* s (valid UTF-8) is empty or holds only white space. */
bool ag_text_is_blank(const char *s, size_t len);

/* ---- frames ---- */

/* Walks bytes without allocating: exactly one MessagePack value, every
 * length inside the buffer, nesting at most AG_MAX_DEPTH, strings valid
 * UTF-8 without NUL. Returns AG_OK or bad_request with err filled. Run it
 * before msgpack_unpack on anything from the network: a count msgpack-c
 * would trust is checked here against the bytes that are really there. */
enum ag_err ag_msgpack_walk(const void *buf, size_t len, struct ag_error *err);
/* ag_msgpack_walk for a request frame: too_large over AG_MAX_REQUEST,
 * except a media.upload request, which may reach AG_MAX_UPLOAD_REQUEST. */
enum ag_err ag_frame_check(const void *buf, size_t len, struct ag_error *err);
/* True when buf holds a request map whose op is media.upload (the one op
 * allowed past AG_MAX_REQUEST); it reads only the top-level map. */
bool ag_frame_is_upload(const void *buf, size_t len);

struct ag_request {
	msgpack_unpacked un;       /* owns everything below */
	uint64_t v;
	bool has_id;
	uint64_t id;
	const char *op;            /* not NUL-terminated: use op_len */
	size_t op_len;
	const char *auth;          /* NULL when absent */
	size_t auth_len;
	const char *idem;          /* NULL when absent */
	size_t idem_len;
	const msgpack_object *args;/* NULL when absent */
};

/* Decodes and checks a request frame. On error fills err; req->has_id/id
 * are still set when the id could be read, so the reply can echo it.
 * Always call ag_request_free afterwards. unsupported_version is checked
 * here; unknown_op is the caller's (it owns the table lookup). */
enum ag_err ag_request_decode(const void *buf, size_t len, struct ag_request *req,
	struct ag_error *err);
void ag_request_free(struct ag_request *req);

/* Packs a whole response frame into sb. err NULL = ok with data (data_len
 * bytes of one packed value; NULL = nil). saga NULL = no saga key. */
void ag_response_pack(msgpack_sbuffer *sb, bool has_id, uint64_t id,
	const struct ag_error *err, const void *data, size_t data_len, const char *saga);

/* ---- packing helpers ---- */

void ag_pack_str(msgpack_packer *pk, const char *s);  /* nil when NULL */
void ag_pack_strn(msgpack_packer *pk, const char *s, size_t len);
void ag_pack_key(msgpack_packer *pk, const char *key);

#endif
