/* test_ops.c: the op table built from ops.def is complete and sane. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto.h"

/* Every op of PROTOCOL.md sections 5 and 7. */
static const char *const protocol_ops[] = {
	"server.ping", "server.info",
	"auth.register", "auth.login", "auth.logout", "auth.me",
	"user.get", "user.update", "user.posts", "user.followers", "user.following",
	"post.create", "post.get", "post.delete", "post.like", "post.comments",
	"comment.create", "comment.delete",
	"follow.create", "follow.delete",
	"feed.get",
	"story.create", "story.list", "story.feed", "story.delete",
	"message.send", "message.conversations", "message.thread", "message.mark_read",
	"notification.list", "notification.mark_read", "notification.mark_all_read",
	"search.users", "search.hashtags", "search.posts_by_hashtag",
	"inbox.counts", "saga.get",
	/* section 7 */
	"auth.ssh_key_add", "auth.ssh_key_list", "auth.ssh_key_remove", "auth.login_ssh",
	/* section 8 */
	"media.upload", "media.get",
};

/* Ours beyond the contract (protocol/README.md). */
static const char *const own_ops[] = {"auth.push"};

#define N_PROTOCOL_OPS (sizeof protocol_ops / sizeof protocol_ops[0])

Test(ops, table_has_every_protocol_op)
{
	cr_assert_eq(N_PROTOCOL_OPS, 43);
	cr_assert_eq(AG_OP__COUNT, 43 + sizeof own_ops / sizeof own_ops[0]);
	for (size_t i = 0; i < N_PROTOCOL_OPS; i++) {
		const struct ag_op_spec *op = ag_op_find(protocol_ops[i], strlen(protocol_ops[i]));
		cr_assert_not_null(op, "%s is missing", protocol_ops[i]);
		cr_assert_str_eq(op->name, protocol_ops[i]);
	}
	for (size_t i = 0; i < sizeof own_ops / sizeof own_ops[0]; i++)
		cr_assert_not_null(ag_op_find(own_ops[i], strlen(own_ops[i])), "%s is missing",
			own_ops[i]);
}

Test(ops, ids_match_positions_and_names_are_unique)
{
	for (size_t i = 0; i < AG_OP__COUNT; i++) {
		cr_assert_eq((size_t)ag_ops[i].id, i);
		cr_assert_not_null(ag_ops[i].name);
		cr_assert_not_null(ag_ops[i].summary);
		cr_assert_eq(ag_op_find(ag_ops[i].name, strlen(ag_ops[i].name)), &ag_ops[i]);
		for (size_t j = i + 1; j < AG_OP__COUNT; j++)
			cr_assert_str_neq(ag_ops[i].name, ag_ops[j].name);
	}
}

Test(ops, find_uses_exact_length)
{
	cr_assert_null(ag_op_find("post.get", 4));
	cr_assert_null(ag_op_find("post.getx", 9));
	cr_assert_not_null(ag_op_find("post.getx", 8));
	cr_assert_null(ag_op_find("", 0));
	cr_assert_null(ag_op_find("no.such", 7));
}

Test(ops, arg_specs_are_sane)
{
	for (size_t i = 0; i < AG_OP__COUNT; i++) {
		const struct ag_op_spec *op = &ag_ops[i];
		cr_assert_leq(op->n_args, AG_MAX_ARGS, "%s", op->name);
		cr_assert_null(op->args[op->n_args].name, "%s: args end with a zero entry", op->name);
		for (size_t a = 0; a < op->n_args; a++) {
			const struct ag_arg_spec *s = &op->args[a];
			cr_assert_not_null(s->name, "%s", op->name);
			cr_assert_not_null(s->help, "%s.%s", op->name, s->name);
			cr_assert_leq(s->min, s->max, "%s.%s", op->name, s->name);
			cr_assert_eq(ag_op_arg(op, s->name), s);
			cr_assert_eq(s->flags & ~(AG_A_REQ | AG_A_NULLABLE), 0u);
			if (s->type == AG_T_STR) {
				cr_assert_neq(s->rule, AG_R_NONE, "%s.%s needs a rule", op->name, s->name);
				cr_assert_geq(s->min, 0);
			} else {
				cr_assert_eq(s->rule, AG_R_NONE, "%s.%s", op->name, s->name);
				cr_assert_eq(s->flags & AG_A_NULLABLE, 0u, "%s.%s", op->name, s->name);
			}
			for (size_t b = a + 1; b < op->n_args; b++)
				cr_assert_str_neq(s->name, op->args[b].name, "%s", op->name);
		}
	}
}

