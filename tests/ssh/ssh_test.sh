#!/usr/bin/env bash
# ssh_test.sh: ansigram hosted over SSH, end to end: a private OpenSSH sshd
# (its own config, host key and port on 127.0.0.1; the system sshd and
# /etc/ssh are never touched) configured with the shipped sshd_config
# snippet and AuthorizedKeysCommand, a real ansigramd whose only SSH
# gateway is the dedicated account, and real `ssh` clients with a fresh
# ed25519 key per person; the TUI runs in tmux. Every wait has a deadline.
# Needs root (it creates the account and runs sshd): exits 77 (skip)
# otherwise. Usage: ssh_test.sh SSHD_SNIPPET AUTHORIZED_KEYS_SCRIPT, with
# ANSIGRAM and ANSIGRAMD set (meson does this).
set -u

: "${ANSIGRAM:?set ANSIGRAM to the ansigram binary}"
: "${ANSIGRAMD:?set ANSIGRAMD to the ansigramd binary}"
ACCOUNT=ansigram
if [ "$(id -u)" -ne 0 ]; then
	echo "ssh_test: needs root (creates the '$ACCOUNT' account and runs sshd); skipping"
	exit 77
fi
SNIPPET=$(realpath "${1:?give the sshd_config snippet}")
KEYS_SCRIPT=$(realpath "${2:?give the AuthorizedKeysCommand script}")
SSHD=/usr/sbin/sshd
for tool in "$SSHD" ssh ssh-keygen tmux setpriv python3 useradd; do
	if ! command -v "$tool" >/dev/null; then
		echo "ssh_test: $tool is not installed (tests/setup.sh installs it); skipping"
		exit 77
	fi
done

passed=0
failed=0
SERVER_PID=""
SSHD_PID=""
TMUX_SOCK=""        # the tmux server of the TUI being driven
TMUX_SOCKS=()       # every one started, for the clean-up
# Under /run: sshd wants the AuthorizedKeysCommand in directories that
# only root can write, all the way up (not /tmp).
TMP=$(mktemp -d /run/ag-ssh-test.XXXXXX)
chmod 755 "$TMP"

