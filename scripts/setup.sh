#!/bin/sh
# Installs what dlfs needs from Debian (only what is missing), then configures
# and builds it. Usage: sh scripts/setup.sh [BUILDDIR [meson options...]]
# Uses sudo for apt-get when not run as root.
set -eu

packages="gcc libc6-dev meson ninja-build pkg-config libopenblas-dev libcmocka-dev libplplot-dev plplot-driver-cairo libopenmpi-dev openmpi-bin libxsmm-dev cmake groff-base"
if [ "${DLFS_EXTRA_PACKAGES:-}" ]; then
    packages="$packages $DLFS_EXTRA_PACKAGES"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    echo "Installing:$missing"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

builddir=${1:-build}
[ $# -gt 0 ] && shift
if [ -f "$builddir/build.ninja" ]; then
    meson setup --reconfigure "$builddir" "$@" >/dev/null
else
    meson setup "$builddir" "$@"
fi
ninja -C "$builddir"
