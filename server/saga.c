/* saga.c: the saga executor and its durable log.
 *
 * A saga is a row in `sagas` (type, state, initiator), its context as
 * `saga_values` rows (one per key, a list one per item) and one
 * `saga_steps` row per transition. Each step runs as one unit on the
 * writer (a savepoint, see writer_begin) holding the step's effect, its
 * log row and any context it wrote, so the log never disagrees with the
 * data; units of many sagas are committed together, and a saga answers
 * only once the batch holding its last unit has committed. When a step
 * fails, its unit is rolled back alone and the completed steps are
 * compensated in reverse, each in a unit with its log row; the saga ends
 * `compensated`, or `failed` when a compensation fails. Fault points
 * (ANSIGRAM_FAULTS) make a step fail, or end the process right after its
 * unit commits. */
#include "server.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "log.h"

/* ---- fault points ---- */

enum fault_kind { FAULT_NONE, FAULT_FAIL, FAULT_CRASH };

struct fault {
	char point[96];   /* "saga.step" or "saga.step.compensate" */
	enum fault_kind kind;
};

#define MAX_FAULTS 64
static struct fault faults[MAX_FAULTS];
static int n_faults;

int faults_init(const char *spec)
{
	n_faults = 0;
	if (!spec || !*spec)
		return 0;
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		return -1;
	int rc = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || eq == item || n_faults == MAX_FAULTS ||
		    (size_t)(eq - item) >= sizeof faults[0].point) {
			ag_error("ANSIGRAM_FAULTS: cannot read \"%s\" (want saga.step=fail|crash)", item);
			rc = -1;
			break;
		}
		*eq = '\0';
		enum fault_kind kind = strcmp(eq + 1, "fail") == 0 ? FAULT_FAIL
			: strcmp(eq + 1, "crash") == 0 ? FAULT_CRASH : FAULT_NONE;
		if (kind == FAULT_NONE) {
			ag_error("ANSIGRAM_FAULTS: \"%s\" is not fail or crash", eq + 1);
			rc = -1;
			break;
		}
		snprintf(faults[n_faults].point, sizeof faults[0].point, "%s", item);
		faults[n_faults++].kind = kind;
		ag_warn("fault point armed: %s=%s", item, eq + 1);
	}
	free(copy);
	return rc;
}

static enum fault_kind fault_at(const char *type, const char *step, const char *suffix)
{
	if (n_faults == 0)
		return FAULT_NONE;
	char point[128];
	snprintf(point, sizeof point, "%s.%s%s", type, step, suffix);
	for (int i = 0; i < n_faults; i++)
		if (strcmp(faults[i].point, point) == 0)
			return faults[i].kind;
	return FAULT_NONE;
}

/* ---- errors for steps ---- */

enum ag_err saga_fail(struct saga_run *run, enum ag_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	run->err->code = code;
	run->err->field[0] = '\0';
	run->err->retry_after_ms = 0;
	vsnprintf(run->err->message, sizeof run->err->message, fmt, ap);
	va_end(ap);
	return code;
}

enum ag_err saga_db_error(struct saga_run *run, const char *what)
{
	char where[160];
	snprintf(where, sizeof where, "saga %s (%s): %s", run->id, run->def->type, what);
	return db_fail(run->db, run->err, where);
}

/* ---- the log ---- */

