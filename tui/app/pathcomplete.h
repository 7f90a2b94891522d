/* pathcomplete.h: Tab completion of file names for the composer's photo
 * prompt: what is typed so far ("~/Pic") is completed as far as all the
 * matching names agree, a directory gets its '/'. */
#ifndef TUI_PATHCOMPLETE_H
#define TUI_PATHCOMPLETE_H

#include <stddef.h>

/* Completes typed into out (size bytes). Returns how many names matched
 * (0: out is typed unchanged). A leading "~/" means $HOME; names starting
 * with '.' match only when typed starts them with '.'. When one name
 * matches, out is it whole (with '/' for a directory); when several, out
 * is their longest common start. */
int path_complete(const char *typed, char *out, size_t size);

/* The path with a leading "~/" expanded from $HOME into out. */
void path_expand(const char *typed, char *out, size_t size);

#endif
