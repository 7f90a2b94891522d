/* photocache.c: the LRU photo cache: a doubly linked list in use order
 * (most recent first) and a linear key search, which is plenty for the
 * few hundred photos a session holds. */
#include <stdlib.h>
#include <string.h>

#include "photocache.h"

struct entry {
	struct entry *prev, *next;
	char *key;
	void *value;
	size_t bytes;
	photocache_free_fn free_value;
};

struct photocache {
	struct entry *head, *tail;   /* most and least recently used */
	size_t bytes, max_bytes, count;
};

struct photocache *photocache_new(size_t max_bytes)
{
	struct photocache *c = calloc(1, sizeof *c);
	if (c)
		c->max_bytes = max_bytes;
	return c;
}

static void unlink_entry(struct photocache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct photocache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void drop(struct photocache *c, struct entry *e)
{
	unlink_entry(c, e);
	c->bytes -= e->bytes;
	c->count--;
	if (e->free_value)
		e->free_value(e->value);
	free(e->key);
	free(e);
}

static struct entry *find(struct photocache *c, const char *key)
{
	for (struct entry *e = c->head; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void photocache_free(struct photocache *c)
{
	if (c == NULL)
		return;
	while (c->head)
		drop(c, c->head);
	free(c);
}

int photocache_put(struct photocache *c, const char *key, void *value, size_t bytes,
	photocache_free_fn free_value)
{
	struct entry *old = find(c, key);
	if (old)
		drop(c, old);
	if (bytes > c->max_bytes) {
		if (free_value)
			free_value(value);
		return 0;
	}
	struct entry *e = calloc(1, sizeof *e);
	char *k = strdup(key);
	if (e == NULL || k == NULL) {
		free(e);
		free(k);
		if (free_value)
			free_value(value);
		return -1;
	}
	e->key = k;
	e->value = value;
	e->bytes = bytes;
	e->free_value = free_value;
	push_front(c, e);
	c->bytes += bytes;
	c->count++;
	while (c->bytes > c->max_bytes && c->tail != e)
		drop(c, c->tail);
	return 0;
}

void *photocache_get(struct photocache *c, const char *key)
{
	struct entry *e = find(c, key);
	if (e == NULL)
		return NULL;
	unlink_entry(c, e);
	push_front(c, e);
	return e->value;
}

size_t photocache_bytes(const struct photocache *c)
{
	return c->bytes;
}

size_t photocache_count(const struct photocache *c)
{
	return c->count;
}
