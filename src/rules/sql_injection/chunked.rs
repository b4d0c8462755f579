//! The rule over a history, one top-level statement at a time (issue 26).
//!
//! A version's findings are the findings of its top-level statements,
//! and a function's or class's findings depend only on its own text and
//! on a few facts of the module around it: whether the module imports
//! SQLAlchemy's `text`, the project's `safe_calls`, and the module-level
//! bindings of the names it looks up (`bindings.rs` falls back to them).
//! On ckan's history a commit edits a few lines of a module of a hundred
//! functions, so each function's findings are kept by a hash of its text
//! with the facts it read, and only the functions not seen before are
//! parsed: the rest of the module is parsed with every function already
//! known blanked out to its newlines (lines and columns stay where they
//! were). A top-level class is split the same way into its methods (a
//! method's names fall back to module level, never to the class body),
//! and a known method is blanked to a `pass` at its indentation.
//!
//! Exactness comes before speed. The split (`chunks.rs`) is lexical, so
//! what it gives is checked against the parse: a parse with a syntax
//! error anywhere, or a top-level node that straddles two chunks, sends
//! the version to a whole parse. A function is blanked only once it has
//! parsed cleanly at the top level of some version (a run of whole
//! top-level statements parses the same wherever it stands, since the
//! parser's state between two of them is the same), so a syntax error in
//! a function is never hidden from the parse that would have met it.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use super::checker::{Checker, Judged};
use super::chunks::{Chunk, split};
use super::prefilter::calls_worth_judging;
use super::sinks::{imports_sqlalchemy_text, sink_call_nodes};
use crate::finding::Finding;
use crate::python::Module;

/// How many chunk hashes each generation of the known-clean set holds
/// (16 bytes each): a history's distinct functions in a recent window.
const CLEAN_KEPT: usize = 64 << 10;

/// How many bytes of findings and dependencies each generation of the
/// findings cache may hold (two generations live at once).
const FINDINGS_BYTES: usize = 2 << 20;

/// A chunk's text hashed with two independent seeds.
type Key = u128;

fn hash_text(text: &[u8]) -> Key {
    let a = foldhash::quality::FixedState::with_seed(0x9e37_79b9_7f4a_7c15).hash_one(text);
    let b = foldhash::quality::FixedState::with_seed(0xc2b2_ae3d_27d4_eb4f).hash_one(text);
    (u128::from(a) << 64) | u128::from(b)
}

/// A hasher for the module-level facts a chunk read.
fn facts_hasher() -> impl Hasher {
    foldhash::quality::FixedState::with_seed(0x1656_67b1_9e37_79f9).build_hasher()
}

/// Two generations of a bounded set or map: lookups see both, inserts go
/// to the young one, and when it is full the old one is dropped.
struct Generations<V> {
    young: HashMap<Key, V>,
    old: HashMap<Key, V>,
    young_bytes: usize,
}

impl<V: Clone> Generations<V> {
    fn new() -> Self {
        Generations {
            young: HashMap::new(),
            old: HashMap::new(),
            young_bytes: 0,
        }
    }

    fn get(&self, k: &Key) -> Option<V> {
        self.young.get(k).or_else(|| self.old.get(k)).cloned()
    }

    fn insert(&mut self, k: Key, v: V, bytes: usize, cap: usize) {
        if self.young_bytes + bytes > cap {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young_bytes += bytes;
        self.young.insert(k, v);
    }
}

/// What a definition chunk found, with what it depended on.
#[derive(Clone)]
struct Entry {
    /// The chunk's first row (0-based) when it was judged.
    row: usize,
    /// Whether the module imported SQLAlchemy's `text`.
    sa_text: bool,
    /// The names looked up at module level, with the hash of their
    /// module-level bindings then.
    deps: Vec<(String, u64)>,
    /// The chunk's findings, in order, with whether the line each names
    /// as where its SQL was built is inside the chunk.
    judged: Vec<(Judged, bool)>,
}

impl Entry {
    fn bytes(&self) -> usize {
        64 + self.deps.iter().map(|(n, _)| n.len() + 32).sum::<usize>()
            + self
                .judged
                .iter()
                .map(|(j, _)| j.display.len() + j.canonical.len() + 80)
                .sum::<usize>()
    }
}

struct Caches {
    /// Definition chunks that parsed without error at the top level.
    clean: Generations<()>,
    /// By chunk text and configuration: a candidate chunk's findings.
    findings: Generations<std::sync::Arc<Entry>>,
}

fn caches() -> &'static Mutex<Caches> {
    static C: OnceLock<Mutex<Caches>> = OnceLock::new();
    C.get_or_init(|| {
        Mutex::new(Caches {
            clean: Generations::new(),
            findings: Generations::new(),
        })
    })
}

