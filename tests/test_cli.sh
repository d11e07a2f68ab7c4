#!/bin/sh
# tests/test_cli.sh - the dlfs program end to end: exit statuses, error
# messages, the JSON line, the bundled data, model files and predictions.
#
#     sh tests/test_cli.sh BUILD/examples/dlfs SOURCE/data
#
# Prints one line per check and a final "N passed, N failed"; exits 1 if any failed.

DLFS=$1
DATA_DIR=$2
BOSTON=$DATA_DIR/boston_housing.csv
if [ ! -x "$DLFS" ] || [ ! -r "$BOSTON" ]; then
    echo "usage: $0 PATH/TO/dlfs DATA_DIR" >&2
    exit 2
fi

. "$(dirname "$0")/harness.sh"

# expect NAME STATUS PATTERN ARGS...: runs dlfs ARGS, checks the exit status
# and that PATTERN (a fixed string, may be empty) is in stdout (status 0) or
# stderr (otherwise). A failure must be one line on stderr starting "dlfs: ".
expect() {
    name=$1 want=$2 pattern=$3
    shift 3
    "$DLFS" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit status $got, expected $want"
        return
    fi
    stream=out
    if [ "$want" -ne 0 ]; then
        stream=err
        if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q '^dlfs: ' "$tmp/err"; then
            fail "$name: stderr is not one line starting 'dlfs: '"
            return
        fi
    fi
    if [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$tmp/$stream"; then
        fail "$name: '$pattern' not in std$stream"
        return
    fi
    pass "$name"
}

# json_field KEY: the value of KEY in the last line of stdout (numbers, null, true/false).
json_field() {
    tail -n 1 "$tmp/out" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"
}

# expect_json NAME KEY...: the last line of stdout is one JSON object holding every KEY.
expect_json() {
    name=$1
    shift
    last=$(tail -n 1 "$tmp/out")
    case $last in
    '{'*'}') ;;
    *) fail "$name: last line is not a JSON object"; return ;;
    esac
    for key in "$@"; do
        if ! printf '%s\n' "$last" | grep -qF "\"$key\":"; then
            fail "$name: key '$key' missing"
            return
        fi
    done
    pass "$name"
}

# ---- help, version, commands ----------------------------------------------

expect "--help" 0 "train" --help
expect "train --help lists options" 0 "--test-fraction" train --help
expect "run --help" 0 "--backend" run --help
expect "--version" 0 "dlfs 0." --version
"$DLFS" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q "Usage" "$tmp/err"; then pass "no command: usage, status 2"
else fail "no command: usage, status 2"; fi
expect "unknown command" 2 "frobnicate" frobnicate

# ---- usage errors: status 2, the option named -----------------------------

expect "unknown option" 2 "--colour" train --model linreg --colour red
expect "missing value" 2 "--lr" train --model linreg --lr
expect "--lr abc" 2 "--lr" train --model linreg --lr abc
expect "--lr negative" 2 "--lr" train --model linreg --lr -0.1
expect "--lr nan" 2 "--lr" train --model linreg --lr nan
expect "--lr 1e999" 2 "--lr" train --model linreg --lr 1e999
expect "--batch 0" 2 "--batch" train --model linreg --batch 0
expect "--batch -1" 2 "--batch" train --model linreg --batch -1
expect "--batch 2.5" 2 "--batch" train --model linreg --batch 2.5
expect "--iterations overflow" 2 "--iterations" train --model nn --iterations 99999999999999999999999
expect "--seed trailing text" 2 "--seed" train --model nn --seed 12x
expect "--test-fraction 1" 2 "--test-fraction" train --model ols --test-fraction 1
expect "--test-fraction=0" 2 "--test-fraction" train --model ols --test-fraction=0
expect "--test with --test-fraction" 2 "--test" train --model ols --test "$BOSTON" --test-fraction 0.2
expect "--iterations with --epochs" 2 "--epochs" train --model linreg --iterations 5 --epochs 2
expect "no --model" 2 "--model" train
expect "unknown model" 2 "svm" train --model svm
expect "--hidden for linreg" 2 "--hidden" train --model linreg --hidden 4
expect "--lr for ols" 2 "--lr" train --model ols --lr 0.1
expect "unknown backend" 2 "cuda" train --model linreg --backend cuda
expect "unknown init" 2 "xavier" train --model nn --init xavier
expect "option given twice" 2 "--seed" train --model nn --seed 1 --seed 2
expect "stray argument" 2 "extra" train --model nn extra
expect "--json with a value" 2 "--json" train --model nn --json=yes
expect "run: unknown option" 2 "--model" run --model nn

