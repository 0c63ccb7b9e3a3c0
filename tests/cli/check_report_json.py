#!/usr/bin/env python3
"""Checks a netctl JSON report against the documented schema, the way a consumer would.

usage: check_report_json.py SCHEMA FILE [RESULTS FAILED]

Exit 0 when FILE validates against SCHEMA (docs/report-schema.json, JSON Schema draft 7,
with python3-jsonschema) and holds together where a schema cannot say it: totals equal the
results listed, `passed` is `error == "ok"`, loss_pct matches sent/received, summary lines
add up, no result key twice; with RESULTS and FAILED also those totals. Prints every
problem found.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_report_json: python3-jsonschema is missing (scripts/install-deps.sh)")
    sys.exit(2)


def semantic(doc):
    problems = []
    results = doc.get("results")
    if results is not None:
        failed = sum(1 for r in results if not r["passed"])
        want = {"results": len(results), "passed": len(results) - failed, "failed": failed}
        if doc["totals"] != want:
            problems.append("totals %s but results[] gives %s" % (doc["totals"], want))
        keys = set()
        for r in results:
            key = (r["src_cluster"], r["src_node"], r["dst_cluster"], r["dst_node"],
                   r["protocol"], r["family"], r["network"])
            if key in keys:
                problems.append("result %s listed twice" % (key,))
            keys.add(key)
            if r["passed"] != (r["error"] == "ok"):
                problems.append("result %s: passed=%s with error %s" % (key, r["passed"],
                                                                         r["error"]))
            if r["received"] > r["sent"]:
                problems.append("result %s: received more than sent" % (key,))
            loss = 100.0 * (r["sent"] - r["received"]) / r["sent"] if r["sent"] else 0.0
            if abs(loss - r["loss_pct"]) > 0.01:
                problems.append("result %s: loss_pct %s, sent/received say %.2f"
                                % (key, r["loss_pct"], loss))
            if not doc["run"]["merged"] and r["run_id"] != doc["run"]["id"]:
                problems.append("result %s from run %d in an unmerged report of run %d"
                                % (key, r["run_id"], doc["run"]["id"]))
    for s in doc["summary"]:
        if s["passed"] + s["failed"] != s["results"]:
            problems.append("summary line %s: passed + failed != results" % s)
    if results is None:
        sums = {k: sum(s[k] for s in doc["summary"]) for k in ("results", "passed", "failed")}
        if doc["totals"] != sums:
            problems.append("totals %s but the summary sums to %s" % (doc["totals"], sums))
    return problems


def main():
    if len(sys.argv) not in (3, 5):
        print(__doc__)
        return 2
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    v = jsonschema.Draft7Validator(schema)
    problems = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
                for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))[:20]]
    if not problems:
        problems = semantic(doc)
    if not problems and len(sys.argv) == 5:
        want = (int(sys.argv[3]), int(sys.argv[4]))
        got = (doc["totals"]["results"], doc["totals"]["failed"])
        if got != want:
            problems.append("totals (results, failed) = %s, expected %s" % (got, want))
    for p in problems:
        print("check_report_json: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
