/* test_media.c: photos stored by the server (PROTOCOL.md section 8)
 * against a real ansigramd: media.upload of images made here with
 * ImageMagick and exiftool (EXIF GPS and orientation, alpha, WebP, an
 * animated GIF, 1x1, a header claiming 12000x12000, a truncated JPEG, text,
 * oversized data), the stored JPEG's bytes, size and pixels, media.get and
 * who may see what, attaching to posts and stories (not_found, conflict),
 * deleting, the sweeps of expired stories and of photos never attached,
 * the per-user limits, and the frame limits around uploads. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "procinfo.h"

H_SERVER_PER_FILE(NULL)

static struct h_server own_server;
static char fixture_dir[64];

static void fini(void)
{
	h_test_fini();
	if (own_server.keeper > 0)
		h_server_stop(&own_server);
	if (fixture_dir[0])
		(void)!system(h_fmt("rm -rf '%s'", fixture_dir));
}

TestSuite(media, .fini = fini);

#define MEDIA_KEYS "id", "mime", "width", "height", "bytes", "thumb"
#define HOUR_MS (3600LL * 1000)

/* ---- fixtures ---- */

/* Skips the test, saying why, unless the image tools are installed. */
static void need_tools(void)
{
	if (system("command -v convert >/dev/null && command -v exiftool >/dev/null") != 0)
		cr_skip_test("SKIPPED: ImageMagick (convert) and exiftool are needed to make the "
			"test images; install imagemagick and libimage-exiftool-perl");
}

/* Runs a shell command in the fixture directory (made on first use). */
static void sh(const char *cmd)
{
	if (!fixture_dir[0]) {
		snprintf(fixture_dir, sizeof fixture_dir, "/tmp/ag-media-XXXXXX");
		cr_assert_not_null(mkdtemp(fixture_dir));
	}
	int rc = system(h_fmt("cd '%s' && %s", fixture_dir, cmd));
	cr_assert_eq(rc, 0, "fixture command failed: %s", cmd);
}

struct bytes {
	unsigned char *data;
	size_t len;
};

static struct bytes *kept[32];
static size_t n_kept;

/* The whole of a fixture file; lives until the test process ends. */
static struct bytes file_bytes(const char *name)
{
	FILE *f = fopen(h_fmt("%s/%s", fixture_dir, name), "rb");
	cr_assert_not_null(f, "no fixture %s", name);
	struct bytes b = {0};
	fseek(f, 0, SEEK_END);
	b.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = malloc(b.len ? b.len : 1);
	cr_assert_eq(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	if (n_kept < sizeof kept / sizeof kept[0] && (kept[n_kept] = malloc(sizeof b)) != NULL)
		*kept[n_kept++] = b;
	return b;
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(h_fmt("%s/%s", fixture_dir, name), "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static bool has_bytes(const void *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* ---- calls ---- */

static const struct ag_reply *upload_raw(struct ag_client *c, const void *data, size_t len)
{
	return h_upload_call(c, data, len);
}

static const msgpack_object *upload_ok(struct ag_client *c, struct bytes b)
{
	const struct ag_reply *r = upload_raw(c, b.data, b.len);
	cr_assert(r->ok, "media.upload: %s: %s", r->code_name, r->message);
	h_assert_keys(r->data, MEDIA_KEYS);
	h_assert_str(r->data, "mime", "image/jpeg");
	return r->data;
}

/* Asserts an upload is bad_request on "data" and stored nothing. */
static void assert_refused(struct h_user *u, struct bytes b, const char *what)
{
	const char *count = "SELECT count(*) FROM media WHERE owner_id = ?1";
	int64_t before = h_db_int(count, 1, u->id);
	const struct ag_reply *r = upload_raw(u->c, b.data, b.len);
	cr_assert(!r->ok, "%s was accepted", what);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "%s gave %s: %s", what, r->code_name, r->message);
	cr_assert_str_eq(r->field, "data", "%s blamed field '%s'", what, r->field);
	cr_assert_eq(h_db_int(count, 1, u->id), before, "%s stored a row", what);
}

struct photo {
	int64_t width, height;
	struct bytes data;
};

static struct photo media_get(struct ag_client *c, int64_t id, const char *size)
{
	const struct ag_reply *r = size
		? h_call(c, "media.get", "media_id:i size:s", id, size)
		: h_call(c, "media.get", "media_id:i", id);
	cr_assert(r->ok, "media.get %lld: %s: %s", (long long)id, r->code_name, r->message);
	h_assert_keys(r->data, "id", "mime", "width", "height", "data");
	cr_assert_eq(ag_obj_int(r->data, "id"), id);
	h_assert_str(r->data, "mime", "image/jpeg");
	const msgpack_object *d = ag_obj_get(r->data, "data");
	cr_assert(d && d->type == MSGPACK_OBJECT_BIN, "data is not bin");
	return (struct photo){ag_obj_int(r->data, "width"), ag_obj_int(r->data, "height"),
		{(unsigned char *)d->via.bin.ptr, d->via.bin.size}};
}

static void assert_not_visible(struct ag_client *c, int64_t id)
{
	h_err(AG_E_NOT_FOUND, c, "media.get", "media_id:i", id);
}

/* ---- reading the JPEGs that come back ---- */

/* The frame size of a JPEG and whether it is baseline (SOF0), from its
 * markers. */
static void jpeg_info(struct bytes b, int *w, int *h, bool *baseline)
{
	cr_assert(b.len > 4 && b.data[0] == 0xFF && b.data[1] == 0xD8, "not a JPEG");
	size_t i = 2;
	while (i + 9 < b.len) {
		cr_assert_eq(b.data[i], 0xFF, "bad JPEG marker at %zu", i);
		unsigned char m = b.data[i + 1];
		size_t seg = ((size_t)b.data[i + 2] << 8) | b.data[i + 3];
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			*h = (b.data[i + 5] << 8) | b.data[i + 6];
			*w = (b.data[i + 7] << 8) | b.data[i + 8];
			*baseline = m == 0xC0;
			return;
		}
		i += 2 + seg;
	}
	cr_assert_fail("no frame header in the JPEG");
}

/* The RGB colour of pixel (x, y) of a JPEG, as ImageMagick decodes it. */
static void pixel(struct bytes b, int x, int y, int rgb[3])
{
	write_file("got.jpg", b.data, b.len);
	FILE *p = popen(h_fmt("cd '%s' && convert got.jpg -format "
		"'%%[fx:int(255*p{%d,%d}.r)] %%[fx:int(255*p{%d,%d}.g)] %%[fx:int(255*p{%d,%d}.b)]' "
		"info:", fixture_dir, x, y, x, y, x, y), "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d %d %d", &rgb[0], &rgb[1], &rgb[2]), 3, "convert gave no pixel");
	pclose(p);
}

