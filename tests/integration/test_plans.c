/* test_plans.c: the list ops read their page through an index range,
 * whatever the tables hold. A server started with ANSIGRAM_EXPLAIN writes
 * the query plan of every statement it prepares, with the op it was
 * serving; after each list op has been called, every paged statement
 * (one with a LIMIT or an ORDER BY) of those ops must search an index: no SCAN of a table
 * and no temporary B-tree to sort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(plans, .fini = h_test_fini, .timeout = 120);

/* The ops whose pages must not grow with the tables. */
static const char *const paged_ops[] = {
	"feed.get", "user.posts", "search.posts_by_hashtag", "message.thread",
	"notification.list", "post.comments",
};
#define N_PAGED (sizeof paged_ops / sizeof paged_ops[0])

/* Calls each paged op once, on data for each to find. */
static void call_paged_ops(void)
{
	struct h_user a, b;
	h_user_new(&a);
	h_user_new(&b);
	h_ok(a.c, "follow.create", "user_id:i", b.id);
	int64_t post = ag_obj_int(h_ok(b.c, "post.create", "content:s", "plans #plan"), "id");
	h_ok(a.c, "post.like", "post_id:i", post);
	h_ok(a.c, "comment.create", "post_id:i content:s", post, "a comment");
	h_ok(a.c, "message.send", "receiver_id:i content:s", b.id, "hello");
	cr_assert_eq(ag_obj_len(h_ok(a.c, "feed.get", "")), 1);
	cr_assert_eq(ag_obj_len(h_ok(a.c, "feed.get", "before_id:i offset:i", post + 1,
		(int64_t)0)), 1);
	cr_assert_eq(ag_obj_len(h_ok(a.c, "user.posts", "user_id:i", b.id)), 1);
	cr_assert_eq(ag_obj_len(h_ok(a.c, "search.posts_by_hashtag", "tag:s", "plan")), 1);
	cr_assert_eq(ag_obj_len(h_ok(a.c, "message.thread", "user_id:i", b.id)), 1);
	cr_assert_geq(ag_obj_len(h_ok(b.c, "notification.list", "")), 1);
	cr_assert_eq(ag_obj_len(h_ok(a.c, "post.comments", "post_id:i", post)), 1);
}

static bool is_paged_op(const char *op)
{
	for (size_t i = 0; i < N_PAGED; i++)
		if (strcmp(op, paged_ops[i]) == 0)
			return true;
	return false;
}

Test(plans, every_page_of_the_list_ops_is_an_index_range)
{
	char path[256];
	snprintf(path, sizeof path, "/tmp/ag-plans-%d.txt", (int)getpid());
	remove(path);
	setenv("ANSIGRAM_EXPLAIN", path, 1);
	struct h_server s;
	cr_assert(h_server_start(&s, NULL), "the server did not start");
	unsetenv("ANSIGRAM_EXPLAIN");
	h_use_server(&s);
	call_paged_ops();
	cr_assert_eq(h_server_stop(&s), 0);

	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "the server wrote no plans to %s", path);
	char line[8192], op[64] = "", sql[8192] = "";
	int paged_seen[N_PAGED] = {0};
	bool in_paged = false;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "op ", 3) == 0) {
			snprintf(op, sizeof op, "%.63s", line + 3);
		} else if (strncmp(line, "sql ", 4) == 0) {
			snprintf(sql, sizeof sql, "%s", line + 4);
			in_paged = is_paged_op(op) &&
				(strstr(sql, " LIMIT ") != NULL || strstr(sql, " ORDER BY ") != NULL);
			for (size_t i = 0; in_paged && i < N_PAGED; i++)
				paged_seen[i] += strcmp(op, paged_ops[i]) == 0;
		} else if (strncmp(line, "plan ", 5) == 0 && in_paged) {
			const char *step = line + 5;
			cr_expect(strncmp(step, "SCAN ", 5) != 0 || strncmp(step, "SCAN CONSTANT", 13) == 0,
				"%s scans a table (%s): %s", op, step, sql);
			cr_expect(strstr(step, "TEMP B-TREE") == NULL, "%s sorts in a temporary B-tree "
				"(%s): %s", op, step, sql);
		}
	}
	fclose(f);
	remove(path);
	for (size_t i = 0; i < N_PAGED; i++)
		cr_expect_gt(paged_seen[i], 0, "%s prepared no paged statement", paged_ops[i]);
}
