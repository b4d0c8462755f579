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

use globset::GlobSet;

use crate::config::{ModelsConfig, PathGlob, glob_set};

/// Where models live when `.dbguard.yaml` does not say: the usual places
/// of SQLAlchemy projects (README, Configuration).
pub const DEFAULT_PATHS: &[&str] = &["**/models/**/*.py", "**/*models.py", "**/db_models.py"];

/// Decides which files are model files: the configured `models.paths`
/// globs, which replace the defaults when set.
pub struct ModelPaths(GlobSet);

impl ModelPaths {
    /// The matcher for a configuration.
    pub fn new(config: &ModelsConfig) -> ModelPaths {
        if config.paths.is_empty() {
            let defaults: Vec<PathGlob> = DEFAULT_PATHS
                .iter()
                .map(|p| PathGlob(p.to_string()))
                .collect();
            ModelPaths(glob_set(&defaults))
        } else {
            ModelPaths(glob_set(&config.paths))
        }
    }

    /// Whether the repository path `path` is a model file (a Python file
    /// matching the globs).
    pub fn is_model(&self, path: &str) -> bool {
        path.ends_with(".py") && self.0.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_model_paths() {
        let p = ModelPaths::new(&ModelsConfig::default());
        for yes in [
            "backend/app/models/db_models.py",
            "models/user.py",
            "app/models/__init__.py",
            "app/models.py",
            "db_models.py",
            "src/app/user_models.py",
        ] {
            assert!(p.is_model(yes), "{yes}");
        }
        for no in [
            "app/schemas.py",
            "app/models.txt",
            "app/modelsx.py",
            "app/model.py",
        ] {
            assert!(!p.is_model(no), "{no}");
        }
    }

    #[test]
    fn configured_paths_replace_the_defaults() {
        let config = ModelsConfig {
            paths: vec![PathGlob("app/entities/*.py".into())],
        };
        let p = ModelPaths::new(&config);
        assert!(p.is_model("app/entities/user.py"));
        assert!(!p.is_model("app/models.py"));
    }
}
