/* pathcomplete.c: completing file names typed in the photo prompt, by
 * reading the directory named so far. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pathcomplete.h"

void path_expand(const char *typed, char *out, size_t size)
{
	const char *home = getenv("HOME");
	if (typed[0] == '~' && (typed[1] == '/' || typed[1] == '\0') && home && home[0])
		snprintf(out, size, "%s%s", home, typed + 1);
	else
		snprintf(out, size, "%s", typed);
}

int path_complete(const char *typed, char *out, size_t size)
{
	snprintf(out, size, "%s", typed);
	/* Split into the directory part (kept as typed) and the name part. */
	const char *slash = strrchr(typed, '/');
	size_t dir_len = slash ? (size_t)(slash - typed) + 1 : 0;
	const char *prefix = typed + dir_len;
	size_t prefix_len = strlen(prefix);
	char dir_typed[4096], dir[4096];
	snprintf(dir_typed, sizeof dir_typed, "%.*s", (int)dir_len, typed);
	path_expand(dir_len ? dir_typed : ".", dir, sizeof dir);
	if (strcmp(typed, "~") == 0)
		return 0;
	DIR *d = opendir(dir[0] ? dir : "/");
	if (d == NULL)
		return 0;
	char common[1024] = "";
	bool common_dir = false;
	int matches = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (name[0] == '.' && prefix[0] != '.')
			continue;
		if (strncmp(name, prefix, prefix_len) != 0)
			continue;
		if (matches++ == 0) {
			snprintf(common, sizeof common, "%s", name);
			char full[4096 + 256];
			snprintf(full, sizeof full, "%s%s%s", dir,
				dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
			struct stat st;
			common_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
		} else {
			size_t i = 0;
			while (common[i] && common[i] == name[i])
				i++;
			common[i] = '\0';
		}
	}
	closedir(d);
	if (matches == 0)
		return 0;
	snprintf(out, size, "%s%s%s", dir_typed, common, matches == 1 && common_dir ? "/" : "");
	return matches;
}