Test(ops, selected_specs_match_protocol)
{
	const struct ag_op_spec *op = &ag_ops[AG_OP_post_create];
	cr_assert_str_eq(op->name, "post.create");
	cr_assert_eq(op->auth, AG_AUTH_REQ);
	cr_assert(op->saga);
	cr_assert_eq(op->n_args, 3);
	const struct ag_arg_spec *content = ag_op_arg(op, "content");
	cr_assert_not_null(content);
	cr_assert_eq(content->type, AG_T_STR);
	cr_assert_eq(content->flags, AG_A_OPT | AG_A_NULLABLE);
	cr_assert_eq(content->max, 2200);
	cr_assert_eq(content->rule, AG_R_TEXT);

	op = &ag_ops[AG_OP_server_ping];
	cr_assert_eq(op->auth, AG_AUTH_OPT);
	cr_assert_not(op->saga);
	cr_assert_eq(op->n_args, 0);
	cr_assert_eq(ag_ops[AG_OP_server_info].auth, AG_AUTH_NONE);

	op = &ag_ops[AG_OP_notification_list];
	const struct ag_arg_spec *limit = ag_op_arg(op, "limit");
	cr_assert_eq(limit->type, AG_T_INT);
	cr_assert_eq(limit->flags, AG_A_OPT);
	cr_assert_eq(limit->min, 1);
	cr_assert_eq(limit->max, 100);
	cr_assert_eq(ag_op_arg(op, "unread_only")->type, AG_T_BOOL);
	cr_assert_null(ag_op_arg(op, "nope"));

	cr_assert_eq(ag_op_arg(&ag_ops[AG_OP_comment_create], "post_id")->flags, AG_A_REQ);
}

Test(ops, saga_ops_are_the_protocol_saga_ops)
{
	static const char *const saga_ops[] = {
		"post.create", "post.delete", "post.like", "comment.create",
		"follow.create", "story.create", "message.send",
	};
	size_t n = 0;
	for (size_t i = 0; i < AG_OP__COUNT; i++)
		n += ag_ops[i].saga;
	cr_assert_eq(n, sizeof saga_ops / sizeof saga_ops[0]);
	for (size_t i = 0; i < n; i++)
		cr_assert(ag_op_find(saga_ops[i], strlen(saga_ops[i]))->saga, "%s", saga_ops[i]);
}

Test(ops, error_names_round_trip)
{
	static const char *const names[] = {
		"bad_request", "unsupported_version", "unknown_op", "unauthorized", "forbidden",
		"not_found", "conflict", "rate_limited", "too_large", "internal", "unavailable",
	};
	for (int code = AG_E_BAD_REQUEST; code < AG_E__COUNT; code++) {
		cr_assert_str_eq(ag_err_name(code), names[code - 1]);
		cr_assert_eq(ag_err_parse(names[code - 1], strlen(names[code - 1])), code);
	}
	cr_assert_eq(ag_err_parse("ok", 2), AG_E__COUNT);
	cr_assert_eq(ag_err_parse("bad_requestx", 12), AG_E__COUNT);
	cr_assert_eq(ag_err_parse("bad_requestx", 11), AG_E_BAD_REQUEST);
	cr_assert_str_eq(ag_err_name(AG_E__COUNT), "internal");
}

Test(ops, error_set_fills_every_field)
{
	struct ag_error e;
	memset(&e, 0x55, sizeof e);
	cr_assert_eq(ag_error_set(&e, AG_E_CONFLICT, NULL, "Taken: %d.", 7), AG_E_CONFLICT);
	cr_assert_eq(e.code, AG_E_CONFLICT);
	cr_assert_str_eq(e.message, "Taken: 7.");
	cr_assert_str_eq(e.field, "");
	cr_assert_eq(e.retry_after_ms, 0);
	ag_error_set(&e, AG_E_BAD_REQUEST, "username", "x");
	cr_assert_str_eq(e.field, "username");
	cr_assert_eq(ag_error_set(NULL, AG_E_INTERNAL, NULL, "x"), AG_E_INTERNAL);
}
