/* test_drafts.c: the TUI's drafts file (tui/app/drafts.c) on a real
 * temporary directory: text with newlines, tabs and backslashes comes
 * back as it was, each account has its own file, modes are private,
 * deleting the last draft removes the file, and memory-only drafts write
 * nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drafts.h"

static char base[64], dir[256];

static void make_dir(void)
{
	snprintf(base, sizeof base, "/tmp/ag-drafts-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	/* A directory below, which drafts.c must create itself. */
	snprintf(dir, sizeof dir, "%s/state/ansigram", base);
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	cr_assert_eq(system(cmd), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "stat %s", path);
	return st.st_mode & 0777;
}

Test(drafts, round_trip_with_escapes_and_modes)
{
	make_dir();
	const char *text = "line one\nline\ttwo \\n not a newline\r\\";
	struct drafts *d = drafts_new(dir);
	drafts_use(d, 7);
	drafts_set(d, "compose", text, 0);
	drafts_set(d, "dm-3", "hello", 0);
	cr_assert_eq(drafts_tick(d, 0), DRAFTS_SAVE_MS, "saved only after the pause");
	cr_assert_eq(drafts_tick(d, DRAFTS_SAVE_MS), -1);
	drafts_free(d);

	char path[400];
	snprintf(path, sizeof path, "%s/drafts-7", dir);
	cr_assert_eq(mode_of(dir), 0700);
	cr_assert_eq(mode_of(path), 0600);

	d = drafts_new(dir);
	drafts_use(d, 7);
	cr_assert_str_eq(drafts_get(d, "compose"), text);
	cr_assert_str_eq(drafts_get(d, "dm-3"), "hello");
	cr_assert_null(drafts_get(d, "comment-1"));
	/* Another account sees none of them. */
	drafts_use(d, 8);
	cr_assert_null(drafts_get(d, "compose"));
	drafts_use(d, 7);
	cr_assert_str_eq(drafts_get(d, "dm-3"), "hello");
	/* Blank text deletes; no drafts left, no file left. */
	drafts_set(d, "compose", "  \n ", 0);
	drafts_set(d, "dm-3", NULL, 0);
	drafts_flush(d);
	cr_assert_neq(access(path, F_OK), 0, "the empty drafts file is removed");
	drafts_free(d);
	remove_dir();
}

Test(drafts, memory_only_writes_nothing)
{
	make_dir();
	struct drafts *d = drafts_new(NULL);
	drafts_use(d, 7);
	drafts_set(d, "compose", "kept in memory", 0);
	drafts_flush(d);
	/* Memory-only drafts outlive switching accounts (one shared process). */
	drafts_use(d, 8);
	drafts_use(d, 7);
	cr_assert_str_eq(drafts_get(d, "compose"), "kept in memory");
	drafts_free(d);
	cr_assert_neq(access(dir, F_OK), 0, "no directory is made");
	remove_dir();
}
