#!/usr/bin/env bash
# tui_input_test.sh: typing in the TUI, driven through tmux against a real
# ansigramd: escape sequences for Home and End as terminals send them,
# the cursor after emoji sequences, the key table, composing in $EDITOR,
# the composer's mode and @mention completion. The harness is harness.sh.
# Prints one line per check and "N passed, N failed"; exits 1 on failure.
. "$(dirname "$0")/harness.sh"

# raw BYTES: writes BYTES to the app as one sequence, as a terminal would.
raw() { tmux -L "$SOCK" send-keys -l -- "$1"; sleep 0.1; }
cursor_x() { tmux -L "$SOCK" display -p '#{cursor_x}'; }

# wait_cursor COL [MS]: true once the terminal's cursor is in column COL.
wait_cursor() {
	local col=$1 deadline=$(($(now_ms) + ${2:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ "$(cursor_x)" = "$col" ] && return 0
		sleep 0.05
	done
	return 1
}

unset VISUAL EDITOR

# The editor the TUI is given: notes its arguments, the file's mode and
# text, then writes $TMP/editor.text into the file, or fails when asked.
cat >"$TMP/editor.sh" <<'SCRIPT'
#!/bin/sh
dir=$(dirname "$0")
for last; do :; done
printf '%s\n' "$@" >"$dir/editor.args"
stat -c %a "$last" >"$dir/editor.mode"
cat "$last" >"$dir/editor.before"
[ -e "$dir/editor.fail" ] && exit 3
cat "$dir/editor.text" >"$last"
SCRIPT
chmod +x "$TMP/editor.sh"
mkdir -p "$TMP/tmpdir"

# quit_tui: q on home, then the TUI's exit status line.
quit_tui() {
	press 1 q
	local deadline=$(($(now_ms) + 3000))
	until [ -s "$TMP/tui.exit" ] || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.05; done
	cat "$TMP/tui.exit" 2>/dev/null
}

restart_tui() {
	stop_tui
	rm -f "$TMP/tui.exit"
	start_tui "$@"
	check "the TUI starts again" "1 Home" 8000
	session_checked
}

# The tab bar shows while a saved session is still being checked, and keys
# pressed then reach no screen: wait until the check is done.
session_checked() {
	wait_gone "your session" 8000 || fail "the saved session is checked"
}

# ---- data ----
start_server
for who in alice bob; do
	cli auth register --username "$who" --email "$who@example.com" --password "$PASSWORD" \
		--full-name "${who^} Tester" >/dev/null || { echo "tui_input_test: cannot register $who"; exit 1; }
done
cli auth register --username bobby --email bobby@example.com --password "$PASSWORD" >/dev/null
printf '%s\n' "$PASSWORD" | cli auth login --username alice --password-stdin >/dev/null

# ---- Home and End as xterm, PuTTY and tmux send them ----
start_tui TERM=xterm-256color "EDITOR='$TMP/editor.sh --from-test'" "TMPDIR='$TMP/tmpdir'"
check "the saved session opens home" "1 Home" 8000
session_checked
press n
check "n opens the composer" "What's happening?"
type_text "hello"
check "typed text shows" "hello"
raw $'\e[1~'
type_text "A"
check "ESC [ 1 ~ is Home" "Ahello"
raw $'\e[4~'
type_text "Z"
check "ESC [ 4 ~ is End" "AhelloZ"
raw $'\e[7~'
type_text "B"
check "ESC [ 7 ~ is Home" "BAhelloZ"
raw $'\e[8~'
type_text "Y"
check "ESC [ 8 ~ is End" "BAhelloZY"
raw $'\eOH'
type_text "C"
check "ESC O H is Home" "CBAhelloZY"
raw $'\eOF'
type_text "X"
check "ESC O F is End" "CBAhelloZYX"
raw $'\e[H'
type_text "D"
check "ESC [ H is Home" "DCBAhelloZYX"
raw $'\e[F'
type_text "W"
check "ESC [ F is End" "DCBAhelloZYXW"
raw $'\e[99~'
raw $'\e[1;5Q'
raw $'\e[200;7X'
raw $'\eOz'
type_text "!"
check "unknown sequences are swallowed whole" "DCBAhelloZYXW!"
screen | grep -qE '99~|1;5Q|200;7X' && fail "no tail of an unknown sequence is typed" ||
	pass "no tail of an unknown sequence is typed"

# ---- the cursor after emoji sequences ----
press C-u
wait_gone "DCBAhelloZYXW!" && pass "C-u clears the line" || fail "C-u clears the line"
type_text "x"
check "one letter typed" "x"
start_col=$(cursor_x)
family=$'\U1F468\u200D\U1F469\u200D\U1F467'
flag=$'\U1F1E9\U1F1EA'
type_text "${family}yz"
check "a ZWJ sequence shows as one emoji" "x${family}yz"
if wait_cursor $((start_col + 4)); then
	pass "the cursor after a ZWJ sequence is 2 columns on"
else
	fail "the cursor after a ZWJ sequence is 2 columns on (at $(cursor_x), want $((start_col + 4)))"
fi
type_text "${flag}q"
if wait_cursor $((start_col + 7)); then
	pass "the cursor after a flag is 2 columns on"
else
	fail "the cursor after a flag is 2 columns on (at $(cursor_x), want $((start_col + 7)))"
fi
press BSpace BSpace
if wait_cursor $((start_col + 4)); then
	pass "backspace removes a flag whole"
else
	fail "backspace removes a flag whole (at $(cursor_x), want $((start_col + 4)))"
fi
press Left Left Left
if wait_cursor "$start_col"; then
	pass "left steps over a ZWJ sequence in one go"
else
	fail "left steps over a ZWJ sequence in one go (at $(cursor_x), want $start_col)"
fi
press Escape
check "Esc keeps the draft" "Draft kept"

# ---- one key table, shown by ? ----
press 1 '?'
check "? on home shows the posts' keys" "like / unlike"
screen | grep -qF "l Right" && fail "l is not also right in the help" ||
	pass "l is not also right in the help"
screen | grep -qF "pause a story" && fail "home's help has no story keys" ||
	pass "home's help has no story keys"
press Escape
wait_gone "like / unlike" && pass "the help closes" || fail "the help closes"
press 3 '?'
check "? on activity shows its keys" "mark all read"
screen | grep -qF "like / unlike" && fail "activity's help has no post keys" ||
	pass "activity's help has no post keys"
press Escape
press 1 q
check "q with an unsent draft asks first, saying the draft is kept" \
	"Quit? Your draft is kept for next time."
screen | grep -qF "Discard" && fail "a draft kept on disk is not called discarded" ||
	pass "a draft kept on disk is not called discarded"
press n
wait_gone "Your draft is kept" && pass "n keeps the app and the draft" ||
	fail "n keeps the app and the draft"
[ -e "$TMP/tui.exit" ] && fail "the app is still running" || pass "the app is still running"

# ---- writing in $EDITOR ----
press 6
check "the draft is still there" "x${family}yz"
printf 'written in the editor #ed\n' >"$TMP/editor.text"
press C-e
check "Ctrl-E puts the editor's text in the field" "written in the editor #ed"
check "the counter counts it (trailing newline trimmed)" "25 / 2200"
grep -qxF "x${family}yz" "$TMP/editor.before" && pass "the editor got the draft" ||
	fail "the editor got the draft ($(cat "$TMP/editor.before"))"
[ "$(cat "$TMP/editor.mode")" = 600 ] && pass "the temporary file is 0600" ||
	fail "the temporary file is 0600 ($(cat "$TMP/editor.mode"))"
[ "$(head -1 "$TMP/editor.args")" = "--from-test" ] && pass "\$EDITOR's words are its arguments" ||
	fail "\$EDITOR's words are its arguments ($(cat "$TMP/editor.args"))"
tmpfile=$(tail -1 "$TMP/editor.args")
case $tmpfile in
"$TMP/tmpdir/"*) pass "the temporary file is in \$TMPDIR" ;;
*) fail "the temporary file is in \$TMPDIR ($tmpfile)" ;;
esac
[ -e "$tmpfile" ] && fail "the temporary file is removed" || pass "the temporary file is removed"
touch "$TMP/editor.fail"
printf 'never used\n' >"$TMP/editor.text"
press C-e
check "an editor that fails says so" "did not finish cleanly"
screen | grep -qF "written in the editor #ed" && pass "and the text is unchanged" ||
	fail "and the text is unchanged"
