//! The data that flows from a source (the index, the working tree, a commit)
//! to the rules: changed files, where their bytes live, and whole-tree
//! snapshots for the rules that need more than the change.
//!
//! Nothing here knows about git2: `src/git/` produces these values and
//! implements [`ContentReader`]; rules only consume them. That keeps every
//! rule testable with in-memory content (see [`MemoryReader`]).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

mod snapshot;

pub use snapshot::{Entries, Entry, Snapshot, SnapshotBuilder, SnapshotEntry};

/// A git object id, kept as raw bytes so that rules and caches can hash and
/// compare it without git2. SHA-1 ids use 20 bytes, SHA-256 ids 32.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    bytes: [u8; 32],
    len: u8,
}

impl ObjectId {
    /// Builds an id from the raw bytes git2 hands out; longer input is cut
    /// to 32 bytes, which no real hash exceeds.
    pub fn from_bytes(raw: &[u8]) -> ObjectId {
        let mut bytes = [0u8; 32];
        let len = raw.len().min(32);
        bytes[..len].copy_from_slice(&raw[..len]);
        ObjectId {
            bytes,
            len: len as u8,
        }
    }

    /// The raw bytes, for handing back to git2.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// A blob the object database does not hold and could not be given (a
/// partial clone whose promisor remote failed, a snapshot copied without
/// some objects). It is an error of its own so that the engine can name
/// the file, go on with the rest of the history, and fail the run only at
/// its end; every other read error still ends the run.
#[derive(Debug, thiserror::Error)]
#[error("object {id} is not in this clone")]
pub struct MissingObject {
    pub id: ObjectId,
}

impl MissingObject {
    /// The missing blob's id when `e` (or an error it wraps) is a
    /// [`MissingObject`].
    pub fn find(e: &anyhow::Error) -> Option<ObjectId> {
        e.chain()
            .find_map(|c| c.downcast_ref::<MissingObject>())
            .map(|m| m.id)
    }
}

/// Where a file's bytes can be read from. Reading is lazy: a rule that only
/// needs a name never costs a read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BlobRef {
    /// A blob in the object database (the index, HEAD, a commit).
    Object(ObjectId),
    /// A file in the working tree (absolute path). Symlinks are read as
    /// their target path, the way git stores them, and never followed.
    Worktree(PathBuf),
    /// Content held in memory (tests, fuzzing).
    Memory(Arc<[u8]>),
}

impl BlobRef {
    /// The object id when the bytes live in the object database; range
    /// mode uses it to read each distinct blob once.
    pub fn object_id(&self) -> Option<ObjectId> {
        match self {
            BlobRef::Object(id) => Some(*id),
            _ => None,
        }
    }
}

/// How a path changed between the old and the new state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Added,
    Modified,
    Renamed,
    Copied,
    /// Deleted files never produce per-file findings: removing a database
    /// file is the cure, not the disease.
    Deleted,
    /// The file's type changed (for example a file became a symlink).
    TypeChanged,
    /// `--all` mode: the file is examined as it is, not as a change.
    Unchanged,
}

impl Status {
    /// Whether the change brings new content that rules should examine.
    pub fn has_new_content(self) -> bool {
        !matches!(self, Status::Deleted)
    }
}

/// What kind of tree entry a path is; submodules are never read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryMode {
    File,
    Executable,
    Symlink,
    Submodule,
}

/// One path that the check examines, with where its old and new bytes live.
#[derive(Clone, Debug)]
pub struct Change {
    /// Repository-relative path with `/` separators (lossy UTF-8 for
    /// display; non-UTF-8 bytes become U+FFFD).
    pub path: String,
    /// The previous path of a rename or copy.
    pub old_path: Option<String>,
    pub status: Status,
    pub mode: EntryMode,
    /// The content before the change, when there was one.
    pub old: Option<BlobRef>,
    /// The content after the change; `None` for deletions.
    pub new: Option<BlobRef>,
}

impl Change {
    /// The file name: the part of the path after the last `/`.
    pub fn file_name(&self) -> &str {
        file_name(&self.path)
    }
}

/// The last component of a `/`-separated repository path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Reads file contents for rules. Implemented over git's object database
/// and the working tree in `src/git/`, and in memory for tests.
pub trait ContentReader: Sync + Send {
    /// The first `n` bytes (fewer when the file is shorter), without
    /// reading the rest when the storage allows it.
    fn head(&self, blob: &BlobRef, n: usize) -> anyhow::Result<Vec<u8>>;

