/* test_saga.c: the saga executor against a real SQLite file: steps commit
 * one by one with their log rows, a failing step compensates the completed
 * ones in reverse, a failing compensation leaves the saga `failed`, the
 * context is persisted atomically with each step, and fault points fire.
 * Also the notify_mentions step of posts and comments, and its compensation,
 * in a saga of the test's own. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static struct db db;
static char dir[] = "/tmp/ag-saga-XXXXXX";

/* What ran, in order: +k for step k's action, -k for its compensation. */
static int trace[16];
static int n_trace;
static int failing_step;          /* this step's action fails (0: none) */
static int failing_compensation;  /* this step's compensation fails */

static void record(int what) { trace[n_trace++] = what; }

static enum ag_err insert_row(struct saga_run *run, int k)
{
	sqlite3_stmt *st = db_prep(run->db, "INSERT INTO scratch (k) VALUES (?1)");
	sqlite3_bind_int(st, 1, k);
	if (sqlite3_step(st) != SQLITE_DONE)
		return saga_db_error(run, "scratch insert");
	return AG_OK;
}

static enum ag_err step_action(struct saga_run *run, int k)
{
	record(k);
	enum ag_err e = insert_row(run, k);
	if (e == AG_OK) {
		char key[8];
		snprintf(key, sizeof key, "s%d", k);
		e = saga_set_int(run, key, k * 10);
	}
	if (e == AG_OK && k == failing_step)
		return saga_fail(run, AG_E_CONFLICT, "step %d refuses", k);
	return e;
}

static enum ag_err step_compensate(struct saga_run *run, int k)
{
	record(-k);
	if (k == failing_compensation)
		return saga_fail(run, AG_E_INTERNAL, "cannot undo step %d", k);
	sqlite3_stmt *st = db_prep(run->db, "DELETE FROM scratch WHERE k = ?1");
	sqlite3_bind_int(st, 1, k);
	return sqlite3_step(st) == SQLITE_DONE ? AG_OK : saga_db_error(run, "scratch delete");
}

#define STEP_FNS(k) \
	static enum ag_err a##k(struct saga_run *r) { return step_action(r, k); } \
	static enum ag_err c##k(struct saga_run *r) { return step_compensate(r, k); }
STEP_FNS(1)
STEP_FNS(2)
STEP_FNS(3)

static const struct saga_step steps[] = {
	{"one", a1, c1}, {"two", a2, c2}, {"three", a3, c3},
};
static const struct saga_def three_steps = {"test", steps, 3, NULL};

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/saga.db", dir);
	cr_assert_eq(db_open(&db, path), 0);
	cr_assert_eq(db_begin(&db), SQLITE_OK);
	cr_assert_eq(db_exec(&db, "CREATE TABLE scratch (k INTEGER)"), SQLITE_OK);
	cr_assert_eq(db_commit(&db), SQLITE_OK);
	cr_assert_eq(storage_remember_file(path), 0);
	cr_assert_eq(writer_open(path), 0);
	n_trace = failing_step = failing_compensation = 0;
	faults_init(NULL);
}

static void teardown(void)
{
	writer_close();
	db_close(&db);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
}

TestSuite(saga, .init = setup, .fini = teardown);

static enum ag_err run_saga(struct saga_run *run, struct ag_error *err)
{
	struct req rq = {.db = &db, .err = err, .uid = 7, .now = 1000};
	cr_assert_eq(saga_begin(run, &rq, &three_steps), AG_OK);
	enum ag_err e = saga_execute(run);
	cr_assert_str_eq(rq.saga_id, run->id, "the saga's id is reported once its row exists");
	return e;
}

static int count(const char *sql)
{
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(db.conn, sql, -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void expect_state(const char *id, const char *state)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db.conn, "SELECT state FROM sagas WHERE id = ?1", -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), state);
	sqlite3_finalize(st);
}

