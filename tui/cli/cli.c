/* cli.c: what every command shares: program-wide options and environment,
 * the session file and token, the connection, sending a request (with
 * an idempotency key and one retry for saga-backed ops), error reports and
 * exit codes, passwords, and usage messages. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <nng/nng.h>
#include <sodium.h>

#include "text.h"

#define IDEM_BYTES 16

void cli_init(struct cli *c)
{
	memset(c, 0, sizeof *c);
	c->opts.timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
	const char *server = getenv("ANSIGRAM_SERVER");
	if (server != NULL && server[0] != '\0') {
		c->opts.server_url = server;
		c->server_from = "ANSIGRAM_SERVER";
	}
	if (ag_session_path(c->session_path, sizeof c->session_path) == 0)
		c->opts.session_path = c->session_path;
	c->stdout_tty = isatty(STDOUT_FILENO);
	const char *no_color = getenv("NO_COLOR");
	c->opts.color = c->stdout_tty && (no_color == NULL || no_color[0] == '\0');
	c->cols = 80;
	struct winsize ws;
	if (c->stdout_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		c->cols = ws.ws_col;
}

/* Whether url starts with a scheme nng can dial ("ipc://", "tcp://"...). */
static bool known_scheme(const char *url)
{
	static const char *const schemes[] = {"ipc", "tcp", "tcp4", "tcp6", "tls+tcp", "tls+tcp4",
		"tls+tcp6", "ws", "wss", "ws4", "ws6", "abstract", "inproc"};
	size_t len = strcspn(url, ":");
	if (strncmp(url + len, "://", 3) != 0)
		return false;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strlen(schemes[i]) == len && strncmp(url, schemes[i], len) == 0)
			return true;
	return false;
}

/* A usage error unless list (named by what, e.g. "--server") is one URL,
 * or several separated by commas, each with a scheme nng can dial. */
static int check_url(struct cli *c, const char *what, const char *list)
{
	char url[1024];
	int n = 0;
	for (const char *rest = ag_url_list_next(list, url, sizeof url); rest != NULL;
	     rest = ag_url_list_next(rest, url, sizeof url), n++)
		if (!known_scheme(url))
			return cli_usage(c, "%s '%s' is not a server URL: use ipc://PATH, "
				"tcp://HOST:PORT or tls+tcp://HOST:PORT", what, url);
	if (n == 0)
		return cli_usage(c, "%s names no server URL", what);
	if (n > AG_URL_LIST_MAX)
		return cli_usage(c, "%s names more than %d server URLs", what, AG_URL_LIST_MAX);
	return CLI_OK;
}

int cli_settle(struct cli *c)
{
	if (c->ssh)
		return CLI_OK;   /* server and in-memory session set by ssh_main */
	if (c->opts.session_path == NULL) {
		return cli_fail(c, CLI_ERR_USAGE, "the session file path is too long; give --session FILE");
	}
	if (c->opts.ca_file != NULL && access(c->opts.ca_file, R_OK) != 0) {
		return cli_fail(c, CLI_ERR_USAGE, "cannot read the CA file %s: %s", c->opts.ca_file,
			strerror(errno));
	}
	c->has_session = ag_session_load(c->opts.session_path, &c->session) == 0;
	if (c->opts.server_url == NULL && c->has_session && c->session.server[0] != '\0') {
		c->opts.server_url = c->session.server;
		c->server_from = "the session file's server";
	}
	if (c->opts.server_url == NULL) {
		char pub[sizeof c->server_url];
		if (ag_default_urls(c->server_url, sizeof c->server_url, pub, sizeof pub) != 0) {
			return cli_fail(c, CLI_ERR_USAGE,
				"the default server URL is too long; give --server URL");
		}
		c->opts.server_url = c->server_url;
		c->server_from = "the default server URL";
	}
	int code = check_url(c, c->server_from, c->opts.server_url);
	if (code == CLI_OK && c->opts.pub_url != NULL)
		code = check_url(c, "--pub", c->opts.pub_url);
	if (code != CLI_OK)
		return code;
	const char *env_token = getenv("ANSIGRAM_TOKEN");
	if (env_token != NULL && env_token[0] != '\0') {
		c->token = env_token;
		c->token_from_env = true;
	} else if (c->has_session && c->session.token[0] != '\0' &&
		   (c->session.server[0] == '\0' ||
		    strcmp(c->session.server, c->opts.server_url) == 0)) {
		/* A token is only ever sent to the server that issued it. */
		c->token = c->session.token;
	}
	return CLI_OK;
}

