#!/usr/bin/env bash
# setup.sh: installs the Debian packages ansigram needs (when missing) and
# builds it into build/. Safe to run again: it only does what is missing.
# Usage: tests/setup.sh [BUILD_DIR [MESON_OPTION]...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config gcc python3 libnng-dev libmsgpack-dev
	libsqlite3-dev libsodium-dev libncurses-dev libjansson-dev libcriterion-dev
	tmux sqlite3 python3-msgpack openssl clang libclang-rt-14-dev openssh-server
	openssh-client libvips-dev libvips-tools imagemagick libimage-exiftool-perl libchafa-dev
	libturbojpeg0-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "setup: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build=${1:-build}
shift || true
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$@" >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built $build/server/ansigramd"
