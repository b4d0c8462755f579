//! sql-injection over a `--range`, where each version of a file is parsed
//! from the tree of the version before it (issue 26): the findings must be
//! those of parsing every version whole, on the lines each version has.

mod common;

use common::{Run, TestRepo};

const PATH: &str = "app/queries.py";

/// A sink older than the ranges below: every version has one, so every
/// version is parsed (a file without one is skipped before parsing), and
/// it is never new.
const OLD: &str =
    "def by_id(cursor, uid):\n    cursor.execute(f\"SELECT name FROM users WHERE id = {uid}\")\n";

/// (path, line, commit) of each sql-injection finding.
fn found(run: &Run) -> Vec<(String, u64, String)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "sql-injection")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["commit"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Lines added above, a sink added below while lines above go, then an
/// edit inside another function: the sink is reported once, in the commit
/// that added it, on the line it has there.
#[test]
fn a_sink_added_between_edits_is_reported_once_on_its_line() {
    let repo = TestRepo::new();
    repo.stage(PATH, OLD);
    let base = repo.commit("an old sink");

    let helpers = "import os\n\n\ndef sep():\n    return os.sep\n\n\n";
    repo.stage(PATH, format!("{helpers}{OLD}"));
    repo.commit("a helper above");

    let purge = "\n\ndef purge(cursor, owner):\n    cursor.execute(f\"DELETE FROM audit WHERE owner = '{owner}'\")\n";
    repo.stage(PATH, format!("import os\n\n\n{OLD}{purge}"));
    let added = repo.commit("purge, and the helper goes");

    repo.stage(
        PATH,
        format!(
            "import os\n\n\n{}{purge}",
            OLD.replace("def by_id", "def user_by_id")
        ),
    );
    repo.commit("an edit above the sink");

    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(run.code, 0, "a warning only: {}{}", run.stdout, run.stderr);
    // import, two blank lines, the two lines of OLD, two blank lines, def.
    assert_eq!(
        found(&run),
        [(PATH.to_string(), 9, added)],
        "{}",
        run.stdout
    );
}

/// A version that does not parse in the middle of a range, then one that
/// does again: the broken version says nothing of SQL and the repaired one
/// is judged as if parsed whole.
#[test]
fn a_broken_version_in_the_middle_does_not_hide_the_next_ones_sink() {
    let repo = TestRepo::new();
    repo.stage(PATH, OLD);
    let base = repo.commit("an old sink");

    repo.stage(PATH, format!("{OLD}\n\ndef broken(cursor:\n"));
    repo.commit("half a function");

    let sink =
        "\n\ndef broken(cursor, t):\n    cursor.execute(\"DELETE FROM t WHERE id = \" + t)\n";
    repo.stage(PATH, format!("{OLD}{sink}"));
    let repaired = repo.commit("the function finished, with a sink");

    let run = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(
        found(&run),
        [(PATH.to_string(), 6, repaired)],
        "{}",
        run.stdout
    );
}
