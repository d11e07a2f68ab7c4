#!/bin/sh
# tests/mpirun.sh - runs a cmocka test program under mpirun on each of the
# given numbers of ranks (on any number of cores: --oversubscribe), and once
# more on 3 ranks over TCP only (no shared memory). Each run is bounded by
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
    if ! timeout 60 "$mpirun" --oversubscribe "$@" "$prog"; then
        echo "FAIL: mpirun $*"
        status=1
    fi
}
for np in "$@"; do
    run -np "$np"
done
run -np 3 --mca btl self,tcp
exit $status
