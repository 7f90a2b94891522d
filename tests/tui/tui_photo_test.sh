#!/usr/bin/env bash
# tui_photo_test.sh: photos in the TUI, end to end through tmux against a
# real ansigramd: a post with a photo draws block characters in colour in
# its card (capture-pane -e), kitty and sixel settings write their escapes
# to the terminal (the raw pane output, through pipe-pane), a resize draws
# the photo again at the new size, and a feed of 50 photo posts keeps
# taking keys while the photos load. Photos are made with ImageMagick.
# Prints one line per check and "N passed, N failed"; exits 1 on failure.
. "$(dirname "$0")/harness.sh"

if ! command -v convert >/dev/null; then
	echo "tui_photo_test: ImageMagick's convert is not installed; skipping"
	exit 77
fi

# ---- data ----
start_server
for who in alice bob carol dave; do
	cli auth register --username "$who" --email "$who@example.com" --password "$PASSWORD" \
		>/dev/null || { echo "tui_photo_test: cannot register $who"; exit 1; }
done
for who in bob carol dave; do
	printf '%s\n' "$PASSWORD" | as "$who" auth login --username "$who" --password-stdin >/dev/null
done
# alice's session is the default one, so the TUI starts logged in.
printf '%s\n' "$PASSWORD" | cli auth login --username alice --password-stdin >/dev/null
for who in bob carol dave; do cli follow "@$who" >/dev/null; done

convert -seed 3 -size 120x80 plasma:fractal "$TMP/sunset.jpg"
as bob post --photo "$TMP/sunset.jpg" "sunset over the bay" >/dev/null ||
	{ echo "tui_photo_test: cannot post a photo"; exit 1; }

# raw_count PATTERN: how many times the TUI's raw output holds PATTERN (a
# grep -P pattern).
raw_count() { grep -aoP -- "$1" "$TMP/pane.out" 2>/dev/null | wc -l; }

