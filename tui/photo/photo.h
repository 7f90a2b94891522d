/* photo.h: photos in the terminal, shared by the CLI and the TUI: decoding
 * the JPEG the server sends (libturbojpeg), fitting it into a box of
 * character cells and rendering it there (libchafa) as kitty graphics,
 * sixel, iTerm2 inline images or Unicode blocks; the terminal probe that
 * picks how (termprobe.c) and a byte-bounded cache (photocache.c). */
#ifndef TUI_PHOTO_H
#define TUI_PHOTO_H

#include <stdbool.h>
#include <stddef.h>

/* How photos are drawn. The block modes work in any terminal. */
enum photo_mode {
	PHOTO_OFF,
	PHOTO_BLOCKS_MONO,       /* block characters, no colour (NO_COLOR) */
	PHOTO_BLOCKS_256,        /* block characters in 256 colours */
	PHOTO_BLOCKS_TRUECOLOR,  /* block characters in 24-bit colour */
	PHOTO_SIXEL,
	PHOTO_KITTY,
	PHOTO_ITERM,
};

/* "off", "blocks-mono", "blocks-256", "blocks", "sixel", "kitty", "iterm". */
const char *photo_mode_name(enum photo_mode m);
/* True for the pixel modes (sixel, kitty, iTerm2) that draw one image
 * escape rather than rows of characters. */
bool photo_mode_is_graphics(enum photo_mode m);

/* The most bytes a photo file to upload may have (PROTOCOL.md: 8 MiB). */
#define PHOTO_UPLOAD_MAX (8 * 1024 * 1024)

/* "JPEG", "PNG", "WebP" or "GIF" by a file's first bytes, or NULL. */
const char *photo_kind(const unsigned char *b, size_t n);
/* Reads a photo file to upload into *data (malloc'd, *len bytes).
 * Returns 0, or -1 with why (nothing kept) when it cannot be read, is not
 * a regular file, is empty, over PHOTO_UPLOAD_MAX or not a JPEG, PNG,
 * WebP or GIF by its first bytes. */
int photo_file_read(const char *path, unsigned char **data, size_t *len, char *why,
	size_t why_size);

/* A decoded photo: width x height pixels, 4 bytes (RGBA) each. */
struct photo {
	int width, height;
	unsigned char *rgba;
};

/* The largest photo decoded, in pixels a side (the server sends at most
 * 2048). */
#define PHOTO_MAX_SIDE 8192

/* Decodes JPEG bytes into out. Returns 0, or -1 with why (out zeroed)
 * when the bytes are not a whole, valid JPEG or the picture is larger
 * than PHOTO_MAX_SIDE a side. */
int photo_decode(const void *jpeg, size_t len, struct photo *out, char *why, size_t why_size);
void photo_free(struct photo *p);
/* Reads only a JPEG's size from its header. Returns 0, or -1 when the
 * bytes do not start a valid JPEG. */
int photo_size(const void *jpeg, size_t len, int *width, int *height);
/* The memory the decoded pixels take. */
size_t photo_bytes(const struct photo *p);

/* The cells (out_cols x out_rows) a width x height picture takes when
 * fitted into a cols x rows box with its aspect kept, for cells of
 * cell_w x cell_h pixels (either 0: the usual 1:2). Both at least 1 and
 * never more than the box. */
void photo_fit(int width, int height, int cols, int rows, int cell_w, int cell_h,
	int *out_cols, int *out_rows);

/* A photo rendered for a terminal: data (len bytes, NUL-terminated)
 * covers cols x rows cells from the cursor. Block modes give one line a
 * row, separated by '\n' (none after the last), each ending with its
 * colours reset; graphics modes give one escape sequence. */
struct photo_render {
	char *data;
	size_t len;
	int cols, rows;
	enum photo_mode mode;
};

/* Renders p in mode, fitted into cols x rows cells of cell_w x cell_h
 * pixels (0: unknown). Returns 0, or -1 when mode is PHOTO_OFF, the box
 * is empty or memory ran out. */
int photo_render(const struct photo *p, enum photo_mode mode, int cols, int rows,
	int cell_w, int cell_h, struct photo_render *out);
void photo_render_free(struct photo_render *r);

#endif