rm -f "$TMP/editor.fail"
printf 'https://example.com/a.png\n' >"$TMP/editor.text"
press Tab C-e
check "Ctrl-E works in a one-line field" "https://example.com/a.png"
press C-s
check "the post written in the editor is published" "written in the editor #ed" 5000

# ---- the composer opens as a post after a story ----
press s
check "s opens the story composer" "What's your story?"
type_text "a story from the composer"
press C-s
check "the story is shared" "Your story is up for 24 hours." 5000
wait_gone "What's your story?" && pass "the composer closes" || fail "the composer closes"
press 6
check "after a story the composer opens as a post" "What's happening?"
screen | grep -qF "New story" && fail "not as a story" || pass "not as a story"
press C-t
check "Ctrl-T still switches to a story" "What's your story?"
press C-t Escape

# ---- @mentions: completed, opened, and notified ----
press 6
check "the composer is back" "What's happening?"
type_text "hey @bobb"
press Tab
type_text "x"
check "Tab completes the one name that fits, with a space" "hey @bobby x"
press C-u
wait_gone "hey @bobby" && pass "C-u clears it" || fail "C-u clears it"
type_text "hello @bo"
press Tab
check "Tab lists everyone a name could be" "@bobby"
screen | grep -qE '^ +(@bob @bobby|@bobby @bob) *$' && pass "both of them" || fail "both of them"
type_text " x"
check "and completes what they share" "hello @bob x"
press C-s
check "the post with a mention is published" "hello @bob x" 5000
wait_gone "What's happening?" && pass "back on the feed" || fail "back on the feed"
press @
check "@ on a post opens the mentioned profile" "Bob Tester"
press Escape
mention_post=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM posts WHERE content = 'hello @bob x';")
bob_id=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM users WHERE username = 'bob';")
alice_id=$(sqlite3 "$TMP/ansigram.db" "SELECT id FROM users WHERE username = 'alice';")
# A mention notification as PROTOCOL.md section 8 has the server write it.
sqlite3 "$TMP/ansigram.db" "PRAGMA ignore_check_constraints = ON;
	INSERT INTO notifications (user_id, actor_id, type, reference_id, message, created_at)
	VALUES ($alice_id, $bob_id, 'mention', $mention_post, 'bob mentioned you',
	CAST(strftime('%s', 'now') AS INTEGER) * 1000);"