static void assert_colour(struct bytes b, int x, int y, int r, int g, int bl, const char *what)
{
	int rgb[3];
	pixel(b, x, y, rgb);
	cr_assert(abs(rgb[0] - r) < 40 && abs(rgb[1] - g) < 40 && abs(rgb[2] - bl) < 40,
		"%s: pixel (%d,%d) is %d,%d,%d, not about %d,%d,%d", what, x, y, rgb[0], rgb[1],
		rgb[2], r, g, bl);
}

/* ---- normalising ---- */

/* A 400x200 picture, red on top and blue below, tagged with GPS and
 * orientation 6 (rotate 90 degrees clockwise to show): stored 200x400,
 * turned, red on the right, without EXIF or GPS. */
Test(media, jpeg_is_turned_by_its_exif_orientation_and_loses_gps_and_exif)
{
	need_tools();
	sh("convert -size 400x100 xc:red -size 400x100 xc:blue -append -quality 95 o.jpg && "
		"exiftool -q -overwrite_original -n -Orientation=6 -GPSLatitude=48.8584 "
		"-GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E "
		"-Artist='Secret Person' o.jpg");
	struct bytes in = file_bytes("o.jpg");
	cr_assert(has_bytes(in.data, in.len, "Exif") && has_bytes(in.data, in.len, "Secret Person"),
		"the fixture lacks its EXIF");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, in);
	cr_assert_eq(ag_obj_int(m, "width"), 200);
	cr_assert_eq(ag_obj_int(m, "height"), 400);
	const msgpack_object *thumb = ag_obj_get(m, "thumb");
	h_assert_keys(thumb, "width", "height", "bytes");
	cr_assert_eq(ag_obj_int(thumb, "width"), 160);
	cr_assert_eq(ag_obj_int(thumb, "height"), 320);

	struct photo full = media_get(u.c, ag_obj_int(m, "id"), NULL);
	cr_assert_eq(full.width, 200);
	cr_assert_eq(full.height, 400);
	cr_assert_eq((int64_t)full.data.len, ag_obj_int(m, "bytes"));
	cr_assert_not(has_bytes(full.data.data, full.data.len, "Exif"), "the photo kept EXIF");
	cr_assert_not(has_bytes(full.data.data, full.data.len, "Secret Person"),
		"the photo kept a tag");
	int w, h;
	bool baseline;
	jpeg_info(full.data, &w, &h, &baseline);
	cr_assert_eq(w, 200);
	cr_assert_eq(h, 400);
	cr_assert(baseline, "the photo is not a baseline JPEG");
	/* Turned clockwise: the red top is now the right-hand side. */
	assert_colour(full.data, 180, 200, 255, 0, 0, "right half");
	assert_colour(full.data, 20, 200, 0, 0, 255, "left half");

	struct photo small = media_get(u.c, ag_obj_int(m, "id"), "thumb");
	cr_assert_eq(small.width, 160);
	cr_assert_eq(small.height, 320);
	cr_assert_eq((int64_t)small.data.len, ag_obj_int(thumb, "bytes"));
	cr_assert_not(has_bytes(small.data.data, small.data.len, "Exif"));
	jpeg_info(small.data, &w, &h, &baseline);
	cr_assert_eq(w, 160);
	cr_assert_eq(h, 320);
}

