/* photo.c: decoding JPEG (libturbojpeg) and rendering pictures for the
 * terminal in each photo_mode (libchafa). */
#include <chafa.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "fdio.h"
#include "photo.h"

/* The cell shape assumed when the terminal does not say: twice as tall
 * as wide. */
#define DEFAULT_CELL_W 10
#define DEFAULT_CELL_H 20

const char *photo_kind(const unsigned char *b, size_t n)
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

int photo_file_read(const char *path, unsigned char **data, size_t *len, char *why,
	size_t why_size)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "%s is not a file", path);
		close(fd);
		return -1;
	}
	if (st.st_size == 0 || st.st_size > PHOTO_UPLOAD_MAX) {
		snprintf(why, why_size, st.st_size ? "%s is over 8 MiB" : "%s is empty", path);
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	unsigned char *buf = malloc(size);
	bool read_all = buf && ag_read_full(fd, buf, size, -1);
	close(fd);
	if (!read_all) {
		snprintf(why, why_size, "cannot read all of %s", path);
		free(buf);
		return -1;
	}
	if (photo_kind(buf, size) == NULL) {
		snprintf(why, why_size, "%s is not a photo: JPEG, PNG, WebP or GIF only", path);
		free(buf);
		return -1;
	}
	*data = buf;
	*len = size;
	return 0;
}

const char *photo_mode_name(enum photo_mode m)
{
	switch (m) {
	case PHOTO_OFF: return "off";
	case PHOTO_BLOCKS_MONO: return "blocks-mono";
	case PHOTO_BLOCKS_256: return "blocks-256";
	case PHOTO_BLOCKS_TRUECOLOR: return "blocks";
	case PHOTO_SIXEL: return "sixel";
	case PHOTO_KITTY: return "kitty";
	case PHOTO_ITERM: return "iterm";
	}
	return "off";
}

bool photo_mode_is_graphics(enum photo_mode m)
{
	return m == PHOTO_SIXEL || m == PHOTO_KITTY || m == PHOTO_ITERM;
}

