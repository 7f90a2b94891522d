/* theme.c: the colours. A theme gives every role on screen (the header,
 * tabs, the status bar, authors, #tags, times, borders...) a foreground,
 * a background and attributes, in lines of "role = fg [bg] [attrs]".
 * Bundled themes are such text; a user's own theme is a file of it in
 * $XDG_CONFIG_HOME/ansigram/themes/NAME. Colours are the terminal's
 * default, names of the 16, 0..255, or #rrggbb, mapped to what the
 * terminal has when it is drawn: direct colour, 256, 16 or 8. Without
 * colours (NO_COLOR, colors = off, a monochrome terminal) each role has
 * fixed attributes instead. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "paths.h"
#include "ui.h"

static attr_t roles[TH__COUNT];

/* The names roles have in theme files, by enum role. */
static const char *const role_names[TH__COUNT] = {
	[TH_NORMAL] = "text", [TH_DIM] = "dim", [TH_BOLD] = "bold", [TH_ACCENT] = "accent",
	[TH_TAG] = "tag", [TH_MENTION] = "mention", [TH_URL] = "url", [TH_AUTHOR] = "author",
	[TH_LIKED] = "liked", [TH_ERROR] = "error", [TH_OK] = "ok", [TH_WARN] = "warning",
	[TH_BAR] = "status", [TH_BAR_KEY] = "status_key", [TH_TAB] = "tab",
	[TH_TAB_ON] = "tab_active", [TH_BADGE] = "badge", [TH_SELECT] = "selection",
	[TH_UNREAD] = "unread", [TH_BANNER] = "banner", [TH_BUBBLE_ME] = "bubble_mine",
	[TH_BUBBLE_THEM] = "bubble_theirs", [TH_RING] = "story_unseen",
	[TH_RING_SEEN] = "story_seen", [TH_PROGRESS] = "progress",
	[TH_PROGRESS_BG] = "progress_rest", [TH_INPUT] = "input", [TH_TITLE] = "title",
	[TH_BRAND] = "brand", [TH_HEADER] = "header", [TH_HANDLE] = "handle", [TH_LIVE] = "live",
	[TH_OFFLINE] = "offline", [TH_TIME] = "time", [TH_COUNT] = "count",
	[TH_BORDER] = "border", [TH_PANEL] = "panel", [TH_TAG_TITLE] = "tag_title",
	[TH_FOLLOWING] = "following", [TH_PLACEHOLDER] = "placeholder",
	[TH_STORY_SELECTED] = "story_selected",
};

/* dark: the default, for dark backgrounds, in 256 colours. */
static const char theme_dark[] =
	"text = default\n" "dim = 244\n" "bold = default bold\n" "accent = 205 bold\n"
	"tag = 39\n" "mention = 141\n" "url = 37 underline\n" "author = 255 bold\n"
	"liked = 197 bold\n" "error = 203 bold\n" "ok = 78\n" "warning = 214\n"
	"status = 252 236\n" "status_key = 205 236 bold\n" "tab = 248\n"
	"tab_active = 231 161 bold\n" "badge = 231 197 bold\n" "selection = 205 bold\n"
	"unread = 231 bold\n" "banner = 231 25 bold\n" "bubble_mine = 231 25\n"
	"bubble_theirs = 253 238\n" "story_unseen = 205 bold\n" "story_seen = 242\n"
	"progress = 231 bold\n" "progress_rest = 240\n" "input = default 235\n"
	"title = 255 bold\n" "brand = 205 bold\n" "header = default\n" "handle = 244\n"
	"live = 205 236 bold\n" "offline = 252 236 bold\n" "time = 244\n" "count = default\n"
	"border = 244\n" "panel = 205 bold\n" "tag_title = 39 bold\n" "following = 248 bold\n"
	"placeholder = default 235 dim\n" "story_selected = 205 bold reverse\n";

/* ansi16: the terminal's own palette only (and dark's look on terminals
 * with fewer than 256 colours). */
