//! End-to-end tests of the Alembic rules and `dbguard migrations` on real
//! git repositories.

mod common;

use common::TestRepo;
use serde_json::{Value, json};

const ENV_PY: &str = "from alembic import context\n\ncontext.configure()\n";

/// A migration file as `alembic revision` writes it.
fn mig(rev: &str, down: &str, downgrade_body: &str) -> String {
    format!(
        "\"\"\"change {rev}\n\nRevision ID: {rev}\nRevises:\nCreate Date: 2024-01-01\n\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\n# revision identifiers, used by Alembic.\nrevision = \"{rev}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.add_column(\"t\", sa.Column(\"c_{rev}\", sa.Integer()))\n\n\ndef downgrade():\n    {downgrade_body}\n"
    )
}

fn undo(rev: &str) -> String {
    format!("op.drop_column(\"t\", \"c_{rev}\")")
}

/// A repository with `backend/alembic.ini` and `backend/migrations/`.
fn alembic_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage(
        "backend/alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = driver://localhost/db\n",
    );
    repo.stage("backend/migrations/env.py", ENV_PY);
    repo
}

fn v(name: &str) -> String {
    format!("backend/migrations/versions/{name}")
}

fn migrations_json(repo: &TestRepo) -> Value {
    let r = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.json()
}

/// The rules this file is about; other families (db-gitignore, the model
/// rules) have their own tests.
const RULES: &[&str] = &[
    "downgrade-missing",
    "downgrade-empty",
    "migration-multiple-heads",
    "migration-broken-link",
    "migration-duplicate-revision",
    "migration-cycle",
    "migration-parse-error",
    "migration-filename",
];

/// `(rule, path)` of the findings of this family.
fn rules_of(r: &common::Run) -> Vec<(String, String)> {
    r.findings()
        .into_iter()
        .filter(|(rule, _)| RULES.contains(&rule.as_str()))
        .collect()
}

#[test]
fn linear_history_json_is_exactly_the_contract() {
    let repo = alembic_repo();
    repo.stage(
        &v("9a6d5baf6502_initial_database_schema.py"),
        mig("9a6d5baf6502", "None", &undo("9a6d5baf6502")),
    );
    repo.stage(
        &v("b2c3d4e5f6a7_add_email.py"),
        mig("b2c3d4e5f6a7", "\"9a6d5baf6502\"", "pass"),
    );
    repo.stage(
        &v("c3d4e5f6a7b8_add_index.py"),
        mig(
            "c3d4e5f6a7b8",
            "'b2c3d4e5f6a7'",
            "raise NotImplementedError()",
        ),
    );
    repo.commit("history");
    let doc = migrations_json(&repo);
    assert_eq!(
        doc,
        json!({
            "version": 1,
            "environments": [{
                "script_location": "backend/migrations",
                "found_by": "from backend/alembic.ini",
                "directories": ["backend/migrations/versions"],
                "revisions": [
                    {
                        "revision": "9a6d5baf6502",
                        "down_revisions": [],
                        "depends_on": [],
                        "branch_labels": [],
                        "path": "backend/migrations/versions/9a6d5baf6502_initial_database_schema.py",
                        "message": "change 9a6d5baf6502",
                        "downgrade": "ok"
                    },
                    {
                        "revision": "b2c3d4e5f6a7",
                        "down_revisions": ["9a6d5baf6502"],
                        "depends_on": [],
                        "branch_labels": [],
                        "path": "backend/migrations/versions/b2c3d4e5f6a7_add_email.py",
                        "message": "change b2c3d4e5f6a7",
                        "downgrade": "empty"
                    },
                    {
                        "revision": "c3d4e5f6a7b8",
                        "down_revisions": ["b2c3d4e5f6a7"],
                        "depends_on": [],
                        "branch_labels": [],
                        "path": "backend/migrations/versions/c3d4e5f6a7b8_add_index.py",
                        "message": "change c3d4e5f6a7b8",
                        "downgrade": "irreversible"
                    }
                ],
                "heads": ["c3d4e5f6a7b8"],
                "bases": ["9a6d5baf6502"]
            }]
        })
    );
    let text = repo.dbguard(&["migrations"]);
    assert_eq!(text.code, 0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(
        lines[0].starts_with("Environment backend/migrations (from backend/alembic.ini)"),
        "{}",
        text.stdout
    );
    let history: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains(" -> "))
        .copied()
        .collect();
    assert_eq!(history.len(), 3, "{}", text.stdout);
    assert!(history[0].contains("b2c3d4e5f6a7 -> c3d4e5f6a7b8 (head), change c3d4e5f6a7b8"));
    assert!(history[0].trim_start().starts_with("irreversible"));
    assert!(history[1].trim_start().starts_with("empty"));
    assert!(history[2].contains("<base> -> 9a6d5baf6502"));

    let all = repo.check_json(&["--all"]);
    assert_eq!(all.code, 1);
    assert_eq!(
        rules_of(&all),
        [(
            "downgrade-empty".to_string(),
            v("b2c3d4e5f6a7_add_email.py")
        )]
    );
    let doc = all.json();
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "downgrade-empty")
        .unwrap();
    assert_eq!(f["line"], 22);
}

