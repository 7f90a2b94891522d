/* media_helper.c: ansigramd-media, the process that decodes uploads.
 *
 * ansigramd never decodes an untrusted image itself: it starts a few of
 * these (media.c) and hands each upload's bytes to one over a pipe. Here,
 * libvips accepts only JPEG, PNG, WebP and GIF (first frame) as the loader
 * detects them from the bytes; reads the pixel count from the header
 * before anything is decoded; applies the EXIF orientation; flattens alpha
 * onto white; scales to at most MEDIA_FULL_SIDE pixels on the long side
 * (never up) and re-encodes as JPEG without any metadata, with a thumbnail
 * of at most MEDIA_THUMB_SIDE. A crash or a runaway allocation here costs
 * one upload, never the server, and the server's own memory never holds
 * decoded pixels or the image libraries.
 *
 * The pipe protocol (native byte order, same machine): a request is a
 * uint32 length and that many bytes; a reply is one status byte, then
 * for MEDIA_HELPER_OK the photo and its thumbnail, each as uint32 width,
 * height, byte count and the JPEG bytes, or for MEDIA_HELPER_REFUSED a
 * uint32 length and the reason, written for the uploader. The helper exits
 * when its input ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vips/vips.h>

#include "fdio.h"
#include "media_helper.h"

#define MEDIA_FULL_SIDE 1080
#define MEDIA_THUMB_SIDE 320
#define MEDIA_MAX_PIXELS (40LL * 1000 * 1000)
#define MEDIA_JPEG_QUALITY 85
/* No decode needs more; a hostile file that tries gets an allocation error. */
#define HELPER_ADDRESS_SPACE (1024LL << 20)

/* libvips warns about each bad upload ("error in tile"): the uploader's
 * problem, not the operator's. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message,
	gpointer data)
{
	(void)domain, (void)level, (void)message, (void)data;
}

/* The loader libvips picks for these bytes, if it is one we accept. */
static bool accepted_loader(const void *data, size_t len)
{
	static const char *const accepted[] = {
		"jpegload_buffer", "pngload_buffer", "webpload_buffer", "gifload_buffer",
	};
	const char *loader = vips_foreign_find_load_buffer(data, len);
	if (loader == NULL) {
		vips_error_clear();
		return false;
	}
	const char *nick = vips_nickname_find(g_type_from_name(loader));
	for (size_t i = 0; nick && i < sizeof accepted / sizeof accepted[0]; i++)
		if (strcmp(nick, accepted[i]) == 0)
			return true;
	return false;
}

struct encoded {
	void *data;        /* g_free */
	size_t bytes;
	int width, height;
};

/* Encodes img as a baseline JPEG without metadata. */
static int encode_jpeg(VipsImage *img, struct encoded *out)
{
	out->width = vips_image_get_width(img);
	out->height = vips_image_get_height(img);
	return vips_jpegsave_buffer(img, &out->data, &out->bytes, "Q", MEDIA_JPEG_QUALITY,
		"strip", TRUE, "interlace", FALSE, "optimize_coding", TRUE, NULL);
}

