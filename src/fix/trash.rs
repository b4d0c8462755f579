//! The trash of `dbguard fix --clean` (issue 28): where database files go
//! instead of being deleted, so that every one can be put back.
//!
//! It lives in the repository's common git directory,
//! `.git/dbguard-trash/`, which linked worktrees share and `git clean`
//! never enters. Each `--clean` run gets its own folder named by its UTC
//! time (`2026-12-07T162239Z`) holding `manifest.json` and, under
//! `files/`, the moved files at their repository-relative paths. The
//! manifest is written (and flushed) before the first file moves, so a run
//! interrupted halfway is still described: each of its files is either in
//! the trash or still in the working tree.

use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::mover::{self, Expect};

/// The folder name under the common git directory.
pub const DIR_NAME: &str = "dbguard-trash";
const MANIFEST: &str = "manifest.json";
const FILES: &str = "files";

/// The trash of one repository.
pub struct Trash {
    dir: PathBuf,
}

/// What a run moved, as written in its `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// The run's name (its folder).
    pub run: String,
    /// When it ran (RFC 3339, UTC).
    pub created: String,
    /// The working tree the files came from (absolute).
    pub root: PathBuf,
    pub files: Vec<Entry>,
}

/// One moved file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// Repository-relative, `/`-separated.
    pub path: String,
    /// Bytes (0 for a symlink).
    pub size: u64,
    /// SHA-256 of the bytes, for a regular file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The target, for a symlink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symlink: Option<PathBuf>,
}

impl Entry {
    /// What the mover must find when it moves this entry.
    pub fn expect(&self) -> Expect {
        match (&self.symlink, &self.sha256) {
            (Some(target), _) => Expect::Symlink {
                target: target.clone(),
            },
            (None, sha) => Expect::File {
                sha256: sha.clone().unwrap_or_default(),
            },
        }
    }

    /// An entry for what is at `abs` now.
    pub fn of(path: &str, abs: &Path) -> anyhow::Result<Entry> {
        let (expect, size) = mover::describe(abs).with_context(|| format!("cannot read {path}"))?;
        Ok(match expect {
            Expect::File { sha256 } => Entry {
                path: path.to_string(),
                size,
                sha256: Some(sha256),
                symlink: None,
            },
            Expect::Symlink { target } => Entry {
                path: path.to_string(),
                size,
                sha256: None,
                symlink: Some(target),
            },
        })
    }
}

/// A run folder and its manifest.
pub struct Run {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Run {
    /// Where an entry's file is kept in the trash.
    pub fn stored(&self, entry: &Entry) -> anyhow::Result<PathBuf> {
        Ok(self.dir.join(FILES).join(safe_relative(&entry.path)?))
    }

    /// The entries whose file is in the trash, and the bytes they hold.
    pub fn present(&self) -> (usize, u64) {
        let mut n = 0;
        let mut bytes = 0;
        for e in &self.manifest.files {
            if let Ok(p) = self.stored(e)
                && let Ok(m) = fs::symlink_metadata(p)
            {
                n += 1;
                bytes += if m.file_type().is_symlink() {
                    0
                } else {
                    m.len()
                };
            }
        }
        (n, bytes)
    }
}

/// A manifest path as a relative path with plain components only: a
/// manifest that was edited to point outside the trash or the working
/// tree is refused.
fn safe_relative(path: &str) -> anyhow::Result<PathBuf> {
    let p = PathBuf::from(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("the trash manifest names an unsafe path: {path:?}");
    }
    Ok(p)
}

impl Trash {
    /// The trash of the repository whose common git directory is `common`.
    pub fn new(common: &Path) -> Trash {
        Trash {
            dir: common.join(DIR_NAME),
        }
    }

    /// The trash folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts a run: creates its folder (named by the current UTC time,
    /// with `-2`, `-3`... when that name is taken) and writes its manifest.
    pub fn begin(&self, root: &Path, files: Vec<Entry>) -> anyhow::Result<Run> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let now = SystemTime::now();
        let created = humantime::format_rfc3339_seconds(now).to_string();
        let base = created.replace(':', "");
        let mut n = 1;
        let dir = loop {
            let name = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let dir = self.dir.join(&name);
            match fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => bail!("cannot create {}: {e}", dir.display()),
            }
        };
        let manifest = Manifest {
            version: 1,
            run: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            created,
            root: root.to_path_buf(),
            files,
        };
        let json = serde_json::to_vec_pretty(&manifest)?;
        let path = dir.join(MANIFEST);
        let tmp = dir.join(".manifest.json.new");
        (|| -> std::io::Result<()> {
            fs::write(&tmp, &json)?;
            fs::File::open(&tmp)?.sync_all()?;
            fs::rename(&tmp, &path)
        })()
        .with_context(|| format!("cannot write {}", path.display()))?;
        mover::sync_dir(&path);
        mover::sync_dir(&dir);
        Ok(Run { dir, manifest })
    }

    /// Every run, oldest first. A manifest that cannot be read is an
    /// error naming it.
    pub fn runs(&self) -> anyhow::Result<Vec<Run>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => bail!("cannot read {}: {e}", self.dir.display()),
        };
        // A folder without a manifest is a run that stopped before its
        // first file moved: it holds nothing.
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| e.path().join(MANIFEST).exists())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        names.iter().map(|n| self.run(n)).collect()
    }

    /// One run by name.
    pub fn run(&self, name: &str) -> anyhow::Result<Run> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!("no trash run is named {name:?}: `dbguard fix --list-trash` shows them");
        }
        let dir = self.dir.join(name);
        let path = dir.join(MANIFEST);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound && !dir.is_dir() => {
                bail!("no trash run is named {name}: `dbguard fix --list-trash` shows them")
            }
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a dbguard trash manifest", path.display()))?;
        Ok(Run { dir, manifest })
    }
}

/// `1.5 KiB`, `12 B`: sizes for people.
pub fn human_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_named_by_time_and_never_share_a_folder() {
        let git = tempfile::tempdir().unwrap();
        let trash = Trash::new(git.path());
        let a = trash.begin(Path::new("/w"), Vec::new()).unwrap();
        let b = trash.begin(Path::new("/w"), Vec::new()).unwrap();
        assert_ne!(a.dir, b.dir);
        let name = &a.manifest.run;
        assert_eq!(name.len(), "2026-12-07T162239Z".len(), "{name}");
        assert!(name.ends_with('Z') && !name.contains(':'), "{name}");
        let runs = trash.runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].manifest.run, a.manifest.run);
        assert_eq!(
            trash.run(&b.manifest.run).unwrap().manifest.root,
            Path::new("/w")
        );
    }

    #[test]
    fn a_run_name_or_manifest_path_cannot_leave_the_trash() {
        let git = tempfile::tempdir().unwrap();
        let trash = Trash::new(git.path());
        for bad in ["", "..", "../x", "a/b", ".hidden"] {
            assert!(trash.run(bad).is_err(), "{bad}");
        }
        for bad in ["", "../x", "/etc/passwd", "a/../../b"] {
            assert!(safe_relative(bad).is_err(), "{bad}");
        }
        assert_eq!(safe_relative("a/b.db").unwrap(), Path::new("a/b.db"));
    }

    #[test]
    fn sizes_read_like_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 20), "5.0 MiB");
    }
}
