//! The rule registry: stable rule ids, their documentation, and the rule
//! families that implement them.
//!
//! A rule id is a public interface (config files, baselines, SARIF alerts
//! and users' muscle memory depend on it): never rename one. Each family
//! lives in its own file with its unit tests; a family may report several
//! ids (the migration family reports every `migration-*` id).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::alembic::{Environment, reuse};
use crate::changes::{BlobRef, Change, ChangeSet, ContentReader, EntryMode, Snapshot, Sniffed};
use crate::config::Config;
use crate::finding::{Finding, Severity};

pub mod credentials;
pub mod db_files;
mod destructive;
pub mod env_files;
pub mod gitignore;
mod head_types;
mod migration_files;
pub mod migration_ops;
pub mod migration_safety;
pub mod migrations;
pub mod model_facts;
mod model_findings;
pub mod model_head;
pub mod model_migration;
pub mod sql_injection;

/// Every rule dbguard knows, in the order `dbguard rules` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    DbFile,
    DbGitignore,
    Credential,
    EnvFile,
    ModelWithoutMigration,
    DowngradeMissing,
    DowngradeEmpty,
    MigrationMultipleHeads,
    MigrationBrokenLink,
    MigrationDuplicateRevision,
    MigrationCycle,
    MigrationParseError,
    MigrationFilename,
    MigrationEdited,
    MigrationUndocumentedDestructive,
    DowngradeAsymmetric,
    SqlInjection,
    MigrationNotNullWithoutDefault,
    MigrationBlockingIndex,
    MigrationTableRewrite,
    MigrationBreakingRename,
    MigrationDropStillMapped,
}

/// What `dbguard rules` and the reports need to know about one rule.
pub struct RuleInfo {
    pub id: RuleId,
    pub default_severity: Severity,
    /// One line: what the rule enforces.
    pub summary: &'static str,
    /// The generic fix, printed under a finding that has no specific hint.
    pub hint: &'static str,
    /// The rule's documentation (markdown with the headings
    /// `## What it checks`, `## Why`, `## How to fix`, `## Example`).
    pub doc: &'static str,
}

macro_rules! rule_table {
    ($( $variant:ident => $id:literal, $sev:ident, $summary:literal, $hint:literal; )*) => {
        /// The registry, one entry per rule id.
        pub const RULES: &[RuleInfo] = &[
            $( RuleInfo {
                id: RuleId::$variant,
                default_severity: Severity::$sev,
                summary: $summary,
                hint: $hint,
                doc: include_str!(concat!("../../docs/rules/", $id, ".md")),
            }, )*
        ];

        impl RuleId {
            /// The stable id users write in configs and suppressions.
            pub fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )* }
            }
        }

        impl FromStr for RuleId {
            type Err = String;
            fn from_str(s: &str) -> Result<RuleId, String> {
                match s {
                    $( $id => Ok(RuleId::$variant), )*
                    _ => Err(format!(
                        "unknown rule `{s}`{} (run `dbguard rules` for the list)",
                        did_you_mean(s).map(|id| format!("; did you mean `{id}`?")).unwrap_or_default()
                    )),
                }
            }
        }
    };
}

