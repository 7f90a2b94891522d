/* db.c: one SQLite connection per worker: opening (WAL, foreign keys,
 * busy timeout), the schema and its migrations, a prepared-statement cache
 * keyed by the SQL literal's address, transactions, the SQL functions
 * the queries use (ag_fold), and, for tests, a record of each statement's
 * query plan (ANSIGRAM_EXPLAIN). */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "log.h"
#include "utf8.h"

extern const char ag_schema_sql[], ag_migration_2_sql[], ag_migration_3_sql[],
	ag_migration_4_sql[], ag_migration_5_sql[], ag_migration_6_sql[];

/* Each migration brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	ag_schema_sql,
	ag_migration_2_sql,
	ag_migration_3_sql,
	ag_migration_4_sql,
	ag_migration_5_sql,
	ag_migration_6_sql,
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

/* ag_fold(text): Unicode lower case, for case-insensitive search. */
static void fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	char *out = sqlite3_malloc(n * 2 + 1);  /* a folded char takes <= 2x */
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	size_t o = 0;
	for (int i = 0; i < n;) {
		uint32_t cp;
		int used = ag_utf8_decode(s + i, (size_t)(n - i), &cp);
		if (used < 0) {  /* not ours to fix: copy the byte */
			out[o++] = s[i++];
			continue;
		}
		i += used;
		o += (size_t)ag_utf8_encode((uint32_t)towlower((wint_t)cp), out + o);
	}
	sqlite3_result_text(ctx, out, (int)o, sqlite3_free);
}

/* Waits for another connection's write lock in short naps (SQLite's own
 * handler sleeps up to 100 ms at a time, which shows as tail latency when
 * workers of this process take turns writing). Gives up after ~5 s. */
