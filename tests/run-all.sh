#!/usr/bin/env bash
# run-all.sh: sets everything up and runs every test: all meson suites on a
# plain build, again on an AddressSanitizer + UndefinedBehaviorSanitizer
# build, then the independent conformance checks (../shared/conformance, when
# present).
set -euo pipefail
cd "$(dirname "$0")/.."

tests/setup.sh build
meson test -C build --print-errorlogs

tests/setup.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-asan --print-errorlogs
# Criterion reports a sanitizer finding inside a test without failing it.
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" \
		build-asan/meson-logs/testlog.txt; then
	grep -nE -A20 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" \
		build-asan/meson-logs/testlog.txt | head -80
	echo "run-all: the sanitizers reported a problem (above)" >&2
	exit 1
fi
unset ASAN_OPTIONS UBSAN_OPTIONS

# The conformance checker lives beside this checkout (../shared), which a
# plain clone does not have: skip it then, unless CI says it must run.
conformance=../shared/conformance/run
if [ -f "$conformance" ]; then
	bash "$conformance" build/server/ansigramd
elif [ "${CI:-}" = true ]; then
	echo "run-all: $conformance not found, and CI=true requires it" >&2
	exit 1
else
	echo "run-all: skipping the conformance checks ($conformance not found)"
fi
