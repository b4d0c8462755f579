//! Shared helpers for end-to-end tests: real git repositories in temporary
//! directories, and the real `dbguard` binary run against them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Environment variables that would make git or dbguard look at another
/// repository than the test's (set when tests run inside a git hook).
const GIT_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CEILING_DIRECTORIES",
    "GIT_PREFIX",
    "GITHUB_ACTIONS",
    "NO_COLOR",
    "CLICOLOR_FORCE",
];

/// A git repository in a temporary directory, removed when dropped.
pub struct TestRepo {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

/// What a run of the binary produced.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// From a finished process (for tests that spawn and wait themselves).
    pub fn from_output(o: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            code: o.status.code().unwrap_or(-1),
        }
    }

    /// The JSON document of a `--format json` run.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// `(rule, path)` of every finding of a JSON run, in report order.
    pub fn findings(&self) -> Vec<(String, String)> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or_default().to_string(),
                    f["path"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

/// The patterns `dbguard fix` writes to a repository that has none, in
/// order (rules/db-gitignore.yaml).
pub const GITIGNORE_PATTERNS: &[&str] = &[
    "*.db",
    "*.db-journal",
    "*.db-wal",
    "*.db-shm",
    "*.sqlite",
    "*.sqlite-journal",
    "*.sqlite-wal",
    "*.sqlite-shm",
    "*.sqlite3",
    "*.sqlite3-journal",
    "*.sqlite3-wal",
    "*.sqlite3-shm",
    "*.duckdb",
    "*.duckdb.wal",
    "*.db.bak",
    "*.db.backup",
    "*.sqlite.bak",
    "*.sqlite3.bak",
];

/// Writes an executable `pre-commit` hook in `dir` that runs this build
/// of dbguard the way a plain git hook would.
pub fn write_raw_hook(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir hooks");
    let hook = dir.join("pre-commit");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\nexec '{}' check\n", bin().display()),
    )
    .expect("write hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .expect("chmod hook");
    }
}

/// Runs dbguard in an empty directory that is inside no repository.
pub fn run_outside_repository(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir.path()).env(
        "GIT_CEILING_DIRECTORIES",
        dir.path().parent().expect("parent"),
    );
    for k in GIT_ENV {
        if *k != "GIT_CEILING_DIRECTORIES" {
            cmd.env_remove(k);
        }
    }
    Run::from_output(cmd.output().expect("dbguard runs"))
}

/// The path of the binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dbguard"))
}

impl TestRepo {
    /// `git init` with a fixed identity, `core.autocrlf=false`, branch main.
    pub fn new() -> TestRepo {
        let repo = TestRepo {
            dir: tempfile::tempdir().expect("tempdir"),
            home: tempfile::tempdir().expect("tempdir"),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "core.autocrlf", "false"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// The working tree root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn isolate(&self, cmd: &mut Command) {
        for k in GIT_ENV {
            cmd.env_remove(k);
        }
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.path().join("gitconfig"));
    }

    /// Runs git in the repository and panics when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let r = self.git_run(args);
        assert!(r.code == 0, "git {args:?} failed: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    /// Runs git in the repository and returns what happened.
    pub fn git_run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(self.path());
        self.isolate(&mut cmd);
        Run::from_output(cmd.output().expect("git runs"))
    }

    /// Writes a file (creating directories) relative to the root.
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &TestRepo {
        let p = self.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
        self
    }

    /// Reads a file relative to the root.
    pub fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.path().join(path)).expect("read")
    }

    /// `git add` these paths.
    pub fn add(&self, paths: &[&str]) -> &TestRepo {
        let mut args = vec!["add", "-f", "--"];
        args.extend_from_slice(paths);
        self.git(&args);
        self
    }

    /// Writes and stages one file.
    pub fn stage(&self, path: &str, content: impl AsRef<[u8]>) -> &TestRepo {
        self.write(path, content);
        self.add(&[path])
    }

    /// Commits what is staged (hooks skipped) and returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&[
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Any program run in the repository with the same isolation as
    /// [`TestRepo::git`] (no outside git configuration or environment).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(self.path());
        self.isolate(&mut cmd);
        cmd
    }

    /// An isolated `git` command, for callers that need another directory
    /// or environment.
    pub fn git_cmd(&self, args: &[&str]) -> Command {
        self.command("git", args)
    }

    /// An isolated `dbguard` command, for callers that spawn it themselves.
    pub fn dbguard_cmd(&self, args: &[&str]) -> Command {
        self.command(bin(), args)
    }

    /// Runs dbguard in the repository root.
    pub fn dbguard(&self, args: &[&str]) -> Run {
        self.dbguard_in(self.path(), args, &[])
    }

    /// Runs dbguard in `dir` with extra environment variables.
    pub fn dbguard_in(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(bin());
        cmd.args(args).current_dir(dir);
        self.isolate(&mut cmd);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from_output(cmd.output().expect("dbguard runs"))
    }

    /// `dbguard check --format json` plus `args`.
    pub fn check_json(&self, args: &[&str]) -> Run {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        self.dbguard(&all)
    }
}

/// Bytes of a real SQLite database written by SQLite itself.
pub fn sqlite_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("real.db");
    let conn = rusqlite::Connection::open(&path).expect("open sqlite");
    conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');")
        .expect("create table");
    drop(conn);
    std::fs::read(&path).expect("read sqlite")
}

/// A real SQLite database with its `-wal` and `-shm` companions, as SQLite
/// leaves them while a connection is open: returns (db, wal, shm) bytes.
pub fn sqlite_wal_bytes() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.db");
    let conn = rusqlite::Connection::open(&path).expect("open sqlite");
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .expect("wal");
    let read =
        |suffix: &str| std::fs::read(dir.path().join(format!("live.db{suffix}"))).expect("read");
    let out = (read(""), read("-wal"), read("-shm"));
    drop(conn);
    out
}

/// A real SQLite rollback journal, captured mid-transaction after the page
/// cache spilled (which is when SQLite writes the journal header).
pub fn sqlite_journal_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("j.db");
    let conn = rusqlite::Connection::open(&path).expect("open sqlite");
    conn.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA cache_size=1; CREATE TABLE t (x); INSERT INTO t VALUES (1); BEGIN;")
        .expect("journal");
    for _ in 0..2000 {
        conn.execute("INSERT INTO t VALUES (?1)", [&"x".repeat(100)])
            .expect("insert");
    }
    let bytes = std::fs::read(dir.path().join("j.db-journal")).expect("journal exists");
    drop(conn);
    bytes
}

/// Every file under `dir` as (relative path with `/`, bytes), sorted: the
/// credential corpora are read this way.
pub fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read corpus dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read(&p).expect("read corpus file")));
        }
    }
    out.sort();
    out
}
