//! A repository's own column types named in revision files, resolved to
//! what the database stores (issue 25).
//!
//! Autogenerate writes a `TypeDecorator` into a revision by its module
//! path: `flaskbb.utils.database.UTCDateTime(timezone=True)`. The replay
//! reads each revision file on its own ([`crate::alembic::replay`]), so
//! such a type is unknown in the head, and a model that changes the
//! column's type (back to `DateTime`) is not seen. Here the module the
//! path names is looked up in the snapshot (from the repository root, or
//! from a folder above the environment, for `src/` layouts) and the type
//! is read the way the models read it ([`extract_with`]): the decorator's
//! `impl` with the arguments it receives. A bare name (`GUID()`) is looked
//! up through the imports of the revision file that created the column.
//! What cannot be resolved stays as it is: unknown, never a change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::alembic::Environment;
use crate::alembic::replay::Head;
use crate::blob_cache;
use crate::changes::{ContentReader, ObjectId, Snapshot};
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::models::dbtype;
use crate::models::extract::{ModelFile, extract_with};
use crate::python::{Module, descendants};

/// Top-level modules whose types [`dbtype`] knows or that are never the
/// repository's: not looked up.
const EXTERNAL: &[&str] = &[
    "sa",
    "sqlalchemy",
    "sqlmodel",
    "sqlalchemy_utils",
    "postgresql",
    "mysql",
    "sqlite",
    "mssql",
    "oracle",
    "db",
    "op",
];

/// Heads with their types resolved, by the head and the library files
/// they were resolved from: consecutive commits share both.
type Resolved = Mutex<Vec<(Arc<Head>, Vec<(String, ObjectId)>, Arc<Head>)>>;

/// How many resolved heads are kept.
const KEPT: usize = 8;

fn resolved_cache() -> &'static Resolved {
    static CELL: OnceLock<Resolved> = OnceLock::new();
    CELL.get_or_init(Default::default)
}

/// `(module path, class name, arguments)` of a type written by module
/// path (`a.b.Name(args)`) that [`dbtype::key`] does not know.
fn module_type(type_text: &str) -> Option<(&str, &str, &str)> {
    if dbtype::key(type_text).is_some() {
        return None;
    }
    let (callee, args) = match type_text.find('(') {
        Some(i) => (&type_text[..i], &type_text[i..]),
        None => (type_text, ""),
    };
    let (module, name) = callee.rsplit_once('.')?;
    let top = module.split('.').next()?;
    let word = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if EXTERNAL.contains(&top) || !module.split('.').all(word) || !word(name) {
        return None;
    }
    Some((module, name, args))
}

/// The folders a module path may be rooted at: the repository root and
/// every folder above the environment's script folder.
fn roots(env: &Environment) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut d = env.script_location.as_str();
    while let Some((parent, _)) = d.rsplit_once('/') {
        out.push(parent.to_string());
        d = parent;
    }
    out
}

/// The repository file that holds `module`, when the snapshot has one.
fn module_file(snapshot: &Snapshot, roots: &[String], module: &str) -> Option<String> {
    let rel = module.replace('.', "/");
    roots.iter().find_map(|root| {
        let join = |tail: String| {
            if root.is_empty() {
                tail
            } else {
                format!("{root}/{tail}")
            }
        };
        [
            join(format!("{rel}.py")),
            join(format!("{rel}/__init__.py")),
        ]
        .into_iter()
        .find(|p| snapshot.get(p).is_some())
    })
}

/// `name(args)` read as the models read a column type imported from
/// `module` (the file `library` at `path`): `None` when the result is
/// still not a type [`dbtype`] knows.
fn resolve_one(
    path: &str,
    library: &Module,
    module: &str,
    name: &str,
    args: &str,
) -> Option<String> {
    let source = format!(
        "from {module} import {name}\nt = Table(\"t\", metadata, Column(\"c\", {name}{args}))\n"
    );
    let m = Module::parse(source.as_bytes())?;
    if m.has_errors() {
        return None;
    }
    let files = [ModelFile {
        path: "__head_types__.py",
        module: &m,
    }];
    let libraries = [ModelFile {
        path,
        module: library,
    }];
    let schema = extract_with(&files, &libraries);
    let t = schema.tables.first()?.columns.first()?.type_.clone()?;
    dbtype::key(&t).is_some().then_some(t)
}

