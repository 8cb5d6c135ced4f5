#!/bin/sh
# Cross-round evaluation of the crisis classifier, on the team's own data only (never the
# held-out files). Each writers' round is held out in turn: a model is trained on the other
# rounds (and the shared ordinary lines), its threshold chosen on their dev files, and the
# check is measured on the round held out. Prints, per round, the trainer's last two `eval`
# lines: recall and false positives at the threshold the dev rule chose, then at the lowest
# threshold keeping that round's ordinary chat at 2 %.
#
#   assets/safety/data/folds.sh [trainer settings, e.g. l2=1e-3 epochs=20]
#
# With FOLDS_DIR set, the folds (training links, models, logs and each held-out line with its
# scores, `NAME.dump.jsonl`) are kept there, for `compare_sklearn.py`.
# With FROM and/or TO set, only the rounds from FROM to TO are held out (the trainer runs on one
# core: `TO=15 folds.sh > a & FROM=16 folds.sh > b` gives the same lines in half the time on two;
# give each its own FOLDS_DIR).
set -eu
data=$(cd "$(dirname "$0")" && pwd)
if [ -n "${FOLDS_DIR:-}" ]; then
    mkdir -p "$FOLDS_DIR"
    tmp=$(cd "$FOLDS_DIR" && pwd)
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi
cd "$data/../../.."
cargo build --release --quiet --example train_safety

# fold NAME ROUND-FILE-PREFIXES -- trainer arguments
fold() {
    name=$1
    held=$2
    shift 2
    rm -rf "${tmp:?}/$name"
    mkdir "$tmp/$name"
    for f in "$data"/train*.jsonl "$data"/dev*.jsonl; do
        base=$(basename "$f" .jsonl)
        case " $held " in
        *" $base "*) ;;
        *) ln -s "$f" "$tmp/$name/" ;;
        esac
    done
    eval_args=""
    for base in $held; do
        eval_args="$eval_args eval=$data/$base.jsonl"
    done
    # shellcheck disable=SC2086
    cargo run --release --quiet --example train_safety -- \
        data="$tmp/$name" out="$tmp/$name.bin" dump="$tmp/$name.dump.jsonl" $eval_args "$@" >"$tmp/$name.log"
    grep -F -e '(chosen):' -e '(2 % of chat):' "$tmp/$name.log" | sed "s/^ */$name held out, /"
}

from=${FROM:-1}
to=${TO:-1000000}
if [ "$from" -le 1 ] && [ "$to" -ge 1 ]; then
    fold round1 "train-en dev-en train-fr dev-fr" "$@"
fi
# The second round and every one after it, as long as its training file is there.
n=$((from > 2 ? from : 2))
while [ -e "$data/train$n-en.jsonl" ] && [ "$n" -le "$to" ]; do
    fold "round$n" "train$n-en dev$n-en train$n-fr dev$n-fr" "$@"
    n=$((n + 1))
done
