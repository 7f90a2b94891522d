/* dial.h: dialing a server URL, or a comma-separated list of them (one
 * per server instance), for any of the client's sockets (requests, push,
 * the TUI's connection monitor), with the TLS checks a tls+tcp:// server
 * must pass. */
#ifndef AG_DIAL_H
#define AG_DIAL_H

#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

/* How a client checks a tls+tcp:// server. */
struct ag_tls {
	const char *ca_file;      /* PEM CA the certificate must chain to (NULL: none) */
	const char *server_name;  /* name the certificate must carry (NULL: the URL's host) */
};

/* Creates a dialer for url on sock, not started. For a tls+tcp:// url
 * with a CA, the server's certificate must chain to it and carry the
 * server name; tls NULL or without a CA leaves nng's defaults. */
int ag_dialer_create(nng_dialer *d, nng_socket sock, const char *url, const struct ag_tls *tls);
/* ag_dialer_create, then starts the dialer with flags (nng_dial's). */
int ag_dial(nng_socket sock, const char *url, const struct ag_tls *tls, int flags);

/* Copies the first URL of the comma-separated list into out (spaces
 * around it dropped) and returns the rest after its comma, or NULL when the
 * list had no URL left. An item that does not fit in out comes back empty. */
const char *ag_url_list_next(const char *list, char *out, size_t size);
#define AG_URL_LIST_MAX 64

/* Dials every URL of list (at most AG_URL_LIST_MAX) on sock; nng then
 * spreads a REQ socket's requests over the servers that answer and moves
 * on when one goes away. With NNG_FLAG_NONBLOCK in flags, each is dialed
 * in the background and retried at most 2 s apart. Without it, they are
 * tried in turn until one answers; then the rest, and those that did not
 * answer, are dialed in the background, so a server that comes up later
 * joins. Returns 0, else an nng error: a URL that can never be dialed, or
 * the first one's when none answered (then nothing was left dialing). */
int ag_dial_list(nng_socket sock, const char *list, const struct ag_tls *tls, int flags);

/* Copies url's host ("tls+tcp://[::1]:7440" gives "::1") into out.
 * False when url has no host or it does not fit. */
bool ag_url_host(const char *url, char *out, size_t size);

#endif
