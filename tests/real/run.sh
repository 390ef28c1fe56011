#!/bin/sh
# SPDX-License-Identifier: MIT
# Real Debian programs under `tangle run` (issue 15): each check runs a
# program plain, then under tangle, and passes when tangle watched it and
# reported nothing (no exit status 66, no finding in the JSON of the process
# or of any child it started), the exit status and the output match the plain run, nothing
# was left running, and both ended within the time limit.
#
#   run.sh PROGRAM TANGLE JCHECK MEASURE WORKDIR [SQLITE_THREADS]
#
# PROGRAM is one of: pigz xz zstd lbzip2 pbzip2 pixz plzip sort git sqlite
# python-threading python-fork-thread python-workload perl-threads ffmpeg
# memcached redis nginx unbound mariadb. The compressors are also
# recorded with `tangle record` and their traces predicted: neither may
# report anything. Exit status: 0 passed,
# 1 failed, 77 skipped (a package is missing: it says which) or a known
# failure (a bug someone is fixing: it says which, with the evidence, and
# does not fail CI; it says so too when the known failure passes again).
# REAL_TIMEOUT (seconds, default 120) bounds every run.
set -u
prog=$1 tangle=$2 jcheck=$3 measure=$4 work=$5/$1 sqlite_bin=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
limit=${REAL_TIMEOUT:-120}
rm -rf "$work"
mkdir -p "$work"
failed=0 known=0 passed=0

# Known failures: PROGRAM -> why (the false report or the hang, and whose
# work fixes it). Keep each one visible; delete the line once it passes.
known_failure() {
    case $1 in
    esac
}

# say: prints a line of the verdict and keeps it in the program's result
# file (CI prints those of the checks that did not pass).
say() { echo "$*"; echo "$*" >> "$work/result"; }
skip() { say "skipped: $prog: $*"; exit 77; }
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$1"; }
status_of() { sed -n 's/.*status=\(.*\) left=.*/\1/p' "$1"; }

