//! The models against the schema the migration history builds: the
//! reference of `model-without-migration` (a static `alembic check`), and
//! of `dbguard models --diff`.
//!
//! [`Reference`] holds each environment's replayed head
//! ([`crate::alembic::replay`]) and answers, for a model table, whether
//! the migrations create it, and how; [`read_models`] reads every model
//! file of a snapshot together.

use std::collections::HashSet;
use std::sync::Arc;

use crate::alembic::include_object;
use crate::alembic::replay::{self, Head, Knows};
use crate::alembic::{Environment, environment_of};
use crate::blob_cache;
use crate::changes::{ContentReader, Snapshot};
use crate::config::Config;
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::models::ModelPaths;
use crate::models::compare::{self, Scope};
use crate::models::diff::Change;
use crate::models::extract::{ModelFile, extract_with};
use crate::models::imports;
use crate::models::schema::{Schema, Table};
use crate::python::Module;

use super::model_facts::ModuleFacts;
use super::{Context, RuleId};
use crate::changes::Mode;
use crate::finding::Finding;

/// Every environment's head.
pub struct Reference {
    pub heads: Vec<(Environment, Arc<Head>)>,
}

/// What the migrations say about one model table.
pub enum Known<'r> {
    /// This environment's head creates it.
    Table(&'r Table, &'r Head),
    /// No environment creates it, and every head is known.
    Absent,
    /// Some head cannot be read where it matters (or there is no
    /// environment): nothing can be said.
    Unknown,
}

/// `head` without what the environment's `include_object` hook hides
/// from autogenerate: a hidden table is unknown, a table with a hidden
/// column is unknown, and a table with a hidden index or constraint has
/// its constraints unknown (its columns are still compared).
fn hide(
    head: Arc<Head>,
    env: &Environment,
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> anyhow::Result<Arc<Head>> {
    let path = if env.script_location.is_empty() {
        "env.py".to_string()
    } else {
        format!("{}/env.py", env.script_location)
    };
    let Some(e) = snapshot.get(&path) else {
        return Ok(head);
    };
    let hidden = match blob_cache::module(e.blob, || reader.read(e.blob, DEFAULT_MAX_FILE_SIZE))? {
        Some(m) => blob_cache::derived("include-object", e.blob.object_id(), &path, || {
            include_object::hidden(&m)
        }),
        None => return Ok(head),
    };
    if hidden.is_empty() {
        return Ok(head);
    }
    let mut h = (*head).clone();
    for t in &h.schema.tables {
        let key = t.name.to_lowercase();
        let bare = key.rsplit('.').next().unwrap_or(&key).to_string();
        if hidden.tables.contains(&bare)
            || t.columns.iter().any(|c| hidden.columns.contains(&c.name))
        {
            h.unknown.insert(key);
            continue;
        }
        let named = t
            .indexes
            .iter()
            .map(|i| &i.name)
            .chain(t.uniques.iter().map(|u| &u.name))
            .chain(t.foreign_keys.iter().map(|f| &f.name));
        if named.flatten().any(|n| hidden.constraints.contains(n)) {
            h.loose.insert(key);
        }
    }
    for name in &hidden.tables {
        h.unknown.insert(name.to_lowercase());
    }
    Ok(Arc::new(h))
}

impl Reference {
    /// Replays every environment of `snapshot`.
    pub fn load(
        envs: &[Environment],
        snapshot: &Snapshot,
        reader: &dyn ContentReader,
    ) -> anyhow::Result<Reference> {
        let mut heads = Vec::new();
        for env in envs {
            let head = replay::head(env, snapshot, reader)?;
            let head = super::head_types::resolve(&head, env, snapshot, reader)?;
            let head = hide(head, env, snapshot, reader)?;
            heads.push((env.clone(), head));
        }
        Ok(Reference { heads })
    }

    /// What the heads know about `table` (its name unknown: unknown).
    pub fn knows<'r>(&'r self, table: &Table) -> Known<'r> {
        self.knows_as(table, false)
    }

    /// What the heads know about `table` that the models no longer
    /// declare: as [`Reference::knows`], except that an environment with
    /// no revision at all never created it (a table it could only have
    /// received from a first migration still to be written).
    pub fn knows_removed<'r>(&'r self, table: &Table) -> Known<'r> {
        self.knows_as(table, true)
    }

    fn knows_as<'r>(&'r self, table: &Table, removed: bool) -> Known<'r> {
        if table.name_unknown || self.heads.is_empty() {
            return Known::Unknown;
        }
        // A table one environment's history touches without reading
        // wins over one that creates it: a plugin's migrations may alter a
        // table the core's create (ckan's activity plugin). An environment
        // whose whole head is unknown only matters when no other creates
        // the table.
        let mut found = Vec::new();
        let mut opaque = false;
        let mut dropped = false;
        let mut maybe = false;
        for (i, (_, h)) in self.heads.iter().enumerate() {
            dropped |= h.drops(&table.name);
            match h.knows(&table.name) {
                Knows::Table(t) => found.push((t, h.as_ref())),
                Knows::Unknown if removed && h.no_revisions => {}
                Knows::Unknown if h.opaque.is_some() => opaque = true,
                Knows::Maybe if !self.starts_elsewhere(i) => {}
                Knows::Maybe => maybe = true,
                Knows::Unknown => return Known::Unknown,
                Knows::Absent => {}
            }
        }
        match found.as_slice() {
            [(t, h)] => Known::Table(t, h),
            // Created by two environments: which one is the database's
            // cannot be told.
            [_, _, ..] => Known::Unknown,
            // A table some history drops is gone, though another history
            // starts from a schema made elsewhere.
            [] if opaque || (maybe && !dropped) => Known::Unknown,
            [] => Known::Absent,
        }
    }

    /// Whether the history of head `i` starts from a schema made outside
    /// every environment: it acts on a table that no environment creates.
    /// A plugin's history that only alters the core's tables (ckan's
    /// activity and tracking plugins) starts from the core's schema, which
    /// the core's own head knows: a table neither creates is absent.
    fn starts_elsewhere(&self, i: usize) -> bool {
        let h = &self.heads[i].1;
        h.preexisting
            && h.foreign.iter().any(|t| {
                !self
                    .heads
                    .iter()
                    .enumerate()
                    .any(|(j, (_, o))| j != i && matches!(o.knows(t), Knows::Table(_)))
            })
    }

    /// Whether some history acts on `table` without creating it (see
    /// [`Head::acts_on_existing`]): the database has it.
    pub fn acts_on_existing(&self, table: &str) -> bool {
        self.heads.iter().any(|(_, h)| h.acts_on_existing(table))
    }

    /// The table names a head knows (lowercase), for foreign keys.
    pub fn table_names(head: &Head) -> HashSet<String> {
        head.schema
            .tables
            .iter()
            .map(|t| t.name.to_lowercase())
            .collect()
    }
}

