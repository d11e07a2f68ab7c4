#!/bin/sh
# meson setup refuses a BLAS it cannot use, and says which option to change:
# a name no pkg-config file or library answers to, a library without CBLAS,
# and a BLAS without LAPACK's dgels_ when no -Dlapack is given.
# Usage: test_configure.sh SOURCEDIR
set -eu

src=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dlfs-configure.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect_refusal NAME PATTERN OPTIONS...: meson setup must fail and print PATTERN.
expect_refusal() {
    name=$1
    pattern=$2
    shift 2
    if meson setup "$tmp/$name" "$src" -Dtests=false -Dexamples=false -Dbench=false \
        -Dplots=disabled -Dmpi=disabled "$@" >"$tmp/$name.log" 2>&1; then
        echo "FAIL: $name: meson setup $* succeeded"
        failed=1
    elif grep -q -e "$pattern" "$tmp/$name.log"; then
        echo "ok: $name: $(grep -e "$pattern" "$tmp/$name.log" | head -1)"
    else
        echo "FAIL: $name: no \"$pattern\" in:"
        tail -5 "$tmp/$name.log"
        failed=1
    fi
}

expect_refusal unknown 'ERROR: Problem encountered: -Dblas=no-such-blas: ' -Dblas=no-such-blas
expect_refusal unknown-lapack 'ERROR: Problem encountered: -Dlapack=no-such-lapack: ' -Dlapack=no-such-lapack
# libm: a library the linker finds, without CBLAS.
expect_refusal no-cblas 'ERROR: Problem encountered: -Dblas=m: .*CBLAS' -Dblas=m
# The reference BLAS alone has no LAPACK.
if [ -e /usr/lib/x86_64-linux-gnu/blas/libblas.so ] || pkg-config --exists blas-netlib; then
    expect_refusal no-lapack 'ERROR: Problem encountered: -Dblas=netlib: .*-Dlapack=' -Dblas=netlib
fi
exit "$failed"
