/* fdio.h: whole reads and writes on file descriptors (pipes, files,
 * terminals), retried across signals and short transfers. */
#ifndef AG_FDIO_H
#define AG_FDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes all len bytes; false on an error or a closed peer. */
bool ag_write_full(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; false on an error, the end of input first, or
 * (when deadline_ms >= 0, on ag_mono_ms's clock) the deadline passing. */
bool ag_read_full(int fd, void *buf, size_t len, int64_t deadline_ms);

#endif
