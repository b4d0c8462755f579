//! Regexes whose word and digit classes are ASCII.
//!
//! The patterns dbguard matches (keys, drivers, URLs, SQL) are ASCII, but
//! the `regex` crate reads `\w`, `\d` and `\b` as Unicode classes. A
//! Unicode `\w` compiles into an automaton of thousands of states (the
//! credential detectors took 50 ms to build, half of a staged check),
//! and a Unicode `\b` makes the fast lazy DFA give up on the first
//! non-ASCII byte of a text. Rewriting the three to their ASCII forms
//! keeps every pattern as written in `rules/*.yaml` and the code.

use regex::Regex;

/// Rewrites `\w`, `\d` (inside and outside brackets) and `\b`/`\B` to
/// their ASCII forms; everything else is kept byte for byte.
pub fn asciify(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut depth = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                match (n, depth > 0) {
                    ('w', true) => out.push_str("A-Za-z0-9_"),
                    ('w', false) => out.push_str("[A-Za-z0-9_]"),
                    ('d', true) => out.push_str("0-9"),
                    ('d', false) => out.push_str("[0-9]"),
                    ('b' | 'B', false) => {
                        out.push_str("(?-u:\\");
                        out.push(n);
                        out.push(')');
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' => {
                out.push(c);
                depth += 1;
                // `[]...]` and `[^]...]` start with a literal `]`.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if depth > 0 => {
                out.push(c);
                depth -= 1;
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compiles `pattern` with ASCII word, digit and boundary classes.
pub fn new(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&asciify(pattern))
}

/// [`new`] for `regex::bytes`.
pub fn new_bytes(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::Regex::new(&asciify(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_become_ascii_and_the_rest_is_kept() {
        assert_eq!(asciify(r"\w+"), "[A-Za-z0-9_]+");
        assert_eq!(asciify(r"[\w.\-]"), r"[A-Za-z0-9_.\-]");
        assert_eq!(asciify(r"[^\d]\d"), "[^0-9][0-9]");
        assert_eq!(asciify(r"\bx\B"), r"(?-u:\b)x(?-u:\B)");
        assert_eq!(asciify(r"[]\w]"), "[]A-Za-z0-9_]");
        assert_eq!(asciify(r"\\w \s \S \. \["), r"\\w \s \S \. \[");
        assert_eq!(
            asciify(r"[a[:alpha:]\w]\w"),
            "[a[:alpha:]A-Za-z0-9_][A-Za-z0-9_]"
        );
    }

    #[test]
    fn meaning_is_kept_on_ascii_text() {
        let re = new(r"(?i)\b(?P<key>[\w.\-]*pass\w*)\s*=\s*(?P<v>\d+)").unwrap();
        let c = re.captures("x DB_PASSWORD = 42").unwrap();
        assert_eq!(&c["key"], "DB_PASSWORD");
        assert_eq!(&c["v"], "42");
        assert!(!re.is_match("password = x"));
        // The one difference: non-ASCII letters are not word characters.
        assert!(!new(r"^\w+$").unwrap().is_match("contraseña"));
        assert!(new(r"^\w+$").unwrap().is_match("contrasena"));
    }
}
