//! The JSON Schema of `.dbguard.yaml` (`dbguard.schema.json`, what editors
//! use to complete and validate the file) is generated from the config
//! types, committed, and kept in step with them; and it accepts what the
//! real loader accepts (README's example, `dbguard init`'s output) and
//! refuses what it refuses.
//!
//! After changing a config type, regenerate it with
//! `UPDATE_SCHEMA=1 cargo test --test schema`.

mod common;

use std::path::Path;

use common::TestRepo;

fn committed_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dbguard.schema.json")
}

#[test]
fn committed_schema_is_generated_from_the_config_types() {
    let generated = dbguard::config::json_schema();
    let path = committed_path();
    if std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| v != "0") {
        std::fs::write(&path, &generated).expect("write dbguard.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "dbguard.schema.json is out of date with src/config.rs: regenerate it with \
         `UPDATE_SCHEMA=1 cargo test --test schema` and commit it"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&dbguard::config::json_schema()).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Schema errors of a YAML config (empty when valid).
fn schema_errors(yaml: &str) -> Vec<String> {
    let value: serde_json::Value = serde_norway::from_str::<Option<serde_json::Value>>(yaml)
        .expect("YAML parses")
        .unwrap_or(serde_json::json!({}));
    validator()
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// What the real loader says about a config.
fn loader_accepts(yaml: &str) -> bool {
    dbguard::config::Config::parse(yaml, Path::new(".dbguard.yaml")).is_ok()
}

/// The `yaml` block of README.md's Configuration section.
fn readme_example() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Configuration")
        .expect("Configuration section")..];
    let start = section.find("```yaml\n").expect("a yaml block") + 8;
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

#[test]
fn schema_and_loader_agree_on_valid_configs() {
    let readme = readme_example();
    for yaml in [
        readme.as_str(),
        "",
        "allow: [tests/fixtures/**]\n",
        "severity:\n  db-file: warning\n  sql-injection: off\n",
        "migrations:\n  environments:\n    - script_location: a/b\n      version_locations: [a/b/versions]\n",
    ] {
        assert!(loader_accepts(yaml), "loader refuses:\n{yaml}");
        assert_eq!(schema_errors(yaml), Vec::<String>::new(), "{yaml}");
    }
}

#[test]
fn schema_and_loader_agree_on_mistakes() {
    for yaml in [
        "ignroe: [credential]\n",
        "select: [db-files]\n",
        "select: db-file\n",
        "severity:\n  db-file: fatal\n",
        "severity:\n  no-such-rule: error\n",
        "credentials:\n  allow_path: [x]\n",
        "models:\n  paths: 'app/*.py'\n",
        "max_file_size: big\n",
    ] {
        assert!(!loader_accepts(yaml), "loader accepts:\n{yaml}");
        assert!(!schema_errors(yaml).is_empty(), "schema accepts:\n{yaml}");
    }
}

#[test]
fn init_output_is_valid_for_the_schema() {
    let repo = TestRepo::new();
    repo.write(
        "backend/alembic.ini",
        "[alembic]\nscript_location = migrations\n",
    )
    .write("backend/migrations/env.py", "")
    .write("backend/migrations/versions/.keep", "")
    .write("tests/fixtures/sample.txt", "x")
    .write(
        "backend/app/tables.py",
        "from sqlalchemy.orm import DeclarativeBase\n",
    );
    let run = repo.dbguard(&["init", "--stdout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(schema_errors(&run.stdout), Vec::<String>::new());
    assert!(run.stdout.starts_with("# yaml-language-server: $schema="));
}
