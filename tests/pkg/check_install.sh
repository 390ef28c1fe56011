#!/bin/sh
# SPDX-License-Identifier: MIT
# check_install.sh BUILD SRC CC: installs tangle from BUILD into a temporary
# prefix, checks what is there (command, versioned libraries, headers,
# pkg-config files, CMake package, man pages, completion), then builds
# tests/pkg/consumer against it with pkg-config and with find_package and
# runs it:
#   consumer_tasks sum     prints "sum 55", status 0 (libtangle-tasks)
#   consumer_* relock      a task deadlock: status 66 with either library
#   consumer_tasks unlock  pthread misuse is not watched by libtangle-tasks: 0
#   consumer_full unlock   ... and is by libtangle: status 66
#   PREFIX/bin/tangle run -- consumer_tasks unlock: the installed command
#                          finds its library and watches pthreads: 66
set -u
build=$1 src=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=$tmp/prefix
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
libdir=$(dirname "$(find "$p" -name 'libtangle.so.0' | head -n 1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || { echo "FAIL: no libtangle.so.0 installed"; find "$p"; exit 1; }
for f in bin/tangle include/tangle/task.h share/man/man1/tangle.1 share/man/man3/tangle-tasks.3 \
         share/bash-completion/completions/tangle; do
    [ -e "$p/$f" ] || fail "$f was not installed"
done
for f in libtangle.so libtangle-tasks.so libtangle-tasks.so.0 pkgconfig/tangle.pc \
         pkgconfig/tangle-tasks.pc cmake/tangle/tangleConfig.cmake cmake/tangle/tangleConfigVersion.cmake; do
    [ -e "$libdir/$f" ] || fail "$libdir/$f was not installed"
done
for l in libtangle libtangle-tasks; do
    soname=$(readelf -d "$libdir/$l.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "$l.so.0" ] || fail "$l.so has SONAME '$soname', expected $l.so.0"
    [ -L "$libdir/$l.so" ] && [ -f "$(readlink -f "$libdir/$l.so")" ] || fail "$l.so is not a symlink to the versioned file"
done

expect() { # expect STATUS WHAT CMD...: runs CMD, checks its exit status
    want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    if [ "$got" != "$want" ]; then
        fail "$what: exit status $got, expected $want"
        sed 's/^/    /' "$tmp/out" "$tmp/err" | head -n 20
    fi
}
run_consumers() { # run_consumers HOW DIR
    expect 0 "$1: consumer_tasks sum" "$2/consumer_tasks" sum
    grep -q '^sum 55$' "$tmp/out" || fail "$1: consumer_tasks sum printed '$(cat "$tmp/out")'"
    expect 66 "$1: consumer_tasks relock (task detection alone)" "$2/consumer_tasks" relock
    grep -q DEADLOCK "$tmp/err" || fail "$1: consumer_tasks relock reported no deadlock"
    expect 66 "$1: consumer_full relock" "$2/consumer_full" relock
    expect 0 "$1: consumer_tasks unlock (pthreads not watched by libtangle-tasks)" "$2/consumer_tasks" unlock
    expect 66 "$1: consumer_full unlock (libtangle watches pthreads)" "$2/consumer_full" unlock
}

# pkg-config, with the link line the manual gives.
pc=$(command -v pkg-config || command -v pkgconf)
if [ -z "$pc" ]; then
    echo "SKIP (pkg-config half): pkg-config is not installed (Debian: apt-get install pkgconf)"
else
    export PKG_CONFIG_PATH="$libdir/pkgconfig"
    mkdir -p "$tmp/pc"
    for lib in tangle-tasks tangle; do
        exe=$tmp/pc/consumer_$( [ $lib = tangle ] && echo full || echo tasks)
        # shellcheck disable=SC2046
        "$cc" -o "$exe" "$src/tests/pkg/consumer/consumer.c" $("$pc" --cflags --libs $lib) \
            -Wl,-rpath,"$("$pc" --variable=libdir $lib)" -pthread 2>"$tmp/cc.log" ||
            { cat "$tmp/cc.log"; fail "pkg-config: building against $lib"; }
    done
    run_consumers pkg-config "$tmp/pc"
fi

# find_package(tangle) from a CMake project.
if cmake -S "$src/tests/pkg/consumer" -B "$tmp/cm" -DTANGLE_VIA=package -DCMAKE_PREFIX_PATH="$p" \
        -DCMAKE_C_COMPILER="$cc" >"$tmp/cm.log" 2>&1 && cmake --build "$tmp/cm" >>"$tmp/cm.log" 2>&1; then
    run_consumers find_package "$tmp/cm"
else
    tail -n 30 "$tmp/cm.log"
    fail "find_package: configuring or building the consumer project"
fi

# The installed command finds its own library.
if [ -x "$tmp/cm/consumer_tasks" ]; then
    expect 66 "installed 'tangle run'" "$p/bin/tangle" run -- "$tmp/cm/consumer_tasks" unlock
fi
# make install PREFIX=... (the README's way) installs the same, DESTDIR staged.
if command -v make >/dev/null 2>&1; then
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$src" install BUILD="$build" \
        PREFIX=/opt/tangle DESTDIR="$tmp/stage" >"$tmp/make.log" 2>&1 || { tail -n 20 "$tmp/make.log"; fail "make install"; }
    for f in bin/tangle include/tangle/task.h share/man/man1/tangle.1; do
        [ -e "$tmp/stage/opt/tangle/$f" ] || fail "make install PREFIX=/opt/tangle DESTDIR=... did not install $f"
    done
fi
[ "$fails" = 0 ] || exit 1
echo "ok: installed, and an outside program built with pkg-config and find_package runs"
