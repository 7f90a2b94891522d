/* dial.c: dialing with TLS server checks (see dial.h). */
#include "dial.h"

#include <ctype.h>
#include <string.h>

#include <nng/supplemental/tls/tls.h>

bool ag_url_host(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return false;
	p += 3;
	const char *end;
	if (*p == '[') {
		end = strchr(++p, ']');
		if (end == NULL)
			return false;
	} else {
		end = p + strcspn(p, ":/");
	}
	size_t len = (size_t)(end - p);
	if (len == 0 || len >= size)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

/* A client TLS config requiring a certificate from ca_file for name. */
static int tls_config(nng_tls_config **out, const char *ca_file, const char *name)
{
	nng_tls_config *tls;
	int rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT);
	if (rv != 0)
		return rv;
	if ((rv = nng_tls_config_ca_file(tls, ca_file)) != 0 ||
	    (rv = nng_tls_config_server_name(tls, name)) != 0 ||
	    (rv = nng_tls_config_auth_mode(tls, NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		nng_tls_config_free(tls);
		return rv;
	}
	*out = tls;
	return 0;
}

int ag_dialer_create(nng_dialer *d, nng_socket sock, const char *url, const struct ag_tls *tls)
{
	int rv = nng_dialer_create(d, sock, url);
	if (rv != 0 || tls == NULL || tls->ca_file == NULL || strncmp(url, "tls+", 4) != 0)
		return rv;
	char host[256];
	const char *name = tls->server_name;
	if (name == NULL && ag_url_host(url, host, sizeof host))
		name = host;
	nng_tls_config *config;
	if (name == NULL)
		rv = NNG_EADDRINVAL;
	else if ((rv = tls_config(&config, tls->ca_file, name)) == 0) {
		rv = nng_dialer_set_ptr(*d, NNG_OPT_TLS_CONFIG, config);
		nng_tls_config_free(config);  /* the dialer holds its own reference */
	}
	if (rv != 0)
		nng_dialer_close(*d);
	return rv;
}

int ag_dial(nng_socket sock, const char *url, const struct ag_tls *tls, int flags)
{
	nng_dialer d;
	int rv = ag_dialer_create(&d, sock, url, tls);
	if (rv == 0 && (rv = nng_dialer_start(d, flags)) != 0)
		nng_dialer_close(d);
	return rv;
}

const char *ag_url_list_next(const char *list, char *out, size_t size)
{
	out[0] = '\0';
	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, ",");
		const char *start = list, *end = list + len;
		list = *end == ',' ? end + 1 : end;
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (end == start)
			continue;  /* "a,,b" or a trailing comma: no URL there */
		if ((size_t)(end - start) < size) {
			memcpy(out, start, (size_t)(end - start));
			out[end - start] = '\0';
		}
		return list;
	}
	return NULL;
}

/* Dials url in the background, retrying at most 2 s apart. */
static int dial_background(nng_socket sock, const char *url, const struct ag_tls *tls)
{
	nng_dialer d;
	int rv = ag_dialer_create(&d, sock, url, tls);
	if (rv == 0)
		rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMAXT, 2000);
	if (rv == 0 && (rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0)
		nng_dialer_close(d);
	return rv;
}

/* Whether rv says a URL can never be dialed, not that no one answered. */
static bool bad_url(int rv)
{
	return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL || rv == NNG_ENOMEM;
}

/* Checks list: at most AG_URL_LIST_MAX URLs, each short enough. Returns
 * how many, or a negative nng error. */
static int count_urls(const char *list)
{
	char url[1024];
	int n = 0;
	for (const char *rest = ag_url_list_next(list, url, sizeof url); rest != NULL;
	     rest = ag_url_list_next(rest, url, sizeof url), n++) {
		if (n == AG_URL_LIST_MAX)
			return -NNG_EINVAL;
		if (url[0] == '\0')
			return -NNG_EADDRINVAL;  /* too long to be a URL */
	}
	return n > 0 ? n : -NNG_EADDRINVAL;
}

int ag_dial_list(nng_socket sock, const char *list, const struct ag_tls *tls, int flags)
{
	int n = count_urls(list);
	if (n < 0)
		return -n;
	char url[1024];
	/* Without NNG_FLAG_NONBLOCK, one must answer first. Nothing is dialed
	 * in the background before then: the caller closes sock when none
	 * answers, and a background dial it cut off in the middle of its
	 * handshake would break the server's listener (nng 1.5.2). */
	int answered = -1, first_error = 0, i = 0;
	for (const char *rest = ag_url_list_next(list, url, sizeof url);
	     rest != NULL && answered < 0 && !(flags & NNG_FLAG_NONBLOCK);
	     rest = ag_url_list_next(rest, url, sizeof url), i++) {
		int rv = ag_dial(sock, url, tls, flags);
		if (rv == 0)
			answered = i;
		else if (bad_url(rv))
			return rv;
		else if (first_error == 0)
			first_error = rv;
	}
	if (answered < 0 && !(flags & NNG_FLAG_NONBLOCK))
		return first_error;
	/* The others, and those that did not answer, join when they come up. */
	i = 0;
	for (const char *rest = ag_url_list_next(list, url, sizeof url); rest != NULL;
	     rest = ag_url_list_next(rest, url, sizeof url), i++) {
		int rv = i == answered ? 0 : dial_background(sock, url, tls);
		if (rv != 0)
			return rv;
	}
	return 0;
}
