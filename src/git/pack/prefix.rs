//! The first bytes of a packed object without building it whole.
//!
//! Content sniffing (the `db-file` rule's signatures: a few dozen bytes)
//! used to inflate every blob whole and apply its whole delta chain: on
//! ckan's history that was half of what `--select db-file` cost. A delta's
//! first instructions say which bytes of its base its first bytes copy,
//! so walking down the chain only the base's prefix those bytes need is
//! asked for, and at the bottom only that prefix is inflated; of each
//! delta, only the instructions that build the bytes asked for.

use flate2::FlushDecompress;

use super::delta::{Op, delta_sizes, ops};
use super::{Entry, MAX_CHAIN, Pack, Packs, SCRATCH};

/// A stored entry, as far as a prefix needs it.
enum Part {
    /// The first bytes of a whole object, and its size.
    Head(Vec<u8>, usize),
    /// A delta against the object at this offset (its first bytes, as
    /// many as the bytes asked of it need).
    Delta(u64, Vec<u8>),
}

impl Packs {
    /// The first `n` bytes of a packed object (all of it when shorter),
    /// when the object is at most `limit` bytes (`Some(None)` when larger);
    /// `None` when it is not packed here or cannot be read this way.
    pub(crate) fn read_prefix(&self, id: &[u8], n: usize, limit: u64) -> Option<Option<Vec<u8>>> {
        let (p, at) = self.locate(id)?;
        let pack = &self.packs[p];
        // Down the chain: (delta, how many of its result's bytes are wanted).
        let mut levels: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut want = n;
        let mut at = at;
        let mut data = loop {
            if !levels.is_empty()
                && let Some((_, shared)) = self.cached(p, at)
            {
                break shared.get(..want.min(shared.len()))?.to_vec();
            }
            match pack.part(at, want)? {
                Part::Head(bytes, size) => {
                    if levels.is_empty() && size as u64 > limit {
                        return Some(None);
                    }
                    break bytes;
                }
                Part::Delta(base, delta) => {
                    if levels.is_empty() && delta_sizes(&delta)?.1 as u64 > limit {
                        return Some(None);
                    }
                    let need = base_needed(&delta, want)?;
                    levels.push((delta, want));
                    if levels.len() > MAX_CHAIN {
                        return None;
                    }
                    want = need;
                    at = base;
                }
            }
        };
        while let Some((delta, want)) = levels.pop() {
            data = apply_prefix(&data, &delta, want)?;
        }
        Some(Some(data))
    }
}

/// The most bytes of a delta that its first `want` result bytes need:
/// its two sizes (at most 20 bytes), at most 8 bytes of instruction per
/// byte before the last instruction they use, and that one (an insert:
/// 128 bytes at most).
fn delta_bytes_for(want: usize) -> usize {
    want.saturating_mul(8).saturating_add(148)
}

impl Pack {
    /// The entry at `at`: a whole object's first `want` bytes, or the
    /// part of a delta that its first `want` result bytes need (inflating
    /// only those).
    fn part(&self, at: u64, want: usize) -> Option<Part> {
        let head = SCRATCH.with_borrow_mut(|(stored, z)| {
            let head = self.head_at(at, stored)?;
            let take = match head.base {
                Some(_) => delta_bytes_for(want),
                None => want,
            }
            .min(head.size);
            z.reset(true);
            let mut out = Vec::with_capacity(take);
            // Stops when `out` is full; what the first read brought may
            // not hold enough of the stream, and then the entry is read
            // whole below.
            let _ = z.decompress_vec(&stored[head.len..], &mut out, FlushDecompress::None);
            if out.len() < take {
                return Some(None);
            }
            out.truncate(take);
            Some(Some(match head.base {
                Some(base) => Part::Delta(self.base_offset(base)?, out),
                None => Part::Head(out, head.size),
            }))
        })?;
        if let Some(part) = head {
            return Some(part);
        }
        match self.entry(at, u64::MAX)? {
            Entry::Whole(_, mut bytes) => {
                let size = bytes.len();
                bytes.truncate(want);
                Some(Part::Head(bytes, size))
            }
            Entry::Delta(base, delta) => Some(Part::Delta(base, delta)),
            Entry::TooLarge => None,
        }
    }
}

