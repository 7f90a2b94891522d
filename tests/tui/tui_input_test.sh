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

# ---- data ----
start_server
for who in alice bob; do
	cli auth register --username "$who" --email "$who@example.com" --password "$PASSWORD" \
		--full-name "${who^} Tester" >/dev/null || { echo "tui_input_test: cannot register $who"; exit 1; }
done
cli auth register --username bobby --email bobby@example.com --password "$PASSWORD" >/dev/null
printf '%s\n' "$PASSWORD" | cli auth login --username alice --password-stdin >/dev/null

# ---- Home and End as xterm, PuTTY and tmux send them ----
start_tui TERM=xterm-256color
check "the saved session opens home" "1 Home" 8000
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
