#!/bin/sh
# tests/test_resume_cli.sh - checkpoints, signals and resuming, end to end:
# `dlfs train` stopped by SIGTERM or SIGINT in the middle of a run exits 143
# or 130 with one line saying where it stopped and how to resume, and the
# resumed run saves the very model file (byte for byte) of a run that was
# never stopped; a checkpoint is refused by `dlfs predict`; a resume that
# contradicts the checkpoint, or from a damaged one, is refused and writes
# nothing. With dlfs-mpi: SIGTERM to mpirun stops both ranks at one
# iteration; SIGKILL of one rank leaves the last checkpoint whole; both
# resume to the uninterrupted two-rank model; another number of ranks is
# refused.
#
#     sh tests/test_resume_cli.sh BUILD/examples/dlfs SOURCE_ROOT [BUILD/examples/dlfs-mpi MPIRUN]
#
# Prints one line per check and a final "N passed, N failed"; exits 1 if any failed.

DLFS=$1
SRC=$2
DLFS_MPI=${3:-}
MPIRUN=${4:-}
if [ ! -x "$DLFS" ] || [ ! -d "$SRC" ]; then
    echo "usage: $0 PATH/TO/dlfs SOURCE_ROOT [PATH/TO/dlfs-mpi MPIRUN]" >&2
    exit 2
fi

. "$(dirname "$0")/harness.sh"

# Long enough to be stopped in the middle, well after the shell has seen the
# first checkpoint (a whole run is about 0.8 s for each model here, on a fast
# CPU's default backend), short enough to run whole several times.
NN="--model nn --iterations 1000000 --quiet"
LINREG="--model linreg --iterations 3000000 --quiet"

# poll PID CHECK...: runs CHECK every 20 ms until it succeeds (0), or the
# process PID ends or 150 s pass (1).
poll() {
    p=$1
    shift
    i=0
    until "$@"; do
        kill -0 "$p" 2>/dev/null || return 1
        grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null && return 1  # ended, unwaited
        i=$((i + 1))
        [ "$i" -lt 7500 ] || return 1
        sleep 0.02
    done
}

