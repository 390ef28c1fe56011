#!/bin/sh
# SPDX-License-Identifier: MIT
# check_report_formats.sh: `tangle report` renders saved JSON reports of a
# deadlock, a potential deadlock, a hazard and a task deadlock as text (with
# SUMMARY lines), JSON (valid against docs/report-schema.json), SARIF 2.1.0
# (valid against OASIS's schema, by Python's jsonschema; the schema comes
# from the npm package @microsoft/jest-sarif, MIT, fetched with npm pack
# into the build folder, not kept in the repository), DOT (rendered to SVG
# when Graphviz is installed), and suppression lines that silence the
# hazards they were printed for. Parts whose tool is missing are skipped
# with a message.
# Usage: check_report_formats.sh TANGLE SRCDIR LIVEDIR TASKDIR WORKDIR
set -u
tangle=$1 src=$2 live=$3 task=$4 out=$5 work=$5/formats
rm -rf "$work"
mkdir -p "$work"
fail=0
say() { echo "check_report_formats: $*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }

"$tangle" run --json "$work/deadlock.json" -- "$live/case_abba" >/dev/null 2>&1
"$tangle" run --json "$work/potential.json" -- "$live/case_predict_abba" >/dev/null 2>&1
"$tangle" run --json "$work/hazard.json" -- "$live/case_misuse_unlock" >/dev/null 2>&1
TANGLE_OPTIONS="json=$work/task.json" "$task/task_relock" direct >/dev/null 2>&1
# One bug, one report: a deadlock that was predicted first, and an inversion
# seen at two places, are one SARIF result each.
"$tangle" run --json "$work/predicted.json" -- "$live/case_predicted_then_deadlock" >/dev/null 2>&1
"$tangle" run --json "$work/places.json" -- "$live/case_one_bug_many_places" >/dev/null 2>&1
set -- deadlock:deadlock:1 potential:potential-deadlock:1 hazard:unlock-not-held:3 task:deadlock:1 \
    predicted:deadlock:1 places:potential-deadlock:1

# Text: the same headline and a SUMMARY line per report.
for c in "$@"; do
    name=${c%%:*} rest=${c#*:} kind=${rest%%:*} n=${rest#*:}
    "$tangle" report "$work/$name.json" >"$work/$name.txt" || bad "tangle report $name.json failed"
    got=$(grep -c "^SUMMARY: tangle: $kind" "$work/$name.txt")
    [ "$got" = "$n" ] || bad "$name.txt: $got SUMMARY lines for $kind, expected $n"
done
grep -q "tangle: DEADLOCK: 2 threads wait for each other in a cycle" "$work/deadlock.txt" ||
    bad "deadlock.txt lacks the headline"

# JSON: round trip, valid against the schema.
for c in "$@"; do
    name=${c%%:*}
    "$tangle" report --format json "$work/$name.json" >"$work/$name.again.json" ||
        bad "tangle report --format json $name.json failed"
done
if python3 -c 'import jsonschema' 2>/dev/null; then
    python3 "$src/tests/tools/check_schema.py" "$src/docs/report-schema.json" "$work"/*.again.json ||
        bad "re-rendered JSON does not validate"
else
    say "skipped the JSON schema part: Python's jsonschema is not installed"
fi

# SARIF, against the official schema.
schema=$out/../../sarif-schema/sarif-2.1.0-rtm.5.json
if [ ! -f "$schema" ] && command -v npm >/dev/null 2>&1; then
    d=$(dirname "$schema")
    mkdir -p "$d"
    (cd "$d" && timeout 120 npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null 2>&1 &&
        tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json &&
        mv package/lib/schemas/sarif-2.1.0-rtm.5.json . && rm -rf package ./*.tgz) ||
        say "could not fetch the SARIF schema with npm pack"
fi
for c in "$@"; do
    name=${c%%:*} n=${c##*:}
    "$tangle" report --format sarif "$work/$name.json" >"$work/$name.sarif" ||
        bad "tangle report --format sarif $name.json failed"
    if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
        python3 "$src/tests/tools/check_sarif.py" "$schema" "$work/$name.sarif" "$n" ||
            bad "$name.sarif is not valid SARIF 2.1.0"
    fi
done
[ -f "$schema" ] || say "skipped SARIF validation: no schema (npm is needed to fetch it once)"
grep -q '"relatedLocations":\[{"id":1' "$work/deadlock.sarif" ||
    bad "deadlock.sarif has no related locations for the other thread"
grep -q '"predictedBy":1' "$work/predicted.sarif" || bad "predicted.sarif does not say it was predicted"
grep -q 'the same bug also shows here' "$work/places.sarif" || bad "places.sarif lacks the other place"

# DOT, and SVG through Graphviz.
"$tangle" report --format dot "$work/deadlock.json" >"$work/deadlock.dot" || bad "dot format failed"
grep -q -- '-> r0_l[0-9]* \[label="waits for"' "$work/deadlock.dot" || bad "deadlock.dot has no wait edge"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg "$work/deadlock.dot" >"$work/deadlock.svg" && grep -q "<svg" "$work/deadlock.svg" ||
        bad "dot -Tsvg failed on deadlock.dot"
else
    say "skipped SVG rendering: Graphviz (dot) is not installed"
fi

# Suppression lines silence what they were printed for: output and status.
"$tangle" report --suppressions "$work/hazard.json" >"$work/hazard.supp" || bad "--suppressions failed"
[ "$(grep -c '^unlock-not-held:' "$work/hazard.supp")" = 3 ] || bad "hazard.supp: expected 3 lines"
"$tangle" run -O suppress="$work/hazard.supp" -- "$live/case_misuse_unlock" >/dev/null 2>"$work/supp.err"
st=$?
[ "$st" = 0 ] || bad "with its suppressions the hazard run exits $st, expected 0"
! grep -q "tangle:" "$work/supp.err" || bad "with its suppressions the hazard run still prints: $(head -3 "$work/supp.err")"

"$tangle" report "$work/nonexistent.json" 2>/dev/null
[ $? = 2 ] || bad "a missing file is not exit status 2"
echo '{"not": "a report"}' >"$work/other.json"
"$tangle" report "$work/other.json" 2>"$work/other.err"
[ $? = 2 ] && grep -q "not a tangle JSON report" "$work/other.err" || bad "a foreign JSON file is not refused"
exit $fail
