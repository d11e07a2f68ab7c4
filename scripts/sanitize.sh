#!/bin/sh
# Builds dlfs with AddressSanitizer and UndefinedBehaviorSanitizer in a second
# meson build directory and runs the whole test suite there. Any sanitizer
# report (invalid access, leak, undefined behaviour) aborts the test that made
# it, so the run fails.
#
# Usage: scripts/sanitize.sh [BUILDDIR]      (default build-asan)
#   env MESON_TEST_ARGS  extra arguments for `meson test` (e.g. a test name)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-asan}

# b_lundef=false: the sanitizer runtimes are linked into executables only, so
# the shared library has undefined __asan_* symbols until then.
reconf=""
[ -f "$build/build.ninja" ] && reconf="--reconfigure"
meson setup $reconf "$build" "$root" \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dplots=disabled
ninja -C "$build" -j 2

# Leaks count (LSan); the first report of any kind aborts the process. No
# suppressions: OpenBLAS's buffers and thread pool stay reachable, so LSan
# reports nothing outside dlfs. The library's multiversioned loops (ifuncs)
# work under ASan; ThreadSanitizer would need -Dc_args=-DDLFS_NO_MULTIVERSION.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# The 'install' and 'configure' suites are left out: they build other
# projects against this one (CMake, pkg-config, a meson subproject) or
# configure it anew, with a compiler that links no sanitizer runtime, and
# check the packaging, not the library's memory use.
# shellcheck disable=SC2086
meson test -C "$build" -v --print-errorlogs --num-processes 2 \
    --no-suite install --no-suite configure ${MESON_TEST_ARGS:-}
