//! libgit2's similarity signature (`hashsig.c`), computed the same way so
//! that renames found by [`super::renames`] are the pairs libgit2 finds.
//!
//! A signature hashes a blob's lines (runs of at most 80 bytes, with
//! libgit2's "smart" whitespace: leading blanks of a line and carriage
//! returns left out) and keeps two heaps of 127 hashes: the smallest and
//! the largest. Two signatures are similar in proportion to the hashes
//! their heaps share. Every quirk of libgit2's is kept on purpose: the
//! heap drops its top without inserting the new hash when it is full
//! (so a full heap ends with 126 or 127 hashes), and only the first
//! signature's heap size decides whether the largest hashes count.

/// Hashes a heap holds (`HASHSIG_HEAP_SIZE`).
const HEAP_SIZE: usize = 127;

/// Longest run of bytes hashed as one line (`HASHSIG_MAX_RUN`).
const MAX_RUN: usize = 80;

/// Where each run's hash starts (`HASHSIG_HASH_START`).
const HASH_START: u64 = 0x0123_4567_8ABC_DEF0;

/// A blob's similarity signature: the hashes of its heaps, sorted, and
/// how many line ends it has (only read when neither blob hashed a run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Signature {
    /// The heap of the smallest hashes, sorted ascending.
    pub mins: Box<[u32]>,
    /// The heap of the largest hashes, sorted ascending.
    pub maxs: Box<[u32]>,
    pub lines: usize,
}

/// A fixed heap as `hashsig_heap` keeps it: the values past `size` stay
/// in the array and are read by `down`, as in C.
struct Heap {
    size: usize,
    values: [u32; HEAP_SIZE],
    /// `hashsig_cmp_min` (reversed order) rather than `hashsig_cmp_max`.
    keeps_min: bool,
}

impl Heap {
    fn new(keeps_min: bool) -> Heap {
        Heap {
            size: 0,
            values: [0; HEAP_SIZE],
            keeps_min,
        }
    }

    /// The heap's comparison, as a C comparator's sign.
    fn cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        if self.keeps_min { b.cmp(&a) } else { a.cmp(&b) }
    }

    fn up(&mut self, mut el: usize) {
        while el > 0 {
            let parent = (el - 1) >> 1;
            if self.cmp(self.values[parent], self.values[el]).is_gt() {
                self.values.swap(el, parent);
                el = parent;
            } else {
                break;
            }
        }
    }

    fn down(&mut self, mut el: usize) {
        while el < self.size / 2 {
            let (lel, rel) = ((el << 1) + 1, (el << 1) + 2);
            let (v, lv, rv) = (self.values[el], self.values[lel], self.values[rel]);
            if self.cmp(v, lv).is_lt() && self.cmp(v, rv).is_lt() {
                break;
            }
            let swapel = if self.cmp(lv, rv).is_lt() { lel } else { rel };
            self.values[el] = self.values[swapel];
            self.values[swapel] = v;
            el = swapel;
        }
    }

    fn insert(&mut self, val: u32) {
        if self.size < HEAP_SIZE {
            self.values[self.size] = val;
            self.size += 1;
            self.up(self.size - 1);
        } else if self.cmp(val, self.values[0]).is_gt() {
            // libgit2 pops the top and does not insert `val`.
            self.size -= 1;
            self.values[0] = self.values[self.size];
            self.down(0);
        }
    }

    fn sorted(&self) -> Box<[u32]> {
        let mut v = self.values[..self.size].to_vec();
        v.sort_unstable();
        v.into_boxed_slice()
    }
}

/// `git__isspace_nonlf`.
fn is_space_nonlf(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | 0x0c | b'\r' | 0x0b)
}

/// The signature libgit2 computes for a blob's content when it looks for
/// renames (`GIT_HASHSIG_SMART_WHITESPACE | GIT_HASHSIG_ALLOW_SMALL_FILES`).
pub(super) fn signature(data: &[u8]) -> Signature {
    let mut mins = Heap::new(true);
    let mut maxs = Heap::new(false);
    let mut lines = 0;
    let end = data.len();
    // C reads one byte past the end here; it only sets `use_ignores` for
    // a run that is not hashed.
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut scan = 0;
    let mut use_ignores = true;
    while scan < end {
        let mut state = HASH_START;
        let mut len = 0;
        while scan < end && len < MAX_RUN {
            let mut ch = data[scan];
            if use_ignores {
                while scan < end && is_space_nonlf(ch) {
                    scan += 1;
                    ch = at(scan);
                }
            } else {
                while scan < end && ch == b'\r' {
                    scan += 1;
                    ch = at(scan);
                }
            }
            use_ignores = ch == b'\n';
            if scan >= end {
                break;
            }
            scan += 1;
            if ch == b'\n' || ch == 0 {
                lines += 1;
                break;
            }
            len += 1;
            state = (state << 5).wrapping_sub(state).wrapping_add(u64::from(ch));
        }
        if len > 0 {
            mins.insert(state as u32);
            maxs.insert(state as u32);
            while scan < end && (data[scan] == b'\n' || data[scan] == 0) {
                scan += 1;
            }
        }
    }
    Signature {
        mins: mins.sorted(),
        maxs: maxs.sorted(),
        lines,
    }
}

