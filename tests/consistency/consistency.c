/* consistency.c: runs the queries of checks.sql on a database file; every
 * row any of them returns is one problem. */
#include "consistency.h"

#include <sqlite3.h>

extern const char ag_checks_sql[];

static void say(FILE *report, const char *what, const char *detail)
{
	if (report)
		fprintf(report, "%s%s\n", what, detail);
}

int ag_consistency_check(const char *db_path, FILE *report)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		say(report, "cannot open the database: ", db ? sqlite3_errmsg(db) : db_path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	int problems = 0;
	const char *next = ag_checks_sql;
	while (*next) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, next, -1, &st, &next) != SQLITE_OK) {
			say(report, "cannot run a check: ", sqlite3_errmsg(db));
			problems = -1;
			break;
		}
		if (!st)  /* only comments or white space were left */
			continue;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const unsigned char *line = sqlite3_column_text(st, 0);
			say(report, line ? (const char *)line : "(a problem without a description)", "");
			problems++;
		}
		if (rc != SQLITE_DONE) {
			say(report, "a check failed: ", sqlite3_errmsg(db));
			problems = -1;
		}
		sqlite3_finalize(st);
		if (problems < 0)
			break;
	}
	sqlite3_close(db);
	return problems;
}
