/* config.c: the config file, $XDG_CONFIG_HOME/ansigram/config: one
 * "key = value" per line, '#' starts a comment. Keys: server, pub,
 * colors (on, off, auto), theme (a name), notifications (on, off), osc
 * (auto, 9, 777), mouse (on, off), images (auto, kitty, sixel, iterm,
 * blocks, off), and key.<action> = KEYS to rebind an
 * action. Problems are collected in cfg->warnings, one a line, and shown
 * in a panel once the interface is up. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "paths.h"
#include "termprobe.h"
#include "ui.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* on/off style values; -1 when it is neither. */
static int boolean(const char *v)
{
	if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

void config_warn(struct config *cfg, const char *fmt, ...)
{
	if (cfg == NULL)
		return;
	size_t used = strlen(cfg->warnings);
	if (used + 8 >= sizeof cfg->warnings)
		return;
	if (used)
		cfg->warnings[used++] = '\n';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cfg->warnings + used, sizeof cfg->warnings - used, fmt, ap);
	va_end(ap);
}

static void warn(struct config *cfg, int line, const char *what)
{
	config_warn(cfg, "config line %d: %s", line, what);
}

static void apply(struct config *cfg, int line, const char *key, const char *value,
	char *theme, size_t theme_size)
{
	char why[160];
	int b = boolean(value);
	if (strcmp(key, "server") == 0) {
		snprintf(cfg->server, sizeof cfg->server, "%s", value);
	} else if (strcmp(key, "pub") == 0) {
		snprintf(cfg->pub, sizeof cfg->pub, "%s", value);
	} else if (strcmp(key, "colors") == 0 || strcmp(key, "colours") == 0) {
		if (strcasecmp(value, "auto") == 0)
			cfg->colors = -1;
		else if (b >= 0)
			cfg->colors = b;
		else
			warn(cfg, line, "colors wants on, off or auto");
	} else if (strcmp(key, "theme") == 0) {
		if (theme_name_ok(value))
			snprintf(theme, theme_size, "%s", value);
		else
			warn(cfg, line, "theme wants a name: letters, digits, '-', '_' or '.'");
	} else if (strcmp(key, "notifications") == 0) {
		if (b >= 0)
			cfg->notifications = b;
		else
			warn(cfg, line, "notifications wants on or off");
	} else if (strcmp(key, "osc") == 0) {
		if (strcasecmp(value, "auto") == 0)
			cfg->osc = 0;
		else if (strcmp(value, "9") == 0 || strcmp(value, "777") == 0)
			cfg->osc = value[0] == '9' ? 9 : 777;
		else
			warn(cfg, line, "osc wants auto, 9 or 777");
	} else if (strcmp(key, "mouse") == 0) {
		if (b >= 0)
			cfg->mouse = b;
		else
			warn(cfg, line, "mouse wants on or off");
	} else if (strcmp(key, "images") == 0) {
		enum images_setting images;
		if (images_setting_parse(value, &images))
			cfg->images = (int)images;
		else
			warn(cfg, line, "images wants auto, kitty, sixel, iterm, blocks or off");
	} else if (strncmp(key, "key.", 4) == 0) {
		if (!keys_bind(key + 4, value, why, sizeof why))
			warn(cfg, line, why);
	} else {
		snprintf(why, sizeof why, "unknown setting '%s'", key);
		warn(cfg, line, why);
	}
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->colors = -1;
	cfg->notifications = true;
	cfg->mouse = true;
	cfg->images = IMAGES_AUTO;
	theme_load(cfg, "dark", false);
}

void config_load(struct config *cfg)
{
	config_defaults(cfg);
	char dir[900];
	if (ag_path_config_dir(dir, sizeof dir) != 0)
		return;
	snprintf(cfg->path, sizeof cfg->path, "%s/config", dir);
	FILE *f = fopen(cfg->path, "r");
	if (f == NULL)
		return;
	char buf[2048];
	char theme[64] = "dark";
	int line = 0;
	while (fgets(buf, sizeof buf, f)) {
		line++;
		char *hash = strchr(buf, '#');
		if (hash && (hash == buf || isspace((unsigned char)hash[-1])))
			*hash = '\0';
		char *s = trim(buf);
		if (*s == '\0')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			warn(cfg, line, "expected key = value");
			continue;
		}
		*eq = '\0';
		apply(cfg, line, trim(s), trim(eq + 1), theme, sizeof theme);
	}
	fclose(f);
	theme_load(cfg, theme, true);
}
