#!/bin/sh
# SPDX-License-Identifier: MIT
# Scaling probes (issue 10): lock shapes whose cost under a checker may grow
# with the program's history, each at a small and a large size, run plain,
# under `tangle run`, under `tangle run -O lock_order=0`, under floor.c (the
# least an online lock-order checker does on each call: a hold stack and a
# probe of the chains seen; no stacks, graph or instance identity) and
# built with ThreadSanitizer; then memcached under memcslap load.
#
#   run.sh TANGLE_BIN SOURCE_DIR [quick|full]
#
# The mode defaults to $SCALE_MODE, else quick (a few minutes); full uses
# the issue's sizes and takes longer. SCALE_TIMEOUT (seconds; 30 quick, 120
# full) bounds every single run: a run past it is killed and shown as
# "timed out after N s". SCALE_PROBES picks probes (default: churn detached
# pairs objects lockchurn freed sempost semdeep alive memcached); alive's
# size is the threads parked alive, not the operations. Time is the
# probe's own timing of its operations (wall_s adds start-up and exit);
# peak MB is the peak resident set from wait4. Any report from tangle or
# TSan on these race- and deadlock-free probes is a false one and is
# printed as such.
set -u
tangle=$1 src=$2 mode=${3:-${SCALE_MODE:-quick}}
case $mode in
quick)
    churn="1000 10000"; detached="1000 10000"; pair_iters=200000; pair_ks="2 16 256 4096"
    objects="1000 100000"; object_iters=200000; lockchurn="100000 1000000"
    freed="100000 1000000"; sempost="100000 1000000"; alive="10 2000"; alive_iters=5000
    slap=10000; limit=${SCALE_TIMEOUT:-30} ;;
full)
    churn="1000 10000 100000"; detached="1000 10000 100000"; pair_iters=2000000; pair_ks="2 16 256 4096"
    objects="1000 100000 1000000"; object_iters=1000000; lockchurn="100000 1000000 10000000"
    freed="100000 1000000 10000000"; sempost="100000 1000000 10000000"; alive="10 2000"
    alive_iters=200000; slap=65000
    limit=${SCALE_TIMEOUT:-120} ;;
*) echo "usage: run.sh TANGLE_BIN SOURCE_DIR [quick|full]" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=${CC:-gcc}
$cc -O2 -g -Wall -Wextra -Wshadow -Werror -pthread "$src/scale.c" -o "$work/plain" || exit 1
$cc -O2 -Wall -Wextra -Wshadow -Werror "$src/measure.c" -o "$work/measure" || exit 1
tsan=yes
$cc -O2 -g -pthread -fsanitize=thread "$src/scale.c" -o "$work/tsan" 2>/dev/null || tsan=no
floor=yes
$cc -O2 -Wall -Wextra -Wshadow -Werror -shared -fPIC "$src/floor.c" -o "$work/floor.so" -ldl 2>/dev/null || floor=no
export TANGLE_BIN="$tangle" MEASURE="$work/measure" LIMIT="$limit"

echo "scale probes ($mode): $(nproc) cores, $(uname -m); every run bounded by $limit s"
printf '%-9s %8s %-10s %9s %8s %8s %9s %8s %7s  %s\n' \
    probe size mode time_s wall_s peak_MB ns/op x_plain x_tsan note
results=$work/results
: > "$results"

# run_one PROBE SIZE MODE ARGS...: one measured run; appends
# "probe size mode work_s wall_s rss_kb status" to the results.
run_one() {
    probe=$1 size=$2 how=$3; shift 3
    case $how in
    plain) set -- "$work/plain" "$@" ;;
    tangle) set -- "$tangle" run --json "$work/t.json" -- "$work/plain" "$@" ;;
    no-order) set -- "$tangle" run -O lock_order=0 --json "$work/t.json" -- "$work/plain" "$@" ;;
    floor) set -- env LD_PRELOAD="$work/floor.so" "$work/plain" "$@" ;;
    tsan) set -- "$work/tsan" "$@" ;;
    esac
    rm -f "$work/t.json"
    "$work/measure" "$limit" "$@" > "$work/out" 2> "$work/err"
    work_s=$(sed -n 's/.* work_s=\([0-9.]*\).*/\1/p' "$work/out")
    line=$(grep '^measure:' "$work/out")
    wall=$(echo "$line" | sed 's/.*wall_s=\([0-9.]*\).*/\1/')
    rss=$(echo "$line" | sed 's/.*maxrss_kb=\([0-9]*\).*/\1/')
    status=$(echo "$line" | sed 's/.*status=\(.*\) left=.*/\1/')
    echo "$probe $size $how ${work_s:-nan} $wall $rss $(echo "$status" | tr ' ' _)" >> "$results"
    if [ "$status" != 0 ] && [ "$status" != timeout ]; then
        echo "  $probe $size $how: exit status $status; its first lines of stderr:" >> "$work/notes"
        head -5 "$work/err" | sed 's/^/    /' >> "$work/notes"
    fi
}

