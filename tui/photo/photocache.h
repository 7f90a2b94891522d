/* photocache.h: a least-recently-used cache of decoded and rendered
 * photos, bounded by the bytes its entries take. Keys are strings (e.g.
 * "17/thumb/blocks/40x10"); values are owned by the cache once put and
 * freed with the function given when evicted, replaced or when the cache
 * is freed. Not locked: used from one thread. */
#ifndef TUI_PHOTOCACHE_H
#define TUI_PHOTOCACHE_H

#include <stddef.h>

#define PHOTOCACHE_DEFAULT_BYTES (32u * 1024 * 1024)

struct photocache;

typedef void (*photocache_free_fn)(void *value);

/* A cache holding at most max_bytes; NULL when out of memory. */
struct photocache *photocache_new(size_t max_bytes);
void photocache_free(struct photocache *c);

/* Stores value (taking bytes) under key, replacing what was there, and
 * evicts the least recently used entries until the total fits. A value
 * larger than the whole cache is freed at once and not kept. Returns 0,
 * or -1 (value freed) when out of memory. */
int photocache_put(struct photocache *c, const char *key, void *value, size_t bytes,
	photocache_free_fn free_value);
/* The value under key, now the most recently used, or NULL. Valid until
 * the next put or free. */
void *photocache_get(struct photocache *c, const char *key);

size_t photocache_bytes(const struct photocache *c);
size_t photocache_count(const struct photocache *c);

#endif
