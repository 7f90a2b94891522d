#!/usr/bin/env bash
# test_conformance_step.sh: tests/conformance.sh, the last step of
# run-all.sh, with stand-in checkers: skipped with a notice when the
# checker is missing, required under CI=true, and run with the server's
# path (its exit status passed on) when present.
set -u
script=$(cd "$(dirname "$0")/.." && pwd)/conformance.sh
dir=$(mktemp -d /tmp/ag-conformance-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failed=0
check()
{
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "FAIL - $1: got '$2', wanted '$3'"
		failed=$((failed + 1))
	fi
}

out=$(env -u CI AG_CONFORMANCE="$dir/missing" timeout 30 "$script" /bin/server 2>&1)
check "missing checker: exit 0" "$?" 0
case $out in
*skipping*) check "missing checker: one-line notice" "$(printf '%s\n' "$out" | wc -l)" 1 ;;
*) check "missing checker: notice says it skips" "$out" "(a notice that it skips)" ;;
esac

CI=true AG_CONFORMANCE="$dir/missing" timeout 30 "$script" /bin/server >/dev/null 2>&1
check "missing checker under CI=true: exit 1" "$?" 1

printf 'printf "%%s\\n" "$@" >"%s/args"\nexit 0\n' "$dir" >"$dir/pass"
CI=true AG_CONFORMANCE="$dir/pass" timeout 30 "$script" /bin/server >/dev/null 2>&1
check "present checker: exit 0" "$?" 0
check "present checker gets the server" "$(cat "$dir/args" 2>/dev/null)" /bin/server

printf 'exit 3\n' >"$dir/fail"
env -u CI AG_CONFORMANCE="$dir/fail" timeout 30 "$script" /bin/server >/dev/null 2>&1
check "a failing checker fails the step" "$?" 3

[ "$failed" -eq 0 ]
