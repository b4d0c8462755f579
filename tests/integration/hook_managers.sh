#!/usr/bin/env bash
# The README's hook set-ups for lefthook, husky and a plain git hook work
# as written: each refuses a commit with a staged database file and lets an
# ordinary commit through. lefthook and husky come from npm, installed into
# a temporary directory; everything happens there, and the script checks
# that the clone it runs in is left as it was. (pre-commit has its own
# script: pre_commit.sh.)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

cargo build --locked --release --quiet
bin_dir="${CARGO_TARGET_DIR:-$root/target}/release"
export PATH="$bin_dir:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What this clone looks like before: the script works in $work only.
hooks_dir=$(git rev-parse --path-format=absolute --git-path hooks)
clone_state() {
  git -C "$root" status --porcelain --untracked-files=all
  ls -A "$hooks_dir" 2>/dev/null || true
}
clone_before=$(clone_state)

echo "installing lefthook and husky from npm"
# lefthook's npm postinstall runs `lefthook install` in the directory npm
# was started from (outside CI): started from $work, with the scripts off
# (the binaries come with the packages), it touches no repository.
(cd "$work" && npm install --prefix "$work/npm" --no-audit --no-fund --loglevel=error \
  --ignore-scripts lefthook@1 husky@9 >/dev/null)
npm_bin="$work/npm/node_modules/.bin"
# The hooks lefthook writes find it on PATH, as after a global install.
export PATH="$npm_bin:$PATH"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GITHUB_ACTIONS
git config --global user.name Test
git config --global user.email test@example.com
git config --global init.defaultBranch main
git config --global commit.gpgsign false

passed=0
failed=0
# check NAME DIR: a staged database file is refused, an ordinary file is not.
check() {
  local name=$1 dir=$2 before
  printf 'x' >"$dir/app.db"
  git -C "$dir" add -f app.db
  before=$(git -C "$dir" rev-parse HEAD)
  if (cd "$dir" && git commit -q -m "add a database") >"$work/out" 2>&1 ||
    [ "$(git -C "$dir" rev-parse HEAD)" != "$before" ] ||
    ! grep -q "app.db" "$work/out"; then
    failed=$((failed + 1))
    echo "NOT OK: $name let a database file be committed:" >&2
    sed 's/^/    /' "$work/out" >&2
  else
    passed=$((passed + 1))
    echo "ok: $name refuses a staged database file"
  fi
  git -C "$dir" rm -q --cached app.db
  printf "y = 2\n" >"$dir/calc.py"
  git -C "$dir" add calc.py
  if (cd "$dir" && git commit -q -m "ordinary change") >"$work/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name lets an ordinary commit through"
  else
    failed=$((failed + 1))
    echo "NOT OK: $name refused an ordinary commit:" >&2
    sed 's/^/    /' "$work/out" >&2
  fi
}

new_repo() {
  git init -q "$1"
  printf '*.db\n' >"$1/.gitignore"
  printf "x = 1\n" >"$1/app.py"
  git -C "$1" add .gitignore app.py
  git -C "$1" commit -q -m initial --no-verify
}

# lefthook: lefthook.yml as in the README.
repo=$work/lefthook
new_repo "$repo"
cat >"$repo/lefthook.yml" <<'YAML'
pre-commit:
  commands:
    dbguard:
      run: dbguard check
YAML
(cd "$repo" && "$npm_bin/lefthook" install >/dev/null)
check lefthook "$repo"

# husky: `husky` sets core.hooksPath; .husky/pre-commit as in the README.
repo=$work/husky
new_repo "$repo"
printf '{"name": "x", "version": "1.0.0", "private": true}\n' >"$repo/package.json"
(cd "$repo" && "$npm_bin/husky" >/dev/null)
printf 'dbguard check\n' >"$repo/.husky/pre-commit"
check husky "$repo"

# A plain git hook, the README's two lines.
repo=$work/plain
new_repo "$repo"
printf '#!/bin/sh\nexec dbguard check\n' >"$repo/.git/hooks/pre-commit"
chmod +x "$repo/.git/hooks/pre-commit"
check "plain git hook" "$repo"

if [ "$(clone_state)" = "$clone_before" ]; then
  passed=$((passed + 1))
  echo "ok: the clone the script runs in is left as it was"
else
  failed=$((failed + 1))
  echo "NOT OK: the script changed the clone it runs in:" >&2
  diff <(printf '%s\n' "$clone_before") <(clone_state) | sed 's/^/    /' >&2
fi

echo "hook managers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
