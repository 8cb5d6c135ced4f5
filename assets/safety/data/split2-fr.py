"""Merge FR batch files, dedupe, shuffle (fixed seed) and split into train2/dev2.

Usage: python3 split2.py BATCH.jsonl... (run from assets/safety/data/)
Every 5th line (1-based) after the shuffle goes to dev2-fr.jsonl, the rest to train2-fr.jsonl.
Lines already in train-fr/dev-fr (case-insensitive) are dropped.
"""
import json, random, sys

KINDS = {"crisis": {"ideation", "passive", "intent", "plan_method", "method_question", "farewell",
                    "self_harm", "past_attempt"},
         "ok": {"chat", "film", "hyperbole", "games", "lyrics_news", "grief_other", "support",
                "medical", "venting"}}
seen = set()
for old in ("train-fr.jsonl", "dev-fr.jsonl"):
    for line in open(old, encoding="utf-8"):
        seen.add(json.loads(line)["text"].strip().casefold())
rows = []
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        d = json.loads(line)
        assert d["lang"] == "fr" and d["kind"] in KINDS[d["label"]], f"{path}:{n}: bad label/kind"
        key = d["text"].strip().casefold()
        if key and key not in seen:
            seen.add(key)
            rows.append(d)
random.Random(2113).shuffle(rows)
with open("train2-fr.jsonl", "w", encoding="utf-8") as tr, open("dev2-fr.jsonl", "w", encoding="utf-8") as dv:
    for i, d in enumerate(rows, 1):
        (dv if i % 5 == 0 else tr).write(json.dumps(d, ensure_ascii=False) + "\n")
print(f"{len(rows)} lines: {len(rows) - len(rows) // 5} train2, {len(rows) // 5} dev2")
