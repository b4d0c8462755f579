#!/usr/bin/env bash
# dbguard's SARIF passes the SARIF multitool with GitHub's ingestion rules
# (`validate --rule-kind "Gh;Sarif"`): the JSON schema, the SARIF
# authoring rules and what GitHub code scanning requires. Any error or
# warning it reports fails this script; notes are advice and pass.
#
# Installs @microsoft/sarif-multitool from npm into a temporary directory
# and runs dbguard on scratch repositories with findings of several kinds
# (staged, --all, --range with commits, odd file names, no findings).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

cargo build --locked --release --quiet
dbguard="${CARGO_TARGET_DIR:-$root/target}/release/dbguard"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "installing @microsoft/sarif-multitool from npm"
npm install --prefix "$work/npm" --no-audit --no-fund --loglevel=error \
  @microsoft/sarif-multitool@5 >/dev/null
# The npm package's bin.js hands the arguments to a shell, which splits
# "Gh;Sarif" at the semicolon: run the platform binary it points at.
multitool=$(cd "$work/npm" && node -p "require('@microsoft/sarif-multitool')")
chmod u+x "$multitool"
"$multitool" --version | head -n 1

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GITHUB_ACTIONS
git config --global user.name Test
git config --global user.email test@example.com
git config --global init.defaultBranch main
git config --global core.autocrlf false
git config --global commit.gpgsign false

# Returns non-zero when the multitool reports an error or a warning on $1.
validate() {
  local sarif=$1 out=$work/validation.sarif
  rm -f "$out"
  "$multitool" validate --rule-kind "Gh;Sarif" --log ForceOverwrite \
    -o "$out" "$sarif" >"$work/validate.log" 2>&1 || {
    cat "$work/validate.log"
    echo "the multitool failed on $sarif" >&2
    return 1
  }
  python3 - "$out" "$sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
bad = []
for run in log.get("runs", []):
    for r in run.get("results", []):
        level = r.get("level", "warning")  # SARIF's default level
        if level in ("error", "warning"):
            msg = r.get("message", {})
            bad.append(f"{level} {r.get('ruleId')}: {msg.get('text') or msg.get('arguments')}")
    for n in run.get("invocations", [{}])[0].get("toolExecutionNotifications", []):
        if n.get("level", "warning") in ("error", "warning"):
            bad.append(f"tool: {n.get('message', {}).get('text')}")
for b in bad:
    print(f"{sys.argv[2]}: {b}")
sys.exit(1 if bad else 0)
PY
}

# What the multitool leaves to GitHub's servers: relative URIs, a line,
# a fingerprint per result, and rule references that resolve; and one
# result per finding of the same run in JSON, in the same order.
check_shape() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
findings = json.load(open(sys.argv[2]))["findings"]
minimum = int(sys.argv[3])
run = log["runs"][0]
rules = run["tool"]["driver"]["rules"]
results = run["results"]
assert len(results) == len(findings), f"{len(results)} results for {len(findings)} findings"
assert len(results) >= minimum, f"{len(results)} results, expected at least {minimum}"
for r, f in zip(results, findings):
    assert r["ruleId"] == f["rule"] and r["level"] == f["severity"], (r, f)
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == (f["line"] or 1)
fingerprints = set()
for r in results:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"], r
    loc = r["locations"][0]["physicalLocation"]
    uri = loc["artifactLocation"]["uri"]
    assert not uri.startswith(("/", "file:")) and "\\" not in uri, uri
    assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert loc["region"]["startLine"] >= 1
    fp = r["partialFingerprints"]["dbguardFindingHash/v1"]
    assert fp not in fingerprints, f"duplicate fingerprint {fp}"
    fingerprints.add(fp)
for rule in rules:
    for key in ("shortDescription", "fullDescription", "help"):
        assert rule[key]["text"].strip(), (rule["id"], key)
PY
}

runs=0
sarif_of() { # name, least expected result count, dbguard args...
  local name=$1 expected=$2
  shift 2
  local file="$work/$name.sarif" code=0
  "$dbguard" check --format sarif "$@" >"$file" || code=$?
  if [ "$code" -gt 1 ]; then
    echo "dbguard check $* failed with exit code $code" >&2
    exit 1
  fi
  "$dbguard" check --format json "$@" >"$work/$name.json" || true
  validate "$file"
  check_shape "$file" "$work/$name.json" "$expected"
  runs=$((runs + 1))
  echo "ok: $name ($(grep -c '"ruleId"' "$file") results)"
}

repo=$work/repo
git init -q "$repo"
cd "$repo"
echo "print('hello')" >app.py
git add app.py
git commit -q -m initial

# No findings at all is still a valid log.
sarif_of clean 0 --select db-file

# Staged: database files under odd names, a .env, a real SQLite header.
mkdir -p "data dir" "weird,name" "ünï"
printf 'not really a database' >"data dir/app.db"
printf 'x' >"weird,name/a:b.sqlite3"
printf 'z' >"ünï/tést.db"
printf 'SQLite format 3\0rest' >assets.bin
printf 'A=1\n' >.env
git add -f -- "data dir/app.db" "weird,name/a:b.sqlite3" "ünï/tést.db" assets.bin .env
sarif_of staged 5

# The same files once committed: --all, and --range with a commit id.
git commit -q -m "add data" --no-verify
sarif_of all 5 --all
printf 'y' >second.db
git add -f second.db
git commit -q -m "another database" --no-verify
sarif_of range 6 --range HEAD~2..HEAD

# The validator is really applying GitHub's rules: a log without help,
# region and fingerprints must be refused.
python3 - "$work/staged.sarif" "$work/broken.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
del run["tool"]["driver"]["rules"][0]["help"]
del run["results"][0]["locations"][0]["physicalLocation"]["region"]
json.dump(log, open(sys.argv[2], "w"), indent=1)
PY
if validate "$work/broken.sarif" >/dev/null; then
  echo "the multitool accepted a log GitHub would refuse: the check proves nothing" >&2
  exit 1
fi
echo "ok: a broken log is refused"

echo "SARIF integration: $runs passed, 0 failed"
