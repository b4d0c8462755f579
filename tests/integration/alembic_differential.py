"""Differential test: dbguard's static reading of Alembic histories against
Alembic's own ScriptDirectory.

Generates many random revision graphs (merges, branch labels, depends_on,
several version locations, recursive locations, every assignment form real
files use) as real Alembic environments in temporary git repositories, asks
Alembic for revisions, down_revisions, heads and bases, and compares them
with `dbguard migrations --format json`. Invalid histories (links to
nothing, cycles) must make Alembic fail and dbguard report a finding.

Usage: alembic_differential.py DBGUARD [--count N] [--seed S]
Exits 1 on the first mismatch, printing the repository's files.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings

from alembic.config import Config
from alembic.script import ScriptDirectory

warnings.simplefilter("ignore")

HEX = "0123456789abcdef"


def rand_id(rng):
    kind = rng.random()
    if kind < 0.8:
        return "".join(rng.choice(HEX) for _ in range(12))
    if kind < 0.95:
        return "".join(rng.choice(HEX + "ghijkxyz_") for _ in range(rng.randint(4, 20)))
    return "%04d" % rng.randint(0, 9999)


def py_str(rng, s):
    """A string literal for s, in one of the forms real files use."""
    k = rng.random()
    if k < 0.5 or len(s) < 2:
        return repr(s)
    if k < 0.7:
        return '"%s"' % s
    if k < 0.85:
        i = rng.randint(1, len(s) - 1)
        return '"%s" "%s"' % (s[:i], s[i:])
    return "r'%s'" % s


def py_links(rng, items, allow_scalar=True):
    """None, a string, a tuple or a list of strings."""
    if not items:
        return rng.choice(["None", "()", "[]", "None"])
    if len(items) == 1 and allow_scalar and rng.random() < 0.6:
        return py_str(rng, items[0])
    body = ", ".join(py_str(rng, x) for x in items)
    if rng.random() < 0.5:
        return "(%s,)" % body if len(items) == 1 else "(%s)" % body
    return "[%s]" % body


ANNOTATIONS = [
    "",
    ": str",
    ": Union[str, None]",
    ": Union[str, Sequence[str], None]",
    ": str | Sequence[str] | None",
    ": Optional[Sequence[str]]",
]


def assign(rng, name, value):
    ann = rng.choice(ANNOTATIONS)
    form = rng.random()
    if form < 0.75:
        return "%s%s = %s\n" % (name, ann, value)
    if form < 0.85:
        const = "_%s_VALUE" % name.upper()
        return "%s = %s\n%s%s = %s\n" % (const, value, name, ann, const)
    if form < 0.93:
        return "if True:\n    %s%s = %s\n" % (name, ann, value)
    return "try:\n    %s%s = %s\nexcept ImportError:\n    raise\n" % (name, ann, value)


DOWNGRADES = {
    "ok": "def downgrade():\n    op.drop_column('t', 'c')\n",
    "empty": "def downgrade():\n    pass\n",
    "empty_doc": 'def downgrade() -> None:\n    """Nothing to undo."""\n    # really\n    ...\n',
    "irreversible": "def downgrade():\n    raise NotImplementedError('irreversible')\n",
    "missing": "",
}


def write_revision(rng, rev, legacy):
    down = rev["down"]
    msg = "change %s" % rev["id"]
    src = '"""%s\n\nRevision ID: %s\nRevises: %s\nCreate Date: 2024-01-01 00:00:00\n\n"""\n' % (
        msg,
        rev["id"],
        ", ".join(down),
    )
    src += "from typing import Optional, Sequence, Union\n\nfrom alembic import op\nimport sqlalchemy as sa\n\n"
    src += "# revision identifiers, used by Alembic.\n"
    if not legacy:
        src += assign(rng, "revision", py_str(rng, rev["id"]))
    src += assign(rng, "down_revision", py_links(rng, down))
    if rev["labels"] or rng.random() < 0.5:
        src += assign(rng, "branch_labels", py_links(rng, rev["labels"]))
    if rev["deps"] or rng.random() < 0.5:
        src += assign(rng, "depends_on", py_links(rng, rev["deps"]))
    src += "\n\ndef upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\n"
    kind = rev["downgrade_form"]
    src += DOWNGRADES[kind]
    return src, msg, "empty" if kind == "empty_doc" else kind


def make_graph(rng, broken):
    n = rng.randint(1, 45)
    revs = []
    used = set()
    labels_used = set()
    for i in range(n):
        rid = rand_id(rng)
        while rid in used:
            rid = rand_id(rng)
        used.add(rid)
        if i == 0 or rng.random() < 0.08:
            down = []
        else:
            k = 1 if rng.random() < 0.8 else rng.randint(2, 3)
            earlier = [r["id"] for r in revs]
            down = rng.sample(earlier, min(k, len(earlier)))
        labels = []
        if rng.random() < 0.12:
            lbl = rng.choice(["gxy", "tsi", "expand", "contract", "feature", "lbl%d" % i])
            if lbl not in labels_used:
                labels_used.add(lbl)
                labels.append(lbl)
        deps = []
        if revs and rng.random() < 0.12:
            pool = [r["id"] for r in revs] + sorted(labels_used - set(labels))
            deps = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
        revs.append(
            {
                "id": rid,
                "down": down,
                "labels": labels,
                "deps": deps,
                "downgrade_form": rng.choice(list(DOWNGRADES)),
            }
        )
    problem = None
    if broken and n >= 2:
        linked = [r for r in revs if r["down"]]
        if rng.random() < 0.5 or not linked:
            victim = rng.choice(revs[1:])
            victim["down"] = [rand_id(rng) + "zz"]
            problem = "migration-broken-link"
        else:
            # point an ancestor of a revision back at it: a cycle
            victim = rng.choice(linked)
            by_id = {r["id"]: r for r in revs}
            ancestor = by_id[rng.choice(victim["down"])]
            for _ in range(rng.randint(0, 5)):
                if not ancestor["down"]:
                    break
                ancestor = by_id[rng.choice(ancestor["down"])]
            ancestor["down"] = ancestor["down"] + [victim["id"]]
            problem = "migration-cycle"
    return revs, problem


def build_repo(rng, root, broken, prefix=""):
    """Writes one environment below root/prefix; returns the ini path, the
    expected (message, downgrade) per revision, the injected problem and
    the script location relative to root."""
    revs, problem = make_graph(rng, broken)
    layout = rng.random()
    ini_dir = rng.choice(["", "backend"])
    if prefix:
        ini_dir = os.path.join(prefix, ini_dir) if ini_dir else prefix
    script = "migrations" if rng.random() < 0.5 else "alembic"
    script_rel = os.path.join(ini_dir, script) if ini_dir else script
    lines = ["[alembic]"]
    lines.append(
        rng.choice(["script_location = %(here)s/" + script, "script_location = " + script])
    )
    recursive = False
    if layout < 0.5:
        dirs = ["versions"]
    else:
        dirs = ["versions_a", "versions_b"] + (["more/versions_c"] if rng.random() < 0.5 else [])
        style = rng.choice(["space", "os", "newline", "legacy", "comma", "vps_space", ";"])
        paths = ["%(here)s/" + script + "/" + d for d in dirs]
        if style == "space":
            lines += ["version_locations = " + " ".join(paths), "path_separator = space"]
        elif style == "os":
            lines += ["version_locations = " + ":".join(paths), "path_separator = os"]
        elif style == ";":
            lines += ["version_locations = " + ";".join(paths), "path_separator = ;"]
        elif style == "newline":
            lines += ["version_locations ="] + ["    " + p for p in paths] + ["path_separator = newline"]
        elif style == "legacy":
            lines += ["version_locations = " + "  ".join(paths)]
        elif style == "comma":
            lines += ["version_locations = " + ", ".join(paths)]
        else:
            lines += ["version_locations = " + " ".join(paths), "version_path_separator = space"]
    if rng.random() < 0.3:
        recursive = True
        lines.append("recursive_version_locations = true")
    lines.append("# sqlalchemy.url = driver://user:pass@localhost/dbname")
    ini_path = os.path.join(root, ini_dir, "alembic.ini")
    os.makedirs(os.path.dirname(ini_path), exist_ok=True)
    if rng.random() < 0.2:
        # Alembic 1.16+: the options in pyproject.toml's [tool.alembic],
        # the ini keeping only the rest.
        toml = ["[tool.alembic]", 'script_location = "%%(here)s/%s"' % script]
        if dirs != ["versions"]:
            toml.append(
                "version_locations = [%s]"
                % ", ".join('"%%(here)s/%s/%s"' % (script, d) for d in dirs)
            )
        if recursive:
            toml.append("recursive_version_locations = true")
        with open(os.path.join(root, ini_dir, "pyproject.toml"), "w") as f:
            f.write("[project]\nname = 'app'\n\n" + "\n".join(toml) + "\n")
        lines = ["[alembic]", "# options are in pyproject.toml"]
    with open(ini_path, "w") as f:
        f.write("\n".join(lines) + "\n\n[loggers]\nkeys = root\n")
    sdir = os.path.join(root, script_rel)
    os.makedirs(sdir, exist_ok=True)
    with open(os.path.join(sdir, "env.py"), "w") as f:
        f.write("from alembic import context\n")
    for d in dirs:
        os.makedirs(os.path.join(sdir, d), exist_ok=True)
        with open(os.path.join(sdir, d, "README"), "w") as f:
            f.write("not a migration\n")
        if rng.random() < 0.5:
            open(os.path.join(sdir, d, "__init__.py"), "w").close()
        if rng.random() < 0.3:
            with open(os.path.join(sdir, d, ".#lock.py"), "w") as f:
                f.write("this is an editor lock file, not python\n")
    expected = {}
    for rev in revs:
        legacy = all(c in HEX for c in rev["id"]) and rng.random() < 0.05
        src, msg, downgrade = write_revision(rng, rev, legacy)
        d = rng.choice(dirs)
        sub = ""
        if recursive and rng.random() < 0.4:
            sub = rng.choice(["2023", "2024/q1", "x"])
        name = rev["id"] + ".py" if legacy else "%s_%s.py" % (rev["id"], "change")
        rel_dir = os.path.join(script_rel, d, sub) if sub else os.path.join(script_rel, d)
        os.makedirs(os.path.join(root, rel_dir), exist_ok=True)
        with open(os.path.join(root, rel_dir, name), "w") as f:
            f.write(src)
        expected[rev["id"]] = (msg, downgrade)
    if not recursive and rng.random() < 0.5:
        # a sub folder Alembic does not read without recursive_version_locations
        junk = os.path.join(sdir, dirs[0], "old")
        os.makedirs(junk, exist_ok=True)
        with open(os.path.join(junk, "ffff_ignored.py"), "w") as f:
            f.write("revision = 'ffff'\ndown_revision = 'nothing'\n")
    if recursive and rng.random() < 0.5:
        cache = os.path.join(sdir, dirs[0], "__pycache__")
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, "eeee_cached.py"), "w") as f:
            f.write("revision = 'eeee'\ndown_revision = 'nothing'\n")
    return ini_path, expected, problem, script_rel.replace(os.sep, "/")


def alembic_view(ini_path, root):
    cwd = os.getcwd()
    os.chdir(os.path.dirname(ini_path))
    try:
        toml = os.path.join(os.path.dirname(ini_path), "pyproject.toml")
        cfg = Config(ini_path, toml_file=toml if os.path.exists(toml) else None)
        script = ScriptDirectory.from_config(cfg)
        revs = {}
        rmap = script.revision_map._revision_map
        scripts = {id(v): v for k, v in rmap.items() if v is not None and k == v.revision}
        for sc in scripts.values():
            deps = sc.dependencies
            deps = [] if deps is None else ([deps] if isinstance(deps, str) else list(deps))
            down = sc.down_revision
            down = [] if down is None else ([down] if isinstance(down, str) else list(down))
            revs[sc.revision] = {
                "down_revisions": down,
                "depends_on": deps,
                "branch_labels": sorted(sc._orig_branch_labels),
                "path": os.path.relpath(sc.path, root).replace(os.sep, "/"),
            }
        return revs, list(script.get_heads()), list(script.get_bases())
    finally:
        os.chdir(cwd)


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def run_dbguard(dbguard, root, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["NO_COLOR"] = "1"
    return subprocess.run([dbguard, *args], cwd=root, capture_output=True, text=True, env=env)


def dump(root):
    out = []
    for d, _, files in os.walk(root):
        if ".git" in d.split(os.sep):
            continue
        for name in sorted(files):
            p = os.path.join(d, name)
            out.append("--- %s\n%s" % (os.path.relpath(p, root), open(p, errors="replace").read()))
    return "\n".join(out)


def fail(root, msg):
    print("MISMATCH: " + msg, file=sys.stderr)
    print(dump(root), file=sys.stderr)
    kept = root + "-failed"
    shutil.copytree(root, kept, symlinks=True)
    print("the repository is kept in " + kept, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dbguard")
    ap.add_argument("--count", type=int, default=150)
    ap.add_argument("--broken", type=int, default=40)
    # A fixed default keeps CI deterministic; `--seed random` explores.
    ap.add_argument("--seed", default="20261125")
    args = ap.parse_args()
    args.dbguard = os.path.abspath(args.dbguard)
    seed = random.randrange(1 << 30) if args.seed == "random" else int(args.seed)
    print("seed %d (rerun with --seed %d)" % (seed, seed))
    rng = random.Random(seed)
    stats = {
        "revisions": 0,
        "merges": 0,
        "labels": 0,
        "depends": 0,
        "multi_dirs": 0,
        "cycles_alembic_missed": 0,
        "pyproject": 0,
    }
    case = 0
    histories = 0
    while histories < args.count + args.broken:
        broken = histories >= args.count
        # Valid histories come several to a repository (each environment
        # has its own graph); a broken one is alone in its repository.
        k = 1 if broken else min(rng.randint(1, 4), args.count - histories)
        histories += k
        case += 1
        root = tempfile.mkdtemp(prefix="dbguard-diff-")
        try:
            git(root, "init", "-q")
            envs = []
            for i in range(k):
                prefix = "" if k == 1 else "svc%d" % i
                envs.append(build_repo(rng, root, broken, prefix))
            git(root, "add", "-A")
            if broken:
                ini_path, expected, problem, _ = envs[0]
                if problem is None:
                    continue
                try:
                    alembic_view(ini_path, root)
                    accepted = True
                except Exception:
                    accepted = False
                # Alembic's own cycle check only finds revisions cut off from
                # every head or base; a cycle hanging between a base and a
                # head loads fine (and loops later). Links to nothing always
                # fail.
                if accepted and problem == "migration-broken-link":
                    fail(root, "case %d: Alembic accepted a history with a %s" % (case, problem))
                if accepted:
                    stats["cycles_alembic_missed"] += 1
                r = run_dbguard(args.dbguard, root, "check", "--all", "--format", "json")
                if r.returncode != 1:
                    fail(root, "case %d: dbguard check exit %d\n%s%s" % (case, r.returncode, r.stdout, r.stderr))
                rules = {f["rule"] for f in json.loads(r.stdout)["findings"]}
                if problem not in rules:
                    fail(root, "case %d: dbguard did not report %s: %s" % (case, problem, sorted(rules)))
                continue
            r = run_dbguard(args.dbguard, root, "migrations", "--format", "json")
            if r.returncode != 0:
                fail(root, "case %d: dbguard migrations exit %d: %s" % (case, r.returncode, r.stderr))
            doc = json.loads(r.stdout)
            by_location = {e["script_location"]: e for e in doc["environments"]}
            if sorted(by_location) != sorted(e[3] for e in envs):
                fail(root, "case %d: environments %s, expected %s" % (case, sorted(by_location), sorted(e[3] for e in envs)))
            for ini_path, expected, _, script_rel in envs:
                want_revs, want_heads, want_bases = alembic_view(ini_path, root)
                env = by_location[script_rel]
                got_revs = {
                    x["revision"]: {
                        "down_revisions": x["down_revisions"],
                        "depends_on": x["depends_on"],
                        "branch_labels": sorted(x["branch_labels"]),
                        "path": x["path"],
                    }
                    for x in env["revisions"]
                }
                if len(got_revs) != len(env["revisions"]):
                    fail(root, "case %d: duplicate revisions in dbguard output" % case)
                if got_revs != want_revs:
                    diff = {
                        k: (want_revs.get(k), got_revs.get(k))
                        for k in set(want_revs) | set(got_revs)
                        if want_revs.get(k) != got_revs.get(k)
                    }
                    fail(root, "case %d: revisions differ (alembic, dbguard): %s" % (case, diff))
                if env["heads"] != want_heads:
                    fail(root, "case %d: heads alembic %s dbguard %s" % (case, want_heads, env["heads"]))
                if env["bases"] != want_bases:
                    fail(root, "case %d: bases alembic %s dbguard %s" % (case, want_bases, env["bases"]))
                for x in env["revisions"]:
                    msg, downgrade = expected[x["revision"]]
                    if (x["message"], x["downgrade"]) != (msg, downgrade):
                        fail(
                            root,
                            "case %d: %s message/downgrade %s, expected %s"
                            % (case, x["revision"], (x["message"], x["downgrade"]), (msg, downgrade)),
                        )
                stats["revisions"] += len(want_revs)
                stats["merges"] += sum(1 for v in want_revs.values() if len(v["down_revisions"]) > 1)
                stats["labels"] += sum(1 for v in want_revs.values() if v["branch_labels"])
                stats["depends"] += sum(1 for v in want_revs.values() if v["depends_on"])
                stats["multi_dirs"] += len(env["directories"]) > 1
                stats["pyproject"] += os.path.exists(
                    os.path.join(os.path.dirname(ini_path), "pyproject.toml")
                )
            r = run_dbguard(args.dbguard, root, "check", "--all", "--format", "json")
            if r.returncode not in (0, 1):
                fail(root, "case %d: dbguard check exit %d: %s" % (case, r.returncode, r.stderr))
            bad = {
                f["rule"]
                for f in json.loads(r.stdout)["findings"]
                if f["rule"]
                in ("migration-broken-link", "migration-cycle", "migration-duplicate-revision", "migration-parse-error")
            }
            if bad:
                fail(root, "case %d: false findings on a valid history: %s" % (case, sorted(bad)))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(
        "alembic differential: %d histories and %d broken ones agree (%s)"
        % (args.count, args.broken, ", ".join("%s=%d" % kv for kv in sorted(stats.items())))
    )


if __name__ == "__main__":
    main()
