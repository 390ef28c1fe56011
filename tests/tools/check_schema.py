#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_schema.py: validates tangle JSON reports against docs/report-schema.json.

  check_schema.py SCHEMA FILE... [--expect-reports N]...

Each FILE must be valid UTF-8 (strictly: no replacement by the reader), parse
as JSON, and validate against SCHEMA with a Draft 7 validator (the
`jsonschema` package; Debian: python3-jsonschema). Exits 0 when all do, 1 with
each error printed otherwise, 77 (skipped) when jsonschema is not installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_schema: skipped: the Python package jsonschema is not installed "
          "(Debian: python3-jsonschema)")
    sys.exit(77)


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        schema = json.loads(f.read().decode("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in argv[2:]:
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read().decode("utf-8", errors="strict"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print(f"check_schema: {path}: not UTF-8 JSON: {e}")
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:10]:
            where = "/".join(str(p) for p in e.path)
            print(f"check_schema: {path}: at /{where}: {e.message}")
        if errors:
            bad += 1
        else:
            kinds = [r["kind"] + ("/" + r["hazard"] if r["hazard"] else "") for r in doc["reports"]]
            print(f"check_schema: {path}: valid, reports: {', '.join(kinds) or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
