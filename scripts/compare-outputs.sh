#!/bin/sh
# scripts/compare-outputs.sh - proves that a refactor did not change what the
# programs print: builds two revisions side by side and runs the same commands
# in both, then diffs everything they printed and wrote.
#
#     scripts/compare-outputs.sh OLD_REV NEW_REV
#
# A revision is anything `git rev-parse` takes (HEAD~1, a tag, a commit), or
# the word `worktree`: the checkout's working tree as it is now (tracked and
# untracked, not ignored files: `git ls-files -co --exclude-standard`).
#
# What it checks. Each revision is exported to a temporary directory (git
# archive), configured with `meson setup DIR/b DIR -Dtests=false -Dbench=false`
# and built with ninja, one after the other. In each build, with
# $DLFS_DATA_DIR set to that revision's own data/ directory, it runs:
#   - dlfs --help/--version and the help of each command, the walkthroughs'
#     --help and --version;
#   - dlfs run (--quiet, --json, --backend naive);
#   - dlfs train for ols, linreg and nn (summary and --json) and variants:
#     --epochs/--hidden/--seed, --no-standardize/--lr/--iterations,
#     --init scaled/--batch, --backend naive, --test FILE (a 400-row train CSV
#     and the 106 other rows, cut from data/boston_housing.csv), --target on a
#     non-default column with --data, a usage error (--model foo), a
#     diverging run, a malformed and a ragged CSV;
#   - dlfs train --save for linreg, nn and ols, then dlfs predict on each
#     model file (predictions on stdout, --output FILE, --json, --quiet), on a
#     truncated model file and on a file that is not a model;
#   - the walkthroughs dlfs-linreg-boston and dlfs-nn-boston with their
#     chapter settings (--out DIR).
# Every command's stdout, stderr and exit status are compared (one comparison
# per command), and every file the commands wrote: CSV files by content, model
# files byte for byte (cmp), PNG figures by name only (the list of files
# written is one comparison). Cross-loading: the NEW build's dlfs predict is
# also run on the model files the OLD build saved, and must print and write
# exactly what the OLD build did with its own files ("xload: ..." lines).
#
# Before diffing, what legitimately differs between two runs is masked, and
# nothing else: JSON values of keys ending in "seconds" (-> X), the value of
# the "time" line of `dlfs train`, the "training time" column of `dlfs run`
# ("0.7 ms", "1.234 s" -> X), the "...: 2.1 ms, last batch loss" duration of
# the walkthroughs' "training" line, and the temporary directories (the two
# builds live in different directories: <DIR>).
#
# Reading the result: one line per comparison, "same: NAME" or "DIFF: NAME"
# followed by the first lines of a unified diff (--- OLD, +++ NEW; masked
# text), then "N passed, N failed". Exit status 0 when everything is the same,
# 1 when anything differs, 2 on a usage or build error.
#
# Environment: KEEP=1 keeps the temporary directory (its path is printed),
# with old/run, new/run and xload/run holding the raw outputs (res/), the
# masked transcripts (norm/) and the files written (files/, models/);
# JOBS=N ninja's parallel jobs (2); DIFF_LINES=N lines of each diff shown (12).
set -eu

usage() {
    echo "usage: $0 OLD_REV NEW_REV   (a git revision, or 'worktree')" >&2
    exit 2
}
[ $# -eq 2 ] || usage
OLD_REV=$1
NEW_REV=$2

REPO=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel) || {
    echo "$0: not inside a git checkout" >&2
    exit 2
}
for rev in "$OLD_REV" "$NEW_REV"; do
    [ "$rev" = worktree ] && continue
    git -C "$REPO" rev-parse --verify --quiet "$rev^{commit}" >/dev/null || {
        echo "$0: unknown revision '$rev'" >&2
        exit 2
    }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dlfs-compare.XXXXXX")
TMP=$(cd "$TMP" && pwd -P)
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept: $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start=$(date +%s)

# ---- export and build ---------------------------------------------------------

