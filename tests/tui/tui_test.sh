#!/usr/bin/env bash
# tui_test.sh: end-to-end tests of the ansigram TUI, driven through tmux
# against a real ansigramd on a temporary directory. Each check waits for
# text on the screen (capture-pane) up to a deadline instead of sleeping a
# fixed time. Other users act through the CLI. Needs ANSIGRAM and
# ANSIGRAMD (set by meson), tmux and sqlite3.
# Prints one line per check and "N passed, N failed"; exits 1 on failure.
set -u
. "$(dirname "$0")/../deadline.sh"

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

start_tui() {
	local term=screen
	infocmp tmux-256color >/dev/null 2>&1 && term=tmux-256color
	tmux -L "$SOCK" -f /dev/null new-session -d -x 100 -y 30 \
		"TERM=$term '$ANSIGRAM' --server '$REQ'; echo \"exit=\$?\" > '$TMP/tui.exit'; sleep 60"
	# Everything the TUI writes, to look for bells and desktop notifications.
	tmux -L "$SOCK" pipe-pane -o "cat >> '$TMP/pane.out'"
}

# ---- data ----
start_server
for who in alice bob carol; do
	cli auth register --username "$who" --email "$who@example.com" --password "$PASSWORD" \
		--full-name "${who^} Tester" >/dev/null || { echo "tui_test: cannot register $who"; exit 1; }
done
for who in bob carol; do
	printf '%s\n' "$PASSWORD" | as "$who" auth login --username "$who" --password-stdin >/dev/null
done
as bob story "first story from bob" >/dev/null
as bob story "second story from bob" >/dev/null
as carol follow @alice >/dev/null

# ---- the TUI ----
start_tui
check "login form is shown without a session" "Username or email" 8000

type_text alice
press Tab
type_text "$PASSWORD"
press Enter
check "logging in opens home" "1 Home"
check "the empty feed says what to do" "Your feed is empty"
check "the status bar shows the live connection" "● live"

press n
check "n opens the composer" "What's happening?"
type_text "Hello from tmux #tuitest"
check "the counter counts as you type" "24 / 2200"
press C-s
check "the new post is in the feed" "Hello from tmux #tuitest"
check "the feed card shows its author" "@alice"

press l
check "l likes the post" "you liked this"

press c
check "c opens the post with the comment line" "Comments (0)"
type_text "first comment here"
press Enter
check "the comment appears under the post" "first comment here"
check "the comment count goes up" "Comments (1)"
press Escape Escape
check "back on the feed the card counts the comment" "1 comment"

press /
type_text bob
check "search finds people as you type" "@bob"
press Enter
check "Enter opens the profile" "Bob Tester"
press f
check "f follows" "Following @bob."

press 1
check "the stories bar shows bob's unseen story after following" "◉ bob"
press k Enter
check "the story viewer opens on the first story" "first story from bob"
check "the viewer shows where it is" "1/2"
check "the story advances by itself after 5 s" "second story from bob" 7000
check "after the last story the viewer closes" "1 Home" 7000
check "viewed stories stop being unseen" "○ bob"

as bob post "fresh from bob #live" >/dev/null
check "a pushed post raises the new posts banner" "1 new post  -  press r"
press r
check "r shows the new post" "fresh from bob #live"
wait_gone "new post  -  press r" && pass "r clears the banner" || fail "r clears the banner"
as bob story "third story from bob" >/dev/null
check "a pushed story shows a toast" "@bob added to their story"
check "the new story is marked unseen" "◉ bob"

press m
check "m asks whom to message" "Who to?"
type_text bob
press Enter
check "the thread with bob opens" "No messages yet. Say hello!"
start=$(now_ms)
as bob dm @alice "ping from bob" >/dev/null
if wait_for "ping from bob" 1000; then
	pass "a DM from the CLI appears live in the open thread ($(($(now_ms) - start)) ms)"
else
	fail "a DM from the CLI appears live in the open thread"
fi
type_text "pong from alice"
press Enter
if wait_for "pong from alice" 3000 && as bob thread @alice | grep -qF "pong from alice"; then
	pass "a reply from the thread reaches bob"
else
	fail "a reply from the thread reaches bob"
fi
press Escape

post_id=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM posts WHERE content LIKE 'Hello from tmux%';")
[ "$(tmux -L "$SOCK" display -p '#{window_bell_flag}')" = 0 ] &&
	pass "no bell for a DM in the open thread" || fail "no bell for a DM in the open thread"
