//! Counts per rule. `dbguard check --statistics` prints only them (as
//! ruff's `--statistics` does), and a long text report ends with them: the
//! 664 findings of `check --all` on a real project read as a few lines of
//! "which rules, how many" before anyone scrolls back.

use std::io::{self, Write};

use super::Report;
use crate::finding::{Finding, Severity};
use crate::rules::RuleId;

/// How many findings one rule made, by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: RuleId,
    pub errors: usize,
    pub warnings: usize,
}

impl RuleCount {
    fn total(&self) -> usize {
        self.errors + self.warnings
    }
}

/// The count of every rule with findings: most findings first, ties in
/// the registry's order (`dbguard rules`).
pub fn by_rule(findings: &[Finding]) -> Vec<RuleCount> {
    let mut counts: Vec<RuleCount> = RuleId::all()
        .map(|rule| RuleCount {
            rule,
            errors: 0,
            warnings: 0,
        })
        .collect();
    for f in findings {
        if let Some(c) = counts.iter_mut().find(|c| c.rule == f.rule) {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
            }
        }
    }
    counts.retain(|c| c.total() > 0);
    // A stable sort keeps the registry's order among equal totals.
    counts.sort_by_key(|c| std::cmp::Reverse(c.total()));
    counts
}

/// Writes the table: one line per rule with its errors and warnings.
pub fn write_table(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{:>7}  {:>8}  rule", "errors", "warnings")?;
    for c in by_rule(findings) {
        writeln!(
            out,
            "{:>7}  {:>8}  {}",
            c.errors,
            c.warnings,
            c.rule.as_str()
        )?;
    }
    Ok(())
}

/// `--statistics`: the table (when there are findings), then the text
/// report's summary line, which is printed even for a clean run: counts
/// were asked for.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    if !report.findings.is_empty() {
        write_table(report.findings, out)?;
        writeln!(out)?;
    }
    super::text::write_summary(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings() -> Vec<Finding> {
        let mut local = Finding::new(RuleId::Credential, "dev.env", "local");
        local.severity = Severity::Warning;
        vec![
            Finding::new(RuleId::DbFile, "a.db", "m"),
            Finding::new(RuleId::Credential, "a.py", "m"),
            Finding::new(RuleId::Credential, "b.py", "m"),
            local,
            Finding::new(RuleId::EnvFile, ".env", "m"),
            Finding::new(RuleId::SqlInjection, "q.py", "m"),
        ]
    }

    #[test]
    fn counts_most_first_then_registry_order() {
        let counts = by_rule(&findings());
        let got: Vec<_> = counts
            .iter()
            .map(|c| (c.rule.as_str(), c.errors, c.warnings))
            .collect();
        assert_eq!(
            got,
            [
                ("credential", 2, 1),
                ("db-file", 1, 0),
                ("env-file", 1, 0),
                ("sql-injection", 0, 1),
            ]
        );
        assert_eq!(by_rule(&[]), []);
    }

    #[test]
    fn statistics_table_and_summary() {
        colored::control::set_override(false);
        let findings = findings();
        let mut buf = Vec::new();
        write(
            &Report {
                findings: &findings,
                files_scanned: 9,
                unread: 0,
            },
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            " errors  warnings  rule\n      2         1  credential\n      1         0  db-file\n      1         0  env-file\n      0         1  sql-injection\n\ndbguard: 4 errors, 2 warnings in 9 files\n"
        );
        let mut buf = Vec::new();
        write(
            &Report {
                findings: &[],
                files_scanned: 9,
                unread: 0,
            },
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "dbguard: no problems found in 9 files\n"
        );
    }
}
