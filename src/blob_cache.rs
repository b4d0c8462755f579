//! What the Python rules learn from a blob, kept by blob id for the rest
//! of the run (issue 26).
//!
//! A `--range` over a real history reads the same Python blobs again and
//! again: `model-without-migration` parses every model file a commit
//! touches and the unchanged ones tied to them, in every commit that
//! touches a model (4.9 of flaskbb's 6.3 s); `sql-injection` parses the
//! previous version of each file with findings to tell new findings from
//! old, a version it parsed when that version was new. The engine already
//! checks each distinct new blob once; these caches stop the re-parsing.
//!
//! Both are bounded by the work in flight, not by the history: parsed
//! trees (several times their source in memory) in a small LRU of the
//! most recent ones, findings only for blobs that have some.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use crate::changes::{BlobRef, ObjectId};
use crate::finding::Finding;
use crate::models::schema::Schema;
use crate::python::Module;

/// Parsed modules kept at once: a commit's model files and their context
/// (a few dozen on the real projects measured), for both worker threads.
/// Dispatch's ~40 small model files a commit on two threads did not fit
/// in 64: its history parsed 7,030 times for 1,149 distinct blobs; 128
/// (at the same byte bound, so no more memory) parse 3,284 times.
const MODULES_KEPT: usize = 128;

/// Parsed modules kept only while their sources add up to at most this:
/// a tree takes ~35 bytes per byte of source. On flaskbb's history 4 MB
/// cost 52 MB more peak memory for 29% less CPU time, 128 KB 2 MB for 19%.
const MODULE_BYTES_KEPT: usize = 256 << 10;

/// Distinct blobs whose findings are kept: a history's files with
/// findings, each kept until this many newer ones push it out.
const FINDINGS_KEPT: usize = 1024;

/// What a module's entry keeps beside it (see [`with_module`]).
type ModuleSlot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

#[derive(Default)]
struct Modules {
    /// Most recently used last.
    kept: VecDeque<(ObjectId, Arc<Module>, ModuleSlot)>,
    bytes: usize,
}

fn modules() -> &'static Mutex<Modules> {
    static CELL: OnceLock<Mutex<Modules>> = OnceLock::new();
    CELL.get_or_init(Mutex::default)
}

/// The parsed module of `blob` when a recent caller parsed it.
pub fn cached(blob: &BlobRef) -> Option<Arc<Module>> {
    let id = blob.object_id()?;
    let mut m = modules().lock().ok()?;
    let i = m.kept.iter().position(|(k, _, _)| *k == id)?;
    let hit = m.kept.remove(i)?;
    let found = Arc::clone(&hit.1);
    m.kept.push_back(hit);
    Some(found)
}

/// The parsed module of `blob`, read by `read` (`None`: too large, as the
/// reader decides) and parsed only when no recent caller parsed the same
/// blob. Blobs that are not objects (the working tree, memory) are parsed
/// every time: only object ids say that two contents are the same.
pub fn module(
    blob: &BlobRef,
    read: impl FnOnce() -> anyhow::Result<Option<Vec<u8>>>,
) -> anyhow::Result<Option<Arc<Module>>> {
    module_with(blob, read, Module::parse)
}

/// [`module`], with the bytes parsed by `parse` on a miss: the model rule
/// parses a changed file's new version incrementally from its old one
/// ([`Module::parse_after`]), which gives the tree a whole parse gives.
pub fn module_with(
    blob: &BlobRef,
    read: impl FnOnce() -> anyhow::Result<Option<Vec<u8>>>,
    parse: impl FnOnce(&[u8]) -> Option<Module>,
) -> anyhow::Result<Option<Arc<Module>>> {
    let Some(id) = blob.object_id() else {
        return Ok(read()?.and_then(|b| parse(&b)).map(Arc::new));
    };
    if let Some(hit) = cached(blob) {
        return Ok(Some(hit));
    }
    let Some(parsed) = read()?.and_then(|b| parse(&b)).map(Arc::new) else {
        return Ok(None);
    };
    if let Ok(mut m) = modules().lock()
        && !m.kept.iter().any(|(k, _, _)| *k == id)
    {
        m.bytes += parsed.source().len();
        m.kept
            .push_back((id, Arc::clone(&parsed), ModuleSlot::default()));
        while m.kept.len() > MODULES_KEPT || (m.bytes > MODULE_BYTES_KEPT && m.kept.len() > 1) {
            if let Some((_, old, _)) = m.kept.pop_front() {
                m.bytes -= old.source().len();
            }
        }
    }
    Ok(Some(parsed))
}

