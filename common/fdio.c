/* fdio.c: whole reads and writes on file descriptors (see fdio.h). */
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "clock.h"

bool ag_write_full(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

bool ag_read_full(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	for (size_t done = 0; done < len;) {
		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - ag_mono_ms();
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
			if (ready < 0 && errno == EINTR)
				continue;
			if (ready <= 0)
				return false;
		}
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}
