//! `dbguard fix`: makes a repository clean without losing anyone's data.
//!
//! - staged database files and real `.env` files are unstaged: the index
//!   entry goes back to HEAD's, or away when HEAD has none;
//! - committed database files are removed from the index (`git rm
//!   --cached`), so the next commit removes them from the repository;
//! - the database patterns the ignore rules miss are added to the root
//!   `.gitignore` in one marked block (see [`block`]), in the working tree
//!   and, when `.gitignore` is tracked or created here, in the index;
//! - with `--clean`, untracked database artifacts are moved to the trash
//!   in the git directory (see [`clean`] and [`trash`]); `--restore`,
//!   `--list-trash` and `--empty-trash` work on that trash
//!   ([`trash_cmd`]).
//!
//! Working-tree files are never touched by the first two steps: a file
//! stays on disk byte for byte. Detection is the `db-file` rule's (name or
//! content) and the `env-file` rule's, with the same configuration (rules
//! that are off and `allow`ed paths are left alone), and the `.gitignore`
//! step asks the `db-gitignore` rule's matcher, so that `dbguard check`
//! agrees with the result.
//!
//! Everything is planned first from a plain read. Then, under git's index
//! lock, the plan is made again from the locked index (another process may
//! have changed it) and carried out: `.gitignore` written (temporary file
//! and rename), index published atomically, artifacts moved last. A
//! second run finds nothing to do.

mod block;
mod clean;
mod in_use;
mod mover;
mod trash;
mod trash_cmd;

pub use trash_cmd::{empty as empty_trash, list as list_trash, restore};

use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use rayon::prelude::*;

use crate::changes::{ContentReader, EntryMode, Excludes, file_name};
use crate::config::{Config, glob_set};
use crate::engine::Selection;
use crate::git::{IndexEdit, IndexedFile, Repo};
use crate::rules::gitignore::{IgnoreFile, IgnoreRules, missing_patterns};
use crate::rules::{HEADER_LEN, RuleId, db_files, env_files};

/// A `.gitignore` larger than this is not edited (nor is one git would
/// not read).
const MAX_IGNORE_FILE: u64 = 4 << 20;

/// How `dbguard fix` was asked to run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Print what would be done; change nothing.
    pub dry_run: bool,
    /// Also move untracked database artifacts to the trash.
    pub clean: bool,
}

/// What the configuration lets fix act on: exactly what `dbguard check`
/// would report.
struct Policy {
    db: bool,
    env: bool,
    gitignore: bool,
    allow: globset::GlobSet,
}

/// One line of output, in both tenses.
struct Msg {
    done: String,
    would: String,
}

impl Msg {
    /// A line that starts with a verb: `verb rest` once done, `would base
    /// rest` in a dry run.
    fn new(done: &str, base: &str, rest: String) -> Msg {
        Msg {
            done: format!("{done} {rest}"),
            would: format!("would {base} {rest}"),
        }
    }

    fn render(&self, dry_run: bool) -> String {
        if dry_run {
            self.would.clone()
        } else {
            self.done.clone()
        }
    }
}

enum Op {
    Remove,
    ResetToHead,
}

struct IndexAction {
    file: IndexedFile,
    op: Op,
    msg: Msg,
}

/// The new content of the root `.gitignore` (working tree or index).
struct IgnoreEdit {
    content: Vec<u8>,
    added: Vec<&'static str>,
    created: bool,
}

#[derive(Default)]
struct Plan {
    index: Vec<IndexAction>,
    ignore_file: Option<IgnoreEdit>,
    ignore_index: Option<IgnoreEdit>,
    clean: Vec<clean::Artifact>,
    notes: Vec<String>,
}

