//! `model-without-migration`: a change to the SQLAlchemy models that
//! changes the schema, with no Alembic migration in the same change.
//!
//! Runs once per change set (the staged change, the listed paths, one
//! commit of a range); not with `--all`, which has no before state. The
//! models the change touches are read before and after (together with the
//! unchanged model files that mention their bases or declare-site mixins,
//! see [`crate::models::extract::context_names`]), their schemas compared (`src/models/`), and:
//!
//! - a schema change with no new migration file in any Alembic
//!   environment is an error, reported at the model file, at the first
//!   changed class or column, naming every change and the command that
//!   writes the migration;
//! - a schema change whose new migrations name none of the changed tables
//!   (in `op.*` table arguments or `op.execute` SQL) is a warning of kind
//!   `migration-unrelated`: the migration is probably for something else;
//! - a model file that no longer parses is a warning of kind
//!   `unreadable-model`: its schema is not compared, so nothing is claimed
//!   about it either way.

use std::cell::OnceCell;
use std::collections::HashSet;

use aho_corasick::AhoCorasick;

use super::migration_ops::mentions;
use super::{Context, Rule, RuleId};
use crate::alembic::environment_of;
use crate::alembic::ops::function_ops;
use crate::alembic::pyconfig;
use crate::alembic::replay::steps::{self, Step};
use std::sync::Arc;

use super::model_facts::{self, ModuleFacts};
use super::model_findings::{differs, first_line, group, missing, unreadable, unrelated};
use super::model_head::{self, Reference};
use crate::blob_cache;
use crate::changes::{BlobRef, Change, Mode, ObjectId, Status};
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::finding::Finding;
use crate::models::ModelPaths;
use crate::models::diff::{self, Change as SchemaChange};
use crate::models::extract::{SharedFiles, extract_shared};
use crate::models::imports;
use crate::models::schema::Schema;
use crate::python::Module;

/// The `model-without-migration` family.
pub struct ModelMigration;

