/* cli_help.c: --help for the program, a group of ops, one op and a
 * friendly command. Op help is written from the op table itself: summary,
 * login needs, saga retries, and each arg's type, limits, rule and help
 * text, so it can never disagree with what the CLI checks. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#define LEFT 24   /* the column where descriptions start */

void cli_option_name(const char *arg, char *out, size_t size)
{
	snprintf(out, size, "--%s", arg);
	for (char *p = out + 2; *p; p++)
		if (*p == '_')
			*p = '-';
}

/* Prints text wrapped to the width and ends the line; the cursor is at
 * column col, and continuation lines start after indent spaces. */
static void wrap(const struct cli *c, const char *text, int indent, int col)
{
	int width = c->cols > 100 ? 100 : c->cols;
	bool line_start = true;
	for (const char *p = text; *p; ) {
		size_t word = strcspn(p, " ");
		if (!line_start && col + 1 + (int)word > width && col > indent) {
			col = printf("\n%*s", indent, "") - 1;
			line_start = true;
		}
		if (!line_start)
			col += printf(" ");
		col += printf("%.*s", (int)word, p);
		line_start = false;
		p += word;
		p += strspn(p, " ");
	}
	putchar('\n');
}

/* "  LEFT    description", the description wrapped at column LEFT. */
static void item(const struct cli *c, const char *left, const char *text)
{
	int col = printf("  %s", left);
	if (col >= LEFT - 1)
		col = printf("\n%*s", LEFT, "") - 1;
	else
		col += printf("%*s", LEFT - col, "");
	wrap(c, text, LEFT, col);
}

static const char *metavar(const struct ag_arg_spec *a)
{
	switch (a->type) {
	case AG_T_ID:
		return "ID";
	case AG_T_INT:
		return "N";
	case AG_T_BOOL:
		return "[true|false]";
	case AG_T_BIN:
		return "FILE";
	case AG_T_STR:
		break;
	}
	switch (a->rule) {
	case AG_R_USERNAME:
		return "NAME";
	case AG_R_EMAIL:
		return "EMAIL";
	case AG_R_PASSWORD:
		return "PASSWORD";
	case AG_R_URL:
		return "URL";
	default:
		return "TEXT";
	}
}

/* What the table says about one arg: "help (required): type, limits". */
static void describe_arg(const struct ag_arg_spec *a, struct ag_buf *out)
{
	ag_buf_printf(out, "%s (%s): ", a->help, (a->flags & AG_A_REQ) ? "required" : "optional");
	switch (a->type) {
	case AG_T_ID:
		ag_buf_puts(out, "an id");
		return;
	case AG_T_INT:
		ag_buf_printf(out, "a whole number from %lld to %lld", (long long)a->min,
			(long long)a->max);
		return;
	case AG_T_BOOL:
		ag_buf_puts(out, "true or false; the bare option means true");
		return;
	case AG_T_BIN:
		ag_buf_printf(out, "the bytes of FILE (- for stdin), %lld to %lld bytes",
			(long long)a->min, (long long)a->max);
		return;
	case AG_T_STR:
		break;
	}
	static const char *const rules[] = {
		[AG_R_NONE] = "text",
		[AG_R_USERNAME] = "letters a-z, digits, '.' and '_'",
		[AG_R_EMAIL] = "an email address",
		[AG_R_PASSWORD] = "any text",
		[AG_R_LINE] = "one line of text",
		[AG_R_TEXT] = "text (newlines and tabs allowed)",
		[AG_R_NONBLANK_TEXT] = "text, not only white space (newlines and tabs allowed)",
		[AG_R_URL] = "an http:// or https:// URL",
		[AG_R_ANY] = "any text",
	};
	ag_buf_puts(out, rules[a->rule]);
	const char *unit = (a->rule == AG_R_PASSWORD || a->rule == AG_R_EMAIL) ? "bytes" : "characters";
	if (a->max < AG_MAX_REQUEST) {
		if (a->min > 0)
			ag_buf_printf(out, ", %lld to %lld %s", (long long)a->min, (long long)a->max, unit);
		else
			ag_buf_printf(out, ", at most %lld %s", (long long)a->max, unit);
	}
	if (a->flags & AG_A_NULLABLE)
		ag_buf_puts(out, "; '' sends nil, which clears it");
	if (strcmp(a->name, "password") == 0)
		ag_buf_puts(out, ". Other users can see it in ps: prefer --password-stdin, or leave "
			"it out to be asked on the terminal");
}

