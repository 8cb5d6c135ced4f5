"""Dedupe, shuffle (fixed seed) and split the new English safety set.

Usage: python3 split2.py RAW.jsonl   (writes train2-en.jsonl and dev2-en.jsonl next to this file)
Lines are deduplicated case-insensitively, also against the existing train/dev files;
after shuffling, every 5th line (1-based) goes to dev2-en.jsonl, the rest to train2-en.jsonl.
"""
import json, os, random, sys

here = os.path.dirname(os.path.abspath(__file__))
seen = set()
for name in ("train-en.jsonl", "dev-en.jsonl", "train-ordinary.jsonl"):
    with open(os.path.join(here, name), encoding="utf-8") as f:
        seen.update(json.loads(l)["text"].strip().lower() for l in f if l.strip())
rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for l in f:
        d = json.loads(l)
        key = " ".join(d["text"].lower().split())
        if key and key not in seen:
            seen.add(key)
            rows.append(d)
random.Random(20261206).shuffle(rows)
with open(os.path.join(here, "train2-en.jsonl"), "w", encoding="utf-8") as tr, \
     open(os.path.join(here, "dev2-en.jsonl"), "w", encoding="utf-8") as dv:
    for i, d in enumerate(rows, 1):
        (dv if i % 5 == 0 else tr).write(json.dumps(d, ensure_ascii=False) + "\n")
print(len(rows), "lines kept", file=sys.stderr)