# export REV DIR: the sources of REV (or the working tree) into DIR.
export_rev() {
    mkdir -p "$2"
    if [ "$1" = worktree ]; then
        # Tracked files deleted in the working tree are listed but absent: skip them.
        # shellcheck disable=SC2016
        (cd "$REPO" && git ls-files -z -co --exclude-standard |
            xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
            tar --null -T - -cf -) | tar -xf - -C "$2"
    else
        git -C "$REPO" archive "$1" | tar -xf - -C "$2"
    fi
}

# build NAME REV: exports REV to $TMP/NAME/src and builds it in $TMP/NAME/src/b.
build() {
    src=$TMP/$1/src
    log=$TMP/$1/build.log
    echo "building $1 ($2) ..." >&2
    export_rev "$2" "$src"
    if ! { meson setup "$src/b" "$src" -Dtests=false -Dbench=false &&
        ninja -C "$src/b" -j "${JOBS:-2}"; } >"$log" 2>&1; then
        echo "$0: building $2 failed; the end of $log:" >&2
        tail -n 30 "$log" >&2
        exit 2
    fi
    for p in dlfs dlfs-linreg-boston dlfs-nn-boston; do
        [ -x "$src/b/examples/$p" ] || {
            echo "$0: $2 built no examples/$p" >&2
            exit 2
        }
    done
}

# ---- running the commands -----------------------------------------------------

# Set per run by setup_run: RUN (results root), RES (raw outputs), FILES
# (files written), BIN (the build's examples/), DATA (its data/).
setup_run() {
    RUN=$1 BIN=$2 DATA=$3
    RES=$RUN/res FILES=$RUN/files
    mkdir -p "$RES" "$FILES" "$RUN/models" "$RUN/in"
}

# run NAME PROGRAM ARGS...: runs it with $DLFS_DATA_DIR=$DATA, stdout, stderr
# and the exit status to $RES/NAME.{out,err,rc}.
run() {
    name=$1
    shift
    rc=0
    DLFS_DATA_DIR=$DATA "$@" >"$RES/$name.out" 2>"$RES/$name.err" </dev/null || rc=$?
    echo "$rc" >"$RES/$name.rc"
}

# dlfs NAME ARGS...: run NAME with this build's dlfs and ARGS.
dlfs() {
    n=$1
    shift
    run "$n" "$BIN/dlfs" "$@"
}

# inputs: the CSV files the commands read, cut from this revision's own data.
make_inputs() {
    boston=$DATA/boston_housing.csv
    in=$RUN/in
    head -n 401 "$boston" >"$in/train400.csv"
    { head -n 1 "$boston"; tail -n +402 "$boston"; } >"$in/test_rest.csv"
    printf 'a,b,y\n1,2,3\n4,x5,6\n7,8,9\n' >"$in/malformed.csv"
    printf 'a,b,y\n1,2,3\n4,5\n7,8,9\n' >"$in/ragged.csv"
}

# predicts MODEL_DIR: dlfs predict on the model files in MODEL_DIR.
predicts() {
    mdir=$1
    boston=$DATA/boston_housing.csv
    for m in linreg nn ols; do
        dlfs "predict_${m}_stdout" predict --model-file "$mdir/$m.model" --data "$boston"
        dlfs "predict_${m}_output" predict --model-file "$mdir/$m.model" --data "$boston" \
            --output "$FILES/predict_$m.csv"
        dlfs "predict_${m}_json" predict --model-file "$mdir/$m.model" --data "$boston" --json
        dlfs "predict_${m}_quiet" predict --model-file "$mdir/$m.model" --data "$boston" --quiet
    done
}

