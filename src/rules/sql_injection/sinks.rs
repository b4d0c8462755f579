//! The calls that run SQL (the sink tables) and where a parsed module
//! calls them.

use std::sync::OnceLock;

use tree_sitter::Node;

use crate::python::Module;

/// How sure a call name is to run SQL.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Strength {
    /// Runs SQL whatever the library (`execute`, `exec_driver_sql`).
    Strong,
    /// A name other libraries use too: reported only when the literal text
    /// reads as SQL.
    Weak,
}

pub(super) const SINKS: &[(&str, Strength)] = &[
    ("execute", Strength::Strong),
    ("executemany", Strength::Strong),
    ("executescript", Strength::Strong),
    ("exec_driver_sql", Strength::Strong),
    ("mogrify", Strength::Strong),
    ("read_sql", Strength::Strong),
    ("read_sql_query", Strength::Strong),
    ("RawSQL", Strength::Strong),
    ("text", Strength::Weak),
    ("raw", Strength::Weak),
    ("query", Strength::Weak),
    ("fetch", Strength::Weak),
    ("fetchrow", Strength::Weak),
    ("fetchval", Strength::Weak),
    ("fetch_all", Strength::Weak),
    ("fetch_one", Strength::Weak),
    ("fetch_val", Strength::Weak),
];

/// Keyword arguments that carry the SQL when it is not the first
/// positional argument.
pub(super) const SQL_KEYWORDS: &[&str] = &["sql", "statement", "query", "operation", "sqltext"];

/// Module prefixes under which `text` is SQLAlchemy's.
pub(super) const SA_MODULES: &[&str] = &["sa", "sqlalchemy", "sql", "expression", "sqlmodel", "db"];

/// Every call whose callee's own name is a sink's (`execute(...)`,
/// `db.text(...)`), in the order a walk of the whole tree meets them (a
/// call before the calls inside it): all the nodes
/// [`Checker::check_call`] can report, and a few it drops at once (a
/// callee that is no dotted name, `None.x.text()`). A callee's name is an identifier
/// in the source, so the text is searched for the names (every
/// occurrence, overlapping ones too) and the tree asked what stands at
/// each: on ckan's history, walking every node of every parsed module
/// was a fifth of the rule's time.
pub(super) fn sink_call_nodes(m: &Module) -> Vec<Node<'_>> {
    static NAMES: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        aho_corasick::AhoCorasick::new(SINKS.iter().map(|(n, _)| *n))
            .unwrap_or_else(|e| unreachable!("constant patterns: {e}"))
    });
    let root = m.root();
    let mut calls: Vec<Node<'_>> = Vec::new();
    for found in names.find_overlapping_iter(m.source()) {
        let Some(name) = root.descendant_for_byte_range(found.start(), found.end()) else {
            continue;
        };
        if name.kind() != "identifier" || name.byte_range() != found.range() {
            continue;
        }
        // `name(...)`, or `x.name(...)`: the identifier is the callee or
        // the callee attribute's last name.
        let Some(parent) = name.parent() else {
            continue;
        };
        let call = match parent.kind() {
            "call" => Some(parent),
            "attribute" if parent.child_by_field_name("attribute") == Some(name) => {
                parent.parent().filter(|c| c.kind() == "call")
            }
            _ => None,
        };
        if let Some(call) = call.filter(|c| {
            c.child_by_field_name("function")
                .is_some_and(|f| f == name || f == parent)
        }) {
            calls.push(call);
        }
    }
    calls.sort_by_key(|c| (c.start_byte(), std::cmp::Reverse(c.end_byte())));
    calls.dedup();
    calls
}

/// Whether the file imports `text` from SQLAlchemy (or SQLModel).
pub(super) fn imports_sqlalchemy_text(m: &Module) -> bool {
    m.module_statements().into_iter().any(|s| {
        s.kind() == "import_from_statement"
            && s.child_by_field_name("module_name").is_some_and(|n| {
                let t = m.text(n);
                t.starts_with("sqlalchemy") || t.starts_with("sqlmodel")
            })
            && {
                let mut cursor = s.walk();
                s.children_by_field_name("name", &mut cursor)
                    .any(|n| m.text(n) == "text" || m.text(n).starts_with("text as"))
            }
    })
}
