//! End-to-end tests of `dbguard fix`: index, `.gitignore` and files on
//! disk compared byte for byte before and after, on real git repositories.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TestRepo, sqlite_bytes, sqlite_wal_bytes};

const ALL_PATTERNS: &[&str] = common::GITIGNORE_PATTERNS;

const MARKER: &str = "# dbguard: database files";

fn block(eol: &str, extra: &[&str]) -> String {
    let mut s = format!("{MARKER}{eol}");
    for p in ALL_PATTERNS.iter().chain(extra) {
        s.push_str(p);
        s.push_str(eol);
    }
    s
}

/// `git ls-files -s` as lines: mode, object id, stage and path of every
/// index entry.
fn index_lines(repo: &TestRepo) -> Vec<String> {
    repo.git(&["ls-files", "-s"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn index_line(repo: &TestRepo, path: &str) -> Option<String> {
    index_lines(repo)
        .into_iter()
        .find(|l| l.ends_with(&format!("\t{path}")))
}

fn head_paths(repo: &TestRepo) -> Vec<String> {
    repo.git(&["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every file of the working tree outside `.git` with its bytes (a
/// symlink as `-> target`).
fn disk(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, format!("-> {}", t.display()).into_bytes());
            } else if meta.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The folder of the one run in the repository's trash.
fn trash_run(repo: &TestRepo) -> std::path::PathBuf {
    let runs: Vec<_> = std::fs::read_dir(repo.path().join(".git/dbguard-trash"))
        .expect("a trash")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

fn index_bytes(repo: &TestRepo) -> Vec<u8> {
    std::fs::read(repo.path().join(".git/index")).unwrap_or_default()
}

/// The staged content of a path.
fn staged(repo: &TestRepo, path: &str) -> String {
    repo.git(&["show", &format!(":{path}")])
}

fn is_ignored(repo: &TestRepo, path: &str) -> bool {
    repo.git_run(&["check-ignore", "-q", "--no-index", path])
        .code
        == 0
}

#[test]
fn acceptance_a_messy_repository_is_cleaned_and_the_commit_keeps_the_files_on_disk() {
    let repo = TestRepo::new();
    let db = sqlite_bytes();
    let (_, wal, _) = sqlite_wal_bytes();
    repo.stage("app.db", &db)
        .stage("README.md", "# app\n")
        .stage("src/main.py", "print('hi')\n");
    repo.commit("initial, with a database by mistake");
    repo.stage("test.sqlite3-wal", &wal);
    repo.write("notes.txt", "unstaged and untracked, not ours\n");
    // The hook is installed: the messy commit is refused.
    assert_eq!(repo.dbguard(&["install"]).code, 0);
    let refused = repo.git_run(&["commit", "-q", "-m", "messy"]);
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(said.contains("test.sqlite3-wal"), "{said}");

    let before_disk = disk(repo.path());
    let before_index = index_lines(&repo);
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("untracked app.db (committed SQLite database)"));
    assert!(lines[0].contains("the file stays on disk"));
    assert!(lines[1].starts_with("unstaged test.sqlite3-wal (new SQLite write-ahead log)"));
    assert!(lines[2].starts_with("created .gitignore with 18 database patterns and staged it:"));

    // Only the two database entries left the index, and .gitignore came in.
    let after_index = index_lines(&repo);
    let mut expected: Vec<String> = before_index
        .iter()
        .filter(|l| !l.ends_with("\tapp.db") && !l.ends_with("\ttest.sqlite3-wal"))
        .cloned()
        .collect();
    let gitignore_line = index_line(&repo, ".gitignore").expect(".gitignore staged");
    expected.insert(0, gitignore_line);
    assert_eq!(after_index, expected);
    // On disk: every file byte for byte, plus the new .gitignore.
    let mut expected_disk = before_disk.clone();
    expected_disk.insert(".gitignore".into(), block("\n", &[]).into_bytes());
    assert_eq!(disk(repo.path()), expected_disk);
    assert_eq!(staged(&repo, ".gitignore"), block("\n", &[]));

    // The real commit passes the hook and removes the database.
    let commit = repo.git_run(&["commit", "-q", "-m", "remove the database"]);
    assert_eq!(commit.code, 0, "{}{}", commit.stdout, commit.stderr);
    assert_eq!(
        head_paths(&repo),
        [".gitignore", "README.md", "src/main.py"]
    );
    assert_eq!(repo.read("app.db"), db);
    assert_eq!(repo.read("test.sqlite3-wal"), wal);
    assert_eq!(
        repo.read("notes.txt"),
        b"unstaged and untracked, not ours\n"
    );
    // From then on git keeps them out.
    assert!(is_ignored(&repo, "app.db"));
    assert!(is_ignored(&repo, "test.sqlite3-wal"));
    repo.git(&["add", "-A"]);
    assert_eq!(
        repo.git(&["diff", "--cached", "--name-only"]),
        "notes.txt\n",
        "git add -A picks up only the ordinary file"
    );
    repo.git(&["reset", "-q"]);
    let all = repo.check_json(&["--all"]);
    assert_eq!((all.code, all.findings()), (0, vec![]), "{}", all.stdout);
    // A second run does nothing and says so.
    let index = index_bytes(&repo);
    let again = repo.dbguard(&["fix"]);
    assert_eq!((again.code, again.stdout.as_str()), (0, "nothing to fix\n"));
    assert_eq!(index_bytes(&repo), index);
}

#[test]
fn an_existing_gitignore_keeps_comments_negations_crlf_and_every_byte() {
    let repo = TestRepo::new();
    // CRLF line endings, comments, a negation, no final newline.
    let original =
        "# Python\r\n__pycache__/\r\n*.pyc\r\n\r\n# keep the fixture\r\n!keep.db\r\n*.sqlite3";
    repo.stage(".gitignore", original).stage("app.py", "x\n");
    repo.commit("base");
    repo.stage("data/app.db", "not really");
    repo.write("keep.db", "the user wants this one");
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "added 17 database patterns to .gitignore and staged them: *.db, *.db-journal"
        ),
        "{}",
        run.stdout
    );
    let added: Vec<&str> = ALL_PATTERNS
        .iter()
        .copied()
        .filter(|p| *p != "*.sqlite3")
        .chain(["!keep.db"])
        .collect();
    let mut expected = format!("{original}\r\n{MARKER}\r\n");
    for p in &added {
        expected.push_str(p);
        expected.push_str("\r\n");
    }
    assert_eq!(
        String::from_utf8(repo.read(".gitignore")).unwrap(),
        expected
    );
    assert_eq!(staged(&repo, ".gitignore"), expected);
    // The old content is a byte-for-byte prefix.
    assert!(repo.read(".gitignore").starts_with(original.as_bytes()));
    // The user's exception still holds; everything else is ignored.
    assert!(!is_ignored(&repo, "keep.db"));
    assert!(is_ignored(&repo, "data/other.db"));
    assert!(is_ignored(&repo, "x.sqlite3"));
    assert_eq!(index_line(&repo, "data/app.db"), None);
    assert_eq!(repo.dbguard(&["fix"]).stdout, "nothing to fix\n");
}

#[test]
fn a_missing_final_newline_gets_one_separator_and_an_existing_block_is_extended() {
    let repo = TestRepo::new();
    repo.stage(".gitignore", "target/\n*.log");
    repo.commit("base");
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = format!("target/\n*.log\n{}", block("\n", &[]));
    assert_eq!(
        String::from_utf8(repo.read(".gitignore")).unwrap(),
        expected
    );
    repo.commit("ignore databases");
    // A user removes two lines of the block; the next fix puts them back
    // inside the block, leaving the line after it where it is.
    let trimmed = expected
        .replace("*.db-wal\n", "")
        .replace("*.sqlite3-shm\n", "")
        + "\n.env\n";
    repo.stage(".gitignore", &trimmed);
    repo.commit("edit");
    let run = repo.dbguard(&["fix"]);
    assert!(
        run.stdout.starts_with(
            "added 2 database patterns to .gitignore and staged them: *.db-wal, *.sqlite3-shm\n"
        ),
        "{}",
        run.stdout
    );
    let body = String::from_utf8(repo.read(".gitignore")).unwrap();
    assert_eq!(
        body,
        trimmed.replace(
            "*.sqlite3.bak\n\n",
            "*.sqlite3.bak\n*.db-wal\n*.sqlite3-shm\n\n"
        )
    );
    assert_eq!(body.matches(MARKER).count(), 1);
}

#[test]
fn a_staged_sqlite_file_is_unstaged_by_content_whatever_its_name() {
    let repo = TestRepo::new();
    repo.stage("assets/logo.png", "a real image\n")
        .stage("README.md", "hi\n");
    repo.commit("base");
    let db = sqlite_bytes();
    // New file with an innocent name, and a committed file overwritten.
    repo.stage("assets/blob.bin", &db)
        .stage("assets/logo.png", &db);
    let head_logo = repo.git(&["rev-parse", "HEAD:assets/logo.png"]);
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("unstaged assets/blob.bin (new SQLite database); the file stays on disk"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "unstaged assets/logo.png (SQLite database): the index is back at the committed version"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(index_line(&repo, "assets/blob.bin"), None);
    assert_eq!(
        index_line(&repo, "assets/logo.png").unwrap(),
        format!("100644 {} 0\tassets/logo.png", head_logo.trim())
    );
    assert_eq!(repo.read("assets/blob.bin"), db);
    assert_eq!(repo.read("assets/logo.png"), db);
    // git sees the working-tree change as unstaged, nothing staged.
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=no"]),
        "A  .gitignore\n M assets/logo.png\n"
    );
}

#[test]
fn a_database_committed_under_an_innocent_name_is_untracked() {
    let repo = TestRepo::new();
    let db = sqlite_bytes();
    repo.stage("var/cache.bin", &db).stage("ok.txt", "x\n");
    repo.commit("base");
    let run = repo.dbguard(&["fix"]);
    assert!(
        run.stdout
            .contains("untracked var/cache.bin (committed SQLite database)"),
        "{}",
        run.stdout
    );
    assert_eq!(index_line(&repo, "var/cache.bin"), None);
    assert_eq!(repo.read("var/cache.bin"), db);
}

#[test]
fn env_files_are_unstaged_templates_stay_and_committed_ones_get_a_note() {
    let repo = TestRepo::new();
    let secret = format!(
        "DATABASE_URL=postgres://app:{}@db/x\n",
        "s3cr".to_owned() + "et"
    );
    repo.stage("config/.env", "A=1\n").stage("ok.txt", "x\n");
    repo.stage("deploy/.env", "B=1\n");
    repo.commit("base");
    let committed = index_line(&repo, "config/.env").unwrap();
    let untouched = index_line(&repo, "deploy/.env").unwrap();
    repo.stage(".env", &secret)
        .stage(".env.example", "DATABASE_URL=\n")
        .stage("config/.env", "A=2\n");
    let example = index_line(&repo, ".env.example").unwrap();
    let run = repo.dbguard(&["fix", "--dry-run"]);
    assert!(
        run.stdout.contains("would unstage .env (real .env file)"),
        "{}",
        run.stdout
    );
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("unstaged .env (real .env file); the file stays on disk")
    );
    assert!(
        run.stdout
            .contains("unstaged the changes to config/.env (real .env file)")
    );
    assert!(
        run.stdout
            .contains("note: deploy/.env is a committed .env file"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("s3cr"), "never print a secret");
    assert_eq!(index_line(&repo, ".env"), None);
    assert_eq!(index_line(&repo, "config/.env").unwrap(), committed);
    assert_eq!(index_line(&repo, "deploy/.env").unwrap(), untouched);
    assert_eq!(index_line(&repo, ".env.example").unwrap(), example);
    assert_eq!(repo.read(".env"), secret.as_bytes());
    assert_eq!(repo.read("config/.env"), b"A=2\n");
}

// Where there is no /proc, --clean cannot tell whether a database is
// open and moves none (tests/trash.rs).
#[cfg(target_os = "linux")]
#[test]
fn dry_run_changes_nothing_not_even_with_clean() {
    let repo = TestRepo::new();
    repo.stage("app.db", sqlite_bytes())
        .stage(".gitignore", "*.pyc");
    repo.commit("base");
    repo.stage("new.sqlite", "x");
    repo.write("tmp/test.db", "scratch");
    let index = index_bytes(&repo);
    let files = disk(repo.path());
    let run = repo.dbguard(&["fix", "--dry-run", "--clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "would untrack app.db (committed SQLite database): the next commit removes it from the repository; the file stays on disk",
            "would unstage new.sqlite (new SQLite database file); the file stays on disk",
            &format!(
                "would add 18 database patterns to .gitignore and stage them: {}",
                ALL_PATTERNS.join(", ")
            ),
            "would move tmp/test.db (untracked SQLite database file) to the trash",
            "dry run: nothing was changed",
        ]
    );
    assert_eq!(index_bytes(&repo), index);
    assert_eq!(disk(repo.path()), files);
    assert!(!repo.path().join(".git/index.lock").exists());
}

// Where there is no /proc, --clean cannot tell whether a database is
// open and moves none (tests/trash.rs).
#[cfg(target_os = "linux")]
#[test]
fn clean_moves_untracked_artifacts_to_the_trash_and_nothing_else() {
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("prod.db");
    std::fs::write(&target, b"somebody's real database").unwrap();
    repo.write(".dbguard.yaml", "allow:\n  - fixtures/**\n");
    repo.write(".gitignore", "!keep.db\n");
    repo.add(&[".dbguard.yaml", ".gitignore"]);
    repo.stage("fixtures/sample.db", "allowed fixture")
        .stage("src/app.py", "x\n");
    repo.commit("base");
    // Untracked artifacts, at the root and deep down.
    repo.write("test.db", "t")
        .write("test.db-wal", "")
        .write("test.db-shm", "s")
        .write("deep/er/cache.sqlite3", "c")
        .write("deep/er/cache.sqlite3-journal", "j")
        .write("backups/app.db.bak", "b");
    // Things that must survive.
    repo.write("keep.db", "re-included by the user")
        .write("keep.db-wal", "belongs to a database that stays")
        .write("fixtures/sample.db-wal", "allowed by the configuration")
        .write("node_modules/pkg/data.db", "a package's file")
        .write("vendor/lib/inner.db", "in a nested repository")
        .write(".venv/pyvenv.cfg", "home = /usr/bin\n")
        .write(
            ".venv/lib/site-packages/pkg/data.sqlite",
            "a package's file",
        )
        .write("envs/py/conda-meta/history", "")
        .write("envs/py/share/data.db", "a package's file")
        .write("notes.txt", "not a database")
        .write(".git/stray.db", "inside .git");
    std::fs::create_dir_all(repo.path().join("vendor/lib/.git")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, repo.path().join("app.db")).unwrap();
    let index = index_bytes(&repo);
    let before = disk(repo.path());

    let run = repo.dbguard(&["fix", "--clean"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let trash = trash_run(&repo);
    for moved in [
        "test.db",
        "test.db-wal",
        "test.db-shm",
        "deep/er/cache.sqlite3",
        "deep/er/cache.sqlite3-journal",
        "backups/app.db.bak",
    ] {
        assert!(
            run.stdout.contains(&format!("moved {moved} (untracked")),
            "{moved}: {}",
            run.stdout
        );
        assert!(!repo.path().join(moved).exists(), "{moved}");
        assert_eq!(
            std::fs::read(trash.join("files").join(moved)).unwrap(),
            before[moved],
            "{moved} is in the trash, byte for byte"
        );
    }
    #[cfg(unix)]
    {
        assert!(
            run.stdout
                .contains("moved app.db (untracked symlink named like a SQLite database file; its target is not touched) to the trash"),
            "{}",
            run.stdout
        );
        assert!(std::fs::symlink_metadata(repo.path().join("app.db")).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"somebody's real database");
    }
    for kept in [
        "keep.db",
        "fixtures/sample.db",
        "fixtures/sample.db-wal",
        "keep.db-wal",
        "node_modules/pkg/data.db",
        "vendor/lib/inner.db",
        ".venv/lib/site-packages/pkg/data.sqlite",
        "envs/py/share/data.db",
        "notes.txt",
        "src/app.py",
        ".git/stray.db",
    ] {
        assert!(repo.path().join(kept).exists(), "{kept} must stay");
    }
    assert!(
        run.stdout.contains("note: left keep.db alone"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("note: left keep.db-wal alone: it belongs to keep.db, which stays"),
        "{}",
        run.stdout
    );
    // The tracked, allowed fixture is still tracked; only .gitignore changed
    // in the index.
    assert!(index_line(&repo, "fixtures/sample.db").is_some());
    assert_ne!(index_bytes(&repo), index);
    let again = repo.dbguard(&["fix", "--clean"]);
    assert!(
        again.stdout.ends_with("nothing to fix\n"),
        "{}",
        again.stdout
    );
    // One command puts every file back as it was.
    let restored = repo.dbguard(&["fix", "--restore"]);
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    let mut expected = before.clone();
    expected.insert(".gitignore".into(), repo.read(".gitignore"));
    assert_eq!(disk(repo.path()), expected);
    assert!(!trash.exists(), "the restored run is gone from the trash");
}

#[test]
fn clean_never_deletes_a_database_it_untracks_in_the_same_run() {
    let repo = TestRepo::new();
    let db = sqlite_bytes();
    repo.stage("app.db", &db);
    repo.commit("base");
    repo.stage("staged.sqlite", "s");
    let run = repo.dbguard(&["fix", "--clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("deleted"), "{}", run.stdout);
    assert_eq!(repo.read("app.db"), db);
    assert_eq!(repo.read("staged.sqlite"), b"s");
}

#[test]
fn a_held_index_lock_fails_with_one_line_and_changes_nothing() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    let lock = repo.path().join(".git/index.lock");
    std::fs::write(&lock, b"").unwrap();
    let index = index_bytes(&repo);
    let files = disk(repo.path());
    let run = repo.dbguard(&["fix"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("index.lock"), "{}", run.stderr);
    assert!(run.stderr.contains("is running"), "{}", run.stderr);
    assert_eq!(index_bytes(&repo), index);
    assert_eq!(disk(repo.path()), files, "no .gitignore written either");
    assert!(lock.exists(), "somebody else's lock is never removed");
    // A dry run only reads, and works.
    assert_eq!(repo.dbguard(&["fix", "--dry-run"]).code, 0);
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(repo.dbguard(&["fix"]).code, 0);
    assert_eq!(index_line(&repo, "app.db"), None);
}

#[test]
fn concurrent_fixes_never_corrupt_the_index() {
    for round in 0..4 {
        let repo = TestRepo::new();
        for i in 0..30 {
            repo.write(&format!("src/f{i}.py"), format!("x = {i}\n"));
        }
        repo.add(&["src"]);
        repo.stage("app.db", "committed");
        repo.commit("base");
        repo.stage("a.sqlite", "a").stage("b/c.db-wal", "w");
        let spawn = || repo.dbguard_cmd(&["fix"]).output().unwrap();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().unwrap(), b.join().unwrap())
        });
        let mut ok = 0;
        for o in [&a, &b] {
            match o.status.code() {
                Some(0) => ok += 1,
                Some(2) => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    assert!(err.contains("index.lock"), "round {round}: {err}");
                }
                other => panic!("round {round}: exit {other:?}"),
            }
        }
        assert!(ok >= 1, "round {round}: one of them must succeed");
        // The index is valid and holds exactly the fixed state.
        let paths = repo.git(&["ls-files"]);
        let mut expected: Vec<String> = (0..30).map(|i| format!("src/f{i}.py")).collect();
        expected.push(".gitignore".into());
        expected.sort();
        assert_eq!(paths.lines().collect::<Vec<_>>(), expected, "round {round}");
        assert_eq!(repo.git_run(&["fsck", "--no-dangling"]).code, 0);
        let ignore = String::from_utf8(repo.read(".gitignore")).unwrap();
        assert_eq!(ignore, block("\n", &[]), "round {round}: one block, once");
        assert!(!repo.path().join(".git/index.lock").exists());
        assert!(!repo.path().join(".git/index.dbguard-new").exists());
        assert_eq!(repo.dbguard(&["fix"]).stdout, "nothing to fix\n");
    }
}

#[test]
fn git_index_file_is_honoured() {
    let repo = TestRepo::new();
    repo.stage("ok.txt", "x\n");
    repo.commit("base");
    repo.stage("app.db", "x");
    let other = repo.path().join(".git/other-index");
    std::fs::copy(repo.path().join(".git/index"), &other).unwrap();
    let main_index = index_bytes(&repo);
    let run = repo.dbguard_in(
        repo.path(),
        &["fix"],
        &[("GIT_INDEX_FILE", other.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("unstaged app.db"), "{}", run.stdout);
    assert_eq!(
        index_bytes(&repo),
        main_index,
        "the default index is untouched"
    );
    let listed = repo
        .git_cmd(&["ls-files"])
        .env("GIT_INDEX_FILE", &other)
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listed, ".gitignore\nok.txt\n");
}

#[test]
fn a_linked_worktree_is_fixed_in_its_own_index() {
    let repo = TestRepo::new();
    repo.stage("ok.txt", "x\n");
    repo.commit("base");
    let wt_dir = tempfile::tempdir().unwrap();
    let wt = wt_dir.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    std::fs::write(wt.join("side.db"), b"x").unwrap();
    let added = repo.git_cmd(&["add", "side.db"]).current_dir(&wt).status();
    assert!(added.unwrap().success());
    let main_index = index_bytes(&repo);
    let run = repo.dbguard_in(&wt, &["fix"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("unstaged side.db"), "{}", run.stdout);
    assert!(wt.join(".gitignore").exists());
    assert!(!repo.path().join(".gitignore").exists());
    assert_eq!(index_bytes(&repo), main_index);
}

#[test]
fn rules_that_are_off_or_allowed_paths_are_left_alone() {
    let repo = TestRepo::new();
    repo.write(
        ".dbguard.yaml",
        "allow: [fixtures/**]\nseverity:\n  db-gitignore: off\n  env-file: off\n",
    );
    repo.add(&[".dbguard.yaml"]);
    repo.stage("fixtures/sample.db", "x").stage(".env", "A=1\n");
    let index = index_bytes(&repo);
    let run = repo.dbguard(&["fix"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "nothing to fix\n"));
    assert_eq!(index_bytes(&repo), index);
    assert!(!repo.path().join(".gitignore").exists());
}

#[test]
fn outside_a_repository_fix_fails_with_one_line() {
    let run = common::run_outside_repository(&["fix"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
}
