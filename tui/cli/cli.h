/* cli.h: the scripted command line of ansigram (given a subcommand).
 *
 * Every op of the protocol's op table is a command `GROUP VERB` whose
 * options are the op's args (cli_ops.c, with help from the same table in
 * cli_help.c); friendly commands such as `feed` or `dm @bob hi` sit on top
 * (cli_cmds.c, cli_watch.c). Both build a struct ag_req (protocol/request.h),
 * checked against the table before anything is sent, and send it through cli_send(),
 * which connects, authenticates, retries saga-backed ops once with the
 * same idempotency key and reports errors. Output is JSON (--json) or
 * readable text fitted to the terminal (cli_print.c).
 *
 * Exit codes: CLI_OK, CLI_ERR_SERVER (the server answered an error),
 * CLI_ERR_USAGE, CLI_ERR_UNREACHABLE (no connection, or no reply in time). */
#ifndef AG_CLI_H
#define AG_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "json.h"
#include "proto.h"
#include "request.h"
#include "session.h"

enum {
	CLI_OK = 0,
	CLI_ERR_SERVER = 1,
	CLI_ERR_USAGE = 2,
	CLI_ERR_UNREACHABLE = 3,
	CLI_HELP_SHOWN = -1,   /* parsing stopped after printing --help */
};

#define CLI_DEFAULT_TIMEOUT_MS 10000

/* Everything one run of the program knows: options, session, connection. */
struct cli {
	struct ag_client_opts opts;
	char server_url[1024];
	char server_list[1024];      /* the --server URLs, comma-separated */
	const char *server_from;     /* where server_url came from, for messages ("--server") */
	char session_path[4096];
	struct ag_session session;   /* the session file (zeroed when there is none) */
	bool has_session;            /* the file was read */
	const char *token;           /* sent as auth: $ANSIGRAM_TOKEN or the file's; NULL: none */
	bool token_from_env;
	char command[64];            /* the command being run, for messages ("post create") */
	const struct cli_cmd *cmd;   /* the friendly command being run, or NULL */
	struct ag_client *client;    /* connected by the first call */
	int cols;                    /* output width in columns */
	bool stdout_tty;
	bool ssh;                    /* --ssh: the session is in memory, logged in by a key */
	char ssh_fingerprint[64];    /* the key that logged in (--ssh) */
};

/* A friendly command's own option: either another name for one of its
 * op's args (arg set) or a flag of the command itself (arg NULL). */
struct cli_flag {
	const char *name;       /* as typed, without "--" */
	const char *arg;        /* the op arg it sets, or NULL */
	const char *metavar;    /* NULL: a flag without a value */
	const char *help;
};

#define CLI_MAX_POS 16
#define CLI_MAX_FLAGS 4

/* A command line after parsing: the main op's request, the positional
 * words, and the values of the command's own flags ("" for a flag
 * without a value; NULL when not given). */
struct cli_line {
	const struct cli_cmd *cmd;    /* NULL for an op-table command */
	struct ag_req req;
	const char *pos[CLI_MAX_POS];
	int n_pos;
	const char *flag_value[CLI_MAX_FLAGS];
	bool password_stdin;
};

/* A friendly command (cli_cmds.c, cli_watch.c). */
struct cli_cmd {
	const char *name;
	const char *args_usage;       /* after the name: "POST_ID TEXT..." */
	const char *summary;
	const char *op;               /* the main op, whose args may be options; or NULL */
	const char *passthrough;      /* space-separated args of op accepted as options */
	int min_pos, max_pos;         /* positional words; max_pos -1: any number */
	const struct cli_flag *flags; /* zero-terminated, or NULL */
	const char *details;          /* more help text, or NULL */
	int (*run)(struct cli *c, struct cli_line *line);
	/* Which word sets which arg, for errors that name a field:
	 * "receiver_id=@NAME content=TEXT"; or NULL. */
	const char *words;
};

/* The friendly commands, closed by an entry with no name. */
extern const struct cli_cmd cli_cmds[];
/* `watch` (cli_watch.c). */
int cli_run_watch(struct cli *c, struct cli_line *line);
/* ---- cli_media.c: photos ---- */

#define CLI_PHOTO_MAX_BYTES (8 * 1024 * 1024)

/* Reads file path ("-": stdin) into *data (malloc'd, *len bytes), what
 * naming it in messages ("photo"). Refuses (CLI_ERR_USAGE after a
 * message) a file that cannot be read, is a directory, is empty or holds
 * more than max bytes. */
