//! The commits of a range as change sets, at the cost of the history's
//! changes rather than of its size times its length.
//!
//! Two things would make a long range slow. The tree diffs, one per
//! commit, run on every core here (each needs only two tree ids and a
//! repository handle from the store's pool). And the rules that look at
//! a commit's whole tree (the Alembic environments, the ignore files)
//! would list a full tree per commit, and keep it: 300 commits of a
//! 60,000-file repository held 1.8 GB. [`RangeTrees`] instead builds a
//! commit's tree from the nearest one already built on its first-parent
//! line plus the changes in between, and keeps only the last few.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use git2::{DiffFindOptions, DiffOptions, Oid, Repository};
use rayon::prelude::*;

use super::pack::{Packs, is_tree};
use super::renames;
use super::similarity::LinesCache;
use super::staged::{MAX_SIMILARITY_PAIRS, Side, pair_renames};
use super::store::{self, GitStore, TreeEntry};
use super::{diff_changes, find_renames, oid_to_id};
use crate::changes::{
    BlobRef, Change, ChangeSet, EntryMode, LazySnapshot, Mode, ObjectId, Snapshot, Status,
};

/// How many built trees are kept for the next commits to start from (two
/// per core is plenty: rayon's threads move forward through the range).
const KEPT: usize = 2;

/// Beyond this many commits between a commit and the nearest built
/// ancestor, listing the tree is cheaper than replaying the changes.
const MAX_REPLAY: usize = 256;

/// One commit of the range, as read from its commit object.
struct Commit {
    oid: Oid,
    tree: ObjectId,
    /// The first parent and its tree.
    parent: Option<(Oid, ObjectId)>,
    is_merge: bool,
}

/// Commits listed and handed to the rules at a time: the memory of a
/// range is this many commits' changes, not the history's (listing all
/// 28,440 of ckan's first held 217 MB). ckan's whole history peaked at
/// 144 MB in batches of 512 and 168 MB in batches of 2,048 (with a
/// delta-base cache of 4 and 8 MB). Each batch ends on its slowest commit
/// with a core idle; on dispatch that was lost in the machine's noise
/// (wall times of one build moved 1.8× between runs).
pub(super) const BATCH: usize = 256;

/// Where the change sets of a range go: to `each`, `size` consecutive
/// commits at a time.
pub(super) struct Batches<'a> {
    pub size: usize,
    pub each: &'a mut dyn FnMut(Vec<ChangeSet>) -> anyhow::Result<()>,
}

/// Every commit of `spec`, oldest first, each compared with its first
/// parent, handed over in [`Batches`] (each batch is dropped before the
/// next is listed). `bad` turns a git error
/// into the user's error message.
pub(super) fn change_sets(
    repo: &Repository,
    store: &Arc<GitStore>,
    excludes: &Arc<crate::changes::Excludes>,
    oids: Vec<Oid>,
    before_range: Option<Arc<LazySnapshot>>,
    bad: &(dyn Fn(git2::Error) -> anyhow::Error + Sync),
    batches: Batches<'_>,
) -> anyhow::Result<()> {
    let mut commits = Vec::with_capacity(oids.len());
    // Each commit's tree by its id: oldest first, a parent is nearly always
    // listed before its children, and then its tree needs no second lookup
    // (those lookups were half of what reading ckan's 28,440 commits cost).
    let mut trees: HashMap<Oid, ObjectId> = HashMap::with_capacity(oids.len());
    for oid in oids {
        let commit = repo.find_commit(oid).map_err(bad)?;
        let parent = match commit.parent_ids().next() {
            Some(p) => {
                let tree = match trees.get(&p) {
                    Some(t) => *t,
                    None => oid_to_id(repo.find_commit(p).map_err(bad)?.tree_id()),
                };
                Some((p, tree))
            }
            None => None,
        };
        trees.insert(oid, oid_to_id(commit.tree_id()));
        commits.push(Commit {
            oid,
            tree: oid_to_id(commit.tree_id()),
            parent,
            is_merge: commit.parent_count() > 1,
        });
    }
    drop(trees);
    let signatures = renames::Signatures::default();
    let lines = LinesCache::default();
    for part in commits.chunks(batches.size.max(1)) {
        (batches.each)(batch_sets(
            store,
            excludes,
            (&signatures, &lines),
            part,
            before_range.as_ref(),
            bad,
        )?)?;
    }
    Ok(())
}