/// Whether `path` lies in an environment's script folder (`env.py`, the
/// versions, upgrade scripts that keep old models): never a model file.
pub fn in_script_folder(envs: &[Environment], path: &str) -> bool {
    envs.iter().any(|e| {
        !e.script_location.is_empty()
            && path
                .strip_prefix(e.script_location.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A model table read wrongly: a primary key that is a foreign key to its
/// own table is what a joined-inheritance subclass (its own table, named
/// by Flask-SQLAlchemy) looks like when it is merged into its parent's.
fn misread(model: &Table) -> bool {
    let own = |target: &str| {
        target
            .rsplit_once('.')
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case(&model.name))
    };
    model.columns.iter().any(|c| {
        (c.primary_key || model.primary_key.contains(&c.name))
            && c.foreign_keys.iter().any(|k| own(&k.target))
    })
}

/// Where `model`'s table differs from the migrations within `scope`;
/// `None` when the migrations cannot say.
pub fn differences(reference: &Reference, model: &Table, scope: &Scope) -> Option<Vec<Change>> {
    if model.columns.is_empty() || misread(model) {
        // A subclass that names a table but declares no column: single
        // table inheritance (Flask-SQLAlchemy drops such a table), or a
        // table whose columns come from somewhere not read.
        return None;
    }
    match reference.knows(model) {
        Known::Unknown => None,
        Known::Absent => Some(vec![compare::missing_table(model)]),
        Known::Table(t, h) => {
            let scope = Scope {
                loose: !h.constraints_known(&t.name),
                ..scope.clone()
            };
            Some(compare::compare(
                model,
                t,
                &scope,
                &Reference::table_names(h),
            ))
        }
    }
}

/// The models read from a snapshot.
pub struct Models {
    pub schema: Schema,
    /// Model files that do not parse (left out).
    pub broken: Vec<String>,
    /// Tables (lowercase) whose class has a base that none of the files
    /// read defines: a mixin elsewhere may add columns, so what the
    /// migrations have and these models lack is not a difference.
    pub partial: HashSet<String>,
}

/// The tables (lowercase) of `schema` whose class names a base that is
/// not a class of `modules` (see [`Models::partial`] and
/// [`super::model_facts::partial_tables`], which reads the same from facts
/// kept per blob).
pub fn partial_tables(schema: &Schema, modules: &[&Module]) -> HashSet<String> {
    let facts: Vec<Arc<ModuleFacts>> = modules
        .iter()
        .map(|m| Arc::new(ModuleFacts::of(m)))
        .collect();
    super::model_facts::partial_tables(schema, &facts)
}

/// Every model file of `snapshot` read together (migration files and
/// files that do not parse left out).
pub fn read_models(
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
    config: &Config,
    envs: &[Environment],
) -> anyhow::Result<Models> {
    let paths = ModelPaths::new(&config.models);
    let limit = config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    let mut files: Vec<(String, Arc<Module>)> = Vec::new();
    let mut broken = Vec::new();
    for e in snapshot.entries() {
        if !paths.may_be_model(e.path)
            || environment_of(envs, e.path).is_some()
            || in_script_folder(envs, e.path)
        {
            continue;
        }
        if !paths.is_model(e.path, e.blob, || reader.read(e.blob, limit))? {
            continue;
        }
        let Some(m) = blob_cache::module(e.blob, || reader.read(e.blob, limit))? else {
            continue;
        };
        if m.has_errors() {
            broken.push(e.path.to_string());
            continue;
        }
        files.push((e.path.to_string(), m));
    }
    // Files the models import column types from (see the same step in
    // `model_migration`).
    let mut seen: HashSet<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut libraries: Vec<(String, Arc<Module>)> = Vec::new();
    let wanted: Vec<String> = files
        .iter()
        .flat_map(|(path, m)| imports::candidates(path, m))
        .filter(|c| seen.insert(c.clone()))
        .collect();
    for path in wanted {
        let Some(e) = snapshot.get(&path) else {
            continue;
        };
        let Some(bytes) = reader.read(e.blob, limit)? else {
            continue;
        };
        if !imports::may_define_types(&bytes) {
            continue;
        }
        if let Some(m) = blob_cache::module(e.blob, || Ok(Some(bytes)))?
            && !m.has_errors()
        {
            libraries.push((path, m));
        }
    }
    let all: Vec<ModelFile<'_>> = files
        .iter()
        .map(|(path, module)| ModelFile { path, module })
        .collect();
    let libs: Vec<ModelFile<'_>> = libraries
        .iter()
        .map(|(path, module)| ModelFile { path, module })
        .collect();
    let schema = extract_with(&all, &libs);
    let modules: Vec<&Module> = files.iter().map(|(_, m)| m.as_ref()).collect();
    let partial = partial_tables(&schema, &modules);
    Ok(Models {
        schema,
        broken,
        partial,
    })
}

/// Every difference between all the models and the migrations, model
/// table by model table (tables only the migrations create are not
/// reported: the models read may not be all of the application's).
pub fn all_differences(reference: &Reference, models: &Models) -> Vec<Change> {
    let mut out = Vec::new();
    for t in &models.schema.tables {
        let scope = Scope {
            partial: models.partial.contains(&t.name.to_lowercase()),
            ..Scope::whole()
        };
        if let Some(d) = differences(reference, t, &scope) {
            out.extend(d);
        }
    }
    out
}

/// A change set's model changes, split by what the migrations know.
pub struct Split {
    /// Where the new models differ from the head the history builds after
    /// the change, for the tables and columns the change touched.
    pub differences: Vec<Change>,
    /// The model changes on tables the migrations cannot say anything
    /// about: judged as before (a new migration in the change or not).
    pub fallback: Vec<Change>,
}

/// Splits `changes` (from `old` to `new`, the models the change read) by
/// what `reference` knows. `partial`: tables whose models may have more
/// than was read; `moved`: tables gone from the models read that another
/// file of the change names (moved out of the model files).
pub fn split(
    reference: &Reference,
    old: &Schema,
    new: &Schema,
    changes: Vec<Change>,
    partial: &HashSet<String>,
    moved: &HashSet<String>,
) -> Split {
    let scopes = compare::touched(old, new);
    let mut found = Vec::new();
    let mut unknown: HashSet<String> = HashSet::new();
    // In the models' order: new tables first, removed ones after.
    let mut keys: Vec<String> = Vec::new();
    for c in &changes {
        let k = c.table.to_lowercase();
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let by_name = |s: &Schema, key: &str| {
        s.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(key))
            .cloned()
    };
    // Tables the change adds to the models that the database has (the
    // migrations create them, or act on them though none creates them):
    // a removed table with the same columns is their old, wrong name.
    let existing: Vec<Table> = keys
        .iter()
        .filter(|k| by_name(old, k).is_none())
        .filter_map(|k| by_name(new, k))
        .filter(|t| {
            matches!(reference.knows(t), Known::Table(..)) || reference.acts_on_existing(&t.name)
        })
        .collect();
    for key in keys {
        let (n, o) = (by_name(new, &key), by_name(old, &key));
        if n.as_ref().is_none_or(|t| t.columns.is_empty())
            && o.as_ref().is_none_or(|t| t.columns.is_empty())
        {
            // A class that names a table but declares no column (single
            // table inheritance): no table of its own either way.
            continue;
        }
        let mut scope = match scopes.get(&key) {
            Some(s) => s.clone(),
            // In both versions, and nothing changed that Alembic compares
            // (an enum's values or name): nothing to compare.
            None if n
                .as_ref()
                .zip(o.as_ref())
                .is_some_and(|(n, o)| compare::only_enums_changed(o, n)) =>
            {
                continue;
            }
            None => Scope::whole(),
        };
        scope.partial = partial.contains(&key);
        match (n, o) {
            (Some(t), o) => match differences(reference, &t, &scope) {
                Some(d) => found.extend(d),
                // A table the models add that the history acts on though
                // none of its revisions creates it (it came from
                // `create_all`): the model catches up with the database.
                None if o.is_none() && reference.acts_on_existing(&t.name) => {}
                None => {
                    unknown.insert(key);
                }
            },
            // Declared now in a file that is not read as a model file.
            (None, Some(_)) if moved.contains(&key) => {}
            // Renamed in the models to a name the database has.
            (None, Some(o)) if existing.iter().any(|t| same_columns(t, &o)) => {}
            (None, Some(o)) => match reference.knows_removed(&o) {
                // The models dropped a table the migrations still create.
                Known::Table(..) => found.push(compare::extra_table(&o.name, &o.loc)),
                // Both agree it is gone (a revert, a migration that landed
                // first).
                Known::Absent => {}
                Known::Unknown => {
                    unknown.insert(key);
                }
            },
            (None, None) => {
                unknown.insert(key);
            }
        }
    }
    let fallback = changes
        .into_iter()
        .filter(|c| unknown.contains(&c.table.to_lowercase()))
        .collect();
    Split {
        differences: found,
        fallback,
    }
}

/// Whether two tables declare the same column names (any order, any
/// case): one table under two names.
fn same_columns(a: &Table, b: &Table) -> bool {
    let names = |t: &Table| -> std::collections::BTreeSet<String> {
        t.columns.iter().map(|c| c.name.to_lowercase()).collect()
    };
    !a.columns.is_empty() && names(a) == names(b)
}

/// `check --all`: every model against the schema the migrations build, a
/// finding per model file where they differ (a static `alembic check`).
/// Tables only the migrations create are not reported (see
/// [`all_differences`]); a repository without an Alembic environment, or
/// whose heads cannot be read, gets nothing.
pub fn check_all(ctx: &Context<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    let (snapshot, envs) = ctx.environments()?;
    if envs.is_empty() {
        return Ok(());
    }
    let models = read_models(&snapshot, ctx.reader, ctx.config, envs)?;
    if models.schema.tables.is_empty() {
        return Ok(());
    }
    let reference = Reference::load(envs, &snapshot, ctx.reader)?;
    let found = all_differences(&reference, &models);
    for (path, group) in super::model_findings::group(&found) {
        let line = group.iter().filter_map(|c| c.line).min();
        if let Some(l) = line
            && let Some(e) = snapshot.get(&path)
            && let Some(bytes) = ctx.reader.read(e.blob, DEFAULT_MAX_FILE_SIZE)?
            && crate::suppress::is_suppressed(&bytes, l, RuleId::ModelWithoutMigration)
        {
            continue;
        }
        out.push(super::model_findings::differs(
            Mode::All,
            envs,
            &path,
            &group,
            &found,
            false,
        ));
    }
    Ok(())
}
