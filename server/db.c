/* db.c: one SQLite connection per worker: opening (WAL, foreign keys,
 * busy timeout), the schema and its migrations, a prepared-statement cache
 * keyed by the SQL literal's address, transactions, the SQL functions
 * the queries use (ag_fold), and, for tests, a record of each statement's
 * query plan (ANSIGRAM_EXPLAIN). Also the writer: the one connection saga
 * steps write through, their commits grouped, and the token every write
 * of the process takes. */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "clock.h"
#include "log.h"
#include "utf8.h"

extern const char ag_schema_sql[], ag_migration_2_sql[], ag_migration_3_sql[],
	ag_migration_4_sql[], ag_migration_5_sql[], ag_migration_6_sql[],
	ag_migration_7_sql[];

/* Each migration brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	ag_schema_sql,
	ag_migration_2_sql,
	ag_migration_3_sql,
	ag_migration_4_sql,
	ag_migration_5_sql,
	ag_migration_6_sql,
	ag_migration_7_sql,
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

static int commit_without_token(void *arg);

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
	sqlite3_commit_hook(db->conn, commit_without_token, NULL);
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

/* ---- the writer: one connection, group commit ----
 *
 * Every write of the process takes the writer token first, so SQLite's
 * write lock is never contended inside the process. Saga steps run as
 * units on the one writer connection: each unit is a SAVEPOINT inside a
 * batch transaction, which stays open while more units are coming (other
 * threads queued for the token, or the unit's saga has a next step) and
 * commits when none is, after WRITER_MAX_UNITS units, or WRITER_MAX_BATCH_MS
 * after it began. Each unit's caller gets its batch's ticket and waits for
 * that batch's commit (writer_wait) before it answers anyone. db_begin, a
 * plain transaction on a worker's own connection, takes the token too and
 * commits the open batch first. */

#define WRITER_MAX_UNITS 64
#define WRITER_MAX_BATCH_MS 2
#define WRITER_FAILED_RING 64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t turn;     /* the token is free: one waiter goes */
	pthread_cond_t done;     /* a batch ended, or no one wants the token */
	bool held;               /* a thread has the token */
	int waiting;             /* threads queued for the token */
	int watchers;            /* threads in writer_wait */
	bool open;               /* a batch transaction is open on db */
	uint64_t batch;          /* the ticket of the open (or last) batch */
	uint64_t finished;       /* every batch up to this one committed or failed */
	struct { uint64_t batch; int rc; } failed[WRITER_FAILED_RING];  /* recent failed commits */
	int units;               /* in the open batch */
	int64_t opened_at;       /* ag_mono_ms */
	bool ready;              /* writer_open succeeded */
	struct db db;
} wr = {.lock = PTHREAD_MUTEX_INITIALIZER, .turn = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER};

static _Thread_local bool has_token;

/* Runs a transaction-control statement (a literal), prepared once per
 * connection: SQLITE_OK or the error, logged. */
static int db_control(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prep(db, sql);
	if (!st)
		return SQLITE_ERROR;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SQLITE_OK;
	ag_error("sql: %s: %s", sql, sqlite3_errmsg(db->conn));
	return rc;
}

/* Commit hook of every connection: a write that commits without the token
 * is a bug (it would wait on SQLite's lock behind open batches). */
static int commit_without_token(void *arg)
{
	(void)arg;
	if (!has_token)
		ag_error("bug: a write committed without the writer token");
	return 0;
}

static void token_take(void)
{
	pthread_mutex_lock(&wr.lock);
	wr.waiting++;
	while (wr.held)
		pthread_cond_wait(&wr.turn, &wr.lock);
	wr.waiting--;
	wr.held = true;
	pthread_mutex_unlock(&wr.lock);
	has_token = true;
}

static void token_give(void)
{
	has_token = false;
	pthread_mutex_lock(&wr.lock);
	wr.held = false;
	if (wr.waiting)
		pthread_cond_signal(&wr.turn);
	else if (wr.watchers && wr.open)  /* one of them may commit it */
		pthread_cond_broadcast(&wr.done);
	pthread_mutex_unlock(&wr.lock);
}

/* Ends the open batch (token held): commits it, or rolls it back when
 * commit_it is false or the commit fails, recording the batch as failed. */