void cli_finish(struct cli *c)
{
	ag_client_close(c->client);
	c->client = NULL;
	sodium_memzero(&c->session, sizeof c->session);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ansigram: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_json_error(const char *code, const char *message, const char *field)
{
	struct ag_buf text = {0};
	ag_text_sanitize(&text, message, strlen(message), 0);
	json_t *error = json_object();
	json_object_set_new(error, "code", json_string(code));
	json_object_set_new(error, "message", json_string(ag_buf_str(&text)));
	if (field != NULL && field[0] != '\0')
		json_object_set_new(error, "field", json_string(field));
	json_t *v = json_object();
	json_object_set_new(v, "error", error);
	ag_json_print(stderr, v, 0);
	json_decref(v);
	ag_buf_free(&text);
}

/* The code of a failure found here rather than by the server, by its exit
 * code, for --json errors. */
static const char *local_code(int exit_code)
{
	switch (exit_code) {
	case CLI_ERR_USAGE:
		return "usage";
	case CLI_ERR_UNREACHABLE:
		return "unreachable";
	default:
		return "local";
	}
}

/* Prints a failure's message as cli_warn does, or as a JSON error with
 * --json; returns exit_code. */
static int vfail(struct cli *c, int exit_code, const char *fmt, va_list ap)
{
	if (!c->opts.json) {
		fputs("ansigram: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		return exit_code;
	}
	char message[1024];
	vsnprintf(message, sizeof message, fmt, ap);
	cli_json_error(local_code(exit_code), message, NULL);
	return exit_code;
}

int cli_fail(struct cli *c, int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(c, exit_code, fmt, ap);
	va_end(ap);
	return exit_code;
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(c, CLI_ERR_USAGE, fmt, ap);
	va_end(ap);
	if (c->opts.json)
		return CLI_ERR_USAGE;
	if (c->command[0] != '\0')
		fprintf(stderr, "Try 'ansigram %s --help'.\n", c->command);
	else
		fprintf(stderr, "Try 'ansigram --help'.\n");
	return CLI_ERR_USAGE;
}

/* The value of option name at argv[*i]: after '=' in the same word, else
 * the next word. NULL (after a message) when there is none. */
static const char *option_value(struct cli *c, int argc, char **argv, int *i, const char *name)
{
	const char *eq = strchr(argv[*i], '=');
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 >= argc) {
		cli_usage(c, "option --%s needs a value", name);
		return NULL;
	}
	return argv[++*i];
}

/* Whether argv word is "--name" or "--name=...". */
static bool is_option(const char *word, const char *name)
{
	size_t n = strlen(name);
	return strncmp(word, "--", 2) == 0 && strncmp(word + 2, name, n) == 0 &&
		(word[2 + n] == '\0' || word[2 + n] == '=');
}

int cli_leading_options(struct cli *c, int n, char **words, int *next)
{
	int i = 0;
	for (; i < n; i++) {
		const char *w = words[i];
		if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
			cli_help_program(c);
			return CLI_OK;
		}
		if (strcmp(w, "--version") == 0) {
			printf("ansigram %s (protocol %d)\n", AG_VERSION, AG_PROTOCOL_VERSION);
			return CLI_OK;
		}
		if (strcmp(w, "--") == 0) {
			i++;
			break;
		}
		if (w[0] != '-')
			break;
		int got = cli_global_option(c, n, words, &i);
		if (got == 0)
			return cli_usage(c, "unknown option '%s'", w);
		if (got != 1)
			return got;
	}
	*next = i;
	return CLI_GO_ON;
}