/* The log as "name:status" lines joined by spaces. */
static void expect_log(const char *id, const char *want)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db.conn, "SELECT name || ':' || status FROM saga_steps "
		"WHERE saga_id = ?1 ORDER BY id", -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	char got[512] = "";
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (got[0])
			strcat(got, " ");
		strcat(got, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	cr_expect_str_eq(got, want);
}

static void expect_trace(const int *want, int n)
{
	cr_assert_eq(n_trace, n, "ran %d actions/compensations, wanted %d", n_trace, n);
	for (int i = 0; i < n; i++)
		cr_expect_eq(trace[i], want[i], "trace[%d] = %d, wanted %d", i, trace[i], want[i]);
}

Test(saga, all_steps_complete)
{
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_OK);
	expect_trace((int[]){1, 2, 3}, 3);
	expect_state(run.id, "completed");
	expect_log(run.id, "one:completed two:completed three:completed");
	cr_expect_eq(count("SELECT count(*) FROM scratch"), 3);
	cr_expect_eq(saga_get_int(&run, "s3"), 30);
}

Test(saga, failing_third_step_compensates_two_then_one)
{
	failing_step = 3;
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_E_CONFLICT);
	cr_expect_str_eq(err.message, "step 3 refuses");
	expect_trace((int[]){1, 2, 3, -2, -1}, 5);
	expect_state(run.id, "compensated");
	expect_log(run.id, "one:completed two:completed three:failed "
		"two:compensated one:compensated");
	cr_expect_eq(count("SELECT count(*) FROM scratch"), 0,
		"the failed step's own insert must be rolled back");
	cr_expect_eq(saga_get_int(&run, "s3"), 0,
		"context written by the failed step must be rolled back");
	cr_expect_eq(saga_get_int(&run, "s2"), 20, "committed context stays");
}

Test(saga, failing_compensation_leaves_saga_failed)
{
	failing_step = 3;
	failing_compensation = 1;
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_E_CONFLICT,
		"the caller gets the failing step's error, not the compensation's");
	expect_trace((int[]){1, 2, 3, -2, -1}, 5);
	expect_state(run.id, "failed");
	expect_log(run.id, "one:completed two:completed three:failed "
		"two:compensated one:compensation_failed");
	cr_expect_eq(count("SELECT count(*) FROM saga_steps WHERE error = 'cannot undo step 1'"), 1,
		"the log says why the compensation failed");
	cr_expect_eq(count("SELECT count(*) FROM scratch WHERE k = 1"), 1);
}

Test(saga, first_step_failing_compensates_nothing)
{
	failing_step = 1;
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_E_CONFLICT);
	expect_trace((int[]){1}, 1);
	expect_state(run.id, "compensated");
	expect_log(run.id, "one:failed");
}

Test(saga, fault_point_fails_a_step_without_running_it)
{
	cr_assert_eq(faults_init("test.two=fail"), 0);
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_E_INTERNAL);
	expect_trace((int[]){1, -1}, 2);
	expect_state(run.id, "compensated");
	expect_log(run.id, "one:completed two:failed one:compensated");
	cr_expect_eq(count("SELECT count(*) FROM scratch"), 0);
}

Test(saga, fault_point_fails_a_compensation)
{
	cr_assert_eq(faults_init("test.three=fail,test.one.compensate=fail"), 0);
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_saga(&run, &err), AG_E_INTERNAL);
	expect_trace((int[]){1, 2, -2}, 3);
	expect_state(run.id, "failed");
	expect_log(run.id, "one:completed two:completed three:failed "
		"two:compensated one:compensation_failed");
}

Test(saga, malformed_fault_spec_is_rejected)
{
	cr_expect_eq(faults_init("test.two"), -1);
	cr_expect_eq(faults_init("test.two=explode"), -1);
	cr_expect_eq(faults_init("=fail"), -1);
	cr_expect_eq(faults_init("a.b=fail,c.d=crash"), 0);
}

