/* test_pathcomplete.c: file name completion for the TUI's photo prompt
 * (tui/app/pathcomplete.h) over a directory made for the test: one match
 * completes whole, several complete to their common start, directories
 * get a '/', hidden files only when asked for, ~ is $HOME. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathcomplete.h"

static char root[64];

static void touch(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/ag-pathcomplete-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	touch("sunset.jpg");
	touch("sunrise.png");
	touch("beach.webp");
	touch(".hidden.jpg");
	char sub[128];
	snprintf(sub, sizeof sub, "%s/Pictures", root);
	cr_assert_eq(mkdir(sub, 0700), 0);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(pathcomplete, .init = setup, .fini = teardown);

Test(pathcomplete, one_match_completes_whole)
{
	char typed[256], out[256], want[256];
	snprintf(typed, sizeof typed, "%s/be", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 1);
	snprintf(want, sizeof want, "%s/beach.webp", root);
	cr_assert_str_eq(out, want);
}

Test(pathcomplete, several_complete_to_their_common_start)
{
	char typed[256], out[256], want[256];
	snprintf(typed, sizeof typed, "%s/s", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 2);
	snprintf(want, sizeof want, "%s/sun", root);
	cr_assert_str_eq(out, want);
}

Test(pathcomplete, directories_get_a_slash)
{
	char typed[256], out[256], want[256];
	snprintf(typed, sizeof typed, "%s/Pic", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 1);
	snprintf(want, sizeof want, "%s/Pictures/", root);
	cr_assert_str_eq(out, want);
}

Test(pathcomplete, hidden_files_only_when_asked)
{
	char typed[256], out[256], want[256];
	snprintf(typed, sizeof typed, "%s/", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 4);
	snprintf(typed, sizeof typed, "%s/.h", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 1);
	snprintf(want, sizeof want, "%s/.hidden.jpg", root);
	cr_assert_str_eq(out, want);
}

Test(pathcomplete, no_match_leaves_the_text)
{
	char typed[256], out[256];
	snprintf(typed, sizeof typed, "%s/zzz", root);
	cr_assert_eq(path_complete(typed, out, sizeof out), 0);
	cr_assert_str_eq(out, typed);
	cr_assert_eq(path_complete("/no/such/dir/x", out, sizeof out), 0);
	cr_assert_str_eq(out, "/no/such/dir/x");
}

Test(pathcomplete, tilde_is_home)
{
	setenv("HOME", root, 1);
	char out[256];
	cr_assert_eq(path_complete("~/sunr", out, sizeof out), 1);
	cr_assert_str_eq(out, "~/sunrise.png");
	char full[256], want[256];
	path_expand("~/sunrise.png", full, sizeof full);
	snprintf(want, sizeof want, "%s/sunrise.png", root);
	cr_assert_str_eq(full, want);
}
