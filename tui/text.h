/* text.h: showing text that came from other people, safely and fitted to
 * a terminal. Data is never written raw: control characters (C0, DEL, C1)
 * and invalid UTF-8 become visible placeholders and text-direction controls
 * vanish, so a post cannot move the cursor, change colours or reorder
 * anyone's screen. Shared by the CLI and TUI. */
#ifndef AG_TEXT_H
#define AG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends s (len bytes) to out, made inert: each control character and
 * each invalid byte becomes U+FFFD, text-direction controls (Bidi_Control)
 * are dropped, U+2028/U+2029 become a space, except that with
 * keep_newlines they and \n are a \n and a \t becomes a space. */
void ag_text_sanitize(struct ag_buf *out, const char *s, size_t len, int keep_newlines);
/* The byte length of the character cluster at s (at most len bytes): a
 * character with its combining marks and variation selectors, an emoji
 * with its skin tone and the emoji joined to it by ZWJ, or a pair of
 * regional indicators (a flag). Its terminal columns go to *cols when
 * cols is not NULL: an emoji sequence (ZWJ, skin tone, VS16, keycap) and a
 * flag take 2, combining marks 0, anything else its characters' widths. */
size_t ag_text_cluster(const char *s, size_t len, int *cols);
/* Terminal columns of s[0..len), cluster by cluster. */
int ag_text_cols(const char *s, size_t len);
/* Terminal columns of a sanitized UTF-8 string (wide characters count 2). */
int ag_text_width(const char *s);
/* The longest prefix of s (sanitized UTF-8) that fits in cols columns, in
 * bytes, never splitting a character cluster. */
size_t ag_text_fit(const char *s, int cols);
/* A short relative time: "now", "5m ago", "3h ago", "2d ago", or a date
 * ("2026-01-31") when older than a week. */
void ag_time_ago(int64_t then_ms, int64_t now_ms, char *out, size_t size);

#endif
