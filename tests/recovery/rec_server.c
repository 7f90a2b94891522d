/* rec_server.c: starting, crashing and restarting ansigramd for the
 * recovery tests (see rec_server.h). */
#include "rec_server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 15000

/* The server this test started and has not reaped yet (a copy: the
 * test's own struct is gone when .fini runs). */
static struct h_server running;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool answers(const char *url)
{
	struct ag_client *c;
	if (ag_client_open(&c, url, 500) != 0)
		return false;
	struct ag_reply r;
	bool ok = ag_client_callf(c, &r, "server.ping", NULL, "") == 0 && r.ok;
	ag_reply_free(&r);
	ag_client_close(c);
	return ok;
}

/* Runs the server as our child, its stderr appended to the log. */
static const char *server_binary(void)
{
	const char *bin = getenv("ANSIGRAMD");
	cr_assert(bin && access(bin, X_OK) == 0, "ANSIGRAMD must name the ansigramd binary");
	return bin;
}

static void spawn(struct h_server *s, const char *faults)
{
	const char *bin = server_binary();
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int log = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int null = open("/dev/null", O_RDWR);
		if (log < 0 || null < 0)
			_exit(126);
		dup2(null, 0);
		dup2(null, 1);
		dup2(log, 2);
		if (faults)
			setenv("ANSIGRAM_FAULTS", faults, 1);
		else
			unsetenv("ANSIGRAM_FAULTS");
		execl(bin, bin, "--db", s->db_path, "--listen", s->url, "--pub", s->pub_url,
			"--pwhash", "min", "--workers", "4", (char *)NULL);
		_exit(127);
	}
	s->keeper = pid;
	running = *s;
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 10) {
		if (answers(s->url)) {
			h_use_server(s);
			return;
		}
		if (rec_wait_exit(s, 0) >= 0)
			break;
		sleep_ms(10);
	}
	h_server_print_log(s);
	cr_assert_fail("ansigramd did not come up on %s", s->dir);
}

void rec_start(struct h_server *s, const char *faults)
{
	server_binary();
	memset(s, 0, sizeof *s);
	strcpy(s->dir, "/tmp/ag-recovery-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir), "mkdtemp: %s", strerror(errno));
	snprintf(s->url, sizeof s->url, "ipc://%s/req.sock", s->dir);
	snprintf(s->pub_url, sizeof s->pub_url, "ipc://%s/pub.sock", s->dir);
	snprintf(s->db_path, sizeof s->db_path, "%s/test.db", s->dir);
	snprintf(s->log_path, sizeof s->log_path, "%s/server.log", s->dir);
	spawn(s, faults);
}

void rec_restart(struct h_server *s, const char *faults)
{
	cr_assert_eq(s->keeper, 0, "rec_restart: the server is still running");
	spawn(s, faults);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

int rec_wait_exit(struct h_server *s, int timeout_ms)
{
	if (s->keeper <= 0)
		return -1;
	for (int waited = 0;; waited += 10) {
		int status;
		pid_t got = waitpid(s->keeper, &status, WNOHANG);
		if (got == s->keeper) {
			s->keeper = 0;
			running.keeper = 0;
			return exit_code(status);
		}
		if (waited >= timeout_ms)
			return -1;
		sleep_ms(10);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void rec_stop(struct h_server *s)
{
	cr_assert_gt(s->keeper, 0, "rec_stop: the server is not running");
	kill(s->keeper, SIGTERM);
	int code = rec_wait_exit(s, STOP_TIMEOUT_MS);
	if (code != 0)
		h_server_print_log(s);
	cr_assert_eq(code, 0, "ansigramd did not stop cleanly on SIGTERM (status %d); kept %s",
		code, s->dir);
}

void rec_done(struct h_server *s)
{
	rec_stop(s);
	nftw(s->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void rec_kill(struct h_server *s)
{
	cr_assert_gt(s->keeper, 0, "rec_kill: the server is not running");
	kill(s->keeper, SIGKILL);
	cr_assert_geq(rec_wait_exit(s, STOP_TIMEOUT_MS), 0, "ansigramd outlived SIGKILL");
}

void rec_discard(struct h_server *s)
{
	if (s->keeper > 0)
		rec_kill(s);
	nftw(s->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void rec_test_fini(void)
{
	if (running.keeper > 0) {
		kill(running.keeper, SIGKILL);
		waitpid(running.keeper, NULL, 0);
		h_server_print_log(&running);
		fprintf(stderr, "recovery: the test left ansigramd running; kept %s\n", running.dir);
		running.keeper = 0;
	}
	h_test_fini();
}