/// The change sets of consecutive commits `commits`. A commit whose first
/// parent is in an earlier batch has its old tree listed from git, when a
/// rule asks for it.
fn batch_sets(
    store: &Arc<GitStore>,
    excludes: &Arc<crate::changes::Excludes>,
    caches: (&renames::Signatures, &LinesCache),
    commits: &[Commit],
    before_range: Option<&Arc<LazySnapshot>>,
    bad: &(dyn Fn(git2::Error) -> anyhow::Error + Sync),
) -> anyhow::Result<Vec<ChangeSet>> {
    // The tree diffs, on every core, in runs of consecutive commits: a
    // commit's old tree is mostly its predecessor's new one, so each run
    // keeps the trees it listed (libgit2 re-inflates a tree's whole delta
    // chain on every read).
    let run = commits
        .len()
        .div_ceil(rayon::current_num_threads() * 2)
        .max(1);
    let diffs: Vec<anyhow::Result<Vec<Vec<Change>>>> = commits
        .par_chunks(run)
        .map(|chunk| {
            store.with_repo(|r| {
                let mut trees = TreeCache::new(store.packs());
                chunk
                    .iter()
                    .map(|c| {
                        let old = c.parent.map(|p| p.1);
                        diff_trees(r, &mut trees, caches, old, c.tree).map_err(bad)
                    })
                    .collect()
            })
        })
        .collect();
    let mut changes: Vec<Arc<[Change]>> = Vec::with_capacity(commits.len());
    for d in diffs {
        changes.extend(d?.into_iter().map(Arc::from));
    }
    let index_of: HashMap<Oid, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.oid, i))
        .collect();
    let trees = Arc::new(RangeTrees {
        store: Arc::clone(store),
        commits: commits
            .iter()
            .zip(&changes)
            .map(|(c, ch)| {
                let parent = c.parent.and_then(|(p, _)| index_of.get(&p).copied());
                RangeCommit {
                    tree: c.tree,
                    parent,
                    // A commit whose parent is outside the range is always
                    // listed from git, never replayed.
                    changes: parent.map(|_| Arc::clone(ch)),
                }
            })
            .collect(),
        kept: Mutex::new(VecDeque::new()),
        spare: Mutex::new(None),
    });
    Ok(commits
        .iter()
        .zip(changes)
        .enumerate()
        .map(|(i, (c, changes))| {
            let old_tree = match (c.parent, trees.commits[i].parent) {
                (Some(_), Some(p)) => trees.lazy(p),
                (Some((_, tree)), None) => store::tree_snapshot(Arc::clone(store), tree),
                (None, _) => LazySnapshot::ready(Snapshot::default()),
            };
            ChangeSet {
                mode: Mode::Range,
                commit: Some(c.oid.to_string()),
                is_merge: c.is_merge,
                changes,
                old_tree,
                new_tree: trees.lazy(i),
                excludes: Arc::clone(excludes),
                before_range: before_range.cloned(),
                tree_ids: Some((c.parent.map(|p| p.1), c.tree)),
            }
        })
        .collect())
}

/// The changes from tree `old` (none: the empty tree) to tree `new`, with
/// renames found as `git log` finds them. Like git, and unlike libgit2's
/// tree diff (which lists both trees whole: 3,000 tree reads per commit on
/// the benchmark repository), it reads only the subtrees whose ids differ.
/// Renames that need more than a few similarity comparisons are paired
/// as libgit2 pairs them by [`renames`]; libgit2 itself is left the
/// typechanges and the blobs that cannot be read.
fn diff_trees(
    repo: &Repository,
    trees: &mut TreeCache<'_>,
    (signatures, lines): (&renames::Signatures, &LinesCache),
    old: Option<ObjectId>,
    new: ObjectId,
) -> Result<Vec<Change>, git2::Error> {
    let mut sides = Sides::default();
    compare(repo, trees, &mut Vec::new(), old, Some(new), &mut sides)?;
    let large = sides.added.len() * sides.deleted.len() > MAX_SIMILARITY_PAIRS;
    let kept = large.then(|| sides.clone());
    if let Some(changes) = pair_renames(
        repo,
        trees.packs,
        lines,
        sides.added,
        sides.deleted,
        sides.modified,
    ) {
        return Ok(changes);
    }
    if let Some(s) = kept {
        let limit = renames::rename_limit(repo);
        if let Some(changes) = renames::like_libgit2(
            repo,
            trees.packs,
            signatures,
            limit,
            s.added,
            s.deleted,
            s.modified,
        ) {
            return Ok(changes);
        }
    }
    libgit2_diff(repo, old, new)
}