Test(media, a_large_photo_is_scaled_to_1080_and_its_thumb_to_320)
{
	need_tools();
	sh("convert -size 3000x2000 gradient:white-black -quality 80 big.jpg");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, file_bytes("big.jpg"));
	cr_assert_eq(ag_obj_int(m, "width"), 1080);
	cr_assert_eq(ag_obj_int(m, "height"), 720);
	cr_assert_eq(ag_obj_int(ag_obj_get(m, "thumb"), "width"), 320);
	cr_assert_eq(ag_obj_int(ag_obj_get(m, "thumb"), "height"), 213);
	int w, h;
	bool baseline;
	jpeg_info(media_get(u.c, ag_obj_int(m, "id"), "full").data, &w, &h, &baseline);
	cr_assert_eq(w, 1080);
	cr_assert_eq(h, 720);
	cr_assert(baseline);
}

Test(media, small_photos_are_never_scaled_up)
{
	need_tools();
	sh("convert -size 1x1 xc:green one.png");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, file_bytes("one.png"));
	cr_assert_eq(ag_obj_int(m, "width"), 1);
	cr_assert_eq(ag_obj_int(m, "height"), 1);
	cr_assert_eq(ag_obj_int(ag_obj_get(m, "thumb"), "width"), 1);
	cr_assert_eq(ag_obj_int(ag_obj_get(m, "thumb"), "height"), 1);
	struct photo p = media_get(u.c, ag_obj_int(m, "id"), NULL);
	assert_colour(p.data, 0, 0, 0, 128, 0, "the one pixel");
}

/* Transparent pixels come out white. */
Test(media, png_alpha_is_flattened_onto_white)
{
	need_tools();
	sh("convert -size 100x100 xc:none -fill red -draw 'rectangle 0,0 49,99' alpha.png");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, file_bytes("alpha.png"));
	cr_assert_eq(ag_obj_int(m, "width"), 100);
	struct photo p = media_get(u.c, ag_obj_int(m, "id"), NULL);
	assert_colour(p.data, 20, 50, 255, 0, 0, "the opaque half");
	assert_colour(p.data, 80, 50, 255, 255, 255, "the transparent half");
}

Test(media, webp_is_accepted)
{
	need_tools();
	sh("convert -size 64x48 xc:blue pic.webp");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, file_bytes("pic.webp"));
	cr_assert_eq(ag_obj_int(m, "width"), 64);
	cr_assert_eq(ag_obj_int(m, "height"), 48);
}

