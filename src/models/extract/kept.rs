//! The first pass over a model file ([`Scan`] and its classes) kept with
//! the parsed module it reads (issue 26).
//!
//! A `--range` extracts the schema of a commit's changed model files
//! together with the unchanged ones tied to them, on both sides of every
//! commit that touches a model: on dispatch's history ~40 files each time,
//! most of them the same parsed modules again. The scan of a module
//! depends on its text and path only, so it is kept beside the module it
//! borrows from and cloned (a few strings and node handles) instead of
//! walking the tree again.
//!
//! It is kept in `blob_cache`'s entry of the module
//! ([`blob_cache::with_module`]) and let go with it: a kept scan never
//! holds a tree the cache has let go of (session 15's per-thread kept
//! scans did, and cost 5-15 MB of peak memory).

use std::sync::Arc;

use self_cell::self_cell;
use tree_sitter::Node;

use super::ModelFile;
use super::classes::{ClassDef, Scan};
use super::typedefs::TypeDefs;
use crate::blob_cache;
use crate::models::canon::Prefixes;
use crate::python::Module;

/// What a scan borrows from: the module and the path it was read at.
pub(super) struct Source {
    module: Arc<Module>,
    path: String,
}

/// A scan of one file without its place in a list of files: its classes
/// carry scan index 0 (see [`Kept::classes`]).
pub(super) struct Parts<'m> {
    prefixes: Arc<Prefixes>,
    types: Arc<TypeDefs<'m>>,
    imperative: Arc<[String]>,
    table_calls: Arc<[(Option<String>, Node<'m>)]>,
    loops: Arc<[Node<'m>]>,
    classes: Vec<ClassDef<'m>>,
}

self_cell!(
    /// A module and its scan.
    pub(super) struct Kept {
        owner: Source,
        #[covariant]
        dependent: Parts,
    }
);

impl Kept {
    fn scanned(path: &str, module: &Arc<Module>) -> Kept {
        let source = Source {
            module: Arc::clone(module),
            path: path.to_string(),
        };
        Kept::new(source, |s| {
            let scan = Scan::new(&ModelFile {
                path: &s.path,
                module: &s.module,
            });
            let mut classes = Vec::new();
            scan.classes(0, &mut classes);
            Parts {
                prefixes: scan.prefixes,
                types: scan.types,
                imperative: scan.imperative,
                table_calls: scan.table_calls,
                loops: scan.loops,
                classes,
            }
        })
    }

    /// The scan, as [`Scan::new`] makes it (its parts shared, not copied).
    pub(super) fn scan(&self) -> Scan<'_> {
        let (source, parts) = (self.borrow_owner(), self.borrow_dependent());
        Scan {
            path: &source.path,
            m: &source.module,
            prefixes: parts.prefixes.clone(),
            types: parts.types.clone(),
            imperative: parts.imperative.clone(),
            table_calls: parts.table_calls.clone(),
            loops: parts.loops.clone(),
        }
    }

    /// The module-level classes, as [`Scan::classes`] finds them for the
    /// file at index `scan` of the list read.
    pub(super) fn classes<'k>(&'k self, scan: usize, out: &mut Vec<ClassDef<'k>>) {
        out.extend(
            self.borrow_dependent()
                .classes
                .iter()
                .map(|c| c.renumbered(scan)),
        );
    }
}

/// The scan of `module` read at `path`: the one kept with the module
/// when `blob_cache` keeps it and it was read at the same path, else
/// made now (and kept when the cache keeps the module).
pub(super) fn get(path: &str, module: &Arc<Module>) -> Arc<Kept> {
    let kept = blob_cache::with_module(module, || Arc::new(Kept::scanned(path, module)))
        .and_then(|k| k.downcast::<Kept>().ok())
        .filter(|k| k.borrow_owner().path == path);
    kept.unwrap_or_else(|| Arc::new(Kept::scanned(path, module)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{BlobRef, ObjectId};

    fn kept_module(n: u8, src: &str) -> Arc<Module> {
        let blob = BlobRef::Object(ObjectId::from_bytes(&[n; 20]));
        let bytes = src.as_bytes().to_vec();
        blob_cache::module(&blob, || Ok(Some(bytes)))
            .unwrap()
            .unwrap()
    }

    fn names(k: &Kept) -> Vec<String> {
        let mut out = Vec::new();
        k.classes(3, &mut out);
        assert!(out.iter().all(|c| c.scan == 3));
        out.into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn a_scan_is_kept_with_its_module_and_made_anew_for_another() {
        let a = kept_module(211, "class Stamp:\n    created = Column(DateTime)\n");
        let first = get("app/mixins.py", &a);
        // The same parsed module at the same path: the kept scan.
        assert!(Arc::ptr_eq(&first, &get("app/mixins.py", &a)));
        assert_eq!(names(&first), ["Stamp"]);
        // Read at another path: its own scan (a scan names its file).
        let moved = get("app/other.py", &a);
        assert!(!Arc::ptr_eq(&first, &moved));
        assert_eq!(moved.scan().path, "app/other.py");
        // The base class file changed: another blob, another module,
        // whose scan sees the new classes.
        let b = kept_module(
            212,
            "class Stamp:\n    created = Column(DateTime)\nclass Audit:\n    by = Column(String)\n",
        );
        assert_eq!(names(&get("app/mixins.py", &b)), ["Stamp", "Audit"]);
        // A module the cache does not keep is scanned every time.
        let loose = Arc::new(Module::parse(b"class X(Base):\n    pass\n").unwrap());
        assert!(!Arc::ptr_eq(&get("x.py", &loose), &get("x.py", &loose)));
    }
}
