#!/bin/sh
# SPDX-License-Identifier: MIT
# check_html.sh: the HTML report of a deadlock (from `tangle run --html`,
# with --sarif beside it), a potential deadlock seen at two places, a deadlock
# that was predicted first (one report), a hazard and a task deadlock (from
# `tangle report --format html`). Each page must be self-contained (no URL
# it could fetch) and say what the JSON says; then, when Chromium is
# installed (Debian: chromium), each is opened in headless Chromium and the
# rendered DOM is checked: its script ran (the page stamps how many reports
# it laid out), each report, its graph and its stacks are there; and a
# screenshot is taken. Without Chromium that part is skipped with a message.
# Usage: check_html.sh TANGLE LIVEDIR TASKDIR WORKDIR
set -u
tangle=$1 live=$2 task=$3 work=$4/html
rm -rf "$work"
mkdir -p "$work"
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
has() { grep -q -- "$2" "$work/$1" || bad "$1 lacks: $2"; }

"$tangle" run --json "$work/deadlock.json" --html "$work/deadlock.html" --sarif "$work/deadlock.sarif" \
    -- "$live/case_abba" >/dev/null 2>&1
[ $? = 66 ] || bad "case_abba under tangle run --html did not exit 66"
"$tangle" run --html "$work/clean.html" -- /bin/true || bad "a clean run with --html failed"
"$tangle" run --json "$work/places.json" -- "$live/case_one_bug_many_places" >/dev/null 2>&1
"$tangle" run --json "$work/predicted.json" -- "$live/case_predicted_then_deadlock" >/dev/null 2>&1
"$tangle" run --json "$work/hazard.json" -- "$live/case_misuse_unlock" >/dev/null 2>&1
TANGLE_OPTIONS="json=$work/task.json" "$task/task_multi_deadlock" locks >/dev/null 2>&1
for n in places predicted hazard task; do
    "$tangle" report --format html -o "$work/$n.html" "$work/$n.json" || bad "tangle report --format html $n.json failed"
done

for f in deadlock clean places predicted hazard task; do
    [ -s "$work/$f.html" ] || { bad "$f.html was not written"; continue; }
    # Self-contained: nothing to fetch, and a policy that forbids fetching.
    grep -Eiq '(src|href)=|url\((["'"'"']?)(https?|//)|<link|@import' "$work/$f.html" &&
        bad "$f.html refers to something outside itself: $(grep -Eio '(src|href)=[^ >]*|<link[^>]*|@import[^;]*' "$work/$f.html" | head -3)"
    has "$f.html" "default-src 'none'"
done
has deadlock.html '<section class="report deadlock"'
has deadlock.html '<svg class="graph"'
has deadlock.html 'lock_b'
has deadlock.html 'case_abba.c:'
grep -q '"ruleId":"deadlock"' "$work/deadlock.sarif" || bad "deadlock.sarif has no deadlock result"
has clean.html 'Nothing was found'
has places.html 'The same bug also showed at 1 other place'
has predicted.html 'It was predicted first, by report 1'
[ "$(grep -c '<section class="report' "$work/predicted.html")" = 1 ] ||
    bad "predicted.html: the predicted deadlock is not one report"
has hazard.html 'unlock-not-held'
has task.html '<section class="report deadlock"'

browser=
for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
if [ -z "$browser" ]; then
    echo "check_html: skipped the browser part: Chromium is not installed (Debian: chromium)"
    exit $fail
fi
for f in deadlock clean places predicted hazard task; do
    want=$(grep -c '<section class="report' "$work/$f.html")
    prof=$work/profile-$f
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$prof" --dump-dom "file://$work/$f.html" >"$work/$f.dom" 2>"$work/$f.browser.err" ||
        { bad "$browser could not render $f.html: $(tail -3 "$work/$f.browser.err")"; continue; }
    grep -q "data-rendered=\"$want\"" "$work/$f.dom" ||
        bad "$f.html: the rendered page is not stamped with its $want reports (its script did not run)"
    [ "$want" = 0 ] || grep -q '<details class="stack"' "$work/$f.dom" || bad "$f.dom has no stacks"
done
grep -q '<svg class="graph"' "$work/deadlock.dom" || bad "the rendered deadlock page has no graph"
grep -q '<details class="stack" open=""' "$work/deadlock.dom" || bad "the rendered deadlock page has no unfolded stack"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/profile-shot" --window-size=1000,1400 \
    --screenshot="$work/deadlock.png" "file://$work/deadlock.html" >/dev/null 2>&1
size=$(wc -c <"$work/deadlock.png" 2>/dev/null || echo 0)
[ "$size" -gt 10000 ] || bad "the screenshot of deadlock.html is missing or blank ($size bytes)"
[ $fail = 0 ] && echo "check_html: 6 pages rendered by $browser and checked; screenshot $work/deadlock.png"
exit $fail