static int set_state(struct saga_run *run, const char *state)
{
	sqlite3_stmt *st = db_prep(run->db,
		"UPDATE sagas SET state = ?2, updated_at = ?3 WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run->now);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

static int log_step(struct saga_run *run, const char *name, const char *status,
	const char *error)
{
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO saga_steps (saga_id, name, status, at, error) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, run->now);
	db_bind_text(st, 5, error);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* ---- context ---- */

/* INSERT OR IGNORE: also puts back the row of a saga whose first step
 * failed, since that step's rollback took the row with it. */
static int insert_saga_row(struct saga_run *run)
{
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT OR IGNORE INTO sagas (id, type, state, initiator, created_at, updated_at) "
		"VALUES (?1, ?2, 'running', ?3, ?4, ?4)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, run->def->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run->initiator);
	sqlite3_bind_int64(st, 4, run->now);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(st);
	return rc;
}

/* Records an idempotent request as started by this saga, in the saga's
 * first unit: once the first step commits, a resend can only
 * replay, never run again. */
static int insert_idem_row(struct saga_run *run)
{
	if (!run->idem)
		return 0;
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT OR REPLACE INTO idempotency (user_id, key, saga_id, created_at) "
		"VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run->initiator);
	sqlite3_bind_text(st, 2, run->idem, (int)run->idem_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, run->now);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* ---- units ---- */

/* Opens the saga's next unit on the writer; run->db is the writer until
 * unit_close. */
static enum ag_err unit_open(struct saga_run *run)
{
	int rc = writer_begin();
	if (rc != SQLITE_OK) {
		ag_error("saga %s (%s): the writer could not start a unit: %s", run->id,
			run->def->type, sqlite3_errstr(rc));
		return db_fail_rc(rc, run->err);
	}
	/* The saga's earlier units are gone when their batch failed to
	 * commit: it must not go on as if they were there. */
	int lost = run->ticket ? writer_result(run->ticket) : SQLITE_OK;
	if (lost > 0) {
		writer_end(false);
		ag_error("saga %s (%s): an earlier step's commit failed: %s", run->id,
			run->def->type, sqlite3_errstr(lost));
		return db_fail_rc(lost, run->err);
	}
	run->db = writer_db();
	return AG_OK;
}

static void unit_close(struct saga_run *run, bool more_coming)
{
	run->ticket = writer_end(more_coming);
	run->db = run->home;
}

/* Waits for the batch holding the saga's last unit: AG_OK, or the error
 * its commit failed with. */
static enum ag_err unit_durable(struct saga_run *run)
{
	int rc = run->ticket ? writer_wait(run->ticket) : SQLITE_OK;
	if (rc == SQLITE_OK)
		return AG_OK;
	ag_error("saga %s (%s): its last commit failed: %s", run->id, run->def->type,
		sqlite3_errstr(rc));
	return db_fail_rc(rc, run->err);
}

/* A saga id: 32 hex digits, the time in ms, a counter and 64 random bits.
 * Ids that grow with time append to the indexes on saga ids (the sagas
 * table, the log, the outbox) instead of writing all over them. */
static void new_saga_id(char id[40])
{
	static atomic_uint counter;
	unsigned char raw[8];
	randombytes_buf(raw, sizeof raw);
	snprintf(id, 17, "%012llx%04x", (unsigned long long)ag_now_ms() & 0xffffffffffffULL,
		atomic_fetch_add(&counter, 1) & 0xffffu);
	sodium_bin2hex(id + 16, 17, raw, sizeof raw);
}

enum ag_err saga_begin(struct saga_run *run, struct req *rq, const struct saga_def *def)
{
	memset(run, 0, sizeof *run);
	new_saga_id(run->id);
	run->db = run->home = rq->db;
	run->def = def;
	run->initiator = rq->uid;
	run->session_id = rq->session_id;
	run->now = rq->now;
	run->err = rq->err;
	run->idem = rq->idem;
	run->idem_len = rq->idem_len;
	run->report_id = rq->saga_id;
	return AG_OK;
}

/* Keeps an input set before saga_execute (no unit open yet). */
static enum ag_err keep_input(struct saga_run *run, const char *key, const char *str,
	int64_t num, bool is_str)
{
	if (run->n_inputs == (int)(sizeof run->inputs / sizeof run->inputs[0]))
		return saga_fail(run, AG_E_INTERNAL, "saga %s: too many inputs", run->def->type);
	char *copy = NULL;
	if (str && !(copy = strdup(str)))
		return saga_fail(run, AG_E_INTERNAL, "The server is out of memory.");
	run->inputs[run->n_inputs++] = (struct saga_input){key, copy, num, is_str};
	return AG_OK;
}

static void free_inputs(struct saga_run *run)
{
	for (int i = 0; i < run->n_inputs; i++)
		free(run->inputs[i].str);
	run->n_inputs = 0;
}

/* In the first unit: the saga's row, its idempotency record and inputs. */
static enum ag_err insert_saga(struct saga_run *run)
{
	if (insert_saga_row(run) != 0 || insert_idem_row(run) != 0)
		return saga_db_error(run, "saga_begin");
	for (int i = 0; i < run->n_inputs; i++) {
		const struct saga_input *in = &run->inputs[i];
		enum ag_err e = in->is_str ? saga_set_str(run, in->key, in->str)
			: saga_set_int(run, in->key, in->num);
		if (e != AG_OK)
			return e;
	}
	if (run->report_id)
		memcpy(run->report_id, run->id, sizeof run->id);
	return AG_OK;
}

/* INSERT OR REPLACE of the scalar `key` (?3 still to bind). */
static sqlite3_stmt *context_update(struct saga_run *run, const char *key)
{
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT OR REPLACE INTO saga_values (saga_id, key, idx, val) VALUES (?1, ?2, 0, ?3)");
	if (st) {
		sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	}
	return st;
}

enum ag_err saga_set_int(struct saga_run *run, const char *key, int64_t v)
{
	if (run->db == run->home)
		return keep_input(run, key, NULL, v, false);
	sqlite3_stmt *st = context_update(run, key);
	if (!st)
		return saga_db_error(run, "saga_set_int");
	sqlite3_bind_int64(st, 3, v);
	return sqlite3_step(st) == SQLITE_DONE ? AG_OK : saga_db_error(run, "saga_set_int");
}

enum ag_err saga_set_str(struct saga_run *run, const char *key, const char *s)
{
	if (run->db == run->home)
		return keep_input(run, key, s, 0, true);
	sqlite3_stmt *st = context_update(run, key);
	if (!st)
		return saga_db_error(run, "saga_set_str");
	db_bind_text(st, 3, s);
	return sqlite3_step(st) == SQLITE_DONE ? AG_OK : saga_db_error(run, "saga_set_str");
}

enum ag_err saga_append_int(struct saga_run *run, const char *key, int64_t v)
{
	sqlite3_stmt *st = db_prep(run->db,
		"INSERT INTO saga_values (saga_id, key, idx, val) "
		"SELECT ?1, ?2, coalesce(max(idx), 0) + 1, ?3 FROM saga_values "
		"WHERE saga_id = ?1 AND key = ?2");
	if (!st)
		return saga_db_error(run, "saga_append_int");
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, v);
	return sqlite3_step(st) == SQLITE_DONE ? AG_OK : saga_db_error(run, "saga_append_int");
}

static sqlite3_stmt *context_read(struct saga_run *run, const char *key)
{
	sqlite3_stmt *st = db_prep(run->db,
		"SELECT val FROM saga_values WHERE saga_id = ?1 AND key = ?2 AND idx = 0");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_reset(st);
		return NULL;
	}
	return st;
}

int64_t saga_get_int(struct saga_run *run, const char *key)
{
	sqlite3_stmt *st = context_read(run, key);
	if (!st)
		return 0;
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

char *saga_get_str(struct saga_run *run, const char *key)
{
	sqlite3_stmt *st = context_read(run, key);
	if (!st)
		return NULL;
	char *s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return s;
}

/* ---- sagas this process is running ---- */

/* saga_execute registers its saga here while it runs, so that the retry
 * of stuck compensations never takes over a saga a worker is still on. */
#define ACTIVE_SLOTS 256
static char active_ids[ACTIVE_SLOTS][40];
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_active(const char *id, bool on)
{
	pthread_mutex_lock(&active_lock);
	for (int i = 0; i < ACTIVE_SLOTS; i++) {
		if (on ? active_ids[i][0] == '\0' : strcmp(active_ids[i], id) == 0) {
			snprintf(active_ids[i], sizeof active_ids[i], "%s", on ? id : "");
			break;
		}
	}
	pthread_mutex_unlock(&active_lock);
}

static bool is_active(const char *id)
{
	bool found = false;
	pthread_mutex_lock(&active_lock);
	for (int i = 0; i < ACTIVE_SLOTS && !found; i++)
		found = strcmp(active_ids[i], id) == 0;
	pthread_mutex_unlock(&active_lock);
	return found;
}

/* ---- execution ---- */

/* Compensates steps[last..0], leaving out those in `done` (bit i: step i
 * is already compensated), each in a unit of its own; returns 0 when all
 * are undone. Errors of compensations go to the log, not to the caller,
 * who keeps the error of the step that failed. The saga's queued events
 * are dropped either way. Call without a unit open; the last unit's
 * ticket is left in run->ticket. */
static int compensate(struct saga_run *run, int last, uint64_t done)
{
	struct ag_error *caller_err = run->err, scratch;
	run->err = &scratch;
	int rc = 0;
	if (unit_open(run) != AG_OK) {
		run->err = caller_err;
		return -1;
	}
	if (set_state(run, "compensating") != 0)
		rc = -1;
	unit_close(run, true);
	for (int i = last; i >= 0 && rc == 0; i--) {
		const struct saga_step *step = &run->def->steps[i];
		if (done & (UINT64_C(1) << i))
			continue;
		if (unit_open(run) != AG_OK) {
			rc = -1;
			break;
		}
		enum ag_err e = AG_OK;
		if (fault_at(run->def->type, step->name, ".compensate") == FAULT_FAIL)
			e = saga_fail(run, AG_E_INTERNAL, "injected fault at %s.%s.compensate",
				run->def->type, step->name);
		else if (step->compensate)
			e = step->compensate(run);
		if (e == AG_OK && log_step(run, step->name, "compensated", NULL) != 0)
			e = saga_db_error(run, "compensation log");
		if (e != AG_OK) {
			writer_undo();
			ag_error("saga %s (%s): compensation of %s failed: %s", run->id,
				run->def->type, step->name, scratch.message);
			log_step(run, step->name, "compensation_failed", scratch.message);
			rc = -1;
		}
		unit_close(run, true);
	}
	if (unit_open(run) == AG_OK) {
		if (set_state(run, rc == 0 ? "compensated" : "failed") != 0 ||
		    outbox_discard(run->db, run->id) != 0)
			writer_undo();
		unit_close(run, run->next_queued != NULL);
	}
	run->err = caller_err;
	return rc;
}

static enum ag_err execute_steps(struct saga_run *run);
static void recover_after_lost_commit(struct saga_run *run);

/* Sagas waiting for their steps to run. The first thread to find no one
 * running them takes them all (a round) and runs their steps one saga
 * after the other, their units sharing batches, while the others sleep;
 * each then learns its result. One thread doing the writes avoids a
 * hand-over of the writer between threads at every step. Each waiting
 * thread sleeps on a condition of its own, so a round wakes only its
 * sagas' threads and the next round's runner. */
static struct {
	pthread_mutex_t lock;
	struct saga_run *head, *tail;
	bool running;
} queue = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void run_round(struct saga_run *round)
{
	uint64_t ticket = 0;
	for (struct saga_run *r = round; r; r = r->next_queued) {
		r->result = execute_steps(r);
		ticket = r->ticket;
	}
	if (ticket)
		writer_wait(ticket);  /* each saga learns its own batch's fate */
}

static void run_queued(struct saga_run *run)
{
	pthread_cond_t wake;
	pthread_cond_init(&wake, NULL);
	pthread_mutex_lock(&queue.lock);
	run->wake = &wake;
	run->finished = false;
	run->next_queued = NULL;
	if (queue.tail)
		queue.tail->next_queued = run;
	else
		queue.head = run;
	queue.tail = run;
	while (!run->finished) {
		if (queue.running || queue.head != run) {
			pthread_cond_wait(&wake, &queue.lock);
			continue;
		}
		struct saga_run *round = queue.head;
		queue.head = queue.tail = NULL;
		queue.running = true;
		pthread_mutex_unlock(&queue.lock);
		run_round(round);
		pthread_mutex_lock(&queue.lock);
		for (struct saga_run *r = round, *next; r; r = next) {
			next = r->next_queued;  /* r is its thread's again once finished */
			r->finished = true;
			if (r != run)
				pthread_cond_signal(r->wake);
		}
		queue.running = false;
		if (queue.head)  /* the next round's runner */
			pthread_cond_signal(queue.head->wake);
	}
	pthread_mutex_unlock(&queue.lock);
	pthread_cond_destroy(&wake);
}

enum ag_err saga_execute(struct saga_run *run)
{
	set_active(run->id, true);
	run_queued(run);
	free_inputs(run);
	run->next_queued = NULL;
	enum ag_err e = run->result;
	struct ag_error lost = {0}, scratch = {0};
	struct ag_error *step_err = run->err;
	run->err = &lost;
	if (unit_durable(run) != AG_OK) {
		/* The batch holding the saga's last units is gone: what the
		 * database holds of it is finished as recovery would. */
		run->err = &scratch;
		recover_after_lost_commit(run);
		*step_err = lost;
		e = lost.code;
	} else if (e == AG_OK) {
		publisher_wake();
	}
	run->err = step_err;
	set_active(run->id, false);
	db_reset_all(run->home);  /* later reads see the commit */
	return e;
}

/* Runs the steps, each in a unit; the first also inserts the saga. Leaves
 * no unit open. */
static enum ag_err execute_steps(struct saga_run *run)
{
	const struct saga_def *def = run->def;
	for (size_t i = 0; i < def->n_steps; i++) {
		const struct saga_step *step = &def->steps[i];
		enum fault_kind fault = fault_at(def->type, step->name, "");
		enum ag_err e = unit_open(run);
		if (e != AG_OK) {
			if (i > 0)
				compensate(run, (int)i - 1, 0);
			return e;
		}
		if (i == 0 && (e = insert_saga(run)) != AG_OK) {
			writer_undo();
			unit_close(run, true);
			return e;
		}
		if (fault == FAULT_FAIL)
			e = saga_fail(run, AG_E_INTERNAL, "The server could not complete the request.");
		else
			e = step->action(run);
		if (e == AG_OK && log_step(run, step->name, "completed", NULL) != 0)
			e = saga_db_error(run, "step log");
		bool last = i + 1 == def->n_steps;
		if (e == AG_OK && last && (set_state(run, "completed") != 0 ||
				outbox_release(run->db, run->id) != 0))
			e = saga_db_error(run, "saga completion");
		if (e != AG_OK) {
			/* The step's unit is undone alone (the first one's with the
			 * saga's row, put back for the log). */
			writer_undo();
			if (i == 0)
				insert_saga_row(run);
			ag_debug("saga %s (%s): step %s failed: %s", run->id, def->type,
				step->name, run->err->message);
			log_step(run, step->name, "failed",
				fault == FAULT_FAIL ? "injected fault" : run->err->message);
			unit_close(run, true);
			compensate(run, (int)i - 1, 0);
			return e;
		}
		/* The batch stays open for the round's next saga. */
		unit_close(run, (!last || run->next_queued) && fault != FAULT_CRASH);
		if (fault == FAULT_CRASH) {
			if (writer_wait(run->ticket) == SQLITE_OK) {
				ag_warn("fault point %s.%s: crashing after commit", def->type, step->name);
				_exit(137);
			}
			ag_error("fault point %s.%s: the commit failed, so no crash", def->type,
				step->name);
		}
	}
	return AG_OK;
}

/* ---- recovery ---- */

static const struct saga_def *const all_sagas[] = {
	&saga_create_post, &saga_delete_post, &saga_like_post, &saga_follow_user,
	&saga_send_message, &saga_create_story, &saga_comment,
};

const struct saga_def *saga_def_named(const char *type)
{
	for (size_t i = 0; i < sizeof all_sagas / sizeof all_sagas[0]; i++)
		if (strcmp(all_sagas[i]->type, type) == 0)
			return all_sagas[i];
	return NULL;
}

/* Reads which steps the log says completed and which were compensated
 * since, as bit sets over the def's step indexes. */
static int read_log(struct saga_run *run, uint64_t *completed, uint64_t *compensated)
{
	sqlite3_stmt *st = db_prep(run->db,
		"SELECT name, status FROM saga_steps WHERE saga_id = ?1 ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	*completed = *compensated = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);
		for (size_t i = 0; i < run->def->n_steps; i++) {
			if (strcmp(run->def->steps[i].name, name) != 0)
				continue;
			if (strcmp(status, "completed") == 0)
				*completed |= UINT64_C(1) << i;
			else if (strcmp(status, "compensated") == 0)
				*compensated |= UINT64_C(1) << i;
		}
	}
	sqlite3_reset(st);
	return step == SQLITE_DONE ? 0 : -1;
}

/* Brings one unfinished saga to a final state and waits for the commit;
 * returns 0 or -1. */
static int recover_one(struct saga_run *run, const char *state)
{
	uint64_t completed, compensated;
	if (read_log(run, &completed, &compensated) != 0)
		return -1;
	uint64_t all = run->def->n_steps >= 64 ? UINT64_MAX
		: (UINT64_C(1) << run->def->n_steps) - 1;
	if (unit_open(run) != AG_OK)
		return -1;
	if (strcmp(state, "running") == 0 && completed == all) {
		ag_info("recovery: saga %s (%s) had committed every step: completed",
			run->id, run->def->type);
		int rc = 0;
		if (log_step(run, "recovery", "recovered", "every step had committed") != 0 ||
		    set_state(run, "completed") != 0 || outbox_release(run->db, run->id) != 0) {
			writer_undo();
			rc = -1;
		}
		unit_close(run, false);
		return rc == 0 && writer_wait(run->ticket) == SQLITE_OK ? 0 : -1;
	}
	ag_info("recovery: saga %s (%s) was %s: compensating", run->id, run->def->type, state);
	log_step(run, "recovery", "recovered", state);
	unit_close(run, true);
	/* Compensations are idempotent, so a step that was undone before the
	 * crash but not yet logged as such is simply undone again. */
	int rc = compensate(run, (int)run->def->n_steps - 1, compensated | ~completed);
	return writer_wait(run->ticket) == SQLITE_OK ? rc : -1;
}

/* After the commit of a batch holding some of run's units failed: brings
 * the saga, as the database now has it, to a final state (a saga whose
 * row was lost never happened). */
static void recover_after_lost_commit(struct saga_run *run)
{
	run->db = run->home;
	run->ticket = 0;
	sqlite3_stmt *st = db_prep(run->home, "SELECT state FROM sagas WHERE id = ?1");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, run->id, -1, SQLITE_STATIC);
	char state[16] = "";
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!*state || strcmp(state, "completed") == 0 || strcmp(state, "compensated") == 0)
		return;
	if (recover_one(run, state) != 0)
		ag_error("saga %s (%s) could not be finished after a failed commit; it is "
			"retried at the next start", run->id, run->def->type);
}

