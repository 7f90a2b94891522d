/* validate.c: checking an op's args against its spec in ops.def (types,
 * ranges and the string rules of PROTOCOL.md section 4), and reading the
 * checked values back by name. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "utf8.h"

/* C0, DEL and C1: Unicode's control characters (category Cc). */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Unicode's Bidi_Control characters (they reorder the text around them on
 * screen, e.g. a name beside them) and the line and paragraph separators:
 * none belongs in a single line. */
static bool is_line_breaker(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
		(cp >= 0x2066 && cp <= 0x2069);
}

bool ag_is_white_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
		cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
		cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool is_username_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '.' || c == '_';
}

/* Every code point of s passes keep (s is valid UTF-8). */
static bool all_cps(const char *s, size_t len, bool (*keep)(uint32_t cp))
{
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		int n = ag_utf8_decode(s + i, len - i, &cp);
		if (n < 0 || !keep(cp))
			return false;
		i += (size_t)n;
	}
	return true;
}

bool ag_text_is_blank(const char *s, size_t len)
{
	return all_cps(s, len, ag_is_white_space);
}

static bool line_cp(uint32_t cp)
{
	return !is_control(cp) && !is_line_breaker(cp);
}

static bool text_cp(uint32_t cp)
{
	return cp == '\n' || cp == '\t' || !is_control(cp);
}

static bool email_cp(uint32_t cp)
{
	return !is_control(cp) && !ag_is_white_space(cp) && !is_line_breaker(cp);
}

static bool email_shape_ok(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	if (at == NULL || at == s || memchr(at + 1, '@', len - (size_t)(at + 1 - s)) != NULL)
		return false;
	const char *domain = at + 1;
	size_t dlen = len - (size_t)(domain - s);
	if (dlen < 3)
		return false;
	return memchr(domain + 1, '.', dlen - 2) != NULL;
}

static bool url_shape_ok(const char *s, size_t len)
{
	static const char *const schemes[] = { "http://", "https://" };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]);
		if (len > n && strncasecmp(s, schemes[i], n) == 0)
			return true;
	}
	return false;
}

/* The check behind ag_validate_str: on failure writes a predicate such as
 * "must not be empty" (no subject, no full stop) to why. */
static bool check_str(enum ag_str_rule rule, const char *s, size_t len, int64_t min,
	int64_t max, char *why, size_t why_size)
{
	if (!ag_utf8_valid(s, len) || memchr(s, '\0', len) != NULL) {
		snprintf(why, why_size, "must be valid UTF-8 text without NUL characters");
		return false;
	}
	if (rule == AG_R_URL && len == 0)
		return true;

	bool in_bytes = rule == AG_R_PASSWORD || rule == AG_R_EMAIL;
	size_t n = in_bytes ? len : ag_utf8_count(s, len);
	const char *unit = in_bytes ? "bytes" : "characters";
	if ((int64_t)n < min || (int64_t)n > max) {
		if (n == 0 && min == 1)
			snprintf(why, why_size, "must not be empty");
		else if (min <= 1 && (int64_t)n > max)
			snprintf(why, why_size, "must be at most %" PRId64 " %s long", max, unit);
		else
			snprintf(why, why_size, "must be between %" PRId64 " and %" PRId64 " %s long",
				min, max, unit);
		return false;
	}

	switch (rule) {
	case AG_R_USERNAME:
		for (size_t i = 0; i < len; i++) {
			if (!is_username_char(s[i])) {
				snprintf(why, why_size,
					"may contain only letters a-z, digits, '.' and '_'");
				return false;
			}
		}
		return true;
	case AG_R_EMAIL:
		if (!all_cps(s, len, email_cp)) {
			snprintf(why, why_size, "must not contain spaces or control characters");
			return false;
		}
		if (!email_shape_ok(s, len)) {
			snprintf(why, why_size,
				"must be an email address like name@example.com");
			return false;
		}
		return true;
	case AG_R_LINE:
		if (!all_cps(s, len, line_cp)) {
			snprintf(why, why_size, "must be one line without control or text-direction characters");
			return false;
		}
		return true;
	case AG_R_TEXT:
	case AG_R_NONBLANK_TEXT:
		if (!all_cps(s, len, text_cp)) {
			snprintf(why, why_size,
				"must not contain control characters other than newline and tab");
			return false;
		}
		if (rule == AG_R_NONBLANK_TEXT && ag_text_is_blank(s, len)) {
			snprintf(why, why_size, "must not be only white space");
			return false;
		}
		return true;
	case AG_R_URL:
		if (!all_cps(s, len, line_cp)) {
			snprintf(why, why_size, "must be one line without control or text-direction characters");
			return false;
		}
		if (!url_shape_ok(s, len)) {
			snprintf(why, why_size, "must start with http:// or https://");
			return false;
		}
		return true;
	case AG_R_NONE:
	case AG_R_PASSWORD:
	case AG_R_ANY:
		return true;
	}
	return true;
}

bool ag_validate_str(enum ag_str_rule rule, const char *s, size_t len,
	int64_t min, int64_t max, char *why, size_t why_size)
{
	char pred[200];
	if (check_str(rule, s, len, min, max, pred, sizeof pred))
		return true;
	if (why_size > 0) {
		pred[0] = (char)toupper((unsigned char)pred[0]);
		snprintf(why, why_size, "%s.", pred);
	}
	return false;
}

