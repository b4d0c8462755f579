#!/usr/bin/env bash
# dbguard installs from its wheel on a machine without Rust.
#
# Builds the dbguard-cli wheel with maturin (from PyPI, in a temporary
# virtual environment; the release build of .ci/run is reused), then, with
# a PATH that holds no cargo and no rustc:
#   - `pip install` of the wheel into a fresh virtual environment gives a
#     `dbguard` that prints the version of Cargo.toml and refuses a staged
#     database file;
#   - `pipx install`, `uv tool install` and `uvx --from <wheel>` do too;
#   - the `language: python` pre-commit hook (dbguard-python), with its
#     additional_dependencies pointing at the wheel file, installs in
#     seconds and checks real `git commit`s: a database file is refused, an
#     ordinary commit goes through; `pre-commit run` checks what is staged,
#     `pre-commit run --all-files` every tracked file.
#
# The hook repository is a commit of this working tree (tracked and
# untracked files, what .gitignore keeps out left out), so the script tests
# what is on disk, committed or not. Everything happens in a temporary
# directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || {
  echo "wheel.sh: no version in Cargo.toml" >&2
  exit 2
}

echo "installing maturin, pre-commit, pipx and uv from PyPI"
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --disable-pip-version-check \
  'maturin>=1.9,<2' 'pre-commit>=3.2,<5' 'pipx>=1.4' 'uv>=0.4'
tools=$work/tools/bin
python=$(readlink -f "$tools/python3")

echo "building the wheel"
(cd python && "$tools/maturin" build --release --locked --quiet --out "$work/dist")
wheels=("$work/dist"/dbguard_cli-"$version"-*.whl)
wheel=${wheels[0]}
[ -f "$wheel" ] || {
  echo "wheel.sh: maturin built no dbguard_cli-$version wheel" >&2
  ls "$work/dist" >&2
  exit 1
}
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

# From here on: no Rust toolchain on PATH, none where rustup would look.
export PATH=/usr/local/bin:/usr/bin:/bin
export CARGO_HOME="$work/no-cargo" RUSTUP_HOME="$work/no-rustup"
for tool in cargo rustc; do
  if command -v "$tool" >/dev/null; then
    echo "wheel.sh: $tool is still on PATH ($(command -v "$tool"))" >&2
    exit 2
  fi
done
# Isolated git, pass/fail counting, expect and new_repo.
. "$root/tests/integration/lib/harness.sh"
unset VIRTUAL_ENV PIP_REQUIRE_VIRTUALENV

# --- pip, pipx, uv ------------------------------------------------------

"$python" -m venv "$work/app"
expect 0 "pip installs the wheel with no Rust on PATH" "" -- \
  "$work/app/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
expect 0 "the installed dbguard prints Cargo.toml's version" "^dbguard $version\$" -- \
  "$work/app/bin/dbguard" --version

repo=$work/plain
new_repo "$repo"
printf 'SQLite format 3\0rest' >"$repo/app.db"
git -C "$repo" add -f app.db
cd "$repo"
expect 1 "the installed dbguard refuses a staged database file" "app.db" -- \
  "$work/app/bin/dbguard" check
cd "$root"

export PIPX_HOME="$work/pipx" PIPX_BIN_DIR="$work/pipx-bin" PIPX_MAN_DIR="$work/pipx-man"
expect 0 "pipx installs the wheel" "" -- \
  "$tools/pipx" install --python "$python" "$wheel"
expect 0 "pipx's dbguard runs" "^dbguard $version\$" -- "$work/pipx-bin/dbguard" --version

export UV_CACHE_DIR="$work/uv-cache" UV_TOOL_DIR="$work/uv-tools" UV_TOOL_BIN_DIR="$work/uv-bin"
export UV_PYTHON="$python" UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1 UV_OFFLINE=1
expect 0 "uv tool install installs the wheel" "" -- "$tools/uv" tool install "$wheel"
expect 0 "uv's dbguard runs" "^dbguard $version\$" -- "$work/uv-bin/dbguard" --version
expect 0 "uvx --from <wheel> dbguard runs" "^dbguard $version\$" -- \
  "$tools/uvx" --from "$wheel" dbguard --version
unset UV_OFFLINE

# --- the language: python pre-commit hook -------------------------------

# The hook repository: this working tree as one commit.
hookrepo=$work/hook-repo
mkdir "$hookrepo"
git -C "$root" ls-files -z --cached --others --exclude-standard |
  tar -C "$root" --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null |
  tar -xf - -C "$hookrepo"
git init -q "$hookrepo"
git -C "$hookrepo" add -A
git -C "$hookrepo" commit -q -m "dbguard working tree" --no-verify
rev=$(git -C "$hookrepo" rev-parse HEAD)

export PRE_COMMIT_HOME="$work/pre-commit-home"
pc=$tools/pre-commit
repo=$work/hooks
new_repo "$repo"
cat >"$repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $hookrepo
    rev: $rev
    hooks:
      - id: dbguard-python
        additional_dependencies: ["$wheel"]
      - id: dbguard-all-python
        additional_dependencies: ["$wheel"]
YAML
git -C "$repo" add .pre-commit-config.yaml
git -C "$repo" commit -q -m "pre-commit config" --no-verify
cd "$repo"
"$pc" install >/dev/null
t0=$SECONDS
expect 0 "pre-commit installs the python hook without cargo" "" -- "$pc" install-hooks
echo "pre-commit install-hooks took $((SECONDS - t0))s (hatchling fetched from PyPI, no compilation)"
if find "$PRE_COMMIT_HOME" -path '*/bin/dbguard' -type f | grep -q .; then
  ok "the hook environment holds the dbguard binary from the wheel"
else
  not_ok "no dbguard binary in the hook environment"
fi

printf 'x' >"$repo/data.db"
git -C "$repo" add -f data.db
before=$(git -C "$repo" rev-parse HEAD)
t0=$SECONDS
expect fail "git commit of a database file is refused by the python hook" "data.db" -- \
  git commit -m "add data"
echo "the refused commit took $((SECONDS - t0))s"
if [ "$(git -C "$repo" rev-parse HEAD)" = "$before" ]; then
  ok "the refused commit was not made"
else
  not_ok "the refused commit was made"
fi
expect fail "pre-commit run (no --all-files) checks the staged database file" "data.db" -- \
  "$pc" run
git -C "$repo" rm -q --cached data.db

printf "x = 1\n" >"$repo/app.py"
expect 0 "an ordinary git commit goes through the python hook" "" -- \
  git commit -a -m "edit app"

git -C "$repo" add -f data.db
git -C "$repo" commit -q -m "database bypassing the hook" --no-verify
printf "x = 2\n" >"$repo/app.py"
git -C "$repo" add app.py
expect 0 "pre-commit run checks only what is staged, not the committed database" "Passed" -- \
  "$pc" run
expect fail "pre-commit run --all-files checks every tracked file" "data.db" -- \
  "$pc" run --all-files
git -C "$repo" commit -q -m "edit app again" --no-verify
expect 0 "pre-commit run --files reports only the files it names" "Passed" -- \
  "$pc" run --files app.py
expect fail "pre-commit run --files with the database names it" "data.db" -- \
  "$pc" run --files app.py data.db
expect fail "the manual dbguard-all-python hook checks every tracked file" "data.db" -- \
  "$pc" run dbguard-all-python --hook-stage manual --all-files

echo "wheel integration took $((SECONDS - started))s"
echo "wheel integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
