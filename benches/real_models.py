#!/usr/bin/env python3
"""Precision and recall of `model-without-migration` on real histories.

For each project of a set (`--set main`: benches/real/projects.tsv, checkouts
at /work/real/NAME, labels models.tsv, recall models_recall.tsv; `--set
holdout`: projects_holdout.tsv, /work/unseen/NAME, models_holdout.tsv,
models_holdout_recall.tsv -- projects nobody tuned the rule on), a checkout
at DIR/NAME, at its recorded commit TIP:

- range: BASE..TIP, where BASE is the parent of the oldest of the last
  --commits (1,500) commits that `git rev-list --max-count=N TIP` lists
  (commit-date order, merged branches included; with no parent, the whole
  history `TIP`). Runs `dbguard check --range BASE..TIP --select
  model-without-migration --format json` (with benches/real/config/
  NAME.dbguard.yaml when it exists) and matches every finding with
  benches/real/models.tsv by (project, commit, path): label real | false,
  and for false a cause;
- all: `dbguard check --all --select model-without-migration` on the
  checkout (a static `alembic check` at the head), matched by (project,
  `all`, path, table) with the table the message names first;
- recall: each commit of benches/real/models_recall.tsv (a real commit that
  changes models and adds their migration) is re-created in a scratch clone
  without the Alembic revision files it adds or changes (its parent, plus
  every other change of the commit) and checked with `--range
  PARENT..NEW`: a finding on the new commit is a catch. A range finding
  labelled real that the binary no longer reports counts as a miss too.

precision = real / (real + false + unlabelled); recall = caught / (caught +
missed) over the re-created commits and the labelled real findings.
Unlabelled findings are printed one per line (read the commit's diff and
label them); any unlabelled finding makes the exit status 1, as does
--min-precision/--min-recall not met. A missing checkout or a failing
binary is one line on stderr and exit 2.

    benches/real_models.py [--set main|holdout] [--bin target/release/dbguard] [--real DIR]
                           [--scratch DIR] [--save-json DIR | --from-json DIR]
                           [--no-recall] [--no-all] [--project NAME]
"""

import argparse
import collections
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RULE = "model-without-migration"
CAUSES = {
    "same-type-different-spelling", "typedecorator/annotated", "wrapper",
    "helper-not-evaluated", "model-catching-up", "migration-landed-first",
    "table-moved", "revert", "typing-only", "fk-name/check-text",
    "migration-not-seen",
}
REVISION = re.compile(rb"^\s*down_revision\s*(?::[^=]*)?=", re.M)
# Deterministic re-created commits: the same hash on every run.
FIXED_DATE = "2000-01-01T00:00:00+0000"


# The measured sets: which projects, where their checkouts are, their labels.
SETS = {
    "main": {"projects": "projects.tsv", "root": "/work/real",
             "labels": "models.tsv", "recall": "models_recall.tsv"},
    "holdout": {"projects": "projects_holdout.tsv", "root": "/work/unseen",
                "labels": "models_holdout.tsv", "recall": "models_holdout_recall.tsv"},
}


class Failure(Exception):
    """A run that cannot be measured: one line, exit 2."""


