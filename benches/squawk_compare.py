#!/usr/bin/env python3
"""The migration-safety cases (issue 29) checked by dbguard and by squawk.

Each case is one Alembic `upgrade()` body and the SQL it runs on
PostgreSQL. dbguard reads the Alembic files (dialect postgresql, a models
file that still maps `users.legacy_flag` and `accounts`), squawk reads the
SQL (`--assume-in-transaction`, as Alembic runs a migration, except where
the case uses an autocommit block). Prints a markdown table of what each
reports per case. squawk's rules that fire on every statement
(require-lock-timeout, require-statement-timeout, prefer-robust-stmts) are
left out of the table and counted apart.

Usage: benches/squawk_compare.py --bin target/release/dbguard [--squawk PATH] [--check]
"""

import argparse
import json
import os
import subprocess
import tempfile

EVERYWHERE = {"require-lock-timeout", "require-statement-timeout", "prefer-robust-stmts"}

# name, upgrade() body, SQL, in a transaction
CASES = [
    ("add NOT NULL column, no default",
     "op.add_column('users', sa.Column('plan', sa.Text(), nullable=False))",
     "ALTER TABLE users ADD COLUMN plan text NOT NULL;", True),
    ("add NOT NULL column with default",
     "op.add_column('users', sa.Column('plan', sa.Text(), nullable=False, server_default='free'))",
     "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';", True),
    ("SET NOT NULL, no backfill",
     "op.alter_column('orders', 'status', existing_type=sa.Text(), nullable=False)",
     "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;", True),
    ("backfill, then SET NOT NULL",
     "op.execute(\"UPDATE orders SET status = 'new' WHERE status IS NULL\")\n    op.alter_column('orders', 'status', nullable=False)",
     "UPDATE orders SET status = 'new' WHERE status IS NULL;\nALTER TABLE orders ALTER COLUMN status SET NOT NULL;", True),
    ("CREATE INDEX on an existing table",
     "op.create_index('ix_orders_user_id', 'orders', ['user_id'])",
     "CREATE INDEX ix_orders_user_id ON orders (user_id);", True),
    ("CREATE INDEX CONCURRENTLY in the transaction",
     "op.create_index('ix_orders_user_id', 'orders', ['user_id'], postgresql_concurrently=True)",
     "CREATE INDEX CONCURRENTLY ix_orders_user_id ON orders (user_id);", True),
    ("CREATE INDEX CONCURRENTLY, autocommit block",
     "with op.get_context().autocommit_block():\n        op.create_index('ix_orders_user_id', 'orders', ['user_id'], postgresql_concurrently=True)",
     "CREATE INDEX CONCURRENTLY ix_orders_user_id ON orders (user_id);", False),
    ("DROP INDEX",
     "op.drop_index('ix_orders_created_at', table_name='orders')",
     "DROP INDEX ix_orders_created_at;", True),
    ("new table and its index",
     "op.create_table('carts', sa.Column('id', sa.BigInteger(), primary_key=True), sa.Column('user_id', sa.BigInteger()))\n    op.create_index('ix_carts_user_id', 'carts', ['user_id'])",
     "CREATE TABLE carts (id bigint PRIMARY KEY, user_id bigint);\nCREATE INDEX ix_carts_user_id ON carts (user_id);", True),
    ("INTEGER to BIGINT",
     "op.alter_column('events', 'id', existing_type=sa.Integer(), type_=sa.BigInteger())",
     "ALTER TABLE events ALTER COLUMN id TYPE bigint;", True),
    ("VARCHAR(50) to VARCHAR(200)",
     "op.alter_column('users', 'name', existing_type=sa.String(50), type_=sa.String(200))",
     "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);", True),
    ("VARCHAR to VARCHAR(255) (FastAPI template)",
     "op.alter_column('users', 'email', existing_type=sa.String(), type_=sa.String(length=255))",
     "ALTER TABLE users ALTER COLUMN email TYPE varchar(255);", True),
    ("INTEGER to NUMERIC (dispatch)",
     "op.alter_column('service_feedback', 'hours', existing_type=sa.Integer(), type_=sa.Numeric())",
     "ALTER TABLE service_feedback ALTER COLUMN hours TYPE numeric;", True),
    ("add column, volatile default",
     "op.add_column('users', sa.Column('token', sa.UUID(), server_default=sa.text('gen_random_uuid()')))",
     "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();", True),
    ("add column, now() default",
     "op.add_column('users', sa.Column('seen', sa.DateTime(timezone=True), server_default=sa.text('now()')))",
     "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now();", True),
    ("RENAME COLUMN",
     "op.alter_column('users', 'name', new_column_name='full_name')",
     "ALTER TABLE users RENAME COLUMN name TO full_name;", True),
    ("RENAME TABLE",
     "op.rename_table('package_group', 'member')",
     "ALTER TABLE package_group RENAME TO member;", True),
    ("DROP COLUMN still mapped",
     "op.drop_column('users', 'legacy_flag')",
     "ALTER TABLE users DROP COLUMN legacy_flag;", True),
    ("DROP TABLE still mapped",
     "op.drop_table('accounts')",
     "DROP TABLE accounts;", True),
    ("add foreign key",
     "op.create_foreign_key('fk_orders_user', 'orders', 'users', ['user_id'], ['id'])",
     "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id);", True),
    ("add unique constraint",
     "op.create_unique_constraint('uq_users_email', 'users', ['email'])",
     "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email);", True),
]