# run_all: every command, in the build set up by setup_run.
run_all() {
    make_inputs
    boston=$DATA/boston_housing.csv
    in=$RUN/in

    dlfs help --help
    dlfs version --version
    for c in train predict run; do
        dlfs "help_$c" "$c" --help
    done
    run help_wt_linreg "$BIN/dlfs-linreg-boston" --help
    run help_wt_nn "$BIN/dlfs-nn-boston" --help
    run version_wt_linreg "$BIN/dlfs-linreg-boston" --version
    run version_wt_nn "$BIN/dlfs-nn-boston" --version

    dlfs run_quiet run --quiet
    dlfs run_json run --quiet --json
    dlfs run_naive run --quiet --backend naive

    for m in ols linreg nn; do
        dlfs "train_${m}_quiet" train --model "$m" --quiet
        dlfs "train_${m}_json" train --model "$m" --json
    done
    dlfs train_nn_epochs3_hidden7_seed5 train --model nn --epochs 3 --hidden 7 --seed 5 --quiet
    dlfs train_linreg_nostd train --model linreg --no-standardize --lr 0.001 --iterations 300 --quiet
    dlfs train_linreg_scaled_batch10 train --model linreg --init scaled --batch 10 --iterations 200 --quiet
    dlfs train_nn_naive train --model nn --backend naive --iterations 500 --quiet
    dlfs train_ols_testfile train --model ols --data "$in/train400.csv" --test "$in/test_rest.csv" --quiet
    dlfs train_linreg_testfile_json train --model linreg --data "$in/train400.csv" \
        --test "$in/test_rest.csv" --iterations 300 --json
    dlfs train_ols_target_lstat train --model ols --data "$boston" --target lstat --quiet
    dlfs train_linreg_target_rm_json train --model linreg --data "$boston" --target rm \
        --iterations 300 --json
    dlfs train_usage_model_foo train --model foo
    dlfs train_nn_diverging train --model nn --lr 1e6 --iterations 50 --quiet
    dlfs train_malformed_csv train --model ols --data "$in/malformed.csv"
    dlfs train_ragged_csv train --model ols --data "$in/ragged.csv"

    for m in linreg nn ols; do
        dlfs "train_${m}_save" train --model "$m" --quiet --save "$RUN/models/$m.model"
    done
    predicts "$RUN/models"
    head -c 30 "$RUN/models/linreg.model" >"$in/truncated.model"
    dlfs predict_truncated_model predict --model-file "$in/truncated.model" --data "$boston"
    dlfs predict_not_a_model predict --model-file "$boston" --data "$boston"

    run wt_linreg "$BIN/dlfs-linreg-boston" --out "$FILES/wt_linreg"
    run wt_nn "$BIN/dlfs-nn-boston" --out "$FILES/wt_nn"
}

for side in old new; do
    [ "$side" = old ] && rev=$OLD_REV || rev=$NEW_REV
    build "$side" "$rev"
done
for side in old new; do
    echo "running $side ..." >&2
    setup_run "$TMP/$side/run" "$TMP/$side/src/b/examples" "$TMP/$side/src/data"
    run_all
done
# The NEW build's predict on the model files the OLD build saved.
echo "running new on old's model files ..." >&2
setup_run "$TMP/xload/run" "$TMP/new/src/b/examples" "$TMP/new/src/data"
predicts "$TMP/old/run/models"

# ---- masking ------------------------------------------------------------------

# sed_escape TEXT: TEXT as a literal basic regular expression.
sed_escape() { printf '%s\n' "$1" | sed 's/[][\.*^$/]/\\&/g'; }

MASK=$TMP/mask.sed
{
    # The three run roots (and the sources under them) -> <DIR>; then the rest.
    for d in old new xload; do
        printf 's/%s/<DIR>/g\n' "$(sed_escape "$TMP/$d")"
    done
    printf 's/%s/<TMP>/g\n' "$(sed_escape "$TMP")"
    cat <<'EOF_SED'
# JSON: "train_seconds":0.0012345 (any key ending in seconds).
s/\("[A-Za-z0-9_]*seconds"\):[^,}]*/\1:X/g
# dlfs train: "time        0.7 ms" / "time        3.214 s".
s/^\(time  *\)[0-9][0-9.]* m\{0,1\}s$/\1X/
# dlfs run table: the "training time" column, right before the " | book" part.
/ |  /s/ *[0-9][0-9.]* m\{0,1\}s |/ X |/
# walkthroughs: "training  ... seed 180708: 2.1 ms, last batch loss 17.36".
s/\(, seed [0-9]*: \)[0-9][0-9.]* ms\(, last batch loss\)/\1X ms\2/
EOF_SED
} >"$MASK"

