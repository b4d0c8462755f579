# Shared by the integration scripts that drive real git commits through
# hooks (pre_commit.sh, wheel.sh): an isolated git configuration, pass/fail
# counting and the `expect` check. Sourced, never run (the CI loop runs
# tests/integration/*.sh only). Needs $work, a temporary folder.

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GITHUB_ACTIONS PRE_COMMIT
git config --global user.name Test
git config --global user.email test@example.com
git config --global init.defaultBranch main
git config --global core.autocrlf false
git config --global commit.gpgsign false

passed=0
failed=0
ok() {
  passed=$((passed + 1))
  echo "ok: $*"
}
not_ok() {
  failed=$((failed + 1))
  echo "NOT OK: $*" >&2
}

# expect CODE NAME PATTERN -- COMMAND...: runs COMMAND, which must exit with
# CODE (a number, or "fail" for any non-zero) and print PATTERN (may be empty).
expect() {
  local want=$1 name=$2 pattern=$3
  shift 4
  local code=0
  "$@" >"$work/out" 2>&1 || code=$?
  local good=1
  if [ "$want" = fail ]; then
    [ "$code" -ne 0 ] || good=0
  else
    [ "$code" -eq "$want" ] || good=0
  fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$work/out"; then
    good=0
  fi
  if [ "$good" = 1 ]; then
    ok "$name"
  else
    not_ok "$name (exit code $code, wanted $want and output matching '$pattern'):"
    sed 's/^/    /' "$work/out" >&2
  fi
}

# new_repo DIR: a repository with one ordinary committed file.
new_repo() {
  local dir=$1
  git init -q "$dir"
  printf '*.pyc\n' >"$dir/.gitignore"
  printf "print('hello')\n" >"$dir/app.py"
  git -C "$dir" add .gitignore app.py
  git -C "$dir" commit -q -m initial --no-verify
}
