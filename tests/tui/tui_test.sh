#!/usr/bin/env bash
# tui_test.sh: end-to-end tests of the ansigram TUI, driven through tmux
# against a real ansigramd on a temporary directory. Each check waits for
# text on the screen (capture-pane) up to a deadline instead of sleeping a
# fixed time. Other users act through the CLI. The harness (server, tmux,
# checks) is in harness.sh.
# Prints one line per check and "N passed, N failed"; exits 1 on failure.
. "$(dirname "$0")/harness.sh"

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
size 60 20
check "at 60x20 the login form is shown whole" "Ctrl-C quit"
check "at 60x20 the login form keeps its fields" "Password"
size 100 30
wait_for "share moments from your terminal"

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

size 80 24
check "at 80x24 the app still draws" "1 Home"
wait_for "? help" && pass "the status bar fits at 80x24" || fail "the status bar fits at 80x24"

# The smallest size every screen is laid out for: 60x20.
size 60 20
check_line "at 60x20 the tab bar names the current tab" "^ +1 Home +2 +3 "
check "at 60x20 home shows the feed" "Hello from tmux #tuitest"
check_line "at 60x20 the status bar shows the connection and the help key" "live .*Act [0-9]+ +Msg [0-9]+ +\? help"
press Enter
check_line "at 60x20 a post opens, its title and hint apart" "Post by @[a-z]+ +Esc: back"
check "at 60x20 the post shows its comments" "Comments ("
press Escape 2 2
check_line "at 60x20 the search tab is named" "2 Search"
check "at 60x20 search shows its results" "People"
press 3
check_line "at 60x20 activity's count and hints do not run together" "Activity +[0-9]+ unread +Enter open"
check "at 60x20 activity lists notifications" "carol liked your post"
press 4
check_line "at 60x20 the messages tab is named" "4 Messages"
check "at 60x20 messages lists the conversation" "@bob"
press 5
check "at 60x20 the profile shows its counts" "1 post"
check "at 60x20 the profile shows its sections" "Followers"
check_line "at 60x20 the profile's key hints end in an ellipsis, not cut" "SSH keys +←/→ [^ ]*…"
press 6
check "at 60x20 the composer is shown" "What's happening?"
press Escape 1 '?'
check_line "at 60x20 the keys are listed in one column, whole" "k Up +previous item"
press Down Down Down Down Down Down Down Down Down Down Down Down Down Down Down Down
check "at 60x20 the keys scroll to the actions" "like / unlike"
press q
wait_gone "any key closes" && pass "at 60x20 a key closes the keys" || fail "at 60x20 a key closes the keys"

# Below it the app says so, in full, wrapped to fit.
size 59 20
check_joined "at 59x20 it says how small it is" "Terminal too small: 60×20 needed, this is 59×20"
size 40 12
check_joined "at 40x12 the message is whole" "Terminal too small: 60×20 needed, this is 40×12"
check_joined "at 40x12 it says what to do" "Make the window larger, or press q to quit."
size 20 5
check_joined "at 20x5 a shorter message is whole" "Too small: 60×20 needed"
if joined | grep -qE "Termin|60×2[^0]|neede([^d]|$)"; then
	fail "at 20x5 no word is cut"
else
	pass "at 20x5 no word is cut"
fi
size 1 1
size 2 2
size 100 30
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
stop_tui
start_tui
check "a saved session skips the login form" "1 Home" 8000
screen | grep -qF "Username or email" && fail "no login form with a saved session" ||
	pass "no login form with a saved session"

# ---- themes ----
# restart_tui [VAR=VALUE...]: a new TUI, reading the config file again.
restart_tui() {
	stop_tui
	rm -f "$TMP/tui.exit" "$TMP/pane.out"
	start_tui "$@"
}
# The header row with its escape sequences.
header_sgr() { tmux -L "$SOCK" capture-pane -p -e | head -1; }
# The screen's words on one line without the panel's sides.
panel_text() { screen | sed 's/│/ /g' | tr -s ' \n' '  '; }
# check_panel NAME TEXT: passes when TEXT is shown whole in the panel.
check_panel() {
	local deadline=$(($(now_ms) + 5000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		panel_text | grep -qF -- "$2" && { pass "$1"; return; }
		sleep 0.05
	done
	fail "$1 (waiting for '$2')"
}
CONFIG="$XDG_CONFIG_HOME/ansigram/config"
mkdir -p "$XDG_CONFIG_HOME/ansigram/themes"

wait_for "1 Home"
dark_header=$(header_sgr)
case "$dark_header" in
*"48;5;254"*) fail "dark, the default, has no light header" ;;
*) pass "dark, the default, has no light header" ;;
esac

echo "theme = light" > "$CONFIG"
restart_tui
check "theme = light starts" "1 Home" 8000
case "$(header_sgr)" in
*$'\e[48;5;254m'*) pass "theme = light paints the header light" ;;
*) fail "theme = light paints the header light: $(header_sgr | cat -v)" ;;
esac
[ "$(header_sgr)" != "$dark_header" ] && pass "light's header differs from dark's" ||
	fail "light's header differs from dark's"
screen | grep -qF "Settings" && fail "a good theme shows no warnings" || pass "a good theme shows no warnings"

cat > "$XDG_CONFIG_HOME/ansigram/themes/mine" <<'THEME'
# my own colours
header = 16 #ff0000
brand = bright-white #0000ff bold
hedaer = red
THEME
echo "theme = mine" > "$CONFIG"
restart_tui
check "a user theme starts" "1 Home" 8000
check_panel "a bad line in a theme file is shown whole" "themes/mine line 4: unknown role 'hedaer'"
press Enter
wait_gone "Esc or Enter closes" && pass "Enter closes the panel" || fail "Enter closes the panel"
case "$(header_sgr)" in
*$'\e[48;5;196m'*) pass "a user theme's #ff0000 header is the nearest of 256 colours" ;;
*) fail "a user theme's #ff0000 header is the nearest of 256 colours: $(header_sgr | cat -v)" ;;
esac

