//! The credential rule decides by context, end to end: every class of
//! false alarm measured on real projects (lock files, bundled assets,
//! translation catalogs, markup, test logins, seed users, enum constants,
//! environment variable names, documentation placeholders, comment
//! examples) stays silent, and what only opens a local development
//! service is a warning that says why.
//!
//! `tests/fixtures/credentials/context/` is a small repository of our own
//! writing, one file per class; its `EXPECTED` lists every finding with
//! its kind and severity. The real-project measure behind it is
//! `benches/real_credentials.py`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::TestRepo;

fn fixture_repo() -> TestRepo {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/credentials/context");
    let repo = TestRepo::new();
    for (rel, bytes) in common::files_under(&dir) {
        if rel != "EXPECTED" {
            repo.write(&rel, bytes);
        }
    }
    repo.git(&["add", "-A"]);
    repo.commit("context fixture");
    repo
}

fn expected() -> BTreeSet<(String, String, String)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/credentials/context/EXPECTED");
    std::fs::read_to_string(path)
        .expect("EXPECTED")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let loc = parts.next().expect("path:line").to_string();
            let kind = parts.next().expect("kind").to_string();
            let severity = parts.next().expect("severity").to_string();
            (loc, kind, severity)
        })
        .collect()
}

fn found(run: &common::Run) -> BTreeSet<(String, String, String)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                format!("{}:{}", f["path"].as_str().unwrap(), f["line"]),
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn only_real_credentials_are_reported_and_local_ones_are_warnings() {
    let repo = fixture_repo();
    let run = repo.dbguard(&[
        "check",
        "--all",
        "--select",
        "credential",
        "--format",
        "json",
    ]);
    let want = expected();
    let got = found(&run);
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed: {missed:#?}\nunexpected: {extra:#?}"
    );
    assert_eq!(run.code, 1, "the error findings fail the check");
}

#[test]
fn local_findings_say_why_and_never_fail_the_check_alone() {
    let repo = TestRepo::new();
    let pw = ["L0c", "al-", "Pg9"].concat();
    repo.write(
        "docker-compose.yml",
        format!("services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {pw}\n"),
    );
    repo.write(
        "app/settings.py",
        format!("URL = \"postgresql://app:{pw}@localhost:5432/app\"\n"),
    );
    repo.git(&["add", "-A"]);
    let run = repo.dbguard(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    for f in &findings {
        assert_eq!(f["severity"], "warning");
        let m = f["message"].as_str().unwrap();
        assert!(m.contains("local development service"), "{m}");
        assert!(!m.contains(&pw), "{m}");
    }
    let messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.contains("docker-compose file")));
    assert!(messages.iter().any(|m| m.contains("host is local")));

    // A team that wants local credentials out of the repository too.
    repo.write(".dbguard.yaml", "credentials:\n  local_severity: error\n");
    let run = repo.dbguard(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "credential")
            .all(|f| f["severity"] == "error")
    );
    repo.write(".dbguard.yaml", "credentials:\n  local_severity: loud\n");
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("local_severity"), "{}", run.stderr);
}

#[test]
fn the_same_password_outside_a_test_or_a_local_file_is_an_error() {
    let repo = TestRepo::new();
    let pw = ["Pr0", "d-Db", "-Pw9"].concat();
    // A test login is nobody's credential; the same assignment in the
    // application's configuration is.
    repo.write(
        "tests/test_login.py",
        format!("def test_login(client):\n    login(client, password=\"{pw}\")\n"),
    );
    repo.write("app/config.py", format!("DB_PASSWORD = \"{pw}\"\n"));
    repo.git(&["add", "-A"]);
    let run = repo.dbguard(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let f = found(&run);
    assert_eq!(
        f,
        BTreeSet::from([(
            "app/config.py:1".to_string(),
            "password-assignment".to_string(),
            "error".to_string()
        )])
    );
}
