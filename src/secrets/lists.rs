//! Passwords written as the items of a YAML list under a plural key, as
//! Helm charts take them (Bitnami's `auth.passwords` beside
//! `auth.usernames`):
//!
//! ```yaml
//! auth:
//!   passwords:
//!     - s3cr3t-one
//!     - "s3cr3t-two"
//! ```
//!
//! Each item is a value; the list ends at the first line that is not an
//! item (or a comment) indented at least as deep as the key.

use std::sync::OnceLock;

use regex::Regex;

use super::Candidate;
use super::placeholder::is_placeholder;
use super::syntax::{Syntax, literal};

fn key_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"(?im)^(?P<indent>[ \t]*)["']?(?P<key>[\w.\-]*(?:passwords|passwds))["']?[ \t]*:[ \t]*(?:#[^\n]*)?\r?$"#,
        )
        .unwrap_or_else(|e| unreachable!("the list pattern is a constant: {e}"))
    })
}

/// Finds the items of password lists.
pub fn find(text: &str, out: &mut Vec<Candidate>) {
    for caps in key_re().captures_iter(text) {
        let (Some(indent), Some(key), Some(m)) =
            (caps.name("indent"), caps.name("key"), caps.get(0))
        else {
            continue;
        };
        let depth = indent.as_str().len();
        let mut pos = text[m.end()..]
            .find('\n')
            .map_or(text.len(), |i| m.end() + i + 1);
        while pos < text.len() {
            let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
            let line = &text[pos..line_end];
            let body = line.trim_start_matches([' ', '\t']);
            let lead = line.len() - body.len();
            if body.trim().is_empty() || body.starts_with('#') {
                pos = line_end + 1;
                continue;
            }
            let Some(item) = body.strip_prefix('-') else {
                break;
            };
            if lead < depth || !(item.is_empty() || item.starts_with([' ', '\t'])) {
                break;
            }
            let at = pos + lead + 1;
            if let Some(v) = literal(text, at, Syntax::Line, None)
                && !is_placeholder(&v.text, Some(key.as_str()))
            {
                out.push(Candidate {
                    kind: "password-assignment",
                    start: v.start,
                    end: v.end,
                    secret: v.text,
                    key: Some(key.as_str().to_string()),
                    ..Default::default()
                });
            }
            pos = line_end + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.into_iter().map(|c| c.secret).collect()
    }

    #[test]
    fn helm_password_lists() {
        let t = "auth:\n  usernames:\n    - a\n  passwords:\n    - {one}\n    # the second user\n    - \"{two}\"\n  databases:\n    - x\n";
        let t = t.replace("{one}", "Lp9-x2Qa").replace("{two}", "Lp9-x2Qb");
        assert_eq!(secrets(&t), ["Lp9-x2Qa", "Lp9-x2Qb"]);
    }

    #[test]
    fn references_and_other_lists_are_not_findings() {
        let t = "passwords:\n  - ${DB_PASSWORD}\n  - \"{{ .Values.pw }}\"\nusernames:\n  - app\n";
        assert_eq!(secrets(t), Vec::<String>::new());
        assert_eq!(secrets("passwords: []\n"), Vec::<String>::new());
        assert_eq!(
            secrets("existingPasswords:\nother:\n  - x\n"),
            Vec::<String>::new()
        );
    }
}