    /// The whole content, or `None` when it is larger than `limit` bytes
    /// (the caller decides what a file too large to scan means).
    fn read(&self, blob: &BlobRef, limit: u64) -> anyhow::Result<Option<Vec<u8>>>;

    /// The first `n` bytes for content sniffing, or the whole content when
    /// reading it all costs about as much (a small file, a blob that must
    /// be inflated whole anyway) and it is at most `limit` bytes: most
    /// files that are sniffed are read whole next, and one read is cheaper
    /// than two.
    fn sniff(&self, blob: &BlobRef, n: usize, limit: u64) -> anyhow::Result<Sniffed> {
        let _ = limit;
        Ok(Sniffed::Head(self.head(blob, n)?))
    }
}

/// What [`ContentReader::sniff`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// At most the requested number of bytes from the start.
    Head(Vec<u8>),
    /// The whole content.
    Whole(Vec<u8>),
}

/// A [`ContentReader`] for content held in memory: the variant tests and
/// fuzz targets use.
#[derive(Default)]
pub struct MemoryReader;

impl ContentReader for MemoryReader {
    fn head(&self, blob: &BlobRef, n: usize) -> anyhow::Result<Vec<u8>> {
        match blob {
            BlobRef::Memory(bytes) => Ok(bytes[..n.min(bytes.len())].to_vec()),
            other => anyhow::bail!("MemoryReader cannot read {other:?}"),
        }
    }

    fn read(&self, blob: &BlobRef, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
        match blob {
            BlobRef::Memory(bytes) if bytes.len() as u64 > limit => Ok(None),
            BlobRef::Memory(bytes) => Ok(Some(bytes.to_vec())),
            other => anyhow::bail!("MemoryReader cannot read {other:?}"),
        }
    }
}

type SnapshotLoader = Box<dyn Fn() -> anyhow::Result<Arc<Snapshot>> + Send + Sync>;

/// A snapshot that is only built when a rule asks for it: in staged mode
/// on a large repository most commits never need the whole index.
pub struct LazySnapshot {
    cell: OnceLock<Result<Arc<Snapshot>, String>>,
    loader: SnapshotLoader,
    /// Whether the first result is kept (see [`LazySnapshot::unretained`]).
    retain: bool,
}

impl LazySnapshot {
    /// A snapshot built on first use by `loader`.
    pub fn new(loader: impl Fn() -> anyhow::Result<Snapshot> + Send + Sync + 'static) -> Self {
        LazySnapshot {
            cell: OnceLock::new(),
            loader: Box::new(move || loader().map(Arc::new)),
            retain: true,
        }
    }

    /// A snapshot that `loader` produces on every use and that is not kept
    /// here: the loader keeps what is worth keeping. A long commit range
    /// must not hold one whole tree per commit.
    pub fn unretained(
        loader: impl Fn() -> anyhow::Result<Arc<Snapshot>> + Send + Sync + 'static,
    ) -> Self {
        LazySnapshot {
            cell: OnceLock::new(),
            loader: Box::new(loader),
            retain: false,
        }
    }

    /// A snapshot that is already known (tests, the empty tree).
    pub fn ready(snapshot: Snapshot) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(Ok(Arc::new(snapshot)));
        LazySnapshot {
            cell,
            loader: Box::new(|| Ok(Arc::new(Snapshot::default()))),
            retain: true,
        }
    }

    /// The snapshot, loading it the first time.
    pub fn get(&self) -> anyhow::Result<Arc<Snapshot>> {
        if !self.retain {
            return (self.loader)();
        }
        match self
            .cell
            .get_or_init(|| (self.loader)().map_err(|e| format!("{e:#}")))
        {
            Ok(s) => Ok(Arc::clone(s)),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }
}

/// How the files of a check were chosen; some rules behave differently
/// (downgrade rules look at every migration in `--all`, only at changed
/// ones otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Staged,
    All,
    Paths,
    Range,
}

/// One ignore file that applies to the whole repository without living in
/// its tree (`.git/info/exclude`, the file `core.excludesFile` names).
#[derive(Clone, Debug, Default)]
pub struct ExcludeFile {
    /// Where it came from, for messages (`.git/info/exclude`, a path).
    pub source: String,
    pub content: Vec<u8>,
}

