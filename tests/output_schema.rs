//! The JSON Schemas of dbguard's `--format json` outputs
//! (`docs/schema/check.schema.json`, `docs/schema/migrations.schema.json`,
//! `docs/schema/models.schema.json`,
//! documented in docs/output.md) describe what the real binary prints:
//! real reports from real repositories validate, the schemas refuse the
//! mistakes a consumer would trip on (they are strict: no unknown field),
//! and the rule list is the registry's.

mod common;

use std::path::Path;

use common::TestRepo;
use serde_json::{Value, json};

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schema")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&value).expect("the schema compiles")
}

fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// A database URL with an inline password, assembled at run time.
fn db_url() -> String {
    let password = ["s3cr", "etPa55", "word9"].concat();
    format!("postgresql://app:{password}@db.internal:5432/app")
}

/// A repository whose staged changes make findings of several rules: a
/// database file (no position), a credential (position, kind, secret), a
/// .env file, and a migration without downgrade().
fn repo_with_findings() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("README.md", "hello\n");
    repo.commit("initial");
    repo.stage("app.db", common::sqlite_bytes());
    repo.stage("settings.py", format!("DATABASE_URL = \"{}\"\n", db_url()));
    repo.stage(".env", "DEBUG=1\n");
    repo.stage("alembic.ini", "[alembic]\nscript_location = migrations\n");
    repo.stage("migrations/env.py", "from alembic import context\n");
    repo.stage(
        "migrations/versions/a1_init.py",
        "\"\"\"init\"\"\"\nrevision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    pass\n",
    );
    repo
}

#[test]
fn real_check_reports_validate() {
    let check = schema("check.schema.json");
    let repo = repo_with_findings();
    let staged = repo.check_json(&[]);
    let doc = staged.json();
    let rules: Vec<_> = staged.findings().into_iter().map(|(r, _)| r).collect();
    for rule in ["db-file", "credential", "env-file", "downgrade-missing"] {
        assert!(rules.iter().any(|r| r == rule), "no {rule} in {rules:?}");
    }
    assert_eq!(errors(&check, &doc), Vec::<String>::new(), "{doc:#}");
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["line"].is_null()));
    assert!(findings.iter().any(|f| f.get("secret").is_some()));

    // --range: findings carry the commit.
    repo.commit("everything");
    let range = repo.check_json(&["--range", "HEAD~1..HEAD"]);
    let doc = range.json();
    assert!(doc["findings"][0]["commit"].is_string(), "{doc:#}");
    assert_eq!(errors(&check, &doc), Vec::<String>::new(), "{doc:#}");

    // A clean run.
    let clean = TestRepo::new();
    clean.stage("a.py", "x = 1\n");
    let doc = clean.check_json(&[]).json();
    assert_eq!(errors(&check, &doc), Vec::<String>::new(), "{doc:#}");
}

/// What a mistake is, and how to make it in a good document.
type Mistake = (&'static str, fn(&mut Value));

#[test]
fn check_schema_refuses_what_the_contract_does_not_allow() {
    let check = schema("check.schema.json");
    let good = json!({
        "version": 1,
        "findings": [{
            "rule": "db-file", "severity": "error", "path": "app.db",
            "line": null, "column": null, "commit": null, "message": "m"
        }],
        "summary": {"errors": 1, "warnings": 0, "files_scanned": 1}
    });
    assert_eq!(errors(&check, &good), Vec::<String>::new());
    let mistakes: [Mistake; 7] = [
        ("an unknown rule", |d| {
            d["findings"][0]["rule"] = json!("db-files")
        }),
        ("an unknown severity", |d| {
            d["findings"][0]["severity"] = json!("fatal")
        }),
        ("a 0 line", |d| d["findings"][0]["line"] = json!(0)),
        ("a missing commit", |d| {
            d["findings"][0].as_object_mut().unwrap().remove("commit");
        }),
        ("an unknown finding field", |d| {
            d["findings"][0]["hint"] = json!("h")
        }),
        ("no summary", |d| {
            d.as_object_mut().unwrap().remove("summary");
        }),
        ("another version", |d| d["version"] = json!(2)),
    ];
    for (what, mutate) in mistakes {
        let mut doc = good.clone();
        mutate(&mut doc);
        assert!(
            !errors(&check, &doc).is_empty(),
            "the schema accepts {what}"
        );
    }
}

#[test]
fn check_schema_lists_every_rule_id() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/check.schema.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let listed: Vec<&str> = value["definitions"]["RuleId"]["enum"]
        .as_array()
        .expect("a RuleId enum")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let registry: Vec<&str> = dbguard::rules::RuleId::all().map(|r| r.as_str()).collect();
    assert_eq!(
        listed, registry,
        "docs/schema/check.schema.json's RuleId enum is not the rule registry"
    );
}

