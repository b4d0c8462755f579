//! End-to-end tests of the `db-gitignore` rule: which ignore rules count
//! (staged `.gitignore`, working tree, `.git/info/exclude`,
//! `core.excludesFile`) and when the rule runs in each mode.

mod common;

use common::TestRepo;

fn all_patterns() -> String {
    common::GITIGNORE_PATTERNS
        .iter()
        .map(|p| format!("{p}\n"))
        .collect()
}

/// The `db-gitignore` messages of a JSON run.
fn warnings(run: &common::Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "db-gitignore")
        .map(|f| {
            assert_eq!(f["severity"], "warning");
            assert_eq!(f["path"], ".gitignore");
            f["message"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn staging_a_database_without_ignore_rules_lists_every_missing_pattern() {
    let repo = TestRepo::new();
    repo.stage(".gitignore", "# nothing useful\n__pycache__/\n*.sqlite3\n");
    repo.stage("data/app.db", "x");
    let run = repo.check_json(&[]);
    assert_eq!(run.code, 1, "db-file is the error; db-gitignore only warns");
    let w = warnings(&run);
    assert_eq!(w.len(), 1, "{}", run.stdout);
    assert!(
        w[0].starts_with("database files are not ignored: *.db, *.db-journal, *.db-wal"),
        "{}",
        w[0]
    );
    assert!(
        !w[0].contains("*.sqlite3,"),
        "covered patterns are not listed: {}",
        w[0]
    );
}

#[test]
fn an_ordinary_commit_does_not_warn() {
    let repo = TestRepo::new();
    repo.stage("src/app.py", "x\n");
    let run = repo.check_json(&[]);
    assert_eq!((run.code, warnings(&run).len()), (0, 0), "{}", run.stdout);
}

#[test]
fn staged_mode_judges_the_staged_gitignore() {
    let repo = TestRepo::new();
    repo.stage(".gitignore", "*.pyc\n");
    repo.commit("base");
    // The working tree has the patterns, the index does not.
    repo.write(".gitignore", format!("*.pyc\n{}", all_patterns()));
    repo.stage("app.db", "x");
    let run = repo.check_json(&[]);
    assert_eq!(warnings(&run).len(), 1, "{}", run.stdout);
    repo.add(&[".gitignore"]);
    let run = repo.check_json(&[]);
    assert_eq!(warnings(&run).len(), 0, "{}", run.stdout);
    // A staged .gitignore that drops a pattern is checked too.
    repo.git(&["rm", "-q", "--cached", "app.db"]);
    repo.commit("ignore");
    repo.stage(".gitignore", all_patterns().replace("*.db-wal\n", ""));
    let run = repo.check_json(&[]);
    assert_eq!(
        warnings(&run),
        ["database files are not ignored: *.db-wal"],
        "{}",
        run.stdout
    );
}

#[test]
fn info_exclude_and_core_excludes_file_count_but_not_in_range_mode() {
    let repo = TestRepo::new();
    repo.stage("README.md", "hi\n");
    let base = repo.commit("base");
    repo.write(".git/info/exclude", all_patterns());
    repo.stage("app.db", "x");
    assert_eq!(warnings(&repo.check_json(&[])).len(), 0);
    repo.write(".git/info/exclude", "");
    let global = repo.path().join(".git/my-global-ignore");
    std::fs::write(&global, all_patterns()).unwrap();
    repo.git(&["config", "core.excludesFile", global.to_str().unwrap()]);
    assert_eq!(warnings(&repo.check_json(&[])).len(), 0);
    // A negation in the repository beats the global file.
    repo.stage(".gitignore", "!*.db\n");
    assert_eq!(
        warnings(&repo.check_json(&[])),
        ["database files are not ignored: *.db"]
    );
    // In CI (range mode) only what is committed counts: local excludes do
    // not travel with the repository.
    repo.commit("db");
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(warnings(&run).len(), 1, "{}", run.stdout);
}

#[test]
fn all_mode_always_checks_and_range_mode_only_relevant_commits() {
    let repo = TestRepo::new();
    repo.stage("README.md", "hi\n");
    let base = repo.commit("base");
    let run = repo.check_json(&["--all"]);
    assert_eq!(warnings(&run).len(), 1);
    assert_eq!(run.code, 0, "a warning does not fail the check");
    repo.stage("src/app.py", "x\n");
    repo.commit("code");
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(
        warnings(&run).len(),
        0,
        "a commit of code says nothing about ignores"
    );
    repo.stage(".gitignore", all_patterns());
    repo.commit("ignores");
    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(warnings(&run).len(), 0);
    assert_eq!(warnings(&repo.check_json(&["--all"])).len(), 0);
}

#[test]
fn a_root_anchored_pattern_does_not_cover_subdirectories() {
    let repo = TestRepo::new();
    repo.stage(".gitignore", all_patterns().replace("*.db\n", "/*.db\n"));
    let run = repo.check_json(&["--all"]);
    assert_eq!(warnings(&run), ["database files are not ignored: *.db"]);
    // A nested .gitignore that re-includes databases below it is reported.
    repo.stage(".gitignore", all_patterns());
    repo.stage("legacy/.gitignore", "!*.sqlite\n");
    let run = repo.check_json(&["--all"]);
    assert_eq!(warnings(&run), ["database files are not ignored: *.sqlite"]);
}