impl Plan {
    fn needs_lock(&self) -> bool {
        !self.index.is_empty() || self.ignore_file.is_some() || self.ignore_index.is_some()
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn ignore_msgs(&self) -> Vec<Msg> {
        let what = |e: &IgnoreEdit| {
            let n = e.added.len();
            let s = if n == 1 { "" } else { "s" };
            (format!("{n} database pattern{s}"), e.added.join(", "))
        };
        let mut out = Vec::new();
        match (&self.ignore_file, &self.ignore_index) {
            (Some(f), Some(i)) if f.added == i.added => {
                let (count, names) = what(f);
                out.push(if f.created {
                    Msg {
                        done: format!("created .gitignore with {count} and staged it: {names}"),
                        would: format!(
                            "would create .gitignore with {count} and stage it: {names}"
                        ),
                    }
                } else {
                    Msg {
                        done: format!("added {count} to .gitignore and staged them: {names}"),
                        would: format!("would add {count} to .gitignore and stage them: {names}"),
                    }
                });
            }
            (file, index) => {
                if let Some(f) = file {
                    let (count, names) = what(f);
                    out.push(if f.created {
                        Msg::new(
                            "created",
                            "create",
                            format!(".gitignore with {count}: {names}"),
                        )
                    } else {
                        Msg::new("added", "add", format!("{count} to .gitignore: {names}"))
                    });
                }
                if let Some(i) = index {
                    let (count, names) = what(i);
                    out.push(Msg::new(
                        "staged",
                        "stage",
                        format!("{count} in .gitignore: {names}"),
                    ));
                }
            }
        }
        out
    }
}

/// Runs `dbguard fix`, writing one line per action to `out`.
pub fn run(repo: &Repo, config: &Config, opts: Options, out: &mut dyn Write) -> anyhow::Result<()> {
    let selection = Selection::new(config, &[], &[]);
    let policy = Policy {
        db: selection.is_enabled(RuleId::DbFile),
        env: selection.is_enabled(RuleId::EnvFile),
        gitignore: selection.is_enabled(RuleId::DbGitignore),
        allow: glob_set(&config.allow),
    };
    let mut say = |line: String| {
        // Output is a courtesy: a closed stdout must not stop a fix halfway.
        let _ = writeln!(out, "{line}");
    };

    let plan = {
        let index = repo.read_index()?;
        make_plan(repo, &index, &policy, opts.clean)?
    };
    if opts.dry_run {
        let mut any = false;
        for line in lines(&plan, true) {
            say(line);
            any = true;
        }
        for n in &plan.notes {
            say(format!("note: {n}"));
        }
        say(if any {
            "dry run: nothing was changed".to_string()
        } else {
            "nothing to fix".to_string()
        });
        return Ok(());
    }

    let plan = if plan.needs_lock() {
        let mut edit = repo.lock_index()?;
        // Planned again under the lock: the index may have changed since.
        let plan = make_plan(repo, &edit, &policy, opts.clean)?;
        for a in &plan.index {
            match a.op {
                Op::Remove => edit.remove(&a.file)?,
                Op::ResetToHead => edit.reset_to_head(&a.file)?,
            }
        }
        if let Some(e) = &plan.ignore_index {
            edit.stage(".gitignore", &e.content)?;
        }
        if let Some(e) = &plan.ignore_file {
            write_file(&repo.root().join(".gitignore"), &e.content)?;
        }
        edit.commit()?;
        plan
    } else {
        plan
    };

    let mut any = false;
    for a in &plan.index {
        say(a.msg.render(false));
        any = true;
    }
    for m in plan.ignore_msgs() {
        say(m.render(false));
        any = true;
    }
    let root = repo
        .root()
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", repo.root().display()))?;
    if !plan.clean.is_empty() {
        any = true;
    }
    let trash = trash::Trash::new(repo.common_dir());
    let moved = clean::move_to_trash(
        &trash,
        &root,
        &plan.clean,
        &|a| clean_msg(a).render(false),
        &mut say,
    );
    for n in &plan.notes {
        say(format!("note: {n}"));
    }
    moved?;
    if !any {
        say("nothing to fix".to_string());
    }
    Ok(())
}

fn clean_msg(a: &clean::Artifact) -> Msg {
    if a.symlink {
        Msg::new(
            "moved",
            "move",
            format!(
                "{} (untracked symlink named like a {}; its target is not touched) to the trash",
                a.path, a.desc
            ),
        )
    } else if a.by_content {
        Msg::new(
            "moved",
            "move",
            format!(
                "{} (untracked {}, recognised by content) to the trash",
                a.path, a.desc
            ),
        )
    } else {
        Msg::new(
            "moved",
            "move",
            format!("{} (untracked {}) to the trash", a.path, a.desc),
        )
    }
}

/// Every action line of a plan, in the order they are carried out.
fn lines(plan: &Plan, dry_run: bool) -> Vec<String> {
    let mut out: Vec<String> = plan.index.iter().map(|a| a.msg.render(dry_run)).collect();
    out.extend(plan.ignore_msgs().iter().map(|m| m.render(dry_run)));
    out.extend(plan.clean.iter().map(|a| clean_msg(a).render(dry_run)));
    out
}

/// Replaces a file atomically (temporary file beside it, then rename),
/// keeping its permissions.
fn write_file(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_file_name(".gitignore.dbguard-new");
    let perms = fs::metadata(path).ok().map(|m| m.permissions());
    let written = (|| -> std::io::Result<()> {
        fs::write(&tmp, content)?;
        if let Some(p) = perms {
            fs::set_permissions(&tmp, p)?;
        }
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        bail!("cannot write {}: {e}", path.display());
    }
    Ok(())
}

/// The database description of an index entry, by content first (like
/// the `db-file` rule), else by name.
fn database_kind(
    f: &IndexedFile,
    reader: &dyn ContentReader,
) -> anyhow::Result<Option<&'static str>> {
    match f.mode {
        EntryMode::Submodule => Ok(None),
        EntryMode::Symlink => Ok(db_files::match_name(file_name(&f.path)).map(|m| m.1)),
        EntryMode::File | EntryMode::Executable => {
            if let Some((_, desc)) = db_files::match_content(&reader.head(&f.blob, HEADER_LEN)?) {
                return Ok(Some(desc));
            }
            Ok(db_files::match_name(file_name(&f.path)).map(|m| m.1))
        }
    }
}

fn make_plan(
    repo: &Repo,
    index: &IndexEdit<'_>,
    policy: &Policy,
    with_clean: bool,
) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let files = index.files();
    let store = repo.store();
    let reader: &dyn ContentReader = store.as_ref();