# What dbguard must report on each case ("" = nothing).
EXPECTED = ['migration-not-null-without-default', '', 'migration-not-null-without-default', '', 'migration-blocking-index', 'migration-blocking-index', '', 'migration-blocking-index', '', 'migration-table-rewrite', '', 'migration-table-rewrite', 'migration-table-rewrite', 'migration-table-rewrite', '', 'migration-breaking-rename', 'migration-breaking-rename', 'migration-drop-still-mapped', 'migration-drop-still-mapped', '', '']
assert len(EXPECTED) == len(CASES)

MODELS = """from sqlalchemy import Boolean, Column, Integer
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    legacy_flag = Column(Boolean)


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True)
"""


def git(repo, *args):
    subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True)


def dbguard(binary, tmp):
    repo = os.path.join(tmp, "repo")
    os.makedirs(os.path.join(repo, "migrations", "versions"))
    git(repo, "init", "-q")
    with open(os.path.join(repo, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://app@db/app\n")
    with open(os.path.join(repo, "migrations", "env.py"), "w") as f:
        f.write("from alembic import context\n")
    with open(os.path.join(repo, "models.py"), "w") as f:
        f.write(MODELS)
    down = "None"
    for i, (_name, body, _sql, _tx) in enumerate(CASES):
        rev = f"r{i:02d}"
        with open(os.path.join(repo, "migrations", "versions", f"{rev}_case.py"), "w") as f:
            f.write(f"from alembic import op\nimport sqlalchemy as sa\n\nrevision = '{rev}'\n"
                    f"down_revision = {down}\n\n\ndef upgrade():\n    {body}\n\n\n"
                    "def downgrade():\n    raise NotImplementedError\n")
        down = repr(rev)
    git(repo, "add", "-A")
    r = subprocess.run([binary, "-C", repo, "check", "--all", "--format", "json"],
                       capture_output=True, text=True)
    out = {i: set() for i in range(len(CASES))}
    for f in json.loads(r.stdout)["findings"]:
        name = os.path.basename(f["path"])
        if f["rule"].startswith("migration-") and name.startswith("r") and f["rule"] not in (
                "migration-undocumented-destructive", "migration-filename"):
            out[int(name[1:3])].add(f["rule"])
    return out


def squawk(binary, tmp):
    out, everywhere = {}, 0
    for i, (_name, _body, sql, tx) in enumerate(CASES):
        path = os.path.join(tmp, f"case{i:02d}.sql")
        with open(path, "w") as f:
            f.write(sql + "\n")
        args = [binary, "--reporter", "json", "--pg-version", "16"]
        args.append("--assume-in-transaction" if tx else "--no-assume-in-transaction")
        r = subprocess.run(args + [path], capture_output=True, text=True)
        rules = {v["rule_name"] for v in json.loads(r.stdout or "[]")}
        everywhere += len(rules & EVERYWHERE)
        out[i] = rules - EVERYWHERE
    return out, everywhere


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/dbguard")
    ap.add_argument("--squawk", default="", help="squawk binary (none: dbguard only)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when dbguard's column differs from EXPECTED")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = dbguard(os.path.abspath(args.bin), tmp)
        s, everywhere = squawk(args.squawk, tmp) if args.squawk else ({}, 0)
    print("| case | dbguard | squawk |")
    print("|---|---|---|")
    for i, (name, *_rest) in enumerate(CASES):
        fmt = lambda rules: ", ".join(f"`{r}`" for r in sorted(rules)) or "-"
        print(f"| {name} | {fmt(d[i])} | {fmt(s.get(i, set()))} |")
    print(f"\n(squawk's {', '.join(sorted(EVERYWHERE))}: {everywhere} findings, left out)")
    wrong = [CASES[i][0] for i in d if d[i] != ({EXPECTED[i]} if EXPECTED[i] else set())]
    if args.check and wrong:
        raise SystemExit(f"dbguard differs from the expected rules on: {wrong}")


if __name__ == "__main__":
    main()
