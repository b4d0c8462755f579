//! Thread-safe, lazy reads of blobs and working-tree files.
//!
//! A git2 `Repository` may move between threads but not be shared, so the
//! store keeps a small pool of handles on the same git directory: each
//! reader takes one, reads, and puts it back. Rules on rayon's threads read
//! in parallel without reopening the repository per file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context as _, anyhow};
use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::pack::{self, Kind, Packs};
use super::promisor::Promisor;
use super::{id_to_oid, mode_from_filemode};
use crate::changes::{
    BlobRef, ContentReader, LazySnapshot, MissingObject, ObjectId, Snapshot, SnapshotBuilder,
    Sniffed,
};

/// Packed objects cannot be streamed by libgit2; for a header read we
/// inflate a packed blob whole only up to this size, and treat larger ones
/// as unreadable for content sniffing rather than hold them in memory.
const PACKED_HEAD_LIMIT: usize = 64 << 20;

/// Reads blobs for rules, from any thread.
pub struct GitStore {
    git_dir: PathBuf,
    pool: Mutex<Vec<Repository>>,
    /// Where the packs are: `objects` (or `GIT_OBJECT_DIRECTORY`), then
    /// the directories of `GIT_ALTERNATE_OBJECT_DIRECTORIES`.
    objects: Vec<PathBuf>,
    /// Packed trees and blobs, read without libgit2's mapped windows;
    /// opened on the first read that needs them.
    packs: OnceLock<Packs>,
    /// The process's current directory (never changed by dbguard), which
    /// working-tree files below it are opened relative to.
    cwd: Option<PathBuf>,
    /// Where a partial clone's missing blobs come from (`None`: not a
    /// partial clone); looked up on the first missing object.
    promisor: OnceLock<Option<Promisor>>,
}

impl GitStore {
    pub(super) fn new(git_dir: PathBuf, objects: Vec<PathBuf>) -> GitStore {
        GitStore {
            git_dir,
            pool: Mutex::new(Vec::new()),
            objects,
            packs: OnceLock::new(),
            cwd: std::env::current_dir().ok(),
            promisor: OnceLock::new(),
        }
    }

    /// The promisor remote when this is a partial clone.
    pub(super) fn promisor(&self) -> Option<&Promisor> {
        self.promisor
            .get_or_init(|| {
                self.with_repo(|r| Ok(Promisor::of(r, &self.git_dir)))
                    .ok()
                    .flatten()
            })
            .as_ref()
    }

    /// Makes sure the object database holds `id` before libgit2 reads it:
    /// a partial clone fetches it from its promisor remote; otherwise, or
    /// when that fails, the read ends in a [`MissingObject`] that the
    /// engine reports and goes past.
    fn ensure_present(&self, odb: &git2::Odb<'_>, id: &ObjectId) -> anyhow::Result<()> {
        let oid = id_to_oid(id)?;
        if odb.exists(oid) {
            return Ok(());
        }
        if let Some(p) = self.promisor()
            && p.fetch(&[*id])
            && odb.exists(oid)
        {
            return Ok(());
        }
        Err(MissingObject { id: *id }.into())
    }