impl Rule for ModelMigration {
    fn ids(&self) -> &'static [RuleId] {
        &[RuleId::ModelWithoutMigration]
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
        if !(ctx.enabled)(RuleId::ModelWithoutMigration) {
            return Ok(());
        }
        if ctx.set.mode == Mode::All {
            return model_head::check_all(ctx, out);
        }
        let paths = ModelPaths::new(&ctx.config.models);
        let limit = ctx.config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
        // A change touches a model file when either version is one (a
        // file that stops declaring models is a change to them too).
        let mut touching: HashSet<usize> = HashSet::new();
        for (i, c) in ctx.set.changes.iter().enumerate() {
            let new = match &c.new {
                Some(b) if c.status.has_new_content() => {
                    paths.is_model(&c.path, b, || ctx.reader.read(b, limit))?
                }
                _ => false,
            };
            let old = match &c.old {
                Some(b) if !new => {
                    let p = c.old_path.as_deref().unwrap_or(&c.path);
                    paths.is_model(p, b, || ctx.reader.read(b, limit))?
                }
                _ => false,
            };
            if new || old {
                touching.insert(i);
            }
        }
        if touching.is_empty() {
            return Ok(());
        }
        let (snapshot, envs) = ctx.environments()?;
        let is_migration = |p: &str| environment_of(envs, p).is_some();
        // Nothing in a migrations folder is a model file: an upgrade
        // script there may declare the tables it moves data between.
        let in_migrations = |p: &str| {
            is_migration(p)
                || envs.iter().any(|e| {
                    !e.script_location.is_empty()
                        && p.strip_prefix(e.script_location.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                })
        };
        let model_changes: Vec<&Change> = ctx
            .set
            .changes
            .iter()
            .enumerate()
            .filter(|(i, c)| touching.contains(i) && !in_migrations(&c.path))
            .map(|(_, c)| c)
            .collect();
        if model_changes.is_empty() {
            return Ok(());
        }

        // Both versions of every changed model file.
        // Parsed once per blob (see `blob_cache`): the next commit that
        // touches a model reads most of these again.
        let parsed = |b: &BlobRef| blob_cache::module(b, || ctx.reader.read(b, limit));
        let mut old_files: Vec<(String, Arc<Module>)> = Vec::new();
        let mut new_files: Vec<(String, Arc<Module>)> = Vec::new();
        // The blob id of each file above, in the same order (`None`: not
        // an object), which names a schema for the cache.
        let mut old_ids: Vec<Option<ObjectId>> = Vec::new();
        let mut new_ids: Vec<Option<ObjectId>> = Vec::new();
        for c in &model_changes {
            let old = match &c.old {
                Some(b) => parsed(b)?,
                None => None,
            };
            let new = match (&c.new, c.status.has_new_content(), &old) {
                // The new version is parsed from the old one's tree where
                // the text did not change: a commit edits a few lines of
                // a model file (flaskbb's `forum/models.py` is 55 KB), and
                // whole parses were a third of the rule's time there.
                (Some(b), true, Some(before)) if !before.has_errors() => blob_cache::module_with(
                    b,
                    || ctx.reader.read(b, limit),
                    |bytes| Module::parse_after(bytes, before),
                )?,
                (Some(b), true, _) => parsed(b)?,
                _ => None,
            };
            if let Some(n) = &new
                && n.has_errors()
            {
                out.push(unreadable(c, n));
                continue;
            }
            if old.as_ref().is_some_and(|m| m.has_errors()) {
                // The old version was broken: there is nothing reliable to
                // compare with.
                continue;
            }
            if let Some(o) = old {
                let path = c.old_path.clone().unwrap_or_else(|| c.path.clone());
                old_files.push((path, o));
                old_ids.push(c.old.as_ref().and_then(BlobRef::object_id));
            }
            if let Some(n) = new {
                new_files.push((c.path.clone(), n));
                new_ids.push(c.new.as_ref().and_then(BlobRef::object_id));
            }
        }
        if old_files.is_empty() && new_files.is_empty() {
            return Ok(());
        }

        // Unchanged model files tied to the changed ones by class names (a
        // mixin here, its users there), read once for both sides.
        let changed: HashSet<&str> = model_changes
            .iter()
            .flat_map(|c| std::iter::once(c.path.as_str()).chain(c.old_path.as_deref()))
            .collect();
        let mut names: Vec<String> = Vec::new();
        for ((_, m), id) in old_files
            .iter()
            .chain(&new_files)
            .zip(old_ids.iter().chain(&new_ids))
        {
            names.extend(ModuleFacts::cached(*id, m).context_names.iter().cloned());
        }
        names.sort();
        names.dedup();
        let mut context: Vec<(String, Arc<Module>)> = Vec::new();
        let mut context_ids: Vec<Option<ObjectId>> = Vec::new();
        if !names.is_empty()
            && let Ok(finder) = AhoCorasick::new(&names)
        {
            for e in snapshot.entries() {
                if changed.contains(e.path)
                    || !paths.may_be_model(e.path)
                    || in_migrations(e.path)
                    || !paths.is_model(e.path, e.blob, || ctx.reader.read(e.blob, limit))?
                {
                    continue;
                }
                // Only the files that name a changed class are parsed;
                // one parsed recently is searched in its parsed text.
                let m = match blob_cache::cached(e.blob) {
                    Some(m) if finder.is_match(m.source()) => m,
                    Some(_) => continue,
                    None => {
                        let Some(bytes) = ctx.reader.read(e.blob, limit)? else {
                            continue;
                        };
                        if !finder.is_match(&bytes) {
                            continue;
                        }
                        match blob_cache::module(e.blob, || Ok(Some(bytes)))? {
                            Some(m) => m,
                            None => continue,
                        }
                    }
                };
                if !m.has_errors() {
                    context.push((e.path.to_string(), m));
                    context_ids.push(e.blob.object_id());
                }
            }
        }

        // Files the model files import column types from (a
        // `TypeDecorator`, an `Annotated` alias, a `type_annotation_map`),
        // read for those types only; a byte-level test decides, once per
        // blob, which candidates are worth parsing.
        let mut libraries: Vec<(String, Arc<Module>)> = Vec::new();
        let mut library_ids: Vec<Option<ObjectId>> = Vec::new();
        {
            let mut seen: HashSet<String> = changed.iter().map(|p| p.to_string()).collect();
            seen.extend(context.iter().map(|(p, _)| p.clone()));
            let mut wanted: Vec<String> = Vec::new();
            let all = old_files.iter().chain(&new_files).chain(&context);
            let ids = old_ids.iter().chain(&new_ids).chain(&context_ids);
            for ((path, m), id) in all.zip(ids) {
                let found =
                    blob_cache::derived("type-imports", *id, path, || imports::candidates(path, m));
                for c in found.iter() {
                    if seen.insert(c.clone()) {
                        wanted.push(c.clone());
                    }
                }
            }
            for path in wanted {
                let Some(e) = snapshot.get(&path) else {
                    continue;
                };
                let mut parsed: Option<Arc<Module>> = None;
                let defines = blob_cache::flag("defines-types", e.blob, || {
                    let Some(bytes) = ctx.reader.read(e.blob, limit)? else {
                        return Ok(false);
                    };
                    if !imports::may_define_types(&bytes) {
                        return Ok(false);
                    }
                    parsed = blob_cache::module(e.blob, || Ok(Some(bytes)))?;
                    Ok(true)
                })?;
                if !defines {
                    continue;
                }
                let m = match parsed {
                    Some(m) => Some(m),
                    None => blob_cache::module(e.blob, || ctx.reader.read(e.blob, limit))?,
                };
                if let Some(m) = m.filter(|m| !m.has_errors()) {
                    libraries.push((path, m));
                    library_ids.push(e.blob.object_id());
                }
            }
        }

        // The unchanged files' first pass (kept with their parsed modules,
        // see `models::extract::SharedFiles`), looked up once for both
        // sides when neither schema is cached.
        let shared: OnceCell<SharedFiles> = OnceCell::new();
        let share = || SharedFiles::new(&context, &libraries);
        // A commit's old schema is, most often, the new schema of the
        // previous commit that touched the same model files: kept by the
        // (path, blob) list it was read from, in the order it was read
        // (the order of a schema's changes follows it, and the messages
        // list them: sorting the list changed dispatch's report).
        let schema = |files: &[(String, Arc<Module>)], ids: &[Option<ObjectId>]| -> Arc<Schema> {
            let key: Option<Vec<(String, ObjectId)>> = files
                .iter()
                .chain(&context)
                .chain(&libraries)
                .zip(ids.iter().chain(&context_ids).chain(&library_ids))
                .map(|((path, _), id)| id.map(|id| (path.clone(), id)))
                .collect();
            blob_cache::schema(key, || extract_shared(files, shared.get_or_init(share)))
        };
        let old = schema(&old_files, &old_ids);
        let new = schema(&new_files, &new_ids);
        let changes = diff::diff(&old, &new);
        if changes.is_empty() {
            return Ok(());
        }

        let added: Vec<&Change> = ctx
            .set
            .changes
            .iter()
            .filter(|c| {
                matches!(c.status, Status::Added | Status::Copied | Status::Renamed)
                    && is_migration(&c.path)
                    && !c.old_path.as_deref().is_some_and(is_migration)
            })
            .collect();
        // `# dbguard: allow model-without-migration` at the finding's line
        // (or above) in the new version of the file.
        let allowed = |path: &str, group: &[&SchemaChange]| {
            let Some(line) = first_line(group) else {
                return false;
            };
            new_files
                .iter()
                .find(|(p, _)| p == path)
                .is_some_and(|(_, m)| {
                    crate::suppress::is_suppressed(
                        m.source().as_bytes(),
                        line,
                        RuleId::ModelWithoutMigration,
                    )
                })
        };

        // The migrations as the reference (issue 25): where the history
        // knows a changed table, the new models are compared with the
        // schema it builds after this change, so a model catching up with
        // a migration that landed first, a table moved between files or a
        // revert that deletes its own migration is no finding. The tables
        // it cannot know are judged as before.
        let changes = if envs.is_empty() {
            if deletes_a_revision(ctx, limit)? {
                // The change deletes the migrations themselves (a project
                // that gives up its database, a subtree squash whose tree
                // is another project): the tables it removes from the
                // models have no history left to migrate.
                changes
                    .into_iter()
                    .filter(|c| new.table(&c.table).is_some())
                    .collect()
            } else {
                changes
            }
        } else {
            let reference = Reference::load(envs, &snapshot, ctx.reader)?;
            let facts: Vec<Arc<ModuleFacts>> = new_files
                .iter()
                .chain(&context)
                .zip(new_ids.iter().chain(&context_ids))
                .map(|((_, m), id)| ModuleFacts::cached(*id, m))
                .collect();
            let partial = model_facts::partial_tables(&new, &facts);
            let moved = moved_out(ctx, &old, &new, &changed, &is_migration, limit)?;
            let split = model_head::split(&reference, &old, &new, changes, &partial, &moved);
            let edited_any = ctx
                .set
                .changes
                .iter()
                .any(|c| is_migration(&c.path) && c.old != c.new && c.status.has_new_content());
            for (path, group) in group(&split.differences) {
                if !allowed(&path, &group) {
                    out.push(differs(
                        ctx.set.mode,
                        envs,
                        &path,
                        &group,
                        &split.differences,
                        edited_any,
                    ));
                }
            }
            split.fallback
        };
        if changes.is_empty() {
            return Ok(());
        }
        let by_file: Vec<_> = group(&changes)
            .into_iter()
            .filter(|(p, g)| !allowed(p, g))
            .collect();
        let unknown = |name: &str| {
            new.table(name)
                .or_else(|| old.table(name))
                .is_some_and(|t| t.name_unknown)
        };
        let tables: Vec<&str> = {
            let mut t: Vec<&str> = changes.iter().map(|c| c.table.as_str()).collect();
            t.sort();
            t.dedup();
            t
        };
        let bare: Vec<String> = tables
            .iter()
            .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
            .collect();
        // Whether some of these migrations touch a changed table (a table
        // whose name is unknown cannot be judged: it counts as touched).
        let covers = |migrations: &[&Change]| -> anyhow::Result<bool> {
            if tables.iter().any(|t| unknown(t)) {
                return Ok(true);
            }
            for c in migrations {
                let Some(blob) = &c.new else { continue };
                match ctx.reader.read(blob, limit)? {
                    None => return Ok(true),
                    Some(bytes) if migration_mentions(&bytes, &bare) => return Ok(true),
                    Some(_) => {}
                }
            }
            Ok(false)
        };

        if added.is_empty() {
            // Amending a migration that is already committed (an unpushed
            // one, typically) to follow the model: `migration-edited` says
            // what it has to say about the edit; the model is covered.
            let edited: Vec<&Change> = ctx
                .set
                .changes
                .iter()
                .filter(|c| {
                    matches!(
                        c.status,
                        Status::Modified | Status::Renamed | Status::TypeChanged
                    ) && is_migration(&c.path)
                        && c.old != c.new
                })
                .collect();
            // An edit that takes a column operation on a changed table out
            // (the model goes back to what the revision no longer changes)
            // covers it too. A table creation taken out does not: where the
            // history starts elsewhere the table may still exist.
            let mut took_out = false;
            for c in &edited {
                if let Some(blob) = &c.old
                    && let Some(bytes) = ctx.reader.read(blob, limit)?
                    && column_steps_mention(&bytes, &bare)
                {
                    took_out = true;
                }
            }
            if !edited.is_empty() && (covers(&edited)? || took_out) {
                return Ok(());
            }
            for (path, group) in &by_file {
                out.push(missing(ctx.set.mode, envs, path, group, &changes));
            }
            return Ok(());
        }

        // A new migration exists: does it touch any changed table?
        if !covers(&added)? {
            let migrations: Vec<&str> = added.iter().map(|c| c.path.as_str()).collect();
            for (path, group) in &by_file {
                out.push(unrelated(path, group, &tables, &migrations));
            }
        }
        Ok(())
    }
}

