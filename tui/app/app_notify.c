/* app_notify.c: desktop notifications: a bell and an OSC 9 or OSC 777
 * sequence for live events, and the one writer to the terminal past
 * curses (app_write_tty). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_int.h"
#include "fdio.h"

void app_write_tty(const char *s, size_t len)
{
	(void)ag_write_full(STDOUT_FILENO, s, len);
}

/* BEL, then OSC 9 (iTerm2, WezTerm, Windows Terminal...) or OSC 777
 * (VTE, foot, urxvt). text is sanitized: it holds no control byte. */
void app_ring(struct app *a, const char *text)
{
	if (!a->cfg.notifications)
		return;
	char seq[600];
	int n;
	if (a->osc == 777)
		n = snprintf(seq, sizeof seq, "\a\033]777;notify;ansigram;%s\a", text);
	else
		n = snprintf(seq, sizeof seq, "\a\033]9;ansigram: %s\a", text);
	if (n > 0)
		app_write_tty(seq, (size_t)n < sizeof seq ? (size_t)n : sizeof seq - 1);
}

int app_choose_osc(const struct config *cfg)
{
	if (cfg->osc)
		return cfg->osc;
	const char *term = getenv("TERM");
	if (getenv("VTE_VERSION") || (term && (!strncmp(term, "foot", 4) || !strncmp(term, "rxvt", 4))))
		return 777;
	return 9;
}