# findings JSON: prints one line per JSON file with a finding in it.
findings() {
    for f in "$1" "$1".*; do
        [ -f "$f" ] || continue
        "$jcheck" "$f" 'reports# == 0' >/dev/null 2>&1 ||
            echo "findings in $(basename "$f"): $(grep -o '"summary":"[^"]*"' "$f" | head -3 | tr '\n' ' ')"
    done
}

# verdict LABEL PROBLEMS_FILE: prints the result of one check.
verdict() {
    label=$1 problems=$2
    why=$(known_failure "$prog")
    if [ ! -s "$problems" ]; then
        passed=$((passed + 1))
        say "ok      $label$(cat "$work/$label.times" 2>/dev/null)"
        [ -n "$why" ] && say "        (known failure passes now: remove it from known_failure in tests/real/run.sh)"
        return
    fi
    if [ -n "$why" ]; then
        known=$((known + 1))
        say "KNOWN FAILURE $label (not counted): $why"
    else
        failed=$((failed + 1))
        say "FAIL    $label"
    fi
    sed 's/^/        /' "$problems" | tee -a "$work/result"
    grep -m8 'tangle' "$work/$label.tangle.err" 2>/dev/null | sed 's/^/        stderr: /' | tee -a "$work/result"
}

# compare LABEL MODE: judges one check from its files; MODE is "out" (the
# output must be the same) or "status" (only the exit status must be).
compare() {
    label=$1 mode=$2 p=$work/$1.problems
    : > "$p"
    ps=$(status_of "$work/$label.plain.m") ts=$(status_of "$work/$label.tangle.m")
    pw=$(field "$work/$label.plain.m" wall_s) tw=$(field "$work/$label.tangle.m" wall_s)
    echo " (plain ${pw}s, tangle ${tw}s)" > "$work/$label.times"
    [ "$ps" = timeout ] && skip "$label: the plain run did not finish within $limit s; this machine is too slow"
    if [ "$ts" = timeout ]; then
        echo "did not finish within $limit s under tangle (plain: ${pw} s)" >> "$p"
    elif [ "$ts" = 66 ]; then
        echo "tangle stopped it with a report (exit status 66)" >> "$p"
    elif [ "$ts" != "$ps" ]; then
        echo "exit status $ts under tangle, $ps plain" >> "$p"
    elif [ "$mode" = out ] && ! cmp -s "$work/$label.plain.out" "$work/$label.tangle.out"; then
        echo "its output differs from the plain run's ($label.plain.out, $label.tangle.out in $work)" >> "$p"
    fi
    [ "$(field "$work/$label.tangle.m" left)" = yes ] && [ "$(field "$work/$label.plain.m" left)" = no ] &&
        echo "processes were still running after it ended (none are, plain)" >> "$p"
    if [ ! -f "$work/$label.json" ]; then
        echo "tangle wrote no JSON report" >> "$p"
    elif ! "$jcheck" "$work/$label.json" 'watched == true' >/dev/null 2>&1; then
        echo "tangle did not watch it (its JSON says \"watched\": false)" >> "$p"
    fi
    findings "$work/$label.json" >> "$p"
    verdict "$label" "$p"
}

# check LABEL INPUT MODE CMD...: runs CMD plain and under tangle, with
# stdin from INPUT, and judges the pair.
check() {
    label=$1 input=$2 mode=$3
    shift 3
    "$measure" -o "$work/$label.plain.m" "$limit" "$@" < "$input" > "$work/$label.plain.out" 2> "$work/$label.plain.err"
    "$measure" -o "$work/$label.tangle.m" "$limit" "$tangle" run --json "$work/$label.json" -- "$@" \
        < "$input" > "$work/$label.tangle.out" 2> "$work/$label.tangle.err"
    compare "$label" "$mode"
}

# predicted LABEL INPUT CMD...: records CMD with `tangle record` (stdin from
# INPUT) and passes when the recording run and `tangle predict` on its
# trace both report nothing (pigz's join_all gave false predictions).
predicted() {
    label=$1 input=$2 p=$work/$1.problems
    shift 2
    : > "$p"
    "$measure" -o "$work/$label.record.m" "$limit" "$tangle" record -o "$work/$label.tgt" -- "$@" \
        < "$input" > /dev/null 2> "$work/$label.tangle.err"
    st=$(status_of "$work/$label.record.m")
    if [ "$st" != 0 ]; then
        echo "tangle record ended with status $st" >> "$p"
    else
        timeout "$limit" "$tangle" predict --json "$work/$label.json" "$work/$label.tgt" \
            > "$work/$label.predict.out" 2>> "$work/$label.tangle.err"
        st=$?
        [ $st = 0 ] || echo "tangle predict exited $st: $(tail -1 "$work/$label.predict.out")" >> "$p"
        findings "$work/$label.json" >> "$p"
    fi
    verdict "$label" "$p"
}

need() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed (Debian package: $2)"; }

# Text that compresses like real data, the same on every machine (8 MB).
make_input() {
    [ -s "$work/input" ] && return
    awk 'BEGIN { srand(15); for (i = 0; i < 180000; i++)
        printf "%08d %s %.6f line of some text that repeats, mostly %d\n", i, (i % 7 ? "alpha" : "omega"), rand(), int(rand() * 1000) }' \
        > "$work/input"
}

# compressor NAME COMPRESS DECOMPRESS: both directions, with threads.
compressor() {
    name=$1 comp=$2 decomp=$3
    make_input
    # shellcheck disable=SC2086
    check "$name.compress" "$work/input" out $comp
    # shellcheck disable=SC2086
    check "$name.decompress" "$work/$name.compress.plain.out" out $decomp
    # shellcheck disable=SC2086
    predicted "$name.predict" "$work/input" $comp
    cmp -s "$work/$name.decompress.tangle.out" "$work/input" || {
        [ -s "$work/$name.decompress.tangle.out" ] && say "FAIL    $name: decompressed output differs from the input" && failed=$((failed + 1))
    }
}

memcached_run() { # MODE: runs the server (plain or under tangle) under load
    how=$1 port=$2
    rm -f "$work/mc.pid"
    user=
    [ "$(id -u)" = 0 ] && user="-u root"
    if [ "$how" = plain ]; then wrap=; else wrap="$tangle run --json $work/memcached.json --"; fi
    # shellcheck disable=SC2086
    "$measure" -o "$work/memcached.$how.m" "$limit" $wrap memcached $user -t 4 -l 127.0.0.1 -p "$port" -U 0 \
        -P "$work/mc.pid" > "$work/memcached.$how.server" 2> "$work/memcached.$how.err" &
    server=$!
    for _ in $(seq 200); do
        [ -s "$work/mc.pid" ] && "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
        kill -0 $server 2>/dev/null || break
        sleep 0.1
    done
    timeout "$limit" "$py" "$here/mc_load.py" "$port" 4 2000 > "$work/memcached.$how.out" 2>> "$work/memcached.$how.err"
    echo "client status $?" >> "$work/memcached.$how.out"
    [ -s "$work/mc.pid" ] && kill -TERM "$(cat "$work/mc.pid")" 2>/dev/null
    wait $server
}

