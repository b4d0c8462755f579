#!/usr/bin/env bash
# Differential test of the migration replay (issue 25) against Alembic:
# for every edit of models_differential.py's models, `alembic check` on a
# real SQLite database upgraded to head and `dbguard models --diff` (and
# `check --all`) must agree; after autogenerate writes the migration,
# dbguard's static replay of it must close the gap. Installs alembic and
# SQLAlchemy from PyPI into the virtualenv under target/ that
# models_differential.sh uses.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/models-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "alembic>=1.13" "sqlalchemy>=2.0"

cargo build --locked --release --quiet
"$venv/bin/python" tests/integration/replay_differential.py target/release/dbguard