#[test]
fn real_migrations_reports_validate() {
    let migrations = schema("migrations.schema.json");
    let repo = TestRepo::new();
    repo.write(
        "backend/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .write("backend/migrations/env.py", "from alembic import context\n");
    let rev = |id: &str, down: &str, extra: &str, body: &str| {
        format!(
            "\"\"\"{id} message\"\"\"\nrevision = '{id}'\ndown_revision = {down}\n{extra}\ndef upgrade():\n    pass\n\n{body}"
        )
    };
    repo.write(
        "backend/migrations/versions/a1_base.py",
        rev("a1", "None", "", "def downgrade():\n    pass\n"),
    )
    .write(
        "backend/migrations/versions/b2_left.py",
        rev("b2", "'a1'", "branch_labels = ('left',)\n", ""),
    )
    .write(
        "backend/migrations/versions/c3_right.py",
        rev(
            "c3",
            "'a1'",
            "depends_on = 'b2'\n",
            "def downgrade():\n    raise NotImplementedError()\n",
        ),
    )
    .write(
        "backend/migrations/versions/d4_merge.py",
        rev("d4", "('b2', 'c3')", "", "def downgrade():\n    pass\n"),
    );
    repo.add(&["."]);
    let run = repo.dbguard(&["migrations", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let revisions = doc["environments"][0]["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 4, "{doc:#}");
    assert_eq!(errors(&migrations, &doc), Vec::<String>::new(), "{doc:#}");

    let empty = TestRepo::new();
    empty.stage("a.py", "x = 1\n");
    let doc = empty.dbguard(&["migrations", "--format", "json"]).json();
    assert_eq!(errors(&migrations, &doc), Vec::<String>::new(), "{doc:#}");

    let mut wrong = json!({"version": 1, "environments": [{
        "script_location": "m", "directories": ["m/versions"], "heads": [], "bases": [],
        "revisions": [{"revision": "a", "down_revisions": "b", "depends_on": [],
            "branch_labels": [], "path": "m/versions/a.py", "message": "", "downgrade": "ok"}]
    }]});
    assert!(
        !errors(&migrations, &wrong).is_empty(),
        "down_revisions as a string is accepted"
    );
    wrong["environments"][0]["revisions"][0]["down_revisions"] = json!(["b"]);
    assert_eq!(errors(&migrations, &wrong), Vec::<String>::new());
    wrong["environments"][0]["revisions"][0]["downgrade"] = json!("fine");
    assert!(!errors(&migrations, &wrong).is_empty(), "downgrade: fine");
}

#[test]
fn output_doc_links_both_schemas_and_readme_links_the_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/output.md")).expect("docs/output.md");
    for schema in ["schema/check.schema.json", "schema/migrations.schema.json"] {
        assert!(
            doc.contains(schema),
            "docs/output.md does not link {schema}"
        );
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("docs/output.md"));
    assert!(!readme.contains("DESIGN.md"), "README points at DESIGN.md");
}

#[test]
fn real_models_reports_validate() {
    let models = schema("models.schema.json");
    let repo = TestRepo::new();
    repo.write("alembic.ini", "[alembic]\nscript_location = migrations\n")
        .write("migrations/env.py", "from alembic import context\n")
        .write(
            "migrations/versions/a1_init.py",
            "revision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint('id'))\n    op.execute('ALTER TABLE orgs ADD x int')\n",
        )
        .write(
            "app/models.py",
            "from sqlalchemy import Column, Integer, String, Table\n\nclass User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    email = Column(String(255))\n\norgs = Table('orgs', metadata, Column('id', Integer, primary_key=True))\n",
        );
    repo.add(&["."]);
    for args in [&["models"][..], &["models", "--diff"][..]] {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let run = repo.dbguard(&all);
        let doc = run.json();
        assert_eq!(errors(&models, &doc), Vec::<String>::new(), "{doc:#}");
        assert_eq!(doc["tables"].as_array().unwrap().len(), 2, "{doc:#}");
    }
    let doc = repo
        .dbguard(&["models", "--diff", "--format", "json"])
        .json();
    assert_eq!(doc["diff"]["differences"][0]["table"], "users", "{doc:#}");
    assert_eq!(
        doc["diff"]["unknown_tables"][0],
        "orgs (migrations/versions/a1_init.py)"
    );
    // The schema is strict: a misspelled field is refused.
    let mut wrong = doc.clone();
    wrong["diff"]["differences"][0]["mesage"] = json!("x");
    assert!(!errors(&models, &wrong).is_empty());
}
