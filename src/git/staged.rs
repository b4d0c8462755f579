//! The staged changes (index against HEAD) at the cost of the change, not
//! of the repository: directories whose cache-tree id equals HEAD's tree
//! are skipped without reading them, as `git diff --cached` does.
//!
//! Used by [`super::Repo::staged`]; whenever the index holds something
//! [`super::index_file`] does not read, or the change needs rename
//! detection beyond exact renames, the caller falls back to libgit2's diff.

use std::collections::{HashMap, HashSet};

use anyhow::anyhow;
use git2::Repository;

use super::index_file::{IndexFile, RawEntry};
use super::pack::{self, Packs};
use super::similarity::{self, LinesCache};
use super::store;
use super::{id_to_oid, mode_from_filemode, path_string};
use crate::changes::{BlobRef, Change, ObjectId, Status};

/// Above this many add x delete candidate pairs, rename detection is left
/// to libgit2 (a large restructuring; rare, and allowed to cost more).
pub(super) const MAX_SIMILARITY_PAIRS: usize = 400;

/// Blobs larger than this are not compared for similarity.
const MAX_SIMILARITY_BLOB: usize = 1 << 20;

/// One side of a comparison.
#[derive(Clone)]
pub(super) struct Side {
    pub path: Vec<u8>,
    pub oid: ObjectId,
    pub mode: u32,
}

/// The staged changes, or `None` when only libgit2's rename detection can
/// describe them (an add and a delete that are not an exact rename).
pub(super) fn staged_changes(
    repo: &Repository,
    packs: &Packs,
    index: &IndexFile,
    head_tree: Option<ObjectId>,
) -> anyhow::Result<Option<Vec<Change>>> {
    // Nearly every index holds only plain entries, and then they are the
    // entries to compare as they are: filtering 60,000 entries into new
    // collections cost ~2 ms of a staged check.
    let plain = !index.has_special;
    let conflicted: HashSet<&[u8]> = if plain {
        HashSet::new()
    } else {
        index
            .entries
            .iter()
            .filter(|e| e.stage != 0)
            .map(|e| index.path(e))
            .collect()
    };
    let filtered: Vec<RawEntry>;
    let entries: &[RawEntry] = if plain {
        &index.entries
    } else {
        filtered = index
            .entries
            .iter()
            .filter(|e| e.stage == 0 && !e.intent_to_add)
            .copied()
            .collect();
        &filtered
    };
    let mut walk = Walk {
        repo,
        packs,
        index,
        entries,
        matched: vec![false; entries.len()],
        conflicted: &conflicted,
        added: Vec::new(),
        deleted: Vec::new(),
        modified: Vec::new(),
    };
    // Directories to compare: (path prefix with trailing '/', or "" for the
    // root; HEAD's tree there; the index range below it).
    let mut work: Vec<(Vec<u8>, ObjectId, usize, usize)> = Vec::new();
    if let Some(tree) = head_tree {
        work.push((Vec::new(), tree, 0, entries.len()));
    }
    while let Some((prefix, tree, lo, hi)) = work.pop() {
        walk.compare_dir(&prefix, tree, lo, hi, &mut work)?;
    }
    for (i, e) in entries.iter().enumerate() {
        if !walk.matched[i] {
            walk.added.push(Side {
                path: index.path(e).to_vec(),
                oid: e.oid,
                mode: e.mode,
            });
        }
    }
    Ok(pair_renames(
        walk.repo,
        walk.packs,
        &LinesCache::default(),
        walk.added,
        walk.deleted,
        walk.modified,
    ))
}

struct Walk<'a> {
    repo: &'a Repository,
    packs: &'a Packs,
    index: &'a IndexFile,
    entries: &'a [RawEntry],
    matched: Vec<bool>,
    conflicted: &'a HashSet<&'a [u8]>,
    added: Vec<Side>,
    deleted: Vec<Side>,
    modified: Vec<(Side, Side)>,
}