    /// How to open the working-tree file at `full` (see [`WorktreePath`]).
    fn worktree_path<'a>(&self, full: &'a Path) -> WorktreePath<'a> {
        let open = self
            .cwd
            .as_deref()
            .and_then(|cwd| full.strip_prefix(cwd).ok())
            .filter(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(full);
        WorktreePath { full, open }
    }

    pub(super) fn packs(&self) -> &Packs {
        self.packs.get_or_init(|| Packs::open(&self.objects))
    }

    /// A packed object's content when it is at most `limit` bytes: `None`
    /// when it is not packed (or not readable here), `Some(None)` when it
    /// is larger.
    fn read_packed(&self, id: &ObjectId, limit: u64) -> Option<Option<Vec<u8>>> {
        let read = self.packs().read_within(id.as_bytes(), limit)?;
        Some(read.map(|(_, data)| data))
    }

    /// A packed object's first `n` bytes, built from the first bytes of
    /// its delta chain rather than whole; nothing for one larger than
    /// [`PACKED_HEAD_LIMIT`], as [`Self::sniff_object`] gives.
    fn read_packed_head(&self, id: &ObjectId, n: usize) -> Option<Vec<u8>> {
        let head = self
            .packs()
            .read_prefix(id.as_bytes(), n, PACKED_HEAD_LIMIT as u64)?;
        Some(head.unwrap_or_default())
    }

    /// Runs `f` with a repository handle from the pool.
    pub(crate) fn with_repo<T>(
        &self,
        f: impl FnOnce(&Repository) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let repo = match taken {
            Some(r) => r,
            None => Repository::open_ext(
                &self.git_dir,
                git2::RepositoryOpenFlags::FROM_ENV,
                std::iter::empty::<&std::ffi::OsStr>(),
            )
            .map_err(|e| anyhow!("cannot open {}: {}", self.git_dir.display(), e.message()))?,
        };
        let out = f(&repo);
        if let Ok(mut p) = self.pool.lock() {
            p.push(repo);
        }
        out
    }

    fn read_object_head(&self, id: &ObjectId, n: usize) -> anyhow::Result<Vec<u8>> {
        // Packed first, as in `sniff_object`.
        if let Some(head) = self.read_packed_head(id, n) {
            return Ok(head);
        }
        let oid = id_to_oid(id)?;
        self.with_repo(|repo| {
            let odb = repo
                .odb()
                .map_err(|e| anyhow!("cannot open the object database: {}", e.message()))?;
            self.ensure_present(&odb, id)?;
            // Loose objects (everything `git add` just wrote) stream: only
            // the first bytes are inflated.
            if let Ok((mut reader, _size, _kind)) = odb.reader(oid) {
                let mut buf = vec![0u8; n];
                let mut filled = 0;
                while filled < n {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => break,
                        Ok(k) => filled += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(anyhow!("cannot read object {id}: {e}")),
                    }
                }
                buf.truncate(filled);
                return Ok(buf);
            }
            let (size, _) = odb
                .read_header(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            if size > PACKED_HEAD_LIMIT {
                return Ok(Vec::new());
            }
            let obj = odb
                .read(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            let data = obj.data();
            Ok(data[..n.min(data.len())].to_vec())
        })
    }

    fn read_object(&self, id: &ObjectId, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
        if let Some(read) = self.read_packed(id, limit) {
            return Ok(read);
        }
        let oid = id_to_oid(id)?;
        self.with_repo(|repo| {
            let odb = repo
                .odb()
                .map_err(|e| anyhow!("cannot open the object database: {}", e.message()))?;
            self.ensure_present(&odb, id)?;
            let (size, _) = odb
                .read_header(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            if size as u64 > limit {
                return Ok(None);
            }
            let obj = odb
                .read(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            Ok(Some(obj.data().to_vec()))
        })
    }
}

/// A working-tree file, opened once: what it is comes from the open file
/// (`fstat`), not from a second lookup of its path (on `--all`, each
/// path lookup was a third of the time spent reading files).
enum WorktreeFile {
    Regular(std::fs::File, u64),
    /// A symbolic link, as git stores it: the target's bytes.
    Symlink(Vec<u8>),
    /// A directory, socket or FIFO where a file was: no content.
    Other,
}

/// A working-tree file: its absolute path (for messages) and the path to
/// open it by, relative to the current directory when the file lies below
/// it. The kernel resolves every component of a path on each open; on the
/// benchmark tree, whose root lies six directories deep, that was ~3% of
/// an `--all` check's CPU time (ripgrep opens `./`-relative paths too).
#[derive(Clone, Copy)]
struct WorktreePath<'a> {
    full: &'a Path,
    open: &'a Path,
}

fn open_file(at: WorktreePath<'_>) -> anyhow::Result<WorktreeFile> {
    let WorktreePath { full: path, open } = at;
    let cannot = || format!("cannot read {}", path.display());
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path)
        .with_context(cannot)?
        .file_type()
        .is_symlink()
    {
        return link_target(path);
    }
    match open_no_follow(open) {
        Ok(f) => {
            let meta = f.metadata().with_context(cannot)?;
            Ok(if meta.is_file() {
                WorktreeFile::Regular(f, meta.len())
            } else {
                WorktreeFile::Other
            })
        }
        Err(e) if is_link(&e) => link_target(path),
        Err(e) => Err(e).with_context(cannot),
    }
}