/* An animated GIF keeps its first frame only (red, not blue). */
Test(media, animated_gif_keeps_its_first_frame)
{
	need_tools();
	sh("convert -delay 10 -size 40x30 xc:red xc:blue -loop 0 anim.gif");
	struct h_user u;
	h_user_new(&u);
	const msgpack_object *m = upload_ok(u.c, file_bytes("anim.gif"));
	cr_assert_eq(ag_obj_int(m, "width"), 40);
	cr_assert_eq(ag_obj_int(m, "height"), 30, "the frames were stacked");
	assert_colour(media_get(u.c, ag_obj_int(m, "id"), NULL).data, 20, 15, 255, 0, 0,
		"the first frame");
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A PNG whose header claims 12000x12000 (144 megapixels) with a few bytes
 * of pixel data: refused from the header, before any decoding. */
Test(media, an_image_over_40_megapixels_is_refused_from_its_header)
{
	unsigned char png[8 + 25 + 12 + 16 + 12];
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	memcpy(png, sig, 8);
	unsigned char *ihdr = png + 8;
	put_be32(ihdr, 13);
	memcpy(ihdr + 4, "IHDR", 4);
	put_be32(ihdr + 8, 12000);
	put_be32(ihdr + 12, 12000);
	ihdr[16] = 8;   /* bit depth */
	ihdr[17] = 2;   /* RGB */
	ihdr[18] = ihdr[19] = ihdr[20] = 0;
	put_be32(ihdr + 21, h_crc32(ihdr + 4, 17));
	unsigned char *idat = ihdr + 25;
	put_be32(idat, 16);
	memcpy(idat + 4, "IDAT", 4);
	static const unsigned char zlib_start[16] = {0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D};
	memcpy(idat + 8, zlib_start, 16);
	put_be32(idat + 24, h_crc32(idat + 4, 20));
	unsigned char *iend = idat + 28;
	put_be32(iend, 0);
	memcpy(iend + 4, "IEND", 4);
	put_be32(iend + 8, h_crc32(iend + 4, 4));

	struct h_user u;
	h_user_new(&u);
	assert_refused(&u, (struct bytes){png, sizeof png}, "a 12000x12000 PNG header");
	const struct ag_reply *r = upload_raw(u.c, png, sizeof png);
	cr_assert(strstr(r->message, "megapixels"), "message: %s", r->message);
}

Test(media, truncated_jpeg_text_and_other_formats_are_refused)
{
	need_tools();
	sh("convert -size 600x400 plasma:fractal -quality 90 whole.jpg && "
		"head -c $(( $(stat -c %s whole.jpg) / 2 )) whole.jpg > half.jpg && "
		"convert -size 30x30 xc:red pic.bmp && convert -size 30x30 xc:red pic.tiff");
	struct h_user u;
	h_user_new(&u);
	assert_refused(&u, file_bytes("half.jpg"), "a truncated JPEG");
	static const char text[] = "hello, this is not a picture\n";
	assert_refused(&u, (struct bytes){(unsigned char *)text, sizeof text - 1}, "a text file");
	assert_refused(&u, file_bytes("pic.bmp"), "a BMP");
	assert_refused(&u, file_bytes("pic.tiff"), "a TIFF");
	static const unsigned char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' width='9' "
		"height='9'/>";
	assert_refused(&u, (struct bytes){(unsigned char *)svg, sizeof svg - 1}, "an SVG");
	/* The whole file is fine. */
	upload_ok(u.c, file_bytes("whole.jpg"));
}

Test(media, data_must_be_bin_of_1_byte_to_8_mib)
{
	struct h_user u;
	h_user_new(&u);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "media.upload", "data:s", "abc")->field,
		"data");
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "media.upload", "")->field, "data");
	const struct ag_reply *r = upload_raw(u.c, "", 0);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST);
	cr_assert_str_eq(r->field, "data");
	size_t over = 8 * 1024 * 1024 + 1;
	unsigned char *big = calloc(1, over);
	r = upload_raw(u.c, big, over);
	free(big);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "8 MiB + 1 gave %s", r->code_name);
	cr_assert_str_eq(r->field, "data");
	h_err(AG_E_UNAUTHORIZED, h_client(), "media.upload", "");
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 0);
}

/* A 9 MiB upload is over the frame limit: the connection is dropped (or,
 * as the contract also allows, too_large comes back), nothing is stored,
 * and the server serves on. Sent past nng, as in test_frames.c. */
Test(media, a_9_mib_upload_is_refused_and_the_server_lives_on)
{
	struct h_user u;
	h_user_new(&u);
	size_t n = 9 * 1024 * 1024;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	ag_pack_key(&pk, "v");
	msgpack_pack_uint8(&pk, 1);
	ag_pack_key(&pk, "op");
	ag_pack_str(&pk, "media.upload");
	ag_pack_key(&pk, "auth");
	ag_pack_str(&pk, u.token);
	ag_pack_key(&pk, "args");
	msgpack_pack_map(&pk, 1);
	ag_pack_key(&pk, "data");
	msgpack_pack_bin(&pk, n);
	unsigned char *junk = calloc(1, n);
	msgpack_pack_bin_body(&pk, junk, n);
	free(junk);
	int fd = h_raw_ipc_connect(h_url());
	h_raw_ipc_send(fd, 1, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	unsigned char first;
	ssize_t got = read(fd, &first, 1);
	cr_assert(got <= 0 || first == 1, "a 9 MiB frame got something other than a reply");
	close(fd);
	struct ag_client *fresh = NULL;
	cr_assert_eq(ag_client_open(&fresh, h_url(), 15000), 0);
	struct ag_reply pong;
	cr_assert_eq(ag_client_call(fresh, "server.ping", NULL, 0, NULL, &pong), 0);
	cr_assert(pong.ok);
	ag_reply_free(&pong);
	ag_client_close(fresh);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 0);
}

/* Only media.upload may pass 64 KiB: any other op, media.get included,
 * is too_large there, and so is an upload frame over 8 MiB + 4 KiB. */
