/* test_dial.c: server URL lists (protocol/dial.c): splitting them, and
 * dialing a list whose servers are all down or not URLs at all. Dialing
 * live servers is covered by the transport suite. */
#include <criterion/criterion.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "dial.h"

/* Splits list into out[] (at most max items); returns how many. */
static int split(const char *list, char out[][64], int max)
{
	int n = 0;
	for (const char *rest = ag_url_list_next(list, out[n], sizeof out[n]); rest != NULL;
	     rest = ag_url_list_next(rest, out[n], sizeof out[n])) {
		cr_assert_lt(n, max - 1, "more items than expected in '%s'", list);
		n++;
	}
	return n;
}

Test(dial, a_list_splits_at_commas_and_drops_spaces_and_empty_items)
{
	char items[8][64];
	cr_expect_eq(split("ipc:///a.sock", items, 8), 1);
	cr_expect_str_eq(items[0], "ipc:///a.sock");
	cr_assert_eq(split(" tcp://127.0.0.1:1 ,,tls+tcp://h:2, ", items, 8), 2);
	cr_expect_str_eq(items[0], "tcp://127.0.0.1:1");
	cr_expect_str_eq(items[1], "tls+tcp://h:2");
	cr_expect_eq(split("", items, 8), 0);
	cr_expect_eq(split(" , ,", items, 8), 0);
	cr_expect_eq(split(NULL, items, 8), 0);
}

Test(dial, an_item_too_long_for_the_buffer_comes_back_empty)
{
	char out[8];
	const char *rest = ag_url_list_next("ipc:///much-too-long,ipc://x", out, sizeof out);
	cr_assert_not_null(rest);
	cr_expect_str_eq(out, "");
	cr_assert_not_null(ag_url_list_next(rest, out, sizeof out));
	cr_expect_str_eq(out, "ipc://x");
}

Test(dial, dialing_a_list_of_servers_that_are_down_fails_with_the_first_error)
{
	nng_socket s;
	cr_assert_eq(nng_req0_open(&s), 0);
	int rv = ag_dial_list(s, "ipc:///nonexistent/a.sock,ipc:///nonexistent/b.sock", NULL, 0);
	cr_expect(rv == NNG_ENOENT || rv == NNG_ECONNREFUSED, "got %s", nng_strerror(rv));
	/* In the background the same list is accepted: they may come up. */
	cr_expect_eq(ag_dial_list(s, "ipc:///nonexistent/a.sock,ipc:///nonexistent/b.sock",
		NULL, NNG_FLAG_NONBLOCK), 0);
	nng_close(s);
}

Test(dial, a_list_with_a_bad_url_or_none_fails)
{
	nng_socket s;
	cr_assert_eq(nng_req0_open(&s), 0);
	cr_expect_eq(ag_dial_list(s, "", NULL, NNG_FLAG_NONBLOCK), NNG_EADDRINVAL);
	cr_expect_neq(ag_dial_list(s, "ipc:///nonexistent/a.sock,bogus://x", NULL,
		NNG_FLAG_NONBLOCK), 0);
	cr_expect_neq(ag_dial_list(s, "bogus://x,ipc:///nonexistent/a.sock", NULL, 0), 0);
	nng_close(s);
}