int cli_global_option(struct cli *c, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {"server", "pub", "session", "ca",
		"tls-server-name", "timeout"};
	const char *word = argv[*i];
	if (is_option(word, "json")) {
		if (strchr(word, '=') != NULL)
			return cli_usage(c, "option --json takes no value");
		c->opts.json = 1;
		return 1;
	}
	for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
		const char *name = with_value[k];
		if (!is_option(word, name))
			continue;
		const char *value = option_value(c, argc, argv, i, name);
		if (value == NULL)
			return CLI_ERR_USAGE;
		if (strcmp(name, "timeout") == 0) {
			char *end;
			errno = 0;
			long ms = strtol(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0' || ms < 0 || ms > 86400000)
				return cli_usage(c, "--timeout wants milliseconds from 0 (no limit) "
					"to 86400000, not '%s'", value);
			c->opts.timeout_ms = (int)ms;
		} else if (value[0] == '\0') {
			return cli_usage(c, "option --%s needs a value", name);
		} else if (strcmp(name, "server") == 0) {
			/* Repeated: instances of one server, all dialed. */
			size_t have = c->opts.server_url == c->server_list ? strlen(c->server_list) : 0;
			int n = snprintf(c->server_list + have, sizeof c->server_list - have, "%s%s",
				have ? "," : "", value);
			if (n < 0 || (size_t)n >= sizeof c->server_list - have)
				return cli_usage(c, "the --server URLs are too long together");
			c->opts.server_url = c->server_list;
			c->server_from = "--server";
		} else if (strcmp(name, "pub") == 0) {
			c->opts.pub_url = value;
		} else if (strcmp(name, "session") == 0) {
			c->opts.session_path = value;
		} else if (strcmp(name, "tls-server-name") == 0) {
			c->opts.tls_server_name = value;
		} else {
			c->opts.ca_file = value;
		}
		return 1;
	}
	return 0;
}

static int connect_server(struct cli *c)
{
	if (c->client != NULL)
		return CLI_OK;
	struct ag_tls tls = {c->opts.ca_file, c->opts.tls_server_name};
	int rv = ag_client_open_tls(&c->client, c->opts.server_url, c->opts.timeout_ms, &tls);
	if (rv == 0)
		return CLI_OK;
	cli_fail(c, CLI_ERR_UNREACHABLE, "cannot reach the server at %s: %s", c->opts.server_url,
		nng_strerror(rv));
	if (!c->opts.json && (rv == NNG_ECONNREFUSED || rv == NNG_ENOENT))
		fprintf(stderr, "Is ansigramd running there? Give another URL with --server or "
			"ANSIGRAM_SERVER.\n");
	return CLI_ERR_UNREACHABLE;
}

/* Says what went wrong with a reply that arrived with ok false, and how
 * to get on when it is about the login. */
