#!/usr/bin/env bash
# test_cli.sh: drives the real ansigram binary against a real ansigramd on
# a private directory: every op through its GROUP VERB form, every friendly
# command, --json output compared with the reply itself (through wire.py,
# an independent client), each exit code, the session file, passwords kept
# out of argv, one post from a retried request, watch, photos (post and
# story --photo, media get, show drawing on a pty), and tls+tcp:// servers
# checked by name (--ca, --tls-server-name).
# Needs $ANSIGRAM and $ANSIGRAMD (set by meson), and python3 with msgpack.
# Every wait has a deadline (tests/deadline.sh).
set -u

: "${ANSIGRAM:?set ANSIGRAM to the ansigram binary}"
: "${ANSIGRAMD:?set ANSIGRAMD to the ansigramd binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../deadline.sh"
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import msgpack' 2>/dev/null || py=python3
if ! "$py" -c 'import msgpack' 2>/dev/null; then
	echo "test_cli: needs python3 with msgpack (Debian: python3-msgpack)" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/agcli-XXXXXX)
url="ipc://$dir/req.sock"
pub="ipc://$dir/pub.sock"
server_pid=""
background=()
passed=0
failed=0

cleanup()
{
	for p in "${background[@]}" $server_pid; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${background[@]}" $server_pid; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$failed" -eq 0 ]; then
		rm -rf "$dir"
	else
		echo "test_cli: kept $dir for a look" >&2
	fi
}
trap cleanup EXIT

start_server()
{
	"$ANSIGRAMD" --db "$dir/ansigram.db" --listen "$url" --pub "$pub" --pwhash min \
		>>"$dir/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 100); do
		"$ANSIGRAM" --server "$url" --timeout 500 server ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "test_cli: the server did not start" >&2
	cat "$dir/server.log" >&2
	exit 1
}

stop_server()
{
	kill -TERM "$server_pid"
	wait_pid "$server_pid" 30
}

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail()
{
	failed=$((failed + 1))
	echo "FAIL - $1"
	shift
	for detail in "$@"; do
		printf '%s\n' "$detail" | sed 's/^/    /'
	done
}

# ag USER ARGS...: runs ansigram as USER (whose session file is
# $dir/USER.session; "-" for none) against the test server. Sets OUT, ERR
# and RC.
ag()
{
	local who=$1
	shift
	OUT=$(ANSIGRAM_SESSION="$dir/$who.session" "$ANSIGRAM" --server "$url" "$@" 2>"$dir/stderr")
	RC=$?
	ERR=$(cat "$dir/stderr")
}

# expect NAME RC USER ARGS...: runs ag and checks the exit code.
expect()
{
	local name=$1 want=$2
	shift 2
	ag "$@"
	if [ "$RC" -eq "$want" ]; then
		pass "$name"
		return 0
	fi
	fail "$name (exit $RC, wanted $want)" "stdout: $OUT" "stderr: $ERR"
	return 1
}

# has NAME TEXT WHAT: checks that TEXT contains WHAT.
has()
{
	case $2 in
	*"$3"*) pass "$1" ;;
	*) fail "$1" "wanted: $3" "got: $2" ;;
	esac
}

# lacks NAME TEXT WHAT: checks that TEXT does not contain WHAT.
lacks()
{
	case $2 in
	*"$3"*) fail "$1" "did not want: $3" "got: $2" ;;
	*) pass "$1" ;;
	esac
}