int photo_decode(const void *jpeg, size_t len, struct photo *out, char *why, size_t why_size)
{
	memset(out, 0, sizeof *out);
	if (jpeg == NULL || len < 4) {
		snprintf(why, why_size, "not a JPEG: %zu bytes", len);
		return -1;
	}
	const unsigned char *b = jpeg;
	if (b[0] != 0xFF || b[1] != 0xD8) {
		snprintf(why, why_size, "not a JPEG: it does not start with FF D8");
		return -1;
	}
	tjhandle tj = tjInitDecompress();
	if (tj == NULL) {
		snprintf(why, why_size, "cannot start the JPEG decoder");
		return -1;
	}
	int w = 0, h = 0, subsamp = 0, colorspace = 0;
	if (tjDecompressHeader3(tj, b, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0) {
		snprintf(why, why_size, "bad JPEG: %s", tjGetErrorStr2(tj));
		tjDestroy(tj);
		return -1;
	}
	if (w <= 0 || h <= 0 || w > PHOTO_MAX_SIDE || h > PHOTO_MAX_SIDE) {
		snprintf(why, why_size, "JPEG of %dx%d pixels: at most %d a side", w, h,
			PHOTO_MAX_SIDE);
		tjDestroy(tj);
		return -1;
	}
	unsigned char *px = malloc((size_t)w * (size_t)h * 4);
	if (px == NULL) {
		snprintf(why, why_size, "out of memory for a %dx%d photo", w, h);
		tjDestroy(tj);
		return -1;
	}
	/* Any warning (a truncated file, a corrupt segment) is an error too:
	 * half a picture is not drawn. */
	if (tjDecompress2(tj, b, (unsigned long)len, px, w, w * 4, h, TJPF_RGBA,
			TJFLAG_STOPONWARNING) != 0) {
		snprintf(why, why_size, "bad JPEG: %s", tjGetErrorStr2(tj));
		free(px);
		tjDestroy(tj);
		return -1;
	}
	tjDestroy(tj);
	out->width = w;
	out->height = h;
	out->rgba = px;
	return 0;
}

int photo_size(const void *jpeg, size_t len, int *width, int *height)
{
	const unsigned char *b = jpeg;
	if (jpeg == NULL || len < 4 || b[0] != 0xFF || b[1] != 0xD8)
		return -1;
	tjhandle tj = tjInitDecompress();
	if (tj == NULL)
		return -1;
	int subsamp, colorspace;
	int rc = tjDecompressHeader3(tj, b, (unsigned long)len, width, height, &subsamp,
		&colorspace);
	tjDestroy(tj);
	return rc == 0 && *width > 0 && *height > 0 ? 0 : -1;
}

void photo_free(struct photo *p)
{
	free(p->rgba);
	memset(p, 0, sizeof *p);
}

size_t photo_bytes(const struct photo *p)
{
	return (size_t)p->width * (size_t)p->height * 4;
}

void photo_fit(int width, int height, int cols, int rows, int cell_w, int cell_h,
	int *out_cols, int *out_rows)
{
	if (cell_w <= 0 || cell_h <= 0) {
		cell_w = DEFAULT_CELL_W;
		cell_h = DEFAULT_CELL_H;
	}
	if (cols < 1)
		cols = 1;
	if (rows < 1)
		rows = 1;
	if (width < 1)
		width = 1;
	if (height < 1)
		height = 1;
	/* The picture's size in cells at one pixel a pixel, then the one scale
	 * that fits both sides. */
	double wc = (double)width / cell_w, hc = (double)height / cell_h;
	double scale = (double)cols / wc;
	if ((double)rows / hc < scale)
		scale = (double)rows / hc;
	int c = (int)(wc * scale + 0.5), r = (int)(hc * scale + 0.5);
	*out_cols = c < 1 ? 1 : c > cols ? cols : c;
	*out_rows = r < 1 ? 1 : r > rows ? rows : r;
}

static ChafaTermInfo *term_info(void)
{
	/* The fallback info knows every sequence chafa can print (SGR in each
	 * depth, sixel, kitty, iTerm2); which one is used follows the canvas
	 * config, not the terminal chafa would guess. */
	static ChafaTermInfo *info;
	if (info == NULL)
		info = chafa_term_db_get_fallback_info(chafa_term_db_get_default());
	return info;
}

int photo_render(const struct photo *p, enum photo_mode mode, int cols, int rows,
	int cell_w, int cell_h, struct photo_render *out)
{
	memset(out, 0, sizeof *out);
	if (mode == PHOTO_OFF || p == NULL || p->rgba == NULL || cols < 1 || rows < 1)
		return -1;
	if (cell_w <= 0 || cell_h <= 0) {
		cell_w = DEFAULT_CELL_W;
		cell_h = DEFAULT_CELL_H;
	}
	int fc, fr;
	photo_fit(p->width, p->height, cols, rows, cell_w, cell_h, &fc, &fr);

	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, fc, fr);
	chafa_canvas_config_set_cell_geometry(cfg, cell_w, cell_h);
	ChafaSymbolMap *symbols = NULL;
	switch (mode) {
	case PHOTO_SIXEL:
		chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SIXELS);
		break;
	case PHOTO_KITTY:
		chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_KITTY);
		break;
	case PHOTO_ITERM:
		chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_ITERM2);
		break;
	default:
		chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SYMBOLS);
		chafa_canvas_config_set_canvas_mode(cfg,
			mode == PHOTO_BLOCKS_TRUECOLOR ? CHAFA_CANVAS_MODE_TRUECOLOR :
			mode == PHOTO_BLOCKS_256 ? CHAFA_CANVAS_MODE_INDEXED_240 :
			CHAFA_CANVAS_MODE_FGBG);
		/* Block elements and spaces only: one column each everywhere. */
		symbols = chafa_symbol_map_new();
		chafa_symbol_map_add_by_tags(symbols, CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_SPACE);
		chafa_symbol_map_remove_by_tags(symbols, CHAFA_SYMBOL_TAG_WIDE);
		chafa_canvas_config_set_symbol_map(cfg, symbols);
		break;
	}
	ChafaCanvas *canvas = chafa_canvas_new(cfg);
	chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, p->rgba,
		p->width, p->height, p->width * 4);
	GString *s = chafa_canvas_print(canvas, term_info());
	chafa_canvas_unref(canvas);
	chafa_canvas_config_unref(cfg);
	if (symbols)
		chafa_symbol_map_unref(symbols);
	if (s == NULL)
		return -1;
	out->data = malloc(s->len + 1);
	if (out->data == NULL) {
		g_string_free(s, TRUE);
		return -1;
	}
	memcpy(out->data, s->str, s->len);
	out->data[s->len] = '\0';
	out->len = s->len;
	out->cols = fc;
	out->rows = fr;
	out->mode = mode;
	g_string_free(s, TRUE);
	return 0;
}

void photo_render_free(struct photo_render *r)
{
	free(r->data);
	memset(r, 0, sizeof *r);
}
