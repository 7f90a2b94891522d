/* test_links.c: what `o` does with an external image URL
 * (tui/app/links.h): only http(s) links without controls are taken; with
 * no graphical session the link is copied with OSC 52 (base64 checked by
 * decoding it); with one, xdg-open is started (a stand-in on PATH that
 * records its argument). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "links.h"

static char written[8192];
static size_t written_len;

static void capture(const char *s, size_t len)
{
	cr_assert_lt(written_len + len, sizeof written);
	memcpy(written + written_len, s, len);
	written_len += len;
	written[written_len] = '\0';
}

/* Decodes base64 (no checks beyond the alphabet) into out. */
static void unbase64(const char *in, size_t n, char *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i + 3 < n + 1 && i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char ch = in[i + k];
			if (ch == '=') {
				pad++;
				v <<= 6;
				continue;
			}
			const char *at = strchr(b64, ch);
			cr_assert_not_null(at, "not base64: %c", ch);
			v = (v << 6) | (unsigned)(at - b64);
		}
		out[o++] = (char)(v >> 16);
		if (pad < 2)
			out[o++] = (char)(v >> 8);
		if (pad < 1)
			out[o++] = (char)v;
	}
	out[o] = '\0';
}

Test(links, only_web_links)
{
	cr_assert(link_ok("https://example.com/a.jpg"));
	cr_assert(link_ok("http://example.com/"));
	cr_assert_not(link_ok("file:///etc/passwd"));
	cr_assert_not(link_ok("javascript:alert(1)"));
	cr_assert_not(link_ok("https://example.com/a b"));
	cr_assert_not(link_ok("https://example.com/\x1b]52;c;x\a"));
	char done[200];
	written_len = 0;
	cr_assert_not(link_open("ftp://example.com/x", capture, done, sizeof done));
	cr_assert_eq(written_len, 0);
}

Test(links, osc52_holds_the_url_in_base64)
{
	const char *urls[] = {"https://e.io/a", "https://e.io/ab", "https://e.io/abc"};
	for (size_t i = 0; i < 3; i++) {
		char seq[256], decoded[256];
		size_t n = link_osc52(urls[i], seq, sizeof seq);
		cr_assert_gt(n, 8);
		cr_assert_eq(strncmp(seq, "\033]52;c;", 7), 0);
		cr_assert_eq(seq[n - 1], '\a');
		unbase64(seq + 7, n - 8, decoded);
		cr_assert_str_eq(decoded, urls[i]);
	}
	char tiny[10];
	cr_assert_eq(link_osc52("https://example.com/long", tiny, sizeof tiny), 0);
}

Test(links, copied_without_a_graphical_session)
{
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	written_len = 0;
	char done[200];
	cr_assert(link_open("https://example.com/p.jpg", capture, done, sizeof done));
	cr_assert(strstr(done, "Copied"), "%s", done);
	cr_assert_eq(strncmp(written, "\033]52;c;", 7), 0, "%s", written);
}

Test(links, opened_with_xdg_open_where_there_is_a_display)
{
	char bin[] = "/tmp/ag-links-XXXXXX";
	cr_assert_not_null(mkdtemp(bin));
	char script[128], record[128];
	snprintf(script, sizeof script, "%s/xdg-open", bin);
	snprintf(record, sizeof record, "%s/opened", bin);
	FILE *f = fopen(script, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nprintf '%%s' \"$1\" > '%s.tmp' && mv '%s.tmp' '%s'\n", record,
		record, record);
	fclose(f);
	cr_assert_eq(chmod(script, 0755), 0);
	char path[256];
	snprintf(path, sizeof path, "%s:/usr/bin:/bin", bin);
	setenv("PATH", path, 1);
	setenv("DISPLAY", ":0", 1);
	written_len = 0;
	char done[200];
	cr_assert(link_open("https://example.com/p.jpg", capture, done, sizeof done));
	cr_assert(strstr(done, "Opening"), "%s", done);
	cr_assert_eq(written_len, 0, "nothing copied when opened");
	/* The opener runs detached: wait for its record, with a deadline. */
	char got[256] = "";
	for (int i = 0; i < 1000 && got[0] == '\0'; i++) {
		FILE *r = fopen(record, "r");
		if (r) {
			if (fgets(got, sizeof got, r) == NULL)
				got[0] = '\0';
			fclose(r);
		}
		if (got[0] == '\0') {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	cr_assert_str_eq(got, "https://example.com/p.jpg");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "/bin/rm -rf '%s'", bin);
	cr_assert_eq(system(cmd), 0);
}
