/* photofetch.h: photos fetched for the TUI on a connection of their own
 * (a second worker thread and client), so a large download never holds
 * up the interface's other requests: media.get for photos on screen, and
 * media.upload for the composer's attachment. Results come back through
 * a pipe the main loop polls, and are handed to the photo view. */
#ifndef TUI_PHOTOFETCH_H
#define TUI_PHOTOFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "model.h"

/* Dials url (in the background, as the main connection does). Returns 0,
 * or -1 when the URL can never work. */
int photofetch_start(const char *url, int timeout_ms, const struct ag_tls *tls);
void photofetch_stop(void);
/* The pipe to poll; -1 when not started. */
int photofetch_fd(void);
/* Asks for photo media_id (thumb or full) as the holder of token. */
void photofetch_get(const char *token, int64_t media_id, bool thumb);

/* What an upload gives: the new photo (its Media object), or NULL and
 * why. */
typedef void (*upload_done_fn)(void *ctx, const struct media_ref *media, const char *why);
/* Uploads data (copied) as the holder of token; done is called from
 * photofetch_drain. Only one upload at a time: false when one is under
 * way. */
bool photofetch_upload(const char *token, const void *data, size_t len, upload_done_fn done,
	void *ctx);
/* Forgets the pending upload's callback (its screen is gone). */
void photofetch_cancel_upload(void);

/* Takes the finished requests: fetched photos go to the photo view.
 * Returns true when the screen should be drawn again. */
bool photofetch_drain(void);

#endif
