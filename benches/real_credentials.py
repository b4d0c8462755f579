#!/usr/bin/env python3
"""Precision and recall of the `credential` rule on real projects.

Runs `dbguard check --all --select credential --format json` on checkouts of
the projects in benches/real/projects.tsv and scores every finding against
the hand labels in benches/real/credentials.tsv (project, path, line, label,
reason; never a secret value):

- precision: findings whose label is db, local or other, out of all labelled
  findings (an unlabelled finding is printed: read it and label it);
- errors: findings at `error` severity must be real secrets (db or other);
  a `local` one at error is counted separately (it should be a warning);
- recall: rows labelled db, local or other that a finding sits on.

The checkouts come from `fetch github:OWNER/NAME` (see projects.tsv); clone
each to DIR/NAME (default /work/real). A checkout at another commit gets a
warning: its lines may have moved.

    benches/real_credentials.py [--bin target/release/dbguard] [--real DIR]
                                [--min-precision 0.9] [--min-recall 0.95]
"""

import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = ("db", "local", "other")


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return [
            line.rstrip("\n").split("\t")
            for line in f
            if line.strip() and not line.startswith("#")
        ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "dbguard"))
    ap.add_argument("--real", default="/work/real")
    ap.add_argument("--labels", default=os.path.join(HERE, "real", "credentials.tsv"))
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    args = ap.parse_args()

    projects = read_tsv(os.path.join(HERE, "real", "projects.tsv"))
    labels = {(p, path, int(line)): (label, reason) for p, path, line, label, reason in read_tsv(args.labels)}
    totals = collections.Counter()
    table = []
    for name, source, commit in projects:
        repo = os.path.join(args.real, name)
        if not os.path.isdir(repo):
            print(f"skip {name}: no checkout at {repo} (fetch {source})", file=sys.stderr)
            continue
        head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        if head != commit:
            print(f"warning: {name} is at {head[:12]}, labelled at {commit[:12]}", file=sys.stderr)
        run = subprocess.run(
            [args.bin, "-C", repo, "check", "--all", "--select", "credential", "--format", "json"],
            capture_output=True, text=True,
        )
        if run.returncode not in (0, 1):
            sys.exit(f"{name}: dbguard exited {run.returncode}: {run.stderr.strip()}")
        findings = json.loads(run.stdout)["findings"]
        c = collections.Counter()
        hit = set()
        for f in findings:
            key = (name, f["path"], f["line"])
            label = labels.get(key, (None, ""))[0]
            if label is None:
                c["unlabelled"] += 1
                print(f"unlabelled: {name} {f['path']}:{f['line']} {f.get('kind')} {f['severity']}")
                continue
            c["findings"] += 1
            if label in REAL:
                c["true"] += 1
                hit.add(key)
                if f["severity"] == "error" and label == "local":
                    c["local_at_error"] += 1
            elif args.verbose:
                print(f"false alarm: {name} {f['path']}:{f['line']} {f.get('kind')} ({labels[key][1]})")
            if f["severity"] == "error":
                c["errors"] += 1
                if label not in ("db", "other"):
                    c["errors_not_secret"] += 1
        real = [k for k, (label, _) in labels.items() if k[0] == name and label in REAL]
        c["real"] = len(real)
        c["found"] = sum(1 for k in real if k in hit)
        if args.verbose:
            for k in real:
                if k not in hit:
                    print(f"missed: {name} {k[1]}:{k[2]} ({labels[k][1]})")
        totals.update(c)
        table.append((name, c))

    def ratio(a, b):
        return f"{a / b:.2f}" if b else "-"

    print(f"{'project':<30} {'findings':>8} {'true':>5} {'precision':>9} {'errors':>6} {'err!real':>8} {'real':>5} {'found':>5} {'recall':>6}")
    for name, c in table + [("all", totals)]:
        print(
            f"{name:<30} {c['findings']:>8} {c['true']:>5} {ratio(c['true'], c['findings']):>9} "
            f"{c['errors']:>6} {c['errors_not_secret']:>8} {c['real']:>5} {c['found']:>5} {ratio(c['found'], c['real']):>6}"
        )
    if totals["local_at_error"]:
        print(f"local credentials reported at error: {totals['local_at_error']}")
    precision = totals["true"] / totals["findings"] if totals["findings"] else 1.0
    recall = totals["found"] / totals["real"] if totals["real"] else 1.0
    failed = []
    if args.min_precision is not None and precision < args.min_precision:
        failed.append(f"precision {precision:.2f} < {args.min_precision}")
    if args.min_recall is not None and recall < args.min_recall:
        failed.append(f"recall {recall:.2f} < {args.min_recall}")
    if args.min_precision is not None and totals["errors_not_secret"]:
        failed.append(f"{totals['errors_not_secret']} error findings are not real secrets")
    if totals["unlabelled"]:
        failed.append(f"{totals['unlabelled']} findings have no label")
    if failed:
        sys.exit("; ".join(failed))


if __name__ == "__main__":
    main()