#[test]
fn fork_is_reported_when_staged_and_a_merge_revision_fixes_it() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.stage(&v("b2_left.py"), mig("b2", "'a1'", &undo("b2")));
    repo.commit("base");
    repo.stage(&v("c3_right.py"), mig("c3", "'a1'", &undo("c3")));
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        rules_of(&r),
        [("migration-multiple-heads".to_string(), v("c3_right.py"))]
    );
    let msg = r.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("b2, c3") && msg.contains("backend/migrations"),
        "{msg}"
    );
    let text = repo.dbguard(&["check"]);
    assert!(text.stdout.contains("alembic merge"), "{}", text.stdout);

    repo.stage(
        &v("d4_merge.py"),
        "\"\"\"merge\"\"\"\nrevision = 'd4'\ndown_revision = ('b2', 'c3')\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n",
    );
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let doc = migrations_json(&repo);
    assert_eq!(doc["environments"][0]["heads"], json!(["d4"]));
    let text = repo.dbguard(&["migrations", "--color", "never"]).stdout;
    assert!(
        text.contains("(b2, c3) -> d4 (head) (mergepoint), merge"),
        "{text}"
    );
    assert!(text.contains("<base> -> a1 (branchpoint)"), "{text}");
}

#[test]
fn labelled_branches_and_constant_labels_are_not_conflicts() {
    let repo = alembic_repo();
    repo.stage(
        "backend/alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations\nversion_locations = %(here)s/migrations/versions_gxy %(here)s/migrations/versions_tsi\nversion_path_separator = space\n",
    );
    let gxy = mig("g1", "None", &undo("g1"))
        .replace("branch_labels = None", "branch_labels = (\"gxy\",)");
    let tsi =
        mig("t1", "None", &undo("t1")).replace("branch_labels = None", "branch_labels = ('tsi',)");
    repo.stage("backend/migrations/versions_gxy/g1_gxy.py", gxy);
    repo.stage(
        "backend/migrations/versions_gxy/g2_more.py",
        mig("g2", "'g1'", &undo("g2")),
    );
    repo.stage("backend/migrations/versions_tsi/t1_tsi.py", tsi);
    let r = repo.check_json(&["--all"]);
    assert_eq!(rules_of(&r), [], "{}", r.stdout);
    let env = &migrations_json(&repo)["environments"][0];
    assert_eq!(env["heads"], json!(["g2", "t1"]));
    assert_eq!(env["bases"], json!(["g1", "t1"]));
    assert_eq!(
        env["directories"],
        json!([
            "backend/migrations/versions_gxy",
            "backend/migrations/versions_tsi"
        ])
    );
    assert_eq!(env["revisions"][0]["branch_labels"], json!(["gxy"]));

    // Two heads inside the gxy branch: no label tells them apart.
    repo.stage(
        "backend/migrations/versions_gxy/g3_fork.py",
        mig("g3", "'g1'", &undo("g3")),
    );
    let r = repo.check_json(&[]);
    assert_eq!(
        rules_of(&r),
        [(
            "migration-multiple-heads".to_string(),
            "backend/migrations/versions_gxy/g3_fork.py".to_string()
        )]
    );
    assert!(r.stdout.contains("on branch gxy"), "{}", r.stdout);

    // OpenStack style: expand/contract labels named by constants.
    let os_repo = TestRepo::new();
    os_repo.stage(
        "db/alembic.ini",
        "[alembic]\nscript_location = %(here)s/alembic_migrations\n",
    );
    os_repo.stage("db/alembic_migrations/env.py", ENV_PY);
    os_repo.stage(
        "db/alembic_migrations/versions/kilo_initial.py",
        mig("kilo", "None", &undo("kilo")),
    );
    let expand = mig("e1", "'kilo'", &undo("e1"))
        .replace(
            "branch_labels = None",
            "branch_labels = (cli.EXPAND_BRANCH,)",
        )
        .replace(
            "from alembic import op",
            "from alembic import op\nfrom neutron.db import cli",
        );
    let contract = mig("c1", "'kilo'", &undo("c1")).replace(
        "branch_labels = None",
        "branch_labels = (cli.CONTRACT_BRANCH,)",
    );
    os_repo.stage("db/alembic_migrations/versions/e1_expand.py", expand);
    os_repo.stage("db/alembic_migrations/versions/c1_contract.py", contract);
    os_repo.stage(
        "db/alembic_migrations/versions/e2_more.py",
        mig("e2", "'e1'", &undo("e2")),
    );
    let r = os_repo.check_json(&[]);
    assert_eq!(rules_of(&r), [], "{}", r.stdout);
    let env = &migrations_json(&os_repo)["environments"][0];
    assert_eq!(env["heads"], json!(["c1", "e2"]));
    let labels: Vec<&Value> = env["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["branch_labels"])
        .collect();
    assert!(
        labels.contains(&&json!(["cli.EXPAND_BRANCH"])),
        "{labels:?}"
    );
}

#[test]
fn depends_on_broken_links_cycles_and_duplicates() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    let dep = mig("b2", "None", &undo("b2")).replace("depends_on = None", "depends_on = ['a1']");
    repo.stage(&v("b2_other_root.py"), dep);
    repo.stage(&v("m3_merge.py"), mig("m3", "('a1', 'b2')", &undo("m3")));
    let r = repo.check_json(&["--all"]);
    assert_eq!(rules_of(&r), [], "{}", r.stdout);
    let env = &migrations_json(&repo)["environments"][0];
    assert_eq!(env["revisions"][1]["depends_on"], json!(["a1"]));
    assert_eq!(env["revisions"][2]["down_revisions"], json!(["a1", "b2"]));
    repo.commit("ok");

    repo.stage(
        &v("c4_broken.py"),
        mig("c4", "'m3'", &undo("c4")).replace("depends_on = None", "depends_on = 'nothere'"),
    );
    repo.stage(&v("d5_dangling.py"), mig("d5", "'zzzz'", &undo("d5")));
    let r = repo.check_json(&[]);
    let found = rules_of(&r);
    assert!(
        found.contains(&("migration-broken-link".to_string(), v("c4_broken.py"))),
        "{found:?}"
    );
    assert!(
        found.contains(&("migration-broken-link".to_string(), v("d5_dangling.py"))),
        "{found:?}"
    );
    let d5 = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == v("d5_dangling.py") && f["rule"] == "migration-broken-link")
        .unwrap()
        .clone();
    assert_eq!(d5["line"], 13, "{d5}");
    repo.git(&[
        "rm",
        "-q",
        "--cached",
        &v("c4_broken.py"),
        &v("d5_dangling.py"),
    ]);

    // A cycle: a1 now revises m3, which revises a1.
    repo.stage(&v("a1_init.py"), mig("a1", "'m3'", &undo("a1")));
    let r = repo.check_json(&[]);
    let cycle: Vec<_> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "migration-cycle")
        .cloned()
        .collect();
    assert_eq!(cycle.len(), 1, "{}", r.stdout);
    assert_eq!(cycle[0]["message"], "revision cycle: a1 -> m3 -> a1");
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));

    // A copy of a migration under another name.
    repo.stage(&v("a1_copy.py"), mig("a1", "None", &undo("a1")));
    let r = repo.check_json(&[]);
    let dups: Vec<_> = rules_of(&r)
        .into_iter()
        .filter(|(rule, _)| rule == "migration-duplicate-revision")
        .collect();
    assert_eq!(
        dups,
        [
            ("migration-duplicate-revision".to_string(), v("a1_copy.py")),
            ("migration-duplicate-revision".to_string(), v("a1_init.py"))
        ]
    );
}