/// A value derived from the parsed `module` (the first pass of the
/// schema extraction over it), made by `compute` once while this cache
/// keeps the module and let go with it, so that it never keeps alive a
/// tree the cache let go of. `None`: the cache does not keep the module
/// (nothing is computed; the caller makes its value itself).
pub fn with_module(
    module: &Arc<Module>,
    compute: impl FnOnce() -> Arc<dyn Any + Send + Sync>,
) -> Option<Arc<dyn Any + Send + Sync>> {
    let slot = modules().lock().ok().and_then(|m| {
        m.kept
            .iter()
            .find(|(_, k, _)| Arc::ptr_eq(k, module))
            .map(|(_, _, slot)| Arc::clone(slot))
    })?;
    // Made outside the lock: a thread that wants the same value waits on
    // the slot, not on the whole cache.
    Some(Arc::clone(slot.get_or_init(compute)))
}

/// Schemas kept: the last few commits' old and new ones.
const SCHEMAS_KEPT: usize = 8;

/// The files a schema was read from, in order: (path, blob id).
pub type SchemaKey = Vec<(String, ObjectId)>;

/// Recent schemas, most recently used last.
type Schemas = Mutex<VecDeque<(SchemaKey, Arc<Schema>)>>;

fn schemas() -> &'static Schemas {
    static CELL: OnceLock<Schemas> = OnceLock::new();
    CELL.get_or_init(Mutex::default)
}

/// The schema `build` extracts from the files `key` lists, built once
/// while it is recent (`None`: some file is not an object, so nothing
/// says two reads are the same).
pub fn schema(key: Option<SchemaKey>, build: impl FnOnce() -> Schema) -> Arc<Schema> {
    let Some(key) = key else {
        return Arc::new(build());
    };
    if let Ok(mut kept) = schemas().lock()
        && let Some(i) = kept.iter().position(|(k, _)| *k == key)
        && let Some(hit) = kept.remove(i)
    {
        let found = Arc::clone(&hit.1);
        kept.push_back(hit);
        return found;
    }
    let built = Arc::new(build());
    if let Ok(mut kept) = schemas().lock()
        && !kept.iter().any(|(k, _)| *k == key)
    {
        kept.push_back((key, Arc::clone(&built)));
        while kept.len() > SCHEMAS_KEPT {
            kept.pop_front();
        }
    }
    built
}

type FindingsKey = (ObjectId, String);

#[derive(Default)]
struct FindingsCache {
    map: HashMap<FindingsKey, Arc<[Finding]>>,
    order: VecDeque<FindingsKey>,
}

fn findings_cache() -> &'static Mutex<FindingsCache> {
    static CELL: OnceLock<Mutex<FindingsCache>> = OnceLock::new();
    CELL.get_or_init(Mutex::default)
}

/// What `check(path, bytes)` finds in `blob` at `path`, computed once per
/// blob and path when it finds something (a file without findings is not
/// asked about again: only files with findings have their previous
/// version checked). `check` must depend only on the path and the bytes.
pub fn findings(
    blob: Option<&BlobRef>,
    path: &str,
    bytes: &[u8],
    check: impl FnOnce(&str, &[u8]) -> Vec<Finding>,
) -> Vec<Finding> {
    let Some(id) = blob.and_then(BlobRef::object_id) else {
        return check(path, bytes);
    };
    let key = (id, path.to_string());
    if let Ok(c) = findings_cache().lock()
        && let Some(hit) = c.map.get(&key)
    {
        return hit.to_vec();
    }
    let found = check(path, bytes);
    if !found.is_empty()
        && let Ok(mut c) = findings_cache().lock()
        && !c.map.contains_key(&key)
    {
        c.map.insert(key.clone(), Arc::from(found.as_slice()));
        c.order.push_back(key);
        while c.order.len() > FINDINGS_KEPT {
            if let Some(old) = c.order.pop_front() {
                c.map.remove(&old);
            }
        }
    }
    found
}

