/* idmap.c: open addressing with linear probing and backward-shift
 * deletion; ids are positive, so 0 marks an empty slot. */
#include <stdlib.h>

#include "idmap.h"

struct slot {
	int64_t id;
	void *value;
};

struct idmap {
	struct slot *slots;
	size_t cap;    /* a power of two */
	size_t count;
};

static size_t slot_of(const struct idmap *m, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & (m->cap - 1);
}

struct idmap *idmap_new(void)
{
	struct idmap *m = calloc(1, sizeof *m);
	if (m == NULL)
		abort();
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (m->slots == NULL)
		abort();
	return m;
}

void idmap_free(struct idmap *m, void (*free_value)(void *))
{
	if (m == NULL)
		return;
	for (size_t i = 0; free_value && i < m->cap; i++)
		if (m->slots[i].id)
			free_value(m->slots[i].value);
	free(m->slots);
	free(m);
}

void *idmap_get(const struct idmap *m, int64_t id)
{
	for (size_t i = slot_of(m, id);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id)
			return m->slots[i].value;
		if (m->slots[i].id == 0)
			return NULL;
	}
}

static void grow(struct idmap *m)
{
	struct slot *old = m->slots;
	size_t old_cap = m->cap;
	m->cap *= 2;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (m->slots == NULL)
		abort();
	m->count = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id)
			idmap_put(m, old[i].id, old[i].value);
	free(old);
}

void idmap_put(struct idmap *m, int64_t id, void *value)
{
	if ((m->count + 1) * 4 > m->cap * 3)
		grow(m);
	size_t i = slot_of(m, id);
	while (m->slots[i].id != 0 && m->slots[i].id != id)
		i = (i + 1) & (m->cap - 1);
	if (m->slots[i].id == 0)
		m->count++;
	m->slots[i].id = id;
	m->slots[i].value = value;
}

void *idmap_del(struct idmap *m, int64_t id)
{
	size_t i = slot_of(m, id);
	while (m->slots[i].id != id) {
		if (m->slots[i].id == 0)
			return NULL;
		i = (i + 1) & (m->cap - 1);
	}
	void *value = m->slots[i].value;
	m->count--;
	/* Shift later members of the probe run back into the hole. */
	size_t hole = i;
	for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].id != 0; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m, m->slots[j].id);
		if (((j - home) & (m->cap - 1)) >= ((j - hole) & (m->cap - 1))) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].id = 0;
	m->slots[hole].value = NULL;
	return value;
}

size_t idmap_count(const struct idmap *m)
{
	return m->count;
}

int64_t idmap_next(const struct idmap *m, size_t *pos, void **value)
{
	while (*pos < m->cap) {
		struct slot *s = &m->slots[(*pos)++];
		if (s->id) {
			if (value)
				*value = s->value;
			return s->id;
		}
	}
	return 0;
}
