/* test_hostile.c: a corpus of hostile requests generated from the op table
 * (protocol/ops.def through ag_ops): for every op and every argument,
 * every wrong MessagePack type, every integer encoding with boundary
 * values, invalid UTF-8, NUL, control and bidi characters, and frames
 * sized around 64 KiB and 1 MiB. Each case has its exact expected
 * outcome (PROTOCOL.md sections 2 and 4, protocol/README.md): the error
 * code and `field`, or for values the contract accepts, the same answer
 * as the request with a plain value gets. The database (every row of the
 * tables people see, the saga log, idempotency records) must not change:
 * checked around every case of an op that could write, and around each
 * op's cases otherwise.
 *
 * Values the contract accepts are only sent where the request cannot
 * change anything (the op has a required id naming nothing, or it only
 * reads). Every mismatch is printed as "OP ARG VARIANT: got ..., want ..."
 * and fails the run. */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

H_SERVER_PER_FILE(NULL)
TestSuite(hostile, .fini = h_test_fini, .timeout = 240);

/* Ids at or above this name nothing in this file's database. */
#define NO_SUCH_ID 100
#define DROP_TIMEOUT_MS 1500

static struct h_user me;
static long n_cases, n_pass, n_unexpected, n_skipped;

/* ---- values ---- */

/* A packed MessagePack value. */
struct val {
	unsigned char b[16];
	size_t n;
};

static struct val bytes(const void *p, size_t n)
{
	struct val v = {.n = n};
	memcpy(v.b, p, n);
	return v;
}

/* An integer: neg ? -mag : mag, mag up to 2^64-1. */
struct num {
	bool neg;
	uint64_t mag;
};

/* -1, 0 or 1 as x is below, at or above v. */
static int num_cmp(struct num x, int64_t v)
{
	if (x.neg && x.mag != 0) {
		if (v >= 0)
			return -1;
		uint64_t v_mag = (uint64_t)(-(v + 1)) + 1;
		return x.mag > v_mag ? -1 : x.mag < v_mag;
	}
	if (v < 0)
		return 1;
	return x.mag > (uint64_t)v ? 1 : -(x.mag < (uint64_t)v);
}

static bool num_in(struct num x, int64_t lo, int64_t hi)
{
	return num_cmp(x, lo) >= 0 && num_cmp(x, hi) <= 0;
}

enum enc { E_FIXPOS, E_FIXNEG, E_U8, E_U16, E_U32, E_U64, E_I8, E_I16, E_I32, E_I64, E__COUNT };
static const char *const enc_names[E__COUNT] = {
	"positive fixint", "negative fixint", "uint8", "uint16", "uint32", "uint64",
	"int8", "int16", "int32", "int64",
};

/* Packs x with encoding e; false when e cannot hold x. */
static bool pack_num(struct num x, enum enc e, struct val *out)
{
	static const uint64_t umax[] = {[E_U8] = UINT8_MAX, [E_U16] = UINT16_MAX,
		[E_U32] = UINT32_MAX, [E_U64] = UINT64_MAX, [E_I8] = INT8_MAX, [E_I16] = INT16_MAX,
		[E_I32] = INT32_MAX, [E_I64] = INT64_MAX};
	static const unsigned char tag[] = {[E_U8] = 0xcc, [E_U16] = 0xcd, [E_U32] = 0xce,
		[E_U64] = 0xcf, [E_I8] = 0xd0, [E_I16] = 0xd1, [E_I32] = 0xd2, [E_I64] = 0xd3};
	static const int width[] = {[E_U8] = 1, [E_U16] = 2, [E_U32] = 4, [E_U64] = 8,
		[E_I8] = 1, [E_I16] = 2, [E_I32] = 4, [E_I64] = 8};
	uint64_t raw;
	switch (e) {
	case E_FIXPOS:
		if (x.neg || x.mag > 127)
			return false;
		*out = (struct val){.b = {(unsigned char)x.mag}, .n = 1};
		return true;
	case E_FIXNEG:
		if (!x.neg || x.mag > 32 || x.mag == 0)
			return false;
		*out = (struct val){.b = {(unsigned char)(0x100 - x.mag)}, .n = 1};
		return true;
	case E_U8: case E_U16: case E_U32: case E_U64:
		if (x.neg || x.mag > umax[e])
			return false;
		raw = x.mag;
		break;
	default:
		/* A signed width holds -(max + 1) .. max. */
		if (x.mag > umax[e] + (x.neg ? 1 : 0))
			return false;
		raw = x.neg ? (uint64_t)0 - x.mag : x.mag;
		break;
	}
	out->b[0] = tag[e];
	out->n = 1 + (size_t)width[e];
	for (int i = 0; i < width[e]; i++)
		out->b[1 + i] = (unsigned char)(raw >> (8 * (width[e] - 1 - i)));
	return true;
}