/// Yes/no answers kept per blob: enough for every distinct model and
/// library blob of a long history (43 bytes each).
const FLAGS_KEPT: usize = 1 << 16;

/// A question asked of blobs by byte-level prefilters (does it declare
/// models, does it define column types), so that a blob is read at most
/// once per question.
pub type FlagKind = &'static str;

#[derive(Default)]
struct Flags {
    map: HashMap<(FlagKind, ObjectId), bool>,
    order: VecDeque<(FlagKind, ObjectId)>,
}

fn flags() -> &'static Mutex<Flags> {
    static CELL: OnceLock<Mutex<Flags>> = OnceLock::new();
    CELL.get_or_init(Mutex::default)
}

/// The answer `compute` gives about `blob` for question `kind`, computed
/// once per blob id while it is kept (every time for blobs that are not
/// objects).
pub fn flag(
    kind: FlagKind,
    blob: &BlobRef,
    compute: impl FnOnce() -> anyhow::Result<bool>,
) -> anyhow::Result<bool> {
    let Some(id) = blob.object_id() else {
        return compute();
    };
    if let Ok(f) = flags().lock()
        && let Some(hit) = f.map.get(&(kind, id))
    {
        return Ok(*hit);
    }
    let answer = compute()?;
    if let Ok(mut f) = flags().lock()
        && f.map.insert((kind, id), answer).is_none()
    {
        f.order.push_back((kind, id));
        while f.order.len() > FLAGS_KEPT {
            if let Some(old) = f.order.pop_front() {
                f.map.remove(&old);
            }
        }
    }
    Ok(answer)
}

/// Values derived from a blob (and the path it is read at) kept at once.
const DERIVED_KEPT: usize = 4096;

type DerivedKey = (FlagKind, ObjectId, String);

#[derive(Default)]
struct Derived {
    map: HashMap<DerivedKey, Arc<dyn std::any::Any + Send + Sync>>,
    order: VecDeque<DerivedKey>,
}

fn derived_cache() -> &'static Mutex<Derived> {
    static CELL: OnceLock<Mutex<Derived>> = OnceLock::new();
    CELL.get_or_init(Mutex::default)
}

