//! End-to-end tests of `dbguard install`: where the hook goes
//! (`core.hooksPath`, linked worktrees), what it does in a real `git
//! commit`, and how it treats hooks it did not write.

mod common;

use std::path::{Path, PathBuf};

use common::TestRepo;

const MARKER: &str = "# dbguard:install-hook";

fn hook(repo: &TestRepo) -> PathBuf {
    repo.path().join(".git/hooks/pre-commit")
}

/// `git commit` with hooks, as a user runs it.
fn commit(repo: &TestRepo, message: &str) -> common::Run {
    repo.git_run(&["commit", "-q", "-m", message])
}

fn said(run: &common::Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o111 == 0o111
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    true
}

#[test]
fn the_hook_refuses_a_staged_database_and_passes_an_ordinary_commit() {
    let repo = TestRepo::new();
    let run = repo.dbguard(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "installed the pre-commit hook .git/hooks/pre-commit (runs dbguard check)\n"
    );
    let script = std::fs::read_to_string(hook(&repo)).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(script.lines().any(|l| l == MARKER), "{script}");
    assert!(is_executable(&hook(&repo)));

    repo.stage("README.md", "hi\n");
    let ok = commit(&repo, "ordinary");
    assert_eq!(ok.code, 0, "{}", said(&ok));
    repo.stage("data/app.db", "x");
    let refused = commit(&repo, "database");
    assert_ne!(refused.code, 0, "{}", said(&refused));
    assert!(
        said(&refused).contains("error[db-file]"),
        "{}",
        said(&refused)
    );
    assert_eq!(
        repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]),
        "README.md\n"
    );
    // `git commit -a` runs the hook on its temporary index too.
    repo.git(&["rm", "-q", "--cached", "data/app.db"]);
    repo.stage("notes.txt", "a\n");
    repo.commit("notes");
    repo.write("notes.txt", "b\n");
    repo.git(&["add", "-f", "data/app.db"]);
    let dash_a = repo.git_run(&["commit", "-q", "-a", "-m", "all"]);
    assert_ne!(dash_a.code, 0, "{}", said(&dash_a));
}

#[test]
fn reinstalling_is_idempotent() {
    let repo = TestRepo::new();
    assert_eq!(repo.dbguard(&["install"]).code, 0);
    let first = std::fs::read(hook(&repo)).unwrap();
    let again = repo.dbguard(&["install"]);
    assert_eq!(again.code, 0);
    assert_eq!(
        again.stdout,
        "the pre-commit hook is already installed: .git/hooks/pre-commit\n"
    );
    assert_eq!(std::fs::read(hook(&repo)).unwrap(), first);
    // An older dbguard hook (another binary path) is updated in place.
    let old = String::from_utf8(first.clone())
        .unwrap()
        .replace("dbguard='", "dbguard='/old/path/");
    std::fs::write(hook(&repo), old).unwrap();
    let updated = repo.dbguard(&["install"]);
    assert!(
        updated.stdout.starts_with("updated the pre-commit hook"),
        "{}",
        updated.stdout
    );
    assert_eq!(std::fs::read(hook(&repo)).unwrap(), first);
}

#[test]
fn core_hooks_path_is_where_the_hook_goes() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let run = repo.dbguard(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "installed the pre-commit hook .githooks/pre-commit (runs dbguard check)\n"
    );
    assert!(repo.path().join(".githooks/pre-commit").is_file());
    assert!(!hook(&repo).exists());
    repo.stage("app.sqlite3", "x");
    assert_ne!(commit(&repo, "db").code, 0);
    // An absolute hooksPath outside the repository works the same.
    let shared = tempfile::tempdir().unwrap();
    repo.git(&["config", "core.hooksPath", shared.path().to_str().unwrap()]);
    assert_eq!(repo.dbguard(&["install"]).code, 0);
    assert!(shared.path().join("pre-commit").is_file());
}

