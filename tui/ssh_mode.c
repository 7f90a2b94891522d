/* ssh_mode.c: `ansigram --ssh`, what sshd runs (ForceCommand) for every
 * login to the dedicated account that hosts ansigram over SSH.
 *
 * Everyone who connects shares that one local account, so this mode keeps
 * the session in memory only, reads no session, config or state file, and
 * refuses every option that names a local file or another server. The
 * person is logged in by the public key sshd authenticated (the
 * `publickey` line of the file named by SSH_USER_AUTH, from sshd's
 * ExposeAuthInfo) through auth.login_ssh. With SSH_ORIGINAL_COMMAND set
 * (`ssh HOST feed --json`) the command runs as the scripted CLI; without
 * it the TUI opens, logged in when the key is linked, else at the login
 * form, which then offers to link the key. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <sodium.h>

#include "app.h"
#include "sshkey.h"

#define SSH_DEFAULT_SERVER "ipc:///run/ansigram/ansigramd.sock"
#define SSH_MAX_WORDS 256
#define AUTH_INFO_MAX 65536
#define COMMAND_MAX 65536

bool ssh_refused_option(const char *word)
{
	static const char *const refused[] = {"session", "server", "pub", "ca", "photo", "output",
		"data"};
	if (strcmp(word, "-o") == 0)
		return true;
	if (strncmp(word, "--", 2) != 0)
		return false;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		size_t n = strlen(refused[i]);
		if (strncmp(word + 2, refused[i], n) == 0 && (word[2 + n] == '\0' || word[2 + n] == '='))
			return true;
	}
	return false;
}

static int refuse_option(const char *word)
{
	const char *eq = strchr(word, '=');
	int n = eq ? (int)(eq - word) : (int)strlen(word);
	cli_warn("%.*s is not available over SSH: you reach this server only, as yourself, "
		"and no file on this host is read or written", n, word);
	return CLI_ERR_USAGE;
}

/* Splits a command line the way a shell splits simple ones: blanks
 * separate words; '...' is literal; "..." keeps blanks, with \" \\ \$ \`
 * escaped; a backslash outside quotes escapes the next character. No
 * expansion of any kind. Returns the word count, or -1 (unbalanced
 * quotes, too many words). words[i] are malloc'd. */
static int split_command(const char *s, char **words, int max)
{
	int n = 0;
	size_t cap = strlen(s) + 1;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		if (n == max)
			goto fail;
		char *w = malloc(cap), *o = w;
		if (w == NULL)
			abort();
		words[n++] = w;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');
				if (end == NULL)
					goto fail;
				memcpy(o, s + 1, (size_t)(end - s - 1));
				o += end - s - 1;
				s = end + 1;
			} else if (*s == '"') {
				for (s++; *s != '"'; s++) {
					if (*s == '\0')
						goto fail;
					if (*s == '\\' && s[1] != '\0' && strchr("\"\\$`", s[1]))
						s++;
					*o++ = *s;
				}
				s++;
			} else if (*s == '\\' && s[1] != '\0') {
				*o++ = s[1];
				s += 2;
			} else {
				*o++ = *s++;
			}
		}
		*o = '\0';
	}
	return n;
fail:
	for (int i = 0; i < n; i++)
		free(words[i]);
	return -1;
}

/* Commands that log in or out, which the key does instead over SSH. The
 * command is the first word after the program-wide options. */
static bool refused_command(char **words, int n)
{
	static const char *const verbs[] = {"login", "logout", "register", "login-ssh", "login_ssh"};
	int i = 0;
	while (i < n && words[i][0] == '-' && strcmp(words[i], "--") != 0)
		i += strcmp(words[i], "--timeout") == 0 ? 2 : 1;
	if (i < n && strcmp(words[i], "--") == 0)
		i++;
	if (i >= n)
		return false;
	const char *cmd = words[i], *group = cmd, *verb = i + 1 < n ? words[i + 1] : "";
	const char *dot = strchr(cmd, '.');
	char head[32];
	if (dot != NULL) {
		snprintf(head, sizeof head, "%.*s", (int)(dot - cmd), cmd);
		group = head;
		verb = dot + 1;
	}
	for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++) {
		if (strcmp(cmd, verbs[k]) == 0)
			return true;
		if (strcmp(group, "auth") == 0 && strcmp(verb, verbs[k]) == 0)
			return true;
	}
	return false;
}

/* Reads the key sshd authenticated: the first "publickey TYPE BASE64"
 * line of the ExposeAuthInfo file, as "TYPE BASE64" into a malloc'd
 * string. Returns 0, or -1 after saying why. */
