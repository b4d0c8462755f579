#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each; first
# argument overrides). The committed corpora under fuzz/corpus/ are seeds:
# new inputs go to a scratch copy, crashes to fuzz/artifacts/ (the script
# then fails and prints how to reproduce).
#
# cargo-fuzz wants nightly for its sanitizer flags; RUSTC_BOOTSTRAP lets
# the one stable toolchain of this machine accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=$(cargo fuzz list)
cargo fuzz build -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in $targets; do
  mkdir -p "$scratch/$t"
  cp -r "fuzz/corpus/$t/." "$scratch/$t/" 2>/dev/null || true
  # The test fixtures are seeds too (copied, not committed twice).
  case "$t" in
    credentials) seeds=tests/fixtures/credentials/positives ;;
    models | python) seeds=tests/fixtures/models ;;
    *) seeds= ;;
  esac
  if [ -n "$seeds" ]; then
    find "$seeds" -type f -size -8k -exec cp -t "$scratch/$t/" {} + 2>/dev/null || true
  fi
  echo "==> fuzz $t for ${seconds}s"
  cargo fuzz run -O "$t" "$scratch/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=20 \
    2>&1 | grep -E "^(#[0-9]+.*DONE|Done|==[0-9]+==ERROR|SUMMARY|thread '.*' panicked|artifact_prefix|Test unit written)" || true
  if ls fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/timeout-* fuzz/artifacts/"$t"/oom-* >/dev/null 2>&1; then
    echo "fuzz target $t found a failing input: cargo fuzz run $t fuzz/artifacts/$t/<file>" >&2
    exit 1
  fi
done
echo "all fuzz targets ran ${seconds}s clean"
