/* test_photoview.c: the TUI's photo view (tui/app/photoview.h) without a
 * terminal: a photo is wanted once, then ready when its JPEG arrives (a
 * bad one fails); placed photos are written after the update at their
 * screen position, rows clipped by scrolling left out, inside DECSC and
 * DECRC; graphics modes draw only whole pictures and kitty clears its
 * old images first; a frame is "changed" only when the places move;
 * links are written as OSC 8 hyperlinks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "photoview.h"

static char out[1 << 20];
static size_t out_len;

static void capture(const char *s, size_t len)
{
	cr_assert_lt(out_len + len, sizeof out);
	memcpy(out + out_len, s, len);
	out_len += len;
	out[out_len] = '\0';
}

static void reset_out(void)
{
	out_len = 0;
	out[0] = '\0';
}

/* Makes a width x height JPEG with detail and hands it to the view. */
static void arrive(int64_t id, bool thumb, int width, int height)
{
	unsigned char *px = malloc((size_t)width * height * 3);
	cr_assert_not_null(px);
	for (int i = 0; i < width * height; i++) {
		px[i * 3] = (unsigned char)(i * 7);
		px[i * 3 + 1] = (unsigned char)(i / width * 9);
		px[i * 3 + 2] = (unsigned char)(i % width * 5);
	}
	tjhandle tj = tjInitCompress();
	unsigned char *jpeg = NULL;
	unsigned long len = 0;
	cr_assert_eq(tjCompress2(tj, px, width, width * 3, height, TJPF_RGB, &jpeg, &len,
		TJSAMP_444, 90, 0), 0);
	tjDestroy(tj);
	free(px);
	photoview_arrived(id, thumb, jpeg, len);
	tjFree(jpeg);
}

static void start(enum images_setting setting)
{
	setenv("COLORTERM", "truecolor", 1);
	unsetenv("NO_COLOR");
	photoview_init(setting, true, -1);
	photoview_frame_begin();
	reset_out();
}

static void stop(void)
{
	photoview_shutdown();
}

Test(photoview, wanted_once_then_ready_or_failed, .fini = stop)
{
	start(IMAGES_BLOCKS);
	cr_assert_eq(photoview_mode(), PHOTO_BLOCKS_TRUECOLOR);
	cr_assert_eq(photoview_state(7, true), PHOTO_WANTED);
	cr_assert_eq(photoview_state(7, true), PHOTO_LOADING, "asked for once only");
	cr_assert_eq(photoview_state(7, false), PHOTO_WANTED, "full size is another photo");
	arrive(7, true, 40, 20);
	cr_assert_eq(photoview_state(7, true), PHOTO_READY);
	photoview_arrived(8, true, "not a jpeg", 10);
	cr_assert_eq(photoview_state(8, true), PHOTO_FAILED);
	photoview_forget_failures();
	cr_assert_eq(photoview_state(8, true), PHOTO_WANTED);
	cr_assert_gt(photoview_cache_bytes(), 0);
}

Test(photoview, blocks_are_written_at_their_place, .fini = stop)
{
	start(IMAGES_BLOCKS);
	arrive(1, true, 40, 40);
	int c, r;
	/* 40x40 pixels in 1:2 cells into 20x20: 20 columns, 10 rows. */
	cr_assert(photoview_place(1, true, 5, 3, 20, 20, 0, 10, &c, &r));
	cr_assert_eq(c, 20);
	cr_assert_eq(r, 10);
	cr_assert(photoview_frame_changed());
	photoview_frame_write(capture);
	cr_assert_eq(strncmp(out, "\0337", 2), 0, "starts with DECSC");
	cr_assert_eq(strcmp(out + out_len - 2, "\0338"), 0, "ends with DECRC");
	/* Rows 6..15 (1-based), column 4. */
	cr_assert_not_null(strstr(out, "\033[6;4H"));
	cr_assert_not_null(strstr(out, "\033[15;4H"));
	cr_assert_null(strstr(out, "\033[16;4H"));
	cr_assert_not_null(strstr(out, "38;2;"));
	/* The same places again: not changed. */
	photoview_frame_begin();
	photoview_place(1, true, 5, 3, 20, 20, 0, 10, NULL, NULL);
	cr_assert_not(photoview_frame_changed());
	/* Moved by a scroll: changed. */
	photoview_frame_begin();
	photoview_place(1, true, 4, 3, 20, 20, 0, 10, NULL, NULL);
	cr_assert(photoview_frame_changed());
}

Test(photoview, scrolled_off_rows_are_left_out, .fini = stop)
{
	start(IMAGES_BLOCKS);
	arrive(2, true, 40, 40);
	/* Rows 4..9 of the picture shown, from screen row 0. */
	cr_assert(photoview_place(2, true, 0, 0, 20, 20, 4, 6, NULL, NULL));
	photoview_frame_write(capture);
	int rows = 0;
	for (const char *p = out; (p = strstr(p, ";1H")) != NULL; p++)
		rows++;
	cr_assert_eq(rows, 6, "%d rows written", rows);
	cr_assert_not_null(strstr(out, "\033[1;1H"));
	cr_assert_not_null(strstr(out, "\033[6;1H"));
	cr_assert_null(strstr(out, "\033[7;1H"));
}

Test(photoview, kitty_draws_whole_pictures_and_clears_old_ones, .fini = stop)
{
	start(IMAGES_KITTY);
	cr_assert_eq(photoview_mode(), PHOTO_KITTY);
	arrive(3, false, 64, 48);
	cr_assert(photoview_place(3, false, 2, 2, 16, 8, 0, 3, NULL, NULL));
	photoview_frame_write(capture);
	cr_assert_null(strstr(out, "\033_Ga=T"), "a cut picture is not drawn");
	photoview_frame_begin();
	reset_out();
	int c, r;
	cr_assert(photoview_place(3, false, 2, 2, 16, 8, 0, 8, &c, &r));
	photoview_frame_write(capture);
	cr_assert_not_null(strstr(out, "\033_Ga=d,d=A"), "old images deleted first");
	char *at = strstr(out, "\033[3;3H");
	cr_assert_not_null(at);
	cr_assert_eq(strncmp(at + strlen("\033[3;3H"), "\033_Ga=T", 6), 0);
}

Test(photoview, off_writes_no_photo, .fini = stop)
{
	start(IMAGES_OFF);
	cr_assert_eq(photoview_state(4, true), PHOTO_NONE);
	arrive(4, true, 20, 20);
	cr_assert_not(photoview_place(4, true, 0, 0, 10, 10, 0, 10, NULL, NULL));
	photoview_frame_write(capture);
	cr_assert_eq(out_len, 0);
}

Test(photoview, links_are_osc8, .fini = stop)
{
	start(IMAGES_BLOCKS);
	photoview_link(3, 10, "https://e.io/p.jpg", "https://e.io/p.jpg");
	photoview_link(4, 10, "bad\033text", "https://e.io/x");
	photoview_frame_write(capture);
	cr_assert_not_null(strstr(out, "\033[4;11H"));
	cr_assert_not_null(strstr(out, "\033]8;;https://e.io/p.jpg\033\\https://e.io/p.jpg\033]8;;\033\\"));
	cr_assert_null(strstr(out, "e.io/x"), "text with controls is left alone");
}
