/* idmap.h: a small hash map from positive int64 ids to pointers, for the
 * model's caches (posts, profiles, seen stories). */
#ifndef TUI_IDMAP_H
#define TUI_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap;

struct idmap *idmap_new(void);
/* Frees the map; free_value (may be NULL) is called on every value. */
void idmap_free(struct idmap *m, void (*free_value)(void *));
void *idmap_get(const struct idmap *m, int64_t id);
/* Sets id's value (replacing without freeing an old one). */
void idmap_put(struct idmap *m, int64_t id, void *value);
/* Removes id and returns its value (NULL when absent). */
void *idmap_del(struct idmap *m, int64_t id);
size_t idmap_count(const struct idmap *m);
/* Walks the entries: start with *pos = 0; returns 0 at the end. */
int64_t idmap_next(const struct idmap *m, size_t *pos, void **value);

#endif
