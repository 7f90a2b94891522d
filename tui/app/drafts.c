/* drafts.c: unsent composer text per account (see drafts.h). The file
 * holds one draft a line, "key<TAB>text", with backslash, newline, tab
 * and carriage return in the text written as \\, \n, \t and \r. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "drafts.h"
#include "paths.h"

struct draft {
	int64_t user_id;
	char *key, *text;
};

struct drafts {
	char dir[1024];          /* "" for memory only */
	int64_t user_id;
	struct draft *items;
	size_t n, cap;
	bool dirty;              /* the current account's file is behind */
	int64_t save_at;         /* monotonic ms the pending save is due */
};

struct drafts *drafts_new(const char *dir)
{
	struct drafts *d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	if (dir)
		snprintf(d->dir, sizeof d->dir, "%s", dir);
	return d;
}

static void remove_at(struct drafts *d, size_t i)
{
	free(d->items[i].key);
	free(d->items[i].text);
	d->items[i] = d->items[--d->n];
}

void drafts_free(struct drafts *d)
{
	if (d == NULL)
		return;
	drafts_flush(d);
	while (d->n)
		remove_at(d, d->n - 1);
	free(d->items);
	free(d);
}

static struct draft *find(const struct drafts *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].user_id == d->user_id && strcmp(d->items[i].key, key) == 0)
			return &d->items[i];
	return NULL;
}

static void add(struct drafts *d, const char *key, const char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = realloc(d->items, d->cap * sizeof *d->items);
		if (d->items == NULL)
			abort();
	}
	struct draft *e = &d->items[d->n++];
	e->user_id = d->user_id;
	e->key = strdup(key);
	e->text = strdup(text);
	if (e->key == NULL || e->text == NULL)
		abort();
}

static void file_path(const struct drafts *d, char *out, size_t size)
{
	snprintf(out, size, "%s/drafts-%lld", d->dir, (long long)d->user_id);
}

/* Undoes the file's escapes in place. */
static void unescape(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*out++ = *s;
			continue;
		}
		s++;
		*out++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s;
	}
	*out = '\0';
}

static void load(struct drafts *d)
{
	char path[1200];
	file_path(d, path, sizeof path);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		char *tab = strchr(line, '\t');
		if (tab == NULL || tab == line)
			continue;
		*tab = '\0';
		unescape(tab + 1);
		if (find(d, line) == NULL && tab[1])
			add(d, line, tab + 1);
	}
	free(line);
	fclose(f);
}

void drafts_use(struct drafts *d, int64_t user_id)
{
	if (d->user_id == user_id)
		return;
	drafts_flush(d);
	if (d->dir[0]) {
		/* Another account's drafts stay in its own file only. */
		for (size_t i = d->n; i-- > 0;)
			remove_at(d, i);
	}
	d->user_id = user_id;
	if (d->dir[0] && user_id > 0)
		load(d);
}

const char *drafts_get(const struct drafts *d, const char *key)
{
	if (d->user_id <= 0)
		return NULL;
	const struct draft *e = find(d, key);
	return e ? e->text : NULL;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			return false;
	return true;
}

void drafts_set(struct drafts *d, const char *key, const char *text, int64_t now)
{
	if (d->user_id <= 0)
		return;
	struct draft *e = find(d, key);
	bool empty = text == NULL || blank(text);
	if (e && !empty && strcmp(e->text, text) == 0)
		return;
	if (e == NULL && empty)
		return;
	if (e && empty) {
		remove_at(d, (size_t)(e - d->items));
	} else if (e) {
		char *copy = strdup(text);
		if (copy == NULL)
			abort();
		free(e->text);
		e->text = copy;
	} else {
		add(d, key, text);
	}
	if (!d->dirty)
		d->save_at = now + DRAFTS_SAVE_MS;
	d->dirty = true;
}

static void put_escaped(struct ag_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': ag_buf_append(b, "\\\\", 2); break;
		case '\n': ag_buf_append(b, "\\n", 2); break;
		case '\t': ag_buf_append(b, "\\t", 2); break;
		case '\r': ag_buf_append(b, "\\r", 2); break;
		default: ag_buf_append(b, s, 1); break;
		}
	}
}

/* Writes the current account's drafts through a temporary file; no
 * drafts: no file. */
static void save(struct drafts *d)
{
	char path[1200], tmp[1300];
	file_path(d, path, sizeof path);
	struct ag_buf b = {0};
	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].user_id != d->user_id)
			continue;
		ag_buf_append(&b, d->items[i].key, strlen(d->items[i].key));
		ag_buf_append(&b, "\t", 1);
		put_escaped(&b, d->items[i].text);
		ag_buf_append(&b, "\n", 1);
	}
	if (b.len == 0) {
		unlink(path);
		ag_buf_free(&b);
		return;
	}
	if (ag_mkdirs(d->dir) != 0) {
		ag_buf_free(&b);
		return;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < b.len;) {
		ssize_t n = write(fd, b.data + off, b.len - off);
		ok = n > 0;
		off += ok ? (size_t)n : 0;
	}
	if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0))
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok)
		unlink(tmp);
	ag_buf_free(&b);
}

void drafts_flush(struct drafts *d)
{
	if (!d->dirty)
		return;
	d->dirty = false;
	if (d->dir[0] && d->user_id > 0)
		save(d);
}

int drafts_tick(struct drafts *d, int64_t now)
{
	if (!d->dirty)
		return -1;
	if (now < d->save_at)
		return (int)(d->save_at - now);
	drafts_flush(d);
	return -1;
}

bool drafts_on_disk(const struct drafts *d)
{
	return d->dir[0] != '\0';
}
