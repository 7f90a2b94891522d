/* errors.c: the protocol's error codes (PROTOCOL.md section 2) by their
 * wire names, and filling a struct ag_error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

static const char *const err_names[AG_E__COUNT] = {
	[AG_OK] = "ok",
	[AG_E_BAD_REQUEST] = "bad_request",
	[AG_E_UNSUPPORTED_VERSION] = "unsupported_version",
	[AG_E_UNKNOWN_OP] = "unknown_op",
	[AG_E_UNAUTHORIZED] = "unauthorized",
	[AG_E_FORBIDDEN] = "forbidden",
	[AG_E_NOT_FOUND] = "not_found",
	[AG_E_CONFLICT] = "conflict",
	[AG_E_RATE_LIMITED] = "rate_limited",
	[AG_E_TOO_LARGE] = "too_large",
	[AG_E_INTERNAL] = "internal",
	[AG_E_UNAVAILABLE] = "unavailable",
};

/* Codes outside the table read as "internal": never send a made-up name. */
const char *ag_err_name(enum ag_err code)
{
	if ((unsigned)code >= AG_E__COUNT)
		return err_names[AG_E_INTERNAL];
	return err_names[code];
}

/* Only wire codes parse; "ok" is not one. */
enum ag_err ag_err_parse(const char *name, size_t len)
{
	for (int code = AG_E_BAD_REQUEST; code < AG_E__COUNT; code++)
		if (strlen(err_names[code]) == len && memcmp(err_names[code], name, len) == 0)
			return (enum ag_err)code;
	return AG_E__COUNT;
}

enum ag_err ag_error_set(struct ag_error *e, enum ag_err code, const char *field,
	const char *fmt, ...)
{
	if (e == NULL)
		return code;
	e->code = code;
	ag_strlcpy(e->field, field ? field : "", sizeof e->field);
	e->retry_after_ms = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return code;
}
