//! End to end: in `--range`, each commit's Alembic environments are its
//! parent's unless the commit changed what finding them reads (issue 26).
//! An environment that appears, grows and moves in the middle of a range
//! is followed commit by commit.

mod common;

use common::TestRepo;

const ENV_PY: &str = "from alembic import context\n\ncontext.configure()\n";

/// A migration whose `downgrade()` is empty: `downgrade-empty` reports it
/// wherever an environment loads it, and nowhere else.
fn empty_downgrade(rev: &str, down: &str) -> String {
    format!(
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{rev}\"\ndown_revision = {down}\n\n\ndef upgrade():\n    op.add_column(\"t\", sa.Column(\"c_{rev}\", sa.Integer()))\n\n\ndef downgrade():\n    pass\n"
    )
}

/// `(commit, path)` of each `downgrade-empty` finding of a range check.
fn empty_downgrades(repo: &TestRepo, range: &str) -> Vec<(String, String)> {
    let r = repo.check_json(&["--range", range, "--select", "downgrade-empty"]);
    assert!(r.code <= 1, "{}{}", r.stdout, r.stderr);
    let mut found: Vec<(String, String)> = r.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["commit"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn findings_follow_an_environment_that_appears_and_moves_mid_range() {
    let repo = TestRepo::new();
    // No environment yet: an env.py without versions/, and a folder of
    // migrations that nothing loads.
    repo.stage("db/env.py", ENV_PY);
    repo.stage("app.py", "x = 1\n");
    repo.stage("loose/a1_first.py", empty_downgrade("a1", "None"));
    let first = repo.commit("env.py alone");
    // An edit of nothing discovery reads: still no environment.
    repo.stage("app.py", "x = 2\n");
    repo.commit("app");
    // versions/ appears beside env.py: now an environment, found by a
    // commit that only added a file.
    repo.stage("db/versions/b2_second.py", empty_downgrade("b2", "None"));
    let appears = repo.commit("first migration");
    // Unrelated edits, then one more migration in the same folder.
    repo.stage("app.py", "x = 3\n");
    repo.commit("app again");
    repo.stage("db/versions/c3_third.py", empty_downgrade("c3", "'b2'"));
    let grows = repo.commit("second migration");
    // The environment moves: db/ becomes migrations/.
    repo.git(&["mv", "db", "migrations"]);
    let moves = repo.commit("move");
    // A migration added at the new place is loaded; one added at the old
    // place (no env.py there any more) is not.
    repo.stage(
        "migrations/versions/d4_fourth.py",
        empty_downgrade("d4", "'c3'"),
    );
    let after_move = repo.commit("fourth");
    repo.stage("db/versions/e5_stray.py", empty_downgrade("e5", "'d4'"));
    repo.commit("stray");
    // The env.py goes: nothing is loaded from here on.
    repo.git(&["rm", "-q", "migrations/env.py"]);
    repo.commit("no env.py");
    repo.stage(
        "migrations/versions/f6_after.py",
        empty_downgrade("f6", "'d4'"),
    );
    repo.commit("after");

    let found = empty_downgrades(&repo, "HEAD");
    let mut expected = vec![
        (appears.clone(), "db/versions/b2_second.py".to_string()),
        (grows.clone(), "db/versions/c3_third.py".to_string()),
        // A renamed migration is a changed file of the environment there.
        (
            moves.clone(),
            "migrations/versions/b2_second.py".to_string(),
        ),
        (moves.clone(), "migrations/versions/c3_third.py".to_string()),
        (after_move, "migrations/versions/d4_fourth.py".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected);

    // The same commits, starting mid-range (the first commit's parent is
    // the range's base, outside it): the same findings from there on.
    let from_first = empty_downgrades(&repo, &format!("{first}..HEAD"));
    assert_eq!(from_first, expected);
    let from_appears = empty_downgrades(&repo, &format!("{appears}..HEAD"));
    let later: Vec<_> = expected
        .iter()
        .filter(|(c, _)| *c != appears)
        .cloned()
        .collect();
    assert_eq!(from_appears, later);
}
