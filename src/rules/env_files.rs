//! `env-file`: real dotenv files (`.env`, `.env.production`, `prod.env`).
//!
//! Templates meant to be committed (`.env.example`, `.env.sample`, ...) are
//! recognised by a word in their name; the words are data in
//! `rules/env-files.yaml`.

use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{Context, FileInput, Rule, RuleId, presence};
use crate::changes::EntryMode;
use crate::finding::Finding;

const DATA: &str = include_str!("../../rules/env-files.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    names: Vec<String>,
    template_words: Vec<String>,
    code_extensions: Vec<String>,
}

struct Patterns {
    names: GlobSet,
    data: Data,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let data: Data = serde_norway::from_str(DATA)
            .unwrap_or_else(|e| unreachable!("rules/env-files.yaml is embedded and tested: {e}"));
        let mut b = GlobSetBuilder::new();
        for g in &data.names {
            if let Ok(glob) = GlobBuilder::new(g).case_insensitive(true).build() {
                b.add(glob);
            }
        }
        Patterns {
            names: b.build().unwrap_or_else(|_| GlobSet::empty()),
            data,
        }
    })
}

/// Whether a file name is a real dotenv file (not a template, not code).
pub fn is_env_file(file_name: &str) -> bool {
    let p = patterns();
    if !p.names.is_match(file_name) {
        return false;
    }
    let lower = file_name.to_ascii_lowercase();
    let parts: Vec<&str> = lower
        .split(['.', '-', '_'])
        .filter(|s| !s.is_empty())
        .collect();
    if parts
        .iter()
        .any(|part| p.data.template_words.iter().any(|w| w == part))
    {
        return false;
    }
    let last = lower.rsplit('.').next().unwrap_or("");
    !p.data.code_extensions.iter().any(|e| e == last)
}

/// The `env-file` family.
pub struct EnvFiles;

impl Rule for EnvFiles {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::EnvFile]
    }

    fn check_file(
        &self,
        ctx: &Context<'_>,
        file: &FileInput<'_>,
        out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        if file.change.mode == EntryMode::Submodule || !is_env_file(file.change.file_name()) {
            return Ok(());
        }
        out.push(
            Finding::new(
                RuleId::EnvFile,
                file.path(),
                format!("real .env file {}", presence(ctx.set.mode)),
            )
            .kind("dotenv"),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_env_files() {
        for name in [
            ".env",
            ".env.local",
            ".env.production",
            ".ENV",
            ".env.development.local",
            "prod.env",
            ".env-dev",
            ".env.test",
            ".env.sh",
            ".env.json",
        ] {
            assert!(is_env_file(name), "{name}");
        }
    }

    #[test]
    fn templates_code_and_lookalikes_are_not_env_files() {
        for name in [
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            ".env.local.example",
            "example.env",
            ".env.example.local",
            ".env.vault",
            ".env.ts",
            ".env.py",
            ".envrc",
            "env.py",
            "environment.yml",
            "dotenv",
            "venv",
            ".environment",
        ] {
            assert!(!is_env_file(name), "{name}");
        }
    }
}
