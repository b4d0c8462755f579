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

use crate::alembic::replay::{self, Head, Knows};
use crate::alembic::{Environment, environment_of};
use crate::blob_cache;
use crate::changes::{ContentReader, Snapshot};
use crate::config::Config;
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::models::ModelPaths;
use crate::models::compare::{self, Scope};
use crate::models::diff::Change;
use crate::models::extract::{ModelFile, extract};
use crate::models::schema::{Schema, Table};
use crate::python::Module;

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

impl Reference {
    /// Replays every environment of `snapshot`.
    pub fn load(
        envs: &[Environment],
        snapshot: &Snapshot,
        reader: &dyn ContentReader,
    ) -> anyhow::Result<Reference> {
        let mut heads = Vec::new();
        for env in envs {
            heads.push((env.clone(), replay::head(env, snapshot, reader)?));
        }
        Ok(Reference { heads })
    }

    /// What the heads know about `table` (its name unknown: unknown).
    pub fn knows<'r>(&'r self, table: &Table) -> Known<'r> {
        if table.name_unknown || self.heads.is_empty() {
            return Known::Unknown;
        }
        let mut unknown = false;
        for (_, h) in &self.heads {
            match h.knows(&table.name) {
                Knows::Table(t) => return Known::Table(t, h),
                Knows::Unknown => unknown = true,
                Knows::Absent => {}
            }
        }
        if unknown {
            Known::Unknown
        } else {
            Known::Absent
        }
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

/// Where `model`'s table differs from the migrations within `scope`;
/// `None` when the migrations cannot say.
pub fn differences(reference: &Reference, model: &Table, scope: &Scope) -> Option<Vec<Change>> {
    if model.columns.is_empty() {
        // A subclass that names a table but declares no column: single
        // table inheritance (Flask-SQLAlchemy drops such a table), or a
        // table whose columns come from somewhere not read.
        return None;
    }
    match reference.knows(model) {
        Known::Unknown => None,
        Known::Absent => Some(vec![compare::missing_table(model)]),
        Known::Table(t, h) => Some(compare::compare(
            model,
            t,
            scope,
            &Reference::table_names(h),
        )),
    }
}

/// Every model file of `snapshot` read together (migration files and
/// files that do not parse left out; the latter are returned by path).
pub fn read_models(
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
    config: &Config,
    envs: &[Environment],
) -> anyhow::Result<(Schema, Vec<String>)> {
    let paths = ModelPaths::new(&config.models);
    let limit = config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    let mut files: Vec<(String, Arc<Module>)> = Vec::new();
    let mut broken = Vec::new();
    for e in snapshot.entries() {
        if !paths.is_model(e.path) || environment_of(envs, e.path).is_some() {
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
    let all: Vec<ModelFile<'_>> = files
        .iter()
        .map(|(path, module)| ModelFile { path, module })
        .collect();
    Ok((extract(&all), broken))
}

/// Every difference between all the models and the migrations, model
/// table by model table (tables only the migrations create are not
/// reported: the models read may not be all of the application's).
pub fn all_differences(reference: &Reference, models: &Schema) -> Vec<Change> {
    let mut out = Vec::new();
    for t in &models.tables {
        if let Some(d) = differences(reference, t, &Scope::whole()) {
            out.extend(d);
        }
    }
    out
}
