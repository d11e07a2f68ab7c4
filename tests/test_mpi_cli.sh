#!/bin/sh
# tests/test_mpi_cli.sh - dlfs-mpi train end to end against dlfs train: on
# one rank it prints what dlfs train prints; on 2 and 3 ranks the same
# figures to rounding; rank 0 alone prints and saves; a bad file fails every
# rank with one message naming the file's line. dlfs-mpi predict against
# dlfs predict: the same predictions file on 1 and 3 ranks, the same scores
# to rounding; a missing model fails every rank with one message.
#
#     sh tests/test_mpi_cli.sh BUILD/examples/dlfs BUILD/examples/dlfs-mpi MPIRUN SOURCE
#
# Prints one line per check and a final "N passed, N failed"; exits 1 if any failed.

DLFS=$1
DLFS_MPI=$2
MPIRUN=$3
SRC=$4
BOSTON=$SRC/data/boston_housing.csv
if [ ! -x "$DLFS" ] || [ ! -x "$DLFS_MPI" ] || [ ! -r "$BOSTON" ]; then
    echo "usage: $0 PATH/TO/dlfs PATH/TO/dlfs-mpi MPIRUN SOURCE_ROOT" >&2
    exit 2
fi

. "$(dirname "$0")/harness.sh"

SOURCE_ROOT=$SRC
. "$(dirname "$0")/mpi_env.sh"
export OMPI_MCA_rmaps_base_oversubscribe=1

# The program's own lines on stderr (mpirun adds notices of its own when a
# rank exits non-zero).
ours() {
    grep -c '^dlfs-mpi: ' "$tmp/merr"
}

# mpi P ARGS...: dlfs-mpi on P ranks, stdout and stderr to $tmp/mout, $tmp/merr.
mpi() {
    np=$1
    shift
    timeout 120 "$MPIRUN" --oversubscribe -np "$np" "$DLFS_MPI" "$@" >"$tmp/mout" 2>"$tmp/merr"
}

# The summary without its time line.
untimed() {
    grep -v '^time ' "$1"
}

# json_num FILE KEY: a number of the JSON line.
json_num() {
    tail -n 1 "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"
}

# close A B: |A - B| <= 1e-9 |B| (and both numbers).
close() {
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
                                     exit !(a != "" && d <= 1e-9 * m + 1e-300) }'
}

for model in ols linreg nn; do
    "$DLFS" train --model "$model" --quiet >"$tmp/one" 2>&1
    mpi 1 train --model "$model" --quiet
    st=$?
    untimed "$tmp/mout" >"$tmp/mout.untimed"
    if [ "$st" -eq 0 ] && untimed "$tmp/one" | cmp -s - "$tmp/mout.untimed"; then
        pass "$model on 1 rank prints what dlfs train prints"
    else
        fail "$model on 1 rank: $(untimed "$tmp/one" | diff - "$tmp/mout.untimed" | head -5)"
    fi
    "$DLFS" train --model "$model" --quiet --json >"$tmp/one.json" 2>&1
    for np in 2 3; do
        mpi "$np" train --model "$model" --quiet --json
        ok=$?
        for key in test_mae test_rmse train_loss test_r2; do
            close "$(json_num "$tmp/mout" $key)" "$(json_num "$tmp/one.json" $key)" || ok=1
        done
        lines=$(wc -l <"$tmp/mout")
        if [ "$ok" -eq 0 ] && [ "$lines" -eq 1 ] && [ "$(json_num "$tmp/mout" ranks)" = "$np" ]; then
            pass "$model on $np ranks: one JSON line from rank 0, figures within 1e-9"
        else
            fail "$model on $np ranks: $(cat "$tmp/mout" "$tmp/merr" | head -3)"
        fi
    done
done

# --save on 3 ranks: rank 0 writes a model that predicts as the one-process one
"$DLFS" train --model nn --quiet --iterations 300 --save "$tmp/one.dlfs" >/dev/null 2>&1
mpi 3 train --model nn --quiet --iterations 300 --save "$tmp/three.dlfs"
st=$?
"$DLFS" predict --model-file "$tmp/one.dlfs" --data "$BOSTON" --quiet >"$tmp/p1" 2>/dev/null
"$DLFS" predict --model-file "$tmp/three.dlfs" --data "$BOSTON" --quiet >"$tmp/p3" 2>/dev/null
if [ "$st" -eq 0 ] && [ -s "$tmp/p3" ] && [ "$(wc -l <"$tmp/p3")" -eq 507 ] &&
   paste -d, "$tmp/p1" "$tmp/p3" | tail -n +2 | awk -F, '{ d = $1 - $2; if (d < 0) d = -d;
        if (d > 1e-8 * ($1 < 0 ? -$1 : $1) + 1e-12) bad = 1 } END { exit bad }'; then
    pass "--save on 3 ranks: the model file predicts as the one-process model's"
else
    fail "--save on 3 ranks (status $st)"
fi

