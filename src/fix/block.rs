//! Adds database patterns to a `.gitignore` without disturbing it.
//!
//! The patterns go into one marked block (`# dbguard: database files`):
//! appended at the end the first time, extended in place later. Every byte
//! that was there stays where it was: lines, their order, comments, CRLF
//! line endings, a missing final newline (a line separator is added only
//! when the new lines need one). New lines use the file's own line ending.
//!
//! A pattern added at the end overrides every earlier line, including a
//! user's exception such as `!keep.db`: such exceptions that the new
//! patterns would override are restated after them, so that what the user
//! re-included stays re-included.

use crate::rules::db_files;
use crate::rules::gitignore::{IgnoreFile, IgnoreRules, Verdict};

/// The comment line that opens dbguard's block.
pub const MARKER: &str = "# dbguard: database files";

/// One line of a file: `start..end` is its text without the line ending,
/// `next` where the following line starts.
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

fn lines(content: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < content.len() {
        let (end, next) = match memchr::memchr(b'\n', &content[start..]) {
            Some(i) => (start + i, start + i + 1),
            None => (content.len(), content.len()),
        };
        let text_end = if end > start && content[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        out.push(Line {
            start,
            end: text_end,
            next,
        });
        start = next;
    }
    out
}

/// The file's line ending: that of its first line, `\n` for a file
/// without any.
fn line_ending(content: &[u8]) -> &'static str {
    match memchr::memchr(b'\n', content) {
        Some(i) if i > 0 && content[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

fn text(content: &[u8], l: &Line) -> String {
    String::from_utf8_lossy(&content[l.start..l.end]).into_owned()
}

/// Where new patterns go: after the last line of an existing block (the
/// marker and the non-blank lines right below it), else at the end.
fn insertion_point(content: &[u8], lines: &[Line]) -> (usize, bool) {
    let Some(m) = lines.iter().position(|l| text(content, l).trim() == MARKER) else {
        return (content.len(), false);
    };
    let mut last = m;
    while last + 1 < lines.len() && !text(content, &lines[last + 1]).trim().is_empty() {
        last += 1;
    }
    (lines[last].next, true)
}

/// Negation lines before `at` whose target the new patterns would ignore.
fn exceptions_to_restate(
    content: &[u8],
    lines: &[Line],
    at: usize,
    patterns: &[&str],
) -> Vec<String> {
    let added: String = patterns.iter().map(|p| format!("{p}\n")).collect();
    let new_rules = IgnoreRules::new(
        &[IgnoreFile::at(".gitignore", added.into_bytes())],
        &[],
        false,
    );
    let mut out: Vec<String> = Vec::new();
    for l in lines.iter().filter(|l| l.next <= at) {
        let line = text(content, l);
        let line = line.trim_end();
        let Some(target) = line.strip_prefix('!') else {
            continue;
        };
        let name = target
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        if name.is_empty() || db_files::match_name(name).is_none() {
            continue;
        }
        if new_rules.verdict(name, false) == Verdict::Ignored && !out.iter().any(|o| o == line) {
            out.push(line.to_string());
        }
    }
    out
}

/// `content` with `patterns` added to dbguard's block (created at the end
/// when there is none). Nothing else changes.
pub fn add_patterns(content: &[u8], patterns: &[&str]) -> Vec<u8> {
    if patterns.is_empty() {
        return content.to_vec();
    }
    let eol = line_ending(content);
    let lines = lines(content);
    let (at, in_block) = insertion_point(content, &lines);
    let restate = exceptions_to_restate(content, &lines, at, patterns);
    let mut insert = String::new();
    if at > 0 && content[at - 1] != b'\n' {
        insert.push_str(eol);
    }
    if !in_block {
        insert.push_str(MARKER);
        insert.push_str(eol);
    }
    for line in patterns
        .iter()
        .copied()
        .chain(restate.iter().map(String::as_str))
    {
        insert.push_str(line);
        insert.push_str(eol);
    }
    let mut out = Vec::with_capacity(content.len() + insert.len());
    out.extend_from_slice(&content[..at]);
    out.extend_from_slice(insert.as_bytes());
    out.extend_from_slice(&content[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(content: &str, patterns: &[&str]) -> String {
        String::from_utf8(add_patterns(content.as_bytes(), patterns)).unwrap()
    }

    #[test]
    fn a_new_file_gets_just_the_block() {
        assert_eq!(
            add("", &["*.db", "*.sqlite"]),
            format!("{MARKER}\n*.db\n*.sqlite\n")
        );
    }

    #[test]
    fn appending_keeps_every_byte_and_adds_a_separator_only_when_needed() {
        let before = "# build output\ntarget/\n\n*.log\n";
        let after = add(before, &["*.db"]);
        assert_eq!(after, format!("{before}{MARKER}\n*.db\n"));
        let before = "target/\n*.log";
        assert_eq!(
            add(before, &["*.db"]),
            format!("{before}\n{MARKER}\n*.db\n")
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let before = "target/\r\n*.log";
        assert_eq!(
            add(before, &["*.db", "*.db-wal"]),
            format!("{before}\r\n{MARKER}\r\n*.db\r\n*.db-wal\r\n")
        );
    }

    #[test]
    fn an_existing_block_is_extended_in_place() {
        let before = format!("a/\n{MARKER}\n*.db\n*.sqlite\n\n.env\n");
        assert_eq!(
            add(&before, &["*.db-wal"]),
            format!("a/\n{MARKER}\n*.db\n*.sqlite\n*.db-wal\n\n.env\n")
        );
        let before = format!("{MARKER}\r\n*.db");
        assert_eq!(
            add(&before, &["*.db-wal"]),
            format!("{MARKER}\r\n*.db\r\n*.db-wal\r\n")
        );
    }

    #[test]
    fn exceptions_the_new_patterns_would_override_are_restated_after_them() {
        let before = "!keep.db\n!fixtures/*.sqlite\n!docs/\n!notes.txt\n";
        assert_eq!(
            add(before, &["*.db", "*.db-wal"]),
            format!("{before}{MARKER}\n*.db\n*.db-wal\n!keep.db\n")
        );
        assert_eq!(
            add(before, &["*.sqlite"]),
            format!("{before}{MARKER}\n*.sqlite\n!fixtures/*.sqlite\n")
        );
    }
}
