/* cli_media.c: photos on the command line: reading a photo file to upload
 * (checked before anything is sent), `post --photo` and `story --photo`
 * (media.upload, then the create op with media_id), `media get` (the
 * bytes to a file or a pipe, never to a terminal), and drawing a post's
 * photo under it in `show` when stdout is a terminal. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "photo.h"
#include "termprobe.h"

const char *cli_photo_kind(const unsigned char *b, size_t n)
{
	if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return "JPEG";
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "PNG";
	if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return "GIF";
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return "WebP";
	return NULL;
}

int cli_photo_read(struct cli *c, const char *path, unsigned char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_usage(c, "cannot read photo %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return cli_usage(c, "photo %s is a directory", path);
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CLI_PHOTO_MAX_BYTES) {
		close(fd);
		return cli_usage(c, "photo %s is %lld bytes: at most %d (8 MiB)", path,
			(long long)st.st_size, CLI_PHOTO_MAX_BYTES);
	}
	/* Read up to one byte past the limit, so a pipe or a file that grew is
	 * refused too. */
	size_t cap = 64 * 1024, used = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL) {
			close(fd);
			return cli_fail(c, CLI_ERR_USAGE, "out of memory reading %s", path);
		}
		if (used == cap) {
			/* used <= the limit here, so the buffer can still grow. */
			cap = cap * 2 > (size_t)CLI_PHOTO_MAX_BYTES + 1 ? (size_t)CLI_PHOTO_MAX_BYTES + 1
				: cap * 2;
			unsigned char *bigger = realloc(buf, cap);
			if (bigger == NULL) {
				free(buf);
				close(fd);
				return cli_fail(c, CLI_ERR_USAGE, "out of memory reading %s", path);
			}
			buf = bigger;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return cli_usage(c, "cannot read photo %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > (size_t)CLI_PHOTO_MAX_BYTES) {
			free(buf);
			close(fd);
			return cli_usage(c, "photo %s is over %d bytes (8 MiB)", path, CLI_PHOTO_MAX_BYTES);
		}
	}
	close(fd);
	if (used == 0) {
		free(buf);
		return cli_usage(c, "photo %s is empty", path);
	}
	if (cli_photo_kind(buf, used) == NULL) {
		free(buf);
		return cli_usage(c, "%s is not a photo: JPEG, PNG, WebP or GIF only", path);
	}
	*data = buf;
	*len = used;
	return CLI_OK;
}

/* The rows of the terminal on fd, or fallback. */
static int term_rows(int fd, int fallback)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return fallback;
}

int cli_draw_photo(struct cli *c, const void *jpeg, size_t len)
{
	if (!c->stdout_tty)
		return CLI_OK;
	struct term_env env;
	term_env_from_process(&env);
	if (!c->opts.color)
		env.no_color = "1";
	enum images_setting setting = IMAGES_AUTO;
	const char *want = getenv("ANSIGRAM_IMAGES");
	if (want && want[0] && !images_setting_parse(want, &setting))
		cli_warn("ANSIGRAM_IMAGES wants auto, kitty, sixel, iterm, blocks or off; "
			"using auto");
	struct term_reply reply = {0};
	bool have_reply = false;
	if (setting == IMAGES_AUTO && !termprobe_env_decides(&env)) {
		int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (tty >= 0) {
			fflush(stdout);
			have_reply = termprobe_query(tty, 150, &reply) == 0;
			close(tty);
		}
	}
	if (!have_reply)
		termprobe_cell_size(STDOUT_FILENO, &reply.cell_w, &reply.cell_h);
	enum photo_mode mode = termprobe_choose(setting, &env, have_reply ? &reply : NULL,
		c->opts.color);
	if (mode == PHOTO_OFF)
		return CLI_OK;
	struct photo p;
	char why[200];
	if (photo_decode(jpeg, len, &p, why, sizeof why) != 0) {
		cli_warn("cannot draw the photo: %s", why);
		return CLI_OK;
	}
	int rows = term_rows(STDOUT_FILENO, 24) - 4;
	if (rows > 30)
		rows = 30;
	if (rows < 4)
		rows = 4;
	struct photo_render r;
	if (photo_render(&p, mode, c->cols - 2, rows, reply.cell_w, reply.cell_h, &r) == 0) {
		/* Graphics modes draw from the cursor; room is made first so
		 * the terminal does not scroll the picture half away. */
		if (photo_mode_is_graphics(mode)) {
			for (int i = 0; i < r.rows; i++)
				putchar('\n');
			printf("\033[%dA", r.rows);
		}
		fwrite(r.data, 1, r.len, stdout);
		if (photo_mode_is_graphics(mode))
			printf("\033[%dB\r", r.rows);
		putchar('\n');
		photo_render_free(&r);
	}
	photo_free(&p);
	return CLI_OK;
}
