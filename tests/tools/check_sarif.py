#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_sarif.py: validates a SARIF file against the SARIF 2.1.0 JSON schema.

  check_sarif.py SCHEMA FILE RESULTS

SCHEMA is OASIS's SARIF 2.1.0 schema (draft 4), FILE the log to check,
RESULTS how many results it must hold. Each result must have a rule, a
message and a location with a file and a start line. Exits 0 when valid, 1
with the errors otherwise, 77 when the jsonschema package is missing.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_sarif: skipped: the Python package jsonschema is not installed")
    sys.exit(77)

schema = json.load(open(sys.argv[1], encoding="utf-8"))
log = json.load(open(sys.argv[2], encoding="utf-8"))
want = int(sys.argv[3])
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
for e in errors[:10]:
    print("check_sarif: %s: at /%s: %s" % (sys.argv[2], "/".join(map(str, e.path)), e.message))
bad = bool(errors)
results = log["runs"][0]["results"]
if len(results) != want:
    print("check_sarif: %s: %d results, expected %d" % (sys.argv[2], len(results), want))
    bad = True
for r in results:
    loc = r.get("locations") or [{}]
    phys = loc[0].get("physicalLocation", {})
    if not r.get("ruleId") or not phys.get("artifactLocation", {}).get("uri") \
            or not phys.get("region", {}).get("startLine"):
        print("check_sarif: %s: a result without rule or source location: %s" % (sys.argv[2], r))
        bad = True
if not bad:
    print("check_sarif: %s: valid SARIF 2.1.0, %d results" % (sys.argv[2], len(results)))
sys.exit(1 if bad else 0)
