#!/usr/bin/env python3
"""Checks the Grafana dashboard without a Grafana: the JSON is a dashboard Grafana can load
(panels with unique ids, a type, a grid position inside the 24-column grid, targets with
unique refIds on the dashboard's data source variable), every PromQL expression parses
(promtool check rules over a recording rule per expression), and every netctl metric it
reads is one netctl watch exports (the exposition written by test_watch --write-metrics).

    check_dashboard.py DASHBOARD.json METRICS.prom PROMTOOL
"""
import json
import os
import re
import subprocess
import sys
import tempfile

PANEL_TYPES = {"stat", "table", "timeseries", "bargauge", "gauge", "heatmap", "text"}


def exported_names(path):
    """Metric names in an exposition: families and a histogram's _bucket/_sum/_count."""
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"# TYPE (\S+) (\S+)", line)
            if not m:
                continue
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
    return names


def main():
    dash_path, prom_path, promtool = sys.argv[1:4]
    with open(dash_path) as f:
        d = json.load(f)
    problems = []
    exported = exported_names(prom_path)
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in d:
            problems.append("dashboard lacks %r" % key)
    if "datasource" not in [v.get("name") for v in d["templating"]["list"]]:
        problems.append("no 'datasource' template variable")
    ids, exprs = set(), []
    for p in d["panels"]:
        where = "panel %r" % p.get("title")
        if p.get("id") in ids:
            problems.append("%s: id %s used twice" % (where, p.get("id")))
        ids.add(p.get("id"))
        if p.get("type") not in PANEL_TYPES:
            problems.append("%s: type %r" % (where, p.get("type")))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
            problems.append("%s: gridPos %r outside the 24-column grid" % (where, g))
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append("%s: not on the ${datasource} variable" % where)
        refs = [t.get("refId") for t in p.get("targets", [])]
        if not refs or len(set(refs)) != len(refs):
            problems.append("%s: targets missing or refIds repeated: %r" % (where, refs))
        for t in p.get("targets", []):
            exprs.append((where, t["expr"]))
            for name in set(re.findall(r"\bnetctl_[a-z_]+\b", t["expr"])):
                if name not in exported:
                    problems.append("%s: %s is not a metric netctl watch exports" % (where, name))
    # every expression through Prometheus's own parser
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:expr_%d" % i,
         # Grafana's variables become values a parser accepts
         "expr": e.replace("$instance", ".*")} for i, (_, e) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(rules, f)  # JSON is YAML
    r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    if r.returncode != 0:
        problems.append("promtool check rules on the panel expressions:\n" + r.stdout + r.stderr)
    for p in problems:
        print("FAIL " + p)
    print("%d panels, %d expressions, %d problems" % (len(d["panels"]), len(exprs), len(problems)))
    sys.exit(1 if problems else 0)


main()
