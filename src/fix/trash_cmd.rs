//! `dbguard fix --restore [RUN]`, `--list-trash` and `--empty-trash`: the
//! commands that read the trash `--clean` fills (issue 28).
//!
//! `--restore` is all or nothing at planning time: when any file of the
//! run exists again at its place (with other bytes), nothing is restored
//! and the file is named, so that a database never comes back without its
//! WAL or journal. `--empty-trash` is the one command that removes a
//! database file's bytes from the disk.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::mover::{self, MoveError};
use super::trash::{Entry, Run, Trash, human_size};
use crate::git::Repo;

/// What `--restore` does with one entry of the run.
enum Step<'a> {
    /// Back from the trash to the working tree.
    Restore(&'a Entry, PathBuf, PathBuf),
    /// An interrupted move left the same bytes in both places: the trash
    /// copy is a duplicate.
    DropCopy(&'a Entry, PathBuf),
    /// Not in the trash and still in place: the run never moved it.
    NeverMoved(&'a Entry),
    /// In neither place: another run took it first, or it was deleted.
    Missing(&'a Entry),
}

fn canonical_root(repo: &Repo) -> anyhow::Result<PathBuf> {
    repo.root()
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", repo.root().display()))
}

/// The run to restore: the one named, else the last one taken from this
/// working tree (or from one that no longer exists: the repository moved).
fn pick(trash: &Trash, root: &Path, name: Option<&str>) -> anyhow::Result<Run> {
    let run = match name {
        Some(n) => trash.run(n)?,
        None => trash
            .runs()?
            .into_iter()
            .rev()
            .find(|r| r.manifest.root == root || !r.manifest.root.exists())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the trash holds nothing from this working tree (`dbguard fix --list-trash` shows what it holds)"
                )
            })?,
    };
    let from = &run.manifest.root;
    if from != root && from.exists() {
        bail!(
            "run {} came from the working tree at {}: restore it there with `dbguard -C {} fix --restore {}`",
            run.manifest.run,
            from.display(),
            from.display(),
            run.manifest.run
        );
    }
    Ok(run)
}

/// Whether the nearest existing ancestor of `dest`'s directory lies inside
/// `root`, so that restoring never writes through a symlink to elsewhere.
fn inside(root: &Path, dest: &Path) -> bool {
    let mut dir = dest.parent();
    while let Some(d) = dir {
        if let Ok(c) = d.canonicalize() {
            return c.starts_with(root);
        }
        dir = d.parent();
    }
    false
}