static struct val canonical_num(struct num x)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (x.neg)
		msgpack_pack_int64(&pk, (int64_t)((uint64_t)0 - x.mag));
	else
		msgpack_pack_uint64(&pk, x.mag);
	struct val v = bytes(sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return v;
}

static const char *num_text(struct num x)
{
	return h_fmt("%s%llu", x.neg ? "-" : "", (unsigned long long)x.mag);
}

/* ---- requests ---- */

/* What goes in one request's args besides the base values. */
struct override {
	const struct ag_arg_spec *arg;   /* the argument under test (NULL: none) */
	const void *raw;                 /* its packed value ... */
	size_t raw_len;
	const char *str;                 /* ... or a string of str_len bytes */
	size_t str_len;
	size_t pad;                      /* bytes of an extra, unknown "pad" string */
};

/* A valid value for a required argument: ids name nothing, strings pass
 * their rule. unique keeps login accounts apart (each has its own
 * failure count). */
static void pack_base(msgpack_packer *pk, const struct ag_arg_spec *a, const char *unique)
{
	switch (a->type) {
	case AG_T_ID:
		msgpack_pack_uint64(pk, 70001);
		return;
	case AG_T_INT:
		msgpack_pack_int64(pk, a->min);
		return;
	case AG_T_BOOL:
		msgpack_pack_false(pk);
		return;
	case AG_T_BIN:  /* a few bytes that are no image */
		msgpack_pack_bin(pk, 7);
		msgpack_pack_bin_body(pk, "hostile", 7);
		return;
	case AG_T_STR:
		break;
	}
	switch (a->rule) {
	case AG_R_USERNAME: ag_pack_str(pk, h_fmt("hostile_%s", unique)); return;
	case AG_R_EMAIL: ag_pack_str(pk, h_fmt("hostile_%s@example.com", unique)); return;
	case AG_R_PASSWORD: ag_pack_str(pk, "password123"); return;
	case AG_R_URL: ag_pack_str(pk, "https://example.com/a.jpg"); return;
	case AG_R_ANY: ag_pack_str(pk, h_fmt("nobody_%s", unique)); return;
	default: ag_pack_str(pk, "hostile"); return;
	}
}

static void pack_request(msgpack_sbuffer *sb, const struct ag_op_spec *op,
	const struct override *o, const char *unique)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	ag_pack_key(&pk, "v");
	msgpack_pack_uint64(&pk, 1);
	ag_pack_key(&pk, "op");
	ag_pack_str(&pk, op->name);
	ag_pack_key(&pk, "auth");
	ag_pack_str(&pk, me.token);
	ag_pack_key(&pk, "args");
	size_t n = (o->arg ? 1 : 0) + (o->pad ? 1 : 0);
	for (size_t i = 0; i < op->n_args; i++)
		n += (op->args[i].flags & AG_A_REQ) && &op->args[i] != o->arg;
	msgpack_pack_map(&pk, n);
	for (size_t i = 0; i < op->n_args; i++) {
		if (!(op->args[i].flags & AG_A_REQ) || &op->args[i] == o->arg)
			continue;
		ag_pack_key(&pk, op->args[i].name);
		pack_base(&pk, &op->args[i], unique);
	}
	if (o->arg) {
		ag_pack_key(&pk, o->arg->name);
		if (o->raw)
			msgpack_sbuffer_write(sb, o->raw, o->raw_len);
		else
			ag_pack_strn(&pk, o->str, o->str_len);
	}
	if (o->pad) {
		static char pad[2 * 1024 * 1024];
		memset(pad, 'p', sizeof pad);
		ag_pack_key(&pk, "pad");
		ag_pack_strn(&pk, pad, o->pad);
	}
}

