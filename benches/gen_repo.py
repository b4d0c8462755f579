#!/usr/bin/env python3
"""Generate the benchmark repository deterministically.

A realistic mix of Python, JavaScript, YAML, JSON and Markdown (about
60,000 files, 300 MB by default) built in a few hundred commits through
`git fast-import`, with planted problems whose answers are known:

- credentials in several forms, each at a known path and line
  (`answers.json` lists them), some of them added and later removed again
  (only history sees those);
- a committed SQLite database and a committed `.env` file;
- plenty of keyword-bearing text that is *not* a secret (placeholders,
  prose about passwords, environment lookups), so that a keyword prefilter
  does real work.

Usage: gen_repo.py DEST [--files N] [--commits N] [--seed N]
Writes DEST (a git repository with a checked-out working tree) and
DEST.answers.json.
"""

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

WORDS = (
    "account address amount api app archive audit backend batch cache client "
    "config connection context customer data database debug default deploy "
    "engine event export feature field filter handler helper index invoice item "
    "job key limit list log manager message metric migration model module node "
    "order owner page parser payment plugin policy pool profile query queue "
    "record report request resource response result role route schema service "
    "session setting source state status storage stream table task tenant token "
    "transaction user value version worker"
).split()

PROSE = (
    "The service reads its settings from the environment at startup.",
    "Never commit a password; use the secret store instead.",
    "Set DATABASE_URL to point the application at your local postgres.",
    "Migrations run automatically when the container starts.",
    "See the operations guide for rotating database credentials.",
    "The password field is hashed with argon2 before it is stored.",
    "Connection pooling keeps latency low under load.",
)


def ident(rng):
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def py_file(rng, lines):
    out = ['"""%s."""' % " ".join(rng.choice(WORDS) for _ in range(6)).capitalize(), "import os", "import logging", ""]
    out.append("log = logging.getLogger(__name__)")
    while len(out) < lines:
        name = ident(rng)
        out.append("")
        out.append("def %s(%s, %s=None):" % (name, ident(rng), ident(rng)))
        out.append('    """%s."""' % rng.choice(PROSE))
        for _ in range(rng.randint(2, 8)):
            kind = rng.random()
            if kind < 0.15:
                out.append('    url = os.environ.get("DATABASE_URL", "sqlite:///:memory:")')
            elif kind < 0.25:
                out.append('    password = os.getenv("DB_PASSWORD")')
            elif kind < 0.2507:
                # Database code that does it right, a bound parameter: in
                # about one Python file in twenty.
                out.append('    cursor.execute("SELECT id, email FROM users WHERE id = %%s", (%s,))' % ident(rng))
            elif kind < 0.5:
                out.append('    %s = "%s"' % (ident(rng), " ".join(rng.choice(WORDS) for _ in range(4))))
            else:
                out.append("    %s = %s(%s) + %d" % (ident(rng), ident(rng), ident(rng), rng.randint(0, 999)))
        out.append("    return %s" % ident(rng))
    return "\n".join(out) + "\n"


def js_file(rng, lines):
    out = ["'use strict';", "const config = require('./config');", ""]
    while len(out) < lines:
        out.append("function %s(%s) {" % (ident(rng).replace("_", ""), ident(rng)))
        for _ in range(rng.randint(2, 6)):
            if rng.random() < 0.15:
                out.append("  const password = process.env.DB_PASSWORD;")
            else:
                out.append("  const %s = %s.%s(%d);" % (ident(rng), ident(rng), ident(rng), rng.randint(0, 99)))
        out.append("  return %s;" % ident(rng))
        out.append("}")
        out.append("")
    return "\n".join(out) + "\n"


def yaml_file(rng, lines):
    out = ["# %s" % rng.choice(PROSE), "service: %s" % ident(rng)]
    while len(out) < lines:
        out.append("%s:" % ident(rng))
        for _ in range(rng.randint(2, 6)):
            if rng.random() < 0.1:
                out.append("  password: ${DB_PASSWORD}")
            else:
                out.append("  %s: %s" % (ident(rng), rng.randint(0, 10000)))
    return "\n".join(out) + "\n"


