//! What a rule reports. Detection returns these values and never prints:
//! every output format in `src/report/` consumes the same data.

use serde::{Deserialize, Serialize};

use crate::rules::RuleId;

/// How serious a finding is. Only errors fail a check (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The lowercase name used in JSON, text and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem at one place. Field names and order are the JSON contract
/// of docs/output.md; `hint` and `fingerprint` are internal and never
/// serialized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// 1-based line, `None` where a finding has no position (binary file,
    /// a whole-file finding).
    pub line: Option<u32>,
    /// 1-based column in characters.
    pub column: Option<u32>,
    /// The commit that introduced the problem (range mode).
    pub commit: Option<String>,
    /// The sub-kind of the rule (`db-url-password`, `sqlite`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub message: String,
    /// Redacted preview of a credential; never the whole value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How to fix this particular finding; the text report prints it, and
    /// falls back to the rule's generic hint.
    #[serde(skip)]
    pub hint: Option<String>,
    /// A stable identity that survives line moves (baselines, SARIF
    /// fingerprints, "already in the old version" checks). Rules that carry
    /// a secret put a hash of it here, never the secret itself.
    #[serde(skip)]
    pub fingerprint: Option<String>,
}

impl Finding {
    /// A finding at the rule's default severity, without position.
    pub fn new(rule: RuleId, path: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity(),
            path: path.into(),
            line: None,
            column: None,
            commit: None,
            kind: None,
            message: message.into(),
            secret: None,
            hint: None,
            fingerprint: None,
        }
    }

    /// Sets the 1-based line and column.
    pub fn at(mut self, line: u32, column: u32) -> Finding {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the 1-based line only.
    pub fn at_line(mut self, line: u32) -> Finding {
        self.line = Some(line);
        self
    }

    /// Sets the sub-kind.
    pub fn kind(mut self, kind: impl Into<String>) -> Finding {
        self.kind = Some(kind.into());
        self
    }

    /// Sets a hint specific to this finding.
    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the stable identity used by baselines and diffs.
    pub fn fingerprint(mut self, fp: impl Into<String>) -> Finding {
        self.fingerprint = Some(fp.into());
        self
    }

    /// The identity used to tell whether two findings are the same problem
    /// (for example the same credential in the old and new version of a
    /// file): rule, kind and fingerprint, or the message when the rule gave
    /// no fingerprint.
    pub fn identity(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}",
            self.rule.as_str(),
            self.kind.as_deref().unwrap_or(""),
            self.fingerprint.as_deref().unwrap_or(&self.message)
        )
    }
}
