/* storage.c: looks after the database file itself. At start-up it takes
 * an exclusive lock beside the file (two servers on one database would
 * recover each other's sagas and publish each other's events) and refuses
 * a file it cannot write. While running, a housekeeping thread notices a
 * database file deleted or replaced under the server, and, after the disk
 * was full, stores the sessions kept in memory meanwhile, finishes sagas
 * whose compensation the full disk interrupted and settles idempotency
 * records, without waiting for the next start. Every second it also runs
 * the media sweep (photos of expired stories, photos never attached) and
 * stops photo decoders that have been idle for a minute.
 *
 * It also checkpoints the WAL: no request thread ever does (a checkpoint
 * syncs the database file, milliseconds a request would wait). A commit
 * that leaves CHECKPOINT_PAGES or more in the WAL wakes it; it runs a
 * passive checkpoint, which blocks neither readers nor writers. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define WATCH_INTERVAL_MS 1000
#define RETRY_INTERVAL_MS 5000
#define LOST_LOG_INTERVAL_MS (60LL * 1000)
#define CHECKPOINT_PAGES 1000   /* SQLite's own automatic checkpoint size */

static int lock_fd = -1;
static char watched_path[4096];
static dev_t watched_dev;
static ino_t watched_ino;
static atomic_bool lost, full_seen;

static struct {
	pthread_t thread;
	bool running, stopping;
	bool checkpoint_wanted;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct db db;
} keeper = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

int storage_lock(const char *db_path)
{
	char path[4200];
	snprintf(path, sizeof path, "%s.lock", db_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ag_error("cannot open the lock file %s: %s", path, strerror(errno));
		return -1;
	}
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		struct flock holder = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK)
			ag_error("another ansigramd (pid %ld) is using %s; stop it first, or give this "
				"one its own --db", (long)holder.l_pid, db_path);
		else
			ag_error("cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n)
		ag_warn("cannot write the pid into %s: %s", path, strerror(errno));
	lock_fd = fd;  /* held until the process ends */
	return 0;
}

int storage_remember_file(const char *db_path)
{
	struct stat st;
	if (stat(db_path, &st) != 0) {
		ag_error("cannot stat the database %s: %s", db_path, strerror(errno));
		return -1;
	}
	snprintf(watched_path, sizeof watched_path, "%s", db_path);
	watched_dev = st.st_dev;
	watched_ino = st.st_ino;
	return 0;
}

bool storage_is_remembered_file(const char *path)
{
	struct stat st;
	return watched_path[0] && stat(path, &st) == 0 && st.st_dev == watched_dev &&
		st.st_ino == watched_ino;
}

bool storage_lost(void)
{
	return atomic_load(&lost);
}

bool storage_full_error(int rc)
{
	if ((rc & 0xff) != SQLITE_FULL)
		return false;
	if (!atomic_exchange(&full_seen, true))
		ag_error("storage is full: writes are refused (unavailable) until space returns; "
			"logins go on with sessions kept in memory");
	return true;
}

void storage_check_now(void)
{
	if (!watched_path[0] || atomic_load(&lost))
		return;
	struct stat st;
	bool gone = stat(watched_path, &st) != 0 && errno == ENOENT;
	bool replaced = !gone && (st.st_dev != watched_dev || st.st_ino != watched_ino);
	if (!gone && !replaced)
		return;
	atomic_store(&lost, true);
	ag_error("the database file %s was %s while the server runs: every request is now "
		"refused; restart ansigramd (what was written since it opened the file is "
		"in the old file only)", watched_path, gone ? "deleted" : "replaced");
}

/* After a full disk: tries what could not be done then. Returns true when
 * nothing is left to retry. */
static bool retry_after_full(struct db *db)
{
	bool clean = true;
	if (sessions_in_memory() > 0 && sessions_flush(db) < 0)
		clean = false;
	if (saga_retry_stuck(db) < 0)
		clean = false;
	if (dispatch_recover_idempotency(db) < 0)
		clean = false;
	return clean && sessions_in_memory() == 0;
}