static void report_error(struct cli *c, const struct ag_req *r, const struct ag_reply *rep)
{
	if (c->opts.json) {
		cli_json_error(rep->code_name, rep->message, rep->field);
		return;
	}
	struct ag_buf msg = {0};
	ag_text_sanitize(&msg, rep->message, strlen(rep->message), 0);
	fprintf(stderr, "error: %s: %s", rep->code_name, ag_buf_str(&msg));
	if (rep->field[0] != '\0') {
		/* Named as the person typed it: an op-table command's option, or
		 * a friendly command's word or option; else the field alone. */
		char typed[64];
		const char *kind = "option";
		const char *name = c->cmd != NULL
			? cli_cmd_typed(c->cmd, rep->field, typed, sizeof typed, &kind)
			: (cli_option_name(rep->field, typed, sizeof typed), typed);
		if (name != NULL)
			fprintf(stderr, " (field: %s, %s %s)", rep->field, kind, name);
		else
			fprintf(stderr, " (field: %s)", rep->field);
	}
	if (rep->code == AG_E_RATE_LIMITED && rep->retry_after_ms > 0)
		fprintf(stderr, " (retry in %llu s)",
			(unsigned long long)((rep->retry_after_ms + 999) / 1000));
	fputc('\n', stderr);
	ag_buf_free(&msg);

	if (rep->code != AG_E_UNAUTHORIZED || r->op->auth == AG_AUTH_NONE)
		return;
	if (c->ssh)
		fprintf(stderr, "The session of your SSH key has ended; connect again.\n");
	else if (c->token_from_env)
		fprintf(stderr, "The token in ANSIGRAM_TOKEN is not (or no longer) valid.\n");
	else if (c->token != NULL)
		fprintf(stderr, "Your session has ended; log in again with 'ansigram login'.\n");
	else if (c->has_session && c->session.token[0] != '\0')
		fprintf(stderr, "The session in %s is for %s; log in to %s with 'ansigram login'.\n",
			c->opts.session_path, c->session.server, c->opts.server_url);
	else
		fprintf(stderr, "Not logged in; log in with 'ansigram login' or 'ansigram register'.\n");
}

int cli_send(struct cli *c, struct ag_req *r, struct ag_reply *out)
{
	return cli_send_allowing(c, r, out, AG_OK);
}

int cli_send_allowing(struct cli *c, struct ag_req *r, struct ag_reply *out, enum ag_err allowed)
{
	memset(out, 0, sizeof *out);
	msgpack_unpacked_init(&out->un);
	if (ag_req_check(r) != AG_OK) {
		char option[64];
		cli_option_name(r->error.field, option, sizeof option);
		return cli_usage(c, "%s needs %s", r->op->name, option);
	}
	int code = connect_server(c);
	if (code != CLI_OK)
		return code;
	ag_client_set_auth(c->client, r->op->auth == AG_AUTH_NONE ? NULL : c->token);

	char idem[2 * IDEM_BYTES + 1];
	if (r->op->saga) {
		unsigned char raw[IDEM_BYTES];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2hex(idem, sizeof idem, raw, sizeof raw);
	}
	const char *key = r->op->saga ? idem : NULL;
	int rv = ag_client_send(c->client, r, key, out);
	if (rv == NNG_ETIMEDOUT && key != NULL) {
		cli_warn("no reply within %d ms; sending %s once more (it will not run twice)",
			c->opts.timeout_ms, r->op->name);
		ag_reply_free(out);
		rv = ag_client_send(c->client, r, key, out);
	}
	if (rv == NNG_ETIMEDOUT) {
		return cli_fail(c, CLI_ERR_UNREACHABLE, "no reply from the server at %s within %d ms",
			c->opts.server_url, c->opts.timeout_ms);
	}
	if (rv == NNG_EPROTO) {
		return cli_fail(c, CLI_ERR_UNREACHABLE,
			"the server at %s did not answer in the ansigram protocol", c->opts.server_url);
	}
	if (rv != 0) {
		return cli_fail(c, CLI_ERR_UNREACHABLE, "lost the server at %s: %s",
			c->opts.server_url, nng_strerror(rv));
	}
	if (!out->ok) {
		if (allowed == AG_OK || out->code != allowed)
			report_error(c, r, out);
		return CLI_ERR_SERVER;
	}
	return CLI_OK;
}

int cli_my_id(struct cli *c, int64_t *id)
{
	if (!c->token_from_env && c->token != NULL && c->session.user_id > 0) {
		*id = c->session.user_id;
		return CLI_OK;
	}
	struct ag_req r;
	struct ag_reply rep;
	cli_req_init(&r, "auth.me");
	int code = cli_send(c, &r, &rep);
	if (code == CLI_OK)
		*id = ag_obj_int(rep.data, "id");
	ag_reply_free(&rep);
	ag_req_free(&r);
	return code;
}