/// `(name, arguments)` of a type written by a bare name (`GUID()`) that
/// [`dbtype::key`] does not know.
fn bare_type(type_text: &str) -> Option<(&str, &str)> {
    if dbtype::key(type_text).is_some() {
        return None;
    }
    let (name, args) = match type_text.find('(') {
        Some(i) => (&type_text[..i], &type_text[i..]),
        None => (type_text, ""),
    };
    let word = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    word.then_some((name, args))
}

/// The names a revision file imports from absolute modules, anywhere in
/// it (`from app.types import GUID as G` is `(G, app.types, GUID)`).
fn imports_of(m: &Module) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for stmt in descendants(m.root()).filter(|n| n.kind() == "import_from_statement") {
        let Some(module) = stmt.child_by_field_name("module_name") else {
            continue;
        };
        let module = m.text(module);
        if module.starts_with('.') {
            continue;
        }
        let mut cursor = stmt.walk();
        for n in stmt.children_by_field_name("name", &mut cursor) {
            let (orig, bound) = match n.kind() {
                "aliased_import" => (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("alias"),
                ),
                _ => (Some(n), Some(n)),
            };
            if let (Some(o), Some(b)) = (orig, bound) {
                out.push((
                    m.text(b).to_string(),
                    module.to_string(),
                    m.text(o).to_string(),
                ));
            }
        }
    }
    out
}

/// What a head column's type names in the repository: `(module, class,
/// arguments)`, by module path or through an import of the revision file
/// that created the column.
type Target = (String, String, String);

