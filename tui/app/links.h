/* links.h: what `o` does with a post's external image URL: the TUI never
 * fetches it; it opens it with xdg-open where there is a graphical
 * session (DISPLAY or WAYLAND_DISPLAY), else copies it to the clipboard
 * with OSC 52 (which terminals pass on even over SSH). */
#ifndef TUI_LINKS_H
#define TUI_LINKS_H

#include <stdbool.h>
#include <stddef.h>

/* True when only an http:// or https:// URL without control characters
 * or spaces: the only links opened or copied. */
bool link_ok(const char *url);
/* The OSC 52 sequence that puts url on the clipboard, into out; its
 * length, or 0 when it does not fit. */
size_t link_osc52(const char *url, char *out, size_t size);
/* Opens url (xdg-open, not waited for) or copies it (OSC 52 through
 * write). Fills done with what happened for a toast ("Opened ...",
 * "Copied ..."); false with why in done when url is not a link. */
bool link_open(const char *url, void (*write)(const char *s, size_t len), char *done,
	size_t done_size);

#endif
