//! git's delta format: the instructions that rebuild an object from its
//! base. One decoder serves both readers, the whole object's
//! ([`apply_delta`]) and the first bytes' (`prefix.rs`).

use super::varint;

/// A delta's base size and result size.
pub(super) fn delta_sizes(delta: &[u8]) -> Option<(usize, usize)> {
    let mut p = 0;
    let base = varint(delta, &mut p)?;
    Some((base, varint(delta, &mut p)?))
}

/// One instruction of a delta.
pub(super) enum Op {
    /// Bytes of the base: offset and length.
    Copy(usize, usize),
    /// Bytes of the delta itself: where they start and how many.
    Insert(usize, usize),
}

/// A delta's instructions after its two sizes; `None` for damage.
pub(super) fn ops(delta: &[u8]) -> Option<impl Iterator<Item = Option<Op>> + '_> {
    let mut p = 0;
    varint(delta, &mut p)?;
    varint(delta, &mut p)?;
    Some(std::iter::from_fn(move || {
        let op = *delta.get(p)?;
        p += 1;
        if op & 0x80 != 0 {
            let mut field = |bits: u8, bytes: usize| -> Option<usize> {
                let mut n = 0usize;
                for i in 0..bytes {
                    if bits & (1 << i) != 0 {
                        n |= usize::from(*delta.get(p)?) << (8 * i);
                        p += 1;
                    }
                }
                Some(n)
            };
            let offset = field(op & 0x0f, 4);
            let len = field((op >> 4) & 0x07, 3);
            Some(
                offset
                    .zip(len)
                    .map(|(o, l)| Op::Copy(o, if l == 0 { 0x10000 } else { l })),
            )
        } else if op != 0 {
            let start = p;
            p += usize::from(op);
            Some((p <= delta.len()).then_some(Op::Insert(start, usize::from(op))))
        } else {
            p = delta.len();
            Some(None)
        }
    }))
}

/// `base` rebuilt by a git delta: copies from the base and inserted bytes.
pub(super) fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let (base_size, size) = delta_sizes(delta)?;
    // Each instruction of at most 8 bytes copies at most 64 KB: a larger
    // claimed size is damage, not something to allocate.
    if base_size != base.len() || size > delta.len().saturating_mul(0x10000) {
        return None;
    }
    let mut out = Vec::with_capacity(size);
    for op in ops(delta)? {
        match op? {
            Op::Copy(offset, len) => {
                out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
            }
            Op::Insert(start, n) => out.extend_from_slice(delta.get(start..start + n)?),
        }
        if out.len() > size {
            return None;
        }
    }
    (out.len() == size).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_instructions() {
        let base = b"hello, world";
        // Base size 12, result size 10: copy 5 bytes from 0, insert " all",
        // copy 1 byte from 11.
        let delta = [12u8, 10, 0x90, 5, 4, b' ', b'a', b'l', b'l', 0x91, 11, 1];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello alld");
        // A copy beyond the base, a zero opcode, a wrong base size: damage.
        assert!(apply_delta(base, &[12, 5, 0x91, 10, 5]).is_none());
        assert!(apply_delta(base, &[12, 1, 0]).is_none());
        assert!(apply_delta(base, &[11, 1, 1, b'x']).is_none());
        assert!(apply_delta(base, &[12, 2, 1, b'x']).is_none());
        // A claimed result of 2^56 bytes is refused, not allocated.
        let huge = [12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, b'x'];
        assert!(apply_delta(base, &huge).is_none());
    }
}
