#!/usr/bin/env python3
"""Precision and recall of the migration rules on real projects.

Runs a dbguard binary with `check --all --format json` on checkouts of the
projects listed in benches/real/projects.tsv, matches every finding of the
labelled rules to benches/real/migrations.tsv by (project, path, line,
rule), and prints per rule:

- findings: what the binary reports;
- useful / noise: reported findings a reviewer labelled so;
- unlabelled: reported findings with no label (printed one per line: label
  them, they are new);
- lost: findings labelled useful (or `missed`) that the binary does not
  report;
- precision = useful / (useful + noise + unlabelled), recall = useful /
  (useful + lost).

A checkout that is not at the recorded commit gets a warning (labels may
have moved). `--min-precision P` exits 1 when a rule with findings falls
below P, or loses a useful finding; `--rules` limits which rules count.

Usage: benches/real_migrations.py [--bin target/release/dbguard]
       [--real /work/real] [--min-precision 0.9] [--rules a,b]
       [--from-json DIR] [--set migrations|safety]
"""

import argparse
import collections
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = [
    "downgrade-empty",
    "downgrade-asymmetric",
    "migration-undocumented-destructive",
    "migration-filename",
    "sql-injection",
    "migration-multiple-heads",
    "migration-parse-error",
    "downgrade-missing",
]


# The migration-safety rules (issue 29), labelled in
# benches/real/migration_safety.tsv: `--set safety`. Projects with a file
# benches/real/config/<name>.dbguard.yaml are checked with it (`--config`):
# the dialect a user of that project would configure.
SAFETY_RULES = [
    "migration-not-null-without-default",
    "migration-blocking-index",
    "migration-table-rewrite",
    "migration-breaking-rename",
    "migration-drop-still-mapped",
]


def read_tsv(path):
    with open(path, newline="") as f:
        lines = [l for l in f if l.strip() and not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def projects():
    rows = []
    with open(os.path.join(HERE, "real", "projects.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, source, commit = line.rstrip("\n").split("\t")
            rows.append((name, source, commit))
    return rows


def head(checkout):
    try:
        return subprocess.run(
            ["git", "-C", checkout, "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def findings(binary, checkout, from_json=None):
    if from_json:
        # Findings recorded earlier (`check --all --format json` saved as
        # DIR/<project>.json), e.g. by a build of an older commit.
        with open(os.path.join(from_json, os.path.basename(checkout) + ".json")) as f:
            return json.load(f)["findings"]
    cmd = [binary, "-C", checkout, "check", "--all", "--format", "json"]
    config = os.path.join(HERE, "real", "config", os.path.basename(checkout) + ".dbguard.yaml")
    if os.path.isfile(config):
        cmd += ["--config", config]
    r = subprocess.run(
        cmd,
        capture_output=True, text=True,
    )
    if r.returncode not in (0, 1):
        sys.exit(f"{binary} failed on {checkout}: {r.stderr.strip()}")
    return json.loads(r.stdout)["findings"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/dbguard")
    ap.add_argument("--real", default="/work/real")
    ap.add_argument("--labels", default=os.path.join(HERE, "real", "migrations.tsv"))
    ap.add_argument("--min-precision", type=float, default=None)
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--from-json", default=None,
                    help="read DIR/<project>.json instead of running --bin")
    ap.add_argument("--set", choices=["migrations", "safety"], default="migrations",
                    help="safety: the migration-safety rules and their labels")
    args = ap.parse_args()
    if args.set == "safety":
        if args.labels == ap.get_default("labels"):
            args.labels = os.path.join(HERE, "real", "migration_safety.tsv")
        if args.rules == ap.get_default("rules"):
            args.rules = ",".join(SAFETY_RULES)
    rules = [r for r in args.rules.split(",") if r]

    labels = {}
    for row in read_tsv(args.labels):
        key = (row["project"], row["path"], int(row["line"] or 0), row["rule"])
        if key in labels:
            sys.exit(f"duplicate label: {key}")
        if row["label"] not in ("useful", "noise", "missed"):
            sys.exit(f"bad label {row['label']!r}: {key}")
        labels[key] = row

    stats = {r: collections.Counter() for r in rules}
    seen = set()
    unlabelled = []
    for name, _source, commit in projects():
        checkout = os.path.join(args.real, name)
        if not os.path.isdir(checkout):
            print(f"warning: no checkout of {name} at {checkout}", file=sys.stderr)
            continue
        at = head(checkout)
        if at != commit:
            print(f"warning: {name} is at {at}, labels were read at {commit}", file=sys.stderr)
        for f in findings(args.bin, checkout, args.from_json):
            if f["rule"] not in rules:
                continue
            key = (name, f["path"], f["line"] or 0, f["rule"])
            seen.add(key)
            s = stats[f["rule"]]
            s["findings"] += 1
            row = labels.get(key)
            if row is None:
                s["unlabelled"] += 1
                unlabelled.append((key, f["message"]))
            elif row["label"] == "missed":
                s["useful"] += 1
            else:
                s[row["label"]] += 1
    projects_run = {n for n, _, _ in projects() if os.path.isdir(os.path.join(args.real, n))}
    lost = []
    for key, row in labels.items():
        if key[3] in rules and key[0] in projects_run and row["label"] in ("useful", "missed") \
                and key not in seen:
            stats[key[3]]["lost"] += 1
            lost.append((key, row["cause"]))

    failed = False
    print(f"{'rule':36} {'found':>6} {'useful':>6} {'noise':>6} {'unlab':>6} "
          f"{'lost':>5} {'precision':>9} {'recall':>6}")
    for rule in rules:
        s = stats[rule]
        judged = s["useful"] + s["noise"] + s["unlabelled"]
        precision = s["useful"] / judged if judged else None
        wanted = s["useful"] + s["lost"]
        recall = s["useful"] / wanted if wanted else None
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        print(f"{rule:36} {s['findings']:6} {s['useful']:6} {s['noise']:6} "
              f"{s['unlabelled']:6} {s['lost']:5} {fmt(precision):>9} {fmt(recall):>6}")
        if args.min_precision is not None and (
            (precision is not None and precision < args.min_precision) or s["lost"]
        ):
            failed = True
    for (key, message) in unlabelled:
        print("unlabelled:", "\t".join(map(str, key)), "--", message)
    for (key, cause) in lost:
        print("lost:", "\t".join(map(str, key)), "--", cause)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
