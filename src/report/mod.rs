//! Output formats. Each format is one module that turns findings into
//! bytes; none of them knows where the findings came from.

use std::io::{self, Write};
use std::path::Path;

use crate::finding::{Finding, Severity};

pub mod github;
pub mod json;
pub mod migrations;
pub mod models;
pub mod sarif;
pub mod statistics;
pub mod text;

/// What every format renders.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub files_scanned: usize,
    /// Files that could not be checked because the clone lacks their
    /// content (each is named on stderr); a run with any fails.
    pub unread: usize,
}

impl Report<'_> {
    /// Number of findings at `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Which format to write, with the options each format needs.
#[derive(Clone, Copy, Debug)]
pub enum Format<'a> {
    Text {
        verbose: bool,
    },
    /// Text, one line per finding and nothing else (`--quiet`).
    Quiet,
    /// Text, only the count per rule and the summary (`--statistics`).
    Statistics,
    Json,
    /// SARIF 2.1.0; `root` is the absolute repository root, when known, that
    /// result URIs are relative to.
    Sarif {
        root: Option<&'a Path>,
    },
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Writes `report` to `out` in `format`.
pub fn write(report: &Report<'_>, format: Format<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text { verbose } => text::write(report, verbose, out),
        Format::Quiet => text::write_quiet(report, out),
        Format::Statistics => statistics::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif { root } => sarif::write(report, root, out),
        Format::Github => github::write(report, out),
    }
}
