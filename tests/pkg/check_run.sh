#!/bin/sh
# SPDX-License-Identifier: MIT
# check_run.sh TANGLE CHILD_REPORT MUSL_PROG: what `tangle run` does with
# programs it cannot watch, and with findings of child processes.
#   - each program the loader would run unwatched is refused before it
#     starts, with its own exit status and a message: set-user-ID (121, when
#     run as root), 32-bit (122), another processor (122), a non-glibc
#     loader (123); not executable (126), not an executable format (126),
#     missing (127);
#   - the JSON report of a program that never started says "watched": false;
#     a clean watched run says true, with its start and end;
#   - a child's finding makes the run's status 66, and tangle says where the
#     child's report went (standard error, and its JSON file).
set -u
tangle=$1 child=$2 musl=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tangle-check-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # expect STATUS TEXT CMD...
    want=$1 text=$2
    shift 2
    "$@" >"$tmp/out" 2>&1 </dev/null
    got=$?
    if [ "$got" != "$want" ] || ! grep -qF -- "$text" "$tmp/out"; then
        fail "'$*': status $got (expected $want), output lacks '$text'?"
        sed 's/^/    /' "$tmp/out" | head -n 12
    fi
}

# 32-bit and foreign ELF headers: enough of a file for the checks.
printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\002\000\003\000' >"$tmp/elf32"
head -c 64 /dev/zero >>"$tmp/elf32"
case $(uname -m) in
    aarch64) other='\076\000' ;; # x86-64
    *) other='\267\000' ;;       # aarch64
esac
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000'"$other" >"$tmp/foreign"
head -c 64 /dev/zero >>"$tmp/foreign"
printf 'not a program\n' >"$tmp/garbage"
printf '#!/bin/sh\nexit 0\n' >"$tmp/noexec"
chmod +x "$tmp/elf32" "$tmp/foreign" "$tmp/garbage"

expect 122 "is a 32-bit program" "$tangle" run -- "$tmp/elf32"
expect 122 "is built for another processor" "$tangle" run -- "$tmp/foreign"
expect 123 "not by glibc's loader" "$tangle" run -- "$musl"
expect 126 "no permission to execute" "$tangle" run -- "$tmp/noexec"
expect 127 "cannot find 'no-such-program-here' in PATH" "$tangle" run -- no-such-program-here
expect 126 "cannot execute" "$tangle" run --json "$tmp/never.json" -- "$tmp/garbage"
grep -q '"watched":false' "$tmp/never.json" || fail "the JSON of a run that never started does not say \"watched\":false"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    cp "$child" "$tmp/setuid_prog" && chown nobody "$tmp/setuid_prog" && chmod 4755 "$tmp/setuid_prog"
    expect 121 "is set-user-ID" "$tangle" run -- "$tmp/setuid_prog" clean
    chown root:nogroup "$tmp/setuid_prog" 2>/dev/null && chmod 2755 "$tmp/setuid_prog" &&
        expect 121 "is set-group-ID" "$tangle" run -- "$tmp/setuid_prog" clean
else
    echo "SKIP (set-ID part): needs root and a 'nobody' user to make a set-ID program owned by someone else"
fi

# A clean watched run says so.
expect 0 "ended with status 0" "$tangle" run --json "$tmp/clean.json" -- "$child" clean
grep -q '"watched":true' "$tmp/clean.json" && grep -q '"start":"20' "$tmp/clean.json" &&
    grep -q '"end":"20' "$tmp/clean.json" ||
    { fail "the JSON of a clean watched run lacks watched/start/end"; cat "$tmp/clean.json"; }
if grep -q "started by the watched program" "$tmp/out"; then fail "a clean child was reported"; fi

# Findings of children.
expect 66 "started by the watched program, reported 1 finding; its report went to standard error" \
    "$tangle" run -- "$child" fork
expect 66 "exit status 66 (the program's own was 0)" "$tangle" run -- "$child" exec
grep -q "child_report), started by the watched program" "$tmp/out" || fail "the exec'd child is not named"
expect 66 "JSON to $tmp/kids.json." "$tangle" run --json "$tmp/kids.json" -- "$child" fork
ls "$tmp"/kids.json.* >/dev/null 2>&1 || fail "the child wrote no JSON file"
[ "$fails" = 0 ] || exit 1
echo "ok: unwatchable programs are refused with their own status; children's findings reach the run"