# redis_run MODE PORT: runs redis-server (plain or under tangle) on
# 127.0.0.1 under redis-benchmark's load, then a load whose replies do not
# depend on timing (its output is compared), then shuts it down. Redis
# keeps one I/O thread (the default: extra I/O threads spin, which on a
# loaded 2-core machine makes plain redis 10x slower); its three bio
# threads (lazy free, close, fsync) wait on conditions and are fed by
# FLUSHALL ASYNC and UNLINK of 200-member sets, and jemalloc takes its own
# pthread mutexes inside every allocation.
redis_run() {
    how=$1 port=$2 n=${REDIS_OPS:-20000}
    if [ "$how" = plain ]; then wrap=; else wrap="$tangle run --json $work/redis.json --"; fi
    # shellcheck disable=SC2086
    "$measure" -o "$work/redis.$how.m" "$limit" $wrap redis-server --port "$port" --bind 127.0.0.1 \
        --save "" --appendonly no --dir "$work" --lazyfree-lazy-user-del yes \
        --lazyfree-lazy-user-flush yes > "$work/redis.$how.server" 2> "$work/redis.$how.err" &
    server=$!
    for _ in $(seq 200); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        kill -0 $server 2>/dev/null || break
        sleep 0.1
    done
    {
        timeout "$limit" redis-benchmark -h 127.0.0.1 -p "$port" -n "$n" -c 20 -r 100000 \
            -t set,get,incr,lpush,lpop,sadd,hset -q > "$work/redis.$how.bench" 2>&1
        echo "benchmark status $?"
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) {
            printf "SET key:%d %d\r\nINCR counter\r\n", i, i
            if (i % 10 == 0) printf "RPUSH list %d\r\nSADD set %d\r\n", i, i % 1000
            if (i % 1000 == 0) { printf "SADD big:%d", i
                for (j = 0; j < 200; j++) printf " m%d", j
                printf "\r\nUNLINK big:%d\r\n", i } } }' |
            timeout "$limit" redis-cli -p "$port" --pipe
        # shellcheck disable=SC2086
        for q in "flushall async" dbsize; do timeout "$limit" redis-cli -p "$port" $q; done
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "SET key:%d %d\r\nINCR counter\r\n", i, i }' |
            timeout "$limit" redis-cli -p "$port" --pipe
        # shellcheck disable=SC2086
        for q in dbsize "get counter" "get key:7" "llen list"; do timeout "$limit" redis-cli -p "$port" $q; done
        timeout "$limit" redis-cli -p "$port" shutdown nosave
    } > "$work/redis.$how.out" 2>> "$work/redis.$how.err"
    wait $server
}

# serve NAME MODE READY LOAD STOP CMD...: runs the server CMD (plain, or
# under tangle when MODE is "tangle") in the background; once the shell
# command READY succeeds, runs the shell command LOAD, whose output and exit
# status are the run's output (NAME.MODE.out), then STOP, and waits for
# the server to end.
serve() {
    name=$1 how=$2 ready=$3 load=$4 stop=$5
    shift 5
    if [ "$how" = plain ]; then wrap=; else wrap="$tangle run --json $work/$name.json --"; fi
    # shellcheck disable=SC2086
    "$measure" -o "$work/$name.$how.m" "$limit" $wrap "$@" > "$work/$name.$how.server" 2> "$work/$name.$how.err" &
    server=$!
    for _ in $(seq 300); do
        sh -c "$ready" >/dev/null 2>&1 && break
        kill -0 $server 2>/dev/null || break
        sleep 0.1
    done
    timeout "$limit" sh -c "$load" > "$work/$name.$how.out" 2>> "$work/$name.$how.err"
    echo "load status $?" >> "$work/$name.$how.out"
    sh -c "$stop" >> "$work/$name.$how.err" 2>&1
    wait $server
}

# served NAME READY LOAD STOP CMD...: serve, plain then under tangle, and
# judges the pair; skipped when the plain server did not serve the load.
served() {
    name=$1 ready=$2 load=$3 stop=$4
    shift 4
    serve "$name" plain "$ready" "$load" "$stop" "$@"
    grep -q '^load status 0' "$work/$name.plain.out" ||
        skip "plain $name did not serve the load: $(head -2 "$work/$name.plain.err")"
    serve "$name" tangle "$ready" "$load" "$stop" "$@"
    compare "$name" out
}

