"""Real-world check: dbguard against Alembic on the migration histories that
released packages ship (Superset, Airflow, MLflow, Galaxy, Neutron).

Each wheel is unpacked into a fresh git repository; `dbguard migrations
--format json` lists every environment it finds, and Alembic's own
ScriptDirectory loads the same folders. Migration files import their
application (`from superset import db`), which is not installed: an import
hook hands out inert stand-in modules for whatever cannot be imported, and
Alembic's file loader is replaced by one that runs each module-level
statement on its own, skipping those that fail (model classes built on the
stand-ins), so Python itself still evaluates every identifier.

Usage: alembic_realworld.py DBGUARD WHEEL [WHEEL...]
A `<wheel>.dbguard.yaml` next to the wheel is copied in as .dbguard.yaml.
"""

import importlib.abc
import importlib.machinery
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import types
import warnings
import zipfile

warnings.simplefilter("ignore")

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


class Stub:
    """Absorbs whatever a migration's module level does with an app object."""

    def __init__(self, *a, **k):
        pass

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub()

    def __call__(self, *a, **k):
        return Stub()

    def __getitem__(self, k):
        return Stub()

    def __iter__(self):
        return iter(())

    def __mro_entries__(self, bases):
        return (StubBase,)

    def __or__(self, other):
        return Stub()

    __ror__ = __or__


class StubBase:
    def __init__(self, *a, **k):
        pass

    def __init_subclass__(cls, **k):
        pass


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub()


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        m = StubModule(spec.name)
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def tolerant_load(dir_, filename):
    """Alembic's load_python_file, running statements one by one."""
    import ast

    path = os.path.join(dir_, filename)
    with open(path, "rb") as f:
        source = f.read()
    tree = ast.parse(source, path)
    module = types.ModuleType("_dbguard_rw_%d" % abs(hash(path)))
    module.__file__ = path
    module.__doc__ = ast.get_docstring(tree, clean=False)
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec")
        try:
            exec(code, module.__dict__)
        except Exception:
            pass
    return module


def ast_reading(path):
    """What Python's own parser says about a migration: (downgrade status,
    docstring's first line). Module-level `def`s count, also under if/try."""
    import ast

    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    stmts, todo = [], list(tree.body)
    while todo:
        st = todo.pop(0)
        stmts.append(st)
        if isinstance(st, (ast.If, ast.Try)):
            todo.extend(st.body + st.orelse + getattr(st, "finalbody", []))
            for h in getattr(st, "handlers", []):
                todo.extend(h.body)
    funcs = [s for s in stmts if isinstance(s, ast.FunctionDef) and s.name == "downgrade"]
    if not funcs:
        status = "missing"
    else:
        body = funcs[-1].body
        inert = [
            b
            for b in body
            if isinstance(b, ast.Pass)
            or (isinstance(b, ast.Expr) and isinstance(b.value, (ast.Constant, ast.JoinedStr)))
        ]
        rest = [b for b in body if b not in inert]
        if not rest:
            status = "empty"
        elif all(isinstance(b, ast.Raise) for b in rest):
            status = "irreversible"
        else:
            status = "ok"
    doc = ast.get_docstring(tree, clean=False) or ""
    doc = doc.strip()
    message = doc.splitlines()[0].strip() if doc else ""
    return status, message


def alembic_view(script_location, directories, recursive):
    from alembic.script import ScriptDirectory, base

    base.util.load_python_file = tolerant_load

    script = ScriptDirectory(
        script_location,
        version_locations=directories,
        recursive_version_locations=recursive,
    )
    rmap = script.revision_map._revision_map
    revs = {}
    for k, sc in rmap.items():
        if sc is None or k != sc.revision:
            continue
        down = sc.down_revision
        down = [] if down is None else ([down] if isinstance(down, str) else list(down))
        deps = sc.dependencies
        deps = [] if deps is None else ([deps] if isinstance(deps, str) else list(deps))
        # A label named by the application's constant (`cli.EXPAND_BRANCH`)
        # is a stand-in here; dbguard keeps the constant's dotted name.
        labels = sorted(l if isinstance(l, str) else "<constant>" for l in sc._orig_branch_labels)
        revs[sc.revision] = (down, deps, labels, os.path.realpath(sc.path))
    return revs, list(script.get_heads()), list(script.get_bases())


