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

fold round1 "train-en dev-en train-fr dev-fr" "$@"
fold round2 "train2-en dev2-en train2-fr dev2-fr" "$@"
fold round3 "train3-en dev3-en train3-fr dev3-fr" "$@"
fold round4 "train4-en dev4-en train4-fr dev4-fr" "$@"
fold round5 "train5-en dev5-en train5-fr dev5-fr" "$@"
fold round6 "train6-en dev6-en train6-fr dev6-fr" "$@"
fold round7 "train7-en dev7-en train7-fr dev7-fr" "$@"
fold round8 "train8-en dev8-en train8-fr dev8-fr" "$@"
fold round9 "train9-en dev9-en train9-fr dev9-fr" "$@"
fold round10 "train10-en dev10-en train10-fr dev10-fr" "$@"
fold round11 "train11-en dev11-en train11-fr dev11-fr" "$@"
fold round12 "train12-en dev12-en train12-fr dev12-fr" "$@"
fold round13 "train13-en dev13-en train13-fr dev13-fr" "$@"
fold round14 "train14-en dev14-en train14-fr dev14-fr" "$@"
fold round15 "train15-en dev15-en train15-fr dev15-fr" "$@"
fold round16 "train16-en dev16-en train16-fr dev16-fr" "$@"
fold round17 "train17-en dev17-en train17-fr dev17-fr" "$@"
fold round18 "train18-en dev18-en train18-fr dev18-fr" "$@"
fold round19 "train19-en dev19-en train19-fr dev19-fr" "$@"
fold round20 "train20-en dev20-en train20-fr dev20-fr" "$@"
fold round21 "train21-en dev21-en train21-fr dev21-fr" "$@"
fold round22 "train22-en dev22-en train22-fr dev22-fr" "$@"
fold round23 "train23-en dev23-en train23-fr dev23-fr" "$@"
fold round24 "train24-en dev24-en train24-fr dev24-fr" "$@"
fold round25 "train25-en dev25-en train25-fr dev25-fr" "$@"
