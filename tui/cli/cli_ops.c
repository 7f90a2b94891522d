/* cli_ops.c: commands made from the op table. A request's args are set
 * from command-line text and checked against the table (protocol/request.c)
 * before anything is sent, its failures worded as usage messages; a command line is parsed into
 * a request plus positional words; and argv is dispatched to a friendly
 * command or to `GROUP VERB` (or `group.verb`), so a new op in ops.def
 * is a new command with no code here. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void cli_req_init(struct ag_req *r, const char *op_name)
{
	if (ag_req_init(r, op_name) != AG_OK) {
		fprintf(stderr, "ansigram: internal error: %s\n", r->error.message);
		abort();
	}
}

int cli_req_set_text(struct cli *c, struct ag_req *r, const char *arg, const char *text,
	const char *shown)
{
	if (ag_op_arg(r->op, arg) == NULL) {
		fprintf(stderr, "ansigram: internal error: %s has no arg %s\n", r->op->name, arg);
		abort();
	}
	if (ag_req_has(r, arg))
		return cli_usage(c, "%s is given twice", shown);
	const struct ag_arg_spec *spec = ag_op_arg(r->op, arg);
	if (spec->type == AG_T_BIN) {
		/* Bytes come from a file (or stdin, "-"), checked by the spec. */
		unsigned char *data;
		size_t len;
		int code = cli_read_file(c, text, (size_t)spec->max, "file", &data, &len);
		if (code != CLI_OK)
			return code;
		enum ag_err e = ag_req_set_bin(r, arg, data, len);
		free(data);
		return e == AG_OK ? CLI_OK : cli_usage(c, "%s %s", shown, r->error.message);
	}
	if (ag_req_set_text(r, arg, text) != AG_OK)
		return cli_usage(c, "%s %s", shown, r->error.message);
	return CLI_OK;
}

int cli_req_set_int(struct cli *c, struct ag_req *r, const char *arg, int64_t value)
{
	char text[24];
	char shown[64];
	snprintf(text, sizeof text, "%lld", (long long)value);
	cli_option_name(arg, shown, sizeof shown);
	return cli_req_set_text(c, r, arg, text, shown);
}

int cli_fill_password(struct cli *c, struct cli_line *line, bool confirm)
{
	if (line->req.op == NULL || ag_op_arg(line->req.op, "password") == NULL)
		return CLI_OK;
	if (ag_req_has(&line->req, "password")) {
		if (line->password_stdin)
			return cli_usage(c, "give --password or --password-stdin, not both");
		return CLI_OK;
	}
	char *password;
	int code = cli_read_password(c, line->password_stdin, confirm, &password);
	if (code == CLI_OK)
		code = cli_req_set_text(c, &line->req, "password", password, "the password");
	cli_free_secret(password);
	return code;
}

const char *cli_line_flag(const struct cli_line *line, const char *name)
{
	for (int k = 0; line->cmd && line->cmd->flags && line->cmd->flags[k].name; k++)
		if (strcmp(line->cmd->flags[k].name, name) == 0)
			return line->flag_value[k];
	return NULL;
}

void cli_line_free(struct cli_line *line)
{
	if (line->req.op != NULL)
		ag_req_free(&line->req);
}

bool cli_accepts_arg(const char *passthrough, const char *arg)
{
	if (passthrough == NULL)
		return true;
	size_t n = strlen(arg);
	for (const char *p = passthrough; *p; ) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, arg, n) == 0)
			return true;
		p += len;
	}
	return false;
}

const char *cli_cmd_typed(const struct cli_cmd *cmd, const char *arg, char *out, size_t size,
	const char **kind)
{
	size_t n = strlen(arg);
	for (const char *p = cmd->words; p != NULL && *p; ) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (len > n && strncmp(p, arg, n) == 0 && p[n] == '=') {
			snprintf(out, size, "%.*s", (int)(len - n - 1), p + n + 1);
			*kind = "argument";
			return out;
		}
		p += len;
	}
	*kind = "option";
	for (const struct cli_flag *f = cmd->flags; f && f->name; f++) {
		if (f->arg != NULL && strcmp(f->arg, arg) == 0) {
			snprintf(out, size, "--%s", f->name);
			return out;
		}
	}
	const struct ag_op_spec *op = cmd->op ? ag_op_find(cmd->op, strlen(cmd->op)) : NULL;
	if (op != NULL && ag_op_arg(op, arg) != NULL && cmd->passthrough != NULL &&
	    cli_accepts_arg(cmd->passthrough, arg)) {
		cli_option_name(arg, out, size);
		return out;
	}
	return NULL;
}