# ---- data and file errors: status 1, the file named ----------------------

printf 'a,b,y\n1,2,3\n4,x5,6\n7,8,9\n' >"$tmp/bad_number.csv"
printf 'a,b,y\n1,2,3\n4,5\n7,8,9\n' >"$tmp/ragged.csv"
printf 'a,b,y\n' >"$tmp/header_only.csv"
: >"$tmp/empty.csv"
printf 'a,b,y\n1,2,3\n4,nan,6\n7,8,9\n' >"$tmp/nan.csv"

expect "missing file" 1 "$tmp/nope.csv" train --model ols --data "$tmp/nope.csv"
expect "malformed number: file, line and column" 1 "bad_number.csv: line 3, column 2" train --model ols --data "$tmp/bad_number.csv"
expect "ragged row: file, line 3" 1 "ragged.csv: line 3" train --model ols --data "$tmp/ragged.csv"
expect "header only" 1 "header_only.csv" train --model ols --data "$tmp/header_only.csv"
expect "empty file" 1 "empty.csv" train --model ols --data "$tmp/empty.csv"
expect "nan field: file, line and column" 1 "nan.csv: line 3, column 2" train --model ols --data "$tmp/nan.csv"
expect "missing target column" 1 "price" train --model ols --target price
expect "diverging training" 1 "diverged at iteration" train --model linreg --lr 1e12 --iterations 1000 --quiet

# ---- training: the summary and the JSON line -------------------------------

expect "linreg summary" 0 "test RMSE" train --model linreg --iterations 50
if [ -s "$tmp/err" ]; then fail "no progress on stderr when it is not a terminal"
else pass "no progress on stderr when it is not a terminal"; fi

keys="model backend train_rows test_rows features iterations batch lr seed train_loss test_mae test_rmse test_r2 train_seconds mean_target"

expect "linreg --json" 0 "" train --model linreg --iterations 50 --json
expect_json "linreg JSON keys" $keys
[ "$(json_field train_rows)" = 354 ] && [ "$(json_field test_rows)" = 152 ] &&
    [ "$(json_field features)" = 13 ] && [ "$(json_field iterations)" = 50 ] &&
    [ "$(json_field seed)" = 180708 ] && [ "$(json_field batch)" = 23 ] &&
    pass "linreg JSON: Boston 354/152 rows, 13 features, chapter defaults" ||
    fail "linreg JSON: Boston 354/152 rows, 13 features, chapter defaults"
rmse1=$(json_field test_rmse)

expect "linreg --json again" 0 "" train --model linreg --iterations 50 --json
[ -n "$rmse1" ] && [ "$(json_field test_rmse)" = "$rmse1" ] &&
    pass "same seed, same test RMSE ($rmse1)" || fail "same seed, same test RMSE"

expect "linreg naive backend" 0 "" train --model linreg --iterations 50 --backend naive --json
[ "$(json_field backend)" = '"naive"' ] && pass "backend reported" || fail "backend reported"
expect "default backend" 0 "" train --model linreg --iterations 50 --json
[ "$(json_field backend)" = '"auto"' ] && pass "auto is the default backend" ||
    fail "auto is the default backend ($(json_field backend))"
expect "unknown backend lists the four" 2 "blas, naive, xsmm or auto" train --model nn --backend cuda
"$DLFS" --version >"$tmp/version"
if grep -q "^backends: blas naive xsmm" "$tmp/version"; then
    expect "nn on xsmm" 0 "" train --model nn --iterations 300 --backend xsmm --json
    [ "$(json_field backend)" = '"xsmm"' ] && pass "xsmm reported" || fail "xsmm reported"
    xs=$(json_field test_rmse)
    expect "nn on blas" 0 "" train --model nn --iterations 300 --backend blas --json
    # the same run to rounding: the RMSE agrees to 12 significant digits
    awk -v a="$xs" -v b="$(json_field test_rmse)" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-12 * b) }' &&
        pass "xsmm and blas agree ($xs)" || fail "xsmm and blas agree ($xs, $(json_field test_rmse))"
else
    expect "xsmm refused without libxsmm" 2 "built without libxsmm" train --model nn --backend xsmm
    expect "auto without libxsmm" 0 "" train --model linreg --iterations 50 --backend auto --json
