//! Migrations that break production (issue 29): a static safety lint of
//! the operations a migration's `upgrade()` performs on tables that hold
//! rows and serve a running app, the failures squawk, strong_migrations
//! and django-migration-linter catch in their ecosystems:
//!
//! - `migration-not-null-without-default`: a NOT NULL column added without
//!   a server default, or NOT NULL set with no backfill;
//! - `migration-blocking-index`: an index built or dropped on PostgreSQL
//!   without `CONCURRENTLY` (or with it, inside a transaction);
//! - `migration-table-rewrite`: a type change or a volatile default that
//!   makes the database rewrite the table;
//! - `migration-breaking-rename`: a table or column renamed under the code
//!   that still uses the old name;
//! - `migration-drop-still-mapped`: a table or column dropped while the
//!   models of the same state still declare it.
//!
//! Runs once per change set on the migrations the change adds or modifies
//! (every migration with `--all`), like `migration_ops`; nothing is read
//! when no migration is in the change. The dialect comes from
//! `.dbguard.yaml`, the environment (`src/alembic/dialect.rs`) or the
//! migration itself; the dialect-dependent checks are silent without one.

mod checks;
mod mapped;
mod types;

use super::migration_files::{family_runs, migration_files};
use super::{Context, Rule, RuleId};
use crate::alembic::Environment;
use crate::alembic::dialect::environment_dialect;
use crate::changes::BlobRef;
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::finding::Finding;
use crate::models::ModelPaths;
use crate::python::Module;

pub use checks::{Drop, Input, check};

/// The migration-safety family.
pub struct MigrationSafety;

const IDS: &[RuleId] = &[
    RuleId::MigrationNotNullWithoutDefault,
    RuleId::MigrationBlockingIndex,
    RuleId::MigrationTableRewrite,
    RuleId::MigrationBreakingRename,
    RuleId::MigrationDropStillMapped,
];

impl Rule for MigrationSafety {
    fn ids(&self) -> &'static [RuleId] {
        IDS
    }

    fn check_set(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
        if !family_runs(ctx, IDS) {
            return Ok(());
        }
        let Some((snapshot, envs)) = ctx.environments_if_any()? else {
            return Ok(());
        };
        let limit = ctx.config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
        let targets: Vec<(&str, &BlobRef, &Environment)> = migration_files(ctx, &snapshot, envs)
            .into_iter()
            .map(|f| (f.path, f.blob, f.env))
            .collect();
        // The dialect of each environment, read once.
        let mut dialects: Vec<(&str, Option<crate::alembic::dialect::Dialect>)> = Vec::new();
        let models = ModelPaths::new(&ctx.config.models);
        let mut pending: Vec<(&str, &Environment, Drop)> = Vec::new();
        for (path, blob, env) in targets {
            let Some(bytes) = ctx.reader.read(blob, limit)? else {
                continue;
            };
            let Some(m) = Module::parse(&bytes) else {
                continue;
            };
            // A file with syntax errors is migration-parse-error's.
            if m.has_errors() {
                continue;
            }
            let dialect = match ctx.config.migrations.dialect {
                Some(d) => Some(d),
                None => match dialects.iter().find(|(s, _)| *s == env.script_location) {
                    Some((_, d)) => *d,
                    None => {
                        let d = environment_dialect(env, &snapshot, ctx.reader);
                        dialects.push((&env.script_location, d));
                        d
                    }
                },
            };
            let mut found = Vec::new();
            let input = Input {
                m: &m,
                path,
                dialect,
            };
            let drops = check(&input, ctx.enabled, &mut found);
            found.retain(|f| {
                f.line
                    .is_none_or(|l| !crate::suppress::is_suppressed(&bytes, l, f.rule))
            });
            out.extend(found);
            if (ctx.enabled)(RuleId::MigrationDropStillMapped) {
                for drop in drops {
                    if !crate::suppress::is_suppressed(
                        &bytes,
                        drop.position.line,
                        RuleId::MigrationDropStillMapped,
                    ) {
                        pending.push((path, env, drop));
                    }
                }
            }
        }
        // Every drop against the models at once: one read of the model
        // files, whatever the number of migrations (`--all`).
        let drops: Vec<Drop> = pending.iter().map(|(_, _, d)| d.clone()).collect();
        let locs = mapped::still_mapped(&drops, &snapshot, ctx.reader, &models, envs, limit)?;
        // Histories are loaded only for drops the models still declare.
        let mut histories: Vec<(&str, crate::alembic::History)> = Vec::new();
        for ((path, env, drop), loc) in pending.iter().zip(locs) {
            let Some(loc) = loc else { continue };
            let at = match histories
                .iter()
                .position(|(s, _)| *s == env.script_location)
            {
                Some(i) => i,
                None => {
                    let h = crate::alembic::History::load(env, &snapshot, ctx.reader)?;
                    histories.push((&env.script_location, h));
                    histories.len() - 1
                }
            };
            if mapped::revived(drop, path, &histories[at].1, &snapshot, ctx.reader)? {
                continue;
            }
            out.push(drop_finding(path, drop, &loc));
        }
        Ok(())
    }
}

/// The finding of a drop the models still declare at `loc`.
fn drop_finding(path: &str, drop: &Drop, loc: &crate::models::schema::Loc) -> Finding {
    let (what, kind) = match &drop.column {
        Some(c) => (format!("column {}.{c}", drop.table), "column"),
        None => (format!("table {}", drop.table), "table"),
    };
    Finding::new(
        RuleId::MigrationDropStillMapped,
        path,
        format!(
            "drops {what}, which the models still declare ({}:{}): the running app will query it and fail",
            loc.path, loc.line
        ),
    )
    .at(drop.position.line, drop.position.column)
    .kind(kind)
}

#[cfg(test)]
mod doc_examples;
#[cfg(test)]
mod tests;