def json_file(rng, lines):
    items = []
    for i in range(max(1, lines // 4)):
        items.append({"id": i, "name": ident(rng), "value": rng.randint(0, 1 << 20), "tags": [rng.choice(WORDS) for _ in range(3)]})
    return json.dumps({"items": items}, indent=1) + "\n"


def md_file(rng, lines):
    out = ["# %s" % ident(rng).replace("_", " ").title(), ""]
    while len(out) < lines:
        out.append(" ".join(rng.choice(PROSE) for _ in range(rng.randint(1, 3))))
        out.append("")
        if rng.random() < 0.2:
            out.append("```sh")
            out.append("export DATABASE_URL=postgresql://user:password@localhost/dbname")
            out.append("```")
            out.append("")
    return "\n".join(out) + "\n"


KINDS = [(".py", py_file, 0.40), (".js", js_file, 0.20), (".yaml", yaml_file, 0.10), (".json", json_file, 0.10), (".md", md_file, 0.20)]


def pick_kind(rng):
    r = rng.random()
    acc = 0.0
    for ext, fn, share in KINDS:
        acc += share
        if r < acc:
            return ext, fn
    return KINDS[-1][0], KINDS[-1][1]


def secret(rng, n=20):
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted(rng):
    """(relative path, file text, line, kind) of one credential."""
    pw = secret(rng)
    forms = [
        ("config/settings_%d.py", 'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://app:%s@db.internal:5432/app"\n' % pw, "db-url-password"),
        ("deploy/values_%d.yaml", "database:\n  host: db.internal\n  password: %s\n" % pw, "password-assignment"),
        ("services/conn_%d.js", "const conn = 'mysql://root:%s@10.0.0.5:3306/shop';\n" % pw, "db-url-password"),
        ("infra/appsettings_%d.json", '{\n  "ConnectionStrings": {\n    "Default": "Server=tcp:sql.example.net,1433;Database=shop;User ID=app;Password=%s;"\n  }\n}\n' % pw, "connection-string-password"),
        ("scripts/env_%d.sh", "export PGPASSWORD=%s\npsql -h db -U app\n" % pw, "password-assignment"),
    ]
    path, text, kind = rng.choice(forms)
    line = next(i + 1 for i, l in enumerate(text.splitlines()) if pw in l)
    return path, text, line, kind, pw


def sqlite_bytes():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "app.db")
        c = sqlite3.connect(p)
        c.execute("create table users (id integer primary key, email text)")
        c.executemany("insert into users (email) values (?)", [("u%d@example.com" % i,) for i in range(200)])
        c.commit()
        c.close()
        with open(p, "rb") as f:
            return f.read()


ALEMBIC_INI = """[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .

[loggers]
keys = root
"""

ENV_PY = '''"""Alembic environment: the URL comes from the environment."""
import os

from alembic import context
from sqlalchemy import engine_from_config, pool

from app.models import Base

config = context.config
config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"])
target_metadata = Base.metadata


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

MODELS_V1 = '''"""The application's tables."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)
'''

MODELS_V2 = MODELS_V1 + '''

class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, nullable=False)
    total = Column(Integer, nullable=False)
'''

MIGRATION_1 = '''"""create users

Revision ID: 1a2b3c4d5e6f
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "1a2b3c4d5e6f"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
    )


def downgrade():
    op.drop_table("users")
'''

MIGRATION_2 = '''"""create orders

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
"""
import sqlalchemy as sa
from alembic import op

revision = "2b3c4d5e6f70"
down_revision = "1a2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table("orders")
'''

SQL_INJECTION = '''"""Reports."""


def find_user(cursor, user_id):
    cursor.execute(f"SELECT id, email FROM users WHERE id = {user_id}")
    return cursor.fetchone()