/// What `compute` derives from the blob `id` read at `path` (the files a
/// model file imports types from, say), computed once per blob id and
/// path while it is kept (every time without an id: content that is not
/// an object).
pub fn derived<T: Send + Sync + 'static>(
    kind: FlagKind,
    id: Option<ObjectId>,
    path: &str,
    compute: impl FnOnce() -> T,
) -> Arc<T> {
    let Some(id) = id else {
        return Arc::new(compute());
    };
    let key = (kind, id, path.to_string());
    if let Ok(d) = derived_cache().lock()
        && let Some(hit) = d.map.get(&key)
        && let Ok(v) = Arc::clone(hit).downcast::<T>()
    {
        return v;
    }
    let value = Arc::new(compute());
    if let Ok(mut d) = derived_cache().lock() {
        let erased: Arc<dyn std::any::Any + Send + Sync> = value.clone();
        if d.map.insert(key.clone(), erased).is_none() {
            d.order.push_back(key);
            while d.order.len() > DERIVED_KEPT {
                if let Some(old) = d.order.pop_front() {
                    d.map.remove(&old);
                }
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleId;

    fn id(n: u8) -> BlobRef {
        BlobRef::Object(ObjectId::from_bytes(&[n; 20]))
    }

    #[test]
    fn a_blob_is_parsed_once_and_shared() {
        let blob = id(201);
        let mut reads = 0;
        let a = module(&blob, || {
            reads += 1;
            Ok(Some(b"x = 1\n".to_vec()))
        })
        .unwrap()
        .unwrap();
        let b = module(&blob, || {
            reads += 1;
            Ok(Some(b"x = 1\n".to_vec()))
        })
        .unwrap()
        .unwrap();
        assert_eq!(reads, 1);
        assert!(Arc::ptr_eq(&a, &b));
        // Too large to read: nothing is kept.
        assert!(module(&id(202), || Ok(None)).unwrap().is_none());
    }

    #[test]
    fn a_module_parsed_by_the_callers_parse_is_kept_like_any_other() {
        let blob = id(207);
        let before = Module::parse(b"x = 1\ny = 2\n").unwrap();
        let mut parses = 0;
        let mut get = || {
            module_with(
                &blob,
                || Ok(Some(b"x = 1\ny = 3\n".to_vec())),
                |bytes| {
                    parses += 1;
                    Module::parse_after(bytes, &before)
                },
            )
            .unwrap()
            .unwrap()
        };
        let a = get();
        let b = get();
        assert_eq!(parses, 1);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.source(), "x = 1\ny = 3\n");
        assert_eq!(
            a.root().to_sexp(),
            Module::parse(b"x = 1\ny = 3\n").unwrap().root().to_sexp()
        );
        // The plain lookup finds it too.
        assert!(Arc::ptr_eq(&cached(&blob).unwrap(), &a));
    }

    #[test]
    fn a_value_derived_from_a_module_is_kept_only_with_the_module() {
        let m = module(&id(206), || Ok(Some(b"z = 3\n".to_vec())))
            .unwrap()
            .unwrap();
        let mut made = 0;
        for _ in 0..2 {
            let v = with_module(&m, || {
                made += 1;
                Arc::new(7u32)
            })
            .unwrap();
            assert_eq!(v.downcast::<u32>().ok().as_deref(), Some(&7));
        }
        assert_eq!(made, 1);
        // The same text parsed apart from the cache keeps nothing.
        let loose = Arc::new(Module::parse(b"z = 3\n").unwrap());
        assert!(with_module(&loose, || Arc::new(8u32)).is_none());
    }

    #[test]
    fn contents_without_an_object_id_are_parsed_every_time() {
        let blob = BlobRef::Memory(Arc::from(&b"y = 2\n"[..]));
        let a = module(&blob, || Ok(Some(b"y = 2\n".to_vec())))
            .unwrap()
            .unwrap();
        let b = module(&blob, || Ok(Some(b"y = 2\n".to_vec())))
            .unwrap()
            .unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn a_schema_is_extracted_once_per_list_of_files() {
        let key = || Some(vec![("m.py".to_string(), ObjectId::from_bytes(&[205; 20]))]);
        let mut builds = 0;
        let a = schema(key(), || {
            builds += 1;
            Schema::default()
        });
        let b = schema(key(), || {
            builds += 1;
            Schema::default()
        });
        assert_eq!(builds, 1);
        assert!(Arc::ptr_eq(&a, &b));
        // Without ids nothing is shared.
        let c = schema(None, Schema::default);
        let d = schema(None, Schema::default);
        assert!(!Arc::ptr_eq(&c, &d));
    }

    #[test]
    fn findings_are_computed_once_per_blob_and_path() {
        let blob = id(203);
        let mut calls = 0;
        let mut check = |path: &str| {
            findings(Some(&blob), path, b"", |p, _| {
                calls += 1;
                vec![Finding::new(RuleId::SqlInjection, p, "m")]
            })
        };
        assert_eq!(check("a.py")[0].path, "a.py");
        assert_eq!(check("a.py")[0].path, "a.py");
        assert_eq!(check("b.py")[0].path, "b.py");
        assert_eq!(calls, 2);
        // Nothing found is not kept (never asked about again in a range).
        let mut empty = 0;
        for _ in 0..2 {
            findings(Some(&id(204)), "c.py", b"", |_, _| {
                empty += 1;
                Vec::new()
            });
        }
        assert_eq!(empty, 2);
    }
}