if infocmp xterm-direct >/dev/null 2>&1; then
	restart_tui TERM=xterm-direct
	check "a user theme starts on a direct-colour terminal" "1 Home" 8000
	case "$(header_sgr)" in
	*$'\e[48;2;255;0;0m'*) pass "on a direct-colour terminal #ff0000 is itself" ;;
	*) fail "on a direct-colour terminal #ff0000 is itself: $(header_sgr | cat -v)" ;;
	esac
fi

echo "theme = ansi16" > "$CONFIG"
restart_tui
check "theme = ansi16 starts" "1 Home" 8000
screen_sgr=$(tmux -L "$SOCK" capture-pane -p -e)
if grep -qE $'\e\\[([0-9]*;)*[34]8;[25];' <<<"$screen_sgr"; then
	fail "ansi16 uses only the terminal's 16 colours"
elif grep -qE $'\e\\[([0-9]*;)*3[0-7]m' <<<"$screen_sgr"; then
	pass "ansi16 uses only the terminal's 16 colours"
else
	fail "ansi16 uses only the terminal's 16 colours (no colour at all)"
fi

printf 'theme = nosuch\ncolour = blue\n' > "$CONFIG"
restart_tui
check "an unknown theme still starts" "1 Home" 8000
check_panel "an unknown theme is named in full in the panel" \
	"theme 'nosuch' not found: it is none of dark, light, high-contrast, ansi16, and there is no file themes/nosuch in the config directory; using dark"
check_panel "an unknown setting is in the panel too" "config line 2: unknown setting 'colour'"
press Escape
wait_gone "Esc or Enter closes" && pass "Esc closes the panel" || fail "Esc closes the panel"
[ "$(header_sgr)" = "$dark_header" ] && pass "an unknown theme falls back to dark" ||
	fail "an unknown theme falls back to dark"

# Colour in an SGR sequence: 30-38, 40-48, 90-97, 100-107 (39 and 49 are resets).
colour_sgr=$'\e\\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]'
echo "theme = light" > "$CONFIG"
restart_tui NO_COLOR=1
check "NO_COLOR with a theme starts" "1 Home" 8000
if tmux -L "$SOCK" capture-pane -p -e | grep -qE "$colour_sgr"; then
	fail "NO_COLOR wins over the theme: no colour on screen"
else
	pass "NO_COLOR wins over the theme: no colour on screen"
fi
printf 'theme = high-contrast\ncolors = off\n' > "$CONFIG"
restart_tui
check "colors = off with a theme starts" "1 Home" 8000
if tmux -L "$SOCK" capture-pane -p -e | grep -qE "$colour_sgr"; then
	fail "colors = off wins over the theme"
else
	pass "colors = off wins over the theme"
fi
rm -f "$CONFIG"

restart_tui
check "after the themes the app starts as before" "1 Home" 8000

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

# With ANSIGRAM_SEND_GIVE_UP=3 a message the server never got is marked
# not sent after 3 s; Enter on the empty line sends it again, and it lands
# once (the same idempotency key).
test_dm_given_up_while_offline() {
	restart_tui "ANSIGRAM_SEND_GIVE_UP=3"
	check "give-up: live" "● live" 15000
	press m
	type_text bob
	press Enter
	check "give-up: the thread opens" "Write a message…"
	stop_server
	check "give-up: the lost server shows" "reconnecting" 5000
	type_text "words the server never got"
	press Enter
	check "a DM unsent for the set time is marked not sent" \
		"Not sent: server unreachable for 3 s; Enter to retry." 15000
	start_server
	check "give-up: live again" "● live" 15000
	[ "$(sqlite3 "$TMP/ansigram.db" \
		"SELECT count(*) FROM messages WHERE content = 'words the server never got';")" = 0 ] &&
		pass "a given-up DM is not sent by itself" || fail "a given-up DM is not sent by itself"
	press Enter
	if count_in_db "SELECT count(*) FROM messages WHERE content = 'words the server never got';" 1 \
		10000; then
		pass "Enter sends the given-up DM again"
	else
		fail "Enter sends the given-up DM again"
	fi
	wait_gone "Not sent:" && pass "the not-sent mark goes once it is sent" ||
		fail "the not-sent mark goes once it is sent"
	[ "$(sqlite3 "$TMP/ansigram.db" \
		"SELECT count(*) FROM messages WHERE content = 'words the server never got';")" = 1 ] &&
		pass "the retried DM arrives exactly once" || fail "the retried DM arrives exactly once"
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

# A login saved by an older version names no push URL: the TUI asks for a
# new login instead of staying silent on a push shard it cannot know.
test_session_without_push_url() {
	press 1
	press q
	wait_exit
	grep -q '^push_url=' "$XDG_CONFIG_HOME/ansigram/session" &&
		pass "the saved login names its push URL" ||
		fail "the saved login names its push URL"
	sed -i '/^push_url=/d' "$XDG_CONFIG_HOME/ansigram/session"
	restart_tui
	check "a login saved without a push URL asks to log in again" \
		"Please log in again: saved by an older version." 8000
	alice_login "old session"
	grep -q '^push_url=' "$XDG_CONFIG_HOME/ansigram/session" &&
		pass "the new login is saved with its push URL" ||
		fail "the new login is saved with its push URL"
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
test_dm_given_up_while_offline
test_quit_while_connecting
test_login_before_server
test_session_without_push_url

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