/// Whether the change deletes an Alembic revision file: a Python file
/// that declares `revision` and `down_revision` (or, in a clone missing
/// the blob, whose name carries a revision id).
fn deletes_a_revision(ctx: &Context<'_>, limit: u64) -> anyhow::Result<bool> {
    for c in ctx.set.changes.iter() {
        if c.status != Status::Deleted || !c.path.ends_with(".py") {
            continue;
        }
        let Some(blob) = &c.old else { continue };
        let revision = match ctx.reader.read(blob, limit)? {
            Some(bytes) => pyconfig::declares_revision(&String::from_utf8_lossy(&bytes)),
            None => pyconfig::may_be_revision(&c.path),
        };
        if revision {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Tables (lowercase) the old models declare and the new ones do not,
/// whose name a Python file of the change that is not read as a model
/// file quotes: moved out of the model files, not dropped.
fn moved_out(
    ctx: &Context<'_>,
    old: &Schema,
    new: &Schema,
    read: &HashSet<&str>,
    is_migration: &dyn Fn(&str) -> bool,
    limit: u64,
) -> anyhow::Result<HashSet<String>> {
    let gone: Vec<String> = old
        .tables
        .iter()
        .filter(|o| new.table(&o.name).is_none() && !o.name_unknown)
        .map(|o| o.name.rsplit('.').next().unwrap_or(&o.name).to_string())
        .collect();
    let mut out = HashSet::new();
    if gone.is_empty() {
        return Ok(out);
    }
    for c in ctx.set.changes.iter() {
        if !c.path.ends_with(".py")
            || read.contains(c.path.as_str())
            || is_migration(&c.path)
            || !c.status.has_new_content()
        {
            continue;
        }
        let Some(blob) = &c.new else { continue };
        let Some(bytes) = ctx.reader.read(blob, limit)? else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for g in &gone {
            if text.contains(&format!("\"{g}\"")) || text.contains(&format!("'{g}'")) {
                out.insert(g.to_lowercase());
            }
        }
    }
    Ok(out)
}

/// Whether a revision adds, drops or alters a column of one of `tables`
/// (bare names), as the replay reads it.
fn column_steps_mention(bytes: &[u8], tables: &[String]) -> bool {
    steps::read(bytes, "").iter().any(|step| match step {
        Step::AddColumn { table, .. }
        | Step::DropColumn { table, .. }
        | Step::AlterColumn { table, .. } => {
            let bare = table.rsplit('.').next().unwrap_or(table);
            tables.iter().any(|x| x == bare)
        }
        _ => false,
    })
}

/// Whether a migration names any of `tables` in the table arguments of
/// its `upgrade()` operations or in the SQL it executes. A migration whose
/// `upgrade()` cannot be read counts as naming them (no false warning).
fn migration_mentions(bytes: &[u8], tables: &[String]) -> bool {
    let Some(m) = Module::parse(bytes) else {
        return true;
    };
    let Some(ops) = function_ops(&m, "upgrade") else {
        return true;
    };
    if m.has_errors() || ops.is_empty() {
        return true;
    }
    // Tables named through a loop (`for t in ["a", "b"]: op.add_column(t,
    // ...)`) or a helper's parameter, as the replay reads them.
    let replayed = steps::read(bytes, "").iter().any(|step| {
        let table = match step {
            Step::CreateTable(t) => Some(t.name.as_str()),
            Step::DropTable(t) | Step::Unknown(t) => Some(t.as_str()),
            other => other.existing_table(),
        };
        table.is_some_and(|t| {
            let bare = t.rsplit('.').next().unwrap_or(t);
            tables.iter().any(|x| x == bare)
        })
    });
    replayed
        || ops.iter().any(|op| {
            let named = [op.table.as_deref(), op.new_name.as_deref()]
                .into_iter()
                .flatten()
                .any(|t| tables.iter().any(|x| x == t));
            let in_sql = op
                .sql
                .as_deref()
                .is_some_and(|s| tables.iter().any(|x| mentions(s, x)));
            let opaque_sql = op.name == "execute" && op.sql.is_none();
            named || in_sql || opaque_sql
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{MemoryReader, memory_change_set};
    use crate::config::Config;
    use crate::finding::Severity;

    const INI: &[u8] = b"[alembic]\nscript_location = migrations\n";
    const ENV: &[u8] = b"from alembic import context\n";
    const MODELS: &[u8] = b"class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n";
    const MODELS2: &[u8] = b"class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    email = Column(String(255))\n";
    const MIGRATION: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    op.add_column('users', sa.Column('email', sa.String(255)))\ndef downgrade():\n    op.drop_column('users', 'email')\n";
    const OTHER: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    op.create_table('audit', sa.Column('id', sa.Integer()))\ndef downgrade():\n    op.drop_table('audit')\n";

    fn run(old: &[(&str, &[u8])], new: &[(&str, &[u8])]) -> Vec<Finding> {
        let set = memory_change_set(Mode::Staged, old, new);
        let config = Config::default();
        let ctx = Context::new(&config, &set, &MemoryReader, &|_| true);
        let mut out = Vec::new();
        ModelMigration.check_set(&ctx, &mut out).unwrap();
        out
    }

    fn base(models: &[u8]) -> Vec<(&'static str, &[u8])> {
        vec![
            ("backend/alembic.ini", INI),
            ("backend/migrations/env.py", ENV),
            ("backend/app/models/db_models.py", models),
        ]
    }

    #[test]
    fn a_new_column_without_a_migration_is_an_error_naming_it_and_the_fix() {
        let out = run(&base(MODELS), &base(MODELS2));
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.path, "backend/app/models/db_models.py");
        assert_eq!(f.line, Some(4));
        assert_eq!(
            f.message,
            "users.email added, but no new migration is staged; generate one with `cd backend && alembic revision --autogenerate -m \"add users.email\"`"
        );
        let hint = f.hint.as_deref().unwrap();
        assert!(
            hint.contains("git add backend/migrations/versions/"),
            "{hint}"
        );
    }

    #[test]
    fn with_its_migration_it_passes() {
        let mut new = base(MODELS2);
        new.push(("backend/migrations/versions/b_add_email.py", MIGRATION));
        assert!(run(&base(MODELS), &new).is_empty());
    }

    #[test]
    fn an_unrelated_migration_is_a_warning() {
        let mut new = base(MODELS2);
        new.push(("backend/migrations/versions/b_audit.py", OTHER));
        let out = run(&base(MODELS), &new);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].kind.as_deref(), Some("migration-unrelated"));
        assert!(
            out[0].message.contains("does not touch users"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn amending_a_committed_migration_to_follow_the_model_is_covered() {
        const EMPTY: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    op.create_table('tmp')\ndef downgrade():\n    op.drop_table('tmp')\n";
        let path = "backend/migrations/versions/b_add_email.py";
        let mut old = base(MODELS);
        old.push((path, EMPTY));
        let mut new = base(MODELS2);
        new.push((path, MIGRATION));
        assert!(run(&old, &new).is_empty());
        // An edit that does not touch the changed table covers nothing.
        let mut new = base(MODELS2);
        new.push((path, OTHER));
        let out = run(&old, &new);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind.as_deref(), Some("no-migration"));
    }

    #[test]
    fn an_edit_through_a_loop_or_taking_an_operation_out_covers_the_model() {
        let path = "backend/migrations/versions/b_add_email.py";
        // The edited revision adds the column to tables named by a loop.
        const LOOP: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    for t in ['groups', 'users']:\n        op.add_column(t, sa.Column('email', sa.String(), nullable=False))\ndef downgrade():\n    pass\n";
        const LOOP_OLD: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    for t in ['groups']:\n        op.add_column(t, sa.Column('email', sa.String()))\ndef downgrade():\n    pass\n";
        let mut old = base(MODELS);
        old.push((path, LOOP_OLD));
        let mut new = base(MODELS2);
        new.push((path, LOOP));
        assert!(run(&old, &new).is_empty());
        // The model goes back (email removed) and the edit takes the
        // revision's operation on `users` out.
        const WITH: &[u8] = b"revision = 'b'\ndown_revision = 'a'\ndef upgrade():\n    op.add_column('users', sa.Column('email', sa.String(255)))\n    op.create_table('tmp')\ndef downgrade():\n    pass\n";
        let mut old = base(MODELS2);
        old.push((path, WITH));
        let mut new = base(MODELS);
        new.push((path, OTHER));
        assert!(run(&old, &new).is_empty());
    }

    #[test]
    fn a_broken_model_file_is_a_warning_not_a_schema_change() {
        let out = run(
            &base(MODELS),
            &base(b"class User(Base:\n    __tablename__ = 'users'\n"),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert_eq!(out[0].kind.as_deref(), Some("unreadable-model"));
    }

    #[test]
    fn a_table_name_computed_by_a_base_in_another_file_is_known() {
        let base_py = b"class Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls):\n        return cls.__name__.lower()\n".as_slice();
        let files = |m: &'static [u8]| {
            vec![
                ("backend/alembic.ini", INI),
                ("backend/migrations/env.py", ENV),
                ("backend/app/models/base.py", base_py),
                ("backend/app/models/user.py", m),
            ]
        };
        let old = b"from .base import Base\nclass User(Base):\n    id: Mapped[int] = mapped_column(primary_key=True)\n".as_slice();
        let new = b"from .base import Base\nclass User(Base):\n    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[str]\n".as_slice();
        let out = run(&files(old), &files(new));
        assert_eq!(out.len(), 1);
        assert!(
            out[0].message.starts_with("user.email added"),
            "{}",
            out[0].message
        );
        // Without the base in view the class name stands in for the table.
        let out = run(
            &files(old)[..2]
                .iter()
                .chain(&files(old)[3..])
                .copied()
                .collect::<Vec<_>>(),
            &[&files(new)[..2], &files(new)[3..]].concat(),
        );
        assert!(
            out[0].message.starts_with("User.email added"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn an_allow_comment_on_the_changed_line_silences_it() {
        let models = b"class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    # the column exists in every database already\n    # dbguard: allow model-without-migration\n    email = Column(String(255))\n";
        assert!(run(&base(MODELS), &base(models)).is_empty());
    }

    #[test]
    fn a_model_moved_to_another_file_is_not_a_change() {
        let old = base(MODELS);
        let new = vec![
            ("backend/alembic.ini", INI),
            ("backend/migrations/env.py", ENV),
            ("backend/app/models/user.py", MODELS),
        ];
        assert!(run(&old, &new).is_empty());
    }

    #[test]
    fn a_mixin_change_reaches_the_tables_in_other_files() {
        let mixin = b"class Stamp:\n    created = Column(DateTime)\n".as_slice();
        let mixin2 =
            b"class Stamp:\n    created = Column(DateTime)\n    updated = Column(DateTime)\n"
                .as_slice();
        let user = b"from .mixins import Stamp\nclass User(Stamp, Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n".as_slice();
        let files = |m: &'static [u8]| {
            vec![
                ("backend/alembic.ini", INI),
                ("backend/migrations/env.py", ENV),
                ("backend/app/models/mixins.py", m),
                ("backend/app/models/user.py", user),
            ]
        };
        let out = run(&files(mixin), &files(mixin2));
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].message.starts_with("users.updated added"),
            "{}",
            out[0].message
        );
    }
}
