/* test_photo.c: the photo module (tui/photo/photo.h): JPEG decoding and
 * its clean errors, fitting into a box of cells with the aspect kept, and
 * each render mode's output: kitty, sixel and iTerm2 escapes, blocks with
 * SGR colours, and blocks with no escapes at all for NO_COLOR. The JPEGs
 * are made here with libturbojpeg. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "photo.h"

/* A width x height JPEG of a colour gradient; the caller frees it with
 * tjFree. */
static unsigned char *make_jpeg(int width, int height, unsigned long *len)
{
	unsigned char *px = malloc((size_t)width * height * 3);
	cr_assert_not_null(px);
	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++) {
			unsigned char *p = px + ((size_t)y * width + x) * 3;
			p[0] = (unsigned char)(x * 255 / width);
			p[1] = (unsigned char)(y * 255 / height);
			p[2] = 200;
		}
	tjhandle tj = tjInitCompress();
	unsigned char *out = NULL;
	*len = 0;
	cr_assert_eq(tjCompress2(tj, px, width, width * 3, height, TJPF_RGB, &out, len,
		TJSAMP_420, 85, 0), 0);
	tjDestroy(tj);
	free(px);
	return out;
}

static void decode_ok(int width, int height, struct photo *p)
{
	unsigned long len;
	unsigned char *jpeg = make_jpeg(width, height, &len);
	char why[200] = "";
	cr_assert_eq(photo_decode(jpeg, len, p, why, sizeof why), 0, "%s", why);
	tjFree(jpeg);
}

/* The number of rows in a block render: lines separated by '\n'. */
static int lines_of(const struct photo_render *r)
{
	int n = 1;
	for (size_t i = 0; i < r->len; i++)
		n += r->data[i] == '\n';
	return n;
}

Test(photo, decodes_size_and_pixels)
{
	struct photo p;
	decode_ok(64, 32, &p);
	cr_assert_eq(p.width, 64);
	cr_assert_eq(p.height, 32);
	cr_assert_eq(photo_bytes(&p), 64 * 32 * 4);
	/* Top-left is dark red-ish (x=0: red 0), top-right red: the gradient. */
	cr_assert_lt(p.rgba[0], 40);
	cr_assert_gt(p.rgba[(63) * 4], 200);
	cr_assert_eq(p.rgba[3], 255);
	photo_free(&p);
	cr_assert_null(p.rgba);
}

Test(photo, decode_errors_are_clean)
{
	struct photo p;
	char why[200];
	why[0] = '\0';
	cr_assert_eq(photo_decode("", 0, &p, why, sizeof why), -1);
	cr_assert_neq(why[0], '\0');
	cr_assert_null(p.rgba);

	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	why[0] = '\0';
	cr_assert_eq(photo_decode(png, sizeof png - 1, &p, why, sizeof why), -1);
	cr_assert(strstr(why, "not a JPEG"), "%s", why);
	cr_assert_null(p.rgba);

	unsigned long len;
	unsigned char *jpeg = make_jpeg(40, 40, &len);
	/* Cut short: the header is there, the picture is not. */
	why[0] = '\0';
	cr_assert_eq(photo_decode(jpeg, len / 2, &p, why, sizeof why), -1);
	cr_assert_neq(why[0], '\0');
	cr_assert_null(p.rgba);
	/* Garbage after a valid start. */
	memset(jpeg + 4, 0x5a, len - 4);
	why[0] = '\0';
	cr_assert_eq(photo_decode(jpeg, len, &p, why, sizeof why), -1);
	cr_assert(strstr(why, "JPEG"), "%s", why);
	cr_assert_null(p.rgba);
	tjFree(jpeg);
}

Test(photo, fit_keeps_the_aspect_inside_the_box)
{
	int c, r;
	/* Square photo, cells 1:2: twice as many columns as rows. */
	photo_fit(100, 100, 40, 40, 0, 0, &c, &r);
	cr_assert_eq(c, 40);
	cr_assert_eq(r, 20);
	photo_fit(100, 100, 40, 10, 0, 0, &c, &r);
	cr_assert_eq(c, 20);
	cr_assert_eq(r, 10);
	/* Known square cells: as many columns as rows. */
	photo_fit(100, 100, 40, 10, 16, 16, &c, &r);
	cr_assert_eq(c, 10);
	cr_assert_eq(r, 10);
	/* A wide strip never leaves the box, nor goes below one cell. */
	photo_fit(4000, 10, 30, 30, 0, 0, &c, &r);
	cr_assert_eq(c, 30);
	cr_assert_eq(r, 1);
	photo_fit(10, 4000, 30, 30, 0, 0, &c, &r);
	cr_assert_eq(c, 1);
	cr_assert_eq(r, 30);
}

