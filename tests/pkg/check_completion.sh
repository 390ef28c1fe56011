#!/bin/sh
# SPDX-License-Identifier: MIT
# check_completion.sh TANGLE SRC: completions/tangle.bash completes the
# commands, a command's options, option values and TANGLE_OPTIONS keys.
set -u
tangle=$1 src=$2
command -v bash >/dev/null 2>&1 || { echo "SKIP: bash is not installed"; exit 0; }
fails=0
complete_line() { # complete_line WORD...: prints the completions of the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tangle; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
        sh "$src/completions/tangle.bash" "$@"
}
expect() { # expect "WANTED" WORD...
    want=$1
    shift
    got=$(complete_line "$tangle" "$@")
    [ "$got" = "$want" ] || { echo "FAIL: tangle $*<TAB> gave '$got', expected '$want'"; fails=$((fails + 1)); }
}
expect "record report run " r
expect "--on-deadlock " run --on
expect "abort exit hang " run --on-deadlock ""
expect "always auto " run --color a
expect "stall_ms= " run -O stall
expect "--json " run --js
expect "--output " record --out
expect "--format " predict --for
expect "dot html json sarif text " report --format ""
[ "$fails" = 0 ] || exit 1
echo "ok: bash completion completes commands, options, values and keys"
