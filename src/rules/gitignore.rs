//! `db-gitignore`: the ignore rules git really applies keep database files
//! out.
//!
//! Not a text search for `*.db`: every `.gitignore` of the state being
//! checked (the index in staged mode, the working tree with `--all`, the
//! commit in range mode) plus `.git/info/exclude` and `core.excludesFile`
//! are compiled with the `ignore` crate's gitignore matcher, and for each
//! database pattern of `rules/db-gitignore.yaml` the rule asks whether git
//! would ignore an example file of that kind at the repository root, in a
//! subdirectory, and below every directory with its own `.gitignore`.
//! `/app.db`, `*.sqlite*` or a negation such as `!*.db` are thereby judged
//! by what they do, not by how they are written.
//!
//! `dbguard fix` uses the same matcher ([`IgnoreRules`],
//! [`missing_patterns`]) to decide what to add, so the rule and the fix
//! never disagree.

use std::path::Path;
use std::sync::OnceLock;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;

use super::{Context, Rule, RuleId, db_files};
use crate::changes::{ChangeSet, ContentReader, EntryMode, ExcludeFile, Mode, Snapshot, file_name};
use crate::finding::Finding;

const DATA: &str = include_str!("../../rules/db-gitignore.yaml");

/// The directory name used to probe whether a pattern also covers files
/// below the root (a `/app.db` pattern does not). Chosen so that no real
/// ignore rule is likely to name it.
const PROBE_DIR: &str = "dbguard-probe-dir";

/// A `.gitignore` larger than this is not read (git itself stops at
/// 100 MiB; real ones are a few kilobytes).
const MAX_IGNORE_FILE: u64 = 4 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    patterns: Vec<DbPattern>,
}

/// One database ignore pattern and an example file name it ignores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbPattern {
    /// The line `dbguard fix` writes to `.gitignore`.
    pub pattern: String,
    /// A file name the pattern must ignore, used to probe the real rules.
    pub example: String,
}

/// The database patterns, in the order `dbguard fix` writes them.
pub fn db_patterns() -> &'static [DbPattern] {
    static P: OnceLock<Vec<DbPattern>> = OnceLock::new();
    P.get_or_init(|| {
        // The data is part of the binary; a unit test proves it parses.
        let data: Data = serde_norway::from_str(DATA).unwrap_or_else(|e| {
            unreachable!("rules/db-gitignore.yaml is embedded and tested: {e}")
        });
        data.patterns
    })
}

/// One `.gitignore` file of the state being checked.
#[derive(Clone, Debug)]
pub struct IgnoreFile {
    /// The directory holding it, `/`-separated, `""` for the root.
    pub dir: String,
    pub content: Vec<u8>,
}

impl IgnoreFile {
    /// The `.gitignore` at repository path `path` with its content.
    pub fn at(path: &str, content: Vec<u8>) -> IgnoreFile {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        IgnoreFile { dir, content }
    }
}

/// What git's ignore rules say about one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Ignored (by a pattern, or because a parent directory is).
    Ignored,
    /// Explicitly re-included by a `!` pattern.
    Whitelisted,
    /// No pattern matches.
    Unmatched,
}

/// Git's ignore rules for one state of a repository: every `.gitignore`
/// (deeper files override shallower ones), then `.git/info/exclude`, then
/// `core.excludesFile`; a file inside an ignored directory is ignored
/// whatever deeper files say, because git never looks inside.
pub struct IgnoreRules {
    /// `(directory, matcher)`, deepest directory first.
    levels: Vec<(String, Gitignore)>,
    /// Repository-wide files, highest precedence first.
    base: Vec<Gitignore>,
}

/// Compiles one ignore file the way git reads it: `\n` or `\r\n` line ends,
/// a leading byte-order mark, lines that are not valid patterns skipped.
fn compile(content: &[u8], ignore_case: bool) -> Gitignore {
    let mut b = GitignoreBuilder::new(".");
    // Never fails (the signature is historical).
    let _ = b.case_insensitive(ignore_case);
    let text = crate::text::lossy(content);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Git skips a pattern it cannot parse; so does the matcher here.
        let _ = b.add_line(None, line);
    }
    b.build().unwrap_or_else(|_| Gitignore::empty())
}

fn decide(m: Match<&ignore::gitignore::Glob>) -> Option<Verdict> {
    match m {
        Match::Ignore(_) => Some(Verdict::Ignored),
        Match::Whitelist(_) => Some(Verdict::Whitelisted),
        Match::None => None,
    }
}