    let kinds: Vec<Option<&'static str>> = files
        .par_iter()
        .map(|f| {
            if !policy.db || policy.allow.is_match(&f.path) {
                return Ok(None);
            }
            database_kind(f, reader).with_context(|| format!("cannot read {}", f.path))
        })
        .collect::<anyhow::Result<_>>()?;

    for (f, kind) in files.iter().zip(kinds) {
        let name = file_name(&f.path);
        if let Some(desc) = kind {
            if f.conflicted {
                plan.note(format!(
                    "left {} alone: it has a merge conflict; resolve it, then run dbguard fix again",
                    f.path
                ));
                continue;
            }
            let (op, msg) = match index.head_version(&f.path) {
                None => (
                    Op::Remove,
                    Msg::new(
                        "unstaged",
                        "unstage",
                        format!("{} (new {desc}); the file stays on disk", f.path),
                    ),
                ),
                Some((head_blob, head_mode)) => {
                    let head_is_db = db_files::match_name(name).is_some()
                        || (matches!(head_mode, EntryMode::File | EntryMode::Executable)
                            && db_files::match_content(&reader.head(&head_blob, HEADER_LEN)?)
                                .is_some());
                    if head_is_db {
                        (
                            Op::Remove,
                            Msg::new(
                                "untracked",
                                "untrack",
                                format!(
                                    "{} (committed {desc}): the next commit removes it from the repository; the file stays on disk",
                                    f.path
                                ),
                            ),
                        )
                    } else {
                        (
                            Op::ResetToHead,
                            Msg::new(
                                "unstaged",
                                "unstage",
                                format!(
                                    "{} ({desc}): the index is back at the committed version; the file stays on disk",
                                    f.path
                                ),
                            ),
                        )
                    }
                }
            };
            plan.index.push(IndexAction {
                file: f.clone(),
                op,
                msg,
            });
            continue;
        }
        if !policy.env
            || f.mode == EntryMode::Submodule
            || policy.allow.is_match(&f.path)
            || !env_files::is_env_file(name)
        {
            continue;
        }
        if f.conflicted {
            plan.note(format!(
                "left {} alone: it has a merge conflict; resolve it, then run dbguard fix again",
                f.path
            ));
            continue;
        }
        match index.head_version(&f.path) {
            None => plan.index.push(IndexAction {
                file: f.clone(),
                op: Op::Remove,
                msg: Msg::new(
                    "unstaged",
                    "unstage",
                    format!("{} (real .env file); the file stays on disk", f.path),
                ),
            }),
            Some((blob, mode)) if blob == f.blob && mode == f.mode => plan.note(format!(
                "{} is a committed .env file; dbguard fix leaves committed .env files alone: \
                 rotate its secrets, then untrack it with `git rm --cached {}`",
                f.path, f.path
            )),
            Some(_) => plan.index.push(IndexAction {
                file: f.clone(),
                op: Op::ResetToHead,
                msg: Msg::new(
                    "unstaged",
                    "unstage",
                    format!(
                        "the changes to {} (real .env file): the index is back at the committed version; the file stays on disk",
                        f.path
                    ),
                ),
            }),
        }
    }