as carol like "$post_id" >/dev/null
check "a like shows a toast" "carol liked your post"
[ "$(tmux -L "$SOCK" display -p '#{window_bell_flag}')" = 1 ] &&
	pass "a notification rings the bell" || fail "a notification rings the bell"
if grep -qF $'\e]9;ansigram: carol liked your post\a' "$TMP/pane.out"; then
	pass "a notification sends an OSC 9 desktop notification"
else
	fail "a notification sends an OSC 9 desktop notification"
fi
check "the status bar counts unread notifications (a follow and a like)" "Activity 2"
press 3
check "the notification is listed and unread" "● ♥  carol liked your post"
press Enter
check "Enter on a like notification opens the post" "Post by @alice"
press Escape
check "opening it marks it read" "Activity 1"
press 1

tmux -L "$SOCK" resize-window -x 80 -y 24
check "at 80x24 the app still draws" "1 Home"
wait_for "? help" && pass "the status bar fits at 80x24" || fail "the status bar fits at 80x24"
tmux -L "$SOCK" resize-window -x 60 -y 20
check "below 80x24 it says so" "needs at least 80x24"
tmux -L "$SOCK" resize-window -x 100 -y 30
check "back to 100x30 it redraws" "Hello from tmux #tuitest"

# A post carrying escape sequences, written past the server's checks.
bob_id=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM users WHERE username = 'bob';")
sqlite3 "$TMP/ansigram.db" "INSERT INTO posts (author_id, content, created_at)
	VALUES ($bob_id, 'evil ' || char(27) || '[31mRED' || char(27) || ']2;pwned' || char(7) || ' tail',
	CAST(strftime('%s', 'now') AS INTEGER) * 1000);"
title_before=$(tmux -L "$SOCK" display -p '#{pane_title}')
press r
if wait_for "[31mRED" 5000 && screen | grep -qF "pwned"; then
	pass "escape sequences in a post show as inert text"
else
	fail "escape sequences in a post show as inert text"
fi
if tmux -L "$SOCK" capture-pane -p -e | grep -F "[31mRED" | grep -qv $'\e\\[31m'; then
	pass "the post did not turn the terminal red"
else
	fail "the post did not turn the terminal red"
fi
[ "$(tmux -L "$SOCK" display -p '#{pane_title}')" = "$title_before" ] &&
	pass "the post did not change the window title" || fail "the post did not change the window title"

press '?'
check "? shows the keys" "Keys"
press q
wait_gone "any key closes" && pass "any key closes the help" || fail "any key closes the help"

# The server goes away and comes back: the TUI reconnects by itself.
stop_server
check "a lost server shows in the status bar" "reconnecting" 5000
start_server
check "the TUI reconnects by itself" "● live" 10000
press 4
check "the conversation is listed" "@bob"
press Enter
as bob dm @alice "after the restart" >/dev/null
check "pushes flow again after the restart" "after the restart" 3000
press Escape

press 1
press q
deadline=$(($(now_ms) + 3000))
until [ -s "$TMP/tui.exit" ] || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.05; done
if grep -qx "exit=0" "$TMP/tui.exit" 2>/dev/null; then
	pass "q quits cleanly with status 0"
else
	fail "q quits cleanly with status 0 ($(cat "$TMP/tui.exit" 2>/dev/null))"
fi

# A second start finds the saved session and skips the login form.
rm -f "$TMP/tui.exit"
tmux -L "$SOCK" kill-server 2>/dev/null
sleep 0.2
start_tui
check "a saved session skips the login form" "1 Home" 8000
screen | grep -qF "Username or email" && fail "no login form with a saved session" ||
	pass "no login form with a saved session"

# ---- staying true while live, and losing nothing ----

DRAFTS="$TMP/home/.local/state/ansigram"   # XDG_STATE_HOME is unset here

# tui_pid: the ansigram process in the tmux pane.
tui_pid() { pgrep -P "$(tmux -L "$SOCK" display -p '#{pane_pid}')" -x ansigram; }

# wait_file_has FILE TEXT [MS]: true once FILE holds TEXT.
wait_file_has() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_file_lacks FILE TEXT [MS]: true once FILE is gone or lacks TEXT.
wait_file_lacks() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# wait_exit: true once the TUI in the pane has exited (tui.exit written).
wait_exit() {
	local deadline=$(($(now_ms) + 5000))
	until [ -s "$TMP/tui.exit" ] || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.05; done
	[ -s "$TMP/tui.exit" ]
}

