//! The first pass over a model file ([`Scan`] and its classes) kept for
//! the next extraction that reads the same parsed module (issue 26).
//!
//! A `--range` extracts the schema of a commit's changed model files
//! together with the unchanged ones tied to them, on both sides of every
//! commit that touches a model: on dispatch's history ~40 files each time,
//! most of them the same parsed modules again. The scan of a module
//! depends on its text and path only, so it is kept beside the module it
//! borrows from and cloned (a few strings and node handles) instead of
//! walking the tree again.
//!
//! Scans hold tree-sitter nodes, which cannot cross threads: each worker
//! thread keeps its own (a range's commits are split between threads, so
//! each thread sees its own part of the history anyway). A scan is kept
//! only while the caller's cache of parsed modules (`blob_cache`) holds
//! its module too: keeping scans costs no more trees in memory than that
//! cache, and a count and byte bound cap it besides.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use self_cell::self_cell;

use super::ModelFile;
use super::classes::{ClassDef, Scan, TableNameSpec};
use super::typedefs::TypeDefs;
use crate::models::canon::Prefixes;
use crate::python::Module;

/// Modules whose scans one thread keeps at once.
const KEPT: usize = 64;

/// Their sources add up to at most this. The trees are `blob_cache`'s
/// parsed modules when a scan is kept, but a thread that stops reading
/// models (a batch of commits done) keeps them until it reads again, so
/// this bounds what stays alive that `blob_cache` let go of: ~35 bytes of
/// tree per byte of source, per worker thread. Half of `blob_cache`'s
/// 256 KB: each of the two threads of a 2-core machine keeps its part.
const BYTES_KEPT: usize = 128 << 10;

/// What a scan borrows from: the module and the path it was read at.
pub(super) struct Source {
    module: Arc<Module>,
    path: String,
}

/// A scan of one file without its place in a list of files: its classes
/// carry scan index 0 (see [`Kept::scan`]).
pub(super) struct Parts<'m> {
    prefixes: Prefixes,
    types: TypeDefs<'m>,
    imperative: Vec<String>,
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
    fn new_for(path: &str, module: &Arc<Module>) -> Kept {
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
                classes,
            }
        })
    }

    /// The scan, as [`Scan::new`] makes it.
    pub(super) fn scan(&self) -> Scan<'_> {
        let (source, parts) = (self.borrow_owner(), self.borrow_dependent());
        Scan {
            path: &source.path,
            m: &source.module,
            prefixes: parts.prefixes.clone(),
            types: parts.types.clone(),
            imperative: parts.imperative.clone(),
        }
    }

    /// The module-level classes, as [`Scan::classes`] finds them for the
    /// file at index `scan` of the list read.
    pub(super) fn classes<'k>(&'k self, scan: usize, out: &mut Vec<ClassDef<'k>>) {
        for c in &self.borrow_dependent().classes {
            let mut c = c.clone();
            c.scan = scan;
            if let Some(TableNameSpec::Computed { scan: s, .. }) = &mut c.tablename {
                *s = scan;
            }
            out.push(c);
        }
    }

    fn bytes(&self) -> usize {
        self.borrow_owner().module.source().len()
    }
}

#[derive(Default)]
struct Cache {
    /// Most recently used last.
    kept: VecDeque<Rc<Kept>>,
    bytes: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// The kept scan of `module` read at `path`, made now when this thread
/// keeps none. The same parsed module (the same `Arc`) is the same text:
/// a kept entry holds its module, so its address names no other.
/// `held`: whether the caller's own cache of parsed modules still holds
/// a module (the scans of the others are let go).
pub(super) fn get(
    path: &str,
    module: &Arc<Module>,
    held: &dyn Fn(&Arc<Module>) -> bool,
) -> Rc<Kept> {
    CACHE.with(|cell| {
        let mut c = cell.borrow_mut();
        let hit = c.kept.iter().position(|k| {
            let s = k.borrow_owner();
            Arc::ptr_eq(&s.module, module) && s.path == path
        });
        if let Some(i) = hit
            && let Some(k) = c.kept.remove(i)
        {
            c.kept.push_back(Rc::clone(&k));
            return k;
        }
        let k = Rc::new(Kept::new_for(path, module));
        c.bytes += k.bytes();
        c.kept.push_back(Rc::clone(&k));
        // A module the caller's cache let go of is parsed again before it
        // is read again, into a new module: its scan would never be asked
        // for, and keeping it would keep its tree (another thread's kept
        // scans may hold the same module: a count of holders cannot say).
        c.kept.retain(|k| held(&k.borrow_owner().module));
        c.bytes = c.kept.iter().map(|k| k.bytes()).sum();
        while c.kept.len() > KEPT || (c.bytes > BYTES_KEPT && c.kept.len() > 1) {
            if let Some(old) = c.kept.pop_front() {
                c.bytes -= old.bytes();
            }
        }
        k
    })
}

#[cfg(test)]
mod tests {
    use super::super::{SharedFile, extract_shared, extract_with};
    use super::*;