static int busy_wait(void *arg, int attempts)
{
	(void)arg;
	if (attempts >= 10000)
		return 0;
	struct timespec nap = {0, attempts < 20 ? 50000 : 500000};
	nanosleep(&nap, NULL);
	return 1;
}

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		ag_error("sql: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_prep(db, "SELECT user_version FROM pragma_user_version");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return -1;
	int v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Applies the missing migrations, each in one transaction with its
 * version bump, so a crash mid-migration leaves the previous version. */
static int migrate(struct db *db)
{
	if (db_begin(db) != SQLITE_OK)
		return -1;
	int v = db_schema_version(db);
	if (v < 0 || v > (int)N_MIGRATIONS) {
		db_rollback(db);
		ag_error("database schema version %d is newer than this server (%zu)",
			v, N_MIGRATIONS);
		return -1;
	}
	for (; v < (int)N_MIGRATIONS; v++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
		if (db_exec(db, migrations[v]) != SQLITE_OK || db_exec(db, bump) != SQLITE_OK) {
			db_rollback(db);
			return -1;
		}
		ag_info("database migrated to schema version %d", v + 1);
	}
	return db_commit(db) == SQLITE_OK ? 0 : -1;
}

/* The connection's PRAGMA synchronous (1 NORMAL, 2 FULL), -1 on error. */
static int synchronous_level(struct db *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->conn, "PRAGMA synchronous", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int level = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return level;
}

static int open_connection(struct db *db, const char *path, int create_flag)
{
	memset(db, 0, sizeof *db);
	int rc = sqlite3_open_v2(path, &db->conn,
		SQLITE_OPEN_READWRITE | create_flag | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ag_error("cannot open database %s: %s", path,
			db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
		sqlite3_close(db->conn);
		db->conn = NULL;
		return -1;
	}
	if (sqlite3_db_readonly(db->conn, "main") == 1) {
		ag_error("the database %s is read-only to this process (uid %ld): give it write "
			"access (and its directory too), or choose another --db", path,
			(long)geteuid());
		db_close(db);
		return -1;
	}
	sqlite3_busy_handler(db->conn, busy_wait, NULL);
	storage_watch_wal(db->conn);
	sqlite3_extended_result_codes(db->conn, 1);
	sqlite3_create_function(db->conn, "ag_fold", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fold_fn, NULL, NULL);
	/* NORMAL is durable against process crashes in WAL mode; only a power
	 * loss can take back the last commits (never corrupt the file). FULL
	 * (--sync full) syncs every commit. */
	if (db_exec(db, "PRAGMA journal_mode = WAL") != SQLITE_OK ||
	    db_exec(db, g_config.sync_full ? "PRAGMA synchronous = FULL"
		: "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
	    db_exec(db, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
	    synchronous_level(db) != (g_config.sync_full ? 2 : 1) ||
	    migrate(db) != 0) {
		db_close(db);
		return -1;
	}
	return 0;
}

int db_open(struct db *db, const char *path)
{
	return open_connection(db, path, SQLITE_OPEN_CREATE);
}

int db_open_more(struct db *db, const char *path)
{
	if (open_connection(db, path, 0) != 0)
		return -1;
	if (!storage_is_remembered_file(path)) {
		ag_error("the database file %s was deleted or replaced while the server started",
			path);
		db_close(db);
		return -1;
	}
	return 0;
}

void db_close(struct db *db)
{
	db_rollback(db);
	for (int i = 0; i < AG_STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].stmt);
	sqlite3_close(db->conn);
	memset(db, 0, sizeof *db);
}

/* ---- query plans (ANSIGRAM_EXPLAIN) ---- */

static FILE *explain_file;
static pthread_mutex_t explain_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const char *explain_op;

int db_explain_open(const char *path)
{
	explain_file = fopen(path, "a");
	if (!explain_file)
		return -1;
	setvbuf(explain_file, NULL, _IOLBF, 0);
	return 0;
}

void db_explain_op(const char *op)
{
	explain_op = op;
}

/* Appends sql's plan to the explain file as "op OP", "sql SQL", one
 * "plan DETAIL" per step and "end". */
static void explain(struct db *db, const char *sql)
{
	char *query = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st = NULL;
	if (!query || sqlite3_prepare_v2(db->conn, query, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(query);
		return;
	}
	pthread_mutex_lock(&explain_lock);
	fprintf(explain_file, "op %s\nsql %s\n", explain_op ? explain_op : "-", sql);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(explain_file, "plan %s\n", (const char *)sqlite3_column_text(st, 3));
	fputs("end\n", explain_file);
	pthread_mutex_unlock(&explain_lock);
	sqlite3_finalize(st);
	sqlite3_free(query);
}

sqlite3_stmt *db_prep(struct db *db, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % AG_STMT_CACHE;
	for (size_t n = 0; n < AG_STMT_CACHE; n++, h = (h + 1) % AG_STMT_CACHE) {
		struct stmt_cache_entry *e = &db->cache[h];
		if (e->sql == sql) {
			sqlite3_reset(e->stmt);
			sqlite3_clear_bindings(e->stmt);
			return e->stmt;
		}
		if (e->sql)
			continue;
		if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&e->stmt, NULL) != SQLITE_OK) {
			ag_error("prepare failed: %s: %s", sqlite3_errmsg(db->conn), sql);
			e->stmt = NULL;
			return NULL;
		}
		e->sql = sql;
		if (explain_file)
			explain(db, sql);
		return e->stmt;
	}
	ag_error("statement cache full (%d): raise AG_STMT_CACHE", AG_STMT_CACHE);
	return NULL;
}

void db_reset_all(struct db *db)
{
	sqlite3_stmt *st = NULL;
	while ((st = sqlite3_next_stmt(db->conn, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static void release_write_lock(struct db *db)
{
	if (db->writing) {
		db->writing = false;
		pthread_mutex_unlock(&write_lock);
	}
}

int db_begin(struct db *db)
{
	pthread_mutex_lock(&write_lock);
	db->writing = true;
	int rc = db_exec(db, "BEGIN IMMEDIATE");
	db->failed_rc = rc;
	if (rc != SQLITE_OK)
		release_write_lock(db);
	return rc;
}

int db_commit(struct db *db)
{
	int rc = db_exec(db, "COMMIT");
	if (rc != SQLITE_OK) {
		rc = sqlite3_extended_errcode(db->conn);
		db_rollback(db);
	}
	db->failed_rc = rc;
	release_write_lock(db);
	return rc;
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->conn))
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	release_write_lock(db);
}

void db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}
