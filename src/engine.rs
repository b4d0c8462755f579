//! Runs the rules over change sets and returns the findings: the middle of
//! source → files → rules → findings → report.
//!
//! Per-file rules run in parallel across every file of every change set;
//! in range mode each distinct blob is examined once, at the first commit
//! that introduced it. Set rules run once per change set. Selection,
//! severity overrides and path allowlists are applied here, so rules stay
//! ignorant of configuration they do not need.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::alembic::reuse;
use crate::changes::{
    Change, ChangeSet, ContentReader, EntryMode, MissingObject, Mode, ObjectId, Snapshot,
};
use crate::config::{Config, glob_set};
use crate::finding::{Finding, Severity};
use crate::rules::{self, Context, FileInput, Rule, RuleId};
use crate::suppress;

/// Files larger than this are not read as text unless the config says
/// otherwise (a 5 MB migration is still read).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 << 20;

/// Which rules run, from the config and the command line together.
pub struct Selection {
    enabled: Vec<RuleId>,
}

impl Selection {
    /// Combines the config with `--select` (replaces the config's select)
    /// and `--ignore` (adds to its ignore list).
    pub fn new(config: &Config, cli_select: &[RuleId], cli_ignore: &[RuleId]) -> Selection {
        let select: &[RuleId] = if cli_select.is_empty() {
            &config.select
        } else {
            cli_select
        };
        let enabled = RuleId::all()
            .filter(|r| select.is_empty() || select.contains(r))
            .filter(|r| !config.ignore.contains(r) && !cli_ignore.contains(r))
            .filter(|r| config.severity_of(*r).is_some())
            .collect();
        Selection { enabled }
    }

    /// Whether `rule` runs.
    pub fn is_enabled(&self, rule: RuleId) -> bool {
        self.enabled.contains(&rule)
    }
}

/// What a check found.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub files_scanned: usize,
    /// Files whose content the clone does not hold: everything else was
    /// checked, and the run fails once the report is written.
    pub unread: Vec<Unread>,
}

/// A file that could not be checked because its blob is missing (a
/// partial clone whose remote could not supply it, a damaged copy), at the
/// first commit that needed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub commit: Option<String>,
    pub path: String,
    pub blob: ObjectId,
}

impl Outcome {
    /// Number of findings at `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// How far a run has come, for a progress indicator on another thread.
/// The engine only bumps two atomic counters (cheap, lock-free); whoever
/// shows them owns the display, so rules and the engine never print.
#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicUsize,
    done: AtomicUsize,
}

impl Progress {
    /// Files to examine (known once the change sets are listed).
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Files examined so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
}

/// Runs every enabled rule over `sets` (one set, or the commits of a range
/// oldest first).
pub fn run(
    sets: &[ChangeSet],
    config: &Config,
    reader: &dyn ContentReader,
    selection: &Selection,
) -> anyhow::Result<Outcome> {
    run_with_progress(sets, config, reader, selection, &Progress::default())
}

/// [`run`], counting examined files in `progress` as it goes.
pub fn run_with_progress(
    sets: &[ChangeSet],
    config: &Config,
    reader: &dyn ContentReader,
    selection: &Selection,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    let mut scan = Scan::new(config, reader, selection, progress);
    scan.add(sets)?;
    Ok(scan.finish())
}

/// One check fed its change sets in batches (a long range, a batch of
/// commits at a time, oldest first), so that only the batch in flight is
/// in memory. The findings are those of [`run`] over all the sets at once,
/// in the same order: each distinct blob is still examined once per path,
/// at the first commit that introduced it.
pub struct Scan<'a> {
    config: &'a Config,
    reader: &'a dyn ContentReader,
    selection: &'a Selection,
    progress: &'a Progress,
    families: Vec<&'static dyn Rule>,
    allow: globset::GlobSet,
    max_size: u64,
    /// Each (blob, path) examined so far, the path by its number in
    /// `paths` (a history's paths repeat in every commit that touches
    /// them).
    seen: HashSet<(ObjectId, u32)>,
    paths: HashMap<Box<str>, u32>,
    /// Findings of the file checks and of the set checks, each in the
    /// order [`run`] lists them; joined, then sorted, at the end.
    file_findings: Vec<Finding>,
    set_findings: Vec<Finding>,
    /// How many of each list were left by the last [`keep_first`].
    file_kept: usize,
    set_kept: usize,
    /// (index of the set in the whole run, 0 file / 1 set check, what).
    missing: Vec<(usize, usize, Box<Unread>)>,
    files_scanned: usize,
    /// Sets fed so far.
    offset: usize,
    /// The Alembic environments of the last batch's trees, by tree id: the
    /// next batch's first commits start from their parents' (see
    /// [`plan_environments`]).
    environments: HashMap<ObjectId, Arc<reuse::Shared>>,
}