static const char theme_ansi16[] =
	"text = default\n" "dim = default dim\n" "bold = default bold\n"
	"accent = magenta bold\n" "tag = cyan\n" "mention = magenta\n" "url = blue underline\n"
	"author = default bold\n" "liked = red bold\n" "error = red bold\n" "ok = green\n"
	"warning = yellow\n" "status = white black reverse\n" "status_key = magenta white bold\n"
	"tab = default\n" "tab_active = white magenta bold\n" "badge = white red bold\n"
	"selection = magenta bold\n" "unread = default bold\n" "banner = white blue bold\n"
	"bubble_mine = white blue\n" "bubble_theirs = default default reverse\n"
	"story_unseen = magenta bold\n" "story_seen = default dim\n" "progress = default bold\n"
	"progress_rest = default dim\n" "input = default default underline\n"
	"title = default bold\n" "brand = magenta bold\n" "header = default\n"
	"handle = default dim\n" "live = magenta white bold\n"
	"offline = white black reverse bold\n" "time = default dim\n" "count = default\n"
	"border = default dim\n" "panel = magenta bold\n" "tag_title = cyan bold\n"
	"following = default bold\n" "placeholder = default default underline dim\n"
	"story_selected = magenta bold reverse\n";

/* light: for light backgrounds. */
static const char theme_light[] =
	"text = default\n" "dim = 244\n" "bold = default bold\n" "accent = 162 bold\n"
	"tag = 25\n" "mention = 91\n" "url = 30 underline\n" "author = 235 bold\n"
	"liked = 161 bold\n" "error = 160 bold\n" "ok = 28\n" "warning = 130\n"
	"status = 236 252\n" "status_key = 162 252 bold\n" "tab = 240 254\n"
	"tab_active = 231 162 bold\n" "badge = 231 161 bold\n" "selection = 162 bold\n"
	"unread = 232 bold\n" "banner = 231 25 bold\n" "bubble_mine = 231 25\n"
	"bubble_theirs = 235 254\n" "story_unseen = 162 bold\n" "story_seen = 248\n"
	"progress = 235 bold\n" "progress_rest = 250\n" "input = default 254\n"
	"title = 232 bold\n" "brand = 162 254 bold\n" "header = 236 254\n" "handle = 240 254\n"
	"live = 28 252 bold\n" "offline = 160 252 bold\n" "time = 243\n" "count = default\n"
	"border = 250\n" "panel = 162 bold\n" "tag_title = 25 bold\n" "following = 240 bold\n"
	"placeholder = 246 254\n" "story_selected = 162 bold reverse\n";

/* high-contrast: black and white with bright yellow and cyan. */
static const char theme_high_contrast[] =
	"text = 231\n" "dim = 250\n" "bold = 231 bold\n" "accent = 226 bold\n"
	"tag = 51 bold\n" "mention = 213 bold\n" "url = 51 underline\n" "author = 231 bold\n"
	"liked = 196 bold\n" "error = 196 bold\n" "ok = 46 bold\n" "warning = 226 bold\n"
	"status = 16 231\n" "status_key = 16 226 bold\n" "tab = 231 16\n"
	"tab_active = 16 226 bold\n" "badge = 16 226 bold\n" "selection = 226 bold\n"
	"unread = 231 bold underline\n" "banner = 16 51 bold\n" "bubble_mine = 16 226\n"
	"bubble_theirs = 16 231\n" "story_unseen = 226 bold\n" "story_seen = 250\n"
	"progress = 231 bold\n" "progress_rest = 244\n" "input = 231 236 underline\n"
	"title = 231 bold underline\n" "brand = 226 16 bold\n" "header = 231 16\n"
	"handle = 231 16\n" "live = 16 46 bold\n" "offline = 231 196 bold\n" "time = 250\n"
	"count = 231 bold\n" "border = 231\n" "panel = 226 bold\n"
	"tag_title = 51 bold underline\n" "following = 231 bold\n" "placeholder = 250 236\n"
	"story_selected = 16 226 bold\n";

