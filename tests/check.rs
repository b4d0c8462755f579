//! End-to-end tests of `dbguard check`: the sources (staged, --all, paths,
//! -C), the db-file and env-file rules, the config, the reports and the
//! exit codes, on real git repositories.

mod common;

use common::{TestRepo, sqlite_bytes, sqlite_journal_bytes, sqlite_wal_bytes};

/// The findings of a run, without the `db-gitignore` warning that staging
/// a database file in these bare test repositories also raises (it has its
/// own tests in tests/gitignore.rs).
fn rules_and_paths(run: &common::Run) -> Vec<(String, String)> {
    let mut all = run.findings();
    all.retain(|(rule, _)| rule != "db-gitignore");
    all
}

fn one(rule: &str, path: &str) -> Vec<(String, String)> {
    vec![(rule.to_string(), path.to_string())]
}

#[test]
fn every_database_name_variant_is_refused_when_staged() {
    for name in [
        "app.db",
        "data/app.sqlite",
        "data/app.sqlite3",
        "APP.DB",
        "Data.SQLite3",
        "app.db-journal",
        "app.sqlite-journal",
        "app.db-wal",
        "app.sqlite3-wal",
        "app.db-shm",
        "app.sqlite3-shm",
        "backup/app.db.backup",
        "app.sqlite.bak",
        "warehouse.duckdb",
        "h2/test.mv.db",
        "legacy/orders.mdb",
        "legacy/orders.accdb",
    ] {
        let repo = TestRepo::new();
        repo.stage(name, "not really a database");
        let run = repo.check_json(&[]);
        assert_eq!(run.code, 1, "{name}: {}{}", run.stdout, run.stderr);
        assert_eq!(rules_and_paths(&run), one("db-file", name), "{name}");
    }
}

#[test]
fn a_real_sqlite_file_under_an_innocent_name_is_found_by_content() {
    let repo = TestRepo::new();
    repo.stage("assets/blob.bin", sqlite_bytes());
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1);
    let v = run.json();
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "db-file");
    assert_eq!(f["kind"], "sqlite");
    assert_eq!(f["path"], "assets/blob.bin");
    assert_eq!(f["line"], serde_json::Value::Null);
    assert!(f["message"].as_str().unwrap().contains("content"), "{f}");
}

#[test]
fn real_wal_shm_and_journal_files_are_found_by_content() {
    let (db, wal, _shm) = sqlite_wal_bytes();
    let repo = TestRepo::new();
    repo.stage("x/one", db)
        .stage("x/two", wal)
        .stage("x/three", sqlite_journal_bytes());
    let run = repo.check_json(&[]);
    let kinds: Vec<_> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("x/one".to_string(), "sqlite".to_string()),
            ("x/three".to_string(), "sqlite-journal".to_string()),
            ("x/two".to_string(), "sqlite-wal".to_string()),
        ]
    );
}

#[test]
fn ordinary_files_pass_silently() {
    let repo = TestRepo::new();
    repo.stage(
        "app/db.py",
        "import sqlite3\nconn = sqlite3.connect('app.db')\n",
    )
    .stage("schema.sql", "CREATE TABLE users (id int);\n")
    .stage("docs/database.md", "# Database\nWe use SQLite.\n")
    .stage(
        "docs/format.txt",
        "SQLite format 3\0 is what the header says\n".replace('\0', " "),
    )
    .stage("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice())
    .stage(".env.example", "DATABASE_URL=\n")
    .stage("dbt_project.yml", "name: x\n");
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "", "a passing check prints nothing");
    assert_eq!(run.stderr, "");
}

#[test]
fn staged_deletion_of_a_database_is_never_a_finding() {
    let repo = TestRepo::new();
    repo.stage("app.db", sqlite_bytes());
    repo.commit("oops");
    repo.git(&["rm", "-q", "--cached", "app.db"]);
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.findings().is_empty());
}

#[test]
fn works_in_a_repository_without_any_commit() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(rules_and_paths(&run), one("db-file", "app.db"));
    let empty = TestRepo::new();
    assert_eq!(empty.dbguard(&["check"]).code, 0);
}

