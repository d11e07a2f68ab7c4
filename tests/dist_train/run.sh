#!/bin/sh
# tests/dist_train/run.sh - runs test_dist_train under mpirun on 1, 2, 3 and
# 4 ranks (on any number of cores: --oversubscribe), and once more on 3 ranks
# over TCP only (no shared memory). Each run is bounded by `timeout`, so a
# rank left waiting fails the test instead of hanging it.
# Usage: run.sh MPIRUN TEST_PROGRAM SOURCE_ROOT
set -u
[ $# -eq 3 ] || { echo "usage: $0 MPIRUN TEST_PROGRAM SOURCE_ROOT" >&2; exit 2; }
mpirun=$1
prog=$2
root=$3

# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's own allocations outlive MPI_Finalize; nothing of dlfs is suppressed.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$root/tests/lsan-mpi.supp"
# ...and for LSan to name them: Open MPI's plugins stay loaded past
# MPI_Finalize, and its frames are unwound without frame pointers.
export OMPI_MCA_mca_base_component_disable_dlclose=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"

status=0
run() {
    echo "== mpirun $*"
    if ! timeout 60 "$mpirun" --oversubscribe "$@" "$prog"; then
        echo "FAIL: mpirun $*"
        status=1
    fi
}
for np in 1 2 3 4; do
    run -np "$np"
done
run -np 3 --mca btl self,tcp
exit $status