restart_tui() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	rm -f "$TMP/tui.exit" "$TMP/pane.out"
	start_tui
}

alice_login() {
	check "$1: the login form is back" "Username or email" 8000
	type_text alice
	press Tab
	type_text "$PASSWORD"
	press Enter
	check "$1: logged in again" "1 Home"
}

test_first_dm_names_the_sender() {
	as carol dm @alice "hello from a stranger" >/dev/null
	check "a first DM from someone new names them in the status bar" \
		"@carol: hello from a stranger"
	if wait_file_has "$TMP/pane.out" $'\e]9;ansigram: @carol: hello from a stranger\a'; then
		pass "a first DM names the sender in the desktop notification"
	else
		fail "a first DM names the sender in the desktop notification"
	fi
}

test_counts_follow_other_clients() {
	screen | grep -qE "Messages [1-9]" && pass "the new DM is counted" ||
		fail "the new DM is counted"
	local sender
	for sender in bob carol; do
		cli message mark-read --user-id "$(sqlite3 "$TMP/ansigram.db" \
			"SELECT id FROM users WHERE username = '$sender';")" >/dev/null
	done
	check "reading the threads from the CLI clears the message count" "Messages 0" 3000
	as bob follow @alice >/dev/null
	check "a new follower is counted" "bob started following you"
	screen | grep -qE "Activity [1-9]" && pass "unread activity is counted" ||
		fail "unread activity is counted"
	cli read-all >/dev/null
	check "read-all from the CLI clears the activity count" "Activity 0" 3000
}

test_revoked_session() {
	press m
	type_text bob
	press Enter
	check "revoke: the thread with bob opens" "ping from bob"
	type_text "unsent words for bob"
	if wait_file_has "$DRAFTS/drafts-$alice_id" "unsent words for bob"; then
		pass "a DM draft is saved while typing"
	else
		fail "a DM draft is saved while typing"
	fi
	[ "$(stat -c %a "$DRAFTS")" = 700 ] && [ "$(stat -c %a "$DRAFTS/drafts-$alice_id")" = 600 ] &&
		pass "the drafts directory is 0700 and the file 0600" ||
		fail "the drafts directory is 0700 and the file 0600 ($(stat -c %a "$DRAFTS" "$DRAFTS/drafts-$alice_id" | tr '\n' ' '))"
	cli logout >/dev/null
	check "a session revoked elsewhere brings the login form with the reason" \
		"Logged out: your session was revoked or expired." 5000
	alice_login "revoke"
	press m
	type_text bob
	press Enter
	check "the DM draft is back after logging in again" "unsent words for bob"
	check "the draft says it was restored" "Draft restored."
}

test_draft_survives_kill9() {
	press Escape Escape
	press n
	check "kill -9: the composer opens" "What's happening?"
	type_text "a post draft that outlives kill -9"
	wait_file_has "$DRAFTS/drafts-$alice_id" "outlives kill -9" ||
		fail "the composer's draft is saved while typing"
	kill -9 "$(tui_pid)"
	wait_exit
	restart_tui
	check "kill -9: the saved session opens home" "1 Home" 8000
	press n
	check "a post draft survives kill -9" "a post draft that outlives kill -9"
	check "the composer says the draft was restored" "Draft restored."
}

test_draft_survives_sighup() {
	press Escape
	press 1
	press c
	check "SIGHUP: the post opens with the comment line" "Comments ("
	type_text "a comment draft before the line drops"
	check "SIGHUP: the comment is typed" "before the line drops"
	kill -HUP "$(tui_pid)"
	wait_exit
	grep -qx "exit=0" "$TMP/tui.exit" && pass "SIGHUP ends the TUI cleanly" ||
		fail "SIGHUP ends the TUI cleanly ($(cat "$TMP/tui.exit"))"
	restart_tui
	check "SIGHUP: the saved session opens home" "1 Home" 8000
	check "SIGHUP: the feed is loaded" "evil " 8000
	press c
	check "a comment draft survives SIGHUP" "a comment draft before the line drops"
	type_text " - sent"
	press Enter
	if wait_file_lacks "$DRAFTS/drafts-$alice_id" "line drops" &&
	   [ "$(sqlite3 "$TMP/ansigram.db" "SELECT count(*) FROM comments
		WHERE content = 'a comment draft before the line drops - sent';")" = 1 ]; then
		pass "a sent comment's draft is deleted"
	else
		fail "a sent comment's draft is deleted"
	fi
	press Escape
}

