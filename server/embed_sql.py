#!/usr/bin/env python3
"""embed_sql.py: turns schema.sql into a C file defining one string."""
import sys

src, dst, name = sys.argv[1], sys.argv[2], sys.argv[3]
with open(src, encoding="utf-8") as f:
    text = f.read()
lines = ['/* Generated from %s; do not edit. */' % src.split("/")[-1],
         "const char %s[] =" % name]
for line in text.splitlines():
    esc = line.replace("\\", "\\\\").replace('"', '\\"')
    lines.append('\t"%s\\n"' % esc)
lines.append("\t;")
with open(dst, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
