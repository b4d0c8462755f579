//! Rename detection for large restructurings, pairing exactly what
//! libgit2's `git_diff_find_similar` pairs (renames on, copies and
//! rewrites off: the options [`super::find_renames`] gives it), at a
//! fraction of its cost.
//!
//! libgit2 compares every added blob with every deleted one, each time
//! through two 127-hash signatures and a comparator called through a
//! function pointer: on ckan's history (457 commits beyond
//! [`super::staged`]'s 400 pairs, 13 million pairs) that was 64% of
//! listing the history. Here every source's hashes go into an index by
//! hash once, and each target counts the hashes it shares with every
//! source by walking its own 254 hashes' postings; the scores are
//! libgit2's to the unit ([`super::hashsig`]), and the best-match search
//! with its ejections, re-runs and per-target limit is libgit2's loop.
//!
//! Typechanges, which libgit2 may split or pair in ways of their own,
//! and blobs that cannot be read are left to libgit2 (`None`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use git2::Repository;

use super::hashsig::{self, Signature};
use super::pack::{Kind, Packs};
use super::staged::{Side, build_changes};
use crate::changes::{Change, ObjectId};

/// libgit2's rename threshold (`DEFAULT_THRESHOLD`): a pair at least this
/// similar is a rename.
const THRESHOLD: u16 = 50;

/// libgit2's default for `diff.renameLimit` (`DEFAULT_RENAME_LIMIT`).
const DEFAULT_LIMIT: usize = 1000;

