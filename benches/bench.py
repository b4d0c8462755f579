#!/usr/bin/env python3
"""dbguard's benchmark harness: times every mode against its baseline,
measures peak memory, and checks the findings against the generator's
answers. `benches/run.sh` installs the tools and calls this script; see
BENCHMARKS.md for the method.

Every timed command runs with its standard output written to a file
(`git log -p` to /dev/null: its output is hundreds of megabytes), and is
measured with os.wait4: wall time around the process, its user and system
CPU time, and its peak resident set size (what `/usr/bin/time -f %M`
prints). Commands that are compared with each other run interleaved
(A B C A B C ...) after one untimed warm-up round, and the medians are
compared, so that a burst of load on a shared machine hits every side.

Exit status: 0 when every answer is right and every target is met, 1 when
a target is missed, 2 when an answer is wrong (a fast wrong answer is a
failure), 3 when the harness itself cannot run.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg):
    log("bench: " + msg)
    sys.exit(3)


# --------------------------------------------------------------------------
# Running and timing


def run_once(cmd, cwd, out, timeout=None):
    """Runs cmd once; returns wall/user/sys seconds, peak RSS (KB), exit code.
    Past `timeout` seconds the command and the processes it started are
    killed and the sample says `stopped` (its times are what it had used)."""
    with open(out, "wb") as f:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=f, stderr=subprocess.DEVNULL, env=ENV,
                             start_new_session=timeout is not None)
        stopped = False
        while True:
            pid, status, ru = os.wait4(p.pid, 0 if timeout is None else os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                os.killpg(p.pid, signal.SIGKILL)
                stopped = True
                _, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "user": ru.ru_utime,
        "sys": ru.ru_stime,
        "rss_kb": ru.ru_maxrss,
        "rc": p.returncode,
        "stopped": stopped,
    }


def interleaved(cmds, repeats, out_dir):
    """cmds: {name: (argv, cwd, allowed exit codes)}. One warm-up round, then
    `repeats` interleaved rounds. Returns {name: [samples]}."""
    samples = {name: [] for name in cmds}
    for rnd in range(repeats + 1):
        for name, (argv, cwd, ok) in cmds.items():
            out = argv_out(out_dir, name, argv)
            s = run_once(argv, cwd, out)
            if s["rc"] not in ok:
                die("%s exited with %d (expected one of %s): %s" % (name, s["rc"], ok, " ".join(map(str, argv))))
            if rnd > 0:
                samples[name].append(s)
        # Long series (staged mode) log about seven of their rounds.
        if rnd > 0 and (rnd % max(1, repeats // 7) == 0 or rnd == repeats):
            log("  round %d/%d: %s" % (rnd, repeats, ", ".join("%s %.3fs" % (n, samples[n][-1]["wall"]) for n in cmds)))
    return samples


def argv_out(out_dir, name, argv):
    if argv[:2] == ["git", "log"]:
        return os.devnull
    return out_dir / (re.sub(r"[^\w.-]+", "_", name) + ".out")


def med(samples, key="wall"):
    return statistics.median(s[key] for s in samples)


def summary(samples):
    return {
        "wall": med(samples),
        "user": med(samples, "user"),
        "sys": med(samples, "sys"),
        "cores": med(samples, "user") / med(samples) + med(samples, "sys") / med(samples),
        "rss_mb": max(s["rss_kb"] for s in samples) / 1024,
        "runs": len(samples),
    }


# --------------------------------------------------------------------------
# The repositories


def generate(dest, files, commits, seed):
    answers = Path(str(dest) + ".answers.json")
    if dest.exists() and answers.exists():
        return json.loads(answers.read_text())
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    log("generating %s (%d files, %d commits, seed %d)" % (dest, files, commits, seed))
    subprocess.run(
        [sys.executable, str(ROOT / "benches" / "gen_repo.py"), str(dest),
         "--files", str(files), "--commits", str(commits), "--seed", str(seed)],
        check=True, env=ENV,
    )
    return json.loads(answers.read_text())


def git(repo, *args, capture=False):
    r = subprocess.run(["git", *args], cwd=repo, check=True, env=ENV,
                       stdout=subprocess.PIPE if capture else None)
    return r.stdout.decode() if capture else None


def new_secret(n=20):
    # Deterministic, and not the kind of value a placeholder check accepts.
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[(i * 7919 + 13) % len(alphabet)] for i in range(n))


STAGED_NEW_FILE = "backend/app/settings_local.py"


def stage_five(repo):
    """Stages 5 files: 4 tracked files edited (2 Python, 1 JS, 1 YAML) and
    one new Python file holding a credential on line 2. Returns the
    expected finding."""
    restore(repo)
    tracked = git(repo, "ls-files", capture=True).split("\n")
    picks = []
    for ext, n in ((".py", 2), (".js", 1), (".yaml", 1)):
        picks += [p for p in tracked if p.endswith(ext) and p.startswith("src/")][:n]
    for p in picks:
        with open(repo / p, "a") as f:
            f.write("# edited for the benchmark\n")
    new = repo / STAGED_NEW_FILE
    new.write_text('"""Local settings."""\nDATABASE_URL = "postgresql://app:%s@db.internal/app"\n' % new_secret())
    git(repo, "add", "--", *picks, STAGED_NEW_FILE)
    return [("credential", STAGED_NEW_FILE, 2)]


def restore(repo):
    if not (repo / ".git").is_dir():
        die("%s is not a generated repository" % repo)
    git(repo, "reset", "-q", "--hard", "HEAD")
    new = repo / STAGED_NEW_FILE
    if new.exists():
        new.unlink()


def keywords():
    """The keyword set of dbguard's credential prefilter (`keywords` and
    `also` words), read from rules/credentials.yaml (the file dbguard
    embeds)."""
    words = []
    for line in (ROOT / "rules" / "credentials.yaml").read_text().splitlines():
        m = re.match(r"\s*(?:keywords|also):\s*\[(.*)\]\s*$", line)
        if not m:
            continue
        for q1, q2, bare in re.findall(r'"([^"]*)"|\'([^\']*)\'|([^,\s][^,]*)', m.group(1)):
            # Quoted keywords keep their blanks ("env "); YAML's double
            # quotes spell a tab "\t".
            w = (q1.replace("\\t", "\t") if q1 else q2 or bare.strip()).lower()
            if w and w not in words:
                words.append(w)
    if len(words) < 10:
        die("could not read the keywords from rules/credentials.yaml")
    return words


# --------------------------------------------------------------------------
# Answers


def findings(path):
    try:
        return json.loads(Path(path).read_text())["findings"]
    except (OSError, ValueError, KeyError) as e:
        die("cannot read dbguard's JSON report %s: %s" % (path, e))


def expected_tree(answers):
    exp = {("credential", a["path"], a["line"]): a for a in answers["credentials"]}
    exp[("db-file", answers["database"], None)] = {}
    exp[("env-file", answers["env_file"], None)] = {}
    # The repository has no .gitignore at all: the warning is right.
    exp[("db-gitignore", ".gitignore", None)] = {}
    for a in answers.get("sql_injection", []):
        exp[("sql-injection", a["path"], a["line"])] = a
    return exp


def check_answers(label, got, expected, with_commits=False):
    """Every expected finding present (with its kind and commit), nothing
    else. Returns a list of error strings."""
    errors = []
    seen = {}
    for f in got:
        key = (f["rule"], f["path"], f["line"])
        seen.setdefault(key, []).append(f)
    for key, a in expected.items():
        fs = seen.get(key)
        if not fs:
            errors.append("%s: missing %s at %s:%s" % (label, key[0], key[1], key[2]))
            continue
        if a.get("kind") and not any(f.get("kind") == a["kind"] for f in fs):
            errors.append("%s: %s:%s reported as %s, expected kind %s" % (label, key[1], key[2], [f.get("kind") for f in fs], a["kind"]))
        if with_commits and a.get("commit") and not any(f.get("commit") == a["commit"] for f in fs):
            errors.append("%s: %s:%s reported at commit %s, expected %s" % (label, key[1], key[2], [f.get("commit") for f in fs], a["commit"]))
    for key, fs in seen.items():
        if key not in expected:
            errors.append("%s: unexpected %s at %s:%s (%s)" % (label, key[0], key[1], key[2], fs[0].get("message")))
    return errors


def competitor_findings(name, out):
    """(number of findings, set of (path, line)) from a competitor's report."""
    try:
        text = Path(out).read_text()
    except OSError:
        return 0, set()
    locs = set()
    n = 0
    try:
        if name.startswith("gitleaks"):
            data = json.loads(text or "[]")
            n = len(data)
            locs = {(d.get("File", ""), d.get("StartLine")) for d in data}
        elif name.startswith("detect-secrets"):
            data = json.loads(text)
            for path, items in data.get("results", {}).items():
                n += len(items)
                locs |= {(path, i.get("line_number")) for i in items}
        elif name.startswith("kingfisher"):
            data = json.loads(text)
            items = data.get("findings", data) if isinstance(data, dict) else data
            for it in items if isinstance(items, list) else []:
                n += 1
                loc = it.get("finding", it)
                path = loc.get("path") or loc.get("file") or ""
                line = loc.get("line") or loc.get("start_line")
                locs.add((path, line))
    except ValueError:
        return 0, set()
    return n, locs


