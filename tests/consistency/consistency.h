/* consistency.h: checks an ansigramd database for what must hold however
 * it was left (counters, orphan rows, unfinished sagas, stray outbox
 * events, SQLite's integrity and foreign key checks). The checks
 * themselves are the queries of checks.sql. */
#ifndef AG_CONSISTENCY_H
#define AG_CONSISTENCY_H

#include <stdio.h>

/* Opens db_path read-only, runs every check and writes one line per
 * problem to report (NULL: nowhere). Returns how many problems it found,
 * or -1 when the database cannot be read (the reason goes to report). */
int ag_consistency_check(const char *db_path, FILE *report);

#endif
