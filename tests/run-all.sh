#!/usr/bin/env bash
# run-all.sh: sets everything up and runs every test: all meson suites on a
# plain build, again on an AddressSanitizer + UndefinedBehaviorSanitizer
# build, each libFuzzer target for $AG_FUZZ_SECONDS seconds (default 60),
# then the independent conformance checks (../shared/conformance, when
# present).
set -euo pipefail
cd "$(dirname "$0")/.."

tests/setup.sh build
meson test -C build --print-errorlogs

tests/setup.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
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
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# The fuzz targets (tests/fuzz), built with clang; only they are built in
# build-fuzz. Each runs over a copy of its seed corpus, so the committed
# one is left as it is; a crash fails the run and leaves its input in
# build-fuzz/findings/NAME/. AG_FUZZ_SECONDS=0 skips them.
fuzz_seconds=${AG_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null
	fi
	fuzz_targets=$(cd tests/fuzz/corpus && ls)
	ninja -C build-fuzz $(printf 'tests/fuzz/fuzz_%s ' $fuzz_targets) >/dev/null
	for name in $fuzz_targets; do
		work=build-fuzz/fuzz-corpus/$name findings=build-fuzz/findings/$name
		rm -rf "$work" && mkdir -p "$work" "$findings"
		cp tests/fuzz/corpus/"$name"/* "$work"/
		echo "run-all: fuzzing $name for $fuzz_seconds s"
		if ! build-fuzz/tests/fuzz/fuzz_"$name" "$work" -max_total_time="$fuzz_seconds" \
				-artifact_prefix="$findings/" -print_final_stats=1 \
				>build-fuzz/fuzz-"$name".log 2>&1; then
			tail -40 build-fuzz/fuzz-"$name".log
			echo "run-all: fuzz_$name crashed; the input is in $findings/" >&2
			exit 1
		fi
		grep -E "DONE" build-fuzz/fuzz-"$name".log || true
	done
fi

# The conformance checks, when ../shared is there (required under CI=true).
tests/conformance.sh build/server/ansigramd