static const struct {
	const char *name, *text;
} bundled[] = {
	{"dark", theme_dark},
	{"light", theme_light},
	{"high-contrast", theme_high_contrast},
	{"ansi16", theme_ansi16},
};

static const char *const colour_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue",
	"bright-magenta", "bright-cyan", "bright-white",
};

/* Reads one colour word into *out; false when it is not a colour. */
static bool parse_colour(const char *word, int *out)
{
	if (strcasecmp(word, "default") == 0) {
		*out = THEME_DEFAULT;
		return true;
	}
	/* "bright-red", "bright_red", "brightred" and "Bright-Red" are all
	 * bright-red. */
	char name[24];
	size_t len = 0;
	for (const char *p = word; *p && len + 2 < sizeof name; p++) {
		if (*p == '_' || *p == '-')
			continue;
		name[len++] = (char)tolower((unsigned char)*p);
		if (len == 6 && strncmp(name, "bright", 6) == 0)
			name[len++] = '-';
	}
	name[len] = '\0';
	for (int i = 0; i < 16; i++)
		if (strcmp(name, colour_names[i]) == 0) {
			*out = i;
			return true;
		}
	if (strcasecmp(word, "gray") == 0 || strcasecmp(word, "grey") == 0) {
		*out = 8;
		return true;
	}
	if (word[0] == '#') {
		if (strlen(word) != 7)
			return false;
		for (int i = 1; i < 7; i++)
			if (!isxdigit((unsigned char)word[i]))
				return false;
		*out = THEME_RGB | (int)strtol(word + 1, NULL, 16);
		return true;
	}
	if (!isdigit((unsigned char)word[0]) || strlen(word) > 3)
		return false;
	for (const char *p = word; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	int n = atoi(word);
	if (n > 255)
		return false;
	*out = n;
	return true;
}

static bool parse_attr(const char *word, attr_t *out)
{
	static const struct {
		const char *name;
		attr_t attr;
	} attrs[] = {
		{"bold", A_BOLD}, {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
		{"dim", A_DIM}, {"normal", A_NORMAL},
	};
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
		if (strcasecmp(word, attrs[i].name) == 0) {
			*out |= attrs[i].attr;
			return true;
		}
	return false;
}

/* Parses "role = fg [bg] [attrs...]" into t; false with why otherwise
 * (t is then unchanged). */
static bool parse_line(struct theme *t, char *line, char *why, size_t why_size)
{
	char *eq = strchr(line, '=');
	if (eq == NULL) {
		snprintf(why, why_size, "expected role = colour [background] [attributes]");
		return false;
	}
	*eq = '\0';
	char *name = strtok(line, " \t");
	if (name == NULL || strtok(NULL, " \t") != NULL) {
		snprintf(why, why_size, "expected one role name before '='");
		return false;
	}
	int role = -1;
	for (int r = 0; r < TH__COUNT; r++)
		if (strcmp(name, role_names[r]) == 0)
			role = r;
	if (role < 0) {
		snprintf(why, why_size, "unknown role '%.40s'", name);
		return false;
	}
	struct role_style st = {THEME_DEFAULT, THEME_DEFAULT, A_NORMAL};
	int colours = 0;
	for (char *word = strtok(eq + 1, " \t"); word; word = strtok(NULL, " \t")) {
		int c;
		if (parse_attr(word, &st.attrs))
			continue;
		if (!parse_colour(word, &c)) {
			snprintf(why, why_size, "'%.40s' is not a colour (a name of the 16, 0..255 or "
				"#rrggbb) nor bold, underline, reverse or dim", word);
			return false;
		}
		if (colours == 2) {
			snprintf(why, why_size, "more than two colours for %s", name);
			return false;
		}
		if (colours++ == 0)
			st.fg = c;
		else
			st.bg = c;
	}
	if (colours == 0) {
		snprintf(why, why_size, "no colour for %s", name);
		return false;
	}
	t->style[role] = st;
	return true;
}

/* True when the '#' at hash starts a comment: at the line's start or
 * after a space, and not a #rrggbb colour. */
static bool comment_at(const char *line, const char *hash)
{
	if (hash != line && !isspace((unsigned char)hash[-1]))
		return false;
	for (int i = 1; i <= 6; i++)
		if (!isxdigit((unsigned char)hash[i]))
			return true;
	return hash[7] != '\0' && !isspace((unsigned char)hash[7]);
}

/* Applies theme text to t; each bad line is skipped and reported with
 * where it came from. */
static void parse_text(struct config *cfg, struct theme *t, const char *text, const char *where)
{
	const char *p = text;
	int line_no = 0;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[512];
		line_no++;
		if (len >= sizeof line) {
			config_warn(cfg, "%s line %d: too long", where, line_no);
		} else {
			memcpy(line, p, len);
			line[len] = '\0';
			char *hash = strchr(line, '#');
			while (hash && !comment_at(line, hash))
				hash = strchr(hash + 1, '#');
			if (hash)
				*hash = '\0';
			char *s = line;
			while (isspace((unsigned char)*s))
				s++;
			char why[200];
			if (*s && !parse_line(t, s, why, sizeof why))
				config_warn(cfg, "%s line %d: %s", where, line_no, why);
		}
		p += len + (end ? 1 : 0);
	}
}

bool theme_name_ok(const char *name)
{
	if (name[0] == '\0' || name[0] == '.' || strlen(name) >= sizeof ((struct theme *)0)->name)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

void theme_load(struct config *cfg, const char *name, bool read_files)
{
	struct theme *t = &cfg->theme;
	memset(t, 0, sizeof *t);
	parse_text(cfg, t, theme_dark, "theme dark");
	snprintf(t->name, sizeof t->name, "dark");
	t->ansi16_below_256 = true;
	if (strcmp(name, "dark") == 0)
		return;
	/* A file of the user's own comes first, so a bundled theme can be
	 * changed by copying it; roles it leaves out keep dark's style. */
	char dir[900], path[1100];
	FILE *f = NULL;
	if (read_files && ag_path_config_dir(dir, sizeof dir) == 0) {
		snprintf(path, sizeof path, "%s/themes/%s", dir, name);
		f = fopen(path, "r");
	}
	if (f) {
		char text[16384];
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
		char where[120];
		snprintf(where, sizeof where, "themes/%s", name);
		parse_text(cfg, t, text, where);
		snprintf(t->name, sizeof t->name, "%s", name);
		t->ansi16_below_256 = false;
		return;
	}
	for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++)
		if (strcmp(name, bundled[i].name) == 0) {
			parse_text(cfg, t, bundled[i].text, name);
			snprintf(t->name, sizeof t->name, "%s", name);
			t->ansi16_below_256 = false;
			return;
		}
	config_warn(cfg, "theme '%s' not found: it is none of dark, light, high-contrast, ansi16, "
		"and there is no file themes/%s in the config directory; using dark", name, name);
}

/* ---- putting a theme on the terminal ---- */

/* The xterm palette: 16 system colours, a 6x6x6 cube, 24 greys. */
static int palette_rgb(int i)
{
	static const int system[16] = {
		0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
		0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
	};
	if (i < 16)
		return system[i];
	if (i < 232) {
		static const int level[6] = {0, 95, 135, 175, 215, 255};
		i -= 16;
		return level[i / 36] << 16 | level[i / 6 % 6] << 8 | level[i % 6];
	}
	int v = 8 + (i - 232) * 10;
	return v << 16 | v << 8 | v;
}

/* The palette entry in [from, to) nearest to rgb. */
static int nearest(int rgb, int from, int to)
{
	int best = from;
	long best_d = -1;
	for (int i = from; i < to; i++) {
		int p = palette_rgb(i);
		long dr = ((rgb >> 16) & 255) - ((p >> 16) & 255);
		long dg = ((rgb >> 8) & 255) - ((p >> 8) & 255);
		long db = (rgb & 255) - (p & 255);
		long d = dr * dr * 3 + dg * dg * 4 + db * db * 2;
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return best;
}

/* A theme colour as the terminal can show it, with `colours` colours. */
static int terminal_colour(int c, int colours)
{
	if (c == THEME_DEFAULT)
		return -1;
	bool direct = colours >= 0x1000000;
	if (c & THEME_RGB) {
		int rgb = c & 0xffffff;
		if (direct)
			return rgb < 8 ? 8 : rgb;   /* below 8 is the palette's */
		c = nearest(rgb, 16, 256);   /* the cube and greys: not themed by the user */
	}
	if (direct)
		return c < 8 ? c : palette_rgb(c);
	if (c < colours)
		return c;
	return nearest(palette_rgb(c), 0, colours < 16 ? colours : 16);
}

static void theme_mono(void)
{
	static const attr_t mono[TH__COUNT] = {
		[TH_NORMAL] = A_NORMAL, [TH_DIM] = A_DIM, [TH_BOLD] = A_BOLD, [TH_ACCENT] = A_BOLD,
		[TH_TAG] = A_UNDERLINE, [TH_MENTION] = A_BOLD, [TH_URL] = A_UNDERLINE,
		[TH_AUTHOR] = A_BOLD, [TH_LIKED] = A_BOLD, [TH_ERROR] = A_BOLD, [TH_OK] = A_BOLD,
		[TH_WARN] = A_BOLD, [TH_BAR] = A_REVERSE, [TH_BAR_KEY] = A_REVERSE | A_BOLD,
		[TH_TAB] = A_NORMAL, [TH_TAB_ON] = A_REVERSE | A_BOLD, [TH_BADGE] = A_BOLD,
		[TH_SELECT] = A_BOLD, [TH_UNREAD] = A_BOLD, [TH_BANNER] = A_REVERSE,
		[TH_BUBBLE_ME] = A_REVERSE, [TH_BUBBLE_THEM] = A_NORMAL, [TH_RING] = A_BOLD,
		[TH_RING_SEEN] = A_DIM, [TH_PROGRESS] = A_BOLD, [TH_PROGRESS_BG] = A_DIM,
		[TH_INPUT] = A_UNDERLINE, [TH_TITLE] = A_BOLD, [TH_BRAND] = A_BOLD,
		[TH_HEADER] = A_NORMAL, [TH_HANDLE] = A_DIM, [TH_LIVE] = A_REVERSE | A_BOLD,
		[TH_OFFLINE] = A_REVERSE | A_BOLD, [TH_TIME] = A_DIM, [TH_COUNT] = A_NORMAL,
		[TH_BORDER] = A_DIM, [TH_PANEL] = A_BOLD, [TH_TAG_TITLE] = A_UNDERLINE | A_BOLD,
		[TH_FOLLOWING] = A_BOLD, [TH_PLACEHOLDER] = A_UNDERLINE | A_DIM,
		[TH_STORY_SELECTED] = A_REVERSE | A_BOLD,
	};
	memcpy(roles, mono, sizeof roles);
}

void theme_init(bool color, const struct theme *t)
{
	glyphs_init();
	theme_mono();
	if (!color || !has_colors() || start_color() == ERR || COLOR_PAIRS <= TH__COUNT)
		return;
	use_default_colors();
	struct theme low;
	if (COLORS < 256 && t->ansi16_below_256) {
		/* dark's 256 colours would all round to a few: use ansi16. */
		memset(&low, 0, sizeof low);
		parse_text(NULL, &low, theme_ansi16, "ansi16");
		t = &low;
	}
	for (int r = 0; r < TH__COUNT; r++) {
		const struct role_style *st = &t->style[r];
		init_extended_pair(r + 1, terminal_colour(st->fg, COLORS), terminal_colour(st->bg, COLORS));
		roles[r] = COLOR_PAIR(r + 1) | st->attrs;
	}
}

attr_t th(enum role r)
{
	return roles[r];
}
