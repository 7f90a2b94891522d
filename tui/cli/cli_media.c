/* cli_media.c: photos on the command line: reading a photo file to upload
 * (checked before anything is sent), `post --photo` and `story --photo`
 * (media.upload, then the create op with media_id), `media get` (the
 * bytes to a file or a pipe, never to a terminal), and drawing a post's
 * photo under it in `show` when stdout is a terminal. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "photo.h"
#include "termprobe.h"

/* A byte count for messages: "8 MiB" when it is whole MiB, else "N bytes". */
static const char *size_text(char *out, size_t size, size_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		snprintf(out, size, "%zu MiB", bytes / (1024 * 1024));
	else
		snprintf(out, size, "%zu bytes", bytes);
	return out;
}

int cli_read_file(struct cli *c, const char *path, size_t max, const char *what,
	unsigned char **data, size_t *len)
{
	char limit[32];
	size_text(limit, sizeof limit, max);
	*data = NULL;
	*len = 0;
	bool stdin_file = strcmp(path, "-") == 0;
	int fd = stdin_file ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_usage(c, "cannot read %s %s: %s", what, path, strerror(errno));
	struct stat st;
	bool have_stat = fstat(fd, &st) == 0;
	if (have_stat && S_ISDIR(st.st_mode)) {
		close(fd);
		return cli_usage(c, "%s %s is a directory", what, path);
	}
	if (have_stat && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		if (!stdin_file)
			close(fd);
		return cli_usage(c, "%s %s is %lld bytes: at most %s", what, path,
			(long long)st.st_size, limit);
	}
	/* Read up to one byte past the limit, so a pipe or a file that grew
	 * is refused too. */
	size_t cap = 64 * 1024, used = 0;
	unsigned char *buf = malloc(cap);
	int code = buf ? CLI_OK : cli_fail(c, CLI_ERR_USAGE, "out of memory reading %s", path);
	while (code == CLI_OK) {
		if (used == cap) {
			/* used <= max here, so the buffer can still grow. */
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			unsigned char *bigger = realloc(buf, cap);
			if (bigger == NULL) {
				code = cli_fail(c, CLI_ERR_USAGE, "out of memory reading %s", path);
				break;
			}
			buf = bigger;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			code = cli_usage(c, "cannot read %s %s: %s", what, path, strerror(errno));
		else if (n == 0)
			break;
		else if ((used += (size_t)n) > max)
			code = cli_usage(c, "%s %s is over %s", what, path, limit);
	}
	if (!stdin_file)
		close(fd);
	if (code == CLI_OK && used == 0)
		code = cli_usage(c, "%s %s is empty", what, path);
	if (code != CLI_OK) {
		free(buf);
		return code;
	}
	*data = buf;
	*len = used;
	return CLI_OK;
}

int cli_photo_read(struct cli *c, const char *path, unsigned char **data, size_t *len)
{
	int code = cli_read_file(c, path, CLI_PHOTO_MAX_BYTES, "photo", data, len);
	if (code == CLI_OK && photo_kind(*data, *len) == NULL) {
		free(*data);
		*data = NULL;
		*len = 0;
		return cli_usage(c, "%s is not a photo: JPEG, PNG, WebP or GIF only", path);
	}
	return code;
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

/* ---- media get ---- */

static const struct cli_flag media_get_flags[] = {
	{"output", NULL, "FILE", "write the JPEG to FILE (also -o FILE)"},
	{0},
};

/* media get ID [-o FILE] [--size thumb]: the photo's JPEG bytes to FILE
 * or to stdout when that is not a terminal; with --json the reply (data
 * in base64). */
static int run_media_get(struct cli *c, struct cli_line *line)
{
	const char *out = cli_line_flag(line, "output");
	int code = CLI_OK;
	if (line->n_pos > 0)
		code = cli_req_set_text(c, &line->req, "media_id", line->pos[0], "ID");
	if (code == CLI_OK && !ag_req_has(&line->req, "media_id"))
		return cli_usage(c, "which photo? ansigram media get ID");
	if (code != CLI_OK)
		return code;
	if (out != NULL && out[0] == '\0')
		return cli_usage(c, "-o wants a file name");
	if (out == NULL && !c->opts.json && c->stdout_tty)
		return cli_usage(c, "will not write a JPEG to the terminal: give -o FILE, or "
			"pipe the output");
	struct ag_reply rep;
	code = cli_send(c, &line->req, &rep);
	const msgpack_object *data = code == CLI_OK ? ag_obj_get(rep.data, "data") : NULL;
	if (code == CLI_OK && (data == NULL || data->type != MSGPACK_OBJECT_BIN))
		code = cli_fail(c, CLI_ERR_SERVER, "the server sent no photo bytes");
	if (code == CLI_OK && c->opts.json && out == NULL) {
		cli_print_data(c, rep.data);
	} else if (code == CLI_OK) {
		FILE *f = out ? fopen(out, "wb") : stdout;
		if (f == NULL) {
			code = cli_fail(c, CLI_ERR_USAGE, "cannot write %s: %s", out, strerror(errno));
		} else {
			size_t n = fwrite(data->via.bin.ptr, 1, data->via.bin.size, f);
			bool ok = n == data->via.bin.size;
			ok = (out ? fclose(f) == 0 : fflush(f) == 0) && ok;
			if (!ok)
				code = cli_fail(c, CLI_ERR_USAGE, "cannot write %s: %s",
					out ? out : "the output", strerror(errno));
		}
		if (code == CLI_OK && out != NULL && c->opts.json) {
			json_t *v = json_object();
			json_object_set_new(v, "id", json_integer(ag_obj_int(rep.data, "id")));
			json_object_set_new(v, "width", json_integer(ag_obj_int(rep.data, "width")));
			json_object_set_new(v, "height", json_integer(ag_obj_int(rep.data, "height")));
			json_object_set_new(v, "bytes", json_integer((json_int_t)data->via.bin.size));
			json_object_set_new(v, "file", json_string(out));
			cli_print_json(c, v);
		} else if (code == CLI_OK && out != NULL) {
			printf("Wrote photo #%lld (%lldx%lld, %zu bytes) to %s.\n",
				(long long)ag_obj_int(rep.data, "id"), (long long)ag_obj_int(rep.data, "width"),
				(long long)ag_obj_int(rep.data, "height"), (size_t)data->via.bin.size, out);
		}
	}
	ag_reply_free(&rep);
	return code;
}

const struct cli_cmd cli_media_get_cmd = {
	"media get", "ID [-o FILE] [--size thumb]", "Get a photo's JPEG bytes.",
	"media.get", "media_id size", 0, 1, media_get_flags,
	"Writes the photo to FILE, or to stdout when that is a pipe or a file (never to a "
	"terminal). --size thumb gets the small version. With --json and no -o, prints the "
	"reply with the bytes in base64; with -o, what was written.",
	run_media_get, "media_id=ID",
};
