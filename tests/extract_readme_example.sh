#!/bin/sh
# Writes the first C block of README.md's "Using the library" section to a
# file: sh tests/extract_readme_example.sh README.md OUT.c. Fails when there
# is none, so a README without its example fails the build.
set -eu
awk '/^## Using the library/ { section = 1 }
     section && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$1" > "$2"
[ -s "$2" ] || { echo "no C example in the README's 'Using the library'" >&2; exit 1; }
