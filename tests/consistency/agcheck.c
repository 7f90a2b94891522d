/* agcheck.c: `agcheck DB_PATH` checks an ansigramd database (see
 * checks.sql) and prints one line per problem. Exit: 0 clean, 1 problems
 * found, 2 usage or the database cannot be read. */
#include <stdio.h>
#include <string.h>

#include "consistency.h"

int main(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"Usage: agcheck DB_PATH\n"
			"Checks an ansigramd database: counters, orphan rows, unfinished sagas,\n"
			"stray push events, SQLite integrity. Prints one line per problem.\n"
			"Exit: 0 clean, 1 problems found, 2 usage or unreadable database.\n");
		return argc == 2 ? 0 : 2;
	}
	int problems = ag_consistency_check(argv[1], stdout);
	if (problems < 0) {
		fprintf(stderr, "agcheck: %s could not be checked\n", argv[1]);
		return 2;
	}
	return problems > 0 ? 1 : 0;
}