    // The .gitignore files of the working tree and of the index, below the
    // root (the root one is the one being edited).
    let mut nested_tree = Vec::new();
    let mut nested_index = Vec::new();
    for f in &files {
        if f.path == ".gitignore" || file_name(&f.path) != ".gitignore" || f.conflicted {
            continue;
        }
        if let Some(content) = read_regular(&repo.root().join(&f.path))? {
            nested_tree.push(IgnoreFile::at(&f.path, content));
        }
        if matches!(f.mode, EntryMode::File | EntryMode::Executable)
            && let Some(content) = reader.read(&f.blob, MAX_IGNORE_FILE)?
        {
            nested_index.push(IgnoreFile::at(&f.path, content));
        }
    }
    let excludes = repo.excludes();
    let root_path = repo.root().join(".gitignore");
    let root_meta = match fs::symlink_metadata(&root_path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => bail!("cannot read {}: {e}", root_path.display()),
    };
    let root_is_regular = root_meta.as_ref().is_none_or(|m| m.is_file());
    let tree_root = if root_is_regular {
        read_regular(&root_path)?
    } else {
        None
    };

    if policy.gitignore {
        if !root_is_regular {
            plan.note(
                "left .gitignore alone: it is not a regular file (a symlink?); \
                 add the database patterns to the file it points to yourself"
                    .to_string(),
            );
        } else {
            let (edit, overridden) = ignore_edit(&nested_tree, tree_root.as_deref(), &excludes);
            note_overridden(&mut plan, &overridden);
            plan.ignore_file = edit.map(|(content, added)| IgnoreEdit {
                content,
                added,
                created: root_meta.is_none(),
            });
        }
        match files.iter().find(|f| f.path == ".gitignore") {
            Some(f) if f.conflicted => plan.note(
                "left the staged .gitignore alone: it has a merge conflict; resolve it, then run dbguard fix again"
                    .to_string(),
            ),
            Some(f) if matches!(f.mode, EntryMode::File | EntryMode::Executable) => {
                if let Some(content) = reader.read(&f.blob, MAX_IGNORE_FILE)? {
                    let (edit, overridden) = ignore_edit(&nested_index, Some(&content), &excludes);
                    note_overridden(&mut plan, &overridden);
                    plan.ignore_index = edit.map(|(content, added)| IgnoreEdit {
                        content,
                        added,
                        created: false,
                    });
                }
            }
            Some(_) => plan.note(
                "left the staged .gitignore alone: it is not a regular file".to_string(),
            ),
            None => match &plan.ignore_file {
                // Created here: staged as written.
                Some(e) if e.created => {
                    plan.ignore_index = Some(IgnoreEdit {
                        content: e.content.clone(),
                        added: e.added.clone(),
                        created: true,
                    });
                }
                _ if root_meta.is_some()
                    && !missing_patterns(&rules(&nested_index, None, &excludes)).is_empty() =>
                {
                    plan.note(
                        ".gitignore is not tracked: run `git add .gitignore` so that the database patterns reach every clone"
                            .to_string(),
                    );
                }
                _ => {}
            },
        }
    }