Test(media, other_ops_over_64_kib_are_still_too_large)
{
	struct h_user u;
	h_user_new(&u);
	const char *pad = h_repeat("x", 70 * 1024);
	const struct ag_reply *r = h_call(u.c, "post.create", "content:s pad:s", "hi", pad);
	cr_assert_eq(r->code, AG_E_TOO_LARGE, "post.create gave %s", r->code_name);
	r = h_call(u.c, "media.get", "media_id:i pad:s", (int64_t)1, pad);
	cr_assert_eq(r->code, AG_E_TOO_LARGE, "media.get gave %s", r->code_name);
	/* An upload with room to spare in its frame is served. */
	unsigned char *junk = calloc(1, 1024 * 1024);
	r = upload_raw(u.c, junk, 1024 * 1024);
	free(junk);
	cr_assert_eq(r->code, AG_E_BAD_REQUEST, "a 1 MiB upload gave %s", r->code_name);
	cr_assert_str_eq(r->field, "data");
	cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, u.id), 0);
}

/* ---- attaching ---- */

static int64_t upload_small(struct h_user *u)
{
	sh("test -f small.png || convert -size 48x32 xc:orange small.png");
	return ag_obj_int(upload_ok(u->c, file_bytes("small.png")), "id");
}

Test(media, a_post_carries_its_photo_everywhere_it_is_returned)
{
	need_tools();
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	h_ok(fan.c, "follow.create", "user_id:i", u.id);
	int64_t mid = upload_small(&u);
	const msgpack_object *p = h_ok(u.c, "post.create", "content:s media_id:i", "#sunset", mid);
	int64_t post_id = ag_obj_int(p, "id");
	const msgpack_object *m = ag_obj_get(p, "media");
	h_assert_keys(m, MEDIA_KEYS);
	cr_assert_eq(ag_obj_int(m, "id"), mid);
	cr_assert_eq(ag_obj_int(m, "width"), 48);

	cr_assert_eq(ag_obj_int(ag_obj_get(h_ok(fan.c, "post.get", "post_id:i", post_id), "media"),
		"id"), mid);
	const msgpack_object *feed = h_ok(fan.c, "feed.get", "");
	cr_assert_eq(ag_obj_int(ag_obj_get(ag_obj_at(feed, 0), "media"), "id"), mid);
	const msgpack_object *mine = h_ok(h_client(), "user.posts", "user_id:i", u.id);
	cr_assert_eq(ag_obj_int(ag_obj_get(ag_obj_at(mine, 0), "media"), "id"), mid);
	const msgpack_object *tagged = h_ok(h_client(), "search.posts_by_hashtag", "tag:s",
		"sunset");
	cr_assert(ag_obj_len(tagged) >= 1);
	cr_assert_eq(ag_obj_int(ag_obj_get(ag_obj_at(tagged, 0), "media"), "id"), mid);

	/* A post without one says nil; a photo alone makes a post. */
	cr_assert(ag_obj_is_nil(h_ok(u.c, "post.create", "content:s", "words"), "media"));
	int64_t second = upload_small(&u);
	const msgpack_object *bare = h_ok(u.c, "post.create", "media_id:i", second);
	h_assert_str(bare, "content", NULL);
	cr_assert_eq(ag_obj_int(ag_obj_get(bare, "media"), "id"), second);
	/* Anyone may see a photo attached to a post. */
	media_get(h_client(), mid, "thumb");
	media_get(fan.c, mid, NULL);
}

Test(media, attaching_someone_elses_an_unknown_or_an_attached_photo_fails)
{
	need_tools();
	struct h_user u, other;
	h_user_new(&u);
	h_user_new(&other);
	int64_t theirs = upload_small(&other);
	int64_t mine = upload_small(&u);

	h_err(AG_E_NOT_FOUND, u.c, "post.create", "content:s media_id:i", "x", theirs);
	h_err(AG_E_NOT_FOUND, u.c, "post.create", "content:s media_id:i", "x", (int64_t)999999);
	h_err(AG_E_NOT_FOUND, u.c, "story.create", "content:s media_id:i", "x", theirs);
	h_ok(u.c, "post.create", "content:s media_id:i", "first", mine);
	h_err(AG_E_CONFLICT, u.c, "post.create", "content:s media_id:i", "again", mine);
	h_err(AG_E_CONFLICT, u.c, "story.create", "content:s media_id:i", "again", mine);
	h_err(AG_E_BAD_REQUEST, u.c, "post.create", "media_id:i", (int64_t)0);
	/* The failed ones left no post or story behind, and the other's photo
	 * is still theirs to use. */
	cr_assert_eq(h_db_int("SELECT count(*) FROM posts WHERE author_id = ?1", 1, u.id), 1);
	cr_assert_eq(h_db_int("SELECT count(*) FROM stories WHERE author_id = ?1", 1, u.id), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1 AND post_id IS NULL "
		"AND story_id IS NULL", 1, theirs), 1);
	h_ok(other.c, "story.create", "media_id:i", theirs);
}