int cli_read_file(struct cli *c, const char *path, size_t max, const char *what,
	unsigned char **data, size_t *len);
/* Reads a photo to upload into *data (malloc'd, *len bytes). Refuses
 * (CLI_ERR_USAGE after a message, nothing read kept) a file that cannot
 * be read, is empty, over CLI_PHOTO_MAX_BYTES or not a JPEG, PNG, WebP or
 * GIF by its first bytes. */
int cli_photo_read(struct cli *c, const char *path, unsigned char **data, size_t *len);
/* Draws JPEG bytes on stdout when it is a terminal, in the way the
 * terminal takes (ANSIGRAM_IMAGES overrides the probe); a photo that
 * cannot be drawn is only warned about. Returns CLI_OK. */
int cli_draw_photo(struct cli *c, const void *jpeg, size_t len);
/* `media get ID [-o FILE] [--size thumb]`, which the op media.get runs as. */
extern const struct cli_cmd cli_media_get_cmd;

/* `ssh-key add|list|remove` (cli_sshkey.c). */
int cli_run_ssh_key(struct cli *c, struct cli_line *line);

/* ---- cli.c: context, connection, calls ---- */

/* Sets defaults and reads the environment; then main applies options. */
void cli_init(struct cli *c);
/* Settles the server URL, session and token once all the options (those
 * after the command too) are known. Returns CLI_OK or an exit code (a
 * message was printed). */
int cli_settle(struct cli *c);
void cli_finish(struct cli *c);

/* Prints "ansigram: <message>" and the help hint to stderr (with --json,
 * a JSON error of code "usage"); returns CLI_ERR_USAGE. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "ansigram: <message>" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failure that ends the command: "ansigram: <message>" on stderr, or
 * with --json one line {"error": {"code", "message"}} whose code is
 * "usage", "unreachable" or "local" by exit_code. Returns exit_code. */
