"""Differential test of the migration replay (issue 25) against Alembic.

A real Alembic project is built in a temporary git repository: the models
of models_differential.py, an `env.py` that imports them, a SQLite URL.
Alembic's autogenerate writes the initial migration and the database is
upgraded to head. Then, for every edit of the models:

- `alembic check` (a live database, the application imported) says
  whether the models differ from the database;
- `dbguard models --diff` (no database, nothing imported: the revision
  files replayed statically) must say the same (exit 1 / 0);
- where they differ, autogenerate writes the migration, and dbguard must
  then find no difference: its replay of Alembic's own operations builds
  the schema the models declare;
- `dbguard check --all --select model-without-migration` agrees with
  `dbguard models --diff`.

Known differences are listed with each case. Usage:
replay_differential.py DBGUARD
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_differential import BASE, CASES, apply  # noqa: E402

ENV_PY = '''from alembic import context
from sqlalchemy import engine_from_config, pool

import models

config = context.config
target_metadata = models.Base.metadata


def run_migrations_online():
    connectable = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

INI = "[alembic]\nscript_location = migrations\nprepend_sys_path = .\nsqlalchemy.url = sqlite:///app.db\n"

MAKO = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

# Where the tools are known to differ, and why.
KNOWN = {
    # SQLite reflects an inline UNIQUE without a name; Alembic cannot drop
    # it and so does not report it. dbguard sees the constraint gone.
    "drop classic unique": "dbguard-only",
    # alembic check does not compare server defaults by default; dbguard
    # compares plain values (text("1") -> text("0")).
    "server default changed": "dbguard-only",
    # A table only the migrations create is not reported by dbguard (the
    # models read may not be all of an application's), by design.
    "remove Table()": "alembic-only",
}


def sh(cwd, *args, check=True):
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=check)


def git(repo, *args):
    sh(repo, "git", *args)


def alembic(repo, *args, check=True):
    return sh(repo, sys.executable, "-m", "alembic", *args, check=check)


# A project's own TypeDecorator: autogenerate writes it into the revision
# by its module path (`shop_types.Slug(length=50)`), which dbguard reads
# from the repository's shop_types.py (flaskbb's UTCDateTime).
TYPES_PY = '''import sqlalchemy as sa


class Slug(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True
'''

TYPED_MODELS = '''import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

import shop_types


class Base(DeclarativeBase):
    pass


class Page(Base):
    __tablename__ = "pages"
    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(shop_types.Slug(50), nullable=False)
'''

# (name, the slug column as edited, what alembic check / dbguard say:
# True, False, or "alembic-only" where they are known to differ)
TYPED_CASES = [
    ("decorator spelled as its impl", "sa.String(50)", False),
    ("decorator to a longer impl", "sa.String(100)", True),
    # The models name the type through `import shop_types`; the model
    # reader follows `from shop_types import Slug` only, so the model type
    # is unknown, and unknown is never a change.
    ("decorator with a longer length", "shop_types.Slug(100)", "alembic-only"),
]


def make_project(models=BASE, extra=None, revision_import=None):
    repo = tempfile.mkdtemp()
    git(repo, "init", "-q", "-b", "main")
    for k, v in [("user.name", "T"), ("user.email", "t@example.com"), ("commit.gpgsign", "false")]:
        git(repo, "config", k, v)
    files = {
        "alembic.ini": INI,
        "migrations/env.py": ENV_PY,
        "migrations/script.py.mako": MAKO,
        "migrations/versions/.keep": "",
        "models.py": models,
        ".gitignore": "app.db\n__pycache__/\n",
        **(extra or {}),
    }
    for path, text in files.items():
        full = os.path.join(repo, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    alembic(repo, "revision", "--autogenerate", "-m", "initial", "--rev-id", "a1")
    if revision_import:
        # Autogenerate does not import a project's module it names a type
        # from: the developer adds the import, as flaskbb's `import flaskbb`.
        path = os.path.join(repo, "migrations/versions/a1_initial.py")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("import sqlalchemy as sa\n", f"import sqlalchemy as sa\n{revision_import}\n", 1))
    alembic(repo, "upgrade", "head")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "initial")
    return repo


def alembic_differs(repo):
    run = alembic(repo, "check", check=False)
    if run.returncode == 0:
        return False
    if "New upgrade operations detected" in run.stdout + run.stderr:
        return True
    raise SystemExit(f"alembic check failed: {run.stdout}{run.stderr}")


def dbguard_differs(dbguard, repo):
    run = sh(repo, dbguard, "models", "--diff", check=False)
    if run.returncode not in (0, 1):
        raise SystemExit(f"dbguard models --diff failed: {run.stderr}")
    allrun = sh(repo, dbguard, "check", "--all", "--select", "model-without-migration", check=False)
    if (allrun.returncode == 1) != (run.returncode == 1):
        raise SystemExit(f"check --all and models --diff disagree:\n{run.stdout}\n{allrun.stdout}")
    return run.returncode == 1, run.stdout


def main():
    dbguard = os.path.abspath(sys.argv[1])
    repo = make_project()
    failures = []
    agreed = 0
    try:
        assert not alembic_differs(repo), "the base must match its own migration"
        differs, out = dbguard_differs(dbguard, repo)
        assert not differs, f"dbguard must replay the initial migration exactly:\n{out}"
        for name, edits, _ in CASES:
            with open(os.path.join(repo, "models.py"), "w") as f:
                f.write(apply(BASE, edits))
            al = alembic_differs(repo)
            dg, out = dbguard_differs(dbguard, repo)
            known = KNOWN.get(name)
            if known == "dbguard-only":
                ok = dg and not al
            elif known == "alembic-only":
                ok = al and not dg
            else:
                ok = al == dg
            if not ok:
                failures.append(f"{name}: alembic check {al} / dbguard {dg}\n{out}")
            else:
                agreed += 1
            if al:
                # Alembic writes the migration; replaying it must close the gap.
                alembic(repo, "revision", "--autogenerate", "-m", "edit", "--rev-id", "b2")
                git(repo, "add", "migrations/versions/b2_edit.py")
                dg, out = dbguard_differs(dbguard, repo)
                if dg and known != "alembic-only":
                    failures.append(f"{name}: after autogenerate, dbguard still differs\n{out}")
                git(repo, "rm", "-q", "-f", "migrations/versions/b2_edit.py")
            git(repo, "checkout", "-q", "HEAD", "--", "models.py")
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    repo = make_project(TYPED_MODELS, {"shop_types.py": TYPES_PY}, "import shop_types")
    try:
        differs, out = dbguard_differs(dbguard, repo)
        if differs:
            failures.append(f"typed base: dbguard differs from its own migration\n{out}")
        for name, column, expected in TYPED_CASES:
            with open(os.path.join(repo, "models.py"), "w") as f:
                f.write(TYPED_MODELS.replace("shop_types.Slug(50)", column))
            al = alembic_differs(repo)
            dg, out = dbguard_differs(dbguard, repo)
            if expected == "alembic-only":
                ok = al and not dg
            else:
                ok = al == dg == expected
            if ok:
                agreed += 1
            else:
                failures.append(f"{name}: alembic check {al} / dbguard {dg}\n{out}")
            git(repo, "checkout", "-q", "HEAD", "--", "models.py")
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    for f in failures:
        print("DISAGREE", f)
    print(f"replay differential: {len(CASES) + len(TYPED_CASES)} edits, {agreed} agreed with alembic check, "
          f"{len(failures)} disagreements")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