static void print_global_options(const struct cli *c)
{
	item(c, "--server URL", "request URL of the server (default: $ANSIGRAM_SERVER, else the "
		"server of the session file, else ansigramd's default ipc socket); repeated or "
		"comma-separated: instances of one server, all dialed, one that is down passed over");
	item(c, "--pub URL", "push URL for watch and the app (default: the one the login named, "
		"else the first one server.info lists); comma-separated: the session's push URL on "
		"each instance, repeats dropped");
	item(c, "--session FILE", "the session file (default: $ANSIGRAM_SESSION, else "
		"$XDG_CONFIG_HOME/ansigram/session)");
	item(c, "--ca FILE", "PEM CA certificate to verify a tls+tcp:// server");
	item(c, "--tls-server-name NAME", "the name the tls+tcp:// server's certificate must "
		"carry (default: the host in the URL)");
	item(c, "--json", "print the reply's data as JSON");
	item(c, "--timeout MS", "how long to wait for each reply (default 10000; 0: no limit)");
	item(c, "--ssh", "SSH hosting (sshd's ForceCommand): log in by the key of this SSH "
		"connection, run $SSH_ORIGINAL_COMMAND or the app; no file is read or written "
		"and --server, --pub, --session, --ca are refused (see ansigramd(8))");
}

static const char *auth_note(enum ag_auth auth)
{
	switch (auth) {
	case AG_AUTH_NONE:
		return "No login needed.";
	case AG_AUTH_OPT:
		return "Works without a login; when logged in, fields such as is_following and "
			"liked_by_me are about you.";
	case AG_AUTH_REQ:
		return "Needs a login.";
	case AG_AUTH_GATEWAY:
		return "Accepted only from the SSH gateway.";
	}
	return "";
}

/* "post create" for post.create (verb dashed) into out. */
static void command_words(const char *op_name, char *out, size_t size)
{
	snprintf(out, size, "%s", op_name);
	char *dot = strchr(out, '.');
	if (dot == NULL)
		return;
	*dot = ' ';
	for (char *p = dot; *p; p++)
		if (*p == '_')
			*p = '-';
}

static void usage_args(const struct ag_op_spec *op, struct ag_buf *out)
{
	for (size_t i = 0; i < op->n_args; i++) {
		const struct ag_arg_spec *a = &op->args[i];
		char name[64];
		cli_option_name(a->name, name, sizeof name);
		bool req = (a->flags & AG_A_REQ) && strcmp(a->name, "password") != 0;
		ag_buf_printf(out, req ? " %s %s" : " [%s %s]", name, metavar(a));
	}
}

static void arg_items(const struct cli *c, const struct ag_op_spec *op, const char *passthrough)
{
	for (size_t i = 0; i < op->n_args; i++) {
		const struct ag_arg_spec *a = &op->args[i];
		if (!cli_accepts_arg(passthrough, a->name))
			continue;
		char left[96];
		cli_option_name(a->name, left, sizeof left);
		snprintf(left + strlen(left), sizeof left - strlen(left), " %s", metavar(a));
		struct ag_buf text = {0};
		describe_arg(a, &text);
		item(c, left, ag_buf_str(&text));
		ag_buf_free(&text);
		if (strcmp(a->name, "password") == 0)
			item(c, "--password-stdin", "read the password from the first line of stdin");
	}
}

void cli_help_op(struct cli *c, const struct ag_op_spec *op)
{
	char words[128];
	command_words(op->name, words, sizeof words);
	struct ag_buf usage = {0};
	ag_buf_printf(&usage, "Usage: ansigram %s", words);
	usage_args(op, &usage);
	wrap(c, ag_buf_str(&usage), 7, 0);
	ag_buf_free(&usage);
	printf("%s\n\n", op->summary);
	struct ag_buf notes = {0};
	ag_buf_printf(&notes, "The op %s. %s", op->name, auth_note(op->auth));
	if (op->saga)
		ag_buf_puts(&notes, " Runs as a saga: sent with a fresh idempotency key and, when no "
			"reply comes in time, sent once more with the same key, so it never runs twice.");
	wrap(c, ag_buf_str(&notes), 0, 0);
	ag_buf_free(&notes);
	if (op->n_args > 0) {
		printf("\nOptions:\n");
		arg_items(c, op, NULL);
	}
	printf("\nAlso the program's options (--json, --server URL, ...: see 'ansigram --help').\n");
}

