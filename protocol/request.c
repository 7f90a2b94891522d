/* request.c: requests built from the op table (see request.h): args set
 * by name and checked as the server will check them, then packed. */
#include "request.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum ag_err ag_req_init(struct ag_req *r, const char *op_name)
{
	memset(r, 0, sizeof *r);
	r->op = ag_op_find(op_name, strlen(op_name));
	if (r->op == NULL)
		return ag_error_set(&r->error, AG_E_UNKNOWN_OP, "", "no op %s in the table", op_name);
	return AG_OK;
}

/* Empties one value, zeroing its string first. */
static void clear_value(struct ag_argval *v)
{
	if (v->s != NULL)
		sodium_memzero(v->s, v->len);
	free(v->s);
	memset(v, 0, sizeof *v);
}

void ag_req_free(struct ag_req *r)
{
	for (size_t i = 0; i < AG_MAX_ARGS; i++)
		clear_value(&r->v[i]);
	memset(r, 0, sizeof *r);
}

/* The spec of arg, or NULL after filling r->error when the op has none. */
static const struct ag_arg_spec *find_arg(struct ag_req *r, const char *arg)
{
	const struct ag_arg_spec *spec = r->op ? ag_op_arg(r->op, arg) : NULL;
	if (spec == NULL)
		ag_error_set(&r->error, AG_E_BAD_REQUEST, arg, "is not an argument of %s",
			r->op ? r->op->name : "an unknown op");
	return spec;
}

/* What an arg of this type wants, for messages. */
static const char *type_wanted(enum ag_arg_type type)
{
	switch (type) {
	case AG_T_ID:
		return "an id";
	case AG_T_INT:
		return "a whole number";
	case AG_T_BOOL:
		return "true or false";
	case AG_T_BIN:
		return "binary data";
	case AG_T_STR:
		break;
	}
	return "text";
}

static enum ag_err wrong_type(struct ag_req *r, const struct ag_arg_spec *spec, const char *given)
{
	return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name, "wants %s, not %s",
		type_wanted(spec->type), given);
}

/* Replaces arg's value with v (taking its string). */
static void store(struct ag_req *r, const struct ag_arg_spec *spec, struct ag_argval v)
{
	struct ag_argval *slot = &r->v[spec - r->op->args];
	clear_value(slot);
	v.present = true;
	*slot = v;
}

/* Checks and stores a number; shown is how the value is quoted in
 * messages (the text as typed). */
static enum ag_err set_number(struct ag_req *r, const struct ag_arg_spec *spec, int64_t value,
	const char *shown)
{
	if (spec->type == AG_T_ID && value < 1)
		return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name,
			"wants an id (a whole number from 1), not '%s'", shown);
	if (spec->type == AG_T_INT && (value < spec->min || value > spec->max))
		return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name,
			"wants a whole number from %lld to %lld, not '%s'",
			(long long)spec->min, (long long)spec->max, shown);
	store(r, spec, (struct ag_argval){.i = value});
	return AG_OK;
}

enum ag_err ag_req_set_int(struct ag_req *r, const char *arg, int64_t value)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	if (spec->type != AG_T_ID && spec->type != AG_T_INT)
		return wrong_type(r, spec, "a number");
	char shown[24];
	snprintf(shown, sizeof shown, "%lld", (long long)value);
	return set_number(r, spec, value, shown);
}

enum ag_err ag_req_set_bool(struct ag_req *r, const char *arg, bool value)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	if (spec->type != AG_T_BOOL)
		return wrong_type(r, spec, "true or false");
	store(r, spec, (struct ag_argval){.b = value});
	return AG_OK;
}

enum ag_err ag_req_set_nil(struct ag_req *r, const char *arg)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	if (!(spec->flags & AG_A_NULLABLE))
		return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name, "cannot be cleared");
	store(r, spec, (struct ag_argval){.nil = true});
	return AG_OK;
}

enum ag_err ag_req_set_str(struct ag_req *r, const char *arg, const char *s)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	if (spec->type != AG_T_STR)
		return wrong_type(r, spec, "text");
	size_t len = strlen(s);
	if (len == 0 && (spec->flags & AG_A_NULLABLE))
		return ag_req_set_nil(r, arg);
	char why[256];
	if (!ag_validate_str(spec->rule, s, len, spec->min, spec->max, why, sizeof why)) {
		why[0] = (char)tolower((unsigned char)why[0]);
		return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name, "%s", why);
	}
	char *copy = strdup(s);
	if (copy == NULL)
		return ag_error_set(&r->error, AG_E_INTERNAL, spec->name, "is too large to copy");
	store(r, spec, (struct ag_argval){.s = copy, .len = len});
	return AG_OK;
}

enum ag_err ag_req_set_bin(struct ag_req *r, const char *arg, const void *data, size_t len)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	if (spec->type != AG_T_BIN)
		return wrong_type(r, spec, "binary data");
	if ((int64_t)len < spec->min || (int64_t)len > spec->max)
		return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name,
			"wants %lld to %lld bytes, not %zu", (long long)spec->min,
			(long long)spec->max, len);
	char *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return ag_error_set(&r->error, AG_E_INTERNAL, spec->name, "is too large to copy");
	memcpy(copy, data, len);
	store(r, spec, (struct ag_argval){.s = copy, .len = len});
	return AG_OK;
}

/* Parses a whole decimal number (an optional minus sign, no spaces);
 * false otherwise. */
