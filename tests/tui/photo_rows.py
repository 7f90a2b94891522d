#!/usr/bin/env python3
# photo_rows.py: reads a terminal screen captured with its escapes (tmux
# capture-pane -e -p) and prints how many rows look like a photo drawn in
# blocks: six or more colour changes (SGR 38/48 in 256 or 24-bit colours)
# among six or more block characters. Text rows, a coloured selection bar
# or a tag, have one or two. Used by the TUI and SSH photo tests.
import re
import sys

rows = 0
for line in sys.stdin:
    colours = re.findall(r"\x1b\[[0-9;]*(?:38|48);[25];[0-9;]*m", line)
    blocks = re.findall("[\u2580-\u259f]", line)
    if len(colours) >= 6 and len(blocks) >= 6:
        rows += 1
print(rows)
