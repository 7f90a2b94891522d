/* test_termprobe.c: choosing the photo mode (tui/photo/termprobe.h): the
 * images setting, blocks inside tmux, terminals known by name, the kitty,
 * DA1 and cell size answers parsed from a terminal, the colour depth of
 * blocks (NO_COLOR: none); and a real query over a pseudo-terminal whose
 * other end answers as a sixel terminal would, or not at all. */
#include <criterion/criterion.h>
#include <pty.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "termprobe.h"

Test(termprobe, settings_parse)
{
	enum images_setting s;
	cr_assert(images_setting_parse("auto", &s) && s == IMAGES_AUTO);
	cr_assert(images_setting_parse("Kitty", &s) && s == IMAGES_KITTY);
	cr_assert(images_setting_parse("sixel", &s) && s == IMAGES_SIXEL);
	cr_assert(images_setting_parse("iterm", &s) && s == IMAGES_ITERM);
	cr_assert(images_setting_parse("blocks", &s) && s == IMAGES_BLOCKS);
	cr_assert(images_setting_parse("off", &s) && s == IMAGES_OFF);
	s = IMAGES_OFF;
	cr_assert_not(images_setting_parse("ascii", &s));
	cr_assert_not(images_setting_parse("", &s));
	cr_assert_eq(s, IMAGES_OFF);
}

Test(termprobe, explicit_settings_win)
{
	struct term_env e = {.term = "xterm-kitty", .tmux = "/tmp/tmux-1/default,1,0"};
	cr_assert_eq(termprobe_choose(IMAGES_SIXEL, &e, NULL, true), PHOTO_SIXEL);
	cr_assert_eq(termprobe_choose(IMAGES_ITERM, &e, NULL, true), PHOTO_ITERM);
	cr_assert_eq(termprobe_choose(IMAGES_OFF, &e, NULL, true), PHOTO_OFF);
	struct term_env plain = {.term = "xterm-256color"};
	cr_assert_eq(termprobe_choose(IMAGES_KITTY, &plain, NULL, true), PHOTO_KITTY);
}

Test(termprobe, tmux_gets_blocks)
{
	struct term_reply r = {.answered = true, .sixel = true, .kitty = true};
	struct term_env e = {.term = "xterm-kitty", .tmux = "/tmp/tmux-1/default,1,0"};
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &e, &r, true), PHOTO_BLOCKS_256);
	struct term_env screen = {.term = "screen-256color", .colorterm = "truecolor"};
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &screen, &r, true), PHOTO_BLOCKS_TRUECOLOR);
	struct term_env tmuxterm = {.term = "tmux-256color"};
	cr_assert(termprobe_env_decides(&tmuxterm));
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &tmuxterm, &r, true), PHOTO_BLOCKS_256);
}

Test(termprobe, terminals_known_by_name)
{
	struct term_env kitty = {.term = "xterm-256color", .kitty_window_id = "3"};
	cr_assert(termprobe_env_decides(&kitty));
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &kitty, NULL, true), PHOTO_KITTY);
	struct term_env kitty_term = {.term = "xterm-kitty"};
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &kitty_term, NULL, true), PHOTO_KITTY);
	struct term_env iterm = {.term = "xterm-256color", .term_program = "iTerm.app"};
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &iterm, NULL, true), PHOTO_ITERM);
	struct term_env xterm = {.term = "xterm-256color"};
	cr_assert_not(termprobe_env_decides(&xterm));
}

Test(termprobe, replies_decide_auto)
{
	struct term_env xterm = {.term = "xterm-256color", .colorterm = "truecolor"};
	struct term_reply r = {0};
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &xterm, &r, true), PHOTO_BLOCKS_TRUECOLOR);
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &xterm, NULL, true), PHOTO_BLOCKS_TRUECOLOR);
	r.sixel = true;
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &xterm, &r, true), PHOTO_SIXEL);
	r.kitty = true;
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &xterm, &r, true), PHOTO_KITTY);
}