# catches_sigterm PID: the process has a SIGTERM handler (bit 15 of SigCgt in
# /proc/PID/status), which dlfs train installs just before its first
# iteration and removes after its last.
catches_sigterm() {
    mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
    [ -n "$mask" ] || return 1
    low=${mask#"${mask%????}"}          # signals 1-16 in the last 4 hex digits
    [ $((0x$low >> 14 & 1)) -eq 1 ]
}

# wait_for FILE PID: until FILE exists (the run wrote its first checkpoint);
# 1 if the process PID ended first.
wait_for() {
    poll "$2" test -s "$1"
}

# stopped NAME SIG STATUS ARGS...: dlfs train ARGS in the background, sent
# SIG once its checkpoint $tmp/c.ckpt exists; exit STATUS and one line saying
# where it stopped.
stopped() {
    name=$1 sig=$2 want=$3
    shift 3
    rm -f "$tmp/c.ckpt"
    "$DLFS" train "$@" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    if ! wait_for "$tmp/c.ckpt" "$pid"; then
        wait "$pid"
        fail "$name: no checkpoint appeared while the run went on"
        return
    fi
    kill -"$sig" "$pid"
    wait "$pid"
    got=$?
    [ "$got" -eq "$want" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -q "^dlfs: stopped by SIG$sig after iteration [0-9]* of " "$tmp/err" &&
        grep -qF -- "--resume $tmp/c.ckpt" "$tmp/err" &&
        pass "$name: exit $want, one line naming the iteration and the resume command" ||
        fail "$name: exit $got (expected $want)"
}

# ---- one process --------------------------------------------------------

"$DLFS" train $NN --save "$tmp/ref.dlfs" >"$tmp/out" 2>"$tmp/err" &&
    pass "nn: the uninterrupted run" || fail "nn: the uninterrupted run"

stopped "nn: SIGTERM" TERM 143 $NN --checkpoint "$tmp/c.ckpt" --checkpoint-every 500 \
    --save "$tmp/res.dlfs"
[ ! -e "$tmp/res.dlfs" ] && pass "nn: a stopped run saves no model" ||
    fail "nn: a stopped run saves no model"
cp "$tmp/c.ckpt" "$tmp/keep.ckpt"

"$DLFS" predict --model-file "$tmp/c.ckpt" --data "$SRC/data/boston_housing.csv" \
    >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "checkpoint, not a model file" "$tmp/err" &&
    pass "predict refuses a checkpoint, saying what it is" ||
    fail "predict refuses a checkpoint, saying what it is"

# Contradictions: refused before anything is written.
for case in "--batch 32:batch size" "--lr 0.01:learning rate" "--seed 7:seed" \
            "--hidden 12:hidden units" "--test-fraction 0.2:training rows" \
            "--backend naive:backend"; do
    opt=${case%%:*} what=${case#*:}
    # shellcheck disable=SC2086
    "$DLFS" train $NN $opt --checkpoint "$tmp/c.ckpt" --save "$tmp/res.dlfs" \
        --resume "$tmp/c.ckpt" >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 1 ] && grep -qF "$what" "$tmp/err" && cmp -s "$tmp/c.ckpt" "$tmp/keep.ckpt" &&
        [ ! -e "$tmp/res.dlfs" ] &&
        pass "resume with $opt: refused, naming the $what; nothing written" ||
        fail "resume with $opt: refused, naming the $what; nothing written"
done

"$DLFS" train $NN --checkpoint "$tmp/c.ckpt" --checkpoint-every 500 --save "$tmp/res.dlfs" \
    --resume "$tmp/c.ckpt" >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/ref.dlfs" "$tmp/res.dlfs" &&
    pass "nn: the resumed run saves the uninterrupted run's model file, byte for byte" ||
    fail "nn: the resumed run saves the uninterrupted run's model file, byte for byte"

"$DLFS" train $LINREG --save "$tmp/ref.dlfs" >"$tmp/out" 2>"$tmp/err"
rm -f "$tmp/res.dlfs"
stopped "linreg: SIGINT" INT 130 $LINREG --checkpoint "$tmp/c.ckpt" --checkpoint-every 1000
"$DLFS" train $LINREG --save "$tmp/res.dlfs" --resume "$tmp/c.ckpt" >"$tmp/out" 2>"$tmp/err" &&
    cmp -s "$tmp/ref.dlfs" "$tmp/res.dlfs" &&
    pass "linreg: resumed (without --checkpoint) to the uninterrupted model, byte for byte" ||
    fail "linreg: resumed (without --checkpoint) to the uninterrupted model, byte for byte"

# Without --checkpoint a signal still stops the run cleanly, keeping nothing.
# The run is far longer than the test: the signal goes once the program
# catches it (a signal before that ends the process as it would any other),
# and the run stops at the next iteration.
"$DLFS" train --model nn --iterations 100000000 --quiet >"$tmp/out" 2>"$tmp/err" &
pid=$!
if poll "$pid" catches_sigterm "$pid"; then
    kill -TERM "$pid"
    wait "$pid"
    got=$?
    [ "$got" -eq 143 ] && grep -q "nothing was kept" "$tmp/err" &&
        pass "SIGTERM without --checkpoint: exit 143, says nothing was kept" ||
        fail "SIGTERM without --checkpoint: exit $got (expected 143), says nothing was kept"
else
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    fail "SIGTERM without --checkpoint: the run never caught SIGTERM"
fi

# Damaged checkpoints and other files.
head -c 100 "$tmp/keep.ckpt" >"$tmp/cut.ckpt"
"$DLFS" train $NN --resume "$tmp/cut.ckpt" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot resume from $tmp/cut.ckpt" "$tmp/err" &&
    pass "a truncated checkpoint is refused" || fail "a truncated checkpoint is refused"
"$DLFS" train $NN --resume "$tmp/ref.dlfs" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "model file" "$tmp/err" &&
    pass "a model file given to --resume is named as one" ||
    fail "a model file given to --resume is named as one"

"$DLFS" train $NN --checkpoint-every 10 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--checkpoint-every needs --checkpoint" "$tmp/err" &&
    pass "--checkpoint-every alone: usage error" || fail "--checkpoint-every alone: usage error"
"$DLFS" train --model ols --checkpoint "$tmp/o.ckpt" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "does not apply to --model ols" "$tmp/err" &&
    pass "--checkpoint with ols: usage error" || fail "--checkpoint with ols: usage error"
"$DLFS" train $NN --checkpoint "$tmp/no/such/dir/c.ckpt" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "no/such/dir" "$tmp/err" &&
    pass "--checkpoint into a missing directory: refused before training" ||
    fail "--checkpoint into a missing directory: refused before training"

# ---- MPI ------------------------------------------------------------------

if [ -z "$DLFS_MPI" ]; then
    finish
    exit
fi
SOURCE_ROOT=$SRC
. "$(dirname "$0")/mpi_env.sh"
# mpirun passes SIGTERM on to the ranks about a second after it gets it: the
# two-rank run must outlast that.
NN="--model nn --iterations 600000 --quiet"

mpi_bg() {
    np=$1
    shift
    timeout --foreground 300 "$MPIRUN" --oversubscribe -np "$np" "$DLFS_MPI" train "$@" \
        >"$tmp/mout" 2>"$tmp/merr" &
    pid=$!
}

timeout 300 "$MPIRUN" --oversubscribe -np 2 "$DLFS_MPI" train $NN --save "$tmp/mref.dlfs" \
    >"$tmp/mout" 2>"$tmp/merr" && pass "mpi: the uninterrupted two-rank run" ||
    fail "mpi: the uninterrupted two-rank run"

# SIGTERM to mpirun, which sends it to every rank.
rm -f "$tmp/m.ckpt" "$tmp/mres.dlfs"
mpi_bg 2 $NN --checkpoint "$tmp/m.ckpt" --checkpoint-every 500 --save "$tmp/mres.dlfs"
if wait_for "$tmp/m.ckpt" "$pid"; then
    kill -TERM "$pid"
    wait "$pid"
    cp "$tmp/merr" "$tmp/err"
    [ "$(grep -c '^dlfs-mpi: stopped by SIGTERM after iteration' "$tmp/merr")" -eq 1 ] &&
        [ ! -e "$tmp/mres.dlfs" ] &&
        pass "mpi: SIGTERM stops both ranks; one line says where; no model saved" ||
        fail "mpi: SIGTERM stops both ranks; one line says where; no model saved"
else
    wait "$pid"
    fail "mpi: no checkpoint appeared while the run went on"
fi
timeout 300 "$MPIRUN" --oversubscribe -np 3 "$DLFS_MPI" train $NN --resume "$tmp/m.ckpt" \
    >"$tmp/mout" 2>"$tmp/merr"
[ $? -ne 0 ] && grep -q "ranks is 2, this run's 3" "$tmp/merr" &&
    pass "mpi: a two-rank checkpoint on three ranks is refused" ||
    fail "mpi: a two-rank checkpoint on three ranks is refused"
timeout 300 "$MPIRUN" --oversubscribe -np 2 "$DLFS_MPI" train $NN --save "$tmp/mres.dlfs" \
    --resume "$tmp/m.ckpt" >"$tmp/mout" 2>"$tmp/merr" && cmp -s "$tmp/mref.dlfs" "$tmp/mres.dlfs" &&
    pass "mpi: resumed after SIGTERM to the uninterrupted model file, byte for byte" ||
    fail "mpi: resumed after SIGTERM to the uninterrupted model file, byte for byte"

# SIGTERM to one rank alone: the ranks agree to stop at one iteration.
rm -f "$tmp/m.ckpt"
mpi_bg 2 $NN --checkpoint "$tmp/m.ckpt" --checkpoint-every 500
if wait_for "$tmp/m.ckpt" "$pid"; then
    victim=$(pgrep -P "$(pgrep -P "$pid" | head -n 1)" -f dlfs-mpi | tail -n 1)
    kill -TERM "$victim" 2>/dev/null
    wait "$pid"
    got=$?
    cp "$tmp/merr" "$tmp/err"
    [ "$got" -eq 143 ] &&
        [ "$(grep -c '^dlfs-mpi: stopped by SIGTERM after iteration' "$tmp/merr")" -eq 1 ] &&
        pass "mpi: SIGTERM to one rank stops both at one iteration (exit 143)" ||
        fail "mpi: SIGTERM to one rank stops both at one iteration (exit $got)"
else
    wait "$pid"
    fail "mpi: no checkpoint appeared while the run went on"
fi

# SIGKILL of one rank: mpirun fails; the last checkpoint written is whole.
rm -f "$tmp/m.ckpt" "$tmp/mres.dlfs"
mpi_bg 2 $NN --checkpoint "$tmp/m.ckpt" --checkpoint-every 200
if wait_for "$tmp/m.ckpt" "$pid"; then
    sleep 0.2
    victim=$(pgrep -P "$(pgrep -P "$pid" | head -n 1)" -f dlfs-mpi | tail -n 1)
    kill -KILL "$victim" 2>/dev/null
    wait "$pid"
    got=$?
    [ "$got" -ne 0 ] && pass "mpi: SIGKILL of one rank fails the job (exit $got)" ||
        fail "mpi: SIGKILL of one rank fails the job"
else
    wait "$pid"
    fail "mpi: no checkpoint appeared before SIGKILL"
fi
ls "$tmp"/m.ckpt.* >/dev/null 2>&1 && rm -f "$tmp"/m.ckpt.*   # a write cut short
timeout 300 "$MPIRUN" --oversubscribe -np 2 "$DLFS_MPI" train $NN --save "$tmp/mres.dlfs" \
    --resume "$tmp/m.ckpt" >"$tmp/mout" 2>"$tmp/merr" && cmp -s "$tmp/mref.dlfs" "$tmp/mres.dlfs" &&
    pass "mpi: resumed after SIGKILL from the last whole checkpoint, byte for byte" ||
    fail "mpi: resumed after SIGKILL from the last whole checkpoint, byte for byte"

finish