/* The typed option name as an arg name: dashes become underscores. */
static void arg_name_of(const char *typed, size_t len, char *out, size_t size)
{
	size_t n = len < size - 1 ? len : size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = typed[i] == '-' ? '_' : typed[i];
	out[n] = '\0';
}

/* Collects the option names this command line knows, for hints. */
static size_t known_options(const struct cli_cmd *cmd, const struct ag_req *req,
	const char *passthrough, char names[][48], size_t max)
{
	static const char *const globals[] = {"server", "pub", "session", "ca", "json", "timeout",
		"help"};
	size_t n = 0;
	for (size_t i = 0; i < sizeof globals / sizeof globals[0] && n < max; i++)
		snprintf(names[n++], 48, "--%s", globals[i]);
	for (const struct cli_flag *f = cmd ? cmd->flags : NULL; f && f->name && n < max; f++)
		snprintf(names[n++], 48, "--%s", f->name);
	for (size_t i = 0; req->op && i < req->op->n_args && n < max; i++) {
		if (!cli_accepts_arg(passthrough, req->op->args[i].name))
			continue;
		cli_option_name(req->op->args[i].name, names[n++], 48);
		if (strcmp(req->op->args[i].name, "password") == 0 && n < max)
			snprintf(names[n++], 48, "--password-stdin");
	}
	return n;
}

static int unknown_option(struct cli *c, const struct cli_cmd *cmd, const struct ag_req *req,
	const char *passthrough, const char *word)
{
	char names[40][48];
	const char *ptrs[40];
	size_t n = known_options(cmd, req, passthrough, names, 40);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	char typed[64];
	snprintf(typed, sizeof typed, "%.*s", (int)strcspn(word, "="), word);
	const char *near = cli_closest(typed, ptrs, n);
	if (near != NULL)
		return cli_usage(c, "unknown option '%s'; did you mean '%s'?", typed, near);
	return cli_usage(c, "unknown option '%s'", typed);
}

/* Handles "--name[=value]" for an arg of the request; returns 1 when it
 * was one, 0 when not, or an exit code. */
static int arg_option(struct cli *c, struct ag_req *req, const char *passthrough,
	bool takes_words, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2;
	size_t len = strcspn(word, "=");
	char name[64];
	arg_name_of(word, len, name, sizeof name);
	const struct ag_arg_spec *spec = req->op ? ag_op_arg(req->op, name) : NULL;
	if (spec == NULL || !cli_accepts_arg(passthrough, name))
		return 0;
	char shown[64];
	cli_option_name(name, shown, sizeof shown);
	const char *value;
	if (word[len] == '=') {
		value = word + len + 1;
	} else if (spec->type == AG_T_BOOL) {
		/* A bare boolean option means true; its value may follow, which
		 * is any next word when the command takes no words of its own. */
		bool next = *i + 1 < argc && argv[*i + 1][0] != '-' && (!takes_words ||
			strcmp(argv[*i + 1], "true") == 0 || strcmp(argv[*i + 1], "false") == 0);
		value = next ? argv[++*i] : "true";
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		return cli_usage(c, "option %s needs a value", shown);
	}
	int code = cli_req_set_text(c, req, name, value, shown);
	return code == CLI_OK ? 1 : code;
}