/// libgit2's tree diff with its rename detection.
fn libgit2_diff(
    repo: &Repository,
    old: Option<ObjectId>,
    new: ObjectId,
) -> Result<Vec<Change>, git2::Error> {
    let oid = |id: &ObjectId| Oid::from_bytes(id.as_bytes());
    let new = repo.find_tree(oid(&new)?)?;
    let old = match old {
        Some(t) => Some(repo.find_tree(oid(&t)?)?),
        None => None,
    };
    let diff = || {
        let mut opts = DiffOptions::new();
        opts.include_typechange(true);
        repo.diff_tree_to_tree(old.as_ref(), Some(&new), Some(&mut opts))
    };
    let mut found = diff()?;
    if find_renames(&mut found).is_err() {
        // A blob this clone does not have: renames by identical content
        // only. The rules name the missing blob when they come to read it;
        // the rest of the history is still checked.
        found = diff()?;
        let mut exact = DiffFindOptions::new();
        exact.renames(true).copies(false).exact_match_only(true);
        found.find_similar(Some(&mut exact))?;
    }
    Ok(diff_changes(&found))
}

#[derive(Default, Clone)]
struct Sides {
    added: Vec<Side>,
    deleted: Vec<Side>,
    modified: Vec<(Side, Side)>,
}

/// Tree listings by id, for one run of consecutive commits: the current
/// generation and the one before it (a cheap approximation of "recently
/// used" that needs no bookkeeping per hit).
struct TreeCache<'a> {
    packs: &'a Packs,
    current: HashMap<ObjectId, Rc<[TreeEntry]>>,
    previous: HashMap<ObjectId, Rc<[TreeEntry]>>,
}

/// Tree listings kept per generation (a few commits' worth of changed
/// directories).
const TREES_KEPT: usize = 512;

