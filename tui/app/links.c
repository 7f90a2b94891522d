/* links.c: opening or copying an external image URL (see links.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "links.h"

bool link_ok(const char *url)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return strlen(url) < 4096;
}

size_t link_osc52(const char *url, char *out, size_t size)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(url);
	size_t need = 7 + (len + 2) / 3 * 4 + 1 + 1;
	if (need > size)
		return 0;
	char *o = out;
	memcpy(o, "\033]52;c;", 7);
	o += 7;
	const unsigned char *s = (const unsigned char *)url;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o++ = '\a';
	*o = '\0';
	return (size_t)(o - out);
}

/* Starts xdg-open url in a grandchild (so no zombie is left), its output
 * thrown away. True when the child could be started. */
static bool spawn_opener(const char *url)
{
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		/* env finds xdg-open on PATH; execl itself is safe after fork. */
		execl("/usr/bin/env", "env", "xdg-open", url, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool link_open(const char *url, void (*write)(const char *s, size_t len), char *done,
	size_t done_size)
{
	if (!link_ok(url)) {
		snprintf(done, done_size, "Not a link that can be opened.");
		return false;
	}
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
	if (((display && display[0]) || (wayland && wayland[0])) && spawn_opener(url)) {
		snprintf(done, done_size, "Opening the link in your browser.");
		return true;
	}
	char seq[4096 * 4 / 3 + 32];
	size_t n = link_osc52(url, seq, sizeof seq);
	if (n == 0) {
		snprintf(done, done_size, "The link is too long to copy.");
		return false;
	}
	write(seq, n);
	snprintf(done, done_size, "Copied the link (your terminal may ask first).");
	return true;
}