# norm RUN: the masked transcript of every command of RUN into RUN/norm.
norm() {
    mkdir -p "$1/norm"
    for rcf in "$1"/res/*.rc; do
        n=$(basename "$rcf" .rc)
        {
            echo "## exit status $(cat "$rcf")"
            echo "## stdout"
            cat "$1/res/$n.out"
            echo "## stderr"
            cat "$1/res/$n.err"
        } | sed -f "$MASK" >"$1/norm/$n.txt"
    done
}
norm "$TMP/old/run"
norm "$TMP/new/run"
norm "$TMP/xload/run"

# ---- comparing -------------------------------------------------------------------

passed=0
failed=0
same() {
    echo "same: $1"
    passed=$((passed + 1))
}
differ() {
    echo "DIFF: $1${2:+ ($2)}"
    failed=$((failed + 1))
}

# compare NAME OLD NEW [text|binary]: one comparison.
compare() {
    if [ ! -e "$2" ] || [ ! -e "$3" ]; then
        if [ -e "$2" ]; then differ "$1" "missing in NEW"; else differ "$1" "missing in OLD"; fi
        return 0
    fi
    if cmp -s "$2" "$3"; then
        same "$1"
    elif [ "${4:-text}" = binary ]; then
        differ "$1" "$(cmp "$2" "$3" 2>&1 | sed "s|$TMP/||g")"
    else
        differ "$1"
        diff -u --label OLD --label NEW "$2" "$3" | sed -n "3,$((2 + ${DIFF_LINES:-12}))p" |
            sed 's/^/    /' || true
    fi
}

O=$TMP/old/run N=$TMP/new/run X=$TMP/xload/run

# Every command: the union of both sides' names (a command missing on one side differs).
for f in "$O/norm"/*.txt "$N/norm"/*.txt; do basename "$f" .txt; done | sort -u >"$TMP/names.txt"
while IFS= read -r n; do
    compare "$n" "$O/norm/$n.txt" "$N/norm/$n.txt"
done <"$TMP/names.txt"

# Files written: the names (PNG included), then every non-PNG file by content.
(cd "$O/files" && find . -type f | sort) >"$TMP/old_files.txt"
(cd "$N/files" && find . -type f | sort) >"$TMP/new_files.txt"
compare "files written (names, $(wc -l <"$TMP/old_files.txt") in OLD)" \
    "$TMP/old_files.txt" "$TMP/new_files.txt"
sort -u "$TMP/old_files.txt" "$TMP/new_files.txt" >"$TMP/all_files.txt"
while IFS= read -r f; do
    case $f in *.png | *.PNG) continue ;; esac
    f=${f#./}
    compare "file $f" "$O/files/$f" "$N/files/$f"
done <"$TMP/all_files.txt"

for m in linreg nn ols; do
    compare "model file $m.model (cmp)" "$O/models/$m.model" "$N/models/$m.model" binary
done

# Cross-loading: NEW's predict on OLD's model files vs OLD's predict on them.
for f in "$X/norm"/*.txt; do
    n=$(basename "$f" .txt)
    compare "xload: $n (new predict, old model)" "$O/norm/$n.txt" "$f"
done
for m in linreg nn ols; do
    compare "xload: file predict_$m.csv" "$O/files/predict_$m.csv" "$X/files/predict_$m.csv"
done

echo "$passed passed, $failed failed ($(($(date +%s) - start)) s; $OLD_REV vs $NEW_REV)"
[ "$failed" -eq 0 ]