void cli_help_cmd(struct cli *c, const struct cli_cmd *cmd)
{
	struct ag_buf usage = {0};
	ag_buf_printf(&usage, "Usage: ansigram %s", cmd->name);
	if (cmd->args_usage[0] != '\0')
		ag_buf_printf(&usage, " %s", cmd->args_usage);
	bool has_flags = cmd->flags != NULL && cmd->flags[0].name != NULL;
	if (has_flags || cmd->passthrough != NULL)
		ag_buf_puts(&usage, " [OPTION]...");
	wrap(c, ag_buf_str(&usage), 7, 0);
	ag_buf_free(&usage);
	printf("%s\n", cmd->summary);
	if (cmd->details != NULL) {
		putchar('\n');
		wrap(c, cmd->details, 0, 0);
	}
	if (has_flags || cmd->passthrough != NULL) {
		printf("\nOptions:\n");
		for (const struct cli_flag *f = cmd->flags; f && f->name; f++) {
			char left[64];
			snprintf(left, sizeof left, "--%s%s%s", f->name, f->metavar ? " " : "",
				f->metavar ? f->metavar : "");
			item(c, left, f->help);
		}
		if (cmd->passthrough != NULL)
			arg_items(c, ag_op_find(cmd->op, strlen(cmd->op)), cmd->passthrough);
	}
	printf("\nAlso the program's options (--json, --server URL, ...: see 'ansigram --help').\n");
}

void cli_help_group(struct cli *c, const char *group)
{
	printf("Usage: ansigram %s VERB [--arg-name VALUE]...\n\nVerbs:\n", group);
	size_t len = strlen(group);
	for (size_t i = 0; i < AG_OP__COUNT; i++) {
		if (strncmp(ag_ops[i].name, group, len) != 0 || ag_ops[i].name[len] != '.')
			continue;
		char words[128];
		command_words(ag_ops[i].name, words, sizeof words);
		item(c, words + len + 1, ag_ops[i].summary);
	}
	printf("\n'ansigram %s VERB --help' lists a verb's options.\n", group);
	const struct cli_cmd *cmd = cli_cmd_find(group);
	if (cmd != NULL) {
		printf("\n'%s' is also a command of its own:\n\n", group);
		cli_help_cmd(c, cmd);
	}
}

void cli_help_program(struct cli *c)
{
	printf("Usage: ansigram [OPTION]... [COMMAND [ARG]...]\n"
		"The ansigram client. With no command it opens the full-screen app; with one it\n"
		"runs that command and exits, for use in scripts.\n\nOptions:\n");
	print_global_options(c);
	item(c, "--help", "show this help (after a command: that command's help)");
	item(c, "--version", "show the version");
	printf("\nCommands:\n");
	for (const struct cli_cmd *cmd = cli_cmds; cmd->name; cmd++) {
		char left[96];
		snprintf(left, sizeof left, "%s %s", cmd->name, cmd->args_usage);
		item(c, left, cmd->summary);
	}
	printf("\nEvery operation of the protocol, as GROUP VERB [--arg-name VALUE]...:\n");
	for (size_t i = 0; i < AG_OP__COUNT; ) {
		size_t len = strcspn(ag_ops[i].name, ".");
		struct ag_buf verbs = {0};
		size_t j = i;
		for (; j < AG_OP__COUNT && strncmp(ag_ops[j].name, ag_ops[i].name, len) == 0 &&
		       ag_ops[j].name[len] == '.'; j++) {
			char words[128];
			command_words(ag_ops[j].name, words, sizeof words);
			ag_buf_printf(&verbs, "%s%s", j > i ? " " : "", words + len + 1);
		}
		char group[64];
		snprintf(group, sizeof group, "%.*s", (int)len, ag_ops[i].name);
		item(c, group, ag_buf_str(&verbs));
		ag_buf_free(&verbs);
		i = j;
	}
	printf("\n'ansigram GROUP --help' and 'ansigram GROUP VERB --help' say more; any\n"
		"option may also come after the command, and --name=VALUE works too.\n"
		"After post, story and search, a verb followed by other words is text:\n"
		"'ansigram post like a boss' posts it; 'ansigram post like --post-id 7' or\n"
		"'ansigram post.like --post-id 7' likes; 'ansigram post -- delete 5' posts text\n"
		"that is a verb alone or a verb and a number.\n\n"
		"Environment:\n");
	item(c, "ANSIGRAM_SERVER", "request URL, as --server");
	item(c, "ANSIGRAM_SESSION", "session file, as --session");
	item(c, "ANSIGRAM_TOKEN", "session token to use instead of the session file's");
	item(c, "NO_COLOR", "when set, no colours");
	item(c, "VISUAL, EDITOR", "the app's Ctrl-E editor (else vi), run without a shell");
	printf("\nExit status: 0 ok, 1 the server answered an error, 2 usage error, 3 the server\n"
		"could not be reached or did not answer in time. The app (no command) waits\n"
		"for an unreachable server instead. Drafts: $XDG_STATE_HOME/ansigram/.\n");
}
