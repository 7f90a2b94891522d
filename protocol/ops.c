/* ops.c: the op table, expanded from ops.def, and lookups by name.
 *
 * ops.def writes flags as REQ, OPT and OPT | NULLABLE, and the auth column
 * as NONE, OPT or REQ; the auth column is pasted onto AG_AUTH_ (so it is
 * never macro-expanded) while flags expand through the local macros
 * below. Each op's args become a compound-literal array closed by an
 * all-zero entry, so n_args is the array's size minus one. */
#include <string.h>

#include "proto.h"

#define REQ AG_A_REQ
#define OPT AG_A_OPT
#define NULLABLE AG_A_NULLABLE

#define ARG(n, t, f, lo, hi, dflt_, r, help_) \
	{ .name = #n, .type = AG_T_##t, .flags = (f), .min = (lo), .max = (hi), .dflt = (dflt_), \
	  .rule = AG_R_##r, .help = (help_) },

#define AG_OP(id_, name_, auth_, saga_, summary_, args_) \
	[AG_OP_##id_] = { \
		.id = AG_OP_##id_, \
		.name = name_, \
		.auth = AG_AUTH_##auth_, \
		.saga = (saga_), \
		.summary = summary_, \
		.args = (const struct ag_arg_spec[]){ args_ { 0 } }, \
		.n_args = sizeof((const struct ag_arg_spec[]){ args_ { 0 } }) \
			/ sizeof(struct ag_arg_spec) - 1, \
	},

const struct ag_op_spec ag_ops[AG_OP__COUNT] = {
#include "ops.def"
};

#undef AG_OP

/* No op may declare more args than struct ag_args has room for. */
#define AG_OP(id_, name_, auth_, saga_, summary_, args_) \
	_Static_assert(sizeof((const struct ag_arg_spec[]){ args_ { 0 } }) \
		/ sizeof(struct ag_arg_spec) - 1 <= AG_MAX_ARGS, \
		name_ " declares more than AG_MAX_ARGS args");
#include "ops.def"
#undef AG_OP

#undef ARG
#undef REQ
#undef OPT
#undef NULLABLE

const struct ag_op_spec *ag_op_find(const char *name, size_t len)
{
	for (size_t i = 0; i < AG_OP__COUNT; i++)
		if (strlen(ag_ops[i].name) == len && memcmp(ag_ops[i].name, name, len) == 0)
			return &ag_ops[i];
	return NULL;
}

const struct ag_arg_spec *ag_op_arg(const struct ag_op_spec *op, const char *name)
{
	for (size_t i = 0; i < op->n_args; i++)
		if (strcmp(op->args[i].name, name) == 0)
			return &op->args[i];
	return NULL;
}
