#!/bin/sh
# What a project that uses dlfs sees: `meson install --destdir` of this build,
# then three scratch projects build tests/install/consumer.c (it trains the
# linear regression and solves least squares on the installed Boston data)
# and run it:
#   1. CMake: find_package(dlfs 0.1) against the staged prefix, linking
#      dlfs::dlfs and dlfs::dlfs_static (and find_package(dlfs 9) must fail);
#   2. pkg-config: dlfs.pc with its prefix moved to the staged one, shared
#      and static (Libs.private);
#   3. meson: dlfs as a subproject (a link to this source tree), through
#      dependency('dlfs').
# Each program prints the BLAS banner; built with another BLAS than OpenBLAS,
# no OpenBLAS may appear in it.
#
# Usage: test_install.sh BUILDDIR SOURCEDIR PREFIX LIBDIR DATADIR BLAS LAPACK
set -eu

build=$1
src=$2
prefix=$3
libdir=$4
datadir=$5
blas=$6
lapack=$7

command -v cmake >/dev/null || { echo "cmake is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dlfs-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
root=$stage$prefix
case $libdir in /*) lib=$stage$libdir ;; *) lib=$root/$libdir ;; esac
case $datadir in /*) data=$stage$datadir/dlfs ;; *) data=$root/$datadir/dlfs ;; esac
csv=$data/boston_housing.csv

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Runs a consumer program and checks what it printed.
check_run() {
    what=$1
    shift
    if ! "$@" "$csv" >"$tmp/out" 2>&1; then
        cat "$tmp/out"
        fail "$what: the program failed"
    fi
    cat "$tmp/out"
    grep -q '^test RMSE: linreg' "$tmp/out" || fail "$what: no result line"
    grep -q '^BLAS: ' "$tmp/out" || fail "$what: no BLAS banner"
    if [ "$blas" != openblas ] && grep -qi openblas "$tmp/out"; then
        fail "$what: built with -Dblas=$blas but OpenBLAS runs"
    fi
    echo "ok: $what"
}

meson install -C "$build" --destdir "$stage" --no-rebuild --quiet >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; fail "meson install"; }
for f in "$lib/libdlfs.so" "$lib/libdlfs.a" "$lib/pkgconfig/dlfs.pc" \
         "$lib/cmake/dlfs/dlfsConfig.cmake" "$lib/cmake/dlfs/dlfsConfigVersion.cmake" \
         "$root/include/dlfs/dlfs.h" "$csv"; do
    [ -e "$f" ] || fail "meson install did not write $f"
done

# With the program comes its manual page.
if [ -x "$root/bin/dlfs" ]; then
    [ -e "$root/share/man/man1/dlfs.1" ] || fail "meson install did not write man1/dlfs.1"
fi

# The installed programs run the library the build chose too.
if [ -x "$root/bin/dlfs-bench-gemm" ]; then
    "$root/bin/dlfs-bench-gemm" --sizes 8 --repeats 1 --max-naive 8 --min-time 1 >"$tmp/bench" 2>&1 \
        || { cat "$tmp/bench"; fail "installed dlfs-bench-gemm"; }
    if [ "$blas" != openblas ] && grep -qi openblas "$tmp/bench"; then
        cat "$tmp/bench"
        fail "installed dlfs-bench-gemm: built with -Dblas=$blas but OpenBLAS runs"
    fi
    echo "ok: installed dlfs-bench-gemm"
fi

# 1. CMake.
mkdir -p "$tmp/cmake"
cp "$src/tests/install/consumer.c" "$tmp/cmake/"
cat >"$tmp/cmake/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(dlfs_consumer C)
find_package(dlfs 9.0 QUIET)
if(dlfs_FOUND)
  message(FATAL_ERROR "find_package(dlfs 9.0) accepted version ${dlfs_VERSION}")
endif()
find_package(dlfs 0.1 REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE dlfs::dlfs)
add_executable(consumer_static consumer.c)
target_link_libraries(consumer_static PRIVATE dlfs::dlfs_static)
EOF
cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$root" \
    -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake.log" 2>&1 \
    && cmake --build "$tmp/cmake/build" >>"$tmp/cmake.log" 2>&1 \
    || { cat "$tmp/cmake.log"; fail "CMake consumer: configure or build"; }
check_run "CMake, dlfs::dlfs" env LD_LIBRARY_PATH="$lib" "$tmp/cmake/build/consumer"
check_run "CMake, dlfs::dlfs_static" "$tmp/cmake/build/consumer_static"

# 2. pkg-config.
pc() {
    PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --define-variable=prefix="$root" "$@" dlfs
}
cc=${CC:-cc}
# shellcheck disable=SC2046
$cc -std=c11 -o "$tmp/pc_consumer" "$src/tests/install/consumer.c" $(pc --cflags --libs) \
    || fail "pkg-config consumer: build"
check_run "pkg-config, shared" env LD_LIBRARY_PATH="$lib" "$tmp/pc_consumer"
static_libs=$(pc --static --libs | sed 's/-ldlfs\b/-l:libdlfs.a/')
# shellcheck disable=SC2046,SC2086
$cc -std=c11 -o "$tmp/pc_consumer_static" "$src/tests/install/consumer.c" $(pc --cflags) \
    $static_libs || fail "pkg-config consumer: static build"
check_run "pkg-config, static" "$tmp/pc_consumer_static"

# 3. A meson subproject.
mkdir -p "$tmp/meson/subprojects"
ln -s "$src" "$tmp/meson/subprojects/dlfs"
cp "$src/tests/install/consumer.c" "$tmp/meson/"
cat >"$tmp/meson/meson.build" <<'EOF'
project('dlfs_consumer', 'c', default_options : ['c_std=c11'])
subproject('dlfs')
executable('consumer', 'consumer.c', dependencies : dependency('dlfs'))
EOF
meson setup "$tmp/meson/build" "$tmp/meson" -Ddlfs:tests=false -Ddlfs:examples=false \
    -Ddlfs:bench=false -Ddlfs:plots=disabled -Ddlfs:mpi=disabled \
    -Ddlfs:blas="$blas" -Ddlfs:lapack="$lapack" >"$tmp/meson.log" 2>&1 \
    && ninja -C "$tmp/meson/build" >>"$tmp/meson.log" 2>&1 \
    || { cat "$tmp/meson.log"; fail "meson subproject consumer: configure or build"; }
check_run "meson subproject" "$tmp/meson/build/consumer"
