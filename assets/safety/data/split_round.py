"""Split a writers' round (written whole by a new writer per language, no sentence pools) into
training and dev files.

Usage: python3 split_round.py N   (reads roundN-en.jsonl and roundN-fr.jsonl, the writers'
shuffled files, and writes trainN-{en,fr}.jsonl and devN-{en,fr}.jsonl next to this file)
Every 5th line (1-based) goes to devN, the rest to trainN. The writers already removed
duplicates, also against the earlier rounds. A line whose text equals one of the held-out
files' (compared folded: lowercase, without accents, letters and digits only) is left out, so
that no held-out message is trained on; the held-out files are read for that comparison only.
Rounds 3 to 9 were split this way.
"""
import glob
import json
import os
import re
import sys
import unicodedata

here = os.path.dirname(os.path.abspath(__file__))


def fold(text):
    # As `relance::safety::fold` (and `tests/safety_data.rs`): the ligatures spelled out.
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


held_out = {
    fold(json.loads(line)["text"])
    for path in glob.glob(os.path.join(here, "..", "heldout", "*.jsonl"))
    for line in open(path, encoding="utf-8")
    if line.strip()
}
n = int(sys.argv[1])
for lang in ("en", "fr"):
    with open(os.path.join(here, f"round{n}-{lang}.jsonl"), encoding="utf-8") as f:
        lines = [l for l in f if l.strip()]
    with open(os.path.join(here, f"train{n}-{lang}.jsonl"), "w", encoding="utf-8") as tr, \
         open(os.path.join(here, f"dev{n}-{lang}.jsonl"), "w", encoding="utf-8") as dv:
        for i, l in enumerate(lines, 1):
            if fold(json.loads(l)["text"]) not in held_out:
                (dv if i % 5 == 0 else tr).write(l)
