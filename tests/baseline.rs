//! End-to-end tests of baselines: `--write-baseline`, `--baseline`, the
//! `baseline:` config key, stale entries and bad files.

mod common;

use common::TestRepo;

fn pw(n: u32) -> String {
    format!("Bq{}-{}x7{}", n * 13 + 1, "Tm", n)
}

fn rules_paths_lines(run: &common::Run) -> Vec<(String, String, u64)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_baseline_hides_todays_findings_and_reports_new_ones() {
    let repo = TestRepo::new();
    repo.stage("config/.env.prod", format!("DB_PASSWORD={}\n", pw(1)));
    repo.stage("data/app.db", "not really a database");
    repo.commit("legacy");
    let run = repo.dbguard(&[
        "check",
        "--all",
        "--write-baseline",
        ".dbguard-baseline.json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // credential, env-file, db-file, and the db-gitignore warning.
    assert!(run.stderr.contains("wrote 4 findings"), "{}", run.stderr);
    let text = String::from_utf8(repo.read(".dbguard-baseline.json")).unwrap();
    assert!(!text.contains(&pw(1)), "the baseline holds no secret");
    assert!(
        !text.contains("\"line\"") && !text.contains("time"),
        "{text}"
    );

    // With the baseline, the old findings are gone, even after edits that
    // move them to other lines.
    repo.write(
        "config/.env.prod",
        format!("# prod\nA=1\nDB_PASSWORD={}\n", pw(1)),
    );
    let run = repo.check_json(&["--all", "--baseline", ".dbguard-baseline.json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(rules_paths_lines(&run), []);

    // A new secret is reported; so is the old one in a new place.
    repo.write(
        "config/.env.prod",
        format!("DB_PASSWORD={}\nREDIS_PASSWORD={}\n", pw(1), pw(2)),
    );
    repo.write("other.env", format!("DB_PASSWORD={}\n", pw(1)));
    repo.add(&["other.env"]);
    let run = repo.check_json(&["--all", "--baseline", ".dbguard-baseline.json"]);
    assert_eq!(run.code, 1);
    let mut got = rules_paths_lines(&run);
    got.retain(|f| f.0 == "credential");
    assert_eq!(
        got,
        [
            ("credential".into(), "config/.env.prod".into(), 2),
            ("credential".into(), "other.env".into(), 1),
        ]
    );

    // The config key works the same way, in staged mode too.
    repo.stage(".dbguard.yaml", "baseline: .dbguard-baseline.json\n");
    repo.stage("data/app.db", "still not a database, but changed");
    let run = repo.check_json(&[]);
    let got = rules_paths_lines(&run);
    assert!(got.iter().all(|f| f.1 != "data/app.db"), "{got:?}");
}

#[test]
fn rewriting_drops_stale_entries_and_is_stable() {
    let repo = TestRepo::new();
    repo.stage("a.env", format!("DB_PASSWORD={}\n", pw(3)));
    repo.stage("b.env", format!("DB_PASSWORD={}\n", pw(4)));
    repo.commit("two");
    let write = || {
        let run = repo.dbguard(&[
            "check",
            "--all",
            "--select",
            "credential",
            "--write-baseline",
            "bl.json",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        String::from_utf8(repo.read("bl.json")).unwrap()
    };
    let first = write();
    assert_eq!(first.matches("\"hash\"").count(), 2);
    assert_eq!(write(), first, "same findings, same bytes");
    repo.git(&["rm", "-q", "b.env"]);
    let second = write();
    assert_eq!(second.matches("\"hash\"").count(), 1, "{second}");
    assert!(!second.contains("b.env"));
}

#[test]
fn a_missing_or_garbled_baseline_is_a_failed_run() {
    let repo = TestRepo::new();
    repo.stage("a.txt", "a\n");
    let run = repo.dbguard(&["check", "--baseline", "nope.json"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("nope.json") && run.stderr.contains("--write-baseline"));
    repo.write("bad.json", "{\"findings\": 3}");
    let run = repo.dbguard(&["check", "--baseline", "bad.json"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    repo.stage(".dbguard.yaml", "baseline: missing.json\n");
    let run = repo.dbguard(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
