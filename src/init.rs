//! `dbguard init`: a commented starter `.dbguard.yaml` tuned to the
//! repository it finds, so a team starts from a file that already names
//! its Alembic environments, its model files and its test fixtures, and
//! shows every other key commented out with what it does.
//!
//! Detection only reads the working tree (respecting `.gitignore`); it
//! never changes anything but the one file it writes, and it refuses to
//! overwrite an existing configuration without `--force`.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Model file globs dbguard uses when `models.paths` is not set.
pub const DEFAULT_MODEL_GLOBS: &[&str] = &["**/models/**/*.py", "**/*models.py", "**/db_models.py"];

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
/// How many bytes of a Python file are read to tell whether it declares
/// models.
const SNIFF_LEN: u64 = 64 * 1024;

/// What `dbguard init` found in a repository.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// `(alembic.ini path, script_location)` pairs, repository-relative.
    pub alembic: Vec<(String, Option<String>)>,
    /// Flask-Migrate style environments (`env.py` beside `versions/`)
    /// without an `alembic.ini`.
    pub bare_environments: Vec<String>,
    /// Files matching the default model globs.
    pub models: Vec<String>,
    /// Files outside the default globs that declare SQLAlchemy models.
    pub other_models: Vec<String>,
    /// Test-data folders that exist.
    pub fixtures: Vec<String>,
}

fn default_models() -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in DEFAULT_MODEL_GLOBS {
        if let Ok(g) = Glob::new(g) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Walks the working tree under `root` and notes what the config should
/// mention.
pub fn detect(root: &Path) -> Layout {
    let mut layout = Layout::default();
    let models = default_models();
    let mut env_dirs: Vec<String> = Vec::new();
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
        let name = entry.file_name().to_string_lossy();
        if name == "alembic.ini" {
            let location = script_location(entry.path(), root);
            layout.alembic.push((rel, location));
        } else if name == "env.py" {
            let dir = entry.path().parent().unwrap_or(root);
            if dir.join("versions").is_dir() {
                env_dirs.push(parent_of(&rel));
            }
        } else if name.ends_with(".py") {
            if models.is_match(&rel) {
                layout.models.push(rel);
            } else if declares_models(entry.path()) {
                layout.other_models.push(rel);
            }
        }
    }
    let configured: Vec<&str> = layout
        .alembic
        .iter()
        .filter_map(|(_, loc)| loc.as_deref())
        .collect();
    layout.bare_environments = env_dirs
        .into_iter()
        .filter(|d| !configured.contains(&d.as_str()))
        .collect();
    layout.alembic.sort();
    layout.bare_environments.sort();
    layout.models.sort();
    layout.other_models.sort();
    layout.fixtures.sort();
    layout
}

fn parent_of(rel: &str) -> String {
    rel.rsplit_once('/')
        .map(|(dir, _)| dir.to_string())
        .unwrap_or_default()
}

/// `script_location` of an `alembic.ini`, repository-relative, with
/// `%(here)s` expanded to the file's folder.
fn script_location(ini: &Path, root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(ini).ok()?;
    let mut parser = configparser::ini::Ini::new_cs();
    parser.set_multiline(true);
    parser.read(text).ok()?;
    let raw = parser.get("alembic", "script_location")?;
    let here = ini.parent().unwrap_or(root);
    let expanded = raw.replace("%(here)s", &here.to_string_lossy());
    let path = PathBuf::from(expanded.trim());
    let abs = if path.is_absolute() {
        path
    } else {
        here.join(path)
    };
    let rel = abs.strip_prefix(root).ok()?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    let rel = rel
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string();
    Some(if rel.is_empty() { ".".into() } else { rel })
}

