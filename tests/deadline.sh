# deadline.sh: waiting with a deadline, for the shell test suites (sourced
# by tests/cli/test_cli.sh and tests/tui/tui_test.sh). Nothing here waits
# longer than it is told to.

# wait_pid PID SECONDS: waits for the background child PID to end and
# returns its exit status; if it is still running at the deadline, kills
# it (SIGKILL), says so on stderr and returns 124.
wait_pid()
{
	local pid=$1 deadline=$(($(date +%s%3N) + $2 * 1000))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s%3N)" -ge "$deadline" ]; then
			echo "deadline: process $pid still running after $2 s; killed" >&2
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.05
	done
	wait "$pid"
}

# wait_file FILE SECONDS: true once FILE exists, false at the deadline.
wait_file()
{
	local deadline=$(($(date +%s%3N) + $2 * 1000))
	until [ -e "$1" ]; do
		[ "$(date +%s%3N)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
