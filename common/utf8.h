/* utf8.h: strict UTF-8 decoding and validation, code point counting and
 * terminal display width. */
#ifndef AG_UTF8_H
#define AG_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s[0..len). Returns the bytes it used, or -1
 * for an invalid, overlong, surrogate or truncated sequence. */
int ag_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encodes cp into out (4 bytes room); returns the byte count, 0 if invalid. */
int ag_utf8_encode(uint32_t cp, char *out);
bool ag_utf8_valid(const char *s, size_t len);
/* Number of code points; the input must be valid UTF-8. */
size_t ag_utf8_count(const char *s, size_t len);
/* Columns a code point takes on a terminal (0, 1 or 2; -1 for controls). */
int ag_cp_width(uint32_t cp);

#endif
