# harness.sh: what the TUI suites share (sourced, not run): a temporary
# home, a real ansigramd on it, the TUI in tmux, and checks that wait for
# text on the screen up to a deadline instead of sleeping a fixed time.
# Needs ANSIGRAM and ANSIGRAMD (set by meson), tmux and sqlite3.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../deadline.sh"

: "${ANSIGRAM:?set ANSIGRAM to the ansigram binary}"
: "${ANSIGRAMD:?set ANSIGRAMD to the ansigramd binary}"
for tool in tmux sqlite3; do
	if ! command -v "$tool" >/dev/null; then
		echo "tui_test: $tool is not installed; skipping"
		exit 77
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ag-tui.XXXXXX")
SOCK="ag-tui-$$"
SERVER_PID=""
REQ="ipc://$TMP/req.sock"
PUB="ipc://$TMP/pub.sock"
PASSWORD="correct horse 42"
passed=0
failed=0

export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
export XDG_RUNTIME_DIR="$TMP/run" LANG=C.UTF-8 LC_ALL=C.UTF-8
unset NO_COLOR ANSIGRAM_SERVER ANSIGRAM_SESSION ANSIGRAM_TOKEN TMUX VTE_VERSION
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"

cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait_pid "$SERVER_PID" 30 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
	failed=$((failed + 1))
	echo "not ok - $1"
	echo "---- screen ----"
	screen
	echo "----------------"
}

screen() { tmux -L "$SOCK" capture-pane -p 2>/dev/null; }

# wait_for TEXT [MS]: true once TEXT is on the screen, false at the deadline.
wait_for() {
	local text=$1 deadline=$(($(now_ms) + ${2:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		screen | grep -qF -- "$text" && return 0
		sleep 0.05
	done
	return 1
}

# wait_gone TEXT [MS]: true once TEXT has left the screen.
wait_gone() {
	local text=$1 deadline=$(($(now_ms) + ${2:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		screen | grep -qF -- "$text" || return 0
		sleep 0.05
	done
	return 1
}

# check NAME TEXT [MS]: one test that passes when TEXT shows up in time.
check() {
	if wait_for "$2" "${3:-5000}"; then pass "$1"; else fail "$1 (waiting for '$2')"; fi
}

# check_line NAME REGEX [MS]: passes when a line of the screen matches REGEX.
check_line() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		screen | grep -qE -- "$2" && { pass "$1"; return; }
		sleep 0.05
	done
	fail "$1 (waiting for a line matching '$2')"
}

# The screen's words on one line, so wrapped text reads as a whole.
joined() { screen | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

# check_joined NAME TEXT [MS]: passes when TEXT is in the joined screen.
check_joined() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		joined | grep -qF -- "$2" && { pass "$1"; return; }
		sleep 0.05
	done
	fail "$1 (waiting for '$2')"
}

# size COLS ROWS: resizes the TUI's terminal.
size() { tmux -L "$SOCK" resize-window -x "$1" -y "$2"; }

# Keys: type literal text, press named keys. A short pause after each
# keeps Esc from merging with the next key into Alt+key.
type_text() { tmux -L "$SOCK" send-keys -l -- "$1"; sleep 0.1; }
press() {
	local k
	for k in "$@"; do
		tmux -L "$SOCK" send-keys "$k"
		sleep 0.1
	done
}

cli() { "$ANSIGRAM" --server "$REQ" "$@"; }
as() { local who=$1; shift; cli --session "$TMP/$who.session" "$@"; }

start_server() {
	"$ANSIGRAMD" --db "$TMP/ansigram.db" --listen "$REQ" --pub "$PUB" --pwhash min \
		>>"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	local deadline=$(($(now_ms) + 10000))
	until cli server ping >/dev/null 2>&1; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "tui_test: the server did not start"; cat "$TMP/server.log"
			exit 1
		fi
		sleep 0.05
	done
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	wait_pid "$SERVER_PID" 30 2>/dev/null
	SERVER_PID=""
}

# stop_tui: ends the TUI's tmux server, waits (at most 5 s) until it is
# gone, and names a fresh one for the next start_tui, so a new session
# never meets the old server on its way out ("server exited unexpectedly").
tmux_servers=0
stop_tui() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	local deadline=$(($(now_ms) + 5000))
	while tmux -L "$SOCK" list-sessions >/dev/null 2>&1 && [ "$(now_ms)" -lt "$deadline" ]; do
		sleep 0.05
	done
	tmux_servers=$((tmux_servers + 1))
	SOCK="ag-tui-$$-$tmux_servers"
}

# start_tui [ENV...]: the TUI in a 100x30 tmux window; ENV are extra
# NAME=value settings for it (TERM=... replaces the default terminal type).
start_tui() {
	local term=screen
	infocmp tmux-256color >/dev/null 2>&1 && term=tmux-256color
	tmux -L "$SOCK" -f /dev/null new-session -d -x 100 -y 30 \
		"TERM=$term $* '$ANSIGRAM' --server '$REQ'; echo \"exit=\$?\" > '$TMP/tui.exit'; sleep 60"
	# Everything the TUI writes, to look for bells and desktop notifications.
	tmux -L "$SOCK" pipe-pane -o "cat >> '$TMP/pane.out'"
}

