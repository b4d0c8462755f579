//! Reading and editing the index, for `dbguard fix`.
//!
//! Writes follow git's own lock protocol, so that git (or a second
//! `dbguard fix`) never sees a half-written index and never loses an update:
//!
//! 1. create `<index>.lock` exclusively (`O_EXCL`, what git and libgit2 do);
//!    if it exists, someone else is writing: fail, touch nothing;
//! 2. read the index *while holding the lock* (a read before the lock could
//!    be overwritten by a `git add` that ran in between);
//! 3. let libgit2 serialize the edited index to a scratch file beside it
//!    (through its own lock-and-rename), flush it to disk;
//! 4. rename the scratch file over `<index>.lock` (the lock stays held),
//!    then `<index>.lock` over the index: one atomic rename publishes it.
//!
//! An interruption at any step leaves the old index in place (and at worst
//! a stale lock file, as git itself would). libgit2's `Index::write` alone
//! takes the lock only for the write, not around the read, which is why
//! the lock is taken here first.
//!
//! The index is found the way git finds it (`GIT_INDEX_FILE`, linked
//! worktrees), because the repository was opened from the environment.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use git2::{Index, IndexEntry, IndexTime, ObjectType};

use super::{Repo, mode_from_filemode, oid_to_id, path_string};
use crate::changes::{BlobRef, EntryMode};

/// One path of the index, as `dbguard fix` sees it.
#[derive(Clone, Debug)]
pub struct IndexedFile {
    /// Repository-relative path with `/` separators (lossy UTF-8).
    pub path: String,
    /// The path as git stores it, for editing the entry.
    raw: Vec<u8>,
    /// The staged content (for a conflicted path: its first stage).
    pub blob: BlobRef,
    pub mode: EntryMode,
    /// The path has unresolved merge-conflict stages; fix leaves it alone.
    pub conflicted: bool,
}

/// The index, read either freely (to plan or for `--dry-run`) or under
/// git's index lock (to edit it). Dropping a locked edit without
/// [`IndexEdit::commit`] releases the lock and changes nothing.
pub struct IndexEdit<'r> {
    repo: &'r Repo,
    index: Index,
    head: Option<git2::Tree<'r>>,
    lock: Option<IndexLock>,
    changed: bool,
}

/// `<index>.lock`, held from before the read until the new index is in
/// place; removed on drop unless the new index was published.
struct IndexLock {
    index: PathBuf,
    lock: PathBuf,
    scratch: PathBuf,
    published: bool,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_exists(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

impl IndexLock {
    fn acquire(index: &Path) -> anyhow::Result<IndexLock> {
        let lock = with_suffix(index, ".lock");
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => bail!(
                "the git index is locked: {} exists (another git command or dbguard fix is running); \
                 wait for it to finish and run dbguard fix again, or delete that file if no git process is running",
                lock.display()
            ),
            Err(e) => bail!("cannot lock the git index ({}): {e}", lock.display()),
        }
        let held = IndexLock {
            index: index.to_path_buf(),
            scratch: with_suffix(index, ".dbguard-new"),
            lock,
            published: false,
        };
        // Leftovers of an interrupted run: nobody else uses them while we
        // hold the index lock.
        remove_if_exists(&held.scratch)
            .and_then(|()| remove_if_exists(&with_suffix(&held.scratch, ".lock")))
            .with_context(|| format!("cannot remove {}", held.scratch.display()))?;
        Ok(held)
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if !self.published {
            let _ = remove_if_exists(&self.scratch);
            let _ = remove_if_exists(&with_suffix(&self.scratch, ".lock"));
            let _ = remove_if_exists(&self.lock);
        }
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).as_ref())
}

impl Repo {
    /// The index file git uses here (`GIT_INDEX_FILE`, or the worktree's).
    fn index_path(&self) -> anyhow::Result<PathBuf> {
        Ok(self.index_file_path())
    }

    /// libgit2 reads neither split nor sparse indexes: it would see only a
    /// part of the entries, and writing that part back would unstage the
    /// rest. Refuse before reading.
    fn refuse_unsupported_index(&self) -> anyhow::Result<()> {
        let config = self
            .repo
            .config()
            .map_err(|e| anyhow!("cannot read the git configuration: {}", e.message()))?;
        for key in ["core.splitIndex", "index.sparse"] {
            if config.get_bool(key).unwrap_or(false) {
                bail!(
                    "dbguard fix cannot edit an index with {key}=true; \
                     run `git config {key} false && git update-index --no-split-index` first, \
                     or untrack the files with `git rm --cached PATH`"
                );
            }
        }
        Ok(())
    }

