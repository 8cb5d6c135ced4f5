"""Split the third round (written by a new writer per language, no sentence pools) into
training and dev files.

Usage: python3 split3.py   (reads round3-en.jsonl and round3-fr.jsonl, the writers' shuffled
files, and writes train3-{en,fr}.jsonl and dev3-{en,fr}.jsonl next to this file)
Every 5th line (1-based) goes to dev3, the rest to train3. The writers already removed
duplicates, also against the earlier rounds.
"""
import os

here = os.path.dirname(os.path.abspath(__file__))
for lang in ("en", "fr"):
    with open(os.path.join(here, f"round3-{lang}.jsonl"), encoding="utf-8") as f:
        lines = [l for l in f if l.strip()]
    with open(os.path.join(here, f"train3-{lang}.jsonl"), "w", encoding="utf-8") as tr, \
         open(os.path.join(here, f"dev3-{lang}.jsonl"), "w", encoding="utf-8") as dv:
        for i, l in enumerate(lines, 1):
            (dv if i % 5 == 0 else tr).write(l)
