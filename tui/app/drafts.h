/* drafts.h: what is typed in a composer (a post or story, a comment, a
 * message) and not sent yet, kept per account so it outlives the screen,
 * the process and a logout. On disk it is one file per account,
 * <dir>/drafts-<user id> (0600, in a 0700 directory), written through a
 * temporary file and rename, at most DRAFTS_SAVE_MS after a change while
 * typing and at once by drafts_flush. Without a directory (--ssh: one local account
 * shared by everyone) drafts live in memory only. */
#ifndef TUI_DRAFTS_H
#define TUI_DRAFTS_H

#include <stdbool.h>
#include <stdint.h>

#define DRAFTS_SAVE_MS 500

struct drafts;

/* dir NULL: memory only. */
struct drafts *drafts_new(const char *dir);
/* Saves what is pending, then frees. */
void drafts_free(struct drafts *d);
/* Switches to user_id's drafts (0: nobody's), reading their file. */
void drafts_use(struct drafts *d, int64_t user_id);
/* The current account's draft for key ("compose", "dm-7", "comment-3"),
 * or NULL. */
const char *drafts_get(const struct drafts *d, const char *key);
/* Replaces the draft for key; empty or blank text deletes it. The file is
 * written DRAFTS_SAVE_MS later (or by drafts_flush). */
void drafts_set(struct drafts *d, const char *key, const char *text, int64_t now_mono);
/* Writes the file when a save is due; returns ms until the next one is
 * (-1: none pending). */
int drafts_tick(struct drafts *d, int64_t now_mono);
/* Writes the file now if anything changed. */
void drafts_flush(struct drafts *d);
/* Whether drafts go to a file (and so outlive the process). */
bool drafts_on_disk(const struct drafts *d);

#endif
