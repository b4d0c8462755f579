//! `dbguard fix --clean`: moves untracked database artifacts (test
//! databases, journals, WAL/SHM files, backups) out of the working tree
//! into the trash in the git directory (see [`super::trash`]), from where
//! `dbguard fix --restore` puts them back. Nothing is unlinked here
//! (issue 28: a developer's ignored local database is their working data).
//!
//! What may be moved is still narrow:
//!
//! - only files whose name is a database name, or whose first bytes are a
//!   database header (`rules/db-files.yaml`, as the `db-file` rule);
//! - never a path that is tracked (in the index or in HEAD), allowed by
//!   the configuration, or re-included by a `!` ignore pattern;
//! - never inside `.git`, a nested repository or submodule, `node_modules`
//!   or a Python virtual or conda environment (their files belong to other
//!   tools);
//! - never through a symlink: the walk does not follow links, a symlink
//!   named like a database is moved as a link and its target is never
//!   touched, and every parent is checked to lie inside the repository
//!   right before the move;
//! - never a database in use (see [`super::in_use`]), nor its journal,
//!   WAL or SHM file; never the companion of a database that stays.
//!   A database and its companions move together or stay together.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::in_use::{self, OpenFiles};
use super::mover::{self, MoveError};
use super::trash::{Entry, Trash, human_size};
use crate::rules::db_files;
use crate::rules::gitignore::{IgnoreRules, Verdict};

/// One file `--clean` moves to the trash.
#[derive(Debug)]
pub struct Artifact {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub abs: PathBuf,
    /// What the name (or the content) says it is ("SQLite write-ahead
    /// log").
    pub desc: &'static str,
    /// Recognised by its first bytes, whatever its name.
    pub by_content: bool,
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
        // Only files and symlinks: a named pipe or a socket called
        // `x.db` is no database and cannot be moved byte for byte.
        if !(ft.is_file() || ft.is_symlink()) {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        let by_name = db_files::match_name(name).map(|m| m.1);
        if by_name.is_none() && !ft.is_file() {
            continue;
        }
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
        let (desc, by_content) = match by_name {
            Some(desc) => (desc, false),
            None => match content_kind(entry.path()) {
                Some(desc) => (desc, true),
                None => continue,
            },
        };
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
            by_content,
            symlink: ft.is_symlink(),
        });
    }
    in_use(root, &mut artifacts, &mut notes);
    Found { artifacts, notes }
}

/// The first bytes a database signature can need (`rules/db-files.yaml`).
const PROBE_LEN: usize = 512;

/// What a file's first bytes say it is, when they are a database header
/// (the `db-file` rule's signatures).
fn content_kind(path: &Path) -> Option<&'static str> {
    let mut head = Vec::with_capacity(PROBE_LEN);
    fs::File::open(path)
        .ok()?
        .take(PROBE_LEN as u64)
        .read_to_end(&mut head)
        .ok()?;
    db_files::match_content(&head).map(|m| m.1)
}

/// The database an artifact is a companion of (`app.db` for
/// `app.db-wal`), when the name says it is one.
fn main_of(path: &str) -> Option<&str> {
    let lower = path.to_ascii_lowercase();
    let suffix = COMPANION_SUFFIXES.iter().find(|s| lower.ends_with(*s))?;
    Some(&path[..path.len() - suffix.len()])
}

