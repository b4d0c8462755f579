//! Whether a database file is in use, so that `dbguard fix --clean`
//! leaves it alone (issue 28).
//!
//! A database is in use when
//! - a write-ahead log beside it is not empty (`app.db-wal`,
//!   `x.duckdb.wal`): committed transactions may live only there;
//! - a hot rollback journal is beside it (`app.db-journal`, not empty and
//!   starting with the journal header): SQLite needs it to roll back;
//! - another process holds it (or one of its companions) open. On Linux
//!   this is read from `/proc/*/fd`; processes of other users cannot be
//!   seen there (unless dbguard runs as root), but neither can they
//!   usually open your files. Where there is no `/proc` (macOS, Windows),
//!   dbguard cannot tell and is conservative: every file is taken as
//!   possibly open and left in place.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The first bytes of a SQLite rollback journal that still matters (a
/// journal whose header was zeroed, `journal_mode=PERSIST`, is cold).
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

/// The write-ahead logs that may sit beside a database.
const WAL_SUFFIXES: &[&str] = &["-wal", ".wal"];

/// Why a database must stay where it is, from the files beside it; `None`
/// when nothing beside it says it is in use. `rel` is how it is named in
/// the reason.
pub fn busy_companion(abs: &Path, rel: &str) -> Option<String> {
    let name = abs.file_name()?.to_str()?;
    for suffix in WAL_SUFFIXES {
        let wal = abs.with_file_name(format!("{name}{suffix}"));
        if let Ok(m) = fs::symlink_metadata(&wal)
            && m.is_file()
            && m.len() > 0
        {
            return Some(format!(
                "its write-ahead log {rel}{suffix} is not empty ({} bytes not yet written back to the database)",
                m.len()
            ));
        }
    }
    let journal = abs.with_file_name(format!("{name}-journal"));
    let mut head = [0u8; 8];
    if let Ok(mut f) = fs::File::open(&journal)
        && f.read_exact(&mut head).is_ok()
        && head == JOURNAL_MAGIC
    {
        return Some(format!(
            "{rel}-journal is a hot journal (an interrupted transaction SQLite must roll back)"
        ));
    }
    None
}

/// The processes that hold files open, found once per run.
pub struct OpenFiles {
    /// (device, inode) of every file held open by another process, with
    /// that process's name and id. `None`: this system cannot tell.
    held: Option<HashMap<(u64, u64), String>>,
}

impl OpenFiles {
    /// Scans the processes for open files among `candidates` (paths that
    /// may be moved). Only files whose name is one of theirs are looked
    /// at closely.
    pub fn scan(candidates: &[PathBuf]) -> OpenFiles {
        OpenFiles {
            held: scan(candidates),
        }
    }

    /// Why `abs` must stay: the process that holds it open, or that this
    /// system cannot tell.
    pub fn holder(&self, abs: &Path) -> Option<String> {
        let Some(held) = &self.held else {
            return Some(
                "dbguard cannot tell on this system whether another program holds it open".into(),
            );
        };
        let key = file_id(&fs::symlink_metadata(abs).ok()?)?;
        held.get(&key).map(|who| format!("{who} holds it open"))
    }
}

#[cfg(unix)]
fn file_id(m: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(target_os = "linux")]
fn scan(candidates: &[PathBuf]) -> Option<HashMap<(u64, u64), String>> {
    use std::collections::HashSet;
    use std::ffi::OsString;

    let names: HashSet<OsString> = candidates
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
        .collect();
    let mut held = HashMap::new();
    if names.is_empty() {
        return Some(held);
    }
    let me = std::process::id().to_string();
    let procs = fs::read_dir("/proc").ok()?;
    for p in procs.flatten() {
        let pid = p.file_name();
        let Some(pid) = pid.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        // Another user's process cannot be read: it is skipped.
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            if !target.file_name().is_some_and(|n| names.contains(n)) {
                continue;
            }
            // The file itself, wherever the process sees it from.
            if let Some(key) = fs::metadata(fd.path()).ok().as_ref().and_then(file_id) {
                held.entry(key).or_insert_with(|| {
                    let comm = fs::read_to_string(p.path().join("comm")).unwrap_or_default();
                    format!("process {pid} ({})", comm.trim())
                });
            }
        }
    }
    Some(held)
}

#[cfg(not(target_os = "linux"))]
fn scan(_: &[PathBuf]) -> Option<HashMap<(u64, u64), String>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_empty_wal_or_a_hot_journal_means_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        fs::write(&db, b"SQLite format 3\0").unwrap();
        assert_eq!(busy_companion(&db, "app.db"), None);
        fs::write(dir.path().join("app.db-wal"), b"").unwrap();
        assert_eq!(busy_companion(&db, "app.db"), None, "an empty WAL is cold");
        fs::write(dir.path().join("app.db-wal"), b"frames").unwrap();
        let why = busy_companion(&db, "app.db").unwrap();
        assert!(why.contains("app.db-wal is not empty"), "{why}");
        fs::remove_file(dir.path().join("app.db-wal")).unwrap();
        fs::write(dir.path().join("app.db-journal"), [0u8; 512]).unwrap();
        assert_eq!(
            busy_companion(&db, "app.db"),
            None,
            "a zeroed journal is cold"
        );
        let mut hot = JOURNAL_MAGIC.to_vec();
        hot.extend([0u8; 504]);
        fs::write(dir.path().join("app.db-journal"), hot).unwrap();
        let why = busy_companion(&db, "app.db").unwrap();
        assert!(why.contains("hot journal"), "{why}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_another_process_holds_open_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("held.db");
        let free = dir.path().join("free.db");
        fs::write(&db, b"x").unwrap();
        fs::write(&free, b"y").unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .stdin(fs::File::open(&db).unwrap())
            .spawn()
            .unwrap();
        let open = OpenFiles::scan(&[db.clone(), free.clone()]);
        let _ = child.kill();
        let _ = child.wait();
        let who = open.holder(&db).unwrap();
        assert!(who.contains(&child.id().to_string()), "{who}");
        assert!(who.contains("sleep"), "{who}");
        assert_eq!(open.holder(&free), None);
    }
}