Test(media, deleting_a_post_deletes_its_photo)
{
	need_tools();
	struct h_user u;
	h_user_new(&u);
	int64_t mid = upload_small(&u);
	int64_t post_id = ag_obj_int(h_ok(u.c, "post.create", "media_id:i", mid), "id");
	h_ok(u.c, "post.delete", "post_id:i", post_id);
	assert_not_visible(u.c, mid);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1", 1, mid), 0);
	h_assert_counters();
}

Test(media, a_story_carries_its_photo_and_deleting_it_deletes_the_photo)
{
	need_tools();
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	h_ok(fan.c, "follow.create", "user_id:i", u.id);
	int64_t mid = upload_small(&u);
	const msgpack_object *s = h_ok(u.c, "story.create", "media_id:i", mid);
	int64_t story_id = ag_obj_int(s, "id");
	cr_assert_eq(ag_obj_int(ag_obj_get(s, "media"), "id"), mid);
	const msgpack_object *feed = h_ok(fan.c, "story.feed", "");
	cr_assert_eq(ag_obj_int(ag_obj_get(ag_obj_at(feed, 0), "media"), "id"), mid);
	cr_assert_eq(ag_obj_int(ag_obj_get(ag_obj_at(h_ok(u.c, "story.list", ""), 0), "media"),
		"id"), mid);
	media_get(fan.c, mid, NULL);
	media_get(h_client(), mid, "thumb");

	h_ok(u.c, "story.delete", "story_id:i", story_id);
	assert_not_visible(u.c, mid);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1", 1, mid), 0);
}

/* Waits (up to 20 s: the sweep runs every second) until sql counts 0. */
static void wait_for_zero(const char *sql, int64_t id)
{
	int64_t until = ag_mono_ms() + 20000;
	while (h_db_int(sql, 1, id) != 0) {
		cr_assert_lt(ag_mono_ms(), until, "the sweep did not remove photo %lld",
			(long long)id);
		usleep(100 * 1000);
	}
}

Test(media, an_expired_storys_photo_is_swept)
{
	need_tools();
	struct h_user u, fan;
	h_user_new(&u);
	h_user_new(&fan);
	int64_t mid = upload_small(&u);
	int64_t story_id = ag_obj_int(h_ok(u.c, "story.create", "media_id:i", mid), "id");
	int64_t now = ag_now_ms();
	h_db_exec("UPDATE stories SET created_at = ?1, expires_at = ?2 WHERE id = ?3", 3,
		now - 25 * HOUR_MS, now - HOUR_MS, story_id);
	/* The sweep (every second) removes it; then no one gets it. */
	wait_for_zero("SELECT count(*) FROM media WHERE id = ?1", mid);
	assert_not_visible(fan.c, mid);
	assert_not_visible(u.c, mid);
}

Test(media, a_photo_never_attached_is_swept_after_a_day)
{
	need_tools();
	struct h_user u, other;
	h_user_new(&u);
	h_user_new(&other);
	int64_t old = upload_small(&u), recent = upload_small(&u);
	/* Only the uploader sees an unattached photo. */
	media_get(u.c, recent, NULL);
	assert_not_visible(other.c, recent);
	assert_not_visible(h_client(), recent);
	h_db_exec("UPDATE media SET created_at = ?1 WHERE id = ?2", 2,
		ag_now_ms() - 25 * HOUR_MS, old);
	wait_for_zero("SELECT count(*) FROM media WHERE id = ?1", old);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE id = ?1", 1, recent), 1,
		"the sweep removed a recent photo");
	h_err(AG_E_NOT_FOUND, u.c, "post.create", "media_id:i", old);
}

Test(media, size_must_be_full_or_thumb)
{
	need_tools();
	struct h_user u;
	h_user_new(&u);
	int64_t mid = upload_small(&u);
	cr_assert_str_eq(h_err(AG_E_BAD_REQUEST, u.c, "media.get", "media_id:i size:s", mid,
		"huge")->field, "size");
	h_err(AG_E_BAD_REQUEST, u.c, "media.get", "media_id:i", (int64_t)-1);
	h_err(AG_E_NOT_FOUND, u.c, "media.get", "media_id:i", (int64_t)987654);
}

/* ---- limits ---- */

Test(media, uploads_a_minute_are_limited)
{
	need_tools();
	cr_assert(h_server_start_args(&own_server, NULL,
		(const char *[]){"--media-limits", "2/200", NULL}));
	h_use_server(&own_server);
	struct h_user u, other;
	h_user_new(&u);
	h_user_new(&other);
	upload_small(&u);
	upload_small(&u);
	sh("test -f small.png");
	const struct ag_reply *r = upload_raw(u.c, file_bytes("small.png").data,
		file_bytes("small.png").len);
	cr_assert_eq(r->code, AG_E_RATE_LIMITED, "the third upload gave %s", r->code_name);
	cr_assert(r->retry_after_ms > 0 && r->retry_after_ms <= 60000, "retry_after_ms %llu",
		(unsigned long long)r->retry_after_ms);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 2);
	/* Someone else is not held back. */
	upload_small(&other);
	h_test_fini();
	cr_assert_eq(h_server_stop(&own_server), 0);
}

