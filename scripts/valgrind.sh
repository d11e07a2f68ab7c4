#!/bin/sh
# Runs the test suite under valgrind memcheck, in a plain (unsanitized)
# debugoptimized build: no invalid read or write, no use of uninitialised
# memory, no definitely or indirectly lost block. "Possibly lost" and "still
# reachable" are not errors: OpenBLAS keeps its buffers and threads until the
# process exits.
#
# Usage: scripts/valgrind.sh [BUILDDIR]      (default build-vg)
#   env MESON_TEST_ARGS  extra arguments for `meson test` (e.g. a test name)
#       VG_TIMEOUT_MULTIPLIER  for the tests' timeouts (default 10)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-vg}

reconf=""
[ -f "$build/build.ninja" ] && reconf="--reconfigure"
meson setup $reconf "$build" "$root" -Db_sanitize=none \
    -Dbuildtype=debugoptimized -Dplots=disabled
ninja -C "$build" -j 2

# Small problems, one BLAS thread: valgrind runs threads one at a time anyway,
# and a thread pool only adds its own "possibly lost" stacks.
export OPENBLAS_NUM_THREADS=1

# The shell tests (test_cli, test_walkthrough) run the build's programs from
# sh: those children are traced, the system's tools (sh, sed, grep...) not.
# Valgrind writes to one log per process, never to the programs' stderr,
# which the shell tests compare.
logs="$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"
vg="valgrind --error-exitcode=1 --leak-check=full --log-file=$logs/%p.log"
vg="$vg --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect"
vg="$vg --track-origins=yes --trace-children=yes --trace-children-skip=/usr/*,/bin/*,/sbin/*"
vg="$vg --suppressions=$root/tests/valgrind.supp"

# The 'signals' suite is left out: its runs are stopped by a signal at a
# moment and must outlast mpirun's forwarding delay, which under valgrind
# means minutes; the checkpoint code it drives runs here through test_train
# and test_dist_train. The 'install' and 'configure' suites are left out too:
# they run meson, CMake and the compiler, whose programs valgrind skips, and
# check the packaging, not the library's memory use.
start=$(date +%s)
rc=0
# shellcheck disable=SC2086
meson test -C "$build" --print-errorlogs --num-processes 2 \
    --timeout-multiplier "${VG_TIMEOUT_MULTIPLIER:-10}" \
    --wrap="$vg" --no-suite signals --no-suite install --no-suite configure \
    ${MESON_TEST_ARGS:-} || rc=$?
elapsed=$(( $(date +%s) - start ))
# With --wrap, meson names its logs after the wrapper (testlog-valgrind.*);
# a copy under the usual name lets result counters (.ci/run) read every build
# directory the same way.
cp "$build/meson-logs/testlog-valgrind.json" "$build/meson-logs/testlog.json" 2>/dev/null || true

# Each process's log ends with an ERROR SUMMARY and a leak summary (except
# a shell's forks that exec an untraced tool). Logs with errors are printed
# and fail the run even when the test passed (a shell test may not look at
# the exit status valgrind changed); the totals count the dlfs programs, not
# the shells that ran some of them.
for f in $(grep -l "ERROR SUMMARY: [1-9]" "$logs"/*.log); do
    echo "== $f"
    cat "$f"
    [ "$rc" -ne 0 ] || rc=1
done
ours=$(grep -L -E "Command: [^ ]*/(sh|dash|bash)( |$)" "$logs"/*.log || true)
# shellcheck disable=SC2086
awk '
    function num(s) { gsub(",", "", s); return s + 0 }
    /== ERROR SUMMARY:/ { procs++; errors += num($4) }
    /== +definitely lost:/ { def += num($4) }
    /== +indirectly lost:/ { ind += num($4) }
    /== +possibly lost:/ { pos += num($4) }
    /All heap blocks were freed/ { clean++ }
    END {
        printf "valgrind summary: %d processes of dlfs programs and tests, %d errors; ", procs, errors
        printf "definitely lost %d bytes, indirectly lost %d bytes, possibly lost %d bytes; ", def, ind, pos
        printf "%d of them freed every block\n", clean
    }' $ours
echo "valgrind: test suite took $elapsed s (exit $rc)"
exit "$rc"
