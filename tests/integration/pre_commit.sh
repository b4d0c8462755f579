#!/usr/bin/env bash
# dbguard's .pre-commit-hooks.yaml works with the real pre-commit framework.
#
# Installs pre-commit from PyPI into a virtual environment in a temporary
# directory, makes scratch repositories, and checks, with
# `pre-commit try-repo <this repository> dbguard`:
#   - a commit with a staged database file is refused, naming the file;
#   - an ordinary commit is accepted;
#   - `pre-commit run --all-files` finds a database committed earlier;
# and, with a .pre-commit-config.yaml and `pre-commit install`, that a real
# `git commit` of a database file is refused while an ordinary one goes
# through, that `git push` of a commit holding one is refused (pre-push),
# that the manual `dbguard-all` hook checks every file, and that `pre-commit
# run` checks the staged changes while `pre-commit run --all-files` checks
# every tracked file. (The `language: python` hooks: wheel.sh.)
#
# try-repo uses this repository's HEAD, or a shadow copy of it with the
# uncommitted changes; the config-based part uses HEAD.
#
# pre-commit installs a `language: rust` hook with `cargo install --path .`
# in a fresh copy of the repository, once per try-repo run. To keep that
# affordable on CI's two cores the builds share one target directory
# (target/pre-commit, so the dependencies compile once) and, through
# cargo's profile environment variables, skip optimisation: the hook is the
# same code, built faster. Like pre-commit, cargo install resolves the
# dependencies afresh (no --locked), so this also proves today's crates
# build.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "installing pre-commit from PyPI"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check 'pre-commit>=3.2,<5'
pc="$work/venv/bin/pre-commit"
"$pc" --version

export CARGO_TARGET_DIR="$root/target/pre-commit"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export PRE_COMMIT_HOME="$work/pre-commit-home"
# Isolated git, pass/fail counting, expect and new_repo.
. "$root/tests/integration/lib/harness.sh"
git config --global advice.detachedHead false

# --- try-repo ---------------------------------------------------------

repo=$work/refused
new_repo "$repo"
printf 'SQLite format 3\0rest of a database' >"$repo/app.db"
git -C "$repo" add -f app.db
cd "$repo"
expect fail "try-repo refuses a staged database file" "app.db" -- \
  "$pc" try-repo "$root" dbguard

repo=$work/accepted
new_repo "$repo"
printf "def add(a, b):\n    return a + b\n" >"$repo/calc.py"
git -C "$repo" add calc.py
cd "$repo"
expect 0 "try-repo accepts an ordinary commit" "Passed" -- \
  "$pc" try-repo "$root" dbguard

repo=$work/all-files
new_repo "$repo"
printf 'x' >"$repo/old.sqlite3"
git -C "$repo" add -f old.sqlite3
git -C "$repo" commit -q -m "a database slipped in" --no-verify
cd "$repo"
expect fail "try-repo --all-files finds a committed database" "old.sqlite3" -- \
  "$pc" try-repo "$root" dbguard --all-files

# --- .pre-commit-config.yaml and real git hooks ------------------------

rev=$(git -C "$root" rev-parse HEAD)
repo=$work/hooks
new_repo "$repo"
git init -q --bare "$work/remote.git"
git -C "$repo" remote add origin "$work/remote.git"
git -C "$repo" push -q origin main
cat >"$repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: dbguard
      - id: dbguard-all
YAML
git -C "$repo" add .pre-commit-config.yaml
git -C "$repo" commit -q -m "pre-commit config" --no-verify
cd "$repo"
"$pc" install -t pre-commit -t pre-push >/dev/null
"$pc" install-hooks

printf 'x' >"$repo/data.db"
git -C "$repo" add -f data.db
before=$(git -C "$repo" rev-parse HEAD)
cd "$repo"
expect fail "git commit of a database file is refused by the hook" "data.db" -- \
  git commit -m "add data"
if [ "$(git -C "$repo" rev-parse HEAD)" = "$before" ]; then
  ok "the refused commit was not made"
else
  not_ok "the refused commit was made"
fi
git -C "$repo" rm -q --cached data.db

printf 'SECRET=1\n' >"$repo/.env"
printf "x = 1\n" >"$repo/app.py"
git -C "$repo" add -f .env
cd "$repo"
expect fail "git commit -a with a staged .env is refused (temporary index)" ".env" -- \
  git commit -a -m "edit"
git -C "$repo" rm -q --cached .env
rm "$repo/.env"

cd "$repo"
expect 0 "an ordinary git commit goes through the hook" "" -- \
  git commit -a -m "edit app"

git -C "$repo" add -f data.db
git -C "$repo" commit -q -m "database bypassing the hook" --no-verify
cd "$repo"
expect fail "git push of a commit holding a database is refused (pre-push)" "data.db" -- \
  git push origin main
cd "$repo"
expect fail "the manual dbguard-all hook checks every tracked file" "data.db" -- \
  "$pc" run dbguard-all --hook-stage manual --all-files

# `pre-commit run` outside `git commit`: the staged changes only (the
# committed database is not staged); `--all-files`: every tracked file.
printf "x = 3\n" >"$repo/app.py"
git -C "$repo" add app.py
cd "$repo"
expect 0 "pre-commit run checks what is staged, not every tracked file" "Passed" -- \
  "$pc" run dbguard
printf 'x' >"$repo/staged.sqlite"
git -C "$repo" add -f staged.sqlite
expect fail "pre-commit run finds a staged database file" "staged.sqlite" -- \
  "$pc" run dbguard
git -C "$repo" rm -q --cached staged.sqlite
expect fail "pre-commit run --all-files checks every tracked file" "data.db" -- \
  "$pc" run dbguard --all-files

echo "pre-commit integration took $((SECONDS - started))s"
echo "pre-commit integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
