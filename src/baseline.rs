//! Baselines: adopting dbguard in a repository that already has findings.
//!
//! `dbguard check --all --write-baseline FILE` records today's findings;
//! `--baseline FILE` (or `baseline:` in `.dbguard.yaml`) then reports only
//! findings that are not in it. An entry is a SHA-256 of the rule, the
//! path (with `/`) and the finding's identity: the fingerprint of a
//! credential (itself a hash of its kind and value) or the kind and message
//! of other rules, with the mode-dependent wording removed. No line numbers
//! and no timestamps, so a baseline survives edits, moves inside a file and
//! merges, and the file is sorted and stable so it diffs cleanly. It never
//! holds a secret. Rewriting it keeps only today's findings, which drops
//! the stale entries.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, anyhow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::changes::Mode;
use crate::finding::Finding;
use crate::rules::presence;

/// The format version written in the file.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// One accepted finding. `rule` and `path` are there for people reading
/// or reviewing the file; matching uses `hash`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    rule: String,
    hash: String,
}

/// The identity of a finding that survives line moves and modes.
fn identity(f: &Finding) -> String {
    if let Some(fp) = &f.fingerprint {
        return fp.clone();
    }
    let mut msg = f.message.clone();
    for mode in [Mode::Staged, Mode::All, Mode::Paths, Mode::Range] {
        msg = msg.replace(presence(mode), "");
    }
    format!("{}\u{0}{}", f.kind.as_deref().unwrap_or(""), msg.trim())
}

fn entry(f: &Finding) -> Entry {
    let mut h = Sha256::new();
    for part in [f.rule.as_str(), f.path.as_str(), identity(f).as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    Entry {
        path: f.path.clone(),
        rule: f.rule.as_str().to_string(),
        hash: hex::encode(h.finalize()),
    }
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    hashes: HashSet<String>,
}

impl Baseline {
    /// Reads a baseline file; a missing or unreadable file is an error
    /// that says how to create one.
    pub fn load(path: &Path) -> anyhow::Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow!(
                "cannot read the baseline {}: {e} (create it with `dbguard check --all --write-baseline {}`)",
                path.display(),
                path.display()
            )
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            anyhow!(
                "{} is not a dbguard baseline ({e}); rewrite it with `dbguard check --all --write-baseline {}`",
                path.display(),
                path.display()
            )
        })?;
        if file.version != VERSION {
            return Err(anyhow!(
                "{} is a baseline of version {} (this dbguard reads version {VERSION}); rewrite it with --write-baseline",
                path.display(),
                file.version
            ));
        }
        Ok(Baseline {
            hashes: file.findings.into_iter().map(|e| e.hash).collect(),
        })
    }

    /// Whether `f` was accepted by the baseline.
    pub fn contains(&self, f: &Finding) -> bool {
        self.hashes.contains(&entry(f).hash)
    }

    /// Keeps only the findings that are not in the baseline.
    pub fn retain_new(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.contains(f));
    }
}

/// Writes `findings` as a baseline (sorted, one entry per distinct
/// finding) and returns the number of entries.
pub fn write(path: &Path, findings: &[Finding]) -> anyhow::Result<usize> {
    let mut entries: Vec<Entry> = findings.iter().map(entry).collect();
    entries.sort();
    entries.dedup();
    let n = entries.len();
    let file = File {
        version: VERSION,
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).context("cannot encode the baseline")?;
    text.push('\n');
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the baseline {}", path.display()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn cred(path: &str, line: u32, fp: &str) -> Finding {
        Finding::new(RuleId::Credential, path, "m (****)")
            .at(line, 3)
            .kind("db-url-password")
            .fingerprint(fp)
    }

    #[test]
    fn round_trip_ignores_lines_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        let db = Finding::new(
            RuleId::DbFile,
            "app.db",
            format!("SQLite database file {}", presence(Mode::All)),
        );
        let n = write(&p, &[cred("a/x.py", 3, "f1"), cred("a/x.py", 9, "f1"), db]).unwrap();
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("\"line\""));
        let b = Baseline::load(&p).unwrap();
        assert!(b.contains(&cred("a/x.py", 40, "f1")));
        assert!(!b.contains(&cred("a/x.py", 3, "f2")));
        assert!(!b.contains(&cred("b/x.py", 3, "f1")));
        let staged = Finding::new(
            RuleId::DbFile,
            "app.db",
            format!("SQLite database file {}", presence(Mode::Staged)),
        );
        assert!(b.contains(&staged));
        // Stable: writing the same findings again gives the same bytes.
        write(&p, &[db_again(), cred("a/x.py", 1, "f1")]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
    }

    fn db_again() -> Finding {
        Finding::new(
            RuleId::DbFile,
            "app.db",
            format!("SQLite database file {}", presence(Mode::Range)),
        )
    }

    #[test]
    fn missing_and_garbled_files_are_one_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = Baseline::load(&dir.path().join("nope.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--write-baseline") && !e.contains('\n'), "{e}");
        let p = dir.path().join("bad.json");
        std::fs::write(&p, "{\"version\": 1, \"findings\": [{\"oops\": 1}]}").unwrap();
        let e = Baseline::load(&p).unwrap_err().to_string();
        assert!(e.contains("not a dbguard baseline"), "{e}");
        std::fs::write(&p, "not json").unwrap();
        assert!(Baseline::load(&p).is_err());
    }
}
