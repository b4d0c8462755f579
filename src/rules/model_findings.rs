//! The findings `model-without-migration` reports and their messages:
//! changes grouped by model file, named as the database knows them, with
//! the command that writes the migration for the environment that owns
//! the file. Kept apart from the rule's logic (`model_migration.rs`) so
//! that both the change-set check and `--all` (`model_head.rs`) word
//! their findings the same way.

use std::collections::{BTreeMap, HashSet};

use super::RuleId;
use crate::alembic::{Environment, Origin};
use crate::changes::{Change, Mode};
use crate::finding::{Finding, Severity};
use crate::models::diff::Change as SchemaChange;
use crate::python::Module;

/// How many changes one message lists before "and N more".
const LISTED: usize = 8;

/// Changes grouped by the model file they are declared in, files in the
/// order their first change appears.
pub(super) fn group(changes: &[SchemaChange]) -> Vec<(String, Vec<&SchemaChange>)> {
    let mut order: Vec<String> = Vec::new();
    let mut map: BTreeMap<String, Vec<&SchemaChange>> = BTreeMap::new();
    for c in changes {
        if !map.contains_key(&c.path) {
            order.push(c.path.clone());
        }
        map.entry(c.path.clone()).or_default().push(c);
    }
    order
        .into_iter()
        .map(|p| {
            let v = map.remove(&p).unwrap_or_default();
            (p, v)
        })
        .collect()
}

/// "a; b; c and 3 more".
pub(super) fn list(changes: &[&SchemaChange]) -> String {
    let mut s = changes
        .iter()
        .take(LISTED)
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    if changes.len() > LISTED {
        s.push_str(&format!(" and {} more", changes.len() - LISTED));
    }
    s
}

/// The first line among the changes that have one.
pub(super) fn first_line(changes: &[&SchemaChange]) -> Option<u32> {
    changes.iter().filter_map(|c| c.line).min()
}

/// The migration message a developer would write for these changes.
pub(super) fn slug(all: &[SchemaChange]) -> String {
    match all {
        [one] => one.summary.clone(),
        _ => {
            let mut tables: Vec<&str> = all.iter().map(|c| c.table.as_str()).collect();
            tables.dedup();
            let mut seen = HashSet::new();
            tables.retain(|t| seen.insert(*t));
            format!("update {}", tables.join(", "))
        }
    }
}

pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The environment a model file most likely belongs to: the one whose
/// project folder is the longest prefix of its path.
pub(super) fn environment_for<'e>(envs: &'e [Environment], path: &str) -> Option<&'e Environment> {
    envs.iter()
        .filter(|e| {
            let dir = project_dir(e).0;
            dir.is_empty() || path.starts_with(&format!("{dir}/"))
        })
        .max_by_key(|e| project_dir(e).0.len())
        .or_else(|| envs.first())
}

/// Where to run the command that writes a migration, and the command:
/// `alembic` next to `alembic.ini`, `flask db` for Flask-Migrate (its
/// `alembic.ini` sits inside the migrations folder).
pub(super) fn project_dir(env: &Environment) -> (String, &'static str) {
    match &env.origin {
        Origin::Ini(ini) if parent(ini) == env.script_location => {
            (parent(&env.script_location).to_string(), "flask db migrate")
        }
        Origin::Ini(ini) | Origin::IniSection { path: ini, .. } => {
            (parent(ini).to_string(), "alembic revision --autogenerate")
        }
        Origin::Folder => (parent(&env.script_location).to_string(), "flask db migrate"),
        Origin::Python(_) | Origin::Revisions | Origin::Config => (
            parent(&env.script_location).to_string(),
            "alembic revision --autogenerate",
        ),
    }
}