rule_table! {
    DbFile => "db-file", Error,
        "Database files, journals, WAL/SHM files and backups are never committed",
        "unstage it with `dbguard fix` (the file stays on disk) and keep it out with a .gitignore pattern";
    DbGitignore => "db-gitignore", Warning,
        ".gitignore keeps database files out",
        "run `dbguard fix` to add the missing patterns to .gitignore";
    Credential => "credential", Error,
        "Credentials (connection strings, passwords, keys) are never committed",
        "read the secret from the environment (os.environ / ${VAR}), rotate it, and mark a false alarm with `# dbguard: allow`";
    EnvFile => "env-file", Error,
        "A real .env file is never committed (.env.example is fine)",
        "unstage it with `dbguard fix`, add it to .gitignore, and commit a .env.example with placeholders instead";
    ModelWithoutMigration => "model-without-migration", Error,
        "Every schema change in the models comes with an Alembic migration",
        "generate one with `alembic revision --autogenerate -m \"describe the change\"` and stage it";
    DowngradeMissing => "downgrade-missing", Error,
        "Every migration defines downgrade()",
        "add a downgrade() that undoes upgrade(), or raise NotImplementedError to mark it irreversible on purpose";
    DowngradeEmpty => "downgrade-empty", Error,
        "downgrade() is not empty while upgrade() does something",
        "implement downgrade() so that it undoes upgrade(), or raise NotImplementedError to mark it irreversible on purpose";
    MigrationMultipleHeads => "migration-multiple-heads", Error,
        "The revision graph has one head per labelled branch",
        "merge the heads with `alembic merge heads -m \"merge\"`";
    MigrationBrokenLink => "migration-broken-link", Error,
        "Every down_revision and depends_on names an existing revision",
        "point down_revision at an existing revision (see `dbguard migrations`)";
    MigrationDuplicateRevision => "migration-duplicate-revision", Error,
        "Revision ids are unique",
        "give one of the migrations a new revision id and fix the down_revision that points at it";
    MigrationCycle => "migration-cycle", Error,
        "The revision graph has no cycle",
        "fix the down_revision that points back at a later revision";
    MigrationParseError => "migration-parse-error", Error,
        "A migration's identifiers can be read",
        "make `revision` and `down_revision` plain string literals (or None) at module level";
    MigrationFilename => "migration-filename", Warning,
        "Migration file names follow <revision>_<slug>.py",
        "rename the file to `<revision>_<slug>.py` (or the environment's file_template)";
    MigrationEdited => "migration-edited", Warning,
        "A committed migration is not rewritten",
        "leave applied migrations alone and write a new migration for the change";
    MigrationUndocumentedDestructive => "migration-undocumented-destructive", Warning,
        "Destructive operations are documented in a comment or docstring",
        "explain the drop or type change (data loss, backfill, rollback) in a comment next to it or in the docstring";
    DowngradeAsymmetric => "downgrade-asymmetric", Warning,
        "downgrade() undoes what upgrade() does",
        "add the inverse operation to downgrade() (drop_table for create_table, drop_column for add_column, ...)";
    SqlInjection => "sql-injection", Warning,
        "SQL is parameterized, not built with f-strings, %, .format or +",
        "pass values as bound parameters: text(\"... WHERE id = :id\"), {\"id\": value}";
    MigrationNotNullWithoutDefault => "migration-not-null-without-default", Warning,
        "A new NOT NULL column on an existing table has a server default or a backfill",
        "give the column a server_default (or add it nullable, backfill, then set NOT NULL)";
    MigrationBlockingIndex => "migration-blocking-index", Warning,
        "Indexes on existing PostgreSQL tables are built concurrently",
        "pass postgresql_concurrently=True inside `with op.get_context().autocommit_block():`";
    MigrationTableRewrite => "migration-table-rewrite", Warning,
        "A migration does not make the database rewrite a table",
        "add a new column, backfill it in batches, switch the code over, then drop the old one";
    MigrationBreakingRename => "migration-breaking-rename", Warning,
        "Renames keep the running code working (expand/contract)",
        "expand/contract: add the new name, backfill, switch the code, drop the old name in a later release";
    MigrationDropStillMapped => "migration-drop-still-mapped", Warning,
        "A dropped column or table is no longer mapped by the models",
        "remove the column or table from the models first (or in the same change), then drop it";
}

/// The rule id closest to a mistyped one, when one is close enough to be
/// what the user meant.
fn did_you_mean(s: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (strsim::jaro_winkler(s, r.id.as_str()), r.id.as_str()))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

