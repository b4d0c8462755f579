//! `db-file`: database files, journals, WAL/SHM files and backups, by name
//! and by content.
//!
//! The patterns are data (`rules/db-files.yaml`, embedded at build time).
//! Content sniffing reads only the bytes the signatures cover (when no
//! other rule reads whole files: see [`FileInput::signature`]), so a 200 MB
//! database costs a few kilobytes of I/O, and a history's every blob a few
//! small inflates; it runs on every file whatever its name: a SQLite file
//! renamed `blob.bin` is still a database.

use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{Context, FileInput, Rule, RuleId, presence};
use crate::changes::EntryMode;
use crate::finding::Finding;

const DATA: &str = include_str!("../../rules/db-files.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    names: Vec<NameRule>,
    signatures: Vec<Signature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRule {
    kind: String,
    description: String,
    globs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Signature {
    kind: String,
    description: String,
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Part {
    offset: usize,
    #[serde(deserialize_with = "hex_bytes")]
    hex: Vec<u8>,
}

fn hex_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    hex::decode(s).map_err(serde::de::Error::custom)
}

/// The compiled patterns: one glob set for names (the index of a glob
/// points back at its rule), and the signatures.
struct Patterns {
    names: GlobSet,
    name_rule: Vec<usize>,
    data: Data,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The data is part of the binary; a unit test proves it parses.
        let data: Data = serde_norway::from_str(DATA)
            .unwrap_or_else(|e| unreachable!("rules/db-files.yaml is embedded and tested: {e}"));
        let mut b = GlobSetBuilder::new();
        let mut name_rule = Vec::new();
        for (i, rule) in data.names.iter().enumerate() {
            for g in &rule.globs {
                if let Ok(glob) = GlobBuilder::new(g).case_insensitive(true).build() {
                    b.add(glob);
                    name_rule.push(i);
                }
            }
        }
        Patterns {
            names: b.build().unwrap_or_else(|_| GlobSet::empty()),
            name_rule,
            data,
        }
    })
}

/// The kind and description of a database file name, if it is one.
pub fn match_name(file_name: &str) -> Option<(&'static str, &'static str)> {
    let p = patterns();
    let first = p
        .names
        .matches(file_name)
        .into_iter()
        .map(|i| p.name_rule[i])
        .min()?;
    let rule = &p.data.names[first];
    Some((rule.kind.as_str(), rule.description.as_str()))
}

/// How many first bytes of a file [`match_content`] looks at.
pub fn signature_len() -> usize {
    static LEN: OnceLock<usize> = OnceLock::new();
    *LEN.get_or_init(|| {
        patterns()
            .data
            .signatures
            .iter()
            .flat_map(|s| s.parts.iter().map(|p| p.offset + p.hex.len()))
            .max()
            .unwrap_or(0)
    })
}

/// The kind and description of a database header, if `header` starts with
/// one.
pub fn match_content(header: &[u8]) -> Option<(&'static str, &'static str)> {
    patterns()
        .data
        .signatures
        .iter()
        .find(|s| {
            s.parts.iter().all(|part| {
                header
                    .get(part.offset..part.offset + part.hex.len())
                    .is_some_and(|b| b == part.hex.as_slice())
            })
        })
        .map(|s| (s.kind.as_str(), s.description.as_str()))
}

/// The `db-file` family.
pub struct DbFiles;