    if with_clean {
        let tracked: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        let keep = |p: &str| {
            tracked.contains(p) || policy.allow.is_match(p) || index.head_version(p).is_some()
        };
        let root_after = match &plan.ignore_file {
            Some(e) => Some(e.content.clone()),
            None => tree_root,
        };
        let rules = rules(&nested_tree, root_after.as_deref(), &excludes);
        let found = clean::find(repo.root(), &keep, &rules);
        plan.clean = found.artifacts;
        for n in found.notes {
            plan.note(n);
        }
    }
    Ok(plan)
}

fn note_overridden(plan: &mut Plan, overridden: &[&str]) {
    if !overridden.is_empty() {
        plan.note(format!(
            "not adding {} to .gitignore: a `!` pattern (after dbguard's block, or in a .gitignore below the root) re-includes those files",
            overridden.join(", ")
        ));
    }
}

/// A regular file's content; `None` when it does not exist or is not a
/// regular file (git does not read a symlinked `.gitignore`).
fn read_regular(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() <= MAX_IGNORE_FILE => fs::read(path)
            .map(Some)
            .with_context(|| format!("cannot read {}", path.display())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    }
}

fn rules(nested: &[IgnoreFile], root: Option<&[u8]>, excludes: &Excludes) -> IgnoreRules {
    let mut files = nested.to_vec();
    if let Some(c) = root {
        files.push(IgnoreFile::at(".gitignore", c.to_vec()));
    }
    IgnoreRules::new(&files, &excludes.files, excludes.ignore_case)
}

/// The root `.gitignore` with the missing database patterns added, and
/// the patterns that adding would not help (a later `!` re-includes them).
#[allow(clippy::type_complexity)]
fn ignore_edit(
    nested: &[IgnoreFile],
    root: Option<&[u8]>,
    excludes: &Excludes,
) -> (Option<(Vec<u8>, Vec<&'static str>)>, Vec<&'static str>) {
    let missing: Vec<&'static str> = missing_patterns(&rules(nested, root, excludes))
        .iter()
        .map(|p| p.pattern.as_str())
        .collect();
    if missing.is_empty() {
        return (None, Vec::new());
    }
    let base = root.unwrap_or_default();
    let candidate = block::add_patterns(base, &missing);
    let still: Vec<&'static str> = missing_patterns(&rules(nested, Some(&candidate), excludes))
        .iter()
        .map(|p| p.pattern.as_str())
        .collect();
    let (overridden, added): (Vec<&'static str>, Vec<&'static str>) =
        missing.iter().partition(|p| still.contains(p));
    if added.is_empty() {
        return (None, overridden);
    }
    let content = if overridden.is_empty() {
        candidate
    } else {
        block::add_patterns(base, &added)
    };
    (Some((content, added)), overridden)
}
