//! End-to-end tests of the migration-safety rules (issue 29) on real git
//! repositories: the dialect read from alembic.ini, env.py and
//! .dbguard.yaml, the models at the same state, staged and --all modes.

mod common;

use common::TestRepo;

const RULES: &[&str] = &[
    "migration-not-null-without-default",
    "migration-blocking-index",
    "migration-table-rewrite",
    "migration-breaking-rename",
    "migration-drop-still-mapped",
];

/// A migration `rev` revising `down` whose `upgrade()` is `body`.
fn mig(rev: &str, down: &str, body: &str) -> String {
    format!(
        "\"\"\"change {rev}\n\nRevision ID: {rev}\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{rev}\"\ndown_revision = {down}\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    raise NotImplementedError\n"
    )
}

/// A repository with an Alembic environment whose ini has `url`.
fn repo_with(url: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.stage(
        "alembic.ini",
        format!("[alembic]\nscript_location = migrations\nsqlalchemy.url = {url}\n"),
    );
    repo.stage(
        "migrations/env.py",
        "from alembic import context\ncontext.configure()\n",
    );
    repo.stage(
        "migrations/versions/a1_base.py",
        mig(
            "a1",
            "None",
            "    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))",
        ),
    );
    repo.commit("base");
    repo
}

/// `(rule, path, line)` of this family's findings.
fn found(r: &common::Run) -> Vec<(String, String, u64)> {
    r.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| RULES.contains(&f["rule"].as_str().unwrap_or_default()))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

const RISKY: &str = "    op.add_column('users', sa.Column('plan', sa.String(20), nullable=False))\n    op.create_index('ix_users_plan', 'users', ['plan'])\n    op.alter_column('users', 'id', existing_type=sa.Integer(), type_=sa.BigInteger())\n    op.alter_column('users', 'name', new_column_name='full_name')";

#[test]
fn postgresql_from_the_ini_url_enables_the_dialect_rules() {
    let repo = repo_with("postgresql://app@localhost/app");
    repo.stage("migrations/versions/b2_risky.py", mig("b2", "'a1'", RISKY));
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 0, "warnings only: {}{}", r.stdout, r.stderr);
    let p = "migrations/versions/b2_risky.py".to_string();
    assert_eq!(
        found(&r),
        [
            ("migration-not-null-without-default".into(), p.clone(), 13),
            ("migration-blocking-index".into(), p.clone(), 14),
            ("migration-table-rewrite".into(), p.clone(), 15),
            ("migration-breaking-rename".into(), p, 16),
        ]
    );
    // Committed, the same migration is not re-checked when nothing is staged.
    repo.commit("risky");
    assert!(found(&repo.check_json(&[])).is_empty());
    // --all checks every migration.
    assert_eq!(found(&repo.check_json(&["--all"])).len(), 4);
}

#[test]
fn unknown_dialect_keeps_the_dialect_rules_silent_until_configured() {
    let repo = repo_with("driver://user:pass@localhost/dbname");
    repo.stage("migrations/versions/b2_risky.py", mig("b2", "'a1'", RISKY));
    let rules: Vec<String> = found(&repo.check_json(&[]))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(
        rules,
        [
            "migration-not-null-without-default",
            "migration-breaking-rename"
        ]
    );
    // env.py importing a MySQL driver: the type change copies the table,
    // the index is not a PostgreSQL lock.
    repo.stage(
        "migrations/env.py",
        "import pymysql\nfrom alembic import context\ncontext.configure()\n",
    );
    let rules: Vec<String> = found(&repo.check_json(&[]))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(
        rules.contains(&"migration-table-rewrite".to_string()),
        "{rules:?}"
    );
    assert!(
        !rules.contains(&"migration-blocking-index".to_string()),
        "{rules:?}"
    );
    // .dbguard.yaml wins over env.py.
    repo.stage(".dbguard.yaml", "migrations:\n  dialect: postgresql\n");
    let rules: Vec<String> = found(&repo.check_json(&[]))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(
        rules.contains(&"migration-blocking-index".to_string()),
        "{rules:?}"
    );
    // A bad value is a config error: exit 2, one line.
    repo.stage(".dbguard.yaml", "migrations:\n  dialect: postgres9\n");
    let r = repo.check_json(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("dialect"), "{}", r.stderr);
}