/* SQLite's WAL hook, on every connection: after a commit that left
 * `pages` frames in the WAL. */
static int wal_grew(void *arg, sqlite3 *conn, const char *name, int pages)
{
	(void)arg;
	if (pages < CHECKPOINT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&keeper.lock);
	bool keeper_runs = keeper.running && !keeper.stopping;
	if (keeper_runs && !keeper.checkpoint_wanted) {
		keeper.checkpoint_wanted = true;
		pthread_cond_signal(&keeper.wake);
	}
	pthread_mutex_unlock(&keeper.lock);
	if (!keeper_runs)  /* start-up and shutdown: as SQLite would */
		sqlite3_wal_checkpoint_v2(conn, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void storage_watch_wal(sqlite3 *conn)
{
	sqlite3_wal_hook(conn, wal_grew, NULL);
}

static void checkpoint(struct db *db)
{
	int in_wal = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &in_wal,
		&copied);
	if (rc == SQLITE_OK)
		ag_debug("WAL checkpoint by the housekeeper: %d of %d pages", copied, in_wal);
	else if (rc != SQLITE_BUSY && !storage_full_error(rc))
		ag_warn("WAL checkpoint: %s", sqlite3_errmsg(db->conn));
}

static void *keeper_main(void *arg)
{
	(void)arg;
	int64_t last_retry = 0, last_lost_log = ag_now_ms(), next_tick = 0;
	pthread_mutex_lock(&keeper.lock);
	while (!keeper.stopping) {
		struct timespec next;
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_sec += WATCH_INTERVAL_MS / 1000;
		if (!keeper.checkpoint_wanted)
			pthread_cond_timedwait(&keeper.wake, &keeper.lock, &next);
		if (keeper.stopping)
			break;
		bool wanted = keeper.checkpoint_wanted;
		keeper.checkpoint_wanted = false;
		pthread_mutex_unlock(&keeper.lock);  /* never held across database work */
		if (wanted && !atomic_load(&lost))
			checkpoint(&keeper.db);
		int64_t now = ag_now_ms();
		if (now < next_tick) {
			pthread_mutex_lock(&keeper.lock);
			continue;
		}
		next_tick = now + WATCH_INTERVAL_MS;
		storage_check_now();
		if (atomic_load(&lost) && now - last_lost_log >= LOST_LOG_INTERVAL_MS) {
			ag_error("the database file %s is gone: restart ansigramd", watched_path);
			last_lost_log = now;
		}
		if (!atomic_load(&lost) && !atomic_load(&full_seen))
			media_sweep(&keeper.db, now);
		media_stop_idle_decoders();
		if (!atomic_load(&lost) && atomic_load(&full_seen) &&
		    now - last_retry >= RETRY_INTERVAL_MS) {
			last_retry = now;
			if (retry_after_full(&keeper.db)) {
				atomic_store(&full_seen, false);
				ag_info("storage has room again: writes are accepted");
			}
		}
		pthread_mutex_lock(&keeper.lock);
	}
	pthread_mutex_unlock(&keeper.lock);
	return NULL;
}

int storage_keeper_start(const char *db_path)
{
	if (db_open_more(&keeper.db, db_path) != 0)
		return -1;
	keeper.stopping = false;
	pthread_mutex_lock(&keeper.lock);
	keeper.running = pthread_create(&keeper.thread, NULL, keeper_main, NULL) == 0;
	pthread_mutex_unlock(&keeper.lock);
	if (!keeper.running) {
		db_close(&keeper.db);
		return -1;
	}
	return 0;
}

void storage_keeper_stop(void)
{
	if (!keeper.running)
		return;
	pthread_mutex_lock(&keeper.lock);
	keeper.stopping = true;
	pthread_cond_signal(&keeper.wake);
	pthread_mutex_unlock(&keeper.lock);
	pthread_join(keeper.thread, NULL);
	db_close(&keeper.db);
	pthread_mutex_lock(&keeper.lock);
	keeper.running = false;
	pthread_mutex_unlock(&keeper.lock);
}
