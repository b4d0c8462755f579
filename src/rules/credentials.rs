//! `credential`: database credentials, private keys and cloud keys in the
//! content being committed. Detection lives in `src/secrets/`; this family
//! only decides what to report: it honours `credentials.allow_paths` and
//! `credentials.allow_values`, skips binary and oversized files without
//! reading them whole, reports only what a change adds (a credential that
//! the old version of a modified or renamed file already held is not new),
//! and turns detections into findings that carry a redacted preview and a
//! fingerprint, never the value.

use std::collections::HashSet;

use super::{Context, FileInput, Rule, RuleId};
use crate::changes::{Mode, Status};
use crate::config::{LocalSeverity, glob_set};
use crate::finding::{Finding, Severity};
use crate::secrets::{self, redact};

/// The `credential` family.
pub struct Credentials;

impl Rule for Credentials {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::Credential]
    }

    fn reads_contents(&self) -> bool {
        true
    }

    fn check_file(
        &self,
        ctx: &Context<'_>,
        file: &FileInput<'_>,
        out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        if !(ctx.enabled)(RuleId::Credential) || !file.has_content() {
            return Ok(());
        }
        let cfg = &ctx.config.credentials;
        if !cfg.allow_paths.is_empty() && glob_set(&cfg.allow_paths).is_match(file.path()) {
            return Ok(());
        }
        // The header decides binary files before anything reads them whole.
        if file.is_binary()? {
            return Ok(());
        }
        let Some(content) = file.content()? else {
            return Ok(()); // larger than max_file_size
        };
        let text = crate::text::lossy(content);
        let mut found = secrets::scan(file.path(), &text);
        found.retain(|d| !cfg.allow_values.iter().any(|re| re.0.is_match(&d.secret)));
        if found.is_empty() {
            return Ok(());
        }
        let compares = ctx.set.mode != Mode::All
            && matches!(
                file.change.status,
                Status::Modified | Status::Renamed | Status::Copied | Status::TypeChanged
            );
        if compares && let Some(old) = file.old_content()? {
            let old_path = file.change.old_path.as_deref().unwrap_or(file.path());
            let old_text = crate::text::lossy(&old);
            let before: HashSet<String> = secrets::scan(old_path, &old_text)
                .into_iter()
                .map(|d| d.secret)
                .collect();
            found.retain(|d| !before.contains(&d.secret));
        }
        for d in found {
            let preview = redact::preview(&d.secret);
            let message = match d.local {
                Some(why) => format!(
                    "{} ({preview}) that only opens a local development service ({why})",
                    d.description
                ),
                None => format!("{} ({preview})", d.description),
            };
            let mut f = Finding::new(RuleId::Credential, file.path(), message)
                .at(d.line, d.column)
                .kind(d.kind)
                .fingerprint(redact::fingerprint(d.kind, &d.secret));
            if d.local.is_some() && cfg.local_severity == LocalSeverity::Warning {
                f.severity = Severity::Warning;
            }
            f.secret = Some(preview);
            out.push(f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{MemoryReader, memory_change_set};
    use crate::config::Config;

    fn pw() -> String {
        ["Qz", "7-", "kk", "29", "-x"].concat()
    }

    fn run(
        config: &Config,
        mode: Mode,
        old: &[(&str, &[u8])],
        new: &[(&str, &[u8])],
    ) -> Vec<Finding> {
        let set = memory_change_set(mode, old, new);
        let enabled = |_| true;
        let ctx = Context::new(config, &set, &MemoryReader, &enabled);
        let mut out = Vec::new();
        for change in set.changes.iter() {
            if change.new.is_none() {
                continue;
            }
            let file = FileInput::new(change, &MemoryReader, 1 << 20);
            Credentials.check_file(&ctx, &file, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn findings_carry_a_preview_and_a_fingerprint_never_the_value() {
        let text = format!("DB_PASSWORD={}\n", pw());
        let out = run(
            &Config::default(),
            Mode::Staged,
            &[],
            &[(".env", text.as_bytes())],
        );
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!((f.line, f.column), (Some(1), Some(13)));
        assert_eq!(f.kind.as_deref(), Some("password-assignment"));
        assert_eq!(f.secret.as_deref(), Some("Q****x"));
        assert!(!f.message.contains(&pw()), "{}", f.message);
        assert!(!f.fingerprint.as_deref().unwrap().contains(&pw()));
        assert!(!format!("{f:?}").contains(&pw()));
    }

    #[test]
    fn only_what_a_change_adds() {
        let old = format!("DB_PASSWORD={}\nX=1\n", pw());
        let same = format!("# moved\nX=2\nDB_PASSWORD={}\n", pw());
        let new = format!("{same}REDIS_PASSWORD=Rd-{}\n", pw());
        let c = Config::default();
        let got = run(
            &c,
            Mode::Staged,
            &[("a.env", old.as_bytes())],
            &[("a.env", same.as_bytes())],
        );
        assert!(got.is_empty());
        let got = run(
            &c,
            Mode::Staged,
            &[("a.env", old.as_bytes())],
            &[("a.env", new.as_bytes())],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, Some(4));
        // --all reports everything.
        let got = run(&c, Mode::All, &[], &[("a.env", same.as_bytes())]);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn allow_paths_values_binary_and_large_files() {
        let text = format!("DB_PASSWORD={}\n", pw());
        let c = Config::parse(
            "credentials:\n  allow_paths: [fixtures/]\n",
            std::path::Path::new("c"),
        )
        .unwrap();
        assert!(
            run(
                &c,
                Mode::Staged,
                &[],
                &[("fixtures/a.env", text.as_bytes())]
            )
            .is_empty()
        );
        assert_eq!(
            run(&c, Mode::Staged, &[], &[("b.env", text.as_bytes())]).len(),
            1
        );
        let c = Config::parse(
            "credentials:\n  allow_values: ['^Qz7']\n",
            std::path::Path::new("c"),
        )
        .unwrap();
        assert!(run(&c, Mode::Staged, &[], &[("b.env", text.as_bytes())]).is_empty());
        let mut bin = text.clone().into_bytes();
        bin.push(0);
        assert!(run(&Config::default(), Mode::Staged, &[], &[("b.env", &bin)]).is_empty());
        let c = Config::parse("max_file_size: 4\n", std::path::Path::new("c")).unwrap();
        let set = memory_change_set(Mode::Staged, &[], &[("b.env", text.as_bytes())]);
        let enabled = |_| true;
        let ctx = Context::new(&c, &set, &MemoryReader, &enabled);
        let file = FileInput::new(&set.changes[0], &MemoryReader, 4);
        let mut out = Vec::new();
        Credentials.check_file(&ctx, &file, &mut out).unwrap();
        assert!(out.is_empty());
    }
}