# nginx_setup PORT: a configuration for nginx on 127.0.0.1:PORT in the
# foreground, a master and two workers, whose reads of 50 files (20 KB to
# 1 MB, above directio's 4 KB) go through a pool of 4 threads ("aio
# threads": a queue under a mutex and a condition).
nginx_setup() {
    mkdir -p "$work/html" "$work/tmp"
    make_input
    for i in $(seq 50); do head -c $((i * 20000)) "$work/input" > "$work/html/f$i.txt"; done
    {
        [ "$(id -u)" = 0 ] && echo "user root;" # the workers must read $work
        echo "daemon off; master_process on; worker_processes 2; pid $work/nginx.pid;"
        echo "error_log stderr warn; thread_pool default threads=4 max_queue=65536;"
        echo "events { worker_connections 256; }"
        echo "http { access_log off; client_body_temp_path $work/tmp; proxy_temp_path $work/tmp;"
        echo "  fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;"
        echo "  server { listen 127.0.0.1:$1; root $work/html; aio threads; sendfile off;"
        echo "    directio 4k; output_buffers 2 64k; } }"
    } > "$work/nginx.conf"
}

# unbound_setup PORT: a configuration for unbound on 127.0.0.1:PORT in the
# foreground with 4 threads, answering for the zone test. from local data
# (its lookups take read-write locks) and nothing else.
unbound_setup() {
    {
        echo "server:"
        echo "  interface: 127.0.0.1"
        echo "  port: $1"
        echo "  num-threads: 4"
        echo "  so-reuseport: yes"
        echo "  do-daemonize: no"
        echo '  chroot: ""'
        echo '  username: ""'
        echo "  directory: \"$work\""
        echo "  pidfile: \"$work/unbound.pid\""
        echo "  use-syslog: no"
        echo "  do-ip6: no"
        echo "  module-config: \"iterator\""
        echo "  local-zone: \"test.\" static"
        for i in $(seq 0 199); do echo "  local-data: \"h$i.test. 300 IN A 10.0.0.$i\""; done
        echo "remote-control:"
        echo "  control-enable: no"
    } > "$work/unbound.conf"
}

py=/usr/bin/python3
[ -x $py ] || py=$(command -v python3) || py=
case $prog in
pigz) need pigz pigz; compressor pigz "pigz -p 4 -c" "pigz -d -p 4 -c" ;;
xz) need xz xz-utils; compressor xz "xz -T4 --block-size=1MiB -1 -c" "xz -T4 -d -c" ;;
zstd) need zstd zstd; compressor zstd "zstd -q -T4 -B1048576 -3 -c" "zstd -q -T4 -d -c" ;;
lbzip2) need lbzip2 lbzip2; compressor lbzip2 "lbzip2 -n 4 -c" "lbzip2 -n 4 -d -c" ;;
pbzip2) need pbzip2 pbzip2; compressor pbzip2 "pbzip2 -p4 -c" "pbzip2 -p4 -d -c" ;;
pixz) need pixz pixz; compressor pixz "pixz -p 4 -1 -t" "pixz -p 4 -d" ;;
plzip) need plzip plzip; compressor plzip "plzip -n 4 -1 -B 1MiB -c" "plzip -n 4 -d -c" ;;
sort)
    need sort coreutils
    awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) print int(rand() * 1e9) }' > "$work/numbers"
    check sort.parallel "$work/numbers" out sort --parallel=4 -S 20M -n ;;
git)
    need git git
    git -C "$here" rev-parse --git-dir >/dev/null 2>&1 || skip "the source tree is not a git checkout"
    check git.grep /dev/null out git -C "$here/../.." grep --threads=4 -c -e pthread_mutex -e lock ;;
sqlite)
    [ -n "$sqlite_bin" ] && [ -x "$sqlite_bin" ] || skip "sqlite_threads not built (Debian package: libsqlite3-dev)"
    check sqlite.threads /dev/null out "$sqlite_bin" "$work/test.db" ;;
python-threading|python-fork-thread)
    [ -n "$py" ] && "$py" -c 'import test.test_threading' 2>/dev/null ||
        skip "CPython's test suite not installed (Debian package: libpython3.$("${py:-python3}" -c 'import sys; print(sys.version_info[1])' 2>/dev/null)-testsuite)"
    if [ "$prog" = python-threading ]; then
        check cpython_thread_tests /dev/null status "$py" -m test test_threading test_thread test_threading_local \
            test_queue -i '*test_3_join_in_forked_from_thread'
    else
        # The default limit, as for every program here: this test needs
        # about 0.25 s of CPU, plain or under tangle (callgrind, the whole
        # process tree: 661 million instructions plain, 701 million under
        # tangle, +6%, most of it each process's start), so its wall time
        # is the machine's load alone; at load 40 a 30 s limit was hit.
        check test_3_join_in_forked_from_thread /dev/null status "$py" -m test test_threading \
            -m test_3_join_in_forked_from_thread
    fi ;;