static bool parse_int(const char *text, int64_t *out)
{
	if (!isdigit((unsigned char)text[0]) && !(text[0] == '-' && isdigit((unsigned char)text[1])))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

enum ag_err ag_req_set_text(struct ag_req *r, const char *arg, const char *text)
{
	const struct ag_arg_spec *spec = find_arg(r, arg);
	if (spec == NULL)
		return AG_E_BAD_REQUEST;
	int64_t n;
	switch (spec->type) {
	case AG_T_ID:
		if (!parse_int(text, &n))
			n = 0;   /* refused below, with the text quoted */
		return set_number(r, spec, n, text);
	case AG_T_INT:
		if (!parse_int(text, &n))
			return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name,
				"wants a whole number from %lld to %lld, not '%s'",
				(long long)spec->min, (long long)spec->max, text);
		return set_number(r, spec, n, text);
	case AG_T_BOOL:
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return ag_error_set(&r->error, AG_E_BAD_REQUEST, spec->name,
				"wants true or false, not '%s'", text);
		return ag_req_set_bool(r, arg, strcmp(text, "true") == 0);
	case AG_T_BIN:
		return ag_req_set_bin(r, arg, text, strlen(text));
	case AG_T_STR:
		break;
	}
	return ag_req_set_str(r, arg, text);
}

void ag_req_unset(struct ag_req *r, const char *arg)
{
	const struct ag_arg_spec *spec = r->op ? ag_op_arg(r->op, arg) : NULL;
	if (spec != NULL)
		clear_value(&r->v[spec - r->op->args]);
}

/* arg's value, or NULL when the op has no such arg. */
static const struct ag_argval *value_of(const struct ag_req *r, const char *arg)
{
	const struct ag_arg_spec *spec = r->op ? ag_op_arg(r->op, arg) : NULL;
	return spec != NULL ? &r->v[spec - r->op->args] : NULL;
}

bool ag_req_has(const struct ag_req *r, const char *arg)
{
	const struct ag_argval *v = value_of(r, arg);
	return v != NULL && v->present;
}

const char *ag_req_str(const struct ag_req *r, const char *arg)
{
	const struct ag_argval *v = value_of(r, arg);
	return v != NULL ? v->s : NULL;
}

int64_t ag_req_int(const struct ag_req *r, const char *arg)
{
	const struct ag_argval *v = value_of(r, arg);
	return v != NULL && v->present ? v->i : 0;
}

enum ag_err ag_req_check(struct ag_req *r)
{
	if (r->op == NULL)
		return ag_error_set(&r->error, AG_E_UNKNOWN_OP, "", "no op to send");
	for (size_t i = 0; i < r->op->n_args; i++)
		if ((r->op->args[i].flags & AG_A_REQ) && !r->v[i].present)
			return ag_error_set(&r->error, AG_E_BAD_REQUEST, r->op->args[i].name,
				"is required");
	return AG_OK;
}

bool ag_req_pack_args(const struct ag_req *r, msgpack_sbuffer *sb)
{
	size_t n = 0;
	for (size_t i = 0; r->op && i < r->op->n_args; i++)
		n += r->v[i].present;
	if (n == 0)
		return false;
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, n);
	for (size_t i = 0; i < r->op->n_args; i++) {
		const struct ag_argval *v = &r->v[i];
		if (!v->present)
			continue;
		ag_pack_key(&pk, r->op->args[i].name);
		if (v->nil) {
			msgpack_pack_nil(&pk);
			continue;
		}
		switch (r->op->args[i].type) {
		case AG_T_ID:
		case AG_T_INT:
			msgpack_pack_int64(&pk, v->i);
			break;
		case AG_T_BOOL:
			if (v->b)
				msgpack_pack_true(&pk);
			else
				msgpack_pack_false(&pk);
			break;
		case AG_T_STR:
			ag_pack_strn(&pk, v->s, v->len);
			break;
		case AG_T_BIN:
			msgpack_pack_bin(&pk, v->len);
			msgpack_pack_bin_body(&pk, v->s, v->len);
			break;
		}
	}
	return true;
}

void ag_frame_pack(msgpack_sbuffer *sb, uint64_t id, const char *op, const char *auth,
	const void *args, size_t args_len, const char *idem)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3 + (size_t)(auth != NULL) + (size_t)(args != NULL) +
		(size_t)(idem != NULL));
	ag_pack_key(&pk, "v");
	msgpack_pack_uint64(&pk, AG_PROTOCOL_VERSION);
	ag_pack_key(&pk, "id");
	msgpack_pack_uint64(&pk, id);
	ag_pack_key(&pk, "op");
	ag_pack_str(&pk, op);
	if (auth != NULL) {
		ag_pack_key(&pk, "auth");
		ag_pack_str(&pk, auth);
	}
	if (args != NULL) {
		ag_pack_key(&pk, "args");
		msgpack_sbuffer_write(sb, args, args_len);
	}
	if (idem != NULL) {
		ag_pack_key(&pk, "idem");
		ag_pack_str(&pk, idem);
	}
}

enum ag_err ag_req_pack(struct ag_req *r, msgpack_sbuffer *sb, uint64_t id, const char *auth,
	const char *idem)
{
	enum ag_err rc = ag_req_check(r);
	if (rc != AG_OK)
		return rc;
	msgpack_sbuffer args;
	msgpack_sbuffer_init(&args);
	bool has_args = ag_req_pack_args(r, &args);
	ag_frame_pack(sb, id, r->op->name, auth, has_args ? args.data : NULL, args.size, idem);
	msgpack_sbuffer_destroy(&args);
	return AG_OK;
}
