//! The SQLAlchemy models of a repository: which files hold them, the
//! schema they declare ([`extract`]), and what changed between two
//! versions of it ([`diff`]).
//!
//! `model-without-migration` (in `src/rules/`) builds on this; nothing
//! here knows about rules, git or findings.

pub mod canon;
pub mod compare;
pub mod dbtype;
pub mod diff;
pub mod extract;
pub mod imports;
pub mod schema;

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use globset::GlobSet;

use crate::blob_cache;
use crate::changes::BlobRef;
use crate::config::{ModelsConfig, glob_set};

/// What a file that declares models contains, one of these at least
/// (README, Configuration): a table name, a `Table(...)`, a 2.0 or classic
/// column, a Flask-SQLAlchemy model, a SQLModel table.
pub const DECLARATIONS: &[&str] = &[
    "__tablename__",
    "Table(",
    "mapped_column",
    "Column(",
    "db.Model",
    "table=True",
];

/// Decides which files are model files: by default every Python file
/// outside the tests that declares models ([`DECLARATIONS`], a byte-level
/// test on its content, answered once per blob), wherever it lives
/// (issue 25: models outside the usual folders were missed); the
/// configured `models.paths` globs replace that when set.
pub enum ModelPaths {
    /// Found by content.
    Discover,
    /// `models.paths` from `.dbguard.yaml`.
    Globs(GlobSet),
}

impl ModelPaths {
    /// The matcher for a configuration.
    pub fn new(config: &ModelsConfig) -> ModelPaths {
        if config.paths.is_empty() {
            ModelPaths::Discover
        } else {
            ModelPaths::Globs(glob_set(&config.paths))
        }
    }

    /// Whether the repository path `path` may be a model file by its name
    /// alone: a Python file outside the tests, or one matching the globs.
    /// Cheap; [`ModelPaths::is_model`] then looks at the content.
    pub fn may_be_model(&self, path: &str) -> bool {
        if !path.ends_with(".py") {
            return false;
        }
        match self {
            ModelPaths::Discover => !is_test_path(path),
            ModelPaths::Globs(g) => g.is_match(path),
        }
    }

    /// Whether `path`, whose content is `blob`, is a model file. `read`
    /// reads the content; it is called only when the path alone does not
    /// decide, and at most once per blob id in a run.
    pub fn is_model(
        &self,
        path: &str,
        blob: &BlobRef,
        read: impl FnOnce() -> anyhow::Result<Option<Vec<u8>>>,
    ) -> anyhow::Result<bool> {
        if !self.may_be_model(path) {
            return Ok(false);
        }
        match self {
            ModelPaths::Globs(_) => Ok(true),
            ModelPaths::Discover => blob_cache::flag("declares-models", blob, || {
                Ok(read()?.is_some_and(|b| declares_models(&b)))
            }),
        }
    }

    /// [`ModelPaths::is_model`] for content already in memory.
    pub fn is_model_bytes(&self, path: &str, bytes: &[u8]) -> bool {
        self.may_be_model(path)
            && match self {
                ModelPaths::Globs(_) => true,
                ModelPaths::Discover => declares_models(bytes),
            }
    }
}

/// Whether Python source declares models: one of [`DECLARATIONS`] in
/// its bytes. Nothing is parsed to decide.
pub fn declares_models(bytes: &[u8]) -> bool {
    static FINDER: OnceLock<AhoCorasick> = OnceLock::new();
    FINDER
        .get_or_init(|| AhoCorasick::new(DECLARATIONS).expect("fixed patterns"))
        .is_match(bytes)
}

/// Test code, whose models are fixtures: `tests/` or `test/` folders,
/// `test_*.py`, `*_test.py`, `conftest.py`; and installed packages.
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let name = parts.next_back().unwrap_or(path);
    name.starts_with("test_")
        || name.ends_with("_test.py")
        || name == "conftest.py"
        || name == "tests.py"
        || parts.any(|d| {
            matches!(
                d,
                "tests" | "test" | "testing" | "site-packages" | ".venv" | "venv" | "node_modules"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PathGlob;

    #[test]
    fn model_files_are_found_by_what_they_declare_outside_tests() {
        let p = ModelPaths::new(&ModelsConfig::default());
        for (path, src) in [
            (
                "app/models.py",
                "class User(Base):\n    __tablename__ = 'users'\n",
            ),
            ("src/app/db/schema.py", "users = Table('users', metadata)\n"),
            ("svc/entities.py", "x: Mapped[int] = mapped_column()\n"),
            (
                "core.py",
                "class User(db.Model):\n    id = db.Column(db.Integer)\n",
            ),
            (
                "heroes.py",
                "class Hero(SQLModel, table=True):\n    id: int\n",
            ),
        ] {
            assert!(p.is_model_bytes(path, src.as_bytes()), "{path}");
        }
        let model = b"class User(Base):\n    __tablename__ = 'users'\n";
        for path in [
            "tests/models.py",
            "app/tests/factories.py",
            "test_models.py",
            "app/models_test.py",
            "conftest.py",
            "app/models.txt",
            ".venv/lib/site-packages/x/models.py",
        ] {
            assert!(!p.is_model_bytes(path, model), "{path}");
        }
        assert!(!p.is_model_bytes(
            "app/schemas.py",
            b"class UserOut(BaseModel):\n    id: int\n"
        ));
    }

    #[test]
    fn configured_paths_replace_the_discovery() {
        let config = ModelsConfig {
            paths: vec![PathGlob("app/entities/*.py".into())],
        };
        let p = ModelPaths::new(&config);
        assert!(p.is_model_bytes("app/entities/user.py", b"anything"));
        assert!(!p.is_model_bytes("app/models.py", b"__tablename__ = 'x'"));
        let blob = BlobRef::Memory(std::sync::Arc::from(&b""[..]));
        let mut read = false;
        assert!(
            p.is_model("app/entities/user.py", &blob, || {
                read = true;
                Ok(None)
            })
            .unwrap()
        );
        assert!(!read, "a glob decides by the path alone");
    }
}
