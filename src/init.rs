//! `dbguard init`: a commented starter `.dbguard.yaml` tuned to the
//! repository it finds, so a team starts from a file that already names
//! its Alembic environments, its model files and its test fixtures, and
//! shows every other key commented out with what it does.
//!
//! Detection only reads the working tree (respecting `.gitignore`); it
//! never changes anything but the one file it writes, and it refuses to
//! overwrite an existing configuration without `--force`.

use std::path::Path;
use std::sync::Arc;

use crate::alembic::discover;
use crate::changes::{BlobRef, EntryMode, MemoryReader, Snapshot, SnapshotEntry};
use crate::config::{MigrationsConfig, ModelsConfig};
use crate::models::ModelPaths;

/// Folders of test data where fake credentials and sample databases are
/// expected.
const FIXTURE_DIRS: &[&str] = &[
    "tests/fixtures",
    "test/fixtures",
    "tests/data",
    "test/data",
    "spec/fixtures",
    "fixtures",
    "testdata",
];

/// How many entries detection looks at before it stops (a huge monorepo
/// still gets a useful file, quickly).
const WALK_LIMIT: usize = 200_000;
/// How many bytes of a file detection reads (Alembic's ini and env.py, the
/// start of a Python file that may declare models).
const SNIFF_LEN: u64 = 64 * 1024;

/// What `dbguard init` found in a repository.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Alembic environments as the checks will find them:
    /// `(script_location, where it was found)`.
    pub environments: Vec<(String, String)>,
    /// Files that declare SQLAlchemy models, found as the checks find
    /// them (by content, outside tests).
    pub models: Vec<String>,
    /// Test-data folders that exist.
    pub fixtures: Vec<String>,
}

/// Walks the working tree under `root` (honouring `.gitignore`, skipping
/// hidden folders) and notes what the config should mention. Alembic
/// environments and model files are found by the same code the checks use.
pub fn detect(root: &Path) -> Layout {
    let mut layout = Layout::default();
    let models = ModelPaths::new(&ModelsConfig::default());
    let mut entries = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .parents(false)
        .require_git(false)
        .build();
    for entry in walker.flatten().take(WALK_LIMIT) {
        let Some(kind) = entry.file_type() else {
            continue;
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if kind.is_dir() {
            if FIXTURE_DIRS.contains(&rel.as_str()) {
                layout.fixtures.push(rel);
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        // Alembic discovery reads only ini files and env.py; every other
        // file is an empty placeholder that shows the folders exist.
        let content = if name == "env.py" || (name.ends_with(".ini") && name.contains("alembic")) {
            sniff(entry.path())
        } else {
            Vec::new()
        };
        if models.may_be_model(&rel) && models.is_model_bytes(&rel, &sniff(entry.path())) {
            layout.models.push(rel.clone());
        }
        entries.push(SnapshotEntry {
            path: rel,
            blob: BlobRef::Memory(Arc::from(content)),
            mode: EntryMode::File,
        });
    }
    let snapshot = Snapshot::new(entries);
    layout.environments =
        discover::environments(&snapshot, &MemoryReader, &MigrationsConfig::default())
            .into_iter()
            .map(|e| {
                let location = if e.script_location.is_empty() {
                    ".".to_string()
                } else {
                    e.script_location
                };
                let origin = e.origin.describe();
                (location, origin)
            })
            .collect();
    layout.models.sort();
    layout.fixtures.sort();
    layout
}

/// The first [`SNIFF_LEN`] bytes of a file (empty when unreadable).
fn sniff(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(SNIFF_LEN).read_to_end(&mut head);
    }
    head
}

/// Quotes a value for YAML when it needs it.
fn yaml_str(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c))
        && !s.is_empty()
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The starter configuration for `layout`: every key present, those that
/// the repository calls for set, the others commented out.
pub fn starter(layout: &Layout) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# yaml-language-server: $schema={}/raw/main/dbguard.schema.json\n",
        env!("CARGO_PKG_REPOSITORY")
    ));
    s.push_str(
        "# dbguard configuration, written by `dbguard init` for this repository.\n\
         # Every key is optional. `dbguard rules` lists the rule ids and\n\
         # `dbguard rules RULE` explains one; README.md describes every key.\n\n",
    );
    s.push_str(
        "# Run only these rules (default: all of them).\n\
         # select: [db-file, credential, env-file]\n\n\
         # Never run these rules.\n\
         # ignore: [sql-injection]\n\n\
         # Severity per rule: error (fails the commit), warning, or off.\n\
         # severity:\n\
         #   migration-filename: off\n\
         #   db-gitignore: error\n\n",
    );
    s.push_str("# Paths no rule reports on (test data, vendored code).\n");
    if layout.fixtures.is_empty() {
        s.push_str("# allow:\n#   - tests/fixtures/**\n\n");
    } else {
        s.push_str("allow:\n");
        for dir in &layout.fixtures {
            s.push_str(&format!("  - {}\n", yaml_str(&format!("{dir}/**"))));
        }
        s.push('\n');
    }
    s.push_str(
        "# Files larger than this many bytes are not read as text.\n\
         # max_file_size: 16777216\n\n\
         # Credentials: paths where they are expected, values that are not secrets.\n\
         # credentials:\n\
         #   allow_paths: [docs/examples/**]\n\
         #   allow_values: ['^test-']\n\n",
    );

    s.push_str("# Alembic migration environments.\n");
    if layout.environments.is_empty() {
        s.push_str("# None found: dbguard reads every alembic.ini, and env.py beside versions/.\n");
    } else {
        s.push_str("# dbguard finds these by itself; they are listed here for reference:\n");
        for (location, origin) in &layout.environments {
            s.push_str(&format!("#   {location} ({origin})\n"));
        }
    }
    s.push_str(
        "# Add an environment discovery cannot see:\n\
         # migrations:\n\
         #   environments:\n\
         #     - script_location: backend/migrations\n\n",
    );

    s.push_str("# SQLAlchemy models: schema changes there need a migration.\n");
    if layout.models.is_empty() {
        s.push_str("# None found");
    } else {
        s.push_str(&format!("# Found: {}", summary(&layout.models)));
    }
    s.push_str(
        ".\n# Model files are the Python files outside tests that declare models\n\
         # (__tablename__, Table(, mapped_column, Column(, db.Model, table=True);\n\
         # setting paths replaces that:\n\
         # models:\n#   paths: ['backend/app/models/**/*.py']\n",
    );
    if layout.environments.is_empty() && !layout.models.is_empty() {
        // Models without Alembic: the rule asks for Alembic on every schema
        // change. A project whose schema has another keeper (create_all,
        // its own upgrade functions) says so once here, not in every commit.
        s.push_str(
            "# No Alembic environment was found, so model-without-migration asks for one\n\
             # on every schema change in the models. If the schema is managed another way:\n\
             # severity:\n#   model-without-migration: off\n",
        );
    }
    s
}