/// How many sources libgit2 examines per target: the repository's
/// `diff.renameLimit`, as `normalize_find_opts` reads it.
pub(super) fn rename_limit(repo: &Repository) -> usize {
    repo.config()
        .and_then(|c| c.get_i64("diff.renamelimit"))
        .ok()
        .filter(|&n| n > 0)
        .map_or(DEFAULT_LIMIT, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// One side of a candidate pair: a regular blob with its size and
/// signature.
pub(super) struct Candidate {
    pub oid: ObjectId,
    pub blob: Arc<Signed>,
}

/// A blob's size and signature.
pub(super) struct Signed {
    pub size: u64,
    pub sig: Signature,
}

/// Blobs' signatures by id, for one listing of a range. A history shows
/// the same restructuring again and again (each merge of a branch begun
/// before it, against a first parent after it): ckan's 457 commits beyond
/// `pair_renames` compare 110,341 blobs, 9,039 of them distinct. Reading
/// and hashing them was then most of what renames cost.
#[derive(Default)]
pub(super) struct Signatures {
    by_id: Mutex<HashMap<ObjectId, Arc<Signed>>>,
}

/// Signatures kept (at most ~1 KB each); all are let go when full. ckan's
/// history signs 9,039 distinct blobs: 16,384 kept them all to the end,
/// ~9 MB of its peak; 4,096 gave the same user time and a 5 MB lower peak.
const SIGNATURES_KEPT: usize = 4_096;

impl Signatures {
    fn get(&self, id: &ObjectId) -> Option<Arc<Signed>> {
        self.by_id.lock().ok()?.get(id).cloned()
    }

    fn keep(&self, id: ObjectId, signed: &Arc<Signed>) {
        if let Ok(mut by_id) = self.by_id.lock() {
            if by_id.len() >= SIGNATURES_KEPT {
                by_id.clear();
            }
            by_id.insert(id, Arc::clone(signed));
        }
    }
}

/// `git_diff_find_similar`'s changes for a comparison whose sides are
/// `added`, `deleted` and `modified`, or `None` when libgit2 must decide.
pub(super) fn like_libgit2(
    repo: &Repository,
    packs: &Packs,
    signatures: &Signatures,
    limit: usize,
    added: Vec<Side>,
    deleted: Vec<Side>,
    modified: Vec<(Side, Side)>,
) -> Option<Vec<Change>> {
    if modified
        .iter()
        .any(|(o, n)| is_typechange(o.mode, n.mode) && (is_blob(o.mode) || is_blob(n.mode)))
    {
        return None;
    }
    // Sources and targets in libgit2's delta order: by path.
    let mut sources: Vec<usize> = (0..deleted.len())
        .filter(|&i| is_blob(deleted[i].mode))
        .collect();
    sources.sort_by(|&a, &b| deleted[a].path.cmp(&deleted[b].path));
    let mut targets: Vec<usize> = (0..added.len())
        .filter(|&i| is_blob(added[i].mode))
        .collect();
    targets.sort_by(|&a, &b| added[a].path.cmp(&added[b].path));
    let read = |side: &Side| -> Option<Candidate> {
        if let Some(blob) = signatures.get(&side.oid) {
            return Some(Candidate {
                oid: side.oid,
                blob,
            });
        }
        let data = match packs.read(side.oid.as_bytes()) {
            Some((Kind::Blob, data)) => data,
            Some(_) => return None,
            None => {
                let oid = super::id_to_oid(&side.oid).ok()?;
                repo.find_blob(oid).ok()?.content().to_vec()
            }
        };
        let blob = Arc::new(Signed {
            size: data.len() as u64,
            sig: hashsig::signature(&data),
        });
        signatures.keep(side.oid, &blob);
        Some(Candidate {
            oid: side.oid,
            blob,
        })
    };
    let src: Vec<Candidate> = sources
        .iter()
        .map(|&i| read(&deleted[i]))
        .collect::<Option<_>>()?;
    let tgt: Vec<Candidate> = targets
        .iter()
        .map(|&i| read(&added[i]))
        .collect::<Option<_>>()?;
    let pairs = search(&src, &tgt, limit);
    let mut renamed_from = HashMap::new();
    let mut taken = vec![false; deleted.len()];
    for (t, s) in pairs.iter().enumerate() {
        if let Some(s) = *s {
            let d = &deleted[sources[s]];
            taken[sources[s]] = true;
            renamed_from.insert(
                targets[t],
                Side {
                    path: d.path.clone(),
                    oid: d.oid,
                    mode: d.mode,
                },
            );
        }
    }
    let left: Vec<Side> = deleted
        .into_iter()
        .zip(taken)
        .filter(|(_, t)| !t)
        .map(|(d, _)| d)
        .collect();
    Some(build_changes(added, renamed_from, left, modified))
}

/// `GIT_MODE_ISBLOB`: a regular file, executable or not (not a symlink).
fn is_blob(mode: u32) -> bool {
    mode & 0o170000 == 0o100000
}

/// libgit2's `GIT_DELTA_TYPECHANGE` between two tree entries' modes.
fn is_typechange(old: u32, new: u32) -> bool {
    old & 0o170000 != new & 0o170000
}

/// A source or target's best match so far (`diff_find_match`).
#[derive(Clone, Copy, Default)]
struct Match {
    idx: usize,
    similarity: u16,
}

/// For each target, the source it is renamed from, as libgit2 pairs them:
/// each target's scores are measured over the sources in order (a source
/// not comparable, for sizes more than eight times apart, does not count
/// towards `limit`), a pair more similar than both sides' current matches
/// ejects them, and the whole search runs again while anything was
/// ejected. A target's match is a rename when at least [`THRESHOLD`].
pub(super) fn search(
    sources: &[Candidate],
    targets: &[Candidate],
    limit: usize,
) -> Vec<Option<usize>> {
    let rows = scores(sources, targets, limit);
    let mut tgt2src = vec![Match::default(); targets.len()];
    let mut src2tgt = vec![Match::default(); sources.len()];
    loop {
        let mut bumped = 0;
        for (t, row) in rows.iter().enumerate() {
            for &(s, similarity) in row {
                let s = s as usize;
                let similarity = u16::from(similarity);
                if tgt2src[t].similarity < similarity && src2tgt[s].similarity < similarity {
                    if src2tgt[s].similarity > 0 {
                        tgt2src[src2tgt[s].idx].similarity = 0;
                        bumped += 1;
                    }
                    if tgt2src[t].similarity > 0 {
                        src2tgt[tgt2src[t].idx].similarity = 0;
                        bumped += 1;
                    }
                    tgt2src[t] = Match { idx: s, similarity };
                    src2tgt[s] = Match { idx: t, similarity };
                }
            }
        }
        if bumped == 0 {
            break;
        }
    }
    tgt2src
        .iter()
        .map(|m| (m.similarity >= THRESHOLD).then_some(m.idx))
        .collect()
}

/// Per target, the sources it is measured against whose score is above 0
/// (a score of 0 never changes a match), in order, up to where libgit2
/// stops: after `limit + 1` comparable sources.
fn scores(sources: &[Candidate], targets: &[Candidate], limit: usize) -> Vec<Vec<(u32, u8)>> {
    let index = |heap: fn(&Signature) -> &[u32]| {
        let mut by_hash: HashMap<u32, Vec<(u32, u8)>> = HashMap::new();
        for (s, c) in sources.iter().enumerate() {
            for (hash, n) in runs(heap(&c.blob.sig)) {
                by_hash.entry(hash).or_default().push((s as u32, n));
            }
        }
        by_hash
    };
    let mins = index(|s| &s.mins);
    let maxs = index(|s| &s.maxs);
    let mut shared_mins = vec![0usize; sources.len()];
    let mut shared_maxs = vec![0usize; sources.len()];
    let count = |by_hash: &HashMap<u32, Vec<(u32, u8)>>, heap: &[u32], into: &mut Vec<usize>| {
        into.iter_mut().for_each(|n| *n = 0);
        for (hash, n) in runs(heap) {
            for &(s, m) in by_hash.get(&hash).into_iter().flatten() {
                into[s as usize] += usize::from(n.min(m));
            }
        }
    };
    targets
        .iter()
        .map(|t| {
            count(&mins, &t.blob.sig.mins, &mut shared_mins);
            count(&maxs, &t.blob.sig.maxs, &mut shared_maxs);
            let mut row = Vec::new();
            let mut tried = 0;
            for (s, c) in sources.iter().enumerate() {
                let score = if c.oid == t.oid {
                    100
                } else if c.blob.size > 127
                    && t.blob.size > 127
                    && (c.blob.size > t.blob.size << 3 || t.blob.size > c.blob.size << 3)
                {
                    continue;
                } else {
                    hashsig::score(&c.blob.sig, &t.blob.sig, shared_mins[s], shared_maxs[s])
                };
                if score > 0 {
                    row.push((s as u32, score as u8));
                }
                tried += 1;
                if tried >= sources.len() || tried > limit {
                    break;
                }
            }
            row
        })
        .collect()
}

/// A sorted heap's distinct hashes with how often each occurs.
fn runs(heap: &[u32]) -> impl Iterator<Item = (u32, u8)> + '_ {
    heap.chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u8))
}
