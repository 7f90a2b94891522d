/* cli_sshkey.c: `ansigram ssh-key add [FILE] | list | remove FINGERPRINT`,
 * the SSH keys that log me in through an SSH-hosted ansigram
 * (auth.ssh_key_add, auth.ssh_key_list, auth.ssh_key_remove). */
#include "cli.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sshkey.h"
#include "text.h"

/* The default key file: ~/.ssh/id_ed25519.pub, else the first .pub file
 * in ~/.ssh (in name order). */
static int default_key_file(struct cli *c, char *out, size_t size)
{
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		return cli_usage(c, "HOME is not set: give the public key FILE");
	snprintf(out, size, "%s/.ssh/id_ed25519.pub", home);
	FILE *f = fopen(out, "r");
	if (f != NULL) {
		fclose(f);
		return CLI_OK;
	}
	char pattern[4096];
	snprintf(pattern, sizeof pattern, "%s/.ssh/*.pub", home);
	glob_t g;
	int found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	if (found)
		snprintf(out, size, "%s", g.gl_pathv[0]);
	globfree(&g);
	if (!found)
		return cli_usage(c, "no public key in %s/.ssh: make one with 'ssh-keygen -t ed25519' "
			"or give the FILE", home);
	return CLI_OK;
}

/* Reads a public key file ("-": stdin) into a malloc'd string. */
static int read_key_file(struct cli *c, const char *path, char **out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		return cli_fail(c, CLI_ERR_USAGE, "cannot read %s: %s", path, strerror(errno));
	}
	char buf[AG_SSHKEY_MAX_LINE + 2];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	bool failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed)
		return cli_usage(c, "cannot read %s", path);
	buf[n] = '\0';
	*out = strdup(buf);
	if (*out == NULL)
		abort();
	return CLI_OK;
}

static int key_add(struct cli *c, struct cli_line *line)
{
	char path[4096];
	char *text = NULL;
	int code = CLI_OK;
	/* Over SSH the connection's key is linked already (it logged in), and
	 * no file on the host is read: another key comes on stdin. */
	if (c->ssh && (line->n_pos == 1 || strcmp(line->pos[1], "-") != 0))
		return cli_usage(c, "over SSH no file on this host is read: give '-' and send the "
			"public key on stdin (ssh HOST ssh-key add - < KEY.pub)");
	if (line->n_pos > 1)
		snprintf(path, sizeof path, "%s", line->pos[1]);
	else
		code = default_key_file(c, path, sizeof path);
	if (code == CLI_OK)
		code = read_key_file(c, path, &text);
	if (code != CLI_OK)
		return code;
	struct ag_req r;
	struct ag_reply rep;
	cli_req_init(&r, "auth.ssh_key_add");
	code = cli_req_set_text(c, &r, "public_key", text, "the key");
	if (code == CLI_OK)
		code = cli_send(c, &r, &rep);
	else
		memset(&rep, 0, sizeof rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		struct ag_buf b = {0};
		printf("Linked %s (%s)\n", cli_str(&b, rep.data, "fingerprint"),
			strcmp(path, "-") == 0 ? "from stdin" : path);
		ag_buf_free(&b);
	}
	ag_reply_free(&rep);
	ag_req_free(&r);
	free(text);
	return code;
}

static int key_list(struct cli *c)
{
	struct ag_req r;
	struct ag_reply rep;
	cli_req_init(&r, "auth.ssh_key_list");
	int code = cli_send(c, &r, &rep);
	if (code == CLI_OK && c->opts.json) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK && ag_obj_len(rep.data) == 0) {
		printf("No SSH key is linked. Link one with 'ansigram ssh-key add [FILE]'.\n");
	} else if (code == CLI_OK) {
		struct ag_buf fp = {0}, type = {0}, comment = {0};
		for (size_t i = 0; i < ag_obj_len(rep.data); i++) {
			const msgpack_object *k = ag_obj_at(rep.data, i);
			char ago[32];
			cli_str(&fp, k, "fingerprint");
			cli_str(&type, k, "type");
			cli_str(&comment, k, "comment");
			printf("%s  %s  %s%s%s(linked %s)%s\n", ag_buf_str(&fp), ag_buf_str(&type),
				ag_buf_str(&comment), comment.len ? "  " : "", cli_dim(c),
				cli_ago(ago, sizeof ago, k, "created_at"), cli_reset(c));
		}
		ag_buf_free(&fp);
		ag_buf_free(&type);
		ag_buf_free(&comment);
	}
	ag_reply_free(&rep);
	ag_req_free(&r);
	return code;
}

static int key_remove(struct cli *c, struct cli_line *line)
{
	if (line->n_pos != 2)
		return cli_usage(c, "give the FINGERPRINT to remove (see 'ansigram ssh-key list')");
	struct ag_req r;
	struct ag_reply rep;
	cli_req_init(&r, "auth.ssh_key_remove");
	int code = cli_req_set_text(c, &r, "fingerprint", line->pos[1], "FINGERPRINT");
	if (code == CLI_OK)
		code = cli_send(c, &r, &rep);
	else
		memset(&rep, 0, sizeof rep);
	if (code == CLI_OK && c->opts.json)
		cli_print_data(c, rep.data);
	else if (code == CLI_OK)
		printf("Removed %s: it no longer logs you in (sessions it opened stay open).\n",
			line->pos[1]);
	ag_reply_free(&rep);
	ag_req_free(&r);
	return code;
}

int cli_run_ssh_key(struct cli *c, struct cli_line *line)
{
	const char *verb = line->pos[0];
	if (strcmp(verb, "add") == 0)
		return key_add(c, line);
	if (line->n_pos > 1 && strcmp(verb, "remove") != 0)
		return cli_usage(c, "unexpected argument '%s'", line->pos[1]);
	if (strcmp(verb, "list") == 0)
		return key_list(c);
	if (strcmp(verb, "remove") == 0)
		return key_remove(c, line);
	return cli_usage(c, "ssh-key wants add, list or remove, not '%s'", verb);
}