python-workload)
    [ -n "$py" ] || skip "python3 not installed (Debian package: python3)"
    check python.workload /dev/null out "$py" "$here/py_threads.py" ;;
perl-threads)
    need perl perl
    perl -Mthreads -e 1 2>/dev/null || skip "this perl was built without ithreads (Debian's perl has them)"
    check perl.threads /dev/null out perl "$here/perl_threads.pl" ;;
ffmpeg)
    # x264 encodes 4 frames at once (a thread per frame, conditions between
    # them); the decoder's frame threads hand frames on with conditions too.
    need ffmpeg ffmpeg
    ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264 || skip "this ffmpeg has no libx264 (Debian's has)"
    check ffmpeg.x264 /dev/null out ffmpeg -nostdin -hide_banner -loglevel error \
        -f lavfi -i testsrc2=size=640x360:rate=25:duration=8 -c:v libx264 -preset veryfast -threads 4 \
        -f matroska -fflags +bitexact -flags +bitexact -map_metadata -1 -
    check ffmpeg.h264_decode "$work/ffmpeg.x264.plain.out" out ffmpeg -nostdin -hide_banner -loglevel error \
        -threads 4 -thread_type frame -i - -f framemd5 - ;;
memcached)
    need memcached memcached
    [ -n "$py" ] || skip "python3 not installed (Debian package: python3)"
    port=$((20000 + $$ % 20000))
    memcached_run plain "$port"
    grep -q '^client status 0' "$work/memcached.plain.out" ||
        skip "plain memcached did not serve the load on 127.0.0.1:$port: $(head -2 "$work/memcached.plain.err")"
    memcached_run tangle "$port"
    compare memcached out ;;
redis)
    need redis-server redis-server
    need redis-benchmark redis-tools
    port=$((20000 + ($$ + 7) % 20000))
    redis_run plain "$port"
    grep -q '^benchmark status 0' "$work/redis.plain.out" ||
        skip "plain redis-server did not serve the load on 127.0.0.1:$port: $(head -2 "$work/redis.plain.err")"
    redis_run tangle "$port"
    compare redis out ;;
nginx)
    need nginx nginx-light
    [ -n "$py" ] || skip "python3 not installed (Debian package: python3)"
    port=$((20000 + ($$ + 13) % 20000))
    nginx_setup "$port"
    served nginx "$py $here/http_load.py $port $work/html 1 0" "$py $here/http_load.py $port $work/html 8 150" \
        "kill -QUIT \$(cat $work/nginx.pid)" nginx -e stderr -c "$work/nginx.conf" -p "$work" ;;
unbound)
    need unbound unbound
    [ -n "$py" ] || skip "python3 not installed (Debian package: python3)"
    port=$((20000 + ($$ + 19) % 20000))
    unbound_setup "$port"
    served unbound "$py $here/dns_load.py $port 1 0" "$py $here/dns_load.py $port 8 2000" \
        "kill -TERM \$(cat $work/unbound.pid)" unbound -d -c "$work/unbound.conf" ;;
mariadb)
    # Several threads per connection pool, InnoDB's background threads,
    # and the server's own mutexes and conditions, under a client load.
    PATH=$PATH:/usr/sbin
    need mariadbd mariadb-server
    need mariadb-slap mariadb-client
    user=
    [ "$(id -u)" = 0 ] && user=--user=root
    sockdir=$(mktemp -d "${TMPDIR:-/tmp}/tangle-mariadb.XXXXXX") || skip "no temporary folder for its socket"
    trap 'rm -rf "$sockdir"' EXIT
    sock=$sockdir/sock # a socket's path has at most 107 bytes
    # shellcheck disable=SC2086
    mariadb-install-db --no-defaults --datadir="$work/data" $user --auth-root-authentication-method=normal \
        --skip-test-db > "$work/install.log" 2>&1 || skip "mariadb-install-db failed: $(tail -2 "$work/install.log")"
    # shellcheck disable=SC2086
    served mariadb "mariadb -S $sock -uroot -e 'select 1'" "sh $here/mariadb_load.sh $sock $work/slap.out" \
        "mariadb-admin -S $sock -uroot shutdown" mariadbd --no-defaults --datadir="$work/data" \
        --socket="$sock" --skip-networking $user --skip-log-bin --innodb-buffer-pool-size=64M \
        --pid-file="$work/mariadb.pid" --log-error="$work/mariadb.log" ;;
*) echo "run.sh: unknown program '$prog'" >&2; exit 2 ;;
esac
[ $failed -gt 0 ] && exit 1
[ $known -gt 0 ] && exit 77
exit 0