/* Fills val from o for spec, or fails with bad_request naming the arg. */
static enum ag_err decode_one(const struct ag_arg_spec *spec, const msgpack_object *o,
	struct ag_argval *val, struct ag_error *err)
{
	const char *name = spec->name;
	if (o->type == MSGPACK_OBJECT_NIL) {
		if (!(spec->flags & AG_A_NULLABLE))
			return ag_error_set(err, AG_E_BAD_REQUEST, name, "%s must not be nil.", name);
		val->nil = true;
		return AG_OK;
	}
	switch (spec->type) {
	case AG_T_ID:
		if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be an id (a positive integer).", name);
		if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER || o->via.u64 == 0 ||
		    o->via.u64 > INT64_MAX)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be a positive id.", name);
		val->i = (int64_t)o->via.u64;
		return AG_OK;
	case AG_T_INT: {
		if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be an integer.", name);
		bool too_big = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > INT64_MAX;
		int64_t v = o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o->via.i64
			: (int64_t)o->via.u64;
		if (too_big || v < spec->min || v > spec->max)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be between %" PRId64 " and %" PRId64 ".",
				name, spec->min, spec->max);
		val->i = v;
		return AG_OK;
	}
	case AG_T_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be true or false.", name);
		val->b = o->via.boolean;
		return AG_OK;
	case AG_T_BIN:
		if (o->type != MSGPACK_OBJECT_BIN)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be binary data (MessagePack bin).", name);
		if ((int64_t)o->via.bin.size < spec->min || (int64_t)o->via.bin.size > spec->max)
			return ag_error_set(err, AG_E_BAD_REQUEST, name,
				"%s must be between %" PRId64 " and %" PRId64 " bytes long.",
				name, spec->min, spec->max);
		val->bin = o->via.bin.ptr;
		val->len = o->via.bin.size;
		return AG_OK;
	case AG_T_STR: {
		if (o->type != MSGPACK_OBJECT_STR)
			return ag_error_set(err, AG_E_BAD_REQUEST, name, "%s must be a string.", name);
		char pred[200];
		if (!check_str(spec->rule, o->via.str.ptr, o->via.str.size, spec->min, spec->max,
			pred, sizeof pred))
			return ag_error_set(err, AG_E_BAD_REQUEST, name, "%s %s.", name, pred);
		val->s = malloc((size_t)o->via.str.size + 1);
		if (val->s == NULL)
			return ag_error_set(err, AG_E_INTERNAL, NULL, "Out of memory.");
		memcpy(val->s, o->via.str.ptr, o->via.str.size);
		val->s[o->via.str.size] = '\0';
		val->len = o->via.str.size;
		return AG_OK;
	}
	}
	return ag_error_set(err, AG_E_INTERNAL, name, "%s has an unknown type.", name);
}

static int spec_index(const struct ag_op_spec *op, const char *name, size_t len)
{
	for (size_t i = 0; i < op->n_args; i++)
		if (strlen(op->args[i].name) == len && memcmp(op->args[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

enum ag_err ag_args_decode(const struct ag_op_spec *op, const msgpack_object *args,
	struct ag_args *out, struct ag_error *err)
{
	memset(out, 0, sizeof *out);
	out->op = op;
	if (args != NULL && args->type != MSGPACK_OBJECT_NIL) {
		if (args->type != MSGPACK_OBJECT_MAP)
			return ag_error_set(err, AG_E_BAD_REQUEST, "args", "args must be a map.");
		for (uint32_t k = 0; k < args->via.map.size; k++) {
			const msgpack_object_kv *kv = &args->via.map.ptr[k];
			if (kv->key.type != MSGPACK_OBJECT_STR)
				continue;
			int i = spec_index(op, kv->key.via.str.ptr, kv->key.via.str.size);
			if (i < 0)
				continue;
			const struct ag_arg_spec *spec = &op->args[i];
			struct ag_argval *val = &out->v[i];
			enum ag_err rc = val->present
				? ag_error_set(err, AG_E_BAD_REQUEST, spec->name,
					"%s is given more than once.", spec->name)
				: decode_one(spec, &kv->val, val, err);
			if (rc != AG_OK) {
				ag_args_free(out);
				return rc;
			}
			val->present = true;
		}
	}
	for (size_t i = 0; i < op->n_args; i++) {
		if ((op->args[i].flags & AG_A_REQ) && !out->v[i].present) {
			ag_args_free(out);
			return ag_error_set(err, AG_E_BAD_REQUEST, op->args[i].name,
				"%s is required.", op->args[i].name);
		}
	}
	return AG_OK;
}

void ag_args_free(struct ag_args *a)
{
	for (size_t i = 0; i < AG_MAX_ARGS; i++)
		free(a->v[i].s);
	memset(a->v, 0, sizeof a->v);
}

/* The value slot of a declared arg; an undeclared name is a programming
 * error and aborts. */
static const struct ag_argval *arg_val(const struct ag_args *a, const char *name)
{
	int i = spec_index(a->op, name, strlen(name));
	if (i < 0)
		abort();
	return &a->v[i];
}

bool ag_arg_present(const struct ag_args *a, const char *name)
{
	return arg_val(a, name)->present;
}

int64_t ag_arg_int(const struct ag_args *a, const char *name, int64_t dflt)
{
	const struct ag_argval *v = arg_val(a, name);
	return v->present && !v->nil ? v->i : dflt;
}

bool ag_arg_bool(const struct ag_args *a, const char *name, bool dflt)
{
	const struct ag_argval *v = arg_val(a, name);
	return v->present && !v->nil ? v->b : dflt;
}

const char *ag_arg_str(const struct ag_args *a, const char *name)
{
	const struct ag_argval *v = arg_val(a, name);
	return v->present && !v->nil ? v->s : NULL;
}

const void *ag_arg_bin(const struct ag_args *a, const char *name, size_t *len)
{
	const struct ag_argval *v = arg_val(a, name);
	*len = v->present && !v->nil ? v->len : 0;
	return v->present && !v->nil ? v->bin : NULL;
}