int cli_user_id(struct cli *c, const char *name, int64_t *id)
{
	const char *bare = name[0] == '@' ? name + 1 : name;
	if (bare[0] == '\0')
		return cli_usage(c, "'%s' is not a user name", name);
	struct ag_req r;
	struct ag_reply rep;
	cli_req_init(&r, "user.get");
	int code = cli_req_set_text(c, &r, "username", bare, "the user name");
	if (code == CLI_OK)
		code = cli_send_allowing(c, &r, &rep, AG_E_NOT_FOUND);
	else
		memset(&rep, 0, sizeof rep);
	if (code == CLI_ERR_SERVER && rep.code == AG_E_NOT_FOUND) {
		/* Said with the name as typed: the lookup is not the person's op. */
		struct ag_buf shown = {0}, message = {0};
		ag_text_sanitize(&shown, bare, strlen(bare), 0);
		ag_buf_printf(&message, "There is no user @%s.", ag_buf_str(&shown));
		if (c->opts.json)
			cli_json_error(rep.code_name, ag_buf_str(&message), NULL);
		else
			fprintf(stderr, "error: %s: %s\n", rep.code_name, ag_buf_str(&message));
		ag_buf_free(&shown);
		ag_buf_free(&message);
	}
	if (code == CLI_OK)
		*id = ag_obj_int(rep.data, "id");
	ag_reply_free(&rep);
	ag_req_free(&r);
	return code;
}

/* Copies a bin field of exactly size bytes; false when it is not that. */
static bool bin_field(const msgpack_object *map, const char *key, uint8_t *out, size_t size)
{
	const msgpack_object *o = ag_obj_get(map, key);
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != size)
		return false;
	memcpy(out, o->via.bin.ptr, size);
	return true;
}

int cli_session_from_login(struct cli *c, const msgpack_object *data, struct ag_session *s)
{
	memset(s, 0, sizeof *s);
	const msgpack_object *token = ag_obj_get(data, "token");
	const msgpack_object *user = ag_obj_get(data, "user");
	const msgpack_object *name = ag_obj_get(user, "username");
	if (token == NULL || token->type != MSGPACK_OBJECT_STR ||
	    token->via.str.size >= sizeof s->token) {
		return cli_fail(c, CLI_ERR_SERVER, "the server's login reply holds no usable token");
	}
	memcpy(s->token, token->via.str.ptr, token->via.str.size);
	ag_strlcpy(s->server, c->opts.server_url, sizeof s->server);
	s->user_id = ag_obj_int(user, "id");
	if (name != NULL && name->type == MSGPACK_OBJECT_STR && name->via.str.size < sizeof s->username)
		memcpy(s->username, name->via.str.ptr, name->via.str.size);
	s->expires_at = ag_obj_int(data, "expires_at");
	const msgpack_object *push = ag_obj_get(data, "push");
	s->has_push = bin_field(push, "topic", s->push_topic, sizeof s->push_topic) &&
		bin_field(push, "key", s->push_key, sizeof s->push_key);
	ag_session_take_push_url(s, ag_obj_get(push, "urls"), c->opts.server_url);
	return CLI_OK;
}

int cli_save_login(struct cli *c, const msgpack_object *data)
{
	if (c->ssh) {
		return cli_fail(c, CLI_ERR_USAGE,
			"over SSH you are logged in by your key; no session is saved");
	}
	struct ag_session s;
	int code = cli_session_from_login(c, data, &s);
	if (code != CLI_OK)
		return code;
	int rv = ag_session_save(c->opts.session_path, &s);
	int saved_errno = errno;
	sodium_memzero(&s, sizeof s);
	if (rv != 0) {
		return cli_fail(c, CLI_ERR_SERVER, "cannot save the session to %s: %s",
			c->opts.session_path, strerror(saved_errno));
	}
	return CLI_OK;
}

