//! `migration-drop-still-mapped`: which dropped tables and columns the
//! models at the same state still declare.
//!
//! Only model files that mention a dropped name are read (a prefilter on
//! bytes), so a staged migration costs a few reads, and nothing runs when
//! the migration drops nothing. A drop that a later migration of the same
//! environment undoes (the table created again, the column re-added) is
//! history, not a bug: the models describe the later state.

use std::collections::{HashSet, VecDeque};

use rayon::prelude::*;

use super::checks::Drop;
use crate::alembic::History;
use crate::alembic::ops::function_ops;
use crate::alembic::{Environment, environment_of};
use crate::changes::{ContentReader, Snapshot};
use crate::models::ModelPaths;
use crate::models::extract::{ModelFile, extract};
use crate::models::schema::{Loc, Schema};
use crate::python::Module;
use crate::rules::model_head::in_script_folder;

/// Where the models declare what `drop` removes, if they do.
pub fn still_mapped(
    drops: &[Drop],
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
    paths: &ModelPaths,
    envs: &[Environment],
    limit: u64,
) -> anyhow::Result<Vec<Option<Loc>>> {
    if drops.is_empty() {
        return Ok(Vec::new());
    }
    let squash = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .filter(|b| **b != b'_')
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    // A file can declare a drop only if it names the table (maybe as its
    // class name: squashed and lower-cased) and the column.
    let needles: Vec<(Vec<u8>, Option<&[u8]>)> = drops
        .iter()
        .map(|d| {
            (
                squash(d.table.as_bytes()),
                d.column.as_deref().map(str::as_bytes),
            )
        })
        .collect();
    let mut entries = Vec::new();
    for e in snapshot.entries() {
        // Revision files and the scripts beside them declare tables too,
        // as they were: never the models.
        if paths.may_be_model(e.path)
            && !in_script_folder(envs, e.path)
            && environment_of(envs, e.path).is_none()
        {
            entries.push(e);
        }
    }
    let read: Vec<anyhow::Result<Option<(String, Module)>>> = entries
        .par_iter()
        .map(|entry| {
            let Some(bytes) = reader.read(entry.blob, limit)? else {
                return Ok(None);
            };
            if !paths.is_model_bytes(entry.path, &bytes) {
                return Ok(None);
            }
            let hay = squash(&bytes);
            let names = needles.iter().any(|(table, column)| {
                memchr::memmem::find(&hay, table).is_some()
                    && column.is_none_or(|c| memchr::memmem::find(&bytes, c).is_some())
            });
            if !names {
                return Ok(None);
            }
            Ok(Module::parse(&bytes)
                .filter(|m| !m.has_errors())
                .map(|m| (entry.path.to_string(), m)))
        })
        .collect();
    let mut files: Vec<(String, Module)> = Vec::new();
    for r in read {
        files.extend(r?);
    }
    if files.is_empty() {
        return Ok(vec![None; drops.len()]);
    }
    let model_files: Vec<ModelFile<'_>> = files
        .iter()
        .map(|(path, module)| ModelFile { path, module })
        .collect();
    let schema = extract(&model_files);
    Ok(drops.iter().map(|d| declared(&schema, d)).collect())
}

/// Where `schema` declares the table or column `drop` removes.
pub fn declared(schema: &Schema, drop: &Drop) -> Option<Loc> {
    let table = schema.table(&drop.table).filter(|t| !t.name_unknown)?;
    match &drop.column {
        None => Some(table.loc.clone()),
        Some(c) => table.column(c).map(|c| c.loc.clone()),
    }
}

/// Whether a migration after the one at `path` (in the revision graph of
/// `history`) creates the table again or adds the column back.
pub fn revived(
    drop: &Drop,
    path: &str,
    history: &History,
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> anyhow::Result<bool> {
    let Some(start) = history
        .files
        .iter()
        .find(|f| f.path == path)
        .and_then(|f| f.node)
    else {
        return Ok(false);
    };
    let mut seen = HashSet::from([start]);
    let mut queue: VecDeque<usize> = history.graph.children[start].iter().copied().collect();
    while let Some(n) = queue.pop_front() {
        if !seen.insert(n) {
            continue;
        }
        queue.extend(history.graph.children[n].iter().copied());
        let file = history.file_of(n);
        let Some(entry) = snapshot.get(&file.path) else {
            continue;
        };
        let Some(bytes) = reader.read(entry.blob, crate::alembic::MAX_MIGRATION_SIZE)? else {
            continue;
        };
        let Some(m) = Module::parse(&bytes) else {
            continue;
        };
        let back = function_ops(&m, "upgrade")
            .unwrap_or_default()
            .iter()
            .any(|o| {
                let on_table = o.table.as_deref() == Some(&drop.table);
                match &drop.column {
                    None => {
                        (o.name == "create_table" && on_table)
                            || (o.name == "rename_table"
                                && o.new_name.as_deref() == Some(&drop.table))
                    }
                    Some(c) => {
                        on_table
                            && ((o.name == "add_column" && o.column.as_deref() == Some(c))
                                || (o.name == "alter_column" && o.new_name.as_deref() == Some(c)))
                            || (o.name == "create_table" && on_table)
                    }
                }
            });
        if back {
            return Ok(true);
        }
    }
    Ok(false)
}