impl IgnoreRules {
    /// Compiles the tree's `.gitignore` files and the repository-wide
    /// exclude files (highest precedence first).
    pub fn new(files: &[IgnoreFile], excludes: &[ExcludeFile], ignore_case: bool) -> IgnoreRules {
        let mut levels: Vec<(String, Gitignore)> = files
            .iter()
            .map(|f| (f.dir.clone(), compile(&f.content, ignore_case)))
            .collect();
        levels.sort_by_key(|(dir, _)| std::cmp::Reverse(depth(dir)));
        let base = excludes
            .iter()
            .map(|e| compile(&e.content, ignore_case))
            .collect();
        IgnoreRules { levels, base }
    }

    /// The directories that have their own `.gitignore` (not the root).
    pub fn dirs(&self) -> impl Iterator<Item = &str> {
        self.levels
            .iter()
            .map(|(d, _)| d.as_str())
            .filter(|d| !d.is_empty())
    }

    /// What git would decide for `path` (repository-relative, `/`-separated).
    pub fn verdict(&self, path: &str, is_dir: bool) -> Verdict {
        // Top-down like git: once a directory is excluded, nothing inside
        // it can be re-included.
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            if self.matched_here(&path[..end], true) == Verdict::Ignored {
                return Verdict::Ignored;
            }
            end += 1;
        }
        self.matched_here(path, is_dir)
    }

    /// The decision for `path` itself, ignoring its parents.
    fn matched_here(&self, path: &str, is_dir: bool) -> Verdict {
        for (dir, gi) in &self.levels {
            let rel = if dir.is_empty() {
                path
            } else if let Some(rel) = path
                .strip_prefix(dir.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                rel
            } else {
                continue;
            };
            if let Some(v) = decide(gi.matched(Path::new(rel), is_dir)) {
                return v;
            }
        }
        for gi in &self.base {
            if let Some(v) = decide(gi.matched(Path::new(path), is_dir)) {
                return v;
            }
        }
        Verdict::Unmatched
    }
}

fn depth(dir: &str) -> usize {
    if dir.is_empty() {
        0
    } else {
        dir.matches('/').count() + 1
    }
}

/// The database patterns whose example git would not ignore at the root,
/// in a subdirectory, or below a directory with its own `.gitignore`.
pub fn missing_patterns(rules: &IgnoreRules) -> Vec<&'static DbPattern> {
    let mut dirs: Vec<&str> = vec!["", PROBE_DIR];
    dirs.extend(rules.dirs());
    db_patterns()
        .iter()
        .filter(|p| {
            dirs.iter().any(|d| {
                let path = if d.is_empty() {
                    p.example.clone()
                } else {
                    format!("{d}/{}", p.example)
                };
                rules.verdict(&path, false) != Verdict::Ignored
            })
        })
        .collect()
}