impl<'a> Scan<'a> {
    /// A check with nothing fed yet.
    pub fn new(
        config: &'a Config,
        reader: &'a dyn ContentReader,
        selection: &'a Selection,
        progress: &'a Progress,
    ) -> Scan<'a> {
        let families: Vec<&'static dyn Rule> = rules::families()
            .into_iter()
            .filter(|f| f.ids().iter().any(|id| selection.is_enabled(*id)))
            .collect();
        Scan {
            config,
            reader,
            selection,
            progress,
            families,
            allow: glob_set(&config.allow),
            max_size: config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            seen: HashSet::new(),
            paths: HashMap::new(),
            file_findings: Vec::new(),
            set_findings: Vec::new(),
            file_kept: 0,
            set_kept: 0,
            missing: Vec::new(),
            files_scanned: 0,
            offset: 0,
            environments: HashMap::new(),
        }
    }

    /// Checks the next sets (after those fed before, in history order).
    pub fn add(&mut self, sets: &[ChangeSet]) -> anyhow::Result<()> {
        let config = self.config;
        let reader = self.reader;
        let selection = self.selection;
        let progress = self.progress;
        let families = &self.families;
        let whole_read = families.iter().any(|f| f.reads_contents());
        let max_size = self.max_size;
        let enabled = |id: RuleId| selection.is_enabled(id);

        // Every file to examine, each distinct blob once per path (range
        // mode): rules judge names too, so the same bytes under two names
        // (two empty `.env` files, one database copied) are two files to
        // report.
        let mut work: Vec<(usize, &Change)> = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            for change in set.changes.iter() {
                if !change.status.has_new_content()
                    || change.mode == EntryMode::Submodule
                    || self.allow.is_match(&change.path)
                {
                    continue;
                }
                if set.mode == Mode::Range
                    && let Some(id) = change.new.as_ref().and_then(|b| b.object_id())
                {
                    let next = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
                    let path = match self.paths.get(change.path.as_str()) {
                        Some(&n) => n,
                        None => {
                            self.paths.insert(change.path.as_str().into(), next);
                            next
                        }
                    };
                    if !self.seen.insert((id, path)) {
                        continue;
                    }
                }
                work.push((i, change));
            }
        }
        self.files_scanned += work.len();
        progress.total.fetch_add(work.len(), Ordering::Relaxed);
        let environments = plan_environments(sets, &mut self.environments);

        // Set checks (revision graphs, the tree's migration environments)
        // do not wait for the file checks: with a few files staged, the
        // files keep one core busy and the set checks take the other.
        // One entry per file of the batch: the rare unread file is boxed
        // so that each entry stays four words.
        type Found = Vec<anyhow::Result<(Vec<Finding>, Option<Box<Unread>>)>>;
        let (per_file, per_set): (Found, Found) = rayon::join(
            || {
                work.par_iter()
                    .map(|(i, change)| {
                        let set = &sets[*i];
                        let ctx = Context::new(config, set, reader, &enabled);
                        let mut file = FileInput::new(change, reader, max_size);
                        if !whole_read {
                            file = file.no_whole_read();
                        }
                        let mut out = Vec::new();
                        let mut missing = None;
                        for family in families {
                            // A blob that cannot be had costs this file
                            // its content checks, not the run: the checks
                            // by name still report.
                            if let Err(e) = family.check_file(&ctx, &file, &mut out) {
                                missing = Some(MissingObject::find(&e).ok_or(e)?);
                            }
                        }
                        // Inline `dbguard: allow` comments, for every rule.
                        if missing.is_none()
                            && out.iter().any(|f| f.line.is_some())
                            && let Some(text) = file.content()?
                        {
                            out.retain(|f| {
                                f.line
                                    .is_none_or(|l| !suppress::is_suppressed(text, l, f.rule))
                            });
                        }
                        for f in &mut out {
                            f.commit.clone_from(&set.commit);
                        }
                        progress.done.fetch_add(1, Ordering::Relaxed);
                        let unread = missing.map(|blob| {
                            Box::new(Unread {
                                commit: set.commit.clone(),
                                path: change.path.clone(),
                                blob,
                            })
                        });
                        Ok((out, unread))
                    })
                    .collect()
            },
            || {
                sets.par_iter()
                    .zip(environments)
                    .map(|(set, (shared, before))| {
                        let ctx = Context::new(config, set, reader, &enabled)
                            .with_environments(shared, before);
                        let mut out = Vec::new();
                        let mut missing = None;
                        // A merge commit wrote nothing itself; only the
                        // families that judge the merged result (the
                        // revision graph) look at it.
                        for family in families
                            .iter()
                            .filter(|f| !set.is_merge || f.check_merges())
                        {
                            if let Err(e) = family.check_set(&ctx, &mut out) {
                                missing = Some(MissingObject::find(&e).ok_or(e)?);
                            }
                        }
                        for f in &mut out {
                            f.commit.clone_from(&set.commit);
                        }
                        let unread = missing.map(|blob| {
                            Box::new(Unread {
                                commit: set.commit.clone(),
                                path: path_of(set, blob),
                                blob,
                            })
                        });
                        Ok((out, unread))
                    })
                    .collect()
            },
        );

        // Each missing blob is named once, where the history first needed
        // it (files before set checks within a commit).
        for (r, (i, _)) in per_file.into_iter().zip(&work) {
            let (f, u) = r?;
            self.file_findings.extend(f);
            self.missing.extend(u.map(|u| (self.offset + *i, 0, u)));
        }
        for (i, r) in per_set.into_iter().enumerate() {
            let (f, u) = r?;
            self.set_findings.extend(f);
            self.missing.extend(u.map(|u| (self.offset + i, 1, u)));
        }
        self.offset += sets.len();
        // A finding that stays in the tree is found again in every commit
        // that rechecks it (a second head, a broken link): keep only the
        // first of each, as the report will.
        keep_first(&mut self.file_findings, &mut self.file_kept);
        keep_first(&mut self.set_findings, &mut self.set_kept);
        Ok(())
    }

    /// The findings of every set fed, filtered, sorted and without
    /// repeats.
    pub fn finish(self) -> Outcome {
        let Scan {
            config,
            selection,
            allow,
            file_findings,
            set_findings,
            mut missing,
            files_scanned,
            ..
        } = self;
        missing.sort_by_key(|(i, k, _)| (*i, *k));
        let mut named: HashSet<ObjectId> = HashSet::new();
        let unread: Vec<Unread> = missing
            .into_iter()
            .map(|(_, _, u)| *u)
            .filter(|u| named.insert(u.blob))
            .collect();
        let mut findings = file_findings;
        findings.extend(set_findings);
        findings.retain(|f| selection.is_enabled(f.rule) && !allow.is_match(&f.path));
        // Only a configured severity overrides: a rule may report some
        // findings below its default (a warning-level sub-kind).
        for f in &mut findings {
            if config.severity.contains_key(&f.rule)
                && let Some(sev) = config.severity_of(f.rule)
            {
                f.severity = sev;
            }
        }
        sort_and_dedup(&mut findings);
        Outcome {
            findings,
            files_scanned,
            unread,
        }
    }
}