/* ---- expectations ---- */

enum expect_kind {
	X_ERROR,          /* exactly this code and field */
	X_AS_REFERENCE,   /* exactly as the reference request is answered */
	X_TOO_LARGE_OR_DROP,
};

struct expect {
	enum expect_kind kind;
	enum ag_err code;
	const char *field;
	const struct override *reference;
};

static const char *outcome(int rv, const struct ag_reply *r)
{
	if (rv != 0)
		return h_fmt("no reply (%s)", nng_strerror(rv));
	if (r->ok)
		return "ok";
	return h_fmt("%s field \"%s\"", r->code_name, r->field);
}

/* Whether a request like this one may run for real: it then changes
 * nothing, because a required id names nothing or the op only reads. */
static bool harmless(const struct ag_op_spec *op)
{
	for (size_t i = 0; i < op->n_args; i++)
		if (op->args[i].type == AG_T_ID && (op->args[i].flags & AG_A_REQ))
			return true;
	static const char *const writers_without_id[] = {
		"auth.register", "auth.logout", "user.update", "notification.mark_all_read",
	};
	if (op->saga)
		return false;
	for (size_t i = 0; i < sizeof writers_without_id / sizeof writers_without_id[0]; i++)
		if (strcmp(op->name, writers_without_id[i]) == 0)
			return false;
	return true;
}

/* Replaces me.c after a call without a reply (no new session: the
 * sessions table is part of the fingerprint). */
static void fresh_client(void)
{
	me.c = h_client();  /* the harness closes both at the end */
	ag_client_set_auth(me.c, me.token);
}

static uint64_t db_fingerprint(void);

struct isolated_call {
	char *frame;   /* a copy: the thread may outlive the caller's buffer */
	size_t len;
	struct ag_reply r;
	int rv;
	atomic_bool done;
};

static void *isolated_main(void *arg)
{
	struct isolated_call *ic = arg;
	struct ag_client *c;
	ic->rv = ag_client_open(&c, h_url(), DROP_TIMEOUT_MS);
	if (ic->rv == 0)
		ic->rv = ag_client_raw(c, ic->frame, ic->len, &ic->r);
	/* Closed only when answered: after a dropped connection nng 1.5.2's
	 * nng_close now and then never returns, and then neither does any
	 * later close in the process (the harness's at the end of the test).
	 * The process ends right after the test, which releases it. */
	if (ic->rv == 0)
		ag_client_close(c);
	atomic_store(&ic->done, true);
	return NULL;
}

/* Sends a frame on a new client (left open if dropped: see isolated_main) in a
 * thread, waited for at most 3 * DROP_TIMEOUT_MS: after the server drops
 * a connection, nng 1.5.2's REQ socket now and then never returns from
 * its receive, timeout or not. Such a thread is left behind (the test
 * process ends soon). */
static int call_isolated(const msgpack_sbuffer *sb, struct ag_reply *out)
{
	struct isolated_call *ic = calloc(1, sizeof *ic);
	cr_assert_not_null(ic);
	ic->frame = malloc(sb->size);
	cr_assert_not_null(ic->frame);
	memcpy(ic->frame, sb->data, sb->size);
	ic->len = sb->size;
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, isolated_main, ic), 0);
	for (int waited = 0; !atomic_load(&ic->done); waited += 10) {
		if (waited >= 3 * DROP_TIMEOUT_MS) {
			pthread_detach(th);
			return NNG_ETIMEDOUT;  /* ic stays with the thread */
		}
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	pthread_join(th, NULL);
	int rv = ic->rv;
	if (rv == 0)
		*out = ic->r;
	free(ic->frame);
	free(ic);
	return rv;
}

