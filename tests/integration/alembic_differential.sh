#!/usr/bin/env bash
# Differential test against Alembic itself: installs alembic from PyPI into
# a virtualenv under target/, generates random revision graphs as real
# Alembic environments in temporary git repositories, and fails on the first
# difference between Alembic's ScriptDirectory and `dbguard migrations`.
# Extra arguments go to the Python script (--count N, --broken N, --seed S).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/alembic-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "alembic>=1.13"
"$venv/bin/python" -c 'import alembic; print("alembic", alembic.__version__)'

cargo build --locked --release --quiet
"$venv/bin/python" tests/integration/alembic_differential.py target/release/dbguard "$@"
