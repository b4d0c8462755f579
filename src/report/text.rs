//! The default, human format: one line per finding in the
//! `path:line:col: severity[rule] message` shape editors and terminals link,
//! a hint under it, the count per rule when the report is long, and a
//! summary line (`--quiet`: the finding lines alone). Colors come from the
//! `colored` crate, whose global switch `main` sets once.

use std::io::{self, Write};

use colored::Colorize;

use super::Report;
use crate::finding::{Finding, Severity};

/// A report with more findings than this ends with the count per rule
/// (statistics.rs) above its summary line: beyond a screenful nobody
/// scrolls back to see which rules fired.
pub const BY_RULE_AFTER: usize = 10;

/// Writes every finding, then, for a long report, the count per rule, then
/// a summary line. With nothing to report the output is empty (a passing
/// hook is silent) unless `verbose`.
pub fn write(report: &Report<'_>, verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings {
        write_finding(f, out)?;
        write_hint(f, out)?;
    }
    if report.findings.is_empty() && report.unread == 0 && !verbose {
        return Ok(());
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    if report.findings.len() > BY_RULE_AFTER {
        super::statistics::write_table(report.findings, out)?;
        writeln!(out)?;
    }
    write_summary(report, out)
}

/// `--quiet`: one line per finding, nothing else (no hints, no summary).
pub fn write_quiet(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings {
        write_finding(f, out)?;
    }
    Ok(())
}

/// The closing line: errors and warnings, or that nothing was found.
pub fn write_summary(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let files = plural(report.files_scanned, "file");
    let line = if report.findings.is_empty() {
        format!("dbguard: no problems found in {files}")
    } else {
        format!(
            "dbguard: {}, {} in {files}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    };
    let line = if report.unread > 0 {
        format!(
            "{line}; {} could not be read",
            plural(report.unread, "file")
        )
    } else {
        line
    };
    let line = if errors > 0 || report.unread > 0 {
        line.red().bold().to_string()
    } else if warnings > 0 {
        line.yellow().bold().to_string()
    } else {
        line.green().to_string()
    };
    writeln!(out, "{line}")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn write_finding(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let mut location = f.path.clone();
    if let Some(line) = f.line {
        location.push_str(&format!(":{line}"));
        if let Some(col) = f.column {
            location.push_str(&format!(":{col}"));
        }
    }
    let severity = match f.severity {
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
    };
    let message = one_line(&f.message);
    write!(
        out,
        "{}: {severity}[{}] {message}",
        location.bold(),
        f.rule.as_str().bold()
    )?;
    if let Some(c) = &f.commit {
        write!(
            out,
            " {}",
            format!("(commit {})", &c[..c.len().min(12)]).dimmed()
        )?;
    }
    writeln!(out)
}

fn write_hint(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let hint = f.hint.as_deref().unwrap_or(f.rule.info().hint);
    writeln!(out, "  {} {}", "hint:".cyan(), one_line(hint))
}

/// Keeps one finding on one line whatever its message holds.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn render(findings: &[Finding], verbose: bool) -> String {
        colored::control::set_override(false);
        let mut buf = Vec::new();
        write(
            &Report {
                findings,
                files_scanned: 3,
                unread: 0,
            },
            verbose,
            &mut buf,
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn finding_lines_and_summary() {
        let out = render(
            &[
                Finding::new(
                    RuleId::DbFile,
                    "app.db",
                    "SQLite database file (by its name) is staged for commit",
                ),
                Finding::new(RuleId::MigrationFilename, "m/v/x.py", "bad\nname").at(3, 1),
            ],
            false,
        );
        assert_eq!(
            out,
            "app.db: error[db-file] SQLite database file (by its name) is staged for commit\n  hint: unstage it with `dbguard fix` (the file stays on disk) and keep it out with a .gitignore pattern\nm/v/x.py:3:1: warning[migration-filename] bad name\n  hint: rename the file to `<revision>_<slug>.py` (or the environment's file_template)\n\ndbguard: 1 error, 1 warning in 3 files\n"
        );
    }

    #[test]
    fn long_report_ends_with_counts_per_rule() {
        let mut findings: Vec<Finding> = (0..BY_RULE_AFTER)
            .map(|i| Finding::new(RuleId::DbFile, format!("d{i}.db"), "db"))
            .collect();
        let short = render(&findings, false);
        assert!(!short.contains("warnings  rule"), "{short}");
        findings.push(Finding::new(RuleId::SqlInjection, "q.py", "sql").at(1, 1));
        let long = render(&findings, false);
        assert!(
            long.ends_with(
                "\n errors  warnings  rule\n     10         0  db-file\n      0         1  sql-injection\n\ndbguard: 10 errors, 1 warning in 3 files\n"
            ),
            "{long}"
        );
        let mut quiet = Vec::new();
        write_quiet(
            &Report {
                findings: &findings,
                files_scanned: 3,
                unread: 0,
            },
            &mut quiet,
        )
        .unwrap();
        let quiet = String::from_utf8(quiet).unwrap();
        assert_eq!(quiet.lines().count(), findings.len(), "{quiet}");
        assert!(quiet.ends_with("q.py:1:1: warning[sql-injection] sql\n"));
    }

    #[test]
    fn clean_run_is_silent_unless_verbose() {
        assert_eq!(render(&[], false), "");
        assert_eq!(render(&[], true), "dbguard: no problems found in 3 files\n");
    }
}
