#!/usr/bin/env bash
# The migration-safety cases (issue 29) run through dbguard and squawk
# (PyPI's squawk-cli ships its binary): dbguard must report exactly the
# expected rule per case; squawk's column is printed for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/squawk-venv
if [ ! -x "$venv/bin/squawk" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q squawk-cli==2.70.0
fi
[ -x target/release/dbguard ] || cargo build --locked --release -q
python3 benches/squawk_compare.py --bin target/release/dbguard --squawk "$venv/bin/squawk" --check
