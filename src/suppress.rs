//! Inline suppression: a comment containing `dbguard: allow` on a
//! finding's line, or on the line above it, silences that finding;
//! `dbguard: allow credential` (or a comma- or space-separated list of rule
//! ids) silences only those rules. Any comment syntax works (`#`, `//`,
//! `--`, `<!-- -->`), since only the marker is looked for.

use crate::rules::RuleId;

/// The marker looked for on a line.
pub const MARKER: &str = "dbguard: allow";

/// What a marker on one line allows: every rule, or the listed ones.
fn allows(line: &str, rule: RuleId) -> bool {
    let Some(i) = line.find(MARKER) else {
        return false;
    };
    let rest = &line[i + MARKER.len()..];
    let mut listed = Vec::new();
    for word in rest.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        match word.parse::<RuleId>() {
            Ok(id) => listed.push(id),
            Err(_) => break,
        }
    }
    listed.is_empty() || listed.contains(&rule)
}

/// Whether a finding of `rule` at 1-based `line` of `text` is suppressed.
pub fn is_suppressed(text: &[u8], line: u32, rule: RuleId) -> bool {
    if line == 0 || memchr::memmem::find(text, MARKER.as_bytes()).is_none() {
        return false;
    }
    let idx = line as usize - 1;
    let mut lines = text.split(|b| *b == b'\n').skip(idx.saturating_sub(1));
    let above = if idx > 0 { lines.next() } else { None };
    let here = lines.next();
    [here, above]
        .into_iter()
        .flatten()
        .any(|l| allows(&String::from_utf8_lossy(l), rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_line_above() {
        let t = b"a = 1  # dbguard: allow\n# dbguard: allow credential\nb = 2\nc = 3\n";
        assert!(is_suppressed(t, 1, RuleId::Credential));
        assert!(is_suppressed(t, 3, RuleId::Credential));
        assert!(!is_suppressed(t, 3, RuleId::SqlInjection));
        assert!(!is_suppressed(t, 4, RuleId::Credential));
        assert!(is_suppressed(t, 2, RuleId::Credential));
    }

    #[test]
    fn lists_of_rules_and_trailing_prose() {
        let t = b"x // dbguard: allow sql-injection, credential -- fixture\n";
        assert!(is_suppressed(t, 1, RuleId::Credential));
        assert!(is_suppressed(t, 1, RuleId::SqlInjection));
        assert!(!is_suppressed(t, 1, RuleId::DbFile));
        let t = b"x <!-- dbguard: allow because it is a sample -->\n";
        assert!(is_suppressed(t, 1, RuleId::DbFile));
        assert!(!is_suppressed(b"x # dbguard allow\n", 1, RuleId::DbFile));
    }
}
