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
	int i;
	int leading = cli_leading_options(&c, argc - 1, argv + 1, &i);
	if (leading != CLI_GO_ON)
		return leading;
	i++;  /* an index into argv */
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
