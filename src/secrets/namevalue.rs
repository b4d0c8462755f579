//! Environment entries written as a name/value pair rather than as an
//! assignment: Kubernetes and Compose `env:` lists, ECS task definitions,
//! Terraform `environment = [{ name = ..., value = ... }]`:
//!
//! ```yaml
//! - name: DB_PASSWORD
//!   value: s3cr3t
//! ```
//!
//! The value must follow its name within a few lines, before the next
//! `name`; a `valueFrom` reference has no `value` and is not a finding.

use std::sync::OnceLock;

use regex::Regex;

use super::Candidate;
use super::keys::is_password_key;
use super::placeholder::is_placeholder;
use super::syntax::{Syntax, literal};

fn name_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(r#"(?i)\bname["']?[ \t]*[:=][ \t]*["']?(?P<key>[\w.\-]+)["']?"#)
            .unwrap_or_else(|e| unreachable!("the name pattern is a constant: {e}"))
    })
}

fn value_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        crate::ascii_regex::new(r#"(?i)\b(?:(?P<name>name)|value)["']?[ \t]*[:=][ \t]*"#)
            .unwrap_or_else(|e| unreachable!("the value pattern is a constant: {e}"))
    })
}

/// How far after a name its value may be.
const WINDOW_LINES: usize = 4;

/// Finds password values of name/value environment entries.
pub fn find(text: &str, syntax: Syntax, out: &mut Vec<Candidate>) {
    for caps in name_re().captures_iter(text) {
        let (Some(key), Some(m)) = (caps.name("key"), caps.get(0)) else {
            continue;
        };
        if !is_password_key(key.as_str()) {
            continue;
        }
        let after = m.end();
        let window_end = text[after..]
            .match_indices('\n')
            .nth(WINDOW_LINES - 1)
            .map_or(text.len(), |(i, _)| after + i);
        let window = &text[after..window_end];
        let Some(v) = value_re().captures_iter(window).next() else {
            continue;
        };
        if v.name("name").is_some() {
            continue; // the next entry starts before a value
        }
        let Some(vm) = v.get(0) else { continue };
        let Some(value) = literal(text, after + vm.end(), syntax, None) else {
            continue;
        };
        if is_placeholder(&value.text, Some(key.as_str())) {
            continue;
        }
        out.push(Candidate {
            kind: "password-assignment",
            start: value.start,
            end: value.end,
            secret: value.text,
            key: Some(key.as_str().to_string()),
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(text: &str, syntax: Syntax) -> Vec<String> {
        let mut out = Vec::new();
        find(text, syntax, &mut out);
        out.into_iter().map(|c| c.secret).collect()
    }

    #[test]
    fn kubernetes_ecs_and_terraform_pairs() {
        let k8s =
            "env:\n  - name: DB_HOST\n    value: db\n  - name: DB_PASSWORD\n    value: \"{pw}\"\n";
        assert_eq!(
            secrets(&k8s.replace("{pw}", "Kp8-x2m"), Syntax::Line),
            ["Kp8-x2m"]
        );
        let ecs = format!(
            r#"{{"name": "POSTGRES_PASSWORD", "value": "{}"}}"#,
            "Ec5-k2z"
        );
        assert_eq!(secrets(&ecs, Syntax::Code), ["Ec5-k2z"]);
        let tf = "{ name = \"DB_PASSWORD\", value = \"{pw}\" }";
        assert_eq!(
            secrets(&tf.replace("{pw}", "Tf7-q2k"), Syntax::Code),
            ["Tf7-q2k"]
        );
    }

    #[test]
    fn references_and_other_names_are_not_findings() {
        let k8s = "  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n  - name: X\n    value: y\n";
        assert_eq!(secrets(k8s, Syntax::Line), Vec::<String>::new());
        let k8s = "  - name: DB_PASSWORD\n    value: $(DB_PASSWORD)\n";
        assert_eq!(secrets(k8s, Syntax::Line), Vec::<String>::new());
        let t = "- name: DB_USER\n  value: app\n";
        assert_eq!(secrets(t, Syntax::Line), Vec::<String>::new());
    }
}
