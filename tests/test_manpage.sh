#!/bin/sh
# doc/dlfs.1 against the program: every option that `dlfs --help' and each
# command's --help list appears in the page, every option the page names is
# listed by some --help, and groff formats the page without a warning.
# Usage: test_manpage.sh DLFS_PROGRAM MANPAGE
set -eu

dlfs=$1
page=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dlfs-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# Options as words: --name and -x, from text on stdin.
options() {
    grep -o -E -- '(^|[^A-Za-z0-9-])--?[a-z][a-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}

"$dlfs" --help >"$tmp/help"
commands=$(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' "$tmp/help")
[ -n "$commands" ] || { echo "FAIL: no commands in dlfs --help"; exit 1; }
for c in $commands; do
    "$dlfs" "$c" --help >>"$tmp/help"
    grep -q "^\.B dlfs $c\$" "$page" || grep -q "^\.SS dlfs $c\$" "$page" \
        || { echo "FAIL: command $c has no section in $page"; failed=1; }
done
options <"$tmp/help" >"$tmp/help.opts"

# The page as text: roff's \- is a hyphen there.
sed -e 's/\\-/-/g' -e 's/\\e/\\/g' "$page" | grep -v '^\.\\"' | options >"$tmp/page.opts"

missing=$(comm -23 "$tmp/help.opts" "$tmp/page.opts")
extra=$(comm -13 "$tmp/help.opts" "$tmp/page.opts")
if [ -n "$missing" ]; then
    echo "FAIL: options listed by --help but not in $page:" $missing
    failed=1
fi
if [ -n "$extra" ]; then
    echo "FAIL: options in $page that no --help lists:" $extra
    failed=1
fi
echo "$(wc -l <"$tmp/help.opts") options listed by --help"

if command -v groff >/dev/null; then
    groff -ww -z -man "$page" 2>"$tmp/groff" || true
    if [ -s "$tmp/groff" ]; then
        echo "FAIL: groff -ww warns:"
        cat "$tmp/groff"
        failed=1
    else
        echo "groff -ww: no warnings"
    fi
else
    echo "FAIL: groff is not installed (scripts/setup.sh installs groff-base)"
    failed=1
fi
exit "$failed"