def main():
    dbguard = os.path.abspath(sys.argv[1])
    sys.meta_path.append(StubFinder())
    failed = False
    for wheel in sys.argv[2:]:
        root = tempfile.mkdtemp(prefix="dbguard-rw-")
        try:
            with zipfile.ZipFile(wheel) as z:
                z.extractall(root)
            config = wheel + ".dbguard.yaml"
            if os.path.exists(config):
                shutil.copy(config, os.path.join(root, ".dbguard.yaml"))
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
            subprocess.run(["git", "add", "-A"], cwd=root, check=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
            r = subprocess.run(
                [dbguard, "migrations", "--format", "json"],
                cwd=root, capture_output=True, text=True, env=env,
            )
            if r.returncode != 0:
                print("FAIL %s: dbguard migrations exit %d: %s" % (wheel, r.returncode, r.stderr))
                failed = True
                continue
            envs = json.loads(r.stdout)["environments"]
            if not envs:
                print("FAIL %s: no environment found" % wheel)
                failed = True
            for e in envs:
                paths = [x["path"] for x in e["revisions"]]
                recursive = any(
                    "/" in p[len(d) + 1:]
                    for p in paths
                    for d in e["directories"]
                    if p.startswith(d + "/")
                )
                want, heads, bases = alembic_view(
                    os.path.join(root, e["script_location"]),
                    [os.path.join(root, d) for d in e["directories"]],
                    recursive,
                )
                got = {
                    x["revision"]: (
                        x["down_revisions"],
                        x["depends_on"],
                        sorted(
                            "<constant>" if DOTTED.match(l) else l for l in x["branch_labels"]
                        ),
                        os.path.realpath(os.path.join(root, x["path"])),
                    )
                    for x in e["revisions"]
                }
                counts = {}
                for x in e["revisions"]:
                    counts[x["downgrade"]] = counts.get(x["downgrade"], 0) + 1
                labels = sorted({l for x in e["revisions"] for l in x["branch_labels"]})
                ast_diff = []
                for x in e["revisions"]:
                    want_ast = ast_reading(os.path.join(root, x["path"]))
                    if (x["downgrade"], x["message"]) != want_ast:
                        ast_diff.append((x["path"], want_ast, (x["downgrade"], x["message"])))
                ok = got == want and e["heads"] == heads and e["bases"] == bases and not ast_diff
                for d in ast_diff:
                    print("    %s: python ast %s dbguard %s" % d)
                print(
                    "%s %s: %s: %d revisions, heads %s, bases %s, labels %s, downgrades %s"
                    % (
                        "ok  " if ok else "FAIL",
                        os.path.basename(wheel),
                        e["script_location"],
                        len(got),
                        e["heads"],
                        e["bases"],
                        labels,
                        counts,
                    )
                )
                if not ok:
                    failed = True
                    for k in sorted(set(got) | set(want)):
                        if got.get(k) != want.get(k):
                            print("    %s: alembic %s dbguard %s" % (k, want.get(k), got.get(k)))
                    if e["heads"] != heads:
                        print("    heads: alembic %s" % heads)
                    if e["bases"] != bases:
                        print("    bases: alembic %s" % bases)
            r = subprocess.run(
                [dbguard, "check", "--all", "--format", "json", "--select",
                 "migration-multiple-heads,migration-broken-link,migration-cycle,"
                 "migration-duplicate-revision,migration-parse-error,downgrade-missing,downgrade-empty"],
                cwd=root, capture_output=True, text=True, env=env,
            )
            if r.returncode not in (0, 1):
                print("FAIL %s: dbguard check exit %d: %s" % (wheel, r.returncode, r.stderr))
                failed = True
            else:
                rules = {}
                for f in json.loads(r.stdout)["findings"]:
                    rules[f["rule"]] = rules.get(f["rule"], 0) + 1
                print("     %s: check --all findings %s" % (os.path.basename(wheel), rules))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