fi

expect "nn --json" 0 "" train --model nn --iterations 200 --hidden 5 --json
expect "nn --json (epochs)" 0 "" train --model nn --hidden 5 --epochs 3 --json
expect_json "nn JSON keys" $keys hidden
[ "$(json_field hidden)" = 5 ] && [ "$(json_field iterations)" = 48 ] &&
    pass "nn: 3 epochs of 354 rows in batches of 23 is 48 iterations" ||
    fail "nn: 3 epochs of 354 rows in batches of 23 is 48 iterations"

expect "ols --json" 0 "" train --model ols --json --quiet
expect_json "ols JSON keys" $keys
awk -v r="$(json_field test_rmse)" 'BEGIN { exit !(r > 3 && r < 7) }' &&
    pass "ols test RMSE on Boston is plausible ($(json_field test_rmse))" ||
    fail "ols test RMSE on Boston is plausible"

# y = 2 a - b + 1 exactly: least squares recovers it, on a file of your own
# with the target in the last column and a separate test file.
awk 'BEGIN { print "a,b,y"; for (i = 0; i < 40; i++) { a = i % 7; b = (i * 3) % 11;
     print a "," b "," 2 * a - b + 1 } }' >"$tmp/line.csv"
awk 'BEGIN { print "a,b,y"; for (i = 0; i < 9; i++) print i "," 10 - i "," 2 * i - (10 - i) + 1 }' \
    >"$tmp/line_test.csv"
expect "ols on a file of your own" 0 "" train --model ols --data "$tmp/line.csv" --test "$tmp/line_test.csv" --json
awk -v r="$(json_field test_rmse)" 'BEGIN { exit !(r < 1e-9) }' &&
    [ "$(json_field test_rows)" = 9 ] && [ "$(json_field features)" = 2 ] &&
    pass "ols recovers an exact line (test RMSE $(json_field test_rmse))" ||
    fail "ols recovers an exact line"
expect "--test-fraction=0.25 and --no-standardize" 0 "" train --model linreg --data "$tmp/line.csv" \
    --test-fraction=0.25 --no-standardize --iterations 20 --lr 0.001 --json
[ "$(json_field test_rows)" = 10 ] && pass "25% of 40 rows held out" || fail "25% of 40 rows held out"

printf 'a,c,y\n1,2,3\n' >"$tmp/other_features.csv"
expect "test file with other features" 1 "other_features.csv" train --model ols --data "$tmp/line.csv" \
    --test "$tmp/other_features.csv"

mkdir "$tmp/datadir" && cp "$BOSTON" "$tmp/datadir/"
export DLFS_DATA_DIR="$tmp/datadir"
expect "\$DLFS_DATA_DIR comes first" 0 "$tmp/datadir" train --model ols --quiet --json
unset DLFS_DATA_DIR

# ---- model files: train --save, dlfs predict -----------------------------------

# Three rows in four to train on, every fourth to test on: both commands then
# see the very same test rows, so the scores must agree to every digit.
awk 'NR == 1 || NR % 4 != 0' "$BOSTON" >"$tmp/fit.csv"
awk 'NR == 1 || NR % 4 == 0' "$BOSTON" >"$tmp/hold.csv"
n_hold=$(($(wc -l <"$tmp/hold.csv") - 1))

expect "predict --help" 0 "--model-file" predict --help
expect "train --help lists --save" 0 "--save" train --help
expect "predict without --model-file" 2 "--model-file" predict --data "$tmp/hold.csv"
expect "predict without --data" 2 "--data" predict --model-file "$tmp/none.dlfs"

