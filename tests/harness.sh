# tests/harness.sh - what the shell tests share, sourced by them:
# a scratch directory $tmp (removed on exit), pass and fail, check, finish.
# A test's last line is "N passed, N failed"; it exits 1 if any failed.

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# pass NAME / fail NAME: one line per check; a failure shows the start of the
# last command's stdout and stderr (kept in $tmp/out and $tmp/err).
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL  $1"
    for f in out err; do
        [ -s "$tmp/$f" ] && sed "s/^/      std$f: /" "$tmp/$f" | head -n 5
    done
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
    name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
