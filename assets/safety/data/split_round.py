"""Split a writers' round (written whole by a new writer per language, no sentence pools) into
training and dev files.

Usage: python3 split_round.py N   (reads roundN-en.jsonl and roundN-fr.jsonl, the writers'
shuffled files, and writes trainN-{en,fr}.jsonl and devN-{en,fr}.jsonl next to this file)
Every 5th line (1-based) goes to devN, the rest to trainN. The writers already removed
duplicates, also against the earlier rounds. Rounds 3 and 4 were split this way.
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
n = int(sys.argv[1])
for lang in ("en", "fr"):
    with open(os.path.join(here, f"round{n}-{lang}.jsonl"), encoding="utf-8") as f:
        lines = [l for l in f if l.strip()]
    with open(os.path.join(here, f"train{n}-{lang}.jsonl"), "w", encoding="utf-8") as tr, \
         open(os.path.join(here, f"dev{n}-{lang}.jsonl"), "w", encoding="utf-8") as dv:
        for i, l in enumerate(lines, 1):
            (dv if i % 5 == 0 else tr).write(l)