# predict on 1 and 3 ranks: the file dlfs predict writes, the same scores
"$DLFS" train --model nn --quiet --iterations 300 --save "$tmp/model.dlfs" >/dev/null 2>&1
# The reference is started by mpirun too, so that it runs where the ranks run
# (under scripts/valgrind.sh the ranks, children of the untraced mpirun, run
# natively, on other vector paths than valgrind's CPU offers).
timeout 120 "$MPIRUN" --oversubscribe -np 1 "$DLFS" predict --model-file "$tmp/model.dlfs" \
    --data "$BOSTON" --output "$tmp/pred1.csv" --json >"$tmp/pred1.json" 2>/dev/null
for np in 1 3; do
    rm -f "$tmp/predp.csv"
    mpi "$np" predict --model-file "$tmp/model.dlfs" --data "$BOSTON" --output "$tmp/predp.csv" --json
    ok=$?
    for key in mae rmse r2 mean_target; do
        close "$(json_num "$tmp/mout" $key)" "$(json_num "$tmp/pred1.json" $key)" || ok=1
    done
    if [ "$ok" -eq 0 ] && [ -s "$tmp/pred1.csv" ] && cmp -s "$tmp/pred1.csv" "$tmp/predp.csv" &&
       [ "$(wc -l <"$tmp/mout")" -eq 1 ]; then
        pass "predict on $np rank(s): the file dlfs predict writes, scores within 1e-9"
    else
        fail "predict on $np rank(s): $(cat "$tmp/mout" "$tmp/merr" | head -3)"
    fi
done

# a model file that is not there: every rank fails, one message
mpi 3 predict --model-file "$tmp/missing.dlfs" --data "$BOSTON"
st=$?
if [ "$st" -eq 1 ] && [ "$(ours)" -eq 1 ] && grep -q 'missing.dlfs' "$tmp/merr"; then
    pass "predict with a missing model on 3 ranks: exit 1, one message"
else
    fail "predict with a missing model on 3 ranks: status $st, $(head -3 "$tmp/merr")"
fi

# a malformed number in the last rows: every rank fails, one message with the line
awk 'NR == 480 { sub(/^[^,]*/, "1.2.3") } { print }' "$BOSTON" >"$tmp/bad.csv"
"$DLFS" train --model linreg --quiet --data "$tmp/bad.csv" --target medv 2>"$tmp/one.err" >/dev/null
printf 'an earlier model\n' >"$tmp/kept.dlfs"
cp "$tmp/kept.dlfs" "$tmp/kept.orig"
mpi 3 train --model linreg --quiet --data "$tmp/bad.csv" --target medv --save "$tmp/kept.dlfs"
st=$?
if [ "$st" -eq 1 ] && [ "$(ours)" -eq 1 ] &&
   grep -q 'line 480, column 1' "$tmp/merr" && grep -q 'line 480, column 1' "$tmp/one.err" &&
   cmp -s "$tmp/kept.dlfs" "$tmp/kept.orig" && [ "$(ls "$tmp" | grep -c '^kept\.dlfs\.')" -eq 0 ]; then
    pass "a bad line on the last rank: exit 1, one message naming line 480, --save's file untouched"
else
    fail "a bad line on the last rank: status $st, $(head -3 "$tmp/merr")"
fi

# no data rows, and fewer rows than ranks
head -n 1 "$BOSTON" >"$tmp/header.csv"
mpi 3 train --model linreg --quiet --data "$tmp/header.csv" --target medv
st=$?
if [ "$st" -eq 1 ] && [ "$(ours)" -eq 1 ] && grep -q 'header.csv' "$tmp/merr"; then
    pass "a file with only a header on 3 ranks: exit 1, one message naming it"
else
    fail "a file with only a header on 3 ranks: status $st, $(head -3 "$tmp/merr")"
fi
head -n 4 "$BOSTON" >"$tmp/three.csv"
"$DLFS" train --model linreg --quiet --data "$tmp/three.csv" --target medv --iterations 5 \
    >/dev/null 2>"$tmp/one.err"
one_st=$?
mpi 5 train --model linreg --quiet --data "$tmp/three.csv" --target medv --iterations 5
st=$?
if [ "$st" -eq "$one_st" ] && [ "$(ours)" -le 1 ] && { [ "$st" -eq 0 ] || [ "$(ours)" -eq 1 ]; }; then
    pass "3 rows on 5 ranks: as one process (status $st), no crash"
else
    fail "3 rows on 5 ranks: status $st (one process: $one_st), $(head -3 "$tmp/merr")"
fi

mpi 2 train --model foo
if [ $? -eq 2 ] && [ "$(ours)" -eq 1 ]; then
    pass "a usage error on 2 ranks: exit 2, one message"
else
    fail "a usage error on 2 ranks"
fi

mpi 2 train --model nn --book
[ $? -eq 2 ] && [ "$(ours)" -eq 1 ] && grep -q "one process" "$tmp/merr" &&
    pass "dlfs-mpi train --book: a usage error, said once" ||
    fail "dlfs-mpi train --book: a usage error, said once"

finish
