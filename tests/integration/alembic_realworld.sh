#!/usr/bin/env bash
# Real-world check: the migration histories that released packages ship
# (Superset, Airflow, MLflow, Galaxy, Neutron: hundreds of revisions,
# merges, branch labels, labels named by constants), read by dbguard and by
# Alembic itself, must agree. Wheels come from PyPI (pinned, cached under
# target/) and are never installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/alembic-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "alembic>=1.13"

wheels=target/realworld-wheels
mkdir -p "$wheels"
for spec in apache-superset==6.1.0 apache-airflow-core==3.3.2 mlflow-skinny==3.17.2 \
            galaxy-data==26.1.2 neutron==29.0.0; do
  "$venv/bin/python" -m pip download --quiet --disable-pip-version-check \
    --no-deps --only-binary :all: -d "$wheels" "$spec"
done
# Neutron sets its version locations in code (release/expand|contract
# folders); a user tells dbguard with .dbguard.yaml.
for w in "$wheels"/neutron-*.whl; do
  printf 'migrations:\n  environments:\n    - script_location: neutron/db/migration/alembic_migrations\n      recursive_version_locations: true\n' > "$w.dbguard.yaml"
done

cargo build --locked --release --quiet
"$venv/bin/python" tests/integration/alembic_realworld.py target/release/dbguard "$wheels"/*.whl