Test(saga, context_strings_round_trip)
{
	struct saga_run run;
	struct ag_error err = {0};
	struct req rq = {.db = &db, .err = &err, .uid = 7, .now = 1000};
	cr_assert_eq(saga_begin(&run, &rq, &three_steps), AG_OK);
	cr_assert_eq(saga_set_str(&run, "text", "caf\xc3\xa9 \"quoted\""), AG_OK);
	cr_assert_eq(saga_execute(&run), AG_OK);
	char *s = saga_get_str(&run, "text");
	cr_assert_not_null(s);
	cr_expect_str_eq(s, "caf\xc3\xa9 \"quoted\"");
	free(s);
	cr_expect_null(saga_get_str(&run, "absent"));
	cr_expect_eq(saga_get_int(&run, "absent"), 0);
}

/* ---- the notify_mentions step and its compensation ---- */

/* Users 7 (alice, the initiator), 8 (bob) and 9 (carol), alice's post 1,
 * and bob's mention of carol from elsewhere, which must stay. */
static void mention_fixture(void)
{
	cr_assert_eq(db_begin(&db), SQLITE_OK);
	cr_assert_eq(db_exec(&db,
		"INSERT INTO users (id, username, email, password_hash, created_at) VALUES "
		"(7, 'alice', 'a@example.com', 'x', 1), (8, 'bob', 'b@example.com', 'x', 1), "
		"(9, 'carol', 'c@example.com', 'x', 1);"
		"INSERT INTO posts (id, author_id, content, created_at) VALUES (1, 7, 'p', 1);"
		"INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at) "
		"VALUES (9, 8, 'mention', 1, 'bob mentioned you', 1)"), SQLITE_OK);
	cr_assert_eq(db_commit(&db), SQLITE_OK);
}

static enum ag_err set_mention_text(struct saga_run *run)
{
	enum ag_err e = saga_set_int(run, "post_id", 1);
	return e == AG_OK ? saga_set_str(run, "content", "@bob, @Carol and @BOB; @alice") : e;
}

static const struct saga_step mention_steps[] = {
	{"text", set_mention_text, NULL},
	{"notify_mentions", saga_notify_mentions, saga_unnotify_mentions},
	{"three", a3, c3},
};
static const struct saga_def mention_saga = {"mention_test", mention_steps, 3, NULL};

static enum ag_err run_mention_saga(struct saga_run *run, struct ag_error *err)
{
	struct req rq = {.db = &db, .err = err, .uid = 7, .now = 1000};
	cr_assert_eq(saga_begin(run, &rq, &mention_saga), AG_OK);
	return saga_execute(run);
}

Test(saga, notify_mentions_notifies_each_named_user_once)
{
	mention_fixture();
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_mention_saga(&run, &err), AG_OK);
	cr_expect_eq(count("SELECT count(*) FROM notifications WHERE type = 'mention' "
		"AND actor_id = 7 AND reference_id = 1 AND message = 'alice mentioned you'"), 2);
	cr_expect_eq(count("SELECT count(*) FROM notifications WHERE user_id = 8"), 1);
	cr_expect_eq(count("SELECT count(*) FROM notifications WHERE user_id = 9"), 2);
	cr_expect_eq(count("SELECT count(*) FROM notifications WHERE user_id = 7"), 0);
	cr_expect_eq(count("SELECT count(*) FROM outbox WHERE type = 'notification'"), 2);
}

Test(saga, notify_mentions_compensation_deletes_only_its_notifications)
{
	mention_fixture();
	failing_step = 3;
	struct saga_run run;
	struct ag_error err = {0};
	cr_assert_eq(run_mention_saga(&run, &err), AG_E_CONFLICT);
	expect_state(run.id, "compensated");
	expect_log(run.id, "text:completed notify_mentions:completed three:failed "
		"notify_mentions:compensated text:compensated");
	cr_expect_eq(count("SELECT count(*) FROM notifications"), 1,
		"the compensation left mentions behind or took another's");
	cr_expect_eq(count("SELECT count(*) FROM notifications WHERE actor_id = 8"), 1);
	cr_expect_eq(count("SELECT count(*) FROM outbox"), 0, "events of a compensated saga stay");
}