/// The command that writes the migration, and what to do with it.
pub(super) fn fix_for(envs: &[Environment], path: &str, slug: &str) -> (String, String) {
    match environment_for(envs, path) {
        Some(env) => {
            let (dir, command) = project_dir(env);
            let cd = if dir.is_empty() {
                String::new()
            } else {
                format!("cd {dir} && ")
            };
            let versions = env
                .version_locations
                .first()
                .cloned()
                .unwrap_or_else(|| env.script_location.clone());
            (
                format!("generate one with `{cd}{command} -m \"{slug}\"`"),
                format!("review the generated migration, then `git add {versions}/` and commit it with the model change"),
            )
        }
        None => (
            format!("set up Alembic (`alembic init migrations`) and run `alembic revision --autogenerate -m \"{slug}\"`"),
            "no Alembic environment was found; if the migrations live somewhere discovery cannot see, declare them under `migrations.environments` in .dbguard.yaml".to_string(),
        ),
    }
}

/// Models that differ from the schema the migrations build (after the
/// change, or in the tree for `--all`).
pub(super) fn differs(
    mode: Mode,
    envs: &[Environment],
    path: &str,
    group: &[&SchemaChange],
    all: &[SchemaChange],
    migration_in_change: bool,
) -> Finding {
    let tail = match (mode, migration_in_change) {
        (Mode::All, _) => "",
        (_, true) => ", and the migrations in this change do not make up for it",
        (Mode::Range, false) => ", and this commit adds no migration",
        (Mode::Paths, false) => ", and none of the checked files is a new migration",
        (_, false) => ", and no new migration is staged",
    };
    let (command, hint) = fix_for(envs, path, &slug(all));
    let command = command.replacen("generate one with", "generate a migration with", 1);
    let message = format!("{}{tail}; {command}", list(group));
    let mut f = Finding::new(RuleId::ModelWithoutMigration, path, message)
        .kind("no-migration")
        .hint(hint);
    if let Some(l) = first_line(group) {
        f = f.at_line(l);
    }
    f
}

pub(super) fn missing(
    mode: Mode,
    envs: &[Environment],
    path: &str,
    group: &[&SchemaChange],
    all: &[SchemaChange],
) -> Finding {
    let tail = match mode {
        Mode::Range => "but this commit adds no migration",
        Mode::Paths => "but none of the checked files is a new migration",
        _ => "but no new migration is staged",
    };
    let (command, hint) = fix_for(envs, path, &slug(all));
    let message = format!("{}, {tail}; {command}", list(group));
    let mut f = Finding::new(RuleId::ModelWithoutMigration, path, message)
        .kind("no-migration")
        .hint(hint);
    if let Some(l) = first_line(group) {
        f = f.at_line(l);
    }
    f
}

pub(super) fn unrelated(
    path: &str,
    group: &[&SchemaChange],
    tables: &[&str],
    migrations: &[&str],
) -> Finding {
    let which = match migrations {
        [one] => format!("the new migration {one} does not"),
        _ => format!(
            "none of the new migrations ({}) does",
            migrations.join(", ")
        ),
    };
    let mut f = Finding::new(
        RuleId::ModelWithoutMigration,
        path,
        format!(
            "{}, but {which} touch {}: it is probably for something else",
            list(group),
            tables.join(" or ")
        ),
    )
    .kind("migration-unrelated")
    .hint("check that the migration covers this model change, or generate one with `alembic revision --autogenerate`");
    f.severity = Severity::Warning;
    if let Some(l) = first_line(group) {
        f = f.at_line(l);
    }
    f
}

pub(super) fn unreadable(c: &Change, m: &Module) -> Finding {
    let line = crate::python::descendants(m.root())
        .find(|n| n.is_error() || n.is_missing())
        .map(|n| m.position(n).line);
    let mut f = Finding::new(
        RuleId::ModelWithoutMigration,
        &c.path,
        "the model file does not parse, so its schema was not compared with the previous version",
    )
    .kind("unreadable-model")
    .hint("fix the syntax error; dbguard then checks the model change again");
    f.severity = Severity::Warning;
    if let Some(l) = line {
        f = f.at_line(l);
    }
    f
}