impl<'a> TreeCache<'a> {
    fn new(packs: &'a Packs) -> TreeCache<'a> {
        TreeCache {
            packs,
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    fn list(
        &mut self,
        repo: &Repository,
        tree: Option<ObjectId>,
    ) -> Result<Rc<[TreeEntry]>, git2::Error> {
        let Some(id) = tree else {
            return Ok(Rc::from(Vec::new()));
        };
        if let Some(t) = self.current.get(&id) {
            return Ok(Rc::clone(t));
        }
        let listed = match self.previous.get(&id) {
            Some(t) => Rc::clone(t),
            None => Rc::from(store::tree_entries(repo, self.packs, &id)?),
        };
        if self.current.len() >= TREES_KEPT {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(id, Rc::clone(&listed));
        Ok(listed)
    }
}

/// Compares two versions of the directory `prefix` (`None`: absent).
fn compare(
    repo: &Repository,
    trees: &mut TreeCache<'_>,
    prefix: &mut Vec<u8>,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    out: &mut Sides,
) -> Result<(), git2::Error> {
    let old_entries = trees.list(repo, old)?;
    let new_entries = trees.list(repo, new)?;
    let by_name: HashMap<&[u8], usize> = old_entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.0.as_slice(), i))
        .collect();
    let mut matched = vec![false; old_entries.len()];
    let side = |prefix: &[u8], (name, oid, mode): &TreeEntry| Side {
        path: [prefix, name.as_slice()].concat(),
        oid: *oid,
        mode: *mode,
    };
    let mut sub = |prefix: &mut Vec<u8>,
                   name: &[u8],
                   old: Option<ObjectId>,
                   new: Option<ObjectId>,
                   out: &mut Sides| {
        let len = prefix.len();
        prefix.extend_from_slice(name);
        prefix.push(b'/');
        let r = compare(repo, trees, prefix, old, new, out);
        prefix.truncate(len);
        r
    };
    for n in new_entries.iter() {
        let o = by_name.get(n.0.as_slice()).map(|&i| {
            matched[i] = true;
            &old_entries[i]
        });
        match o {
            None if is_tree(n.2) => sub(prefix, &n.0, None, Some(n.1), out)?,
            None => out.added.push(side(prefix, n)),
            Some(o) => match (is_tree(o.2), is_tree(n.2)) {
                (true, true) if o.1 != n.1 => sub(prefix, &n.0, Some(o.1), Some(n.1), out)?,
                (true, true) => {}
                (true, false) => {
                    sub(prefix, &n.0, Some(o.1), None, out)?;
                    out.added.push(side(prefix, n));
                }
                (false, true) => {
                    out.deleted.push(side(prefix, o));
                    sub(prefix, &n.0, None, Some(n.1), out)?;
                }
                (false, false) if o.1 != n.1 || o.2 != n.2 => {
                    out.modified.push((side(prefix, o), side(prefix, n)));
                }
                (false, false) => {}
            },
        }
    }
    for (o, _) in old_entries.iter().zip(&matched).filter(|(_, m)| !**m) {
        if is_tree(o.2) {
            sub(prefix, &o.0, Some(o.1), None, out)?;
        } else {
            out.deleted.push(side(prefix, o));
        }
    }
    Ok(())
}

struct RangeCommit {
    tree: ObjectId,
    /// The index of the first parent, when it is in the range.
    parent: Option<usize>,
    /// What the commit changed (shared with its change set), when its
    /// tree is built from its parent's: copying the range's changes into
    /// edits of their own cost 6.5 MB on the benchmark history.
    changes: Option<Arc<[Change]>>,
}

/// The trees of a range's commits, built on demand from one another.
pub(super) struct RangeTrees {
    store: Arc<GitStore>,
    commits: Vec<RangeCommit>,
    /// The most recently built trees, newest first.
    kept: Mutex<VecDeque<(usize, Arc<Snapshot>)>>,
    /// The last tree let go of that nobody else held: the next tree is
    /// built in its buffers. A history builds a tree of several MB per
    /// commit; allocating each afresh faulted in new pages every time,
    /// and freed ones stayed resident until the allocator purged them.
    spare: Mutex<Option<Snapshot>>,
}

impl RangeTrees {
    fn lazy(self: &Arc<Self>, i: usize) -> LazySnapshot {
        let trees = Arc::clone(self);
        LazySnapshot::unretained(move || trees.snapshot(i))
    }

    fn kept(&self, i: usize) -> Option<Arc<Snapshot>> {
        let kept = self.kept.lock().ok()?;
        kept.iter()
            .find(|(j, _)| *j == i)
            .map(|(_, s)| Arc::clone(s))
    }

    /// The tree of commit `i`.
    pub(super) fn snapshot(&self, i: usize) -> anyhow::Result<Arc<Snapshot>> {
        if let Some(s) = self.kept(i) {
            return Ok(s);
        }
        // Walk back along first parents to a tree already built.
        let mut replay = vec![i];
        let mut base = None;
        let mut at = self.commits[i].parent;
        while let Some(k) = at {
            if replay.len() > MAX_REPLAY {
                break;
            }
            if let Some(s) = self.kept(k) {
                base = Some(s);
                break;
            }
            replay.push(k);
            at = self.commits[k].parent;
        }
        let built = match base {
            Some(base) => {
                // Later commits win: apply oldest first into one map.
                let mut changed: BTreeMap<&str, Option<(&BlobRef, EntryMode)>> = BTreeMap::new();
                for &k in replay.iter().rev() {
                    for c in self.commits[k].changes.iter().flat_map(|c| c.iter()) {
                        if let Some(old) = &c.old_path
                            && c.status == Status::Renamed
                        {
                            changed.insert(old, None);
                        }
                        changed.insert(&c.path, c.new.as_ref().map(|blob| (blob, c.mode)));
                    }
                }
                let spare = self.spare.lock().ok().and_then(|mut s| s.take());
                base.edited(&changed, spare)
            }
            None => store::list_tree(&self.store, &self.commits[i].tree)?,
        };
        let built = Arc::new(built);
        if let Ok(mut kept) = self.kept.lock() {
            kept.push_front((i, Arc::clone(&built)));
            while kept.len() > KEPT {
                if let Some((_, old)) = kept.pop_back()
                    && let Ok(old) = Arc::try_unwrap(old)
                    && let Ok(mut spare) = self.spare.lock()
                {
                    *spare = Some(old);
                }
            }
        }
        Ok(built)
    }
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
