/* session.c: the client's saved login (see session.h): a small
 * "key=value" file written atomically with mode 0600, and the default
 * server URLs, which match ansigramd's own defaults. */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "paths.h"

int ag_session_path(char *out, size_t size)
{
	const char *env = getenv("ANSIGRAM_SESSION");
	if (env != NULL && env[0] != '\0') {
		if (strlen(env) >= size)
			return -1;
		ag_strlcpy(out, env, size);
		return 0;
	}
	char dir[4096];
	if (ag_path_config_dir(dir, sizeof dir) != 0)
		return -1;
	int n = snprintf(out, size, "%s/session", dir);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Decodes exactly len bytes of hex from text; false when it is not that. */
static bool hex_field(const char *text, uint8_t *out, size_t len)
{
	size_t got = 0;
	return strlen(text) == 2 * len &&
		sodium_hex2bin(out, len, text, 2 * len, NULL, &got, NULL) == 0 && got == len;
}

int ag_session_load(const char *path, struct ag_session *s)
{
	memset(s, 0, sizeof *s);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	bool has_topic = false, has_key = false;
	char line[2048];
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		const char *key = line, *value = eq + 1;
		if (strcmp(key, "server") == 0)
			ag_strlcpy(s->server, value, sizeof s->server);
		else if (strcmp(key, "token") == 0)
			ag_strlcpy(s->token, value, sizeof s->token);
		else if (strcmp(key, "username") == 0)
			ag_strlcpy(s->username, value, sizeof s->username);
		else if (strcmp(key, "user_id") == 0)
			s->user_id = strtoll(value, NULL, 10);
		else if (strcmp(key, "expires_at") == 0)
			s->expires_at = strtoll(value, NULL, 10);
		else if (strcmp(key, "push_topic") == 0)
			has_topic = hex_field(value, s->push_topic, sizeof s->push_topic);
		else if (strcmp(key, "push_key") == 0)
			has_key = hex_field(value, s->push_key, sizeof s->push_key);
		else if (strcmp(key, "push_url") == 0)
			ag_strlcpy(s->push_url, value, sizeof s->push_url);
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed) {
		sodium_memzero(s, sizeof *s);
		return -1;
	}
	s->has_push = has_topic && has_key;
	return 0;
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		ag_strlcpy(out, ".", size);
		return;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		n = size - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

static bool one_line(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

int ag_session_save(const char *path, const struct ag_session *s)
{
	if (!one_line(s->server) || !one_line(s->token) || !one_line(s->username) ||
	    !one_line(s->push_url)) {
		errno = EINVAL;
		return -1;
	}
	char dir[4096];
	dir_of(path, dir, sizeof dir);
	if (ag_mkdirs(dir) != 0)
		return -1;

	struct ag_buf text = {0};
	ag_buf_printf(&text, "server=%s\ntoken=%s\nuser_id=%lld\nusername=%s\nexpires_at=%lld\n",
		s->server, s->token, (long long)s->user_id, s->username, (long long)s->expires_at);
	if (s->has_push) {
		char hex[2 * AG_PUSH_KEY_BYTES + 1];
		sodium_bin2hex(hex, sizeof hex, s->push_topic, sizeof s->push_topic);
		ag_buf_printf(&text, "push_topic=%s\n", hex);
		sodium_bin2hex(hex, sizeof hex, s->push_key, sizeof s->push_key);
		ag_buf_printf(&text, "push_key=%s\n", hex);
		sodium_memzero(hex, sizeof hex);
	}
	if (s->push_url[0])
		ag_buf_printf(&text, "push_url=%s\n", s->push_url);

	struct ag_buf tmp = {0};
	ag_buf_printf(&tmp, "%s.XXXXXX", path);
	int fd = mkstemp(tmp.data);  /* mkstemp creates the file 0600 */
	int saved_errno = 0;
	if (fd < 0) {
		saved_errno = errno;
	} else {
		bool written = write(fd, text.data, text.len) == (ssize_t)text.len &&
			fchmod(fd, 0600) == 0 && fsync(fd) == 0;
		if (!written)
			saved_errno = errno ? errno : EIO;
		if (close(fd) != 0 && written)
			saved_errno = errno;
		if (saved_errno == 0 && rename(tmp.data, path) != 0)
			saved_errno = errno;
		if (saved_errno != 0)
			unlink(tmp.data);
	}
	sodium_memzero(text.data, text.len);
	ag_buf_free(&text);
	ag_buf_free(&tmp);
	errno = saved_errno;
	return saved_errno == 0 ? 0 : -1;
}

/* The length of url's scheme ("ipc" in "ipc://x"), 0 when it has none. */
static size_t scheme_length(const char *url, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/')
			return i;
	return 0;
}

void ag_session_take_push_url(struct ag_session *s, const msgpack_object *urls,
	const char *req_url)
{
	if (urls == NULL || urls->type != MSGPACK_OBJECT_ARRAY)
		return;
	size_t want = scheme_length(req_url, strlen(req_url));
	const msgpack_object_str *pick = NULL;
	for (uint32_t i = 0; i < urls->via.array.size; i++) {
		const msgpack_object *u = &urls->via.array.ptr[i];
		if (u->type != MSGPACK_OBJECT_STR || u->via.str.size >= sizeof s->push_url ||
		    memchr(u->via.str.ptr, '\n', u->via.str.size) != NULL)
			continue;
		size_t have = scheme_length(u->via.str.ptr, u->via.str.size);
		bool same = want > 0 && have == want && memcmp(u->via.str.ptr, req_url, want) == 0;
		if (pick == NULL || same)
			pick = &u->via.str;
		if (same)
			break;
	}
	if (pick != NULL) {
		memcpy(s->push_url, pick->ptr, pick->size);
		s->push_url[pick->size] = '\0';
	}
}

int ag_session_delete(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int ag_default_urls(char *req, size_t req_size, char *pub, size_t pub_size)
{
	char dir[4096];
	if (ag_path_runtime_dir(dir, sizeof dir) != 0)
		return -1;
	int n = snprintf(req, req_size, "ipc://%s/ansigramd.sock", dir);
	int m = snprintf(pub, pub_size, "ipc://%s/ansigramd-pub.sock", dir);
	return (n < 0 || (size_t)n >= req_size || m < 0 || (size_t)m >= pub_size) ? -1 : 0;
}