'''


class FastImport:
    def __init__(self, dest):
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=dest, stdin=subprocess.PIPE)
        self.mark = 0
        self.time = 1_600_000_000

    def w(self, data):
        self.proc.stdin.write(data)

    def commit(self, message, files, deletes=()):
        self.mark += 1
        self.time += 3600
        msg = message.encode()
        self.w(b"commit refs/heads/main\nmark :%d\n" % self.mark)
        self.w(b"author Bench <bench@example.com> %d +0000\n" % self.time)
        self.w(b"committer Bench <bench@example.com> %d +0000\n" % self.time)
        self.w(b"data %d\n%s\n" % (len(msg), msg))
        if self.mark > 1:
            self.w(b"from :%d\n" % (self.mark - 1))
        for path in deletes:
            self.w(b"D %s\n" % path.encode())
        for path, data in files:
            if isinstance(data, str):
                data = data.encode()
            self.w(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
            self.w(data)
            self.w(b"\n")

    def close(self):
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            sys.exit("git fast-import failed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--avg-lines", type=int, default=120)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    os.makedirs(args.dest, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main", args.dest], check=True)
    fi = FastImport(args.dest)

    dirs = ["src/%s/%s" % (ident(rng), ident(rng)) for _ in range(max(1, args.files // 40))]
    answers = {"credentials": [], "removed_credentials": [], "sql_injection": [], "database": "data/app.db", "env_file": "config/.env"}
    per_commit = max(1, args.files // args.commits)
    made = 0
    planted_count = 0
    for c in range(args.commits):
        files = []
        for _ in range(per_commit if c < args.commits - 1 else args.files - made):
            ext, fn = pick_kind(rng)
            path = "%s/%s_%d%s" % (rng.choice(dirs), ident(rng), made, ext)
            lines = max(5, int(rng.expovariate(1.0 / args.avg_lines)))
            files.append((path, fn(rng, lines)))
            made += 1
        if c % 6 == 3:
            path, text, line, kind, pw = planted(rng)
            path = path % planted_count
            planted_count += 1
            files.append((path, text))
            answers["credentials"].append({"path": path, "line": line, "kind": kind, "commit_index": c})
        if c == args.commits // 3:
            files.append(("data/app.db", sqlite_bytes()))
            files.append(("config/.env", "DATABASE_URL=postgres://app:%s@db/app\n" % secret(rng)))
            answers["credentials"].append({"path": "config/.env", "line": 1, "kind": "db-url-password", "commit_index": c})
        if c == 1:
            # A real Alembic environment and its models: the migration
            # rules have something to look at in every mode, and must
            # stay quiet about it.
            files.append(("backend/alembic.ini", ALEMBIC_INI))
            files.append(("backend/migrations/env.py", ENV_PY))
            files.append(("backend/migrations/versions/1a2b3c4d5e6f_create_users.py", MIGRATION_1))
            files.append(("backend/app/models.py", MODELS_V1))
        if c == (2 * args.commits) // 3:
            files.append(("backend/migrations/versions/2b3c4d5e6f70_create_orders.py", MIGRATION_2))
            files.append(("backend/app/models.py", MODELS_V2))
        if c == args.commits // 4:
            path = "backend/app/reports.py"
            files.append((path, SQL_INJECTION))
            answers["sql_injection"].append({"path": path, "line": 5, "commit_index": c})
        deletes = []
        if c == args.commits // 2:
            path = "tmp/leaked_%d.py" % c
            pw = secret(rng)
            files.append((path, 'DB_PASSWORD = "%s"\n' % pw))
            answers["removed_credentials"].append({"path": path, "line": 1, "commit_index": c})
        if c == args.commits // 2 + 1:
            deletes = [a["path"] for a in answers["removed_credentials"]]
        fi.commit("commit %d: %s" % (c, " ".join(rng.choice(WORDS) for _ in range(4))), files, deletes)
        if made >= args.files and c >= args.commits // 2 + 1:
            break
    fi.close()
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=args.dest, check=True)
    # Commit ids are only known now; map commit indexes to ids (oldest first).
    ids = subprocess.run(["git", "rev-list", "--reverse", "main"], cwd=args.dest, check=True, capture_output=True, text=True).stdout.split()
    for group in ("credentials", "removed_credentials", "sql_injection"):
        for a in answers[group]:
            a["commit"] = ids[a.pop("commit_index")]
    with open(args.dest.rstrip("/") + ".answers.json", "w") as f:
        json.dump(answers, f, indent=1)
    print("generated %s: %d files, %d commits, %d planted credentials" % (args.dest, made, len(ids), len(answers["credentials"])))


if __name__ == "__main__":
    main()