static int batch_end(bool commit_it)
{
	if (!wr.open)
		return SQLITE_OK;
	int rc = commit_it ? db_control(&wr.db, "COMMIT") : SQLITE_ABORT;
	if (rc != SQLITE_OK) {
		if (commit_it)
			rc = sqlite3_extended_errcode(wr.db.conn);
		if (!sqlite3_get_autocommit(wr.db.conn))
			sqlite3_exec(wr.db.conn, "ROLLBACK", NULL, NULL, NULL);
		wr.db.failed_rc = rc;
	}
	pthread_mutex_lock(&wr.lock);
	wr.open = false;
	wr.finished = wr.batch;
	if (rc != SQLITE_OK) {
		wr.failed[wr.batch % WRITER_FAILED_RING].batch = wr.batch;
		wr.failed[wr.batch % WRITER_FAILED_RING].rc = rc;
	}
	if (wr.watchers)
		pthread_cond_broadcast(&wr.done);
	pthread_mutex_unlock(&wr.lock);
	return rc;
}

int writer_open(const char *path)
{
	if (db_open_more(&wr.db, path) != 0)
		return -1;
	wr.ready = true;
	return 0;
}

void writer_close(void)
{
	if (!wr.ready)
		return;
	token_take();
	batch_end(true);
	db_close(&wr.db);
	wr.ready = false;
	token_give();
}

struct db *writer_db(void)
{
	return &wr.db;
}

int writer_begin(void)
{
	if (!wr.ready) {
		ag_error("a saga step ran before the writer connection was opened");
		return SQLITE_MISUSE;
	}
	token_take();
	int rc = SQLITE_OK;
	if (!wr.open) {
		rc = db_control(&wr.db, "BEGIN IMMEDIATE");
		if (rc == SQLITE_OK) {
			pthread_mutex_lock(&wr.lock);
			wr.open = true;
			wr.batch++;
			wr.units = 0;
			wr.opened_at = ag_mono_ms();
			pthread_mutex_unlock(&wr.lock);
		}
	}
	if (rc == SQLITE_OK && (rc = db_control(&wr.db, "SAVEPOINT unit")) != SQLITE_OK)
		batch_end(true);
	if (rc != SQLITE_OK) {
		wr.db.failed_rc = rc;
		token_give();
	}
	return rc;
}

int writer_undo(void)
{
	return db_control(&wr.db, "ROLLBACK TO unit");
}

uint64_t writer_end(bool more_coming)
{
	int rc = db_control(&wr.db, "RELEASE unit");
	pthread_mutex_lock(&wr.lock);
	uint64_t ticket = wr.batch;
	wr.units++;
	bool keep_open = rc == SQLITE_OK && (more_coming || wr.waiting > 0) &&
		wr.units < WRITER_MAX_UNITS && ag_mono_ms() - wr.opened_at < WRITER_MAX_BATCH_MS;
	pthread_mutex_unlock(&wr.lock);
	if (!keep_open)
		batch_end(rc == SQLITE_OK);
	token_give();
	return ticket;
}

int writer_wait(uint64_t ticket)
{
	pthread_mutex_lock(&wr.lock);
	wr.watchers++;
	while (wr.finished < ticket) {
		if (!wr.held && wr.waiting == 0) {
			/* Nobody else will come for the token: commit it here. */
			wr.held = true;
			pthread_mutex_unlock(&wr.lock);
			has_token = true;
			batch_end(true);
			token_give();
			pthread_mutex_lock(&wr.lock);
			continue;
		}
		pthread_cond_wait(&wr.done, &wr.lock);
	}
	wr.watchers--;
	int i = (int)(ticket % WRITER_FAILED_RING);
	int rc = wr.failed[i].batch == ticket ? wr.failed[i].rc : SQLITE_OK;
	pthread_mutex_unlock(&wr.lock);
	return rc;
}

int writer_result(uint64_t ticket)
{
	pthread_mutex_lock(&wr.lock);
	int i = (int)(ticket % WRITER_FAILED_RING);
	int rc = wr.finished < ticket ? -1
		: wr.failed[i].batch == ticket ? wr.failed[i].rc : SQLITE_OK;
	pthread_mutex_unlock(&wr.lock);
	return rc;
}

int db_step_write(struct db *db, sqlite3_stmt *st)
{
	if (db->writing || db == &wr.db)
		return sqlite3_step(st);
	token_take();
	batch_end(true);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)  /* RETURNING: the write ends at the reset */
		ag_error("db_step_write is for statements without rows");
	token_give();
	return rc;
}

static void release_write_lock(struct db *db)
{
	if (db->writing) {
		db->writing = false;
		token_give();
	}
}

int db_begin(struct db *db)
{
	token_take();
	batch_end(true);  /* this connection cannot write while a batch is open */
	db->writing = true;
	int rc = db_control(db, "BEGIN IMMEDIATE");
	db->failed_rc = rc;
	if (rc != SQLITE_OK)
		release_write_lock(db);
	return rc;
}

int db_commit(struct db *db)
{
	int rc = db_control(db, "COMMIT");
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