impl RuleId {
    /// Registry entry for this id.
    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|r| r.id == self)
            .unwrap_or_else(|| unreachable!("every RuleId is in RULES"))
    }

    /// Severity before configuration.
    pub fn default_severity(self) -> Severity {
        self.info().default_severity
    }

    /// Every rule id.
    pub fn all() -> impl Iterator<Item = RuleId> {
        RULES.iter().map(|r| r.id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How a finding's message says where the file is, for each mode.
pub fn presence(mode: crate::changes::Mode) -> &'static str {
    use crate::changes::Mode;
    match mode {
        Mode::Staged => "is staged for commit",
        Mode::All => "is tracked by git",
        Mode::Paths => "is about to be committed",
        Mode::Range => "was committed",
    }
}

/// How many bytes of a file content sniffing reads: enough for every
/// signature and for a binary check, never the whole of a large file.
pub const HEADER_LEN: usize = 8192;

/// What every rule sees: the configuration, the change set being checked
/// and a way to read content. Never git2, never the output format.
pub struct Context<'a> {
    pub config: &'a Config,
    pub set: &'a ChangeSet,
    pub reader: &'a dyn ContentReader,
    /// Rules enabled for this run; a family skips work for ids that are off.
    pub enabled: &'a dyn Fn(RuleId) -> bool,
    /// The Alembic environments of `set`'s new tree, found by the first
    /// family that asks (several do; finding them walks the whole tree),
    /// possibly shared with other sets whose trees have the same ones.
    environments: Arc<reuse::Shared>,
    /// Those of `set`'s old tree, when known: taken up when the set's
    /// changes cannot have changed them (see [`reuse`]).
    before: Option<Arc<reuse::Shared>>,
}

impl<'a> Context<'a> {
    /// The context of one change set.
    pub fn new(
        config: &'a Config,
        set: &'a ChangeSet,
        reader: &'a dyn ContentReader,
        enabled: &'a dyn Fn(RuleId) -> bool,
    ) -> Context<'a> {
        Context {
            config,
            set,
            reader,
            enabled,
            environments: Arc::default(),
            before: None,
        }
    }

    /// This context with the set's environments kept in `shared` (shared
    /// with the other sets of a range whose trees have the same ones), and
    /// those of its old tree in `before` (see [`reuse`]).
    pub fn with_environments(
        mut self,
        shared: Arc<reuse::Shared>,
        before: Option<Arc<reuse::Shared>>,
    ) -> Context<'a> {
        self.environments = shared;
        self.before = before;
        self
    }

    /// [`Context::environments`] when there are any. A range commit whose
    /// environments are known from its parent's (none, in the years before
    /// a project adopted Alembic) does not load its tree to learn that.
    #[allow(clippy::type_complexity)]
    pub fn environments_if_any(&self) -> anyhow::Result<Option<(Arc<Snapshot>, &[Environment])>> {
        if self
            .environments
            .get()
            .is_some_and(|found| found.environments.is_empty())
        {
            return Ok(None);
        }
        let (snapshot, envs) = self.environments()?;
        Ok((!envs.is_empty()).then_some((snapshot, envs)))
    }

    /// The set's new tree and the Alembic environments in it.
    pub fn environments(&self) -> anyhow::Result<(Arc<Snapshot>, &[Environment])> {
        let snapshot = self.set.new_tree.get()?;
        let found = self.environments.get_or_find(
            &snapshot,
            &self.set.changes,
            self.before.as_deref(),
            self.reader,
            &self.config.migrations,
        );
        Ok((snapshot, &found.environments))
    }
}

/// One changed file as a rule sees it, with its content read lazily and
/// at most once whichever rules ask for it.
pub struct FileInput<'a> {
    pub change: &'a Change,
    reader: &'a dyn ContentReader,
    max_size: u64,
    header: std::cell::OnceCell<Vec<u8>>,
    content: std::cell::OnceCell<Option<Vec<u8>>>,
    /// Whether a rule will read the whole content after the header-only
    /// rules have looked (see [`Rule::reads_contents`]).
    whole_coming: bool,
}

impl<'a> FileInput<'a> {
    /// Wraps a change; `max_size` is the largest file whose whole content
    /// text rules may read.
    pub fn new(change: &'a Change, reader: &'a dyn ContentReader, max_size: u64) -> Self {
        FileInput {
            change,
            reader,
            max_size,
            header: Default::default(),
            content: Default::default(),
            whole_coming: true,
        }
    }