/// What the run knows of one definition chunk of this version.
struct Plan {
    key: Key,
    /// Has a call the rule may report.
    candidate: bool,
    /// Parsed in this version's partial parse (else blanked).
    parsed: bool,
    /// Its findings from an earlier version, when they may still hold.
    cached: Option<std::sync::Arc<Entry>>,
}

/// The findings of `text` at `path`, the same as a whole parse gives,
/// parsing only the top-level definitions not seen before; `None` when
/// the version must be parsed whole (the split is unsure, the parse has a
/// syntax error, a dependency changed).
pub(super) fn check(path: &str, text: &str, safe_calls: &[String]) -> Option<Vec<Finding>> {
    let top = split(text)?;
    // The pieces judged one by one: top-level chunks, and the members of
    // the classes the scan could split.
    let chunks: Vec<&Chunk> = top
        .iter()
        .flat_map(|c| {
            if c.members.is_empty() {
                std::slice::from_ref(c)
            } else {
                c.members.as_slice()
            }
        })
        .collect();
    let config = {
        let mut h = facts_hasher();
        for c in safe_calls {
            h.write(c.as_bytes());
            h.write_u8(0);
        }
        u128::from(h.finish())
    };
    let mut plans: Vec<Option<Plan>> = Vec::with_capacity(chunks.len());
    for chunk in &chunks {
        if !chunk.definition {
            plans.push(None);
            continue;
        }
        let body = &text.as_bytes()[chunk.range.clone()];
        // A `:=` in a decorator binds a name at module level; keep such a
        // module whole.
        if memchr::memchr(b'@', body).is_some() && memchr::memmem::find(body, b":=").is_some() {
            return None;
        }
        plans.push(Some(Plan {
            key: hash_text(body),
            candidate: calls_worth_judging(body),
            parsed: true,
            cached: None,
        }));
    }
    if let Ok(c) = caches().lock() {
        for plan in plans.iter_mut().flatten() {
            let clean = c.clean.get(&plan.key).is_some();
            if plan.candidate {
                plan.cached = c.findings.get(&(plan.key ^ config));
            }
            plan.parsed = !clean || (plan.candidate && plan.cached.is_none());
        }
    }
    // Findings kept from versions whose module-level facts differ are
    // not used: those definitions are parsed again (rare: a constant a
    // function reads, or the `text` import, changed).
    let mut retried = false;
    let (m, ranges) = loop {
        let (partial, ranges) = partial_text(text, &chunks, &plans);
        let whole = partial.len() == text.len();
        // A fresh parse: the text is mostly the module's unchanged
        // statements and blank lines, and an incremental parse from the
        // last version's tree cost more (ckan `--select sql-injection`:
        // 19.5 s user against 15.3 s), most of it diffing thousands of
        // blank lines and editing the old tree.
        let m = Module::parse(partial.as_bytes())?;
        if m.has_errors() || !aligned(&m, &top, &ranges) {
            // Nothing was blanked: this is the whole parse already.
            return whole.then(|| super::check_module(path, &m, safe_calls));
        }
        let checker = Checker::new(&m, imports_sqlalchemy_text(&m), safe_calls);
        let mut stale = false;
        for plan in plans.iter_mut().flatten() {
            if let Some(e) = plan.cached.as_ref().filter(|_| !plan.parsed)
                && (e.sa_text != checker.sa_text()
                    || e.deps
                        .iter()
                        .any(|(name, sig)| signature(&checker, name) != *sig))
            {
                plan.parsed = true;
                plan.cached = None;
                stale = true;
            }
        }
        if !stale {
            break (m, ranges);
        }
        if retried {
            return None;
        }
        retried = true;
    };
    let checker = Checker::new(&m, imports_sqlalchemy_text(&m), safe_calls);
    let calls = sink_call_nodes(&m);
    let mut next = 0;
    let mut out = Vec::new();
    let mut learned: Vec<(Key, Option<Entry>)> = Vec::new();
    for ((chunk, plan), range) in chunks.iter().zip(&plans).zip(&ranges) {
        let mut judged = Vec::new();
        checker.take_lookups();
        while let Some(call) = calls.get(next).filter(|c| c.start_byte() < range.end) {
            next += 1;
            if let Some(j) = checker.judge(*call) {
                judged.push(j);
            }
        }
        let Some(plan) = plan else {
            out.extend(judged.iter().map(|j| j.finding(path, 0)));
            continue;
        };
        if !plan.parsed {
            if let Some(e) = &plan.cached {
                let shift = chunk.row as i64 - e.row as i64;
                out.extend(e.judged.iter().map(|(j, inside)| {
                    let mut j = j.clone();
                    j.line = (i64::from(j.line) + shift) as u32;
                    if *inside {
                        j.built = j.built.map(|b| (i64::from(b) + shift) as u32);
                    }
                    j.finding(path, 0)
                }));
            }
            continue;
        }
        out.extend(judged.iter().map(|j| j.finding(path, 0)));
        let entry = plan.candidate.then(|| {
            let first = chunk.row as u32 + 1;
            let rows = memchr::memchr_iter(b'\n', text[chunk.range.clone()].as_bytes()).count();
            let inside = |l: u32| (first..=first + rows as u32).contains(&l);
            Entry {
                row: chunk.row,
                sa_text: checker.sa_text(),
                deps: checker
                    .take_lookups()
                    .into_iter()
                    .map(|n| {
                        let sig = signature(&checker, &n);
                        (n, sig)
                    })
                    .collect(),
                judged: judged
                    .into_iter()
                    .map(|j| {
                        let inside = j.built.is_none_or(inside);
                        (j, inside)
                    })
                    .collect(),
            }
        });
        learned.push((plan.key, entry));
    }
    if let Ok(mut c) = caches().lock() {
        for (key, entry) in learned {
            c.clean.insert(key, (), 16, CLEAN_KEPT * 16);
            if let Some(e) = entry {
                let bytes = e.bytes();
                c.findings
                    .insert(key ^ config, std::sync::Arc::new(e), bytes, FINDINGS_BYTES);
            }
        }
    }
    Some(out)
}