#[test]
fn parse_errors_and_binary_garbage_never_crash() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.stage(
        &v("b2_computed.py"),
        "import uuid\nrevision = uuid.uuid4().hex\ndown_revision = 'a1'\n",
    );
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    repo.stage(&v("c3_garbage.py"), &garbage);
    repo.stage(
        &v("d4_syntax.py"),
        "revision = 'd4'\ndown_revision = 'a1'\ndef upgrade(:\n    pass\n",
    );
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let json = r.json();
    let parse: Vec<(String, Value)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "migration-parse-error")
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].clone()))
        .collect();
    assert!(
        parse.contains(&(v("b2_computed.py"), json!(2))),
        "{parse:?}"
    );
    assert!(
        parse.contains(&(v("c3_garbage.py"), Value::Null)),
        "{parse:?}"
    );
    assert!(parse.contains(&(v("d4_syntax.py"), json!(3))), "{parse:?}");

    let m = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(
        m.stderr.contains("b2_computed.py") && m.stderr.contains("c3_garbage.py"),
        "{}",
        m.stderr
    );
    let doc = m.json();
    let revs: Vec<&str> = doc["environments"][0]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_str().unwrap())
        .collect();
    assert_eq!(revs, ["a1", "d4"]);
    let text = repo.dbguard(&["migrations"]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("unreadable"), "{}", text.stdout);
}