    /// Tells that no rule will read the whole content (only headers and
    /// names): then [`Self::signature`] reads just the bytes it is asked
    /// for, where otherwise it reads what a whole read can reuse.
    pub fn no_whole_read(mut self) -> Self {
        self.whole_coming = false;
        self
    }

    /// Repository-relative path.
    pub fn path(&self) -> &str {
        &self.change.path
    }

    /// Whether there is content to read (not a deletion, not a submodule).
    pub fn has_content(&self) -> bool {
        self.change.new.is_some() && self.change.mode != EntryMode::Submodule
    }

    fn blob(&self) -> Option<&BlobRef> {
        if self.change.mode == EntryMode::Submodule {
            return None;
        }
        self.change.new.as_ref()
    }

    /// The first [`HEADER_LEN`] bytes, read without reading the rest when
    /// the storage allows it (or taken from the whole content when some rule
    /// already read it).
    pub fn header(&self) -> anyhow::Result<&[u8]> {
        if let Some(Some(all)) = self.content.get() {
            return Ok(&all[..all.len().min(HEADER_LEN)]);
        }
        if let Some(h) = self.header.get() {
            return Ok(h);
        }
        let h = match self.blob() {
            Some(b) => match self.reader.sniff(b, HEADER_LEN, self.max_size)? {
                Sniffed::Head(h) => h,
                Sniffed::Whole(all) => {
                    let all = self.content.get_or_init(|| Some(all));
                    let all = all.as_deref().unwrap_or_default();
                    return Ok(&all[..all.len().min(HEADER_LEN)]);
                }
            },
            None => Vec::new(),
        };
        Ok(self.header.get_or_init(|| h))
    }

    /// The first `n` bytes (at most [`HEADER_LEN`]), for rules that look
    /// at nothing more (content signatures). When no rule reads the whole
    /// file, only these bytes are read: a packed blob's first bytes cost a
    /// few small inflates down its delta chain, where the header that
    /// [`Self::header`] gives costs the whole blob.
    pub fn signature(&self, n: usize) -> anyhow::Result<std::borrow::Cow<'_, [u8]>> {
        let n = n.min(HEADER_LEN);
        let cached = self.header.get().is_some() || self.content.get().is_some();
        if self.whole_coming || cached {
            let h = self.header()?;
            return Ok(std::borrow::Cow::Borrowed(&h[..n.min(h.len())]));
        }
        Ok(std::borrow::Cow::Owned(match self.blob() {
            Some(b) => self.reader.head(b, n)?,
            None => Vec::new(),
        }))
    }

    /// Whether the file looks binary (a NUL byte in its header), the way
    /// git and ripgrep decide.
    pub fn is_binary(&self) -> anyhow::Result<bool> {
        Ok(memchr::memchr(0, self.header()?).is_some())
    }

    /// The whole content, or `None` for a deletion, a submodule or a file
    /// larger than the configured limit.
    pub fn content(&self) -> anyhow::Result<Option<&[u8]>> {
        if let Some(c) = self.content.get() {
            return Ok(c.as_deref());
        }
        let c = match self.blob() {
            Some(b) => self.reader.read(b, self.max_size)?,
            None => None,
        };
        Ok(self.content.get_or_init(|| c).as_deref())
    }

    /// The content before the change, for rules that compare versions.
    pub fn old_content(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match &self.change.old {
            Some(b) if self.change.mode != EntryMode::Submodule => {
                self.reader.read(b, self.max_size)
            }
            _ => Ok(None),
        }
    }
}

/// A rule family. Per-file checks run in parallel across files; set checks
/// run once per change set (once per commit in range mode).
pub trait Rule: Sync {
    /// The ids this family can report.
    fn ids(&self) -> &'static [RuleId];