fn link_target(path: &Path) -> anyhow::Result<WorktreeFile> {
    let target =
        std::fs::read_link(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(WorktreeFile::Symlink(
        target.to_string_lossy().into_owned().into_bytes(),
    ))
}

/// Opens without following a final symbolic link (its target is the
/// content git stores) and without blocking on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Whether opening failed because the path is a symbolic link.
#[cfg(unix)]
fn is_link(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_link(_: &std::io::Error) -> bool {
    false
}

/// At most `limit` bytes of `f`, whose `fstat` said `size_hint` bytes.
///
/// A file read to the size `fstat` gave is taken as whole, without a
/// second `read` to meet its end (one `read` call per file of an `--all`
/// check); bytes appended after the `fstat` are the same race as bytes
/// appended after the read. A short read, a file that says it is empty
/// (`/proc`-like files do) or one larger than the limit is read on the
/// usual way.
fn read_up_to(
    mut f: std::fs::File,
    limit: u64,
    size_hint: u64,
    path: &Path,
) -> anyhow::Result<Vec<u8>> {
    let cannot = || format!("cannot read {}", path.display());
    let mut buf = Vec::new();
    if size_hint > 0 && size_hint < limit {
        buf.resize(size_hint as usize, 0);
        let mut got = 0;
        while got < buf.len() {
            match f.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).with_context(cannot),
            }
        }
        if got == buf.len() {
            return Ok(buf);
        }
        // Shorter than it said: read to its end as usual.
        buf.truncate(got);
    } else {
        buf.reserve(size_hint.min(limit) as usize);
    }
    let rest = limit - buf.len() as u64;
    f.take(rest).read_to_end(&mut buf).with_context(cannot)?;
    Ok(buf)
}

fn read_file_head(at: WorktreePath<'_>, n: usize) -> anyhow::Result<Vec<u8>> {
    let path = at.full;
    Ok(match open_file(at)? {
        WorktreeFile::Regular(f, len) => read_up_to(f, n as u64, len, path)?,
        WorktreeFile::Symlink(mut target) => {
            target.truncate(n);
            target
        }
        WorktreeFile::Other => Vec::new(),
    })
}

fn read_file(at: WorktreePath<'_>, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
    let path = at.full;
    match open_file(at)? {
        WorktreeFile::Regular(_, len) if len > limit => Ok(None),
        WorktreeFile::Regular(f, len) => {
            // The file may grow between stat and read; never read past the limit.
            let buf = read_up_to(f, limit + 1, len, path)?;
            Ok((buf.len() as u64 <= limit).then_some(buf))
        }
        WorktreeFile::Symlink(target) => Ok(Some(target)),
        WorktreeFile::Other => Ok(Some(Vec::new())),
    }
}

/// Files and loose objects up to this size are read whole when sniffed;
/// larger ones give only their header unless a rule asks for more.
const SNIFF_WHOLE: u64 = 1 << 20;