# round_trip MODEL ARGS...: trains MODEL on fit.csv, scored on hold.csv, saves
# it, predicts hold.csv from the file; MAE, RMSE and R^2 (printed with 17
# significant digits) must be the same.
round_trip() {
    model=$1
    shift
    rm -f "$tmp/$model.dlfs"
    expect "train $model --save" 0 "" train --model "$model" --data "$tmp/fit.csv" \
        --test "$tmp/hold.csv" --save "$tmp/$model.dlfs" --json "$@"
    mae=$(json_field test_mae) rmse=$(json_field test_rmse) r2=$(json_field test_r2)
    [ -s "$tmp/$model.dlfs" ] && [ "$(json_field model_file)" = "\"$tmp/$model.dlfs\"" ] &&
        pass "$model: model file written and named in the JSON" ||
        fail "$model: model file written and named in the JSON"
    expect "predict with the $model file" 0 "" predict --model-file "$tmp/$model.dlfs" \
        --data "$tmp/hold.csv" --json
    expect_json "predict JSON keys ($model)" rows features model mae rmse r2
    if [ -n "$rmse" ] && [ "$(json_field rmse)" = "$rmse" ] && [ "$(json_field mae)" = "$mae" ] &&
        [ "$(json_field r2)" = "$r2" ]; then
        pass "$model: loaded model scores bit-identically (RMSE $rmse)"
    else
        fail "$model: loaded model scores bit-identically (train RMSE $rmse, predict $(json_field rmse))"
    fi
    [ "$(json_field rows)" = "$n_hold" ] && [ "$(json_field features)" = 13 ] &&
        pass "$model: predict JSON counts $n_hold rows, 13 features" ||
        fail "$model: predict JSON counts $n_hold rows, 13 features"
}
round_trip linreg --iterations 300
[ "$(json_field model)" = '"linreg"' ] && pass "linreg file holds a linreg" || fail "linreg file holds a linreg"
round_trip nn --iterations 200
[ "$(json_field model)" = '"nn"' ] && [ "$(json_field hidden)" = 13 ] &&
    pass "nn file holds a network with 13 hidden units" || fail "nn file holds a network with 13 hidden units"
round_trip ols
[ "$(json_field model)" = '"linreg"' ] && pass "ols coefficients saved as a linreg" ||
    fail "ols coefficients saved as a linreg"
round_trip linreg --iterations 100 --lr 0.000001 --no-standardize
[ "$(json_field standardized)" = false ] && pass "a model without standardisation says so" ||
    fail "a model without standardisation says so"

# The backend is not in the file: predict is told which one training used.
expect "train nn --backend naive --save" 0 "" train --model nn --iterations 200 --backend naive \
    --data "$tmp/fit.csv" --test "$tmp/hold.csv" --save "$tmp/naive.dlfs" --json
rmse=$(json_field test_rmse)
expect "predict --backend naive" 0 "" predict --model-file "$tmp/naive.dlfs" --data "$tmp/hold.csv" \
    --backend naive --json
[ -n "$rmse" ] && [ "$(json_field rmse)" = "$rmse" ] &&
    pass "naive backend: loaded model scores bit-identically (RMSE $rmse)" ||
    fail "naive backend: loaded model scores bit-identically (train $rmse, predict $(json_field rmse))"
expect "predict: unknown backend" 2 "cuda" predict --model-file "$tmp/naive.dlfs" \
    --data "$tmp/hold.csv" --backend cuda

expect "train --save: the summary says where" 0 "saved       $tmp/nn.dlfs" train --model nn \
    --iterations 200 --data "$tmp/fit.csv" --test "$tmp/hold.csv" --save "$tmp/nn.dlfs"

# Predictions: a header and one line per row, the same on stdout and in a file.
expect "predict --output" 0 "RMSE" predict --model-file "$tmp/nn.dlfs" --data "$tmp/hold.csv" \
    --output "$tmp/pred.csv"
[ "$(wc -l <"$tmp/pred.csv")" -eq $((n_hold + 1)) ] && [ "$(head -n 1 "$tmp/pred.csv")" = medv_predicted ] &&
    pass "--output: header medv_predicted and $n_hold rows" ||
    fail "--output: header medv_predicted and $n_hold rows"
ls "$tmp"/pred.csv.* >/dev/null 2>&1 && fail "--output leaves no temporary file" ||
    pass "--output leaves no temporary file"