Test(media, bytes_a_day_are_limited)
{
	need_tools();
	cr_assert(h_server_start_args(&own_server, NULL,
		(const char *[]){"--media-limits", "100/1", NULL}));
	h_use_server(&own_server);
	sh("convert -size 600x600 xc: +noise Random -quality 98 noise.jpg");
	struct bytes noise = file_bytes("noise.jpg");
	cr_assert_gt(noise.len, 700 * 1024, "the noise fixture is only %zu bytes", noise.len);
	struct h_user u;
	h_user_new(&u);
	upload_ok(u.c, noise);  /* under 1 MiB */
	const struct ag_reply *r = upload_raw(u.c, noise.data, noise.len);
	cr_assert_eq(r->code, AG_E_RATE_LIMITED, "the second upload gave %s", r->code_name);
	cr_assert(r->retry_after_ms > 23 * HOUR_MS && r->retry_after_ms <= 24 * HOUR_MS,
		"retry_after_ms %llu", (unsigned long long)r->retry_after_ms);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 1);
	h_test_fini();
	cr_assert_eq(h_server_stop(&own_server), 0);
}

/* ---- uploads in flight ---- */

struct held_upload {
	const char *url, *token;
	const unsigned char *png;
	size_t len;
	int rv;
	bool ok;
	char code[32];
};

static void *held_upload_main(void *arg)
{
	struct held_upload *h = arg;
	struct ag_client *c = NULL;
	if ((h->rv = ag_client_open(&c, h->url, 40000)) != 0)
		return NULL;
	ag_client_set_auth(c, h->token);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	ag_pack_key(&pk, "data");
	msgpack_pack_bin(&pk, h->len);
	msgpack_pack_bin_body(&pk, h->png, h->len);
	struct ag_reply r;
	h->rv = ag_client_call(c, "media.upload", sb.data, sb.size, NULL, &r);
	msgpack_sbuffer_destroy(&sb);
	if (h->rv == 0) {
		h->ok = r.ok;
		snprintf(h->code, sizeof h->code, "%s", r.code_name);
		ag_reply_free(&r);
	}
	ag_client_close(c);
	return NULL;
}

/* How many uploads the server log says wait at the gate. */
static int waiting_at_gate(const struct h_server *s)
{
	FILE *f = fopen(s->log_path, "r");
	int n = 0;
	char line[512];
	while (f && fgets(line, sizeof line, f))
		n += strstr(line, "an upload waits at the upload gate") != NULL;
	if (f)
		fclose(f);
	return n;
}

/* With 4 large uploads held in flight (8 workers free to take more), a
 * fifth is answered rate_limited at once; a small request is still
 * served; once the 4 finish, uploads are taken again. */
Test(media, at_most_4_large_uploads_are_in_flight)
{
	sh("true");  /* makes the fixture directory */
	const char *gate = h_fmt("%s/gate", fixture_dir);
	setenv("ANSIGRAM_UPLOAD_GATE", gate, 1);
	bool started = h_server_start_args(&own_server, NULL,
		(const char *[]){"--workers", "8", NULL});
	unsetenv("ANSIGRAM_UPLOAD_GATE");
	cr_assert(started);
	h_use_server(&own_server);
	struct h_user u;
	h_user_new(&u);
	static const unsigned char grey[3] = {90, 90, 90};
	size_t len;
	const unsigned char *png = h_png(200, 200, grey, &len);  /* stored: ~120 KB */
	cr_assert_gt(len, 64 * 1024, "the photo must make a large frame");

	struct held_upload held[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		held[i] = (struct held_upload){.url = h_url(), .token = u.token, .png = png, .len = len};
		cr_assert_eq(pthread_create(&th[i], NULL, held_upload_main, &held[i]), 0);
	}
	int64_t until = ag_mono_ms() + 20000;
	while (waiting_at_gate(&own_server) < 4) {
		cr_assert_lt(ag_mono_ms(), until, "the 4 uploads never reached the gate");
		usleep(20 * 1000);
	}
	const struct ag_reply *r = h_upload_call(u.c, png, len);
	cr_assert_eq(r->code, AG_E_RATE_LIMITED, "a fifth large upload gave %s", r->code_name);
	cr_assert_eq(r->retry_after_ms, 1000);
	h_ok(u.c, "server.ping", "");

	FILE *open_gate = fopen(gate, "w");
	cr_assert_not_null(open_gate);
	fclose(open_gate);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(held[i].rv, 0, "held upload %d got no reply", i);
		cr_assert(held[i].ok, "held upload %d: %s", i, held[i].code);
	}
	cr_assert(h_upload_call(u.c, png, len)->ok, "uploads are not taken again");
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 5);
	h_test_fini();
	cr_assert_eq(h_server_stop(&own_server), 0);
}

