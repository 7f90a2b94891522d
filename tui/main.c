/* main.c: ansigram's entry point. Reads the program-wide options, then
 * opens the full-screen app when no command follows, or runs the command
 * (cli_run) and exits with its status. --ssh hands everything to
 * ssh_main (ssh_mode.c). */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "cli.h"

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (sodium_init() < 0) {
		fprintf(stderr, "ansigram: libsodium failed to initialise\n");
		return 1;
	}
	struct cli c;
	cli_init(&c);
	for (int k = 1; k < argc && argv[k][0] == '-'; k++) {
		if (strcmp(argv[k], "--ssh") == 0) {
			int code = ssh_main(&c, argc - 1, argv + 1);
			cli_finish(&c);
			return code;
		}
	}
	/* --json anywhere before "--" makes even the errors found while reading
	 * the options before it JSON. */
	for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
		if (strcmp(argv[k], "--json") == 0)
			c.opts.json = 1;
	int i = 1;
	for (; i < argc; i++) {
		const char *w = argv[i];
		if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
			cli_help_program(&c);
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
		int got = cli_global_option(&c, argc, argv, &i);
		if (got == 0)
			return cli_usage(&c, "unknown option '%s'", w);
		if (got != 1)
			return got;
	}
	int code;
	if (i < argc) {
		code = cli_run(&c, argc - i, argv + i);
	} else {
		code = cli_settle(&c);
		if (code == CLI_OK)
			code = tui_run(&c.opts);
	}
	cli_finish(&c);
	return code;
}