/// Model files are found by what they declare, and revision files
/// declare tables too (`op.create_table(..., sa.Column("legacy", ...))`):
/// an older revision is history, never the models (dispatch).
#[test]
fn an_older_revision_declaring_the_column_is_not_the_models() {
    let repo = repo_with("postgresql://app@localhost/app");
    repo.stage(
        "migrations/versions/a2_legacy.py",
        mig(
            "a2",
            "'a1'",
            "    op.create_table('events', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('legacy', sa.Boolean()))",
        ),
    );
    repo.stage(
        "migrations/upgrade_helpers.py",
        "from sqlalchemy import Column, Integer, Boolean, Table, MetaData\n\nevents = Table('events', MetaData(), Column('id', Integer, primary_key=True), Column('legacy', Boolean))\n",
    );
    repo.commit("events with a legacy column");
    repo.stage(
        "migrations/versions/b2_drop.py",
        mig("b2", "'a2'", "    op.drop_column('events', 'legacy')"),
    );
    let r = repo.check_json(&[]);
    assert_eq!(found(&r), [], "{}", r.stdout);
}

#[test]
fn a_drop_is_reported_while_the_models_still_map_it() {
    let repo = repo_with("postgresql://app@localhost/app");
    let model = "from sqlalchemy.orm import DeclarativeBase\nfrom sqlalchemy import Column, Integer, Boolean\n\nclass Base(DeclarativeBase):\n    pass\n\nclass User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    legacy = Column(Boolean)\n";
    repo.stage("app/models.py", model);
    repo.commit("models");
    let path = "migrations/versions/b2_drop.py";
    repo.stage(
        path,
        mig("b2", "'a1'", "    op.drop_column('users', 'legacy')"),
    );
    let r = repo.check_json(&[]);
    assert_eq!(
        found(&r),
        [("migration-drop-still-mapped".into(), path.into(), 13)]
    );
    let json = r.json();
    let msg = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "migration-drop-still-mapped")
        .and_then(|f| f["message"].as_str())
        .unwrap()
        .to_string();
    assert!(msg.contains("app/models.py:10"), "{msg}");
    // The allow comment above the drop silences it.
    repo.stage(
        path,
        mig(
            "b2",
            "'a1'",
            "    # dbguard: allow migration-drop-still-mapped\n    op.drop_column('users', 'legacy')",
        ),
    );
    assert!(found(&repo.check_json(&[])).is_empty());
    repo.stage(
        path,
        mig("b2", "'a1'", "    op.drop_column('users', 'legacy')"),
    );
    // Removing the column from the models in the same change fixes it.
    repo.stage(
        "app/models.py",
        model.replace("    legacy = Column(Boolean)\n", ""),
    );
    assert!(found(&repo.check_json(&[])).is_empty());
    // A later migration that adds it back makes the old drop history.
    repo.stage("app/models.py", model);
    repo.stage(
        "migrations/versions/c3_back.py",
        mig(
            "c3",
            "'b2'",
            "    op.add_column('users', sa.Column('legacy', sa.Boolean()))",
        ),
    );
    repo.commit("drop and re-add");
    let all = found(&repo.check_json(&["--all"]));
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn suppression_comment_silences_one_finding() {
    let repo = repo_with("postgresql://app@localhost/app");
    let body = "    # dbguard: allow migration-blocking-index\n    op.create_index('ix_a', 'users', ['id'])\n    op.create_index('ix_b', 'users', ['id'])";
    repo.stage("migrations/versions/b2_ix.py", mig("b2", "'a1'", body));
    let lines: Vec<u64> = found(&repo.check_json(&[]))
        .into_iter()
        .map(|f| f.2)
        .collect();
    assert_eq!(lines, [15]);
}

#[test]
fn range_mode_reports_the_commit_that_added_the_migration() {
    let repo = repo_with("postgresql+psycopg2://app@localhost/app");
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.stage(
        "migrations/versions/b2_ix.py",
        mig("b2", "'a1'", "    op.create_index('ix_a', 'users', ['id'])"),
    );
    let added = repo.commit("index");
    repo.stage("README.md", "unrelated\n");
    repo.commit("docs");
    let r = repo.check_json(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let json = r.json();
    let hits: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "migration-blocking-index")
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["commit"], added.as_str());
    assert_eq!(hits[0]["kind"], "not-concurrent");
}