# show PROBE SIZE: prints the four modes' lines for one size.
show() {
    awk -v probe="$1" -v size="$2" -v limit="$limit" '
    $1 == probe && $2 == size { w[$3] = $4; wall[$3] = $5; rss[$3] = $6; st[$3] = $7 }
    END {
        n = split("plain tangle no-order floor tsan", m, " ")
        for (i = 1; i <= n; i++) {
            k = m[i]
            if (!(k in st)) continue
            note = ""
            if (st[k] == "timeout") { note = "timed out after " limit " s" }
            else if (st[k] == "66" && k != "tsan") { note = "REPORT (false: the probe is deadlock-free)" }
            else if (st[k] == "66") { note = "TSan report" }
            else if (st[k] != "0") { note = "exit status " st[k] }
            if (st[k] == "timeout" || w[k] == "nan") {
                printf "%-9s %8s %-10s %9s %8.2f %8.1f %9s %8s %7s  %s\n", probe, size, k, "-", wall[k], rss[k] / 1024, "-", "-", "-", note
                continue
            }
            xp = (w["plain"] > 0 && st["plain"] == "0") ? sprintf("%.2f", w[k] / w["plain"]) : "-"
            xt = (("tsan" in w) && w["tsan"] > 0 && st["tsan"] != "timeout") ? sprintf("%.2f", w[k] / w["tsan"]) : "-"
            printf "%-9s %8s %-10s %9.3f %8.2f %8.1f %9.1f %8s %7s  %s\n", probe, size, k, w[k], wall[k], rss[k] / 1024, \
                   w[k] * 1e9 / opsof(probe, size), xp, xt, note
        }
    }
    function opsof(p, s) { return ops_for[p " " s] }
    BEGIN { while ((getline l < ENVIRON["OPS"]) > 0) { split(l, f, " "); ops_for[f[1] " " f[2]] = f[3] } }
    ' "$results"
}

# probe NAME SIZE OPS ARGS...: all four modes at one size.
probe() {
    name=$1 size=$2 ops=$3; shift 3
    echo "$name $size $ops" >> "$work/ops"
    for how in plain tangle no-order floor tsan; do
        [ $how = tsan ] && [ $tsan = no ] && continue
        [ $how = floor ] && [ $floor = no ] && continue
        run_one "$name" "$size" $how "$@"
    done
    OPS="$work/ops" show "$name" "$size"
}

# growth NAME SIZES: time per operation at the smallest and the largest size.
growth() {
    first=$(echo "$2" | awk '{print $1}') last=$(echo "$2" | awk '{print $NF}')
    OPS="$work/ops" awk -v probe="$1" -v a="$first" -v b="$last" '
    BEGIN { while ((getline l < ENVIRON["OPS"]) > 0) { split(l, f, " "); ops[f[1] " " f[2]] = f[3] } }
    $1 == probe && ($2 == a || $2 == b) { w[$2 " " $3] = ($7 == "0" || $7 == "66") && $4 != "nan" ? $4 * 1e9 / ops[$1 " " $2] : -1; mb[$2 " " $3] = $6 / 1024 }
    END {
        line = sprintf("  growth %s (ns/op at %s -> %s):", probe, a, b)
        n = split("plain tangle no-order floor tsan", m, " ")
        for (i = 1; i <= n; i++) {
            k = m[i]
            if (!((a " " k) in w)) continue
            x = w[a " " k]; y = w[b " " k]
            if (x < 0 || y < 0) line = line sprintf("  %s timed out", k)
            else line = line sprintf("  %s %.0f -> %.0f (%.2fx)", k, x, y, y / x)
        }
        print line
        # Memory that grows with the size beyond plain is a cost of history
        # too: the peak under tangle above the plain one at both sizes.
        if ((a " plain") in mb && (a " tangle") in mb && (b " plain") in mb && (b " tangle") in mb)
            printf("  memory %s (peak MB at %s -> %s):  plain %.1f -> %.1f  tangle %.1f -> %.1f  (tangle above plain: %.1f -> %.1f)\n",
                   probe, a, b, mb[a " plain"], mb[b " plain"], mb[a " tangle"], mb[b " tangle"],
                   mb[a " tangle"] - mb[a " plain"], mb[b " tangle"] - mb[b " plain"])
    }' "$results"
}

wanted() { case " ${SCALE_PROBES:-churn detached pairs objects lockchurn freed sempost semdeep alive memcached} " in *" $1 "*) return 0 ;; esac; return 1; }
if wanted churn; then
    for n in $churn; do probe churn "$n" "$n" churn "$n"; done
    growth churn "$churn"
fi
if wanted detached; then
    for n in $detached; do probe detached "$n" "$n" detached "$n"; done
    growth detached "$detached"
fi
if wanted pairs; then
    for k in $pair_ks; do probe pairs "$k" $((pair_iters * 2)) pairs "$k" "$pair_iters"; done
    growth pairs "$pair_ks"
fi
if wanted objects; then
    for n in $objects; do probe objects "$n" $((object_iters * 2)) objects "$n" "$object_iters"; done
    growth objects "$objects"
fi
if wanted lockchurn; then
    for n in $lockchurn; do probe lockchurn "$n" "$n" lockchurn "$n"; done
    growth lockchurn "$lockchurn"
fi
if wanted freed; then
    for n in $freed; do probe freed "$n" "$n" freed "$n"; done
    growth freed "$freed"
fi
for p in sempost semdeep; do
    wanted $p || continue
    for n in $sempost; do probe $p "$n" "$n" $p "$n"; done
    growth $p "$sempost"
done
if wanted alive; then
    for n in $alive; do probe alive "$n" "$alive_iters" alive "$n" "$alive_iters"; done
    growth alive "$alive"
fi
[ -s "$work/notes" ] && { echo "runs that failed:"; cat "$work/notes"; }
echo "(time: the probe's own timing of its operations; x_plain, x_tsan: time ratios;"
echo " floor: floor.c, a lower bound of the repeated path that checks nothing, not a checker;"
echo " targets (issue 10): tangle <= 1.5x plain, never slower than TSan, growth within 1.3x)"
if wanted memcached; then
    echo
    sh "$src/memcached.sh" "$slap"
fi
exit 0