"$DLFS" predict --model-file "$tmp/nn.dlfs" --data "$tmp/hold.csv" --quiet >"$tmp/pred_stdout.csv" 2>"$tmp/err"
[ $? -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/pred.csv" "$tmp/pred_stdout.csv" &&
    pass "predictions on stdout without --output, the same as in the file" ||
    fail "predictions on stdout without --output, the same as in the file"
awk -F, 'NR > 1 && $1 !~ /^-?[0-9.]+(e[-+][0-9]+)?$/ { bad = 1 } END { exit bad }' "$tmp/pred.csv" &&
    pass "every prediction is a number" || fail "every prediction is a number"

# Columns by name: reversed, with an extra id column, gives the same predictions.
awk -F, '{ line = (NR == 1 ? "id" : NR - 1); for (j = NF; j >= 1; j--) line = line "," $j; print line }' \
    "$tmp/hold.csv" >"$tmp/shuffled.csv"
expect "predict on columns in another order" 0 "'id'" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/shuffled.csv" --output "$tmp/pred_shuffled.csv"
cmp -s "$tmp/pred.csv" "$tmp/pred_shuffled.csv" && pass "columns matched by name: same predictions" ||
    fail "columns matched by name: same predictions"

# Without the target column: predictions, no scores.
cut -d, -f1-13 "$tmp/hold.csv" >"$tmp/no_target.csv"
expect "predict without the target column" 0 "" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/no_target.csv" --json
[ "$(json_field rmse)" = null ] && [ "$(wc -l <"$tmp/out")" -eq $((n_hold + 2)) ] &&
    pass "no target: $n_hold predictions and null scores" || fail "no target: $n_hold predictions and null scores"
expect "predict, target found by the model's name" 0 "" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/hold.csv" --json --quiet
rmse=$(json_field rmse)
sed '1s/medv$/price/' "$tmp/hold.csv" >"$tmp/renamed.csv"
expect "predict --target: a target of another name" 0 "" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/renamed.csv" --target price --json --quiet
[ "$(json_field target)" = '"price"' ] && [ "$(json_field rmse)" = "$rmse" ] &&
    pass "--target: scored against the column named" || fail "--target: scored against the column named"
expect "--target that is a feature" 1 "lstat" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/hold.csv" --target lstat
expect "--target not in the file" 1 "price" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/hold.csv" --target price

cut -d, -f1-4,6- "$tmp/hold.csv" >"$tmp/no_nox.csv"
expect "missing feature column: named" 1 "'nox'" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/no_nox.csv"
expect "predict: bad CSV: line and column" 1 "bad_number.csv: line 3, column 2" predict \
    --model-file "$tmp/nn.dlfs" --data "$tmp/bad_number.csv"
expect "--output over the input" 2 "--output" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/hold.csv" --output "$tmp/hold.csv"
expect "--output in a missing directory" 1 "$tmp/missing" predict --model-file "$tmp/nn.dlfs" \
    --data "$tmp/hold.csv" --output "$tmp/missing/pred.csv"

# Damaged model files: exit 1, one line that says what is wrong.
size=$(wc -c <"$tmp/nn.dlfs")
head -c $((size / 2)) "$tmp/nn.dlfs" >"$tmp/cut.dlfs"
expect "truncated model file" 1 "truncated" predict --model-file "$tmp/cut.dlfs" --data "$tmp/hold.csv"
head -c 20 "$tmp/nn.dlfs" >"$tmp/cut_header.dlfs"
expect "model file cut inside the header" 1 "truncated" predict --model-file "$tmp/cut_header.dlfs" \
    --data "$tmp/hold.csv"
cp "$tmp/nn.dlfs" "$tmp/flipped.dlfs"
byte=$(od -An -tu1 -j $((size / 2)) -N 1 "$tmp/flipped.dlfs" | tr -d ' ')
printf "\\$(printf %03o $(((byte + 1) % 256)))" |
    dd of="$tmp/flipped.dlfs" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if cmp -s "$tmp/nn.dlfs" "$tmp/flipped.dlfs"; then fail "a byte was flipped"
else expect "corrupted model file: checksum" 1 "checksum" predict --model-file "$tmp/flipped.dlfs" \
    --data "$tmp/hold.csv"; fi
grep -q corrupt "$tmp/err" && pass "corrupted model file: 'corrupt' in the message" ||
    fail "corrupted model file: 'corrupt' in the message"
cp "$tmp/nn.dlfs" "$tmp/version.dlfs"
printf '\143' | dd of="$tmp/version.dlfs" bs=1 seek=8 conv=notrunc 2>/dev/null
expect "model file of another version" 1 "version" predict --model-file "$tmp/version.dlfs" \
    --data "$tmp/hold.csv"
expect "not a model file" 1 "not a" predict --model-file "$tmp/hold.csv" --data "$tmp/hold.csv"
expect "empty model file" 1 "empty.csv" predict --model-file "$tmp/empty.csv" --data "$tmp/hold.csv"
expect "missing model file" 1 "$tmp/none.dlfs" predict --model-file "$tmp/none.dlfs" \
    --data "$tmp/hold.csv"

# --save only after a fit that succeeded; the old file stays as it was.
cp "$tmp/nn.dlfs" "$tmp/kept.dlfs"
expect "diverging training with --save" 1 "diverged" train --model nn --lr 1e6 --iterations 500 \
    --data "$tmp/fit.csv" --save "$tmp/nn.dlfs" --quiet
cmp -s "$tmp/nn.dlfs" "$tmp/kept.dlfs" && pass "divergence: the old model file is byte-identical" ||
    fail "divergence: the old model file is byte-identical"
expect "--save in a missing directory" 1 "$tmp/missing" train --model ols --data "$tmp/fit.csv" \
    --save "$tmp/missing/m.dlfs"
expect "--save over the data" 2 "--save" train --model ols --data "$tmp/fit.csv" --save "$tmp/fit.csv"
# A write that fails half way (file size limit): nothing replaces the old file.
(trap '' XFSZ; ulimit -f 1; "$DLFS" train --model nn --iterations 50 --data "$tmp/fit.csv" \
    --save "$tmp/nn.dlfs" --quiet >"$tmp/out" 2>"$tmp/err")
[ $? -eq 1 ] && grep -q "cannot save the model" "$tmp/err" && cmp -s "$tmp/nn.dlfs" "$tmp/kept.dlfs" &&
    ! ls "$tmp"/nn.dlfs.* >/dev/null 2>&1 &&
    pass "failed write: exit 1, the old model file intact, no temporary file left" ||
    fail "failed write: exit 1, the old model file intact, no temporary file left"
(trap '' XFSZ; ulimit -f 1; "$DLFS" predict --model-file "$tmp/nn.dlfs" --data "$tmp/hold.csv" \
    --output "$tmp/pred.csv" >"$tmp/out" 2>"$tmp/err")
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/pred.csv")" -eq $((n_hold + 1)) ] &&
    ! ls "$tmp"/pred.csv.* >/dev/null 2>&1 &&
    pass "failed --output write: exit 1, the old predictions intact" ||
    fail "failed --output write: exit 1, the old predictions intact"