#[test]
fn staged_mode_checks_what_changed_and_all_checks_everything() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", "pass"));
    repo.stage(&v("b2_left.py"), mig("b2", "'a1'", &undo("b2")));
    repo.stage(&v("c3_right.py"), mig("c3", "'a1'", &undo("c3")));
    repo.commit("an old fork and an old empty downgrade");

    // A commit that does not touch the environment costs nothing and
    // reports nothing.
    repo.stage("README.md", "# app\n");
    let r = repo.check_json(&[]);
    assert_eq!(rules_of(&r), [], "{}", r.stdout);
    repo.commit("docs");

    // A new migration: its own downgrade is checked, the old file's is
    // not, and the graph (still forked) is.
    repo.stage(&v("d4_merge.py"), mig("d4", "'b2'", "pass"));
    let r = repo.check_json(&[]);
    let mut found = rules_of(&r);
    found.sort();
    assert_eq!(
        found,
        [
            ("downgrade-empty".to_string(), v("d4_merge.py")),
            ("migration-multiple-heads".to_string(), v("d4_merge.py")),
        ]
    );
    let r = repo.check_json(&["--all"]);
    let found = rules_of(&r);
    assert!(
        found.contains(&("downgrade-empty".to_string(), v("a1_init.py"))),
        "{found:?}"
    );

    // Staged content counts, not the working tree.
    repo.write(&v("d4_merge.py"), mig("d4", "'b2'", &undo("d4")));
    let r = repo.check_json(&[]);
    assert!(rules_of(&r).contains(&("downgrade-empty".to_string(), v("d4_merge.py"))));
}

