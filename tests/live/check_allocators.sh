#!/bin/sh
# SPDX-License-Identifier: MIT
# check_allocators.sh TANGLE LIBTANGLE JCHECK ABBA [ABBA_JEMALLOC] WORKDIR:
# tangle under other malloc implementations (issue 17, item 1). jemalloc
# takes a pthread mutex inside its first malloc, which tangle sees before
# anything else; tcmalloc does not. For each allocator installed, preloaded
# before and after tangle: /bin/true starts and ends, and a real ABBA
# deadlock is reported with its stacks (the trace recorder and a
# suppressions file on too: both are read or written inside early hooks). A
# program linked with -ljemalloc is run the same way when it was built.
# Exits 77 (skipped) when none of the allocators is installed (Debian:
# libjemalloc2, libgoogle-perftools4, libtcmalloc-minimal4).
set -u
tangle=$1 lib=$2 jcheck=$3 abba=$4
if [ $# -ge 6 ]; then linked=$5 work=$6; else linked="" work=$5; fi
mkdir -p "$work"
echo '*:no_function_of_this_name' > "$work/alloc.supp"
failed=0 tried=0
fail() { echo "FAIL: $*" >&2; failed=1; }

find_lib() {
    for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
        [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}

# The ABBA program deadlocks: exit 66 with one deadlock report, in time.
check_abba() {
    what=$1 json=$2 status=$3
    [ "$status" = 66 ] || { fail "$what: exit status $status, expected 66"; return; }
    "$jcheck" "$json" 'reports# == 1' 'reports[0].kind == "deadlock"' \
        'reports[0].threads[*].waits_for.stack[0].function == "take"' || fail "$what: report"
}

for name in libjemalloc.so.2 libtcmalloc.so.4 libtcmalloc_minimal.so.4; do
    alloc=$(find_lib $name) || { echo "allocators: $name is not installed; not tested"; continue; }
    tried=$((tried + 1))
    for order in before after; do
        if [ $order = before ]; then pre="$alloc:$lib"; else pre="$lib:$alloc"; fi
        timeout -k 5 30 env LD_PRELOAD="$pre" /bin/true
        st=$?
        [ $st = 0 ] || fail "$name $order tangle: /bin/true exit status $st (124: hung)"
        json="$work/alloc-$name-$order.json"
        rm -f "$json" "$work/alloc.tgt"
        timeout -k 5 60 env LD_PRELOAD="$pre" \
            TANGLE_OPTIONS="json=$json:record=$work/alloc.tgt:suppress=$work/alloc.supp" "$abba" >/dev/null 2>&1
        check_abba "$name $order tangle" "$json" $?
    done
    json="$work/alloc-$name-run.json"
    timeout -k 5 60 env LD_PRELOAD="$alloc" "$tangle" run --json "$json" -- "$abba" >/dev/null 2>&1
    check_abba "$name under tangle run" "$json" $?
done
if [ -n "$linked" ]; then
    tried=$((tried + 1))
    json="$work/alloc-linked.json"
    timeout -k 5 60 "$tangle" run --json "$json" -- "$linked" >/dev/null 2>&1
    check_abba "a program linked with -ljemalloc" "$json" $?
fi
if [ $tried = 0 ]; then
    echo "allocators: skipped: none of jemalloc, tcmalloc, tcmalloc_minimal is installed"
    exit 77
fi
[ $failed = 0 ] && echo "allocators: ok ($tried tried)"
exit $failed
