//! Reads the schema that SQLAlchemy model files declare, statically, with
//! tree-sitter: nothing is imported or run, so it works without the
//! application's dependencies or a database.
//!
//! Both SQLAlchemy styles are read: 2.0 declarative
//! (`Mapped[...] = mapped_column(...)`, bare `Mapped[int]` annotations) and
//! classic (`Column(...)` in declarative classes, `Table("name", metadata,
//! Column(...))`), plus Flask-SQLAlchemy (`db.Model`, `db.Column`, table
//! names derived from the class name) and SQLModel (`table=True`,
//! `Field(...)`).
//!
//! Several files are read together ([`extract`]) so that a class may use a
//! mixin or base declared in another of them, and so that a model moved
//! from one file to another is the same table on both sides of a diff.
//! What cannot be known from the files read is handled conservatively: a
//! class that maps a table whose name comes from a base class declared
//! elsewhere is keyed by its class name ([`Table::name_unknown`]).
//!
//! Nothing here recurses over the syntax tree itself; the only recursion
//! is over the class hierarchy, guarded against cycles.

mod annotations;
mod calls;
mod classes;
mod columns;
mod constraints;
mod helpers;
mod kept;
mod resolve;
mod syntax;
mod tables;
#[cfg(test)]
mod tests;
mod typedefs;
mod types;

use std::collections::HashSet;
use std::sync::Arc;

pub use calls::CallReader;

use classes::Scan;
use resolve::Resolver;
use syntax::{REGISTRY_BASES, last};

use super::schema::Schema;
use crate::python::Module;

/// One model file to read: its repository path and its parsed text.
pub struct ModelFile<'a> {
    pub path: &'a str,
    pub module: &'a Module,
}

/// Reads one file's bytes on its own; `None` when it cannot be parsed at
/// all. (Callers that care about syntax errors check
/// [`Module::has_errors`] first.)
pub fn extract_source(path: &str, bytes: &[u8]) -> Option<Schema> {
    let module = Module::parse(bytes)?;
    Some(extract(&[ModelFile {
        path,
        module: &module,
    }]))
}

/// The schema declared by `files` read together.
pub fn extract(files: &[ModelFile<'_>]) -> Schema {
    extract_with(files, &[])
}

/// The schema declared by `files` read together, with `libraries` read
/// only for the column types they define (a `TypeDecorator`, an
/// `Annotated` alias, a type variable, a `type_annotation_map`) that the
/// model files import: their tables are not part of the schema.
pub fn extract_with(files: &[ModelFile<'_>], libraries: &[ModelFile<'_>]) -> Schema {
    let scans: Vec<Scan<'_>> = files.iter().chain(libraries).map(Scan::new).collect();
    let mut classes = Vec::new();
    for (i, scan) in scans.iter().enumerate().take(files.len()) {
        scan.classes(i, &mut classes);
    }
    Resolver::new(scans, files.len(), classes).build()
}

/// The first pass over files that several extractions read after their
/// own files: the unchanged model files and type libraries that both
/// sides of a change read (issue 26: on dispatch they are ~40 files a
/// commit). Each file's first pass is the one kept with its parsed module
/// (see `kept`), made once while `blob_cache` keeps the module.
pub struct SharedFiles {
    context: Vec<Arc<kept::Kept>>,
    libraries: Vec<Arc<kept::Kept>>,
}

impl SharedFiles {
    /// The first pass over `context` (model files) and `libraries` (read
    /// for the column types they define), as (path, parsed module).
    pub fn new(context: &[(String, Arc<Module>)], libraries: &[(String, Arc<Module>)]) -> Self {
        let scanned = |files: &[(String, Arc<Module>)]| -> Vec<Arc<kept::Kept>> {
            files.iter().map(|(p, m)| kept::get(p, m)).collect()
        };
        SharedFiles {
            context: scanned(context),
            libraries: scanned(libraries),
        }
    }
}

/// The schema [`extract_with`] reads from `files` followed by the shared
/// context files, with the shared libraries: the same schema, from first
/// passes made once per parsed module.
pub fn extract_shared(files: &[(String, Arc<Module>)], shared: &SharedFiles) -> Schema {
    let own: Vec<Arc<kept::Kept>> = files.iter().map(|(p, m)| kept::get(p, m)).collect();
    let models: Vec<&Arc<kept::Kept>> = own.iter().chain(&shared.context).collect();
    let scans: Vec<Scan<'_>> = models
        .iter()
        .copied()
        .chain(&shared.libraries)
        .map(|k| k.scan())
        .collect();
    let mut classes = Vec::new();
    for (i, k) in models.iter().enumerate() {
        k.classes(i, &mut classes);
    }
    Resolver::new(scans, models.len(), classes).build()
}

/// The class names that tie a model file to other model files: the bases
/// its model classes name but do not define (a declarative base or mixin
/// declared elsewhere), and its own mixins and abstract bases (which
/// models elsewhere may use). A caller reads the other model files that
/// mention them, so that a mixin change reaches its tables. Classes with
/// nothing SQLAlchemy about them (Django models, Pydantic schemas) name
/// nothing, so that such files cost no extra reads.
pub fn context_names(m: &Module) -> Vec<String> {
    let file = ModelFile {
        path: "",
        module: m,
    };
    let scan = Scan::new(&file);
    let mut classes = Vec::new();
    scan.classes(0, &mut classes);
    let defined: HashSet<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut out = Vec::new();
    for c in &classes {
        let sa = c.has_members()
            || c.tablename.is_some()
            || c.table_call.is_some()
            || c.table_args.is_some()
            || c.sqlmodel_table;
        if !sa {
            continue;
        }
        for b in &c.bases {
            let b = last(b);
            if !defined.contains(b) && !REGISTRY_BASES.contains(&b) && b != "Model" {
                out.push(b.to_string());
            }
        }
        if (c.is_abstract || c.is_mixin_or_registry()) && c.has_members() {
            out.push(c.name.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}
