#!/usr/bin/env bash
# Differential test of model-without-migration against SQLAlchemy and
# Alembic: for ~100 edits of a realistic models file (cosmetic ones, schema
# changes, and random mixes), Alembic's compare_metadata (what
# `alembic revision --autogenerate` runs) and dbguard must agree on whether
# the schema changed; the same for a SQLModel models file. Installs alembic,
# SQLAlchemy and SQLModel from PyPI into a
# virtualenv under target/. Extra arguments go to the Python script
# (--random N, --seed S).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/models-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "alembic>=1.13" "sqlalchemy>=2.0" "sqlmodel>=0.0.16" "pydantic[email]"

cargo build --locked --release --quiet
"$venv/bin/python" tests/integration/models_differential.py target/release/dbguard "$@"