/// Where each set of a batch keeps its Alembic environments, and where
/// those of its old tree are (when they may carry over): a set that
/// changed only files discovery never reads shares its parent's outright;
/// one that added or removed such files starts from its parent's and
/// checks the folders ([`reuse::Plan`]). The parent is found by tree id,
/// in this batch (sets come oldest first) or the last one (`by_tree`,
/// replaced by this batch's trees). A set whose parent is in neither (the
/// range's base, a merge of a long-lived branch, a root commit) finds its
/// own.
fn plan_environments(
    sets: &[ChangeSet],
    by_tree: &mut HashMap<ObjectId, Arc<reuse::Shared>>,
) -> Vec<(Arc<reuse::Shared>, Option<Arc<reuse::Shared>>)> {
    let last = std::mem::take(by_tree);
    let mut planned = Vec::with_capacity(sets.len());
    for set in sets {
        let parent = set
            .tree_ids
            .and_then(|(old, _)| old)
            .and_then(|t| by_tree.get(&t).or_else(|| last.get(&t)))
            .cloned();
        let (shared, before) = match (parent, reuse::plan(&set.changes)) {
            (Some(p), reuse::Plan::Same) => (p, None),
            (Some(p), reuse::Plan::Check) => (Arc::default(), Some(p)),
            _ => (Arc::default(), None),
        };
        if let Some((_, new)) = set.tree_ids {
            by_tree.insert(new, Arc::clone(&shared));
        }
        planned.push((shared, before));
    }
    planned
}

