//! Moving one file (or symlink) without ever losing it: the primitive
//! under `dbguard fix --clean` and `--restore` (issue 28).
//!
//! A move never overwrites: the destination is created with `link(2)`
//! (or `O_EXCL`), which fails when a file is already there, so a file
//! that appeared since the plan was made is never clobbered. Within one
//! file system the file gets its second name (a hard link) and then loses
//! its first: a crash in between leaves it in both places, never in
//! neither. Across file systems (or where hard links are not supported)
//! the bytes are copied to a temporary name beside the destination,
//! flushed to disk, read back and compared with the expected SHA-256,
//! then given their final name; only then is the source removed.

use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

/// What the mover must find at the source: the SHA-256 of a regular
/// file's bytes, or a symlink's target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A regular file with these bytes (lowercase hex SHA-256).
    File { sha256: String },
    /// A symlink pointing here; moved as a link, its target never read.
    Symlink { target: PathBuf },
}

/// Why a move did not happen: the caller words the two cases differently.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// Something is already at the destination; nothing was changed.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// Any other failure; the source is still in place.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// SHA-256 and length of a file's bytes, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((hex::encode(h.finalize()), len))
}

/// What is at `path` now, in the terms of [`Expect`].
pub fn describe(path: &Path) -> io::Result<(Expect, u64)> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok((
            Expect::Symlink {
                target: fs::read_link(path)?,
            },
            0,
        ));
    }
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let (sha256, len) = hash_file(path)?;
    Ok((Expect::File { sha256 }, len))
}

/// Moves `src` to `dst` (whose directory exists), checking that `src` is
/// still what `expect` says. Never overwrites `dst`.
pub fn move_file(src: &Path, dst: &Path, expect: &Expect) -> Result<(), MoveError> {
    if fs::symlink_metadata(dst).is_ok() {
        return Err(MoveError::Exists(dst.to_path_buf()));
    }
    if !testing::force_copy() {
        match fs::hard_link(src, dst) {
            Ok(()) => {
                sync_dir(dst);
                testing::reached_destination();
                return remove_source(src, dst);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(MoveError::Exists(dst.to_path_buf()));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot move {}", src.display()))
                    .into());
            }
            // Another file system, or one without hard links: copy.
            Err(_) => {}
        }
    }
    copy_verify(src, dst, expect)?;
    testing::reached_destination();
    remove_source(src, dst)
}

fn remove_source(src: &Path, dst: &Path) -> Result<(), MoveError> {
    fs::remove_file(src)
        .with_context(|| {
            format!(
                "moved a copy to {}, but cannot remove {}",
                dst.display(),
                src.display()
            )
        })
        .map_err(MoveError::Other)?;
    sync_dir(src);
    Ok(())
}

/// The copy half of a move across file systems: `dst` holds the verified
/// bytes (or the same symlink) when this returns; `src` is untouched.
fn copy_verify(src: &Path, dst: &Path, expect: &Expect) -> Result<(), MoveError> {
    let name = dst
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dst.with_file_name(format!(".{name}.dbguard-partial"));
    let _ = fs::remove_file(&tmp);
    let copied = match expect {
        Expect::Symlink { target } => {
            let now = fs::read_link(src).with_context(|| format!("cannot read {}", src.display()))?;
            if &now != target {
                return Err(anyhow::anyhow!("{} changed since it was planned", src.display()).into());
            }
            symlink(target, &tmp)
        }
        Expect::File { sha256 } => copy_bytes(src, &tmp).and_then(|()| {
            let (copy, _) = hash_file(&tmp)?;
            if &copy != sha256 {
                return Err(io::Error::other(format!(
                    "the copy does not match (SHA-256 {copy}, expected {sha256}): {} changed while it was copied",
                    src.display()
                )));
            }
            Ok(())
        }),
    };
    if let Err(e) = copied {
        let _ = fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e)
            .context(format!(
                "cannot copy {} to {}",
                src.display(),
                dst.display()
            ))
            .into());
    }
    // The final name, still without overwriting anything.
    let named = match fs::hard_link(&tmp, dst) {
        Ok(()) => fs::remove_file(&tmp),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
        Err(_) if fs::symlink_metadata(dst).is_ok() => {
            Err(io::Error::from(ErrorKind::AlreadyExists))
        }
        Err(_) => fs::rename(&tmp, dst),
    };
    match named {
        Ok(()) => {
            sync_dir(dst);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            if e.kind() == ErrorKind::AlreadyExists {
                Err(MoveError::Exists(dst.to_path_buf()))
            } else {
                Err(anyhow::Error::new(e)
                    .context(format!("cannot write {}", dst.display()))
                    .into())
            }
        }
    }
}