/// Every `.gitignore` of a snapshot with its content. Symlinks are skipped
/// (git does not follow an in-tree `.gitignore` symlink).
pub fn ignore_files(
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> anyhow::Result<Vec<IgnoreFile>> {
    let mut out = Vec::new();
    for e in snapshot.entries() {
        if file_name(e.path) != ".gitignore"
            || !matches!(e.mode, EntryMode::File | EntryMode::Executable)
        {
            continue;
        }
        if let Some(content) = reader.read(e.blob, MAX_IGNORE_FILE)? {
            out.push(IgnoreFile::at(e.path, content));
        }
    }
    Ok(out)
}

/// Whether a staged change (or a commit, or listed paths) is one the rule
/// should look at: it adds a file with a database name, or touches a
/// `.gitignore`. Any other change says nothing new about the ignore rules,
/// and warning about them on every commit would only teach people to skip
/// the hook.
fn is_relevant(set: &ChangeSet) -> bool {
    set.changes.iter().any(|c| {
        let touches_ignore = c.file_name() == ".gitignore"
            || c.old_path
                .as_deref()
                .is_some_and(|p| file_name(p) == ".gitignore");
        let adds_database = c.status.has_new_content()
            && c.mode != EntryMode::Submodule
            && db_files::match_name(c.file_name()).is_some();
        touches_ignore || adds_database
    })
}

/// The `db-gitignore` family.
pub struct DbGitignore;

impl Rule for DbGitignore {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::DbGitignore]
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
        if !(ctx.enabled)(RuleId::DbGitignore) {
            return Ok(());
        }
        if ctx.set.mode != Mode::All && !is_relevant(ctx.set) {
            return Ok(());
        }
        let tree = ctx.set.new_tree.get()?;
        let files = ignore_files(&tree, ctx.reader)?;
        // A commit is judged by what it carries to every clone; this
        // clone's info/exclude and core.excludesFile travel nowhere.
        let rules = if ctx.set.mode == Mode::Range {
            IgnoreRules::new(&files, &[], false)
        } else {
            let ex = &ctx.set.excludes;
            IgnoreRules::new(&files, &ex.files, ex.ignore_case)
        };
        let missing = missing_patterns(&rules);
        if missing.is_empty() {
            return Ok(());
        }
        let list: Vec<&str> = missing.iter().map(|p| p.pattern.as_str()).collect();
        out.push(
            Finding::new(
                RuleId::DbGitignore,
                ".gitignore",
                format!("database files are not ignored: {}", list.join(", ")),
            )
            .kind("missing-patterns"),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{Excludes, MemoryReader, memory_change_set};
    use crate::config::Config;
    use std::sync::Arc;

    fn rules(files: &[(&str, &str)]) -> IgnoreRules {
        let files: Vec<IgnoreFile> = files
            .iter()
            .map(|(p, c)| IgnoreFile::at(p, c.as_bytes().to_vec()))
            .collect();
        IgnoreRules::new(&files, &[], false)
    }

    fn missing(files: &[(&str, &str)]) -> Vec<&'static str> {
        missing_patterns(&rules(files))
            .iter()
            .map(|p| p.pattern.as_str())
            .collect()
    }

    fn all_patterns() -> String {
        db_patterns()
            .iter()
            .map(|p| format!("{}\n", p.pattern))
            .collect()
    }

    #[test]
    fn every_pattern_ignores_its_example_which_is_a_database_name() {
        assert!(!db_patterns().is_empty());
        for p in db_patterns() {
            let r = rules(&[(".gitignore", &p.pattern)]);
            assert_eq!(
                r.verdict(&p.example, false),
                Verdict::Ignored,
                "{}",
                p.pattern
            );
            assert_eq!(
                r.verdict(&format!("a/b/{}", p.example), false),
                Verdict::Ignored
            );
            assert!(db_files::match_name(&p.example).is_some(), "{}", p.example);
        }
    }

    #[test]
    fn nothing_ignored_means_every_pattern_is_missing() {
        assert_eq!(missing(&[]).len(), db_patterns().len());
        assert!(missing(&[(".gitignore", &all_patterns())]).is_empty());
    }

    #[test]
    fn a_pattern_is_judged_by_what_it_ignores_not_how_it_is_written() {
        let m = missing(&[(".gitignore", "*.sqlite*\n*.db*\n*.duckdb*\n")]);
        assert!(m.is_empty(), "{m:?}");
        // Anchored to the root: subdirectories are not covered.
        let m = missing(&[(".gitignore", &all_patterns().replace("*.db\n", "/*.db\n"))]);
        assert_eq!(m, ["*.db"]);
        // A directory pattern covers nothing at the root.
        let m = missing(&[(".gitignore", "data/\n")]);
        assert_eq!(m.len(), db_patterns().len());
    }

    #[test]
    fn negations_comments_and_crlf_are_read_as_git_reads_them() {
        let text = format!("# comment\n{}!*.sqlite3\n", all_patterns()).replace('\n', "\r\n");
        assert_eq!(missing(&[(".gitignore", &text)]), ["*.sqlite3"]);
        let keep = format!("{}!keep.db\n", all_patterns());
        let r = rules(&[(".gitignore", &keep)]);
        assert!(missing_patterns(&r).is_empty());
        assert_eq!(r.verdict("keep.db", false), Verdict::Whitelisted);
        assert_eq!(r.verdict("sub/keep.db", false), Verdict::Whitelisted);
        assert_eq!(r.verdict("other.db", false), Verdict::Ignored);
        assert_eq!(r.verdict("main.py", false), Verdict::Unmatched);
        // `\#` is a literal hash, a trailing escaped space is kept.
        let r = rules(&[(".gitignore", "\\#x.db\n")]);
        assert_eq!(r.verdict("#x.db", false), Verdict::Ignored);
    }

    #[test]
    fn deeper_files_override_and_ignored_directories_stay_ignored() {
        let root = all_patterns();
        // A nested negation re-includes database files below it.
        let m = missing(&[(".gitignore", &root), ("backend/.gitignore", "!*.db\n")]);
        assert_eq!(m, ["*.db"]);
        // ... unless the directory itself is ignored: git never looks inside.
        let r = rules(&[(".gitignore", "data/\n"), ("data/.gitignore", "!*.db\n")]);
        assert_eq!(r.verdict("data/app.db", false), Verdict::Ignored);
        assert_eq!(r.verdict("data", true), Verdict::Ignored);
        // A nested file that adds the patterns covers only its directory.
        let m = missing(&[("backend/.gitignore", &root)]);
        assert_eq!(m.len(), db_patterns().len());
        let r = rules(&[("backend/.gitignore", "/local.db\n")]);
        assert_eq!(r.verdict("backend/local.db", false), Verdict::Ignored);
        assert_eq!(r.verdict("backend/x/local.db", false), Verdict::Unmatched);
        assert_eq!(r.verdict("local.db", false), Verdict::Unmatched);
    }

    #[test]
    fn exclude_files_count_with_lower_precedence_and_ignore_case_applies() {
        let ex = [ExcludeFile {
            source: ".git/info/exclude".into(),
            content: all_patterns().into_bytes(),
        }];
        let r = IgnoreRules::new(&[], &ex, false);
        assert!(missing_patterns(&r).is_empty());
        let r = IgnoreRules::new(
            &[IgnoreFile::at(".gitignore", b"!*.db\n".to_vec())],
            &ex,
            false,
        );
        assert_eq!(
            missing_patterns(&r)
                .iter()
                .map(|p| p.pattern.as_str())
                .collect::<Vec<_>>(),
            ["*.db"]
        );
        let upper = all_patterns().to_uppercase();
        let files = [IgnoreFile::at(".gitignore", upper.into_bytes())];
        assert!(missing_patterns(&IgnoreRules::new(&files, &[], true)).is_empty());
        assert!(!missing_patterns(&IgnoreRules::new(&files, &[], false)).is_empty());
    }

    fn check(set: &ChangeSet) -> Vec<Finding> {
        let config = Config::default();
        let enabled = |_: RuleId| true;
        let ctx = Context::new(&config, set, &MemoryReader, &enabled);
        let mut out = Vec::new();
        DbGitignore.check_set(&ctx, &mut out).unwrap();
        out
    }

    #[test]
    fn staged_mode_runs_only_when_a_database_or_gitignore_is_staged() {
        let quiet = memory_change_set(Mode::Staged, &[], &[("src/main.py", b"x")]);
        assert!(check(&quiet).is_empty());
        let db = memory_change_set(Mode::Staged, &[], &[("data/app.sqlite3", b"x")]);
        let f = check(&db);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, ".gitignore");
        assert!(f[0].message.contains("*.sqlite3, "), "{}", f[0].message);
        let ignore = memory_change_set(Mode::Staged, &[], &[(".gitignore", b"*.pyc\n")]);
        assert_eq!(check(&ignore).len(), 1);
        let deleted = memory_change_set(Mode::Staged, &[("app.db", b"x")], &[]);
        assert!(
            check(&deleted).is_empty(),
            "removing a database is the cure"
        );
        let good = all_patterns();
        let fixed = memory_change_set(Mode::Staged, &[], &[(".gitignore", good.as_bytes())]);
        assert!(check(&fixed).is_empty());
    }

    #[test]
    fn all_mode_always_runs_and_range_mode_ignores_local_excludes() {
        let set = memory_change_set(Mode::All, &[], &[("src/main.py", b"x")]);
        assert_eq!(check(&set).len(), 1);
        let excludes = Arc::new(Excludes {
            files: vec![ExcludeFile {
                source: ".git/info/exclude".into(),
                content: all_patterns().into_bytes(),
            }],
            ignore_case: false,
        });
        let mut set = memory_change_set(Mode::All, &[], &[("src/main.py", b"x")]);
        set.excludes = Arc::clone(&excludes);
        assert!(check(&set).is_empty());
        let mut set = memory_change_set(Mode::Range, &[], &[("app.db", b"x")]);
        set.excludes = excludes;
        assert_eq!(check(&set).len(), 1);
    }
}
