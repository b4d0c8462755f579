//! Redaction: the only form in which a secret ever leaves the detector.
//!
//! A finding carries a preview (`ab****yz`) so that a person can tell two
//! findings apart and recognise their own value, and a fingerprint (a
//! SHA-256 of the kind and the value) so that baselines and "was it already
//! there" checks work without storing the value. Neither reveals it.

use sha2::{Digest, Sha256};

/// What replaces the hidden part of a secret.
const MASK: &str = "****";

/// A preview of `secret` that reveals at most a quarter of it: two leading
/// and two trailing characters of a secret of 16 characters or more, one
/// of each from 8, nothing below that (or when the secret itself contains
/// the mask character, so the preview can never be mistaken for a part of
/// it).
pub fn preview(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let n = chars.len();
    let show = if secret.contains('*') || chars.iter().any(|c| c.is_control()) {
        0
    } else if n >= 16 {
        2
    } else if n >= 8 {
        1
    } else {
        0
    };
    if show == 0 {
        return MASK.to_string();
    }
    let head: String = chars[..show].iter().collect();
    let tail: String = chars[n - show..].iter().collect();
    format!("{head}{MASK}{tail}")
}

/// A stable, irreversible identity of a secret of a given kind: hex
/// SHA-256 of `kind`, a NUL and the value.
pub fn fingerprint(kind: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn previews_by_length() {
        assert_eq!(preview("abc"), "****");
        assert_eq!(preview("abcdefg"), "****");
        assert_eq!(preview("abcdefgh"), "a****h");
        assert_eq!(preview("abcdefghijklmnop"), "ab****op");
        assert_eq!(preview("ab*defghijklmnop"), "****");
        assert_eq!(preview("pässwörter-über-alles"), "pä****es");
    }

    #[test]
    fn fingerprints_depend_on_kind_and_value_only() {
        let a = fingerprint("db-url-password", "x1");
        assert_eq!(a, fingerprint("db-url-password", "x1"));
        assert_ne!(a, fingerprint("db-url-password", "x2"));
        assert_ne!(a, fingerprint("pgpass-entry", "x1"));
        assert!(!a.contains("x1"));
        assert_eq!(a.len(), 64);
    }

    proptest! {
        #[test]
        fn preview_never_reveals_the_secret(secret in "\\PC{1,64}") {
            let p = preview(&secret);
            let chars: Vec<char> = secret.chars().collect();
            if chars.iter().any(|c| *c != '*') {
                prop_assert_ne!(&p, &secret);
            }
            // No run of five or more characters of the secret survives.
            for w in chars.windows(5) {
                let sub: String = w.iter().collect();
                prop_assert!(!p.contains(&sub), "{p:?} reveals {sub:?}");
            }
            // At most a quarter of the characters are shown.
            let shown = p.chars().count() - MASK.len();
            prop_assert!(shown * 4 <= chars.len().max(4), "{p:?} of {secret:?}");
        }

        #[test]
        fn fingerprint_never_contains_the_secret(secret in "[a-zA-Z0-9]{8,40}") {
            let f = fingerprint("k", &secret);
            prop_assert!(!f.contains(&secret));
        }
    }
}
