/* app.h: the ncurses TUI's entry point, called by main.c when ansigram
 * runs with no subcommand. */
#ifndef AG_APP_H
#define AG_APP_H

#include "session.h"

/* Runs the TUI until the person quits; returns the process exit code
 * (0 on a normal quit, 3 when the server cannot be reached at start). */
int tui_run(const struct ag_client_opts *opts);

#endif