    fn parse(src: &str) -> Arc<Module> {
        Arc::new(Module::parse(src.as_bytes()).unwrap())
    }

    fn fixture(name: &str) -> Arc<Module> {
        let path = format!(
            "{}/tests/fixtures/models/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Arc::new(Module::parse(&std::fs::read(path).unwrap()).unwrap())
    }

    /// The schema both ways, as text that shows every field and location.
    fn both(files: &[(&str, &Arc<Module>)]) -> (String, String) {
        let plain: Vec<ModelFile<'_>> = files
            .iter()
            .map(|(path, m)| ModelFile { path, module: m })
            .collect();
        let shared: Vec<SharedFile<'_>> = files
            .iter()
            .map(|(path, module)| SharedFile { path, module })
            .collect();
        (
            format!("{:?}", extract_with(&plain, &[])),
            format!("{:?}", extract_shared(&shared, &[], &|_| true)),
        )
    }

    #[test]
    fn a_kept_scan_reads_the_same_schema_at_any_place_in_the_list() {
        // The table name is computed by a base in another file: the scan
        // index the computed name points at must follow the file's place.
        let base = parse(
            "class Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls):\n        return cls.__name__.lower()\nclass Stamp:\n    created = Column(DateTime)\n",
        );
        let user = parse(
            "from .base import Base, Stamp\nclass User(Stamp, Base):\n    id: Mapped[int] = mapped_column(primary_key=True)\n    email: Mapped[str]\n",
        );
        let classic = fixture("classic.py");
        let flask = fixture("flask_models.py");
        let orders: [&[(&str, &Arc<Module>)]; 3] = [
            &[
                ("base.py", &base),
                ("user.py", &user),
                ("classic.py", &classic),
            ],
            &[("flask.py", &flask), ("user.py", &user), ("base.py", &base)],
            &[
                ("classic.py", &classic),
                ("base.py", &base),
                ("user.py", &user),
            ],
        ];
        for files in orders {
            // Twice: the second time every scan is a kept one.
            for _ in 0..2 {
                let (plain, shared) = both(files);
                assert_eq!(plain, shared);
            }
        }
        let (plain, _) = both(&[("base.py", &base), ("user.py", &user)]);
        assert!(plain.contains("\"user\""), "{plain}");
    }

    #[test]
    fn a_scan_is_kept_per_module_and_path() {
        let m = parse("class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer)\n");
        let first = get("a.py", &m, &|_| true);
        assert!(Rc::ptr_eq(&first, &get("a.py", &m, &|_| true)));
        assert!(!Rc::ptr_eq(&first, &get("b.py", &m, &|_| true)));
        // The same text parsed again is another module.
        let again = parse("class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer)\n");
        assert!(!Rc::ptr_eq(&first, &get("a.py", &again, &|_| true)));
    }

    #[test]
    fn a_module_the_callers_cache_let_go_of_is_not_kept() {
        let m = parse("class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer)\n");
        let _first = get("a.py", &m, &|_| true);
        // The next insertion lets go of the modules the caller's cache no
        // longer holds, though they are alive.
        let other = parse("x = 1\n");
        let _kept = get("c.py", &other, &|x| Arc::ptr_eq(x, &other));
        CACHE.with(|c| {
            let c = c.borrow();
            assert_eq!(c.kept.len(), 1);
            assert_eq!(c.bytes, other.source().len());
        });
    }
}
