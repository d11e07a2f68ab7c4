#!/bin/sh
# tests/test_walkthrough.sh - the chapter's walkthroughs end to end: a short
# run of each, the CSV series behind every figure (header + one row per
# point), the PNGs when the programs draw them, the list of files written,
# the learning-rate sweep reporting a diverged rate, usage errors.
#
#     sh tests/test_walkthrough.sh BUILD/examples/dlfs-linreg-boston BUILD/examples/dlfs-nn-boston
#
# Prints one line per check and a final "N passed, N failed"; exits 1 if any failed.

LINREG=$1
NN=$2
if [ ! -x "$LINREG" ] || [ ! -x "$NN" ]; then
    echo "usage: $0 PATH/TO/dlfs-linreg-boston PATH/TO/dlfs-nn-boston" >&2
    exit 2
fi

. "$(dirname "$0")/harness.sh"

# run NAME STATUS PROGRAM ARGS...: runs it, checks the exit status; a failure
# must be one line on stderr starting "PROGRAM-NAME: ".
run() {
    name=$1 want=$2 prog=$3
    shift 3
    "$prog" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        return 1
    fi
    if [ "$want" -ne 0 ] &&
        { [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "^$(basename "$prog"): " "$tmp/err"; }; then
        fail "$name: stderr is not one line starting '$(basename "$prog"): '"
        return 1
    fi
    pass "$name"
}

# lines FILE N: FILE exists, has N lines, and its first line is a header.
lines() {
    [ -f "$1" ] && [ "$(wc -l <"$1")" -eq "$2" ] && head -n 1 "$1" | grep -q '^[a-z]'
}

# png FILE: a non-empty PNG (its 8-byte signature starts with \211PNG).
png() {
    [ -s "$1" ] && [ "$(dd if="$1" bs=1 skip=1 count=3 2>/dev/null)" = PNG ]
}

# listed DIR: every file in DIR is in the "Files written" list of stdout, and
# the list holds nothing else.
listed() {
    n_listed=$(sed -n '/^Files written/,$p' "$tmp/out" | grep -c "^  $1/")
    n_files=$(find "$1" -type f | wc -l)
    [ "$n_listed" -eq "$n_files" ] || return 1
    for f in "$1"/*; do
        grep -qx "  $f" "$tmp/out" || return 1
    done
}

# ---- version: are figures drawn? -------------------------------------------

run "linreg --version" 0 "$LINREG" --version
figures=$(sed -n 's/^figures: \([a-z]*\).*/\1/p' "$tmp/out")
check "--version says whether figures are drawn ($figures)" \
    test "$figures" = png -o "$figures" = off
run "nn --version" 0 "$NN" --version
check "both programs agree on figures" grep -q "^figures: $figures" "$tmp/out"

# ---- usage ------------------------------------------------------------------

run "linreg --help" 0 "$LINREG" --help
check "linreg --help lists --out" grep -q -- "--out DIR" "$tmp/out"
run "nn --help" 0 "$NN" --help
check "nn --help lists --no-sweep" grep -q -- "--no-sweep" "$tmp/out"
run "linreg --lr abc" 2 "$LINREG" --lr abc
run "nn unknown option" 2 "$NN" --colour red
run "nn --iterations 0" 2 "$NN" --iterations 0
: >"$tmp/a_file"
run "--out names a file" 1 "$LINREG" --out "$tmp/a_file/figs" --iterations 5
run "linreg diverging --lr" 1 "$LINREG" --lr 1e12 --iterations 200 --out "$tmp/diverge"
check "divergence is named" grep -q "diverged at iteration" "$tmp/err"

# ---- linear regression -------------------------------------------------------

out=$tmp/runs/linreg   # a parent that does not exist yet
run "linreg, 50 iterations" 0 "$LINREG" --iterations 50 --out "$out"
check "linreg prints MAE, RMSE, RMSE/mean, R^2" \
    grep -q "MAE.*RMSE.*RMSE/mean.*R^2" "$tmp/out"
check "linreg prints least squares beside the learned coefficients" \
    grep -q "^feature .*learned .*least squares" "$tmp/out"
check "linreg prints 13 features and the intercept" \
    test "$(sed -n '/^feature /,/^intercept/p' "$tmp/out" | wc -l)" -eq 15
check "linreg ranks the features by |coefficient|" grep -q "^ 13\. " "$tmp/out"
check "no progress line when stderr is not a terminal" test ! -s "$tmp/err"
check "predicted_vs_actual.csv: 152 test rows + header" lines "$out/predicted_vs_actual.csv" 153
check "feature_vs_target.csv: 152 + header" lines "$out/feature_vs_target.csv" 153
check "feature_curve.csv: 40 points + header" lines "$out/feature_curve.csv" 41
check "loss.csv: 50 iterations + header" lines "$out/loss.csv" 51
check "coefficients.csv: 13 features, intercept, header" lines "$out/coefficients.csv" 15
check "linreg: every file written is listed" listed "$out"
if [ "$figures" = png ]; then
    for f in predicted_vs_actual feature_vs_target feature_curve loss; do
        check "linreg $f.png is a PNG" png "$out/$f.png"
    done
    check "no 'figures are off' note when drawing" eval '! grep -q "Figures are off" "$tmp/out"'
else
    check "no PNG without figures" test -z "$(find "$out" -name '*.png')"
    check "figures-off note said once" test "$(grep -c 'Figures are off' "$tmp/out")" -eq 1
fi

cp "$out/predicted_vs_actual.csv" "$tmp/first.csv"
run "linreg again, same seed" 0 "$LINREG" --iterations 50 --out "$out" --quiet
check "same seed, same predictions" cmp -s "$tmp/first.csv" "$out/predicted_vs_actual.csv"
run "linreg, another seed" 0 "$LINREG" --iterations 50 --out "$out" --seed 7
check "another seed, other predictions" eval '! cmp -s "$tmp/first.csv" "$out/predicted_vs_actual.csv"'

# ---- network -------------------------------------------------------------------

out=$tmp/nn
run "nn, 1000 iterations, with the sweep" 0 "$NN" --iterations 1000 --out "$out"
check "nn prints MAE, RMSE, RMSE/mean, R^2" grep -q "MAE.*RMSE.*RMSE/mean.*R^2" "$tmp/out"
check "nn prints 3 learned features" test "$(grep -c '^  unit [0-9]*, W2 = .*sigmoid(' "$tmp/out")" -eq 3
check "learned features name the inputs" grep -q "^  unit .*sigmoid(-*[0-9.]* x [a-z]" "$tmp/out"
check "sweep table: lr 1 diverges, reported, not fatal" grep -q "^ *1 .*diverged" "$tmp/out"
check "predicted_vs_actual.csv: 152 + header" lines "$out/predicted_vs_actual.csv" 153
check "feature_vs_target.csv: 152 + header" lines "$out/feature_vs_target.csv" 153
check "feature_curve.csv: 40 points + header" lines "$out/feature_curve.csv" 41
check "loss.csv: 1000 iterations + header" lines "$out/loss.csv" 1001
check "learned_features.csv: 13 units + header" lines "$out/learned_features.csv" 14
check "lr_sweep.csv: 9 rates + header" lines "$out/lr_sweep.csv" 10
check "lr_sweep.csv: the diverged rate has no R^2 and its iteration" \
    grep -q "^1,[^,]*,,,[0-9][0-9]*$" "$out/lr_sweep.csv"
check "nn: every file written is listed" listed "$out"
if [ "$figures" = png ]; then
    for f in predicted_vs_actual feature_curve loss lr_sweep; do
        check "nn $f.png is a PNG" png "$out/$f.png"
    done
fi

out=$tmp/nn_nosweep
run "nn --no-sweep" 0 "$NN" --iterations 100 --no-sweep --quiet --out "$out"
check "--no-sweep: no sweep table" eval '! grep -q "Learning-rate sweep" "$tmp/out"'
check "--no-sweep: no lr_sweep.csv" test ! -e "$out/lr_sweep.csv"
check "--no-sweep: the other series are there" lines "$out/loss.csv" 101

finish
