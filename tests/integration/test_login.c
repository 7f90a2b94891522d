/* test_login.c: the login back-off. Failed logins are counted per account
 * and per source (an ipc peer's uid, a tcp peer's address); past a few
 * free failures each further attempt waits a doubling back-off, but a
 * source the account has logged in from before is never kept out by a
 * stranger's failures on that account. Each test runs its own server that
 * listens on ipc and on loopback tcp, so it has two sources to compare. */
#include "harness.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

TestSuite(login, .fini = h_test_fini);

static struct h_server server;
static char tcp_url[64];

/* Starts this test's server on ipc plus a free loopback tcp port. */
static void start_server(void)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		snprintf(tcp_url, sizeof tcp_url, "tcp://127.0.0.1:%d",
			20000 + (int)randombytes_uniform(30000));
		const char *extra[] = {"--listen", tcp_url, NULL};
		if (h_server_start_args(&server, NULL, extra)) {
			h_use_server(&server);
			return;
		}
	}
	cr_assert_fail("no server with a tcp listener could be started");
}

static void stop_server(void)
{
	cr_expect_eq(h_server_stop(&server), 0, "the server did not stop cleanly");
}

/* A client from the other source: loopback tcp. */
static struct ag_client *tcp_client(void)
{
	struct ag_client *c;
	cr_assert_eq(ag_client_open(&c, tcp_url, 5000), 0, "cannot dial %s", tcp_url);
	return c;
}

static const struct ag_reply *login(struct ag_client *c, const struct h_user *u,
	const char *password)
{
	return h_call(c, "auth.login", "username:s password:s", u->username, password);
}

static void sleep_ms(int64_t ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

Test(login, a_stranger_cannot_keep_the_owner_out)
{
	start_server();
	struct h_user u, other;
	h_user_new(&u);      /* registered and logged in over ipc: a known source */
	h_user_new(&other);
	struct ag_client *stranger = tcp_client();

	for (int i = 0; i < 5; i++)
		cr_assert_eq(login(stranger, &u, "wrong-password")->code, AG_E_UNAUTHORIZED,
			"failure %d was not free", i + 1);
	const struct ag_reply *r = login(stranger, &u, "wrong-password");
	cr_assert_eq(r->code, AG_E_RATE_LIMITED, "6th attempt: %s", r->code_name);
	cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 1000,
		"the first back-off is about a second, not %llu ms",
		(unsigned long long)r->retry_after_ms);
	/* The stranger's source is backing off on this account, even with
	 * the right password; other accounts are not touched. */
	cr_assert_eq(login(stranger, &u, u.password)->code, AG_E_RATE_LIMITED);
	h_ok(stranger, "auth.login", "username:s password:s", other.username, other.password);
	/* The owner, from where they logged in before, gets in at once. */
	h_ok(h_client(), "auth.login", "username:s password:s", u.username, u.password);

	/* After the back-off the stranger's next try is answered again. */
	sleep_ms((int64_t)r->retry_after_ms + 50);
	h_ok(stranger, "auth.login", "username:s password:s", u.username, u.password);
	ag_client_close(stranger);
	stop_server();
}

Test(login, the_back_off_doubles_and_is_capped_at_five_minutes)
{
	start_server();
	struct h_user u;
	h_user_new(&u);
	struct ag_client *stranger = tcp_client();
	const char *key = h_fmt("account:%s", u.username);
	int64_t now = ag_now_ms();

	/* 7 failures: two doublings past the free five, so 4 s after the last. */
	h_db_exec("INSERT INTO login_failures (key, failures, last_at) VALUES "
		"((SELECT 'account:' || username FROM users WHERE id = ?1), ?2, ?3)", 3,
		u.id, (int64_t)7, now);
	cr_assert_str_eq(h_db_text("SELECT key FROM login_failures WHERE failures = 7", 0), key);
	const struct ag_reply *r = login(stranger, &u, u.password);
	cr_assert_eq(r->code, AG_E_RATE_LIMITED);
	cr_assert(r->retry_after_ms > 3000 && r->retry_after_ms <= 4000, "got %llu ms",
		(unsigned long long)r->retry_after_ms);

	h_db_exec("UPDATE login_failures SET failures = 60, last_at = ?1", 1, ag_now_ms());
	r = login(stranger, &u, u.password);
	cr_assert_eq(r->code, AG_E_RATE_LIMITED);
	cr_assert(r->retry_after_ms > 290000 && r->retry_after_ms <= 300000, "got %llu ms",
		(unsigned long long)r->retry_after_ms);

	/* Failures long past are forgotten. */
	h_db_exec("UPDATE login_failures SET last_at = ?1", 1, ag_now_ms() - 16 * 60 * 1000);
	h_ok(stranger, "auth.login", "username:s password:s", u.username, u.password);
	ag_client_close(stranger);
	stop_server();
}

Test(login, one_source_failing_on_many_accounts_backs_off)
{
	start_server();
	struct h_user u;
	h_user_new(&u);
	struct ag_client *guesser = tcp_client();
	const struct ag_reply *r = NULL;
	int failures = 0;
	for (; failures < 40; failures++) {
		r = h_call(guesser, "auth.login", "username:s password:s",
			h_unique("nobody"), "guess-guess");
		if (r->code != AG_E_UNAUTHORIZED)
			break;
	}
	cr_assert_eq(r->code, AG_E_RATE_LIMITED, "after %d failures: %s", failures,
		r->code_name);
	cr_assert_geq(failures, 10, "the source was limited after only %d failures", failures);
	cr_assert_gt(r->retry_after_ms, 0);
	/* Even an account it never tried waits; another source does not. */
	cr_assert_eq(login(guesser, &u, u.password)->code, AG_E_RATE_LIMITED);
	h_err(AG_E_UNAUTHORIZED, h_client(), "auth.login", "username:s password:s",
		h_unique("nobody"), "guess-guess");
	h_ok(h_client(), "auth.login", "username:s password:s", u.username, u.password);
	ag_client_close(guesser);
	stop_server();
}