# json_get JSON EXPR: evaluates a Python expression over the parsed JSON d.
json_get()
{
	"$py" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# same_json NAME A B: checks that two JSON texts hold equal values.
same_json()
{
	if "$py" -c 'import json, sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' \
		"$2" "$3" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "cli:  $2" "wire: $3"
	fi
}

token_of() { sed -n 's/^token=//p' "$dir/$1.session"; }

# wire OP ARGS_JSON [USER]: the data of a reply got through wire.py.
wire()
{
	local token=""
	[ $# -ge 3 ] && token=$(token_of "$3")
	"$py" "$here/wire.py" call "$url" "$1" "$2" $token
}
wire_data() { json_get "$(wire "$@")" 'json.dumps(d["data"])'; }

start_server

echo "# help and usage"
expect "--help" 0 - --help && has "--help lists groups" "$OUT" "notification"
expect "--version" 0 - --version && has "--version" "$OUT" "protocol 1"
expect "group help" 0 - post --help && has "group help lists verbs" "$OUT" "comments"
expect "verb help" 0 - post create --help && has "verb help lists args" "$OUT" "--image-url URL"
has "verb help gives limits" "$OUT" "2200 characters"
expect "command help" 0 - notifications --help && has "command help lists options" "$OUT" "--unread"
expect "password help warns about ps" 0 - auth login --help && has "password help" "$OUT" "ps"

echo "# register, login, sessions"
printf 'alice-password\n' >"$dir/pw"
expect "register alice" 0 alice register alice --email alice@example.com --full-name 'Alice A' \
	--password-stdin <"$dir/pw"
has "register logs in" "$OUT" "Logged in as @alice"
mode=$(stat -c %a "$dir/alice.session")
[ "$mode" = 600 ] && pass "session file is 0600" || fail "session file is 0600" "mode $mode"
expect "register bob" 0 bob register bob --email bob@example.com --password-stdin \
	<<<'bob-password'
printf 'carol-password\ncarol-password\n' >"$dir/pw3"
expect "auth register (generic)" 0 - auth register --username carol --email carol@example.com \
	--password-stdin <"$dir/pw3"
expect "auth login (generic) saves the session" 0 carol auth login --username carol \
	--password-stdin <"$dir/pw3"
[ -f "$dir/carol.session" ] && pass "auth login wrote the session" ||
	fail "auth login wrote the session"
expect "login by email" 0 carol2 --json login carol@example.com --password-stdin <"$dir/pw3"
topic=$(sed -n 's/^push_topic=//p' "$dir/carol2.session")
cli_topic=$(json_get "$OUT" 'd["push"]["topic"]')
wire_topic=$("$py" -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$topic")
[ "$cli_topic" = "$wire_topic" ] && pass "--json prints bin as base64" ||
	fail "--json prints bin as base64" "cli $cli_topic" "session $wire_topic"

# The password goes through stdin only: while login waits for it, argv
# holds no password.
mkfifo "$dir/fifo"
ANSIGRAM_SESSION="$dir/alice2.session" "$ANSIGRAM" --server "$url" login alice \
	--password-stdin <"$dir/fifo" >/dev/null 2>&1 &
login_pid=$!
exec 7>"$dir/fifo"
sleep 0.3
if tr '\0' ' ' <"/proc/$login_pid/cmdline" | grep -q -- "alice-password"; then
	fail "password stays out of argv" "$(tr '\0' ' ' <"/proc/$login_pid/cmdline")"
else
	pass "password stays out of argv"
fi
printf 'alice-password\n' >&7
exec 7>&-
wait_pid "$login_pid" 20 && pass "login with --password-stdin" || fail "login with --password-stdin"

# On a terminal, the password is asked for without echo.
prompt=$("$py" "$here/pty_login.py" "$ANSIGRAM" "$url" "$dir/alice3.session" alice alice-password)
[ "$prompt" = "0 False True" ] && pass "password prompt without echo" ||
	fail "password prompt without echo" "exit, echoed, logged in: $prompt"
# A password typed before the prompt shows is kept, not thrown away.
prompt=$("$py" "$here/pty_login.py" --ahead "$ANSIGRAM" "$url" "$dir/alice4.session" alice \
	alice-password)
case $prompt in
"0 "*" True") pass "password typed ahead of the prompt" ;;
*) fail "password typed ahead of the prompt" "exit, echoed, logged in: $prompt" ;;
esac
# Ctrl-C at the prompt ends ansigram with echo back on; Ctrl-Z stops it
# with echo on, and once continued the prompt is quiet again and works.
prompt=$("$py" "$here/pty_login.py" --interrupt "$ANSIGRAM" "$url" "$dir/alice5.session" alice \
	alice-password)
[ "$prompt" = "130 True True" ] && pass "Ctrl-C at the prompt restores echo" ||
	fail "Ctrl-C at the prompt restores echo" "exit, quiet at the prompt, echo after: $prompt"
prompt=$("$py" "$here/pty_login.py" --suspend "$ANSIGRAM" "$url" "$dir/alice6.session" alice \
	alice-password)
[ "$prompt" = "0 True True True" ] && pass "Ctrl-Z at the prompt restores echo while stopped" ||
	fail "Ctrl-Z at the prompt restores echo while stopped" \
	"exit, echo while stopped, quiet again, logged in: $prompt"

alice_id=$(sed -n 's/^user_id=//p' "$dir/alice.session")
bob_id=$(sed -n 's/^user_id=//p' "$dir/bob.session")

echo "# friendly commands"
expect "whoami" 0 alice whoami && has "whoami names me" "$OUT" "@alice"
expect "post" 0 alice post hello '#cats' and '#Dogs' && has "post prints it" "$OUT" "hello #cats"
expect "post with image" 0 alice --json post 'sunrise #sky' --image https://example.com/sun.jpg
post_id=$(json_get "$OUT" 'd["id"]')
expect "post from stdin" 0 alice post - <<<"from stdin"
expect "follow" 0 bob follow @alice && has "follow says so" "$OUT" "You now follow @alice"
expect "like" 0 bob like "$post_id" && has "like says so" "$OUT" "You like post $post_id"
expect "comment" 0 bob comment "$post_id" nice picture
expect "show" 0 alice show "$post_id" && has "show has the comment" "$OUT" "nice picture"
expect "feed" 0 bob feed && has "feed has alice's post" "$OUT" "@alice"
expect "profile" 0 bob profile @alice && has "profile counts" "$OUT" "3 posts"
has "profile counts in the singular" "$OUT" "3 posts · 1 follower · 0 following"
has "profile says I follow" "$OUT" "you follow them"
expect "profile of me" 0 alice profile && has "my profile" "$OUT" "@alice"
expect "followers" 0 alice followers && has "followers has bob" "$OUT" "@bob"
expect "following" 0 bob following && has "following has alice" "$OUT" "@alice"
expect "story" 0 alice story good morning
expect "story with image" 0 alice story --image https://example.com/s.jpg
expect "stories" 0 bob stories && has "stories has alice's" "$OUT" "good morning"
expect "dm" 0 bob dm @alice hi alice && has "dm says so" "$OUT" "Sent to @alice"
expect "dms" 0 alice dms && has "dms has bob" "$OUT" "@bob"
has "dms shows unread" "$OUT" "1 unread"
expect "thread" 0 alice thread bob && has "thread has the message" "$OUT" "hi alice"
ag alice dms
lacks "thread marked it read" "$OUT" "unread"
expect "notifications" 0 alice notifications --unread && has "notifications" "$OUT" "bob liked your post"
expect "search" 0 alice search ca && has "search finds hashtags" "$OUT" "#cats"
expect "tag" 0 bob tag '#cats' && has "tag finds the post" "$OUT" "hello #cats"
expect "read-all" 0 alice read-all && has "read-all counts" "$OUT" "Marked"
expect "unfollow" 0 bob unfollow alice && has "unfollow says so" "$OUT" "no longer follow @alice"
expect "follow again" 0 bob follow alice

echo "# --json compared with the reply"
expect "--json post get" 0 bob --json post get --post-id "$post_id"
same_json "post get JSON is the reply's data" "$OUT" \
	"$(wire_data post.get "{\"post_id\": $post_id}" bob)"
expect "--json profile" 0 bob --json profile alice
same_json "profile JSON is user.get's data" "$OUT" \
	"$(wire_data user.get '{"username": "alice"}' bob)"
text='héllo wörld 🌅 日本語 "quoted" \back\slash'
expect "--json keeps UTF-8" 0 alice --json post create --content "$text"
[ "$(json_get "$OUT" 'd["content"]')" = "$text" ] && pass "UTF-8 round trip" ||
	fail "UTF-8 round trip" "$OUT"
expect "--json search" 0 alice --json search cats
has "search JSON has both lists" "$(json_get "$OUT" 'sorted(d)')" "['hashtags', 'users']"
expect "--json show" 0 alice --json show "$post_id"
same_json "show JSON holds the post" "$(json_get "$OUT" 'json.dumps(d["post"])')" \
	"$(wire_data post.get "{\"post_id\": $post_id}" alice)"
expect "--json times are exact integers" 0 alice --json auth me
same_json "auth me JSON is the reply's data" "$OUT" "$(wire_data auth.me '{}' alice)"

echo "# every op through GROUP VERB"
# Values to call each op with; ops not listed are called with no args and
# must at least reach the server (exit 0 or 1).
comment_id=$(json_get "$(wire_data post.comments "{\"post_id\": $post_id}")" 'd[0]["id"]')
ag alice --json story list
story_id=$(json_get "$OUT" 'd[0]["id"]')
ag alice --json notification list
notification_id=$(json_get "$OUT" 'd[0]["id"]')
saga_reply=$(wire post.create '{"content": "for saga.get"}' alice)
saga_id=$(json_get "$saga_reply" 'd["saga"]')
ag alice --json post create --content "to delete"
doomed_post=$(json_get "$OUT" 'd["id"]')
ssh-keygen -q -t ed25519 -N '' -C generic@test -f "$dir/generic_key"
generic_key=$(cat "$dir/generic_key.pub")
generic_fp=$(ssh-keygen -lf "$dir/generic_key.pub" | cut -d' ' -f2)
convert -size 32x24 xc:teal "$dir/generic.png"
ag alice --json media upload --data "$dir/generic.png"
generic_media=$(json_get "$OUT" 'd["id"]')
declare -A op_args=(
	[auth.ssh_key_add]="--public-key '$generic_key'"
	[auth.ssh_key_remove]="--fingerprint '$generic_fp'"
	[server.ping]=""
	[server.info]=""
	[auth.register]="--username dave --email dave@example.com --password dave-password"
	[auth.login]="--username alice --password alice-password"
	[auth.logout]=""
	[auth.me]=""
	[user.get]="--user-id $bob_id"
	[user.update]="--bio hello --full-name ''"
	[user.posts]="--user-id $alice_id --limit 2"
	[user.followers]="--user-id $alice_id"
	[user.following]="--user-id $bob_id"
	[post.create]="--content generic"
	[post.get]="--post-id $post_id"
	[post.delete]="--post-id $doomed_post"
	[post.like]="--post-id $post_id"
	[post.comments]="--post-id $post_id --limit 5"
	[comment.create]="--post-id $post_id --content generic"
	[comment.delete]="--comment-id $comment_id"
	[follow.create]="--user-id $bob_id"
	[follow.delete]="--user-id $bob_id"
	[feed.get]="--limit 3 --offset 0"
	[story.create]="--content generic"
	[story.list]=""
	[story.feed]=""
	[story.delete]="--story-id $story_id"
	[message.send]="--receiver-id $bob_id --content generic"
	[message.conversations]=""
	[message.thread]="--user-id $bob_id"
	[message.mark_read]="--user-id $bob_id"
	[notification.list]="--unread-only"
	[notification.mark_read]="--notification-id $notification_id"
	[notification.mark_all_read]=""
	[search.users]="--q ali"
	[search.hashtags]="--q cat"
	[search.posts_by_hashtag]="--tag cats --limit 5"
	[inbox.counts]=""
	[saga.get]="--saga-id $saga_id"
	[media.upload]="--data '$dir/generic.png'"
)
ops=$(json_get "$(wire_data server.info '{}')" '" ".join(d["ops"])')
# Ops that end something run last, logout the very last.
ordered=$(for op in $ops; do
	case $op in
	*.delete | comment.delete) echo "1 $op" ;;
	auth.logout) echo "2 $op" ;;
	*) echo "0 $op" ;;
	esac
