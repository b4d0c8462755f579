//! Alembic, read statically: the environments of a repository, the
//! migration files each one loads, what each file declares, and the
//! revision graph Alembic would build from them. No Python runs.
//!
//! Everything works on a [`Snapshot`] (the state being checked: the index,
//! a commit, the tracked working tree) and a [`ContentReader`], never on
//! the filesystem, so staged and range checks see exactly the committed
//! or staged state.
//!
//! The public API other rule families use (the model rules of issue 5):
//! - [`environments`]: every Alembic environment of a snapshot;
//! - [`Environment::is_migration_path`] / [`environment_of`]: whether a
//!   path is a migration file that an environment loads;
//! - [`read_migration`]: one parsed [`Migration`], with its `upgrade()` and
//!   `downgrade()` [`Function`]s (lines and byte ranges);
//! - [`History::load`]: every migration of an environment and its
//!   [`Graph`].

pub mod dialect;
pub mod discover;
pub mod effect;
pub mod graph;
pub mod include_object;
pub mod ini;
pub mod ops;
pub mod parse;
pub mod pyconfig;
pub mod replay;
pub mod reuse;

pub use discover::{Environment, Origin, environment_of, environments};
pub use graph::{BrokenLink, Graph, LinkKind};
pub use parse::{Body, Downgrade, Function, Migration, Value};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::changes::{BlobRef, ContentReader, ObjectId, Snapshot};

/// The largest migration file read (a bigger one is reported unreadable).
pub const MAX_MIGRATION_SIZE: u64 = 16 << 20;

/// Parsed migrations by blob id: range mode rebuilds the graph of many
/// commits that share most of their files.
fn cache() -> &'static Mutex<HashMap<ObjectId, Arc<Migration>>> {
    static CACHE: OnceLock<Mutex<HashMap<ObjectId, Arc<Migration>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Reads and parses the migration at `path` (its file name matters only
/// for Alembic's legacy revision-from-name rule). Content that cannot be
/// read as text still yields a [`Migration`] whose `revision` is
/// unreadable; only I/O failures are errors.
pub fn read_migration(
    reader: &dyn ContentReader,
    blob: &BlobRef,
    path: &str,
) -> anyhow::Result<Arc<Migration>> {
    let id = blob.object_id();
    if let Some(id) = id
        && let Ok(map) = cache().lock()
        && let Some(m) = map.get(&id)
    {
        return Ok(Arc::clone(m));
    }
    let name = crate::changes::file_name(path);
    let migration = match reader.read(blob, MAX_MIGRATION_SIZE)? {
        Some(bytes) => Migration::parse(&bytes, name),
        None => {
            let mut m = Migration::parse(b"", name);
            m.revision = Value::Unreadable {
                line: 1,
                reason: format!("the file is larger than {MAX_MIGRATION_SIZE} bytes"),
            };
            m
        }
    };
    let migration = Arc::new(migration);
    if let Some(id) = id
        && let Ok(mut map) = cache().lock()
    {
        map.insert(id, Arc::clone(&migration));
    }
    Ok(migration)
}

/// One migration file of an environment.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    /// Repository-relative path.
    pub path: String,
    pub migration: Arc<Migration>,
    /// Index into [`History::graph`]'s nodes when the revision was read.
    pub node: Option<usize>,
}

/// Every migration of one environment, in Alembic's load order, and the
/// graph of those whose revision could be read.
#[derive(Clone, Debug)]
pub struct History {
    pub files: Vec<MigrationFile>,
    /// `graph` indices back to `files`.
    pub node_files: Vec<usize>,
    pub nodes: Vec<graph::Node>,
    pub graph: Graph,
}

impl History {
    /// Reads every migration file `env` loads from `snapshot` (in
    /// parallel) and builds the graph.
    pub fn load(
        env: &Environment,
        snapshot: &Snapshot,
        reader: &dyn ContentReader,
    ) -> anyhow::Result<History> {
        let entries = env.migration_entries(snapshot);
        let parsed: Vec<anyhow::Result<Arc<Migration>>> = entries
            .par_iter()
            .map(|e| read_migration(reader, e.blob, e.path))
            .collect();
        let mut files = Vec::with_capacity(entries.len());
        let mut nodes = Vec::new();
        let mut node_files = Vec::new();
        for (entry, m) in entries.iter().zip(parsed) {
            let migration = m?;
            let node = migration.revision.known().map(|rev| {
                nodes.push(graph::Node {
                    revision: rev.clone(),
                    down_revisions: match &migration.down_revisions {
                        Value::Known { value, .. } => Some(value.clone()),
                        // Alembic fails on a file without down_revision;
                        // the parse-error rule reports it.
                        Value::Absent | Value::Unreadable { .. } => None,
                    },
                    depends_on: migration.depends_on.known().cloned().unwrap_or_default(),
                    branch_labels: migration.branch_labels.known().cloned().unwrap_or_default(),
                });
                node_files.push(files.len());
                nodes.len() - 1
            });
            files.push(MigrationFile {
                path: entry.path.to_string(),
                migration,
                node,
            });
        }
        let graph = Graph::build(&nodes);
        Ok(History {
            files,
            node_files,
            nodes,
            graph,
        })
    }

    /// The file of graph node `i`.
    pub fn file_of(&self, node: usize) -> &MigrationFile {
        &self.files[self.node_files[node]]
    }
}