/// Where `blob` sits in the set's trees, for naming a missing blob that a
/// set check (which reads whole trees) ran into.
fn path_of(set: &ChangeSet, blob: ObjectId) -> String {
    let find = |s: &Snapshot| {
        s.entries()
            .iter()
            .find(|e| e.blob.object_id() == Some(blob))
            .map(|e| e.path.to_string())
    };
    [
        Some(&set.new_tree),
        Some(&set.old_tree),
        set.before_range.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|t| t.get().ok().and_then(|s| find(&s)))
    .unwrap_or_else(|| format!("(object {blob})"))
}

/// [`sort_and_dedup`] on `findings` once it has doubled since the last
/// time (`kept`: its length then). The report keeps the first of each
/// repeat in the order found, and so does this (a stable sort), so the
/// report is the same as if nothing had been dropped early.
fn keep_first(findings: &mut Vec<Finding>, kept: &mut usize) {
    if findings.len() > 2 * (*kept).max(512) {
        sort_and_dedup(findings);
        *kept = findings.len();
    }
}

/// Orders findings by commit order, then path, line, column and rule, and
/// drops exact repeats.
fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule, &a.message)
            .cmp(&(&b.path, b.line, b.column, b.rule, &b.message))
    });
    findings.dedup_by(|a, b| {
        a.path == b.path
            && a.line == b.line
            && a.column == b.column
            && a.rule == b.rule
            && a.message == b.message
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{MemoryReader, memory_change_set};

    fn check(config: &Config, files: &[(&str, &[u8])]) -> Vec<(String, RuleId)> {
        let set = memory_change_set(Mode::Staged, &[], files);
        let sel = Selection::new(config, &[], &[]);
        run(&[set], config, &MemoryReader, &sel)
            .unwrap()
            .findings
            .into_iter()
            .map(|f| (f.path, f.rule))
            .collect()
    }

    #[test]
    fn database_and_env_files_are_found_and_ordinary_files_pass() {
        let got = check(
            &Config::default(),
            &[
                ("app.db", b""),
                ("blob.bin", b"SQLite format 3\0\x10\x00"),
                (".env", b"A=1\n"),
                ("src/main.py", b"print('hi')\n"),
            ],
        );
        assert_eq!(
            got,
            [
                (".env".to_string(), RuleId::EnvFile),
                // Staging a database file also checks the ignore rules.
                (".gitignore".to_string(), RuleId::DbGitignore),
                ("app.db".to_string(), RuleId::DbFile),
                ("blob.bin".to_string(), RuleId::DbFile),
            ]
        );
    }

    #[test]
    fn allow_ignore_and_off_are_honoured() {
        let config = Config::parse(
            "allow: [fixtures/]\nseverity:\n  env-file: off\n",
            std::path::Path::new("c"),
        )
        .unwrap();
        let got = check(
            &config,
            &[("fixtures/a.db", b""), (".env", b""), ("b.db", b"")],
        );
        assert_eq!(
            got,
            [
                (".gitignore".to_string(), RuleId::DbGitignore),
                ("b.db".to_string(), RuleId::DbFile)
            ]
        );
        let config = Config::parse(
            "ignore: [db-file, db-gitignore]\n",
            std::path::Path::new("c"),
        )
        .unwrap();
        assert_eq!(check(&config, &[("b.db", b"")]), []);
    }

    #[test]
    fn severity_override_applies() {
        let config =
            Config::parse("severity:\n  db-file: warning\n", std::path::Path::new("c")).unwrap();
        let set = memory_change_set(Mode::Staged, &[], &[("b.db", b"")]);
        let sel = Selection::new(&config, &[], &[]);
        let out = run(&[set], &config, &MemoryReader, &sel).unwrap();
        assert_eq!(out.findings[0].severity, Severity::Warning);
        assert_eq!(out.count(Severity::Error), 0);
    }

    #[test]
    fn progress_counts_every_examined_file() {
        let set = memory_change_set(
            Mode::Staged,
            &[],
            &[("a.db", b""), ("b.py", b"x = 1\n"), ("c.txt", b"c")],
        );
        let config = Config::default();
        let sel = Selection::new(&config, &[], &[]);
        let progress = Progress::default();
        run_with_progress(&[set], &config, &MemoryReader, &sel, &progress).unwrap();
        assert_eq!((progress.done(), progress.total()), (3, 3));
    }

    /// A range checked in batches of any size finds what it finds checked
    /// whole, in the same order, with the same commits and counts: a blob
    /// seen in an earlier batch is not examined again, a finding repeated
    /// in later commits is reported once, at its first commit, and a
    /// commit whose parent is in an earlier batch still sees its old tree.
    #[test]
    fn a_range_checked_in_batches_finds_what_it_finds_whole() {
        use crate::git::{Repo, test_git};
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        test_git(p, &["init", "-q", "-b", "main"]);
        let commit = |n: usize, files: &[(&str, &str)]| {
            for (path, text) in files {
                let f = p.join(path);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(f, text).unwrap();
            }
            test_git(p, &["add", "-A"]);
            test_git(
                p,
                &["commit", "-q", "--allow-empty", "-m", &format!("c{n}")],
            );
        };
        let head = |rev: &str, down: &str| {
            format!(
                "revision = '{rev}'\ndown_revision = {down}\n\ndef upgrade():\n    op.create_table('t{rev}')\n\ndef downgrade():\n    pass\n"
            )
        };
        commit(
            0,
            &[
                ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
                ("migrations/env.py", ""),
                ("migrations/versions/a1_one.py", &head("a1", "None")),
            ],
        );
        // Two heads from here on: reported once, at this commit.
        commit(
            1,
            &[
                ("migrations/versions/b2_two.py", &head("b2", "'a1'")),
                ("migrations/versions/c3_three.py", &head("c3", "'a1'")),
            ],
        );
        commit(2, &[(".env", "A=1\n"), ("app.db", "")]);
        commit(
            3,
            &[(
                "db.py",
                "def f(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n",
            )],
        );
        commit(
            4,
            &[(
                "settings.py",
                // A fake credential the engine test expects to find. dbguard: allow credential
                "DATABASE_URL = 'postgresql://app:s3cretpw@db/app'\n",
            )],
        );
        // The same .env bytes again, and under a second name.
        commit(
            5,
            &[
                (".env", "A=1\n"),
                ("copy/.env", "A=1\n"),
                ("db.py", "x = 1\n"),
            ],
        );
        commit(
            6,
            &[(
                "db.py",
                "def f(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n",
            )],
        );
        commit(7, &[("readme.md", "hi\n")]);

        let repo = Repo::open(p).unwrap();
        let config = Config::default();
        let sel = Selection::new(&config, &[], &[]);
        let store = repo.store();
        let whole = run(&repo.range("HEAD").unwrap(), &config, store.as_ref(), &sel).unwrap();
        let shown = |o: &Outcome| {
            o.findings
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
        };
        assert!(whole.findings.len() >= 5, "{:?}", shown(&whole));
        let rules: HashSet<RuleId> = whole.findings.iter().map(|f| f.rule).collect();
        for r in [
            RuleId::MigrationMultipleHeads,
            RuleId::EnvFile,
            RuleId::DbFile,
            RuleId::SqlInjection,
            RuleId::Credential,
        ] {
            assert!(rules.contains(&r), "{r:?} in {:?}", shown(&whole));
        }
        for batch in [1, 2, 3] {
            let progress = Progress::default();
            let mut scan = Scan::new(&config, store.as_ref(), &sel, &progress);
            repo.range_batches("HEAD", Some(batch), &mut |sets| scan.add(&sets))
                .unwrap();
            let got = scan.finish();
            assert_eq!(shown(&got), shown(&whole), "batches of {batch}");
            assert_eq!(got.files_scanned, whole.files_scanned, "batches of {batch}");
            assert_eq!(progress.total(), whole.files_scanned);
        }
    }

    #[test]
    fn keep_first_drops_later_repeats_only() {
        let f = |path: &str, commit: &str| {
            let mut f = Finding::new(RuleId::EnvFile, path, "m");
            f.commit = Some(commit.into());
            f
        };
        let mut all: Vec<Finding> = (0..1200)
            .map(|i| f(&format!("p{}", i % 7), &i.to_string()))
            .collect();
        let mut whole = all.clone();
        sort_and_dedup(&mut whole);
        let mut kept = 0;
        keep_first(&mut all, &mut kept);
        assert_eq!(kept, 7);
        all.extend((0..5).map(|i| f("p3", &format!("late{i}"))));
        sort_and_dedup(&mut all);
        assert_eq!(all, whole);
        assert_eq!(all[3].commit.as_deref(), Some("3"));
    }

    #[test]
    fn deletions_are_never_findings() {
        let set = memory_change_set(Mode::Staged, &[("app.db", b"SQLite format 3\0")], &[]);
        let config = Config::default();
        let sel = Selection::new(&config, &[], &[]);
        let out = run(&[set], &config, &MemoryReader, &sel).unwrap();
        assert!(out.findings.is_empty());
        assert_eq!(out.files_scanned, 0);
    }
}