/// Whether a folder on the way to `dest` is now something else than a
/// folder (a file or a symlink), which restoring would have to replace.
fn blocked_by_file(root: &Path, dest: &Path) -> bool {
    let Ok(rel) = dest.strip_prefix(root) else {
        return true;
    };
    let mut at = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for c in &parts[..parts.len().saturating_sub(1)] {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
    false
}

/// Whether what is at `path` is exactly what `entry` recorded.
fn same(path: &Path, entry: &Entry) -> bool {
    mover::describe(path).is_ok_and(|(e, _)| e == entry.expect())
}

/// `dbguard fix --restore [RUN]`.
pub fn restore(
    repo: &Repo,
    name: Option<&str>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    let root = canonical_root(repo)?;
    let trash = Trash::new(repo.common_dir());
    let run = pick(&trash, &root, name)?;
    let run_name = run.manifest.run.clone();

    let mut steps = Vec::new();
    let mut conflicts = Vec::new();
    for e in &run.manifest.files {
        let stored = run.stored(e)?;
        let dest = root.join(Path::new(&e.path));
        if !inside(&root, &dest) {
            bail!(
                "not restoring run {run_name}: the folder of {} is no longer inside the repository",
                e.path
            );
        }
        if blocked_by_file(&root, &dest) {
            conflicts.push(format!(
                "a file now stands where the folder of {} was",
                e.path
            ));
            continue;
        }
        let in_trash = fs::symlink_metadata(&stored).is_ok();
        let in_place = fs::symlink_metadata(&dest).is_ok();
        match (in_trash, in_place) {
            (true, false) => steps.push(Step::Restore(e, stored, dest)),
            (true, true) if same(&dest, e) && same(&stored, e) => {
                steps.push(Step::DropCopy(e, stored))
            }
            (true, true) => conflicts.push(format!("{} exists again", e.path)),
            (false, true) => steps.push(Step::NeverMoved(e)),
            (false, false) => steps.push(Step::Missing(e)),
        }
    }
    if let Some(first) = conflicts.first() {
        let more = match conflicts.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        bail!(
            "not restoring run {run_name}: {first}{more}; move it away, then run `dbguard fix --restore {run_name}` again (nothing was restored)"
        );
    }

    let mut restored = 0usize;
    let mut bytes = 0u64;
    let mut failed = Vec::new();
    for step in &steps {
        match step {
            Step::Restore(e, stored, dest) => {
                if dry_run {
                    say(format!("would restore {} ({})", e.path, human_size(e.size)));
                    continue;
                }
                let result = match dest.parent().map(fs::create_dir_all) {
                    Some(Err(err)) => Err(MoveError::Other(
                        anyhow::Error::new(err)
                            .context(format!("cannot create the folder of {}", e.path)),
                    )),
                    _ if !inside(&root, dest) => Err(MoveError::Other(anyhow::anyhow!(
                        "its folder is no longer inside the repository"
                    ))),
                    _ => mover::move_file(stored, dest, &e.expect()),
                };
                match result {
                    Ok(()) => {
                        restored += 1;
                        bytes += e.size;
                        say(format!("restored {} ({})", e.path, human_size(e.size)));
                    }
                    Err(MoveError::Exists(_)) => {
                        failed.push(format!("{}: it exists again", e.path));
                    }
                    Err(err) => failed.push(format!("{}: {err:#}", e.path)),
                }
            }
            Step::DropCopy(e, stored) => {
                if dry_run {
                    say(format!(
                        "would drop the trash's copy of {}: the same bytes are back in place (an interrupted run)",
                        e.path
                    ));
                    continue;
                }
                fs::remove_file(stored)
                    .with_context(|| format!("cannot remove {}", stored.display()))?;
                say(format!(
                    "{} is already in place with the same bytes (an interrupted run); dropped the trash's copy",
                    e.path
                ));
            }
            Step::NeverMoved(e) => say(format!(
                "note: {} was never moved by run {run_name} (it is still in place)",
                e.path
            )),
            Step::Missing(e) => say(format!(
                "note: {} is not in run {run_name} (another run moved it: `dbguard fix --list-trash`)",
                e.path
            )),
        }
    }
    if dry_run {
        say("dry run: nothing was changed".to_string());
        return Ok(());
    }
    if let Some(first) = failed.first() {
        let more = match failed.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        bail!(
            "could not restore {first}{more}; it stays in the trash (run {run_name}), with the manifest"
        );
    }
    remove_empty_run(&run)?;
    let s = if restored == 1 { "" } else { "s" };
    say(format!(
        "restored {restored} file{s} ({}) from run {run_name}; the run is gone from the trash",
        human_size(bytes)
    ));
    Ok(())
}

/// Removes a run whose files are all back: its empty folders and its
/// manifest. Refuses (keeping everything) if any file is still inside.
fn remove_empty_run(run: &Run) -> anyhow::Result<()> {
    fn prune(dir: &Path) -> anyhow::Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => bail!("cannot read {}: {e}", dir.display()),
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                prune(&p)?;
            } else {
                bail!("{} is still in the trash; the run is kept", p.display());
            }
        }
        fs::remove_dir(dir).with_context(|| format!("cannot remove {}", dir.display()))
    }
    prune(&run.dir.join("files"))?;
    let _ = fs::remove_file(run.dir.join(".manifest.json.new"));
    fs::remove_file(run.dir.join("manifest.json"))
        .with_context(|| format!("cannot remove the manifest of {}", run.dir.display()))?;
    fs::remove_dir(&run.dir).with_context(|| format!("cannot remove {}", run.dir.display()))
}

