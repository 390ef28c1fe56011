#!/bin/sh
# SPDX-License-Identifier: MIT
# run_fuzz.sh SRCDIR WORKDIR CORPUS SECONDS
#
# Builds the libFuzzer target fuzz_trace.c with clang (ASan + UBSan) and
# runs it for SECONDS on a copy of the seed corpus tests/predict/fuzz/corpus/CORPUS
# (new inputs stay in WORKDIR, never in the repository). Exits 77, which
# CTest reports as skipped, when clang or its fuzzer runtime is missing.
src=$1 work=$2 corpus=$3 secs=$4
cc=${CLANG:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIP: clang not found; the fuzz run needs clang with -fsanitize=fuzzer"
    exit 77
fi
mkdir -p "$work" || exit 1
bin=$work/fuzz_trace
srcs="$src/tests/predict/fuzz/fuzz_trace.c $src/src/trace/intern.c $src/src/trace/reader.c
 $src/src/trace/text_reader.c $src/src/trace/binary_reader.c $src/src/trace/fetch.c $src/src/trace/crc32.c
 $src/src/predict/spill.c $src/src/predict/components.c $src/src/predict/store.c $src/src/predict/joins.c $src/src/predict/patterns.c $src/src/predict/closure.c $src/src/predict/one_thread.c
 $src/src/predict/spd.c $src/src/predict/findings.c $src/src/core/finding.c
 $src/src/report/bug.c"
if [ ! -x "$bin" ] || [ -n "$(find $srcs -newer "$bin" 2>/dev/null)" ]; then
    # shellcheck disable=SC2086
    if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$src/src" -I"$src/include" $srcs -o "$bin" 2> "$work/build.log"; then
        if grep -q "fuzzer" "$work/build.log"; then
            echo "SKIP: $cc cannot build libFuzzer targets:"; head -5 "$work/build.log"
            exit 77
        fi
        cat "$work/build.log"
        exit 1
    fi
fi
rm -rf "$work/corpus-$corpus" "$work/crashes-$corpus"
mkdir -p "$work/corpus-$corpus" "$work/crashes-$corpus"
cd "$work" || exit 1
"$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/crashes-$corpus/" -print_final_stats=1 \
    "$work/corpus-$corpus" "$src/tests/predict/fuzz/corpus/$corpus" > "$work/fuzz-$corpus.log" 2>&1
status=$?
tail -8 "$work/fuzz-$corpus.log"
if ls "$work/crashes-$corpus/" 2>/dev/null | grep -q .; then
    echo "FAIL: the fuzzer found crashing inputs in $work/crashes-$corpus"
    exit 1
fi
exit $status