/// A short list of paths for a comment.
fn summary(paths: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut out = paths
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        out.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Config {
        Config::parse(text, Path::new(".dbguard.yaml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn an_empty_repository_gets_a_fully_commented_file_that_parses() {
        let text = starter(&Layout::default());
        let c = parse(&text);
        assert!(c.allow.is_empty() && c.models.paths.is_empty());
        assert!(text.contains("# select:"));
    }

    #[test]
    fn detected_layout_is_written_and_parses() {
        let layout = Layout {
            environments: vec![
                (
                    "backend/migrations".into(),
                    "from backend/alembic.ini".into(),
                ),
                ("svc/migrations".into(), "env.py beside versions/".into()),
            ],
            models: vec![
                "backend/app/models.py".into(),
                "backend/app/schema tables.py".into(),
            ],
            fixtures: vec!["tests/fixtures".into()],
        };
        let text = starter(&layout);
        let c = parse(&text);
        assert_eq!(c.allow.len(), 1);
        assert_eq!(c.allow[0].0, "tests/fixtures/**");
        // Discovery finds them all: no paths to keep up to date.
        assert!(c.models.paths.is_empty());
        assert!(text.contains("# Found: backend/app/models.py"), "{text}");
        assert!(text.contains("#   backend/migrations (from backend/alembic.ini)\n"));
        assert!(text.contains("#   svc/migrations (env.py beside versions/)\n"));
        assert!(!text.contains("No Alembic environment was found"), "{text}");
    }

    #[test]
    fn models_without_alembic_are_told_how_to_turn_the_rule_off() {
        let layout = Layout {
            models: vec!["app/models.py".into()],
            ..Layout::default()
        };
        let text = starter(&layout);
        assert!(text.contains("No Alembic environment was found"), "{text}");
        // The last commented `severity:` block is the one written for this
        // layout; uncommented, it turns the rule off.
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect();
        let at = lines.iter().rposition(|l| *l == "severity:").unwrap();
        let uncommented = lines[at..at + 2].join("\n");
        let c = parse(&uncommented);
        assert_eq!(
            c.severity_of(crate::rules::RuleId::ModelWithoutMigration),
            None
        );
    }

    #[test]
    fn detection_finds_alembic_models_and_fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, s: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        write(
            "backend/alembic.ini",
            "[alembic]\nscript_location = %(here)s/migrations\n",
        );
        write("backend/migrations/env.py", "from alembic import context\n");
        write("backend/migrations/versions/1_a.py", "");
        write(
            "flaskapp/migrations/env.py",
            "from alembic import context\n",
        );
        write("flaskapp/migrations/versions/1_b.py", "");
        write("backend/app/models/user.py", "class User: pass\n");
        write(
            "backend/app/models/post.py",
            "class Post(Base):\n    __tablename__ = 'posts'\n",
        );
        write(
            "backend/tests/test_models.py",
            "class Post(Base):\n    __tablename__ = 'posts'\n",
        );
        write(
            "backend/app/tables.py",
            "from sqlalchemy.orm import DeclarativeBase\nclass Base(DeclarativeBase): pass\nclass T(Base):\n    id = mapped_column(primary_key=True)\n",
        );
        write("backend/app/views.py", "import sqlalchemy\n");
        write("tests/fixtures/a.txt", "");
        let layout = detect(root);
        assert_eq!(
            layout,
            Layout {
                environments: vec![
                    (
                        "backend/migrations".into(),
                        "from backend/alembic.ini".into()
                    ),
                    (
                        "flaskapp/migrations".into(),
                        "env.py beside versions/".into()
                    ),
                ],
                models: vec![
                    "backend/app/models/post.py".into(),
                    "backend/app/tables.py".into(),
                ],
                fixtures: vec!["tests/fixtures".into()],
            }
        );
        parse(&starter(&layout));
    }

    #[test]
    fn yaml_quoting() {
        assert_eq!(yaml_str("tests/fixtures/**"), "'tests/fixtures/**'");
        assert_eq!(yaml_str("a/b.py"), "a/b.py");
        assert_eq!(yaml_str("it's"), "'it''s'");
    }
}