fn shown(trash: &Trash, root: &Path) -> String {
    let dir = trash
        .dir()
        .canonicalize()
        .unwrap_or_else(|_| trash.dir().to_path_buf());
    dir.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or(dir)
        .display()
        .to_string()
}

/// `dbguard fix --list-trash`: one line per run with its files and size.
pub fn list(repo: &Repo, out: &mut dyn Write) -> anyhow::Result<()> {
    let root = canonical_root(repo)?;
    let trash = Trash::new(repo.common_dir());
    let runs = trash.runs()?;
    if runs.is_empty() {
        writeln!(out, "the trash is empty")?;
        return Ok(());
    }
    let width = runs
        .iter()
        .map(|r| r.manifest.run.len())
        .max()
        .unwrap_or(3)
        .max(3);
    writeln!(
        out,
        "{:width$}  {:>5}  {:>10}  FROM",
        "RUN", "FILES", "SIZE"
    )?;
    let (mut files, mut bytes) = (0, 0);
    for r in &runs {
        let (n, b) = r.present();
        files += n;
        bytes += b;
        let from = if r.manifest.root == root {
            "this working tree".to_string()
        } else {
            r.manifest.root.display().to_string()
        };
        writeln!(
            out,
            "{:width$}  {n:>5}  {:>10}  {from}",
            r.manifest.run,
            human_size(b)
        )?;
    }
    let s = if runs.len() == 1 { "" } else { "s" };
    let fp = if files == 1 { "" } else { "s" };
    writeln!(
        out,
        "{} run{s}, {files} file{fp}, {} in {}; `dbguard fix --restore RUN` puts a run back, `dbguard fix --empty-trash` deletes them for good",
        runs.len(),
        human_size(bytes),
        shown(&trash, &root)
    )?;
    Ok(())
}

/// `dbguard fix --empty-trash`: deletes every run for good.
pub fn empty(repo: &Repo, dry_run: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let root = canonical_root(repo)?;
    let trash = Trash::new(repo.common_dir());
    // Counted from the disk, not from the manifests: a damaged manifest
    // must not keep the trash from being emptied, nor hide what it holds.
    let mut runs: Vec<(String, usize, u64)> = match fs::read_dir(trash.dir()) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| {
                let (n, b) = usage(&e.path());
                (e.file_name().to_string_lossy().into_owned(), n, b)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            writeln!(out, "the trash is empty")?;
            return Ok(());
        }
        Err(e) => bail!("cannot read {}: {e}", trash.dir().display()),
    };
    runs.sort();
    let (mut files, mut bytes) = (0, 0);
    for (name, n, b) in &runs {
        files += n;
        bytes += b;
        let verb = if dry_run { "would delete" } else { "deleting" };
        writeln!(out, "{verb} run {name} ({n} files, {})", human_size(*b))?;
    }
    if dry_run {
        writeln!(out, "dry run: nothing was changed")?;
        return Ok(());
    }
    let place = shown(&trash, &root);
    fs::remove_dir_all(trash.dir())
        .with_context(|| format!("cannot delete {}", trash.dir().display()))?;
    writeln!(
        out,
        "emptied the trash ({place}): {files} files, {} deleted for good",
        human_size(bytes)
    )?;
    Ok(())
}

/// Files (the manifest aside) and bytes under a run's folder, symlinks
/// counted as files of no size.
fn usage(dir: &Path) -> (usize, u64) {
    let mut n = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.join("files")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                n += 1;
                if m.is_file() {
                    bytes += m.len();
                }
            }
        }
    }
    (n, bytes)
}