def recall(locs, answers, repo):
    """How many planted credentials a competitor found (path and line)."""
    norm = set()
    for path, line in locs:
        p = str(path)
        if p.startswith(str(repo)):
            p = os.path.relpath(p, repo)
        norm.add((p.lstrip("./") if p.startswith("./") else p, line))
    return sum(1 for a in answers["credentials"] if (a["path"], a["line"]) in norm)


# --------------------------------------------------------------------------


def machine():
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "load": os.getloadavg()}


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=60)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


ENV = dict(os.environ)
for k in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GITHUB_ACTIONS"):
    ENV.pop(k, None)
ENV.update({"NO_COLOR": "1", "GIT_PAGER": "cat", "PAGER": "cat", "LC_ALL": "C"})


def fence(work):
    """git never looks above the benchmark's own directory for a repository:
    a command meant for a generated repository must not reach the project's
    (a `git reset --hard` there would lose work)."""
    ENV["GIT_CEILING_DIRECTORIES"] = str(Path(work).resolve())


def real_history(args):
    """`--repo PATH --range A..B`: dbguard --range against `git log -p` over
    the same commits of a real repository, interleaved, every rule on (an
    empty configuration, whatever the repository's own says). The JSON
    report is kept (its SHA-256 printed) so that two builds can be shown to
    find the same things. Returns the exit status: 0 within the targets
    (1.2x git log -p, 100 MB), 1 outside them."""
    repo = Path(args.repo).resolve()
    work = Path(args.work).resolve()
    out_dir = work / "out-real" / repo.name
    out_dir.mkdir(parents=True, exist_ok=True)
    dbguard = args.dbguard
    if not os.access(dbguard, os.X_OK):
        die("no dbguard binary at %s (cargo build --release)" % dbguard)
    empty = out_dir / "empty.dbguard.yaml"
    empty.write_text("{}\n")
    commits = int(subprocess.run(["git", "rev-list", "--count", args.range], cwd=repo, env=ENV,
                                 capture_output=True, text=True, check=True).stdout)
    machine_ = machine()
    log("%s: %d commits in %s; %d interleaved runs" % (repo.name, commits, args.range, args.repeats))
    smp = interleaved({
        "git log -p": (["git", "log", "-p", args.range], repo, (0,)),
        "dbguard --range": ([dbguard, "check", "--range", args.range, "--format", "json",
                             "--config", str(empty)], repo, (0, 1)),
    }, args.repeats, out_dir)
    res = {k: summary(v) for k, v in smp.items()}
    report = out_dir / "dbguard_--range.out"
    doc = json.loads(report.read_bytes())
    digest = hashlib.sha256(report.read_bytes()).hexdigest()[:16]
    ratio = res["dbguard --range"]["wall"] / res["git log -p"]["wall"]
    peak = res["dbguard --range"]["rss_mb"]
    print("machine: %s cores, %s, %s, load average %s" % (
        machine_["nproc"], machine_["cpu"], machine_["memory"], " ".join("%.1f" % x for x in machine_["load"])))
    print("| history | commits | dbguard --range (s) | git log -p (s) | ratio | user (s), dbguard / git | peak RSS (MB) | findings | JSON sha256 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print("| %s %s | %d | %.2f | %.2f | %.2fx | %.2f / %.2f | %.0f | %d | %s |" % (
        repo.name, args.range, commits, res["dbguard --range"]["wall"], res["git log -p"]["wall"],
        ratio, res["dbguard --range"]["user"], res["git log -p"]["user"], peak, len(doc["findings"]), digest))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(results=res, commits=commits, sha256=digest,
                                                   findings=len(doc["findings"]), machine=machine_), indent=1))
    return 0 if ratio <= 1.2 and peak <= 100 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--repeats", type=int, default=7, help="timed rounds per comparison (median)")
    ap.add_argument("--staged-repeats", type=int, default=61,
                    help="timed rounds for staged mode: its runs take ~40 ms, and the median of 7 "
                         "moved by 20%% between runs on a shared machine")
    ap.add_argument("--competitor-repeats", type=int, default=1)
    ap.add_argument("--competitor-timeout", type=float, default=600,
                    help="seconds after which a competitor's run is stopped (its time is then a lower bound)")
    ap.add_argument("--answers-only", action="store_true", help="check findings, time nothing (CI)")
    ap.add_argument("--no-competitors", action="store_true")
    ap.add_argument("--dbguard", default=str(ROOT / "target" / "release" / "dbguard"))
    ap.add_argument("--tools", default=str(ROOT / "target" / "bench" / "venv" / "bin"), help="where gitleaks, kingfisher and detect-secrets are")
    ap.add_argument("--work", default=str(ROOT / "target" / "bench"))
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--repo", help="time --range on this repository instead of the generated one "
                                   "(every rule on, against `git log -p` over the same commits)")
    ap.add_argument("--range", default="HEAD", help="with --repo: the range to check (A..B, or a "
                                                     "revision for its whole history)")
    args = ap.parse_args()
    if args.repo:
        sys.exit(real_history(args))

    work = Path(args.work).resolve()
    out_dir = work / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    fence(work)
    dbguard = args.dbguard
    if not os.access(dbguard, os.X_OK):
        die("no dbguard binary at %s (cargo build --release)" % dbguard)
    # Cached by seed, size and the generator's own text.
    gen = hashlib.sha1((ROOT / "benches" / "gen_repo.py").read_bytes()).hexdigest()[:10]
    big = work / ("repo-%d-%d-%d-%s" % (args.seed, args.files, args.commits, gen))
    small = work / ("repo-%d-100-10-%s" % (args.seed, gen))
    answers = generate(big, args.files, args.commits, args.seed)
    small_answers = generate(small, 100, 10, args.seed)
    errors = []
    results = {"machine": machine(), "files": args.files, "commits": args.commits, "seed": args.seed}
    log("machine: %(nproc)s cores, %(cpu)s, %(memory)s, load %(load)s" % results["machine"])

    # ---- answers: --all, --range, staged (also run by CI at a small size)
    def check_json(label, repo, argv, expected, with_commits=False):
        out = out_dir / (label + ".json")
        s = run_once([dbguard, "check", "--format", "json", *argv], repo, out)
        if s["rc"] not in (0, 1):
            errors.append("%s: dbguard exited with %d" % (label, s["rc"]))
            return
        errors.extend(check_answers(label, findings(out), expected, with_commits))

    restore(big)
    restore(small)
    check_json("all", big, ["--all"], expected_tree(answers))
    exp_range = expected_tree(answers)
    for a in answers["removed_credentials"]:
        exp_range[("credential", a["path"], a["line"])] = a
    check_json("range", big, ["--range", "HEAD"], exp_range, with_commits=True)
    staged_expected = {k: {} for k in stage_five(big)}
    check_json("staged", big, [], staged_expected)
    small_expected = {k: {} for k in stage_five(small)}
    check_json("staged-small", small, [], small_expected)
    if errors:
        for e in errors:
            log("WRONG: " + e)
    else:
        log("answers: every planted problem found, nothing else reported")
    results["answer_errors"] = errors
    if args.answers_only:
        restore(big)
        restore(small)
        sys.exit(2 if errors else 0)

    # ---- timings
    rep = args.repeats
    checks = []  # (label, measured, limit[, "min"]): at most the limit unless "min"
    log("staged mode: 5 files staged")
    st = interleaved({
        "git diff --cached": (["git", "diff", "--cached", "--name-status"], big, (0,)),
        "dbguard staged": ([dbguard, "check", "--format", "json"], big, (1,)),
        "dbguard staged (100 files)": ([dbguard, "check", "--format", "json"], small, (1,)),
    }, args.staged_repeats, out_dir)
    restore(big)
    restore(small)
    results["staged"] = {k: summary(v) for k, v in st.items()}
    s = results["staged"]
    checks.append(("staged / git diff --cached", s["dbguard staged"]["wall"] / s["git diff --cached"]["wall"], 1.5))
    checks.append(("staged / staged on 100 files", s["dbguard staged"]["wall"] / s["dbguard staged (100 files)"]["wall"], 2.0))

    kw_file = work / "keywords.txt"
    kw_file.write_text("\n".join(keywords()) + "\n")
    rg = shutil.which("rg") or die("ripgrep (rg) is not installed")
    log("--all: %d keywords" % len(keywords()))
    al = interleaved({
        "rg": ([rg, "--ignore-case", "--fixed-strings", "--file", str(kw_file), "--no-messages", "."], big, (0, 1)),
        "dbguard --all": ([dbguard, "check", "--all", "--format", "json"], big, (1,)),
    }, rep, out_dir)
    results["all"] = {k: summary(v) for k, v in al.items()}
    a = results["all"]
    checks.append(("--all / rg", a["dbguard --all"]["wall"] / a["rg"]["wall"], 1.5))
    checks.append(("--all cores used (CPU time / wall time, at least)", a["dbguard --all"]["cores"], 1.5, "min"))

    log("--range over the whole history")
    rg_ = interleaved({
        "git log -p": (["git", "log", "-p", "HEAD"], big, (0,)),
        "dbguard --range": ([dbguard, "check", "--range", "HEAD", "--format", "json"], big, (1,)),
    }, rep, out_dir)
    results["range"] = {k: summary(v) for k, v in rg_.items()}
    r = results["range"]
    checks.append(("--range / git log -p", r["dbguard --range"]["wall"] / r["git log -p"]["wall"], 1.2))

    peak = max(results[m][k]["rss_mb"] for m in ("staged", "all", "range") for k in results[m] if k.startswith("dbguard"))
    checks.append(("peak memory of any mode (MB)", peak, 100.0))

    # ---- competitors
    if not args.no_competitors:
        tools = Path(args.tools)
        comp = {}
        for name, argv in (
            ("gitleaks dir", [str(tools / "gitleaks"), "dir", ".", "--no-banner", "--log-level", "error", "--exit-code", "0", "--report-format", "json", "--report-path", str(out_dir / "gitleaks_dir.json")]),
            ("gitleaks git", [str(tools / "gitleaks"), "git", ".", "--no-banner", "--log-level", "error", "--exit-code", "0", "--report-format", "json", "--report-path", str(out_dir / "gitleaks_git.json")]),
            ("kingfisher tree", [str(tools / "kingfisher"), "scan", ".", "--git-history", "none", "--no-validate", "--no-update-check", "--format", "json", "--output", str(out_dir / "kingfisher_tree.json")]),
            ("kingfisher history", [str(tools / "kingfisher"), "scan", ".", "--git-history", "full", "--no-validate", "--no-update-check", "--format", "json", "--output", str(out_dir / "kingfisher_history.json")]),
            ("detect-secrets tree", [str(tools / "detect-secrets"), "scan"]),
        ):
            if not os.access(argv[0], os.X_OK):
                errors.append("competitor %s is not installed at %s" % (name, argv[0]))
                continue
            log("competitor: %s" % name)
            # One untimed warm-up, then the timed rounds; a competitor that
            # runs past --competitor-timeout is stopped and not run again
            # (detect-secrets needs tens of minutes per run).
            smp = []
            for rnd in range(args.competitor_repeats + 1):
                sample = run_once(argv, big, argv_out(out_dir, name, argv), args.competitor_timeout)
                if sample["stopped"]:
                    smp = [sample]
                    log("  stopped after %.0fs" % sample["wall"])
                    break
                if sample["rc"] not in (0, 1, 200):
                    die("%s exited with %d: %s" % (name, sample["rc"], " ".join(argv)))
                if rnd > 0:
                    smp.append(sample)
                    log("  round %d/%d: %s %.3fs" % (rnd, args.competitor_repeats, name, sample["wall"]))
            report = {"gitleaks dir": "gitleaks_dir.json", "gitleaks git": "gitleaks_git.json",
                      "kingfisher tree": "kingfisher_tree.json", "kingfisher history": "kingfisher_history.json",
                      "detect-secrets tree": "detect-secrets_tree.out"}[name]
            stopped = smp[0]["stopped"]
            n, locs = (0, set()) if stopped else competitor_findings(name, out_dir / report)
            comp[name] = dict(summary(smp), findings=n, planted_found=recall(locs, answers, big), stopped=stopped)
        results["competitors"] = comp
        ours = {"tree": a["dbguard --all"]["wall"], "history": r["dbguard --range"]["wall"]}
        for name, c in comp.items():
            side = "history" if name.endswith(("git", "history")) else "tree"
            checks.append(("dbguard / %s" % name, ours[side] / c["wall"], 1.0))

    # ---- report
    results["checks"] = [
        {"what": c[0], "measured": c[1], "limit": c[2], "ok": c[1] >= c[2] if c[3:] == ("min",) else c[1] <= c[2]}
        for c in checks
    ]
    results["machine"]["load_after"] = os.getloadavg()
    print()
    print("machine: %(nproc)s cores, %(cpu)s, %(memory)s; load average before %(load)s, after %(load_after)s" % {
        **results["machine"],
        "load": "%.1f %.1f %.1f" % tuple(results["machine"]["load"]),
        "load_after": "%.1f %.1f %.1f" % tuple(results["machine"]["load_after"])})
    print("repository: %d files, %d commits (seed %d); medians of %d interleaved runs (staged: %d)"
          % (args.files, args.commits, args.seed, rep, args.staged_repeats))
    print()
    print("| command | wall (s) | user (s) | sys (s) | cores | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode in ("staged", "all", "range", "competitors"):
        for k, v in results.get(mode, {}).items():
            if v.get("stopped"):
                # A stopped run's time is a lower bound of the real one.
                print("| %s | > %.0f (stopped) | | | | |" % (k, v["wall"]))
                continue
            print("| %s | %.3f | %.3f | %.3f | %.2f | %.1f |" % (k, v["wall"], v["user"], v["sys"], v["cores"], v["rss_mb"]))
    if results.get("competitors"):
        print()
        print("| competitor | findings | planted credentials found (of %d) |" % len(answers["credentials"]))
        print("|---|---:|---:|")
        for k, v in results["competitors"].items():
            if v.get("stopped"):
                print("| %s | (stopped) | (stopped) |" % k)
                continue
            print("| %s | %d | %d |" % (k, v["findings"], v["planted_found"]))
    print()
    print("| target | measured | limit | |")
    print("|---|---:|---:|---|")
    for c in results["checks"]:
        print("| %s | %.2f | %.2f | %s |" % (c["what"], c["measured"], c["limit"], "ok" if c["ok"] else "MISSED"))
    print()
    print("answers: %s" % ("all right" if not errors else "%d WRONG" % len(errors)))
    for e in errors:
        print("  " + e)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if errors:
        sys.exit(2)
    sys.exit(0 if all(c["ok"] for c in results["checks"]) else 1)


if __name__ == "__main__":
    main()
