//! The content similarity that [`super::staged::pair_renames`] pairs
//! renames with edits by: the bytes of identical lines two blobs share, in
//! percent of the larger one.
//!
//! Each blob is reduced once to its lines' hashes and lengths, sorted, so
//! a pair costs a merge of two sorted lists rather than a hash map of one
//! side's lines built again for every pair (that rebuilding was a fifth of
//! listing ckan's history). The lists are kept by blob id for the whole
//! listing, within a byte budget: a history shows the same change again in
//! every merge of a branch begun before it, against a first parent after
//! it, and each time the same blobs were read and hashed again.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use crate::changes::ObjectId;

/// A blob reduced to what [`similarity`] needs: its length, and each
/// line's (hash, length), sorted. Two lines count as the same when both
/// agree; with 64-bit hashes, two different lines of one length that agree
/// are too unlikely to matter (git's own identities are hashes too).
pub(super) struct Lines {
    len: usize,
    keys: Box<[(u64, u32)]>,
}

impl Lines {
    /// The lines of `data` (lines end after each `\n`; the last may not).
    /// Callers compare blobs of at most a few megabytes, so a line's length
    /// fits in 32 bits.
    pub(super) fn of(data: &[u8]) -> Lines {
        let state = foldhash::quality::FixedState::default();
        let mut keys: Vec<(u64, u32)> = data
            .split_inclusive(|&c| c == b'\n')
            .map(|line| (state.hash_one(line), line.len() as u32))
            .collect();
        keys.sort_unstable();
        Lines {
            len: data.len(),
            keys: keys.into_boxed_slice(),
        }
    }

    /// The blob's length in bytes.
    pub(super) fn size(&self) -> usize {
        self.len
    }

    /// Bytes this holds, for the cache's budget.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + std::mem::size_of_val(&*self.keys)
    }
}

/// How much of two contents is the same, in percent of the larger one,
/// counted in bytes of identical lines (each line of one side matches at
/// most one equal line of the other).
pub(super) fn similarity(a: &Lines, b: &Lines) -> u32 {
    let larger = a.len.max(b.len);
    if larger == 0 {
        return 100;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while let (Some(x), Some(y)) = (a.keys.get(i), b.keys.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += x.1 as usize;
                i += 1;
                j += 1;
            }
        }
    }
    (common * 100 / larger) as u32
}

/// Whether two blobs of these lengths could reach `score`: what they share
/// is at most the smaller, so one less than `score` percent of the larger
/// cannot, whatever its lines.
pub(super) fn may_reach(a: usize, b: usize, score: u32) -> bool {
    let (small, large) = (a.min(b), a.max(b));
    large == 0 || small as u128 * 100 >= large as u128 * u128::from(score)
}

/// Bytes of [`Lines`] kept for a listing; all are let go when a new one
/// would pass it (~16 bytes a line: ~2.5 MB of source). On ckan's history
/// 1, 4 and 8 MB listed in the same time (a merge repeats blobs it has just
/// compared), and each 4 MB more showed in the peak RSS.
const KEPT_BYTES: usize = 1 << 20;

/// [`Lines`] by blob id, shared by the threads of one listing.
#[derive(Default)]
pub(super) struct LinesCache {
    kept: Mutex<(HashMap<ObjectId, Arc<Lines>>, usize)>,
}