# wait_raw NAME PATTERN [MIN] [MS]: passes once the raw output holds
# PATTERN at least MIN times (default 1).
wait_raw() {
	local deadline=$(($(now_ms) + ${4:-8000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ "$(raw_count "$2")" -ge "${3:-1}" ] && { pass "$1"; return 0; }
		sleep 0.05
	done
	fail "$1 (the raw output holds '$2' $(raw_count "$2") times)"
	return 1
}

# photo_rows: how many rows of the screen look like a photo drawn in
# blocks (see photo_rows.py).
photo_rows() {
	tmux -L "$SOCK" capture-pane -e -p | python3 "$(dirname "$0")/photo_rows.py"
}

# wait_colour_blocks NAME [MS]: passes once at least three rows of the
# screen show a photo in coloured blocks.
wait_colour_blocks() {
	local deadline=$(($(now_ms) + ${2:-8000}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if [ "$(photo_rows)" -ge 3 ]; then
			pass "$1"
			return 0
		fi
		sleep 0.05
	done
	fail "$1 (no photo in coloured blocks on the screen: $(photo_rows) rows)"
	return 1
}

# stop_photo_tui: stop_tui, and a fresh raw output for the next start.
stop_photo_tui() {
	stop_tui
	rm -f "$TMP/pane.out"
}

# ---- blocks (auto inside tmux) ----
start_tui COLORTERM=truecolor
check "the feed shows the photo post" "sunset over the bay" 10000
wait_colour_blocks "the card draws the photo in coloured blocks"
wait_raw "blocks are written as 24-bit colour" '\e\[[0-9;]*38;2;'
lacks_kitty=$(raw_count '\e_G')
[ "$lacks_kitty" -eq 0 ] && pass "no kitty escapes inside tmux" ||
	fail "no kitty escapes inside tmux"
press Enter
check "the post view opens" "sunset over the bay"
wait_colour_blocks "the post view draws the full photo"
before=$(raw_count '\e\[[0-9;]*38;2;')
size 70 24
wait_raw "a resize draws the photo again" '\e\[[0-9;]*38;2;' $((before + 1))
wait_colour_blocks "after the resize the photo is on the screen"
size 100 30
press Escape
stop_photo_tui

# ---- kitty and sixel, as configured ----
mkdir -p "$XDG_CONFIG_HOME/ansigram"
echo "images = kitty" >"$XDG_CONFIG_HOME/ansigram/config"
start_tui
check "kitty: the feed shows the photo post" "sunset over the bay" 10000
wait_raw "images = kitty writes kitty graphics" '\e_Ga=T'
stop_photo_tui
echo "images = sixel" >"$XDG_CONFIG_HOME/ansigram/config"
start_tui
check "sixel: the feed shows the photo post" "sunset over the bay" 10000
wait_raw "images = sixel writes sixel" '\eP[0-9;]*q'
stop_photo_tui
echo "images = off" >"$XDG_CONFIG_HOME/ansigram/config"
start_tui COLORTERM=truecolor
check "off: the feed shows the photo post" "sunset over the bay" 10000
press r
check "off: still there after a refresh" "sunset over the bay"
[ "$(raw_count '\e\[[0-9;]*38;2;[0-9;]*m[▀▄]')" -eq 0 ] && pass "images = off draws no photo" ||
	fail "images = off draws no photo"
stop_photo_tui
rm -f "$XDG_CONFIG_HOME/ansigram/config"

# ---- the composer, stories and links ----
convert -seed 5 -size 90x60 plasma:fractal "$TMP/attach-me.jpg"
as bob story --photo "$TMP/sunset.jpg" "a story with a photo" >/dev/null
as bob post "a link post" --image https://example.com/pic.jpg >/dev/null
start_tui COLORTERM=truecolor DISPLAY= WAYLAND_DISPLAY=
check "the link post is in the feed" "a link post" 10000
wait_raw "the image URL is an OSC 8 hyperlink" '\e\]8;;https://example\.com/pic\.jpg\e\\'
press o
check "o copies the link without a display" "Copied the link"
wait_raw "the copy is an OSC 52 sequence" '\e\]52;c;aHR0cHM6Ly9leGFtcGxlLmNvbS9waWMuanBn\a'
press n
check "the composer opens" "What's happening?"
type_text "my own photo"
press C-o
check "Ctrl-O asks for a photo file" "Photo file"
type_text "$TMP/attach-m"
press Tab
check "Tab completes the file name" "attach-me.jpg"
press Enter
check "the photo uploads and is named" "Photo: attach-me.jpg" 10000
wait_colour_blocks "the composer previews the photo"
press C-s
check "publishing goes back to the feed" "1 Home" 10000
# The server has the post with its photo attached (asked by the CLI).
deadline=$(($(now_ms) + 10000))
published=no
while [ "$(now_ms)" -lt "$deadline" ]; do
	if cli --json feed --limit 1 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)
m = d[0].get("media") if d else None
sys.exit(0 if d and d[0]["content"] == "my own photo" and m and m["mime"] == "image/jpeg" else 1)'; then
		published=yes
		break
	fi
	sleep 0.1
done
[ "$published" = yes ] && pass "the published post has its photo attached" ||
	fail "the published post has its photo attached"
press 1
check "home shows bob's story" "bob" 5000
press k Enter
check "the story viewer opens on the photo story" "a story with a photo" 5000
wait_colour_blocks "the story viewer draws its photo"
stop_photo_tui

# ---- 50 photo posts stay responsive ----
for i in $(seq 1 50); do
	convert -size 200x150 "plasma:fractal" -seed "$i" "$TMP/many-$i.jpg" 2>/dev/null ||
		convert -size 200x150 "xc:rgb($((i * 5)),100,$((255 - i * 5)))" "$TMP/many-$i.jpg"
done
# Three posters: the server limits uploads a minute per person.
posters=(bob carol dave)
for i in $(seq 1 50); do
	as "${posters[$((i % 3))]}" post --photo "$TMP/many-$i.jpg" "photo number $i" >/dev/null ||
		{ echo "tui_photo_test: cannot post photo $i"; cat "$TMP/server.log" | tail -5; exit 1; }
done
start_tui COLORTERM=truecolor
check "the feed of 50 photos opens" "photo number 50" 10000
# Keys while photos load: open the composer and type; the text must show.
press n
type_text "typing while photos load"
check "keys take effect while photos load" "typing while photos load" 5000
press Escape
wait_gone "typing while photos load" 5000
for _ in $(seq 1 12); do press j; done
check "scrolling down the feed" "photo number 38" 5000
wait_colour_blocks "photos are drawn after scrolling"
# To the end of the feed (pages load as the selection nears it), so every
# card's photo has been fetched and drawn.
deadline=$(($(now_ms) + 20000))
until screen | grep -qF "You're all caught up" || [ "$(now_ms)" -ge "$deadline" ]; do
	press G
	sleep 0.3
done
check "the end of the feed is reached" "You're all caught up" 1000
wait_colour_blocks "photos are drawn at the end of the feed"
pid=$(tmux -L "$SOCK" list-panes -F '#{pane_pid}' | head -1)
tui_pid=$(pgrep -P "$pid" -x ansigram | head -1)
if [ -n "$tui_pid" ]; then
	rss=$(ps -o rss= -p "$tui_pid" | tr -d ' ')
	echo "# RSS of the TUI after drawing all 50 photo posts: ${rss} KiB"
fi
stop_photo_tui

# A photo that could not be had is asked for again once the server is back:
# its stored thumbnail is spoilt, so the card says "photo unavailable";
# restored, with the server restarted, the photo is drawn.
as dave post --photo "$TMP/sunset.jpg" "rainy harbour" >/dev/null ||
	fail "dave posts a photo"
db="$TMP/ansigram.db"
sqlite3 "$db" "CREATE TABLE kept_thumb AS SELECT id, thumb FROM media
	WHERE id = (SELECT max(id) FROM media);
	UPDATE media SET thumb = x'00010203' WHERE id = (SELECT id FROM kept_thumb);"
start_tui COLORTERM=truecolor
check "a photo whose bytes are spoilt is unavailable" "photo unavailable" 10000
sqlite3 "$db" "UPDATE media SET thumb = (SELECT thumb FROM kept_thumb)
	WHERE id = (SELECT id FROM kept_thumb); DROP TABLE kept_thumb;"
stop_server
check "the lost server shows" "reconnecting" 5000
start_server
if wait_gone "photo unavailable" 15000; then
	pass "after a reconnect the photo is asked for again"
else
	fail "after a reconnect the photo is asked for again"
fi
wait_colour_blocks "and it is drawn"
stop_photo_tui

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
