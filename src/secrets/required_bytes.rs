//! The bytes every match of a regex contains.
//!
//! A detector's keywords say a text *may* match; a byte that every match
//! holds (the `|` of a Markdown table row, the backtick of quoted code,
//! the `<` of an XML element) says a line or a text without it cannot.
//! One `memchr` per such byte costs far less than the regex search it
//! saves: most lines that hold `password` in prose are not table rows.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The bytes that every match of `pattern` (as dbguard compiles it, with
/// ASCII classes) contains, ascending; empty when the pattern does not
/// parse or no single byte is certain.
pub(super) fn required_bytes(pattern: &str) -> Vec<u8> {
    let Ok(hir) = regex_syntax::parse(&crate::ascii_regex::asciify(pattern)) else {
        return Vec::new();
    };
    let mut out: Vec<u8> = of(&hir).into_iter().collect();
    out.sort_unstable();
    out
}

/// The bytes every match of `h` holds. An alternation holds what all its
/// branches hold; a repetition what its body holds, if it must repeat.
fn of(h: &Hir) -> std::collections::BTreeSet<u8> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Default::default(),
        HirKind::Literal(l) => l.0.iter().copied().collect(),
        HirKind::Class(c) => single_byte(c).into_iter().collect(),
        HirKind::Repetition(r) if r.min > 0 => of(&r.sub),
        HirKind::Repetition(_) => Default::default(),
        HirKind::Capture(c) => of(&c.sub),
        HirKind::Concat(v) => v.iter().flat_map(of).collect(),
        HirKind::Alternation(v) => {
            let mut sets = v.iter().map(of);
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| acc.intersection(&s).copied().collect())
        }
    }
}

/// The byte a class matches, when it matches exactly one ASCII byte.
fn single_byte(c: &Class) -> Option<u8> {
    match c {
        Class::Bytes(b) => match b.ranges() {
            [r] if r.start() == r.end() => Some(r.start()),
            _ => None,
        },
        Class::Unicode(u) => match u.ranges() {
            [r] if r.start() == r.end() && r.start().is_ascii() => Some(r.start() as u8),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_every_match_holds() {
        assert_eq!(required_bytes(r"a\|b"), b"ab|");
        // Case-insensitive letters are classes of two: not certain.
        assert_eq!(required_bytes(r"(?i)key=`"), b"=`");
        // Optional parts and alternatives hold nothing for certain,
        // unless every branch holds it.
        assert_eq!(required_bytes(r"x?(?:<a|<b)"), b"<");
        assert_eq!(required_bytes(r"(?:=|:)"), b"");
        assert_eq!(required_bytes(r"[<>]+\[{2}"), b"[");
        assert_eq!(required_bytes(r"(?i)\bpass\s*"), b"");
        assert_eq!(required_bytes(r"(unclosed"), b"");
    }
}