int cli_fail(struct cli *c, int exit_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints {"error": {"code", "message", "field"}} on one line to stderr
 * (field left out when NULL or ""). */
void cli_json_error(const char *code, const char *message, const char *field);

/* Handles a program-wide option at argv[*i] (moving *i past its value).
 * Returns 1 when it was one, 0 when not, or CLI_ERR_USAGE after a message. */
int cli_global_option(struct cli *c, int argc, char **argv, int *i);
/* Reads the program-wide options at the start of words (and --help,
 * --version, --), setting *next to the first word after them. Returns
 * CLI_GO_ON when the command line goes on, else the exit code of what it
 * did (help or version printed, or a usage error). */
#define CLI_GO_ON (-1)
int cli_leading_options(struct cli *c, int n, char **words, int *next);

/* ---- ssh_mode.c: ansigram --ssh, run by sshd's ForceCommand ---- */

/* Runs the SSH-hosted client: args are the words after the program name
 * (the ansigram command line); the command, if any, comes from
 * SSH_ORIGINAL_COMMAND and the key from SSH_USER_AUTH. Returns the exit
 * code. */
int ssh_main(struct cli *c, int argc, char **argv);
/* Whether word is an option that --ssh mode refuses (it names a local
 * file or another server). */
bool ssh_refused_option(const char *word);

/* Sends r and waits for the reply; see the file comment for retries.
 * Returns CLI_OK when the server answered ok, else an exit code after
 * printing the error. Always ag_reply_free(out) afterwards. */
int cli_send(struct cli *c, struct ag_req *r, struct ag_reply *out);
/* cli_send, but an error reply with code allowed is not reported (the
 * caller handles it; still CLI_ERR_SERVER, with out->code set). */
int cli_send_allowing(struct cli *c, struct ag_req *r, struct ag_reply *out, enum ag_err allowed);
/* The logged-in user's id (from the session, else auth.me). Returns an
 * exit code. */
int cli_my_id(struct cli *c, int64_t *id);
/* Resolves "@name" or "name" to a user id through user.get. */
int cli_user_id(struct cli *c, const char *name, int64_t *id);
/* Reads a login reply's data (token, user, push keys) into *s; returns
 * an exit code. */
int cli_session_from_login(struct cli *c, const msgpack_object *data, struct ag_session *s);
/* Stores a login reply's data (token, user, push keys) in the session
 * file; returns an exit code. */
int cli_save_login(struct cli *c, const msgpack_object *data);
/* Reads a password: from stdin with --password-stdin, else with a prompt
 * that does not echo when stdin is a terminal. confirm asks twice. The
 * result is malloc'd; returns an exit code. */
int cli_read_password(struct cli *c, bool from_stdin, bool confirm, char **out);
/* Zeroes and frees a secret string (NULL is fine). */
void cli_free_secret(char *s);
/* Text for a positional TEXT word: the words joined with spaces, or
 * stdin's contents when the only word is "-". Returns an exit code. */
int cli_join_text(struct cli *c, const char *const *words, int n, char **out);

/* ---- cli_ops.c: requests and the op-table commands ---- */

/* ag_req_init for an op the calling code names; aborts when the table has
 * no such op, a mistake in the code rather than in the command line. */
void cli_req_init(struct ag_req *r, const char *op_name);
/* Sets an arg from command-line text, checked against the table (shown
 * names it in messages, e.g. "--post-id"); an arg given twice is refused.
 * Returns an exit code after a usage message. */
int cli_req_set_text(struct cli *c, struct ag_req *r, const char *arg, const char *text,
	const char *shown);
int cli_req_set_int(struct cli *c, struct ag_req *r, const char *arg, int64_t value);
/* When line's op takes a password that the options did not give, reads
 * it (see cli_read_password). Returns an exit code. */
int cli_fill_password(struct cli *c, struct cli_line *line, bool confirm);
/* Parses argv (the words after the command) into line for op, accepting
 * op's args named in passthrough (NULL: all) and the flags. Returns an
 * exit code, or CLI_HELP_SHOWN. */
int cli_parse_line(struct cli *c, const struct cli_cmd *cmd, const char *op_name,
	int argc, char **argv, struct cli_line *line);
void cli_line_free(struct cli_line *line);
/* The value of the command's own flag name (see struct cli_line). */
const char *cli_line_flag(const struct cli_line *line, const char *name);
/* What the person typed for arg in cmd, for error messages: "@NAME" for a
 * word (kind "argument"), "--image" for an option (kind "option"); NULL
 * when cmd has neither (the arg is not the person's to give). */
const char *cli_cmd_typed(const struct cli_cmd *cmd, const char *arg, char *out, size_t size,
	const char **kind);
/* Whether passthrough (space-separated arg names; NULL: all) has arg. */
bool cli_accepts_arg(const char *passthrough, const char *arg);
/* Runs argv as a command (friendly, GROUP VERB, or group.verb). */
int cli_run(struct cli *c, int argc, char **argv);
/* The friendly command called name, or NULL. */
const struct cli_cmd *cli_cmd_find(const char *name);
/* Whether group names one or more ops ("post" for post.create...). */
bool cli_is_group(const char *group);
/* The op called "GROUP.VERB", with VERB's dashes read as underscores. */
const struct ag_op_spec *cli_op_lookup(const char *group, const char *verb);
/* Suggests the candidate closest to word (NULL when none is close). */
const char *cli_closest(const char *word, const char *const *candidates, size_t n);

/* ---- cli_help.c ---- */

void cli_help_program(struct cli *c);
void cli_help_group(struct cli *c, const char *group);
void cli_help_op(struct cli *c, const struct ag_op_spec *op);
void cli_help_cmd(struct cli *c, const struct cli_cmd *cmd);
/* The option name of an arg: "--" + name with '_' as '-'. */
void cli_option_name(const char *arg, char *out, size_t size);

/* ---- cli_print.c: output ---- */

/* Prints data as JSON (--json) or as readable text guessed from its
 * shape (posts, users, messages...). */
void cli_print_data(struct cli *c, const msgpack_object *data);
/* Readable text only, as cli_print_data without --json. */
void cli_print_readable(struct cli *c, const msgpack_object *data);
/* Prints a JSON value built by the caller (and takes it). */
void cli_print_json(struct cli *c, json_t *v);
/* Text wrapped to the width after indent spaces, newlines kept. */
void cli_print_wrapped(struct cli *c, const char *text, size_t len, int indent);
/* A string field of map, sanitized, with newlines and tabs as spaces, in
 * b (reset first); "" when absent or nil. */
const char *cli_str(struct ag_buf *b, const msgpack_object *map, const char *key);
/* "5m ago" for the time field key. */
const char *cli_ago(char *out, size_t size, const msgpack_object *map, const char *key);
/* Styling for names and meta text when colour is on ("" otherwise). */
const char *cli_bold(const struct cli *c);
const char *cli_dim(const struct cli *c);
const char *cli_reset(const struct cli *c);

#endif