/* The terminal as it was before a no-echo prompt, and during it. */
static struct termios prompt_saved, prompt_quiet;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
#define N_PROMPT_SIGNALS (sizeof prompt_signals / sizeof prompt_signals[0])

/* A signal during a no-echo prompt: restores the terminal, then lets the
 * signal do what it does by default. After a stop (SIGTSTP) and a
 * continue, the prompt is quiet again. */
static void prompt_interrupted(int sig)
{
	int saved_errno = errno;
	tcsetattr(STDIN_FILENO, TCSANOW, &prompt_saved);
	struct sigaction dfl = {.sa_handler = SIG_DFL}, mine;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, &mine);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);   /* delivered here */
	/* Only a stop comes back here. */
	sigaction(sig, &mine, NULL);
	tcsetattr(STDIN_FILENO, TCSANOW, &prompt_quiet);
	errno = saved_errno;
}

/* Reads one line from f without its line ending; NULL at end of input. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* Echo goes off before the prompt is shown and without TCSAFLUSH, so a
 * password typed ahead of the prompt is kept; the terminal is restored on
 * every way out, signals included. */
static char *prompt_password(const char *prompt)
{
	if (tcgetattr(STDIN_FILENO, &prompt_saved) != 0)
		return NULL;
	prompt_quiet = prompt_saved;
	prompt_quiet.c_lflag &= ~(tcflag_t)ECHO;
	prompt_quiet.c_lflag |= ECHONL;
	/* SA_RESTART: after a stop and continue, the read goes on waiting. */
	struct sigaction sa = {.sa_handler = prompt_interrupted, .sa_flags = SA_RESTART},
		old[N_PROMPT_SIGNALS];
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
	char *line = NULL;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &prompt_quiet) == 0) {
		fputs(prompt, stderr);
		fflush(stderr);
		line = read_line(stdin);
		tcsetattr(STDIN_FILENO, TCSANOW, &prompt_saved);
	}
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	return line;
}

void cli_free_secret(char *s)
{
	if (s != NULL)
		sodium_memzero(s, strlen(s));
	free(s);
}

int cli_read_password(struct cli *c, bool from_stdin, bool confirm, char **out)
{
	*out = NULL;
	if (from_stdin) {
		*out = read_line(stdin);
		if (*out == NULL)
			return cli_usage(c, "--password-stdin: nothing to read on stdin");
		return CLI_OK;
	}
	if (!isatty(STDIN_FILENO))
		return cli_usage(c, "no password given: use --password-stdin, or run on a "
			"terminal to be asked");
	char *first = prompt_password("Password: ");
	if (first == NULL)
		return cli_usage(c, "no password given");
	if (confirm) {
		char *again = prompt_password("Password again: ");
		bool same = again != NULL && strcmp(first, again) == 0;
		cli_free_secret(again);
		if (!same) {
			cli_free_secret(first);
			return cli_usage(c, "the passwords do not match");
		}
	}
	*out = first;
	return CLI_OK;
}

int cli_join_text(struct cli *c, const char *const *words, int n, char **out)
{
	struct ag_buf text = {0};
	if (n == 1 && strcmp(words[0], "-") == 0) {
		char chunk[4096];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
			ag_buf_append(&text, chunk, got);
		if (ferror(stdin)) {
			ag_buf_free(&text);
			return cli_usage(c, "cannot read the text from stdin");
		}
		if (text.len > 0 && text.data[text.len - 1] == '\n')
			text.data[--text.len] = '\0';
	} else {
		for (int i = 0; i < n; i++) {
			if (i > 0)
				ag_buf_append(&text, " ", 1);
			ag_buf_puts(&text, words[i]);
		}
	}
	*out = strdup(ag_buf_str(&text));
	ag_buf_free(&text);
	if (*out == NULL)
		abort();
	return CLI_OK;
}