# ---- the chapter ------------------------------------------------------------

expect "run: table beside the book's figures" 0 "3.6775" run --quiet
expect "run --json" 0 "" run --json
expect_json "run JSON" models test_mae test_rmse book_rmse
[ "$(tail -n 1 "$tmp/out" | grep -o '"model":' | wc -l)" -eq 3 ] &&
    pass "run fits three models" || fail "run fits three models"

# ---- book mode: the chapter's NumPy code's experiment ------------------------

# close A B TOL: |A - B| <= TOL |B|
close() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
                                               exit !(a != "" && d <= t * m) }'
}
# What the chapter's NumPy code prints (NumPy 1.24.2, scikit-learn 1.2.1).
for ref in "ols 3.5670558182093983 5.047566790461465" \
           "linreg 3.5644381172615454 5.049680281687752" \
           "nn 2.540922147848149 3.951747893892683"; do
    set -- $ref
    "$DLFS" train --model "$1" --book --json >"$tmp/out" 2>"$tmp/err"
    mae=$(json_field test_mae) rmse=$(json_field test_rmse)
    [ "$(json_field book)" = true ] && [ "$(json_field train_rows)" = 354 ] &&
        close "$mae" "$2" 1e-9 && close "$rmse" "$3" 1e-9 &&
        pass "train --book --model $1: MAE $mae, RMSE $rmse, the NumPy code's to 1e-9" ||
        fail "train --book --model $1: MAE $mae, RMSE $rmse against $2, $3"
done
expect "run --book: the table on the chapter's split" 0 "Book mode" run --book --quiet
grep -q "3.9517" "$tmp/out" && grep -q "3.5644" "$tmp/out" &&
    pass "run --book prints the NumPy code's figures" ||
    fail "run --book prints the NumPy code's figures"
expect "run --book --json" 0 '"book":true' run --book --json
"$DLFS" train --model nn --book --iterations 20 --lr 0.01 --json >"$tmp/out" 2>"$tmp/err"
[ "$(json_field iterations)" = 20 ] && [ "$(json_field lr)" = 0.01 ] &&
    pass "train --book: explicit --iterations and --lr override it" ||
    fail "train --book: explicit --iterations and --lr override it"
expect "train --book --test: usage error" 2 "not both" train --model nn --book --test "$BOSTON"
expect "train --book --seed 2^32: refused, naming the limit" 1 "below 2^32" \
    train --model nn --book --seed 4294967296
expect "train --book --checkpoint: refused" 1 "NumPy generator" \
    train --model nn --book --checkpoint "$tmp/book.ckpt"

finish