/// The text to parse: every chunk, with the definitions that need no
/// parse (known clean, and with known findings or none) blanked to their
/// newlines; and each chunk's bytes in it.
fn partial_text(
    text: &str,
    chunks: &[&Chunk],
    plans: &[Option<Plan>],
) -> (String, Vec<Range<usize>>) {
    let mut partial = String::with_capacity(text.len());
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(chunks.len());
    for (chunk, plan) in chunks.iter().zip(plans) {
        let start = partial.len();
        let body = &text[chunk.range.clone()];
        if plan.as_ref().is_none_or(|p| p.parsed) {
            partial.push_str(body);
        } else {
            // A method stays a statement of its class's body.
            if chunk.indent > 0 {
                partial.extend(std::iter::repeat_n(' ', chunk.indent));
                partial.push_str("pass");
            }
            let newlines = memchr::memchr_iter(b'\n', body.as_bytes()).count();
            partial.extend(std::iter::repeat_n('\n', newlines));
        }
        ranges.push(start..partial.len());
    }
    (partial, ranges)
}

/// The hash of `name`'s module-level bindings in `checker`'s module.
fn signature(checker: &Checker<'_>, name: &str) -> u64 {
    let mut h = facts_hasher();
    checker.module_binding_signature(name, &mut h);
    h.finish()
}

/// Whether every top-level node of `m` lies inside one top-level chunk,
/// and every statement of a split class's body inside one of its
/// members (`ranges`: each piece's bytes in the parsed text, in the order
/// of `top`'s chunks and their members): the lexical split agrees with
/// the parse.
fn aligned(m: &Module, top: &[Chunk], ranges: &[Range<usize>]) -> bool {
    let mut spans = Vec::with_capacity(top.len());
    let mut k = 0;
    for c in top {
        let n = c.members.len().max(1);
        let (Some(first), Some(last)) = (ranges.get(k), ranges.get(k + n - 1)) else {
            return false;
        };
        spans.push((
            first.start..last.end,
            &ranges[k..k + n],
            !c.members.is_empty(),
        ));
        k += n;
    }
    let root = m.root();
    let mut i = 0;
    let mut classes = 0;
    for n in named_and_unnamed(root) {
        while i < spans.len() && spans[i].0.end <= n.start_byte() {
            i += 1;
        }
        let Some((span, pieces, split)) = spans.get(i) else {
            return false;
        };
        if n.start_byte() < span.start || n.end_byte() > span.end {
            return false;
        }
        if *split && n.kind() != "comment" {
            classes += 1;
            let class = if n.kind() == "decorated_definition" {
                n.child_by_field_name("definition")
            } else {
                Some(n)
            };
            let Some(body) = class
                .filter(|c| c.kind() == "class_definition")
                .and_then(|c| c.child_by_field_name("body"))
            else {
                return false;
            };
            let mut j = 0;
            for s in named_and_unnamed(body) {
                while j < pieces.len() && pieces[j].end <= s.start_byte() {
                    j += 1;
                }
                if pieces
                    .get(j)
                    .is_none_or(|p| s.start_byte() < p.start || s.end_byte() > p.end)
                {
                    return false;
                }
            }
        }
    }
    // Each split class met once, as its chunk's one statement.
    classes == spans.iter().filter(|s| s.2).count()
}

/// Every child of `node`, in order.
fn named_and_unnamed(node: tree_sitter::Node<'_>) -> Vec<tree_sitter::Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}
