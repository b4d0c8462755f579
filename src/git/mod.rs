//! Everything that talks to git, and the only module that uses git2.
//!
//! It opens the repository the way git hooks expect
//! ([`Repository::open_from_env`] semantics, so `GIT_DIR`, `GIT_WORK_TREE`
//! and the temporary `GIT_INDEX_FILE` of `git commit -a` are honoured),
//! turns the index, the tracked tree, listed paths or a commit range into
//! [`ChangeSet`]s, and reads blobs lazily for the rules.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context as _, anyhow, bail};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, Oid, Repository};

use crate::changes::{
    BlobRef, Change, ChangeSet, EntryMode, ExcludeFile, Excludes, LazySnapshot, Mode, ObjectId,
    Snapshot, SnapshotBuilder, SnapshotEntry, Status,
};

mod hashsig;
mod index_file;
mod index_ops;
mod pack;
mod presence;
mod promisor;
mod range;
mod renames;
mod similarity;
mod staged;
mod store;
pub use index_ops::{IndexEdit, IndexedFile};
pub use store::GitStore;

/// Bounds what libgit2 keeps in memory, and skips work dbguard does not
/// need. By default libgit2 maps pack files in 1 GB windows up to 8 GB
/// and caches up to 256 MB of parsed objects. dbguard reads packed trees
/// and blobs itself (`pack.rs`, with positioned reads), so libgit2 reads
/// little more than commits: the object cache is off, and packs are
/// mapped in 4 MB windows, at most 16 MB at a time. The mapped pages are
/// the page cache's, clean and shared, but they count in resident memory:
/// with 256 MB allowed, `--range HEAD` on the benchmark kept 50 MB of the
/// pack mapped for the commits it read (peak 131 MB; 17 MB of file pages
/// now, the binary and the pack indexes included). A limit below a pack's
/// size does cost time where libgit2 follows delta chains across it:
/// when libgit2 read a whole history that way, 64 MB took twice as long
/// as 256 MB, and 4 MB five times; hence `pack.rs` reads alternates too.
/// Objects are not re-hashed on every read: dbguard checks content, not
/// the repository's integrity (`git fsck` does).
///
/// # Safety
/// libgit2's global options are plain variables: call this before any
/// thread starts and before libgit2 is used.
pub unsafe fn tune_libgit2() {
    // SAFETY: the caller guarantees no concurrent use of libgit2.
    unsafe {
        let _ = git2::opts::set_mwindow_size(4 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(16 << 20);
    }
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
}

/// An open repository with a working tree.
pub struct Repo {
    repo: Repository,
    root: PathBuf,
    store: Arc<GitStore>,
    excludes: OnceLock<Arc<Excludes>>,
}

/// Converts a git path (bytes) to the `/`-separated display string rules see.
pub(crate) fn path_string(bytes: &[u8]) -> String {
    crate::text::lossy(bytes).into_owned()
}

/// The working-tree location of a repository path given as bytes.
pub(crate) fn worktree_path(root: &Path, bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        root.join(OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        root.join(String::from_utf8_lossy(bytes).as_ref())
    }
}

fn oid_to_id(oid: Oid) -> ObjectId {
    ObjectId::from_bytes(oid.as_bytes())
}

pub(crate) fn id_to_oid(id: &ObjectId) -> anyhow::Result<Oid> {
    Oid::from_bytes(id.as_bytes()).map_err(|e| anyhow!("invalid object id {id}: {}", e.message()))
}

fn mode_from_filemode(mode: u32) -> EntryMode {
    match mode & 0o170000 {
        0o120000 => EntryMode::Symlink,
        0o160000 => EntryMode::Submodule,
        _ if mode & 0o111 != 0 => EntryMode::Executable,
        _ => EntryMode::File,
    }
}

impl Repo {
    /// Opens the repository containing `dir`, honouring git's environment
    /// (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, ...). Relative values
    /// of those variables stay relative to the process's directory, as git
    /// meant them.
    pub fn open(dir: &Path) -> anyhow::Result<Repo> {
        // libgit2 reads GIT_DIR only when given no start path; git itself
        // resolves a relative GIT_DIR against the directory it runs in
        // (after -C). Do the same, then open that git dir without searching.
        let git_dir_env = std::env::var_os("GIT_DIR").filter(|v| !v.is_empty());
        let (start, flags) = match &git_dir_env {
            Some(g) => (
                dir.join(g),
                git2::RepositoryOpenFlags::FROM_ENV | git2::RepositoryOpenFlags::NO_SEARCH,
            ),
            None => (dir.to_path_buf(), git2::RepositoryOpenFlags::FROM_ENV),
        };
        let repo = Repository::open_ext(&start, flags, std::iter::empty::<&OsStr>())
            .map_err(|e| match (e.code(), &git_dir_env) {
                (ErrorCode::NotFound, Some(g)) => anyhow!(
                    "GIT_DIR={} is not a git repository (unset GIT_DIR or point it at a .git directory)",
                    Path::new(g).display()
                ),
                (ErrorCode::NotFound, None) => anyhow!(
                    "not a git repository: {} (run dbguard inside a repository, or pass -C DIR)",
                    dir.display()
                ),
                _ => anyhow!(
                    "cannot open the git repository at {}: {}",
                    dir.display(),
                    e.message()
                ),
            })?;
        let Some(root) = repo.workdir().map(Path::to_path_buf) else {
            bail!(
                "{} is a bare repository: dbguard checks files in a working tree; run it in a clone that has one",
                repo.path().display()
            );
        };
        // Where libgit2 looks too (opened FROM_ENV): a hook run by `git
        // receive-pack` sees the pushed objects in a quarantine directory
        // and the repository's through GIT_ALTERNATE_OBJECT_DIRECTORIES.
        let mut objects = vec![
            std::env::var_os("GIT_OBJECT_DIRECTORY")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| repo.commondir().join("objects")),
        ];
        if let Some(alternates) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
            objects
                .extend(std::env::split_paths(&alternates).filter(|p| !p.as_os_str().is_empty()));
        }
        let store = Arc::new(GitStore::new(repo.path().to_path_buf(), objects));
        Ok(Repo {
            repo,
            root,
            store,
            excludes: OnceLock::new(),
        })
    }

    /// The working tree's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository's git directory (`.git`, or the worktree's admin dir).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The git directory every linked worktree shares (`.git` of the main
    /// working tree): what belongs to the repository rather than to one
    /// worktree, such as `dbguard fix --clean`'s trash, lives there.
    pub fn common_dir(&self) -> &Path {
        self.repo.commondir()
    }

    /// The blob reader that rules use (thread-safe).
    pub fn store(&self) -> Arc<GitStore> {
        Arc::clone(&self.store)
    }

    /// The ignore rules git applies beside the tree's `.gitignore` files:
    /// `info/exclude` of the common git directory (shared by linked
    /// worktrees), then `core.excludesFile` (by default
    /// `$XDG_CONFIG_HOME/git/ignore` or `~/.config/git/ignore`), and
    /// `core.ignorecase`. Files that cannot be read count as empty, as git
    /// treats them. Read once per run.
    pub fn excludes(&self) -> Arc<Excludes> {
        Arc::clone(self.excludes.get_or_init(|| Arc::new(self.read_excludes())))
    }

    fn read_excludes(&self) -> Excludes {
        let config = self.repo.config().ok();
        let mut files = Vec::new();
        let info = self.repo.commondir().join("info").join("exclude");
        if let Ok(content) = std::fs::read(&info) {
            files.push(ExcludeFile {
                source: ".git/info/exclude".into(),
                content,
            });
        }
        let configured = config
            .as_ref()
            .and_then(|c| c.get_path("core.excludesFile").ok());
        let global = configured.or_else(default_excludes_file).map(|p| {
            if p.is_relative() {
                self.root.join(p)
            } else {
                p
            }
        });
        if let Some(path) = global
            && let Ok(content) = std::fs::read(&path)
        {
            files.push(ExcludeFile {
                source: path.display().to_string(),
                content,
            });
        }
        let ignore_case = config
            .as_ref()
            .and_then(|c| c.get_bool("core.ignorecase").ok())
            .unwrap_or(false);
        Excludes { files, ignore_case }
    }

    /// The directory git runs hooks from, like `git rev-parse --git-path
    /// hooks`: `core.hooksPath` (relative to the working tree root when
    /// relative, `~` expanded), else `hooks/` in the common git directory,
    /// so that every linked worktree shares it.
    pub fn hooks_dir(&self) -> anyhow::Result<PathBuf> {
        let config = self
            .repo
            .config()
            .map_err(|e| anyhow!("cannot read the git configuration: {}", e.message()))?;
        match config.get_path("core.hooksPath") {
            Ok(p) if p.as_os_str().is_empty() => Ok(self.repo.commondir().join("hooks")),
            Ok(p) if p.is_relative() => Ok(self.root.join(p)),
            Ok(p) => Ok(p),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(self.repo.commondir().join("hooks")),
            Err(e) => Err(anyhow!("cannot read core.hooksPath: {}", e.message())),
        }
    }

    fn head_tree(&self) -> anyhow::Result<Option<git2::Tree<'_>>> {
        match self.repo.head() {
            Ok(head) => Ok(Some(
                head.peel_to_tree().context("cannot read HEAD's tree")?,
            )),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(anyhow!("cannot read HEAD: {}", e.message())),
        }
    }

    /// HEAD's tree id (`None` before the first commit), read from the
    /// pack when the commit is packed: a staged check then needs no
    /// libgit2 object read at all (see [`store::tree_entries`]).
    fn head_tree_id(&self) -> anyhow::Result<Option<ObjectId>> {
        let head = match self.repo.head() {
            Ok(head) => head,
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
                return Ok(None);
            }
            Err(e) => return Err(anyhow!("cannot read HEAD: {}", e.message())),
        };
        if let Some(commit) = head.target()
            && let Some(tree) = store::packed_commit_tree(self.store.packs(), &oid_to_id(commit))
        {
            return Ok(Some(tree));
        }
        let tree = head.peel_to_tree().context("cannot read HEAD's tree")?;
        Ok(Some(oid_to_id(tree.id())))
    }

    fn head_snapshot(&self) -> anyhow::Result<LazySnapshot> {
        Ok(self.tree_snapshot(self.head_tree_id()?))
    }

    /// A lazy snapshot of `tree` (`None`: the empty tree).
    fn tree_snapshot(&self, tree: Option<ObjectId>) -> LazySnapshot {
        match tree {
            Some(tree) => store::tree_snapshot(self.store(), tree),
            None => LazySnapshot::ready(Snapshot::default()),
        }
    }

    /// What the next commit will change: the index against HEAD, content
    /// read from the index's blobs (never the working tree).
    pub fn staged(&self) -> anyhow::Result<ChangeSet> {
        // The index file is read once, for the change and for the rules
        // that need the whole staged tree.
        let index = self.read_raw_index()?;
        let head = self.head_tree_id()?;
        let fast = match &index {
            Some(index) => self.staged_from(index, head)?,
            None => None,
        };
        let changes = match fast {
            Some(changes) => changes,
            None => self.staged_libgit2()?,
        };
        let new_tree = match index {
            Some(index) => {
                // The closure keeps the index: freeing its entries and
                // unmapping it right after the build sat on a staged
                // check's critical path, and the change set (never torn
                // down at exit) lives as long anyway.
                LazySnapshot::new(move || Ok(index_snapshot(&index)))
            }
            None => store::index_snapshot(self.store()),
        };
        Ok(ChangeSet {
            mode: Mode::Staged,
            commit: None,
            is_merge: false,
            changes: changes.into(),
            old_tree: self.tree_snapshot(head),
            new_tree,
            excludes: self.excludes(),
            before_range: None,
            tree_ids: None,
        })
    }

    /// The index, read without libgit2 (see [`index_file`]), or `None`
    /// when it holds something only libgit2 reads.
    fn read_raw_index(&self) -> anyhow::Result<Option<index_file::IndexFile>> {
        let path = self.index_file_path();
        index_file::read(&path, 20)
            .with_context(|| format!("cannot read the index {}", path.display()))
    }

    /// The index file git uses for this repository: `GIT_INDEX_FILE` (as
    /// git hooks set it, relative to the process's directory) or the git
    /// dir's `index`.
    fn index_file_path(&self) -> PathBuf {
        match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => self.repo.path().join("index"),
        }
    }

    /// The staged changes through the cache-tree, or `None` when only
    /// libgit2 can describe them.
    #[cfg(test)]
    fn staged_fast(&self) -> anyhow::Result<Option<Vec<Change>>> {
        match self.read_raw_index()? {
            Some(index) => self.staged_from(&index, self.head_tree_id()?),
            None => Ok(None),
        }
    }

    /// The changes from HEAD's tree `head` to `index` (see [`staged`]).
    fn staged_from(
        &self,
        index: &index_file::IndexFile,
        head: Option<ObjectId>,
    ) -> anyhow::Result<Option<Vec<Change>>> {
        staged::staged_changes(&self.repo, self.store.packs(), index, head)
    }

    /// The staged changes through libgit2's diff, with its rename detection.
    fn staged_libgit2(&self) -> anyhow::Result<Vec<Change>> {
        let index = self.repo.index().context("cannot read the index")?;
        let head = self.head_tree()?;
        let mut opts = DiffOptions::new();
        opts.include_typechange(true);
        let mut diff = self
            .repo
            .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
            .context("cannot compare the index with HEAD")?;
        find_renames(&mut diff)?;
        Ok(diff_changes(&diff))
    }

    /// Every tracked file as it is in the working tree (what CI checks out).
    pub fn tracked(&self) -> anyhow::Result<ChangeSet> {
        let entries = self.worktree_entries()?;
        let changes = entries
            .iter()
            .map(|e| Change {
                path: e.path.clone(),
                old_path: None,
                status: Status::Unchanged,
                mode: e.mode,
                old: None,
                new: Some(e.blob.clone()),
            })
            .collect();
        Ok(ChangeSet {
            mode: Mode::All,
            commit: None,
            is_merge: false,
            changes,
            old_tree: self.head_snapshot()?,
            new_tree: LazySnapshot::ready(Snapshot::new(entries)),
            excludes: self.excludes(),
            before_range: None,
            tree_ids: None,
        })
    }

    /// Tracked files (stage 0 index entries) that exist in the working tree.
    /// The index is read without libgit2 when it can be (libgit2 verifies
    /// its checksum and hashes every entry); the directories are listed on
    /// every core.
    fn worktree_entries(&self) -> anyhow::Result<Vec<SnapshotEntry>> {
        use rayon::prelude::*;
        let listed: Vec<(Vec<u8>, u32)> = match self.read_raw_index()? {
            Some(index) => index
                .entries
                .iter()
                // Conflicted entries are not files yet.
                .filter(|e| e.stage == 0)
                .map(|e| (index.path(e).to_vec(), e.mode))
                .collect(),
            None => {
                let index = self.repo.index().context("cannot read the index")?;
                index
                    .iter()
                    // Stage bits 12-13 of flags.
                    .filter(|e| (e.flags >> 12) & 0x3 == 0)
                    .map(|e| (e.path.clone(), e.mode))
                    .collect()
            }
        };
        let root = self.root.as_path();
        let paths: Vec<&[u8]> = listed.iter().map(|(p, _)| p.as_slice()).collect();
        let there = presence::present(root, &paths);
        drop(paths);
        Ok(listed
            .into_par_iter()
            .zip(there)
            .with_min_len(256)
            .filter_map(|((path, mode), there)| {
                let mode = mode_from_filemode(mode);
                // Deleted in the working tree, or outside a sparse checkout.
                if mode != EntryMode::Submodule && !there {
                    return None;
                }
                Some(SnapshotEntry {
                    path: path_string(&path),
                    blob: BlobRef::Worktree(worktree_path(root, &path)),
                    mode,
                })
            })
            .collect())
    }

    /// Exactly the listed paths from the working tree (how hook managers
    /// call a hook), compared with HEAD's version of each. A directory
    /// stands for the files below it that git would not ignore.
    pub fn paths(&self, base: &Path, paths: &[PathBuf]) -> anyhow::Result<ChangeSet> {
        let head = self.head_tree()?;
        let root = self
            .root
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", self.root.display()))?;
        let mut files = Vec::new();
        for p in paths {
            let abs = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            let meta = std::fs::symlink_metadata(&abs).map_err(|_| {
                anyhow!(
                    "no such file: {} (pass paths that exist, relative to the current directory)",
                    p.display()
                )
            })?;
            let resolved = resolve_inside(&root, &abs).ok_or_else(|| {
                anyhow!(
                    "{} is outside the repository at {}",
                    p.display(),
                    self.root.display()
                )
            })?;
            if meta.is_dir() {
                for entry in ignore::WalkBuilder::new(&resolved).hidden(false).build() {
                    let entry = entry.with_context(|| format!("cannot list {}", p.display()))?;
                    if entry.file_type().is_some_and(|t| !t.is_dir())
                        && !entry.path().components().any(|c| c.as_os_str() == ".git")
                    {
                        files.push(entry.path().to_path_buf());
                    }
                }
            } else {
                files.push(resolved);
            }
        }
        files.sort();
        files.dedup();
        let mut changes = Vec::with_capacity(files.len());
        for abs in files {
            let rel = abs.strip_prefix(&root).unwrap_or(&abs);
            let rel_str = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let old = head
                .as_ref()
                .and_then(|t| t.get_path(rel).ok())
                .map(|e| BlobRef::Object(oid_to_id(e.id())));
            let meta = std::fs::symlink_metadata(&abs)?;
            changes.push(Change {
                path: rel_str,
                old_path: None,
                status: if old.is_some() {
                    Status::Modified
                } else {
                    Status::Added
                },
                mode: if meta.file_type().is_symlink() {
                    EntryMode::Symlink
                } else {
                    EntryMode::File
                },
                old,
                new: Some(BlobRef::Worktree(self.root.join(rel))),
            });
        }
        let new_tree = {
            let entries = self.worktree_entries()?;
            LazySnapshot::ready(Snapshot::new(entries))
        };
        Ok(ChangeSet {
            mode: Mode::Paths,
            commit: None,
            is_merge: false,
            changes: changes.into(),
            old_tree: self.head_snapshot()?,
            new_tree,
            excludes: self.excludes(),
            before_range: None,
            tree_ids: None,
        })
    }

    /// Every commit of a range (`A..B`, `A...B`, or a single revision for
    /// its whole history), oldest first, each compared with its first
    /// parent, all at once: for tests and small ranges ([`Repo::range_each`]
    /// keeps a long history out of memory).
    pub fn range(&self, spec: &str) -> anyhow::Result<Vec<ChangeSet>> {
        let mut all = Vec::new();
        self.range_each(spec, usize::MAX, &mut |sets| {
            all.extend(sets);
            Ok(())
        })?;
        Ok(all)
    }

    /// [`Repo::range`] handed to `each` in batches of `batch` consecutive
    /// commits (`None`: the default size), each dropped before the next is
    /// listed, so that a long history is checked in the memory of one
    /// batch.
    pub fn range_batches(
        &self,
        spec: &str,
        batch: Option<usize>,
        each: &mut dyn FnMut(Vec<ChangeSet>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.range_each(spec, batch.unwrap_or(range::BATCH), each)
    }

    fn range_each(
        &self,
        spec: &str,
        batch: usize,
        each: &mut dyn FnMut(Vec<ChangeSet>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let shallow = self.repo.is_shallow();
        let bad = |e: git2::Error| {
            if shallow && e.code() == ErrorCode::NotFound {
                return anyhow!(
                    "the range `{spec}` names a commit this shallow clone does not have: {} ({UNSHALLOW})",
                    e.message()
                );
            }
            anyhow!(
                "bad range `{spec}`: {} (use A..B with revisions that exist, e.g. origin/main..HEAD)",
                e.message()
            )
        };
        // Past the revisions, an error is git's, not the range's.
        let broken =
            |e: git2::Error| anyhow!("cannot read the history of `{spec}`: {}", e.message());
        let rs = self.repo.revparse(spec).map_err(bad)?;
        let mut walk = self.repo.revwalk().map_err(broken)?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .map_err(broken)?;
        let to = rs
            .to()
            .or(rs.from())
            .ok_or_else(|| anyhow!("bad range `{spec}`: it names no revision"))?;
        walk.push(to.id()).map_err(bad)?;
        let mut tips = vec![to.id()];
        let mut base = None;
        if rs.mode().contains(git2::RevparseMode::RANGE) {
            let from = rs.from().ok_or_else(|| anyhow!("bad range `{spec}`"))?;
            if rs.mode().contains(git2::RevparseMode::MERGE_BASE) {
                walk.push(from.id()).map_err(bad)?;
                tips.push(from.id());
                if let Ok(merge_base) = self.repo.merge_base(from.id(), to.id()) {
                    walk.hide(merge_base).map_err(bad)?;
                    base = Some(merge_base);
                }
            } else {
                walk.hide(from.id()).map_err(bad)?;
                base = Some(from.id());
            }
        }
        let oids = walk.collect::<Result<Vec<Oid>, _>>().map_err(|e| {
            if shallow && e.code() == ErrorCode::NotFound {
                anyhow!(
                    "the range `{spec}` reaches past the history this shallow clone has: {} ({UNSHALLOW})",
                    e.message()
                )
            } else {
                broken(e)
            }
        })?;
        if shallow {
            self.shallow_boundary(spec, &oids, rs.mode().contains(git2::RevparseMode::RANGE))?;
        }
        if let Some(p) = self.store.promisor() {
            // Everything the range reads, fetched in one batch (one
            // fetch per blob took a second per ten blobs).
            match p.missing_in(&tips, base.as_slice(), base) {
                Ok(missing) if !missing.is_empty() => {
                    eprintln!(
                        "dbguard: fetching {} objects this partial clone does not have",
                        missing.len()
                    );
                    p.fetch(&missing);
                }
                Ok(_) => {}
                Err(e) => eprintln!("dbguard: warning: cannot list the missing objects: {e:#}"),
            }
        }
        let before_range = match base {
            Some(b) => {
                let tree = self
                    .repo
                    .find_commit(b)
                    .and_then(|c| c.tree())
                    .map_err(broken)?;
                Some(Arc::new(store::tree_snapshot(
                    Arc::clone(&self.store),
                    oid_to_id(tree.id()),
                )))
            }
            None => None,
        };
        range::change_sets(
            &self.repo,
            &self.store,
            &self.excludes(),
            oids,
            before_range,
            &broken,
            range::Batches { size: batch, each },
        )
    }

    /// A commit of the range that is a shallow clone's boundary: git shows
    /// it without its parents, so every file in it looks new. In `A..B`
    /// that is a range reaching past what the clone has (every finding
    /// of the history before the boundary would be reported again as the
    /// boundary's): an error. For a single revision (the whole history)
    /// the history the clone has is what was asked for, as `git log`
    /// shows it; one line on stderr says what the boundary means.
    fn shallow_boundary(&self, spec: &str, oids: &[Oid], is_range: bool) -> anyhow::Result<()> {
        let path = self.repo.path().join("shallow");
        let listed = std::fs::read_to_string(&path).unwrap_or_default();
        let boundary: std::collections::HashSet<Oid> = listed
            .lines()
            .filter_map(|l| Oid::from_str(l.trim()).ok())
            .collect();
        let Some(c) = oids.iter().find(|c| boundary.contains(c)) else {
            return Ok(());
        };
        let short = &c.to_string()[..12];
        if is_range {
            bail!(
                "the range `{spec}` reaches past the history this shallow clone has: the parents of commit {short} were not fetched ({UNSHALLOW})"
            );
        }
        eprintln!(
            "dbguard: warning: this shallow clone's history starts at commit {short}, which shows every file as added; for the history before it, {UNSHALLOW}"
        );
        Ok(())
    }
}

/// How to get the history a shallow clone left out.
const UNSHALLOW: &str = "run `git fetch --unshallow`, or set `fetch-depth: 0` in actions/checkout";

/// The staged tree from the index read by [`index_file`]: entries at stage
/// 0, without `git add -N` placeholders (not part of the next commit).
fn index_snapshot(index: &index_file::IndexFile) -> Snapshot {
    let bytes = index.entries.iter().map(|e| index.path(e).len()).sum();
    let mut out = SnapshotBuilder::with_capacity(index.entries.len(), bytes);
    for e in &index.entries {
        if e.stage == 0 && !e.intent_to_add {
            out.push(
                index.path(e),
                BlobRef::Object(e.oid),
                mode_from_filemode(e.mode),
            );
        }
    }
    out.finish()
}

/// Where git looks for the global excludes file when `core.excludesFile`
/// is not set.
fn default_excludes_file() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(xdg) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(xdg).join("git").join("ignore"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".config").join("git").join("ignore"))
}

