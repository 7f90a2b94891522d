#!/usr/bin/env bash
# conformance.sh: runs the independent conformance checks against a built
# server, when the checker is there: ../shared/conformance/run beside this
# checkout, or the file $AG_CONFORMANCE names. A plain clone has no
# ../shared: then it prints a one-line notice and succeeds, except under
# CI=true, where the checks are required and their absence fails.
# Usage: tests/conformance.sh SERVER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."

server=${1:?usage: tests/conformance.sh SERVER_BINARY}
conformance=${AG_CONFORMANCE:-../shared/conformance/run}
if [ -f "$conformance" ]; then
	exec bash "$conformance" "$server"
elif [ "${CI:-}" = true ]; then
	echo "conformance: $conformance not found, and CI=true requires it" >&2
	exit 1
else
	echo "conformance: skipping the conformance checks ($conformance not found)"
fi
