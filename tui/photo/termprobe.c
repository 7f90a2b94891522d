/* termprobe.c: picks the photo mode for this terminal from the images
 * setting, the environment and the terminal's answers to three queries. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "termprobe.h"

bool images_setting_parse(const char *s, enum images_setting *out)
{
	static const struct {
		const char *name;
		enum images_setting v;
	} names[] = {
		{"auto", IMAGES_AUTO}, {"kitty", IMAGES_KITTY}, {"sixel", IMAGES_SIXEL},
		{"iterm", IMAGES_ITERM}, {"blocks", IMAGES_BLOCKS}, {"off", IMAGES_OFF},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].v;
			return true;
		}
	return false;
}

void term_env_from_process(struct term_env *e)
{
	e->term = getenv("TERM");
	e->term_program = getenv("TERM_PROGRAM");
	e->kitty_window_id = getenv("KITTY_WINDOW_ID");
	e->tmux = getenv("TMUX");
	e->colorterm = getenv("COLORTERM");
	e->no_color = getenv("NO_COLOR");
}

static bool set(const char *v)
{
	return v != NULL && v[0] != '\0';
}

static bool starts(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool in_tmux(const struct term_env *e)
{
	return set(e->tmux) || starts(e->term, "screen") || starts(e->term, "tmux");
}

/* The graphics mode the terminal's name gives, or PHOTO_OFF for none. */
static enum photo_mode by_name(const struct term_env *e)
{
	if (set(e->kitty_window_id) || (e->term && strcmp(e->term, "xterm-kitty") == 0))
		return PHOTO_KITTY;
	if (e->term_program && strcmp(e->term_program, "ghostty") == 0)
		return PHOTO_KITTY;
	if (e->term_program && (strcmp(e->term_program, "iTerm.app") == 0 ||
			strcmp(e->term_program, "WezTerm") == 0))
		return PHOTO_ITERM;
	if (starts(e->term, "mlterm") || starts(e->term, "foot") || starts(e->term, "contour"))
		return PHOTO_SIXEL;
	return PHOTO_OFF;
}

bool termprobe_env_decides(const struct term_env *e)
{
	return in_tmux(e) || by_name(e) != PHOTO_OFF;
}

static enum photo_mode blocks(const struct term_env *e, bool color)
{
	if (!color || set(e->no_color))
		return PHOTO_BLOCKS_MONO;
	if (e->colorterm && (strcasecmp(e->colorterm, "truecolor") == 0 ||
			strcasecmp(e->colorterm, "24bit") == 0))
		return PHOTO_BLOCKS_TRUECOLOR;
	if (e->term && strstr(e->term, "-direct"))
		return PHOTO_BLOCKS_TRUECOLOR;
	return PHOTO_BLOCKS_256;
}

enum photo_mode termprobe_choose(enum images_setting setting, const struct term_env *e,
	const struct term_reply *r, bool color)
{
	switch (setting) {
	case IMAGES_OFF: return PHOTO_OFF;
	case IMAGES_KITTY: return PHOTO_KITTY;
	case IMAGES_SIXEL: return PHOTO_SIXEL;
	case IMAGES_ITERM: return PHOTO_ITERM;
	case IMAGES_BLOCKS: return blocks(e, color);
	case IMAGES_AUTO: break;
	}
	/* tmux passes graphics escapes on only when told to, and then draws
	 * them in the wrong place after a scroll: blocks there. */
	if (in_tmux(e))
		return blocks(e, color);
	enum photo_mode named = by_name(e);
	if (named != PHOTO_OFF)
		return named;
	if (r && r->kitty)
		return PHOTO_KITTY;
	if (r && r->sixel)
		return PHOTO_SIXEL;
	return blocks(e, color);
}

/* Reads a number at s[*i]; -1 when there is none. */
static long number(const char *s, size_t len, size_t *i)
{
	long v = -1;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = (v < 0 ? 0 : v * 10) + (s[*i] - '0');
		if (v > 100000)
			v = 100000;
		(*i)++;
	}
	return v;
}

bool termprobe_parse(const char *buf, size_t len, struct term_reply *r)
{
	bool da1 = false;
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\033')
			continue;
		if (buf[i + 1] == '_' && i + 2 < len && buf[i + 2] == 'G') {
			/* ESC _ G i=31;OK ESC \ : the kitty graphics answer. */
			size_t j = i + 3;
			while (j < len && buf[j] != ';' && buf[j] != '\033')
				j++;
			if (j + 2 < len && buf[j] == ';' && buf[j + 1] == 'O' && buf[j + 2] == 'K')
				r->kitty = true;
			continue;
		}
		if (buf[i + 1] != '[')
			continue;
		size_t j = i + 2;
		if (j < len && buf[j] == '?') {
			/* ESC [ ? 62 ; 4 ; 22 c : DA1, attribute 4 is sixel. */
			j++;
			bool sixel = false;
			for (;;) {
				long v = number(buf, len, &j);
				if (v == 4)
					sixel = true;
				if (j < len && buf[j] == ';') {
					j++;
					continue;
				}
				break;
			}
			if (j < len && buf[j] == 'c') {
				da1 = true;
				r->answered = true;
				if (sixel)
					r->sixel = true;
			}
			continue;
		}
		/* ESC [ 6 ; height ; width t : the cell size in pixels. */
		if (number(buf, len, &j) == 6 && j < len && buf[j] == ';') {
			j++;
			long h = number(buf, len, &j);
			if (j < len && buf[j] == ';') {
				j++;
				long w = number(buf, len, &j);
				if (j < len && buf[j] == 't' && h > 0 && w > 0 && h < 1000 && w < 1000) {
					r->cell_w = (int)w;
					r->cell_h = (int)h;
				}
			}
		}
	}
	return da1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool termprobe_cell_size(int fd, int *cell_w, int *cell_h)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0 ||
			ws.ws_xpixel == 0 || ws.ws_ypixel == 0)
		return false;
	*cell_w = ws.ws_xpixel / ws.ws_col;
	*cell_h = ws.ws_ypixel / ws.ws_row;
	return *cell_w > 0 && *cell_h > 0;
}

int termprobe_query(int fd, int timeout_ms, struct term_reply *r)
{
	memset(r, 0, sizeof *r);
	struct termios saved, raw;
	if (!isatty(fd) || tcgetattr(fd, &saved) != 0)
		return -1;
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) != 0)
		return -1;
	/* The kitty graphics query (a 1x1 pixel that is never shown), the
	 * cell size, then DA1, which every terminal answers: its answer ends
	 * the wait. */
	static const char ask[] = "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\"
		"\033[16t" "\033[c";
	size_t off = 0;
	while (off < sizeof ask - 1) {
		ssize_t n = write(fd, ask + off, sizeof ask - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	char buf[512];
	size_t used = 0;
	long long deadline = now_ms() + timeout_ms;
	while (off == sizeof ask - 1 && used < sizeof buf) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t n = read(fd, buf + used, sizeof buf - used);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		struct term_reply got = {0};
		if (termprobe_parse(buf, used, &got)) {
			*r = got;
			break;
		}
	}
	if (!r->answered)
		termprobe_parse(buf, used, r);
	tcsetattr(fd, TCSANOW, &saved);
	int cw, ch;
	if (r->cell_w == 0 && termprobe_cell_size(fd, &cw, &ch)) {
		r->cell_w = cw;
		r->cell_h = ch;
	}
	return 0;
}