#[test]
fn staged_mode_reads_the_index_not_the_working_tree() {
    // Staged as a database, then overwritten on disk with text: the
    // database is still what the commit would contain.
    let repo = TestRepo::new();
    repo.stage("blob.bin", sqlite_bytes());
    repo.write("blob.bin", "just text now\n");
    assert_eq!(repo.check_json(&[]).code, 1);

    // The other way round: text staged, database on disk only.
    let repo = TestRepo::new();
    repo.stage("blob.bin", "text\n");
    repo.write("blob.bin", sqlite_bytes());
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn only_staged_changes_are_checked_by_default() {
    let repo = TestRepo::new();
    repo.stage("old.db", "x");
    repo.commit("committed before dbguard");
    repo.write("untracked.db", "x");
    repo.stage("src/ok.py", "x = 1\n");
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["files_scanned"], 1);
}

#[test]
fn all_checks_every_tracked_file_in_the_working_tree() {
    let repo = TestRepo::new();
    repo.stage("old.db", "x")
        .stage("config/.env", "A=1\n")
        .stage("ok.py", "x=1\n");
    repo.commit("committed");
    repo.write("untracked.db", "x");
    // Tracked but changed on disk into a database: --all sees the disk.
    repo.stage("data.bin", "text\n");
    repo.commit("more");
    repo.write("data.bin", sqlite_bytes());
    let run = repo.check_json(&["--all"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        rules_and_paths(&run),
        [
            ("env-file".to_string(), "config/.env".to_string()),
            ("db-file".to_string(), "data.bin".to_string()),
            ("db-file".to_string(), "old.db".to_string()),
        ]
    );
    assert_eq!(run.json()["summary"]["files_scanned"], 4);
}

#[test]
fn explicit_paths_check_exactly_those_files() {
    let repo = TestRepo::new();
    repo.write("a.db", "x")
        .write("b.db", "x")
        .write("dir/c.sqlite", "x")
        .write("dir/ok.txt", "x");
    let run = repo.check_json(&["a.db"]);
    assert_eq!(rules_and_paths(&run), one("db-file", "a.db"));
    let run = repo.check_json(&["dir"]);
    assert_eq!(rules_and_paths(&run), one("db-file", "dir/c.sqlite"));
    let run = repo.dbguard_in(
        &repo.path().join("dir"),
        &["check", "--format", "json", "c.sqlite", "ok.txt"],
        &[],
    );
    assert_eq!(rules_and_paths(&run), one("db-file", "dir/c.sqlite"));
    let run = repo.check_json(&["missing.db"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.db"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn dash_c_runs_as_if_started_in_any_folder_of_the_repository() {
    let repo = TestRepo::new();
    repo.stage("deep/er/app.db", "x");
    std::fs::create_dir_all(repo.path().join("deep/er/still")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let sub = repo.path().join("deep/er/still");
    let run = repo.dbguard_in(
        outside.path(),
        &["-C", sub.to_str().unwrap(), "check", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(rules_and_paths(&run), one("db-file", "deep/er/app.db"));
    // Started in a subdirectory without -C: the same answer.
    let run = repo.dbguard_in(&sub, &["check", "--format", "json"], &[]);
    assert_eq!(rules_and_paths(&run), one("db-file", "deep/er/app.db"));
}

#[test]
fn env_files_are_refused_and_templates_pass() {
    for name in [
        ".env",
        ".env.local",
        ".env.production",
        "backend/.env",
        "deploy/prod.env",
    ] {
        let repo = TestRepo::new();
        repo.stage(name, "DATABASE_URL=\n");
        let run = repo.check_json(&[]);
        assert_eq!(run.code, 1, "{name}");
        assert_eq!(rules_and_paths(&run), one("env-file", name));
    }
    let repo = TestRepo::new();
    for name in [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        "backend/.env.example",
        ".envrc",
    ] {
        repo.stage(name, "DATABASE_URL=\n");
    }
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn exit_codes_follow_severity() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    assert_eq!(repo.dbguard(&["check"]).code, 1);
    repo.write(".dbguard.yaml", "severity:\n  db-file: warning\n");
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 0, "warnings do not fail: {}", run.stdout);
    assert!(run.stdout.contains("warning[db-file]"), "{}", run.stdout);
    repo.write(
        ".dbguard.yaml",
        "severity:\n  db-file: off\n  db-gitignore: off\n",
    );
    let run = repo.dbguard(&["check"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

#[test]
fn text_output_names_the_file_the_rule_and_the_fix() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x").stage(".env", "A=1");
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("app.db: error[db-file]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(".env: error[env-file]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("dbguard fix"), "{}", run.stdout);
    assert!(
        run.stdout
            .trim_end()
            .ends_with("dbguard: 2 errors, 1 warning in 2 files"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no color when not a terminal"
    );
}

#[test]
fn color_is_decided_by_flag_then_no_color_then_clicolor_force() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    let forced = repo.dbguard_in(repo.path(), &["check"], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains('\u{1b}'), "CLICOLOR_FORCE colors");
    let no_color = repo.dbguard_in(
        repo.path(),
        &["check"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(
        !no_color.stdout.contains('\u{1b}'),
        "NO_COLOR beats CLICOLOR_FORCE"
    );
    let always = repo.dbguard_in(
        repo.path(),
        &["--color", "always", "check"],
        &[("NO_COLOR", "1")],
    );
    assert!(
        always.stdout.contains('\u{1b}'),
        "--color always beats NO_COLOR"
    );
    let never = repo.dbguard_in(
        repo.path(),
        &["check", "--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!never.stdout.contains('\u{1b}'));
}

#[test]
fn json_has_the_documented_shape() {
    let repo = TestRepo::new();
    repo.stage("app.db", "x");
    let run = repo.check_json(&["--ignore", "db-gitignore"]);
    let v = run.json();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in [
        "rule", "severity", "path", "line", "column", "commit", "message",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["severity"], "error");
    assert_eq!(f["commit"], serde_json::Value::Null);
    assert_eq!(
        v["summary"],
        serde_json::json!({"errors": 1, "warnings": 0, "files_scanned": 1})
    );
}

#[test]
fn malformed_config_is_exit_2_with_file_line_and_key() {
    let repo = TestRepo::new();
    repo.stage("ok.txt", "x");
    for (config, expect) in [
        (
            "select: [db-file]\nignroe: [credential]\n",
            ".dbguard.yaml:2",
        ),
        ("select: [db-file\n", ".dbguard.yaml:"),
        ("select:\n  - no-such-rule\n", ".dbguard.yaml:2"),
        ("allow:\n  - 'a/[b'\n", ".dbguard.yaml:2"),
        ("severity:\n  db-file: loud\n", ".dbguard.yaml:2"),
        (
            "credentials:\n  allow_values:\n    - '(unclosed'\n",
            ".dbguard.yaml:3",
        ),
    ] {
        repo.write(".dbguard.yaml", config);
        let run = repo.dbguard(&["check"]);
        assert_eq!(run.code, 2, "{config}");
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{config}: {}", run.stderr);
    }
    std::fs::remove_file(repo.path().join(".dbguard.yaml")).unwrap();
    let run = repo.dbguard(&["check", "--config", "nope.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope.yaml"), "{}", run.stderr);
}

#[test]
fn config_allow_select_and_cli_flags_narrow_the_run() {
    let repo = TestRepo::new();
    repo.stage("tests/fixtures/sample.db", "x")
        .stage(".env", "A=1")
        .stage("app.db", "x");
    repo.write(".dbguard.yaml", "allow:\n  - tests/fixtures/**\n");
    let run = repo.check_json(&[]);
    assert_eq!(
        rules_and_paths(&run),
        [
            ("env-file".to_string(), ".env".to_string()),
            ("db-file".to_string(), "app.db".to_string())
        ]
    );
    let run = repo.check_json(&["--select", "env-file"]);
    assert_eq!(rules_and_paths(&run), one("env-file", ".env"));
    let run = repo.check_json(&["--ignore", "env-file,db-file,db-gitignore"]);
    assert_eq!((run.code, run.findings().len()), (0, 0));
    let run = repo.dbguard(&["check", "--select", "db-files"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("db-files"), "{}", run.stderr);
}

#[test]
fn not_a_repository_and_bad_arguments_are_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let repo = TestRepo::new();
    let run = repo.dbguard_in(
        dir.path(),
        &["check"],
        &[(
            "GIT_CEILING_DIRECTORIES",
            dir.path().parent().unwrap().to_str().unwrap(),
        )],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    let run = repo.dbguard(&["check", "--frobnicate"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = repo.dbguard(&["-C", "/no/such/dir", "check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/no/such/dir"));
}

/// Installs a plain git hook that runs this build of dbguard.
fn install_raw_hook(repo: &TestRepo) {
    common::write_raw_hook(&repo.path().join(".git/hooks"));
}

#[test]
fn commit_dash_a_is_checked_on_its_temporary_index() {
    let repo = TestRepo::new();
    repo.stage("data.bin", "text\n");
    repo.commit("init");
    install_raw_hook(&repo);
    // Changed on disk only: plain `git commit` would commit nothing new,
    // `git commit -a` commits the database through a temporary index.
    repo.write("data.bin", sqlite_bytes());
    let run = repo.git_run(&["commit", "-a", "-m", "sneaky"]);
    assert_ne!(
        run.code, 0,
        "the hook must refuse: {}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("data.bin") || run.stderr.contains("data.bin"),
        "{}{}",
        run.stdout,
        run.stderr
    );

    // `git commit PATH` also uses a temporary index.
    let run = repo.git_run(&["commit", "data.bin", "-m", "sneaky"]);
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // An ordinary commit passes.
    repo.write("data.bin", "more text\n");
    let run = repo.git_run(&["commit", "-a", "-m", "fine"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn renamed_database_is_still_a_finding() {
    let repo = TestRepo::new();
    repo.stage("app.txt", sqlite_bytes());
    repo.commit("init");
    repo.git(&["mv", "app.txt", "app.db"]);
    let run = repo.check_json(&[]);
    assert_eq!(rules_and_paths(&run), one("db-file", "app.db"));
}

#[test]
fn range_mode_reports_each_commit_that_introduced_a_problem() {
    let repo = TestRepo::new();
    repo.stage("README.md", "hi\n");
    let base = repo.commit("base");
    repo.stage("app.db", "x");
    let added = repo.commit("add db");
    repo.git(&["rm", "-q", "--cached", "app.db"]);
    repo.commit("remove db");
    repo.stage(".env", "A=1\n");
    let env = repo.commit("add env");
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.json();
    let got: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (".env".to_string(), env),
            // The commit that added a database also lacked ignore rules.
            (".gitignore".to_string(), added.clone()),
            ("app.db".to_string(), added)
        ]
    );
    // The base commit itself is outside the range.
    let run = repo.check_json(&["--range", "HEAD..HEAD"]);
    assert_eq!((run.code, run.findings().len()), (0, 0));
    let run = repo.dbguard(&["check", "--range", "nope..HEAD"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nope..HEAD"), "{}", run.stderr);
}

/// A database renamed as something else is found by its first bytes alone
/// when db-file is the only rule (it then reads no more of a packed blob
/// than its signature, down the blob's delta chain), as when every rule
/// reads the whole file.
#[test]
fn range_mode_finds_packed_databases_by_content_with_db_file_alone() {
    let repo = TestRepo::new();
    let db = sqlite_bytes();
    // Versions that git stores as deltas of each other: a text version,
    // the database, the database grown, then text again.
    let text: String = (0..400).map(|i| format!("row {i}\n")).collect();
    repo.stage("data/blob.bin", &text);
    let base = repo.commit("text");
    repo.stage("data/blob.bin", &db);
    let added = repo.commit("database");
    let mut grown = db.clone();
    grown.extend_from_slice(text.as_bytes());
    repo.stage("data/blob.bin", &grown);
    repo.commit("database grown");
    repo.stage("data/blob.bin", format!("{text}more\n"));
    repo.commit("text again");
    repo.git(&["gc", "-q", "--aggressive"]);
    let range = format!("{base}..HEAD");
    let found = |args: &[&str]| -> Vec<(String, String, String)> {
        let run = repo.check_json(args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "db-file")
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["commit"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let alone = found(&["--range", &range, "--select", "db-file"]);
    // The grown database repeats the finding (same path and message):
    // the report keeps the first.
    let commits: Vec<_> = alone.iter().map(|f| f.1.clone()).collect();
    assert_eq!(commits, [added], "{alone:?}");
    assert!(
        alone
            .iter()
            .all(|f| f.0 == "data/blob.bin" && f.2.contains("by its content"))
    );
    assert_eq!(found(&["--range", &range]), alone);
}

#[test]
fn from_pre_commit_follows_the_hook_environment() {
    let repo = TestRepo::new();
    repo.stage("old.db", "x");
    let first = repo.commit("committed db");
    repo.stage("ok.txt", "fine\n");
    repo.commit("second");
    // Inside `git commit` (GIT_INDEX_FILE set): only what is staged.
    let staged = repo.dbguard_in(
        repo.path(),
        &["check", "--from-pre-commit", "--format", "json"],
        &[("GIT_INDEX_FILE", ".git/index")],
    );
    assert_eq!(
        (staged.code, staged.findings().len()),
        (0, 0),
        "{}",
        staged.stderr
    );
    // `pre-commit run --all-files` (no GIT_INDEX_FILE): pre-commit names
    // every tracked file, and every one is checked.
    let all = repo.dbguard_in(
        repo.path(),
        &[
            "check",
            "--from-pre-commit",
            "--format",
            "json",
            "old.db",
            "ok.txt",
        ],
        &[],
    );
    assert_eq!(rules_and_paths(&all), one("db-file", "old.db"));
    // `pre-commit run --files ok.txt`: only the named file is reported.
    let named = repo.dbguard_in(
        repo.path(),
        &["check", "--from-pre-commit", "--format", "json", "ok.txt"],
        &[],
    );
    assert_eq!((named.code, named.findings().len()), (0, 0));
    // `pre-commit run` with nothing staged: no names, nothing to check.
    let nothing = repo.dbguard_in(
        repo.path(),
        &["check", "--from-pre-commit", "--format", "json"],
        &[],
    );
    assert_eq!((nothing.code, nothing.findings().len()), (0, 0));
    // `pre-commit run` outside `git commit` (no GIT_INDEX_FILE): pre-commit
    // names the staged files, and the staged changes are what is checked.
    repo.stage("new.sqlite", "y");
    let staged = repo.dbguard_in(
        repo.path(),
        &[
            "check",
            "--from-pre-commit",
            "--format",
            "json",
            "new.sqlite",
        ],
        &[],
    );
    assert_eq!(rules_and_paths(&staged), one("db-file", "new.sqlite"));
    repo.git(&["rm", "-q", "--cached", "new.sqlite"]);
    // pre-push: the pushed range.
    let push = repo.dbguard_in(
        repo.path(),
        &["check", "--from-pre-commit", "--format", "json"],
        &[
            ("PRE_COMMIT_FROM_REF", &first),
            ("PRE_COMMIT_TO_REF", "HEAD"),
        ],
    );
    assert_eq!(
        (push.code, push.findings().len()),
        (0, 0),
        "{}",
        push.stderr
    );
    let push = repo.dbguard_in(
        repo.path(),
        &["check", "--from-pre-commit", "--format", "json"],
        &[
            (
                "PRE_COMMIT_FROM_REF",
                "0000000000000000000000000000000000000000",
            ),
            ("PRE_COMMIT_TO_REF", "HEAD"),
        ],
    );
    assert_eq!(rules_and_paths(&push), one("db-file", "old.db"));
}

/// A repository with twelve staged database files and one .env file:
/// more findings than fit a screen, from three rules.
fn many_findings() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage(".gitignore", "*.pyc\n");
    for i in 0..12 {
        repo.stage(&format!("data/d{i:02}.db"), "x");
    }
    repo.stage(".env", "DEBUG=1\n");
    repo
}

#[test]
fn statistics_prints_the_count_per_rule() {
    let repo = many_findings();
    let run = repo.dbguard(&["check", "--statistics"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        " errors  warnings  rule\n     12         0  db-file\n      0         1  db-gitignore\n      1         0  env-file\n\ndbguard: 13 errors, 1 warning in 14 files\n"
    );
    // The JSON report agrees with the counts.
    let json = repo.check_json(&[]);
    assert_eq!(json.json()["summary"]["errors"], 13);
    // Inside GitHub Actions it is text all the same.
    let actions = repo.dbguard_in(
        repo.path(),
        &["check", "--statistics"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(actions.stdout, run.stdout);
    // A clean run still says what was counted.
    let clean = TestRepo::new();
    clean.stage("a.py", "x = 1\n");
    let run = clean.dbguard(&["check", "--statistics"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "dbguard: no problems found in 1 file\n")
    );
    // Counts are text: another format is a usage mistake.
    let run = repo.dbguard(&["check", "--statistics", "--format", "json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--statistics"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn quiet_prints_one_line_per_finding() {
    let repo = many_findings();
    let run = repo.dbguard(&["check", "--quiet"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 14, "{}", run.stdout);
    assert!(
        lines
            .iter()
            .all(|l| l.contains(": error[") || l.contains(": warning[")),
        "{}",
        run.stdout
    );
    let run = repo.dbguard(&["check", "-q", "-v"]);
    assert_eq!(run.code, 2, "--quiet and --verbose together");
}

#[test]
fn a_long_text_report_ends_with_the_count_per_rule() {
    let repo = many_findings();
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.ends_with(
            "\n errors  warnings  rule\n     12         0  db-file\n      0         1  db-gitignore\n      1         0  env-file\n\ndbguard: 13 errors, 1 warning in 14 files\n"
        ),
        "{}",
        run.stdout
    );
    // A short one goes straight to the summary line.
    let short = TestRepo::new();
    short.stage("app.db", "x");
    let run = short.dbguard(&["check"]);
    assert!(!run.stdout.contains("warnings  rule"), "{}", run.stdout);
}