Test(photo, blocks_truecolor_have_sgr_and_respect_the_box)
{
	struct photo p;
	decode_ok(80, 40, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_BLOCKS_TRUECOLOR, 20, 20, 0, 0, &r), 0);
	/* 80x40 pixels in 1:2 cells: 8x2 cells at one a pixel, so 20 by 5. */
	cr_assert_eq(r.cols, 20);
	cr_assert_eq(r.rows, 5);
	cr_assert_eq(lines_of(&r), 5);
	cr_assert(strstr(r.data, "\033[38;2;") || strstr(r.data, "\033[48;2;"),
		"no 24-bit SGR in: %.60s", r.data);
	cr_assert_null(strstr(r.data, "\033_G"));
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, blocks_256_use_indexed_colours)
{
	struct photo p;
	decode_ok(40, 40, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_BLOCKS_256, 10, 10, 0, 0, &r), 0);
	cr_assert(strstr(r.data, "\033[38;5;") || strstr(r.data, "\033[48;5;"),
		"no 256-colour SGR in: %.60s", r.data);
	cr_assert_null(strstr(r.data, "38;2;"));
	cr_assert_leq(r.cols, 10);
	cr_assert_leq(lines_of(&r), 10);
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, blocks_without_colour_have_no_escapes)
{
	struct photo p;
	decode_ok(60, 60, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_BLOCKS_MONO, 12, 12, 0, 0, &r), 0);
	cr_assert_gt(r.len, 0);
	cr_assert_null(memchr(r.data, '\033', r.len), "an escape in: %s", r.data);
	cr_assert_eq(lines_of(&r), r.rows);
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, kitty_starts_with_apc_g)
{
	struct photo p;
	decode_ok(32, 32, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_KITTY, 8, 4, 10, 20, &r), 0);
	cr_assert_eq(strncmp(r.data, "\033_G", 3), 0, "starts: %.20s", r.data);
	/* The placement says how many cells it covers. */
	cr_assert(strstr(r.data, "c=8,") && strstr(r.data, "r=4"), "%.80s", r.data);
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, sixel_starts_with_dcs_q)
{
	struct photo p;
	decode_ok(32, 32, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_SIXEL, 8, 4, 10, 20, &r), 0);
	cr_assert_eq(strncmp(r.data, "\033P", 2), 0, "starts: %.20s", r.data);
	char *q = strchr(r.data, 'q');
	cr_assert_not_null(q);
	for (char *c = r.data + 2; c < q; c++)
		cr_assert(strchr("0123456789;", *c), "parameter byte %c", *c);
	cr_assert_eq(strcmp(r.data + r.len - 2, "\033\\"), 0);
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, iterm_starts_with_osc_1337)
{
	struct photo p;
	decode_ok(32, 32, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_ITERM, 8, 4, 10, 20, &r), 0);
	cr_assert_eq(strncmp(r.data, "\033]1337;File=", 12), 0, "starts: %.20s", r.data);
	cr_assert(strstr(r.data, "width=8;") && strstr(r.data, "height=4;"), "%.80s", r.data);
	photo_render_free(&r);
	photo_free(&p);
}

Test(photo, off_and_empty_boxes_render_nothing)
{
	struct photo p;
	decode_ok(16, 16, &p);
	struct photo_render r;
	cr_assert_eq(photo_render(&p, PHOTO_OFF, 10, 10, 0, 0, &r), -1);
	cr_assert_null(r.data);
	cr_assert_eq(photo_render(&p, PHOTO_BLOCKS_TRUECOLOR, 0, 10, 0, 0, &r), -1);
	cr_assert_null(r.data);
	photo_free(&p);
}

Test(photo, mode_names)
{
	cr_assert_str_eq(photo_mode_name(PHOTO_KITTY), "kitty");
	cr_assert_str_eq(photo_mode_name(PHOTO_BLOCKS_MONO), "blocks-mono");
	cr_assert(photo_mode_is_graphics(PHOTO_SIXEL));
	cr_assert_not(photo_mode_is_graphics(PHOTO_BLOCKS_256));
}