static int send_frame(struct ag_client *c, const msgpack_sbuffer *sb, struct ag_reply *r)
{
	return ag_client_raw(c, sb->data, sb->size, r);
}

/* Runs one case and tallies it; frame_size > 0 pads the frame (through
 * o->str's length, or o->pad) to exactly that many bytes. */
static void run_case(const struct ag_op_spec *op, struct override o, size_t frame_size,
	struct expect x, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void run_case(const struct ag_op_spec *op, struct override o, size_t frame_size,
	struct expect x, const char *fmt, ...)
{
	char variant[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(variant, sizeof variant, fmt, ap);
	va_end(ap);
	const char *name = h_fmt("%s %s %s", op->name, o.arg ? o.arg->name : "-", variant);
	if (x.kind == X_AS_REFERENCE && !harmless(op)) {
		n_skipped++;
		return;
	}
	n_cases++;
	const char *unique = h_fmt("%ld", n_cases);
	/* An op that could write is watched case by case. */
	uint64_t fp_before = harmless(op) ? 0 : db_fingerprint();
	msgpack_sbuffer sb;
	pack_request(&sb, op, &o, unique);
	if (frame_size) {
		/* Grow the padding until the frame is exactly frame_size (a
		 * string's header widens as it grows). */
		for (int tries = 0; sb.size != frame_size && tries < 6; tries++) {
			long diff = (long)frame_size - (long)sb.size;
			if (o.pad)
				o.pad = (size_t)((long)o.pad + diff);
			else
				o.str_len = (size_t)((long)o.str_len + diff);
			msgpack_sbuffer_destroy(&sb);
			pack_request(&sb, op, &o, unique);
		}
		cr_assert_eq(sb.size, frame_size, "%s: cannot pad the frame to %zu bytes", name,
			frame_size);
	}
	/* Near 1 MiB a frame may cost the connection: a client of its own,
	 * in a thread of its own. */
	struct ag_reply r;
	bool isolated = frame_size > 1024 * 1024 - 16;
	int rv = isolated ? call_isolated(&sb, &r) : send_frame(me.c, &sb, &r);
	msgpack_sbuffer_destroy(&sb);

	bool pass;
	const char *want;
	if (x.kind == X_ERROR) {
		pass = rv == 0 && !r.ok && r.code == x.code && strcmp(r.field, x.field) == 0;
		want = h_fmt("%s field \"%s\"", ag_err_name(x.code), x.field);
	} else if (x.kind == X_TOO_LARGE_OR_DROP) {
		pass = rv != 0 || (!r.ok && r.code == AG_E_TOO_LARGE && !r.field[0]);
		want = "too_large field \"\", or the connection dropped";
	} else {
		msgpack_sbuffer ref;
		pack_request(&ref, op, x.reference, unique);
		struct ag_reply rr;
		int rrv = send_frame(me.c, &ref, &rr);
		msgpack_sbuffer_destroy(&ref);
		want = h_fmt("as the plain request: %s", outcome(rrv, &rr));
		pass = rv == 0 && rrv == 0 && r.ok == rr.ok && r.code == rr.code &&
			strcmp(r.field, rr.field) == 0;
		if (rrv == 0)
			ag_reply_free(&rr);
	}
	const char *got = outcome(rv, &r);
	if (rv == 0)
		ag_reply_free(&r);
	if (!harmless(op) && db_fingerprint() != fp_before) {
		pass = false;
		got = h_fmt("%s, and the database changed", got);
	}
	if (!isolated && rv != 0)
		fresh_client();

	if (pass) {
		n_pass++;
	} else {
		n_unexpected++;
		fprintf(stderr, "hostile: UNEXPECTED: %s: got %s, want %s\n", name, got, want);
	}
}

static struct expect bad(const struct ag_arg_spec *a)
{
	return (struct expect){.kind = X_ERROR, .code = AG_E_BAD_REQUEST, .field = a->name};
}

static struct expect as_reference(const struct override *ref)
{
	return (struct expect){.kind = X_AS_REFERENCE, .reference = ref};
}

/* ---- the corpus ---- */

static const struct { const char *name; struct val v; } wrong_types[] = {
	{"nil", {{0xc0}, 1}},
	{"true", {{0xc3}, 1}},
	{"false", {{0xc2}, 1}},
	{"int 70002", {{0xce, 0x00, 0x01, 0x11, 0x72}, 5}},
	{"negative int -7", {{0xf9}, 1}},
	{"float64 1.5", {{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 9}},
	{"float64 70002.0", {{0xcb, 0x40, 0xf1, 0x17, 0x20, 0, 0, 0, 0}, 9}},
	{"float32 2.0", {{0xca, 0x40, 0x00, 0x00, 0x00}, 5}},
	{"str \"7\"", {{0xa1, '7'}, 2}},
	{"empty str", {{0xa0}, 1}},
	{"bin", {{0xc4, 0x01, 0x07}, 3}},
	{"empty array", {{0x90}, 1}},
	{"array [1]", {{0x91, 0x01}, 2}},
	{"empty map", {{0x80}, 1}},
	{"map {a: 1}", {{0x81, 0xa1, 'a', 0x01}, 4}},
	{"ext", {{0xd4, 0x01, 0x07}, 3}},
};

/* Whether value i of wrong_types is a valid value for a (those are not
 * hostile: integers are covered by integers_of, strings by strings_of). */
static bool right_type(const struct ag_arg_spec *a, size_t i)
{
	const char *n = wrong_types[i].name;
	if (strcmp(n, "nil") == 0)
		return a->flags & AG_A_NULLABLE;
	switch (a->type) {
	case AG_T_ID:
		return strcmp(n, "int 70002") == 0;
	case AG_T_INT:
		return strcmp(n, "int 70002") == 0 && num_in((struct num){false, 70002}, a->min, a->max);
	case AG_T_BOOL:
		return strcmp(n, "true") == 0 || strcmp(n, "false") == 0;
	case AG_T_STR:
		return strncmp(n, "str", 3) == 0 || strcmp(n, "empty str") == 0;
	case AG_T_BIN:
		return strcmp(n, "bin") == 0;
	}
	return false;
}

static void types_of(const struct ag_op_spec *op, const struct ag_arg_spec *a)
{
	for (size_t i = 0; i < sizeof wrong_types / sizeof wrong_types[0]; i++) {
		if (right_type(a, i))
			continue;
		struct override o = {.arg = a, .raw = wrong_types[i].v.b, .raw_len = wrong_types[i].v.n};
		run_case(op, o, 0, bad(a), "type %s", wrong_types[i].name);
	}
}

static void integers_of(const struct ag_op_spec *op, const struct ag_arg_spec *a)
{
	if (a->type != AG_T_ID && a->type != AG_T_INT)
		return;
	int64_t lo = a->type == AG_T_ID ? 1 : a->min, hi = a->type == AG_T_ID ? INT64_MAX : a->max;
	struct num values[] = {
		{false, 0}, {true, 1}, {false, 127}, {false, 128}, {false, 255}, {false, 256},
		{false, 32767}, {false, 32768}, {false, 65535}, {false, 65536},
		{false, INT32_MAX}, {false, (uint64_t)INT32_MAX + 1}, {false, UINT32_MAX},
		{false, (uint64_t)UINT32_MAX + 1}, {false, INT64_MAX}, {false, (uint64_t)INT64_MAX + 1},
		{false, UINT64_MAX}, {true, 32}, {true, 33}, {true, 128}, {true, 129}, {true, 32768},
		{true, 32769}, {true, (uint64_t)INT32_MAX + 1}, {true, (uint64_t)INT32_MAX + 2},
		{true, (uint64_t)INT64_MAX + 1},
		/* the argument's own bounds and their neighbours */
		{lo - 1 < 0, lo - 1 < 0 ? (uint64_t)(-(lo - 1)) : (uint64_t)(lo - 1)},
		{lo < 0, lo < 0 ? (uint64_t)(-lo) : (uint64_t)lo},
		{false, (uint64_t)hi}, {false, (uint64_t)hi + 1},
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct num x = values[i];
		bool valid = num_in(x, lo, hi);
		/* Small valid ids may name real rows: only ids that cannot. */
		if (valid && a->type == AG_T_ID && x.mag < NO_SUCH_ID)
			continue;
		struct val plain = canonical_num(x);
		struct override ref = {.arg = a, .raw = plain.b, .raw_len = plain.n};
		for (enum enc e = 0; e < E__COUNT; e++) {
			struct val v;
			if (!pack_num(x, e, &v))
				continue;
			struct override o = {.arg = a, .raw = v.b, .raw_len = v.n};
			run_case(op, o, 0, valid ? as_reference(&ref) : bad(a), "%s %s", enc_names[e],
				num_text(x));
		}
	}
}

/* Single-line rules: no control character, no bidi control. */
static bool single_line(enum ag_str_rule rule)
{
	return rule == AG_R_LINE || rule == AG_R_URL || rule == AG_R_EMAIL || rule == AG_R_USERNAME;
}

struct around_buf {
	char s[64];
	size_t len;
};

/* Writes into out a valid string for rule around inner:
 * "https://example.com/" + inner for URLs, "x" + inner + "@example.com"
 * for emails, "x" + inner + "password" for passwords, else "x" + inner + "x". */
static void around(enum ag_str_rule rule, const char *inner, size_t len,
	struct around_buf *out)
{
	const char *pre = rule == AG_R_URL ? "https://example.com/" : "x";
	const char *post = rule == AG_R_EMAIL ? "@example.com" : rule == AG_R_PASSWORD ? "password" : "x";
	size_t a = strlen(pre), b = strlen(post);
	cr_assert_lt(a + len + b, sizeof out->s);
	char *s = out->s;
	memcpy(s, pre, a);
	memcpy(s + a, inner, len);
	memcpy(s + a + len, post, b);
	out->len = a + len + b;
}

/* Login fields ("any"): each plain request names an account of its own,
 * so failed logins stay under the rate limit. */
static void fresh_account(struct override *ref)
{
	static int n;
	if (ref->arg->rule != AG_R_ANY)
		return;
	ref->str = h_fmt("plain_%s_%d", ref->arg->name, ++n);
	ref->str_len = strlen(ref->str);
}

static void strings_of(const struct ag_op_spec *op, const struct ag_arg_spec *a)
{
	if (a->type != AG_T_STR)
		return;
	/* The plain request: the same string without the hostile part. */
	struct around_buf plain;
	around(a->rule, "", 0, &plain);
	struct override ref = {.arg = a, .str = plain.s, .str_len = plain.len};

	static const struct { const char *name; const char *b; size_t n; } broken[] = {
		{"invalid UTF-8 0xff", "\xff", 1}, {"truncated UTF-8", "\xc3", 1},
		{"overlong UTF-8", "\xc0\xaf", 2}, {"UTF-16 surrogate", "\xed\xa0\x80", 3},
		{"code point past U+10FFFF", "\xf4\x90\x80\x80", 4},
		{"stray continuation byte", "\x80", 1}, {"embedded NUL", "\0", 1},
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		struct around_buf s;
		around(a->rule, broken[i].b, broken[i].n, &s);
		run_case(op, (struct override){.arg = a, .str = s.s, .str_len = s.len}, 0, bad(a), "%s",
			broken[i].name);
	}

	static const struct { const char *name; const char *b; bool multi_line_ok; } controls[] = {
		{"control U+0001", "\x01", false}, {"escape sequence", "\x1b[31m", false},
		{"carriage return", "\r", false}, {"DEL", "\x7f", false},
		{"C1 NEL", "\xc2\x85", false}, {"C1 CSI", "\xc2\x9b", false},
		{"newline", "\n", true}, {"tab", "\t", true},
		{"bidi U+202A", "\xe2\x80\xaa", true}, {"bidi U+202B", "\xe2\x80\xab", true},
		{"bidi U+202C", "\xe2\x80\xac", true}, {"bidi U+202D", "\xe2\x80\xad", true},
		{"bidi U+202E", "\xe2\x80\xae", true}, {"bidi U+2066", "\xe2\x81\xa6", true},
		{"bidi U+2067", "\xe2\x81\xa7", true}, {"bidi U+2068", "\xe2\x81\xa8", true},
		{"bidi U+2069", "\xe2\x81\xa9", true},
	};
	for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
		struct around_buf s;
		around(a->rule, controls[i].b, strlen(controls[i].b), &s);
		struct override o = {.arg = a, .str = s.s, .str_len = s.len};
		fresh_account(&ref);
		bool rejected = single_line(a->rule) ||
			((a->rule == AG_R_TEXT || a->rule == AG_R_NONBLANK_TEXT) &&
			 !controls[i].multi_line_ok);
		run_case(op, o, 0, rejected ? bad(a) : as_reference(&ref), "%s", controls[i].name);
	}

	/* Frames around 64 KiB, this string making up the bulk: over 64 KiB
	 * is too_large; up to it, the string's length decides. */
	static const size_t sizes[] = {65535, 65536, 65537};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		static char fill[2 * 1024 * 1024];
		memset(fill, 'a', sizeof fill);
		struct override o = {.arg = a, .str = fill, .str_len = 1000};
		struct expect x = {.kind = X_ERROR, .code = AG_E_TOO_LARGE, .field = ""};
		if (sizes[i] <= AG_MAX_REQUEST) {
			/* About sizes[i] code points: over every limit but "any"'s. */
			bool fits = a->rule == AG_R_ANY && sizes[i] - 200 <= (size_t)a->max;
			fresh_account(&ref);
			x = fits ? as_reference(&ref) : bad(a);
		}
		run_case(op, o, sizes[i], x, "frame of %zu bytes", sizes[i]);
	}
}

/* Frame sizes around 64 KiB for an op, padded by an unknown argument
 * (media.upload alone may be larger). */
static void sizes_of(const struct ag_op_spec *op)
{
	struct override plain = {0};
	struct expect too_large = {.kind = X_ERROR, .code = AG_E_TOO_LARGE, .field = ""};
	static const size_t sizes[] = {65535, 65536, 65537};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		run_case(op, (struct override){.pad = 1000}, sizes[i],
			sizes[i] <= AG_MAX_REQUEST || op->id == AG_OP_media_upload
				? as_reference(&plain) : too_large,
			"frame of %zu bytes (unknown argument)", sizes[i]);
}

/* Frames around 1 MiB, for one op per authentication mode: up to 1 MiB
 * too_large, over it too_large or a dropped connection (each costing a
 * timeout). */
static void frames_around_1_mib(void)
{
	static const enum ag_op_id ops[] = {AG_OP_server_ping, AG_OP_auth_login, AG_OP_post_create};
	struct expect too_large = {.kind = X_ERROR, .code = AG_E_TOO_LARGE, .field = ""};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const struct ag_op_spec *op = &ag_ops[ops[i]];
		run_case(op, (struct override){.pad = 1000}, 1048575, too_large,
			"frame of 1048575 bytes (unknown argument)");
		run_case(op, (struct override){.pad = 1000}, 1048576, too_large,
			"frame of 1048576 bytes (unknown argument)");
		run_case(op, (struct override){.pad = 1000}, 1048577,
			(struct expect){.kind = X_TOO_LARGE_OR_DROP},
			"frame of 1048577 bytes (unknown argument)");
	}
}