press 3 r
check "Activity lists the mention" "bob mentioned you"
press g Enter
check "Enter on a mention opens the post" "Post by @alice"
check "the post is the one mentioning" "hello @bob x"
press c
type_text "thanks @bobb"
press Tab
type_text "x"
check "Tab completes an @name in the comment line" "thanks @bobby x"
press C-u
wait_gone "thanks @bobby" && pass "C-u clears the comment line" || fail "C-u clears the comment line"
type_text "cc @bo"
press Tab
check "Tab in the comment line lists everyone a name could be" "@bobby"
screen | grep -qE '(@bob @bobby|@bobby @bob)' && pass "both of them, over the comment line" ||
	fail "both of them, over the comment line"
press C-u Escape Escape 4 m
type_text bob
press Enter
check "the message line opens" "Write a message…"
type_text "ask @bobb"
press Tab
type_text "x"
check "Tab completes an @name in the message line" "ask @bobby x"
press C-u Escape Escape Escape 1

# ---- quitting with nothing unsent asks nothing ----
[ "$(quit_tui)" = "exit=0" ] && pass "q with no draft quits at once" ||
	fail "q with no draft quits at once ($(cat "$TMP/tui.exit" 2>/dev/null))"

# ---- a hostile $EDITOR is never a shell command; a clashing key is refused ----
mkdir -p "$XDG_CONFIG_HOME/ansigram"
printf 'key.like = q\n' >"$XDG_CONFIG_HOME/ansigram/config"
restart_tui "EDITOR='$TMP/editor.sh;touch $TMP/pwned'"
check "a key.<action> that would clash is refused with a warning" "q for like is already back"
press Escape  # closes the settings panel
press '?'
check "the help shows like" "like / unlike"
screen | grep -qE ' l +like / unlike' && pass "still on l alone" || fail "still on l alone"
press Escape
rm -f "$XDG_CONFIG_HOME/ansigram/config"
press 6
check "the composer opens" "What's happening?"
press C-e
check "an editor that cannot be run says so" "Could not run the editor"
[ -e "$TMP/pwned" ] && fail "\$EDITOR did not go through a shell" ||
	pass "\$EDITOR did not go through a shell"
press Escape

# ---- no editor and no vi ----
restart_tui "PATH=/nonexistent"
press 6
check "the composer opens again" "What's happening?"
press C-e
check "with no editor at all a message says what to set" "No editor: set \$VISUAL or \$EDITOR"
press Escape

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
