/* session.h: the client's saved login (the session file) and where the
 * client finds the server. Shared by the CLI and the TUI.
 *
 * The session file ($ANSIGRAM_SESSION, else
 * $XDG_CONFIG_HOME/ansigram/session) is created 0600 and holds one
 * "key=value" per line: server, token, user_id, username, expires_at,
 * push_topic and push_key (hex), and push_url (the PUB URL that carries
 * this session's events). */
#ifndef AG_SESSION_H
#define AG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "push.h"

struct ag_session {
	char server[1024];      /* the request URL it was made on ("" unknown) */
	char token[128];
	int64_t user_id;
	char username[64];
	int64_t expires_at;     /* ms since the epoch */
	bool has_push;
	uint8_t push_topic[AG_PUSH_TOPIC_BYTES];
	uint8_t push_key[AG_PUSH_KEY_BYTES];
	char push_url[1024];    /* from the login's push.urls; "" unknown */
};

/* What the command line and environment chose, for the CLI and the TUI. */
struct ag_client_opts {
	const char *server_url;    /* request URL */
	const char *pub_url;       /* push URL; NULL: the first of server.info's */
	const char *session_path;  /* the session file */
	const char *ca_file;       /* CA for tls+tcp:// (NULL: none) */
	const char *tls_server_name; /* name the server's certificate must carry
	                              * (NULL: the URL's host) */
	int timeout_ms;
	int json;                  /* --json */
	int color;                 /* 0 when NO_COLOR is set or output is no tty */
	/* --ssh mode: logged in by the key sshd authenticated; no file is read
	 * or written (no session file, config or state files). */
	bool ssh;
	const struct ag_session *ssh_session;  /* the key's login; NULL: key not linked */
	const char *ssh_key;                   /* unlinked key to offer linking, or NULL */
	const char *ssh_fingerprint;           /* the key's fingerprint */
};

/* Keeps in s->push_url the URL of push.urls (an array of strings, or
 * NULL: of a login or auth.push) whose scheme is req_url's, else the first
 * one; leaves s->push_url as it was when there is none. */
void ag_session_take_push_url(struct ag_session *s, const msgpack_object *urls,
	const char *req_url);

/* The session file's path: $ANSIGRAM_SESSION, else the XDG default.
 * Returns 0, or -1 when it does not fit. */
int ag_session_path(char *out, size_t size);
/* Reads a session file. Returns 0, or -1 when it is missing or unreadable
 * (then *s is zeroed). */
int ag_session_load(const char *path, struct ag_session *s);
/* Writes the file atomically (temp file + rename), mode 0600, creating
 * its directory (0700). Returns 0 or -1 with errno set. */
int ag_session_save(const char *path, const struct ag_session *s);
/* Removes the file; 0 when it is gone (or was never there). */
int ag_session_delete(const char *path);

/* The URLs a client uses when nothing else is given: the server's
 * defaults, ipc sockets under $XDG_RUNTIME_DIR/ansigram (or
 * /tmp/ansigram-UID). Returns 0 or -1 when they do not fit. */
int ag_default_urls(char *req, size_t req_size, char *pub, size_t pub_size);

#endif