/* sRGB, 8 bits a sample, alpha flattened onto white: what JPEG can hold. */
static int to_opaque_srgb(VipsImage *in, VipsImage **out)
{
	VipsImage *srgb = NULL, *flat = NULL;
	int rc = vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
	if (rc == 0 && vips_image_hasalpha(srgb)) {
		VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		rc = vips_flatten(srgb, &flat, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
	} else if (rc == 0) {
		flat = srgb;
		g_object_ref(flat);
	}
	if (rc == 0)
		rc = vips_cast_uchar(flat, out, NULL);
	if (srgb)
		g_object_unref(srgb);
	if (flat)
		g_object_unref(flat);
	return rc;
}

/* Makes the stored photo and its thumbnail from an upload. Returns NULL,
 * or the reason the upload is refused. */
static const char *normalise(const void *data, size_t len, struct encoded *full,
	struct encoded *thumb)
{
	memset(full, 0, sizeof *full);
	memset(thumb, 0, sizeof *thumb);
	if (!accepted_loader(data, len))
		return "data must be a JPEG, PNG, WebP or GIF image.";

	/* The header only: nothing is decoded yet. */
	VipsImage *head = vips_image_new_from_buffer(data, len, "", NULL);
	if (head == NULL) {
		vips_error_clear();
		return "data is not a readable image.";
	}
	long long pixels = (long long)vips_image_get_width(head) * vips_image_get_height(head);
	g_object_unref(head);
	if (pixels > MEDIA_MAX_PIXELS)
		return "data is an image over 40 megapixels.";

	/* Decode (shrinking on load where the format can), apply the EXIF
	 * orientation, fit in the box, never enlarge. A truncated or corrupt
	 * file is an error, not a grey-filled picture. The loader reads
	 * sequentially: the scaled picture is rendered to memory once, for
	 * the photo and its thumbnail. */
	VipsImage *scaled = NULL, *piped = NULL, *opaque = NULL, *small = NULL;
	const char *refused = NULL;
	if (vips_thumbnail_buffer((void *)data, len, &scaled, MEDIA_FULL_SIDE,
			"height", MEDIA_FULL_SIDE, "size", VIPS_SIZE_DOWN,
			"option_string", "fail_on=truncated", NULL) != 0 ||
	    to_opaque_srgb(scaled, &piped) != 0 ||
	    (opaque = vips_image_copy_memory(piped)) == NULL || encode_jpeg(opaque, full) != 0 ||
	    vips_thumbnail_image(opaque, &small, MEDIA_THUMB_SIDE, "height", MEDIA_THUMB_SIDE,
			"size", VIPS_SIZE_DOWN, NULL) != 0 || encode_jpeg(small, thumb) != 0) {
		vips_error_clear();
		refused = "data is not a complete, readable image.";
	}
	if (scaled)
		g_object_unref(scaled);
	if (piped)
		g_object_unref(piped);
	if (opaque)
		g_object_unref(opaque);
	if (small)
		g_object_unref(small);
	if (refused) {
		g_free(full->data);
		g_free(thumb->data);
		full->data = thumb->data = NULL;
	}
	return refused;
}

/* ---- the pipe ---- */

static bool write_u32(int fd, uint32_t v)
{
	return ag_write_full(fd, &v, sizeof v);
}

static bool write_encoded(int fd, const struct encoded *e)
{
	return write_u32(fd, (uint32_t)e->width) && write_u32(fd, (uint32_t)e->height) &&
		write_u32(fd, (uint32_t)e->bytes) && ag_write_full(fd, e->data, e->bytes);
}

int main(int argc, char **argv)
{
	(void)argc;
#ifndef __SANITIZE_ADDRESS__  /* AddressSanitizer reserves terabytes of address space */
	struct rlimit as = {HELPER_ADDRESS_SPACE, HELPER_ADDRESS_SPACE};
	setrlimit(RLIMIT_AS, &as);
#endif
	if (VIPS_INIT(argv[0]) != 0) {
		fprintf(stderr, "ansigramd-media: libvips cannot start: %s\n", vips_error_buffer());
		return 1;
	}
	/* One upload at a time, no operation cache (it would keep decoded
	 * pixels), one thread per operation, and none of the loaders libvips
	 * itself marks unfit for untrusted input (accepted_loader narrows it
	 * further). */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_concurrency_set(1);
	vips_block_untrusted_set(TRUE);
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet, NULL);

	uint32_t len;
	while (ag_read_full(STDIN_FILENO, &len, sizeof len, -1)) {
		if (len > MEDIA_HELPER_MAX_INPUT)
			return 1;
		void *data = malloc(len ? len : 1);
		if (!data || !ag_read_full(STDIN_FILENO, data, len, -1))
			return 1;
		struct encoded full, thumb;
		const char *refused = normalise(data, len, &full, &thumb);
		free(data);
		unsigned char status = refused ? MEDIA_HELPER_REFUSED : MEDIA_HELPER_OK;
		bool sent = ag_write_full(STDOUT_FILENO, &status, 1) && (refused
			? write_u32(STDOUT_FILENO, (uint32_t)strlen(refused)) &&
			  ag_write_full(STDOUT_FILENO, refused, strlen(refused))
			: write_encoded(STDOUT_FILENO, &full) && write_encoded(STDOUT_FILENO, &thumb));
		g_free(full.data);
		g_free(thumb.data);
		if (!sent)
			return 1;
	}
	vips_shutdown();
	return 0;
}
