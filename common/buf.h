/* buf.h: a growable byte buffer, always NUL-terminated, for building
 * strings and frames without fixed-size arrays. */
#ifndef AG_BUF_H
#define AG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ag_buf {
	char *data;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void ag_buf_free(struct ag_buf *b);
void ag_buf_reset(struct ag_buf *b);
/* Appends; aborts the process if memory runs out (as every caller would). */
void ag_buf_append(struct ag_buf *b, const void *p, size_t n);
void ag_buf_puts(struct ag_buf *b, const char *s);
void ag_buf_printf(struct ag_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ag_buf_vprintf(struct ag_buf *b, const char *fmt, va_list ap);
/* Returns the contents as a C string ("" when empty); stays owned by b. */
const char *ag_buf_str(const struct ag_buf *b);

/* Bounded copy that always terminates dst (dst_size > 0). */
void ag_strlcpy(char *dst, const char *src, size_t dst_size);

#endif