/// Hashes two sorted heaps share, each hash matched once
/// (`hashsig_heap_compare`'s count).
#[cfg(test)]
fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut matches) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                matches += 1;
            }
        }
    }
    matches
}

/// `git_hashsig_compare(a, b)`, from the counts of hashes the heaps share
/// (`shared_mins`, `shared_maxs`): 0 to 100. `a` is the rename's source.
pub(super) fn score(a: &Signature, b: &Signature, shared_mins: usize, shared_maxs: usize) -> i32 {
    if a.mins.is_empty() && b.mins.is_empty() {
        return if a.lines == 0 && b.lines == 0 { 100 } else { 0 };
    }
    let heap = |matches: usize, x: usize, y: usize| (100 * (matches * 2) / (x + y)) as i32;
    let mins = heap(shared_mins, a.mins.len(), b.mins.len());
    if a.mins.len() < HEAP_SIZE {
        mins
    } else {
        (mins + heap(shared_maxs, a.maxs.len(), b.maxs.len())) / 2
    }
}

/// `git_hashsig_compare(a, b)`: how similar two blobs are, 0 to 100.
#[cfg(test)]
pub(super) fn compare(a: &Signature, b: &Signature) -> i32 {
    score(a, b, shared(&a.mins, &b.mins), shared(&a.maxs, &b.maxs))
}

#[cfg(test)]
mod tests {
    use super::{compare, signature};

    /// The score libgit2 gives (`git_hashsig_create` with smart
    /// whitespace and small files allowed, then `git_hashsig_compare`),
    /// read from the library linked into this crate: git2 does not expose
    /// a delta's similarity, so the highest rename threshold at which
    /// libgit2 still pairs the two blobs is found by bisection.
    fn libgit2_score(a: &[u8], b: &[u8]) -> i32 {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let tree = |name: &str, content: &[u8]| {
            let id = repo.blob(content).unwrap();
            let mut t = repo.treebuilder(None).unwrap();
            t.insert(name, id, 0o100644).unwrap();
            repo.find_tree(t.write().unwrap()).unwrap()
        };
        let (old, new) = (tree("old", a), tree("new", b));
        let renamed_at = |threshold: u16| {
            let mut diff = repo
                .diff_tree_to_tree(Some(&old), Some(&new), None)
                .unwrap();
            let mut find = git2::DiffFindOptions::new();
            find.renames(true).rename_threshold(threshold);
            diff.find_similar(Some(&mut find)).unwrap();
            diff.deltas().any(|d| d.status() == git2::Delta::Renamed)
        };
        // The largest threshold in 1..=100 still renamed (0: none).
        let (mut lo, mut hi) = (0u16, 101u16);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if renamed_at(mid) { lo = mid } else { hi = mid }
        }
        i32::from(lo)
    }

    #[test]
    fn scores_are_libgit2s() {
        let lines = |n: usize, tag: &str| -> String {
            (0..n).map(|i| format!("line {i} of {tag}\n")).collect()
        };
        let big = lines(400, "x");
        let cases: Vec<(String, String)> = vec![
            ("a\nb\nc\nd\n".into(), "a\nb\nc\ne\n".into()),
            (
                "  indented\n\tand tabs\r\n".into(),
                "indented\nand tabs\n".into(),
            ),
            (lines(10, "a"), format!("{}extra\n", lines(10, "a"))),
            (lines(200, "a"), lines(150, "a")),
            (
                big.clone(),
                format!("{}{}", &big[..big.len() / 2], lines(200, "y")),
            ),
            (big.clone(), big.replace("line 1", "LINE 1")),
            ("x".repeat(500), format!("{}\n", "x".repeat(500))),
            ("\0\0binary\0data\n\n\n".into(), "\0binary\0data\n".into()),
            (lines(300, "p"), lines(300, "q")),
        ];
        for (a, b) in &cases {
            let ours = compare(&signature(a.as_bytes()), &signature(b.as_bytes()));
            assert_eq!(
                ours,
                libgit2_score(a.as_bytes(), b.as_bytes()),
                "{a:?} -> {b:?}"
            );
        }
    }
}