impl LinesCache {
    /// The lines of blob `id`, from the cache or from `read` (whose `None`
    /// is passed on: a blob not to compare, or one that cannot be read).
    pub(super) fn get_or<E>(
        &self,
        id: &ObjectId,
        read: impl FnOnce() -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Option<Arc<Lines>>, E> {
        if let Some(lines) = self.kept.lock().ok().and_then(|k| k.0.get(id).cloned()) {
            return Ok(Some(lines));
        }
        let Some(data) = read()? else {
            return Ok(None);
        };
        let lines = Arc::new(Lines::of(&data));
        drop(data);
        let bytes = lines.bytes();
        if bytes <= KEPT_BYTES
            && let Ok(mut kept) = self.kept.lock()
        {
            if kept.1 + bytes > KEPT_BYTES {
                kept.0 = HashMap::new();
                kept.1 = 0;
            }
            if kept.0.insert(*id, Arc::clone(&lines)).is_none() {
                kept.1 += bytes;
            }
        }
        Ok(Some(lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(a: &[u8], b: &[u8]) -> u32 {
        similarity(&Lines::of(a), &Lines::of(b))
    }

    #[test]
    fn similarity_counts_common_lines_against_the_larger_side() {
        assert_eq!(sim(b"", b""), 100);
        assert_eq!(sim(b"a\nb\n", b"a\nb\n"), 100);
        assert_eq!(sim(b"a\nb\n", b"a\nc\n"), 50);
        assert_eq!(sim(b"x\n", b"y\n"), 0);
        assert_eq!(sim(b"", b"x\n"), 0);
        // Order does not matter; the last line needs no newline, but one
        // without is not the same line as one with.
        assert_eq!(sim(b"a\nb\nc", b"c\nb\na\n"), 66);
        // A repeated line matches as often as the other side has it.
        assert_eq!(sim(b"aa\naa\naa\n", b"aa\nbb\n"), 33);
        assert_eq!(sim(b"aa\naa\nbb\n", b"aa\naa\ncc\n"), 66);
    }

    /// The previous definition (a map of one side's lines, consumed by the
    /// other's), kept to check the sorted merge against on many inputs.
    fn by_map(a: &[u8], b: &[u8]) -> u32 {
        let larger = a.len().max(b.len());
        if larger == 0 {
            return 100;
        }
        let mut lines: HashMap<&[u8], usize> = HashMap::new();
        for line in a.split_inclusive(|&c| c == b'\n') {
            *lines.entry(line).or_default() += 1;
        }
        let mut common = 0;
        for line in b.split_inclusive(|&c| c == b'\n') {
            if let Some(n) = lines.get_mut(line)
                && *n > 0
            {
                *n -= 1;
                common += line.len();
            }
        }
        (common * 100 / larger) as u32
    }

    #[test]
    fn the_merge_agrees_with_a_map_of_lines() {
        // Small alphabets of lines, so that repeats and partial overlaps
        // are common.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let words = ["a\n", "bb\n", "a", "ccc\n", "\n", "bb", "dd\n"];
        for _ in 0..2_000 {
            let mut make = || -> Vec<u8> {
                let n = next() % 9;
                (0..n)
                    .flat_map(|_| words[(next() % words.len() as u64) as usize].bytes())
                    .collect()
            };
            let (a, b) = (make(), make());
            assert_eq!(sim(&a, &b), by_map(&a, &b), "{a:?} {b:?}");
            assert_eq!(sim(&b, &a), by_map(&b, &a), "{a:?} {b:?}");
        }
    }

    #[test]
    fn sizes_too_far_apart_cannot_reach_the_score() {
        assert!(may_reach(0, 0, 50));
        assert!(may_reach(50, 100, 50));
        assert!(!may_reach(49, 100, 50));
        assert!(!may_reach(100, 49, 50));
        assert!(!may_reach(0, 1, 50));
        // Whatever the lines: the bound holds for the real score too.
        assert!(sim(b"x\n", b"x\nyyyy\n") < 50);
        assert!(!may_reach(2, 7, 50));
    }

    #[test]
    fn the_cache_reads_a_blob_once_and_passes_on_what_is_not_read() {
        let cache = LinesCache::default();
        let id = ObjectId::from_bytes(&[7; 20]);
        let mut reads = 0;
        for _ in 0..3 {
            let got = cache
                .get_or::<()>(&id, || {
                    reads += 1;
                    Ok(Some(b"a\nb\n".to_vec()))
                })
                .unwrap()
                .unwrap();
            assert_eq!(similarity(&got, &Lines::of(b"a\nb\n")), 100);
        }
        assert_eq!(reads, 1);
        let other = ObjectId::from_bytes(&[8; 20]);
        assert!(cache.get_or::<()>(&other, || Ok(None)).unwrap().is_none());
        assert_eq!(
            cache.get_or(&other, || Err("unreadable")).err(),
            Some("unreadable")
        );
    }
}