#[test]
fn range_mode_reports_the_commit_that_forked_the_history() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.stage(&v("b2_left.py"), mig("b2", "'a1'", &undo("b2")));
    let base = repo.commit("base");
    repo.stage("app.py", "x = 1\n");
    repo.commit("unrelated");
    repo.stage(&v("c3_right.py"), mig("c3", "'a1'", &undo("c3")));
    let fork = repo.commit("fork");
    let r = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "migration-multiple-heads");
    assert_eq!(findings[0]["commit"], json!(fork));
}

#[test]
fn several_environments_flask_migrate_and_config() {
    let repo = TestRepo::new();
    // Flask-Migrate: alembic.ini without script_location.
    repo.stage("app/migrations/alembic.ini", "[alembic]\n# template used to generate migration files\n# file_template = %%(rev)s_%%(slug)s\n\n[loggers]\nkeys = root\n");
    repo.stage("app/migrations/env.py", ENV_PY);
    repo.stage(
        "app/migrations/versions/f1_init.py",
        mig("f1", "None", &undo("f1")),
    );
    // A second environment with a recursive version location.
    repo.stage(
        "svc/alembic.ini",
        "[alembic]\nscript_location = db\nrecursive_version_locations = true\n",
    );
    repo.stage("svc/db/env.py", ENV_PY);
    repo.stage("svc/db/versions/s1_init.py", mig("s1", "None", &undo("s1")));
    repo.stage(
        "svc/db/versions/2024/s2_next.py",
        mig("s2", "'s1'", &undo("s2")),
    );
    repo.stage("svc/db/versions/__init__.py", "");
    repo.stage("svc/db/versions/README.md", "notes\n");
    // A folder named versions without env.py is not an environment.
    repo.stage("docs/versions/x1_note.py", "revision = 'x1'\n");
    // A layout only the config describes.
    repo.stage(
        "tools/schema/revs/k1_init.py",
        mig("k1", "None", &undo("k1")),
    );
    repo.stage(".dbguard.yaml", "migrations:\n  environments:\n    - script_location: tools/schema\n      version_locations: [tools/schema/revs]\n");
    let doc = migrations_json(&repo);
    let envs: Vec<(&str, Vec<&str>)> = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["script_location"].as_str().unwrap(),
                e["revisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["revision"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        envs,
        [
            ("app/migrations", vec!["f1"]),
            ("svc/db", vec!["s1", "s2"]),
            ("tools/schema", vec!["k1"]),
        ]
    );
    let r = repo.check_json(&["--all"]);
    assert_eq!(rules_of(&r), [], "{}", r.stdout);
    let text = repo.dbguard(&["migrations"]).stdout;
    assert_eq!(text.matches("Environment ").count(), 3, "{text}");
}

#[test]
fn filename_rule_follows_the_file_template() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.stage(&v("new_migration.py"), mig("b2", "'a1'", &undo("b2")));
    let r = repo.check_json(&[]);
    assert_eq!(
        rules_of(&r),
        [("migration-filename".to_string(), v("new_migration.py"))]
    );
    assert_eq!(r.code, 0, "a warning does not fail the check");
    repo.git(&["rm", "-q", "--cached", &v("new_migration.py")]);
    repo.stage(
        "backend/alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations\nfile_template = %%(year)d-%%(month).2d-%%(day).2d_%%(rev)s_%%(slug)s\n",
    );
    repo.stage(&v("2024-05-01_b2_add_x.py"), mig("b2", "'a1'", &undo("b2")));
    // A template without `%(rev)s`: a name it produces is fine, and so is
    // one holding its revision as a token (`a1_init.py`); others are not.
    repo.stage(
        "backend/alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations\nfile_template = %%(year)d_%%(slug)s\n",
    );
    repo.stage(&v("2024_add_y.py"), mig("c3", "'b2'", &undo("c3")));
    repo.stage(&v("add_z.py"), mig("d4", "'c3'", &undo("d4")));
    let r = repo.check_json(&["--all"]);
    assert_eq!(
        rules_of(&r),
        [("migration-filename".to_string(), v("add_z.py"))],
        "{}",
        r.stdout
    );
}