Test(media, a_bad_media_limits_option_is_a_usage_error)
{
	const char *bin = getenv("ANSIGRAMD");
	cr_assert_not_null(bin);
	static const char *const bad[] = {"0/5", "5/", "/5", "5", "5/0", "x/y", "30/200/1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *p = popen(h_fmt("'%s' --media-limits '%s' 2>&1", bin, bad[i]), "r");
		cr_assert_not_null(p);
		char out[512] = "";
		size_t n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		int status = pclose(p);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "--media-limits %s: status %d",
			bad[i], status);
		cr_assert(strstr(out, "--media-limits wants N/MIB"), "--media-limits %s: %s", bad[i],
			out);
	}
}

/* The pid the server wrote into its database's lock file. */
static pid_t server_pid(const struct h_server *s)
{
	const char *text = h_read_file(h_fmt("%s.lock", s->db_path));
	cr_assert_not_null(text);
	return (pid_t)atoi(text);
}

/* The start of a /proc file (up to 4 KiB), or NULL when it is gone. */
static const char *proc_line(const char *path)
{
	static char line[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = '\0';
	return line;
}

/* Whether any line of /proc/PID/maps names lib. */
static bool maps_library(pid_t pid, const char *lib)
{
	FILE *f = fopen(h_fmt("/proc/%d/maps", (int)pid), "r");
	cr_assert_not_null(f);
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, lib) != NULL;
	fclose(f);
	return found;
}

/* Images are decoded by ansigramd-media processes: the server never maps
 * an image library, and a decoder that dies costs no upload. */
Test(media, the_server_decodes_no_image_itself_and_outlives_its_decoders)
{
	cr_assert(h_server_start(&own_server, NULL));
	h_use_server(&own_server);
	struct h_user u;
	h_user_new(&u);
	cr_assert_gt(h_upload_photo(u.c), 0);
	pid_t pid = server_pid(&own_server);
	cr_assert_not(maps_library(pid, "libvips"), "ansigramd maps libvips itself");
	cr_assert_not(maps_library(pid, "libjpeg"), "ansigramd maps libjpeg itself");

	pid_t decoders[8];
	int n = proc_children(pid, decoders, 8);
	cr_assert_geq(n, 1, "no decoder process runs after an upload");
	for (int i = 0; i < n; i++) {
		const char *exe = proc_line(h_fmt("/proc/%d/cmdline", (int)decoders[i]));
		cr_assert(exe && strstr(exe, "ansigramd-media"), "a child that is not a decoder: %s",
			exe ? exe : "?");
		cr_assert_eq(kill(decoders[i], SIGKILL), 0);
	}
	/* Every decoder is dead: the next uploads still succeed. */
	for (int i = 0; i < 3; i++)
		cr_assert_gt(h_upload_photo(u.c), 0);
	cr_assert_eq(h_db_int("SELECT count(*) FROM media WHERE owner_id = ?1", 1, u.id), 4);
	cr_assert_not_null(strstr(h_read_file(own_server.log_path), "failed on an upload"),
		"the server did not say a decoder failed");
}

/* A decoder with no upload for a while (a minute; here half a second)
 * is stopped, and the next upload starts one again. */
Test(media, idle_decoders_stop_and_come_back)
{
	setenv("ANSIGRAM_DECODER_IDLE_MS", "500", 1);
	bool started = h_server_start(&own_server, NULL);
	unsetenv("ANSIGRAM_DECODER_IDLE_MS");
	cr_assert(started);
	h_use_server(&own_server);
	struct h_user u;
	h_user_new(&u);
	cr_assert_gt(h_upload_photo(u.c), 0);
	pid_t pid = server_pid(&own_server), decoders[8];
	cr_assert_geq(proc_children(pid, decoders, 8), 1, "no decoder runs after an upload");
	int left = 1;
	for (int waited = 0; waited < 10000 && left > 0; waited += 100) {
		usleep(100 * 1000);
		left = proc_children(pid, decoders, 8);
	}
	cr_assert_eq(left, 0, "an idle decoder still runs 10 s after the last upload");
	cr_assert_gt(h_upload_photo(u.c), 0);
	cr_assert_geq(proc_children(pid, decoders, 8), 1, "no decoder came back for an upload");
}