def read_tsv(path):
    if not os.path.isfile(path):
        raise Failure(f"no label file {path}")
    with open(path, newline="", encoding="utf-8") as f:
        lines = [l for l in f if l.strip() and not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def git(repo, *args, env=None, inp=None, binary=False):
    r = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, env=env, input=inp,
    )
    if r.returncode != 0:
        raise Failure(f"git {' '.join(args)} in {repo}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout if binary else r.stdout.decode().strip()


def base_of(repo, tip, count):
    """BASE of the measured range BASE..TIP: the parent of the oldest of
    the last COUNT commits, None for the whole history."""
    oldest = git(repo, "rev-list", f"--max-count={count}", tip).split()[-1]
    parents = git(repo, "rev-list", "--parents", "-n", "1", oldest).split()[1:]
    return parents[0] if parents else None


def run_dbguard(binary, repo, args, config):
    cmd = [binary, "-C", repo, "check", *args, "--select", RULE, "--format", "json"]
    if config:
        cmd += ["--config", config]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        err = r.stderr.strip().splitlines()
        raise Failure(f"{binary} {' '.join(args)} on {repo} exited {r.returncode}: {err[-1] if err else ''}")
    return [f for f in json.loads(r.stdout)["findings"] if f["rule"] == RULE]


def table_of(message):
    """The first table a finding's message names (`users.email ...`,
    `users table added`, `dispatch_core.plugin_event index ...`), '' if
    none can be read."""
    m = re.match(r"\s*([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s+"
                 r"(?:table|index|unique|foreign|check|primary)\b", message)
    if m:
        return m.group(1)
    m = re.match(r"\s*([A-Za-z_][\w$]*)\.", message)
    return m.group(1) if m else ""


def recreate_without_migrations(scratch, commit):
    """A commit with COMMIT's parent and COMMIT's tree minus the Alembic
    revision files it adds or changes; returns (parent, new, removed)."""
    parent = git(scratch, "rev-parse", f"{commit}^")
    changed = git(scratch, "diff-tree", "-r", "--no-commit-id", "--no-renames",
                  "--name-status", "-z", parent, commit, binary=True).split(b"\0")
    pairs = [(changed[i].decode(), changed[i + 1].decode())
             for i in range(0, len(changed) - 1, 2)]
    migrations = []
    for status, path in pairs:
        rev = parent if status == "D" else commit
        if REVISION.search(git(scratch, "show", f"{rev}:{path}", binary=True)):
            migrations.append(path)
    if not migrations:
        raise Failure(f"recall commit {commit[:12]} changes no Alembic revision file")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=os.path.join(tmp, "index"),
                   GIT_AUTHOR_NAME="recall", GIT_AUTHOR_EMAIL="recall@example.invalid",
                   GIT_COMMITTER_NAME="recall", GIT_COMMITTER_EMAIL="recall@example.invalid",
                   GIT_AUTHOR_DATE=FIXED_DATE, GIT_COMMITTER_DATE=FIXED_DATE)
        git(scratch, "read-tree", commit, env=env)
        for path in migrations:
            old = git(scratch, "ls-tree", "-z", parent, "--", path, binary=True).rstrip(b"\0")
            if old:
                meta, _ = old.split(b"\t", 1)
                mode, _kind, blob = meta.decode().split()
                git(scratch, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
            else:
                git(scratch, "update-index", "--force-remove", "--", path, env=env)
        tree = git(scratch, "write-tree", env=env)
        new = git(scratch, "commit-tree", tree, "-p", parent, "-m",
                  f"{commit} without its migrations", env=env)
    return parent, new, migrations


def scratch_clone(real_checkout, scratch_root, name):
    path = os.path.join(scratch_root, name)
    if not os.path.isdir(os.path.join(path, ".git")):
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", real_checkout, path],
                       check=True, capture_output=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "dbguard"))
    ap.add_argument("--set", default="main", choices=sorted(SETS),
                    help="which projects, checkouts and labels (default main)")
    ap.add_argument("--real", default=None, help="where the checkouts are (default: the set's)")
    ap.add_argument("--labels", default=None, help="default: the set's labels")
    ap.add_argument("--recall-set", default=None, help="default: the set's recall commits")
    ap.add_argument("--commits", type=int, default=1500, help="length of each measured history")
    ap.add_argument("--scratch", default=None, help="where recall clones go (default: a temporary dir)")
    ap.add_argument("--save-json", default=None, help="write the findings to DIR/<project>.{range,all}.json")
    ap.add_argument("--from-json", default=None, help="read DIR/<project>.{range,all}.json instead of running --bin")
    ap.add_argument("--no-recall", action="store_true")
    ap.add_argument("--no-all", action="store_true")
    ap.add_argument("--project", action="append", help="only these projects (repeatable)")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    args = ap.parse_args()
    chosen = SETS[args.set]
    args.real = args.real or chosen["root"]
    args.labels = args.labels or os.path.join(HERE, "real", chosen["labels"])
    args.recall_set = args.recall_set or os.path.join(HERE, "real", chosen["recall"])
    args.projects = os.path.join(HERE, "real", chosen["projects"])
    try:
        return measure(args)
    except Failure as e:
        print(f"real_models.py: {e}", file=sys.stderr)
        return 2


