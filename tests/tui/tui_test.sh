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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