impl Walk<'_> {
    /// The first entry of `from..hi` whose path is not `before` (which
    /// holds for a leading run of that range only), searched outward from
    /// `from`: a tree lists its entries in the index's order, so each
    /// search starts where the previous one ended and costs the log of the
    /// distance. Binary searches over the whole directory missed the cache
    /// at every step: ~3 us per subdirectory, 3 ms of the staged diff on
    /// the 60,000-file benchmark repository.
    fn seek(&self, from: usize, hi: usize, before: impl Fn(&[u8]) -> bool) -> usize {
        let mut base = from;
        let mut step = 1;
        while base + step <= hi && before(self.index.path(&self.entries[base + step - 1])) {
            base += step;
            step *= 2;
        }
        let end = (base + step).min(hi);
        base + self.entries[base..end].partition_point(|e| before(self.index.path(e)))
    }

    fn compare_dir(
        &mut self,
        prefix: &[u8],
        tree: ObjectId,
        lo: usize,
        hi: usize,
        work: &mut Vec<(Vec<u8>, ObjectId, usize, usize)>,
    ) -> anyhow::Result<()> {
        let key = prefix.strip_suffix(b"/").unwrap_or(prefix);
        if self.index.cache_tree.get(key) == Some(&tree) {
            // The index below this directory is exactly HEAD's tree.
            self.matched[lo..hi].iter_mut().for_each(|m| *m = true);
            return Ok(());
        }
        let entries = store::tree_entries(self.repo, self.packs, &tree)
            .map_err(|e| anyhow!("cannot read tree {tree}: {}", e.message()))?;
        // Where the search for the next entry starts; back at `lo` after
        // an entry out of order (a malformed tree), so that nothing is
        // missed.
        let mut cursor = lo;
        let mut previous: Vec<u8> = Vec::new();
        for (name, id, mode) in entries {
            let mut path = prefix.to_vec();
            path.extend_from_slice(&name);
            let is_tree = pack::is_tree(mode);
            if is_tree {
                path.push(b'/');
            }
            if path <= previous {
                cursor = lo;
            }
            previous.clone_from(&path);
            let start = self.seek(cursor, hi, |p| p < path.as_slice());
            if is_tree {
                let end = self.seek(start, hi, |p| p.starts_with(&path));
                cursor = end;
                work.push((path, id, start, end));
                continue;
            }
            cursor = start;
            if self.conflicted.contains(path.as_slice()) {
                continue;
            }
            // The smallest path that starts with `path` is `path` itself.
            let exact = (start < hi && self.index.path(&self.entries[start]) == path.as_slice())
                .then_some(start);
            let head = Side {
                path,
                oid: id,
                mode,
            };
            match exact {
                None => self.deleted.push(head),
                Some(i) => {
                    self.matched[i] = true;
                    let e = &self.entries[i];
                    if e.oid != head.oid || e.mode != head.mode {
                        let new = Side {
                            path: self.index.path(e).to_vec(),
                            oid: e.oid,
                            mode: e.mode,
                        };
                        self.modified.push((head, new));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Turns the sides of a comparison into changes, pairing renames: exact
/// ones by blob id, then edited ones by content similarity (at least half
/// the content in common, git's default). Large restructurings go to
/// libgit2 (`None`). Shared by staged mode and range mode's tree diffs.
pub(super) fn pair_renames(
    repo: &Repository,
    packs: &Packs,
    lines: &LinesCache,
    added: Vec<Side>,
    deleted: Vec<Side>,
    modified: Vec<(Side, Side)>,
) -> Option<Vec<Change>> {
    let mut by_oid: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (i, a) in added.iter().enumerate() {
        by_oid.entry(a.oid).or_default().push(i);
    }
    let mut renamed_from: HashMap<usize, Side> = HashMap::new();
    let mut unpaired_deletes = Vec::new();
    for d in deleted {
        match by_oid.get_mut(&d.oid).and_then(Vec::pop) {
            Some(i) => {
                renamed_from.insert(i, d);
            }
            None => unpaired_deletes.push(d),
        }
    }
    let unpaired_adds: Vec<usize> = (0..added.len())
        .filter(|i| !renamed_from.contains_key(i))
        .collect();
    if !unpaired_adds.is_empty() && !unpaired_deletes.is_empty() {
        if unpaired_adds.len() * unpaired_deletes.len() > MAX_SIMILARITY_PAIRS {
            return None;
        }
        let pairs = similar_pairs(
            repo,
            packs,
            lines,
            &added,
            &unpaired_adds,
            &unpaired_deletes,
        )?;
        let mut taken: Vec<bool> = vec![false; unpaired_deletes.len()];
        for (add, del) in pairs {
            if !taken[del] && !renamed_from.contains_key(&add) {
                taken[del] = true;
                let d = &unpaired_deletes[del];
                renamed_from.insert(
                    add,
                    Side {
                        path: d.path.clone(),
                        oid: d.oid,
                        mode: d.mode,
                    },
                );
            }
        }
        unpaired_deletes = unpaired_deletes
            .into_iter()
            .zip(taken)
            .filter(|(_, t)| !t)
            .map(|(d, _)| d)
            .collect();
    }
    Some(build_changes(
        added,
        renamed_from,
        unpaired_deletes,
        modified,
    ))
}

/// The changes of a comparison whose renames are decided: `renamed_from`
/// maps an index of `added` to the deleted side it was renamed from,
/// `deleted` are the deletions left. Sorted by path, as libgit2 sorts
/// its deltas.
pub(super) fn build_changes(
    added: Vec<Side>,
    mut renamed_from: HashMap<usize, Side>,
    deleted: Vec<Side>,
    modified: Vec<(Side, Side)>,
) -> Vec<Change> {
    let mut changes = Vec::with_capacity(added.len() + deleted.len() + modified.len());
    for (old, new) in modified {
        let old_mode = mode_from_filemode(old.mode);
        let new_mode = mode_from_filemode(new.mode);
        let type_changed = (old_mode == crate::changes::EntryMode::Symlink)
            != (new_mode == crate::changes::EntryMode::Symlink)
            || (old_mode == crate::changes::EntryMode::Submodule)
                != (new_mode == crate::changes::EntryMode::Submodule);
        changes.push(Change {
            path: path_string(&new.path),
            old_path: None,
            status: if type_changed {
                Status::TypeChanged
            } else {
                Status::Modified
            },
            mode: new_mode,
            old: Some(BlobRef::Object(old.oid)),
            new: Some(BlobRef::Object(new.oid)),
        });
    }
    for (i, a) in added.into_iter().enumerate() {
        let from = renamed_from.remove(&i);
        changes.push(Change {
            path: path_string(&a.path),
            old_path: from.as_ref().map(|d| path_string(&d.path)),
            status: if from.is_some() {
                Status::Renamed
            } else {
                Status::Added
            },
            mode: mode_from_filemode(a.mode),
            old: from.map(|d| BlobRef::Object(d.oid)),
            new: Some(BlobRef::Object(a.oid)),
        });
    }
    for d in deleted {
        changes.push(Change {
            path: path_string(&d.path),
            old_path: None,
            status: Status::Deleted,
            mode: mode_from_filemode(d.mode),
            old: Some(BlobRef::Object(d.oid)),
            new: None,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// `(added index, deleted index)` pairs that are renames with edits, best
/// first; `None` when a blob cannot be read (then libgit2 decides).
fn similar_pairs(
    repo: &Repository,
    packs: &Packs,
    cache: &LinesCache,
    added: &[Side],
    adds: &[usize],
    deletes: &[Side],
) -> Option<Vec<(usize, usize)>> {
    // Packed blobs through `pack` (its delta-base cache serves the
    // versions of one file a history keeps); libgit2 for the rest.
    let content = |side: &Side| -> Option<Option<Vec<u8>>> {
        if let Some(read) = packs.read_within(side.oid.as_bytes(), MAX_SIMILARITY_BLOB as u64) {
            return match read {
                Some((pack::Kind::Blob, data)) => Some(Some(data)),
                Some(_) => None,
                None => Some(None),
            };
        }
        let blob = repo.find_blob(id_to_oid(&side.oid).ok()?).ok()?;
        Some((blob.size() <= MAX_SIMILARITY_BLOB).then(|| blob.content().to_vec()))
    };
    let lines = |side: &Side| cache.get_or(&side.oid, || content(side).ok_or(())).ok();
    let mut old = Vec::with_capacity(deletes.len());
    for d in deletes {
        old.push(lines(d)?);
    }
    let mut scored = Vec::new();
    for &a in adds {
        let Some(new) = lines(&added[a])? else {
            continue;
        };
        for (d, old) in old.iter().enumerate() {
            if let Some(old) = old
                && similarity::may_reach(old.size(), new.size(), 50)
            {
                let score = similarity::similarity(old, &new);
                if score >= 50 {
                    scored.push((score, a, d));
                }
            }
        }
    }
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    Some(scored.into_iter().map(|(_, a, d)| (a, d)).collect())
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use crate::changes::{Change, ObjectId};
    use crate::git::Repo;

    fn git(dir: &Path, args: &[&str]) {
        crate::git::test_git(dir, args);
    }

    fn write(dir: &Path, path: &str, content: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// A change list as sorted lines, to compare two listings whatever
    /// their order (range tests use it too).
    pub(in crate::git) fn summary(changes: &[Change]) -> Vec<String> {
        let mut v: Vec<String> = changes
            .iter()
            .map(|c| {
                format!(
                    "{:?} {} {:?} {:?} {:?} {:?}",
                    c.status, c.path, c.old_path, c.mode, c.old, c.new
                )
            })
            .collect();
        v.sort();
        v
    }

    /// The cache-tree walk and libgit2's diff agree on a repository state.
    fn assert_agree(dir: &Path) -> Vec<String> {
        let repo = Repo::open(dir).unwrap();
        let fast = repo
            .staged_fast()
            .unwrap()
            .expect("the fast path handles this state");
        let slow = repo.staged_libgit2().unwrap();
        assert_eq!(summary(&fast), summary(&slow));
        summary(&fast)
    }

    fn base_repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        git(d.path(), &["init", "-q", "-b", "main"]);
        for p in [
            "a.txt",
            "src/x/y.py",
            "src/x/z.py",
            "src/w.py",
            "gone/one.txt",
            "gone/sub/two.txt",
            "link_target.txt",
        ] {
            write(d.path(), p, &format!("content of {p}\n"));
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("link_target.txt", d.path().join("ln")).unwrap();
        git(d.path(), &["add", "-A"]);
        git(d.path(), &["commit", "-q", "-m", "base"]);
        d
    }

    #[test]
    fn nothing_staged_reads_no_tree() {
        let d = base_repo();
        assert_eq!(assert_agree(d.path()), Vec::<String>::new());
    }

    #[test]
    fn every_kind_of_change_agrees_with_libgit2() {
        let d = base_repo();
        let p = d.path();
        write(p, "new/dir/file.db", "x\n");
        write(p, "src/x/y.py", "changed\n");
        std::fs::remove_file(p.join("src/w.py")).unwrap();
        std::fs::remove_dir_all(p.join("gone")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p.join("src/x/z.py"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
            std::fs::remove_file(p.join("ln")).unwrap();
            write(p, "ln", "now a file\n");
        }
        git(p, &["add", "-A"]);
        git(p, &["mv", "a.txt", "renamed.txt"]);
        let got = assert_agree(p);
        assert!(
            got.iter().any(|s| s.starts_with("Renamed renamed.txt")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|s| s.starts_with("Deleted gone/sub/two.txt")),
            "{got:#?}"
        );
        // The same state with the index in version 4 (compressed paths).
        git(p, &["update-index", "--index-version", "4"]);
        assert_agree(p);
        // And with every object packed: HEAD's commit and its trees are
        // then read by `pack`, not by libgit2.
        git(p, &["repack", "-adq"]);
        let head = crate::git::test_git(p, &["rev-parse", "HEAD"]);
        let head = ObjectId::from_bytes(&hex::decode(head.trim()).unwrap());
        let repo = Repo::open(p).unwrap();
        let store = repo.store();
        let tree = super::store::packed_commit_tree(store.packs(), &head);
        let expected = crate::git::test_git(p, &["rev-parse", "HEAD^{tree}"]);
        assert_eq!(
            tree.map(|t| t.to_string()),
            Some(expected.trim().to_string())
        );
        assert!(store.packs().read(tree.unwrap().as_bytes()).is_some());
        assert_eq!(assert_agree(p), got);
    }

    #[test]
    fn names_sorting_around_a_directory_agree_with_libgit2() {
        // Trees sort a directory as its name plus `/`, the index by whole
        // paths; the walk searches each tree entry from where the last one
        // ended, so `d.txt` < `d-x/` < `d/` < `d0` < `dz/` must line up,
        // in a directory long enough for the search to take long strides.
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        git(p, &["init", "-q", "-b", "main"]);
        let mut files: Vec<String> = ["d.txt", "d-x/one", "d/inner", "d0", "dz/two", "f", "g.py"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        files.extend((0..64).map(|i| format!("many/{i:03}")));
        for f in &files {
            write(p, f, &format!("content of {f}\n"));
        }
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "base"]);
        write(p, "d/inner", "edited\n");
        write(p, "d-x/new", "new\n");
        std::fs::remove_file(p.join("d0")).unwrap();
        // A file becomes a directory and a directory a file.
        std::fs::remove_file(p.join("f")).unwrap();
        write(p, "f/g", "under f\n");
        std::fs::remove_dir_all(p.join("dz")).unwrap();
        write(p, "dz", "now a file\n");
        write(p, "many/031", "edited\n");
        write(p, "many/0315", "between 031 and 032\n");
        std::fs::remove_file(p.join("many/062")).unwrap();
        git(p, &["add", "-A"]);
        let got = assert_agree(p);
        for expected in [
            "Modified d/inner",
            "Added d-x/new",
            "Deleted d0",
            "Deleted f ",
            "Added f/g",
            "Deleted dz/two",
            "Added dz ",
            "Modified many/031 ",
            "Added many/0315",
            "Deleted many/062",
        ] {
            assert!(
                got.iter().any(|s| s.starts_with(expected)),
                "{expected}: {got:#?}"
            );
        }
        assert_eq!(got.len(), 10, "{got:#?}");
    }

    #[test]
    fn a_repository_without_commits_stages_everything_as_added() {
        let d = tempfile::tempdir().unwrap();
        git(d.path(), &["init", "-q"]);
        assert_eq!(assert_agree(d.path()), Vec::<String>::new());
        write(d.path(), "a/b.txt", "1\n");
        write(d.path(), "c.txt", "2\n");
        git(d.path(), &["add", "-A"]);
        assert_eq!(assert_agree(d.path()).len(), 2);
    }

    #[test]
    fn conflicted_entries_are_left_out_like_libgit2() {
        let d = base_repo();
        let p = d.path();
        git(p, &["checkout", "-q", "-b", "other"]);
        write(p, "a.txt", "other\n");
        git(p, &["commit", "-q", "-am", "other"]);
        git(p, &["checkout", "-q", "main"]);
        write(p, "a.txt", "main\n");
        write(p, "staged.db", "x\n");
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "main"]);
        let merge = crate::git::test_git_output(p, &["merge", "other"]);
        assert!(!merge.status.success());
        write(p, "also.db", "y\n");
        git(p, &["add", "also.db"]);
        let repo = Repo::open(p).unwrap();
        let fast = summary(&repo.staged_fast().unwrap().unwrap());
        assert_eq!(fast.len(), 1, "{fast:#?}");
        assert!(fast[0].starts_with("Added also.db"));
    }

    #[test]
    fn a_rename_with_edits_is_paired_like_libgit2() {
        let d = base_repo();
        let p = d.path();
        git(p, &["mv", "src/x/y.py", "src/x/moved.py"]);
        write(p, "src/x/moved.py", "content of src/x/y.py\nplus a line\n");
        write(p, "unrelated.txt", "nothing like anything else\n");
        std::fs::remove_file(p.join("src/w.py")).unwrap();
        git(p, &["add", "-A"]);
        let got = assert_agree(p);
        assert!(
            got.iter().any(|s| s.starts_with("Renamed src/x/moved.py")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|s| s.starts_with("Added unrelated.txt")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|s| s.starts_with("Deleted src/w.py")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_large_restructuring_is_left_to_libgit2() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        git(p, &["init", "-q"]);
        for i in 0..21 {
            write(p, &format!("old/{i}.txt"), &format!("old file {i}\n"));
        }
        git(p, &["add", "-A"]);
        git(p, &["commit", "-q", "-m", "base"]);
        std::fs::remove_dir_all(p.join("old")).unwrap();
        for i in 0..21 {
            write(p, &format!("new/{i}.txt"), &format!("brand new {i}\n"));
        }
        git(p, &["add", "-A"]);
        let repo = Repo::open(p).unwrap();
        assert!(repo.staged_fast().unwrap().is_none());
        assert_eq!(repo.staged().unwrap().changes.len(), 42);
    }

    #[test]
    fn intent_to_add_entries_are_not_staged_content() {
        let d = base_repo();
        write(d.path(), "later.db", "x\n");
        git(d.path(), &["add", "-N", "later.db"]);
        let repo = Repo::open(d.path()).unwrap();
        assert_eq!(
            summary(&repo.staged_fast().unwrap().unwrap()),
            Vec::<String>::new()
        );
    }
}