    /// Checks one file that has new content (never a deletion).
    fn check_file(
        &self,
        _ctx: &Context<'_>,
        _file: &FileInput<'_>,
        _out: &mut Vec<Finding>,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    /// Whether [`Self::check_file`] may read files' whole content: when no
    /// enabled family does, rules that need only a file's first bytes read
    /// only those.
    fn reads_contents(&self) -> bool {
        false
    }

    /// Checks the change set as a whole (graphs, cross-file rules).
    fn check_set(&self, _ctx: &Context<'_>, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }

    /// Whether `check_set` also runs on merge commits (range mode). Most
    /// rules judge what a commit wrote, which a merge did not; the revision
    /// graph is different: a merge is where two branches' migrations meet
    /// and fork the history.
    fn check_merges(&self) -> bool {
        false
    }
}

/// Every rule family, in the order they run.
pub fn families() -> Vec<&'static dyn Rule> {
    vec![
        &db_files::DbFiles as &dyn Rule,
        &env_files::EnvFiles,
        &sql_injection::SqlInjection,
        &credentials::Credentials,
        &migration_ops::MigrationOps,
        &migration_safety::MigrationSafety,
        &model_migration::ModelMigration,
        &gitignore::DbGitignore,
        &migrations::Migrations,
    ]
}

/// Prepares, on a detached thread, what the enabled rules compile on
/// first use (the credential detector table and placeholder regexes,
/// sql-injection's regexes), while git lists the changes with a core
/// idle. Nothing waits for it: whichever thread needs a regex first
/// compiles it, once.
pub fn warm_up_in_background(enabled: impl Fn(RuleId) -> bool) {
    let credentials = enabled(RuleId::Credential);
    let sql = enabled(RuleId::SqlInjection);
    if !(credentials || sql) {
        return;
    }
    // Detached: the process may end before it does (nothing staged).
    std::thread::spawn(move || {
        if credentials {
            crate::secrets::warm_up();
        }
        if sql {
            sql_injection::warm_up();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set known to have no environments (its parent's, shared) is
    /// answered without its tree: here a tree that cannot be loaded.
    #[test]
    fn known_empty_environments_do_not_load_the_tree() {
        use crate::changes::{LazySnapshot, MemoryReader, Mode, memory_change_set};
        let config = Config::default();
        let mut set = memory_change_set(Mode::Range, &[], &[("app.py", b"x = 1\n")]);
        set.new_tree = LazySnapshot::new(|| anyhow::bail!("tree loaded"));
        let enabled = |_: RuleId| true;
        let parent = Arc::new(reuse::Shared::default());
        parent.get_or_find(
            &Snapshot::default(),
            &[],
            None,
            &MemoryReader,
            &config.migrations,
        );
        let ctx = Context::new(&config, &set, &MemoryReader, &enabled)
            .with_environments(Arc::clone(&parent), None);
        assert!(ctx.environments_if_any().unwrap().is_none());
        // Not known yet: the tree is needed, and its error comes through.
        let ctx = Context::new(&config, &set, &MemoryReader, &enabled);
        let err = ctx.environments_if_any().unwrap_err();
        assert!(format!("{err:#}").contains("tree loaded"), "{err:#}");
    }

    #[test]
    fn every_rule_round_trips_through_its_id() {
        for info in RULES {
            assert_eq!(info.id.as_str().parse::<RuleId>(), Ok(info.id));
        }
        assert_eq!(RULES.len(), 22);
    }

    #[test]
    fn every_rule_doc_has_the_same_headings() {
        for info in RULES {
            for heading in ["## What it checks", "## Why", "## How to fix", "## Example"] {
                assert!(
                    info.doc.contains(heading),
                    "docs/rules/{}.md lacks `{heading}`",
                    info.id
                );
            }
            assert!(
                info.doc.starts_with(&format!("# {}", info.id)),
                "docs/rules/{}.md must start with `# {}`",
                info.id,
                info.id
            );
        }
    }

    #[test]
    fn unknown_rule_names_the_way_out() {
        let err = "db-files".parse::<RuleId>().unwrap_err();
        assert!(err.contains("dbguard rules"), "{err}");
        assert!(err.contains("did you mean `db-file`?"), "{err}");
        let err = "credentials".parse::<RuleId>().unwrap_err();
        assert!(err.contains("did you mean `credential`?"), "{err}");
        let err = "nothing-like-it".parse::<RuleId>().unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }
}
