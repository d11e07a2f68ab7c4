#!/bin/sh
# tests/mpirun.sh - runs a cmocka test program under mpirun on each of the
# given numbers of ranks (on any number of cores: --oversubscribe), and once
# more on 3 ranks over TCP only, without shared-memory windows either (as
# ranks on three machines would run). DLFS_TEST_REDUCE_PATH tells the test
# which path the training's reduction must take in each run. Each run is bounded by
# `timeout`, so a rank left waiting in a collective fails the test instead of
# hanging it.
# Usage: mpirun.sh MPIRUN TEST_PROGRAM SOURCE_ROOT RANKS...
set -u
[ $# -ge 4 ] || { echo "usage: $0 MPIRUN TEST_PROGRAM SOURCE_ROOT RANKS..." >&2; exit 2; }
mpirun=$1
prog=$2
SOURCE_ROOT=$3
shift 3
. "$(dirname "$0")/mpi_env.sh"

status=0
run() {
    echo "== mpirun $*"
    if ! timeout 60 "$mpirun" --oversubscribe -x DLFS_TEST_REDUCE_PATH "$@" "$prog"; then
        echo "FAIL: mpirun $*"
        status=1
    fi
}
export DLFS_TEST_REDUCE_PATH="shared memory"
for np in "$@"; do
    run -np "$np"
done
DLFS_TEST_REDUCE_PATH=messages run -np 3 --mca btl self,tcp --mca osc ^sm
exit $status