done | sort -s -k1,1n | cut -d' ' -f2)
cp "$dir/alice.session" "$dir/generic.session"
for op in $ordered; do
	group=${op%%.*}
	verb=${op#*.}
	verb=${verb//_/-}
	if [ "$op" = auth.login_ssh ]; then
		# This server has no SSH gateway: refused (forbidden), exit 1.
		expect "$group $verb" 1 generic "$group" "$verb" --public-key "$generic_key"
	elif [ "$op" = media.get ]; then
		expect "$group $verb" 1 generic "$group" "$verb" --media-id 999999 --size thumb
	elif [ -n "${op_args[$op]+set}" ]; then
		eval "args=(${op_args[$op]})"
		expect "$group $verb" 0 generic "$group" "$verb" "${args[@]}"
	else
		ag generic "$group" "$verb"
		if [ "$RC" -le 1 ]; then
			pass "$group $verb (reached the server, exit $RC)"
		else
			fail "$group $verb (exit $RC)" "$ERR"
		fi
	fi
done
[ ! -f "$dir/generic.session" ] && pass "auth logout removed the session file" ||
	fail "auth logout removed the session file"
expect "dotted op name" 0 alice server.ping
expect "underscore verb" 0 alice message mark_read --user-id "$bob_id"
expect "nullable '' sends nil" 0 alice --json user update --full-name ''
[ "$(json_get "$OUT" 'd["full_name"]')" = None ] && pass "full_name cleared" ||
	fail "full_name cleared" "$OUT"
expect "bool with a value" 0 alice notification list --unread-only false --limit 1
expect "option=value" 0 alice --json feed --limit=1
[ "$(json_get "$OUT" 'len(d)')" = 1 ] && pass "--limit=1 honoured" || fail "--limit=1 honoured" "$OUT"
expect "options after the command" 0 alice feed --json --limit 1

echo "# text that starts with a verb"
expect "post text starting with a verb" 0 alice --json post like a boss
[ "$(json_get "$OUT" 'd["content"]')" = "like a boss" ] && pass "'post like a boss' posts it" ||
	fail "'post like a boss' posts it" "$OUT"
expect "story text starting with a verb" 0 alice --json story delete this later
[ "$(json_get "$OUT" 'd["content"]')" = "delete this later" ] &&
	pass "'story delete this later' shares it" || fail "'story delete this later' shares it" "$OUT"
expect "-- before a verb alone" 0 alice --json post -- like
[ "$(json_get "$OUT" 'd["content"]')" = like ] && pass "'post -- like' posts it" ||
	fail "'post -- like' posts it" "$OUT"
expect "verb with options is the op" 0 alice --json post like --post-id "$post_id"
has "post like --post-id likes" "$(json_get "$OUT" 'sorted(d)')" "['like_count', 'liked']"
expect "dotted verb is the op" 0 alice --json post.like --post-id "$post_id"
has "post.like --post-id likes" "$(json_get "$OUT" 'sorted(d)')" "['like_count', 'liked']"
expect "verb and a number is the op" 2 alice post delete "$post_id"
has "verb and a number: hint" "$ERR" "did you mean '--post-id $post_id'?"
ag alice --json post get --post-id "$post_id"
[ "$RC" -eq 0 ] && pass "the post is still there" || fail "the post is still there" "$ERR"

echo "# errors as JSON"
expect "--json server error: exit 1" 1 alice --json post get --post-id 999999
has "server error JSON" "$(json_get "$ERR" 'd["error"]["code"], "field" in d["error"]')" \
	"('not_found', False)"
expect "--json error with a field: exit 1" 1 alice --json follow alice
has "error JSON names the field" "$(json_get "$ERR" 'd["error"]["code"], d["error"]["field"]')" \
	"('bad_request', 'user_id')"
has "error JSON has the message" "$(json_get "$ERR" 'd["error"]["message"]')" "yourself"
expect "--json usage error: exit 2" 2 alice feed --limit 500 --json
has "usage error JSON" "$(json_get "$ERR" 'd["error"]["code"], d["error"]["message"]')" \
	"('usage', \"--limit wants a whole number from 1 to 100, not '500'\")"
expect "--json usage error before --json: exit 2" 2 alice feed --limt 3 --json
has "usage error before --json is JSON" "$(json_get "$ERR" 'd["error"]["code"]')" usage
ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" --server "ipc://$dir/nobody.sock" --json feed \
	>/dev/null 2>"$dir/stderr"
RC=$?
[ "$RC" -eq 3 ] && pass "--json unreachable: exit 3" || fail "--json unreachable: exit 3" "exit $RC"
has "unreachable error JSON" "$(json_get "$(cat "$dir/stderr")" 'd["error"]["code"]')" unreachable

echo "# server URLs"
expect "unknown URL scheme: exit 2" 2 alice --server bogus://x feed
has "unknown scheme named" "$ERR" "--server 'bogus://x' is not a server URL"
OUT=$(ANSIGRAM_SERVER=http://example.com ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" \
	server ping 2>&1)
RC=$?
[ "$RC" -eq 2 ] && pass "ANSIGRAM_SERVER with an unknown scheme: exit 2" ||
	fail "ANSIGRAM_SERVER with an unknown scheme: exit 2" "exit $RC" "$OUT"
has "ANSIGRAM_SERVER named" "$OUT" "ANSIGRAM_SERVER 'http://example.com' is not a server URL"
expect "--pub with an unknown scheme: exit 2" 2 alice --pub udp://x watch --count 1
has "--pub named" "$ERR" "--pub 'udp://x' is not a server URL"
# Several instances of one server: every URL is dialed, one that is down
# is passed over.
OUT=$(ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" --server "ipc://$dir/nobody.sock" \
	--server "$url" --json server ping 2>&1)
RC=$?
[ "$RC" -eq 0 ] && pass "--server twice, the first down: exit 0" ||
	fail "--server twice, the first down: exit 0" "exit $RC" "$OUT"
OUT=$(ANSIGRAM_SERVER="ipc://$dir/nobody.sock, $url" ANSIGRAM_SESSION="$dir/none.session" \
	"$ANSIGRAM" --json server ping 2>&1)
RC=$?
[ "$RC" -eq 0 ] && pass "ANSIGRAM_SERVER listing two, the first down: exit 0" ||
	fail "ANSIGRAM_SERVER listing two, the first down: exit 0" "exit $RC" "$OUT"
OUT=$(ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" --server "ipc://$dir/nobody.sock" \
	--server "ipc://$dir/nobody2.sock" server ping 2>&1)
RC=$?
[ "$RC" -eq 3 ] && pass "--server twice, both down: exit 3" ||
	fail "--server twice, both down: exit 3" "exit $RC" "$OUT"
OUT=$(ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" --server " , " server ping 2>&1)
RC=$?
[ "$RC" -eq 2 ] && pass "--server naming no URL: exit 2" ||
	fail "--server naming no URL: exit 2" "exit $RC" "$OUT"
has "--server naming no URL says so" "$OUT" "--server names no server URL"

echo "# unlike and unfollow change nothing when there is nothing to undo"
likes_before=$(json_get "$(wire_data post.get "{\"post_id\": $post_id}")" 'd["like_count"]')
expect "unlike a post I do not like" 0 carol unlike "$post_id"
has "unlike says nothing changed" "$OUT" "You do not like post $post_id; nothing changed"
[ "$(json_get "$(wire_data post.get "{\"post_id\": $post_id}")" 'd["like_count"]')" = "$likes_before" ] &&
	pass "unlike left the likes alone" || fail "unlike left the likes alone"
expect "like it" 0 carol like "$post_id"
expect "unlike a post I like" 0 carol --json unlike "$post_id"
has "unlike JSON" "$(json_get "$OUT" 'd["liked"], d["like_count"] == '"$likes_before")" "(False, True)"
[ "$(json_get "$(wire_data post.get "{\"post_id\": $post_id}" carol)" 'd["liked_by_me"]')" = False ] &&
	pass "unlike took the like back" || fail "unlike took the like back"
expect "unlike it again" 0 carol --json unlike "$post_id"
has "unlike again JSON" "$(json_get "$OUT" 'd["liked"]')" False
expect "unlike a post that is not there: exit 1" 1 carol unlike 999999
expect "unfollow someone I do not follow" 0 carol unfollow @alice
has "unfollow says nothing changed" "$OUT" "You do not follow @alice; nothing changed"
expect "unfollow JSON when nothing changed" 0 carol --json unfollow alice
has "unfollow JSON" "$(json_get "$OUT" 'd')" "{'following': False}"
expect "follow, then unfollow" 0 carol follow alice
expect "unfollow someone I follow" 0 carol unfollow alice
has "unfollow says so" "$OUT" "You no longer follow @alice"
expect "unfollow nobody: exit 1" 1 carol unfollow @nobody-here

echo "# errors name what was typed"
expect "dm to myself: exit 1" 1 alice dm @alice hello me
has "dm to myself names the recipient" "$ERR" "argument @NAME"
lacks "dm to myself names no option" "$ERR" "--receiver-id"
expect "dm to nobody: exit 1" 1 alice dm @nobody-here hello
has "dm to nobody names the recipient" "$ERR" "no user @nobody-here"
lacks "dm to nobody names no option" "$ERR" "--username"
expect "a post with a bad image names --image" 2 alice post hi --image ftp://x
has "--image named" "$ERR" "--image"

echo "# bash completion"
# complete WORDS...: what the completion offers for the last word (sourced
# in a fresh bash, called as bash calls it), one per line.
complete_line()
{
	timeout 20 bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_ansigram; printf "%s\n" "${COMPREPLY[@]}"' _ "$here/../../tui/ansigram.bash-completion" \
		"$ANSIGRAM" "$@"
}
got=$(complete_line post --image '')
[ -z "$got" ] && pass "completion: no verbs for --image's value" ||
	fail "completion: no verbs for --image's value" "$got"
got=$(complete_line post --image https://x/y.jpg hel)
[ -z "$got" ] && pass "completion: an option's value is not the verb" ||
	fail "completion: an option's value is not the verb" "$got"
has "completion: global options after a command" "$(complete_line feed --s)" "--session"
has "completion: --tls-server-name after a command" "$(complete_line post create --tls)" \
	"--tls-server-name"
has "completion: files for --session after a command" \
	"$(complete_line whoami --session "$dir/alice.se")" "$dir/alice.session"
has "completion: @names from the server" "$(complete_line --server "$url" follow @al)" "@alice"
has "completion: a dm's recipient" "$(complete_line --server "$url" dm bo)" "bob"
got=$(complete_line --server "$url" dm @bob hel)
[ -z "$got" ] && pass "completion: no names for a dm's text" || fail "completion: no names for a dm's text" "$got"
# A server that takes the connection and never answers: completion gives
# up within its own 2 s limit.
"$py" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
time.sleep(60)' "$dir/silent.sock" &
background+=($!)
wait_file "$dir/silent.sock" 20
start=$(date +%s)
got=$(complete_line --server "ipc://$dir/silent.sock" --timeout 60000 follow @al)
rc=$?
[ "$rc" -eq 0 ] && [ -z "$got" ] && pass "completion: a silent server gives no names" ||
	fail "completion: a silent server gives no names" "exit $rc" "$got"
[ $(($(date +%s) - start)) -lt 15 ] && pass "completion: a silent server does not hang the shell" ||
	fail "completion: a silent server does not hang the shell"

echo "# exit codes"
expect "exit 1: server error" 1 alice post get --post-id 999999
has "error line" "$ERR" "error: not_found:"
expect "exit 1: field named" 1 alice follow alice
has "error names the field" "$ERR" "user_id"
expect "exit 1: not logged in" 1 nobody feed
has "hint to log in" "$ERR" "ansigram login"
expect "exit 2: unknown command" 2 alice feeed
has "hint for a typo" "$ERR" "did you mean 'feed'"
expect "exit 2: unknown option" 2 alice feed --limt 3
has "hint for an option" "$ERR" "--limit"
expect "exit 2: out of range" 2 alice feed --limit 500
expect "exit 2: not an id" 2 alice post get --post-id abc
expect "exit 2: missing arg" 2 alice post get
expect "exit 2: bad text" 2 alice comment "$post_id" '   '
expect "exit 1: a post of only white space" 1 alice post '   '
has "error names content" "$ERR" "content"
expect "exit 2: bad bool" 2 alice notification list --unread-only maybe
expect "exit 2: unknown verb" 2 alice post creat
ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" --server "ipc://$dir/nobody.sock" feed \
	>/dev/null 2>"$dir/stderr"
RC=$?
[ "$RC" -eq 3 ] && pass "exit 3: nobody listens" || fail "exit 3: nobody listens" "exit $RC"
has "exit 3 names the URL" "$(cat "$dir/stderr")" "ipc://$dir/nobody.sock"

echo "# environment"
OUT=$(ANSIGRAM_SERVER="$url" ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" whoami 2>&1)
has "ANSIGRAM_SERVER and ANSIGRAM_SESSION" "$OUT" "@alice"
OUT=$(ANSIGRAM_TOKEN="$(token_of bob)" ANSIGRAM_SESSION="$dir/alice.session" \
	"$ANSIGRAM" --server "$url" whoami 2>&1)
has "ANSIGRAM_TOKEN overrides the file" "$OUT" "@bob"
OUT=$("$ANSIGRAM" whoami --session "$dir/bob.session" --server "$url" 2>&1)
has "--server and --session after the command" "$OUT" "@bob"
# With no --server, the client finds a server started with its defaults.
mkdir -p "$dir/run" "$dir/data"
XDG_RUNTIME_DIR="$dir/run" XDG_DATA_HOME="$dir/data" "$ANSIGRAMD" --pwhash min \
	>>"$dir/default-server.log" 2>&1 &
default_server=$!
background+=("$default_server")
for _ in $(seq 100); do
	XDG_RUNTIME_DIR="$dir/run" ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" --timeout 500 \
		server ping >/dev/null 2>&1 && break
	sleep 0.1
done
OUT=$(XDG_RUNTIME_DIR="$dir/run" ANSIGRAM_SESSION="$dir/none.session" "$ANSIGRAM" --json \
	server info 2>&1)
has "default URLs match the server's" "$OUT" "ipc://$dir/run/ansigram/ansigramd-pub.sock"
kill "$default_server"

echo "# output is safe and fitted"
long=$(printf 'word%.0s ' $(seq 60))
expect "post with tabs and newlines" 0 alice post create --content "$(printf 'tab\there\nnext line %s' "$long")"
expect "feed for the width check" 0 alice feed --limit 3
if printf '%s' "$OUT" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]'; then
	fail "no control characters in output"
else
	pass "no control characters in output"
fi
widest=$(printf '%s\n' "$OUT" | "$py" -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
[ "$widest" -le 80 ] && pass "lines fit in 80 columns" || fail "lines fit in 80 columns" "widest $widest"

echo "# a retried post runs once"
# A write lock held on the database keeps the server from answering in
# time: the first try times out, the retry (same idempotency key) times
# out too, and once the lock goes, exactly one post appears.
"$py" -c '
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(1.5)
db.execute("COMMIT")
' "$dir/ansigram.db" "$dir/locked" &
locker=$!
wait_file "$dir/locked" 20 || fail "the database lock was taken"
expect "exit 3: no reply in time" 3 alice --timeout 300 post only once please
has "it was retried" "$ERR" "once more"
wait_pid "$locker" 20
sleep 0.5
ag alice --json user posts --user-id "$alice_id" --limit 100
count=$(json_get "$OUT" 'sum(p["content"] == "only once please" for p in d)')
[ "$count" = 1 ] && pass "one post after the retry" || fail "one post after the retry" "$count posts"

echo "# watch"
ANSIGRAM_SESSION="$dir/alice.session" timeout 20 "$ANSIGRAM" --server "$url" --json watch \
	--count 1 >"$dir/watch.out" 2>"$dir/watch.err" &
watcher=$!
background+=("$watcher")
for _ in $(seq 50); do grep -q watching "$dir/watch.err" && break; sleep 0.1; done
sleep 0.3
expect "register dave" 0 dave register dave2 --email dave2@example.com --password-stdin \
	<<<'dave-password'
expect "dave follows alice" 0 dave follow alice
wait_pid "$watcher" 30
rc=$?
[ "$rc" -eq 0 ] && pass "watch --count 1 exits 0" || fail "watch --count 1 exits 0" "exit $rc" \
	"$(cat "$dir/watch.err")"
event=$(cat "$dir/watch.out")
has "watch prints the follow" "$(json_get "$event" 'd["type"], d["data"]["type"], d["data"]["actor_username"]')" \
	"('notification', 'follow', 'dave2')"
has "watch event has seq and at" "$(json_get "$event" 'd["seq"] > 0 and d["at"] > 0')" "True"

# A session saved before logins named a push URL: watch says to log in again.
grep -v '^push_url=' "$dir/alice.session" >"$dir/old.session"
ANSIGRAM_SESSION="$dir/old.session" timeout 20 "$ANSIGRAM" --server "$url" watch --count 1 \
	>/dev/null 2>"$dir/old.err" &
old_watcher=$!
for _ in $(seq 50); do grep -q "log in again" "$dir/old.err" && break; sleep 0.1; done
kill "$old_watcher" 2>/dev/null
wait_pid "$old_watcher" 10
has "watch on a session with no push URL says to log in again" "$(cat "$dir/old.err")" \
	"if no events arrive, log in again"

# A gap in seq: events come from a stand-in publisher (seq 1, then 3);
# after seq 3, the like that happened in between is fetched and printed
# with seq 0.
fake="ipc://$dir/fake-pub.sock"
events='[{"type": "post", "seq": 1, "at": 1, "data": {"id": 900001, "content": "one"}},
	{"type": "post", "seq": 3, "at": 3, "data": {"id": 900003, "content": "three"}}]'
"$py" "$here/wire.py" publish "$fake" "$(sed -n 's/^push_topic=//p' "$dir/alice.session")" \
	"$(sed -n 's/^push_key=//p' "$dir/alice.session")" "$dir/go" "$events" &
background+=($!)
for _ in $(seq 100); do [ -f "$dir/go.ready" ] && break; sleep 0.1; done
ANSIGRAM_SESSION="$dir/alice.session" timeout 20 "$ANSIGRAM" --server "$url" --pub "$fake" \
	--json watch --count 3 >"$dir/gap.out" 2>"$dir/gap.err" &
watcher=$!
background+=("$watcher")
for _ in $(seq 50); do grep -q watching "$dir/gap.err" && break; sleep 0.1; done
expect "a like while nobody sees it" 0 dave like "$post_id"
sleep 0.3
touch "$dir/go"
wait_pid "$watcher" 30
rc=$?
[ "$rc" -eq 0 ] && pass "watch across a gap exits 0" || fail "watch across a gap exits 0" "exit $rc"
has "gap reported on stderr" "$(cat "$dir/gap.err")" "missed 1 event (seq 3 after 1)"
lines=$("$py" -c '
import json, sys
print([(e["type"], e["seq"]) for e in map(json.loads, open(sys.argv[1]))])' "$dir/gap.out")
has "refetched event between the pushed ones" "$lines" \
	"[('post', 1), ('post', 3), ('notification', 0)]"

# Without --json, one line per event, within the width (80 columns when
# not a terminal), even for an old event (a date, not "5m ago") with long
# text and newlines in it.
fake2="ipc://$dir/fake-pub2.sock"
long_text=$(printf 'word%.0s ' $(seq 40))
events=$("$py" -c '
import json, sys
text = sys.argv[1]
print(json.dumps([
    {"type": "post", "seq": 1, "at": 1000, "data": {"id": 900011, "author_username": "x",
        "content": "first\nsecond " + text}},
    {"type": "message", "seq": 2, "at": 2000, "data": {"id": 900012, "sender_id": int(sys.argv[2]),
        "receiver_id": int(sys.argv[3]), "content": "a\nb\tc " + text}},
    {"type": "notification", "seq": 3, "at": 3000, "data": {"id": 900013,
        "message": "two\nlines " + text}}]))' "$long_text" "$bob_id" "$alice_id")
"$py" "$here/wire.py" publish "$fake2" "$(sed -n 's/^push_topic=//p' "$dir/alice.session")" \
	"$(sed -n 's/^push_key=//p' "$dir/alice.session")" "$dir/go2" "$events" &
background+=($!)
for _ in $(seq 100); do [ -f "$dir/go2.ready" ] && break; sleep 0.1; done
ANSIGRAM_SESSION="$dir/alice.session" timeout 20 "$ANSIGRAM" --server "$url" --pub "$fake2" \
	watch --count 3 >"$dir/plain.out" 2>"$dir/plain.err" &
watcher=$!
background+=("$watcher")
for _ in $(seq 50); do grep -q watching "$dir/plain.err" && break; sleep 0.1; done
touch "$dir/go2"
wait_pid "$watcher" 30
rc=$?
[ "$rc" -eq 0 ] && pass "plain watch exits 0" || fail "plain watch exits 0" "exit $rc" \
	"$(cat "$dir/plain.err")"
[ "$(wc -l <"$dir/plain.out")" -eq 3 ] && pass "plain watch: one line per event" ||
	fail "plain watch: one line per event" "$(cat "$dir/plain.out")"
widest=$("$py" -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1])))' \
	"$dir/plain.out")
[ "$widest" -le 80 ] && pass "plain watch lines fit in 80 columns" ||
	fail "plain watch lines fit in 80 columns" "widest $widest" "$(cat "$dir/plain.out")"
has "plain watch shows the message" "$(cat "$dir/plain.out")" "message from @bob: a b c word"

# A server restart does not end watch: it reconnects by itself, and what
# was sent before its push socket was back is fetched once an event comes
# (seq 0). SIGINT ends it with 0.
ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" --server "$url" --json watch \
	>"$dir/live.out" 2>"$dir/live.err" &
watcher=$!
background+=("$watcher")
for _ in $(seq 50); do grep -q watching "$dir/live.err" && break; sleep 0.1; done
stop_server
start_server
sent=0
for n in $(seq 20); do
	ag bob dm alice "after the restart $n"
	sent=$n
	sleep 0.5
	grep -q "after the restart" "$dir/live.out" && break
done
ag bob dm alice "after the restart, last"
sleep 0.5
kill -INT "$watcher"
wait_pid "$watcher" 30
rc=$?
[ "$rc" -eq 0 ] && pass "watch exits 0 on SIGINT" || fail "watch exits 0 on SIGINT" "exit $rc"
seen=$("$py" -c '
import json, sys
print(sorted(e["data"]["content"] for e in map(json.loads, open(sys.argv[1]))
             if e["type"] == "message"))' "$dir/live.out")
dups=$("$py" -c '
import json, sys
keys = [(e["type"], e["data"]["id"]) for e in map(json.loads, open(sys.argv[1]))]
print(len(keys) - len(set(keys)))' "$dir/live.out")
[ "$dups" = 0 ] && pass "watch printed no event twice" || fail "watch printed no event twice" \
	"$(cat "$dir/live.out")"
want=$("$py" -c '
import sys
n = int(sys.argv[1])
print(sorted(["after the restart %d" % i for i in range(1, n + 1)] + ["after the restart, last"]))' "$sent")
[ "$seen" = "$want" ] && pass "watch got every message sent after the restart" ||
	fail "watch got every message sent after the restart" "seen $seen" "sent $want" \
	"$(cat "$dir/live.err")"

echo "# watch after its session ends"
# A watch whose session is logged out from another client notices at its
# next ping (every 2 s here), says why, and exits 1.
expect "login for a watch" 0 alicew login alice --password-stdin <<<'alice-password'
cp "$dir/alicew.session" "$dir/alicew2.session"
ANSIGRAM_SESSION="$dir/alicew.session" timeout 60 "$ANSIGRAM" --server "$url" watch --ping 2 \
	>"$dir/revoked.out" 2>"$dir/revoked.err" &
watcher=$!
background+=("$watcher")
for _ in $(seq 100); do grep -q watching "$dir/revoked.err" && break; sleep 0.1; done
expect "logout from another client" 0 alicew2 logout
wait_pid "$watcher" 30
rc=$?
[ "$rc" -eq 1 ] && pass "watch exits 1 once its session is revoked" ||
	fail "watch exits 1 once its session is revoked" "exit $rc" "$(cat "$dir/revoked.err")"
has "watch says the session was revoked" "$(cat "$dir/revoked.err")" \
	"your session was revoked or has expired; log in again"
expect "exit 2: --ping 0" 2 alice watch --ping 0
has "--ping range named" "$ERR" "--ping wants seconds from 1 to 3600"

echo "# photos"
# Photos made here with ImageMagick; the server re-encodes every upload
# as JPEG. A terminal for `show` and `media get` is a pty made by script.
convert -size 96x64 gradient:red-blue "$dir/p.jpg"
convert -size 40x30 xc:green "$dir/p.png"
convert -size 30x30 xc:yellow "$dir/p.gif"
convert -size 30x20 xc:purple "$dir/p.webp"
printf 'just some text, not a photo\n' >"$dir/not-photo.txt"
: >"$dir/empty.jpg"
{ printf '\377\330\377\340'; head -c $((8 * 1024 * 1024)) /dev/zero; } >"$dir/huge.jpg"
# on_tty OUTFILE ENV... -- ARGS...: runs ansigram as alice on a pty (with
# the given environment), its terminal output in OUTFILE; sets RC.
on_tty()
{
	local out=$1
	shift
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	local cmd
	cmd=$(printf '%q ' env "${envs[@]}" ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" \
		--server "$url" "$@")
	timeout 30 script -qefc "stty cols 100 rows 40; $cmd" /dev/null </dev/null >"$out" 2>&1
	RC=$?
}
nobody="ipc://$dir/nobody-listens.sock"
# Refused before anything is sent: against a server nobody listens on,
# exit 2 (usage) and not 3 (unreachable).
for bad in not-photo.txt empty.jpg huge.jpg missing.jpg; do
	expect "post --photo $bad is refused before sending" 2 alice --server "$nobody" \
		post --photo "$dir/$bad" hello
done
has "not a photo: said why" "$(ag alice --server "$nobody" post --photo "$dir/not-photo.txt" hi; echo "$ERR")" \
	"not a photo"
ag alice --server "$nobody" post --photo "$dir/empty.jpg" hi
has "empty: said why" "$ERR" "is empty"
ag alice --server "$nobody" post --photo "$dir/huge.jpg" hi
has "too large: said why" "$ERR" "8 MiB"
ag alice --server "$nobody" story --photo "$dir" hi
[ "$RC" -eq 2 ] && has "a directory is refused" "$ERR" "directory" ||
	fail "a directory is refused" "exit $RC" "$ERR"
posts_before=$(json_get "$(wire_data user.get '{"username": "alice"}')" 'd["post_count"]')
ag alice post --photo "$dir/not-photo.txt" hi
posts_after=$(json_get "$(wire_data user.get '{"username": "alice"}')" 'd["post_count"]')
[ "$RC" -eq 2 ] && [ "$posts_before" = "$posts_after" ] &&
	pass "a refused photo posts nothing" || fail "a refused photo posts nothing" "exit $RC" \
	"posts $posts_before -> $posts_after"

expect "post --photo JPEG with text" 0 alice --json post --photo "$dir/p.jpg" "a #sunset photo"
photo_post=$(json_get "$OUT" 'd["id"]')
media_id=$(json_get "$OUT" 'd["media"]["id"]')
has "the post's media is a JPEG" "$(json_get "$OUT" 'd["media"]["mime"]')" "image/jpeg"
[ "$(json_get "$OUT" '(d["media"]["width"], d["media"]["height"])')" = "(96, 64)" ] &&
	pass "the media has the photo's size" ||
	fail "the media has the photo's size" "$(json_get "$OUT" 'd["media"]')"
has "the media has a thumb" "$(json_get "$OUT" 'sorted(d["media"]["thumb"])')" "width"
same_json "post --json media is the server's" "$(json_get "$OUT" 'json.dumps(d["media"])')" \
	"$(json_get "$(wire_data post.get "{\"post_id\": $photo_post}")" 'json.dumps(d["media"])')"
for kind in png gif webp; do
	expect "post --photo ${kind^^} without text" 0 alice --json post --photo "$dir/p.$kind"
	has "${kind^^} became a JPEG" "$(json_get "$OUT" 'd["media"]["mime"]')" "image/jpeg"
done
expect "story --photo" 0 alice --json story --photo "$dir/p.png" "a story photo"
has "the story has its media" "$(json_get "$OUT" 'd["media"]["mime"]')" "image/jpeg"
expect "show a photo post on a pipe" 0 alice show "$photo_post"
has "show names the photo" "$OUT" "photo #$media_id"
lacks "no drawing on a pipe" "$OUT" $'\033'
expect "show --json holds the media" 0 alice --json show "$photo_post"
has "show --json media id" "$(json_get "$OUT" 'd["post"]["media"]["id"]')" "$media_id"

expect "media get -o" 0 alice media get "$media_id" -o "$dir/got.jpg"
has "media get says what it wrote" "$OUT" "$dir/got.jpg"
[ "$(head -c 3 "$dir/got.jpg" | od -An -tx1 | tr -d ' ')" = "ffd8ff" ] &&
	pass "media get wrote a JPEG" || fail "media get wrote a JPEG"
[ "$(identify -format '%wx%h' "$dir/got.jpg")" = "96x64" ] && pass "the JPEG is 96x64" ||
	fail "the JPEG is 96x64" "$(identify "$dir/got.jpg" 2>&1)"
ANSIGRAM_SESSION="$dir/alice.session" "$ANSIGRAM" --server "$url" media get "$media_id" \
	--size thumb >"$dir/thumb.jpg" 2>"$dir/stderr"
[ $? -eq 0 ] && [ "$(head -c 2 "$dir/thumb.jpg" | od -An -tx1 | tr -d ' ')" = "ffd8" ] &&
	pass "media get --size thumb to a pipe" || fail "media get --size thumb to a pipe" \
	"$(cat "$dir/stderr")"
expect "media get with the op's option" 0 alice media get --media-id "$media_id" -o "$dir/got2.jpg"
cmp -s "$dir/got.jpg" "$dir/got2.jpg" && pass "the same bytes both ways" ||
	fail "the same bytes both ways"
expect "media get of an unknown photo" 1 alice media get 999999 -o "$dir/none.jpg"
[ ! -e "$dir/none.jpg" ] && pass "no file for an unknown photo" || fail "no file for an unknown photo"
expect "media get to an unwritable place" 2 alice media get "$media_id" -o "$dir/no/such/dir.jpg"
expect "media get without an id" 2 alice media get -o "$dir/x.jpg"
expect "media upload --data - reads stdin" 0 alice --json media upload --data - <"$dir/p.gif"
has "an upload from stdin is stored" "$(json_get "$OUT" 'd["mime"]')" "image/jpeg"
expect "media upload of a missing file" 2 alice media upload --data "$dir/missing.png"
expect "media upload of a non-photo: the server says" 1 alice media upload \
	--data "$dir/not-photo.txt"
has "the server names data" "$ERR" "data"
on_tty "$dir/tty-get.out" -- media get "$media_id"
[ "$RC" -eq 2 ] && has "media get refuses a terminal" "$(cat "$dir/tty-get.out")" "-o FILE" ||
	fail "media get refuses a terminal" "exit $RC" "$(cat "$dir/tty-get.out")"
lacks "no JPEG bytes on the terminal" "$(cat "$dir/tty-get.out")" "JFIF"

on_tty "$dir/tty-blocks.out" TERM=xterm-256color COLORTERM=truecolor ANSIGRAM_IMAGES=blocks \
	-- show "$photo_post"
shown=$(cat "$dir/tty-blocks.out")
[ "$RC" -eq 0 ] && pass "show on a terminal" || fail "show on a terminal" "exit $RC" "$shown"
has "show draws blocks in 24-bit colour" "$shown" $'\033[38;2;'
if printf '%s' "$shown" | grep -q '[▀▄█▌▐]'; then pass "show draws block characters"
else fail "show draws block characters" "$(printf '%s' "$shown" | head -c 400 | od -c | head)"; fi
on_tty "$dir/tty-mono.out" TERM=xterm-256color NO_COLOR=1 ANSIGRAM_IMAGES=blocks \
	-- show "$photo_post"
lacks "NO_COLOR: no colour escapes" "$(cat "$dir/tty-mono.out")" $'\033[38'
on_tty "$dir/tty-kitty.out" TERM=xterm-kitty -- show "$photo_post"
has "kitty terminal gets kitty graphics" "$(cat "$dir/tty-kitty.out")" $'\033_G'
on_tty "$dir/tty-sixel.out" TERM=xterm-256color ANSIGRAM_IMAGES=sixel -- show "$photo_post"
if grep -qaP '\x1bP[0-9;]*q' "$dir/tty-sixel.out"; then pass "ANSIGRAM_IMAGES=sixel draws sixel"
else fail "ANSIGRAM_IMAGES=sixel draws sixel"; fi
on_tty "$dir/tty-off.out" TERM=xterm-256color ANSIGRAM_IMAGES=off -- show "$photo_post"
lacks "ANSIGRAM_IMAGES=off draws nothing" "$(cat "$dir/tty-off.out")" "▀"
has "completion: files for --photo" "$(complete_line post --photo "$dir/p.jp")" "$dir/p.jpg"
has "completion: files for -o" "$(complete_line media get 1 -o "$dir/got")" "$dir/got.jpg"

echo "# logout"
old_token=$(token_of alice)
expect "logout" 0 alice logout && has "logout says so" "$OUT" "Logged out"
[ ! -f "$dir/alice.session" ] && pass "logout removed the session file" ||
	fail "logout removed the session file"
OUT=$(ANSIGRAM_TOKEN="$old_token" "$ANSIGRAM" --server "$url" whoami 2>&1)
[ $? -eq 1 ] && pass "the old token no longer works" || fail "the old token no longer works" "$OUT"
expect "logout again is fine" 0 alice logout

echo "# tls+tcp: the certificate must name the server"
# A server whose certificate, from a CA the client trusts, is for
# evil.example: refused at 127.0.0.1 unless --tls-server-name says so,
# for requests and for watch alike.
tls="$dir/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ansigram-test-ca \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-keyout "$tls/ca-key.pem" -out "$tls/ca.pem" 2>/dev/null &&
openssl req -newkey rsa:2048 -nodes -subj /CN=evil.example -keyout "$tls/key.pem" \
	-out "$tls/cert.csr" 2>/dev/null &&
printf 'subjectAltName=DNS:evil.example\n' >"$tls/cert.ext" &&
openssl x509 -req -in "$tls/cert.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" \
	-CAcreateserial -days 1 -extfile "$tls/cert.ext" -out "$tls/cert.pem" 2>/dev/null ||
	fail "openssl made the test certificates"
read -r tls_port tls_pub_port < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
tls_url="tls+tcp://127.0.0.1:$tls_port"
tls_pub="tls+tcp://127.0.0.1:$tls_pub_port"
# One push shard: more would listen on the ports after tls_pub_port, which
# nobody checked are free.
"$ANSIGRAMD" --db "$tls/ansigram.db" --listen "$tls_url" --pub "$tls_pub" --pwhash min \
	--push-shards 1 --tls-cert "$tls/cert.pem" --tls-key "$tls/key.pem" >>"$dir/tls-server.log" 2>&1 &
background+=($!)
# tls_ag USER ARGS...: ansigram against the TLS server, trusting the CA.
tls_ag()
{
	local who=$1
	shift
	OUT=$(ANSIGRAM_SESSION="$tls/$who.session" "$ANSIGRAM" --server "$tls_url" \
		--ca "$tls/ca.pem" --timeout 3000 "$@" 2>"$dir/stderr")
	RC=$?
	ERR=$(cat "$dir/stderr")
}
for _ in $(seq 100); do
	tls_ag - --tls-server-name evil.example server ping && [ "$RC" -eq 0 ] && break
	sleep 0.1
done
[ "$RC" -eq 0 ] && pass "--tls-server-name evil.example reaches the server" ||
	fail "--tls-server-name evil.example reaches the server" "exit $RC" "$ERR"
tls_ag - server ping
[ "$RC" -ne 0 ] && pass "a certificate for evil.example is refused for 127.0.0.1" ||
	fail "a certificate for evil.example is refused for 127.0.0.1" "$OUT"
tls_ag - --tls-server-name good.example server ping
[ "$RC" -ne 0 ] && pass "a certificate for evil.example is refused for good.example" ||
	fail "a certificate for evil.example is refused for good.example" "$OUT"
tls_ag erin --tls-server-name evil.example register erin --email erin@example.com \
	--password-stdin <<<'erin-password'
tls_ag erin --tls-server-name evil.example login erin --password-stdin <<<'erin-password'
[ "$RC" -eq 0 ] && pass "login over tls+tcp" || fail "login over tls+tcp" "$ERR"
has "the session keeps the push URL the login named" "$(cat "$tls/erin.session")" \
	"push_url=$tls_pub"
tls_ag frank --tls-server-name evil.example register frank --email frank@example.com \
	--password-stdin <<<'frank-password'
# watch_tls NAME ARGS...: a watch of erin's events over the TLS push plane
# (the URL her login named) in the background, its output in $tls/NAME.out.
watch_tls()
{
	local name=$1
	shift
	ANSIGRAM_SESSION="$tls/erin.session" timeout 30 "$ANSIGRAM" --server "$tls_url" \
		--ca "$tls/ca.pem" "$@" --json watch --count 1 \
		>"$tls/$name.out" 2>"$tls/$name.err" &
	watcher=$!
	background+=("$watcher")
	for _ in $(seq 100); do grep -q watching "$tls/$name.err" && break; sleep 0.1; done
}
watch_tls unnamed
unnamed_watcher=$watcher
watch_tls named --tls-server-name evil.example
tls_ag frank --tls-server-name evil.example follow erin
wait_pid "$watcher" 30
has "watch with --tls-server-name gets the event" "$(cat "$tls/named.out")" '"follow"'
# The other watch started first and had a second more, but cannot connect.
sleep 1
kill "$unnamed_watcher" 2>/dev/null
wait_pid "$unnamed_watcher" 10
[ ! -s "$tls/unnamed.out" ] && pass "watch refuses a certificate for another name" ||
	fail "watch refuses a certificate for another name" "$(cat "$tls/unnamed.out")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
