//! `dbguard fix --clean`: deletes untracked database artifacts (test
//! databases, journals, WAL/SHM files, backups) from the working tree.
//!
//! Deleting is the one thing `fix` does that cannot be undone, so what may
//! be deleted is narrow:
//!
//! - only files whose *name* is a database name (`rules/db-files.yaml`);
//!   content is never a reason to delete;
//! - never a path that is tracked (in the index or in HEAD), allowed by
//!   the configuration, or re-included by a `!` ignore pattern;
//! - never inside `.git`, a nested repository or submodule, `node_modules`
//!   or a Python virtual or conda environment (their files belong to other
//!   tools);
//! - never through a symlink: the walk does not follow links, a symlink
//!   named like a database is removed as a link and its target is never
//!   touched, and every parent is checked to lie inside the repository
//!   right before the deletion;
//! - never the WAL, SHM or journal file of a database that stays: SQLite
//!   may still need it to recover committed transactions.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::rules::db_files;
use crate::rules::gitignore::{IgnoreRules, Verdict};

/// One file `--clean` deletes.
#[derive(Debug)]
pub struct Artifact {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub abs: PathBuf,
    /// What the name says it is ("SQLite write-ahead log").
    pub desc: &'static str,
    pub symlink: bool,
}

/// What the walk found: files to delete, and files it chose to keep.
pub struct Found {
    pub artifacts: Vec<Artifact>,
    pub notes: Vec<String>,
}

/// Companion files that belong to a database next to them.
const COMPANION_SUFFIXES: &[&str] = &["-wal", "-shm", "-journal", ".wal"];

/// Whether the walk must not enter `dir` (or look at `.git` files).
fn is_foreign(path: &Path, is_dir: bool) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == ".git" {
        return true;
    }
    is_dir
        && (name == "node_modules"
            || fs::symlink_metadata(path.join(".git")).is_ok()
            || path.join("pyvenv.cfg").is_file()
            || path.join("conda-meta").is_dir())
}

/// Every untracked database artifact under `root`. `keep` says whether a
/// repository path must stay (tracked, or allowed by the configuration).
pub fn find(root: &Path, keep: &dyn Fn(&str) -> bool, rules: &IgnoreRules) -> Found {
    let mut artifacts = Vec::new();
    let mut notes = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            e.depth() == 0 || !is_foreign(e.path(), e.file_type().is_some_and(|t| t.is_dir()))
        })
        .build();
    // An entry that cannot be read (permissions) is simply not a candidate.
    for entry in walker.flatten() {
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        let Some((_, desc)) = db_files::match_name(name) else {
            continue;
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        // A name that is not UTF-8 cannot be compared with the index
        // reliably: leave it.
        let Some(parts) = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let path = parts.join("/");
        if keep(&path) {
            continue;
        }
        if rules.verdict(&path, false) == Verdict::Whitelisted {
            notes.push(format!(
                "left {path} alone: a `!` pattern in the ignore rules re-includes it"
            ));
            continue;
        }
        artifacts.push(Artifact {
            path,
            abs: entry.path().to_path_buf(),
            desc,
            symlink: ft.is_symlink(),
        });
    }
    // A journal, WAL or SHM file of a database that stays is kept with it.
    let deleted: std::collections::HashSet<String> = artifacts
        .iter()
        .map(|a| a.path.to_ascii_lowercase())
        .collect();
    artifacts.retain(|a| {
        let lower = a.path.to_ascii_lowercase();
        let Some(suffix) = COMPANION_SUFFIXES.iter().find(|s| lower.ends_with(*s)) else {
            return true;
        };
        let main = &a.path[..a.path.len() - suffix.len()];
        let main_exists = fs::symlink_metadata(root.join(main)).is_ok();
        if main_exists && !deleted.contains(&main.to_ascii_lowercase()) {
            notes.push(format!(
                "left {} alone: it belongs to {main}, which stays (deleting it could lose data)",
                a.path
            ));
            return false;
        }
        true
    });
    Found { artifacts, notes }
}

/// Deletes one artifact after checking, right before, that it is still a
/// file or a symlink and that its directory still lies inside the
/// repository (`root` canonical).
pub fn delete(root: &Path, a: &Artifact) -> anyhow::Result<()> {
    let meta = fs::symlink_metadata(&a.abs).with_context(|| format!("cannot delete {}", a.path))?;
    if meta.is_dir() {
        bail!("cannot delete {}: it is now a directory", a.path);
    }
    let parent = a
        .abs
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .filter(|p| p.starts_with(root));
    if parent.is_none() {
        bail!(
            "cannot delete {}: its directory is no longer inside the repository",
            a.path
        );
    }
    fs::remove_file(&a.abs).with_context(|| format!("cannot delete {}", a.path))
}
