#!/bin/sh
# SPDX-License-Identifier: MIT
# check_spdx.sh SRC: every source file of tangle (C, assembly, headers,
# scripts, CMake files) names its licence in an SPDX line near its top, and
# the licence it names is the one in LICENSE.
set -u
src=$1
grep -q '^MIT License' "$src/LICENSE" || { echo "FAIL: $src/LICENSE is missing or not the MIT licence"; exit 1; }
missing=$(find "$src" \( -path "$src/build*" -o -path "$src/.git" -o -path "$src/out" \) -prune -o \
    -type f \( -name '*.[chS]' -o -name '*.sh' -o -name '*.py' -o -name '*.cmake' -o -name '*.in' \
    -o -name CMakeLists.txt -o -name Makefile -o -name '*.bash' \) -print |
    while read -r f; do
        head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || echo "$f"
    done)
if [ -n "$missing" ]; then
    echo "FAIL: these files have no 'SPDX-License-Identifier: MIT' line in their first three lines"
    echo "(add '/* SPDX-License-Identifier: MIT */' as the first line of C files, or"
    echo "'# SPDX-License-Identifier: MIT' after the '#!' line of scripts):"
    echo "$missing"
    exit 1
fi
echo "ok: every source file carries an SPDX line naming the MIT licence"
