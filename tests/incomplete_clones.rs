//! `--range` on clones that do not hold their whole history (issue 26):
//! partial clones fetch what they lack the way git does, blobs nobody can
//! supply are named without ending the run, and a shallow clone says how
//! to get the commits it does not have.

mod common;

use std::path::Path;

use common::{Run, TestRepo};

/// A history worth checking: a committed `.env` with a password, a
/// Python file renamed with an edit (rename detection reads both blobs),
/// and a second credential in a later commit.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.git(&["config", "uploadpack.allowFilter", "true"]);
    let pw = ["s3cr", "etpw"].concat();
    repo.stage(
        ".env",
        format!("DATABASE_URL=postgresql://app:{pw}@db/app\n"),
    );
    repo.stage("app/a.py", "x = 1\ny = 2\nz = 3\nw = 4\n");
    repo.commit("one");
    repo.git(&["mv", "app/a.py", "app/b.py"]);
    repo.stage("app/b.py", "x = 1\ny = 2\nz = 3\nw = 4\nv = 5\n");
    repo.commit("two: rename with an edit");
    repo.stage(
        "config.py",
        format!("URL = \"mysql://root:{pw}@localhost/app\"\n"),
    );
    repo.commit("three");
    repo
}

/// `git clone ARGS file://<repo> <dest>` with the test's isolation.
fn clone(repo: &TestRepo, args: &[&str], dest: &Path) {
    let url = format!("file://{}", repo.path().display());
    let mut all = vec!["clone", "-q"];
    all.extend_from_slice(args);
    all.push(&url);
    let dest = dest.to_str().unwrap();
    all.push(dest);
    let out = repo.git_cmd(&all).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> String {
    let out = repo.git_cmd(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Objects of `HEAD`'s history the clone at `dir` does not hold.
fn missing(repo: &TestRepo, dir: &Path) -> usize {
    git_in(
        repo,
        dir,
        &["rev-list", "--objects", "--missing=print", "HEAD"],
    )
    .lines()
    .filter(|l| l.starts_with('?'))
    .count()
}

fn range_json(repo: &TestRepo, dir: &Path, range: &str) -> Run {
    repo.dbguard_in(dir, &["check", "--format", "json", "--range", range], &[])
}

#[test]
fn issue_26_a_partial_clone_fetches_its_missing_blobs_and_finds_what_a_full_clone_finds() {
    let repo = history();
    let full = range_json(&repo, repo.path(), "HEAD");
    assert_eq!(full.code, 1, "{}", full.stderr);
    let dir = tempfile::tempdir().unwrap();
    let clone_dir = dir.path().join("partial");
    clone(&repo, &["--filter=blob:none", "--no-checkout"], &clone_dir);
    assert!(missing(&repo, &clone_dir) > 0, "the clone must lack blobs");

    let partial = range_json(&repo, &clone_dir, "HEAD");
    assert_eq!(partial.code, 1, "{}", partial.stderr);
    // Byte for byte what the full clone reports, renames included.
    assert_eq!(partial.stdout, full.stdout);
    assert!(partial.stderr.contains("fetching"), "{}", partial.stderr);
    assert_eq!(missing(&repo, &clone_dir), 0, "fetched into the clone");
    // A second run has nothing left to fetch.
    let again = range_json(&repo, &clone_dir, "HEAD");
    assert_eq!((again.code, again.stderr.as_str()), (1, ""));
}

#[test]
fn issue_26_blobs_nobody_can_supply_are_named_and_the_history_is_still_checked_to_its_end() {
    let repo = history();
    let dir = tempfile::tempdir().unwrap();
    let clone_dir = dir.path().join("partial");
    clone(&repo, &["--filter=blob:none", "--no-checkout"], &clone_dir);
    // The promisor remote is gone.
    git_in(
        &repo,
        &clone_dir,
        &["remote", "set-url", "origin", "/nonexistent/repo"],
    );
    // A commit made in the clone, whose blobs are here: it is checked.
    let pw = ["hun", "ter22"].concat();
    std::fs::write(
        clone_dir.join("settings.py"),
        format!("DB = \"postgresql://u:{pw}@db/x\"\n"),
    )
    .unwrap();
    git_in(&repo, &clone_dir, &["add", "settings.py"]);
    git_in(
        &repo,
        &clone_dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-q",
            "-m",
            "four",
        ],
    );

    let run = range_json(&repo, &clone_dir, "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc = run.json();
    // Checks by name still report the unreadable `.env`; the readable
    // commit's credential is found.
    let found = run.findings();
    assert!(
        found.contains(&("env-file".into(), ".env".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("credential".into(), "settings.py".into())),
        "{found:?}"
    );
    // .env, app/a.py, app/b.py and config.py could not be read.
    assert_eq!(doc["summary"]["unread_files"], 4, "{doc}");
    let first = git_in(&repo, &clone_dir, &["rev-list", "--max-parents=0", "HEAD"]);
    for path in [".env", "app/a.py", "app/b.py", "config.py"] {
        assert!(
            run.stderr
                .contains(&format!("cannot read {path} at commit ")),
            "{path} not named: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .contains(&format!("cannot read .env at commit {}", &first[..12]))
    );
    assert!(
        run.stderr.contains("cannot fetch missing objects"),
        "{}",
        run.stderr
    );
    // The cause, not the range.
    assert!(!run.stderr.contains("bad range"), "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap();
    assert!(last.contains("4 files could not be read"), "{last}");

    // The text report says so in its summary.
    let text = repo.dbguard_in(&clone_dir, &["check", "--range", "HEAD"], &[]);
    assert_eq!(text.code, 2);
    assert!(
        text.stdout.contains("4 files could not be read"),
        "{}",
        text.stdout
    );
}

#[test]
fn issue_26_a_snapshot_missing_a_loose_blob_is_scanned_to_its_end() {
    let repo = history();
    // No promisor: the object is simply gone (a copied snapshot).
    let blob = repo.git(&["rev-parse", "HEAD:config.py"]);
    let blob = blob.trim();
    let loose = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(&loose).expect("loose object");
    let run = range_json(&repo, repo.path(), "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["unread_files"], 1);
    // The earlier commits were checked as usual.
    let found = run.findings();
    assert!(
        found.contains(&("credential".into(), ".env".into())),
        "{found:?}"
    );
    assert!(
        run.stderr.contains("cannot read config.py at commit "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(blob), "{}", run.stderr);
}

#[test]
fn issue_26_a_shallow_clone_says_how_to_fetch_the_history_a_range_needs() {
    let repo = history();
    repo.git(&["branch", "old", "HEAD~1"]);
    let dir = tempfile::tempdir().unwrap();
    let shallow = dir.path().join("shallow");
    // Each branch at depth 1: `old` is here, its parent and HEAD's are not.
    clone(&repo, &["--depth", "1", "--no-single-branch"], &shallow);
    for range in ["HEAD~1..HEAD", "origin/old..HEAD", "origin/old...HEAD"] {
        let run = repo.dbguard_in(&shallow, &["check", "--range", range], &[]);
        assert_eq!(run.code, 2, "{range}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{range}: {}", run.stderr);
        assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("`{range}`")), "{}", run.stderr);
        assert!(
            run.stderr.contains("git fetch --unshallow"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    // The whole history the clone has is checked as before, with one
    // line that says where it starts.
    let run = range_json(&repo, &shallow, "HEAD");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("shallow clone's history starts at commit"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("git fetch --unshallow"),
        "{}",
        run.stderr
    );
}

#[test]
fn issue_26_a_range_inside_a_shallow_clone_is_checked_as_usual() {
    let repo = history();
    let dir = tempfile::tempdir().unwrap();
    let shallow = dir.path().join("shallow");
    clone(&repo, &["--depth", "2"], &shallow);
    let inside = range_json(&repo, &shallow, "HEAD~1..HEAD");
    let full = range_json(&repo, repo.path(), "HEAD~1..HEAD");
    assert_eq!(
        (inside.code, &inside.stdout, inside.stderr.as_str()),
        (full.code, &full.stdout, "")
    );
}