static int read_auth_key(char **out)
{
	const char *path = getenv("SSH_USER_AUTH");
	if (path == NULL || path[0] == '\0') {
		cli_warn("SSH_USER_AUTH is not set: ansigram --ssh runs under sshd with "
			"'ExposeAuthInfo yes' (see 'man ansigramd')");
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		cli_warn("cannot read sshd's authentication info %s", path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	size_t total = 0;
	*out = NULL;
	while (*out == NULL && (len = getline(&line, &cap, f)) > 0 && total < AUTH_INFO_MAX) {
		total += (size_t)len;
		if (strncmp(line, "publickey ", 10) != 0)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		*out = strdup(line + 10);
	}
	free(line);
	fclose(f);
	if (*out == NULL) {
		cli_warn("this SSH connection was not authenticated by a public key; "
			"connect with a key (AuthenticationMethods publickey)");
		return -1;
	}
	return 0;
}

/* Logs in by the key. Returns CLI_OK (c->session filled), or
 * CLI_ERR_SERVER with *linked false for a key no account has linked, or
 * another exit code after a message. */
static int login_by_key(struct cli *c, const char *key, bool *linked)
{
	*linked = true;
	int rv = ag_client_open(&c->client, c->opts.server_url, c->opts.timeout_ms);
	if (rv != 0) {
		cli_warn("cannot reach the server at %s: %s", c->opts.server_url, nng_strerror(rv));
		return CLI_ERR_UNREACHABLE;
	}
	struct ag_reply rep;
	rv = ag_client_callf(c->client, &rep, "auth.login_ssh", NULL, "public_key:s", key);
	int code = CLI_OK;
	if (rv != 0) {
		cli_warn("no answer from the server at %s: %s", c->opts.server_url, nng_strerror(rv));
		code = CLI_ERR_UNREACHABLE;
	} else if (rep.ok) {
		code = cli_session_from_login(c, rep.data, &c->session);
		if (code == CLI_OK) {
			c->has_session = true;
			c->token = c->session.token;
		}
	} else if (rep.code == AG_E_UNAUTHORIZED) {
		*linked = false;
		code = CLI_ERR_SERVER;
	} else if (rep.code == AG_E_FORBIDDEN) {
		cli_warn("the server does not accept SSH logins from this account; its operator "
			"must start ansigramd with --ssh-gateway-uid for it");
		code = CLI_ERR_SERVER;
	} else {
		cli_warn("cannot log in by SSH key: %s", rep.message);
		code = CLI_ERR_SERVER;
	}
	ag_reply_free(&rep);
	return code;
}

/* Runs words (from SSH_ORIGINAL_COMMAND) as the CLI: program-wide options
 * first, then the command. */
static int run_command(struct cli *c, int n, char **words)
{
	int i;
	int code = cli_leading_options(c, n, words, &i);
	if (code != CLI_GO_ON)
		return code;
	if (i == n)
		return cli_usage(c, "give a command, e.g. 'ssh HOST feed', or none for the full-screen app");
	return cli_run(c, n - i, words + i);
}

int ssh_main(struct cli *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ssh") == 0)
			continue;
		if (ssh_refused_option(argv[i]))
			return refuse_option(argv[i]);
		cli_warn("ansigram --ssh takes no other arguments: the command comes from "
			"SSH_ORIGINAL_COMMAND");
		return CLI_ERR_USAGE;
	}
	c->ssh = true;
	c->opts.ssh = true;
	c->opts.session_path = NULL;
	c->opts.ca_file = NULL;
	c->opts.pub_url = getenv("ANSIGRAM_PUB");
	if (c->opts.pub_url != NULL && c->opts.pub_url[0] == '\0')
		c->opts.pub_url = NULL;
	if (c->opts.server_url == NULL)
		c->opts.server_url = SSH_DEFAULT_SERVER;

	/* Everything the command asks is checked before anything is read. */
	const char *command = getenv("SSH_ORIGINAL_COMMAND");
	char *words[SSH_MAX_WORDS];
	int n = 0;
	if (command != NULL && strlen(command) > COMMAND_MAX) {
		cli_warn("the command is longer than %d bytes", COMMAND_MAX);
		return CLI_ERR_USAGE;
	}
	if (command != NULL && command[0] != '\0') {
		n = split_command(command, words, SSH_MAX_WORDS);
		if (n < 0) {
			cli_warn("cannot read the command: unbalanced quotes, or more than %d words",
				SSH_MAX_WORDS);
			return CLI_ERR_USAGE;
		}
	}
	int code = CLI_OK;
	for (int i = 0; i < n && code == CLI_OK && strcmp(words[i], "--") != 0; i++)
		if (ssh_refused_option(words[i]))
			code = refuse_option(words[i]);
	if (code == CLI_OK && refused_command(words, n)) {
		cli_warn("'%s' is not available over SSH: your key logs you in. To use another "
			"account, connect without a command and log out (X on the profile screen)",
			command);
		code = CLI_ERR_USAGE;
	}

	char *key = NULL;
	struct ag_sshkey parsed = {0};
	if (code == CLI_OK && read_auth_key(&key) != 0)
		code = CLI_ERR_SERVER;
	if (code == CLI_OK) {
		char why[200];
		if (ag_sshkey_parse(key, strlen(key), &parsed, why, sizeof why) != 0) {
			cli_warn("the key this connection used cannot be linked: %s", why);
			code = CLI_ERR_SERVER;
		} else {
			snprintf(c->ssh_fingerprint, sizeof c->ssh_fingerprint, "%s", parsed.fingerprint);
		}
	}
	bool linked = false;
	if (code == CLI_OK)
		code = login_by_key(c, key, &linked);
	if (n > 0) {
		if (code == CLI_ERR_SERVER && !linked) {
			cli_warn("your SSH key %s is not linked to an ansigram account", c->ssh_fingerprint);
			fprintf(stderr, "To link it, connect without a command (ssh -t HOST), log in or "
				"register, and say yes when asked; or run 'ansigram ssh-key add' where you "
				"are logged in.\n");
		} else if (code == CLI_OK) {
			code = run_command(c, n, words);
		}
	} else if ((code == CLI_OK || (code == CLI_ERR_SERVER && !linked)) &&
		   (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		cli_warn("the app needs a terminal: connect with 'ssh -t HOST', or give a command "
			"('ssh HOST feed')");
		code = CLI_ERR_USAGE;
	} else if (code == CLI_OK || (code == CLI_ERR_SERVER && !linked)) {
		c->opts.ssh_session = linked ? &c->session : NULL;
		c->opts.ssh_key = linked ? NULL : key;
		c->opts.ssh_fingerprint = c->ssh_fingerprint;
		ag_client_close(c->client);   /* the TUI opens its own */
		c->client = NULL;
		code = tui_run(&c->opts);
	}
	for (int i = 0; i < n; i++)
		free(words[i]);
	ag_sshkey_free(&parsed);
	free(key);
	return code;
}
