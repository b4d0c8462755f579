//! Every odd state a repository can be in when a developer commits: dbguard
//! must answer correctly or fail with one clear line, never crash.

mod common;

use std::path::Path;

use common::{Run, TestRepo, sqlite_bytes};

fn db_findings(run: &Run) -> Vec<String> {
    run.findings()
        .into_iter()
        .filter(|(rule, _)| rule == "db-file")
        .map(|(_, path)| path)
        .collect()
}

fn assert_clean_failure(run: &Run, needle: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(run.stderr.contains(needle), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn detached_head() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "1\n");
    repo.commit("one");
    repo.stage("b.txt", "2\n");
    repo.commit("two");
    repo.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    repo.stage("app.db", "x");
    let run = repo.check_json(&[]);
    assert_eq!(db_findings(&run), ["app.db"], "{}", run.stderr);
    assert_eq!(repo.check_json(&["--all"]).code, 1);
    let run = repo.check_json(&["--range", "main~1..main"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn merge_in_progress_with_conflicted_entries() {
    let repo = TestRepo::new();
    repo.stage("f.txt", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.stage("f.txt", "other\n");
    repo.commit("other");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("f.txt", "main\n");
    repo.commit("main");
    let merge = repo.git_run(&["merge", "other"]);
    assert_ne!(merge.code, 0, "the merge must conflict");
    // Unmerged entries (stages 1-3) are in the index now.
    assert!(repo.git(&["ls-files", "-u"]).contains("f.txt"));
    repo.stage("app.db", sqlite_bytes());
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(db_findings(&run), ["app.db"]);
    let run = repo.check_json(&["--all"]);
    assert_eq!(db_findings(&run), ["app.db"], "{}", run.stderr);
}

#[test]
fn rebase_in_progress() {
    let repo = TestRepo::new();
    repo.stage("f.txt", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.stage("f.txt", "topic\n");
    repo.commit("topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("f.txt", "main\n");
    repo.commit("main");
    repo.git(&["checkout", "-q", "topic"]);
    let rebase = repo.git_run(&["rebase", "main"]);
    assert_ne!(rebase.code, 0, "the rebase must stop on the conflict");
    assert!(
        repo.path().join(".git/rebase-merge").exists()
            || repo.path().join(".git/rebase-apply").exists()
    );
    repo.stage("app.sqlite3", "x");
    let run = repo.check_json(&[]);
    assert_eq!(db_findings(&run), ["app.sqlite3"], "{}", run.stderr);
}

#[test]
fn linked_worktree() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "1\n");
    repo.commit("one");
    let wt_parent = tempfile::tempdir().unwrap();
    let wt = wt_parent.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    std::fs::write(wt.join("side.db"), "x").unwrap();
    let add = repo.dbguard_in(&wt, &["check"], &[]);
    assert_eq!(
        add.code, 0,
        "nothing staged in the worktree yet: {}",
        add.stderr
    );
    let git_add = std::process::Command::new("git")
        .args(["add", "side.db"])
        .current_dir(&wt)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .status()
        .unwrap();
    assert!(git_add.success());
    let run = repo.dbguard_in(&wt, &["check", "--format", "json"], &[]);
    assert_eq!(db_findings(&run), ["side.db"], "{}", run.stderr);
    // The main worktree's index is separate: nothing staged there.
    assert_eq!(repo.check_json(&[]).findings().len(), 0);
}

#[test]
fn submodule_entries_are_skipped() {
    let sub = TestRepo::new();
    sub.stage("inner.db", "x");
    sub.commit("inner");
    let repo = TestRepo::new();
    repo.stage("a.txt", "1\n");
    repo.commit("one");
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.path().to_str().unwrap(),
        "vendor/sub",
    ]);
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    repo.commit("add submodule");
    let run = repo.check_json(&["--all"]);
    assert_eq!(
        run.code, 0,
        "a submodule's files belong to the submodule: {}",
        run.stdout
    );
    let run = repo.check_json(&["--range", "HEAD~1..HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn sparse_checkout_skips_files_outside_the_cone() {
    let repo = TestRepo::new();
    repo.stage("keep/a.txt", "1\n").stage("away/old.db", "x");
    repo.commit("one");
    repo.git(&["sparse-checkout", "set", "keep"]);
    assert!(!repo.path().join("away/old.db").exists());
    let run = repo.check_json(&["--all"]);
    assert_eq!(
        run.code, 0,
        "files outside the checkout are not on disk: {}",
        run.stdout
    );
    repo.stage("keep/new.db", "x");
    assert_eq!(db_findings(&repo.check_json(&[])), ["keep/new.db"]);
    // Range mode reads history, not the disk.
    let run = repo.check_json(&["--range", "HEAD"]);
    assert_eq!(db_findings(&run), ["away/old.db"], "{}", run.stderr);
}

#[test]
fn all_skips_tracked_files_deleted_from_the_working_tree() {
    let repo = TestRepo::new();
    repo.stage("data/kept.db", "x")
        .stage("data/gone.db", "x")
        .stage("gone.db", "x")
        .stage("kept.db", "x");
    repo.commit("one");
    std::fs::remove_file(repo.path().join("data/gone.db")).unwrap();
    std::fs::remove_file(repo.path().join("gone.db")).unwrap();
    let run = repo.check_json(&["--all"]);
    assert_eq!(
        db_findings(&run),
        ["data/kept.db", "kept.db"],
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone() {
    let origin = TestRepo::new();
    origin.stage("a.txt", "1\n");
    origin.commit("one");
    origin.stage("old.db", "x");
    origin.commit("two");
    origin.stage("b.txt", "3\n");
    origin.commit("three");
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    origin.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let run = origin.dbguard_in(&clone, &["check", "--format", "json", "--all"], &[]);
    assert_eq!(db_findings(&run), ["old.db"], "{}", run.stderr);
    // The whole (shallow) history: the graft commit shows every file as added.
    let run = origin.dbguard_in(
        &clone,
        &["check", "--format", "json", "--range", "HEAD"],
        &[],
    );
    assert_eq!(db_findings(&run), ["old.db"], "{}", run.stderr);
    let run = origin.dbguard_in(&clone, &["check", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A range that reaches past the shallow boundary fails clearly.
    let run = origin.dbguard_in(&clone, &["check", "--range", "HEAD~2..HEAD"], &[]);
    assert_clean_failure(&run, "HEAD~2..HEAD");
}

#[test]
fn bare_repository_is_exit_2_with_a_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.git");
    let repo = TestRepo::new();
    repo.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    let run = repo.dbguard_in(&bare, &["check"], &[]);
    assert_clean_failure(&run, "bare repository");
}

#[test]
fn git_dir_and_work_tree_set_by_a_hook() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    let elsewhere = tempfile::tempdir().unwrap();
    let git_dir = repo.path().join(".git");
    let run = repo.dbguard_in(
        elsewhere.path(),
        &["check", "--format", "json"],
        &[
            ("GIT_DIR", git_dir.to_str().unwrap()),
            ("GIT_WORK_TREE", repo.path().to_str().unwrap()),
        ],
    );
    assert_eq!(db_findings(&run), ["app.db"], "{}", run.stderr);
    // A relative GIT_DIR, as git sets it for hooks run from the root.
    let run = repo.dbguard_in(
        repo.path(),
        &["check", "--format", "json"],
        &[("GIT_DIR", ".git")],
    );
    assert_eq!(db_findings(&run), ["app.db"], "{}", run.stderr);
    let run = repo.dbguard_in(
        elsewhere.path(),
        &["check"],
        &[("GIT_DIR", "/no/such/git/dir")],
    );
    assert_clean_failure(&run, "GIT_DIR");
}

#[test]
fn hooks_path_runs_the_check() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "1\n");
    repo.commit("one");
    common::write_raw_hook(&repo.path().join(".githooks"));
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.stage("app.db", "x");
    let commit = repo.git_run(&["commit", "-m", "db"]);
    assert_ne!(commit.code, 0, "{}{}", commit.stdout, commit.stderr);
    repo.git(&["rm", "-q", "--cached", "app.db"]);
    repo.stage("b.txt", "2\n");
    let commit = repo.git_run(&["commit", "-m", "fine"]);
    assert_eq!(commit.code, 0, "{}{}", commit.stdout, commit.stderr);
}

#[test]
fn unusual_file_names() {
    let repo = TestRepo::new();
    repo.stage("данные/my app.db", "x")
        .stage("with space/.env", "A=1\n");
    let long_dir = (0..12)
        .map(|i| format!("{i:02}{}", "d".repeat(60)))
        .collect::<Vec<_>>()
        .join("/");
    let long = format!("{long_dir}/deep.sqlite");
    repo.stage(&long, "x");
    let run = repo.check_json(&[]);
    let mut got = run.findings();
    got.sort();
    let mut want = vec![
        ("db-file".to_string(), long.clone()),
        ("db-file".to_string(), "данные/my app.db".to_string()),
        ("env-file".to_string(), "with space/.env".to_string()),
        // Staging database files also checks the ignore rules.
        ("db-gitignore".to_string(), ".gitignore".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
    let text = repo.dbguard(&["check"]);
    assert!(text.stdout.contains("данные/my app.db"), "{}", text.stdout);
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_reported_not_crashed_on() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.db");
    std::fs::write(repo.path().join(name), "x").unwrap();
    let status = std::process::Command::new("git")
        .arg("add")
        .arg(name)
        .current_dir(repo.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .status()
        .unwrap();
    assert!(status.success());
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(db_findings(&run), ["caf\u{fffd}.db"]);
    let run = repo.check_json(&["--all"]);
    assert_eq!(db_findings(&run), ["caf\u{fffd}.db"], "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn symlink_named_like_a_database_is_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("real.db");
    std::fs::write(&target, sqlite_bytes()).unwrap();
    let repo = TestRepo::new();
    std::os::unix::fs::symlink(&target, repo.path().join("app.db")).unwrap();
    std::os::unix::fs::symlink(&target, repo.path().join("innocent.bin")).unwrap();
    repo.add(&["app.db", "innocent.bin"]);
    let run = repo.check_json(&[]);
    let v = run.json();
    let f: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "db-file")
        .collect();
    // By name only: the link's target is never read, so innocent.bin
    // (whose target is a real database) is not a database in git.
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["path"], "app.db");
    assert!(f[0]["message"].as_str().unwrap().contains("symlink"));
    repo.commit("links");
    let run = repo.check_json(&["--all"]);
    assert_eq!(db_findings(&run), ["app.db"]);
    let run = repo.check_json(&["app.db", "innocent.bin"]);
    assert_eq!(db_findings(&run), ["app.db"], "{}", run.stderr);
    assert_eq!(std::fs::read(&target).unwrap(), sqlite_bytes());
}

/// A tracked file replaced by a FIFO in the working tree: `--all` opens
/// each file itself, and must neither block on the pipe (nobody writes to
/// it) nor fail; the other files are still checked.
#[cfg(unix)]
#[test]
fn fifo_in_place_of_a_tracked_file_does_not_hang_a_whole_tree_check() {
    let repo = TestRepo::new();
    repo.write("notes.txt", "hello\n");
    repo.write("app.db", sqlite_bytes());
    repo.add(&["notes.txt", "app.db"]);
    repo.commit("files");
    let pipe = repo.path().join("notes.txt");
    std::fs::remove_file(&pipe).unwrap();
    let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let mut child = repo
        .dbguard_cmd(&["check", "--all", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("dbguard check --all blocked on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let run = Run::from_output(out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(db_findings(&run), ["app.db"]);
}

#[test]
fn empty_database_file() {
    let repo = TestRepo::new();
    repo.stage("app.db", "");
    assert_eq!(db_findings(&repo.check_json(&[])), ["app.db"]);
}

/// Runs the binary and returns its own peak resident memory in KiB.
#[cfg(target_os = "linux")]
fn peak_rss_kib(repo: &TestRepo, args: &[&str]) -> (i32, i64) {
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(args)
        .current_dir(repo.path())
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // Reaped by wait4 below, which also returns the child's own rusage.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; the pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[cfg(target_os = "linux")]
#[test]
fn a_200_mb_staged_database_costs_neither_its_size_in_memory_nor_a_full_read() {
    // Written in chunks: the child's peak memory as the kernel reports it
    // includes what this test process held when it spawned the child.
    use std::io::Write;
    let repo = TestRepo::new();
    let header = sqlite_bytes();
    let mut f = std::fs::File::create(repo.path().join("huge.bin")).unwrap();
    f.write_all(&header).unwrap();
    let chunk = vec![0x5a_u8; 1 << 20];
    for _ in 0..200 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    repo.add(&["huge.bin"]);
    let (code, rss) = peak_rss_kib(&repo, &["check"]);
    assert_eq!(code, 1, "the header alone proves it is a database");
    assert!(rss < 64 * 1024, "peak memory {rss} KiB for a 200 MB blob");
    let (code, rss) = peak_rss_kib(&repo, &["check", "--all"]);
    // Not tracked until committed: stage counts for --all via the index.
    assert_eq!(code, 1);
    assert!(rss < 64 * 1024, "peak memory {rss} KiB for a 200 MB file");
}

#[test]
fn paths_outside_the_repository_are_refused() {
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.db"), "x").unwrap();
    let p = outside.path().join("x.db");
    let run = repo.dbguard(&["check", p.to_str().unwrap()]);
    assert_clean_failure(&run, "outside the repository");
    let _ = Path::new(".");
}
