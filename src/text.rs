//! Bytes to text for the scanners.

use std::borrow::Cow;

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD. Checks with
/// `str::from_utf8` first: `String::from_utf8_lossy` validates byte by
/// byte, and on an `--all` run that walk alone cost 4% of the time,
/// while `from_utf8` skips ASCII a word at a time (nearly every file is
/// valid, so the lossy path is the rare one).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_borrowed_and_invalid_bytes_are_replaced() {
        assert!(matches!(
            lossy(b"password = x\n"),
            Cow::Borrowed("password = x\n")
        ));
        assert_eq!(lossy(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(lossy(b""), "");
    }
}
