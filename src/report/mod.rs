//! Output formats. Each format is one module that turns findings into
//! bytes; none of them knows where the findings came from.

use std::io::{self, Write};

use crate::finding::{Finding, Severity};

pub mod json;
pub mod migrations;
pub mod text;

/// What every format renders.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub files_scanned: usize,
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

/// Which format to write, with the options the text format needs.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    Text { verbose: bool },
    Json,
}

/// Writes `report` to `out` in `format`.
pub fn write(report: &Report<'_>, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text { verbose } => text::write(report, verbose, out),
        Format::Json => json::write(report, out),
    }
}