impl GitStore {
    fn sniff_object(&self, id: &ObjectId, n: usize, limit: u64) -> anyhow::Result<Sniffed> {
        // Packed: inflated whole whatever we ask for, so keep all of it
        // when a rule may read it. Looked for first: asking libgit2 for a
        // loose copy costs a file-system lookup per object (60,000
        // `access` calls in `--range` on the benchmark history).
        if let Some(data) = self.read_packed(id, PACKED_HEAD_LIMIT as u64) {
            let mut data = data.unwrap_or_default();
            return Ok(if data.len() as u64 <= limit {
                Sniffed::Whole(data)
            } else {
                data.truncate(n);
                Sniffed::Head(data)
            });
        }
        let oid = id_to_oid(id)?;
        self.with_repo(|repo| {
            let odb = repo
                .odb()
                .map_err(|e| anyhow!("cannot open the object database: {}", e.message()))?;
            self.ensure_present(&odb, id)?;
            if let Ok((mut reader, size, _kind)) = odb.reader(oid) {
                // Loose: stream only what is needed.
                let whole = size as u64 <= limit.min(SNIFF_WHOLE);
                let want = if whole { size } else { n };
                let mut buf = Vec::with_capacity(want);
                (&mut reader)
                    .take(want as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| anyhow!("cannot read object {id}: {e}"))?;
                return Ok(if whole {
                    Sniffed::Whole(buf)
                } else {
                    Sniffed::Head(buf)
                });
            }
            let (size, _) = odb
                .read_header(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            if size > PACKED_HEAD_LIMIT {
                return Ok(Sniffed::Head(Vec::new()));
            }
            let obj = odb
                .read(oid)
                .map_err(|e| anyhow!("cannot read object {id}: {}", e.message()))?;
            let data = obj.data();
            Ok(if data.len() as u64 <= limit {
                Sniffed::Whole(data.to_vec())
            } else {
                Sniffed::Head(data[..n.min(data.len())].to_vec())
            })
        })
    }
}

/// The header of a working-tree file, or all of it when it is small.
fn sniff_file(at: WorktreePath<'_>, n: usize, limit: u64) -> anyhow::Result<Sniffed> {
    let path = at.full;
    let small = limit.min(SNIFF_WHOLE);
    match open_file(at)? {
        WorktreeFile::Regular(f, len) if len > small => {
            Ok(Sniffed::Head(read_up_to(f, n as u64, len, path)?))
        }
        WorktreeFile::Regular(f, len) => {
            // The file may grow between stat and read.
            let mut buf = read_up_to(f, small + 1, len, path)?;
            if buf.len() as u64 > small {
                buf.truncate(n);
                return Ok(Sniffed::Head(buf));
            }
            Ok(Sniffed::Whole(buf))
        }
        WorktreeFile::Symlink(mut target) => {
            target.truncate(n);
            Ok(Sniffed::Head(target))
        }
        WorktreeFile::Other => Ok(Sniffed::Head(Vec::new())),
    }
}

impl ContentReader for GitStore {
    fn sniff(&self, blob: &BlobRef, n: usize, limit: u64) -> anyhow::Result<Sniffed> {
        match blob {
            BlobRef::Object(id) => self.sniff_object(id, n, limit),
            BlobRef::Worktree(p) => sniff_file(self.worktree_path(p), n, limit),
            BlobRef::Memory(b) if b.len() as u64 <= limit => Ok(Sniffed::Whole(b.to_vec())),
            BlobRef::Memory(b) => Ok(Sniffed::Head(b[..n.min(b.len())].to_vec())),
        }
    }

    fn head(&self, blob: &BlobRef, n: usize) -> anyhow::Result<Vec<u8>> {
        match blob {
            BlobRef::Object(id) => self.read_object_head(id, n),
            BlobRef::Worktree(p) => read_file_head(self.worktree_path(p), n),
            BlobRef::Memory(b) => Ok(b[..n.min(b.len())].to_vec()),
        }
    }