/* Handles one of the command's own flags; returns 1, 0 or an exit code. */
static int flag_option(struct cli *c, const struct cli_cmd *cmd, struct cli_line *line,
	int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2;
	size_t len = strcspn(word, "=");
	for (int k = 0; cmd && cmd->flags && cmd->flags[k].name; k++) {
		const struct cli_flag *f = &cmd->flags[k];
		if (strlen(f->name) != len || strncmp(f->name, word, len) != 0)
			continue;
		const char *value = "";
		if (f->metavar == NULL && word[len] == '=')
			return cli_usage(c, "option --%s takes no value", f->name);
		if (f->metavar != NULL) {
			if (word[len] == '=')
				value = word + len + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else
				return cli_usage(c, "option --%s needs a value", f->name);
		}
		if (f->arg == NULL) {
			if (line->flag_value[k] != NULL)
				return cli_usage(c, "--%s is given twice", f->name);
			line->flag_value[k] = value;
			return 1;
		}
		char shown[64];
		snprintf(shown, sizeof shown, "--%s", f->name);
		int code = cli_req_set_text(c, &line->req, f->arg, f->metavar ? value : "true", shown);
		return code == CLI_OK ? 1 : code;
	}
	return 0;
}

/* A word where an op-table command takes only options; a number for an
 * op with one required id gets that option as a hint. */
static int unexpected_word(struct cli *c, const struct ag_op_spec *op, const char *word)
{
	const struct ag_arg_spec *id = NULL;
	size_t n_required = 0;
	for (size_t i = 0; op != NULL && i < op->n_args; i++) {
		if (!(op->args[i].flags & AG_A_REQ))
			continue;
		n_required++;
		if (op->args[i].type == AG_T_ID)
			id = &op->args[i];
	}
	if (n_required == 1 && id != NULL && word[0] != '\0' &&
	    word[strspn(word, "0123456789")] == '\0') {
		char option[64];
		cli_option_name(id->name, option, sizeof option);
		return cli_usage(c, "unexpected argument '%s'; did you mean '%s %s'?", word,
			option, word);
	}
	return cli_usage(c, "unexpected argument '%s' (options are written --name VALUE)", word);
}

int cli_parse_line(struct cli *c, const struct cli_cmd *cmd, const char *op_name,
	int argc, char **argv, struct cli_line *line)
{
	memset(line, 0, sizeof *line);
	line->cmd = cmd;
	if (op_name != NULL)
		cli_req_init(&line->req, op_name);
	const char *passthrough = cmd ? cmd->passthrough : NULL;
	if (cmd != NULL && passthrough == NULL)
		passthrough = "";
	int max_pos = cmd ? cmd->max_pos : 0;
	bool words_only = false;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (words_only || w[0] != '-' || strcmp(w, "-") == 0) {
			if (max_pos == 0)
				return unexpected_word(c, cmd == NULL ? line->req.op : NULL, w);
			if (line->n_pos == CLI_MAX_POS || (max_pos > 0 && line->n_pos == max_pos))
				return cli_usage(c, "too many arguments, from '%s'", w);
			line->pos[line->n_pos++] = w;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			words_only = true;
			continue;
		}
		if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
			if (cmd != NULL)
				cli_help_cmd(c, cmd);
			else
				cli_help_op(c, line->req.op);
			return CLI_HELP_SHOWN;
		}
		if (strcmp(w, "-o") == 0 && cmd == &cli_media_get_cmd) {
			/* -o is --output, the one short option. */
			static char output[] = "--output";
			argv[i] = output;
			int got = flag_option(c, cmd, line, argc, argv, &i);
			if (got != 1)
				return got;
			continue;
		}
		if (w[1] != '-')
			return cli_usage(c, "unknown option '%s' (put '--' before text that starts "
				"with '-')", w);
		int got = flag_option(c, cmd, line, argc, argv, &i);
		if (got == 0 && line->req.op != NULL)
			got = arg_option(c, &line->req, passthrough, max_pos != 0, argc, argv, &i);
		if (got == 0 && strcmp(w, "--password-stdin") == 0 && line->req.op != NULL &&
		    ag_op_arg(line->req.op, "password") != NULL && cli_accepts_arg(passthrough, "password")) {
			line->password_stdin = true;
			got = 1;
		}
		if (got == 0)
			got = cli_global_option(c, argc, argv, &i);
		if (got == 0)
			return unknown_option(c, cmd, &line->req, passthrough, w);
		if (got != 1)
			return got;
	}
	if (cmd != NULL && line->n_pos < cmd->min_pos)
		return cli_usage(c, "missing arguments: ansigram %s %s", cmd->name, cmd->args_usage);
	return CLI_OK;
}

