#!/bin/sh
# Builds the libFuzzer targets in tests/fuzz/ with clang, under AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60) on a
# copy of its seed corpus (the committed corpus is never grown).
#
# Usage: scripts/fuzz.sh [SECONDS]
#   env FUZZ_BUILD   build directory (default build-fuzz)
#       FUZZ_TARGETS targets to run (default "csv model")
#       FUZZ_CC      compiler (default clang; needs libFuzzer: Debian clang and
#                    libclang-rt-14-dev)
#
# Exits non-zero if a target crashes, leaks, trips a sanitizer, breaks one of
# the target's checks, hangs (-timeout) or exceeds -rss_limit_mb. The input
# that did it is kept as FUZZ_BUILD/crashes/<target>/crash-* (or leak-,
# timeout-, oom-); replay it with
#     FUZZ_BUILD/fuzz_<target> FUZZ_BUILD/crashes/<target>/crash-...
# then make it a regression: copy it into tests/fuzz/<target>/ under a name
# that starts with the status it must give (see tests/test_corpus.c).
set -eu

seconds=${1:-60}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-csv model}
cc=${FUZZ_CC:-clang}

# The library is built as meson builds it (C11, the kernels' math flags), plus
# coverage instrumentation and the sanitizers. FUZZING_BUILD_MODE_... makes
# the model loader skip its CRC check, as the libFuzzer convention intends.
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
        -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
        -fno-math-errno -fno-trapping-math -ffp-contract=fast
        -Wall -Wextra -Wpedantic
        -I$root/include -I$root/src $(pkg-config --cflags openblas)"
libs="$(pkg-config --libs openblas) -lm -lpthread"

mkdir -p "$build/obj"
echo "== building with $($cc --version | head -n 1)"
objs=""
for src in "$root"/src/*.c; do
    obj="$build/obj/$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    $cc $cflags -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj"
    objs="$objs $obj"
done
for t in $targets; do
    # shellcheck disable=SC2086
    $cc $cflags -Werror -fsanitize=fuzzer,address,undefined "$root/tests/fuzz/fuzz_$t.c" $objs \
        $libs -o "$build/fuzz_$t"
done

# One BLAS thread: the inputs are tiny, and a thread pool per process only
# adds noise to the leak checker and the exec rate.
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

work=$(mktemp -d "${TMPDIR:-/tmp}/dlfs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

failed=""
for t in $targets; do
    corpus="$work/$t"
    mkdir -p "$corpus" "$build/crashes/$t"
    cp "$root/tests/fuzz/$t/"* "$corpus/"
    dict=""
    [ -f "$root/tests/fuzz/$t.dict" ] && dict="-dict=$root/tests/fuzz/$t.dict"
    log="$build/fuzz_$t.log"
    echo "== fuzz_$t: $seconds s on a copy of tests/fuzz/$t/ ($(find "$corpus" -type f | wc -l) seeds)"
    rc=0
    # shellcheck disable=SC2086
    "$build/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 $dict -artifact_prefix="$build/crashes/$t/" \
        "$corpus" >"$log" 2>&1 || rc=$?
    # The last progress line (coverage, corpus, exec/s) and the final stats.
    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
    grep -E '^(stat::|Done [0-9]+ runs)' "$log" || true
    if [ "$rc" -ne 0 ]; then
        echo "== fuzz_$t FAILED (exit $rc); the end of $log:"
        tail -n 60 "$log"
        ls -1 "$build/crashes/$t/"
        failed="$failed $t"
    fi
done

if [ -n "$failed" ]; then
    echo "== fuzzing found problems in:$failed"
    exit 1
fi
echo "== fuzzing: no crash in $targets"
