/* paths.c: XDG directories (see paths.h). */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int join(char *out, size_t size, const char *env, const char *home_rel)
{
	const char *base = getenv(env);
	int n;
	if (base && base[0] == '/') {
		n = snprintf(out, size, "%s/ansigram", base);
	} else {
		const char *home = getenv("HOME");
		if (!home || !*home)
			home = "/tmp";
		n = snprintf(out, size, "%s/%s/ansigram", home, home_rel);
	}
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int ag_path_data_dir(char *out, size_t size)
{
	return join(out, size, "XDG_DATA_HOME", ".local/share");
}

int ag_path_config_dir(char *out, size_t size)
{
	return join(out, size, "XDG_CONFIG_HOME", ".config");
}

int ag_path_state_dir(char *out, size_t size)
{
	return join(out, size, "XDG_STATE_HOME", ".local/state");
}

int ag_path_runtime_dir(char *out, size_t size)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	int n;
	if (base && base[0] == '/')
		n = snprintf(out, size, "%s/ansigram", base);
	else
		n = snprintf(out, size, "/tmp/ansigram-%u", (unsigned)getuid());
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int ag_mkdirs(const char *path)
{
	char tmp[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