/* ---- finding commands ---- */

const struct cli_cmd *cli_cmd_find(const char *name)
{
	for (const struct cli_cmd *cmd = cli_cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

bool cli_is_group(const char *group)
{
	size_t n = strlen(group);
	for (size_t i = 0; i < AG_OP__COUNT; i++)
		if (strncmp(ag_ops[i].name, group, n) == 0 && ag_ops[i].name[n] == '.')
			return true;
	return false;
}

const struct ag_op_spec *cli_op_lookup(const char *group, const char *verb)
{
	char name[128];
	int n = snprintf(name, sizeof name, "%s.%s", group, verb);
	if (n < 0 || (size_t)n >= sizeof name)
		return NULL;
	for (char *p = name + strlen(group) + 1; *p; p++)
		if (*p == '-')
			*p = '_';
	return ag_op_find(name, (size_t)n);
}

/* Edit distance between a and b, capped at 9. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 9;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] < 9 ? row[lb] : 9;
}

const char *cli_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	size_t limit = strlen(word) / 3 + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, candidates[i]);
		if (d < best_d && d <= limit) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

/* ---- running a command line ---- */

/* After an op-table command succeeded: a login reply is stored as the
 * session, and a logout removes the session file. */
static int after_op(struct cli *c, const struct ag_op_spec *op, const struct ag_reply *rep)
{
	if (ag_obj_get(rep->data, "token") != NULL && ag_obj_get(rep->data, "user") != NULL)
		return cli_save_login(c, rep->data);
	if (strcmp(op->name, "auth.logout") == 0 && !c->token_from_env &&
	    ag_session_delete(c->opts.session_path) != 0) {
		cli_warn("cannot remove %s: %s", c->opts.session_path, strerror(errno));
		return CLI_ERR_SERVER;
	}
	return CLI_OK;
}

static int run_cmd(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv);

static int run_op(struct cli *c, const struct ag_op_spec *op, int argc, char **argv)
{
	/* media.get gives bytes, not an object to print: a command of its own. */
	if (strcmp(op->name, cli_media_get_cmd.op) == 0)
		return run_cmd(c, &cli_media_get_cmd, argc, argv);
	snprintf(c->command, sizeof c->command, "%s", op->name);
	char *dot = strchr(c->command, '.');
	*dot = ' ';
	for (char *p = dot; *p; p++)
		if (*p == '_')
			*p = '-';
	struct cli_line line;
	int code = cli_parse_line(c, NULL, op->name, argc, argv, &line);
	if (code == CLI_OK)
		code = cli_settle(c);
	if (code == CLI_OK)
		code = cli_fill_password(c, &line, op->id == AG_OP_auth_register);
	if (code == CLI_OK) {
		struct ag_reply rep;
		code = cli_send(c, &line.req, &rep);
		if (code == CLI_OK)
			code = after_op(c, op, &rep);
		if (code == CLI_OK)
			cli_print_data(c, rep.data);
		ag_reply_free(&rep);
	}
	cli_line_free(&line);
	return code == CLI_HELP_SHOWN ? CLI_OK : code;
}

static int run_cmd(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	snprintf(c->command, sizeof c->command, "%s", cmd->name);
	c->cmd = cmd;
	struct cli_line line;
	int code = cli_parse_line(c, cmd, cmd->op, argc, argv, &line);
	if (code == CLI_OK)
		code = cli_settle(c);
	if (code == CLI_OK)
		code = cmd->run(c, &line);
	cli_line_free(&line);
	return code == CLI_HELP_SHOWN ? CLI_OK : code;
}

/* The verbs of group, dashed, for hints; returns how many. */
static size_t group_verbs(const char *group, char names[][48], size_t max)
{
	size_t n = 0, len = strlen(group);
	for (size_t i = 0; i < AG_OP__COUNT && n < max; i++) {
		if (strncmp(ag_ops[i].name, group, len) != 0 || ag_ops[i].name[len] != '.')
			continue;
		snprintf(names[n], 48, "%s", ag_ops[i].name + len + 1);
		for (char *p = names[n]; *p; p++)
			if (*p == '_')
				*p = '-';
		n++;
	}
	return n;
}

static int unknown_command(struct cli *c, const char *word)
{
	const char *names[AG_OP__COUNT + 64];
	char groups[AG_OP__COUNT][32];
	size_t n = 0;
	for (const struct cli_cmd *cmd = cli_cmds; cmd->name && n < 64; cmd++)
		names[n++] = cmd->name;
	for (size_t i = 0; i < AG_OP__COUNT; i++) {
		size_t len = strcspn(ag_ops[i].name, ".");
		snprintf(groups[i], sizeof groups[i], "%.*s", (int)len, ag_ops[i].name);
		names[n++] = groups[i];
	}
	const char *near = cli_closest(word, names, n);
	if (near != NULL)
		return cli_usage(c, "unknown command '%s'; did you mean '%s'?", word, near);
	return cli_usage(c, "unknown command '%s'", word);
}

/* Whether `CMD VERB WORDS...` is text for cmd rather than the op CMD.VERB:
 * cmd's words are TEXT from the first (post, story, search) and a word
 * follows the verb that is not an option (`post like a boss`). A lone
 * number after the verb is the op's (`post delete 5` is refused with a
 * hint rather than published). */
static bool is_text(const struct cli_cmd *cmd, int n, char **words)
{
	if (strncmp(cmd->args_usage, "TEXT", 4) != 0 || n == 0 || words[0][0] == '-')
		return false;
	bool number = words[0][strspn(words[0], "0123456789")] == '\0';
	return !(n == 1 && number);
}

int cli_run(struct cli *c, int argc, char **argv)
{
	const char *word = argv[0];
	const char *dot = strchr(word, '.');
	if (dot != NULL) {
		char group[64];
		snprintf(group, sizeof group, "%.*s", (int)(dot - word), word);
		const struct ag_op_spec *op = cli_op_lookup(group, dot + 1);
		if (op != NULL)
			return run_op(c, op, argc - 1, argv + 1);
		return unknown_command(c, word);
	}
	bool group = cli_is_group(word);
	const struct cli_cmd *cmd = cli_cmd_find(word);
	if (group && argc > 1) {
		const struct ag_op_spec *op = cli_op_lookup(word, argv[1]);
		if (op != NULL && !(cmd != NULL && is_text(cmd, argc - 2, argv + 2)))
			return run_op(c, op, argc - 2, argv + 2);
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			cli_help_group(c, word);
			return CLI_OK;
		}
	}
	char verbs[AG_OP__COUNT][48];
	const char *ptrs[AG_OP__COUNT];
	size_t n = group ? group_verbs(word, verbs, AG_OP__COUNT) : 0;
	for (size_t i = 0; i < n; i++)
		ptrs[i] = verbs[i];
	const char *near = argc > 1 ? cli_closest(argv[1], ptrs, n) : NULL;
	/* `post creat` is more likely a mistyped verb than a post saying
	 * "creat"; `post -- creat` says the latter. */
	if (cmd != NULL && (argc != 2 || near == NULL))
		return run_cmd(c, cmd, argc - 1, argv + 1);
	if (!group)
		return unknown_command(c, word);
	snprintf(c->command, sizeof c->command, "%s", word);
	if (argc == 1)
		return cli_usage(c, "'%s' wants a verb", word);
	if (near != NULL && cmd != NULL)
		return cli_usage(c, "'%s' has no verb '%s'; did you mean '%s %s'? (for the "
			"text '%s': ansigram %s -- %s)", word, argv[1], word, near, argv[1], word,
			argv[1]);
	if (near != NULL)
		return cli_usage(c, "'%s' has no verb '%s'; did you mean '%s %s'?", word, argv[1],
			word, near);
	return cli_usage(c, "'%s' has no verb '%s'", word, argv[1]);
}
