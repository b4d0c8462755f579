//! `--format github`: GitHub Actions workflow commands, so that findings
//! appear as annotations inline on a pull request's diff.
//!
//! One `::error` or `::warning` command per finding, then a plain summary
//! line for the log. GitHub reads the command up to the first `::` after
//! the properties, so data and properties are escaped the way its runner
//! (`@actions/core`) escapes them: `%`, CR and LF in the message, and in
//! addition `:` and `,` in property values (a path holding a comma would
//! otherwise end the `file=` property).

use std::io::{self, Write};

use super::Report;
use crate::finding::{Finding, Severity};

/// Writes one workflow command per finding and a summary line.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings {
        writeln!(out, "{}", command(f))?;
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let files = plural(report.files_scanned, "file");
    if report.findings.is_empty() {
        writeln!(out, "dbguard: no problems found in {files}")
    } else {
        writeln!(
            out,
            "dbguard: {}, {} in {files}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

/// The workflow command of one finding.
fn command(f: &Finding) -> String {
    let name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = vec![format!("file={}", escape_property(&f.path))];
    if let Some(line) = f.line {
        props.push(format!("line={line}"));
        if let Some(col) = f.column {
            props.push(format!("col={col}"));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("dbguard {}", f.rule))
    ));
    let hint = f.hint.as_deref().unwrap_or(f.rule.info().hint);
    let mut message = f.message.clone();
    if let Some(c) = &f.commit {
        message.push_str(&format!(" (commit {})", &c[..c.len().min(12)]));
    }
    message.push_str("\nhint: ");
    message.push_str(hint);
    format!("::{name} {}::{}", props.join(","), escape_data(&message))
}

/// Escapes a command's message: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: the data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn render(findings: &[Finding]) -> String {
        let mut buf = Vec::new();
        write(
            &Report {
                findings,
                files_scanned: 4,
                unread: 0,
            },
            &mut buf,
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn escaping_follows_the_actions_runner() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(
            escape_property("dir,with:odd%name\n.db"),
            "dir%2Cwith%3Aodd%25name%0A.db"
        );
        // `%` goes first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn error_and_warning_commands() {
        let out = render(&[
            Finding::new(RuleId::DbFile, "a,b:c.db", "50% of a database\nstaged"),
            Finding::new(RuleId::MigrationFilename, "m/v/x.py", "bad name: x, y")
                .at(3, 7)
                .hint("rename it"),
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "::error file=a%2Cb%3Ac.db,title=dbguard db-file::50%25 of a database%0Astaged%0Ahint: {}",
                escape_data(RuleId::DbFile.info().hint)
            )
        );
        assert_eq!(
            lines[1],
            "::warning file=m/v/x.py,line=3,col=7,title=dbguard migration-filename::bad name: x, y%0Ahint: rename it"
        );
        assert_eq!(lines[2], "dbguard: 1 error, 1 warning in 4 files");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn commit_is_named_in_range_mode_and_a_clean_run_says_so() {
        let mut f = Finding::new(RuleId::EnvFile, ".env", "env file").hint("h");
        f.commit = Some("0123456789abcdef0123".into());
        assert!(render(&[f]).starts_with(
            "::error file=.env,title=dbguard env-file::env file (commit 0123456789ab)%0Ahint: h\n"
        ));
        assert_eq!(render(&[]), "dbguard: no problems found in 4 files\n");
    }
}