    fn read(&self, blob: &BlobRef, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
        match blob {
            BlobRef::Object(id) => self.read_object(id, limit),
            BlobRef::Worktree(p) => read_file(self.worktree_path(p), limit),
            BlobRef::Memory(b) if b.len() as u64 > limit => Ok(None),
            BlobRef::Memory(b) => Ok(Some(b.to_vec())),
        }
    }
}

/// One entry of a tree: name, id, file mode.
pub(super) type TreeEntry = (Vec<u8>, ObjectId, u32);

/// The entries of tree `id`: a packed tree read by [`pack`] (libgit2 maps
/// windows of the pack and unmaps them again as a delta chain crosses
/// them: ~8% of a staged check on the benchmark repository went to that),
/// any other through libgit2.
pub(super) fn tree_entries(
    repo: &Repository,
    packs: &Packs,
    id: &ObjectId,
) -> Result<Vec<TreeEntry>, git2::Error> {
    if let Some((Kind::Tree, data)) = packs.read(id.as_bytes())
        && let Some(entries) = pack::tree_entries(&data)
            .map(|e| e.map(|(name, id, mode)| (name.to_vec(), ObjectId::from_bytes(id), mode)))
            .collect()
    {
        return Ok(entries);
    }
    let tree = repo.find_tree(git2::Oid::from_bytes(id.as_bytes())?)?;
    Ok(tree
        .iter()
        .map(|e| {
            (
                e.name_bytes().to_vec(),
                ObjectId::from_bytes(e.id().as_bytes()),
                e.filemode() as u32,
            )
        })
        .collect())
}

/// The tree id a packed commit names (its first line), or `None` when the
/// commit is not packed or not a commit (the caller then asks libgit2).
pub(super) fn packed_commit_tree(packs: &Packs, commit: &ObjectId) -> Option<ObjectId> {
    let (Kind::Commit, data) = packs.read(commit.as_bytes())? else {
        return None;
    };
    let hex = data.strip_prefix(b"tree ")?.get(..40)?;
    (data.get(45) == Some(&b'\n'))
        .then(|| hex::decode(hex).ok())
        .flatten()
        .map(|raw| ObjectId::from_bytes(&raw))
}

/// A snapshot of a tree object, listed on first use.
pub(super) fn tree_snapshot(store: Arc<GitStore>, tree: ObjectId) -> LazySnapshot {
    LazySnapshot::new(move || list_tree(&store, &tree))
}

/// Every file (and submodule) of a tree object.
pub(super) fn list_tree(store: &GitStore, tree: &ObjectId) -> anyhow::Result<Snapshot> {
    let mut entries = SnapshotBuilder::with_capacity(0, 0);
    if walk_packed(
        store.packs(),
        tree.as_bytes(),
        &mut Vec::new(),
        MAX_TREE_DEPTH,
        &mut entries,
    )
    .is_some()
    {
        return Ok(entries.finish());
    }
    let oid = id_to_oid(tree)?;
    store.with_repo(|repo| {
        let tree = repo
            .find_tree(oid)
            .map_err(|e| anyhow!("cannot read tree {oid}: {}", e.message()))?;
        // A tree does not say how many files lie below it: the buffers grow.
        let mut entries = SnapshotBuilder::with_capacity(0, 0);
        let mut path = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) || entry.kind() == Some(ObjectType::Commit) {
                path.clear();
                path.extend_from_slice(dir.as_bytes());
                path.extend_from_slice(entry.name_bytes());
                entries.push(
                    &path,
                    BlobRef::Object(ObjectId::from_bytes(entry.id().as_bytes())),
                    mode_from_filemode(entry.filemode() as u32),
                );
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| anyhow!("cannot list tree {oid}: {}", e.message()))?;
        Ok(entries.finish())
    })
}

/// Directories nested deeper than this are left to libgit2 (git itself
/// refuses trees deeper than 2,048 by default, `core.maxTreeDepth`); a
/// damaged tree that names itself must not recurse until the stack ends.
const MAX_TREE_DEPTH: usize = 2048;

/// Lists the packed tree `id` below `path` into `out`, in the order of
/// libgit2's pre-order walk; `None` when a tree is not packed, or nested
/// more than `depth` levels.
fn walk_packed(
    packs: &Packs,
    id: &[u8],
    path: &mut Vec<u8>,
    depth: usize,
    out: &mut SnapshotBuilder,
) -> Option<()> {
    let depth = depth.checked_sub(1)?;
    let (Kind::Tree, data) = packs.read(id)? else {
        return None;
    };
    for entry in pack::tree_entries(&data) {
        let (name, id, mode) = entry?;
        let len = path.len();
        path.extend_from_slice(name);
        if pack::is_tree(mode) {
            path.push(b'/');
            walk_packed(packs, id, path, depth, out)?;
        } else {
            out.push(
                path,
                BlobRef::Object(ObjectId::from_bytes(id)),
                mode_from_filemode(mode),
            );
        }
        path.truncate(len);
    }
    Some(())
}