/// Copies the bytes of `src` into a new file `dst` and flushes them.
fn copy_bytes(src: &Path, dst: &Path) -> io::Result<()> {
    let mut from = fs::File::open(src)?;
    let mut to = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)?;
    io::copy(&mut from, &mut to)?;
    to.flush()?;
    to.sync_all()?;
    if let Ok(meta) = from.metadata() {
        let _ = to.set_permissions(meta.permissions());
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

/// Flushes the directory entry of `path` (best effort: not every platform
/// can open a directory), so that a rename survives a power cut.
pub fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Fault injection for the end-to-end tests, compiled into debug builds
/// only: `DBGUARD_TEST_FORCE_COPY=1` takes the cross-file-system path on
/// one file system, and `DBGUARD_TEST_ABORT_AFTER=N` aborts the process
/// (no cleanup, like a crash) right after the N-th file reached its
/// destination and before its source is removed.
mod testing {
    #[cfg(debug_assertions)]
    use std::sync::atomic::{AtomicU64, Ordering};

    #[cfg(debug_assertions)]
    pub fn force_copy() -> bool {
        std::env::var_os("DBGUARD_TEST_FORCE_COPY").is_some_and(|v| v == "1")
    }

    #[cfg(not(debug_assertions))]
    pub fn force_copy() -> bool {
        false
    }

    #[cfg(debug_assertions)]
    pub fn reached_destination() {
        static DONE: AtomicU64 = AtomicU64::new(0);
        let n = DONE.fetch_add(1, Ordering::SeqCst) + 1;
        let limit = std::env::var("DBGUARD_TEST_ABORT_AFTER")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if limit == Some(n) {
            std::process::abort();
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn reached_destination() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect_of(path: &Path) -> Expect {
        describe(path).unwrap().0
    }

    #[test]
    fn a_move_keeps_the_bytes_and_removes_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.db");
        let dst = dir.path().join("b.db");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        fs::write(&src, &bytes).unwrap();
        let e = expect_of(&src);
        move_file(&src, &dst, &e).unwrap();
        assert!(!src.exists());
        assert_eq!(fs::read(&dst).unwrap(), bytes);
    }

    #[test]
    fn the_copy_path_verifies_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.db");
        let dst = dir.path().join("b.db");
        fs::write(&src, b"database bytes").unwrap();
        let e = expect_of(&src);
        copy_verify(&src, &dst, &e).unwrap();
        assert_eq!(
            fs::read(&src).unwrap(),
            b"database bytes",
            "source untouched"
        );
        assert_eq!(fs::read(&dst).unwrap(), b"database bytes");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_copy_that_does_not_match_is_dropped_and_the_source_stays() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.db");
        let dst = dir.path().join("b.db");
        fs::write(&src, b"before").unwrap();
        let e = expect_of(&src);
        fs::write(&src, b"changed meanwhile").unwrap();
        let err = copy_verify(&src, &dst, &e).unwrap_err();
        assert!(err.to_string().contains("cannot copy"), "{err}");
        assert_eq!(fs::read(&src).unwrap(), b"changed meanwhile");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no copy left");
    }

    #[test]
    fn a_move_never_overwrites_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.db");
        let dst = dir.path().join("b.db");
        fs::write(&src, b"mine").unwrap();
        fs::write(&dst, b"theirs").unwrap();
        let e = expect_of(&src);
        assert!(matches!(
            move_file(&src, &dst, &e),
            Err(MoveError::Exists(_))
        ));
        assert!(matches!(
            copy_verify(&src, &dst, &e),
            Err(MoveError::Exists(_))
        ));
        assert_eq!(fs::read(&src).unwrap(), b"mine");
        assert_eq!(fs::read(&dst).unwrap(), b"theirs");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_moves_as_a_link_by_both_paths() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.db");
        fs::write(&target, b"real").unwrap();
        for (i, copy) in [false, true].into_iter().enumerate() {
            let src = dir.path().join(format!("link{i}.db"));
            let dst = dir.path().join(format!("moved{i}.db"));
            std::os::unix::fs::symlink(&target, &src).unwrap();
            let e = expect_of(&src);
            assert_eq!(
                e,
                Expect::Symlink {
                    target: target.clone()
                }
            );
            if copy {
                copy_verify(&src, &dst, &e).unwrap();
                fs::remove_file(&src).unwrap();
            } else {
                move_file(&src, &dst, &e).unwrap();
            }
            assert!(fs::symlink_metadata(&src).is_err());
            assert_eq!(fs::read_link(&dst).unwrap(), target);
        }
        assert_eq!(fs::read(&target).unwrap(), b"real");
    }

    /// A real move across file systems (EXDEV) where the machine has a
    /// tmpfs at /dev/shm (Linux); elsewhere the copy path is covered by
    /// the tests above.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_move_across_file_systems_copies_verifies_and_removes() {
        use std::os::unix::fs::MetadataExt;
        let a = tempfile::tempdir().unwrap();
        let Ok(b) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        let dev = |p: &Path| fs::metadata(p).unwrap().dev();
        assert_ne!(dev(a.path()), dev(b.path()), "two file systems");
        let src = a.path().join("app.db");
        let dst = b.path().join("app.db");
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        fs::write(&src, &bytes).unwrap();
        let e = expect_of(&src);
        move_file(&src, &dst, &e).unwrap();
        assert!(!src.exists());
        assert_eq!(fs::read(&dst).unwrap(), bytes);
        assert_eq!(
            fs::read_dir(b.path()).unwrap().count(),
            1,
            "no partial file"
        );
    }
}