/// The ignore rules git applies beside the tree's `.gitignore` files: the
/// `db-gitignore` rule needs them to tell what git would really ignore, and
/// only `src/git/` can read git's configuration.
#[derive(Clone, Debug, Default)]
pub struct Excludes {
    /// Highest precedence first: `.git/info/exclude`, then
    /// `core.excludesFile`.
    pub files: Vec<ExcludeFile>,
    /// `core.ignorecase`: patterns match regardless of case.
    pub ignore_case: bool,
}

/// One unit of checking: the staged change, the tracked tree, the listed
/// paths, or one commit of a range.
pub struct ChangeSet {
    pub mode: Mode,
    /// The commit that introduced these changes (range mode only).
    pub commit: Option<String>,
    /// Whether this commit merges others (range mode); its changes were
    /// already checked where they were made.
    pub is_merge: bool,
    pub changes: Arc<[Change]>,
    /// The state before the change (HEAD, the parent commit).
    pub old_tree: LazySnapshot,
    /// The state being checked (the index, the commit, the working tree).
    pub new_tree: LazySnapshot,
    /// Ignore rules from outside the tree (local to this clone).
    pub excludes: Arc<Excludes>,
    /// Range mode: the state the range starts from (`A` of `A..B`, the
    /// merge base of `A...B`); `None` elsewhere, and for a range that is
    /// a whole history. "Already committed" means "in here" in range mode.
    pub before_range: Option<Arc<LazySnapshot>>,
    /// Range mode: the object ids of the old tree (`None`: the empty tree
    /// of a root commit) and of the new tree, so that what was derived
    /// from one commit's tree (its Alembic environments) can be taken up
    /// by the next commit, whose old tree it is. `None` elsewhere.
    pub tree_ids: Option<(Option<ObjectId>, ObjectId)>,
}

/// A [`ChangeSet`] built from in-memory files, for rule unit tests: every
/// path in `new` is added (or modified when it is also in `old`).
pub fn memory_change_set(mode: Mode, old: &[(&str, &[u8])], new: &[(&str, &[u8])]) -> ChangeSet {
    let to_entries = |files: &[(&str, &[u8])]| -> Vec<SnapshotEntry> {
        files
            .iter()
            .map(|(p, c)| SnapshotEntry {
                path: p.to_string(),
                blob: BlobRef::Memory(Arc::from(*c)),
                mode: EntryMode::File,
            })
            .collect()
    };
    let old_map: HashMap<&str, &[u8]> = old.iter().copied().collect();
    let new_map: HashMap<&str, &[u8]> = new.iter().copied().collect();
    let mut changes = Vec::new();
    for (path, content) in new {
        let old_content = old_map.get(path);
        if mode != Mode::All && old_content == Some(content) {
            continue;
        }
        changes.push(Change {
            path: path.to_string(),
            old_path: None,
            status: match (mode, old_content) {
                (Mode::All, _) => Status::Unchanged,
                (_, Some(_)) => Status::Modified,
                (_, None) => Status::Added,
            },
            mode: EntryMode::File,
            old: old_content.map(|c| BlobRef::Memory(Arc::from(*c))),
            new: Some(BlobRef::Memory(Arc::from(*content))),
        });
    }
    if mode != Mode::All {
        for (path, content) in old {
            if !new_map.contains_key(path) {
                changes.push(Change {
                    path: path.to_string(),
                    old_path: None,
                    status: Status::Deleted,
                    mode: EntryMode::File,
                    old: Some(BlobRef::Memory(Arc::from(*content))),
                    new: None,
                });
            }
        }
    }
    ChangeSet {
        mode,
        commit: None,
        is_merge: false,
        changes: changes.into(),
        old_tree: LazySnapshot::ready(Snapshot::new(to_entries(old))),
        new_tree: LazySnapshot::ready(Snapshot::new(to_entries(new))),
        excludes: Arc::default(),
        before_range: None,
        tree_ids: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_displays_as_hex() {
        let id = ObjectId::from_bytes(&[0xab, 0x01]);
        assert_eq!(id.to_string(), "ab01");
    }

    #[test]
    fn memory_change_set_classifies_changes() {
        let set = memory_change_set(
            Mode::Staged,
            &[("a", b"1"), ("b", b"2"), ("c", b"3")],
            &[("a", b"1"), ("b", b"22"), ("d", b"4")],
        );
        let got: Vec<_> = set
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.status))
            .collect();
        assert_eq!(
            got,
            [
                ("b", Status::Modified),
                ("d", Status::Added),
                ("c", Status::Deleted)
            ]
        );
    }
}
