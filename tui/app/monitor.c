/* monitor.c: a REQ socket that never sends; only its pipe events matter.
 * nng calls pipe_event on its own threads, which just write one byte. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "monitor.h"

struct monitor {
	nng_socket sock;
	int pipe_rd, pipe_wr;
};

static void pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	struct monitor *mon = arg;
	char c = ev == NNG_PIPE_EV_ADD_POST ? 'a' : 'r';
	ssize_t n;
	do
		n = write(mon->pipe_wr, &c, 1);
	while (n < 0 && errno == EINTR);
}

int monitor_open(struct monitor **out, const char *url, const struct ag_tls *tls)
{
	*out = NULL;
	struct monitor *mon = calloc(1, sizeof *mon);
	if (mon == NULL)
		return NNG_ENOMEM;
	int fds[2];
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(mon);
		return NNG_ENOMEM;
	}
	mon->pipe_rd = fds[0];
	mon->pipe_wr = fds[1];
	int rv = nng_req0_open(&mon->sock);
	if (rv == 0)
		rv = nng_pipe_notify(mon->sock, NNG_PIPE_EV_ADD_POST, pipe_event, mon);
	if (rv == 0)
		rv = nng_pipe_notify(mon->sock, NNG_PIPE_EV_REM_POST, pipe_event, mon);
	if (rv == 0)
		rv = ag_dial_list(mon->sock, url, tls, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		nng_close(mon->sock);
		close(fds[0]);
		close(fds[1]);
		free(mon);
		return rv;
	}
	*out = mon;
	return 0;
}

int monitor_fd(const struct monitor *mon)
{
	return mon->pipe_rd;
}

int monitor_read(struct monitor *mon)
{
	int state = -1;
	char buf[64];
	ssize_t n;
	while ((n = read(mon->pipe_rd, buf, sizeof buf)) > 0)
		state = buf[n - 1] == 'a' ? 1 : 0;
	return state;
}

void monitor_close(struct monitor *mon)
{
	if (mon == NULL)
		return;
	nng_close(mon->sock);   /* waits for callbacks in progress */
	close(mon->pipe_rd);
	close(mon->pipe_wr);
	free(mon);
}