/// Resolves `abs` (which exists) to a canonical path inside `root`, or
/// `None` when it lies outside. A symlink's own location counts, not its
/// target.
fn resolve_inside(root: &Path, abs: &Path) -> Option<PathBuf> {
    let parent = abs.parent()?;
    let name = abs.file_name();
    let parent = parent.canonicalize().ok()?;
    let full = match name {
        Some(n) => parent.join(n),
        None => parent,
    };
    full.starts_with(root).then_some(full)
}

fn find_renames(diff: &mut git2::Diff<'_>) -> anyhow::Result<()> {
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find))
        .map_err(|e| anyhow!("cannot detect renames: {}", e.message()))
}

fn diff_changes(diff: &git2::Diff<'_>) -> Vec<Change> {
    diff.deltas()
        .filter_map(|d| {
            let status = match d.status() {
                Delta::Added => Status::Added,
                Delta::Modified => Status::Modified,
                Delta::Renamed => Status::Renamed,
                Delta::Copied => Status::Copied,
                Delta::Deleted => Status::Deleted,
                Delta::Typechange => Status::TypeChanged,
                _ => return None,
            };
            let new = d.new_file();
            let old = d.old_file();
            let file = if status == Status::Deleted {
                d.old_file()
            } else {
                d.new_file()
            };
            let path = path_string(file.path_bytes()?);
            let old_path = matches!(status, Status::Renamed | Status::Copied)
                .then(|| old.path_bytes().map(path_string))
                .flatten();
            Some(Change {
                path,
                old_path,
                status,
                mode: mode_from_filemode(u32::from(file.mode())),
                old: (status != Status::Added).then(|| BlobRef::Object(oid_to_id(old.id()))),
                new: (status != Status::Deleted).then(|| BlobRef::Object(oid_to_id(new.id()))),
            })
        })
        .collect()
}

/// Runs git in `dir` for a unit test, fenced from the caller's
/// environment and configuration; its standard output.
#[cfg(test)]
pub(crate) fn test_git(dir: &Path, args: &[&str]) -> String {
    let out = test_git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`test_git`] for a command that may fail (a merge with conflicts).
#[cfg(test)]
pub(crate) fn test_git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .output()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filemodes_map_to_entry_modes() {
        assert_eq!(mode_from_filemode(0o100644), EntryMode::File);
        assert_eq!(mode_from_filemode(0o100755), EntryMode::Executable);
        assert_eq!(mode_from_filemode(0o120000), EntryMode::Symlink);
        assert_eq!(mode_from_filemode(0o160000), EntryMode::Submodule);
    }
}