/// `head` with the repository types its columns name (by module path, or
/// by a name the revision file imports) resolved (the same head when
/// there are none, or none resolves).
pub fn resolve(
    head: &Arc<Head>,
    env: &Environment,
    snapshot: &Snapshot,
    reader: &dyn ContentReader,
) -> anyhow::Result<Arc<Head>> {
    let roots = roots(env);
    // The imports of each revision file a bare type name comes from.
    let mut revision_imports: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    let mut targets: Vec<Option<Target>> = Vec::new();
    for t in &head.schema.tables {
        for c in &t.columns {
            let Some(text) = c.type_.as_deref() else {
                targets.push(None);
                continue;
            };
            let target = if let Some((module, name, args)) = module_type(text) {
                Some((module.to_string(), name.to_string(), args.to_string()))
            } else if let Some((name, args)) = bare_type(text) {
                let path = c.loc.path.as_str();
                if !revision_imports.contains_key(path) {
                    let found = match snapshot.get(path) {
                        Some(e) => blob_cache::module(e.blob, || {
                            reader.read(e.blob, DEFAULT_MAX_FILE_SIZE)
                        })?
                        .map(|m| imports_of(&m))
                        .unwrap_or_default(),
                        None => Vec::new(),
                    };
                    revision_imports.insert(path.to_string(), found);
                }
                revision_imports[path]
                    .iter()
                    .find(|(bound, _, _)| bound == name)
                    .map(|(_, module, orig)| (module.clone(), orig.clone(), args.to_string()))
            } else {
                None
            };
            targets.push(target);
        }
    }
    // The library file of each module named, in the order first named.
    let mut files: HashMap<String, Option<String>> = HashMap::new();
    let mut wanted: Vec<(String, ObjectId)> = Vec::new();
    for (module, _, _) in targets.iter().flatten() {
        if files.contains_key(module) {
            continue;
        }
        let file = module_file(snapshot, &roots, module);
        if let Some(p) = &file
            && let Some(id) = snapshot.get(p).and_then(|e| e.blob.object_id())
        {
            wanted.push((p.clone(), id));
        }
        files.insert(module.clone(), file);
    }
    if files.values().all(Option::is_none) {
        return Ok(Arc::clone(head));
    }
    if let Ok(kept) = resolved_cache().lock()
        && let Some((_, _, r)) = kept
            .iter()
            .find(|(h, k, _)| Arc::ptr_eq(h, head) && *k == wanted)
    {
        return Ok(Arc::clone(r));
    }
    let mut libraries: HashMap<String, Arc<Module>> = HashMap::new();
    for path in files.values().flatten() {
        let Some(e) = snapshot.get(path) else {
            continue;
        };
        if let Some(m) = blob_cache::module(e.blob, || reader.read(e.blob, DEFAULT_MAX_FILE_SIZE))?
            && !m.has_errors()
        {
            libraries.insert(path.clone(), m);
        }
    }
    let mut out = Head::clone(head);
    let mut memo: HashMap<Target, Option<String>> = HashMap::new();
    let columns = out
        .schema
        .tables
        .iter_mut()
        .flat_map(|t| t.columns.iter_mut());
    for (c, target) in columns.zip(targets) {
        let Some(target) = target else {
            continue;
        };
        let found = memo
            .entry(target.clone())
            .or_insert_with(|| {
                let (module, name, args) = &target;
                let path = files.get(module)?.as_ref()?;
                let library = libraries.get(path)?;
                resolve_one(path, library, module, name, args)
            })
            .clone();
        if let Some(found) = found {
            c.type_ = Some(found);
        }
    }
    let out = Arc::new(out);
    if let Ok(mut kept) = resolved_cache().lock() {
        kept.push((Arc::clone(head), wanted, Arc::clone(&out)));
        if kept.len() > KEPT {
            kept.remove(0);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unknown_types_written_by_module_path_are_looked_up() {
        assert_eq!(
            module_type("flaskbb.utils.database.UTCDateTime(timezone=True)"),
            Some(("flaskbb.utils.database", "UTCDateTime", "(timezone=True)"))
        );
        assert_eq!(
            module_type("app.types.GUID"),
            Some(("app.types", "GUID", ""))
        );
        assert_eq!(module_type("sa.DateTime(timezone=True)"), None);
        assert_eq!(
            module_type("sqlalchemy_utils.types.uuid.UUIDType(binary=16)"),
            None
        );
        assert_eq!(module_type("GUID()"), None);
        assert_eq!(bare_type("GUID()"), Some(("GUID", "()")));
        assert_eq!(bare_type("String(20)"), None);
    }

    #[test]
    fn a_revision_imports_names_from_absolute_modules_only() {
        let m = Module::parse(
            b"from alembic import op\nfrom app.db.types import GUID as G, Slug\nfrom .local import X\ndef upgrade():\n    from app.more import Y\n",
        )
        .unwrap();
        let got = imports_of(&m);
        assert!(got.contains(&("G".into(), "app.db.types".into(), "GUID".into())));
        assert!(got.contains(&("Slug".into(), "app.db.types".into(), "Slug".into())));
        assert!(got.contains(&("Y".into(), "app.more".into(), "Y".into())));
        assert!(!got.iter().any(|(b, _, _)| b == "X"));
    }

    #[test]
    fn a_type_decorator_is_its_impl_with_the_arguments_it_receives() {
        let lib = Module::parse(
            b"import sqlalchemy as sa\nclass UTCDateTime(sa.types.TypeDecorator):\n    impl = sa.DateTime\n",
        )
        .unwrap();
        assert_eq!(
            resolve_one(
                "app/db.py",
                &lib,
                "app.db",
                "UTCDateTime",
                "(timezone=True)"
            )
            .as_deref(),
            Some("DateTime(timezone=True)")
        );
        // A class that is not a type stays unknown.
        let lib = Module::parse(b"class UTCDateTime:\n    pass\n").unwrap();
        assert_eq!(
            resolve_one("app/db.py", &lib, "app.db", "UTCDateTime", "()"),
            None
        );
    }
}