/// How many of its base's first bytes a delta's first `want` result bytes
/// copy from.
fn base_needed(delta: &[u8], want: usize) -> Option<usize> {
    let (base_size, size) = delta_sizes(delta)?;
    let want = want.min(size);
    let (mut made, mut need) = (0usize, 0usize);
    for op in ops(delta)? {
        if made >= want {
            break;
        }
        match op? {
            Op::Copy(offset, len) => {
                let take = len.min(want - made);
                need = need.max(offset.checked_add(take)?);
                made += len;
            }
            Op::Insert(_, n) => made += n,
        }
    }
    (need <= base_size).then_some(need)
}

/// The first `want` bytes (all, when shorter) of what `delta` builds from
/// a base of which `base` holds at least the bytes they copy.
fn apply_prefix(base: &[u8], delta: &[u8], want: usize) -> Option<Vec<u8>> {
    let want = want.min(delta_sizes(delta)?.1);
    let mut out = Vec::with_capacity(want);
    for op in ops(delta)? {
        if out.len() >= want {
            break;
        }
        let room = want - out.len();
        match op? {
            Op::Copy(offset, len) => {
                out.extend_from_slice(base.get(offset..offset.checked_add(len.min(room))?)?)
            }
            Op::Insert(start, n) => out.extend_from_slice(delta.get(start..start + n.min(room))?),
        }
    }
    (out.len() == want).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delta from sizes and instructions, as git writes them.
    fn delta(base: usize, size: usize, ops: &[Op], literal: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        for mut n in [base, size] {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                d.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
        }
        for op in ops {
            match *op {
                Op::Copy(offset, len) => {
                    let mut cmd = 0x80u8;
                    let mut args = Vec::new();
                    for i in 0..4 {
                        let b = (offset >> (8 * i)) as u8;
                        if b != 0 {
                            cmd |= 1 << i;
                            args.push(b);
                        }
                    }
                    for i in 0..3 {
                        let b = (len >> (8 * i)) as u8;
                        if b != 0 {
                            cmd |= 0x10 << i;
                            args.push(b);
                        }
                    }
                    d.push(cmd);
                    d.extend(args);
                }
                Op::Insert(start, n) => {
                    d.push(n as u8);
                    d.extend_from_slice(&literal[start..start + n]);
                }
            }
        }
        d
    }

    #[test]
    fn a_prefix_is_the_start_of_the_whole_result() {
        let base = b"0123456789abcdefghij";
        let d = delta(
            base.len(),
            14,
            &[Op::Insert(0, 3), Op::Copy(10, 6), Op::Copy(0, 5)],
            b"XYZ",
        );
        let whole = super::super::delta::apply_delta(base, &d).unwrap();
        assert_eq!(whole, b"XYZabcdef01234");
        for want in 0..20 {
            let need = base_needed(&d, want).unwrap();
            let got = apply_prefix(&base[..need], &d, want).unwrap();
            assert_eq!(got, &whole[..want.min(whole.len())], "{want}");
        }
        // Only the copies within the prefix count.
        assert_eq!(base_needed(&d, 3).unwrap(), 0);
        assert_eq!(base_needed(&d, 4).unwrap(), 11);
        assert_eq!(base_needed(&d, 10).unwrap(), 16);
        // A base shorter than what the prefix copies is damage.
        assert!(apply_prefix(&base[..12], &d, 10).is_none());
    }

    #[test]
    fn damaged_deltas_give_nothing() {
        let base = b"0123456789";
        // A copy beyond the base it claims.
        let d = delta(base.len(), 4, &[Op::Copy(8, 4)], b"");
        assert!(base_needed(&d, 4).is_none());
        // The reserved instruction 0.
        let mut d = delta(base.len(), 4, &[], b"");
        d.push(0);
        assert!(base_needed(&d, 4).is_none());
        // An insert cut short.
        let mut d = delta(base.len(), 4, &[], b"");
        d.extend([4, b'a']);
        assert!(apply_prefix(base, &d, 4).is_none());
    }
}