/* Brings every saga that st (a statement selecting id, type, initiator,
 * state) names to a final state, leaving out those this process is
 * running. Returns how many it touched, -1 on a database error. */
static int recover_selected(struct db *db, sqlite3_stmt *st)
{
	/* Collect first: recovering writes to the table being read. */
	struct pending { char id[40], type[32], state[16]; int64_t initiator; } *list = NULL;
	size_t n = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct pending *bigger = realloc(list, cap * sizeof *list);
			if (!bigger) {
				free(list);
				sqlite3_reset(st);
				return -1;
			}
			list = bigger;
		}
		struct pending *p = &list[n++];
		snprintf(p->id, sizeof p->id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(p->type, sizeof p->type, "%s", (const char *)sqlite3_column_text(st, 1));
		p->initiator = sqlite3_column_int64(st, 2);
		snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	int touched = 0, rc = step == SQLITE_DONE ? 0 : -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (is_active(list[i].id))
			continue;
		struct ag_error err = {0};
		struct saga_run run = {.db = db, .home = db, .initiator = list[i].initiator,
			.now = ag_now_ms(), .err = &err};
		memcpy(run.id, list[i].id, sizeof run.id);
		run.def = saga_def_named(list[i].type);
		if (!run.def) {
			ag_error("recovery: saga %s has unknown type %s; left as it is",
				list[i].id, list[i].type);
			continue;
		}
		if (recover_one(&run, list[i].state) != 0)
			ag_error("recovery: saga %s (%s) could not be finished; it stays failed "
				"and is retried at the next start", run.id, run.def->type);
		touched++;
	}
	free(list);
	if (touched)
		publisher_wake();
	return rc < 0 ? -1 : touched;
}

int saga_recover(struct db *db)
{
	sqlite3_stmt *st = db_prep(db,
		"SELECT id, type, initiator, state FROM sagas "
		"WHERE state IN ('running', 'compensating', 'failed') ORDER BY created_at");
	return st ? recover_selected(db, st) : -1;
}

int saga_retry_stuck(struct db *db)
{
	sqlite3_stmt *st = db_prep(db,
		"SELECT id, type, initiator, state FROM sagas "
		"WHERE state = 'compensating' ORDER BY created_at");
	return st ? recover_selected(db, st) : -1;
}