    /// Reads the index without locking it: for planning and `--dry-run`.
    /// [`IndexEdit::commit`] refuses to write it.
    pub fn read_index(&self) -> anyhow::Result<IndexEdit<'_>> {
        self.refuse_unsupported_index()?;
        let path = self.index_path()?;
        let index = Index::open(&path)
            .map_err(|e| anyhow!("cannot read the index {}: {}", path.display(), e.message()))?;
        Ok(IndexEdit {
            repo: self,
            index,
            head: self.head_tree()?,
            lock: None,
            changed: false,
        })
    }

    /// Takes git's index lock, then reads the index under it. Fails with
    /// one line naming the lock file when git (or another dbguard fix)
    /// holds it.
    pub fn lock_index(&self) -> anyhow::Result<IndexEdit<'_>> {
        self.refuse_unsupported_index()?;
        let path = self.index_path()?;
        let lock = IndexLock::acquire(&path)?;
        match fs::copy(&path, &lock.scratch) {
            Ok(_) => {}
            // No index yet (nothing was ever staged): start from an empty one.
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => bail!("cannot read the index {}: {e}", path.display()),
        }
        let index = Index::open(&lock.scratch)
            .map_err(|e| anyhow!("cannot read the index {}: {}", path.display(), e.message()))?;
        Ok(IndexEdit {
            repo: self,
            index,
            head: self.head_tree()?,
            lock: Some(lock),
            changed: false,
        })
    }
}

impl IndexEdit<'_> {
    /// Every path of the index in git's order, conflicted paths once.
    pub fn files(&self) -> Vec<IndexedFile> {
        let mut out: Vec<IndexedFile> = Vec::with_capacity(self.index.len());
        for e in self.index.iter() {
            let stage = (e.flags >> 12) & 0x3;
            if let Some(last) = out.last_mut()
                && last.raw == e.path
            {
                last.conflicted |= stage != 0;
                continue;
            }
            out.push(IndexedFile {
                path: path_string(&e.path),
                blob: BlobRef::Object(oid_to_id(e.id)),
                mode: mode_from_filemode(e.mode),
                conflicted: stage != 0,
                raw: e.path,
            });
        }
        out
    }

    /// HEAD's version of a path (`None` when HEAD does not have it, or on
    /// an unborn branch).
    pub fn head_version(&self, path: &str) -> Option<(BlobRef, EntryMode)> {
        let entry = self.head.as_ref()?.get_path(Path::new(path)).ok()?;
        match entry.kind() {
            Some(ObjectType::Blob) | Some(ObjectType::Commit) => Some((
                BlobRef::Object(oid_to_id(entry.id())),
                mode_from_filemode(entry.filemode() as u32),
            )),
            _ => None,
        }
    }

    /// Whether the edits happen under the index lock (and can be written).
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Drops a path from the index, like `git rm --cached`: the next commit
    /// will not contain it; the working-tree file is not touched.
    pub fn remove(&mut self, file: &IndexedFile) -> anyhow::Result<()> {
        self.index
            .remove_path(&path_from_bytes(&file.raw))
            .map_err(|e| {
                anyhow!(
                    "cannot remove {} from the index: {}",
                    file.path,
                    e.message()
                )
            })?;
        self.changed = true;
        Ok(())
    }

    /// Puts HEAD's entry for a path back into the index, like `git reset
    /// -- PATH`; the working-tree file is not touched.
    pub fn reset_to_head(&mut self, file: &IndexedFile) -> anyhow::Result<()> {
        let entry = self
            .head
            .as_ref()
            .and_then(|t| t.get_path(&path_from_bytes(&file.raw)).ok())
            .ok_or_else(|| anyhow!("HEAD has no {}", file.path))?;
        self.add_entry(file.raw.clone(), entry.id(), entry.filemode() as u32)
            .map_err(|e| anyhow!("cannot unstage {}: {e}", file.path))
    }

    /// Stages `content` as the file at `path` (a regular, non-executable
    /// file), writing its blob to the object database.
    pub fn stage(&mut self, path: &str, content: &[u8]) -> anyhow::Result<()> {
        let oid = self.repo.repo.blob(content).map_err(|e| {
            anyhow!(
                "cannot store {path} in the object database: {}",
                e.message()
            )
        })?;
        self.add_entry(path.as_bytes().to_vec(), oid, 0o100644)
            .map_err(|e| anyhow!("cannot stage {path}: {e}"))
    }

    /// Adds a stage-0 entry without stat data: git then compares the
    /// working-tree file by content, exactly as after `git reset`.
    fn add_entry(&mut self, path: Vec<u8>, id: git2::Oid, mode: u32) -> Result<(), String> {
        let zero = IndexTime::new(0, 0);
        let entry = IndexEntry {
            ctime: zero,
            mtime: zero,
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags: 0,
            flags_extended: 0,
            path,
        };
        self.index
            .add(&entry)
            .map_err(|e| e.message().to_string())?;
        self.changed = true;
        Ok(())
    }

    /// Publishes the edited index atomically and releases the lock. An
    /// index that was not edited is left as it is.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let Some(lock) = self.lock.as_mut() else {
            bail!("the index was read without its lock and cannot be written");
        };
        if !self.changed {
            return Ok(());
        }
        self.index
            .write()
            .map_err(|e| anyhow!("cannot write the index: {}", e.message()))?;
        let written = fs::File::open(&lock.scratch).and_then(|f| f.sync_all());
        written.with_context(|| format!("cannot write {}", lock.scratch.display()))?;
        fs::rename(&lock.scratch, &lock.lock)
            .with_context(|| format!("cannot write {}", lock.lock.display()))?;
        fs::rename(&lock.lock, &lock.index)
            .with_context(|| format!("cannot replace {}", lock.index.display()))?;
        lock.published = true;
        Ok(())
    }
}