impl Rule for DbFiles {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::DbFile]
    }

    fn check_file(
        &self,
        ctx: &Context<'_>,
        file: &FileInput<'_>,
        out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        if file.change.mode == EntryMode::Submodule {
            return Ok(());
        }
        let verb = presence(ctx.set.mode);
        // Content first: it is the stronger evidence. Symlinks hold a path,
        // never database bytes, and are never followed.
        if file.change.mode != EntryMode::Symlink
            && let Some((kind, desc)) = match_content(&file.signature(signature_len())?)
        {
            let how = if match_name(file.change.file_name()).is_some() {
                ""
            } else {
                " (recognised by its content, whatever its name)"
            };
            out.push(
                Finding::new(RuleId::DbFile, file.path(), format!("{desc}{how} {verb}")).kind(kind),
            );
            return Ok(());
        }
        if let Some((kind, desc)) = match_name(file.change.file_name()) {
            let what = if file.change.mode == EntryMode::Symlink {
                format!("symlink named like a {desc}")
            } else {
                format!("{desc} (by its name)")
            };
            out.push(
                Finding::new(RuleId::DbFile, file.path(), format!("{what} {verb}")).kind(kind),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses_and_every_glob_compiles() {
        let p = patterns();
        let globs: usize = p.data.names.iter().map(|r| r.globs.len()).sum();
        assert_eq!(
            globs,
            p.name_rule.len(),
            "a glob in rules/db-files.yaml does not compile"
        );
        assert!(!p.data.signatures.is_empty());
    }

    #[test]
    fn names_match_case_insensitively_with_the_right_kind() {
        for (name, kind) in [
            ("app.db", "sqlite"),
            ("APP.DB", "sqlite"),
            ("data.sqlite", "sqlite"),
            ("data.SQLite3", "sqlite"),
            ("app.db-journal", "sqlite-journal"),
            ("app.db-wal", "sqlite-wal"),
            ("app.sqlite3-shm", "sqlite-shm"),
            ("app.sqlite-wal", "sqlite-wal"),
            ("app.db.backup", "db-backup"),
            ("app.sqlite.bak", "db-backup"),
            ("app.db.bak2", "db-backup"),
            ("test.mv.db", "h2"),
            ("warehouse.duckdb", "duckdb"),
            ("legacy.mdb", "access"),
            ("legacy.accdb", "access"),
        ] {
            assert_eq!(match_name(name).map(|m| m.0), Some(kind), "{name}");
        }
        for name in [
            "db.py",
            "schema.sql",
            "database.md",
            "logo.png",
            "dbt_project.yml",
            "app.dbml",
            "db",
            "sqlite.c",
        ] {
            assert_eq!(match_name(name), None, "{name}");
        }
    }

    #[test]
    fn the_signature_length_covers_every_signature_and_fits_a_header() {
        let n = signature_len();
        assert!(n > 0 && n <= crate::rules::HEADER_LEN, "{n}");
        // Every signature still matches when cut to that length.
        for s in &patterns().data.signatures {
            let mut header = vec![0u8; n];
            for part in &s.parts {
                header[part.offset..part.offset + part.hex.len()].copy_from_slice(&part.hex);
            }
            assert_eq!(match_content(&header).map(|m| m.0), Some(s.kind.as_str()));
        }
    }

    #[test]
    fn content_signatures_match_headers_only_at_their_offset() {
        assert_eq!(
            match_content(b"SQLite format 3\0rest").map(|m| m.0),
            Some("sqlite")
        );
        assert_eq!(
            match_content(b"SQLite format 3 is a file format").map(|m| m.0),
            None
        );
        assert_eq!(match_content(b"see: SQLite format 3\0").map(|m| m.0), None);
        assert_eq!(
            match_content(&[0x37, 0x7f, 0x06, 0x82, 0x00, 0x2d, 0xe2, 0x18, 0, 0]).map(|m| m.0),
            Some("sqlite-wal")
        );
        assert_eq!(
            match_content(&[0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]).map(|m| m.0),
            Some("sqlite-journal")
        );
        assert_eq!(
            match_content(b"\x01\x02\x03\x04\x05\x06\x07\x08DUCK\x40\0").map(|m| m.0),
            Some("duckdb")
        );
        assert_eq!(
            match_content(b"H:2,block:0,blockSize:1000").map(|m| m.0),
            Some("h2")
        );
        assert_eq!(
            match_content(b"\x00\x01\x00\x00Standard Jet DB\x00").map(|m| m.0),
            Some("access")
        );
        assert_eq!(match_content(b""), None);
        assert_eq!(match_content(b"\x89PNG\r\n\x1a\n"), None);
    }
}