/// A snapshot of the index (the temporary one of `git commit -a` when git
/// set `GIT_INDEX_FILE`), listed on first use.
pub(super) fn index_snapshot(store: Arc<GitStore>) -> LazySnapshot {
    LazySnapshot::new(move || {
        store.with_repo(|repo| {
            let index = repo
                .index()
                .map_err(|e| anyhow!("cannot read the index: {}", e.message()))?;
            let bytes = index.iter().map(|e| e.path.len()).sum();
            let mut entries = SnapshotBuilder::with_capacity(index.len(), bytes);
            // Stage bits 12-13 of flags: conflict sides are not files yet.
            for e in index.iter().filter(|e| (e.flags >> 12) & 0x3 == 0) {
                entries.push(
                    &e.path,
                    BlobRef::Object(ObjectId::from_bytes(e.id.as_bytes())),
                    mode_from_filemode(e.mode),
                );
            }
            Ok(entries.finish())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_whatever_the_size_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "0123456789").unwrap();
        let read = |limit: u64, hint: u64| {
            let f = std::fs::File::open(&path).unwrap();
            String::from_utf8(read_up_to(f, limit, hint, &path).unwrap()).unwrap()
        };
        assert_eq!(read(100, 10), "0123456789");
        // Shrunk since its fstat: what is there.
        assert_eq!(read(100, 20), "0123456789");
        // Says empty (`/proc`-like), or larger than the limit: read on.
        assert_eq!(read(100, 0), "0123456789");
        assert_eq!(read(4, 10), "0123");
        assert_eq!(read(10, 10), "0123456789");
        // Grown since its fstat: what fstat said, as if read before.
        assert_eq!(read(100, 6), "012345");
    }

    /// A working-tree path opened as it is.
    fn at(p: &Path) -> WorktreePath<'_> {
        WorktreePath { full: p, open: p }
    }

    /// Files below the current directory are opened relative to it; the
    /// rest, and the directory itself, by their full path; messages name
    /// the full path either way.
    #[test]
    fn working_tree_files_open_relative_to_the_current_directory() {
        let mut store = GitStore::new(PathBuf::from("/r/.git"), Vec::new());
        store.cwd = Some(PathBuf::from("/r"));
        let open = |s: &GitStore, p: &str| s.worktree_path(Path::new(p)).open.to_path_buf();
        assert_eq!(open(&store, "/r/src/app.py"), PathBuf::from("src/app.py"));
        assert_eq!(open(&store, "/r"), PathBuf::from("/r"));
        assert_eq!(open(&store, "/rx/app.py"), PathBuf::from("/rx/app.py"));
        store.cwd = None;
        assert_eq!(
            open(&store, "/r/src/app.py"),
            PathBuf::from("/r/src/app.py")
        );
        let missing = WorktreePath {
            full: Path::new("/nowhere/gone.py"),
            open: Path::new("gone-3b1f0c.py"),
        };
        let e = read_file(missing, 10).unwrap_err();
        assert!(format!("{e:#}").contains("/nowhere/gone.py"), "{e:#}");
    }

    #[cfg(unix)]
    #[test]
    fn working_tree_reads_see_links_and_never_block_on_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.py");
        std::fs::write(&file, "DEBUG = True\n").unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();

        assert_eq!(
            read_file(at(&file), 100).unwrap().unwrap(),
            b"DEBUG = True\n"
        );
        assert_eq!(read_file(at(&file), 5).unwrap(), None);
        assert_eq!(read_file_head(at(&file), 5).unwrap(), b"DEBUG");
        assert!(
            matches!(sniff_file(at(&file), 5, 100).unwrap(), Sniffed::Whole(b) if b.len() == 13)
        );
        assert!(matches!(sniff_file(at(&file), 5, 8).unwrap(), Sniffed::Head(b) if b == b"DEBUG"));
        // A link's content is its target, as git stores it.
        let target = file.to_string_lossy().into_owned().into_bytes();
        assert_eq!(read_file(at(&link), 1000).unwrap().unwrap(), target);
        assert!(
            matches!(sniff_file(at(&link), 4, 100).unwrap(), Sniffed::Head(b) if b == target[..4])
        );
        for other in [&fifo, &sub] {
            assert_eq!(read_file(at(other), 100).unwrap().unwrap(), b"");
            assert!(
                matches!(sniff_file(at(other), 5, 100).unwrap(), Sniffed::Head(b) if b.is_empty())
            );
        }
        let gone = dir.path().join("gone.py");
        let e = read_file(at(&gone), 100).unwrap_err();
        assert!(format!("{e:#}").contains("cannot read"), "{e:#}");
    }
}
