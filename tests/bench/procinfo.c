/* procinfo.c: reading /proc for the benchmark and the soak (see procinfo.h). */
#include "procinfo.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long proc_status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kb = -1;
	size_t key_len = strlen(key);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':' &&
		    sscanf(line + key_len + 1, "%ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long proc_open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	long n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

long long proc_cpu_us(pid_t pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	/* Fields 14 and 15 (utime, stime), counted after the name in
	 * parentheses, which may itself hold spaces. */
	const char *p = strrchr(text, ')');
	unsigned long long utime, stime;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			&utime, &stime) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (long long)((utime + stime) * 1000000ULL / (unsigned long long)hz) : -1;
}

int proc_children(pid_t parent, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *e;
	while (d && n < max && (e = readdir(d)) != NULL) {
		char path[300], text[1024];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		size_t len = fread(text, 1, sizeof text - 1, f);
		fclose(f);
		text[len] = '\0';
		/* Field 4, after the name in parentheses, which may hold spaces. */
		const char *p = strrchr(text, ')');
		int ppid;
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == (int)parent)
			out[n++] = (pid_t)atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

long proc_children_status_kb(pid_t parent, const char *key, int *count)
{
	pid_t kids[64];
	int n = proc_children(parent, kids, 64);
	long sum = 0;
	*count = 0;
	for (int i = 0; i < n; i++) {
		long kb = proc_status_kb(kids[i], key);
		if (kb > 0) {
			sum += kb;
			(*count)++;
		}
	}
	return sum;
}
