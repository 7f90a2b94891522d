/* external.c: writing a text field in $VISUAL or $EDITOR (Ctrl-E). The
 * screen is handed back to the terminal, the editor runs on a private
 * temporary file and the app waits for it, then takes the screen back and
 * puts what was saved into the field. The editor's command is split on
 * spaces and run directly, never through a shell, so its value is only
 * ever a program and its arguments. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "ui.h"
#include "utf8.h"

#define MAX_WORDS 16
#define MAX_FILE (1024 * 1024)

/* True when name is an executable file in one of $PATH's directories. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (path == NULL || path[0] == '\0')
		path = "/usr/bin:/bin";
	char dir[1024];
	for (const char *p = path; *p; ) {
		size_t n = strcspn(p, ":");
		char full[2048];
		snprintf(dir, sizeof dir, "%.*s", (int)n, p);
		snprintf(full, sizeof full, "%s/%s", dir[0] ? dir : ".", name);
		if (access(full, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/* The editor's command as words in cmd (split on spaces and tabs into
 * argv); false when none is set and there is no vi either. */
static bool editor_command(char *cmd, size_t size, char **argv, int *argc)
{
	const char *ed = getenv("VISUAL");
	if (ed == NULL || ed[strspn(ed, " \t")] == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || ed[strspn(ed, " \t")] == '\0') {
		if (!in_path("vi"))
			return false;
		ed = "vi";
	}
	snprintf(cmd, size, "%s", ed);
	*argc = 0;
	for (char *save = NULL, *w = strtok_r(cmd, " \t", &save); w && *argc < MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		argv[(*argc)++] = w;
	return *argc > 0;
}

/* Runs argv (with the file's path appended) and waits for it; Ctrl-C in
 * the editor is the editor's, not ours. Returns its exit status, 127
 * when it could not be run, -1 when it died of a signal. */
static int run_editor(char **argv, int argc, char *path)
{
	argv[argc] = path;
	argv[argc + 1] = NULL;
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0)
		return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reads the saved file into a string (malloc'd), or NULL with why. */
static char *read_back(const char *path, char *why, size_t why_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > MAX_FILE) {
		snprintf(why, why_size, fd < 0 ? "The editor's file is gone; the text is unchanged."
			: "The file is too big; the text is unchanged.");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		abort();
	size_t len = 0;
	ssize_t n;
	while (len < (size_t)st.st_size &&
	       ((n = read(fd, text + len, (size_t)st.st_size - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	text[len] = '\0';
	return text;
}

/* Makes the saved text fit field e: CR LF as LF, tabs as spaces, line
 * breaks as spaces in a one-line field, trailing newlines dropped. False
 * with why when it is not text the field can take. */
static bool fit_field(const struct editor *e, char *text, char *why, size_t why_size)
{
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (!ag_utf8_valid(text, len)) {
		snprintf(why, why_size, "The file is not UTF-8 text; the text is unchanged.");
		return false;
	}
	size_t out = 0;
	for (size_t i = 0; i < len; ) {
		uint32_t cp;
		int n = ag_utf8_decode(text + i, len - i, &cp);
		if (cp == '\r' && text[i + 1] == '\n') {
			i++;
			continue;
		}
		if (cp == '\t' || (cp == '\n' && e->single)) {
			text[out++] = ' ';
		} else if (cp == '\n') {
			text[out++] = '\n';
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			snprintf(why, why_size, "The file has control characters; the text is unchanged.");
			return false;
		} else {
			memmove(text + out, text + i, (size_t)n);
			out += (size_t)n;
		}
		i += (size_t)n;
	}
	text[out] = '\0';
	if (e->max_chars && ag_utf8_count(text, out) > e->max_chars) {
		snprintf(why, why_size, "Too long: at most %zu characters here; the text is unchanged.",
			e->max_chars);
		return false;
	}
	return true;
}

bool ed_external(struct editor *e, char *why, size_t why_size)
{
	if (e->masked) {
		snprintf(why, why_size, "A password is typed here, not in an editor.");
		return false;
	}
	char cmd[1024];
	char *argv[MAX_WORDS + 2];
	int argc = 0;
	if (!editor_command(cmd, sizeof cmd, argv, &argc)) {
		snprintf(why, why_size, "No editor: set $VISUAL or $EDITOR.");
		return false;
	}
	const char *tmp = getenv("TMPDIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/ansigram-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);     /* created 0600 */
	if (fd < 0) {
		snprintf(why, why_size, "Cannot make a temporary file: %s.", strerror(errno));
		return false;
	}
	const char *text = ed_text(e);
	size_t len = strlen(text);
	bool written = ag_write_full(fd, text, len);
	if (written && len > 0)
		(void)!write(fd, "\n", 1);
	close(fd);
	if (!written) {
		unlink(path);
		snprintf(why, why_size, "Cannot write the temporary file.");
		return false;
	}

	app_write_tty("\033[?2004l", 8);    /* no bracketed paste for the editor */
	def_prog_mode();
	endwin();
	int status = run_editor(argv, argc, path);
	reset_prog_mode();
	app_write_tty("\033[?2004h", 8);
	clearok(curscr, TRUE);
	refresh();

	bool ok = false;
	if (status == 127) {
		snprintf(why, why_size, "Could not run the editor '%s'.", argv[0]);
	} else if (status != 0) {
		snprintf(why, why_size, "The editor did not finish cleanly; the text is unchanged.");
	} else {
		char *saved = read_back(path, why, why_size);
		if (saved && fit_field(e, saved, why, why_size)) {
			ed_set(e, saved);
			ok = true;
		}
		if (saved)
			explicit_bzero(saved, strlen(saved));
		free(saved);
	}
	unlink(path);
	return ok;
}