test_start_while_server_down() {
	press 1
	press q
	wait_exit
	stop_server
	restart_tui
	check "started with the server down, the TUI says it is connecting" "○ connecting…" 8000
	check "the home frame waits for the server" "Waiting for the server" 3000
	[ ! -s "$TMP/tui.exit" ] && pass "the TUI keeps running without a server" ||
		fail "the TUI keeps running without a server ($(cat "$TMP/tui.exit"))"
	start_server
	check "the TUI comes live once the server starts" "● live" 15000
	check "the saved session is used once the server is there" "Hello from tmux #tuitest" 5000
}

# count_in_db SQL WANT [MS]: true once the query answers WANT.
count_in_db() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ "$(sqlite3 "$TMP/ansigram.db" "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

test_dm_sent_while_offline() {
	press m
	type_text bob
	press Enter
	check "offline: the thread opens with the draft" "unsent words for bob"
	stop_server
	check "offline: the lost server shows" "reconnecting" 5000
	press Enter
	check "a DM sent while offline shows as pending" "sending… waiting for the server" 3000
	check "the pending DM leaves the line free for the next one" "Write a message…"
	start_server
	check "offline: live again" "● live" 15000
	wait_gone "sending…" 10000 && pass "the pending DM is sent once the server is back" ||
		fail "the pending DM is sent once the server is back"
	if count_in_db "SELECT count(*) FROM messages WHERE content = 'unsent words for bob';" 1 &&
	   as bob thread @alice | grep -qF "unsent words for bob"; then
		pass "the DM sent while offline arrives"
	else
		fail "the DM sent while offline arrives"
	fi
	[ "$(sqlite3 "$TMP/ansigram.db" \
		"SELECT count(*) FROM messages WHERE content = 'unsent words for bob';")" = 1 ] &&
		pass "the DM sent while offline arrives exactly once" ||
		fail "the DM sent while offline arrives exactly once"
	wait_file_lacks "$DRAFTS/drafts-$alice_id" "unsent words for bob" &&
		pass "the sent DM's draft is deleted" || fail "the sent DM's draft is deleted"
	press Escape Escape
}

test_comment_sent_while_offline() {
	press 1
	check "offline comment: the feed is shown" "evil "
	press c
	check "offline comment: the post opens with the comment line" "Comments ("
	stop_server
	check "offline comment: the lost server shows" "reconnecting" 5000
	type_text "a comment while the server is away"
	press Enter
	check "a comment sent while offline shows as sending" "sending…" 3000
	start_server
	check "offline comment: live again" "● live" 15000
	if count_in_db "SELECT count(*) FROM comments
		WHERE content = 'a comment while the server is away';" 1 10000; then
		pass "the comment sent while offline arrives once the server is back"
	else
		fail "the comment sent while offline arrives once the server is back"
	fi
	wait_gone "sending…" && pass "the comment line is free again" ||
		fail "the comment line is free again"
	press Escape Escape
}

test_quit_while_connecting() {
	press 1
	press q
	wait_exit
	stop_server
	restart_tui
	check "quit while connecting: connecting" "○ connecting…" 8000
	press C-c
	wait_exit && grep -qx "exit=0" "$TMP/tui.exit" && pass "Ctrl-C quits at once while connecting" ||
		fail "Ctrl-C quits at once while connecting ($(cat "$TMP/tui.exit" 2>/dev/null))"
}

# Runs with the server stopped (after test_quit_while_connecting).
test_login_before_server() {
	mv "$XDG_CONFIG_HOME/ansigram/session" "$TMP/alice.saved-session"
	restart_tui
	check "with no session and no server the login form shows" "Username or email" 8000
	check "the login form says it is connecting" "req.sock  ·  connecting"
	type_text alice
	press Tab
	type_text "$PASSWORD"
	press Enter
	check "a login before the server answers says it is not connected yet" \
		"Not connected yet: retry once the server is up."
	start_server
	check "the login form sees the server" "req.sock  ·  connected" 15000
	press Enter
	check "logging in works once the server is there" "1 Home" 8000
}

alice_id=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM users WHERE username = 'alice';")
test_first_dm_names_the_sender
test_counts_follow_other_clients
test_revoked_session
test_draft_survives_kill9
test_draft_survives_sighup
test_start_while_server_down
test_dm_sent_while_offline
test_comment_sent_while_offline
test_quit_while_connecting
test_login_before_server

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