/* ---- the database ---- */

/* A hash of every row of the tables people see (and of the saga log and
 * the idempotency records), sessions by count and newest id only (their
 * last-use times move with every call). The outbox is left out: the
 * publisher empties it in the background, after the reply. */
static uint64_t db_fingerprint(void)
{
	static const char *const queries[] = {
		"SELECT * FROM users ORDER BY id", "SELECT * FROM posts ORDER BY id",
		"SELECT * FROM comments ORDER BY id", "SELECT * FROM likes ORDER BY 1, 2",
		"SELECT * FROM follows ORDER BY 1, 2", "SELECT * FROM stories ORDER BY id",
		"SELECT * FROM messages ORDER BY id", "SELECT * FROM notifications ORDER BY id",
		"SELECT * FROM hashtags ORDER BY id", "SELECT * FROM post_hashtags ORDER BY 1, 2",
		"SELECT * FROM sagas ORDER BY id", "SELECT * FROM saga_steps ORDER BY id",
		"SELECT * FROM idempotency ORDER BY 1, 2",
		"SELECT count(*), max(id) FROM sessions",
	};
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(h_db_path(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	uint64_t h = 1469598103934665603ULL;
	for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
		sqlite3_stmt *st;
		cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &st, NULL), SQLITE_OK, "%s: %s",
			queries[q], sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int col = 0; col < sqlite3_column_count(st); col++) {
				const unsigned char *p = sqlite3_column_blob(st, col);
				int n = sqlite3_column_bytes(st, col);
				for (int i = 0; i < n; i++)
					h = (h ^ p[i]) * 1099511628211ULL;
				h = (h ^ (uint64_t)(n + 0x100 * sqlite3_column_type(st, col))) * 1099511628211ULL;
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return h;
}

/* Prints the tally and fails on anything not as expected. */
static void report(const char *what, long changed_by)
{
	printf("hostile: %s: %ld cases: %ld as expected, %ld unexpected; %ld skipped (would "
		"write); %ld ops whose cases changed the database\n", what, n_cases, n_pass,
		n_unexpected, n_skipped, changed_by);
	fflush(stdout);
	cr_expect_gt(n_pass, 0, "no case ran");
	cr_expect_eq(changed_by, 0, "hostile requests changed the database");
	cr_expect_eq(n_unexpected, 0, "%ld hostile requests were not answered as the contract says",
		n_unexpected);
}

Test(hostile, every_op_every_argument)
{
	h_user_new(&me);
	cr_assert_lt(h_db_int("SELECT max(id) FROM users", 0), NO_SUCH_ID);
	long changed_by = 0;
	for (size_t i = 0; i < AG_OP__COUNT; i++) {
		const struct ag_op_spec *op = &ag_ops[i];
		uint64_t before = db_fingerprint();
		for (size_t k = 0; k < op->n_args; k++) {
			types_of(op, &op->args[k]);
			integers_of(op, &op->args[k]);
			strings_of(op, &op->args[k]);
		}
		sizes_of(op);
		/* Ops that could write were checked case by case above. */
		if (harmless(op) && db_fingerprint() != before) {
			changed_by++;
			fprintf(stderr, "hostile: UNEXPECTED: %s: its cases changed the database\n",
				op->name);
		}
	}
	cr_assert(ag_obj_bool(h_ok(me.c, "server.ping", ""), "pong"), "the server stopped serving");
	report("every op and argument", changed_by);
}

/* Frames around 1 MiB: our server answers them all (its receive limit is
 * a little over 1 MiB), so no connection is dropped and every client
 * closes. */
Test(hostile, frames_around_1_mib)
{
	frames_around_1_mib();
	report("frames around 1 MiB", 0);
}
