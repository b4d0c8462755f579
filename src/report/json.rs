//! `--format json`: the shape docs/output.md documents (and
//! docs/schema/check.schema.json checks), for scripts and tests.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    files_scanned: usize,
    /// Present only when some file could not be read, so that a complete
    /// run's document is what it always was.
    #[serde(skip_serializing_if = "is_zero")]
    unread_files: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Writes the report as one pretty-printed JSON document.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: 1,
        findings: report.findings,
        summary: Summary {
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            files_scanned: report.files_scanned,
            unread_files: report.unread,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    #[test]
    fn shape_matches_the_contract() {
        let mut f = Finding::new(RuleId::Credential, "backend/alembic.ini", "m")
            .at(12, 18)
            .kind("db-url-password");
        f.secret = Some("s3****et".into());
        let findings = [f, Finding::new(RuleId::DbFile, "app.db", "n")];
        let mut buf = Vec::new();
        write(
            &Report {
                findings: &findings,
                files_scanned: 42,
                unread: 0,
            },
            &mut buf,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(
            v["summary"],
            serde_json::json!({"errors": 2, "warnings": 0, "files_scanned": 42})
        );
        let first = &v["findings"][0];
        let keys: Vec<_> = first.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "rule", "severity", "path", "line", "column", "commit", "kind", "message", "secret"
            ]
        );
        assert_eq!(first["line"], 12);
        assert_eq!(first["commit"], serde_json::Value::Null);
        let second = &v["findings"][1];
        assert_eq!(second["line"], serde_json::Value::Null);
        assert!(second.get("secret").is_none());
    }
}