Test(termprobe, colour_depth_of_blocks)
{
	struct term_env e = {.term = "xterm-256color"};
	cr_assert_eq(termprobe_choose(IMAGES_BLOCKS, &e, NULL, true), PHOTO_BLOCKS_256);
	cr_assert_eq(termprobe_choose(IMAGES_BLOCKS, &e, NULL, false), PHOTO_BLOCKS_MONO);
	e.colorterm = "24bit";
	cr_assert_eq(termprobe_choose(IMAGES_BLOCKS, &e, NULL, true), PHOTO_BLOCKS_TRUECOLOR);
	e.no_color = "1";
	cr_assert_eq(termprobe_choose(IMAGES_BLOCKS, &e, NULL, true), PHOTO_BLOCKS_MONO);
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &e, NULL, true), PHOTO_BLOCKS_MONO);
	/* An empty NO_COLOR does not count. */
	e.no_color = "";
	cr_assert_eq(termprobe_choose(IMAGES_AUTO, &e, NULL, true), PHOTO_BLOCKS_TRUECOLOR);
	struct term_env direct = {.term = "xterm-direct"};
	cr_assert_eq(termprobe_choose(IMAGES_BLOCKS, &direct, NULL, true), PHOTO_BLOCKS_TRUECOLOR);
}

Test(termprobe, parses_answers_in_any_order)
{
	struct term_reply r = {0};
	const char *only_da1 = "\033[?62;22c";
	cr_assert(termprobe_parse(only_da1, strlen(only_da1), &r));
	cr_assert(r.answered);
	cr_assert_not(r.sixel);
	cr_assert_not(r.kitty);

	memset(&r, 0, sizeof r);
	const char *all = "x\033_Gi=31;OK\033\\\033[6;18;9t\033[?63;1;4;22c";
	cr_assert(termprobe_parse(all, strlen(all), &r));
	cr_assert(r.kitty);
	cr_assert(r.sixel);
	cr_assert_eq(r.cell_w, 9);
	cr_assert_eq(r.cell_h, 18);

	memset(&r, 0, sizeof r);
	const char *refused = "\033_Gi=31;ENOTSUPPORTED:no\033\\\033[?64;40;4";
	cr_assert_not(termprobe_parse(refused, strlen(refused), &r), "DA1 cut short");
	cr_assert_not(r.kitty);
	cr_assert_not(r.sixel);
	/* 14 is not 4. */
	memset(&r, 0, sizeof r);
	const char *fourteen = "\033[?62;14c";
	cr_assert(termprobe_parse(fourteen, strlen(fourteen), &r));
	cr_assert_not(r.sixel);
}

struct answerer {
	int master;
	const char *answer;
};

/* Reads the queries on the pty's master side up to the DA1 query (ESC [
 * c), then writes the answer, if any. */
static void *answer_queries(void *arg)
{
	struct answerer *a = arg;
	char buf[256];
	size_t used = 0;
	while (used < sizeof buf - 1) {
		ssize_t n = read(a->master, buf + used, sizeof buf - 1 - used);
		if (n <= 0)
			return NULL;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "\033[c"))
			break;
	}
	if (a->answer)
		cr_assert_eq(write(a->master, a->answer, strlen(a->answer)), (ssize_t)strlen(a->answer));
	return NULL;
}

static void query_pty(const char *answer, int timeout_ms, struct term_reply *r)
{
	int master, slave;
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, &ws), 0);
	struct answerer a = {.master = master, .answer = answer};
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, answer_queries, &a), 0);
	cr_assert_eq(termprobe_query(slave, timeout_ms, r), 0);
	close(slave);
	pthread_join(t, NULL);
	close(master);
}

Test(termprobe, query_reads_a_sixel_terminal)
{
	struct term_reply r;
	/* A long deadline: the answer ends the wait, not the clock. */
	query_pty("\033[6;20;10t\033[?62;4;22c", 10000, &r);
	cr_assert(r.answered);
	cr_assert(r.sixel);
	cr_assert_not(r.kitty);
	cr_assert_eq(r.cell_w, 10);
	cr_assert_eq(r.cell_h, 20);
}

Test(termprobe, query_gives_up_on_a_silent_terminal)
{
	struct term_reply r;
	query_pty(NULL, 150, &r);
	cr_assert_not(r.answered);
	cr_assert_not(r.sixel);
	cr_assert_not(r.kitty);
}

Test(termprobe, query_refuses_a_non_terminal)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	struct term_reply r;
	cr_assert_eq(termprobe_query(fds[0], 100, &r), -1);
	close(fds[0]);
	close(fds[1]);
}
