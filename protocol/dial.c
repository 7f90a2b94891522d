/* dial.c: dialing with TLS server checks (see dial.h). */
#include "dial.h"

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