def measure(args):
    if not args.from_json and not os.access(args.bin, os.X_OK):
        raise Failure(f"no dbguard binary at {args.bin} (cargo build --release, or --bin PATH)")
    labels = {}
    for row in read_tsv(args.labels):
        key = (row["project"], row["commit"], row["path"], row["table"] or "")
        if key in labels:
            raise Failure(f"duplicate label {key}")
        if row["label"] not in ("real", "false"):
            raise Failure(f"bad label {row['label']!r} for {key}")
        if row["label"] == "false":
            for cause in row["cause"].split("+"):
                if cause not in CAUSES and not cause.startswith("other:"):
                    raise Failure(f"unknown cause {cause!r} for {key}")
        labels[key] = row
    recall_rows = [] if args.no_recall else read_tsv(args.recall_set)
    # projects.tsv: name, source, commit under a commented header.
    if not os.path.isfile(args.projects):
        raise Failure(f"no project list {args.projects}")
    with open(args.projects, encoding="utf-8") as f:
        projects = [dict(zip(("name", "source", "commit"), l.rstrip("\n").split("\t")))
                    for l in f if l.strip() and not l.startswith("#")]
    if args.project:
        projects = [p for p in projects if p["name"] in args.project]
    scratch_root = args.scratch or tempfile.mkdtemp(prefix="dbguard-recall-")

    def lookup(project, commit, path, table):
        if commit == "all":
            return labels.get((project, "all", path, table))
        for (p, c, lp, t), row in labels.items():
            if p == project and c != "all" and commit.startswith(c) and lp == path:
                return row
        return None

    stats = collections.OrderedDict()
    causes = collections.Counter()
    false_list, unlabelled, missed = [], [], []
    for proj in projects:
        name, tip = proj["name"], proj["commit"]
        checkout = os.path.join(args.real, name)
        if not os.path.isdir(os.path.join(checkout, ".git")) and not args.from_json:
            raise Failure(f"no checkout of {name} at {checkout} (fetch {proj['source']}, clone it there)")
        s = stats[name] = collections.Counter()
        config = os.path.join(HERE, "real", "config", f"{name}.dbguard.yaml")
        config = config if os.path.isfile(config) else None
        results = {}
        if args.from_json:
            for mode in ("range", "all"):
                p = os.path.join(args.from_json, f"{name}.{mode}.json")
                results[mode] = json.load(open(p)) if os.path.isfile(p) else None
        else:
            if git(checkout, "cat-file", "-t", tip) != "commit":
                raise Failure(f"{name}: the recorded commit {tip} is not in {checkout}")
            base = base_of(checkout, tip, args.commits)
            spec = f"{base}..{tip}" if base else tip
            results["range"] = run_dbguard(args.bin, checkout, ["--range", spec], config)
            results["all"] = None
            if not args.no_all:
                at = git(checkout, "rev-parse", "HEAD")
                if at != tip:
                    print(f"warning: {name} is at {at[:12]}, labels were read at {tip[:12]}: "
                          "check --all reads the working tree", file=sys.stderr)
                results["all"] = run_dbguard(args.bin, checkout, ["--all"], config)
            if args.save_json:
                os.makedirs(args.save_json, exist_ok=True)
                for mode, found in results.items():
                    if found is not None:
                        with open(os.path.join(args.save_json, f"{name}.{mode}.json"), "w") as f:
                            json.dump(found, f, indent=1)
        seen = set()
        for mode, found in results.items():
            for f in found or []:
                commit = (f.get("commit") or "all") if mode == "range" else "all"
                table = table_of(f["message"]) if mode == "all" else ""
                row = lookup(name, commit, f["path"], table)
                s[f"{mode}:findings"] += 1
                where = f"{name}\t{commit[:12]}\t{f['path']}" + (f"\t{table}" if mode == "all" else "")
                if row is None:
                    s[f"{mode}:unlabelled"] += 1
                    unlabelled.append(f"{where} -- {f['message']}")
                    continue
                seen.add((row["project"], row["commit"], row["path"], row["table"] or ""))
                s[f"{mode}:{row['label']}"] += 1
                if row["label"] == "false":
                    for cause in row["cause"].split("+"):
                        causes[(mode, cause)] += 1
                    false_list.append(f"{mode}\t{where}\t{row['cause']}")
        for key, row in labels.items():
            if key[0] == name and row["label"] == "real" and key not in seen:
                mode = "all" if key[1] == "all" else "range"
                if results.get(mode) is None:
                    continue
                s[f"{mode}:lost"] += 1
                missed.append(f"lost\t{mode}\t" + "\t".join(k for k in key if k) + f" -- {row['note']}")

        rows = [r for r in recall_rows if r["project"] == name]
        if rows and not args.from_json:
            scratch = scratch_clone(checkout, scratch_root, name)
            for r in rows:
                parent, new, removed = recreate_without_migrations(scratch, r["commit"])
                found = run_dbguard(args.bin, scratch, ["--range", f"{parent}..{new}"], config)
                s["recall:total"] += 1
                if any(f.get("commit") == new for f in found):
                    s["recall:caught"] += 1
                else:
                    missed.append(f"recall\t{name}\t{r['commit'][:12]}\twithout {', '.join(removed)} -- {r['why']}")

    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    ratio = lambda a, b: a / b if b else None
    print(f"{'project':28} {'mode':5} {'found':>5} {'real':>5} {'false':>5} {'unlab':>5} "
          f"{'prec':>5} | {'recommit':>8} {'lost':>4} {'recall':>6}")
    total = collections.Counter()
    for name, s in list(stats.items()) + [("overall", None)]:
        if s is None:
            s = total
        for mode in ("range", "all"):
            judged = s[f"{mode}:real"] + s[f"{mode}:false"] + s[f"{mode}:unlabelled"]
            if mode == "all" and not s["all:findings"] and not s["all:lost"]:
                continue
            caught = s[f"{mode}:real"] + (s["recall:caught"] if mode == "range" else 0)
            wanted = caught + s[f"{mode}:lost"] + (
                s["recall:total"] - s["recall:caught"] if mode == "range" else 0)
            recommit = f"{s['recall:caught']}/{s['recall:total']}" if mode == "range" else ""
            print(f"{name:28} {mode:5} {s[f'{mode}:findings']:5} {s[f'{mode}:real']:5} "
                  f"{s[f'{mode}:false']:5} {s[f'{mode}:unlabelled']:5} "
                  f"{fmt(ratio(s[f'{mode}:real'], judged)):>5} | {recommit:>8} "
                  f"{s[f'{mode}:lost']:4} {fmt(ratio(caught, wanted)):>6}")
        if s is not total:
            total.update(s)
    failed = bool(unlabelled)
    judged = total["range:real"] + total["range:false"] + total["range:unlabelled"] + \
        total["all:real"] + total["all:false"] + total["all:unlabelled"]
    precision = ratio(total["range:real"] + total["all:real"], judged)
    caught = total["range:real"] + total["all:real"] + total["recall:caught"]
    recall = ratio(caught, caught + total["range:lost"] + total["all:lost"]
                   + total["recall:total"] - total["recall:caught"])
    print(f"\nrange and all together: precision {fmt(precision)}, recall {fmt(recall)}")
    if causes:
        print("\nfalse findings by cause (a finding with two causes counts under both):")
        for (mode, cause), n in sorted(causes.items(), key=lambda kv: (kv[0][0] != "range", -kv[1], kv[0][1])):
            print(f"  {mode:5} {cause:34} {n}")
    for line in false_list:
        print("false:", line)
    for line in missed:
        print("missed:", line)
    for line in unlabelled:
        print("unlabelled:", line)

    if args.min_precision is not None and precision is not None and precision < args.min_precision:
        failed = True
    if args.min_recall is not None and recall is not None and recall < args.min_recall:
        failed = True
    if not args.scratch:
        shutil.rmtree(scratch_root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