#[test]
fn a_linked_worktree_installs_into_the_shared_hooks() {
    let repo = TestRepo::new();
    repo.stage("README.md", "hi\n");
    repo.commit("base");
    let dir = tempfile::tempdir().unwrap();
    let wt = dir.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let run = repo.dbguard_in(&wt, &["install"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The common git directory's hooks, which both worktrees use.
    assert!(hook(&repo).is_file(), "{}", run.stdout);
    assert!(!repo.path().join(".git/worktrees/wt/hooks").exists());
    std::fs::write(wt.join("side.db"), "x").unwrap();
    let add = repo.git_cmd(&["add", "side.db"]).current_dir(&wt).status();
    assert!(add.unwrap().success());
    let refused = repo
        .git_cmd(&["commit", "-q", "-m", "db"])
        .current_dir(&wt)
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "the linked worktree's commit is checked"
    );
    repo.stage("main.db", "x");
    assert_ne!(commit(&repo, "db").code, 0, "and the main worktree's");
}

#[test]
fn a_foreign_hook_is_refused_then_kept_as_a_backup_with_force_and_restored_on_uninstall() {
    let repo = TestRepo::new();
    let foreign = "#!/bin/sh\necho running the team's lint\nexit 0\n";
    std::fs::create_dir_all(repo.path().join(".git/hooks")).unwrap();
    std::fs::write(hook(&repo), foreign).unwrap();
    let refused = repo.dbguard(&["install"]);
    assert_eq!(refused.code, 2);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("add the line `dbguard check || exit 1` to it"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(hook(&repo)).unwrap(), foreign);

    let forced = repo.dbguard(&["install", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced
            .stdout
            .contains("moved the existing pre-commit hook to .git/hooks/pre-commit.dbguard-backup")
    );
    let backup = repo.path().join(".git/hooks/pre-commit.dbguard-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), foreign);
    assert!(
        std::fs::read_to_string(hook(&repo))
            .unwrap()
            .contains(MARKER)
    );
    repo.stage("app.db", "x");
    assert_ne!(commit(&repo, "db").code, 0);

    let removed = repo.dbguard(&["install", "--uninstall"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(
        removed
            .stdout
            .contains("removed the pre-commit hook .git/hooks/pre-commit")
    );
    assert!(removed.stdout.contains("restored the previous hook"));
    assert_eq!(std::fs::read_to_string(hook(&repo)).unwrap(), foreign);
    assert!(!backup.exists());
    // The foreign hook is never removed by --uninstall.
    let again = repo.dbguard(&["install", "--uninstall"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("dbguard did not write it"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(hook(&repo)).unwrap(), foreign);
}

#[test]
fn a_hook_that_already_chains_dbguard_is_left_alone() {
    let repo = TestRepo::new();
    let chained = "#!/bin/sh\n./lint.sh || exit 1\ndbguard check || exit 1\n";
    std::fs::create_dir_all(repo.path().join(".git/hooks")).unwrap();
    std::fs::write(hook(&repo), chained).unwrap();
    let run = repo.dbguard(&["install"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("already runs dbguard check"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(hook(&repo)).unwrap(), chained);
}

#[test]
fn uninstall_removes_only_what_dbguard_wrote() {
    let repo = TestRepo::new();
    let none = repo.dbguard(&["install", "--uninstall"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.contains("nothing to remove"), "{}", none.stdout);
    assert_eq!(repo.dbguard(&["install"]).code, 0);
    std::fs::write(repo.path().join(".git/hooks/pre-push"), "#!/bin/sh\n").unwrap();
    let run = repo.dbguard(&["install", "--uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!hook(&repo).exists());
    assert!(repo.path().join(".git/hooks/pre-push").exists());
    repo.stage("app.db", "x");
    assert_eq!(commit(&repo, "no hook any more").code, 0);
}

#[cfg(unix)]
#[test]
fn the_hook_falls_back_to_dbguard_on_path_and_refuses_when_there_is_none() {
    let repo = TestRepo::new();
    // Install from a copy of the binary, then remove the copy.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("dbguard");
    std::fs::copy(common::bin(), &copy).unwrap();
    // Another test thread may fork while the copy is still open for
    // writing; exec then fails with ETXTBSY until that child has exec'd.
    let run = (0..50)
        .find_map(|_| match repo.command(&copy, &["install"]).output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            }
            other => Some(other.unwrap()),
        })
        .expect("the copied binary runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let script = std::fs::read_to_string(hook(&repo)).unwrap();
    assert!(script.contains(copy.to_str().unwrap()), "{script}");
    std::fs::remove_file(&copy).unwrap();
    repo.stage("app.db", "x");
    // No dbguard anywhere: the commit is refused with a line that says why.
    let bare_path = "/usr/bin:/bin";
    let out = repo
        .git_cmd(&["commit", "-q", "-m", "db"])
        .env("PATH", bare_path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot find dbguard"), "{err}");
    // dbguard on PATH: it runs, and refuses the database.
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(common::bin(), bin_dir.path().join("dbguard")).unwrap();
    let path = format!("{}:{bare_path}", bin_dir.path().display());
    let out = repo
        .git_cmd(&["commit", "-q", "-m", "db"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("error[db-file]"), "{said}");
    repo.git(&["rm", "-q", "--cached", "app.db"]);
    repo.stage("ok.txt", "fine\n");
    let out = repo
        .git_cmd(&["commit", "-q", "-m", "ok"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bare_repository_or_no_repository_is_one_line_exit_2() {
    let run = common::run_outside_repository(&["install"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