/// Whether a Python file declares SQLAlchemy models (read from its start).
fn declares_models(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(SNIFF_LEN).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    (text.contains("sqlalchemy") || text.contains("flask_sqlalchemy"))
        && (text.contains("DeclarativeBase")
            || text.contains("declarative_base(")
            || text.contains("(db.Model)")
            || text.contains("__tablename__"))
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
    if layout.alembic.is_empty() && layout.bare_environments.is_empty() {
        s.push_str("# None found: dbguard reads every alembic.ini, and env.py beside versions/.\n");
    } else {
        s.push_str("# dbguard finds these by itself; they are listed here for reference:\n");
        for (ini, loc) in &layout.alembic {
            match loc {
                Some(loc) => s.push_str(&format!("#   {ini} -> {loc}\n")),
                None => s.push_str(&format!("#   {ini} (no script_location)\n")),
            }
        }
        for dir in &layout.bare_environments {
            s.push_str(&format!("#   {dir} (env.py beside versions/)\n"));
        }
    }
    s.push_str(
        "# Add an environment discovery cannot see:\n\
         # migrations:\n\
         #   environments:\n\
         #     - script_location: backend/migrations\n\n",
    );

    s.push_str("# SQLAlchemy models: schema changes there need a migration.\n");
    if layout.other_models.is_empty() {
        if layout.models.is_empty() {
            s.push_str("# None found under the default globs");
        } else {
            s.push_str(&format!(
                "# Found under the default globs: {}",
                summary(&layout.models)
            ));
        }
        s.push_str(&format!(
            ".\n# The defaults are {}; setting paths replaces them:\n\
             # models:\n#   paths: ['backend/app/models/**/*.py']\n",
            DEFAULT_MODEL_GLOBS.join(", ")
        ));
    } else {
        s.push_str(
            "# Model files were found outside the default globs, so the list below\n\
             # replaces the defaults (keep it up to date, or use globs):\n\
             models:\n  paths:\n",
        );
        for g in DEFAULT_MODEL_GLOBS {
            s.push_str(&format!("    - {}\n", yaml_str(g)));
        }
        for f in &layout.other_models {
            s.push_str(&format!("    - {}\n", yaml_str(f)));
        }
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
            alembic: vec![(
                "backend/alembic.ini".into(),
                Some("backend/migrations".into()),
            )],
            bare_environments: vec!["svc/migrations".into()],
            models: vec!["backend/app/models.py".into()],
            other_models: vec!["backend/app/schema tables.py".into()],
            fixtures: vec!["tests/fixtures".into()],
        };
        let text = starter(&layout);
        let c = parse(&text);
        assert_eq!(c.allow.len(), 1);
        assert_eq!(c.allow[0].0, "tests/fixtures/**");
        let paths: Vec<&str> = c.models.paths.iter().map(|p| p.0.as_str()).collect();
        assert!(paths.contains(&"backend/app/schema tables.py"), "{paths:?}");
        assert!(paths.contains(&"**/models/**/*.py"), "{paths:?}");
        assert!(text.contains("backend/alembic.ini -> backend/migrations"));
        assert!(text.contains("svc/migrations (env.py beside versions/)"));
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
        write("backend/migrations/env.py", "");
        write("backend/migrations/versions/1_a.py", "");
        write("flaskapp/migrations/env.py", "");
        write("flaskapp/migrations/versions/.keep", "");
        write("backend/app/models/user.py", "class User: pass\n");
        write(
            "backend/app/tables.py",
            "from sqlalchemy.orm import DeclarativeBase\nclass Base(DeclarativeBase): pass\n",
        );
        write("backend/app/views.py", "import sqlalchemy\n");
        write("tests/fixtures/a.txt", "");
        let layout = detect(root);
        assert_eq!(
            layout,
            Layout {
                alembic: vec![(
                    "backend/alembic.ini".into(),
                    Some("backend/migrations".into())
                )],
                bare_environments: vec!["flaskapp/migrations".into()],
                models: vec!["backend/app/models/user.py".into()],
                other_models: vec!["backend/app/tables.py".into()],
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
