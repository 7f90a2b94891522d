/* buf.c: growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag_buf_free(struct ag_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void ag_buf_reset(struct ag_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void reserve(struct ag_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		abort();
	b->data = p;
	b->cap = cap;
}

void ag_buf_append(struct ag_buf *b, const void *p, size_t n)
{
	reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void ag_buf_puts(struct ag_buf *b, const char *s)
{
	ag_buf_append(b, s, strlen(s));
}

void ag_buf_vprintf(struct ag_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		ag_buf_append(b, small, (size_t)n);
		return;
	}
	reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ag_buf_printf(struct ag_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ag_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *ag_buf_str(const struct ag_buf *b)
{
	return b->data ? b->data : "";
}

void ag_strlcpy(char *dst, const char *src, size_t dst_size)
{
	size_t n = strlen(src);
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}
