/* test_photocache.c: the LRU photo cache (tui/photo/photocache.h): it
 * holds what fits, evicts the least recently used by bytes, frees what it
 * evicts or replaces exactly once, and refuses nothing larger than
 * itself without freeing it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "photocache.h"

static int freed[16];

static void free_counted(void *v)
{
	freed[*(int *)v]++;
	free(v);
}

static int *val(int i)
{
	int *v = malloc(sizeof *v);
	cr_assert_not_null(v);
	*v = i;
	return v;
}

static void reset(void)
{
	for (int i = 0; i < 16; i++)
		freed[i] = 0;
}

Test(photocache, evicts_least_recently_used_by_bytes)
{
	reset();
	struct photocache *c = photocache_new(1000);
	cr_assert_eq(photocache_put(c, "a", val(0), 400, free_counted), 0);
	cr_assert_eq(photocache_put(c, "b", val(1), 400, free_counted), 0);
	cr_assert_eq(photocache_bytes(c), 800);
	/* Using a makes b the least recent. */
	cr_assert_eq(*(int *)photocache_get(c, "a"), 0);
	cr_assert_eq(photocache_put(c, "c", val(2), 300, free_counted), 0);
	cr_assert_null(photocache_get(c, "b"));
	cr_assert_eq(freed[1], 1);
	cr_assert_not_null(photocache_get(c, "a"));
	cr_assert_not_null(photocache_get(c, "c"));
	cr_assert_eq(photocache_bytes(c), 700);
	cr_assert_eq(photocache_count(c), 2);
	/* One large entry pushes out both. */
	cr_assert_eq(photocache_put(c, "d", val(3), 1000, free_counted), 0);
	cr_assert_eq(photocache_count(c), 1);
	cr_assert_eq(freed[0], 1);
	cr_assert_eq(freed[2], 1);
	cr_assert_eq(photocache_bytes(c), 1000);
	photocache_free(c);
	cr_assert_eq(freed[3], 1);
}

Test(photocache, replacing_frees_the_old_value)
{
	reset();
	struct photocache *c = photocache_new(100);
	photocache_put(c, "k", val(4), 60, free_counted);
	photocache_put(c, "k", val(5), 70, free_counted);
	cr_assert_eq(freed[4], 1);
	cr_assert_eq(photocache_count(c), 1);
	cr_assert_eq(photocache_bytes(c), 70);
	cr_assert_eq(*(int *)photocache_get(c, "k"), 5);
	photocache_free(c);
	cr_assert_eq(freed[5], 1);
}

Test(photocache, too_large_is_not_kept)
{
	reset();
	struct photocache *c = photocache_new(100);
	photocache_put(c, "small", val(6), 50, free_counted);
	cr_assert_eq(photocache_put(c, "huge", val(7), 101, free_counted), 0);
	cr_assert_eq(freed[7], 1);
	cr_assert_null(photocache_get(c, "huge"));
	cr_assert_not_null(photocache_get(c, "small"), "a refused entry evicts nothing");
	photocache_free(c);
}

Test(photocache, many_entries_stay_within_bounds)
{
	reset();
	struct photocache *c = photocache_new(10 * 1024);
	char key[32];
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "%d/thumb", i);
		cr_assert_eq(photocache_put(c, key, malloc(1024), 1024, free), 0);
		cr_assert_leq(photocache_bytes(c), 10 * 1024);
	}
	cr_assert_eq(photocache_count(c), 10);
	cr_assert_not_null(photocache_get(c, "499/thumb"));
	cr_assert_not_null(photocache_get(c, "490/thumb"));
	cr_assert_null(photocache_get(c, "489/thumb"));
	photocache_free(c);
}