cleanup() {
	for sock in "${TMUX_SOCKS[@]}"; do
		tmux -L "$sock" kill-server 2>/dev/null
	done
	for pid in "$SSHD_PID" "$SERVER_PID"; do
		if [ -n "$pid" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
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
	echo "---- server log (tail) ----"
	tail -n 15 "$TMP/srv/server.log" 2>/dev/null
	echo "---- sshd log (tail) ----"
	tail -n 15 "$TMP/sshd/sshd.log" 2>/dev/null
	echo "----------------"
}
screen() { tmux -L "$TMUX_SOCK" capture-pane -p 2>/dev/null; }
# wait_for TEXT [MS]: true once TEXT is on the screen, false at the deadline.
wait_for() {
	local text=$1 deadline=$(($(now_ms) + ${2:-8000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		screen | grep -qF -- "$text" && return 0
		sleep 0.05
	done
	return 1
}
# wait_file FILE [MS]: true once FILE exists.
wait_file() {
	local deadline=$(($(now_ms) + ${2:-8000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_in_file FILE TEXT [MS]: true once FILE holds TEXT (grep -F pattern).
wait_in_file() {
	local deadline=$(($(now_ms) + ${3:-5000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
check() {
	if wait_for "$2" "${3:-8000}"; then pass "$1"; else fail "$1 (waiting for '$2')"; fi
}
type_text() { tmux -L "$TMUX_SOCK" send-keys -l -- "$1"; sleep 0.1; }
press() {
	local k
	for k in "$@"; do
		tmux -L "$TMUX_SOCK" send-keys "$k"
		sleep 0.1
	done
}

# ---- the dedicated account ----
if ! getent passwd "$ACCOUNT" >/dev/null; then
	useradd --create-home --shell /bin/sh --comment "ansigram over SSH" "$ACCOUNT" ||
		{ echo "ssh_test: cannot create the account $ACCOUNT"; exit 1; }
fi
shell=$(getent passwd "$ACCOUNT" | cut -d: -f7)
home=$(getent passwd "$ACCOUNT" | cut -d: -f6)
if [ ! -x "$shell" ] || [ "${shell##*/}" = nologin ] || [ "${shell##*/}" = false ] || [ ! -d "$home" ]; then
	echo "ssh_test: the account $ACCOUNT needs a real shell and a home (sshd runs ForceCommand through the shell)"
	exit 1
fi
# Without PAM, sshd refuses accounts whose password is locked ("!...");
# "*" means "no password" without locking.
if getent shadow "$ACCOUNT" | cut -d: -f2 | grep -q '^!'; then
	usermod -p '*' "$ACCOUNT"
fi
ACCOUNT_GID=$(id -g "$ACCOUNT")

# ---- files: binaries the account can run, sockets only it (and root) can reach ----
mkdir -p "$TMP/bin" "$TMP/sshd" "$TMP/run" "$TMP/srv" "$TMP/people" /run/sshd
install -m 755 "$ANSIGRAM" "$TMP/bin/ansigram"
install -m 755 "$KEYS_SCRIPT" "$TMP/bin/ansigram-ssh-keys"
chmod 700 "$TMP/sshd" "$TMP/srv"
chmod 711 "$TMP/people"
chgrp "$ACCOUNT_GID" "$TMP/run"
chmod 750 "$TMP/run"
REQ="ipc://$TMP/run/req.sock"
PUB="ipc://$TMP/run/pub.sock"

# ---- ansigramd: the account is its SSH gateway; its sockets are group-owned ----
setpriv --regid="$ACCOUNT_GID" --clear-groups -- \
	"$ANSIGRAMD" --db "$TMP/srv/ansigram.db" --listen "$REQ" --pub "$PUB" --pwhash min \
	--ipc-mode 0660 --ssh-gateway-uid "$ACCOUNT" >>"$TMP/srv/server.log" 2>&1 &
SERVER_PID=$!
cli() { "$ANSIGRAM" --server "$REQ" "$@"; }
as() { local who=$1; shift; cli --session "$TMP/people/$who.session" "$@"; }
deadline=$(($(now_ms) + 10000))
until cli server ping >/dev/null 2>&1; do
	if [ "$(now_ms)" -ge "$deadline" ]; then
		echo "ssh_test: ansigramd did not start"; cat "$TMP/srv/server.log"; exit 1
	fi
	sleep 0.05
done

# ---- sshd: the shipped snippet, pointed at this build ----
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$TMP/sshd/host_ed25519" -C ag-ssh-test-host
{
	cat <<-EOF
	Port $PORT
	ListenAddress 127.0.0.1
	HostKey $TMP/sshd/host_ed25519
	PidFile $TMP/sshd/sshd.pid
	UsePAM no
	LogLevel VERBOSE
	AllowUsers $ACCOUNT
	AuthorizedKeysFile none
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	EOF
	sed -e "s|^\(\s*\)ForceCommand .*|\1ForceCommand $TMP/bin/ansigram --ssh|" \
		-e "s|^\(\s*\)AuthorizedKeysCommand .*ansigram-ssh-keys |\1AuthorizedKeysCommand $TMP/bin/ansigram-ssh-keys |" \
		-e "s|^\(\s*\)#SetEnv ANSIGRAM_SERVER=.*|\1SetEnv ANSIGRAM_SERVER=$REQ LANG=C.UTF-8|" \
		"$SNIPPET"
} >"$TMP/sshd/sshd_config"
for want in "ForceCommand $TMP/bin/ansigram --ssh" "AuthorizedKeysCommand $TMP/bin/ansigram-ssh-keys %t %k" \
	"SetEnv ANSIGRAM_SERVER=$REQ" "ExposeAuthInfo yes" "DisableForwarding yes"; do
	grep -qF -- "$want" "$TMP/sshd/sshd_config" ||
		{ echo "ssh_test: the snippet has no line like '$want'"; exit 1; }
done
if ! "$SSHD" -t -f "$TMP/sshd/sshd_config" 2>"$TMP/sshd/check.log"; then
	echo "ssh_test: sshd rejects the configuration:"; cat "$TMP/sshd/check.log"; exit 1
fi
"$SSHD" -D -f "$TMP/sshd/sshd_config" -E "$TMP/sshd/sshd.log" &
SSHD_PID=$!

# One fresh key per person.
for who in alice bob; do
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/people/$who" -C "$who@test"
done
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o LogLevel=ERROR
	-o ConnectTimeout=10)
# ssh_as WHO [COMMAND...]: one connection with WHO's key, 30 s at most.
ssh_as() {
	local who=$1
	shift
	timeout 30 ssh "${SSH_OPTS[@]}" -i "$TMP/people/$who" "$ACCOUNT@127.0.0.1" -- "$@"
}
deadline=$(($(now_ms) + 10000))
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
	if [ "$(now_ms)" -ge "$deadline" ]; then
		echo "ssh_test: sshd did not start"; cat "$TMP/sshd/sshd.log"; exit 1
	fi
	sleep 0.05
done

TERM_NAME=screen
infocmp tmux-256color >/dev/null 2>&1 && TERM_NAME=tmux-256color
# open_tui WHO TAG: ssh -t in a tmux session of its own (a fresh tmux
# server: no race with the previous one's exit); the exit status lands in
# TMP/TAG.exit.
open_tui() {
	[ -n "$TMUX_SOCK" ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	TMUX_SOCK="ag-ssh-$$-$2"
	TMUX_SOCKS+=("$TMUX_SOCK")
	rm -f "$TMP/$2.exit" "$TMP/$2.pane"
	tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -x 100 -y 30 \
		"TERM=$TERM_NAME ssh ${SSH_OPTS[*]} -tt -i '$TMP/people/$1' $ACCOUNT@127.0.0.1; echo \"exit=\$?\" > '$TMP/$2.exit'; sleep 60"
	tmux -L "$TMUX_SOCK" pipe-pane -o "cat >> '$TMP/$2.pane'"
}
PASSWORD="correct horse 42"
alice_fp=$(ssh-keygen -lf "$TMP/people/alice.pub" | cut -d' ' -f2)
bob_fp=$(ssh-keygen -lf "$TMP/people/bob.pub" | cut -d' ' -f2)

# ---- (1) first connection, unlinked key: register, link, feed ----
open_tui alice first
check "an unlinked key opens the login form, saying so" "not linked to an account yet" 15000
press Tab Tab Tab Enter
check "the registration form opens" "Create your account"
type_text alice
press Tab
type_text alice@example.com
press Tab Tab
type_text "$PASSWORD"
press Enter
check "after registering, the client offers to link the key" "logged in next time? [Y/n]"
if screen | tr -d ' \n│' | grep -qF "($alice_fp)"; then
	pass "the offer names the key's fingerprint as ssh-keygen -l prints it"
else
	fail "the offer names the key's fingerprint as ssh-keygen -l prints it ($alice_fp)"
fi
press Enter
check "the key is linked" "Key linked" 8000
check "the feed is on screen" "Your feed is empty"
linked_to=$(sqlite3 "file:$TMP/srv/ansigram.db?mode=ro" "SELECT u.username FROM ssh_keys k
	JOIN users u ON u.id = k.user_id WHERE k.fingerprint = '$alice_fp'" 2>&1)
[ "$linked_to" = alice ] && pass "the database links the key to alice" ||
	fail "the database links the key to alice ($linked_to)"
press q
if wait_file "$TMP/first.exit" 10000 && grep -qx "exit=0" "$TMP/first.exit"; then
	pass "quitting the TUI ends the SSH session with status 0"
else
	fail "quitting the TUI ends the SSH session with status 0 ($(cat "$TMP/first.exit" 2>/dev/null))"
fi

# ---- (2) second connection, same key: straight to the feed; a DM arrives live ----
start=$(now_ms)
open_tui alice second
if wait_for "Your feed is empty" 15000; then
	login_ms=$(($(now_ms) - start))
	pass "a linked key goes straight to the feed (ssh to feed on screen: $login_ms ms)"
	echo "# linked-key login, from starting ssh to the feed on screen: $login_ms ms"
else
	fail "a linked key goes straight to the feed"
fi
# TERM crosses SSH: with tmux-256color the app draws in 256 colours.
colour=$'\e[38;5;'
[ "$TERM_NAME" = screen ] && colour=$'\e[3'
wait_in_file "$TMP/second.pane" "$colour" 3000 &&
	pass "the app uses the colours of TERM=$TERM_NAME over SSH" ||
	fail "the app uses the colours of TERM=$TERM_NAME over SSH"
if screen | grep -qF "Link this key" || screen | grep -qF "Create your account"; then
	fail "no login form and no link question for a linked key"
else
	pass "no login form and no link question for a linked key"
fi
printf '%s\n' "$PASSWORD" | cli auth register --username carol --email carol@example.com \
	--password-stdin >/dev/null && printf '%s\n' "$PASSWORD" |
	as carol login carol --password-stdin >/dev/null || fail "carol registers locally"
start=$(now_ms)
as carol dm @alice "hello over ssh" >/dev/null
if wait_for "hello over ssh" 5000; then
	pass "a DM from a local CLI user appears live in the SSH-hosted TUI ($(($(now_ms) - start)) ms)"
else
	fail "a DM from a local CLI user appears live in the SSH-hosted TUI"
fi
# The pane's output reaches the file through a pipe: wait for it too.
if wait_in_file "$TMP/second.pane" $'hello over ssh\a' 5000 &&
	grep -qF $'\e]9;ansigram: @carol: hello over ssh\a' "$TMP/second.pane"; then
	pass "the DM rings the bell with an OSC 9 notification through SSH"
else
	fail "the DM rings the bell with an OSC 9 notification through SSH"
fi
tmux -L "$TMUX_SOCK" resize-window -x 120 -y 40 2>/dev/null
if wait_for "Home" 5000 && [ "$(tmux -L "$TMUX_SOCK" display -p '#{pane_width}')" = 120 ]; then
	pass "the TUI redraws after the terminal is resized"
else
	fail "the TUI redraws after the terminal is resized"
fi
# A photo posted from a local CLI shows in the SSH-hosted feed, in
# coloured blocks (TERM names tmux there, so blocks are chosen).
if command -v convert >/dev/null; then
	convert -seed 5 -size 120x80 plasma:fractal "$TMP/cat.jpg"
	ssh_as alice follow @carol >/dev/null 2>&1 || fail "alice follows carol over SSH"
	as carol post --photo "$TMP/cat.jpg" "my cat" >/dev/null || fail "carol posts a photo"
	press 1 r
	check "carol's photo post reaches the SSH-hosted feed" "my cat" 8000
	deadline=$(($(now_ms) + 8000))
	until [ "$(tmux -L "$TMUX_SOCK" capture-pane -e -p |
		python3 "$(dirname "$0")/../tui/photo_rows.py")" -ge 3 ] ||
		[ "$(now_ms)" -ge "$deadline" ]; do
		sleep 0.05
	done
	if [ "$(now_ms)" -lt "$deadline" ]; then
		pass "the photo is drawn in coloured blocks over SSH"
	else
		fail "the photo is drawn in coloured blocks over SSH"
	fi
else
	echo "# ImageMagick's convert is missing: the photo over SSH is not checked"
fi

# ---- (3) commands over SSH ----
out=$(ssh_as alice feed --json 2>"$TMP/err")
code=$?
if [ $code -eq 0 ] && printf '%s' "$out" | python3 -c 'import json, sys; assert isinstance(json.load(sys.stdin), list)'; then
	pass "ssh HOST feed --json prints JSON with the linked key"
else
	fail "ssh HOST feed --json prints JSON with the linked key (exit $code: $out $(cat "$TMP/err"))"
fi
out=$(ssh_as alice whoami --json 2>&1)
if printf '%s' "$out" | grep -qF '"username":"alice"'; then
	pass "ssh HOST whoami names the key's account"
else
	fail "ssh HOST whoami names the key's account ($out)"
fi
ssh_as alice post "'a quoted post'" "\"with \\\"inner\\\" quotes\"" >/dev/null 2>"$TMP/err"
out=$(ssh_as alice --json feed 2>&1)
if printf '%s' "$out" | grep -qF '"content":"a quoted post with \"inner\" quotes"'; then
	pass "the command is split like a shell splits simple quoting"
else
	fail "the command is split like a shell splits simple quoting ($out $(cat "$TMP/err"))"
fi
out=$(ssh_as bob feed 2>&1)
code=$?
if [ $code -eq 1 ] && printf '%s' "$out" | grep -qF "not linked" && printf '%s' "$out" | grep -qF "ssh-key add"; then
	pass "an unlinked key exits 1 and says how to link it"
else
	fail "an unlinked key exits 1 and says how to link it (exit $code: $out)"
fi
out=$(ssh_as alice 2>&1 </dev/null)
code=$?
[ $code -eq 2 ] && printf '%s' "$out" | grep -qF "ssh -t" &&
	pass "without a terminal or a command it says to use ssh -t (exit 2)" ||
	fail "without a terminal or a command it says to use ssh -t ($code: $out)"
out=$(ssh_as alice --session /etc/passwd whoami 2>&1)
code=$?
if [ $code -eq 2 ] && ! printf '%s' "$out" | grep -q "root:"; then
	pass "ssh HOST --session /etc/passwd whoami exits 2 and shows nothing of the file"
else
	fail "ssh HOST --session /etc/passwd whoami exits 2 ($code: $out)"
fi
# A FIFO blocks whoever opens it: refusing without reading returns at once.
mkfifo -m 666 "$TMP/people/trap.fifo"
for opt in --session --ca; do
	out=$(ssh_as alice whoami "$opt" "$TMP/people/trap.fifo" 2>&1)
	code=$?
	if [ $code -eq 2 ]; then
		pass "ssh HOST whoami $opt FILE exits 2 without opening the file"
	else
		fail "ssh HOST whoami $opt FILE exits 2 without opening the file ($code: $out)"
	fi
done
# Photo files, upload data and output files are on the host: refused
# without opening the FIFO.
for words in "post hi --photo" "media upload --data" "media get 1 -o" "media get 1 --output"; do
	out=$(ssh_as alice $words "$TMP/people/trap.fifo" 2>&1)
	code=$?
	[ $code -eq 2 ] && pass "ssh HOST $words FILE exits 2 without opening the file" ||
		fail "ssh HOST $words FILE exits 2 without opening the file ($code: $out)"
done
out=$(ssh_as alice --server "$REQ" whoami 2>&1)
[ $? -eq 2 ] && pass "ssh HOST --server URL is refused (exit 2)" || fail "ssh HOST --server URL is refused ($out)"
out=$(ssh_as alice ssh-key add "$TMP/people/bob.pub" 2>&1)
[ $? -eq 2 ] && pass "ssh-key add FILE over SSH is refused (exit 2)" || fail "ssh-key add FILE over SSH is refused ($out)"
ssh-keygen -q -t ecdsa -b 384 -N '' -f "$TMP/people/alice2" -C alice-laptop
alice2_fp=$(ssh-keygen -lf "$TMP/people/alice2.pub" | cut -d' ' -f2)
out=$(ssh_as alice ssh-key add - <"$TMP/people/alice2.pub" 2>&1)
if printf '%s' "$out" | grep -qF "$alice2_fp" &&
	ssh_as alice2 whoami --json 2>&1 | grep -qF '"username":"alice"'; then
	pass "ssh HOST ssh-key add - links a second key sent on stdin"
else
	fail "ssh HOST ssh-key add - links a second key sent on stdin ($out)"
fi
out=$(ssh_as alice login alice 2>&1)
[ $? -eq 2 ] && pass "login over SSH is refused (exit 2)" || fail "login over SSH is refused ($out)"

# ---- (4) a second person never sees the first one's session ----
printf '%s\n' "$PASSWORD" | cli auth register --username bob --email bob@example.com \
	--password-stdin >/dev/null && printf '%s\n' "$PASSWORD" |
	as bob login bob --password-stdin >/dev/null || fail "bob registers locally"
out=$(as bob ssh-key add "$TMP/people/bob.pub")
if printf '%s' "$out" | grep -qF "$bob_fp"; then
	pass "ssh-key add FILE prints the fingerprint ssh-keygen -l prints"
else
	fail "ssh-key add FILE prints the fingerprint ssh-keygen -l prints ($out, want $bob_fp)"
fi
out=$(ssh_as bob whoami --json 2>&1)
if printf '%s' "$out" | grep -qF '"username":"bob"' && ! printf '%s' "$out" | grep -qF alice; then
	pass "a second person's key logs in as themselves, while the first is connected"
else
	fail "a second person's key logs in as themselves ($out)"
fi
out=$(ssh_as alice whoami --json 2>&1)
printf '%s' "$out" | grep -qF '"username":"alice"' &&
	pass "the first person is still themselves" || fail "the first person is still themselves ($out)"
out=$(ssh_as bob ssh-key list --json 2>&1)
if printf '%s' "$out" | grep -qF "$bob_fp" && ! printf '%s' "$out" | grep -qF "$alice_fp"; then
	pass "each person lists only their own keys"
else
	fail "each person lists only their own keys ($out)"
fi

# ---- what the server logged ----
if grep -qF "ssh login: alice (user" "$TMP/srv/server.log" && grep -qF "$alice_fp" "$TMP/srv/server.log"; then
	pass "the server logs each gateway login with account and fingerprint"
else
	fail "the server logs each gateway login with account and fingerprint"
fi
bob_blob=$(cut -d' ' -f2 "$TMP/people/bob.pub")
if grep -qF "$bob_blob" "$TMP/srv/server.log"; then
	fail "no key material in the server log"
else
	pass "no key material in the server log"
fi

# ---- the profile screen lists linked keys and removes one ----
press 5
check "the profile screen opens" "SSH keys"
press Right Right Right
check "its SSH keys section lists the linked key" "$alice_fp"
check "and the second one, linked over SSH" "$alice2_fp"
press Down   # newest first: the key this session was opened with is second
press d
check "removing asks first" "Remove the SSH key"
press y
check "the key is removed" "Key removed"
out=$(ssh_as alice whoami 2>&1)
code=$?
[ $code -eq 1 ] && printf '%s' "$out" | grep -qF "not linked" &&
	pass "a removed key no longer logs in" || fail "a removed key no longer logs in ($code: $out)"
ssh_as alice2 whoami --json 2>&1 | grep -qF '"username":"alice"' &&
	pass "the other key still logs in" || fail "the other key still logs in"
press 4
start=$(now_ms)
as carol dm @alice "still connected after the key went" >/dev/null
check "the session the removed key opened keeps working" "still connected after the key went"

# Drafts over SSH stay in memory: they outlive a logout, and no file is
# written in the shared account's home.
press n
check "over SSH the composer opens" "What's happening?"
type_text "an SSH draft kept in memory"
press Escape 5 X
check "over SSH logging out asks first" "Log out of ansigram"
press y
check "over SSH logging out opens the login form" "Username or email" 8000
type_text alice
press Tab
type_text "$PASSWORD"
press Enter
check "over SSH logging in again opens home" "1 Home" 8000
press n
check "over SSH the draft is back after logging in again" "an SSH draft kept in memory"
drafts_files=$(find "$home" -name 'drafts-*' 2>/dev/null)
[ -z "$drafts_files" ] && pass "over SSH no drafts file is written" ||
	fail "over SSH no drafts file is written ($drafts_files)"
press Escape

# The draft lives in memory only here: quitting asks before losing it.
press q
check "over SSH q with a draft asks before quitting" "Discard the draft and quit?"
press y
wait_file "$TMP/second.exit" 10000 && grep -qx "exit=0" "$TMP/second.exit" &&
	pass "the second session also ends with status 0" ||
	fail "the second session also ends with status 0"

kill "$SERVER_PID"
wait "$SERVER_PID"
code=$?
SERVER_PID=""
[ $code -eq 0 ] && pass "ansigramd stops cleanly (exit 0)" || fail "ansigramd stops cleanly (exit $code)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
