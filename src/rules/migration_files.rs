//! Which migration files a migration-rule family reads in one check:
//! every revision file of every environment with `--all`, else the
//! changed Python files that sit in an environment. Shared by the
//! families that read operations (`migration_ops`, `migration_safety`),
//! so that they agree on what a check covers.

use super::{Context, RuleId};
use crate::alembic::{Environment, environment_of};
use crate::changes::{BlobRef, Change, Mode, Snapshot};

/// One migration file to read.
pub struct MigrationFile<'a> {
    pub path: &'a str,
    pub blob: &'a BlobRef,
    pub env: &'a Environment,
    /// The change that brings the file (`None` with `--all`).
    pub change: Option<&'a Change>,
}

fn is_python_change(c: &Change) -> bool {
    c.status.has_new_content() && c.path.ends_with(".py")
}

/// Whether a family whose rules are `ids` has anything to do: one of them
/// is on and, outside `--all`, the change holds a Python file (a staged
/// commit of other files costs nothing more).
pub fn family_runs(ctx: &Context<'_>, ids: &[RuleId]) -> bool {
    ids.iter().any(|r| (ctx.enabled)(*r))
        && (ctx.set.mode == Mode::All || ctx.set.changes.iter().any(is_python_change))
}

/// The migration files of `envs` that this check covers.
pub fn migration_files<'a>(
    ctx: &'a Context<'_>,
    snapshot: &'a Snapshot,
    envs: &'a [Environment],
) -> Vec<MigrationFile<'a>> {
    let mut out = Vec::new();
    if ctx.set.mode == Mode::All {
        for env in envs {
            for e in env.migration_entries(snapshot) {
                out.push(MigrationFile {
                    path: e.path,
                    blob: e.blob,
                    env,
                    change: None,
                });
            }
        }
    } else {
        for c in ctx.set.changes.iter() {
            if let Some(new) = &c.new
                && is_python_change(c)
                && let Some(env) = environment_of(envs, &c.path)
            {
                out.push(MigrationFile {
                    path: &c.path,
                    blob: new,
                    env,
                    change: Some(c),
                });
            }
        }
    }
    out
}