/// Drops, with a note naming each, every artifact that must stay: a
/// database in use (see [`in_use`]) with all its companions, and a
/// journal, WAL or SHM file of a database that stays.
fn in_use(root: &Path, artifacts: &mut Vec<Artifact>, notes: &mut Vec<String>) {
    let files: Vec<PathBuf> = artifacts
        .iter()
        .filter(|a| !a.symlink)
        .map(|a| a.abs.clone())
        .collect();
    let open = OpenFiles::scan(&files);
    let mut busy: HashMap<String, String> = HashMap::new();
    for a in artifacts.iter().filter(|a| !a.symlink) {
        let reason = match main_of(&a.path) {
            // A companion held open makes its database busy.
            Some(main) if fs::symlink_metadata(root.join(main)).is_ok() => open
                .holder(&a.abs)
                .map(|who| (main.to_ascii_lowercase(), format!("{who} ({})", a.path))),
            _ => in_use::busy_companion(&a.abs, &a.path)
                .or_else(|| open.holder(&a.abs))
                .map(|why| (a.path.to_ascii_lowercase(), why)),
        };
        if let Some((key, why)) = reason {
            busy.entry(key).or_insert(why);
        }
    }
    let moving: HashSet<String> = artifacts
        .iter()
        .map(|a| a.path.to_ascii_lowercase())
        .filter(|p| !busy.contains_key(p))
        .collect();
    artifacts.retain(|a| {
        let lower = a.path.to_ascii_lowercase();
        if let Some(why) = busy.get(&lower) {
            notes.push(format!("left {} alone: it is in use: {why}", a.path));
            return false;
        }
        let Some(main) = main_of(&a.path) else {
            return true;
        };
        let main_lower = main.to_ascii_lowercase();
        if busy.contains_key(&main_lower) {
            notes.push(format!(
                "left {} alone: it belongs to {main}, which is in use",
                a.path
            ));
            return false;
        }
        if fs::symlink_metadata(root.join(main)).is_ok() && !moving.contains(&main_lower) {
            notes.push(format!(
                "left {} alone: it belongs to {main}, which stays (moving it could lose data)",
                a.path
            ));
            return false;
        }
        true
    });
}

/// Checks, right before a move, that an artifact is still a file or a
/// symlink and that its directory still lies inside the repository
/// (`root` canonical).
fn check_inside(root: &Path, a: &Artifact) -> anyhow::Result<()> {
    let meta = fs::symlink_metadata(&a.abs).with_context(|| format!("cannot move {}", a.path))?;
    if meta.is_dir() {
        bail!("cannot move {}: it is now a directory", a.path);
    }
    let parent = a
        .abs
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .filter(|p| p.starts_with(root));
    if parent.is_none() {
        bail!(
            "cannot move {}: its directory is no longer inside the repository",
            a.path
        );
    }
    Ok(())
}

/// Moves the artifacts into a new run of the trash, saying `line(a)` for
/// each moved one and, at the end, where they went and the command that
/// puts them back. A file that cannot be moved stays where it is; the
/// run then ends in an error naming it.
pub fn move_to_trash(
    trash: &Trash,
    root: &Path,
    artifacts: &[Artifact],
    line: &dyn Fn(&Artifact) -> String,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut moving = Vec::new();
    for a in artifacts {
        if fs::symlink_metadata(&a.abs).is_err() {
            // Gone since the plan: nothing to keep.
            continue;
        }
        check_inside(root, a)?;
        entries.push(Entry::of(&a.path, &a.abs)?);
        moving.push(a);
    }
    if moving.is_empty() {
        return Ok(());
    }
    let run = trash.begin(root, entries)?;
    let mut failed = Vec::new();
    let mut moved = 0usize;
    let mut bytes = 0u64;
    for (a, e) in moving.iter().zip(&run.manifest.files) {
        let dst = run.stored(e)?;
        let result = match dst.parent().map(fs::create_dir_all) {
            Some(Err(err)) => Err(MoveError::Other(anyhow::Error::new(err).context(format!(
                "cannot create a folder for {} in the trash",
                a.path
            )))),
            _ => mover::move_file(&a.abs, &dst, &e.expect()),
        };
        match result {
            Ok(()) => {
                moved += 1;
                bytes += e.size;
                say(line(a));
            }
            Err(err) => failed.push(format!("{}: {err:#}", a.path)),
        }
    }
    if moved > 0 {
        let name = &run.manifest.run;
        let shown = run.dir.canonicalize().unwrap_or_else(|_| run.dir.clone());
        let shown = shown.strip_prefix(root).unwrap_or(&shown);
        let s = if moved == 1 { "" } else { "s" };
        say(format!(
            "moved {moved} file{s} ({}) to {}; put them back with: dbguard fix --restore {name}",
            human_size(bytes),
            shown.display()
        ));
    }
    if let Some(first) = failed.first() {
        let more = match failed.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        bail!("could not move {first}{more}; it stays where it is");
    }
    Ok(())
}