#[test]
fn migrations_outside_a_repository_fails_with_one_line() {
    let run = common::run_outside_repository(&["migrations"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    let repo = TestRepo::new();
    let r = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.json(), json!({"version": 1, "environments": []}));
}

#[test]
fn pyproject_tool_alembic_environment() {
    let repo = TestRepo::new();
    repo.stage(
        "pyproject.toml",
        "[project]\nname = \"app\"\n\n[tool.alembic]\nscript_location = \"%(here)s/alembic\"\nversion_locations = [\"%(here)s/alembic/versions\", \"%(here)s/alembic/extra\"]\n",
    );
    repo.stage("alembic/env.py", ENV_PY);
    repo.stage(
        "alembic/versions/a1_init.py",
        mig("a1", "None", &undo("a1")),
    );
    repo.stage("alembic/extra/b2_more.py", mig("b2", "'a1'", "pass"));
    let env = &migrations_json(&repo)["environments"][0];
    assert_eq!(env["script_location"], "alembic");
    assert_eq!(
        env["directories"],
        json!(["alembic/versions", "alembic/extra"])
    );
    assert_eq!(env["heads"], json!(["b2"]));
    let r = repo.check_json(&[]);
    assert_eq!(
        rules_of(&r),
        [(
            "downgrade-empty".to_string(),
            "alembic/extra/b2_more.py".to_string()
        )]
    );
}

#[test]
fn deleting_a_revision_breaks_the_link_of_its_child() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.stage(&v("b2_next.py"), mig("b2", "'a1'", &undo("b2")));
    repo.stage(&v("c3_last.py"), mig("c3", "'b2'", &undo("c3")));
    repo.commit("history");
    repo.git(&["rm", "-q", &v("b2_next.py")]);
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        rules_of(&r),
        [("migration-broken-link".to_string(), v("c3_last.py"))]
    );
}

#[test]
fn listed_paths_are_checked_even_when_untracked() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    repo.commit("base");
    repo.write(&v("b2_new.py"), mig("b2", "'a1'", "pass"));
    let r = repo.check_json(&[&v("b2_new.py")]);
    assert_eq!(
        rules_of(&r),
        [("downgrade-empty".to_string(), v("b2_new.py"))],
        "{}",
        r.stdout
    );
}

#[test]
fn range_mode_reports_the_merge_commit_that_brings_two_heads_together() {
    let repo = alembic_repo();
    repo.stage(&v("a1_init.py"), mig("a1", "None", &undo("a1")));
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.stage(&v("c3_feature.py"), mig("c3", "'a1'", &undo("c3")));
    repo.commit("feature migration");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage(&v("b2_main.py"), mig("b2", "'a1'", "pass"));
    repo.commit("main migration");
    repo.git(&["merge", "-q", "--no-edit", "--no-verify", "feature"]);
    let merge = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let r = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let heads: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "migration-multiple-heads")
        .collect();
    assert_eq!(heads.len(), 1, "{findings:?}");
    assert_eq!(heads[0]["commit"], json!(merge));
    // The merge's files were judged in their own commits: b2's empty
    // downgrade once, from the commit that wrote it.
    let empty: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "downgrade-empty")
        .collect();
    assert_eq!(empty.len(), 1, "{findings:?}");
    assert_ne!(empty[0]["commit"], json!(merge));
}
