/* feed.c: feed.get, the posts of the people the caller follows and the
 * caller's own, newest first.
 *
 * The page is merged from each author's posts through the (author_id, id)
 * index: one cursor per author (the caller and everyone followed) holds
 * that author's newest post below the page's start, a heap keeps the
 * newest cursor on top, and each post taken moves its author's cursor one
 * post further back. A page therefore costs one index seek per author plus
 * one per post on it, then one statement reads the page's rows, however
 * many posts the table holds; scanning the
 * posts table by id would cost what lies between the followed authors'
 * posts, and collecting every followed author's posts would grow with
 * their history. The page is read inside one read transaction, so it is
 * one snapshot of the database. */
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The page's rows in one statement: ?1 the caller, ?2..?(MAX_PAGE + 1)
 * the page's post ids (unbound ones are NULL and match nothing). */
#define MAX_PAGE 100
static char page_sql[sizeof "SELECT " POST_COLUMNS " FROM posts p" POST_MEDIA_JOIN
	"WHERE p.id IN () ORDER BY p.id DESC" + MAX_PAGE * 5];
static pthread_once_t page_sql_once = PTHREAD_ONCE_INIT;

static void build_page_sql(void)
{
	size_t n = (size_t)snprintf(page_sql, sizeof page_sql, "SELECT " POST_COLUMNS
		" FROM posts p" POST_MEDIA_JOIN "WHERE p.id IN (");
	for (int i = 0; i < MAX_PAGE; i++)
		n += (size_t)snprintf(page_sql + n, sizeof page_sql - n, "%s?%d", i ? "," : "", i + 2);
	snprintf(page_sql + n, sizeof page_sql - n, ") ORDER BY p.id DESC");
}

struct cursor {
	int64_t author;
	int64_t post;            /* the author's newest post not yet taken */
};

/* The newest post of author with an id below `below`, or 0. */
static int64_t newest_below(struct req *rq, int64_t author, int64_t below, int *failed)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT id FROM posts WHERE author_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT 1");
	if (!st) {
		*failed = 1;
		return 0;
	}
	sqlite3_bind_int64(st, 1, author);
	sqlite3_bind_int64(st, 2, below);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		*failed = 1;
	sqlite3_reset(st);
	return id;
}

/* Heap order: the cursor with the newest post on top. */
static void sift_down(struct cursor *heap, size_t n, size_t i)
{
	for (;;) {
		size_t top = i, l = 2 * i + 1, r = l + 1;
		if (l < n && heap[l].post > heap[top].post)
			top = l;
		if (r < n && heap[r].post > heap[top].post)
			top = r;
		if (top == i)
			return;
		struct cursor t = heap[i];
		heap[i] = heap[top];
		heap[top] = t;
		i = top;
	}
}

/* Fills *heap with a cursor per author who has a post below `below`.
 * Returns how many, or -1 on a database error. */
static long open_cursors(struct req *rq, int64_t below, struct cursor **heap)
{
	sqlite3_stmt *st = db_prep(rq->db,
		"SELECT ?1 UNION ALL "
		"SELECT followee_id FROM follows WHERE follower_id = ?1 AND followee_id != ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, rq->uid);
	size_t n = 0, cap = 64;
	struct cursor *h = malloc(cap * sizeof *h);
	int rc, failed = 0;
	while (h && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t author = sqlite3_column_int64(st, 0);
		int64_t post = newest_below(rq, author, below, &failed);
		if (failed)
			break;
		if (post == 0)
			continue;
		if (n == cap) {
			struct cursor *bigger = realloc(h, 2 * cap * sizeof *h);
			if (!bigger) {
				failed = 1;
				break;
			}
			h = bigger;
			cap *= 2;
		}
		h[n++] = (struct cursor){author, post};
	}
	if (!h || failed || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		sqlite3_reset(st);
		free(h);
		return -1;
	}
	sqlite3_reset(st);
	for (size_t i = n / 2; i-- > 0;)
		sift_down(h, n, i);
	*heap = h;
	return (long)n;
}

/* Merges the page's post ids into ids (at most limit, after skipping
 * offset). Returns how many, or -1 on a database error. */
static long merge_page(struct req *rq, int64_t below, int64_t offset, int64_t limit,
	int64_t *ids)
{
	struct cursor *heap = NULL;
	long n = open_cursors(rq, below, &heap);
	if (n < 0)
		return -1;
	long taken = 0;
	int failed = 0;
	for (int64_t skipped = 0; n > 0 && taken < limit && !failed;) {
		int64_t post = heap[0].post;
		if (skipped < offset)
			skipped++;
		else
			ids[taken++] = post;
		heap[0].post = newest_below(rq, heap[0].author, post, &failed);
		if (heap[0].post == 0)
			heap[0] = heap[--n];
		sift_down(heap, (size_t)n, 0);
	}
	free(heap);
	return failed ? -1 : taken;
}

enum ag_err h_feed_get(struct req *rq)
{
	int64_t limit = req_limit(rq);
	int64_t *ids = malloc((size_t)limit * sizeof *ids);
	sqlite3_stmt *begin = db_prep(rq->db, "BEGIN");
	if (!ids || !begin || sqlite3_step(begin) != SQLITE_DONE) {
		free(ids);
		return req_db_error(rq, "feed");
	}
	long n = merge_page(rq, req_before_id(rq), req_offset(rq), limit, ids);
	enum ag_err err = AG_OK;
	if (n < 0) {
		err = req_db_error(rq, "feed");
	} else {
		pthread_once(&page_sql_once, build_page_sql);
		sqlite3_stmt *st = db_prep(rq->db, page_sql);
		if (!st) {
			err = req_db_error(rq, "feed");
		} else {
			sqlite3_bind_int64(st, 1, rq->uid);
			for (long i = 0; i < n && i < MAX_PAGE; i++)
				sqlite3_bind_int64(st, (int)i + 2, ids[i]);
			err = pack_rows(rq, st, pack_post_row);
		}
	}
	db_reset_all(rq->db);
	sqlite3_stmt *commit = db_prep(rq->db, "COMMIT");
	if ((!commit || sqlite3_step(commit) != SQLITE_DONE) && err == AG_OK)
		err = req_db_error(rq, "feed");
	if (commit)
		sqlite3_reset(commit);
	free(ids);
	return err;
}
